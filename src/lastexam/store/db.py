"""The results database (SQLAlchemy): experiments, trials (with their run facts), checks and manifests.

SQLite file by default; any SQLAlchemy URL (PostgreSQL for teams) works the same. Recording a
trial is one transaction keyed by (experiment, agent, instance, epoch): a trial already recorded
as passed or failed is never recorded again, and a retried infra_error or cancelled trial
replaces its earlier row. A trial's row carries its failure category and its run facts (what its run
showed: see ``analysis.facts``), taken when it is recorded, so that reports only read.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from lastexam.contracts.facts import failure_category
from lastexam.contracts.trial import FINAL_STATUSES, TrialKey, TrialResult
from lastexam.errors import ConfigError

metadata = MetaData()
_SCHEMA_ATTEMPTS = 20
_LOST_RACE = ("already exists", "duplicate", "database is locked")

experiments = Table(
    "experiments", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("config", JSON, nullable=False),
)

trials = Table(
    "trials", metadata,
    Column("id", Integer, primary_key=True),
    Column("experiment_id", Integer, ForeignKey("experiments.id", ondelete="CASCADE"), nullable=False),
    Column("agent", String(300), nullable=False),
    Column("instance", String(300), nullable=False),
    Column("epoch", Integer, nullable=False),
    Column("task_id", String(200), nullable=False),
    Column("task_version", String(50), nullable=False),
    Column("variant", Integer, nullable=False),
    Column("tier", String(30), nullable=False),
    Column("cluster", String(60), nullable=False),
    Column("subdomain", String(60), nullable=False),
    Column("status", String(20), nullable=False),
    Column("agent_outcome", String(20)),
    Column("category", String(20), doc="failure category (analysis.facts), taken when recorded; NULL: older rows"),
    Column("output_files", Integer, doc="files the agent left (run facts); NULL: not known"),
    Column("tool_calls", Integer, doc="tool calls in the trajectory (run facts); NULL: not known"),
    Column("software", String(12), doc="software use (run facts); NULL: recorded without run facts"),
    Column("software_basis", Text, doc="the declared executables software use was judged against"),
    Column("failed_checks", Text, doc="names of the checks that failed, sorted, one per line; NULL: older rows"),
    Column("score", Float, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("error", Text),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("duration_sec", Float, nullable=False),
    Column("agent_sec", Float, nullable=False),
    Column("grade_sec", Float, nullable=False),
    Column("input_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("cached_tokens", Integer, nullable=False),
    Column("cache_write_tokens", Integer, nullable=False),
    Column("cost_usd", Float, doc="US dollars; NULL: unknown (a model call could not be priced)"),
    Column("model_sec", Float, nullable=False),
    Column("turns", Integer, nullable=False),
    Column("run_dir", Text, nullable=False),
    Column("salt_hash", String(64), doc="hash of the salt in the instance's seed; NULL: public instance"),
    Column("task_released", Date, doc="the task's release date"),
    Column("knowledge_cutoff", Date, doc="the agent's model's training-data cutoff; NULL: not stated"),
    UniqueConstraint("experiment_id", "agent", "instance", "epoch", name="uq_trial_key"),
    Index("ix_trials_experiment_status", "experiment_id", "status"),
    Index("ix_trials_experiment_agent", "experiment_id", "agent"),
    Index("ix_trials_agent_status", "agent", "status"),
    # each covers one of the report's grouped queries (analysis.cells): a scan of the index in the order of
    # the grouping, no table lookups, no sort
    Index("ix_trials_outcomes", "agent", "instance", "status", "experiment_id", "passed", "score", "cost_usd",
          "duration_sec", "agent_sec"),
    Index("ix_trials_places", "instance", "task_id", "tier", "cluster", "subdomain", "experiment_id"),
    Index("ix_trials_task_tallies", "task_id", "category", "software", "software_basis", "experiment_id", "passed",
          "instance"),
    Index("ix_trials_agent_tallies", "agent", "category", "software", "task_id", "software_basis", "experiment_id",
          "passed", "instance"),
    Index("ix_trials_check_failures", "status", "task_id", "failed_checks", "experiment_id", "instance"),
    Index("ix_trials_salt", "salt_hash", "experiment_id"),
    # the viewer: the trial list sorted by score, and the score grid of one experiment
    Index("ix_trials_score", "score"),
    Index("ix_trials_grid", "experiment_id", "agent", "instance", "status", "score", "passed"),
)
# indexes of older versions that the ones above replace
_OBSOLETE_INDEXES = ("ix_trials_task", "ix_trials_cells", "ix_trials_failed_checks")

checks = Table(
    "checks", metadata,
    Column("id", Integer, primary_key=True),
    Column("trial_id", Integer, ForeignKey("trials.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("weight", Float, nullable=False),
    Column("score", Float, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("gate", Boolean, nullable=False),
    Column("expected", JSON),
    Column("found", JSON),
    Column("reason", Text, nullable=False),
)

manifests = Table(
    "manifests", metadata,
    Column("id", Integer, primary_key=True),
    Column("experiment_id", Integer, ForeignKey("experiments.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("written_at", DateTime(timezone=True), nullable=False),
    Column("manifest", JSON, nullable=False),
)


def create_tables(engine: Engine, schema: MetaData) -> None:
    """Create the tables of ``schema``, the nullable columns a table made by an older version lacks, and the
    indexes that do not exist yet.

    Safe when several processes do it at once on the same fresh database (two ``ale run`` started
    together): a CREATE that loses the race to another process is retried, each retry checking again what
    exists, so every process ends with the whole schema. Other database errors are raised at once.
    """
    for attempt in range(_SCHEMA_ATTEMPTS):
        try:
            schema.create_all(engine)
            _add_missing_columns(engine, schema)
            for table in schema.sorted_tables:
                for index in table.indexes:
                    index.create(engine, checkfirst=True)
            with engine.begin() as conn:
                for name in _OBSOLETE_INDEXES:
                    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
            return
        except (OperationalError, ProgrammingError, IntegrityError) as exc:
            if attempt == _SCHEMA_ATTEMPTS - 1 or not any(s in str(exc.orig).lower() for s in _LOST_RACE):
                raise
            time.sleep(0.05 * (attempt + 1))


def default_db_url(results_dir: Path) -> str:
    """The embedded default: a SQLite file in the results directory."""
    return f"sqlite:///{(results_dir / 'ale.db').resolve()}"


class ResultsStore:
    """The results database. Create with a SQLAlchemy URL; tables are created on first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = create_engine(url, future=True)
        except Exception as exc:
            raise ConfigError(None, "--db", f"cannot use database URL {url!r}: {exc}",
                              "give a SQLAlchemy URL such as sqlite:///ale.db or postgresql+psycopg://...") from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        create_tables(self.engine, metadata)
        _allow_nulls(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    def ensure_experiment(self, name: str, config: dict[str, Any]) -> int:
        """The id of experiment ``name``, creating it with ``config`` if new (another process creating it at the
        same moment is fine: its row is used)."""
        try:
            with self.transaction() as conn:
                row = conn.execute(select(experiments.c.id).where(experiments.c.name == name)).first()
                if row:
                    return int(row.id)
                return int(conn.execute(insert(experiments).values(
                    name=name, created_at=dt.datetime.now(dt.UTC), config=config)).inserted_primary_key[0])
        except IntegrityError:
            created = self.experiment_id(name)
            if created is None:
                raise
            return created

    def add_manifest(self, experiment_id: int, manifest: dict[str, Any]) -> None:
        """Keep the reproducibility manifest of one start of the experiment."""
        with self.transaction() as conn:
            conn.execute(insert(manifests).values(experiment_id=experiment_id, written_at=dt.datetime.now(dt.UTC),
                                                  manifest=manifest))

    def manifests(self, experiment_id: int) -> list[dict[str, Any]]:
        """The experiment's manifests, oldest first."""
        with self.engine.connect() as conn:
            return [r.manifest for r in conn.execute(select(manifests.c.manifest).where(
                manifests.c.experiment_id == experiment_id).order_by(manifests.c.id))]

    def experiment_id(self, name: str) -> int | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(experiments.c.id).where(experiments.c.name == name)).first()
            return int(row.id) if row else None

    def experiment_names(self) -> list[str]:
        with self.engine.connect() as conn:
            return [r.name for r in conn.execute(select(experiments.c.name).order_by(experiments.c.id))]

    def finished_keys(self, experiment_id: int) -> set[TrialKey]:
        """Keys of the trials already recorded as passed or failed: a resumed run skips them."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(trials.c.agent, trials.c.instance, trials.c.epoch).where(
                    trials.c.experiment_id == experiment_id, trials.c.status.in_(FINAL_STATUSES))
            )
            return {TrialKey(agent=r.agent, instance=r.instance, epoch=r.epoch) for r in rows}

    def attempts_so_far(self, experiment_id: int, key: TrialKey) -> int:
        with self.engine.connect() as conn:
            row = conn.execute(select(trials.c.attempts).where(*_key_clause(experiment_id, key))).first()
            return int(row.attempts) if row else 0

    def record(self, experiment_id: int, result: TrialResult, *, regrade: bool = False) -> bool:
        """Record a trial in one transaction. Returns False (and writes nothing) when it is already final,
        unless ``regrade`` (a new grade of the same stored output) asks to replace it."""
        with self.transaction() as conn:
            existing = conn.execute(select(trials.c.id, trials.c.status).where(*_key_clause(experiment_id, result.key))).first()
            if existing is not None:
                if existing.status in FINAL_STATUSES and not regrade:
                    return False
                conn.execute(delete(checks).where(checks.c.trial_id == existing.id))
                conn.execute(delete(trials).where(trials.c.id == existing.id))
            trial_id = conn.execute(insert(trials).values(**_trial_row(experiment_id, result))).inserted_primary_key[0]
            if result.checks:
                conn.execute(insert(checks), [
                    {"trial_id": trial_id, **c.model_dump(include={"name", "weight", "score", "passed", "gate", "reason"}),
                     "expected": _jsonable(c.expected), "found": _jsonable(c.found)}
                    for c in result.checks
                ])
        return True

    def trial_rows(self, experiment_ids: list[int] | None = None) -> list[dict[str, Any]]:
        """Every trial row (as dicts), optionally limited to some experiments."""
        query = select(trials, experiments.c.name.label("experiment")).join(experiments)
        if experiment_ids is not None:
            query = query.where(trials.c.experiment_id.in_(experiment_ids))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query.order_by(trials.c.id))]

    def salt_hashes(self, experiment_ids: list[int] | None = None) -> set[str | None]:
        """The distinct salt hashes of the trials (None for public instances), optionally of some experiments."""
        return {salt for (salt,) in self._distinct(experiment_ids, trials.c.salt_hash)}

    def release_dates(self, experiment_ids: list[int] | None = None) -> dict[str, dt.date]:
        """Task id -> its release date, for the tasks of the trials that recorded one."""
        return {task: released for task, released in self._distinct(experiment_ids, trials.c.task_id,
                                                                     trials.c.task_released) if released}

    def knowledge_cutoffs(self, experiment_ids: list[int] | None = None) -> dict[str, dt.date]:
        """Agent -> its model's knowledge cutoff, for the agents whose trials recorded one."""
        return {agent: cutoff for agent, cutoff in self._distinct(experiment_ids, trials.c.agent,
                                                                  trials.c.knowledge_cutoff) if cutoff}

    def _distinct(self, experiment_ids: list[int] | None, *columns: Any) -> list[tuple[Any, ...]]:
        query = select(*columns).distinct()
        if experiment_ids is not None:
            query = query.where(trials.c.experiment_id.in_(experiment_ids))
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(query)]

    def check_rows(self, trial_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(checks).where(checks.c.trial_id == trial_id).order_by(checks.c.id))]


