"""The leaderboard: per agent, full-pass rate with its 95% interval and mean score, by tier and cluster."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from lastexam.analysis.stats import wilson_interval

GRADED = ("passed", "failed")


class RateRow(BaseModel):
    """Trials graded for one agent (optionally in one group), with the pass rate and its interval."""

    agent: str
    group: str | None = None
    trials: int
    passed: int
    pass_rate: float
    pass_rate_ci: tuple[float, float]
    mean_score: float
    infra_errors: int = 0


class Leaderboard(BaseModel):
    leaderboard: list[RateRow]
    by_tier: list[RateRow]
    by_cluster: list[RateRow]


def _rate(agent: str, group: str | None, rows: list[Mapping[str, Any]]) -> RateRow:
    graded = [r for r in rows if r["status"] in GRADED]
    passed = sum(1 for r in graded if r["passed"])
    n = len(graded)
    return RateRow(
        agent=agent, group=group, trials=n, passed=passed, pass_rate=passed / n if n else 0.0,
        pass_rate_ci=wilson_interval(passed, n), mean_score=sum(r["score"] for r in graded) / n if n else 0.0,
        infra_errors=sum(1 for r in rows if r["status"] == "infra_error"),
    )


def build_leaderboard(rows: Iterable[Mapping[str, Any]]) -> Leaderboard:
    """Aggregate trial rows (as the store returns them); agents ranked by pass rate, then mean score."""
    by_agent: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        by_agent[row["agent"]].append(row)

    def grouped(column: str) -> list[RateRow]:
        out = []
        for agent, agent_rows in sorted(by_agent.items()):
            groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
            for row in agent_rows:
                groups[row[column]].append(row)
            out += [_rate(agent, g, rs) for g, rs in sorted(groups.items())]
        return out

    overall = sorted((_rate(a, None, rs) for a, rs in by_agent.items()), key=lambda r: (-r.pass_rate, -r.mean_score))
    return Leaderboard(leaderboard=overall, by_tier=grouped("tier"), by_cluster=grouped("cluster"))
