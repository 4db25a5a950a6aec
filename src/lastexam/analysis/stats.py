"""The statistics a leaderboard rests on: intervals, the instance bootstrap, pass@k, the paired sign-flip test.

Every function here is pure (arrays in, numbers out) so that each can be checked against a
hand-computed case and against scipy.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
from scipy.special import comb
from scipy.stats import norm

DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 20240601
_BLOCK_ELEMENTS = 2_000_000
_PRODUCT_ELEMENTS = 16_000_000
_FLOAT_CACHE_ELEMENTS = 32_000_000
_CACHE_ELEMENTS = 100_000_000
Rows = slice | np.ndarray | None


def wilson_interval(successes: float, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (0, 1) when there are no trials.

    ``successes`` may be fractional (a mean of per-instance fractions times the instance count).
    """
    if trials == 0:
        return 0.0, 1.0
    z = float(norm.ppf(0.5 + confidence / 2))
    p = min(1.0, max(0.0, successes / trials))
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


class InstanceBootstrap:
    """A nonparametric bootstrap that resamples instances (with replacement), epochs nested inside.

    One set of resamples, fixed by ``seed``, is shared by every statistic computed from the same
    object, so that differences between agents are paired and a report is reproducible. The
    resample weights are multinomial counts ``W`` (resamples x instances); a statistic is a ratio
    of weighted sums ``(W @ numerator) / (W @ denominator)``, which also gives the bootstrap of a
    mean over a subset of instances (a domain estimate: a tier, or the instances an agent ran).
    """

    def __init__(self, n_instances: int, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> None:
        if resamples < 1:
            raise ValueError("resamples must be at least 1")
        self.n = n_instances
        self.resamples = resamples
        self.seed = seed
        self._cached: list[np.ndarray] | None = None
        self._float_cached: list[np.ndarray] | None = None
        self._columns: dict[bytes, np.ndarray] = {}

    def _blocks(self) -> list[np.ndarray]:
        """The weight matrix in row blocks of multinomial counts, the same for the same seed.

        Blocks are kept (as uint8) after the first use when they fit in ``_CACHE_ELEMENTS``;
        larger problems regenerate them from the seed on each call.
        """
        if self._cached is not None:
            return self._cached
        rng = np.random.default_rng(self.seed)
        size = max(1, min(self.resamples, _BLOCK_ELEMENTS // max(1, self.n)))
        blocks = []
        for start in range(0, self.resamples, size):
            rows = min(size, self.resamples - start)
            draws = rng.integers(0, max(1, self.n), size=(rows, self.n), dtype=np.int64)
            flat = draws + (np.arange(rows) * self.n)[:, None]
            counts = np.bincount(flat.ravel(), minlength=rows * self.n).reshape(rows, self.n)
            blocks.append(counts.astype(np.uint8) if counts.max(initial=0) < 256 else counts)
        if self.resamples * self.n <= _CACHE_ELEMENTS:
            self._cached = blocks
        return blocks

    def _weight_chunks(self) -> Iterable[np.ndarray]:
        """The weight matrix as float32 row chunks of up to ``_PRODUCT_ELEMENTS`` (few, large matrix products),
        kept after the first use when the whole matrix fits in ``_FLOAT_CACHE_ELEMENTS`` (else made one at a time)."""
        if self._float_cached is not None:
            return self._float_cached
        if self.resamples * self.n <= _FLOAT_CACHE_ELEMENTS:
            self._float_cached = list(self._float_chunks())
            return self._float_cached
        return self._float_chunks()

    def _float_chunks(self) -> Iterator[np.ndarray]:
        pending: list[np.ndarray] = []
        size = 0
        for block in self._blocks():
            if pending and size + block.size > _PRODUCT_ELEMENTS:
                yield np.vstack(pending).astype(np.float32)
                pending, size = [], 0
            pending.append(block)
            size += block.size
        if pending:
            yield np.vstack(pending).astype(np.float32)

    def weighted_sums(self, jobs: Sequence[tuple[Rows, np.ndarray]]) -> list[np.ndarray]:
        """For each job ``(rows, X)`` with ``X`` of shape (instances in rows, k), the (resamples, k) sums
        ``W[:, rows] @ X``. ``rows`` is None (every instance), a slice or an index array. All jobs see the
        same resamples. Sums are accumulated in float32 (ample for intervals of means in [0, 1]).

        Columns over every instance are remembered by content: a column seen before (in this call or an
        earlier one) is not multiplied again.
        """
        matrices = [np.ascontiguousarray(x, dtype=np.float32) for _, x in jobs]
        fresh: dict[bytes, np.ndarray] = {}
        wanted: list[list[bytes]] = []
        for (rows, _), x in zip(jobs, matrices, strict=True):
            if rows is None:
                keys = [hashlib.blake2b(np.ascontiguousarray(x[:, j]).tobytes(), digest_size=16).digest()
                        for j in range(x.shape[1])]
                for j, key in enumerate(keys):
                    if key not in self._columns and key not in fresh:
                        fresh[key] = x[:, j]
                wanted.append(keys)
            else:
                wanted.append([])
        partial = [(rows, x) for (rows, _), x in zip(jobs, matrices, strict=True) if rows is not None]
        if fresh:
            partial.append((None, np.column_stack(list(fresh.values()))))
        out = [np.empty((self.resamples, x.shape[1])) for _, x in partial]
        start = 0
        for weights in self._weight_chunks():
            stop = start + weights.shape[0]
            for (rows, x), target in zip(partial, out, strict=True):
                target[start:stop] = (weights if rows is None else weights[:, rows]) @ x
            start = stop
        if fresh:
            self._columns.update({key: out[-1][:, j] for j, key in enumerate(fresh)})
        grouped = iter(out)
        return [np.column_stack([self._columns[k] for k in keys]) if rows is None and keys
                else np.empty((self.resamples, 0)) if rows is None else next(grouped)
                for (rows, _), keys in zip(jobs, wanted, strict=True)]


def ratio_samples(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Elementwise ratio of bootstrap sums; NaN where a resample drew no instance of the domain."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


def percentile_interval(samples: np.ndarray, confidence: float = 0.95) -> np.ndarray:
    """Percentile bootstrap interval per column of ``samples`` (resamples x k): array (k, 2).

    NaN resamples (a domain not drawn) are left out; a column with no finite resample gives NaN.
    """
    levels = [(1 - confidence) / 2 * 100, (1 + confidence) / 2 * 100]
    result = np.full((samples.shape[1], 2), np.nan)
    missing = np.isnan(samples)
    clean = ~missing.any(axis=0)
    if clean.any():
        result[clean] = np.percentile(samples[:, clean], levels, axis=0).T
    partial = ~clean & ~missing.all(axis=0)
    if partial.any():
        result[partial] = np.nanpercentile(samples[:, partial], levels, axis=0).T
    return result


def bootstrap_p_value(samples: np.ndarray) -> np.ndarray:
    """Two-sided bootstrap p-value of "the statistic is 0", per column: twice the smaller tail, at most 1."""
    finite = ~np.isnan(samples)
    count = finite.sum(axis=0)
    below = np.where(finite, samples <= 0, False).sum(axis=0)
    above = np.where(finite, samples >= 0, False).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.minimum(1.0, 2 * np.minimum(below, above) / count)
    return np.where(count > 0, p, np.nan)


def pass_at_k(n: np.ndarray, c: np.ndarray, k: int) -> np.ndarray:
    """Unbiased pass@k per instance: P(at least one of k epochs drawn without replacement passes).

    ``n`` epochs with ``c`` passes; 1 - C(n-c, k) / C(n, k). NaN where n < k.
    """
    n, c = np.asarray(n, dtype=np.float64), np.asarray(c, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = 1.0 - comb(n - c, k) / comb(n, k)
    return np.where(n >= k, value, np.nan)


def pass_hat_k(n: np.ndarray, c: np.ndarray, k: int) -> np.ndarray:
    """Unbiased pass^k per instance: P(all k epochs drawn without replacement pass) = C(c, k) / C(n, k); NaN where n < k."""
    n, c = np.asarray(n, dtype=np.float64), np.asarray(c, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = comb(c, k) / comb(n, k)
    return np.where(n >= k, value, np.nan)


EXACT_SIGN_FLIP_MAX = 16


def sign_flip_p_values(differences: np.ndarray, resamples: int = DEFAULT_RESAMPLES,
                       seed: int = DEFAULT_SEED) -> np.ndarray:
    """Two-sided paired permutation tests of "the mean of the column is 0", one per column of ``differences``
    (instances x comparisons; 0 where a comparison has no difference or does not use the instance).

    Under the null each per-instance difference is as likely to have either sign, so the observed
    |sum| is compared with the |sum| under sign patterns (ties count as at least as extreme): exactly,
    over all 2^m patterns of a column's m nonzero differences, when m <= ``EXACT_SIGN_FLIP_MAX``; else
    over ``resamples`` random patterns of all instances (fixed by ``seed``, shared by the columns) with
    the observed one counted in, (1 + hits) / (1 + resamples). Never 0; 1 without a nonzero difference.
    """
    d = np.asarray(differences, dtype=np.float64)
    nonzero = (d != 0).sum(axis=0)
    observed = np.abs(d.sum(axis=0))
    p = np.ones(d.shape[1])
    for j in np.flatnonzero((nonzero > 0) & (nonzero <= EXACT_SIGN_FLIP_MAX)):
        values = d[d[:, j] != 0, j]
        m = len(values)
        patterns = ((np.arange(2 ** m)[:, None] >> np.arange(m)[None, :]) & 1) * 2.0 - 1
        p[j] = float((np.abs(patterns @ values) >= observed[j] * (1 - 1e-9)).mean())
    sampled = np.flatnonzero(nonzero > EXACT_SIGN_FLIP_MAX)
    if len(sampled):
        columns = d[:, sampled].astype(np.float32)
        threshold = observed[sampled] - 1e-4 * np.maximum(1.0, observed[sampled])
        hits = np.zeros(len(sampled), dtype=np.int64)
        rng = np.random.default_rng(seed)
        rows = max(1, min(resamples, _BLOCK_ELEMENTS // max(1, d.shape[0])))
        for start in range(0, resamples, rows):
            signs = rng.integers(0, 2, size=(min(rows, resamples - start), d.shape[0]), dtype=np.int8)
            hits += (np.abs((signs.astype(np.float32) * 2 - 1) @ columns) >= threshold).sum(axis=0)
        p[sampled] = (1 + hits) / (1 + resamples)
    return p


def format_p(value: float | None, resolution: float) -> str:
    """A p-value for people: "-" for none, "< resolution" below the resolution of the resampling
    (never "0"), else two significant digits below 0.001 and three decimals above."""
    if value is None:
        return "-"
    if value < resolution:
        return f"< {resolution:.2g}"
    return f"{value:.2g}" if value < 0.001 else f"{value:.3f}"


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (same order as given), monotone and capped at 1."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted
