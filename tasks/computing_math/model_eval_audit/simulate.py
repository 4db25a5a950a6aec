"""Synthesis of one evaluation pool: items, training-set index, and two models' predicted probabilities.

Contract: ``simulate(scenario, classes, rng)`` returns a dict of arrays (see ``evalref.audit``) plus the
row data the generator writes. The models are simulated from a latent score: for an item of class y,
model m's evidence is ``skill * e_y`` plus noise shared by both models (the same hard items) and noise of
its own; its reported logits are that evidence times ``skill * overconfidence`` (so the temperature that
calibrates it is near ``overconfidence``). Model B has memorised most test items that leaked from its
training data, which it answers right and confidently.
"""

from __future__ import annotations

from typing import Any

import numpy as np

SCENARIOS: dict[str, dict[str, Any]] = {
    # claim holds: B is better, leakage is small and does not change the verdict
    "moderation": {
        "n_test": 2400, "n_val": 1200, "n_train": 16000, "prior": [0.78, 0.22],
        "groups": {"no_identity_term": 0.52, "gender": 0.16, "religion": 0.12, "race_ethnicity": 0.12,
                   "disability": 0.08},
        "group_skill": {"disability": 0.82, "religion": 0.92},
        "skill": {"A": 1.55, "B": 1.85}, "overconfidence": {"A": 1.45, "B": 1.8},
        "leak_exact": 34, "leak_near": 26, "decoys": 40, "memorised": 0.9,
        "model_names": {"A": "tox-bert-prod-2026-05", "B": "tox-deberta-ft-2026-11"},
    },
    # the claim only holds on the leaky test set: B's gain is its memorised leaked items
    "routing": {
        "n_test": 2800, "n_val": 1200, "n_train": 20000, "prior": [0.4, 0.3, 0.19, 0.11],
        "groups": {"en": 0.48, "de": 0.16, "fr": 0.13, "es": 0.13, "pt": 0.10},
        "group_skill": {"pt": 0.86, "fr": 0.94},
        "skill": {"A": 1.9, "B": 1.87}, "overconfidence": {"A": 1.3, "B": 1.6},
        "leak_exact": 250, "leak_near": 200, "decoys": 60, "memorised": 0.97,
        "model_names": {"A": "router-xlmr-prod-2026-04", "B": "router-xlmr-ft-2026-11"},
    },
    # B is better and, once both are temperature-scaled, calibrated as well as A; raw, it looks far worse
    "triage": {
        "n_test": 2200, "n_val": 1400, "n_train": 14000, "prior": [0.33, 0.24, 0.17, 0.1, 0.06, 0.1],
        "groups": {"CT": 0.34, "MR": 0.22, "XR": 0.30, "US": 0.14},
        "group_skill": {"US": 0.85, "XR": 0.95},
        "skill": {"A": 2.1, "B": 2.45}, "overconfidence": {"A": 1.12, "B": 2.6},
        "leak_exact": 30, "leak_near": 24, "decoys": 40, "memorised": 0.9,
        "model_names": {"A": "triage-clinicalbert-prod-2026-03", "B": "triage-llm-distil-ft-2026-11"},
    },
}
SHARED = 0.6  # share of the noise variance both models see (hard items are hard for both)


def _hex(rng: np.random.Generator, n: int, nbytes: int) -> list[str]:
    return [bytes(row).hex() for row in rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)]


def _flip(rng: np.random.Generator, value: int, bits: int) -> int:
    for bit in rng.choice(64, size=bits, replace=False):
        value ^= 1 << int(bit)
    return value


def _probs(logits: np.ndarray) -> np.ndarray:
    """Softmax, floored at 1e-6 and rounded to 6 decimals as the export writes, without ties at the top."""
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    p = np.clip(p, 1e-6, None)
    p /= p.sum(axis=1, keepdims=True)
    p = np.round(p, 6)
    p = np.maximum(p, 1e-6)
    # a top probability on a bin edge (k/15) would put the item's bin at the mercy of float rounding
    top_at = np.argmax(p, axis=1)
    rows = np.arange(len(p))
    on_edge = np.abs(p[rows, top_at] * 15 - np.round(p[rows, top_at] * 15)) < 1e-7
    p[rows[on_edge], top_at[on_edge]] += 1e-6
    top = np.sort(p, axis=1)
    ties = top[:, -1] == top[:, -2]
    for i in np.flatnonzero(ties):
        j = int(np.argmax(p[i]))
        p[i, j] += 1e-6
    return p


