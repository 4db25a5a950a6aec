"""Run a task's own code outside the agent's sandbox, each call in a fresh process under limits.

A generator (which sees no agent output) runs in a process forked by the task-code fork server
(``forkserver.py``), which has already imported the framework, so it starts in milliseconds; a
crash of task code never takes the harness down, and libraries that are not thread-safe (HDF5,
say) never run in the harness's threads. A grader reads what the agent made, so it runs in a
sandbox of its own (``jail.py``) as an unprivileged user with memory, CPU-time, process and wall
limits, and asks the harness for any tool run over a socket (``tools.py``).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from lastexam.contracts.grade import Grade
from lastexam.errors import GraderError, MissingToolError
from lastexam.grading import jail
from lastexam.grading.tools import serve_tools
from lastexam.sandbox.bwrap import UidLease, bwrap_executable, kill_uid, remove_tree, temp_dir
from lastexam.sandbox.cgroup import CgroupLimits, CgroupUnavailable, SandboxCgroup
from lastexam.tasks.toolenv import task_tool_env

_lock = threading.Lock()
_server: tuple[subprocess.Popen, str] | None = None


def _server_socket() -> str:
    """The socket of this process's grader fork server, started on first use (and again if it died)."""
    global _server
    with _lock:
        if _server is None or _server[0].poll() is not None:
            path = os.path.join(temp_dir("ale-graders-"), "socket")
            process = subprocess.Popen([sys.executable, "-m", "lastexam.grading.forkserver", path],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            assert process.stdout is not None
            if process.stdout.readline().strip() != b"ready":
                raise GraderError("the grader fork server failed to start")
            _server = (process, path)
        return _server[1]


def _run_in_fork(request: dict[str, Any], *, timeout: float, log: Path, what: str) -> None:
    """Send one request to a fresh forked process and wait for it under ``timeout``.

    Raises GraderError when the process fails, dies or runs out of time.
    """
    scratch = temp_dir("ale-task-code-")
    try:
        request_path = scratch / "request.json"
        request_path.write_text(json.dumps(request))
        deadline = time.monotonic() + timeout
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(_server_socket())
            stream = connection.makefile("rwb", buffering=0)
            stream.write(json.dumps({"request": str(request_path), "log": str(log)}).encode() + b"\n")
            pid = json.loads(stream.readline() or b"{}").get("pid")
            connection.settimeout(max(0.001, deadline - time.monotonic()))
            try:
                line = stream.readline()
            except TimeoutError:
                if pid:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                raise GraderError(f"{what} ran past its {timeout:g} s limit") from None
    finally:
        remove_tree(scratch)
    reply = json.loads(line) if line else {"ok": False, "error": f"the {what} process died"}
    if not reply["ok"]:
        tail = "\n".join(log.read_text(errors="replace").strip().splitlines()[-12:]) if log.exists() else ""
        raise GraderError(f"{what} crashed: {reply.get('error') or tail}")


def _paths(**paths: Path) -> dict[str, str]:
    return {name: str(Path(path).resolve()) for name, path in paths.items()}


def run_generator(
    task_dir: Path, params: dict[str, Any], input_dir: Path, reference_dir: Path, *, timeout: float, log_path: Path
) -> None:
    """Materialize an instance (``data/`` copied, ``generate`` run) in a fresh process.

    Raises GraderError when the generator crashes or runs past ``timeout`` seconds.
    """
    request = {"action": "generate", "params": params,
               **_paths(task_dir=task_dir, input_dir=input_dir, reference_dir=reference_dir)}
    _run_in_fork(request, timeout=timeout, log=log_path, what="generator")


def run_grader(
    task_dir: Path,
    output_dir: Path,
    input_dir: Path,
    reference_dir: Path,
    params: dict[str, Any],
    *,
    timeout: float,
    memory_mb: int = 4096,
    log_path: Path | None = None,
) -> Grade:
    """Grade collected output in a fresh grader sandbox (see ``jail.py``) under time and memory limits.

    Returns the Grade. Raises GraderError when the grader crashes, is killed at a limit, writes no
    grade, or runs past ``timeout`` seconds (whose fault that is, ``blame.grade_output`` decides);
    MissingToolError when it asked to run a program the machine lacks, whatever it did next.
    """
    lease = UidLease() if os.geteuid() == 0 else None
    cgroup = grader_cgroup(memory_mb)
    work = temp_dir("ale-grade-")
    ours, theirs = socket.socketpair()
    try:
        os.chmod(work, 0o755)
        if lease:
            os.chown(work, lease.uid, lease.uid)
        request = {"action": "grade", "task_dir": str(Path(task_dir).resolve()), "params": params,
                   "output_dir": str(jail.OUTPUT), "input_dir": str(jail.INPUT), "reference_dir": str(jail.REFERENCE),
                   "work_dir": str(jail.WORK), "grade_path": str(jail.WORK / "grade.json")}
        (work / "request.json").write_text(json.dumps(request))
        deadline = time.monotonic() + timeout
        setup_faults: list[str] = []
        server = threading.Thread(target=serve_tools, args=(ours, work), daemon=True,
                                  kwargs={"grader_uid": lease.uid if lease else None, "deadline": deadline,
                                          "setup_faults": setup_faults, "tools": task_tool_env(task_dir)})
        server.start()
        command = jail.grader_command(
            bwrap_executable(), [jail.interpreter(), "-m", "lastexam.grading.worker", str(jail.WORK / "request.json")],
            task_dir=Path(task_dir), output_dir=Path(output_dir), input_dir=Path(input_dir),
            reference_dir=Path(reference_dir), work_dir=work, uid=lease.uid if lease else None,
            tool_fd=theirs.fileno(),
        )
        log = log_path or work / "grader.log"
        code = _run_limited(command, log, timeout=timeout, memory_mb=memory_mb, pass_fds=(theirs.fileno(),),
                            cgroup=cgroup)
        theirs.close()
        server.join(timeout=max(0.0, deadline - time.monotonic()) + 5)
        if setup_faults:
            raise MissingToolError(setup_faults[0])
        if code is None:
            raise GraderError(f"grader ran past its {timeout:g} s limit")
        if code != 0:
            raise GraderError(f"grader crashed: {_crash_reason(code, log)}")
        return _read_grade(work / "grade.json")
    finally:
        theirs.close()
        if cgroup:
            cgroup.remove()
        if lease:
            kill_uid(lease.uid)
            lease.release()
        remove_tree(work)


_MAX_GRADE_BYTES = 64 << 20


def grader_cgroup(memory_mb: int) -> SandboxCgroup | None:
    """A cgroup holding a grader's processes together to ``memory_mb`` and one core, or None where none can be made
    (the per-process limits of ``_run_limited`` still apply)."""
    try:
        return SandboxCgroup.create(CgroupLimits(memory_mb << 20, _GRADER_PROCESSES, 1.0))
    except CgroupUnavailable:
        return None


def _run_limited(command: list[str], log: Path, *, timeout: float, memory_mb: int, pass_fds: tuple[int, ...],
                 cgroup: SandboxCgroup | None = None) -> int | None:
    """Run ``command`` under memory, CPU-time and process limits (and in ``cgroup``, killed whole at the end);
    its exit code, or None past ``timeout``."""

    def limits() -> None:
        memory = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        cpu = int(timeout) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_NPROC, (_GRADER_PROCESSES, _GRADER_PROCESSES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if cgroup:
            cgroup.join()

    with open(log, "ab") as out:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                   pass_fds=pass_fds, start_new_session=True, preexec_fn=limits,
                                   env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"})
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        finally:
            if cgroup:
                with contextlib.suppress(CgroupUnavailable):
                    cgroup.kill()
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


_GRADER_PROCESSES = 256


def _crash_reason(code: int, log: Path) -> str:
    tail = _log_tail(log)
    if code < 0:
        return f"killed by signal {-code} ({signal.Signals(-code).name}; a CPU or memory limit?) {tail}".strip()
    return tail or f"exit status {code}"


def _log_tail(log: Path, lines: int = 12) -> str:
    try:
        with open(log, "rb") as handle:
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - 8192))
            return "\n".join(handle.read().decode(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def _read_grade(path: Path) -> Grade:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        raise GraderError("grader crashed: it wrote no grade") from None
    with os.fdopen(fd, "rb") as handle:
        text = handle.read(_MAX_GRADE_BYTES + 1)
    if len(text) > _MAX_GRADE_BYTES:
        raise GraderError(f"grader wrote a grade over {_MAX_GRADE_BYTES} bytes")
    try:
        return Grade.model_validate_json(text)
    except ValueError as exc:
        raise GraderError(f"grader wrote an invalid grade: {exc}") from None
