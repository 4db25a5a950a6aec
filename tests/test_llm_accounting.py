"""Token and cost accounting of model calls: provider usage shapes, the price table, the totals."""

from __future__ import annotations

import pytest

from lastexam.agents.accounting import add_call, call_usage, price_cost, price_table, prices_for
from lastexam.agents.config import ModelPrices
from lastexam.contracts.agent import Usage

MINI = ModelPrices(input=0.15, cached_input=0.075, output=0.60)


def test_openai_usage_with_cached_tokens_is_priced_from_the_table():
    call = call_usage({"prompt_tokens": 1_000_000, "completion_tokens": 100_000,
                       "prompt_tokens_details": {"cached_tokens": 400_000},
                       "completion_tokens_details": {"reasoning_tokens": 30_000}}, prices_for("gpt-4o-mini"))
    assert (call.input_tokens, call.cached_tokens, call.output_tokens, call.reasoning_tokens) == (
        1_000_000, 400_000, 100_000, 30_000)
    assert call.cost_source == "price_table"
    assert call.cost_usd == pytest.approx(600_000 * 0.15e-6 + 400_000 * 0.075e-6 + 100_000 * 0.60e-6)


def test_a_provider_reported_cost_wins_over_the_table():
    call = call_usage({"prompt_tokens": 10, "completion_tokens": 5, "cost": 0.0123,
                       "prompt_tokens_details": {"cached_tokens": 2, "cache_write_tokens": 6}}, MINI)
    assert (call.cost_usd, call.cost_source) == (0.0123, "provider")
    assert (call.input_tokens, call.cached_tokens, call.cache_write_tokens) == (10, 2, 6)


def test_anthropic_style_cache_counters_are_added_to_the_prompt():
    prices = ModelPrices(input=3.0, cached_input=0.30, cache_write=3.75, output=15.0)
    call = call_usage({"prompt_tokens": 100, "completion_tokens": 10, "cache_read_input_tokens": 1000,
                       "cache_creation_input_tokens": 500}, prices)
    assert (call.input_tokens, call.cached_tokens, call.cache_write_tokens) == (1600, 1000, 500)
    assert call.cost_usd == pytest.approx((100 * 3.0 + 1000 * 0.30 + 500 * 3.75 + 10 * 15.0) / 1e6)


def test_deepseek_cache_hits_and_unknown_prices():
    call = call_usage({"prompt_tokens": 50, "completion_tokens": 5, "prompt_cache_hit_tokens": 20}, None)
    assert call.cached_tokens == 20 and call.cost_usd is None and call.cost_source == "unknown"
    assert call_usage(None, MINI).input_tokens == 0


def test_price_lookup_by_full_name_provider_prefix_and_date_suffix():
    assert prices_for("gpt-4o-mini") == price_table()["gpt-4o-mini"]
    assert prices_for("openai/gpt-4o-mini") == price_table()["gpt-4o-mini"]
    assert prices_for("gpt-4o-mini-2024-07-18") == price_table()["gpt-4o-mini"]
    assert prices_for("anthropic/claude-sonnet-4-20250514") == price_table()["claude-sonnet-4"]
    assert prices_for("no-such-model") is None
    assert price_cost(call_usage({"prompt_tokens": 10, "completion_tokens": 0,
                                  "prompt_tokens_details": {"cached_tokens": 10}}, None),
                      ModelPrices(input=1.0, output=2.0)) == pytest.approx(10 / 1e6)  # cached defaults to input


def test_calls_add_up_to_the_trial_usage():
    total = Usage()
    add_call(total, call_usage({"prompt_tokens": 10, "completion_tokens": 3, "cost": 0.5,
                                "prompt_tokens_details": {"cached_tokens": 4, "cache_write_tokens": 1}}, None), 1.5)
    add_call(total, call_usage({"prompt_tokens": 20, "completion_tokens": 7}, None), 0.5)
    assert total == Usage(input_tokens=30, output_tokens=10, cached_tokens=4, cache_write_tokens=1, cost_usd=None,
                          model_seconds=2.0, turns=2)  # the second call has no price: the total is unknown, not 0.5
    metrics = call_usage({"prompt_tokens": 10, "completion_tokens": 3,
                          "prompt_tokens_details": {"cached_tokens": 4, "cache_write_tokens": 1}}, MINI
                         ).metrics(model_seconds=0.25, wall_seconds=1.0)
    assert (metrics.prompt_tokens, metrics.cached_tokens, metrics.completion_tokens) == (10, 4, 3)
    assert metrics.extra["cache_write_tokens"] == 1 and metrics.extra["model_seconds"] == 0.25
