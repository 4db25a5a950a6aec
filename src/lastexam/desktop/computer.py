"""The computer tools, executed INSIDE a sandbox that has a desktop (staged as /opt/ale-desktop/computer.py).

Standard library, Debian's python3-pil and xdotool only: it runs under the sandbox's ``/usr/bin/python3``
and never imports lastexam. Every action is implemented once here and offered three ways:

- ``ale-computer ACTION ARG...`` for script agents: the arguments are the tool's parameters in order
  (``ale-computer click 100 200``, ``ale-computer key ctrl+s``, ``ale-computer screenshot /tmp/s.png``);
  it prints one line of text, and exits 1 with the problem on stderr when the action failed;
- ``ale-computer --json ACTION JSON_ARGS`` for the llm agent's harness: one JSON answer on stdout,
  ``{"ok": true, "text": ..., "image": {"media_type": "image/png", "base64": ...}}`` or ``{"ok": false, "error": ...}``;
- ``ale-computer mcp``: a Model Context Protocol server on stdin/stdout that the agent CLIs load.

Coordinates are always pixels of the sandbox's screen (its declared display size), whatever the scale
of a screenshot; a scaled screenshot says its scale.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import shlex
import subprocess
import sys
import time
from typing import Any

SERVER_NAME = "ale-computer"
SERVER_VERSION = "1"
XDOTOOL_TIMEOUT = 30.0
MAX_WAIT = 30.0
TYPE_DELAY_MS = 8
X_SOCKET_DIR = "/tmp/.X11-unix"
SESSION_BUS = "/tmp/.ale-desktop/session-bus"  # desktop.py's session bus, for callers that dropped its variable
A11Y_TIMEOUT_MS = 3000
A11Y_MAX_LINES = 400
A11Y_MAX_DEPTH = 30

_X = {"type": "integer", "description": "x in screen pixels, from the left edge"}
_Y = {"type": "integer", "description": "y in screen pixels, from the top edge"}


def _tool(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"name": name, "description": description, "properties": properties, "required": required}


TOOLS: list[dict[str, Any]] = [
    _tool("screenshot", "Take a PNG screenshot of the whole screen. With scale below 1 the image is smaller; "
          "coordinates for the other tools stay in screen pixels (divide image coordinates by the scale).",
          {"path": {"type": "string", "description": "also save the PNG to this file (optional)"},
           "scale": {"type": "number", "description": "0.1 to 1 (default 1: full size)"}}, []),
    _tool("click", "Move the pointer to (x, y) and click a mouse button.",
          {"x": _X, "y": _Y, "button": {"type": "string", "enum": ["left", "middle", "right"],
                                        "description": "default left"}}, ["x", "y"]),
    _tool("double_click", "Double-click the left button at (x, y).", {"x": _X, "y": _Y}, ["x", "y"]),
    _tool("right_click", "Click the right button at (x, y) (context menus).", {"x": _X, "y": _Y}, ["x", "y"]),
    _tool("move", "Move the pointer to (x, y) without clicking (hover).", {"x": _X, "y": _Y}, ["x", "y"]),
    _tool("drag", "Press the left button at (x, y), move to (to_x, to_y) and release it there.",
          {"x": _X, "y": _Y, "to_x": _X, "to_y": _Y}, ["x", "y", "to_x", "to_y"]),
    _tool("scroll", "Scroll the mouse wheel at (x, y).",
          {"x": _X, "y": _Y, "direction": {"type": "string", "enum": ["up", "down", "left", "right"]},
           "amount": {"type": "integer", "description": "wheel clicks, 1 to 50 (default 3)"}},
          ["x", "y", "direction"]),
    _tool("type", "Type text with the keyboard into the focused window (newlines press Return).",
          {"text": {"type": "string"}}, ["text"]),
    _tool("key", "Press a key or key combination, e.g. Return, Escape, ctrl+s, ctrl+shift+Tab, alt+F4; "
          "several separated by spaces are pressed one after the other.",
          {"keys": {"type": "string"}}, ["keys"]),
    _tool("wait", "Wait for the screen to settle (an application starting, a file saving).",
          {"seconds": {"type": "number", "description": f"0 to {MAX_WAIT:g}"}}, ["seconds"]),
    _tool("launch", "Start a program on the desktop in the background and wait until a new window shows (some "
          "agent CLIs run shell commands without the display, so a program started there cannot open a window).",
          {"command": {"type": "string", "description": "the program and its arguments, split as a shell would "
                                                        "(quotes kept together; no pipes or redirections)"},
           "seconds": {"type": "number", "description": f"how long to wait for its window, 0 to {MAX_WAIT:g} "
                                                        f"(default {MAX_WAIT:g})"}}, ["command"]),
    _tool("cursor_position", "Where the pointer is, in screen pixels.", {}, []),
    _tool("accessibility_tree", "The accessibility (AT-SPI) tree of the focused window: one line per widget on "
          "screen with its role, name, position [x, y, width, height] in screen pixels, the text of text fields "
          "and its focused/selected/checked state, indented by nesting.", {}, []),
]
TOOL_NAMES = [tool["name"] for tool in TOOLS]


class ActionError(Exception):
    """A problem the caller can fix (a point off the screen, a bad key name); reported, never raised out."""


def _xdotool(*args: str) -> str:
    try:
        done = subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=XDOTOOL_TIMEOUT)
    except FileNotFoundError as exc:
        raise ActionError("xdotool is not installed in this sandbox (Debian package xdotool)") from exc
    except subprocess.TimeoutExpired as exc:
        raise ActionError(f"xdotool {args[0]} did not finish in {XDOTOOL_TIMEOUT:g} s") from exc
    problem = done.stderr.strip()
    if done.returncode != 0 or problem:
        raise ActionError(f"xdotool {args[0]} failed: {problem or f'exit status {done.returncode}'}")
    return done.stdout


def _find_display() -> None:
    """Set DISPLAY when a caller left it out (some agent CLIs start MCP servers with a filtered environment):
    the sandbox's X server is the one socket in its private /tmp/.X11-unix."""
    if os.environ.get("DISPLAY"):
        return
    with contextlib.suppress(OSError):
        sockets = sorted(name for name in os.listdir(X_SOCKET_DIR) if name.startswith("X") and name[1:].isdigit())
        if sockets:
            os.environ["DISPLAY"] = ":" + sockets[0][1:]
            return
    raise ActionError("no desktop here: DISPLAY is not set and no X server runs (the task declares no "
                      "[environment] display)")


