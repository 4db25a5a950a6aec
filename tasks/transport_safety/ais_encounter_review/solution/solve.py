#!/usr/bin/env python3
"""Oracle for transport_safety/ais_encounter_review: pyais decoding, cleaning, interpolated CPA, COLREG.

Run under another name (a symlink in adversaries/), it takes that one shortcut:
no_multipart (type 5 ignored), no_interpolation (CPA at raw report times), keep_bad (bad checksums
and jumps kept), flat_earth (degrees unscaled by cos(lat)), class_a_only (types 18/24 ignored), no_checksum
(checksums never tested: names by majority vote over the static copies, vessels without static data dropped),
broadcast_cog (each vessel's course taken from the COG field of its last report instead of its track),
whole_track (each vessel's course made good from its first to its last accepted report, not at the assessment time),
course_at_cpa (each vessel's course made good on its track segment at the CPA, not at the assessment time),
no_detection_floor (the encounter assessed ten minutes before the CPA even when a vessel is not yet on the log: its
first report's course and position stand in).

ALE-CANARY-52dbe5ac-4781-492e-9058-ed161b0198fd
"""

import math
import os
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
from pyais import decode

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
SHORTCUT = Path(__file__).name.removesuffix(".py")
EARTH_NM = 6371.0088 / 1.852
JUMP_KN = 40.0
DEDUP_S = 10
TAGGED = re.compile(r"^\\(?P<tag>[^*\\]*)\*(?P<tcs>[0-9A-Fa-f]{2})\\(?P<nmea>!.*)$")


def threshold() -> float:
    text = Path(os.environ["ALE_INSTRUCTION"]).read_text() if "ALE_INSTRUCTION" in os.environ else ""
    found = re.search(r"threshold of ([0-9.]+) nm", text)
    return float(found.group(1)) if found else 0.5


def nmea_ok(sentence: str) -> bool:
    body, _, cs = sentence[1:].partition("*")
    value = 0
    for ch in body:
        value ^= ord(ch)
    return cs[:2].upper() == f"{value:02X}"


def read_log() -> list[tuple[int, dict]]:
    """(receiver time, decoded message) for every complete message whose sentences pass the checksum."""
    out, pending = [], {}
    for line in (IN / "ais_log.nmea").read_text().splitlines():
        m = TAGGED.match(line.strip())
        if not m:
            continue
        tags = dict(item.split(":", 1) for item in m.group("tag").split(",") if ":" in item)
        sentence, station = m.group("nmea"), tags.get("s", "")
        if not nmea_ok(sentence) and SHORTCUT not in ("keep_bad", "no_checksum"):
            continue
        parts = sentence.split(",")
        total, number, seq = int(parts[1]), int(parts[2]), parts[3]
        key = (station, seq)
        if total > 1:
            if number == 1:
                pending[key] = [sentence]
                continue
            if key not in pending or len(pending[key]) != number - 1:
                pending.pop(key, None)
                continue
            pending[key].append(sentence)
            if number < total:
                continue
            group = pending.pop(key)
        else:
            group = [sentence]
        try:
            msg = decode(*group).asdict()
        except Exception:
            continue
        msg["payload"] = "".join(s.split(",")[5] for s in group)
        out.append((int(tags["c"]), msg))
    return out


def clean_positions(messages: list[tuple[int, dict]]) -> pd.DataFrame:
    rows = [{"t": t, "mmsi": m["mmsi"], "lat": m["lat"], "lon": m["lon"], "sog": m["speed"], "cog": m["course"],
             "payload": m["payload"],
             "cls": "B" if m["msg_type"] == 18 else "A"}
            for t, m in messages if m["msg_type"] in (1, 2, 3, 18)]
    df = pd.DataFrame(rows).sort_values(["t", "mmsi"], kind="stable")
    if SHORTCUT == "class_a_only":
        df = df[df.cls == "A"]
    last_kept: dict[str, int] = {}
    keep = []
    for t, payload in zip(df.t, df.payload, strict=True):
        duplicate = payload in last_kept and t - last_kept[payload] <= DEDUP_S
        keep.append(not duplicate)
        if not duplicate:
            last_kept[payload] = t
    df = df[keep]
    df = df[(df.lat.abs() <= 90) & (df.lon.abs() <= 180)]
    accepted = []
    for _, track in df.groupby("mmsi", sort=True):
        prev = None
        for row in track.itertuples(index=False):
            if prev is not None and SHORTCUT != "keep_bad":
                dist = haversine(prev.lat, prev.lon, row.lat, row.lon)
                if row.t == prev.t or dist / ((row.t - prev.t) / 3600) > JUMP_KN:
                    continue
            accepted.append(row)
            prev = row
    return pd.DataFrame(accepted)


