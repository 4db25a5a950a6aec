#!/usr/bin/env python3
"""Near-miss shortcuts for the routing task, chosen by the name this file runs under.

fixed_plan_model: the optimal plan found by honest enumeration, but model.lp (and the generator's
  output) is a one-binary model whose objective is that plan's distance.
frozen_columns: the generator writes the set-partitioning model over today's enumerated routes,
  pasted in as literals, whatever data it is given.
plan_with_arcs: the generator is honest about the day (it enumerates the routes and solves them itself),
  but the model it writes is the plan it found, dressed with the arc variables of that plan only.
nearest_neighbour: trucks filled by a nearest-neighbour heuristic; the model chooses among the
  heuristic's routes and the one- and two-stop routes only, so CBC "proves" a restricted plan optimal.
fleet_blind: the honest plan; model and generator are the set-partitioning model over every feasible route
  with its arc variables, but without the fleet-size limit (the optimum seldom needs more trucks than
  the depot has, so its figure alone does not show the rule is missing).
depot_hours_blind: the honest plan; model and generator are the set-partitioning model over every route that
  meets its time windows, with the fleet-size limit and the arc variables, but a route is never checked for
  being back at the depot by 18:00 (the windows close early enough that the day's optimum seldom shows it);
  on a day without time windows, where there are no hours to leave out, it leaves out the fleet-size limit
  instead, the other rule a day's optimum seldom shows.
home_depot_blind: the honest plan; on a day with several depots, model and generator are a two-index flow model
  (arc binaries, load constraints against subtours, as many arcs into each depot as out of it, the fleet-size limit),
  so a vehicle may end its route at another depot than its home (the day's optimum seldom needs it); on a day with
  one depot, where there is no other depot to end at, the fleet-size limit is left out instead.
summary_unsolved: the honest plan, model and generator, but summary.json written without the solve: every vehicle
  of the fleet counted as used, another solver named and a status that is not optimal.
"""

import csv
import inspect
import itertools
import json
import os
import sys
import tempfile
from pathlib import Path

import pulp

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
MODE = Path(sys.argv[0]).name.split(".")[0]


def read(folder: Path) -> tuple[dict, dict, dict]:
    with open(folder / "sites.csv", newline="") as fh:
        sites = {r["Site_ID"]: r for r in csv.DictReader(fh)}
    with open(folder / "distance_km.csv", newline="") as fh:
        dist = {r["Site_ID"]: {k: float(v) for k, v in r.items() if k != "Site_ID"} for r in csv.DictReader(fh)}
    fleet: dict[str, list[dict]] = {}
    with open(folder / "fleet.csv", newline="") as fh:
        for v in csv.DictReader(fh):
            fleet.setdefault(v["Home_Depot"], []).append(v)
    return sites, dist, fleet


def on_time(sites: dict, dist: dict, depot: str, order: tuple) -> bool:
    if "TW_Open_Min" not in sites[order[0]]:
        return True
    t, here = 0.0, depot
    for stop in order:
        t = max(t + dist[here][stop] * 1.5, float(sites[stop]["TW_Open_Min"]))
        if t > float(sites[stop]["TW_Close_Min"]) + 1e-9:
            return False
        t, here = t + float(sites[stop]["Service_Min"]), stop
    return MODE == "depot_hours_blind" or t + dist[here][depot] * 1.5 <= 600 + 1e-9


def km(dist: dict, depot: str, order: tuple) -> float:
    return sum(dist[a][b] for a, b in itertools.pairwise((depot, *order, depot)))


def enumerate_routes(sites: dict, dist: dict, fleet: dict) -> list[tuple[str, tuple, float]]:
    demand = {k: int(s["Demand_Pallets"]) for k, s in sites.items() if s["Type"] == "customer"}
    out = []
    for depot, vs in fleet.items():
        cap = int(vs[0]["Capacity_Pallets"])
        for size in range(1, len(demand) + 1):
            subsets = [s for s in itertools.combinations(sorted(demand), size) if sum(demand[c] for c in s) <= cap]
            if not subsets:
                break
            for subset in subsets:
                good = [o for o in itertools.permutations(subset) if on_time(sites, dist, depot, o)]
                if good and MODE == "summary_unsolved":  # every stop order, so that a closed road has its detour
                    out += [(depot, o, km(dist, depot, o)) for o in good]
                elif good:
                    best = min(good, key=lambda o: km(dist, depot, o))
                    out.append((depot, best, km(dist, depot, best)))
    return out


