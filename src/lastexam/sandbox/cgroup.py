"""A cgroup per sandbox: memory (tmpfs included), process count and CPU quota held for all its processes at once.

Per-process rlimits cannot bound a sandbox: several children each under the address-space cap, or
files kept in a RAM-backed tmpfs, add up past any of them. A cgroup counts them together. The sandbox
process joins its cgroup before bwrap starts (so nothing it spawns is ever outside), and at the end
every member is frozen, killed and waited for, whatever state it is in (a stopped or traced init
included), and the cgroup removed.

Both hierarchies are supported: v2 (``cgroup.controllers`` at the root) and v1 (one mount per
controller, as on this project's machines). Creating a cgroup needs a writable hierarchy, usually
root; without one ``SandboxCgroup.create`` raises ``CgroupUnavailable`` saying why, and the caller
records it and falls back to its other limits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PARENT = "lastexam"
_PREFIX = "ale-"
_CPU_PERIOD_US = 100_000
_V1_REQUIRED = ("memory", "pids", "freezer")
_V2_REQUIRED = ("memory", "pids")


class CgroupUnavailable(Exception):
    """No writable cgroup hierarchy with the controllers a sandbox needs; the message says which and why."""


@dataclass(frozen=True)
class CgroupLimits:
    """What one sandbox's processes may use together."""

    memory_bytes: int
    processes: int
    cpus: float


class SandboxCgroup:
    """One sandbox's cgroup: a directory per v1 controller, or one v2 directory."""

    def __init__(self, directories: dict[str, Path], version: int) -> None:
        self.directories = directories
        self.version = version

    @classmethod
    def create(cls, limits: CgroupLimits, root: Path = CGROUP_ROOT) -> SandboxCgroup:
        """Make a fresh cgroup with ``limits`` under ``root``. Raises CgroupUnavailable when that cannot be done."""
        sweep_stale(root)
        name = f"{_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}"
        if (root / "cgroup.controllers").exists():
            try:
                cgroup = cls({"unified": _v2_parent(root) / name}, 2)
            except OSError as exc:
                raise CgroupUnavailable(f"cannot read the cgroup v2 hierarchy at {root} ({exc.strerror})") from exc
        else:
            missing = [c for c in _V1_REQUIRED if not (root / c / "cgroup.procs").exists()]
            if missing:
                raise CgroupUnavailable(f"no cgroup v1 hierarchy for {', '.join(missing)} under {root}")
            controllers = [*_V1_REQUIRED, *(["cpu"] if (root / "cpu" / "cpu.cfs_quota_us").exists() else [])]
            cgroup = cls({c: root / c / PARENT / name for c in controllers}, 1)
        try:
            for directory in cgroup.directories.values():
                directory.mkdir(parents=True)
            cgroup._apply(limits)
        except OSError as exc:
            cgroup.remove()
            raise CgroupUnavailable(f"cannot create a cgroup under {root} ({exc.strerror}: {exc.filename})") from exc
        return cgroup

    def _apply(self, limits: CgroupLimits) -> None:
        quota = max(1000, int(limits.cpus * _CPU_PERIOD_US))
        if self.version == 2:
            directory = self.directories["unified"]
            _write(directory / "memory.max", limits.memory_bytes)
            if (directory / "memory.swap.max").exists():
                _write(directory / "memory.swap.max", 0)
            _write(directory / "pids.max", limits.processes)
            if (directory / "cpu.max").exists():
                _write(directory / "cpu.max", f"{quota} {_CPU_PERIOD_US}")
            return
        memory = self.directories["memory"]
        _write(memory / "memory.limit_in_bytes", limits.memory_bytes)
        if (memory / "memory.memsw.limit_in_bytes").exists():  # swap counted too, where the kernel accounts it
            _write(memory / "memory.memsw.limit_in_bytes", limits.memory_bytes)
        _write(self.directories["pids"] / "pids.max", limits.processes)
        if "cpu" in self.directories:
            _write(self.directories["cpu"] / "cpu.cfs_period_us", _CPU_PERIOD_US)
            _write(self.directories["cpu"] / "cpu.cfs_quota_us", quota)

    @property
    def description(self) -> str:
        return f"cgroup v{self.version} {self.name} ({', '.join(sorted(self.directories))})"

    @property
    def name(self) -> str:
        return next(iter(self.directories.values())).name

    def join(self) -> None:
        """Move the calling process into this cgroup (called in the child between fork and exec)."""
        pid = str(os.getpid())
        for directory in self.directories.values():
            with open(directory / "cgroup.procs", "w") as handle:
                handle.write(pid)

    def pids(self) -> set[int]:
        """The processes in this cgroup now."""
        found: set[int] = set()
        for directory in self.directories.values():
            with contextlib.suppress(OSError):
                found.update(int(line) for line in (directory / "cgroup.procs").read_text().split())
        return found

    def oom_kills(self) -> int:
        """How many processes the kernel has killed in this cgroup for going over its memory limit."""
        directory = self.directories.get("memory") or self.directories["unified"]
        stats = directory / ("memory.oom_control" if self.version == 1 else "memory.events")
        with contextlib.suppress(OSError):
            for line in stats.read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        return 0

    def kill(self, grace: float = 5.0) -> None:
        """Kill every member, whatever its state, and wait until none is left. Raises CgroupUnavailable if one survives."""
        if self.version == 2 and (self.directories["unified"] / "cgroup.kill").exists():
            with contextlib.suppress(OSError):
                _write(self.directories["unified"] / "cgroup.kill", 1)
        deadline = time.monotonic() + grace
        while members := self.pids():
            self._freeze(True)
            for pid in members:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self._freeze(False)
            if time.monotonic() > deadline:
                raise CgroupUnavailable(f"processes {sorted(members)} of {self.name} survived SIGKILL")
            time.sleep(0.01)

    def _freeze(self, frozen: bool) -> None:
        """Freeze (so that nothing forks while being killed) or thaw (so that the pending SIGKILLs land)."""
        with contextlib.suppress(OSError):
            if self.version == 2:
                _write(self.directories["unified"] / "cgroup.freeze", int(frozen))
            elif "freezer" in self.directories:
                _write(self.directories["freezer"] / "freezer.state", "FROZEN" if frozen else "THAWED")
                if frozen:
                    _wait_frozen(self.directories["freezer"])

    def remove(self) -> None:
        """Kill what is left and remove the cgroup's directories (never raises)."""
        with contextlib.suppress(CgroupUnavailable):
            self.kill()
        for directory in self.directories.values():
            for _ in range(50):
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def _write(path: Path, value: object) -> None:
    with open(path, "w") as handle:
        handle.write(str(value))


