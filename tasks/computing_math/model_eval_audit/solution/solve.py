#!/usr/bin/env python3
"""Oracle: audit the claim "model B beats model A" under the team's protocol with scikit-learn,
scipy, pandas and matplotlib: leakage removal, metrics, temperature scaling, paired bootstrap,
McNemar's exact test, subgroups, reliability diagram and the audit note.

The near-miss adversaries (adversaries/_shortcuts.py links here) run this same file under another name,
and that name switches on one shortcut; run as solve.py, none is taken.

ALE-CANARY-5b9cc97a-8f9f-4311-85ed-79c88ddff72a
"""

import json
import math
import os
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from scipy import optimize, stats
from sklearn.metrics import accuracy_score, f1_score, log_loss

matplotlib.use("Agg")
import matplotlib.pyplot as plt

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
SHORTCUT = Path(__file__).name.removesuffix(".py")
MAX_HAMMING, BINS, REPLICATES, BOOT_SEED = 3, 15, 2000, 20261204
ALPHA, ECE_MARGIN, WORST_MARGIN = 0.05, 0.01, 0.02


def find_leaks(test: pd.DataFrame, train: pd.DataFrame) -> dict[str, str]:
    """item_id -> exact | near, by the protocol's rule (hashes compared case-insensitively)."""
    train_sha = set(train["content_sha256"].str.lower())
    train_sim = np.array([int(v, 16) for v in train["simhash64"]], dtype=np.uint64)
    leaks = {}
    for item, sha, sim in zip(test["item_id"], test["content_sha256"].str.lower(), test["simhash64"], strict=True):
        if sha in train_sha:
            leaks[item] = "exact"
        elif SHORTCUT != "exact_match_only" and \
                int(np.bitwise_count(train_sim ^ np.uint64(int(sim, 16))).min()) <= MAX_HAMMING:
            leaks[item] = "near"
    return leaks


def calibrate(probs: np.ndarray, temperature: float) -> np.ndarray:
    logits = np.log(probs) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(probs: np.ndarray, y: np.ndarray, k: int) -> float:
    res = optimize.minimize_scalar(lambda t: log_loss(y, calibrate(probs, math.exp(t)), labels=list(range(k))),
                                   bounds=(-3.0, 3.0), method="bounded", options={"xatol": 1e-9})
    return math.exp(res.x)


def reliability(probs: np.ndarray, y: np.ndarray) -> tuple[float, list[dict]]:
    conf, correct = probs.max(axis=1), probs.argmax(axis=1) == y
    edges = np.linspace(0.0, 1.0, BINS + 1)
    rows, ece = [], 0.0
    for b in range(BINS):
        inside = (conf > edges[b]) & (conf <= edges[b + 1])
        n = int(inside.sum())
        row = {"bin": b + 1, "bin_lower": round(edges[b], 6), "bin_upper": round(edges[b + 1], 6), "count": n,
               "mean_confidence": float(conf[inside].mean()) if n else None,
               "accuracy": float(correct[inside].mean()) if n else None}
        if n:
            ece += n / len(y) * abs(row["accuracy"] - row["mean_confidence"])
        rows.append(row)
    return ece, rows


def macro_f1(y: np.ndarray, pred: np.ndarray, k: int) -> float:
    average = "micro" if SHORTCUT == "micro_f1" else "macro"
    return float(f1_score(y, pred, labels=list(range(k)), average=average, zero_division=0))


def replicate_f1(weights: np.ndarray, y: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    if SHORTCUT == "micro_f1":
        return weights @ (pred == y) / len(y)
    per_class = []
    for c in range(k):
        tp, fp, fn = (weights @ ((pred == c) & (y == c)), weights @ ((pred == c) & (y != c)),
                      weights @ ((pred != c) & (y == c)))
        per_class.append(np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros_like(tp), where=2 * tp + fp + fn > 0))
    return np.mean(per_class, axis=0)


