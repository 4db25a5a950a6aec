"""``ale setup``: install what the framework and the selected tasks declare.

Debian packages go through apt-get (the host's /usr is the sandbox's software); PyPI packages go
into each task's own tool environment, a venv over Debian's python3 (``lastexam.tasks.toolenv``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from lastexam.agents.cli import install_cli_agents
from lastexam.agents.cli.install import machine_lock
from lastexam.desktop import DESKTOP_DEBIAN
from lastexam.errors import LastExamError
from lastexam.sandbox.bwrap import sandbox_path
from lastexam.tasks.loader import Task
from lastexam.tasks.toolenv import DEBIAN_PYTHON, READY_MARKER, is_built

# strace: `ale tasks check` logs the programs an oracle executes (declared software is honest).
FRAMEWORK_DEBIAN = ("bubblewrap", "python3-venv", "util-linux", "strace")


def _dpkg_installed(package: str) -> bool:
    done = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    # "install ok installed", or "hold ok installed" for a package an administrator pinned
    return done.returncode == 0 and done.stdout.endswith(" ok installed")


def _environments(tasks: Iterable[Task]) -> dict[Path, list[str]]:
    """Each tool environment the tasks need, with its PyPI requirements (tasks that declare the same share one)."""
    return {task.tools: sorted(set(task.spec.software.pypi)) for task in tasks}


def declared_debian(tasks: Iterable[Task]) -> list[str]:
    """The Debian packages the framework and the tasks need, sorted."""
    tasks = list(tasks)
    debian = set(FRAMEWORK_DEBIAN) | {p for t in tasks for p in t.spec.software.debian}
    if any(t.spec.environment.display for t in tasks):
        debian |= set(DESKTOP_DEBIAN)
    return sorted(debian)


def missing_software(tasks: Iterable[Task]) -> list[str]:
    """What is declared but absent: ``debian:PKG``, ``pypi:PKG (ENV)`` for each package of a tool environment not
    built yet, ``executable:NAME (TASK)`` for a declared program not on that task's sandbox PATH."""
    tasks = list(tasks)
    debian = declared_debian(tasks)
    missing = [f"debian:{p}" for p in debian if not _dpkg_installed(p)]
    missing += [f"pypi:{p} ({env})" for env, pypi in _environments(tasks).items() if not is_built(env)
                for p in pypi or ["(none)"]]
    missing += [f"executable:{name} ({task.id})" for task in tasks for name in task.spec.software.executables
                if not shutil.which(name, path=f"{sandbox_path(task.tools)}:/usr/sbin:/sbin")]
    missing += [] if shutil.which("bwrap") else ["executable:bwrap"]
    return sorted(set(missing))


def _build_environment(env: Path, pypi: list[str], prefix: list[str], log: list[str]) -> None:
    """Build one tool environment from nothing; the marker, written last, says it is complete."""
    if env.exists():
        _run([*prefix, "rm", "-rf", str(env)], log)  # a build cut short: start again
    _run([*prefix, DEBIAN_PYTHON, "-m", "venv", "--system-site-packages", str(env)], log)
    python = str(env / "bin" / "python3")
    _run([*prefix, python, "-m", "pip", "install", "-q", "--upgrade", "pip"], log)
    if pypi:
        # One resolution for the task's declarations, against Debian's packages the venv sees.
        _run([*prefix, python, "-m", "pip", "install", "-q", *pypi], log)
    marker = json.dumps({"pypi": pypi, "python": os.path.realpath(DEBIAN_PYTHON)})
    _run([*prefix, python, "-c", f"import pathlib; pathlib.Path({str(env / READY_MARKER)!r}).write_text({marker!r})"],
         log)


def _run(command: list[str], log: list[str]) -> None:
    log.append("$ " + " ".join(command))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise LastExamError(f"`{' '.join(command)}` failed (exit {done.returncode}):\n{tail}")


def install(tasks: Iterable[Task], *, dry_run: bool = False, agents: list[str] | None = None) -> list[str]:
    """Install every missing Debian and PyPI package the tasks declare, and the agent CLIs named in ``agents``
    (names of ``lastexam.agents.cli.PACKAGES``, comma-separated or not, or ``all``). Returns a log of what it did.

    Raises:
        LastExamError: an install command failed, root rights are needed and sudo is absent, or an unknown CLI.
    """
    tasks = list(tasks)
    debian = declared_debian(tasks)
    log: list[str] = []
    # apt and the tool venv are shared by the whole machine: concurrent setups take turns, each checking
    # what is missing only once the ones before it are done.
    with machine_lock(Path(tempfile.gettempdir()) / "ale-setup.lock"):
        apt_missing = [p for p in debian if not _dpkg_installed(p)]
        prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
        if prefix and apt_missing and shutil.which("sudo") is None:
            raise LastExamError(f"installing {', '.join(apt_missing)} needs root. Fix: run `ale setup` as root")
        if apt_missing:
            if dry_run:
                log.append("would apt-get install " + " ".join(apt_missing))
            else:
                _run([*prefix, "apt-get", "update", "-qq"], log)
                _run([*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *apt_missing], log)
        for env, pypi in _environments(tasks).items():
            if is_built(env):
                continue
            if dry_run:
                log.append(f"would build the tool environment {env}: {' '.join(pypi) or '(no PyPI packages)'}")
            else:
                _build_environment(env, pypi, prefix, log)
    if agents:
        names = [name for value in agents for name in value.split(",") if name]
        log += install_cli_agents(None if "all" in names else names, dry_run=dry_run)
    if not log:
        log.append("everything declared is already installed")
    return log
