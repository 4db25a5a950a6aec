"""Codex CLI, installed as ``ale setup --agents`` installs it, solves a real task through the channel.

The local model server speaks the OpenAI Responses API with streaming (SSE), as Codex uses it.
"""

from __future__ import annotations

import pytest

from cli_agent_trials import (
    SECRET,
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

HARNESS = "codex"
USAGE = [TokenUsage(prompt_tokens=6000 + 700 * i, completion_tokens=30 + i, cached_tokens=2000 * i,
                    reasoning_tokens=10) for i in range(6)]


@pytest.fixture(autouse=True)
def _installed() -> None:
    require_installed(HARNESS)


def shell(command: str):  # type: ignore[no-untyped-def]
    # Codex returns from a command after yield_time_ms (at most 30 s) and leaves it running: the design script
    # can take longer on a loaded machine, so the model waits for it in a second command
    return call("exec_command", cmd=command, yield_time_ms=30_000)


def test_codex_solves_the_task_through_the_channel(tmp_path, monkeypatch):
    with ModelServer() as server:
        server.add(
            Reply(content="First the inputs.", reasoning="Look at the request.",
                  tool_calls=[shell("ls /workspace/input")], usage=USAGE[0]),
            Reply(content="I write my design script.", usage=USAGE[1], tool_calls=[
                shell(f"mkdir -p ~/work && cat > ~/work/solve.py <<'ALE_EOF'\n{solution_source()}ALE_EOF")]),
            Reply(tool_calls=[shell("cd ~/work && python3 solve.py; touch solve.done")], usage=USAGE[2]),
            Reply(tool_calls=[shell("cd ~/work && until [ -e solve.done ]; do sleep 0.5; done; ls /workspace/output")],
                  usage=USAGE[3]),
            Reply(tool_calls=[shell(probe_command(server.port))], usage=USAGE[4]),
            Reply(content="The filter is designed and verified.", usage=USAGE[5]),
        )
        result = run_cli_trial(HARNESS, "gpt-5", server.base_url, tmp_path, monkeypatch, limits={"turns": 10})
        assert server.remaining == 0 and server.exhausted == 0
        requests = list(server.requests)
    assert result.status == "passed" and result.score == 1.0, (result.error, [c for c in result.checks if not c.passed])
    assert result.agent_outcome == "completed"
    assert all(r.path == "/v1/responses" and r.body["stream"] for r in requests)
    assert all(r.headers["authorization"] == f"Bearer {SECRET}" for r in requests)

    trajectory = trajectory_of(result)
    assert trajectory["final_metrics"]["extra"]["reported"]["rollout"] is True
    agent_steps = [s for s in trajectory["steps"] if s["source"] == "agent"]
    assert len(agent_steps) == 6
    assert agent_steps[0]["reasoning_content"] == "Look at the request."
    assert [c["function_name"] for s in agent_steps[:5] for c in s["tool_calls"]] == ["exec_command"] * 5
    assert "design_summary.json" in agent_steps[3]["observation"]["results"][0]["content"]
    assert agent_steps[-1]["message"] == "The filter is designed and verified."
    assert_probe_failed(trajectory, server.port)
    assert_totals(result, trajectory, USAGE)
    assert_key_stayed_out(result, requests)
