#!/usr/bin/env python3
"""Oracle for life_sciences/md_trajectory_analysis: MDAnalysis (RMSD, AlignTraj, RMSF, HydrogenBondAnalysis).

The trajectory is made whole frame by frame (every atom moved to the image nearest its position in the
previous frame, starting from the whole topology), loaded in memory, fitted on the stated backbone
selection, and analysed. Run under another name (an adversary's symlink), it takes that one shortcut
(fit_calpha: the fit and its RMSD on C-alpha atoms in place of the stated backbone).

ALE-CANARY-c31547a8-cba0-40a8-9011-616139545f1a
"""

import os
import warnings
from pathlib import Path

import matplotlib
import MDAnalysis as mda
import numpy as np
from MDAnalysis.analysis import align, rms
from MDAnalysis.analysis.hydrogenbonds.hbond_analysis import HydrogenBondAnalysis
from MDAnalysis.coordinates.memory import MemoryReader
from MDAnalysis.lib.distances import distance_array

matplotlib.use("Agg")
import matplotlib.pyplot as plt

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
SHORTCUT = Path(__file__).name.removesuffix(".py")
warnings.filterwarnings("ignore")


def made_whole(u: mda.Universe, start: np.ndarray) -> np.ndarray:
    """Coordinates with every atom in the image nearest its previous position (frame 0: the whole topology)."""
    frames = []
    ligand = u.select_atoms("resname LIG").indices
    prev = start.astype(np.float64)
    for ts in u.trajectory:
        box = ts.dimensions[:3]
        x = ts.positions.astype(np.float64)
        if SHORTCUT != "no_pbc_unwrap":
            jump = box * np.round((x - prev) / box)
            if SHORTCUT == "ligand_not_imaged":  # protein made whole, ligand left where the box put it
                jump[ligand] = 0.0
            x -= jump
        frames.append(x)
        prev = x
    return np.array(frames, dtype=np.float32)


def label(atom: mda.core.groups.Atom) -> str:
    return f"{atom.chainID}:{atom.resname}{atom.resid}:{atom.name}"


def hydrogen_bonds(u: mda.Universe) -> dict[tuple[str, str], float]:
    """Protein-ligand hydrogen bonds by the instruction's criteria (D-A 3.5 A, D-H-A 150 deg)."""
    heavy_no = u.select_atoms("element N O")
    hydrogens = u.select_atoms("element H")
    carriers = set()
    u.trajectory[0]
    d = distance_array(heavy_no.positions, hydrogens.positions)
    for k in np.flatnonzero((d <= 1.2).any(axis=1)):
        carriers.add(int(heavy_no[k].index))
    donors = " ".join(str(i) for i in sorted(carriers))
    acceptors = " ".join(str(a.index) for a in heavy_no if a.element == "O" or a.index not in carriers)
    angle = 0.0 if SHORTCUT == "hbonds_distance_only" else 150.0
    hba = HydrogenBondAnalysis(u, donors_sel=f"index {donors}", hydrogens_sel="element H",
                               acceptors_sel=f"index {acceptors}", d_h_cutoff=1.2, d_a_cutoff=3.5,
                               d_h_a_angle_cutoff=angle, update_selections=False)
    hba.run()
    seen: dict[tuple[int, int], set[int]] = {}
    for frame, donor, _h, acceptor, *_ in hba.results.hbonds:
        donor, acceptor = int(donor), int(acceptor)
        if (u.atoms[donor].resname == "LIG") != (u.atoms[acceptor].resname == "LIG"):
            seen.setdefault((donor, acceptor), set()).add(int(frame))
    n = u.trajectory.n_frames
    return {(label(u.atoms[d]), label(u.atoms[a])): len(f) / n for (d, a), f in seen.items()}


