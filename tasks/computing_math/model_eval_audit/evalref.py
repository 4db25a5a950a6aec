"""The reference audit, computed with numpy/scipy from the arrays the generator wrote.

Contract: ``audit(data, protocol)`` takes the evaluation data exactly as written to the input files
(probabilities as rounded in the CSVs) and the protocol constants, and returns the JSON-ready
reference: the leakage set, per-model metrics, paired bootstrap CIs, McNemar's exact test,
per-subgroup metrics, reliability bins after temperature scaling and the verdict.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import optimize, stats


def leakage(test_sha: list[str], test_simhash: np.ndarray, train_sha: list[str], train_simhash: np.ndarray,
            max_hamming: int) -> dict[str, str]:
    """Map test position (as str) -> "exact" (same content hash as a training item) or "near" (no exact
    match, SimHash within ``max_hamming`` bits of a training item's) for every leaked test item."""
    exact = set(train_sha)
    nearest = np.empty(len(test_simhash), dtype=np.int64)
    for start in range(0, len(test_simhash), 256):
        chunk = test_simhash[start:start + 256, None] ^ train_simhash[None, :]
        nearest[start:start + 256] = np.bitwise_count(chunk).min(axis=1)
    leaked: dict[str, str] = {}
    for i, sha in enumerate(test_sha):
        if sha in exact:
            leaked[str(i)] = "exact"
        elif nearest[i] <= max_hamming:
            leaked[str(i)] = "near"
    return leaked


def macro_f1(y: np.ndarray, pred: np.ndarray, k: int) -> float:
    """Mean over all k classes of 2TP / (2TP + FP + FN)."""
    scores = []
    for c in range(k):
        tp = np.sum((pred == c) & (y == c))
        denom = 2 * tp + np.sum((pred == c) & (y != c)) + np.sum((pred != c) & (y == c))
        scores.append(2 * tp / denom if denom else 0.0)
    return float(np.mean(scores))


def scaled(probs: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(ln p / T)."""
    z = np.log(probs) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(probs: np.ndarray, y: np.ndarray) -> float:
    """The T minimising the mean negative log-likelihood of softmax(ln p / T) on the validation items."""
    def nll(log_t: float) -> float:
        q = scaled(probs, math.exp(log_t))
        return float(-np.mean(np.log(np.clip(q[np.arange(len(y)), y], 1e-300, None))))

    result = optimize.minimize_scalar(nll, bounds=(math.log(0.05), math.log(20.0)), method="bounded",
                                      options={"xatol": 1e-9})
    return math.exp(float(result.x))


def reliability(probs: np.ndarray, y: np.ndarray, bins: int) -> tuple[float, list[dict[str, Any]]]:
    """Top-label ECE over equal-width right-closed confidence bins, and the bins."""
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    index = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        members = index == b
        count = int(members.sum())
        row = {"bin": b + 1, "bin_lower": b / bins, "bin_upper": (b + 1) / bins, "count": count,
               "mean_confidence": None, "accuracy": None}
        if count:
            row["mean_confidence"] = float(conf[members].mean())
            row["accuracy"] = float(correct[members].mean())
            ece += count / len(y) * abs(row["accuracy"] - row["mean_confidence"])
        rows.append(row)
    return ece, rows


def _resample_weights(n: int, replicates: int, seed: int) -> np.ndarray:
    idx = np.random.default_rng(seed).integers(0, n, size=(replicates, n))
    return np.stack([np.bincount(row, minlength=n) for row in idx]).astype(float)


def _macro_f1_weighted(weights: np.ndarray, y: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """Macro-F1 of every resample (a row of item multiplicities), from one product with the per-class
    TP, FP and FN indicators."""
    indicators = np.concatenate([np.stack([(pred == c) & (y == c), (pred == c) & (y != c), (pred != c) & (y == c)],
                                          axis=1) for c in range(k)], axis=1).astype(float)
    counts = (weights @ indicators).reshape(len(weights), k, 3)
    tp, fp, fn = counts[..., 0], counts[..., 1], counts[..., 2]
    denom = 2 * tp + fp + fn
    return np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0).mean(axis=1)


def paired_bootstrap(y: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray, k: int, replicates: int,
                     seed: int) -> dict[str, dict[str, float]]:
    """Percentile 95% CIs of B - A for accuracy and macro-F1, one resample of items shared by both models."""
    weights = _resample_weights(len(y), replicates, seed)
    n = len(y)
    acc = (weights @ (pred_b == y) - weights @ (pred_a == y)) / n
    f1 = _macro_f1_weighted(weights, y, pred_b, k) - _macro_f1_weighted(weights, y, pred_a, k)
    out = {}
    for name, draws in (("accuracy", acc), ("macro_f1", f1)):
        low, high = np.percentile(draws, [2.5, 97.5])
        out[name] = {"ci_low": float(low), "ci_high": float(high), "sd": float(np.std(draws))}
    return out


def mcnemar(y: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray) -> dict[str, Any]:
    """Exact two-sided McNemar test on the discordant pairs."""
    b = int(np.sum((pred_a == y) & (pred_b != y)))
    c = int(np.sum((pred_a != y) & (pred_b == y)))
    p = 1.0 if b + c == 0 else min(1.0, 2 * float(stats.binom.cdf(min(b, c), b + c, 0.5)))
    return {"a_right_b_wrong": b, "a_wrong_b_right": c, "p_value": p}


def verdict(ref: dict[str, Any], protocol: dict[str, Any]) -> dict[str, bool]:
    """Each criterion of the protocol's decision rule, and ``claim_holds`` (all of them)."""
    a, b, d = ref["models"]["A"], ref["models"]["B"], ref["difference"]
    criteria = {
        "accuracy_ci_excludes_zero": d["accuracy"]["ci_low"] > 0,
        "mcnemar_significant": ref["mcnemar"]["p_value"] < protocol["alpha"],
        "macro_f1_higher": d["macro_f1"]["estimate"] > 0,
        "ece_not_worse": b["ece"] <= a["ece"] + protocol["ece_margin"],
        "worst_group_not_worse": b["worst_subgroup_accuracy"] >= a["worst_subgroup_accuracy"] - protocol["worst_group_margin"],
    }
    criteria["claim_holds"] = all(criteria.values())
    return criteria


def audit(data: dict[str, Any], protocol: dict[str, Any], *, remove_leaks: bool = True,
          leaked: dict[str, str] | None = None) -> dict[str, Any]:
    """The full reference (see the module docstring). ``data`` holds the label/prob arrays and hashes;
    ``leaked`` is ``leakage(...)`` when the caller has it already."""
    k = len(data["classes"])
    if leaked is None:
        leaked = leakage(data["test_sha"], data["test_simhash"], data["train_sha"], data["train_simhash"],
                         protocol["max_hamming"])
    keep = np.ones(len(data["test_y"]), dtype=bool)
    if remove_leaks:
        keep[[int(i) for i in leaked]] = False
    y = data["test_y"][keep]
    groups = np.asarray(data["test_group"])[keep]
    models, preds, calibrated = {}, {}, {}
    for m in ("A", "B"):
        probs = data["test_probs"][m][keep]
        pred = probs.argmax(axis=1)
        temperature = fit_temperature(data["val_probs"][m], data["val_y"])
        cal = scaled(probs, temperature)
        ece, bins = reliability(cal, y, protocol["bins"])
        ece_raw, _ = reliability(probs, y, protocol["bins"])
        sub = {}
        for g in sorted(set(groups)):
            sel = groups == g
            sub[g] = {"n": int(sel.sum()), "accuracy": float(np.mean(pred[sel] == y[sel])),
                      "macro_f1": macro_f1(y[sel], pred[sel], k)}
        worst = min(sub, key=lambda g: (sub[g]["accuracy"], g))
        models[m] = {"accuracy": float(np.mean(pred == y)), "macro_f1": macro_f1(y, pred, k),
                     "micro_f1": float(np.mean(pred == y)), "temperature": temperature, "ece": ece,
                     "ece_uncalibrated": ece_raw, "worst_subgroup": worst,
                     "worst_subgroup_accuracy": sub[worst]["accuracy"], "subgroups": sub, "reliability": bins}
        preds[m], calibrated[m] = pred, cal
    boot = paired_bootstrap(y, preds["A"], preds["B"], k, protocol["bootstrap_replicates"], protocol["bootstrap_seed"])
    difference = {
        "accuracy": {"estimate": models["B"]["accuracy"] - models["A"]["accuracy"], **boot["accuracy"]},
        "macro_f1": {"estimate": models["B"]["macro_f1"] - models["A"]["macro_f1"], **boot["macro_f1"]},
        "ece": {"estimate": models["B"]["ece"] - models["A"]["ece"]},
    }
    ref = {"test_items": len(keep), "leaked": leaked,
           "leaked_exact": sum(v == "exact" for v in leaked.values()),
           "leaked_near": sum(v == "near" for v in leaked.values()),
           "evaluated_items": int(keep.sum()), "models": models, "difference": difference,
           "mcnemar": mcnemar(y, preds["A"], preds["B"])}
    ref["criteria"] = verdict(ref, protocol)
    ref["claim_holds"] = ref["criteria"]["claim_holds"]
    return ref
