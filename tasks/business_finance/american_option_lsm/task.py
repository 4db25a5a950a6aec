"""American and Bermudan option valuation by Longstaff-Schwartz Monte Carlo with a CRR benchmark.

Workflow: from a term sheet (underlying, strike, flat continuously compounded rate and dividend
yield, volatility, ACT/365 maturity and a Bermudan exercise schedule) the quant prices the
European option in closed form (Black-Scholes-Merton), the American option on a 2000-step
Cox-Ross-Rubinstein tree and by Longstaff-Schwartz with a stated path and exercise-step budget,
the Bermudan sibling both ways, computes tree Greeks, extracts the early-exercise boundary from
the tree, and documents convergence (tree steps, Monte Carlo paths).

Reference (generate): the term sheet's spot, volatility and rate are drawn from the seed around the variant's
levels (so that no benchmark figure carries over to another instance); BSM in closed form; the American price from very fine CRR trees (mean of
8000 and 8001 steps); the Bermudan price from a tree whose steps fall exactly on the exercise
dates; the 50-per-year discretely exercisable price that LSM targets; Greeks and the boundary
from a 4000-step tree; CRR prices at each convergence step count; and a standard-error scale
from a small LSM run of the grader's own. The term sheet carries the desk's mark of the American
option (per variant: its value, its European value or its Bermudan sibling's value, jittered within a
quarter of the validation tolerance), which the validator must accept or challenge and diagnose. A hidden sibling contract (spot, volatility and rate
perturbed, same dates) with its own targets, and a deep in-the-money sibling (early exercise dominant, where an
LSM estimate's spread is a fraction of a European simulation's), on which the submitted pricer is re-run.

Grade: gates on the four deliverables; then the BSM price, the American and Bermudan tree prices,
the two LSM estimates within their reported standard errors (with the stated budget and a
plausible error), no-arbitrage ordering and the early-exercise premium, the review of the desk's mark
(gap, verdict, diagnosis), Greek values and signs,
the boundary's shape and level, the tree convergence column re-priced step count by step count,
the Monte Carlo convergence (error scaling, estimates, tie to the headline run); and the submitted
lsm_pricer.py, re-run in a fresh sandbox: on the term sheet with its seed it must reproduce the
reported LSM prices, on the hidden contract its estimates must land within their standard errors
of that contract's value, and it must repeat itself for a seed and vary across seeds (a lattice
price dressed up as Monte Carlo does not), and on the deep in-the-money sibling its standard errors must be
no wider than a regression-based estimator's (variance reduction is welcome) (a lattice price plus the noise of a European simulation has a spread
several times too wide there). The pricer also reports, for its American run, the regression it fitted (basis and
coefficients per exercise date): on the term sheet and on the hidden contract the fitted continuation value must track
the continuation value of a CRR tree exercisable on the same dates over the in-the-money region, and the policy it
defines, applied to the grader's own paths, must price within its error of the value (paths stopped at a tree's
exercise boundary give the right estimates and standard errors but have no regression to show); the regression must
also change with the seed. Finally the pricer is handed the reviewer's own paths of the hidden contract (--paths, a
.npy array): on given paths the regression is determined by the reported basis and degree, so the grader replays the
run (the in-the-money regression of the discounted realised cash flows under the pricer's own later decisions, date
by date) and each reported fit must be that regression, and the American estimate its policy's value on those paths
(a continuation curve fitted to a tree's values, with paths stopped at the tree's boundary, is not). The pricer's
own runs are audited the same way: the headline run on the term sheet and a hidden-contract run are made with
--save-paths, the saved American and Bermudan paths must be the contract's GBM (log-increment moments per step), and
on them each run's reported fits (American and Bermudan) must be the in-the-money regressions and its estimates its
policies' values, so the headline figures are what the run's own paths give (a pricer that is honest only when
handed paths, and otherwise prints tree prices with Monte Carlo dress, does not reproduce them).
"""
# ALE-CANARY-01e903fe-61ee-4b3c-b0ab-ad641a3d0871

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, as_number

LSM_PATHS = 160_000
LSM_STEPS_PER_YEAR = 50
CRR_STEPS = 2000
CONV_STEPS = [50, 100, 200, 400, 800, 1600, 3200]
CONV_PATHS = [2500, 10_000, 40_000, 160_000]
RERUN_PATHS = 40_000
PRICER = "lsm_pricer.py"
BOUNDARY_POINTS = 20
GREEKS = ("delta", "gamma", "vega", "theta", "rho")


# ---------------------------------------------------------------------------------------------
# the contract
# ---------------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def contract(params: dict[str, Any]) -> dict[str, Any]:
    """The term sheet's numbers: times in years ACT/365 from the valuation date."""
    start = dt.date.fromisoformat(params["valuation_date"])
    end = dt.date.fromisoformat(params["maturity_date"])
    schedule = params["schedule"]
    if schedule in ("monthly", "quarterly"):
        step = 1 if schedule == "monthly" else 3
        dates, k = [], 1
        while (d := add_months(start, step * k)) < end:
            dates.append(d)
            k += 1
        dates.append(end)
    else:
        dates = [dt.date.fromisoformat(s) for s in schedule.split(",")]
    return {
        "kind": params["kind"], "S": params["spot"], "K": params["strike"], "r": params["rate"],
        "q": params["dividend_yield"], "sigma": params["vol"], "days": (end - start).days,
        "T": (end - start).days / 365.0, "dates": dates, "start": start, "end": end,
        "ex_days": [(d - start).days for d in dates],
    }


# ---------------------------------------------------------------------------------------------
# pricing models
# ---------------------------------------------------------------------------------------------


def bsm(c: dict[str, Any]) -> float:
    S, K, r, q, s, T = c["S"], c["K"], c["r"], c["q"], c["sigma"], c["T"]
    d1 = (math.log(S / K) + (r - q + 0.5 * s * s) * T) / (s * math.sqrt(T))
    d2 = d1 - s * math.sqrt(T)
    cdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    if c["kind"] == "call":
        return S * math.exp(-q * T) * cdf(d1) - K * math.exp(-r * T) * cdf(d2)
    return K * math.exp(-r * T) * cdf(-d2) - S * math.exp(-q * T) * cdf(-d1)


def crr(c: dict[str, Any], steps: int, *, exercise_steps: set[int] | None = None, boundary: bool = False,
        held: dict[int, tuple[np.ndarray, np.ndarray]] | None = None, **bump: float) -> dict[str, Any]:
    """Cox-Ross-Rubinstein tree (p = (e^{(r-q)dt} - d)/(u - d)); American unless exercise_steps is given.
    With ``held``, the spots (ascending) and the value of holding at each exercise step go into it."""
    p_ = {**c, **bump}
    S, K, r, q, sigma, T = p_["S"], p_["K"], p_["r"], p_["q"], p_["sigma"], p_["T"]
    dt_ = T / steps
    u = math.exp(sigma * math.sqrt(dt_))
    d = 1 / u
    p = (math.exp((r - q) * dt_) - d) / (u - d)
    disc = math.exp(-r * dt_)
    sign = 1.0 if c["kind"] == "call" else -1.0
    prices = S * u ** np.arange(-steps, steps + 1)
    value = np.maximum(sign * (prices[0::2][::-1] - K), 0.0)
    early: dict[int, float] = {}
    keep: dict[int, np.ndarray] = {}
    for i in range(steps - 1, -1, -1):
        value = disc * (p * value[:-1] + (1 - p) * value[1:])
        if exercise_steps is None or i in exercise_steps:
            nodes = prices[steps - i:steps + i + 1:2][::-1]
            if held is not None:
                held[i] = (nodes[::-1].copy(), value[::-1].copy())
            payoff = sign * (nodes - K)
            exercise = (payoff >= value) & (payoff > 0)
            value = np.where(exercise, payoff, value)
            if boundary and exercise.any():
                early[i] = float(nodes[exercise].max() if sign < 0 else nodes[exercise].min())
        if i <= 2:
            keep[i] = value.copy()
    delta = (keep[1][0] - keep[1][1]) / (S * u - S * d)
    d_up = (keep[2][0] - keep[2][1]) / (S * u * u - S)
    d_dn = (keep[2][1] - keep[2][2]) / (S - S * d * d)
    gamma = (d_up - d_dn) / (0.5 * (S * u * u - S * d * d))
    return {"price": float(value[0]), "delta": float(delta), "gamma": float(gamma), "boundary": early}


