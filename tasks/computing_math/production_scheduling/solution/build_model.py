#!/usr/bin/env python3
"""Model generator: python3 build_model.py DATA_DIR MODEL_LP writes the capacitated lot-sizing MILP
for the master data in DATA_DIR (products, demand, routings, lines, capacity CSVs) in CPLEX-LP format."""
# ALE-CANARY-5fb4b728-27a4-4e5d-a794-ae84f9a013cf

import csv
import sys
from pathlib import Path
from typing import Any

import pulp


def rows(data_dir: Path, name: str) -> list[dict[str, str]]:
    with (data_dir / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def formulate(data_dir: Path) -> dict[str, Any]:
    """The lot-sizing MILP for the master data in ``data_dir``, with the data it was built from."""
    products = rows(data_dir, "products.csv")
    backlog_allowed = "backlog_cost_per_t_week" in products[0]
    prods = [r["product"] for r in products]
    hold = {r["product"]: float(r["holding_cost_per_t_week"]) for r in products}
    bcost = {r["product"]: float(r.get("backlog_cost_per_t_week") or 0) for r in products}
    init = {r["product"]: float(r["initial_inventory_t"]) for r in products}
    demand = {(r["product"], int(r["week"])): float(r["demand_t"]) for r in rows(data_dir, "demand.csv")}
    weeks = sorted({t for _, t in demand})
    routes = {(r["line"], r["product"]): r for r in rows(data_dir, "routings.csv")}
    ot_cost = {r["line"]: float(r["overtime_cost_per_hour"]) for r in rows(data_dir, "lines.csv")}
    cap = {(r["line"], int(r["week"])): (float(r["regular_hours"]), float(r["max_overtime_hours"]))
           for r in rows(data_dir, "capacity.csv")}
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

    return {"prob": prob, "x": x, "routes": routes, "weeks": weeks, "lines": lines, "prods": prods, "cap": cap,
            "ot_cost": ot_cost, "init": init, "demand": demand, "hold": hold, "bcost": bcost}


if __name__ == "__main__":
    formulate(Path(sys.argv[1]))["prob"].writeLP(sys.argv[2])
