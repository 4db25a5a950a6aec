"""The analysis cache: one compact row of facts per recorded trial, kept in the results database.

A report must not re-read a million run directories each time, nor push a million wide rows
through Python. So each trial is inspected once (its run directory, its failed gate checks) and
its analysis projection is written to ``trial_facts``: integer-coded agent and instance, the
numbers a report sums, the failure category and the software use (see ``facts``). The report then
only runs grouped queries over that narrow table.

Validity: ``trial_facts.trial_id`` references ``trials.id`` with ON DELETE CASCADE, and a trial row
is never updated in place (a retried or regraded trial is a new row), so a fact row always
describes the trial it names. Facts also depend on the task's declared executables and on this
module's ``FACTS_VERSION``: both are kept per task in ``analysis_tasks``, and a task whose basis
changed has its facts recomputed. The names of agents, tasks, instances and checks live in small
dimension tables (``analysis_*``) so that the facts are integers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    false,
    func,
    insert,
    inspect,
    select,
    true,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from lastexam.analysis.facts import RunFacts, executable_pattern, failure_category, inspect_run_dir
from lastexam.errors import LastExamError
from lastexam.store.db import ResultsStore, checks, trials

FACTS_VERSION = 1
_CHUNK = 20_000
_INSPECT_THREADS = 8

cache_metadata = MetaData()

analysis_agents = Table(
    "analysis_agents", cache_metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(300), nullable=False, unique=True),
)

analysis_tasks = Table(
    "analysis_tasks", cache_metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("executables", Text, nullable=False),
    Column("version", Integer, nullable=False),
)

analysis_instances = Table(
    "analysis_instances", cache_metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(300), nullable=False, unique=True),
    Column("task_ref", Integer, nullable=False),
    Column("tier", String(30), nullable=False),
    Column("cluster", String(60), nullable=False),
    Column("subdomain", String(60), nullable=False),
)

analysis_checks = Table(
    "analysis_checks", cache_metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
)

trial_facts = Table(
    "trial_facts", cache_metadata,
    Column("trial_id", Integer, ForeignKey(trials.c.id, ondelete="CASCADE"), primary_key=True, autoincrement=False),
    Column("experiment_id", Integer, nullable=False, index=True),
    Column("agent_id", Integer, nullable=False),
    Column("task_ref", Integer, nullable=False, index=True),
    Column("instance_id", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("score", Float, nullable=False),
    Column("cost_usd", Float, nullable=False),
    Column("duration_sec", Float, nullable=False),
    Column("agent_sec", Float, nullable=False),
    Column("category", String(20), nullable=False),
    Column("software", String(12), nullable=False),
    Column("failed_checks", Text, nullable=False, doc="ids in analysis_checks of the failed checks, comma-separated"),
    Column("output_files", Integer),
    Column("tool_calls", Integer),
    Index("ix_trial_facts_cells", "agent_id", "instance_id", "category", "software", "experiment_id", "passed", "score",
          "cost_usd", "duration_sec", "agent_sec"),
)

CELL_COLUMNS = ("agent", "instance", "task_id", "tier", "cluster", "subdomain", "category", "software", "trials",
                "passes", "score_sum", "cost_sum", "duration_sum", "agent_sec_sum")


def _experiment_filter(column: Any, experiment_ids: Sequence[int] | None) -> Any:
    return true() if experiment_ids is None else column.in_(list(experiment_ids))


def _fetch(conn: Connection, statement: Any) -> list[tuple[Any, ...]]:
    """Rows as plain tuples straight from the driver: no per-value processing, for large results."""
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(str(compiled))
        return cursor.fetchall()
    finally:
        cursor.close()


def _frame(conn: Connection, statement: Any, columns: list[str]) -> pd.DataFrame:
    """A large result as a frame, built column by column (far cheaper than row by row)."""
    rows = _fetch(conn, statement)
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame({name: np.asarray(values) for name, values in zip(columns, zip(*rows, strict=True),
                                                                         strict=True)})


def refresh(store: ResultsStore, executables: Mapping[str, Sequence[str]],
            experiment_ids: Sequence[int] | None = None) -> int:
    """Bring the facts of the selected trials up to date; returns how many trials were inspected.

    ``executables`` maps task ids to their declared executables (a task missing from it is
    classified ``unknown`` for software use).

    Raises:
        LastExamError: the database refuses the cache's writes (a read-only database).
    """
    try:
        _ensure_tables(store.engine)
        _reset_changed_tasks(store.engine, executables)
        with store.engine.connect() as conn:
            recorded = conn.execute(select(func.count(), func.max(trials.c.id)).where(
                _experiment_filter(trials.c.experiment_id, experiment_ids))).one()
            known = conn.execute(select(func.count(), func.max(trial_facts.c.trial_id)).where(
                _experiment_filter(trial_facts.c.experiment_id, experiment_ids))).one()
        if tuple(recorded) == tuple(known):
            return 0
        return _fill_missing(store.engine, executables, experiment_ids)
    except (OperationalError, ProgrammingError) as exc:
        text = str(exc).lower()
        if "readonly" in text or "read-only" in text or "permission" in text:
            raise LastExamError(f"cannot write the analysis cache in {store.url} ({exc.orig}). Fix: make the "
                                "database writable, or copy it and point --db at the copy") from exc
        raise


def _ensure_tables(engine: Engine) -> None:
    """Create the cache tables; a cache left by an older layout of these tables is dropped and rebuilt."""
    inspector = inspect(engine)
    existing = set(inspector.get_table_names())
    stale = any(table.name in existing and {c["name"] for c in inspector.get_columns(table.name)} != set(table.c.keys())
                for table in cache_metadata.sorted_tables)
    if stale:
        cache_metadata.drop_all(engine)
    cache_metadata.create_all(engine)


def _basis(task_id: str, executables: Mapping[str, Sequence[str]]) -> str:
    return " ".join(sorted(executables.get(task_id, ())))


def _reset_changed_tasks(engine: Engine, executables: Mapping[str, Sequence[str]]) -> None:
    """Drop the facts of every task whose declared executables or facts version changed, and note the new basis."""
    with engine.begin() as conn:
        for task in conn.execute(select(analysis_tasks)).all():
            basis = _basis(task.name, executables)
            if (task.executables, task.version) != (basis, FACTS_VERSION):
                conn.execute(delete(trial_facts).where(trial_facts.c.task_ref == task.id))
                conn.execute(update(analysis_tasks).where(analysis_tasks.c.id == task.id).values(
                    executables=basis, version=FACTS_VERSION))


_MISSING_COLUMNS = ("id", "experiment_id", "agent", "instance", "task_id", "tier", "cluster", "subdomain", "status",
                    "agent_outcome", "passed", "score", "cost_usd", "duration_sec", "agent_sec", "run_dir")


def _fill_missing(engine: Engine, executables: Mapping[str, Sequence[str]],
                  experiment_ids: Sequence[int] | None) -> int:
    query = (select(*(trials.c[c] for c in _MISSING_COLUMNS))
             .outerjoin(trial_facts, trial_facts.c.trial_id == trials.c.id)
             .where(trial_facts.c.trial_id.is_(None), _experiment_filter(trials.c.experiment_id, experiment_ids))
             .order_by(trials.c.id))
    with engine.connect() as conn:
        missing = _frame(conn, query, list(_MISSING_COLUMNS))
        if missing.empty:
            return 0
        failed = _failed_checks_of(conn, int(missing["id"].min()))
    agent_ids = _dimension_ids(engine, analysis_agents, pd.DataFrame({"name": missing["agent"].unique()}))
    tasks = pd.DataFrame({"name": missing["task_id"].unique()})
    tasks["executables"] = [_basis(t, executables) for t in tasks["name"]]
    tasks["version"] = FACTS_VERSION
    task_ids = _dimension_ids(engine, analysis_tasks, tasks)
    instances = missing[["instance", "task_id", "tier", "cluster", "subdomain"]].drop_duplicates("instance")
    instances = instances.assign(task_ref=instances["task_id"].map(task_ids)).drop(columns="task_id")
    instance_ids = _dimension_ids(engine, analysis_instances, instances.rename(columns={"instance": "name"}))
    check_ids = _dimension_ids(engine, analysis_checks, pd.DataFrame(
        {"name": sorted({name for names in failed.values() for name, _ in names})}))

    patterns = {t: executable_pattern(executables.get(t, ())) for t in tasks["name"]}
    records = missing.to_dict("records")
    with ThreadPoolExecutor(_INSPECT_THREADS) as pool:
        run_facts = list(pool.map(lambda r: _inspect(r, patterns), records, chunksize=256))
    rows = []
    for record, facts in zip(records, run_facts, strict=True):
        failures = failed.get(int(record["id"]), [])
        gate = any(is_gate for _, is_gate in failures)
        rows.append({
            "trial_id": int(record["id"]), "experiment_id": int(record["experiment_id"]),
            "agent_id": agent_ids[record["agent"]], "task_ref": task_ids[record["task_id"]],
            "instance_id": instance_ids[record["instance"]], "status": record["status"],
            "passed": bool(record["passed"]), "score": float(record["score"]), "cost_usd": float(record["cost_usd"]),
            "duration_sec": float(record["duration_sec"]), "agent_sec": float(record["agent_sec"]),
            "category": failure_category(record["status"], record["agent_outcome"], float(record["score"]), gate,
                                         facts.output_files),
            "software": facts.software,
            "failed_checks": ",".join(str(i) for i in sorted({check_ids[name] for name, _ in failures})),
            "output_files": facts.output_files, "tool_calls": facts.tool_calls,
        })
    for start in range(0, len(rows), _CHUNK):
        _insert_facts(engine, rows[start:start + _CHUNK])
    return len(rows)


def _inspect(record: dict[str, Any], patterns: Mapping[str, re.Pattern[str] | None]) -> RunFacts:
    if record["status"] == "cancelled":
        return RunFacts(output_files=None, tool_calls=None, software="unknown")
    return inspect_run_dir(Path(record["run_dir"]), patterns[record["task_id"]])


def _failed_checks_of(conn: Connection, min_trial_id: int) -> dict[int, list[tuple[str, bool]]]:
    """trial id -> (name, gate) of each failed check, for the trials from ``min_trial_id`` on."""
    query = select(checks.c.trial_id, checks.c.name, checks.c.gate).where(
        checks.c.passed == false(), checks.c.trial_id >= min_trial_id)
    failed: dict[int, list[tuple[str, bool]]] = {}
    for trial_id, name, gate in _fetch(conn, query):
        failed.setdefault(int(trial_id), []).append((name, bool(gate)))
    return failed


def _dimension_ids(engine: Engine, table: Table, wanted: pd.DataFrame) -> dict[str, int]:
    """Ids of the named rows of a dimension table, inserting the rows not there yet."""
    with engine.begin() as conn:
        have = {name: int(i) for i, name in conn.execute(select(table.c.id, table.c.name)).all()}
        new = wanted[~wanted["name"].isin(list(have))]
        if not new.empty:
            conn.execute(insert(table), new.to_dict("records"))
            have = {name: int(i) for i, name in conn.execute(select(table.c.id, table.c.name)).all()}
    return have


def _insert_facts(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Insert one chunk; a trial deleted meanwhile, or facts another report wrote first, are skipped."""
    try:
        with engine.begin() as conn:
            conn.execute(insert(trial_facts), rows)
    except IntegrityError:
        for row in rows:
            try:
                with engine.begin() as conn:
                    conn.execute(insert(trial_facts), [row])
            except IntegrityError:
                continue


