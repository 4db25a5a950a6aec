"""Capacitated vehicle routing solved to optimality with the CBC MILP solver.

Workflow: a distribution planner receives the day's delivery sites (depots and customers with
pallet demands, and in one scenario delivery time windows and service times), the road
distance matrix and the fleet (vehicles, home depots, capacities). They formulate the routing
problem as a mixed-integer program, solve it with CBC, and hand over the routes, the model file
and a summary. Scenarios: a single-depot CVRP, a VRP with time windows, and a two-depot problem.

Generation draws the sites from the seed and computes the optimum by enumerating every feasible
single-vehicle route (best stop order by exhaustive search, capacity and time windows checked)
and solving the set-partitioning model with the host's CBC.

Grade: gates on the files; then every customer served exactly once by a fleet vehicle, vehicle
capacities, time windows and depot hours (when the scenario has them), the reported distance
against the plan's distance recomputed from the matrix, the plan's cost against the optimum
(0.5% gap), the submitted model re-solved by CBC in a sandbox reaching the optimum, and the
submitted model generator run on a hidden day's instance (drawn in generate from another seed) in
a sandbox, its model solved by CBC reaching that day's optimum, and solved again with one road of that
day's optimal plan closed through the model's named arc variables, reaching the best plan that avoids it
(so the generator must write a model of the routing, not a model of a plan it found some other way). The
rules a day's optimum may not reveal are forced to break through the arc variables, and the model must
then be infeasible: one more vehicle leaving a depot than it has, and (with time windows) two roads driven
in a row that no vehicle can drive and still meet the next window, and a chain of roads ending with the
drive home that meets every window but cannot be back by the depot's closing (the hidden day's windows may
close as late as the depot, so that its closing binds), and (with several depots) a vehicle driven from one
depot to a customer and on to another depot. summary.json's vehicles used, solver and status must agree with the
plan and a CBC optimum.
"""
# ALE-CANARY-2ce2c20f-700b-4064-9e33-7be363f8d526

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import random
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from lastexam.task import Grading, Params, as_number

SPEED_KMH = 40.0
DEPOT_CLOSE = 600.0  # minutes after the 08:00 opening
GAP = 0.005
MIN_CLOSURE_RISE = 0.01  # a hidden road closure must raise the optimum by at least this share
HIDDEN_DATA = "hidden_data"
INPUT_FILES = ("sites.csv", "distance_km.csv", "fleet.csv")


# ---------------------------------------------------------------------------------------------
# instance and exact solution
# ---------------------------------------------------------------------------------------------


def draw_instance(params: dict[str, Any], rng: random.Random, late_windows: bool = False) -> dict[str, Any]:
    """A day's sites, distances and fleet; with ``late_windows`` a window may close as late as the depot does
    (else an hour before), so that the depot's closing binds on some routes."""
    n, n_dep = params["customers"], params["depots"]
    depot_xy = [(30.0, 30.0)] if n_dep == 1 else [(15.0, 30.0), (45.0, 30.0)]
    sites = []
    for d, (x, y) in enumerate(depot_xy, start=1):
        sites.append({"id": f"D{d}", "type": "depot", "x": round(x + rng.uniform(-4, 4), 1),
                      "y": round(y + rng.uniform(-4, 4), 1), "demand": 0})
    for c in range(1, n + 1):
        site = {"id": f"C{c:02d}", "type": "customer", "x": round(rng.uniform(0, 60), 1),
                "y": round(rng.uniform(0, 60), 1), "demand": rng.randint(params["demand_min"], params["demand_max"])}
        if params["time_windows"]:
            width = rng.choice([90, 120, 150, 180])
            site["open"] = rng.randrange(0, int(DEPOT_CLOSE) - width - (0 if late_windows else 60), 15)
            site["close"] = site["open"] + width
            site["service"] = rng.choice([10, 15, 20, 25])
        sites.append(site)
    ids = [s["id"] for s in sites]
    dist = {a: {b: 0.0 for b in ids} for a in ids}
    for s, t in itertools.combinations(sites, 2):
        km = round(math.hypot(s["x"] - t["x"], s["y"] - t["y"]) * 1.25 * rng.uniform(1.0, 1.12) + 0.5, 1)
        dist[s["id"]][t["id"]] = dist[t["id"]][s["id"]] = km
    fleet = [{"id": f"V{d}{k}", "depot": f"D{d}", "capacity": params["capacity"]}
             for d in range(1, n_dep + 1) for k in range(1, params["vehicles_per_depot"] + 1)]
    return {"sites": sites, "dist": dist, "fleet": fleet, "time_windows": params["time_windows"]}


