"""Annual pay equity audit: log-pay regression, cohort gaps and a capped remediation plan.

Workflow: the HR analytics lead receives the HRIS export (one row per employment record, so re-hires
appear twice; part-timers' pay pro-rated; one or more locations paid in their own currency; new hires
not yet rated), the treasury FX table and the audit protocol. They clean the data, fit the protocol's
log-pay OLS (statsmodels, HC3 or job-family-clustered errors), report the raw and the adjusted gender
gap, test job family x level cohorts on the model's gender-neutral residuals, rank the women paid
below the protocol's threshold for raises within the budget, and write the memo to the committee.

Variants: a significant adjusted gap concentrated in one job family (HC3, one CAD location); no
adjusted gap but a large raw gap from the level mix (clustered errors, few women at senior levels);
a multi-currency company with many part-timers and a company-wide gap (clustered errors, 4 currencies).

Grade: the reference is computed by ``audit.py`` from the export generate() wrote. The grader checks
the headcount, raw and adjusted gaps, the SE, CI, p and significance, R-squared and two slopes; the
cohort gaps, Welch p-values and flags (F1); the eligible list, proposed salaries, the funded set within the budget and
the totals against the list; and the memo's figures and conclusions against the reference, each figure on a
line or sentence that names it (the CI, the p-value, the funded total and headcount), and no line or sentence
saying a cohort is flagged that is not, or not flagged that is, in those words or others ("cleared", "no gap",
"passes the test", "explained by"; a line listed under a heading takes its word); the overall gap's significance
is read in other words too ("distinguishable from zero", "cannot be told apart from zero", "the CI excludes zero",
"consistent with chance", "within sampling error", "the CI includes zero", "a statistical fluke", "the p-value is
larger than alpha", "the CI runs past zero", "cannot reject the hypothesis of no gap", "it may be chance", "we cannot
rule out a gap of zero"), of the gap named in other words ("the remaining gap", "the women coefficient", "the
confidence interval", "the evidence"), and in the clauses of a sentence that name no cohort, job family, subgroup ("in
the smaller job families") or raw gap unless they join the whole company to it ("overall and in Administration",
"Administration and the company as a whole show"; an acronym family, "IT", named in capitals only, and a family's name
after a determiner the common word it also is, "for the people it affects", unless a team, level or gap follows, and
so is one opening a sentence whose clause names the gap itself, "People should note that the adjusted gap is", in a
relative clause, "People should note the adjusted gap, which is", or as a pronoun, "Management notes that it is"; an
opening adverbial on a family or subgroup, "Outside engineering, ...", scopes its sentence unless it names the whole
company), a counterfactual on the p-value ("had the p-value been above 0.05, ...") concluding nothing, significance
at a stricter level (or none at a looser one) settling the protocol's, two levels set against each other concluding as the half
naming the protocol's ("not significant at the 1% level but is at the 5% level"), "would remain significant under HC1"
a robustness statement, not a hedge, and what another estimator or level would find ("would be significant under HC1",
"would no longer be significant at alpha = 0.001") no conclusion; "significant" for large ("a significant part
of the gap") states no significance, but "statistically significant" does whatever noun follows it ("not a
statistically significant amount").
"""
# ALE-CANARY-58a14f30-91bb-4cbc-986d-36a186a00488

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, as_number, normalize_text, write_csv

from . import audit, workforce

COHORT_COLUMNS = ["job_family", "job_level", "n_women", "n_men", "raw_gap_pct", "adjusted_gap_pct", "p_value",
                  "flagged"]
REMEDIATION_COLUMNS = ["employee_id", "currency", "current_salary", "proposed_salary", "increase", "increase_usd",
                       "funded"]
# log points: a women coefficient at least this far from zero sets the cohort gaps and raises from the gender-neutral
# residuals apart from those from the model's own residuals by more than the grader's tolerances; one nearer zero is
# moved out to WOMEN_COEFFICIENT_MOVED (past the floor whatever the rounding of the salaries)
WOMEN_COEFFICIENT_FLOOR = 0.0015
WOMEN_COEFFICIENT_MOVED = 0.002
SE_TEXT = {
    "HC3": "heteroskedasticity-consistent HC3 standard errors; t inference with N - K degrees of freedom",
    "cluster": "standard errors clustered by job family (CR1: the sandwich scaled by G/(G-1) x (N-1)/(N-K)); "
               "t inference with G - 1 degrees of freedom (G = number of job families)",
}


# --------------------------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------------------------


def _protocol(params: Params, sc: workforce.Scenario, budget: float) -> str:
    return f"""# {params['company']}: pay equity audit protocol, FY2026

Approved by the Compensation Committee. Audit date: **{workforce.AUDIT_DATE.isoformat()}**.
Reporting currency: **USD**.

## Population and pay measure
1. Population: every employee in the HRIS export. The export has one row per employment record:
   a re-hired employee appears once per stint. Use each employee's current record (the latest
   `hire_date`).
2. Pay measure: full-time-equivalent annual base salary in USD. `base_salary` is in the
   location's `currency` and is the salary paid for the contracted `fte` (part-timers' pay is not
   annualised): divide by `fte`, then convert at the treasury rate of the audit date
   (`fx_rates.csv`, `usd_per_unit` on {workforce.AUDIT_DATE.isoformat()}).
3. `tenure_years` = (audit date - `hire_date`) in days / 365.25; `time_in_level_years` =
   (audit date - `level_start_date`) in days / 365.25.
4. Employees hired on or after {workforce.RATING_CYCLE_START.isoformat()} have no performance rating yet:
   they stay in the audit, in a rating category of their own ("NR").

## Pay model
OLS of ln(pay) on: an indicator for women (`gender` = F), and the legitimate pay factors job family,
job level and cost-of-living zone (categorical), `tenure_years` and `time_in_level_years` (linear), and
performance rating (categorical, rating 3 the reference, NR its own category). Job grade is not a
separate factor: it is a function of job family and level.

Standard errors: {SE_TEXT[sc.se_type]}.

Gaps are reported as the percentage difference of women's pay relative to men's:
100 x (exp(d) - 1) for a difference d in log pay (negative when women are paid less). The raw gap is
the difference in mean ln(pay), women minus men; the adjusted gap is the women coefficient of the
model, with its 95% confidence interval (the same transform of the coefficient's interval) and
p-value. Significance level: **alpha = {sc.alpha}** (two-sided).

## Cohort review
Cohorts are job family x job level with at least {audit.MIN_PER_GENDER} women and {audit.MIN_PER_GENDER} men.
For each, the raw gap (mean ln(pay), women minus men) and the adjusted gap: the difference in mean
gender-neutral residual, women minus men, where an employee's gender-neutral residual is ln(pay) minus
the model's prediction with the women coefficient set to zero. Test the residuals of women against
those of men with Welch's unequal-variances t-test; flag the cohort when p < alpha.

## Remediation rule
Every woman whose pay is below {100 - sc.threshold_pct:g}% of her gender-neutral predicted pay
(the model's prediction with the women coefficient set to zero) is eligible for a raise to that
predicted pay. The proposed salary is in her own currency, on her contracted FTE (the same basis as
`base_salary`), rounded to a whole currency unit. Increases are costed in USD at the audit-date rate.
Budget: **USD {budget:,.0f}**. Rank the eligible employees by residual, the most underpaid first, and
fund raises in full in that order; stop at the first raise that would take the total over the budget
(no partial raises, and no raise after it is funded).
"""


