"""Infrastructure errors that remain after retries, per agent (and per group): how many, out of how many
finished trials, and whether there are enough of them to doubt the agent's rate.

An infrastructure error (status ``infra_error``, category ``infrastructure``) is a trial the harness could not
finish through no fault of the agent; rates leave it out (``ale report --strict`` counts it as a failed
trial instead). A finished trial is a graded one or an infrastructure error: cancelled trials are left out of
both counts. A share above ``FLAG_SHARE`` is flagged: the agent's rate then rests on noticeably less work
than it was given.
"""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, Field

FLAG_SHARE = 0.02


class InfraShare(BaseModel):
    """Infrastructure errors among the finished trials of one agent (or one agent within one group)."""

    errors: int = Field(0, description="trials recorded as infrastructure errors after every retry")
    finished: int = Field(0, description="graded trials plus infrastructure errors (cancelled ones left out)")
    share: float = Field(0.0, description="errors / finished (0 when nothing finished)")
    flagged: bool = Field(False, description=f"share above {FLAG_SHARE:.0%}")

    @classmethod
    def of(cls, errors: int, finished: int) -> InfraShare:
        """The share of ``errors`` among ``finished`` trials, flagged above ``FLAG_SHARE``."""
        share = errors / finished if finished else 0.0
        return cls(errors=errors, finished=finished, share=share, flagged=share > FLAG_SHARE)


def infra_shares(cells: pd.DataFrame, by: list[str]) -> dict[tuple[str, ...], InfraShare]:
    """Per distinct value of the ``by`` columns of a cells frame (see ``dataset``), as a tuple of strings,
    its infrastructure share; keys without a finished trial are absent."""
    counted = cells[cells["outcome"] != "cancelled"]
    if counted.empty:
        return {}
    is_infra = (counted["outcome"] == "infrastructure").to_numpy()
    frame = counted[by].astype(str).assign(finished=counted["trials"].to_numpy(),
                                           errors=counted["trials"].to_numpy() * is_infra)
    sums = frame.groupby(by)[["errors", "finished"]].sum()
    return {(key if isinstance(key, tuple) else (key,)): InfraShare.of(int(errors), int(finished))
            for key, errors, finished in zip(sums.index, sums["errors"], sums["finished"], strict=True)}
