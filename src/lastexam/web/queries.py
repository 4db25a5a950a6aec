"""The viewer's database reads: experiments, a filtered and sorted page of trials with its total count,
the agent x instance score grid, and one trial with its checks.

Trial pages in id order are keyset-paginated on ``trials.id`` (``after`` / ``before`` an id), so that
page N of a million trials costs the same as page 1; any other order, and jumps, use numbered pages
(LIMIT/OFFSET). Every list also states how many trials match its filters (one COUNT over the same
filters, which the trials table's indexes on experiment, agent, status and task serve).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, get_args

from sqlalchemy import and_, asc, case, desc, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from lastexam.contracts.facts import FailureCategory
from lastexam.store.db import checks, experiments, trials

PAGE_SIZE = 50
GRID_INSTANCE_LIMIT = 200
LIST_COLUMNS = ("id", "experiment_id", "agent", "instance", "epoch", "task_id", "tier", "cluster", "status",
                "agent_outcome", "score", "passed", "duration_sec", "cost_usd", "input_tokens", "output_tokens",
                "attempts", "run_dir")
CATEGORIES: tuple[str, ...] = get_args(FailureCategory)
SORTS: dict[str, ColumnElement[Any]] = {
    "id": trials.c.id, "score": trials.c.score, "cost": trials.c.cost_usd,
    "tokens": trials.c.input_tokens + trials.c.output_tokens, "duration": trials.c.duration_sec,
    "agent": trials.c.agent, "task": trials.c.task_id,
}


@dataclass(frozen=True)
class TrialFilter:
    """Filters on trials; empty strings and None mean "any". ``task`` matches task ids by prefix
    (``finance/`` selects a cluster's tasks); ``score_min`` / ``score_max`` bound the score inclusively."""

    experiment: int | None = None
    agent: str | None = None
    task: str | None = None
    instance: str | None = None
    tier: str | None = None
    cluster: str | None = None
    status: str | None = None
    category: str | None = None
    score_min: float | None = None
    score_max: float | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        """The WHERE clauses of the filter (over trials)."""
        equal = {"experiment": trials.c.experiment_id, "agent": trials.c.agent, "instance": trials.c.instance,
                 "tier": trials.c.tier, "cluster": trials.c.cluster, "status": trials.c.status}
        out: list[ColumnElement[bool]] = [equal[name] == getattr(self, name) for name in equal
                                          if getattr(self, name) not in (None, "")]
        if self.task:
            escaped = self.task.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            # the range lets the task_id index narrow the scan; LIKE keeps the match an exact prefix
            out += [trials.c.task_id >= self.task, trials.c.task_id < self.task + "\U0010ffff",
                    trials.c.task_id.like(escaped + "%", escape="\\")]
        if self.category:
            out.append(trials.c.category == self.category)
        # "+ 0": a score range is seldom narrow, and through the score index (there for sorting) SQLite
        # would look up most rows one by one instead of scanning with the other filters
        if self.score_min is not None:
            out.append(trials.c.score + 0 >= self.score_min)
        if self.score_max is not None:
            out.append(trials.c.score + 0 <= self.score_max)
        return out

    def params(self) -> dict[str, str]:
        """The filter as query parameters (for links that keep it)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: (f"{v:g}" if isinstance(v, float) else str(v)) for k, v in values.items() if v not in (None, "")}


@dataclass(frozen=True)
class TrialPage:
    """One page of trial rows (each with its failure ``category``), the number of trials matching the
    filter, and whether pages come before and after it."""

    rows: list[dict[str, Any]]
    total: int
    has_next: bool
    has_previous: bool


def experiment_list(engine: Engine) -> list[dict[str, Any]]:
    """Every experiment with its trial counts by status, newest first."""
    with engine.connect() as conn:
        counts: dict[int, dict[str, int]] = {}
        for experiment_id, status, n in conn.execute(
                select(trials.c.experiment_id, trials.c.status, func.count()).group_by(trials.c.experiment_id,
                                                                                         trials.c.status)):
            counts.setdefault(int(experiment_id), {})[status] = int(n)
        rows = conn.execute(select(experiments.c.id, experiments.c.name, experiments.c.created_at)
                            .order_by(desc(experiments.c.id))).all()
    return [{"id": r.id, "name": r.name, "created_at": r.created_at, "statuses": counts.get(r.id, {}),
             "trials": sum(counts.get(r.id, {}).values())} for r in rows]


def distinct_values(engine: Engine, column: str) -> list[str]:
    """The distinct values of a trials column (agent, tier, cluster, status), sorted."""
    with engine.connect() as conn:
        return sorted(str(v) for (v,) in conn.execute(select(trials.c[column]).distinct()))


def _joined() -> Any:
    return trials.join(experiments, experiments.c.id == trials.c.experiment_id)


def trial_page(engine: Engine, where: TrialFilter, *, sort: str = "id", descending: bool = False,
               after: int | None = None, before: int | None = None, page: int | None = None,
               size: int = PAGE_SIZE) -> TrialPage:
    """One page of the trials matching ``where`` in ``sort`` order (a key of ``SORTS``; ties by id), with
    the total count. In id order: after an id, before an id, or a numbered page (1-based); in any other
    order, a numbered page (``after`` and ``before`` are ignored)."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; one of {', '.join(SORTS)}")
    direction = desc if descending else asc
    base = (select(*(trials.c[c] for c in LIST_COLUMNS), experiments.c.name.label("experiment"),
                   trials.c.category)
            .select_from(_joined()).where(*where.clauses()))
    keyset = sort == "id" and not descending
    if keyset and before is not None:
        query = base.where(trials.c.id < before).order_by(desc(trials.c.id)).limit(size + 1)
    else:
        query = base.order_by(direction(SORTS[sort]), direction(trials.c.id)).limit(size + 1)
        if keyset and after is not None:
            query = query.where(trials.c.id > after)
        elif page and page > 1:
            query = query.offset((page - 1) * size)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        total = int(conn.execute(select(func.count()).select_from(trials).where(*where.clauses())).scalar_one())
    more = len(rows) > size
    rows = rows[:size]
    if keyset and before is not None:
        rows.reverse()
        return TrialPage(rows=rows, total=total, has_next=True, has_previous=more)
    previous = (keyset and after is not None) or bool(page and page > 1)
    return TrialPage(rows=rows, total=total, has_next=more, has_previous=previous)