def _workforce(sc: workforce.Scenario, params: Params) -> tuple[list[list], list[list], list[audit.Employee], dict]:
    """The export, the FX table, the audit population and its model."""
    rows = workforce.hris_rows(sc, int(params["employees"]), np.random.default_rng(params["seed"]))
    fx = workforce.fx_rows(sc)
    emps = audit.clean([dict(zip(workforce.HRIS_COLUMNS, r, strict=True)) for r in rows],
                       [{"rate_date": d, "currency": c, "usd_per_unit": u} for d, c, u in fx], workforce.AUDIT_DATE)
    return rows, fx, emps, audit.fit(emps, sc.se_type)


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    sc = workforce.SCENARIOS[params["scenario"]]
    rows, fx, emps, model = _workforce(sc, params)
    women = model["female"]["estimate"]
    if abs(women) < WOMEN_COEFFICIENT_FLOOR:
        # the same draws, with women's pay shifted so that the estimate stands clear of zero on the side it fell
        shift = math.copysign(WOMEN_COEFFICIENT_MOVED, women) - women
        rows, fx, emps, model = _workforce(replace(sc, female_effect=sc.female_effect + shift), params)
    write_csv(input_dir / "hris_export.csv", workforce.HRIS_COLUMNS, rows)
    write_csv(input_dir / "fx_rates.csv", ["rate_date", "currency", "usd_per_unit"], fx)
    candidates = audit.remediation_candidates(emps, model, sc.threshold_pct)
    budget = audit.choose_budget(candidates)
    ranked, total = audit.fund(candidates, budget)
    (input_dir / "audit_protocol.md").write_text(_protocol(params, sc, budget), encoding="utf-8")
    reference = {
        "model": {key: value for key, value in model.items() if key not in ("beta", "resid")},
        "significant": model["p_value"] < sc.alpha, "alpha": sc.alpha,
        "cohorts": audit.cohorts(emps, model, sc.alpha),
        "remediation": ranked, "budget_usd": budget, "total_increase_usd": total,
        "funded": sum(r["funded"] for r in ranked),
    }
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=1), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# grading
# --------------------------------------------------------------------------------------------


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _flag(value: Any) -> bool | None:
    text = normalize_text(value)
    return True if text in ("1", "true", "yes", "y") else False if text in ("0", "false", "no", "n", "") else None


def _grade_model(g: Grading, model: dict, ref: dict) -> None:
    want = ref["model"]
    g.check("headcount after removing re-hire duplicates", as_number(model.get("n")) == want["n"],
            expected=want["n"], found=model.get("n"))
    g.number("raw gap (pct)", model.get("raw_gap_pct"), want["raw_gap_pct"], abs_tol=0.1)
    g.number("adjusted gap (pct)", _get(model, "adjusted_gap", "pct"), want["adjusted_gap_pct"], abs_tol=0.1,
             weight=2)
    # the protocol fixes the estimator and its small-sample factor, so the SE is exact: 0.3 % keeps rounding in and
    # HC1 for HC3 (about 1 % here), HC2 or a cluster factor left out
    g.number("SE of the women coefficient", _get(model, "coefficients", "female", "se"), want["female"]["se"],
             rel_tol=0.003, weight=1.5)
    low, high = as_number(_get(model, "adjusted_gap", "ci_low_pct")), as_number(_get(model, "adjusted_gap", "ci_high_pct"))
    ok = (low is not None and high is not None and abs(low - want["ci_low_pct"]) <= 0.15
          and abs(high - want["ci_high_pct"]) <= 0.15)
    g.check("95% CI of the adjusted gap", ok, expected=[want["ci_low_pct"], want["ci_high_pct"]], found=[low, high])
    p = as_number(_get(model, "adjusted_gap", "p_value"))
    sig = _get(model, "adjusted_gap", "significant")
    p_ok = p is not None and (abs(p - want["p_value"]) <= 0.002 or abs(p - want["p_value"]) <= 0.05 * want["p_value"])
    g.check("p-value and significance of the adjusted gap", p_ok and sig is ref["significant"],
            expected={"p_value": want["p_value"], "significant": ref["significant"]},
            found={"p_value": p, "significant": sig})
    g.number("R-squared", model.get("r_squared"), want["r_squared"], abs_tol=0.002, weight=0.5)
    slopes = [as_number(_get(model, "coefficients", term, "estimate")) for term in ("tenure_years", "time_in_level_years")]
    targets = [want["tenure_years"]["estimate"], want["time_in_level_years"]["estimate"]]
    g.check("tenure and time-in-level coefficients", all(s is not None and abs(s - t) <= 2e-4
                                                          for s, t in zip(slopes, targets, strict=True)),
            weight=0.5, expected=targets, found=slopes)