def route_cost(inst: dict[str, Any], depot: str, stops: list[str]) -> float:
    d = inst["dist"]
    path = [depot, *stops, depot]
    return sum(d[a][b] for a, b in itertools.pairwise(path))


def schedule(inst: dict[str, Any], depot: str, stops: list[str]) -> list[float] | None:
    """Earliest service start at each stop when leaving the depot at opening; None when infeasible."""
    by_id = {s["id"]: s for s in inst["sites"]}
    d, t, prev, starts = inst["dist"], 0.0, depot, []
    for stop in stops:
        site = by_id[stop]
        t = max(t + d[prev][stop] / SPEED_KMH * 60, site["open"])
        if t > site["close"] + 1e-9:
            return None
        starts.append(t)
        t += site["service"]
        prev = stop
    return starts if t + d[prev][depot] / SPEED_KMH * 60 <= DEPOT_CLOSE + 1e-9 else None


def uses_closed_link(depot: str, order: tuple[str, ...], closed: frozenset[frozenset[str]]) -> bool:
    """Whether the route from ``depot`` through ``order`` and back drives a closed link (either direction)."""
    return any(frozenset(pair) in closed for pair in itertools.pairwise((depot, *order, depot)))


def candidate_routes(inst: dict[str, Any], closed: frozenset[frozenset[str]] = frozenset()
                     ) -> list[tuple[str, tuple[str, ...], float]]:
    """Every capacity-feasible customer set per depot with its cheapest feasible stop order that drives no
    ``closed`` link."""
    customers = [s for s in inst["sites"] if s["type"] == "customer"]
    depots = sorted({v["depot"] for v in inst["fleet"]})
    cap = inst["fleet"][0]["capacity"]
    demand = {s["id"]: s["demand"] for s in customers}
    max_size = len(list(itertools.takewhile(lambda c: c <= cap, itertools.accumulate(sorted(demand.values())))))
    routes = []
    for depot in depots:
        for size in range(1, max_size + 1):
            for subset in itertools.combinations(sorted(demand), size):
                if sum(demand[c] for c in subset) > cap:
                    continue
                best = None
                for order in itertools.permutations(subset):
                    if size > 1 and order[0] > order[-1] and not inst["time_windows"]:
                        continue  # a symmetric matrix: each cycle once
                    if closed and uses_closed_link(depot, order, closed):
                        continue
                    cost = route_cost(inst, depot, list(order))
                    if (best is None or cost < best[1] - 1e-9) and \
                            (not inst["time_windows"] or schedule(inst, depot, list(order)) is not None):
                        best = (order, cost)
                if best:
                    routes.append((depot, best[0], round(best[1], 1)))
    return routes


def set_partitioning_lp(inst: dict[str, Any], routes: list[tuple[str, tuple[str, ...], float]]) -> str:
    lines = ["\\ set partitioning over enumerated feasible routes", "Minimize", " obj:"]
    lines += [f"  + {cost:.1f} r{i}" for i, (_, _, cost) in enumerate(routes)]
    lines.append("Subject To")
    customers = [s["id"] for s in inst["sites"] if s["type"] == "customer"]
    for c in customers:
        lines.append(f" serve_{c}:")
        lines += [f"  + r{i}" for i, (_, stops, _) in enumerate(routes) if c in stops]
        lines.append("  = 1")
    for depot in sorted({v["depot"] for v in inst["fleet"]}):
        lines.append(f" fleet_{depot}:")
        lines += [f"  + r{i}" for i, (d, _, _) in enumerate(routes) if d == depot]
        lines.append(f"  <= {sum(v['depot'] == depot for v in inst['fleet'])}")
    lines.append("Binary")
    lines += [f" r{i}" for i in range(len(routes))]
    lines.append("End")
    return "\n".join(lines) + "\n"


