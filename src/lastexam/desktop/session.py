"""A desktop session: one long command in a desktop sandbox that runs many commands, one at a time.

In a plain sandbox each command ends with every process it started. On a desktop, a program one
command opens (an editor window) must still be there for the next command (a click on it), so the
llm agent's harness runs its tool calls through a session: ``desktop.py serve`` runs on the sandbox's
desktop as one sandbox command and connects to a unix socket this side listens on (in a directory
bound read-only into the sandbox, so nothing inside can replace it); each ``exec`` is one request
there. The session has the sandbox's limits as a whole (memory, processes, disk, the agent's wall
time); each command its own time limit and output cap. A session the sandbox stopped (a limit, a
crash) is started afresh, on a fresh desktop, by the next command.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from lastexam import desktop
from lastexam.contracts.sandbox import HOME_DIR, ExecResult
from lastexam.errors import SandboxError
from lastexam.sandbox.base import Sandbox
from lastexam.sandbox.bwrap import TRUNCATION_MARKER

SOCKET_DIR = "/run/ale-desktop-session"
SOCKET_NAME = "session.sock"
CONNECT_TIMEOUT = 60.0
ANSWER_MARGIN = 30.0
"""How long past a command's own time limit an answer may take (the session kills the command at its limit)."""
MAX_ANSWER = 128 << 20
FINAL_SCREENSHOT_TIMEOUT = 30.0


class DesktopSession:
    """Runs commands in ``sandbox`` (which has a display) through one long-lived session command.

    Has the sandbox's ``exec`` contract, so that the harness can use it in the sandbox's place; ``close``
    (always call it) ends the session and every process on its desktop.
    """

    def __init__(self, sandbox: Sandbox, logs_dir: Path, wall_sec: float) -> None:
        if not sandbox.display:
            raise SandboxError("a desktop session needs a sandbox with a display")
        self.sandbox = sandbox
        self.workspace = sandbox.workspace
        self.limits = sandbox.limits
        self.display = sandbox.display
        self.logs_dir = logs_dir
        self.wall_sec = wall_sec
        self._socket_dir = sandbox.workspace.root / "desktop-session"
        self._socket_dir.mkdir(exist_ok=True)
        os.chmod(self._socket_dir, 0o755)
        sandbox.workspace.extra_ro_binds.append((self._socket_dir, SOCKET_DIR))
        self._server: asyncio.Server | None = None
        self._connected: asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter]] | None = None
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._command: asyncio.Task[ExecResult] | None = None
        self._starts = 0

    async def _start(self) -> None:
        """Start the session command and wait until it has connected."""
        self._starts += 1
        loop = asyncio.get_running_loop()
        self._connected = loop.create_future()
        path = self._socket_dir / SOCKET_NAME
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self._server = await asyncio.start_unix_server(self._accept, path=str(path), limit=MAX_ANSWER)
        os.chmod(path, 0o666)
        logs = self.logs_dir / "desktop"
        logs.mkdir(parents=True, exist_ok=True)
        argv = ["/usr/bin/python3", f"{desktop.SANDBOX_DIR}/desktop.py", "serve", "--socket", f"{SOCKET_DIR}/{SOCKET_NAME}"]
        self._command = asyncio.ensure_future(self.sandbox.exec(
            argv, timeout=self.wall_sec, stdout=logs / f"session-{self._starts}.stdout",
            stderr=logs / f"session-{self._starts}.stderr"))
        done, _ = await asyncio.wait({self._connected, self._command}, timeout=CONNECT_TIMEOUT,
                                     return_when=asyncio.FIRST_COMPLETED)
        if self._connected not in done:
            await self.close()
            raise SandboxError(f"the desktop session did not start (see logs/desktop/session-{self._starts}.stderr)")
        self._streams = self._connected.result()
        # Only the session command may connect: it does so before any command of the agent runs.
        self._server.close()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._connected is None or self._connected.done():
            writer.close()
            return
        self._connected.set_result((reader, writer))

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
        """Run ``argv`` on the session's desktop until it exits or its time limit; programs it leaves
        running stay on the desktop. A sandbox limit that stops the session is this command's ``limit``."""
        if self._command is None or self._command.done():
            await self.close()
            await self._start()
        assert self._streams is not None and self._command is not None
        reader, writer = self._streams
        cap = capture_bytes or self.limits.capture_bytes
        request = {"argv": list(argv), "env": dict(env or {}), "cwd": cwd, "timeout": timeout, "cap": cap}
        began = time.monotonic()
        writer.write(json.dumps(request).encode() + b"\n")
        await writer.drain()
        answer = asyncio.ensure_future(reader.readline())
        done, _ = await asyncio.wait({answer, self._command}, timeout=timeout + ANSWER_MARGIN,
                                     return_when=asyncio.FIRST_COMPLETED)
        if answer in done and answer.result():
            reply = json.loads(answer.result())
            _write_stream(stdout, reply["stdout"], reply["stdout_size"], cap)
            _write_stream(stderr, reply["stderr"], reply["stderr_size"], cap)
            return ExecResult(returncode=reply["returncode"], timed_out=reply["timed_out"],
                              duration=time.monotonic() - began, limit="wall" if reply["timed_out"] else None)
        answer.cancel()
        if answer in done:  # the session hung up: the sandbox is ending it (a limit), or it crashed
            await asyncio.wait({self._command}, timeout=ANSWER_MARGIN)
        if self._command.done():
            ended = self._command.result()
            return ExecResult(returncode=None, timed_out=ended.limit == "wall", duration=time.monotonic() - began,
                              limit=ended.limit)
        await self.close()  # the session stopped answering: a fresh one serves the next command
        return ExecResult(returncode=None, timed_out=True, duration=time.monotonic() - began, limit="wall")

    async def keep_final_screenshot(self) -> Path | None:
        """Save what the desktop shows now into ``logs_dir/screenshots/final.png``; its path, or None."""
        if self._command is None or self._command.done():
            return None
        scratch = self.logs_dir / "desktop"
        try:
            await self.exec(["/usr/bin/python3", f"{desktop.SANDBOX_DIR}/computer.py", "screenshot",
                             f"{desktop.RECORD_DIR}/{desktop.FINAL_SCREENSHOT}"], timeout=FINAL_SCREENSHOT_TIMEOUT,
                            stdout=scratch / "final.stdout", stderr=scratch / "final.stderr")
        except (OSError, ValueError, SandboxError):  # a session that broke down has no last look to give
            return None
        return desktop.keep_final_screenshot(self.workspace, self.logs_dir)

    async def close(self) -> None:
        """End the session: its command, and so every process on its desktop, is dead on return."""
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._command is not None:
            self._command.cancel()
            with contextlib.suppress(asyncio.CancelledError, SandboxError):
                await self._command
            self._command = None


def _write_stream(path: Path, encoded: str, size: int, cap: int) -> None:
    data = base64.b64decode(encoded)[:cap]
    with open(path, "ab") as file:
        file.write(data)
        if size > cap:
            file.write(TRUNCATION_MARKER.format(cap=cap).encode())