def screen_size() -> tuple[int, int]:
    """The screen's width and height in pixels. Raises ActionError without a display."""
    _find_display()
    width, height = _xdotool("getdisplaygeometry").split()
    return int(width), int(height)


def _point(args: dict[str, Any], x: str = "x", y: str = "y") -> tuple[str, str]:
    width, height = screen_size()
    try:
        px, py = int(args[x]), int(args[y])
    except (TypeError, ValueError) as exc:
        raise ActionError(f"{x} and {y} must be integers (screen pixels)") from exc
    if not (0 <= px < width and 0 <= py < height):
        raise ActionError(f"({px}, {py}) is off the {width}x{height} screen; x must be 0 to {width - 1}, "
                          f"y 0 to {height - 1} (screen pixels, not those of a scaled screenshot)")
    return str(px), str(py)


def screenshot(args: dict[str, Any]) -> dict[str, Any]:
    from PIL import Image, ImageGrab  # Debian's python3-pil, built with X support

    scale = float(args.get("scale") or 1.0)
    if not 0.1 <= scale <= 1.0:
        raise ActionError(f"scale {scale:g} is outside 0.1 to 1")
    screen_size()
    image = ImageGrab.grab(xdisplay=os.environ["DISPLAY"])
    width, height = image.size
    if scale < 1.0:
        image = image.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    data = buffer.getvalue()
    text = f"screenshot of the {width}x{height} screen"
    if scale < 1.0:
        text += (f", scaled by {scale:g} to {image.size[0]}x{image.size[1]}: divide image coordinates by "
                 f"{scale:g} to get screen pixels")
    if args.get("path"):
        with open(args["path"], "wb") as handle:
            handle.write(data)
        text += f"; saved to {args['path']}"
    return {"text": text, "scale": scale, "image": {"media_type": "image/png",
                                                    "base64": base64.b64encode(data).decode("ascii")}}


def _click(x: str, y: str, button: str, repeat: int = 1) -> None:
    _xdotool("mousemove", "--sync", x, y, "click", "--repeat", str(repeat), "--delay", "80", button)


