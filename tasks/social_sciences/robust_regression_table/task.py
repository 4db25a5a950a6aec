"""A publication regression table with conventional, HC1 and cluster-robust inference.

ALE-CANARY-9a4c6e27-1d3b-4f85-b2e0-7c5d8f1a6e93

Workflow: a research assistant receives a dataset (a CPS-style wage extract, an unbalanced firm
panel, or a Card-style schooling sample with a college-proximity instrument), a codebook and the
principal investigator's specification: sample rules, variable construction, four model columns
(OLS with conventional and HC1 errors, fixed effects as dummy variables with cluster-robust
errors, an interaction or 2SLS), the small-sample conventions and the significance stars. They
estimate the models (statsmodels, linearmodels or R with sandwich/lmtest/AER), and deliver the
table as CSV and as LaTeX, and a short interpretation with the derived quantities.

generate() draws the data from a known data-generating process (heteroskedastic errors, group
shocks, unobserved ability or firm effects) and fits every column on the host with statsmodels
(2SLS by its projection formula, with the same sandwich conventions); the fits, model statistics
and derived quantities are the reference. Each dataset holds rows that only the design's sample restriction
leaves out, so that ignoring it moves the estimates: teenage and older workers with a recorded wage in the wage
extract, register firm-years under the survey's 10 employees in the firm panel (about one in eight), men of 24 in
the schooling sample (one in eleven).

grade() checks the CSV against the reference (coefficients, each column's standard errors,
p-values, N, R-squared, first-stage F), the stars against the table's own p-values, the LaTeX
table against the CSV (numbers as rounded, stars, N), and the interpretation's numbers against
the reference, its summary paragraph stating each headline figure where it names that finding, without taking
it back (a negation, an alternative figure beside it, or the opposite direction of a percentage).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from lastexam.task import Grading, Params, is_close

STATES = ["AL", "AZ", "CA", "CO", "CT", "FL", "GA", "IL", "IN", "KS", "KY", "LA", "MA", "MD", "MI", "MN", "MO",
          "NC", "NJ", "NY", "OH", "OK", "OR", "PA", "SC", "TN", "TX", "VA", "WA", "WI"]
INDUSTRIES = ["AGR", "CON", "MFG", "TRD", "TRN", "FIN", "PRO", "EDU", "HLT", "PUB"]
TABLE_COLUMNS = ["model", "term", "estimate", "std_error", "p_value", "stars"]
# Standard errors are exact linear algebra: 1e-4 keeps rounding noise in and the small-sample factors out
# (HC0 instead of HC1 is sqrt(N / (N - K)) - 1, about 1e-3 on the wage extract).
SE_REL_TOL = 1e-4
OUT_OF_BAND_STREAM = 1  # the seed's own stream for the wage extract's workers outside the 18-64 age band
SURVEY_MIN_EMPLOYEES = 10  # the firm panel's sample: the survey's size threshold; the register adds smaller firm-years
MIN_AGE_SCHOOLING_DONE = 25  # the schooling sample: men of 24 may still be in school

SPECS: dict[str, dict[str, Any]] = {
    "wage_cross_section": {
        "file": "cps_extract.csv", "terms": ["educ", "exper", "exper2", "female", "union", "female_x_union"],
        "models": {
            "1": {"terms": ["educ", "exper", "exper2", "female", "union"], "fe": [], "se": "conventional"},
            "2": {"terms": ["educ", "exper", "exper2", "female", "union"], "fe": [], "se": "HC1"},
            "3": {"terms": ["educ", "exper", "exper2", "female", "union"], "fe": ["state", "industry"],
                  "se": "cluster", "cluster": "state"},
            "4": {"terms": ["educ", "exper", "exper2", "female", "union", "female_x_union"],
                  "fe": ["state", "industry"], "se": "cluster", "cluster": "state"},
        },
    },
    "firm_panel": {
        "file": "firm_panel.csv", "terms": ["lnk", "lnl", "rd_intensity", "exporter"],
        "models": {
            "1": {"terms": ["lnk", "lnl", "rd_intensity", "exporter"], "fe": [], "se": "conventional"},
            "2": {"terms": ["lnk", "lnl", "rd_intensity", "exporter"], "fe": [], "se": "HC1"},
            "3": {"terms": ["lnk", "lnl", "rd_intensity", "exporter"], "fe": ["firm_id", "year"], "se": "cluster",
                  "cluster": "firm_id", "absorb": "firm_id"},
            "4": {"terms": ["lnk", "lnl", "rd_intensity", "exporter"], "fe": ["firm_id", "year"], "se": "cluster",
                  "cluster": "industry", "absorb": "firm_id"},
        },
    },
    "returns_iv": {
        "file": "young_men_1976.csv", "terms": ["educ", "exper", "exper2", "black", "south", "smsa"],
        "models": {
            "1": {"terms": ["educ", "exper", "exper2", "black", "south", "smsa"], "fe": [], "se": "conventional"},
            "2": {"terms": ["educ", "exper", "exper2", "black", "south", "smsa"], "fe": [], "se": "HC1"},
            "3": {"terms": ["educ", "exper", "exper2", "black", "south", "smsa"], "fe": [], "se": "HC1",
                  "iv": {"endog": "educ", "instrument": "nearc4"}},
            "4": {"terms": ["educ", "exper", "exper2", "black", "south", "smsa"], "fe": [], "se": "cluster",
                  "cluster": "county_group", "iv": {"endog": "educ", "instrument": "nearc4"}},
        },
    },
}


# -- data-generating processes ------------------------------------------------------------------


def _wages(rng: np.random.Generator) -> pd.DataFrame:
    n = 3200
    state_fx = dict(zip(STATES, rng.normal(0, 0.09, len(STATES)), strict=True))
    state_shock = dict(zip(STATES, rng.normal(0, 0.05, len(STATES)), strict=True))
    ind_fx = dict(zip(INDUSTRIES, rng.normal(0, 0.11, len(INDUSTRIES)), strict=True))
    state = rng.choice(STATES, n, p=_weights(rng, len(STATES)))
    industry = rng.choice(INDUSTRIES, n, p=_weights(rng, len(INDUSTRIES)))
    age = rng.integers(18, 65, n)
    educ = np.clip(np.round(rng.normal(13.4, 2.6, n)), 8, 20).astype(int)
    exper = np.maximum(age - educ - 6, 0)
    female = (rng.random(n) < 0.48).astype(int)
    union = (rng.random(n) < 0.09 + 0.1 * np.isin(industry, ["MFG", "TRN", "PUB", "CON"])).astype(int)
    sigma = 0.34 + 0.025 * (educ - 12) + 0.05 * female
    lw = (1.05 + 0.084 * educ + 0.037 * exper - 0.062 * exper**2 / 100 - 0.17 * female + 0.15 * union
          - 0.07 * female * union + np.vectorize(state_fx.get)(state) + np.vectorize(ind_fx.get)(industry)
          + np.vectorize(state_shock.get)(state) * (1 + 0.5 * educ / 12) + rng.normal(0, 1, n) * sigma)
    wage = np.round(np.exp(lw), 2)
    wage[rng.random(n) < 0.015] = np.nan
    low = rng.random(n) < 0.006
    wage[low] = np.round(rng.uniform(0.5, 1.99, low.sum()), 2)
    hours = np.clip(np.round(rng.normal(39, 8, n)), 5, 80).astype(int)
    return pd.DataFrame({"person_id": np.arange(100001, 100001 + n), "state": state, "industry": industry,
                         "age": age, "female": female, "educ": educ, "exper": exper, "union": union,
                         "usual_hours": hours, "hourly_wage": wage})


def _with_workers_out_of_band(raw: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The extract with teenage and older workers (a recorded wage of at least $2, so that only the 18-64 age band
    leaves them out) placed among its rows; the other rows keep their order, so the sample and its fits are those
    of the extract without them."""
    count = int(rng.integers(40, 90))
    extra = raw[raw["hourly_wage"] >= 2.5].sample(count, random_state=rng).copy()
    age = np.where(rng.random(count) < 0.4, rng.integers(16, 18, count), rng.integers(65, 76, count))
    educ = np.minimum(extra["educ"].to_numpy(), age - 6)
    extra["age"], extra["educ"], extra["exper"] = age, educ, np.maximum(age - educ - 6, 0)
    extra["hourly_wage"] = np.round(extra["hourly_wage"].to_numpy() * rng.uniform(0.6, 1.0, count), 2).clip(2.0)
    place = np.concatenate([np.arange(len(raw), dtype=float), rng.uniform(0, len(raw), count)])
    out = pd.concat([raw, extra]).iloc[np.argsort(place, kind="stable")].reset_index(drop=True)
    out["person_id"] = np.arange(100001, 100001 + len(out))
    return out


