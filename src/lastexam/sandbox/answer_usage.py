"""The token usage a model answer reports, read from the body the model channel relayed.

Understands a JSON answer or a stream of server-sent events in the four protocols the channel
serves: OpenAI chat completions and Responses (``usage``, ``response.usage``), Anthropic Messages
(``usage`` and ``message.usage``; a stream reports input tokens first and output tokens last) and
Gemini (``usageMetadata``, renamed here to OpenAI-style keys). Later reports in a stream update
earlier ones, so cumulative counters end at their final value.
"""

from __future__ import annotations

import json
from typing import Any


def answer_usage(body: bytes) -> dict[str, Any] | None:
    """The usage object of one answer (keys as ``accounting.call_usage`` reads them), or None if it has none."""
    text = body.decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        documents = [_json(stripped)]
    else:
        documents = [_json(line[5:]) for line in text.splitlines() if line.startswith("data:")]
    usage: dict[str, Any] = {}
    for document in documents:
        for item in document if isinstance(document, list) else [document]:
            if isinstance(item, dict):
                usage.update(_reported(item))
    return usage or None


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _reported(event: dict[str, Any]) -> dict[str, Any]:
    """The usage counters one JSON document or stream event carries, with zero-or-missing ones left out
    so that a later partial report (an Anthropic ``message_delta``) never erases an earlier count."""
    found: dict[str, Any] = {}
    for holder in (event.get("message"), event.get("response"), event):
        if isinstance(holder, dict) and isinstance(holder.get("usage"), dict):
            found.update({k: v for k, v in holder["usage"].items() if v not in (None, 0)})
    metadata = event.get("usageMetadata")
    if isinstance(metadata, dict):
        found.update(_gemini(metadata))
    return found


def _gemini(metadata: dict[str, Any]) -> dict[str, Any]:
    output = (metadata.get("candidatesTokenCount") or 0) + (metadata.get("thoughtsTokenCount") or 0)
    usage: dict[str, Any] = {"prompt_tokens": metadata.get("promptTokenCount") or 0, "completion_tokens": output}
    if metadata.get("cachedContentTokenCount"):
        usage["prompt_tokens_details"] = {"cached_tokens": metadata["cachedContentTokenCount"]}
    return {k: v for k, v in usage.items() if v}
