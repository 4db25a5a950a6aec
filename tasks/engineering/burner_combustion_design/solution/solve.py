#!/usr/bin/env python3
"""Oracle: run the Cantera calculations of combustion.py on the inputs and write the four deliverables,
recommending the least-excess-air lean grid point whose flame temperature stays within the limit.

ALE-CANARY-3869a198-a637-4f60-9cf5-e77975e4bbbd
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from combustion import DATASHEET, compute

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def main() -> None:
    sheet = json.loads((INPUT / DATASHEET).read_text())
    result = compute(INPUT)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    table = result["flame_table"]
    with (OUTPUT / "flame_table.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["phi", "T_ad_K", "X_NO", "X_CO"])
        for row in table:
            writer.writerow([f"{row['phi']:.2f}", f"{row['T_ad_K']:.2f}", f"{row['X_NO']:.6e}", f"{row['X_CO']:.6e}"])

    flue = result["flue_gas"]
    air_flue = {
        "afr_stoich_mass": round(result["afr_stoich_mass"], 5),
        "afr_stoich_volume": round(result["afr_stoich_volume"], 5),
        "flue_gas": {
            "excess_air_pct": sheet["operating_excess_air_pct"],
            "dry_mol_pct": {("Ar" if k == "AR" else k): round(v, 4) for k, v in flue["dry_mol_pct"].items()},
            "H2O_wet_mol_pct": round(flue["H2O_wet_mol_pct"], 4),
            "wet_volume_per_fuel_volume": round(flue["wet_per_fuel"], 5),
            "dry_volume_per_fuel_volume": round(flue["dry_per_fuel"], 5),
        },
    }
    (OUTPUT / "air_and_flue_gas.json").write_text(json.dumps(air_flue, indent=2) + "\n")

    ignition = {"criterion": sheet["ignition_check"]["criterion"],
                "delays": [{"T0_K": int(t), "ignition_delay_ms": round(1e3 * s, 6)}
                           for t, s in result["ignition_delay_s"].items()]}
    (OUTPUT / "ignition.json").write_text(json.dumps(ignition, indent=2) + "\n")

    limit = sheet["flame_temperature_limit_K"]
    within = [row for row in table if row["phi"] <= 1.0 and row["T_ad_K"] <= limit]
    best = max(within, key=lambda row: row["phi"])
    operating_t = result["T_ad_at_operating_excess_air_K"]
    operating = {
        "flame_temperature_limit_K": limit,
        "recommended_phi": best["phi"],
        "recommended_excess_air_pct": round(100.0 * (1.0 / best["phi"] - 1.0), 3),
        "T_ad_at_recommended_K": round(best["T_ad_K"], 2),
        "T_ad_at_operating_excess_air_K": round(operating_t, 2),
        "operating_excess_air_within_limit": operating_t <= limit,
    }
    (OUTPUT / "operating_point.json").write_text(json.dumps(operating, indent=2) + "\n")


if __name__ == "__main__":
    main()
