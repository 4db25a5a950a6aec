"""PPAP qualification of a measurement system and a process: ANOVA gauge R&R, X-bar/R chart, Cpk and Ppk.

Workflow: a supplier quality engineer receives the export of a crossed gauge R&R study (10 parts x 3 appraisers
x 2-3 trials) from the gauge software, the characteristic's drawing tolerance and a month of production
subgroups. They clean the export (one appraiser's indicator was left in inch mode, one part id was keyed with
two digits transposed, one reading failed and was re-tested at the end of the study), run the AIAG MSA ANOVA
method with the interaction pooled when p > 0.25, chart the production data by the SOP's rules, compute
capability on the in-control subgroups and decide on the gauge and the process by the customer's criteria.

Variants: a bore diameter with a non-significant interaction (pooled), a one-sided characteristic (total
runout, USL only) measured with a significant part x appraiser interaction, and a shaft diameter measured
with a gauge that fails.

Grade: the generator draws the study and the production data from known components and keeps an instance
only when its decisions and flags are clear of every threshold; the reference is recomputed from the cleaned
readings (msa.py, numpy/scipy, independent of the statsmodels the agent runs). The grader checks the interaction
test, variance components, %contribution, %study variation, %tolerance, ndc and decision; the subgroup
statistics, limits and rule flags (F1); the excluded subgroups, sigmas and indices; and that the report states
the JSON figures (the interaction p-value included), each control chart signal with its rule, the export's
problems (the mistyped part id with its correct one) and the right decisions, that no sentence of its prose
takes another stance on the gauge or the process or calls the flagged subgroups false alarms (prose.py), and that
its ANOVA table gives each source's df, SS, MS, F and p as recomputed from the cleaned readings.
"""
# ALE-CANARY-8e818c42-c0ac-42d0-84b5-dc7ae9a63213

from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from lastexam.task import Grading, Params, as_number, is_close, write_csv

from . import msa, prose

PARTS, APPRAISERS, SUBGROUPS, SUBGROUP_SIZE = 10, 3, 25, 5
APPRAISER_NAMES = ("A. Okafor", "B. Lindqvist", "C. Ramos")
SUMMARY_KEYS = ("repeatability", "reproducibility", "gauge_rr", "part_to_part")
SPC_COLUMNS = ("subgroup", "mean", "range", "xbar_cl", "xbar_ucl", "xbar_lcl", "r_cl", "r_ucl", "r_lcl", "flags")

SCENARIOS: dict[str, dict[str, Any]] = {
    "bore_pooled": {
        "characteristic": "Bore diameter, feature 12 (housing HB-2207)", "drawing": "DRW-2207 rev C",
        "nominal": 12.000, "lsl": 11.975, "usl": 12.025, "gauge": "air gauge AG-31 (0.0001 mm)",
        "decimals": 4, "inch_decimals": 6, "part_mean": 12.003, "sd_part": 0.008, "sd_app": 0.0006,
        "sd_pa": 0.0, "sd_e": 0.0010, "pooled": True, "decision": "conditional",
        "proc_mean": 12.004, "proc_sd": 0.0036, "shift": 1.4,
    },
    "runout_interaction": {
        "characteristic": "Total runout of journal B to datum A-B (rotor shaft RS-118)", "drawing": "DRW-0118 rev F",
        "nominal": 0.0, "lsl": None, "usl": 0.040, "gauge": "runout fixture RF-07 with digital indicator (0.0001 mm)",
        "decimals": 4, "inch_decimals": 6, "part_mean": 0.020, "sd_part": 0.0055, "sd_app": 0.0004,
        "sd_pa": 0.0011, "sd_e": 0.0007, "pooled": False, "decision": "conditional",
        "proc_mean": 0.019, "proc_sd": 0.0045, "shift": 1.4,
    },
    "shaft_failing_gauge": {
        "characteristic": "Shaft diameter, bearing seat (25 h7, pump shaft PS-560)", "drawing": "DRW-0560 rev B",
        "nominal": 25.000, "lsl": 24.979, "usl": 25.000, "gauge": "outside micrometer OM-12 (0.001 mm)",
        "decimals": 3, "inch_decimals": 5, "part_mean": 24.9895, "sd_part": 0.0040, "sd_app": 0.0015,
        "sd_pa": 0.0, "sd_e": 0.0022, "pooled": True, "decision": "reject",
        "proc_mean": 24.9893, "proc_sd": 0.0021, "shift": 1.4,
    },
}


