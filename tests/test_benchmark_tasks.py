"""Validity of every task package in the benchmark: the validity gate of ``ale tasks check`` run live, trimmed to
CI's budget by sampling. Each run checks one task in ``TASK_SHARE`` (every task's whole gate is held in
``suites/gate-record.jsonl`` and required by ``test_gate_status.py`` in every run): one variant per task, and on it
the oracle scores 1.0, nop 0, the same grade twice, and ``fabricate.py``, ``SAMPLED_ADVERSARIES`` of the
``adversaries/`` scripts and every ablation fall short of a full pass. The tasks, the variant and the adversaries
rotate with the ISO week (or ``ALE_GATE_ROTATION``) and differ between neighbouring tasks, so successive CI runs
check every task, variant and adversary. Desktop tasks' GUI-driven
oracles run in ``test_gui_tasks.py``. ``scripts/check-suite`` runs the whole gate on every task, variant and
adversary, and judges the declared software there."""

from __future__ import annotations

import pytest

from conftest import REPO, rotated, rotation
from lastexam.runner.validate import ADVERSARIES_DIR, FABRICATOR, GateOptions, adversaries_of, check_task
from lastexam.tasks.loader import discover_tasks
from lastexam.tasks.select import select_instances

TASKS = discover_tasks(REPO / "tasks")
SAMPLED_ADVERSARIES = 1
TASK_SHARE = 3


def live_this_run(count: int) -> list[int]:
    """The indices of the tasks this run checks live: one in ``TASK_SHARE``, moving on with each turn."""
    return [index for index in range(count) if (index + rotation()) % TASK_SHARE == 0]


def live_turn() -> int:
    """The turn that picks a live task's variant and adversaries: it moves on once per live check of each task
    (``rotation()`` itself is the same modulo ``TASK_SHARE`` at every live check of a task)."""
    return rotation() // TASK_SHARE


LIVE = live_this_run(len(TASKS))


@pytest.mark.slow
@pytest.mark.parametrize("index", LIVE, ids=[TASKS[i].id for i in LIVE])
def test_task_is_valid(index: int) -> None:
    task = TASKS[index]
    assert (task.path / FABRICATOR).is_file(), f"{task.id} ships no {FABRICATOR} adversary"
    assert task.spec.variants.size >= 3
    [variant] = rotated(index, task.spec.variants.size, 1, live_turn())
    scripts = [str(p.relative_to(task.path)) for p in adversaries_of(task) if p.parent.name == ADVERSARIES_DIR]
    sampled = [scripts[k] for k in rotated(index, len(scripts), SAMPLED_ADVERSARIES, live_turn())]
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


def test_rotation_checks_every_task_live_and_then_each_of_its_variants(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = []
    for turn in range(TASK_SHARE):
        monkeypatch.setenv("ALE_GATE_ROTATION", str(turn))
        runs.append(set(live_this_run(len(TASKS))))
    assert set.union(*runs) == set(range(len(TASKS)))
    assert sum(len(run) for run in runs) == len(TASKS)
    for index in (0, 1, 2, 4):
        variants, adversaries = set(), set()
        for turn in range(TASK_SHARE * 7):
            monkeypatch.setenv("ALE_GATE_ROTATION", str(turn))
            if index in live_this_run(index + 1):
                variants.update(rotated(index, 3, 1, live_turn()))
                adversaries.update(rotated(index, 7, SAMPLED_ADVERSARIES, live_turn()))
        assert variants == {0, 1, 2} and adversaries == set(range(7)), index


def test_smoke_suite_names_six_tasks_in_six_clusters() -> None:
    instances = select_instances(["suite:smoke"], TASKS, REPO / "suites")
    tasks = {i.task.id: i.task for i in instances}
    assert len(tasks) == 6
    assert len({t.spec.cluster for t in tasks.values()}) == 6
