"""Trials as the analysis sees them: one pandas frame, and the agent x instance matrix built from it.

The frame holds one row per recorded trial with the columns below (a subset of the ``trials``
table); ``InstanceMatrix`` folds the graded trials into per (agent, instance) epoch counts, the
unit the bootstrap resamples.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from lastexam.errors import LastExamError
from lastexam.results import FINAL_STATUSES
from lastexam.store.db import ResultsStore, experiments, trials

TRIAL_COLUMNS = ("id", "experiment", "agent", "instance", "epoch", "task_id", "tier", "cluster", "subdomain",
                 "status", "agent_outcome", "score", "passed", "cost_usd", "duration_sec", "agent_sec")
GRADED = tuple(sorted(FINAL_STATUSES))


def resolve_experiments(store: ResultsStore, names: list[str] | None) -> list[int] | None:
    """The ids of the named experiments (None: every experiment).

    Raises:
        LastExamError: a name that is not in the database, naming the ones that are.
    """
    if not names:
        return None
    ids = []
    for name in names:
        experiment_id = store.experiment_id(name)
        if experiment_id is None:
            known = ", ".join(store.experiment_names()) or "none yet"
            raise LastExamError(f"no experiment named {name!r} in {store.url}. Fix: use one of: {known}")
        ids.append(experiment_id)
    return ids


def load_trials(store: ResultsStore, experiment_ids: list[int] | None = None) -> pd.DataFrame:
    """Every trial of the experiments (all when None) as a frame with ``TRIAL_COLUMNS``, ordered by id."""
    query = select(*(experiments.c.name.label("experiment") if c == "experiment" else trials.c[c]
                     for c in TRIAL_COLUMNS)).join(experiments, experiments.c.id == trials.c.experiment_id)
    if experiment_ids is not None:
        query = query.where(trials.c.experiment_id.in_(experiment_ids))
    with store.engine.connect() as conn:
        result = conn.execute(query.order_by(trials.c.id))
        frame = pd.DataFrame(result.fetchall(), columns=list(TRIAL_COLUMNS))
    return _typed(frame)


def frame_from_rows(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The same frame from trial rows as ``ResultsStore.trial_rows`` returns them."""
    frame = pd.DataFrame([{c: r.get(c) for c in TRIAL_COLUMNS} for r in rows], columns=list(TRIAL_COLUMNS))
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for column in ("score", "cost_usd", "duration_sec", "agent_sec"):
        frame[column] = frame[column].astype(np.float64)
    frame["passed"] = frame["passed"].astype(bool)
    frame["epoch"] = frame["epoch"].astype(np.int64)
    frame["id"] = frame["id"].astype(np.int64)
    frame["agent_outcome"] = frame["agent_outcome"].astype(object).where(frame["agent_outcome"].notna(), None)
    return frame


@dataclass(frozen=True)
class InstanceMatrix:
    """Graded trials folded per (agent, instance): ``epochs[a, i]`` graded epochs, ``passes`` full passes,
    ``score_sum``, ``cost_sum``, ``duration_sum``, ``agent_sec_sum`` (arrays agents x instances).

    ``instances`` carries, per instance, its task_id, tier, cluster and subdomain.
    """

    agents: list[str]
    instances: pd.DataFrame
    epochs: np.ndarray
    passes: np.ndarray
    score_sum: np.ndarray
    cost_sum: np.ndarray
    duration_sum: np.ndarray
    agent_sec_sum: np.ndarray

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> InstanceMatrix:
        graded = frame[frame["status"].isin(GRADED)]
        agents = sorted(frame["agent"].unique().tolist())
        instances = (graded.drop_duplicates("instance")[["instance", "task_id", "tier", "cluster", "subdomain"]]
                     .sort_values("instance").reset_index(drop=True))
        agent_code = pd.Categorical(graded["agent"], categories=agents).codes.astype(np.int64)
        instance_code = pd.Categorical(graded["instance"], categories=instances["instance"]).codes.astype(np.int64)
        cells = len(agents) * len(instances)
        flat = agent_code * len(instances) + instance_code
        shape = (len(agents), len(instances))

        def fold(weights: np.ndarray | None) -> np.ndarray:
            return np.bincount(flat, weights=weights, minlength=cells).astype(np.float64).reshape(shape)

        return cls(
            agents=agents, instances=instances, epochs=fold(None),
            passes=fold(graded["passed"].to_numpy(np.float64)), score_sum=fold(graded["score"].to_numpy()),
            cost_sum=fold(graded["cost_usd"].to_numpy()), duration_sum=fold(graded["duration_sec"].to_numpy()),
            agent_sec_sum=fold(graded["agent_sec"].to_numpy()),
        )

    @property
    def ran(self) -> np.ndarray:
        """Boolean agents x instances: the agent has at least one graded epoch of the instance."""
        return self.epochs > 0

    def per_instance(self, sums: np.ndarray) -> np.ndarray:
        """Per (agent, instance) mean over graded epochs; 0 where the agent did not run the instance."""
        return np.divide(sums, self.epochs, out=np.zeros_like(sums), where=self.epochs > 0)