def tree_greeks(c: dict[str, Any], steps: int) -> dict[str, float]:
    """Delta and gamma from the tree's first nodes; vega, rho, theta by bump and reprice."""
    base = crr(c, steps)
    bumped = lambda **kw: crr(c, steps, **kw)["price"]  # noqa: E731
    return {
        "delta": base["delta"], "gamma": base["gamma"],
        "vega": (bumped(sigma=c["sigma"] + 0.01) - bumped(sigma=c["sigma"] - 0.01)) / 2,
        "rho": (bumped(r=c["r"] + 1e-4) - bumped(r=c["r"] - 1e-4)) / 2 * 100,
        "theta": bumped(T=c["T"] - 1 / 365) - base["price"],
    }


def boundary_curve(c: dict[str, Any], steps: int) -> list[tuple[float, float | None]]:
    """Critical spot at t = j T / 20, j = 1..19, from the tree step nearest each time."""
    early = crr(c, steps, boundary=True)["boundary"]
    out = []
    for j in range(1, BOUNDARY_POINTS):
        t = c["T"] * j / BOUNDARY_POINTS
        out.append((t, early.get(round(t / c["T"] * steps))))
    return out


def gbm_paths(c: dict[str, Any], t: np.ndarray, paths: int, seed: int) -> np.ndarray:
    """Spot prices of ``paths`` risk-neutral geometric Brownian motion paths drawn from ``seed`` at the ascending
    times ``t`` (years), shape (len(t), paths)."""
    dts = np.diff(np.concatenate([[0.0], t]))
    z = np.random.default_rng(seed).standard_normal((len(t), paths))
    drift, s = c["r"] - c["q"] - 0.5 * c["sigma"] ** 2, c["sigma"]
    return c["S"] * np.exp(np.cumsum(drift * dts[:, None] + s * np.sqrt(dts)[:, None] * z, axis=0))


def lsm(c: dict[str, Any], times: list[float], paths: int, seed: int, degree: int = 3) -> tuple[float, float]:
    """Longstaff-Schwartz on in-the-money paths with a cubic polynomial in S/K; (price, standard error)."""
    t = np.asarray(times)
    K, r = c["K"], c["r"]
    spot = gbm_paths(c, t, paths, seed)
    sign = 1.0 if c["kind"] == "call" else -1.0
    value = np.maximum(sign * (spot[-1] - K), 0.0)
    for k in range(len(t) - 2, -1, -1):
        value *= math.exp(-r * (t[k + 1] - t[k]))
        payoff = np.maximum(sign * (spot[k] - K), 0.0)
        itm = np.flatnonzero(payoff > 0)
        if len(itm) > degree + 1:
            basis = np.vander(spot[k, itm] / K, degree + 1)
            coef = np.linalg.lstsq(basis, value[itm], rcond=None)[0]
            stop = itm[payoff[itm] > basis @ coef]
            value[stop] = payoff[stop]
    value *= math.exp(-r * t[0])
    return float(value.mean()), float(value.std(ddof=1) / math.sqrt(paths))


def lsm_times(c: dict[str, Any]) -> list[float]:
    m = round(LSM_STEPS_PER_YEAR * c["T"])
    return [c["T"] * i / m for i in range(1, m + 1)]


CONTINUATION_POINTS = 40  # in-the-money spots per exercise date at which a fitted continuation value is compared
ITM_FLOOR = 0.05  # exercise dates with a smaller in-the-money probability are not compared (too few paths to fit)
CONTINUATION_TOL = 0.015  # mean RMS gap of the fitted to the benchmark continuation value, as a share of the strike
POLICY_PATHS = 100_000  # the reviewer's own paths on which the submitted exercise policy is priced
POLICY_SHORTFALL = 0.015  # how far below the benchmark policy's value it may price, as a share of the value
BASES = {"power": "power", "monomial": "power", "laguerre": "laguerre"}


def continuation_reference(c: dict[str, Any], per: int = 80) -> dict[str, list[Any]]:
    """The benchmark continuation value (value of holding, at that date) of the American option exercisable on
    the LSM grid, at each exercise date before expiry, from a CRR tree with ``per`` steps between dates, read at
    CONTINUATION_POINTS in-the-money spots spread like the risk-neutral in-the-money distribution at that date
    (None where the in-the-money probability is below ITM_FLOOR); and the tree's critical spot at each of those
    dates (None where it never exercises)."""
    from statistics import NormalDist

    m = round(LSM_STEPS_PER_YEAR * c["T"])
    held: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    critical = crr(c, per * m, exercise_steps={per * i for i in range(1, m + 1)}, boundary=True, held=held)["boundary"]
    sign = 1.0 if c["kind"] == "call" else -1.0
    normal = NormalDist()
    out: list[dict[str, Any] | None] = []
    for k in range(1, m):
        t = c["T"] * k / m
        mu, sd = math.log(c["S"]) + (c["r"] - c["q"] - 0.5 * c["sigma"] ** 2) * t, c["sigma"] * math.sqrt(t)
        below = normal.cdf((math.log(c["K"]) - mu) / sd)
        itm = below if sign < 0 else 1 - below
        if itm < ITM_FLOOR:
            out.append(None)
            continue
        quantiles = [(j + 0.5) / CONTINUATION_POINTS * itm for j in range(CONTINUATION_POINTS)]
        spots = np.exp([mu + sd * normal.inv_cdf(x if sign < 0 else 1 - x) for x in quantiles])
        value = np.interp(spots, *held[per * k])
        out.append({"t": t, "itm": itm, "spots": spots.tolist(), "value": value.tolist()})
    return {"dates": out, "critical": [critical.get(per * k) for k in range(1, m)]}


def basis_matrix(x: np.ndarray, basis: str, degree: int) -> np.ndarray:
    """Regression basis in x = S/K: powers 1..x^d, or weighted Laguerre e^{-x/2} L_n(x), n = 0..d."""
    if basis == "power":
        return np.vander(x, degree + 1, increasing=True)
    lag = [np.ones_like(x), 1 - x]
    for n in range(1, degree):
        lag.append(((2 * n + 1 - x) * lag[n] - n * lag[n - 1]) / (n + 1))
    return np.exp(-x / 2)[:, None] * np.stack(lag[:degree + 1], axis=1)


