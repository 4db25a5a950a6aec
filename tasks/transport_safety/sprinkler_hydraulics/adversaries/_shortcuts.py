#!/usr/bin/env python3
"""Near-miss shortcut agents for transport_safety/sprinkler_hydraulics; the name it runs under picks one.

- equivalent_k_balance: the traditional hand calculation. It works back from the end of every
  flowing line at the minimum pressure and, where two paths meet at a tee, balances them with the
  equivalent K (Q scaled by sqrt(P_high / P_low)) instead of solving each path at the pressure it
  actually gets; pressures are then walked out from the connection with those flows. It knows no loops:
  a return main is taken as one more branch.
- equivalent_k_scaled_lines: the same hand calculation, but every balanced line keeps its sprinkler
  pressures scaled with its flows (P x ratio^2), so Q = K sqrt(p) holds at every sprinkler and the
  balance error hides in the pipe friction instead.
- equivalent_k_corrected: the same hand calculation, then one correction pass instead of a network solve:
  every sprinkler's discharge recomputed as K sqrt(p) at its walked-out pressure (all pressures raised
  first so that the lowest sprinkler sits at the minimum) and the pipe flows summed again from those
  discharges; the pressures are not walked out again, so the friction the flows imply is a little off.
- minimum_flow_heads: EPANET with every design-area sprinkler as a fixed demand of the minimum
  flow (demand-driven, no sprinkler overflow), the connection pressure set so that the worst
  sprinkler sits at the minimum pressure; discharges reported as that fixed minimum flow.
- fittings_not_c_adjusted: the full EPANET emitter solution, but the fittings' equivalent lengths
  are taken straight from the C = 120 table for every pipe (the C-factor multiplier skipped).
"""
# ALE-CANARY-065b0c5c-ced7-4fbc-83a7-5b58f14f72a0

import csv
import json
import math
import os
import tempfile
from pathlib import Path

import epanet.toolkit as en

INPUT = Path(os.environ["ALE_INPUT_DIR"])
OUTPUT = Path(os.environ["ALE_OUTPUT_DIR"])
MODE = Path(__file__).name.removesuffix(".py")
PSI_PER_FT = 0.433


def table(name):
    with open(INPUT / name, newline="") as handle:
        return list(csv.DictReader(handle))


criteria = json.loads((INPUT / "design_criteria.json").read_text())
test = json.loads((INPUT / "flow_test.json").read_text())
nodes = {n["node"]: n for n in table("nodes.csv")}
pipes = table("pipes.csv")
equivalent = {row["nominal_in"]: row for row in table("equivalent_lengths.csv")}
multiplier = {140: 1.33, 130: 1.16, 150: 1.51, 100: 0.713, 120: 1.0}
heads = [n for n, a in nodes.items() if a["design_area"] == "1"]
K = float(criteria["sprinkler_k_factor"])
Q_MIN = {h: criteria["density_gpm_per_ft2"] * float(nodes[h]["coverage_ft2"]) for h in heads}
P_MIN = {h: max(criteria["minimum_sprinkler_pressure_psi"], (q / K) ** 2) for h, q in Q_MIN.items()}


def total_length(p):
    codes = [c.strip() for c in p["fittings"].split(",") if c.strip()]
    eq = sum(float(equivalent[p["nominal_in"]][c]) for c in codes)
    factor = 1.0 if MODE == "fittings_not_c_adjusted" else multiplier[int(float(p["c_factor"]))]
    return float(p["length_ft"]) + eq * factor


LENGTH = {p["pipe"]: total_length(p) for p in pipes}


def friction(p, q):
    return 4.52 * abs(q) ** 1.85 / (float(p["c_factor"]) ** 1.85 * float(p["diameter_in"]) ** 4.87)


def rise(p):
    return PSI_PER_FT * (float(nodes[p["to_node"]]["elevation_ft"]) - float(nodes[p["from_node"]]["elevation_ft"]))


