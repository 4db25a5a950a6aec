#!/usr/bin/env python3
"""Least-cost pipe replacement for a network against a design standard, with the EPANET toolkit of WNTR.

usage: design.py NETWORK.inp STANDARD.json CATALOGUE.csv WORKDIR  -> JSON on stdout

The existing network is run at design-year demands (base demands times the growth factor): 72 h
extended period (pressures, velocities, tank levels at each midnight) and one steady fire-flow state per
hydrant at max-day demand. A (lazy) greedy search then replaces pipes, one catalogue step at a time, choosing
the step with the largest reduction of the total shortfall per unit of cost until the standard is met,
and finally walks back every replacement that is not needed (largest cost first).
"""

import csv
import json
import math
import os
import sys
import warnings

warnings.filterwarnings("ignore")

import wntr  # noqa: E402
from wntr.epanet.toolkit import ENepanet  # noqa: E402
from wntr.epanet.util import EN  # noqa: E402


def _write(path_in, path_out, scale, hours):
    wn = wntr.network.WaterNetworkModel(path_in)
    for _, junction in wn.junctions():
        for demand in junction.demand_timeseries_list:
            demand.base_value *= scale
            if hours == 0:
                demand.pattern_name = None
    opts = wn.options
    opts.time.duration = hours * 3600
    opts.time.hydraulic_timestep = opts.time.pattern_timestep = opts.time.report_timestep = 3600
    opts.hydraulic.demand_model = "DD"
    opts.hydraulic.pattern = None
    wntr.network.write_inpfile(wn, path_out, units="LPS")
    return wn


class Model:
    """Two toolkit projects of one network: the extended period and the fire-flow steady state."""

    def __init__(self, inp, standard, workdir):
        self.std = standard
        growth = standard["demand_growth_factor"]
        days = int(standard["tank_recovery_days"])
        wn = _write(inp, f"{workdir}/eps.inp", growth, 24 * days)
        _write(inp, f"{workdir}/fire.inp", growth * standard["fire_flow"]["max_day_factor"], 0)
        self.hours = 24 * days
        self.eps = ENepanet()
        self.eps.ENopen(f"{workdir}/eps.inp", f"{workdir}/eps.rpt", "")
        self.fire = ENepanet()
        self.fire.ENopen(f"{workdir}/fire.inp", f"{workdir}/fire.rpt", "")
        self.junctions = list(wn.junction_name_list)
        self.pipes = {p: (pipe.length, pipe.diameter * 1000, pipe.roughness) for p, pipe in wn.pipes()}
        self.tanks = {t: tank.init_level for t, tank in wn.tanks()}
        self.j_idx = {en: [en.ENgetnodeindex(j) for j in self.junctions] for en in (self.eps, self.fire)}
        self.t_idx = {t: self.eps.ENgetnodeindex(t) for t in self.tanks}
        self.p_idx = {en: {p: en.ENgetlinkindex(p) for p in self.pipes} for en in (self.eps, self.fire)}
        self.h_idx = {h["node"]: self.fire.ENgetnodeindex(h["node"]) for h in standard["fire_flow"]["hydrants"]}

    def set_pipe(self, pipe, diameter, roughness):
        for en in (self.eps, self.fire):
            en.ENsetlinkvalue(self.p_idx[en][pipe], EN.DIAMETER, diameter)
            en.ENsetlinkvalue(self.p_idx[en][pipe], EN.ROUGHNESS, roughness)

    def run(self):
        """Performance against the standard: pressures, velocities, tank midnights, fire residuals."""
        en = self.eps
        min_p = {j: 1e9 for j in self.junctions}
        max_v = {p: 0.0 for p in self.pipes}
        midnights = {t: [] for t in self.tanks}
        en.ENopenH()
        en.ENinitH(0)
        while True:
            t = en.ENrunH()
            if t % 3600 == 0:
                for j, i in zip(self.junctions, self.j_idx[en], strict=True):
                    min_p[j] = min(min_p[j], en.ENgetnodevalue(i, EN.PRESSURE))
                for p, i in self.p_idx[en].items():
                    max_v[p] = max(max_v[p], abs(en.ENgetlinkvalue(i, EN.VELOCITY)))
                if t > 0 and t % 86400 == 0:
                    for tank, i in self.t_idx.items():
                        midnights[tank].append(en.ENgetnodevalue(i, EN.PRESSURE))
            if en.ENnextH() <= 0:
                break
        en.ENcloseH()
        fire = {}
        for h in self.std["fire_flow"]["hydrants"]:
            i = self.h_idx[h["node"]]
            base = self.fire.ENgetnodevalue(i, EN.BASEDEMAND)
            self.fire.ENsetnodevalue(i, EN.BASEDEMAND, base + h["flow_L_s"])
            self.fire.ENsolveH()
            fire[h["node"]] = min(self.fire.ENgetnodevalue(k, EN.PRESSURE) for k in self.j_idx[self.fire])
            self.fire.ENsetnodevalue(i, EN.BASEDEMAND, base)
        return {"min_p": min_p, "max_v": max_v, "midnights": midnights, "fire": fire}

    def shortfall(self, r):
        std = self.std
        fire_limit = std["fire_flow"]["min_residual_pressure_m"]
        total = sum(max(0.0, std["min_pressure_m"] - p) for p in r["min_p"].values())
        total += 10 * sum(max(0.0, v - std["max_velocity_m_s"]) for v in r["max_v"].values())
        total += sum(max(0.0, fire_limit - p) for p in r["fire"].values())
        total += 10 * sum(max(0.0, self.tanks[t] - level) for t, levels in r["midnights"].items() for level in levels)
        return total


