"""The generating truth of the Lakeview Area Transit network: stops, patterns, services and trips.

Everything is laid out in metres on a local grid whose origin is ``ORIGIN`` in the plan's projected
CRS (``CRS``, WGS 84 / UTM zone 16N), so distances on it are the plan's straight-line distances.
Times are seconds after midnight of the service day (values past 24:00:00 belong to the same
service day). The network has the quirks a planner meets in a real feed: a downtown one-way couplet
and a one-way circulator loop (stops served in one direction only), a branching route, a route run
from ``frequencies.txt``, school trippers added through ``calendar_dates.txt`` only, holiday
exceptions, trips past midnight and one physical stop listed twice under two stop_ids.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass, field

CRS = "EPSG:32616"
ORIGIN = (607_500.0, 4_681_200.0)
SPAN = (7 * 3600, 19 * 3600)
PEAK = (7 * 3600, 9 * 3600)
MIDDAY = (10 * 3600, 14 * 3600)

AVENUES = {0: "Main St", 400: "Michigan Ave", -2000: "University Blvd", 2400: "Harbor Rd", 1200: "Elm Ave",
           2800: "Pine Ave"}
STREETS = {-1600: "Crosstown Rd", 2000: "Lakeshore Dr", 2800: "Hospital Pkwy", -4000: "Oak St", -2400: "Birch St"}


@dataclass
class Stop:
    stop_id: str
    name: str
    x: float
    y: float
    same_as: str | None = None  # the stop_id of the physical stop this duplicate record repeats


@dataclass
class Trip:
    trip_id: str
    route_id: str
    service_id: str
    direction_id: int
    pattern: str
    start: int  # first departure; for a frequency template, that of its stop_times
    headsign: str
    frequencies: list[tuple[int, int, int]] = field(default_factory=list)  # (start, end, headway_secs)

    def starts(self) -> list[int]:
        """First departures of every trip this record stands for (frequency windows expanded)."""
        if not self.frequencies:
            return [self.start]
        return [t for a, b, h in self.frequencies for t in range(a, b, h)]


@dataclass
class Network:
    stops: list[Stop]
    patterns: dict[str, list[tuple[str, int]]]  # pattern -> [(stop_id, departure offset s)]
    routes: list[tuple[str, str, str, str]]  # route_id, short name, long name, colour
    trips: list[Trip]


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _cross_x(x: int) -> str:
    return STREETS.get(x) or ("Center St" if x == 0 else f"{'W' if x < 0 else 'E'} {_ordinal(abs(x) // 400)} St")


def _cross_y(y: int) -> str:
    return AVENUES.get(y) or f"{'N' if y > 0 else 'S'} {_ordinal(abs(y) // 400)} Ave"


def hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.stops: dict[tuple[int, int, str], Stop] = {}
        self.patterns: dict[str, list[tuple[str, int]]] = {}
        self.counter: dict[str, int] = {}
        self.segments: dict[tuple[str, str], float] = {}

    def stop(self, route: str, nx: int, ny: int, street: str) -> str:
        """The stop at nominal grid point (nx, ny) on ``street`` (one stop_id for both directions)."""
        key = (nx, ny, street)
        if key not in self.stops:
            self.counter[route] = self.counter.get(route, 0) + 1
            along_x = street in AVENUES.values()
            cross = _cross_x(nx) if along_x else _cross_y(ny)
            jx, jy = self.rng.uniform(-25, 25), self.rng.uniform(-8, 8)
            x, y = (nx + jx, ny + jy) if along_x else (nx + jy, ny + jx)
            self.stops[key] = Stop(f"{route}{self.counter[route]:03d}", f"{street} & {cross}", x, y)
        return self.stops[key].stop_id

    def pattern(self, name: str, stop_ids: list[str], speed: float) -> None:
        by_id = {s.stop_id: s for s in self.stops.values()}
        offsets, t = [0], 0.0
        for a, b in itertools.pairwise(stop_ids):
            sa, sb = by_id[a], by_id[b]
            if (a, b) not in self.segments:  # one run time per street segment, whatever the pattern
                self.segments[a, b] = (abs(sa.x - sb.x) + abs(sa.y - sb.y)) / speed + 20 + self.rng.randint(0, 25)
            t += self.segments[a, b]
            offsets.append(round(t))
        self.patterns[name] = list(zip(stop_ids, offsets, strict=True))


def _layout(b: _Builder) -> None:
    main_w = [b.stop("1", x, 0, "Main St") for x in range(-4000, -800, 400)]
    main_e = [b.stop("1", x, 0, "Main St") for x in range(1200, 4001, 400)]
    michigan = [b.stop("1", x, 400, "Michigan Ave") for x in range(-800, 801, 400)]
    main_dt = [b.stop("1", x, 0, "Main St") for x in range(-800, 801, 400)]
    b.pattern("1E", main_w + michigan + main_e, 6.0 + b.rng.uniform(-0.4, 0.4))
    b.pattern("1W", list(reversed(main_w + main_dt + main_e)), 6.0 + b.rng.uniform(-0.4, 0.4))

    cross = [b.stop("2", -1600, y, "Crosstown Rd") for y in range(-4000, 4001, 400)]
    b.pattern("2N", cross, 6.5)
    b.pattern("2S", list(reversed(cross)), 6.5)
    dup_at = 6 + b.rng.randint(0, 6)
    original = next(s for s in b.stops.values() if s.stop_id == cross[dup_at])
    duplicate = Stop(f"2{900 + dup_at}", original.name, original.x + b.rng.uniform(1.5, 3.0),
                     original.y - b.rng.uniform(1.0, 3.0), same_as=original.stop_id)
    b.stops[(-1600, -4000 + 400 * dup_at, "duplicate")] = duplicate
    b.patterns["2S-alt"] = [(duplicate.stop_id if stop_id == original.stop_id else stop_id, offset)
                            for stop_id, offset in b.patterns["2S"]]

    trunk = [b.stop("3", 2000, y, "Lakeshore Dr") for y in range(0, 2401, 400)]
    branch_a = [b.stop("3", 2000, y, "Lakeshore Dr") for y in range(2800, 4401, 400)]
    branch_b = [b.stop("3", x, 2400, "Harbor Rd") for x in range(2400, 4401, 400)]
    b.pattern("3A-out", trunk + branch_a, 6.0)
    b.pattern("3B-out", trunk + branch_b, 6.0)
    b.pattern("3A-in", list(reversed(trunk + branch_a)), 6.0)
    b.pattern("3B-in", list(reversed(trunk + branch_b)), 6.0)

    univ = [b.stop("4", x, -2000, "University Blvd") for x in range(-3600, 1201, 400)]
    b.pattern("4E", univ, 7.0)
    b.pattern("4W", list(reversed(univ)), 7.0)

    hosp = [b.stop("5", 2800, y, "Hospital Pkwy") for y in range(-4000, 1, 400)]
    b.pattern("5N", hosp, 7.0)
    b.pattern("5S", list(reversed(hosp)), 7.0)
    b.pattern("5N-school", hosp[:7], 7.0)
    b.pattern("5S-school", list(reversed(hosp[:7])), 7.0)

    loop = ([b.stop("6", -4000, y, "Oak St") for y in range(1200, 2401, 400)]
            + [b.stop("6", x, 2800, "Pine Ave") for x in range(-4000, -2399, 400)]
            + [b.stop("6", -2400, y, "Birch St") for y in range(2400, 1199, -400)]
            + [b.stop("6", x, 1200, "Elm Ave") for x in range(-2800, -3601, -400)])
    b.pattern("6", loop, 5.5)


Bands = list[tuple[str, str, float]]  # (band start, band end, headway in minutes) at the first stop


def _schedule() -> dict[str, dict[str, dict[int, list[tuple[str, Bands]]]]]:
    """route -> service -> direction -> [(pattern, bands)]; "2S*" alternates the duplicate-stop pattern."""
    r1 = [("05:30", "06:30", 15), ("06:30", "07:00", 10), ("07:00", "09:00", 8), ("09:00", "15:00", 10),
          ("15:00", "18:00", 8), ("18:00", "19:30", 10), ("19:30", "24:40", 20)]
    r3 = [("06:00", "09:00", 20), ("09:00", "15:00", 30), ("15:00", "18:30", 20), ("18:30", "23:00", 30)]
    return {
        "1": {"WKDY": {0: [("1E", r1)], 1: [("1W", r1)]},
              "SAT": {0: [("1E", [("06:00", "22:00", 12)])], 1: [("1W", [("06:00", "22:00", 12)])]},
              "SUN": {0: [("1E", [("06:30", "21:00", 15)])], 1: [("1W", [("06:30", "21:00", 15)])]}},
        "2": {"WKDY": {0: [("2N", [("05:45", "07:00", 15), ("07:00", "09:00", 10), ("09:00", "19:30", 15),
                                    ("19:30", "22:30", 30)])],
                       1: [("2S*", [("05:45", "15:00", 15), ("15:00", "18:00", 10), ("18:00", "19:30", 15),
                                    ("19:30", "22:30", 30)])]},
              "SAT": {0: [("2N", [("06:30", "20:30", 15)])], 1: [("2S*", [("06:30", "20:30", 15)])]},
              "SUN": {0: [("2N", [("07:00", "19:30", 20)])], 1: [("2S*", [("07:00", "19:30", 20)])]}},
        "3": {"WKDY": {0: [("3A-out", r3), ("3B-out", r3)], 1: [("3A-in", r3), ("3B-in", r3)]},
              "SAT": {0: [("3A-out", [("06:30", "20:30", 24)]), ("3B-out", [("06:30", "20:30", 24)])],
                      1: [("3A-in", [("06:30", "20:30", 24)]), ("3B-in", [("06:30", "20:30", 24)])]},
              "SUN": {0: [("3A-out", [("06:30", "20:00", 30)]), ("3B-out", [("06:30", "20:00", 30)])],
                      1: [("3A-in", [("06:30", "20:00", 30)]), ("3B-in", [("06:30", "20:00", 30)])]}},
        "5": {"WKDY": {0: [("5N", [("06:00", "22:00", 30)])], 1: [("5S", [("06:00", "22:00", 30)])]},
              "SAT": {0: [("5N", [("08:00", "18:00", 60)])], 1: [("5S", [("08:00", "18:00", 60)])]}},
        "6": {"WKDY": {0: [("6", [("06:00", "21:00", 20)])]}, "SAT": {0: [("6", [("08:00", "20:00", 30)])]},
              "SUN": {0: [("6", [("09:00", "18:00", 30)])]}},
    }


FREQUENCIES = {  # route 4, run from frequencies.txt (headway-based, exact_times=0)
    "WKDY": [("06:00", "09:00", 450), ("09:00", "15:00", 720), ("15:00", "19:30", 450), ("19:30", "23:00", 1200)],
    "SAT": [("06:30", "21:00", 600)],
    "SUN": [("06:30", "20:30", 720)],
}
CODE = {"WKDY": "W", "SAT": "A", "SUN": "U"}
SCHOOL = {0: ("5N-school", ["07:05", "07:20", "07:35"]), 1: ("5S-school", ["14:50", "15:05"])}
ROUTES = [("1", "1", "Main Street", "D7263D"), ("2", "2", "Crosstown", "1B998B"),
          ("3", "3", "Lakeshore (3A Northpoint / 3B Harbor)", "2E86AB"), ("4", "4", "University Frequent", "F46036"),
          ("5", "5", "Hospital Parkway", "5B5F97"), ("6", "6", "Westside Circulator", "8AC926")]


def build(seed: int) -> Network:
    """The network for one instance: jittered geometry, run times and clock-face offsets from ``seed``."""
    rng = random.Random(seed)
    b = _Builder(rng)
    _layout(b)
    shifts = {str(route): rng.randint(0, 4) for route in range(1, 7)}
    headsign = {"1E": "Eastgate", "1W": "Westgate", "2N": "North Terminal", "2S*": "South Terminal",
                "3A-out": "3A Northpoint", "3B-out": "3B Harbor", "3A-in": "Downtown", "3B-in": "Downtown",
                "4E": "University", "4W": "Westfield", "5N": "Downtown", "5S": "Regional Hospital", "6": "Westside Loop"}
    trips: list[Trip] = []
    for route, services in _schedule().items():
        for service, directions in services.items():
            for direction, plans in directions.items():
                for index, (pattern, bands) in enumerate(plans):
                    offset = shifts[route] * 60
                    if route == "3" and index == 1:  # branch B runs between branch A trips
                        offset += _branch_offset(b, pattern, bands[0][2])
                    starts = [t + offset for a, z, h in bands for t in range(hm(a), hm(z), round(h * 60))]
                    for n, start in enumerate(starts):
                        name = pattern
                        if pattern == "2S*":
                            name = "2S-alt" if n % 2 else "2S"
                        trips.append(Trip(f"{route}{CODE[service]}{direction}{len(trips) + 1:05d}", route, service,
                                          direction, name, start, headsign[pattern]))
    for direction, pattern in ((0, "4E"), (1, "4W")):
        for service, windows in FREQUENCIES.items():
            frequencies = [(hm(a), hm(z), h) for a, z, h in windows]
            trips.append(Trip(f"4{CODE[service]}{direction}-FREQ", "4", service, direction, pattern, frequencies[0][0],
                              headsign[pattern], frequencies))
    for direction, (pattern, times) in SCHOOL.items():
        for clock in times:
            trips.append(Trip(f"5X{direction}{hm(clock) // 60:04d}", "5", "SCHOOL", direction, pattern, hm(clock),
                              "Lakeview High School" if direction == 0 else "Regional Hospital"))
    stops = sorted(b.stops.values(), key=lambda s: (s.same_as is not None, s.stop_id))
    return Network(stops, b.patterns, ROUTES, trips)


def _branch_offset(b: _Builder, pattern: str, headway_min: float) -> int:
    """Seconds by which branch B trips follow branch A so that they meet the trunk half a headway apart."""
    half = round(headway_min * 30)
    if pattern.endswith("-out"):
        return half
    a, bb = dict(b.patterns["3A-in"]), dict(b.patterns["3B-in"])
    junction = b.patterns["3A-in"][-7][0]
    return half + a[junction] - bb[junction]


CALENDAR = {"WKDY": "1111100", "SAT": "0000010", "SUN": "0000001"}
CALENDAR_RANGE = ("20260601", "20261231")
HOLIDAYS = {"20260704": "SUN", "20260907": "SUN", "20261126": "SUN", "20261127": "SAT", "20261225": "SUN"}


def calendar_dates() -> list[tuple[str, str, int]]:
    """(date, service_id, exception_type): holidays swap the regular service, school days add trippers."""
    rows: list[tuple[str, str, int]] = []
    for date, service in HOLIDAYS.items():
        regular = next(s for s, days in CALENDAR.items() if days[dt.date(int(date[:4]), int(date[4:6]),
                                                                              int(date[6:])).weekday()] == "1")
        rows += [(date, regular, 2), (date, service, 1)]
    day = dt.date(2026, 8, 31)
    while day <= dt.date(2026, 12, 18):
        text = day.strftime("%Y%m%d")
        if day.weekday() < 5 and text not in HOLIDAYS and text not in ("20261125", "20261012"):
            rows.append((text, "SCHOOL", 1))
        day += dt.timedelta(days=1)
    return sorted(rows)


def active_services(date: str, *, use_exceptions: bool = True) -> set[str]:
    """Service_ids running on ``date`` (YYYYMMDD) from calendar.txt and, when asked, calendar_dates.txt."""
    weekday = dt.date(int(date[:4]), int(date[4:6]), int(date[6:])).weekday()
    running = {s for s, days in CALENDAR.items() if days[weekday] == "1"
               and CALENDAR_RANGE[0] <= date <= CALENDAR_RANGE[1]}
    if use_exceptions:
        for day, service, kind in calendar_dates():
            if day == date:
                running = running | {service} if kind == 1 else running - {service}
    return running


def departures(net: Network, date: str) -> dict[tuple[str, int], list[int]]:
    """Departure times at each physical stop (duplicates merged) and direction on ``date``."""
    services = active_services(date)
    physical = {s.stop_id: s.same_as or s.stop_id for s in net.stops}
    out: dict[tuple[str, int], list[int]] = {}
    for trip in net.trips:
        if trip.service_id not in services:
            continue
        for start in trip.starts():
            for stop_id, offset in net.patterns[trip.pattern]:
                out.setdefault((physical[stop_id], trip.direction_id), []).append(start + offset)
    return {key: sorted(times) for key, times in out.items()}


def worst_gap(times: list[int], span: tuple[int, int] = SPAN) -> int:
    """The longest wait in ``span`` (bounds inclusive): gaps between departures, from the span's start to
    the first and from the last to its end; the whole span when nothing departs."""
    points = [span[0], *(t for t in times if span[0] <= t <= span[1]), span[1]]
    return max(b - a for a, b in itertools.pairwise(points))


def route_headways(net: Network, date: str) -> dict[tuple[str, int], dict[str, float | None]]:
    """Period length / trips starting in the period, per route and direction running on ``date``."""
    services = active_services(date)
    starts: dict[tuple[str, int], list[int]] = {}
    for trip in net.trips:
        if trip.service_id in services:
            starts.setdefault((trip.route_id, trip.direction_id), []).extend(trip.starts())
    result = {}
    for key, times in sorted(starts.items()):
        row: dict[str, float | None] = {}
        for label, (a, z) in (("peak", PEAK), ("midday", MIDDAY)):
            count = sum(a <= t < z for t in times)
            row[label] = round((z - a) / 60 / count, 4) if count else None
        result[key] = row
    return result
