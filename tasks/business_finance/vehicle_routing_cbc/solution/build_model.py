#!/usr/bin/env python3
"""Model generator: python3 build_model.py DATA_DIR MODEL_LP writes the routing MILP for the sites,
distances and fleet in DATA_DIR as CPLEX LP: every feasible single-vehicle route enumerated (every
stop order of every customer set within capacity, time windows checked; on a symmetric matrix without
time windows each cycle once), then set partitioning, with arc_<i>_<j> variables counting the vehicles
driving directly from i to j so that a road can be closed in the model."""
# ALE-CANARY-2ce2c20f-700b-4064-9e33-7be363f8d526

from __future__ import annotations

import csv
import itertools
import sys
from pathlib import Path
from typing import Any

import pulp

SPEED = 40.0
CLOSE = 600.0


def load(data_dir: Path) -> tuple[dict, dict, list]:
    with open(data_dir / "sites.csv", newline="") as fh:
        sites = {r["Site_ID"]: r for r in csv.DictReader(fh)}
    with open(data_dir / "distance_km.csv", newline="") as fh:
        dist = {r["Site_ID"]: {k: float(v) for k, v in r.items() if k != "Site_ID"} for r in csv.DictReader(fh)}
    with open(data_dir / "fleet.csv", newline="") as fh:
        fleet = list(csv.DictReader(fh))
    return sites, dist, fleet


def feasible_schedule(sites: dict, dist: dict, depot: str, order: tuple[str, ...]) -> bool:
    if "TW_Open_Min" not in sites[order[0]]:
        return True
    t, prev = 0.0, depot
    for stop in order:
        s = sites[stop]
        t = max(t + dist[prev][stop] / SPEED * 60, float(s["TW_Open_Min"]))
        if t > float(s["TW_Close_Min"]) + 1e-9:
            return False
        t += float(s["Service_Min"])
        prev = stop
    return t + dist[prev][depot] / SPEED * 60 <= CLOSE + 1e-9


def routes_for(depot: str, sites: dict, dist: dict, capacity: int) -> list[tuple[tuple[str, ...], float]]:
    """Every feasible stop order of every customer set within capacity (each cycle once when the order's
    reverse costs the same and no time window tells them apart), with its distance."""
    demand = {k: int(s["Demand_Pallets"]) for k, s in sites.items() if s["Type"] == "customer"}
    timed = "TW_Open_Min" in next(iter(sites.values()))
    symmetric = all(dist[a][b] == dist[b][a] for a in dist for b in dist)
    out = []
    for size in range(1, len(demand) + 1):
        found = False
        for subset in itertools.combinations(sorted(demand), size):
            if sum(demand[c] for c in subset) > capacity:
                continue
            found = True
            for order in itertools.permutations(subset):
                if size > 1 and symmetric and not timed and order[0] > order[-1]:
                    continue
                if feasible_schedule(sites, dist, depot, order):
                    out.append((order, sum(dist[a][b] for a, b in itertools.pairwise((depot, *order, depot)))))
        if not found:
            break
    return out


def formulate(data_dir: Path) -> dict[str, Any]:
    """The set-partitioning MILP for the instance in ``data_dir``, with its columns and data."""
    sites, dist, fleet = load(data_dir)
    vehicles = {}
    for v in fleet:
        vehicles.setdefault(v["Home_Depot"], []).append(v)
    columns = [(depot, order, km) for depot, vs in sorted(vehicles.items())
               for order, km in routes_for(depot, sites, dist, int(vs[0]["Capacity_Pallets"]))]
    prob = pulp.LpProblem("delivery_routes", pulp.LpMinimize)
    x = [pulp.LpVariable(f"route_{i}_{depot}_{'_'.join(order)}", cat="Binary")
         for i, (depot, order, _) in enumerate(columns)]
    prob += pulp.lpSum(round(km, 1) * x[i] for i, (_, _, km) in enumerate(columns)), "total_km"
    for c in sorted(k for k, s in sites.items() if s["Type"] == "customer"):
        prob += pulp.lpSum(x[i] for i, (_, order, _) in enumerate(columns) if c in order) == 1, f"serve_{c}"
    for depot, vs in sorted(vehicles.items()):
        prob += pulp.lpSum(x[i] for i, (d, _, _) in enumerate(columns) if d == depot) <= len(vs), f"fleet_{depot}"
    driving: dict[tuple[str, str], list[int]] = {}
    for i, (depot, order, _) in enumerate(columns):
        for a, b in itertools.pairwise((depot, *order, depot)):
            driving.setdefault((a, b), []).append(i)
    for (a, b), uses in sorted(driving.items()):
        arc = pulp.LpVariable(f"arc_{a}_{b}", lowBound=0)
        prob += arc - pulp.lpSum(x[i] for i in uses) == 0, f"drive_{a}_{b}"
    return {"prob": prob, "x": x, "columns": columns, "vehicles": vehicles, "dist": dist}


if __name__ == "__main__":
    formulate(Path(sys.argv[1]))["prob"].writeLP(sys.argv[2])
