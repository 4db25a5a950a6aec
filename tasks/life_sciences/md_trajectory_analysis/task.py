"""Protein-ligand MD run analysis: PBC clean-up, fitted RMSD, RMSF, hydrogen bonds, contacts, figure, summary.

Workflow: a computational structural biologist gets the topology PDB and the XTC of a short production run
of a protein-ligand complex, written per atom into the periodic box (molecules broken across the box
edges) while the complex drifts and tumbles. Before the group meeting they make the system whole, fit every
frame on the stated backbone selection, and report backbone and ligand RMSD, C-alpha RMSF, protein-ligand
hydrogen-bond occupancies under stated criteria, ligand contact fractions, an RMSD figure and a summary.

Variants: ``pose_shift`` (the ligand flips about its carbonyl and loses its hydroxyl hydrogen bond at a
designed frame), ``unbinding`` (the ligand leaves the pocket through the bundle's open end), ``two_chain``
(a stable binder on chain A while the chain-B peptide swings on a hinge: the fit must be on chain A).

Grade: the reference is computed by ``analysis.analyse`` from the unwrapped truth of the construction
(``build``), on the 0.01 A grid the XTC stores. The grader compares both RMSD series frame by frame, the
RMSF per residue, the hydrogen-bond and contact tables (with a band around the 10 % threshold where either
answer is accepted), reads the figure back from its pixels, and checks the summary's key numbers against
the reference and against the agent's own tables.
"""
# ALE-CANARY-c31547a8-cba0-40a8-9011-616139545f1a

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import numpy as np

from lastexam.task import Grading, Params, as_number, run_tool_script

from . import analysis, build

FIT_CHAINS = {"pose_shift": ("A",), "unbinding": ("A",), "two_chain": ("A",)}
BAND = 0.02  # occupancy/fraction band around the threshold where listing or omitting a row is accepted


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    rng = np.random.default_rng(params["seed"])
    scenario = params["scenario"]
    system = build.build_system(scenario, params["helix_len"], rng)
    motion = build.build_trajectory(system, scenario, params["frames"], rng)
    wrapped = build.wrap(motion.unwrapped, motion.box)
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "spec.npz"
        np.savez(spec, names=np.array(system.names), elements=np.array(system.elements),
                 resnames=np.array(system.resnames), resids=np.array(system.resids), chains=np.array(system.chains),
                 pdb_xyz=motion.unwrapped[0], wrapped=wrapped, box=motion.box, dt_ps=float(params["dt_ps"]),
                 title=str(params["system"]))
        run_tool_script(__file__, Path(__file__).with_name("synth.py"), str(spec), str(input_dir))
    (input_dir / "run_notes.txt").write_text(_notes(params, motion.box))
    ref = analysis.analyse(motion.unwrapped, system.names, system.elements, system.resnames, system.resids,
                           system.chains, FIT_CHAINS[scenario], float(params["dt_ps"]))
    ref["designed"] = {"event_frame": motion.event_frame, "loop": system.loop, "partners": system.designed}
    (reference_dir / "reference.json").write_text(json.dumps(ref))


def _notes(params: Params, box: float) -> str:
    return (f"System: {params['system']}\n"
            f"Production run, NPT 300 K / 1 bar, 2 fs time step, coordinates saved every {params['dt_ps']:g} ps\n"
            f"Frames: {params['frames']} (frame 0 = t 0 ps = topology.pdb)\n"
            f"Box: cubic, {box / 10:.3f} nm (per-frame box in the XTC)\n"
            "Output: trajectory.xtc written with every atom put in the box (pbc atom); not centred, not fitted.\n"
            "Topology: topology.pdb (protein chain(s) A/B, ligand LIG as HETATM chain L; polar hydrogens only).\n")


# ------------------------------------------------------------------------------------------------
# grading
# ------------------------------------------------------------------------------------------------

def _num(value: object) -> float | None:
    number = as_number(value)
    return None if number is None or not np.isfinite(number) else float(number)


def _norm_label(value: object) -> str:
    return re.sub(r"\s+", "", str(value or "")).upper()


