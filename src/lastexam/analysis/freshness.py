"""Fresh against stale tasks: a contamination signal from release dates and knowledge cutoffs.

A task is *fresh* for an agent when it was released after the agent's model's knowledge cutoff (its
text and reference could not have been in the training data), *stale* when released on or before
it. An agent that does markedly better on stale tasks than on fresh ones of the same suite may have
seen them. ``freshness`` splits the trials of the agents whose config states a ``knowledge_cutoff``
into the two sides, builds a full leaderboard of each side, and estimates the gap (stale minus fresh
pass rate) with an interval from resampling each side's instances independently (widened to
Newcombe's score interval when a side has few instances or the resamples all agree). Agents without a
cutoff, and tasks without a release date, are on neither side.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from lastexam.analysis.dataset import InstanceMatrix
from lastexam.analysis.leaderboard import MIN_RELIABLE_INSTANCES, Interval, Leaderboard, leaderboard_from_cells
from lastexam.analysis.stats import DEFAULT_RESAMPLES, DEFAULT_SEED, percentile_interval, wilson_interval


class FreshnessRow(BaseModel):
    """One agent's pass rates on tasks released after its cutoff (fresh) and on or before it (stale)."""

    agent: str
    knowledge_cutoff: dt.date
    fresh_instances: int
    stale_instances: int
    fresh_pass_rate: float | None = Field(description="mean over fresh instances of the per-instance pass rate")
    stale_pass_rate: float | None
    gap: float | None = Field(description="stale minus fresh pass rate; > 0 is what contamination would show")
    gap_ci: Interval | None
    few_instances: bool = Field(description=f"a side has fewer than {MIN_RELIABLE_INSTANCES} instances")


class Freshness(BaseModel):
    """The split: a row per dated agent, the leaderboard of each side, and who was left out."""

    rows: list[FreshnessRow]
    fresh: Leaderboard | None = Field(description="tasks released after each agent's cutoff")
    stale: Leaderboard | None = Field(description="tasks released on or before each agent's cutoff")
    undated_agents: list[str] = Field(description="agents whose config states no knowledge_cutoff")
    undated_tasks: list[str] = Field(description="tasks of these trials with no recorded release date")


def freshness(cells: pd.DataFrame, released: Mapping[str, dt.date], cutoffs: Mapping[str, dt.date], *,
              resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED, confidence: float = 0.95,
              strict: bool = False) -> Freshness:
    """Split ``cells`` (see ``dataset``) by release date against each agent's knowledge cutoff.

    ``released`` maps task ids to release dates and ``cutoffs`` agents to cutoffs (as the results store
    recorded them). Returns the rows, the two leaderboards (None for an empty side) and what was left out.
    """
    side = pd.Series([_side(released.get(task), cutoffs.get(agent))
                      for agent, task in zip(cells["agent"], cells["task_id"], strict=True)], index=cells.index,
                     dtype=object)
    fresh_cells, stale_cells = cells[side == "fresh"], cells[side == "stale"]
    fresh, fresh_matrix = _board(fresh_cells, resamples, seed, confidence, strict)
    stale, stale_matrix = _board(stale_cells, resamples, seed, confidence, strict)
    rng = np.random.default_rng(seed)
    rows = [_row(agent, cutoffs[agent], fresh_matrix, stale_matrix, rng, resamples, confidence)
            for agent in sorted(set(cells["agent"]) & set(cutoffs))]
    return Freshness(rows=rows, fresh=fresh, stale=stale,
                     undated_agents=sorted(set(cells["agent"]) - set(cutoffs)),
                     undated_tasks=sorted(set(cells["task_id"]) - set(released)))


def _side(released: dt.date | None, cutoff: dt.date | None) -> str | None:
    if released is None or cutoff is None:
        return None
    return "fresh" if released > cutoff else "stale"


def _board(cells: pd.DataFrame, resamples: int, seed: int, confidence: float,
           strict: bool) -> tuple[Leaderboard | None, InstanceMatrix | None]:
    if cells.empty:
        return None, None
    board, matrix, _ = leaderboard_from_cells(cells, resamples=resamples, seed=seed, confidence=confidence,
                                              strict=strict)
    return board, matrix


def _rates(matrix: InstanceMatrix | None, agent: str) -> np.ndarray:
    """The agent's per-instance pass rates over the instances it has graded epochs of."""
    if matrix is None or agent not in matrix.agents:
        return np.empty(0)
    row = matrix.agents.index(agent)
    ran = matrix.ran[row]
    return matrix.passes[row, ran] / matrix.epochs[row, ran]


def _row(agent: str, cutoff: dt.date, fresh: InstanceMatrix | None, stale: InstanceMatrix | None,
         rng: np.random.Generator, resamples: int, confidence: float) -> FreshnessRow:
    fresh_rates, stale_rates = _rates(fresh, agent), _rates(stale, agent)
    gap = gap_ci = None
    if len(fresh_rates) and len(stale_rates):
        gap = float(stale_rates.mean() - fresh_rates.mean())
        samples = (stale_rates[rng.integers(0, len(stale_rates), (resamples, len(stale_rates)))].mean(axis=1)
                   - fresh_rates[rng.integers(0, len(fresh_rates), (resamples, len(fresh_rates)))].mean(axis=1))
        low, high = percentile_interval(samples[:, None], confidence)[0]
        if min(len(fresh_rates), len(stale_rates)) < MIN_RELIABLE_INSTANCES or low == high:
            newcombe_low, newcombe_high = _newcombe(stale_rates, fresh_rates, confidence)
            low, high = min(low, newcombe_low), max(high, newcombe_high)
        gap_ci = (round(float(low), 6), round(float(high), 6))
    return FreshnessRow(
        agent=agent, knowledge_cutoff=cutoff, fresh_instances=len(fresh_rates), stale_instances=len(stale_rates),
        fresh_pass_rate=float(fresh_rates.mean()) if len(fresh_rates) else None,
        stale_pass_rate=float(stale_rates.mean()) if len(stale_rates) else None, gap=gap, gap_ci=gap_ci,
        few_instances=min(len(fresh_rates), len(stale_rates)) < MIN_RELIABLE_INSTANCES,
    )


def _newcombe(first: np.ndarray, second: np.ndarray, confidence: float) -> Interval:
    """Newcombe's hybrid score interval of mean(first) - mean(second), from each side's Wilson interval
    over its instances: what the bootstrap cannot give with few instances or all-equal outcomes."""
    p1, p2 = float(first.mean()), float(second.mean())
    l1, u1 = wilson_interval(p1 * len(first), len(first), confidence)
    l2, u2 = wilson_interval(p2 * len(second), len(second), confidence)
    difference = p1 - p2
    return (difference - float(np.hypot(p1 - l1, u2 - p2)), difference + float(np.hypot(u1 - p1, p2 - l2)))