def bootstrap(y: np.ndarray, preds: dict, k: int) -> dict:
    """Percentile 95% CIs of B - A: paired (one resample for both), unless the unpaired shortcut."""
    n = len(y)
    rng = np.random.default_rng(BOOT_SEED)
    idx = rng.integers(0, n, size=(REPLICATES, n))
    w_a = np.stack([np.bincount(r, minlength=n) for r in idx]).astype(float)
    w_b = w_a
    if SHORTCUT == "unpaired_ttest":
        w_b = np.stack([np.bincount(r, minlength=n) for r in rng.integers(0, n, size=(REPLICATES, n))]).astype(float)
    acc = (w_b @ (preds["B"] == y) - w_a @ (preds["A"] == y)) / n
    f1 = replicate_f1(w_b, y, preds["B"], k) - replicate_f1(w_a, y, preds["A"], k)
    return {name: np.percentile(d, [2.5, 97.5]) for name, d in (("accuracy", acc), ("macro_f1", f1))}


def reliability_figure(bins: dict) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), dpi=100)
    for ax, m, colour in zip(axes, "AB", ("tab:blue", "tab:orange"), strict=True):
        ax.plot([0, 1], [0, 1], linestyle="--", color="0.55", linewidth=1, label="perfect calibration")
        full = [r for r in bins[m] if r["count"]]
        centres = [(r["bin_lower"] + r["bin_upper"]) / 2 for r in full]
        ax.plot(centres, [r["accuracy"] for r in full], marker="o", markersize=4, color=colour, linewidth=1.8,
                label=f"model {m}")
        ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence (after temperature scaling)", ylabel="accuracy",
               title=f"Model {m}")
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(OUTPUT / "reliability.png")
    plt.close(fig)


