"""The reproducibility manifest: what produced an experiment's results, written each time it starts.

A manifest names the framework (version, git commit, lock-file hash), every planned task (version
and a hash of its package's files), the professional software the tasks declare (Debian package
and tool-environment versions), each agent (its config's or script's digest, the CLI's pinned
version), the experiment's limits and the machine. ``diff_manifests`` says what differs between two
and whether it can change scores (the machine cannot, by design; everything else can).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, distributions, version
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from lastexam.agents.cli.install import PACKAGES
from lastexam.runner.config import ExperimentConfig
from lastexam.tasks.loader import Task

SOURCE_ROOT = Path(__file__).resolve().parents[3]
"""The checkout the framework runs from (holds ``.git`` and ``uv.lock`` when it is one)."""
NOT_AFFECTING_SCORES = ("machine", "written_at")


class Manifest(BaseModel):
    """Everything that produced an experiment's results, as of one start of it."""

    written_at: str
    framework: dict[str, str | bool | None]
    tasks: dict[str, dict[str, str]]
    software: dict[str, dict[str, str | None]]
    agents: dict[str, dict[str, str | None]]
    limits: dict[str, Any]
    machine: dict[str, str | int | None]
    salt_hash: str | None = None


class ManifestDifference(BaseModel):
    """One field that differs between two manifests."""

    field: str
    first: Any = None
    second: Any = None
    affects_scores: bool = Field(description="False only for the machine and the time written")


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def task_digest(task: Task) -> str:
    """sha256 over every file of a task package (``Task.files``: relative path and bytes)."""
    digest = hashlib.sha256()
    for relative, path in task.files().items():
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_manifest(config: ExperimentConfig, tasks: list[Task], *, salt_hash: str | None = None) -> Manifest:
    """The manifest of ``config`` run over ``tasks`` on this machine, now."""
    debian = sorted({p for t in tasks for p in t.spec.software.debian})
    return Manifest(
        written_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        framework=_framework(),
        tasks={t.id: {"version": t.spec.version, "sha256": task_digest(t)} for t in sorted(tasks, key=lambda t: t.id)},
        software={"debian": _debian_versions(debian), "pypi": _tool_versions(tasks)},
        agents={spec: _agent(spec) for spec in config.agents},
        limits=config.model_dump(mode="json", include={"epochs", "max_wall", "retries", "selectors"}),
        machine=_machine(),
        salt_hash=salt_hash,
    )


def diff_manifests(first: Manifest, second: Manifest) -> list[ManifestDifference]:
    """Every leaf field whose value differs, sorted, score-affecting ones first."""
    differences = [
        ManifestDifference(field=name, first=a, second=b, affects_scores=name.split(".")[0] not in NOT_AFFECTING_SCORES)
        for name, a, b in _leaf_differences("", first.model_dump(), second.model_dump())
    ]
    return sorted(differences, key=lambda d: (not d.affects_scores, d.field))


def pooling_warning(named: dict[str, list[Manifest]]) -> str | None:
    """A warning when the manifests of the pooled experiments (each start of each) differ in anything that
    can change scores; None when they all agree. ``named`` maps experiment names to their manifests."""
    starts = [(name, m) for name, ms in named.items() for m in ms]
    if len(starts) < 2:
        return None
    (first_name, first), fields = starts[0], set()
    for _, other in starts[1:]:
        fields |= {d.field for d in diff_manifests(first, other) if d.affects_scores}
    if not fields:
        return None
    shown = ", ".join(sorted(fields)[:6]) + (f" and {len(fields) - 6} more" if len(fields) > 6 else "")
    others = sorted({name for name, _ in starts[1:]} - {first_name}) or [first_name]
    return (f"the pooled results were produced under different conditions that can change scores ({shown}); "
            f"see `ale manifest diff {first_name} {others[0]}`")


def _leaf_differences(prefix: str, a: Any, b: Any) -> list[tuple[str, Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for key in sorted(set(a) | set(b), key=str)
                for d in _leaf_differences(f"{prefix}.{key}" if prefix else str(key), a.get(key), b.get(key))]
    return [] if a == b else [(prefix, a, b)]


def _framework() -> dict[str, str | bool | None]:
    lock = SOURCE_ROOT / "uv.lock"
    commit = dirty = None
    if (SOURCE_ROOT / ".git").exists():
        head = _output(["git", "-C", str(SOURCE_ROOT), "rev-parse", "HEAD"])
        commit = head.strip() if head else None
        status = _output(["git", "-C", str(SOURCE_ROOT), "status", "--porcelain", "--", "src", "uv.lock"])
        dirty = bool(status.strip()) if status is not None else None
    try:
        framework_version = version("lastexam")
    except PackageNotFoundError:
        framework_version = None
    return {"version": framework_version, "git_commit": commit, "git_dirty": dirty,
            "uv_lock_sha256": file_digest(lock) if lock.is_file() else None}


def _debian_versions(packages: list[str]) -> dict[str, str | None]:
    if not packages:
        return {}
    out = _output(["dpkg-query", "-W", "-f=${Package} ${Version}\\n", *packages]) or ""
    found = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    return {p: found.get(p) for p in packages}


def _tool_versions(tasks: list[Task]) -> dict[str, str | None]:
    """Installed versions of the distributions the tasks' PyPI requirements name, each read in the tool
    environment of a task that declares it; versions that differ between environments are joined by " | "."""
    found: dict[str, set[str]] = {}
    for task in tasks:
        site = sorted((task.tools / "lib").glob("python3*/site-packages"))
        installed = {d.metadata["Name"].lower().replace("_", "-"): d.version
                     for d in distributions(path=[str(p) for p in site])}
        for requirement in task.spec.software.pypi:
            name = _requirement_name(requirement)
            found.setdefault(name, set()).update([installed[name]] if name in installed else [])
    return {name: " | ".join(sorted(versions)) or None for name, versions in sorted(found.items())}


def _requirement_name(requirement: str) -> str:
    for separator in ("[", "=", "<", ">", "!", "~", ";", " "):
        requirement = requirement.split(separator, 1)[0]
    return requirement.strip().lower().replace("_", "-")


def _agent(spec: str) -> dict[str, str | None]:
    if spec in ("oracle", "nop"):
        return {"kind": spec}
    path = Path(spec.removeprefix("script:"))
    if not path.is_file():
        return {"kind": "missing", "path": str(path)}
    if spec.startswith("script:"):
        return {"kind": "script", "sha256": file_digest(path)}
    harness = (yaml.safe_load(path.read_text()) or {}).get("harness")
    package = PACKAGES.get(str(harness))
    return {"kind": "config", "harness": str(harness), "sha256": file_digest(path),
            "cli": package.spec if package else None}


def _machine() -> dict[str, str | int | None]:
    cpu = None
    if Path("/proc/cpuinfo").is_file():
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), None)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else None
    return {"cpu": cpu, "cpus": os.cpu_count(), "memory_bytes": memory, "kernel": platform.release(),
            "python": platform.python_version()}


def _output(argv: list[str]) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None
