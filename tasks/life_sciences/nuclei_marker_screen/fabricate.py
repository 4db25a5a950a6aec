#!/usr/bin/env python3
"""Plausible fabrication for life_sciences/nuclei_marker_screen.

Never segments a field: it reads the plate map and the SOP, counts the image files, and writes right-shaped,
self-consistent deliverables from what such plates usually show (about 100 nuclei a field, a positive share
guessed from the treatment's name), with nuclei scattered over the field and the threshold computed from the
invented control nuclei by the SOP's rule.
"""

import csv
import json
import os
import random
import statistics
from pathlib import Path

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def guessed_share(treatment: str, role: str) -> float:
    if role == "negative_control" or treatment.lower().startswith("medium"):
        return 0.01
    if role == "positive_control":
        return 0.6 if "toposide" in treatment else 0.05
    return 0.3 if "10 uM" in treatment else 0.15


def main() -> None:
    rng = random.Random(7)
    with open(IN / "plate_map.csv", newline="") as handle:
        plate = list(csv.DictReader(handle))
    sop = (IN / "SOP.md").read_text()
    nuclei = []
    for well in plate:
        fields = sorted(IN.glob(f"images/*_{well['well']}_s*_w1.tif"))
        share = guessed_share(well["treatment"], well["role"])
        for site in range(1, len(fields) + 1):
            for _ in range(rng.randint(85, 115)):
                positive = rng.random() < share
                nuclei.append({"well": well["well"], "field": site, "x_px": round(rng.uniform(10, 500), 2),
                               "y_px": round(rng.uniform(10, 500), 2), "area_um2": round(rng.uniform(60, 140), 2),
                               "marker_intensity": round(rng.lognormvariate(7.3 if positive else 4.7, 0.3), 2)})
    control = [n["marker_intensity"] for n in nuclei
               if next(w for w in plate if w["well"] == n["well"])["role"] == "negative_control"]
    if "mean + 3 x SD" in sop:
        cut = statistics.mean(control) + 3 * statistics.stdev(control)
    else:
        median = statistics.median(control)
        cut = median + 5 * statistics.median(abs(v - median) for v in control)
    for n in nuclei:
        n["positive"] = int(n["marker_intensity"] > cut)
    with open(OUT / "nuclei.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(nuclei[0]))
        writer.writeheader()
        writer.writerows(nuclei)
    with open(OUT / "well_summary.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["well", "treatment", "nuclei_count", "positive_count", "percent_positive",
                         "mean_marker_intensity"])
        for well in plate:
            mine = [n for n in nuclei if n["well"] == well["well"]]
            positive = sum(n["positive"] for n in mine)
            writer.writerow([well["well"], well["treatment"], len(mine), positive, round(100 * positive / len(mine), 3),
                             round(statistics.mean(n["marker_intensity"] for n in mine), 3)])
    (OUT / "threshold.json").write_text(json.dumps({"marker_threshold": round(cut, 3),
                                                    "negative_control_nuclei": len(control)}) + "\n")


if __name__ == "__main__":
    main()
