"""docs/writing-tasks.md is a working example: its ``file=`` blocks make a task, its Python blocks grade it."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import REPO

GUIDE = REPO / "docs" / "writing-tasks.md"
BLOCK = re.compile(r"^```(\w+)(?: file=(\S+))?\n(.*?)^```$", re.M | re.S)


def blocks(text: str) -> list[tuple[str, str | None, str]]:
    """The fenced blocks of a Markdown text: (language, file name or None, body)."""
    return [(m.group(1), m.group(2), m.group(3)) for m in BLOCK.finditer(text)]


def test_the_guide_builds_a_task_whose_oracle_passes_and_whose_hollow_outputs_fail(tmp_path: Path) -> None:
    found = blocks(GUIDE.read_text(encoding="utf-8"))
    files = [(name, body) for _, name, body in found if name]
    code = [body for language, name, body in found if language == "python" and not name]
    assert {name for name, _ in files} >= {"task.toml", "instruction.md", "task.py", "solution/solve.sh"}
    assert len(code) >= 2
    task_dir = tmp_path / "tasks" / "engineering" / "tank_volumes"
    for name, body in files:
        (task_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (task_dir / name).write_text(body)
    (task_dir / "solution" / "solve.sh").chmod(0o755)
    (tmp_path / "work").mkdir()
    namespace = {"task_dir": task_dir, "work": tmp_path / "work"}
    for body in code:
        exec(compile(body, str(GUIDE), "exec"), namespace)  # the assertions are the guide's own