def _weights(rng: np.random.Generator, k: int) -> np.ndarray:
    w = rng.gamma(2.0, 1.0, k)
    return w / w.sum()


def _firms(rng: np.random.Generator) -> pd.DataFrame:
    n_firms, years = 360, np.arange(2015, 2023)
    industries = [f"NACE{c}" for c in ("10", "13", "20", "22", "24", "25", "26", "27", "28", "29", "31", "32")]
    ind_of = rng.choice(industries, n_firms)
    ind_year = {(i, y): s for i in industries for y, s in zip(years, rng.normal(0, 0.05, len(years)), strict=True)}
    year_fx = dict(zip(years, np.cumsum(rng.normal(0.015, 0.02, len(years))), strict=True))
    rows = []
    for f in range(n_firms):
        alpha = rng.normal(0, 0.35)
        start = int(rng.integers(0, 4))
        end = int(rng.integers(start + 3, len(years) + 1))
        size = 3.2 + 0.9 * alpha + rng.normal(0, 0.7)
        e = rng.normal(0, 0.15)
        exporter_base = rng.random() < 1 / (1 + math.exp(-(size - 3.5)))
        for t in range(start, end):
            lnl = size + rng.normal(0, 0.12)
            lnk = lnl + 1.6 + 0.4 * alpha + rng.normal(0, 0.35)
            rd = max(0.0, round(float(rng.gamma(1.5, 1.6) + 0.8 * exporter_base), 2))
            exporter = int(exporter_base if rng.random() > 0.08 else not exporter_base)
            e = 0.5 * e + rng.normal(0, 0.13)
            lny = (1.1 + alpha + year_fx[years[t]] + 0.31 * lnk + 0.63 * lnl + 0.011 * rd + 0.06 * exporter
                   + ind_year[ind_of[f], years[t]] + e)
            rows.append({"firm_id": f"F{f + 1:04d}", "year": int(years[t]), "industry": ind_of[f],
                         "value_added": round(math.exp(lny), 1), "capital": round(math.exp(lnk), 1),
                         "employees": max(1, round(math.exp(lnl))), "rd_intensity": rd, "exporter": exporter})
    frame = pd.DataFrame(rows)
    gaps = rng.random(len(frame)) < 0.02
    frame.loc[gaps, "capital"] = np.nan
    return frame


def _young_men(rng: np.random.Generator) -> pd.DataFrame:
    n, groups = 3010, 88
    group = rng.integers(1, groups + 1, n)
    g_near = rng.random(groups + 1) < 0.68
    g_shock = rng.normal(0, 0.06, groups + 1)
    g_south = rng.random(groups + 1) < 0.4
    g_smsa = rng.random(groups + 1) < 0.7
    nearc4 = np.where(rng.random(n) < 0.85, g_near[group], ~g_near[group]).astype(int)
    south = g_south[group].astype(int)
    smsa = np.where(rng.random(n) < 0.9, g_smsa[group], ~g_smsa[group]).astype(int)
    black = (rng.random(n) < 0.12 + 0.25 * south).astype(int)
    ability = rng.normal(0, 1, n)
    educ = np.clip(np.round(12.6 + 0.75 * nearc4 + 1.1 * ability - 0.9 * black + rng.normal(0, 1.6, n)), 1, 18)
    age = rng.integers(24, 35, n)
    exper = np.maximum(age - educ - 6, 0)
    lw = (4.6 + 0.115 * educ + 0.085 * exper - 0.23 * exper**2 / 100 - 0.17 * black - 0.11 * south + 0.14 * smsa
          + 0.09 * ability + g_shock[group] + rng.normal(0, 1, n) * (0.33 + 0.03 * black))
    return pd.DataFrame({"id": np.arange(1, n + 1), "county_group": group, "age76": age, "educ": educ.astype(int),
                         "exper": exper.astype(int), "black": black, "south": south, "smsa": smsa, "nearc4": nearc4,
                         "wage": np.round(np.exp(lw)).astype(int)})


