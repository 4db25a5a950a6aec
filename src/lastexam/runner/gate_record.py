"""A record of validity-gate verdicts, so that the whole suite's gate can be run in parts and resumed.

The record is a JSONL file; each line is one task's verdict with the key it was reached under (``GateKey``):
the digest of the task's files, the digest of the framework that decides a verdict (the package without
``PRESENTATION_ONLY``, the parts that only store, analyse or show results), and the gate's options (all but
``jobs``). A passing verdict under an equal key is not run again; any change to the task, to that framework
or to the options gives another key. Lines are appended and flushed one at a time, so a run stopped at any
moment keeps every finished verdict; a passing verdict is recorded once per key.

What the key does not cover: the professional software installed on the machine (its version is the task's
``[software]`` declaration's business) and the machine's load.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

import lastexam
from lastexam.errors import ConfigError
from lastexam.runner.validate import GateOptions, TaskVerdict
from lastexam.tasks.loader import Task

PRESENTATION_ONLY = ("analysis", "report", "store", "web", "cli.py", "agents/llm", "agents/cli", "data/prices.toml")


class GateKey(BaseModel):
    task: str
    task_digest: str
    framework_digest: str
    options: dict


class RecordedVerdict(BaseModel):
    key: GateKey
    verdict: TaskVerdict
    recorded_at: datetime
    host: str


def files_digest(files: dict[str, Path]) -> str:
    """sha256 over each file's relative path and bytes (``files``: relative path -> file, as ``Task.files()``)."""
    digest = hashlib.sha256()
    for relative, path in sorted(files.items()):
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def framework_digest() -> str:
    """The digest of the installed framework's parts that decide a verdict (caches and ``PRESENTATION_ONLY``
    left out)."""
    root = Path(lastexam.__file__).parent
    files = {path.relative_to(root).as_posix(): path for path in root.rglob("*")
             if path.is_file() and "__pycache__" not in path.parts}
    return files_digest({relative: path for relative, path in files.items()
                         if not any(relative == out or relative.startswith(out + "/") for out in PRESENTATION_ONLY)})


def gate_key(task: Task, options: GateOptions, framework: str | None = None) -> GateKey:
    """The key of ``task``'s verdict under ``options`` (``framework``: a precomputed ``framework_digest()``)."""
    chosen = {name: list(value) if isinstance(value, tuple) else value
              for name, value in asdict(options).items() if name != "jobs"}
    return GateKey(task=task.id, task_digest=files_digest(task.files()), framework_digest=framework or framework_digest(),
                   options=chosen)


class GateRecord:
    """The verdicts kept in one JSONL file (created on the first ``add``).

    Raises ConfigError when an existing line is not a recorded verdict (naming the file and the line).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: list[RecordedVerdict] = []
        if path.exists():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    self.entries.append(RecordedVerdict.model_validate_json(line))
                except ValidationError as exc:
                    raise ConfigError(str(path), f"line {number}", f"not a recorded verdict: {exc.errors()[0]['msg']}",
                                      "remove the line, or start a new record") from exc

    def passed(self, key: GateKey) -> RecordedVerdict | None:
        """The passing verdict recorded under ``key``, or None."""
        return next((e for e in reversed(self.entries) if e.key == key and e.verdict.ok), None)

    def add(self, key: GateKey, verdict: TaskVerdict) -> None:
        """Append ``verdict`` (flushed to disk before returning); a pass already recorded under ``key`` is kept
        once."""
        if verdict.ok and self.passed(key):
            return
        entry = RecordedVerdict(key=key, verdict=verdict, recorded_at=datetime.now(UTC), host=socket.gethostname())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry.model_dump(mode="json"), separators=(",", ":")) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.entries.append(entry)
