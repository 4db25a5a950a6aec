"""The desktop of a sandbox, started INSIDE it (staged as /opt/ale-desktop/desktop.py; standard library only).

Usage::

    python3 desktop.py --size 1280x800 [--final PNG] [--video DIR] -- COMMAND [ARG...]
    python3 desktop.py --size 1280x800 -- python3 desktop.py serve --socket PATH

The first form starts a headless X server (Xvfb), a window manager (openbox) and, where Debian's
dbus and at-spi2-core are installed, a session bus with the accessibility (AT-SPI) bus on it (so that
applications publish their widget trees), all as the sandbox's own user, runs COMMAND with ``DISPLAY`` set, saves a final screenshot to PNG when COMMAND has ended,
stops the desktop and exits with COMMAND's status. The X server listens only on its socket in the
sandbox's private /tmp: no TCP, no abstract socket (which a sandbox sharing the host's network would
share with the host). With ``--video DIR``, ffmpeg records the screen from start to stop into
``DIR/session-N.mp4`` (fragmented MP4, playable even if the recorder is killed).

``serve`` is the session of the llm agent's harness: it connects to the harness's unix socket and runs
the commands sent there, one at a time, each in a process group of its own, so that the programs a
command leaves running on the desktop live on between commands. Request, one JSON line:
``{"argv", "env", "cwd", "timeout", "cap"}``; answer, one JSON line: ``{"returncode", "timed_out",
"duration", "stdout", "stderr", "stdout_size", "stderr_size"}`` (the streams base64, at most ``cap``
bytes each, the sizes whole).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

READY_TIMEOUT = 20.0
VIDEO_FPS = 4
VIDEO_STOP_TIMEOUT = 10.0
X_SOCKET_DIR = "/tmp/.X11-unix"
LOG_DIR = "/tmp/.ale-desktop"
MANAGER_READY = f"{LOG_DIR}/openbox-ready"
SESSION_BUS = f"{LOG_DIR}/session-bus"  # computer.py looks for the bus here when its caller dropped the variable
ACCESSIBILITY_BUS_LAUNCHER = "/usr/libexec/at-spi-bus-launcher"


def _wait_for_display(read_fd: int, server: subprocess.Popen) -> str:
    """The display number Xvfb writes on its -displayfd once it accepts connections."""
    deadline = time.monotonic() + READY_TIMEOUT
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or server.poll() is not None:
            raise RuntimeError(f"Xvfb did not start (see {LOG_DIR}/xvfb.log)")
        ready, _, _ = select.select([read_fd], [], [], min(left, 0.5))
        if ready:
            chunk = os.read(read_fd, 64)
            if not chunk:
                raise RuntimeError(f"Xvfb exited before it was ready (see {LOG_DIR}/xvfb.log)")
            data += chunk
    return ":" + data.decode().strip()


def _wait_for_window_manager(manager: subprocess.Popen) -> None:
    """Wait until the window manager runs its event loop (it runs its startup command just before). Its check
    window on the root shows earlier, while it still sets up: a window mapped then never shows."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and manager.poll() is None:
        if os.path.exists(MANAGER_READY):
            return
        time.sleep(0.005)
    raise RuntimeError(f"openbox did not start (see {LOG_DIR}/openbox.log)")