# --------------------------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------------------------


def _serials(rng: np.random.Generator) -> list[int]:
    """Part serial numbers whose last two digits differ and whose transposition is no other part's."""
    chosen: list[int] = []
    while len(chosen) < PARTS:
        n = int(rng.integers(101, 999))
        tens, units = n // 10 % 10, n % 10
        swapped = n - tens * 10 - units + units * 10 + tens
        if tens != units and n not in chosen and swapped not in chosen and all(
                c - c // 100 * 100 != n % 100 for c in chosen):
            chosen.append(n)
    return chosen


def _transposed(serial: int) -> int:
    tens, units = serial // 10 % 10, serial % 10
    return serial - tens * 10 - units + units * 10 + tens


def _study(spec: dict, trials: int, rng: np.random.Generator) -> dict:
    """True readings, the exported rows with their quirks, and the cleaned readings y[part, appraiser, trial]."""
    serials = _serials(rng)
    parts = spec["part_mean"] + spec["sd_part"] * rng.standard_normal(PARTS)
    apps = spec["sd_app"] * rng.standard_normal(APPRAISERS)
    pa = spec["sd_pa"] * rng.standard_normal((PARTS, APPRAISERS))
    true = parts[:, None, None] + apps[None, :, None] + pa[:, :, None] \
        + spec["sd_e"] * rng.standard_normal((PARTS, APPRAISERS, trials))
    inch_app = int(rng.integers(APPRAISERS))
    clean = np.empty_like(true)
    shown: dict[tuple[int, int, int], tuple[str, str]] = {}
    for i, j, k in np.ndindex(true.shape):
        if j == inch_app:
            value = round(true[i, j, k] / 25.4, spec["inch_decimals"])
            clean[i, j, k] = value * 25.4
            shown[i, j, k] = (f"{value:.{spec['inch_decimals']}f}", "in")
        else:
            value = round(true[i, j, k], spec["decimals"])
            clean[i, j, k] = value
            shown[i, j, k] = (f"{value:.{spec['decimals']}f}", "mm")
    cells = list(np.ndindex(true.shape))
    retest_cell = cells[int(rng.integers(len(cells)))]
    others = [c for c in cells if c[1] != retest_cell[1] or c[0] != retest_cell[0]]
    swap_cell = others[int(rng.integers(len(others)))]
    rows: list[list[Any]] = []
    run = 0
    for k in range(trials):
        for i, j in [(i, j) for j in range(APPRAISERS) for i in rng.permutation(PARTS)]:
            run += 1
            serial = _transposed(serials[i]) if (i, j, k) == swap_cell else serials[i]
            reading, unit = shown[i, j, k]
            status = "OK"
            if (i, j, k) == retest_cell:
                reading, status = "", "NO READ"
            rows.append([run, f"P-{serial}", APPRAISER_NAMES[j], k + 1, reading, unit, status])
    i, j, k = retest_cell
    rows.append([run + 1, f"P-{serials[i]}", APPRAISER_NAMES[j], k + 1, *shown[i, j, k], "RETEST"])
    return {"serials": serials, "rows": rows, "clean": clean, "inch_appraiser": APPRAISER_NAMES[inch_app],
            "transposed": f"P-{_transposed(serials[swap_cell[0]])}", "retest": [f"P-{serials[i]}", APPRAISER_NAMES[j],
                                                                                  k + 1]}


def _production(spec: dict, rng: np.random.Generator) -> tuple[np.ndarray, list[int]]:
    """Subgroups of 5 with one mean shift of 5 subgroups and one subgroup with a wild reading (0-based ids)."""
    data = spec["proc_mean"] + spec["proc_sd"] * rng.standard_normal((SUBGROUPS, SUBGROUP_SIZE))
    start = int(rng.integers(9, 17))
    upward_only = spec["lsl"] is None  # a runout cannot go below zero: its special causes only add to it
    data[start:start + 5] += spec["shift"] * spec["proc_sd"] * (1 if upward_only or rng.random() < 0.5 else -1)
    wild = int(rng.choice([s for s in range(2, SUBGROUPS - 1) if not start - 2 <= s <= start + 6]))
    data[wild, int(rng.integers(SUBGROUP_SIZE))] += 5.5 * spec["proc_sd"] * (1 if upward_only or rng.random() < 0.5
                                                                            else -1)
    return np.round(data, spec["decimals"]), [*range(start, start + 5), wild]


def _tolerance_width(spec: dict, grand_mean: float) -> float:
    """The width %tolerance divides 6 sigma by; one-sided: twice the distance from the study mean to the USL."""
    return spec["usl"] - spec["lsl"] if spec["lsl"] is not None else 2 * (spec["usl"] - grand_mean)


def _average_range_grr(y: np.ndarray) -> float:
    """%GRR of study variation by the AIAG average-and-range method (for the discrimination guard)."""
    p, _, r = y.shape
    k1 = {2: 0.8862, 3: 0.5908}[r]
    ev = np.ptp(y, axis=2).mean() * k1
    x_diff = np.ptp(y.mean(axis=(0, 2)))
    av = math.sqrt(max(0.0, (x_diff * 0.5231) ** 2 - ev ** 2 / (p * r)))
    pv = np.ptp(y.mean(axis=(1, 2))) * 0.3146
    grr = math.hypot(ev, av)
    return 100 * grr / math.hypot(grr, pv)


def _far(value: float, edges: tuple[float, ...], margin: float) -> bool:
    return all(abs(value - e) > margin for e in edges)


def _reference(spec: dict, study: dict, subgroups: np.ndarray) -> dict:
    anova = msa.anova_grr(study["clean"])
    pct = msa.grr_percentages(anova, _tolerance_width(spec, anova["grand_mean"]))
    grr_pct = max(pct["percent_study_variation"]["gauge_rr"], pct["percent_tolerance"]["gauge_rr"])
    chart = msa.xbar_r(subgroups)
    excluded = [i for i, f in enumerate(chart["flags"]) if f]
    kept = np.delete(subgroups, excluded, axis=0)
    cap = msa.capability(kept, spec["lsl"], spec["usl"])
    everything = msa.capability(subgroups, spec["lsl"], spec["usl"])
    return {"anova": anova, "percent": pct, "percent_grr": grr_pct, "decision": msa.gauge_decision(grr_pct, pct["ndc"]),
            "chart": chart, "excluded": [i + 1 for i in excluded], "capability": cap,
            "process_decision": msa.process_decision(cap["ppk"]), "cpk_all_subgroups": everything["cpk"],
            "average_range_grr": _average_range_grr(study["clean"])}


def _clear(spec: dict, ref: dict, special: list[int]) -> bool:
    """Whether an instance tells the methods apart and sits clear of every threshold and rule boundary."""
    anova, pct, chart, cap = ref["anova"], ref["percent"], ref["chart"], ref["capability"]
    flagged = {i for i, f in enumerate(chart["flags"]) if f}
    rules = [set(f) for f in chart["flags"]]
    z = np.abs(np.array(chart["z"]))
    ranges = np.array(chart["ranges"]) / chart["limits"]["r_ucl"]
    ratio = pct["ndc_ratio"]
    return all([
        anova["interaction_p_value"] > 0.4 if spec["pooled"] else anova["interaction_p_value"] < 0.02,
        ref["decision"] == spec["decision"], _far(ref["percent_grr"], (10.0, 30.0), 1.5),
        math.floor(ratio * 0.995) == math.floor(ratio * 1.005),
        abs(ref["average_range_grr"] - pct["percent_study_variation"]["gauge_rr"]) > 0.6,
        flagged <= set(special), any("N1" in r for r in rules), any(r and r <= {"N2", "N5"} for r in rules),
        any("R1" in r for r in rules), all(_far(v, (2.0, 3.0), 0.04) for v in z), _far(float(z.min()), (0.0,), 0.01),
        all(_far(v, (1.0,), 0.01) for v in ranges),
        _far(cap["ppk"], (1.33, 1.67), 0.05), abs(cap["cpk"] - cap["ppk"]) > 0.03,
        abs(cap["cpk"] - ref["cpk_all_subgroups"]) > 0.03,
    ])


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    spec = SCENARIOS[params["scenario"]]
    trials = int(params["trials"])
    rng = np.random.default_rng(params["seed"])
    for _ in range(5000):
        study = _study(spec, trials, rng)
        subgroups, special = _production(spec, rng)
        ref = _reference(spec, study, subgroups)
        if _clear(spec, ref, special):
            break
    else:
        raise RuntimeError("no instance clear of the thresholds in 5000 draws")
    _write_inputs(spec, params, study, subgroups, input_dir)
    cap = ref["capability"]
    (reference_dir / "reference.json").write_text(json.dumps({
        "unit": "mm", "one_sided": spec["lsl"] is None,
        "interaction_f": ref["anova"]["interaction_f"], "interaction_p_value": ref["anova"]["interaction_p_value"],
        "interaction_pooled": ref["anova"]["interaction_pooled"], "anova_table": ref["anova"]["table"],
        "variance_components": ref["anova"]["variance_components"],
        **{k: ref["percent"][k] for k in ("percent_contribution", "percent_study_variation", "percent_tolerance")},
        "ndc": ref["percent"]["ndc"], "ndc_ratio": ref["percent"]["ndc_ratio"], "gauge_decision": ref["decision"],
        "spc": [{"subgroup": i + 1, "mean": m, "range": r, **ref["chart"]["limits"], "flags": f}
                for i, (m, r, f) in enumerate(zip(ref["chart"]["means"], ref["chart"]["ranges"], ref["chart"]["flags"], strict=True))],
        "excluded": ref["excluded"], "capability": cap, "process_decision": ref["process_decision"],
        "quirks": {"inch_appraiser": study["inch_appraiser"], "transposed_id": study["transposed"],
                   "retest": study["retest"]},
    }, indent=1))


def _write_inputs(spec: dict, params: Params, study: dict, subgroups: np.ndarray, input_dir: Path) -> None:
    header = (f"# GageStudy 4.2 export\n# Study: GRR-{params['seed'] % 9000 + 1000} crossed, {PARTS} parts x "
              f"{APPRAISERS} appraisers x {params['trials']} trials, randomised run order\n"
              f"# Characteristic: {spec['characteristic']}\n# Gauge: {spec['gauge']}\n")
    lines = ["Run,Part,Appraiser,Trial,Reading,Unit,Status"] + [",".join(str(v) for v in row) for row in study["rows"]]
    (input_dir / "grr_study.csv").write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    (input_dir / "characteristic.json").write_text(json.dumps({
        "drawing": spec["drawing"], "characteristic": spec["characteristic"], "unit": "mm",
        "nominal": spec["nominal"], "lsl": spec["lsl"], "usl": spec["usl"],
        "tolerance_type": "two-sided" if spec["lsl"] is not None else "one-sided (upper limit only)",
    }, indent=2) + "\n", encoding="utf-8")
    day = dt.date(2026, 11, 2)
    rows = []
    for i, values in enumerate(subgroups):
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        rows.append([i + 1, day.isoformat(), "early" if i % 2 == 0 else "late",
                     *(f"{v:.{spec['decimals']}f}" for v in values)])
        if i % 2:
            day += dt.timedelta(days=1)
    write_csv(input_dir / "production_subgroups.csv", ["subgroup", "date", "shift", "x1", "x2", "x3", "x4", "x5"], rows)


# --------------------------------------------------------------------------------------------
# grading
# --------------------------------------------------------------------------------------------


def _section(doc: Any, key: str) -> dict:
    value = doc.get(key) if isinstance(doc, dict) else None
    return value if isinstance(value, dict) else {}


def _share(g: Grading, name: str, found: dict, expected: dict, keys: tuple[str, ...], abs_tol: float,
           rel_tol: float, weight: float) -> None:
    wrong = [f"{k}={found.get(k)!r} want {expected[k]:.6g}" for k in keys
             if not is_close(found.get(k), expected[k], abs_tol=abs_tol, rel_tol=rel_tol)]
    g.share(name, len(keys) - len(wrong), len(keys), wrong=wrong, weight=weight)


def _flags(rows: list[dict[str, Any]]) -> set[tuple[int, str]]:
    pairs: set[tuple[int, str]] = set()
    for row in rows:
        sub = as_number(row.get("subgroup"))
        if sub is None:
            continue
        for rule in re.split(r"[;|, ]+", str(row.get("flags") or "")):
            if rule.strip():
                pairs.add((int(sub), rule.strip().upper()))
    return pairs


def _report_numbers(text: str) -> list[float]:
    return [float(m) for m in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", text)]


def _line_subgroups(line: str) -> set[int]:
    """Whole numbers a line names (ranges such as 12-16 or 12 to 16 expanded); decimals are not subgroups."""
    named: set[int] = set()
    for low, high in re.findall(r"(?<![\w.])(\d+)\s*(?:-|\u2013|to)\s*(\d+)(?!\w|\.\d)", line):
        if int(low) < int(high) <= SUBGROUPS:
            named.update(range(int(low), int(high) + 1))
    named.update(int(m) for m in re.findall(r"(?<![\w.])\d+(?!\w|\.\d)", line))
    return named


def _signals_stated(line: str, signals: dict[int, set[str]]) -> set[int]:
    """The signalling subgroups a line states with a rule they triggered. A line that names more than half the
    chart, or a rule that none of the signalling subgroups it names triggered, is a screening statement
    ("subgroups 1-25 checked against N1, N2, N5 and R1: no signal"), not a finding."""
    named = {sub for sub in _line_subgroups(line) if 1 <= sub <= SUBGROUPS}
    rules = {r.upper() for r in re.findall(r"(?<!\bno )(?<!\bnot )\b[NR]\d\b", line, re.IGNORECASE)}  # "no N1" names none
    found = named & set(signals)
    if len(named) > SUBGROUPS // 2 or not rules <= set().union(*(signals[sub] for sub in found)):
        return set()
    return {sub for sub in found if signals[sub] & rules}


ANOVA_SOURCES = {  # a line of the report's ANOVA table, by the label before its first figure
    "part": lambda label: re.search(r"part", label) and not re.search(r"apprais|operator|inter", label),
    "appraiser": lambda label: re.search(r"apprais|operator", label) and not re.search(r"part|inter", label),
    "part_x_appraiser": lambda label: re.search(r"inter", label) or (
        re.search(r"part", label) and re.search(r"apprais|operator", label)),
    "repeatability": lambda label: re.search(r"repeat|resid|error|within|equipment", label),
}


def _anova_rows(ref: dict) -> dict[str, list[dict]]:
    """Per source of the crossed ANOVA, the rows an expert's table may show: df, SS, MS and the F and p the
    effect is tested with (against the interaction, the repeatability or, pooled, their pooled mean square)."""
    t = ref["anova_table"]
    df = {k: float(v["df"]) for k, v in t.items()}
    ss = {k: float(v["ss"]) for k, v in t.items()}
    ms = {k: ss[k] / df[k] for k in t}
    pooled_df = df["part_x_appraiser"] + df["repeatability"]
    pooled_ms = (ss["part_x_appraiser"] + ss["repeatability"]) / pooled_df
    denominators = [(ms["repeatability"], df["repeatability"]), (ms["part_x_appraiser"], df["part_x_appraiser"]),
                    (pooled_ms, pooled_df)]
    def row(source: str, tests: list[tuple[float, float]]) -> dict:
        f = [ms[source] / d for d, _ in tests]
        return {"df": df[source], "ss": ss[source], "ms": ms[source], "f": f,
                "p": [float(stats.f.sf(v, df[source], d)) for v, (_, d) in zip(f, tests, strict=True)]}
    rows = {"part": [row("part", denominators)], "appraiser": [row("appraiser", denominators)],
            "part_x_appraiser": [row("part_x_appraiser", denominators[:1])],
            "repeatability": [row("repeatability", [])]}
    if ref["interaction_pooled"]:
        pooled = ss["part_x_appraiser"] + ss["repeatability"]
        rows["repeatability"].append({"df": pooled_df, "ss": pooled, "ms": pooled_ms, "f": [], "p": []})
    return rows


def _shown_numbers(line: str) -> list[tuple[float, float]]:
    """The numbers of a line, each with half a unit of its last decimal shown when it has two significant digits
    or more (0.000017 printed by pandas stands for 1.7e-5 +- 5e-7; 0.00 stands for nothing)."""
    out = []
    for m in re.finditer(r"(?<![\w.])(-?\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?", line):
        value = float(m.group(0))
        digits = (m.group(1).lstrip("-") + (m.group(2) or "")).lstrip("0")
        half = 0.5 * 10.0 ** (int(m.group(3) or 0) - len(m.group(2) or "")) if len(digits) >= 2 else 0.0
        out.append((value, half))
    return out


def _anova_line(numbers: list[tuple[float, float]], want: dict) -> bool:
    """The line shows the row's df, SS and MS (mm^2 or um^2, 1 % of the figure or as rounded), and its F and p if
    it has any."""
    def shown(value: float, rel: float = 0.01, absolute: float = 0.0) -> bool:
        return any(abs(n - value) <= max(absolute + rel * abs(value), half * 1.0001) for n, half in numbers)
    sums = any(shown(want["ss"] * scale) and shown(want["ms"] * scale) for scale in (1.0, 1e6))
    tests = not want["f"] or any(shown(f) and shown(p, 0.01, 1e-3) for f, p in zip(want["f"], want["p"], strict=True))
    return shown(want["df"], 0.0, 1e-9) and sums and tests


def _grade_anova_table(g: Grading, ref: dict, report: str) -> None:
    rows = _anova_rows(ref)
    required = ["part", "appraiser", "repeatability"] + ([] if ref["interaction_pooled"] else ["part_x_appraiser"])
    stated = {source: False for source in required}
    for line in report.splitlines():
        first = re.search(r"(?<![\w.])-?\d", line)
        if first is None:
            continue
        label, numbers = line[:first.start()].lower(), _shown_numbers(line)
        for source in required:
            if ANOVA_SOURCES[source](label) and any(_anova_line(numbers, want) for want in rows[source]):
                stated[source] = True
    g.fraction("report's ANOVA table (df, SS, MS, F and p per source)",
               {s: ok or "no table row with this source's df, SS, MS, F and p" for s, ok in stated.items()}, weight=2)


def grade(g: Grading) -> None:
    ref = g.reference_json("reference.json")
    if not g.require_files("grr.json", "spc.csv", "capability.json", "msa_report.md"):
        return
    grr, cap = g.read_json("grr.json"), g.read_json("capability.json")
    spc = g.read_csv("spc.csv", required_columns=SPC_COLUMNS)
    report = g.read_text("msa_report.md")
    if not isinstance(grr, dict) or not isinstance(cap, dict) or spc is None or report is None:
        return
    _grade_grr(g, ref, grr)
    _grade_spc(g, ref, spc)
    _grade_capability(g, ref, cap)
    _grade_report(g, ref, grr, cap, report)
    _grade_anova_table(g, ref, report)


def _grade_grr(g: Grading, ref: dict, grr: dict) -> None:
    p_ok = is_close(grr.get("interaction_p_value"), ref["interaction_p_value"], abs_tol=1e-4, rel_tol=0.01)
    pooled_ok = grr.get("interaction_pooled") is ref["interaction_pooled"]
    g.check("interaction test and pooling decision", p_ok and pooled_ok,
            expected={"p": round(ref["interaction_p_value"], 5), "pooled": ref["interaction_pooled"]},
            found={"p": grr.get("interaction_p_value"), "pooled": grr.get("interaction_pooled")},
            reason="" if p_ok and pooled_ok else "wrong interaction p-value" if not p_ok else "wrong pooling decision")
    var = ref["variance_components"]
    unit_ok = str(grr.get("unit", "")).strip().lower() == "mm"
    _share(g, "variance components (mm^2)", _section(grr, "variance_components") if unit_ok else {}, var,
           msa.COMPONENTS, 2e-3 * var["total"], 5e-3, 3)
    _share(g, "percent contribution", _section(grr, "percent_contribution"), ref["percent_contribution"],
           SUMMARY_KEYS, 0.05, 0.0, 1)
    _share(g, "percent study variation", _section(grr, "percent_study_variation"), ref["percent_study_variation"],
           SUMMARY_KEYS, 0.05, 0.0, 2)
    _share(g, "percent tolerance", _section(grr, "percent_tolerance"), ref["percent_tolerance"],
           SUMMARY_KEYS, 0.05, 0.0, 2)
    ratio = ref["ndc_ratio"]
    allowed = {math.floor(ratio * 0.999), math.floor(ratio * 1.001)}
    found_ndc = as_number(grr.get("ndc"))
    g.check("number of distinct categories", found_ndc is not None and found_ndc in allowed, expected=ref["ndc"],
            found=grr.get("ndc"))
    g.check("gauge decision", str(grr.get("decision", "")).strip().lower() == ref["gauge_decision"], weight=2,
            expected=ref["gauge_decision"], found=grr.get("decision"))


def _grade_spc(g: Grading, ref: dict, spc: list[dict[str, str]]) -> None:
    expected = [{k: str(v) for k, v in row.items() if k != "flags"} for row in ref["spc"]]
    g.table("subgroup means and ranges", spc, expected, key="subgroup",
            columns={"mean": 5e-6, "range": 5e-6}, normalize=lambda v: str(int(as_number(v) or 0)))
    g.table("X-bar and R control limits", spc, expected, key="subgroup",
            columns={"xbar_cl": 2e-6, "xbar_ucl": (2e-5, 0), "xbar_lcl": (2e-5, 0), "r_cl": (1e-6, 1e-3),
                     "r_ucl": (1e-6, 1e-3), "r_lcl": (1e-6, 1e-3)},
            normalize=lambda v: str(int(as_number(v) or 0)))
    want = {(row["subgroup"], rule) for row in ref["spc"] for rule in row["flags"]}
    got = _flags(spc)
    hits = len(want & got)
    f1 = 2 * hits / (len(want) + len(got)) if want or got else 1.0
    g.check("rule flags per subgroup (F1)", f1, weight=3, expected=sorted(want), found=sorted(got),
            reason="" if f1 == 1 else f"missed {sorted(want - got)}, extra {sorted(got - want)}")


def _grade_capability(g: Grading, ref: dict, cap: dict) -> None:
    want_cap = ref["capability"]
    found_excluded = cap.get("subgroups_excluded")
    excluded = sorted(int(as_number(v)) for v in found_excluded if as_number(v) is not None) \
        if isinstance(found_excluded, list) else None
    g.check("subgroups excluded from capability", excluded == ref["excluded"], expected=ref["excluded"],
            found=found_excluded)
    _share(g, "process mean and sigmas", cap, want_cap, ("mean", "sigma_within", "sigma_overall"), 1e-6, 2e-3, 1)
    for name, (pair, potential) in {"Cp and Cpk (within)": (("cp", "cpk"), "cp"),
                                    "Pp and Ppk (overall)": (("pp", "ppk"), "pp")}.items():
        wrong = []
        if ref["one_sided"]:
            if cap.get(potential) is not None:
                wrong.append(f"{potential} given for a one-sided tolerance")
        elif not is_close(cap.get(potential), want_cap[potential], abs_tol=0.005):
            wrong.append(f"{potential}={cap.get(potential)!r} want {want_cap[potential]:.4f}")
        index = pair[1]
        if not is_close(cap.get(index), want_cap[index], abs_tol=0.005):
            wrong.append(f"{index}={cap.get(index)!r} want {want_cap[index]:.4f}")
        g.check(name, not wrong, weight=2, reason="; ".join(wrong))
    g.check("process decision", str(cap.get("decision", "")).strip().lower() == ref["process_decision"],
            expected=ref["process_decision"], found=cap.get("decision"))


def _grade_report(g: Grading, ref: dict, grr: dict, cap: dict, report: str) -> None:
    numbers = _report_numbers(report)
    figures = {"%GRR of study variation": (_section(grr, "percent_study_variation").get("gauge_rr"), 0.051),
               "%GRR of tolerance": (_section(grr, "percent_tolerance").get("gauge_rr"), 0.051),
               "ndc": (grr.get("ndc"), 0.0), "Cpk": (cap.get("cpk"), 0.0051), "Ppk": (cap.get("ppk"), 0.0051)}
    missing = [name for name, (value, tol) in figures.items()
               if as_number(value) is None or not any(abs(n - as_number(value)) <= tol + 1e-9 for n in numbers)]
    p_value = as_number(grr.get("interaction_p_value"))
    if p_value is None or not any(abs(n - p_value) <= 1e-3 + 0.01 * p_value for n in numbers):
        missing.append("interaction p-value")
    g.check("report states the figures of grr.json and capability.json", not missing, found=len(numbers),
            reason=f"not stated: {', '.join(missing)}" if missing else "")
    # the control chart findings: each signalling subgroup named on a line with a rule it triggered
    lines = report.splitlines()
    signals = {row["subgroup"]: set(row["flags"]) for row in ref["spc"] if row["flags"]}
    stated = set().union(*(_signals_stated(line, signals) for line in lines))
    unstated = [sub for sub in signals if sub not in stated]
    g.check("report states the control chart signals (subgroup and rule)", not unstated,
            expected={sub: sorted(rules) for sub, rules in signals.items()},
            reason=f"not stated with its rule: subgroups {unstated}" if unstated else "")
    quirks = ref["quirks"]
    named = {"inch appraiser": quirks["inch_appraiser"].split()[-1], "mistyped part id": quirks["transposed_id"],
             "its correct part id": f"P-{_transposed(int(quirks['transposed_id'].split('-')[-1]))}",
             "re-tested part": quirks["retest"][0]}
    unnamed = [what for what, token in named.items()
               if not re.search(rf"(?<!\d){re.escape(token.split('-')[-1])}(?!\d)", report, re.IGNORECASE)]
    g.check("report names the export's data problems", not unnamed, expected=named,
            reason=f"not named: {', '.join(unnamed)}" if unnamed else "")
    # every decision line counts: a report that states one decision and then another has not decided
    found = [sorted({m.lower() for m in re.findall(rf"{kind} decision\W*\s*(accept|conditional|reject)", report,
                                                    re.IGNORECASE)}) for kind in ("gauge", "process")]
    g.check("report decisions", found == [[ref["gauge_decision"]], [ref["process_decision"]]],
            expected=[ref["gauge_decision"], ref["process_decision"]], found=found)
    # and so does every sentence of its prose that takes a stance on the gauge or the process, or on the signals
    gauge_id = re.search(r"\b[A-Z]{2}-\d+\b", SCENARIOS[g.params["scenario"]]["gauge"])
    contradicting = prose.contradictions(report, ref["gauge_decision"], ref["process_decision"],
                                         gauge_id[0] if gauge_id else "")
    g.check("report prose agrees with the decisions and the exclusions", not contradicting,
            expected=[ref["gauge_decision"], ref["process_decision"]], found=contradicting[:5],
            reason=f"{len(contradicting)} contradicting sentence(s): {contradicting[0]}" if contradicting else "")