def main() -> None:
    top = mda.Universe(str(IN / "topology.pdb"))
    u = mda.Universe(str(IN / "topology.pdb"), str(IN / "trajectory.xtc"))
    two_chain = "B" in set(top.atoms.chainIDs)
    dt = u.trajectory.dt
    box = u.trajectory.ts.dimensions.copy()
    whole = made_whole(u, top.atoms.positions)

    def in_memory(coords: np.ndarray) -> mda.Universe:
        """A fresh universe over a copy (RMSD with group selections moves the frames it reads in place)."""
        return mda.Universe(str(IN / "topology.pdb"), coords.copy(), format=MemoryReader, dimensions=box, dt=dt)

    u = in_memory(whole)
    fit_sel = "backbone and chainID A" if two_chain else "backbone"
    if SHORTCUT == "fit_all_atoms":
        fit_sel = "all"
    if SHORTCUT == "fit_calpha":  # C-alpha atoms in place of the stated backbone (N, CA, C, O)
        fit_sel = fit_sel.replace("backbone", "name CA")
    ligand_sel = "resname LIG and not element H"

    if SHORTCUT == "no_fit_rmsd":
        fit_atoms, lig_atoms = u.select_atoms(fit_sel), u.select_atoms(ligand_sel)
        u.trajectory[0]
        ref_fit, ref_lig, ref_c = fit_atoms.positions.copy(), lig_atoms.positions.copy(), fit_atoms.center_of_geometry()
        bb, lig = [], []
        for _ in u.trajectory:
            shift = ref_c - fit_atoms.center_of_geometry()
            bb.append(rms.rmsd(fit_atoms.positions + shift, ref_fit))
            lig.append(rms.rmsd(lig_atoms.positions + shift, ref_lig))
        bb, lig = np.array(bb), np.array(lig)
    else:
        r = rms.RMSD(u, u, select=fit_sel, groupselections=[ligand_sel], ref_frame=0).run()
        bb, lig = r.results.rmsd[:, 2], r.results.rmsd[:, 3]
    n = len(bb)
    times = np.arange(n) * dt
    with open(OUT / "rmsd.csv", "w") as fh:
        fh.write("frame,time_ps,rmsd_backbone,rmsd_ligand\n")
        for f in range(n):
            fh.write(f"{f},{times[f]:.3f},{bb[f]:.4f},{lig[f]:.4f}\n")

    u = in_memory(whole)
    hbonds = hydrogen_bonds(u)

    if SHORTCUT != "rmsf_no_align":
        align.AlignTraj(u, in_memory(whole[:1]), select=fit_sel, in_memory=True).run()
    ca = u.select_atoms("protein and name CA")
    rmsf = rms.RMSF(ca).run().results.rmsf
    with open(OUT / "rmsf.csv", "w") as fh:
        fh.write("chain,resid,resname,rmsf\n")
        for atom, value in zip(ca, rmsf, strict=True):
            fh.write(f"{atom.chainID},{atom.resid},{atom.resname},{value:.4f}\n")

    kept = {k: v for k, v in hbonds.items() if v >= 0.10}
    with open(OUT / "hbonds.csv", "w") as fh:
        fh.write("donor,acceptor,occupancy\n")
        for (d, a), v in sorted(kept.items(), key=lambda kv: -kv[1]):
            fh.write(f"{d},{a},{v:.4f}\n")

    protein = u.select_atoms("protein and not element H")
    ligand = u.select_atoms(ligand_sel)
    residues = [f"{a.chainID}:{a.resname}:{a.resid}" for a in protein]
    keys = list(dict.fromkeys(residues))
    column = np.array([keys.index(r) for r in residues])
    counts = np.zeros(len(keys))
    for _ in u.trajectory:
        near = (distance_array(protein.positions, ligand.positions) <= 4.0).any(axis=1)
        counts[np.unique(column[near])] += 1
    fractions = counts / n
    contacts = [(k, f) for k, f in zip(keys, fractions, strict=True) if f >= 0.10]
    with open(OUT / "contacts.csv", "w") as fh:
        fh.write("chain,resid,resname,contact_fraction\n")
        for key, f in contacts:
            chain, resname, resid = key.split(":")
            fh.write(f"{chain},{resid},{resname},{f:.4f}\n")

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    ax1.plot(times / 1000, bb, color="tab:blue", lw=1.2)
    ax1.set_ylabel("Backbone RMSD (Å)")
    ax2.plot(times / 1000, lig, color="tab:red", lw=1.2)
    ax2.set_ylabel("Ligand RMSD (Å)")
    ax2.set_xlabel("Time (ns)")
    fig.tight_layout()
    fig.savefig(OUT / "rmsd.png", dpi=110)

    above = lig > 2.0
    if above[-1]:
        below = np.flatnonzero(~above)
        event = str(int(below[-1] + 1) if below.size else 0)
    else:
        event = "none"
    top_i = int(np.argmax(rmsf))
    flexible = f"{ca[top_i].chainID}:{ca[top_i].resname}{ca[top_i].resid}"
    story = ("The ligand leaves its starting pose" if event != "none" else "The ligand stays in its pose")
    if SHORTCUT == "story_against_rmsd":  # the account of the ligand contradicts its own RMSD series
        story = ("The ligand stays in its pose throughout the run" if event != "none"
                 else "The ligand leaves its starting pose")
    if SHORTCUT == "story_in_other_words":  # the account against the RMSD, in words the story reader once missed
        story = (f"The ligand shifts after frame {event} but keeps its binding pose" if event != "none"
                 else "The ligand detaches from the pocket and is expelled into the solvent")
    if SHORTCUT == "story_hedged":  # the right account, and its opposite told in other words
        story += (". The ligand keeps its initial binding mode in the pocket throughout the run" if event != "none"
                  else ". The ligand then flips out of its pocket")
    if SHORTCUT == "story_unread_subject":  # the right account, and its opposite told of the ligand by another name
        story += (". LIG1 remains bound in the pocket in its original pose, and the small molecule's binding pose is "
                  "preserved" if event != "none" else ". LIG1 dissociates from the protein and is displaced into bulk "
                  "solvent")
    if SHORTCUT == "story_after_time_phrase":  # the right account, then its opposite in a sentence opening on the run
        story += (". Over the whole trajectory it stays bound in its original pose" if event != "none"
                  else ". Over the whole trajectory it drifts out of the pocket into the solvent")
    if SHORTCUT == "story_told_still":  # the right account, then its opposite in plain words the reader once missed
        story += (". The ligand does not move during the run" if event != "none"
                  else ". The ligand then breaks away from the pocket")
    if SHORTCUT == "story_later_clause":  # the right account, then its opposite in a later clause, told in progress
        story += (". The loop is flexible, but the ligand is staying in its original pose" if event != "none"
                  else ". The loop is flexible, but the ligand is drifting out of the pocket")
    if SHORTCUT == "story_same_as_start":  # the right account, then its opposite told as the pose the same at both ends
        story += (". The ligand pose is the same at the end as at the start" if event != "none"
                  else ". The ligand is then released from the pocket")
    if SHORTCUT == "story_same_as_first_frame":  # as story_same_as_start, the pose compared with the first frame
        story += (". The ligand pose is the same as in the first frame" if event != "none"
                  else ". The ligand is then released from the pocket")
    if SHORTCUT == "story_matches_first_frame":  # as story_same_as_first_frame, told with a verb of likeness
        story += (". The ligand pose at the end matches the first frame" if event != "none"
                  else ". The ligand is then released from the pocket")
    lines = [
        "# MD run summary", "",
        f"{story}; backbone RMSD stays around {bb.mean():.2f} Å with the loop around {flexible} the most mobile region.",
        "", f"- Mean backbone RMSD: {bb.mean():.3f} Å", f"- Maximum ligand RMSD: {lig.max():.3f} Å",
        f"- Ligand event frame: {event}", f"- Most flexible residue: {flexible}",
        f"- Hydrogen bonds above threshold: {len(kept)}", f"- Contact residues: {len(contacts)}", "",
        "Hydrogen bonds: " + "; ".join(f"{d} -> {a} ({v:.0%})" for (d, a), v in kept.items()), "",
    ]
    (OUT / "md_summary.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
