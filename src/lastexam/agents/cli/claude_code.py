"""Claude Code (npm ``@anthropic-ai/claude-code``): Anthropic's agent CLI over the Messages API.

Run as ``claude -p INSTRUCTION --output-format stream-json --verbose --include-partial-messages
--dangerously-skip-permissions`` (print mode, every tool allowed; the sandbox is the boundary) with
``ANTHROPIC_BASE_URL`` on the channel and non-essential traffic off. Its stdout is the transcript:
``assistant`` events (one per content block, grouped by message id: one model call each), ``user``
events carrying ``tool_result`` blocks, ``stream_event`` events whose ``message_start`` and
``message_delta`` give each call's final token usage, and the closing ``result`` (totals, cost).
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from lastexam.agents.accounting import CallUsage, call_usage
from lastexam.agents.cli.adapter import CHANNEL_KEY, CliOptions, CliRun, program
from lastexam.agents.cli.install import PACKAGES
from lastexam.agents.cli.transcript import TranscriptBuilder, json_lines
from lastexam.agents.config import AgentConfig
from lastexam.contracts.sandbox import WORKSPACE
from lastexam.contracts.trajectory import Step, ToolCall
from lastexam.sandbox.channel import ANTHROPIC_MESSAGES, Credential, model_calls


class ClaudeCodeDriver:
    package: ClassVar = PACKAGES["claude_code"]
    summary: ClassVar = "Claude Code in print mode (Anthropic Messages API), in the sandbox through the model channel"
    default_base_url: ClassVar = "https://api.anthropic.com"
    options_model: ClassVar = CliOptions
    native_transcripts: ClassVar = (".claude/projects/**/*.jsonl",)

    def credential(self, config: AgentConfig, key: str) -> Credential:
        return Credential("x-api-key", key)

    def model_calls(self, config: AgentConfig) -> re.Pattern[str]:
        return model_calls(ANTHROPIC_MESSAGES)

    def home_files(self, config: AgentConfig, options: CliOptions, base_url: str,
                   mcp_servers: dict[str, list[str]]) -> dict[str, str]:
        if not mcp_servers:
            return {}
        servers = {name: {"type": "stdio", "command": argv[0], "args": argv[1:], "env": {}}
                   for name, argv in mcp_servers.items()}
        return {".claude.json": json.dumps({"mcpServers": servers}, indent=2)}

    def command(self, run: CliRun) -> list[str]:
        return [program("claude_code"), "-p", run.instruction, "--output-format", "stream-json", "--verbose",
                "--include-partial-messages", "--dangerously-skip-permissions", "--model", run.config.model,
                "--add-dir", WORKSPACE]

    def environment(self, run: CliRun) -> dict[str, str]:
        return {"ANTHROPIC_BASE_URL": run.base_url, "ANTHROPIC_API_KEY": CHANNEL_KEY,
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_AUTOUPDATER": "1",
                "DISABLE_TELEMETRY": "1", "DISABLE_ERROR_REPORTING": "1"}

    def transcript(self, run: CliRun, builder: TranscriptBuilder) -> dict[str, Any]:
        events = json_lines(run.stdout)
        usage = _final_usage(events)
        builder.message("user", run.instruction)
        steps: dict[str, Step] = {}
        reported: dict[str, Any] = {}
        for event in events:
            kind = event.get("type")
            message = event.get("message") or {}
            if kind == "system" and event.get("subtype") == "init":
                reported.update(cli_version=event.get("claude_code_version"), tools=event.get("tools"))
            elif kind == "assistant":
                _assistant(builder, steps, message, usage, event.get("parent_tool_use_id"))
            elif kind == "user" and isinstance(message.get("content"), list):
                for block in message["content"]:
                    if isinstance(block, dict) and block.get("type") == "tool_result":
                        builder.result(str(block.get("tool_use_id")), builder.content(block.get("content", "")))
            elif kind == "result":
                reported.update(subtype=event.get("subtype"), is_error=event.get("is_error"),
                                num_turns=event.get("num_turns"), cli_cost_usd=event.get("total_cost_usd"),
                                cli_usage=event.get("usage"), result=event.get("result"),
                                limit=event.get("subtype") == "error_max_turns")
        return reported


def _final_usage(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each message's usage as its stream ended: ``message_start`` updated by ``message_delta``."""
    usage: dict[str, dict[str, Any]] = {}
    current: dict[Any, str] = {}
    for event in events:
        if event.get("type") != "stream_event":
            continue
        raw, parent = event.get("event") or {}, event.get("parent_tool_use_id")
        if raw.get("type") == "message_start":
            message = raw.get("message") or {}
            current[parent] = str(message.get("id"))
            usage[current[parent]] = dict(message.get("usage") or {})
        elif raw.get("type") == "message_delta" and parent in current:
            usage[current[parent]].update({k: v for k, v in (raw.get("usage") or {}).items() if v is not None})
    return usage


def _assistant(builder: TranscriptBuilder, steps: dict[str, Step], message: dict[str, Any],
               usage: dict[str, dict[str, Any]], parent: str | None) -> None:
    """One ``assistant`` event: a new step for a new message id, else more content of its step."""
    key = str(message.get("id"))
    text, reasoning, calls = [], [], []
    for block in message.get("content") or []:
        if block.get("type") == "text":
            text.append(block.get("text", ""))
        elif block.get("type") == "thinking":
            reasoning.append(block.get("thinking", ""))
        elif block.get("type") == "tool_use":
            calls.append(ToolCall(tool_call_id=str(block.get("id")), function_name=str(block.get("name")),
                                  arguments=block.get("input") if isinstance(block.get("input"), dict) else {}))
    step = steps.get(key)
    if step is None:
        call: CallUsage = call_usage(usage.get(key) or message.get("usage"), None)
        steps[key] = builder.model_call("\n".join(text), usage=call, tool_calls=calls, model_name=message.get("model"),
                                        reasoning="\n".join(reasoning),
                                        extra={"message_id": key, "parent_tool_use_id": parent} if parent else
                                        {"message_id": key})
        return
    if text:
        step.message = "\n".join(filter(None, [str(step.message), *text]))
    if reasoning:
        step.reasoning_content = "\n".join(filter(None, [step.reasoning_content, *reasoning]))
    if calls:
        builder.add_tool_calls(step, calls)
