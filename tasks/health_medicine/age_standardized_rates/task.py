"""Crude and directly age-standardised rates, gamma intervals and standardised rate ratios.

Workflow: the analyst receives a case extract (a registry line listing, or a WONDER-style
tabulation of deaths), population denominators and a published standard population. They
select the cases that belong to the study (period, residence, one record per case), derive
age groups matching the standard (collapsing open-ended groups or aggregating single years
where needed), and report: age-specific rates; crude rates with exact Poisson intervals;
directly age-standardised rates (ASR) with Fay-Feuer gamma intervals; and standardised rate
ratios against a reference region with log-normal (delta-method) intervals, plus a methods
note with the case-selection counts.

Variants: the WHO 2000-2025 world standard over a multi-year colorectal-cancer extract; the
2000 U.S. standard (19 groups, infants separate) over a one-year mortality tabulation with
subtotal rows, omitted zero cells and deaths of unknown age; the 2013 European standard over
sparse mesothelioma data with dates of birth, coded regions, single-year populations and
zero counts (a few diagnoses on a birthday or the day before one, at an age-group bound, so that
ages must be completed years: neither days / 365, days / 365.25 nor days / 365.2425 gives them).

Grade: the reference is computed by generate() from the records it drew. The grader checks
the age-specific cells, case counts and person-years, crude rates against the submitted
counts (internal consistency) and the reference, crude and ASR intervals, rate ratios and
their intervals, and the methods note (case selection, standard, age groups).
"""
# ALE-CANARY-054a2489-bd54-4e46-827f-8500800cf9b3

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from lastexam.task import Grading, Params, as_number, write_csv

PER = 100_000
SEXES = ("Male", "Female")

# Published standard populations (label, weight) -- the files are written as published.
WHO_2000_2025 = (  # percent, Ahmad et al. (2001), WHO GPE Discussion Paper 31
    ("0-4", 8.86), ("5-9", 8.69), ("10-14", 8.60), ("15-19", 8.47), ("20-24", 8.22), ("25-29", 7.93),
    ("30-34", 7.61), ("35-39", 7.15), ("40-44", 6.59), ("45-49", 6.04), ("50-54", 5.37), ("55-59", 4.55),
    ("60-64", 3.72), ("65-69", 2.96), ("70-74", 2.21), ("75-79", 1.52), ("80-84", 0.91), ("85-89", 0.44),
    ("90-94", 0.15), ("95-99", 0.04), ("100+", 0.005),
)
US_2000 = (  # standard million, NCHS / SEER, 19 age groups
    ("<1", 13818), ("1-4", 55317), ("5-9", 72533), ("10-14", 73032), ("15-19", 72169), ("20-24", 66478),
    ("25-29", 64529), ("30-34", 71044), ("35-39", 80762), ("40-44", 81851), ("45-49", 72118),
    ("50-54", 62716), ("55-59", 48454), ("60-64", 38793), ("65-69", 34264), ("70-74", 31773),
    ("75-79", 26999), ("80-84", 17842), ("85+", 15508),
)
ESP_2013 = (  # per 100,000, Eurostat (2013)
    ("0-4", 5000), ("5-9", 5500), ("10-14", 5500), ("15-19", 5500), ("20-24", 6000), ("25-29", 6000),
    ("30-34", 6500), ("35-39", 7000), ("40-44", 7000), ("45-49", 7000), ("50-54", 7000), ("55-59", 6500),
    ("60-64", 6000), ("65-69", 5500), ("70-74", 5000), ("75-79", 4000), ("80-84", 2500), ("85-89", 1500),
    ("90-94", 800), ("95+", 200),
)


@dataclass(frozen=True)
class Region:
    name: str
    code: str
    size: int
    growth: float  # natural growth: shapes the age pyramid
    migrants: float  # multiplier of the 20-39 year olds
    effect: float  # relative risk of the condition


@dataclass(frozen=True)
class Scenario:
    standard: tuple[tuple[str, float], ...]
    standard_column: str
    groups: tuple[int, ...]  # lower bounds of the analysis age groups (the last is open)
    years: tuple[int, ...]
    regions: tuple[Region, ...]
    knots: tuple[tuple[float, float], ...]  # (age, male rate per 100,000), interpolated on a log scale
    female_ratio: float


