"""A desktop per sandbox, and the computer tools that drive it.

A task that declares ``[environment] display = "WIDTHxHEIGHT"`` gets a sandbox whose every command
runs on a desktop of its own (``desktop.py``: Xvfb and openbox inside the same bubblewrap sandbox, as
the sandbox's user, with the X socket in the sandbox's private /tmp), and the computer tools
(``computer.py``) inside, at ``/opt/ale-desktop``: ``ale-computer`` on the PATH for script agents, an
MCP server for the agent CLIs, tools of the built-in llm agent (through ``session.DesktopSession``).

The host side here stages those programs into a workspace, wraps a command so that it runs on the
desktop, and keeps the final screenshot a run leaves.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from lastexam.contracts.trajectory import ContentPart, ImageSource, Trajectory
from lastexam.sandbox.base import Workspace

SANDBOX_DIR = "/opt/ale-desktop"
"""Where the desktop programs are inside the sandbox (read-only)."""
BIN_DIR = f"{SANDBOX_DIR}/bin"
RECORD_DIR = "/run/ale-desktop-record"
"""A writable directory inside the sandbox where the desktop leaves its final screenshot."""
FINAL_SCREENSHOT = "final.png"
DESKTOP_DEBIAN = ("xvfb", "openbox", "xdotool", "xfonts-base", "x11-utils", "python3-pil")
"""The Debian packages a desktop needs (``ale setup`` installs them when a selected task declares a display)."""
MCP_COMMAND = ["/usr/bin/python3", f"{SANDBOX_DIR}/computer.py", "mcp"]
"""How an agent CLI starts the computer tools' MCP server inside the sandbox."""
_PROGRAMS = ("computer.py", "desktop.py")
_MAX_SCREENSHOT = 32 << 20
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


def wrap(argv: list[str], size: str) -> list[str]:
    """``argv`` run on a fresh desktop of ``size``, which leaves its final screenshot in ``RECORD_DIR``."""
    return ["/usr/bin/python3", f"{SANDBOX_DIR}/desktop.py", "--size", size,
            "--final", f"{RECORD_DIR}/{FINAL_SCREENSHOT}", "--", *argv]


def keep_final_screenshot(workspace: Workspace, logs_dir: Path) -> Path | None:
    """Copy the final screenshot the desktop left to ``logs_dir/screenshots/final.png``; its path, or None.

    The record directory is the agent's to write, so the file is opened without following a link and
    kept only if it is a regular PNG file of sensible size.
    """
    try:
        fd = os.open(record_dir(workspace) / FINAL_SCREENSHOT, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_SCREENSHOT:
            return None
        data = handle.read(_MAX_SCREENSHOT)
    if not data.startswith(_PNG):
        return None
    target = logs_dir / "screenshots" / FINAL_SCREENSHOT
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


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
