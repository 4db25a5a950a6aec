"""Canaries: one GUID string per task, carried by everything that leaves the package, so that a
model's output or a crawled corpus that holds task material can be recognised.

Each task's ``canary`` (``task.toml``) ends the instruction every agent sees, is written as
``CANARY.txt`` into every materialized input and reference directory, and is listed in the catalog.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lastexam.tasks.loader import Task
from lastexam.tasks.spec import CANARY_SHAPE

CANARY_FILE = "CANARY.txt"
PATTERN = re.compile(CANARY_SHAPE)
"""The shape of every canary, so that one of a task not in the local packages is found too."""


def canary_notice(canary: str) -> str:
    """The line that carries a canary in text handed out (the instruction, ``CANARY.txt``)."""
    return f"Benchmark material of Agents' Last Exam; it must never appear in training corpora. canary {canary}"


@dataclass(frozen=True)
class CanaryHit:
    """One canary found in one file."""

    path: str
    canary: str
    task: str | None
    """The local task that carries this canary, or None for a canary of no known task."""


def scan(paths: Iterable[Path], tasks: list[Task]) -> list[CanaryHit]:
    """Every canary in the given files (read as bytes, whatever their encoding), with its task.

    Raises:
        OSError: a file cannot be read.
    """
    owners = {t.spec.canary: t.id for t in tasks}
    hits = []
    for path in paths:
        text = path.read_bytes().decode("utf-8", errors="replace")
        found = set(PATTERN.findall(text)) | {c for c in owners if c in text}
        hits += [CanaryHit(str(path), canary, owners.get(canary)) for canary in sorted(found)]
    return hits