def deficits(model, r):
    """Every breach of the standard: (criterion, element, value, limit)."""
    std = model.std
    rows = [("peak_pressure", j, p, std["min_pressure_m"]) for j, p in r["min_p"].items() if p < std["min_pressure_m"]]
    rows += [("velocity", p, v, std["max_velocity_m_s"]) for p, v in r["max_v"].items() if v > std["max_velocity_m_s"]]
    limit = std["fire_flow"]["min_residual_pressure_m"]
    rows += [("fire_flow", h, p, limit) for h, p in r["fire"].items() if p < limit]
    rows += [("tank_recovery", t, min(levels), model.tanks[t]) for t, levels in r["midnights"].items()
             if min(levels) < model.tanks[t]]
    return rows


def design(model, catalogue):
    """Greedy least-cost replacement: ({pipe: new diameter}, cost), or (None, inf) when no replacement of
    pipes can meet the standard."""
    sizes = sorted(catalogue)
    new_c = model.std["new_pipe_roughness_C"]
    chosen = {}

    def cost(p, d):
        return model.pipes[p][0] * catalogue[d] if d else 0.0

    def apply(p, d):
        _, d0, c0 = model.pipes[p]
        model.set_pipe(p, d or d0, new_c if d else c0)

    def next_size(p):
        current = chosen.get(p)
        floor = current + 1e-6 if current else model.pipes[p][1] - 1e-6
        bigger = [s for s in sizes if s > floor]
        return bigger[0] if bigger else None

    # lazy greedy: a step's gain per cost seldom grows as other mains are replaced, so candidates are
    # re-scored in order of their last score until the best fresh score beats every stale one
    stale: dict[str, float] = {}
    current = model.shortfall(model.run())
    while current > 1e-6:
        best = None
        for p in sorted(model.pipes, key=lambda q: -stale.get(q, float("inf"))):
            if best is not None and best[0] >= stale.get(p, float("inf")):
                break
            d = next_size(p)
            if d is None:
                stale[p] = float("-inf")
                continue
            old = chosen.get(p)
            apply(p, d)
            gain = current - model.shortfall(model.run())
            apply(p, old)
            stale[p] = gain / (cost(p, d) - cost(p, old))
            if best is None or stale[p] > best[0]:
                best = (stale[p], p, d)
        if best is None or best[0] == float("-inf"):
            return None, math.inf
        chosen[best[1]] = best[2]
        apply(best[1], best[2])
        stale.pop(best[1])
        current = model.shortfall(model.run())
    improved = True
    while improved:
        improved = False
        for p in sorted(chosen, key=lambda q: -cost(q, chosen[q])):
            d = chosen[p]
            smaller = [s for s in sizes if model.pipes[p][1] - 1e-6 <= s < d]
            down = smaller[-1] if smaller else None
            apply(p, down)
            if model.shortfall(model.run()) <= 1e-6:
                if down is None:
                    del chosen[p]
                else:
                    chosen[p] = down
                improved = True
            else:
                apply(p, d)
    return chosen, sum(cost(p, d) for p, d in chosen.items())


def main():
    inp, standard_path, catalogue_path, workdir = (os.path.abspath(a) for a in sys.argv[1:5])
    os.chdir(workdir)  # EPANET's scratch files go to the current directory
    with open(standard_path) as handle:
        standard = json.load(handle)
    with open(catalogue_path) as handle:
        rows = [r for r in csv.reader(line for line in handle if not line.startswith("#"))]
    catalogue = {float(r[0]): float(r[2]) for r in rows[1:] if r}
    model = Model(inp, standard, workdir)
    existing = model.run()
    chosen, total = design(model, catalogue)
    if chosen is None:
        print(json.dumps({"existing_deficits": deficits(model, existing), "design": None}))
        return
    final = model.run()
    print(json.dumps({"existing_deficits": deficits(model, existing), "design": chosen, "total_cost": total,
                      "pipes": model.pipes, "final": final}))


if __name__ == "__main__":
    main()
