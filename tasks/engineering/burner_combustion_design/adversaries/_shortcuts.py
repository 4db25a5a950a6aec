#!/usr/bin/env python3
"""Near-miss shortcut agents for engineering/burner_combustion_design; the shortcut follows the name it runs under.

Each does the whole job with Cantera except for one cheaper step:
- no_dissociation: flame temperatures from complete combustion with a constant product cp (no
  dissociation, so no NO and no CO on the lean side).
- major_species_only: HP equilibrium over the major species only (no O, H, OH, N and other radicals).
- single_temperature: the fuel and the air both taken at the air's temperature (the fuel's own supply
  temperature ignored when mixing).
- fuel_at_reference_temperature: the fuel taken at 25 C, the reference temperature of its heating value,
  instead of its supply temperature.
- ignition_correlation: ignition delays from the Spadaccini-Colket natural-gas correlation, no reactor run.
- constant_volume_ignition: the ignition run in a constant-volume reactor instead of at constant pressure.
- arrhenius_interpolated_ignition: reactor runs at the first and last initial temperatures only; the delays
  between them interpolated linearly in ln(tau) against 1/T0 (an Arrhenius line through the two ends).
- wet_flue_gas: the flue-gas composition reported on a wet basis (the analyser's dry reading not derived).
"""

import csv
import json
import math
import os
from pathlib import Path

import cantera as ct
import numpy as np

INPUT = Path(os.environ["ALE_INPUT_DIR"])
OUTPUT = Path(os.environ["ALE_OUTPUT_DIR"])
MODE = Path(__file__).name.removesuffix(".py")
MAJOR = ["CH4", "C2H6", "C3H8", "H2", "O2", "N2", "AR", "CO2", "H2O", "CO", "NO"]

sheet = json.loads((INPUT / "burner_datasheet.json").read_text())
analysis = [r for r in csv.reader(line for line in (INPUT / "fuel_gas_analysis.csv").read_text().splitlines()
                                  if line and not line.startswith("#"))][1:]
fuel = {row[1]: float(row[2]) for row in analysis if row[1]}
air = {k.upper(): v for k, v in sheet["combustion_air"]["composition_mol_pct"].items()}
P = sheet["firing_pressure_kPa_abs"] * 1000.0
T_FUEL = sheet["fuel_gas"]["supply_temperature_C"] + 273.15
T_AIR = sheet["combustion_air"]["temperature_C"] + 273.15
if MODE == "single_temperature":
    T_FUEL = T_AIR
if MODE == "fuel_at_reference_temperature":
    T_FUEL = 298.15

gri = ct.Solution("gri30.yaml")
eq_gas = gri if MODE != "major_species_only" else ct.Solution(
    thermo="ideal-gas", species=[gri.species(name) for name in MAJOR])


def stream(gas, temperature, composition, moles):
    gas.TPX = temperature, P, composition
    return ct.Quantity(gas, moles=moles, constant="HP")


def air_moles_per_fuel(phi):
    afr_mass = gri.stoich_air_fuel_ratio(fuel, air, basis="mole")
    gri.X = fuel
    m_fuel = gri.mean_molecular_weight
    gri.X = air
    return afr_mass * m_fuel / gri.mean_molecular_weight / phi


def products(phi):
    """The burnt state at phi (a Quantity), by the mode's method."""
    mix = stream(eq_gas, T_FUEL, fuel, 1.0) + stream(eq_gas, T_AIR, air, air_moles_per_fuel(phi))
    if MODE != "no_dissociation":
        mix.equilibrate("HP")
        return mix.phase
    h_react = mix.phase.enthalpy_mass
    burnt = complete_products(phi)
    gri.TPX = 298.15, P, burnt
    h_298 = gri.enthalpy_mass
    gri.TPX = 1500.0, P, burnt
    cp = gri.cp_mass
    gri.TPX = 298.15 + (h_react - h_298) / cp, P, burnt
    return gri


def complete_products(phi):
    """Complete-combustion products per mole of fuel; a rich mixture leaves CO and H2 in the water-gas split 1:1."""
    gri.X = fuel
    c = gri.elemental_mass_fraction("C") * gri.mean_molecular_weight / gri.atomic_weight("C")
    h = gri.elemental_mass_fraction("H") * gri.mean_molecular_weight / gri.atomic_weight("H")
    o_f = gri.elemental_mass_fraction("O") * gri.mean_molecular_weight / gri.atomic_weight("O")
    n_f = gri.elemental_mass_fraction("N") * gri.mean_molecular_weight / gri.atomic_weight("N")
    total = sum(air.values())
    a = air_moles_per_fuel(phi)
    o2 = a * air["O2"] / total + o_f / 2
    demand = c + h / 4
    out = {"N2": n_f / 2 + a * air.get("N2", 0.0) / total, "AR": a * air.get("AR", 0.0) / total}
    if o2 >= demand:
        out.update({"CO2": c, "H2O": h / 2, "O2": o2 - demand})
    else:
        short = 2 * (demand - o2)  # oxygen atoms missing: split between CO and H2 evenly
        out.update({"CO2": c - short / 2, "CO": short / 2, "H2O": h / 2 - short / 2, "H2": short / 2})
    return out


