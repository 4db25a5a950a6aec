#!/usr/bin/env python3
"""Plausible fabrication for business_finance/pay_equity_audit.

Never fits the protocol's model: it reads the export with the csv module, takes salaries as exported
(no de-duplication, FTE or FX), calls a cohort comparison of mean salaries the "adjusted" gap, makes
up a standard error from the headcount, and remediates women paid below 90% of their cohort's male
mean, funding from the top of the list. Every deliverable is right-shaped and self-consistent.
"""

import csv
import json
import math
import os
import re
import statistics
from pathlib import Path

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def main() -> None:
    rows = list(csv.DictReader((IN / "hris_export.csv").read_text().splitlines()))
    protocol = (IN / "audit_protocol.md").read_text()
    budget = float(re.search(r"USD ([\d,]+)\*\*", protocol).group(1).replace(",", ""))
    women = [float(r["base_salary"]) for r in rows if r["gender"] == "F"]
    men = [float(r["base_salary"]) for r in rows if r["gender"] == "M"]
    raw = 100 * (statistics.mean(women) / statistics.mean(men) - 1)
    cohorts, gaps = [], []
    keys = sorted({(r["job_family"], r["job_level"]) for r in rows})
    male_mean = {}
    for family, level in keys:
        part = [r for r in rows if (r["job_family"], r["job_level"]) == (family, level)]
        w = [float(r["base_salary"]) for r in part if r["gender"] == "F"]
        m = [float(r["base_salary"]) for r in part if r["gender"] == "M"]
        if len(w) < 5 or len(m) < 5:
            continue
        male_mean[(family, level)] = statistics.mean(m)
        gap = 100 * (statistics.mean(w) / statistics.mean(m) - 1)
        gaps.append(gap)
        cohorts.append([family, level, len(w), len(m), round(gap, 3), round(gap * 0.8, 3),
                        0.01 if gap < -5 else 0.4, gap < -5])
    adjusted = statistics.mean(gaps)
    se = 1.0 / math.sqrt(len(rows))
    low, high = adjusted - 1.96 * 100 * se, adjusted + 1.96 * 100 * se
    remediation, total = [], 0.0
    for r in rows:
        target = male_mean.get((r["job_family"], r["job_level"]))
        if r["gender"] == "F" and target and float(r["base_salary"]) < 0.9 * target:
            increase = round(target) - float(r["base_salary"])
            funded = total + increase <= budget
            total += increase if funded else 0.0
            remediation.append([r["employee_id"], r["currency"], r["base_salary"], round(target), increase, increase,
                                funded])
    funded_n = sum(1 for x in remediation if x[-1])
    model = {"n": len(rows), "se_type": "HC3", "r_squared": 0.91,
             "coefficients": {"female": {"estimate": math.log1p(adjusted / 100), "se": se},
                              "tenure_years": {"estimate": 0.01, "se": 0.001},
                              "time_in_level_years": {"estimate": 0.015, "se": 0.002}},
             "raw_gap_pct": raw,
             "adjusted_gap": {"coefficient": math.log1p(adjusted / 100), "se": se, "pct": adjusted,
                              "ci_low_pct": low, "ci_high_pct": high, "p_value": 0.01, "significant": True},
             "remediation": {"budget_usd": budget, "eligible": len(remediation), "funded": funded_n,
                             "total_increase_usd": total}}
    (OUT / "model.json").write_text(json.dumps(model, indent=2))
    with open(OUT / "cohorts.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["job_family", "job_level", "n_women", "n_men", "raw_gap_pct", "adjusted_gap_pct", "p_value",
                         "flagged"])
        writer.writerows(cohorts)
    with open(OUT / "remediation.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["employee_id", "currency", "current_salary", "proposed_salary", "increase", "increase_usd",
                         "funded"])
        writer.writerows(remediation)
    flagged = [f"{c[0]} {c[1]}" for c in cohorts if c[-1]]
    (OUT / "audit_memo.md").write_text(
        "# Pay equity audit\n\n"
        f"Raw gap: {raw:.1f}%.\n\nAdjusted gap: {adjusted:.1f}% (95% CI {low:.1f}% to {high:.1f}%, p = 0.01); "
        "the adjusted gap is statistically significant.\n\n"
        f"Flagged cohorts: {', '.join(flagged) or 'none'}.\n\n"
        f"Remediation: {funded_n} raises funded, USD {total:,.2f}.\n")


if __name__ == "__main__":
    main()
