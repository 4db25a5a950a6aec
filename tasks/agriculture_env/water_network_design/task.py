"""Water distribution network reinforcement for growth, with EPANET through WNTR.

ALE-CANARY-4043e03d-64a8-44fa-8f8a-43fc097114c1

Workflow: a municipal water engineer gets the town's EPANET model, the utility's design standard for the
design year (demand growth, minimum peak-hour pressure, fire flows with a residual pressure at named
hydrants on a max day, maximum velocity, tank recovery over a 72 h extended period) and the unit costs of
replacement mains. They diagnose the existing network's deficits at design-year demands, choose the
least-cost set of pipe replacements that meets the whole standard, verify it by simulation and sign a
memo with the cost, the budget verdict and the criterion that governs the design.

generate() draws the network (looped gravity grid with a tank, branched pumped zone, or a looped grid
whose problem is fire flow) and its standard, then sizes the standard to the network from a hydraulic survey
(survey.py, EPANET toolkit; townnet.size_growth and size_hydrants): the design growth reaches past the
point where the tank stops recovering (and, but for fire_governed, peak-hour pressure fails) and stays short
of what replacing every main at the largest size could serve, and the first hydrant test is the critical
far hydrant at the fire-flow class above what it has today (and within what the largest mains give), so the
fire-flow, tank-recovery and peak-pressure deficits exist by construction. It runs the oracle's greedy design
engine (solution/design.py, EPANET toolkit) for the reference cost, and evaluates the existing network with
the grader's own simulation script (evaluate_network.py, WNTR's EPANET simulator) for the deficit table; a
draw whose deficits the designer does not confirm, or that no pipe replacements cure, is drawn again (a
safety net, ATTEMPTS). grade() re-simulates the agent's design (the original network with the delivered
pipes' diameters and roughness, at design-year demands), checks the delivered file is the original one with
only the scheduled replacements (options, patterns, curves, valves, controls and pumps included), and that it
meets every criterion,
costs at most LEAST_COST_MARGIN over the reference, and that the memo's figures and verdicts follow.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, as_number, judge, run_tool_script

from . import townnet

NETWORK, STANDARD, CATALOGUE = "network.inp", "design_standard.json", "pipe_catalogue.csv"
DEFICITS, UPGRADED, SCHEDULE, MEMO = "deficits_existing.csv", "upgraded_network.inp", "upgrade_schedule.csv", "design_memo.json"
REFERENCE = "reference.json"
HERE = Path(__file__).parent
EVALUATOR = HERE / "evaluate_network.py"
DESIGNER = HERE / "solution" / "design.py"
SURVEY = HERE / "survey.py"
# how far past a limit the sizing puts the existing network: peak-hour pressure (m), tank end-of-day level
# (m), fire-test residual pressure (m); each well beyond NEAR_LIMIT, so every sized breach must be reported
SURVEY_MARGINS = (0.5, 0.1, 2.0)
CANARY = "ALE-CANARY-4043e03d-64a8-44fa-8f8a-43fc097114c1"
CRITERIA = ("peak_pressure", "fire_flow", "velocity", "tank_recovery")
LEAST_COST_MARGIN = 0.10
NEAR_LIMIT = 0.05
VALUE_TOL = {"peak_pressure": 0.1, "fire_flow": 0.1, "velocity": 0.01, "tank_recovery": 0.05}
MARGIN_TIE = 0.02
FIGURE_TOL = {"min_peak_pressure_m": 0.1, "min_fire_residual_m": 0.1, "max_velocity_m_s": 0.01,
              "tank_lowest_midnight_level_m": 0.05}
ATTEMPTS = 30


def _catalogue_csv() -> str:
    rows = [f"DN{d},{d},{i:.1f},{c:.2f},DI K9 cement-mortar lined, installed incl. reinstatement"
            for d, i, c in townnet.catalogue_rows()]
    return "\n".join(["# Replacement mains unit rates, 2025 schedule of rates (ex. GST)",
                      "nominal,diameter_mm,internal_diameter_mm,unit_cost_per_m,description", *rows, ""])


def _designer_catalogue(text: str) -> str:
    """The catalogue in the design engine's column order (diameter, internal diameter, unit cost)."""
    lines = [line.split(",") for line in text.splitlines() if line and not line.startswith("#")][1:]
    return "\n".join(["d,id,cost", *(f"{r[1]},{r[2]},{r[3]}" for r in lines)]) + "\n"


