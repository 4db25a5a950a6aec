#!/usr/bin/env python3
"""Oracle: formulate the capacitated lot-sizing MILP with PuLP, write it as model.lp, solve it with CBC."""
# ALE-CANARY-5fb4b728-27a4-4e5d-a794-ae84f9a013cf

import csv
import json
import os
from pathlib import Path

import pulp

IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])


def rows(name: str) -> list[dict[str, str]]:
    with (IN / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def main() -> None:
    products = rows("products.csv")
    backlog_allowed = "backlog_cost_per_t_week" in products[0]
    prods = [r["product"] for r in products]
    hold = {r["product"]: float(r["holding_cost_per_t_week"]) for r in products}
    bcost = {r["product"]: float(r.get("backlog_cost_per_t_week") or 0) for r in products}
    init = {r["product"]: float(r["initial_inventory_t"]) for r in products}
    demand = {(r["product"], int(r["week"])): float(r["demand_t"]) for r in rows("demand.csv")}
    weeks = sorted({t for _, t in demand})
    routes = {(r["line"], r["product"]): r for r in rows("routings.csv")}
    ot_cost = {r["line"]: float(r["overtime_cost_per_hour"]) for r in rows("lines.csv")}
    cap = {(r["line"], int(r["week"])): (float(r["regular_hours"]), float(r["max_overtime_hours"]))
           for r in rows("capacity.csv")}
    lines = sorted(ot_cost)

    def f(route: tuple[str, str], col: str) -> float:
        return float(routes[route][col])

    prob = pulp.LpProblem("lot_sizing", pulp.LpMinimize)
    x = {(ln, p, t): pulp.LpVariable(f"x_{ln}_{p}_{t}", lowBound=0) for ln, p in routes for t in weeks}
    y = {(ln, p, t): pulp.LpVariable(f"y_{ln}_{p}_{t}", cat="Binary") for ln, p in routes for t in weeks}
    o = {(ln, t): pulp.LpVariable(f"o_{ln}_{t}", lowBound=0, upBound=cap[ln, t][1]) for ln in lines for t in weeks}
    inv = {(p, t): pulp.LpVariable(f"i_{p}_{t}", lowBound=0) for p in prods for t in weeks}
    last = weeks[-1]
    back = {(p, t): pulp.LpVariable(f"b_{p}_{t}", lowBound=0, upBound=None if backlog_allowed and t != last else 0)
            for p in prods for t in weeks}

    prob += (
        pulp.lpSum(f(r, "setup_cost") * y[(*r, t)] + f(r, "run_cost_per_t") * x[(*r, t)] for r in routes for t in weeks)
        + pulp.lpSum(hold[p] * inv[p, t] + bcost[p] * back[p, t] for p in prods for t in weeks)
        + pulp.lpSum(ot_cost[ln] * o[ln, t] for ln in lines for t in weeks)
    )
    for ln in lines:
        for t in weeks:
            prob += (pulp.lpSum(f(r, "run_hours_per_t") * x[(*r, t)] + f(r, "setup_hours") * y[(*r, t)]
                                for r in routes if r[0] == ln) <= cap[ln, t][0] + o[ln, t]), f"cap_{ln}_{t}"
    for p in prods:
        total_left = {t: sum(demand[p, w] for w in weeks if backlog_allowed or w >= t) for t in weeks}
        for t in weeks:
            prev = init[p] if t == weeks[0] else inv[p, t - 1] - back[p, t - 1]
            made = pulp.lpSum(x[ln, q, t] for ln, q in routes if q == p)
            prob += prev + made - demand[p, t] == inv[p, t] - back[p, t], f"bal_{p}_{t}"
            for ln, q in routes:
                if q == p:
                    reg, ot = cap[ln, t]
                    big_m = min((reg + ot - f((ln, p), "setup_hours")) / f((ln, p), "run_hours_per_t"), total_left[t])
                    prob += x[ln, p, t] <= max(big_m, 0) * y[ln, p, t], f"link_{ln}_{p}_{t}"

    OUT.mkdir(parents=True, exist_ok=True)
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
