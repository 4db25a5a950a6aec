"""Fixed-time signal plan by Webster's method from a turning-movement count.

ALE-CANARY-0c3b288f-0a89-40bc-8a53-656f26a0ea6c

Workflow: a traffic engineer receives a two-hour turning-movement count exported from a count
board (15-minute intervals, approach/movement columns, pedestrian and total columns) and the
intersection's lane groups with adjusted saturation flows and the phase plan. They find the peak
hour and its peak-hour factor, turn peak-hour volumes into design flow rates, compute flow ratios,
pick the critical lane group of each phase, size the cycle by Webster's formula, split the
effective green in proportion to the critical flow ratios, convert to displayed greens, and
evaluate capacity, v/c, HCM control delay and level of service per lane group, approach and
intersection. Variants: two-phase permissive, three-phase with protected leading lefts on the
major street, four-phase with protected lefts on both streets, and split phasing.

generate() writes the count board CSV, lane_groups.csv, phases.csv and design_basis.json from the
seed, and computes the reference plan (reference/plan.json) from the same ground truth; seeds are
drawn until the cycle, LOS and critical choices are not knife-edge cases and, in at least one phase, the
lane group with the highest flow is not the one with the highest flow ratio (lane counts and saturation
flows differ between the groups of a phase). The design basis's maximum cycle is the controller's
programmed maximum, a whole second that Webster's cycle rounded up to 5 s exceeds while the unrounded
optimum stays under it, so both the rounding rule and the cycle limit decide the adopted cycle.

grade() reads timing_plan.xlsx and summary.json and compares them with the reference (peak hour,
PHF, design flows, flow ratios and critical lane groups, cycle, greens, capacity, v/c, delay, LOS)
and checks the plan's internal consistency: displayed greens plus intergreens add up to the
cycle, effective greens plus lost time add up to the cycle, the summary agrees with the workbook,
and the intersection delay is the flow-weighted mean of the lane-group delays.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, as_number, is_close, write_csv

APPROACHES = ["SB", "WB", "NB", "EB"]  # count-board order, clockwise from the north leg
NAMES = {"SB": "Southbound", "WB": "Westbound", "NB": "Northbound", "EB": "Eastbound"}
MOVES = ["L", "T", "R"]
LOS_LIMITS = [(10.0, "A"), (20.0, "B"), (35.0, "C"), (55.0, "D"), (80.0, "E")]
T_HOURS, K_DELAY, I_UPSTREAM = 0.25, 0.5, 1.0
GEOMETRY_STREAM = 1  # the seed's own stream for lane counts and saturation flows
AGENCY_CYCLE_LIMITS_S = (40, 150)  # the agency's design range; the controller's maximum lies inside it
SHEETS = {
    "Volumes": ["approach", "movement", "peak_hour_volume", "design_flow_vph"],
    "LaneGroups": ["lane_group", "phase", "flow_vph", "sat_flow_vph", "flow_ratio", "critical", "eff_green_s",
                   "capacity_vph", "vc_ratio", "delay_s", "los"],
    "Phases": ["phase", "critical_lane_group", "critical_flow_ratio", "eff_green_s", "green_s", "yellow_s",
               "all_red_s", "lost_time_s"],
    "Approaches": ["approach", "delay_s", "los"],
}
SUMMARY_KEYS = ["peak_hour_start", "peak_hour_volume", "phf", "sum_critical_flow_ratios", "total_lost_time_s",
                "optimal_cycle_s", "cycle_s", "critical_vc_ratio", "intersection_delay_s", "intersection_los"]

# Lane groups per phasing scheme: (lane group, approach, movements, lane counts a site may have, base saturation
# per lane, phase). Opposing approaches differ in lanes and site conditions, so within a phase the group with the
# most traffic is often not the one with the highest flow ratio; the first lane count is the design-volume basis.
LAYOUTS: dict[str, list[tuple[str, str, str, tuple[int, ...], float, int]]] = {
    "two_phase": [
        ("NB-L", "NB", "L", (1,), 520, 1), ("NB-TR", "NB", "TR", (2, 3), 1750, 1),
        ("SB-L", "SB", "L", (1,), 520, 1), ("SB-TR", "SB", "TR", (2, 3), 1750, 1),
        ("EB-LTR", "EB", "LTR", (1, 2), 1480, 2), ("WB-LTR", "WB", "LTR", (1, 2), 1480, 2),
    ],
    "three_phase": [
        ("NB-L", "NB", "L", (1, 2), 1710, 1), ("SB-L", "SB", "L", (1, 2), 1710, 1),
        ("NB-TR", "NB", "TR", (2, 3), 1760, 2), ("SB-TR", "SB", "TR", (2, 3), 1760, 2),
        ("EB-L", "EB", "L", (1,), 560, 3), ("EB-TR", "EB", "TR", (1, 2), 1690, 3),
        ("WB-L", "WB", "L", (1,), 560, 3), ("WB-TR", "WB", "TR", (1, 2), 1690, 3),
    ],
    "four_phase": [
        ("NB-L", "NB", "L", (1, 2), 1710, 1), ("SB-L", "SB", "L", (1, 2), 1710, 1),
        ("NB-TR", "NB", "TR", (2, 3), 1760, 2), ("SB-TR", "SB", "TR", (2, 3), 1760, 2),
        ("EB-L", "EB", "L", (1, 2), 1690, 3), ("WB-L", "WB", "L", (1, 2), 1690, 3),
        ("EB-TR", "EB", "TR", (2, 3), 1740, 4), ("WB-TR", "WB", "TR", (2, 3), 1740, 4),
    ],
    "split": [
        ("NB-LTR", "NB", "LTR", (2,), 1650, 1), ("SB-LTR", "SB", "LTR", (2,), 1650, 2),
        ("EB-L", "EB", "L", (1,), 1700, 3), ("EB-TR", "EB", "TR", (1, 2), 1720, 3),
        ("WB-L", "WB", "L", (1,), 1700, 4), ("WB-TR", "WB", "TR", (1, 2), 1720, 4),
    ],
}
PHASE_NAMES = {
    "two_phase": ["N-S all movements (permissive lefts)", "E-W all movements"],
    "three_phase": ["N-S protected lefts (leading)", "N-S through and right", "E-W all movements (permissive lefts)"],
    "four_phase": ["N-S protected lefts", "N-S through and right", "E-W protected lefts", "E-W through and right"],
    "split": ["Northbound only", "Southbound only", "Eastbound only", "Westbound only"],
}


# -- ground truth -----------------------------------------------------------------------------

def hourly_demand(rng: np.random.Generator, scheme: str, groups: list[dict[str, Any]]) -> dict[tuple[str, str], float]:
    """Peak-hour demand per movement (veh/h) shaped by the phasing scheme; an approach built with more lanes
    carries more traffic, but less per lane."""
    heavy_left = scheme in ("three_phase", "four_phase")
    lane_scale = {(grp["approach"], mv): math.sqrt(grp["lanes"] / grp["design_lanes"])
                  for grp in groups for mv in grp["movements"]}
    demand = {}
    for app in APPROACHES:
        major = app in ("NB", "SB")
        through = rng.uniform(620, 900) if major else rng.uniform(260, 460)
        if scheme == "four_phase" and not major:
            through = rng.uniform(420, 620)
        if scheme == "split":
            through = rng.uniform(280, 520) if major else rng.uniform(180, 330)
        share = (rng.uniform(0.22, 0.32) if heavy_left or (scheme == "split" and major)
                 else rng.uniform(0.6, 1.2) if scheme == "split" else rng.uniform(0.08, 0.22))
        right = through * rng.uniform(0.10, 0.22)
        demand.update({(app, "L"): through * share * lane_scale[(app, "L")],
                       (app, "T"): through * lane_scale[(app, "T")], (app, "R"): right * lane_scale[(app, "R")]})
    return demand


def count_board(rng: np.random.Generator, demand: dict[tuple[str, str], float], start_min: int) -> dict[str, Any]:
    """Eight 15-minute intervals of counts with a peak somewhere in the middle."""
    peak_at = int(rng.integers(2, 5))
    shape = np.array([0.78, 0.84, 0.9, 0.96, 1.0, 0.97, 0.9, 0.83])
    shape = np.roll(shape, peak_at - 4)
    shape = shape * rng.uniform(0.96, 1.04, size=8)
    rows = []
    for k in range(8):
        row = {}
        for app in APPROACHES:
            for mv in MOVES:
                row[(app, mv)] = int(rng.poisson(demand[(app, mv)] / 4 * shape[k]))
            row[(app, "P")] = int(rng.poisson(6 if app in ("NB", "SB") else 10))
        rows.append(row)
    times = [f"{(start_min + 15 * k) // 60:02d}:{(start_min + 15 * k) % 60:02d}" for k in range(8)]
    return {"times": times, "rows": rows}


def lane_groups(rng: np.random.Generator, scheme: str) -> list[dict[str, Any]]:
    """Lane counts and adjusted saturation flows (grade, heavy vehicles, parking, lane width) of the site."""
    groups = []
    for name, app, moves, lane_counts, base, phase in LAYOUTS[scheme]:
        lanes = int(rng.choice(lane_counts))
        factor = rng.uniform(0.84, 1.0)
        groups.append({"lane_group": name, "approach": app, "movements": moves, "lanes": lanes,
                       "design_lanes": lane_counts[0], "sat_flow_vph": int(round(base * lanes * factor / 10) * 10),
                       "phase": phase})
    return groups


def phases(rng: np.random.Generator, scheme: str) -> list[dict[str, Any]]:
    out = []
    for k, desc in enumerate(PHASE_NAMES[scheme], start=1):
        protected_left = "protected lefts" in desc
        yellow = 3.0 if protected_left else float(rng.choice([3.5, 4.0, 4.5]))
        all_red = 1.0 if protected_left else float(rng.choice([1.0, 1.5, 2.0]))
        out.append({"phase": k, "description": desc, "yellow_s": yellow, "all_red_s": all_red,
                    "lost_time_s": float(rng.choice([4.0, 4.5, 5.0]))})
    return out


# -- the engineering --------------------------------------------------------------------------

def los_of(delay: float) -> str:
    return next((grade for limit, grade in LOS_LIMITS if delay <= limit), "F")


def peak_hour(board: dict[str, Any]) -> tuple[int, float, float]:
    """(first interval index, peak-hour volume, PHF) over the whole intersection; earliest on ties."""
    totals = [sum(v for (app, mv), v in row.items() if mv != "P") for row in board["rows"]]
    sums = [sum(totals[k:k + 4]) for k in range(len(totals) - 3)]
    first = int(np.argmax(sums))
    volume = sums[first]
    return first, float(volume), volume / (4 * max(totals[first:first + 4]))


def hcm_delay(cycle: float, green: float, capacity: float, x: float) -> float:
    """HCM 2000 control delay, PF = 1: uniform d1 plus incremental d2 (T = 0.25 h, k = 0.5, I = 1)."""
    ratio = green / cycle
    d1 = 0.5 * cycle * (1 - ratio) ** 2 / (1 - min(1.0, x) * ratio)
    d2 = 900 * T_HOURS * ((x - 1) + math.sqrt((x - 1) ** 2 + 8 * K_DELAY * I_UPSTREAM * x / (capacity * T_HOURS)))
    return d1 + d2


def rounded_up_to_5_s(cycle: float) -> int:
    """A cycle rounded up to the next multiple of 5 s (one already on a multiple, to float precision, stays)."""
    return 5 * math.ceil(cycle / 5 - 1e-9)


def plan(board: dict[str, Any], groups: list[dict[str, Any]], phase_rows: list[dict[str, Any]],
         basis: dict[str, Any]) -> dict[str, Any]:
    first, phv_total, phf = peak_hour(board)
    window = board["rows"][first:first + 4]
    volumes = {(app, mv): sum(r[(app, mv)] for r in window) for app in APPROACHES for mv in MOVES}
    flows = {k: v / phf for k, v in volumes.items()}
    lg = []
    for grp in groups:
        flow = sum(flows[(grp["approach"], mv)] for mv in grp["movements"])
        lg.append({**grp, "flow_vph": flow, "flow_ratio": flow / grp["sat_flow_vph"]})
    crit: dict[int, dict[str, Any]] = {}
    for row in lg:
        if row["phase"] not in crit or row["flow_ratio"] > crit[row["phase"]]["flow_ratio"]:
            crit[row["phase"]] = row
    big_y = sum(c["flow_ratio"] for c in crit.values())
    lost = sum(p["lost_time_s"] for p in phase_rows)
    c0 = (1.5 * lost + 5) / (1 - big_y)
    cycle = min(basis["max_cycle_s"], max(basis["min_cycle_s"], rounded_up_to_5_s(c0)))
    ph = []
    for p in phase_rows:
        c = crit[p["phase"]]
        g = (cycle - lost) * c["flow_ratio"] / big_y
        ph.append({**p, "critical_lane_group": c["lane_group"], "critical_flow_ratio": c["flow_ratio"],
                   "eff_green_s": g, "green_s": g + p["lost_time_s"] - p["yellow_s"] - p["all_red_s"]})
    green_of = {p["phase"]: p["eff_green_s"] for p in ph}
    for row in lg:
        g = green_of[row["phase"]]
        row["critical"] = crit[row["phase"]]["lane_group"] == row["lane_group"]
        row["eff_green_s"] = g
        row["capacity_vph"] = row["sat_flow_vph"] * g / cycle
        row["vc_ratio"] = row["flow_vph"] / row["capacity_vph"]
        row["delay_s"] = hcm_delay(cycle, g, row["capacity_vph"], row["vc_ratio"])
        row["los"] = los_of(row["delay_s"])
    approaches = []
    for app in APPROACHES:
        rows = [r for r in lg if r["approach"] == app]
        d = sum(r["delay_s"] * r["flow_vph"] for r in rows) / sum(r["flow_vph"] for r in rows)
        approaches.append({"approach": app, "delay_s": d, "los": los_of(d)})
    total_delay = sum(r["delay_s"] * r["flow_vph"] for r in lg) / sum(r["flow_vph"] for r in lg)
    summary = {
        "peak_hour_start": board["times"][first], "peak_hour_volume": phv_total, "phf": phf,
        "sum_critical_flow_ratios": big_y, "total_lost_time_s": lost, "optimal_cycle_s": c0, "cycle_s": cycle,
        "critical_vc_ratio": big_y * cycle / (cycle - lost), "intersection_delay_s": total_delay,
        "intersection_los": los_of(total_delay),
    }
    vol_rows = [{"approach": app, "movement": mv, "peak_hour_volume": volumes[(app, mv)],
                 "design_flow_vph": flows[(app, mv)]} for app in APPROACHES for mv in MOVES]
    return {"summary": summary, "volumes": vol_rows, "lane_groups": lg, "phases": ph, "approaches": approaches}


def controller_max_cycle(rng: np.random.Generator, optimal_cycle: float) -> int | None:
    """The controller's maximum cycle: a whole second at least 1.5 s above Webster's optimum and at least 1 s
    under it rounded up to 5 s (so neither the unrounded optimum, nor it rounded up to the next second or to
    5 s, is the adopted cycle), above the agency's minimum and at most its maximum; None when there is none."""
    rounded = rounded_up_to_5_s(optimal_cycle)
    agency_min, agency_max = AGENCY_CYCLE_LIMITS_S
    low, high = max(math.ceil(optimal_cycle + 1.5), agency_min + 1), min(rounded - 1, agency_max)
    return int(rng.integers(low, high + 1)) if low <= high else None


