"""The OpenAI Responses protocol (``POST /v1/responses``): a scripted ``Reply`` as a response or as SSE events.

``reasoning`` becomes a ``reasoning`` item with one summary, text a ``message`` item with one
``output_text`` part, each tool call a ``function_call`` item (with its ``namespace`` when it has one). Usage follows the Responses API:
``input_tokens`` includes ``input_tokens_details.cached_tokens``.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from modelserver.openai_chat import CHARS_PER_TOKEN, error
from modelserver.script import Reply, TokenUsage

PATHS = ("/v1/responses", "/responses")
__all__ = ["error", "matches", "response", "stream", "wants_stream"]


def matches(path: str) -> bool:
    return path in PATHS


def wants_stream(path: str, body: dict[str, Any]) -> bool:
    return bool(body.get("stream"))


def _arguments(arguments: dict[str, Any] | str) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


def usage_of(reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
    tokens = reply.usage or TokenUsage(
        prompt_tokens=max(len(json.dumps(body.get("input", ""))) // CHARS_PER_TOKEN, 1),
        completion_tokens=max((len(reply.content or "") + sum(len(_arguments(c.arguments)) for c in reply.tool_calls))
                              // CHARS_PER_TOKEN, 1))
    return {"input_tokens": tokens.prompt_tokens, "input_tokens_details": {"cached_tokens": tokens.cached_tokens},
            "output_tokens": tokens.completion_tokens,
            "output_tokens_details": {"reasoning_tokens": tokens.reasoning_tokens},
            "total_tokens": tokens.prompt_tokens + tokens.completion_tokens}


def _items(reply: Reply) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if reply.reasoning:
        items.append({"type": "reasoning", "id": f"rs_{uuid.uuid4().hex[:16]}",
                      "summary": [{"type": "summary_text", "text": reply.reasoning}]})
    if reply.content:
        items.append({"type": "message", "id": f"msg_{uuid.uuid4().hex[:16]}", "role": "assistant",
                      "status": "completed",
                      "content": [{"type": "output_text", "text": reply.content, "annotations": []}]})
    items += [{"type": "function_call", "id": f"fc_{uuid.uuid4().hex[:16]}", "status": "completed",
               "call_id": c.id or f"call_{uuid.uuid4().hex[:12]}", "name": c.name, "arguments": _arguments(c.arguments),
               **({"namespace": c.namespace} if c.namespace else {})}
              for c in reply.tool_calls]
    return items


def response(reply: Reply, body: dict[str, Any], path: str) -> dict[str, Any]:
    """A completed ``response`` object."""
    return {"id": f"resp_{uuid.uuid4().hex[:24]}", "object": "response", "created_at": int(time.time()),
            "status": "incomplete" if reply.finish_reason == "length" else "completed",
            "model": reply.model or body.get("model", "scripted"), "output": _items(reply),
            "usage": usage_of(reply, body)}


def _event(name: str, sequence: int, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps({'type': name, 'sequence_number': sequence, **data})}\n\n".encode()


def stream(reply: Reply, body: dict[str, Any], path: str) -> list[bytes]:
    """The SSE events of a streamed response: each item added, its deltas, done; then ``response.completed``."""
    final = response(reply, body, path)
    pending = {**final, "status": "in_progress", "output": [], "usage": None}
    out: list[tuple[str, dict[str, Any]]] = [("response.created", {"response": pending}),
                                             ("response.in_progress", {"response": pending})]
    for index, item in enumerate(final["output"]):
        at = {"output_index": index, "item_id": item["id"]}
        if item["type"] == "message":
            text = item["content"][0]["text"]
            out.append(("response.output_item.added", {"output_index": index,
                                                       "item": {**item, "status": "in_progress", "content": []}}))
            out.append(("response.content_part.added", {**at, "content_index": 0,
                                                         "part": {"type": "output_text", "text": "", "annotations": []}}))
            out += [("response.output_text.delta", {**at, "content_index": 0, "delta": text[i:i + 20]})
                    for i in range(0, len(text), 20)]
            out.append(("response.output_text.done", {**at, "content_index": 0, "text": text}))
            out.append(("response.content_part.done", {**at, "content_index": 0, "part": item["content"][0]}))
        elif item["type"] == "function_call":
            out.append(("response.output_item.added", {"output_index": index,
                                                       "item": {**item, "status": "in_progress", "arguments": ""}}))
            arguments = item["arguments"]
            out += [("response.function_call_arguments.delta", {**at, "delta": arguments[i:i + 40]})
                    for i in range(0, len(arguments), 40)]
            out.append(("response.function_call_arguments.done", {**at, "arguments": arguments}))
        else:
            out.append(("response.output_item.added", {"output_index": index, "item": {**item, "summary": []}}))
        out.append(("response.output_item.done", {"output_index": index, "item": item}))
    out.append(("response.completed" if final["status"] == "completed" else "response.incomplete",
                {"response": final}))
    return [_event(name, sequence, data) for sequence, (name, data) in enumerate(out)]

