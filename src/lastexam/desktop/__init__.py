"""A desktop per sandbox, and the computer tools that drive it.

A task that declares ``[environment] display = "WIDTHxHEIGHT"`` gets a sandbox whose every command
runs on a desktop of its own (``desktop.py``: Xvfb and openbox inside the same bubblewrap sandbox, as
the sandbox's user, with the X socket in the sandbox's private /tmp), and the computer tools
(``computer.py``) inside, at ``/opt/ale-desktop``: ``ale-computer`` on the PATH for script agents, an
MCP server for the agent CLIs, tools of the built-in llm agent (through ``session.DesktopSession``).

The host side here stages those programs into a workspace, wraps a command so that it runs on the
desktop, and keeps the final screenshot and the videos a run leaves.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

from lastexam.contracts.trajectory import ContentPart, ImageSource, Trajectory
from lastexam.sandbox.base import Workspace

SANDBOX_DIR = "/opt/ale-desktop"
"""Where the desktop programs are inside the sandbox (read-only)."""
BIN_DIR = f"{SANDBOX_DIR}/bin"
RECORD_DIR = "/run/ale-desktop-record"
"""A writable directory inside the sandbox where the desktop leaves its final screenshot and its videos."""
FINAL_SCREENSHOT = "final.png"
DESKTOP_DEBIAN = ("xvfb", "openbox", "xdotool", "xfonts-base", "x11-utils", "python3-pil", "ffmpeg", "dbus",
                  "at-spi2-core", "libatk-adaptor", "python3-pyatspi")
"""The Debian packages a desktop needs (``ale setup`` installs them when a selected task declares a display)."""
MCP_COMMAND = ["/usr/bin/python3", f"{SANDBOX_DIR}/computer.py", "mcp"]
"""How an agent CLI starts the computer tools' MCP server inside the sandbox."""
_PROGRAMS = ("computer.py", "desktop.py")
_MAX_SCREENSHOT = 32 << 20
_MAX_VIDEO = 1 << 30
_PNG = b"\x89PNG\r\n\x1a\n"


def staged_dir(workspace: Workspace) -> Path:
    return workspace.root / "desktop"


def record_dir(workspace: Workspace) -> Path:
    return workspace.root / "desktop-record"


def stage(workspace: Workspace) -> None:
    """Put the desktop programs into the workspace, bound read-only at ``SANDBOX_DIR``, and the record
    directory, bound writable at ``RECORD_DIR`` (counted in the sandbox's disk quota)."""
    programs = staged_dir(workspace)
    (programs / "bin").mkdir(parents=True, exist_ok=True)
    source = Path(__file__).parent
    for name in _PROGRAMS:
        shutil.copyfile(source / name, programs / name)
    launcher = programs / "bin" / "ale-computer"
    launcher.write_text(f'#!/bin/sh\nexec /usr/bin/python3 {SANDBOX_DIR}/computer.py "$@"\n')
    for path in (programs, programs / "bin", launcher):
        os.chmod(path, 0o755)
    for name in _PROGRAMS:
        os.chmod(programs / name, 0o644)
    record_dir(workspace).mkdir(exist_ok=True)
    workspace.extra_ro_binds.append((programs, SANDBOX_DIR))
    workspace.extra_binds.append((record_dir(workspace), RECORD_DIR))


def wrap(argv: list[str], size: str, *, video: bool = False) -> list[str]:
    """``argv`` run on a fresh desktop of ``size``, which leaves its final screenshot (and with ``video``, a
    recording of the session) in ``RECORD_DIR``."""
    return ["/usr/bin/python3", f"{SANDBOX_DIR}/desktop.py", "--size", size,
            "--final", f"{RECORD_DIR}/{FINAL_SCREENSHOT}", *(["--video", RECORD_DIR] if video else []), "--", *argv]


def _keep(path: Path, target: Path, limit: int, looks_right: Callable[[bytes], bool]) -> Path | None:
    """Copy a file the desktop left in the record directory, which is the agent's to write, to ``target``:
    opened without following a link, and only a regular file of at most ``limit`` bytes whose first bytes
    ``looks_right``. Returns ``target``, or None when nothing was kept."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        head = handle.read(16)
        if not looks_right(head):
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            out.write(head)
            shutil.copyfileobj(handle, out)
    return target


def keep_final_screenshot(workspace: Workspace, logs_dir: Path) -> Path | None:
    """Copy the final screenshot the desktop left to ``logs_dir/screenshots/final.png``; its path, or None."""
    return _keep(record_dir(workspace) / FINAL_SCREENSHOT, logs_dir / "screenshots" / FINAL_SCREENSHOT,
                 _MAX_SCREENSHOT, lambda head: head.startswith(_PNG))


def keep_videos(workspace: Workspace, logs_dir: Path) -> list[Path]:
    """Copy the videos the desktop recorded (``session-N.mp4``) to ``logs_dir/video/``; the paths kept."""
    kept = (_keep(path, logs_dir / "video" / path.name, _MAX_VIDEO, lambda head: head[4:8] == b"ftyp")
            for path in sorted(record_dir(workspace).glob("session-*.mp4")))
    return [path for path in kept if path is not None]


def record_final_screenshot(trajectory: Trajectory, screenshot: Path | None, logs_dir: Path) -> None:
    """Add a system step showing the desktop as the run left it (``screenshot`` under ``logs_dir``, or None:
    none could be taken); the image is referenced by its path relative to the run directory."""
    if screenshot is None:
        trajectory.add_step("system", "no final screenshot of the desktop could be taken")
        return
    relative = os.path.relpath(screenshot, logs_dir.parent)
    trajectory.add_step("system", [
        ContentPart(type="text", text="the desktop as the run left it"),
        ContentPart(type="image", source=ImageSource(media_type="image/png", path=relative))],
        extra={"final_screenshot": relative})
