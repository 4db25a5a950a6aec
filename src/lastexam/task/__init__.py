"""The task author's API: what ``task.py`` imports to write ``generate`` and ``grade``.

    from lastexam.task import Grading, Params

    def generate(params: Params, input_dir: Path, reference_dir: Path) -> None: ...
    def grade(g: Grading) -> None: ...

``Grading`` records checks and reads the agent's deliverables (text, JSON, CSV, XLSX, PDF pages and
text, images, OCR), compares numbers, quantities with units, tables and per-item verdicts, and
re-runs tools on the agent's files in a fresh sandbox. For graders that batch their own tool runs,
the parsers of poppler output and of PPM/PGM renders are here too; ``run_tool_script`` runs a script with
the task's own PyPI tools, for a generator whose reference must agree with the agent's software, and
``tool_python`` is that environment's python (its packages' data files lie beside it).
Bad agent output always becomes a failed check with a reason, never an exception. See docs/writing-tasks.md.
"""

from lastexam.task.generation import Params, run_tool_script, write_csv
from lastexam.task.grading import ColumnRule, Grading, ReferenceFileError, Tolerance, ToolResult, Verdict, judge
from lastexam.task.images import ImageStats, data_column_share, image_stats, parse_ppm
from lastexam.task.pdf import PdfPage, page_count, parse_pdfinfo_boxes, split_pages
from lastexam.task.units import convert, parse_quantity
from lastexam.task.values import as_number, is_close, normalize_text
from lastexam.tasks.toolenv import tool_python

__all__ = [
    "ColumnRule", "Grading", "ImageStats", "Params", "PdfPage", "ReferenceFileError", "Tolerance", "ToolResult",
    "Verdict", "as_number", "convert", "data_column_share", "image_stats", "is_close", "judge", "normalize_text",
    "page_count", "parse_pdfinfo_boxes", "parse_ppm", "parse_quantity", "run_tool_script", "split_pages", "tool_python", "write_csv",
]
