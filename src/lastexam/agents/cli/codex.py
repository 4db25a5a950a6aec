"""Codex CLI (npm ``@openai/codex``): OpenAI's agent CLI over the Responses API.

Run as ``codex exec --json --dangerously-bypass-approvals-and-sandbox`` (no approvals, no sandbox of
its own: the bubblewrap sandbox is the boundary) with a model provider in ``~/.codex/config.toml``
whose base URL is the channel. Two records of the run:

- stdout, the ``exec --json`` events: ``thread.started`` (the thread id), items (messages, commands,
  file changes) and ``turn.completed`` with the run's token totals;
- the session rollout ``~/.codex/sessions/**/rollout-*-THREAD.jsonl``: every response item the model
  produced (messages, reasoning, function calls), every call's output, and a ``token_usage_record``
  closing each model call with its own usage.

The trajectory has one agent step per model call, from the rollout; when the rollout is missing,
the ``exec --json`` items make the steps and the totals are one step's usage.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from lastexam.agents.accounting import CallUsage
from lastexam.agents.cli.adapter import CHANNEL_KEY, CliOptions, CliRun, program
from lastexam.agents.cli.install import PACKAGES
from lastexam.agents.cli.transcript import TranscriptBuilder, home_json_lines, json_lines, text_of, tool_arguments
from lastexam.agents.config import AgentConfig
from lastexam.contracts.sandbox import HOME_DIR
from lastexam.contracts.trajectory import ToolCall
from lastexam.sandbox.channel import OPENAI_RESPONSES, Credential, model_calls

KEY_VARIABLE = "ALE_CHANNEL_KEY"
PROVIDER = "lastexam_channel"
MCP_STARTUP_SEC = 120
MCP_TOOL_SEC = 180


class CodexOptions(CliOptions):
    """Options of the ``codex`` harness."""

    reasoning_effort: str | None = None
    """``model_reasoning_effort`` (minimal, low, medium, high) when set."""


def _toml(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


class CodexDriver:
    package: ClassVar = PACKAGES["codex"]
    summary: ClassVar = "Codex CLI exec mode (OpenAI Responses API), in the sandbox through the model channel"
    default_base_url: ClassVar = "https://api.openai.com/v1"
    options_model: ClassVar = CodexOptions
    native_transcripts: ClassVar = (".codex/sessions/**/rollout-*.jsonl",)

    def credential(self, config: AgentConfig, key: str) -> Credential:
        return Credential.bearer(key)

    def model_calls(self, config: AgentConfig) -> re.Pattern[str]:
        return model_calls(OPENAI_RESPONSES)

    def home_files(self, config: AgentConfig, options: CliOptions, base_url: str,
                   mcp_servers: dict[str, list[str]]) -> dict[str, str]:
        assert isinstance(options, CodexOptions)
        lines = [f"model = {_toml(config.model)}", f"model_provider = {_toml(PROVIDER)}",
                 "check_for_update_on_startup = false"]
        if options.reasoning_effort:
            lines.append(f"model_reasoning_effort = {_toml(options.reasoning_effort)}")
        lines += ["", f"[model_providers.{PROVIDER}]", 'name = "lastexam model channel"',
                  f"base_url = {_toml(base_url)}", f"env_key = {_toml(KEY_VARIABLE)}", 'wire_api = "responses"']
        for name, argv in mcp_servers.items():
            lines += ["", f"[mcp_servers.{name}]", f"command = {_toml(argv[0])}",
                      f"args = [{', '.join(_toml(arg) for arg in argv[1:])}]", 'env_vars = ["DISPLAY"]',
                      # Codex leaves out a server not up within its start-up time (10 s by default): a loaded
                      # sandbox needs longer.
                      f"startup_timeout_sec = {MCP_STARTUP_SEC}", f"tool_timeout_sec = {MCP_TOOL_SEC}"]
        return {".codex/config.toml": "\n".join(lines) + "\n"}

    def command(self, run: CliRun) -> list[str]:
        return [program("codex"), "exec", "--json", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox",
                "--cd", HOME_DIR, "--", run.instruction]

    def environment(self, run: CliRun) -> dict[str, str]:
        return {KEY_VARIABLE: CHANNEL_KEY}

    def transcript(self, run: CliRun, builder: TranscriptBuilder) -> dict[str, Any]:
        events = json_lines(run.stdout)
        thread = next((e.get("thread_id") for e in events if e.get("type") == "thread.started"), None)
        totals = [e.get("usage") or {} for e in events if e.get("type") == "turn.completed"]
        failed = [e.get("error") for e in events if e.get("type") == "turn.failed"]
        builder.message("user", run.instruction)
        rollout = _rollout(run, thread)
        if rollout:
            _steps_from_rollout(builder, rollout)
        else:
            _steps_from_events(builder, events, totals)
        return {"thread_id": thread, "rollout": bool(rollout), "cli_usage": totals, "turn_failed": failed or None}


def _rollout(run: CliRun, thread: str | None) -> list[dict[str, Any]]:
    if not thread:
        return []
    sessions = run.home / ".codex" / "sessions"
    for path in sorted(sessions.rglob(f"rollout-*{thread}.jsonl")) if sessions.is_dir() else []:
        if records := home_json_lines(run.home, path):
            return records
    return []


def _usage(raw: dict[str, Any]) -> CallUsage:
    """Codex's token counts: ``input_tokens`` includes ``cached_input_tokens``."""
    return CallUsage(input_tokens=int(raw.get("input_tokens") or 0), output_tokens=int(raw.get("output_tokens") or 0),
                     cached_tokens=int(raw.get("cached_input_tokens") or 0),
                     cache_write_tokens=int(raw.get("cache_write_input_tokens") or 0),
                     reasoning_tokens=int(raw.get("reasoning_output_tokens") or 0))