def robust(ref: dict[str, Any], board: dict[str, Any]) -> bool:
    """No knife-edge: cycle rounding, LOS bands, critical lane groups and the peak hour are clear-cut."""
    s = ref["summary"]
    if abs(s["optimal_cycle_s"] / 5 - round(s["optimal_cycle_s"] / 5)) < 0.1 or not 0.45 < s["sum_critical_flow_ratios"] < 0.82:
        return False
    delays = [r["delay_s"] for r in ref["lane_groups"]] + [a["delay_s"] for a in ref["approaches"]]
    delays.append(s["intersection_delay_s"])
    if any(abs(d - limit) < 1.0 for d in delays for limit, _ in LOS_LIMITS):
        return False
    if any(r["vc_ratio"] > 0.98 for r in ref["lane_groups"]):
        return False
    busiest_not_critical = False
    for p in ref["phases"]:
        members = [r for r in ref["lane_groups"] if r["phase"] == p["phase"]]
        others = [r["flow_ratio"] for r in members if r["lane_group"] != p["critical_lane_group"]]
        if others and max(others) > 0.97 * p["critical_flow_ratio"]:
            return False
        busiest_not_critical |= max(members, key=lambda r: r["flow_vph"])["lane_group"] != p["critical_lane_group"]
    if not busiest_not_critical:  # the phase's heaviest flow must not stand in for its highest flow ratio
        return False
    totals = [sum(v for (_, mv), v in row.items() if mv != "P") for row in board["rows"]]
    sums = sorted((sum(totals[k:k + 4]) for k in range(5)), reverse=True)
    return sums[0] - sums[1] >= 8


