"""Claude Code, installed as ``ale setup --agents`` installs it, solves a real task through the channel.

The local model server speaks the Anthropic Messages API with streaming (SSE), as Claude Code uses it.
"""

from __future__ import annotations

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

HARNESS = "claude_code"
USAGE = [TokenUsage(prompt_tokens=9000 + 500 * i, completion_tokens=40 + i, cached_tokens=4000 * (i > 0),
                    cache_write_tokens=3000 * (i == 0)) for i in range(5)]


@pytest.fixture(autouse=True)
def _installed() -> None:
    require_installed(HARNESS)


def test_claude_code_solves_the_task_through_the_channel(tmp_path, monkeypatch):
    with ModelServer() as server:
        server.add(
            Reply(content="First the inputs.", reasoning="The request is in the input directory.",
                  tool_calls=[call("Bash", command="ls /workspace/input")], usage=USAGE[0]),
            Reply(content="I write my design script.", usage=USAGE[1],
                  tool_calls=[call("Write", file_path="/home/agent/work/solve.py", content=solution_source())]),
            Reply(tool_calls=[call("Bash", command="cd /home/agent/work && python3 solve.py && ls /workspace/output")],
                  usage=USAGE[2]),
            Reply(tool_calls=[call("Bash", command=probe_command(server.port))], usage=USAGE[3]),
            Reply(content="The filter is designed and verified.", usage=USAGE[4]),
        )
        result = run_cli_trial(HARNESS, "claude-sonnet-4-20250514", server.base_url.removesuffix("/v1"), tmp_path,
                               monkeypatch, limits={"turns": 10})
        assert server.remaining == 0 and server.exhausted == 0
        requests = list(server.requests)
    assert result.status == "passed" and result.score == 1.0, (result.error, [c for c in result.checks if not c.passed])
    assert result.agent_outcome == "completed"
    assert all(r.path.startswith("/v1/messages") and r.body["stream"] for r in requests)
    assert all(r.headers["x-api-key"] == "sk-ale-test-secret-0123456789" for r in requests)

    trajectory = trajectory_of(result)
    agent_steps = [s for s in trajectory["steps"] if s["source"] == "agent"]
    assert len(agent_steps) == 5
    assert agent_steps[0]["reasoning_content"] == "The request is in the input directory."
    assert [c["function_name"] for s in agent_steps[:4] for c in s["tool_calls"]] == ["Bash", "Write", "Bash", "Bash"]
    assert "design_summary.json" in agent_steps[2]["observation"]["results"][0]["content"]
    assert agent_steps[-1]["message"] == "The filter is designed and verified."
    assert_probe_failed(trajectory, server.port)
    assert_totals(result, trajectory, USAGE)
    assert_key_stayed_out(result, requests)
