"""Traffic of a port approach and the AIS transmissions it makes, before encoding.

The traffic is a set of straight, constant-speed transits in a local plane (nautical miles east
and north of the area's centre) plus a few vessels at anchor. Planned close-quarters situations
(head-on, crossing, overtaking) and near-miss decoys are built by placing two vessels at a chosen
offset at a chosen time; background transits add whatever encounters they happen to make.

Every transmission is a dict of pyais ``encode_dict`` fields plus bookkeeping: the receptions
(station, receiver time) that make it into the log, and flags for the quirks planted in it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

STATIONS = ("BS-HOEK", "BS-MAASV")
PILOT_STATION = "OWNSHIP"
KINDS = ("head-on", "crossing", "overtaking")

WORDS_A = ["NORDIC", "ATLANTIC", "STOLT", "CELTIC", "BALTIC", "OCEAN", "NOORD", "EVER", "ARCTIC", "HANSA",
           "IBERIAN", "POLAR", "CORAL", "MARE", "DELTA", "SILVER", "GOLDEN", "AMBER", "RIVER", "STELLA"]
WORDS_B = ["AURORA", "VOYAGER", "TRADER", "SPIRIT", "PIONEER", "HARMONY", "BREEZE", "HORIZON", "FALCON",
           "PROGRESS", "CARRIER", "EXPRESS", "GRACE", "LEGEND", "MERIDIAN", "NAVIGATOR", "DAWN", "SWIFT"]
LEISURE = ["SEA BREEZE", "BLUE HERON", "WILD THYME", "SALTY DOG", "JUST CHILLIN", "MISTRAL", "KESTREL",
           "OSPREY", "DOLPHIN DANCER", "RED ADMIRAL", "SOLENT STAR", "MOONSHINE", "LADY JANE", "PUFFIN",
           "WAVE DANCER", "SEA SPRITE", "TERN", "CURLEW"]
CLASS_A_TYPES = [(70, 120, 300), (80, 110, 250), (70, 90, 200), (60, 80, 190), (71, 140, 330), (89, 90, 180)]
CLASS_B_TYPES = [(37, 8, 16), (36, 9, 14), (30, 12, 20), (37, 6, 11)]


@dataclass
class Vessel:
    mmsi: int
    name: str
    cls: str  # "A" or "B"
    ship_type: int
    length: int
    beam: int
    callsign: str
    t0: float
    t1: float
    x0: float  # position at t0, nm east of the centre
    y0: float
    course: float
    speed: float
    anchored: bool = False
    pilot: bool = False
    heading_na: bool = False
    turn_at: float | None = None  # time of an alteration of course to ``new_course``, if any
    new_course: float = 0.0

    def course_at(self, t: float) -> float:
        return self.new_course if self.turn_at is not None and t > self.turn_at else self.course

    def position(self, t: float) -> tuple[float, float]:
        leg_end = t if self.turn_at is None else min(t, self.turn_at)
        dt = (leg_end - self.t0) / 3600.0
        rad = math.radians(self.course)
        x, y = self.x0 + self.speed * dt * math.sin(rad), self.y0 + self.speed * dt * math.cos(rad)
        if self.turn_at is not None and t > self.turn_at:
            dt, rad = (t - self.turn_at) / 3600.0, math.radians(self.new_course)
            x, y = x + self.speed * dt * math.sin(rad), y + self.speed * dt * math.cos(rad)
        return x, y


@dataclass
class Transmission:
    vessel: Vessel
    t: float
    fields: dict[str, Any]
    receptions: list[tuple[str, int]] = field(default_factory=list)
    jump: bool = False
    position_na: bool = False
    corrupt: dict[str, Any] | None = None  # fields transmitted by a garbled copy (bad checksum)


def _through(rng: random.Random, horizon: float, t_at: float, x: float, y: float, course: float, speed: float,
             before: tuple[float, float], after: tuple[float, float]) -> tuple[float, float, float, float]:
    """Start time, end time and start position of a transit passing (x, y) at t_at."""
    t0 = max(0.0, t_at - rng.uniform(*before) * 60)
    t1 = min(horizon, t_at + rng.uniform(*after) * 60)
    dt = (t0 - t_at) / 3600.0
    rad = math.radians(course)
    return t0, t1, x + speed * dt * math.sin(rad), y + speed * dt * math.cos(rad)


class Fleet:
    """Draws vessels with unique MMSIs and names."""

    def __init__(self, rng: random.Random, mids: list[int]) -> None:
        self.rng, self.mids = rng, mids
        self.used_mmsi: set[int] = set()
        self.used_names: set[str] = set()

    def identity(self, cls: str) -> dict[str, Any]:
        rng = self.rng
        while True:
            mmsi = rng.choice(self.mids) * 1_000_000 + rng.randrange(100_000, 999_999)
            if mmsi not in self.used_mmsi:
                break
        while True:
            name = (rng.choice(LEISURE) if cls == "B" else f"{rng.choice(WORDS_A)} {rng.choice(WORDS_B)}")
            if name not in self.used_names:
                break
        self.used_mmsi.add(mmsi)
        self.used_names.add(name)
        ship_type, lo, hi = rng.choice(CLASS_B_TYPES if cls == "B" else CLASS_A_TYPES)
        length = rng.randrange(lo, hi)
        callsign = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(2)) + str(rng.randrange(100, 9999))
        return {"mmsi": mmsi, "name": name, "cls": cls, "ship_type": ship_type, "length": length,
                "beam": max(3, length // 6), "callsign": callsign}


def build_traffic(rng: random.Random, params: dict[str, Any]) -> list[Vessel]:
    """Planned encounters, decoys, background transits and anchored vessels of one scenario."""
    horizon = params["hours"] * 3600.0
    thr = params["threshold_nm"]
    harbour = params["scenario"] == "harbour"
    fleet = Fleet(rng, [232, 235] if harbour else [244, 245, 636, 538, 477, 215])
    n_a, n_b = params["class_a"], params["class_b"]
    classes = ["A"] * n_a + ["B"] * n_b
    rng.shuffle(classes)
    vessels: list[Vessel] = []
    spread = 3.5 if harbour else 4.0
    speed_a, speed_b = (8.0, 14.0), (4.0, 8.0)

    def speed_for(cls: str) -> float:
        return rng.uniform(*(speed_b if cls == "B" else speed_a))

    plans = ["head-on", "crossing", "overtaking", "crossing", "head-on", "decoy", "decoy"]
    for n, kind in enumerate(plans):
        if len(classes) < 4:
            break
        c1_cls, c2_cls = classes.pop(), classes.pop()
        tc = rng.uniform(50 * 60, horizon - 40 * 60)
        px, py = rng.uniform(-spread, spread), rng.uniform(-spread, spread)
        course1 = rng.uniform(0, 360)
        v1, v2 = speed_for(c1_cls), speed_for(c2_cls)
        real = KINDS[n % 3] if kind == "decoy" else kind
        if real == "head-on":
            course2 = course1 + 180 + rng.uniform(-2.5, 2.5)
        elif real == "crossing":
            course2 = course1 + rng.choice((-1, 1)) * rng.uniform(75, 115)
        else:
            course2 = course1 + rng.uniform(-10, 10)
            v1 = min(v1, v2) * 0.6
            v2 = v1 + rng.uniform(4, 7)
        course2 %= 360
        d = thr + rng.uniform(0.12, 0.4) if kind == "decoy" else thr * rng.uniform(0.15, 0.8)
        rx = v2 * math.sin(math.radians(course2)) - v1 * math.sin(math.radians(course1))
        ry = v2 * math.cos(math.radians(course2)) - v1 * math.cos(math.radians(course1))
        norm = math.hypot(rx, ry)
        side = rng.choice((-1, 1))
        qx, qy = px - side * d * ry / norm, py + side * d * rx / norm
        for cls, (x, y), course, speed in ((c1_cls, (px, py), course1, v1), (c2_cls, (qx, qy), course2, v2)):
            t0, t1, x0, y0 = _through(rng, horizon, tc, x, y, course, speed, (28, 50), (15, 35))
            vessels.append(Vessel(**fleet.identity(cls), t0=t0, t1=t1, x0=x0, y0=y0, course=course, speed=speed,
                                  heading_na=cls == "B" and rng.random() < 0.7))
    anchored = 0
    while classes:
        cls = classes.pop()
        if cls == "A" and anchored < 2:
            anchored += 1
            vessels.append(Vessel(**fleet.identity(cls), t0=0.0, t1=horizon, x0=rng.choice((-1, 1)) * rng.uniform(6, 8),
                                  y0=rng.uniform(5, 7), course=rng.uniform(0, 360), speed=0.0, anchored=True))
            continue
        course, speed = rng.uniform(0, 360), speed_for(cls)
        t_mid = rng.uniform(0.2, 0.8) * horizon
        t0, t1, x0, y0 = _through(rng, horizon, t_mid, rng.uniform(-spread, spread), rng.uniform(-spread, spread),
                                  course, speed, (20, 60), (20, 60))
        turn = rng.uniform(t0 + 0.3 * (t1 - t0), t0 + 0.7 * (t1 - t0)) if rng.random() < 0.6 else None
        vessels.append(Vessel(**fleet.identity(cls), t0=t0, t1=t1, x0=x0, y0=y0, course=course, speed=speed,
                              heading_na=cls == "B", turn_at=turn,
                              new_course=(course + rng.choice((-1, 1)) * rng.uniform(25, 70)) % 360))
    pilot = fleet.identity("A")
    pilot.update(name="PILOT TENDER 7" if not harbour else "QHM PILOT 2", ship_type=50, length=22, beam=6)
    course = rng.uniform(0, 360)
    t0, t1, x0, y0 = _through(rng, horizon, horizon / 2, 0.0, 0.0, course, 16.0, (40, 60), (40, 60))
    vessels.append(Vessel(**pilot, t0=t0, t1=t1, x0=x0, y0=y0, course=course, speed=16.0, pilot=True))
    return vessels


def transmissions(rng: random.Random, vessels: list[Vessel], to_latlon: Any, start_epoch: int) -> list[Transmission]:
    """Every position and static transmission of the fleet with its receptions and planted quirks."""
    out: list[Transmission] = []
    by_vessel: dict[int, list[Transmission]] = {}
    for v in vessels:
        nominal = 180.0 if v.anchored else 30.0 if v.cls == "B" else 6.0 if v.speed > 14 else 10.0
        p1, p2 = (0.75, 0.6) if v.anchored else (0.45, 0.35) if v.cls == "B" else (0.22, 0.18)
        if v.pilot:
            p1, p2 = 0.3, 0.0
        mine: list[Transmission] = []
        t = v.t0 + rng.uniform(0, nominal)
        while t <= v.t1:
            x, y = v.position(t)
            if v.anchored:
                x, y = x + rng.uniform(-0.02, 0.02), y + rng.uniform(-0.02, 0.02)
            lat, lon = to_latlon(x, y)
            course = (v.course_at(t) + (rng.uniform(-30, 30) if v.anchored else 0.0)) % 360
            sog = 0.0 if v.anchored else max(0.0, round(v.speed + rng.gauss(0, 0.12), 1))
            heading = 511 if v.heading_na else round(course + rng.uniform(-3, 3)) % 360
            if v.cls == "B":
                fields = {"type": 18, "mmsi": v.mmsi, "speed": sog, "course": round(course, 1), "heading": heading,
                          "lat": lat, "lon": lon, "second": int(t) % 60, "accuracy": 0, "cs": 1, "dsc": 1,
                          "band": 1, "msg22": 1, "radio": rng.randrange(1 << 19)}
            else:
                fields = {"type": rng.choice((1, 1, 1, 3)), "mmsi": v.mmsi, "status": 1 if v.anchored else 0,
                          "turn": 0, "speed": sog, "accuracy": 1, "lon": lon, "lat": lat, "course": round(course, 1),
                          "heading": heading, "second": int(t) % 60, "radio": rng.randrange(1 << 19)}
            tx = Transmission(v, t, fields)
            _receive(rng, tx, p1, p2, v.pilot)
            if tx.receptions:
                mine.append(tx)
            t += nominal + rng.uniform(-0.3, 0.3)
        by_vessel[v.mmsi] = mine
        out.extend(mine)
        out.extend(_statics(rng, v, start_epoch))
    _plant_quirks(rng, vessels, by_vessel, to_latlon)
    return out


def _receive(rng: random.Random, tx: Transmission, p1: float, p2: float, pilot: bool) -> None:
    if pilot:
        tx.receptions.append((PILOT_STATION, int(tx.t)))
        return
    if rng.random() < p1:
        tx.receptions.append((STATIONS[0], int(tx.t)))
    if rng.random() < p2:
        tx.receptions.append((STATIONS[1], int(tx.t + rng.uniform(0, 1.2))))


def _statics(rng: random.Random, v: Vessel, start_epoch: int) -> list[Transmission]:
    """Type 5 (class A) or type 24 A/B (class B) every six minutes; the first one always received."""
    out = []
    t = v.t0 + rng.uniform(5, 60)
    first = True
    while t <= v.t1:
        if v.cls == "A":
            eta = start_epoch + int(v.t1) + 4 * 3600
            groups = [{"type": 5, "mmsi": v.mmsi, "ais_version": 0, "imo": 9_000_000 + v.mmsi % 999_983,
                       "callsign": v.callsign, "shipname": v.name, "ship_type": v.ship_type,
                       "to_bow": v.length * 4 // 5, "to_stern": v.length - v.length * 4 // 5,
                       "to_port": v.beam // 2, "to_starboard": v.beam - v.beam // 2, "epfd": 1,
                       "month": int((eta // 86400 + 4) % 12) + 1, "day": 15, "hour": (eta // 3600) % 24,
                       "minute": 0, "draught": round(min(15.0, v.length / 22), 1),
                       "destination": "NLRTM" if v.mmsi // 1_000_000 in (244, 245, 636, 538, 477, 215) else "GBPME",
                       "dte": 0}]
        else:
            groups = [{"type": 24, "mmsi": v.mmsi, "partno": 0, "shipname": v.name},
                      {"type": 24, "mmsi": v.mmsi, "partno": 1, "ship_type": v.ship_type, "vendorid": "SRT",
                       "callsign": v.callsign, "to_bow": v.length * 2 // 3, "to_stern": v.length - v.length * 2 // 3,
                       "to_port": v.beam // 2, "to_starboard": v.beam - v.beam // 2}]
        for fields in groups:
            tx = Transmission(v, t, fields)
            if first:
                tx.receptions.append((PILOT_STATION if v.pilot else STATIONS[0], int(t)))
            else:
                _receive(rng, tx, 0.5, 0.4, v.pilot)
            if tx.receptions:
                out.append(tx)
            t += 1.0
        first = False
        t += 360 + rng.uniform(-5, 5)
    return out


def _plant_quirks(rng: random.Random, vessels: list[Vessel], by_vessel: dict[int, list[Transmission]],
                  to_latlon: Any) -> None:
    """Position jumps, not-available positions and speeds, and garbled (bad-checksum) copies."""
    moving = [v for v in vessels if not v.anchored and not v.pilot and len(by_vessel[v.mmsi]) > 12]
    for v in rng.sample(moving, min(3, len(moving))):
        reports = by_vessel[v.mmsi]
        for _ in range(20):
            tx = reports[rng.randrange(4, len(reports) - 4)]
            x, y = v.position(tx.t)
            others = [w for w in vessels if w is not v and w.t0 < tx.t < w.t1
                      and math.dist(w.position(tx.t), (x, y)) > 2.5]
            if others:
                w = rng.choice(others)
                wx, wy = w.position(tx.t)
                angle = rng.uniform(0, 2 * math.pi)
                lat, lon = to_latlon(wx + 0.12 * math.cos(angle), wy + 0.12 * math.sin(angle))
                tx.fields.update(lat=lat, lon=lon)
                tx.jump = True
                break
    for v in rng.sample(moving, min(2, len(moving))):
        for tx in rng.sample(by_vessel[v.mmsi][2:-2], 2):
            if not tx.jump:
                tx.fields.update(lat=91.0, lon=181.0)
                tx.position_na = True
    for v in rng.sample(moving, min(2, len(moving))):
        for tx in rng.sample(by_vessel[v.mmsi][2:-2], 3):
            if not tx.jump and not tx.position_na:
                tx.fields["speed"] = 102.3
    clean = [tx for txs in by_vessel.values() for tx in txs if not tx.jump and not tx.position_na]
    for tx in rng.sample(clean, 2):
        ghost = dict(tx.fields)
        ghost["mmsi"] = tx.fields["mmsi"] ^ (1 << rng.randrange(3, 12))
        tx.corrupt = ghost
    for tx in rng.sample([t for t in clean if t.corrupt is None], 2):
        garbled = dict(tx.fields)
        lat, lon = to_latlon(rng.uniform(-12, 12), rng.uniform(-12, 12))
        garbled.update(lat=lat, lon=lon)
        tx.corrupt = garbled