def _series_share(g: Grading, name: str, rows: list[dict], ref: list[dict], column: str, tol: float,
                  weight: float) -> np.ndarray | None:
    """Share of frames whose value is within ``tol`` of the reference (pass at 98 %); returns the values read."""
    by_frame = {}
    for row in rows:
        frame = _num(row.get("frame"))
        if frame is not None:
            by_frame[int(frame)] = _num(row.get(column))
    values, wrong, right = [], [], 0
    for want in ref:
        got = by_frame.get(want["frame"])
        values.append(np.nan if got is None else got)
        if got is not None and abs(got - want[column]) <= tol:
            right += 1
        else:
            wrong.append(f"frame {want['frame']}: {got} want {want[column]:.3f}")
    g.share(name, right, len(ref), wrong=wrong, weight=weight, threshold=0.98, noun="frames")
    return np.array(values)


def _thresholded(found: dict[str, float], ref: dict[str, float], tol: float) -> dict[str, object]:
    """Verdicts for a thresholded table: rows the reference puts clearly above the threshold must be listed
    with a value within ``tol``; rows clearly below must not be listed; rows in the band may be either."""
    verdicts: dict[str, object] = {}
    for key, want in ref.items():
        if want >= analysis.THRESHOLD + BAND:
            got = found.get(key)
            verdicts[key] = ("missing" if key not in found else True if got is not None and abs(got - want) <= tol
                             else f"{got} want {want:.3f}")
        elif key in found and want > analysis.THRESHOLD - BAND:
            got = found[key]
            verdicts[key] = True if got is not None and abs(got - want) <= tol else f"{got} want {want:.3f}"
    for key in found:
        if key not in verdicts and ref.get(key, 0.0) <= analysis.THRESHOLD - BAND:
            verdicts[key] = f"not above {analysis.THRESHOLD:.0%} (reference {ref.get(key, 0.0):.3f})"
    return verdicts


def _summary_value(text: str, label: str) -> str | None:
    match = re.search(rf"{label}\s*[:=]\s*\**\s*([^\n*|]+)", text, flags=re.IGNORECASE)
    return match.group(1).strip() if match else None


