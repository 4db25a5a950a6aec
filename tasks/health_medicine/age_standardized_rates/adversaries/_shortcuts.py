#!/usr/bin/env python3
"""Near-miss shortcut agents for health_medicine/age_standardized_rates; the behaviour follows the name.

Each cleans the extract, builds the rate cube and writes all four deliverables, with one corner cut:
- normal_asr_ci: ASR intervals from the normal approximation ASR +/- 1.96 sqrt(var) (no gamma method).
- normal_crude_ci: crude-rate intervals from the normal approximation of the Poisson count.
- records_as_cases: registrations counted as cases without removing repeat notifications; for the
  death tabulation, deaths of unknown age left out of the crude rates as well.
- naive_ages: ages and age groups taken at face value: age at diagnosis as elapsed days / 365.25 from the
  date of birth (not completed years), the tabulation's age codes read as lower bounds ("1" for under one
  year), and the standard joined on the groups' lower bounds without collapsing its open top group.
- mean_year_ages: naive_ages with elapsed days / 365.2425 (the mean Gregorian year, numpy's year unit): right
  on every date of birth but a birthday at a group bound where fewer leap days than average have passed.
"""

import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

INPUT, OUTPUT = Path(os.environ["ALE_INPUT_DIR"]), Path(os.environ["ALE_OUTPUT_DIR"])
MODE = Path(__file__).name.removesuffix(".py")
NAIVE = ("naive_ages", "mean_year_ages")
req = json.loads((INPUT / "analysis_request.json").read_text())
regions, ref = req["regions"], req["reference_region"]
years = [int(y) for y in re.findall(r"\d{4}", req["period"])]
first, last = pd.Timestamp(min(years), 1, 1), pd.Timestamp(max(years), 12, 31)
sexmap = {"M": "Male", "F": "Female", 1: "Male", 2: "Female", "Male": "Male", "Female": "Female"}


def low(label):
    label = str(label).strip()
    return 0 if label[0] in "<U" else int(re.match(r"\d+", label).group(0))


std = pd.read_csv(INPUT / "standard_population.csv")
counts, extra = {}, pd.DataFrame(columns=["region", "sex", "n"])
if (INPUT / "cases.csv").exists():
    c = pd.read_csv(INPUT / "cases.csv", parse_dates=["diagnosis_date"])
    pop = pd.read_csv(INPUT / "population.csv").assign(sex=lambda p: p["sex"].map(sexmap))
    counts["records_read"] = len(c)
    keep = c["diagnosis_date"].between(first, last)
    counts["excluded_outside_period"] = int((~keep).sum())
    c = c[keep]
    keep = c["residence_region"].isin(regions)
    counts["excluded_non_resident"] = int((~keep).sum())
    c = c[keep]
    dedup = c if MODE == "records_as_cases" else c.drop_duplicates("case_id")
    counts["excluded_duplicate"], counts["cases_included"] = len(c) - len(dedup), len(dedup)
    cases = pd.DataFrame({"region": dedup["residence_region"], "sex": dedup["sex"].map(sexmap),
                          "age": dedup["age_at_diagnosis"]})
    labels = list(dict.fromkeys(pop["age_group"]))
elif (INPUT / "registrations.csv").exists():
    c = pd.read_csv(INPUT / "registrations.csv", parse_dates=["date_of_birth", "date_of_diagnosis"],
                    dtype={"residence_code": str})
    codes = pd.read_csv(INPUT / "region_codes.csv", dtype={"code": str}).set_index("code")["region"]
    counts["records_read"] = len(c)
    keep = c["date_of_diagnosis"].between(first, last)
    counts["excluded_outside_period"] = int((~keep).sum())
    c = c[keep].assign(region=lambda x: x["residence_code"].map(codes))
    keep = c["region"].isin(regions)
    counts["excluded_non_resident"] = int((~keep).sum())
    c = c[keep]
    dedup = c if MODE == "records_as_cases" else c.drop_duplicates("registry_id")
    counts["excluded_duplicate"], counts["cases_included"] = len(c) - len(dedup), len(dedup)
    b, d = dedup["date_of_birth"], dedup["date_of_diagnosis"]
    age = d.dt.year - b.dt.year - ((d.dt.month * 100 + d.dt.day) < (b.dt.month * 100 + b.dt.day))
    if MODE in NAIVE:
        age = (d - b).dt.days // (365.25 if MODE == "naive_ages" else 365.2425)
    cases = pd.DataFrame({"region": dedup["region"], "sex": dedup["sex_code"].map(sexmap), "age": age})
    labels = list(std.iloc[:, 0])
    single = pd.read_csv(INPUT / "population_single_year.csv", dtype={"residence_code": str, "age": str})
    lows = np.array([low(x) for x in labels])
    pop = pd.DataFrame({"region": single["residence_code"].map(codes), "sex": single["sex_code"].map(sexmap),
                        "age_group": [labels[np.searchsorted(lows, low(a), "right") - 1] for a in single["age"]],
                        "population": single["population"]})
