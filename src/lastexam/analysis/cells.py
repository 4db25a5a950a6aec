"""Cells: the trials of a selection summed per (agent, instance, failure category, software use), by
grouped queries that only read the results database.

The store records each trial's failure category and run facts (output files, tool calls, software
use judged against the task's declared executables) on its row, so a report is one grouped query
over an index that covers it. Trials recorded without them (by an older version), and trials whose
software use was judged against declared executables that have changed since, are read from their
run directories, in memory: a report never writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Integer, and_, case, false, func, not_, or_, select, true
from sqlalchemy.engine import Connection, Engine

from lastexam.analysis.facts import executables_basis, failure_categories, inspect_run_dir
from lastexam.store.db import checks, trials

CELL_COLUMNS = ("agent", "instance", "task_id", "tier", "cluster", "subdomain", "category", "software", "trials",
                "passes", "score_sum", "cost_sum", "cost_unknown", "duration_sum", "agent_sec_sum")
_KEYS = ("agent", "instance", "task_id", "tier", "cluster", "subdomain")
_SUMS = ("trials", "passes", "score_sum", "cost_sum", "cost_unknown", "duration_sum", "agent_sec_sum")
_INSPECT_THREADS = 8

_t = trials.c
_cancelled = _t.status == "cancelled"
_recorded = and_(_t.category.is_not(None), or_(_t.category == "cancelled", _t.software.is_not(None)))  # indexed


def _frame(conn: Connection, statement: Any, columns: list[str]) -> pd.DataFrame:
    """A large result as a frame, fetched through the driver's cursor and built column by column (SQLAlchemy's
    row objects and pandas' row-wise construction cost more than the query itself at a million trials)."""
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(str(compiled))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame({name: np.asarray(values, dtype=object) for name, values in
                         zip(columns, zip(*rows, strict=True), strict=True)})


def _selection(experiment_ids: Sequence[int] | None) -> Any:
    # "+ 0": SQLite would otherwise read the trials through the experiment index and sort them, instead of
    # scanning the covering index ix_trials_cells in the order of the grouping
    return true() if experiment_ids is None else (_t.experiment_id + 0).in_(list(experiment_ids))


def cells(engine: Engine, executables: Mapping[str, Sequence[str]],
          experiment_ids: Sequence[int] | None = None) -> tuple[pd.DataFrame, int]:
    """The cells of the selected trials (``CELL_COLUMNS``) and how many run directories were read for them.

    ``executables`` maps task ids to their declared executables now; software use recorded against any
    other declaration (a task missing from the map counts as declaring none) is judged again from the run
    directory.
    """
    grouped = (select(_t.agent, _t.instance, _t.category, _t.software, _t.software_basis, func.count(),
                      func.coalesce(func.sum(_t.passed.cast(Integer)), 0), func.sum(_t.score),
                      func.coalesce(func.sum(_t.cost_usd), 0.0), func.sum(case((_t.cost_usd.is_(None), 1), else_=0)),
                      func.sum(_t.duration_sec), func.sum(_t.agent_sec))
               .where(_selection(experiment_ids), _recorded)
               .group_by(_t.agent, _t.instance, _t.category, _t.software, _t.software_basis))
    places = select(_t.instance, _t.task_id, _t.tier, _t.cluster, _t.subdomain).distinct().where(
        _selection(experiment_ids))
    with engine.connect() as conn:
        frame = _frame(conn, grouped, ["agent", "instance", "category", "software", "basis", *_SUMS])
        instances = _frame(conn, places, list(_KEYS[1:]))
    frame = frame.merge(instances.drop_duplicates("instance"), on="instance", how="left")
    cancelled = frame["category"] == "cancelled"
    frame.loc[cancelled, "software"], frame.loc[cancelled, "basis"] = "unknown", None
    declared = {task: executables_basis(executables.get(task, ())) for task in frame["task_id"].unique()}
    current = (frame["basis"].isna() | (frame["basis"] == frame["task_id"].map(declared))).to_numpy(bool)
    stale = {task: declared[task] for task in sorted(set(frame.loc[~current, "task_id"]))}
    judged_again = _trials_to_read(engine, executables, experiment_ids, stale)
    frame = pd.concat([frame[current].drop(columns="basis"), judged_again], ignore_index=True)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CELL_COLUMNS}), len(judged_again)
    frame = frame.astype({"trials": np.int64, "passes": np.int64, "score_sum": np.float64, "cost_sum": np.float64,
                          "cost_unknown": np.int64, "duration_sum": np.float64, "agent_sec_sum": np.float64})
    summed = frame.groupby([*_KEYS, "category", "software"], as_index=False, sort=False)[list(_SUMS)].sum()
    for column in (*_KEYS, "category", "software"):
        summed[column] = summed[column].astype("category")
    return summed[list(CELL_COLUMNS)], len(judged_again)