def _grade_cohorts(g: Grading, rows: list[dict], ref: dict) -> None:
    g.table("cohort sizes, raw and adjusted gaps", rows, ref["cohorts"], key=("job_family", "job_level"),
            columns={"n_women": 0.0, "n_men": 0.0, "raw_gap_pct": 0.1, "adjusted_gap_pct": 0.1},
            normalize=normalize_text, weight=2)
    g.table("cohort p-values (Welch's t-test on the gender-neutral residuals)", rows, ref["cohorts"],
            key=("job_family", "job_level"), columns={"p_value": (0.002, 0.05)}, normalize=normalize_text)
    found = {(normalize_text(r.get("job_family")), normalize_text(r.get("job_level")))
             for r in rows if _flag(r.get("flagged"))}
    want = {(normalize_text(c["job_family"]), normalize_text(c["job_level"])) for c in ref["cohorts"] if c["flagged"]}
    hits = len(found & want)
    f1 = 1.0 if not found and not want else 2 * hits / (len(found) + len(want))
    g.check("cohort significance flags (F1)", f1, weight=1.5, expected=sorted(" ".join(k) for k in want),
            found=sorted(" ".join(k) for k in found))


def _grade_remediation(g: Grading, rows: list[dict], model: dict, ref: dict) -> None:
    want = ref["remediation"]
    ids = {normalize_text(r.get("employee_id")) for r in rows}
    want_ids = {normalize_text(r["employee_id"]) for r in want}
    g.check("eligible employees exactly", ids == want_ids and len(rows) == len(want), weight=1.5,
            expected=f"{len(want_ids)} employees", found=f"{len(ids & want_ids)} right, {len(ids - want_ids)} extra, "
            f"{len(want_ids - ids)} missing")
    g.table("current and proposed salaries, increases in USD", rows, want, key="employee_id",
            columns={"current_salary": 0.5, "proposed_salary": (1.5, 1e-4), "increase_usd": (2.5, 1e-3)},
            normalize=normalize_text, weight=2)
    funded = [r for r in rows if _flag(r.get("funded"))]
    spent = sum(as_number(r.get("increase_usd")) or 0.0 for r in funded)
    want_funded = {normalize_text(r["employee_id"]) for r in want if r["funded"]}
    ok = {normalize_text(r.get("employee_id")) for r in funded} == want_funded and spent <= ref["budget_usd"] + 0.5
    g.check("funded raises in rank order within the budget", ok, weight=1.5,
            expected=f"{len(want_funded)} funded, USD {ref['total_increase_usd']:,.2f} of {ref['budget_usd']:,.0f}",
            found=f"{len(funded)} funded, USD {spent:,.2f}")
    block = model.get("remediation")
    total = as_number(_get(block, "total_increase_usd"))
    ok = (total is not None and abs(total - spent) <= 1.0 and abs(total - ref["total_increase_usd"]) <= 5.0
          and as_number(_get(block, "funded")) == len(funded) and as_number(_get(block, "eligible")) == len(rows)
          and as_number(_get(block, "budget_usd")) == ref["budget_usd"])
    g.check("remediation totals in model.json agree with the list", ok,
            expected={"total_increase_usd": ref["total_increase_usd"], "funded": ref["funded"],
                      "eligible": len(want), "budget_usd": ref["budget_usd"]}, found=block)


_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_NEGATION = re.compile(r"\b(not|no|none|neither|insignificant|non-?significant)\b|n't")
# a significance word under a negation a few words before it ("is not statistically significant", "fails to
# reach significance", "lacks statistical significance", "no significant gap", "insignificant"); a negation
# elsewhere in the sentence ("significant, not a chance result", "no doubt that it is significant") denies nothing
_DENIAL = re.compile(r"(?:\b(?:not|no|never|nor|without|cannot|unable|fails?|failed|failing|lacks?|lacking|short\s+of)\b"
                     r"|n't)"
                     r"(?:\W+\w+){0,3}?\W+$|(?:\bin|\bnon-?)$")
# the significance word, not the level it is tested at nor "significant" for large ("the raises close a significant part
# of the gap"); "statistically significant" is the test's word whatever follows it
_SIGNIFICANT = (r"significan(?!ce\s+(?:level|threshold|cut-?off))"
                r"(?:(?<=statistically\ssignifican)|(?!t\s+(?:part|portion|share|amount|number|proportion|fraction|chunk"
                r"|majority|minority|sum|step)\b))")
# the verdict in other words: "(in)distinguishable from (random) noise", "told apart from zero", "different from zero",
# "the CI excludes zero", "clear of zero", "reject the null (hypothesis of no gap)", "consistent with chance", "within
# sampling error", "the CI includes zero", "runs past zero", "due to chance"; the groups "null" and "null2" mark the words
# that deny significance by themselves, "passive" a rejection with its negation inside ("the null cannot be rejected")
_ZERO = r"(?:zero(?![\w-])|0(?![.,]?\d))"
# "it could well be zero", "it may be chance": the gap not established, as "consistent with chance" says
_MAYBE_NULL = r"\b(?:may|might|could)\s+(?:also\s+|well\s+)?be\s+(?:\w+\s+){0,2}(?:noise|chance|zero)"
# the p-value set against a threshold ("the p-value is above 0.05", "p < 0.001", "p exceeds alpha"): it concludes as
# the threshold stands to the protocol's level, and under a condition ("significant when p < 0.05") not at all
_P_OPERATOR = (r">=?|<=?|\u2265|\u2264|above|over|(?:greater|more|higher|larger|bigger)\s+than|exceed(?:s|ed|ing)?"
               r"|in\s+excess\s+of"
               r"|below|under|less\s+than|lower\s+than|smaller\s+than")
_P_LEVEL = r"(?:significance\s+)?(?:level|threshold|cut-?off)"
_P_THRESHOLD = rf"0?\.\d+|\d+(?:\.\d+)?\s*%|alpha\b|\u03b1|{_P_LEVEL}\b"
_P_COMPARED = (rf"\bp(?:[\s-]*values?)?\b(?P<p_words>(?:\W+(?!(?:above|over|below|under|exceeds?)\b)\w+){{0,3}}?)\s*"
               rf"(?P<p_op>{_P_OPERATOR})\s*(?:the\s+)?(?:{_P_LEVEL}\s+(?:of\s+)?)?(?:alpha\s*(?:=|of)?\s*)?"
               rf"(?P<p_at>{_P_THRESHOLD})")
