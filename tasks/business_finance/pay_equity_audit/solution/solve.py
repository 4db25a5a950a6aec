#!/usr/bin/env python3
"""Oracle for business_finance/pay_equity_audit: pandas cleaning, statsmodels OLS, scipy Welch tests.

Reads the HRIS export, the FX table and the audit protocol; writes model.json, cohorts.csv,
remediation.csv and audit_memo.md. The near-miss adversaries (adversaries/_shortcuts.py links here)
run this same file under another name, and that name switches on one shortcut; run as solve.py,
none is taken.

ALE-CANARY-58a14f30-91bb-4cbc-986d-36a186a00488
"""

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
SHORTCUT = Path(__file__).name.removesuffix(".py")
PROTOCOL = (INPUT / "audit_protocol.md").read_text()
AUDIT_DATE = pd.Timestamp(re.search(r"Audit date: \*\*(\d{4}-\d\d-\d\d)", PROTOCOL).group(1))
ALPHA = float(re.search(r"alpha = ([\d.]+)", PROTOCOL).group(1))
THRESHOLD = 1 - float(re.search(r"below ([\d.]+)% of her gender-neutral", PROTOCOL).group(1)) / 100
BUDGET = float(re.search(r"Budget: \*\*USD ([\d,]+)", PROTOCOL).group(1).replace(",", ""))
CLUSTERED = "clustered by job family" in PROTOCOL
MIN_N = int(re.search(r"at least (\d+) women", PROTOCOL).group(1))
FORMULA = ("log_pay ~ female + C(job_family) + C(job_level) + C(col_zone) + tenure_years + time_in_level_years"
           " + C(rating, Treatment('3'))")


def load() -> pd.DataFrame:
    """The audit population: current records, FTE-annualised USD pay, tenure, ratings with NR."""
    hris = pd.read_csv(INPUT / "hris_export.csv", dtype={"employee_id": str, "performance_rating": "Int64"},
                       parse_dates=["hire_date", "level_start_date"])
    fx = pd.read_csv(INPUT / "fx_rates.csv", parse_dates=["rate_date"])
    rates = fx[fx["rate_date"] == AUDIT_DATE].set_index("currency")["usd_per_unit"]
    if SHORTCUT != "duplicates_kept":
        hris = hris.sort_values("hire_date").drop_duplicates("employee_id", keep="last")
    df = hris.sort_values("employee_id").reset_index(drop=True)
    df["usd_per_unit"] = 1.0 if SHORTCUT == "fx_not_applied" else df["currency"].map(rates)
    fte = 1.0 if SHORTCUT == "fte_not_annualised" else df["fte"]
    df["pay_usd"] = df["base_salary"] / fte * df["usd_per_unit"]
    df["log_pay"] = np.log(df["pay_usd"])
    df["female"] = (df["gender"] == "F").astype(float)
    df["tenure_years"] = (AUDIT_DATE - df["hire_date"]).dt.days / 365.25
    df["time_in_level_years"] = (AUDIT_DATE - df["level_start_date"]).dt.days / 365.25
    df["rating"] = [str(r) if pd.notna(r) else "NR" for r in df["performance_rating"]]
    return df


def fit(df: pd.DataFrame):
    model = smf.ols(FORMULA, data=df)
    if SHORTCUT == "hc1_errors":  # the common robust default (HC1) instead of the protocol's estimator
        return model.fit(cov_type="HC1", use_t=True)
    if CLUSTERED:
        groups = pd.factorize(df["job_family"])[0]
        return model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    return model.fit(cov_type="HC3", use_t=True)


def pct(log_points: float) -> float:
    return float(100 * np.expm1(log_points))


def cohort_table(df: pd.DataFrame, resid: pd.Series) -> pd.DataFrame:
    rows = []
    for (family, level), part in df.groupby(["job_family", "job_level"]):
        women, men = part[part["female"] == 1], part[part["female"] == 0]
        if len(women) < MIN_N or len(men) < MIN_N:
            continue
        raw = women["log_pay"].mean() - men["log_pay"].mean()
        if SHORTCUT == "raw_gap_only":  # compare the cohort's pay directly: "same job, same level"
            adjusted, test = raw, stats.ttest_ind(women["log_pay"], men["log_pay"], equal_var=False)
        else:
            rw, rm = resid[women.index], resid[men.index]
            # pooled_t_test: Student's equal-variance t-test instead of the protocol's Welch test
            adjusted, test = rw.mean() - rm.mean(), stats.ttest_ind(rw, rm, equal_var=SHORTCUT == "pooled_t_test")
        rows.append({"job_family": family, "job_level": level, "n_women": len(women), "n_men": len(men),
                     "raw_gap_pct": round(pct(raw), 3), "adjusted_gap_pct": round(pct(adjusted), 3),
                     "p_value": round(float(test.pvalue), 6), "flagged": bool(test.pvalue < ALPHA)})
    return pd.DataFrame(rows)


