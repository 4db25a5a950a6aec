"""The script a model server replays: one turn per request, in order.

A turn is a ``Reply`` (a model response) or a ``Failure`` (an HTTP error, or a dropped
connection). Both are pydantic models, so a script can also be a JSON file: a list of objects
with ``"kind": "reply"`` or ``"kind": "failure"``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolCallSpec(_Strict):
    """One tool call the scripted model makes. ``arguments`` may be a dict or raw (even invalid) JSON text."""

    name: str
    arguments: dict[str, Any] | str = Field(default_factory=dict)
    id: str | None = None
    namespace: str | None = None  # the Responses API's namespace of the tool (Codex offers MCP tools so)


class TokenUsage(_Strict):
    """The usage block to report. ``prompt_tokens`` includes ``cached_tokens`` and ``cache_write_tokens``."""

    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost: float | None = Field(default=None, description="reported as usage.cost (OpenRouter style) when set")


class Reply(_Strict):
    """A successful response. ``usage`` None: estimated from the request and reply sizes (4 chars a token)."""

    kind: Literal["reply"] = "reply"
    content: str | None = None
    tool_calls: list[ToolCallSpec] = Field(default_factory=list)
    reasoning: str | None = Field(default=None, description="sent as message.reasoning_content")
    finish_reason: str | None = Field(default=None, description="default: tool_calls when there are any, else stop")
    usage: TokenUsage | None = None
    model: str | None = Field(default=None, description="the model name to report; default: the one requested")
    delay_sec: float = Field(default=0.0, ge=0, description="wait this long before answering")


class Failure(_Strict):
    """An error answer, repeated ``times`` times (None: for every request from then on)."""

    kind: Literal["failure"] = "failure"
    status: int = Field(default=500, ge=400, le=599)
    message: str = "scripted failure"
    retry_after: float | None = Field(default=None, description="sent as the Retry-After header, seconds")
    times: int | None = Field(default=1, ge=1)
    drop_connection: bool = Field(default=False, description="close the socket without any answer instead")
    delay_sec: float = Field(default=0.0, ge=0)


Turn = Annotated[Reply | Failure, Field(discriminator="kind")]
TurnSource = Reply | Failure | Callable[[dict[str, Any]], Reply | Failure]
"""A scripted turn, or (in-process only) a function of the request body that returns one."""

_TURNS = TypeAdapter(list[Turn])


def call(name: str, id: str | None = None, namespace: str | None = None, **arguments: Any) -> ToolCallSpec:
    """Shorthand for a tool call with keyword arguments."""
    return ToolCallSpec(name=name, arguments=arguments, id=id, namespace=namespace)


def load_script(path: Path) -> list[Reply | Failure]:
    """A script from a JSON file holding a list of turns."""
    return _TURNS.validate_python(json.loads(Path(path).read_text()))


def dump_script(turns: list[Reply | Failure]) -> str:
    """The JSON text of a script (what ``load_script`` reads)."""
    return _TURNS.dump_json(turns, indent=2).decode()