def _trials_to_read(engine: Engine, executables: Mapping[str, Sequence[str]], experiment_ids: Sequence[int] | None,
                    stale_bases: Mapping[str, str]) -> pd.DataFrame:
    """One cell per trial that the recorded rows cannot place: recorded without a category or run facts, or
    (of the tasks in ``stale_bases``, which maps each to its declared executables' basis now) judged against
    another basis; each read from its run directory."""
    stale = false()
    for task, basis in stale_bases.items():
        stale = or_(stale, and_(_t.task_id == task, not_(_cancelled), _t.software_basis != basis))
    recorded_category = case((_t.software.is_(None), None), else_=_t.category)  # without facts: no_output unknown
    query = (select(_t.id, *(_t[k] for k in _KEYS), _t.status, _t.agent_outcome, _t.score, recorded_category,
                    _t.run_dir, _t.passed, _t.cost_usd, _t.duration_sec, _t.agent_sec)
             .where(_selection(experiment_ids), or_(not_(_recorded), stale)))
    with engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(query).all(), columns=[
            "id", *_KEYS, "status", "agent_outcome", "score", "category", "run_dir", "passed", "cost_usd",
            "duration_sec", "agent_sec"])
        if rows.empty:
            return pd.DataFrame(columns=[*_KEYS, "category", "software", *_SUMS])
        gates = {trial for (trial,) in conn.execute(select(checks.c.trial_id).distinct().where(
            checks.c.trial_id.in_(rows["id"].tolist()), checks.c.gate, checks.c.passed == false()))}
    cancelled = (rows["status"] == "cancelled").to_numpy()
    with ThreadPoolExecutor(_INSPECT_THREADS) as pool:
        facts = list(pool.map(lambda row: None if row[2] else inspect_run_dir(
            Path(row[0]), executables.get(row[1], ())), zip(rows["run_dir"], rows["task_id"], cancelled, strict=True)))
    output_files = [None if f is None else f.output_files for f in facts]
    derived = failure_categories(rows["status"], rows["agent_outcome"], rows["score"], rows["id"].isin(gates),
                                 output_files)
    return pd.DataFrame({
        **{k: rows[k] for k in _KEYS},
        "category": np.where(rows["category"].isna(), derived, rows["category"].to_numpy(object)),
        "software": ["unknown" if f is None else f.software for f in facts],
        "trials": 1, "passes": rows["passed"].astype(bool).astype(np.int64), "score_sum": rows["score"],
        "cost_sum": rows["cost_usd"].fillna(0.0), "cost_unknown": rows["cost_usd"].isna().astype(np.int64),
        "duration_sum": rows["duration_sec"], "agent_sec_sum": rows["agent_sec"],
    })


def failed_checks(engine: Engine, experiment_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Failed trials counted per (agent, task_id, check that failed in them): columns agent, task_id, check, failed.

    The names of a trial's failed checks are recorded on its row; trials recorded without them (by an older
    version) are counted from the checks table."""
    failed = _t.status == "failed"
    recorded = (select(_t.agent, _t.task_id, _t.failed_checks, func.count())
                .where(failed, _t.failed_checks != "", _selection(experiment_ids))
                .group_by(_t.agent, _t.task_id, _t.failed_checks))
    older = (select(_t.agent, _t.task_id, checks.c.name, func.count(checks.c.trial_id.distinct()))
             .select_from(checks.join(trials, _t.id == checks.c.trial_id))
             .where(failed, _t.failed_checks.is_(None), checks.c.passed == false(), _selection(experiment_ids))
             .group_by(_t.agent, _t.task_id, checks.c.name))
    with engine.connect() as conn:
        combinations = _frame(conn, recorded, ["agent", "task_id", "check", "failed"])
        counted = _frame(conn, older, ["agent", "task_id", "check", "failed"])
    combinations["check"] = combinations["check"].str.split("\n")
    pooled = pd.concat([combinations.explode("check"), counted], ignore_index=True).astype({"failed": np.int64})
    return pooled.groupby(["agent", "task_id", "check"], as_index=False, sort=False)["failed"].sum()


def fingerprint(engine: Engine, experiment_ids: Sequence[int] | None = None) -> int:
    """The newest trial id of the selection: it changes whenever a trial is recorded, retried or regraded
    (the store replaces a trial by deleting its row and inserting a new one), and costs one index lookup."""
    with engine.connect() as conn:
        newest = conn.execute(select(func.max(_t.id)).where(_selection(experiment_ids))).scalar_one()
    return int(newest or 0)
