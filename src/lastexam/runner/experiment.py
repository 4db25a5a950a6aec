"""Plan and run an experiment: one asyncio scheduler (what runs, retries, recording) above an executor
(where trials run: this machine, or a Ray cluster); resumable by name."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
from collections.abc import Callable
from dataclasses import dataclass, field

from lastexam.agents.registry import knowledge_cutoff, portable_spec, recorded_name
from lastexam.contracts.trial import TrialKey, TrialRequest, TrialResult
from lastexam.errors import ConfigError
from lastexam.runner.config import ExperimentConfig
from lastexam.runner.executor import Executor, LocalExecutor
from lastexam.runner.manifest import build_manifest
from lastexam.runner.trial import trial_request
from lastexam.store.artifacts import check_artifacts_url
from lastexam.store.db import ResultsStore
from lastexam.tasks.instance import Instance
from lastexam.tasks.loader import default_tasks_root, discover_tasks
from lastexam.tasks.select import select_instances


@dataclass
class ExperimentOutcome:
    """What one invocation did: the trials it recorded, those it skipped as already finished."""

    experiment: str
    recorded: list[TrialResult] = field(default_factory=list)
    skipped: int = 0
    cancelled: bool = False


def plan_instances(config: ExperimentConfig, problems: list[ConfigError] | None = None) -> list[Instance]:
    """The instances the config's selectors name (raises ConfigError for a bad selector).

    Task packages that fail to load are left out and appended to ``problems`` when it is given,
    else their ConfigError is raised.
    """
    tasks_root = config.tasks_dir or default_tasks_root()
    tasks = discover_tasks(tasks_root, problems=problems, import_graders=False)
    return [i.salted(config.salt) for i in select_instances(config.selectors, tasks, tasks_root.parent / "suites")]


def plan_requests(config: ExperimentConfig, instances: list[Instance]) -> list[TrialRequest]:
    """Every trial of the matrix, agents x instances x epochs, each with its run directory."""
    runs = config.resolved_runs_dir / config.name
    artifacts = None if config.artifacts is None else check_artifacts_url(config.artifacts) + "/" + config.name
    names = {agent: recorded_name(agent) for agent in config.agents}  # fails early on an agent that cannot run
    cutoffs = {agent: knowledge_cutoff(agent) for agent in config.agents}
    requests = []
    for epoch in range(1, config.epochs + 1):
        for instance in instances:
            for agent in config.agents:
                key = TrialKey(agent=names[agent], instance=instance.id, epoch=epoch)
                requests.append(trial_request(
                    instance, portable_spec(agent), epoch, runs / key.slug, agent_name=names[agent],
                    knowledge_cutoff=cutoffs[agent], max_wall=config.max_wall, instance_cache=runs / ".instances",
                    video=config.video,
                    artifacts=artifacts and f"{artifacts}/{key.slug}"))
    return requests


def require_same_salt(store: ResultsStore, experiment_id: int, name: str, salt_hash: str | None) -> None:
    """Refuse to add trials of one salt (or of the public instances) to an experiment recorded with another.

    Raises:
        ConfigError: the experiment's trials were made with another salt, or without one.
    """
    recorded = store.salt_hashes([experiment_id]) - {salt_hash}
    if recorded:
        def shown(h: str | None) -> str:
            return "public instances (no salt)" if h is None else f"salt hash {h}"
        raise ConfigError(None, "--salt", f"experiment {name!r} holds trials of {', '.join(sorted(map(shown, recorded)))}"
                                          f", not of {shown(salt_hash)}",
                          "give the salt it was run with (--salt or ALE_SALT), or choose another --name")


ProgressCallback = Callable[[str, TrialRequest, TrialResult | None], None]


async def run_experiment_async(
    config: ExperimentConfig, *, on_event: ProgressCallback | None = None, executor: Executor | None = None
) -> ExperimentOutcome:
    """Run every unfinished trial of the experiment on ``executor`` (default: ``LocalExecutor(config.jobs)``);
    record each one once, as it finishes.

    A trial ending in ``infra_error`` (a lost worker included) is retried up to ``config.retries`` more times.
    On cancellation the running trials are stopped, recorded as ``cancelled`` and the cancellation propagates;
    everything finished before stays recorded.

    Raises:
        ConfigError: a bad selector, another salt, or trials the executor could never run.
    """
    executor = executor or LocalExecutor(config.jobs)
    store = ResultsStore(config.resolved_db_url)
    experiment_id = store.ensure_experiment(config.name, config.model_dump(mode="json"))
    instances = plan_instances(config, problems=[])
    salt_hash = instances[0].salt_hash if instances else None
    require_same_salt(store, experiment_id, config.name, salt_hash)
    tasks = list({i.task.id: i.task for i in instances}.values())
    store.add_manifest(experiment_id, build_manifest(config, tasks, salt_hash=salt_hash).model_dump(mode="json"))
    done = store.finished_keys(experiment_id)
    requests = plan_requests(config, instances)
    todo = [r for r in requests if r.key not in done]
    executor.check(todo)
    outcome = ExperimentOutcome(experiment=config.name, skipped=len(requests) - len(todo))
    notify = on_event or (lambda *_: None)
    gate = asyncio.Semaphore(executor.slots)

    async def one(request: TrialRequest) -> None:
        async with gate:
            attempt = store.attempts_so_far(experiment_id, request.key)
            for _ in range(config.retries + 1):
                attempt += 1
                current = dataclasses.replace(request, attempt=attempt)
                notify("started", current, None)
                try:
                    result = await executor.run(current)
                except asyncio.CancelledError:
                    store.record(experiment_id, executor.cancelled(current))
                    raise
                store.record(experiment_id, result)
                notify("finished", current, result)
                if result.status != "infra_error":
                    break
            outcome.recorded.append(result)

    tasks = [asyncio.ensure_future(one(r)) for r in todo]
    try:
        await asyncio.gather(*tasks)
    except asyncio.CancelledError:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        outcome.cancelled = True
    return outcome


def run_experiment(config: ExperimentConfig, *, on_event: ProgressCallback | None = None,
                   executor: Executor | None = None) -> ExperimentOutcome:
    """Synchronous ``run_experiment_async``; Ctrl-C stops running trials cleanly and returns."""
    loop = asyncio.new_event_loop()
    main = loop.create_task(run_experiment_async(config, on_event=on_event, executor=executor))
    loop.add_signal_handler(signal.SIGINT, main.cancel)
    loop.add_signal_handler(signal.SIGTERM, main.cancel)
    try:
        return loop.run_until_complete(main)
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        loop.remove_signal_handler(signal.SIGTERM)
        loop.close()
