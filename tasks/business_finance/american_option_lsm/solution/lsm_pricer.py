#!/usr/bin/env python3
"""Longstaff-Schwartz pricer of the American option and its Bermudan sibling.

Usage: python3 lsm_pricer.py TERM_SHEET PATHS SEED [--paths FILE] [--save-paths FILE]  -> JSON on stdout:
{"american": {"lsm", "lsm_std_error", "lsm_paths", "lsm_exercise_steps", "continuation"},
 "bermudan": {"lsm", "lsm_std_error", "lsm_paths", "continuation"}}.
American exercise on a uniform grid of round(50 T) dates, Bermudan on the listed dates; exact GBM
steps; cubic regression in S/K over in-the-money paths (each run's coefficients, per exercise date before
the last, in ascending powers, are reported as its exercise policy); seeded numpy generator; each estimate
is the in-sample value of its run's policy on the paths the regressions were fitted on.
With --paths FILE (a .npy array of underlying prices, one row per path, one column per American exercise
date) the American run uses those paths instead of simulating its own. With --save-paths FILE the paths of
both runs go into FILE, a .npz archive with arrays "american" and "bermudan" (one row per path, one column
per exercise date)."""
# ALE-CANARY-01e903fe-61ee-4b3c-b0ab-ad641a3d0871

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
from pathlib import Path

import numpy as np


def load(path: Path) -> dict:
    sheet = json.loads(path.read_text())
    start = dt.date.fromisoformat(sheet["valuation_date"])
    end = dt.date.fromisoformat(sheet["expiry_date"])
    return {
        "kind": sheet["option_type"], "S": sheet["spot"], "K": sheet["strike"], "r": sheet["risk_free_rate_cc"],
        "q": sheet["dividend_yield_cc"], "sigma": sheet["volatility"], "T": (end - start).days / 365,
        "bermudan": [(dt.date.fromisoformat(d) - start).days / 365 for d in sheet["bermudan_exercise_dates"]],
    }


def simulate(c: dict, t: np.ndarray, paths: int, seed: int) -> np.ndarray:
    """Exact GBM spot prices at times ``t``, shape (len(t), paths)."""
    rng = np.random.default_rng(seed)
    dts = np.diff(np.concatenate([[0.0], t]))
    drift = (c["r"] - c["q"] - 0.5 * c["sigma"] ** 2) * dts[:, None]
    shocks = c["sigma"] * np.sqrt(dts)[:, None] * rng.standard_normal((len(t), paths))
    return c["S"] * np.exp(np.cumsum(drift + shocks, axis=0))


def lsm(c: dict, times: list[float], spot: np.ndarray) -> tuple[float, float, list]:
    """Longstaff-Schwartz price, standard error and regression coefficients per exercise date before the last
    (None where too few paths are in the money) with exercise allowed at ``times`` (years) on the paths ``spot``
    (one row per date)."""
    t = np.asarray(times)
    paths = spot.shape[1]
    sign = 1.0 if c["kind"] == "call" else -1.0
    cash = np.maximum(sign * (spot[-1] - c["K"]), 0.0)
    coefficients: list = [None] * (len(t) - 1)
    for k in range(len(t) - 2, -1, -1):
        cash *= math.exp(-c["r"] * (t[k + 1] - t[k]))
        payoff = np.maximum(sign * (spot[k] - c["K"]), 0.0)
        itm = np.flatnonzero(payoff > 0)
        if len(itm) > 4:
            x = np.vander(spot[k, itm] / c["K"], 4, increasing=True)
            coef = np.linalg.lstsq(x, cash[itm], rcond=None)[0]
            coefficients[k] = coef.tolist()
            fitted = x @ coef
            stop = itm[payoff[itm] > fitted]
            cash[stop] = payoff[stop]
    cash *= math.exp(-c["r"] * t[0])
    return float(cash.mean()), float(cash.std(ddof=1) / math.sqrt(paths)), coefficients


def price(sheet: Path, paths: int, seed: int, supplied: Path | None = None, save: Path | None = None) -> dict:
    """Both LSM estimates for the term sheet at ``sheet``; the American run on the supplied paths if given; the
    paths of both runs saved to ``save`` if given."""
    c = load(sheet)
    m = round(50 * c["T"])
    grid = np.array([c["T"] * i / m for i in range(1, m + 1)])
    if supplied is not None:
        spot = np.asarray(np.load(supplied), dtype=float).T
        if spot.shape[0] != m:
            raise SystemExit(f"{supplied}: want one column per exercise date ({m}), got {spot.shape[0]}")
        paths = spot.shape[1]
    else:
        spot = simulate(c, grid, paths, seed)
    bermudan_spot = simulate(c, np.asarray(c["bermudan"]), paths, seed + 100)
    am, am_se, policy = lsm(c, list(grid), spot)
    be, be_se, bermudan_policy = lsm(c, c["bermudan"], bermudan_spot)
    if save is not None:
        with open(save, "wb") as fh:
            np.savez(fh, american=spot.T, bermudan=bermudan_spot.T)
    return {"american": {"lsm": am, "lsm_std_error": am_se, "lsm_paths": paths, "lsm_exercise_steps": m,
                         "continuation": {"basis": "power", "coefficients": policy}},
            "bermudan": {"lsm": be, "lsm_std_error": be_se, "lsm_paths": paths,
                         "continuation": {"basis": "power", "coefficients": bermudan_policy}}}


if __name__ == "__main__":
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("term_sheet", type=Path)
    cli.add_argument("paths", type=int)
    cli.add_argument("seed", type=int)
    cli.add_argument("--paths", dest="supplied", type=Path, help=".npy array of spot prices, paths x exercise dates")
    cli.add_argument("--save-paths", dest="save", type=Path, help=".npz archive to save both runs' paths to")
    args = cli.parse_args()
    print(json.dumps(price(args.term_sheet, args.paths, args.seed, args.supplied, args.save)))