def haversine(lat1, lon1, lat2, lon2):
    if SHORTCUT == "flat_earth":
        return 60.0 * np.hypot(np.asarray(lat2) - lat1, np.asarray(lon2) - lon1)
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(np.asarray(lon2) - lon1) / 2) ** 2
    return 2 * EARTH_NM * np.arcsin(np.sqrt(np.minimum(1.0, a)))


def lon_scale(lat: float) -> float:
    return 1.0 if SHORTCUT == "flat_earth" else math.cos(math.radians(lat))


def majority_statics(messages: list[tuple[int, dict]]) -> dict[int, dict]:
    """Shortcut no_checksum: each static field's most frequent value over the vessel's copies."""
    votes: dict[int, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for _, m in messages:
        if m["msg_type"] == 5 or (m["msg_type"] == 24 and m["partno"] == 0):
            votes[m["mmsi"]]["name"][m["shipname"]] += 1
        if m["msg_type"] == 5 or (m["msg_type"] == 24 and m["partno"] != 0):
            votes[m["mmsi"]]["ship_type"][int(m["ship_type"])] += 1
            votes[m["mmsi"]]["length_m"][m["to_bow"] + m["to_stern"]] += 1
    return defaultdict(dict, {mmsi: {k: c.most_common(1)[0][0] for k, c in fields.items()}
                              for mmsi, fields in votes.items()})


def statics(messages: list[tuple[int, dict]]) -> dict[int, dict]:
    if SHORTCUT == "no_checksum":
        return majority_statics(messages)
    info: dict[int, dict] = defaultdict(dict)
    for _, m in sorted(messages, key=lambda item: item[0]):
        kind = m["msg_type"]
        if kind == 5 and SHORTCUT != "no_multipart":
            info[m["mmsi"]].update(name=m["shipname"], ship_type=int(m["ship_type"]),
                                   length_m=m["to_bow"] + m["to_stern"])
        elif kind == 24 and SHORTCUT != "class_a_only":
            if m["partno"] == 0:
                info[m["mmsi"]]["name"] = m["shipname"]
            else:
                info[m["mmsi"]].update(ship_type=int(m["ship_type"]), length_m=m["to_bow"] + m["to_stern"])
    return info


def cpa(a: pd.DataFrame, b: pd.DataFrame) -> tuple[float, float, float] | None:
    """(t_cpa, distance nm, first common time) over the tracks' common span, interpolated linearly."""
    lo, hi = max(a.t.iloc[0], b.t.iloc[0]), min(a.t.iloc[-1], b.t.iloc[-1])
    if lo >= hi:
        return None
    if SHORTCUT == "no_interpolation":
        ta, tb = a.t.to_numpy(), b.t.to_numpy()
        j = np.clip(np.searchsorted(tb, ta), 1, len(tb) - 1)
        j = np.where(np.abs(tb[j - 1] - ta) < np.abs(tb[j] - ta), j - 1, j)
        near = np.abs(tb[j] - ta) <= 60
        if not near.any():
            return None
        d = haversine(a.lat.to_numpy()[near], a.lon.to_numpy()[near], b.lat.to_numpy()[j[near]],
                      b.lon.to_numpy()[j[near]])
        k = int(np.argmin(d))
        return float(ta[near][k]), float(d[k]), lo
    grid = np.union1d(a.t[(a.t >= lo) & (a.t <= hi)], b.t[(b.t >= lo) & (b.t <= hi)])
    grid = np.union1d(grid, [lo, hi]).astype(float)

    def pos(track, t):
        return np.interp(t, track.t, track.lat), np.interp(t, track.t, track.lon)

    la, oa = pos(a, grid)
    lb, ob = pos(b, grid)
    k = np.cos(np.radians((la + lb) / 2)) * 60 if SHORTCUT != "flat_earth" else np.full_like(la, 60.0)
    rx, ry = (ob - oa) * k, (lb - la) * 60
    dx, dy = np.diff(rx), np.diff(ry)
    den = dx * dx + dy * dy
    s = np.where(den > 0, -(rx[:-1] * dx + ry[:-1] * dy) / np.where(den > 0, den, 1), 0.0)
    cand = np.concatenate([grid, grid[:-1] + np.clip(s, 0, 1) * np.diff(grid)])
    la, oa = pos(a, cand)
    lb, ob = pos(b, cand)
    d = haversine(la, oa, lb, ob)
    i = int(np.argmin(d))
    return float(cand[i]), float(d[i]), lo


def course_and_position(track: pd.DataFrame, t: float) -> tuple[float, float, float]:
    i = int(np.clip(np.searchsorted(track.t.to_numpy(), t, side="right"), 1, len(track) - 1))
    p, q = (track.iloc[0], track.iloc[-1]) if SHORTCUT == "whole_track" else (track.iloc[i - 1], track.iloc[i])
    course = math.degrees(math.atan2((q.lon - p.lon) * lon_scale((p.lat + q.lat) / 2), q.lat - p.lat)) % 360
    if SHORTCUT == "broadcast_cog":
        course = float(track.cog.iloc[max(0, int(np.searchsorted(track.t.to_numpy(), t, side="right")) - 1)]) % 360
    lat, lon = np.interp(t, track.t, track.lat), np.interp(t, track.t, track.lon)
    return course, float(lat), float(lon)


def situation(a: pd.DataFrame, b: pd.DataFrame, t_cpa: float, lo: float) -> tuple[str, str]:
    t = t_cpa - 600 if SHORTCUT == "no_detection_floor" else max(t_cpa - 600, lo)
    ca, la, oa = course_and_position(a, t)
    cb, lb, ob = course_and_position(b, t)
    if SHORTCUT == "course_at_cpa":
        ca, cb = course_and_position(a, t_cpa)[0], course_and_position(b, t_cpa)[0]
    brg = math.degrees(math.atan2((ob - oa) * lon_scale((la + lb) / 2), lb - la)) % 360
    diff = abs((ca - cb + 180) % 360 - 180)
    b_from_a, a_from_b = (brg - ca) % 360, (brg + 180 - cb) % 360
    if diff >= 170:
        return "head-on", "both"
    if diff < 67.5 and 112.5 < a_from_b < 247.5:
        return "overtaking", "a"
    if diff < 67.5 and 112.5 < b_from_a < 247.5:
        return "overtaking", "b"
    return "crossing", "a" if b_from_a < 180 else "b"


def iso(t: float) -> str:
    return pd.Timestamp(round(t), unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def main() -> None:
    messages = read_log()
    reports = clean_positions(messages)
    info = statics(messages)
    thr = threshold()
    tracks = {m: g.reset_index(drop=True) for m, g in reports.groupby("mmsi", sort=True)
              if SHORTCUT != "no_checksum" or info[m].get("name")}
    vessels = []
    for mmsi, track in tracks.items():
        sog = track.sog[track.sog < 102.25]
        vessels.append({"mmsi": mmsi, "name": info[mmsi].get("name", ""), "ship_type": info[mmsi].get("ship_type", ""),
                        "length_m": info[mmsi].get("length_m", ""), "class": track.cls.iloc[0],
                        "first_seen": iso(track.t.iloc[0]), "last_seen": iso(track.t.iloc[-1]),
                        "reports": len(track), "max_sog_kn": round(float(sog.max()), 1) if len(sog) else ""})
    pd.DataFrame(vessels).to_csv(OUT / "vessels.csv", index=False)

    rows = []
    mmsis = [m for m in tracks if len(tracks[m]) >= 2]
    for i, a in enumerate(mmsis):
        for b in mmsis[i + 1:]:
            found = cpa(tracks[a], tracks[b])
            if found is None or found[1] >= thr:
                continue
            t_cpa, d, lo = found
            kind, side = situation(tracks[a], tracks[b], t_cpa, lo)
            rows.append({"mmsi_1": a, "name_1": info[a].get("name", ""), "mmsi_2": b, "name_2": info[b].get("name", ""),
                         "cpa_time": iso(t_cpa), "cpa_nm": round(d, 4), "tcpa_min": round((t_cpa - lo) / 60, 2),
                         "encounter_type": kind, "give_way_mmsi": "both" if side == "both" else (a if side == "a" else b)})
    columns = ["mmsi_1", "name_1", "mmsi_2", "name_2", "cpa_time", "cpa_nm", "tcpa_min", "encounter_type",
               "give_way_mmsi"]
    pd.DataFrame(rows, columns=columns).to_csv(OUT / "encounters.csv", index=False)


if __name__ == "__main__":
    main()
