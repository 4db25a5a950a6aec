"""How much of the spread of pass rates comes from the model and how much from the harness.

An agent configuration named ``harness:model`` (split at the first colon: ``llm:gpt-x`` is harness
``llm``, model ``gpt-x``) is a cell of a harness x model table; names without a colon (``oracle``,
``nop``) stay out. The per-configuration pass rates y[h, m] are fitted with the additive two-way model

    y[h, m] = mu + a[h] + b[m] + e[h, m]

* Complete grid (every harness with every model): the classic two-way ANOVA without replication;
  the crossed random-effects variances by the method of moments, var(harness) = max(0,
  (MS_h - MS_e) / M), var(model) = max(0, (MS_m - MS_e) / H), var(residual) = MS_e; ``share`` is
  each variance over their sum. The residual (harness x model interaction plus measurement noise)
  is split using the sampling variance of each pass rate, read from its interval as
  ((high - low) / (2 z))^2: ``noise`` is their mean and ``interaction`` what remains (at least 0).
* Incomplete grid: least squares on the cells present; sums of squares of type II (each factor
  after the other) and ``share`` = its sum of squares over the total; no variance components.
* ``share_ci``: the percentile interval of the share when the whole fit is repeated on each
  resample of the instance bootstrap (the same resamples as the leaderboard). It describes the
  measurement uncertainty of the shares for these harnesses and models, not what other harnesses
  or models would show.
* The design cannot separate harness from model (``separable`` false, no components, ``note`` says
  why) with fewer than two harnesses or two models, when the cells are confounded (the grid falls
  apart into blocks that share no harness and no model, so a harness difference cannot be told from a
  model difference), or when no residual degree of freedom is left.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from pydantic import BaseModel, Field
from scipy.stats import norm

from lastexam.analysis.leaderboard import Interval, RateRow
from lastexam.analysis.stats import percentile_interval


class VarianceComponent(BaseModel):
    source: str
    sum_sq: float | None = None
    df: int | None = None
    mean_sq: float | None = None
    variance: float | None = None
    share: float | None = None
    share_ci: Interval | None = Field(None, description="bootstrap interval of the share over instances")


class VarianceDecomposition(BaseModel):
    harnesses: list[str]
    models: list[str]
    cells: int
    balanced: bool
    method: str
    components: list[VarianceComponent]
    separable: bool = True
    note: str = ""


def split_agent(agent: str) -> tuple[str, str] | None:
    """(harness, model) of ``harness:model``; None for a name without a colon or with an empty part."""
    harness, sep, model = agent.partition(":")
    return (harness, model) if sep and harness and model else None


def _residual_maker(design: np.ndarray) -> np.ndarray:
    """I - X X^+: applied to y it gives the least-squares residuals of y on the columns of X."""
    return np.eye(design.shape[0]) - design @ np.linalg.pinv(design)


def _rss(maker: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Residual sum of squares of each row of ``y`` (rows: resamples, columns: cells)."""
    return np.einsum("ri,ij,rj->r", y, maker, y)