def nearest_neighbour(sites: dict, dist: dict, fleet: dict) -> list[tuple[str, tuple, float]]:
    left = {k: int(s["Demand_Pallets"]) for k, s in sites.items() if s["Type"] == "customer"}
    out = []
    for depot, vs in fleet.items():
        for v in vs:
            load, here, order = 0, depot, []
            while True:
                fits = [c for c in left if load + left[c] <= int(v["Capacity_Pallets"])
                        and on_time(sites, dist, depot, (*order, c))]
                if not fits:
                    break
                here = min(fits, key=lambda c: dist[here][c])
                load += left.pop(here)
                order.append(here)
            if order:
                out.append((depot, tuple(order), km(dist, depot, tuple(order))))
    demand = {k: int(s["Demand_Pallets"]) for k, s in sites.items() if s["Type"] == "customer"}
    for depot, vs in fleet.items():  # and, to stay feasible, every route of one or two stops
        for size in (1, 2):
            for order in itertools.permutations(sorted(demand), size):
                if sum(demand[c] for c in order) <= int(vs[0]["Capacity_Pallets"]) and on_time(sites, dist, depot, order):
                    out.append((depot, order, km(dist, depot, order)))
    return out


def lp_text(columns: list, sites: dict, fleet: dict) -> str:
    prob = pulp.LpProblem("routes", pulp.LpMinimize)
    x = [pulp.LpVariable(f"r{i}", cat="Binary") for i in range(len(columns))]
    prob += pulp.lpSum(round(c, 1) * x[i] for i, (_, _, c) in enumerate(columns))
    for cust in (k for k, s in sites.items() if s["Type"] == "customer"):
        prob += pulp.lpSum(x[i] for i, (_, o, _) in enumerate(columns) if cust in o) == 1
    for depot, vs in fleet.items():
        prob += pulp.lpSum(x[i] for i, (d, _, _) in enumerate(columns) if d == depot) <= len(vs)
    prob.writeLP(str(OUT / "_tmp.lp"))
    text = (OUT / "_tmp.lp").read_text()
    (OUT / "_tmp.lp").unlink()
    prob.solve(pulp.COIN_CMD(msg=False))
    lp_text.chosen = [columns[i] for i, v in enumerate(x) if v.value() > 0.5]  # type: ignore[attr-defined]
    return text


def plan_model(folder: Path) -> str:
    """The day's optimal plan (routes enumerated and chosen by PuLP's CBC) as a model of that plan only."""
    sites, dist, fleet = read(folder)
    columns = enumerate_routes(sites, dist, fleet)
    prob = pulp.LpProblem("routes", pulp.LpMinimize)
    x = [pulp.LpVariable(f"r{i}", cat="Binary") for i in range(len(columns))]
    prob += pulp.lpSum(c * x[i] for i, (_, _, c) in enumerate(columns))
    for cust in (k for k, s in sites.items() if s["Type"] == "customer"):
        prob += pulp.lpSum(x[i] for i, (_, o, _) in enumerate(columns) if cust in o) == 1
    for depot, vs in fleet.items():
        prob += pulp.lpSum(x[i] for i, (d, _, _) in enumerate(columns) if d == depot) <= len(vs)
    prob.solve(pulp.COIN_CMD(msg=False))
    chosen = [columns[i] for i, v in enumerate(x) if v.value() > 0.5]
    arcs = [f" a{k}: arc_{a}_{b} - plan = 0" for k, (a, b) in enumerate(
        pair for d, o, _ in chosen for pair in itertools.pairwise((d, *o, d)))]
    total = round(sum(c for _, _, c in chosen), 1)
    return "\n".join(["Minimize", f" obj: {total} plan", "Subject To", " pick: plan = 1", *arcs, "Binary", " plan",
                      "End", ""])


def route_model(folder: Path) -> str:
    """Set partitioning over every feasible route with arc variables (the fleet-size limit left out when fleet-blind)."""
    sites, dist, fleet = read(folder)
    columns = enumerate_routes(sites, dist, fleet)
    prob = pulp.LpProblem("routes", pulp.LpMinimize)
    x = [pulp.LpVariable(f"r{i}", cat="Binary") for i in range(len(columns))]
    prob += pulp.lpSum(round(c, 1) * x[i] for i, (_, _, c) in enumerate(columns))
    for cust in (k for k, s in sites.items() if s["Type"] == "customer"):
        prob += pulp.lpSum(x[i] for i, (_, o, _) in enumerate(columns) if cust in o) == 1
    timed = "TW_Open_Min" in next(iter(sites.values()))
    fleet_blind = MODE in ("fleet_blind", "home_depot_blind") or (MODE == "depot_hours_blind" and not timed)
    for depot, vs in () if fleet_blind else fleet.items():
        prob += pulp.lpSum(x[i] for i, (d, _, _) in enumerate(columns) if d == depot) <= len(vs)
    uses: dict[tuple, list[int]] = {}
    for i, (d, o, _) in enumerate(columns):
        for a, b in itertools.pairwise((d, *o, d)):
            uses.setdefault((a, b), []).append(i)
    for (a, b), cols in sorted(uses.items()):
        prob += pulp.LpVariable(f"arc_{a}_{b}", 0) - pulp.lpSum(x[i] for i in cols) == 0
    with tempfile.TemporaryDirectory() as tmp:
        prob.writeLP(str(Path(tmp) / "model.lp"))
        return (Path(tmp) / "model.lp").read_text()