def grade(g: Grading) -> None:
    files = ("rmsd.csv", "rmsf.csv", "hbonds.csv", "contacts.csv", "rmsd.png", "md_summary.md")
    if not g.require_files(*files):
        return
    ref = g.reference_json("reference.json")
    rmsd_rows = g.read_csv("rmsd.csv", required_columns=["frame", "time_ps", "rmsd_backbone", "rmsd_ligand"])
    rmsf_rows = g.read_csv("rmsf.csv", required_columns=["chain", "resid", "resname", "rmsf"])
    hb_rows = g.read_csv("hbonds.csv", required_columns=["donor", "acceptor", "occupancy"])
    contact_rows = g.read_csv("contacts.csv", required_columns=["chain", "resid", "resname", "contact_fraction"])
    summary = g.read_text("md_summary.md")
    if None in (rmsd_rows, rmsf_rows, hb_rows, contact_rows, summary):
        return

    # RMSD: every frame with its time, both series against the reference
    times = {int(f): _num(r.get("time_ps")) for r in rmsd_rows if (f := _num(r.get("frame"))) is not None}
    g.check("rmsd.csv has every frame with its time", len(rmsd_rows) == len(ref["rmsd"]) and all(
        times.get(w["frame"]) is not None and abs(times[w["frame"]] - w["time_ps"]) < 0.01 for w in ref["rmsd"]),
        expected=f"{len(ref['rmsd'])} frames", found=f"{len(rmsd_rows)} rows")
    # the XTC's coordinates are the reference's to float precision, so the stated fit reproduces both series to
    # about 1e-4 A; a fit on other atoms (C-alpha only) lands 0.006-0.04 A away
    backbone = _series_share(g, "backbone RMSD after the fit (0.005 A)", rmsd_rows, ref["rmsd"], "rmsd_backbone",
                             0.005, 3)
    ligand = _series_share(g, "ligand RMSD in the protein frame (0.01 A)", rmsd_rows, ref["rmsd"], "rmsd_ligand",
                           0.01, 3)

    # RMSF per residue
    want_rmsf = {f"{r['chain']}:{r['resid']}": r["rmsf"] for r in ref["rmsf"]}
    got_rmsf = {f"{r.get('chain', '').strip().upper()}:{int(v) if (v := _num(r.get('resid'))) is not None else ''}":
                _num(r.get("rmsf")) for r in rmsf_rows}
    rmsf_ok = sum(1 for k, w in want_rmsf.items()
                  if got_rmsf.get(k) is not None and abs(got_rmsf[k] - w) <= max(0.1, 0.05 * w))
    extra = len(set(got_rmsf) - set(want_rmsf))
    g.share("C-alpha RMSF per residue (0.1 A or 5 %)", rmsf_ok, len(want_rmsf) + extra, weight=2, threshold=0.97,
            noun="residues", wrong=[f"{k}: {got_rmsf.get(k)} want {w:.2f}" for k, w in want_rmsf.items()
                                    if got_rmsf.get(k) is None or abs(got_rmsf[k] - w) > max(0.1, 0.05 * w)])

    # hydrogen bonds: stated criteria, angle included
    ref_hb = {f"{_norm_label(r['donor'])}|{_norm_label(r['acceptor'])}": r["occupancy"] for r in ref["hbonds"]}
    got_hb = {f"{_norm_label(r.get('donor'))}|{_norm_label(r.get('acceptor'))}": _frac(r.get("occupancy"))
              for r in hb_rows}
    g.fraction("protein-ligand hydrogen bonds and occupancies (0.03)", _thresholded(got_hb, ref_hb, 0.03),
               weight=2, noun="hydrogen bonds")
    distance_only = {f"{_norm_label(r['donor'])}|{_norm_label(r['acceptor'])}" for r in ref["hbonds_distance_only"]
                     if r["occupancy"] >= analysis.THRESHOLD and ref_hb.get(
                         f"{_norm_label(r['donor'])}|{_norm_label(r['acceptor'])}", 0.0) < analysis.THRESHOLD - BAND}
    listed = sorted(distance_only & set(got_hb))
    g.check("no donor-acceptor pair that fails the angle criterion", not listed, expected="none", found=listed or None)

    # contacts: residue set (F1) and fractions
    ref_ct = {_norm_label(k): v for k, v in ref["contacts"].items()}
    got_ct = {}
    for r in contact_rows:
        resid = _num(r.get("resid"))
        got_ct[_norm_label(f"{r.get('chain')}:{r.get('resname')}{int(resid) if resid is not None else ''}")] = _frac(
            r.get("contact_fraction"))
    must = {k for k, v in ref_ct.items() if v >= analysis.THRESHOLD + BAND}
    may = {k for k, v in ref_ct.items() if v > analysis.THRESHOLD - BAND}
    tp = len(must & set(got_ct))
    fp = len(set(got_ct) - may)
    f1 = 2 * tp / (2 * tp + fp + len(must - set(got_ct))) if must or got_ct else 1.0
    g.check("ligand-contacting residues (F1 >= 0.95)", 1.0 if f1 >= 0.95 else f1, weight=2, expected=sorted(must),
            found=f"F1 {f1:.2f}", reason="" if f1 >= 0.95 else f"missing {sorted(must - set(got_ct))[:5]}, "
            f"extra {sorted(set(got_ct) - may)[:5]}")
    g.fraction("contact fractions (0.03)", {k: True if v is not None and abs(v - ref_ct[k]) <= 0.03
                                             else f"{v} want {ref_ct[k]:.3f}"
                                             for k, v in got_ct.items() if k in may}, noun="residues")

    # the figure draws both series (two panels)
    pixels = g.image("rmsd.png")
    g.chart_draws("rmsd.png draws the backbone and ligand RMSD", pixels,
                  {"backbone": [r["rmsd_backbone"] for r in ref["rmsd"]],
                   "ligand": [r["rmsd_ligand"] for r in ref["rmsd"]]}, min_share=0.85)

    _grade_summary(g, summary, ref, backbone, ligand, got_hb, got_ct, rmsf_rows)


def _first_number(text: str | None) -> float | None:
    match = re.search(r"[-+]?\d+(?:\.\d+)?", text or "")
    return float(match.group()) if match else None


def _frac(value: object) -> float | None:
    """An occupancy or fraction as 0-1 (a percentage with a % sign is accepted)."""
    number = _num(value)
    if number is None:
        return None
    return number / 100 if "%" in str(value) else number


