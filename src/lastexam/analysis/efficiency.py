"""Cost and time: per trial and per full pass, for each agent, and the cost versus pass-rate frontier.

Per trial = total over graded trials / graded trials; per full pass = total / full passes (None
without a pass). Cost intervals come from the same instance bootstrap as the leaderboard (ratios of
resampled sums). The Pareto frontier holds the agents that no other agent beats on both cost per
trial (lower) and pass rate (higher), ties broken by neither.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field

from lastexam.analysis.dataset import InstanceMatrix
from lastexam.analysis.infra import InfraShare
from lastexam.analysis.leaderboard import Interval, RateRow
from lastexam.analysis.stats import InstanceBootstrap, percentile_interval, ratio_samples


class CostRow(BaseModel):
    """What one agent spent, in dollars and seconds (wall: whole trial; agent: the agent's run)."""

    agent: str
    trials: int
    passed: int
    pass_rate: float
    cost_usd: float
    cost_per_trial: float
    cost_per_trial_ci: Interval
    cost_per_pass: float | None
    cost_per_pass_ci: Interval | None
    duration_per_trial: float
    agent_sec_per_trial: float
    duration_per_pass: float | None
    agent_sec_per_pass: float | None
    on_frontier: bool = False
    infra: InfraShare = Field(default_factory=InfraShare, description="infrastructure errors left after retries")


def pareto_frontier(points: dict[str, tuple[float, float]]) -> list[str]:
    """Names of the points (cost, rate) not dominated by another (cost <= and rate >=, one strictly),
    ordered by cost."""
    frontier = []
    for name, (cost, rate) in points.items():
        dominated = any(c <= cost and r >= rate and (c < cost or r > rate)
                        for other, (c, r) in points.items() if other != name)
        if not dominated:
            frontier.append(name)
    return sorted(frontier, key=lambda n: (points[n][0], -points[n][1], n))


def _interval(row: np.ndarray) -> Interval | None:
    return None if np.isnan(row[0]) else (round(float(row[0]), 6), round(float(row[1]), 6))


def cost_rows(matrix: InstanceMatrix, board: list[RateRow], boot: InstanceBootstrap,
              confidence: float = 0.95) -> list[CostRow]:
    """Cost and time per agent (in leaderboard order), with the frontier marked."""
    (samples,) = boot.weighted_sums([(None, np.hstack([matrix.cost_sum.T, matrix.epochs.T, matrix.passes.T]))])
    a = len(matrix.agents)
    per_trial_ci = percentile_interval(ratio_samples(samples[:, :a], samples[:, a:2 * a]), confidence)
    per_pass_ci = percentile_interval(ratio_samples(samples[:, :a], samples[:, 2 * a:]), confidence)
    index = {agent: j for j, agent in enumerate(matrix.agents)}
    rows = []
    for rate in board:
        j = index.get(rate.agent)
        if j is None or rate.trials == 0:
            continue
        trials, passes = matrix.epochs[j].sum(), matrix.passes[j].sum()
        cost, duration, agent_sec = matrix.cost_sum[j].sum(), matrix.duration_sum[j].sum(), matrix.agent_sec_sum[j].sum()
        rows.append(CostRow(
            agent=rate.agent, trials=int(trials), passed=int(passes), pass_rate=rate.pass_rate, cost_usd=float(cost),
            cost_per_trial=float(cost / trials), cost_per_trial_ci=_interval(per_trial_ci[j]) or (0.0, 0.0),
            cost_per_pass=float(cost / passes) if passes else None,
            cost_per_pass_ci=_interval(per_pass_ci[j]) if passes else None,
            duration_per_trial=float(duration / trials), agent_sec_per_trial=float(agent_sec / trials),
            duration_per_pass=float(duration / passes) if passes else None,
            agent_sec_per_pass=float(agent_sec / passes) if passes else None, infra=rate.infra,
        ))
    frontier = set(pareto_frontier({r.agent: (r.cost_per_trial, r.pass_rate) for r in rows}))
    for row in rows:
        row.on_frontier = row.agent in frontier
    return rows
