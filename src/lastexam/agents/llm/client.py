"""One model call over the OpenAI chat-completions protocol, retried with exponential backoff.

Retried: 408, 409, 429, every 5xx, connection errors and timeouts, and a 200 without choices
(how some gateways report an upstream failure). ``Retry-After`` is honoured up to the longest
backoff. Anything else, or running out of retries (or of wall time to wait in), raises
``ModelServiceError``: a failure of the model service, never the agent's.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import openai
from openai.types.chat import ChatCompletion

from lastexam.agents.llm.options import LlmOptions
from lastexam.errors import LastExamError

RETRYABLE_STATUS = frozenset({408, 409, 429})


class ModelServiceError(LastExamError):
    """The model service failed for good (the trial is an infra_error, retried later)."""


@dataclass
class Completion:
    """A successful model response, reduced to what the loop needs."""

    content: str
    tool_calls: list[dict[str, Any]]
    reasoning: str | None
    finish_reason: str | None
    model: str | None
    usage: dict[str, Any]
    seconds: float
    retries: list[str] = field(default_factory=list)


def _retry_after(exc: openai.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class ModelClient:
    """Calls one model with the loop's tools; ``complete`` retries transient failures."""

    def __init__(self, client: openai.AsyncOpenAI, model: str, options: LlmOptions) -> None:
        self.client = client
        self.model = model
        self.options = options
        self._sent_at: float | None = None

    def unanswered_for(self, now: float) -> float:
        """Seconds the request in flight has waited for its answer at loop time ``now`` (0 when none is)."""
        return 0.0 if self._sent_at is None else now - self._sent_at

    def request(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> dict[str, Any]:
        """The JSON body of one chat-completions request (``extra_body`` merged in)."""
        o = self.options
        body: dict[str, Any] = {"model": self.model, "messages": messages, "tools": tools}
        if o.temperature is not None:
            body["temperature"] = o.temperature
        if o.max_output_tokens is not None:
            body[o.output_tokens_param] = o.max_output_tokens
        if o.reasoning_effort is not None:
            body["reasoning_effort"] = o.reasoning_effort
        return {**body, **o.extra_body}

    async def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], deadline: float) -> Completion:
        """One response. The caller bounds the wall time; no backoff wait is started that would end past
        ``deadline`` (a loop-clock time): the service is then declared failed instead.

        Raises:
            ModelServiceError: a non-retryable error, or retries exhausted.
        """
        loop = asyncio.get_running_loop()
        request = self.request(messages, tools)
        failures: list[str] = []
        while True:
            started = time.monotonic()
            retry_after: float | None = None
            try:
                # The low-level post skips the SDK's per-call walk over every message of the typed
                # parameters, which costs O(conversation) per step (150 ms at 200 messages).
                self._sent_at = loop.time()
                try:
                    response = await self.client.post("/chat/completions", body=request, cast_to=ChatCompletion)
                except Exception:
                    self._sent_at = None
                    raise  # a cancellation (the wall limit) is no answer: it keeps the time sent
                self._sent_at = None
                data = response.to_dict()
                if data.get("choices"):
                    return _completion(data, time.monotonic() - started, failures)
                failure = f"200 without choices: {str(data.get('error') or data)[:300]}"
            except openai.APIStatusError as exc:
                failure = f"{exc.status_code} {_message(exc)}"[:500]
                if exc.status_code not in RETRYABLE_STATUS and exc.status_code < 500:
                    raise ModelServiceError(f"the model service refused the request: {failure}{_hint(exc)}") from exc
                retry_after = _retry_after(exc)
            except openai.APIConnectionError as exc:
                failure = f"{type(exc).__name__}: {exc}"
            failures.append(failure)
            if len(failures) > self.options.retries:
                raise ModelServiceError(f"the model service failed {len(failures)} times; last: {failure}")
            delay = min(self.options.retry_base_sec * 2 ** (len(failures) - 1), self.options.retry_max_sec)
            delay = min(max(delay * random.uniform(0.8, 1.0), retry_after or 0.0), self.options.retry_max_sec)
            if loop.time() + delay >= deadline:
                raise ModelServiceError(f"the model service is failing ({failure}) and the wall limit is near")
            await asyncio.sleep(delay)


def _message(exc: openai.APIStatusError) -> str:
    """The service's own error message when its body has one, else the SDK's summary."""
    if isinstance(exc.body, dict) and isinstance(exc.body.get("message"), str):
        return exc.body["message"]
    return exc.message


def _hint(exc: openai.APIStatusError) -> str:
    if exc.status_code in (401, 403):
        return ". Fix: check the API key in the variable the config's api_key_env names"
    if exc.status_code == 404:
        return ". Fix: check base_url and the model name in the agent config"
    return ""


def _completion(data: dict[str, Any], seconds: float, failures: list[str]) -> Completion:
    choice = data["choices"][0]
    message = choice.get("message") or {}
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    content = message.get("content")
    return Completion(
        content=content if isinstance(content, str) else "", tool_calls=_tool_calls(message.get("tool_calls")),
        reasoning=reasoning if isinstance(reasoning, str) and reasoning else None,
        finish_reason=choice.get("finish_reason"), model=data.get("model"), usage=data.get("usage") or {},
        seconds=seconds, retries=failures,
    )


def _tool_calls(raw: Any) -> list[dict[str, Any]]:
    """Tool calls in the one shape the loop reads; an id or arguments a server left out are filled in."""
    calls = []
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        function = (item or {}).get("function") or {}
        arguments = function.get("arguments")
        calls.append({"id": item.get("id") or f"call_{index}_{uuid.uuid4().hex[:8]}", "type": "function",
                      "function": {"name": str(function.get("name") or ""),
                                   "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments or {})}})
    return calls
