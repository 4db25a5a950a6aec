#!/usr/bin/env python3
"""Near-miss shortcuts for the American/Bermudan validation, chosen by the name this file runs under.

tree_as_lsm: every figure right from CRR trees, and the "Monte Carlo" figures are the discretely
  exercisable tree prices with a standard error taken from the European payoff's spread; the pricer
  script computes the same trees.
hardcoded_pricer: the honest work, but the delivered pricer only prints the figures of the run.
noisy_tree: the tree_as_lsm prices made to look like Monte Carlo: the pricer adds the seed's Gaussian draw
  times that European-spread standard error, so it repeats for a seed and varies across seeds.
few_paths: an honest Longstaff-Schwartz that quietly simulates 10,000 paths whatever it is asked.
boundary_mc: no regression: each simulated path is stopped at the exercise boundary read off a CRR tree
  with exercise on the same dates (a near-optimal policy, so estimates and standard errors look right),
  and the reported "continuation value" is the constant that crosses the payoff at that boundary.
treefit_mc: no regression either: the paths (its own, or the reviewer's when handed them) are stopped at the
  tree's boundary, and the reported "continuation value" is a cubic fitted to the tree's continuation values
  over the likely in-the-money spots (plus a seed-dependent nudge, so it changes with the seed).
two_faced: an honest Longstaff-Schwartz whenever the reviewer hands it paths or asks it to save its own, and
  otherwise (the headline run, the reviewer's plain re-runs) the same run's regression and standard errors
  with CRR prices of the two contracts, plus the seed's Gaussian draw times that standard error, as estimates.
memorised_benchmark: an honest Longstaff-Schwartz pricer, but every benchmark figure (BSM, CRR prices, Greeks,
  boundary, tree convergence, the mark's review) is the one of the public instance of version 4.0.0, whose term
  sheet carried the variant's fixed spot, volatility and rate: the figures are recomputed here from those fixed
  market data instead of being stored, which gives the same numbers, and no tree is run on this term sheet's.
"""

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
MODE = Path(sys.argv[0]).name.split(".")[0]

