#!/usr/bin/env python3
"""Oracle: diagnose the existing network, design the least-cost replacements with design.py (EPANET
toolkit through WNTR), write the upgraded network with WNTR and the schedule, deficit table and memo.

ALE-CANARY-4043e03d-64a8-44fa-8f8a-43fc097114c1
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")

import wntr  # noqa: E402

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
HERE = Path(__file__).parent


def main() -> None:
    standard = json.loads((INPUT / "design_standard.json").read_text())
    lines = [r for r in csv.reader(line for line in (INPUT / "pipe_catalogue.csv").read_text().splitlines()
                                   if line and not line.startswith("#"))]
    unit = {float(r[1]): float(r[3]) for r in lines[1:]}
    with tempfile.TemporaryDirectory() as work:
        catalogue = Path(work) / "catalogue.csv"
        catalogue.write_text("d,id,cost\n" + "".join(f"{d},{d},{c}\n" for d, c in unit.items()))
        done = subprocess.run(["python3", str(HERE / "design.py"), str(INPUT / "network.inp"),
                               str(INPUT / "design_standard.json"), str(catalogue), work],
                              capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    OUTPUT.mkdir(parents=True, exist_ok=True)

    with (OUTPUT / "deficits_existing.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["criterion", "element_id", "value", "limit"])
        for criterion, element, value, limit in result["existing_deficits"]:
            writer.writerow([criterion, element, f"{value:.3f}", f"{limit:g}"])

    wn = wntr.network.WaterNetworkModel(str(INPUT / "network.inp"))
    for _, junction in wn.junctions():
        for demand in junction.demand_timeseries_list:
            demand.base_value *= standard["demand_growth_factor"]
    pipes = result["pipes"]
    rows, total = [], 0.0
    for pipe_id, diameter in sorted(result["design"].items()):
        pipe = wn.get_link(pipe_id)
        pipe.diameter = diameter / 1000.0
        pipe.roughness = standard["new_pipe_roughness_C"]
        length, old, _ = pipes[pipe_id]
        cost = length * unit[diameter]
        total += cost
        rows.append([pipe_id, f"{old:g}", f"{diameter:g}", f"{length:.1f}", f"{unit[diameter]:.2f}", f"{cost:.2f}"])
    wntr.network.write_inpfile(wn, str(OUTPUT / "upgraded_network.inp"), units="LPS")
    with (OUTPUT / "upgrade_schedule.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["pipe_id", "existing_diameter_mm", "new_diameter_mm", "length_m", "unit_cost_per_m", "cost"])
        writer.writerows(rows)

    final = result["final"]
    initial = {t.name: t.init_level for _, t in wn.tanks()}
    verified = {"min_peak_pressure_m": round(min(final["min_p"].values()), 3),
                "min_fire_residual_m": round(min(final["fire"].values()), 3),
                "max_velocity_m_s": round(max(final["max_v"].values()), 4),
                "tank_lowest_midnight_level_m": round(min(min(v) for v in final["midnights"].values()), 3)}
    residual = standard["fire_flow"]["min_residual_pressure_m"]
    margins = {"peak_pressure": (verified["min_peak_pressure_m"] - standard["min_pressure_m"]) / standard["min_pressure_m"],
               "fire_flow": (verified["min_fire_residual_m"] - residual) / residual,
               "velocity": (standard["max_velocity_m_s"] - verified["max_velocity_m_s"]) / standard["max_velocity_m_s"],
               "tank_recovery": min((min(v) - initial[t]) / initial[t] for t, v in final["midnights"].items())}
    within = total <= standard["capital_budget"]
    memo = {"total_capital_cost": round(total, 2), "pipes_replaced": len(rows), "verified": verified,
            "governing_criterion": min(margins, key=margins.get), "margins": margins,
            "capital_budget": standard["capital_budget"], "within_budget": within,
            "recommendation": "award" if within else "seek_funding"}
    (OUTPUT / "design_memo.json").write_text(json.dumps(memo, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