# -- files ------------------------------------------------------------------------------------

def board_csv(board: dict[str, Any], params: dict[str, Any]) -> str:
    buffer = io.StringIO()
    w = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow(["Turning Movement Count - All Vehicles"])
    w.writerow(["Location:", params["location"]])
    w.writerow(["Date:", params["date"]])
    w.writerow(["Weather:", params["weather"]])
    w.writerow(["Counted by:", "Field crew 3, video-verified"])
    w.writerow(["Interval:", "15 minutes; values are vehicles counted in the interval starting at Start Time"])
    w.writerow([])
    streets = {"SB": params["ns_street"], "NB": params["ns_street"], "WB": params["ew_street"], "EB": params["ew_street"]}
    head1, head2, head3 = [""], [""], ["Start Time"]
    for app in APPROACHES:
        head1 += [streets[app], "", "", "", ""]
        head2 += [NAMES[app], "", "", "", ""]
        head3 += ["Left", "Thru", "Right", "Peds", "App. Total"]
    w.writerows([[*head1, ""], [*head2, ""], [*head3, "Int. Total"]])
    totals = {key: 0 for key in board["rows"][0]}
    for time, row in zip(board["times"], board["rows"], strict=True):
        cells, int_total = [time], 0
        for app in APPROACHES:
            vals = [row[(app, mv)] for mv in MOVES]
            cells += [*vals, row[(app, "P")], sum(vals)]
            int_total += sum(vals)
        w.writerow([*cells, int_total])
        for key, v in row.items():
            totals[key] += v
    cells, grand = ["Grand Total"], 0
    for app in APPROACHES:
        vals = [totals[(app, mv)] for mv in MOVES]
        cells += [*vals, totals[(app, "P")], sum(vals)]
        grand += sum(vals)
    w.writerow([*cells, grand])
    return buffer.getvalue()


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    scheme = params["scheme"]
    agency_basis = dict(zip(("min_cycle_s", "max_cycle_s"), AGENCY_CYCLE_LIMITS_S, strict=True))
    for attempt in range(200):
        rng = np.random.default_rng([params["seed"], attempt])
        groups = lane_groups(np.random.default_rng([params["seed"], attempt, GEOMETRY_STREAM]), scheme)
        board = count_board(rng, hourly_demand(rng, scheme, groups), params["start_min"])
        phase_rows = phases(rng, scheme)
        max_cycle = controller_max_cycle(rng, plan(board, groups, phase_rows, agency_basis)["summary"]["optimal_cycle_s"])
        if max_cycle is None:
            continue
        basis = {
            **agency_basis, "max_cycle_s": max_cycle,
            "max_cycle_source": "controller's programmed maximum cycle (cabinet timing sheet)",
            "cycle_rounding": "up to the next multiple of 5 s, then held within the limits (a cycle above the "
                              "maximum is set to the maximum)",
            "phf": "intersection peak-hour factor of the peak hour", "delay_model": "HCM 2000 control delay, "
            "uniform + incremental, PF = 1, T = 0.25 h, k = 0.50, I = 1.0 (no initial queue)"}
        ref = plan(board, groups, phase_rows, basis)
        if robust(ref, board):
            break
    else:  # pragma: no cover - the generator always finds a clean case well before this
        raise RuntimeError("no robust instance found")
    (input_dir / params["count_file"]).write_text(board_csv(board, params))
    for name, rows, columns in (
            ("lane_groups.csv", groups, ["lane_group", "approach", "movements", "lanes", "sat_flow_vph", "phase"]),
            ("phases.csv", phase_rows, ["phase", "description", "yellow_s", "all_red_s", "lost_time_s"])):
        write_csv(input_dir / name, columns, [[row.get(c) for c in columns] for row in rows])
    (input_dir / "design_basis.json").write_text(json.dumps({"intersection": params["location"], **basis}, indent=2) + "\n")
    (reference_dir / "plan.json").write_text(json.dumps(ref, indent=2, default=float) + "\n")


