"""Building an ATIF trajectory and the usage totals from a CLI's native transcript.

Each CLI module reads its own format and tells a ``TranscriptBuilder`` what happened, in order:
the prompt, each model call (its text, reasoning, tool calls and token usage) and each tool
result. The builder numbers the steps, prices each call (the config's prices or the price table;
else the CLI's own figure, else unknown), attaches results to the step whose call they answer,
and adds every call to the ``Usage`` totals.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any

from lastexam.agents.accounting import CallUsage, add_call, price_cost
from lastexam.agents.config import ModelPrices
from lastexam.contracts.agent import Usage
from lastexam.contracts.trajectory import (
    AgentInfo,
    ContentPart,
    ImageSource,
    Observation,
    ObservationResult,
    Step,
    ToolCall,
    Trajectory,
)

IMAGE_SUFFIX = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
MAX_IMAGE_BYTES = 16 << 20
MAX_IMAGES = 2000


class TranscriptBuilder:
    """An ATIF trajectory under construction, with the usage totals of its model calls."""

    def __init__(self, agent: AgentInfo, session_id: str, prices: ModelPrices | None,
                 logs_dir: Path | None = None) -> None:
        """With ``logs_dir``, images in tool results (screenshots) are saved under ``logs_dir/images``."""
        self.trajectory = Trajectory(session_id=session_id, agent=agent)
        self.usage = Usage()
        self.prices = prices
        self.logs_dir = logs_dir
        self._by_call: dict[str, Step] = {}
        self._images = 0

    def message(self, source: str, text: str, **extra: Any) -> Step:
        """A system or user step."""
        assert source in ("system", "user")
        return self.trajectory.add_step(source, text, extra=extra or None)  # type: ignore[arg-type]

    def model_call(self, text: str, *, usage: CallUsage | None, tool_calls: list[ToolCall] | None = None,
                   model_name: str | None = None, reasoning: str | None = None, seconds: float = 0.0,
                   extra: dict[str, Any] | None = None) -> Step:
        """One agent step; ``usage`` None means the CLI reported none for it (the step is then not a turn)."""
        metrics = None
        if usage is not None:
            if self.prices is not None and usage.cost_source != "provider":
                usage.cost_usd, usage.cost_source = price_cost(usage, self.prices), "price_table"
            metrics = usage.metrics(model_seconds=seconds, wall_seconds=seconds)
            add_call(self.usage, usage, seconds)
        step = self.trajectory.add_step(
            "agent", text, model_name=model_name, reasoning_content=reasoning or None, metrics=metrics,
            tool_calls=tool_calls or None, observation=Observation(results=[]) if tool_calls else None, extra=extra)
        for call in tool_calls or []:
            self._by_call[call.tool_call_id] = step
        return step

    def add_tool_calls(self, step: Step, calls: list[ToolCall]) -> None:
        """More tool calls of a step already recorded (CLIs that report them one by one)."""
        step.tool_calls = [*(step.tool_calls or []), *calls]
        if step.observation is None:
            step.observation = Observation(results=[])
        for call in calls:
            self._by_call[call.tool_call_id] = step

    def content(self, value: Any) -> str | list[ContentPart]:
        """Tool output as ATIF content: text (``text_of``), or, when it holds images (Anthropic
        ``{"type": "image", "source": {"data", "media_type"}}`` or MCP ``{"type": "image", "data", "mimeType"}``
        blocks), text and image parts, each image saved as a file and referenced by its run-relative path.
        The transcript is the agent's to write: an image that does not decode, is too big or of an unknown
        type stays text."""
        if self.logs_dir is None or not isinstance(value, list) or not any(
                isinstance(v, dict) and v.get("type") == "image" for v in value):
            return text_of(value)
        parts = []
        for block in value:
            image = self._save_image(block) if isinstance(block, dict) and block.get("type") == "image" else None
            if image is not None:
                parts.append(image)
            else:
                parts.append(ContentPart(type="text", text=text_of(block.get("text", block) if isinstance(block, dict)
                                                                   else block)))
        return parts

    def _save_image(self, block: dict[str, Any]) -> ContentPart | None:
        assert self.logs_dir is not None
        source = block.get("source") if isinstance(block.get("source"), dict) else block
        media_type = source.get("media_type") or source.get("mimeType")
        data = source.get("data")
        if media_type not in IMAGE_SUFFIX or not isinstance(data, str) or self._images >= MAX_IMAGES \
                or len(data) > MAX_IMAGE_BYTES * 4 // 3 + 4:
            return None
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            return None
        self._images += 1
        path = self.logs_dir / "images" / f"tool-result-{self._images}.{IMAGE_SUFFIX[media_type]}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
        relative = str(path.relative_to(self.logs_dir.parent))
        return ContentPart(type="image", source=ImageSource(media_type=media_type, path=relative))

    def result(self, call_id: str, content: str | list[ContentPart]) -> None:
        """The result of a tool call, attached to the step that made it (a user step if none did)."""
        step = self._by_call.get(call_id)
        if step is None:
            self.trajectory.add_step("user", content, extra={"tool_result_for": call_id})
            return
        assert step.observation is not None
        step.observation.results.append(ObservationResult(source_call_id=call_id, content=content))

    def finish(self, cli_cost_usd: float | None = None, **extra: Any) -> Trajectory:
        """The finished trajectory: final metrics from the steps, ``extra`` in its final metrics.

        When a call (or every call) could not be priced, the CLI's own total (``cli_cost_usd``) becomes the run's cost.
        """
        trajectory = self.trajectory.finalize()
        assert trajectory.final_metrics is not None
        cost_source = "steps"
        unpriced = self.usage.cost_usd is None or trajectory.final_metrics.total_cost_usd is None
        if unpriced and isinstance(cli_cost_usd, int | float):
            trajectory.final_metrics.total_cost_usd = self.usage.cost_usd = float(cli_cost_usd)
            cost_source = "cli"
        trajectory.final_metrics.extra = {"total_cache_write_tokens": self.usage.cache_write_tokens,
                                          "turns": self.usage.turns, "cost_source": cost_source, **extra}
        return trajectory


def text_of(value: Any) -> str:
    """Tool output as text: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, dict) and v.get("type") == "text" for v in value):
        return "\n".join(str(v.get("text", "")) for v in value)
    return json.dumps(value, ensure_ascii=False)


def json_object(text: str) -> dict[str, Any] | None:
    """``text`` as a JSON object, or None when it is not one."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def tool_arguments(raw: Any) -> dict[str, Any]:
    """A tool call's arguments as an object: parsed when JSON text, else kept under ``input``."""
    value = json_object(raw) if isinstance(raw, str) else raw
    return value if isinstance(value, dict) else {"input": raw}


def json_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSON-lines file the harness wrote; other lines are skipped."""
    text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    return [r for r in map(json_object, text.splitlines()) if r is not None]


def home_json_lines(home: Path, path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSON-lines file the CLI left in its home (see ``read_home_file``)."""
    text = read_home_file(home, str(path.relative_to(home))) or ""
    return [r for r in map(json_object, text.splitlines()) if r is not None]


def read_home_file(home: Path, relative: str, max_bytes: int = 256 << 20) -> str | None:
    """A file the CLI left in its home, or None when it is missing or not a regular file inside the home.

    Read after every sandbox process is dead, so the agent cannot swap it; a link that leads out of
    the home (to a host file) is refused.
    """
    real = (home / relative).resolve()
    if not real.is_relative_to(home.resolve()) or not real.is_file():
        return None
    with open(real, "rb") as handle:
        return handle.read(max_bytes).decode("utf-8", errors="replace")