FIVE_YEAR = tuple(range(0, 90, 5))
SCENARIOS = {
    "colorectal_who": Scenario(
        standard=WHO_2000_2025, standard_column="percent", groups=FIVE_YEAR, years=(2021, 2022, 2023),
        regions=(
            Region("Capital District", "CAP", 1_150_000, 0.015, 1.35, 1.0),
            Region("Northern Coast", "NCO", 310_000, -0.008, 1.0, 1.15),
            Region("Eastern Highlands", "EHL", 140_000, -0.012, 0.9, 1.25),
            Region("River Valley", "RVA", 420_000, 0.004, 1.05, 1.05),
            Region("Southern Plains", "SPL", 260_000, 0.0, 0.95, 0.9),
            Region("Lakes", "LAK", 90_000, -0.015, 0.85, 1.1),
        ),
        knots=((0, 0.05), (15, 0.4), (30, 4), (40, 14), (50, 48), (60, 125), (70, 240), (80, 350), (90, 400)),
        female_ratio=0.72,
    ),
    "injury_us2000": Scenario(
        standard=US_2000, standard_column="standard_million", groups=(0, 1, *range(5, 90, 5)), years=(2022,),
        regions=(
            Region("Franklin", "90049", 820_000, 0.01, 1.25, 1.0),
            Region("Jackson", "90095", 160_000, 0.0, 1.0, 1.3),
            Region("Marion", "90097", 240_000, 0.005, 1.1, 0.95),
            Region("Clay", "90021", 28_000, -0.01, 0.9, 1.6),
            Region("Polk", "90115", 95_000, -0.005, 0.95, 1.2),
        ),
        knots=((0, 45), (1, 14), (5, 7), (12, 7), (18, 60), (25, 85), (45, 80), (60, 70), (70, 85),
               (80, 220), (90, 650), (100, 900)),
        female_ratio=0.45,
    ),
    "mesothelioma_esp2013": Scenario(
        standard=ESP_2013, standard_column="esp2013", groups=tuple(range(0, 100, 5)),
        years=(2019, 2020, 2021, 2022, 2023),
        regions=(
            Region("Inland Valleys", "11", 420_000, 0.004, 1.05, 1.0),
            Region("Harbour City", "12", 260_000, 0.002, 1.2, 2.8),
            Region("Northern Forests", "13", 60_000, -0.012, 0.85, 0.9),
            Region("Western Isles", "14", 35_000, -0.015, 0.8, 1.1),
            Region("Coalfields", "15", 150_000, -0.006, 0.9, 1.6),
        ),
        knots=((0, 0.005), (25, 0.05), (40, 0.3), (50, 0.9), (60, 3.0), (70, 8.0), (80, 15.0), (90, 18.0)),
        female_ratio=0.22,
    ),
}
LINE_LIST = {"colorectal_who", "mesothelioma_esp2013"}


# --------------------------------------------------------------------------------------------
# the statistics (shared by the reference and nothing else: the grader compares numbers)
# --------------------------------------------------------------------------------------------