BUTTONS = {"left": "1", "middle": "2", "right": "3"}
WHEEL = {"up": "4", "down": "5", "left": "6", "right": "7"}


def click(args: dict[str, Any]) -> dict[str, Any]:
    name = args.get("button") or "left"
    if name not in BUTTONS:
        raise ActionError(f"button {name!r} is not one of {', '.join(BUTTONS)}")
    x, y = _point(args)
    _click(x, y, BUTTONS[name])
    return {"text": f"{name}-clicked at ({x}, {y})"}


def double_click(args: dict[str, Any]) -> dict[str, Any]:
    x, y = _point(args)
    _click(x, y, BUTTONS["left"], repeat=2)
    return {"text": f"double-clicked at ({x}, {y})"}


def right_click(args: dict[str, Any]) -> dict[str, Any]:
    return click({**args, "button": "right"})


def move(args: dict[str, Any]) -> dict[str, Any]:
    x, y = _point(args)
    _xdotool("mousemove", "--sync", x, y)
    return {"text": f"moved the pointer to ({x}, {y})"}


def drag(args: dict[str, Any]) -> dict[str, Any]:
    x, y = _point(args)
    to_x, to_y = _point(args, "to_x", "to_y")
    _xdotool("mousemove", "--sync", x, y, "mousedown", "1", "sleep", "0.1", "mousemove", "--sync", to_x, to_y,
             "sleep", "0.1", "mouseup", "1")
    return {"text": f"dragged from ({x}, {y}) to ({to_x}, {to_y})"}


def scroll(args: dict[str, Any]) -> dict[str, Any]:
    direction = args.get("direction")
    if direction not in WHEEL:
        raise ActionError(f"direction {direction!r} is not one of {', '.join(WHEEL)}")
    amount = int(args.get("amount") or 3)
    if not 1 <= amount <= 50:
        raise ActionError(f"amount {amount} is outside 1 to 50")
    x, y = _point(args)
    _xdotool("mousemove", "--sync", x, y, "click", "--repeat", str(amount), "--delay", "30", WHEEL[direction])
    return {"text": f"scrolled {direction} {amount} at ({x}, {y})"}


def type_text(args: dict[str, Any]) -> dict[str, Any]:
    text = args.get("text")
    if not isinstance(text, str) or not text:
        raise ActionError("type needs a non-empty string 'text'")
    screen_size()
    # xdotool types a newline as Linefeed, which Qt and LibreOffice ignore: press Return between lines
    for number, line in enumerate(text.split("\n")):
        if number:
            _xdotool("key", "--clearmodifiers", "Return")
        if line:
            _xdotool("type", "--delay", str(TYPE_DELAY_MS), "--", line)
    return {"text": f"typed {len(text)} characters"}


def key(args: dict[str, Any]) -> dict[str, Any]:
    keys = str(args.get("keys") or "").split()
    if not keys:
        raise ActionError("key needs 'keys', e.g. ctrl+s or Return")
    screen_size()
    _xdotool("key", "--clearmodifiers", "--delay", "50", "--", *keys)
    return {"text": f"pressed {' '.join(keys)}"}


def wait(args: dict[str, Any]) -> dict[str, Any]:
    seconds = float(args.get("seconds") or 0)
    if not 0 <= seconds <= MAX_WAIT:
        raise ActionError(f"seconds {seconds:g} is outside 0 to {MAX_WAIT:g}")
    time.sleep(seconds)
    return {"text": f"waited {seconds:g} s"}


def _visible_windows() -> set[str]:
    done = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", ""], capture_output=True, text=True,
                          timeout=XDOTOOL_TIMEOUT)
    return set(done.stdout.split())


def launch(args: dict[str, Any]) -> dict[str, Any]:
    try:
        argv = shlex.split(str(args.get("command") or ""))
    except ValueError as exc:
        raise ActionError(f"launch cannot split the command: {exc}") from exc
    if not argv:
        raise ActionError("launch needs a 'command', e.g. mousepad /workspace/output/note.txt")
    seconds = float(args.get("seconds", MAX_WAIT))
    if not 0 <= seconds <= MAX_WAIT:
        raise ActionError(f"seconds {seconds:g} is outside 0 to {MAX_WAIT:g}")
    screen_size()
    before = _visible_windows()
    try:
        program = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        raise ActionError(f"launch could not start {argv[0]}: {exc}") from exc
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _visible_windows() - before:
            return {"text": f"started {argv[0]} (pid {program.pid}); a new window shows"}
        if program.poll() not in (None, 0):
            raise ActionError(f"{argv[0]} exited with status {program.returncode} before showing a window")
        time.sleep(0.2)
    return {"text": f"started {argv[0]} (pid {program.pid}); no new window showed in {seconds:g} s"}


