"""The bubblewrap backend: an allowlisted root, a private pid and network namespace, a non-root uid.

Inside, the agent sees the host's software read-only (/usr, /etc, the task's tool environment),
``/workspace/input`` read-only, ``/workspace/output`` and ``/home/agent`` writable, a private
``/tmp``, and nothing else of the host: no home directories, no checkout, no run directories,
no reference, no results store.

When the harness runs as root, each sandbox also gets a host uid of its own (leased from a
range), so that the process limit applies per trial, and a cgroup of its own (``cgroup.py``) that
holds memory (tmpfs included), process count and CPU for all its processes together. Without a
writable cgroup (a non-root harness) the sandbox says so in ``containment`` and relies on the rest:
per-process rlimits, tmpfs mounts sized from the memory limit, the disk watchdog, and killing the
pid namespace, whose processes are found by namespace rather than by uid.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from lastexam import desktop
from lastexam.contracts.sandbox import (
    AGENT_DIR,
    HOME_DIR,
    INPUT_DIR,
    INSTRUCTION_FILE,
    OUTPUT_DIR,
    ExecResult,
    LimitName,
    Limits,
)
from lastexam.errors import SandboxError
from lastexam.sandbox.base import Workspace
from lastexam.sandbox.cgroup import CgroupLimits, CgroupUnavailable, SandboxCgroup, pid_alive
from lastexam.sandbox.quota import over_quota

UID_RANGE = range(61000, 61512)
LEASE_DIR = Path("/run/lastexam/uids")
MAX_TOOL_STREAM = 4 << 20  # bytes of a grader tool's stdout, and of its stderr, handed back
SANDBOX_UID = 1000
WORKSPACE_PREFIX = "ale-sbx-"
QUOTA_INTERVAL = 0.5
FLOOD_FACTOR = 16
TRUNCATION_MARKER = "\n[ale: output truncated here: over the {cap} byte capture limit]\n"
# Debian's merged /usr: these root entries are links into it.
_USR_LINKS = (("usr/bin", "/bin"), ("usr/sbin", "/sbin"), ("usr/lib", "/lib"), ("usr/lib64", "/lib64"))


def sandbox_path(tools: Path | None) -> str:
    """The PATH inside a sandbox: the task's tool environment's ``bin`` (when it has one) before the system's."""
    return f"{tools}/bin:/usr/bin:/bin" if tools is not None else "/usr/bin:/bin"


def bwrap_executable() -> str:
    """The bwrap binary. Raises SandboxError naming the fix when it is missing."""
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxError(
            "bubblewrap (bwrap) is not installed; it isolates every trial. "
            "Fix: `apt-get install bubblewrap` (or run `ale setup`)."
        )
    return path


class UidLease:
    """An exclusive host uid for one sandbox, held by a lock file for the sandbox's lifetime."""

    def __init__(self) -> None:
        LEASE_DIR.mkdir(parents=True, exist_ok=True)
        for uid in UID_RANGE:
            handle = open(LEASE_DIR / str(uid), "w")  # noqa: SIM115 - kept open as the lease
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            self.uid, self._handle = uid, handle
            return
        raise SandboxError(f"all {len(UID_RANGE)} sandbox uids are in use; run fewer trials at once")

    def release(self) -> None:
        self._handle.close()


