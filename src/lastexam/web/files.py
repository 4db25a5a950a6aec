"""Safe reads from a trial's run directory for the viewer: the trajectory, output files, logs and, once
the trial is graded, the hidden reference with a diff against the output.

Rules: a path is served only when it resolves inside the area it was asked from (no ``..``, no
symlink leading out); nothing under ``private/`` is served except, once a trial's grading is over
(status passed or failed and grade.json written), the files of ``private/reference`` that its task
declares as deliverables (task.toml ``[[deliverables]] path``): other reference files (answer keys,
grader inputs) are never shown.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lastexam.analysis.facts import string_values
from lastexam.contracts.trial import FINAL_STATUSES

TEXT_LIMIT = 1_000_000
SNIPPET_WIDTH = 80
HITS_PER_TRIAL = 20
DIFF_LINE_LIMIT = 2_000
AREAS = ("output", "logs", "reference", "run")


def grading_over(trial: dict[str, Any], run_dir: Path) -> bool:
    """True when the trial was graded: the only time its reference may be shown."""
    return trial["status"] in FINAL_STATUSES and (run_dir / "grade.json").is_file()


def area_root(run_dir: Path, area: str, graded: bool) -> Path | None:
    """The directory an area maps to, or None when it may not be served."""
    if area == "output":
        return run_dir / "output"
    if area == "logs":
        return run_dir / "logs"
    if area == "reference":
        return run_dir / "private" / "reference" if graded else None
    if area == "run":
        return run_dir
    return None


def resolve_inside(root: Path, relative: str, *, exclude: str | None = None) -> Path | None:
    """``root/relative`` when it is a regular file resolving inside ``root`` and not under its top-level
    directory ``exclude``; else None."""
    try:
        base = root.resolve(strict=True)
        target = (root / relative).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not target.is_relative_to(base) or not target.is_file():
        return None
    parts = target.relative_to(base).parts
    if exclude is not None and parts and parts[0] == exclude:
        return None
    return target


def list_files(root: Path) -> list[tuple[str, int]]:
    """(relative path, size) of the regular files under ``root``, sorted; empty when it does not exist."""
    if not root.is_dir():
        return []
    base = root.resolve()
    out = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.resolve().is_relative_to(base):
            out.append((path.relative_to(root).as_posix(), path.stat().st_size))
    return out


def read_trajectory(run_dir: Path) -> dict[str, Any] | None:
    """trajectory.json as parsed JSON; None when missing or unreadable."""
    try:
        return json.loads((run_dir / "trajectory.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class FileDiff:
    """One output file against its reference: ``status`` is same, differs, only_output, only_reference or binary."""

    path: str
    status: str
    lines: list[str]
    output_size: int | None
    reference_size: int | None
    note: str = ""


def _text(path: Path) -> str | None:
    data = path.read_bytes()[:TEXT_LIMIT + 1]
    if len(data) > TEXT_LIMIT or b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def is_deliverable(path: str, deliverables: list[str]) -> bool:
    """True when the relative ``path`` is a declared deliverable or lies inside one that is a directory."""
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in deliverables)


def diff_against_reference(run_dir: Path, deliverables: list[str]) -> list[FileDiff]:
    """The files of output/ and private/reference/ that are declared ``deliverables``, paired by relative
    path, with a unified diff for text. Other files are left out on both sides.

    The caller must have checked ``grading_over`` first.
    """
    output, reference = run_dir / "output", run_dir / "private" / "reference"
    out_files = {p: n for p, n in list_files(output) if is_deliverable(p, deliverables)}
    ref_files = {p: n for p, n in list_files(reference) if is_deliverable(p, deliverables)}
    diffs = []
    for path in sorted(set(out_files) | set(ref_files)):
        if path not in ref_files:
            diffs.append(FileDiff(path, "only_output", [], out_files[path], None))
            continue
        if path not in out_files:
            diffs.append(FileDiff(path, "only_reference", [], None, ref_files[path]))
            continue
        a, b = _text(output / path), _text(reference / path)
        if a is None or b is None:
            same = _digest(output / path) == _digest(reference / path)
            diffs.append(FileDiff(path, "same" if same else "binary", [], out_files[path], ref_files[path],
                                  note="" if same else "binary or large: contents differ"))
            continue
        lines = list(difflib.unified_diff(b.splitlines(), a.splitlines(), "reference/" + path, "output/" + path,
                                          lineterm="", n=2))
        note = ""
        if len(lines) > DIFF_LINE_LIMIT:
            note = f"diff cut at {DIFF_LINE_LIMIT} of {len(lines)} lines"
            lines = lines[:DIFF_LINE_LIMIT]
        diffs.append(FileDiff(path, "differs" if lines else "same", lines, out_files[path], ref_files[path], note))
    return diffs


@dataclass(frozen=True)
class SearchHit:
    """Where a transcript mentions the searched text: the step, the part (message, reasoning, tool call,
    observation) and a snippet around the first match in that part."""

    step_id: Any
    part: str
    snippet: str


def _snippet(text: str, at: int, length: int, width: int = SNIPPET_WIDTH) -> str:
    start, end = max(0, at - width), min(len(text), at + length + width)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def search_trajectory(trajectory: dict[str, Any], needle: str, limit: int = HITS_PER_TRIAL) -> list[SearchHit]:
    """The first ``limit`` parts of a trajectory's steps whose text contains ``needle`` (case-insensitive):
    step messages, reasoning, tool calls (name and arguments) and observations."""
    wanted = needle.casefold()
    hits: list[SearchHit] = []
    for step in trajectory.get("steps") or []:
        if not isinstance(step, dict):
            continue
        parts = [("message", step.get("message")), ("reasoning", step.get("reasoning_content"))]
        parts += [("tool call", [call.get("function_name"), call.get("arguments")])
                  for call in step.get("tool_calls") or [] if isinstance(call, dict)]
        observation = step.get("observation")
        if isinstance(observation, dict):
            parts += [("observation", result) for result in observation.get("results") or []]
        for part, value in parts:
            for text in string_values(value):
                at = text.casefold().find(wanted)
                if at >= 0:
                    hits.append(SearchHit(step.get("step_id"), part, _snippet(text, at, len(needle))))
                    break
            if len(hits) >= limit:
                return hits
    return hits
