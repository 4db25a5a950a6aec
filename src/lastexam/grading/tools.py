"""Tools a grader re-runs on the agent's artifacts: run on the host side, each in a fresh offline sandbox.

A grader stages the files of a run in ``<work>/tools/N/files`` and asks for the run over a socket
(inside the grader sandbox) or by a direct call (a grader context used in-process). The host
copies the staged files into a fresh sandbox work directory, runs the command there under its
own uid and limits, then collects that directory back into ``<work>/tools/N/result`` the same way
an agent's output is collected: regular files and directories only, never a link. So the code
that runs cannot write anything the grader reads except plain files of its own making, and it
cannot see the grader, its reference or another run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lastexam.errors import MissingToolError
from lastexam.sandbox.bwrap import remove_tree, run_in_scratch_sandbox, sandbox_path, temp_dir
from lastexam.sandbox.collect import CollectLimits, collect_output

ToolRunner = Callable[[dict[str, Any]], dict[str, Any]]

_RUN_DIR = re.compile(r"^tools/[0-9]{1,6}$")
_MAX_MEMORY_MB = 16384
_TOOL_OUTPUT = CollectLimits(max_bytes=4 << 30, max_entries=50_000)


def run_staged_tool(request: dict[str, Any], work_dir: Path, *, grader_uid: int | None,
                    tools: Path | None = None) -> dict[str, Any]:
    """Carry out one tool request whose files are staged under ``work_dir / request['dir'] / 'files'``, in a
    sandbox with the task's tool environment ``tools``.

    Returns the reply: returncode (-1 when killed at the time limit), stdout and stderr (each at most
    4 MiB, a longer one cut in the middle with a marker), timed_out, and the refusals of collecting
    the result. Raises ValueError for a malformed request (a grader bug), MissingToolError when the
    program is not installed (see ``missing_program``).
    """
    run_dir = str(request.get("dir", ""))
    argv = request.get("argv")
    if not _RUN_DIR.match(run_dir) or not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise ValueError(f"malformed tool request: {request!r}")
    if missing := missing_program(argv, tools):
        raise MissingToolError(f"{missing} is not installed on this machine, so the grader cannot re-run it. "
                               "Fix: run `ale setup` (or install the task's declared software) and regrade")
    timeout = min(float(request.get("timeout", 60)), float(request.get("deadline", 1e9)))
    memory_mb = min(int(request.get("memory_mb", 2048)), _MAX_MEMORY_MB)
    staged, result = work_dir / run_dir / "files", work_dir / run_dir / "result"
    scratch = temp_dir("ale-grade-tool-")
    try:
        scratch.chmod(0o711)  # the tool's own uid must reach its work directory inside
        workdir = scratch / "work"
        collect_output(staged, workdir, _TOOL_OUTPUT)
        code, out, err, timed_out = run_in_scratch_sandbox(argv, workdir, timeout=max(timeout, 0.1),
                                                           memory_mb=memory_mb, tools=tools)
        collected = collect_output(workdir, result, _TOOL_OUTPUT)
    finally:
        remove_tree(scratch)
    if grader_uid is not None:
        subprocess.run(["chown", "-R", "--no-dereference", f"{grader_uid}:{grader_uid}", str(result)], check=False)
    return {"returncode": code, "stdout": out, "stderr": err, "timed_out": timed_out,
            "refused": collected.refused}


def missing_program(argv: list[str], tools: Path | None = None) -> str | None:
    """The program of ``argv`` when the machine lacks it: a bare name not found on the PATH of a sandbox with
    the tool environment ``tools``, or an absolute path that is not an executable file. A relative path
    (``./run.sh``) names a staged file, which the agent's output may lack through its own fault: not checked.
    None when nothing is missing."""
    program = argv[0] if argv else ""
    if not program:
        return "(an empty command)"
    if "/" not in program:
        return None if shutil.which(program, path=sandbox_path(tools)) else program
    if program.startswith("/"):
        return None if os.path.isfile(program) and os.access(program, os.X_OK) else program
    return None


def serve_tools(connection: socket.socket, work_dir: Path, *, grader_uid: int | None, deadline: float,
                setup_faults: list[str] | None = None, tools: Path | None = None) -> None:
    """Answer the tool requests of one grader sandbox until it closes its end of ``connection``.

    ``deadline`` is the time.monotonic() at which the grading ends: no tool runs past it. A missing program
    (``MissingToolError``) is appended to ``setup_faults``, host-side where the grader cannot erase it, so
    that the grading ends as an infrastructure error whatever the grader does with the refusal.
    """
    with connection, connection.makefile("rwb", buffering=0) as stream:
        for line in stream:
            try:
                request = json.loads(line)
                request["deadline"] = deadline - time.monotonic()
                reply = run_staged_tool(request, work_dir, grader_uid=grader_uid, tools=tools)
            except MissingToolError as exc:
                if setup_faults is not None:
                    setup_faults.append(str(exc))
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            except Exception as exc:  # the grader learns of it as a failed run, the harness goes on
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            try:
                stream.write(json.dumps(reply).encode() + b"\n")
            except OSError:
                return


def socket_runner(fd: int) -> ToolRunner:
    """A ToolRunner that asks the host over the inherited socket ``fd`` (inside the grader sandbox)."""
    stream = socket.socket(fileno=fd).makefile("rwb", buffering=0)
    one_at_a_time = threading.Lock()  # a grader may call run_tool from threads; the channel is one stream

    def run(request: dict[str, Any]) -> dict[str, Any]:
        with one_at_a_time:
            stream.write(json.dumps(request).encode() + b"\n")
            line = stream.readline()
        if not line:
            raise RuntimeError("the harness closed the tool channel")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"tool run refused by the harness: {reply['error']}")
        return reply

    return run


def local_runner(work_dir: Path, tools: Path | None = None) -> ToolRunner:
    """A ToolRunner that runs the tool directly (a grader context used in the harness's own process)."""
    return lambda request: run_staged_tool(request, work_dir, grader_uid=None, tools=tools)


def stage(files: dict[str, Path | str | bytes], into: Path) -> None:
    """Write a tool run's files: a Path is copied (its content, never a link), text and bytes are written."""
    for name, content in files.items():
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
