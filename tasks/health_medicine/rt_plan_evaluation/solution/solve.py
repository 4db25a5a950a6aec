#!/usr/bin/env python3
"""Oracle: validate the DICOM RT set with pydicom, rasterise the RTSTRUCT with plastimatch, compute DVHs and
the protocol on the initial plan, forward-plan the beam weights, write the final RTDOSE and the plan-check
report.

Forward planning (optimise(), also loaded by the grader for the reference optimum): minimise the priority
organ's mean dose with the PTV normalised to D95 = Rx, subject to PTV D98 >= 95 % Rx, PTV D2 <= 107 % Rx and
every other organ constraint (Dmax, Dmean, V<x>Gy). Weights are squares of free variables (non-negative); a
penalised Nelder-Mead from several starts, the best one polished.

The near-miss adversaries (adversaries/_shortcuts.py links here) run this same file under another name, and
that name switches on one shortcut; run as solve.py, none is taken:
- equal_weights: no forward planning, the dosimetrist's equal weights renormalised to D95 = Rx (plan_weights).
- homogeneity_only: weights chosen for the most homogeneous PTV dose (least D2% - D98%), organs ignored
  (plan_weights, homogeneous).
- replay_public_weights: no forward planning, the optimal weights of the site's public instance of version 1.6.1
  (whose beam arrangement was the same for every seed) replayed beam by beam (plan_weights, PUBLIC_WEIGHTS).
- whole_grid_dvh: the plan is right, but the DVHs are taken over the whole dose grid, not the structures
  (dvh_voxels).
- truncated_dvh: the plan and tables are right, but dvh.csv holds only the first few points of each curve (the
  low-dose shoulder, all at full volume), never reaching the structure's maximum (in main).
- protocol_copy: the plan is right, but the tables and report copy the protocol's limits as the values
  (copied_protocol).
- stale_in_sum: every RTDOSE in the export goes into the initial plan (the superseded one too), none excluded
  (in main).
- hedged_decision: all right, but the signed report states the decision as "approve or reject" (in main).
- contradicted_decision: all right, but the signed report, after stating the decision, concludes the other way
  (in main).
- plain_contradiction: all right, but the signed report also says, in a plain sentence before its decision line,
  that the plan is approved (or rejected) the other way (in main).
- label_contradiction: all right, but the signed report, after its decision line, gives the other decision after a
  label ("Outcome: rejected.") (in main).
- stance_contradiction: all right, but the signed report, after its decision line, says in other words that the final
  plan cannot (or can) be cleared for treatment, the other way (in main).
- negated_contradiction: all right, but the signed report, after its decision line, says that the final plan is not
  approved (or not rejected) (in main).
- reworded_contradiction: all right, but the signed report, after its decision line, takes the other stance in words the
  earlier readers missed: "The final plan, in my judgement, must not be delivered." beside an approval, "I sign off the
  final plan for treatment." beside a rejection (in main).
- concessive_contradiction: all right, but the signed report, after its decision line, takes the other stance after a
  concession set off by commas ("The final plan, although coverage is good, must not be delivered.") or says the plan
  can be used for treatment beside a rejection (in main).
- approver_contradiction: all right, but the signed report, after its decision line, has a named approver take the
  other stance: "Physics does not approve the final plan." beside an approval, "The final plan is good to go." beside a
  rejection (in main).
- order_contradiction: all right, but the signed report, after its decision line, gives an order the other way: "Do not
  treat with this plan." beside an approval, "Go ahead with the final plan." beside a rejection (in main).
- plan_verdict_verbs: all right, but the signed report, after its decision line, gives the final plan the other verdict
  with a bare verdict verb: "The final plan fails." beside an approval, "The final plan passes." beside a rejection (in
  main).
- go_ahead_on_reject: all right, but the signed report, after its decision line, says the final plan is a no-go beside an
  approval, or gets the go-ahead beside a rejection (in main).
- report_proceed_forms: all right, but the signed report, after its decision line, says in words of proceeding
  or sending back that the final plan is not to go on: "We will not proceed." beside an approval, "We can proceed
  with the final plan." beside a rejection (in main).
- report_thumbs_up: all right, but the signed report, after its decision line, gives the final plan a thumbs up (or
  down) the other way: "Thumbs up for the final plan." beside a rejection (in main).
- treatment_timing: all right, but the signed report, after its decision line, says when treatment starts the other
  way: "Treatment is postponed." beside an approval, "Treatment starts on Monday." beside a rejection (in main).
- report_says_no: all right, but the signed report, after its decision line, answers the other way in words no
  stance list held: "Physics says no." beside an approval, "All systems go for the final plan." beside a rejection.
- report_booking: all right, but the signed report, after its decision line, books or moves the treatment the other
  way: "Treatment will be rescheduled." beside an approval, "Book the first fraction." beside a rejection.
- governing_misstated: all right, but the signed report names another constraint (the one with the widest margin) as the
  governing one; the JSON names the right one (in main).
- number_spray_report: all right, but the signed report leaves out the constraint table, the weights and the
  indices and carries a run of numbers from 0 to 150 in steps of 0.01 instead, so that every figure is "in" it
  (in main).

ALE-CANARY-508e41a6-ba27-4044-becc-5a16b15cd260
"""