def existing_deficits(evaluation: dict[str, Any], standard: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """'criterion:element' -> (value, limit) for every breach of the standard in a simulation report."""
    eps, out = evaluation["eps"], {}
    limit = standard["min_pressure_m"]
    out.update({f"peak_pressure:{j}": (p, limit) for j, p in eps["min_pressure_m"].items() if p < limit})
    vmax = standard["max_velocity_m_s"]
    out.update({f"velocity:{p}": (v, vmax) for p, v in eps["max_velocity_m_s"].items() if v > vmax})
    residual = standard["fire_flow"]["min_residual_pressure_m"]
    out.update({f"fire_flow:{h}": (f["lowest_m"], residual) for h, f in evaluation["fire"].items()
                if f["lowest_m"] < residual})
    for t, tank in eps["tanks"].items():
        if min(tank["midnight_m"]) < tank["initial_m"]:
            out[f"tank_recovery:{t}"] = (min(tank["midnight_m"]), tank["initial_m"])
    return out


def margins(evaluation: dict[str, Any], standard: dict[str, Any]) -> dict[str, float]:
    """Each criterion's normalised margin in a simulated design (negative when breached)."""
    eps = evaluation["eps"]
    residual = standard["fire_flow"]["min_residual_pressure_m"]
    tank_margin = min((min(t["midnight_m"]) - t["initial_m"]) / t["initial_m"] for t in eps["tanks"].values())
    return {"peak_pressure": (min(eps["min_pressure_m"].values()) - standard["min_pressure_m"]) / standard["min_pressure_m"],
            "fire_flow": (min(f["lowest_m"] for f in evaluation["fire"].values()) - residual) / residual,
            "velocity": (standard["max_velocity_m_s"] - max(eps["max_velocity_m_s"].values())) / standard["max_velocity_m_s"],
            "tank_recovery": tank_margin}


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    """Write the network, the standard and the catalogue; the reference holds the existing network's
    simulation, its deficits and the reference design's cost."""
    layout = params["layout"]
    if layout not in townnet.LAYOUTS:
        raise ValueError(f"task.toml [variants]: layout {layout!r} is not one of {', '.join(townnet.LAYOUTS)}")
    rng = np.random.default_rng(params["seed"])
    catalogue = _catalogue_csv()
    for _ in range(ATTEMPTS):
        net = townnet.build(layout, rng)
        standard = townnet.standard(layout, net, rng)
        with tempfile.TemporaryDirectory() as scratch:
            work = Path(scratch)
            (work / NETWORK).write_text(townnet.inp_text(net, CANARY))
            survey = _survey(work, standard)
            growth = townnet.size_growth(layout, standard, survey, rng)
            if growth is None:
                continue
            if growth != standard["demand_growth_factor"]:
                standard["demand_growth_factor"] = growth
                survey = _survey(work, standard)
            if not townnet.size_hydrants(layout, net, standard, survey, rng):
                continue
            (work / STANDARD).write_text(json.dumps(standard))
            (work / "catalogue.csv").write_text(_designer_catalogue(catalogue))
            design = json.loads(run_tool_script(__file__, DESIGNER, str(work / NETWORK), str(work / STANDARD),
                                                str(work / "catalogue.csv"), str(work)))
            found = {row[0] for row in design["existing_deficits"]}
            # the safety net: the sizing makes these breaches by construction, the designer confirms them
            if design["design"] is None or not {"fire_flow", "tank_recovery"} <= found or (layout != "fire_governed" and "peak_pressure" not in found):
                continue
            evaluation = json.loads(run_tool_script(__file__, EVALUATOR, str(work / NETWORK), str(work / STANDARD),
                                                    str(standard["demand_growth_factor"])))
        break
    else:
        raise AssertionError(f"no feasible {layout} network with fire-flow and tank deficits in {ATTEMPTS} draws")
    deficits = existing_deficits(evaluation, standard)
    toolkit = {f"{c}:{e}": v for c, e, v, _ in design["existing_deficits"]}
    if set(deficits) != set(toolkit):
        raise AssertionError(f"toolkit and simulator disagree on the deficits: {set(deficits) ^ set(toolkit)}")
    cost = design["total_cost"]
    over = rng.random() < 0.5
    budget = float(round(cost * (rng.uniform(0.6, 0.8) if over else rng.uniform(1.3, 1.6)), -4))
    standard["capital_budget"] = budget
    (input_dir / NETWORK).write_text(townnet.inp_text(net, CANARY))
    (input_dir / STANDARD).write_text(json.dumps(standard, indent=2) + "\n")
    (input_dir / CATALOGUE).write_text(catalogue)
    reference = {"standard": standard, "network": evaluation["network"], "existing": evaluation,
                 "deficits": deficits, "design": design["design"], "cost": cost}
    (reference_dir / REFERENCE).write_text(json.dumps(reference, indent=1) + "\n")


def _survey(work: Path, standard: dict[str, Any]) -> dict[str, Any]:
    """survey.py's breaking points and available fire flows of the network in ``work`` under ``standard``."""
    (work / "survey").mkdir(exist_ok=True)
    (work / "survey" / STANDARD).write_text(json.dumps(standard))
    return json.loads(run_tool_script(__file__, SURVEY, str(work / NETWORK), str(work / "survey" / STANDARD),
                                      str(work / "survey"), *(str(m) for m in SURVEY_MARGINS),
                                      str(max(townnet.CATALOGUE_MM))))


# -- grade -------------------------------------------------------------------------------------


def _grade_deficits(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]]) -> None:
    found = {f"{r.get('criterion', '').strip().lower()}:{r.get('element_id', '').strip()}": r.get("value") for r in rows}
    std, existing = ref["standard"], ref["existing"]
    # a breach within NEAR_LIMIT of its limit may be listed or not: engines round differently there
    optional = {k for k, v in ref["deficits"].items() if abs(v[0] - v[1]) < NEAR_LIMIT}
    optional |= {f"peak_pressure:{j}" for j, p in existing["eps"]["min_pressure_m"].items()
                 if 0 <= p - std["min_pressure_m"] < NEAR_LIMIT}
    optional |= {f"fire_flow:{h}" for h, f in existing["fire"].items()
                 if 0 <= f["lowest_m"] - std["fire_flow"]["min_residual_pressure_m"] < NEAR_LIMIT}
    verdicts: dict[str, bool | str] = {}
    for key, (value, _) in ref["deficits"].items():
        if key in found:
            verdicts[key] = _close(found[key], value, VALUE_TOL[key.split(":")[0]])
        elif key not in optional:
            verdicts[key] = "missing"
    verdicts.update({key: "not a breach" for key in found if key not in ref["deficits"] and key not in optional})
    g.fraction("existing-network deficits at design-year demands (breaches and their simulated values)",
               verdicts, weight=2, noun="breaches")


