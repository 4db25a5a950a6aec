"""The executor seam: where trials run. The scheduler (``runner.experiment``) decides what runs, retries
infrastructure failures and records results; an executor only runs one trial request and hands back its
result as plain data.

``LocalExecutor`` runs trials in this process's event loop (N at once); ``runner.ray_executor.RayExecutor``
runs each one as a Ray task on a cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from lastexam.contracts.trial import TrialRequest, TrialResult
from lastexam.runner.trial import cancelled_result, harness_failure, run_trial
from lastexam.store.artifacts import publish_run_dir, recorded_location
from lastexam.store.rundir import RunDir


class Executor(Protocol):
    """Runs trial requests; never records, never retries."""

    slots: int
    """How many trials the scheduler hands it at once."""

    def check(self, requests: Sequence[TrialRequest]) -> None:
        """Refuse, before anything runs, requests it could never run (raises ConfigError naming the fix)."""
        ...

    async def run(self, request: TrialRequest) -> TrialResult:
        """Run one trial to its result; a failure of the harness, the worker or its machine is an
        ``infra_error`` result, never an exception. On cancellation, stop the trial and re-raise."""
        ...

    def cancelled(self, request: TrialRequest) -> TrialResult:
        """The result to record for ``request`` after its ``run`` was cancelled."""
        ...


async def run_published(request: TrialRequest, scratch: Path) -> TrialResult:
    """Run ``request`` and return its result; a failure of the harness is an ``infra_error`` result.

    When the request names ``artifacts``, the trial runs into a run directory under ``scratch`` that is then
    published there and removed; the result (and its trial.json) record the published place, and a failure to
    publish makes the result an ``infra_error`` (the run directory in storage would be incomplete).
    """
    if request.artifacts is None:
        return await _guarded(request)
    local = Path(tempfile.mkdtemp(prefix="trial-", dir=scratch))
    try:
        result = await _guarded(dataclasses.replace(request, run_dir=local / "run"))
        result.run_dir = recorded_location(request.artifacts)
        RunDir(local / "run").write_json("trial.json", result)
        try:
            await asyncio.to_thread(publish_run_dir, local / "run", request.artifacts)
        except Exception as exc:
            result = harness_failure(request, exc)
            result.run_dir = recorded_location(request.artifacts)
        return result
    finally:
        shutil.rmtree(local, ignore_errors=True)


async def _guarded(request: TrialRequest) -> TrialResult:
    try:
        return await run_trial(request)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # run_trial contains its failures; this is the last line of defence
        return harness_failure(request, exc)


class LocalExecutor:
    """Today's scheduler pool: ``jobs`` trials at once in this process's event loop."""

    def __init__(self, jobs: int) -> None:
        self.slots = jobs

    def check(self, requests: Sequence[TrialRequest]) -> None:
        """Every request can run here (the sandbox limits are checked when each trial starts)."""

    async def run(self, request: TrialRequest) -> TrialResult:
        return await run_published(request, Path(tempfile.gettempdir()))

    def cancelled(self, request: TrialRequest) -> TrialResult:
        """The ``cancelled`` result run_trial wrote to the trial's run directory, else one made here."""
        with contextlib.suppress(OSError, ValueError):
            return RunDir(request.run_dir).result()
        return cancelled_result(request)