def parse_policy(raw: Any, m: int) -> tuple[tuple[str, list[np.ndarray | None]] | None, str]:
    """(basis, coefficients per exercise date before expiry) from the pricer's ``continuation`` object, or None
    and why not."""
    if not isinstance(raw, dict):
        return None, "no american.continuation object"
    basis = BASES.get(str(raw.get("basis", "")).strip().lower())
    coefs = raw.get("coefficients")
    if basis is None:
        return None, f"basis {raw.get('basis')!r} is not power or laguerre"
    if not isinstance(coefs, list) or len(coefs) != m - 1:
        return None, f"coefficients: want a list of {m - 1} exercise dates before expiry"
    out: list[np.ndarray | None] = []
    sizes = set()
    for row in coefs:
        if row is None:
            out.append(None)
            continue
        values = [as_number(v) for v in row] if isinstance(row, list) else [None]
        if any(v is None or not math.isfinite(v) for v in values) or not 3 <= len(values) <= 5:
            return None, "each date's coefficients must be 3 to 5 finite numbers (degree 2 to 4) or null"
        sizes.add(len(values))
        out.append(np.array(values, dtype=float))
    if len(sizes) != 1:
        return None, "one basis degree at every date"
    return (basis, out), ""


def continuation_gap(c: dict[str, Any], policy: tuple[str, list[np.ndarray | None]],
                     reference: list[dict[str, Any] | None]) -> tuple[float, int]:
    """Mean over the compared exercise dates of the RMS gap between the fitted and the benchmark continuation
    value at the reference's in-the-money spots, as a share of the strike (a date without a fit counts as
    continuation 0); and the number of dates compared."""
    basis, coefs = policy
    gaps = []
    for ref, cf in zip(reference, coefs, strict=True):
        if ref is None:
            continue
        spots = np.asarray(ref["spots"])
        fitted = basis_matrix(spots / c["K"], basis, len(cf) - 1) @ cf if cf is not None else np.zeros_like(spots)
        gaps.append(float(np.sqrt(np.mean((fitted - np.asarray(ref["value"])) ** 2))))
    return (float(np.mean(gaps)) / c["K"] if gaps else math.inf), len(gaps)


def policy_value(c: dict[str, Any], policy: tuple[str, list[np.ndarray | None]], critical: list[float | None],
                 paths: int, seed: int) -> tuple[float, float, float]:
    """The exercise policy (exercise in the money when the payoff exceeds the fitted continuation value; at expiry
    when in the money) applied to fresh paths, a lower bound of the option's value: its value there, the value of
    the benchmark's policy (exercise beyond the tree's critical spot) on the same paths, and the standard error of
    their difference."""
    basis, coefs = policy
    t = np.asarray(lsm_times(c))
    spots = gbm_paths(c, t, paths, seed)
    sign = 1.0 if c["kind"] == "call" else -1.0
    cash, bench = np.zeros(paths), np.zeros(paths)
    alive, bench_alive = np.ones(paths, dtype=bool), np.ones(paths, dtype=bool)
    for k, spot in enumerate(spots):
        payoff = np.maximum(sign * (spot - c["K"]), 0.0)
        last = k == len(t) - 1
        stop = bench_alive & (payoff > 0) & (last or (critical[k] is not None and sign * (spot - critical[k]) >= 0))
        bench[stop] = payoff[stop] * math.exp(-c["r"] * t[k])
        bench_alive &= ~stop
        if last:
            go = alive & (payoff > 0)
        elif coefs[k] is None:
            continue
        else:
            with np.errstate(all="ignore"):
                held = basis_matrix(spot / c["K"], basis, len(coefs[k]) - 1) @ coefs[k]
            go = alive & (payoff > 0) & (payoff > np.nan_to_num(held, nan=np.inf))
        cash[go] = payoff[go] * math.exp(-c["r"] * t[k])
        alive &= ~go
    return float(cash.mean()), float(bench.mean()), float((cash - bench).std(ddof=1) / math.sqrt(paths))


REPLAY_FILE = "reviewer_paths.npy"
REPLAY_PATHS = 20_000  # the reviewer's own paths of the hidden contract, handed to the pricer with --paths
REPLAY_ITM_SHARE = 0.05  # exercise dates with fewer in-the-money replay paths than this share are not compared
REPLAY_TOL = 1e-4  # largest RMS gap (share of the strike) of the pricer's fit to the regression it claims to be
REPLAY_PRICE_TOL = 0.05  # in-sample price vs the policy's value on the replay paths, in standard errors


def replay_paths(c: dict[str, Any], seed: int) -> np.ndarray:
    """The reviewer's own paths of contract ``c`` on its LSM grid, one row per path (paths x dates)."""
    return gbm_paths(c, np.asarray(lsm_times(c)), REPLAY_PATHS, seed).T.copy()


def replay_regression(c: dict[str, Any], policy: tuple[str, list[np.ndarray | None]],
                      paths: np.ndarray, times: list[float] | None = None) -> dict[str, Any]:
    """Longstaff-Schwartz replayed on ``paths`` (paths x dates) with the pricer's own exercise decisions: backwards
    from expiry, at each exercise date the discounted realised cash flows of the in-the-money paths (under the
    policy the pricer reported for the later dates) are regressed on its basis and degree, and the fit it reported
    for that date is compared with that regression at those paths (RMS gap as a share of the strike; a date with
    enough paths in the money and no fit is a gap of infinity); then the date's decisions are the pricer's. Also
    the value of its policy on these paths (the in-sample LSM estimate) and its standard error. ``times`` are the
    exercise dates of ``paths``' columns (years; the American grid unless given)."""
    basis, coefs = policy
    t = np.asarray(lsm_times(c) if times is None else times)
    spot = paths.T
    sign = 1.0 if c["kind"] == "call" else -1.0
    n = spot.shape[1]
    cash = np.maximum(sign * (spot[-1] - c["K"]), 0.0)
    gaps: dict[int, float] = {}
    for k in range(len(t) - 2, -1, -1):
        cash *= math.exp(-c["r"] * (t[k + 1] - t[k]))
        payoff = np.maximum(sign * (spot[k] - c["K"]), 0.0)
        itm = np.flatnonzero(payoff > 0)
        fitted = None
        if coefs[k] is not None:
            with np.errstate(all="ignore"):
                fitted = basis_matrix(spot[k, itm] / c["K"], basis, len(coefs[k]) - 1) @ coefs[k]
        if len(itm) >= REPLAY_ITM_SHARE * n:
            if fitted is None:
                gaps[k] = math.inf
            else:
                x = basis_matrix(spot[k, itm] / c["K"], basis, len(coefs[k]) - 1)
                own = x @ np.linalg.lstsq(x, cash[itm], rcond=None)[0]
                gap = float(np.sqrt(np.mean((fitted - own) ** 2))) / c["K"]
                gaps[k] = gap if math.isfinite(gap) else math.inf
        if fitted is not None:
            stop = itm[payoff[itm] > np.nan_to_num(fitted, nan=np.inf)]
            cash[stop] = payoff[stop]
    cash *= math.exp(-c["r"] * t[0])
    return {"gaps": gaps, "value": float(cash.mean()), "se": float(cash.std(ddof=1) / math.sqrt(n))}


# ---------------------------------------------------------------------------------------------
# generate
# ---------------------------------------------------------------------------------------------


def term_sheet(params: dict[str, Any], c: dict[str, Any]) -> dict[str, Any]:
    return {
        "instrument": f"{c['kind'].title()} option on ordinary shares of NRTH (single stock), cash settled",
        "option_type": c["kind"],
        "exercise": "American (any business or calendar day up to and including expiry); Bermudan sibling: "
                    "exercisable only on the listed dates",
        "valuation_date": params["valuation_date"],
        "expiry_date": params["maturity_date"],
        "day_count": "ACT/365 fixed",
        "spot": c["S"], "strike": c["K"],
        "risk_free_rate_cc": c["r"], "dividend_yield_cc": c["q"], "volatility": c["sigma"],
        "bermudan_exercise_dates": [d.isoformat() for d in c["dates"]],
        "notional_shares": 1,
        "lsm_seed": int(params["seed"]) % 1_000_000,
    }


