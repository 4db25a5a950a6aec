"""Checks of the two deliverables against the reference: the encounter list and the vessel register.

Every comparison tolerates bad agent output (a cell that is not a number or a time fails that item).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from lastexam.task import Grading, as_number, normalize_text

from . import geometry

ENCOUNTER_COLUMNS = ("mmsi_1", "name_1", "mmsi_2", "name_2", "cpa_time", "cpa_nm", "tcpa_min", "encounter_type",
                     "give_way_mmsi")
VESSEL_COLUMNS = ("mmsi", "name", "ship_type", "length_m", "class", "first_seen", "last_seen", "reports",
                  "max_sog_kn")
CPA_TOL_NM = (0.005, 0.01)
TIME_TOL_S = 60.0
FLAT_MINIMUM_NM = 0.003
TCPA_TOL_MIN = 1.0


def parse_time(value: Any) -> float | None:
    """Epoch seconds of an ISO 8601 UTC time ("2026-06-16T05:23:41Z", "2026-06-16 05:23:41"), or None."""
    text = str(value or "").strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.timestamp()


def _mmsi(value: Any) -> str:
    number = as_number(value)
    if number is not None and math.isfinite(number) and number == int(number):
        return str(int(number))
    return str(value or "").strip()


def _kind(value: Any) -> str:
    return normalize_text(value).replace("-", "").replace("_", "").replace(" ", "")


def _pairs(rows: list[dict[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Found rows keyed by the sorted MMSI pair, names re-ordered to follow the key."""
    out = {}
    for row in rows:
        a, b = _mmsi(row.get("mmsi_1")), _mmsi(row.get("mmsi_2"))
        names = {a: row.get("name_1"), b: row.get("name_2")}
        key = tuple(sorted((a, b)))
        out[key] = {**row, "names": (names.get(key[0]), names.get(key[1]))}
    return out


def grade_encounters(g: Grading, ref: dict[str, Any]) -> None:
    rows = g.read_csv("encounters.csv", required_columns=ENCOUNTER_COLUMNS)
    if rows is None:
        return
    found = _pairs(rows)
    want = {(e["mmsi_1"], e["mmsi_2"]): e for e in ref["encounters"]}
    hits = [k for k in want if k in found]
    extra = [k for k in found if k not in want]
    missing = [k for k in want if k not in found]
    g.share("close-quarters pairs (precision and recall)", len(hits), len(want) + len(extra), weight=3,
            wrong=[f"missing {'/'.join(k)}" for k in missing] + [f"not an encounter {'/'.join(k)}" for k in extra],
            noun="pairs")
    tracks = ref["tracks"]
    cpa, timing, tcpa, names, colreg = {}, {}, {}, {}, {}
    for key, exp in want.items():
        label = "/".join(key)
        got = found.get(key)
        if got is None:
            for verdicts in (cpa, timing, tcpa, names, colreg):
                verdicts[label] = "pair missing"
            continue
        d = as_number(got.get("cpa_nm"))
        cpa[label] = (d is not None and abs(d - exp["cpa_nm"]) <= max(CPA_TOL_NM[0], CPA_TOL_NM[1] * exp["cpa_nm"])) \
            or f"{got.get('cpa_nm')!r}, want {exp['cpa_nm']:.4f}"
        t = parse_time(got.get("cpa_time"))
        close_in_time = t is not None and abs(t - exp["cpa_epoch"]) <= TIME_TOL_S
        flat_minimum = t is not None and abs(t - exp["cpa_epoch"]) <= 600 and geometry.distance_at(
            tracks[key[0]], tracks[key[1]], t) <= exp["cpa_nm"] + FLAT_MINIMUM_NM
        timing[label] = close_in_time or flat_minimum or f"{got.get('cpa_time')!r}, want {exp['cpa_time']}"
        m = as_number(got.get("tcpa_min"))
        tcpa[label] = (m is not None and abs(m - exp["tcpa_min"]) <= TCPA_TOL_MIN) \
            or f"{got.get('tcpa_min')!r}, want {exp['tcpa_min']:.1f}"
        right_names = [normalize_text(n) for n in (exp["name_1"], exp["name_2"])]
        names[label] = [normalize_text(n) for n in got["names"]] == right_names \
            or f"{got['names']}, want {(exp['name_1'], exp['name_2'])}"
        give_way = _mmsi(got.get("give_way_mmsi")) if normalize_text(got.get("give_way_mmsi")) != "both" else "both"
        colreg[label] = (_kind(got.get("encounter_type")) == _kind(exp["encounter_type"])
                         and give_way == exp["give_way"]) \
            or f"{got.get('encounter_type')}/{got.get('give_way_mmsi')}, want {exp['encounter_type']}/{exp['give_way']}"
    g.fraction("CPA distance of each encounter", cpa, weight=2, noun="encounters")
    g.fraction("time of CPA of each encounter", timing, weight=1.5, noun="encounters")
    g.fraction("TCPA from first detection", tcpa, weight=1, noun="encounters")
    g.fraction("names of both vessels (static data decoded)", names, weight=1.5, noun="encounters")
    g.fraction("COLREG encounter type and give-way vessel", colreg, weight=2, noun="encounters")


def grade_vessels(g: Grading, ref: dict[str, Any]) -> None:
    rows = g.read_csv("vessels.csv", required_columns=VESSEL_COLUMNS)
    if rows is None:
        return
    found = [{**r, "mmsi": _mmsi(r.get("mmsi"))} for r in rows]
    expected = list(ref["vessels"].values())

    def same_number(tol: float):
        def rule(cell: Any, want: Any) -> bool:
            value = as_number(cell)
            return value is not None and abs(value - float(want)) <= tol
        return rule

    def same_time(cell: Any, want: Any) -> bool:
        value, target = parse_time(cell), parse_time(want)
        return value is not None and target is not None and abs(value - target) <= 1.0

    g.table("vessel register: name, ship type, length, class", found, expected, key="mmsi",
            columns={"name": None, "ship_type": same_number(0), "length_m": same_number(0.5), "class": None},
            normalize=normalize_text, weight=1.5)
    g.table("vessel register: first/last accepted report, report count, highest SOG", found, expected, key="mmsi",
            columns={"first_seen": same_time, "last_seen": same_time, "reports": same_number(0),
                     "max_sog_kn": same_number(0.05)}, normalize=normalize_text, weight=1.5)
