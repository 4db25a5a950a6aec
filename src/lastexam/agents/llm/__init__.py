"""The built-in ``llm`` agent: a tool-using loop over any OpenAI-compatible chat-completions endpoint."""

from lastexam.agents.llm.agent import LlmAgent
from lastexam.agents.llm.options import LlmOptions

__all__ = ["LlmAgent", "LlmOptions"]
