"""High-content screen plate: nuclei counts and marker-positive fractions per well, with scikit-image.

Workflow: an imaging scientist receives one plate of a screen as ImageXpress-style single-channel 16-bit TIFFs
(w1 nuclear stain, w2 the marker), the camera's dark frame and a flat-field slide per channel, the plate map
and the lab's SOP. They correct each field for the camera offset and the vignetting, segment nuclei in w1,
split touching nuclei, drop debris, out-of-focus nuclei and (by the SOP) nuclei cut by the field edge, measure
the background-subtracted mean marker per nucleus, derive the positivity threshold from the negative-control
wells and report per well the count, positives, percent positive and mean marker intensity.

Variants: an EdU proliferation plate (12-bit camera, edge nuclei excluded, threshold mean + 3 SD of the
no-EdU wells) and a gamma-H2AX DNA-damage plate (16-bit camera, edge nuclei kept when their visible area is
in range, threshold median + 5 MAD of the DMSO wells), and a second EdU plate on the 16-bit camera with
two fields per well.

Grade: synth.py (run with the task's tifffile) draws every nucleus and records its true mask; the reference
applies the SOP to the truth. Where the negative controls would not tell the two threshold rules apart (within
3 %), the plate is drawn again with a share of their nuclei on a raised marker background (a stream of its own),
so the SOP's rule always decides. The grader checks per-well counts, percent positive and mean marker, the
threshold, a per-nucleus centroid match (F1) with areas, intensities and calls of the matched nuclei, that the
calls follow the reported threshold, and that the well table is the sum of the nucleus table.
"""
# ALE-CANARY-d01121f3-9216-48c3-b821-e8ece1ffc28e

from __future__ import annotations

import csv
import json
import math
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, as_number, run_tool_script, write_csv

PIXEL_UM = 0.65
SIZE = 512
MATCH_PX = 3.0

SCENARIOS: dict[str, dict[str, Any]] = {
    "edu_proliferation": {
        "rows": "BCD", "cols": [2, 3, 4, 5], "area_um2": (40.0, 250.0), "edge": "exclude", "threshold": "mean_3sd",
        "negative": "No EdU", "nuclei_per_field": 120, "blobs_per_field": 1.3, "debris_per_field": 8,
        "cluster_share": 0.16, "mitotic_share": 0.04,
        "camera": {"offset": 100, "sat": 4095, "gain": 0.5, "dapi": 1300, "dapi_bg": 60, "marker_neg": 110,
                   "marker_pos": 1500, "marker_bg": 70, "vignetting": 0.5, "flat_level": 2000},
        "wells": [
            ("No EdU", "negative_control", 0.0, 1.0), ("No EdU", "negative_control", 0.0, 1.0),
            ("DMSO 0.1%", "vehicle", 0.38, 1.0), ("DMSO 0.1%", "vehicle", 0.38, 1.0),
            ("Aphidicolin 1 uM", "positive_control", 0.04, 0.85), ("Aphidicolin 1 uM", "positive_control", 0.04, 0.85),
            ("CPD-0412 0.1 uM", "sample", 0.35, 1.0), ("CPD-0412 1 uM", "sample", 0.22, 0.9),
            ("CPD-0412 10 uM", "sample", 0.08, 0.6), ("CPD-0977 0.1 uM", "sample", 0.37, 1.0),
            ("CPD-0977 1 uM", "sample", 0.36, 0.95), ("CPD-0977 10 uM", "sample", 0.30, 0.8),
        ],
    },
    "gh2ax_damage": {
        "rows": "CDEF", "cols": [3, 4, 5, 6], "area_um2": (45.0, 260.0), "edge": "include", "threshold": "median_5mad",
        "negative": "DMSO 0.2%", "nuclei_per_field": 135, "blobs_per_field": 1.0, "debris_per_field": 9,
        "cluster_share": 0.2, "mitotic_share": 0.03,
        "camera": {"offset": 100, "sat": 65535, "gain": 0.12, "dapi": 9000, "dapi_bg": 500, "marker_neg": 800,
                   "marker_pos": 5200, "marker_bg": 450, "vignetting": 0.45, "flat_level": 15000},
        "wells": [
            ("DMSO 0.2%", "negative_control", 0.01, 1.0), ("DMSO 0.2%", "negative_control", 0.01, 1.0),
            ("DMSO 0.2%", "negative_control", 0.01, 1.0), ("Etoposide 20 uM", "positive_control", 0.65, 0.8),
            ("Etoposide 20 uM", "positive_control", 0.65, 0.8), ("Medium", "untreated", 0.01, 1.05),
            ("CPD-1180 0.3 uM", "sample", 0.03, 1.0), ("CPD-1180 1 uM", "sample", 0.10, 1.0),
            ("CPD-1180 3 uM", "sample", 0.28, 0.9), ("CPD-1180 10 uM", "sample", 0.52, 0.7),
            ("CPD-2201 0.3 uM", "sample", 0.02, 1.0), ("CPD-2201 1 uM", "sample", 0.02, 1.0),
            ("CPD-2201 3 uM", "sample", 0.05, 0.95), ("CPD-2201 10 uM", "sample", 0.12, 0.9),
            ("DMSO 0.2%", "negative_control", 0.01, 1.0), ("Medium", "untreated", 0.01, 1.05),
        ],
    },
}

