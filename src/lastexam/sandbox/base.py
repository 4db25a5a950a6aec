"""The sandbox contract: an isolated machine an agent works in, seen from the harness."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

WORKSPACE = "/workspace"
INPUT_DIR = "/workspace/input"
OUTPUT_DIR = "/workspace/output"
AGENT_DIR = "/agent"
INSTRUCTION_FILE = "/workspace/instruction.md"
HOME_DIR = "/home/agent"


LimitName = Literal["memory", "disk", "files", "wall", "output"]
CAPTURE_BYTES = 16 << 20


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox.

    ``memory_mb`` bounds all its processes and tmpfs together (and each process's address space);
    ``disk_mb`` and ``max_files`` bound what home and output hold (allocated size, so sparse files
    count what they really take); ``cpus`` is a CPU quota in cores; ``capture_bytes`` caps each of
    a command's stdout and stderr.
    """

    memory_mb: int = 4096
    processes: int = 512
    file_size_mb: int = 1024
    network: bool = False
    disk_mb: int = 8192
    max_files: int = 100_000
    cpus: float = 2.0
    capture_bytes: int = CAPTURE_BYTES


@dataclass(frozen=True)
class ExecResult:
    """How one command in the sandbox ended. ``returncode`` is None when it was killed at a limit.

    ``limit`` names the sandbox limit that ended it (``wall`` when ``timed_out``), else None.
    """

    returncode: int | None
    timed_out: bool
    duration: float
    limit: LimitName | None = None


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
