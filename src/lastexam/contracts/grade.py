"""The grade contract: named, weighted checks with evidence, and the score they add up to."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, computed_field, field_validator


class Check(BaseModel):
    """One named check of a deliverable.

    ``score`` is in [0, 1]; ``passed`` says the check is fully met. A failed ``gate`` check
    (a required file, a schema) zeroes the whole grade.
    """

    name: str
    weight: float = Field(default=1.0, ge=0)
    score: float = Field(ge=0, le=1)
    passed: bool
    gate: bool = False
    expected: Any = None
    found: Any = None
    reason: str = ""

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