_ABOVE = re.compile(r"[>\u2265]|above|over|greater|more|higher|larger|bigger|exceed|excess")
_CONDITION = re.compile(r"\b(?:if|when|whenever|unless|where)\b(?:\W+\w+){0,3}?\W*$")
_VERDICT = re.compile(rf"{_SIGNIFICANT}|(?P<null>in|un)?(?:distinguishable|separable|distinguished|separated"
                      rf"|told\s+apart|set\s+apart)\s+from\s+(?:{_ZERO}|no\s+gap|nothing"
                      r"|(?:random\s+|pure\s+|mere\s+|statistical\s+|sampling\s+)?(?:chance|noise|variation|error))\b"
                      rf"|\bdiff\w*\s+from\s+{_ZERO}|\bexclud\w*\s+{_ZERO}|\bclear\s+of\s+{_ZERO}"
                      rf"|\brul(?:e|es|ed|ing)\s+out\s+(?:that\s+)?(?:\w+\s+){{0,5}}?(?:{_ZERO}|chance|noise|no\s+gap)"
                      rf"|\b(?:entirely|wholly|completely|strictly)\s+(?:below|above|under|over)\s+{_ZERO}"
                      r"|\breject\w*\s+(?:the\s+)?(?:null\b|h0\b|(?:no|zero|equal)[\s-]+(?:gap|pay)\s+hypothes"
                      r"|hypothes[ie]s\s+(?:of|that)\s+(?:\w+\s+){0,4}?(?:no|zero|equal\w*|chance|nothing)\b)"
                      r"|(?P<passive>\b(?:null|h0|hypothes[ie]s\s+(?:of|that)\s+(?:\w+\s+){0,4}?(?:no|zero|equal\w*|chance"
                      r"|nothing))\b(?:\W+\w+){0,6}?\W+(?:be|is|was|are|been)\s+(?:\w+\s+)?rejected\b)"
                      r"|\bstatistically\s+(?:meaningful|detectable|reliable)\b"
                      rf"|(?P<null2>\b(?:consistent|compatible)\s+with\s+(?:{_ZERO}|chance|noise|no\s+(?:gap|difference))"
                      r"|\bwithin\s+(?:the\s+)?(?:range|margin|bounds?)\s+of\s+(?:\w+\s+)?(?:chance|error|noise)\b"
                      r"|\bwithin\s+(?:the\s+)?(?:\w+\s+)?(?:sampling|statistical|random|measurement)\s+(?:error|noise"
                      rf"|variation|variability|uncertainty)\b|\b(?:includ|contain|span|cover|cross|straddl)\w*\s+{_ZERO}"
                      r"|\b(?:runs?|running|extend(?:s|ing)?|reach(?:es|ing)?|goes|going|stretch(?:es|ing)?)\s+"
                      rf"(?:well\s+|far\s+)?(?:past|beyond|across|over|through)\s+{_ZERO}|\b(?:both|either)\s+sides?\s+of\s+{_ZERO}"
                      r"|\b(?:attributable|due)\s+to\s+(?:chance|noise|sampling)\b"
                      r"|\b(?:just|only|mere(?:ly)?|pure(?:ly)?)\s+(?:\w+\s+)?noise\b|\b(?:is|are|was)\s+noise\b"
                      r"|\b(?:chance|statistical)\s+(?:finding|fluke|artefact|artifact)|\bfluke\b"
                      rf"|{_MAYBE_NULL})"
                      rf"|(?P<p_value>{_P_COMPARED})")
# a modal or a qualifier on the conclusion itself, or a sentence that leaves the question open: it weighs the
# question instead of concluding
_HEDGE = re.compile(r"\b(?:may|might|could|would(?!\s+(?:also\s+)?(?:still|remain|stay|continue)\b)|possibly|perhaps"
                    r"|probably|likely|arguably|borderline|marginally)\b"
                    r"(?:\W+\w+){0,4}?\W+significan"
                    r"|\bwhether\b|\bdepend|\bunclear\b|\buncertain|\binconclusive|\bdebatable\b|\bonly\s+(?:if|under|when)\b")


# a counterfactual on the test's outcome ("Had the p-value been above 0.05, the gap would not be significant", "Were
# the gap not significant, no raises would be needed"): its opening clause, up to the comma; it says what would
# follow from another outcome, not what the test concluded
_COUNTERFACTUAL = re.compile(r"^\W*(?:had|were|if\b[^,]*?\b(?:were|had))\b[^,]*,")


_LEVEL = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*%\s*(?:significance\s+)?level|\bat\s+(?:the\s+)?(\d+(?:\.\d+)?)\s*%"
                    r"|(?:alpha|\u03b1)\s*(?:=|of)?\s*(0?\.\d+)|(?<![\d.])(0?\.\d+)\s+(?:significance\s+)?level\b")
_DOUBTED = re.compile(r"\b(?:unlikely|implausible|improbable|no\s+reason\s+to\s+(?:think|believe|suspect|expect))\b")
_EVEN = re.compile(r"\beven\s+(?:at|with|under|using|if|when|on|after)\b")
_CONTRAST = re.compile(r"\b(?:but|though|although|yet|while|whereas)\b")
# a counterfactual on another test than the protocol's: another level ("would no longer be significant at alpha =
# 0.001") or another estimator ("would be significant under HC1 errors") says nothing of the protocol's test
_OTHER_ESTIMATOR = re.compile(r"\b(?:hc[0-2]|classical|conventional|homoskedastic\w*|non-?robust|unclustered|iid)\b")


def _levels(text: str) -> set[float]:
    """The significance levels a piece of text names, as fractions ("5% level", "at 10%", "alpha = 0.05")."""
    return {round(float(pct) / 100, 6) if pct else round(float(frac or bare), 6)
            for a, b, frac, bare in _LEVEL.findall(text) for pct in [a or b]}


