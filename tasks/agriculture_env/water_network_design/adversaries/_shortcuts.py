#!/usr/bin/env python3
"""Near-miss shortcut agents for agriculture_env/water_network_design; the shortcut follows the name it runs under.

All use WNTR's EPANET toolkit and a rule-of-thumb sizing loop (upsize, one catalogue step, the pipe with
the steepest hydraulic gradient in the worst state, until the criteria it looks at are met):
- upsize_all: no design at all, every main replaced one catalogue size up (meets the standard, at a price).
- peak_hour_only: sizes for peak-hour pressure, velocity and tank recovery, never runs the fire flows.
- steady_state: one steady peak-hour snapshot (tank at its initial level) and the fire flows; no 72 h run,
  so the tank's recovery is never looked at.
- todays_demands: the whole standard, but at today's demands (the growth factor left out).
- rounded_schedule: the whole standard at design-year demands, but the schedule priced by hand from lengths
  rounded to the 10 m of a plan measurement rather than the model's lengths.
- demand_multiplier: no design; one main upsized one step, and the delivered file's [OPTIONS] DEMAND
  MULTIPLIER lowered until its own simulation meets the standard (the demands stay at design-year values in
  [JUNCTIONS], so only a grader that simulates the file as delivered is fooled).
"""

import csv
import json
import os
import tempfile
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")

import wntr  # noqa: E402
from wntr.epanet.toolkit import ENepanet  # noqa: E402
from wntr.epanet.util import EN  # noqa: E402

INPUT = Path(os.environ["ALE_INPUT_DIR"])
OUTPUT = Path(os.environ["ALE_OUTPUT_DIR"])
MODE = Path(__file__).name.removesuffix(".py")
STD = json.loads((INPUT / "design_standard.json").read_text())
ROWS = [r for r in csv.reader(x for x in (INPUT / "pipe_catalogue.csv").read_text().splitlines()
                              if x and not x.startswith("#"))][1:]
RATE = {float(r[1]): float(r[3]) for r in ROWS}
GROWTH = 1.0 if MODE == "todays_demands" else STD["demand_growth_factor"]
SCRATCH = tempfile.mkdtemp()
MULTIPLIER = 1.0  # demand_multiplier: EPANET scales every demand, the fire flow too


def network(scale, hours, flat):
    wn = wntr.network.WaterNetworkModel(str(INPUT / "network.inp"))
    peak = max(wn.get_pattern("DIURNAL").multipliers) if flat == "peak" else 1.0
    for _, j in wn.junctions():
        for d in j.demand_timeseries_list:
            d.base_value *= scale * peak
            if flat:
                d.pattern_name = None
    wn.options.time.duration = hours * 3600
    wn.options.time.hydraulic_timestep = wn.options.time.report_timestep = 3600
    wn.options.hydraulic.pattern = None
    return wn


def project(wn, name):
    path = f"{SCRATCH}/{name}.inp"
    wntr.network.write_inpfile(wn, path, units="LPS")
    en = ENepanet()
    en.ENopen(path, f"{SCRATCH}/{name}.rpt", "")
    return en


BASE = network(GROWTH, 72, None)
PIPES = {p: [x.length, x.diameter * 1000, x.roughness] for p, x in BASE.pipes()}
JUNCTIONS = list(BASE.junction_name_list)
TANKS = {t: x.init_level for t, x in BASE.tanks()}
EPS = project(BASE, "eps")
PEAK = project(network(GROWTH, 0, "peak"), "peak")
FIRE = project(network(GROWTH * STD["fire_flow"]["max_day_factor"], 0, "flat"), "fire")


def resize(pipe, diameter):
    for en in (EPS, PEAK, FIRE):
        i = en.ENgetlinkindex(pipe)
        en.ENsetlinkvalue(i, EN.DIAMETER, diameter)
        en.ENsetlinkvalue(i, EN.ROUGHNESS, STD["new_pipe_roughness_C"])


def state(en):
    return ({j: en.ENgetnodevalue(en.ENgetnodeindex(j), EN.PRESSURE) for j in JUNCTIONS},
            {p: (abs(en.ENgetlinkvalue(en.ENgetlinkindex(p), EN.VELOCITY)),
                 abs(en.ENgetlinkvalue(en.ENgetlinkindex(p), EN.HEADLOSS))) for p in PIPES})


def worst_states():
    """Every state the shortcut looks at, (name, pressures, pipe velocity and gradient), and the tank midnights."""
    states, midnights = [], {t: [] for t in TANKS}
    if MODE == "steady_state":
        PEAK.ENsolveH()
        states.append(("peak_pressure", *state(PEAK)))
    else:
        EPS.ENopenH()
        EPS.ENinitH(0)
        while True:
            t = EPS.ENrunH()
            if t % 3600 == 0:
                states.append(("peak_pressure", *state(EPS)))
                if t and t % 86400 == 0:
                    for tank in TANKS:
                        midnights[tank].append(EPS.ENgetnodevalue(EPS.ENgetnodeindex(tank), EN.PRESSURE))
            if EPS.ENnextH() <= 0:
                break
        EPS.ENcloseH()
    if MODE != "peak_hour_only":
        for h in STD["fire_flow"]["hydrants"]:
            i = FIRE.ENgetnodeindex(h["node"])
            base = FIRE.ENgetnodevalue(i, EN.BASEDEMAND)
            FIRE.ENsetnodevalue(i, EN.BASEDEMAND, base + h["flow_L_s"] * MULTIPLIER)
            FIRE.ENsolveH()
            states.append(("fire_flow:" + h["node"], *state(FIRE)))
            FIRE.ENsetnodevalue(i, EN.BASEDEMAND, base)
    return states, midnights