def _close(found: Any, expected: float, tol: float) -> bool | str:
    value = as_number(found)
    if value is None:
        return f"{found!r} is not a number"
    return True if abs(value - expected) <= tol else f"{value:g}, simulated {expected:.3f}"


def _changed_pipes(g: Grading, ref: dict[str, Any], net: dict[str, Any]) -> dict[str, float]:
    """Pipes replaced in the agent's network ({pipe: new diameter}); records the identity check."""
    std, orig = ref["standard"], ref["network"]
    growth = std["demand_growth_factor"]
    sizes = {float(d) for d, _, _ in townnet.catalogue_rows()}
    problems: list[str] = []
    if set(net["junctions"]) != set(orig["junctions"]):
        problems.append("junction ids differ from the original network")
    for j, (elev, demand) in orig["junctions"].items():
        mine = net["junctions"].get(j)
        if mine and (abs(mine[0] - elev) > 1e-3 or not math.isclose(mine[1], demand * growth, rel_tol=2e-3, abs_tol=1e-3)):
            problems.append(f"junction {j}: elevation/demand {mine}, want [{elev}, {demand * growth:.4f}]")
    for key in ("tanks", "reservoirs", "pumps", "settings", "patterns", "curves", "valves", "controls", "emitters",
                "pump_settings"):
        if net.get(key) != orig.get(key):
            problems.append(f"{key} differ from the original network")
    for p, setting in orig.get("pipe_settings", {}).items():
        if net.get("pipe_settings", {}).get(p, setting) != setting:
            problems.append(f"pipe {p}: minor loss, status or check valve changed")
    if set(net["pipes"]) != set(orig["pipes"]):
        problems.append(f"pipe ids differ: {sorted(set(net['pipes']) ^ set(orig['pipes']))[:5]}")
    changed: dict[str, float] = {}
    for p, (a, b, length, diameter, rough) in orig["pipes"].items():
        mine = net["pipes"].get(p)
        if not mine:
            continue
        if mine[:2] != [a, b] or abs(mine[2] - length) > 0.05:
            problems.append(f"pipe {p}: nodes or length changed")
        if abs(mine[3] - diameter) > 0.01 or abs(mine[4] - rough) > 0.01:
            # an off-catalogue size fails here and is priced as the nearest catalogue size
            nearest = min(sizes, key=lambda size: abs(size - mine[3]))
            if abs(mine[3] - nearest) >= 0.01 or mine[3] < diameter - 0.01:
                problems.append(f"pipe {p}: {mine[3]:g} mm is not a catalogue size at least the existing {diameter:g} mm")
            if abs(mine[4] - std["new_pipe_roughness_C"]) > 0.01:
                problems.append(f"pipe {p}: replaced but C = {mine[4]:g}, new mains are C {std['new_pipe_roughness_C']:g}")
            changed[p] = round(nearest)
    g.check("upgraded network is the original at design-year demands, changed only by catalogue replacements",
            not problems, weight=2, reason="; ".join(problems[:6]))
    return changed


