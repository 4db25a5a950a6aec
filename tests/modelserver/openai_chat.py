"""The OpenAI chat-completions protocol: a scripted ``Reply`` as a response body or as SSE chunks."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from modelserver.script import Failure, Reply, TokenUsage

CHARS_PER_TOKEN = 4


def _arguments(arguments: dict[str, Any] | str) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


def usage_of(reply: Reply, request: dict[str, Any]) -> dict[str, Any]:
    """The usage block: the scripted one, or an estimate from the sizes of request and reply."""
    tokens = reply.usage or TokenUsage(
        prompt_tokens=max(len(json.dumps(request.get("messages", []))) // CHARS_PER_TOKEN, 1),
        completion_tokens=max((len(reply.content or "") + sum(len(_arguments(c.arguments)) for c in reply.tool_calls))
                              // CHARS_PER_TOKEN, 1),
    )
    usage: dict[str, Any] = {
        "prompt_tokens": tokens.prompt_tokens, "completion_tokens": tokens.completion_tokens,
        "total_tokens": tokens.prompt_tokens + tokens.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": tokens.cached_tokens, "cache_write_tokens": tokens.cache_write_tokens},
        "completion_tokens_details": {"reasoning_tokens": tokens.reasoning_tokens},
    }
    if tokens.cost is not None:
        usage["cost"] = tokens.cost
    return usage


def _tool_calls(reply: Reply) -> list[dict[str, Any]]:
    return [{"id": c.id or f"call_{uuid.uuid4().hex[:12]}", "type": "function",
             "function": {"name": c.name, "arguments": _arguments(c.arguments)}} for c in reply.tool_calls]


def _finish_reason(reply: Reply) -> str:
    return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def completion(reply: Reply, request: dict[str, Any]) -> dict[str, Any]:
    """A ``chat.completion`` object."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = _tool_calls(reply)
    if reply.reasoning:
        message["reasoning_content"] = reply.reasoning
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:16]}", "object": "chat.completion", "created": int(time.time()),
        "model": reply.model or request.get("model", "scripted"),
        "choices": [{"index": 0, "message": message, "finish_reason": _finish_reason(reply), "logprobs": None}],
        "usage": usage_of(reply, request),
    }


def chunks(reply: Reply, request: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects of a streamed reply (the usage chunk when asked for)."""
    base = {"id": f"chatcmpl-{uuid.uuid4().hex[:16]}", "object": "chat.completion.chunk",
            "created": int(time.time()), "model": reply.model or request.get("model", "scripted")}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    out = [chunk({"role": "assistant", "content": ""})]
    if reply.reasoning:
        out.append(chunk({"reasoning_content": reply.reasoning}))
    text = reply.content or ""
    out += [chunk({"content": text[i:i + 20]}) for i in range(0, len(text), 20)]
    for index, call in enumerate(_tool_calls(reply)):
        arguments = call["function"]["arguments"]
        out.append(chunk({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                          "function": {"name": call["function"]["name"], "arguments": ""}}]}))
        out += [chunk({"tool_calls": [{"index": index, "function": {"arguments": arguments[i:i + 40]}}]})
                for i in range(0, len(arguments), 40)]
    out.append(chunk({}, _finish_reason(reply)))
    if (request.get("stream_options") or {}).get("include_usage"):
        out.append({**base, "choices": [], "usage": usage_of(reply, request)})
    return out


def error(failure: Failure) -> dict[str, Any]:
    """The error body OpenAI-compatible services send."""
    kind = {429: "rate_limit_exceeded", 401: "invalid_api_key"}.get(failure.status, "server_error")
    return {"error": {"message": failure.message, "type": kind, "param": None, "code": kind}}
