#!/usr/bin/env python3
"""Plausible fabrication: a greedy nearest-neighbour plan that fills each truck in turn, a token
LP file that merely restates the greedy cost, and a summary that claims optimality."""

import csv
import json
import os
from pathlib import Path

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def main():
    sites = {r["Site_ID"]: r for r in csv.DictReader((IN / "sites.csv").open())}
    dist = {r["Site_ID"]: {k: float(v) for k, v in r.items() if k != "Site_ID"}
            for r in csv.DictReader((IN / "distance_km.csv").open())}
    fleet = list(csv.DictReader((IN / "fleet.csv").open()))
    todo = {k for k, s in sites.items() if s["Type"] == "customer"}
    plan, total = [], 0.0
    for v in fleet:
        depot, load, here, stops = v["Home_Depot"], 0, v["Home_Depot"], []
        while True:
            fits = [c for c in todo if load + int(sites[c]["Demand_Pallets"]) <= int(v["Capacity_Pallets"])]
            if not fits:
                break
            nxt = min(fits, key=lambda c: dist[here][c])
            total += dist[here][nxt]
            load += int(sites[nxt]["Demand_Pallets"])
            todo.discard(nxt)
            stops.append(nxt)
            here = nxt
        if stops:
            total += dist[here][depot]
            plan.append((v["Vehicle_ID"], stops))
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "routes.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Vehicle_ID", "Stop_Sequence", "Site_ID"])
        for vehicle, stops in plan:
            for i, s in enumerate(stops, start=1):
                w.writerow([vehicle, i, s])
    model = f"Minimize\n obj: {total:.1f} plan\nSubject To\n pick: plan = 1\nBinary\n plan\nEnd\n"
    (OUT / "model.lp").write_text(model)
    (OUT / "build_model.py").write_text(f"import sys\nopen(sys.argv[2], 'w').write({model!r})\n")
    (OUT / "summary.json").write_text(json.dumps({"total_distance_km": round(total, 1), "vehicles_used": len(plan),
                                                  "solver": "cbc", "status": "Optimal"}))


if __name__ == "__main__":
    main()
