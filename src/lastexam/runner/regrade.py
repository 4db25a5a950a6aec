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
from lastexam.store.db import ResultsStore
from lastexam.tasks.instance import Instance
from lastexam.tasks.loader import discover_tasks


def regrade_experiment(store: ResultsStore, name: str, tasks_root: Path) -> tuple[int, int]:
    """Regrade every graded trial of experiment ``name``; returns (changed, total).

    Raises:
        LastExamError: the experiment does not exist.
    """
    experiment_id = store.experiment_id(name)
    if experiment_id is None:
        raise LastExamError(f"no experiment named {name!r}. Fix: use one of: {', '.join(store.experiment_names())}")
    tasks = {t.id: t for t in discover_tasks(tasks_root)}
    changed = total = 0
    for row in store.trial_rows([experiment_id]):
        if row["status"] not in ("passed", "failed") or row["task_id"] not in tasks:
            continue
        instance = Instance(tasks[row["task_id"]], row["variant"])
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
