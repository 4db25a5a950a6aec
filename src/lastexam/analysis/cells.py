"""Cells and tallies: the trials of a selection summed by grouped queries that only read the results database.

* **Cells** (``CELL_COLUMNS``): per (agent, instance, outcome) the sums the statistics rest on. The outcome
  is ``graded`` or ``infrastructure`` (status infra_error), taken from the status, so the trials of every
  version count alike; cancelled trials are left out. Each cell carries its instance's task, tier, cluster
  and subdomain.
* **Tallies** (``Tallies``): trials and full passes per failure category and software use, by agent and by
  task, for the failure and software tables. The store records both with each trial, so a tally is one
  grouped query. Trials recorded without them (by an older version), and trials whose software use was
  judged against declared executables that have changed since, are read from their run directories, in
  memory: a report never writes.
* **Failed checks**: failed trials per (task, check).

Each grouped query scans an index that covers it, in the order of its grouping (see ``store.db``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Integer, and_, case, false, func, not_, or_, select, true
from sqlalchemy.engine import Connection, Engine

from lastexam.analysis.facts import executables_basis, failure_categories, inspect_run_dir
from lastexam.store.db import checks, trials

OUTCOMES = ("graded", "infrastructure")
NOT_GRADED = ("infrastructure", "cancelled")
CELL_COLUMNS = ("agent", "instance", "task_id", "tier", "cluster", "subdomain", "outcome", "trials",
                "passes", "score_sum", "cost_sum", "cost_unknown", "duration_sum", "agent_sec_sum")
TALLY_COLUMNS = ("category", "software", "trials", "passes")
_PLACES = ("instance", "task_id", "tier", "cluster", "subdomain")
_SUMS = ("trials", "passes", "score_sum", "cost_sum", "cost_unknown", "duration_sum", "agent_sec_sum")
_INSPECT_THREADS = 8

_t = trials.c
_recorded = and_(_t.category.is_not(None), or_(_t.category == "cancelled", _t.software.is_not(None)))


@dataclass(frozen=True)
class Tallies:
    """Trials and full passes per (agent, category, software) and per (task_id, category, software)
    (columns: the key, then ``TALLY_COLUMNS``); ``inspected`` counts the run directories read for them."""

    by_agent: pd.DataFrame
    by_task: pd.DataFrame
    inspected: int


def _fetch(conn: Connection, statement: Any) -> list[tuple[Any, ...]]:
    """The rows of a large result, through the driver's cursor (SQLAlchemy's row objects cost more than the
    query itself at a million trials)."""
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(str(compiled))
        return cursor.fetchall()
    finally:
        cursor.close()


def _columns(rows: list[tuple[Any, ...]], names: Sequence[str]) -> dict[str, np.ndarray]:
    """The columns of ``rows`` by name, as object arrays."""
    table = np.empty((len(rows), len(names)), dtype=object)
    table[:] = rows if rows else table
    return {name: table[:, j] for j, name in enumerate(names)}


def _selection(experiment_ids: Sequence[int] | None) -> Any:
    # "+ 0": SQLite would otherwise read the trials through the experiment index and sort them, instead of
    # scanning a covering index in the order of the grouping
    return true() if experiment_ids is None else (_t.experiment_id + 0).in_(list(experiment_ids))


def cells(engine: Engine, experiment_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """The cells of the selected trials: ``CELL_COLUMNS``, the keys as categoricals; cancelled trials are left out."""
    sums = (func.count(), func.coalesce(func.sum(_t.passed.cast(Integer)), 0), func.sum(_t.score),
            func.coalesce(func.sum(_t.cost_usd), 0.0), func.sum(case((_t.cost_usd.is_(None), 1), else_=0)),
            func.sum(_t.duration_sec), func.sum(_t.agent_sec))
    # one query per outcome rather than one grouped by the outcome: a grouping by (agent, instance) alone
    # follows the order of the index, where an expression of the status would need a sort
    outcomes = {"graded": _t.status.not_in(("infra_error", "cancelled")), "infrastructure": _t.status == "infra_error"}
    places = select(*(_t[c] for c in _PLACES)).distinct().where(_selection(experiment_ids))
    with engine.connect() as conn:
        parts = {outcome: _columns(_fetch(conn, select(_t.agent, _t.instance, *sums)
                                          .where(_selection(experiment_ids), where).group_by(_t.agent, _t.instance)),
                                   ["agent", "instance", *_SUMS])
                 for outcome, where in outcomes.items()}
        place = pd.DataFrame(_columns(_fetch(conn, places), _PLACES)).drop_duplicates("instance")
    columns = {c: np.concatenate([np.asarray(part[c], dtype=object if c in ("agent", "instance") else np.float64)
                                  for part in parts.values()]) for c in ("agent", "instance", *_SUMS)}
    instance = pd.Categorical(columns["instance"], categories=place["instance"])
    factorized = {c: pd.factorize(place[c]) for c in _PLACES[1:]}
    return pd.DataFrame({
        "agent": pd.Categorical(columns["agent"]), "instance": instance,
        **{c: pd.Categorical.from_codes(codes[instance.codes], categories=uniques)
           for c, (codes, uniques) in factorized.items()},
        "outcome": pd.Categorical(np.repeat(list(parts), [len(part["agent"]) for part in parts.values()]),
                                  categories=OUTCOMES),
        **{c: columns[c].astype(np.int64) if c in ("trials", "passes", "cost_unknown") else columns[c] for c in _SUMS},
    })[list(CELL_COLUMNS)]


def tallies(engine: Engine, executables: Mapping[str, Sequence[str]], experiment_ids: Sequence[int] | None = None,
            instances: Sequence[str] | None = None) -> Tallies:
    """The tallies of the selected trials (only of ``instances`` when given).

    ``executables`` maps task ids to their declared executables now; software use recorded against any
    other declaration (a task missing from the map counts as declaring none) is judged again from the run
    directory. A cancelled trial's software use is ``unknown``.
    """
    selected = _selection(experiment_ids)
    if instances is not None:
        selected = and_(selected, _t.instance.in_(list(instances)))
    per_task = (select(_t.task_id, _t.category, _t.software, _t.software_basis, func.count(),
                       func.coalesce(func.sum(_t.passed.cast(Integer)), 0))
                .where(selected, _recorded).group_by(_t.task_id, _t.category, _t.software, _t.software_basis))
    with engine.connect() as conn:
        by_task = pd.DataFrame(_columns(_fetch(conn, per_task), ["task_id", "category", "software", "basis",
                                                                  "trials", "passes"]))
    declared = {task: executables_basis(executables.get(task, ())) for task in by_task["task_id"].unique()}
    current = (by_task["basis"].isna() | (by_task["category"] == "cancelled")
               | (by_task["basis"] == by_task["task_id"].map(declared))).to_numpy(bool)
    stale = sorted(set(by_task.loc[~current, "task_id"]))
    judged_again = and_(_t.software_basis.is_not(None), _t.category != "cancelled",
                        or_(false(), *(and_(_t.task_id == task, _t.software_basis != declared[task]) for task in stale)))
    per_agent = (select(_t.agent, _t.category, _t.software, func.count(),
                        func.coalesce(func.sum(_t.passed.cast(Integer)), 0))
                 .where(selected, _recorded, not_(judged_again)).group_by(_t.agent, _t.category, _t.software))
    with engine.connect() as conn:
        by_agent = pd.DataFrame(_columns(_fetch(conn, per_agent), ["agent", *TALLY_COLUMNS]))
    read = _trials_to_read(engine, executables, and_(selected, or_(not_(_recorded), judged_again)))
    return Tallies(by_agent=_sum_tallies(by_agent, read, "agent"),
                   by_task=_sum_tallies(by_task[current].drop(columns="basis"), read, "task_id"),
                   inspected=int((read["software"] != "").sum()))


def _sum_tallies(recorded: pd.DataFrame, read: pd.DataFrame, key: str) -> pd.DataFrame:
    frame = pd.concat([recorded, read[[key, *TALLY_COLUMNS]]], ignore_index=True)
    frame["software"] = np.where(frame["category"] == "cancelled", "unknown", frame["software"].fillna("unknown"))
    frame = frame.astype({"trials": np.int64, "passes": np.int64})
    return frame.groupby([key, "category", "software"], as_index=False, sort=True)[["trials", "passes"]].sum()


def _trials_to_read(engine: Engine, executables: Mapping[str, Sequence[str]], where: Any) -> pd.DataFrame:
    """One tally row per trial that the recorded rows cannot place (columns agent, task_id, ``TALLY_COLUMNS``),
    each read from its run directory; a cancelled trial is not read (software "")."""
    query = select(_t.id, _t.agent, _t.task_id, _t.status, _t.agent_outcome, _t.score, _t.category, _t.software,
                   _t.run_dir, _t.passed).where(where)
    with engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(query).all(), columns=[
            "id", "agent", "task_id", "status", "agent_outcome", "score", "category", "software", "run_dir", "passed"])
        if rows.empty:
            return pd.DataFrame(columns=["agent", "task_id", *TALLY_COLUMNS])
        gates = {trial for (trial,) in conn.execute(select(checks.c.trial_id).distinct().where(
            checks.c.trial_id.in_(rows["id"].tolist()), checks.c.gate, checks.c.passed == false()))}
    cancelled = (rows["status"] == "cancelled").to_numpy()
    with ThreadPoolExecutor(_INSPECT_THREADS) as pool:
        facts = list(pool.map(lambda row: None if row[2] else inspect_run_dir(
            Path(row[0]), executables.get(row[1], ())), zip(rows["run_dir"], rows["task_id"], cancelled, strict=True)))
    output_files = [None if f is None else f.output_files for f in facts]
    derived = failure_categories(rows["status"], rows["agent_outcome"], rows["score"], rows["id"].isin(gates),
                                 output_files)
    recorded_category = np.where(rows["software"].isna(), None, rows["category"].to_numpy(object))
    return pd.DataFrame({
        "agent": rows["agent"], "task_id": rows["task_id"],
        # a category recorded without run facts could not tell no_output: derive it again
        "category": np.where(pd.isna(recorded_category), derived, recorded_category),
        "software": ["" if f is None else f.software for f in facts],
        "trials": 1, "passes": rows["passed"].astype(bool).astype(np.int64),
    })


def failed_checks(engine: Engine, experiment_ids: Sequence[int] | None = None,
                  instances: Sequence[str] | None = None) -> pd.DataFrame:
    """Failed trials counted per (task_id, check that failed in them), all agents pooled: columns task_id, check,
    failed (only of ``instances`` when given).

    The names of a trial's failed checks are recorded on its row; trials recorded without them (by an older
    version) are counted from the checks table."""
    failed = and_(_t.status == "failed", _selection(experiment_ids))
    if instances is not None:
        failed = and_(failed, _t.instance.in_(list(instances)))
    recorded = (select(_t.task_id, _t.failed_checks, func.count())
                .where(failed, _t.failed_checks != "").group_by(_t.task_id, _t.failed_checks))
    older = (select(_t.task_id, checks.c.name, func.count(checks.c.trial_id.distinct()))
             .select_from(checks.join(trials, _t.id == checks.c.trial_id))
             .where(failed, _t.failed_checks.is_(None), checks.c.passed == false())
             .group_by(_t.task_id, checks.c.name))
    names = ["task_id", "check", "failed"]
    with engine.connect() as conn:
        combinations = pd.DataFrame(_columns(_fetch(conn, recorded), names))
        counted = pd.DataFrame(_columns(_fetch(conn, older), names))
    combinations["check"] = combinations["check"].str.split("\n")
    pooled = pd.concat([combinations.explode("check"), counted], ignore_index=True).astype({"failed": np.int64})
    return pooled.groupby(["task_id", "check"], as_index=False, sort=False)["failed"].sum()


def fingerprint(engine: Engine, experiment_ids: Sequence[int] | None = None) -> int:
    """The newest trial id of the selection: it changes whenever a trial is recorded, retried or regraded
    (the store replaces a trial by deleting its row and inserting a new one), and costs one index lookup."""
    with engine.connect() as conn:
        newest = conn.execute(select(func.max(_t.id)).where(_selection(experiment_ids))).scalar_one()
    return int(newest or 0)