def _steps_from_rollout(builder: TranscriptBuilder, records: list[dict[str, Any]]) -> None:
    """One step per model call: its response items, closed by the call's ``token_usage_record``."""
    text: list[str] = []
    reasoning: list[str] = []
    calls: list[ToolCall] = []
    outputs: list[tuple[str, str]] = []
    for record in records:
        kind, payload = record.get("type"), record.get("payload") or {}
        if kind == "response_item":
            item = payload.get("type")
            if item == "message" and payload.get("role") == "assistant":
                text += [str(p.get("text", "")) for p in payload.get("content") or [] if "text" in p]
            elif item == "reasoning":
                reasoning += [str(p.get("text", "")) for p in payload.get("summary") or []]
            elif item in ("function_call", "custom_tool_call", "local_shell_call"):
                name = str(payload.get("name") or item)
                if payload.get("namespace"):  # an MCP server's tool, offered as a Responses API namespace
                    name = f"{payload['namespace']}__{name}"
                calls.append(ToolCall(tool_call_id=str(payload.get("call_id")), function_name=name,
                                      arguments=tool_arguments(payload.get("arguments", payload.get("input",
                                                                                              payload.get("action"))))))
            elif item in ("function_call_output", "custom_tool_call_output"):
                outputs.append((str(payload.get("call_id")), text_of(payload.get("output", ""))))
        elif kind == "token_usage_record":
            for call_id, output in outputs:
                builder.result(call_id, output)
            builder.model_call("\n".join(text), usage=_usage(payload.get("usage") or {}), tool_calls=calls,
                               reasoning="\n".join(reasoning), extra={"response_id": payload.get("response_id")})
            text, reasoning, calls, outputs = [], [], [], []
    for call_id, output in outputs:
        builder.result(call_id, output)


def _steps_from_events(builder: TranscriptBuilder, events: list[dict[str, Any]], totals: list[dict[str, Any]]) -> None:
    """Without the rollout: one step per completed item; the run's totals as the last step's usage."""
    for event in events:
        item = event.get("item") or {}
        if event.get("type") != "item.completed" or item.get("type") == "error":
            continue
        if item.get("type") == "command_execution":
            step = builder.model_call("", usage=None, tool_calls=[
                ToolCall(tool_call_id=str(item.get("id")), function_name="command_execution",
                         arguments={"command": item.get("command")})])
            builder.result(str(item.get("id")), text_of(item.get("aggregated_output", "")))
            step.extra = {"exit_code": item.get("exit_code")}
        else:
            builder.model_call(text_of(item.get("text", item)), usage=None, extra={"item_type": item.get("type")})
    for total in totals:
        builder.model_call("", usage=_usage(total), extra={"usage_of": "the whole turn (exec --json totals)"})
