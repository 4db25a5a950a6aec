"""Re-score stored outputs with the current graders, without rerunning any agent.

Run directories are found under the results directory first (``locate_run_dir``: results that were
moved or copied are regraded where they are now, never at the absolute path recorded, which may be gone
or belong to the original); one published to an object store is regraded in a local mirror, and its new
grade.json and trial.json are written back. A trial that cannot be regraded (its run directory or
trial.json missing or unreadable, its grader failing independently of the output) keeps its recorded grade
and is reported as a problem naming the file and the fix; the other trials are regraded. The harness's own
gates (a sandbox limit hit, output over the collection limits) are kept from the recorded result. The run
facts are taken again from the run directory (the task's declared executables may have changed since the
run) and recorded with the new grade.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from lastexam.analysis.facts import inspect_run_dir
from lastexam.contracts.trial import TrialKey, TrialResult
from lastexam.errors import GraderError, LastExamError
from lastexam.runner.experiment import require_same_salt
from lastexam.runner.trial import HARNESS_CHECKS, grade_run
from lastexam.store.artifacts import in_object_store, mirror_run_dir, publish_files
from lastexam.store.db import ResultsStore
from lastexam.store.rundir import RunDir, locate_run_dir, mirror_cache
from lastexam.tasks.instance import Instance, salt_hash
from lastexam.tasks.loader import Task, discover_tasks


@dataclass
class RegradeOutcome:
    """Trials regraded, how many changed score or pass, and one message per trial that could not be regraded."""

    total: int = 0
    changed: int = 0
    problems: list[str] = field(default_factory=list)


def regrade_experiment(store: ResultsStore, name: str, tasks_root: Path, results_dir: Path | None = None, *,
                       salt: str | None = None) -> RegradeOutcome:
    """Regrade every graded trial of experiment ``name``, finding run directories under ``results_dir`` first.

    The grader sees the instance's parameters, seed included, so trials of salted instances are regraded
    only with the same ``salt`` (checked against the hash each trial recorded), and nothing is regraded
    when any trial's salt differs.

    Raises:
        LastExamError: the experiment does not exist, or was run with another salt (or none). A trial that
            cannot be regraded is not raised: it is listed in ``RegradeOutcome.problems`` and the others go on.
    """
    experiment_id = store.experiment_id(name)
    if experiment_id is None:
        raise LastExamError(f"no experiment named {name!r}. Fix: use one of: {', '.join(store.experiment_names())}")
    require_same_salt(store, experiment_id, name, None if salt is None else salt_hash(salt))
    tasks = {t.id: t for t in discover_tasks(tasks_root, import_graders=False)}
    outcome = RegradeOutcome()
    for row in store.trial_rows([experiment_id]):
        if row["status"] not in ("passed", "failed") or row["task_id"] not in tasks:
            continue
        label = f"{row['instance']} ({row['agent']}, epoch {row['epoch']})"
        try:
            updated = _regrade_one(row, tasks[row["task_id"]], _local_run_dir(row["run_dir"], results_dir), salt)
            if in_object_store(row["run_dir"]):
                _publish_regrade(updated, row["run_dir"])
        except LastExamError as exc:
            outcome.problems.append(f"{label}: {exc}")
            continue
        outcome.total += 1
        if updated.score != row["score"] or updated.passed != row["passed"]:
            outcome.changed += 1
        store.record(experiment_id, updated, regrade=True)
    return outcome


def _local_run_dir(recorded: str, results_dir: Path | None) -> Path:
    """The run directory to regrade: found under ``results_dir``, or the local mirror of a published one.

    Raises:
        LastExamError: the object store holding it cannot be read.
    """
    if not in_object_store(recorded):
        return locate_run_dir(recorded, results_dir)
    try:
        return mirror_run_dir(recorded, mirror_cache(results_dir))
    except Exception as exc:  # OSError, or the storage library's own connection errors
        raise LastExamError(f"cannot read the run directory {recorded} ({type(exc).__name__}: {exc}). Fix: give "
                            "this machine access to the storage (credentials, AWS_ENDPOINT_URL)") from exc


def _publish_regrade(updated: TrialResult, url: str) -> None:
    """Write the regraded grade.json and trial.json back to the published run directory, and record it there."""
    local = Path(updated.run_dir)
    updated.run_dir = url
    RunDir(local).write_json("trial.json", updated)
    try:
        publish_files(local, url, ["grade.json", "trial.json"])
    except OSError as exc:
        raise LastExamError(f"cannot write the regrade back to {url} ({type(exc).__name__}: {exc}). Fix: give "
                            "this machine write access to the storage, and regrade again") from exc


def _regrade_one(row: dict[str, Any], task: Task, run_dir: Path, salt: str | None) -> TrialResult:
    """Grade one trial's stored output again through a trial's own grading stage (``grade_run``), rewrite its
    grade.json and trial.json, and return the new result.

    Raises:
        LastExamError: the run directory or its trial.json is missing or unreadable, or the grader failed
            independently of the output; the message names the file and the fix.
    """
    rundir = RunDir(run_dir)
    trial_json = rundir.trial_json
    if not run_dir.is_dir():
        raise LastExamError(f"run directory {run_dir} does not exist. Fix: pass --results-dir pointing at the "
                            "results that hold runs/, or restore the run directory")
    try:
        result = rundir.result()
    except (OSError, ValueError, ValidationError) as exc:
        raise LastExamError(f"cannot read {trial_json} ({type(exc).__name__}: {str(exc).splitlines()[0]}). "
                            "Fix: restore trial.json from a backup of the results, or rerun this trial") from exc
    instance = Instance(task, row["variant"], salt=salt)
    # What the harness saw of the run (a sandbox limit, output over the collection limits) still holds.
    harness = [c for c in result.checks if c.name in HARNESS_CHECKS]
    try:
        grade, _ = grade_run(task, rundir, instance.params, harness)
    except GraderError as exc:
        raise LastExamError(f"the grader of {task.id} failed on {rundir.output}: {exc}") from exc
    updated = result.model_copy(update={
        "key": TrialKey(agent=row["agent"], instance=row["instance"], epoch=row["epoch"]),
        "status": "passed" if grade.passed else "failed", "score": grade.score, "passed": grade.passed,
        "checks": grade.checks, "task_version": task.spec.version, "run_dir": str(run_dir),
        "facts": inspect_run_dir(run_dir, task.spec.software.executables),
    })
    rundir.write_json("trial.json", updated)
    return updated
