"""One trial as plain data: the request a worker runs, the key that makes it unique, the result the store keeps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from lastexam.contracts.agent import AgentOutcome, Usage
from lastexam.contracts.facts import RunFacts
from lastexam.contracts.grade import Check

TrialStatus = Literal["passed", "failed", "infra_error", "cancelled"]
FINAL_STATUSES: frozenset[str] = frozenset({"passed", "failed"})


class TrialKey(BaseModel, frozen=True):
    """What makes a trial unique inside an experiment."""

    agent: str
    instance: str
    epoch: int = Field(ge=1)

    @property
    def slug(self) -> str:
        safe_agent = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.agent)
        return f"{safe_agent}/{self.instance.replace('/', '__').replace('@', '@')}/epoch-{self.epoch}"


class TrialResult(BaseModel):
    """Everything recorded about one finished (or failed to run) trial."""

    key: TrialKey
    task_id: str
    task_version: str
    variant: int
    tier: str
    cluster: str
    subdomain: str
    status: TrialStatus
    agent_outcome: AgentOutcome | None = None
    score: float = 0.0
    passed: bool = False
    checks: list[Check] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    error: str | None = None
    attempts: int = 1
    started_at: dt.datetime
    finished_at: dt.datetime
    agent_seconds: float = 0.0
    grade_seconds: float = 0.0
    run_dir: str
    salt_hash: str | None = Field(None, description="hash of the salt mixed into the instance's seed (never the "
                                                    "salt); None for a public instance")
    task_released: dt.date | None = Field(None, description="the task's release date (task.toml ``released``)")
    knowledge_cutoff: dt.date | None = Field(None, description="the agent's model's training-data cutoff, when "
                                                               "its config states one")
    facts: RunFacts | None = Field(None, description="what the run showed (output files, tool calls, software use "
                                                      "judged against the task's declared executables), taken when "
                                                      "the trial ended; None in results of older versions")

    @property
    def duration_seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


DEFAULT_MAX_WALL = 5 * 3600


@dataclass(frozen=True)
class TaskRef:
    """Which task package a trial runs, as plain data: where its directory is on every node, what it is (the
    worker refuses a package whose version differs from the one planned) and what its sandbox needs of a node
    (task.toml ``[resources] cpus`` and ``memory_mb``)."""

    path: Path
    id: str
    version: str
    tier: str
    cluster: str
    subdomain: str
    released: dt.date | None = None
    cpus: float = 2.0
    memory_mb: int = 4096


@dataclass(frozen=True)
class TrialRequest:
    """One agent on one instance, one epoch, one attempt: plain, picklable data that can cross to another
    process or machine. ``params`` are the variant's parameters with its seed (salted or not: the salt itself
    never travels, only ``salt_hash``); ``max_wall`` caps the agent's wall time below the task's own limit."""

    task: TaskRef
    variant: int
    params: dict[str, Any]
    agent: str
    epoch: int
    run_dir: Path
    max_wall: float = DEFAULT_MAX_WALL
    attempt: int = 1
    salt_hash: str | None = None
    instance_cache: Path | None = None
    artifacts: str | None = None
    """The URL (``file://`` or ``s3://``, through fsspec) the finished run directory is published to; None: it
    stays at ``run_dir``."""
    agent_name: str | None = None
    """The name results record (e.g. ``llm:MODEL@STEM`` for ``agents/STEM.yaml``); default ``agent``."""
    knowledge_cutoff: dt.date | None = None
    """The agent's model's training-data cutoff, when its config states one."""
    video: bool = False
    """Record the desktop of a task that has one as video, kept in the run directory's ``logs/video/``."""

    @property
    def instance_id(self) -> str:
        return f"{self.task.id}@{self.variant}"

    @property
    def key(self) -> TrialKey:
        return TrialKey(agent=self.agent_name or self.agent, instance=self.instance_id, epoch=self.epoch)
