#!/usr/bin/env python3
"""Plausible fabrication for engineering/gauge_capability_study.

Never fits an ANOVA nor cleans the gauge export: it takes the readings the export shows as they are (inch
readings, the failed read and the mistyped part id included), estimates repeatability from the spread within
each part and appraiser and reproducibility from the appraisers' means, charts the production data with the
beyond-the-limits rule only and computes capability on every subgroup. The deliverables are right-shaped and
agree with each other.
"""

import csv
import json
import math
import os
import statistics
from collections import defaultdict
from pathlib import Path

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def main() -> None:
    spec = json.loads((IN / "characteristic.json").read_text())
    lines = [line for line in (IN / "grr_study.csv").read_text().splitlines() if not line.startswith("#")]
    cells, appraisers, parts = defaultdict(list), defaultdict(list), defaultdict(list)
    for row in csv.DictReader(lines):
        if row["Reading"]:
            value = float(row["Reading"])
            cells[row["Part"], row["Appraiser"]].append(value)
            appraisers[row["Appraiser"]].append(value)
            parts[row["Part"]].append(value)
    within = [statistics.variance(v) for v in cells.values() if len(v) > 1]
    var = {"repeatability": statistics.mean(within), "part_x_appraiser": 0.0,
           "appraiser": statistics.pvariance([statistics.mean(v) for v in appraisers.values()]) / 10,
           "part_to_part": statistics.variance([statistics.mean(v) for v in parts.values() if len(v) > 2])}
    var["reproducibility"] = var["appraiser"]
    var["gauge_rr"] = var["repeatability"] + var["reproducibility"]
    var["total"] = var["gauge_rr"] + var["part_to_part"]
    sd = {k: math.sqrt(v) for k, v in var.items()}
    width = spec["usl"] - (spec["lsl"] if spec["lsl"] is not None else spec["nominal"])
    keys = ("repeatability", "reproducibility", "gauge_rr", "part_to_part")
    ndc = math.floor(1.41 * sd["part_to_part"] / sd["gauge_rr"])
    pct_sv = {k: 100 * sd[k] / sd["total"] for k in keys}
    pct_tol = {k: 100 * 6 * sd[k] / width for k in keys}
    grr_pct = max(pct_sv["gauge_rr"], pct_tol["gauge_rr"])
    decision = "reject" if grr_pct > 30 else "accept" if grr_pct < 10 and ndc >= 5 else "conditional"
    grr = {"unit": "mm", "interaction_f": 1.0, "interaction_p_value": 0.5, "interaction_pooled": True,
           "variance_components": var, "percent_contribution": {k: 100 * var[k] / var["total"] for k in keys},
           "percent_study_variation": pct_sv, "percent_tolerance": pct_tol, "ndc": ndc, "decision": decision}

    with open(IN / "production_subgroups.csv", newline="") as handle:
        groups = [[float(r[f"x{i}"]) for i in range(1, 6)] for r in csv.DictReader(handle)]
    means = [statistics.mean(s) for s in groups]
    ranges = [max(s) - min(s) for s in groups]
    r_bar, x_bar = statistics.mean(ranges), statistics.mean(means)
    rows = []
    for i, (m, r) in enumerate(zip(means, ranges, strict=True), start=1):
        flags = [f for f, hit in (("N1", abs(m - x_bar) > 0.577 * r_bar), ("R1", r > 2.114 * r_bar)) if hit]
        rows.append([i, m, r, x_bar, x_bar + 0.577 * r_bar, x_bar - 0.577 * r_bar, r_bar, 2.114 * r_bar, 0,
                     ";".join(flags)])
    values = [v for s in groups for v in s]
    mean, sigma_o, sigma_w = statistics.mean(values), statistics.stdev(values), r_bar / 2.326
    upper = (spec["usl"] - mean) / 3
    lower = None if spec["lsl"] is None else (mean - spec["lsl"]) / 3
    cap = {"subgroups_excluded": [r[0] for r in rows if r[-1]], "mean": mean, "sigma_within": sigma_w,
           "sigma_overall": sigma_o,
           "cp": None if lower is None else (spec["usl"] - spec["lsl"]) / (6 * sigma_w),
           "cpk": min(upper, lower if lower is not None else upper) / sigma_w,
           "pp": None if lower is None else (spec["usl"] - spec["lsl"]) / (6 * sigma_o),
           "ppk": min(upper, lower if lower is not None else upper) / sigma_o}
    cap["decision"] = "accept" if cap["ppk"] >= 1.67 else "conditional" if cap["ppk"] >= 1.33 else "reject"

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "grr.json").write_text(json.dumps(grr, indent=2))
    (OUT / "capability.json").write_text(json.dumps(cap, indent=2))
    with open(OUT / "spc.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["subgroup", "mean", "range", "xbar_cl", "xbar_ucl", "xbar_lcl", "r_cl", "r_ucl", "r_lcl",
                         "flags"])
        writer.writerows(rows)
    (OUT / "msa_report.md").write_text(
        f"# MSA and capability report\n\n%GRR of study variation: {pct_sv['gauge_rr']:.2f} %; %GRR of tolerance: "
        f"{pct_tol['gauge_rr']:.2f} %; ndc: {ndc}.\n\nGauge decision: {decision}\n\n"
        f"Cpk {cap['cpk']:.3f}; Ppk {cap['ppk']:.3f}.\n\nProcess decision: {cap['decision']}\n")


if __name__ == "__main__":
    main()
