"""Burner combustion design for a fuel gas: equilibrium flame table, air and flue gas, ignition delay.

ALE-CANARY-3869a198-a637-4f60-9cf5-e77975e4bbbd

Workflow: a process/combustion engineer gets a gas-chromatograph analysis of a fuel gas (natural
gas, a hydrogen blend, or natural gas fired with oxygen-enriched air) and a burner datasheet. With
Cantera and GRI-Mech 3.0 they tabulate the adiabatic flame temperature and the equilibrium NO and CO
over an equivalence-ratio grid (HP equilibrium of fuel and air each at its own supply temperature),
work out the stoichiometric air requirement and the stack flue gas (dry basis) at the operating
excess air, run constant-pressure ignition-delay calculations in a reactor network, and recommend
the leanest-possible (least excess air) grid point whose flame temperature stays within the limit.

generate() writes the analysis and the datasheet, runs the oracle's Cantera module
(solution/combustion.py) with the tool environment's python to compute the reference, picks the
flame-temperature limit from that table, and cross-checks the stoichiometry and the flue gas with an
independent atom balance in numpy (it refuses to write an instance where the two disagree).

grade() compares every figure with the reference at tolerances that a constant-cp,
no-dissociation estimate, an equilibrium over a reduced species set, a one-temperature mixture, a
fuel taken at a reference temperature, a correlation for the ignition delay or a wet-basis flue gas
all miss (as does a middle ignition delay interpolated between the two end runs), checks that the
recommendation follows both from the true table and from the agent's own table, and that the datasheet
figures the deliverables restate are the datasheet's.
"""

from __future__ import annotations

import itertools
import json
import math
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, as_number, judge, run_tool_script

DATASHEET = "burner_datasheet.json"
ANALYSIS = "fuel_gas_analysis.csv"
TABLE = "flame_table.csv"
AIR_FLUE = "air_and_flue_gas.json"
IGNITION = "ignition.json"
OPERATING = "operating_point.json"
REFERENCE = "reference.json"

COMPONENTS = {"CH4": "Methane", "C2H6": "Ethane", "C3H8": "Propane", "H2": "Hydrogen", "N2": "Nitrogen",
              "CO2": "Carbon dioxide"}
ATOMIC_WEIGHTS = {"C": 12.011, "H": 1.008, "O": 15.999, "N": 14.007, "Ar": 39.95}
ATOMS = {"CH4": {"C": 1, "H": 4}, "C2H6": {"C": 2, "H": 6}, "C3H8": {"C": 3, "H": 8}, "H2": {"H": 2},
         "N2": {"N": 2}, "CO2": {"C": 1, "O": 2}, "O2": {"O": 2}, "AR": {"Ar": 1}}
DRY_AIR = {"O2": 20.95, "N2": 78.12, "Ar": 0.93}
FLUE_GAS = ("CO2", "O2", "N2", "AR")

T_TOL_K = 2.0
X_REL_TOL, X_ABS_TOL = 0.02, 2e-7
AFR_REL_TOL = 1e-3
FLUE_PCT_TOL = 0.02
FLUE_VOLUME_REL_TOL = 2e-3
DELAY_REL_TOL = 0.03
LIMIT_CLEARANCE_K = 10.0
LIMIT_SPAN_K = 150.0

KINDS = ("natural_gas", "hydrogen_blend", "oxygen_enriched")


# -- inputs ------------------------------------------------------------------------------------


def _fuel_analysis(kind: str, rng: np.random.Generator) -> dict[str, float]:
    """Mole % as reported by the chromatograph (sums to 100 within the analyser's closure error)."""
    minor = {"C2H6": rng.uniform(2.0, 7.0), "C3H8": rng.uniform(0.3, 2.0), "N2": rng.uniform(0.5, 3.0),
             "CO2": rng.uniform(0.2, 1.5)}
    if kind == "hydrogen_blend":
        minor["H2"] = rng.uniform(15.0, 40.0)
    composition = {"CH4": 100.0 - sum(minor.values()), **minor}
    closure = rng.uniform(0.995, 1.005)
    return {species: round(value * closure, 3) for species, value in composition.items()}


def _oxidiser(kind: str, rng: np.random.Generator) -> dict[str, float]:
    if kind != "oxygen_enriched":
        return dict(DRY_AIR)
    o2 = round(float(rng.uniform(25.0, 35.0)), 1)
    rest = 100.0 - o2
    ar = round(rest * DRY_AIR["Ar"] / (DRY_AIR["N2"] + DRY_AIR["Ar"]), 2)
    return {"O2": o2, "N2": round(rest - ar, 2), "Ar": ar}