def solve_lp_file(lp_text: str) -> tuple[str, float | None, dict[str, float]]:
    """Solve with the host's CBC (trusted model); (status, objective, nonzero variables)."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "m.lp").write_text(lp_text)
        subprocess.run(["cbc", "m.lp", "solve", "solu", "sol.txt"], cwd=tmp, capture_output=True, timeout=120,
                       check=False)
        return parse_solution((Path(tmp) / "sol.txt").read_text() if (Path(tmp) / "sol.txt").exists() else "")


def parse_solution(text: str) -> tuple[str, float | None, dict[str, float]]:
    lines = text.splitlines()
    if not lines:
        return "no solution", None, {}
    head = re.match(r"\s*(.*?)\s*-\s*objective value\s+([-+0-9.eE]+)", lines[0])
    status = head.group(1) if head else lines[0].strip()
    objective = float(head.group(2)) if head else None
    values = {}
    for line in lines[1:]:
        parts = line.split()
        if len(parts) >= 3 and parts[0].isdigit():
            values[parts[1]] = float(parts[2])
    return status, objective, values


def optimum(inst: dict[str, Any], closed: frozenset[frozenset[str]] = frozenset()
            ) -> tuple[float, list[tuple[str, tuple[str, ...], float]]] | None:
    routes = candidate_routes(inst, closed)
    status, objective, values = solve_lp_file(set_partitioning_lp(inst, routes))
    if not status.startswith("Optimal") or objective is None:
        return None
    chosen = [routes[int(name[1:])] for name, v in values.items() if v > 0.5]
    return objective, chosen


# ---------------------------------------------------------------------------------------------
# generate
# ---------------------------------------------------------------------------------------------


def write_inputs(input_dir: Path, inst: dict[str, Any]) -> None:
    tw = inst["time_windows"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Site_ID", "Type", "X_km", "Y_km", "Demand_Pallets",
                *(["TW_Open_Min", "TW_Close_Min", "Service_Min"] if tw else [])])
    for s in inst["sites"]:
        extra = [s.get("open", 0), s.get("close", int(DEPOT_CLOSE)), s.get("service", 0)] if tw else []
        w.writerow([s["id"], s["type"], s["x"], s["y"], s["demand"], *extra])
    (input_dir / "sites.csv").write_text(buf.getvalue())
    ids = [s["id"] for s in inst["sites"]]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Site_ID", *ids])
    for a in ids:
        w.writerow([a, *(f"{inst['dist'][a][b]:.1f}" for b in ids)])
    (input_dir / "distance_km.csv").write_text(buf.getvalue())
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Vehicle_ID", "Home_Depot", "Capacity_Pallets"])
    for v in inst["fleet"]:
        w.writerow([v["id"], v["depot"], v["capacity"]])
    (input_dir / "fleet.csv").write_text(buf.getvalue())


def solvable_instance(params: dict[str, Any], rng: random.Random, input_dir: Path,
                      late_windows: bool = False) -> dict[str, Any]:
    """Draw an instance with an optimum, write its inputs to ``input_dir``; the instance and its optimum."""
    for _ in range(40):
        inst = draw_instance(params, rng, late_windows)
        best = optimum(inst)
        if best is not None:
            break
    else:
        raise RuntimeError("no feasible instance drawn")
    write_inputs(input_dir, inst)
    objective, chosen = best
    return {"optimum_km": objective, "routes": [[d, list(s), c] for d, s, c in chosen], "instance": inst}


def road_closure(day: dict[str, Any]) -> dict[str, Any] | None:
    """The link of the day's optimal plan whose closure raises the optimum most, with the optimum that avoids
    it, or None when no closure raises it clearly (by MIN_CLOSURE_RISE of the optimum and at least 1 km)."""
    links = {frozenset(pair) for depot, stops, _ in day["routes"] for pair in itertools.pairwise((depot, *stops, depot))}
    best = None
    for link in sorted(links, key=sorted):
        result = optimum(day["instance"], frozenset({link}))
        if result is not None and (best is None or result[0] > best["optimum_km"]):
            best = {"link": sorted(link), "optimum_km": result[0]}
    rise = max(1.0, MIN_CLOSURE_RISE * day["optimum_km"])
    return best if best is not None and best["optimum_km"] - day["optimum_km"] >= rise else None


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    ref = solvable_instance(params, random.Random(params["seed"]), input_dir)
    (reference_dir / HIDDEN_DATA).mkdir()
    rng = random.Random(f"{params['seed']}/hidden")
    for _ in range(60):  # with time windows, a day whose depot closing binds on some chain of roads
        hidden = solvable_instance(params, rng, reference_dir / HIDDEN_DATA, late_windows=True)
        if (closure := road_closure(hidden)) and (not params["time_windows"] or depot_hours_probe(
                hidden["instance"], drivable_arcs(hidden["instance"]))):
            break
    else:
        raise RuntimeError("no hidden day with a road closure that changes its optimum (and a depot-hours probe)")
    ref["hidden_optimum_km"] = hidden["optimum_km"]
    ref["hidden_closure"] = closure
    (reference_dir / "reference.json").write_text(json.dumps(ref, indent=1))


# ---------------------------------------------------------------------------------------------
# grading
# ---------------------------------------------------------------------------------------------


def read_plan(g: Grading, rows: list[dict[str, str]]) -> dict[str, list[str]] | None:
    """Routes by vehicle in stop order, or None (a failed check) when the rows do not form a plan."""
    routes: dict[str, list[tuple[float, str]]] = {}
    for r in rows:
        seq = as_number(r.get("Stop_Sequence"))
        if seq is None:
            g.check("routes.csv rows are well formed", False, gate=True, found=r, reason="Stop_Sequence not a number")
            return None
        routes.setdefault(r.get("Vehicle_ID", ""), []).append((seq, r.get("Site_ID", "")))
    return {v: [site for _, site in sorted(stops)] for v, stops in routes.items()}


def grade_feasibility(g: Grading, inst: dict[str, Any], plan: dict[str, list[str]]) -> bool:
    fleet = {v["id"]: v for v in inst["fleet"]}
    customers = {s["id"]: s for s in inst["sites"] if s["type"] == "customer"}
    visits = [c for stops in plan.values() for c in stops]
    unknown_vehicles = sorted(set(plan) - set(fleet))
    missing = sorted(set(customers) - set(visits))
    repeated = sorted({c for c in visits if visits.count(c) > 1})
    strangers = sorted(set(visits) - set(customers))
    served = not (unknown_vehicles or missing or repeated or strangers)
    g.check("every customer served exactly once by a fleet vehicle", served, weight=2,
            found={"unknown vehicles": unknown_vehicles, "missing": missing, "repeated": repeated,
                   "not customers": strangers})
    overloaded = [v for v, stops in plan.items() if v in fleet
                  and sum(customers[c]["demand"] for c in stops if c in customers) > fleet[v]["capacity"]]
    g.check("vehicle capacities respected", not overloaded, found=overloaded,
            reason=f"overloaded: {overloaded}" if overloaded else "")
    feasible = served and not overloaded
    if inst["time_windows"]:
        late = [v for v, stops in plan.items() if v in fleet and schedule(inst, fleet[v]["depot"], stops) is None]
        g.check("time windows and depot hours respected", served and not late, weight=2, found=late,
                reason=f"routes that cannot meet their windows: {late}" if late else "")
        feasible = feasible and not late
    return feasible


def grade_model(g: Grading, ref: dict[str, Any]) -> None:
    name = next((n for n in ("model.lp", "model.mps") if g.output(n).is_file()), None)
    if name is None:
        g.check("submitted model re-solved by CBC reaches the optimum", False, weight=2, reason="no model file")
        return
    result = g.run_tool(["cbc", name, "sec", "45", "solve", "solu", "sol.txt"], files={name: g.output(name)},
                        timeout=75)
    sol = result.workdir / "sol.txt"
    status, objective, _ = parse_solution(sol.read_text(errors="replace") if sol.is_file() else "")
    ok = objective is not None and status.startswith("Optimal") and \
        abs(objective - ref["optimum_km"]) <= max(0.05, GAP * ref["optimum_km"])
    g.check("submitted model re-solved by CBC reaches the optimum", ok, weight=2,
            expected=ref["optimum_km"], found={"status": status, "objective": objective},
            reason="" if ok else "the model does not solve to the optimal distance")


def close_link(model: str, link: list[str]) -> str | None:
    """The LP text with a road closed (``arc_a_b + arc_b_a = 0`` added first under Subject To), or None
    when the text has no Subject To section."""
    a, b = link
    return add_constraints(model, [f" ale_road_closed: arc_{a}_{b} + arc_{b}_{a} = 0"])


def solves_to(result: Any, want: float) -> tuple[bool, dict[str, Any]]:
    """Whether the run left a CBC solution at ``want`` km (within the gap), and what it found."""
    sol = result.workdir / "sol.txt"
    status, objective, _ = parse_solution(sol.read_text(errors="replace") if sol.is_file() else "")
    ok = objective is not None and status.startswith("Optimal") and abs(objective - want) <= max(0.05, GAP * want)
    return ok, {"status": status, "objective": objective}


def read_day(folder: Path) -> dict[str, Any]:
    """A day's instance (sites, distances, fleet) read back from its input files."""
    with (folder / "sites.csv").open(newline="") as fh:
        sites = []
        for r in csv.DictReader(fh):
            site = {"id": r["Site_ID"], "type": r["Type"], "demand": int(r["Demand_Pallets"])}
            if "TW_Open_Min" in r:
                site.update(open=float(r["TW_Open_Min"]), close=float(r["TW_Close_Min"]), service=float(r["Service_Min"]))
            sites.append(site)
    with (folder / "distance_km.csv").open(newline="") as fh:
        dist = {r["Site_ID"]: {k: float(v) for k, v in r.items() if k != "Site_ID"} for r in csv.DictReader(fh)}
    with (folder / "fleet.csv").open(newline="") as fh:
        fleet = [{"id": r["Vehicle_ID"], "depot": r["Home_Depot"], "capacity": int(r["Capacity_Pallets"])}
                 for r in csv.DictReader(fh)]
    return {"sites": sites, "dist": dist, "fleet": fleet, "time_windows": "open" in sites[0]}


