#!/usr/bin/env python3
"""Oracle for engineering/gauge_capability_study: clean the gauge export, ANOVA gauge R&R with statsmodels,
X-bar/R chart by the SOP's rules, capability on the in-control subgroups, and the report.

Run as solve.py it follows the standard. Run through a link in adversaries/ it takes the one shortcut its name says:
- additive_model: the two-way ANOVA without the part x appraiser term, never tested nor pooled;
- average_range_method: the AIAG average-and-range method instead of the ANOVA;
- unit_quirk_ignored: the inch readings of one appraiser taken as millimetres;
- rule1_only: only the beyond-the-limits rules (N1, R1) applied, the run rules skipped;
- capability_all_subgroups: capability computed on all 25 subgroups, the flagged ones included;
- overall_sigma_cpk: Cp/Cpk computed from the overall standard deviation instead of R-bar/d2;
- report_figures_only: everything computed, but the report only lists the key figures, the names the data
  problems involve and the decision lines (no ANOVA, interaction test nor control chart findings);
- anova_table_invented: everything computed, but the report's ANOVA table shows sums of squares and F ratios
  that are not the data's.
- report_no_signals: everything computed, but the report's control chart findings are one screening line over
  subgroups 1-25 and every rule, saying that no subgroup signalled;
- report_two_decisions: everything computed, but each decision line of the report is followed by another one
  with a different decision.
- report_prose_contradiction: everything computed, but each decision line of the report is followed by a sentence
  taking another stance in practice ("the gauge is accepted for production use as it stands"), and the control
  chart signals are called false alarms with no assignable cause.
- report_prose_requirement: everything computed, but each decision line of the report is followed by a bare pass or
  fail and a requirement of another verdict ("The gauge fails; it must be rejected.", "The process passes; it has to
  be released with no restrictions.").
- report_prose_slips: everything computed, but the gauge decision line is followed by other verdicts in wordings
  the first readers missed: predicted or imagined ("would be rejected by any auditor", "is expected to be
  rejected"), words such as scrapped or deficient, the gauge named by its ID ("RF-07 is rejected"), and a plain
  verdict after an inverted counterfactual ("Had we checked, the gauge is rejected.").
- report_prose_forecasts: everything computed, but the gauge decision line is followed by other verdicts given as a
  forecast or by a judge ("Any auditor would reject the gauge.", "The gauge is bound to fail.", "Realistically
  speaking, the gauge is expected to be rejected."), or naming the gauge by its ID without the hyphen ("RF07").
- report_prose_idioms: everything computed, but the gauge decision line is followed by other verdicts in idioms
  ("The gauge is useless.", "The gauge is good to go.", "Nothing prevents using the gauge.") or through a pronoun
  ("The gauge was studied by three appraisers. It is scrapped.").
- report_prose_would: everything computed, but the gauge decision line is followed by other verdicts imagined with
  nothing supposed ("The gauge would be accepted.", "We would accept the gauge as it stands.", "The gauge would
  pass.").
- report_prose_doubts: everything computed, but the gauge decision line is followed by its own verdict doubted ("It
  is unlikely that the gauge will be rejected.", "The gauge is unlikely to fail.", "It is doubtful that the gauge is
  conditional.").
- report_prose_other_judge: everything computed, but the gauge decision line is followed by other verdicts given by
  another judge, hedged or required ("The customer would reject the gauge.", "The gauge would most probably be
  rejected.", "The gauge should fail.").
- report_prose_judged_pass: everything computed, but the gauge decision line is followed by other verdicts a judge
  gives with another verb ("The customer would pass the gauge.", "The auditor would sign off the gauge.", "Our
  customer would call the gauge acceptable.").
- report_prose_hedged: everything computed, but the gauge decision line is followed by other verdicts hedged or
  given to a gauge noun ("Most likely, the gauge would be accepted.", "The gauge should be fine.", "The gauge unit
  was accepted.").
- report_prose_named_judge: everything computed, but the gauge decision line is followed by other verdicts given by a
  judge named or indefinite, in a phrasal verb, as a pass got, or framed as likely ("GM would accept the gauge.", "A
  customer would accept the gauge.", "The customer would sign the gauge off.", "The gauge gets a pass.", "It is likely
  that the gauge would be accepted.").
- report_prose_expected_outcome: everything computed, but the gauge decision line is followed by another outcome of
  the study expected ("The gauge should fail the study.", "The gauge ought to pass its qualification.").

ALE-CANARY-8e818c42-c0ac-42d0-84b5-dc7ae9a63213
"""

