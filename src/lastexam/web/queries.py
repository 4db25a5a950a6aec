"""The viewer's database reads: experiments, a filtered page of trials, one trial with its checks.

Trial pages are keyset-paginated on ``trials.id`` (``after`` / ``before`` an id) so that page N
of a million trials costs the same as page 1; a numbered page (LIMIT/OFFSET) is offered for jumps.
Filters use the trials table's indexes (experiment, agent, status, task). There is no total count:
counting the matches of an arbitrary filter over a million rows would cost a full scan per page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import desc, func, select
from sqlalchemy.engine import Engine

from lastexam.store.db import checks, experiments, trials

PAGE_SIZE = 50
LIST_COLUMNS = ("id", "experiment_id", "agent", "instance", "epoch", "task_id", "tier", "cluster", "status",
                "agent_outcome", "score", "passed", "duration_sec", "cost_usd", "attempts")


@dataclass(frozen=True)
class TrialFilter:
    """Equality filters on trials; empty strings and None mean "any"."""

    experiment: int | None = None
    agent: str | None = None
    task: str | None = None
    tier: str | None = None
    cluster: str | None = None
    status: str | None = None

    def clauses(self) -> list[Any]:
        columns = {"experiment": trials.c.experiment_id, "agent": trials.c.agent, "task": trials.c.task_id,
                   "tier": trials.c.tier, "cluster": trials.c.cluster, "status": trials.c.status}
        return [columns[name] == value for name, value in self.__dict__.items() if value not in (None, "")]

    def params(self) -> dict[str, str]:
        """The filter as query parameters (for links that keep it)."""
        return {k: str(v) for k, v in self.__dict__.items() if v not in (None, "")}


@dataclass(frozen=True)
class TrialPage:
    """One page of trial rows; whether pages come before and after it."""

    rows: list[dict[str, Any]]
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


def trial_page(engine: Engine, where: TrialFilter, *, after: int | None = None, before: int | None = None,
               page: int | None = None, size: int = PAGE_SIZE) -> TrialPage:
    """One page of trials matching ``where``, in id order: after an id, before an id, or a numbered page (1-based)."""
    base = select(*(trials.c[c] for c in LIST_COLUMNS), experiments.c.name.label("experiment")).join(
        experiments, experiments.c.id == trials.c.experiment_id).where(*where.clauses())
    if before is not None:
        query = base.where(trials.c.id < before).order_by(desc(trials.c.id)).limit(size + 1)
    else:
        query = base.order_by(trials.c.id).limit(size + 1)
        if after is not None:
            query = query.where(trials.c.id > after)
        elif page and page > 1:
            query = query.offset((page - 1) * size)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    more = len(rows) > size
    rows = rows[:size]
    if before is not None:
        rows.reverse()
        return TrialPage(rows=rows, has_next=True, has_previous=more)
    return TrialPage(rows=rows, has_next=more, has_previous=after is not None or bool(page and page > 1))


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
