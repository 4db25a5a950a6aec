"""Hydraulic calculation of a wet-pipe sprinkler system (NFPA 13 style, Hazen-Williams).

ALE-CANARY-065b0c5c-ced7-4fbc-83a7-5b58f14f72a0

Workflow: a fire protection engineer receives the piping layout of a tree system (nodes with
elevations, sprinkler K-factors and areas of coverage, the sprinklers of the hydraulically remote design
area flagged; pipes with nominal size, internal diameter, length, C-factor and fittings), the design
criteria (hazard class, density, design area, hose stream allowance) and a hydrant flow test. They take
off equivalent fitting lengths, find the minimum supply pressure at which every design-area sprinkler
delivers at least its own minimum flow (density x its coverage, and at least 7 psi: where the far wall
steps in, a line's end sprinkler covers less and the 7 psi floor sets its minimum), report pressures and
flows throughout the tree and the system demand at the connection, and check it against the water supply
curve with the required safety margin.
Variants: light hazard with an end-fed cross main, ordinary hazard group 2 on Schedule 10 pipe,
extra hazard group 1 with branch lines on both sides of a looped cross main (a return main feeds its
far end, so the flow split must be balanced round the loop), and
ordinary hazard group 1 where part of the design area hangs lower under a mezzanine (so the
governing sprinkler is not simply the farthest one).

generate() builds the layout from the seed (the riser runs, the first run of the cross main, each branch
line's offset from its tee and its end span vary, so no two instances share a solution below the feed main and
the governing sprinkler moves; where the drawn lengths leave every flowing pipe's friction within twice the
grader's tolerance of the drawing's, or no sprinkler's minimum at the 7 psi floor, they are drawn again from the
next stream), solves it with its own Hazen-Williams solver (NFPA 13
form, p = 4.52 Q^1.85 / (C^1.85 d^4.87) psi/ft, 0.433 psi/ft of elevation; sprinkler flows iterated,
the loop balanced by Hardy Cross) and writes the reference, choosing the flow-test figures so that the
supply verdict, drawn from the seed, is clear-cut.

grade() checks the agent's tables for physics (flow conservation at every node and Q = K sqrt(p) at
every sprinkler to rounding, so an equivalent-K hand balance of the junctions does not pass;
the pressure drop along every pipe as its Hazen-Williams friction (NFPA form or EPANET's) within 0.5 %
plus elevation, and the friction and velocity
columns, recomputed from the agent's own flows), then compares equivalent lengths, pressures, flows,
the design minimums, the governing sprinkler, the demand at the connection and the supply check
with the reference.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, as_number, is_close, write_csv

PSI_PER_FT = 0.433
MIN_PRESSURE = 7.0
SAFETY_MARGIN = 5.0
SCH40 = {"1": 1.049, "1-1/4": 1.380, "1-1/2": 1.610, "2": 2.067, "2-1/2": 2.469, "3": 3.068, "4": 4.026, "6": 6.065}
SCH10 = {"1": 1.097, "1-1/4": 1.442, "1-1/2": 1.682, "2": 2.157, "2-1/2": 2.635, "3": 3.260, "4": 4.260, "6": 6.357}
DUCTILE = {"6": 6.28, "8": 8.39}
# Equivalent pipe length (ft) of fittings and valves for C = 120; columns: see FITTINGS.
FITTINGS = ["E45", "E90", "LTE", "TEE", "BFV", "GV", "SCV"]
EQUIVALENT = {
    "1": [1, 2, 2, 5, 0, 0, 5], "1-1/4": [1, 3, 2, 6, 0, 0, 7], "1-1/2": [2, 4, 2, 8, 0, 0, 9],
    "2": [2, 5, 3, 10, 6, 1, 11], "2-1/2": [3, 6, 4, 12, 7, 1, 14], "3": [3, 7, 5, 15, 10, 1, 16],
    "4": [4, 10, 6, 20, 12, 2, 22], "6": [7, 14, 9, 30, 10, 3, 32], "8": [9, 18, 13, 35, 12, 4, 45],
}
C_MULTIPLIER = {100: 0.713, 120: 1.0, 130: 1.16, 140: 1.33, 150: 1.51}
# The calculation must balance to rounding: flow at every node and Q = K sqrt(p) at every sprinkler are
# exact laws (an equivalent-K hand balance misses them by 0.5-3 %). Each pipe's pressure drop must be its
# friction by the NFPA form or by EPANET's own Hazen-Williams (they differ by up to 1 %) to FRICTION_REL_TOL:
# a band as wide as the gap between the two forms let a hand calculation with one correction pass hide its
# balance error in the friction.
BALANCE_TOL_GPM = 0.05
SPRINKLER_TOL_GPM = 0.03
FRICTION_ABS_TOL_PSI = 0.03
FRICTION_REL_TOL = 0.005
# The as-built layout departs from the drawing (DRAWING_FIRST_RUN_FT, no branch-line offsets) on at least this many
# flowing pipes by twice the friction tolerance: within it, a memorised solution of the drawing passed.
DRAWING_FIRST_RUN_FT = 12.0
AS_BUILT_PIPES_SHOWN = 1
# EPANET's Hazen-Williams in US units: h (ft) = 4.727 L q^1.852 / (C^1.852 d^4.871), q in cfs and d in ft
EPANET_HW_COEFFICIENT = 4.727
GPM_PER_CFS = 448.831
EPANET_PSI_PER_FT = 0.4333
VELOCITY_FPS_PER_GPM_IN2 = 0.4085  # v (ft/s) = 0.4085 Q (gpm) / d^2 (in)
NODE_COLUMNS = ["node", "elevation_ft", "pressure_psi", "discharge_gpm", "minimum_pressure_psi"]
PIPE_COLUMNS = ["pipe", "from_node", "to_node", "flow_gpm", "total_length_ft", "friction_psi_per_ft",
                "friction_loss_psi", "velocity_fps"]
HAZARDS = {
    "LH": ("Light Hazard", 100), "OH1": ("Ordinary Hazard Group 1", 250), "OH2": ("Ordinary Hazard Group 2", 250),
    "EH1": ("Extra Hazard Group 1", 500),
}


# -- layout -----------------------------------------------------------------------------------

def pipe_size(heads: int, hazard: str) -> str:
    """Pipe size by the number of sprinklers it supplies: pipe-schedule steps, upsized for extra hazard."""
    steps = {
        "LH": [(2, "1"), (3, "1-1/4"), (5, "1-1/2"), (10, "2"), (30, "2-1/2"), (60, "3")],
        "OH": [(2, "1"), (3, "1-1/4"), (5, "1-1/2"), (10, "2"), (20, "2-1/2"), (40, "3"), (100, "4")],
        "EH": [(2, "1-1/2"), (4, "2"), (8, "2-1/2"), (14, "3"), (40, "4"), (200, "6")],
    }[hazard[:2]]
    return next((size for n, size in steps if heads <= n), steps[-1][1])


class Layout:
    """A sprinkler tree: nodes (id -> attributes) and pipes (listed from the supply side)."""

    def __init__(self, schedule: dict[str, float]) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}
        self.pipes: list[dict[str, Any]] = []
        self.schedule = schedule

    def node(self, nid: str, z: float, desc: str, k: float = 0.0, flowing: bool = False, coverage: float = 0.0) -> str:
        self.nodes[nid] = {"node": nid, "elevation_ft": round(z, 2), "k_factor": k, "coverage_ft2": round(coverage, 2),
                           "design_area": int(flowing), "description": desc}
        return nid

    def pipe(self, a: str, b: str, size: str, length: float, c: int, fittings: str, material: str = "steel") -> None:
        table = DUCTILE if material == "ductile" else self.schedule
        self.pipes.append({"pipe": f"P{len(self.pipes) + 1}", "from_node": a, "to_node": b, "nominal_in": size,
                           "diameter_in": table[size], "length_ft": round(length, 2), "c_factor": c,
                           "fittings": fittings, "material": material})


def branch_line(lay: Layout, tag: str, tee: str, z: float, heads: int, flowing: int, spacing: float, k: float,
                hazard: str, line_spacing: float, drop: float = 0.0, side: str = "", offset: float = 0.0,
                end_span: float | None = None) -> None:
    """A branch line off the cross-main tee: optional drop, then heads at spacing (the first one half a spacing
    plus the line's as-built offset from the tee, the last one ``end_span`` on from its neighbour, with the wall
    half that beyond it), the far ones flowing. Each sprinkler covers S x L: its spacing along the line (the end
    one's S is its end span, equal to twice its distance to the wall) times the spacing between lines."""
    end_span = spacing if end_span is None else end_span
    start = tee
    if drop:
        start = lay.node(f"{tag}D", z, f"branch line {tag}: foot of the drop")
        lay.pipe(tee, start, pipe_size(heads, hazard), drop, 120, "TEE,E90")
    prev = start
    for h in range(1, heads + 1):
        along = end_span if h == heads else spacing
        nid = lay.node(f"{tag}H{h}", z, f"branch line {tag}{side}: sprinkler {h} from the cross main", k,
                       flowing=h > heads - flowing, coverage=along * line_spacing)
        downstream = heads - h + 1
        length = spacing / 2 + offset if h == 1 else along
        fit = "TEE" if h == 1 and not drop else ""
        lay.pipe(prev, nid, pipe_size(downstream, hazard), length, 120, fit)
        prev = nid


def drawn_end_span(as_built: np.random.Generator, spacing: float) -> float:
    """The far wall steps in at about half the lines; there the end sprinkler stands 0.5-1 spacing from its
    neighbour (in half-foot steps)."""
    steps_in = as_built.integers(2)
    return float(as_built.integers(int(spacing), int(2 * spacing))) / 2 if steps_in else spacing


def build_layout(p: dict[str, Any], rng: np.random.Generator, as_built: np.random.Generator | None) -> Layout:
    """The layout of one instance: the variant's system with the riser runs drawn from ``rng`` and, from
    ``as_built``, each branch line's as-built offset from its cross-main tee, its end span (where the far wall
    steps in, the last sprinkler of a line stands closer to its neighbour and covers that much less) and the length
    of the cross main's first run (so that the solution below the feed main differs from one instance to the next
    as well); with ``as_built`` None, the drawing: no offsets, full end spans and a first run of
    DRAWING_FIRST_RUN_FT."""
    lay = Layout(SCH10 if p["schedule"] == "10" else SCH40)
    ceiling = p["ceiling_ft"]
    src = lay.node("S", p["source_z"], "connection to the city main (flow-test reference point)")
    bor = lay.node("BOR", 1.0, "base of riser, ground floor")
    lay.pipe(src, bor, "6", float(rng.integers(60, 180)), 140, "GV,E90,E90", material="ductile")
    tor = lay.node("TOR", ceiling, "top of riser")
    riser = p["riser_in"]
    lay.pipe(bor, tor, riser, ceiling - 1.0, 120, "SCV,GV,E90")
    feed_end = lay.node("FM", ceiling, "feed main: start of the cross main")
    lay.pipe(tor, feed_end, riser, float(rng.integers(25, 70)), 120, "E90,E90")
    prev = feed_end
    spacing_l, spacing_s = p["line_spacing_ft"], p["head_spacing_ft"]
    flowing = p["flowing"]  # flowing heads per line, from the far end of the cross main
    lines_left = p["lines"]
    # 8-16 ft from the feed main to the first tee
    drawn = as_built is not None
    first_run = float(as_built.integers(16, 33)) / 2 if drawn else DRAWING_FIRST_RUN_FT
    for i in range(1, p["lines"] + 1):
        tee = lay.node(f"CM{i}", ceiling, f"cross main at branch line {i}")
        heads_beyond = lines_left * p["heads_per_line"] * (2 if p["both_sides"] else 1)
        lay.pipe(prev, tee, pipe_size(heads_beyond, p["hazard"]), spacing_l if i > 1 else first_run, 120,
                 "TEE" if i == 1 else "")
        if i == 1:
            main_size = lay.pipes[-1]["nominal_in"]  # the first cross-main segment's size
        lines_left -= 1
        low = i in p["low_lines"]
        z = p["low_ceiling_ft"] if low else ceiling
        drop = ceiling - p["low_ceiling_ft"] if low else 0.0
        sides = [("E", " (east)", flowing[i - 1]), ("W", " (west)", 0)] if p["both_sides"] else [("", "", flowing[i - 1])]
        for letter, label, n_flow in sides:
            branch_line(lay, f"L{i}{letter}", tee, z, p["heads_per_line"], n_flow, spacing_s, p["k_factor"],
                        p["hazard"], spacing_l, drop=drop, side=label,
                        offset=float(as_built.integers(0, 7)) / 2 if drawn else 0.0,
                        end_span=drawn_end_span(as_built, spacing_s) if drawn else None)
        prev = tee
    if p["looped"]:  # a return main from the feed main round to the far end of the cross main
        corner = lay.node("RM", ceiling, "return main: corner of the loop back to the far end of the cross main")
        lay.pipe(feed_end, corner, main_size, float(rng.integers(15, 35)), 120, "TEE,E90")
        # as long as the cross main it parallels: the drawn first run plus the spacings between the lines
        lay.pipe(corner, prev, main_size, first_run + (p["lines"] - 1) * spacing_l, 120, "E90,TEE")
    return lay


# -- hydraulics -------------------------------------------------------------------------------

def equivalent_length(pipe: dict[str, Any]) -> float:
    total = 0.0
    for fit in filter(None, (f.strip() for f in pipe["fittings"].split(","))):
        total += EQUIVALENT[pipe["nominal_in"]][FITTINGS.index(fit)]
    return total * C_MULTIPLIER[pipe["c_factor"]]


def friction_per_ft(q: float, c: float, d: float) -> float:
    return 4.52 * abs(q) ** 1.85 / (c ** 1.85 * d ** 4.87)


def pipe_loss(pipe: dict[str, Any], q: float, length: float) -> float:
    """Friction loss (psi) along the pipe's listed direction: negative when the flow runs against it."""
    return math.copysign(friction_per_ft(q, pipe["c_factor"], pipe["diameter_in"]) * length, q)


def epanet_pipe_loss(pipe: dict[str, Any], q: float, length: float) -> float:
    """``pipe_loss`` by EPANET's Hazen-Williams (exponent 1.852, d^4.871) instead of the NFPA form."""
    head = (EPANET_HW_COEFFICIENT * length * (abs(q) / GPM_PER_CFS) ** 1.852
            / (pipe["c_factor"] ** 1.852 * (pipe["diameter_in"] / 12) ** 4.871))
    return math.copysign(EPANET_PSI_PER_FT * head, q)


def spanning_tree(lay: Layout) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Tree pipes in order from the source outwards, the pipes that close loops, and each node's feeding pipe."""
    children: dict[str, list[dict[str, Any]]] = {}
    for pipe in lay.pipes:
        children.setdefault(pipe["from_node"], []).append(pipe)
    order, chords, parent = [], [], {}
    seen, stack = {"S"}, ["S"]
    while stack:
        node = stack.pop()
        for pipe in children.get(node, []):
            if pipe["to_node"] in seen:
                chords.append(pipe)
                continue
            seen.add(pipe["to_node"])
            parent[pipe["to_node"]] = pipe
            order.append(pipe)
            stack.append(pipe["to_node"])
    return order, chords, parent


def loop_pipes(chord: dict[str, Any], parent: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The pipes of the loop a chord closes: the chord and the tree paths from both its ends to where they meet."""
    def up(node: str) -> list[dict[str, Any]]:
        path = []
        while node in parent:
            path.append(parent[node])
            node = parent[node]["from_node"]
        return path
    a, b = up(chord["from_node"]), up(chord["to_node"])
    common = {p["pipe"] for p in a} & {p["pipe"] for p in b}
    return [chord] + [p for p in a + b if p["pipe"] not in common]


def solve_at(lay: Layout, p_source: float) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Pressures, discharges and pipe flows of the system for a given pressure at the source node.

    Sprinkler discharges (Q = K sqrt(p)) are iterated to a fixed point; the flow in each pipe that closes a
    loop is corrected at every pass by Hardy Cross until the pressures around the loop balance.
    """
    order, chords, parent = spanning_tree(lay)
    below: dict[str, list[dict[str, Any]]] = {}
    for pipe in order:
        below.setdefault(pipe["from_node"], []).append(pipe)
    loops = {c["pipe"]: loop_pipes(c, parent) for c in chords}
    heads = {n: a for n, a in lay.nodes.items() if a["design_area"]}
    z = {n: a["elevation_ft"] for n, a in lay.nodes.items()}
    discharge = {n: a["k_factor"] * math.sqrt(MIN_PRESSURE) for n, a in heads.items()}
    lengths = {pipe["pipe"]: pipe["length_ft"] + equivalent_length(pipe) for pipe in lay.pipes}
    chord_flow = {c["pipe"]: 0.0 for c in chords}
    for _ in range(2000):
        out = dict(discharge)
        for c in chords:
            out[c["from_node"]] = out.get(c["from_node"], 0.0) + chord_flow[c["pipe"]]
            out[c["to_node"]] = out.get(c["to_node"], 0.0) - chord_flow[c["pipe"]]
        flows = dict(chord_flow)
        for pipe in reversed(order):
            flows[pipe["pipe"]] = out.get(pipe["to_node"], 0.0) + sum(flows[c["pipe"]] for c in below.get(pipe["to_node"], []))
        pressure = {"S": p_source}
        for pipe in order:
            a, b = pipe["from_node"], pipe["to_node"]
            pressure[b] = pressure[a] - pipe_loss(pipe, flows[pipe["pipe"]], lengths[pipe["pipe"]]) - PSI_PER_FT * (z[b] - z[a])
        imbalance = 0.0
        for c in chords:
            a, b = c["from_node"], c["to_node"]
            r = pressure[a] - pipe_loss(c, flows[c["pipe"]], lengths[c["pipe"]]) - PSI_PER_FT * (z[b] - z[a]) - pressure[b]
            slope = 1.85 * sum(abs(pipe_loss(p, flows[p["pipe"]], lengths[p["pipe"]])) / max(abs(flows[p["pipe"]]), 1e-9)
                               for p in loops[c["pipe"]])
            chord_flow[c["pipe"]] += r / max(slope, 1e-9)
            imbalance = max(imbalance, abs(r))
        new = {n: heads[n]["k_factor"] * math.sqrt(max(pressure[n], 0.0)) for n in heads}
        change = max(abs(new[n] - discharge[n]) for n in heads)
        discharge = {n: 0.5 * discharge[n] + 0.5 * new[n] for n in heads}
        if change < 1e-10 and imbalance < 1e-10:
            break
    return pressure, discharge, flows


def sprinkler_minimums(lay: Layout, density: float) -> tuple[dict[str, float], dict[str, float]]:
    """Each design-area sprinkler's minimum flow (density x its coverage) and minimum pressure (the larger of
    MIN_PRESSURE and (Q/K)^2)."""
    q_min = {n: density * a["coverage_ft2"] for n, a in lay.nodes.items() if a["design_area"]}
    p_min = {n: max(MIN_PRESSURE, (q / lay.nodes[n]["k_factor"]) ** 2) for n, q in q_min.items()}
    return q_min, p_min


def required_source_pressure(lay: Layout, p_min: dict[str, float]) -> float:
    """Smallest source pressure at which every design-area sprinkler meets its minimum (bisection)."""
    def slack(ps: float) -> float:
        pressure, _, _ = solve_at(lay, ps)
        return min(pressure[n] - p for n, p in p_min.items())

    lo, hi = 0.0, 400.0
    if slack(hi) < 0:
        raise ValueError("layout needs more than 400 psi: resize the pipes")
    for _ in range(60):
        mid = (lo + hi) / 2
        if slack(mid) >= 0:
            hi = mid
        else:
            lo = mid
    return hi


def supply_available(supply: dict[str, float], q: float) -> float:
    return supply["static_psi"] - (supply["static_psi"] - supply["residual_psi"]) * (q / supply["residual_flow_gpm"]) ** 1.85


def analyse(lay: Layout, p: dict[str, Any]) -> dict[str, Any]:
    q_min, p_min = sprinkler_minimums(lay, p["density"])
    ps = required_source_pressure(lay, p_min)
    pressure, discharge, flows = solve_at(lay, ps)
    governing = min(p_min, key=lambda n: pressure[n] - p_min[n])
    nodes = [{"node": n, "elevation_ft": a["elevation_ft"], "pressure_psi": pressure[n],
              "discharge_gpm": discharge.get(n, 0.0)} for n, a in lay.nodes.items()]
    pipes = []
    for pipe in lay.pipes:
        q = flows[pipe["pipe"]]
        total = pipe["length_ft"] + equivalent_length(pipe)
        fpf = friction_per_ft(q, pipe["c_factor"], pipe["diameter_in"])
        pipes.append({"pipe": pipe["pipe"], "from_node": pipe["from_node"], "to_node": pipe["to_node"], "flow_gpm": q,
                      "total_length_ft": total, "friction_psi_per_ft": fpf, "friction_loss_psi": fpf * total,
                      "velocity_fps": VELOCITY_FPS_PER_GPM_IN2 * q / pipe["diameter_in"] ** 2})
    q_sprinklers = sum(discharge.values())
    return {"nodes": nodes, "pipes": pipes, "q_min": q_min, "p_min": p_min, "governing": governing,
            "summary": {"governing_sprinkler": governing, "min_sprinkler_flow_gpm": q_min[governing],
                        "min_sprinkler_pressure_psi": p_min[governing], "sprinkler_demand_gpm": q_sprinklers,
                        "required_pressure_psi": ps, "hose_allowance_gpm": HAZARDS[p["hazard"]][1],
                        "total_demand_gpm": q_sprinklers + HAZARDS[p["hazard"]][1]}}


def pick_supply(rng: np.random.Generator, ref: dict[str, Any], adequate: bool) -> dict[str, float]:
    """Flow-test figures that put the demand clearly above or below the supply curve (with the margin)."""
    s = ref["summary"]
    target = s["required_pressure_psi"] + SAFETY_MARGIN + (rng.uniform(6, 14) if adequate else -rng.uniform(5, 12))
    static = target + rng.uniform(12, 25)
    q_res = float(rng.choice([1000, 1250, 1500]))
    residual = static - (static - target) / (s["total_demand_gpm"] / q_res) ** 1.85
    return {"static_psi": round(static, 1), "residual_psi": round(residual, 1), "residual_flow_gpm": q_res}


# -- files ------------------------------------------------------------------------------------

def write_table(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    write_csv(path, columns, ([row[c] for c in columns] for row in rows))


def both_minimum_rules(ref: dict[str, Any]) -> bool:
    """Whether the 7 psi floor sets the minimum pressure of at least one design-area sprinkler and (Q/K)^2 that of
    another, so that neither rule alone gives every sprinkler's minimum."""
    at_floor = [p == MIN_PRESSURE for p in ref["p_min"].values()]
    return any(at_floor) and not all(at_floor)


def shows_as_built(lay: Layout, drawing: Layout, ref: dict[str, Any]) -> bool:
    """Whether the drawing's lengths miss the friction of at least AS_BUILT_PIPES_SHOWN flowing pipes by twice the
    grader's tolerance, so that a solution of the drawing replayed here fails the pressure drop along them."""
    drawn = {pipe["pipe"]: pipe["length_ft"] for pipe in drawing.pipes}
    shown = 0
    for pipe, solved in zip(lay.pipes, ref["pipes"], strict=True):
        fpf = solved["friction_psi_per_ft"]
        miss = fpf * abs(pipe["length_ft"] - drawn[pipe["pipe"]])
        shown += miss > 2 * (FRICTION_ABS_TOL_PSI + FRICTION_REL_TOL * fpf * solved["total_length_ft"])
    return shown >= AS_BUILT_PIPES_SHOWN


def as_built_layout(params: Params) -> tuple[Layout, dict[str, Any], np.random.Generator]:
    """The instance's layout, its solution and the seed's stream after the layout's draws. The as-built
    lengths come from stream [seed, 1], or, where they stay so close to the drawing that a replayed drawing
    solution keeps every pipe's drop in tolerance or leave no sprinkler at the 7 psi floor, from the next stream
    that shows both."""
    drawing = build_layout(params, np.random.default_rng(params["seed"]), None)
    for stream in range(1, 40):
        rng = np.random.default_rng(params["seed"])
        lay = build_layout(params, rng, np.random.default_rng([params["seed"], stream]))
        ref = analyse(lay, params)
        if shows_as_built(lay, drawing, ref) and both_minimum_rules(ref):
            return lay, ref, rng
    raise ValueError(f"no as-built layout departs from the drawing with both minimum rules for seed {params['seed']}")


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    lay, ref, rng = as_built_layout(params)
    adequate = bool(rng.integers(2))
    supply = pick_supply(rng, ref, adequate)
    s = ref["summary"]
    available = supply_available(supply, s["total_demand_gpm"])
    s.update({"supply_static_psi": supply["static_psi"], "available_pressure_psi": available,
              "safety_margin_psi": available - s["required_pressure_psi"],
              "supply_adequate": available - s["required_pressure_psi"] >= SAFETY_MARGIN})
    assert s["supply_adequate"] == adequate

    write_table(input_dir / "nodes.csv", list(lay.nodes.values()),
                ["node", "elevation_ft", "k_factor", "coverage_ft2", "design_area", "description"])
    write_table(input_dir / "pipes.csv", lay.pipes, ["pipe", "from_node", "to_node", "nominal_in", "material",
                                                     "diameter_in", "length_ft", "c_factor", "fittings"])
    table = [{"nominal_in": size, **dict(zip(FITTINGS, vals, strict=True))} for size, vals in EQUIVALENT.items()]
    write_table(input_dir / "equivalent_lengths.csv", table, ["nominal_in", *FITTINGS])
    hazard_name, hose = HAZARDS[params["hazard"]]
    criteria = {
        "project": params["project"], "system": "wet pipe", "hazard": hazard_name,
        "density_gpm_per_ft2": params["density"], "design_area_ft2": params["area"],
        "coverage": "per sprinkler in nodes.csv (coverage_ft2 = S x L)",
        "sprinkler_k_factor": params["k_factor"], "minimum_sprinkler_pressure_psi": MIN_PRESSURE,
        "hose_stream_allowance_gpm": hose, "hose_stream_added_at": "node S",
        "safety_margin_psi": SAFETY_MARGIN,
        "friction": "Hazen-Williams, p = 4.52 Q^1.85 / (C^1.85 d^4.87) psi/ft (Q gpm, d in)",
        "elevation": "0.433 psi/ft", "velocity_pressure": "neglected (use normal pressures)",
        "fittings": "equivalent lengths from equivalent_lengths.csv (C = 120 basis), multiplied for other C: "
                    + ", ".join(f"C={c}: {m}" for c, m in C_MULTIPLIER.items()),
        "fitting_codes": {"E45": "45 deg elbow", "E90": "90 deg standard elbow", "LTE": "90 deg long-turn elbow",
                          "TEE": "tee or cross, flow turned 90 deg", "BFV": "butterfly valve", "GV": "gate valve",
                          "SCV": "swing check valve (incl. alarm check)"},
    }
    (input_dir / "design_criteria.json").write_text(json.dumps(criteria, indent=2) + "\n")
    (input_dir / "flow_test.json").write_text(json.dumps({
        "location": "hydrant at the connection, results referred to node S", "date": params["test_date"], **supply,
    }, indent=2) + "\n")
    (reference_dir / "reference.json").write_text(json.dumps(
        {"nodes": ref["nodes"], "pipes": ref["pipes"], "summary": s, "q_min": ref["q_min"], "p_min": ref["p_min"],
         "layout_nodes": lay.nodes, "layout_pipes": lay.pipes}, indent=2) + "\n")


# -- grading ----------------------------------------------------------------------------------

def keyed(rows: list[dict[str, str]], key: str) -> dict[str, dict[str, str]]:
    return {str(r.get(key, "")).strip(): r for r in rows}


def numbers(row: dict[str, str] | None, *cols: str) -> list[float] | None:
    if row is None:
        return None
    values = [as_number(row.get(c)) for c in cols]
    return None if any(v is None for v in values) else values  # type: ignore[return-value]


def check_physics(g: Grading, ref: dict[str, Any], nodes: dict[str, dict[str, str]],
                  pipes: dict[str, dict[str, str]]) -> None:
    layout_nodes, layout_pipes = ref["layout_nodes"], ref["layout_pipes"]
    balance, sprinkler, along = [], [], []
    for nid, attrs in layout_nodes.items():
        if nid == "S":
            continue
        got = numbers(nodes.get(nid), "pressure_psi", "discharge_gpm")
        inflow = [numbers(pipes.get(p["pipe"]), "flow_gpm") for p in layout_pipes if p["to_node"] == nid]
        outflow = [numbers(pipes.get(p["pipe"]), "flow_gpm") for p in layout_pipes if p["from_node"] == nid]
        if got is None or any(v is None for v in inflow + outflow):
            balance.append(f"{nid}: missing numbers")
            if attrs["design_area"]:
                sprinkler.append(f"{nid}: missing numbers")
            continue
        residual = sum(v[0] for v in inflow) - sum(v[0] for v in outflow) - got[1]  # type: ignore[index]
        if abs(residual) > BALANCE_TOL_GPM + 0.0002 * abs(sum(v[0] for v in inflow)):  # type: ignore[index]
            balance.append(f"{nid}: in - out - discharge = {residual:.2f} gpm")
        k = attrs["k_factor"] if attrs["design_area"] else 0.0
        expected = k * math.sqrt(max(got[0], 0.0))
        if abs(got[1] - expected) > SPRINKLER_TOL_GPM + 0.002 * expected:
            sprinkler.append(f"{nid}: {got[1]:.2f} gpm at {got[0]:.2f} psi, expected {expected:.2f}")
    for p in layout_pipes:
        row = numbers(pipes.get(p["pipe"]), "flow_gpm", "total_length_ft")
        ends = numbers(nodes.get(p["from_node"]), "pressure_psi"), numbers(nodes.get(p["to_node"]), "pressure_psi")
        if row is None or ends[0] is None or ends[1] is None:
            along.append(f"{p['pipe']}: missing numbers")
            continue
        loss = pipe_loss(p, row[0], row[1])
        dz = layout_nodes[p["to_node"]]["elevation_ft"] - layout_nodes[p["from_node"]]["elevation_ft"]
        drop = ends[0][0] - ends[1][0]
        if all(abs(drop - friction - PSI_PER_FT * dz) > FRICTION_ABS_TOL_PSI + FRICTION_REL_TOL * abs(friction)
               for friction in (loss, epanet_pipe_loss(p, row[0], row[1]))):
            along.append(f"{p['pipe']}: drop {drop:.2f} psi vs friction {loss:.2f} + elevation {PSI_PER_FT * dz:.2f}")
    n_nodes, n_pipes = len(layout_nodes) - 1, len(layout_pipes)
    g.share("flow is conserved at every node (agent's own flows)", n_nodes - len(balance), n_nodes, wrong=balance,
            noun="nodes")
    n_heads = sum(1 for a in layout_nodes.values() if a["design_area"])
    g.share("every design-area sprinkler discharges Q = K sqrt(p) at its reported pressure (others 0)",
            n_heads - len(sprinkler), n_heads, wrong=sprinkler, weight=0.5, noun="sprinklers")
    g.share("pressure drop along every pipe = Hazen-Williams friction + elevation (agent's own flows)",
            n_pipes - len(along), n_pipes, wrong=along, noun="pipes")


def check_pipe_columns(g: Grading, ref: dict[str, Any], pipes: dict[str, dict[str, str]]) -> None:
    """Friction per foot, friction loss and velocity of every pipe follow from the agent's own flow and length."""
    bad = []
    for p in ref["layout_pipes"]:
        row = numbers(pipes.get(p["pipe"]), "flow_gpm", "total_length_ft", "friction_psi_per_ft", "friction_loss_psi",
                      "velocity_fps")
        if row is None:
            bad.append(f"{p['pipe']}: missing numbers")
            continue
        q, length, per_ft, loss, velocity = row
        want = friction_per_ft(q, p["c_factor"], p["diameter_in"])
        want_v = VELOCITY_FPS_PER_GPM_IN2 * abs(q) / p["diameter_in"] ** 2
        if not (math.isclose(per_ft, want, rel_tol=0.02, abs_tol=2e-5)
                and math.isclose(abs(loss), want * length, rel_tol=0.02, abs_tol=0.01)
                and math.isclose(abs(velocity), want_v, rel_tol=0.01, abs_tol=0.02)):
            bad.append(f"{p['pipe']}: {per_ft:.5f} psi/ft, {loss:.3f} psi, {velocity:.2f} ft/s for {q:.2f} gpm; "
                       f"expected {want:.5f}, {want * length:.3f}, {want_v:.2f}")
    n_pipes = len(ref["layout_pipes"])
    g.share("friction per foot, friction loss and velocity follow from each pipe's flow and length",
            n_pipes - len(bad), n_pipes, wrong=bad, weight=0.5, noun="pipes")


def off_reference(found: dict[str, dict[str, str]], expected: list[dict[str, Any]], key: str, column: str,
                  abs_tol: float, rel_tol: float = 0.0) -> list[str]:
    """The rows whose ``column`` is not within tolerance of the reference, as 'key: found vs expected'."""
    return [f"{r[key]}: {found.get(r[key], {}).get(column)!r} vs {r[column]:.2f}" for r in expected
            if not is_close(found.get(r[key], {}).get(column), r[column], abs_tol=abs_tol, rel_tol=rel_tol)]


def check_against_reference(g: Grading, ref: dict[str, Any], nodes: dict[str, dict[str, str]],
                            pipes: dict[str, dict[str, str]]) -> None:
    fitted = {p["pipe"] for p in ref["layout_pipes"] if p["fittings"].strip()}
    bad = off_reference(pipes, ref["pipes"], "pipe", "total_length_ft", 0.05)
    bad_fitted = [b for b in bad if b.split(":")[0] in fitted]
    right = len(fitted) - len(bad_fitted) if len(bad) == len(bad_fitted) else 0  # a wrong plain pipe: no credit
    g.share("total lengths include the equivalent lengths of the fittings (C-adjusted)", right, len(fitted),
            wrong=bad, noun="pipes with fittings")
    bad = off_reference(nodes, ref["nodes"], "node", "pressure_psi", 0.5, 0.01)
    g.share("node pressures match the reference calculation", len(ref["nodes"]) - len(bad), len(ref["nodes"]),
            wrong=bad, weight=2.0, noun="nodes")
    bad = off_reference(pipes, ref["pipes"], "pipe", "flow_gpm", 1.0, 0.01)
    flowing = sum(1 for r in ref["pipes"] if abs(r["flow_gpm"]) > 0.5)  # dead legs are right by default: not counted
    g.share("pipe flows match the reference calculation", flowing - len(bad), flowing, wrong=bad, weight=1.5,
            noun="flowing pipes")


def check_design_point(g: Grading, ref: dict[str, Any], nodes: dict[str, dict[str, str]],
                       summary: dict[str, Any]) -> None:
    s, q_min, p_min = ref["summary"], ref["q_min"], ref["p_min"]
    short = []
    for nid in p_min:
        got = numbers(nodes.get(nid), "pressure_psi", "discharge_gpm")
        if got is None or got[1] < q_min[nid] - 0.05 or got[0] < MIN_PRESSURE - 0.01:
            short.append(f"{nid}: {got}")
    # sprinklers within 0.1 psi of their minimum in the reference are equally acceptable as the governing one
    pressure = {r["node"]: r["pressure_psi"] for r in ref["nodes"]}
    candidates = sorted(n for n in p_min if pressure[n] - p_min[n] <= 0.1)
    named = str(summary.get("governing_sprinkler", "")).strip()
    g.check("every design-area sprinkler meets its minimum; the governing sprinkler is identified",
            not short and named in candidates, weight=1.0, expected=candidates, found=summary.get("governing_sprinkler"),
            reason="; ".join(short[:5]))
    wrong = off_reference(nodes, [{"node": n, "minimum_pressure_psi": p} for n, p in p_min.items()], "node",
                          "minimum_pressure_psi", 0.02)
    g.share("each design-area sprinkler's minimum pressure: the larger of 7 psi and (density x its coverage / K)^2",
            len(p_min) - len(wrong), len(p_min), wrong=wrong, weight=0.5, noun="sprinklers")
    governing = named if named in candidates else s["governing_sprinkler"]
    ok = (is_close(summary.get("min_sprinkler_flow_gpm"), q_min[governing], abs_tol=0.01)
          and is_close(summary.get("min_sprinkler_pressure_psi"), p_min[governing], abs_tol=0.02))
    g.check("the governing sprinkler's minimums: flow = density x its coverage, pressure = its minimum pressure",
            ok, weight=0.5, expected=[round(q_min[governing], 2), round(p_min[governing], 3)],
            found=[summary.get("min_sprinkler_flow_gpm"), summary.get("min_sprinkler_pressure_psi")])
    ok = (is_close(summary.get("required_pressure_psi"), s["required_pressure_psi"], abs_tol=0.5, rel_tol=0.01)
          and is_close(summary.get("sprinkler_demand_gpm"), s["sprinkler_demand_gpm"], abs_tol=1.0, rel_tol=0.01))
    g.check("system demand at the connection (pressure and sprinkler flow)", ok, weight=2.0,
            expected=[round(s["required_pressure_psi"], 2), round(s["sprinkler_demand_gpm"], 1)],
            found=[summary.get("required_pressure_psi"), summary.get("sprinkler_demand_gpm")])
    ok = (is_close(summary.get("total_demand_gpm"), s["total_demand_gpm"], abs_tol=1.0, rel_tol=0.01)
          and is_close(summary.get("available_pressure_psi"), s["available_pressure_psi"], abs_tol=0.5, rel_tol=0.01)
          and is_close(summary.get("safety_margin_psi"), s["safety_margin_psi"], abs_tol=0.7)
          and summary.get("supply_adequate") is s["supply_adequate"])
    g.check("water supply check: total demand with hose, available pressure, margin, verdict", ok, weight=1.5,
            expected=[round(s["total_demand_gpm"], 1), round(s["available_pressure_psi"], 2),
                      round(s["safety_margin_psi"], 2), s["supply_adequate"]],
            found=[summary.get(k) for k in ("total_demand_gpm", "available_pressure_psi", "safety_margin_psi",
                                            "supply_adequate")])


def grade(g: Grading) -> None:
    if not g.require_files("node_results.csv", "pipe_results.csv", "summary.json"):
        return
    node_rows = g.read_csv("node_results.csv", required_columns=NODE_COLUMNS)
    pipe_rows = g.read_csv("pipe_results.csv", required_columns=PIPE_COLUMNS)
    summary = g.read_json("summary.json")
    if node_rows is None or pipe_rows is None or summary is None:
        return
    if not g.check("summary.json is a JSON object", isinstance(summary, dict), gate=True, weight=0):
        return
    ref = g.reference_json("reference.json")
    nodes, pipes = keyed(node_rows, "node"), keyed(pipe_rows, "pipe")
    check_physics(g, ref, nodes, pipes)
    check_pipe_columns(g, ref, pipes)
    check_against_reference(g, ref, nodes, pipes)
    check_design_point(g, ref, nodes, summary)
