"""The Gemini API (``POST /v1beta/models/MODEL:generateContent`` and ``:streamGenerateContent?alt=sse``).

A scripted ``Reply`` becomes one candidate whose parts are the reasoning (a ``thought`` part), the
text and a ``functionCall`` per tool call. Usage follows Gemini: ``promptTokenCount`` includes
``cachedContentTokenCount``; ``candidatesTokenCount`` leaves out ``thoughtsTokenCount``. A streamed
answer is the same response in chunks: the parts one by one, the usage and finish reason last.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from modelserver.openai_chat import CHARS_PER_TOKEN
from modelserver.script import Failure, Reply, TokenUsage

_PATH = re.compile(r"^/(v1|v1beta|v1alpha)/models/(?P<model>[^/:]+):(?P<method>generateContent|streamGenerateContent)$")
_FINISH = {"stop": "STOP", "tool_calls": "STOP", "length": "MAX_TOKENS"}
_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
           429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}


def matches(path: str) -> bool:
    return _PATH.match(path) is not None


def wants_stream(path: str, body: dict[str, Any]) -> bool:
    match = _PATH.match(path)
    return match is not None and match["method"] == "streamGenerateContent"


def usage_of(reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
    tokens = reply.usage or TokenUsage(
        prompt_tokens=max(len(json.dumps(body.get("contents", []))) // CHARS_PER_TOKEN, 1),
        completion_tokens=max((len(reply.content or "") + sum(len(json.dumps(c.arguments)) for c in reply.tool_calls))
                              // CHARS_PER_TOKEN, 1))
    return {"promptTokenCount": tokens.prompt_tokens, "cachedContentTokenCount": tokens.cached_tokens,
            "candidatesTokenCount": tokens.completion_tokens - tokens.reasoning_tokens,
            "thoughtsTokenCount": tokens.reasoning_tokens,
            "totalTokenCount": tokens.prompt_tokens + tokens.completion_tokens}


def _parts(reply: Reply) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    if reply.reasoning:
        parts.append({"text": reply.reasoning, "thought": True})
    if reply.content:
        parts.append({"text": reply.content})
    for call in reply.tool_calls:
        arguments = call.arguments if isinstance(call.arguments, dict) else json.loads(call.arguments)
        parts.append({"functionCall": {"name": call.name, "args": arguments, **({"id": call.id} if call.id else {})}})
    return parts


def _response(reply: Reply, path: str, parts: list[dict[str, Any]], last: bool, usage: dict[str, Any]) -> dict[str, Any]:
    match = _PATH.match(path)
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if last:
        candidate["finishReason"] = _FINISH.get(reply.finish_reason or "stop", reply.finish_reason)
    out: dict[str, Any] = {"candidates": [candidate], "modelVersion": reply.model or (match["model"] if match else ""),
                           "responseId": uuid.uuid4().hex[:20]}
    if last:
        out["usageMetadata"] = usage
    return out


def response(reply: Reply, body: dict[str, Any], path: str) -> dict[str, Any]:
    """A ``GenerateContentResponse``."""
    return _response(reply, path, _parts(reply), True, usage_of(reply, body))


def stream(reply: Reply, body: dict[str, Any], path: str) -> list[bytes]:
    """The SSE chunks of ``streamGenerateContent?alt=sse``: one part each, the last with finish reason and usage."""
    parts = _parts(reply) or [{"text": ""}]
    usage = usage_of(reply, body)
    chunks = [_response(reply, path, [part], i == len(parts) - 1, usage) for i, part in enumerate(parts)]
    return [f"data: {json.dumps(chunk)}\r\n\r\n".encode() for chunk in chunks]


def error(failure: Failure) -> dict[str, Any]:
    """The error body Google APIs send."""
    return {"error": {"code": failure.status, "message": failure.message,
                      "status": _STATUS.get(failure.status, "INTERNAL")}}