def breaches(states, midnights):
    rows = []
    peak = [s for s in states if s[0] == "peak_pressure"]
    for j in JUNCTIONS:
        low = min(s[1][j] for s in peak)
        if low < STD["min_pressure_m"]:
            rows.append(("peak_pressure", j, low, STD["min_pressure_m"]))
    for p in PIPES:
        high = max(s[2][p][0] for s in peak)
        if high > STD["max_velocity_m_s"]:
            rows.append(("velocity", p, high, STD["max_velocity_m_s"]))
    limit = STD["fire_flow"]["min_residual_pressure_m"]
    for name, pressure, _ in states:
        if name.startswith("fire_flow") and min(pressure.values()) < limit:
            rows.append(("fire_flow", name.split(":")[1], min(pressure.values()), limit))
    for tank, levels in midnights.items():
        if levels and min(levels) < TANKS[tank]:
            rows.append(("tank_recovery", tank, min(levels), TANKS[tank]))
    return rows


def size_up(chosen, pipe):
    current = chosen.get(pipe, PIPES[pipe][1] - 1e-6)
    bigger = [d for d in sorted(RATE) if d > current]
    if bigger:
        chosen[pipe] = bigger[0]
        resize(pipe, bigger[0])
    return bool(bigger)


def main():
    states, midnights = worst_states()
    existing = breaches(states, midnights)
    chosen = {}
    if MODE == "demand_multiplier":
        global EPS, PEAK, FIRE, MULTIPLIER
        worst = min(states, key=lambda s: min(s[1].values()))
        size_up(chosen, max(PIPES, key=lambda p: worst[2][p][1]))
        rows = existing
        while rows and MULTIPLIER > 0.05:
            MULTIPLIER *= 0.9
            EPS = project(network(GROWTH * MULTIPLIER, 72, None), "eps")
            PEAK = project(network(GROWTH * MULTIPLIER, 0, "peak"), "peak")
            FIRE = project(network(GROWTH * MULTIPLIER * STD["fire_flow"]["max_day_factor"], 0, "flat"), "fire")
            for p, d in chosen.items():
                resize(p, d)
            rows = breaches(*worst_states())
    elif MODE == "upsize_all":
        for p in PIPES:
            size_up(chosen, p)
    else:
        rows = existing
        for _ in range(60):
            if not rows:
                break
            worst = min(states, key=lambda s: min(s[1].values()))
            gradient = worst[2]
            for pipe in sorted(PIPES, key=lambda p: -gradient[p][1]):
                if size_up(chosen, pipe):
                    break
            states, midnights = worst_states()
            rows = breaches(states, midnights)
    final_states, final_midnights = worst_states()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with (OUTPUT / "deficits_existing.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["criterion", "element_id", "value", "limit"])
        out.writerows([c, e, f"{v:.3f}", f"{lim:g}"] for c, e, v, lim in existing)
    wn = network(GROWTH, 72, None)
    schedule, total = [], 0.0
    for p, d in sorted(chosen.items()):
        link = wn.get_link(p)
        link.diameter, link.roughness = d / 1000, STD["new_pipe_roughness_C"]
        length = round(PIPES[p][0], -1) if MODE == "rounded_schedule" else PIPES[p][0]
        cost = length * RATE[d]
        total += cost
        schedule.append([p, f"{PIPES[p][1]:g}", f"{d:g}", f"{length:.1f}", f"{RATE[d]:.2f}", f"{cost:.2f}"])
    wn.options.hydraulic.demand_multiplier = MULTIPLIER
    wntr.network.write_inpfile(wn, str(OUTPUT / "upgraded_network.inp"), units="LPS")
    with (OUTPUT / "upgrade_schedule.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["pipe_id", "existing_diameter_mm", "new_diameter_mm", "length_m", "unit_cost_per_m", "cost"])
        out.writerows(schedule)
    peak = [s for s in final_states if s[0] == "peak_pressure"]
    fire = [s for s in final_states if s[0].startswith("fire")]
    levels = [v for vs in final_midnights.values() for v in vs]
    verified = {"min_peak_pressure_m": min(min(s[1].values()) for s in peak),
                "min_fire_residual_m": min((min(s[1].values()) for s in fire), default=STD["fire_flow"]["min_residual_pressure_m"]),
                "max_velocity_m_s": max(max(v for v, _ in s[2].values()) for s in peak),
                "tank_lowest_midnight_level_m": min(levels) if levels else max(TANKS.values())}
    residual = STD["fire_flow"]["min_residual_pressure_m"]
    margins = {"peak_pressure": (verified["min_peak_pressure_m"] - STD["min_pressure_m"]) / STD["min_pressure_m"],
               "fire_flow": (verified["min_fire_residual_m"] - residual) / residual,
               "velocity": (STD["max_velocity_m_s"] - verified["max_velocity_m_s"]) / STD["max_velocity_m_s"],
               "tank_recovery": min(((min(v) - TANKS[t]) / TANKS[t] for t, v in final_midnights.items() if v), default=1.0)}
    within = total <= STD["capital_budget"]
    memo = {"total_capital_cost": round(total, 2), "verified": verified, "within_budget": within,
            "recommendation": "award" if within else "seek_funding",
            "governing_criterion": min(margins, key=margins.get) if MODE == "demand_multiplier" else "peak_pressure"}
    (OUTPUT / "design_memo.json").write_text(json.dumps(memo, indent=2) + "\n")


main()
