"""A task directory loads as a package: task.py may import its sibling modules relatively, in the loader,
in generation and in the grading jail."""

from __future__ import annotations

import shutil
import typing
from pathlib import Path

import pytest

from conftest import REPO, TESTS
from lastexam.task import Grading, Params
from lastexam.tasks.loader import load_task

PACKAGE_TASKS = TESTS / "fixtures" / "package_tasks"
SPLIT = PACKAGE_TASKS / "other" / "split_count"


def test_task_py_imports_its_sibling_module_relatively() -> None:
    module = load_task(SPLIT).module()
    assert module is not None
    assert module.wording.count("a b  c\n") == 3
    assert module.__name__ == "lastexam_task_other__split_count.task"


def test_a_task_of_the_same_id_from_another_directory_gets_its_own_siblings(tmp_path: Path) -> None:
    copy = tmp_path / "other" / "split_count"
    shutil.copytree(SPLIT, copy)
    wording = copy / "wording.py"
    wording.write_text(wording.read_text().replace("return len(text.split())", "return -1"))
    assert load_task(SPLIT).module().wording.count("a b") == 2  # type: ignore[union-attr]
    assert load_task(copy).module().wording.count("a b") == -1  # type: ignore[union-attr]


@pytest.mark.slow
def test_a_split_task_generates_and_grades_in_real_sandboxes(run_agent) -> None:  # type: ignore[no-untyped-def]
    [oracle] = run_agent("oracle", "other/split_count@0", tasks_dir=PACKAGE_TASKS, name="oracle")
    [nop] = run_agent("nop", "other/split_count@0", tasks_dir=PACKAGE_TASKS, name="nop")
    assert (oracle.status, oracle.score) == ("passed", 1.0), oracle.error
    assert (nop.status, nop.score) == ("failed", 0.0), nop.error


@pytest.mark.parametrize("task_id", sorted(f"{p.parent.parent.name}/{p.parent.name}"
                                            for p in (REPO / "tasks").glob("*/*/task.toml")))
def test_every_task_is_written_against_the_public_api(task_id: str) -> None:
    task = load_task(REPO / "tasks" / task_id)
    module = task.module()
    assert module is not None
    hints = typing.get_type_hints(module.grade)
    generate = getattr(module, "generate", None)
    moved = hints.get("g") is Grading and (generate is None or typing.get_type_hints(generate).get("params") == Params)
    assert moved, f"{task.id}: annotate grade(g: Grading) and generate(params: Params, ...) from lastexam.task"
