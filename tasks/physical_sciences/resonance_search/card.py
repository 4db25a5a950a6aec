"""The analysis card of one instance (what the analysis note prescribes) and its hidden generating truth.

ALE-CANARY-ca2d11f3-6094-404e-9c2a-bbd93f525710
"""

from __future__ import annotations

import random
from typing import Any

RESONANCES = {  # PDG mass and width (GeV), the generated and fitted raw-mass windows, mean pair pt
    "Z": {"resonance": "Z boson", "mass_gev": 91.1876, "width_gev": 2.4952, "fit_lo_gev": 78.0, "fit_hi_gev": 104.0,
          "generate_lo": 60.0, "generate_hi": 125.0, "pair_pt": 12.0, "background_fraction": 0.05},
    "Upsilon1S": {"resonance": "Upsilon(1S)", "mass_gev": 9.4603, "width_gev": 5.4e-5, "fit_lo_gev": 8.8,
                  "fit_hi_gev": 10.1, "generate_lo": 8.3, "generate_hi": 10.6, "pair_pt": 9.0,
                  "background_fraction": 0.25},
}
DQ_FAILURES = ["bad: muon spectrometer endcap off", "bad: tracker HV trip", "bad: magnet ramp",
               "bad: trigger misconfiguration"]


def build_card(params: dict[str, Any]) -> dict[str, Any]:
    """The analysis card: periods and runs, calibration, selection, search and systematics; plus ``truth``."""
    rng = random.Random(params["seed"])
    periods, runs = [], []
    first = rng.randrange(350000, 360000, 100)
    for name in ("A", "B"):
        n_runs = rng.randint(18, 26)
        numbers = sorted(rng.sample(range(first, first + 400), n_runs))
        bad = set(rng.sample(numbers, rng.randint(2, 3)))
        periods.append({"name": name, "first_run": first, "last_run": first + 399})
        for run in numbers:
            runs.append({"run": run, "period": name, "lumi_pb": round(rng.uniform(150, 650), 1),
                         "dq_status": rng.choice(DQ_FAILURES) if run in bad else "good"})
        first += 1000
    resonance = RESONANCES[params["calibration"]]
    sign = rng.choice((-1, 1))
    scale_a = 1 + sign * rng.uniform(0.006, 0.015)
    scale_b = scale_a + rng.choice((-1, 1)) * rng.uniform(0.006, 0.010)
    res_a = rng.uniform(0.018, 0.024)
    res_b = res_a * (rng.uniform(1.2, 1.35) if rng.random() < 0.5 else rng.uniform(0.72, 0.82))
    quadratic = params["background"] == "quadratic_exponential"
    measurement = params["mode"] == "measurement"
    hypotheses = [float(m) for m in range(230, 430, 40)]
    return {
        "analysis": "search for a narrow dimuon resonance between 200 and 450 GeV",
        "mode": params["mode"],
        "muon_mass_gev": 0.1056584,
        "periods": periods,
        "runs": runs,
        "calibration": {k: resonance[k] for k in ("resonance", "mass_gev", "width_gev", "fit_lo_gev", "fit_hi_gev",
                                                  "generate_lo", "generate_hi")},
        "selection": {"pt_min_gev": 30.0, "abs_eta_max": 2.4, "vtx_chi2_max": 10.0, "opposite_charge": True},
        "search": {"fit_lo_gev": 200.0, "fit_hi_gev": 450.0, "bin_width_gev": 5.0, "width_over_mass": 0.01,
                   "mc_mass_gev": 300.0, "background_model": params["background"], "x0_gev": 200.0,
                   "x_unit_gev": 100.0, "generate_lo": 185.0, "generate_hi": 480.0,
                   "mass_hypotheses_gev": [] if measurement else hypotheses},
        "systematics": {"scale_extrapolation_rel": 0.002, "resolution_extrapolation_rel": 0.10},
        "kinematics": {"calibration_pair_pt": resonance["pair_pt"], "search_pair_pt": 30.0, "rapidity_sd": 1.1},
        "truth": {
            "seed": rng.randrange(2 ** 31),
            "scale": {"A": scale_a, "B": scale_b},
            "resolution_pt": {"A": res_a, "B": res_b},
            "mc_resolution_factor": 0.75,
            "calibration_events": {"A": rng.randint(2500, 4000), "B": rng.randint(2500, 4000)},
            "calibration_background_fraction": resonance["background_fraction"],
            "background_events": rng.randint(3800, 4600),
            "slope": -rng.uniform(2.4, 2.9) if quadratic else -rng.uniform(1.7, 2.2),
            "curvature": rng.uniform(0.25, 0.4) if quadratic else 0.0,
            "fake_fraction": 0.08,
            "signal_events": rng.randint(120, 160) if measurement else 0,
            "signal_mass": round(rng.uniform(250, 370), 2) if measurement else 0.0,
            "mc_events": 20000,
        },
    }


def public_card(card: dict[str, Any]) -> dict[str, Any]:
    """What the agent's ``analysis_card.json`` holds: the note's numbers, not the truth or the generator's knobs."""
    public = {k: v for k, v in card.items() if k not in ("truth", "kinematics", "runs")}
    public["calibration"] = {k: v for k, v in card["calibration"].items() if not k.startswith("generate")}
    public["search"] = {k: v for k, v in card["search"].items() if not k.startswith("generate")}
    if card["mode"] != "limit":
        del public["search"]["mass_hypotheses_gev"]
    return public
