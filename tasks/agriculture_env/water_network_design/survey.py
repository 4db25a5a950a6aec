#!/usr/bin/env python3
"""Survey of an existing network for the generator (EPANET toolkit through WNTR); prints JSON.

usage: survey.py NETWORK.inp STANDARD.json WORKDIR PRESSURE_MARGIN TANK_MARGIN FIRE_MARGIN MAX_DIAMETER_MM

The generator sizes the design standard to the network with it, so that the breaches the task is about
exist by construction (the same hydraulics as solution/design.py: demand-driven, base demands scaled,
the fire flow a steady state at max-day demand with the tanks at their initial level):
- growth_peak_pressure: the smallest demand growth factor (1 to 4) at which the lowest junction pressure of
  the 72 h extended period falls PRESSURE_MARGIN below min_pressure_m;
- growth_tank: the smallest growth factor at which a tank's lowest end-of-day level falls TANK_MARGIN below
  its initial level;
- at the standard's design-year demands, the lowest peak-hour pressure, the tank's recovery (lowest
  end-of-day level minus the initial level) and, at every junction with a demand, the fire flow (L/s) at
  which the lowest junction pressure falls to FIRE_MARGIN below min_residual_pressure_m (available_L_s) and
  to the residual itself (at_residual_L_s);
- the same network with every pipe replaced at MAX_DIAMETER_MM and the new mains' C, the most any design can
  do (replacements only ever help): growth_feasible, the smallest growth factor at which even it breaches
  the peak-hour pressure, velocity or tank-recovery criteria, and capacity_L_s, the fire flow it delivers at
  each junction at the residual pressure (a required flow above it cannot be designed for).
"""

import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")

import wntr  # noqa: E402
from wntr.epanet.toolkit import ENepanet  # noqa: E402
from wntr.epanet.util import EN  # noqa: E402


def _open(path_in, workdir, name, hours):
    wn = wntr.network.WaterNetworkModel(path_in)
    if hours == 0:
        for _, junction in wn.junctions():
            for demand in junction.demand_timeseries_list:
                demand.pattern_name = None
    opts = wn.options
    opts.time.duration = hours * 3600
    opts.time.hydraulic_timestep = opts.time.pattern_timestep = opts.time.report_timestep = 3600
    opts.hydraulic.demand_model = "DD"
    opts.hydraulic.pattern = None
    wntr.network.write_inpfile(wn, f"{workdir}/{name}.inp", units="LPS")
    en = ENepanet()
    en.ENopen(f"{workdir}/{name}.inp", f"{workdir}/{name}.rpt", "")
    return wn, en