# -- estimation (the reference) -----------------------------------------------------------------


def prepare(scenario: str, raw: pd.DataFrame) -> pd.DataFrame:
    """Apply the brief's sample rules and variable construction."""
    d = raw.copy()
    if scenario == "wage_cross_section":
        d = d[d["hourly_wage"].notna() & (d["hourly_wage"] >= 2.0) & d["age"].between(18, 64)].copy()
        d["y"] = np.log(d["hourly_wage"])
        d["exper2"] = d["exper"] ** 2 / 100
        d["female_x_union"] = d["female"] * d["union"]
    elif scenario == "firm_panel":
        d = d.dropna(subset=["value_added", "capital", "employees"]).copy()
        d = d[(d["value_added"] > 0) & (d["capital"] > 0) & (d["employees"] >= SURVEY_MIN_EMPLOYEES)].copy()
        d["y"] = np.log(d["value_added"])
        d["lnk"] = np.log(d["capital"])
        d["lnl"] = np.log(d["employees"])
    else:
        d = d[d["age76"] >= MIN_AGE_SCHOOLING_DONE].copy()
        d["y"] = np.log(d["wage"])
        d["exper2"] = d["exper"] ** 2 / 100
    return d.reset_index(drop=True)


def design(d: pd.DataFrame, terms: list[str], fe: list[str], *, constant: bool = True) -> pd.DataFrame:
    X = d[terms].astype(float)
    for name in fe:
        X = pd.concat([X, pd.get_dummies(d[name].astype(str), prefix=name, drop_first=True, dtype=float)], axis=1)
    return sm.add_constant(X, has_constant="add") if constant else X


