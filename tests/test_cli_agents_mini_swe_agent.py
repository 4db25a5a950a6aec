"""mini-swe-agent, installed as ``ale setup --agents`` installs it, solves a real task through the channel.

The local model server speaks OpenAI chat completions (what litellm sends for ``openai/MODEL``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_agent_trials import (
    assert_key_stayed_out,
    assert_probe_failed,
    assert_totals,
    probe_command,
    require_installed,
    run_cli_trial,
    solution_source,
    trajectory_of,
)
from modelserver import ModelServer, Reply, TokenUsage, call

HARNESS = "mini_swe_agent"
USAGE = [TokenUsage(prompt_tokens=1000 * (i + 1), completion_tokens=50 + i, cached_tokens=100 * i) for i in range(5)]


@pytest.fixture(autouse=True)
def _installed() -> None:
    require_installed(HARNESS)


def bash(command: str):  # type: ignore[no-untyped-def]
    return call("bash", command=command)


def test_mini_swe_agent_solves_the_task_through_the_channel(tmp_path, monkeypatch):
    turns = [
        Reply(content="First the inputs.", tool_calls=[bash("ls /workspace/input")], usage=USAGE[0]),
        Reply(content="I write my design script.", usage=USAGE[1], tool_calls=[
            bash(f"mkdir -p ~/work && cat > ~/work/solve.py <<'ALE_EOF'\n{solution_source()}ALE_EOF")]),
        Reply(tool_calls=[bash("cd ~/work && python3 solve.py && ls /workspace/output")], usage=USAGE[2]),
        None,  # the probe, filled in below with the server's own port
        Reply(content="Done.", tool_calls=[bash("echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT")], usage=USAGE[4]),
    ]
    with ModelServer() as server:
        turns[3] = Reply(tool_calls=[bash(probe_command(server.port))], usage=USAGE[3])
        server.add(*turns)
        result = run_cli_trial(HARNESS, "gpt-4o-mini", server.base_url, tmp_path, monkeypatch, limits={"turns": 10})
        assert server.remaining == 0 and server.exhausted == 0
        requests = list(server.requests)
    assert result.status == "passed" and result.score == 1.0, (result.error, [c for c in result.checks if not c.passed])
    assert result.agent_outcome == "completed"
    assert all(r.path == "/v1/chat/completions" for r in requests)

    trajectory = trajectory_of(result)
    agent_steps = [s for s in trajectory["steps"] if s["source"] == "agent"]
    assert len(agent_steps) == 5
    assert agent_steps[2]["tool_calls"][0]["function_name"] == "bash"
    assert "design_summary.json" in agent_steps[2]["observation"]["results"][0]["content"]
    assert_probe_failed(trajectory, server.port)

    assert_totals(result, trajectory, USAGE)
    assert_key_stayed_out(result, requests)
    assert trajectory["agent"]["name"] == result.key.agent
    native = Path(result.run_dir) / "logs" / "native" / ".local" / "share" / "lastexam" / "mini.traj.json"
    assert json.loads(native.read_text())["info"]["exit_status"] == "Submitted"


def test_a_model_that_never_follows_the_format_is_the_agents_crash_not_a_completion(tmp_path, monkeypatch):
    chatter = Reply(content="I will just talk about it.", usage=USAGE[0])
    with ModelServer([chatter] * 3) as server:
        result = run_cli_trial(HARNESS, "gpt-4o-mini", server.base_url, tmp_path, monkeypatch, limits={"turns": 10})
    assert result.status == "failed" and result.agent_outcome == "crashed", (result.agent_outcome, result.error)
    assert result.error is None or "infra" not in result.error
    final = trajectory_of(result)["final_metrics"]
    assert final["extra"]["reported"]["exit_status"] == "RepeatedFormatError"
    # The channel saw three answered calls, whatever the CLI's own record keeps of them.
    assert result.usage.turns == 3 and result.usage.input_tokens == 3 * USAGE[0].prompt_tokens
    assert final["total_prompt_tokens"] == result.usage.input_tokens and final["extra"]["usage_source"] == "channel"