def hidden_params(params: dict[str, Any]) -> dict[str, Any]:
    """A perturbed sibling contract (same dates and kind) on which the submitted pricer is re-run."""
    rng = np.random.default_rng([int(params["seed"]), 7])
    richer = rng.choice([-1.0, 1.0])  # spot and volatility both move the value the same way, by 10 % or more
    moneyness = richer * (1.0 if params["kind"] == "call" else -1.0)
    return {**params, "spot": round(params["spot"] * (1 + moneyness * rng.uniform(0.06, 0.12)), 2),
            "vol": round(params["vol"] + richer * rng.uniform(0.03, 0.06), 4),
            "rate": round(max(0.005, params["rate"] + rng.uniform(-0.01, 0.01)), 5),
            "seed": int(rng.integers(1_000_000))}


DEEP_MONEYNESS = {"put": 0.5, "call": 1.8}  # spot / strike of the deep in-the-money sibling
DEEP_SE_RATIO = 0.4  # its LSM American standard error must be at most this share of the European payoff's


def deep_params(params: dict[str, Any]) -> dict[str, Any]:
    """A deep in-the-money sibling (same dates, volatility and rate), where early exercise dominates: an LSM
    estimator's spread there is a small fraction of the European payoff's, so a lattice price with Monte Carlo
    noise borrowed from a European simulation is told apart from a Longstaff-Schwartz run."""
    seed = int(np.random.default_rng([int(params["seed"]), 13]).integers(1_000_000))
    return {**params, "spot": round(params["strike"] * DEEP_MONEYNESS[params["kind"]], 2), "seed": seed}


def european_payoff_se(c: dict[str, Any], paths: int, seed: int) -> float:
    """Standard error of a plain Monte Carlo of the European payoff with ``paths`` paths."""
    z = np.random.default_rng(seed).standard_normal(paths)
    end = c["S"] * np.exp((c["r"] - c["q"] - 0.5 * c["sigma"] ** 2) * c["T"] + c["sigma"] * math.sqrt(c["T"]) * z)
    sign = 1.0 if c["kind"] == "call" else -1.0
    payoff = np.maximum(sign * (end - c["K"]), 0.0) * math.exp(-c["r"] * c["T"])
    return float(payoff.std(ddof=1) / math.sqrt(paths))


def lsm_targets(c: dict[str, Any], seed: int, se_paths: int) -> dict[str, float]:
    """What an LSM run on contract ``c`` should land on, and its standard errors at ``se_paths`` paths."""
    m = round(LSM_STEPS_PER_YEAR * c["T"])
    per_day = 20
    return {
        "american": sum(crr(c, n)["price"] for n in (8000, 8001)) / 2,
        "american_discrete": crr(c, 80 * m, exercise_steps={80 * i for i in range(1, m + 1)})["price"],
        "bermudan": crr(c, per_day * c["days"], exercise_steps={per_day * d for d in c["ex_days"]})["price"],
        "american_se": lsm(c, lsm_times(c), se_paths, seed)[1],
        "bermudan_se": lsm(c, [d / 365 for d in c["ex_days"]], se_paths, seed + 1)[1],
    }


MARK_CASES = {"accept": ("accept", "within_tolerance"), "european": ("challenge", "european_value"),
              "bermudan": ("challenge", "bermudan_value")}


def desk_mark(params: dict[str, Any], values: dict[str, float]) -> tuple[float, float]:
    """The desk's mark of the American option and the validation tolerance: the value the variant's case
    names (``accept``: the American value itself; ``european``/``bermudan``: what a desk that mispriced the
    exercise right would show), moved by up to a quarter of the tolerance. Raises ValueError when the
    case's value is not told apart from the American value and the other candidates by 4 tolerances."""
    american = values["accept"]
    tolerance = round(max(0.01, 0.0015 * american), 3)
    case = params["desk_mark"]
    others = [v for k, v in values.items() if k != case]
    if case != "accept" and min(abs(values[case] - v) for v in others) < 4 * tolerance:
        raise ValueError(f"desk_mark = {case!r}: that value lies within 4 tolerances of another candidate; "
                         "choose another case for this variant in task.toml")
    jitter = np.random.default_rng([int(params["seed"]), 11]).uniform(-0.25, 0.25)
    return round(values[case] + jitter * tolerance, 4), tolerance