def _grade_summary(g: Grading, text: str, ref: dict, backbone: np.ndarray | None, ligand: np.ndarray | None,
                   got_hb: dict, got_ct: dict, rmsf_rows: list[dict]) -> None:
    """The summary's key numbers against the reference and against the agent's own tables."""
    mean_bb = _first_number(_summary_value(text, "mean backbone RMSD"))
    max_lig = _first_number(_summary_value(text, "maximum ligand RMSD"))
    event_text = _summary_value(text, "ligand event frame") or ""
    flexible = _norm_label(_summary_value(text, "most flexible residue"))
    n_hb = _first_number(_summary_value(text, "hydrogen bonds above threshold"))
    n_ct = _first_number(_summary_value(text, "contact residues"))

    g.number("summary: mean backbone RMSD", mean_bb, ref["mean_backbone_rmsd"], abs_tol=0.05)
    g.number("summary: maximum ligand RMSD", max_lig, ref["max_ligand_rmsd"], abs_tol=0.1)
    want_event = ref["event_frame"]
    event = _first_number(event_text)
    if want_event is None:
        ok = event is None and bool(re.search(r"\bnone\b", event_text, re.IGNORECASE))
    else:
        ok = event is not None and abs(event - want_event) <= 2
    g.check("summary: ligand event frame", ok, expected=want_event if want_event is not None else "none",
            found=event_text or None)
    rmsf_ref = sorted(ref["rmsf"], key=lambda r: -r["rmsf"])
    top = [_norm_label(f"{r['chain']}:{r['resname']}{r['resid']}") for r in rmsf_ref
           if r["rmsf"] >= rmsf_ref[0]["rmsf"] - 0.05]
    g.check("summary: most flexible residue", flexible in top, expected=top, found=flexible or None)

    consistent = []
    if backbone is not None and mean_bb is not None and np.isfinite(backbone).all():
        consistent.append(abs(mean_bb - float(np.mean(backbone))) <= 0.01 + 0.005 * abs(mean_bb))
    else:
        consistent.append(False)
    if ligand is not None and max_lig is not None and np.isfinite(ligand).all():
        consistent.append(abs(max_lig - float(np.max(ligand))) <= 0.01 + 0.005 * abs(max_lig))
    else:
        consistent.append(False)
    consistent.append(n_hb is not None and int(n_hb) == len(got_hb))
    consistent.append(n_ct is not None and int(n_ct) == len(got_ct))
    best = max(rmsf_rows, key=lambda r: _num(r.get("rmsf")) or -1.0, default=None)
    if best is not None:
        resid = _num(best.get("resid"))
        own = _norm_label(f"{best.get('chain')}:{best.get('resname')}{int(resid) if resid is not None else ''}")
        consistent.append(flexible == own)
    g.check("summary figures equal the tables", all(consistent) and len(consistent) == 5,
            expected="mean/max RMSD, H-bond and contact counts and the top RMSF residue as in the CSVs",
            found=consistent)

    # leaving the pocket is the unbinding run's move: there a ligand told still bound or in its pocket is a pose kept
    unbinding = g.params["scenario"] == "unbinding"
    moved, kept = _ligand_story(text, HELD_OR_BOUND if unbinding else HELD, KEPT_BOUND if unbinding else KEPT_POSE,
                                departed_denied=unbinding)
    if want_event is not None:  # the ligand RMSD leaves 2 A for good: the account must say the ligand moved
        story_ok = bool(moved) and not kept
        story = kept[0] if kept else moved[0] if moved else None
        reason = "" if story_ok else "claims the pose is kept" if kept else "the ligand's move is not told"
    else:  # the ligand stays within 2 A: the account must not tell it leaving or flipping
        left = [s for s in moved if _says(LIGAND_LEFT, s)]
        story_ok, story, reason = not left, left[0] if left else None, "claims the ligand left" if left else ""
    g.check("summary: its account of the ligand agrees with the ligand RMSD", story_ok,
            expected="moves out of its pose" if want_event is not None else "stays in its pose", found=story,
            reason=reason)


