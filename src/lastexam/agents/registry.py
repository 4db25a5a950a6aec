"""Turn an ``--agent`` value into an agent, and list the agents a user can run.

Values: ``oracle``, ``nop``, ``script:PATH``, or the path of an agent config (``.yaml``/``.yml``,
see ``lastexam.agents.config``) whose ``harness`` names an entry of ``HARNESSES``. The built-in
``llm`` harness is registered here; other harness modules (``HARNESS_MODULES``) register
themselves with ``register_harness`` when imported, which happens on first use.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, computed_field

from lastexam.agents.base import Agent
from lastexam.agents.builtin import NopAgent, OracleAgent, ScriptAgent
from lastexam.agents.config import CONFIG_SUFFIXES, AgentConfig, is_config_path, load_agent_config
from lastexam.agents.llm import LlmAgent
from lastexam.errors import ConfigError

HARNESS_MODULES = ("lastexam.agents.cli",)
TRACED_ORACLE = "oracle:traced"
BUILTIN_AGENTS = {"oracle": "runs the task's solution/", TRACED_ORACLE: "the oracle under strace (its exec log)",
                  "nop": "does nothing (must score 0)",
                  "script:PATH": "runs the executable PATH inside the sandbox as the agent"}


@dataclass(frozen=True)
class Harness:
    """A way to drive a model: builds an agent from a config.

    ``build`` must be cheap and offline (it runs when an experiment is planned) and raise
    ``ConfigError`` for a config it cannot run (bad options, an unset key variable).
    ``executable`` is the program the harness needs on the host, if any.
    """

    name: str
    build: Callable[[AgentConfig], Agent]
    summary: str
    executable: str | None = None


HARNESSES: dict[str, Harness] = {}


def register_harness(harness: Harness) -> None:
    """Make ``harness.name`` usable as a config's ``harness``."""
    HARNESSES[harness.name] = harness


def harnesses() -> dict[str, Harness]:
    """Every registered harness (the harness modules are imported on the first call)."""
    for module in HARNESS_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return HARNESSES


def harness_of(config: AgentConfig) -> Harness:
    """The harness a config names. Raises ConfigError when it is not available."""
    harness = harnesses().get(config.harness)
    if harness is None:
        known = ", ".join(sorted(harnesses()))
        raise ConfigError(config.where, "harness", f"the harness {config.harness!r} is not available here",
                          f"use one of: {known}")
    return harness


def build_agent(config: AgentConfig) -> Agent:
    """A fresh agent from a config. Raises ConfigError (unknown harness, bad options, unset key)."""
    return harness_of(config).build(config)


def resolve_agent(spec: str) -> Agent:
    """Build a fresh agent from its command-line value.

    Raises:
        ConfigError: an unknown agent name, a missing script, or a config that cannot run.
    """
    if spec == "oracle":
        return OracleAgent()
    if spec == TRACED_ORACLE:
        return OracleAgent(trace_exec=True)
    if spec == "nop":
        return NopAgent()
    if spec.startswith("script:"):
        return ScriptAgent(Path(spec.removeprefix("script:")))
    if is_config_path(spec):
        return build_agent(load_agent_config(Path(spec)))
    raise ConfigError(None, "--agent", f"unknown agent {spec!r}",
                      "use oracle, nop, script:PATH or the path of an agent config (agents/NAME.yaml)")


def portable_spec(spec: str) -> str:
    """The same ``--agent`` value, found from any working directory and machine with the same files: a
    script's or a config's relative path made absolute. Links are kept, not followed: a script agent may be a
    link whose name it reads (one script serving several adversaries)."""
    if spec.startswith("script:"):
        return "script:" + os.path.abspath(spec.removeprefix("script:"))
    return os.path.abspath(spec) if is_config_path(spec) else spec


def recorded_name(spec: str) -> str:
    """The agent name results record for an ``--agent`` value: a config's ``agent_name``, else the value.

    Raises:
        ConfigError: as ``resolve_agent`` (the agent is built, to check that it can run).
    """
    agent = resolve_agent(spec)
    return agent.name if is_config_path(spec) else spec


def knowledge_cutoff(spec: str) -> dt.date | None:
    """The model's knowledge cutoff an agent config states; None for built-in agents and configs without one.

    Raises:
        ConfigError: as ``load_agent_config``.
    """
    return load_agent_config(Path(spec)).knowledge_cutoff if is_config_path(spec) else None


def default_agents_dir() -> Path:
    """``$ALE_AGENTS_DIR``, else ``agents/`` of the current directory (or of the checkout)."""
    if env := os.environ.get("ALE_AGENTS_DIR"):
        return Path(env)
    for base in (Path.cwd(), Path(__file__).resolve().parents[3]):
        if (base / "agents").is_dir():
            return base / "agents"
    return Path.cwd() / "agents"


class Requirement(BaseModel):
    """Something an agent needs on this machine before it can run."""

    kind: Literal["env", "executable"]
    name: str
    present: bool
    fix: str


class AgentEntry(BaseModel):
    """One runnable agent as ``ale agents list`` shows it."""

    spec: str
    kind: Literal["built-in", "config"]
    name: str | None = None
    harness: str | None = None
    model: str | None = None
    summary: str = ""
    requirements: list[Requirement] = []
    problem: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ready(self) -> bool:
        return self.problem is None and all(r.present for r in self.requirements)


def requirements(config: AgentConfig, harness: Harness) -> list[Requirement]:
    """What a config needs: its key variable set, its harness's executable on PATH."""
    needs = []
    if config.api_key_env:
        needs.append(Requirement(kind="env", name=config.api_key_env, present=bool(os.environ.get(config.api_key_env)),
                                 fix=f"export {config.api_key_env}=<your API key>"))
    if harness.executable:
        needs.append(Requirement(kind="executable", name=harness.executable,
                                 present=shutil.which(harness.executable) is not None,
                                 fix=f"install {harness.executable} and put it on PATH"))
    return needs


def config_entry(path: Path) -> AgentEntry:
    """The listing of one config file; a config that does not load is listed with its problem."""
    spec = str(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)
    try:
        config = load_agent_config(path)
        harness = harness_of(config)
    except ConfigError as exc:
        return AgentEntry(spec=spec, kind="config", problem=str(exc))
    return AgentEntry(spec=spec, kind="config", name=config.agent_name, harness=config.harness,
                      model=config.model, summary=harness.summary, requirements=requirements(config, harness))


def list_agents(agents_dir: Path | None = None) -> list[AgentEntry]:
    """The built-in agents, then every config in ``agents_dir`` (default: ``default_agents_dir()``)."""
    entries = [AgentEntry(spec=spec, kind="built-in", name=spec, summary=summary)
               for spec, summary in BUILTIN_AGENTS.items()]
    directory = agents_dir or default_agents_dir()
    if directory.is_dir():
        paths = sorted(p for p in directory.iterdir() if p.suffix in CONFIG_SUFFIXES and p.is_file())
        entries += [config_entry(p) for p in paths]
    return entries


register_harness(Harness("llm", LlmAgent, "built-in tool loop over an OpenAI-compatible chat-completions API"))
