"""What model calls cost: token counts from a response, their price, and the totals of a trial.

Token conventions follow ATIF: ``input_tokens`` (ATIF ``prompt_tokens``) *includes* the cached
ones; ``cache_write_tokens`` are the part of the input written to the provider's cache. A cost
comes from the provider when its response carries one (OpenRouter's ``usage.cost``), else from
the price table ``lastexam/data/prices.toml`` (or a config's own ``prices``), else it is unknown.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel

from lastexam.agents.config import ModelPrices
from lastexam.contracts.agent import Usage
from lastexam.contracts.trajectory import Metrics

CostSource = Literal["provider", "price_table", "unknown"]
_DATE_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8})$")


class CallUsage(BaseModel):
    """The tokens and cost of one model call."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float | None = None
    cost_source: CostSource = "unknown"

    def metrics(self, *, model_seconds: float, wall_seconds: float) -> Metrics:
        """The ATIF step metrics of this call (cache writes and times in ``extra``)."""
        return Metrics(
            prompt_tokens=self.input_tokens, completion_tokens=self.output_tokens, cached_tokens=self.cached_tokens,
            cost_usd=self.cost_usd,
            extra={"cache_write_tokens": self.cache_write_tokens, "reasoning_tokens": self.reasoning_tokens,
                   "cost_source": self.cost_source, "model_seconds": round(model_seconds, 3),
                   "wall_seconds": round(wall_seconds, 3)},
        )


@functools.cache
def price_table() -> dict[str, ModelPrices]:
    """The packaged price table, by model name."""
    raw = tomllib.loads(resources.files("lastexam.data").joinpath("prices.toml").read_text(encoding="utf-8"))
    return {name: ModelPrices.model_validate(entry) for name, entry in raw["models"].items()}


def prices_for(model: str) -> ModelPrices | None:
    """The table's prices for ``model``: the full name, the part after the last ``/``, that without a date."""
    table = price_table()
    short = model.rsplit("/", 1)[-1]
    for candidate in (model, short, _DATE_SUFFIX.sub("", short)):
        if candidate in table:
            return table[candidate]
    return None


def _number(mapping: Mapping[str, Any] | None, *keys: str) -> int:
    for key in keys:
        value = (mapping or {}).get(key)
        if isinstance(value, int | float):
            return int(value)
    return 0


def call_usage(usage: Mapping[str, Any] | None, prices: ModelPrices | None) -> CallUsage:
    """Read an OpenAI-style ``usage`` object (as a dict) and price it.

    Understands ``prompt_tokens_details.cached_tokens`` (OpenAI, OpenRouter),
    ``prompt_tokens_details.cache_write_tokens`` (OpenRouter), ``prompt_cache_hit_tokens``
    (DeepSeek), ``cache_creation_input_tokens`` / ``cache_read_input_tokens`` (Anthropic style,
    which count them *outside* ``prompt_tokens``) and ``usage.cost`` (OpenRouter, US dollars).
    """
    usage = usage or {}
    details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
    input_tokens = _number(usage, "prompt_tokens", "input_tokens")
    cached = _number(details, "cached_tokens") or _number(usage, "prompt_cache_hit_tokens")
    cache_write = _number(details, "cache_write_tokens")
    if not cached and not cache_write:
        # Anthropic-style counters are separate from the prompt count.
        cached = _number(usage, "cache_read_input_tokens")
        cache_write = _number(usage, "cache_creation_input_tokens")
        input_tokens += cached + cache_write
    result = CallUsage(
        input_tokens=input_tokens, output_tokens=_number(usage, "completion_tokens", "output_tokens"),
        cached_tokens=cached, cache_write_tokens=cache_write,
        reasoning_tokens=_number(usage.get("completion_tokens_details"), "reasoning_tokens"),
    )
    provider_cost = usage.get("cost")
    if isinstance(provider_cost, int | float) and not isinstance(provider_cost, bool):
        result.cost_usd, result.cost_source = float(provider_cost), "provider"
    elif prices is not None:
        result.cost_usd, result.cost_source = price_cost(result, prices), "price_table"
    return result


def price_cost(usage: CallUsage, prices: ModelPrices) -> float:
    """US dollars for the tokens of ``usage`` at ``prices``."""
    fresh = max(usage.input_tokens - usage.cached_tokens - usage.cache_write_tokens, 0)
    cached_price = prices.input if prices.cached_input is None else prices.cached_input
    write_price = prices.input if prices.cache_write is None else prices.cache_write
    dollars = (fresh * prices.input + usage.cached_tokens * cached_price + usage.cache_write_tokens * write_price
               + usage.output_tokens * prices.output)
    return dollars / 1_000_000


def add_call(total: Usage, call: CallUsage, model_seconds: float) -> None:
    """Add one model call to a trial's totals (one turn); a call whose cost is unknown makes the total unknown."""
    total.input_tokens += call.input_tokens
    total.output_tokens += call.output_tokens
    total.cached_tokens += call.cached_tokens
    total.cache_write_tokens += call.cache_write_tokens
    total.cost_usd = None if total.cost_usd is None or call.cost_usd is None else total.cost_usd + call.cost_usd
    total.model_seconds += model_seconds
    total.turns += 1
