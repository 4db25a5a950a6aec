#!/usr/bin/env python3
"""Plausible fabrication for engineering/truss_analysis: every file in the right shape, no analysis.

The deck is a quick sketch (one default area for all members, loads of every case simply added,
no thought for the out-of-plane direction) and it is never run; member forces come from a
rule of thumb (total load shared over the members), reactions split the vertical load evenly.
"""

import csv
import json
import os
from pathlib import Path

inp = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
out = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
out.mkdir(parents=True, exist_ok=True)


def rows(name):
    with open(inp / name, newline="") as handle:
        return list(csv.DictReader(handle))


nodes, members, supports, loads = rows("nodes.csv"), rows("members.csv"), rows("supports.csv"), rows("loads.csv")
basis = json.loads((inp / "design_basis.json").read_text())
deck = ["*NODE"] + [f"{n['node']}, {float(n['x_m']) * 1000}, {float(n['y_m']) * 1000}, {float(n['z_m']) * 1000}"
                    for n in nodes]
deck += ["*ELEMENT, TYPE=T3D2, ELSET=ALL"] + [f"{m['member']}, {m['node_i']}, {m['node_j']}" for m in members]
deck += ["*MATERIAL, NAME=STEEL", "*ELASTIC", "210000, 0.3", "*SOLID SECTION, ELSET=ALL, MATERIAL=STEEL", "1000.",
         "*BOUNDARY"] + [f"{s['node']}, 1, 3" for s in supports]
deck += ["*STEP", "*STATIC", "*CLOAD"]
for ld in loads:
    for a, k in enumerate(("Fx_kN", "Fy_kN", "Fz_kN")):
        if float(ld[k]):
            deck.append(f"{ld['node']}, {a + 1}, {float(ld[k]) * 1000}")
deck += ["*NODE PRINT, NSET=Nall", "U, RF", "*END STEP"]
(out / "truss.inp").write_text("\n".join(deck) + "\n")

total_z = sum(float(ld["Fz_kN"]) for ld in loads)
share = abs(total_z) / max(1, len(members)) * 2
allow = basis["allowable_tension_MPa"]
with open(out / "member_forces.csv", "w", newline="") as handle:
    w = csv.writer(handle)
    w.writerow(["member", "axial_force_kN", "stress_MPa", "allowable_MPa", "utilization", "status"])
    for k, m in enumerate(members):
        force = share if k % 2 else -share
        stress = force * 1000 / 1000.0
        w.writerow([m["member"], round(force, 3), round(stress, 2), allow, round(abs(stress) / allow, 3), "OK"])
with open(out / "reactions.csv", "w", newline="") as handle:
    w = csv.writer(handle)
    w.writerow(["node", "Rx_kN", "Ry_kN", "Rz_kN"])
    for s in supports:
        w.writerow([s["node"], 0.0, 0.0, round(-total_z / len(supports), 3)])
summary = {
    "max_displacement_mm": round(basis["displacement_limit_mm"] / 2, 2), "max_displacement_node": int(nodes[-1]["node"]),
    "max_tension_kN": share, "max_tension_member": int(members[1]["member"]),
    "max_compression_kN": -share, "max_compression_member": int(members[0]["member"]),
    "max_utilization": round(share / allow, 3), "critical_member": int(members[0]["member"]),
    "strength_ok": True, "deflection_ok": True, "verdict": "PASS",
}
(out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