def _datasheet(kind: str, rng: np.random.Generator) -> dict[str, Any]:
    """The burner datasheet without its flame-temperature limit (set from the computed table).

    The fuel gas is preheated at least 45 K above 25 C and the air at least 130 K above the fuel, so that
    taking the fuel at a reference temperature, or both streams at one temperature or at their mole-weighted
    mean, moves some flame temperature of the grid by more than T_TOL_K. The ignition check spans 300 K over
    which ln(tau) bends away from a straight line in 1/T (the apparent activation energy changes by a fifth or
    more), so the middle delay read off a line through the two end delays, in 1/T or in T, misses by more than
    DELAY_REL_TOL: it needs its own reactor run."""
    def pick(low: float, high: float, digits: int = 1) -> float:
        return round(float(rng.uniform(low, high)), digits)

    if kind == "hydrogen_blend":
        service = "Dry-low-NOx premix burner of a 45 MW industrial gas turbine, hydrogen-blend fuel conversion study"
        pressure = pick(1200.0, 2000.0, 0)
        air_c, fuel_c = pick(320.0, 440.0), pick(70.0, 180.0)
        phi_grid = {"from": 0.40, "to": 1.20, "step": 0.05}
        excess = pick(70.0, 110.0)
        ignition = {"equivalence_ratio": round(1.0 / (1.0 + excess / 100.0), 2), "pressure_kPa_abs": pressure,
                    "initial_temperatures_K": [int(t) for t in 1050 + 50 * rng.integers(0, 3) + np.array([0, 150, 300])],
                    "criterion": "OH_peak"}
    else:
        enriched = kind == "oxygen_enriched"
        service = ("Regenerative reheat furnace burner fired with VPSA oxygen-enriched combustion air" if enriched
                   else "Crude charge heater H-101 low-NOx burner with combustion-air preheater")
        pressure = pick(100.5, 103.0)
        air_c, fuel_c = (pick(230.0, 400.0) if enriched else pick(230.0, 320.0)), pick(70.0, 100.0)
        phi_grid = {"from": float(rng.choice([0.55, 0.60, 0.65])), "to": float(rng.choice([1.30, 1.35, 1.40])),
                    "step": 0.05}
        excess = pick(5.0, 15.0) if enriched else pick(10.0, 25.0)
        ignition = {"equivalence_ratio": float(rng.choice([0.8, 0.9, 1.0])), "pressure_kPa_abs": 101.325,
                    "initial_temperatures_K": [int(t) for t in 1000 + 50 * rng.integers(0, 3) + np.array([0, 150, 300])],
                    "criterion": "max_dTdt"}
    return {
        "service": service,
        "fuel_gas": {"analysis_file": ANALYSIS, "supply_temperature_C": fuel_c},
        "combustion_air": {"composition_mol_pct": _oxidiser(kind, rng), "temperature_C": air_c,
                           "note": "dry basis; temperature at the burner inlet"},
        "firing_pressure_kPa_abs": pressure,
        "equivalence_ratio_grid": phi_grid,
        "operating_excess_air_pct": excess,
        "ignition_check": ignition,
    }


def _analysis_csv(analysis: dict[str, float], sample: str) -> str:
    rows = [f"{COMPONENTS[s]},{s},{analysis[s]:.3f}" for s in sorted(analysis, key=analysis.get, reverse=True)]
    total = sum(analysis.values())
    return "\n".join([
        "# Gas chromatograph report (ISO 6974), results as measured, not normalised",
        f"# Sample {sample}, taken at the burner fuel-gas header",
        "Component,Formula,Mole %", *rows, f"Total,,{total:.3f}", ""])


# -- the reference -----------------------------------------------------------------------------


def _run_cantera(input_dir: Path) -> dict[str, Any]:
    """The oracle's Cantera module run on the inputs with the tool environment's python (the agent's Cantera)."""
    return json.loads(run_tool_script(__file__, Path(__file__).parent / "solution" / "combustion.py", str(input_dir)))


def _molar_mass(mixture: Mapping[str, float]) -> float:
    return sum(x * sum(n * ATOMIC_WEIGHTS[e] for e, n in ATOMS[s].items()) for s, x in mixture.items())


