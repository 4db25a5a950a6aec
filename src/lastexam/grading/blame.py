"""Who is to blame when a grader fails: the agent's output, or the infrastructure.

Whatever the agent's output makes the grader do (fail to parse, crash, hang, run out of memory)
is the agent's failed check; only a failure independent of the output is an infrastructure
error. The test of independence is direct: the same grader, inputs and reference are run on an
empty output. If that fails too, the grader (or the host) is broken whatever the agent did. If it
grades, the output caused the failure, and after one more try on the output (so that a passing
host fault is not pinned on the agent) the trial gets a failed gate check with the reason.
``ale tasks check`` proves separately that every task grades its oracle's output, so a grader
bug that only the right answer triggers cannot reach a scored run.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lastexam.contracts.grade import Check, Grade
from lastexam.errors import GraderError, MissingToolError
from lastexam.grading.probes import JudgeConfig, judge_from_environment, resolve_probes
from lastexam.grading.runner import run_grader

GRADER_FAILED_CHECK = "the grader could process the output"


def grade_output(
    task_dir: Path, output_dir: Path, input_dir: Path, reference_dir: Path, params: dict[str, Any], *,
    timeout: float, memory_mb: int = 4096, log_path: Path | None = None, judge: JudgeConfig | None = None,
) -> Grade:
    """Grade ``output_dir``, turning a grader failure that the output caused into the agent's failed check, then
    answer the grade's model probes with ``judge`` (default: the judge ``ALE_JUDGE`` names, if any).

    Raises GraderError only when the grader also fails on an empty output (or gives its probes too much
    weight), MissingToolError at once when the grader needed a program the machine lacks, and JudgeError when
    the judge does not answer (all infrastructure errors).
    """

    def grade(output: Path) -> Grade:
        return run_grader(task_dir, output, input_dir, reference_dir, params, timeout=timeout, memory_mb=memory_mb,
                          log_path=log_path)

    return resolve_probes(_blamed(grade, output_dir), judge or judge_from_environment())


def _blamed(grade: Callable[[Path], Grade], output_dir: Path) -> Grade:
    """``grade(output_dir)``, or the agent's failed check when the grader fails on the output but not on an empty one."""
    try:
        return grade(output_dir)
    except MissingToolError:
        raise
    except GraderError:
        pass
    with tempfile.TemporaryDirectory(prefix="ale-empty-output-") as empty:
        Path(empty).chmod(0o755)
        try:
            grade(Path(empty))
        except GraderError as exc:
            raise GraderError(f"{exc} (it fails on an empty output too, so not because of the agent's)") from None
    try:
        return grade(output_dir)
    except MissingToolError:
        raise
    except GraderError as exc:
        return Grade(checks=[Check(name=GRADER_FAILED_CHECK, weight=0, score=0, passed=False, gate=True,
                                   expected="a grader run that ends within its limits",
                                   reason=f"{exc} (the same grader grades an empty output)")])