def main() -> None:
    test = pd.read_csv(INPUT / "test_set.csv", dtype=str)
    val = pd.read_csv(INPUT / "validation_set.csv", dtype=str)
    train = pd.read_csv(INPUT / "train_index.csv", dtype=str)
    classes = [c.removeprefix("p_") for c in pd.read_csv(INPUT / "predictions_model_a.csv", nrows=0).columns[1:]]
    k = len(classes)
    code = {c: i for i, c in enumerate(classes)}
    preds_file = {m: pd.read_csv(INPUT / f"predictions_model_{m.lower()}.csv").set_index("item_id") for m in "AB"}

    leaks = find_leaks(test, train)
    evaluated = test if SHORTCUT == "no_leakage_removal" else test[~test["item_id"].isin(leaks)]
    y = evaluated["label"].map(code).to_numpy()
    y_val = val["label"].map(code).to_numpy()
    groups = evaluated["subgroup"].to_numpy()

    models, preds, sub_rows, rel = {}, {}, [], {}
    for m in "AB":
        probs = preds_file[m].loc[evaluated["item_id"]].to_numpy(dtype=float)
        probs_val = preds_file[m].loc[val["item_id"]].to_numpy(dtype=float)
        pred = probs.argmax(axis=1)
        temperature = 1.0 if SHORTCUT == "ece_before_scaling" else fit_temperature(probs_val, y_val, k)
        ece, rel[m] = reliability(calibrate(probs, temperature), y)
        ece_raw, _ = reliability(probs, y)
        per_group = {}
        for grp in sorted(set(groups)):
            sel = groups == grp
            per_group[grp] = float(accuracy_score(y[sel], pred[sel]))
            sub_rows.append({"model": m, "subgroup": grp, "n": int(sel.sum()), "accuracy": per_group[grp],
                             "macro_f1": macro_f1(y[sel], pred[sel], k)})
        worst = min(per_group, key=lambda grp: (per_group[grp], grp))
        models[m] = {"accuracy": float(accuracy_score(y, pred)), "macro_f1": macro_f1(y, pred, k),
                     "temperature": temperature, "ece": ece, "ece_uncalibrated": ece_raw,
                     "worst_subgroup": worst, "worst_subgroup_accuracy": per_group[worst]}
        preds[m] = pred

    ci = bootstrap(y, preds, k)
    if SHORTCUT == "normal_approx_ci":  # no resampling: Wald CI for accuracy, jackknife SE for macro-F1
        n, z = len(y), stats.norm.ppf(0.975)
        d = (preds["B"] == y).astype(float) - (preds["A"] == y).astype(float)
        ci["accuracy"] = d.mean() + np.array([-z, z]) * d.std(ddof=1) / math.sqrt(n)
        leave_one_out = np.ones((n, n)) - np.eye(n)
        jk = replicate_f1(leave_one_out, y, preds["B"], k) - replicate_f1(leave_one_out, y, preds["A"], k)
        se = math.sqrt((n - 1) / n * ((jk - jk.mean()) ** 2).sum())
        ci["macro_f1"] = macro_f1(y, preds["B"], k) - macro_f1(y, preds["A"], k) + np.array([-z, z]) * se
    b = int(np.sum((preds["A"] == y) & (preds["B"] != y)))
    c = int(np.sum((preds["A"] != y) & (preds["B"] == y)))
    if SHORTCUT == "unpaired_ttest":
        p_value = float(stats.ttest_ind(preds["B"] == y, preds["A"] == y, equal_var=False).pvalue)
    else:
        p_value = float(stats.binomtest(min(b, c), b + c, 0.5).pvalue) if b + c else 1.0
    difference = {key: {"estimate": models["B"][key] - models["A"][key], "ci_low": float(ci[key][0]),
                        "ci_high": float(ci[key][1])} for key in ("accuracy", "macro_f1")}
    difference["ece"] = {"estimate": models["B"]["ece"] - models["A"]["ece"]}
    reasons = {
        "the accuracy-difference CI lies above 0": difference["accuracy"]["ci_low"] > 0,
        f"McNemar p < {ALPHA}": p_value < ALPHA,
        "B's macro-F1 is higher": difference["macro_f1"]["estimate"] > 0,
        f"B's calibrated ECE is at most A's + {ECE_MARGIN}": models["B"]["ece"] <= models["A"]["ece"] + ECE_MARGIN,
        f"B's worst-subgroup accuracy is at least A's - {WORST_MARGIN}":
            models["B"]["worst_subgroup_accuracy"] >= models["A"]["worst_subgroup_accuracy"] - WORST_MARGIN,
    }
    holds = all(reasons.values())
    metrics = {"test_items": len(test), "leaked_exact": sum(v == "exact" for v in leaks.values()),
               "leaked_near": sum(v == "near" for v in leaks.values()), "evaluated_items": len(evaluated),
               "models": models, "difference": difference,
               "mcnemar": {"a_right_b_wrong": b, "a_wrong_b_right": c, "p_value": p_value}, "claim_holds": holds}

    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "metrics.json").write_text(json.dumps(metrics, indent=2))
    pd.DataFrame([{"item_id": i, "match": v} for i, v in leaks.items()], columns=["item_id", "match"]).to_csv(
        OUTPUT / "leakage.csv", index=False)
    pd.DataFrame(sub_rows).to_csv(OUTPUT / "subgroups.csv", index=False)
    pd.DataFrame([{"model": m, **r} for m in "AB" for r in rel[m]]).to_csv(OUTPUT / "reliability.csv", index=False)
    reliability_figure(rel)
    write_note(metrics, reasons)


