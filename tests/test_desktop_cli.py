"""A real agent CLI drives the desktop through the computer tools' MCP server (from its own MCP configuration).

Claude Code, Codex and Gemini CLI, as ``ale setup --agents`` installs them, talk to the local model server
(Anthropic Messages, OpenAI Responses, Gemini API); the scripted model calls the MCP tools (``mcp__computer__*``, the
``mcp__computer`` namespace, ``mcp_computer_*``) to type into mousepad and save.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from cli_agent_trials import KEY_VARIABLE, SECRET, require_installed, trajectory_of
from lastexam.agents.registry import recorded_name
from lastexam.contracts.trial import TrialResult
from lastexam.runner.trial import run_trial, trial_request
from lastexam.tasks.instance import Instance
from lastexam.tasks.loader import load_task
from modelserver import ModelServer, Reply, ToolCallSpec, call
from test_desktop import NOTE, NOTE_TASK, final_screenshot

pytestmark = pytest.mark.slow


def _type_and_save(tmp_path: Path, monkeypatch, harness: str, model: str, opener: ToolCallSpec,
                   computer: Callable[..., ToolCallSpec]) -> TrialResult:
    """A trial of ``harness`` on the note task whose scripted model opens mousepad with ``opener``, then looks,
    types the sentence and saves through the computer tools (``computer(action, **arguments)`` names a call
    the way the CLI offers the tool)."""
    require_installed(harness)
    instance = Instance(load_task(NOTE_TASK), 0)
    instance.materialize(tmp_path / "input", tmp_path / "reference")  # the sentence the trial's input holds
    sentence = (tmp_path / "input" / "sentence.txt").read_text().strip()
    with ModelServer() as server:
        server.add(
            Reply(tool_calls=[opener]),
            Reply(tool_calls=[computer("screenshot", scale=0.5)]),
            Reply(tool_calls=[computer("type", text=sentence)]),
            Reply(tool_calls=[computer("key", keys="ctrl+s")]),
            Reply(content="Typed and saved."),
        )
        monkeypatch.setenv(KEY_VARIABLE, SECRET)
        config = tmp_path / f"{harness}.yaml"
        base_url = server.base_url if harness == "codex" else server.base_url.removesuffix("/v1")
        config.write_text(yaml.safe_dump({"harness": harness, "model": model, "base_url": base_url,
                                          "api_key_env": KEY_VARIABLE}))
        result = asyncio.run(run_trial(trial_request(instance, str(config), 1, tmp_path / "run",
                                                     agent_name=recorded_name(str(config)))))
        assert server.remaining == 0
    assert result.status == "passed", (result.error, [c for c in result.checks if not c.passed])
    return result


def test_claude_code_types_into_a_real_editor_through_the_mcp_server(tmp_path: Path, monkeypatch) -> None:
    opener = call("Bash", command=f"(mousepad --disable-server {NOTE} >/dev/null 2>&1 &); "
                                  "for i in $(seq 100); do xdotool search --onlyvisible --name note.txt && exit; sleep 0.2; done")
    result = _type_and_save(tmp_path, monkeypatch, "claude_code", "claude-sonnet-4-20250514", opener,
                            lambda action, **arguments: call(f"mcp__computer__{action}", **arguments))
    # Claude Code loads the server from the user scope (~/.claude.json) and defers the tools' definitions (found
    # through its tool search), so the calls and their answers are the proof it serves them.
    events = [json.loads(line) for line in (Path(result.run_dir) / "logs" / "claude_code.stdout").read_text().splitlines()
              if line.startswith("{")]
    init = next(e for e in events if e.get("type") == "system" and e.get("subtype") == "init")
    assert [(s["name"], s["source"]) for s in init["mcp_servers"]] == [("computer", "user")]
    steps = trajectory_of(result)["steps"]
    called = [c["function_name"] for s in steps for c in s.get("tool_calls") or []]
    assert called == ["Bash", "mcp__computer__screenshot", "mcp__computer__type", "mcp__computer__key"]
    results = [r for s in steps for r in (s.get("observation") or {}).get("results", [])]
    parts = next(r["content"] for r in results if isinstance(r["content"], list))
    [image] = [p for p in parts if p["type"] == "image"]
    assert "scaled by 0.5 to 512x384" in parts[0]["text"] and image["source"]["media_type"] == "image/png"
    assert (Path(result.run_dir) / image["source"]["path"]).read_bytes().startswith(b"\x89PNG")
    assert any(r["content"] == "pressed ctrl+s" for r in results)
    final_screenshot(result)
    assert not (Path(result.run_dir) / "logs" / "video").exists()  # no video unless the run asks for one


def test_gemini_cli_types_into_a_real_editor_through_the_mcp_server(tmp_path: Path, monkeypatch) -> None:
    # Gemini CLI runs shell commands with DISPLAY emptied, so the editor is opened with the launch tool
    opener = call("mcp_computer_launch", command=f"mousepad --disable-server {NOTE}")
    result = _type_and_save(tmp_path, monkeypatch, "gemini_cli", "gemini-2.5-pro", opener,
                            lambda action, **arguments: call(f"mcp_computer_{action}", **arguments))
    steps = trajectory_of(result)["steps"]
    called = [c["function_name"] for s in steps for c in s.get("tool_calls") or []]
    assert called == ["mcp_computer_launch", "mcp_computer_screenshot", "mcp_computer_type", "mcp_computer_key"]
    results = [str(r["content"]) for s in steps for r in (s.get("observation") or {}).get("results", [])]
    assert any("started mousepad" in r and "a new window shows" in r for r in results), results
    final_screenshot(result)


def test_codex_types_into_a_real_editor_through_the_mcp_server(tmp_path: Path, monkeypatch) -> None:
    # Codex offers the MCP server's tools as one namespace of the Responses API: the model calls them by name
    # within it
    def computer(action: str, **arguments) -> ToolCallSpec:
        return call(action, namespace="mcp__computer", **arguments)

    result = _type_and_save(tmp_path, monkeypatch, "codex", "gpt-5", computer("launch",
                            command=f"mousepad --disable-server {NOTE}"), computer)
    steps = trajectory_of(result)["steps"]
    called = [c["function_name"] for s in steps for c in s.get("tool_calls") or []]
    assert called == ["mcp__computer__launch", "mcp__computer__screenshot", "mcp__computer__type",
                      "mcp__computer__key"], called
    results = [str(r["content"]) for s in steps for r in (s.get("observation") or {}).get("results", [])]
    assert any("pressed ctrl+s" in r for r in results), results
    final_screenshot(result)


@pytest.mark.parametrize(("harness", "model", "offered"), [
    ("codex", "gpt-5", lambda body: {t["name"] for n in body["tools"] if n.get("name") == "mcp__computer"
                                     for t in n["tools"]}),
    ("gemini_cli", "gemini-2.5-pro", lambda body: {d["name"].removeprefix("mcp_computer_") for t in body["tools"]
                                                   for d in t.get("functionDeclarations", [])
                                                   if d["name"].startswith("mcp_computer_")}),
])
def test_codex_and_gemini_cli_offer_the_computer_tools_from_their_own_mcp_configuration(
        tmp_path: Path, monkeypatch, harness: str, model: str, offered) -> None:
    require_installed(harness)
    monkeypatch.setenv(KEY_VARIABLE, SECRET)
    with ModelServer() as server:
        server.add(Reply(content="Nothing to do."))
        config = tmp_path / f"{harness}.yaml"
        base_url = server.base_url if harness == "codex" else server.base_url.removesuffix("/v1")
        config.write_text(yaml.safe_dump({"harness": harness, "model": model, "base_url": base_url,
                                          "api_key_env": KEY_VARIABLE}))
        asyncio.run(run_trial(trial_request(Instance(load_task(NOTE_TASK), 0), str(config), 1, tmp_path / "run",
                                            agent_name=recorded_name(str(config)))))
        body = server.requests[0].body
    assert offered(body) == {"screenshot", "click", "double_click", "right_click", "move", "drag", "scroll", "type",
                             "key", "wait", "launch", "cursor_position", "accessibility_tree"}
