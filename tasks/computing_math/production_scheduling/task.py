"""Capacitated multi-week lot sizing for a coatings plant, solved as a MILP with CBC.

Workflow: the planner receives the plant's master data as CSV files (products, weekly demand,
line capacities, routings with run rates, setup times and costs) and a planning policy
(backlogging allowed or not, overtime allowed or not, line eligibility). They formulate the
capacitated lot-sizing MILP, write it as a CPLEX-LP file, solve it with CBC, and hand over the
model, the production plan (tonnes per week, line and product) and a JSON cost summary.

Generation: seeded demand, routings and capacities; the reference optimum is found by writing
the same MILP as an LP file and solving it with the host's ``cbc`` to proven optimality.

A second instance of the same scenario (other seed) goes to the reference with its optimum. It is
drawn so that every planning rule binds (lifting the overtime limit lowers its optimum by more
than 0.1 %, lifted on every line and on the lines with overtime alone; a busier season is drawn where it
would not): a generator that leaves a rule out cannot reach it by luck of the data.

Grade: gates on the four files and their schema; the submitted model.lp is re-solved with
``cbc`` in a fresh sandbox and its optimum must equal the true optimum; the submitted model
generator build_model.py is run on the hidden instance's master data in a fresh sandbox and the
model it writes, solved with ``cbc``, must reach that instance's optimum; the plan is checked
for feasibility against the input data (routings, capacity with overtime limits, demand,
backlog policy); its cost is recomputed from the data and must match the summary (total and
each cost component) and lie within 0.1 % of the optimum; the summary must report an optimal
status.
"""
# ALE-CANARY-5fb4b728-27a4-4e5d-a794-ae84f9a013cf

import csv
import json
import math
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, is_close, write_csv

HIDDEN_DATA = "hidden_data"
INPUT_FILES = ("products.csv", "demand.csv", "routings.csv", "lines.csv", "capacity.csv")
COST_KEYS = ("setup", "production", "holding", "backlog", "overtime")
QTY_TOL = 0.05  # tonnes: plans rounded to two decimals must still count as feasible
HOURS_TOL = 0.05

SCENARIOS: dict[str, dict[str, Any]] = {
    "single_line": {"lines": 1, "products": 6, "weeks": 8, "backlog": False, "overtime": False, "util": 0.8},
    "backlog_overtime": {"lines": 1, "products": 5, "weeks": 8, "backlog": True, "overtime": True, "util": 0.9},
    "parallel_lines": {"lines": 3, "products": 6, "weeks": 6, "backlog": False, "overtime": True, "util": 0.84},
}
PRODUCT_NAMES = ("EP-210", "EP-340", "PU-115", "PU-520", "AK-060", "AK-075", "WB-900", "WB-930")
LINE_NAMES = ("L1", "L2", "L3")


@dataclass
class PlanData:
    """The planning problem as the input files state it."""

    products: list[str]
    lines: list[str]
    weeks: list[int]
    backlog_allowed: bool
    holding: dict[str, float]
    backlog_cost: dict[str, float]
    initial: dict[str, float]
    demand: dict[tuple[str, int], float]
    run_hours: dict[tuple[str, str], float] = field(default_factory=dict)  # (line, product)
    setup_hours: dict[tuple[str, str], float] = field(default_factory=dict)
    setup_cost: dict[tuple[str, str], float] = field(default_factory=dict)
    run_cost: dict[tuple[str, str], float] = field(default_factory=dict)
    regular_hours: dict[tuple[str, int], float] = field(default_factory=dict)
    max_overtime: dict[tuple[str, int], float] = field(default_factory=dict)
    overtime_cost: dict[str, float] = field(default_factory=dict)

    @property
    def routes(self) -> list[tuple[str, str]]:
        return sorted(self.run_hours)


# -- generation ---------------------------------------------------------------------------------


def _r(value: float, step: float) -> float:
    return float(round(round(value / step) * step, 4))