@dataclass(frozen=True)
class ScoreGrid:
    """Mean score and full passes per (agent, instance); ``trial`` is the cell's trial id when it has one
    trial (else None: the cell links to the list of its trials). ``instances_total`` counts every instance
    of the selection, of which the first ``GRID_INSTANCE_LIMIT`` (by name) are shown."""

    agents: list[str]
    instances: list[str]
    cells: dict[tuple[str, str], dict[str, Any]]
    instances_total: int


def score_grid(engine: Engine, where: TrialFilter, limit: int = GRID_INSTANCE_LIMIT) -> ScoreGrid:
    """The agent x instance grid of the graded trials matching ``where`` (one grouped query)."""
    graded = and_(*where.clauses(), trials.c.status.in_(("passed", "failed")))
    with engine.connect() as conn:
        rows = conn.execute(
            select(trials.c.agent, trials.c.instance, func.avg(trials.c.score), func.count(),
                   func.sum(case((trials.c.passed, 1), else_=0)), func.min(trials.c.id))
            .select_from(trials).where(graded).group_by(trials.c.agent, trials.c.instance)).all()
    instances = sorted({instance for _, instance, *_ in rows})
    shown = set(instances[:limit])
    cells = {(agent, instance): {"score": float(score), "trials": int(n), "passes": int(passes),
                                 "trial": int(first) if n == 1 else None}
             for agent, instance, score, n, passes, first in rows if instance in shown}
    return ScoreGrid(agents=sorted({a for a, _ in cells}), instances=instances[:limit], cells=cells,
                     instances_total=len(instances))


def trial(engine: Engine, trial_id: int) -> dict[str, Any] | None:
    """One trial row (with its experiment's name) and its checks, or None."""
    with engine.connect() as conn:
        row = conn.execute(select(trials, experiments.c.name.label("experiment")).join(
            experiments, experiments.c.id == trials.c.experiment_id).where(trials.c.id == trial_id)).first()
        if row is None:
            return None
        found = dict(row._mapping)
        found["checks"] = [dict(c._mapping) for c in conn.execute(
            select(checks).where(checks.c.trial_id == trial_id).order_by(checks.c.id))]
    return found
