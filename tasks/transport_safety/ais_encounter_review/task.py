"""VTS close-quarters review from a raw AIS NMEA log of a port approach.

Workflow: the VTS analyst takes the shore network's raw AIS feed for the review window (tag-blocked
``!AIVDM`` lines from two base stations and the pilot tender's own ``!AIVDO`` reports), decodes it
with pyais (position reports 1/2/3 and 18, static data 5 in two fragments and 24 A/B), cleans it
(bad checksums, duplicate receptions, out-of-order lines, not-available values, position jumps),
builds each vessel's track, interpolates the tracks in time to find every pair whose closest point
of approach falls under the VTS threshold, and classifies each encounter under COLREG.

Variants: a commercial approach (mostly class A, type 5 statics, 0.5 nm threshold) and a harbour
entrance with many class B leisure craft (type 18/24, 0.3 nm threshold), and a night-time river approach
(a shorter log, few class B, 0.4 nm threshold).

Traps: one vessel of an encounter repeats a frozen course over ground and heading (classified from the
broadcast courses, its encounter lands wrong), one encounter vessel comes in on another course and alters
course again after its CPA (a course taken over the whole track, its first or its last leg instead of at the
assessment time classifies an encounter wrongly), another alters course between an encounter's assessment
time and its CPA (courses taken on the track at the CPA classify an encounter wrongly), and one vessel of an
encounter switches its transponder on after CPA-10 min while the other steadied on its course shortly before
(an encounter assessed at CPA-10 min anyway lands wrong).

Grade: the reference is computed by construction from the transmissions generate() encoded (their
positions as pyais decodes them back), with the cleaning rules the instruction states. The grader
checks the pair set (precision and recall), each pair's CPA distance, CPA time (within a minute,
or at a time where the reference tracks are as close), TCPA, both names, the encounter type and
give-way vessel, and the vessel register's static data and track statistics.
"""
# ALE-CANARY-52dbe5ac-4781-492e-9058-ed161b0198fd

from __future__ import annotations

import calendar
import json
import math
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from lastexam.task import Grading, Params, run_tool_script

from . import geometry, simulate
from .grading import grade_encounters, grade_vessels

ENCODER = Path(__file__).with_name("encode_log.py")
LOG_NAME = "ais_log.nmea"
MARGIN_NM = 0.03


def iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(round(epoch)))


def _checksum(body: str) -> str:
    value = 0
    for ch in body:
        value ^= ord(ch)
    return f"{value:02X}"


def _tagged(sentence: str, station: str, c: int) -> str:
    tag = f"s:{station},c:{c}"
    return f"\\{tag}*{_checksum(tag)}\\{sentence}"


def _as_vdo(sentence: str) -> str:
    body = "AIVDO" + sentence[6:sentence.rindex("*")]
    return f"!{body}*{_checksum(body)}"


def _garble(real: str, garbled: str) -> str:
    """The garbled sentence carrying the real one's checksum (as a bit error in the payload would)."""
    body = garbled[1:garbled.rindex("*")]
    cs = real[real.rindex("*") + 1:]
    if _checksum(body) == cs:
        parts = body.split(",")
        parts[5] = parts[5][:-1] + ("0" if parts[5][-1] != "0" else "1")
        body = ",".join(parts)
    return f"!{body}*{cs}"


