"""What a trial's run tells beyond its database row: did it leave output, and did the agent use the
task's professional software or write its own substitute; and the failure category.

The runner takes these facts when a trial ends (``run_facts``, recorded with the trial); for trials
recorded before that, a report reads them from the run directory (``inspect_run_dir``).

Failure categories, first match wins:

``passed`` (a full pass), ``cancelled``, ``infrastructure`` (status infra_error: never the agent's
fault), ``timeout`` and ``limit`` (the agent's outcome), ``no_output`` (the collected output
directory is empty), ``gate_failed`` (a gate check such as a required file or a schema failed),
``partial`` (some credit: score above 0) and ``zero_score`` (graded, nothing earned).

Software use, from the commands in trajectory.json (every string in each tool call's arguments:
``argv``, ``command``, a script's text being written, ...):

``used`` (a declared executable of the task appears as a word), ``substitute`` (commands were
recorded, none names the declared software, and the agent left output), ``not_used`` (the same,
without output), ``unknown`` (no trajectory or no tool calls, a task whose declaration is not
known, or commands that only run a script under /agent/ whose text the trajectory does not show).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from lastexam.contracts.facts import RunFacts, SoftwareUse

_OPAQUE = re.compile(r"(^|[\s'\"=])/agent/")


def failure_categories(status: ArrayLike, agent_outcome: ArrayLike, score: ArrayLike, gate_failed: ArrayLike,
                       output_files: ArrayLike) -> np.ndarray:
    """The one category of each recorded trial (see the module docstring for the order), elementwise over
    equal-length sequences; ``agent_outcome`` may hold None, ``output_files`` None or NaN (not known)."""
    status = np.asarray(status, dtype=object)
    outcome = np.asarray(agent_outcome, dtype=object)
    files = pd.to_numeric(pd.Series(np.asarray(output_files, dtype=object)), errors="coerce").to_numpy(np.float64)
    conditions = [status == "passed", status == "cancelled", status == "infra_error", outcome == "timeout",
                  outcome == "limit", files == 0, np.asarray(gate_failed, dtype=bool),
                  np.asarray(score, dtype=np.float64) > 0]
    choices = ["passed", "cancelled", "infrastructure", "timeout", "limit", "no_output", "gate_failed", "partial"]
    return np.select(conditions, choices, default="zero_score").astype(object)


def string_values(value: Any) -> Iterator[str]:
    """Every string inside a parsed JSON value (depth first)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from string_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from string_values(item)


def tool_call_texts(trajectory: dict[str, Any]) -> list[str]:
    """Every string inside the arguments of every tool call of an ATIF trajectory (as parsed JSON)."""
    texts: list[str] = []
    for step in trajectory.get("steps") or []:
        for call in step.get("tool_calls") or []:
            arguments = call.get("arguments")
            texts.append(" ".join(string_values(arguments)) if arguments is not None else "")
    return texts


def executable_pattern(executables: Sequence[str]) -> re.Pattern[str] | None:
    """A regex that finds any of the program names as a word (also as the last part of a path)."""
    names = sorted({Path(e).name for e in executables if e.strip()}, key=len, reverse=True)
    if not names:
        return None
    return re.compile(r"(?<![\w.-])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w-])")


def executables_basis(executables: Iterable[str]) -> str:
    """Declared executables as one canonical string (sorted, space-separated): two declarations judge software
    use the same way when their bases are equal."""
    return " ".join(sorted(executables))


@lru_cache(maxsize=4096)
def _basis_pattern(basis: str) -> re.Pattern[str] | None:
    return executable_pattern(basis.split(" "))


def software_use(texts: list[str] | None, pattern: re.Pattern[str] | None, output_files: int | None) -> SoftwareUse:
    """Classify software use from the tool-call texts (None: no trajectory) and the declared executables."""
    if not texts or pattern is None:
        return "unknown"
    if any(pattern.search(text) for text in texts):
        return "used"
    if any(_OPAQUE.search(text) for text in texts):
        return "unknown"
    return "substitute" if output_files else "not_used"


def count_files(directory: Path) -> int | None:
    """Regular files under ``directory`` (recursively); None when it does not exist."""
    if not directory.is_dir():
        return None
    return sum(len(files) for _, _, files in os.walk(directory))


def run_facts(texts: list[str] | None, output_dir: Path, executables: Iterable[str]) -> RunFacts:
    """The facts of a run from its tool-call texts (``tool_call_texts``; None: no trajectory) and its
    collected output directory (a missing one counts as empty), judged against the task's declared
    ``executables``. The runner records these with the trial; a report computes the same from a run directory."""
    output_files = count_files(output_dir) or 0
    basis = executables_basis(executables)
    return RunFacts(output_files=output_files, tool_calls=None if texts is None else len(texts),
                    software=software_use(texts, _basis_pattern(basis), output_files), executables=basis)


def inspect_run_dir(run_dir: Path, executables: Iterable[str]) -> RunFacts:
    """Read a trial's run directory: ``run_facts`` of its trajectory.json and output/.

    A missing run directory gives unknowns, never an error; so does an unreadable trajectory.
    """
    if not run_dir.is_dir():
        return RunFacts(output_files=None, tool_calls=None, software="unknown", executables=executables_basis(executables))
    texts: list[str] | None = None
    try:
        with open(run_dir / "trajectory.json", encoding="utf-8") as handle:
            texts = tool_call_texts(json.load(handle))
    except (OSError, ValueError, AttributeError, TypeError):
        texts = None
    return run_facts(texts, run_dir / "output", executables)
