"""Framework faults that must not take a run down or be blamed on the wrong party: several processes creating
one fresh results database at once, regrading a moved or damaged results directory, an agent's unparsable
transcript, and a grader whose tool is missing from the machine."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli_agent_trials import require_installed, run_cli_trial
from conftest import FIXTURE_TASKS
from lastexam.runner.config import ExperimentConfig
from lastexam.runner.experiment import run_experiment
from lastexam.runner.regrade import regrade_experiment
from lastexam.store.db import ResultsStore, default_db_url
from modelserver import ModelServer, Reply, call

REPORT_TASKS = Path(__file__).parent / "fixtures" / "report_tasks"
RACER = """
import pathlib, sys, time
from lastexam.store.db import ResultsStore
pathlib.Path(sys.argv[3]).touch()
while not pathlib.Path(sys.argv[2]).exists():
    time.sleep(0.001)
print(ResultsStore(sys.argv[1]).ensure_experiment("same", {"by": sys.argv[3]}))
"""


@pytest.mark.slow
def test_processes_creating_one_fresh_database_at_once_all_succeed(tmp_path: Path) -> None:
    url, go = f"sqlite:///{tmp_path / 'results' / 'ale.db'}", tmp_path / "go"
    ready = [tmp_path / f"ready{i}" for i in range(6)]
    racers = [subprocess.Popen([sys.executable, "-c", RACER, url, str(go), str(r)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True) for r in ready]
    deadline = time.monotonic() + 240
    while not all(r.exists() for r in ready):
        assert time.monotonic() < deadline, "the racing processes did not start"
        time.sleep(0.01)
    go.touch()
    outcomes = [p.communicate(timeout=240) for p in racers]
    assert [p.returncode for p in racers] == [0] * len(racers), [err for _, err in outcomes if err]
    assert {out.strip() for out, _ in outcomes} == {"1"}


@pytest.mark.slow
def test_regrade_uses_the_results_dir_it_is_given_and_reports_each_broken_trial(tmp_path: Path) -> None:
    original, copy = tmp_path / "original", tmp_path / "copy"
    config = ExperimentConfig(name="moved", agents=["oracle", "nop"], selectors=["other/league_table@0"],
                              results_dir=original, tasks_dir=FIXTURE_TASKS, jobs=2)
    recorded = {r.key.agent: r for r in run_experiment(config).recorded}
    assert {a: r.status for a, r in recorded.items()} == {"oracle": "passed", "nop": "failed"}
    shutil.copytree(original, copy)
    sentinel = Path(recorded["oracle"].run_dir) / "grade.json"
    sentinel.write_text("the original's grade, not to be touched")

    store = ResultsStore(default_db_url(copy))
    outcome = regrade_experiment(store, "moved", FIXTURE_TASKS, copy)
    assert (outcome.total, outcome.changed, outcome.problems) == (2, 0, [])
    assert sentinel.read_text() == "the original's grade, not to be touched"
    rows = {r["agent"]: r for r in store.trial_rows()}
    assert all(Path(r["run_dir"]).is_relative_to(copy / "runs") for r in rows.values())
    assert json.loads((Path(rows["oracle"]["run_dir"]) / "grade.json").read_text())["passed"] is True

    shutil.rmtree(original)
    oracle_dir, nop_dir = Path(rows["oracle"]["run_dir"]), Path(rows["nop"]["run_dir"])
    shutil.rmtree(oracle_dir)
    (nop_dir / "trial.json").write_text("{not json")
    done = subprocess.run([sys.executable, "-m", "lastexam.cli", "regrade", "--name", "moved", "--results-dir",
                           str(copy), "--tasks-dir", str(FIXTURE_TASKS)], capture_output=True, text=True, timeout=600)
    message = "".join((done.stdout + done.stderr).split())  # the console wraps long paths

    def said(text: str) -> bool:
        return "".join(text.split()) in message

    assert done.returncode == 1 and not said("Traceback"), done.stderr
    assert said("regraded 0 trials of moved")
    assert said(f"run directory {oracle_dir} does not exist. Fix:")
    assert said(f"cannot read {nop_dir / 'trial.json'}") and said("Fix: restore trial.json")
    assert {r["agent"]: (r["status"], r["score"]) for r in store.trial_rows()} == {
        a: (r["status"], r["score"]) for a, r in rows.items()}


FORGE_ROLLOUT = ("for f in $(find ~/.codex/sessions -name 'rollout-*.jsonl'); do "
                 "printf '%s\\n' '{\"type\": \"response_item\", \"payload\": 7}' >> \"$f\"; done; echo forged")


@pytest.mark.slow
def test_a_transcript_the_agent_broke_is_the_agents_failure_not_infra(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    require_installed("codex")
    with ModelServer() as server:
        server.add(Reply(tool_calls=[call("exec_command", cmd=FORGE_ROLLOUT)]), Reply(content="Done."))
        result = run_cli_trial("codex", "gpt-5", server.base_url, tmp_path, monkeypatch, limits={"turns": 5})
    assert result.status == "failed" and result.agent_outcome == "crashed", (result.status, result.error)
    events = [json.loads(line) for line in (Path(result.run_dir) / "events.jsonl").read_text().splitlines()]
    stopped = next(e for e in events if e["event"] == "agent_stopped")
    assert "transcript the agent left could not be read" in stopped["detail"]
    assert (Path(result.run_dir) / "logs" / "codex_transcript_error.log").is_file()


@pytest.mark.slow
def test_a_grader_tool_missing_from_the_machine_is_an_infrastructure_error(tmp_path: Path) -> None:
    config = ExperimentConfig(name="missing", agents=["oracle"], selectors=["other/missing_tool"],
                              results_dir=tmp_path / "results", tasks_dir=REPORT_TASKS, jobs=2, retries=0)
    results = run_experiment(config).recorded
    assert len(results) == 2
    for result in results:
        assert result.status == "infra_error", (result.key.instance, result.status, result.checks)
        assert "ale-fixture-absent-solver is not installed on this machine" in (result.error or "")
        assert "Fix: run `ale setup`" in (result.error or "")