def market_params(params: dict[str, Any]) -> dict[str, Any]:
    """The instance's market data, drawn from its seed around the variant's levels: spot and volatility both move
    the value the same way (spot by 1.5 to 4 %, volatility by 0.9 to 2.5 points), the rate by up to 30 basis
    points; strike, dividend yield and dates stay. No benchmark figure of one instance is another's."""
    rng = np.random.default_rng([int(params["seed"]), 29])
    richer = rng.choice([-1.0, 1.0])
    moneyness = richer * (1.0 if params["kind"] == "call" else -1.0)
    size = rng.uniform(0.015, 0.04)
    return {**params, "spot": round(params["spot"] * (1 + moneyness * size), 2),
            "vol": round(params["vol"] + richer * size * 0.625, 4),
            "rate": round(params["rate"] + rng.uniform(-0.003, 0.003), 4)}


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    params = market_params(dict(params))
    c = contract(params)
    sheet = term_sheet(params, c)
    hidden = hidden_params(params)
    hidden_c = contract(hidden)
    (reference_dir / "hidden_term_sheet.json").write_text(json.dumps(term_sheet(hidden, hidden_c), indent=2) + "\n")

    public = lsm_targets(c, int(params["seed"]), LSM_PATHS // 4)
    european = bsm(c)
    mark, tolerance = desk_mark(params, {"accept": public["american"], "european": european,
                                         "bermudan": public["bermudan"]})
    sheet |= {"desk_mark": mark, "validation_tolerance": tolerance}
    (input_dir / "term_sheet.json").write_text(json.dumps(sheet, indent=2) + "\n")
    hidden_seed = int(hidden["seed"]) % 1_000_000
    deep = deep_params(params)
    deep_c = contract(deep)
    (reference_dir / "deep_term_sheet.json").write_text(json.dumps(term_sheet(deep, deep_c), indent=2) + "\n")
    deep_seed = int(deep["seed"]) % 1_000_000
    deep_ref = {**lsm_targets(deep_c, deep_seed, RERUN_PATHS), "seed": deep_seed,
                "european_se": european_payoff_se(deep_c, RERUN_PATHS, deep_seed)}
    if deep_ref["american_se"] > DEEP_SE_RATIO * deep_ref["european_se"]:
        raise ValueError(f"the deep in-the-money sibling (spot {deep['spot']}) does not tell an LSM spread from a "
                         "European one; change DEEP_MONEYNESS")
    ref = {
        "desk_mark": {"mark": mark, "tolerance": tolerance, "case": params["desk_mark"]},
        "contract": {k: v for k, v in c.items() if k not in ("dates", "start", "end")},
        "european": european,
        **public,
        # the standard error at the full budget: a quarter of the paths gives twice the error
        "american_se": public["american_se"] / 2, "bermudan_se": public["bermudan_se"] / 2,
        "greeks": tree_greeks(c, 4000),
        "boundary": boundary_curve(c, 4000),
        "crr_convergence": {str(n): crr(c, n)["price"] for n in CONV_STEPS},
        "lsm_steps": round(LSM_STEPS_PER_YEAR * c["T"]),
        "hidden": {**lsm_targets(hidden_c, hidden_seed, RERUN_PATHS), "seeds": [hidden_seed, hidden_seed + 17],
                   "lsm_steps": round(LSM_STEPS_PER_YEAR * hidden_c["T"]),
                   "contract": {k: v for k, v in hidden_c.items() if k not in ("dates", "start", "end")},
                   "policy": continuation_reference(hidden_c)},
        "policy": continuation_reference(c),
        "policy_seed": int(np.random.default_rng([int(params["seed"]), 19]).integers(1_000_000)),
        "deep": deep_ref,
    }
    (reference_dir / "reference.json").write_text(json.dumps(ref, indent=1))


# ---------------------------------------------------------------------------------------------
# grading
# ---------------------------------------------------------------------------------------------


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _num(data: Any, *path: str) -> float | None:
    return as_number(_get(data, *path))


def grade_prices(g: Grading, ref: dict[str, Any], pricing: Any) -> None:
    c = ref["contract"]
    american, bermudan = ref["american"], ref["bermudan"]
    g.number("European price (Black-Scholes-Merton)", _get(pricing, "european_bsm"), ref["european"], abs_tol=2e-3)
    g.number("American price on the CRR tree", _get(pricing, "american", "crr"), american,
             abs_tol=max(0.01, 1e-3 * american), weight=2)
    g.number("Bermudan price on the CRR tree", _get(pricing, "bermudan", "crr"), bermudan,
             abs_tol=max(0.015, 2e-3 * bermudan), weight=2)
    budget_ok = _num(pricing, "american", "lsm_paths") == LSM_PATHS and \
        _num(pricing, "american", "lsm_exercise_steps") == ref["lsm_steps"] and \
        _num(pricing, "bermudan", "lsm_paths") == LSM_PATHS
    low, high = sorted((american, ref["american_discrete"]))
    grade_lsm(g, "American LSM estimate within its standard error, on the stated budget", pricing, "american",
              (low, high), ref["american_se"], budget_ok)
    grade_lsm(g, "Bermudan LSM estimate within its standard error, on the stated budget", pricing, "bermudan",
              (bermudan, bermudan), ref["bermudan_se"], budget_ok)
    euro, am, be = (_num(pricing, "european_bsm"), _num(pricing, "american", "crr"), _num(pricing, "bermudan", "crr"))
    premium = _num(pricing, "early_exercise_premium")
    intrinsic = max(0.0, (c["S"] - c["K"]) if c["kind"] == "call" else (c["K"] - c["S"]))
    ordered = None not in (euro, am, be, premium) and euro - 1e-9 <= be <= am + 1e-9 and am >= intrinsic - 1e-9 \
        and abs(premium - (am - euro)) <= 1e-4 and premium > 0
    g.check("no-arbitrage ordering (European <= Bermudan <= American, American >= intrinsic) and premium",
            bool(ordered), found={"european": euro, "bermudan": be, "american": am, "premium": premium},
            reason="" if ordered else "ordering, intrinsic bound or premium = American - European violated")


def lsm_consistent(price: float, se: float, band: tuple[float, float], ref_se: float) -> tuple[bool, bool]:
    """(estimate within 3 standard errors of the band, standard error within 0.4-1.6 of the reference's)."""
    slack = 3 * se + 0.004 * band[1]
    return band[0] - slack <= price <= band[1] + slack, 0.4 * ref_se <= se <= 1.6 * ref_se


def run_pricer(g: Grading, sheet: Path, paths: int, seed: int, policies: dict[str, Any] | None = None,
               label: str = "", supplied: bytes | None = None,
               saved: dict[str, Any] | None = None) -> tuple[dict[str, Any] | None, str]:
    """The submitted pricer's estimates for one term sheet, path count and seed (with ``supplied``, the bytes of a
    .npy file of paths handed to it with --paths), or None and why not; its ``american.continuation`` object goes
    into ``policies[label]``. With ``saved`` it is asked to save its paths (--save-paths), and ``saved[label]``
    gets that file, both continuation objects and the estimates."""
    argv, files = ["python3", PRICER, "term_sheet.json", str(paths), str(seed)], {PRICER: g.output(PRICER),
                                                                                  "term_sheet.json": sheet}
    if supplied is not None:
        argv += ["--paths", REPLAY_FILE]
        files[REPLAY_FILE] = supplied
    if saved is not None:
        argv += ["--save-paths", SAVE_FILE]
    result = g.run_tool(argv, files, timeout=150, memory_mb=4096)
    if result.timed_out or result.returncode != 0:
        return None, f"{' '.join(argv[1:])}: exit {result.returncode} {result.stderr[-300:]}"
    try:
        data = json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None, f"{PRICER} {paths} {seed}: stdout is not one JSON object"
    if policies is not None:
        policies[label] = _get(data, "american", "continuation")
    prices = {k: (_num(data, k, "lsm"), _num(data, k, "lsm_std_error")) for k in ("american", "bermudan")}
    if any(v is None or not math.isfinite(v) for pair in prices.values() for v in pair):
        return None, f"{PRICER} {paths} {seed}: american/bermudan lsm or lsm_std_error missing"
    if saved is not None:
        saved[label] = {"file": result.workdir / SAVE_FILE, "prices": prices,
                        "policies": {k: _get(data, k, "continuation") for k in ("american", "bermudan")}}
    return prices, ""


HIDDEN_CHECK = f"{PRICER} on a hidden contract: estimates within their standard errors of its value"
MONTE_CARLO_CHECK = f"{PRICER} is a Monte Carlo: repeatable for a seed, varying across seeds"
DEEP_CHECK = (f"{PRICER} on a deep in-the-money contract: estimates on its value, with standard errors no wider "
              "than a regression-based estimator's")


def band_misses(runs: dict[str, Any], labels: tuple[str, ...], target: dict[str, Any], *,
                se_floor: bool = True) -> list[str]:
    """The runs (by label) whose American or Bermudan estimate or standard error is off the target contract's;
    without ``se_floor`` a standard error below the reference's (variance reduction) is not held against it."""
    bands = {"american": sorted((target["american"], target["american_discrete"])),
             "bermudan": (target["bermudan"], target["bermudan"])}
    misses = []
    for label in labels:
        for k, band in bands.items():
            price, se = runs[label][k]
            inside, plausible = lsm_consistent(price, se, (band[0], band[1]), target[f"{k}_se"])
            if not (inside and (plausible or (not se_floor and 0 < se <= target[f"{k}_se"]))):
                misses.append(f"{k} seed {label}: price {price:.4f} se {se:.4f}")
    return misses


CONTINUATION_CHECK = (f"{PRICER} exercise policy: its fitted continuation value tracks the benchmark's over the "
                      "in-the-money region (term sheet and hidden contract)")
POLICY_CHECK = f"{PRICER} exercise policy applied to the reviewer's own paths is worth what the benchmark's is"


def grade_policy(g: Grading, ref: dict[str, Any], policies: dict[str, Any]) -> None:
    """The regression the pricer reports for the American option (basis and coefficients per exercise date), from
    the 160,000-path run on the term sheet and a 40,000-path run on the hidden contract: its continuation value
    must track the CRR benchmark's where the option is in the money (a regression does to within a fraction of a
    percent of the strike; an exercise boundary dressed up as a "continuation" that only crosses the payoff at
    the boundary does not), and the policy it defines, applied to fresh paths of the reviewer's, must be worth
    about what the benchmark's policy is on the same paths (a lower bound: a poor policy gives a low value)."""
    cases = (("term sheet", "public", ref["contract"], ref["policy"], ref["american_discrete"], ref["lsm_steps"]),
             ("hidden contract", "a", ref["hidden"]["contract"], ref["hidden"]["policy"],
              ref["hidden"]["american_discrete"], ref["hidden"]["lsm_steps"]))
    gaps, values, problems, parsed = {}, {}, [], {}
    for name, label, c, bench, _, steps in cases:
        parsed[name], why = parse_policy(policies.get(label), steps)
        if parsed[name] is None:
            problems.append(f"{name}: {why}")
            continue
        gap, dates = continuation_gap(c, parsed[name], bench["dates"])
        gaps[name] = {"mean_rms_gap_share_of_strike": round(gap, 5), "dates_compared": dates}
        if not gap <= CONTINUATION_TOL:
            problems.append(f"{name}: mean RMS gap {gap:.2%} of the strike (at most {CONTINUATION_TOL:.1%})")
    g.check(CONTINUATION_CHECK, not problems, weight=3, expected=f"mean RMS gap <= {CONTINUATION_TOL:.1%} of strike",
            found=gaps, reason="; ".join(problems))
    bad = []
    for name, _, c, bench, target, _ in cases:
        if parsed[name] is None:
            bad.append(f"{name}: no policy")
            continue
        value, best, se = policy_value(c, parsed[name], bench["critical"], POLICY_PATHS, ref["policy_seed"])
        values[name] = {"policy_value": round(value, 4), "benchmark_policy_value": round(best, 4),
                        "se_of_difference": round(se, 5), "value": round(target, 4)}
        if not -POLICY_SHORTFALL * target - 3 * se <= value - best <= 0.002 * target + 3 * se:
            bad.append(f"{name}: the policy is worth {value:.4f} where the benchmark's is worth {best:.4f} "
                       f"(+- {se:.4f}) on the same paths")
    g.check(POLICY_CHECK, not bad, weight=2, found=values, reason="; ".join(bad))


REPLAY_CHECK = (f"{PRICER} on the reviewer's own paths (--paths) of the hidden contract: its continuation fits are the "
                "in-the-money regressions of those paths' realised cash flows, and its estimate is its policy's value "
                "there")


def replay_problems(c: dict[str, Any], policy: tuple[str, list[np.ndarray | None]], paths: np.ndarray,
                    price: float, times: list[float] | None = None) -> tuple[list[str], dict[str, Any]]:
    """Replay a Longstaff-Schwartz run on ``paths`` (paths x exercise dates ``times``) with the policy the pricer
    reported: what is wrong (a fit that is not the in-the-money regression it claims, an estimate that is not its
    policy's value on those paths) and what was found."""
    replay = replay_regression(c, policy, paths, times)
    worst = max(replay["gaps"].values(), default=math.inf)
    intrinsic = max(0.0, (c["S"] - c["K"]) if c["kind"] == "call" else (c["K"] - c["S"]))
    tol = REPLAY_PRICE_TOL * replay["se"] + 1e-9 * c["K"]
    same_price = min(abs(price - replay["value"]), abs(price - max(intrinsic, replay["value"]))) <= tol
    problems = [m for m, bad in (
        (f"a fit is {worst:.2e} of the strike from the regression it claims (at most {REPLAY_TOL:.0e})",
         not worst <= REPLAY_TOL),
        (f"its estimate {price:.5f} is not its policy's value {replay['value']:.5f} on the paths",
         not same_price)) if bad]
    return problems, {"largest_gap_share_of_strike": worst, "dates_compared": len(replay["gaps"]), "estimate": price,
                      "policy_value_on_paths": round(replay["value"], 5)}


def grade_replay(g: Grading, ref: dict[str, Any], hidden_sheet: Path, seed: int) -> None:
    """Hand the pricer the reviewer's own paths of the hidden contract and replay its Longstaff-Schwartz run on
    them: on given paths the regression is determined by the basis and degree it reports, so each date's fit must
    be that regression of the discounted realised cash flows under its own later decisions, and its American
    estimate must be what its policy is worth on those paths. A continuation curve fitted to anything else (a
    lattice's values, another simulation) does not reproduce the regression on paths it never saw."""
    c = ref["hidden"]["contract"]
    paths = replay_paths(c, ref["policy_seed"] + 1)
    buffer = io.BytesIO()
    np.save(buffer, paths)
    out: dict[str, Any] = {}
    prices, error = run_pricer(g, hidden_sheet, REPLAY_PATHS, seed, out, "replay", buffer.getvalue())
    if prices is None:
        g.check(REPLAY_CHECK, False, weight=3, reason=error)
        return
    policy, why = parse_policy(out.get("replay"), ref["hidden"]["lsm_steps"])
    if policy is None:
        g.check(REPLAY_CHECK, False, weight=3, reason=why)
        return
    problems, found = replay_problems(c, policy, paths, prices["american"][0])
    g.check(REPLAY_CHECK, not problems, weight=3, expected={"largest_gap_share_of_strike": REPLAY_TOL,
                                                            "policy_value_on_paths": found.pop("policy_value_on_paths")},
            found=found, reason="; ".join(problems))


SAVE_FILE = "pricer_paths.npz"
GBM_Z = 6.0  # how many standard errors a saved path set's log-increment moments may stray from the contract's GBM
GBM_VAR_FLOOR = 0.01  # relative error of the whole-horizon log-return variance always allowed (fine Euler steps)
OWN_PATHS_CHECK = (f"{PRICER} audited on the paths it saved (--save-paths) for the term sheet and the hidden contract: "
                   "they are the contract's risk-neutral GBM, its American and Bermudan fits are their in-the-money "
                   "regressions and its estimates its policies' values there")


def saved_array(file: Path, name: str, shape: tuple[int, int]) -> tuple[np.ndarray | None, str]:
    """Array ``name`` of the .npz archive ``file`` when it is a float array of ``shape`` (its header is read before
    its data, so a malformed or oversized archive is refused, never loaded), or None and why not."""
    try:
        with zipfile.ZipFile(file) as archive, archive.open(f"{name}.npy") as member:
            read = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
            header = read[np.lib.format.read_magic(member)](member)
            if tuple(header[0]) != shape or np.dtype(header[2]).kind != "f":
                return None, f"{name}: a float array of shape {shape} wanted, got {header[2]} {tuple(header[0])}"
        with np.load(file, allow_pickle=False) as data:
            return np.asarray(data[name], dtype=float), ""
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        return None, f"{SAVE_FILE} has no readable {name!r} array ({type(exc).__name__})"


def gbm_problems(c: dict[str, Any], times: list[float], spots: np.ndarray) -> list[str]:
    """How the saved spots (paths x ``times``) fail to be the contract's risk-neutral GBM from its spot: every price
    finite and positive, distinct paths, per step and over the whole horizon the log-returns' mean and variance
    (r - q - sigma^2/2) dt and sigma^2 dt within GBM_Z standard errors (the whole horizon's variance also within
    GBM_VAR_FLOOR), uncorrelated from one step to the next (antithetic pairs, moment matching and quasi-random draws
    all meet this)."""
    if not np.all(np.isfinite(spots)) or not np.all(spots > 0):
        return ["prices not all finite and positive"]
    n = spots.shape[0]
    if np.unique(spots[:, -1]).size < 0.99 * n:
        return ["paths repeat"]
    dts = np.diff(np.concatenate([[0.0], times]))
    steps = np.diff(np.log(np.column_stack([np.full(n, c["S"]), spots])), axis=1)
    drift, var = (c["r"] - c["q"] - 0.5 * c["sigma"] ** 2) * dts, c["sigma"] ** 2 * dts
    z_mean = (steps.mean(axis=0) - drift) / np.sqrt(var / n)
    z_var = (steps.var(axis=0, ddof=1) / var - 1) / math.sqrt(2 / (n - 1))
    shocks = (steps - drift) / np.sqrt(var)
    corr = float(np.mean(shocks[:, 1:] * shocks[:, :-1])) * math.sqrt(n * max(1, len(dts) - 1))
    total = steps.sum(axis=1)
    z_total = (total.mean() - drift.sum()) / math.sqrt(var.sum() / n)
    var_total = total.var(ddof=1) / var.sum() - 1
    return [m for m, bad in (
        (f"log-increment means {np.abs(z_mean).max():.1f} standard errors off (r - q - sigma^2/2) dt",
         np.abs(z_mean).max() > GBM_Z),
        (f"log-increment variances {np.abs(z_var).max():.1f} standard errors off sigma^2 dt",
         np.abs(z_var).max() > GBM_Z),
        (f"successive log-increments correlated ({corr:.1f} standard errors)", len(dts) > 1 and abs(corr) > GBM_Z),
        (f"log-return to the last date {z_total:.1f} standard errors off its mean", abs(z_total) > GBM_Z),
        (f"log-return to the last date has {var_total:+.2%} of the variance sigma^2 T",
         abs(var_total) > max(GBM_Z * math.sqrt(2 / (n - 1)), GBM_VAR_FLOOR)))
        if bad]


def grade_own_paths(g: Grading, ref: dict[str, Any], saved: dict[str, Any]) -> None:
    """The pricer's own runs (the headline run on the term sheet with its seed, a hidden-contract run), audited on
    the paths they saved: those must be the contract's GBM, and on them each reported fit must be the in-the-money
    regression it claims and each estimate its policy's value, as on the reviewer's paths (--paths). A headline
    that is not what the run's own paths give (a lattice price with Monte Carlo dress) is not."""
    problems, found = [], {}
    for label, run, c, paths in (("term sheet", saved.get("public"), ref["contract"], LSM_PATHS),
                                 ("hidden contract", saved.get("a"), ref["hidden"]["contract"], RERUN_PATHS)):
        if run is None:
            problems.append(f"{label}: not run")
            continue
        for key, times in (("american", lsm_times(c)), ("bermudan", [d / 365 for d in c["ex_days"]])):
            name = f"{label} {key}"
            spots, why = saved_array(run["file"], key, (paths, len(times)))
            policy, why_policy = parse_policy(run["policies"].get(key), len(times))
            if spots is None or policy is None:
                problems.append(f"{name}: {why or why_policy}")
                continue
            bad = gbm_problems(c, times, spots)
            if not bad:
                bad, found[name] = replay_problems(c, policy, spots, run["prices"][key][0], times)
            problems += [f"{name}: {m}" for m in bad]
    g.check(OWN_PATHS_CHECK, not problems, weight=3, expected={"largest_gap_share_of_strike": REPLAY_TOL,
                                                               "estimate_vs_policy_value_se": REPLAY_PRICE_TOL},
            found=found, reason="; ".join(problems))


def grade_pricer(g: Grading, ref: dict[str, Any], pricing: Any) -> None:
    """Re-run the submitted Longstaff-Schwartz pricer: on the task's sheet, saving its paths (it must reproduce the
    reported headline figures, and is audited on those paths), on a hidden sibling contract twice with one seed and once with
    another (it must land on that contract's value, repeat itself for a seed, whether or not it saves its paths,
    and vary across seeds),
    and on a deep in-the-money sibling, where the spread of an LSM estimate is a small fraction of a
    European simulation's (a lattice price with borrowed Monte Carlo noise shows its European spread)."""
    hidden, deep = ref["hidden"], ref["deep"]
    seed_a, seed_b = hidden["seeds"]
    hidden_sheet = g.reference("hidden_term_sheet.json")
    public_seed = int(json.loads((g.input_dir / "term_sheet.json").read_text())["lsm_seed"])
    runs, errors, policies, saved = {}, [], {}, {}
    for label, sheet, paths, seed, save in (
            ("public", g.input_dir / "term_sheet.json", LSM_PATHS, public_seed, True),
            ("a", hidden_sheet, RERUN_PATHS, seed_a, True),
            ("a again", hidden_sheet, RERUN_PATHS, seed_a, False),
            ("b", hidden_sheet, RERUN_PATHS, seed_b, False),
            ("deep", g.reference("deep_term_sheet.json"), RERUN_PATHS, deep["seed"], False)):
        runs[label], error = run_pricer(g, sheet, paths, seed, policies, label, saved=saved if save else None)
        errors += [error] if error else []
        if runs[label] is None:
            break
    reported = {k: _num(pricing, k, "lsm") for k in ("american", "bermudan")}
    public = runs.get("public")
    same = public is not None and all(v is not None and abs(public[k][0] - v) <= 1e-6 * max(1.0, abs(v))
                                      for k, v in reported.items())
    g.check(f"{PRICER} re-run on the term sheet with its seed reproduces the reported LSM prices", same, weight=2,
            expected=reported, found=public and {k: v[0] for k, v in public.items()},
            reason="; ".join(errors) if public is None else "" if same else "the re-run gives other prices")
    if any(runs.get(k) is None for k in ("a", "a again", "b", "deep")):
        for name, weight in ((HIDDEN_CHECK, 3), (MONTE_CARLO_CHECK, 2), (DEEP_CHECK, 2), (CONTINUATION_CHECK, 3),
                             (POLICY_CHECK, 2), (REPLAY_CHECK, 3), (OWN_PATHS_CHECK, 3)):
            g.check(name, False, weight=weight, reason="; ".join(errors) or "not run")
        return
    grade_policy(g, ref, policies)
    grade_replay(g, ref, hidden_sheet, seed_a)
    grade_own_paths(g, ref, saved)
    bands = {"american": sorted((hidden["american"], hidden["american_discrete"])),
             "bermudan": (hidden["bermudan"], hidden["bermudan"])}
    bad = band_misses(runs, ("a", "b"), hidden)
    g.check(HIDDEN_CHECK, not bad, weight=3, expected={k: [round(v, 4) for v in band] for k, band in bands.items()},
            reason="; ".join(bad) + (" (band or standard error off)" if bad else ""))
    bad = band_misses(runs, ("deep",), deep, se_floor=False)
    g.check(DEEP_CHECK, not bad, weight=2,
            expected={"american_se_about": round(deep["american_se"], 4), "bermudan_se_about": round(deep["bermudan_se"], 4),
                      "american": round(deep["american"], 4)},
            reason="; ".join(bad) + (" (band or standard error off: not the spread of an LSM estimator)" if bad else ""))
    a, again, b = runs["a"], runs["a again"], runs["b"]
    repeat = all(math.isclose(a[k][0], again[k][0], rel_tol=1e-9, abs_tol=1e-12) for k in bands)
    vary = all(a[k][0] != b[k][0] and abs(a[k][0] - b[k][0]) <= 5 * math.hypot(a[k][1], b[k][1]) for k in bands) \
        and policies.get("a") != policies.get("b")
    g.check(MONTE_CARLO_CHECK, repeat and vary, weight=2,
            found={"seed a": a, "seed a again": again, "seed b": b},
            reason="" if repeat and vary else "; ".join(m for m, bad_ in (
                ("the same seed gives different prices", not repeat),
                ("another seed gives the same price or regression, or a price further apart than the standard "
                 "errors allow",
                 not vary)) if bad_))


def grade_lsm(g: Grading, name: str, pricing: Any, key: str, band: tuple[float, float], ref_se: float,
              budget_ok: bool) -> None:
    price, se = _num(pricing, key, "lsm"), _num(pricing, key, "lsm_std_error")
    if price is None or se is None or se <= 0:
        g.check(name, False, weight=2, reason="LSM price or a positive standard error missing")
        return
    inside, plausible = lsm_consistent(price, se, band, ref_se)
    ok = inside and plausible and budget_ok
    g.check(name, ok, weight=2, expected={"band": [round(band[0], 4), round(band[1], 4)], "se_about": round(ref_se, 4)},
            found={"price": price, "se": se},
            reason="" if ok else "; ".join(m for m, bad in (("estimate outside 3 s.e. of the reference", not inside),
                                                            ("standard error implausible for the budget", not plausible),
                                                            ("paths or exercise steps differ from the stated budget",
                                                             not budget_ok)) if bad))


def grade_greeks(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]]) -> None:
    found = {r.get("Greek", "").strip().lower(): as_number(r.get("Value")) for r in rows}
    tol = {"delta": (2e-3, 0.0), "gamma": (2e-4, 0.03), "vega": (1e-3, 0.02), "theta": (1e-4, 0.03),
           "rho": (1e-3, 0.02)}
    good, bad, signs = 0, [], 0
    for name in GREEKS:
        want, got = ref["greeks"][name], found.get(name)
        if got is not None and math.isclose(got, want, abs_tol=tol[name][0], rel_tol=tol[name][1]):
            good += 1
        else:
            bad.append(f"{name}={got} want {want:.5g}")
        signs += got is not None and math.copysign(1, got) == math.copysign(1, want) and \
            (name != "delta" or abs(got) < 1)
    g.check("Greeks of the American option within the stated accuracy", good / len(GREEKS), weight=2,
            expected={k: round(v, 6) for k, v in ref["greeks"].items()}, found=found, reason="; ".join(bad))
    g.check("Greeks have the signs and bounds of the contract", signs == len(GREEKS),
            reason="" if signs == len(GREEKS) else "a Greek has the wrong sign or |delta| >= 1")