def _draw(params: dict[str, Any], rng: np.random.Generator) -> PlanData:
    sc = SCENARIOS[params["scenario"]]
    products = list(PRODUCT_NAMES[: sc["products"]])
    lines = list(LINE_NAMES[: sc["lines"]])
    weeks = list(range(1, sc["weeks"] + 1))
    holding = {p: _r(rng.uniform(1.5, 5.0), 0.1) for p in products}
    data = PlanData(
        products=products, lines=lines, weeks=weeks, backlog_allowed=sc["backlog"],
        holding=holding,
        backlog_cost={p: _r(holding[p] * rng.uniform(6.0, 10.0), 0.1) if sc["backlog"] else 0.0 for p in products},
        initial={p: _r(rng.uniform(0, 25), 0.5) if rng.random() < 0.5 else 0.0 for p in products},
        demand={},
    )
    season = 1.0 + 0.25 * np.sin(np.linspace(0, math.pi, len(weeks)))
    if sc["backlog"]:
        season[3:5] *= 1.6  # a promotion lifts demand in weeks 4-5
    for p in products:
        base = rng.uniform(15, 60)
        for i, t in enumerate(weeks):
            lumpy = rng.random() < 0.15
            data.demand[p, t] = 0.0 if lumpy else _r(base * season[i] * rng.uniform(0.7, 1.3), 0.5)
    _draw_routes(data, rng, sc)
    _draw_capacity(data, rng, sc)
    return data


def _draw_routes(data: PlanData, rng: np.random.Generator, sc: dict[str, Any]) -> None:
    for i, p in enumerate(data.products):
        if len(data.lines) == 1:
            eligible = data.lines
        else:
            count = int(rng.choice([1, 2, 2, 3]))
            first = data.lines[i % len(data.lines)]
            others = [line for line in data.lines if line != first]
            eligible = [first, *list(rng.choice(others, size=count - 1, replace=False))]
        for line in eligible:
            speed = {"L1": 1.0, "L2": 1.25, "L3": 0.85}[line]
            data.run_hours[line, p] = _r(rng.uniform(0.35, 0.7) / speed, 0.01)
            data.setup_hours[line, p] = _r(rng.uniform(2, 6), 0.5)
            data.setup_cost[line, p] = _r(rng.uniform(400, 1600), 10)
            data.run_cost[line, p] = _r(rng.uniform(40, 90) * (1.1 if line == "L3" else 1.0), 0.5)
    for line in data.lines:
        allow = sc["overtime"] and line != "L3"
        data.overtime_cost[line] = _r(rng.uniform(55, 90), 5) if allow else 0.0


def _draw_capacity(data: PlanData, rng: np.random.Generator, sc: dict[str, Any]) -> None:
    load = 0.0
    for p in data.products:
        hours = np.mean([data.run_hours[r] for r in data.routes if r[1] == p])
        setup = np.mean([data.setup_hours[r] for r in data.routes if r[1] == p])
        load += np.mean([data.demand[p, t] for t in data.weeks]) * hours + 0.6 * setup
    per_line = load / sc["util"] / len(data.lines)
    maintenance = int(rng.integers(2, len(data.weeks)))
    for line in data.lines:
        for t in data.weeks:
            hours = _r(per_line * rng.uniform(0.9, 1.1), 4)
            if t == maintenance and line == data.lines[0]:
                hours = max(8.0, hours - 24)
            data.regular_hours[line, t] = hours
            data.max_overtime[line, t] = 16.0 if data.overtime_cost[line] > 0 else 0.0


def write_inputs(data: PlanData, input_dir: Path) -> None:
    """The plant's master data as the planner receives it."""
    header = ["product", "holding_cost_per_t_week", "initial_inventory_t"]
    if data.backlog_allowed:
        header.insert(2, "backlog_cost_per_t_week")
    rows = []
    for p in data.products:
        row: list[Any] = [p, data.holding[p], data.initial[p]]
        if data.backlog_allowed:
            row.insert(2, data.backlog_cost[p])
        rows.append(row)
    write_csv(input_dir / "products.csv", header, rows)
    write_csv(input_dir / "demand.csv", ["week", "product", "demand_t"],
               [[t, p, data.demand[p, t]] for t in data.weeks for p in data.products])
    write_csv(input_dir / "routings.csv",
               ["line", "product", "run_hours_per_t", "setup_hours", "setup_cost", "run_cost_per_t"],
               [[line, p, data.run_hours[line, p], data.setup_hours[line, p], data.setup_cost[line, p],
                 data.run_cost[line, p]] for line, p in data.routes])
    write_csv(input_dir / "lines.csv", ["line", "overtime_cost_per_hour"],
               [[line, data.overtime_cost[line]] for line in data.lines])
    write_csv(input_dir / "capacity.csv", ["line", "week", "regular_hours", "max_overtime_hours"],
               [[line, t, data.regular_hours[line, t], data.max_overtime[line, t]]
                for line in data.lines for t in data.weeks])


