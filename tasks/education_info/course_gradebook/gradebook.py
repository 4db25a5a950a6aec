"""The syllabus policy as code: a cleaned roster (the Data sheet's layout) to final percents and letters.

A roster row is ``[student_id, name, section, *scores, *late_days, extra_credit]``: one score per item
of the course (percent of the item's maximum, "EX" when excused, None when missing), one late-day count
per item (None when on time) and the extra-credit points (None when none).
"""

from __future__ import annotations

import math

from .courses import Course


def header(course: Course) -> list[str]:
    return ["student_id", "name", "section", *course.items, *(f"{i}_late" for i in course.items), "extra_credit"]


def round_half_up(x: float, digits: int) -> float:
    scale = 10 ** digits
    return math.floor(x * scale + 0.5 + 1e-9) / scale


def letter(course: Course, percent: float) -> str:
    shown = round_half_up(percent, 1)
    return [name for cut, name in course.letters if shown >= cut][-1]


def grades(course: Course, rows: list[list], weights: list[float] | None = None,
           excused_as_zero: bool = False, no_drop: bool = False, uncapped: bool = False) -> dict[str, dict]:
    """Per student id: the category averages, the final percent and the letter the policy gives."""
    items = course.items
    weights = weights or [c.weight for c in course.categories]
    out = {}
    for row in rows:
        scores = dict(zip(items, row[3:3 + len(items)], strict=True))
        late = dict(zip(items, row[3 + len(items):3 + 2 * len(items)], strict=True))
        averages = {}
        for cat in course.categories:
            kept = []
            for item in cat.items:
                score = scores[item]
                if score == "EX" and not excused_as_zero:
                    continue
                value = score if isinstance(score, float | int) else 0.0
                penalty = (late[item] or 0) * course.late_per_day
                kept.append(max(0.0, value - (penalty if uncapped else min(penalty, course.late_cap))))
            kept.sort()
            kept = kept if no_drop else kept[cat.drop_lowest:]
            if not kept:
                raise ValueError(f"{row[0]} has no counted item in {cat.name}")
            averages[cat.name] = sum(kept) / len(kept)
        extra = min(row[-1] or 0.0, course.extra_credit_cap)
        final = sum(w * averages[c.name] for w, c in zip(weights, course.categories, strict=True)) + extra
        out[row[0]] = {"averages": averages, "final": final, "letter": letter(course, final)}
    return out
