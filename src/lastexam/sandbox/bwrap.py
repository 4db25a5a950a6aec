"""The bubblewrap backend: an allowlisted root, a private pid and network namespace, a non-root uid.

Inside, the agent sees the host's software read-only (/usr, /etc, the task tool environment),
``/workspace/input`` read-only, ``/workspace/output`` and ``/home/agent`` writable, a private
``/tmp``, and nothing else of the host: no home directories, no checkout, no run directories,
no reference, no results store.

When the harness runs as root, each sandbox also gets a host uid of its own (leased from a
range), so that the process limit applies per trial and a survivor can be found by uid.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from lastexam.errors import SandboxError
from lastexam.sandbox.base import (
    AGENT_DIR,
    HOME_DIR,
    INPUT_DIR,
    INSTRUCTION_FILE,
    OUTPUT_DIR,
    ExecResult,
    Limits,
    Workspace,
)

UID_RANGE = range(61000, 61512)
LEASE_DIR = Path("/run/lastexam/uids")
MAX_TOOL_STREAM = 4 << 20  # bytes of a grader tool's stdout, and of its stderr, handed back
SANDBOX_UID = 1000
SANDBOX_PATH = "/opt/lastexam/tools/bin:/usr/bin:/bin"
# Debian's merged /usr: these root entries are links into it.
_USR_LINKS = (("usr/bin", "/bin"), ("usr/sbin", "/sbin"), ("usr/lib", "/lib"), ("usr/lib64", "/lib64"))


def tools_dir() -> Path:
    """Where ``ale setup`` keeps the sandbox's Python tool environment (bound at the same path inside)."""
    return Path(os.environ.get("ALE_TOOLS_DIR", "/opt/lastexam/tools"))


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


