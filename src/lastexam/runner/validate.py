"""``ale tasks check``: prove a task package works before anyone is scored on it.

For every variant: the instruction renders; the oracle scores 1.0 with a full pass; nop scores
0; grading the oracle's output again gives the same grade; and, when the package ships a
``fabricate.py`` adversary (right file names and schema, made-up numbers), it does not fully pass.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from pydantic import BaseModel

from lastexam.grading.runner import run_grader
from lastexam.results import TrialResult
from lastexam.runner.trial import TrialRequest, run_trial
from lastexam.setup import missing_software
from lastexam.tasks.instance import Instance, instances_of
from lastexam.tasks.loader import Task

FABRICATOR = "fabricate.py"


class VariantVerdict(BaseModel):
    instance: str
    oracle_score: float | None = None
    nop_score: float | None = None
    fabricate_score: float | None = None
    deterministic: bool = False
    problems: list[str] = []


class TaskVerdict(BaseModel):
    task: str
    ok: bool
    variants: list[VariantVerdict]
    problems: list[str] = []
    kept_runs: str | None = None


def check_task(task: Task, *, jobs: int = 2) -> TaskVerdict:
    """Run the checks above on every variant, ``jobs`` trials at a time, in real sandboxes.

    Run directories are removed when the task passes and kept (path in ``kept_runs``) when not.
    """
    missing = missing_software([task])
    if missing:
        return TaskVerdict(task=task.id, ok=False, variants=[],
                           problems=[f"missing software: {', '.join(missing)}; run `ale setup --tasks {task.id}`"])
    scratch = Path(tempfile.mkdtemp(prefix="ale-check-"))
    verdicts = asyncio.run(_check_all(task, scratch, jobs))
    ok = all(not v.problems for v in verdicts)
    if ok:
        shutil.rmtree(scratch, ignore_errors=True)
    return TaskVerdict(task=task.id, ok=ok, variants=verdicts, kept_runs=None if ok else str(scratch))


async def _check_all(task: Task, scratch: Path, jobs: int) -> list[VariantVerdict]:
    gate = asyncio.Semaphore(jobs)
    agents = ["oracle", "nop"]
    if (task.path / FABRICATOR).is_file():
        agents.append(f"script:{task.path / FABRICATOR}")

    async def trial(instance: Instance, agent: str) -> TrialResult:
        async with gate:
            run_dir = scratch / instance.id.replace("/", "__") / agent.split(":")[0]
            return await run_trial(TrialRequest(instance=instance, agent=agent, epoch=1, run_dir=run_dir))

    instances = instances_of(task)
    results = await asyncio.gather(*(trial(i, a) for i in instances for a in agents))
    by_instance = [dict(zip(agents, results[k * len(agents):(k + 1) * len(agents)], strict=True))
                   for k in range(len(instances))]
    return [await asyncio.to_thread(_verdict, i, r, scratch) for i, r in zip(instances, by_instance, strict=True)]


def _verdict(instance: Instance, results: dict[str, TrialResult], scratch: Path) -> VariantVerdict:
    verdict = VariantVerdict(instance=instance.id)
    try:
        instance.render_instruction()
    except Exception as exc:
        verdict.problems.append(f"instruction.md does not render: {exc}")
    oracle, nop = results["oracle"], results["nop"]
    fabricate = next((r for agent, r in results.items() if agent.startswith("script:")), None)
    for name, result in results.items():
        if result.status == "infra_error":
            verdict.problems.append(f"{name}: infrastructure error: {result.error}")
    verdict.oracle_score, verdict.nop_score = oracle.score, nop.score
    if oracle.status != "infra_error" and not (oracle.passed and oracle.score == 1.0):
        failing = [f"{c.name} ({c.reason})" for c in oracle.checks if not c.passed]
        verdict.problems.append(f"oracle scored {oracle.score:.3f}, failing: {'; '.join(failing) or oracle.agent_outcome}")
    if nop.status != "infra_error" and nop.score != 0.0:
        verdict.problems.append(f"nop scored {nop.score:.3f}; it must score 0")
    if fabricate is not None and fabricate.status != "infra_error":
        verdict.fabricate_score = fabricate.score
        if fabricate.passed:
            verdict.problems.append("the fabricate.py adversary fully passed: the grader rewards made-up numbers")
    if oracle.status != "infra_error":
        run_dir = Path(oracle.run_dir)
        again = run_grader(instance.task.path, run_dir / "output", run_dir / "private" / "input",
                           run_dir / "private" / "reference", instance.params,
                           timeout=instance.task.spec.grader_timeout_sec)
        verdict.deterministic = [c.model_dump() for c in again.checks] == [c.model_dump() for c in oracle.checks]
        if not verdict.deterministic:
            verdict.problems.append("grading the same output twice gave different grades")
    return verdict