KEY_LINE = re.compile(r"mean backbone rmsd|maximum ligand rmsd|ligand event frame|most flexible residue|"
                      r"hydrogen bonds above threshold|contact residues", re.IGNORECASE)
LIGAND = re.compile(r"\bligand\b|\bLIG(?:_?\d+)?\b|\bfragment\b|\binhibitor\b|\bcompound\b|\bsmall\s+molecule\b|"
                    r"\bdrug\b|\bbinder\b", re.IGNORECASE)
# a sentence that goes on about the ligand of the sentence before, after a connective ("Nevertheless, it stays."); "this"
# before another subject ("This run keeps a stable conformation") is not the ligand
OTHER_SUBJECT = (r"(?:run|simulation|trajectory|protein|system|complex|receptor|enzyme|kinase|bromodomain|peptide|"
                 r"co-?activator|backbone|structure|replica|model|chain|domain|loop|region|helix|sheet|box|water|solvent|"
                 r"analysis|rmsd|rmsf|frame|period|time|stage|phase|part|protocol)")
SAME_SUBJECT = re.compile(r"(?:(?:throughout|during|over|for|in|across|after|by|at)\s+)?(?:(?:the|this|that)\s+(?:\w+\s+)?"
                          r"(?:run|simulation|trajectory|time|period|frame\w*)\W+)?"
                          r"(?:(?:nevertheless|nonetheless|however|still|yet|but|and|so|then|later|meanwhile|overall|"
                          r"instead|throughout|otherwise|afterwards?)\W+)*"
                          rf"(?:it|its|it's|this(?!\s+(?:\w+\s+)?{OTHER_SUBJECT}\w*\b)|the\s+molecule)\b",
                          re.IGNORECASE)
DEPARTED = re.compile(r"\b(?:leav\w*|left\s+(?:its|the)|unbind\w*|unbound|dissociat\w*|exit\w*|escap\w*|depart\w*|"
                      r"expel\w*|eject\w*|detach\w*|no\s+longer\s+(?:bound|binds?)|releas\w*|pops?\s+out|"
                      r"breaks?\s+away|pulls?\s+away|(?:diffus|wander|drift)\w*\s+(?:away|off|out)|"
                      r"out\s+of\s+(?:its|the)\s+(?:\w+\s+)?(?:pocket|site|cavity|groove)|"
                      r"(?:comes?|came|falls?|fell|floats?)\s+(?:off|out|away)|lost\s+from|"
                      r"(?:displac|mov|drift|diffus)\w*\s+(?:\w+\s+)?into\s+(?:the\s+)?(?:bulk\s+)?(?:solvent|solution|water))",
                      re.IGNORECASE)
LIGAND_LEFT = re.compile(DEPARTED.pattern + r"|\bflip\w*", re.IGNORECASE)
LIGAND_MOVED = re.compile(LIGAND_LEFT.pattern + r"|\b(?:shift\w*|rotat\w*|reorient\w*|displac\w*|los(?:es|t|ing)|"
                          r"rearrang\w*|drift\w*|moves?|moved|moving|chang\w*|ris(?:es|ing)|rose|increas\w*|jump\w*|"
                          r"slid\w*|slides?|slip\w*|migrat\w*|diffus\w*|relocat\w*|wander\w*|deviat\w*|"
                          r"tilt\w*|twist\w*|swing\w*|swung|climb\w*|grow\w*|grew|spik\w*|exceed\w*|cross\w*|above|"
                          r"goes\s+up|went\s+up|"
                          r"(?:new|different|alternative|second|another)\s+(?:\w+\s+)?(?:pose|orientation|site|mode))",
                          re.IGNORECASE)
POSE_KEPT = re.compile(r"\b(?:stay(?:s|ed|ing)?|remain(?:s|ed|ing)?|keep(?:s|ing)?|kept|hold(?:s|ing)?|held|"
                       r"sit(?:s|ting)?|sat|rest(?:s|ed|ing)?|"
                       r"maintain\w*|retain\w*|unchanged|preserv\w*|"
                       r"persist\w*|intact|stabl[ey])\b", re.IGNORECASE)
