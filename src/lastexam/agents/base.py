"""The agent contract: given the instruction and a sandbox, work until done or stopped."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from lastexam.contracts.agent import AgentRun
from lastexam.contracts.sandbox import LimitName
from lastexam.sandbox import Sandbox, Workspace
from lastexam.tasks.loader import Task

INSTRUCTION_PATH = "/workspace/instruction.md"


def sandbox_limit_detail(limit: LimitName) -> str:
    """How a run ended by a sandbox limit is described to the agent and in the results."""
    return f"stopped: over the sandbox's {limit} limit"


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
