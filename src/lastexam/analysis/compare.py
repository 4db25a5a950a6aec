"""Paired comparison of two agent configurations on the instances both ran.

The quantity compared is the difference of pass rates, A minus B: the mean over common instances of
the per-instance difference of the fraction of graded epochs that fully passed. Both its interval and
its test are about that one quantity:

* the interval is a paired bootstrap percentile interval (the same resampled instances for both agents,
  ``InstanceBootstrap``), with a two-sided bootstrap p-value beside it (twice the smaller tail of the
  resampled differences around 0; below the resolution 1/B it is shown as "< 1/B");
* ``significant`` is decided by the sign-flip permutation test of the same per-instance differences
  (``stats.sign_flip_p_values``: exact up to 16 nonzero differences, else B random sign patterns),
  which keeps its level with few instances where the bootstrap does not. With more than one pair,
  Holm's step-down adjustment of the sign-flip p-values over the whole family (``p_holm``) decides.
* ``a_better`` / ``b_better`` / ``ties`` count the common instances where A's pass fraction is above,
  below or equal to B's. The mean score difference gets its own paired bootstrap interval.
* Fewer than ``MIN_COMPARISON_INSTANCES`` common instances: flagged ``few_instances`` ("few common
  instances": the bootstrap interval under-covers there; the decision rests on the exact test).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations

import numpy as np
from pydantic import BaseModel, Field, computed_field

from lastexam.analysis.dataset import InstanceMatrix
from lastexam.analysis.infra import InfraShare
from lastexam.analysis.leaderboard import Interval
from lastexam.analysis.stats import (
    EXACT_SIGN_FLIP_MAX,
    InstanceBootstrap,
    bootstrap_p_value,
    format_p,
    holm,
    percentile_interval,
    ratio_samples,
    sign_flip_p_values,
)
from lastexam.errors import LastExamError

MIN_COMPARISON_INSTANCES = 30


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
    p_bootstrap: float = Field(description="two-sided paired bootstrap p of the difference (0: below p_resolution)")
    p_sign_flip: float = Field(description="two-sided sign-flip permutation p of the same per-instance differences")
    test: str = Field(description="the test that decides significance")
    p_resolution: float = Field(description="1 / resamples: p-values below it are shown as '< p_resolution'")
    a_better: int = Field(description="common instances where A's pass fraction is higher")
    b_better: int = Field(description="common instances where B's pass fraction is higher")
    ties: int
    p_holm: float | None = None
    significant: bool = Field(description="p_holm (or p_sign_flip for a single pair) below 1 - confidence")
    few_instances: bool = Field(False, description=f"fewer than {MIN_COMPARISON_INSTANCES} common instances")
    infra_a: InfraShare = Field(default_factory=InfraShare, description="A's infrastructure errors, overall")
    infra_b: InfraShare = Field(default_factory=InfraShare, description="B's infrastructure errors, overall")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def caution(self) -> str | None:
        return "few common instances" if self.few_instances else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def p_bootstrap_text(self) -> str:
        return format_p(self.p_bootstrap, self.p_resolution)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def p_sign_flip_text(self) -> str:
        return format_p(self.p_sign_flip, self.p_resolution)


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

    per_instance = np.column_stack([np.where(ran[index[a]] & ran[index[b]], pass_frac[index[a]] - pass_frac[index[b]], 0.0)
                                   for a, b in pairs])
    p_flips = sign_flip_p_values(per_instance, boot.resamples, boot.seed)
    out = []
    for (a, b), p_flip in zip(pairs, p_flips.tolist(), strict=True):
        ia, ib = index[a], index[b]
        common = ran[ia] & ran[ib]
        diff_samples, score_samples = paired_samples("pass", a, b), paired_samples("score", a, b)
        diff_ci, score_ci = percentile_interval(diff_samples, confidence)[0], percentile_interval(score_samples, confidence)[0]
        differences = (pass_frac[ia] - pass_frac[ib])[common]
        nonzero = int((differences != 0).sum())
        test = ("exact sign-flip test" if nonzero <= EXACT_SIGN_FLIP_MAX
                else f"sign-flip test, {boot.resamples} random sign patterns")
        out.append(Comparison(
            a=a, b=b, instances=int(common.sum()), pass_rate_a=float(pass_frac[ia][common].mean()),
            pass_rate_b=float(pass_frac[ib][common].mean()), difference=float(differences.mean()),
            difference_ci=(float(diff_ci[0]), float(diff_ci[1])),
            score_difference=float((score_frac[ia] - score_frac[ib])[common].mean()),
            score_difference_ci=(float(score_ci[0]), float(score_ci[1])),
            p_bootstrap=float(bootstrap_p_value(diff_samples)[0]), p_sign_flip=p_flip,
            test=test + " of the per-instance pass-rate differences", p_resolution=1 / boot.resamples,
            a_better=int((differences > 0).sum()), b_better=int((differences < 0).sum()),
            ties=int((differences == 0).sum()), significant=p_flip < 1 - confidence,
            few_instances=int(common.sum()) < MIN_COMPARISON_INSTANCES,
            infra_a=(infra or {}).get(a, InfraShare()), infra_b=(infra or {}).get(b, InfraShare()),
        ))
    if len(out) > 1:
        for row, adjusted in zip(out, holm([r.p_sign_flip for r in out]), strict=True):
            row.p_holm = adjusted
            row.significant = adjusted < 1 - confidence
    return out