else:
    raw = pd.read_csv(INPUT / "deaths_2022.txt", sep="\t", dtype=str)
    raw = raw[raw["Notes"].isna() & raw["County"].notna()]
    raw = raw.assign(n=raw["Deaths"].astype(int), sex=raw["Sex"].map(sexmap), region=raw["County"])
    pop = pd.read_csv(INPUT / "population_2022.csv").rename(columns={"county": "region"})
    labels = list(dict.fromkeys(pop["age_group"]))
    ns = raw["Five-Year Age Groups Code"] == "NS"
    counts = {"deaths_total": int(raw["n"].sum()), "deaths_age_not_stated": int(raw[ns]["n"].sum()),
              "deaths_in_age_adjusted_rates": int(raw[~ns]["n"].sum())}
    known = raw[~ns]
    cases = known.loc[known.index.repeat(known["n"]), ["region", "sex", "Five-Year Age Groups"]]
    cases["age"] = [low(x) for x in cases["Five-Year Age Groups"]]
    if MODE in NAIVE:
        cases["age"] = [low(x) for x in known.loc[cases.index, "Five-Year Age Groups Code"]]
    if MODE != "records_as_cases":
        extra = raw[ns][["region", "sex", "n"]]
lows = np.array([low(x) for x in labels])
cases["age_group"] = [labels[np.searchsorted(lows, int(a), "right") - 1] for a in cases["age"]]
w = np.zeros(len(labels))
for label, value in zip(std.iloc[:, 0], std.iloc[:, 1], strict=True):
    if MODE in NAIVE and low(label) not in lows:
        continue
    w[np.searchsorted(lows, low(label), "right") - 1] += float(value)
w /= w.sum()
dc = cases.groupby(["region", "sex", "age_group"]).size()
nc = pop.groupby(["region", "sex", "age_group"])["population"].sum()
z = stats.norm.ppf(0.975)
age_rows, rate_rows, est = [], [], {}
for region in [*regions, "All regions"]:
    rs = regions if region == "All regions" else [region]
    for sex, ss in (("Male", ["Male"]), ("Female", ["Female"]), ("Persons", ["Male", "Female"])):
        d = np.array([sum(dc.get((r, s, g), 0) for r in rs for s in ss) for g in labels], float)
        n = np.array([sum(nc.get((r, s, g), 0) for r in rs for s in ss) for g in labels], float)
        age_rows += [[region, sex, g, int(d[i]), int(n[i]), d[i] / n[i] * 1e5] for i, g in enumerate(labels)]
        total = d.sum() + extra[extra["region"].isin(rs) & extra["sex"].isin(ss)]["n"].sum()
        if MODE == "normal_crude_ci":
            lo, hi = max(0.0, total - z * math.sqrt(total)), total + z * math.sqrt(total)
        else:
            lo = stats.chi2.ppf(0.025, 2 * total) / 2 if total else 0.0
            hi = stats.chi2.ppf(0.975, 2 * total + 2) / 2
        y, v, wm = float(np.sum(w * d / n)), float(np.sum(w**2 * d / n**2)), float(np.max(w / n))
        if MODE == "normal_asr_ci":
            ylo, yhi = max(0.0, y - z * math.sqrt(v)), y + z * math.sqrt(v)
        else:
            ylo = v / (2 * y) * stats.chi2.ppf(0.025, 2 * y * y / v) if v > 0 else 0.0
            yhi = (v + wm**2) / (2 * (y + wm)) * stats.chi2.ppf(0.975, 2 * (y + wm) ** 2 / (v + wm**2))
        est[region, sex] = (y, v)
        py = n.sum()
        rate_rows.append([region, sex, int(total), int(py), total / py * 1e5, lo / py * 1e5, hi / py * 1e5,
                          y * 1e5, ylo * 1e5, yhi * 1e5])
ratio_rows = []
for region in regions:
    for sex in ("Male", "Female", "Persons"):
        if region == ref:
            continue
        (a, va), (b, vb) = est[region, sex], est[ref, sex]
        if a > 0 and b > 0:
            se = math.sqrt(va / a**2 + vb / b**2)
            ratio_rows.append([region, sex, a / b, a / b * math.exp(-z * se), a / b * math.exp(z * se)])
        else:
            ratio_rows.append([region, sex, "", "", ""])
OUTPUT.mkdir(parents=True, exist_ok=True)
pd.DataFrame(age_rows, columns=["region", "sex", "age_group", "cases", "person_years", "rate"]).to_csv(
    OUTPUT / "age_specific_rates.csv", index=False)
pd.DataFrame(rate_rows, columns=["region", "sex", "cases", "person_years", "crude_rate", "crude_lcl", "crude_ucl",
                                 "asr", "asr_lcl", "asr_ucl"]).to_csv(OUTPUT / "rates.csv", index=False)
pd.DataFrame(ratio_rows, columns=["region", "sex", "srr", "srr_lcl", "srr_ucl"]).to_csv(
    OUTPUT / "rate_ratios.csv", index=False)
(OUTPUT / "methods.json").write_text(json.dumps({
    "standard_population": req["standard_population"], "age_groups": labels, "reference_region": ref,
    "multiplier": 100000, "crude_ci_method": "exact Poisson", "asr_ci_method": "Fay-Feuer gamma",
    "rate_ratio_ci_method": "log-normal", "case_counts": counts}, indent=1))
