"""Installing the agent CLIs: each pinned to one exact version, from its own registry.

Each CLI gets a directory of its own under ``cli_agents_dir()`` (default ``/opt/lastexam/agents``,
or ``$ALE_CLI_AGENTS_DIR``): npm packages through ``npm install --prefix``, Python ones into a
venv over Debian's ``/usr/bin/python3``. The directory is bound read-only into the sandbox at the
same path, so its programs run there as installed (a venv is not relocatable, so each is built in
place). A stamp file, written last, records the package and version: a broken install has none
and is done again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lastexam.errors import LastExamError

STAMP = ".ale-installed"
DEBIAN_PYTHON = "/usr/bin/python3"
NODE = "/usr/bin/node"


@dataclass(frozen=True)
class CliPackage:
    """One agent CLI as a registry serves it; ``entry`` is its program, relative to the install directory."""

    harness: str
    registry: Literal["npm", "pypi"]
    package: str
    version: str
    entry: str

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}" if self.registry == "npm" else f"{self.package}=={self.version}"


PACKAGES: dict[str, CliPackage] = {p.harness: p for p in (
    CliPackage("claude_code", "npm", "@anthropic-ai/claude-code", "2.1.332", "node_modules/.bin/claude"),
    CliPackage("codex", "npm", "@openai/codex", "0.169.0", "node_modules/.bin/codex"),
    CliPackage("gemini_cli", "npm", "@google/gemini-cli", "0.61.0", "node_modules/.bin/gemini"),
    CliPackage("mini_swe_agent", "pypi", "mini-swe-agent", "2.4.6", "bin/mini"),
)}


def cli_agents_dir() -> Path:
    """Where the agent CLIs are installed: ``$ALE_CLI_AGENTS_DIR``, else ``/opt/lastexam/agents``."""
    return Path(os.environ.get("ALE_CLI_AGENTS_DIR", "/opt/lastexam/agents"))


def install_dir(harness: str) -> Path:
    """The directory of one CLI (the same path inside the sandbox)."""
    return cli_agents_dir() / harness


def entry_point(harness: str) -> Path:
    """The path of the CLI's program (the same inside the sandbox)."""
    return install_dir(harness) / PACKAGES[harness].entry


def installed(harness: str) -> bool:
    """Whether the pinned version of this CLI is installed."""
    stamp = install_dir(harness) / STAMP
    return stamp.is_file() and stamp.read_text().strip() == PACKAGES[harness].spec and entry_point(harness).exists()


def _run(command: list[str], log: list[str], env: dict[str, str] | None = None) -> None:
    log.append("$ " + " ".join(command))
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise LastExamError(f"`{' '.join(command)}` failed (exit {done.returncode}):\n{tail}")


def _install(package: CliPackage, target: Path, log: list[str]) -> None:
    if package.registry == "npm":
        if shutil.which("npm") is None:
            raise LastExamError(f"installing {package.spec} needs npm. Fix: apt-get install npm (Node.js 20 or newer)")
        target.mkdir(parents=True)
        _run(["npm", "install", "--prefix", str(target), "--no-audit", "--no-fund", "--omit=dev",
              "--no-update-notifier", package.spec], log)
    else:
        _run([DEBIAN_PYTHON, "-m", "venv", str(target)], log)
        _run([str(target / "bin" / "python3"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
              package.spec], log, env={"PIP_NO_INPUT": "1"})


@contextlib.contextmanager
def machine_lock(path: Path) -> Iterator[None]:
    """Hold the exclusive lock of the file ``path`` (created if missing) on this machine: every ``ale setup``
    running at once (one per Ray node on a machine, or a user's second shell) waits for the others."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def install_cli_agents(names: list[str] | None = None, *, dry_run: bool = False) -> list[str]:
    """Install the named agent CLIs (default: every one) that are not installed at their pinned version.

    Returns a log of what it did. Raises:
        LastExamError: an unknown name, a missing npm, or an install command that failed.
    """
    names = list(names or PACKAGES)
    unknown = sorted(set(names) - set(PACKAGES))
    if unknown:
        raise LastExamError(f"unknown agent CLI {', '.join(unknown)}. Fix: use some of {', '.join(PACKAGES)}")
    log: list[str] = []
    for name in names:
        package = PACKAGES[name]
        if dry_run:
            state = "is installed in" if installed(name) else "would install into"
            log.append(f"{name}: {package.spec} {state} {install_dir(name)}")
            continue
        # Installs are built in place (a Python venv cannot be moved): two setups must never build one at once.
        with machine_lock(cli_agents_dir() / ".install.lock"):
            # Checked under the lock: a concurrent setup may have just finished this one.
            if installed(name):
                log.append(f"{name}: {package.spec} is installed in {install_dir(name)}")
                continue
            target = install_dir(name)
            shutil.rmtree(target, ignore_errors=True)
            _install(package, target, log)
            # The stamp goes last: a half-built install (a crash, a failed command) is never taken as done.
            (target / STAMP).write_text(package.spec + "\n")
        log.append(f"{name}: installed {package.spec} into {target}")
    return log
