"""Shared parts of the CLI agent tests: the task, a trial through a real CLI, the ATIF checks, the probe.

The scripted model does the oracle's work the way an agent would: it writes the task's own
solution file through the CLI's file or shell tool and runs it with the CLI's shell tool, inside
the sandbox, with the model reached only through the narrow channel.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from lastexam.agents.cli import installed
from lastexam.agents.registry import recorded_name
from lastexam.contracts.trajectory import packaged_json_schema
from lastexam.contracts.trial import TrialResult
from lastexam.runner.trial import run_trial, trial_request
from lastexam.tasks.instance import Instance
from lastexam.tasks.loader import Task, load_task

TASK_DIR = Path(__file__).parent.parent / "tasks" / "engineering" / "active_filter_design"
KEY_VARIABLE = "ALE_TEST_CLI_MODEL_KEY"
SECRET = "sk-ale-test-secret-0123456789"
VALIDATOR = jsonschema.Draft202012Validator(packaged_json_schema())
PUBLIC_ADDRESS = "1.1.1.1"


def require_installed(harness: str) -> None:
    """Skip when the CLI is not installed (``ale setup --agents``); under CI that is a failure."""
    if not installed(harness):
        message = f"{harness} is not installed: run `ale setup --agents {harness}`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def task() -> Task:
    return load_task(TASK_DIR)


def solution_source() -> str:
    """The oracle's script, which the scripted model writes as its own work."""
    t = task()
    return (t.solution_dir / t.solution_entrypoint).read_text()


def probe_command(host_port: int) -> str:
    """A shell command that tries the model server's host port directly and a public address, and prints the
    errors and its environment (where a leaked key would show)."""
    code = (
        "import socket\n"
        f"for host, port in (('127.0.0.1', {host_port}), ('{PUBLIC_ADDRESS}', 443)):\n"
        "    try:\n"
        "        socket.create_connection((host, port), timeout=3).close()\n"
        "        print('PROBE', host, port, 'CONNECTED')\n"
        "    except OSError as exc:\n"
        "        print('PROBE', host, port, 'FAILED', type(exc).__name__, exc.errno)\n"
    )
    return f"python3 - <<'PROBE'\n{code}PROBE\nenv | sort"


def run_cli_trial(harness: str, model: str, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                  **config: Any) -> TrialResult:
    """One trial of the CLI harness on active_filter_design@0 against ``base_url``; the key is ``SECRET``."""
    monkeypatch.setenv(KEY_VARIABLE, SECRET)
    path = tmp_path / f"{harness}.yaml"
    path.write_text(yaml.safe_dump({"harness": harness, "model": model, "base_url": base_url,
                                    "api_key_env": KEY_VARIABLE, **config}))
    request = trial_request(Instance(task(), 0), str(path), 1, tmp_path / "run", agent_name=recorded_name(str(path)))
    return asyncio.run(run_trial(request))


def trajectory_of(result: TrialResult) -> dict[str, Any]:
    """The trial's trajectory.json, checked against the ATIF v1.7 schema."""
    trajectory = json.loads((Path(result.run_dir) / "trajectory.json").read_text())
    VALIDATOR.validate(trajectory)
    assert [s["step_id"] for s in trajectory["steps"]] == list(range(1, len(trajectory["steps"]) + 1))
    return trajectory


def observations(trajectory: dict[str, Any]) -> list[str]:
    """Every tool result's text, in order."""
    return [str(r.get("content")) for s in trajectory["steps"] for r in (s.get("observation") or {}).get("results", [])]


def assert_probe_failed(trajectory: dict[str, Any], host_port: int) -> None:
    """The probe ran and neither connection succeeded (refused on the sandbox loopback, no route outside)."""
    text = "\n".join(observations(trajectory))
    assert f"PROBE 127.0.0.1 {host_port} FAILED ConnectionRefusedError" in text, text[-2000:]
    assert f"PROBE {PUBLIC_ADDRESS} 443 FAILED" in text, text[-2000:]
    assert "CONNECTED" not in text


def assert_key_stayed_out(result: TrialResult, requests: list[Any]) -> None:
    """The real key reached the model server (added by the host proxy) and nothing in the run directory."""
    assert requests and all(SECRET in json.dumps(r.headers) for r in requests)
    for path in Path(result.run_dir).rglob("*"):
        if path.is_file() and "private" not in path.parts:
            assert SECRET not in path.read_text(errors="replace"), path


def assert_totals(result: TrialResult, trajectory: dict[str, Any], usages: list[Any]) -> None:
    """The trial's usage and the trajectory's final metrics both add up to what the model server reported."""
    assert result.usage.turns == len(usages)
    assert result.usage.input_tokens == sum(u.prompt_tokens for u in usages)
    assert result.usage.output_tokens == sum(u.completion_tokens for u in usages)
    assert result.usage.cached_tokens == sum(u.cached_tokens for u in usages)
    assert result.usage.cache_write_tokens == sum(u.cache_write_tokens for u in usages)
    assert result.usage.cost_usd > 0
    final = trajectory["final_metrics"]
    assert final["total_prompt_tokens"] == result.usage.input_tokens
    assert final["total_completion_tokens"] == result.usage.output_tokens
    assert final["total_cached_tokens"] == result.usage.cached_tokens
    assert final["total_cost_usd"] == pytest.approx(result.usage.cost_usd)
    assert final["extra"]["channel"]["model_calls"] == len(usages)
