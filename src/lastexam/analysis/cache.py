"""The analysis cache: one compact row of facts per recorded trial, kept in the results database.

A report must not re-read a million run directories each time, nor push a million wide rows
through Python. So each trial is looked at once (its run facts, its failed gate checks) and
its analysis projection is written to ``trial_facts``: integer-coded agent and instance, the
numbers a report sums, the failure category and the software use (see ``facts``). The report then
only runs grouped queries over that narrow table. The run facts come from the ``run_facts`` row the
runner recorded with the trial; only trials recorded without one (by an older version), or judged
against declared executables that have changed since, have their run directory read.

Validity: ``trial_facts.trial_id`` references ``trials.id`` with ON DELETE CASCADE, and a trial row
is never updated in place (a retried or regraded trial is a new row), so a fact row always
describes the trial it names. Facts also depend on the task's declared executables and on this
module's ``FACTS_VERSION``: both are kept per task in ``analysis_tasks``, and a task whose basis
changed has its facts recomputed. The names of agents, tasks, instances and checks live in small
dimension tables (``analysis_*``) so that the facts are integers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import chain
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
    case,
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

from lastexam.analysis.facts import (
    FAILURE_CATEGORIES,
    SOFTWARE_USES,
    executables_basis,
    failure_categories,
    inspect_run_dir,
)
from lastexam.errors import LastExamError
from lastexam.store.db import ResultsStore, checks, create_tables, run_facts, trials

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
    Column("cost_usd", Float, nullable=False, doc="0 where the cost is unknown (see cost_known)"),
    Column("cost_known", Boolean, nullable=False),
    Column("duration_sec", Float, nullable=False),
    Column("agent_sec", Float, nullable=False),
    Column("category", String(20), nullable=False),
    Column("software", String(12), nullable=False),
    Column("failed_checks", Text, nullable=False, doc="ids in analysis_checks of the failed checks, comma-separated"),
    Column("output_files", Integer),
    Column("tool_calls", Integer),
    Index("ix_trial_facts_cells", "agent_id", "instance_id", "category", "software", "experiment_id", "passed", "score",
          "cost_usd", "duration_sec", "agent_sec"),
    Index("ix_trial_facts_failed", "status", "agent_id", "task_ref", "failed_checks", "experiment_id"),
)

_CATEGORY_CODES = {name: code for code, name in enumerate(("passed", "cancelled", *FAILURE_CATEGORIES))}
_SOFTWARE_CODES = {name: code for code, name in enumerate(SOFTWARE_USES)}
CELL_COLUMNS = ("agent", "instance", "task_id", "tier", "cluster", "subdomain", "category", "software", "trials",
                "passes", "score_sum", "cost_sum", "cost_unknown", "duration_sum", "agent_sec_sum")


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
    """Create the cache tables and their indexes; a cache left by an older layout of these tables is dropped and
    rebuilt (an index added since is only created)."""
    inspector = inspect(engine)
    existing = set(inspector.get_table_names())
    stale = any(table.name in existing and {c["name"] for c in inspector.get_columns(table.name)} != set(table.c.keys())
                for table in cache_metadata.sorted_tables)
    if stale:
        cache_metadata.drop_all(engine)
    create_tables(engine, cache_metadata)


def _basis(task_id: str, executables: Mapping[str, Sequence[str]]) -> str:
    return executables_basis(executables.get(task_id, ()))


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
_RECORDED_COLUMNS = ("output_files", "tool_calls", "software", "executables")


def _fill_missing(engine: Engine, executables: Mapping[str, Sequence[str]],
                  experiment_ids: Sequence[int] | None) -> int:
    """Write the facts of the selected trials that have none; returns how many run directories were read.

    A trial whose run facts were recorded with it (``run_facts``, judged against the same declared
    executables as now) is not read again; the others are inspected from their run directories.
    """
    query = (select(*(trials.c[c] for c in _MISSING_COLUMNS), *(run_facts.c[c] for c in _RECORDED_COLUMNS))
             .outerjoin(trial_facts, trial_facts.c.trial_id == trials.c.id)
             .outerjoin(run_facts, run_facts.c.trial_id == trials.c.id)
             .where(trial_facts.c.trial_id.is_(None), _experiment_filter(trials.c.experiment_id, experiment_ids))
             .order_by(trials.c.id))
    with engine.connect() as conn:
        missing = _frame(conn, query, [*_MISSING_COLUMNS, *_RECORDED_COLUMNS])
        if missing.empty:
            return 0
        failed = _frame(conn, select(checks.c.trial_id, checks.c.name, checks.c.gate).where(
            checks.c.passed == false(), checks.c.trial_id >= int(missing["id"].min())), ["trial_id", "name", "gate"])
    agent_ids = _dimension_ids(engine, analysis_agents, pd.DataFrame({"name": missing["agent"].unique()}))
    tasks = pd.DataFrame({"name": missing["task_id"].unique()})
    tasks["executables"] = [_basis(t, executables) for t in tasks["name"]]
    tasks["version"] = FACTS_VERSION
    task_ids = _dimension_ids(engine, analysis_tasks, tasks)
    instances = missing[["instance", "task_id", "tier", "cluster", "subdomain"]].drop_duplicates("instance")
    instances = instances.assign(task_ref=instances["task_id"].map(task_ids)).drop(columns="task_id")
    instance_ids = _dimension_ids(engine, analysis_instances, instances.rename(columns={"instance": "name"}))
    check_ids = _dimension_ids(engine, analysis_checks, pd.DataFrame({"name": sorted(set(failed["name"]))}))

    output_files, tool_calls, software, read = _run_facts_of(missing, dict(zip(tasks["name"], tasks["executables"],
                                                                                strict=True)), executables)
    gate, failed_ids = _failures_of(missing["id"], failed, check_ids)
    cost = pd.to_numeric(missing["cost_usd"], errors="coerce")
    columns = {
        "trial_id": missing["id"].astype(np.int64), "experiment_id": missing["experiment_id"].astype(np.int64),
        "agent_id": missing["agent"].map(agent_ids), "task_ref": missing["task_id"].map(task_ids),
        "instance_id": missing["instance"].map(instance_ids), "status": missing["status"],
        "passed": missing["passed"].astype(bool), "score": missing["score"].astype(np.float64),
        "cost_usd": cost.fillna(0.0), "cost_known": cost.notna(), "duration_sec": missing["duration_sec"].astype(np.float64),
        "agent_sec": missing["agent_sec"].astype(np.float64),
        "category": failure_categories(missing["status"], missing["agent_outcome"], missing["score"], gate,
                                       output_files),
        "software": software, "failed_checks": failed_ids,
    }
    values = {name: np.asarray(column).tolist() for name, column in columns.items()}  # plain Python values
    values.update(output_files=_counts(output_files), tool_calls=_counts(tool_calls))
    rows = list(zip(*values.values(), strict=True))
    for start in range(0, len(rows), _CHUNK):
        _insert_facts(engine, list(values), rows[start:start + _CHUNK])
    return read


def _counts(column: np.ndarray) -> list[int | None]:
    """A float column of counts as ints, NaN (not known) as None."""
    return [None if v != v else int(v) for v in column.tolist()]


def _run_facts_of(missing: pd.DataFrame, bases: Mapping[str, str], executables: Mapping[str, Sequence[str]],
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Per missing trial: output files and tool calls (float, NaN: not known), software use, and how many run
    directories were read. Recorded facts judged against the same declared executables as now are taken as
    they are; a cancelled trial's are unknown; the others are read from the run directory."""
    cancelled = (missing["status"] == "cancelled").to_numpy()
    recorded = (missing["software"].notna() & (missing["executables"] == missing["task_id"].map(bases))).to_numpy()
    output_files = pd.to_numeric(missing["output_files"], errors="coerce").to_numpy(np.float64, copy=True)
    tool_calls = pd.to_numeric(missing["tool_calls"], errors="coerce").to_numpy(np.float64, copy=True)
    software = missing["software"].to_numpy(object, copy=True)
    output_files[cancelled], tool_calls[cancelled], software[cancelled] = np.nan, np.nan, "unknown"
    to_read = np.flatnonzero(~cancelled & ~recorded)
    run_dirs, task_ids = missing["run_dir"].to_numpy(), missing["task_id"].to_numpy()
    with ThreadPoolExecutor(_INSPECT_THREADS) as pool:
        read = pool.map(lambda i: inspect_run_dir(Path(run_dirs[i]), executables.get(task_ids[i], ())), to_read,
                        chunksize=256)
        for i, facts in zip(to_read, read, strict=True):
            output_files[i] = np.nan if facts.output_files is None else facts.output_files
            tool_calls[i] = np.nan if facts.tool_calls is None else facts.tool_calls
            software[i] = facts.software
    return output_files, tool_calls, software, len(to_read)


