"""What a task's ``generate(params: Params, input_dir: Path, reference_dir: Path)`` receives, and the
small writers generators share.

``generate`` writes the instance's inputs into ``input_dir`` (the agent sees them) and its hidden
reference into ``reference_dir`` (only the grader does). It must be deterministic in ``params``:
the same parameters give byte-identical files.
"""

from __future__ import annotations

import csv
import io
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lastexam.tasks.toolenv import tool_python

Params = Mapping[str, Any]
"""A variant's parameters: the ``[variants]`` entry of task.toml plus ``variant`` (its index) and ``seed``."""


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write a CSV file (UTF-8, ``\\n`` line ends, minimal quoting) with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    Path(path).write_text(buffer.getvalue(), encoding="utf-8")


def run_tool_script(task_file: str | Path, script: Path, *args: str, timeout: float = 600) -> str:
    """Run ``script`` with ``args`` under the python of the task's own tool environment (the PyPI tools the
    agent's sandbox has, for a reference that must agree with them) and return its standard output.

    ``task_file`` is any file of the task package, usually ``__file__``. Raises RuntimeError naming the fix
    when the environment is not built, and with the end of the script's stderr when it fails.
    """
    done = subprocess.run([str(tool_python(task_file)), str(script), *args], capture_output=True, text=True,
                          timeout=timeout, env={"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0"})
    if done.returncode != 0:
        raise RuntimeError(f"{Path(script).name} failed in the task's tool environment (exit {done.returncode}): "
                           f"{done.stderr.strip()[-800:]}")
    return done.stdout