def grade_boundary(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]]) -> None:
    c = ref["contract"]
    points = sorted((as_number(r.get("Time_Years")), as_number(r.get("Critical_Spot"))) for r in rows
                    if as_number(r.get("Time_Years")) is not None and as_number(r.get("Critical_Spot")) is not None)
    spots = [s for _, s in points]
    direction = 1 if c["kind"] == "put" else -1
    monotone = len(spots) >= 2 and all(direction * (b - a) >= -0.005 * c["K"] for a, b in itertools.pairwise(spots))
    # A boundary read off the instruction's minimum tree lies on its nodes, which sit further apart than 2 % of the
    # strike where the boundary is far from it (a high-volatility call's): there one node spacing is the tolerance.
    node_spacing = math.exp(2 * c["sigma"] * math.sqrt(c["T"] / CRR_STEPS)) - 1
    good, wanted = 0, [(t, s) for t, s in ref["boundary"] if s is not None]
    for t, s in wanted:
        near = [v for u, v in points if abs(u - t) <= 0.26 * c["T"] / BOUNDARY_POINTS]
        good += bool(near) and abs(near[0] - s) <= max(0.02 * c["K"], node_spacing * s)
    score = good / len(wanted) if monotone and wanted else 0.0
    g.check("early-exercise boundary: monotone in time and within 2% of strike (or a 2000-step tree's node spacing) "
            "of the converged boundary", score, weight=2,
            expected=[[round(t, 4), round(s, 2)] for t, s in wanted[::4]], found=[[t, s] for t, s in points[::4]],
            reason="" if score == 1 else ("not monotone in the right direction; " if not monotone else "")
            + f"{good}/{len(wanted)} points within tolerance")