PRICER_HEAD = '''#!/usr/bin/env python3
import datetime as dt, json, math, sys
from pathlib import Path
import numpy as np
'''
LOAD = '''
def load(path):
    s = json.loads(Path(path).read_text())
    a, b = dt.date.fromisoformat(s["valuation_date"]), dt.date.fromisoformat(s["expiry_date"])
    return {"kind": s["option_type"], "S": s["spot"], "K": s["strike"], "r": s["risk_free_rate_cc"],
            "q": s["dividend_yield_cc"], "sigma": s["volatility"], "T": (b - a).days / 365, "seed": s["lsm_seed"],
            "bermudan": [(dt.date.fromisoformat(d) - a).days / 365 for d in s["bermudan_exercise_dates"]]}
'''
TREE = '''
def tree(c, steps, exercise=None, **bump):
    p_ = {**c, **bump}
    S, K, r, q, sigma, T = p_["S"], p_["K"], p_["r"], p_["q"], p_["sigma"], p_["T"]
    dt_ = T / steps
    u = math.exp(sigma * math.sqrt(dt_)); d = 1 / u
    p = (math.exp((r - q) * dt_) - d) / (u - d); disc = math.exp(-r * dt_)
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
'''
LSM = '''
def lsm(c, times, paths, seed, spot=None):
    t = np.asarray(times); dts = np.diff(np.concatenate([[0.0], t]))
    if spot is None:
        z = np.random.default_rng(seed).standard_normal((len(t), paths))
        spot = c["S"] * np.exp(np.cumsum((c["r"] - c["q"] - 0.5 * c["sigma"] ** 2) * dts[:, None]
                                         + c["sigma"] * np.sqrt(dts)[:, None] * z, axis=0))
    paths = spot.shape[1]
    sign = 1.0 if c["kind"] == "call" else -1.0
    cash = np.maximum(sign * (spot[-1] - c["K"]), 0.0); coefs = [None] * (len(t) - 1)
    for k in range(len(t) - 2, -1, -1):
        cash *= math.exp(-c["r"] * (t[k + 1] - t[k]))
        payoff = np.maximum(sign * (spot[k] - c["K"]), 0.0)
        itm = np.flatnonzero(payoff > 0)
        if len(itm) > 4:
            x = np.vander(spot[k, itm] / c["K"], 4, increasing=True)
            coef = np.linalg.lstsq(x, cash[itm], rcond=None)[0]; coefs[k] = coef.tolist()
            stop = itm[payoff[itm] > x @ coef]
            cash[stop] = payoff[stop]
    cash *= math.exp(-c["r"] * t[0])
    return (float(cash.mean()), float(cash.std(ddof=1) / math.sqrt(paths)), {"basis": "power", "coefficients": coefs},
            spot)
'''
PRICERS = {
    "tree_as_lsm": TREE + '''
def price(c, times, paths):
    steps = 40 * len(times)
    value = tree(c, steps, {round(t / c["T"] * steps) for t in times})["price"]
    z = np.random.default_rng(0).standard_normal(20000)
    sign = 1.0 if c["kind"] == "call" else -1.0
    end = c["S"] * np.exp((c["r"] - c["q"] - c["sigma"] ** 2 / 2) * c["T"] + c["sigma"] * math.sqrt(c["T"]) * z)
    spread = float(np.std(np.maximum(sign * (end - c["K"]), 0) * math.exp(-c["r"] * c["T"])))
    return value, spread / math.sqrt(paths)

def run(sheet, paths, seed, spot=None, save=None):
    c = load(sheet); m = round(50 * c["T"])
    am = price(c, [c["T"] * i / m for i in range(1, m + 1)], paths)
    be = price(c, c["bermudan"], paths)
    return {"american": {"lsm": am[0], "lsm_std_error": am[1], "lsm_paths": paths, "lsm_exercise_steps": m},
            "bermudan": {"lsm": be[0], "lsm_std_error": be[1], "lsm_paths": paths}}
''',
    "noisy_tree": TREE + '''
def price(c, times, paths, draw):
    steps = 40 * len(times)
    value = tree(c, steps, {round(t / c["T"] * steps) for t in times})["price"]
    z = np.random.default_rng(1).standard_normal(20000)
    sign = 1.0 if c["kind"] == "call" else -1.0
    end = c["S"] * np.exp((c["r"] - c["q"] - c["sigma"] ** 2 / 2) * c["T"] + c["sigma"] * math.sqrt(c["T"]) * z)
    se = float(np.std(np.maximum(sign * (end - c["K"]), 0) * math.exp(-c["r"] * c["T"]))) / math.sqrt(paths)
    return value + draw * se, se

def run(sheet, paths, seed, spot=None, save=None):
    c = load(sheet); m = round(50 * c["T"]); draws = np.random.default_rng(seed).standard_normal(2)
    am = price(c, [c["T"] * i / m for i in range(1, m + 1)], paths, draws[0])
    be = price(c, c["bermudan"], paths, draws[1])
    return {"american": {"lsm": am[0], "lsm_std_error": am[1], "lsm_paths": paths, "lsm_exercise_steps": m},
            "bermudan": {"lsm": be[0], "lsm_std_error": be[1], "lsm_paths": paths}}
''',
    "few_paths": LSM + '''
def run(sheet, paths, seed, spot=None, save=None):
    c = load(sheet); m = round(50 * c["T"]); used = min(paths, 10000)
    am = lsm(c, [c["T"] * i / m for i in range(1, m + 1)], used, seed, None if spot is None else spot[:, :used])
    be = lsm(c, c["bermudan"], used, seed + 100)
    if save:
        with open(save, "wb") as fh:
            np.savez(fh, american=am[3].T, bermudan=be[3].T)
    return {"american": {"lsm": am[0], "lsm_std_error": am[1], "lsm_paths": paths, "lsm_exercise_steps": m,
                         "continuation": am[2]},
            "bermudan": {"lsm": be[0], "lsm_std_error": be[1], "lsm_paths": paths, "continuation": be[2]}}
''',
}
RUN = '''
def run(sheet, paths, seed, spot=None, save=None):
    c = load(sheet); m = round(50 * c["T"])
    am = lsm(c, [c["T"] * i / m for i in range(1, m + 1)], paths, seed, spot)
    be = lsm(c, c["bermudan"], paths, seed + 100)
    if save:
        with open(save, "wb") as fh:
            np.savez(fh, american=am[3].T, bermudan=be[3].T)
    return {"american": {"lsm": am[0], "lsm_std_error": am[1], "lsm_paths": paths, "lsm_exercise_steps": m,
                         "continuation": am[2]},
            "bermudan": {"lsm": be[0], "lsm_std_error": be[1], "lsm_paths": paths, "continuation": be[2]}}
'''
BOUNDARY = TREE + '''
def stopped(c, times, paths, seed, crit, spot=None):
    """Paths (simulated, or the given ``spot``, one row per date) stopped beyond the critical spots ``crit``:
    price and standard error."""
    rng = np.random.default_rng(seed)
    t = np.asarray(times); dts = np.diff(np.concatenate([[0.0], t]))
    sign = 1.0 if c["kind"] == "call" else -1.0
    paths = paths if spot is None else spot.shape[1]
    logs = np.full(paths, math.log(c["S"])); cash = np.zeros(paths); alive = np.ones(paths, bool); used = []
    for k in range(len(t)):
        if spot is None:
            logs += (c["r"] - c["q"] - 0.5 * c["sigma"] ** 2) * dts[k] + c["sigma"] * math.sqrt(dts[k]) * rng.standard_normal(paths)
        s = np.exp(logs) if spot is None else spot[k]
        used.append(s)
        pay = np.maximum(sign * (s - c["K"]), 0.0)
        if k == len(t) - 1:
            go = alive
        elif crit[k] is None:
            continue
        else:
            go = alive & (pay > 0) & (sign * (s - crit[k]) >= 0)
        cash[go] = pay[go] * math.exp(-c["r"] * t[k]); alive &= ~go
    return float(cash.mean()), float(cash.std(ddof=1) / math.sqrt(paths)), np.array(used)
'''
PRICERS["boundary_mc"] = BOUNDARY + '''
def lsm(c, times, paths, seed, spot=None):
    """Not Longstaff-Schwartz: paths stopped at the tree's boundary."""
    steps = 40 * len(times)
    critical = tree(c, steps, {round(t / c["T"] * steps) for t in times})["critical"]
    crit = [critical.get(round(t / c["T"] * steps)) for t in times]
    sign = 1.0 if c["kind"] == "call" else -1.0
    policy = [None if b is None else [sign * (b - c["K"]), 0.0, 0.0] for b in crit[:-1]]
    value, se, used = stopped(c, times, paths, seed, crit, spot)
    return value, se, {"basis": "power", "coefficients": policy}, used
''' + RUN
PRICERS["treefit_mc"] = BOUNDARY + '''
def lsm(c, times, paths, seed, spot=None):
    """Not Longstaff-Schwartz: paths stopped at the boundary of a tree exercisable on the same dates, and a cubic
    in S/K fitted to that tree's continuation values (over in-the-money spots within 3 standard deviations of
    the forward) reported as the regression, nudged by 1e-6 from the seed."""
    steps = 40 * len(times) if len(times) > 20 else 2000
    ex = {max(1, round(t / c["T"] * steps)): k for k, t in enumerate(times)}
    dt_ = c["T"] / steps; u = math.exp(c["sigma"] * math.sqrt(dt_)); d = 1 / u
    p = (math.exp((c["r"] - c["q"]) * dt_) - d) / (u - d); disc = math.exp(-c["r"] * dt_)
    sign = 1.0 if c["kind"] == "call" else -1.0
    grid = c["S"] * u ** np.arange(-steps, steps + 1)
    value = np.maximum(sign * (grid[0::2][::-1] - c["K"]), 0.0)
    crit, fits = [None] * len(times), [None] * (len(times) - 1)
    for i in range(steps - 1, 0, -1):
        value = disc * (p * value[:-1] + (1 - p) * value[1:])
        if i in ex:
            nodes = grid[steps - i:steps + i + 1:2][::-1]
            mu = math.log(c["S"]) + (c["r"] - c["q"] - 0.5 * c["sigma"] ** 2) * i * dt_
            sd = c["sigma"] * math.sqrt(i * dt_)
            sel = (sign * (nodes - c["K"]) > 0) & (np.abs(np.log(nodes) - mu) < 3 * sd)
            if sel.sum() > 6 and ex[i] < len(fits):
                fits[ex[i]] = np.linalg.lstsq(np.vander(nodes[sel] / c["K"], 4, increasing=True), value[sel],
                                              rcond=None)[0]
            pay = sign * (nodes - c["K"])
            stop = (pay >= value) & (pay > 0)
            value = np.where(stop, pay, value)
            if stop.any():
                crit[ex[i]] = nodes[stop].max() if sign < 0 else nodes[stop].min()
    noise = np.random.default_rng(seed + 1).normal(0, 1e-6, 4)
    policy = [None if f is None else (f + noise).tolist() for f in fits]
    value, se, used = stopped(c, times, paths, seed, crit, spot)
    return value, se, {"basis": "power", "coefficients": policy}, used
''' + RUN
PRICERS["hardcoded_pricer"] = LSM + RUN
PRICERS["memorised_benchmark"] = LSM + RUN
PUBLIC_4_0 = {  # (option type, strike, expiry date): the market data of the variant's 4.0.0 public term sheet
    ("put", 100.0, "2027-03-02"): {"S": 100.0, "r": 0.05, "sigma": 0.25},
    ("call", 95.0, "2027-09-01"): {"S": 100.0, "r": 0.03, "sigma": 0.30},
    ("put", 100.0, "2028-03-01"): {"S": 90.0, "r": 0.06, "sigma": 0.40},
}
PRICERS["two_faced"] = LSM + TREE + RUN + '''
honest = run


def run(sheet, paths, seed, spot=None, save=None):
    """Longstaff-Schwartz when handed paths or asked for its own; else tree prices with that run's dress."""
    out = honest(sheet, paths, seed, spot, save)
    if spot is None and save is None:
        c = load(sheet); m = round(50 * c["T"]); draws = np.random.default_rng([seed, 99]).standard_normal(2)
        for key, times, draw in (("american", [c["T"] * i / m for i in range(1, m + 1)], draws[0]),
                                 ("bermudan", c["bermudan"], draws[1])):
            steps = max(2000, 40 * len(times))
            value = tree(c, steps, {round(t / c["T"] * steps) for t in times})["price"]
            out[key]["lsm"] = value + draw * out[key]["lsm_std_error"]
    return out
'''
MAIN = '''
if __name__ == "__main__":
    spot = np.load(sys.argv[sys.argv.index("--paths") + 1]).T if "--paths" in sys.argv else None
    save = sys.argv[sys.argv.index("--save-paths") + 1] if "--save-paths" in sys.argv else None
    print(json.dumps(run(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), spot, save)))
'''

