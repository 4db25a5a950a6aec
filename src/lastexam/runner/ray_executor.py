"""Trials as Ray tasks: each trial runs, is graded and is published on whichever node Ray places it.

A trial asks Ray for its task's CPUs and memory (task.toml ``[resources]``) and one unit of the custom
resource ``sandbox``, so a node runs only as many sandboxes as it declares (``ray start --resources
'{"sandbox": N}'``). The worker runs it into a node-local directory, publishes the run directory to the
experiment's artifacts URL and returns the result as plain data; the driver's scheduler records it. A worker or
node lost mid-trial surfaces as a Ray error on the driver: an ``infra_error`` the scheduler retries (Ray's own
retries are off, so a trial never runs twice behind the scheduler's back).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lastexam.contracts.trial import TaskRef, TrialRequest, TrialResult
from lastexam.errors import ConfigError
from lastexam.runner.executor import run_published
from lastexam.runner.trial import cancelled_result, harness_failure
from lastexam.store.artifacts import recorded_location

SANDBOX_RESOURCE = "sandbox"
IN_FLIGHT = 10_000
"""Trials handed to Ray at once: all of them, in practice; Ray queues what the cluster cannot hold yet."""


def run_on_worker(request: TrialRequest) -> dict[str, Any]:
    """The body of one Ray task: run ``request`` on this node (instances generated once per node and
    experiment), publish its run directory, and return its result as JSON-ready data."""
    scratch = Path(tempfile.gettempdir()) / "ale-ray"
    scratch.mkdir(parents=True, exist_ok=True)
    planned_cache = str(request.instance_cache or request.run_dir.parent)
    cache = scratch / "instances" / hashlib.sha256(planned_cache.encode()).hexdigest()[:16]
    local = dataclasses.replace(request, instance_cache=cache)
    return asyncio.run(run_published(local, scratch)).model_dump(mode="json")


def _needs(task: TaskRef) -> dict[str, float]:
    return {"CPU": task.cpus, "memory": float(task.memory_mb << 20), SANDBOX_RESOURCE: 1.0}


class RayExecutor:
    """Runs each trial as a Ray task on the cluster at ``address`` (None: ``$RAY_ADDRESS``, a cluster already
    running on this machine, or a new one-machine cluster)."""

    def __init__(self, address: str | None = None) -> None:
        import ray

        self.slots = IN_FLIGHT
        self._ray = ray
        if not ray.is_initialized():
            ray.init(address=address, log_to_driver=False, configure_logging=False)
        self._remote = ray.remote(run_on_worker)

    def check(self, requests: Sequence[TrialRequest]) -> None:
        """Every task's sandbox fits on at least one live node.

        Raises:
            ConfigError: naming the task.toml whose ``[resources]`` no node can hold, and the fix.
        """
        nodes = [node["Resources"] for node in self._ray.nodes() if node["Alive"]]
        for task in {r.task for r in requests}:
            needs = _needs(task)
            if not any(all(offer.get(name, 0) >= amount for name, amount in needs.items()) for offer in nodes):
                offers = "; ".join(", ".join(f"{n} {o.get(n, 0):g}" for n in needs) for o in nodes) or "no live node"
                raise ConfigError(task.path / "task.toml", "resources",
                                  f"no Ray node can hold this task's sandbox (needs CPU {task.cpus:g}, memory "
                                  f"{task.memory_mb} MB, {SANDBOX_RESOURCE} 1; nodes offer: {offers})",
                                  f"start nodes with enough --num-cpus and --memory and --resources "
                                  f"'{{\"{SANDBOX_RESOURCE}\": N}}', or lower [resources] cpus or memory_mb")

    async def run(self, request: TrialRequest) -> TrialResult:
        ray = self._ray
        ref = self._remote.options(
            num_cpus=request.task.cpus, memory=request.task.memory_mb << 20, resources={SANDBOX_RESOURCE: 1},
            max_retries=0, retry_exceptions=False, name=f"trial {request.key.slug}",
        ).remote(request)
        try:
            return TrialResult.model_validate(await ref)
        except asyncio.CancelledError:
            ray.cancel(ref, force=True)
            raise
        except ray.exceptions.RayError as exc:  # the worker, its node or the task's own process died
            return self._published(request, harness_failure(request, exc))

    def cancelled(self, request: TrialRequest) -> TrialResult:
        return self._published(request, cancelled_result(request))

    @staticmethod
    def _published(request: TrialRequest, result: TrialResult) -> TrialResult:
        if request.artifacts is not None:
            result.run_dir = recorded_location(request.artifacts)
        return result
