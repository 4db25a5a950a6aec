"""Validity of every task package in the benchmark: the validity gate of ``ale tasks check`` on every task in
every CI run, trimmed to CI's budget by sampling (the issue allows a sample as long as every task is covered):
one variant per task, and on it the oracle scores 1.0, nop 0, the same grade twice, and ``fabricate.py``,
``SAMPLED_ADVERSARIES`` of the ``adversaries/`` scripts and every ablation fall short of a full pass. The
variant and the adversaries rotate with the ISO week (or ``ALE_GATE_ROTATION``) and differ between
neighbouring tasks, so successive CI runs check every variant and every adversary. Desktop tasks' GUI-driven
oracles run in ``test_gui_tasks.py``. ``scripts/check-suite`` runs the whole gate on every task, variant and
adversary, and judges the declared software there."""

from __future__ import annotations

import pytest

from conftest import REPO, rotated
from lastexam.runner.validate import ADVERSARIES_DIR, FABRICATOR, GateOptions, adversaries_of, check_task
from lastexam.tasks.loader import discover_tasks
from lastexam.tasks.select import select_instances

TASKS = discover_tasks(REPO / "tasks")
SAMPLED_ADVERSARIES = 1


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(TASKS)), ids=[t.id for t in TASKS])
def test_task_is_valid(index: int) -> None:
    task = TASKS[index]
    assert (task.path / FABRICATOR).is_file(), f"{task.id} ships no {FABRICATOR} adversary"
    assert task.spec.variants.size >= 3
    [variant] = rotated(index, task.spec.variants.size, 1)
    scripts = [str(p.relative_to(task.path)) for p in adversaries_of(task) if p.parent.name == ADVERSARIES_DIR]
    sampled = [scripts[k] for k in rotated(index, len(scripts), SAMPLED_ADVERSARIES)]
    verdict = check_task(task, GateOptions(variants=(variant,), adversary_names=(FABRICATOR, *sampled),
                                           gui_oracle=False))
    problems = [*verdict.problems, *(f"{v.instance}: {p}" for v in verdict.variants for p in v.problems)]
    assert verdict.ok, "\n".join(problems)
    [checked] = verdict.variants
    assert checked.instance == f"{task.id}@{variant}"
    assert sorted(p.name for p in checked.probes if not p.name.startswith("ablation:")) == sorted([FABRICATOR, *sampled])


def test_rotation_visits_every_variant_and_adversary_in_successive_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: set[int] = set()
    for turn in range(7):
        monkeypatch.setenv("ALE_GATE_ROTATION", str(turn))
        picked = rotated(3, 7, SAMPLED_ADVERSARIES)
        assert len(picked) == SAMPLED_ADVERSARIES
        seen.update(picked)
    assert seen == set(range(7))
    monkeypatch.setenv("ALE_GATE_ROTATION", "0")
    assert rotated(0, 3, 1) != rotated(1, 3, 1)
    assert rotated(5, 1, SAMPLED_ADVERSARIES) == [0]


def test_smoke_suite_names_six_tasks_in_six_clusters() -> None:
    instances = select_instances(["suite:smoke"], TASKS, REPO / "suites")
    tasks = {i.task.id: i.task for i in instances}
    assert len(tasks) == 6
    assert len({t.spec.cluster for t in tasks.values()}) == 6