def _reference(params: Params, vessels: list[simulate.Vessel], txs: list[simulate.Transmission],
               decoded: dict[int, tuple[float, float, float]], start: int) -> dict[str, Any] | None:
    """Vessel register, tracks and encounters from the accepted reports; None when the scenario has an
    encounter too close to the threshold or to a classification boundary to grade fairly."""
    thr = params["threshold_nm"]
    reports: dict[int, list[tuple[int, float, float, float]]] = {v.mmsi: [] for v in vessels}
    for tx in txs:
        if tx.fields["type"] in (1, 2, 3, 18) and not tx.jump and not tx.position_na:
            lat, lon, speed = decoded[id(tx)]
            reports[tx.vessel.mmsi].append((start + min(c for _, c in tx.receptions), lat, lon, speed))
    register, tracks = {}, {}
    for v in vessels:
        rows = sorted(reports[v.mmsi])
        tracks[v.mmsi] = [(t, lat, lon) for t, lat, lon, _ in rows]
        register[str(v.mmsi)] = {
            "mmsi": str(v.mmsi), "name": v.name, "ship_type": v.ship_type, "length_m": v.length,
            "class": v.cls, "first_seen": iso(rows[0][0]), "last_seen": iso(rows[-1][0]),
            "first_epoch": rows[0][0], "last_epoch": rows[-1][0], "reports": len(rows),
            "max_sog_kn": max(s for *_, s in rows if s < 102.2),
        }
    by_mmsi = {v.mmsi: v for v in vessels}
    encounters = []
    mmsis = sorted(by_mmsi)
    for i, a in enumerate(mmsis):
        for b in mmsis[i + 1:]:
            found = geometry.cpa(tracks[a], tracks[b])
            if found is None or found[1] >= thr + MARGIN_NM:
                continue
            t_cpa, d = found
            if abs(d - thr) < MARGIN_NM or by_mmsi[a].anchored or by_mmsi[b].anchored:
                return None
            lo, hi = geometry.overlap(tracks[a], tracks[b])
            if t_cpa - lo < 300 or hi - t_cpa < 60:
                return None
            _, ca, cb, brg = geometry.assess(tracks[a], tracks[b], t_cpa)
            situation = geometry.robust_classify(ca, cb, brg)
            if situation is None:
                return None
            kind, side = situation
            encounters.append({
                "mmsi_1": str(a), "name_1": by_mmsi[a].name, "mmsi_2": str(b), "name_2": by_mmsi[b].name,
                "cpa_epoch": t_cpa, "cpa_time": iso(t_cpa), "cpa_nm": d, "detect_epoch": lo,
                "tcpa_min": (t_cpa - lo) / 60.0, "encounter_type": kind,
                "give_way": "both" if side == "both" else str(a if side == "a" else b),
            })
    if len(encounters) < 4:
        return None
    return {"threshold_nm": thr, "vessels": register, "encounters": encounters,
            "tracks": {str(k): v for k, v in tracks.items()}}


def _scenario(params: Params) -> tuple[list[simulate.Vessel], list[simulate.Transmission], int, Any]:
    start = calendar.timegm(time.strptime(params["start"], "%Y-%m-%dT%H:%M:%S"))
    to_latlon = _to_latlon(params)
    for attempt in range(200):
        rng = random.Random(f"{params['seed']}:{attempt}")
        vessels = simulate.build_traffic(rng, dict(params))
        txs = simulate.transmissions(rng, vessels, to_latlon, start)
        if _reference(params, vessels, txs, _rough_positions(txs), start) is not None:
            return vessels, txs, start, rng
    raise RuntimeError("no gradable scenario in 200 attempts")


def _garble_names(rng: random.Random, ref: dict[str, Any], txs: list[simulate.Transmission]) -> None:
    """Garbled first and last type 5 copies for two class A vessels met in encounters."""
    met = sorted({e[k] for e in ref["encounters"] for k in ("mmsi_1", "mmsi_2")})
    statics = {}
    for tx in txs:
        if tx.fields["type"] == 5 and str(tx.vessel.mmsi) in met and not tx.vessel.pilot:
            statics.setdefault(tx.vessel.mmsi, []).append(tx)
    chosen = rng.sample(sorted(m for m, s in statics.items() if len(s) >= 2), min(2, len(statics)))
    for mmsi in chosen:
        for tx in (statics[mmsi][0], statics[mmsi][-1]):
            name = tx.fields["shipname"]
            k = rng.randrange(len(name))
            letter = rng.choice([c for c in "AEKMQRTXZ" if c != name[k]]) if name[k] != " " else "Q"
            tx.corrupt = {**tx.fields, "shipname": name[:k] + letter + name[k + 1:]}