SUMMARY_COLUMNS = ("well", "treatment", "nuclei_count", "positive_count", "percent_positive", "mean_marker_intensity")
NUCLEI_COLUMNS = ("well", "field", "x_px", "y_px", "area_um2", "marker_intensity", "positive")


# --------------------------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------------------------


def _plate(params: Params, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Wells in plate order with the treatments shuffled over them (the layout changes with the seed)."""
    sc = SCENARIOS[params["scenario"]]
    wells = [f"{r}{c:02d}" for r in sc["rows"] for c in sc["cols"]]
    order = rng.permutation(len(sc["wells"]))
    plate = []
    for well, index in zip(wells, order, strict=True):
        treatment, role, share, density = sc["wells"][index]
        share = min(0.95, max(0.0, share + (rng.uniform(-0.03, 0.03) if share > 0.02 else 0.0)))
        plate.append({"well": well, "treatment": treatment, "role": role, "positive_share": share,
                      "density": density * rng.uniform(0.9, 1.1)})
    return plate


def _sop(params: Params) -> str:
    sc = SCENARIOS[params["scenario"]]
    low, high = sc["area_um2"]
    edge = ("Nuclei touching the edge of the field (any mask pixel in the first or last row or column) are "
            "excluded: they are not counted and not measured." if sc["edge"] == "exclude" else
            "Nuclei cut by the edge of the field are kept (the fields do not overlap): they are counted and "
            "measured on their visible part when that visible area is within the size range.")
    rule = ("mean + 3 x SD (sample standard deviation, n-1)" if sc["threshold"] == "mean_3sd" else
            "median + 5 x MAD (MAD = median absolute deviation from the median, unscaled)")
    return f"""# SOP {params['plate'].split('-')[0]}-IMG-04: nuclear marker quantification

Plate {params['plate']}; marker (w2): {params['marker']}; nuclear stain (w1): Hoechst 33342.
Camera: {params['bit_depth']}-bit, images stored as 16-bit TIFF; pixel size 0.65 um (10x objective).

1. Illumination correction, both channels: corrected = (raw - dark) / F, with F = (flat - dark)
   normalised to mean 1 over the field (calibration/dark.tif, calibration/flat_w1.tif, flat_w2.tif).
2. Nuclei are segmented in corrected w1. Touching nuclei are separated: one object per nucleus.
3. A nucleus is an object with area {low:g}-{high:g} um2 (inclusive). Smaller objects are debris, larger
   ones are out-of-focus cells or unresolved clumps; neither is counted or measured.
4. {edge}
5. Marker intensity of a nucleus: the mean corrected w2 over its mask, minus the field's w2 background
   (the median corrected w2 of the pixels outside every object segmented in w1).
   Saturated pixels are kept as recorded.
6. Positivity threshold: {rule} of the marker intensities of all nuclei of the negative-control wells
   ({sc['negative']}, role negative_control in the plate map), pooled. A nucleus is marker-positive when its
   intensity is strictly above the threshold.
7. Per well: nuclei count (all fields), marker-positive count, percent positive (100 x positive / count),
   mean marker intensity (mean over the well's nuclei).
"""


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    sc = SCENARIOS[params["scenario"]]
    rng = np.random.default_rng(params["seed"])
    plate = _plate(params, rng)
    camera = {**sc["camera"], "sat": 2 ** params["bit_depth"] - 1}
    spec = {"seed": int(rng.integers(2**31)), "plate": params["plate"], "fields": params["fields"],
            "bit_depth": params["bit_depth"], "camera": camera, "wells": plate,
            **{k: sc[k] for k in ("nuclei_per_field", "blobs_per_field", "debris_per_field", "cluster_share",
                                  "mitotic_share")}}
    ref = reference(params, plate, _synthesise(spec, input_dir))
    if not _control_rules_apart(params, plate, ref):
        ref = reference(params, plate, _synthesise({**spec, "control_tail": True}, input_dir))
        assert _control_rules_apart(params, plate, ref), ref["threshold"]
    write_csv(input_dir / "plate_map.csv", ["well", "treatment", "role"],
              [(w["well"], w["treatment"], w["role"]) for w in plate])
    (input_dir / "SOP.md").write_text(_sop(params))
    (reference_dir / "reference.json").write_text(json.dumps(ref))


def _synthesise(spec: dict[str, Any], input_dir: Path) -> list[dict[str, Any]]:
    """synth.py run on ``spec``: the images and calibration frames written to ``input_dir``, the true nuclei."""
    with tempfile.TemporaryDirectory() as tmp:
        spec_path, truth_path = Path(tmp) / "spec.json", Path(tmp) / "truth.json"
        spec_path.write_text(json.dumps(spec))
        run_tool_script(__file__, Path(__file__).with_name("synth.py"), str(spec_path), str(input_dir),
                        str(truth_path))
        return json.loads(truth_path.read_text())


RULES_APART = 0.03  # the other plate type's threshold rule lands at least this share away from the SOP's


def _control_rules_apart(params: Params, plate: list[dict[str, Any]], ref: dict[str, Any]) -> bool:
    """Whether the negative controls tell the two threshold rules apart (mean + 3 SD and median + 5 MAD coincide
    on a tail-less population, and then the SOP's rule decides nothing)."""
    rule = SCENARIOS[params["scenario"]]["threshold"]
    negatives = {w["well"] for w in plate if w["role"] == "negative_control"}
    values = [n["marker"] for n in ref["nuclei"] if n["well"] in negatives]
    other = threshold_of(values, "median_5mad" if rule == "mean_3sd" else "mean_3sd")
    return abs(other - ref["threshold"]) >= RULES_APART * abs(ref["threshold"])


def threshold_of(values: list[float], rule: str) -> float:
    """The SOP's positivity threshold over the negative-control nuclei."""
    v = np.asarray(values, float)
    if rule == "mean_3sd":
        return float(v.mean() + 3 * v.std(ddof=1))
    median = float(np.median(v))
    return median + 5 * float(np.median(np.abs(v - median)))


def reference(params: Params, plate: list[dict[str, Any]], truth: list[dict[str, Any]]) -> dict[str, Any]:
    """The SOP applied to the true nuclei: counted nuclei, threshold, calls and per-well figures."""
    sc = SCENARIOS[params["scenario"]]
    low, high = sc["area_um2"]
    counted = [dict(n, area_um2=n["area_px"] * PIXEL_UM**2) for n in truth
               if low <= n["area_px"] * PIXEL_UM**2 <= high and not (sc["edge"] == "exclude" and n["border"])]
    roles = {w["well"]: w["role"] for w in plate}
    negatives = [n["marker"] for n in counted if roles[n["well"]] == "negative_control"]
    threshold = threshold_of(negatives, sc["threshold"])
    wells = []
    for w in plate:
        mine = [n for n in counted if n["well"] == w["well"]]
        positive = sum(n["marker"] > threshold for n in mine)
        wells.append({"well": w["well"], "treatment": w["treatment"], "nuclei_count": len(mine),
                      "positive_count": positive, "percent_positive": 100 * positive / len(mine) if mine else 0.0,
                      "mean_marker_intensity": float(np.mean([n["marker"] for n in mine])) if mine else 0.0})
    for n in counted:
        n["positive"] = n["marker"] > threshold
    return {"scenario": params["scenario"], "threshold": threshold, "negative_nuclei": len(negatives),
            "wells": wells, "nuclei": counted, "fields": params["fields"]}


# --------------------------------------------------------------------------------------------
# grading
# --------------------------------------------------------------------------------------------


def _nuclei_rows(rows: list[dict[str, str]]) -> tuple[dict[tuple[str, int], list[dict[str, float]]], int]:
    """The agent's nuclei by (well, field), numeric fields parsed; the count of rows that did not parse."""
    by_field: dict[tuple[str, int], list[dict[str, float]]] = defaultdict(list)
    bad = 0
    for row in rows:
        values = {k: as_number(row.get(k)) for k in ("field", "x_px", "y_px", "area_um2", "marker_intensity",
                                                     "positive")}
        if any(v is None for v in values.values()):
            bad += 1
            continue
        by_field[(row.get("well", "").strip().upper(), int(values["field"]))].append(values)
    return by_field, bad


def _match(found: list[dict[str, float]], truth: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Greedy one-to-one matching of centroids, nearest pairs first, within MATCH_PX pixels."""
    if not found or not truth:
        return []
    a = np.array([[f["x_px"], f["y_px"]] for f in found])
    b = np.array([[t["x"], t["y"]] for t in truth])
    dist = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
    pairs, used_a, used_b = [], set(), set()
    for i, j in zip(*np.unravel_index(np.argsort(dist, axis=None), dist.shape), strict=True):
        if dist[i, j] > MATCH_PX:
            break
        if i not in used_a and j not in used_b:
            pairs.append((int(i), int(j)))
            used_a.add(i)
            used_b.add(j)
    return pairs


def _grade_wells(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]]) -> None:
    expected = {w["well"]: w for w in ref["wells"]}
    found = {r.get("well", "").strip().upper(): r for r in rows}
    extra = sorted(set(found) - set(expected))

    def verdicts(test) -> dict[str, bool | str]:
        out: dict[str, bool | str] = {w: test(found[w], e) if w in found else "missing" for w, e in expected.items()}
        out.update({w: "not a well of the plate" for w in extra})
        return out

    def count_ok(row: dict[str, str], exp: dict[str, Any]) -> bool | str:
        got = as_number(row.get("nuclei_count"))
        tol = max(4.0, 0.05 * exp["nuclei_count"])
        return (got is not None and abs(got - exp["nuclei_count"]) <= tol) or f"{got} vs {exp['nuclei_count']}"

    def percent_ok(row: dict[str, str], exp: dict[str, Any]) -> bool | str:
        got = as_number(row.get("percent_positive"))
        return (got is not None and abs(got - exp["percent_positive"]) <= 2.5) or \
            f"{got} vs {exp['percent_positive']:.2f}"

    markers: dict[str, list[float]] = defaultdict(list)
    for n in ref["nuclei"]:
        markers[n["well"]].append(n["marker"])

    def mean_ok(row: dict[str, str], exp: dict[str, Any]) -> bool | str:
        got, want = as_number(row.get("mean_marker_intensity")), exp["mean_marker_intensity"]
        low, high = one_nucleus_range(markers[exp["well"]])
        tol = 0.05 * abs(want) + 2.0
        return (got is not None and min(low, want - tol) <= got <= max(high, want + tol)) or \
            f"{got} vs {want:.1f} (one nucleus moves it to {low:.1f}-{high:.1f})"

    def treatment_ok(row: dict[str, str], exp: dict[str, Any]) -> bool | str:
        return " ".join(row.get("treatment", "").split()).casefold() == exp["treatment"].casefold() or \
            f"{row.get('treatment')!r} vs {exp['treatment']!r}"

    g.fraction("every well with its treatment from the plate map", verdicts(treatment_ok), threshold=1.0,
               noun="wells", weight=0.5)
    g.fraction("nuclei count per well (within 5% or 4 nuclei)", verdicts(count_ok), noun="wells", weight=3.0)
    g.fraction("percent marker-positive per well (within 2.5 points)", verdicts(percent_ok), noun="wells", weight=2.0)
    g.fraction("mean marker intensity per well (within 5% or one nucleus missed or doubled)", verdicts(mean_ok),
               noun="wells", weight=2.0)


def one_nucleus_range(markers: list[float]) -> tuple[float, float]:
    """The lowest and highest mean of a well's markers with one nucleus missed or counted twice: the segmentation
    slip a count within tolerance allows, which moves the mean far when the well has few bright nuclei."""
    if len(markers) < 2:
        return (markers[0], markers[0]) if markers else (0.0, 0.0)
    total, n = sum(markers), len(markers)
    extremes = (min(markers), max(markers))
    means = [(total - x) / (n - 1) for x in extremes] + [(total + x) / (n + 1) for x in extremes]
    return min(means), max(means)


def _grade_nuclei(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]]) -> None:
    by_field, bad = _nuclei_rows(rows)
    truth: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for n in ref["nuclei"]:
        truth[(n["well"], n["field"])].append(n)
    tp = fp = fn = 0
    measured, calls = [], []
    for key in set(truth) | set(by_field):
        found, want = by_field.get(key, []), truth.get(key, [])
        pairs = _match(found, want)
        tp, fp, fn = tp + len(pairs), fp + len(found) - len(pairs), fn + len(want) - len(pairs)
        for i, j in pairs:
            f, t = found[i], want[j]
            measured.append(abs(f["area_um2"] - t["area_um2"]) <= 0.3 * t["area_um2"]
                            and abs(f["marker_intensity"] - t["marker"]) <= 0.12 * abs(t["marker"]) + 15)
            calls.append(bool(f["positive"]) == t["positive"])
    fp += bad
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    g.check("nuclei found where the true nuclei are (centroid F1 >= 0.95)", 1.0 if f1 >= 0.95 else f1, weight=2.0,
            expected="F1 >= 0.95", found=f"F1 {f1:.3f} (tp {tp}, fp {fp}, fn {fn})",
            reason="" if f1 >= 0.95 else "nuclei missed, merged, split or extra (debris, blobs, edge nuclei)")
    g.share("area and marker intensity of matched nuclei (30% / 12%)", sum(measured), len(measured),
            threshold=0.95, noun="matched nuclei")
    g.share("positive calls of matched nuclei", sum(calls), len(calls), threshold=0.97, noun="matched nuclei")


def _grade_consistency(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]], nuclei: list[dict[str, str]],
                       threshold: float | None) -> None:
    per_well: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in nuclei:
        marker, positive = as_number(row.get("marker_intensity")), as_number(row.get("positive"))
        if marker is not None and positive is not None:
            per_well[row.get("well", "").strip().upper()].append((marker, positive))
    problems = []
    for row in rows:
        well = row.get("well", "").strip().upper()
        mine = per_well.get(well, [])
        count, pos = as_number(row.get("nuclei_count")), as_number(row.get("positive_count"))
        pct, mean = as_number(row.get("percent_positive")), as_number(row.get("mean_marker_intensity"))
        want = (len(mine), sum(p for _, p in mine), float(np.mean([m for m, _ in mine])) if mine else 0.0)
        if count != want[0] or pos != want[1] or mean is None or abs(mean - want[2]) > 0.01 * abs(want[2]) + 0.5 \
                or pct is None or abs(pct - (100 * want[1] / want[0] if want[0] else 0)) > 0.05:
            problems.append(f"{well}: summary {count}/{pos}/{pct}/{mean} vs nuclei.csv {want[0]}/{want[1]}/"
                            f"{want[2]:.1f}")
    g.check("well_summary.csv is the per-well aggregate of nuclei.csv", bool(rows) and not problems,
            reason="; ".join(problems[:5]))
    wrong = [r for r in nuclei if threshold is not None and as_number(r.get("marker_intensity")) is not None
             and bool(as_number(r.get("positive"))) != (as_number(r.get("marker_intensity")) > threshold)]
    g.check("positive calls follow the reported threshold", threshold is not None and bool(nuclei) and not wrong,
            weight=0.5, reason=f"{len(wrong)} nuclei called against the threshold" if wrong else "")


def _grade_threshold_rule(g: Grading, ref: dict[str, Any], nuclei: list[dict[str, str]], info: dict[str, Any]) -> None:
    """The reported threshold and control count are the SOP's rule applied to the agent's own negative-control
    nuclei (the tolerance of the reference check leaves room for segmentation, not for another rule)."""
    with (g.input_dir / "plate_map.csv").open(newline="") as handle:
        negatives = {r["well"].strip().upper() for r in csv.DictReader(handle) if r["role"] == "negative_control"}
    values = [as_number(r.get("marker_intensity")) for r in nuclei if (r.get("well") or "").strip().upper() in negatives]
    values = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    own = threshold_of(values, SCENARIOS[ref["scenario"]]["threshold"]) if len(values) >= 2 else None
    reported, count = as_number(info.get("marker_threshold")), as_number(info.get("negative_control_nuclei"))
    ok = own is not None and reported is not None and abs(reported - own) <= max(1.0, 0.005 * abs(own)) \
        and count == len(values)
    g.check("threshold is the SOP's rule over the reported negative-control nuclei", ok,
            expected={"marker_threshold": None if own is None else round(own, 3), "negative_control_nuclei": len(values)},
            found={"marker_threshold": info.get("marker_threshold"),
                   "negative_control_nuclei": info.get("negative_control_nuclei")},
            reason="" if ok else "the threshold or the control count does not follow from nuclei.csv by the SOP's rule")


def grade(g: Grading) -> None:
    ref = g.reference_json("reference.json")
    if not g.require_files("well_summary.csv", "nuclei.csv", "threshold.json"):
        return
    rows = g.read_csv("well_summary.csv", required_columns=SUMMARY_COLUMNS)
    nuclei = g.read_csv("nuclei.csv", required_columns=NUCLEI_COLUMNS)
    info = g.read_json("threshold.json")
    if rows is None or nuclei is None:
        return
    info = info if isinstance(info, dict) else {}
    threshold = as_number(info.get("marker_threshold"))
    _grade_wells(g, ref, rows)
    g.number("marker threshold from the negative controls (within 7%)", info.get("marker_threshold"),
             ref["threshold"], rel_tol=0.07, weight=1.5)
    g.number("negative-control nuclei pooled (within 4%)", info.get("negative_control_nuclei"),
             ref["negative_nuclei"], rel_tol=0.04, abs_tol=4, weight=0.5)
    _grade_nuclei(g, ref, nuclei)
    _grade_consistency(g, ref, rows, nuclei, threshold)
    _grade_threshold_rule(g, ref, nuclei, info)