# -- grading ----------------------------------------------------------------------------------

def sheet_rows(g: Grading, book: Any, name: str) -> list[dict[str, Any]] | None:
    """Rows of a sheet as dicts keyed by the header row; a failed gate when the sheet or a column is missing."""
    lookup = {ws.title.strip().lower(): ws for ws in book.worksheets}
    ws = lookup.get(name.lower())
    if ws is None:
        g.check(f"sheet {name} present", False, gate=True, weight=0, reason=f"sheets: {book.sheetnames}")
        return None
    rows = list(ws.iter_rows(values_only=True))
    # the header is the first row (of the first five) that names every required column; a title row may precede it
    start, header = 0, [str(h).strip() if h is not None else "" for h in (rows[0] if rows else [])]
    for k, row in enumerate(rows[:5]):
        names = [str(h).strip() if h is not None else "" for h in row]
        if all(c in names for c in SHEETS[name]):
            start, header = k, names
            break
    missing = [c for c in SHEETS[name] if c not in header]
    if not g.check(f"sheet {name} has the required columns", not missing, gate=True, weight=0,
                   expected=SHEETS[name], found=header, reason=f"missing: {missing}" if missing else ""):
        return None
    return [dict(zip(header, r, strict=False)) for r in rows[start + 1:] if any(v is not None for v in r)]


