"""Validity of every task package in the benchmark: the validity gate of ``ale tasks check`` on every task in
every CI run, trimmed to CI's budget by checking one variant per task (the issue allows a sample of variants as
long as every task is covered): on it the oracle scores 1.0, nop 0, the same grade twice, and ``fabricate.py``,
every ``adversaries/`` script and every ablation fall short of a full pass. The variant rotates with the ISO
week (or ``ALE_GATE_ROTATION``) and differs between neighbouring tasks, so successive CI runs check every
variant. ``scripts/check-suite`` runs the whole gate on every task and variant, and judges the declared
software there."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from conftest import REPO
from lastexam.runner.validate import FABRICATOR, GateOptions, check_task
from lastexam.tasks.loader import discover_tasks
from lastexam.tasks.select import select_instances

TASKS = discover_tasks(REPO / "tasks")


def checked_variant(index: int, variants: int) -> int:
    """The variant of the task at ``index`` (in discovery order) that this CI run checks: neighbouring tasks
    check different variants, and each task's variant moves on weekly."""
    rotation = int(os.environ.get("ALE_GATE_ROTATION", dt.date.today().isocalendar().week))
    return (rotation + index) % variants


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(TASKS)), ids=[t.id for t in TASKS])
def test_task_is_valid(index: int) -> None:
    task = TASKS[index]
    assert (task.path / FABRICATOR).is_file(), f"{task.id} ships no {FABRICATOR} adversary"
    variant = checked_variant(index, task.spec.variants.size)
    verdict = check_task(task, GateOptions(variants=(variant,)))
    problems = [*verdict.problems, *(f"{v.instance}: {p}" for v in verdict.variants for p in v.problems)]
    assert verdict.ok, "\n".join(problems)
    assert [v.instance for v in verdict.variants] == [f"{task.id}@{variant}"]
    assert task.spec.variants.size >= 3


def test_smoke_suite_names_six_tasks_in_six_clusters() -> None:
    instances = select_instances(["suite:smoke"], TASKS, REPO / "suites")
    tasks = {i.task.id: i.task for i in instances}
    assert len(tasks) == 6
    assert len({t.spec.cluster for t in tasks.values()}) == 6