def _broadcast_course(txs: list[simulate.Transmission], mmsi: int, t: float, start: int) -> float | None:
    """The COG field of the vessel's last accepted position report received by time t (epoch)."""
    best: tuple[float, float] | None = None
    for tx in txs:
        if tx.vessel.mmsi != mmsi or tx.fields["type"] not in (1, 2, 3, 18) or tx.jump or tx.position_na:
            continue
        c = start + min(c for _, c in tx.receptions)
        if c <= t and (best is None or c >= best[0]):
            best = (c, tx.fields["course"])
    return None if best is None else best[1]


def _situation(encounter: dict[str, Any]) -> tuple[str, str]:
    """An encounter row's classification as ``geometry.classify`` gives it: (type, give-way "a", "b" or "both")."""
    give_way = encounter["give_way"]
    return encounter["encounter_type"], "both" if give_way == "both" else "a" if give_way == encounter["mmsi_1"] else "b"


def _misleads(course_a: float | None, course_b: float | None, bearing_ab: float, right: tuple[str, str],
              margin: float = 5.0) -> bool:
    """True when broadcast courses give a classification other than ``right`` under any ``margin`` change."""
    if course_a is None or course_b is None:
        return False
    return all(geometry.classify(course_a + da, course_b + db, bearing_ab + dbr) != right
               for da in (-margin, 0, margin) for db in (-margin, 0, margin) for dbr in (-margin, 0, margin))


def _frozen_cog(params: Params, pre: dict[str, Any], txs: list[simulate.Transmission], start: int) -> dict[str, Any]:
    """One vessel of a classified encounter whose transponder repeats a frozen course (a stuck gyro feed wired
    to both COG and heading) while its positions stay true: classified from the broadcast courses, the
    encounter lands on another type or give-way vessel; from the track it stays right."""
    rng = random.Random(f"{params['seed']}:frozen-cog")
    tracks = {int(k): v for k, v in pre["tracks"].items()}
    pilots = {tx.vessel.mmsi for tx in txs if tx.vessel.pilot}
    options = []
    for e in pre["encounters"]:
        a, b = int(e["mmsi_1"]), int(e["mmsi_2"])
        t, _, _, brg = geometry.assess(tracks[a], tracks[b], e["cpa_epoch"])
        right = _situation(e)
        options += [(e, m, a, b, t, brg, right) for m in (a, b) if m not in pilots]
    rng.shuffle(options)
    for e, m, a, b, t, brg, right in options:
        true = _broadcast_course(txs, m, t, start)
        if true is None:
            continue
        for _ in range(40):
            frozen = round((true + rng.choice((-1, 1)) * rng.uniform(25, 155)) % 360, 1) % 360
            ca = frozen if m == a else _broadcast_course(txs, a, t, start)
            cb = frozen if m == b else _broadcast_course(txs, b, t, start)
            if _misleads(ca, cb, brg, right):
                for tx in txs:
                    if tx.vessel.mmsi == m and tx.fields["type"] in (1, 2, 3, 18):
                        for fields in (tx.fields, tx.corrupt):
                            if fields is not None:
                                fields["course"] = frozen
                                if fields["heading"] != 511:
                                    fields["heading"] = round(frozen) % 360
                return {"mmsi_1": e["mmsi_1"], "mmsi_2": e["mmsi_2"], "faulty": str(m), "right": right}
    raise RuntimeError("no encounter a frozen course would misclassify")


def _to_latlon(params: Params) -> Any:
    lat0, lon0 = params["lat0"], params["lon0"]

    def to_latlon(x: float, y: float) -> tuple[float, float]:
        return lat0 + y / 60.0, lon0 + x / (60.0 * math.cos(math.radians(lat0)))
    return to_latlon


