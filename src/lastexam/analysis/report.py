"""The full report over one or more experiments: what ``ale report`` prints, exports and renders.

``build_report(store, options)`` only reads the results database (grouped queries: see ``cells``) and
returns a ``Report``: the leaderboard with bootstrap intervals (overall, by tier, cluster, subdomain; pass@k), cost and time with the Pareto
frontier, paired comparisons, the harness/model variance decomposition, the failure breakdown,
the checks that fail most, and software use. Every per-agent table shows the agent's infrastructure
errors left after retries (``infra``, see ``infra``); ``ReportOptions.strict`` counts them as failed trials.
``ReportOptions.fresh`` adds the split by release date against knowledge cutoff (see ``freshness``).
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, Field, model_validator

from lastexam.analysis import cells as grouped
from lastexam.analysis.compare import Comparison, all_pairs, compare
from lastexam.analysis.dataset import resolve_experiments
from lastexam.analysis.efficiency import CostRow, frontier_note
from lastexam.analysis.efficiency import cost_rows as build_cost_rows
from lastexam.analysis.failures import (
    CheckFailure,
    FailureRow,
    SoftwareRow,
    check_failures,
    failure_rows,
    software_rows,
)
from lastexam.analysis.freshness import Freshness, freshness
from lastexam.analysis.leaderboard import Leaderboard, leaderboard_from_cells, pass_rate_samples
from lastexam.analysis.stats import DEFAULT_RESAMPLES, DEFAULT_SEED
from lastexam.analysis.variance import VarianceDecomposition, decompose
from lastexam.errors import LastExamError
from lastexam.store.db import ResultsStore
from lastexam.tasks.loader import default_tasks_root, discover_tasks


class ReportOptions(BaseModel):
    """What to report on and how. ``compare`` names two agents (A, B); ``pairs`` compares every pair."""

    experiments: list[str] | None = None
    resamples: int = Field(default=DEFAULT_RESAMPLES, ge=100)
    seed: int = DEFAULT_SEED
    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    compare: list[str] = Field(default_factory=list)
    pairs: bool = False
    tasks_dir: Path | None = None
    strict: bool = Field(False, description="count infrastructure errors as failed trials (score 0)")
    fresh: bool = Field(False, description="split the leaderboard by task release against each model's knowledge "
                                           "cutoff and estimate the gap (a contamination signal)")
    common_instances: bool = Field(False, description="keep only the instances every agent has a graded trial on "
                                                      "(for experiments pooled with different instance sets)")

    @model_validator(mode="after")
    def _two_to_compare(self) -> ReportOptions:
        if self.compare and len(self.compare) != 2:
            raise ValueError("--compare takes exactly two agents: --compare A --compare B")
        return self


class Report(Leaderboard):
    """Everything ``ale report`` shows; ``leaderboard``, ``by_tier`` and ``by_cluster`` keep the original contract."""

    experiments: list[str]
    database: str
    generated_at: dt.datetime
    instances: int
    inspected_trials: int = Field(description="trials whose run directory this report read (recorded without run "
                                              "facts, or judged against other declared executables)")
    efficiency: list[CostRow]
    pareto: list[str]
    pareto_note: str = Field("", description="agents left off the frontier (unknown cost, not a model agent) and why")
    comparisons: list[Comparison]
    variance: VarianceDecomposition | None
    failures: list[FailureRow]
    failures_by_task: list[FailureRow]
    failing_checks: list[CheckFailure]
    software: list[SoftwareRow]
    software_by_task: list[SoftwareRow]
    instances_seen: str = Field("", description="'public instances', 'salted instances: hash H' or a mix of both")
    freshness: Freshness | None = Field(None, description="with ``fresh``: tasks released after each agent's "
                                                          "knowledge cutoff against those released before it")
    instances_dropped: int = Field(0, description="with ``common_instances``: instances left out because some agent "
                                                  "has no graded trial on them")


def salting_line(salt_hashes: set[str | None]) -> str:
    """One line saying whose instances the trials ran on: the public ones, or ones salted with a secret."""
    salted = sorted(h for h in salt_hashes if h is not None)
    if not salted:
        return "public instances"
    line = f"salted instances: hash {', '.join(salted)}"
    return line + (" (and public instances)" if None in salt_hashes else "")


def declared_executables(tasks_dir: Path | None) -> dict[str, list[str]]:
    """Task id -> the executables its task.toml declares, for every task package that loads."""
    root = tasks_dir or default_tasks_root()
    if not root.is_dir():
        return {}
    return {t.id: list(t.spec.software.executables) for t in discover_tasks(root, problems=[], import_graders=False)}


def common_instances_only(cells: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The cells of the instances on which every agent of ``cells`` has a graded trial, and how many
    instances were left out."""
    agent, instance = cells["agent"].astype(str), cells["instance"].astype(str)
    graded = (cells["outcome"] == "graded").to_numpy()
    agents_per_instance = agent[graded].groupby(instance[graded]).nunique()
    common = set(agents_per_instance.index[agents_per_instance == agent.nunique()])
    keep = instance.isin(common)
    return cells[keep.to_numpy()].reset_index(drop=True), instance.nunique() - len(common)