def read_inputs(input_dir: Path) -> PlanData:
    """Read the master data back from the input files (the grader judges against what the agent saw)."""

    def rows(name: str) -> list[dict[str, str]]:
        with (input_dir / name).open(newline="") as handle:
            return list(csv.DictReader(handle))

    prod = rows("products.csv")
    backlog = "backlog_cost_per_t_week" in prod[0]
    data = PlanData(
        products=[r["product"] for r in prod], lines=[r["line"] for r in rows("lines.csv")], weeks=[],
        backlog_allowed=backlog,
        holding={r["product"]: float(r["holding_cost_per_t_week"]) for r in prod},
        backlog_cost={r["product"]: float(r["backlog_cost_per_t_week"]) if backlog else 0.0 for r in prod},
        initial={r["product"]: float(r["initial_inventory_t"]) for r in prod},
        demand={(r["product"], int(r["week"])): float(r["demand_t"]) for r in rows("demand.csv")},
        overtime_cost={r["line"]: float(r["overtime_cost_per_hour"]) for r in rows("lines.csv")},
    )
    data.weeks = sorted({t for _, t in data.demand})
    for r in rows("routings.csv"):
        key = (r["line"], r["product"])
        data.run_hours[key] = float(r["run_hours_per_t"])
        data.setup_hours[key] = float(r["setup_hours"])
        data.setup_cost[key] = float(r["setup_cost"])
        data.run_cost[key] = float(r["run_cost_per_t"])
    for r in rows("capacity.csv"):
        data.regular_hours[r["line"], int(r["week"])] = float(r["regular_hours"])
        data.max_overtime[r["line"], int(r["week"])] = float(r["max_overtime_hours"])
    return data


# -- the reference MILP -------------------------------------------------------------------------


def _n(product: str) -> str:
    """A product code as an LP name fragment (the LP format reads '-' as an operator)."""
    return product.replace("-", "")


def _big_m(data: PlanData, line: str, p: str, t: int) -> float:
    hours = data.regular_hours[line, t] + data.max_overtime[line, t] - data.setup_hours[line, p]
    later = [w for w in data.weeks if data.backlog_allowed or w >= t]
    demand = sum(data.demand[p, w] for w in later)
    return round(max(0.0, min(hours / data.run_hours[line, p], demand)), 6)


