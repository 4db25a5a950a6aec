"""Uncertainty a researcher can defend: pass@k intervals at the boundary, one paired significance test,
unknown cost kept unknown, and intervals on the harness/model split (issue 12, items 1-4)."""

from __future__ import annotations

from typing import Any

from lastexam.analysis.dataset import cells_from_rows
from lastexam.analysis.leaderboard import leaderboard_from_cells


def _row(agent: str, instance: int, passed: bool, *, cost: float | None = 0.0) -> dict[str, Any]:
    return {"agent": agent, "instance": f"other/t@{instance}", "task_id": "other/t", "tier": "near-term",
            "cluster": "other", "subdomain": "sports", "status": "passed" if passed else "failed",
            "agent_outcome": "completed", "score": float(passed), "passed": passed, "cost_usd": cost,
            "duration_sec": 10.0, "agent_sec": 9.0}


def test_pass_at_k_intervals_do_not_collapse_at_the_boundary() -> None:
    # weak: one pass in three epochs on a third of 30 instances, so no instance passes all three epochs;
    # oracle: every epoch of 20 instances passes. Neither proves a rate of exactly 0 or 1.
    rows = [_row("weak", i, passed=(i % 3 == 0 and e == 0)) for i in range(30) for e in range(3)]
    rows += [_row("oracle", i, passed=True) for i in range(20) for e in range(3)]
    board, _, _ = leaderboard_from_cells(cells_from_rows(rows), resamples=500)
    by = {(r.agent, r.k): r for r in board.pass_at_k}
    weak = by[("weak", 3)]
    assert weak.pass_hat_k == 0.0 and weak.pass_hat_k_ci[0] == 0.0 and weak.pass_hat_k_ci[1] > 0.05
    oracle = by[("oracle", 1)]
    rate = next(r for r in board.leaderboard if r.agent == "oracle")
    assert oracle.pass_at_k == 1.0 and oracle.pass_at_k_ci == rate.pass_rate_ci and oracle.pass_at_k_ci[0] < 0.9
    assert by[("oracle", 3)].pass_hat_k_ci[0] < 0.9