def poisson_ci(d: float, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Garwood) interval for a Poisson count."""
    lower = stats.chi2.ppf(alpha / 2, 2 * d) / 2 if d > 0 else 0.0
    upper = stats.chi2.ppf(1 - alpha / 2, 2 * d + 2) / 2
    return float(lower), float(upper)


def fay_feuer(d: np.ndarray, n: np.ndarray, w: np.ndarray, alpha: float = 0.05) -> tuple[float, float, float, float]:
    """Directly standardised rate, its Fay-Feuer (1997) gamma interval and variance (per person)."""
    w = w / w.sum()
    y = float(np.sum(w * d / n))
    v = float(np.sum(w**2 * d / n**2))
    wm = float(np.max(w / n))
    lower = v / (2 * y) * stats.chi2.ppf(alpha / 2, 2 * y**2 / v) if v > 0 else 0.0
    upper = (v + wm**2) / (2 * (y + wm)) * stats.chi2.ppf(1 - alpha / 2, 2 * (y + wm) ** 2 / (v + wm**2))
    return y, float(lower), float(upper), v


def rate_ratio(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float, float] | None:
    """Ratio of two standardised rates (rate, variance) with a log-normal 95% interval."""
    (ya, va), (yb, vb) = a, b
    if ya <= 0 or yb <= 0:
        return None
    ratio = ya / yb
    se = math.sqrt(va / ya**2 + vb / yb**2)
    z = stats.norm.ppf(0.975)
    return ratio, ratio * math.exp(-z * se), ratio * math.exp(z * se)


# --------------------------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------------------------


def _rate(sc: Scenario, age: np.ndarray, male: bool) -> np.ndarray:
    """Rate per 100,000 at single years of age, log-linear between knots."""
    xs, ys = zip(*sc.knots, strict=True)
    rate = np.exp(np.interp(age, xs, np.log(ys)))
    return rate if male else rate * sc.female_ratio


def _population(region: Region, male: bool, year_offset: int) -> np.ndarray:
    """Single-year population 0..99 and 100+ (index 100): Gompertz survival, growth and migration."""
    age = np.arange(101, dtype=float)
    b, c = (6e-5, 0.092) if male else (3e-5, 0.095)
    survival = np.exp(-(b / c) * (np.exp(c * age) - 1))
    shares = survival * np.exp(-region.growth * age)
    shares[20:40] *= region.migrants
    shares[100] = shares[100] * 2.0  # 100 and over
    shares /= shares.sum()
    half = region.size * (0.49 if male else 0.51)
    return np.rint(half * shares * (1 + region.growth * 0.5) ** year_offset).astype(int)


def _group_of(age: int, groups: tuple[int, ...]) -> int:
    """Index of the analysis group containing a single year of age."""
    return int(np.searchsorted(np.array(groups), age, side="right") - 1)


def _label(groups: tuple[int, ...], index: int, infant: bool) -> str:
    lo = groups[index]
    if index == len(groups) - 1:
        return f"{lo}+"
    hi = groups[index + 1] - 1
    return "<1" if infant and lo == 0 and hi == 0 else f"{lo}-{hi}"


def _weights(sc: Scenario) -> np.ndarray:
    """Standard weights over the analysis groups (open-ended standard groups collapsed)."""
    w = np.zeros(len(sc.groups))
    for label, value in sc.standard:
        lo = int(re.match(r"<?(\d+)", label).group(1))
        w[_group_of(0 if label.startswith("<") else lo, sc.groups)] += value
    return w


@dataclass
class Cells:
    """Cases and person-years by region x sex x age group, plus cases of unknown age."""

    d: np.ndarray
    n: np.ndarray
    unknown_age: np.ndarray  # region x sex


def _draw_cases(rng: np.random.Generator, sc: Scenario, pops: dict[tuple[int, int, int], np.ndarray]) -> list[dict]:
    """Cases at single years of age, dated within their year."""
    cases = []
    ages = np.arange(101)
    for (r, s, year), pop in pops.items():
        counts = rng.poisson(_rate(sc, ages, s == 0) * sc.regions[r].effect * pop / PER)
        for age in np.repeat(ages, counts):
            day = int(rng.integers(0, 365))
            cases.append({"region": r, "sex": s, "age": int(age), "date": dt.date(year, 1, 1) + dt.timedelta(days=day)})
    return cases


def _completed_years(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _birthday_cases(seed: int, sc: Scenario, valid: list[dict]) -> None:
    """Move a few dates of birth so that the diagnosis falls on a birthday, or the day before one, at an age-group
    bound: completed years then differ from days / 365.25 (or days / 365). Ages and age groups stay as drawn,
    and the randomness is a stream of its own, so that the rest of the extract does not shift."""
    rng = np.random.default_rng([seed, 7])
    bounds = set(sc.groups[1:])
    on, before = 0, 0
    for i in rng.permutation(len(valid)):
        case = valid[int(i)]
        day, age = case["date"], case["age"]
        if (day.month, day.day) in ((2, 28), (2, 29), (12, 31)):
            continue
        if on < 2 and age in bounds:
            born = day.replace(year=day.year - age)  # the diagnosis on the birthday
            if (day - born).days // 365.25 < age:
                case["born"], on = born, on + 1
        elif before < 2 and age + 1 in bounds:
            after = day + dt.timedelta(days=1)
            born = after.replace(year=after.year - age - 1)  # the diagnosis the day before the birthday
            if (day - born).days // 365 > age:
                case["born"], before = born, before + 1
        assert _completed_years(case["born"], day) == age
        if on == before == 2:
            break


def _mean_year_cases(seed: int, sc: Scenario, valid: list[dict]) -> None:
    """Move two more diagnoses (within their year) and dates of birth so that the diagnosis falls on a birthday at
    an age-group bound where even the mean Gregorian year (days / 365.2425, numpy's year unit, or the tropical
    365.2422) falls short of the completed years: no fixed year length gives the age. A stream of its own again,
    after the other moves; ages and age groups stay as drawn."""
    rng = np.random.default_rng([seed, 8])
    bounds = set(sc.groups[1:])
    moved = 0
    for i in rng.permutation(len(valid)):
        case = valid[int(i)]
        age = case["age"]
        if age not in bounds or (case["born"].month, case["born"].day) in {
                (d.month, d.day) for d in (case["date"], case["date"] + dt.timedelta(days=1))}:
            continue  # not at a bound, or already on (or the day before) a birthday
        for k in rng.permutation(365):
            day = dt.date(case["date"].year, 1, 1) + dt.timedelta(days=int(k))
            if (day.month, day.day) in ((2, 28), (2, 29), (12, 31)):
                continue
            born = day.replace(year=day.year - age)
            if (day - born).days / 365.2422 < age:
                case["date"], case["born"], moved = day, born, moved + 1
                break
        assert _completed_years(case["born"], case["date"]) == age
        if moved == 2:
            break


def _line_list_colorectal(rng: np.random.Generator, sc: Scenario, valid: list[dict], out: Path) -> dict[str, int]:
    """The registry extract (2020-01-01 to 2024-06-30) with out-of-period, non-resident and duplicate records."""
    extra_years = [dict(c, date=dt.date(2020, 1, 1) + dt.timedelta(days=int(rng.integers(0, 366))))
                   for c in valid if rng.random() < 0.3]
    extra_years += [dict(c, date=dt.date(2024, 1, 1) + dt.timedelta(days=int(rng.integers(0, 181))))
                    for c in valid if rng.random() < 0.15]
    non_res = [dict(c, region=-1) for c in valid if rng.random() < 0.02]
    records = [dict(c, source=str(rng.choice(["pathology", "hospital discharge", "hospital discharge"])))
               for c in valid + extra_years + non_res]
    for i, rec in enumerate(rng.permutation(len(records))):
        records[int(rec)]["id"] = f"CRC{100000 + i}"
    dups = [dict(records[i], source="pathology" if records[i]["source"] != "pathology" else "death certificate")
            for i in range(len(valid)) if rng.random() < 0.03]
    rows = []
    for rec in [*records, *dups]:
        region = "Non-resident" if rec["region"] < 0 else sc.regions[rec["region"]].name
        rows.append([rec["id"], rec["date"].isoformat(), "MF"[rec["sex"]], rec["age"], region, rec["source"]])
    order = rng.permutation(len(rows))
    write_csv(out / "cases.csv",
               ["case_id", "diagnosis_date", "sex", "age_at_diagnosis", "residence_region", "notification_source"],
               [rows[int(i)] for i in order])
    return {"records_read": len(rows), "excluded_outside_period": len(extra_years),
            "excluded_non_resident": len(non_res), "excluded_duplicate": len(dups), "cases_included": len(valid)}


def _line_list_mesothelioma(rng: np.random.Generator, sc: Scenario, valid: list[dict], out: Path) -> dict[str, int]:
    """Registry extract with dates of birth, coded sex/region, and records to exclude."""
    extra = [dict(c, date=dt.date(2018, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365))))
             for c in valid if rng.random() < 0.2]
    extra += [dict(c, date=dt.date(2024, 1, 1) + dt.timedelta(days=int(rng.integers(0, 90))))
              for c in valid if rng.random() < 0.05]
    # at least one record of each exclusion: a small extract had drawn none, and skipping that exclusion had passed
    non_res = ([dict(c, region=-1) for c in valid if rng.random() < 0.05]
               or [dict(valid[int(rng.integers(len(valid)))], region=-1)])
    records = valid + extra + non_res
    ids = rng.choice(np.arange(200000, 999999), size=len(records), replace=False)
    rows = []
    for rec, rid in zip(records, ids, strict=True):
        born = rec["born"]
        code = "99" if rec["region"] < 0 else sc.regions[rec["region"]].code
        rows.append([f"M{rid}", born.isoformat(), rec["date"].isoformat(), rec["sex"] + 1, code,
                     str(rng.choice(["9050/3", "9051/3", "9052/3", "9052/3", "9053/3"]))])
    dups = [list(rows[i]) for i in range(len(valid)) if rng.random() < 0.04] or [list(rows[int(rng.integers(len(valid)))])]
    all_rows = rows + dups
    order = rng.permutation(len(all_rows))
    write_csv(out / "registrations.csv",
               ["registry_id", "date_of_birth", "date_of_diagnosis", "sex_code", "residence_code", "morphology"],
               [all_rows[int(i)] for i in order])
    write_csv(out / "region_codes.csv", ["code", "region"],
               [[r.code, r.name] for r in sc.regions] + [["99", "Outside the registry area"]])
    return {"records_read": len(all_rows), "excluded_outside_period": len(extra),
            "excluded_non_resident": len(non_res), "excluded_duplicate": len(dups), "cases_included": len(valid)}


def _wonder_export(rng: np.random.Generator, sc: Scenario, cells: Cells, out: Path) -> None:
    """Deaths as a CDC WONDER-style tab-delimited export: zero rows omitted, subtotals, notes."""
    labels = [_label(sc.groups, i, True) for i in range(len(sc.groups))]
    names = [("< 1 year", "1")] + [(f"{lab} years", lab) for lab in labels[1:]]
    lines = ['"Notes"\t"County"\t"County Code"\t"Sex"\t"Sex Code"\t"Five-Year Age Groups"\t'
             '"Five-Year Age Groups Code"\tDeaths']
    for r, region in enumerate(sc.regions):
        for s, sex in enumerate(("Male", "Female")):
            for g, (name, code) in enumerate(names):
                if cells.d[r, s, g] > 0:
                    lines.append(f'\t"{region.name}"\t"{region.code}"\t"{sex}"\t"{sex[0]}"\t"{name}"\t"{code}"\t'
                                 f"{int(cells.d[r, s, g])}")
            if cells.unknown_age[r, s] > 0:
                lines.append(f'\t"{region.name}"\t"{region.code}"\t"{sex}"\t"{sex[0]}"\t"Not Stated"\t"NS"\t'
                             f"{int(cells.unknown_age[r, s])}")
            total = int(cells.d[r, s].sum() + cells.unknown_age[r, s])
            lines.append(f'"Total"\t"{region.name}"\t"{region.code}"\t"{sex}"\t"{sex[0]}"\t\t\t{total}')
        total = int(cells.d[r].sum() + cells.unknown_age[r].sum())
        lines.append(f'"Total"\t"{region.name}"\t"{region.code}"\t\t\t\t\t{total}')
    lines.append(f'"Total"\t\t\t\t\t\t\t{int(cells.d.sum() + cells.unknown_age.sum())}')
    lines += ['"---"', '"Dataset: State Vital Statistics, Mortality, 2022"',
              '"Query Parameters:"', '"ICD-10 Codes: V01-X59 (Unintentional injuries); Y85-Y86"',
              '"Year: 2022"', '"Group By: County; Sex; Five-Year Age Groups"', '"Show Zero Values: False"',
              '"---"', '"Deaths are by county of residence. Population figures are in population_2022.csv."']
    (out / "deaths_2022.txt").write_text("\n".join(lines) + "\n")


def _write_standard(sc: Scenario, out: Path) -> None:
    write_csv(out / "standard_population.csv", ["age_group", sc.standard_column],
               [[label, value] for label, value in sc.standard])


def _write_population(sc: Scenario, scenario: str, pops: dict, out: Path) -> None:
    """Denominators: grouped (colorectal, injury) or single years of age (mesothelioma)."""
    rows = []
    if scenario == "mesothelioma_esp2013":
        for (r, s, year), pop in pops.items():
            rows += [[sc.regions[r].code, year, s + 1, "100+" if a == 100 else str(a), int(pop[a])] for a in range(101)]
        write_csv(out / "population_single_year.csv", ["residence_code", "year", "sex_code", "age", "population"],
                   rows)
        return
    infant = scenario == "injury_us2000"
    for (r, s, year), pop in pops.items():
        grouped = np.zeros(len(sc.groups), dtype=int)
        np.add.at(grouped, [_group_of(a, sc.groups) for a in range(101)], pop)
        for g, value in enumerate(grouped):
            label = _label(sc.groups, g, infant)
            if infant:
                rows.append([sc.regions[r].name, SEXES[s], label, int(value)])
            else:
                rows.append([sc.regions[r].name, year, "MF"[s], label, int(value)])
    if infant:
        write_csv(out / "population_2022.csv", ["county", "sex", "age_group", "population"], rows)
    else:
        write_csv(out / "population.csv", ["region", "year", "sex", "age_group", "population"], rows)


def _reference(sc: Scenario, cells: Cells, reference_region: str, infant: bool) -> dict[str, Any]:
    """Every expected number, from the cells."""
    w = _weights(sc)
    names = [r.name for r in sc.regions]
    labels = [_label(sc.groups, i, infant) for i in range(len(sc.groups))]
    by_sex = {"Male": [0], "Female": [1], "Persons": [0, 1]}
    age_rows, rate_rows, estimates = [], [], {}
    for r_name in [*names, "All regions"]:
        r_idx = list(range(len(names))) if r_name == "All regions" else [names.index(r_name)]
        for sex, s_idx in by_sex.items():
            d = cells.d[np.ix_(r_idx, s_idx)].sum(axis=(0, 1))
            n = cells.n[np.ix_(r_idx, s_idx)].sum(axis=(0, 1))
            for g, label in enumerate(labels):
                age_rows.append({"region": r_name, "sex": sex, "age_group": label, "cases": int(d[g]),
                                 "person_years": int(n[g]), "rate": d[g] / n[g] * PER})
            total = float(d.sum() + cells.unknown_age[np.ix_(r_idx, s_idx)].sum())
            py = float(n.sum())
            lo, hi = poisson_ci(total)
            y, y_lo, y_hi, v = fay_feuer(d, n, w)
            estimates[(r_name, sex)] = (y, v)
            rate_rows.append({
                "region": r_name, "sex": sex, "cases": int(total), "person_years": int(py),
                "crude_rate": total / py * PER, "crude_lcl": lo / py * PER, "crude_ucl": hi / py * PER,
                "asr": y * PER, "asr_lcl": y_lo * PER, "asr_ucl": y_hi * PER,
            })
    ratio_rows = []
    for r_name in names:
        if r_name == reference_region:
            continue
        for sex in by_sex:
            rr = rate_ratio(estimates[(r_name, sex)], estimates[(reference_region, sex)])
            ratio_rows.append({"region": r_name, "sex": sex, "srr": rr and rr[0], "srr_lcl": rr and rr[1],
                               "srr_ucl": rr and rr[2]})
    return {"age_groups": labels, "age_specific": age_rows, "rates": rate_rows, "ratios": ratio_rows}


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    scenario = params["scenario"]
    sc = SCENARIOS[scenario]
    rng = np.random.default_rng(params["seed"])
    pops = {(r, s, year): _population(region, s == 0, k)
            for r, region in enumerate(sc.regions) for s in (0, 1) for k, year in enumerate(sc.years)}
    valid = _draw_cases(rng, sc, pops)
    n_groups = len(sc.groups)
    cells = Cells(d=np.zeros((len(sc.regions), 2, n_groups)), n=np.zeros((len(sc.regions), 2, n_groups)),
                  unknown_age=np.zeros((len(sc.regions), 2)))
    for (r, s, _), pop in pops.items():
        np.add.at(cells.n[r, s], [_group_of(a, sc.groups) for a in range(101)], pop)

    if scenario == "mesothelioma_esp2013":
        for case in valid:  # a date of birth consistent with the age; the age is re-derived from the dates
            born = case["date"] - dt.timedelta(days=int(case["age"] * 365.25 + rng.integers(1, 364)))
            case["born"] = born
            case["age"] = _completed_years(born, case["date"])
        _birthday_cases(params["seed"], sc, valid)
        _mean_year_cases(params["seed"], sc, valid)
    for case in valid:
        cells.d[case["region"], case["sex"], _group_of(min(case["age"], 100), sc.groups)] += 1

    counts: dict[str, int]
    if scenario == "colorectal_who":
        counts = _line_list_colorectal(rng, sc, valid, input_dir)
    elif scenario == "mesothelioma_esp2013":
        counts = _line_list_mesothelioma(rng, sc, valid, input_dir)
    else:
        cells.unknown_age[:] = rng.poisson(0.6, size=cells.unknown_age.shape)
        if not cells.unknown_age.any():  # leaving the deaths of unknown age out of the crude rates must cost the pass
            cells.unknown_age.flat[int(rng.integers(cells.unknown_age.size))] = 1
        _wonder_export(rng, sc, cells, input_dir)
        counts = {"deaths_total": int(cells.d.sum() + cells.unknown_age.sum()),
                  "deaths_age_not_stated": int(cells.unknown_age.sum()),
                  "deaths_in_age_adjusted_rates": int(cells.d.sum())}
    _write_population(sc, scenario, pops, input_dir)
    _write_standard(sc, input_dir)
    request = {
        "indicator": params["indicator"], "period": params["period"], "regions": [r.name for r in sc.regions],
        "reference_region": params["reference_region"], "standard_population": params["standard"],
        "multiplier": PER, "confidence_level": 0.95,
    }
    (input_dir / "analysis_request.json").write_text(json.dumps(request, indent=2) + "\n")

    reference = _reference(sc, cells, params["reference_region"], scenario == "injury_us2000")
    reference["case_counts"] = counts
    (reference_dir / "expected.json").write_text(json.dumps(reference, indent=1))


# --------------------------------------------------------------------------------------------
# grading
# --------------------------------------------------------------------------------------------

RATE_COLUMNS = ("region", "sex", "cases", "person_years", "crude_rate", "crude_lcl", "crude_ucl",
                "asr", "asr_lcl", "asr_ucl")
AGE_COLUMNS = ("region", "sex", "age_group", "cases", "person_years", "rate")
RATIO_COLUMNS = ("region", "sex", "srr", "srr_lcl", "srr_ucl")
SEX_WORDS = {"male": "male", "m": "male", "men": "male", "female": "female", "f": "female", "women": "female",
             "persons": "persons", "person": "persons", "all": "persons", "both": "persons", "total": "persons",
             "p": "persons"}
TOL = (0.006, 0.002)  # absolute (per 100,000 or ratio units), relative


def _sex(value: Any) -> str:
    return SEX_WORDS.get(str(value).strip().casefold(), str(value).strip().casefold())


def _age_key(value: Any) -> str:
    text = str(value).strip().casefold()
    if text.startswith(("<", "under")) or text in ("0", "00"):
        return "0"
    match = re.match(r"(\d+)", text)
    return match.group(1) if match else text


def _keyed(rows: list[dict], *, age: bool = False) -> list[dict]:
    """Rows with a normalised key: region (case-folded), sex and, for age tables, the group's lower bound."""
    out = []
    for row in rows:
        key = f"{str(row.get('region', '')).strip().casefold()}|{_sex(row.get('sex', ''))}"
        if age:
            key += f"|{_age_key(row.get('age_group', ''))}"
        out.append({**row, "key": key})
    return out