def build_report(store: ResultsStore, options: ReportOptions | None = None) -> Report:
    """The report of the selected experiments.

    Raises:
        LastExamError: an unknown experiment, an empty selection, or agents to compare that are not
            in it; each message names the fix.
    """
    options = options or ReportOptions()
    ids = resolve_experiments(store, options.experiments)
    cells = grouped.cells(store.engine, ids)
    names = options.experiments or store.experiment_names()
    if cells.empty:
        where = f"experiments {', '.join(names)}" if options.experiments else store.url
        raise LastExamError(f"no trials in {where}. Fix: run `ale run` first, or point --db/--results-dir at "
                            "the results, or choose another --name")
    dropped = 0
    if options.common_instances:
        cells, dropped = common_instances_only(cells)
        if cells.empty:
            raise LastExamError(f"no instance has a graded trial of every agent in experiments {', '.join(names)}. "
                                "Fix: report on one experiment at a time")
    kept = cells["instance"].astype(str).unique().tolist() if options.common_instances else None
    with ThreadPoolExecutor(2) as pool:
        # the failure tables' queries run while the statistics are computed (SQLite leaves the GIL as it works)
        tallies_job = pool.submit(grouped.tallies, store.engine, declared_executables(options.tasks_dir), ids, kept)
        failed_job = pool.submit(grouped.failed_checks, store.engine, ids, kept)
        board, matrix, boot = leaderboard_from_cells(cells, resamples=options.resamples, seed=options.seed,
                                                     confidence=options.confidence, strict=options.strict)
        efficiency = build_cost_rows(matrix, board.leaderboard, boot, options.confidence)
        if options.pairs:
            pairs = all_pairs([r.agent for r in board.leaderboard if r.trials])
        else:
            pairs = [(options.compare[0], options.compare[1])] if options.compare else []
        comparisons = compare(matrix, boot, pairs, options.confidence, {r.agent: r.infra for r in board.leaderboard})
        tallies, failed = tallies_job.result(), failed_job.result()
    return Report(
        **board.model_dump(), experiments=names, database=store.url, generated_at=dt.datetime.now(dt.UTC),
        instances=len(matrix.instances), instances_dropped=dropped, inspected_trials=tallies.inspected, efficiency=efficiency,
        pareto=[r.agent for r in sorted(efficiency, key=lambda r: r.cost_per_trial or 0.0) if r.on_frontier],
        pareto_note=frontier_note(efficiency),
        comparisons=comparisons, variance=decompose(board.leaderboard, pass_rate_samples(matrix, boot), options.confidence),
        failures=failure_rows(tallies.by_agent, "agent"), failures_by_task=failure_rows(tallies.by_task, "task_id"),
        failing_checks=check_failures(failed, tallies.by_task),
        software=software_rows(tallies.by_agent, "agent"), software_by_task=software_rows(tallies.by_task, "task_id"),
        instances_seen=salting_line(store.salt_hashes(ids)),
        freshness=freshness(cells, store.release_dates(ids), store.knowledge_cutoffs(ids), resamples=options.resamples,
                            seed=options.seed, confidence=options.confidence, strict=options.strict)
        if options.fresh else None,
    )
