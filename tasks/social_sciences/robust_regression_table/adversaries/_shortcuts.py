#!/usr/bin/env python3
"""Near-miss shortcut agents for social_sciences/robust_regression_table; the behaviour follows the name.

Each estimates every column as specified (LSDV, 2SLS by projection) and writes all deliverables,
with one inference convention taken from a default instead of the brief:
- hc0_errors: White's HC0 sandwich where the brief asks for HC1 (no N / (N - K) scaling).
- cluster_g_only: clustered errors scaled by G / (G - 1) only, without (N - 1) / (N - K).
- normal_pvalues: p-values and confidence intervals from the normal distribution, not t.
- keyword_summary: every convention right, but the paper's paragraph names the findings (return to
  schooling, gender gap, returns to scale, first stage...) without stating a single figure.
- misattributed_summary: every convention right, and the paragraph states every headline figure, but
  each one under the name of another finding (the return to schooling given the gender gap's figure...).
- swapped_in_clause: every convention right, and one sentence names every headline finding and states every
  figure, but in the wrong order: one clause without commas on the wage extract and the schooling sample,
  a "respectively" list on the firm panel.
- subject_swap: every convention right, and each clause states one headline figure, but the one of a finding it
  names only in passing: "schooling raises the wages of men and women alike by <the gender gap's figure>, women
  earn <the return to schooling's figure> less than men with the same schooling".
- summary_reversed: every convention right, and each clause states its own headline figure, but each percentage
  in the opposite direction: "each year of schooling lowers wages by <the return>", "women earn <the gap> more
  than men", "exporting lowers value added by <the premium>".
- summary_negated: every convention right, and each sentence names one finding and its figure, but takes the
  figure back: "the return to schooling is not <the return>", or offers another beside it ("<figure> or <other>").
- summary_contradicted_apart: every convention right, and each sentence names one finding and states its figure,
  then later sentences take each back or give the finding another figure: "Read differently, schooling lowers wages
  by <the return>", "the gender gap is <another figure>".
- summary_reversed_in_words: every convention right, and each sentence names one finding and states its figure, then
  a last sentence reverses a finding in words alone, with no figure: "However, a year of schooling does not raise wages."
- sample_restriction_ignored: every convention right and the oracle's summary, but the sample restriction the design
  states is never applied (the wage extract's 18-64 age band, the firm panel's 10-employee threshold, the schooling
  sample's age of at least 25); the rules on missing and non-positive values are.
"""

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

INPUT = Path(os.environ["ALE_INPUT_DIR"])
OUTPUT = Path(os.environ["ALE_OUTPUT_DIR"])
MODE = Path(__file__).name.removesuffix(".py")
IGNORE_RESTRICTION = MODE == "sample_restriction_ignored"

if (INPUT / "cps_extract.csv").exists():
    scenario, d = "wage", pd.read_csv(INPUT / "cps_extract.csv")
    restricted = d["age"].between(18, 64) | IGNORE_RESTRICTION
    d = d[d["hourly_wage"].notna() & (d["hourly_wage"] >= 2) & restricted].copy()
    d["y"], d["exper2"] = np.log(d["hourly_wage"]), d["exper"] ** 2 / 100
    d["female_x_union"] = d["female"] * d["union"]
    base = ["educ", "exper", "exper2", "female", "union"]
    models = {"1": (base, [], "conv", None, False), "2": (base, [], "hc1", None, False),
              "3": (base, ["state", "industry"], "cl", "state", False),
              "4": ([*base, "female_x_union"], ["state", "industry"], "cl", "state", False)}
elif (INPUT / "firm_panel.csv").exists():
    scenario, d = "firm", pd.read_csv(INPUT / "firm_panel.csv")
    d = d.dropna(subset=["value_added", "capital", "employees"])
    restricted = (d["employees"] >= 10) | IGNORE_RESTRICTION
    d = d[(d["value_added"] > 0) & (d["capital"] > 0) & (d["employees"] > 0) & restricted].copy()
    d["y"], d["lnk"], d["lnl"] = np.log(d["value_added"]), np.log(d["capital"]), np.log(d["employees"])
    base = ["lnk", "lnl", "rd_intensity", "exporter"]
    models = {"1": (base, [], "conv", None, False), "2": (base, [], "hc1", None, False),
              "3": (base, ["firm_id", "year"], "cl", "firm_id", False),
              "4": (base, ["firm_id", "year"], "cl", "industry", False)}
else:
    scenario, d = "iv", pd.read_csv(INPUT / "young_men_1976.csv")
    d = d[(d["age76"] >= 25) | IGNORE_RESTRICTION].copy()
    d["y"], d["exper2"] = np.log(d["wage"]), d["exper"] ** 2 / 100
    base = ["educ", "exper", "exper2", "black", "south", "smsa"]
    models = {"1": (base, [], "conv", None, False), "2": (base, [], "hc1", None, False),
              "3": (base, [], "hc1", None, True), "4": (base, [], "cl", "county_group", True)}
