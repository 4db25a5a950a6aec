"""What a task's ``grade(g: Grading)`` receives: the three directories, the variant's parameters, and helpers.

The file and schema checks the helpers record are gates of weight 0: they can zero a grade but
never add to it, so an empty file of the right shape earns nothing.

Every helper turns bad output into a failed check with a reason and returns ``None`` (or a
false value) instead of raising, so that a malformed deliverable can never crash the grader.
An exception that escapes ``grade`` is a grader bug and is recorded as an infrastructure error;
so is a missing or unreadable reference (``reference_json`` raises).
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
import shlex
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.contracts.grade import Check, Grade, Probe
from lastexam.grading.tools import ToolRunner, local_runner, stage
from lastexam.task.charts import chart_problems, read_chart
from lastexam.task.images import data_column_share, image_stats, parse_ppm
from lastexam.task.pdf import PdfPage, page_count, parse_pdfinfo_boxes, split_pages
from lastexam.task.units import parse_quantity
from lastexam.task.values import as_number

MAX_EVIDENCE_CHARS = 20_000
"""The most of a deliverable ``Grading.probe`` sends to the judge."""
Tolerance = float | tuple[float, float]
"""An absolute tolerance, or ``(abs_tol, rel_tol)``: a number passes within either."""
ColumnRule = Tolerance | Callable[[Any, Any], bool] | None
"""How ``Grading.table`` compares a column: a Tolerance for numbers, None for text equal after the
table's normaliser, or a predicate ``(found_cell, expected_cell) -> bool``."""
Verdict = bool | str
"""One item's result in ``Grading.fraction``: True or ``""`` when right; False or the reason when wrong."""


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