def build_lp(data: PlanData) -> str:
    """The capacitated lot-sizing MILP in CPLEX-LP format."""
    obj: list[str] = []
    cons: list[str] = []
    bounds: list[str] = []
    binaries: list[str] = []
    for line, p in data.routes:
        for t in data.weeks:
            x, y = f"x_{line}_{_n(p)}_{t}", f"y_{line}_{_n(p)}_{t}"
            obj += [f"+ {data.run_cost[line, p]} {x}", f"+ {data.setup_cost[line, p]} {y}"]
            cons.append(f"link_{line}_{_n(p)}_{t}: {x} - {_big_m(data, line, p, t)} {y} <= 0")
            binaries.append(y)
    for line in data.lines:
        for t in data.weeks:
            terms = [f"+ {data.run_hours[line, p]} x_{line}_{_n(p)}_{t} + {data.setup_hours[line, p]} y_{line}_{_n(p)}_{t}"
                     for ln, p in data.routes if ln == line]
            ot = f"o_{line}_{t}"
            obj.append(f"+ {data.overtime_cost[line]} {ot}")
            bounds.append(f"0 <= {ot} <= {data.max_overtime[line, t]}")
            cons.append(f"cap_{line}_{t}: {' '.join(terms)} - {ot} <= {data.regular_hours[line, t]}")
    for p in data.products:
        for t in data.weeks:
            inv, back = f"i_{_n(p)}_{t}", f"b_{_n(p)}_{t}"
            obj.append(f"+ {data.holding[p]} {inv}")
            made = " ".join(f"+ x_{ln}_{_n(p)}_{t}" for ln, q in data.routes if q == p)
            prev = f"+ i_{_n(p)}_{t - 1} - b_{_n(p)}_{t - 1}" if t > data.weeks[0] else ""
            rhs = data.demand[p, t] - (data.initial[p] if t == data.weeks[0] else 0.0)
            cons.append(f"bal_{_n(p)}_{t}: {prev} {made} - {inv} + {back} = {round(rhs, 6)}")
            if data.backlog_allowed and t != data.weeks[-1]:
                obj.append(f"+ {data.backlog_cost[p]} {back}")
            else:
                bounds.append(f"{back} = 0")
    return "\n".join([
        "\\ capacitated lot sizing", "Minimize", "cost: " + " ".join(obj), "Subject To", *cons,
        "Bounds", *bounds, "Binaries", *binaries, "End", "",
    ])


def run_cbc(lp_text: str) -> tuple[str, float | None, dict[str, float]]:
    """Solve an LP-format model with the host's cbc: (status word, objective, variable values)."""
    with tempfile.TemporaryDirectory(prefix="ale-cbc-") as tmp:
        model, sol = Path(tmp) / "model.lp", Path(tmp) / "sol.txt"
        model.write_text(lp_text)
        subprocess.run(["cbc", str(model), "solve", "solu", str(sol)], capture_output=True, timeout=120, check=False)
        return parse_cbc_solution(sol.read_text() if sol.is_file() else "")


def parse_cbc_solution(text: str) -> tuple[str, float | None, dict[str, float]]:
    """Read cbc's ``solu`` file: its first line holds the status and objective, then one line per variable."""
    lines = text.splitlines()
    if not lines:
        return "missing", None, {}
    head = lines[0]
    status = head.split()[0] if head.split() else "missing"
    objective = None
    if "objective value" in head:
        objective = _float(head.rsplit("objective value", 1)[1])
    values = {}
    for row in lines[1:]:
        parts = row.replace("**", " ").split()
        if len(parts) >= 3:
            values[parts[1]] = _float(parts[2]) or 0.0
    return status, objective, values


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


# -- evaluating a plan --------------------------------------------------------------------------


def evaluate_plan(data: PlanData, qty: dict[tuple[str, str, int], float]) -> tuple[dict[str, float], list[str]]:
    """Cost components of a plan (line, product, week) -> tonnes, and the rules it breaks."""
    problems: list[str] = []
    costs = dict.fromkeys(COST_KEYS, 0.0)
    for (line, p, t), q in qty.items():
        if (line, p) not in data.run_hours:
            problems.append(f"{p} is not routed on {line}")
        elif t not in data.weeks:
            problems.append(f"week {t} is outside the horizon")
        elif q < -QTY_TOL:
            problems.append(f"negative quantity {q} for {p} on {line} in week {t}")
    for line in data.lines:
        for t in data.weeks:
            hours = 0.0
            for ln, p in data.routes:
                q = qty.get((ln, p, t), 0.0)
                if ln == line and q > 1e-6:
                    hours += data.run_hours[ln, p] * q + data.setup_hours[ln, p]
                    costs["setup"] += data.setup_cost[ln, p]
                    costs["production"] += data.run_cost[ln, p] * q
            overtime = max(0.0, hours - data.regular_hours[line, t])
            if overtime > data.max_overtime[line, t] + HOURS_TOL:
                problems.append(f"{line} week {t} needs {hours:.2f} h, above regular plus overtime")
            costs["overtime"] += data.overtime_cost[line] * overtime
    for p in data.products:
        net = data.initial[p]
        for t in data.weeks:
            net += sum(qty.get((ln, p, t), 0.0) for ln in data.lines) - data.demand[p, t]
            short = net < -QTY_TOL
            if short and (not data.backlog_allowed or t == data.weeks[-1]):
                problems.append(f"{p} short by {-net:.2f} t at the end of week {t}")
            costs["holding"] += data.holding[p] * max(net, 0.0)
            costs["backlog"] += data.backlog_cost[p] * max(-net, 0.0) if t != data.weeks[-1] else 0.0
    return {k: round(v, 4) for k, v in costs.items()}, problems


