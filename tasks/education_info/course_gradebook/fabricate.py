#!/usr/bin/env python3
"""Plausible fabrication: grades from the raw export's point totals (every grading, every row counted,
no policy applied), and a gradebook that is only the export pasted in."""

import csv
import os
import shutil
from pathlib import Path

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    earned: dict[str, float] = {}
    possible: dict[str, float] = {}
    with (IN / "lms_export.csv").open(newline="") as handle:
        for r in csv.DictReader(handle):
            earned[r["student_id"]] = earned.get(r["student_id"], 0.0) + float(r["points"] or 0)
            possible[r["student_id"]] = possible.get(r["student_id"], 0.0) + float(r["max_points"] or 0)
    with (OUT / "grades_export.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["student_id", "final_percent", "letter"])
        for sid in earned:
            pct = 100 * earned[sid] / possible[sid]
            out.writerow([sid, f"{pct:.2f}", "A" if pct >= 90 else "B" if pct >= 80 else "C" if pct >= 70 else
                          "D" if pct >= 60 else "F"])
    shutil.copyfile(IN / "lms_export.csv", OUT / "gradebook.ods")


if __name__ == "__main__":
    main()