def _key_clause(experiment_id: int, key: TrialKey) -> tuple[Any, ...]:
    return (trials.c.experiment_id == experiment_id, trials.c.agent == key.agent,
            trials.c.instance == key.instance, trials.c.epoch == key.epoch)


def _trial_row(experiment_id: int, r: TrialResult) -> dict[str, Any]:
    return {
        "experiment_id": experiment_id, "agent": r.key.agent, "instance": r.key.instance, "epoch": r.key.epoch,
        "task_id": r.task_id, "task_version": r.task_version, "variant": r.variant, "tier": r.tier,
        "cluster": r.cluster, "subdomain": r.subdomain, "status": r.status, "agent_outcome": r.agent_outcome,
        "category": failure_category(r.status, r.agent_outcome, r.score, any(c.gate and not c.passed for c in r.checks),
                                     r.facts.output_files if r.facts else None),
        "failed_checks": "\n".join(sorted({c.name for c in r.checks if not c.passed})),
        **({"output_files": r.facts.output_files, "tool_calls": r.facts.tool_calls, "software": r.facts.software,
            "software_basis": r.facts.executables} if r.facts else {}),
        "score": r.score, "passed": r.passed, "attempts": r.attempts, "error": r.error,
        "started_at": r.started_at, "finished_at": r.finished_at, "duration_sec": r.duration_seconds,
        "agent_sec": r.agent_seconds, "grade_sec": r.grade_seconds,
        "input_tokens": r.usage.input_tokens, "output_tokens": r.usage.output_tokens,
        "cached_tokens": r.usage.cached_tokens, "cache_write_tokens": r.usage.cache_write_tokens,
        "cost_usd": r.usage.cost_usd, "model_sec": r.usage.model_seconds, "turns": r.usage.turns,
        "run_dir": r.run_dir, "salt_hash": r.salt_hash, "task_released": r.task_released,
        "knowledge_cutoff": r.knowledge_cutoff,
    }


