"""Safe reads from a trial's run directory for the viewer: the trajectory, output files, logs and, once
the trial is graded, the hidden reference with a diff against the output.

Rules: a path is served only when it resolves inside the area it was asked from (no ``..``, no
symlink leading out); nothing under ``private/`` is served except ``private/reference`` of a trial
whose grading is over (status passed or failed and grade.json written).
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lastexam.results import FINAL_STATUSES

TEXT_LIMIT = 1_000_000
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


def diff_against_reference(run_dir: Path) -> list[FileDiff]:
    """Every file of output/ and private/reference/ paired by relative path, with a unified diff for text.

    The caller must have checked ``grading_over`` first.
    """
    output, reference = run_dir / "output", run_dir / "private" / "reference"
    out_files, ref_files = dict(list_files(output)), dict(list_files(reference))
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
