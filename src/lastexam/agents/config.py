"""Agent configs: one YAML file per agent under ``agents/``, naming a harness, a model and its limits.

A config names the *environment variable* that holds the API key (``api_key_env``), never the
key itself. Every error names the file, the field and the fix.

Example (``agents/gpt-4o-mini.yaml``)::

    harness: llm
    model: gpt-4o-mini
    base_url: https://api.openai.com/v1
    api_key_env: OPENAI_API_KEY
    knowledge_cutoff: 2023-10-01
    limits: {turns: 100, tokens: 2000000, cost_usd: 5, wall_sec: 3600}
    options: {temperature: 0}
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lastexam.configfile import load_yaml_model, validation_error
from lastexam.errors import ConfigError

HarnessName = Literal["llm", "claude_code", "codex", "gemini_cli", "mini_swe_agent"]
CONFIG_SUFFIXES = (".yaml", ".yml")
OptionsT = TypeVar("OptionsT", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentLimits(_Strict):
    """Budgets of one trial; the first one reached stops it (``limit``, or ``timeout`` for ``wall_sec``)."""

    turns: int | None = Field(default=None, ge=1, description="model calls")
    tokens: int | None = Field(default=None, ge=1, description="input + output tokens over all model calls")
    cost_usd: float | None = Field(default=None, gt=0, description="model cost in US dollars")
    wall_sec: float | None = Field(default=None, gt=0, description="wall time; the task's own limit still applies")


class ModelPrices(_Strict):
    """USD per million tokens. Cached reads and cache writes cost ``input`` when not given."""

    input: float = Field(ge=0, description="uncached prompt tokens")
    output: float = Field(ge=0, description="completion tokens, reasoning included")
    cached_input: float | None = Field(default=None, ge=0, description="prompt tokens read from the cache")
    cache_write: float | None = Field(default=None, ge=0, description="prompt tokens written to the cache")


class AgentConfig(_Strict):
    """One agent: a harness driving a model under limits. Load files with ``load_agent_config``."""

    harness: HarnessName
    model: str = Field(min_length=1)
    name: str | None = Field(default=None, min_length=1, description="the name results record; default HARNESS:MODEL@STEM")
    base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint, e.g. https://openrouter.ai/api/v1")
    api_key_env: str | None = Field(default=None, description="NAME of the environment variable holding the API key")
    limits: AgentLimits = Field(default_factory=AgentLimits)
    prices: ModelPrices | None = Field(default=None, description="overrides the price table for this model")
    options: dict[str, Any] = Field(default_factory=dict, description="harness options, checked by the harness")
    knowledge_cutoff: dt.date | None = Field(default=None, description="the model's training-data cutoff "
                                             "(YYYY-MM-DD); `ale report --fresh` splits results by it")
    source: Path | None = Field(default=None, exclude=True, description="the file the config came from")

    @field_validator("api_key_env")
    @classmethod
    def _is_a_variable_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError("must be the NAME of an environment variable (letters, digits, _), not the key itself")
        return value

    @property
    def stem(self) -> str:
        return self.source.stem if self.source else self.harness

    @property
    def agent_name(self) -> str:
        """The name recorded in results: it identifies the harness, the model and the config file."""
        return self.name or f"{self.harness}:{self.model}@{self.stem}"

    @property
    def where(self) -> str:
        return str(self.source) if self.source else "<agent config>"

    def api_key(self) -> str | None:
        """The key from ``api_key_env``, or None when the config names no variable.

        Raises:
            ConfigError: the variable is named but not set (naming the variable and the fix).
        """
        if self.api_key_env is None:
            return None
        key = os.environ.get(self.api_key_env, "")
        if not key:
            raise ConfigError(
                self.where, "api_key_env", f"the environment variable {self.api_key_env} is not set",
                f"export {self.api_key_env}=<your API key> before running (or name another variable in api_key_env)",
            )
        return key

    def parse_options(self, model: type[OptionsT]) -> OptionsT:
        """The harness options validated by the harness's own model.

        Raises:
            ConfigError: an unknown or bad option, naming ``options.FIELD`` and the fix.
        """
        try:
            return model.model_validate(self.options)
        except ValidationError as exc:
            raise validation_error(self.where, exc, "lastexam.agents.config", prefix="options.") from exc


def is_config_path(spec: str) -> bool:
    """Whether an ``--agent`` value names a config file rather than a built-in agent."""
    return spec.endswith(CONFIG_SUFFIXES)


def load_agent_config(path: Path) -> AgentConfig:
    """Read and check one agent config file.

    Raises:
        ConfigError: no such file, bad YAML, or a bad field (naming file, field and fix).
    """
    return load_yaml_model(Path(path), AgentConfig, "agent config", "see agents/", source=Path(path))