def _start_accessibility(env: dict[str, str]) -> list[subprocess.Popen]:
    """A session bus on a socket in the private /tmp, and the AT-SPI bus launcher on it; sets
    DBUS_SESSION_BUS_ADDRESS in ``env``. None of it (an empty list) when the packages are missing: the
    desktop works without, and the accessibility_tree tool says it is not available."""
    if not (shutil.which("dbus-daemon") and os.path.exists(ACCESSIBILITY_BUS_LAUNCHER)):
        return []
    address = f"unix:path={SESSION_BUS}"
    with open(f"{LOG_DIR}/dbus.log", "wb") as log:
        bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--nopidfile", f"--address={address}"],
                               env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    deadline = time.monotonic() + READY_TIMEOUT
    while not os.path.exists(SESSION_BUS):
        if time.monotonic() > deadline or bus.poll() is not None:
            raise RuntimeError(f"dbus-daemon did not start (see {LOG_DIR}/dbus.log)")
        time.sleep(0.005)
    # Qt applications publish their trees only when told to; GTK ones find the bus themselves.
    env.update(DBUS_SESSION_BUS_ADDRESS=address, QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1")
    with open(f"{LOG_DIR}/at-spi.log", "wb") as log:
        launcher = subprocess.Popen([ACCESSIBILITY_BUS_LAUNCHER, "--launch-immediately"], env=env,
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    return [launcher, bus]


def start(size: str) -> tuple[dict[str, str], list[subprocess.Popen]]:
    """Start Xvfb, openbox and the accessibility bus; returns the environment with DISPLAY (and
    DBUS_SESSION_BUS_ADDRESS) and the processes."""
    os.makedirs(X_SOCKET_DIR, mode=0o1777, exist_ok=True)
    os.makedirs(LOG_DIR, mode=0o700, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(MANAGER_READY)
    read_fd, write_fd = os.pipe()
    with open(f"{LOG_DIR}/xvfb.log", "wb") as log:
        server = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{size}x24", "-nolisten", "tcp",
             "-nolisten", "local", "-noreset", "-dpi", "96"],
            pass_fds=(write_fd,), stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    os.close(write_fd)
    try:
        display = _wait_for_display(read_fd, server)
    finally:
        os.close(read_fd)
    env = {**os.environ, "DISPLAY": display, "ALE_DISPLAY_SIZE": size}
    with open(f"{LOG_DIR}/openbox.log", "wb") as log:
        manager = subprocess.Popen(["openbox", "--sm-disable", "--startup", f"touch {MANAGER_READY}"], env=env,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    _wait_for_window_manager(manager)
    return env, [*_start_accessibility(env), manager, server]


def start_recording(env: dict[str, str], size: str, directory: str) -> subprocess.Popen | None:
    """ffmpeg recording the screen into the next ``session-N.mp4`` of ``directory`` (None, noted on stderr, when
    it cannot start: a run goes on without its video)."""
    number = 1 + sum(1 for name in os.listdir(directory) if name.startswith("session-"))
    argv = ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "x11grab", "-draw_mouse", "1",
            "-framerate", str(VIDEO_FPS), "-video_size", size, "-i", env["DISPLAY"], "-c:v", "libx264",
            "-preset", "ultrafast", "-crf", "32", "-pix_fmt", "yuv420p", "-movflags", "frag_keyframe+empty_moov",
            os.path.join(directory, f"session-{number}.mp4")]
    try:
        with open(f"{LOG_DIR}/ffmpeg.log", "ab") as log:
            return subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    except OSError as exc:
        print(f"ale desktop: no video: {exc}", file=sys.stderr)
        return None


def stop_recording(recorder: subprocess.Popen | None) -> None:
    """Let ffmpeg finish its file (SIGINT), or kill it when it does not in time."""
    if recorder is None:
        return
    with contextlib.suppress(ProcessLookupError):
        recorder.send_signal(signal.SIGINT)
    try:
        recorder.wait(timeout=VIDEO_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        recorder.kill()
        recorder.wait()


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait()


def final_screenshot(env: dict[str, str], path: str) -> None:
    """Save what the screen shows now to ``path`` (a failure is noted on stderr, never fatal)."""
    computer = os.path.join(os.path.dirname(os.path.abspath(__file__)), "computer.py")
    done = subprocess.run([sys.executable, computer, "screenshot", path], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"ale desktop: no final screenshot: {done.stderr.strip()}", file=sys.stderr)


def run(size: str, command: list[str], final: str | None, video: str | None) -> int:
    env, processes = start(size)
    recorder = start_recording(env, size, video) if video else None
    try:
        status = subprocess.run(command, env=env).returncode
        if final:
            final_screenshot(env, final)
        return status if status >= 0 else 128 - status
    finally:
        stop_recording(recorder)
        stop(processes)


def _captured(path: str, cap: int) -> tuple[str, int]:
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        return base64.b64encode(handle.read(cap)).decode("ascii"), size


def run_request(request: dict, scratch: str) -> dict:
    """Run one command of the session; programs it leaves in the background live on."""
    out, err = os.path.join(scratch, "stdout"), os.path.join(scratch, "stderr")
    env = {**os.environ, **request.get("env", {})}
    began = time.monotonic()
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        try:
            child = subprocess.Popen(request["argv"], cwd=request.get("cwd"), env=env, stdin=subprocess.DEVNULL,
                                     stdout=stdout, stderr=stderr, start_new_session=True)
        except OSError as exc:
            stderr.write(f"{exc}\n".encode())
            child = None
    returncode, timed_out = (127 if child is None else None), False
    if child is not None:
        try:
            returncode = child.wait(timeout=float(request["timeout"]))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            timed_out = True
    cap = int(request["cap"])
    stdout_data, stdout_size = _captured(out, cap)
    stderr_data, stderr_size = _captured(err, cap)
    return {"returncode": returncode, "timed_out": timed_out, "duration": time.monotonic() - began,
            "stdout": stdout_data, "stderr": stderr_data, "stdout_size": stdout_size, "stderr_size": stderr_size}


def serve(socket_path: str) -> int:
    """Run the harness's commands until it closes the connection."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(socket_path)
    scratch = tempfile.mkdtemp(prefix="ale-session-")
    with connection, connection.makefile("rb") as requests, connection.makefile("wb") as answers:
        for line in requests:
            answer = run_request(json.loads(line), scratch)
            answers.write(json.dumps(answer).encode() + b"\n")
            answers.flush()
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"]:
        parser = argparse.ArgumentParser(prog="desktop.py serve")
        parser.add_argument("--socket", required=True)
        return serve(parser.parse_args(argv[1:]).socket)
    parser = argparse.ArgumentParser(prog="desktop.py")
    parser.add_argument("--size", required=True)
    parser.add_argument("--final")
    parser.add_argument("--video")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    if not command:
        parser.error("give the command to run after --")
    return run(options.size, command, options.final, options.video)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
