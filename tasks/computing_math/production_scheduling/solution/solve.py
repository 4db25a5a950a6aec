#!/usr/bin/env python3
"""Oracle: the MILP from build_model.py (PuLP), written as model.lp and solved with CBC; plan and costs."""
# ALE-CANARY-5fb4b728-27a4-4e5d-a794-ae84f9a013cf

import csv
import json
import os
import shutil
from pathlib import Path

import pulp
from build_model import formulate

IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])


def main() -> None:
    model = formulate(IN)
    prob, x, routes, weeks, lines, prods = (model[k] for k in ("prob", "x", "routes", "weeks", "lines", "prods"))
    cap, ot_cost, init, demand, hold, bcost = (model[k] for k in ("cap", "ot_cost", "init", "demand", "hold", "bcost"))

    def f(route: tuple[str, str], col: str) -> float:
        return float(routes[route][col])

    OUT.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(__file__).with_name("build_model.py"), OUT / "build_model.py")
    prob.writeLP(str(OUT / "model.lp"))
    prob.solve(pulp.COIN_CMD(path="/usr/bin/cbc", msg=False))
    status = pulp.LpStatus[prob.status]

    plan = {(ln, p, t): round(x[ln, p, t].value() or 0.0, 4) for ln, p in routes for t in weeks}
    with (OUT / "plan.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["week", "line", "product", "quantity_t"])
        for (ln, p, t), q in sorted(plan.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1])):
            if q > 1e-6:
                writer.writerow([t, ln, p, q])

    costs = {"setup": 0.0, "production": 0.0, "holding": 0.0, "backlog": 0.0, "overtime": 0.0}
    for ln in lines:
        for t in weeks:
            hours = 0.0
            for r in routes:
                q = plan.get((*r, t), 0.0) if r[0] == ln else 0.0
                if q > 1e-6:
                    hours += f(r, "run_hours_per_t") * q + f(r, "setup_hours")
                    costs["setup"] += f(r, "setup_cost")
                    costs["production"] += f(r, "run_cost_per_t") * q
            costs["overtime"] += ot_cost[ln] * max(0.0, hours - cap[ln, t][0])
    for p in prods:
        net = init[p]
        for t in weeks:
            net += sum(plan.get((ln, p, t), 0.0) for ln in lines) - demand[p, t]
            costs["holding"] += hold[p] * max(net, 0.0)
            costs["backlog"] += bcost[p] * max(-net, 0.0)
    costs = {k: round(v, 2) for k, v in costs.items()}
    summary = {"status": status, "objective": round(sum(costs.values()), 2),
               "solver_objective": pulp.value(prob.objective), "costs": costs}
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
