#!/usr/bin/env python3
"""Plausible fabrication for transport_safety/sprinkler_hydraulics: a quick hand calc, not the real one.

Every design-area sprinkler is taken at its minimum flow (no extra flow from higher pressures),
fittings are ignored, pressures are built up from the remote sprinkler with friction only, and the
supply is declared adequate.
"""

import csv
import json
import os
from pathlib import Path

inp = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
out = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
out.mkdir(parents=True, exist_ok=True)
nodes = list(csv.DictReader((inp / "nodes.csv").read_text().splitlines()))
pipes = list(csv.DictReader((inp / "pipes.csv").read_text().splitlines()))
crit = json.loads((inp / "design_criteria.json").read_text())
q_min = crit["density_gpm_per_ft2"] * max(float(n["coverage_ft2"]) for n in nodes)
p_min = max(7.0, (q_min / crit["sprinkler_k_factor"]) ** 2)
discharge = {n["node"]: (q_min if n["design_area"] == "1" else 0.0) for n in nodes}
children = {}
for p in pipes:
    children.setdefault(p["from_node"], []).append(p)


def flow_below(node):
    return discharge[node] + sum(flow_below(c["to_node"]) for c in children.get(node, []))


flows = {p["pipe"]: flow_below(p["to_node"]) for p in pipes}
fric = {p["pipe"]: 4.52 * flows[p["pipe"]] ** 1.85 / (float(p["c_factor"]) ** 1.85 * float(p["diameter_in"]) ** 4.87)
        for p in pipes}
loss_to_end = sum(fric[p["pipe"]] * float(p["length_ft"]) for p in pipes if flows[p["pipe"]] > 0) / 2
pressure = {n["node"]: p_min + loss_to_end * 0.5 for n in nodes}
pressure["S"] = p_min + loss_to_end + 15.0
with open(out / "node_results.csv", "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["node", "elevation_ft", "pressure_psi", "discharge_gpm", "minimum_pressure_psi"])
    for n in nodes:
        w.writerow([n["node"], n["elevation_ft"], round(pressure[n["node"]], 2), discharge[n["node"]],
                    round(p_min, 2) if n["design_area"] == "1" else ""])
with open(out / "pipe_results.csv", "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["pipe", "from_node", "to_node", "flow_gpm", "total_length_ft", "friction_psi_per_ft",
                "friction_loss_psi", "velocity_fps"])
    for p in pipes:
        d = float(p["diameter_in"])
        w.writerow([p["pipe"], p["from_node"], p["to_node"], round(flows[p["pipe"]], 2), p["length_ft"],
                    round(fric[p["pipe"]], 5), round(fric[p["pipe"]] * float(p["length_ft"]), 3),
                    round(0.4085 * flows[p["pipe"]] / d ** 2, 2)])
q = sum(discharge.values())
heads = [n["node"] for n in nodes if n["design_area"] == "1"]
summary = {"governing_sprinkler": heads[-1], "min_sprinkler_flow_gpm": q_min, "min_sprinkler_pressure_psi": p_min,
           "sprinkler_demand_gpm": q, "required_pressure_psi": round(pressure["S"], 2),
           "hose_allowance_gpm": crit["hose_stream_allowance_gpm"], "total_demand_gpm": q + crit["hose_stream_allowance_gpm"],
           "available_pressure_psi": round(pressure["S"] + 10, 2), "safety_margin_psi": 10.0, "supply_adequate": True}
(out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
