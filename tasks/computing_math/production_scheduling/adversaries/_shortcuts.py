#!/usr/bin/env python3
"""Near-miss shortcuts for the lot-sizing plan, chosen by the name this file runs under. All solve
the right MILP for this week's data (so plan and summary are right); they cut a corner on the model:

fixed_optimum_lp: model.lp and the generator's output are a one-variable LP fixed at the optimum.
frozen_plan_model: the generator writes a model with every production and setup variable fixed at
  this week's optimal plan, whatever data it is given.
lp_relaxation: setups are relaxed to continuous [0, 1] variables in the delivered generator and model
  (the plan itself comes from the exact MILP).
overtime_unlimited: the delivered generator and model leave out the weekly overtime limit (overtime is
  taken to be held in check by its price alone).
priced_overtime_uncapped: the delivered generator and model keep the overtime limit only on lines without an
  overtime rate (no overtime there); a line with a rate buys as many hours as it likes. On a plant where no
  line has a rate that would be the right model, so there the limit is left out everywhere, as above.
"""

import csv
import json
import os
import sys
from pathlib import Path

import pulp

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
MODE = Path(sys.argv[0]).name.split(".")[0]


def table(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(newline="") as fh:
        return list(csv.DictReader(fh))


def milp(folder: Path, relax: bool = False, fixed: dict[str, float] | None = None, overtime_open: bool = False,
         priced_overtime_open: bool = False):
    """The lot-sizing model; setups continuous when ``relax``; variables fixed at ``fixed`` values; no overtime
    limit when ``overtime_open``, or on the lines with an overtime rate when ``priced_overtime_open``."""
    prod = table(folder, "products.csv")
    dem = {(r["product"], int(r["week"])): float(r["demand_t"]) for r in table(folder, "demand.csv")}
    weeks = sorted({w for _, w in dem})
    route = {(r["line"], r["product"]): {k: float(v) for k, v in r.items() if k not in ("line", "product")}
             for r in table(folder, "routings.csv")}
    otc = {r["line"]: float(r["overtime_cost_per_hour"]) for r in table(folder, "lines.csv")}
    cap = {(r["line"], int(r["week"])): (float(r["regular_hours"]), float(r["max_overtime_hours"]))
           for r in table(folder, "capacity.csv")}
    backlog = "backlog_cost_per_t_week" in prod[0]
    m = pulp.LpProblem("plan", pulp.LpMinimize)
    x = {(a, p, w): pulp.LpVariable(f"x_{a}_{p}_{w}", 0) for a, p in route for w in weeks}
    y = {(a, p, w): pulp.LpVariable(f"y_{a}_{p}_{w}", 0, 1, cat="Continuous" if relax else "Binary")
         for a, p in route for w in weeks}
    priced = {a for a, rate in otc.items() if rate > 0}
    if overtime_open or (priced_overtime_open and not priced):
        uncapped = set(otc)
    else:
        uncapped = priced if priced_overtime_open else set()
    ot = {(a, w): pulp.LpVariable(f"o_{a}_{w}", 0, None if a in uncapped else cap[a, w][1])
          for a in otc for w in weeks}
    inv = {(r["product"], w): pulp.LpVariable(f"i_{r['product']}_{w}", 0) for r in prod for w in weeks}
    bk = {(r["product"], w): pulp.LpVariable(f"b_{r['product']}_{w}", 0, None if backlog and w != weeks[-1] else 0)
          for r in prod for w in weeks}
    m += (pulp.lpSum(route[a, p]["setup_cost"] * y[a, p, w] + route[a, p]["run_cost_per_t"] * x[a, p, w]
                     for a, p in route for w in weeks)
          + pulp.lpSum(float(r["holding_cost_per_t_week"]) * inv[r["product"], w]
                       + float(r.get("backlog_cost_per_t_week") or 0) * bk[r["product"], w] for r in prod for w in weeks)
          + pulp.lpSum(otc[a] * ot[a, w] for a in otc for w in weeks))
    for (a, w), (reg, _) in cap.items():
        m += pulp.lpSum(route[b, p]["run_hours_per_t"] * x[b, p, w] + route[b, p]["setup_hours"] * y[b, p, w]
                        for b, p in route if b == a) <= reg + ot[a, w]
    total = sum(dem.values())
    for r in prod:
        p = r["product"]
        for w in weeks:
            prev = float(r["initial_inventory_t"]) if w == weeks[0] else inv[p, w - 1] - bk[p, w - 1]
            m += prev + pulp.lpSum(x[a, q, w] for a, q in route if q == p) - dem[p, w] == inv[p, w] - bk[p, w]
            for a, q in route:
                if q == p:
                    m += x[a, p, w] <= total * y[a, p, w]
    for name, value in (fixed or {}).items():
        line, product, week = name.split("|")
        if (line, product, int(week)) in x:
            x[line, product, int(week)].lowBound = x[line, product, int(week)].upBound = value
    return m, x


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    model, x = milp(IN)
    model.solve(pulp.COIN_CMD(path="/usr/bin/cbc", msg=False))
    plan = {k: round(v.value() or 0.0, 4) for k, v in x.items()}
    me = Path(__file__).resolve()
    generator = OUT / "build_model.py"
    if MODE == "fixed_optimum_lp":
        lp = f"Minimize\n obj: cost\nSubject To\n c1: cost = {pulp.value(model.objective)}\nEnd\n"
        (OUT / "model.lp").write_text(lp)
        generator.write_text(f"import sys\nopen(sys.argv[2], 'w').write({lp!r})\n")
    else:
        fixed = {f"{a}|{p}|{w}": q for (a, p, w), q in plan.items()} if MODE == "frozen_plan_model" else None
        relax = MODE == "lp_relaxation"
        open_ot = MODE == "overtime_unlimited"
        open_priced = MODE == "priced_overtime_uncapped"
        source = me.read_text().rsplit("if __name__ ==", 1)[0]
        generator.write_text(source + "if __name__ == \"__main__\":\n    milp(Path(sys.argv[1]), relax="
                             f"{relax}, fixed=json.loads({json.dumps(json.dumps(fixed))}), overtime_open={open_ot}, "
                             f"priced_overtime_open={open_priced})[0]"
                             ".writeLP(sys.argv[2])\n")
        milp(IN, relax=relax, fixed=fixed, overtime_open=open_ot, priced_overtime_open=open_priced)[0].writeLP(str(OUT / "model.lp"))
    costs = {"setup": 0.0, "production": 0.0, "holding": 0.0, "backlog": 0.0, "overtime": 0.0}
    route = {(r["line"], r["product"]): r for r in table(IN, "routings.csv")}
    otc = {r["line"]: float(r["overtime_cost_per_hour"]) for r in table(IN, "lines.csv")}
    cap = {(r["line"], int(r["week"])): float(r["regular_hours"]) for r in table(IN, "capacity.csv")}
    for (a, w), reg in cap.items():
        hours = 0.0
        for (b, p), r in route.items():
            q = plan.get((b, p, w), 0.0) if b == a else 0.0
            if q > 1e-6:
                hours += float(r["run_hours_per_t"]) * q + float(r["setup_hours"])
                costs["setup"] += float(r["setup_cost"])
                costs["production"] += float(r["run_cost_per_t"]) * q
        costs["overtime"] += otc[a] * max(0.0, hours - reg)
    dem = {(r["product"], int(r["week"])): float(r["demand_t"]) for r in table(IN, "demand.csv")}
    for r in table(IN, "products.csv"):
        net = float(r["initial_inventory_t"])
        for w in sorted({w for _, w in dem}):
            net += sum(q for (a, p, t), q in plan.items() if p == r["product"] and t == w) - dem[r["product"], w]
            costs["holding"] += float(r["holding_cost_per_t_week"]) * max(net, 0.0)
            costs["backlog"] += float(r.get("backlog_cost_per_t_week") or 0) * max(-net, 0.0)
    with (OUT / "plan.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["week", "line", "product", "quantity_t"])
        w.writerows([t, a, p, q] for (a, p, t), q in sorted(plan.items(), key=lambda kv: kv[0][::-1]) if q > 1e-6)
    costs = {k: round(v, 2) for k, v in costs.items()}
    (OUT / "summary.json").write_text(json.dumps({"status": "Optimal", "objective": round(sum(costs.values()), 2),
                                                  "costs": costs}))


if __name__ == "__main__":
    main()