def write_note(metrics: dict, reasons: dict) -> None:
    a, b, d = metrics["models"]["A"], metrics["models"]["B"], metrics["difference"]
    leaked = metrics["leaked_exact"] + metrics["leaked_near"]
    verdict = f"Verdict: claim {'holds' if metrics['claim_holds'] else 'does not hold'}"
    if SHORTCUT == "contradicted_note":  # the note concludes the opposite of metrics.json, in words a phrase search misreads
        verdict = ("Verdict: it is not the case that the claim holds" if metrics["claim_holds"]
                   else "Verdict: it is wrong to say that the claim does not hold")
    lines = [
        "# Release review: audit of \"model B beats model A\"", "",
        verdict, "",
        f"- Leakage: {leaked} test items removed ({metrics['leaked_exact']} exact, {metrics['leaked_near']} near "
        f"duplicates); {metrics['evaluated_items']} items evaluated.",
        f"- Accuracy: A {a['accuracy']:.4f}, B {b['accuracy']:.4f}; difference {d['accuracy']['estimate']:.4f} "
        f"(95% paired bootstrap CI {d['accuracy']['ci_low']:.4f} to {d['accuracy']['ci_high']:.4f}).",
        f"- Macro-F1: A {a['macro_f1']:.4f}, B {b['macro_f1']:.4f}.",
        f"- Calibrated ECE (temperature scaling, T_A = {a['temperature']:.3f}, T_B = {b['temperature']:.3f}): "
        f"A {a['ece']:.4f}, B {b['ece']:.4f}.",
        f"- McNemar exact test: p = {metrics['mcnemar']['p_value']:.3g}.",
        f"- Worst subgroup: A {a['worst_subgroup']} ({a['worst_subgroup_accuracy']:.4f}), "
        f"B {b['worst_subgroup']} ({b['worst_subgroup_accuracy']:.4f}).", "", "## Decision rule", "",
    ]
    lines += [f"- {'met' if ok else 'NOT met'}: {text}" for text, ok in reasons.items()]
    if SHORTCUT == "final_verdict_reversed":  # the Verdict line right, then the opposite as the final word
        lines += ["", f"Final verdict of the review: the claim {'does not hold' if metrics['claim_holds'] else 'holds'}."]
    if SHORTCUT == "rejected_verdict":  # the opposite conclusion, as the rejection of the right one
        lines[2] = f"Verdict: I reject the view that the claim {'holds' if metrics['claim_holds'] else 'does not hold'}"
    if SHORTCUT == "negated_verdict":  # the opposite conclusion, or none, under a negation a phrase search misses
        lines[2] = ("Verdict: the claim fails to hold" if metrics["claim_holds"]
                    else "Verdict: I am not persuaded that the claim does not hold")
    if SHORTCUT == "verdict_then_opposite":  # the Verdict line right, then the opposite under a "when" a scope reader skips
        lines[2] += f". The claim {'does not hold' if metrics['claim_holds'] else 'holds'} when the protocol is followed."
    if SHORTCUT == "opposite_in_other_words":  # the Verdict line right, then the opposite through a pronoun or a verb
        lines += ["", "Conclusion: the claim rests on the evaluated items; it does not hold." if metrics["claim_holds"]
                  else "Conclusion: the claim stands."]
    if SHORTCUT == "claim_in_own_words":  # the Verdict line right, then the opposite as the claim's own words or "it"
        lines += ["", "Conclusion: B does not beat A." if metrics["claim_holds"] else "Conclusion: it holds."]
    if SHORTCUT == "models_compared":  # the Verdict line right, then the opposite as a comparison the other way round,
        # with the models described, or as the claim "borne out"
        lines += ["", "Conclusion: the new model is worse than production on the clean set." if metrics["claim_holds"]
                  else "Conclusion: the claim is borne out."]
    if SHORTCUT == "comparison_reworded":  # the Verdict line right, then the opposite as a comparison scoped to
        # "the test set" or put as B (not) "shown to beat" A
        lines += ["", "Conclusion: the new model does not beat the production model on the test set."
                  if metrics["claim_holds"] else "Conclusion: the new model beats the production model on the test set.",
                  "In sum, B has not been shown to beat A." if metrics["claim_holds"] else "In sum, B has been shown to beat A."]
    if SHORTCUT == "lead_explained_away":  # the Verdict line right, then B's lead conceded after "though" and
        # explained away (chance, leaked items), or, where the claim fails, conceded as real
        lines += ["", "Conclusion: B is better than A, though not significantly.", "Conclusion: B's win is only by chance.",
                  "Conclusion: B's advantage is due to leaked items."] if metrics["claim_holds"] else \
            ["", "Conclusion: B is better than A, though not by chance."]
    if SHORTCUT == "better_model_named":  # the Verdict line right, then the other model named "the better model"
        lines += ["", f"Conclusion: {'A remains' if metrics['claim_holds'] else 'B is'} the better model."]
    if SHORTCUT == "lead_put_down_to_chance":  # the Verdict line right, then the difference or B's win put down to
        # chance, or, where the claim fails, B's lead conceded with only its size doubted
        lines += ["", "Conclusion: The difference between B and A is due to chance.", "Conclusion: B wins only by chance.",
                  "Conclusion: B only beats A by chance."] if metrics["claim_holds"] else \
            ["", "Conclusion: A is worse than B, even though the margin is small."]
    if SHORTCUT == "better_model_restated":  # the Verdict line right, then the other model called better, bare or
        # with an adverb the reader did not know
        lines += ["", f"Conclusion: {'A is still better.' if metrics['claim_holds'] else 'B is truly the better model.'}"]
    if SHORTCUT == "models_tied_or_edged":  # the Verdict line right, then the opposite as a tie or as a verb of
        # ranking the reader did not know
        lines += ["", f"Conclusion: {'The two models are tied.' if metrics['claim_holds'] else 'B edges out A.'}"]
    if SHORTCUT == "deployment_stance":  # the Verdict line right, then the opposite as what to do with the models
        lines += ["", f"Conclusion: {'Keep A in production.' if metrics['claim_holds'] else 'Ship B.'}"]
    if SHORTCUT == "deployment_noun_phrases":  # the Verdict line right, then the opposite as which model production
        # runs, with the model as a noun or another subject
        lines += ["", "Conclusion: A is the model to keep; production should stay on A." if metrics["claim_holds"]
                  else "Conclusion: Switch production to B."]
    if SHORTCUT == "comparison_without_rival":  # the Verdict line right, then the opposite as a ranking with no second
        # model named
        lines += ["", f"Conclusion: {'B is a downgrade.' if metrics['claim_holds'] else 'B is an upgrade.'}"]
    if SHORTCUT == "verdict_after_copula":  # the Verdict line right, then the opposite as a ranking noun phrase with
        # the model after the verb
        lines += ["", f"Conclusion: {'The safer choice is A.' if metrics['claim_holds'] else 'The better model is B.'}"]
    if SHORTCUT == "stance_in_other_verbs":  # the Verdict line right, then the opposite as a gain denied with no
        # second model named or a deployment stance in verbs the reader did not know
        lines += ["", "Conclusion: B has no edge.", "Conclusion: Hold off on B."] if metrics["claim_holds"] else \
            ["", "Conclusion: Put B into production.", "Conclusion: Go ahead with the B rollout."]
    if SHORTCUT == "stance_in_more_words":  # the Verdict line right, then the opposite as a stance behind "I think",
        # a vote, a cancelled rollout, a judgement of worth, a hold until B is remade, or B's gain said to survive
        lines += ["", "Conclusion: I think the right call is to keep A.", "Conclusion: My vote goes to A.",
                  "Conclusion: Cancel the B rollout.", "Conclusion: B is not worth shipping.",
                  "Conclusion: Do not ship B until it is retrained."] if metrics["claim_holds"] else \
            ["", "Conclusion: I think the right call is to ship B.", "Conclusion: My vote goes to B.",
             "Conclusion: B is worth shipping.", "Conclusion: B's gain survives leakage removal."]
    if SHORTCUT == "summary_reversed":  # the Verdict line right, then the opposite under a Summary heading
        lines += ["", "## Summary", "", f"The claim {'does not hold' if metrics['claim_holds'] else 'holds'}."]
    (OUTPUT / "audit_note.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
