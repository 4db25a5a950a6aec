#!/usr/bin/env python3
"""Oracle for the American/Bermudan validation: QuantLib for the Black-Scholes-Merton reference,
a vectorised CRR tree (prices, node Greeks, boundary) and Longstaff-Schwartz in numpy."""
# ALE-CANARY-01e903fe-61ee-4b3c-b0ab-ad641a3d0871

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import QuantLib as ql

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
STEPS = 2000
PATHS = 160_000


def load() -> dict:
    sheet = json.loads((IN / "term_sheet.json").read_text())
    start = dt.date.fromisoformat(sheet["valuation_date"])
    end = dt.date.fromisoformat(sheet["expiry_date"])
    return {
        "kind": sheet["option_type"], "S": sheet["spot"], "K": sheet["strike"], "r": sheet["risk_free_rate_cc"],
        "q": sheet["dividend_yield_cc"], "sigma": sheet["volatility"], "T": (end - start).days / 365,
        "start": start, "end": end, "seed": sheet["lsm_seed"],
        "bermudan": [(dt.date.fromisoformat(d) - start).days / 365 for d in sheet["bermudan_exercise_dates"]],
    }


def european_quantlib(c: dict) -> float:
    today = ql.Date(c["start"].day, c["start"].month, c["start"].year)
    expiry = ql.Date(c["end"].day, c["end"].month, c["end"].year)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(c["S"])),
        ql.YieldTermStructureHandle(ql.FlatForward(today, ql.QuoteHandle(ql.SimpleQuote(c["q"])), dc,
                                                   ql.Continuous)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, ql.QuoteHandle(ql.SimpleQuote(c["r"])), dc,
                                                   ql.Continuous)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), c["sigma"], dc)))
    kind = ql.Option.Call if c["kind"] == "call" else ql.Option.Put
    option = ql.VanillaOption(ql.PlainVanillaPayoff(kind, c["K"]), ql.EuropeanExercise(expiry))
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    return option.NPV()


def tree(c: dict, steps: int, exercise: set[int] | None = None, **bump: float) -> dict:
    p_ = {**c, **bump}
    S, K, r, q, sigma, T = p_["S"], p_["K"], p_["r"], p_["q"], p_["sigma"], p_["T"]
    dt_ = T / steps
    u = math.exp(sigma * math.sqrt(dt_))
    d = 1 / u
    p = (math.exp((r - q) * dt_) - d) / (u - d)
    disc = math.exp(-r * dt_)
    sign = 1.0 if c["kind"] == "call" else -1.0
    grid = S * u ** np.arange(-steps, steps + 1)
    value = np.maximum(sign * (grid[0::2][::-1] - K), 0.0)
    critical, early = {}, {}
    for i in range(steps - 1, -1, -1):
        value = disc * (p * value[:-1] + (1 - p) * value[1:])
        if exercise is None or i in exercise:
            nodes = grid[steps - i:steps + i + 1:2][::-1]
            payoff = sign * (nodes - K)
            stop = (payoff >= value) & (payoff > 0)
            value = np.where(stop, payoff, value)
            if stop.any():
                critical[i] = float(nodes[stop].max() if sign < 0 else nodes[stop].min())
        if i <= 2:
            early[i] = value.copy()
    delta = (early[1][0] - early[1][1]) / (S * u - S * d)
    gamma = ((early[2][0] - early[2][1]) / (S * u * u - S) - (early[2][1] - early[2][2]) / (S - S * d * d)) / (
        0.5 * (S * u * u - S * d * d))
    return {"price": float(value[0]), "delta": delta, "gamma": gamma, "critical": critical}


def review_mark(sheet: dict, european: float, american: float, bermudan: float) -> dict:
    """Accept the desk's mark within the validation tolerance of the American value, else name the value
    it is closest to."""
    gap = sheet["desk_mark"] - american
    if abs(gap) <= sheet["validation_tolerance"]:
        return {"mark_minus_american": gap, "verdict": "accept", "diagnosis": "within_tolerance"}
    nearest = min((("european_value", european), ("bermudan_value", bermudan)),
                  key=lambda item: abs(sheet["desk_mark"] - item[1]))[0]
    return {"mark_minus_american": gap, "verdict": "challenge", "diagnosis": nearest}


def main() -> None:
    c = load()
    OUT.mkdir(parents=True, exist_ok=True)
    european = european_quantlib(c)
    base = tree(c, STEPS)
    bermudan_steps = {round(t / c["T"] * STEPS) for t in c["bermudan"]}
    bermudan_crr = tree(c, STEPS, exercise=bermudan_steps)["price"]
    shutil.copy(Path(__file__).with_name("lsm_pricer.py"), OUT / "lsm_pricer.py")
    runs = {}
    for n, seed in ((2500, c["seed"] + 1), (10_000, c["seed"] + 2), (40_000, c["seed"] + 3), (PATHS, c["seed"])):
        run = subprocess.run([sys.executable, str(OUT / "lsm_pricer.py"), str(IN / "term_sheet.json"), str(n),
                              str(seed)], check=True, capture_output=True, text=True)
        runs[n] = json.loads(run.stdout)
    headline = runs[PATHS]
    pricing = {
        "european_bsm": european,
        "american": {"crr": base["price"], **{k: v for k, v in headline["american"].items() if k != "continuation"}},
        "bermudan": {"crr": bermudan_crr, **{k: v for k, v in headline["bermudan"].items() if k != "continuation"}},
        "early_exercise_premium": base["price"] - european,
        "desk_mark_review": review_mark(json.loads((IN / "term_sheet.json").read_text()), european, base["price"],
                                        bermudan_crr),
    }
    (OUT / "pricing.json").write_text(json.dumps(pricing, indent=2))

    price = lambda **kw: tree(c, STEPS, **kw)["price"]  # noqa: E731
    greeks = {
        "delta": base["delta"], "gamma": base["gamma"],
        "vega": (price(sigma=c["sigma"] + 0.01) - price(sigma=c["sigma"] - 0.01)) / 2,
        "theta": price(T=c["T"] - 1 / 365) - base["price"],
        "rho": (price(r=c["r"] + 1e-4) - price(r=c["r"] - 1e-4)) / 2 * 100,
    }
    with open(OUT / "greeks.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Greek", "Value"])
        w.writerows(greeks.items())
    with open(OUT / "exercise_boundary.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Time_Years", "Critical_Spot"])
        for j in range(1, 20):
            t = c["T"] * j / 20
            w.writerow([t, base["critical"][round(t / c["T"] * STEPS)]])
    with open(OUT / "convergence.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Method", "Size", "Price", "Std_Error"])
        for n in (50, 100, 200, 400, 800, 1600, 3200):
            w.writerow(["crr", n, tree(c, n)["price"], ""])
        for n, run in runs.items():
            w.writerow(["lsm", n, run["american"]["lsm"], run["american"]["lsm_std_error"]])


if __name__ == "__main__":
    main()
