"""The reference analysis, computed from the unwrapped truth of the construction (numpy only).

Definitions follow the instruction: unweighted least-squares fit of the fit selection of every frame
onto frame 0; backbone RMSD over the fit selection; ligand RMSD over the ligand heavy atoms after that
fit (no refit); C-alpha RMSF about the mean fitted positions; protein-ligand hydrogen bonds (donor N/O
carrying a hydrogen within 1.2 A, acceptor O or hydrogen-free N, D-A <= 3.5 A and D-H...A >= 150 deg);
contacts (any heavy-atom pair within 4.0 A).
"""

from __future__ import annotations

import numpy as np

HB_DIST = 3.5
HB_ANGLE = 150.0
CONTACT = 4.0
THRESHOLD = 0.10
EVENT_RMSD = 2.0


def atom_label(chain: str, resname: str, resid: int, name: str) -> str:
    return f"{chain}:{resname}{resid}:{name}"


def superpose(mobile: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rotation R and centres (cm, ct) so that (x - cm) @ R.T + ct best fits ``mobile`` onto ``target``."""
    cm, ct = mobile.mean(axis=0), target.mean(axis=0)
    h = (mobile - cm).T @ (target - ct)
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(vt.T @ u.T))
    r = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
    return r, cm, ct


def fitted(traj: np.ndarray, fit: np.ndarray) -> np.ndarray:
    """Every frame superposed on frame 0 by the atoms ``fit`` (indices)."""
    out = np.empty_like(traj)
    for f in range(len(traj)):
        r, cm, ct = superpose(traj[f, fit], traj[0, fit])
        out[f] = (traj[f] - cm) @ r.T + ct
    return out


def rmsd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(((a - b) ** 2).sum(axis=-1).mean(axis=-1))


def hbond_occupancy(traj: np.ndarray, names: list[str], elements: list[str], protein: np.ndarray,
                    ligand: np.ndarray, *, use_angle: bool = True) -> dict[tuple[int, int], float]:
    """Occupancy of every protein-ligand donor-acceptor pair (donor index, acceptor index)."""
    x0 = traj[0]
    hydrogens = np.flatnonzero(np.array(elements) == "H")
    carriers: dict[int, list[int]] = {}
    for h in hydrogens:
        heavy = np.flatnonzero((np.array(elements) != "H") & (np.linalg.norm(x0 - x0[h], axis=1) <= 1.2))
        for d in heavy:
            if elements[d] in ("N", "O"):
                carriers.setdefault(int(d), []).append(int(h))
    acceptors = {i for i, e in enumerate(elements) if e == "O" or (e == "N" and i not in carriers)}
    in_ligand = set(ligand.tolist())
    pairs = [(d, a) for d in carriers for a in acceptors if (d in in_ligand) != (a in in_ligand)]
    occupancy = {}
    for d, a in pairs:
        dist = np.linalg.norm(traj[:, d] - traj[:, a], axis=1)
        ok = dist <= HB_DIST
        if use_angle:
            angle_ok = np.zeros(len(traj), bool)
            for h in carriers[d]:
                v1, v2 = traj[:, d] - traj[:, h], traj[:, a] - traj[:, h]
                cos = (v1 * v2).sum(axis=1) / (np.linalg.norm(v1, axis=1) * np.linalg.norm(v2, axis=1))
                angle_ok |= np.degrees(np.arccos(np.clip(cos, -1, 1))) >= HB_ANGLE
            ok &= angle_ok
        if ok.any():
            occupancy[(d, a)] = float(ok.mean())
    return occupancy


def analyse(traj: np.ndarray, names: list[str], elements: list[str], resnames: list[str], resids: list[int],
            chains: list[str], fit_chains: tuple[str, ...], dt_ps: float) -> dict:
    """Everything the grader compares, from unwrapped coordinates (frames x atoms x 3)."""
    chains_a = np.array(chains)
    names_a = np.array(names)
    heavy = np.array(elements) != "H"
    ligand = np.flatnonzero(chains_a == "L")
    lig_heavy = np.flatnonzero((chains_a == "L") & heavy)
    protein = np.flatnonzero(chains_a != "L")
    fit = np.flatnonzero(np.isin(chains_a, fit_chains) & np.isin(names_a, ("N", "CA", "C", "O")))
    fx = fitted(traj, fit)
    bb = rmsd(fx[:, fit], fx[0, fit])
    lig = rmsd(fx[:, lig_heavy], fx[0, lig_heavy])
    ca = np.flatnonzero((chains_a != "L") & (names_a == "CA"))
    rmsf = np.sqrt(((fx[:, ca] - fx[:, ca].mean(axis=0)) ** 2).sum(axis=2).mean(axis=0))

    def label(i: int) -> str:
        return atom_label(chains[i], resnames[i], resids[i], names[i])

    occ = hbond_occupancy(traj, names, elements, protein, ligand)
    occ_distance_only = hbond_occupancy(traj, names, elements, protein, ligand, use_angle=False)
    prot_heavy = np.flatnonzero((chains_a != "L") & heavy)
    d = np.linalg.norm(traj[:, prot_heavy, None] - traj[:, None, lig_heavy], axis=3).min(axis=2)
    touching = d <= CONTACT
    contacts: dict[str, float] = {}
    residue_rows = {}
    for k, i in enumerate(prot_heavy):
        key = f"{chains[i]}:{resnames[i]}{resids[i]}"
        residue_rows.setdefault(key, []).append(k)
    for key, cols in residue_rows.items():
        frac = float(touching[:, cols].any(axis=1).mean())
        if frac > 0:
            contacts[key] = frac
    above = lig > EVENT_RMSD
    event = None
    if above[-1]:
        below = np.flatnonzero(~above)
        event = int(below[-1] + 1) if below.size else 0
    n = len(traj)
    return {
        "rmsd": [{"frame": f, "time_ps": f * dt_ps, "rmsd_backbone": float(bb[f]), "rmsd_ligand": float(lig[f])}
                 for f in range(n)],
        "rmsf": [{"chain": chains[i], "resid": resids[i], "resname": resnames[i], "rmsf": float(r)}
                 for i, r in zip(ca, rmsf, strict=True)],
        "hbonds": [{"donor": label(dn), "acceptor": label(ac), "occupancy": o} for (dn, ac), o in occ.items()],
        "hbonds_distance_only": [{"donor": label(dn), "acceptor": label(ac), "occupancy": o}
                                 for (dn, ac), o in occ_distance_only.items()],
        "contacts": contacts,
        "event_frame": event,
        "mean_backbone_rmsd": float(bb.mean()),
        "max_ligand_rmsd": float(lig.max()),
        "most_flexible": f"{chains[ca[int(np.argmax(rmsf))]]}:{resnames[ca[int(np.argmax(rmsf))]]}"
                         f"{resids[ca[int(np.argmax(rmsf))]]}",
    }
