"""Agents under test: the contract and the built-in agents (their run and usage are ``lastexam.contracts.agent``)."""

from lastexam.agents.base import Agent, AgentContext
from lastexam.agents.builtin import NopAgent, OracleAgent, ScriptAgent
from lastexam.agents.registry import resolve_agent

__all__ = ["Agent", "AgentContext", "NopAgent", "OracleAgent", "ScriptAgent", "resolve_agent"]
