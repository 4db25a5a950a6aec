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
    packages land in the task's own tool environment (``toolenv``). ``executables`` are the programs an expert
    would use: analysis later tells whether an agent ran them or wrote an ad hoc substitute.
    """

    model_config = ConfigDict(extra="forbid")
    debian: list[str] = Field(default_factory=list)
    pypi: list[str] = Field(default_factory=list)
    executables: list[str] = Field(min_length=1)


class Resources(BaseModel):
    """Limits of the sandbox an agent works in.

    ``memory_mb`` holds all its processes and RAM-backed /tmp together; ``disk_mb`` and ``max_files``
    what home and output may hold (allocated size); ``cpus`` a CPU quota in cores.
    """

    model_config = ConfigDict(extra="forbid")
    memory_mb: int = Field(default=4096, ge=64, le=262_144)
    processes: int = Field(default=512, ge=8, le=65_536)
    file_size_mb: int = Field(default=1024, ge=1)
    output_mb: int = Field(default=256, ge=1)
    disk_mb: int = Field(default=8192, ge=16, le=1_048_576)
    max_files: int = Field(default=100_000, ge=100, le=10_000_000)
    cpus: float = Field(default=2.0, gt=0, le=64)
    network: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Resources:
        if self.output_mb > self.disk_mb:
            raise ValueError(f"output_mb ({self.output_mb}) exceeds disk_mb ({self.disk_mb}): the output could "
                             "never reach it; raise disk_mb or lower output_mb")
        return self


DISPLAY_SIZE = re.compile(r"^([1-9][0-9]{2,3})x([1-9][0-9]{2,3})$")
MIN_DISPLAY, MAX_DISPLAY = (640, 480), (3840, 2160)


class Environment(BaseModel):
    """What the sandbox offers beyond files and software.

    ``display`` (e.g. ``"1280x800"``) gives the sandbox a desktop of that size in pixels: a headless X
    server and a window manager private to the sandbox, which the computer tools drive.
    """

    model_config = ConfigDict(extra="forbid")
    display: str | None = None

    @field_validator("display")
    @classmethod
    def _display_size(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = DISPLAY_SIZE.match(value)
        if not match:
            raise ValueError(f"display {value!r} is not WIDTHxHEIGHT in pixels; write it like \"1280x800\"")
        width, height = int(match.group(1)), int(match.group(2))
        if not (MIN_DISPLAY[0] <= width <= MAX_DISPLAY[0] and MIN_DISPLAY[1] <= height <= MAX_DISPLAY[1]):
            raise ValueError(f"display {value} is outside {MIN_DISPLAY[0]}x{MIN_DISPLAY[1]} to "
                             f"{MAX_DISPLAY[0]}x{MAX_DISPLAY[1]}; pick a screen size in that range")
        return value


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
    retire_after: dt.date | None = None
    """When the task leaves the private pool for the public one (``ale pack --retire``)."""
    canary: str = Field(pattern=f"^{CANARY_SHAPE}$")
    """``ALE-CANARY-`` and a GUID of the task's own (``python3 -c 'import uuid; print(uuid.uuid4())'``)."""
    expert_minutes: int = Field(ge=1)
    expert_minutes_basis: str | None = Field(default=None, min_length=40)
    """How ``expert_minutes`` was reached: the stages an expert goes through and the time each takes."""
    agent_timeout_sec: int = Field(ge=10)
    grader_timeout_sec: int = Field(default=120, ge=5)
    software: Software
    resources: Resources = Field(default_factory=Resources)
    environment: Environment = Field(default_factory=Environment)
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
