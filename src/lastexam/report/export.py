"""The report as CSV files, one per table, for spreadsheets and other tools."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from lastexam.analysis.report import Report


def _flat(model: BaseModel, **extra: Any) -> dict[str, Any]:
    """One CSV row: intervals become ``name_low``/``name_high``, dicts become ``name_key`` columns."""
    row: dict[str, Any] = dict(extra)
    for key, value in model.model_dump().items():
        if isinstance(value, tuple | list) and len(value) == 2 and key.endswith("_ci"):
            row[f"{key}_low"], row[f"{key}_high"] = value
        elif key.endswith("_ci") and value is None:
            row[f"{key}_low"] = row[f"{key}_high"] = None
        elif isinstance(value, dict):
            row.update({f"{key}_{k}": v for k, v in value.items()})
        else:
            row[key] = value
    return row


def _write(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    rows = list(rows)
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_csv(report: Report, directory: Path) -> list[Path]:
    """Write every table of ``report`` as ``directory/<table>.csv`` (the directory is created); returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    leaderboard = [_flat(r, grouping="overall") for r in report.leaderboard]
    for grouping, rows in (("tier", report.by_tier), ("cluster", report.by_cluster),
                           ("subdomain", report.by_subdomain)):
        leaderboard += [_flat(r, grouping=grouping) for r in rows]
    variance = [] if report.variance is None else [
        _flat(c, method=report.variance.method, balanced=report.variance.balanced) for c in report.variance.components]
    tables = {
        "leaderboard": leaderboard,
        "pass_at_k": [_flat(r) for r in report.pass_at_k],
        "efficiency": [_flat(r) for r in report.efficiency],
        "comparisons": [_flat(r) for r in report.comparisons],
        "variance": variance,
        "failures": [_flat(r) for r in report.failures],
        "failures_by_task": [_flat(r) for r in report.failures_by_task],
        "failing_checks": [_flat(r) for r in report.failing_checks],
        "software": [_flat(r) for r in report.software],
        "software_by_task": [_flat(r) for r in report.software_by_task],
    }
    return [_write(directory / f"{name}.csv", rows) for name, rows in tables.items()]