def atom_balance(fuel: Mapping[str, float], oxidiser: Mapping[str, float], excess_air_pct: float) -> dict[str, Any]:
    """Stoichiometric air and complete-combustion flue gas per mole of fuel, by counting atoms (no Cantera)."""
    def atoms(element: str) -> float:
        return sum(x * ATOMS[s].get(element, 0) for s, x in fuel.items())

    o2_demand = atoms("C") + atoms("H") / 4 - atoms("O") / 2
    stoich = o2_demand / oxidiser["O2"]
    air = stoich * (1 + excess_air_pct / 100)
    products = {"CO2": atoms("C"), "H2O": atoms("H") / 2, "N2": atoms("N") / 2 + air * oxidiser.get("N2", 0.0),
                "AR": air * oxidiser.get("AR", 0.0), "O2": air * oxidiser["O2"] - o2_demand}
    wet = sum(products.values())
    dry = wet - products["H2O"]
    return {"afr_stoich_volume": stoich, "afr_stoich_mass": stoich * _molar_mass(oxidiser) / _molar_mass(fuel),
            "dry_mol_pct": {s: 100 * products[s] / dry for s in FLUE_GAS}, "H2O_wet_mol_pct": 100 * products["H2O"] / wet,
            "wet_per_fuel": wet, "dry_per_fuel": dry}


def _cross_check(cantera: dict[str, Any], balance: dict[str, Any]) -> None:
    pairs = {"afr_stoich_mass": (cantera["afr_stoich_mass"], balance["afr_stoich_mass"]),
             "afr_stoich_volume": (cantera["afr_stoich_volume"], balance["afr_stoich_volume"]),
             "H2O_wet_mol_pct": (cantera["flue_gas"]["H2O_wet_mol_pct"], balance["H2O_wet_mol_pct"]),
             "wet_per_fuel": (cantera["flue_gas"]["wet_per_fuel"], balance["wet_per_fuel"]),
             "dry_per_fuel": (cantera["flue_gas"]["dry_per_fuel"], balance["dry_per_fuel"])}
    pairs.update({f"dry {s}": (cantera["flue_gas"]["dry_mol_pct"][s], balance["dry_mol_pct"][s]) for s in FLUE_GAS})
    bad = {k: v for k, v in pairs.items() if not math.isclose(v[0], v[1], rel_tol=1e-4, abs_tol=1e-4)}
    if bad:
        raise AssertionError(f"Cantera and the atom balance disagree: {bad}")


def recommended_phi(rows: list[tuple[float, float]], limit_k: float) -> float | None:
    """The richest lean grid point (phi <= 1, least excess air) whose flame temperature is at or below the
    limit, from (phi, T_ad) pairs; None when no lean point meets it."""
    lean = [phi for phi, t in rows if phi <= 1.0 + 1e-9 and t <= limit_k]
    return max(lean) if lean else None


def _pick_limit(table: list[dict[str, float]], operating_t: float, rng: np.random.Generator) -> float:
    """A flame-temperature limit, in 5 K steps, falling between two lean grid temperatures (so the answer
    is a grid point below stoichiometric), clear of every grid temperature and of the operating one, and
    within LIMIT_SPAN_K of the operating one; above or below it (the operation within the limit or not) at
    even odds where the table allows both."""
    lean = [(r["phi"], r["T_ad_K"]) for r in table if r["phi"] <= 1.0 + 1e-9]
    above: list[float] = []
    below: list[float] = []
    for (_, low), (_, high) in itertools.pairwise(lean[1:]):
        for limit in np.arange(5 * math.ceil((low + LIMIT_CLEARANCE_K) / 5), high - LIMIT_CLEARANCE_K, 5.0):
            if LIMIT_CLEARANCE_K <= abs(limit - operating_t) <= LIMIT_SPAN_K:
                (above if limit > operating_t else below).append(float(limit))
    first, second = (above, below) if rng.random() < 0.5 else (below, above)
    pool = first or second
    if not pool:
        raise AssertionError("no flame-temperature limit fits the lean side of the table near the operating point")
    return float(rng.choice(pool))


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    """Write the analysis and datasheet; the reference holds the Cantera figures and the recommendation."""
    kind = params["kind"]
    if kind not in KINDS:
        raise ValueError(f"task.toml [variants]: kind {kind!r} is not one of {', '.join(KINDS)}")
    rng = np.random.default_rng(params["seed"])
    analysis = _fuel_analysis(kind, rng)
    sheet = _datasheet(kind, rng)
    sample = f"FG-{int(rng.integers(1000, 9999))}-{int(rng.integers(10, 99))}"
    (input_dir / ANALYSIS).write_text(_analysis_csv(analysis, sample))
    with tempfile.TemporaryDirectory() as scratch:
        draft = Path(scratch)
        (draft / ANALYSIS).write_text(_analysis_csv(analysis, sample))
        (draft / DATASHEET).write_text(json.dumps(sheet, indent=2) + "\n")
        cantera = _run_cantera(draft)
    balance = atom_balance(cantera["fuel"], cantera["oxidiser"], sheet["operating_excess_air_pct"])
    _cross_check(cantera, balance)
    limit = _pick_limit(cantera["flame_table"], cantera["T_ad_at_operating_excess_air_K"], rng)
    sheet["flame_temperature_limit_K"] = limit
    (input_dir / DATASHEET).write_text(json.dumps(sheet, indent=2) + "\n")
    phi = recommended_phi([(r["phi"], r["T_ad_K"]) for r in cantera["flame_table"]], limit)
    reference = {**cantera, "flame_temperature_limit_K": limit, "recommended_phi": phi,
                 "operating_excess_air_pct": sheet["operating_excess_air_pct"],
                 "operating_within_limit": cantera["T_ad_at_operating_excess_air_K"] <= limit,
                 "ignition_criterion": sheet["ignition_check"]["criterion"]}
    (reference_dir / REFERENCE).write_text(json.dumps(reference, indent=1) + "\n")