import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
SHORTCUT = Path(__file__).name.removesuffix(".py")
A2, D4, D2 = 0.577, 2.114, 2.326
COMPONENTS = ("repeatability", "reproducibility", "appraiser", "part_x_appraiser", "gauge_rr", "part_to_part",
              "total")
SUMMARY = ("repeatability", "reproducibility", "gauge_rr", "part_to_part")


def transposed(part: str) -> str:
    prefix, digits = part[:-2], part[-2:]
    return prefix + digits[::-1]


def clean_study() -> tuple[pd.DataFrame, list[str]]:
    """The readings in mm, one per part, appraiser and trial, and notes on what was fixed."""
    raw = pd.read_csv(IN / "grr_study.csv", comment="#", dtype={"Part": str, "Reading": str})
    notes = []
    failed = raw[raw["Status"] != "OK"]
    retests = raw[raw["Status"] == "RETEST"]
    for _, row in retests.iterrows():
        notes.append(f"Run {row['Run']}: re-test of part {row['Part']}, {row['Appraiser']}, trial {row['Trial']} "
                     "replaces the failed reading (status NO READ).")
    data = raw[raw["Status"].isin(["OK", "RETEST"])].copy()
    if len(failed) > len(retests):
        notes.append(f"{len(failed) - len(retests)} failed readings without a re-test were dropped.")
    counts = data["Part"].value_counts()
    expected = counts.max()
    for part in counts[counts < expected].index:
        fixed = transposed(part)
        if fixed in counts.index and counts[part] < counts[fixed] and counts[fixed] + counts[part] == expected:
            data.loc[data["Part"] == part, "Part"] = fixed
            notes.append(f"Part id {part} does not exist in the study (one reading); it is {fixed} with its last two "
                         "digits transposed, the reading missing from that part's series.")
    data["y"] = data["Reading"].astype(float)
    inch = data["Unit"].str.strip().str.lower().isin(["in", "inch"])
    if inch.any() and SHORTCUT != "unit_quirk_ignored":
        data.loc[inch, "y"] = data.loc[inch, "y"] * 25.4
        who = ", ".join(sorted(data.loc[inch, "Appraiser"].unique()))
        notes.append(f"Readings of {who} were exported in inches; converted to mm (x 25.4).")
    data = data.rename(columns={"Part": "part", "Appraiser": "appraiser", "Trial": "trial"})
    return data[["part", "appraiser", "trial", "y"]], notes


def anova_components(data: pd.DataFrame) -> dict:
    """AIAG ANOVA method: the interaction tested and pooled when p > 0.25 (statsmodels OLS + anova_lm)."""
    p, a = data["part"].nunique(), data["appraiser"].nunique()
    r = len(data) // (p * a)
    full = anova_lm(smf.ols("y ~ C(part) * C(appraiser)", data=data).fit())
    ms = full["sum_sq"] / full["df"]
    ms_p, ms_a = ms["C(part)"], ms["C(appraiser)"]
    ms_pa, ms_e = ms["C(part):C(appraiser)"], ms["Residual"]
    f_pa, p_pa = full.loc["C(part):C(appraiser)", "F"], full.loc["C(part):C(appraiser)", "PR(>F)"]
    pooled = bool(p_pa > 0.25)
    table = full
    if SHORTCUT == "additive_model" or pooled:
        table = anova_lm(smf.ols("y ~ C(part) + C(appraiser)", data=data).fit())
        ms_err = table.loc["Residual", "sum_sq"] / table.loc["Residual", "df"]
        var = {"repeatability": ms_err, "appraiser": max(0.0, (ms_a - ms_err) / (p * r)), "part_x_appraiser": 0.0,
               "part_to_part": max(0.0, (ms_p - ms_err) / (a * r))}
    else:
        var = {"repeatability": ms_e, "appraiser": max(0.0, (ms_a - ms_pa) / (p * r)),
               "part_x_appraiser": max(0.0, (ms_pa - ms_e) / r), "part_to_part": max(0.0, (ms_p - ms_pa) / (a * r))}
    if SHORTCUT == "additive_model":
        f_pa, p_pa, pooled = None, None, True
    return {"var": var, "f": f_pa, "p": p_pa, "pooled": pooled, "table": table}


