"""The adapter that runs a real agent CLI inside the sandbox, reaching its model through the narrow channel.

One ``CliAgent`` drives any CLI through a ``CliDriver`` (one module per CLI): the driver says how to
start the CLI non-interactively with full permissions in the workspace, which files it needs in its
home, which header carries the key, and how to read its native transcript. The adapter does the rest:

- stage: the channel's relay into ``/agent``, the CLI's install directory bound read-only at its own
  path, the channel's socket directory bound read-only at ``/run/ale-channel``, the driver's files;
- run: the host proxy (``lastexam.sandbox.channel``) to the config's endpoint with the key from the
  host's environment, the CLI under the wall limit (the config's, capped by the task's), a stop when
  the channel refuses a call past the turn limit or gives up on a failing service; its stdout and
  stderr go to ``logs/``;
- after: the transcript as ATIF steps with tool calls, observations, tokens and cost, and the totals.

Outcome: ``timeout`` at the wall limit, ``limit`` when the turn limit stopped it (the channel's count,
or the CLI's own when it was given the limit), ``completed`` on exit status 0, else ``crashed``. A CLI
that failed without one answered model call or right after the model service failed, or that the
channel stopped for a failing service, is an ``infra_error`` (the harness or the service, not the agent).
A transcript that does not parse is the agent's failure (``crashed``, with the reason), never an
``infra_error``: the transcript passes through the agent's hands (its stdout, its home), so it could
otherwise launder a failure into an error that rates leave out.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field

from lastexam.agents.accounting import add_call, call_usage, prices_for
from lastexam.agents.base import AgentContext, sandbox_limit_detail
from lastexam.agents.cli.install import CliPackage, entry_point, install_dir, installed
from lastexam.agents.cli.transcript import TranscriptBuilder, read_home_file
from lastexam.agents.config import AgentConfig, ModelPrices
from lastexam.contracts.agent import AgentOutcome, AgentRun, Usage
from lastexam.contracts.sandbox import HOME_DIR, ExecResult
from lastexam.contracts.trajectory import AgentInfo, Trajectory
from lastexam.desktop import MCP_COMMAND, keep_final_screenshot, record_final_screenshot
from lastexam.errors import ConfigError
from lastexam.sandbox import Sandbox, Workspace
from lastexam.sandbox.channel import (
    SANDBOX_SOCKET_DIR,
    ChannelStats,
    Credential,
    ModelChannel,
    forward_command,
    sandbox_base_url,
    stage_forwarder,
)
from lastexam.tasks.loader import Task

CHANNEL_KEY = "ale-model-channel"
# Some CLIs write their transcript to stdout: a long session may pass the sandbox's usual capture cap.
TRANSCRIPT_CAPTURE_BYTES = 256 << 20
"""The key the CLI sees inside the sandbox: a placeholder; the host proxy puts the real key upstream."""
CHANNEL_DIR = "channel"
COMPUTER_MCP_SERVER = "computer"
"""The name the computer tools' MCP server has in each CLI's configuration (Claude Code: ``mcp__computer__click``)."""


class CliOptions(BaseModel):
    """Options every CLI harness takes (``options:`` in the agent config)."""

    model_config = ConfigDict(extra="forbid")

    extra_args: list[str] = Field(default_factory=list, description="more arguments for the CLI's command line")
    env: dict[str, str] = Field(default_factory=dict, description="more environment variables for the CLI (no secrets)")
    max_service_failures: int = Field(default=8, ge=1, description="failed model answers in a row that end the run "
                                      "as an infra error (401/403/429/5xx or no answer)")
    unanswered_sec: float = Field(default=120, gt=0, description="a model request still unanswered this long when the "
                                  "wall limit comes makes the trial an infra error (the service hung), not a timeout")


@dataclass(frozen=True)
class CliRun:
    """What a driver knows about one run when it builds the command line and reads the transcript."""

    config: AgentConfig
    options: CliOptions
    instruction: str
    base_url: str
    """The endpoint as the CLI sees it inside the sandbox (``http://127.0.0.1:PORT/...``)."""
    wall_sec: float
    home: Path
    """The sandbox's home directory on the host (``/home/agent`` inside); the CLI owns what is in it."""
    stdout: Path
    stderr: Path


class CliDriver(Protocol):
    """How to run one CLI and read its transcript."""

    package: ClassVar[CliPackage]
    summary: ClassVar[str]
    default_base_url: ClassVar[str]
    options_model: ClassVar[type[CliOptions]]
    native_transcripts: ClassVar[tuple[str, ...]]
    """Globs, relative to the CLI's home, of the CLI's own records of the run (kept under ``logs/native/``)."""

    def credential(self, config: AgentConfig, key: str) -> Credential:
        """The header that carries the key to the provider."""
        ...

    def model_calls(self, config: AgentConfig) -> re.Pattern[str]:
        """The POST paths (below the endpoint's path) of the CLI's model calls; nothing else is forwarded."""
        ...

    def home_files(self, config: AgentConfig, options: CliOptions, base_url: str,
                   mcp_servers: dict[str, list[str]]) -> dict[str, str]:
        """Files the CLI needs in its home (settings), by path relative to it; ``base_url`` as the CLI sees it.

        ``mcp_servers`` (name: command line inside the sandbox) are stdio MCP servers the CLI must load
        through its own configuration (the computer tools on a desktop); a CLI without MCP support ignores them.
        """
        ...

    def command(self, run: CliRun) -> list[str]:
        """The CLI's command line inside the sandbox (its non-interactive, autonomous mode)."""
        ...

    def environment(self, run: CliRun) -> dict[str, str]:
        """Environment variables for the CLI (base URL, placeholder key, no telemetry)."""
        ...

    def transcript(self, run: CliRun, builder: TranscriptBuilder) -> dict[str, Any]:
        """Read the native transcript into ``builder``; returns what the CLI said about the run.

        ``"limit": True`` in the answer marks a run the CLI ended itself at a limit it was given;
        ``"cli_cost_usd"`` is the CLI's own cost figure, used when no call could be priced.
        """
        ...


class CliAgent:
    """A real agent CLI under test. Built from a config (cheap, offline); ``run`` does the work."""

    def __init__(self, config: AgentConfig, driver: CliDriver) -> None:
        """Raises ConfigError: bad options, an unset key variable, a CLI that is not installed."""
        self.config = config
        self.driver = driver
        self.package = driver.package
        self.options = config.parse_options(driver.options_model)
        self.name = config.agent_name
        self.prices: ModelPrices | None = config.prices or prices_for(config.model)
        self.base_url = config.base_url or driver.default_base_url
        try:
            self.sandbox_url = sandbox_base_url(self.base_url)
        except ValueError as exc:
            raise ConfigError(config.where, "base_url", str(exc), "give the endpoint's http(s) URL") from exc
        self._key = config.api_key()
        if config.limits.tokens is not None or config.limits.cost_usd is not None:
            raise ConfigError(config.where, "limits", f"the {config.harness} harness keeps the turn and wall limits "
                              "only (a CLI streams its own calls)", "remove limits.tokens and limits.cost_usd")
        if not installed(self.package.harness):
            raise ConfigError(config.where, "harness", f"{self.package.spec} is not installed in "
                              f"{install_dir(self.package.harness)}",
                              f"run `ale setup --agents {self.package.harness}`")

    def stage(self, workspace: Workspace, task: Task) -> None:
        """The relay into ``/agent``, the CLI's settings into the home, the two read-only binds."""
        stage_forwarder(workspace.agent)
        mcp_servers = {COMPUTER_MCP_SERVER: MCP_COMMAND} if task.spec.environment.display else {}
        for relative, text in self.driver.home_files(self.config, self.options, self.sandbox_url, mcp_servers).items():
            path = workspace.home / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        directory = install_dir(self.package.harness)
        workspace.extra_ro_binds.append((directory, str(directory)))
        channel_dir = workspace.root / CHANNEL_DIR
        channel_dir.mkdir(exist_ok=True)
        workspace.extra_ro_binds.append((channel_dir, SANDBOX_SOCKET_DIR))

    async def run(self, sandbox: Sandbox, context: AgentContext) -> AgentRun:
        """Run the CLI to its end or a limit; every sandbox process is dead on return."""
        began = time.monotonic()
        wall = min(context.timeout, self.config.limits.wall_sec or context.timeout)
        stem = self.package.harness
        run = CliRun(config=self.config, options=self.options, instruction=context.instruction,
                     base_url=self.sandbox_url, wall_sec=wall, home=sandbox.workspace.home,
                     stdout=context.logs_dir / f"{stem}.stdout", stderr=context.logs_dir / f"{stem}.stderr")
        channel = ModelChannel(
            self.base_url, credential=self.driver.credential(self.config, self._key) if self._key else None,
            socket_dir=sandbox.workspace.root / CHANNEL_DIR, model_calls=self.driver.model_calls(self.config),
            max_calls=self.config.limits.turns, max_failures=self.options.max_service_failures,
            log_path=context.logs_dir / "model_channel.jsonl")
        argv = forward_command(self.driver.command(run) + self.options.extra_args)
        env = {**self.driver.environment(run), **self.options.env}
        async with channel:
            result = await _exec_until_stopped(sandbox, argv, env, run, channel)
            unanswered = channel.unanswered_for()
        outcome, detail = _outcome(result, channel.stop_reason, wall)
        infra_error = None
        if outcome == "timeout" and unanswered >= self.options.unanswered_sec:
            outcome = "crashed"
            infra_error = detail = (f"the model service had not answered a request for {unanswered:.0f} s when the "
                                    f"{wall:g} s wall limit came (unanswered_sec: {self.options.unanswered_sec:g})")
        elif channel.stop_reason == "service":
            infra_error = detail = (f"the model service failed {channel.stats.failures_in_a_row} times in a row "
                                    f"(last: {channel.stats.upstream_failures[-1]}); {stem} was stopped")
        elif outcome == "crashed" and (channel.stats.model_calls == 0 or channel.stats.last_failed):
            infra_error = (f"{stem} exited with status {result.returncode} "
                           + ("before any model call" if channel.stats.model_calls == 0
                              else f"after the model service failed ({channel.stats.upstream_failures[-1]})")
                           + f"; see logs/{run.stderr.name}")
            detail = infra_error
        channel_stats = {"model_calls": channel.stats.model_calls, "refused": channel.stats.refused,
                         "model_seconds": round(channel.stats.model_seconds, 3),
                         "upstream_failures": channel.stats.upstream_failures[-5:]}

        screenshot = keep_final_screenshot(sandbox.workspace, context.logs_dir) if sandbox.display else None

        def finish(builder: TranscriptBuilder, reported: dict[str, Any]) -> Trajectory:
            if sandbox.display:
                record_final_screenshot(builder.trajectory, screenshot, context.logs_dir)
            return builder.finish(cli_cost_usd=reported.get("cli_cost_usd"), outcome=outcome,
                                  exit_status=result.returncode, wall_seconds=round(time.monotonic() - began, 3),
                                  channel=channel_stats, reported=reported)

        builder = self._builder(context.logs_dir)
        try:
            reported = self.driver.transcript(run, builder)
            if outcome == "completed" and reported.get("limit"):
                outcome, detail = "limit", f"{stem} stopped at its own limit ({reported.get('exit_status')})"
            elif outcome == "completed" and reported.get("crashed"):
                outcome, detail = "crashed", f"{stem} gave up: {reported.get('exit_status')}"
            trajectory = finish(builder, reported)
        except Exception as exc:  # the agent can write into its transcript: one that does not parse is its failure
            (context.logs_dir / f"{stem}_transcript_error.log").write_text(traceback.format_exc())
            if infra_error is None:
                outcome = "crashed"
                detail = (f"the {stem} transcript the agent left could not be read ({type(exc).__name__}: {exc}); "
                          f"see logs/{stem}_transcript_error.log" + (f"; {detail}" if detail else ""))
            builder = self._builder(context.logs_dir)  # nothing of the broken transcript is kept
            reported = {"transcript_error": f"{type(exc).__name__}: {exc}"}
            trajectory = finish(builder, reported)
        _keep_native(run.home, self.driver.native_transcripts, context.logs_dir / "native")
        usage = _usage_of_record(channel.stats, self.prices, reported.get("cli_cost_usd"))
        _record_usage(trajectory, usage, self_reported=builder.usage, unmetered=channel.stats.usages.count(None))
        return AgentRun(outcome=outcome, usage=usage, trajectory=trajectory, detail=detail, infra_error=infra_error,
                        sandbox_limit=None if result.limit in (None, "wall") else result.limit)

    def _builder(self, logs_dir: Path) -> TranscriptBuilder:
        info = AgentInfo(name=self.name, version=self.package.version, model_name=self.config.model,
                         extra={"cli": self.package.package, "harness": self.package.harness,
                                "config": str(self.config.source or ""), "base_url": self.base_url,
                                "limits": self.config.limits.model_dump(exclude_none=True),
                                "options": self.options.model_dump(exclude_defaults=True)})
        return TranscriptBuilder(info, str(uuid.uuid4()), self.prices, logs_dir)


def _usage_of_record(stats: ChannelStats, prices: ModelPrices | None, cli_cost_usd: Any) -> Usage:
    """The trial's usage as the channel saw it: every answered model call, whoever inside the sandbox made it.

    Calls are priced from the usage they report (provider cost, else the price table); when one could not
    be priced, the CLI's own total cost stands in, and without one the cost is unknown (None).
    """
    usage = Usage()
    for reported in stats.usages:
        add_call(usage, call_usage(reported, prices), 0.0)
    usage.model_seconds = stats.model_seconds
    if usage.cost_usd is None and isinstance(cli_cost_usd, int | float):
        usage.cost_usd = float(cli_cost_usd)
    return usage


def _record_usage(trajectory: Trajectory, usage: Usage, *, self_reported: Usage, unmetered: int) -> None:
    """Make the trajectory's totals the usage of record, keeping the CLI's own account beside them."""
    final = trajectory.final_metrics
    assert final is not None
    final.total_prompt_tokens, final.total_completion_tokens = usage.input_tokens, usage.output_tokens
    final.total_cached_tokens = usage.cached_tokens
    if usage.cost_usd or final.total_cost_usd is not None:
        final.total_cost_usd = usage.cost_usd
    final.extra = {**(final.extra or {}), "usage_source": "channel", "turns": usage.turns,
                   "total_cache_write_tokens": usage.cache_write_tokens, "unmetered_calls": unmetered,
                   "self_reported": self_reported.model_dump(exclude={"model_seconds"})}


def _keep_native(home: Path, globs: tuple[str, ...], into: Path, max_bytes: int = 64 << 20) -> None:
    """Copy the regular files matching ``globs`` inside ``home`` (never through a link) into ``into``."""
    for pattern in globs:
        for path in sorted(home.glob(pattern)):
            relative = path.relative_to(home)
            content = read_home_file(home, str(relative), max_bytes)
            if content is None or any(p.is_symlink() for p in [path, *path.parents] if p.is_relative_to(home)):
                continue
            target = into / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)