def _grade_performance(g: Grading, ref: dict[str, Any], sim: dict[str, Any]) -> None:
    std, eps = ref["standard"], sim["eps"]
    low = {j: p for j, p in eps["min_pressure_m"].items() if p < std["min_pressure_m"] - 0.01}
    g.check(f"peak-hour pressure at least {std['min_pressure_m']:g} m at every junction over the 72 h run",
            not low, reason=f"below at {sorted(low.items(), key=lambda kv: kv[1])[:5]}")
    residual = std["fire_flow"]["min_residual_pressure_m"]
    g.fraction(f"fire flow with at least {residual:g} m residual everywhere (max day, per hydrant)",
               {h: f["lowest_m"] >= residual - 0.01 or f"lowest {f['lowest_m']:.2f} m at {f['lowest_at']}"
                for h, f in sim["fire"].items()}, weight=2, noun="hydrant tests")
    fast = {p: v for p, v in eps["max_velocity_m_s"].items() if v > std["max_velocity_m_s"] + 0.005}
    g.check(f"velocity at most {std['max_velocity_m_s']:g} m/s in every pipe over the 72 h run", not fast,
            reason=f"above in {sorted(fast.items(), key=lambda kv: -kv[1])[:5]}")
    tanks = {t: v for t, v in eps["tanks"].items() if min(v["midnight_m"]) < v["initial_m"] - 0.01}
    g.check("tank recovers: level at each midnight at least its initial level", not tanks, weight=2,
            reason=f"{tanks}")


def _cost(ref: dict[str, Any], changed: dict[str, float]) -> float:
    unit = {d: c for d, _, c in townnet.catalogue_rows()}
    return sum(ref["network"]["pipes"][p][2] * unit[int(d)] for p, d in changed.items())


def _grade_schedule(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]], changed: dict[str, float]) -> None:
    unit = {d: c for d, _, c in townnet.catalogue_rows()}
    pipes = ref["network"]["pipes"]
    found = {r.get("pipe_id", "").strip(): r for r in rows}
    expected = {p: (pipes[p][3], d, pipes[p][2], unit[int(d)]) for p, d in changed.items()}

    def compare(row: dict[str, str], want: tuple[float, float, float, float]) -> bool | str:
        old, new, length, rate = want
        values = [as_number(row.get(k)) for k in ("existing_diameter_mm", "new_diameter_mm", "length_m",
                                                    "unit_cost_per_m", "cost")]
        if any(v is None for v in values):
            return "a field is not a number"
        bad = [name for name, v, w, tol in (("existing_diameter_mm", values[0], old, 0.5), ("new_diameter_mm", values[1], new, 0.5),
                                            ("length_m", values[2], length, 0.5), ("unit_cost_per_m", values[3], rate, 0.01),
                                            ("cost", values[4], length * rate, max(1.0, 1e-3 * length * rate)))
               if abs(v - w) > tol]
        return True if not bad else f"{', '.join(bad)} disagree with the network and the catalogue"

    verdicts = judge(found, expected, compare) if expected else {"(no replacement in the .inp)": False}
    g.fraction("upgrade schedule matches the network's replacements, lengths and catalogue costs", verdicts,
               weight=2, noun="replacements", threshold=1.0)


