"""The grade contract: named, weighted checks with evidence, and the score they add up to."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, computed_field, field_validator


class Probe(BaseModel):
    """A yes/no question put to a judge model about the output, resting on an excerpt of it (``evidence``).

    The grader only asks; the harness answers after the grader has ended (``grading.probes``), so the
    answer can never steer the grader. ``answer`` is None until a judge answered: then the check is not
    graded and never passes.
    """

    question: str
    evidence: str
    judge: str | None = Field(None, description="the model that answered")
    prompt: list[dict[str, str]] | None = Field(None, description="the messages the judge was sent")
    answer: str | None = Field(None, description="the judge's reply as it came")


class Check(BaseModel):
    """One named check of a deliverable.

    ``score`` is in [0, 1]; ``passed`` says the check is fully met. A failed ``gate`` check
    (a required file, a schema) zeroes the whole grade. A check with a ``probe`` is answered by a judge model.
    """

    name: str
    weight: float = Field(default=1.0, ge=0)
    score: float = Field(ge=0, le=1)
    passed: bool
    gate: bool = False
    expected: Any = None
    found: Any = None
    reason: str = ""
    probe: Probe | None = None

    @field_validator("expected", "found")
    @classmethod
    def _jsonable(cls, value: Any) -> Any:
        if value is None or isinstance(value, (bool, int, float, str, list, dict)):
            return value
        return repr(value)


class Grade(BaseModel):
    """A report of checks. Score: 0 when a gate fails, else the weighted mean; full pass: every check passes."""

    checks: list[Check] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def score(self) -> float:
        if not self.checks or any(c.gate and not c.passed for c in self.checks):
            return 0.0
        total = sum(c.weight for c in self.checks)
        if total == 0:
            return float(all(c.passed for c in self.checks))
        return round(sum(c.weight * c.score for c in self.checks) / total, 6)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)
