#!/usr/bin/env python3
"""Oracle for transport_safety/webster_signal_timing (python3 + pandas, workbook via openpyxl).

ALE-CANARY-0c3b288f-0a89-40bc-8a53-656f26a0ea6c

Reads the count-board export, finds the peak hour and PHF, builds design flows, lane-group flow
ratios and critical lane groups, sizes the cycle by Webster's formula, splits the greens, and
evaluates capacity, v/c, HCM 2000 control delay and LOS; writes timing_plan.xlsx and summary.json.

Run under another name (adversaries/), it takes one shortcut:
no_phf: design flows are the peak-hour volumes themselves (the PHF is reported but not applied).
uniform_delay_only: control delay is Webster's uniform term alone (no incremental delay).
unrounded_cycle: Webster's optimum cycle is adopted as computed, neither rounded up nor held within the
  design basis's cycle limits.
cycle_limits_ignored: Webster's optimum cycle is rounded up to the next multiple of 5 s but never held
  within the design basis's cycle limits.
critical_by_flow: the critical lane group of each phase is the one with the highest flow, not the highest
  flow ratio v/s.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import sys
from pathlib import Path

import pandas as pd

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
DIRECTIONS = {"Northbound": "NB", "Southbound": "SB", "Eastbound": "EB", "Westbound": "WB"}
MOVES = {"Left": "L", "Thru": "T", "Right": "R"}
SHORTCUT = Path(sys.argv[0]).stem  # "solve" for the oracle, an adversary's name otherwise


def read_count_board(path: Path) -> pd.DataFrame:
    """Long table: time, approach, movement, count (vehicles only)."""
    rows = list(csv.reader(path.read_text().splitlines()))
    head = next(i for i, r in enumerate(rows) if r and r[0].strip() == "Start Time")
    directions, labels = rows[head - 1], rows[head]
    current, columns = None, {}
    for j, label in enumerate(labels):
        if j < len(directions) and directions[j].strip() in DIRECTIONS:
            current = DIRECTIONS[directions[j].strip()]
        if current and label.strip() in MOVES:
            columns[j] = (current, MOVES[label.strip()])
    records = []
    for r in rows[head + 1:]:
        if not r or not re.fullmatch(r"\d{1,2}:\d{2}", r[0].strip()):
            continue
        for j, (app, mv) in columns.items():
            records.append({"time": r[0].strip(), "approach": app, "movement": mv, "count": int(r[j])})
    return pd.DataFrame(records)


def los(delay: float) -> str:
    for limit, grade in ((10, "A"), (20, "B"), (35, "C"), (55, "D"), (80, "E")):
        if delay <= limit:
            return grade
    return "F"


def hcm_delay(cycle: float, g: float, cap: float, x: float) -> float:
    lam = g / cycle
    d1 = 0.5 * cycle * (1 - lam) ** 2 / (1 - min(1.0, x) * lam)
    d2 = 900 * 0.25 * ((x - 1) + math.sqrt((x - 1) ** 2 + 8 * 0.5 * 1.0 * x / (cap * 0.25)))
    return d1 if SHORTCUT == "uniform_delay_only" else d1 + d2


def main() -> None:
    count_file = next(p for p in INPUT.glob("*.csv") if p.name not in ("lane_groups.csv", "phases.csv"))
    counts = read_count_board(count_file)
    groups = pd.read_csv(INPUT / "lane_groups.csv")
    phases = pd.read_csv(INPUT / "phases.csv")
    basis = json.loads((INPUT / "design_basis.json").read_text())

    totals = counts.groupby("time", sort=False)["count"].sum()
    hourly = totals.rolling(4).sum().shift(-3).dropna()
    start = hourly.idxmax()  # first maximum: the earliest hour on ties
    window = list(totals.index[list(totals.index).index(start):][:4])
    phv = float(hourly[start])
    phf = phv / (4 * totals[window].max())
    vols = (counts[counts["time"].isin(window)].groupby(["approach", "movement"])["count"].sum()
            .reindex(pd.MultiIndex.from_product([["NB", "SB", "EB", "WB"], ["L", "T", "R"]])).reset_index())
    vols.columns = ["approach", "movement", "peak_hour_volume"]
    vols["design_flow_vph"] = vols["peak_hour_volume"] / (1.0 if SHORTCUT == "no_phf" else phf)
    flow = {(a, m): f for a, m, f in vols[["approach", "movement", "design_flow_vph"]].itertuples(index=False)}

    groups["flow_vph"] = [sum(flow[(a, m)] for m in mv) for a, mv in zip(groups["approach"], groups["movements"], strict=True)]
    groups["flow_ratio"] = groups["flow_vph"] / groups["sat_flow_vph"]
    crit_idx = groups.groupby("phase")["flow_vph" if SHORTCUT == "critical_by_flow" else "flow_ratio"].idxmax()
    groups["critical"] = groups.index.isin(crit_idx)
    big_y = groups.loc[crit_idx, "flow_ratio"].sum()
    lost = phases["lost_time_s"].sum()
    c0 = (1.5 * lost + 5) / (1 - big_y)
    cycle = min(basis["max_cycle_s"], max(basis["min_cycle_s"], 5 * math.ceil(c0 / 5 - 1e-9)))
    if SHORTCUT == "unrounded_cycle":
        cycle = round(c0, 1)
    if SHORTCUT == "cycle_limits_ignored":
        cycle = 5 * math.ceil(c0 / 5 - 1e-9)

    crit = groups.loc[crit_idx].set_index("phase")
    phases["critical_lane_group"] = phases["phase"].map(crit["lane_group"])
    phases["critical_flow_ratio"] = phases["phase"].map(crit["flow_ratio"])
    phases["eff_green_s"] = (cycle - lost) * phases["critical_flow_ratio"] / big_y
    phases["green_s"] = phases["eff_green_s"] + phases["lost_time_s"] - phases["yellow_s"] - phases["all_red_s"]

    groups["eff_green_s"] = groups["phase"].map(phases.set_index("phase")["eff_green_s"])
    groups["capacity_vph"] = groups["sat_flow_vph"] * groups["eff_green_s"] / cycle
    groups["vc_ratio"] = groups["flow_vph"] / groups["capacity_vph"]
    groups["delay_s"] = [hcm_delay(cycle, g, c, x) for g, c, x in
                         zip(groups["eff_green_s"], groups["capacity_vph"], groups["vc_ratio"], strict=True)]
    groups["los"] = groups["delay_s"].map(los)

    weighted = groups.assign(w=groups["delay_s"] * groups["flow_vph"])
    app = weighted.groupby("approach", sort=False)[["w", "flow_vph"]].sum()
    approaches = pd.DataFrame({"approach": app.index, "delay_s": (app["w"] / app["flow_vph"]).values})
    approaches["los"] = approaches["delay_s"].map(los)
    int_delay = weighted["w"].sum() / weighted["flow_vph"].sum()

    OUTPUT.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(OUTPUT / "timing_plan.xlsx", engine="openpyxl") as xl:
        vols.to_excel(xl, sheet_name="Volumes", index=False)
        groups[["lane_group", "approach", "movements", "phase", "flow_vph", "sat_flow_vph", "flow_ratio", "critical",
                "eff_green_s", "capacity_vph", "vc_ratio", "delay_s", "los"]].to_excel(
            xl, sheet_name="LaneGroups", index=False)
        phases[["phase", "description", "critical_lane_group", "critical_flow_ratio", "eff_green_s", "green_s",
                "yellow_s", "all_red_s", "lost_time_s"]].to_excel(xl, sheet_name="Phases", index=False)
        approaches.to_excel(xl, sheet_name="Approaches", index=False)
    summary = {
        "peak_hour_start": start, "peak_hour_volume": phv, "phf": round(phf, 5),
        "sum_critical_flow_ratios": round(big_y, 5), "total_lost_time_s": float(lost),
        "optimal_cycle_s": round(c0, 3), "cycle_s": cycle, "critical_vc_ratio": round(big_y * cycle / (cycle - lost), 4),
        "intersection_delay_s": round(int_delay, 3), "intersection_los": los(int_delay),
    }
    (OUTPUT / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