# -- grade -------------------------------------------------------------------------------------


def _phi_key(value: Any) -> str:
    """A grid point as text with 3 decimals (``0.6``, ``0.60`` and ``0.600`` match), else the raw text."""
    number = as_number(value)
    return f"{number:.3f}" if number is not None else str(value).strip()


def _within(found: Any, expected: float, abs_tol: float, rel_tol: float = 0.0) -> bool | str:
    value = as_number(found)
    if value is None:
        return f"{found!r} is not a number"
    return True if math.isclose(value, expected, abs_tol=abs_tol, rel_tol=rel_tol) else f"{value:g}, want {expected:.6g}"


def _grade_table(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]]) -> None:
    expected = [{k: (_phi_key(v) if k == "phi" else v) for k, v in r.items()} for r in ref["flame_table"]]
    found = [{**r, "phi": _phi_key(r.get("phi"))} for r in rows]
    g.table(f"adiabatic flame temperature over the grid (HP equilibrium, within {T_TOL_K:g} K)", found, expected,
            key="phi", columns={"T_ad_K": T_TOL_K}, weight=3)
    for species in ("NO", "CO"):
        g.table(f"equilibrium {species} mole fraction over the grid (within {X_REL_TOL:.0%})", found, expected,
                key="phi", columns={f"X_{species}": (X_ABS_TOL, X_REL_TOL)}, weight=2)


def _grade_air_flue(g: Grading, ref: dict[str, Any], doc: Any) -> None:
    doc = doc if isinstance(doc, dict) else {}
    g.number("stoichiometric air-fuel ratio, mass (kg air / kg fuel)", doc.get("afr_stoich_mass"),
             ref["afr_stoich_mass"], rel_tol=AFR_REL_TOL)
    g.number("stoichiometric air-fuel ratio, volume (m3 air / m3 fuel)", doc.get("afr_stoich_volume"),
             ref["afr_stoich_volume"], rel_tol=AFR_REL_TOL)
    flue = doc.get("flue_gas") if isinstance(doc.get("flue_gas"), dict) else {}
    dry = flue.get("dry_mol_pct") if isinstance(flue.get("dry_mol_pct"), dict) else {}
    dry = {str(k).upper(): v for k, v in dry.items()}
    ref_flue = ref["flue_gas"]
    g.fraction(f"stack flue gas, dry basis mol % at {ref['operating_excess_air_pct']:g} % excess air",
               judge(dry, ref_flue["dry_mol_pct"], lambda f, e: _within(f, e, FLUE_PCT_TOL)), weight=2,
               noun="components")
    g.number("stack flue gas water content, wet basis mol %", flue.get("H2O_wet_mol_pct"),
             ref_flue["H2O_wet_mol_pct"], abs_tol=FLUE_PCT_TOL)
    volumes = {"wet": flue.get("wet_volume_per_fuel_volume"), "dry": flue.get("dry_volume_per_fuel_volume")}
    g.fraction("flue gas volumes per volume of fuel, wet and dry",
               judge(volumes, {"wet": ref_flue["wet_per_fuel"], "dry": ref_flue["dry_per_fuel"]},
                     lambda f, e: _within(f, e, 0.0, FLUE_VOLUME_REL_TOL)), noun="volumes")


def _grade_ignition(g: Grading, ref: dict[str, Any], doc: Any) -> None:
    delays = doc.get("delays") if isinstance(doc, dict) else None
    found: dict[str, Any] = {}
    for item in delays if isinstance(delays, list) else []:
        if isinstance(item, dict) and as_number(item.get("T0_K")) is not None:
            found[str(round(as_number(item["T0_K"])))] = item.get("ignition_delay_ms")
    expected = {t: 1e3 * s for t, s in ref["ignition_delay_s"].items()}
    g.fraction(f"constant-pressure ignition delays ({ref['ignition_criterion']}, within {DELAY_REL_TOL:.0%})",
               judge(found, expected, lambda f, e: _within(f, e, 0.0, DELAY_REL_TOL)), weight=2,
               noun="initial temperatures")