def _plan_from_values(data: PlanData, values: dict[str, float]) -> dict[tuple[str, str, int], float]:
    return {(line, p, t): values.get(f"x_{line}_{_n(p)}_{t}", 0.0) for line, p in data.routes for t in data.weeks}


def _overtime_limit_binds(data: PlanData, objective: float) -> bool:
    """Whether lifting the weekly overtime limit lowers the optimum by more than 0.1 %, ten times the
    tolerance of the generator check, so that a model which leaves the limit out misses the optimum: lifted
    on every line, and lifted only on the lines that may work overtime (a model that caps overtime only where
    there is none). (The other rules bind on every drawn instance; the overtime limit is slack unless capacity
    is tight.)"""
    overtime_lines = {line for (line, _), hours in data.max_overtime.items() if hours > 0}
    lifts = [dict.fromkeys(data.max_overtime, 1e4)]
    where_allowed = {key: 1e4 if key[0] in overtime_lines else hours for key, hours in data.max_overtime.items()}
    if where_allowed not in (data.max_overtime, lifts[0]):
        lifts.append(where_allowed)
    for max_overtime in lifts:
        status, lower, _ = run_cbc(build_lp(replace(data, max_overtime=max_overtime)))
        if status == "Optimal" and lower is not None and objective - lower <= 1e-3 * objective:
            return False
    return True


def _instance(params: dict[str, Any], rng: np.random.Generator, input_dir: Path,
              binding: bool = False) -> dict[str, Any]:
    """Draw a solvable instance, write its master data to ``input_dir``; its optimum and costs. With
    ``binding`` the instance is one where every planning rule moves the optimum: demand is raised in
    steps (a busier season) until the overtime limit binds."""
    for _ in range(50):
        drawn = _draw(params, rng)
        for pressure in (1.0, 1.15, 1.3) if binding else (1.0,):
            data = replace(drawn, demand={k: _r(v * pressure, 0.5) for k, v in drawn.demand.items()})
            status, objective, values = run_cbc(build_lp(data))
            if status != "Optimal" or objective is None:
                break
            if not binding or _overtime_limit_binds(data, objective):
                break
        else:
            continue
        if status == "Optimal" and objective is not None:
            break
    else:
        raise RuntimeError("no feasible planning instance drawn")
    write_inputs(data, input_dir)
    costs, problems = evaluate_plan(data, _plan_from_values(data, values))
    assert status == "Optimal" and objective is not None and not problems, (status, problems)
    return {"status": status, "objective": objective, "costs": costs}


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    reference = _instance(params, np.random.default_rng(params["seed"]), input_dir)
    (reference_dir / HIDDEN_DATA).mkdir()
    hidden = _instance(params, np.random.default_rng([params["seed"], 1]), reference_dir / HIDDEN_DATA,
                       binding=True)
    (reference_dir / "optimum.json").write_text(json.dumps({**reference, "hidden": hidden}, indent=2))


# -- grading ------------------------------------------------------------------------------------


def _read_plan(g: Grading, data: PlanData) -> dict[tuple[str, str, int], float] | None:
    rows = g.read_csv("plan.csv", required_columns=["week", "line", "product", "quantity_t"])
    if rows is None:
        return None
    qty: dict[tuple[str, str, int], float] = {}
    bad = []
    for i, row in enumerate(rows, start=2):
        week, q = _float(row["week"]), _float(row["quantity_t"])
        if week is None or q is None or week != int(week):
            bad.append(f"line {i}")
            continue
        key = (row["line"], row["product"], int(week))
        qty[key] = qty.get(key, 0.0) + q
    reason = f"unparsable: {', '.join(bad[:5])}" if bad else ""
    if not g.check("plan.csv rows are well formed", not bad, gate=True, reason=reason):
        return None
    return qty


