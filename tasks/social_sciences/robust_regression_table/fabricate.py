#!/usr/bin/env python3
"""Plausible fabrication: plain OLS with conventional errors for every column (no FE, no clustering, no IV)."""

import csv
import json
import math
import os
from pathlib import Path

import numpy as np

IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])


def load() -> tuple[dict[str, np.ndarray], np.ndarray, list[str]]:
    path = next(IN.glob("*.csv"))
    with path.open() as handle:
        rows = [r for r in csv.DictReader(handle) if all(v != "" for v in r.values())]
    col = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    num = {k: v.astype(float) for k, v in col.items() if all(_isnum(x) for x in v[:50])}
    if "hourly_wage" in num:
        y = np.log(num["hourly_wage"])
        terms = ["educ", "exper", "female", "union"]
    elif "value_added" in num:
        y = np.log(num["value_added"])
        num["lnk"], num["lnl"] = np.log(num["capital"]), np.log(num["employees"])
        terms = ["lnk", "lnl", "rd_intensity", "exporter"]
    else:
        y = np.log(num["wage"])
        terms = ["educ", "exper", "black", "south", "smsa"]
    return num, y, terms


def _isnum(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def main() -> None:
    num, y, terms = load()
    X = np.column_stack([np.ones(len(y))] + [num[t] for t in terms])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    u = y - X @ beta
    n, k = X.shape
    se = np.sqrt(np.diag(np.linalg.inv(X.T @ X)) * (u @ u) / (n - k))
    r2 = 1 - (u @ u) / ((y - y.mean()) @ (y - y.mean()))
    OUT.mkdir(parents=True, exist_ok=True)
    rows, tex = [], ["\\begin{tabular}{lcccc}", "\\toprule", " & (1) & (2) & (3) & (4) \\\\", "\\midrule"]
    for i, t in enumerate(terms, start=1):
        z = abs(beta[i] / se[i])
        p = math.erfc(z / math.sqrt(2))
        star = "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""
        for m in range(1, 5):
            rows.append([m, t, beta[i], se[i], p, star])
        tex += [t.replace("_", "\\_") + " & " + " & ".join([f"{beta[i]:.3f}{star}"] * 4) + " \\\\",
                " & " + " & ".join([f"({se[i]:.3f})"] * 4) + " \\\\"]
    for m in range(1, 5):
        rows += [[m, "N", n, "", "", ""], [m, "R2", r2, "", "", ""]]
    tex += ["\\midrule", "N & " + " & ".join([str(n)] * 4) + " \\\\", "R2 & " + " & ".join([f"{r2:.3f}"] * 4) + " \\\\",
            "\\bottomrule", "\\end{tabular}"]
    with (OUT / "regression_table.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["model", "term", "estimate", "std_error", "p_value", "stars"])
        writer.writerows(rows)
    (OUT / "regression_table.tex").write_text("\n".join(tex) + "\n")
    b = float(beta[1])
    (OUT / "interpretation.json").write_text(json.dumps({
        "summary": "The estimates are stable across specifications and all key coefficients are precisely estimated "
                   "and economically meaningful in every column of the table.",
        "return_to_schooling_pct": 100 * (math.exp(b) - 1), "ols_return_pct": 100 * (math.exp(b) - 1),
        "iv_return_pct": 100 * (math.exp(b) - 1), "returns_to_scale": float(beta[1] + beta[2]),
    }, indent=2))


if __name__ == "__main__":
    main()
