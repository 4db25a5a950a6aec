"""``ale tasks check``: prove a task package works before anyone is scored on it."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from pydantic import BaseModel

from lastexam.grading.runner import run_grader
from lastexam.runner.trial import TrialRequest, run_trial
from lastexam.setup import missing_software
from lastexam.tasks.instance import instances_of
from lastexam.tasks.loader import Task


class VariantVerdict(BaseModel):
    instance: str
    oracle_score: float | None = None
    oracle_passed: bool = False
    nop_score: float | None = None
    deterministic: bool = False
    problems: list[str] = []


class TaskVerdict(BaseModel):
    task: str
    ok: bool
    variants: list[VariantVerdict]
    problems: list[str] = []
    kept_runs: str | None = None


def check_task(task: Task) -> TaskVerdict:
    """Render every variant, run the oracle and nop on each in real sandboxes, grade the oracle twice.

    ``ok`` means: software present, every instruction renders, oracle 1.0 and full pass, nop 0,
    and the same grade twice.
    """
    missing = missing_software([task])
    if missing:
        return TaskVerdict(task=task.id, ok=False, variants=[],
                           problems=[f"missing software: {', '.join(missing)}; run `ale setup --tasks {task.id}`"])
    scratch = Path(tempfile.mkdtemp(prefix="ale-check-"))
    verdicts = [asyncio.run(_check_variant(instance, scratch)) for instance in instances_of(task)]
    ok = all(not v.problems for v in verdicts)
    if ok:
        shutil.rmtree(scratch, ignore_errors=True)
    return TaskVerdict(task=task.id, ok=ok, variants=verdicts, kept_runs=None if ok else str(scratch))


async def _check_variant(instance, scratch: Path) -> VariantVerdict:  # type: ignore[no-untyped-def]
    verdict = VariantVerdict(instance=instance.id)
    try:
        instance.render_instruction()
    except Exception as exc:
        verdict.problems.append(f"instruction.md does not render: {exc}")
        return verdict
    base = scratch / instance.id.replace("/", "__")
    oracle = await run_trial(TrialRequest(instance=instance, agent="oracle", epoch=1, run_dir=base / "oracle"))
    nop = await run_trial(TrialRequest(instance=instance, agent="nop", epoch=1, run_dir=base / "nop"))
    for name, result in (("oracle", oracle), ("nop", nop)):
        if result.status == "infra_error":
            verdict.problems.append(f"{name}: infrastructure error: {result.error}")
    verdict.oracle_score, verdict.oracle_passed, verdict.nop_score = oracle.score, oracle.passed, nop.score
    if oracle.status != "infra_error" and not (oracle.passed and oracle.score == 1.0):
        failing = [f"{c.name} ({c.reason})" for c in oracle.checks if not c.passed]
        verdict.problems.append(f"oracle scored {oracle.score:.3f}, failing: {'; '.join(failing) or oracle.agent_outcome}")
    if nop.status != "infra_error" and nop.score != 0.0:
        verdict.problems.append(f"nop scored {nop.score:.3f}; it must score 0")
    if oracle.status != "infra_error":
        private = base / "oracle" / "private"
        again = await asyncio.to_thread(
            run_grader, instance.task.path, base / "oracle" / "output", private / "input", private / "reference",
            instance.params, timeout=instance.task.spec.grader_timeout_sec,
        )
        verdict.deterministic = again.model_dump() == {"checks": [c.model_dump() for c in oracle.checks],
                                                       "score": oracle.score, "passed": oracle.passed}
        if not verdict.deterministic:
            verdict.problems.append("grading the same output twice gave different grades")
    return verdict