POSE_CHANGED = re.compile(r"\b(?:chang\w*|alter\w*|shift\w*|mov\w*|leav\w*|depart\w*|los(?:e|es|t|ing))\b", re.IGNORECASE)
NEGATED = re.compile(r"(?:\b(?:not|never|no|nor|without)|n't)\W+(?:\w+\W+){0,2}$", re.IGNORECASE)
HELD = re.compile(r"\b(?:pose|binding\s+mode|orientation|conformation|position)\b", re.IGNORECASE)
HELD_OR_BOUND = re.compile(HELD.pattern + r"|\b(?:bound|pocket|site|cavity)\b", re.IGNORECASE)
# a kept pose or binding told right after its verb, even beside a move ("leaves its pose but stays bound")
KEPT_POSE = re.compile(r"\W+(?:\w+\W+){0,2}?(?:pose|binding\s+mode|orientation)\b", re.IGNORECASE)
KEPT_BOUND = re.compile(KEPT_POSE.pattern + r"|\W+(?:\w+\W+){0,2}?(?:bound\b|docked\b|(?:in|inside|within)\s+(?:the|its)\s+"
                        r"(?:\w+\s+)?(?:pocket|site|cavity))", re.IGNORECASE)
# the starting pose kept, told further after its verb ("remains bound in the pocket in the original pose") or in the
# passive ("the binding pose is retained")
OLD_POSE = re.compile(r"\W+(?:\w+\W+){0,7}?(?:original|initial|starting|crystal|native|docked|same)\s+(?:binding\s+)?"
                      r"(?:pose|orientation|mode)\b", re.IGNORECASE)
# the ligand kept as it was docked, told after its verb ("stays docked as it was", "remains seated as at the start"),
# not bound as before (in the pose-shift run it stays bound in another pose)
AS_DOCKED = re.compile(r"\W+(?:\w+\W+){0,2}?(?:docked|posed|placed|positioned|oriented|seated|sitting|lying)\W+"
                       r"(?:\w+\W+){0,2}?as\s+(?:it\s+(?:was|started|began|did)|(?:at|in)\s+(?:the\s+)?(?:start|beginning|"
                       r"outset|first\s+frame|crystal\s+structure)|before|initially|originally)\b", re.IGNORECASE)
# its pose said the same at the end as at the start ("the ligand pose is the same at the end as at the start", "the
# pose at the end is the same as in the first frame", "identical to the one in frame 0", "matches the first frame")
SAME_AS_START = re.compile(r"\b(?:(?P<same>same|identical|unchanged|indistinguishable)\b(?:\W+\w+){0,8}?\W+(?:as|to|from|with)|"
                           r"(?:match(?:es|ed|ing)?|mirror(?:s|ed|ing)?|equal(?:s|led|ling)?|resembl(?:es|ed|ing)|"
                           r"reproduc(?:es|ed|ing))(?:\s+(?:that|those)\s+of)?)"
                           r"\s+(?:(?:the\s+)?one\s+)?(?:(?:at|in|on)\s+)?(?:(?:the|its)\s+)?(?:\w+\s+)?(?:start\w*|beginning|"
                           r"outset|initial\w*|first\s+frames?|original|crystal|docked|topology|frame\s+0|t\s*=\s*0)\b",
                           re.IGNORECASE)
SAME_POSE = re.compile(r"\s+(?:\w+\s+)?(?:binding\s+)?(?:pose|orientation|mode|position|conformation)\b", re.IGNORECASE)
POSE_KEPT_PASSIVE = re.compile(r"\b(?:pose|binding\s+mode|orientation)\s+(?:is|was|gets|got|being|has\s+been)\s+"
                               r"(?:\w+\s+)?(?P<verb>kept|retained|maintained|preserved|conserved|held)\b", re.IGNORECASE)
RETURN = re.compile(r"\b(?:back|return\w*)\b", re.IGNORECASE)
NO_RETURN = re.compile(RETURN.pattern + r"|\b(?:again|not|never|no)\b|n't", re.IGNORECASE)
NEW_POSE = re.compile(r"\b(?:new|different|alternative|flipped|second|final|other|rotated|reversed|altered|this|that|"
                      r"latter)\b", re.IGNORECASE)