def _conclusion(sentence: str, alpha: float) -> str | None:
    """What a sentence on the overall gap concludes on its significance at the protocol's level: "yes", "no",
    "hedged", or None when it says neither or speaks of another level only. Two levels set against each other
    ("significant at 10 % but not at 5 %") conclude as the protocol's level does. A sentence that both affirms
    and denies it is hedged."""
    if (condition := _COUNTERFACTUAL.match(sentence)) and _VERDICT.search(condition.group()) and re.search(
            r"\bwould\b", sentence[condition.end():]):
        # it presupposes its condition false: "had p been above alpha" says p is below it; "had p been above 0.5" says
        # nothing at the protocol's level
        thresholds = {_threshold(m["p_at"], alpha) for m in _VERDICT.finditer(condition.group()) if m["p_value"]}
        held = _conclusion(condition.group().rstrip(","), alpha) if thresholds <= {round(alpha, 6)} else None
        return {"yes": "no", "no": "yes"}.get(held or "")
    # "would" beside "even" weighs another test the verdict survives ("not significant even at alpha = 0.10")
    if _HEDGE.search(re.sub(r"\bwould\b", "", sentence) if _EVEN.search(sentence) else sentence):
        other_test = _OTHER_ESTIMATOR.search(sentence) or (_levels(sentence) and round(alpha, 6) not in _levels(sentence))
        return None if other_test and not _HEDGE.search(re.sub(r"\bwould\b", "", sentence)) else "hedged"
    alpha = round(alpha, 6)
    contrast = _CONTRAST.search(sentence)
    if contrast is not None and _levels(head := sentence[:contrast.start()]) and _levels(tail := sentence[contrast.start():]):
        # the half that names the protocol's level concludes; an elliptic one ("but is at the 5% level", "but not at
        # 5%") takes the other half's verdict, affirmed or denied by its own negation
        if alpha in _levels(tail):
            return _conclusion(tail, alpha) if _VERDICT.search(tail) else "no" if _NEGATION.search(tail) else "yes"
        return _conclusion(head, alpha) if alpha in _levels(head) else None
    # "statistically" is no word between a negation and the significance word ("does not amount to a statistically
    # significant share")
    words = [_denies(sentence, m, alpha) for m in _VERDICT.finditer(sentence)]
    words = [w for w in words if w is not None]
    denied, affirmed = any(words), not all(words)
    if (levels := _levels(sentence)) and alpha not in levels:
        # significant at a stricter level is significant at the protocol's, not significant at a looser one is not
        if affirmed and not denied and max(levels) < alpha:
            return "yes"
        return "no" if denied and not affirmed and min(levels) > alpha else None
    if denied and affirmed:
        return "hedged"
    return "no" if denied else "yes" if affirmed else None


def _threshold(at: str, alpha: float) -> float:
    """The threshold a p-value is set against, as a fraction; alpha or "the level" is the protocol's level."""
    return round(float(at.rstrip("% ")) / (100 if at.endswith("%") else 1), 6) if re.match(r"[\d.]", at) else alpha


def _denies(sentence: str, match: re.Match, alpha: float) -> bool | None:
    """Whether a verdict word denies significance; None for a p-value set against another threshold or under a
    condition, which concludes nothing at the protocol's level."""
    before = sentence[max(0, match.start() - 60):match.start()]
    if match["passive"]:  # "the null hypothesis cannot be rejected": the negation is inside the match
        return re.search(r"\b(?:not|cannot|never)\b|n't", match["passive"]) is not None
    null = bool(match["null"] or match["null2"])
    if null:  # the negation of a verdict before "and" is not this word's ("not significant and could well be zero")
        before = re.split(r"\band\b", before)[-1]
        if _DOUBTED.search(before):  # "it is unlikely that the gap is due to chance"
            return False
    if not match["p_value"]:
        return bool(_DENIAL.search(re.sub(r"\bstatistically\s+$", "", before))) != null
    if _CONDITION.search(before):
        return None
    threshold = _threshold(match["p_at"], alpha)
    above = bool(_ABOVE.match(match["p_op"])) != bool(re.search(r"\bnot\b|n't", match["p_words"]))
    return (True if threshold >= alpha else None) if above else (False if threshold <= alpha else None)


# the overall adjusted gap in other words too ("the remaining gap", "the women coefficient"); and the raw gap
_SUBJECT = re.compile(r"\b(?:adjusted|overall|gaps?|coefficients?|unexplained|disparit(?:y|ies)|p(?:[\s-]*values?)?"
                      r"|ci|confidence\s+interval|interval|null|evidence)\b")
_RAW_GAP = re.compile(r"\b(?:raw|unadjusted|headline|uncontrolled)\b|\bbefore\s+(?:any\s+)?controls?\b")
# some of the job families or levels ("in the smaller job families", "at senior levels"), not all of them
_SUBGROUP = re.compile(r"\b(?:in|within|among|for|at|across)\s+(?:the\s+)?(?:some|certain|several|many|most|a\s+few|few"
                       r"|smaller|larger|small|large|senior|junior|lower|upper|higher|top|entry|individual|other)\s+"
                       r"(?:\w+\s+)?(?:famil(?:y|ies)|levels|grades|groups|subgroups|segments|departments|functions"
                       r"|locations|countries|teams|sites|units)\b")
_WHOLE_WORDS = (r"(?:overall|as\s+a\s+whole|(?:company|organi[sz]ation|firm)[\s-]*wide|in\s+(?:aggregate|total)"
                r"|across\s+the\s+(?:whole\s+|entire\s+)?(?:company|organi[sz]ation|firm|workforce))")