def remediation(df: pd.DataFrame, resid: pd.Series) -> pd.DataFrame:
    eligible = df[(df["female"] == 1) & (resid < np.log(1 - THRESHOLD))].copy()
    eligible["residual"] = resid[eligible.index]
    predicted_fte_usd = np.exp(eligible["log_pay"] - eligible["residual"])
    fte = 1.0 if SHORTCUT == "fte_not_annualised" else eligible["fte"]
    eligible["proposed_salary"] = (predicted_fte_usd * fte / eligible["usd_per_unit"]).round()
    eligible["current_salary"] = eligible["base_salary"]
    eligible["increase"] = eligible["proposed_salary"] - eligible["current_salary"]
    eligible["increase_usd"] = (eligible["increase"] * eligible["usd_per_unit"]).round(2)
    eligible = eligible.sort_values(["residual", "employee_id"])
    funded, total, open_ = [], 0.0, True
    for cost in eligible["increase_usd"]:
        # greedy_budget_fill: a raise over the budget is skipped, and the smaller ones after it are still funded
        ok = SHORTCUT == "cap_ignored" or (total + cost <= BUDGET and (open_ or SHORTCUT == "greedy_budget_fill"))
        open_ = ok
        total += cost if ok else 0.0
        funded.append(ok)
    eligible["funded"] = np.array(funded, dtype=bool)
    return eligible[["employee_id", "currency", "current_salary", "proposed_salary", "increase", "increase_usd",
                     "funded", "residual"]]


