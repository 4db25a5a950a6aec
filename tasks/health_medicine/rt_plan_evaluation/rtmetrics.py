"""Dose-volume metrics on voxel masks (the grader's independent computation)."""

from __future__ import annotations

import re

import numpy as np


def dose_at_volume(doses: np.ndarray, pct: float) -> float:
    """D<pct>%: the dose that at least pct % of the structure's volume receives."""
    return float(np.percentile(doses, 100.0 - pct))


def metric(dose: np.ndarray, mask: np.ndarray, name: str) -> float:
    """Dmean, Dmax (Gy), D<x>% (Gy), V<x>Gy (% volume)."""
    d = dose[mask]
    if name == "Dmean":
        return float(d.mean())
    if name == "Dmax":
        return float(d.max())
    if m := re.fullmatch(r"D(\d+(?:\.\d+)?)%", name):
        return dose_at_volume(d, float(m.group(1)))
    if m := re.fullmatch(r"V(\d+(?:\.\d+)?)Gy", name):
        return float(100.0 * np.mean(d >= float(m.group(1)) - 1e-9))
    raise ValueError(f"unknown metric {name}")


def unit(name: str) -> str:
    return "%" if name.startswith("V") else "Gy"


def target_metrics(dose: np.ndarray, ptv: np.ndarray, rx: float) -> dict[str, float]:
    """PTV D98/D95/D50/D2 (Gy), Paddick conformity index and ICRU-83 homogeneity index."""
    d = dose[ptv]
    d98, d95, d50, d2 = (dose_at_volume(d, p) for p in (98, 95, 50, 2))
    tv = ptv.sum()
    piv = (dose >= rx).sum()
    tv_piv = (d >= rx).sum()
    paddick = float(tv_piv ** 2 / (tv * piv)) if piv else 0.0
    return {"D98": d98, "D95": d95, "D50": d50, "D2": d2, "paddick_ci": paddick, "hi": (d2 - d98) / d50}


def cumulative_dvh(dose: np.ndarray, mask: np.ndarray, levels: np.ndarray) -> np.ndarray:
    d = dose[mask]
    return np.array([100.0 * np.mean(d >= lv) for lv in levels])
