"""Materialize an instance's inputs and reference, once per experiment.

Generation is deterministic by contract (same parameters, same inputs and reference), so
every trial of an instance in one experiment (each agent, each epoch) shares one generation:
the first trial generates into a cache directory, the others hard-link from it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from lastexam.grading.runner import run_generator

_COMPLETE = ".complete"


def _link_tree(source: Path, target: Path) -> None:
    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link_or_copy, symlinks=True)


GENERATE_TIMEOUT = 900.0


def materialize(
    task_dir: Path, params: dict[str, Any], input_dir: Path, reference_dir: Path, *, log: Path,
    cache: Path | None = None, slot_name: str = "",
) -> None:
    """Write an instance's inputs to ``input_dir`` and reference to ``reference_dir`` from the task package at
    ``task_dir`` and the variant's ``params``, generating in a fresh process (its output appended to ``log``).

    With a ``cache`` directory, generate into its ``slot_name`` at most once (under a file lock, so
    concurrent trials and processes agree) and link the trial's copies from it; the slot name must tell the
    instances apart (its id and salt hash).

    Raises:
        GraderError: the generator crashed or ran out of time.
    """
    if cache is None:
        run_generator(task_dir, params, input_dir, reference_dir, timeout=GENERATE_TIMEOUT, log_path=log)
        return
    slot = cache / slot_name
    slot.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(cache, 0o700)
    with open(slot.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (slot / _COMPLETE).exists():
            shutil.rmtree(slot, ignore_errors=True)
            fresh = Path(tempfile.mkdtemp(dir=cache, prefix=".generating-"))
            run_generator(task_dir, params, fresh / "input", fresh / "reference", timeout=GENERATE_TIMEOUT,
                          log_path=log)
            (fresh / _COMPLETE).touch()
            os.replace(fresh, slot)
    _link_tree(slot / "input", input_dir)
    _link_tree(slot / "reference", reference_dir)