def flow_model(folder: Path) -> str:
    """Two-index flow model: arc binaries, load (MTZ) constraints, as many arcs into each depot as out of it and the
    fleet-size limit, so a vehicle may end its route at another depot; route_model on a day with one depot."""
    sites, dist, fleet = read(folder)
    if len(fleet) < 2:
        return route_model(folder)
    demand = {k: int(s["Demand_Pallets"]) for k, s in sites.items() if s["Type"] == "customer"}
    cap = int(next(iter(fleet.values()))[0]["Capacity_Pallets"])
    pairs = [(a, b) for a in sites for b in sites if a != b and (a in demand or b in demand)]
    prob = pulp.LpProblem("routes", pulp.LpMinimize)
    arc = {(a, b): pulp.LpVariable(f"arc_{a}_{b}", cat="Binary") for a, b in pairs}
    load = {c: pulp.LpVariable(f"load_{c}", demand[c], cap) for c in demand}
    prob += pulp.lpSum(dist[a][b] * arc[a, b] for a, b in pairs)
    for c in demand:
        prob += pulp.lpSum(arc[a, b] for a, b in pairs if b == c) == 1
        prob += pulp.lpSum(arc[a, b] for a, b in pairs if a == c) == 1
    for depot, vs in fleet.items():
        leaving = pulp.lpSum(arc[a, b] for a, b in pairs if a == depot)
        prob += leaving == pulp.lpSum(arc[a, b] for a, b in pairs if b == depot)
        prob += leaving <= len(vs)
    for a, b in pairs:
        if a in demand and b in demand:
            prob += load[b] >= load[a] + demand[b] - cap * (1 - arc[a, b])
    with tempfile.TemporaryDirectory() as tmp:
        prob.writeLP(str(Path(tmp) / "model.lp"))
        return (Path(tmp) / "model.lp").read_text()


def generator(last: object, *helpers: object) -> str:
    """Source of a build_model.py writing the model ``last`` (a function of the data folder) returns."""
    return "\n".join(["import csv, itertools, sys, tempfile", "from pathlib import Path", "import pulp", f"MODE = {MODE!r}",
                      *(inspect.getsource(f) for f in (read, on_time, km, enumerate_routes, *helpers, last)),
                      f"Path(sys.argv[2]).write_text({last.__name__}(Path(sys.argv[1])))", ""])


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    sites, dist, fleet = read(IN)
    columns = (nearest_neighbour if MODE == "nearest_neighbour" else enumerate_routes)(sites, dist, fleet)
    model = lp_text(columns, sites, fleet)
    chosen = lp_text.chosen  # type: ignore[attr-defined]
    total = round(sum(c for _, _, c in chosen), 1)
    if MODE == "fixed_plan_model":
        model = f"Minimize\n obj: {total} plan\nSubject To\n pick: plan = 1\nBinary\n plan\nEnd\n"
    if MODE == "plan_with_arcs":
        model = plan_model(IN)
    if MODE in ("fleet_blind", "depot_hours_blind", "summary_unsolved"):
        model = route_model(IN)
    if MODE == "home_depot_blind":
        model = flow_model(IN)
    (OUT / "model.lp").write_text(model)
    (OUT / "build_model.py").write_text(generator(plan_model) if MODE == "plan_with_arcs" else
                                        generator(route_model) if MODE in ("fleet_blind", "depot_hours_blind", "summary_unsolved") else
                                        generator(flow_model, route_model) if MODE == "home_depot_blind" else
                                        f"import sys\nopen(sys.argv[2], 'w').write({model!r})\n")
    with open(OUT / "routes.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Vehicle_ID", "Stop_Sequence", "Site_ID"])
        free = {d: [v["Vehicle_ID"] for v in vs] for d, vs in fleet.items()}
        for depot, order, _ in chosen:
            vehicle = free[depot].pop(0)
            w.writerows([vehicle, i, s] for i, s in enumerate(order, start=1))
    summary = {"total_distance_km": total, "vehicles_used": len(chosen), "solver": "cbc", "status": "Optimal"}
    if MODE == "summary_unsolved":
        summary.update(vehicles_used=sum(len(vs) for vs in fleet.values()), solver="nearest insertion",
                       status="Feasible")
    (OUT / "summary.json").write_text(json.dumps(summary))


if __name__ == "__main__":
    main()