def _failures_of(trial_ids: pd.Series, failed: pd.DataFrame, check_ids: Mapping[str, int]) -> tuple[np.ndarray, list[str]]:
    """Per trial: whether a gate check failed, and the ids of its failed checks (sorted, comma-separated)."""
    if failed.empty:
        return np.zeros(len(trial_ids), dtype=bool), [""] * len(trial_ids)
    failed = failed.assign(check_id=failed["name"].map(check_ids), gate=failed["gate"].astype(bool))
    failed = failed.drop_duplicates(["trial_id", "check_id"]).sort_values(["trial_id", "check_id"])
    gate = failed.groupby("trial_id")["gate"].any()
    ids: dict[int, str] = {}
    for trial, check in zip(failed["trial_id"].tolist(), failed["check_id"].astype(str).tolist(), strict=True):
        ids[trial] = f"{ids[trial]},{check}" if trial in ids else check
    return (trial_ids.isin(gate.index[gate.to_numpy(bool)]).to_numpy(),
            [ids.get(trial, "") for trial in trial_ids.tolist()])


def _dimension_ids(engine: Engine, table: Table, wanted: pd.DataFrame) -> dict[str, int]:
    """Ids of the named rows of a dimension table, inserting the rows not there yet."""
    with engine.begin() as conn:
        have = {name: int(i) for i, name in conn.execute(select(table.c.id, table.c.name)).all()}
        new = wanted[~wanted["name"].isin(list(have))]
        if not new.empty:
            conn.execute(insert(table), new.to_dict("records"))
            have = {name: int(i) for i, name in conn.execute(select(table.c.id, table.c.name)).all()}
    return have


