"""Synthetic but real results for analysis, report and viewer tests: TrialResult objects recorded through
the real ResultsStore, with run directories laid out as the runner lays them out."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from lastexam.contracts.agent import Usage
from lastexam.contracts.grade import Check
from lastexam.contracts.trial import TrialKey, TrialResult
from lastexam.store.db import ResultsStore

START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
TIER_OF = {"near": "near-term", "full": "full-spectrum", "last": "last-exam"}


def trial(agent: str, instance: str, epoch: int = 1, *, passed: bool | None = None, status: str | None = None,
          score: float | None = None, outcome: str | None = "completed", checks: list[Check] | None = None,
          cost: float | None = 0.0, tokens: tuple[int, int] = (0, 0), seconds: float = 10.0, tier: str = "near-term", cluster: str = "other",
          subdomain: str = "sports", run_dir: Path | str = "/nonexistent/run") -> TrialResult:
    """A finished trial. ``passed`` sets status and score unless they are given."""
    task_id = instance.split("@")[0]
    status = status or ("passed" if passed else "failed")
    is_pass = status == "passed"
    if checks is None and status in ("passed", "failed"):
        checks = [Check(name="result", score=1.0 if is_pass else 0.0, passed=is_pass)]
    return TrialResult(
        key=TrialKey(agent=agent, instance=instance, epoch=epoch), task_id=task_id, task_version="1.0.0",
        variant=int(instance.split("@")[1]) if "@" in instance else 0, tier=tier, cluster=cluster,
        subdomain=subdomain, status=status, agent_outcome=outcome if status != "infra_error" else None,
        score=score if score is not None else (1.0 if is_pass else 0.0), passed=is_pass, checks=checks or [],
        usage=Usage(cost_usd=cost, input_tokens=tokens[0], output_tokens=tokens[1]), error="sandbox failed" if status == "infra_error" else None,
        started_at=START, finished_at=START + dt.timedelta(seconds=seconds), agent_seconds=seconds - 1,
        grade_seconds=1.0, run_dir=str(run_dir),
    )


def record(store: ResultsStore, experiment: str, results: list[TrialResult]) -> int:
    """Record every result in ``experiment`` (created if new); returns the experiment id."""
    experiment_id = store.ensure_experiment(experiment, {"agents": sorted({r.key.agent for r in results})})
    for result in results:
        assert store.record(experiment_id, result)
    return experiment_id


def run_dir(root: Path, name: str, *, tool_calls: list[dict[str, Any]] | None = None,
            outputs: dict[str, str] | None = None, reference: dict[str, str] | None = None,
            graded: bool = True, steps: list[dict[str, Any]] | None = None) -> Path:
    """A run directory: trajectory.json (a user step, then one agent step per tool call), output/,
    private/reference/, logs/ and, when ``graded``, grade.json."""
    path = root / name
    (path / "output").mkdir(parents=True)
    (path / "logs").mkdir()
    (path / "logs" / "instruction.md").write_text("Compute the league table.\n")
    (path / "events.jsonl").write_text('{"event": "trial_started"}\n')
    for rel, text in (outputs or {}).items():
        (path / "output" / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / "output" / rel).write_text(text)
    if reference is not None:
        (path / "private" / "reference").mkdir(parents=True)
        for rel, text in reference.items():
            (path / "private" / "reference" / rel).write_text(text)
    if steps is None:
        steps = [{"step_id": 1, "source": "user", "message": "Compute the league table."}]
        for i, call in enumerate(tool_calls or [], start=2):
            steps.append({"step_id": i, "source": "agent", "message": f"running step {i}",
                          "reasoning_content": f"I should run tool {i}",
                          "tool_calls": [{"tool_call_id": f"call_{i}", "function_name": "exec", "arguments": call}],
                          "observation": {"results": [{"source_call_id": f"call_{i}", "content": f"exit 0 ({i})"}]}})
    if tool_calls is not None or steps:
        (path / "trajectory.json").write_text(json.dumps({
            "schema_version": "ATIF-v1.7", "session_id": name, "agent": {"name": "test", "version": "1"},
            "steps": steps}))
    if graded:
        (path / "grade.json").write_text("{}")
    return path
