"""The agent contract: given the instruction and a sandbox, work until done or stopped."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel

from lastexam.sandbox import Sandbox, Workspace
from lastexam.sandbox.base import LimitName
from lastexam.store.atif import Trajectory
from lastexam.tasks.loader import Task

AgentOutcome = Literal["completed", "timeout", "limit", "crashed"]
INSTRUCTION_PATH = "/workspace/instruction.md"


def sandbox_limit_detail(limit: LimitName) -> str:
    """How a run ended by a sandbox limit is described to the agent and in the results."""
    return f"stopped: over the sandbox's {limit} limit"


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


@dataclass(frozen=True)
class AgentContext:
    """What the harness tells an agent about its run."""

    instruction: str
    timeout: float
    logs_dir: Path


class Agent(Protocol):
    """The system under test."""

    name: str

    def stage(self, workspace: Workspace, task: Task) -> None:
        """Put the agent's own files into ``workspace.agent`` (read-only at /agent inside) before the sandbox starts."""
        ...

    async def run(self, sandbox: Sandbox, context: AgentContext) -> AgentRun:
        """Work in the sandbox until done or out of time; every process it started is dead on return."""
        ...
