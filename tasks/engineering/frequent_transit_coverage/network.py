"""The generating truth of the Lakeview Area Transit network: stops, patterns, services and trips.

Everything is laid out in metres on a local grid whose origin is ``ORIGIN`` in the plan's projected
CRS (``CRS``, WGS 84 / UTM zone 16N), so distances on it are the plan's straight-line distances.
Times are seconds after midnight of the service day (values past 24:00:00 belong to the same
service day). The network has the quirks a planner meets in a real feed: a downtown one-way couplet
and a one-way circulator loop (stops served in one direction only), a branching route, a route run
from ``frequencies.txt``, school trippers added through ``calendar_dates.txt`` only, holiday
exceptions, trips past midnight, one physical stop listed twice under two stop_ids, and two routes
interlined on a shared trunk (``_trunk``), neither frequent alone, whose shared stops wait exactly the
plan's threshold at worst when their departures are pooled.

Each instance draws its own network from a design stream of its seed (``_design``): the route numbers,
where each corridor runs and how far, the length and side of the downtown couplet, the size, place and
sense of the circulator loop, whether a weekday-only connector runs, and every service band's headway,
so which stops are frequent, which routes fall short and how many stops are served one way differ
from one instance to the next.
Where the draw leaves every stop's worst wait to a gap between departures, the Crosstown ends early
(``build``), so that the waits at the span's edges decide on every instance.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass, field
from typing import Any

CRS = "EPSG:32616"
ORIGIN = (607_500.0, 4_681_200.0)
SPAN = (7 * 3600, 19 * 3600)
PEAK = (7 * 3600, 9 * 3600)
MIDDAY = (10 * 3600, 14 * 3600)


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


def hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def _design(seed: int) -> dict[str, Any]:
    """The instance's network plan, from its own stream: corridor places and reaches (metres on the grid),
    route numbers and every band's headway (minutes; the frequency route's in seconds)."""
    d = random.Random(f"lakeview-network-design:{seed}")
    p: dict[str, Any] = {"north": d.random() < 0.5}
    corridors = ["main", "cross", "lake", "univ", "hosp", "loop"] + (["north"] if p["north"] else [])
    p["ids"] = {c: str(n) for c, n in zip(corridors, d.sample(range(1, 40), len(corridors)), strict=True)}
    # where the corridors run
    p["main"] = (d.choice((-4400, -4000, -3600)), d.choice((3600, 4000, 4400)))
    p["couplet"] = (d.choice((400, 800, 1200)), d.choice((400, -400)), d.random() < 0.5)  # half-width, avenue y, east on it
    xw = d.choice((-4400, -4000))
    xe = xw + d.choice((1200, 1600))
    yb = d.choice((800, 1200))
    yt = yb + d.choice((1200, 1600))
    p["loop"] = (xw, xe, yb, yt, d.random() < 0.5)  # counter-clockwise when the flag is set
    p["cross"] = (d.choice((-2000, -1600, -1200)), d.choice((3600, 4000, 4400)), d.choice((3600, 4000, 4400)))
    p["lake"] = (d.choice((1600, 2000, 2400)), d.choice([y for y in (2000, 2400, 2800) if y != yt]),
                 d.choice((4000, 4400)), d.choice((4000, 4400)))  # x, junction y, branch A end y, branch B end x
    p["univ"] = (d.choice((-2400, -2000, -1600)), d.choice((-4000, -3600, -3200)), d.choice((800, 1200, 1600)))
    p["hosp"] = (d.choice((2800, 3200)), d.choice((-4400, -4000, -3600)))
    # how often they run
    p1 = d.choice((6, 7.5, 8, 10, 12))
    b1 = d.choice([h for h in (8, 10, 12, 15) if h >= p1])
    p["h_main"] = (p1, b1, d.choice((12, 15, 20)), d.choice((12, 15, 20)))  # peak, base, Saturday, Sunday
    pc = d.choice((10, 12, 15))
    p["h_cross"] = (pc, d.choice([h for h in (15, 20) if h >= pc]), d.choice((15, 20, 30)), d.choice((20, 30)))
    pl = d.choice((15, 20, 24))
    p["h_lake"] = (pl, d.choice([h for h in (20, 24, 30) if h >= pl]), d.choice((24, 30)), 30)
    base = d.choice((480, 600)) if b1 > 10 else d.choice((600, 720, 900))  # one corridor frequent at ten minutes
    p["h_univ"] = (d.choice((360, 450, 480)), base, d.choice((1200, 1800)), d.choice((600, 720, 900)),
                   d.choice((600, 720, 900)))  # peak, base, evening, Saturday, Sunday (seconds)
    p["h_hosp"] = (d.choice((15, 20, 30)), d.choice((30, 60, None)))  # weekday, Saturday
    p["school"] = (d.choice(("06:55", "07:05", "07:10")), d.choice((2, 3)), d.randint(5, 7))  # first, trips, stops
    p["h_loop"] = (d.choice((15, 20, 30)), d.choice((20, 30)), d.choice((30, None)))
    p["h_north"] = (d.choice((20, 30)), d.choice((30, 45, 60)))
    p["dup_at"] = d.randint(5, 12)
    return p


class _Builder:
    def __init__(self, rng: random.Random, avenues: dict[int, str], streets: dict[int, str]) -> None:
        self.rng = rng
        self.avenues, self.streets = avenues, streets
        self.stops: dict[tuple[int, int, str], Stop] = {}
        self.patterns: dict[str, list[tuple[str, int]]] = {}
        self.counter: dict[str, int] = {}
        self.segments: dict[tuple[str, str], float] = {}

    def _cross_x(self, x: int) -> str:
        return self.streets.get(x) or ("Center St" if x == 0 else f"{'W' if x < 0 else 'E'} {_ordinal(abs(x) // 400)} St")

    def _cross_y(self, y: int) -> str:
        return self.avenues.get(y) or f"{'N' if y > 0 else 'S'} {_ordinal(abs(y) // 400)} Ave"

    def stop(self, route: str, nx: int, ny: int, street: str) -> str:
        """The stop at nominal grid point (nx, ny) on ``street`` (one stop_id for both directions)."""
        key = (nx, ny, street)
        if key not in self.stops:
            self.counter[route] = self.counter.get(route, 0) + 1
            along_x = street in self.avenues.values()
            cross = self._cross_x(nx) if along_x else self._cross_y(ny)
            jx, jy = self.rng.uniform(-25, 25), self.rng.uniform(-8, 8)
            x, y = (nx + jx, ny + jy) if along_x else (nx + jy, ny + jx)
            self.stops[key] = Stop(f"{route}{self.counter[route]:03d}", f"{street} & {cross}", x, y)
        return self.stops[key].stop_id

    def pattern(self, name: str, stop_ids: list[str], speed: float, *, whole_seconds: bool = False) -> None:
        """The pattern's departure offsets; with ``whole_seconds``, each new segment's run time is rounded, so
        that patterns sharing segments keep the same spacing there wherever they start."""
        by_id = {s.stop_id: s for s in self.stops.values()}
        offsets, t = [0], 0.0
        for a, b in itertools.pairwise(stop_ids):
            sa, sb = by_id[a], by_id[b]
            if (a, b) not in self.segments:  # one run time per street segment, whatever the pattern
                run = (abs(sa.x - sb.x) + abs(sa.y - sb.y)) / speed + 20 + self.rng.randint(0, 25)
                self.segments[a, b] = round(run) if whole_seconds else run
            t += self.segments[a, b]
            offsets.append(round(t))
        self.patterns[name] = list(zip(stop_ids, offsets, strict=True))


def _layout(b: _Builder, p: dict[str, Any]) -> dict[str, str]:
    """Stops and patterns of every corridor; returns the pattern names of the branch junction and the school run."""
    ids = p["ids"]
    west, east = p["main"]
    half, avenue_y, east_on_avenue = p["couplet"]
    main_w = [b.stop(ids["main"], x, 0, "Main St") for x in range(west, -half, 400)]
    main_e = [b.stop(ids["main"], x, 0, "Main St") for x in range(half + 400, east + 1, 400)]
    avenue = [b.stop(ids["main"], x, avenue_y, b.avenues[avenue_y]) for x in range(-half, half + 1, 400)]
    main_dt = [b.stop(ids["main"], x, 0, "Main St") for x in range(-half, half + 1, 400)]
    eastbound, westbound = (avenue, main_dt) if east_on_avenue else (main_dt, avenue)
    b.pattern("1E", main_w + eastbound + main_e, 6.0 + b.rng.uniform(-0.4, 0.4))
    b.pattern("1W", list(reversed(main_w + westbound + main_e)), 6.0 + b.rng.uniform(-0.4, 0.4))

    x, south, north = p["cross"]
    cross = [b.stop(ids["cross"], x, y, "Crosstown Rd") for y in range(-south, north + 1, 400)]
    b.pattern("2N", cross, 6.5)
    b.pattern("2S", list(reversed(cross)), 6.5)
    dup_at = p["dup_at"]
    original = next(s for s in b.stops.values() if s.stop_id == cross[dup_at])
    duplicate = Stop(f"{ids['cross']}{900 + dup_at}", original.name, original.x + b.rng.uniform(1.5, 3.0),
                     original.y - b.rng.uniform(1.0, 3.0), same_as=original.stop_id)
    b.stops[(x, -south + 400 * dup_at, "duplicate")] = duplicate
    b.patterns["2S-alt"] = [(duplicate.stop_id if stop_id == original.stop_id else stop_id, offset)
                            for stop_id, offset in b.patterns["2S"]]

    x, junction_y, end_a, end_b = p["lake"]
    trunk = [b.stop(ids["lake"], x, y, "Lakeshore Dr") for y in range(0, junction_y + 1, 400)]
    branch_a = [b.stop(ids["lake"], x, y, "Lakeshore Dr") for y in range(junction_y + 400, end_a + 1, 400)]
    branch_b = [b.stop(ids["lake"], xb, junction_y, "Harbor Rd") for xb in range(x + 400, end_b + 1, 400)]
    b.pattern("3A-out", trunk + branch_a, 6.0)
    b.pattern("3B-out", trunk + branch_b, 6.0)
    b.pattern("3A-in", list(reversed(trunk + branch_a)), 6.0)
    b.pattern("3B-in", list(reversed(trunk + branch_b)), 6.0)

    y, west, east = p["univ"]
    univ = [b.stop(ids["univ"], xu, y, "University Blvd") for xu in range(west, east + 1, 400)]
    b.pattern("4E", univ, 7.0)
    b.pattern("4W", list(reversed(univ)), 7.0)

    x, south = p["hosp"]
    hosp = [b.stop(ids["hosp"], x, y, "Hospital Pkwy") for y in range(south, 1, 400)]
    school = p["school"][2]
    b.pattern("5N", hosp, 7.0)
    b.pattern("5S", list(reversed(hosp)), 7.0)
    b.pattern("5N-school", hosp[:school], 7.0)
    b.pattern("5S-school", list(reversed(hosp[:school])), 7.0)

    xw, xe, yb, yt, counter_clockwise = p["loop"]
    corners = ([(xw, y, "Oak St") for y in range(yb, yt, 400)] + [(xl, yt, "Pine Ave") for xl in range(xw, xe, 400)]
               + [(xe, y, "Birch St") for y in range(yt, yb, -400)] + [(xl, yb, "Elm Ave") for xl in range(xe, xw, -400)])
    loop = [b.stop(ids["loop"], xl, y, street) for xl, y, street in corners]
    b.pattern("6", list(reversed(loop)) if counter_clockwise else loop, 5.5)

    if p["north"]:
        north_stops = [b.stop(ids["north"], xn, 3600, "Northland Ave") for xn in range(-3200, 1201, 400)]
        b.pattern("7E", north_stops, 7.0)
        b.pattern("7W", list(reversed(north_stops)), 7.0)
    return {"junction": trunk[-1]}


Bands = list[tuple[str, str, float]]  # (band start, band end, headway in minutes) at the first stop


def _schedule(p: dict[str, Any]) -> dict[str, dict[str, dict[int, list[tuple[str, Bands]]]]]:
    """corridor -> service -> direction -> [(pattern, bands)]; "2S*" alternates the duplicate-stop pattern."""
    p1, b1, sat1, sun1 = p["h_main"]
    r1 = [("05:30", "06:30", 15), ("06:30", "07:00", b1), ("07:00", "09:00", p1), ("09:00", "15:00", b1),
          ("15:00", "18:00", p1), ("18:00", "19:30", b1), ("19:30", "24:40", 20)]
    pc, bc, sat2, sun2 = p["h_cross"]
    pl, bl, sat3, sun3 = p["h_lake"]
    r3 = [("06:00", "09:00", pl), ("09:00", "15:00", bl), ("15:00", "18:30", pl), ("18:30", "23:00", 30)]
    h5, sat5 = p["h_hosp"]
    h6, sat6, sun6 = p["h_loop"]
    plan = {
        "main": {"WKDY": {0: [("1E", r1)], 1: [("1W", r1)]},
                 "SAT": {0: [("1E", [("06:00", "22:00", sat1)])], 1: [("1W", [("06:00", "22:00", sat1)])]},
                 "SUN": {0: [("1E", [("06:30", "21:00", sun1)])], 1: [("1W", [("06:30", "21:00", sun1)])]}},
        "cross": {"WKDY": {0: [("2N", [("05:45", "07:00", bc), ("07:00", "09:00", pc), ("09:00", "19:30", bc),
                                       ("19:30", "22:30", 30)])],
                           1: [("2S*", [("05:45", "15:00", bc), ("15:00", "18:00", pc), ("18:00", "19:30", bc),
                                        ("19:30", "22:30", 30)])]},
                  "SAT": {0: [("2N", [("06:30", "20:30", sat2)])], 1: [("2S*", [("06:30", "20:30", sat2)])]},
                  "SUN": {0: [("2N", [("07:00", "19:30", sun2)])], 1: [("2S*", [("07:00", "19:30", sun2)])]}},
        "lake": {"WKDY": {0: [("3A-out", r3), ("3B-out", r3)], 1: [("3A-in", r3), ("3B-in", r3)]},
                 "SAT": {0: [("3A-out", [("06:30", "20:30", sat3)]), ("3B-out", [("06:30", "20:30", sat3)])],
                         1: [("3A-in", [("06:30", "20:30", sat3)]), ("3B-in", [("06:30", "20:30", sat3)])]},
                 "SUN": {0: [("3A-out", [("06:30", "20:00", sun3)]), ("3B-out", [("06:30", "20:00", sun3)])],
                         1: [("3A-in", [("06:30", "20:00", sun3)]), ("3B-in", [("06:30", "20:00", sun3)])]}},
        "hosp": {"WKDY": {0: [("5N", [("06:00", "22:00", h5)])], 1: [("5S", [("06:00", "22:00", h5)])]}},
        "loop": {"WKDY": {0: [("6", [("06:00", "21:00", h6)])]}, "SAT": {0: [("6", [("08:00", "20:00", sat6)])]}},
    }
    if sat5:
        plan["hosp"]["SAT"] = {0: [("5N", [("08:00", "18:00", sat5)])], 1: [("5S", [("08:00", "18:00", sat5)])]}
    if sun6:
        plan["loop"]["SUN"] = {0: [("6", [("09:00", "18:00", sun6)])]}
    if p["north"]:
        pn, bn = p["h_north"]
        bands = [("06:00", "09:00", pn), ("09:00", "15:00", bn), ("15:00", "18:30", pn), ("18:30", "21:00", bn)]
        plan["north"] = {"WKDY": {0: [("7E", bands)], 1: [("7W", bands)]}}
    return plan


def _frequencies(p: dict[str, Any]) -> dict[str, list[tuple[str, str, int]]]:
    """The University route's windows in frequencies.txt (headway-based, exact_times=0)."""
    peak, base, evening, sat, sun = p["h_univ"]
    return {"WKDY": [("06:00", "09:00", peak), ("09:00", "15:00", base), ("15:00", "19:30", peak),
                     ("19:30", "23:00", evening)],
            "SAT": [("06:30", "21:00", sat)], "SUN": [("06:30", "20:30", sun)]}