# the ligand told still for the run without naming a pose: a move denied ("does not move", "never budges", "no ligand
# movement") or a stay ("stays put", "remains where it started", "is stable throughout"); not of another thing named
# before it or right after (its contacts, H-bond partners, RMSD), of a later part of the run ("does not move back",
# "after ...") or of staying bound ("does not move out of the pocket")
STILL_DENIED = re.compile(r"\b(?:mov(?:e|es|ed|ing|ements?)|chang\w*|shift\w*|budg\w*|rotat\w*|drift\w*|deviat\w*|"
                          r"rearrang\w*|reorient\w*|stir\w*)\b", re.IGNORECASE)
STILL_KEPT = re.compile(r"\b(?:stay(?:s|ed|ing)?|remain(?:s|ed|ing)?|is|was|are|were|sit(?:s|ting)?|sat|"
                        r"rest(?:s|ed|ing)?)\W+(?:\w+\W+)??"
                        r"(?:put|stable|stationary|motionless|in\s+place|where\s+it\s+(?:start\w*|began|was|is)|"
                        r"throughout|all\s+along|(?:over|for|during)\s+the\s+(?:whole|entire|full))\b", re.IGNORECASE)
OTHER_THING = re.compile(r"\b(?:h-?bonds?|bonds?|bonding|hydrogen|partners?|contacts?|interactions?|rmsd|rmsf|"
                         r"backbone|protein|helix|loop|residues?|water|solvent)\b", re.IGNORECASE)
# the ligand told in its old pose at the end of the run ("ends in its starting pose", "at the end of the run the ligand
# is in its original pose", "returns to its original pose by the end", "ends up where it started")
# ("far from where it started", "relative to its original pose" measure from the old pose: no such telling)
OLD_POSE_AT_END = re.compile(r"(?<!relative\s)(?<!compared\s)(?<!respect\s)\b(?:in|to)\s+(?:its|the)\s+(?:\w+\s+)?"
                             r"(?:original|initial|starting|crystal|native|docked)\s+(?:binding\s+)?"
                             r"(?:pose|orientation|mode|position)\b|(?<!from\s)\bwhere\s+it\s+(?:start\w*|began)\b",
                             re.IGNORECASE)
AT_END = re.compile(r"\b(?:ends?|ended|ending|final|finish\w*|last\s+frames?)\b", re.IGNORECASE)
LATER_OR_BOUND = re.compile(r"\b(?:back|again|further|anymore|any\s+more|after\w*|since|once|new|second|another|"
                            r"different|out|away|off|bound|pocket|site|cavity|groove)\b", re.IGNORECASE)
# a pose told for part of the run only; "as in the first frame", "the one in the first frame" name the frame compared
# with, not a time
FOR_A_WHILE = re.compile(r"\b(?:until|till|before)\s+(?:frame|about|around|approximately|roughly|t\s*=|~?\d)|"
                         r"(?<!\bas\s)(?<!\bone\s)\b(?:for|during|in|over|within)\s+(?:the\s+first|about|around|approximately|roughly|"
                         r"nearly|almost|~?\d)|\binitially\b|\bat\s+first\b|\bthen\b|\bafter\s+which\b|"
                         r"\beventually\b|\bsubsequently\b|\blater\b", re.IGNORECASE)


def _says(pattern: re.Pattern, sentence: str) -> bool:
    """``pattern`` occurs in ``sentence`` with no negation before it."""
    return any(not NEGATED.search(sentence[:m.start()]) for m in pattern.finditer(sentence))


def _claims_kept(sentence: str, kept_what: re.Pattern) -> bool:
    """The sentence tells the ligand keeping its (old) pose or binding: a verb of keeping, not negated, or of
    changing, negated ("does not change its pose"), followed within a few words by what ``kept_what`` names, and
    not a new pose ("keeps this new orientation")."""
    for verb, denied in ((POSE_KEPT, False), (POSE_CHANGED, True)):
        for told in verb.finditer(sentence):
            held = (kept_what.match(sentence, told.end()) or OLD_POSE.match(sentence, told.end())
                    or AS_DOCKED.match(sentence, told.end()))
            # "stays there: it has left its original pose", "does not move back to", "stays bound but never returns to"
            if held and (LIGAND_MOVED.search(held.group()) or NO_RETURN.search(held.group())):
                continue
            if held and bool(NEGATED.search(sentence[:told.start()])) == denied and not NEW_POSE.search(held.group()):
                return True
    return any(not NEW_POSE.search(sentence[max(0, m.start() - 30):m.start()]) and not NEGATED.search(
        sentence[:m.start("verb")]) for m in POSE_KEPT_PASSIVE.finditer(sentence))