def walk_out(p_source, flows):
    """Pressures from the connection outwards along the given pipe flows."""
    pressure = {"S": p_source}
    pending = list(pipes)
    while pending:
        p = next(p for p in pending if p["from_node"] in pressure)
        pending.remove(p)
        pressure[p["to_node"]] = pressure[p["from_node"]] - friction(p, flows[p["pipe"]]) * LENGTH[p["pipe"]] - rise(p)
    return pressure


def hand_calculation():
    """Equivalent-K balancing at every junction, working back from the far ends."""
    below = {}
    for p in pipes:
        below.setdefault(p["from_node"], []).append(p)
    flows = {p["pipe"]: 0.0 for p in pipes}
    at_head = {}  # each flowing sprinkler's pressure in the hand calculation

    def subtree(node):
        return [node] + [n for p in below.get(node, []) for n in subtree(p["to_node"])]

    def scale(node, ratio):
        for n in subtree(node):
            if n in at_head:
                at_head[n] *= ratio ** 2
            for p in below.get(n, []):
                flows[p["pipe"]] *= ratio

    def back(node):
        """(flow into node, pressure needed at node) with its most demanding far end at the minimum."""
        paths = []
        for p in below.get(node, []):
            q, need = back(p["to_node"])
            if q > 0:
                flows[p["pipe"]] = q
                paths.append((p, q, need + friction(p, q) * LENGTH[p["pipe"]] + rise(p)))
        own = node in heads
        if not paths:
            if own:
                at_head[node] = P_MIN[node]
            return (K * math.sqrt(P_MIN[node]), P_MIN[node]) if own else (0.0, -math.inf)
        pressure = max([need for _, _, need in paths] + ([P_MIN[node]] if own else []))
        if own:
            at_head[node] = pressure
        total = K * math.sqrt(pressure) if own else 0.0
        for p, q, need in paths:
            ratio = math.sqrt(pressure / need)
            flows[p["pipe"]] = q * ratio
            scale(p["to_node"], ratio)
            total += q * ratio
        return total, pressure

    _, p_source = back("S")
    pressure = walk_out(p_source, flows)
    if MODE == "equivalent_k_scaled_lines":
        pressure.update(at_head)
    if MODE == "equivalent_k_corrected":
        lift = -min(pressure[h] - P_MIN[h] for h in heads)
        pressure = {n: v + lift for n, v in pressure.items()}
        p_source += lift
        discharge = {h: K * math.sqrt(pressure[h]) for h in heads}

        def resum(node):
            total = discharge.get(node, 0.0)
            for p in below.get(node, []):
                flows[p["pipe"]] = resum(p["to_node"])
                total += flows[p["pipe"]]
            return total

        resum("S")
        return p_source, pressure, discharge, flows
    discharge = {}
    for n in heads:
        inflow = sum(flows[p["pipe"]] for p in pipes if p["to_node"] == n)
        outflow = sum(flows[p["pipe"]] for p in pipes if p["from_node"] == n)
        discharge[n] = inflow - outflow
    return p_source, pressure, discharge, flows


