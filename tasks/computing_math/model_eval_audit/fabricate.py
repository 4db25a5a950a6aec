#!/usr/bin/env python3
"""Plausible fabrication for computing_math/model_eval_audit.

Never opens the training index and never fits anything: takes the prediction files row by row as if
they were in test-set order, treats every test item as clean, writes textbook-looking CIs
(estimate +/- 2 standard errors), a normal-approximation p-value, reliability bins invented around the
diagonal, a matching figure, and a note that agrees with all of it.
"""

import csv
import json
import math
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def rows(name: str) -> list[dict]:
    with open(IN / name, newline="") as handle:
        return list(csv.DictReader(handle))


def main() -> None:
    test = rows("test_set.csv")
    preds = {m: rows(f"predictions_model_{m.lower()}.csv")[:len(test)] for m in "AB"}
    classes = [c[2:] for c in preds["A"][0] if c.startswith("p_")]
    models = {}
    for m in "AB":
        right = [max(classes, key=lambda c: float(p[f"p_{c}"])) == t["label"] for p, t in zip(preds[m], test, strict=True)]
        acc = sum(right) / len(right)
        models[m] = {"accuracy": acc, "macro_f1": acc - 0.02, "temperature": 1.0, "ece": 0.03,
                     "ece_uncalibrated": 0.03, "worst_subgroup": test[0]["subgroup"], "worst_subgroup_accuracy": acc - 0.05}
    n = len(test)
    diff = models["B"]["accuracy"] - models["A"]["accuracy"]
    se = math.sqrt(0.25 / n)
    p = math.erfc(abs(diff) / se / math.sqrt(2))
    metrics = {"test_items": n, "leaked_exact": 0, "leaked_near": 0, "evaluated_items": n, "models": models,
               "difference": {"accuracy": {"estimate": diff, "ci_low": diff - 2 * se, "ci_high": diff + 2 * se},
                              "macro_f1": {"estimate": diff, "ci_low": diff - 2 * se, "ci_high": diff + 2 * se},
                              "ece": {"estimate": 0.0}},
               "mcnemar": {"a_right_b_wrong": 0, "a_wrong_b_right": 0, "p_value": p},
               "claim_holds": diff - 2 * se > 0}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "metrics.json").write_text(json.dumps(metrics, indent=2))
    (OUT / "leakage.csv").write_text("item_id,match\n")
    groups = sorted({t["subgroup"] for t in test})
    with open(OUT / "subgroups.csv", "w") as handle:
        handle.write("model,subgroup,n,accuracy,macro_f1\n")
        for m in "AB":
            for g in groups:
                handle.write(f"{m},{g},{n // len(groups)},{models[m]['accuracy']:.4f},{models[m]['macro_f1']:.4f}\n")
    bins = []
    with open(OUT / "reliability.csv", "w") as handle:
        handle.write("model,bin,bin_lower,bin_upper,count,mean_confidence,accuracy\n")
        for m in "AB":
            for b in range(15):
                centre = (b + 0.5) / 15
                bins.append((m, centre, max(0.0, centre - 0.03)))
                handle.write(f"{m},{b + 1},{b / 15:.6f},{(b + 1) / 15:.6f},{n // 15},{centre:.4f},{centre - 0.03:.4f}\n")
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), dpi=100)
    for ax, m in zip(axes, "AB", strict=True):
        ax.plot([0, 1], [0, 1], "--", color="0.55")
        ax.plot([c for mm, c, _ in bins if mm == m], [a for mm, _, a in bins if mm == m], "o-")
        ax.set(xlim=(0, 1), ylim=(0, 1), title=f"Model {m}")
    fig.savefig(OUT / "reliability.png")
    verdict = "claim holds" if metrics["claim_holds"] else "claim does not hold"
    (OUT / "audit_note.md").write_text(
        f"# Audit\n\nVerdict: {verdict}\n\n0 leaked items removed; {n} items evaluated. Accuracy A "
        f"{models['A']['accuracy']:.4f}, B {models['B']['accuracy']:.4f}; difference {diff:.4f} (95% CI "
        f"{diff - 2 * se:.4f} to {diff + 2 * se:.4f}). Macro-F1 A {models['A']['macro_f1']:.4f}, B "
        f"{models['B']['macro_f1']:.4f}. ECE A 0.0300, B 0.0300. McNemar p = {p:.3g}.\n")


if __name__ == "__main__":
    main()
