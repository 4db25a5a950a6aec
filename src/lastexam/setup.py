"""``ale setup``: install what the framework and the selected tasks declare.

Debian packages go through apt-get (the host's /usr is the sandbox's software); PyPI packages go
into the sandbox tool environment, a venv over Debian's python3 at ``tools_dir()``.
"""

from __future__ import annotations

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
from lastexam.sandbox.bwrap import tools_dir
from lastexam.tasks.loader import Task

# strace: `ale tasks check` logs the programs an oracle executes (declared software is honest).
FRAMEWORK_DEBIAN = ("bubblewrap", "python3-venv", "util-linux", "strace")
DEBIAN_PYTHON = "/usr/bin/python3"


def _dpkg_installed(package: str) -> bool:
    done = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    return done.returncode == 0 and "install ok installed" in done.stdout


def _tools_python() -> Path:
    return tools_dir() / "bin" / "python3"


def _pip_missing(packages: list[str]) -> list[str]:
    if not packages:
        return []
    if not _tools_python().exists():
        return packages
    code = (
        "import sys\nfrom importlib.metadata import distribution, PackageNotFoundError\n"
        "from packaging.requirements import Requirement\n"
        "for spec in sys.argv[1:]:\n"
        "    req = Requirement(spec)\n"
        "    try:\n"
        "        ok = distribution(req.name).version in req.specifier or not req.specifier\n"
        "    except PackageNotFoundError:\n"
        "        ok = False\n"
        "    if not ok: print(spec)\n"
    )
    done = subprocess.run([str(_tools_python()), "-c", code, *packages], capture_output=True, text=True)
    if done.returncode != 0:
        return packages
    return done.stdout.split()


def declared(tasks: Iterable[Task]) -> tuple[list[str], list[str], list[str]]:
    """(Debian packages, PyPI packages, executables) the framework and the tasks need, sorted."""
    tasks = list(tasks)
    debian = set(FRAMEWORK_DEBIAN) | {p for t in tasks for p in t.spec.software.debian}
    if any(t.spec.environment.display for t in tasks):
        debian |= set(DESKTOP_DEBIAN)
    pypi = {p for t in tasks for p in t.spec.software.pypi}
    executables = {"bwrap"} | {e for t in tasks for e in t.spec.software.executables}
    return sorted(debian), sorted(pypi), sorted(executables)


def missing_software(tasks: Iterable[Task]) -> list[str]:
    """What is declared but absent: ``debian:PKG``, ``pypi:PKG``, ``executable:NAME`` entries."""
    debian, pypi, executables = declared(tasks)
    missing = [f"debian:{p}" for p in debian if not _dpkg_installed(p)]
    missing += [f"pypi:{p}" for p in _pip_missing(pypi)]
    missing += [f"executable:{e}" for e in executables if not _executable_present(e)]
    return missing


def _executable_present(name: str) -> bool:
    tools_bin = str(tools_dir() / "bin")
    return shutil.which(name, path=f"{tools_bin}:/usr/bin:/bin:/usr/sbin:/sbin") is not None


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
    debian, pypi, _ = declared(tasks)
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
        pip_missing = _pip_missing(pypi)
        if pip_missing or not _tools_python().exists():
            if dry_run:
                log.append(f"would install into {tools_dir()}: {' '.join(pip_missing) or '(empty tool environment)'}")
            else:
                if not _tools_python().exists():
                    _run([*prefix, DEBIAN_PYTHON, "-m", "venv", "--system-site-packages", str(tools_dir())], log)
                _run([*prefix, str(_tools_python()), "-m", "pip", "install", "-q", "--upgrade", "pip", "packaging"], log)
                if pip_missing:
                    # Every declaration in one resolution, so that one task's pin holds against another's needs.
                    _run([*prefix, str(_tools_python()), "-m", "pip", "install", "-q", *pypi], log)
    if agents:
        names = [name for value in agents for name in value.split(",") if name]
        log += install_cli_agents(None if "all" in names else names, dry_run=dry_run)
    if not log:
        log.append("everything declared is already installed")
    return log
