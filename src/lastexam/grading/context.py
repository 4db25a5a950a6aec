"""What a task's ``grade(g)`` receives: the three directories, the variant's parameters, and helpers.

The file and schema checks the helpers record are gates of weight 0: they can zero a grade but
never add to it, so an empty file of the right shape earns nothing.

Every helper turns bad output into a failed check with a reason and returns ``None`` (or a
false value) instead of raising, so that a malformed deliverable can never crash the grader.
An exception that escapes ``grade`` is a grader bug and is recorded as an infrastructure error.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lastexam.grading.model import Check, Grade
from lastexam.grading.tools import ToolRunner, local_runner, stage


@dataclass(frozen=True)
class ToolResult:
    """The outcome of a command re-run by the grader in a fresh sandbox."""

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    workdir: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def _close(found: float, expected: float, abs_tol: float, rel_tol: float) -> bool:
    return math.isclose(found, expected, abs_tol=abs_tol, rel_tol=rel_tol)


def as_number(value: Any) -> float | None:
    """A finite float from a number or a numeric string (commas, %, currency signs stripped), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip().replace(",", "").replace("$", "").replace("%", "")
        try:
            number = float(text)
        except ValueError:
            return None
    return number if math.isfinite(number) else None


class GradeContext:
    """The grader's view of one trial: collected output, inputs, hidden reference, parameters.

    ``work_dir`` is the grader's own scratch space (a fresh temporary directory, removed by
    ``close``, when not given); ``tools`` carries out ``run_tool`` (by default directly, from the
    calling process).
    """

    def __init__(
        self, output_dir: Path, input_dir: Path, reference_dir: Path, params: Mapping[str, Any], *,
        work_dir: Path | None = None, tools: ToolRunner | None = None,
    ) -> None:
        self.output_dir = Path(output_dir)
        self.input_dir = Path(input_dir)
        self.reference_dir = Path(reference_dir)
        self.params = dict(params)
        self.grade = Grade()
        self._own_work_dir = work_dir is None
        self.work_dir = Path(tempfile.mkdtemp(prefix="ale-grade-")) if work_dir is None else Path(work_dir)
        self._tools = tools or local_runner(self.work_dir)
        self._tool_runs = itertools.count()  # next() is atomic: graders may run tools from threads

    # -- recording ---------------------------------------------------------------------------

    def check(
        self,
        name: str,
        result: bool | float,
        *,
        weight: float = 1.0,
        gate: bool = False,
        expected: Any = None,
        found: Any = None,
        reason: str = "",
    ) -> bool:
        """Record a check. ``result`` is a pass flag or a score in [0, 1] (passed only at 1).

        Returns whether the check passed.
        """
        if isinstance(result, bool):
            score, passed = float(result), result
        else:
            score = min(1.0, max(0.0, float(result))) if math.isfinite(float(result)) else 0.0
            passed = score >= 1.0
        self.grade.checks.append(
            Check(
                name=name, weight=weight, score=score, passed=passed, gate=gate,
                expected=expected, found=found, reason=reason,
            )
        )
        return passed

    # -- files -------------------------------------------------------------------------------

    def output(self, relative: str) -> Path:
        """Path of a deliverable in the collected output (it may not exist).

        Raises ValueError for a path that would leave the output (absolute, or through ``..``),
        such as one an agent wrote into a manifest: the agent's failure, never a way to the reference.
        """
        if os.path.isabs(relative) or ".." in Path(relative).parts:
            raise ValueError(f"{relative!r} is not a path inside the output directory")
        return self.output_dir / relative

    def reference(self, relative: str) -> Path:
        """Path of a file in the hidden reference."""
        return self.reference_dir / relative

    def require_files(self, *relatives: str, name: str = "required files present") -> bool:
        """Gate: every named deliverable exists as a non-empty regular file."""
        missing = [r for r in relatives if not (self.output(r).is_file() and self.output(r).stat().st_size > 0)]
        return self.check(
            name, not missing, gate=True, weight=0, expected=list(relatives), found=sorted(set(relatives) - set(missing)),
            reason=f"missing or empty: {', '.join(missing)}" if missing else "",
        )

    def read_text(self, relative: str, *, gate: bool = True) -> str | None:
        """The deliverable as UTF-8 text; a failed (gate) check when absent or not text."""
        try:
            return self.output(relative).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.check(f"{relative} is readable text", False, gate=gate, weight=0, reason=str(exc))
            return None

    def read_json(self, relative: str, *, gate: bool = True) -> Any:
        """The deliverable parsed as JSON; a failed (gate) check with the parser's message when it is not."""
        text = self.read_text(relative, gate=gate)
        if text is None:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            self.check(f"{relative} is valid JSON", False, gate=gate, weight=0, reason=str(exc))
            return None

    def read_csv(
        self, relative: str, *, required_columns: Sequence[str] = (), gate: bool = True
    ) -> list[dict[str, str]] | None:
        """The deliverable parsed as a CSV with a header row; checks the required columns (a gate)."""
        text = self.read_text(relative, gate=gate)
        if text is None:
            return None
        try:
            reader = csv.DictReader(text.splitlines())
            rows = list(reader)
            header = [h.strip() for h in (reader.fieldnames or [])]
        except csv.Error as exc:
            self.check(f"{relative} is valid CSV", False, gate=gate, weight=0, reason=str(exc))
            return None
        rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None} for row in rows]
        missing = [c for c in required_columns if c not in header]
        if not self.check(
            f"{relative} has the required columns", not missing, gate=gate, weight=0,
            expected=list(required_columns), found=header,
            reason=f"missing columns: {', '.join(missing)}" if missing else "",
        ):
            return None
        return rows

    def read_xlsx(self, relative: str, *, data_only: bool = True, gate: bool = True) -> Any:
        """The deliverable opened with openpyxl (cached values when ``data_only``); None when it is not a workbook."""
        import openpyxl

        path = self.output(relative)
        try:
            return openpyxl.load_workbook(path, data_only=data_only)
        except Exception as exc:  # openpyxl raises many types for a corrupt file
            self.check(f"{relative} is a valid XLSX workbook", False, gate=gate, weight=0,
                       reason=f"{type(exc).__name__}: {exc}")
            return None

    # -- numbers and tables ------------------------------------------------------------------

    def number(
        self,
        name: str,
        found: Any,
        expected: float,
        *,
        abs_tol: float = 0.0,
        rel_tol: float = 0.0,
        weight: float = 1.0,
    ) -> bool:
        """Pass when ``found`` is a number within the absolute or relative tolerance of ``expected``."""
        value = as_number(found)
        if value is None:
            return self.check(name, False, weight=weight, expected=expected, found=found, reason="not a number")
        ok = _close(value, expected, abs_tol, rel_tol)
        reason = "" if ok else f"off by {value - expected:.6g} (tolerance abs {abs_tol:g}, rel {rel_tol:g})"
        return self.check(name, ok, weight=weight, expected=expected, found=value, reason=reason)

    def table(
        self,
        name: str,
        found_rows: Iterable[Mapping[str, Any]],
        expected_rows: Iterable[Mapping[str, Any]],
        *,
        key: str | Sequence[str],
        columns: Mapping[str, float | tuple[float, float] | None],
        weight: float = 1.0,
        partial: bool = True,
    ) -> float:
        """Compare two tables row by row, matched on ``key``.

        ``columns`` maps each compared column to its tolerance: ``None`` for an exact text match,
        a float for an absolute tolerance, ``(abs_tol, rel_tol)`` for both. A row counts when every
        column matches; a missing or extra key counts against. The score is the fraction of
        matching rows when ``partial``, else all or nothing. Returns the score.
        """
        keys = (key,) if isinstance(key, str) else tuple(key)

        def key_of(row: Mapping[str, Any]) -> tuple[str, ...]:
            return tuple(str(row.get(k, "")).strip() for k in keys)

        expected = {key_of(r): r for r in expected_rows}
        found: dict[tuple[str, ...], Mapping[str, Any]] = {}
        duplicates = 0
        for row in found_rows:
            k = key_of(row)
            duplicates += k in found
            found[k] = row
        mismatches: list[str] = []
        good = 0
        for k, exp in expected.items():
            got = found.get(k)
            if got is None:
                mismatches.append(f"{'/'.join(k)}: missing")
                continue
            bad = [c for c, tol in columns.items() if not _cell_matches(got.get(c), exp.get(c), tol)]
            if bad:
                mismatches.append(f"{'/'.join(k)}: " + ", ".join(f"{c}={got.get(c)!r} want {exp.get(c)!r}" for c in bad))
            else:
                good += 1
        extra = [k for k in found if k not in expected]
        denominator = len(expected) + len(extra) + duplicates
        score = good / denominator if denominator else 1.0
        if not partial:
            score = float(score == 1.0)
        reason = "; ".join(mismatches[:8])
        if extra:
            reason += ("; " if reason else "") + f"{len(extra)} unexpected rows"
        if duplicates:
            reason += ("; " if reason else "") + f"{duplicates} duplicate keys"
        self.check(
            name, score, weight=weight, expected=f"{len(expected)} rows", found=f"{good} matching of {len(found)}",
            reason=reason,
        )
        return score

    # -- recomputation -----------------------------------------------------------------------

    def run_tool(
        self,
        argv: Sequence[str],
        files: Mapping[str, Path | str | bytes],
        *,
        timeout: float = 60,
        memory_mb: int = 2048,
    ) -> ToolResult:
        """Re-run a professional tool on submitted artifacts, in a fresh sandbox with no network.

        ``files`` maps a name in the sandbox's working directory to a path (its content copied) or to
        text/bytes (written). The command runs with that directory as its current directory. When it
        ends, the regular files and directories it left there (never a link) are readable through
        ``ToolResult.workdir``, a copy the command can no longer touch. Untrusted artifacts never run
        in the grader's own process or sandbox.
        """
        run = f"tools/{next(self._tool_runs)}"
        stage(dict(files), self.work_dir / run / "files")
        reply = self._tools({"dir": run, "argv": list(argv), "timeout": timeout, "memory_mb": memory_mb})
        return ToolResult(returncode=reply["returncode"], stdout=reply["stdout"], stderr=reply["stderr"],
                          timed_out=reply["timed_out"], workdir=self.work_dir / run / "result")

    def close(self) -> None:
        """Remove the work directory when this context made it."""
        if self._own_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)


def _cell_matches(found: Any, expected: Any, tolerance: float | tuple[float, float] | None) -> bool:
    if tolerance is None:
        return str(found if found is not None else "").strip() == str(expected if expected is not None else "").strip()
    abs_tol, rel_tol = tolerance if isinstance(tolerance, tuple) else (tolerance, 0.0)
    got, want = as_number(found), as_number(expected)
    return got is not None and want is not None and _close(got, want, abs_tol, rel_tol)