def average_range(data: pd.DataFrame) -> dict:
    """The AIAG average-and-range method, as variances (the shortcut)."""
    cube = data.pivot_table(index=["part", "appraiser"], columns="trial", values="y")
    p, r = data["part"].nunique(), cube.shape[1]
    ev = (cube.max(axis=1) - cube.min(axis=1)).mean() * {2: 0.8862, 3: 0.5908}[r]
    app = data.groupby("appraiser")["y"].mean()
    av2 = max(0.0, ((app.max() - app.min()) * 0.5231) ** 2 - ev**2 / (p * r))
    parts = data.groupby("part")["y"].mean()
    pv = (parts.max() - parts.min()) * 0.3146
    var = {"repeatability": ev**2, "appraiser": av2, "part_x_appraiser": 0.0, "part_to_part": pv**2}
    return {"var": var, "f": None, "p": None, "pooled": False, "table": None}


def gauge_rr(data: pd.DataFrame, spec: dict) -> dict:
    fit = average_range(data) if SHORTCUT == "average_range_method" else anova_components(data)
    var = fit["var"]
    var["reproducibility"] = var["appraiser"] + var["part_x_appraiser"]
    var["gauge_rr"] = var["repeatability"] + var["reproducibility"]
    var["total"] = var["gauge_rr"] + var["part_to_part"]
    sd = {k: math.sqrt(v) for k, v in var.items()}
    width = spec["usl"] - spec["lsl"] if spec["lsl"] is not None else 2 * (spec["usl"] - data["y"].mean())
    ndc = math.floor(1.41 * sd["part_to_part"] / sd["gauge_rr"])
    result = {
        "unit": "mm", "interaction_f": fit["f"], "interaction_p_value": fit["p"], "interaction_pooled": fit["pooled"],
        "variance_components": {k: var[k] for k in COMPONENTS},
        "percent_contribution": {k: 100 * var[k] / var["total"] for k in SUMMARY},
        "percent_study_variation": {k: 100 * sd[k] / sd["total"] for k in SUMMARY},
        "percent_tolerance": {k: 100 * 6 * sd[k] / width for k in SUMMARY},
        "ndc": ndc,
    }
    grr = max(result["percent_study_variation"]["gauge_rr"], result["percent_tolerance"]["gauge_rr"])
    result["decision"] = "reject" if grr > 30 else "accept" if grr < 10 and ndc >= 5 else "conditional"
    return result | {"_table": fit["table"], "_percent_grr": grr}


def spc_chart() -> tuple[pd.DataFrame, np.ndarray]:
    prod = pd.read_csv(IN / "production_subgroups.csv")
    values = prod[[f"x{i}" for i in range(1, 6)]].to_numpy(float)
    chart = pd.DataFrame({"subgroup": prod["subgroup"], "mean": values.mean(axis=1), "range": np.ptp(values, axis=1)})
    r_bar, x_bar = chart["range"].mean(), chart["mean"].mean()
    chart["xbar_cl"], chart["xbar_ucl"], chart["xbar_lcl"] = x_bar, x_bar + A2 * r_bar, x_bar - A2 * r_bar
    chart["r_cl"], chart["r_ucl"], chart["r_lcl"] = r_bar, D4 * r_bar, 0.0
    z = ((chart["mean"] - x_bar) / (A2 * r_bar / 3)).to_numpy()
    flags = []
    run, side = 0, 0
    for i, zi in enumerate(z):
        rules = []
        if abs(zi) > 3:
            rules.append("N1")
        s = int(np.sign(zi))
        run = run + 1 if s == side and s != 0 else int(s != 0)
        side = s
        if SHORTCUT != "rule1_only":
            if run >= 9:
                rules.append("N2")
            if abs(zi) > 2 and any(np.sign(z[j]) == s and abs(z[j]) > 2 for j in range(max(0, i - 2), i)):
                rules.append("N5")
        if chart["range"].iloc[i] > chart["r_ucl"].iloc[i]:
            rules.append("R1")
        flags.append(";".join(rules))
    chart["flags"] = flags
    return chart, values