CODE = {"WKDY": "W", "SAT": "A", "SUN": "U"}
NAMES = {"main": ("Main Street", "D7263D"), "cross": ("Crosstown", "1B998B"),
         "lake": ("Lakeshore ({0}A Northpoint / {0}B Harbor)", "2E86AB"), "univ": ("University Frequent", "F46036"),
         "hosp": ("Hospital Parkway", "5B5F97"), "loop": ("Westside Circulator", "8AC926"),
         "north": ("Northside Connector", "E3B505"), "riverside": ("Riverside", "3D5A80"),
         "meadowbrook": ("Meadowbrook", "9C6644")}


def build(seed: int, date: str, threshold_min: int) -> Network:
    """The network for one instance: its design (``_design``), then jittered geometry, run times and
    clock-face offsets from ``seed``, and the interlined trunk (``_trunk``) timed against the plan's threshold.
    Where no stop's worst wait on ``date`` (YYYYMMDD) comes from the span's edges (07:00 to its first departure,
    its last to 19:00), the Crosstown's last trips leave before a time drawn from a stream of its own (17:30 or
    18:00, every day), so that the edges decide on every instance."""
    p = _design(seed)
    net = _assemble(seed, p, None, threshold_min)
    if not _edges_decide(net, date):
        crosstown_end = hm(random.Random(f"lakeview-network-span-edge:{seed}").choice(("17:30", "18:00")))
        net = _assemble(seed, p, crosstown_end, threshold_min)
    return net