# courses a shortcut might give a vessel for the whole encounter instead of its course at the assessment time
TRACK_SHORTCUTS = {
    "first to last report": lambda track: geometry.leg_course(track[0], track[-1]),
    "first leg": lambda track: geometry.leg_course(track[0], track[1]),
    "last leg": lambda track: geometry.leg_course(track[-2], track[-1]),
}


def _shortcut_misleads(ref: dict[str, Any], shortcut: str) -> bool:
    """True when some encounter of ``ref`` lands on another classification with the shortcut's courses."""
    tracks = {int(k): v for k, v in ref["tracks"].items()}
    course = TRACK_SHORTCUTS[shortcut]
    for e in ref["encounters"]:
        a, b = int(e["mmsi_1"]), int(e["mmsi_2"])
        _, _, _, brg = geometry.assess(tracks[a], tracks[b], e["cpa_epoch"])
        if _misleads(course(tracks[a]), course(tracks[b]), brg, _situation(e)):
            return True
    return False


def _cpa_course_misleads(ref: dict[str, Any]) -> bool:
    """True when some encounter of ``ref`` lands on another classification with both courses taken on the
    track segment at the CPA instead of at the assessment time."""
    tracks = {int(k): v for k, v in ref["tracks"].items()}
    for e in ref["encounters"]:
        a, b = int(e["mmsi_1"]), int(e["mmsi_2"])
        _, _, _, brg = geometry.assess(tracks[a], tracks[b], e["cpa_epoch"])
        courses = (geometry.course_at(tracks[a], e["cpa_epoch"]), geometry.course_at(tracks[b], e["cpa_epoch"]))
        if _misleads(*courses, brg, _situation(e)):
            return True
    return False


def _rough_positions(txs: list[simulate.Transmission]) -> dict[int, tuple[float, float, float]]:
    """Each position report's position and speed as generated (before encoding)."""
    return {id(tx): (tx.fields["lat"], tx.fields["lon"], tx.fields["speed"]) for tx in txs
            if tx.fields["type"] in (1, 2, 3, 18)}


def _position_reports(txs: list[simulate.Transmission]) -> dict[int, list[simulate.Transmission]]:
    """Each vessel's position reports, by MMSI, in transmission order."""
    reports: dict[int, list[simulate.Transmission]] = {}
    for tx in txs:
        if tx.fields["type"] in (1, 2, 3, 18):
            reports.setdefault(tx.vessel.mmsi, []).append(tx)
    return reports


def _saved(reports: list[simulate.Transmission]) -> list[tuple[simulate.Transmission, dict, dict | None]]:
    """Copies of the reports' fields (and garbled copies' fields) as they are, for ``_restore``."""
    return [(tx, dict(tx.fields), None if tx.corrupt is None else dict(tx.corrupt)) for tx in reports]


def _restore(saved: list[tuple[simulate.Transmission, dict, dict | None]]) -> None:
    """Put ``_saved`` reports back as they were (fresh copies, so they can be changed again)."""
    for tx, fields, corrupt in saved:
        tx.fields, tx.corrupt = dict(fields), None if corrupt is None else dict(corrupt)


def _steer(tx: simulate.Transmission, fields: dict, v: simulate.Vessel, pivot: float, course: float,
           to_latlon: Any) -> None:
    """Put a report of ``v`` (its original ``fields``) on a straight leg from its planned position at ``pivot``
    on ``course``, broadcast course and heading with it (and its garbled copy under another MMSI, if any)."""
    px, py = v.position(pivot)
    dt, rad = (tx.t - pivot) / 3600.0, math.radians(course)
    lat, lon = to_latlon(px + v.speed * dt * math.sin(rad), py + v.speed * dt * math.cos(rad))
    moved = {"lat": lat, "lon": lon, "course": round(course, 1),
             "heading": 511 if fields["heading"] == 511 else round(course) % 360}
    tx.fields.update(moved)
    if tx.corrupt is not None and tx.corrupt["mmsi"] != v.mmsi:
        tx.corrupt.update(moved)