def _wait_frozen(freezer: Path, timeout: float = 1.0) -> None:
    deadline = time.monotonic() + timeout
    while (freezer / "freezer.state").read_text().strip() != "FROZEN" and time.monotonic() < deadline:
        time.sleep(0.005)


def _v2_parent(root: Path) -> Path:
    """The v2 ``lastexam`` parent with the memory, pids and cpu controllers delegated to its children."""
    available = set((root / "cgroup.controllers").read_text().split())
    missing = [c for c in _V2_REQUIRED if c not in available]
    if missing:
        raise CgroupUnavailable(f"the cgroup v2 hierarchy at {root} lacks the {', '.join(missing)} controller")
    wanted = " ".join(f"+{c}" for c in ("memory", "pids", "cpu") if c in available)
    parent = root / PARENT
    try:
        parent.mkdir(exist_ok=True)
        _write(root / "cgroup.subtree_control", wanted)
        _write(parent / "cgroup.subtree_control", wanted)
    except OSError as exc:
        raise CgroupUnavailable(f"cannot delegate controllers under {root} ({exc.strerror})") from exc
    return parent


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (whoever owns it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(root: Path = CGROUP_ROOT) -> list[str]:
    """Kill and remove the sandbox cgroups left by harness processes that died; return the names removed."""
    version = 2 if (root / "cgroup.controllers").exists() else 1
    parents = {"unified": root / PARENT} if version == 2 else {p.parent.name: p for p in root.glob(f"*/{PARENT}")}
    stale: dict[str, dict[str, Path]] = {}
    for controller, parent in parents.items():
        with contextlib.suppress(OSError):
            for directory in parent.iterdir():
                owner = directory.name.removeprefix(_PREFIX).split("-")[0]
                if directory.name.startswith(_PREFIX) and owner.isdigit() and not pid_alive(int(owner)):
                    stale.setdefault(directory.name, {})[controller] = directory
    for directories in stale.values():
        SandboxCgroup(directories, version).remove()
    return sorted(stale)