def capability(chart: pd.DataFrame, values: np.ndarray, spec: dict) -> dict:
    flagged = chart["flags"] != ""
    excluded = chart.loc[flagged, "subgroup"].astype(int).tolist()
    kept = values if SHORTCUT == "capability_all_subgroups" else values[~flagged.to_numpy()]
    mean = float(kept.mean())
    sigma_o = float(kept.ravel().std(ddof=1))
    sigma_w = sigma_o if SHORTCUT == "overall_sigma_cpk" else float(np.ptp(kept, axis=1).mean() / D2)

    def indices(sigma: float) -> tuple:
        upper = (spec["usl"] - mean) / (3 * sigma)
        if spec["lsl"] is None:
            return None, upper
        return (spec["usl"] - spec["lsl"]) / (6 * sigma), min(upper, (mean - spec["lsl"]) / (3 * sigma))

    cp, cpk = indices(sigma_w)
    pp, ppk = indices(sigma_o)
    decision = "accept" if ppk >= 1.67 else "conditional" if ppk >= 1.33 else "reject"
    return {"subgroups_excluded": excluded, "mean": mean, "sigma_within": sigma_w, "sigma_overall": sigma_o,
            "cp": cp, "cpk": cpk, "pp": pp, "ppk": ppk, "decision": decision}


def anova_markdown(table: pd.DataFrame | None) -> str:
    if table is None:
        return "(average-and-range method: no ANOVA table)"
    if SHORTCUT == "anova_table_invented":
        table = table.assign(sum_sq=table["sum_sq"] * 1.3, F=table["F"] * 0.8)
    lines = ["| Source | DF | SS (mm²) | MS (mm²) | F | p |", "|---|---:|---:|---:|---:|---:|"]
    for source, row in table.iterrows():
        f = "" if pd.isna(row["F"]) else f"{row['F']:.3f}"
        p = "" if pd.isna(row["PR(>F)"]) else f"{row['PR(>F)']:.4f}"
        lines.append(f"| {source} | {row['df']:.0f} | {row['sum_sq']:.4e} | {row['sum_sq'] / row['df']:.4e} | {f} | {p} |")
    return "\n".join(lines)


def report(spec: dict, notes: list[str], grr: dict, chart: pd.DataFrame, cap: dict) -> str:
    flagged = chart[chart["flags"] != ""]
    signals = "\n".join(f"- Subgroup {int(r.subgroup)}: mean {r.mean:.5f} mm, range {r.range:.5f} mm, rules {r.flags}"
                        for r in flagged.itertuples()) or "- none"
    pooled = "pooled into repeatability (p > 0.25)" if grr["interaction_pooled"] else "kept (p <= 0.25)"
    limits = chart.iloc[0]
    pct = grr["percent_study_variation"]
    tol = grr["percent_tolerance"]
    cp = "n/a (upper limit only)" if cap["cp"] is None else f"{cap['cp']:.3f}"
    pp = "n/a (upper limit only)" if cap["pp"] is None else f"{cap['pp']:.3f}"
    p_text = "not tested" if grr["interaction_p_value"] is None else f"{grr['interaction_p_value']:.4f}"
    return f"""# MSA and capability report: {spec['characteristic']}

Drawing {spec['drawing']}: nominal {spec['nominal']} mm, LSL {spec['lsl'] or 'none'}, USL {spec['usl']} mm.

## Data review
{chr(10).join('- ' + n for n in notes)}

## Gauge R&R (AIAG MSA 4th ed., ANOVA method)
{anova_markdown(grr['_table'])}

Part x appraiser interaction: p = {p_text}, {pooled}.

| Source | Variance (mm²) | %Contribution | %Study variation | %Tolerance |
|---|---:|---:|---:|---:|
""" + "\n".join(f"| {k} | {grr['variance_components'][k]:.4e} | {grr['percent_contribution'][k]:.2f} | "
                f"{pct[k]:.2f} | {tol[k]:.2f} |" for k in SUMMARY) + f"""

%GRR of study variation: {pct['gauge_rr']:.2f} %; %GRR of tolerance: {tol['gauge_rr']:.2f} %;
ndc: {grr['ndc']}.

Gauge decision: {grr['decision']}

## Control chart (X-bar/R, 25 subgroups of 5)
X-bar: CL {limits['xbar_cl']:.5f}, UCL {limits['xbar_ucl']:.5f}, LCL {limits['xbar_lcl']:.5f} mm;
R: CL {limits['r_cl']:.5f}, UCL {limits['r_ucl']:.5f} mm. Signals:
{signals}

## Capability (subgroups without signals)
Excluded subgroups: {', '.join(map(str, cap['subgroups_excluded']))}. Mean {cap['mean']:.5f} mm,
sigma within {cap['sigma_within']:.6f} mm, sigma overall {cap['sigma_overall']:.6f} mm.
Cp {cp}, Cpk {cap['cpk']:.3f}; Pp {pp}, Ppk {cap['ppk']:.3f}.

Process decision: {cap['decision']}
"""


