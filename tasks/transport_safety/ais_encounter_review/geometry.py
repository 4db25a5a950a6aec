"""CPA of two AIS tracks and the COLREG classification of the encounter, shared by generator and grader.

A track is a time-sorted list of ``(t, lat, lon)`` accepted position reports (t in seconds). Between
reports a vessel moves linearly in latitude and longitude; nothing is extrapolated beyond a
track's first and last report. Distances are great-circle (haversine, mean Earth radius).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence

EARTH_RADIUS_NM = 6371.0088 / 1.852
ASSESS_LEAD_S = 600.0
Track = Sequence[tuple[float, float, float]]


def haversine_nm(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_NM * math.asin(min(1.0, math.sqrt(a)))


def at(track: Track, t: float, times: Sequence[float] | None = None) -> tuple[float, float]:
    """Interpolated (lat, lon) at t, clamped to the track's ends (``times``: the track's times, if at hand)."""
    times = [p[0] for p in track] if times is None else times
    i = bisect.bisect_right(times, t)
    if i == 0:
        return track[0][1], track[0][2]
    if i == len(track):
        return track[-1][1], track[-1][2]
    (t0, la0, lo0), (t1, la1, lo1) = track[i - 1], track[i]
    s = (t - t0) / (t1 - t0)
    return la0 + s * (la1 - la0), lo0 + s * (lo1 - lo0)


def extrapolate_back(track: Track, t: float) -> tuple[float, float]:
    """(lat, lon) at a time t before the track's first report, its first leg carried back linearly."""
    (t0, la0, lo0), (t1, la1, lo1) = track[0], track[1]
    s = (t - t0) / (t1 - t0)
    return la0 + s * (la1 - la0), lo0 + s * (lo1 - lo0)


def distance_at(a: Track, b: Track, t: float) -> float:
    return haversine_nm(*at(a, t), *at(b, t))


def overlap(a: Track, b: Track) -> tuple[float, float] | None:
    lo, hi = max(a[0][0], b[0][0]), min(a[-1][0], b[-1][0])
    return (lo, hi) if lo < hi else None


def cpa(a: Track, b: Track) -> tuple[float, float] | None:
    """(time, distance in nm) of the closest point of approach over the tracks' common span, or None."""
    span = overlap(a, b)
    if span is None:
        return None
    lo, hi = span
    ta, tb = [p[0] for p in a], [p[0] for p in b]
    grid = sorted({lo, hi, *(p[0] for p in a if lo < p[0] < hi), *(p[0] for p in b if lo < p[0] < hi)})
    best: tuple[float, float] | None = None
    for t0, t1 in itertools.pairwise(grid):
        (la0, lo0), (lb0, ob0) = at(a, t0, ta), at(b, t0, tb)
        (la1, lo1), (lb1, ob1) = at(a, t1, ta), at(b, t1, tb)
        k = math.cos(math.radians((la0 + lb0) / 2)) * 60.0
        r0 = ((ob0 - lo0) * k, (lb0 - la0) * 60.0)
        r1 = ((ob1 - lo1) * k, (lb1 - la1) * 60.0)
        dx, dy = r1[0] - r0[0], r1[1] - r0[1]
        den = dx * dx + dy * dy
        s = 0.0 if den == 0 else min(1.0, max(0.0, -(r0[0] * dx + r0[1] * dy) / den))
        for t in (t0 + s * (t1 - t0), t0, t1):
            d = haversine_nm(*at(a, t, ta), *at(b, t, tb))
            if best is None or d < best[1] - 1e-12:
                best = (t, d)
    return best


def course_at(track: Track, t: float) -> float:
    """Course over ground (degrees true) of the track segment holding t."""
    times = [p[0] for p in track]
    i = min(max(bisect.bisect_right(times, t), 1), len(track) - 1)
    return leg_course(track[i - 1], track[i])


def leg_course(p: tuple[float, float, float], q: tuple[float, float, float]) -> float:
    """Course over ground (degrees true) from track point p to track point q, both (t, lat, lon)."""
    k = math.cos(math.radians((p[1] + q[1]) / 2))
    return math.degrees(math.atan2((q[2] - p[2]) * k, q[1] - p[1])) % 360


def bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial true bearing from point 1 to point 2 (degrees)."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360


def classify(course_a: float, course_b: float, bearing_ab: float) -> tuple[str, str]:
    """COLREG situation and give-way vessel ("a", "b" or "both") from courses and the bearing of B from A.

    Head-on: courses reciprocal within 10 degrees. Overtaking: courses within 67.5 degrees and one
    vessel more than 22.5 degrees abaft the other's beam; the one astern gives way. Otherwise
    crossing: the vessel that has the other on its own starboard side gives way.
    """
    diff = abs((course_a - course_b + 180) % 360 - 180)
    rel_b_from_a = (bearing_ab - course_a) % 360
    rel_a_from_b = (bearing_ab + 180 - course_b) % 360
    if diff >= 170:
        return "head-on", "both"
    if diff < 67.5:
        if 112.5 < rel_a_from_b < 247.5:
            return "overtaking", "a"
        if 112.5 < rel_b_from_a < 247.5:
            return "overtaking", "b"
    return "crossing", "a" if rel_b_from_a < 180 else "b"


def robust_classify(course_a: float, course_b: float, bearing_ab: float, margin: float = 3.0) -> tuple[str, str] | None:
    """The classification when it survives a ``margin``-degree change of any input, else None.

    For a crossing it also requires that each vessel has the other on opposite sides, so the
    give-way vessel is unambiguous.
    """
    base = classify(course_a, course_b, bearing_ab)
    for da in (-margin, 0, margin):
        for db in (-margin, 0, margin):
            for dbr in (-margin, 0, margin):
                if classify(course_a + da, course_b + db, bearing_ab + dbr) != base:
                    return None
    if base[0] == "crossing":
        rel_b_from_a = (bearing_ab - course_a) % 360
        rel_a_from_b = (bearing_ab + 180 - course_b) % 360
        if (rel_b_from_a < 180) == (rel_a_from_b < 180):
            return None
        if min(rel_b_from_a, 360 - rel_b_from_a, abs(rel_b_from_a - 180)) < margin:
            return None
    return base


def assess(a: Track, b: Track, t_cpa: float) -> tuple[float, float, float, float]:
    """(t_assess, course_a, course_b, bearing of B from A) at the assessment time: ten minutes before the
    CPA, or when both vessels are first on the log if that is later."""
    t = max(t_cpa - ASSESS_LEAD_S, overlap(a, b)[0])
    la, loa = at(a, t)
    lb, lob = at(b, t)
    return t, course_at(a, t), course_at(b, t), bearing(la, loa, lb, lob)
