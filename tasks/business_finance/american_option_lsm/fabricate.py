#!/usr/bin/env python3
"""Plausible fabrication: correct Black-Scholes-Merton European figures, then an American price
guessed as a flat 4% uplift, European Greeks relabelled, a straight-line boundary and a made-up
convergence table with textbook-looking error decay, a "pricer" that prints those figures (with a
made-up regression, the same line at every exercise date), and the desk's mark waved through; no tree
and no Monte Carlo is run."""

import csv
import datetime as dt
import json
import math
import os
from pathlib import Path

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def cdf(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def main():
    s = json.loads((IN / "term_sheet.json").read_text())
    S, K, r, q, v = s["spot"], s["strike"], s["risk_free_rate_cc"], s["dividend_yield_cc"], s["volatility"]
    T = (dt.date.fromisoformat(s["expiry_date"]) - dt.date.fromisoformat(s["valuation_date"])).days / 365
    call = s["option_type"] == "call"
    d1 = (math.log(S / K) + (r - q + v * v / 2) * T) / (v * math.sqrt(T))
    d2 = d1 - v * math.sqrt(T)
    if call:
        euro = S * math.exp(-q * T) * cdf(d1) - K * math.exp(-r * T) * cdf(d2)
        delta = math.exp(-q * T) * cdf(d1)
        rho = K * T * math.exp(-r * T) * cdf(d2) / 100
    else:
        euro = K * math.exp(-r * T) * cdf(-d2) - S * math.exp(-q * T) * cdf(-d1)
        delta = -math.exp(-q * T) * cdf(-d1)
        rho = -K * T * math.exp(-r * T) * cdf(-d2) / 100
    pdf = math.exp(-d1 * d1 / 2) / math.sqrt(2 * math.pi)
    gamma = math.exp(-q * T) * pdf / (S * v * math.sqrt(T))
    vega = S * math.exp(-q * T) * pdf * math.sqrt(T) / 100
    american = euro * 1.04
    bermudan = euro * 1.02
    se = 0.003 * american
    m = round(50 * T)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "pricing.json").write_text(json.dumps({
        "european_bsm": euro,
        "american": {"crr": american, "lsm": american - se, "lsm_std_error": se, "lsm_paths": 160000,
                     "lsm_exercise_steps": m},
        "bermudan": {"crr": bermudan, "lsm": bermudan + se / 2, "lsm_std_error": se, "lsm_paths": 160000},
        "early_exercise_premium": american - euro,
        "desk_mark_review": {"mark_minus_american": s["desk_mark"] - american, "verdict": "accept",
                             "diagnosis": "within_tolerance"},
    }, indent=2))
    figures = {"american": {"lsm": american - se, "lsm_std_error": se,
                            "continuation": {"basis": "power", "coefficients": [[american, -0.5 * american, 0.0]] * (m - 1)}},
               "bermudan": {"lsm": bermudan + se / 2, "lsm_std_error": se,
                            "continuation": {"basis": "power", "coefficients": [[bermudan, -0.5 * bermudan, 0.0]]
                                             * (len(s["bermudan_exercise_dates"]) - 1)}}}
    (OUT / "lsm_pricer.py").write_text(f"print({json.dumps(json.dumps(figures))})\n")
    with open(OUT / "greeks.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Greek", "Value"])
        w.writerows([["delta", delta], ["gamma", gamma], ["vega", vega], ["theta", -euro * 0.05 / 365],
                     ["rho", rho]])
    with open(OUT / "exercise_boundary.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Time_Years", "Critical_Spot"])
        for j in range(1, 20):
            frac = j / 20
            w.writerow([T * frac, K * (1.6 - 0.5 * frac) if call else K * (0.7 + 0.25 * frac)])
    with open(OUT / "convergence.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Method", "Size", "Price", "Std_Error"])
        for n in (50, 100, 200, 400, 800, 1600, 3200):
            w.writerow(["crr", n, american - 0.8 / n, ""])
        for n in (2500, 10000, 40000, 160000):
            w.writerow(["lsm", n, american - se, se * math.sqrt(160000 / n)])


if __name__ == "__main__":
    main()
