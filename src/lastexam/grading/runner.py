"""Run a task's own code (its generator and its grader) outside the sandbox, each call in a
fresh process of its own under a time limit.

Each call is a process forked by the task-code fork server (``forkserver.py``), which has
already imported the framework, so it starts in milliseconds; nothing of one call survives into
the next, a crash of task code never takes the harness down, and libraries that are not
thread-safe (HDF5, say) never run in the harness's threads.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from lastexam.errors import GraderError
from lastexam.grading.model import Grade

_lock = threading.Lock()
_server: tuple[subprocess.Popen, str] | None = None


def _server_socket() -> str:
    """The socket of this process's grader fork server, started on first use (and again if it died)."""
    global _server
    with _lock:
        if _server is None or _server[0].poll() is not None:
            path = os.path.join(tempfile.mkdtemp(prefix="ale-graders-"), "socket")
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
    with tempfile.TemporaryDirectory(prefix="ale-task-code-") as scratch:
        request_path = Path(scratch) / "request.json"
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
    log_path: Path | None = None,
) -> Grade:
    """Grade collected output in a fresh process.

    Returns the Grade. Raises GraderError when the grader crashes, produces no grade, or runs
    past ``timeout`` seconds: an infrastructure failure, never the agent's.
    """
    with tempfile.TemporaryDirectory(prefix="ale-grade-") as scratch:
        grade_path = Path(scratch) / "grade.json"
        request = {"action": "grade", "params": params, "grade_path": str(grade_path),
                   **_paths(task_dir=task_dir, output_dir=output_dir, input_dir=input_dir, reference_dir=reference_dir)}
        _run_in_fork(request, timeout=timeout, log=log_path or Path(scratch) / "grader.log", what="grader")
        if not grade_path.is_file():
            raise GraderError("grader crashed: it wrote no grade")
        return Grade.model_validate_json(grade_path.read_text())