_WHOLE = re.compile(rf"\b{_WHOLE_WORDS}\b")
_COMPANY = r"(?:the\s+)?(?:(?:whole|entire|wider)\s+)?(?:company|organi[sz]ation|firm|workforce)(?![\w'\u2019-])"
# the whole company joined to a part of it in one subject or adverbial ("overall and in Administration", "in Finance
# as well as company-wide", "both in Sales and for the firm as a whole", "Administration and the company as a whole
# show"): the clause speaks of the overall gap too
_JOINED = re.compile(rf"\b{_WHOLE_WORDS}\s+(?:and|as\s+well\s+as)\s+(?:also\s+)?(?:in|within|for|among|across|at|by)\b"
                     r"|\b(?:and|as\s+well\s+as)\s+(?:also\s+)?(?:(?:in|for|across)\s+)?(?:the\s+(?:whole\s+|entire\s+)?"
                     rf"(?:company|organi[sz]ation|firm|workforce)\s+)?{_WHOLE_WORDS}\W*$"
                     rf"|\b\w+_family\s+(?:and|as\s+well\s+as|along\s+with|together\s+with)\s+(?:also\s+)?"
                     rf"(?:(?:in|for|within|across|at|among)\s+)?(?:\b{_COMPANY}|{_WHOLE_WORDS})"
                     rf"|(?:\b{_COMPANY}|\b{_WHOLE_WORDS})\s+(?:and|as\s+well\s+as)\s+(?:also\s+)?"
                     r"(?:(?:in|for|within|across|at|among)\s+)?\w+_family\b")
# "and overall" opening a clause of its own ("significant in Administration and overall it is not")
_CLAUSES = re.compile(rf"[,:()\u2014]|(?=\b(?:but|while|whereas|although|though|unlike)\b)"
                      rf"|(?=\band\s+(?:also\s+)?{_WHOLE_WORDS}\s+(?:it|its|this|that|the|there|we)\b)")


def _on_overall_gap(sentence: str, families: list[str]) -> str | None:
    """The clauses of a sentence that speak of the overall adjusted gap, joined, or None. A clause
    that names a cohort or a job family ("3 cohorts show a significant adjusted gap", "Finance L3 shows a significant
    adjusted gap"), some of the families or levels and not the overall gap ("in the smaller job families the gap is
    not significant") or the raw gap alone ("the raw gap is significant, but ...") speaks of something else, and so
    does the rest of a sentence such a clause opens as an adverbial ("In People, the adjusted gap is ...") unless the
    sentence names the whole company."""
    def elsewhere(clause: str) -> bool:
        return (("cohort" in clause or any(re.search(rf"\b{re.escape(f)}\b", clause) for f in families)) and (
            _JOINED.search(clause) is None)) or (
            _SUBGROUP.search(clause) is not None and _WHOLE.search(clause) is None) or (
            _RAW_GAP.search(clause) is not None and re.search(r"\b(?:adjusted|overall)\b", clause) is None)
    clauses = _CLAUSES.split(sentence)
    if _OPENING_SCOPE.match(clauses[0]) and _WHOLE.search(sentence) is None:
        return None  # an opening adverbial on a family or a subgroup ("Outside engineering, ...") scopes the sentence
    rest = ",".join(c for c in clauses if not elsewhere(c))
    return rest if _SUBJECT.search(rest) else None


# a pronoun for the gap the sentence before spoke of, as the subject of its verb: opening the sentence ("It is within
# sampling error.") or what the sentence's first few words report ("Management notes that it is ..."), not a discourse
# marker ("That said, most residuals are not significant.")
_VERB = (r"(?:is|was|remains?|stays?|lies|falls?|sits?|can(?:not)?|could|does|did|has|had|would|will|may|might|must"
         r"|appears?|seems?|looks?|reflects?|isn['\u2019]t|wasn['\u2019]t|doesn['\u2019]t|can['\u2019]t|couldn['\u2019]t)\b")
_PRONOUN = re.compile(r"^[\s*>-]*(?:(?:and|so|but|yet|thus|still|however|indeed)\W+|\w+\s+(?:\w+\s+){0,2}?that\s+)?"
                      r"(?P<pronoun>it|this|that|this\s+gap)"
                      rf"(?=['\u2019]s\b|\s+{_VERB})")


# a family's name as the common word it also is ("for the people it affects", "most people", "for people at large"): after
# a determiner, in lower case outside a place phrase ("in finance") or opening a sentence whose clause names the gap
# itself or a pronoun for it ("People should note that the adjusted gap ...", "People should note the adjusted gap, which
# is ...", "Management notes that it is ..."), and not naming a team, a level or its gap ("the People team",
# "the Finance L3 cohort", "the Legal gap")
_DETERMINER = re.compile(r"\b(?:the|these|those|this|that|many|most|some|all|any|our|their|its|other|more|fewer|few"
                         r"|several|such)\s+$", re.IGNORECASE)
_PLACE = re.compile(r"\b(?:in|within|across|inside|outside|both)\s+$", re.IGNORECASE)
_SENTENCE_OPENING = re.compile(r"(?:\A|[:;!?\n]|(?<!\d)\.|\.(?!\d))[\s*>#_\"'\u201c-]*\Z")
# the gap as the subject of a verb of its own, directly or through a relative pronoun ("... that the adjusted gap is",
# "... the adjusted gap, which is"), not an object alone ("has the adjusted gap")
_GAP_NAMED = re.compile(rf"\b(?:the|its|our)\s+{_SUBJECT.pattern}(?:\s+\w+){{0,2}}?(?:,?\s+(?:which|that))?\s+{_VERB}")
_FAMILY_NOUN = re.compile(r"\s*(?:famil(?:y|ies)|functions?|departments?|teams?|staff|employees|cohorts?|groups?|units?"
                          r"|roles?|gaps?|levels?|l\d|women|men)\b", re.IGNORECASE)


# an opening adverbial that is only a place in the company, a family or a subgroup ("Outside engineering,", "For the
# People team,", "At senior levels,"), not a family's name as a common word in a phrase ("In legal terms,")
_OPENING_SCOPE = re.compile(rf"\W*(?:(?:in|within|outside|inside|across|for|among|at)\s+(?:the\s+)?\w+_family"
                            rf"(?:{_FAMILY_NOUN.pattern})?|{_SUBGROUP.pattern})\W*$")


