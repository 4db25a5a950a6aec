"""Run a task's grader outside the sandbox, in its own process, under a time limit.

Each grading is a fresh process forked by the grader fork server (``forkserver.py``), which has
already imported the framework, so a grader starts in milliseconds; nothing of one grading
survives into the next.
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
        request = Path(scratch) / "request.json"
        grade_path = Path(scratch) / "grade.json"
        log = log_path or Path(scratch) / "grader.log"
        request.write_text(json.dumps({
            "task_dir": str(Path(task_dir).resolve()), "output_dir": str(Path(output_dir).resolve()),
            "input_dir": str(Path(input_dir).resolve()), "reference_dir": str(Path(reference_dir).resolve()),
            "params": params, "grade_path": str(grade_path),
        }))
        deadline = time.monotonic() + timeout
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(_server_socket())
            stream = connection.makefile("rwb", buffering=0)
            stream.write(json.dumps({"request": str(request), "log": str(log)}).encode() + b"\n")
            pid = json.loads(stream.readline() or b"{}").get("pid")
            connection.settimeout(max(0.001, deadline - time.monotonic()))
            try:
                line = stream.readline()
            except TimeoutError:
                if pid:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                raise GraderError(f"grader ran past its {timeout:g} s limit") from None
        reply = json.loads(line) if line else {"ok": False, "error": "the grader process died"}
        if not reply["ok"] or not grade_path.is_file():
            tail = "\n".join(log.read_text(errors="replace").strip().splitlines()[-12:]) if log.exists() else ""
            raise GraderError(f"grader crashed: {reply.get('error') or tail}")
        return Grade.model_validate_json(grade_path.read_text())
