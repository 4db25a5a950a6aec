"""A fork server for graders: ``python -m lastexam.grading.forkserver SOCKET``.

It imports the framework and the usual scientific libraries once, then for every connection
forks a fresh child that grades one trial and exits, so each grading runs in its own process
without paying Python's import cost. The child first sends its pid (so the harness can kill it
at the time limit), then ``ok`` or the error. The server exits when its standard input closes,
that is when the harness that started it is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys
import traceback


def _serve_one(connection: socket.socket, listener: socket.socket) -> None:
    listener.close()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    with connection, connection.makefile("rwb", buffering=0) as stream:
        request = json.loads(stream.readline())
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        stream.write(json.dumps({"pid": os.getpid()}).encode() + b"\n")
        try:
            from lastexam.grading.worker import main

            main(request["request"])
            reply = {"ok": True}
        except BaseException:
            traceback.print_exc()
            reply = {"ok": False, "error": traceback.format_exc(limit=-3)}
        sys.stdout.flush()
        sys.stderr.flush()
        stream.write(json.dumps(reply).encode() + b"\n")


def serve(socket_path: str) -> None:
    """Accept grading requests on ``socket_path`` until standard input reaches end of file."""
    import lastexam.grading.worker  # noqa: F401 - preloaded for the children
    for module in ("numpy", "pandas", "openpyxl", "scipy.stats"):
        with contextlib.suppress(ImportError):
            __import__(module)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(64)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        readable, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in readable and not os.read(sys.stdin.fileno(), 1):
            return
        if listener in readable:
            connection, _ = listener.accept()
            if os.fork() == 0:
                try:
                    _serve_one(connection, listener)
                finally:
                    os._exit(0)
            connection.close()


if __name__ == "__main__":
    serve(sys.argv[1])
