"""Each task's Python tool environment.

A task's PyPI declarations (``[software] pypi``) get a venv of their own over Debian's python3 (which
keeps Debian's packages visible), holding exactly those packages. The venv is named by a hash of the
declarations, so tasks that declare the same packages share one, and adding or changing a task can never
change the packages another task sees: one task may pin ``numpy<2`` while another needs numpy 2.

``ale setup`` builds the environments; a sandbox binds its task's one read-only at the same path and puts
its ``bin`` first on the PATH. An environment counts as built only once its marker file is written, after
every package installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Sequence
from pathlib import Path

DEBIAN_PYTHON = "/usr/bin/python3"
READY_MARKER = "ale-environment.json"
_FORMAT = 1


def envs_root() -> Path:
    """Where the tool environments live (``ALE_TOOL_ENVS``, default /opt/lastexam/envs)."""
    return Path(os.environ.get("ALE_TOOL_ENVS", "/opt/lastexam/envs"))


def tool_env(pypi: Sequence[str]) -> Path:
    """The environment for these PyPI requirements (built or not): a path named by their content hash."""
    key = json.dumps({"format": _FORMAT, "python": os.path.realpath(DEBIAN_PYTHON),
                      "pypi": sorted({spec.strip() for spec in pypi})})
    return envs_root() / hashlib.sha256(key.encode()).hexdigest()[:16]


def task_tool_env(task_dir: Path) -> Path:
    """The environment of the task package at ``task_dir``, from the ``[software] pypi`` of its task.toml.

    Raises OSError when the task.toml cannot be read, tomllib.TOMLDecodeError when it is not TOML.
    """
    spec = tomllib.loads((Path(task_dir) / "task.toml").read_text(encoding="utf-8"))
    return tool_env(spec.get("software", {}).get("pypi", []))


def is_built(env: Path) -> bool:
    """Whether ``env`` was built to the end (its marker written after the last install)."""
    return (env / READY_MARKER).is_file() and (env / "bin" / "python3").exists()


def tool_python(task_file: str | Path) -> Path:
    """The python3 of the tool environment of the task whose ``task.py`` (or any file of the package) is
    ``task_file``; for a generator that must compute its reference with the task's own PyPI tools.

    Raises RuntimeError naming the fix when the environment is not built.
    """
    task_dir = Path(task_file).resolve().parent
    while not (task_dir / "task.toml").is_file():
        if task_dir.parent == task_dir:
            raise RuntimeError(f"{task_file} is not inside a task package (no task.toml above it)")
        task_dir = task_dir.parent
    env = task_tool_env(task_dir)
    if not is_built(env):
        raise RuntimeError(f"the tool environment of {task_dir.name} ({env}) is not built. Fix: run `ale setup`")
    return env / "bin" / "python3"
