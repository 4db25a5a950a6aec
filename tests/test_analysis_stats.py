"""Each statistic against a hand-computed case and, where scipy has it, against scipy."""

from __future__ import annotations

from itertools import combinations, product

import numpy as np
import pytest
from scipy.stats import binomtest, bootstrap

from lastexam.analysis.efficiency import pareto_frontier
from lastexam.analysis.stats import (
    InstanceBootstrap,
    bootstrap_p_value,
    holm,
    pass_at_k,
    pass_hat_k,
    percentile_interval,
    ratio_samples,
    sign_flip_p_values,
    wilson_interval,
)


def _p(differences: np.ndarray, **options: int) -> float:
    """The sign-flip p of one column of differences."""
    return float(sign_flip_p_values(np.asarray(differences)[:, None], **options)[0])


def test_wilson_interval_by_hand() -> None:
    # p = 0.5, n = 10, z = 1.959964: centre 0.5, half = z*sqrt(0.025 + z^2/400)/(1 + z^2/10)
    z = 1.959963984540054
    half = z * np.sqrt(0.25 / 10 + z * z / 400) / (1 + z * z / 10)
    low, high = wilson_interval(5, 10)
    assert low == pytest.approx(0.5 - half) and high == pytest.approx(0.5 + half)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(3, 3)[1] == 1.0 and 0.43 < wilson_interval(3, 3)[0] < 0.44


def test_pass_at_k_by_hand_and_by_enumeration() -> None:
    # n = 5 epochs, c = 2 passes, k = 2: pass@2 = 1 - C(3,2)/C(5,2) = 0.7; pass^2 = C(2,2)/C(5,2) = 0.1
    assert pass_at_k(np.array([5]), np.array([2]), 2)[0] == pytest.approx(0.7)
    assert pass_hat_k(np.array([5]), np.array([2]), 2)[0] == pytest.approx(0.1)
    for n in range(1, 7):
        for c in range(n + 1):
            outcomes = [1] * c + [0] * (n - c)
            for k in range(1, n + 1):
                subsets = list(combinations(outcomes, k))
                assert pass_at_k(np.array([n]), np.array([c]), k)[0] == pytest.approx(
                    np.mean([any(s) for s in subsets]))
                assert pass_hat_k(np.array([n]), np.array([c]), k)[0] == pytest.approx(
                    np.mean([all(s) for s in subsets]))
    assert np.isnan(pass_at_k(np.array([2]), np.array([1]), 3)[0])


@pytest.mark.parametrize(("b", "c"), [(1, 6), (0, 5), (7, 7), (3, 0), (2, 9)])
def test_exact_sign_flip_on_pass_fail_pairs_is_mcnemars_exact_test(b: int, c: int) -> None:
    # per-instance differences of single pass/fail epochs are +1 (A only), -1 (B only) or 0: flipping their
    # signs is the exact binomial test on the discordant pairs
    differences = np.array([1.0] * b + [-1.0] * c + [0.0] * 5)
    assert _p(differences) == pytest.approx(binomtest(b, b + c, 0.5).pvalue)


def test_sign_flip_by_enumeration_and_by_sampling() -> None:
    rng = np.random.default_rng(3)
    small = rng.normal(0.1, 1, 9)
    patterns = np.array(list(product((-1, 1), repeat=9)))
    by_hand = np.mean(np.abs(patterns @ small) >= abs(small.sum()) - 1e-12)
    assert _p(small) == pytest.approx(by_hand)
    large = rng.normal(0.3, 1, 17)
    exact = np.mean(np.abs(np.array(list(product((-1, 1), repeat=17))) @ large) >= abs(large.sum()) - 1e-12)
    sampled = _p(large, resamples=20000, seed=5)
    assert sampled == pytest.approx(exact, abs=0.01) and sampled > 0
    assert _p(np.full(40, 0.5), resamples=1000) == pytest.approx(1 / 1001)
    assert _p(np.zeros(5)) == 1.0
    # columns tested together (random patterns shared) give each column its own test
    together = sign_flip_p_values(np.column_stack([np.r_[large, np.zeros(3)], np.r_[small, np.zeros(11)]]),
                                  resamples=20000, seed=5)
    assert together[0] == pytest.approx(exact, abs=0.01) and together[1] == pytest.approx(by_hand)


def test_holm_by_hand() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


def test_bootstrap_weights_are_multinomial_and_reproducible() -> None:
    boot = InstanceBootstrap(7, resamples=500, seed=3)
    x = np.eye(7)
    (counts,) = boot.weighted_sums([(None, x)])
    assert counts.shape == (500, 7)
    assert np.all(counts.sum(axis=1) == 7) and np.all(counts >= 0)
    assert counts.mean() == pytest.approx(1.0, abs=0.05)
    (again,) = InstanceBootstrap(7, resamples=500, seed=3).weighted_sums([(None, x)])
    assert np.array_equal(counts, again)
    (other,) = InstanceBootstrap(7, resamples=500, seed=4).weighted_sums([(None, x)])
    assert not np.array_equal(counts, other)
    (part, picked) = boot.weighted_sums([(slice(2, 5), x[2:5]), (np.array([0, 6]), x[[0, 6]])])
    expected = np.zeros_like(counts)
    expected[:, 2:5] = counts[:, 2:5]
    assert np.array_equal(part, expected)  # a slice of instances sees the same resamples
    assert np.array_equal(picked[:, [0, 6]], counts[:, [0, 6]])


def test_bootstrap_interval_agrees_with_scipy_bootstrap() -> None:
    rng = np.random.default_rng(11)
    values = (rng.random(300) < 0.35).astype(float)
    boot = InstanceBootstrap(len(values), resamples=4000, seed=5)
    (sums,) = boot.weighted_sums([(None, np.column_stack([values, np.ones_like(values)]))])
    ours = percentile_interval(ratio_samples(sums[:, :1], sums[:, 1:]))[0]
    theirs = bootstrap((values,), np.mean, n_resamples=4000, method="percentile", random_state=5).confidence_interval
    assert ours[0] == pytest.approx(theirs.low, abs=0.012)
    assert ours[1] == pytest.approx(theirs.high, abs=0.012)
    # the percentile interval of a mean of 0/1 values is close to the normal one at this size
    half = 1.96 * np.sqrt(values.mean() * (1 - values.mean()) / len(values))
    assert ours[1] - ours[0] == pytest.approx(2 * half, rel=0.1)


def test_percentile_interval_skips_undrawn_domains() -> None:
    samples = np.array([[0.1, np.nan, np.nan], [0.3, 0.5, np.nan], [0.2, np.nan, np.nan]])
    result = percentile_interval(samples, confidence=0.5)
    assert result[0] == pytest.approx([0.15, 0.25])
    assert result[1] == pytest.approx([0.5, 0.5])
    assert np.all(np.isnan(result[2]))


def test_bootstrap_p_value() -> None:
    assert bootstrap_p_value(np.array([[0.1], [0.2], [0.3], [0.4]]))[0] == 0.0
    assert bootstrap_p_value(np.array([[-0.1], [0.2], [0.3], [0.4]]))[0] == pytest.approx(0.5)
    assert bootstrap_p_value(np.array([[-0.1], [0.1]]))[0] == pytest.approx(1.0)


def test_pareto_frontier() -> None:
    points = {"cheap-weak": (0.1, 0.2), "mid": (1.0, 0.5), "dominated": (1.5, 0.4), "best": (3.0, 0.8),
              "tie-cost-worse": (1.0, 0.45)}
    assert pareto_frontier(points) == ["cheap-weak", "mid", "best"]
