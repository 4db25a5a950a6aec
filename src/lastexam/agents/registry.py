"""Turn an ``--agent`` value into an agent: ``oracle``, ``nop``, ``script:PATH``."""

from __future__ import annotations

from pathlib import Path

from lastexam.agents.base import Agent
from lastexam.agents.builtin import NopAgent, OracleAgent, ScriptAgent
from lastexam.errors import ConfigError


def resolve_agent(spec: str) -> Agent:
    """Build a fresh agent from its command-line name.

    Raises:
        ConfigError: an unknown agent name, or a script that does not exist.
    """
    if spec == "oracle":
        return OracleAgent()
    if spec == "nop":
        return NopAgent()
    if spec.startswith("script:"):
        return ScriptAgent(Path(spec.removeprefix("script:")))
    raise ConfigError(None, "--agent", f"unknown agent {spec!r}", "use oracle, nop or script:PATH")
