"""One trial: materialize, stage, run, stop, collect, grade (outside the sandbox), and report.

Recording is the caller's job (one transaction in the results store), so that a trial is either
recorded whole or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import shutil
import time
import traceback
from pathlib import Path
from typing import Any

from lastexam import desktop
from lastexam.agents import AgentContext, resolve_agent
from lastexam.analysis.facts import run_facts, tool_call_texts
from lastexam.contracts.agent import AgentRun, Usage
from lastexam.contracts.facts import RunFacts
from lastexam.contracts.grade import Check, Grade
from lastexam.contracts.sandbox import Limits
from lastexam.contracts.trial import TrialRequest, TrialResult
from lastexam.errors import LastExamError
from lastexam.grading.blame import grade_output
from lastexam.runner.materialize import materialize
from lastexam.sandbox import BwrapSandbox, new_workspace
from lastexam.sandbox.bwrap import remove_tree
from lastexam.sandbox.collect import CollectLimits, collect_output
from lastexam.store.rundir import RunDir
from lastexam.tasks.instance import Instance, render_instruction
from lastexam.tasks.loader import Task, load_task

SANDBOX_LIMIT_CHECK = "agent stayed within the sandbox limits"
COLLECTION_LIMIT_CHECK = "output within the collection limits"
# Gates the harness adds to the grader's checks from what it saw of the run; a regrade keeps them.
HARNESS_CHECKS = (SANDBOX_LIMIT_CHECK, COLLECTION_LIMIT_CHECK)


def trial_request(instance: Instance, agent: str, epoch: int, run_dir: Path, **settings: Any) -> TrialRequest:
    """The plain-data request of ``agent`` on ``instance`` (its params, salted seed included, but never the
    salt); ``settings`` are the request's other fields (``max_wall``, ``agent_name``, ``artifacts``, ...)."""
    return TrialRequest(task=instance.task.ref, variant=instance.variant, params=instance.params,
                        salt_hash=instance.salt_hash, agent=agent, epoch=epoch, run_dir=run_dir, **settings)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def run_trial(request: TrialRequest) -> TrialResult:
    """Run one trial to the end and return its result; never raises for an agent's or grader's failure.

    Infrastructure failures become ``infra_error``; cancellation becomes ``cancelled`` (after every
    sandbox process is dead) and is re-raised.
    """
    rundir = RunDir.fresh(request.run_dir)
    fields = _identity(request)
    rundir.event("trial_started", agent=request.agent, instance=request.instance_id, epoch=request.epoch,
                 attempt=request.attempt)
    agent_run: AgentRun | None = None
    agent_seconds = 0.0
    executables: list[str] = []
    sandbox: BwrapSandbox | None = None
    workspace = new_workspace()
    try:
        task = _planned_task(request)
        spec = task.spec
        executables = spec.software.executables
        input_dir, reference_dir = rundir.private / "input", rundir.private / "reference"
        slot = request.instance_id.replace("/", "__") + (f".salted-{request.salt_hash}" if request.salt_hash else "")
        await asyncio.to_thread(materialize, task.path, request.params, input_dir, reference_dir,
                                log=rundir.logs / "generator.log", cache=request.instance_cache, slot_name=slot)
        os.chmod(rundir.private, 0o700)
        shutil.copytree(input_dir, workspace.input, dirs_exist_ok=True)
        instruction = render_instruction(task, request.params)
        workspace.instruction.write_text(instruction)
        rundir.write_text("logs/instruction.md", instruction)
        rundir.event("materialized")

        agent = resolve_agent(request.agent)
        agent.stage(workspace, task)
        res = spec.resources
        limits = Limits(memory_mb=res.memory_mb, processes=res.processes, file_size_mb=res.file_size_mb,
                        network=res.network, disk_mb=res.disk_mb, max_files=res.max_files, cpus=res.cpus)
        sandbox = BwrapSandbox(workspace, limits, display=spec.environment.display, tools=task.tools,
                               video=request.video)
        rundir.event("sandbox_started", containment=sandbox.containment, cgroup=sandbox.cgroup is not None)
        timeout = min(float(spec.agent_timeout_sec), request.max_wall)
        rundir.event("agent_started", timeout=timeout)
        begun = time.monotonic()
        agent_run = await agent.run(sandbox, AgentContext(instruction=instruction, timeout=timeout,
                                                          logs_dir=rundir.logs))
        agent_seconds = time.monotonic() - begun
        sandbox.ensure_dead()
        rundir.event("agent_stopped", outcome=agent_run.outcome, detail=agent_run.detail, seconds=agent_seconds,
                     sandbox_limit=agent_run.sandbox_limit)
        rundir.write_json("trajectory.json", agent_run.trajectory)
        if sandbox.video and sandbox.display:
            videos = desktop.keep_videos(workspace, rundir.logs)
            rundir.event("video_kept", files=[str(v.relative_to(rundir.path)) for v in videos])
        if agent_run.infra_error:
            raise LastExamError(f"agent infrastructure failed: {agent_run.infra_error}")

        collected = collect_output(workspace.output, rundir.output, CollectLimits(max_bytes=res.output_mb << 20))
        rundir.event("collected", files=collected.files, bytes=collected.bytes, refused=collected.refused,
                     refused_count=collected.refused_count)
        sandbox.close()
        sandbox = None

        harness: list[Check] = []
        if agent_run.sandbox_limit:
            harness.append(Check(name=SANDBOX_LIMIT_CHECK, score=0, passed=False, gate=True, weight=0,
                                 expected=f"memory <= {res.memory_mb} MB, disk <= {res.disk_mb} MB, "
                                          f"<= {res.max_files} files, output capture within its cap",
                                 reason=agent_run.detail))
        if collected.over_limit:
            harness.append(Check(name=COLLECTION_LIMIT_CHECK, score=0, passed=False, gate=True, weight=0,
                                 expected=f"<= {res.output_mb} MB, depth, entries and path limits",
                                 reason=collected.summary()))
        grade, grade_seconds = await asyncio.to_thread(grade_run, task, rundir, request.params, harness)
        result = TrialResult(
            **fields, status="passed" if grade.passed else "failed", agent_outcome=agent_run.outcome,
            score=grade.score, passed=grade.passed, checks=grade.checks, usage=agent_run.usage,
            finished_at=_now(), agent_seconds=agent_seconds, grade_seconds=grade_seconds,
        )
    except asyncio.CancelledError:
        if sandbox is not None:
            sandbox.close()
            sandbox = None
        rundir.event("cancelled")
        result = _unfinished(fields, "cancelled", agent_run, agent_seconds, "cancelled by the user")
        rundir.write_json("trial.json", result)
        raise
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}"
        rundir.write_text("logs/harness_error.log", traceback.format_exc())
        rundir.event("infra_error", error=detail)
        result = _unfinished(fields, "infra_error", agent_run, agent_seconds, detail)
    finally:
        if sandbox is not None:
            with contextlib.suppress(Exception):  # the survivors' check already failed the trial
                sandbox.close()
        remove_tree(workspace.root)
    result.facts = _facts(rundir, agent_run, executables)
    rundir.write_json("trial.json", result)
    rundir.event("trial_finished", status=result.status, score=result.score)
    return result


