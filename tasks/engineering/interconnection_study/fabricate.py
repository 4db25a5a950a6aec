#!/usr/bin/env python3
"""Plausible fabrication: an honest AC base case, then the N-1 table guessed from it (every outage assumed to
raise the worst loading by a quarter and to move voltages by 1 %), the capacity extrapolated linearly from two
base-case runs to the point where the worst base-case loading would reach 100 %, and the decision taken
from that extrapolation; no outage is ever simulated."""

import csv
import json
import math
import os
import warnings
from pathlib import Path

import pandapower as pp

warnings.filterwarnings("ignore")
IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def main() -> None:
    basis = json.loads((IN / "study.json").read_text())
    net = pp.from_json(str(IN / "network.json"))
    net.load[["p_mw", "q_mvar"]] *= basis["load_scaling"]
    for change in basis["rating_changes"]:
        row = net.line.index[net.line.name == change["branch"]][0]
        net.line.at[row, "max_i_ka"] = change["rating_mva"] / (math.sqrt(3) * net.bus.vn_kv.at[net.line.from_bus.at[row]])
    plant = pp.create_sgen(net, basis["project"]["bus"], 0.0)
    want = basis["project"]["requested_mw"]

    def worst(mw: float) -> float:
        net.sgen.at[plant, "p_mw"] = mw
        pp.runpp(net)
        return max(net.res_line.loading_percent.max(), net.res_trafo.loading_percent.max())

    low, high = worst(0.0), worst(want)
    slope = (high - low) / want if want else 0.0
    res = basis["hosting_capacity"]["resolution_mw"]
    cap = basis["hosting_capacity"]["search_limit_mw"] if slope <= 0 else math.floor((100 - low) / slope / res) * res
    cap = max(0, min(cap, basis["hosting_capacity"]["search_limit_mw"]))
    with open(OUT / "base_buses.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["bus", "vm_pu", "va_degree"])
        w.writerows([b, r.vm_pu, r.va_degree] for b, r in net.res_bus.iterrows())
    names = [(n, "line") for n in net.line.name] + [(n, "trafo") for n in net.trafo.name]
    loadings = list(net.res_line.loading_percent) + list(net.res_trafo.loading_percent)
    with open(OUT / "base_branches.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["branch", "kind", "loading_percent"])
        w.writerows([n, k, v] for (n, k), v in zip(names, loadings, strict=True))
    with open(OUT / "contingencies.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["outage", "kind", "converged", "max_loading_percent", "min_vm_pu", "max_vm_pu",
                    "islanded_buses", "violation"])
        for n, k in names:
            w.writerow([n, k, "true", high * 1.25, net.res_bus.vm_pu.min() * 0.99, net.res_bus.vm_pu.max() * 1.01, 0,
                        str(high * 1.25 > 100).lower()])
    (OUT / "hosting_capacity.json").write_text(json.dumps({
        "max_injection_mw": cap, "resolution_mw": res,
        "binding_constraint": {"outage": "BASE", "element": names[int(max(range(len(loadings)), key=loadings.__getitem__))][0],
                               "type": "thermal"}}))
    (OUT / "recommendation.json").write_text(json.dumps({
        "decision": "approve" if want <= cap else "reject", "upgrade": None, "requested_mw": want,
        "rationale": f"linear screening: {cap} MW available against {want} MW requested"}))


if __name__ == "__main__":
    main()