d = d.reset_index(drop=True)


def matrix(terms, fe):
    X = pd.concat([pd.Series(1.0, index=d.index, name="const"), d[terms].astype(float)]
                  + [pd.get_dummies(d[f].astype(str), prefix=f, drop_first=True, dtype=float) for f in fe], axis=1)
    return X.to_numpy(float)


def vcov(Xh, u, kind, groups):
    n, k = Xh.shape
    bread = np.linalg.inv(Xh.T @ Xh)
    if kind == "conv":
        return bread * (u @ u) / (n - k), n - k
    if kind == "hc1":
        scale = 1.0 if MODE == "hc0_errors" else n / (n - k)
        return bread @ ((Xh * u[:, None] ** 2).T @ Xh) @ bread * scale, n - k
    codes, idx = np.unique(groups, return_inverse=True)
    s = np.zeros((len(codes), k))
    np.add.at(s, idx, Xh * u[:, None])
    g = len(codes)
    scale = g / (g - 1) * (1.0 if MODE == "cluster_g_only" else (n - 1) / (n - k))
    return bread @ (s.T @ s) @ bread * scale, g - 1


def pvalue(t, df):
    return 2 * (stats.norm.sf(abs(t)) if MODE == "normal_pvalues" else stats.t.sf(abs(t), df))


def crit(df):
    return stats.norm.ppf(0.975) if MODE == "normal_pvalues" else stats.t.ppf(0.975, df)


fits = {}
y = d["y"].to_numpy(float)
for name, (terms, fe, kind, cluster, iv) in models.items():
    X = matrix(terms, fe)
    Xh, first = X, None
    if iv:
        Z = np.column_stack([np.delete(X, 1, axis=1), d["nearc4"].to_numpy(float)])
        Xh = Z @ np.linalg.lstsq(Z, X, rcond=None)[0]
        fb = np.linalg.lstsq(Z, d["educ"].to_numpy(float), rcond=None)[0]
        groups = d[cluster].to_numpy() if cluster else None
        fcov, _ = vcov(Z, d["educ"].to_numpy(float) - Z @ fb, kind, groups)
        first = fb[-1] ** 2 / fcov[-1, -1]
    b = np.linalg.solve(Xh.T @ Xh, Xh.T @ y)
    u = y - X @ b
    cov, df = vcov(Xh, u, kind, d[cluster].to_numpy() if cluster else None)
    se = np.sqrt(np.diag(cov))
    fits[name] = {"terms": terms, "b": dict(zip(terms, b[1:], strict=False)), "se": dict(zip(terms, se[1:], strict=False)),
                  "p": {t: pvalue(bb / s, df) for t, bb, s in zip(terms, b[1:], se[1:], strict=False)}, "df": df,
                  "cov": cov[1:3, 1:3], "n": len(y), "r2": 1 - (u @ u) / (((y - y.mean()) ** 2).sum()), "first": first}


def star(p):
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


rows = ["model,term,estimate,std_error,p_value,stars"]
for name, f in fits.items():
    rows += [f"{name},{t},{f['b'][t]!r},{f['se'][t]!r},{f['p'][t]!r},{star(f['p'][t])}" for t in f["terms"]]
    rows += [f"{name},N,{f['n']},,,", f"{name},R2,{f['r2']!r},,,"]
    if f["first"] is not None:
        rows.append(f"{name},first_stage_F,{f['first']!r},,,")
OUTPUT.mkdir(parents=True, exist_ok=True)
(OUTPUT / "regression_table.csv").write_text("\n".join(rows) + "\n")
all_terms = list(dict.fromkeys(t for f in fits.values() for t in f["terms"]))
tex = ["\\begin{tabular}{lcccc}", "\\toprule", " & (1) & (2) & (3) & (4) \\\\", "\\midrule"]
for t in all_terms:
    tex.append(t.replace("_", "\\_") + " & " + " & ".join(
        f"{f['b'][t]:.3f}{star(f['p'][t])}" if t in f["b"] else "" for f in fits.values()) + " \\\\")
    tex.append(" & " + " & ".join(f"({f['se'][t]:.3f})" if t in f["se"] else "" for f in fits.values()) + " \\\\")
tex += ["\\midrule", "N & " + " & ".join(str(f["n"]) for f in fits.values()) + " \\\\",
        "R2 & " + " & ".join(f"{f['r2']:.3f}" for f in fits.values()) + " \\\\", "\\bottomrule", "\\end{tabular}"]
