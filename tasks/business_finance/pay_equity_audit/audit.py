"""The audit protocol computed from the export: the hidden reference (numpy and scipy only).

``clean`` applies the protocol's data rules, ``fit`` the log-pay OLS with HC3 or job-family-clustered
errors (the same estimators as statsmodels' ``cov_type="HC3"`` and ``"cluster"`` with ``use_t=True``),
``cohorts`` the residual gaps by job family and level, and ``remediation`` the ranked, capped raises.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

MIN_PER_GENDER = 5
BUDGET_MARGIN = 300.0  # USD between the budget and any funded total it is to tell apart


@dataclass
class Employee:
    employee_id: str
    family: str
    level: str
    zone: str
    currency: str
    fte: float
    salary: float  # as exported: local currency, pro-rated for part-timers
    usd_per_unit: float
    female: bool
    tenure: float
    in_level: float
    rating: str  # "1".."5", or "NR" for no rating

    @property
    def log_pay(self) -> float:
        """Log of the full-time-equivalent annual base salary in USD."""
        return math.log(self.salary / self.fte * self.usd_per_unit)


def clean(rows: list[dict[str, str]], fx: list[dict[str, str]], audit_date: dt.date) -> list[Employee]:
    """One current record per employee (the latest hire date), FTE-annualised pay in USD at the audit date's rate."""
    rate = {r["currency"]: float(r["usd_per_unit"]) for r in fx if r["rate_date"] == audit_date.isoformat()}
    latest: dict[str, dict[str, str]] = {}
    for row in rows:
        kept = latest.get(row["employee_id"])
        if kept is None or row["hire_date"] > kept["hire_date"]:
            latest[row["employee_id"]] = row

    def years(day: str) -> float:
        return (audit_date - dt.date.fromisoformat(day)).days / 365.25

    return [Employee(r["employee_id"], r["job_family"], r["job_level"], r["col_zone"], r["currency"], float(r["fte"]),
                     float(r["base_salary"]), rate[r["currency"]], r["gender"] == "F", years(r["hire_date"]),
                     years(r["level_start_date"]), r["performance_rating"] or "NR")
            for r in sorted(latest.values(), key=lambda r: r["employee_id"])]


def _dummies(values: list[str], reference: str | None = None) -> np.ndarray:
    levels = sorted(set(values))
    drop = reference if reference in levels else levels[0]
    return np.array([[v == lvl for lvl in levels if lvl != drop] for v in values], dtype=float)


def design(emps: list[Employee]) -> tuple[np.ndarray, np.ndarray]:
    """y (log pay) and X: constant, female, family, level, zone, tenure, time in level, rating (reference 3)."""
    y = np.array([e.log_pay for e in emps])
    x = np.column_stack([
        np.ones(len(emps)), [float(e.female) for e in emps],
        _dummies([e.family for e in emps]), _dummies([e.level for e in emps]), _dummies([e.zone for e in emps]),
        [e.tenure for e in emps], [e.in_level for e in emps], _dummies([e.rating for e in emps], "3"),
    ])
    return y, x


def fit(emps: list[Employee], se_type: str) -> dict:
    """OLS of log pay with HC3 or job-family-clustered SEs; t inference (N-K df, or G-1 for clusters)."""
    y, x = design(emps)
    n, k = x.shape
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    resid = y - x @ beta
    if se_type == "HC3":
        hat = np.einsum("ij,jk,ik->i", x, xtx_inv, x)
        meat = (x * (resid**2 / (1 - hat) ** 2)[:, None]).T @ x
        df = n - k
    else:
        groups = sorted({e.family for e in emps})
        fam = np.array([e.family for e in emps])
        scores = np.array([x[fam == grp].T @ resid[fam == grp] for grp in groups])
        g = len(groups)
        meat = scores.T @ scores * g / (g - 1) * (n - 1) / (n - k)
        df = g - 1
    cov = xtx_inv @ meat @ xtx_inv
    se = np.sqrt(np.diag(cov))
    crit = float(stats.t.ppf(0.975, df))
    b, s = float(beta[1]), float(se[1])
    tenure_col = k - 2 - len({e.rating for e in emps}) + 1
    r2 = 1 - float(resid @ resid) / float(((y - y.mean()) ** 2).sum())
    female = np.array([e.female for e in emps])
    raw = float(y[female].mean() - y[~female].mean())
    return {
        "n": n, "k": k, "df": df, "r_squared": r2, "beta": beta.tolist(), "resid": resid.tolist(),
        "female": {"estimate": b, "se": s},
        "tenure_years": {"estimate": float(beta[tenure_col]), "se": float(se[tenure_col])},
        "time_in_level_years": {"estimate": float(beta[tenure_col + 1]), "se": float(se[tenure_col + 1])},
        "adjusted_gap_pct": pct(b), "ci_low_pct": pct(b - crit * s), "ci_high_pct": pct(b + crit * s),
        "p_value": float(2 * stats.t.sf(abs(b / s), df)), "raw_gap_log": raw, "raw_gap_pct": pct(raw),
    }


