#!/usr/bin/env python3
"""Oracle for health_medicine/age_standardized_rates: pandas + scipy, direct standardisation.

ALE-CANARY-054a2489-bd54-4e46-827f-8500800cf9b3
"""

import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
PER = 100_000
SEX_NAMES = {"M": "Male", "F": "Female", 1: "Male", 2: "Female", "Male": "Male", "Female": "Female"}


def lower_bound(label: str) -> int:
    label = str(label).strip()
    return 0 if label.startswith(("<", "Under")) else int(re.match(r"(\d+)", label).group(1))


def group_index(age: int, bounds: list[int]) -> int:
    return int(np.searchsorted(np.array(bounds), age, side="right") - 1)


def period_bounds(period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    years = [int(y) for y in re.findall(r"\d{4}", period)]
    return pd.Timestamp(min(years), 1, 1), pd.Timestamp(max(years), 12, 31)


def load_standard(bounds: list[int]) -> np.ndarray:
    std = pd.read_csv(IN / "standard_population.csv")
    weights = np.zeros(len(bounds))
    for label, value in zip(std.iloc[:, 0], std.iloc[:, 1], strict=True):
        weights[group_index(lower_bound(label), bounds)] += float(value)
    return weights / weights.sum()


def registry_colorectal(request: dict) -> tuple[pd.DataFrame, pd.DataFrame, dict, list[str]]:
    cases = pd.read_csv(IN / "cases.csv", parse_dates=["diagnosis_date"])
    pop = pd.read_csv(IN / "population.csv")
    labels = list(dict.fromkeys(pop["age_group"]))
    start, end = period_bounds(request["period"])
    counts = {"records_read": len(cases)}
    in_period = cases["diagnosis_date"].between(start, end)
    counts["excluded_outside_period"] = int((~in_period).sum())
    cases = cases[in_period]
    resident = cases["residence_region"].isin(request["regions"])
    counts["excluded_non_resident"] = int((~resident).sum())
    cases = cases[resident]
    before = len(cases)
    cases = cases.drop_duplicates("case_id")
    counts["excluded_duplicate"] = before - len(cases)
    counts["cases_included"] = len(cases)
    cases = pd.DataFrame({"region": cases["residence_region"], "sex": cases["sex"].map(SEX_NAMES),
                          "age": cases["age_at_diagnosis"]})
    pop = pop.assign(sex=pop["sex"].map(SEX_NAMES))
    return cases, pop, counts, labels


def registry_mesothelioma(request: dict) -> tuple[pd.DataFrame, pd.DataFrame, dict, list[str]]:
    regs = pd.read_csv(IN / "registrations.csv", parse_dates=["date_of_birth", "date_of_diagnosis"],
                       dtype={"residence_code": str})
    names = pd.read_csv(IN / "region_codes.csv", dtype={"code": str}).set_index("code")["region"]
    start, end = period_bounds(request["period"])
    counts = {"records_read": len(regs)}
    in_period = regs["date_of_diagnosis"].between(start, end)
    counts["excluded_outside_period"] = int((~in_period).sum())
    regs = regs[in_period]
    regs = regs.assign(region=regs["residence_code"].map(names))
    resident = regs["region"].isin(request["regions"])
    counts["excluded_non_resident"] = int((~resident).sum())
    regs = regs[resident]
    before = len(regs)
    regs = regs.drop_duplicates("registry_id")
    counts["excluded_duplicate"] = before - len(regs)
    counts["cases_included"] = len(regs)
    born, diag = regs["date_of_birth"], regs["date_of_diagnosis"]
    age = diag.dt.year - born.dt.year - ((diag.dt.month < born.dt.month)
                                         | ((diag.dt.month == born.dt.month) & (diag.dt.day < born.dt.day)))
    cases = pd.DataFrame({"region": regs["region"], "sex": regs["sex_code"].map(SEX_NAMES), "age": age})
    single = pd.read_csv(IN / "population_single_year.csv", dtype={"residence_code": str, "age": str})
    std_labels = list(pd.read_csv(IN / "standard_population.csv").iloc[:, 0])
    bounds = [lower_bound(x) for x in std_labels]
    single["age_group"] = [std_labels[group_index(lower_bound(a), bounds)] for a in single["age"]]
    pop = pd.DataFrame({"region": single["residence_code"].map(names), "year": single["year"],
                        "sex": single["sex_code"].map(SEX_NAMES), "age_group": single["age_group"],
                        "population": single["population"]})
    return cases, pop, counts, std_labels


def wonder_injury() -> tuple[pd.DataFrame, pd.DataFrame, dict, list[str], pd.DataFrame]:
    raw = pd.read_csv(IN / "deaths_2022.txt", sep="\t", dtype=str)
    raw = raw[raw["Notes"].isna() & raw["County"].notna()]  # drop subtotal and footnote rows
    raw = raw.assign(Deaths=raw["Deaths"].astype(int), sex=raw["Sex"].map(SEX_NAMES))
    pop = pd.read_csv(IN / "population_2022.csv").rename(columns={"county": "region"})
    labels = list(dict.fromkeys(pop["age_group"]))
    known = raw[raw["Five-Year Age Groups Code"] != "NS"]
    unknown = raw[raw["Five-Year Age Groups Code"] == "NS"]
    bounds = [lower_bound(x) for x in labels]
    rows = []
    for _, r in known.iterrows():
        label = labels[group_index(lower_bound(r["Five-Year Age Groups"]), bounds)]
        rows += [{"region": r["County"], "sex": r["sex"], "age_group": label}] * int(r["Deaths"])
    cases = pd.DataFrame(rows)
    counts = {"deaths_total": int(raw["Deaths"].sum()), "deaths_age_not_stated": int(unknown["Deaths"].sum()),
              "deaths_in_age_adjusted_rates": int(known["Deaths"].sum())}
    unknown = unknown.groupby(["County", "sex"])["Deaths"].sum().rename_axis(["region", "sex"]).reset_index()
    pop = pop.assign(year=2022)
    return cases, pop, counts, labels, unknown


def fay_feuer(d: np.ndarray, n: np.ndarray, w: np.ndarray) -> tuple[float, float, float, float]:
    y = float(np.sum(w * d / n))
    v = float(np.sum(w**2 * d / n**2))
    wm = float(np.max(w / n))
    lower = v / (2 * y) * stats.chi2.ppf(0.025, 2 * y**2 / v) if v > 0 else 0.0
    upper = (v + wm**2) / (2 * (y + wm)) * stats.chi2.ppf(0.975, 2 * (y + wm) ** 2 / (v + wm**2))
    return y, lower, upper, v


def main() -> None:
    request = json.loads((IN / "analysis_request.json").read_text())
    unknown = None
    if (IN / "cases.csv").exists():
        cases, pop, counts, labels = registry_colorectal(request)
    elif (IN / "registrations.csv").exists():
        cases, pop, counts, labels = registry_mesothelioma(request)
    else:
        cases, pop, counts, labels, unknown = wonder_injury()
    bounds = [lower_bound(x) for x in labels]
    if "age_group" not in cases:
        cases["age_group"] = [labels[group_index(int(a), bounds)] for a in cases["age"]]
    weights = load_standard(bounds)

    regions = request["regions"]
    sexes = {"Male": ["Male"], "Female": ["Female"], "Persons": ["Male", "Female"]}
    d_cube = cases.groupby(["region", "sex", "age_group"]).size()
    n_cube = pop.groupby(["region", "sex", "age_group"])["population"].sum()

    age_rows, rate_rows, est = [], [], {}
    for region in [*regions, "All regions"]:
        rsel = regions if region == "All regions" else [region]
        for sex, ssel in sexes.items():
            d = np.array([sum(d_cube.get((r, s, g), 0) for r in rsel for s in ssel) for g in labels], dtype=float)
            n = np.array([sum(n_cube.get((r, s, g), 0) for r in rsel for s in ssel) for g in labels], dtype=float)
            for g, label in enumerate(labels):
                age_rows.append([region, sex, label, int(d[g]), int(n[g]), round(d[g] / n[g] * PER, 4)])
            extra = 0
            if unknown is not None:
                extra = int(unknown[unknown["region"].isin(rsel) & unknown["sex"].isin(ssel)]["Deaths"].sum())
            total, py = d.sum() + extra, n.sum()
            lo = stats.chi2.ppf(0.025, 2 * total) / 2 if total > 0 else 0.0
            hi = stats.chi2.ppf(0.975, 2 * total + 2) / 2
            y, y_lo, y_hi, v = fay_feuer(d, n, weights)
            est[(region, sex)] = (y, v)
            rate_rows.append([region, sex, int(total), int(py), total / py * PER, lo / py * PER, hi / py * PER,
                              y * PER, y_lo * PER, y_hi * PER])

    ratio_rows = []
    ref = request["reference_region"]
    z = stats.norm.ppf(0.975)
    for region in regions:
        if region == ref:
            continue
        for sex in sexes:
            (ya, va), (yb, vb) = est[(region, sex)], est[(ref, sex)]
            if ya > 0 and yb > 0:
                ratio, se = ya / yb, math.sqrt(va / ya**2 + vb / yb**2)
                ratio_rows.append([region, sex, ratio, ratio * math.exp(-z * se), ratio * math.exp(z * se)])
            else:
                ratio_rows.append([region, sex, None, None, None])

    pd.DataFrame(age_rows, columns=["region", "sex", "age_group", "cases", "person_years", "rate"]).to_csv(
        OUT / "age_specific_rates.csv", index=False)
    pd.DataFrame(rate_rows, columns=["region", "sex", "cases", "person_years", "crude_rate", "crude_lcl",
                                     "crude_ucl", "asr", "asr_lcl", "asr_ucl"]).round(4).to_csv(
        OUT / "rates.csv", index=False)
    pd.DataFrame(ratio_rows, columns=["region", "sex", "srr", "srr_lcl", "srr_ucl"]).round(5).to_csv(
        OUT / "rate_ratios.csv", index=False)
    methods = {
        "standard_population": request["standard_population"],
        "age_groups": labels,
        "reference_region": ref,
        "multiplier": PER,
        "crude_ci_method": "exact Poisson (chi-square) limits",
        "asr_ci_method": "gamma method, Fay & Feuer (1997)",
        "rate_ratio_ci_method": "log-normal approximation (delta method)",
        "case_counts": counts,
    }
    (OUT / "methods.json").write_text(json.dumps(methods, indent=2) + "\n")


if __name__ == "__main__":
    main()
