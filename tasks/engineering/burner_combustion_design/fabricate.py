#!/usr/bin/env python3
"""Plausible fabrication for engineering/burner_combustion_design: a hand calculation, no Cantera.

The air requirement and the flue gas come from a correct atom balance; the flame temperatures from
the fuel's lower heating value over a constant product heat capacity (no dissociation, no NO, CO only
as the oxygen deficit on the rich side); the ignition delays from a natural-gas correlation. The
operating point follows from that table.
"""

import csv
import json
import math
import os
from pathlib import Path

inp = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
out = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
sheet = json.loads((inp / "burner_datasheet.json").read_text())
lines = [line for line in (inp / "fuel_gas_analysis.csv").read_text().splitlines() if not line.startswith("#")]
fuel = {row["Formula"]: float(row["Mole %"]) for row in csv.DictReader(lines) if row["Formula"]}
total = sum(fuel.values())
fuel = {k: v / total for k, v in fuel.items()}
air = {k.upper(): v / 100 for k, v in sheet["combustion_air"]["composition_mol_pct"].items()}

C = {"CH4": 1, "C2H6": 2, "C3H8": 3, "CO2": 1}
H = {"CH4": 4, "C2H6": 6, "C3H8": 8, "H2": 2}
LHV_KJ_PER_MOL = {"CH4": 802.3, "C2H6": 1428.6, "C3H8": 2043.1, "H2": 241.8}
M = {"CH4": 16.04, "C2H6": 30.07, "C3H8": 44.10, "H2": 2.016, "N2": 28.013, "CO2": 44.01, "O2": 31.998, "AR": 39.95}
c = sum(x * C.get(s, 0) for s, x in fuel.items())
h = sum(x * H.get(s, 0) for s, x in fuel.items())
c_fuel = sum(x * C.get(s, 0) for s, x in fuel.items() if s != "CO2")
demand = c_fuel + h / 4
stoich = demand / air["O2"]
m_fuel = sum(x * M[s] for s, x in fuel.items())
m_air = sum(x * M[s] for s, x in air.items())
lhv = sum(x * LHV_KJ_PER_MOL.get(s, 0) for s, x in fuel.items())
t_fuel = sheet["fuel_gas"]["supply_temperature_C"] + 273.15
t_air = sheet["combustion_air"]["temperature_C"] + 273.15


def products(phi):
    a = stoich / phi
    o2 = a * air["O2"]
    p = {"CO2": c, "H2O": h / 2, "N2": fuel.get("N2", 0) + a * air.get("N2", 0), "AR": a * air.get("AR", 0), "O2": 0.0, "CO": 0.0}
    if o2 >= demand:
        p["O2"] = o2 - demand
    else:
        p["CO"] = min(c_fuel, 2 * (demand - o2))
        p["CO2"] = c - p["CO"]
    return p, a


def flame(phi):
    p, a = products(phi)
    t_mix = (t_fuel * 2.2 * m_fuel + t_air * 1.05 * a * m_air) / (2.2 * m_fuel + 1.05 * a * m_air)
    heat = lhv if phi <= 1 else lhv / phi
    cp = 0.036 * sum(p.values())  # kJ/(mol K) of products, a constant mean value
    return t_mix + heat / cp, p


grid = sheet["equivalence_ratio_grid"]
n = round((grid["to"] - grid["from"]) / grid["step"]) + 1
rows = []
for i in range(n):
    phi = round(grid["from"] + i * grid["step"], 2)
    t, p = flame(phi)
    rows.append((phi, t, 0.0, p["CO"] / sum(p.values())))
out.mkdir(parents=True, exist_ok=True)
with (out / "flame_table.csv").open("w") as f:
    f.write("phi,T_ad_K,X_NO,X_CO\n")
    f.writelines(f"{phi:.2f},{t:.1f},{no:.4e},{co:.4e}\n" for phi, t, no, co in rows)

excess = sheet["operating_excess_air_pct"]
p, _ = products(1 / (1 + excess / 100))
wet = sum(p.values())
dry = wet - p["H2O"]
(out / "air_and_flue_gas.json").write_text(json.dumps({
    "afr_stoich_mass": stoich * m_air / m_fuel, "afr_stoich_volume": stoich,
    "flue_gas": {"excess_air_pct": excess,
                 "dry_mol_pct": {"CO2": 100 * p["CO2"] / dry, "O2": 100 * p["O2"] / dry, "N2": 100 * p["N2"] / dry,
                                 "Ar": 100 * p["AR"] / dry},
                 "H2O_wet_mol_pct": 100 * p["H2O"] / wet, "wet_volume_per_fuel_volume": wet,
                 "dry_volume_per_fuel_volume": dry}}, indent=1))

ign = sheet["ignition_check"]
delays = []
for t0 in ign["initial_temperatures_K"]:
    conc = ign["pressure_kPa_abs"] * 1e3 / (8.314 * t0) * 1e-6  # mol/cm3
    x_fuel = 1 / (1 + stoich / ign["equivalence_ratio"])
    o2 = conc * (1 - x_fuel) * air["O2"]
    ch4 = conc * x_fuel * fuel["CH4"]
    # Lifshitz-type methane correlation: tau = 3.62e-14 exp(46.5 kcal/mol / RT) [CH4]^0.33 [O2]^-1.03 s
    delays.append({"T0_K": t0, "ignition_delay_ms": 1e3 * 3.62e-14 * math.exp(46500 / (1.987 * t0))
                   * ch4 ** 0.33 * o2 ** -1.03})
(out / "ignition.json").write_text(json.dumps({"criterion": ign["criterion"], "delays": delays}, indent=1))

limit = sheet["flame_temperature_limit_K"]
best = max((r for r in rows if r[0] <= 1 and r[1] <= limit), key=lambda r: r[0], default=rows[0])
t_op, _ = flame(1 / (1 + excess / 100))
(out / "operating_point.json").write_text(json.dumps({
    "flame_temperature_limit_K": limit, "recommended_phi": best[0], "recommended_excess_air_pct": 100 * (1 / best[0] - 1),
    "T_ad_at_recommended_K": best[1], "T_ad_at_operating_excess_air_K": t_op,
    "operating_excess_air_within_limit": t_op <= limit}, indent=1))