def _add_missing_columns(engine: Engine, schema: MetaData) -> None:
    """Bring a database made by an older version up to date: add the nullable columns it lacks."""
    inspector = inspect(engine)
    for table in schema.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                if not column.nullable:
                    raise ConfigError(None, "--db", f"the results database lacks column {table.name}.{column.name}",
                                      "use a new database file, or migrate this one")
                kind = column.type.compile(dialect=engine.dialect)
                try:
                    with engine.begin() as connection:
                        connection.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
                except Exception:
                    if column.name not in {c["name"] for c in inspect(engine).get_columns(table.name)}:
                        raise  # else another process added it first


def _allow_nulls(engine: Engine) -> None:
    """Bring a database made by an older version up to date: drop NOT NULL from the columns that may now be
    NULL (``trials.cost_usd``: an unknown cost). SQLite cannot alter a column, so the table is rebuilt in one
    transaction with foreign keys off (create the new table, copy the rows, drop the old one, rename, recreate
    the indexes), as SQLite documents for schema changes."""
    inspector = inspect(engine)
    for table in metadata.sorted_tables:
        strict = [c["name"] for c in inspector.get_columns(table.name)
                  if not c["nullable"] and c["name"] in table.c and table.c[c["name"]].nullable]
        if not strict:
            continue
        if engine.dialect.name != "sqlite":
            with engine.begin() as connection:
                for name in strict:
                    connection.execute(text(f'ALTER TABLE {table.name} ALTER COLUMN "{name}" DROP NOT NULL'))
            continue
        with engine.connect() as connection:
            raw = connection.connection.driver_connection
            previous, raw.isolation_level = raw.isolation_level, None
            try:
                _rebuild_sqlite_table(raw, table, strict)
            finally:
                raw.isolation_level = previous
        create_tables(engine, metadata)  # the indexes of the rebuilt table


