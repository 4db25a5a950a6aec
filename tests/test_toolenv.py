"""Each task gets its own Python tool environment: two tasks that pin different releases of one package each
see their own inside the sandbox and in the grader's tool runs, adding a task never changes another's
environment, and a build cut short is neither used nor reported as installed."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import TESTS
from lastexam.contracts.sandbox import Limits
from lastexam.grading.tools import missing_program
from lastexam.sandbox.bwrap import BwrapSandbox, new_workspace
from lastexam.setup import install, missing_software
from lastexam.tasks.loader import Task, load_task
from lastexam.tasks.toolenv import READY_MARKER, is_built, task_tool_env, tool_env, tool_python

FIXTURE = TESTS / "fixtures" / "limits_tasks" / "other" / "word_count"
# A small pure-Python package Debian does not ship here, at two releases that differ in a visible way.
OLD, NEW = "tabulate==0.8.10", "tabulate==0.9.0"


@pytest.fixture
def envs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh environments root the sandbox's own uid can read (pytest's tmp_path is private to root)."""
    root = Path(tempfile.mkdtemp(prefix="ale-envs-test-"))
    root.chmod(0o755)
    monkeypatch.setenv("ALE_TOOL_ENVS", str(root))
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _task(root: Path, name: str, pypi: list[str]) -> Task:
    """A copy of the word-count fixture as ``other/<name>`` declaring ``pypi``."""
    directory = root / "other" / name
    shutil.copytree(FIXTURE, directory)
    toml = (directory / "task.toml").read_text().replace('id = "other/word_count"', f'id = "other/{name}"')
    (directory / "task.toml").write_text(toml.replace("[software]\n", f"[software]\npypi = {pypi!r}\n"))
    return load_task(directory)


def _sandbox_output(task: Task, code: str, tmp_path: Path) -> str:
    out = tmp_path / f"{task.path.name}.out"
    with BwrapSandbox(new_workspace(), Limits(memory_mb=512, processes=64), tools=task.tools) as sandbox:
        result = sandbox.exec_sync(["python3", "-c", code], timeout=60, stdout=out, stderr=tmp_path / "err")
    assert result.returncode == 0, (tmp_path / "err").read_text()
    return out.read_text().strip()


def test_environments_are_named_by_their_declarations(tmp_path: Path, envs: Path) -> None:
    assert tool_env(["b==1", "a"]) == tool_env(["a", " b==1"])
    assert tool_env(["a"]) != tool_env(["a", "b==1"]) != tool_env([])
    assert tool_env([]).parent == envs
    first = _task(tmp_path / "tasks", "first", [OLD])
    before = first.tools
    _task(tmp_path / "tasks", "second", [NEW])
    assert load_task(first.path).tools == before == task_tool_env(first.path), "another task moved this one's"


@pytest.mark.slow
def test_conflicting_pins_each_hold_in_their_own_sandbox(tmp_path: Path, envs: Path) -> None:
    old, new = _task(tmp_path / "tasks", "old_pin", [OLD]), _task(tmp_path / "tasks", "new_pin", [NEW])
    plain = _task(tmp_path / "tasks", "no_pin", [])
    assert {f"pypi:{OLD} ({old.tools})", f"pypi:{NEW} ({new.tools})"} <= set(missing_software([old, new, plain]))

    install([old, new, plain])
    assert missing_software([old, new, plain]) == []
    assert is_built(old.tools) and is_built(new.tools) and old.tools != new.tools

    version = "import tabulate; print(tabulate.__version__)"
    assert _sandbox_output(old, version, tmp_path) == "0.8.10"
    assert _sandbox_output(new, version, tmp_path) == "0.9.0"
    absent = "import importlib.util; print(importlib.util.find_spec('tabulate') is None)"
    assert _sandbox_output(plain, absent, tmp_path) == "True", "a task without the declaration saw the package"
    # Read-only inside: the agent cannot plant a package another trial of the task would import.
    plant = f"open({str(old.tools / 'planted.py')!r}, 'w')"
    with BwrapSandbox(new_workspace(), Limits(memory_mb=512, processes=64), tools=old.tools) as sandbox:
        result = sandbox.exec_sync(["python3", "-c", plant], timeout=60, stdout=tmp_path / "o", stderr=tmp_path / "e")
    assert result.returncode != 0 and "Read-only file system" in (tmp_path / "e").read_text()
    assert not (old.tools / "planted.py").exists()

    # The grader's tool runs see the task's environment: the package's own program is found there only.
    assert missing_program(["tabulate"], old.tools) is None
    assert missing_program(["tabulate"], plain.tools) == "tabulate"
    assert tool_python(old.path / "task.py") == old.tools / "bin" / "python3"


def test_a_build_cut_short_is_not_used(tmp_path: Path, envs: Path) -> None:
    task = _task(tmp_path / "tasks", "half_built", [OLD])
    (task.tools / "bin").mkdir(parents=True)
    (task.tools / "bin" / "python3").symlink_to("/usr/bin/python3")  # the venv exists, its installs never ended
    assert not is_built(task.tools)
    assert f"pypi:{OLD} ({task.tools})" in missing_software([task])
    with pytest.raises(RuntimeError, match=r"not built\. Fix: run `ale setup`"):
        tool_python(task.path / "task.py")
    (task.tools / READY_MARKER).write_text("{}")
    assert is_built(task.tools)
