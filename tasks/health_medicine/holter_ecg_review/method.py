"""The lab's Holter reporting rules, applied to a list of beats and excluded segments.

The reference applies them to the generating truth; the grader applies them to the agent's own
annotation and excluded segments to check that its summary follows from its beats.

- Excluded time: lead-off and artefact segments; analysable time is the recording less them.
- Valid RR interval: two consecutive annotated beats, both in analysable time, with no excluded
  time between them. Every beat counts (N and V).
- Minute heart rate: per clock minute from the start of the record, over the valid intervals
  ending in it, 60 x count / sum of the intervals; only minutes wholly analysable are rated.
  Minimum and maximum are the extreme rated minutes; the mean is the mean of the rated minutes.
- Pause: a valid interval longer than 2.0 s, reported by the time of its first beat.
- VT run: three or more consecutive V beats; rate = 60 x (beats - 1) / (last - first).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

PAUSE_S = 2.0


def in_segments(t: float, segments: Sequence[tuple[float, float]]) -> bool:
    return any(s <= t <= e for s, e in segments)


def valid_intervals(times: np.ndarray, segments: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """(start, end) of every valid RR interval."""
    out = []
    for a, b in itertools.pairwise(times):
        if in_segments(a, segments) or in_segments(b, segments):
            continue
        if any(s < b and e > a for s, e in segments):
            continue
        out.append((float(a), float(b)))
    return out


def minute_rates(times: np.ndarray, segments: Sequence[tuple[float, float]], duration: float) -> dict[int, float]:
    """Rated minute index -> heart rate (bpm)."""
    intervals = valid_intervals(times, segments)
    rates = {}
    for minute in range(int(duration // 60)):
        m0, m1 = minute * 60.0, minute * 60.0 + 60.0
        if any(s < m1 and e > m0 for s, e in segments):
            continue
        rr = [b - a for a, b in intervals if m0 <= b < m1]
        if rr:
            rates[minute] = 60.0 * len(rr) / sum(rr)
    return rates


def heart_rate_summary(times: np.ndarray, segments: Sequence[tuple[float, float]], duration: float) -> dict:
    rates = minute_rates(times, segments, duration)
    if not rates:
        return {"min_hr_bpm": None, "min_hr_minute_start_s": None, "mean_hr_bpm": None,
                "max_hr_bpm": None, "max_hr_minute_start_s": None, "rated_minutes": 0}
    lo = min(rates, key=rates.get)
    hi = max(rates, key=rates.get)
    return {"min_hr_bpm": rates[lo], "min_hr_minute_start_s": lo * 60.0,
            "mean_hr_bpm": float(np.mean(list(rates.values()))),
            "max_hr_bpm": rates[hi], "max_hr_minute_start_s": hi * 60.0, "rated_minutes": len(rates)}


def pauses(times: np.ndarray, segments: Sequence[tuple[float, float]]) -> list[dict]:
    return [{"start_s": a, "duration_s": b - a} for a, b in valid_intervals(times, segments) if b - a > PAUSE_S]


def vt_runs(times: np.ndarray, labels: Sequence[str], segments: Sequence[tuple[float, float]]) -> list[dict]:
    runs, current = [], []
    for t, label in zip(times, labels, strict=True):
        if label == "V" and not in_segments(t, segments):
            current.append(float(t))
            continue
        if len(current) >= 3:
            runs.append(current)
        current = []
    if len(current) >= 3:
        runs.append(current)
    # an annotation file may mark several beats at one sample: such a run has no finite rate
    return [{"start_s": r[0], "beats": len(r),
             "rate_bpm": 60.0 * (len(r) - 1) / (r[-1] - r[0]) if r[-1] > r[0] else math.inf} for r in runs]


def pvc_count(times: np.ndarray, labels: Sequence[str], segments: Sequence[tuple[float, float]]) -> int:
    return sum(1 for t, label in zip(times, labels, strict=True) if label == "V" and not in_segments(t, segments))