def _check_model(g: Grading, optimum: float) -> None:
    result = g.run_tool(["cbc", "model.lp", "solve", "solu", "sol.txt"], {"model.lp": g.output("model.lp")},
                        timeout=90)
    sol = result.workdir / "sol.txt"
    status, objective, _ = parse_cbc_solution(sol.read_text(errors="replace") if sol.is_file() else "")
    if status != "Optimal" or objective is None:
        reason = f"cbc status {status!r} (exit {result.returncode}{', timed out' if result.timed_out else ''})"
        g.check("model.lp re-solved by cbc reaches the true optimum", False, weight=2,
                expected=optimum, found=status, reason=reason)
        return
    g.number("model.lp re-solved by cbc reaches the true optimum", objective, optimum,
             rel_tol=1e-4, abs_tol=0.5, weight=2)


def _check_generator(g: Grading, hidden_optimum: float) -> None:
    """build_model.py run on a hidden instance's master data must write a model whose optimum is that
    instance's optimum."""
    data = {f"data/{name}": g.reference(f"{HIDDEN_DATA}/{name}") for name in INPUT_FILES}
    result = g.run_tool(["bash", "-c", "python3 build_model.py data model.lp && cbc model.lp solve solu sol.txt"],
                        {**data, "build_model.py": g.output("build_model.py")}, timeout=150)
    sol = result.workdir / "sol.txt"
    status, objective, _ = parse_cbc_solution(sol.read_text(errors="replace") if sol.is_file() else "")
    name = "build_model.py on a hidden instance's master data writes a model cbc solves to that instance's optimum"
    if status != "Optimal" or objective is None:
        g.check(name, False, weight=3, expected=hidden_optimum, found=status,
                reason=f"cbc status {status!r} (exit {result.returncode}{', timed out' if result.timed_out else ''}) "
                       f"{result.stderr[-300:]}")
        return
    g.number(name, objective, hidden_optimum, rel_tol=1e-4, abs_tol=0.5, weight=3)


def grade(g: Grading) -> None:
    if not g.require_files("build_model.py", "model.lp", "plan.csv", "summary.json"):
        return
    data = read_inputs(g.input_dir)
    reference = g.reference_json("optimum.json")
    optimum = reference["objective"]
    summary = g.read_json("summary.json")
    qty = _read_plan(g, data)
    if not isinstance(summary, dict):
        g.check("summary.json is an object", False, gate=True, found=type(summary).__name__)
        return
    if qty is None:
        return
    _check_model(g, optimum)
    _check_generator(g, reference["hidden"]["objective"])
    costs, problems = evaluate_plan(data, qty)
    g.check("plan is feasible (routings, capacity, overtime, demand and backlog policy)", not problems,
            weight=2, reason="; ".join(problems[:6]))
    total = round(sum(costs.values()), 4)
    g.number("summary objective equals the plan's recomputed cost", summary.get("objective"), total,
             rel_tol=1e-5, abs_tol=0.5)
    reported = summary.get("costs") if isinstance(summary.get("costs"), dict) else {}
    wrong = [k for k in COST_KEYS if not is_close(reported.get(k), costs[k], rel_tol=1e-5, abs_tol=0.5)]
    g.check("summary cost components match the plan", not wrong, expected=costs,
            found=reported, reason=f"wrong or missing: {', '.join(wrong)}" if wrong else "")
    ok = not problems and math.isclose(total, optimum, rel_tol=1e-3, abs_tol=0.5)
    g.check("plan cost within 0.1 % of the optimum", ok, weight=3, expected=optimum, found=total,
            reason="" if ok else ("plan infeasible" if problems else f"gap {100 * (total - optimum) / optimum:.3f} %"))
    g.check("summary reports an optimal solve", str(summary.get("status", "")).strip().lower() == "optimal",
            found=summary.get("status"))