def cursor_position(args: dict[str, Any]) -> dict[str, Any]:
    screen_size()
    fields = dict(line.split("=", 1) for line in _xdotool("getmouselocation", "--shell").split())
    return {"text": f"the pointer is at ({fields['X']}, {fields['Y']})"}


def accessibility_tree(args: dict[str, Any]) -> dict[str, Any]:
    screen_size()
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") and os.path.exists(SESSION_BUS):
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={SESSION_BUS}"
    try:
        import pyatspi  # Debian's python3-pyatspi
    except ImportError as exc:
        raise ActionError("not available: this sandbox has no AT-SPI client (Debian package python3-pyatspi); "
                          "read the screen with screenshot instead") from exc
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        raise ActionError("not available: this desktop runs no accessibility bus (Debian packages dbus and "
                          "at-spi2-core); read the screen with screenshot instead")
    pyatspi.setTimeout(A11Y_TIMEOUT_MS, A11Y_TIMEOUT_MS)
    desktop = pyatspi.Registry.getDesktop(0)
    windows = [(app, window) for app in desktop if app is not None for window in app if window is not None]
    active = [(a, w) for a, w in windows if w.getState().contains(pyatspi.STATE_ACTIVE)]
    if not active and not windows:
        return {"text": "no application on the desktop publishes an accessibility tree"}
    app, window = (active or windows)[-1]
    lines = [f"{app.name}: {window.getRoleName()} {window.name!r} (screen pixels: x, y, width, height)"]
    _walk(pyatspi, window, 1, lines)
    if len(lines) > A11Y_MAX_LINES:
        lines = [*lines[:A11Y_MAX_LINES], f"... more widgets not shown (the tree is cut at {A11Y_MAX_LINES} lines)"]
    return {"text": "\n".join(lines)}


def _walk(pyatspi: Any, node: Any, depth: int, lines: list[str]) -> None:
    """One line per widget on screen under ``node`` (role, name, position, states that matter, the text of
    a text field), indented by depth; hidden widgets (a closed menu's items) left out."""
    for child in node:
        if child is None or len(lines) > A11Y_MAX_LINES:
            continue
        state = child.getState()
        if not state.contains(pyatspi.STATE_SHOWING):
            continue
        try:
            box = child.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
            where = f" [{box.x}, {box.y}, {box.width}, {box.height}]"
        except NotImplementedError:
            where = ""
        flags = [name for name, flag in (("focused", pyatspi.STATE_FOCUSED), ("selected", pyatspi.STATE_SELECTED),
                                         ("checked", pyatspi.STATE_CHECKED)) if state.contains(flag)]
        text = ""
        if child.getRoleName() in ("text", "entry", "paragraph", "terminal"):
            with contextlib.suppress(NotImplementedError):
                content = child.queryText().getText(0, 200)
                text = f" text={content!r}" if content else ""
        name = f" {child.name!r}" if child.name else ""
        lines.append(f"{'  ' * depth}{child.getRoleName()}{name}{where}{text}{' ' + ','.join(flags) if flags else ''}")
        if depth < A11Y_MAX_DEPTH:
            _walk(pyatspi, child, depth + 1, lines)


ACTIONS = {"screenshot": screenshot, "click": click, "double_click": double_click, "right_click": right_click,
           "move": move, "drag": drag, "scroll": scroll, "type": type_text, "key": key, "wait": wait,
           "launch": launch, "cursor_position": cursor_position, "accessibility_tree": accessibility_tree}


