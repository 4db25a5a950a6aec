"""The sandbox's fixed paths and limits, and how one command in it ended: what the harness and an agent agree on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
