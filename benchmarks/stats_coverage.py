"""Simulated behaviour of the report's statistics, before and after the fixes of issue 12 (items 1, 2, 4).

Each figure comes from synthetic results with a known truth, run through the real analysis code
(``leaderboard_from_cells``, ``compare``, ``decompose``) with a fixed seed:

1. Coverage of the 95% pass@k and pass^k intervals with rare passes: per-instance pass
   probabilities drawn from a Beta distribution of mean p (concentration 4), 3 epochs per
   instance; "before" is the plain percentile bootstrap over instances the report used to print,
   "after" the report's interval (the same bootstrap with the boundary floor). Truth: the
   population mean of the unbiased per-instance estimand (exact Beta moments).
2. False-positive rate of "significant" at the 5% level under the null: two agents with the same
   per-instance pass probabilities (Beta of mean 0.5, concentration 2), 3 epochs. "McNemar" is
   the old decision (exact McNemar on the per-instance majority vote), "bootstrap" the paired
   bootstrap p below 0.05, "sign-flip" the decision the report now makes.
3. Error of the harness/model split: grids of 2x2 and 3x3 configurations with harness and model
   effects on the pass rate (standard deviations 0.10 and 0.15) plus a small interaction (0.03),
   60 instances of one epoch each. Truth: the same decomposition of the true configuration rates.
   "error" is the mean absolute error of the harness share (the point estimate is unchanged by the
   fix); "coverage" is how often the new bootstrap interval holds the true share (before: no interval).

Usage: python benchmarks/stats_coverage.py [--replicates 200] [--resamples 1000] [--seed 12]
Prints one line per figure.
"""

from __future__ import annotations

import argparse
import time
from itertools import product

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from lastexam.analysis.cells import CELL_COLUMNS
from lastexam.analysis.compare import compare
from lastexam.analysis.dataset import InstanceMatrix
from lastexam.analysis.leaderboard import leaderboard_from_cells, pass_at_k_rows, pass_rate_samples
from lastexam.analysis.stats import InstanceBootstrap, pass_at_k, pass_hat_k, percentile_interval, ratio_samples
from lastexam.analysis.variance import decompose

EPOCHS = 3


def matrix_of(passes: dict[str, np.ndarray], epochs: int) -> InstanceMatrix:
    """The agents x instances matrix of per-agent arrays of passes per instance (``epochs`` graded each)."""
    counts = np.vstack(list(passes.values())).astype(np.float64)
    n = counts.shape[1]
    instances = pd.DataFrame({"instance": [f"sim/t@{i}" for i in range(n)], "task_id": "sim/t", "tier": "near-term",
                              "cluster": "sim", "subdomain": "sim"})
    zeros = np.zeros_like(counts)
    return InstanceMatrix(agents=list(passes), instances=instances, epochs=np.full_like(counts, epochs),
                          passes=counts, score_sum=counts, cost_sum=zeros, cost_unknown=zeros,
                          duration_sum=zeros, agent_sec_sum=zeros)


def cells(passes: dict[str, np.ndarray], epochs: int) -> pd.DataFrame:
    """A cells frame (one row per agent and instance) from per-agent arrays of passes per instance."""
    frames = []
    for agent, count in passes.items():
        n = len(count)
        frames.append(pd.DataFrame({
            "agent": agent, "instance": [f"sim/t@{i}" for i in range(n)], "task_id": "sim/t", "tier": "near-term",
            "cluster": "sim", "subdomain": "sim", "outcome": "graded", "trials": epochs,
            "passes": count, "score_sum": count.astype(float), "cost_sum": 0.0, "cost_unknown": 0,
            "duration_sum": 1.0, "agent_sec_sum": 1.0}))
    return pd.concat(frames, ignore_index=True)[list(CELL_COLUMNS)]


def beta_moment(a: float, b: float, k: int) -> float:
    """E[q^k] for q ~ Beta(a, b)."""
    return float(np.prod([(a + j) / (a + b + j) for j in range(k)]))