def _upper(value: Any) -> str:
    return "" if value is None else str(value).strip().upper()


def truthy(value: Any) -> bool | None:
    text = str(value).strip().lower()
    if text in ("true", "yes", "y", "1", "x", "critical"):
        return True
    if text in ("false", "no", "n", "0", "", "none"):
        return False
    return None


def flag(got: Any, want: Any) -> bool:
    return truthy(got) is bool(want)


def check_consistency(g: Grading, summary: dict[str, Any], phases_rows: list[dict[str, Any]],
                      lanes: list[dict[str, Any]]) -> None:
    cycle = as_number(summary.get("cycle_s"))
    lost = as_number(summary.get("total_lost_time_s"))
    problems = []
    try:
        displayed = sum(float(p["green_s"]) + float(p["yellow_s"]) + float(p["all_red_s"]) for p in phases_rows)
        effective = sum(float(p["eff_green_s"]) for p in phases_rows)
        lost_sheet = sum(float(p["lost_time_s"]) for p in phases_rows)
    except (TypeError, ValueError):
        g.check("plan is internally consistent", False, reason="non-numeric greens or intervals in Phases")
        return
    if cycle is None or abs(displayed - cycle) > 0.5:
        problems.append(f"greens + yellow + all-red = {displayed:.2f} s vs cycle {cycle}")
    if cycle is None or lost is None or abs(effective + lost - cycle) > 0.5 or abs(lost_sheet - lost) > 0.05:
        problems.append(f"effective greens {effective:.2f} + lost time {lost} vs cycle {cycle}")
    weights = [(as_number(r.get("flow_vph")), as_number(r.get("delay_s"))) for r in lanes]
    if all(f is not None and d is not None for f, d in weights) and sum(f for f, _ in weights) > 0:
        mean = sum(f * d for f, d in weights) / sum(f for f, _ in weights)
        if not is_close(summary.get("intersection_delay_s"), mean, abs_tol=0.3, rel_tol=0.01):
            problems.append(f"intersection delay {summary.get('intersection_delay_s')} vs flow-weighted "
                            f"lane-group mean {mean:.2f}")
    else:
        problems.append("lane-group flows or delays not numeric")
    g.check("plan is internally consistent (greens + intergreens = cycle; delay is the flow-weighted mean)",
            not problems, reason="; ".join(problems))