def _blank(value: Any) -> bool:
    return value is None or str(value).strip().casefold() in ("", "na", "nan", "none", "null", "n/a", "-")


def _grade_ratios(g: Grading, found: list[dict], expected: list[dict]) -> None:
    """Rate ratios: numbers where defined, blanks where a rate is zero."""
    have = {r["key"]: r for r in _keyed(found)}
    good, bad = 0, []
    for row in _keyed(expected):
        got = have.get(row["key"])
        if got is None:
            bad.append(f"{row['key']}: missing")
            continue
        ok = True
        for col in ("srr", "srr_lcl", "srr_ucl"):
            want, value = row[col], got.get(col)
            if want is None:
                ok &= _blank(value)
            else:
                number = as_number(value)
                ok &= number is not None and math.isclose(number, want, abs_tol=0.002, rel_tol=0.003)
        if ok:
            good += 1
        else:
            bad.append(f"{row['key']}: {[got.get(c) for c in ('srr', 'srr_lcl', 'srr_ucl')]}")
    extra = len(set(have) - {r["key"] for r in _keyed(expected)})
    score = good / (len(expected) + extra) if expected else 1.0
    g.check("standardised rate ratios and log-normal CIs", score, weight=2.0,
            expected=f"{len(expected)} rows", found=f"{good} matching", reason="; ".join(bad[:6]))


