"""The settings of an experiment: agents x instances x epochs, and how to run them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, Field

from lastexam.contracts.trial import DEFAULT_MAX_WALL


def default_experiment_name() -> str:
    return "run-" + dt.datetime.now().strftime("%Y%m%d-%H%M%S")


class ExperimentConfig(BaseModel):
    """An experiment, resumable by name: finished trials are skipped, infra errors retried."""

    name: str = Field(default_factory=default_experiment_name, min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    agents: list[str] = Field(min_length=1)
    selectors: list[str] = Field(min_length=1)
    epochs: int = Field(default=1, ge=1)
    jobs: int = Field(default=2, ge=1)
    max_wall: float = Field(default=DEFAULT_MAX_WALL, gt=0)
    retries: int = Field(default=2, ge=0, description="extra attempts for a trial that ends in infra_error")
    results_dir: Path = Path("ale-results")
    db_url: str | None = None
    runs_dir: Path | None = None
    artifacts: str | None = Field(None, description="URL of shared storage (file:// or s3://) that finished run "
                                                    "directories are published to; None: they stay under runs_dir")
    tasks_dir: Path | None = None
    video: bool = Field(False, description="record the desktop of GUI tasks as video (logs/video/ of each run)")
    salt: str | None = Field(None, min_length=1, exclude=True, repr=False,
                             description="a secret mixed into every variant's seed (``Instance.salted``); never "
                                         "stored, only its hash is, with each trial")

    @property
    def resolved_runs_dir(self) -> Path:
        return (self.runs_dir or self.results_dir / "runs").resolve()

    @property
    def resolved_db_url(self) -> str:
        from lastexam.store.db import default_db_url

        return self.db_url or default_db_url(self.results_dir)