def act(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run one action; ``{"ok": True, "text": ..., ["image": ...]}`` or ``{"ok": False, "error": ...}``."""
    if name not in ACTIONS:
        return {"ok": False, "error": f"no computer tool named {name!r} (known: {', '.join(TOOL_NAMES)})"}
    try:
        return {"ok": True, **ACTIONS[name](args)}
    except ActionError as exc:
        return {"ok": False, "error": str(exc)}
    except (OSError, KeyError, TypeError, ValueError) as exc:
        return {"ok": False, "error": f"{name} failed ({type(exc).__name__}: {exc})"}


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    return int(value) if kind == "integer" else float(value) if kind == "number" else value


def command_line(argv: list[str]) -> int:
    """``ale-computer ACTION ARG...``: positional arguments are the tool's parameters in order."""
    if not argv or argv[0] not in ACTIONS:
        usage = "\n".join(f"  {t['name']} {' '.join(t['properties'])}: {t['description']}" for t in TOOLS)
        print(f"usage: ale-computer ACTION ARG...\nactions:\n{usage}", file=sys.stderr)
        return 2
    tool = next(t for t in TOOLS if t["name"] == argv[0])
    names = list(tool["properties"])
    if len(argv) - 1 > len(names):
        print(f"{argv[0]} takes at most {len(names)} arguments: {' '.join(names)}", file=sys.stderr)
        return 2
    try:
        args = {name: _coerce(value, tool["properties"][name]) for name, value in zip(names, argv[1:], strict=False)}
    except ValueError as exc:
        print(f"{argv[0]}: {exc}", file=sys.stderr)
        return 2
    if argv[0] == "screenshot" and not args.get("path"):
        args["path"] = os.path.abspath(f"screenshot-{time.strftime('%H%M%S')}.png")
    answer = act(argv[0], args)
    if not answer["ok"]:
        print(f"{argv[0]}: {answer['error']}", file=sys.stderr)
        return 1
    print(answer["text"])
    return 0


def _mcp_result(answer: dict[str, Any]) -> dict[str, Any]:
    if not answer["ok"]:
        return {"content": [{"type": "text", "text": answer["error"]}], "isError": True}
    content: list[dict[str, Any]] = [{"type": "text", "text": answer["text"]}]
    if "image" in answer:
        content.append({"type": "image", "data": answer["image"]["base64"], "mimeType": answer["image"]["media_type"]})
    return {"content": content, "isError": False}


def mcp_answer(message: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON-RPC answer to one MCP message (None for a notification)."""
    method, ident, params = message.get("method"), message.get("id"), message.get("params") or {}
    if ident is None:
        return None
    if method == "initialize":
        result: dict[str, Any] = {
            "protocolVersion": params.get("protocolVersion") or "2025-06-18", "capabilities": {"tools": {}},
            "serverInfo": {"name": SERVER_NAME, "version": SERVER_VERSION},
            "instructions": "Drive the desktop of this machine: look with screenshot, act with click, type, key. "
                            "Coordinates are screen pixels."}
    elif method == "ping":
        result = {}
    elif method == "tools/list":
        result = {"tools": [{"name": t["name"], "description": t["description"],
                             "inputSchema": {"type": "object", "properties": t["properties"],
                                             "required": t["required"]}} for t in TOOLS]}
    elif method == "tools/call":
        result = _mcp_result(act(str(params.get("name")), params.get("arguments") or {}))
    else:
        return {"jsonrpc": "2.0", "id": ident, "error": {"code": -32601, "message": f"method {method!r} not found"}}
    return {"jsonrpc": "2.0", "id": ident, "result": result}


def serve_mcp() -> int:
    """The MCP server over stdio: one JSON-RPC message per line each way, until stdin ends."""
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except ValueError:
            answer: dict[str, Any] | None = {"jsonrpc": "2.0", "id": None,
                                             "error": {"code": -32700, "message": "parse error"}}
        else:
            answer = mcp_answer(message) if isinstance(message, dict) else None
        if answer is not None:
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
    return 0


def json_call(argv: list[str]) -> dict[str, Any]:
    """``ACTION JSON_OBJECT``: the action's answer (``act``)."""
    if len(argv) != 2:
        return {"ok": False, "error": "usage: ale-computer --json ACTION JSON_OBJECT"}
    try:
        args = json.loads(argv[1])
    except ValueError as exc:
        return {"ok": False, "error": f"the arguments are not JSON ({exc})"}
    if not isinstance(args, dict):
        return {"ok": False, "error": "the arguments must be a JSON object"}
    return act(argv[0], args)


def main(argv: list[str]) -> int:
    if argv[:1] == ["mcp"]:
        return serve_mcp()
    if argv[:1] == ["--json"]:
        sys.stdout.write(json.dumps(json_call(argv[1:])))
        return 0
    return command_line(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