def _names_family(mention: re.Match) -> bool:
    """Whether a job family's name in the memo names the family; an acronym ("IT") only in capitals, matched so,
    since "it" is the pronoun."""
    text, start, end = mention.string, mention.start(), mention.end()
    if mention.group().isupper() or _FAMILY_NOUN.match(text, end):
        return True
    if _DETERMINER.search(text[:start]):
        return False
    if mention.group()[0].isupper() and _SENTENCE_OPENING.search(text, 0, start):
        # the capital is the sentence's: an opening word whose clause names the gap itself, or a pronoun for it,
        # addresses someone ("People should note that the adjusted gap is ...") instead of scoping the claim to the family
        sentence = _SENTENCE.split(text[start:].casefold(), maxsplit=1)[0]
        gap = _GAP_NAMED.search(sentence)
        in_clause = gap is not None and gap.start() < len(_CLAUSES.split(sentence, maxsplit=1)[0])
        return not in_clause and _PRONOUN.match(sentence) is None
    return not mention.group()[0].islower() or _PLACE.search(text[:start]) is not None


def _overall_sentences(memo: str, families: list[str]) -> list[str]:
    """The memo's sentences that conclude on the overall adjusted gap's significance (the clauses on it, joined), a
    pronoun for the overall gap in the sentence before read as the gap."""
    found, before_on_gap, names = [], False, []
    for name in families:
        marker = re.sub(r"\W+", "_", name) + "_family"
        memo = re.sub(rf"\b{re.escape(name)}\b", lambda m, marker=marker: marker if _names_family(m) else m.group(),
                      memo, flags=0 if name.isupper() else re.IGNORECASE)
        names.append(marker.casefold())
    for sentence in _SENTENCE.split(memo.casefold()):
        if not sentence.strip():
            continue
        if before_on_gap and (pronoun := _PRONOUN.match(sentence)):
            sentence = sentence[:pronoun.start("pronoun")] + "the adjusted gap" + sentence[pronoun.end():]
        rest = _on_overall_gap(sentence, names)
        before_on_gap = rest is not None
        if rest is not None and _VERDICT.search(rest):
            found.append(rest)
    return found


_RAW, _ADJUSTED = re.compile(r"\braw\b"), re.compile(r"\badjusted\b")
_SENTENCE = re.compile(r"(?<!\d)\.|\.(?!\d)|[;\n]")  # a full stop, but not a decimal point


def _numbers(text: str) -> list[float]:
    return [float(m.replace(",", "")) for m in _NUMBER.findall(text.replace("\u2212", "-"))]


def _has(text: str, value: float, tol: float) -> bool:
    return any(abs(x - abs(value)) <= tol for x in _numbers(text))


_CI_WORDS = re.compile(r"\bci\b|confiden|interval|95\s*%|\bbound")
_P_WORDS = re.compile(r"\bp\b|p-?value|probabilit")
_MONEY_WORDS = re.compile(r"usd|\$|cost|total|fund|raise|increase|remediat|spend|budget|adjustment")
_COUNT_WORDS = re.compile(r"raise|employee|women|fund|increase|people|adjustment|staff|individual")


def _statements(memo: str) -> list[str]:
    """Where a figure can be tied to what it states: each line (a table row, a list item) and each sentence of
    a paragraph whose lines are wrapped."""
    text = memo.casefold().replace("\u2212", "-")
    sentences = [s for para in re.split(r"\n\s*\n", text)
                 for s in re.split(r"\.(?=\s|$)|[;!?](?=\s|$)", " ".join(para.split()))]
    return text.splitlines() + sentences


def _stated(units: list[str], words: re.Pattern, value: float, tol: float) -> bool:
    """Some line or sentence that names the figure (by one of the words) states it."""
    return any(words.search(u) and _has(u, value, tol) for u in units)


def _gap_stated(lines: list[str], own: re.Pattern, value: float, other: re.Pattern, other_value: float) -> bool:
    """Some line names the gap (raw or adjusted) and states its figure; a line that names both gaps and states
    both figures gives them in the order it names the gaps."""
    for ln in lines:
        mine = own.search(ln)
        if not mine or not _has(ln, value, 0.051):
            continue
        theirs = other.search(ln)
        figures = [abs(x - abs(value)) <= 0.051 for x in _numbers(ln)
                   if abs(x - abs(value)) <= 0.051 or abs(x - abs(other_value)) <= 0.051]
        if theirs is None or all(figures):
            return True
        i = int(theirs.start() < mine.start())
        if i < len(figures) and figures[i]:
            return True
    return False


_FLAG_WORDS = re.compile(rf"{_SIGNIFICANT}|(?<!un)flag")
# what a line says of the cohorts it names in other words: cleared, no gap, within tolerance, passes the test,
# explained by the pay factors
_CLEAR_WORDS = re.compile(r"\bclear(?:ed|s|\s+of)\b|\bunflagged\b|\bno\s+(?:\w+\s+){0,2}(?:gap|difference|disparity|concern)s?\b"
                          r"|\bwithin\s+(?:the\s+)?(?:tolerance|threshold)\b|\bno\s+(?:further\s+)?action\b"
                          r"|\bpass(?:es|ed)?\s+(?:\w+\s+){0,2}(?:test|review|check|audit)s?\b|\bexplained\s+by\b"
                          r"|\b(?:legitimate|pay)\s+factors\s+(?:fully\s+)?explain")
_SHORT_OF = re.compile(r"\b(?:close\s+to|near(?:ly)?|approach\w*|borderline|marginal\w*)\W+(?:\w+\W+){0,2}$")
_NO_COHORT = re.compile(r"\b(?:no|none\s+of\s+the)\s+(?!other\b|further\b|remaining\b|additional\b|more\b)(?:\w+\s+)?cohorts?\b")


def _names_cohort(unit: str, cohort: dict) -> bool:
    return re.search(rf"{re.escape(cohort['job_family'].casefold())}\W+(?:\w+\W+){{0,1}}"
                     rf"{re.escape(cohort['job_level'].casefold())}\b", unit) is not None


def _stance(text: str) -> str | None:
    """Whether a line or sentence calls what it names flagged or significant ("flagged"), says it is not
    ("cleared"), or neither (None)."""
    said = ["cleared" if _DENIAL.search(before := text[max(0, m.start() - 60):m.start()]) or _SHORT_OF.search(before)
            else "flagged" for m in _FLAG_WORDS.finditer(text)]
    said += ["flagged" if _DENIAL.search(re.split(r"[,;:]", text[max(0, m.start() - 60):m.start()])[-1]) else "cleared"
             for m in _CLEAR_WORDS.finditer(text)]
    return said[0] if said and len(set(said)) == 1 else None


