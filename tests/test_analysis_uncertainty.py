"""Uncertainty a researcher can defend: pass@k intervals at the boundary, one paired significance test,
unknown cost kept unknown, and intervals on the harness/model split (issue 12, items 1-4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.console import Console
from sqlalchemy import MetaData, create_engine, inspect, text

from lastexam.agents.accounting import add_call, call_usage
from lastexam.analysis.compare import compare
from lastexam.analysis.dataset import cells_from_rows
from lastexam.analysis.leaderboard import leaderboard_from_cells, pass_rate_samples
from lastexam.analysis.report import ReportOptions, build_report
from lastexam.analysis.stats import format_p, sign_flip_p_values
from lastexam.analysis.variance import decompose
from lastexam.contracts.agent import Usage
from lastexam.report.export import write_csv
from lastexam.report.html import render_html
from lastexam.report.text import print_report
from lastexam.store.db import ResultsStore, metadata
from trialfactory import record, trial


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


def test_significance_is_decided_on_the_quantity_the_interval_describes() -> None:
    # A passes one epoch in three on 24 of 40 instances where B passes none: a majority vote over epochs sees
    # no difference (McNemar: no discordant pair) while the per-instance pass rates differ by +20 points.
    rows = [_row("a", i, passed=(i < 24 and e == 0)) for i in range(40) for e in range(3)]
    rows += [_row("b", i, passed=False) for i in range(40) for e in range(3)]
    _, matrix, boot = leaderboard_from_cells(cells_from_rows(rows), resamples=500)
    [c] = compare(matrix, boot, [("a", "b")])
    assert c.difference == pytest.approx(0.2) and c.difference_ci[0] > 0
    assert c.significant and c.p_sign_flip < 0.05 and (c.a_better, c.b_better, c.ties) == (24, 0, 16)
    assert c.p_bootstrap == 0.0 and c.p_bootstrap_text == "< 0.002" and c.p_sign_flip_text == "< 0.002"
    assert "sign-flip" in c.test and not c.few_instances


def test_an_exact_sign_flip_test_and_few_common_instances() -> None:
    # 6 instances, A better on all of them: the exact two-sided sign-flip p is 2 / 2^6, never reported as 0.
    rows = [_row("a", i, passed=True) for i in range(6)] + [_row("b", i, passed=False) for i in range(6)]
    _, matrix, boot = leaderboard_from_cells(cells_from_rows(rows), resamples=500)
    [c] = compare(matrix, boot, [("a", "b")])
    assert c.p_sign_flip == pytest.approx(2 / 64) and c.p_sign_flip_text == "0.031" and "exact" in c.test
    assert c.few_instances and c.significant and json.loads(c.model_dump_json())["caution"] == "few common instances"
    assert sign_flip_p_values(np.array([[0.5], [-0.5], [0.0]]), resamples=100, seed=1)[0] == pytest.approx(1.0)
    assert format_p(0.0, 1 / 2000) == "< 0.0005" and format_p(0.2, 1 / 2000) == "0.200"


def _grid(rates: dict[str, float], instances: int = 40) -> tuple[Any, dict[str, np.ndarray]]:
    rows = [_row(agent, i, passed=i < rate * instances) for agent, rate in rates.items() for i in range(instances)]
    board, matrix, boot = leaderboard_from_cells(cells_from_rows(rows), resamples=400)
    return board.leaderboard, pass_rate_samples(matrix, boot)


def test_harness_and_model_shares_carry_bootstrap_intervals() -> None:
    rows, samples = _grid({"h1:m1": 0.8, "h1:m2": 0.4, "h2:m1": 0.7, "h2:m2": 0.2})
    grid = decompose(rows, samples)
    assert grid is not None and grid.separable and "bootstrap" in grid.note
    parts = {c.source: c for c in grid.components}
    for source in ("harness", "model"):
        low, high = parts[source].share_ci
        assert low <= parts[source].share <= high and high - low > 0.05
    assert "one residual degree of freedom" in grid.note


@pytest.mark.parametrize(("rates", "reason"), [
    ({"h1:m1": 0.8, "h1:m2": 0.4, "h1:m3": 0.5}, "fewer than 2 harnesses"),
    ({"h1:m1": 0.8, "h1:m2": 0.4, "h2:m3": 0.5, "h2:m4": 0.2}, "confounded"),
    ({"h1:m1": 0.8, "h1:m2": 0.4, "h2:m1": 0.5}, "no residual degree of freedom"),
])
def test_a_design_that_cannot_separate_harness_from_model_says_so(rates: dict[str, float], reason: str) -> None:
    rows, samples = _grid(rates)
    split = decompose(rows, samples)
    assert split is not None and not split.separable and reason in split.note and split.components == []


def test_an_unpriced_call_makes_the_trial_cost_unknown() -> None:
    total = Usage()
    add_call(total, call_usage({"prompt_tokens": 10, "completion_tokens": 3, "cost": 0.5}, None), 1.0)
    assert total.cost_usd == 0.5
    add_call(total, call_usage({"prompt_tokens": 20, "completion_tokens": 7}, None), 1.0)
    assert total.cost_usd is None and total.turns == 2
    add_call(total, call_usage({"prompt_tokens": 1, "completion_tokens": 1, "cost": 0.1}, None), 1.0)
    assert total.cost_usd is None


def _old_schema_store(path: Path) -> ResultsStore:
    """A results database as an older version made it: trials.cost_usd NOT NULL, one trial recorded."""
    old = MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(old)
    old.tables["trials"].c.cost_usd.nullable = False
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    old.create_all(engine)
    engine.dispose()
    store = ResultsStore(url)
    record(store, "old", [trial("h1:priced", "other/t@99", passed=True, cost=1.0)])
    return store


def record_again(store: ResultsStore) -> bool:
    """Whether the store records a finished trial a second time (the rebuilt table must still refuse it)."""
    experiment = store.experiment_id("costs")
    assert experiment is not None
    return store.record(experiment, trial("h1:unpriced", "other/t@0", passed=True, cost=None))


def test_unknown_cost_is_null_end_to_end(tmp_path: Path) -> None:
    store = _old_schema_store(tmp_path / "ale.db")
    results = []
    for i in range(12):
        results += [trial("h1:priced", f"other/t@{i}", passed=i < 6, cost=1.0),
                    trial("h1:unpriced", f"other/t@{i}", passed=i < 9, cost=None),
                    trial("h1:cheap", f"other/t@{i}", passed=i < 3, cost=0.1),
                    trial("oracle", f"other/t@{i}", passed=True, cost=0.0)]
    record(store, "costs", results)
    with store.engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT agent, cost_usd FROM trials WHERE instance = 'other/t@0'")).all())
        assert conn.execute(text("SELECT count(*) FROM checks")).scalar_one() == 49
    assert stored == {"h1:priced": 1.0, "h1:unpriced": None, "h1:cheap": 0.1, "oracle": 0.0}
    assert {"ix_trials_task_tallies", "ix_trials_agent_status"} <= {i["name"] for i in inspect(store.engine).get_indexes("trials")}
    assert not record_again(store)
    report = build_report(store, ReportOptions(experiments=["costs"], resamples=200))
    cost = {r.agent: r for r in report.efficiency}
    unpriced = cost["h1:unpriced"]
    assert (unpriced.cost_usd, unpriced.cost_per_trial, unpriced.cost_per_trial_ci, unpriced.cost_per_pass) == (
        None, None, None, None)
    assert unpriced.unpriced_trials == 12 and not unpriced.on_frontier
    assert not cost["oracle"].on_frontier and report.pareto == ["h1:cheap", "h1:priced"]
    assert "h1:unpriced" in report.pareto_note and "oracle" in report.pareto_note
    console = Console(width=250, record=True)
    print_report(report, console)
    shown = console.export_text()
    assert "unknown" in shown and "h1:unpriced" in shown.split("Pareto")[-1]
    assert "$0.0000" not in [line.split()[3] for line in shown.splitlines() if line.startswith("h1:unpriced")]
    assert "unknown" in render_html(report)
    [efficiency] = [p for p in write_csv(report, tmp_path / "csv") if p.name == "efficiency.csv"]
    assert "h1:unpriced,12,9,0.75,," in efficiency.read_text()
    exported = {r["agent"]: r for r in json.loads(report.model_dump_json())["efficiency"]}
    assert exported["h1:unpriced"]["cost_per_trial"] is None and exported["h1:unpriced"]["cost_usd"] is None
