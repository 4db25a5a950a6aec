#!/usr/bin/env python3
"""Oracle for transport_safety/sprinkler_hydraulics: the system (tree or looped main) solved in EPANET (owa-epanet toolkit).

ALE-CANARY-065b0c5c-ced7-4fbc-83a7-5b58f14f72a0

Each pipe gets its length plus the C-adjusted equivalent length of its fittings; design-area
sprinklers are EPANET emitters (coefficient = K, exponent 0.5); the connection S is a reservoir
whose head is bisected until the most demanding sprinkler sits exactly at its minimum (each sprinkler's own:
density x its coverage, at no less than 7 psi). Results come from EPANET (pressures, flows, head losses); the
supply check uses the flow-test curve.

Run under another name (a symlink in adversaries/), it takes one shortcut:
- floor_ignored: each sprinkler's minimum pressure is (Q/K)^2, the 7 psi floor skipped.
- standard_coverage: every sprinkler is taken to cover the layout's full S x L (the largest coverage in
  nodes.csv), the end sprinklers' smaller coverage ignored.
"""

from __future__ import annotations

import csv
import json
import math
import os
import tempfile
from pathlib import Path

import epanet.toolkit as en

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
PSI_PER_FT = 0.4333  # EPANET's own conversion between head and pressure
SHORTCUT = Path(__file__).name.removesuffix(".py")


def table(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader((INPUT / name).read_text().splitlines()))


def equivalent_lengths(pipes: list[dict[str, str]], criteria: dict) -> dict[str, float]:
    eq = {row["nominal_in"]: row for row in table("equivalent_lengths.csv")}
    multipliers = dict(part.split(": ") for part in criteria["fittings"].split("multiplied for other C: ")[1].split(", "))
    out = {}
    for p in pipes:
        codes = [c.strip() for c in p["fittings"].split(",") if c.strip()]
        base = sum(float(eq[p["nominal_in"]][c]) for c in codes)
        out[p["pipe"]] = float(p["length_ft"]) + base * float(multipliers[f"C={int(float(p['c_factor']))}"])
    return out


def write_inp(path: Path, nodes: list[dict[str, str]], pipes: list[dict[str, str]], lengths: dict[str, float]) -> None:
    lines = ["[TITLE]", "sprinkler tree", "[JUNCTIONS]"]
    lines += [f"{n['node']} {n['elevation_ft']} 0" for n in nodes if n["node"] != "S"]
    source = next(n for n in nodes if n["node"] == "S")
    lines += ["[RESERVOIRS]", f"S {source['elevation_ft']}", "[PIPES]"]
    lines += [f"{p['pipe']} {p['from_node']} {p['to_node']} {lengths[p['pipe']]:.4f} {p['diameter_in']} {p['c_factor']} 0 Open"
              for p in pipes]
    lines += ["[EMITTERS]"] + [f"{n['node']} {n['k_factor']}" for n in nodes if n["design_area"] == "1"]
    lines += ["[OPTIONS]", "Units GPM", "Headloss H-W", "Accuracy 0.0000001", "Trials 1000", "Emitter Exponent 0.5",
              "[END]"]
    path.write_text("\n".join(lines) + "\n")


class Model:
    def __init__(self, inp: Path, work: Path) -> None:
        self.ph = en.createproject()
        en.open(self.ph, str(inp), str(work / "run.rpt"), "")
        en.openH(self.ph)
        self.src = en.getnodeindex(self.ph, "S")
        self.z_src = en.getnodevalue(self.ph, self.src, en.ELEVATION)

    def solve(self, p_source: float) -> None:
        en.setnodevalue(self.ph, self.src, en.ELEVATION, self.z_src + p_source / PSI_PER_FT)
        en.initH(self.ph, 0)
        en.runH(self.ph)

    def pressure(self, node: str) -> float:
        return en.getnodevalue(self.ph, en.getnodeindex(self.ph, node), en.PRESSURE)

    def link(self, pipe: str, prop: int) -> float:
        return en.getlinkvalue(self.ph, en.getlinkindex(self.ph, pipe), prop)