def fleet_probe(day: dict[str, Any]) -> list[str]:
    """Constraints sending one more vehicle out of the first depot than it has: every plan that keeps to the
    fleet is ruled out, so a model of the routing must become infeasible."""
    depot = sorted({v["depot"] for v in day["fleet"]})[0]
    fleet = sum(v["depot"] == depot for v in day["fleet"])
    customers = [s["id"] for s in day["sites"] if s["type"] == "customer"
                 and (not day["time_windows"] or schedule(day, depot, [s["id"]]) is not None)]
    return [f" ale_fleet_probe: {' + '.join(f'arc_{depot}_{c}' for c in customers)} >= {fleet + 1}"]


def drivable_arcs(day: dict[str, Any]) -> set[tuple[str, str]]:
    """Every ordered pair of sites (depots included) driven directly by some feasible single-vehicle route."""
    depots = sorted({v["depot"] for v in day["fleet"]})
    cap = max(v["capacity"] for v in day["fleet"])
    demand = {s["id"]: s["demand"] for s in day["sites"] if s["type"] == "customer"}
    drivable: set[tuple[str, str]] = set()
    for size in range(1, len(demand) + 1):
        subsets = [s for s in itertools.combinations(sorted(demand), size) if sum(demand[c] for c in s) <= cap]
        for subset, depot in itertools.product(subsets, depots):
            for order in itertools.permutations(subset):
                if schedule(day, depot, list(order)) is not None:
                    drivable.update(itertools.pairwise((depot, *order, depot)))
        if not subsets:
            break
    return drivable


