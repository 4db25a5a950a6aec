"""The ``options`` of an ``llm`` agent config (unknown keys are errors)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class LlmOptions(BaseModel):
    """How the built-in loop calls the model, runs tools and manages its context."""

    model_config = ConfigDict(extra="forbid")

    temperature: float | None = Field(default=None, ge=0, le=2)
    max_output_tokens: int | None = Field(default=None, ge=1, description="per model call; not sent when unset")
    output_tokens_param: Literal["max_tokens", "max_completion_tokens"] = "max_completion_tokens"
    reasoning_effort: str | None = Field(default=None, description="sent as reasoning_effort (e.g. low, medium, high)")
    extra_body: dict[str, Any] = Field(default_factory=dict, description="provider-specific request fields, sent as is")
    system_prompt: str | None = Field(default=None, description="replaces the built-in system prompt")
    command_timeout_sec: float = Field(default=600, gt=0, description="the longest one shell call may run")
    output_limit_chars: int = Field(default=16000, ge=1000, description="tool output beyond this is cut in the middle")
    context_tokens: int = Field(default=120_000, ge=4000, description="elide old tool output above this prompt size")
    keep_recent_results: int = Field(default=4, ge=1, description="tool results never elided")
    vision: bool = Field(default=True, description="offer view_image (the model must accept image input)")
    max_image_bytes: int = Field(default=5_000_000, ge=1000)
    request_timeout_sec: float = Field(default=600, gt=0, description="one model request")
    unanswered_sec: float = Field(default=120, gt=0, description="a request still unanswered this long when the wall "
                                  "limit comes makes the trial an infra error (the service hung), not a timeout")
    retries: int = Field(default=6, ge=0, description="extra tries after a 429, 5xx or connection error")
    retry_base_sec: float = Field(default=2.0, gt=0, description="first backoff; doubles each retry")
    retry_max_sec: float = Field(default=60.0, gt=0, description="longest backoff (and Retry-After honoured)")
