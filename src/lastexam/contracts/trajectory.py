"""Trajectories in ATIF (Agent Trajectory Interchange Format), schema version 1.7.

Root: schema_version, session_id, agent, steps, optional notes, final_metrics, extra. Each step
has a 1-based step_id, a source (system, user or agent), a message, and optionally tool calls,
an observation (results keyed by the call they answer) and per-step metrics.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "ATIF-v1.7"
SCHEMA_FILE = "atif-v1.7.schema.json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentInfo(_Strict):
    name: str
    version: str
    model_name: str | None = None
    tool_definitions: list[dict[str, Any]] | None = None
    extra: dict[str, Any] | None = None


class ToolCall(_Strict):
    tool_call_id: str
    function_name: str
    arguments: dict[str, Any]


class ImageSource(_Strict):
    media_type: str
    path: str


class ContentPart(_Strict):
    type: Literal["text", "image"]
    text: str | None = None
    source: ImageSource | None = None


class ObservationResult(_Strict):
    source_call_id: str | None = None
    content: str | list[ContentPart] | None = None
    subagent_trajectory_ref: list[dict[str, Any]] | None = None


class Observation(_Strict):
    results: list[ObservationResult]


class Metrics(_Strict):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    cost_usd: float | None = None
    prompt_token_ids: list[int] | None = None
    completion_token_ids: list[int] | None = None
    logprobs: list[float] | None = None
    extra: dict[str, Any] | None = None


class Step(_Strict):
    step_id: int = Field(ge=1)
    timestamp: str | None = None
    source: Literal["system", "user", "agent"]
    model_name: str | None = None
    reasoning_effort: str | float | None = None
    message: str | list[ContentPart]
    reasoning_content: str | None = None
    tool_calls: list[ToolCall] | None = None
    observation: Observation | None = None
    metrics: Metrics | None = None
    extra: dict[str, Any] | None = None


class FinalMetrics(_Strict):
    total_prompt_tokens: int | None = None
    total_completion_tokens: int | None = None
    total_cached_tokens: int | None = None
    total_cost_usd: float | None = None
    total_steps: int | None = None
    extra: dict[str, Any] | None = None


class Trajectory(_Strict):
    schema_version: str = SCHEMA_VERSION
    session_id: str
    agent: AgentInfo
    steps: list[Step] = Field(default_factory=list)
    notes: str | None = None
    final_metrics: FinalMetrics | None = None
    extra: dict[str, Any] | None = None

    def add_step(self, source: Literal["system", "user", "agent"], message: str | list[ContentPart], **fields: Any) -> Step:
        """Append a step with the next step_id and the current time."""
        step = Step(
            step_id=len(self.steps) + 1, source=source, message=message,
            timestamp=dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), **fields,
        )
        self.steps.append(step)
        return step

    def finalize(self) -> Trajectory:
        """Fill ``final_metrics`` from the steps' metrics."""
        metrics = [s.metrics for s in self.steps if s.metrics]

        def total(name: str) -> int | None:
            values = [getattr(m, name) for m in metrics if getattr(m, name) is not None]
            return sum(values) if values else None

        costs = [m.cost_usd for m in metrics if m.cost_usd is not None]
        self.final_metrics = FinalMetrics(
            total_prompt_tokens=total("prompt_tokens"), total_completion_tokens=total("completion_tokens"),
            total_cached_tokens=total("cached_tokens"), total_cost_usd=sum(costs) if costs else None,
            total_steps=len(self.steps),
        )
        return self


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a trajectory, generated from these models."""
    schema = Trajectory.model_json_schema()
    schema["properties"]["schema_version"]["const"] = SCHEMA_VERSION
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"urn:lastexam:{SCHEMA_FILE}",
            **schema, "title": f"Agent Trajectory Interchange Format {SCHEMA_VERSION}"}


def packaged_json_schema() -> dict[str, Any]:
    """The schema as shipped in ``lastexam/data`` (kept equal to ``json_schema()`` by a test)."""
    return json.loads(resources.files("lastexam.data").joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))