def grade(g: Grading) -> None:
    if not g.require_files("timing_plan.xlsx", "summary.json"):
        return
    summary = g.read_json("summary.json")
    book = g.read_xlsx("timing_plan.xlsx")
    if summary is None or book is None:
        return
    if not g.check("summary.json is a JSON object", isinstance(summary, dict), gate=True, weight=0):
        return
    sheets = {}
    for name in SHEETS:
        rows = sheet_rows(g, book, name)
        if rows is None:
            return
        sheets[name] = rows
    ref = g.reference_json("plan.json")
    s = ref["summary"]

    ok_peak = (str(summary.get("peak_hour_start", "")).strip()[:5] == s["peak_hour_start"]
               and is_close(summary.get("peak_hour_volume"), s["peak_hour_volume"], abs_tol=0.5)
               and is_close(summary.get("phf"), s["phf"], abs_tol=0.005))
    g.check("peak hour, its volume and the PHF", ok_peak, weight=1.5,
            expected=[s["peak_hour_start"], s["peak_hour_volume"], round(s["phf"], 4)],
            found=[summary.get("peak_hour_start"), summary.get("peak_hour_volume"), summary.get("phf")])
    g.table("peak-hour volumes and design flow rates per movement", sheets["Volumes"], ref["volumes"],
            key=("approach", "movement"), columns={"peak_hour_volume": 0.5, "design_flow_vph": (1.0, 0.01)},
            normalize=_upper, weight=1.0)
    g.table("lane-group flows, flow ratios and critical lane groups", sheets["LaneGroups"], ref["lane_groups"],
            key=("lane_group",), columns={"flow_vph": (1.0, 0.01), "sat_flow_vph": 0.5, "flow_ratio": (0.003, 0.01),
                                          "critical": flag, "phase": 0.01}, normalize=_upper, weight=1.5)
    ok_cycle = all(is_close(summary.get(k), s[k], abs_tol=tol, rel_tol=0.005) for k, tol in (
        ("sum_critical_flow_ratios", 0.003), ("total_lost_time_s", 0.05), ("optimal_cycle_s", 0.5),
        ("cycle_s", 0.01), ("critical_vc_ratio", 0.01)))
    g.check("Webster cycle: Y, L, optimal and adopted cycle, critical v/c", ok_cycle, weight=1.5,
            expected={k: round(s[k], 3) for k in ("sum_critical_flow_ratios", "total_lost_time_s", "optimal_cycle_s",
                                                  "cycle_s", "critical_vc_ratio")},
            found={k: summary.get(k) for k in ("sum_critical_flow_ratios", "total_lost_time_s", "optimal_cycle_s",
                                               "cycle_s", "critical_vc_ratio")})
    g.table("phase splits: critical lane group, effective and displayed greens", sheets["Phases"], ref["phases"],
            key=("phase",), columns={"critical_lane_group": None, "critical_flow_ratio": (0.003, 0.01), "eff_green_s": 0.3,
                                     "green_s": 0.3, "yellow_s": 0.01, "all_red_s": 0.01, "lost_time_s": 0.01},
            normalize=_upper, weight=1.5)
    g.table("lane-group capacity, v/c, control delay and LOS", sheets["LaneGroups"], ref["lane_groups"],
            key=("lane_group",), columns={"eff_green_s": 0.3, "capacity_vph": (2.0, 0.01), "vc_ratio": 0.01,
                                          "delay_s": (0.3, 0.02), "los": None}, normalize=_upper, weight=1.5)
    g.table("approach delay and LOS", sheets["Approaches"], ref["approaches"], key=("approach",),
            columns={"delay_s": (0.3, 0.02), "los": None}, normalize=_upper, weight=1.0)
    ok_int = (is_close(summary.get("intersection_delay_s"), s["intersection_delay_s"], abs_tol=0.3, rel_tol=0.02)
              and _upper(summary.get("intersection_los")) == _upper(s["intersection_los"]))
    g.check("intersection delay and LOS", ok_int, expected=[round(s["intersection_delay_s"], 2), s["intersection_los"]],
            found=[summary.get("intersection_delay_s"), summary.get("intersection_los")])
    check_consistency(g, summary, sheets["Phases"], sheets["LaneGroups"])
