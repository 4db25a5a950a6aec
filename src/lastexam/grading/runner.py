"""Run a task's grader outside the sandbox, in its own process, under a time limit."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from lastexam.errors import GraderError
from lastexam.grading.model import Grade


def run_grader(
    task_dir: Path,
    output_dir: Path,
    input_dir: Path,
    reference_dir: Path,
    params: dict[str, Any],
    *,
    timeout: float,
    log_path: Path | None = None,
) -> Grade:
    """Grade collected output in a fresh Python process.

    Returns the Grade. Raises GraderError when the grader crashes, produces no grade, or runs
    past ``timeout`` seconds: an infrastructure failure, never the agent's.
    """
    with tempfile.TemporaryDirectory(prefix="ale-grade-") as scratch:
        request = Path(scratch) / "request.json"
        grade_path = Path(scratch) / "grade.json"
        request.write_text(json.dumps({
            "task_dir": str(task_dir), "output_dir": str(output_dir), "input_dir": str(input_dir),
            "reference_dir": str(reference_dir), "params": params, "grade_path": str(grade_path),
        }))
        try:
            completed = subprocess.run(
                [sys.executable, "-m", "lastexam.grading.worker", str(request)],
                capture_output=True, text=True, timeout=timeout, cwd=scratch, stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise GraderError(f"grader ran past its {timeout:g} s limit") from exc
        if log_path is not None:
            log_path.write_text(completed.stdout + completed.stderr)
        if completed.returncode != 0 or not grade_path.is_file():
            tail = "\n".join((completed.stderr or completed.stdout).strip().splitlines()[-12:])
            raise GraderError(f"grader crashed (exit {completed.returncode}): {tail}")
        return Grade.model_validate_json(grade_path.read_text())