def grade_run(task: Task, rundir: RunDir, params: dict[str, Any], harness: list[Check]) -> tuple[Grade, float]:
    """Grade the run directory's collected output against its private input and reference (the grading stage of
    a trial, and all of a regrade): the grader's checks with the harness's own gates (``HARNESS_CHECKS``, from
    what the harness saw of the run) in front. Writes grade.json, the grader's log and a ``graded`` event.

    Returns the grade and the seconds grading took.

    Raises:
        GraderError: the grader failed independently of the output (an infrastructure error).
    """
    begun = time.monotonic()
    grade = grade_output(task.path, rundir.output, rundir.private / "input", rundir.private / "reference", params,
                         timeout=task.spec.grader_timeout_sec, log_path=rundir.logs / "grader.log")
    if harness:
        grade = grade.model_copy(update={"checks": [*harness, *grade.checks]})
    seconds = time.monotonic() - begun
    rundir.write_json("grade.json", grade)
    rundir.event("graded", score=grade.score, passed=grade.passed, seconds=seconds)
    return grade, seconds


def _facts(rundir: RunDir, agent_run: AgentRun | None, executables: list[str]) -> RunFacts:
    """The run's facts from the trajectory in memory and the collected output (what a report would read back).

    Facts describe a trial and never decide it: when they cannot be read, they are unknown.
    """
    try:
        texts = None if agent_run is None else tool_call_texts(agent_run.trajectory.model_dump(mode="json"))
        return run_facts(texts, rundir.output, executables)
    except Exception as exc:
        rundir.event("facts_unknown", error=f"{type(exc).__name__}: {exc}")
        return RunFacts(output_files=None, tool_calls=None, software="unknown")


def _unfinished(fields: dict, status: str, agent_run: AgentRun | None, agent_seconds: float, error: str) -> TrialResult:
    return TrialResult(
        **fields, status=status, agent_outcome=agent_run.outcome if agent_run else None,
        usage=agent_run.usage if agent_run else Usage(), error=error, finished_at=_now(),
        agent_seconds=agent_seconds,
    )


def harness_failure(request: TrialRequest, exc: BaseException) -> TrialResult:
    """The ``infra_error`` result of a trial whose harness (or worker) failed outside ``run_trial``'s own handling."""
    return TrialResult(**_identity(request), status="infra_error", finished_at=_now(),
                       error=f"harness failure: {type(exc).__name__}: {exc}")


def cancelled_result(request: TrialRequest) -> TrialResult:
    """The ``cancelled`` result of a trial stopped from outside (its own run directory may be out of reach)."""
    return TrialResult(**_identity(request), status="cancelled", finished_at=_now(), error="cancelled by the user")


def _planned_task(request: TrialRequest) -> Task:
    """The task package the request names, loaded without importing its code (generation and grading run it in
    their own processes).

    Raises:
        LastExamError: the package at that path is not the version the experiment planned.
    """
    task = load_task(request.task.path, import_grader=False)
    if task.spec.version != request.task.version:
        raise LastExamError(f"{request.task.path / 'task.toml'}: version {task.spec.version!r}, but the experiment "
                            f"planned {request.task.version!r}. Fix: give every node the same task packages")
    return task


def _identity(request: TrialRequest) -> dict:
    """What a result records of its trial whatever happened: the key, the task, the attempt, the start."""
    task = request.task
    return {
        "key": request.key, "task_id": task.id, "task_version": task.version, "variant": request.variant,
        "tier": task.tier, "cluster": task.cluster, "subdomain": task.subdomain, "attempts": request.attempt,
        "started_at": _now(), "run_dir": str(request.run_dir), "salt_hash": request.salt_hash,
        "task_released": task.released, "knowledge_cutoff": request.knowledge_cutoff,
    }