def _edges_decide(net: Network, date: str) -> bool:
    """Some stop's worst wait on ``date`` is at least a minute longer than its longest gap between
    departures inside the span: a wait from the span's start or to its end sets it."""
    deps = departures(net, date)

    def inner_gap(times: list[int]) -> int:
        inside = [t for t in times if SPAN[0] <= t <= SPAN[1]]
        return max((b - a for a, b in itertools.pairwise(inside)), default=SPAN[1] - SPAN[0])

    return any(max(worst_gap(deps.get((s.stop_id, d), [])) for d in (0, 1))
               - max(inner_gap(deps.get((s.stop_id, d), [])) for d in (0, 1)) >= 60
               for s in net.stops if s.same_as is None)


def _assemble(seed: int, p: dict[str, Any], crosstown_end: int | None, threshold_min: int) -> Network:
    """The network of design ``p``; with ``crosstown_end``, no Crosstown trip starts at or after it."""
    ids = p["ids"]
    rng = random.Random(seed)
    avenues = {0: "Main St", p["couplet"][1]: "Michigan Ave" if p["couplet"][1] > 0 else "Washington Ave",
               p["univ"][0]: "University Blvd", p["lake"][1]: "Harbor Rd", p["loop"][2]: "Elm Ave",
               p["loop"][3]: "Pine Ave", 3600: "Northland Ave"}
    streets = {p["cross"][0]: "Crosstown Rd", p["lake"][0]: "Lakeshore Dr", p["hosp"][0]: "Hospital Pkwy",
               p["loop"][0]: "Oak St", p["loop"][1]: "Birch St"}
    b = _Builder(rng, avenues, streets)
    places = _layout(b, p)
    shifts = {corridor: rng.randint(0, 4) for corridor in ids}
    lake = ids["lake"]
    headsign = {"1E": "Eastgate", "1W": "Westgate", "2N": "North Terminal", "2S*": "South Terminal",
                "3A-out": f"{lake}A Northpoint", "3B-out": f"{lake}B Harbor", "3A-in": "Downtown", "3B-in": "Downtown",
                "4E": "University", "4W": "Westfield", "5N": "Downtown", "5S": "Regional Hospital", "6": "Westside Loop",
                "7E": "Northland Plaza", "7W": "Westside"}
    trips: list[Trip] = []
    for corridor, services in _schedule(p).items():
        route = ids[corridor]
        for service, directions in services.items():
            for direction, plans in directions.items():
                for index, (pattern, bands) in enumerate(plans):
                    offset = shifts[corridor] * 60
                    if corridor == "lake" and index == 1:  # branch B runs between branch A trips
                        offset += _branch_offset(b, pattern, bands[0][2], places["junction"])
                    starts = [t + offset for a, z, h in bands for t in range(hm(a), hm(z), round(h * 60))]
                    if corridor == "cross" and crosstown_end is not None:
                        starts = [t for t in starts if t < crosstown_end]
                    for n, start in enumerate(starts):
                        name = pattern
                        if pattern == "2S*":
                            name = "2S-alt" if n % 2 else "2S"
                        trips.append(Trip(f"{route}{CODE[service]}{direction}{len(trips) + 1:05d}", route, service,
                                          direction, name, start, headsign[pattern]))
    univ = ids["univ"]
    for direction, pattern in ((0, "4E"), (1, "4W")):
        for service, windows in _frequencies(p).items():
            frequencies = [(hm(a), hm(z), h) for a, z, h in windows]
            trips.append(Trip(f"{univ}{CODE[service]}{direction}-FREQ", univ, service, direction, pattern,
                              frequencies[0][0], headsign[pattern], frequencies))
    first, count, _ = p["school"]
    school = {0: ("5N-school", [hm(first) + 900 * k for k in range(count)]), 1: ("5S-school", [hm("14:50"), hm("15:05")])}
    for direction, (pattern, times) in school.items():
        for clock in times:
            trips.append(Trip(f"{ids['hosp']}X{direction}{clock // 60:04d}", ids["hosp"], "SCHOOL", direction, pattern,
                              clock, "Lakeview High School" if direction == 0 else "Regional Hospital"))
    ids = ids | _trunk(b, trips, seed, set(ids.values()), threshold_min)
    stops = sorted(b.stops.values(), key=lambda s: (s.same_as is not None, s.stop_id))
    routes = sorted(((ids[c], ids[c], NAMES[c][0].format(ids[c]), NAMES[c][1]) for c in ids), key=lambda r: int(r[0]))
    return Network(stops, b.patterns, routes, trips)