def epanet_calculation():
    """EPANET, sprinklers as emitters (or fixed minimum demands); connection pressure by bisection."""
    work = Path(tempfile.mkdtemp())
    fixed = MODE == "minimum_flow_heads"
    lines = ["[JUNCTIONS]"]
    lines += [f"{n} {a['elevation_ft']} {Q_MIN[n] if fixed and n in heads else 0}" for n, a in nodes.items() if n != "S"]
    lines += ["[RESERVOIRS]", f"S {nodes['S']['elevation_ft']}", "[PIPES]"]
    lines += [f"{p['pipe']} {p['from_node']} {p['to_node']} {LENGTH[p['pipe']]} {p['diameter_in']} {p['c_factor']} 0"
              for p in pipes]
    if not fixed:
        lines += ["[EMITTERS]"] + [f"{n} {K}" for n in heads]
    lines += ["[OPTIONS]", "Units GPM", "Headloss H-W", "Accuracy 0.00000001", "Trials 500", "Emitter Exponent 0.5",
              "[END]"]
    (work / "net.inp").write_text("\n".join(lines) + "\n")
    ph = en.createproject()
    en.open(ph, str(work / "net.inp"), str(work / "net.rpt"), "")
    en.openH(ph)
    src = en.getnodeindex(ph, "S")
    z = float(nodes["S"]["elevation_ft"])

    def run(p_source):
        en.setnodevalue(ph, src, en.ELEVATION, z + p_source / PSI_PER_FT)
        en.initH(ph, 0)
        en.runH(ph)
        return {n: en.getnodevalue(ph, en.getnodeindex(ph, n), en.PRESSURE) for n in nodes if n != "S"}

    lo, hi = 0.0, 400.0
    for _ in range(60):
        mid = (lo + hi) / 2
        at = run(mid)
        lo, hi = (lo, mid) if all(at[h] >= P_MIN[h] for h in heads) else (mid, hi)
    pressure = {"S": hi, **run(hi)}
    flows = {p["pipe"]: en.getlinkvalue(ph, en.getlinkindex(ph, p["pipe"]), en.FLOW) for p in pipes}
    discharge = {h: Q_MIN[h] if fixed else K * math.sqrt(max(pressure[h], 0.0)) for h in heads}
    return hi, pressure, discharge, flows


p_source, pressure, discharge, flows = hand_calculation() if MODE.startswith("equivalent_k") else epanet_calculation()
OUTPUT.mkdir(parents=True, exist_ok=True)
with open(OUTPUT / "node_results.csv", "w", newline="") as handle:
    w = csv.writer(handle)
    w.writerow(["node", "elevation_ft", "pressure_psi", "discharge_gpm", "minimum_pressure_psi"])
    for n, a in nodes.items():
        w.writerow([n, a["elevation_ft"], f"{pressure[n]:.3f}", f"{discharge.get(n, 0.0):.3f}",
                    f"{P_MIN[n]:.3f}" if n in P_MIN else ""])
with open(OUTPUT / "pipe_results.csv", "w", newline="") as handle:
    w = csv.writer(handle)
    w.writerow(["pipe", "from_node", "to_node", "flow_gpm", "total_length_ft", "friction_psi_per_ft",
                "friction_loss_psi", "velocity_fps"])
    for p in pipes:
        q, f = flows[p["pipe"]], friction(p, flows[p["pipe"]])
        w.writerow([p["pipe"], p["from_node"], p["to_node"], f"{q:.3f}", f"{LENGTH[p['pipe']]:.2f}", f"{f:.6f}",
                    f"{f * LENGTH[p['pipe']]:.4f}", f"{0.4085 * q / float(p['diameter_in']) ** 2:.3f}"])
q_sprinklers = sum(discharge.values())
hose = criteria["hose_stream_allowance_gpm"]
total = q_sprinklers + hose
available = test["static_psi"] - (test["static_psi"] - test["residual_psi"]) * (total / test["residual_flow_gpm"]) ** 1.85
governing = min(heads, key=lambda h: pressure[h] - P_MIN[h])
summary = {
    "governing_sprinkler": governing, "min_sprinkler_flow_gpm": Q_MIN[governing],
    "min_sprinkler_pressure_psi": P_MIN[governing], "sprinkler_demand_gpm": round(q_sprinklers, 2),
    "required_pressure_psi": round(p_source, 3), "hose_allowance_gpm": hose, "total_demand_gpm": round(total, 2),
    "available_pressure_psi": round(available, 3), "safety_margin_psi": round(available - p_source, 3),
    "supply_adequate": available - p_source >= criteria["safety_margin_psi"],
}
(OUTPUT / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