def _dogleg(params: Params, vessels: list[simulate.Vessel], txs: list[simulate.Transmission],
            start: int) -> dict[str, Any] | None:
    """One vessel met in encounters comes in on another course, steadies on its planned course well before its
    first assessment time and alters course again after its last CPA (its track, broadcast course and heading
    with it): the encounters stay as they were, but a course taken over the whole track, its first leg or its
    last leg instead of at the assessment time classifies one of them wrongly. A stream of its own."""
    rng = random.Random(f"{params['seed']}:dogleg")
    to_latlon = _to_latlon(params)
    pre = _reference(params, vessels, txs, _rough_positions(txs), start)
    if pre is None:
        return None
    tracks = {int(k): v for k, v in pre["tracks"].items()}
    want = {(e["mmsi_1"], e["mmsi_2"]): (round(e["cpa_epoch"]), _situation(e)) for e in pre["encounters"]}
    reports = _position_reports(txs)
    by_mmsi = {v.mmsi: v for v in vessels}
    met = sorted({int(e[k]) for e in pre["encounters"] for k in ("mmsi_1", "mmsi_2")})
    options = [m for m in met if not (by_mmsi[m].pilot or by_mmsi[m].anchored or by_mmsi[m].turn_at is not None
                                      or any(tx.jump for tx in reports[m]))]
    rng.shuffle(options)
    for m in options:
        v, own = by_mmsi[m], reports[m]
        mine = [e for e in pre["encounters"] if m in (int(e["mmsi_1"]), int(e["mmsi_2"]))]
        first_assess = min(geometry.assess(tracks[int(e["mmsi_1"])], tracks[int(e["mmsi_2"])], e["cpa_epoch"])[0]
                           for e in mine) - start
        last_cpa = max(e["cpa_epoch"] for e in mine) - start
        if first_assess - 300 <= own[0].t + 240 or last_cpa + 180 >= own[-1].t - 300:
            continue
        saved = _saved(own)
        for _ in range(12):
            early = rng.uniform(own[0].t + 240, first_assess - 300)
            late = rng.uniform(last_cpa + 180, min(own[-1].t - 300, last_cpa + 900))
            legs = ((early, (v.course + rng.choice((-1, 1)) * rng.uniform(35, 120)) % 360),
                    (late, (v.course + rng.choice((-1, 1)) * rng.uniform(60, 150)) % 360))
            _restore(saved)
            for tx, fields, _ in saved:
                if tx.position_na or early <= tx.t <= late:
                    continue
                _steer(tx, fields, v, *(legs[0] if tx.t < early else legs[1]), to_latlon)
            ref = _reference(params, vessels, txs, _rough_positions(txs), start)
            if ref is not None and {(e["mmsi_1"], e["mmsi_2"]): (round(e["cpa_epoch"]), _situation(e))
                                    for e in ref["encounters"]} == want \
                    and all(_shortcut_misleads(ref, name) for name in TRACK_SHORTCUTS):
                return {"mmsi": str(m), "early": early, "late": late, "courses": [c for _, c in legs]}
        _restore(saved)
    return None


