"""Gemini CLI, installed as ``ale setup --agents`` installs it, solves a real task through the channel.

The local model server speaks the Gemini API's streamGenerateContent (SSE), as Gemini CLI uses it.
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

HARNESS = "gemini_cli"
USAGE = [TokenUsage(prompt_tokens=5000 + 600 * i, completion_tokens=25 + 2 * i, cached_tokens=1500 * i,
                    reasoning_tokens=5 * (i == 0)) for i in range(5)]


@pytest.fixture(autouse=True)
def _installed() -> None:
    require_installed(HARNESS)


def shell(command: str):  # type: ignore[no-untyped-def]
    return call("run_shell_command", command=command)


def test_gemini_cli_solves_the_task_through_the_channel(tmp_path, monkeypatch):
    with ModelServer() as server:
        server.add(
            Reply(content="First the inputs.", reasoning="Look at the request.",
                  tool_calls=[shell("ls /workspace/input")], usage=USAGE[0]),
            Reply(content="I write my design script.", usage=USAGE[1], tool_calls=[
                call("write_file", file_path="/home/agent/work/solve.py", content=solution_source())]),
            Reply(tool_calls=[shell("cd /home/agent/work && python3 solve.py && ls /workspace/output")], usage=USAGE[2]),
            Reply(tool_calls=[shell(probe_command(server.port))], usage=USAGE[3]),
            Reply(content="The filter is designed and verified.", usage=USAGE[4]),
        )
        result = run_cli_trial(HARNESS, "gemini-2.5-pro", server.base_url.removesuffix("/v1"), tmp_path, monkeypatch,
                               limits={"turns": 10})
        assert server.remaining == 0 and server.exhausted == 0
        requests = list(server.requests)
    assert result.status == "passed" and result.score == 1.0, (result.error, [c for c in result.checks if not c.passed])
    assert result.agent_outcome == "completed"
    assert all(r.path.startswith("/v1beta/models/gemini-2.5-pro:streamGenerateContent") for r in requests)
    assert all(r.headers["x-goog-api-key"] == SECRET for r in requests)

    trajectory = trajectory_of(result)
    assert trajectory["final_metrics"]["extra"]["reported"]["chat_file"] is True
    agent_steps = [s for s in trajectory["steps"] if s["source"] == "agent"]
    assert len(agent_steps) == 5
    assert [c["function_name"] for s in agent_steps[:4] for c in s["tool_calls"]] == [
        "run_shell_command", "write_file", "run_shell_command", "run_shell_command"]
    assert "design_summary.json" in agent_steps[2]["observation"]["results"][0]["content"]
    assert agent_steps[-1]["message"] == "The filter is designed and verified."
    assert_probe_failed(trajectory, server.port)
    assert_totals(result, trajectory, USAGE)
    assert_key_stayed_out(result, requests)
