"""Trials as the statistics see them: sums per (agent, instance) cell, and the agent x instance matrix.

A *cells* frame has one row per (agent, instance, outcome) with the columns ``cells.CELL_COLUMNS``;
it comes from the results database (``cells.cells``) or, for a handful of rows in memory, from
``cells_from_rows``. ``InstanceMatrix`` folds the graded cells
into agents x instances arrays: the unit the bootstrap resamples is the instance, and the epochs
of an instance stay together inside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lastexam.analysis.cells import CELL_COLUMNS, NOT_GRADED
from lastexam.errors import LastExamError
from lastexam.store.db import ResultsStore


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


def cells_from_rows(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Cells from trial rows as ``ResultsStore.trial_rows`` returns them."""
    outcomes = {"cancelled": "cancelled", "infra_error": "infrastructure"}
    frame = pd.DataFrame([{
        "agent": r["agent"], "instance": r["instance"], "task_id": r["task_id"], "tier": r["tier"],
        "cluster": r["cluster"], "subdomain": r["subdomain"], "outcome": outcomes.get(r["status"], "graded"),
        "trials": 1, "passes": int(bool(r["passed"])), "score_sum": float(r["score"]), "cost_sum": float(r["cost_usd"] or 0.0),
        "cost_unknown": int(r["cost_usd"] is None),
        "duration_sum": float(r["duration_sec"]), "agent_sec_sum": float(r["agent_sec"]),
    } for r in rows], columns=list(CELL_COLUMNS))
    keys = ["agent", "instance", "task_id", "tier", "cluster", "subdomain", "outcome"]
    return frame.groupby(keys, as_index=False).sum()[list(CELL_COLUMNS)]


@dataclass(frozen=True)
class InstanceMatrix:
    """Graded trials folded per (agent, instance), each an array agents x instances: ``epochs`` graded,
    ``passes`` full passes, and the sums ``score_sum``, ``cost_sum`` (over the trials whose cost is known),
    ``cost_unknown`` (trials whose cost is unknown), ``duration_sum``, ``agent_sec_sum``;
    ``instances`` has per instance: instance, task_id, tier,
    cluster, subdomain, ordered by cluster, subdomain and name (so that each cluster and each subdomain
    is a contiguous range of columns).
    """

    agents: list[str]
    instances: pd.DataFrame
    epochs: np.ndarray
    passes: np.ndarray
    score_sum: np.ndarray
    cost_sum: np.ndarray
    cost_unknown: np.ndarray
    duration_sum: np.ndarray
    agent_sec_sum: np.ndarray

    @classmethod
    def from_cells(cls, cells: pd.DataFrame, *, strict: bool = False) -> InstanceMatrix:
        """Fold the graded cells; with ``strict``, infrastructure errors count as graded trials that failed
        with score 0 (their cost and time are kept)."""
        agents = sorted(cells["agent"].unique().tolist())
        if strict:
            graded = cells[cells["outcome"] != "cancelled"]
            infra = (graded["outcome"] == "infrastructure").to_numpy()
            graded = graded.assign(passes=np.where(infra, 0, graded["passes"]),
                                   score_sum=np.where(infra, 0.0, graded["score_sum"]))
        else:
            graded = cells[~cells["outcome"].isin(NOT_GRADED)]
        instances = pd.DataFrame({c: graded[c].astype(str) for c in ("instance", "task_id", "tier", "cluster",
                                                                     "subdomain")})
        instances = (instances.drop_duplicates("instance").sort_values(["cluster", "subdomain", "instance"])
                     .reset_index(drop=True))
        shape = (len(agents), len(instances))

        def fold(part: pd.DataFrame, column: str) -> np.ndarray:
            a = pd.Categorical(part["agent"].astype(str), categories=agents).codes.astype(np.int64)
            i = pd.Categorical(part["instance"].astype(str), categories=instances["instance"]).codes.astype(np.int64)
            keep = i >= 0
            flat = a[keep] * len(instances) + i[keep]
            weights = part[column].to_numpy(np.float64)[keep]
            return np.bincount(flat, weights=weights, minlength=shape[0] * shape[1]).reshape(shape)

        return cls(
            agents=agents, instances=instances, epochs=fold(graded, "trials"), passes=fold(graded, "passes"),
            score_sum=fold(graded, "score_sum"), cost_sum=fold(graded, "cost_sum"),
            cost_unknown=fold(graded, "cost_unknown"),
            duration_sum=fold(graded, "duration_sum"), agent_sec_sum=fold(graded, "agent_sec_sum"),
        )

    @property
    def ran(self) -> np.ndarray:
        """Boolean agents x instances: the agent has at least one graded epoch of the instance."""
        return self.epochs > 0

    def per_instance(self, sums: np.ndarray) -> np.ndarray:
        """Per (agent, instance) mean over graded epochs; 0 where the agent did not run the instance."""
        return np.divide(sums, self.epochs, out=np.zeros(sums.shape), where=self.epochs > 0)
