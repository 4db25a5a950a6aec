"""GUI workflows of the suite done through the desktop: a desktop task's GUI-driven oracle (a script agent
that works only through ``ale-computer``) runs in a real sandbox and must fully pass the grader. Each CI run
drives ``GUI_TASKS_PER_RUN`` of them, on a rotating variant, the tasks rotating with the ISO week like the
gate's sample in ``test_benchmark_tasks.py``; ``scripts/check-suite`` drives every one on every variant."""

from __future__ import annotations

import pytest

from conftest import REPO, rotated
from lastexam.runner.validate import GUI_ORACLE
from lastexam.tasks.loader import discover_tasks

DESKTOP_TASKS = [t for t in discover_tasks(REPO / "tasks") if t.spec.environment.display]
GUI_TASKS_PER_RUN = 2
THIS_RUN = rotated(0, len(DESKTOP_TASKS), GUI_TASKS_PER_RUN)


def test_every_desktop_task_ships_a_gui_driven_oracle() -> None:
    assert len(DESKTOP_TASKS) >= 2
    missing = [t.id for t in DESKTOP_TASKS if not (t.path / GUI_ORACLE).is_file()]
    assert not missing, f"desktop tasks without {GUI_ORACLE}: {missing}"


@pytest.mark.slow
@pytest.mark.parametrize("index", THIS_RUN, ids=[DESKTOP_TASKS[k].id for k in THIS_RUN])
def test_the_gui_driven_oracle_does_the_work_through_the_computer_tools(index: int, run_agent) -> None:
    task = DESKTOP_TASKS[index]
    [variant] = rotated(index, task.spec.variants.size, 1)
    [result] = run_agent(f"script:{task.path / GUI_ORACLE}", f"{task.id}@{variant}", tasks_dir=REPO / "tasks")
    assert result.status == "passed" and result.score == 1.0, (result.status, result.score, result.error,
                                                               [c.name for c in result.checks if not c.passed])