def _model_logits(rng: np.random.Generator, y: np.ndarray, skill: np.ndarray, shared: np.ndarray,
                  overconfidence: float) -> np.ndarray:
    k = shared.shape[1]
    evidence = skill[:, None] * np.eye(k)[y] + np.sqrt(SHARED) * shared + \
        np.sqrt(1 - SHARED) * rng.standard_normal(shared.shape)
    return evidence * skill[:, None] * overconfidence


def simulate(scenario: str, classes: list[str], rng: np.random.Generator) -> dict[str, Any]:
    """One evaluation pool for ``scenario`` (see the module docstring)."""
    cfg = SCENARIOS[scenario]
    k = len(classes)
    groups = list(cfg["groups"])
    n_test, n_val, n_train = cfg["n_test"], cfg["n_val"], cfg["n_train"]

    train_sha = _hex(rng, n_train, 32)
    train_sim = [int(v) for v in rng.integers(0, 2**64, size=n_train, dtype=np.uint64)]

    test_sha = _hex(rng, n_test, 32)
    test_sim = [int(v) for v in rng.integers(0, 2**64, size=n_test, dtype=np.uint64)]
    chosen = rng.choice(n_test, size=cfg["leak_exact"] + cfg["leak_near"] + cfg["decoys"], replace=False)
    sources = rng.choice(n_train, size=len(chosen), replace=False)
    planted: dict[int, str] = {}
    for rank, (i, src) in enumerate(zip(chosen, sources, strict=True)):
        i, src = int(i), int(src)
        if rank < cfg["leak_exact"]:
            test_sha[i], test_sim[i] = train_sha[src], train_sim[src]
            planted[i] = "exact"
        elif rank < cfg["leak_exact"] + cfg["leak_near"]:
            # re-posted with small edits; a fifth sit exactly on the rule's 3-bit boundary
            bits = 3 if rank % 5 == 0 else int(rng.integers(0, 3)) + 1
            test_sim[i] = _flip(rng, train_sim[src], bits)
            planted[i] = "near"
        else:
            test_sim[i] = _flip(rng, train_sim[src], 4 if rank % 3 == 0 else int(rng.integers(4, 8)))

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.choice(k, size=n, p=cfg["prior"])
        g = rng.choice(len(groups), size=n, p=list(cfg["groups"].values()))
        return y, g

    test_y, test_g = draw(n_test)
    val_y, val_g = draw(n_val)
    probs: dict[str, dict[str, np.ndarray]] = {"test": {}, "val": {}}
    leaked_mask = np.zeros(n_test, dtype=bool)
    leaked_mask[list(planted)] = True
    for split, y, g in (("test", test_y, test_g), ("val", val_y, val_g)):
        shared = rng.standard_normal((len(y), k))
        factor = np.array([cfg["group_skill"].get(groups[j], 1.0) for j in g])
        for m in ("A", "B"):
            logits = _model_logits(rng, y, cfg["skill"][m] * factor, shared, cfg["overconfidence"][m])
            if m == "B" and split == "test":
                memorised = leaked_mask & (rng.random(len(y)) < cfg["memorised"])
                logits[memorised] = 0.0
                logits[memorised, y[memorised]] = 6.0 + rng.random(int(memorised.sum()))
            probs[split][m] = _probs(logits)
    return {
        "classes": classes, "groups": groups, "planted": planted,
        "train_sha": train_sha, "train_simhash": np.array(train_sim, dtype=np.uint64),
        "test_sha": test_sha, "test_simhash": np.array(test_sim, dtype=np.uint64),
        "test_y": test_y, "test_group": [groups[j] for j in test_g],
        "val_y": val_y, "val_group": [groups[j] for j in val_g],
        "test_probs": probs["test"], "val_probs": probs["val"],
    }
