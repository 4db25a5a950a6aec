#!/usr/bin/env python3
"""Simulate an EPANET network against the design standard with WNTR's EPANET engine; print JSON.

usage: evaluate_network.py NETWORK.inp STANDARD.json [DEMAND_SCALE]
       evaluate_network.py NETWORK.inp STANDARD.json --onto ORIGINAL.inp

With --onto, the simulations are of the ORIGINAL network with NETWORK's pipe diameters and roughness
coefficients (the design: its replacements) and the base demands times the standard's growth factor, so
that nothing else a delivered file may carry (a demand multiplier, patterns, controls, valves, pump curves)
can move the simulated performance; the description is still NETWORK's own, for the identity checks.

Extended period: 24 h per recovery day at a 1 h step (demand-driven), the network's own patterns, base
demands times DEMAND_SCALE (default 1). Fire flow: one steady state per hydrant, every junction at its
base demand times DEMAND_SCALE times the max-day factor, plus the fire flow at the hydrant, tanks at their
initial level. Prints the network's description (for identity checks) and the results.
"""

import json
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")

import wntr  # noqa: E402

LPS = 1000.0


def _simulate(wn: wntr.network.WaterNetworkModel) -> wntr.sim.results.SimulationResults:
    """EPANET's run in a scratch directory of its own (WNTR's default file prefix is shared by every run in
    the current directory, so two runs side by side would read each other's output)."""
    with tempfile.TemporaryDirectory() as scratch:
        return wntr.sim.EpanetSimulator(wn).run_sim(file_prefix=f"{scratch}/run")


def _model(path: str, scale: float, hours: int) -> wntr.network.WaterNetworkModel:
    wn = wntr.network.WaterNetworkModel(path)
    for _, junction in wn.junctions():
        for demand in junction.demand_timeseries_list:
            demand.base_value *= scale
    opts = wn.options
    opts.time.duration = hours * 3600
    opts.time.hydraulic_timestep = opts.time.pattern_timestep = opts.time.report_timestep = 3600
    opts.time.report_start = 0
    opts.hydraulic.demand_model = "DD"
    return wn


def _r(values) -> list:
    return [round(float(v), 6) for v in values]


def describe(wn: wntr.network.WaterNetworkModel) -> dict:
    """Ids, connectivity and properties in task units (m, mm, L/s), and every other setting that moves a
    simulation (options, patterns, curves, valves, controls, emitters, pump definitions)."""
    hyd = wn.options.hydraulic
    return {
        "settings": {"demand_multiplier": round(float(hyd.demand_multiplier), 6), "headloss": str(hyd.headloss),
                     "emitter_exponent": round(float(hyd.emitter_exponent), 6), "default_pattern": str(hyd.pattern),
                     "junction_patterns": sorted({str(d.pattern_name) for _, j in wn.junctions()
                                                  for d in j.demand_timeseries_list})},
        "patterns": {n: _r(p.multipliers) for n, p in wn.patterns()},
        "curves": {n: [_r(point) for point in c.points] for n, c in wn.curves()},
        "valves": sorted(wn.valve_name_list),
        "controls": len(list(wn.controls())),
        "emitters": {n: j.emitter_coefficient for n, j in wn.junctions() if j.emitter_coefficient},
        "pipe_settings": {n: [round(p.minor_loss, 4), str(p.initial_status), bool(p.check_valve)] for n, p in wn.pipes()},
        "pump_settings": {n: [type(p).__name__, getattr(p, "pump_curve_name", None), getattr(p, "power", None),
                              round(float(p.base_speed), 6), str(p.speed_pattern_name), str(p.initial_status)]
                          for n, p in wn.pumps()},
        "junctions": {n: [round(j.elevation, 3), round(sum(d.base_value for d in j.demand_timeseries_list) * LPS, 4)]
                      for n, j in wn.junctions()},
        "pipes": {n: [p.start_node_name, p.end_node_name, round(p.length, 2), round(p.diameter * 1000, 2),
                      round(p.roughness, 2)] for n, p in wn.pipes()},
        "tanks": {n: [round(t.elevation, 3), round(t.init_level, 3), round(t.min_level, 3), round(t.max_level, 3),
                      round(t.diameter, 3)] for n, t in wn.tanks()},
        "reservoirs": {n: round(r.base_head, 3) for n, r in wn.reservoirs()},
        "pumps": {n: [p.start_node_name, p.end_node_name] for n, p in wn.pumps()},
    }


def extended_period(path: str, standard: dict, scale: float) -> dict:
    days = int(standard["tank_recovery_days"])
    wn = _model(path, scale, 24 * days)
    results = _simulate(wn)
    pressure = results.node["pressure"]
    hourly = [t for t in pressure.index if t % 3600 == 0]
    pressure = pressure.loc[hourly]
    junctions = list(wn.junction_name_list)
    velocity = results.link["velocity"].loc[hourly, list(wn.pipe_name_list)].abs()
    tanks = {}
    for name, tank in wn.tanks():
        levels = pressure[name]
        tanks[name] = {"initial_m": round(tank.init_level, 4),
                       "midnight_m": [round(float(levels.loc[24 * 3600 * d]), 4) for d in range(1, days + 1)],
                       "lowest_m": round(float(levels.min()), 4)}
    return {"min_pressure_m": {j: round(float(pressure[j].min()), 4) for j in junctions},
            "max_velocity_m_s": {p: round(float(velocity[p].max()), 4) for p in velocity.columns},
            "tanks": tanks}


def fire_flows(path: str, standard: dict, scale: float) -> dict:
    fire = standard["fire_flow"]
    out = {}
    for hydrant in fire["hydrants"]:
        wn = _model(path, scale * fire["max_day_factor"], 0)
        wn.add_pattern("FLAT", [1.0])
        for _, junction in wn.junctions():
            for demand in junction.demand_timeseries_list:
                demand.pattern_name = "FLAT"
        wn.get_node(hydrant["node"]).add_demand(hydrant["flow_L_s"] / LPS, "FLAT", "fire")
        pressure = _simulate(wn).node["pressure"].iloc[0]
        junctions = pressure[list(wn.junction_name_list)]
        out[hydrant["node"]] = {"lowest_m": round(float(junctions.min()), 4), "lowest_at": str(junctions.idxmin()),
                                "hydrant_m": round(float(pressure[hydrant["node"]]), 4)}
    return out


def onto(path: str, original: str, scratch: str) -> str:
    """The original network with the pipe diameters and roughness coefficients of the network at ``path``."""
    design, wn = wntr.network.WaterNetworkModel(path), wntr.network.WaterNetworkModel(original)
    for name, pipe in wn.pipes():
        if name in design.pipe_name_list:
            mine = design.get_link(name)
            pipe.diameter, pipe.roughness = mine.diameter, mine.roughness
    out = f"{scratch}/design.inp"
    wntr.network.write_inpfile(wn, out, units="LPS")
    return out


def main() -> None:
    args = sys.argv[1:]
    original = None
    if "--onto" in args:
        at = args.index("--onto")
        original = args[at + 1]
        del args[at:at + 2]
    path, standard_path = args[0], args[1]
    scale = float(args[2]) if len(args) > 2 else 1.0
    with open(standard_path) as handle:
        standard = json.load(handle)
    report = {"network": describe(wntr.network.WaterNetworkModel(path))}
    with tempfile.TemporaryDirectory() as scratch:
        if original is not None:
            path, scale = onto(path, original, scratch), float(standard["demand_growth_factor"])
        report.update(eps=extended_period(path, standard, scale), fire=fire_flows(path, standard, scale))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
