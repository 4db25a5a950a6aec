"""Gemini CLI (npm ``@google/gemini-cli``): Google's agent CLI over the Gemini API.

Run as ``gemini -p INSTRUCTION --output-format stream-json --yolo`` (every tool call approved; the
sandbox is the boundary) with API-key auth, folder trust on, telemetry and update checks off in
``~/.gemini/settings.json`` and ``GOOGLE_GEMINI_BASE_URL`` on the channel. Two records of the run:

- stdout, the ``stream-json`` events: ``init`` (session id), ``message`` pieces, ``tool_use``,
  ``tool_result`` (the tool's output) and ``result`` with the run's token totals;
- the chat file ``~/.gemini/tmp/PROJECT/chats/session-*.jsonl``: one ``gemini`` record per model
  call (its text, thoughts, tool calls and its own ``tokens``), rewritten as the call's tools finish.

The trajectory has one agent step per model call, from the chat file, with the tool outputs of the
``tool_result`` events; without the chat file the events make the steps and the totals one usage.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from lastexam.agents.accounting import CallUsage
from lastexam.agents.cli.adapter import CHANNEL_KEY, CliOptions, CliRun, program
from lastexam.agents.cli.install import PACKAGES
from lastexam.agents.cli.transcript import TranscriptBuilder, home_json_lines, json_lines, text_of
from lastexam.agents.config import AgentConfig
from lastexam.contracts.sandbox import WORKSPACE
from lastexam.contracts.trajectory import ToolCall
from lastexam.sandbox.channel import GEMINI_GENERATE, Credential, model_calls

SETTINGS = {
    "security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": False}},
    "general": {"disableAutoUpdate": True, "disableUpdateNag": True},
    "privacy": {"usageStatisticsEnabled": False},
    "telemetry": {"enabled": False},
}


class GeminiCliDriver:
    package: ClassVar = PACKAGES["gemini_cli"]
    summary: ClassVar = "Gemini CLI headless mode (Gemini API), in the sandbox through the model channel"
    default_base_url: ClassVar = "https://generativelanguage.googleapis.com"
    options_model: ClassVar = CliOptions
    native_transcripts: ClassVar = (".gemini/tmp/*/chats/*.json*",)

    def credential(self, config: AgentConfig, key: str) -> Credential:
        return Credential("x-goog-api-key", key)

    def model_calls(self, config: AgentConfig) -> re.Pattern[str]:
        return model_calls(GEMINI_GENERATE)

    def home_files(self, config: AgentConfig, options: CliOptions, base_url: str,
                   mcp_servers: dict[str, list[str]]) -> dict[str, str]:
        settings = dict(SETTINGS)
        if mcp_servers:
            settings["mcpServers"] = {name: {"command": argv[0], "args": argv[1:], "trust": True}
                                      for name, argv in mcp_servers.items()}
        return {".gemini/settings.json": json.dumps(settings, indent=2)}

    def command(self, run: CliRun) -> list[str]:
        return [program("gemini_cli"), "-p", run.instruction, "--output-format", "stream-json", "--yolo",
                "-m", run.config.model, "--include-directories", WORKSPACE]

    def environment(self, run: CliRun) -> dict[str, str]:
        # The sandbox caps address space (RLIMIT_AS); V8's WebAssembly guard regions reserve ~10 GB
        # of it per memory, which fails there unless bounds are checked in code instead.
        return {"GEMINI_API_KEY": CHANNEL_KEY, "GOOGLE_GEMINI_BASE_URL": run.base_url,
                "GEMINI_CLI_TRUST_WORKSPACE": "true", "NO_COLOR": "1", "NODE_OPTIONS": "--disable-wasm-trap-handler"}

    def transcript(self, run: CliRun, builder: TranscriptBuilder) -> dict[str, Any]:
        events = json_lines(run.stdout)
        session = next((e.get("session_id") for e in events if e.get("type") == "init"), None)
        outputs = {str(e.get("tool_id")): text_of(e.get("output", e.get("error", "")))
                   for e in events if e.get("type") == "tool_result"}
        result = next((e for e in reversed(events) if e.get("type") == "result"), {})
        builder.message("user", run.instruction)
        calls = _model_calls(run, session)
        if calls:
            for record in calls:
                _step(builder, record, outputs)
        else:
            _steps_from_events(builder, events, result.get("stats") or {})
        return {"session_id": session, "chat_file": bool(calls), "status": result.get("status"),
                "cli_stats": result.get("stats"), "error": result.get("error")}


def _model_calls(run: CliRun, session: str | None) -> list[dict[str, Any]]:
    """The chat file's ``gemini`` records, the last version of each, in the order they began."""
    chats = run.home / ".gemini" / "tmp"
    if not session or not chats.is_dir():
        return []
    for path in sorted(chats.rglob("session-*.jsonl")):
        records = home_json_lines(run.home, path)
        if not records or records[0].get("sessionId") != session:
            continue
        calls: dict[str, dict[str, Any]] = {}
        for record in records:
            if record.get("type") == "gemini" and record.get("id"):
                calls[str(record["id"])] = record
        return list(calls.values())
    return []


def _usage(tokens: dict[str, Any]) -> CallUsage:
    """Gemini's counts: ``input`` includes ``cached``; ``output`` leaves out ``thoughts``."""
    thoughts = int(tokens.get("thoughts") or 0)
    return CallUsage(input_tokens=int(tokens.get("input") or tokens.get("input_tokens") or 0),
                     output_tokens=int(tokens.get("output") or tokens.get("output_tokens") or 0) + thoughts,
                     cached_tokens=int(tokens.get("cached") or 0), reasoning_tokens=thoughts)


def _step(builder: TranscriptBuilder, record: dict[str, Any], outputs: dict[str, str]) -> None:
    thoughts = [f"{t.get('subject', '')}: {t.get('description', '')}".strip(": ") for t in record.get("thoughts") or []
                if isinstance(t, dict)]
    calls = [ToolCall(tool_call_id=str(c.get("id")), function_name=str(c.get("name")),
                      arguments=c.get("args") if isinstance(c.get("args"), dict) else {})
             for c in record.get("toolCalls") or []]
    builder.model_call(text_of(record.get("content") or ""), usage=_usage(record.get("tokens") or {}), tool_calls=calls,
                       model_name=record.get("model"), reasoning="\n".join(thoughts), extra={"message_id": record["id"]})
    for call in record.get("toolCalls") or []:
        call_id = str(call.get("id"))
        response = [r.get("functionResponse", {}).get("response") for r in call.get("result") or []]
        builder.result(call_id, outputs.get(call_id) or text_of(response[0] if response else ""))


def _steps_from_events(builder: TranscriptBuilder, events: list[dict[str, Any]], stats: dict[str, Any]) -> None:
    """Without the chat file: the model's text and tool calls in order; the run's totals as the last usage."""
    for event in events:
        kind = event.get("type")
        if kind == "message" and event.get("role") == "assistant":
            builder.model_call(str(event.get("content", "")), usage=None)
        elif kind == "tool_use":
            builder.model_call("", usage=None, tool_calls=[
                ToolCall(tool_call_id=str(event.get("tool_id")), function_name=str(event.get("tool_name")),
                         arguments=event.get("parameters") if isinstance(event.get("parameters"), dict) else {})])
        elif kind == "tool_result":
            builder.result(str(event.get("tool_id")), text_of(event.get("output", event.get("error", ""))))
    if stats:
        builder.model_call("", usage=_usage(stats), extra={"usage_of": "the whole run (stream-json totals)"})
