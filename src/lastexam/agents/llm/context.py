"""The conversation sent to the model, and how it is kept within the context budget.

When the estimated prompt outgrows the budget, the output of all but the most recent tool results
(and the images and large written contents that came with older calls) is replaced by a short
note; the loop records each elision as a system step of the trajectory. The estimate is the last
response's prompt and completion tokens plus about one token per four characters added since.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from lastexam.agents.llm.tools import Image

CHARS_PER_TOKEN = 4
_BIG_ARGUMENT = 2000


@dataclass
class Elision:
    """What one elision removed."""

    call_ids: list[str]
    characters: int


@dataclass
class _Result:
    index: int
    call_id: str
    image_index: int | None = None
    elided: bool = False


@dataclass
class Conversation:
    """OpenAI chat messages plus the bookkeeping that elision needs."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    _results: list[_Result] = field(default_factory=list)
    _counted_tokens: int = 0
    _chars_since: int = 0

    def add(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        self._chars_since += len(json.dumps(message.get("content") or "")) + sum(
            len(c["function"]["arguments"] or "") for c in message.get("tool_calls") or [])

    def add_tool_result(self, call_id: str, text: str) -> None:
        self._results.append(_Result(index=len(self.messages), call_id=call_id))
        self.add({"role": "tool", "tool_call_id": call_id, "content": text})

    def add_image(self, call_id: str, image: Image) -> None:
        """Attach an image as a user message (tool messages carry text only in this protocol)."""
        url = f"data:{image.media_type};base64,{base64.b64encode(image.data).decode('ascii')}"
        for result in reversed(self._results):
            if result.call_id == call_id:
                result.image_index = len(self.messages)
        self.messages.append({"role": "user", "content": [
            {"type": "text", "text": f"The image that tool call {call_id} returned:"},
            {"type": "image_url", "image_url": {"url": url}}]})
        self._chars_since += 1000  # what an image roughly costs, in characters of text

    def counted(self, prompt_tokens: int, completion_tokens: int) -> None:
        """The provider's count of the prompt just sent and the reply to it."""
        self._counted_tokens = prompt_tokens + completion_tokens
        self._chars_since = 0

    @property
    def estimated_tokens(self) -> int:
        return self._counted_tokens + self._chars_since // CHARS_PER_TOKEN

    def elide(self, keep_recent: int) -> Elision | None:
        """Replace the output of tool results older than the ``keep_recent`` newest; None if nothing was left."""
        older = [r for r in self._results[:-keep_recent] if not r.elided]
        if not older:
            return None
        removed = 0
        for result in older:
            message = self.messages[result.index]
            removed += len(message["content"])
            message["content"] = (f"[output elided to save context: {len(message['content'])} characters; "
                                  "repeat the call if you need it again]")
            if result.image_index is not None:
                image = self.messages[result.image_index]
                removed += len(image["content"][1]["image_url"]["url"])
                image["content"] = f"[image of tool call {result.call_id} elided to save context]"
            result.elided = True
        removed += self._elide_arguments(older[-1].index)
        self._counted_tokens = max(self._counted_tokens - removed // CHARS_PER_TOKEN, 0)
        return Elision(call_ids=[r.call_id for r in older], characters=removed)

    def _elide_arguments(self, before: int) -> int:
        """Shorten large string arguments (written file contents) of assistant messages before ``before``."""
        removed = 0
        for message in self.messages[:before]:
            for call in message.get("tool_calls") or []:
                try:
                    arguments = json.loads(call["function"]["arguments"] or "{}")
                except ValueError:
                    continue
                if not isinstance(arguments, dict):
                    continue
                changed = False
                for key, value in arguments.items():
                    if isinstance(value, str) and len(value) > _BIG_ARGUMENT:
                        arguments[key] = f"[{len(value)} characters elided to save context]"
                        removed += len(value)
                        changed = True
                if changed:
                    call["function"]["arguments"] = json.dumps(arguments)
        return removed