def _insert_facts(engine: Engine, keys: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert one chunk of rows (values in the order of ``keys``) through the driver's executemany (no per-row
    parameter processing: the values are plain Python values already); a trial deleted meanwhile, or facts
    another report wrote first, are skipped."""
    with engine.connect() as probe:
        compiled = insert(trial_facts).compile(dialect=probe.dialect, column_keys=keys)
    if compiled.positional:
        order = [keys.index(name) for name in compiled.positiontup or ()]
        params: list[Any] = [tuple(row[i] for i in order) for row in rows]
    else:
        params = [dict(zip(keys, row, strict=True)) for row in rows]

    def write(batch: list[Any]) -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql(str(compiled), batch)

    try:
        write(params)
    except IntegrityError:
        for one in params:
            try:
                write([one])
            except IntegrityError:
                continue


def _names(conn: Connection, table: Table) -> dict[int, str]:
    return {int(i): name for i, name in _fetch(conn, select(table.c.id, table.c.name))}


def _numbers(conn: Connection, statement: Any, width: int) -> np.ndarray:
    """A large all-numeric result as one float64 array (rows x ``width``), without a Python object per column."""
    rows = _fetch(conn, statement)
    return np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=len(rows) * width).reshape(len(rows), width)


def _coded(codes: np.ndarray, categories: Sequence[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=list(categories)).remove_unused_categories()


def _named(ids: np.ndarray, names: Mapping[int, str]) -> pd.Categorical:
    """Integer dimension ids as a categorical of their names (categories sorted by name)."""
    ordered = sorted(set(names.values()))
    code_of = np.full(max(names, default=0) + 1, -1, dtype=np.int64)
    position = {name: i for i, name in enumerate(ordered)}
    for key, name in names.items():
        code_of[key] = position[name]
    return _coded(code_of[ids], ordered)


def cells(engine: Engine, experiment_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Sums per (agent, instance, category, software) over the selected trials' facts: ``CELL_COLUMNS``,
    the text columns as pandas categoricals."""
    f = trial_facts.c
    query = (select(f.agent_id, f.instance_id, case(_CATEGORY_CODES, value=f.category, else_=-1),
                    case(_SOFTWARE_CODES, value=f.software, else_=-1), func.count(),
                    func.coalesce(func.sum(f.passed.cast(Integer)), 0), func.sum(f.score), func.sum(f.cost_usd),
                    func.sum(case((f.cost_known, 0), else_=1)), func.sum(f.duration_sec), func.sum(f.agent_sec))
             .where(_experiment_filter(f.experiment_id, experiment_ids))
             .group_by(f.agent_id, f.instance_id, f.category, f.software))
    with engine.connect() as conn:
        sums = _numbers(conn, query, 11)
        agents = _names(conn, analysis_agents)
        tasks = _names(conn, analysis_tasks)
        instances = _frame(conn, select(analysis_instances),
                           ["instance_id", "instance", "task_ref", "tier", "cluster", "subdomain"])
    if not len(sums):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CELL_COLUMNS})
    instances["task_id"] = instances["task_ref"].map(tasks)
    position = np.full(int(instances["instance_id"].max()) + 1, -1, dtype=np.int64)
    position[instances["instance_id"].to_numpy(np.int64)] = np.arange(len(instances))
    rows = position[sums[:, 1].astype(np.int64)]
    out = pd.DataFrame({"agent": _named(sums[:, 0].astype(np.int64), agents)})
    for column in ("instance", "task_id", "tier", "cluster", "subdomain"):
        per_instance = pd.Categorical(instances[column])
        out[column] = _coded(per_instance.codes[rows], per_instance.categories)
    out["category"] = _coded(sums[:, 2].astype(np.int64), list(_CATEGORY_CODES))
    out["software"] = _coded(sums[:, 3].astype(np.int64), list(_SOFTWARE_CODES))
    out["trials"] = sums[:, 4].astype(np.int64)
    out["passes"] = sums[:, 5].astype(np.int64)
    for i, column in enumerate(("score_sum", "cost_sum", "cost_unknown", "duration_sum", "agent_sec_sum"), start=6):
        out[column] = sums[:, i]
    return out[list(CELL_COLUMNS)]


