"""The sandbox contract: an isolated machine an agent works in, seen from the harness."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from lastexam.contracts.sandbox import HOME_DIR, ExecResult, Limits


@dataclass
class Workspace:
    """The host side of a sandbox: ``input/`` (read-only inside), ``output/``, ``home/``, ``agent/`` (read-only).

    ``extra_binds`` are (host path, path inside) pairs mounted writable; ``extra_ro_binds`` read-only.
    """

    root: Path
    extra_binds: list[tuple[Path, str]] = field(default_factory=list)
    extra_ro_binds: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def input(self) -> Path:
        return self.root / "input"

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def agent(self) -> Path:
        return self.root / "agent"

    @property
    def instruction(self) -> Path:
        return self.root / "instruction.md"


class Sandbox(Protocol):
    """What a trial needs from a sandbox backend."""

    workspace: Workspace
    limits: Limits
    display: str | None
    """The size of the sandbox's desktop (``"1280x800"``), or None: no desktop."""

    async def exec(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        timeout: float,
        stdout: Path,
        stderr: Path,
        cwd: str = HOME_DIR,
        capture_bytes: int | None = None,
    ) -> ExecResult:
        """Run a command inside; when it returns, every process the command started is dead.

        Each of stdout and stderr keeps at most ``capture_bytes`` (default: the limits') and then a
        truncation marker; a flood of many times that ends the command with ``limit="output"``.
        """
        ...

    def close(self) -> None:
        """Release the sandbox; every process in it is dead and its scratch space removed."""
        ...
