#!/usr/bin/env python3
"""Plausible fabrication for transport_safety/webster_signal_timing: right files, rule-of-thumb numbers.

Hourly volumes are the two-hour count halved, a textbook PHF of 0.92 is assumed, the cycle is a
round 90 s split evenly between the phases, and delays are the uniform-delay term alone.
"""

import csv
import json
import os
from pathlib import Path

from openpyxl import Workbook

inp = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
out = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
out.mkdir(parents=True, exist_ok=True)
board = next(p for p in inp.glob("*.csv") if p.name not in ("lane_groups.csv", "phases.csv"))
rows = list(csv.reader(board.read_text().splitlines()))
grand = next(r for r in rows if r and r[0] == "Grand Total")
order = ["SB", "WB", "NB", "EB"]
vol = {}
for k, app in enumerate(order):
    for m, mv in enumerate("LTR"):
        vol[(app, mv)] = int(grand[1 + 5 * k + m]) / 2
groups = list(csv.DictReader((inp / "lane_groups.csv").read_text().splitlines()))
phases = list(csv.DictReader((inp / "phases.csv").read_text().splitlines()))
cycle, n = 90.0, len(phases)
lost = sum(float(p["lost_time_s"]) for p in phases)
g_eff = (cycle - lost) / n

wb = Workbook()
ws = wb.active
ws.title = "Volumes"
ws.append(["approach", "movement", "peak_hour_volume", "design_flow_vph"])
for (app, mv), v in vol.items():
    ws.append([app, mv, v, v / 0.92])
ws = wb.create_sheet("LaneGroups")
ws.append(["lane_group", "phase", "flow_vph", "sat_flow_vph", "flow_ratio", "critical", "eff_green_s", "capacity_vph",
           "vc_ratio", "delay_s", "los"])
delays = []
for grp in groups:
    f = sum(vol[(grp["approach"], mv)] / 0.92 for mv in grp["movements"])
    s = float(grp["sat_flow_vph"])
    cap = s * g_eff / cycle
    d = 0.5 * cycle * (1 - g_eff / cycle) ** 2 / (1 - min(1, f / cap) * g_eff / cycle)
    delays.append((f, d))
    ws.append([grp["lane_group"], int(grp["phase"]), f, s, f / s, True, g_eff, cap, f / cap, d, "C"])
ws = wb.create_sheet("Phases")
ws.append(["phase", "critical_lane_group", "critical_flow_ratio", "eff_green_s", "green_s", "yellow_s", "all_red_s",
           "lost_time_s"])
for p in phases:
    first = next(grp for grp in groups if grp["phase"] == p["phase"])
    ws.append([int(p["phase"]), first["lane_group"], 0.3, g_eff,
               g_eff + float(p["lost_time_s"]) - float(p["yellow_s"]) - float(p["all_red_s"]),
               float(p["yellow_s"]), float(p["all_red_s"]), float(p["lost_time_s"])])
ws = wb.create_sheet("Approaches")
ws.append(["approach", "delay_s", "los"])
for app in order:
    ws.append([app, 25.0, "C"])
wb.save(out / "timing_plan.xlsx")
total = sum(f * d for f, d in delays) / sum(f for f, _ in delays)
summary = {"peak_hour_start": rows[next(i for i, r in enumerate(rows) if r and r[0] == "Start Time") + 3][0],
           "peak_hour_volume": sum(vol.values()), "phf": 0.92, "sum_critical_flow_ratios": 0.3 * n,
           "total_lost_time_s": lost, "optimal_cycle_s": 90.0, "cycle_s": 90, "critical_vc_ratio": 0.85,
           "intersection_delay_s": round(total, 2), "intersection_los": "C"}
(out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
