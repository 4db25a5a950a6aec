"""Cost and time: per trial and per full pass, for each agent, and the cost versus pass-rate frontier.

Per trial = total over graded trials / graded trials; per full pass = total / full passes (None
without a pass). Cost intervals come from the same instance bootstrap as the leaderboard (ratios of
resampled sums). An unknown cost (a model call that could not be priced, stored as NULL) is never
counted as $0: an agent with any graded trial of unknown cost has no cost figures (None, "unknown"
in tables). The Pareto frontier holds the agents that no other agent beats on both cost per trial
(lower) and pass rate (higher), ties broken by neither, among the agents that call a model and whose
cost is known; the others are left off it, with the reason in ``off_frontier``.
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
    cost_usd: float | None = Field(description="None: unknown (some graded trial's cost could not be priced)")
    cost_per_trial: float | None
    cost_per_trial_ci: Interval | None
    cost_per_pass: float | None
    cost_per_pass_ci: Interval | None
    duration_per_trial: float
    agent_sec_per_trial: float
    duration_per_pass: float | None
    agent_sec_per_pass: float | None
    unpriced_trials: int = Field(0, description="graded trials whose cost is unknown")
    on_frontier: bool = False
    off_frontier: str | None = Field(None, description="why the agent is left off the frontier, if it is")
    infra: InfraShare = Field(default_factory=InfraShare, description="infrastructure errors left after retries")


NON_MODEL_AGENTS = ("oracle", "nop")


def calls_a_model(agent: str) -> bool:
    """Whether the agent configuration is a model agent (not the oracle, nop or a ``script:`` agent)."""
    return agent not in NON_MODEL_AGENTS and not agent.startswith("script:")


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
        trials, passes, unpriced = matrix.epochs[j].sum(), matrix.passes[j].sum(), int(matrix.cost_unknown[j].sum())
        known = unpriced == 0
        cost, duration, agent_sec = matrix.cost_sum[j].sum(), matrix.duration_sum[j].sum(), matrix.agent_sec_sum[j].sum()
        rows.append(CostRow(
            agent=rate.agent, trials=int(trials), passed=int(passes), pass_rate=rate.pass_rate,
            cost_usd=float(cost) if known else None, cost_per_trial=float(cost / trials) if known else None,
            cost_per_trial_ci=_interval(per_trial_ci[j]) if known else None,
            cost_per_pass=float(cost / passes) if passes and known else None,
            cost_per_pass_ci=_interval(per_pass_ci[j]) if passes and known else None,
            duration_per_trial=float(duration / trials), agent_sec_per_trial=float(agent_sec / trials),
            duration_per_pass=float(duration / passes) if passes else None,
            agent_sec_per_pass=float(agent_sec / passes) if passes else None, infra=rate.infra,
            unpriced_trials=unpriced,
            off_frontier=(None if known and calls_a_model(rate.agent) else "cost unknown" if calls_a_model(rate.agent)
                          else "not a model agent"),
        ))
    frontier = set(pareto_frontier({r.agent: (r.cost_per_trial, r.pass_rate) for r in rows
                                    if r.off_frontier is None and r.cost_per_trial is not None}))
    for row in rows:
        row.on_frontier = row.agent in frontier
    return rows


def frontier_note(rows: list[CostRow]) -> str:
    """Which agents are left off the frontier and why ("" when none is)."""
    reasons: dict[str, list[str]] = {}
    for row in rows:
        if row.off_frontier:
            reasons.setdefault(row.off_frontier, []).append(row.agent)
    return "; ".join(f"off the frontier ({reason}): {', '.join(agents)}" for reason, agents in reasons.items())