def memo(model: dict, cohorts: pd.DataFrame, rem: pd.DataFrame) -> str:
    gap = model["adjusted_gap"]
    flagged = cohorts[cohorts["flagged"]]
    verdict = ("is statistically significant" if gap["significant"] else "is not statistically significant")
    if SHORTCUT == "memo_hedged":  # both conclusions, so that one of them is right whatever the test says
        verdict = ("is statistically significant. On a stricter reading, the adjusted gap is not statistically "
                   "significant")
    if SHORTCUT == "memo_modal_hedge":  # a modal instead of a conclusion, leaning the way the test went
        verdict = "could be statistically significant" if gap["significant"] else \
            "may or may not be statistically significant"
    if SHORTCUT == "memo_conclusion_reversed":  # the other conclusion, with a negation elsewhere in its sentence
        verdict = "fails to reach statistical significance" if gap["significant"] else \
            "is statistically significant, not a chance result"
    se_text = "clustered by job family" if CLUSTERED else "HC3 heteroskedasticity-robust"
    p_text = "p < 0.001" if gap["p_value"] < 0.001 else f"p = {gap['p_value']:.4f}"
    lines = [
        "# Pay equity audit FY2026: memo to the Compensation Committee", "",
        f"Population: {model['n']} employees (current records; part-time pay annualised to FTE; "
        "all pay converted to USD at the audit-date rate).", "",
        "## Headline figures", "",
        f"- Raw gap: women's mean pay is {model['raw_gap_pct']:.1f}% relative to men's (negative: lower), "
        "before any controls.",
        f"- Adjusted gap: {gap['pct']:.1f}% after controlling for job family, level, cost-of-living zone, "
        f"tenure, time in level and performance rating (95% CI {gap['ci_low_pct']:.1f}% to "
        f"{gap['ci_high_pct']:.1f}%, {p_text}, {se_text} standard errors).",
        f"- At alpha = {ALPHA}, the adjusted gap {verdict}. Model R-squared {model['r_squared']:.3f}.", "",
        "The raw gap mostly reflects where women and men sit in the job structure; the adjusted gap is the "
        "difference that the legitimate pay factors do not explain.", "",
        "## Cohort review (job family x level)", "",
    ]
    if SHORTCUT == "memo_contrary_pronoun":  # the other conclusion, the gap as a pronoun or as its p-value to the level
        lines.insert(-3, "It is within sampling error." if gap["significant"] else f"The p-value is below {ALPHA}.")
    if SHORTCUT == "memo_contrary_hypothesis":  # the other conclusion as the p-value to alpha, the CI to zero, the null
        lines.insert(-3, "The p-value is larger than alpha: the adjusted gap is indistinguishable from random noise. "
                         "The confidence interval runs well past zero. We cannot reject the hypothesis of no gap."
                     if gap["significant"] else "The adjusted gap is distinguishable from random noise. The confidence "
                     "interval stays well clear of zero. We can reject the hypothesis of no gap.")
    if flagged.empty:
        lines.append(f"No cohort shows a significant adjusted gap ({len(cohorts)} cohorts tested).")
    else:
        lines.append(f"{len(flagged)} of {len(cohorts)} cohorts tested show a significant adjusted gap:")
        lines += [f"- {r.job_family} {r.job_level}: adjusted {r.adjusted_gap_pct:.1f}% (raw {r.raw_gap_pct:.1f}%), "
                  f"p = {r.p_value:.4f}" for r in flagged.itertuples()]
    if SHORTCUT == "memo_cohorts_cleared" and not flagged.empty:  # the flagged list, introduced as cleared
        lines[-len(flagged) - 1] = (f"{len(flagged)} of {len(cohorts)} cohorts tested are cleared, with no unexplained "
                                    "gap:")
    if SHORTCUT == "memo_cohorts_cleared" and flagged.empty:  # a cohort tested, said to be flagged
        lines[-1] = f"{cohorts.iloc[0].job_family} {cohorts.iloc[0].job_level} is flagged for review."
    if SHORTCUT == "memo_contrary_cohort_clause":  # the other conclusion, in a sentence that also speaks of cohorts
        lines.append(f"As in the flagged cohorts, the overall adjusted gap {'is not' if gap['significant'] else 'is'} "
                     "statistically significant.")
    if SHORTCUT == "memo_contrary_synonym":  # the other conclusion, in words that avoid "significant"
        lines.append(f"Read plainly, the adjusted gap is {'not ' if gap['significant'] else ''}statistically "
                     "distinguishable from zero.")
    if SHORTCUT == "memo_contrary_paraphrase":  # the other conclusion, naming the gap neither adjusted nor overall
        lines.append("Once the legitimate pay factors are controlled for, the remaining gender pay gap is "
                     f"{'not ' if gap['significant'] else ''}statistically significant.")
    if SHORTCUT == "memo_contrary_magnitude":  # the other conclusion, next to "significant" meaning large
        lines.append("The raises close a significant part of the gap, and the adjusted gap itself is "
                     f"{'not ' if gap['significant'] else ''}statistically significant.")
    if SHORTCUT == "memo_contrary_told_apart":  # the other conclusion, in words the significance reader did not know
        lines.append("Read plainly, the adjusted gap cannot be told apart from zero: it is within sampling error."
                     if gap["significant"] else "Read plainly, the adjusted gap's confidence interval excludes zero.")
    if SHORTCUT == "memo_contrary_amount":  # the other conclusion, "statistically significant" before "amount"
        lines.append(f"The adjusted gap is {'not ' if gap['significant'] else ''}a statistically significant amount.")
    if SHORTCUT == "memo_contrary_coordinated":  # the other conclusion, the whole company joined to a job family
        family = (flagged if not flagged.empty else cohorts).iloc[0].job_family
        lines.append(f"Overall and in {family} the adjusted gap {'is not' if gap['significant'] else 'is'} "
                     "statistically significant.")
    if SHORTCUT == "memo_contrary_common_word":  # the other conclusion, "for the people it affects" (People: a family)
        lines.insert(-3, f"The adjusted gap is {'not ' if gap['significant'] else ''}statistically significant for the "
                         "people it affects.")
    if SHORTCUT == "memo_contrary_sentence_start":  # the other conclusion, opening with a family's name as a common word
        opener = "Management" if "Management" in set(cohorts["job_family"]) else "People"
        lines.insert(-3, f"{opener} should note that the adjusted gap is {'not ' if gap['significant'] else ''}"
                         "statistically significant.")
    if SHORTCUT == "memo_relative_or_pronoun":  # the other conclusion in a relative clause on the gap, or in a pronoun for it
        opener, negation = ("Management" if "Management" in set(cohorts["job_family"]) else "People",
                            "not " if gap["significant"] else "")
        lines.insert(-3, f"{opener} should note the adjusted gap, which is {negation}statistically significant. The "
                         f"adjusted gap is {gap['pct']:.1f}%. {opener} should know that it is {negation}statistically "
                         "significant.")
    if SHORTCUT == "memo_contrary_joined_subject":  # the other conclusion, a job family and the company as one subject
        family = (flagged if not flagged.empty else cohorts).iloc[0].job_family
        lines.append(f"{family} and the company as a whole show {'no' if gap['significant'] else 'a'} statistically "
                     "significant adjusted gap.")
    if SHORTCUT == "memo_contrary_doubt":  # the other conclusion as doubt (or its absence) on the gap being chance
        lines.insert(-3, "The evidence is weak; it may be chance. We cannot rule out a gap of zero."
                     if gap["significant"] else "We can rule out a gap of zero.")
    if SHORTCUT == "memo_cohorts_explained" and not flagged.empty:  # the flagged cohorts, said to pass the review
        lines.append(f"On closer review, {' and '.join(f'{r.job_family} {r.job_level}' for r in flagged.itertuples())} "
                     "pass the equity test.")
    if SHORTCUT == "memo_cohorts_explained" and flagged.empty:  # a cohort tested, said to fail the review
        lines.append(f"{cohorts.iloc[0].job_family} {cohorts.iloc[0].job_level} does not pass the equity test.")
    if SHORTCUT == "memo_all_flagged":  # every cohort tested listed as flagged, one line each
        lines = [*lines[:lines.index("## Cohort review (job family x level)") + 2],
                 f"All {len(cohorts)} cohorts tested show a significant adjusted gap:",
                 *(f"- {r.job_family} {r.job_level}: adjusted {r.adjusted_gap_pct:.1f}%" for r in cohorts.itertuples())]
    if SHORTCUT == "memo_cohorts_listed":  # every cohort reviewed, without saying which are flagged
        lines = [*lines[:lines.index("## Cohort review (job family x level)") + 2],
                 "Cohorts reviewed: " + ", ".join(f"{r.job_family} {r.job_level}" for r in cohorts.itertuples()) + "."]
    funded = rem[rem["funded"]]
    if SHORTCUT == "memo_figures_loose":  # labels on invented figures, the right ones in an unlabelled line
        figures = (f"{gap['ci_low_pct']:.1f} {gap['ci_high_pct']:.1f} {p_text.removeprefix('p ')} {len(funded)} "
                   f"{funded['increase_usd'].sum():,.2f}")
        lines = [ln.replace(f"{gap['ci_low_pct']:.1f}% to {gap['ci_high_pct']:.1f}%",
                            f"{gap['ci_low_pct'] - 1.3:.1f}% to {gap['ci_high_pct'] + 1.1:.1f}%")
                 .replace(p_text, f"p = {min(0.9, 3 * gap['p_value'] + 0.02):.4f}") for ln in lines]
        funded, lines = funded.iloc[:-1], [*lines, "", f"Worksheet reference: {figures}."]
    if SHORTCUT == "memo_gaps_swapped":  # both gaps on one line, each given the other's figure
        lines = [ln for ln in lines if not ln.startswith(("- Raw gap", "- Adjusted gap"))]
        lines.insert(5, f"- The raw gap is {gap['pct']:.1f}% and the adjusted gap is {model['raw_gap_pct']:.1f}% "
                        f"(95% CI {gap['ci_low_pct']:.1f}% to {gap['ci_high_pct']:.1f}%, {p_text}, {se_text} "
                        "standard errors).")
    lines += [
        "", "## Remediation", "",
        f"{len(rem)} women are paid below {100 * (1 - THRESHOLD):g}% of their gender-neutral predicted pay. "
        f"Within the budget of USD {BUDGET:,.0f}, {len(funded)} raises are funded in rank order, costing "
        f"USD {funded['increase_usd'].sum():,.2f}; {len(rem) - len(funded)} remain unfunded and are "
        "recommended for next year's cycle. The funded raises close a significant part of the gap for the women "
        "concerned.", "",
    ]
    return "\n".join(lines)