def _restated(found: Any, expected: float | str) -> bool | str:
    if isinstance(expected, str):
        return True if str(found).strip().casefold() == expected.casefold() else f"{found!r}, want {expected!r}"
    return _within(found, expected, 1e-6)


def _grade_restated_inputs(g: Grading, ref: dict[str, Any], air_flue: Any, ignition: Any, operating: Any) -> None:
    """The datasheet figures the deliverables restate must be the datasheet's."""
    flue = air_flue.get("flue_gas") if isinstance(air_flue, dict) else None
    found = {"flue_gas.excess_air_pct": flue.get("excess_air_pct") if isinstance(flue, dict) else None,
             "ignition.criterion": ignition.get("criterion") if isinstance(ignition, dict) else None,
             "operating_point.flame_temperature_limit_K":
                 operating.get("flame_temperature_limit_K") if isinstance(operating, dict) else None}
    expected = {"flue_gas.excess_air_pct": ref["operating_excess_air_pct"],
                "ignition.criterion": ref["ignition_criterion"],
                "operating_point.flame_temperature_limit_K": ref["flame_temperature_limit_K"]}
    g.fraction("the deliverables restate the datasheet's excess air, ignition criterion and flame-temperature limit",
               judge({k: v for k, v in found.items() if v is not None}, expected, _restated), noun="fields")


def _own_table(rows: list[dict[str, str]]) -> list[tuple[float, float]]:
    pairs = [(as_number(r.get("phi")), as_number(r.get("T_ad_K"))) for r in rows]
    return [(phi, t) for phi, t in pairs if phi is not None and t is not None]


def _grade_operating(g: Grading, ref: dict[str, Any], doc: Any, rows: list[dict[str, str]]) -> None:
    doc = doc if isinstance(doc, dict) else {}
    limit = ref["flame_temperature_limit_K"]
    phi = as_number(doc.get("recommended_phi"))
    g.check(f"recommended equivalence ratio keeps the flame at or below {limit:g} K with the least excess air",
            phi is not None and math.isclose(phi, ref["recommended_phi"], abs_tol=1e-6), weight=2,
            expected=ref["recommended_phi"], found=doc.get("recommended_phi"))
    own = _own_table(rows)
    own_pick = recommended_phi(own, limit)
    problems = []
    if phi is None or own_pick is None or not math.isclose(phi, own_pick, abs_tol=1e-6):
        problems.append(f"the delivered table gives {own_pick}, the recommendation is {doc.get('recommended_phi')!r}")
    else:
        own_t = next(t for p, t in own if math.isclose(p, phi, abs_tol=1e-6))
        for key, want, tol in (("recommended_excess_air_pct", 100.0 * (1.0 / phi - 1.0), 0.05),
                               ("T_ad_at_recommended_K", own_t, 0.5)):
            verdict = _within(doc.get(key), want, tol)
            if verdict is not True:
                problems.append(f"{key}: {verdict}")
    g.check("the recommendation follows from the delivered table (phi, its excess air and flame temperature)",
            not problems, reason="; ".join(problems))
    g.number("adiabatic flame temperature at the operating excess air (K)", doc.get("T_ad_at_operating_excess_air_K"),
             ref["T_ad_at_operating_excess_air_K"], abs_tol=T_TOL_K)
    verdict = doc.get("operating_excess_air_within_limit")
    g.check("verdict: is the operating excess air within the flame-temperature limit", verdict is ref["operating_within_limit"],
            expected=ref["operating_within_limit"], found=verdict)


def grade(g: Grading) -> None:
    if not g.require_files(TABLE, AIR_FLUE, IGNITION, OPERATING):
        return
    ref = g.reference_json(REFERENCE)
    rows = g.read_csv(TABLE, required_columns=["phi", "T_ad_K", "X_NO", "X_CO"])
    air_flue, ignition, operating = g.read_json(AIR_FLUE), g.read_json(IGNITION), g.read_json(OPERATING)
    if rows is None or air_flue is None or ignition is None or operating is None:
        return
    _grade_table(g, ref, rows)
    _grade_air_flue(g, ref, air_flue)
    _grade_ignition(g, ref, ignition)
    _grade_operating(g, ref, operating, rows)
    _grade_restated_inputs(g, ref, air_flue, ignition, operating)
