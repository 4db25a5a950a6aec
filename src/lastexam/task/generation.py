"""What a task's ``generate(params: Params, input_dir: Path, reference_dir: Path)`` receives, and the
small writers generators share.

``generate`` writes the instance's inputs into ``input_dir`` (the agent sees them) and its hidden
reference into ``reference_dir`` (only the grader does). It must be deterministic in ``params``:
the same parameters give byte-identical files.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

Params = Mapping[str, Any]
"""A variant's parameters: the ``[variants]`` entry of task.toml plus ``variant`` (its index) and ``seed``."""


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write a CSV file (UTF-8, ``\\n`` line ends, minimal quoting) with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    Path(path).write_text(buffer.getvalue(), encoding="utf-8")
