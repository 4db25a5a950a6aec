"""The tools of the ``llm`` agent: their definitions for the model and their execution in the sandbox.

Every tool call but ``finish`` is exactly one ``sandbox.exec``: ``shell`` runs ``bash -c COMMAND``;
the file tools run the staged helper (``sandbox_helper.py``, at /agent/llm_tools.py) with the
request as JSON arguments; on a sandbox with a desktop, the computer tools (``lastexam.desktop.computer``)
run its ``--json`` form. Output longer than the limit is cut in the middle with a marker.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lastexam.agents.base import INSTRUCTION_PATH
from lastexam.agents.llm.options import LlmOptions
from lastexam.contracts.sandbox import AGENT_DIR
from lastexam.desktop import SANDBOX_DIR
from lastexam.desktop.computer import TOOL_NAMES, TOOLS
from lastexam.sandbox import Sandbox, Workspace

HELPER_NAME = "llm_tools.py"
HELPER_SOURCE = Path(__file__).with_name("sandbox_helper.py")
HELPER_TIMEOUT = 120.0
ARG_CHUNK = 100_000  # below the kernel's 128 KiB limit on one argument
MAX_REQUEST = 1_500_000  # the whole argument list stays under the 2 MiB default
IMAGE_SUFFIX = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}


def _function(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "properties": properties, "required": required,
                       "additionalProperties": False}}}


_PATH = {"type": "string", "description": "absolute, or relative to /home/agent"}


def computer_tool_definitions() -> list[dict[str, Any]]:
    """The computer tools (``lastexam.desktop.computer.TOOLS``) as OpenAI tool definitions."""
    return [_function(t["name"], t["description"], t["properties"], t["required"]) for t in TOOLS]


def tool_definitions(options: LlmOptions, *, desktop: bool = False) -> list[dict[str, Any]]:
    """The OpenAI tool definitions offered to the model (``view_image`` only with ``vision``; the computer
    tools only on a ``desktop``)."""
    tools = [
        _function("shell", "Run a bash command in a fresh process started in /home/agent (cd and variables do "
                  "not persist between calls). Returns the exit status, stdout and stderr; long output is cut in "
                  "the middle. The command is killed at its time limit.",
                  {"command": {"type": "string"},
                   "timeout_sec": {"type": "number", "description":
                                   f"time limit in seconds (default and maximum {options.command_timeout_sec:g})"}},
                  ["command"]),
        _function("read_file", "Read a text file with line numbers, optionally only a range of lines.",
                  {"path": _PATH, "start_line": {"type": "integer", "description": "first line, from 1"},
                   "end_line": {"type": "integer", "description": "last line, inclusive"}}, ["path"]),
        _function("write_file", "Create or overwrite a text file (parent directories are created).",
                  {"path": _PATH, "content": {"type": "string"}}, ["path", "content"]),
        _function("replace_in_file", "Replace one exact, unique occurrence of old with new in a text file.",
                  {"path": _PATH, "old": {"type": "string"}, "new": {"type": "string"}}, ["path", "old", "new"]),
        _function("list_dir", "List a directory: names, sizes, subdirectories to the given depth.",
                  {"path": _PATH, "depth": {"type": "integer", "description": "1 to 4, default 1"}}, ["path"]),
        _function("finish", "Declare the task done; call it once the deliverables are written and checked.",
                  {"summary": {"type": "string", "description": "what was delivered"}}, ["summary"]),
    ]
    if options.vision:
        tools.insert(5, _function("view_image", "Look at a PNG, JPEG, GIF or WebP image file.", {"path": _PATH},
                                  ["path"]))
    if desktop:
        tools[-1:-1] = computer_tool_definitions()
    return tools


@dataclass
class Image:
    """An image a tool returned: its bytes are saved under the run directory."""

    media_type: str
    data: bytes
    path: Path


@dataclass
class ToolResult:
    """What a tool call produced for the model; ``finished`` ends the run."""

    text: str
    image: Image | None = None
    finished: bool = False


def clip(text: str, limit: int) -> str:
    """``text`` cut in the middle to at most about ``limit`` characters, with a marker saying how much went."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head
    return f"{text[:head]}\n[... {len(text) - head - tail} characters elided ...]\n{text[-tail:]}"


