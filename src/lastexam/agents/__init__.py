"""Agents under test: the contract and the built-in agents."""

from lastexam.agents.base import Agent, AgentContext, AgentOutcome, AgentRun, Usage
from lastexam.agents.builtin import NopAgent, OracleAgent, ScriptAgent
from lastexam.agents.registry import resolve_agent

__all__ = [
    "Agent", "AgentContext", "AgentOutcome", "AgentRun", "NopAgent", "OracleAgent", "ScriptAgent", "Usage",
    "resolve_agent",
]