def pct(log_points: float) -> float:
    """A log-point difference as a percentage pay difference, women relative to men."""
    return 100.0 * (math.exp(log_points) - 1.0)


def gender_neutral_residuals(emps: list[Employee], model: dict) -> np.ndarray:
    """Log pay minus the pay the model predicts with the female term set to zero."""
    return np.array(model["resid"]) + model["female"]["estimate"] * np.array([e.female for e in emps], dtype=float)


def cohorts(emps: list[Employee], model: dict, alpha: float) -> list[dict]:
    """Job family x level cohorts with at least MIN_PER_GENDER of each gender: raw and residual gaps, Welch test."""
    resid = gender_neutral_residuals(emps, model)
    out = []
    for family, level in sorted({(e.family, e.level) for e in emps}):
        idx = [i for i, e in enumerate(emps) if e.family == family and e.level == level]
        women = [i for i in idx if emps[i].female]
        men = [i for i in idx if not emps[i].female]
        if len(women) < MIN_PER_GENDER or len(men) < MIN_PER_GENDER:
            continue
        logs = np.array([e.log_pay for e in emps])
        test = stats.ttest_ind(resid[women], resid[men], equal_var=False)
        out.append({"job_family": family, "job_level": level, "n_women": len(women), "n_men": len(men),
                    "raw_gap_pct": pct(float(logs[women].mean() - logs[men].mean())),
                    "adjusted_gap_pct": pct(float(resid[women].mean() - resid[men].mean())),
                    "p_value": float(test.pvalue), "flagged": bool(test.pvalue < alpha)})
    return out


def remediation_candidates(emps: list[Employee], model: dict, threshold_pct: float) -> list[dict]:
    """Women paid below (100 - threshold)% of their gender-neutral predicted pay, most underpaid first."""
    resid = gender_neutral_residuals(emps, model)
    cut = math.log(1 - threshold_pct / 100)
    out = []
    for e, r in zip(emps, resid, strict=True):
        if e.female and r < cut:
            target = round(math.exp(e.log_pay - r) * e.fte / e.usd_per_unit)
            out.append({"employee_id": e.employee_id, "currency": e.currency, "current_salary": e.salary,
                        "proposed_salary": float(target), "increase": target - e.salary,
                        "increase_usd": (target - e.salary) * e.usd_per_unit, "residual": float(r)})
    return sorted(out, key=lambda c: (c["residual"], c["employee_id"]))


def fund(candidates: list[dict], budget_usd: float) -> tuple[list[dict], float]:
    """Mark raises funded in rank order until the first that would exceed the budget; the funded total."""
    total, open_ = 0.0, True
    out = []
    for c in candidates:
        funded = open_ and total + c["increase_usd"] <= budget_usd
        open_ = funded
        total += c["increase_usd"] if funded else 0.0
        out.append({**c, "funded": funded})
    return out, total


def choose_budget(candidates: list[dict]) -> float:
    """A round budget (USD 1,000s) that funds about 60% of the list with a clear margin on either side, and with room
    left for a later, smaller raise: stopping at the first raise over the budget (the protocol) and skipping it to fund
    later ones then fund different lists. The midpoint of the two funded totals it separates comes first; a budget
    nearer the raise that does not fit only where the midpoint leaves no later raise room."""
    costs = [c["increase_usd"] for c in candidates]
    sums = np.cumsum(costs)
    start = int(np.searchsorted(sums, 0.6 * sums[-1]))
    for k in [*range(start, len(sums) - 1), *range(start - 1, 0, -1)]:
        low, high = sums[k - 1] if k else 0.0, sums[k]
        smallest_later = min(costs[k + 1:])
        midpoint = round((low + high) / 2, -3)
        for budget in (midpoint, *range(1000 * math.floor((high - BUDGET_MARGIN) / 1000), int(midpoint), -1000)):
            if low + BUDGET_MARGIN < budget < high - BUDGET_MARGIN and smallest_later <= budget - low - BUDGET_MARGIN:
                return float(budget)
    raise ValueError("no budget separates the ranked raises")