class Grading:
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

    def probe(self, name: str, question: str, evidence: str | None, *, weight: float = 1.0) -> None:
        """Record a judgement check that no computation can make, as a yes/no ``question`` for a judge model to
        answer from ``evidence`` alone: the excerpt of a deliverable the answer must rest on (the memo's
        recommendation with the figures it cites; a clause and its translation). Ask so that "yes" is the
        expert's answer for a good deliverable.

        The harness asks the judge after the grader has ended (see ``lastexam.grading.probes``): the check
        passes on "yes"; empty evidence fails it; with no judge configured it is "not graded" and does not
        pass. Probes must carry less than half of the grade's weight. Evidence beyond
        ``MAX_EVIDENCE_CHARS`` characters is cut.
        """
        self.grade.checks.append(Check(name=name, weight=weight, score=0.0, passed=False, expected="yes",
                                       probe=Probe(question=question, evidence=(evidence or "")[:MAX_EVIDENCE_CHARS]),
                                       reason="the judge has not answered"))

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

    def reference_json(self, relative: str) -> Any:
        """The hidden reference file parsed as JSON.

        The reference is the task's own making, so a missing or malformed one is a grader bug: this
        raises ``ReferenceFileError`` (naming the file and the problem) instead of recording a check,
        and the trial is recorded as an infrastructure error, never as the agent's failure.
        """
        path = self.reference(relative)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ReferenceFileError(f"reference file {relative!r} cannot be read as JSON ({exc}); fix the task's "
                                     "generate() so that it writes it") from exc

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
        return self._closeness(name, found, as_number(found), expected, abs_tol, rel_tol, weight, unit="")

    def quantity(
        self,
        name: str,
        found: Any,
        expected: float,
        *,
        unit: str,
        abs_tol: float = 0.0,
        rel_tol: float = 0.0,
        weight: float = 1.0,
    ) -> bool:
        """Pass when ``found`` is a quantity within tolerance of ``expected`` (given in ``unit``).

        ``found`` may be a bare number (taken to be in ``unit``) or text with any unit of the same
        dimension: with ``unit="kPa"``, ``"12.5 kPa"``, ``"12 500 Pa"``, ``"0.125 bar"`` and ``12.5``
        all read as 12.5. ``abs_tol`` is in ``unit``. Raises KeyError for a ``unit``
        the table in ``lastexam.task.units`` does not know (a grader bug).
        """
        return self._closeness(name, found, parse_quantity(found, unit), expected, abs_tol, rel_tol, weight, unit=unit)

    def _closeness(self, name: str, found: Any, value: float | None, expected: float, abs_tol: float, rel_tol: float,
                   weight: float, *, unit: str) -> bool:
        suffix = f" {unit}" if unit else ""
        if value is None:
            what = f"a quantity in {unit} or a unit of its dimension" if unit else "a number"
            return self.check(name, False, weight=weight, expected=f"{expected:g}{suffix}" if unit else expected,
                              found=found, reason=f"not {what}")
        ok = math.isclose(value, expected, abs_tol=abs_tol, rel_tol=rel_tol)
        reason = "" if ok else f"off by {value - expected:.6g}{suffix} (tolerance abs {abs_tol:g}, rel {rel_tol:g})"
        return self.check(name, ok, weight=weight, expected=f"{expected:g}{suffix}" if unit else expected,
                          found=f"{value:g}{suffix}" if unit else value, reason=reason)

    def fraction(
        self,
        name: str,
        verdicts: Mapping[str, Verdict],
        *,
        weight: float = 1.0,
        threshold: float | None = None,
        noun: str = "items",
        expected: Any = None,
    ) -> float:
        """Record a check scored by the share of items judged right, naming the first wrong ones.

        ``verdicts`` maps each item to True or ``""`` when right, False or a reason when wrong
        (build it with ``judge`` from found and expected mappings). The score is the share right
        (0 when there are no items); with ``threshold`` the check passes (score 1) at that share
        or above and otherwise scores the share. ``expected`` is the evidence shown, by default
        the item count. Returns the score.
        """
        wrong = [f"{item}: {'wrong' if verdict is False else verdict}" for item, verdict in verdicts.items()
                 if verdict is not True and verdict != ""]
        return self.share(name, len(verdicts) - len(wrong), len(verdicts), wrong=wrong, weight=weight,
                          threshold=threshold, noun=noun, expected=expected)

    def share(
        self,
        name: str,
        right: int,
        total: int,
        *,
        wrong: Sequence[str] = (),
        weight: float = 1.0,
        threshold: float | None = None,
        noun: str = "items",
        expected: Any = None,
    ) -> float:
        """Record a check scored ``right / total`` (0 when ``total`` is 0), its reason the first of the
        ``wrong`` descriptions; ``threshold``, ``noun`` and ``expected`` as for ``fraction``.

        For graders that count as they go; ``fraction`` is the same check from per-item verdicts.
        Returns the score.
        """
        ratio = min(1.0, max(0.0, right / total)) if total else 0.0
        score = 1.0 if threshold is not None and total and ratio >= threshold else ratio
        reason = "; ".join(wrong[:6]) + (f"; and {len(wrong) - 6} more" if len(wrong) > 6 else "")
        self.check(name, score, weight=weight, expected=expected if expected is not None else f"{total} {noun}",
                   found=f"{right} right", reason=reason)
        return score

    def table(
        self,
        name: str,
        found_rows: Iterable[Mapping[str, Any]],
        expected_rows: Iterable[Mapping[str, Any]],
        *,
        key: str | Sequence[str],
        columns: Mapping[str, ColumnRule],
        weight: float = 1.0,
        partial: bool = True,
        normalize: Callable[[Any], str] = lambda value: "" if value is None else str(value).strip(),
    ) -> float:
        """Compare two tables row by row, matched on ``key``.

        ``columns`` maps each compared column to its rule (see ``ColumnRule``): a tolerance for
        numbers, None for text equal after ``normalize``, or a predicate on the two cells.
        ``normalize`` (by default: trimmed text; ``normalize_text`` also folds case, whitespace and
        thousands separators) is applied to keys too. A row counts when every column matches; a
        missing or extra key counts against. The score is the fraction of matching rows when
        ``partial``, else all or nothing. Returns the score.
        """
        keys = (key,) if isinstance(key, str) else tuple(key)

        def key_of(row: Mapping[str, Any]) -> tuple[str, ...]:
            return tuple(normalize(row.get(k)) for k in keys)

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
            bad = [c for c, rule in columns.items() if not _cell_matches(got.get(c), exp.get(c), rule, normalize)]
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

    # -- rendered artifacts: PDF pages, images, OCR -------------------------------------------

    def pdf_pages(self, relative: str, *, gate: bool = True) -> list[PdfPage] | None:
        """Every page's boxes (``pdfinfo -box``, run in a sandbox) of a PDF deliverable.

        A file pdfinfo cannot open, or one without pages, is a failed (gate) check and None.
        """
        run = self.run_tool(["sh", "-c", 'pdfinfo "$0" > info.txt && pdfinfo -box -f 1 -l 100000 "$0" > boxes.txt',
                             "doc.pdf"], {"doc.pdf": self.output(relative)}, timeout=120)
        info, boxes = run.workdir / "info.txt", run.workdir / "boxes.txt"
        pages = parse_pdfinfo_boxes(boxes.read_text(errors="replace")) if run.ok and boxes.is_file() else []
        count = page_count(info.read_text(errors="replace")) if info.is_file() else None
        if not pages or count != len(pages):
            self.check(f"{relative} opens as a PDF", False, gate=gate, weight=0,
                       reason=run.stderr[-300:] or f"pdfinfo read {len(pages)} of {count} pages")
            return None
        return pages

    def pdf_text(self, relative: str, *, layout: bool = True, gate: bool = True) -> list[str] | None:
        """The text of each page of a PDF deliverable (``pdftotext``, ``-layout`` when ``layout``, in a sandbox).

        A file pdftotext cannot read is a failed (gate) check and None.
        """
        argv = ["pdftotext", *(["-layout"] if layout else []), "-enc", "UTF-8", "doc.pdf", "doc.txt"]
        run = self.run_tool(argv, {"doc.pdf": self.output(relative)}, timeout=120)
        text = run.workdir / "doc.txt"
        if not (run.ok and text.is_file()):
            self.check(f"{relative} has a readable text layer", False, gate=gate, weight=0,
                       reason=run.stderr[-300:] or "pdftotext produced no text")
            return None
        return split_pages(text.read_text(encoding="utf-8", errors="replace"))

    def image(self, relative: str, *, page: int = 1, dpi: int = 72, gate: bool = True) -> np.ndarray | None:
        """The pixels of an image deliverable (PNG, JPEG, ... decoded by ffmpeg) or of one page of a
        PDF (rendered by pdftoppm at ``dpi``), as an (height, width, 3) uint8 array.

        The decoding runs in a sandbox; a file it cannot decode is a failed (gate) check and None.
        """
        source = self.output(relative)
        if _is_pdf(source):
            argv = ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile", "src", "out"]
        else:
            argv = ["ffmpeg", "-v", "error", "-nostdin", "-i", "src", "-frames:v", "1", "-pix_fmt", "rgb24",
                    "-f", "image2", "-c:v", "ppm", "out.ppm"]
        run = self.run_tool(argv, {"src": source}, timeout=120)
        result = run.workdir / "out.ppm"
        pixels = parse_ppm(result.read_bytes()) if run.ok and result.is_file() else None
        if pixels is None:
            self.check(f"{relative} decodes as an image", False, gate=gate, weight=0,
                       reason=run.stderr[-300:] or "no decodable image")
        return pixels

    def ocr(self, relative: str, *, page: int = 1, dpi: int = 200, language: str = "eng") -> str | None:
        """The text tesseract reads in an image deliverable, or in one page of a PDF rendered at ``dpi``.

        What is read is what a viewer sees, not the text layer: a caption hidden under a white box,
        or text too small to print, is not read. Runs in a sandbox; a file that cannot be rendered
        or read is a failed check and None.
        """
        render = f'pdftoppm -r {int(dpi)} -f {int(page)} -l {int(page)} -singlefile -png src page && ' \
            if _is_pdf(self.output(relative)) else "cp src page.png && "
        script = render + f'tesseract page.png out -l {shlex.quote(language)} --psm 3 >/dev/null'
        run = self.run_tool(["sh", "-c", script], {"src": self.output(relative)}, timeout=300)
        text = run.workdir / "out.txt"
        if not (run.ok and text.is_file()):
            self.check(f"{relative} can be read by OCR", False, reason=run.stderr[-300:] or "tesseract read nothing")
            return None
        return text.read_text(encoding="utf-8", errors="replace")

    def image_has_content(self, name: str, pixels: np.ndarray | None, *, weight: float = 1.0) -> bool:
        """Check that an image is neither blank (one flat colour) nor pixel noise.

        ``pixels`` comes from ``image``; None (undecodable) fails.
        """
        if pixels is None:
            return self.check(name, False, weight=weight, reason="no image")
        stats = image_stats(pixels)
        reason = "blank: one flat colour" if stats.blank else "pixel noise" if stats.noise else ""
        return self.check(name, not reason, weight=weight, found=f"entropy {stats.entropy:.2f} bits, edge density "
                          f"{stats.edge_density:.3f}", reason=reason)

    def plot_has_data(self, name: str, pixels: np.ndarray | None, *, min_share: float = 0.3,
                      weight: float = 1.0) -> bool:
        """Check that a chart image shows plotted data, not empty axes, a blank canvas or noise.

        Passes when the image has content (see ``image_has_content``) and plotted ink spans at least
        ``min_share`` of its plot area's columns (see ``images.data_column_share``).
        """
        if pixels is None:
            return self.check(name, False, weight=weight, reason="no image")
        stats = image_stats(pixels)
        share = data_column_share(pixels)
        reason = ("blank: one flat colour" if stats.blank else "pixel noise" if stats.noise
                  else f"plotted ink spans only {share:.0%} of the plot area" if share < min_share else "")
        return self.check(name, not reason, weight=weight, expected=f"data over >= {min_share:.0%} of the plot width",
                          found=f"{share:.0%}", reason=reason)

    def chart_draws(self, name: str, pixels: np.ndarray | None, series: Mapping[str, Sequence[float]], *,
                    min_share: float = 0.9, either_polarity: bool = False, weight: float = 1.0) -> bool:
        """Check that a line chart draws each expected series, read back from its pixels.

        ``series`` maps a name to its values, evenly spaced along the x axis (a waveform's samples, one
        value per year); a series counts as drawn when some line colour of the chart (or dark ink) passes
        within tolerance of at least ``min_share`` of its points under one linear scale (see
        ``charts.ChartReading.match``; ``either_polarity`` also accepts an axis drawn negative up; a series
        must span a fifth of the plot's height to be found). The
        check is scored by the share of series drawn; an image that is no chart (``charts.chart_problems``)
        draws none. A sine wave on axes, or a chart of other numbers, fails.
        """
        if pixels is None:
            return self.check(name, False, weight=weight, reason="no image")
        problems = chart_problems(pixels)
        fits = {} if problems else read_chart(pixels).match(
            {key: np.asarray(values, dtype=float) for key, values in series.items()}, either_polarity=either_polarity)
        shares = {key: round(fit[1].score, 2) if fit else 0.0 for key, fit in fits.items()}
        missing = sorted(key for key in series if shares.get(key, 0.0) < min_share)
        return self.check(name, (len(series) - len(missing)) / max(len(series), 1), weight=weight,
                          expected=f"each of {len(series)} series with >= {min_share:.0%} of its points on a plotted line",
                          found=shares or None,
                          reason="; ".join(problems) if problems else
                          "not drawn: " + ", ".join(missing) if missing else "")

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