def _trunk(b: _Builder, trips: list[Trip], seed: int, taken: set[str], threshold_min: int) -> dict[str, str]:
    """Two routes interlined on Riverside Dr south from Main St, from a stream of their own: the Riverside
    continues south, the Meadowbrook turns east at the junction. Both run every day, 06:00-21:00, at one
    clock-face headway longer than the threshold and shorter than twice it, so neither is frequent alone;
    on the trunk the second follows the first by the threshold, or by the headway less the threshold, in
    each direction, so the pooled waits there alternate between the two and the worst is exactly the
    threshold (not half the headway). Adds the stops, patterns and trips; returns the two route_ids."""
    d = random.Random(f"lakeview-network-trunk:{seed}")
    b.rng = d  # the trunk's jitter and run times come from its own stream too
    ids = dict(zip(("riverside", "meadowbrook"), d.sample(sorted(set(map(str, range(1, 40))) - taken), 2),
                   strict=True))
    x, junction_y = d.choice((600, 1000)), d.choice((-2800, -3200))
    south_end, east_reach = d.choice((-4000, -4400)), d.choice((1200, 1600))
    b.streets[x] = "Riverside Dr"
    b.avenues[junction_y] = "Meadowbrook Ave"
    trunk = [b.stop(ids["riverside"], x, y, "Riverside Dr") for y in range(0, junction_y - 1, -400)]
    south = [b.stop(ids["riverside"], x, y, "Riverside Dr") for y in range(junction_y - 400, south_end - 1, -400)]
    east = [b.stop(ids["meadowbrook"], xe, junction_y, "Meadowbrook Ave")
            for xe in range(x + 400, x + east_reach + 1, 400)]
    for corridor, branch in (("riverside", south), ("meadowbrook", east)):
        b.pattern(f"{corridor}-out", trunk + branch, 6.0, whole_seconds=True)
        b.pattern(f"{corridor}-in", list(reversed(trunk + branch)), 6.0, whole_seconds=True)
    headway = 60 * d.choice([h for h in (12, 15, 20, 24) if threshold_min < h < 2 * threshold_min])
    first = hm("06:00") + 60 * d.randint(0, 4)
    for direction, way in ((0, "out"), (1, "in")):
        follow = 60 * d.choice((threshold_min, headway // 60 - threshold_min))
        junction = {c: dict(b.patterns[f"{c}-{way}"])[trunk[-1]] for c in ids}
        lead = {"riverside": 0, "meadowbrook": follow + junction["riverside"] - junction["meadowbrook"]}
        for corridor, route in ids.items():
            for service in ("WKDY", "SAT", "SUN"):
                for start in range(first + lead[corridor], hm("21:00"), headway):
                    trips.append(Trip(f"{route}{CODE[service]}{direction}{len(trips) + 1:05d}", route, service,
                                      direction, f"{corridor}-{way}", start,
                                      NAMES[corridor][0] if direction == 0 else "Downtown"))
    return ids


def _branch_offset(b: _Builder, pattern: str, headway_min: float, junction: str) -> int:
    """Seconds by which branch B trips follow branch A so that they meet the trunk half a headway apart."""
    half = round(headway_min * 30)
    if pattern.endswith("-out"):
        return half
    a, bb = dict(b.patterns["3A-in"]), dict(b.patterns["3B-in"])
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