def _names(conn: Connection, table: Table) -> dict[int, str]:
    return {int(i): name for i, name in _fetch(conn, select(table.c.id, table.c.name))}


def cells(engine: Engine, experiment_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Sums per (agent, instance, category, software) over the selected trials' facts: ``CELL_COLUMNS``,
    the text columns as pandas categoricals."""
    f = trial_facts.c
    query = (select(f.agent_id, f.instance_id, f.category, f.software, func.count(), func.sum(f.passed.cast(Integer)),
                    func.sum(f.score), func.sum(f.cost_usd), func.sum(f.duration_sec), func.sum(f.agent_sec))
             .where(_experiment_filter(f.experiment_id, experiment_ids))
             .group_by(f.agent_id, f.instance_id, f.category, f.software))
    with engine.connect() as conn:
        sums = _frame(conn, query, ["agent_id", "instance_id", "category", "software", "trials", "passes",
                                    "score_sum", "cost_sum", "duration_sum", "agent_sec_sum"])
        agents = _names(conn, analysis_agents)
        tasks = _names(conn, analysis_tasks)
        instances = _frame(conn, select(analysis_instances),
                           ["instance_id", "instance", "task_ref", "tier", "cluster", "subdomain"])
    instances["task_id"] = instances["task_ref"].map(tasks)
    instances = instances.set_index("instance_id")
    out = pd.DataFrame({"agent": pd.Categorical(sums["agent_id"].map(agents))})
    for column in ("instance", "task_id", "tier", "cluster", "subdomain"):
        out[column] = pd.Categorical(instances[column].reindex(sums["instance_id"]).to_numpy())
    out["category"] = pd.Categorical(sums["category"])
    out["software"] = pd.Categorical(sums["software"])
    out["trials"] = sums["trials"].astype(np.int64)
    out["passes"] = sums["passes"].fillna(0).astype(np.int64)
    for column in ("score_sum", "cost_sum", "duration_sum", "agent_sec_sum"):
        out[column] = sums[column].astype(np.float64)
    return out[list(CELL_COLUMNS)]


def failed_checks(engine: Engine, experiment_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Failed checks of failed trials counted per (agent, task_id, check): columns agent, task_id, check, failed."""
    f = trial_facts.c
    query = (select(f.agent_id, f.task_ref, f.failed_checks, func.count())
             .where(f.status == "failed", f.failed_checks != "", _experiment_filter(f.experiment_id, experiment_ids))
             .group_by(f.agent_id, f.task_ref, f.failed_checks))
    with engine.connect() as conn:
        combos = _frame(conn, query, ["agent_id", "task_ref", "ids", "failed"])
        agents, tasks, names = _names(conn, analysis_agents), _names(conn, analysis_tasks), _names(conn, analysis_checks)
    if combos.empty:
        return pd.DataFrame(columns=["agent", "task_id", "check", "failed"])
    combos["check_id"] = combos["ids"].str.split(",")
    exploded = combos.explode("check_id")
    exploded["check_id"] = exploded["check_id"].astype(np.int64)
    counts = exploded.groupby(["agent_id", "task_ref", "check_id"], as_index=False)["failed"].sum()
    return pd.DataFrame({"agent": counts["agent_id"].map(agents), "task_id": counts["task_ref"].map(tasks),
                         "check": counts["check_id"].map(names), "failed": counts["failed"].astype(np.int64)})


def fingerprint(engine: Engine, experiment_ids: Sequence[int] | None = None) -> int:
    """The newest trial id of the selection: it changes whenever a trial is recorded, retried or regraded
    (the store replaces a trial by deleting its row and inserting a new one), and costs one index lookup."""
    with engine.connect() as conn:
        newest = conn.execute(select(func.max(trials.c.id)).where(
            _experiment_filter(trials.c.experiment_id, experiment_ids))).scalar_one()
    return int(newest or 0)
