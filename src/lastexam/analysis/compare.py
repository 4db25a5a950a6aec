"""Paired comparison of two agent configurations on the instances both ran.

* Difference of pass rates (and of mean scores), A minus B, with a paired bootstrap interval: the
  same resampled instances for both agents (``InstanceBootstrap``), and a two-sided bootstrap
  p-value (twice the smaller tail of the resampled differences around 0).
* McNemar's test on per-instance pass: an instance counts as passed by an agent when more than
  half of its graded epochs fully passed (with one epoch: that epoch passed). Exact p-value
  (``scipy.stats.binomtest`` on the discordant pairs gives the same) and the mid-p.
* Fewer than ``MIN_RELIABLE_INSTANCES`` common instances: flagged ``few_instances`` (the percentile
  interval is then a rough guide; rely on the exact test).
* With more than one pair compared, Holm's step-down adjustment of the exact McNemar p-values over
  the whole family (``p_holm``); ``significant`` uses it when present.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations

import numpy as np
from pydantic import BaseModel, Field

from lastexam.analysis.dataset import InstanceMatrix
from lastexam.analysis.infra import InfraShare
from lastexam.analysis.leaderboard import MIN_RELIABLE_INSTANCES, Interval
from lastexam.analysis.stats import (
    InstanceBootstrap,
    bootstrap_p_value,
    holm,
    mcnemar,
    percentile_interval,
    ratio_samples,
)
from lastexam.errors import LastExamError


class Comparison(BaseModel):
    """A minus B on their common instances."""

    a: str
    b: str
    instances: int
    pass_rate_a: float
    pass_rate_b: float
    difference: float
    difference_ci: Interval
    score_difference: float
    score_difference_ci: Interval
    p_bootstrap: float
    both_passed: int
    a_only: int
    b_only: int
    neither: int
    p_mcnemar: float
    p_mcnemar_midp: float
    p_holm: float | None = None
    significant: bool
    few_instances: bool = False
    infra_a: InfraShare = Field(default_factory=InfraShare, description="A's infrastructure errors, overall")
    infra_b: InfraShare = Field(default_factory=InfraShare, description="B's infrastructure errors, overall")


def all_pairs(agents: list[str]) -> list[tuple[str, str]]:
    """Every unordered pair, in the given order."""
    return list(combinations(agents, 2))


def compare(matrix: InstanceMatrix, boot: InstanceBootstrap, pairs: list[tuple[str, str]],
            confidence: float = 0.95, infra: Mapping[str, InfraShare] | None = None) -> list[Comparison]:
    """Compare each pair (A, B); ``infra`` gives each agent's overall infrastructure share, shown beside it.

    Raises:
        LastExamError: an agent not in the results, or a pair without a common graded instance.
    """
    index = {agent: j for j, agent in enumerate(matrix.agents)}
    for agent in {a for pair in pairs for a in pair}:
        if agent not in index:
            raise LastExamError(f"no graded trials of agent {agent!r} in the selection. Fix: compare two of: "
                                f"{', '.join(matrix.agents)}")
    if not pairs:
        return []
    pass_frac = matrix.per_instance(matrix.passes)
    score_frac = matrix.per_instance(matrix.score_sum)
    ran = matrix.ran
    columns: list[np.ndarray] = []
    position: dict[tuple[str, int | str], int] = {}

    def column(key: tuple[str, int | str], values: np.ndarray) -> None:
        if key not in position:
            position[key] = len(columns)
            columns.append(values)

    for a, b in pairs:
        ia, ib = index[a], index[b]
        if not (ran[ia] & ran[ib]).any():
            raise LastExamError(f"{a!r} and {b!r} have no graded instance in common. Fix: compare agents that ran "
                                "the same instances (same experiment or suite)")
        if np.array_equal(ran[ia], ran[ib]):
            for j in (ia, ib):
                column(("pass", j), pass_frac[j])
                column(("score", j), score_frac[j])
                column(("ran", j), ran[j].astype(np.float64))
        else:
            common = (ran[ia] & ran[ib]).astype(np.float64)
            column(("pass", f"{a}|{b}"), (pass_frac[ia] - pass_frac[ib]) * common)
            column(("score", f"{a}|{b}"), (score_frac[ia] - score_frac[ib]) * common)
            column(("ran", f"{a}|{b}"), common)
    (samples,) = boot.weighted_sums([(None, np.column_stack(columns))])

    def paired_samples(kind: str, a: str, b: str) -> np.ndarray:
        ia, ib = index[a], index[b]
        if ("ran", f"{a}|{b}") in position:
            numerator = samples[:, position[(kind, f"{a}|{b}")]]
            denominator = samples[:, position[("ran", f"{a}|{b}")]]
        else:
            numerator = samples[:, position[(kind, ia)]] - samples[:, position[(kind, ib)]]
            denominator = samples[:, position[("ran", ia)]]
        return ratio_samples(numerator[:, None], denominator[:, None])

    out = []
    for a, b in pairs:
        ia, ib = index[a], index[b]
        common = ran[ia] & ran[ib]
        diff_samples, score_samples = paired_samples("pass", a, b), paired_samples("score", a, b)
        diff_ci, score_ci = percentile_interval(diff_samples, confidence)[0], percentile_interval(score_samples, confidence)[0]
        wins_a, wins_b = pass_frac[ia][common] > 0.5, pass_frac[ib][common] > 0.5
        a_only, b_only = int((wins_a & ~wins_b).sum()), int((~wins_a & wins_b).sum())
        exact, mid = mcnemar(a_only, b_only)
        out.append(Comparison(
            a=a, b=b, instances=int(common.sum()), pass_rate_a=float(pass_frac[ia][common].mean()),
            pass_rate_b=float(pass_frac[ib][common].mean()),
            difference=float((pass_frac[ia] - pass_frac[ib])[common].mean()),
            difference_ci=(float(diff_ci[0]), float(diff_ci[1])),
            score_difference=float((score_frac[ia] - score_frac[ib])[common].mean()),
            score_difference_ci=(float(score_ci[0]), float(score_ci[1])),
            p_bootstrap=float(bootstrap_p_value(diff_samples)[0]),
            both_passed=int((wins_a & wins_b).sum()), a_only=a_only, b_only=b_only,
            neither=int((~wins_a & ~wins_b).sum()), p_mcnemar=exact, p_mcnemar_midp=mid,
            significant=exact < 1 - confidence, few_instances=int(common.sum()) < MIN_RELIABLE_INSTANCES,
            infra_a=(infra or {}).get(a, InfraShare()), infra_b=(infra or {}).get(b, InfraShare()),
        ))
    if len(out) > 1:
        for row, adjusted in zip(out, holm([r.p_mcnemar for r in out]), strict=True):
            row.p_holm = adjusted
            row.significant = adjusted < 1 - confidence
    return out