def _grade_memo(g: Grading, ref: dict[str, Any], memo: dict[str, Any], sim: dict[str, Any], cost: float) -> None:
    std = ref["standard"]
    total = as_number(memo.get("total_capital_cost"))
    g.check("memo total capital cost is the network's replacements priced from the catalogue",
            total is not None and math.isclose(total, cost, rel_tol=1e-5, abs_tol=1.0),
            expected=round(cost, 2), found=memo.get("total_capital_cost"))
    eps = sim["eps"]
    figures = {"min_peak_pressure_m": min(eps["min_pressure_m"].values()),
               "min_fire_residual_m": min(f["lowest_m"] for f in sim["fire"].values()),
               "max_velocity_m_s": max(eps["max_velocity_m_s"].values()),
               "tank_lowest_midnight_level_m": min(min(t["midnight_m"]) for t in eps["tanks"].values())}
    verified = memo.get("verified") if isinstance(memo.get("verified"), dict) else {}
    g.fraction("memo's verified figures are those of the delivered network re-simulated",
               {k: (_close(verified[k], v, FIGURE_TOL[k]) if k in verified else "missing") for k, v in figures.items()},
               noun="figures")
    within = cost <= std["capital_budget"]
    wanted = "award" if within else "seek_funding"
    g.check(f"budget verdict and recommendation follow from the cost against the {std['capital_budget']:,.0f} budget",
            memo.get("within_budget") is within and str(memo.get("recommendation", "")).strip().lower() == wanted,
            weight=2, expected={"within_budget": within, "recommendation": wanted},
            found={"within_budget": memo.get("within_budget"), "recommendation": memo.get("recommendation")})
    m = margins(sim, std)
    lowest = min(m.values())
    fits = {c for c, v in m.items() if v - lowest <= MARGIN_TIE}
    named = str(memo.get("governing_criterion", "")).strip().lower()
    g.check("governing criterion is the one with the least margin in the delivered design", named in fits,
            weight=2, expected=sorted(fits), found=memo.get("governing_criterion"))


def grade(g: Grading) -> None:
    if not g.require_files(DEFICITS, UPGRADED, SCHEDULE, MEMO):
        return
    ref = g.reference_json(REFERENCE)
    deficits = g.read_csv(DEFICITS, required_columns=["criterion", "element_id", "value", "limit"])
    schedule = g.read_csv(SCHEDULE, required_columns=["pipe_id", "existing_diameter_mm", "new_diameter_mm",
                                                      "length_m", "unit_cost_per_m", "cost"])
    memo = g.read_json(MEMO)
    if deficits is None or schedule is None or not isinstance(memo, dict):
        return
    _grade_deficits(g, ref, deficits)
    # the design is simulated as the original network with the delivered pipes' diameters and roughness (and
    # the design-year demands), so no other edit of the file (a demand multiplier, a flattened pattern, a
    # control, a valve, a stronger pump) can buy performance; the identity check reports such edits
    run = g.run_tool(["python3", "evaluate_network.py", UPGRADED, STANDARD, "--onto", NETWORK],
                     {"evaluate_network.py": EVALUATOR, UPGRADED: g.output(UPGRADED),
                      STANDARD: g.input_dir / STANDARD, NETWORK: g.input_dir / NETWORK}, timeout=120)
    try:
        sim = json.loads(run.stdout)
    except json.JSONDecodeError:
        sim = None
    if run.returncode != 0 or not isinstance(sim, dict):
        g.check("upgraded network simulates in EPANET (WNTR)", False, weight=8,
                reason=(run.stderr or run.stdout)[-300:])
        return
    changed = _changed_pipes(g, ref, sim["network"])
    _grade_performance(g, ref, sim)
    _grade_schedule(g, ref, schedule, changed)
    cost = _cost(ref, changed)
    limit = ref["cost"] * (1 + LEAST_COST_MARGIN)
    g.check(f"least cost: within {LEAST_COST_MARGIN:.0%} of the reference design's cost", cost <= limit,
            weight=2, expected=f"<= {limit:,.0f}", found=round(cost, 2))
    _grade_memo(g, ref, memo, sim, cost)