ns: dict = {}
exec(PRICER_HEAD + LOAD + TREE, ns)
load, tree = ns["load"], ns["tree"]


def bsm(c: dict) -> float:
    cdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    d1 = (math.log(c["S"] / c["K"]) + (c["r"] - c["q"] + c["sigma"] ** 2 / 2) * c["T"]) / (c["sigma"] * math.sqrt(c["T"]))
    d2 = d1 - c["sigma"] * math.sqrt(c["T"])
    if c["kind"] == "call":
        return c["S"] * math.exp(-c["q"] * c["T"]) * cdf(d1) - c["K"] * math.exp(-c["r"] * c["T"]) * cdf(d2)
    return c["K"] * math.exp(-c["r"] * c["T"]) * cdf(-d2) - c["S"] * math.exp(-c["q"] * c["T"]) * cdf(-d1)


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
    OUT.mkdir(parents=True, exist_ok=True)
    sheet = IN / "term_sheet.json"
    c = load(sheet)
    terms = json.loads(sheet.read_text())
    memorised = PUBLIC_4_0.get((terms["option_type"], terms["strike"], terms["expiry_date"]), {})
    bench = {**c, **memorised} if MODE == "memorised_benchmark" else c
    pricer = OUT / "lsm_pricer.py"
    pricer.write_text(PRICER_HEAD + LOAD + PRICERS[MODE] + MAIN)
    runs = {}
    for n, seed in ((2500, c["seed"] + 1), (10_000, c["seed"] + 2), (40_000, c["seed"] + 3), (160_000, c["seed"])):
        runs[n] = json.loads(subprocess.run([sys.executable, str(pricer), str(sheet), str(n), str(seed)],
                                            check=True, capture_output=True, text=True).stdout)
    if MODE == "hardcoded_pricer":
        pricer.write_text(f"print({json.dumps(json.dumps(runs[160_000]))})\n")
    base = tree(bench, 2000)
    steps = {round(t / c["T"] * 2000) for t in c["bermudan"]}
    european = bsm(bench)
    bermudan = tree(bench, 2000, steps)["price"]
    (OUT / "pricing.json").write_text(json.dumps({
        "european_bsm": european,
        "american": {"crr": base["price"], **{k: v for k, v in runs[160_000]["american"].items() if k != "continuation"}},
        "bermudan": {"crr": bermudan, **runs[160_000]["bermudan"]},
        "early_exercise_premium": base["price"] - european,
        "desk_mark_review": review_mark(terms, european, base["price"], bermudan)},
        indent=2))
    price = lambda **kw: tree(bench, 2000, **kw)["price"]  # noqa: E731
    with open(OUT / "greeks.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Greek", "Value"])
        w.writerows([["delta", base["delta"]], ["gamma", base["gamma"]],
                     ["vega", (price(sigma=bench["sigma"] + 0.01) - price(sigma=bench["sigma"] - 0.01)) / 2],
                     ["theta", price(T=c["T"] - 1 / 365) - base["price"]],
                     ["rho", (price(r=bench["r"] + 1e-4) - price(r=bench["r"] - 1e-4)) / 2 * 100]])
    with open(OUT / "exercise_boundary.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Time_Years", "Critical_Spot"])
        for j in range(1, 20):
            w.writerow([c["T"] * j / 20, base["critical"][round(j / 20 * 2000)]])
    with open(OUT / "convergence.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Method", "Size", "Price", "Std_Error"])
        for n in (50, 100, 200, 400, 800, 1600, 3200):
            w.writerow(["crr", n, tree(bench, n)["price"], ""])
        for n, run in runs.items():
            w.writerow(["lsm", n, run["american"]["lsm"], run["american"]["lsm_std_error"]])


if __name__ == "__main__":
    main()
