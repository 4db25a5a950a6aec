"""What a run showed beyond its grade (run facts) and the failure category of a recorded trial.

How the facts are taken from a run, and the categories of many trials at once, are in
``lastexam.analysis.facts`` (whose docstring explains each category and software use).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

FailureCategory = Literal["passed", "cancelled", "infrastructure", "timeout", "limit", "no_output", "gate_failed",
                          "partial", "zero_score"]
FAILURE_CATEGORIES: tuple[str, ...] = ("infrastructure", "timeout", "limit", "no_output", "gate_failed", "partial",
                                       "zero_score")
SoftwareUse = Literal["used", "substitute", "not_used", "unknown"]
SOFTWARE_USES: tuple[str, ...] = ("used", "substitute", "not_used", "unknown")


class RunFacts(BaseModel):
    """What one run shows. ``None`` means it could not be told (the file is missing)."""

    output_files: int | None
    tool_calls: int | None
    software: SoftwareUse
    executables: str = Field("", description="the declared executables software use was judged against "
                                             "(``executables_basis``)")


def failure_category(status: str, agent_outcome: str | None, score: float, gate_failed: bool,
                     output_files: int | None) -> FailureCategory:
    """The one category of a recorded trial, first match wins (the order of ``analysis.facts.failure_categories``,
    which computes the same over many trials at once); ``output_files`` None means not known."""
    if status == "passed":
        return "passed"
    if status == "cancelled":
        return "cancelled"
    if status == "infra_error":
        return "infrastructure"
    if agent_outcome in ("timeout", "limit"):
        return agent_outcome
    if output_files == 0:
        return "no_output"
    if gate_failed:
        return "gate_failed"
    return "partial" if score > 0 else "zero_score"
