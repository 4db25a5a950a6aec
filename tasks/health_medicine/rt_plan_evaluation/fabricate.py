#!/usr/bin/env python3
"""Plausible fabrication: no DVH, no optimisation. The largest dose object of the export is handed over as the
final plan, every beam keeps weight 1, the tables carry each constraint's limit as its value (all passing),
smooth made-up DVHs, and a confident approval governed by the hot spot."""

import csv
import json
import os
import shutil
from pathlib import Path

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def main() -> None:
    protocol = json.loads((IN / "protocol.json").read_text())
    rx = protocol["prescription"]["dose_gy"]
    OUT.mkdir(parents=True, exist_ok=True)
    doses = sorted((IN / "dicom").glob("RD.*.dcm"), key=lambda p: p.stat().st_size)
    shutil.copy(doses[-1], OUT / "final_dose.dcm")
    with (OUT / "beam_weights.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["beam_number", "beam_name", "weight"])
        writer.writerows([i, f"B{i}", 1.0] for i in range(1, len(doses)))
    with (OUT / "dvh.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["structure", "plan", "dose_gy", "volume_pct"])
        for plan in ("initial", "final"):
            for s in protocol["dvh_structures"]:
                edge = rx if s == "PTV" else 0.4 * rx
                for k in range(0, 126):
                    d = k * rx / 100
                    writer.writerow([s, plan, f"{d:.2f}", f"{100.0 / (1 + (d / edge) ** 12):.2f}"])
    rows = []
    for plan in ("initial", "final"):
        for c in protocol["constraints"]:
            limit = c.get("limit", c.get("limit_pct_rx", 100) * rx / 100)
            rows.append([plan, c["structure"], c["metric"], f"{limit:.2f}", f"{limit:.2f}",
                         "%" if c["metric"].startswith("V") else "Gy", "yes"])
    with (OUT / "constraints.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["plan", "structure", "metric", "value", "limit", "unit", "pass"])
        writer.writerows(rows)
    priority = next(c for c in protocol["constraints"] if c["role"].startswith("priority"))
    report = {"excluded_dose_objects": [], "final_plan": {
        "ptv_d98_gy": 0.97 * rx, "ptv_d95_gy": rx, "ptv_d50_gy": 1.02 * rx, "ptv_d2_gy": 1.05 * rx, "paddick_ci": 0.8,
        "homogeneity_index": 0.08, "priority_objective": {"structure": priority["structure"], "metric": "Dmean",
                                                          "value_gy": priority["limit"] * 0.9}},
        "decision": "approve", "governing_constraint": "PTV D2%", "signed_by": "A. Physicist", "date": "2026-12-03"}
    (OUT / "plan_report.json").write_text(json.dumps(report, indent=2) + "\n")
    (OUT / "plan_report.md").write_text(
        f"# Plan check\n\nAll constraints met. {priority['structure']} mean {priority['limit'] * 0.9:.2f} Gy.\n\n"
        "Decision: approve. Governing constraint: PTV D2%.\n\nSigned: A. Physicist\n")


main()
