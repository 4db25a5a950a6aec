"""The file tools of the ``llm`` agent, executed INSIDE the sandbox (staged as /agent/llm_tools.py).

Standard library only: it runs under whatever ``python3`` the sandbox has, never imports lastexam.

Usage: ``python3 /agent/llm_tools.py CHUNK [CHUNK ...]``. The chunks, joined, are one JSON request
``{"tool": NAME, "args": {...}, "limits": {...}}`` (split only to stay under the kernel's limit on
one argument). The answer is one JSON object on stdout: ``{"ok": true, "text": ...}``, with
``"image": {"media_type": ..., "base64": ...}`` for ``view_image``, or ``{"ok": false, "error": ...}``.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import sys

IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class ToolError(Exception):
    """A problem the model can fix (a missing file, an ambiguous edit); reported, never raised out."""


def _is_binary(path: str) -> bool:
    with open(path, "rb") as handle:
        return b"\0" in handle.read(8192)


def _regular_file(path: str) -> None:
    if not os.path.exists(path):
        raise ToolError(f"{path}: no such file")
    if os.path.isdir(path):
        raise ToolError(f"{path} is a directory; use list_dir")


def read_file(args: dict, limits: dict) -> dict:
    path = args["path"]
    start = max(int(args.get("start_line") or 1), 1)
    end = args.get("end_line")
    end = int(end) if end else None
    budget = int(limits.get("max_chars", 16000))
    _regular_file(path)
    if _is_binary(path):
        raise ToolError(f"{path} is a binary file; inspect it with shell tools (file, xxd, a converter)")
    lines, used, last, total = [], 0, start - 1, 0
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            total = number
            if number < start or (end is not None and number > end) or used > budget:
                continue
            text = f"{number:6d}\t{line.rstrip(chr(10))}"
            lines.append(text)
            used += len(text) + 1
            last = number
    if not lines:
        return {"ok": True, "text": f"{path}: {total} lines; nothing in the range {start}-{end or 'end'}"}
    shown = "\n".join(lines)
    if last < (end or total):
        shown += f"\n[... stopped at line {last} of {total}; read on with start_line={last + 1} ...]"
    return {"ok": True, "text": shown}


def write_file(args: dict, limits: dict) -> dict:
    path, content = args["path"], args["content"]
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(content)
    lines = content.count("\n") + (1 if content and not content.endswith("\n") else 0)
    return {"ok": True, "text": f"wrote {len(content.encode('utf-8'))} bytes ({lines} lines) to {path}"}


def replace_in_file(args: dict, limits: dict) -> dict:
    path, old, new = args["path"], args["old"], args["new"]
    _regular_file(path)
    if not old:
        raise ToolError("old must not be empty")
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    count = text.count(old)
    if count == 0:
        raise ToolError(f"the old text does not occur in {path}; read the file and copy the text exactly")
    if count > 1:
        raise ToolError(f"the old text occurs {count} times in {path}; include more context to make it unique")
    line = text[: text.index(old)].count("\n") + 1
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text.replace(old, new, 1))
    return {"ok": True, "text": f"replaced 1 occurrence in {path} at line {line}"}


def _describe(path: str, name: str) -> str:
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return f"{name} -> {os.readlink(path)}"
    if stat.S_ISDIR(info.st_mode):
        return f"{name}/"
    return f"{name}  ({info.st_size} bytes)"


def list_dir(args: dict, limits: dict) -> dict:
    root = args.get("path") or "."
    depth = min(max(int(args.get("depth") or 1), 1), 4)
    cap = int(limits.get("max_entries", 500))
    if not os.path.isdir(root):
        raise ToolError(f"{root}: not a directory")
    out, skipped = [], 0
    base = root.rstrip("/").count("/")
    for current, dirs, files in os.walk(root):
        dirs.sort()
        level = current.rstrip("/").count("/") - base
        if level + 1 >= depth:
            dirs_shown, dirs[:] = list(dirs), []
        else:
            dirs_shown = list(dirs)
        for name in dirs_shown + sorted(files):
            if len(out) >= cap:
                skipped += 1
                continue
            relative = os.path.relpath(os.path.join(current, name), root)
            out.append(_describe(os.path.join(current, name), relative))
    text = "\n".join(out) or "(empty)"
    if skipped:
        text += f"\n[... {skipped} more entries not shown ...]"
    return {"ok": True, "text": text}


def view_image(args: dict, limits: dict) -> dict:
    path = args["path"]
    _regular_file(path)
    size = os.path.getsize(path)
    cap = int(limits.get("max_image_bytes", 5_000_000))
    if size > cap:
        raise ToolError(f"{path} is {size} bytes, over the {cap}-byte limit; scale it down first (e.g. convert -resize)")
    with open(path, "rb") as handle:
        data = handle.read()
    media_type = next((kind for magic, kind in IMAGE_MAGIC if data.startswith(magic)), None)
    if media_type is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        media_type = "image/webp"
    if media_type is None:
        raise ToolError(f"{path} is not a PNG, JPEG, GIF or WebP image; convert it first (e.g. convert in.tif out.png)")
    return {"ok": True, "text": f"{path}: {media_type}, {size} bytes",
            "image": {"media_type": media_type, "base64": base64.b64encode(data).decode("ascii")}}


TOOLS = {"read_file": read_file, "write_file": write_file, "replace_in_file": replace_in_file,
         "list_dir": list_dir, "view_image": view_image}


def main(argv: list[str]) -> int:
    try:
        request = json.loads("".join(argv))
        answer = TOOLS[request["tool"]](request["args"], request.get("limits", {}))
    except ToolError as exc:
        answer = {"ok": False, "error": str(exc)}
    except (OSError, UnicodeDecodeError) as exc:
        answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    except KeyError as exc:
        answer = {"ok": False, "error": f"missing argument {exc}"}
    sys.stdout.write(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
