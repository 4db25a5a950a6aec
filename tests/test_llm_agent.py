"""The built-in llm agent in real trials (real sandboxes, real grader) against the local model server.

Tools run inside the sandbox; the model is the scripted server on 127.0.0.1 (tests/modelserver/).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from conftest import KEY_ENV
from lastexam.contracts.trial import TrialResult
from modelserver import Failure, ModelServer, Reply, TokenUsage, ToolCallSpec, call

FINISH = Reply(tool_calls=[call("finish", summary="done")])
SMALL = TokenUsage(prompt_tokens=100, completion_tokens=10)
# A 2x1 RGB PNG, written inside the sandbox by the scripted model.
MAKE_PNG = (
    "python3 -c \"import struct,zlib;"
    "c=lambda t,d:struct.pack('>I',len(d))+t+d+struct.pack('>I',zlib.crc32(t+d));"
    "open('/home/agent/dot.png','wb').write(b'\\x89PNG\\r\\n\\x1a\\n'+c(b'IHDR',struct.pack('>IIBBBBB',2,1,8,2,0,0,0))"
    "+c(b'IDAT',zlib.compress(b'\\x00\\xff\\x00\\x00\\x00\\x00\\xff'))+c(b'IEND',b''))\""
)


def trajectory(result: TrialResult) -> dict:
    return json.loads((Path(result.run_dir) / "trajectory.json").read_text())


def observations(result: TrialResult) -> list:
    """Every tool result the model was shown, in order."""
    return [r["content"] for s in trajectory(result)["steps"] for r in (s.get("observation") or {}).get("results", [])]


def test_tools_run_inside_the_sandbox_and_report_problems_to_the_model(run_agent, agent_yaml):
    turns = [
        Reply(content="Looking around.", tool_calls=[
            call("shell", command="id -un; hostname; env; ls /workspace"),
            call("list_dir", path="/workspace", depth=2),
            call("read_file", path="/workspace/input/matches.csv", start_line=2, end_line=3)]),
        Reply(tool_calls=[
            call("write_file", path="notes/a.txt", content="alpha\nbeta\nbeta\n"),
            call("replace_in_file", path="notes/a.txt", old="beta", new="gamma"),
            call("replace_in_file", path="notes/a.txt", old="alpha\nbeta", new="ALPHA\nbeta"),
            call("replace_in_file", path="notes/a.txt", old="delta", new="x"),
            call("read_file", path="/home/agent/notes/a.txt"),
            call("read_file", path="/usr/bin/bash"),
            call("read_file", path="/workspace/input/absent.csv"),
            call("write_file", path="/workspace/input/x.txt", content="no")]),
        Reply(tool_calls=[
            call("shell", command="python3 -c \"print('x' * 50000)\"; echo tail-marker"),
            call("shell", command="sleep 30", timeout_sec=1),
            call("shell", command="exit 3"),
            call("no_such_tool"),
            ToolCallSpec(name="shell", arguments="{not json")]),
        Reply(tool_calls=[ToolCallSpec(name="shell", id="bad-json", arguments="[1, 2]")]),
        FINISH,
    ]
    with ModelServer(turns) as server:
        [result] = run_agent(agent_yaml(server, options={"output_limit_chars": 2000}))
    assert result.agent_outcome == "completed" and server.remaining == 0, result.error
    assert result.key.agent == "llm:gpt-4o-mini@scripted"
    seen = observations(result)
    assert seen[0].startswith("exit status 0") and "agent\nsandbox\n" in seen[0]
    assert "HOME=/home/agent" in seen[0] and KEY_ENV not in seen[0]  # the model's key stays on the host
    run_files = [p for p in Path(result.run_dir).rglob("*") if p.is_file()]
    assert run_files and not any(b"test-key-123" in p.read_bytes() for p in run_files)
    assert "input/" in seen[1] and "input/matches.csv" in seen[1] and "output/" in seen[1]
    assert seen[2].startswith("     2\t") and "\n     3\t" in seen[2] and "     4\t" not in seen[2]
    assert seen[3].startswith("wrote 16 bytes (3 lines)")
    assert "occurs 2 times" in seen[4]
    assert seen[5] == "replaced 1 occurrence in notes/a.txt at line 1"
    assert "does not occur" in seen[6]
    assert seen[7].endswith("     1\tALPHA\n     2\tbeta\n     3\tbeta")
    assert "binary file" in seen[8] and "no such file" in seen[9]
    assert seen[10].startswith("error:") and "Read-only file system" in seen[10]
    assert "elided ...]" in seen[11] and seen[11].rstrip().endswith("tail-marker") and len(seen[11]) < 2300
    assert seen[12] == "killed at the 1 s time limit"
    assert seen[13] == "exit status 3"
    assert "no tool named 'no_such_tool'" in seen[14]
    assert "not valid JSON" in seen[15] and "must be a JSON object" in seen[16]
    # What the model was sent: the key, the tools, and each result under its own call id.
    first = server.requests[0]
    assert first.headers["authorization"] == "Bearer test-key-123"
    assert {t["function"]["name"] for t in first.body["tools"]} == {
        "shell", "read_file", "write_file", "replace_in_file", "list_dir", "view_image", "finish"}
    tool_messages = [m for m in server.requests[-1].body["messages"] if m["role"] == "tool"]
    assert len(tool_messages) == len(seen) - 1 and tool_messages[16]["tool_call_id"] == "bad-json"  # not finish


def test_view_image_sends_an_image_part_and_keeps_the_file_in_the_run_directory(run_agent, agent_yaml):
    turns = [Reply(tool_calls=[call("shell", command=MAKE_PNG)]),
             Reply(tool_calls=[call("view_image", id="img", path="/home/agent/dot.png"),
                               call("view_image", path="/workspace/input/matches.csv")]),
             FINISH]
    with ModelServer(turns) as server:
        [result] = run_agent(agent_yaml(server))
    assert result.agent_outcome == "completed", result.error
    step = next(s for s in trajectory(result)["steps"] if s.get("tool_calls")
                and s["tool_calls"][0]["function_name"] == "view_image")
    image_part = step["observation"]["results"][0]["content"][1]
    assert image_part["type"] == "image" and image_part["source"]["media_type"] == "image/png"
    saved = Path(result.run_dir) / image_part["source"]["path"]
    assert saved.read_bytes().startswith(b"\x89PNG") and saved.is_relative_to(Path(result.run_dir) / "logs")
    assert "not a PNG, JPEG, GIF or WebP" in step["observation"]["results"][1]["content"]
    sent = server.requests[2].body["messages"]
    image_messages = [m for m in sent if m["role"] == "user" and isinstance(m["content"], list)]
    assert len(image_messages) == 1 and "img" in image_messages[0]["content"][0]["text"]
    assert image_messages[0]["content"][1]["image_url"]["url"].startswith("data:image/png;base64,iVBORw0KGgo")


def test_vision_off_hides_view_image(run_agent, agent_yaml):
    with ModelServer([Reply(tool_calls=[call("view_image", path="/x.png")]), FINISH]) as server:
        [result] = run_agent(agent_yaml(server, options={"vision": False}))
    assert "view_image" not in {t["function"]["name"] for t in server.requests[0].body["tools"]}
    assert "no tool named 'view_image'" in observations(result)[0]


def test_usage_is_accounted_per_step_in_the_trajectory_and_per_trial_in_the_store(run_agent, agent_yaml, tmp_path):
    turns = [
        Reply(tool_calls=[call("shell", command="true")], usage=TokenUsage(
            prompt_tokens=1000, completion_tokens=50, cached_tokens=600, cache_write_tokens=200, reasoning_tokens=20)),
        Reply(tool_calls=[call("finish", summary="done")], usage=TokenUsage(
            prompt_tokens=2000, completion_tokens=30, cached_tokens=1500, cost=0.25)),
    ]
    with ModelServer(turns) as server:
        [result] = run_agent(agent_yaml(server))
    first_cost = (200 * 0.15 + 600 * 0.075 + 200 * 0.15 + 50 * 0.60) / 1e6  # fresh, cached, written, output
    usage = result.usage
    assert (usage.input_tokens, usage.output_tokens, usage.cached_tokens, usage.cache_write_tokens, usage.turns) == (
        3000, 80, 2100, 200, 2)
    assert usage.cost_usd == pytest.approx(first_cost + 0.25) and usage.model_seconds > 0
    steps = [s for s in trajectory(result)["steps"] if s["source"] == "agent"]
    first, second = steps[0]["metrics"], steps[1]["metrics"]
    assert (first["prompt_tokens"], first["cached_tokens"], first["completion_tokens"]) == (1000, 600, 50)
    assert first["extra"]["cache_write_tokens"] == 200 and first["extra"]["reasoning_tokens"] == 20
    assert first["cost_usd"] == pytest.approx(first_cost) and first["extra"]["cost_source"] == "price_table"
    assert second["cost_usd"] == 0.25 and second["extra"]["cost_source"] == "provider"
    assert first["extra"]["wall_seconds"] >= first["extra"]["model_seconds"] > 0
    final = trajectory(result)["final_metrics"]
    assert (final["total_prompt_tokens"], final["total_cached_tokens"]) == (3000, 2100)
    assert final["total_cost_usd"] == pytest.approx(usage.cost_usd) and final["extra"]["total_cache_write_tokens"] == 200
    engine = create_engine(f"sqlite:///{tmp_path / 'results' / 'ale.db'}")
    with engine.connect() as db:
        row = db.execute(text("SELECT agent, input_tokens, output_tokens, cached_tokens, cache_write_tokens, "
                              "cost_usd, turns FROM trials")).one()
    assert row[:5] == ("llm:gpt-4o-mini@scripted", 3000, 80, 2100, 200) and row[6] == 2
    assert row[5] == pytest.approx(usage.cost_usd)


@pytest.mark.parametrize(("limits", "usage", "reason"), [
    ({"turns": 2}, SMALL, "turn limit reached (2 of 2"),
    ({"tokens": 2000}, TokenUsage(prompt_tokens=700, completion_tokens=400), "token limit reached (2200 of 2000"),
    ({"cost_usd": 0.01}, TokenUsage(prompt_tokens=10, completion_tokens=1, cost=0.006), "cost limit reached ($0.0120"),
])
def test_each_budget_stops_the_trial_as_limit(run_agent, agent_yaml, limits, usage, reason):
    busy = [Reply(tool_calls=[call("shell", command="echo working")], usage=usage) for _ in range(5)]
    with ModelServer(busy) as server:
        [result] = run_agent(agent_yaml(server, limits=limits))
    assert result.status == "failed" and result.agent_outcome == "limit", result.error
    assert len(server.requests) == 2 and result.usage.turns == 2
    last = trajectory(result)["steps"][-1]
    assert last["source"] == "system" and reason in last["message"]


@pytest.mark.parametrize("where", ["tool", "model"])
def test_the_wall_limit_stops_the_trial_as_timeout(run_agent, agent_yaml, where):
    turn = (Reply(tool_calls=[call("shell", command="sleep 60")]) if where == "tool"
            else Reply(content="thinking", delay_sec=8))
    with ModelServer([turn, FINISH]) as server:
        begun = time.monotonic()
        [result] = run_agent(agent_yaml(server, limits={"wall_sec": 2}))
        elapsed = time.monotonic() - begun
    assert result.status == "failed" and result.agent_outcome == "timeout", result.error
    assert elapsed < 15
    steps = trajectory(result)["steps"]
    assert trajectory(result)["final_metrics"]["extra"]["outcome"] == "timeout"
    if where == "tool":  # the command that was running when time ran out is in the trajectory
        assert steps[-1]["tool_calls"][0]["arguments"] == {"command": "sleep 60"}
        assert steps[-1]["observation"] == {"results": []}


def test_a_service_that_hangs_until_the_wall_limit_is_an_infra_error(run_agent, agent_yaml):
    with ModelServer([Reply(content="thinking", delay_sec=8)]) as server:
        [result] = run_agent(agent_yaml(server, limits={"wall_sec": 3}, options={"unanswered_sec": 2}), retries=0)
    assert result.status == "infra_error" and result.agent_outcome == "crashed", (result.agent_outcome, result.error)
    assert re.search(r"had not answered a request for \d+ s when the 3 s wall limit came", result.error)


def test_rate_limits_and_dropped_connections_are_retried(run_agent, agent_yaml):
    turns = [Failure(status=429, retry_after=0.1), Failure(drop_connection=True), Failure(status=503, times=2),
             Reply(tool_calls=[call("shell", command="echo ok")]), Failure(status=500), FINISH]
    with ModelServer(turns) as server:
        [result] = run_agent(agent_yaml(server))
    assert result.agent_outcome == "completed" and result.attempts == 1, result.error
    assert len(server.requests) == 7 and server.remaining == 0
    steps = [s for s in trajectory(result)["steps"] if s["source"] == "agent"]
    retried = steps[0]["extra"]["retried_errors"]
    assert len(retried) == 4 and retried[0].startswith("429") and retried[2].startswith("503")
    assert steps[1]["extra"]["retried_errors"][0].startswith("500")


def test_a_persistent_server_error_is_an_infra_error_not_the_agents_failure(run_agent, agent_yaml):
    with ModelServer([Reply(tool_calls=[call("shell", command="echo hi")]), Failure(status=500, times=None)]) as server:
        [result] = run_agent(agent_yaml(server, options={"retries": 2}), retries=1)
    assert result.status == "infra_error" and result.attempts == 2
    assert "model service failed 3 times" in result.error and "500" in result.error
    assert len(server.requests) == 1 + 3 + 3  # first attempt: a reply then 3 failures; the retried trial: 3
    steps = trajectory(result)["steps"]  # the partial trajectory of the last attempt is kept
    assert steps[0]["source"] == "system" and steps[1]["source"] == "user"


def test_a_refused_request_is_an_infra_error_naming_the_fix(run_agent, agent_yaml):
    with ModelServer([Failure(status=401, message="bad key")]) as server:
        [result] = run_agent(agent_yaml(server), retries=0)
    assert result.status == "infra_error" and len(server.requests) == 1
    assert "401 bad key" in result.error and "api_key_env" in result.error


def test_a_cost_limit_on_a_model_without_a_price_is_an_infra_error(run_agent, agent_yaml):
    with ModelServer([Reply(tool_calls=[call("shell", command="true")], usage=SMALL), FINISH]) as server:
        [result] = run_agent(agent_yaml(server, model="house-model", limits={"cost_usd": 1}), retries=0)
    assert result.status == "infra_error" and "cost of model house-model is unknown" in result.error


def test_old_tool_output_is_elided_and_the_elision_recorded(run_agent, agent_yaml):
    loud = [Reply(tool_calls=[call("shell", command=f"python3 -c \"print('{i}' * 6000)\"")]) for i in range(4)]
    with ModelServer([*loud, FINISH]) as server:
        [result] = run_agent(agent_yaml(server, options={"context_tokens": 4000, "keep_recent_results": 1}))
    assert result.agent_outcome == "completed", result.error
    elisions = [s for s in trajectory(result)["steps"] if s["source"] == "system" and "context_elision" in (s["extra"] or {})]
    assert elisions and "was elided from the model's context" in elisions[0]["message"]
    elided_ids = elisions[0]["extra"]["context_elision"]["call_ids"]
    last_sent = [m for m in server.requests[-1].body["messages"] if m["role"] == "tool"]
    assert last_sent[0]["tool_call_id"] == elided_ids[0] and last_sent[0]["content"].startswith("[output elided")
    assert "3" * 6000 in last_sent[-1]["content"]
    # The trajectory keeps what the model saw at the time.
    assert "0" * 6000 in observations(result)[0]


def test_a_reply_without_tool_calls_ends_the_run_and_a_cut_off_reply_is_continued(run_agent, agent_yaml):
    turns = [Reply(content="half a thou", finish_reason="length"), Reply(content="All done; nothing else to do.")]
    with ModelServer(turns) as server:
        [result] = run_agent(agent_yaml(server))
    assert result.agent_outcome == "completed" and len(server.requests) == 2
    assert server.requests[1].body["messages"][-1]["content"].startswith("Your reply was cut off")