def _late_alteration(params: Params, vessels: list[simulate.Vessel], txs: list[simulate.Transmission], start: int,
                     dogleg: str) -> dict[str, Any] | None:
    """One vessel of an encounter (not the dogleg's) alters course between the assessment time and the CPA, as a
    give-way vessel's late avoiding action would, and holds the new course: classified from the courses on the
    track segment at the CPA instead of at the assessment time, an encounter lands wrong. The dogleg still
    misleads the whole-track courses. A stream of its own."""
    rng = random.Random(f"{params['seed']}:late-alteration")
    to_latlon = _to_latlon(params)
    pre = _reference(params, vessels, txs, _rough_positions(txs), start)
    if pre is None:
        return None
    tracks = {int(k): v for k, v in pre["tracks"].items()}
    reports = _position_reports(txs)
    by_mmsi = {v.mmsi: v for v in vessels}
    options = [(e, m) for e in pre["encounters"] for m in (int(e["mmsi_1"]), int(e["mmsi_2"]))
               if str(m) != dogleg and not (by_mmsi[m].pilot or by_mmsi[m].anchored or by_mmsi[m].turn_at is not None
                                            or any(tx.jump for tx in reports[m]))]
    rng.shuffle(options)
    for e, m in options:
        v, own = by_mmsi[m], reports[m]
        assess_at = geometry.assess(tracks[int(e["mmsi_1"])], tracks[int(e["mmsi_2"])], e["cpa_epoch"])[0] - start
        cpa_at = e["cpa_epoch"] - start
        if cpa_at - assess_at < 300:
            continue
        saved = _saved(own)
        for _ in range(12):
            turn = rng.uniform(assess_at + 90, cpa_at - 150)
            course = (v.course + rng.choice((-1, 1)) * rng.uniform(30, 90)) % 360
            _restore(saved)
            for tx, fields, _ in saved:
                if not tx.position_na and tx.t > turn:
                    _steer(tx, fields, v, turn, course, to_latlon)
            ref = _reference(params, vessels, txs, _rough_positions(txs), start)
            if ref is not None and _cpa_course_misleads(ref) \
                    and all(_shortcut_misleads(ref, name) for name in TRACK_SHORTCUTS):
                return {"mmsi": str(m), "turn": turn, "course": course}
        _restore(saved)
    return None


def _undetected_assessment_misleads(ref: dict[str, Any]) -> bool:
    """True when some encounter of ``ref`` whose later vessel is first on the log after CPA-10 min lands on another
    classification when assessed at CPA-10 min anyway, that vessel's first report standing in for it and for its
    course, or its first leg extrapolated back."""
    tracks = {int(k): v for k, v in ref["tracks"].items()}
    for e in ref["encounters"]:
        t = e["cpa_epoch"] - geometry.ASSESS_LEAD_S
        if e["detect_epoch"] <= t:
            continue
        pair = (tracks[int(e["mmsi_1"])], tracks[int(e["mmsi_2"])])
        courses = [geometry.course_at(track, t) for track in pair]
        nearest = [geometry.at(track, t) for track in pair]
        extrapolated = [geometry.at(track, t) if track[0][0] <= t else geometry.extrapolate_back(track, t)
                        for track in pair]
        if all(_misleads(*courses, geometry.bearing(*pa, *pb), _situation(e)) for pa, pb in (nearest, extrapolated)):
            return True
    return False


def _late_switch_on(params: Params, vessels: list[simulate.Vessel], txs: list[simulate.Transmission], start: int,
                    planted: set[str]) -> dict[str, Any] | None:
    """One vessel of an encounter (neither the dogleg's nor the late alteration's) switches its transponder on
    5.5-7.5 min before the CPA (nothing of it is on the log earlier, its static data is heard after), and the other
    vessel steadied on its course shortly before that after coming in on another: assessed at CPA-10 min anyway
    (the late vessel's first report or its first leg extrapolated back standing in), the encounter lands wrong.
    The other traps still mislead. A stream of its own."""
    rng = random.Random(f"{params['seed']}:late-switch-on")
    to_latlon = _to_latlon(params)
    pre = _reference(params, vessels, txs, _rough_positions(txs), start)
    if pre is None:
        return None
    reports = _position_reports(txs)
    by_mmsi = {v.mmsi: v for v in vessels}
    free = {m for m, v in by_mmsi.items() if str(m) not in planted and m in reports
            and not (v.pilot or v.anchored or v.turn_at is not None or any(tx.jump for tx in reports[m]))}
    options = [(e, late, steady) for e in pre["encounters"]
               for late, steady in ((int(e["mmsi_1"]), int(e["mmsi_2"])), (int(e["mmsi_2"]), int(e["mmsi_1"])))
               if late in free and steady in free]
    rng.shuffle(options)
    heard = list(txs)
    for e, late, steady in options:
        cpa_at = e["cpa_epoch"] - start
        if reports[steady][0].t > cpa_at - geometry.ASSESS_LEAD_S - 300:
            continue
        v = by_mmsi[steady]
        saved = _saved(reports[steady])
        for _ in range(8):
            switch_on = rng.uniform(cpa_at - 450, cpa_at - 330)
            turn = rng.uniform(cpa_at - 510, switch_on - 60)
            course = (v.course + rng.choice((-1, 1)) * rng.uniform(35, 120)) % 360
            txs[:] = [tx for tx in heard if tx.vessel.mmsi != late or tx.t >= switch_on]
            statics = {(tx.fields["type"], tx.fields.get("partno")) for tx in txs
                       if tx.vessel.mmsi == late and tx.fields["type"] in (5, 24)}
            if statics not in ({(5, None)}, {(24, 0), (24, 1)}):
                continue
            _restore(saved)
            for tx, fields, _ in saved:
                if not tx.position_na and tx.t < turn:
                    _steer(tx, fields, v, turn, course, to_latlon)
            ref = _reference(params, vessels, txs, _rough_positions(txs), start)
            if ref is not None and _undetected_assessment_misleads(ref) and _cpa_course_misleads(ref) \
                    and all(_shortcut_misleads(ref, name) for name in TRACK_SHORTCUTS):
                return {"mmsi": str(late), "switch_on": switch_on, "steady": str(steady), "turn": turn,
                        "course": course}
        _restore(saved)
    txs[:] = heard
    return None


