"""The public report: aggregates with their intervals and nothing that identifies an instance.

Only the leaderboard overall, by tier and by cluster leave: per agent (and group) the instance and trial
counts, the full-pass rate and mean score with their intervals, and the infrastructure-error share.
A cell resting on fewer than ``MIN_INSTANCES`` instances is withheld (counted, never shown), so that a
small cell cannot point at one task. No instance id, task id, instruction, output, check or trajectory.
"""

from __future__ import annotations

from typing import Any

from lastexam.analysis.leaderboard import RateRow
from lastexam.analysis.report import Report

MIN_INSTANCES = 10


def public_export(report: Report) -> dict[str, Any]:
    """The public aggregates of ``report`` as a JSON-ready object."""
    tables = {"leaderboard": report.leaderboard, "by_tier": report.by_tier, "by_cluster": report.by_cluster}
    export: dict[str, Any] = {"generated_at": report.generated_at.isoformat(timespec="seconds"),
                              "instances_seen": report.instances_seen, "min_instances_per_cell": MIN_INSTANCES}
    for name, rows in tables.items():
        shown = [_public_row(r) for r in rows if r.instances >= MIN_INSTANCES]
        export[name] = {"rows": shown, "withheld_cells": len(rows) - len(shown)}
    return export


def _public_row(row: RateRow) -> dict[str, Any]:
    return {"agent": row.agent, "group": row.group, "instances": row.instances, "trials": row.trials,
            "pass_rate": round(row.pass_rate, 6), "pass_rate_ci": [round(x, 6) for x in row.pass_rate_ci],
            "mean_score": round(row.mean_score, 6), "mean_score_ci": [round(x, 6) for x in row.mean_score_ci],
            "infra_share": round(row.infra.share, 6)}
