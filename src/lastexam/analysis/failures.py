"""Why trials did not pass, which checks fail most, and whether agents used the professional software.

Categories and software-use classes are defined in ``facts``. Every table here is computed from
tallies (``cells.tallies``: trials and passes per category and software use, by agent or by task) and, for
checks, from failed-check counts (``cells.failed_checks``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from lastexam.analysis.cells import NOT_GRADED
from lastexam.analysis.infra import InfraShare
from lastexam.contracts.facts import FAILURE_CATEGORIES, SOFTWARE_USES


class FailureRow(BaseModel):
    """Trials of one agent (or of one task, all agents pooled) by outcome; ``trials`` excludes cancelled ones."""

    agent: str | None = None
    task_id: str | None = None
    trials: int
    passed: int
    categories: dict[str, int]
    infra: InfraShare = Field(default_factory=InfraShare, description="infrastructure errors among ``trials``")


class CheckFailure(BaseModel):
    """How often one check of a task failed, over the graded trials of the task (all agents pooled)."""

    task_id: str
    check: str
    failed: int
    graded: int
    fail_rate: float


class SoftwareRow(BaseModel):
    """Graded trials of one agent (or one task, pooled) by software use, with the pass rate within each class."""

    agent: str | None = None
    task_id: str | None = None
    graded: int
    counts: dict[str, int]
    pass_rates: dict[str, float | None]


def failure_rows(tallies: pd.DataFrame, by: str) -> list[FailureRow]:
    """Outcome counts per ``by`` ("agent" or "task_id", the key of ``tallies``), ordered by that key."""
    counted = tallies[tallies["category"] != "cancelled"]
    table = counted.pivot_table(index=by, columns="category", values="trials", aggfunc="sum", fill_value=0,
                                observed=True)
    table = table.reindex(columns=["passed", *FAILURE_CATEGORIES], fill_value=0)
    table.index = table.index.astype(str)
    table = table.sort_index()
    values = table.to_numpy(np.int64)
    infra = FAILURE_CATEGORIES.index("infrastructure") + 1
    return [FailureRow(**{by: key}, trials=int(row.sum()), passed=int(row[0]),
                       categories=dict(zip(FAILURE_CATEGORIES, (int(v) for v in row[1:]), strict=True)),
                       infra=InfraShare.of(int(row[infra]), int(row.sum())))
            for key, row in zip(table.index, values, strict=True)]


def check_failures(failed: pd.DataFrame, by_task: pd.DataFrame) -> list[CheckFailure]:
    """Per task, each check that failed, pooled over agents: sorted by task, then fail rate (highest first)."""
    if failed.empty:
        return []
    pooled = failed.astype({"task_id": str, "check": str}).groupby(["task_id", "check"], as_index=False)["failed"].sum()
    graded = by_task[~by_task["category"].isin(NOT_GRADED)].groupby("task_id")["trials"].sum()
    frame = pooled.merge(graded.rename("graded").reset_index().astype({"task_id": str}), on="task_id")
    frame = frame[frame["graded"] > 0]
    frame = frame.assign(fail_rate=frame["failed"] / frame["graded"])
    frame = frame.sort_values(["task_id", "fail_rate", "check"], ascending=[True, False, True])
    return [CheckFailure(task_id=t, check=c, failed=int(f), graded=int(g), fail_rate=float(r))
            for t, c, f, g, r in zip(frame["task_id"], frame["check"], frame["failed"], frame["graded"],
                                     frame["fail_rate"], strict=True)]


def software_rows(tallies: pd.DataFrame, by: str) -> list[SoftwareRow]:
    """Software use of graded trials per ``by`` ("agent" or "task_id", the key of ``tallies``)."""
    graded = tallies[~tallies["category"].isin(NOT_GRADED)]
    sums = graded.groupby([by, "software"], observed=True)[["trials", "passes"]].sum()
    counts = sums["trials"].unstack(fill_value=0).reindex(columns=list(SOFTWARE_USES), fill_value=0)
    passes = sums["passes"].unstack(fill_value=0).reindex(columns=list(SOFTWARE_USES), fill_value=0)
    counts.index, passes.index = counts.index.astype(str), passes.index.astype(str)
    counts, passes = counts.sort_index(), passes.sort_index()
    rows = []
    for key, n, p in zip(counts.index, counts.to_numpy(np.int64).tolist(), passes.to_numpy(np.int64).tolist(),
                         strict=True):
        rows.append(SoftwareRow(**{by: key}, graded=sum(n), counts=dict(zip(SOFTWARE_USES, n, strict=True)),
                                pass_rates={s: (pi / ni if ni else None)
                                            for s, ni, pi in zip(SOFTWARE_USES, n, p, strict=True)}))
    return rows