def home_depot_probe(day: dict[str, Any]) -> list[str]:
    """Constraints driving a vehicle from the first depot to one customer and on to the second depot: a model that
    brings every vehicle back to its home depot becomes infeasible. The customer with the largest order is taken, so
    that the other vehicles can still carry the rest. Empty with one depot."""
    depots = sorted({v["depot"] for v in day["fleet"]})
    customers = [s for s in day["sites"] if s["type"] == "customer" and (not day["time_windows"] or all(
        schedule(day, depot, [s["id"]]) is not None for depot in depots))]
    if len(depots) < 2 or not customers:
        return []
    customer = max(customers, key=lambda s: s["demand"])["id"]
    return [f" ale_home_probe_1: arc_{depots[0]}_{customer} = 1", f" ale_home_probe_2: arc_{customer}_{depots[1]} = 1"]


def depot_hours_probe(day: dict[str, Any], drivable: set[tuple[str, str]], margin: float = 10.0,
                      longest: int = 4) -> list[str]:
    """Constraints forcing a chain of roads, each driven by some feasible route, that ends with the drive home:
    every window along it can be met, but no vehicle driving it can be back at the depot by closing (by
    ``margin`` minutes or more, leaving any depot at opening): a model that keeps the depot hours becomes
    infeasible. Empty without time windows or when the day has no such chain (the shortest is taken)."""
    if not day["time_windows"]:
        return []
    depots = sorted({v["depot"] for v in day["fleet"]})
    cap = max(v["capacity"] for v in day["fleet"])
    by_id = {s["id"]: s for s in day["sites"]}
    customers = sorted(s["id"] for s in day["sites"] if s["type"] == "customer")
    d = day["dist"]
    for size in range(2, longest + 1):
        for chain in itertools.permutations(customers, size):
            if sum(by_id[c]["demand"] for c in chain) > cap or not set(itertools.pairwise(chain)) <= drivable:
                continue
            t = min(max(d[depot][chain[0]] / SPEED_KMH * 60, by_id[chain[0]]["open"]) for depot in depots)
            for here, there in itertools.pairwise(chain):
                if t > by_id[here]["close"]:
                    break
                t = max(t + by_id[here]["service"] + d[here][there] / SPEED_KMH * 60, by_id[there]["open"])
            else:
                if t > by_id[chain[-1]]["close"]:
                    continue
                for depot in depots:
                    back = t + by_id[chain[-1]]["service"] + d[chain[-1]][depot] / SPEED_KMH * 60
                    if (chain[-1], depot) in drivable and back > DEPOT_CLOSE + margin:
                        return [f" ale_hours_probe_{k + 1}: arc_{a}_{b} = 1"
                                for k, (a, b) in enumerate(itertools.pairwise((*chain, depot)))]
    return []