def ignition_ms(T0):
    ign = sheet["ignition_check"]
    gri.TP = T0, ign["pressure_kPa_abs"] * 1000.0
    gri.set_equivalence_ratio(ign["equivalence_ratio"], fuel, air)
    if MODE == "ignition_correlation":
        conc = {k: gri.concentrations[gri.species_index(k)] * 1e-3 for k in ("O2", "CH4", "C2H6", "C3H8")}
        return 1e3 * 1.77e-14 * math.exp(18693.0 / T0) * conc["O2"] ** -1.05 * conc["CH4"] ** 0.66 * (
            conc["C2H6"] + conc["C3H8"]) ** -0.39
    reactor = (ct.IdealGasReactor if MODE == "constant_volume_ignition" else ct.IdealGasConstPressureReactor)(
        gri, clone=False)
    net = ct.ReactorNet([reactor])
    t, temps, oh = [0.0], [T0], [0.0]
    while net.time < 20.0:
        net.step()
        t.append(net.time)
        temps.append(reactor.phase.T)
        oh.append(reactor.phase["OH"].X[0])
        if temps[-1] > T0 + 600 and temps[-1] - temps[-2] < 1e-3:
            break
    if ign["criterion"] == "OH_peak":
        return 1e3 * t[int(np.argmax(oh))]
    rate = np.diff(temps) / np.diff(t)
    k = int(np.argmax(rate))
    return 1e3 * 0.5 * (t[k] + t[k + 1])


def arrhenius_line(delays, T0):
    """The delay at T0 on the straight line of ln(tau) against 1/T through the two delays run."""
    (t_low, tau_low), (t_high, tau_high) = sorted(delays.items())
    share = (1 / T0 - 1 / t_low) / (1 / t_high - 1 / t_low)
    return math.exp(math.log(tau_low) + share * math.log(tau_high / tau_low))


def flue_gas():
    excess = sheet["operating_excess_air_pct"]
    phi = 1 / (1 + excess / 100)
    burnt = complete_products(phi)
    wet = sum(burnt.values())
    dry = wet - burnt["H2O"]
    basis = wet if MODE == "wet_flue_gas" else dry
    return {"excess_air_pct": excess,
            "dry_mol_pct": {("Ar" if k == "AR" else k): 100 * burnt[k] / basis for k in ("CO2", "O2", "N2", "AR")},
            "H2O_wet_mol_pct": 100 * burnt["H2O"] / wet,
            "wet_volume_per_fuel_volume": wet,
            "dry_volume_per_fuel_volume": dry}


def main():
    g = sheet["equivalence_ratio_grid"]
    n = round((g["to"] - g["from"]) / g["step"]) + 1
    fuel_total = sum(fuel.values())
    for k in fuel:
        fuel[k] /= fuel_total
    air_total = sum(air.values())
    for k in air:
        air[k] /= air_total
    OUTPUT.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        phi = round(g["from"] + i * g["step"], 2)
        state = products(phi)
        rows.append((phi, state.T, state["NO"].X[0] if "NO" in state.species_names else 0.0,
                     state["CO"].X[0]))
    with (OUTPUT / "flame_table.csv").open("w") as f:
        f.write("phi,T_ad_K,X_NO,X_CO\n")
        for phi, t, no, co in rows:
            f.write(f"{phi:.2f},{t:.2f},{no:.5e},{co:.5e}\n")
    afr_mass = gri.stoich_air_fuel_ratio(fuel, air, basis="mole")
    doc = {"afr_stoich_mass": afr_mass, "afr_stoich_volume": air_moles_per_fuel(1.0), "flue_gas": flue_gas()}
    (OUTPUT / "air_and_flue_gas.json").write_text(json.dumps(doc, indent=1))
    ign = sheet["ignition_check"]
    temperatures = ign["initial_temperatures_K"]
    delays = {T0: ignition_ms(T0) for T0 in (temperatures if MODE != "arrhenius_interpolated_ignition"
                                             else (temperatures[0], temperatures[-1]))}
    (OUTPUT / "ignition.json").write_text(json.dumps({"criterion": ign["criterion"], "delays": [
        {"T0_K": T0, "ignition_delay_ms": delays.get(T0) or arrhenius_line(delays, T0)} for T0 in temperatures]}))
    limit = sheet["flame_temperature_limit_K"]
    best = max((r for r in rows if r[0] <= 1.0 and r[1] <= limit), key=lambda r: r[0], default=rows[0])
    t_op = products(1 / (1 + sheet["operating_excess_air_pct"] / 100)).T
    (OUTPUT / "operating_point.json").write_text(json.dumps({
        "flame_temperature_limit_K": limit, "recommended_phi": best[0],
        "recommended_excess_air_pct": 100 * (1 / best[0] - 1), "T_ad_at_recommended_K": best[1],
        "T_ad_at_operating_excess_air_K": t_op, "operating_excess_air_within_limit": bool(t_op <= limit)}))


main()
