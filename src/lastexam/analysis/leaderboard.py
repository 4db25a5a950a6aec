"""The leaderboard: per agent configuration, full-pass rate and mean score with bootstrap intervals,
overall and by tier, cluster and subdomain, and pass@k / pass^k when there are several epochs.

Definitions (every figure over graded trials; cancelled trials are left out, and infrastructure
errors are counted apart, never as the agent's failure, and shown beside every row as an ``InfraShare``,
flagged above 2%; with ``strict`` they count as failed trials with score 0 instead):

* ``pass_rate`` is the mean over instances of the fraction of the instance's epochs that fully
  passed (each instance weighs the same however many epochs it has); ``mean_score`` likewise.
* ``pass_rate_ci`` / ``mean_score_ci`` are percentile intervals from ``InstanceBootstrap``
  (instances resampled, epochs kept together). The percentile bootstrap under-covers with fewer than
  ``MIN_RELIABLE_INSTANCES`` instances and near the boundary (fewer than ``BOUNDARY_COUNT`` expected
  passes or failures: rate x instances or (1 - rate) x instances), and collapses to a point when every
  instance agrees (all pass, all fail); in each of these cases the interval is widened to contain the
  Wilson interval over instances (the rate times the instance count as successes): the *boundary floor*.
  Rows with few instances are flagged ``few_instances``.
* ``pass@k`` / ``pass^k`` are the unbiased per-instance estimators averaged over the instances
  with at least k graded epochs; their intervals are the same instance bootstrap with the same
  boundary floor (so pass@1 over complete epochs has the pass rate's interval).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from lastexam.analysis.dataset import InstanceMatrix, cells_from_rows
from lastexam.analysis.infra import InfraShare, infra_shares
from lastexam.analysis.stats import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    InstanceBootstrap,
    Rows,
    pass_at_k,
    pass_hat_k,
    percentile_interval,
    ratio_samples,
    wilson_interval,
)

GROUPINGS = ("tier", "cluster", "subdomain")
MIN_RELIABLE_INSTANCES = 10
BOUNDARY_COUNT = 5
Interval = tuple[float, float]
INTERVAL_METHOD = (f"percentile bootstrap over instances (epochs kept together), widened to the Wilson interval "
                   f"over instances under {MIN_RELIABLE_INSTANCES} instances, under {BOUNDARY_COUNT} expected passes "
                   "or failures, or when the bootstrap collapses to a point; the same for pass rates, mean scores, "
                   "pass@k and pass^k")


class RateRow(BaseModel):
    """One agent (optionally within one group): graded trials, full passes, rates and their intervals."""

    agent: str
    group: str | None = None
    trials: int = Field(description="graded trials")
    passed: int = Field(description="graded trials that fully passed")
    pass_rate: float
    pass_rate_ci: Interval
    mean_score: float
    infra: InfraShare = Field(default_factory=InfraShare, description="infrastructure errors left after retries")
    instances: int = 0
    epochs: int = Field(0, description="most graded epochs of any one instance")
    mean_score_ci: Interval = (0.0, 1.0)
    few_instances: bool = False


class PassAtK(BaseModel):
    """pass@k (at least one of k epochs passes) and pass^k (all k pass) for one agent."""

    agent: str
    k: int
    instances: int = Field(description="instances with at least k graded epochs")
    pass_at_k: float
    pass_at_k_ci: Interval
    pass_hat_k: float
    pass_hat_k_ci: Interval


class Leaderboard(BaseModel):
    leaderboard: list[RateRow]
    by_tier: list[RateRow]
    by_cluster: list[RateRow]
    by_subdomain: list[RateRow] = Field(default_factory=list)
    pass_at_k: list[PassAtK] = Field(default_factory=list)
    confidence: float = 0.95
    resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED
    strict: bool = Field(False, description="infrastructure errors counted as failed trials (score 0)")
    interval_method: str = INTERVAL_METHOD


def _interval(row: np.ndarray) -> Interval:
    low, high = (float(v) for v in row)
    return (0.0, 1.0) if np.isnan(low) else (round(low, 6), round(high, 6))


def _guarded(bootstrap: np.ndarray, estimate: float, instances: int, confidence: float) -> Interval:
    """The bootstrap interval with the boundary floor: widened to the Wilson interval over instances when
    there are few of them, when fewer than ``BOUNDARY_COUNT`` passes or failures are expected, or when the
    bootstrap has collapsed to a point (20 passes out of 20 do not prove a rate of 1)."""
    if instances == 0:
        return (0.0, 1.0)
    low, high = _interval(bootstrap)
    if (instances < MIN_RELIABLE_INSTANCES or low == high
            or min(estimate, 1.0 - estimate) * instances < BOUNDARY_COUNT):
        w_low, w_high = wilson_interval(estimate * instances, instances, confidence)
        low, high = min(low, round(w_low, 6)), max(high, round(w_high, 6))
    return (low, high)


def _as_slice(index: np.ndarray) -> Rows:
    """A contiguous ascending index as a slice (no copy when selecting columns), else the index itself."""
    if len(index) and index[-1] - index[0] + 1 == len(index) and np.all(np.diff(index) == 1):
        return slice(int(index[0]), int(index[-1]) + 1)
    return index


def _rate_jobs(matrix: InstanceMatrix) -> np.ndarray:
    """Per instance, for every agent: [pass fraction, mean score, ran] (instances x 3 agents)."""
    ran = matrix.ran.astype(np.float64)
    return np.hstack([matrix.per_instance(matrix.passes).T, matrix.per_instance(matrix.score_sum).T, ran.T])


def _rate_rows(matrix: InstanceMatrix, rows: Rows, samples: np.ndarray, group: str | None,
               infra: Mapping[str, InfraShare], confidence: float) -> list[RateRow]:
    a = len(matrix.agents)
    cols = slice(None) if rows is None else rows
    epochs, passes = matrix.epochs[:, cols], matrix.passes[:, cols]
    ran = epochs > 0
    pass_frac = matrix.per_instance(matrix.passes)[:, cols]
    score_frac = matrix.per_instance(matrix.score_sum)[:, cols]
    pass_ci = percentile_interval(ratio_samples(samples[:, :a], samples[:, 2 * a:]), confidence)
    score_ci = percentile_interval(ratio_samples(samples[:, a:2 * a], samples[:, 2 * a:]), confidence)
    out = []
    for j, agent in enumerate(matrix.agents):
        n_inst = int(ran[j].sum())
        share = infra.get(agent, InfraShare())
        if n_inst == 0 and not share.errors:
            continue
        pass_rate = float(pass_frac[j][ran[j]].mean()) if n_inst else 0.0
        mean_score = float(score_frac[j][ran[j]].mean()) if n_inst else 0.0
        out.append(RateRow(
            agent=agent, group=group, trials=int(epochs[j].sum()), passed=int(passes[j].sum()),
            pass_rate=pass_rate, pass_rate_ci=_guarded(pass_ci[j], pass_rate, n_inst, confidence),
            mean_score=mean_score, mean_score_ci=_guarded(score_ci[j], mean_score, n_inst, confidence),
            infra=share, instances=n_inst, epochs=int(epochs[j].max(initial=0)),
            few_instances=n_inst < MIN_RELIABLE_INSTANCES,
        ))
    return out


def pass_at_k_rows(matrix: InstanceMatrix, boot: InstanceBootstrap, confidence: float = 0.95) -> list[PassAtK]:
    """pass@k and pass^k of every agent for k = 1 .. most epochs (powers of two beyond 10), with intervals;
    none when no instance has two epochs."""
    max_epochs = int(matrix.epochs.max(initial=0))
    if max_epochs < 2:
        return []
    ks = list(range(1, max_epochs + 1)) if max_epochs <= 10 else sorted({1, 2, 4, 8, 16, 32, 64, max_epochs} &
                                                                          set(range(1, max_epochs + 1)))
    a = len(matrix.agents)
    estimates = {k: (pass_at_k(matrix.epochs, matrix.passes, k), pass_hat_k(matrix.epochs, matrix.passes, k))
                 for k in ks}
    blocks = []
    for k, (at, hat) in estimates.items():
        blocks += [np.nan_to_num(at).T, np.nan_to_num(hat).T, (matrix.epochs >= k).astype(np.float64).T]
    (samples,) = boot.weighted_sums([(None, np.hstack(blocks))])
    out = []
    for index, k in enumerate(ks):
        base = index * 3 * a
        at, hat = estimates[k]
        denominator = samples[:, base + 2 * a:base + 3 * a]
        at_ci = percentile_interval(ratio_samples(samples[:, base:base + a], denominator), confidence)
        hat_ci = percentile_interval(ratio_samples(samples[:, base + a:base + 2 * a], denominator), confidence)
        for j, agent in enumerate(matrix.agents):
            n = int((matrix.epochs[j] >= k).sum())
            if n:
                at_k, hat_k = float(np.nanmean(at[j])), float(np.nanmean(hat[j]))
                out.append(PassAtK(agent=agent, k=k, instances=n, pass_at_k=at_k,
                                   pass_at_k_ci=_guarded(at_ci[j], at_k, n, confidence), pass_hat_k=hat_k,
                                   pass_hat_k_ci=_guarded(hat_ci[j], hat_k, n, confidence)))
    return out


def pass_rate_samples(matrix: InstanceMatrix, boot: InstanceBootstrap) -> dict[str, np.ndarray]:
    """Each agent's overall pass rate on every resample of ``boot`` (NaN where a resample drew none of its
    instances): the resamples behind ``pass_rate_ci``, for statistics built on several agents' rates."""
    per_instance = _rate_jobs(matrix)
    a = len(matrix.agents)
    (samples,) = boot.weighted_sums([(None, per_instance)])
    rates = ratio_samples(samples[:, :a], samples[:, 2 * a:])
    return {agent: rates[:, j] for j, agent in enumerate(matrix.agents)}


