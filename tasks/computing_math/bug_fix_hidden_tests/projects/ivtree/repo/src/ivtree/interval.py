"""The half-open interval value."""

from __future__ import annotations

from typing import Any, NamedTuple


class Interval(NamedTuple):
    start: float
    end: float
    data: Any = None

    def overlaps(self, start: float, end: float) -> bool:
        """Whether this interval shares a point with ``[start, end)``."""
        return self.start < end and start < self.end

    def contains(self, point: float) -> bool:
        return self.start <= point < self.end

    @property
    def length(self) -> float:
        return self.end - self.start


def check_bounds(start: float, end: float) -> None:
    if not start < end:
        raise ValueError(f"empty or reversed interval [{start}, {end})")
