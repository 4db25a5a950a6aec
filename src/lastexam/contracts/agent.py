"""How an agent's run ended and what it cost."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from lastexam.contracts.sandbox import LimitName
from lastexam.contracts.trajectory import Trajectory

AgentOutcome = Literal["completed", "timeout", "limit", "crashed"]


class Usage(BaseModel):
    """What a trial cost. Tokens follow ATIF: ``input_tokens`` includes the cached ones. ``cost_usd`` is None
    when it is unknown: a model call could not be priced (it is never counted as $0)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float | None = 0.0
    model_seconds: float = 0.0
    turns: int = 0


class AgentRun(BaseModel):
    """How an agent's run ended. ``infra_error`` marks a failure of the harness or model service, not the agent.

    ``sandbox_limit`` names the sandbox limit (memory, disk, files, output) that ended the run, the
    agent's own failure; a run stopped at its wall limit is a ``timeout`` instead.
    """

    outcome: AgentOutcome
    usage: Usage
    trajectory: Trajectory
    detail: str = ""
    infra_error: str | None = None
    sandbox_limit: LimitName | None = None
