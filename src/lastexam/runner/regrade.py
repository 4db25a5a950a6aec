"""Re-score stored outputs with the current graders, without rerunning any agent.

The run facts are taken again from the run directory (the task's declared executables may have
changed since the run) and recorded with the new grade.
"""

from __future__ import annotations

from pathlib import Path

from lastexam.analysis.facts import inspect_run_dir
from lastexam.errors import GraderError, LastExamError
from lastexam.grading.blame import grade_output
from lastexam.results import TrialKey, TrialResult
from lastexam.runner.experiment import require_same_salt
from lastexam.store.db import ResultsStore
from lastexam.tasks.instance import Instance, salt_hash
from lastexam.tasks.loader import discover_tasks


def regrade_experiment(store: ResultsStore, name: str, tasks_root: Path, *, salt: str | None = None) -> tuple[int, int]:
    """Regrade every graded trial of experiment ``name``; returns (changed, total).

    The grader sees the instance's parameters, seed included, so trials of salted instances are regraded
    only with the same ``salt`` (checked against the hash each trial recorded), and nothing is regraded
    when any trial's salt differs.

    Raises:
        LastExamError: the experiment does not exist, or was run with another salt (or none).
    """
    experiment_id = store.experiment_id(name)
    if experiment_id is None:
        raise LastExamError(f"no experiment named {name!r}. Fix: use one of: {', '.join(store.experiment_names())}")
    require_same_salt(store, experiment_id, name, None if salt is None else salt_hash(salt))
    tasks = {t.id: t for t in discover_tasks(tasks_root)}
    changed = total = 0
    for row in store.trial_rows([experiment_id]):
        if row["status"] not in ("passed", "failed") or row["task_id"] not in tasks:
            continue
        instance = Instance(tasks[row["task_id"]], row["variant"], salt=salt)
        run_dir = Path(row["run_dir"])
        try:
            grade = grade_output(instance.task.path, run_dir / "output", run_dir / "private" / "input",
                               run_dir / "private" / "reference", instance.params,
                               timeout=instance.task.spec.grader_timeout_sec)
        except GraderError as exc:
            raise LastExamError(f"regrading {row['instance']} ({row['agent']}) failed: {exc}") from exc
        total += 1
        result = TrialResult.model_validate_json((run_dir / "trial.json").read_text())
        updated = result.model_copy(update={
            "key": TrialKey(agent=row["agent"], instance=row["instance"], epoch=row["epoch"]),
            "status": "passed" if grade.passed else "failed", "score": grade.score, "passed": grade.passed,
            "checks": grade.checks, "task_version": instance.task.spec.version,
            "facts": inspect_run_dir(run_dir, instance.task.spec.software.executables),
        })
        if updated.score != row["score"] or updated.passed != row["passed"]:
            changed += 1
        (run_dir / "grade.json").write_text(grade.model_dump_json(indent=2))
        (run_dir / "trial.json").write_text(updated.model_dump_json(indent=2))
        store.record(experiment_id, updated, regrade=True)
    return changed, total
