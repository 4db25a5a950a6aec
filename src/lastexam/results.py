"""The result of one trial: the record the runner produces and the store keeps."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from lastexam.agents.base import AgentOutcome, Usage
from lastexam.analysis.facts import RunFacts
from lastexam.grading.model import Check

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