(OUTPUT / "regression_table.tex").write_text("\n".join(tex) + "\n")


def pct(b):
    return 100 * (math.exp(b) - 1)


def ci(f, t):
    h = crit(f["df"]) * f["se"][t]
    return [f["b"][t] - h, f["b"][t] + h]


if scenario == "wage":
    out = {"return_to_schooling_pct": pct(fits["3"]["b"]["educ"]), "educ_ci95_model3": ci(fits["3"], "educ"),
           "gender_gap_pct": pct(fits["3"]["b"]["female"]),
           "union_premium_women_pct": pct(fits["4"]["b"]["union"] + fits["4"]["b"]["female_x_union"])}
elif scenario == "firm":
    f = fits["3"]
    rts, var = f["b"]["lnk"] + f["b"]["lnl"], f["cov"].sum()
    out = {"returns_to_scale": rts, "returns_to_scale_se": math.sqrt(var),
           "crs_test_pvalue": pvalue((rts - 1) / math.sqrt(var), f["df"]), "exporter_premium_pct": pct(f["b"]["exporter"])}
else:
    out = {"ols_return_pct": pct(fits["2"]["b"]["educ"]), "iv_return_pct": pct(fits["4"]["b"]["educ"]),
           "iv_educ_ci95": ci(fits["4"], "educ"), "first_stage_f_clustered": fits["4"]["first"]}
out["summary"] = ("The table reports the specification with conventional, robust and clustered standard errors; "
                  "the key coefficients are stable across columns and precisely estimated.")
if IGNORE_RESTRICTION:  # the oracle's paragraph
    out["summary"] = {
        "wage": lambda: (
            f"With state and industry fixed effects and state-clustered standard errors, an additional year of schooling "
            f"raises hourly wages by about {out['return_to_schooling_pct']:.1f} percent, women earn about "
            f"{-out['gender_gap_pct']:.1f} percent less than comparable men, and the union premium for women is about "
            f"{out['union_premium_women_pct']:.1f} percent."),
        "firm": lambda: (
            f"Within firms, the capital and labor elasticities sum to {out['returns_to_scale']:.3f} (SE "
            f"{out['returns_to_scale_se']:.3f}), so constant returns to scale "
            f"{'are rejected' if out['crs_test_pvalue'] < 0.05 else 'cannot be rejected'} at the 5 percent level (p = "
            f"{out['crs_test_pvalue']:.4f}); exporting is associated with {out['exporter_premium_pct']:.1f} percent "
            f"higher value added."),
        "iv": lambda: (
            f"OLS implies a return to schooling of {out['ols_return_pct']:.1f} percent per year; instrumenting schooling "
            f"with college proximity gives {out['iv_return_pct']:.1f} percent, with a wide clustered 95 percent "
            f"interval, and a first-stage F of {out['first_stage_f_clustered']:.1f}.")}[scenario]()
if MODE == "keyword_summary":
    out["summary"] = ("We find a sizeable return to schooling, a clear gender gap and a union premium; within firms "
                      "the output elasticities imply returns to scale close to constant and an exporter premium; "
                      "instrumenting schooling with college proximity raises the return, with a strong first stage F.")
if MODE == "misattributed_summary":
    names = {"wage": ("The return to schooling is", "Women earn", "The union premium for women is"),
             "firm": ("Returns to scale are", "Exporters have a premium of"),
             "iv": ("The OLS return to schooling is", "The IV return to schooling is", "The first-stage F is")}[scenario]
    keys = [k for k in out if k != "summary" and not k.endswith(("_se", "_pvalue", "ci95", "ci95_model3"))]
    figures = [abs(out[k]) for k in keys]
    out["summary"] = "The preferred specification, with clustered standard errors, gives these headline estimates. " + " ".join(
        f"{name} {value:.2f}." for name, value in zip(names, figures[1:] + figures[:1], strict=True))
if MODE == "swapped_in_clause":
    keys = [k for k in out if k != "summary" and not k.endswith(("_se", "_pvalue", "ci95", "ci95_model3"))]
    a, b, *c = [abs(out[k]) for k in keys[1:] + keys[:1]] + [0.0]  # two headline figures on the firm panel
    out["summary"] = {
        "wage": f"In the preferred column the return to schooling is {a:.1f} percent and the gender gap is {b:.1f} "
                f"percent and the union premium for women is {c[0]:.1f} percent.",
        "firm": f"Within firms, returns to scale and the exporter premium are {a:.3f} and {b:.1f} percent, respectively.",
        "iv": f"With college proximity as the instrument the OLS return to schooling is {a:.1f} percent and the IV "
              f"return is {b:.1f} percent and the first-stage F is {c[0]:.1f}."}[scenario]