class Survey:
    def __init__(self, inp, standard, workdir, name="survey"):
        self.std = standard
        days = int(standard["tank_recovery_days"])
        wn, self.eps = _open(inp, workdir, f"{name}_eps", 24 * days)
        _, self.fire = _open(inp, workdir, f"{name}_fire", 0)
        self.pipes = {en: [en.ENgetlinkindex(p) for p in wn.pipe_name_list] for en in (self.eps, self.fire)}
        self.junctions = list(wn.junction_name_list)
        self.tanks = {t: tank.init_level for t, tank in wn.tanks()}
        self.base = {en: {j: en.ENgetnodevalue(en.ENgetnodeindex(j), EN.BASEDEMAND) for j in self.junctions}
                     for en in (self.eps, self.fire)}
        self.idx = {en: {j: en.ENgetnodeindex(j) for j in self.junctions} for en in (self.eps, self.fire)}

    def replace_all(self, diameter_mm, roughness):
        for en in (self.eps, self.fire):
            for i in self.pipes[en]:
                en.ENsetlinkvalue(i, EN.DIAMETER, diameter_mm)
                en.ENsetlinkvalue(i, EN.ROUGHNESS, roughness)

    def scale(self, en, factor):
        for j, i in self.idx[en].items():
            en.ENsetnodevalue(i, EN.BASEDEMAND, self.base[en][j] * factor)

    def extended(self, growth):
        """(lowest peak-hour junction pressure, tank's lowest end-of-day level minus its initial level,
        highest pipe velocity)."""
        en = self.eps
        self.scale(en, growth)
        low, recovery, fast = 1e9, 1e9, 0.0
        en.ENopenH()
        en.ENinitH(0)
        while True:
            t = en.ENrunH()
            if t % 3600 == 0:
                low = min(low, *(en.ENgetnodevalue(i, EN.PRESSURE) for i in self.idx[en].values()))
                fast = max(fast, *(abs(en.ENgetlinkvalue(i, EN.VELOCITY)) for i in self.pipes[en]))
                if t > 0 and t % 86400 == 0:
                    for tank, init in self.tanks.items():
                        recovery = min(recovery, en.ENgetnodevalue(en.ENgetnodeindex(tank), EN.PRESSURE) - init)
            if en.ENnextH() <= 0:
                break
        en.ENcloseH()
        return low, recovery, fast

    def residual(self, node, flow):
        en = self.fire
        i = self.idx[en][node]
        base = en.ENgetnodevalue(i, EN.BASEDEMAND)
        en.ENsetnodevalue(i, EN.BASEDEMAND, base + flow)
        en.ENsolveH()
        low = min(en.ENgetnodevalue(k, EN.PRESSURE) for k in self.idx[en].values())
        en.ENsetnodevalue(i, EN.BASEDEMAND, base)
        return low

    def available(self, node, residual):
        """The fire flow (L/s) at which the lowest junction pressure falls to ``residual`` (0 if it is below)."""
        if self.residual(node, 0.0) < residual:
            return 0.0
        lo, hi = 0.0, 50.0
        while self.residual(node, hi) >= residual and hi < 5000:
            lo, hi = hi, hi * 2
        for _ in range(20):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if self.residual(node, mid) >= residual else (lo, mid)
        return lo

    def threshold(self, test, lo=1.0, hi=4.0):
        """The smallest growth factor in [lo, hi] at which ``test(growth)`` fails (hi if none)."""
        if not test(hi):
            for _ in range(16):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if test(mid) else (lo, mid)
        return hi


def main():
    inp, standard_path, workdir = (os.path.abspath(a) for a in sys.argv[1:4])
    pressure_margin, tank_margin, fire_margin, max_diameter = (float(a) for a in sys.argv[4:8])
    os.chdir(workdir)  # EPANET's scratch files go to the current directory
    with open(standard_path) as handle:
        standard = json.load(handle)
    growth = standard["demand_growth_factor"]
    residual = standard["fire_flow"]["min_residual_pressure_m"]
    fire_scale = growth * standard["fire_flow"]["max_day_factor"]
    s = Survey(inp, standard, workdir)
    floor = standard["min_pressure_m"] - pressure_margin
    out = {"growth_peak_pressure": s.threshold(lambda g: s.extended(g)[0] >= floor),
           "growth_tank": s.threshold(lambda g: s.extended(g)[1] >= -tank_margin)}
    out["min_peak_pressure_m"], out["tank_recovery_m"], _ = s.extended(growth)
    s.scale(s.fire, fire_scale)
    demand = [j for j in s.junctions if s.base[s.fire][j] > 0]
    out["available_L_s"] = {j: round(s.available(j, residual - fire_margin), 3) for j in demand}
    out["at_residual_L_s"] = {j: round(s.available(j, residual), 3) for j in demand}
    best = Survey(inp, standard, workdir, "survey_max")
    best.replace_all(max_diameter, standard["new_pipe_roughness_C"])

    def meets(g):
        low, recovery, fast = best.extended(g)
        return low >= standard["min_pressure_m"] and recovery >= 0 and fast <= standard["max_velocity_m_s"]

    out["growth_feasible"] = best.threshold(meets)
    best.scale(best.fire, fire_scale)
    out["capacity_L_s"] = {j: round(best.available(j, residual), 3) for j in demand}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