def coverage(replicates: int, resamples: int, rng: np.random.Generator) -> None:
    print("1. coverage of 95% intervals, 3 epochs per instance (before: plain percentile bootstrap; "
          "after: with the boundary floor)")
    for p, n in product((0.02, 0.05, 0.2, 0.5), (20, 60, 200)):
        a, b = 4 * p, 4 * (1 - p)
        truth = {("pass@1", 1): p, ("pass@3", 3): 1 - beta_moment(b, a, 3), ("pass^3", 3): beta_moment(a, b, 3)}
        hits = {(name, when): 0 for name, _ in truth for when in ("before", "after")}
        for _ in range(replicates):
            count = rng.binomial(EPOCHS, rng.beta(a, b, n))
            matrix = matrix_of({"x": count}, EPOCHS)
            boot = InstanceBootstrap(n, resamples, int(rng.integers(1 << 31)))
            rows = {r.k: r for r in pass_at_k_rows(matrix, boot)}
            for (name, k), true in truth.items():
                estimator = pass_hat_k if name.startswith("pass^") else pass_at_k
                (sums,) = boot.weighted_sums([(None, np.column_stack([estimator(matrix.epochs[0], matrix.passes[0], k),
                                                                      np.ones(n)]))])
                low, high = percentile_interval(ratio_samples(sums[:, :1], sums[:, 1:]))[0]
                hits[(name, "before")] += low <= true <= high
                low, high = rows[k].pass_hat_k_ci if name.startswith("pass^") else rows[k].pass_at_k_ci
                hits[(name, "after")] += low - 1e-9 <= true <= high + 1e-9
        figures = "  ".join(f"{name} {hits[(name, 'before')] / replicates:.2f}->{hits[(name, 'after')] / replicates:.2f}"
                            for name, _ in truth)
        print(f"   p={p:<4} instances={n:<3}  {figures}")


def false_positives(replicates: int, resamples: int, rng: np.random.Generator) -> None:
    print("2. false-positive rate at the 5% level under the null (two agents, same pass probabilities, 3 epochs)")
    for n in (6, 20, 60):
        counts = {"McNemar (old decision)": 0, "bootstrap p": 0, "sign-flip (new decision)": 0}
        for _ in range(replicates):
            q = rng.beta(1, 1, n)
            passes = {"a": rng.binomial(EPOCHS, q), "b": rng.binomial(EPOCHS, q)}
            boot = InstanceBootstrap(n, resamples, int(rng.integers(1 << 31)))
            [c] = compare(matrix_of(passes, EPOCHS), boot, [("a", "b")])
            wins_a, wins_b = passes["a"] * 2 > EPOCHS, passes["b"] * 2 > EPOCHS
            a_only, b_only = int((wins_a & ~wins_b).sum()), int((~wins_a & wins_b).sum())
            mcnemar = binomtest(a_only, a_only + b_only, 0.5).pvalue if a_only + b_only else 1.0
            counts["McNemar (old decision)"] += mcnemar < 0.05
            counts["bootstrap p"] += c.p_bootstrap < 0.05
            counts["sign-flip (new decision)"] += c.significant
        print(f"   instances={n:<3} " + "  ".join(f"{name} {hits / replicates:.3f}" for name, hits in counts.items()))


def split_error(replicates: int, resamples: int, rng: np.random.Generator) -> None:
    print("3. harness share of the harness/model split, 60 instances per configuration (truth: the split of the "
          "true rates)")
    n = 60
    for size in (2, 3):
        errors, covered, with_interval, uncertain = [], 0, 0, 0
        for _ in range(replicates):
            true = np.clip(0.5 + rng.normal(0, 0.10, (size, 1)) + rng.normal(0, 0.15, (1, size))
                           + rng.normal(0, 0.03, (size, size)), 0.02, 0.98)
            agents = {f"h{h}:m{m}": true[h, m] for h, m in product(range(size), repeat=2)}
            passes = {agent: rng.binomial(1, rate, n) for agent, rate in agents.items()}
            board, matrix, boot = leaderboard_from_cells(cells(passes, 1), resamples=resamples,
                                                         seed=int(rng.integers(1 << 31)))
            truth_rows = [r.model_copy(update={"pass_rate": agents[r.agent]}) for r in board.leaderboard]
            truth = decompose(truth_rows)
            split = decompose(board.leaderboard, pass_rate_samples(matrix, boot))
            assert truth is not None and split is not None
            true_share = truth.components[0].share
            harness = split.components[0]
            if true_share is None or harness.share is None:
                continue
            errors.append(abs(harness.share - true_share))
            uncertain += "very uncertain" in split.note
            if harness.share_ci is not None:
                with_interval += 1
                covered += harness.share_ci[0] - 1e-9 <= true_share <= harness.share_ci[1] + 1e-9
        print(f"   {size}x{size}: mean |error| of the harness share {np.mean(errors):.3f} (median "
              f"{np.median(errors):.3f}); interval coverage before: none, after: {covered / max(1, with_interval):.2f}; "
              f"flagged very uncertain: {uncertain / len(errors):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    started = time.monotonic()
    print(f"replicates {args.replicates}, bootstrap resamples {args.resamples}, seed {args.seed}")
    coverage(args.replicates, args.resamples, rng)
    false_positives(args.replicates * 3, args.resamples, rng)
    split_error(args.replicates, args.resamples, rng)
    print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