def _grade_consistency(g: Grading, rows: list[dict]) -> None:
    """Crude rate = cases / person-years x 100,000 in the submitted table itself."""
    bad = []
    for row in rows:
        cases, py, rate = (as_number(row.get(c)) for c in ("cases", "person_years", "crude_rate"))
        if None in (cases, py, rate) or py <= 0 or not math.isclose(rate, cases / py * PER, rel_tol=0.002,
                                                                      abs_tol=0.006):
            bad.append(f"{row.get('region')}/{row.get('sex')}")
    g.check("crude rates equal cases / person-years x 100,000 in rates.csv", not bad and bool(rows),
            reason=f"inconsistent rows: {', '.join(bad[:8])}" if bad else "")


def _grade_methods(g: Grading, expected: dict[str, Any], params: dict[str, Any]) -> None:
    methods = g.read_json("methods.json", gate=False)
    if not isinstance(methods, dict):
        g.check("methods.json case selection counts", False, weight=1.5, reason="methods.json is not a JSON object")
        g.check("methods.json names the standard, age groups and reference region", False)
        return
    counts = methods.get("case_counts")
    want = expected["case_counts"]
    wrong = {k: (counts or {}).get(k) if isinstance(counts, dict) else None for k in want
             if not isinstance(counts, dict) or as_number(counts.get(k)) != want[k]}
    g.check("methods.json case selection counts", not wrong, weight=1.5, expected=want,
            found=counts if isinstance(counts, dict) else None, reason=f"wrong: {sorted(wrong)}" if wrong else "")
    groups = methods.get("age_groups")
    groups_ok = isinstance(groups, list) and [_age_key(x) for x in groups] == [
        _age_key(x) for x in expected["age_groups"]]
    standard_ok = _standard_named(str(methods.get("standard_population", "")), params["scenario"])
    ref_ok = str(methods.get("reference_region", "")).strip().casefold() == params["reference_region"].casefold()
    g.check("methods.json names the standard, age groups and reference region", groups_ok and standard_ok and ref_ok,
            expected={"age_groups": expected["age_groups"], "reference_region": params["reference_region"]},
            found={"age_groups": groups, "standard_population": methods.get("standard_population"),
                   "reference_region": methods.get("reference_region")})