def grade_convergence(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]], pricing: Any) -> None:
    crr_rows = {int(n): as_number(r.get("Price")) for r in rows if r.get("Method", "").lower() == "crr"
                and (n := as_number(r.get("Size"))) is not None}
    good = sum(1 for n, v in ref["crr_convergence"].items() if crr_rows.get(int(n)) is not None
               and abs(crr_rows[int(n)] - v) <= 1e-3)
    g.check("CRR convergence column re-priced step count by step count", good / len(CONV_STEPS),
            expected={n: round(v, 5) for n, v in ref["crr_convergence"].items()}, found=crr_rows)
    lsm_rows = {}
    for r in rows:
        n = as_number(r.get("Size"))
        if r.get("Method", "").lower() == "lsm" and n is not None:
            lsm_rows[int(n)] = (as_number(r.get("Price")), as_number(r.get("Std_Error")))
    complete = all(lsm_rows.get(n) and None not in lsm_rows[n] and lsm_rows[n][1] > 0 for n in CONV_PATHS)
    parts = {"all path counts present": complete}
    if complete:
        x = np.log(CONV_PATHS)
        y = np.log([lsm_rows[n][1] for n in CONV_PATHS])
        slope = float(np.polyfit(x, y, 1)[0])
        parts["standard error falls like 1/sqrt(paths)"] = -0.65 <= slope <= -0.35
        low, high = sorted((ref["american"], ref["american_discrete"]))
        parts["every estimate within 4 s.e. of the reference"] = all(
            low - 4 * se - 0.004 * high <= p <= high + 4 * se + 0.004 * high for p, se in lsm_rows.values())
        headline = _num(pricing, "american", "lsm")
        parts["largest run is the headline LSM price"] = headline is not None and \
            abs(lsm_rows[CONV_PATHS[-1]][0] - headline) <= 1e-6 * max(1.0, abs(headline))
    score = sum(parts.values()) / 4
    g.check("LSM convergence study", score, found=parts, reason="; ".join(k for k, v in parts.items() if not v))