def _cohorts_misstated(memo: str, units: list[str], cohorts: list[dict]) -> list[str]:
    """Lines and sentences that say a flagged cohort is not flagged or a cohort that is not flagged is, and (when
    some cohort is flagged) those that say no cohort is. A line that names no such word takes the word of the
    heading it is listed under (a line ending in a colon, up to the next blank line, or a Markdown heading)."""
    text = memo.casefold().replace("\u2212", "-")
    heading, colon = None, None
    stated: list[tuple[str, str | None]] = []
    for line in text.splitlines():
        if not line.strip():
            colon = None
        elif line.lstrip().startswith("#"):
            heading, colon = _stance(line), None
        elif line.rstrip().endswith(":") and not any(_names_cohort(line, c) for c in cohorts):
            colon = _stance(line)
        stated.append((line, _stance(line) or colon or heading))
    stated += [(u, _stance(u)) for u in units if u not in text.splitlines()]
    flagged = [c for c in cohorts if c["flagged"]]
    wrong = [u for u in units if flagged and _NO_COHORT.search(u)]
    for u, stance in stated:
        named = {c["flagged"] for c in cohorts if _names_cohort(u, c)}
        if (named, stance) in (({True}, "cleared"), ({False}, "flagged")):
            wrong.append(u)
    return wrong


def _grade_memo(g: Grading, memo: str, ref: dict) -> None:
    want = ref["model"]
    lines = [line.casefold() for line in memo.splitlines()]
    raw, adjusted = round(want["raw_gap_pct"], 1), round(want["adjusted_gap_pct"], 1)
    raw_ok = _gap_stated(lines, _RAW, raw, _ADJUSTED, adjusted)
    adj_ok = _gap_stated(lines, _ADJUSTED, adjusted, _RAW, raw)
    g.check("memo states the raw and the adjusted gap", raw_ok and adj_ok,
            expected=f"raw {want['raw_gap_pct']:.1f}%, adjusted {want['adjusted_gap_pct']:.1f}% (1 decimal)",
            found={"raw gap stated": raw_ok, "adjusted gap stated": adj_ok})
    p = want["p_value"]
    units = _statements(memo)
    p_ok = any(_P_WORDS.search(u) and re.search(r"<\s*0?\.001", u) for u in units) if p < 0.001 else \
        _stated(units, _P_WORDS, p, max(0.0015, 0.05 * p))
    ci_ok = _stated(units, _CI_WORDS, round(want["ci_low_pct"], 1), 0.051) and \
        _stated(units, _CI_WORDS, round(want["ci_high_pct"], 1), 0.051)
    g.check("memo states the CI and p-value of the adjusted gap", p_ok and ci_ok, weight=0.5,
            expected={"ci": [round(want["ci_low_pct"], 1), round(want["ci_high_pct"], 1)], "p": p},
            found={"ci": ci_ok, "p": p_ok})
    # some sentence on the overall adjusted gap's significance concludes as the reference does, and none
    # (cohort sentences aside) concludes the other way or leaves it open: a memo that says both "is significant"
    # and "fails to reach significance", or "whether it is significant is for counsel", concludes nothing
    overall = _overall_sentences(memo, sorted({c["job_family"] for c in ref["cohorts"]}))
    want_word = "yes" if ref["significant"] else "no"
    agree = [s for s in overall if _conclusion(s, ref["alpha"]) == want_word]
    contrary = [s for s in overall if _conclusion(s, ref["alpha"]) not in (want_word, None)]
    concluded = bool(agree) and not contrary
    g.check("memo concludes on the significance of the adjusted gap", concluded, weight=0.5,
            expected="significant" if ref["significant"] else "not significant",
            found=[s.strip()[:120] for s in overall[:4]],
            reason="" if concluded else "a sentence concludes the other way or hedges: " + contrary[0].strip()[:120]
            if contrary else "no sentence concludes as the reference does")
    flagged = [c for c in ref["cohorts"] if c["flagged"]]
    if flagged:
        # a flagged cohort counts where a line or sentence names it and no cohort that is not flagged: a list of every
        # cohort reviewed names the flagged ones without saying which they are
        clear = [u for u in units if not any(_names_cohort(u, c) for c in ref["cohorts"] if not c["flagged"])]
        named = all(any(c["job_family"].casefold() in u and re.search(rf"\b{c['job_level'].casefold()}\b", u)
                        for u in clear) for c in flagged)
    else:
        named = any("cohort" in ln and _NEGATION.search(ln) for ln in lines)
    misread = _cohorts_misstated(memo, units, ref["cohorts"])
    g.check("memo names the flagged cohorts", named and not misread, weight=0.5,
            expected=[f"{c['job_family']} {c['job_level']}" for c in flagged] or "no cohort flagged",
            found={"flagged cohorts named": named, "stated the other way": misread[:3]},
            reason=f"the memo says otherwise of a cohort: {misread[0][:120]!r}" if misread else "")
    money = _stated(units, _MONEY_WORDS, ref["total_increase_usd"], 1.0) and \
        _stated(units, _COUNT_WORDS, ref["funded"], 0.0)
    g.check("memo states the funded remediation total and headcount", money, weight=0.5,
            expected=f"USD {ref['total_increase_usd']:,.2f}, {ref['funded']} employees")


def grade(g: Grading) -> None:
    ref = g.reference_json("reference.json")
    if not g.require_files("model.json", "cohorts.csv", "remediation.csv", "audit_memo.md"):
        return
    model = g.read_json("model.json")
    cohorts = g.read_csv("cohorts.csv", required_columns=COHORT_COLUMNS)
    remediation = g.read_csv("remediation.csv", required_columns=REMEDIATION_COLUMNS)
    memo = g.read_text("audit_memo.md")
    if not g.check("model.json is an object", isinstance(model, dict), gate=True, weight=0):
        return
    if cohorts is None or remediation is None or memo is None:
        return
    _grade_model(g, model, ref)
    _grade_cohorts(g, cohorts, ref)
    _grade_remediation(g, remediation, model, ref)
    _grade_memo(g, memo, ref)