def _standard_named(text: str, scenario: str) -> bool:
    text = text.casefold()
    return {"colorectal_who": "who" in text or "world" in text,
            "injury_us2000": "2000" in text and ("u.s" in text or "us" in text or "united states" in text),
            "mesothelioma_esp2013": "2013" in text and ("europ" in text or "esp" in text)}[scenario]


def grade(g: Grading) -> None:
    expected = g.reference_json("expected.json")
    if not g.require_files("age_specific_rates.csv", "rates.csv", "rate_ratios.csv", "methods.json"):
        return
    age_rows = g.read_csv("age_specific_rates.csv", required_columns=AGE_COLUMNS)
    rates = g.read_csv("rates.csv", required_columns=RATE_COLUMNS)
    ratios = g.read_csv("rate_ratios.csv", required_columns=RATIO_COLUMNS)
    if age_rows is None or rates is None or ratios is None:
        return
    age_found, age_want = _keyed(age_rows, age=True), _keyed(expected["age_specific"], age=True)
    g.table("age-specific cases and person-years", age_found, age_want, key="key",
            columns={"cases": 0.0, "person_years": 0.5}, weight=1.5)
    g.table("age-specific rates", age_found, age_want, key="key", columns={"rate": TOL})
    found, want = _keyed(rates), _keyed(expected["rates"])
    g.table("cases and person-years by region and sex", found, want, key="key",
            columns={"cases": 0.0, "person_years": 0.5}, weight=1.5)
    _grade_consistency(g, rates)
    g.table("crude rates with exact Poisson CIs", found, want, key="key",
            columns={"crude_rate": TOL, "crude_lcl": TOL, "crude_ucl": TOL})
    g.table("age-standardised rates", found, want, key="key", columns={"asr": TOL}, weight=2.0)
    g.table("Fay-Feuer gamma CIs of the standardised rates", found, want, key="key",
            columns={"asr_lcl": TOL, "asr_ucl": TOL}, weight=2.0)
    _grade_ratios(g, ratios, expected["ratios"])
    _grade_methods(g, expected, g.params)