class _Design:
    """The additive two-way design of the cells present, fitted to many rows of pass rates at once."""

    def __init__(self, harness_index: np.ndarray, model_index: np.ndarray, harnesses: int, models: int) -> None:
        n = len(harness_index)
        ones = np.ones((n, 1))
        h = (harness_index[:, None] == np.arange(1, harnesses)[None, :]).astype(float)
        m = (model_index[:, None] == np.arange(1, models)[None, :]).astype(float)
        full = np.hstack([ones, h, m])
        self.rank = int(np.linalg.matrix_rank(full))
        self.full, self.without_h, self.without_m = (_residual_maker(full), _residual_maker(np.hstack([ones, m])),
                                                     _residual_maker(np.hstack([ones, h])))
        self.harnesses, self.models, self.n = harnesses, models, n
        self.df = (harnesses - 1, models - 1, n - (harnesses + models - 1))
        self.balanced = n == harnesses * models

    def sums_of_squares(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(SS harness, SS model, SS residual, SS total) per row of ``y``, type II."""
        residual = _rss(self.full, y)
        total = ((y - y.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
        return _rss(self.without_h, y) - residual, _rss(self.without_m, y) - residual, residual, total

    def shares(self, y: np.ndarray) -> np.ndarray:
        """Shares of harness, model and residual per row of ``y`` (rows x 3): variance components for a
        complete grid, sums of squares otherwise; NaN where the total is 0."""
        ss_h, ss_m, ss_e, ss_total = self.sums_of_squares(y)
        if self.balanced:
            ms_h, ms_m, ms_e = ss_h / self.df[0], ss_m / self.df[1], ss_e / self.df[2]
            parts = np.column_stack([np.maximum(0, (ms_h - ms_e) / self.models),
                                     np.maximum(0, (ms_m - ms_e) / self.harnesses), ms_e])
            total = parts.sum(axis=1)
        else:
            parts, total = np.column_stack([ss_h, ss_m, ss_e]), ss_total
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total[:, None] > 1e-15, parts / np.where(total > 1e-15, total, 1)[:, None], np.nan)


def _unseparable(harnesses: list[str], models: list[str], n: int, design: _Design | None) -> str | None:
    """Why this design cannot separate harness from model, or None when it can."""
    if len(harnesses) < 2 or len(models) < 2:
        return (f"the design cannot separate harness from model: fewer than 2 harnesses or fewer than 2 models "
                f"({len(harnesses)} x {len(models)}); run each model under at least two harnesses")
    if design is not None and design.rank < len(harnesses) + len(models) - 1:
        return ("the design cannot separate harness from model: the cells are confounded (groups of harnesses "
                "ran disjoint groups of models, so a harness difference looks exactly like a model difference); "
                "run at least one model under harnesses from every group")
    if design is not None and design.df[2] < 1:
        return (f"the design cannot separate harness from model: {n} configurations leave no residual degree of "
                "freedom (every configuration is fitted exactly); add configurations to complete the grid")
    return None


def decompose(rows: list[RateRow], samples: Mapping[str, np.ndarray] | None = None,
              confidence: float = 0.95) -> VarianceDecomposition | None:
    """Decompose the spread of the overall pass rates of ``rows``; ``samples`` gives each agent's bootstrap
    pass rates (``leaderboard.pass_rate_samples``) for the intervals of the shares. None with fewer than two
    ``harness:model`` configurations; a decomposition with ``separable`` false when the design cannot
    separate the two."""
    cells = {}
    for row in rows:
        parts = split_agent(row.agent)
        if parts and row.trials:
            cells[parts] = row
    if len(cells) < 2:
        return None
    harnesses = sorted({h for h, _ in cells})
    models = sorted({m for _, m in cells})
    keys = sorted(cells)
    n = len(keys)
    design = None
    if len(harnesses) >= 2 and len(models) >= 2:
        design = _Design(np.array([harnesses.index(h) for h, _ in keys]), np.array([models.index(m) for _, m in keys]),
                         len(harnesses), len(models))
    reason = _unseparable(harnesses, models, n, design)
    if reason is not None or design is None:
        return VarianceDecomposition(harnesses=harnesses, models=models, cells=n, balanced=n == len(harnesses) * len(models),
                                     method="none", components=[], separable=False, note=reason or "")
    y = np.array([[cells[k].pass_rate for k in keys]])
    (ss_h,), (ss_m,), (ss_e,), _ = design.sums_of_squares(y)
    share_h, share_m, share_e = design.shares(y)[0]
    intervals: list[Interval | None] = [None, None, None]
    if samples is not None:
        bootstrap = np.column_stack([samples[f"{h}:{m}"] for h, m in keys])
        intervals = [(round(float(low), 6), round(float(high), 6)) if not np.isnan(low) else None
                     for low, high in percentile_interval(design.shares(bootstrap), confidence)]
    df_h, df_m, df_e = design.df
    ms_h, ms_m, ms_e = ss_h / df_h, ss_m / df_m, ss_e / df_e

    def share(value: float) -> float | None:
        return None if np.isnan(value) else float(value)

    note = (f"shares with {confidence:.0%} intervals from the instance bootstrap (measurement uncertainty for these "
            "harnesses and models)")
    if df_e == 1:
        note += "; only one residual degree of freedom: the split is very uncertain, read the intervals"
    if not design.balanced:
        components = [
            VarianceComponent(source="harness", sum_sq=ss_h, df=df_h, mean_sq=ms_h, share=share(share_h),
                              share_ci=intervals[0]),
            VarianceComponent(source="model", sum_sq=ss_m, df=df_m, mean_sq=ms_m, share=share(share_m),
                              share_ci=intervals[1]),
            VarianceComponent(source="residual", sum_sq=ss_e, df=df_e, mean_sq=ms_e, share=share(share_e),
                              share_ci=intervals[2]),
        ]
        return VarianceDecomposition(harnesses=harnesses, models=models, cells=n, balanced=False,
                                     method="additive least squares, type II sums of squares", components=components,
                                     note=note)
    var_h, var_m, var_e = max(0.0, (ms_h - ms_e) / len(models)), max(0.0, (ms_m - ms_e) / len(harnesses)), ms_e
    z = float(norm.ppf(0.5 + confidence / 2))
    noise = float(np.mean([((cells[k].pass_rate_ci[1] - cells[k].pass_rate_ci[0]) / (2 * z)) ** 2 for k in keys]))
    total = var_h + var_m + var_e

    def share_of(value: float) -> float | None:
        return value / total if total > 0 else None

    components = [
        VarianceComponent(source="harness", sum_sq=ss_h, df=df_h, mean_sq=ms_h, variance=var_h, share=share(share_h),
                          share_ci=intervals[0]),
        VarianceComponent(source="model", sum_sq=ss_m, df=df_m, mean_sq=ms_m, variance=var_m, share=share(share_m),
                          share_ci=intervals[1]),
        VarianceComponent(source="residual", sum_sq=ss_e, df=df_e, mean_sq=ms_e, variance=var_e,
                          share=share(share_e), share_ci=intervals[2]),
        VarianceComponent(source="interaction", variance=max(0.0, var_e - noise), share=share_of(max(0.0, var_e - noise))),
        VarianceComponent(source="noise", variance=min(noise, var_e), share=share_of(min(noise, var_e))),
    ]
    return VarianceDecomposition(harnesses=harnesses, models=models, cells=n, balanced=True,
                                 method="two-way ANOVA without replication, crossed random effects by moments",
                                 components=components, note=note)