def main() -> None:
    df = load()
    res = fit(df)
    resid = pd.Series(res.resid, index=df.index) + res.params["female"] * df["female"]
    b, se = float(res.params["female"]), float(res.bse["female"])
    low, high = res.conf_int().loc["female"]
    p = float(res.pvalues["female"])
    raw = df.loc[df["female"] == 1, "log_pay"].mean() - df.loc[df["female"] == 0, "log_pay"].mean()
    # cohort_model_residuals: the cohorts compared on the model's own residuals, not the gender-neutral ones
    cohorts = cohort_table(df, pd.Series(res.resid, index=df.index) if SHORTCUT == "cohort_model_residuals" else resid)
    rem = remediation(df, resid)
    funded = rem[rem["funded"]]
    model = {
        "n": int(res.nobs), "se_type": "cluster:job_family" if CLUSTERED else "HC3",
        "r_squared": float(res.rsquared),
        "coefficients": {re.sub(r"C\((\w+)[^)]*\)", r"\1", name): {"estimate": float(res.params[name]),
                                                                     "se": float(res.bse[name])}
                         for name in res.params.index},
        "raw_gap_pct": pct(raw),
        "adjusted_gap": {"coefficient": b, "se": se, "pct": pct(b), "ci_low_pct": pct(low), "ci_high_pct": pct(high),
                         "p_value": p, "significant": bool(p < ALPHA)},
        "remediation": {"budget_usd": BUDGET, "eligible": len(rem), "funded": len(funded),
                        "total_increase_usd": round(float(funded["increase_usd"].sum()), 2)},
    }
    (OUTPUT / "model.json").write_text(json.dumps(model, indent=2) + "\n")
    cohorts.to_csv(OUTPUT / "cohorts.csv", index=False)
    rem.drop(columns="residual").to_csv(OUTPUT / "remediation.csv", index=False)
    (OUTPUT / "audit_memo.md").write_text(memo(model, cohorts, rem))


if __name__ == "__main__":
    main()