def program(harness: str) -> str:
    """The path of a CLI's program, as it is inside the sandbox."""
    return str(entry_point(harness))


async def _exec_until_stopped(sandbox: Sandbox, argv: list[str], env: dict[str, str], run: CliRun,
                              channel: ModelChannel) -> ExecResult:
    """Run the CLI until it exits, the wall limit, or the channel stops the run (turn limit, failing service)."""
    started = time.monotonic()
    work = asyncio.ensure_future(sandbox.exec(argv, env=env, timeout=run.wall_sec, stdout=run.stdout,
                                              stderr=run.stderr, cwd=HOME_DIR, capture_bytes=TRANSCRIPT_CAPTURE_BYTES))
    stop = asyncio.ensure_future(channel.stopped.wait())
    try:
        await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    if work.done():
        return work.result()
    work.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await work
    return ExecResult(returncode=None, timed_out=False, duration=time.monotonic() - started)


def _outcome(result: ExecResult, stop_reason: str | None, wall: float) -> tuple[AgentOutcome, str]:
    if stop_reason == "limit":
        return "limit", "stopped: the turn limit was reached"
    if stop_reason == "service":
        return "crashed", "stopped: the model service kept failing"
    if result.timed_out:
        return "timeout", f"stopped at the {wall:g} s wall limit"
    if result.limit:
        return "limit", sandbox_limit_detail(result.limit)
    if result.returncode == 0:
        return "completed", ""
    return "crashed", f"the CLI exited with status {result.returncode}"

