"""Synthetic workforce for the pay equity audit: the scenarios and the HRIS export they produce.

``hris_rows(scenario, n, rng)`` returns the export's rows (one per employment record, re-hires twice,
part-timers' pay pro-rated, each location's pay in its own currency) and ``fx_rows`` the FX table. The
pay of each employee is drawn from a log-linear pay structure (level, family, cost-of-living zone,
tenure, time in level, rating) plus the scenario's gender effect and noise; the audit then estimates it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

AUDIT_DATE = dt.date(2026, 10, 31)
PRIOR_FX_DATE = dt.date(2026, 9, 30)
RATING_CYCLE_START = dt.date(2026, 4, 1)  # hired on or after this date: no rating yet
LEVELS = ("L1", "L2", "L3", "L4", "L5", "L6")
LEVEL_PAY = (56_000, 68_000, 84_000, 104_000, 132_000, 170_000)  # USD, full-time, zone B
LEVEL_MIX = (0.20, 0.25, 0.22, 0.17, 0.10, 0.06)
ZONE_EFFECT = {"A": 0.12, "B": 0.0, "C": -0.09}
RATING_EFFECT = {"1": -0.045, "2": -0.02, "3": 0.0, "4": 0.025, "5": 0.05, "": -0.01}
RATING_MIX = (0.04, 0.14, 0.52, 0.22, 0.08)
USD_PER_UNIT = {"USD": (1.0, 1.0), "CAD": (0.7318, 0.7196), "GBP": (1.3352, 1.2987),
                "EUR": (1.1641, 1.1423), "PLN": (0.2731, 0.2688)}  # (prior month end, audit date)


@dataclass(frozen=True)
class Location:
    name: str
    country: str
    currency: str
    zone: str
    weight: float


@dataclass(frozen=True)
class Scenario:
    families: dict[str, tuple[float, float]]  # name -> (pay premium, share of headcount)
    locations: tuple[Location, ...]
    female_by_level: tuple[float, ...]
    female_effect: float  # log points, every family
    family_effect: dict[str, float] = field(default_factory=dict)  # extra log points by family
    part_time_share: tuple[float, float] = (0.02, 0.05)  # men, women
    se_type: str = "HC3"
    alpha: float = 0.05
    threshold_pct: float = 5.0  # remediate pay below (100 - threshold)% of predicted
    rehires: int = 5


US = (
    Location("New York", "US", "USD", "A", 0.18), Location("San Francisco", "US", "USD", "A", 0.12),
    Location("Chicago", "US", "USD", "B", 0.16), Location("Austin", "US", "USD", "B", 0.14),
    Location("Atlanta", "US", "USD", "C", 0.12), Location("Phoenix", "US", "USD", "C", 0.10),
)
SCENARIOS = {
    "family_gap": Scenario(
        families={"Engineering": (0.10, 0.34), "Product": (0.08, 0.08), "Sales": (0.02, 0.16),
                  "Customer Success": (-0.08, 0.12), "Finance": (0.03, 0.08), "Operations": (-0.05, 0.12),
                  "People": (-0.04, 0.05), "Legal": (0.09, 0.05)},
        locations=(*US, Location("Toronto", "CA", "CAD", "B", 0.18)),
        female_by_level=(0.42, 0.38, 0.34, 0.30, 0.26, 0.22),
        female_effect=-0.006, family_effect={"Engineering": -0.075},
        se_type="HC3", rehires=5,
    ),
    "level_mix": Scenario(
        families={"Nursing": (0.0, 0.36), "Allied Health": (-0.03, 0.16), "Clinical Support": (-0.12, 0.14),
                  "Administration": (-0.08, 0.12), "Finance": (0.02, 0.06), "IT": (0.07, 0.07),
                  "Facilities": (-0.10, 0.05), "Management": (0.08, 0.04)},
        locations=(*US, Location("Vancouver", "CA", "CAD", "A", 0.12)),
        female_by_level=(0.82, 0.74, 0.60, 0.44, 0.30, 0.20),
        female_effect=0.0, se_type="cluster", rehires=7, part_time_share=(0.03, 0.07), threshold_pct=8.0,
    ),
    "multi_currency": Scenario(
        families={"Operations": (-0.04, 0.30), "Logistics Planning": (0.0, 0.14), "Sales": (0.02, 0.14),
                  "Customer Service": (-0.10, 0.14), "Finance": (0.03, 0.08), "Technology": (0.09, 0.10),
                  "People": (-0.04, 0.05), "Procurement": (0.01, 0.05)},
        locations=(US[0], US[2], US[4], Location("London", "GB", "GBP", "A", 0.16),
                   Location("Dublin", "IE", "EUR", "B", 0.14), Location("Rotterdam", "NL", "EUR", "B", 0.12),
                   Location("Warsaw", "PL", "PLN", "C", 0.14)),
        female_by_level=(0.50, 0.46, 0.40, 0.34, 0.28, 0.22),
        female_effect=-0.035, se_type="cluster", rehires=6, part_time_share=(0.05, 0.22), threshold_pct=6.0,
    ),
}
HRIS_COLUMNS = ["employee_id", "job_family", "job_level", "grade", "location", "country", "col_zone", "hire_date",
                "level_start_date", "performance_rating", "fte", "base_salary", "currency", "gender"]


def _date(days_before_audit: float) -> dt.date:
    return AUDIT_DATE - dt.timedelta(days=round(days_before_audit))


def hris_rows(sc: Scenario, n: int, rng: np.random.Generator) -> list[list]:
    """The HRIS export: ``n`` current employees plus the earlier records of ``sc.rehires`` re-hires, shuffled."""
    families = list(sc.families)
    fam_p = np.array([sc.families[f][1] for f in families])
    loc_p = np.array([loc.weight for loc in sc.locations])
    ids = rng.choice(np.arange(10_000, 99_999), size=n, replace=False)
    rows, people = [], []
    for i in range(n):
        family = families[rng.choice(len(families), p=fam_p / fam_p.sum())]
        level = int(rng.choice(len(LEVELS), p=LEVEL_MIX))
        female = bool(rng.random() < sc.female_by_level[level])
        loc = sc.locations[rng.choice(len(sc.locations), p=loc_p / loc_p.sum())]
        tenure = float(min(30.0, 0.08 + rng.exponential(4.5 + level)))
        in_level = float(rng.uniform(0.05, min(tenure, 6.0)))
        hire = _date(tenure * 365.25)
        rating = "" if hire >= RATING_CYCLE_START else str(int(rng.choice(5, p=RATING_MIX)) + 1)
        part_time = rng.random() < sc.part_time_share[int(female)]
        fte = float(rng.choice([0.5, 0.6, 0.75, 0.8])) if part_time else 1.0
        tenure_y = (AUDIT_DATE - hire).days / 365.25
        in_level_y = (AUDIT_DATE - _date(in_level * 365.25)).days / 365.25
        log_pay = (math.log(LEVEL_PAY[level]) + sc.families[family][0] + ZONE_EFFECT[loc.zone] + 0.009 * tenure_y
                   + 0.014 * in_level_y + RATING_EFFECT[rating] + rng.normal(0, 0.055)
                   + (sc.female_effect + sc.family_effect.get(family, 0.0) if female else 0.0))
        usd = USD_PER_UNIT[loc.currency][1]
        salary = round(math.exp(log_pay) * fte / usd, -2)
        grade = f"{family[:3].upper()}-{9 + 2 * level + (sc.families[family][0] > 0.05)}"
        row = [f"E{ids[i]}", family, LEVELS[level], grade, loc.name, loc.country, loc.zone, hire.isoformat(),
               _date(in_level * 365.25).isoformat(), rating, f"{fte:g}", f"{salary:.0f}", loc.currency,
               "F" if female else "M"]
        rows.append(row)
        people.append((tenure, level))
    eligible = [i for i, (tenure, _) in enumerate(people) if tenure > 4.0]
    for i in rng.choice(eligible, size=sc.rehires, replace=False):
        old = list(rows[int(i)])
        gap_years = float(rng.uniform(1.5, 4.0))
        stint = float(rng.uniform(1.0, 5.0))
        old_hire = dt.date.fromisoformat(old[7]) - dt.timedelta(days=int((gap_years + stint) * 365.25))
        old[7] = old_hire.isoformat()
        old[8] = (old_hire + dt.timedelta(days=int(stint * 365.25 * 0.6))).isoformat()
        old[11] = f"{round(float(old[11]) * rng.uniform(0.72, 0.86), -2):.0f}"
        rows.append(old)
    order = rng.permutation(len(rows))
    return [rows[int(k)] for k in order]


def fx_rows(sc: Scenario) -> list[list]:
    """The treasury FX table: USD per unit of each currency at the prior and the audit month end."""
    currencies = sorted({loc.currency for loc in sc.locations})
    return [[day.isoformat(), cur, f"{USD_PER_UNIT[cur][k]:.4f}"]
            for k, day in ((0, PRIOR_FX_DATE), (1, AUDIT_DATE)) for cur in currencies]