def window_probe(day: dict[str, Any], drivable: set[tuple[str, str]], margin: float = 10.0) -> list[str]:
    """Constraints forcing a chain of two roads, a to b and b to c, each driven by some feasible route, that
    no vehicle can drive in a row and still reach c before its window closes (by ``margin`` minutes or more,
    leaving any depot at opening): a model that keeps the windows becomes infeasible. Empty without time
    windows or when the day has no such chain."""
    if not day["time_windows"]:
        return []
    depots = sorted({v["depot"] for v in day["fleet"]})
    cap = max(v["capacity"] for v in day["fleet"])
    by_id = {s["id"]: s for s in day["sites"]}
    demand = {s["id"]: s["demand"] for s in day["sites"] if s["type"] == "customer"}
    d = day["dist"]

    def arrive(t: float, here: str, there: str) -> float:
        return max(t + d[here][there] / SPEED_KMH * 60, by_id[there]["open"])

    for a, b, c in itertools.permutations(sorted(demand), 3):
        if demand[a] + demand[b] + demand[c] > cap or not {(a, b), (b, c)} <= drivable:
            continue
        at_c = min(arrive(arrive(arrive(0.0, depot, a) + by_id[a]["service"], a, b) + by_id[b]["service"], b, c)
                   for depot in depots)
        if at_c > by_id[c]["close"] + margin:
            return [f" ale_window_probe_1: arc_{a}_{b} = 1", f" ale_window_probe_2: arc_{b}_{c} = 1"]
    return []


