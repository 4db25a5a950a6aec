#!/usr/bin/env python3
"""Oracle for the routing task: the set-partitioning MILP from build_model.py (PuLP), written as
model.lp and solved with the CBC executable."""
# ALE-CANARY-2ce2c20f-700b-4064-9e33-7be363f8d526

from __future__ import annotations

import csv
import itertools
import json
import os
import shutil
from pathlib import Path

import pulp
from build_model import formulate

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def main() -> None:
    model = formulate(IN)
    prob, x, columns, vehicles, dist = (model[k] for k in ("prob", "x", "columns", "vehicles", "dist"))
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(__file__).with_name("build_model.py"), OUT / "build_model.py")
    prob.writeLP(str(OUT / "model.lp"))
    prob.solve(pulp.COIN_CMD(path=shutil.which("cbc"), msg=False))
    status = pulp.LpStatus[prob.status]
    if status != "Optimal":
        raise SystemExit(f"CBC status {status}")
    chosen = [columns[i] for i, var in enumerate(x) if var.value() > 0.5]
    with open(OUT / "routes.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Vehicle_ID", "Stop_Sequence", "Site_ID"])
        free = {d: [v["Vehicle_ID"] for v in vs] for d, vs in vehicles.items()}
        for depot, order, _ in chosen:
            vehicle = free[depot].pop(0)
            for seq, stop in enumerate(order, start=1):
                w.writerow([vehicle, seq, stop])
    total = sum(dist[a][b] for depot, order, _ in chosen for a, b in itertools.pairwise((depot, *order, depot)))
    (OUT / "summary.json").write_text(json.dumps({
        "total_distance_km": round(total, 1), "vehicles_used": len(chosen), "solver": "cbc", "status": status,
        "objective": pulp.value(prob.objective)}, indent=2))


if __name__ == "__main__":
    main()