import copy
import csv
import gzip
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
SHORTCUT = Path(__file__).stem
# shortcut replay_public_weights: the public instances' optimal weights in version 1.6.1, by priority organ (site)
PUBLIC_WEIGHTS = {"Rectum": [0.0, 0.0, 2.2978, 0.9334, 1.5738],
                  "Parotid_R": [0.0727, 0.8448, 0.0, 2.2641, 0.6176, 2.0289],
                  "Lungs": [0.0, 2.9077, 0.0, 2.2614, 0.7245, 0.0]}


def normalised(w: np.ndarray, ptv_doses: np.ndarray, rx: float) -> np.ndarray:
    return w * (rx / np.percentile(w @ ptv_doses, 5.0))


def organ_value(d: np.ndarray, metric: str, tol: float = 0.0) -> float:
    """Dmean, Dmax (Gy) or V<x>Gy (% volume, voxels from x - tol Gy up) of a structure's dose voxels."""
    if metric == "Dmean":
        return float(d.mean())
    if metric == "Dmax":
        return float(d.max())
    level = float(re.fullmatch(r"V(\d+(?:\.\d+)?)Gy", metric).group(1))
    return float(100.0 * np.mean(d >= level - tol))


def optimise(ptv_doses: np.ndarray, priority: np.ndarray, rx: float, constraints: list[tuple[np.ndarray, str, float]],
             hot: float = 1.07, cold: float = 0.95, margin: float = 0.004, seed: int = 0) -> np.ndarray:
    """ptv_doses: beams x PTV voxels (Gy per unit weight); priority: beams x voxels of the organ whose mean is
    minimised; constraints: (beams x voxels, metric, limit) per organ constraint."""
    n = ptv_doses.shape[0]
    priority_mean = priority.mean(axis=1)

    def weights(x: np.ndarray) -> np.ndarray:
        return normalised(x ** 2 + 1e-9, ptv_doses, rx)

    def cost(x: np.ndarray) -> float:
        w = weights(x)
        d = w @ ptv_doses
        excess = max(0.0, np.percentile(d, 98.0) / rx - (hot - margin)) + max(0.0, (cold + margin) - np.percentile(d, 2.0) / rx)
        for doses, metric, limit in constraints:
            excess += max(0.0, organ_value(w @ doses, metric) / limit - (1 - 2 * margin))
        return float(w @ priority_mean) / rx + 200.0 * excess + 1e4 * excess ** 2

    rng = np.random.default_rng(seed)
    starts = [np.ones(n)] + [np.where(np.arange(n) == i, 0.4, 1.0) for i in range(n)]
    starts += [rng.uniform(0.2, 1.0, n) for _ in range(6)]
    best = None
    for x0 in starts:
        res = minimize(cost, x0, method="Nelder-Mead", options={"maxiter": 2500, "xatol": 1e-4, "fatol": 1e-7})
        if best is None or res.fun < best.fun:
            best = res
    for _ in range(3):
        res = minimize(cost, best.x, method="Nelder-Mead", options={"maxiter": 3000, "xatol": 1e-5, "fatol": 1e-9})
        if res.fun < best.fun - 1e-9:
            best = res
        else:
            break
    return weights(best.x)