def main() -> None:
    criteria = json.loads((INPUT / "design_criteria.json").read_text())
    test = json.loads((INPUT / "flow_test.json").read_text())
    nodes, pipes = table("nodes.csv"), table("pipes.csv")
    lengths = equivalent_lengths(pipes, criteria)
    floor = 0.0 if SHORTCUT == "floor_ignored" else criteria["minimum_sprinkler_pressure_psi"]
    k_factor = {n["node"]: float(n["k_factor"]) for n in nodes if n["design_area"] == "1"}
    coverage = {n["node"]: float(n["coverage_ft2"]) for n in nodes if n["node"] in k_factor}
    if SHORTCUT == "standard_coverage":
        coverage = dict.fromkeys(coverage, max(coverage.values()))
    q_min = {h: criteria["density_gpm_per_ft2"] * area for h, area in coverage.items()}
    p_min = {h: max(floor, (q / k_factor[h]) ** 2) for h, q in q_min.items()}

    work = Path(tempfile.mkdtemp())
    write_inp(work / "tree.inp", nodes, pipes, lengths)
    model = Model(work / "tree.inp", work)

    def slack(p: float) -> float:
        model.solve(p)
        return min(model.pressure(h) - p_min[h] for h in k_factor)

    lo, hi = 0.0, 400.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if slack(mid) >= 0 else (mid, hi)
    p_source = hi
    model.solve(p_source)

    OUTPUT.mkdir(parents=True, exist_ok=True)
    pressures = {n["node"]: (p_source if n["node"] == "S" else model.pressure(n["node"])) for n in nodes}
    discharge = {h: k_factor[h] * math.sqrt(max(pressures[h], 0.0)) for h in k_factor}
    with open(OUTPUT / "node_results.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["node", "elevation_ft", "pressure_psi", "discharge_gpm", "minimum_pressure_psi"])
        for n in nodes:
            node = n["node"]
            w.writerow([node, n["elevation_ft"], f"{pressures[node]:.3f}", f"{discharge.get(node, 0.0):.3f}",
                        f"{p_min[node]:.3f}" if node in p_min else ""])
    with open(OUTPUT / "pipe_results.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["pipe", "from_node", "to_node", "flow_gpm", "total_length_ft", "friction_psi_per_ft",
                    "friction_loss_psi", "velocity_fps"])
        for p in pipes:
            q = model.link(p["pipe"], en.FLOW)
            loss_psi = model.link(p["pipe"], en.HEADLOSS) * PSI_PER_FT  # EPANET: the pipe's whole head loss, ft
            w.writerow([p["pipe"], p["from_node"], p["to_node"], f"{q:.3f}", f"{lengths[p['pipe']]:.2f}",
                        f"{loss_psi / lengths[p['pipe']]:.6f}", f"{loss_psi:.4f}",
                        f"{model.link(p['pipe'], en.VELOCITY):.3f}"])
    governing = min(k_factor, key=lambda h: pressures[h] - p_min[h])
    q_sprinklers = sum(discharge.values())
    hose = criteria["hose_stream_allowance_gpm"]
    total = q_sprinklers + hose
    available = test["static_psi"] - (test["static_psi"] - test["residual_psi"]) * (total / test["residual_flow_gpm"]) ** 1.85
    summary = {
        "governing_sprinkler": governing, "min_sprinkler_flow_gpm": round(q_min[governing], 3),
        "min_sprinkler_pressure_psi": round(p_min[governing], 3), "sprinkler_demand_gpm": round(q_sprinklers, 2),
        "required_pressure_psi": round(p_source, 3), "hose_allowance_gpm": hose, "total_demand_gpm": round(total, 2),
        "available_pressure_psi": round(available, 3), "safety_margin_psi": round(available - p_source, 3),
        "supply_adequate": available - p_source >= criteria["safety_margin_psi"],
        "solver": "EPANET 2.3 (owa-epanet toolkit), emitters for sprinklers",
    }
    (OUTPUT / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    en.closeH(model.ph)
    en.close(model.ph)
    en.deleteproject(model.ph)


if __name__ == "__main__":
    main()
