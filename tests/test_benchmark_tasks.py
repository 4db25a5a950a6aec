"""Validity of every task package in the benchmark: oracle 1.0 on every variant, nop 0, the same
grade twice, and the plausible-fabrication adversary never fully passes."""

from __future__ import annotations

import pytest

from conftest import REPO
from lastexam.runner.validate import FABRICATOR, check_task
from lastexam.tasks.loader import discover_tasks
from lastexam.tasks.select import select_instances

TASKS = discover_tasks(REPO / "tasks")


@pytest.mark.slow
@pytest.mark.parametrize("task", TASKS, ids=[t.id for t in TASKS])
def test_task_is_valid(task) -> None:  # type: ignore[no-untyped-def]
    assert (task.path / FABRICATOR).is_file(), f"{task.id} ships no {FABRICATOR} adversary"
    verdict = check_task(task)
    problems = [*verdict.problems, *(f"{v.instance}: {p}" for v in verdict.variants for p in v.problems)]
    assert verdict.ok, "\n".join(problems)
    assert len(verdict.variants) >= 3


def test_smoke_suite_names_six_tasks_in_six_clusters() -> None:
    instances = select_instances(["suite:smoke"], TASKS, REPO / "suites")
    tasks = {i.task.id: i.task for i in instances}
    assert len(tasks) == 6
    assert len({t.spec.cluster for t in tasks.values()}) == 6