def failed_checks(engine: Engine, experiment_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Failed checks of failed trials counted per (agent, task_id, check): columns agent, task_id, check, failed."""
    f = trial_facts.c
    query = (select(f.agent_id, f.task_ref, f.failed_checks, func.count())
             .where(f.status == "failed", f.failed_checks != "", _experiment_filter(f.experiment_id, experiment_ids))
             .group_by(f.agent_id, f.task_ref, f.failed_checks))
    with engine.connect() as conn:
        combos = _fetch(conn, query)
        agents, tasks, names = _names(conn, analysis_agents), _names(conn, analysis_tasks), _names(conn, analysis_checks)
    counts: Counter[tuple[int, int, int]] = Counter()
    for agent_id, task_ref, ids, failed in combos:
        for check_id in ids.split(","):
            counts[(agent_id, task_ref, int(check_id))] += failed
    keys = list(counts)
    return pd.DataFrame({"agent": [agents[k[0]] for k in keys], "task_id": [tasks[k[1]] for k in keys],
                         "check": [names[k[2]] for k in keys], "failed": np.fromiter(counts.values(), np.int64,
                                                                                      len(keys))})


def fingerprint(engine: Engine, experiment_ids: Sequence[int] | None = None) -> int:
    """The newest trial id of the selection: it changes whenever a trial is recorded, retried or regraded
    (the store replaces a trial by deleting its row and inserting a new one), and costs one index lookup."""
    with engine.connect() as conn:
        newest = conn.execute(select(func.max(trials.c.id)).where(
            _experiment_filter(trials.c.experiment_id, experiment_ids))).scalar_one()
    return int(newest or 0)