def grade_mark_review(g: Grading, ref: dict[str, Any], pricing: Any) -> None:
    """The conclusion on the desk's mark: the gap to the benchmark, the verdict and the diagnosis."""
    review = _get(pricing, "desk_mark_review")
    mark, american = ref["desk_mark"]["mark"], ref["american"]
    verdict, diagnosis = MARK_CASES[ref["desk_mark"]["case"]]
    g.number("desk mark minus the American benchmark value", _get(review, "mark_minus_american"),
             mark - american, abs_tol=max(0.01, 1e-3 * american))
    found_verdict = str(_get(review, "verdict") or "").strip().lower()
    g.check("verdict on the desk's mark follows from the gap and the validation tolerance", found_verdict == verdict,
            weight=2, expected=verdict, found=found_verdict,
            reason="" if found_verdict == verdict else
            f"mark {mark} vs American {american:.4f}, tolerance {ref['desk_mark']['tolerance']}")
    found_diagnosis = str(_get(review, "diagnosis") or "").strip().lower()
    g.check("diagnosis of the desk's mark (which value the desk showed)", found_diagnosis == diagnosis, weight=2,
            expected=diagnosis, found=found_diagnosis,
            reason="" if found_diagnosis == diagnosis else "the mark matches another value than the one named")


def grade(g: Grading) -> None:
    files = ("pricing.json", PRICER, "greeks.csv", "exercise_boundary.csv", "convergence.csv")
    if not g.require_files(*files):
        return
    ref = g.reference_json("reference.json")
    pricing = g.read_json("pricing.json")
    greeks = g.read_csv("greeks.csv", required_columns=["Greek", "Value"])
    boundary = g.read_csv("exercise_boundary.csv", required_columns=["Time_Years", "Critical_Spot"])
    conv = g.read_csv("convergence.csv", required_columns=["Method", "Size", "Price", "Std_Error"])
    if pricing is None or greeks is None or boundary is None or conv is None:
        return
    if not g.check("pricing.json is an object with european_bsm, american and bermudan", isinstance(pricing, dict)
                   and all(k in pricing for k in ("european_bsm", "american", "bermudan")), gate=True):
        return
    grade_prices(g, ref, pricing)
    grade_mark_review(g, ref, pricing)
    grade_greeks(g, ref, greeks)
    grade_boundary(g, ref, boundary)
    grade_convergence(g, ref, conv, pricing)
    grade_pricer(g, ref, pricing)