def _same_as_start(sentence: str) -> bool:
    """The sentence says the ligand's pose the same as at the start: its pose named before "same" or right after it,
    no other thing named between the ligand (or the sentence's start) and "same" ("the ligand's contacts are the same
    as at the start", "the ligand shifts, and the protein conformation is the same as at the start" are not); "same"
    not negated."""
    for m in SAME_AS_START.finditer(sentence):
        subject = max((ligand.end() for ligand in LIGAND.finditer(sentence, 0, m.start())), default=0)
        named = HELD.search(sentence, 0, m.start()) or SAME_POSE.match(sentence, m.end("same" if m["same"] else 0))
        if (named and not OTHER_THING.search(sentence[subject:m.start()])
                and not NEGATED.search(sentence[:m.start()])):
            return True
    return False


def _claims_still(sentence: str) -> bool:
    """The sentence tells the ligand still for the run (STILL_DENIED negated, or STILL_KEPT not negated), or in its
    old pose at the end. Another thing named between the ligand and the verb, or right after, tells of that thing
    ("the ligand's contacts remain stable"); one named before the ligand does not ("the loop is flexible, but the
    ligand stays put")."""
    def subject_start(at: int) -> int:
        named = [m.end() for m in LIGAND.finditer(sentence, 0, at)]
        return named[-1] if named else 0

    return any(bool(NEGATED.search(sentence[:m.start()])) == denied
               and not OTHER_THING.search(sentence[subject_start(m.start()):m.end() + 30])
               and not LATER_OR_BOUND.search(sentence[m.end():])
               for words, denied in ((STILL_DENIED, True), (STILL_KEPT, False)) for m in words.finditer(sentence)) or (
        bool(AT_END.search(sentence)) and any(not NEGATED.search(sentence[:m.start()]) and not OTHER_THING.search(
            sentence[subject_start(m.start()):m.start()]) for m in OLD_POSE_AT_END.finditer(sentence)))


def _ligand_story(text: str, held: re.Pattern, kept_what: re.Pattern,
                  departed_denied: bool) -> tuple[list[str], list[str]]:
    """The summary's sentences about the ligand (outside the labelled key lines) that tell it moving, and those
    that tell what ``held`` names (its pose, binding mode...) kept for the run: with no move in the same sentence,
    or, beside a move, told right after the verb (``kept_what``: "leaves its pose but stays bound"); with
    ``departed_denied``, a departure denied ("never leaves the pocket") is a pose kept too. A negated move ("does
    not leave") tells nothing else, but a pose not kept ("does not stay in its pose") tells a move, and a pose
    kept for a while ("until frame 120", "then leaves") tells neither. A sentence that opens with "It" (also after
    a phrase of the run's time, "Over the whole trajectory it ...") after one about the ligand is about the ligand;
    one that opens with "This run" or "This protein" is not."""
    moved, kept = [], []
    for line in text.splitlines():
        if KEY_LINE.search(line):
            continue
        about_ligand = False
        for sentence in re.split(r"(?<=[.!?;])\s+", line):
            about_ligand = bool(LIGAND.search(sentence) or (about_ligand and SAME_SUBJECT.match(sentence.strip())))
            if not about_ligand:
                continue
            told_move = _says(LIGAND_MOVED, sentence) or any(NEGATED.search(sentence[:m.start()])
                                                              for m in POSE_KEPT.finditer(sentence))
            if told_move:
                moved.append(sentence.strip())
            if FOR_A_WHILE.search(sentence):
                continue
            denied = departed_denied and any(NEGATED.search(sentence[:m.start()]) for m in DEPARTED.finditer(sentence))
            if (_claims_kept(sentence, kept_what) or denied or _same_as_start(sentence)
                    or (not told_move and _claims_still(sentence))
                    or (not told_move and _says(POSE_KEPT, sentence) and held.search(sentence)
                        and not RETURN.search(sentence))):
                kept.append(sentence.strip())
    return moved, kept