def homogeneous(ptv_doses: np.ndarray) -> np.ndarray:
    """Shortcut homogeneity_only: weights giving the least PTV D2% - D98% spread."""
    def spread(x):
        d = (x ** 2 + 1e-9) @ ptv_doses
        return float((np.percentile(d, 98.0) - np.percentile(d, 2.0)) / np.percentile(d, 50.0))
    res = minimize(spread, np.ones(ptv_doses.shape[0]), method="Nelder-Mead", options={"maxiter": 3000})
    return res.x ** 2 + 1e-9


def plan_weights(stack, priority: dict, others: list[dict], rx: float, n: int) -> np.ndarray:
    """The forward-planned beam weights (before normalisation); shortcuts equal_weights, homogeneity_only and
    replay_public_weights."""
    if SHORTCUT == "equal_weights":
        return np.ones(n)
    if SHORTCUT == "homogeneity_only":
        return homogeneous(stack("PTV"))
    if SHORTCUT == "replay_public_weights":
        return np.array(PUBLIC_WEIGHTS[priority["structure"]])
    return optimise(stack("PTV"), stack(priority["structure"]), rx,
                    [(stack(c["structure"]), c["metric"], c["limit"]) for c in others])


def dvh_voxels(dose: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The structure's dose voxels; shortcut whole_grid_dvh takes the whole dose grid."""
    return dose.ravel() if SHORTCUT == "whole_grid_dvh" else dose[mask]


def copied_protocol(tables: dict[str, list[dict]], rx: float) -> tuple[float, float, float, float]:
    """Shortcut protocol_copy: every constraint's value set to its limit (and held), and the PTV D98/D95/D50/D2
    to the protocol's coverage, prescription and hot-spot levels."""
    for rows in tables.values():
        for r in rows:
            r["value"], r["margin"], r["pass"] = r["limit"], 0.0, True
    return 0.95 * rx, rx, rx, 1.07 * rx


def physical(d) -> np.ndarray:
    """An RTDOSE's grid in Gy."""
    return d.pixel_array.astype(np.float64) * float(d.DoseGridScaling)


def read_nrrd(path: Path) -> np.ndarray:
    raw = path.read_bytes()
    end = raw.index(b"\n\n")
    header = raw[:end].decode()
    sizes = [int(v) for v in re.search(r"^sizes: (.*)$", header, re.M).group(1).split()]
    data = raw[end + 2:]
    if re.search(r"^encoding: gzip", header, re.M):
        data = gzip.decompress(data)
    return np.frombuffer(data, np.uint8).reshape(sizes[::-1]) > 0


def grid_of(ds) -> tuple:
    return (tuple(round(float(v), 3) for v in ds.ImagePositionPatient), tuple(float(v) for v in ds.PixelSpacing),
            int(ds.Rows), int(ds.Columns), tuple(round(float(v), 3) for v in ds.GridFrameOffsetVector))


def dose_at(dose: np.ndarray, mask: np.ndarray, pct: float) -> float:
    return float(np.percentile(dose[mask], 100.0 - pct))


def metric(dose: np.ndarray, mask: np.ndarray, name: str) -> float:
    if m := re.fullmatch(r"D(\d+(?:\.\d+)?)%", name):
        return dose_at(dose, mask, float(m.group(1)))
    return organ_value(dose[mask], name, tol=1e-9)


def evaluate(dose, masks, protocol):
    rx = protocol["prescription"]["dose_gy"]
    rows = []
    for c in protocol["constraints"]:
        limit = c["limit"] if "limit" in c else c["limit_pct_rx"] * rx / 100.0
        value = metric(dose, masks[c["structure"]], c["metric"])
        margin = (value - limit) / limit if c["comparison"] == ">=" else (limit - value) / limit
        rows.append({"structure": c["structure"], "metric": c["metric"], "value": value, "limit": limit,
                     "unit": "%" if c["metric"].startswith("V") else "Gy", "pass": margin >= 0, "margin": margin})
    return rows


def main() -> None:
    # pydicom lives in the task's tool environment only; the grader loads optimise() from here without it
    import pydicom
    from pydicom.uid import generate_uid

    protocol = json.loads((INPUT / "protocol.json").read_text())
    rx = protocol["prescription"]["dose_gy"]
    files = [pydicom.dcmread(p) for p in sorted((INPUT / "dicom").glob("*.dcm"))]
    cts = sorted((d for d in files if d.Modality == "CT"), key=lambda d: float(d.ImagePositionPatient[2]))
    struct = next(d for d in files if d.Modality == "RTSTRUCT")
    plan = next(d for d in files if d.Modality == "RTPLAN")
    frame = cts[0].FrameOfReferenceUID
    assert struct.FrameOfReferenceUID == frame and plan.FrameOfReferenceUID == frame
    beams = {int(b.BeamNumber): str(b.BeamName) for b in plan.BeamSequence}
    beam_doses, superseded, template = {}, [], None
    for d in (d for d in files if d.Modality == "RTDOSE"):
        refs_plan = d.ReferencedRTPlanSequence[0].ReferencedSOPInstanceUID == plan.SOPInstanceUID
        if d.FrameOfReferenceUID != frame or not refs_plan or d.DoseSummationType != "BEAM":
            superseded.append(d)
            continue
        number = int(d.ReferencedRTPlanSequence[0].ReferencedFractionGroupSequence[0].ReferencedBeamSequence[0].ReferencedBeamNumber)
        beam_doses[number] = physical(d)
        if template is None:
            template = d
        assert grid_of(d) == grid_of(template), "beam dose grids differ"
    assert set(beam_doses) == set(beams), "a beam has no dose grid"
    numbers = sorted(beams)

    with tempfile.TemporaryDirectory() as work:
        ct_dir = Path(work) / "ct"
        ct_dir.mkdir()
        for d in cts:
            d.save_as(ct_dir / f"{d.SOPInstanceUID}.dcm")
        rs = next(p for p in (INPUT / "dicom").glob("*.dcm") if pydicom.dcmread(p, stop_before_pixels=True).Modality == "RTSTRUCT")
        subprocess.run(["plastimatch", "convert", "--input", str(rs), "--referenced-ct", str(ct_dir),
                        "--output-prefix", f"{work}/masks", "--prefix-format", "nrrd"], check=True, capture_output=True)
        masks = {p.stem: read_nrrd(p) for p in Path(work, "masks").glob("*.nrrd")}
    # the masks are on the CT grid; the dose grid must be the same one
    shape = next(iter(beam_doses.values())).shape
    ct_origin = tuple(round(float(v), 3) for v in cts[0].ImagePositionPatient)
    assert ct_origin == grid_of(template)[0] and shape == next(iter(masks.values())).shape, "dose grid is not the CT grid"

    initial = sum(beam_doses[n] for n in numbers)
    excluded = [str(d.SOPInstanceUID) for d in superseded]
    if SHORTCUT == "stale_in_sum":  # every dose object in the export summed, none excluded
        initial, excluded = initial + sum(physical(d) for d in superseded), []
    priority = next(c for c in protocol["constraints"] if c["role"].startswith("priority"))
    others = [c for c in protocol["constraints"] if c["structure"] != "PTV" and c is not priority]
    stack = lambda name: np.array([beam_doses[n][masks[name]] for n in numbers])  # noqa: E731
    weights = normalised(plan_weights(stack, priority, others, rx, len(numbers)), stack("PTV"), rx)
    final = sum(w * beam_doses[n] for w, n in zip(weights, numbers, strict=True))

    OUTPUT.mkdir(parents=True, exist_ok=True)
    out = copy.deepcopy(template)
    scaling = float(f"{final.max() / 4.0e9:.6e}")
    out.PixelData = np.rint(final / scaling).astype("<u4").tobytes()
    out.DoseGridScaling = f"{scaling:.6e}"
    out.DoseSummationType = "PLAN"
    out.SOPInstanceUID = out.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    out.SeriesInstanceUID = generate_uid()
    del out.ReferencedRTPlanSequence[0].ReferencedFractionGroupSequence
    out.DoseComment = "Final plan after forward re-weighting"
    out.save_as(OUTPUT / "final_dose.dcm", enforce_file_format=True)
    final = pydicom.dcmread(OUTPUT / "final_dose.dcm").pixel_array * scaling

    structures = protocol["dvh_structures"]
    # from 0 Gy to above the highest dose of either plan, in 0.5 Gy steps
    levels = np.arange(0.0, max(1.25 * rx, float(initial.max()), float(final.max())) + 0.5, 0.5)
    if SHORTCUT == "truncated_dvh":
        levels = levels[:5]
    with (OUTPUT / "dvh.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["structure", "plan", "dose_gy", "volume_pct"])
        for label, dose in (("initial", initial), ("final", final)):
            for s in structures:
                d = dvh_voxels(dose, masks[s])
                writer.writerows([s, label, f"{lv:.2f}", f"{100.0 * np.mean(d >= lv):.3f}"] for lv in levels)
    tables = {"initial": evaluate(initial, masks, protocol), "final": evaluate(final, masks, protocol)}
    ptv = masks["PTV"]
    d98, d95, d50, d2 = (dose_at(final, ptv, p) for p in (98, 95, 50, 2))
    if SHORTCUT == "protocol_copy":
        d98, d95, d50, d2 = copied_protocol(tables, rx)
    with (OUTPUT / "constraints.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["plan", "structure", "metric", "value", "limit", "unit", "pass"])
        for label, rows in tables.items():
            writer.writerows([label, r["structure"], r["metric"], f"{r['value']:.3f}", f"{r['limit']:.3f}", r["unit"],
                              "yes" if r["pass"] else "no"] for r in rows)
    with (OUTPUT / "beam_weights.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["beam_number", "beam_name", "weight"])
        writer.writerows([n, beams[n], f"{w:.6f}"] for n, w in zip(numbers, weights, strict=True))

    rows = tables["final"]
    failing = [r for r in rows if not r["pass"]]
    decision = "reject" if failing else "approve"
    governing = min(rows, key=lambda r: r["margin"])
    piv, tv_piv = (final >= rx).sum(), (final[ptv] >= rx).sum()
    objective = metric(final, masks[priority["structure"]], "Dmean")
    report = {
        "patient_id": str(cts[0].PatientID), "plan_label": str(plan.RTPlanLabel),
        "prescription_gy": rx, "fractions": protocol["prescription"]["fractions"],
        "excluded_dose_objects": excluded,
        "final_plan": {"ptv_d98_gy": d98, "ptv_d95_gy": d95, "ptv_d50_gy": d50, "ptv_d2_gy": d2,
                       "paddick_ci": float(tv_piv ** 2 / (ptv.sum() * piv)), "homogeneity_index": (d2 - d98) / d50,
                       "priority_objective": {"structure": priority["structure"], "metric": "Dmean", "value_gy": objective}},
        "decision": decision,
        "governing_constraint": f"{governing['structure']} {governing['metric']}",
        "signed_by": "A. Physicist, MPE", "date": "2026-12-03",
    }
    (OUTPUT / "plan_report.json").write_text(json.dumps(report, indent=2) + "\n")
    stated_governing = report["governing_constraint"]
    if SHORTCUT == "governing_misstated":  # the JSON names the right constraint, the signed report another one
        widest = max(rows, key=lambda r: r["margin"])  # never within the tie of the least margin
        stated_governing = f"{widest['structure']} {widest['metric']}"
    lines = [f"# Plan check: {plan.RTPlanLabel} ({protocol['site']})", "",
             f"Prescription {rx:g} Gy in {protocol['prescription']['fractions']} fractions to the PTV; final plan "
             f"normalised to PTV D95% = {d95:.2f} Gy.", "",
             f"Dose objects excluded (other frame of reference or plan): {', '.join(excluded) or 'none'}.", "",
             "| constraint | initial | final | limit | final passes |", "|---|---|---|---|---|"]
    for a, b in zip(tables["initial"], rows, strict=True):
        lines.append(f"| {b['structure']} {b['metric']} | {a['value']:.2f} | {b['value']:.2f} | {b['limit']:.2f} {b['unit']} | "
                     f"{'yes' if b['pass'] else 'no'} |")
    lines += ["", f"Beam weights: {', '.join(f'{beams[n]} {w:.4f}' for n, w in zip(numbers, weights, strict=True))}.", "",
              f"Paddick CI {report['final_plan']['paddick_ci']:.3f}, ICRU-83 HI {report['final_plan']['homogeneity_index']:.3f}, "
              f"{priority['structure']} mean dose {objective:.2f} Gy.", "",
              *([f"The plan is {'approved' if decision == 'reject' else 'rejected'}.", ""]
                if SHORTCUT == "plain_contradiction" else []),
              f"Decision: {'APPROVE or REJECT' if SHORTCUT == 'hedged_decision' else decision.upper()}", "",
              f"Governing constraint: {stated_governing} "
              f"({governing['value']:.2f} against {governing['limit']:.2f} {governing['unit']}).", "",
              *([f"Conclusion: {'reject' if decision == 'approve' else 'approve'} the plan as it stands.", ""]
                if SHORTCUT == "contradicted_decision" else []),
              *([f"Outcome: {'rejected' if decision == 'approve' else 'approved'}.", ""]
                if SHORTCUT == "label_contradiction" else []),
              *([f"The final plan's dose distribution means it {'cannot' if decision == 'approve' else 'can'} be cleared "
                 "for treatment.", ""] if SHORTCUT == "stance_contradiction" else []),
              *([f"The final plan is not {'approved' if decision == 'approve' else 'rejected'}.", ""]
                if SHORTCUT == "negated_contradiction" else []),
              *([("The final plan, in my judgement, must not be delivered." if decision == "approve"
                  else "I sign off the final plan for treatment."), ""] if SHORTCUT == "reworded_contradiction" else []),
              *([("The final plan, although coverage is good, must not be delivered." if decision == "approve"
                  else "The final plan can be used for treatment."), ""] if SHORTCUT == "concessive_contradiction" else []),
              *([("Physics does not approve the final plan." if decision == "approve"
                  else "The final plan is good to go."), ""] if SHORTCUT == "approver_contradiction" else []),
              *([("Do not treat with this plan." if decision == "approve"
                  else "Go ahead with the final plan."), ""] if SHORTCUT == "order_contradiction" else []),
              *([f"The final plan {'fails' if decision == 'approve' else 'passes'}.", ""]
                if SHORTCUT == "plan_verdict_verbs" else []),
              *([f"The final plan {'is a no-go' if decision == 'approve' else 'gets the go-ahead'}.", ""]
                if SHORTCUT == "go_ahead_on_reject" else []),
              *([("We will not proceed." if decision == "approve" else "We can proceed with the final plan."), ""]
                if SHORTCUT == "report_proceed_forms" else []),
              *([f"Thumbs {'down' if decision == 'approve' else 'up'} for the final plan.", ""]
                if SHORTCUT == "report_thumbs_up" else []),
              *([("Treatment is postponed." if decision == "approve" else "Treatment starts on Monday."), ""]
                if SHORTCUT == "treatment_timing" else []),
              *([("Physics says no." if decision == "approve" else "All systems go for the final plan."), ""]
                if SHORTCUT == "report_says_no" else []),
              *([("Treatment will be rescheduled." if decision == "approve" else "Book the first fraction."), ""]
                if SHORTCUT == "report_booking" else []),
              f"Signed: {report['signed_by']}, {report['date']}"]
    if SHORTCUT == "number_spray_report":
        lines = [line for line in lines if not line.startswith(("|", "Beam weights", "Paddick"))]
        lines[-2:-2] = [f"{priority['structure']} mean dose {objective:.2f} Gy.", "",
                        " ".join(f"{i / 100:.2f}" for i in range(15001)), ""]
    (OUTPUT / "plan_report.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
