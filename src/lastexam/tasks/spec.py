"""The ``task.toml`` contract: everything the framework knows about a task before running it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Tier = Literal["near-term", "full-spectrum", "last-exam"]
_ID = re.compile(r"^[a-z][a-z0-9_]*/[a-z][a-z0-9_]*$")
CANARY_SHAPE = r"ALE-CANARY-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class Software(BaseModel):
    """The software a task needs, installed by ``ale setup``.

    ``debian`` packages land in the host's /usr (visible read-only in the sandbox); ``pypi``
    packages land in the sandbox's tool environment. ``executables`` are the programs an expert
    would use: analysis later tells whether an agent ran them or wrote an ad hoc substitute.
    """

    model_config = ConfigDict(extra="forbid")
    debian: list[str] = Field(default_factory=list)
    pypi: list[str] = Field(default_factory=list)
    executables: list[str] = Field(min_length=1)


class Resources(BaseModel):
    """Limits of the sandbox an agent works in."""

    model_config = ConfigDict(extra="forbid")
    memory_mb: int = Field(default=4096, ge=64)
    processes: int = Field(default=512, ge=8)
    file_size_mb: int = Field(default=1024, ge=1)
    output_mb: int = Field(default=256, ge=1)
    network: bool = False


class Variants(BaseModel):
    """Either a count of seeded variants or explicit parameter sets (one instance each)."""

    model_config = ConfigDict(extra="forbid")
    count: int | None = Field(default=None, ge=1)
    params: list[dict[str, Any]] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Variants:
        if (self.count is None) == (self.params is None):
            raise ValueError("give exactly one of 'count' or 'params'")
        if self.params is not None and not self.params:
            raise ValueError("'params' must list at least one parameter set")
        return self

    @property
    def size(self) -> int:
        return self.count if self.count is not None else len(self.params or [])


class Deliverable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str
    description: str

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        if value.startswith("/") or ".." in value.split("/"):
            raise ValueError("must be a relative path inside the output directory")
        return value


class TaskSpec(BaseModel):
    """The parsed ``task.toml``."""

    model_config = ConfigDict(extra="forbid")
    id: str
    title: str = Field(min_length=3)
    summary: str = Field(min_length=10)
    cluster: str
    subdomain: str
    tier: Tier
    version: str
    released: dt.date
    canary: str = Field(pattern=f"^{CANARY_SHAPE}$")
    """``ALE-CANARY-`` and a GUID of the task's own (``python3 -c 'import uuid; print(uuid.uuid4())'``)."""
    expert_minutes: int = Field(ge=1)
    expert_minutes_basis: str | None = Field(default=None, min_length=40)
    """How ``expert_minutes`` was reached: the stages an expert goes through and the time each takes."""
    agent_timeout_sec: int = Field(ge=10)
    grader_timeout_sec: int = Field(default=120, ge=5)
    software: Software
    resources: Resources = Field(default_factory=Resources)
    variants: Variants
    deliverables: list[Deliverable] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("must be 'cluster_code/task_name' in lower snake case")
        return value

    @property
    def name(self) -> str:
        return self.id.split("/", 1)[1]
