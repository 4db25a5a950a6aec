#!/usr/bin/env python3
"""Near-miss shortcuts for the interconnection study, chosen by the name this file runs under.

dc_powerflow: the whole study with DC power flow (rundcpp): fast, flows close, voltages all 1.0 pu.
base_case_only: AC base case only; every contingency row repeats the base case, and the capacity search
  and the recommendation look at the base case alone.
skip_transformers: the full AC study, but only line outages are screened (transformers never outaged).
hardcoded_capacity: the AC tables done right, then the capacity written as the requested size and the
  request approved, with no search.
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
MODE = Path(sys.argv[0]).name.split(".")[0]
BASIS = json.loads((IN / "study.json").read_text())
LIM = BASIS["criteria"]


def case():
    net = pp.from_json(str(IN / "network.json"))
    net.load[["p_mw", "q_mvar"]] *= BASIS["load_scaling"]
    for change in BASIS["rating_changes"]:
        row = net.line.index[net.line.name == change["branch"]][0]
        kv = net.bus.vn_kv.at[net.line.from_bus.at[row]]
        net.line.at[row, "max_i_ka"] = change["rating_mva"] / (math.sqrt(3) * kv)
    p = BASIS["project"]
    if p["type"] == "bess":
        pp.create_gen(net, p["bus"], 0.0, vm_pu=p["voltage_setpoint_pu"], name="poi")
    else:
        pp.create_sgen(net, p["bus"], 0.0, name="poi")
    return net


def inject(net, mw):
    for table in (net.gen, net.sgen):
        table.loc[table.name == "poi", "p_mw"] = mw
    if BASIS["project"]["type"] == "wind":
        net.sgen.loc[net.sgen.name == "poi", "q_mvar"] = -mw * 0.32868


def outages(net):
    found = [("line", i) for i in net.line.index]
    return found if MODE == "skip_transformers" else found + [("trafo", i) for i in net.trafo.index]


def flow(net, out=None):
    """Extremes and violation keys of one case; (None, ...) when it does not solve."""
    work = net
    taken = out if out and MODE != "base_case_only" else None
    if taken:
        getattr(work, taken[0]).at[taken[1], "in_service"] = False
    try:
        pp.rundcpp(work) if MODE == "dc_powerflow" else pp.runpp(work)
    except Exception:
        return None, {"nonconvergence"}
    finally:
        if taken:
            getattr(work, taken[0]).at[taken[1], "in_service"] = True
    loads = [work.res_line.loading_percent, work.res_trafo.loading_percent]
    keys = {f"{kind}{i}" for kind, s in zip("lt", loads, strict=True) for i, v in s.items() if v > LIM["max_loading_percent"]}
    v = work.res_bus.vm_pu.dropna()
    keys |= {f"bus{b}" for b, x in v.items() if not LIM["v_min_pu"] <= x <= LIM["v_max_pu"]}
    return (max(s.max() for s in loads), v.min(), v.max(), int(work.res_bus.vm_pu.isna().sum())), keys


def table(net, mw, screened=True):
    inject(net, mw)
    return {out: flow(net, out) for out in [None, *(outages(net) if screened else [])]}


def main():
    net = case()
    res, top = BASIS["hosting_capacity"]["resolution_mw"], BASIS["hosting_capacity"]["search_limit_mw"]
    pre = {k: v[1] for k, v in table(net, 0.0).items()}

    def secure(mw):
        rows = table(net, mw, screened=MODE != "base_case_only")
        return all(not (keys - pre[k]) for k, (_, keys) in rows.items())

    want = BASIS["project"]["requested_mw"]
    inject(net, want)
    base = copy.deepcopy(net)
    pp.rundcpp(base) if MODE == "dc_powerflow" else pp.runpp(base)
    with open(OUT / "base_buses.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["bus", "vm_pu", "va_degree"])
        w.writerows([b, r.vm_pu, r.va_degree] for b, r in base.res_bus.iterrows())
    with open(OUT / "base_branches.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["branch", "kind", "loading_percent"])
        w.writerows([base.line.name[i], "line", v] for i, v in base.res_line.loading_percent.items())
        w.writerows([base.trafo.name[i], "trafo", v] for i, v in base.res_trafo.loading_percent.items())
    rows = table(net, want)
    with open(OUT / "contingencies.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["outage", "kind", "converged", "max_loading_percent", "min_vm_pu", "max_vm_pu",
                    "islanded_buses", "violation"])
        for out, (ext, keys) in rows.items():
            if out is None:
                continue
            name = getattr(net, out[0]).name[out[1]]
            w.writerow([name, out[0], ext is not None, *(ext or ("", "", "", 0)), bool(keys - pre[out])])
    if MODE == "hardcoded_capacity":
        cap = want
    else:
        cap, step = 0, 10 * res
        while step >= res:  # up in coarse steps, then in finer ones from the last secure point
            while cap + step <= top and secure(cap + step):
                cap += step
            step = step // 10 if step > res else 0
    (OUT / "hosting_capacity.json").write_text(json.dumps({"max_injection_mw": cap, "resolution_mw": res,
               "binding_constraint": {"outage": "BASE", "element": "unknown", "type": "thermal"}}))
    (OUT / "recommendation.json").write_text(json.dumps({"decision": "approve" if want <= cap else "reject", "upgrade": None, "requested_mw": want,
               "rationale": f"capacity {cap} MW vs {want} MW requested"}))


if __name__ == "__main__":
    main()