if MODE == "subject_swap":
    if scenario == "wage":
        out["summary"] = (f"Schooling raises the wages of men and women alike by {abs(out['gender_gap_pct']):.1f} percent "
                          f"a year, women earn {abs(out['return_to_schooling_pct']):.1f} percent less than men with the "
                          f"same schooling, and the union premium for women is {out['union_premium_women_pct']:.1f} percent.")
    elif scenario == "firm":
        out["summary"] = (f"Returns to scale rise by {out['exporter_premium_pct']:.1f} percent for exporters, and exporting "
                          f"firms have capital and labor elasticities summing to {out['returns_to_scale']:.3f}.")
    else:
        out["summary"] = (f"OLS understates what instrumenting schooling with college proximity gives, "
                          f"{out['ols_return_pct']:.1f} percent a year, and the IV estimate exceeds the OLS return "
                          f"of {out['iv_return_pct']:.1f} percent; the first-stage F is {out['first_stage_f_clustered']:.1f}.")
# each paragraph written only for its own scenario, where its figures exist
TAKEN_BACK = {
    ("summary_reversed", "wage"): lambda: (
        f"Each year of schooling lowers hourly wages by {out['return_to_schooling_pct']:.1f} percent, women earn "
        f"{-out['gender_gap_pct']:.1f} percent more than comparable men, and the union premium for women is "
        f"{-out['union_premium_women_pct']:.1f} percent."),
    ("summary_reversed", "firm"): lambda: (
        f"Within firms, the capital and labor elasticities sum to {out['returns_to_scale']:.3f}, and exporting lowers "
        f"value added by {out['exporter_premium_pct']:.1f} percent."),
    ("summary_reversed", "iv"): lambda: (
        f"OLS implies that schooling lowers wages by {out['ols_return_pct']:.1f} percent per year, the IV return is "
        f"{-out['iv_return_pct']:.1f} percent, and the first-stage F is {out['first_stage_f_clustered']:.1f}."),
    ("summary_negated", "wage"): lambda: (
        f"The return to schooling is not {out['return_to_schooling_pct']:.1f} percent. The gender gap is "
        f"{abs(out['gender_gap_pct']):.1f} or {abs(out['gender_gap_pct']) + 6:.1f} percent. The union premium for "
        f"women is {out['union_premium_women_pct'] + 5:.1f} percent rather than {out['union_premium_women_pct']:.1f} "
        f"percent."),
    ("summary_negated", "firm"): lambda: (
        f"Within firms, with firm and year fixed effects, returns to scale are not {out['returns_to_scale']:.3f}. The "
        f"exporter premium in value added is {out['exporter_premium_pct']:.1f} or "
        f"{out['exporter_premium_pct'] + 4:.1f} percent."),
    ("summary_negated", "iv"): lambda: (
        f"The OLS return to schooling is not {out['ols_return_pct']:.1f} percent. The IV return is "
        f"{out['iv_return_pct']:.1f} or {out['iv_return_pct'] + 5:.1f} percent. The first-stage F is "
        f"{out['first_stage_f_clustered'] + 9:.1f} rather than {out['first_stage_f_clustered']:.1f}."),
}
if (MODE, scenario) in TAKEN_BACK:
    out["summary"] = TAKEN_BACK[MODE, scenario]()
# a finding reversed in words alone, after every figure is stated
REVERSED_IN_WORDS = {"wage": "However, a year of schooling does not raise wages.",
                     "firm": "However, exporting does not raise value added.",
                     "iv": "However, a year of schooling does not raise wages."}
if MODE in ("summary_contradicted_apart", "summary_reversed_in_words"):
    findings = {"wage": {"return_to_schooling_pct": "The return to schooling", "gender_gap_pct": "The gender gap",
                         "union_premium_women_pct": "The union premium for women"},
                "firm": {"returns_to_scale": "Within firms, returns to scale", "exporter_premium_pct": "The exporter premium"},
                "iv": {"ols_return_pct": "The OLS return to schooling", "iv_return_pct": "The IV return",
                       "first_stage_f_clustered": "The first-stage F"}}[scenario]
    stated = [f"{name} is {abs(out[key]):.3f}." for key, name in findings.items()]
    # the first finding negated in a later sentence, every other one given a second figure
    later = [f"{name} is not {abs(out[key]):.3f}." if i == 0 else f"{name} is {abs(out[key]) + 6:.1f} percent."
             for i, (key, name) in enumerate(findings.items())]
    out["summary"] = " ".join([*stated, "Read another way:", *later] if MODE == "summary_contradicted_apart"
                              else [*stated, REVERSED_IN_WORDS[scenario]])
(OUTPUT / "interpretation.json").write_text(json.dumps(out, indent=1))