def _rebuild_sqlite_table(raw: Any, table: Table, nullable: list[str]) -> None:
    raw.execute("PRAGMA foreign_keys=OFF")
    raw.execute("BEGIN IMMEDIATE")
    try:
        (sql,) = raw.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table.name,)).fetchone()
        still_strict = {row[1] for row in raw.execute(f"PRAGMA table_info({table.name})") if row[3]}
        if not still_strict & set(nullable):
            raw.execute("ROLLBACK")
            return  # another process migrated it first
        for name in nullable:
            sql = re.sub(rf'(\(|,)(\s*"?{name}"?\s+[A-Z]+(?:\([^)]*\))?)\s+NOT NULL', r"\1\2", sql)
        staging = f"{table.name}_migrating"
        raw.execute(re.sub(rf'^CREATE TABLE "?{table.name}"?', f'CREATE TABLE "{staging}"', sql))
        columns = ", ".join(f'"{row[1]}"' for row in raw.execute(f"PRAGMA table_info({table.name})"))
        raw.execute(f'INSERT INTO "{staging}" ({columns}) SELECT {columns} FROM "{table.name}"')
        raw.execute(f'DROP TABLE "{table.name}"')
        raw.execute(f'ALTER TABLE "{staging}" RENAME TO "{table.name}"')
        if raw.execute("PRAGMA foreign_key_check").fetchall():
            raise ConfigError(None, "--db", f"rebuilding table {table.name} of the results database broke a foreign key",
                              "restore the database from a copy and report this")
        raw.execute("COMMIT")
    except BaseException:
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        raise
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")  # first: switching to WAL takes a lock another process may hold
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
