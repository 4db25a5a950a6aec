"""The reference statistics, computed independently of the agent's tools (numpy and scipy only).

- ``anova_grr``: the AIAG MSA (4th ed.) ANOVA method for a balanced crossed study, with the part x appraiser
  interaction pooled into repeatability when its p-value exceeds the pooling level;
- ``xbar_r``: X-bar/R limits from all subgroups and the SOP's rule flags (N1, N2, N5 on X-bar, R1 on R);
- ``capability``: Cp/Cpk from R-bar/d2 and Pp/Ppk from the overall standard deviation, on the given subgroups.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

A2, D3, D4, D2 = 0.577, 0.0, 2.114, 2.326  # subgroups of 5 (AIAG SPC manual table)
POOL_P = 0.25
NDC_FACTOR = 1.41
COMPONENTS = ("repeatability", "reproducibility", "appraiser", "part_x_appraiser", "gauge_rr", "part_to_part", "total")


def anova_grr(y: np.ndarray, pool_p: float = POOL_P) -> dict:
    """Variance components of readings ``y[part, appraiser, trial]`` (one unit throughout)."""
    p, a, r = y.shape
    grand = y.mean()
    part_means, app_means, cell_means = y.mean(axis=(1, 2)), y.mean(axis=(0, 2)), y.mean(axis=2)
    ss_p = a * r * ((part_means - grand) ** 2).sum()
    ss_a = p * r * ((app_means - grand) ** 2).sum()
    ss_cells = r * ((cell_means - grand) ** 2).sum()
    ss_pa = ss_cells - ss_p - ss_a
    ss_e = ((y - cell_means[:, :, None]) ** 2).sum()
    df_p, df_a, df_pa, df_e = p - 1, a - 1, (p - 1) * (a - 1), p * a * (r - 1)
    ms_p, ms_a, ms_pa, ms_e = ss_p / df_p, ss_a / df_a, ss_pa / df_pa, ss_e / df_e
    f_pa = ms_pa / ms_e
    p_pa = float(stats.f.sf(f_pa, df_pa, df_e))
    pooled = p_pa > pool_p
    if pooled:
        ms_err = (ss_pa + ss_e) / (df_pa + df_e)
        var_pa = 0.0
        var_a = max(0.0, (ms_a - ms_err) / (p * r))
        var_p = max(0.0, (ms_p - ms_err) / (a * r))
    else:
        ms_err = ms_e
        var_pa = max(0.0, (ms_pa - ms_e) / r)
        var_a = max(0.0, (ms_a - ms_pa) / (p * r))
        var_p = max(0.0, (ms_p - ms_pa) / (a * r))
    var = {"repeatability": ms_err, "appraiser": var_a, "part_x_appraiser": var_pa, "part_to_part": var_p}
    var["reproducibility"] = var_a + var_pa
    var["gauge_rr"] = var["repeatability"] + var["reproducibility"]
    var["total"] = var["gauge_rr"] + var_p
    table = {"part": (df_p, ss_p), "appraiser": (df_a, ss_a), "part_x_appraiser": (df_pa, ss_pa),
             "repeatability": (df_e, ss_e)}
    return {"interaction_f": float(f_pa), "interaction_p_value": p_pa, "interaction_pooled": bool(pooled),
            "variance_components": {k: float(var[k]) for k in COMPONENTS}, "grand_mean": float(grand),
            "table": {k: {"df": df, "ss": float(ss)} for k, (df, ss) in table.items()}}


def grr_percentages(result: dict, tolerance_width: float) -> dict:
    """%contribution, %study variation and %tolerance (6 sigma over ``tolerance_width``) per component, and ndc."""
    var = result["variance_components"]
    sd = {k: math.sqrt(v) for k, v in var.items()}
    out = {
        "percent_contribution": {k: 100 * var[k] / var["total"] for k in COMPONENTS},
        "percent_study_variation": {k: 100 * sd[k] / sd["total"] for k in COMPONENTS},
        "percent_tolerance": {k: 100 * 6 * sd[k] / tolerance_width for k in COMPONENTS},
        "ndc_ratio": NDC_FACTOR * sd["part_to_part"] / sd["gauge_rr"],
    }
    out["ndc"] = math.floor(out["ndc_ratio"])
    return out


def gauge_decision(percent_grr: float, ndc: int) -> str:
    """The customer's criteria: accept below 10 % with ndc >= 5, reject above 30 %, else conditional."""
    if percent_grr > 30:
        return "reject"
    return "accept" if percent_grr < 10 and ndc >= 5 else "conditional"


def xbar_r(subgroups: np.ndarray) -> dict:
    """Limits from every subgroup (rows of 5 readings) and the rule flags per subgroup (lists of rule ids)."""
    means, ranges = subgroups.mean(axis=1), np.ptp(subgroups, axis=1)
    r_bar, x_bar = ranges.mean(), means.mean()
    sigma = A2 * r_bar / 3
    limits = {"xbar_cl": x_bar, "xbar_ucl": x_bar + A2 * r_bar, "xbar_lcl": x_bar - A2 * r_bar,
              "r_cl": r_bar, "r_ucl": D4 * r_bar, "r_lcl": D3 * r_bar}
    z = (means - x_bar) / sigma
    flags: list[list[str]] = [[] for _ in means]
    run, side = 0, 0
    for i, zi in enumerate(z):
        if abs(zi) > 3:
            flags[i].append("N1")
        s = int(np.sign(zi))
        run = run + 1 if s == side and s != 0 else (1 if s != 0 else 0)
        side = s
        if run >= 9:
            flags[i].append("N2")
        if abs(zi) > 2 and any(np.sign(z[j]) == np.sign(zi) and abs(z[j]) > 2 for j in range(max(0, i - 2), i)):
            flags[i].append("N5")
        if ranges[i] > limits["r_ucl"]:
            flags[i].append("R1")
    return {"means": means.tolist(), "ranges": ranges.tolist(), "limits": {k: float(v) for k, v in limits.items()},
            "z": z.tolist(), "flags": flags}


def capability(subgroups: np.ndarray, lsl: float | None, usl: float) -> dict:
    """Within (R-bar/d2) and overall (sample SD) indices of the given subgroups; Cp and Pp None when one-sided."""
    mean = float(subgroups.mean())
    sigma_w = float(np.ptp(subgroups, axis=1).mean() / D2)
    sigma_o = float(subgroups.ravel().std(ddof=1))

    def indices(sigma: float) -> tuple[float | None, float]:
        upper = (usl - mean) / (3 * sigma)
        if lsl is None:
            return None, upper
        return (usl - lsl) / (6 * sigma), min(upper, (mean - lsl) / (3 * sigma))

    cp, cpk = indices(sigma_w)
    pp, ppk = indices(sigma_o)
    return {"mean": mean, "sigma_within": sigma_w, "sigma_overall": sigma_o, "cp": cp, "cpk": cpk, "pp": pp,
            "ppk": ppk}


def process_decision(ppk: float) -> str:
    """PPAP initial process study criteria on Ppk."""
    return "accept" if ppk >= 1.67 else "conditional" if ppk >= 1.33 else "reject"