def main() -> None:
    spec = json.loads((IN / "characteristic.json").read_text())
    data, notes = clean_study()
    grr = gauge_rr(data, spec)
    chart, values = spc_chart()
    cap = capability(chart, values, spec)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "grr.json").write_text(json.dumps({k: v for k, v in grr.items() if not k.startswith("_")}, indent=2))
    chart.to_csv(OUT / "spc.csv", index=False, float_format="%.9g")
    (OUT / "capability.json").write_text(json.dumps(cap, indent=2))
    text = report(spec, notes, grr, chart, cap)
    if SHORTCUT == "report_figures_only":
        names = " ".join(re.findall(r"P-\d+|[A-Z]\. [A-Z][a-z]+", " ".join(notes)))
        text = (f"# Report\n\n{names}\n\n{grr['percent_study_variation']['gauge_rr']} "
                f"{grr['percent_tolerance']['gauge_rr']} {grr['ndc']} {cap['cpk']} {cap['ppk']}\n\n"
                f"Gauge decision: {grr['decision']}\nProcess decision: {cap['decision']}\n")
    if SHORTCUT == "report_no_signals":
        text = re.sub(r"Signals:\n(?:- .*\n)+", "Signals: subgroups 1-25 screened with rules N1, N2, N5 and R1; no "
                      "subgroup signalled.\n", text)
    if SHORTCUT == "report_two_decisions":
        other = {"accept": "reject", "conditional": "accept", "reject": "accept"}
        text = re.sub(r"(Gauge|Process) decision: (\w+)\n",
                      lambda m: f"{m.group(0)}{m.group(1)} decision: {other[m.group(2)]}\n", text)
    if SHORTCUT == "report_prose_contradiction":
        other = {"accept": "rejected", "conditional": "accepted", "reject": "accepted"}
        text = re.sub(r"Gauge decision: (\w+)\n", lambda m: f"{m.group(0)}\nIn practice the gauge is {other[m.group(1)]} for "
                      "production use as it stands; no action will be taken on this study.\n", text)
        text = re.sub(r"Process decision: (\w+)\n", lambda m: f"{m.group(0)}\nIn practice the process is "
                      f"{other[m.group(1)]}; the control chart signals were false alarms with no assignable cause.\n", text)
    if SHORTCUT == "report_prose_requirement":
        gauge = {"accept": "fails; it must be rejected", "conditional": "fails; it must be rejected",
                 "reject": "passes; it must be accepted"}
        process = {"accept": "fails; it has to be rejected", "conditional": "passes; it has to be released with no "
                   "restrictions", "reject": "passes; it has to be released with no restrictions"}
        text = re.sub(r"Gauge decision: (\w+)\n", lambda m: f"{m.group(0)}\nThe gauge {gauge[m.group(1)]}.\n", text)
        text = re.sub(r"Process decision: (\w+)\n", lambda m: f"{m.group(0)}\nThe process {process[m.group(1)]}.\n", text)
    if SHORTCUT == "report_prose_slips":
        gauge_id = re.search(r"^# Gauge: .*?\b([A-Z]{2}-\d+)", (IN / "grr_study.csv").read_text(), re.MULTILINE)[1]
        other = "accepted" if grr["decision"] == "reject" else "rejected"
        scrapped = "The gauge is not deficient." if grr["decision"] == "reject" else "The gauge is scrapped."
        slips = (f"The gauge would be {other} by any auditor.", f"The gauge is expected to be {other}.", scrapped,
                 f"{gauge_id} is {other}.", f"Had we checked, the gauge is {other}.")
        text = re.sub(r"Gauge decision: \w+\n", lambda m: m.group(0) + "".join(f"\n{s}\n" for s in slips), text)
    if SHORTCUT in ("report_prose_forecasts", "report_prose_idioms", "report_prose_would", "report_prose_doubts",
                    "report_prose_other_judge", "report_prose_judged_pass", "report_prose_hedged",
                    "report_prose_named_judge", "report_prose_expected_outcome"):
        gauge_id = re.search(r"^# Gauge: .*?\b([A-Z]{2}-\d+)", (IN / "grr_study.csv").read_text(), re.MULTILINE)[1]
        rejected = grr["decision"] != "reject"
        verdict, judge_verb, outcome = ("rejected", "reject", "fail") if rejected else ("accepted", "accept", "pass")
        if SHORTCUT == "report_prose_forecasts":
            slips = (f"Any auditor would {judge_verb} the gauge.", f"The gauge is bound to {outcome}.",
                     f"Realistically speaking, the gauge is expected to be {verdict}.",
                     f"{gauge_id.replace('-', '')} is {verdict}.")
        elif SHORTCUT == "report_prose_would":
            slips = (f"The gauge would be {verdict}.", f"We would {judge_verb} the gauge as it stands.",
                     f"The gauge would {outcome}.")
        elif SHORTCUT == "report_prose_other_judge":
            slips = (f"The customer would {judge_verb} the gauge.", f"The gauge would most probably be {verdict}.",
                     f"The gauge should {outcome}.")
        elif SHORTCUT == "report_prose_judged_pass":
            slips = (f"The customer would {outcome} the gauge.",
                     "The auditor would fail the gauge outright." if rejected else "The auditor would sign off the gauge.",
                     f"Our customer would call the gauge {'unacceptable' if rejected else 'acceptable'}.")
        elif SHORTCUT == "report_prose_hedged":
            slips = (f"Most likely, the gauge would be {verdict}.",
                     f"The gauge should be {'unacceptable' if rejected else 'fine'}.", f"The gauge unit was {verdict}.")
        elif SHORTCUT == "report_prose_named_judge":
            slips = (f"{'Ford' if rejected else 'GM'} would {judge_verb} the gauge.", f"A customer would {judge_verb} the gauge.",
                     f"The gauge gets a {outcome}.", f"It is likely that the gauge would be {verdict}.")
            slips += ("The customer would turn the gauge down.",) if rejected else \
                ("The customer would OK the gauge.", "The customer would sign the gauge off.")
        elif SHORTCUT == "report_prose_expected_outcome":
            slips = (f"The gauge should {outcome} the study.", f"The gauge ought to {outcome} its qualification.")
        elif SHORTCUT == "report_prose_doubts":
            slips = (("It is doubtful that the gauge is conditional.", "It is improbable that the gauge is marginal.")
                     if rejected else ("It is unlikely that the gauge will be rejected.", "The gauge is unlikely to fail."))
        else:
            slips = (("The gauge is useless.", "The gauge was studied by three appraisers. It is scrapped.") if rejected
                     else ("The gauge is good to go.", "Nothing prevents using the gauge."))
        text = re.sub(r"Gauge decision: \w+\n", lambda m: m.group(0) + "".join(f"\n{s}\n" for s in slips), text)
    (OUT / "msa_report.md").write_text(text)


if __name__ == "__main__":
    main()
