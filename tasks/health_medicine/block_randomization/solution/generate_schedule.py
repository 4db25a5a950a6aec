#!/usr/bin/env python3
"""Stratified permuted-block randomisation list, reproducible from the plan's seed.

Usage: python3 generate_schedule.py OUT.csv   (in a directory holding design_parameters.json,
sample_size.json and randomization_plan.json)

ALE-CANARY-24df4d0a-58b7-4d11-9419-e997129687fd
"""

import csv
import json
import math
import sys
from itertools import product
from pathlib import Path

import numpy as np


def main(out_path: str) -> None:
    design = json.loads(Path("design_parameters.json").read_text())
    total = int(json.loads(Path("sample_size.json").read_text())["randomized_total"])
    seed = int(json.loads(Path("randomization_plan.json").read_text())["seed"])
    rng = np.random.Generator(np.random.PCG64(seed))

    arms = [(a["name"], int(a["ratio"])) for a in design["arms"]]
    unit = sum(r for _, r in arms)
    sizes = [int(b) for b in design["block_sizes"]]
    rows = []
    for combo in product(*[f["levels"] for f in design["factors"]]):
        stratum = "-".join(level[0] for level in combo)
        share = math.prod(level[2] for level in combo)
        needed = math.ceil(design["list_capacity_factor"] * total * share - 1e-9)
        count, block = 0, 0
        while count < needed:
            block += 1
            size = sizes[int(rng.integers(len(sizes)))]
            content = [name for name, ratio in arms for _ in range(size * ratio // unit)]
            order = rng.permutation(len(content))
            for position, index in enumerate(order, start=1):
                count += 1
                rows.append([stratum, block, size, position, f"{stratum}-{count:03d}", content[index]])
    with open(out_path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["stratum", "block_number", "block_size", "position", "randomization_number", "arm"])
        writer.writerows(rows)


if __name__ == "__main__":
    main(sys.argv[1])