def _ols(d: pd.DataFrame, m: dict[str, Any]) -> dict[str, Any]:
    """OLS with dummy-variable fixed effects; a high-dimensional one is absorbed by within-demeaning
    (same slopes and residuals, Frisch-Waugh-Lovell) and its dummies still count in K."""
    absorb = m.get("absorb")
    X = design(d, m["terms"], [f for f in m["fe"] if f != absorb], constant=absorb is None)
    y = d["y"].astype(float)
    absorbed = 0
    if absorb:
        X = X - X.groupby(d[absorb]).transform("mean")
        y = y - y.groupby(d[absorb]).transform("mean")
        absorbed = int(d[absorb].nunique())
    kw: dict[str, Any] = {"cov_type": "nonrobust"}
    if m["se"] == "HC1":
        kw = {"cov_type": "HC1", "use_t": True}
    elif m["se"] == "cluster":
        kw = {"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(d[m["cluster"]])[0]}, "use_t": True}
    res = sm.OLS(y.to_numpy(), X.to_numpy(float)).fit(**kw)
    cols = list(X.columns)
    cov = np.asarray(res.cov_params()) * res.df_resid / (res.df_resid - absorbed)
    bse = np.sqrt(np.diag(cov))
    df = float(res.df_resid_inference) if m["se"] == "cluster" else float(res.df_resid - absorbed)
    p = 2 * stats.t.sf(np.abs(res.params / bse), df)
    centered = d["y"] - d["y"].mean()
    return {"params": dict(zip(cols, res.params, strict=True)), "bse": dict(zip(cols, bse, strict=True)),
            "p": dict(zip(cols, p, strict=True)), "n": int(res.nobs), "r2": float(1 - res.ssr / (centered @ centered)),
            "cov": {a: dict(zip(cols, cov[i], strict=True)) for i, a in enumerate(cols) if a in m["terms"]},
            "df": df}


def sandwich(Xh: np.ndarray, u: np.ndarray, se: str, groups: np.ndarray | None) -> tuple[np.ndarray, float]:
    """(covariance, t degrees of freedom) with the brief's small-sample conventions."""
    n, k = Xh.shape
    bread = np.linalg.inv(Xh.T @ Xh)
    if se == "conventional":
        return bread * (u @ u) / (n - k), float(n - k)
    if se == "HC1":
        meat = (Xh * u[:, None] ** 2).T @ Xh
        return bread @ meat @ bread * n / (n - k), float(n - k)
    assert groups is not None
    codes, index = np.unique(groups, return_inverse=True)
    scores = np.zeros((len(codes), k))
    np.add.at(scores, index, Xh * u[:, None])
    g = len(codes)
    return bread @ (scores.T @ scores) @ bread * g / (g - 1) * (n - 1) / (n - k), float(g - 1)


def _iv(d: pd.DataFrame, m: dict[str, Any]) -> dict[str, Any]:
    iv = m["iv"]
    X = design(d, m["terms"], m["fe"])
    exog = [c for c in X.columns if c != iv["endog"]]
    Z = pd.concat([X[exog], d[[iv["instrument"]]].astype(float)], axis=1).to_numpy(float)
    Xv, y = X.to_numpy(float), d["y"].to_numpy(float)
    Xh = Z @ np.linalg.lstsq(Z, Xv, rcond=None)[0]
    beta = np.linalg.solve(Xh.T @ Xh, Xh.T @ y)
    u = y - Xv @ beta
    groups = d[m["cluster"]].to_numpy() if m["se"] == "cluster" else None
    cov, df = sandwich(Xh, u, m["se"], groups)
    bse = np.sqrt(np.diag(cov))
    p = 2 * stats.t.sf(np.abs(beta / bse), df)
    fs_beta = np.linalg.lstsq(Z, d[iv["endog"]].to_numpy(float), rcond=None)[0]
    fs_u = d[iv["endog"]].to_numpy(float) - Z @ fs_beta
    fs_cov, _ = sandwich(Z, fs_u, m["se"], groups)
    first_f = float(fs_beta[-1] ** 2 / fs_cov[-1, -1])
    cols = list(X.columns)
    return {"params": dict(zip(cols, beta, strict=True)), "bse": dict(zip(cols, bse, strict=True)),
            "p": dict(zip(cols, p, strict=True)), "n": len(y), "r2": float(1 - (u @ u) / ((y - y.mean()) @ (y - y.mean()))),
            "cov": {a: dict(zip(cols, cov[i], strict=True)) for i, a in enumerate(cols) if a in m["terms"]},
            "df": df, "first_stage_f": first_f}


def fit_all(scenario: str, d: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {name: (_iv(d, m) if "iv" in m else _ols(d, m)) for name, m in SPECS[scenario]["models"].items()}


def stars(p: float) -> str:
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def _pct(b: float) -> float:
    return 100 * (math.exp(b) - 1)


def _ci(fit: dict[str, Any], term: str) -> list[float]:
    half = stats.t.ppf(0.975, fit["df"]) * fit["bse"][term]
    return [fit["params"][term] - half, fit["params"][term] + half]


def derived(scenario: str, fits: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The interpretation's numbers, from the reference fits."""
    if scenario == "wage_cross_section":
        f3, f4 = fits["3"], fits["4"]
        return {"return_to_schooling_pct": _pct(f3["params"]["educ"]), "educ_ci95_model3": _ci(f3, "educ"),
                "gender_gap_pct": _pct(f3["params"]["female"]),
                "union_premium_women_pct": _pct(f4["params"]["union"] + f4["params"]["female_x_union"])}
    if scenario == "firm_panel":
        f3 = fits["3"]
        rts = f3["params"]["lnk"] + f3["params"]["lnl"]
        var = f3["cov"]["lnk"]["lnk"] + f3["cov"]["lnl"]["lnl"] + 2 * f3["cov"]["lnk"]["lnl"]
        t = (rts - 1) / math.sqrt(var)
        return {"returns_to_scale": rts, "returns_to_scale_se": math.sqrt(var),
                "crs_test_pvalue": float(2 * stats.t.sf(abs(t), f3["df"])),
                "exporter_premium_pct": _pct(f3["params"]["exporter"])}
    f2, f4 = fits["2"], fits["4"]
    return {"ols_return_pct": _pct(f2["params"]["educ"]), "iv_return_pct": _pct(f4["params"]["educ"]),
            "iv_educ_ci95": _ci(f4, "educ"), "first_stage_f_clustered": f4["first_stage_f"]}


DERIVED_TOL = {"return_to_schooling_pct": 0.01, "educ_ci95_model3": 0.0005, "gender_gap_pct": 0.01,
               "union_premium_women_pct": 0.01, "returns_to_scale": 0.0005, "returns_to_scale_se": 0.0005,
               "crs_test_pvalue": 0.002, "exporter_premium_pct": 0.01, "ols_return_pct": 0.01, "iv_return_pct": 0.01,
               "iv_educ_ci95": 0.0005, "first_stage_f_clustered": 0.05}


# the derived figures the summary paragraph must state (intervals, standard errors and p-values may stay in the JSON)
HEADLINES = {"wage_cross_section": ("return_to_schooling_pct", "gender_gap_pct", "union_premium_women_pct"),
             "firm_panel": ("returns_to_scale", "exporter_premium_pct"),
             "returns_iv": ("ols_return_pct", "iv_return_pct", "first_stage_f_clustered")}
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def quoted(text: str, value: float) -> bool:
    """Whether the text states ``value`` (sign aside: "18.5 percent less"), rounded to the precision it is
    written in, that precision no coarser than 5 % of the value (so 0.93 is not "1", 7.8 may be "8")."""
    for match in _NUMBER.finditer(text):
        written = match.group()
        decimals = len(written.split(".")[1]) if "." in written else 0
        tol = min(0.5 * 10.0**-decimals, max(0.05 * abs(value), 0.0051)) + 1e-9
        if abs(float(written) - abs(value)) <= tol:
            return True
    return False


# the words that name each headline's finding: a figure counts as stated where the sentence naming it says so
FINDINGS = {"return_to_schooling_pct": r"school|educat|return", "gender_gap_pct": r"wom[ae]n|female|gender|\bmen\b|\bsex",
            "union_premium_women_pct": r"union", "returns_to_scale": r"scale|elasticit|capital|labou?r",
            "exporter_premium_pct": r"export", "ols_return_pct": r"\bOLS\b|least squares",
            "iv_return_pct": r"\bIV\b|2SLS|TSLS|two[- ]stage|instrument|proximity",
            "first_stage_f_clustered": r"first[- ]stage|\bF\b"}


def _in_order(text: str, key: str, values: dict[str, float], scenario: str) -> bool:
    """Whether, pairing the headline findings the text names (in the order it first names them) with the headline
    figures it states (in order), ``key``'s finding is paired with its own figure: the reading of a "respectively"
    list, and of one clause that names several findings and states several figures."""
    firsts = sorted((m.start(), k) for k in HEADLINES[scenario]
                    if (m := re.search(FINDINGS[k], text, re.IGNORECASE)) is not None)
    named = [k for _, k in firsts]
    figures = [[k for k, v in values.items() if quoted(n.group(), v)] for n in _NUMBER.finditer(text)]
    figures = [keys for keys in figures if keys]
    i = named.index(key) if key in named else len(figures)
    return i < len(figures) and key in figures[i]


# a finding whose own phrase names another's words: the union premium for women names women, not the gender gap
COVERS = {"union_premium_women_pct": ("gender_gap_pct",)}
# the words that tie a figure to the finding named right before it ("the OLS estimate of 15.3", "F is 37.7")
ATTACHED = re.compile(r"(?:\W+\w+){0,3}?(?:\W+(?:of|is|was|are|were|at|equals?|to)|\s*[=(])"
                      r"(?:\s+(?:about|around|roughly|approximately|nearly|almost|some|only|just))?\s*[-\u2212$]?$", re.IGNORECASE)


def _named(clause: str, scenario: str, *, cover: bool = True) -> list[tuple[int, int, str]]:
    """The headline findings a clause names, each occurrence as (start, end, key), in order (with ``cover``, a
    finding's words inside another's phrase left out)."""
    found = sorted((m.start(), m.end(), k) for k in HEADLINES[scenario]
                   for m in re.finditer(FINDINGS[k], clause, re.IGNORECASE))
    if not cover:
        return found

    def inside(item: tuple[int, int, str]) -> bool:  # within a few words of a finding that covers it
        return any(item[2] in COVERS.get(k, ()) and len(re.findall(r"\w+", clause[min(e, end):max(s, start)])) <= 3
                   for s, e, k in found for start, end in [item[:2]])
    return [item for item in found if not inside(item)]


def _owner(clause: str, at: int, scenario: str) -> str | None:
    """Whose figure a number at ``at`` in a clause naming several findings is: the finding named right before it
    when words tie them ("the OLS estimate of 15.3"), else the clause's first-named finding, its subject
    ("schooling raises the wages of men and women alike by 8.6 percent" is about schooling)."""
    named = _named(clause, scenario)
    before = [item for item in named if item[1] <= at]
    if before and ATTACHED.search(clause[before[-1][1]:at]):
        return before[-1][2]
    return named[0][2] if named else None


# what withdraws a figure: a negation before it in its clause ("is not 8.6 percent", "rather than 8.6"), or another
# figure offered beside it as an alternative ("8.6 or 12.6 percent")
NEGATED = re.compile(r"\b(?:not|never|neither|nor|no longer|rather than|instead of)\b|n't\b", re.IGNORECASE)
UNIT = r"\s*(?:%|percent\b|per cent\b|pct\b|percentage points?\b)?"
ALTERNATIVE_BEFORE = re.compile(r"\d" + UNIT + r"\s+or\s+(?:\w+\s+)?[-\u2212+]?$", re.IGNORECASE)
ALTERNATIVE_AFTER = re.compile(r"^" + UNIT + r"\s+or\s+(?:\w+\s+)?[-\u2212+]?\d", re.IGNORECASE)
# the words that give a percentage change its direction: a verb before the figure ("schooling lowers wages by 8.6
# percent") or a comparative right after it ("women earn 15.1 percent less")
DOWN_VERB = re.compile(r"\b(?:lower(?:s|ed|ing)|reduc(?:es|ed|ing)|cuts|cutting|decreas(?:es|ed|ing)|depress(?:es|ed|ing)"
                       r"|costs?)\b(?!\s+than)(?:\W+\w+){0,6}?\W*$", re.IGNORECASE)
UP_VERB = re.compile(r"\b(?:rais(?:es|ed|ing)|increas(?:es|ed|ing)|boost(?:s|ed|ing)|lift(?:s|ed|ing)|adds)\b"
                     r"(?!\s+than)(?:\W+\w+){0,6}?\W*$", re.IGNORECASE)
DOWN_AFTER = re.compile(r"^" + UNIT + r"\s*(?:less|lower|below)\b", re.IGNORECASE)
UP_AFTER = re.compile(r"^" + UNIT + r"\s*(?:more|higher|above)\b", re.IGNORECASE)
CLAUSE_END = re.compile(r"[,;:!?()]|\.(?=\s|$)")


def _withdrawn(text: str, number: re.Match[str], value: float, signed: bool) -> bool:
    """Whether a figure is taken back where it stands: negated, offered with an alternative, or (for a signed
    percentage) given the opposite direction by its sign or its words."""
    start = max((m.end() for m in CLAUSE_END.finditer(text, 0, number.start())), default=0)
    before, after = text[start:number.start()], text[number.end():]
    after = after[:m.start()] if (m := CLAUSE_END.search(after)) else after
    if NEGATED.search(before) or ALTERNATIVE_BEFORE.search(before) or ALTERNATIVE_AFTER.search(after):
        return True
    if not signed or value == 0:
        return False
    since = before[max((m.end() for m in _NUMBER.finditer(before)), default=0):]
    signs = [-1] if re.search(r"(?:^|[\s(])[-\u2212]\s*$", before) else []
    if not re.search(r"\bto\s*[-\u2212$]?$", since, re.IGNORECASE):  # "reduces the return to 8.6 percent" is a level
        signs += [sign for pattern, sign in ((DOWN_VERB, -1), (UP_VERB, 1)) if pattern.search(since)]
    signs += [sign for pattern, sign in ((DOWN_AFTER, -1), (UP_AFTER, 1)) if pattern.search(after)]
    return bool(signs) and math.prod(signs) * value < 0


def _masked(text: str, value: float, signed: bool, *, withdrawn: bool) -> str:
    """The text with each figure that states ``value`` and is (``withdrawn``) or is not withdrawn where it stands
    blanked out."""
    return _NUMBER.sub(lambda n: "#" * len(n.group()) if quoted(n.group(), value) and _withdrawn(
        text, n, value, signed) == withdrawn else n.group(), text)


def stated_for(text: str, key: str, values: dict[str, float], scenario: str) -> bool:
    """Whether the text states ``values[key]`` where it names its finding, and does not take it back there."""
    return _attributed(_masked(text, values[key], key.endswith("_pct"), withdrawn=True), key, values, scenario)


def withdrawn_for(text: str, key: str, values: dict[str, float], scenario: str) -> bool:
    """Whether the text takes ``values[key]`` back (negates it, offers another beside it, reverses its direction)
    where it names its finding, in any sentence: another sentence stating it does not make up for this one."""
    return _attributed(_masked(text, values[key], key.endswith("_pct"), withdrawn=False), key, values, scenario)


# a finding's direction told in words, with or without a figure: a verb on the pay or output ("a year of schooling
# does not raise wages", "exporting lowers value added") or women said to earn less or more; a negated verb ("does not
# raise", "fails to lower") tells the other direction
PAY = r"(?:\s+[\w']+){0,3}?\s+(?:wages?|earnings|pay|income|salar\w*|value\s+added|output|productivity|sales|revenue)\b"
RAISES = re.compile(r"\b(?:rais(?:e|es|ed|ing)|increas(?:e|es|ed|ing)|boost(?:s|ed|ing)?|lift(?:s|ed|ing)?|"
                    r"improv(?:e|es|ed|ing))" + PAY, re.IGNORECASE)
LOWERS = re.compile(r"\b(?:lower(?:s|ed|ing)?|reduc(?:e|es|ed|ing)|cut(?:s|ting)?|decreas(?:e|es|ed|ing)|"
                    r"depress(?:es|ed|ing)?|hurt(?:s|ing)?)" + PAY, re.IGNORECASE)
EARNS = re.compile(r"\b(?:earn(?:s|ed|ing)?|(?:are|is|get|gets|got)\s+paid|make|makes|made)\s+(?:[\w.%]+\s+){0,3}?"
                   r"(?P<way>less|more)\b",
                   re.IGNORECASE)
WOMEN = re.compile(r"wom[ae]n|female", re.IGNORECASE)
MEN = re.compile(r"\b(?:men|males?|man)\b", re.IGNORECASE)
TOLD_NOT = re.compile(r"\b(?:not|never|neither|nor|no longer|fails?\s+to|failed\s+to)\b|n't\b", re.IGNORECASE)
# a direction inside "that ..." under a negated frame ("does not change the conclusion that schooling raises wages",
# "none of the checks suggests that schooling lowers wages") is told neither way
THAT = re.compile(r"\bthat\b", re.IGNORECASE)
MATRIX_NOT = re.compile(r"\b(?:not|never|neither|nor|no|none|nothing|nobody|without)\b|n't\b", re.IGNORECASE)
# what makes a clause about the size, the precision or a hypothetical, not the direction ("does not raise wages as
# much as OLS", "does not significantly raise wages", "whether schooling raises wages")
NOT_THE_DIRECTION = re.compile(r"\b(?:as\s+much|much|more\s+than|further|significan\w*|statistically|precisely|"
                               r"detectabl\w*|reliabl\w*|necessarily|if|whether|would|might|could)\b", re.IGNORECASE)
SCHOOLING = re.compile(r"school|educat", re.IGNORECASE)


def _told_ways(clause: str) -> list[tuple[int, int]]:
    """Each direction the clause tells in words, as (where, +1 up or -1 down), a negation before it in the clause
    turning it."""
    told = [(m.start(), way) for pattern, way in ((RAISES, 1), (LOWERS, -1)) for m in pattern.finditer(clause)]
    told += [(m.start(), 1 if m["way"].lower() == "more" else -1) for m in EARNS.finditer(clause)
             if WOMEN.search(clause[:m.start()]) and not MEN.search(clause[:m.start()])]
    return [(at, -way if TOLD_NOT.search(clause[:at][_embedded_from(clause[:at]):]) else way) for at, way in told
            if not MATRIX_NOT.search(clause[:_embedded_from(clause[:at])])]


def _embedded_from(before: str) -> int:
    """Where the proposition a direction belongs to starts: after the last "that" before it ("the finding that
    schooling raises wages"), else at the clause's start."""
    thats = list(THAT.finditer(before))
    return thats[-1].end() if thats else 0


def reversed_for(text: str, key: str, values: dict[str, float], scenario: str) -> bool:
    """Whether a clause about a percentage finding tells it in the other direction than its figure, in words alone:
    the finding it names (or, on the schooling sample, schooling for the OLS and IV returns alike), its subject where
    it names several."""
    if not key.endswith("_pct") or values[key] == 0:
        return False
    for clause in re.split(r"[;!?,:()]|\.(?=\s|$)", text):
        if OTHER_WORK.search(clause) or NOT_THE_DIRECTION.search(clause):
            continue
        named = {k for _, _, k in _named(clause, scenario)}
        for at, way in _told_ways(clause):
            about = (_owner(clause, at, scenario) if named
                     else key if scenario == "returns_iv" and SCHOOLING.search(clause) else None)
            if about == key and way * values[key] < 0:
                return True
    return False


# a comparison of the figure with something else ("50 percent larger than OLS"), not the figure's level
# or a test's level or an interval's coverage ("significant at 1 percent", "95 percent interval")
COMPARED_AFTER = re.compile(r"^" + UNIT + r"\s*(?:larger|smaller|bigger|greater|higher|lower|more|less|above|below"
                            r"|over|under|than|level|significan|confidence|interval|CI\b)", re.IGNORECASE)


# a clause about other work than the paper's own estimates ("the 10 percent of earlier studies")
OTHER_WORK = re.compile(r"literature|earlier|previous|prior|other\s+\w*\s*stud|studies|typical|benchmark|consensus"
                        r"|usual", re.IGNORECASE)


def other_figure_for(text: str, key: str, values: dict[str, float], scenario: str,
                     estimates: list[float]) -> str | None:
    """A percentage the text gives as a percentage finding's own level and that is neither a headline figure nor
    one of the table's estimates as a percentage (another column's): a clause naming that finding alone ties it to
    the figure ("the return to schooling is 4.3 percent"), wherever the text also states the right one."""
    if not key.endswith("_pct"):
        return None
    known = [*values.values(), *estimates]
    for clause in re.split(r"[;!?,:()]|\.(?=\s|$)", text):
        named = _named(clause, scenario)
        if {k for _, _, k in named} != {key} or OTHER_WORK.search(clause):
            continue
        for number in _NUMBER.finditer(clause):
            after = clause[number.end():]
            before = [item for item in named if item[1] <= number.start()]
            gap = clause[before[-1][1]:number.start()] if before else ""
            if (before and re.match(UNIT, after).group().strip() and not COMPARED_AFTER.search(after)
                    and not re.search(r"\d", gap) and len(re.findall(r"\w+", gap)) <= 5 and ATTACHED.search(gap)
                    and not any(quoted(number.group(), v) for v in known)):
                return number.group()
    return None


def _attributed(text: str, key: str, values: dict[str, float], scenario: str) -> bool:
    """Whether the text states ``values[key]`` in a sentence that names its finding: where the sentence names
    several headline findings, in a clause whose figure is this finding's (a clause that names several and states
    several figures, or a "respectively" list, pairs them in order; one that states one figure gives it to the
    finding it is tied to, else to its subject) or in a clause naming none right after one whose subject it is."""
    value = values[key]

    def names(clause: str, cover: bool = True) -> set[str]:
        return {k for _, _, k in _named(clause, scenario, cover=cover)}

    for sentence in re.split(r"[;!?]|\.(?=\s|$)", text):
        if not quoted(sentence, value) or key not in names(sentence, cover=False):
            continue
        if names(sentence, cover=False) == {key}:
            return True
        if "respectively" in sentence.casefold():
            if _in_order(sentence, key, values, scenario):
                return True
            continue
        clauses = re.split(r"[,:]", sentence)
        for i, clause in enumerate(clauses):
            if not quoted(clause, value):
                continue
            here = names(clause)
            if key in here:
                figures = [n for n in _NUMBER.finditer(clause) if any(quoted(n.group(), v) for v in values.values())]
                if here == {key} or (len(figures) > 1 and _in_order(clause, key, values, scenario)) or any(
                        len(figures) <= 1 and quoted(n.group(), value) and _owner(clause, n.start(), scenario) == key
                        for n in figures):
                    return True
            elif not here and i and _owner(clauses[i - 1], len(clauses[i - 1]), scenario) == key:
                return True
    return False


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    scenario = params["scenario"]
    rng = np.random.default_rng(params["seed"])
    raw = {"wage_cross_section": _wages, "firm_panel": _firms, "returns_iv": _young_men}[scenario](rng)
    if scenario == "wage_cross_section":
        raw = _with_workers_out_of_band(raw, np.random.default_rng([params["seed"], OUT_OF_BAND_STREAM]))
    path = input_dir / SPECS[scenario]["file"]
    raw.to_csv(path, index=False, na_rep="")
    d = prepare(scenario, pd.read_csv(path))  # fit exactly what the file says
    fits = fit_all(scenario, d)
    keep = SPECS[scenario]["terms"]
    reference = {name: {"params": {t: f["params"][t] for t in keep if t in f["params"]},
                        "bse": {t: f["bse"][t] for t in keep if t in f["bse"]},
                        "p": {t: f["p"][t] for t in keep if t in f["p"]}, "n": f["n"], "r2": f["r2"],
                        **({"first_stage_f": f["first_stage_f"]} if "first_stage_f" in f else {})}
                 for name, f in fits.items()}
    (reference_dir / "reference.json").write_text(json.dumps(
        {"models": reference, "derived": derived(scenario, fits)}, indent=1))


# -- grading ------------------------------------------------------------------------------------


def _num(value: Any) -> float:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def read_table(rows: list[dict[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        model = row["model"].strip().strip("()")
        table[model, row["term"].strip()] = {"estimate": _num(row["estimate"]), "se": _num(row["std_error"]),
                                             "p": _num(row["p_value"]), "stars": row["stars"].strip()}
    return table


def _check_estimates(g: Grading, table: dict[tuple[str, str], dict[str, Any]], ref: dict[str, Any],
                     spec: dict[str, Any]) -> None:
    coef_bad, basic_bad, robust_bad, p_bad, star_bad = [], [], [], [], []
    cells = 0
    for model, m in spec["models"].items():
        se_bad = basic_bad if m["se"] != "cluster" and "iv" not in m else robust_bad
        want = ref["models"][model]
        for term in m["terms"]:
            cells += 1
            got = table.get((model, term))
            label = f"({model}) {term}"
            if got is None:
                for bucket in (coef_bad, se_bad, p_bad, star_bad):
                    bucket.append(f"{label} missing")
                continue
            if not is_close(got["estimate"], want["params"][term], rel_tol=1e-5, abs_tol=1e-7):
                coef_bad.append(f"{label} {got['estimate']} vs {want['params'][term]:.6g}")
            if not is_close(got["se"], want["bse"][term], rel_tol=SE_REL_TOL, abs_tol=1e-9):
                se_bad.append(f"{label} SE {got['se']} vs {want['bse'][term]:.6g}")
            if not is_close(got["p"], want["p"][term], rel_tol=1e-3, abs_tol=2e-4):
                p_bad.append(f"{label} p {got['p']} vs {want['p'][term]:.4g}")
            if not math.isfinite(got["p"]) or got["stars"] != stars(got["p"]):
                star_bad.append(f"{label} '{got['stars']}' for p = {got['p']}")
    g.share("coefficients match the refit", cells - len(coef_bad), cells, wrong=coef_bad, weight=3)
    robust_cells = sum(len(m["terms"]) for m in spec["models"].values() if m["se"] == "cluster" or "iv" in m)
    basic_cells = sum(len(m["terms"]) for m in spec["models"].values()) - robust_cells
    g.share("conventional and HC1 standard errors (OLS columns)", basic_cells - len(basic_bad), basic_cells,
            wrong=basic_bad, weight=2)
    g.share("fixed-effect, cluster-robust and 2SLS standard errors", robust_cells - len(robust_bad), robust_cells,
            wrong=robust_bad, weight=3)
    g.share("p-values with the right reference distribution", cells - len(p_bad), cells, wrong=p_bad, weight=2)
    g.share("stars consistent with the p-values (10/5/1 %)", cells - len(star_bad), cells, wrong=star_bad, weight=1)


def _check_stats(g: Grading, table: dict[tuple[str, str], dict[str, Any]], ref: dict[str, Any], spec: dict[str, Any]) -> None:
    bad = []
    for model in spec["models"]:
        want = ref["models"][model]
        n = table.get((model, "N"), {}).get("estimate", math.nan)
        r2 = table.get((model, "R2"), {}).get("estimate", math.nan)
        if not is_close(n, want["n"], abs_tol=0.5):
            bad.append(f"({model}) N {n} vs {want['n']}")
        if not is_close(r2, want["r2"], abs_tol=5e-4):
            bad.append(f"({model}) R2 {r2} vs {want['r2']:.4f}")
        if "first_stage_f" in want:
            f = table.get((model, "first_stage_F"), {}).get("estimate", math.nan)
            if not is_close(f, want["first_stage_f"], rel_tol=1e-3, abs_tol=0.01):
                bad.append(f"({model}) first-stage F {f} vs {want['first_stage_f']:.3f}")
    g.check("N, R-squared (and first-stage F) per column", not bad, weight=2, reason="; ".join(bad[:5]))


_CELL = re.compile(r"^\(?\s*(-?\d+(?:\.\d+)?)\s*\)?\s*(\**)$")


def _latex_cells(text: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Coefficient rows and the standard-error rows under them, by term, from a LaTeX tabular."""
    coef: dict[str, list[str]] = {}
    ses: dict[str, list[str]] = {}
    last = None
    body = text.split("\\begin{tabular}", 1)[-1]
    for raw in re.split(r"\\\\", body):
        line = re.sub(r"\\(midrule|toprule|bottomrule|hline|cline\{[^}]*\}|addlinespace)", "", raw).strip()
        if "&" not in line:
            continue
        cells = [c.strip() for c in line.split("&")]
        label = re.sub(r"[\\${}]", "", cells[0]).replace("^", "").strip()
        values = [re.sub(r"\\sym|[${}^\s]", "", c) for c in cells[1:]]
        if label:
            coef[label] = values
            last = label
        elif last is not None:
            ses[last] = values
    return coef, ses


def _check_latex(g: Grading, table: dict[tuple[str, str], dict[str, Any]], spec: dict[str, Any]) -> None:
    text = g.read_text("regression_table.tex", gate=False)
    if text is None:
        return
    if "\\begin{tabular" not in text or "\\end{tabular}" not in text:
        g.check("LaTeX table agrees with the CSV (rounded values, stars, N)", False, weight=2,
                reason="no tabular environment")
        return
    coef, ses = _latex_cells(text)
    models = list(spec["models"])
    bad = []
    for term in spec["terms"]:
        for i, model in enumerate(models):
            got = table.get((model, term))
            cell = coef.get(term, [""] * len(models))[i] if i < len(coef.get(term, [])) else ""
            se_cell = ses.get(term, [""] * len(models))[i] if i < len(ses.get(term, [])) else ""
            if got is None:
                if cell.strip("-"):
                    bad.append(f"{term} ({model}) in LaTeX but not in the CSV")
                continue
            m, s = _CELL.match(cell), _CELL.match(se_cell)
            if not m or not s or abs(float(m.group(1)) - got["estimate"]) > 0.0005 + 1e-9 \
                    or abs(float(s.group(1)) - got["se"]) > 0.0005 + 1e-9 or m.group(2) != got["stars"]:
                bad.append(f"{term} ({model}): '{cell}' '{se_cell}'")
    n_row = next((v for k, v in coef.items() if k.lower() in ("n", "observations")), [])
    for i, model in enumerate(models):
        n = table.get((model, "N"), {}).get("estimate", math.nan)
        if i >= len(n_row) or not is_close(_num(n_row[i].replace(",", "")), n, abs_tol=0.5):
            bad.append(f"N ({model})")
    g.check("LaTeX table agrees with the CSV (rounded values, stars, N)", not bad, weight=2, reason="; ".join(bad[:5]))


def _check_interpretation(g: Grading, ref: dict[str, Any], scenario: str) -> None:
    data = g.read_json("interpretation.json", gate=False)
    if not isinstance(data, dict):
        g.check("interpretation.json numbers match the estimates", False, weight=2, reason="not a JSON object")
        return
    bad = []
    for key, want in ref["derived"].items():
        got = data.get(key)
        tol = DERIVED_TOL[key]
        if isinstance(want, list):
            ok = isinstance(got, list) and len(got) == 2 and all(is_close(_num(a), b, abs_tol=tol) for a, b in zip(got, want,
                                                                                                       strict=True))
        else:
            ok = is_close(_num(got), want, abs_tol=tol)
        if not ok:
            bad.append(f"{key}: {got} vs {want}")
    text = data.get("summary")
    if not isinstance(text, str) or len(text.split()) < 15:
        bad.append("summary: missing or too short")
    else:
        headline = {key: ref["derived"][key] for key in HEADLINES[scenario]}
        unstated = [key for key in HEADLINES[scenario] if not stated_for(text, key, headline, scenario)]
        if unstated:
            bad.append(f"summary: does not state {', '.join(unstated)} where it names the finding")
        taken_back = [key for key in HEADLINES[scenario] if withdrawn_for(text, key, headline, scenario)
                      or reversed_for(text, key, headline, scenario)]
        if taken_back:
            bad.append(f"summary: takes back {', '.join(taken_back)} where it names the finding")
        coefficients = [b for model in ref["models"].values() for b in model["params"].values()]
        estimates = [f(b) for b in coefficients for f in (_pct, lambda b: 100 * b)]
        others = {key: other for key in HEADLINES[scenario]
                  if (other := other_figure_for(text, key, headline, scenario, estimates)) is not None}
        if others:
            bad.append(f"summary: also gives {others} as the finding's figure")
    items = len(ref["derived"]) + 1
    g.share("interpretation.json numbers match the estimates", items - len(bad), items, wrong=bad, weight=2)


def grade(g: Grading) -> None:
    if not g.require_files("regression_table.csv", "regression_table.tex", "interpretation.json"):
        return
    spec = SPECS[g.params["scenario"]]
    ref = g.reference_json("reference.json")
    rows = g.read_csv("regression_table.csv", required_columns=TABLE_COLUMNS)
    if rows is None:
        return
    table = read_table(rows)
    _check_estimates(g, table, ref, spec)
    _check_stats(g, table, ref, spec)
    _check_latex(g, table, spec)
    _check_interpretation(g, ref, g.params["scenario"])
