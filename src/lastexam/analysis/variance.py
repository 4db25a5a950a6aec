"""How much of the spread of pass rates comes from the model and how much from the harness.

An agent configuration named ``harness:model`` (split at the first colon: ``llm:gpt-x`` is harness
``llm``, model ``gpt-x``) is a cell of a harness x model table; names without a colon (``oracle``,
``nop``) stay out. With at least two harnesses and two models and a residual degree of freedom,
the per-configuration pass rates y[h, m] are fitted with the additive two-way model

    y[h, m] = mu + a[h] + b[m] + e[h, m]

* Complete grid (every harness with every model): the classic two-way ANOVA without replication;
  the crossed random-effects variances by the method of moments, var(harness) = max(0,
  (MS_h - MS_e) / M), var(model) = max(0, (MS_m - MS_e) / H), var(residual) = MS_e; ``share`` is
  each variance over their sum. The residual (harness x model interaction plus measurement noise)
  is split using the sampling variance of each pass rate, read from its bootstrap interval as
  ((high - low) / (2 z))^2: ``noise`` is their mean and ``interaction`` what remains (at least 0).
* Incomplete grid: least squares on the cells present; sums of squares of type II (each factor
  after the other) and ``share`` = its sum of squares over the total; no variance components.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel
from scipy.stats import norm

from lastexam.analysis.leaderboard import RateRow


class VarianceComponent(BaseModel):
    source: str
    sum_sq: float | None = None
    df: int | None = None
    mean_sq: float | None = None
    variance: float | None = None
    share: float | None = None


class VarianceDecomposition(BaseModel):
    harnesses: list[str]
    models: list[str]
    cells: int
    balanced: bool
    method: str
    components: list[VarianceComponent]


def split_agent(agent: str) -> tuple[str, str] | None:
    """(harness, model) of ``harness:model``; None for a name without a colon or with an empty part."""
    harness, sep, model = agent.partition(":")
    return (harness, model) if sep and harness and model else None


def _rss(design: np.ndarray, y: np.ndarray) -> float:
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(((y - design @ coef) ** 2).sum())


def decompose(rows: list[RateRow], confidence: float = 0.95) -> VarianceDecomposition | None:
    """Decompose the spread of the overall pass rates of ``rows``; None when the matrix does not cross
    at least two harnesses with two models leaving a residual degree of freedom."""
    cells = {}
    for row in rows:
        parts = split_agent(row.agent)
        if parts and row.trials:
            cells[parts] = row
    harnesses = sorted({h for h, _ in cells})
    models = sorted({m for _, m in cells})
    h_count, m_count, n = len(harnesses), len(models), len(cells)
    if h_count < 2 or m_count < 2 or n - (h_count + m_count - 1) < 1:
        return None
    keys = sorted(cells)
    y = np.array([cells[k].pass_rate for k in keys])
    hi = np.array([harnesses.index(h) for h, _ in keys])
    mi = np.array([models.index(m) for _, m in keys])
    ones = np.ones((n, 1))
    h_dummies = (hi[:, None] == np.arange(1, h_count)[None, :]).astype(float)
    m_dummies = (mi[:, None] == np.arange(1, m_count)[None, :]).astype(float)
    rss_full = _rss(np.hstack([ones, h_dummies, m_dummies]), y)
    ss_h = _rss(np.hstack([ones, m_dummies]), y) - rss_full
    ss_m = _rss(np.hstack([ones, h_dummies]), y) - rss_full
    ss_total = float(((y - y.mean()) ** 2).sum())
    df_h, df_m, df_e = h_count - 1, m_count - 1, n - (h_count + m_count - 1)
    balanced = n == h_count * m_count
    ms_h, ms_m, ms_e = ss_h / df_h, ss_m / df_m, rss_full / df_e
    if not balanced:

        def share(ss: float) -> float | None:
            return ss / ss_total if ss_total > 0 else None

        components = [
            VarianceComponent(source="harness", sum_sq=ss_h, df=df_h, mean_sq=ms_h, share=share(ss_h)),
            VarianceComponent(source="model", sum_sq=ss_m, df=df_m, mean_sq=ms_m, share=share(ss_m)),
            VarianceComponent(source="residual", sum_sq=rss_full, df=df_e, mean_sq=ms_e, share=share(rss_full)),
        ]
        return VarianceDecomposition(harnesses=harnesses, models=models, cells=n, balanced=False,
                                     method="additive least squares, type II sums of squares", components=components)
    var_h, var_m, var_e = max(0.0, (ms_h - ms_e) / m_count), max(0.0, (ms_m - ms_e) / h_count), ms_e
    z = float(norm.ppf(0.5 + confidence / 2))
    noise = float(np.mean([((cells[k].pass_rate_ci[1] - cells[k].pass_rate_ci[0]) / (2 * z)) ** 2 for k in keys]))
    total = var_h + var_m + var_e

    def share_of(value: float) -> float | None:
        return value / total if total > 0 else None

    components = [
        VarianceComponent(source="harness", sum_sq=ss_h, df=df_h, mean_sq=ms_h, variance=var_h, share=share_of(var_h)),
        VarianceComponent(source="model", sum_sq=ss_m, df=df_m, mean_sq=ms_m, variance=var_m, share=share_of(var_m)),
        VarianceComponent(source="residual", sum_sq=rss_full, df=df_e, mean_sq=ms_e, variance=var_e,
                          share=share_of(var_e)),
        VarianceComponent(source="interaction", variance=max(0.0, var_e - noise), share=share_of(max(0.0, var_e - noise))),
        VarianceComponent(source="noise", variance=min(noise, var_e), share=share_of(min(noise, var_e))),
    ]
    return VarianceDecomposition(harnesses=harnesses, models=models, cells=n, balanced=True,
                                 method="two-way ANOVA without replication, crossed random effects by moments",
                                 components=components)
