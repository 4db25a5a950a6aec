"""A trial's run directory: events.jsonl (appended as it goes), trial.json, trajectory.json,
grade.json, output/ and logs/."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from lastexam.contracts.trial import TrialResult
from lastexam.store.artifacts import in_object_store, mirror_run_dir


def locate_run_dir(recorded: str, results_dir: Path | None) -> Path:
    """Where a trial's run directory is now (it may not exist). When ``results_dir`` holds a ``runs/``
    directory, the ``runs/...`` tail of the recorded path under it: results that were moved or copied are
    found where they are, never at the recorded absolute path, which may be gone or belong to the original.
    A run directory in an object store (``s3://...``) is its local mirror under ``results_dir`` (a path that
    does not exist when the storage cannot be read). Otherwise (run directories kept elsewhere with
    ``runs_dir``) the path as recorded."""
    if in_object_store(recorded):
        cache = mirror_cache(results_dir)
        try:
            return mirror_run_dir(recorded, cache)
        except Exception:  # whatever the storage library raises: the reader shows the run directory as missing
            return cache / "unreadable"
    path = Path(recorded)
    parts = path.parts
    if results_dir is not None and "runs" in parts and (results_dir / "runs").is_dir():
        return results_dir.joinpath("runs", *parts[len(parts) - parts[::-1].index("runs"):])
    return path


def mirror_cache(results_dir: Path | None) -> Path:
    """Where local mirrors of object-store run directories are kept."""
    return (results_dir or Path(tempfile.gettempdir()) / "ale-results") / "mirrored-runs"


class RunDir:
    """The files of one trial under ``runs/<experiment>/<agent>/<instance>/epoch-K``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def fresh(cls, path: Path) -> RunDir:
        """An empty run directory; an unrecorded leftover of an interrupted attempt is removed first."""
        if path.exists():
            shutil.rmtree(path)
        (path / "logs").mkdir(parents=True)
        return cls(path)

    @property
    def output(self) -> Path:
        return self.path / "output"

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    @property
    def private(self) -> Path:
        """Host-only material of the trial (inputs, hidden reference); never mounted in a sandbox."""
        return self.path / "private"

    @property
    def trial_json(self) -> Path:
        return self.path / "trial.json"

    def result(self) -> TrialResult:
        """The trial's result as written to ``trial.json``.

        Raises:
            OSError, ValueError: the file is missing or does not hold a trial result.
        """
        return TrialResult.model_validate_json(self.trial_json.read_text(encoding="utf-8"))

    def event(self, kind: str, **fields: Any) -> None:
        """Append one event line and flush it to disk."""
        record = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), "event": kind, **fields}
        with open(self.path / "events.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def write_json(self, name: str, value: BaseModel | dict[str, Any]) -> None:
        """Write ``name`` atomically (temp file, fsync, rename)."""
        text = value.model_dump_json(indent=2) if isinstance(value, BaseModel) else json.dumps(value, indent=2, default=str)
        self.write_text(name, text)

    def write_text(self, name: str, text: str) -> None:
        """Write the file ``name`` (relative to the run directory) atomically (temp file, fsync, rename)."""
        write_atomic(self.path / name, text)


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a reader sees the old or the new content, never a part."""
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
