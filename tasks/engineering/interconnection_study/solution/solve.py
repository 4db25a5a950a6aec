#!/usr/bin/env python3
"""Oracle: the interconnection study done the way a planner scripts it in pandapower.

Study case = case file + basis; a screen runs the base case and each line/transformer outage, taken in place on the
net; project violations are those not already present at 0 MW; the capacity is found by scanning upward in
tenths of the search limit and bisecting the first insecure step; the upgrade screen tries each branch
overloaded at the requested size with its rating multiplied by the factor.
"""

import copy
import csv
import json
import math
import os
import sys
import warnings
from pathlib import Path

import pandapower as pp

warnings.filterwarnings("ignore")
IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
# run under the name of adversaries/upgrade_guessed.py (a link to this file): the upgrade screen skipped, the
# decision taken from how far the request is past the capacity and the derated branch named as the upgrade
GUESS = Path(sys.argv[0]).name.startswith("upgrade_guessed")


class Study:
    def __init__(self) -> None:
        self.basis = json.loads((IN / "study.json").read_text())
        net = pp.from_json(str(IN / "network.json"))
        f = self.basis["load_scaling"]
        net.load.p_mw = net.load.p_mw * f
        net.load.q_mvar = net.load.q_mvar * f
        self.branches = [("line", i, net.line.name[i]) for i in net.line.index[net.line.in_service]]
        self.branches += [("trafo", i, net.trafo.name[i]) for i in net.trafo.index[net.trafo.in_service]]
        for change in self.basis["rating_changes"]:
            self.rerate(net, change["branch"], change["rating_mva"])
        plant = self.basis["project"]
        if plant["type"] == "bess":
            self.plant = ("gen", pp.create_gen(net, plant["bus"], p_mw=0, vm_pu=plant["voltage_setpoint_pu"]))
        else:
            self.plant = ("sgen", pp.create_sgen(net, plant["bus"], p_mw=0, q_mvar=0))
        self.net = net
        self.crit = self.basis["criteria"]
        self.pre: set = set()
        self.hot = "none yet"
        self.pre = {v for row in self.screen(0.0) for v in row["found"]}

    def lookup(self, name):
        return next((kind, idx) for kind, idx, n in self.branches if n == name)

    def mva(self, net, name):
        kind, idx = self.lookup(name)
        if kind == "trafo":
            return net.trafo.sn_mva[idx]
        return net.line.max_i_ka[idx] * math.sqrt(3) * net.bus.vn_kv[net.line.from_bus[idx]]

    def rerate(self, net, name, mva):
        kind, idx = self.lookup(name)
        if kind == "trafo":  # percent impedances are on sn_mva: keep the ohmic impedance
            k = mva / net.trafo.sn_mva[idx]
            net.trafo.loc[idx, ["vk_percent", "vkr_percent"]] *= k
            net.trafo.loc[idx, "i0_percent"] /= k
            net.trafo.loc[idx, "sn_mva"] = mva
        else:
            net.line.loc[idx, "max_i_ka"] = mva / (math.sqrt(3) * net.bus.vn_kv[net.line.from_bus[idx]])

    def dispatch(self, net, mw):
        table, idx = self.plant
        getattr(net, table).loc[idx, "p_mw"] = mw
        if table == "sgen" and self.basis["project"]["type"] == "wind":
            net.sgen.loc[idx, "q_mvar"] = -mw * math.tan(math.acos(0.95))

    def one(self, net, outage):
        case = net  # the outage is taken in place and undone: a copy of the network costs more than the solve
        row = {"outage": outage or "BASE", "kind": "", "converged": True, "max_loading_percent": None,
               "min_vm_pu": None, "max_vm_pu": None, "islanded_buses": 0, "found": [], "loadings": {}}
        kind, idx = self.lookup(outage) if outage else (None, None)
        if outage:
            row["kind"] = kind
            getattr(case, kind).loc[idx, "in_service"] = False
        try:
            pp.runpp(case)
        except pp.LoadflowNotConverged:
            row["converged"] = False
            row["found"].append((row["outage"], "nonconvergence", "network"))
            return row
        finally:
            if outage:
                getattr(case, kind).loc[idx, "in_service"] = True
        vm = case.res_bus.vm_pu.dropna()
        row["islanded_buses"] = int(case.res_bus.vm_pu.isna().sum())
        row["min_vm_pu"], row["max_vm_pu"] = vm.min(), vm.max()
        worst = []
        for kind, idx, name in self.branches:
            value = getattr(case, "res_" + kind).loading_percent[idx]
            if name == outage or value != value:
                continue
            worst.append(value)
            row["loadings"][name] = value
            if value > self.crit["max_loading_percent"]:
                row["found"].append((row["outage"], "thermal", name))
        row["max_loading_percent"] = max(worst)
        for bus, v in vm.items():
            if v < self.crit["v_min_pu"]:
                row["found"].append((row["outage"], "undervoltage", f"bus {bus}"))
            if v > self.crit["v_max_pu"]:
                row["found"].append((row["outage"], "overvoltage", f"bus {bus}"))
        return row

    def screen(self, mw, net=None, first_only=False):
        net = self.net if net is None else net
        self.dispatch(net, mw)
        rows = []
        outages = [None] + [name for _, _, name in self.branches]
        if first_only and self.hot in outages:  # retry the outage that failed last time first
            outages.remove(self.hot)
            outages.insert(0, self.hot)
        for outage in outages:
            row = self.one(net, outage)
            row["found"] = [v for v in row["found"] if v not in self.pre]
            rows.append(row)
            if row["found"]:
                self.hot = outage
                if first_only:
                    break
        return rows

    def secure(self, mw, net=None):
        return not any(r["found"] for r in self.screen(mw, net, first_only=True))

    def capacity(self):
        res = self.basis["hosting_capacity"]["resolution_mw"]
        top = round(self.basis["hosting_capacity"]["search_limit_mw"] / res)
        step = max(1, top // 10)
        good = 0
        while good < top:
            trial = min(top, good + step)
            if not self.secure(trial * res):
                bad = trial
                while bad - good > 1:
                    mid = (good + bad) // 2
                    if self.secure(mid * res):
                        good = mid
                    else:
                        bad = mid
                return good * res, bad * res
            good = trial
        return good * res, None


def write_csv(name, header, rows):
    with open(OUT / name, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def main():
    s = Study()
    requested = s.basis["project"]["requested_mw"]
    s.dispatch(s.net, requested)
    base = copy.deepcopy(s.net)
    pp.runpp(base)
    write_csv("base_buses.csv", ["bus", "vm_pu", "va_degree"],
              [[b, f"{base.res_bus.vm_pu[b]:.6f}", f"{base.res_bus.va_degree[b]:.5f}"] for b in base.bus.index])
    write_csv("base_branches.csv", ["branch", "kind", "loading_percent"],
              [[name, kind, f"{getattr(base, 'res_' + kind).loading_percent[idx]:.4f}"]
               for kind, idx, name in s.branches])
    rows = s.screen(requested)
    fmt = lambda v, d: "" if v is None else f"{v:.{d}f}"  # noqa: E731
    write_csv("contingencies.csv", ["outage", "kind", "converged", "max_loading_percent", "min_vm_pu",
                                    "max_vm_pu", "islanded_buses", "violation"],
              [[r["outage"], r["kind"], str(r["converged"]).lower(), fmt(r["max_loading_percent"], 4),
                fmt(r["min_vm_pu"], 6), fmt(r["max_vm_pu"], 6), r["islanded_buses"], str(bool(r["found"])).lower()]
               for r in rows[1:]])
    cap, above = s.capacity()
    binding = None
    if above is not None:
        hit = next(v for r in s.screen(above) for v in r["found"])
        binding = {"outage": hit[0], "type": hit[1], "element": hit[2]}
    (OUT / "hosting_capacity.json").write_text(json.dumps({"max_injection_mw": cap, "resolution_mw": s.basis["hosting_capacity"]["resolution_mw"],
               "binding_constraint": binding}, indent=2))
    # the upgrade screen: every branch the project overloads at the requested size, uprated alone (an uprating
    # leaves the flows as they are, so its worst loading is the one of the requested size's screen)
    overloaded = sorted({v[2] for r in rows for v in r["found"] if v[1] == "thermal"})
    factor = s.basis["upgrade_option"]["rating_factor"]
    screened = []
    for name in overloaded:
        trial = copy.deepcopy(s.net)
        s.rerate(trial, name, s.mva(s.net, name) * factor)
        worst = max(r["loadings"][name] for r in rows if name in r["loadings"])
        screened.append({"branch": name, "worst_loading_percent": round(worst, 3), "clears": s.secure(requested, trial)})
    if GUESS:  # the adversary: no screen; the decision from the request's distance to the capacity
        screened = [{"branch": s.basis["rating_changes"][0]["branch"], "worst_loading_percent": 100.0,
                     "clears": requested <= 1.4 * cap}]
    upgrade = next((row["branch"] for row in screened if row["clears"]), None) if requested > cap else None
    decision = "approve" if requested <= cap else "approve_with_upgrade" if upgrade else "reject"
    why = (f"Requested {requested} MW against an N-1 hosting capacity of {cap} MW"
           + (f"; binding: {binding['type']} on {binding['element']} for outage {binding['outage']}" if binding else "")
           + (f"; uprating {upgrade} by x{s.basis['upgrade_option']['rating_factor']} makes the request secure"
              if upgrade else ""))
    (OUT / "recommendation.json").write_text(json.dumps({"decision": decision, "upgrade": upgrade, "requested_mw": requested,
                                                         "upgrade_screen": screened, "rationale": why}, indent=2))


if __name__ == "__main__":
    main()