def judge(found: Mapping[str, Any], expected: Mapping[str, Any],
          compare: Callable[[Any, Any], Verdict]) -> dict[str, Verdict]:
    """Verdicts for ``Grading.fraction``: per expected item ``compare(found_value, expected_value)``, or
    ``"missing"`` when the item is not found; every found item not expected adds ``"not expected"``."""
    verdicts: dict[str, Verdict] = {item: compare(found[item], want) if item in found else "missing"
                                    for item, want in expected.items()}
    verdicts.update({item: "not expected" for item in found if item not in expected})
    return verdicts


class ReferenceFileError(RuntimeError):
    """The task's hidden reference is missing or malformed: a fault of the task, never of the agent."""


def _is_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(1024).lstrip().startswith(b"%PDF")
    except OSError:
        return False


def _cell_matches(found: Any, expected: Any, rule: ColumnRule, normalize: Callable[[Any], str]) -> bool:
    if rule is None:
        return normalize(found) == normalize(expected)
    if callable(rule):
        return bool(rule(found, expected))
    abs_tol, rel_tol = rule if isinstance(rule, tuple) else (rule, 0.0)
    got, want = as_number(found), as_number(expected)
    return got is not None and want is not None and math.isclose(got, want, abs_tol=abs_tol, rel_tol=rel_tol)
