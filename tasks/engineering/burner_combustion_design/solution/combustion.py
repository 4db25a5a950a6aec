#!/usr/bin/env python3
"""Burner combustion calculations with Cantera and GRI-Mech 3.0 (``gri30.yaml``).

ALE-CANARY-3869a198-a637-4f60-9cf5-e77975e4bbbd

``compute(input_dir)`` reads the fuel-gas analysis and the burner datasheet and returns every figure
the job needs, except the choice of operating point (which needs the datasheet's flame-temperature
limit): the HP-equilibrium flame table over the datasheet's equivalence-ratio grid, the
stoichiometric air requirement, the stack flue gas at the operating excess air, the adiabatic flame
temperature there, and the constant-pressure ignition delays. Run as a script it prints that dict as
JSON (the task's generator runs it this way to build the hidden reference).

Conventions: the fuel and the air are mixed adiabatically at the firing pressure from their own
supply temperatures, then brought to HP equilibrium; the equivalence ratio is (fuel/air) over
(fuel/air) at stoichiometry; the stack flue gas is the products of complete combustion (chemical
equilibrium at 298.15 K) at the operating excess air; volumes are ideal-gas (molar) ratios.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import cantera as ct
import numpy as np

MECHANISM = "gri30.yaml"
DATASHEET = "burner_datasheet.json"
FLUE_GAS_SPECIES = ("CO2", "O2", "N2", "AR")
STACK_TEMPERATURE_K = 298.15
ZERO_CELSIUS_K = 273.15


def read_fuel(input_dir: Path, analysis_file: str) -> dict[str, float]:
    """The fuel's mole fractions by GRI-Mech species name, normalised to 1 (the analysis is as measured)."""
    lines = [line for line in (input_dir / analysis_file).read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    fuel: dict[str, float] = {}
    for row in csv.DictReader(lines):
        formula = (row.get("Formula") or "").strip()
        if formula:
            fuel[formula.upper()] = fuel.get(formula.upper(), 0.0) + float(row["Mole %"])
    total = sum(fuel.values())
    return {species: value / total for species, value in fuel.items()}


def read_oxidiser(sheet: dict[str, Any]) -> dict[str, float]:
    """The combustion-air stream's mole fractions by GRI-Mech species name."""
    composition = {name.upper(): float(value) for name, value in sheet["combustion_air"]["composition_mol_pct"].items()}
    total = sum(composition.values())
    return {species: value / total for species, value in composition.items()}


def stoich_air_mass(gas: ct.Solution, fuel: dict[str, float], oxidiser: dict[str, float]) -> float:
    """Stoichiometric kg of air stream per kg of fuel (``basis`` names how the compositions are given)."""
    return gas.stoich_air_fuel_ratio(fuel, oxidiser, basis="mole")


def stoich_air_moles(gas: ct.Solution, fuel: dict[str, float], oxidiser: dict[str, float]) -> float:
    """Stoichiometric moles (ideal-gas volumes) of air stream per mole of fuel."""
    gas.TPX = None, None, fuel
    fuel_molar_mass = gas.mean_molecular_weight
    gas.TPX = None, None, oxidiser
    return stoich_air_mass(gas, fuel, oxidiser) * fuel_molar_mass / gas.mean_molecular_weight


def oxidiser_per_fuel(gas: ct.Solution, fuel: dict[str, float], oxidiser: dict[str, float], phi: float) -> float:
    """Moles of air stream per mole of fuel at equivalence ratio ``phi``."""
    return stoich_air_moles(gas, fuel, oxidiser) / phi


def adiabatic_equilibrium(gas: ct.Solution, fuel: dict[str, float], oxidiser: dict[str, float], phi: float,
                          fuel_temperature: float, air_temperature: float, pressure: float) -> None:
    """Leave ``gas`` at the HP equilibrium of fuel and air, each at its own temperature, mixed at ``phi``."""
    gas.TPX = fuel_temperature, pressure, fuel
    fuel_molar_mass, fuel_enthalpy = gas.mean_molecular_weight, gas.enthalpy_mole
    fuel_x = gas.X.copy()
    gas.TPX = air_temperature, pressure, oxidiser
    air_molar_mass, air_enthalpy = gas.mean_molecular_weight, gas.enthalpy_mole
    air_x = gas.X.copy()
    n_air = oxidiser_per_fuel(gas, fuel, oxidiser, phi)
    mixture = (fuel_x + n_air * air_x) / (1.0 + n_air)
    enthalpy_mass = (fuel_enthalpy + n_air * air_enthalpy) / (fuel_molar_mass + n_air * air_molar_mass)
    gas.HPX = enthalpy_mass, pressure, mixture
    gas.equilibrate("HP")


def flame_table(gas: ct.Solution, fuel: dict[str, float], oxidiser: dict[str, float], phis: list[float],
                fuel_temperature: float, air_temperature: float, pressure: float) -> list[dict[str, float]]:
    """Adiabatic flame temperature and equilibrium NO and CO mole fractions (wet) at each equivalence ratio."""
    rows = []
    for phi in phis:
        adiabatic_equilibrium(gas, fuel, oxidiser, phi, fuel_temperature, air_temperature, pressure)
        rows.append({"phi": phi, "T_ad_K": gas.T, "X_NO": float(gas["NO"].X[0]), "X_CO": float(gas["CO"].X[0])})
    return rows


def stack_flue_gas(gas: ct.Solution, fuel: dict[str, float], oxidiser: dict[str, float],
                   excess_air_pct: float) -> dict[str, Any]:
    """Complete-combustion flue gas at the excess air: dry and wet composition, volumes per volume of fuel."""
    phi = 1.0 / (1.0 + excess_air_pct / 100.0)
    n_air = oxidiser_per_fuel(gas, fuel, oxidiser, phi)
    gas.TP = STACK_TEMPERATURE_K, ct.one_atm
    gas.set_equivalence_ratio(phi, fuel, oxidiser)
    gas.equilibrate("TP")
    # oxygen atoms are conserved: they scale the products to one mole of fuel
    oxygen_in = _oxygen_atoms(gas, fuel) + n_air * _oxygen_atoms(gas, oxidiser)
    wet_per_fuel = oxygen_in / _oxygen_atoms(gas, dict(zip(gas.species_names, gas.X, strict=True)))
    x = {name: float(gas[name].X[0]) for name in (*FLUE_GAS_SPECIES, "H2O")}
    dry = 1.0 - x["H2O"]
    return {
        "phi": phi,
        "dry_mol_pct": {name: 100.0 * x[name] / dry for name in FLUE_GAS_SPECIES},
        "H2O_wet_mol_pct": 100.0 * x["H2O"],
        "wet_per_fuel": wet_per_fuel,
        "dry_per_fuel": wet_per_fuel * dry,
    }


def _oxygen_atoms(gas: ct.Solution, mole_fractions: dict[str, float]) -> float:
    """Oxygen atoms per mole of a mixture given by its mole fractions."""
    return sum(share * gas.n_atoms(species, "O") for species, share in mole_fractions.items())


def ignition_delay(gas: ct.Solution, fuel: dict[str, float], oxidiser: dict[str, float], phi: float,
                   temperature: float, pressure: float, criterion: str) -> float:
    """Constant-pressure, adiabatic ignition delay in seconds: the time of the largest dT/dt
    (``criterion="max_dTdt"``) or of the peak OH mole fraction (``"OH_peak"``)."""
    gas.TP = temperature, pressure
    gas.set_equivalence_ratio(phi, fuel, oxidiser)
    reactor = ct.IdealGasConstPressureReactor(gas, clone=False)
    network = ct.ReactorNet([reactor])
    oh = gas.species_index("OH")
    times, rates, oh_fractions = [], [], []
    while network.time < 20.0:
        network.step()
        state = reactor.phase
        times.append(network.time)
        rates.append(-float(np.dot(state.partial_molar_enthalpies, state.net_production_rates))
                     / (state.density * state.cp_mass))
        oh_fractions.append(float(state.X[oh]))
        peak = int(np.argmax(rates))
        burnt = state.T - temperature > 400.0
        if burnt and rates[-1] < 0.01 * rates[peak] and network.time > 3.0 * times[peak]:
            break
    series = rates if criterion == "max_dTdt" else oh_fractions
    return times[int(np.argmax(series))]


def grid(spec: dict[str, float]) -> list[float]:
    """The equivalence ratios from ``from`` to ``to`` (inclusive) by ``step``, rounded to 4 decimals."""
    count = round((spec["to"] - spec["from"]) / spec["step"]) + 1
    return [round(spec["from"] + k * spec["step"], 4) for k in range(count)]


def compute(input_dir: Path) -> dict[str, Any]:
    """Every computed figure of the job for the inputs in ``input_dir`` (see the module docstring)."""
    sheet = json.loads((input_dir / DATASHEET).read_text())
    fuel = read_fuel(input_dir, sheet["fuel_gas"]["analysis_file"])
    oxidiser = read_oxidiser(sheet)
    gas = ct.Solution(MECHANISM)
    pressure = sheet["firing_pressure_kPa_abs"] * 1e3
    fuel_t = sheet["fuel_gas"]["supply_temperature_C"] + ZERO_CELSIUS_K
    air_t = sheet["combustion_air"]["temperature_C"] + ZERO_CELSIUS_K
    excess = sheet["operating_excess_air_pct"]
    table = flame_table(gas, fuel, oxidiser, grid(sheet["equivalence_ratio_grid"]), fuel_t, air_t, pressure)
    adiabatic_equilibrium(gas, fuel, oxidiser, 1.0 / (1.0 + excess / 100.0), fuel_t, air_t, pressure)
    operating_t = gas.T
    ign = sheet["ignition_check"]
    delays = {str(t): ignition_delay(gas, fuel, oxidiser, ign["equivalence_ratio"], float(t),
                                     ign["pressure_kPa_abs"] * 1e3, ign["criterion"])
              for t in ign["initial_temperatures_K"]}
    return {
        "fuel": fuel, "oxidiser": oxidiser,
        "afr_stoich_mass": stoich_air_mass(gas, fuel, oxidiser),
        "afr_stoich_volume": stoich_air_moles(gas, fuel, oxidiser),
        "flame_table": table,
        "flue_gas": stack_flue_gas(gas, fuel, oxidiser, excess),
        "T_ad_at_operating_excess_air_K": operating_t,
        "ignition_delay_s": delays,
        "cantera_version": ct.__version__,
    }


if __name__ == "__main__":
    print(json.dumps(compute(Path(sys.argv[1])), indent=1))