def leaderboard_from_cells(cells: pd.DataFrame, *, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                           confidence: float = 0.95, strict: bool = False,
                           ) -> tuple[Leaderboard, InstanceMatrix, InstanceBootstrap]:
    """The leaderboard of a cells frame (see ``dataset``), with the matrix and the bootstrap it used
    (reuse them for statistics that must be paired with it). Agents are ranked by pass rate, then mean score.
    With ``strict``, infrastructure errors count as failed trials (see ``InstanceMatrix.from_cells``)."""
    matrix = InstanceMatrix.from_cells(cells, strict=strict)
    boot = InstanceBootstrap(len(matrix.instances), resamples, seed)
    per_instance = _rate_jobs(matrix)
    jobs: list[tuple[Rows, np.ndarray]] = [(None, per_instance)]
    groups: list[tuple[str, str, Rows]] = []
    for column in GROUPINGS:
        for value, index in matrix.instances.groupby(column).indices.items():
            rows = _as_slice(np.asarray(index))
            groups.append((column, str(value), rows))
            jobs.append((rows, per_instance[rows]))
    samples = boot.weighted_sums(jobs)
    overall_infra = {agent: share for (agent,), share in infra_shares(cells, ["agent"]).items()}
    overall = _rate_rows(matrix, None, samples[0], None, overall_infra, confidence)
    for agent, share in overall_infra.items():
        if share.errors and agent not in {r.agent for r in overall}:
            overall.append(RateRow(agent=agent, trials=0, passed=0, pass_rate=0.0, pass_rate_ci=(0.0, 1.0),
                                   mean_score=0.0, infra=share, few_instances=True))
    by: dict[str, list[RateRow]] = {c: [] for c in GROUPINGS}
    infra_by = {c: infra_shares(cells, ["agent", c]) for c in GROUPINGS}
    for (column, value, index), sample in zip(groups, samples[1:], strict=True):
        infra = {agent: share for (agent, group), share in infra_by[column].items() if group == value}
        by[column] += _rate_rows(matrix, index, sample, value, infra, confidence)
    for column in GROUPINGS:
        by[column].sort(key=lambda r: (r.agent, r.group or ""))
    overall.sort(key=lambda r: (-r.pass_rate, -r.mean_score, r.agent))
    board = Leaderboard(leaderboard=overall, by_tier=by["tier"], by_cluster=by["cluster"],
                        by_subdomain=by["subdomain"], pass_at_k=pass_at_k_rows(matrix, boot, confidence),
                        confidence=confidence, resamples=boot.resamples, seed=boot.seed, strict=strict)
    return board, matrix, boot


def build_leaderboard(rows: Iterable[Mapping[str, Any]]) -> Leaderboard:
    """The leaderboard of trial rows as ``ResultsStore.trial_rows`` returns them (default resamples and seed)."""
    cells = cells_from_rows(rows)
    if cells.empty:
        return Leaderboard(leaderboard=[], by_tier=[], by_cluster=[])
    return leaderboard_from_cells(cells)[0]