def add_constraints(model: str, constraints: list[str]) -> str | None:
    """The LP text with ``constraints`` added first under Subject To, or None when it has no such section."""
    lines = model.splitlines()
    for k, line in enumerate(lines):
        if re.fullmatch(r"\s*(subject\s+to|such\s+that|st|s\.t\.)\s*", line, re.IGNORECASE):
            return "\n".join([*lines[:k + 1], *constraints, *lines[k + 1:]]) + "\n"
    return None


def infeasible(result: Any) -> tuple[bool, dict[str, Any]]:
    """Whether the run left a CBC answer proving the model infeasible, and what it found."""
    sol = result.workdir / "sol.txt"
    status, objective, _ = parse_solution(sol.read_text(errors="replace") if sol.is_file() else "")
    return "infeasible" in status.lower(), {"status": status, "objective": objective}


def grade_rules(g: Grading, model: Path, solved: bool) -> None:
    """The generated model must keep the day's rules that its optimum alone may not reveal: no more routes
    from a depot than its vehicles, (with time windows) no route that misses a window or the depot's closing, and
    (with several depots) no route ending at another depot than the one it leaves. Each is forced
    through the arc variables; a model of the routing becomes infeasible."""
    day = read_day(g.reference(HIDDEN_DATA))
    probes = [("the generated model sends no more vehicles out of a depot than it has (arc variables)", fleet_probe(day))]
    drivable = drivable_arcs(day) if day["time_windows"] else set()
    if window := window_probe(day, drivable):  # a day without such a chain of roads has nothing to force
        probes.append(("the generated model rejects a route that misses a time window (arc variables)", window))
    if hours := depot_hours_probe(day, drivable):
        probes.append(("the generated model brings every vehicle home by the depot's closing (arc variables)", hours))
    if home := home_depot_probe(day):
        probes.append(("the generated model brings every vehicle back to its home depot (arc variables)", home))
    for name, constraints in probes:
        text = add_constraints(model.read_text(errors="replace"), constraints) if model.is_file() else None
        if text is None or not solved:
            g.check(name, False, weight=2, reason="build_model.py wrote no model that solves to the day's optimum")
            continue
        run = g.run_tool(["cbc", "model.lp", "sec", "45", "solve", "solu", "sol.txt"], files={"model.lp": text},
                         timeout=75)
        ok, found = infeasible(run)
        g.check(name, ok, weight=2, expected="infeasible", found=found,
                reason="" if ok else "the model still finds a plan when the rule is forced to break")


