"""The ``llm`` agent: a model-agnostic tool-using loop over any OpenAI-compatible endpoint.

The loop runs on the host; the model is called from here, so the sandbox needs no network. Each
tool call is one command inside the sandbox. Before every model call the limits are checked:
turns, tokens or cost reached end the run as ``limit``; the wall limit (the config's, capped by the
task's) ends it as ``timeout``. A model service that keeps failing sets ``infra_error``.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import traceback
import uuid
from importlib.metadata import version
from typing import Any

import openai

from lastexam.agents.accounting import CallUsage, add_call, call_usage, prices_for
from lastexam.agents.base import AgentContext
from lastexam.agents.config import AgentConfig
from lastexam.agents.llm.client import Completion, ModelClient, ModelServiceError
from lastexam.agents.llm.context import Conversation
from lastexam.agents.llm.options import LlmOptions
from lastexam.agents.llm.tools import Toolbox, ToolResult, tool_definitions
from lastexam.contracts.agent import AgentOutcome, AgentRun, Usage
from lastexam.contracts.sandbox import HOME_DIR, INPUT_DIR, OUTPUT_DIR
from lastexam.contracts.trajectory import (
    AgentInfo,
    ContentPart,
    ImageSource,
    Observation,
    ObservationResult,
    ToolCall,
    Trajectory,
)
from lastexam.desktop import record_final_screenshot
from lastexam.desktop.session import DesktopSession
from lastexam.errors import SandboxError
from lastexam.sandbox import Sandbox, Workspace
from lastexam.tasks.loader import Task

DEFAULT_BASE_URL = "https://api.openai.com/v1"
NO_KEY = "no-key"


def system_prompt(wall_sec: float, config: AgentConfig, display: str | None = None) -> str:
    """The built-in system prompt: the machine, the rules of the exam, the budget."""
    limits = [f"about {wall_sec / 60:.0f} minutes of wall time"]
    if config.limits.turns:
        limits.append(f"at most {config.limits.turns} model turns")
    return (
        "You are a professional doing a piece of real work on an isolated Linux machine without network access. "
        "The assignment is the next message; nobody will answer questions, so make the sensible professional "
        "choice where it is silent and say so in your deliverables where it matters.\n\n"
        f"- The inputs are in {INPUT_DIR} (read-only).\n"
        f"- Write every deliverable to {OUTPUT_DIR}: only what is there when you stop is assessed.\n"
        f"- {HOME_DIR} (your home) and /tmp are scratch space.\n"
        "- The software of the trade is installed; find it with `which`, `--version`, `python3 -c 'import x'`.\n"
        "- Each shell call is a fresh bash process started in your home directory.\n"
        + (f"- The machine has a {display} desktop. Start a program on it from shell in the background "
           "(`mousepad file &`): it stays open between calls. See it with screenshot and work it with click, "
           "type, key and the other computer tools; coordinates are screen pixels.\n" if display else "")
        +
        f"- Your budget: {', '.join(limits)}. Check your results before you finish.\n\n"
        "When the deliverables are complete and checked, call the finish tool."
    )


def _arguments(raw: str | None) -> tuple[dict[str, Any], str | None]:
    try:
        value = json.loads(raw or "{}")
    except ValueError as exc:
        return {"_raw": raw}, f"error: the arguments are not valid JSON ({exc}); send a JSON object"
    if not isinstance(value, dict):
        return {"_raw": raw}, "error: the arguments must be a JSON object"
    return value, None


class LlmAgent:
    """The built-in loop. Build it from a config (offline and cheap); ``run`` does the work."""

    def __init__(self, config: AgentConfig) -> None:
        """Raises ConfigError for bad options or an unset API key variable."""
        self.config = config
        self.options = config.parse_options(LlmOptions)
        self.name = config.agent_name
        self.prices = config.prices or prices_for(config.model)
        self._api_key = config.api_key() or NO_KEY

    def stage(self, workspace: Workspace, task: Task) -> None:
        Toolbox.stage(workspace)

    async def run(self, sandbox: Sandbox, context: AgentContext) -> AgentRun:
        """Work until the model finishes or a limit stops it; every sandbox process is dead on return."""
        loop = asyncio.get_running_loop()
        wall = min(context.timeout, self.config.limits.wall_sec or context.timeout)
        deadline = loop.time() + wall
        session = DesktopSession(sandbox, context.logs_dir, wall) if sandbox.display else None
        run = _Run(self, session or sandbox, context, wall)
        client = openai.AsyncOpenAI(api_key=self._api_key, base_url=self.config.base_url or DEFAULT_BASE_URL,
                                    max_retries=0, timeout=self.options.request_timeout_sec)
        model = ModelClient(client, self.config.model, self.options)
        infra_error: str | None = None
        try:
            async with asyncio.timeout_at(deadline):
                outcome, detail = await run.loop(model, deadline)
        except TimeoutError:
            unanswered = model.unanswered_for(loop.time())
            if unanswered >= self.options.unanswered_sec:
                detail = (f"the model service had not answered a request for {unanswered:.0f} s when the "
                          f"{wall:g} s wall limit came (unanswered_sec: {self.options.unanswered_sec:g})")
                outcome, infra_error = "crashed", detail
            else:
                outcome, detail = "timeout", f"stopped at the {wall:g} s wall limit"
        except (ModelServiceError, SandboxError) as exc:
            outcome, detail, infra_error = "crashed", str(exc), str(exc)
        except Exception as exc:  # a fault of this harness: an infra error, with the trajectory so far
            (context.logs_dir / "llm_agent_error.log").write_text(traceback.format_exc())
            detail = f"the llm harness failed ({type(exc).__name__}: {exc}); see logs/llm_agent_error.log"
            outcome, infra_error = "crashed", detail
        finally:
            run.toolbox.close()
            await client.close()
            if session is not None:
                try:
                    record_final_screenshot(run.trajectory, await session.keep_final_screenshot(), context.logs_dir)
                finally:
                    await session.close()
        return run.finish(outcome, detail, infra_error=infra_error)


class _Run:
    """The state of one run: conversation, trajectory, totals."""

    def __init__(self, agent: LlmAgent, sandbox: Sandbox, context: AgentContext, wall: float) -> None:
        self.agent = agent
        self.config = agent.config
        self.options = agent.options
        self.context = context
        self.started = time.monotonic()
        self.toolbox = Toolbox(sandbox, self.options, context.logs_dir)
        self.tools = tool_definitions(self.options, desktop=bool(sandbox.display))
        self.usage = Usage()
        self.conversation = Conversation()
        self.trajectory = Trajectory(
            session_id=str(uuid.uuid4()),
            agent=AgentInfo(name=agent.name, version=version("lastexam"), model_name=self.config.model,
                            tool_definitions=self.tools,
                            extra={"harness": "llm", "config": str(self.config.source or ""),
                                   "base_url": self.config.base_url or DEFAULT_BASE_URL,
                                   "limits": self.config.limits.model_dump(exclude_none=True),
                                   "options": self.options.model_dump(exclude_defaults=True)}),
        )
        prompt = self.options.system_prompt or system_prompt(wall, self.config, sandbox.display)
        self.conversation.add({"role": "system", "content": prompt})
        self.trajectory.add_step("system", prompt)
        self.conversation.add({"role": "user", "content": context.instruction})
        self.trajectory.add_step("user", context.instruction)

    def over_limit(self) -> str | None:
        """Which budget is spent, if any (checked before each model call)."""
        limits, used = self.config.limits, self.usage
        if limits.turns is not None and used.turns >= limits.turns:
            return f"turn limit reached ({used.turns} of {limits.turns} model calls)"
        if limits.tokens is not None and used.input_tokens + used.output_tokens >= limits.tokens:
            return f"token limit reached ({used.input_tokens + used.output_tokens} of {limits.tokens} tokens)"
        if limits.cost_usd is not None and used.cost_usd is not None and used.cost_usd >= limits.cost_usd:
            return f"cost limit reached (${used.cost_usd:.4f} of ${limits.cost_usd:g})"
        return None

    async def loop(self, model: ModelClient, deadline: float) -> tuple[AgentOutcome, str]:
        while True:
            if reason := self.over_limit():
                self.trajectory.add_step("system", f"stopped: {reason}", extra={"stop": "limit"})
                return "limit", reason
            self.manage_context()
            began = time.monotonic()
            completion = await model.complete(self.conversation.messages, self.tools, deadline)
            call = call_usage(completion.usage, self.agent.prices)
            if self.config.limits.cost_usd is not None and call.cost_usd is None:
                raise ModelServiceError(
                    f"the cost of model {self.config.model} is unknown, so its cost limit cannot be kept. Fix: add "
                    f"`prices:` to {self.config.where} or an entry to lastexam/data/prices.toml")
            add_call(self.usage, call, completion.seconds)
            self.conversation.counted(call.input_tokens, call.output_tokens)
            self.conversation.add(self._assistant_message(completion))
            finished = await self.act(completion, call, began)
            if finished:
                return "completed", ""
            if not completion.tool_calls:
                if completion.finish_reason != "length":
                    return "completed", "the model ended its turn without a tool call"
                note = "Your reply was cut off at the output limit. Continue, and keep each tool call smaller."
                self.conversation.add({"role": "user", "content": note})
                self.trajectory.add_step("user", note)

    @staticmethod
    def _assistant_message(completion: Completion) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": completion.content or None}
        if completion.tool_calls:
            message["tool_calls"] = completion.tool_calls
        return message

    async def act(self, completion: Completion, call: CallUsage, began: float) -> bool:
        """Record the step, then run its tool calls in order; True when ``finish`` was called.

        The step is recorded before its tools run, so a run stopped mid-command still shows the
        command; each result is added to the step's observation as it arrives.
        """
        parsed = [(raw["id"], raw["function"]["name"], *_arguments(raw["function"]["arguments"]))
                  for raw in completion.tool_calls]
        extra: dict[str, Any] = {"finish_reason": completion.finish_reason}
        if completion.retries:
            extra["retried_errors"] = completion.retries
        metrics = call.metrics(model_seconds=completion.seconds, wall_seconds=time.monotonic() - began)
        step = self.trajectory.add_step(
            "agent", completion.content, model_name=completion.model, reasoning_content=completion.reasoning,
            reasoning_effort=self.options.reasoning_effort, metrics=metrics, extra=extra,
            tool_calls=[ToolCall(tool_call_id=i, function_name=n, arguments=a) for i, n, a, _ in parsed] or None,
            observation=Observation(results=[]) if parsed else None,
        )
        finished = False
        for call_id, name, arguments, problem in parsed:
            result = ToolResult(text=problem) if problem else await self.toolbox.call(name, arguments)
            finished = finished or result.finished
            self.conversation.add_tool_result(call_id, result.text)
            content: str | list[ContentPart] = result.text
            if result.image is not None:
                self.conversation.add_image(call_id, result.image)
                relative = os.path.relpath(result.image.path, self.context.logs_dir.parent)
                content = [ContentPart(type="text", text=result.text),
                           ContentPart(type="image", source=ImageSource(media_type=result.image.media_type,
                                                                        path=relative))]
            assert step.observation is not None
            step.observation.results.append(ObservationResult(source_call_id=call_id, content=content))
            assert metrics.extra is not None
            metrics.extra["wall_seconds"] = round(time.monotonic() - began, 3)
        return finished

    def manage_context(self) -> None:
        if self.conversation.estimated_tokens <= self.options.context_tokens:
            return
        estimate = self.conversation.estimated_tokens
        elision = self.conversation.elide(self.options.keep_recent_results)
        if elision is not None:
            self.trajectory.add_step(
                "system", f"context management: the output of {len(elision.call_ids)} earlier tool calls "
                f"({elision.characters} characters) was elided from the model's context (estimated prompt "
                f"{estimate} tokens > budget {self.options.context_tokens})",
                extra={"context_elision": {"call_ids": elision.call_ids, "characters": elision.characters,
                                           "estimated_tokens": estimate}})

    def finish(self, outcome: AgentOutcome, detail: str, infra_error: str | None = None) -> AgentRun:
        trajectory = self.trajectory.finalize()
        assert trajectory.final_metrics is not None
        trajectory.final_metrics.extra = {
            "total_cache_write_tokens": self.usage.cache_write_tokens,
            "total_model_seconds": round(self.usage.model_seconds, 3),
            "wall_seconds": round(time.monotonic() - self.started, 3), "turns": self.usage.turns,
            "outcome": outcome,
        }
        return AgentRun(outcome=outcome, usage=self.usage, trajectory=trajectory, detail=detail,
                        infra_error=infra_error)