def processes_of_uid(uid: int) -> list[int]:
    """Pids of the live processes whose real uid is ``uid`` (zombies, which can do nothing, are left out)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as status:
                fields = dict(line.split(":", 1) for line in status if line.startswith(("State:", "Uid:")))
        except OSError:
            continue
        if "Uid" in fields and int(fields["Uid"].split()[0]) == uid and not fields["State"].strip().startswith("Z"):
            pids.append(int(entry))
    return pids


def kill_uid(uid: int, grace: float = 5.0) -> None:
    """SIGKILL every process of ``uid`` until none is left. Raises SandboxError if one survives ``grace`` s."""
    deadline = time.monotonic() + grace
    while pids := processes_of_uid(uid):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            raise SandboxError(f"sandbox processes {pids} survived SIGKILL")
        time.sleep(0.01)


def chown_tree(root: Path, uid: int) -> None:
    """Give a whole tree to ``uid`` (links themselves, never what they point to)."""
    for path, dirs, files in os.walk(root):
        for name in (path, *(os.path.join(path, n) for n in dirs + files)):
            os.lchown(name, uid, uid)


class BwrapSandbox:
    """A bubblewrap sandbox over a host ``Workspace``. Use as a context manager or call ``close``."""

    def __init__(self, workspace: Workspace, limits: Limits) -> None:
        self.workspace = workspace
        self.limits = limits
        self._bwrap = bwrap_executable()
        self._lease = UidLease() if os.geteuid() == 0 else None
        self._write_identity()
        self._grant_access()

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
            for directory in (self.workspace.output, self.workspace.home):
                chown_tree(directory, self.host_uid)

    def command(self, argv: Sequence[str], *, cwd: str = HOME_DIR, env: Mapping[str, str] | None = None) -> list[str]:
        """The full host command line that runs ``argv`` inside this sandbox with a clean environment plus ``env``."""
        ws = self.workspace
        args = [self._bwrap]
        args += ["--unshare-all", "--share-net"] if self.limits.network else ["--unshare-all"]
        args += ["--die-with-parent", "--new-session", "--hostname", "sandbox"]
        args += ["--ro-bind", "/usr", "/usr", "--tmpfs", "/usr/local"]
        for target, link in _USR_LINKS:
            if os.path.lexists(link):
                args += ["--symlink", target, link]
        args += ["--ro-bind", "/etc", "/etc"]
        args += ["--ro-bind", str(ws.root / "etc" / "passwd"), "/etc/passwd"]
        args += ["--ro-bind", str(ws.root / "etc" / "group"), "/etc/group"]
        if tools_dir().is_dir():
            args += ["--ro-bind", str(tools_dir()), str(tools_dir())]
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/run", "--tmpfs", "/var/tmp"]
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
        args += list(argv)
        if self._lease:
            drop = ["setpriv", f"--reuid={self.host_uid}", f"--regid={self.host_uid}", "--clear-groups"]
            args = drop + args
        return args

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment the command sees: a clean one, plus ``extra``."""
        env = {
            "PATH": SANDBOX_PATH, "HOME": HOME_DIR, "USER": "agent", "LOGNAME": "agent",
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TMPDIR": "/tmp", "SHELL": "/bin/bash",
            "ALE_INPUT_DIR": INPUT_DIR, "ALE_OUTPUT_DIR": OUTPUT_DIR,
        }
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

    async def exec(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        timeout: float,
        stdout: Path,
        stderr: Path,
        cwd: str = HOME_DIR,
    ) -> ExecResult:
        """Run ``argv`` inside; kill the whole tree at ``timeout``. All its processes are dead on return."""
        started = time.monotonic()
        command = self.command(argv, cwd=cwd, env=env)
        with open(stdout, "ab") as out, open(stderr, "ab") as err:
            process = await asyncio.create_subprocess_exec(
                *command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}, start_new_session=True, preexec_fn=self._preexec,
            )
            timed_out = False
            try:
                await asyncio.wait_for(process.wait(), timeout=timeout)
            except TimeoutError:
                timed_out = True
            finally:
                self._kill(process.pid)
                with contextlib.suppress(ProcessLookupError):
                    await process.wait()
        self.ensure_dead()
        return ExecResult(
            returncode=None if timed_out else process.returncode, timed_out=timed_out,
            duration=time.monotonic() - started,
        )

    def exec_sync(self, argv: Sequence[str], **kwargs: object) -> ExecResult:
        """``exec`` for callers that are not in an event loop."""
        return asyncio.run(self.exec(argv, **kwargs))  # type: ignore[arg-type]

    @staticmethod
    def _kill(pid: int) -> None:
        # bwrap leads its own session; its pid-namespace init dies with it (--die-with-parent),
        # and the kernel then kills every process left in the namespace.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)

    def ensure_dead(self, grace: float = 5.0) -> None:
        """Make sure no process of this sandbox survives. Raises SandboxError if one cannot be killed."""
        if self._lease:
            kill_uid(self.host_uid, grace)

    def close(self) -> None:
        """Kill any survivor, release the uid and remove the workspace."""
        try:
            self.ensure_dead()
        finally:
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


def new_workspace(prefix: str = "ale-sbx-") -> Workspace:
    """A fresh workspace under the system temp directory, with its empty subdirectories."""
    workspace = Workspace(Path(tempfile.mkdtemp(prefix=prefix)))
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
    argv: list[str], workdir: Path, *, timeout: float, memory_mb: int = 2048
) -> tuple[int, str, str, bool]:
    """Run a command with ``workdir`` as its writable current directory in a fresh, offline sandbox.

    Used by graders to re-run a tool on untrusted artifacts. Returns (returncode, stdout, stderr,
    timed_out), each stream capped by ``read_capped_stream``; the return code is -1 when the
    command was killed at its time limit.
    """
    workspace = new_workspace("ale-grade-sbx-")
    limits = Limits(memory_mb=memory_mb, processes=256, file_size_mb=512, network=False)
    sandbox = BwrapSandbox(workspace, limits)
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
