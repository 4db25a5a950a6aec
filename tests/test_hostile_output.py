"""Hostile output: what an agent leaves behind can neither reach the hidden reference, nor take the run
down, nor turn its own failure into an infrastructure error."""

from __future__ import annotations

import glob
import json
from pathlib import Path

import pytest

from conftest import FIXTURE_TASKS, HOSTILE_TASKS, script
from lastexam.grading.blame import GRADER_FAILED_CHECK
from lastexam.runner.config import ExperimentConfig
from lastexam.runner.experiment import run_experiment

pytestmark = pytest.mark.hostile


def _refused(result) -> str:  # type: ignore[no-untyped-def]
    events = [json.loads(line) for line in (Path(result.run_dir) / "events.jsonl").read_text().splitlines()]
    collected = next(e for e in events if e["event"] == "collected")
    return " ".join(collected["refused"]) + f" ({collected['refused_count']} refused)"


def _failed_by_the_agent(result) -> None:  # type: ignore[no-untyped-def]
    assert result.status == "failed", (result.status, result.error)
    assert not result.passed and result.score == 0.0


def test_links_that_look_inside_the_output_never_reach_the_reference(run_agent) -> None:
    [result] = run_agent(script("hostile/output_link_climb.sh"))
    _failed_by_the_agent(result)
    out = Path(result.run_dir) / "output"
    assert list(out.iterdir()) == [], "no link of any kind is collected"
    assert "X: link refused" in _refused(result) and "standings.csv: link refused" in _refused(result)
    secret = (Path(result.run_dir) / "private" / "reference" / "secret.txt").read_text().strip()
    for name in ("grade.json", "trial.json", "events.jsonl"):
        assert secret not in (Path(result.run_dir) / name).read_text()


def test_a_deep_tree_is_refused_and_the_run_goes_on(tmp_path: Path) -> None:
    config = ExperimentConfig(name="deep", agents=[script("hostile/output_deep_tree.sh"), "oracle"],
                              selectors=["other/league_table@0"], results_dir=tmp_path / "results",
                              tasks_dir=FIXTURE_TASKS, jobs=2)
    results = {r.key.agent: r for r in run_experiment(config).recorded}
    assert results["oracle"].status == "passed"
    deep = next(r for agent, r in results.items() if agent != "oracle")
    _failed_by_the_agent(deep)
    assert "nested deeper than 32 levels" in _refused(deep)
    assert any(c.name == "output within the collection limits" and not c.passed for c in deep.checks)
    assert not [w for w in glob.glob("/tmp/ale-sbx-*") if Path(w, "output", "d").exists()], "its workspace is removed"


@pytest.mark.parametrize(("agent", "refusal"), [
    ("hostile/output_many_entries.sh", "past the 20000 entry limit"),
    ("hostile/output_long_path.sh", "path longer than 1024 bytes"),
    ("hostile/output_wide_path.py", "path longer than 1024 bytes"),
    ("hostile/output_sparse.sh", "sparse.bin: over the 4194304 byte output limit"),
])
def test_output_past_a_collection_limit_is_the_agents_refused_output(run_agent, agent: str, refusal: str) -> None:
    [result] = run_agent(script(agent))
    _failed_by_the_agent(result)
    assert refusal in _refused(result)
    collected = Path(result.run_dir) / "output"
    assert sum(f.stat().st_size for f in collected.rglob("*") if f.is_file()) <= 4 << 20


def test_names_no_storage_can_hold_are_refused_and_the_rest_collected(run_agent) -> None:
    [result] = run_agent(script("hostile/output_odd_names.sh"))
    _failed_by_the_agent(result)
    assert "name is not UTF-8" in _refused(result) and "name holds a control character" in _refused(result)
    collected = sorted(p.relative_to(Path(result.run_dir) / "output").as_posix()
                       for p in (Path(result.run_dir) / "output").rglob("*"))
    assert collected == ["glob[*]?.txt", "q%20s3:#frag.txt"]


def test_output_that_crashes_the_grader_is_the_agents_failure(run_agent) -> None:
    [result] = run_agent(script("hostile/blame_bigint.sh"))
    _failed_by_the_agent(result)
    [check] = result.checks
    assert check.name == GRADER_FAILED_CHECK and "Exceeds the limit (4300 digits)" in check.reason


@pytest.mark.parametrize(("agent", "reason"), [
    ("hostile/blame_deep_json.sh", "RecursionError"),
    ("hostile/blame_hang.sh", "ran past its 8 s limit"),
    ("hostile/blame_memory.sh", "MemoryError"),
])
def test_output_that_makes_the_grader_fail_or_hang_is_the_agents_failure(run_agent, agent: str, reason: str) -> None:
    [result] = run_agent(script(agent), "other/naive_summary@0", tasks_dir=HOSTILE_TASKS)
    _failed_by_the_agent(result)
    [check] = result.checks
    assert check.name == GRADER_FAILED_CHECK and reason in check.reason, check.reason


def test_a_grader_that_fails_whatever_the_output_is_an_infrastructure_error(run_agent) -> None:
    [result] = run_agent("oracle", "other/naive_summary@1", retries=1, tasks_dir=HOSTILE_TASKS)
    assert result.status == "infra_error" and result.attempts == 2
    assert "fails on an empty output too" in (result.error or "")


def test_the_grader_runs_unprivileged_offline_and_sees_only_its_trial(run_agent) -> None:
    [result] = run_agent("oracle", "other/naive_summary@2", tasks_dir=HOSTILE_TASKS)
    failing = [f"{c.name}: found {c.found}" for c in result.checks if not c.passed]
    assert result.status == "passed", failing
    assert len(result.checks) == 11
