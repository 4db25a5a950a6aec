"""The results store on SQLite and on a real PostgreSQL server: one row per trial, whatever happens."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import inspect

from conftest import FIXTURE_TASKS
from lastexam.analysis.report import ReportOptions, build_report
from lastexam.contracts.grade import Check
from lastexam.contracts.trial import TrialKey, TrialResult
from lastexam.store.db import ResultsStore


def _result(status: str, epoch: int = 1, score: float = 0.5) -> TrialResult:
    now = dt.datetime.now(dt.UTC)
    return TrialResult(
        key=TrialKey(agent="a", instance="other/league_table@0", epoch=epoch), task_id="other/league_table",
        task_version="1.0.0", variant=0, tier="near-term", cluster="other", subdomain="sports", status=status,
        agent_outcome="completed", score=score, passed=status == "passed",
        checks=[Check(name="c", score=score, passed=score == 1, expected={"x": 1}, found=[1, 2])],
        started_at=now, finished_at=now + dt.timedelta(seconds=2), run_dir="/tmp/x",
    )


def _exercise(store: ResultsStore) -> None:
    experiment = store.ensure_experiment("e", {"agents": ["a"]})
    assert store.ensure_experiment("e", {}) == experiment
    assert store.record(experiment, _result("infra_error"))
    assert store.finished_keys(experiment) == set()
    assert store.attempts_so_far(experiment, _result("failed").key) == 1
    assert store.record(experiment, _result("failed", score=0.5))  # replaces the infra error
    assert not store.record(experiment, _result("passed", score=1.0))  # a final trial is never recorded twice
    assert store.record(experiment, _result("passed", score=1.0), regrade=True)
    assert store.record(experiment, _result("cancelled", epoch=2))
    rows = store.trial_rows([experiment])
    assert [(r["epoch"], r["status"], r["score"]) for r in rows] == [(1, "passed", 1.0), (2, "cancelled", 0.5)]
    assert rows[0]["duration_sec"] == pytest.approx(2.0) and rows[0]["experiment"] == "e"
    [check] = store.check_rows(rows[0]["id"])
    assert check["expected"] == {"x": 1} and check["found"] == [1, 2]
    assert store.finished_keys(experiment) == {_result("passed").key}
    assert [r["category"] for r in rows] == ["passed", "cancelled"]
    report = build_report(store, ReportOptions(resamples=100, tasks_dir=FIXTURE_TASKS))  # grouped queries, any engine
    assert report.failures[0].passed == 1 and report.leaderboard[0].trials == 1


def test_sqlite_store(tmp_path: Path) -> None:
    _exercise(ResultsStore(f"sqlite:///{tmp_path / 'ale.db'}"))


def test_postgres_store(postgres_url: str) -> None:
    _exercise(ResultsStore(postgres_url))


def test_a_database_of_an_older_version_gains_the_new_columns_and_reports(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ale.db'}"
    store = ResultsStore(url)
    experiment = store.ensure_experiment("e", {"agents": ["a"]})
    assert store.record(experiment, _result("failed", score=0.0))
    with store.engine.begin() as conn:  # as an older version left it: no category, no run facts, no index
        conn.exec_driver_sql("DROP INDEX ix_trials_task_tallies")
        conn.exec_driver_sql("DROP INDEX ix_trials_agent_tallies")
        conn.exec_driver_sql("DROP INDEX ix_trials_check_failures")
        conn.exec_driver_sql("CREATE INDEX ix_trials_cells ON trials (agent, instance)")
        for column in ("category", "software", "software_basis", "output_files", "tool_calls", "failed_checks"):
            conn.exec_driver_sql(f"ALTER TABLE trials DROP COLUMN {column}")
    store.engine.dispose()
    reopened = ResultsStore(url)
    indexes = {i["name"] for i in inspect(reopened.engine).get_indexes("trials")}
    assert "ix_trials_cells" not in indexes and {"ix_trials_outcomes", "ix_trials_agent_tallies"} <= indexes
    [row] = reopened.trial_rows()
    assert row["category"] is None and row["software"] is None
    report = build_report(reopened, ReportOptions(resamples=100, tasks_dir=FIXTURE_TASKS))
    assert report.inspected_trials == 1 and report.failures[0].categories["zero_score"] == 1
    assert [(c.check, c.failed) for c in report.failing_checks] == [("c", 1)]
