#!/usr/bin/env python3
"""Plausible fabrication for health_medicine/block_randomization.

Right files and fields, no real work: Lehr's rule of thumb with an assumed SD of 1 (or a
rate of 0.3), a 10% dropout add-on, fixed blocks of the smallest size in a repeating order,
and a placeholder script.
"""

import csv
import json
import math
import os
from itertools import product
from pathlib import Path

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def main() -> None:
    design = json.loads((IN / "design_parameters.json").read_text())
    arms = [(a["name"], a["ratio"]) for a in design["arms"]]
    delta = design["endpoint"]["difference"]
    n = math.ceil(16 / delta**2) if design["endpoint"]["type"] == "continuous" else math.ceil(16 * 0.25 / delta**2)
    evaluable = {name: n * ratio for name, ratio in arms}
    total = math.ceil(sum(evaluable.values()) * 1.1)
    sample = {"method": "normal approximation", "assumptions": {"sd": 1.0, "p_control": 0.3, "difference": delta},
              "evaluable_per_arm": evaluable, "evaluable_total": sum(evaluable.values()), "achieved_power": 0.8,
              "dropout_rate": design["dropout"], "randomized_total": total,
              "randomized_per_arm": {name: round(total * r / sum(q for _, q in arms)) for name, r in arms}}
    (OUT / "sample_size.json").write_text(json.dumps(sample, indent=2))

    size = min(design["block_sizes"])
    unit = sum(r for _, r in arms)
    block = [name for name, ratio in arms for _ in range(size * ratio // unit)]
    rows, lengths = [], {}
    strata = ["-".join(level[0] for level in combo) for combo in product(*[f["levels"] for f in design["factors"]])]
    for stratum in strata:
        count = 0
        for b in range(1, 11):
            for position, arm in enumerate(block, start=1):
                count += 1
                rows.append([stratum, b, size, position, f"{stratum}-{count:03d}", arm])
        lengths[stratum] = count
    with open(OUT / "randomization_schedule.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["stratum", "block_number", "block_size", "position", "randomization_number", "arm"])
        writer.writerows(rows)
    with open(OUT / "allocation_summary.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["stratum", "arm", "n_allocated"])
        for stratum in strata:
            for name, ratio in arms:
                writer.writerow([stratum, name, 10 * size * ratio // unit])
    plan = {"seed": 12345, "generator": "python random", "block_sizes": design["block_sizes"], "strata": strata,
            "list_length_per_stratum": lengths}
    (OUT / "randomization_plan.json").write_text(json.dumps(plan, indent=2))
    (OUT / "generate_schedule.py").write_text("import sys\nprint('schedule generated', sys.argv[1:])\n")


if __name__ == "__main__":
    main()