def grade_generator(g: Grading, ref: dict[str, Any]) -> None:
    """build_model.py run on a hidden day's sites, distances and fleet must write a model that CBC
    solves to that day's optimum; and that model, with one road of that day's optimal plan closed
    through its arc variables, must solve to the best plan that avoids the road (a model that only
    encodes a plan found some other way has no alternative to fall back on)."""
    data = {f"data/{name}": g.reference(f"{HIDDEN_DATA}/{name}") for name in INPUT_FILES}
    result = g.run_tool(["bash", "-c", "python3 build_model.py data model.lp && cbc model.lp sec 45 solve solu sol.txt"],
                        files={**data, "build_model.py": g.output("build_model.py")}, timeout=150)
    ok, found = solves_to(result, ref["hidden_optimum_km"])
    g.check("build_model.py on a hidden day's data writes a model CBC solves to that day's optimum", ok, weight=3,
            expected=ref["hidden_optimum_km"], found=found,
            reason="" if ok else f"exit {result.returncode}{', timed out' if result.timed_out else ''}; "
                                 f"{result.stderr[-300:]}")
    closure = ref["hidden_closure"]
    name = "the generated model, with a road of the optimal plan closed (arc variables), finds the best plan avoiding it"
    model = result.workdir / "model.lp"
    grade_rules(g, model, ok)
    closed = close_link(model.read_text(errors="replace"), closure["link"]) if model.is_file() else None
    if closed is None:
        g.check(name, False, weight=3, reason="build_model.py wrote no LP model with a Subject To section")
        return
    rerun = g.run_tool(["cbc", "model.lp", "sec", "45", "solve", "solu", "sol.txt"], files={"model.lp": closed},
                       timeout=75)
    ok, found = solves_to(rerun, closure["optimum_km"])
    g.check(name, ok, weight=3, expected={"closed": closure["link"], "optimum_km": closure["optimum_km"]}, found=found,
            reason="" if ok else "the model does not reroute around the closed road to the best plan avoiding it")


def grade_summary(g: Grading, summary: Any, plan: dict[str, list[str]]) -> None:
    """summary.json's vehicles used, solver and status agree with the plan and a CBC optimum."""
    claims = summary if isinstance(summary, dict) else {}
    used = sum(1 for stops in plan.values() if stops)
    status = str(claims.get("status", "")).lower()
    wrong = {name: claims.get(name) for name, ok in (
        ("vehicles_used", as_number(claims.get("vehicles_used")) == used),
        ("solver", "cbc" in str(claims.get("solver", "")).lower()),
        ("status", re.search(r"\boptimal\b", status) and not re.search(r"\b(not|non|sub|near)[- ]?optimal", status)),
    ) if not ok}
    g.check("summary.json: vehicles used, solver and status agree with the plan and a CBC optimum", not wrong,
            expected={"vehicles_used": used, "solver": "cbc", "status": "Optimal"}, found=wrong or None)


def grade(g: Grading) -> None:
    if not g.require_files("routes.csv", "summary.json", "build_model.py"):
        return
    if not g.check("model file present (model.lp or model.mps)",
                   g.output("model.lp").is_file() or g.output("model.mps").is_file(), gate=True):
        return
    ref = g.reference_json("reference.json")
    inst = ref["instance"]
    rows = g.read_csv("routes.csv", required_columns=["Vehicle_ID", "Stop_Sequence", "Site_ID"])
    summary = g.read_json("summary.json")
    if rows is None or summary is None:
        return
    plan = read_plan(g, rows)
    if plan is None:
        return
    feasible = grade_feasibility(g, inst, plan)
    fleet = {v["id"]: v["depot"] for v in inst["fleet"]}
    known = inst["dist"]
    recomputed = sum(route_cost(inst, fleet[v], stops) for v, stops in plan.items()
                     if v in fleet and all(s in known for s in stops))
    reported = summary.get("total_distance_km") if isinstance(summary, dict) else None
    g.number("reported total distance equals the plan's distance from the matrix", reported, recomputed, abs_tol=0.05)
    grade_summary(g, summary, plan)
    gap_ok = feasible and recomputed <= ref["optimum_km"] * (1 + GAP) + 0.05
    g.check("plan distance within 0.5% of the optimum", gap_ok, weight=3, expected=ref["optimum_km"],
            found=round(recomputed, 2), reason="" if gap_ok else "infeasible plan" if not feasible else
            f"gap {100 * (recomputed / ref['optimum_km'] - 1):.2f}%")
    grade_model(g, ref)
    grade_generator(g, ref)
