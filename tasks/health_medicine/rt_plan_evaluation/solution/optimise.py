"""Forward planning of beam weights.

Minimise the priority organ's mean dose with the PTV normalised to D95 = Rx, subject to PTV D98 >= 95 % Rx,
PTV D2 <= 107 % Rx and every other organ constraint (Dmax, Dmean, V<x>Gy). Weights are squares of free
variables (non-negative); a penalised Nelder-Mead from several starts, the best one polished.
"""

from __future__ import annotations

import re

import numpy as np
from scipy.optimize import minimize


def normalised(w: np.ndarray, ptv_doses: np.ndarray, rx: float) -> np.ndarray:
    return w * (rx / np.percentile(w @ ptv_doses, 5.0))


def organ_value(d: np.ndarray, metric: str) -> float:
    if metric == "Dmean":
        return float(d.mean())
    if metric == "Dmax":
        return float(d.max())
    level = float(re.fullmatch(r"V(\d+(?:\.\d+)?)Gy", metric).group(1))
    return float(100.0 * np.mean(d >= level))


def optimise(ptv_doses: np.ndarray, priority: np.ndarray, rx: float, constraints: list[tuple[np.ndarray, str, float]],
             hot: float = 1.07, cold: float = 0.95, margin: float = 0.004, seed: int = 0) -> np.ndarray:
    """ptv_doses: beams x PTV voxels (Gy per unit weight); priority: beams x voxels of the organ whose mean is
    minimised; constraints: (beams x voxels, metric, limit) per organ constraint."""
    n = ptv_doses.shape[0]
    priority_mean = priority.mean(axis=1)

    def weights(x: np.ndarray) -> np.ndarray:
        return normalised(x ** 2 + 1e-9, ptv_doses, rx)

    def cost(x: np.ndarray) -> float:
        w = weights(x)
        d = w @ ptv_doses
        excess = max(0.0, np.percentile(d, 98.0) / rx - (hot - margin)) + max(0.0, (cold + margin) - np.percentile(d, 2.0) / rx)
        for doses, metric, limit in constraints:
            excess += max(0.0, organ_value(w @ doses, metric) / limit - (1 - 2 * margin))
        return float(w @ priority_mean) / rx + 200.0 * excess + 1e4 * excess ** 2

    rng = np.random.default_rng(seed)
    starts = [np.ones(n)] + [np.where(np.arange(n) == i, 0.4, 1.0) for i in range(n)]
    starts += [rng.uniform(0.2, 1.0, n) for _ in range(6)]
    best = None
    for x0 in starts:
        res = minimize(cost, x0, method="Nelder-Mead", options={"maxiter": 2500, "xatol": 1e-4, "fatol": 1e-7})
        if best is None or res.fun < best.fun:
            best = res
    for _ in range(3):
        res = minimize(cost, best.x, method="Nelder-Mead", options={"maxiter": 3000, "xatol": 1e-5, "fatol": 1e-9})
        if res.fun < best.fun - 1e-9:
            best = res
        else:
            break
    return weights(best.x)
