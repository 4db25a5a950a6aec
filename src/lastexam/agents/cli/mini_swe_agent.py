"""mini-swe-agent (PyPI ``mini-swe-agent``): a bash-only agent whose model calls go through litellm.

Run as ``mini --agent-class default -y --exit-immediately`` with its own ``mini.yaml`` prompts, a
settings file that points litellm at the channel, and ``-o`` for its trajectory
(``mini-swe-agent-1.1``: the chat messages, each model reply with the provider's raw response and
its usage). Model names without a provider prefix are sent as ``openai/NAME`` (any
OpenAI-compatible chat-completions endpoint).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import yaml
from pydantic import Field

from lastexam.agents.accounting import call_usage
from lastexam.agents.cli.adapter import CHANNEL_KEY, CliOptions, CliRun, program
from lastexam.agents.cli.install import PACKAGES
from lastexam.agents.cli.transcript import TranscriptBuilder, json_object, read_home_file, text_of, tool_arguments
from lastexam.agents.config import AgentConfig
from lastexam.contracts.sandbox import HOME_DIR
from lastexam.contracts.trajectory import ToolCall
from lastexam.sandbox.channel import (
    ANTHROPIC_MESSAGES,
    GEMINI_GENERATE,
    OPENAI_CHAT,
    OPENAI_RESPONSES,
    Credential,
    model_calls,
)

SETTINGS = ".config/lastexam/mini-swe-agent.yaml"
TRAJECTORY = ".local/share/lastexam/mini.traj.json"


class MiniOptions(CliOptions):
    """Options of the ``mini_swe_agent`` harness."""

    command_timeout_sec: int = Field(default=600, ge=1, description="the longest one bash action may run")


def litellm_model(model: str) -> str:
    """The litellm model name: the config's, with ``openai/`` added when it names no provider."""
    return model if "/" in model else f"openai/{model}"


class MiniSweAgentDriver:
    package: ClassVar = PACKAGES["mini_swe_agent"]
    summary: ClassVar = "mini-swe-agent (bash-only agent over litellm), in the sandbox through the model channel"
    default_base_url: ClassVar = "https://api.openai.com/v1"
    options_model: ClassVar = MiniOptions
    native_transcripts: ClassVar = (TRAJECTORY,)

    def credential(self, config: AgentConfig, key: str) -> Credential:
        provider = litellm_model(config.model).split("/", 1)[0]
        if provider == "anthropic":
            return Credential("x-api-key", key)
        if provider == "gemini":
            return Credential("x-goog-api-key", key)
        return Credential.bearer(key)

    def model_calls(self, config: AgentConfig) -> re.Pattern[str]:
        provider = litellm_model(config.model).split("/", 1)[0]
        if provider == "anthropic":
            return model_calls(ANTHROPIC_MESSAGES)
        if provider == "gemini":
            return model_calls(GEMINI_GENERATE)
        return model_calls(OPENAI_CHAT, OPENAI_RESPONSES)

    def home_files(self, config: AgentConfig, options: CliOptions, base_url: str,
                   mcp_servers: dict[str, list[str]]) -> dict[str, str]:
        assert isinstance(options, MiniOptions)
        settings = {
            "agent": {"step_limit": config.limits.turns or 0, "cost_limit": 0},
            "model": {"model_kwargs": {"api_base": base_url, "api_key": CHANNEL_KEY}, "cost_tracking": "ignore_errors"},
            "environment": {"cwd": HOME_DIR, "timeout": options.command_timeout_sec},
        }
        return {SETTINGS: yaml.safe_dump(settings)}

    def command(self, run: CliRun) -> list[str]:
        return [program("mini_swe_agent"), "--agent-class", "default", "-y", "--exit-immediately",
                "-m", litellm_model(run.config.model), "-c", "mini.yaml", "-c", f"{HOME_DIR}/{SETTINGS}",
                "-o", f"{HOME_DIR}/{TRAJECTORY}", "-t", run.instruction]

    def environment(self, run: CliRun) -> dict[str, str]:
        return {"MSWEA_CONFIGURED": "true", "MSWEA_COST_TRACKING": "ignore_errors",
                "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONDONTWRITEBYTECODE": "1",
                "OPENAI_API_KEY": CHANNEL_KEY, "ANTHROPIC_API_KEY": CHANNEL_KEY, "GEMINI_API_KEY": CHANNEL_KEY}

    def transcript(self, run: CliRun, builder: TranscriptBuilder) -> dict[str, Any]:
        data = json_object(read_home_file(run.home, TRAJECTORY) or "")
        if data is None:
            return {"trajectory": "missing"}
        for message in data.get("messages", []):
            role, content, extra = message.get("role"), message.get("content"), message.get("extra") or {}
            if role in ("system", "user"):
                builder.message(role, text_of(content or ""))
            elif role == "assistant":
                response = extra.get("response") or {}
                usage = call_usage(response.get("usage") if isinstance(response, dict) else None, None)
                calls = [ToolCall(tool_call_id=c["id"], function_name=c["function"]["name"],
                                  arguments=tool_arguments(c["function"].get("arguments")))
                         for c in message.get("tool_calls") or []]
                builder.model_call(text_of(content or ""), usage=usage, tool_calls=calls,
                                   model_name=response.get("model") if isinstance(response, dict) else None,
                                   reasoning=message.get("reasoning_content"))
            elif role == "tool":
                builder.result(message.get("tool_call_id", ""), text_of(content or ""))
        info = data.get("info") or {}
        stats = info.get("model_stats") or {}
        exit_status = info.get("exit_status", "")
        # litellm's cost is 0 for a model it does not know: that is no figure at all.
        return {"exit_status": exit_status, "limit": exit_status in ("LimitsExceeded", "TimeExceeded"),
                "crashed": exit_status not in ("Submitted", "LimitsExceeded", "TimeExceeded"),
                "cli_cost_usd": stats.get("instance_cost") or None, "api_calls": stats.get("api_calls")}

