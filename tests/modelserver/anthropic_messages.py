"""The Anthropic Messages protocol (``POST /v1/messages``): a scripted ``Reply`` as a message or as SSE events.

Text becomes a ``text`` block, ``reasoning`` a ``thinking`` block (with a signature), each tool call a
``tool_use`` block. Usage follows Anthropic: ``input_tokens`` counts only the uncached prompt tokens;
cache reads and writes are ``cache_read_input_tokens`` and ``cache_creation_input_tokens``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from modelserver.openai_chat import CHARS_PER_TOKEN
from modelserver.script import Failure, Reply, TokenUsage

PATHS = ("/v1/messages", "/messages")
_STOP = {"length": "max_tokens", "stop": "end_turn", "tool_calls": "tool_use"}


def matches(path: str) -> bool:
    return path in PATHS


def wants_stream(path: str, body: dict[str, Any]) -> bool:
    return bool(body.get("stream"))


def _tokens(reply: Reply, body: dict[str, Any]) -> TokenUsage:
    if reply.usage is not None:
        return reply.usage
    prompt = len(json.dumps(body.get("messages", []))) + len(json.dumps(body.get("system", "")))
    completion = len(reply.content or "") + sum(len(json.dumps(c.arguments)) for c in reply.tool_calls)
    return TokenUsage(prompt_tokens=max(prompt // CHARS_PER_TOKEN, 1),
                      completion_tokens=max(completion // CHARS_PER_TOKEN, 1))


def usage_of(reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
    tokens = _tokens(reply, body)
    return {"input_tokens": tokens.prompt_tokens - tokens.cached_tokens - tokens.cache_write_tokens,
            "cache_creation_input_tokens": tokens.cache_write_tokens,
            "cache_read_input_tokens": tokens.cached_tokens, "output_tokens": tokens.completion_tokens}


def _input(arguments: dict[str, Any] | str) -> dict[str, Any]:
    return arguments if isinstance(arguments, dict) else json.loads(arguments)


def _blocks(reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.reasoning:
        blocks.append({"type": "thinking", "thinking": reply.reasoning, "signature": "c2NyaXB0ZWQ="})
    if reply.content:
        blocks.append({"type": "text", "text": reply.content})
    blocks += [{"type": "tool_use", "id": c.id or f"toolu_{uuid.uuid4().hex[:20]}", "name": c.name,
                "input": _input(c.arguments)} for c in reply.tool_calls]
    return blocks


def _stop_reason(reply: Reply) -> str:
    reason = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
    return _STOP.get(reason, reason)


def response(reply: Reply, body: dict[str, Any], path: str) -> dict[str, Any]:
    """A ``message`` object."""
    return {"id": f"msg_{uuid.uuid4().hex[:24]}", "type": "message", "role": "assistant",
            "model": reply.model or body.get("model", "scripted"), "content": _blocks(reply),
            "stop_reason": _stop_reason(reply), "stop_sequence": None, "usage": usage_of(reply, body)}


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n".encode()


def stream(reply: Reply, body: dict[str, Any], path: str) -> list[bytes]:
    """The SSE events of a streamed message, content in pieces, usage at the start and in ``message_delta``."""
    message = response(reply, body, path)
    usage = message["usage"]
    start = {**message, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
    events = [_event("message_start", {"message": start})]
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            empty, pieces = {"type": "text", "text": ""}, [{"type": "text_delta", "text": block["text"][i:i + 20]}
                                                          for i in range(0, len(block["text"]), 20)]
        elif block["type"] == "thinking":
            empty = {"type": "thinking", "thinking": ""}
            pieces = [{"type": "thinking_delta", "thinking": block["thinking"]},
                      {"type": "signature_delta", "signature": block["signature"]}]
        else:
            arguments = json.dumps(block["input"])
            empty = {**block, "input": {}}
            pieces = [{"type": "input_json_delta", "partial_json": arguments[i:i + 40]}
                      for i in range(0, len(arguments), 40)]
        events.append(_event("content_block_start", {"index": index, "content_block": empty}))
        events += [_event("content_block_delta", {"index": index, "delta": piece}) for piece in pieces]
        events.append(_event("content_block_stop", {"index": index}))
    events.append(_event("message_delta", {"delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                                           "usage": usage}))
    events.append(_event("message_stop", {}))
    return events


def error(failure: Failure) -> dict[str, Any]:
    """The error body the Messages API sends."""
    kind = {429: "rate_limit_error", 401: "authentication_error", 400: "invalid_request_error",
            529: "overloaded_error"}.get(failure.status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": failure.message}}