def _live_pids(matches: Callable[[str], bool]) -> list[int]:
    """Pids of live processes (zombies, which can do nothing, left out) for which ``matches(pid)`` holds."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and matches(entry):
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    state = stat.read().rpartition(")")[2].split()[0]
            except (OSError, IndexError):
                continue
            if state != "Z":
                pids.append(int(entry))
    return pids


def processes_of_uid(uid: int) -> list[int]:
    """Pids of the live processes whose real uid is ``uid``."""

    def owned(pid: str) -> bool:
        try:
            with open(f"/proc/{pid}/status") as status:
                line = next(line for line in status if line.startswith("Uid:"))
        except (OSError, StopIteration):
            return False
        return int(line.split()[1]) == uid

    return _live_pids(owned)


def processes_in_pid_namespace(namespace: int) -> list[int]:
    """Pids of the live processes in the pid namespace with inode ``namespace`` (as bwrap reports it)."""
    link = f"pid:[{namespace}]"

    def inside(pid: str) -> bool:
        try:
            return os.readlink(f"/proc/{pid}/ns/pid") == link
        except OSError:
            return False

    return _live_pids(inside)


def kill_until_gone(find: Callable[[], list[int]], grace: float = 5.0) -> None:
    """SIGKILL every process ``find`` returns until it returns none. Raises SandboxError if one survives ``grace`` s."""
    deadline = time.monotonic() + grace
    while pids := find():
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            raise SandboxError(f"sandbox processes {pids} survived SIGKILL")
        time.sleep(0.01)


def kill_uid(uid: int, grace: float = 5.0) -> None:
    """SIGKILL every process of ``uid`` until none is left. Raises SandboxError if one survives ``grace`` s."""
    kill_until_gone(lambda: processes_of_uid(uid), grace)


def chown_tree(root: Path, uid: int) -> None:
    """Give a whole tree to ``uid`` (links themselves, never what they point to)."""
    for path, dirs, files in os.walk(root):
        for name in (path, *(os.path.join(path, n) for n in dirs + files)):
            os.lchown(name, uid, uid)


def tmpfs_sizes(memory_mb: int) -> dict[str, int]:
    """The size in bytes of each tmpfs a sandbox mounts: together well under its memory limit, which counts them."""
    memory = memory_mb << 20
    return {"/usr/local": 1 << 20, "/tmp": memory // 2, "/dev/shm": memory // 8, "/var/tmp": memory // 8,
            "/run": 16 << 20}


class _Stop:
    """The first limit that ends a command, and the event that wakes its waiter."""

    def __init__(self) -> None:
        self.limit: LimitName | None = None
        self.event = asyncio.Event()

    def set(self, limit: LimitName) -> None:
        if self.limit is None:
            self.limit = limit
        self.event.set()


async def _capture(stream: asyncio.StreamReader, path: Path, cap: int, stop: _Stop) -> None:
    """Append ``stream`` to ``path`` up to ``cap`` bytes, then a truncation marker.

    Never holds more than one read in memory. What comes past the cap is read and dropped, so that
    a verbose command goes on; a flood past ``FLOOD_FACTOR`` times the cap (which only costs the
    host the reading) ends the command at the ``output`` limit.
    """
    seen, truncated = 0, False
    with open(path, "ab") as file:
        while chunk := await stream.read(1 << 16):
            seen += len(chunk)
            if truncated:
                if seen > FLOOD_FACTOR * cap:
                    stop.set("output")
                continue
            keep = chunk[:max(0, cap - (seen - len(chunk)))]
            file.write(keep)
            if len(keep) < len(chunk):
                file.write(TRUNCATION_MARKER.format(cap=cap).encode())
                truncated = True


def _read_info(fd: int) -> dict:
    """What bwrap reports on its info fd (the namespace init's pid and namespaces); {} if it reported nothing."""
    data = b""
    with contextlib.suppress(OSError):
        while chunk := os.read(fd, 4096):
            data += chunk
    os.close(fd)
    try:
        info = json.loads(data)
    except ValueError:
        return {}
    return info if isinstance(info, dict) else {}


class BwrapSandbox:
    """A bubblewrap sandbox over a host ``Workspace``. Use as a context manager or call ``close``.

    ``containment`` says how its limits are held: by a cgroup, or (recorded, never silent) without one.
    With ``display`` (``"WIDTHxHEIGHT"``), every command runs on a desktop of that size started inside
    the sandbox (``lastexam.desktop``), with the computer tools on its PATH, recorded as video with ``video``
    (``desktop.keep_videos`` collects it). ``tools`` is the task's Python
    tool environment (``lastexam.tasks.toolenv``), bound read-only at its own path and first on the PATH.
    """

    def __init__(self, workspace: Workspace, limits: Limits, *, use_cgroup: bool = True,
                 display: str | None = None, tools: Path | None = None, video: bool = False) -> None:
        self.workspace = workspace
        self.limits = limits
        self.tools = tools
        self.display = display
        self.video = video
        if display:
            desktop.stage(workspace)
        self._bwrap = bwrap_executable()
        self._lease = UidLease() if os.geteuid() == 0 else None
        self._namespaces: set[int] = set()
        self.cgroup: SandboxCgroup | None = None
        try:
            if not use_cgroup:
                raise CgroupUnavailable("cgroups turned off for this sandbox")
            self.cgroup = SandboxCgroup.create(CgroupLimits(limits.memory_mb << 20, limits.processes, limits.cpus))
            self.containment = self.cgroup.description
        except CgroupUnavailable as exc:
            self.containment = (f"no cgroup ({exc}): memory, process and CPU limits held per process only; "
                                "sized tmpfs, disk watchdog and pid-namespace kill still apply")
        try:
            self._write_identity()
            self._grant_access()
        except BaseException:
            self.close()
            raise

    @property
    def host_uid(self) -> int:
        return self._lease.uid if self._lease else os.getuid()

    def __enter__(self) -> BwrapSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write_identity(self) -> None:
        etc = self.workspace.root / "etc"
        etc.mkdir(exist_ok=True)
        (etc / "passwd").write_text(
            f"root:x:0:0:root:/root:/usr/sbin/nologin\nagent:x:{SANDBOX_UID}:{SANDBOX_UID}:agent:{HOME_DIR}:/bin/bash\n"
            "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
        )
        (etc / "group").write_text(f"root:x:0:\nagent:x:{SANDBOX_UID}:\nnogroup:x:65534:\n")

    def _grant_access(self) -> None:
        """Make the workspace usable by the sandbox uid: inputs readable, output and home writable."""
        root = self.workspace.root
        os.chmod(root, 0o711)
        for directory in (self.workspace.input, self.workspace.agent, root / "etc"):
            for path, _, files in os.walk(directory):
                os.chmod(path, 0o755)
                for name in files:
                    file = os.path.join(path, name)
                    os.chmod(file, 0o644 | (os.stat(file).st_mode & 0o111))
        if self.workspace.instruction.is_file():
            os.chmod(self.workspace.instruction, 0o644)
        if self._lease:
            writable = [self.workspace.output, self.workspace.home]
            if self.display:
                writable.append(desktop.record_dir(self.workspace))
            for directory in writable:
                chown_tree(directory, self.host_uid)

    def command(self, argv: Sequence[str], *, cwd: str = HOME_DIR, env: Mapping[str, str] | None = None,
                info_fd: int | None = None) -> list[str]:
        """The full host command line that runs ``argv`` inside this sandbox with a clean environment plus ``env``.

        With ``info_fd``, bwrap writes the namespace init's pid and namespaces there as JSON.
        """
        ws = self.workspace
        sizes = tmpfs_sizes(self.limits.memory_mb)
        args = [self._bwrap]
        args += ["--unshare-all", "--share-net"] if self.limits.network else ["--unshare-all"]
        args += ["--die-with-parent", "--new-session", "--hostname", "sandbox"]
        if info_fd is not None:
            args += ["--info-fd", str(info_fd)]
        args += ["--ro-bind", "/usr", "/usr", "--size", str(sizes["/usr/local"]), "--tmpfs", "/usr/local"]
        for target, link in _USR_LINKS:
            if os.path.lexists(link):
                args += ["--symlink", target, link]
        args += ["--ro-bind", "/etc", "/etc"]
        args += ["--ro-bind", str(ws.root / "etc" / "passwd"), "/etc/passwd"]
        args += ["--ro-bind", str(ws.root / "etc" / "group"), "/etc/group"]
        # bwrap's /dev is an unsized tmpfs the sandbox uid owns: read-only, with a sized /dev/shm over it.
        args += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev"]
        for mount in ("/dev/shm", "/tmp", "/run", "/var/tmp"):
            args += ["--size", str(sizes[mount]), "--tmpfs", mount]
        if self.tools is not None and self.tools.is_dir():  # after the tmpfs mounts, which would hide it
            args += ["--ro-bind", str(self.tools), str(self.tools)]
        args += ["--ro-bind", str(ws.input), INPUT_DIR, "--bind", str(ws.output), OUTPUT_DIR]
        args += ["--bind", str(ws.home), HOME_DIR, "--ro-bind", str(ws.agent), AGENT_DIR]
        if ws.instruction.is_file():
            args += ["--ro-bind", str(ws.instruction), INSTRUCTION_FILE]
        for host, inside in ws.extra_binds:
            args += ["--bind", str(host), inside]
        for host, inside in ws.extra_ro_binds:
            args += ["--ro-bind", str(host), inside]
        args += ["--remount-ro", "/"]
        args += ["--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--chdir", cwd, "--clearenv"]
        for name, value in self.environment(env).items():
            args += ["--setenv", name, value]
        args += ["--"]
        args += desktop.wrap(list(argv), self.display, video=self.video) if self.display else list(argv)
        if self._lease:
            drop = ["setpriv", f"--reuid={self.host_uid}", f"--regid={self.host_uid}", "--clear-groups"]
            args = drop + args
        return args

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment the command sees: a clean one, plus ``extra``."""
        env = {
            "PATH": sandbox_path(self.tools), "HOME": HOME_DIR, "USER": "agent", "LOGNAME": "agent",
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TMPDIR": "/tmp", "SHELL": "/bin/bash",
            "ALE_INPUT_DIR": INPUT_DIR, "ALE_OUTPUT_DIR": OUTPUT_DIR,
        }
        if self.display:
            env["PATH"] = f"{desktop.BIN_DIR}:{sandbox_path(self.tools)}"
        env.update(extra or {})
        return env

    def _preexec(self) -> None:
        limits = self.limits
        memory = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        fsize = limits.file_size_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if self._lease:
            # Counted per host uid, and the uid is this sandbox's alone.
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        if self.cgroup:
            self.cgroup.join()

    @property
    def quota_roots(self) -> list[Path]:
        """The host directories the disk quota covers: home, output and any extra writable bind."""
        return [self.workspace.home, self.workspace.output, *(host for host, _ in self.workspace.extra_binds)]

    def over_quota(self) -> LimitName | None:
        """``disk`` or ``files`` when the writable directories hold more than the limits allow, else None."""
        members: set[int] = set()
        if self.cgroup:
            with contextlib.suppress(CgroupUnavailable, OSError):
                members = self.cgroup.pids()
        for namespace in self._namespaces:
            members.update(processes_in_pid_namespace(namespace))
        return over_quota(self.quota_roots, self.limits.disk_mb << 20, self.limits.max_files,  # type: ignore[return-value]
                          pids=members)

    async def _watch_quota(self, stop: _Stop) -> None:
        """Stop the command once home and output hold more than the quota (first look after a pause,
        so that a command cleaning up an over-quota sandbox gets to run)."""
        pause = QUOTA_INTERVAL
        while not stop.event.is_set():
            await asyncio.sleep(pause)
            began = time.monotonic()
            over = await asyncio.to_thread(self.over_quota)
            if over:
                stop.set(over)
                return
            # A huge tree is walked less often, so that the watchdog costs at most a third of a core.
            pause = max(QUOTA_INTERVAL, 2 * (time.monotonic() - began))

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
        """Run ``argv`` inside until it exits or a limit ends it (``ExecResult.limit``). All its processes are dead on return."""
        started = time.monotonic()
        cap = capture_bytes or self.limits.capture_bytes
        oom_kills = self.cgroup.oom_kills() if self.cgroup else 0
        info_read, info_write = os.pipe()
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command(argv, cwd=cwd, env=env, info_fd=info_write), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(info_write,),
                env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}, start_new_session=True, preexec_fn=self._preexec,
            )
        except BaseException:
            os.close(info_read)
            raise
        finally:
            os.close(info_write)
        stop = _Stop()
        assert process.stdout is not None and process.stderr is not None
        captures = [asyncio.ensure_future(_capture(process.stdout, stdout, cap, stop)),
                    asyncio.ensure_future(_capture(process.stderr, stderr, cap, stop))]
        watchdog = asyncio.ensure_future(self._watch_quota(stop))
        exited = asyncio.ensure_future(process.wait())
        stopped = asyncio.ensure_future(stop.event.wait())
        # Read beside the wait: a bwrap that hangs before reporting must not escape the time limit.
        info = asyncio.ensure_future(asyncio.to_thread(_read_info, info_read))
        try:
            done, _ = await asyncio.wait({exited, stopped}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if not done:
                stop.set("wall")
        finally:
            for task in (watchdog, stopped):
                task.cancel()
            if info.done():  # known before the kill, so that the namespace is killed from outside too
                self._note_namespace(info.result())
            self._kill(process.pid)
            with contextlib.suppress(ProcessLookupError):
                await process.wait()
            await asyncio.wait({info}, timeout=10)  # bwrap is dead: its info pipe is at its end
            if info.done():
                self._note_namespace(info.result())
            self.ensure_dead()
            # Every writer is dead, so both pipes are at their end.
            await asyncio.wait(captures, timeout=10)
        limit = stop.limit
        if limit is None and process.returncode != 0 and self.cgroup and self.cgroup.oom_kills() > oom_kills:
            limit = "memory"
        if limit is None:
            limit = await asyncio.to_thread(self.over_quota)
        return ExecResult(
            returncode=None if stop.limit else process.returncode, timed_out=limit == "wall",
            duration=time.monotonic() - started, limit=limit,
        )

    def exec_sync(self, argv: Sequence[str], **kwargs: object) -> ExecResult:
        """``exec`` for callers that are not in an event loop."""
        return asyncio.run(self.exec(argv, **kwargs))  # type: ignore[arg-type]

    def _note_namespace(self, info: dict) -> None:
        if isinstance(info.get("pid-namespace"), int):
            self._namespaces.add(info["pid-namespace"])

    def _kill(self, pid: int) -> None:
        """Kill the sandbox at once: its cgroup (any member in any state), the bwrap process group, the namespace inits."""
        if self.cgroup:
            with contextlib.suppress(CgroupUnavailable):
                self.cgroup.kill()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        for namespace in self._namespaces:
            for member in processes_in_pid_namespace(namespace):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(member, signal.SIGKILL)

    def ensure_dead(self, grace: float = 5.0) -> None:
        """Make sure no process of this sandbox survives. Raises SandboxError if one cannot be killed.

        Found by cgroup, by pid namespace (which needs no privilege: a stopped or traced namespace init
        is killed from outside, taking every process inside with it) and, as root, by the leased uid.
        """
        if self.cgroup:
            try:
                self.cgroup.kill(grace)
            except CgroupUnavailable as exc:
                raise SandboxError(str(exc)) from exc
        for namespace in list(self._namespaces):
            kill_until_gone(lambda ns=namespace: processes_in_pid_namespace(ns), grace)
            # Its init is dead, so nothing can enter it again: no need to look there twice.
            self._namespaces.discard(namespace)
        if self._lease:
            kill_uid(self.host_uid, grace)

    def close(self) -> None:
        """Kill any survivor, remove the cgroup, release the uid and remove the workspace."""
        try:
            self.ensure_dead()
        finally:
            if self.cgroup:
                self.cgroup.remove()
                self.cgroup = None
            if self._lease:
                self._lease.release()
                self._lease = None
            remove_tree(self.workspace.root)


def remove_tree(path: Path) -> None:
    """Remove a directory tree however deep or odd it is (never raises; never crosses into another mount).

    Python's own rmtree recurses and fails on a few thousand nested directories an agent can make.
    """
    with contextlib.suppress(OSError):
        subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


_STALE_TEMP = re.compile(r"^ale-[a-z-]+-(\d+)-")
_swept_temp = False


def sweep_stale_temp_dirs(directory: Path | None = None) -> list[Path]:
    """Remove the ``ale-*`` temporary directories (made by ``temp_dir``) of harness processes that died.

    Only this user's, and only those whose owner pid is gone: a crashed harness leaves nothing for good.
    """
    removed = []
    root = Path(directory or tempfile.gettempdir())
    with contextlib.suppress(OSError), os.scandir(root) as entries:
        for entry in entries:
            match = _STALE_TEMP.match(entry.name)
            with contextlib.suppress(OSError):
                if match and entry.is_dir(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_uid == \
                        os.getuid() and not pid_alive(int(match.group(1))):
                    remove_tree(Path(entry.path))
                    removed.append(Path(entry.path))
    return removed


def temp_dir(prefix: str) -> Path:
    """A fresh private directory ``ale-<what>-<pid>-*`` under the system temp directory.

    The pid in its name lets a later harness remove it if this process dies before it does; the
    first call in a process sweeps such leftovers.
    """
    global _swept_temp
    if not _swept_temp:
        _swept_temp = True
        sweep_stale_temp_dirs()
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))


def new_workspace(prefix: str = WORKSPACE_PREFIX) -> Workspace:
    """A fresh workspace under the system temp directory, with its empty subdirectories."""
    workspace = Workspace(temp_dir(prefix))
    for directory in (workspace.input, workspace.output, workspace.home, workspace.agent):
        directory.mkdir()
    return workspace


def read_capped_stream(path: Path, limit: int = MAX_TOOL_STREAM) -> str:
    """The text of a captured output stream, at most ``limit`` bytes of it.

    A longer stream keeps its first and last ``limit // 2`` bytes, joined by a line saying how many
    bytes were cut; it is never read whole, so a flood costs the reader no memory.
    """
    size = path.stat().st_size
    with path.open("rb") as stream:
        if size <= limit:
            return stream.read().decode(errors="replace")
        head = stream.read(limit // 2)
        stream.seek(size - limit // 2)
        tail = stream.read(limit // 2)
    cut = f"\n[... {size - len(head) - len(tail)} bytes of output cut ...]\n"
    return head.decode(errors="replace") + cut + tail.decode(errors="replace")


def run_in_scratch_sandbox(
    argv: list[str], workdir: Path, *, timeout: float, memory_mb: int = 2048, tools: Path | None = None
) -> tuple[int, str, str, bool]:
    """Run a command with ``workdir`` as its writable current directory in a fresh, offline sandbox.

    Used by graders to re-run a tool on untrusted artifacts. Returns (returncode, stdout, stderr,
    timed_out), each stream capped by ``read_capped_stream``; the return code is -1 when the
    command was killed at its time limit.
    """
    workspace = new_workspace("ale-grade-sbx-")
    limits = Limits(memory_mb=memory_mb, processes=256, file_size_mb=512, network=False)
    sandbox = BwrapSandbox(workspace, limits, tools=tools)
    try:
        if sandbox._lease:
            chown_tree(workdir, sandbox.host_uid)
        os.chmod(workdir, 0o755 if sandbox._lease else 0o700)
        workspace.extra_binds.append((workdir, "/work"))
        logs = workspace.root / "logs"
        logs.mkdir()
        result = sandbox.exec_sync(argv, timeout=timeout, stdout=logs / "out", stderr=logs / "err", cwd="/work")
        out, err = read_capped_stream(logs / "out"), read_capped_stream(logs / "err")
        return (-1 if result.returncode is None else result.returncode), out, err, result.timed_out
    finally:
        sandbox.close()