def _slipped_speeds(params: Params, txs: list[simulate.Transmission]) -> list[tuple[simulate.Transmission, dict]]:
    """Garbled (bad-checksum) copies of two vessels' position reports that no other rule rejects: the real
    report's MMSI and position a few seconds later, with a speed above any the vessel really reported. Kept,
    they add a report and raise the vessel's highest SOG; only the checksum tells them apart."""
    rng = random.Random(f"{params['seed']}:slipped-speeds")
    by_vessel: dict[int, list[simulate.Transmission]] = {}
    for tx in txs:
        if tx.fields["type"] in (1, 2, 3, 18) and not tx.vessel.pilot and not tx.vessel.anchored:
            by_vessel.setdefault(tx.vessel.mmsi, []).append(tx)
    out = []
    for mmsi in rng.sample(sorted(m for m, r in by_vessel.items() if len(r) > 12), 2):
        reports = sorted(by_vessel[mmsi], key=lambda tx: tx.t)
        top = max(tx.fields["speed"] for tx in reports if not tx.jump and tx.fields["speed"] < 102.2)
        quiet = [tx for prev, tx, nxt in zip(reports, reports[1:], reports[2:], strict=False)
                 if not (tx.jump or tx.position_na or tx.corrupt is not None or prev.jump or nxt.jump)
                 and min(c for _, c in nxt.receptions) - max(c for _, c in tx.receptions) >= 6]
        tx = rng.choice(quiet[2:-2] or quiet)
        out.append((tx, {**tx.fields, "speed": round(top + rng.uniform(2.0, 5.0), 1)}))
    return out


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    vessels, txs, start, rng = _scenario(params)
    dogleg = _dogleg(params, vessels, txs, start)
    if dogleg is None:
        raise RuntimeError("no encounter vessel whose dogleg misleads a whole-track course")
    late_alteration = _late_alteration(params, vessels, txs, start, dogleg["mmsi"])
    if late_alteration is None:
        raise RuntimeError("no encounter vessel whose late alteration misleads a course taken at the CPA")
    if _late_switch_on(params, vessels, txs, start, {dogleg["mmsi"], late_alteration["mmsi"]}) is None:
        raise RuntimeError("no encounter whose late switch-on misleads an assessment at CPA-10 min")
    pre = _reference(params, vessels, txs, _rough_positions(txs), start)
    trap = _frozen_cog(params, pre, txs, start)
    _garble_names(rng, pre, txs)
    slipped = _slipped_speeds(params, txs)
    items, seq = [], 0
    for tx in txs:
        multipart = tx.fields["type"] == 5
        seq = (seq + 1) % 10 if multipart else seq
        channel = rng.choice("AB")
        items.append({"fields": tx.fields, "seq": seq if multipart else None, "channel": channel})
        if tx.corrupt is not None:
            items.append({"fields": tx.corrupt, "seq": seq if multipart else None, "channel": channel})
    items += [{"fields": fields, "seq": None, "channel": "A"} for _, fields in slipped]
    with tempfile.TemporaryDirectory() as tmp:
        batch = Path(tmp) / "messages.json"
        batch.write_text(json.dumps(items))
        encoded = iter(json.loads(run_tool_script(__file__, ENCODER, str(batch))))
    lines: list[tuple[float, int, list[str]]] = []
    decoded, sentences_of = {}, {}
    for tx in txs:
        real = next(encoded)
        sentences_of[id(tx)] = real["sentences"]
        if "lat" in real:
            decoded[id(tx)] = (real["lat"], real["lon"], real["speed"])
        for station, c in tx.receptions:
            sentences = [_as_vdo(s) for s in real["sentences"]] if station == simulate.PILOT_STATION \
                else real["sentences"]
            delay = rng.uniform(0, 90) if station == simulate.STATIONS[1] else rng.uniform(0, 1)
            lines.append((start + c + delay, start + c, [_tagged(s, station, start + c) for s in sentences]))
        if tx.corrupt is not None:
            bad = next(encoded)["sentences"]
            garbled = [_garble(real["sentences"][0], bad[0]), *real["sentences"][1:]]
            c = start + int(tx.t + 0.6)
            lines.append((c + rng.uniform(0, 90), c, [_tagged(s, simulate.STATIONS[1], c) for s in garbled]))
    for tx, _ in slipped:
        bad = next(encoded)["sentences"]
        c = start + min(c for _, c in tx.receptions) + 3
        line = _tagged(_garble(sentences_of[id(tx)][0], bad[0]), simulate.STATIONS[0], c)
        lines.append((c + 0.5, c, [line]))
    lines.sort(key=lambda item: item[0])
    (input_dir / LOG_NAME).write_text("".join(line + "\n" for _, _, group in lines for line in group))
    ref = _reference(params, vessels, txs, decoded, start)
    if ref is None or len(ref["encounters"]) != len(pre["encounters"]):
        raise RuntimeError("decoded positions changed the encounter set")
    trapped = next(e for e in ref["encounters"] if (e["mmsi_1"], e["mmsi_2"]) == (trap["mmsi_1"], trap["mmsi_2"]))
    a, b = int(trap["mmsi_1"]), int(trap["mmsi_2"])
    tracks = {int(k): v for k, v in ref["tracks"].items()}
    t, _, _, brg = geometry.assess(tracks[a], tracks[b], trapped["cpa_epoch"])
    if _situation(trapped) != trap["right"]:
        raise RuntimeError("the trapped encounter changed its classification")
    if not _misleads(_broadcast_course(txs, a, t, start), _broadcast_course(txs, b, t, start), brg, trap["right"]):
        raise RuntimeError("the frozen course no longer misclassifies its encounter")
    for name in TRACK_SHORTCUTS:
        if not _shortcut_misleads(ref, name):
            raise RuntimeError(f"the dogleg no longer misleads a course taken from the {name}")
    if not _cpa_course_misleads(ref):
        raise RuntimeError("the late alteration no longer misleads a course taken at the CPA")
    if not _undetected_assessment_misleads(ref):
        raise RuntimeError("the late switch-on no longer misleads an assessment at CPA-10 min")
    ref["start_epoch"] = start
    ref["end_epoch"] = start + int(params["hours"] * 3600)
    (reference_dir / "reference.json").write_text(json.dumps(ref, indent=1))


def grade(g: Grading) -> None:
    ref = g.reference_json("reference.json")
    if not g.require_files("encounters.csv", "vessels.csv"):
        return
    grade_encounters(g, ref)
    grade_vessels(g, ref)