def _read_clipped(path: Path, limit: int) -> str:
    """A possibly huge output file, read only as far as ``clip`` needs."""
    if not path.exists():
        return ""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        if size <= 2 * limit:
            return clip(handle.read().decode("utf-8", errors="replace"), limit)
        head = handle.read(limit * 2 // 3).decode("utf-8", errors="replace")
        handle.seek(size - (limit - limit * 2 // 3))
        tail = handle.read().decode("utf-8", errors="replace")
    return f"{head}\n[... {size - limit} bytes elided ...]\n{tail}"


class Toolbox:
    """Runs the model's tool calls in one sandbox; scratch files live in ``logs_dir/tools``."""

    def __init__(self, sandbox: Sandbox, options: LlmOptions, logs_dir: Path) -> None:
        self.sandbox = sandbox
        self.desktop = bool(sandbox.display)
        self.options = options
        self.scratch = logs_dir / "tools"
        self.images = logs_dir / "images"
        self.scratch.mkdir(parents=True, exist_ok=True)
        self._calls = 0

    @staticmethod
    def stage(workspace: Workspace) -> None:
        """Copy the helper into the agent directory (read-only at /agent inside)."""
        shutil.copyfile(HELPER_SOURCE, workspace.agent / HELPER_NAME)

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """Run one tool call (the caller bounds the wall time). Problems are results, not exceptions."""
        self._calls += 1
        if name == "finish":
            return ToolResult(text="finished", finished=True)
        if name == "shell":
            return await self._shell(arguments)
        if name in ("read_file", "write_file", "replace_in_file", "list_dir") or (
                name == "view_image" and self.options.vision):
            return await self._helper(name, arguments)
        if self.desktop and name in TOOL_NAMES:
            return await self._computer(name, arguments)
        return ToolResult(text=f"error: there is no tool named {name!r}")

    def _files(self) -> tuple[Path, Path]:
        out, err = self.scratch / f"{self._calls}.stdout", self.scratch / f"{self._calls}.stderr"
        for path in (out, err):
            path.unlink(missing_ok=True)
        return out, err

    async def _shell(self, arguments: dict[str, Any]) -> ToolResult:
        command = arguments.get("command")
        if not isinstance(command, str) or not command.strip():
            return ToolResult(text="error: shell needs a non-empty string argument 'command'")
        limit = self.options.command_timeout_sec
        asked = arguments.get("timeout_sec")
        if isinstance(asked, int | float) and asked > 0:
            limit = min(limit, float(asked))
        out, err = self._files()
        result = await self.sandbox.exec(["bash", "-c", command], env={"ALE_INSTRUCTION": INSTRUCTION_PATH},
                                         timeout=limit, stdout=out, stderr=err)
        budget = self.options.output_limit_chars
        stdout, stderr = _read_clipped(out, budget), _read_clipped(err, budget // 2)
        out.unlink(missing_ok=True)
        err.unlink(missing_ok=True)
        if result.timed_out:
            status = f"killed at the {limit:g} s time limit"
        elif result.limit:
            status = f"killed: over the sandbox's {result.limit} limit"
        else:
            status = f"exit status {result.returncode}"
        text = status
        if stdout:
            text += f"\n--- stdout ---\n{stdout}"
        if stderr:
            text += f"\n--- stderr ---\n{stderr}"
        return ToolResult(text=text)

    async def _helper(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        limits = {"max_chars": self.options.output_limit_chars, "max_image_bytes": self.options.max_image_bytes}
        request = json.dumps({"tool": name, "args": arguments, "limits": limits})
        if len(request) > MAX_REQUEST:
            return ToolResult(text=f"error: the request is {len(request)} characters, over the {MAX_REQUEST} limit; "
                              "write large files in parts (write_file, then shell with cat >>)")
        chunks = [request[i:i + ARG_CHUNK] for i in range(0, len(request), ARG_CHUNK)]
        return await self._answer(name, ["python3", f"{AGENT_DIR}/{HELPER_NAME}", *chunks])

    async def _computer(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """One computer tool, run by the sandbox's ``computer.py --json``."""
        encoded = json.dumps(arguments)
        if len(encoded) > ARG_CHUNK:
            return ToolResult(text=f"error: the arguments are {len(encoded)} characters, over the {ARG_CHUNK} limit; "
                              "type long text in parts")
        return await self._answer(name, ["/usr/bin/python3", f"{SANDBOX_DIR}/computer.py", "--json", name, encoded])

    async def _answer(self, name: str, argv: list[str]) -> ToolResult:
        """Run a program that answers with one JSON object (text, and maybe an image) on its stdout."""
        out, err = self._files()
        result = await self.sandbox.exec(argv, timeout=HELPER_TIMEOUT, stdout=out, stderr=err)
        try:
            answer = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            reason = "timed out" if result.timed_out else f"over the sandbox's {result.limit} limit" if result.limit \
                else f"exit status {result.returncode}"
            problem = _read_clipped(err, 2000)
            return ToolResult(text=f"error: the {name} tool failed ({reason}){': ' + problem if problem else ''}")
        out.unlink(missing_ok=True)
        err.unlink(missing_ok=True)
        if not answer.get("ok"):
            return ToolResult(text=f"error: {answer.get('error')}")
        text = clip(str(answer.get("text", "")), self.options.output_limit_chars)
        image = answer.get("image")
        if not image:
            return ToolResult(text=text)
        self.images.mkdir(parents=True, exist_ok=True)
        path = self.images / f"image-{self._calls}.{IMAGE_SUFFIX.get(image['media_type'], 'bin')}"
        data = base64.b64decode(image["base64"])
        await asyncio.to_thread(path.write_bytes, data)
        os.chmod(path, 0o644)
        return ToolResult(text=text, image=Image(media_type=image["media_type"], data=data, path=path))
