"""The reproducibility manifest: written with each start of an experiment, equal when nothing changed,
different where a task file changed, and a pooled report warns when experiments' conditions differ."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURE_TASKS, REPO
from lastexam.runner.config import ExperimentConfig
from lastexam.runner.experiment import run_experiment
from lastexam.runner.manifest import build_manifest, diff_manifests
from lastexam.tasks.loader import discover_tasks

ALE = str(REPO / ".venv" / "bin" / "ale")


def test_the_manifest_changes_with_a_task_file_and_only_then(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE_TASKS, tmp_path / "tasks")
    config = ExperimentConfig(name="m", agents=["oracle"], selectors=["other/*"], tasks_dir=tmp_path / "tasks")
    before = build_manifest(config, discover_tasks(tmp_path / "tasks"))
    again = build_manifest(config, discover_tasks(tmp_path / "tasks"))
    assert [d.field for d in diff_manifests(before, again) if d.affects_scores] == []
    assert before.framework["uv_lock_sha256"] and before.machine["cpus"]
    assert "bubblewrap" not in before.software["debian"], "only what the planned tasks declare"
    with open(tmp_path / "tasks" / "other" / "league_table" / "task.py", "a") as grader:
        grader.write("\n# a changed grader\n")
    changed = build_manifest(config, discover_tasks(tmp_path / "tasks"))
    [difference] = [d for d in diff_manifests(before, changed) if d.affects_scores]
    assert difference.field == "tasks.other/league_table.sha256"


@pytest.mark.slow
def test_each_start_is_recorded_and_pooling_different_conditions_is_warned(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for name, epochs in (("one", 1), ("two", 2)):
        run_experiment(ExperimentConfig(name=name, agents=["nop"], selectors=["other/league_table@0"], epochs=epochs,
                                        results_dir=results, tasks_dir=FIXTURE_TASKS))
    run_experiment(ExperimentConfig(name="one", agents=["nop"], selectors=["other/league_table@0"],
                                    results_dir=results, tasks_dir=FIXTURE_TASKS))  # a resume: a second start
    common = ["--results-dir", str(results)]
    shown = subprocess.run([ALE, "manifest", "show", "one", *common], capture_output=True, text=True)
    assert shown.returncode == 0 and shown.stdout.count('"written_at"') == 2
    diff = subprocess.run([ALE, "manifest", "diff", "one", "two", *common], capture_output=True, text=True)
    assert diff.returncode == 1 and "* limits.epochs: 1 -> 2" in diff.stdout
    same = subprocess.run([ALE, "manifest", "diff", "one", "one", *common], capture_output=True, text=True)
    assert same.returncode == 0
    pooled = subprocess.run([ALE, "report", *common, "--resamples", "100"], capture_output=True, text=True)
    assert pooled.returncode == 0 and "limits.epochs" in pooled.stderr and "ale manifest diff one two" in pooled.stderr
    alone = subprocess.run([ALE, "report", *common, "--name", "one", "--resamples", "100"], capture_output=True,
                           text=True)
    assert "warning" not in alone.stderr
