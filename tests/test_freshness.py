"""``ale report --fresh``: tasks released after a model's knowledge cutoff against those released before it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURE_TASKS
from lastexam.agents.config import load_agent_config
from lastexam.analysis.report import ReportOptions, build_report
from lastexam.contracts.trial import TrialResult
from lastexam.errors import ConfigError
from lastexam.runner.config import ExperimentConfig
from lastexam.runner.experiment import plan_instances, plan_requests
from lastexam.store.db import ResultsStore
from trialfactory import record, trial

CUTOFF = dt.date(2026, 6, 1)
BEFORE, AFTER = dt.date(2026, 1, 15), dt.date(2026, 9, 1)


def _dated(result: TrialResult, released: dt.date, cutoff: dt.date | None) -> TrialResult:
    return result.model_copy(update={"task_released": released, "knowledge_cutoff": cutoff})


def _store(tmp_path: Path) -> ResultsStore:
    """40 old tasks and 40 new ones; ``seen`` passes every old task and a quarter of the new ones, ``clean``
    passes half of each, ``undated`` has no cutoff."""
    store = ResultsStore(f"sqlite:///{tmp_path / 'ale.db'}")
    results = []
    for i in range(80):
        released = BEFORE if i < 40 else AFTER
        instance = f"other/{'old' if i < 40 else 'new'}_{i:02d}@0"
        results.append(_dated(trial("seen", instance, passed=i < 40 or i % 4 == 0), released, CUTOFF))
        results.append(_dated(trial("clean", instance, passed=i % 2 == 0), released, CUTOFF))
        results.append(_dated(trial("undated", instance, passed=True), released, None))
    record(store, "split", results)
    return store


def test_a_model_that_saw_the_old_tasks_shows_a_gap_and_a_clean_one_does_not(tmp_path: Path) -> None:
    report = build_report(_store(tmp_path), ReportOptions(fresh=True, resamples=500))
    freshness = report.freshness
    assert freshness is not None and freshness.undated_agents == ["undated"]
    rows = {r.agent: r for r in freshness.rows}
    seen, clean = rows["seen"], rows["clean"]
    assert (seen.fresh_instances, seen.stale_instances) == (40, 40)
    assert seen.stale_pass_rate == 1.0 and seen.fresh_pass_rate == 0.25
    assert seen.gap == pytest.approx(0.75) and seen.gap_ci[0] > 0.5
    assert clean.gap == pytest.approx(0.0) and clean.gap_ci[0] < 0 < clean.gap_ci[1]
    fresh_board = {r.agent: r for r in freshness.fresh.leaderboard}
    assert set(fresh_board) == {"seen", "clean"} and fresh_board["seen"].instances == 40
    assert build_report(_store(tmp_path / "again"), ReportOptions(resamples=500)).freshness is None


def test_a_gap_from_few_instances_keeps_an_honest_interval(tmp_path: Path) -> None:
    store = ResultsStore(f"sqlite:///{tmp_path / 'ale.db'}")
    record(store, "small", [_dated(trial("a", f"other/t{i}@0", passed=False), BEFORE if i < 3 else AFTER, CUTOFF)
                            for i in range(6)])
    row = build_report(store, ReportOptions(fresh=True, resamples=500)).freshness.rows[0]
    assert row.gap == 0.0 and row.few_instances
    assert row.gap_ci[0] < -0.3 and row.gap_ci[1] > 0.3  # 0 of 3 against 0 of 3 proves no equality


def test_report_fresh_prints_the_split_and_the_json_carries_it(tmp_path: Path) -> None:
    store = _store(tmp_path)
    command = [sys.executable, "-m", "lastexam.cli", "report", "--db", store.url, "--fresh", "--resamples", "200"]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert "Fresh (released after the model's knowledge cutoff)" in text and "+75.0%" in text
    assert "no knowledge_cutoff in the config of: undated" in text and "Stale tasks" in text
    data = json.loads(subprocess.run([*command, "--json"], capture_output=True, text=True, check=True).stdout)
    assert {r["agent"] for r in data["freshness"]["rows"]} == {"seen", "clean"}


def test_the_cutoff_comes_from_the_agent_config_and_a_bad_one_names_the_fix(tmp_path: Path) -> None:
    config = tmp_path / "model.yaml"
    config.write_text("harness: llm\nmodel: some-model\nknowledge_cutoff: 2025-03-31\n")
    assert load_agent_config(config).knowledge_cutoff == dt.date(2025, 3, 31)
    config.write_text("harness: llm\nmodel: some-model\nknowledge_cutoff: last spring\n")
    with pytest.raises(ConfigError, match="knowledge_cutoff"):
        load_agent_config(config)


def test_each_trial_of_a_dated_agent_carries_its_cutoff(tmp_path: Path) -> None:
    config = tmp_path / "model.yaml"
    config.write_text("harness: llm\nmodel: some-model\nknowledge_cutoff: 2025-03-31\n")
    experiment = ExperimentConfig(agents=[str(config), "nop"], selectors=["other/league_table"],
                                  tasks_dir=FIXTURE_TASKS, results_dir=tmp_path)
    requests = plan_requests(experiment, plan_instances(experiment))
    assert {(r.key.agent, r.knowledge_cutoff) for r in requests} == {
        ("llm:some-model@model", dt.date(2025, 3, 31)), ("nop", None)}
