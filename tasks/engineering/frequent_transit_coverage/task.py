"""Frequent transit network coverage: a transit planner's section of a comprehensive plan, from a GTFS feed.

Workflow: the planner reads the agency's GTFS feed and the census blocks, applies the plan's definition
of a frequent stop (worst wait over the 07:00-19:00 span on a service date, in both directions, no
longer than the threshold), tabulates scheduled peak and midday headways by route and direction, and
measures the population and jobs whose block centroid lies within the walking buffer of a frequent
stop (straight-line distance in the plan's projected CRS times a detour factor).

Variants: a school-term Tuesday at 15 minutes and 400 m; Independence Day, a Saturday run on the
Sunday schedule through calendar_dates.txt; a school-term Wednesday at 10 minutes and 800 m.

Grade: the reference is computed by generate() from the generating timetable and geometry (see
``network``), never from the written feed. The grader checks the frequent classification (F1 over
stops), every stop's worst headway, every route and direction's peak and midday headway, the covered
population and jobs and their shares (1 %), the totals, the JSON's count against the CSV, and that the
memo cites the JSON's figures (the population's and the jobs' where it names them), gives the network's
reach no other population or jobs figure (a part of the network, a comparison, a total or a rounding aside),
states the plan's standard, and says what limits the frequent network in this network: one-direction service
placed (a route or street served one way, or how many stops), or a route short of the standard on the date, named by number or name,
with its headway or its shortfall. That is read clause by clause: a clause that names three or more streets or
routes with no one-way stop as one-way, piles up candidate counts, names a route that meets the standard as
short alongside the short ones, or says a short route meets the standard places nothing; a memo that says of a
route whose every stop is frequent that it falls short (or runs less often than the standard) gets no credit
for its route statements, and neither does a memo that gives every route its headways alike without saying which
fall short, or tells one-direction service of street after street or route after route, one sentence each; a
count of one-way stops counts where it is the memo's one count of that service (or parts of it that add up to
no more than it), not one candidate among others in a sentence or across the memo. A clause that says nothing
limits the network, or that every route meets the standard, voids all of it. The network itself (route
numbers, corridors, couplet, loop, headways) is drawn per instance in ``network``, so none of these facts
carries over from one instance to another.
"""
# ALE-CANARY-977b6d19-eca5-4d14-8f42-2fce5e888046

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
import tempfile
from pathlib import Path
from typing import Any

from lastexam.task import Grading, Params, as_number, run_tool_script

from . import feed, network

DELIVERABLES = ("stop_frequency.csv", "route_headways.csv", "coverage.json", "coverage_memo.md")
EDGE_MARGIN_M = 5.0  # no block centroid lies within this straight-line distance of any stop's buffer edge
YES = {"yes", "y", "true", "1", "frequent"}


def _blocks(rng: random.Random, stops: list[network.Stop], reach: float) -> list[dict[str, Any]]:
    """Census block centroids on a jittered grid, with population and jobs, none near a buffer edge."""
    centres = [(-200, -200, 380.0), (1000, -2300, 90.0), (2900, -4000, 70.0)]  # downtown, university, hospital
    blocks = []
    for gx in range(-5000, 5001, 200):
        for gy in range(-5000, 5001, 200):
            for _ in range(20):
                x, y = gx + rng.uniform(-70, 70), gy + rng.uniform(-70, 70)
                if all(abs(math.hypot(x - s.x, y - s.y) - reach) > EDGE_MARGIN_M for s in stops):
                    break
            else:
                continue
            r = math.hypot(x, y)
            pop = 0 if rng.random() < 0.12 else round(rng.gammavariate(2.0, 1.0) * 55 * math.exp(-r / 4500))
            jobs = round(sum(w * rng.gammavariate(1.5, 1.0) * math.exp(-math.hypot(x - cx, y - cy) / 700)
                             for cx, cy, w in centres) + rng.gammavariate(1.0, 4.0))
            tract = 100 + (gx + 5000) // 1000 * 11 + (gy + 5000) // 1000
            blocks.append({"x": x, "y": y, "pop": pop, "jobs": jobs, "tract": tract})
    counts: dict[int, int] = {}
    for block in blocks:
        counts[block["tract"]] = counts.get(block["tract"], 0) + 1
        block["geoid"] = f"26077{block['tract']:04d}00{1000 + counts[block['tract']]:04d}"
    return blocks


def _lonlat(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp, "in.json"), Path(tmp, "out.json")
        source.write_text(json.dumps([[network.ORIGIN[0] + x, network.ORIGIN[1] + y] for x, y in points]))
        run_tool_script(__file__, Path(__file__).with_name("tools") / "to_lonlat.py", network.CRS, str(source),
                        str(target))
        return [(round(lon, 6), round(lat, 6)) for lon, lat in json.loads(target.read_text())]


def _reference(net: network.Network, blocks: list[dict[str, Any]], params: Params) -> dict[str, Any]:
    date = params["service_date"].replace("-", "")
    deps = network.departures(net, date)
    stops = {}
    for stop in net.stops:
        if stop.same_as is None:
            worst = max(network.worst_gap(deps.get((stop.stop_id, d), [])) for d in (0, 1))
            stops[stop.stop_id] = {"worst_headway_min": round(worst / 60, 4),
                                   "frequent": worst <= params["threshold_min"] * 60}
    frequent = [s for s in net.stops if stops[s.same_as or s.stop_id]["frequent"]]
    reach = params["buffer_m"] / params["detour"]
    covered = [b for b in blocks if any(math.hypot(b["x"] - s.x, b["y"] - s.y) <= reach for s in frequent)]
    pop, jobs = sum(b["pop"] for b in blocks), sum(b["jobs"] for b in blocks)
    pop_cov, jobs_cov = sum(b["pop"] for b in covered), sum(b["jobs"] for b in covered)
    routes = [{"route_id": r, "direction_id": str(d), "peak_headway_min": v["peak"], "midday_headway_min": v["midday"]}
              for (r, d), v in network.route_headways(net, date).items()]
    return {"stops": stops, "routes": routes, "coverage": {
        "frequent_stops": sum(v["frequent"] for v in stops.values()), "population_total": pop, "jobs_total": jobs,
        "population_covered": pop_cov, "jobs_covered": jobs_cov, "population_share": pop_cov / pop,
        "jobs_share": jobs_cov / jobs, "blocks_covered": len(covered)}}


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    net = network.build(params["seed"], params["service_date"].replace("-", ""), params["threshold_min"])
    rng = random.Random(params["seed"] * 7919 + 17)
    blocks = _blocks(rng, net.stops, params["buffer_m"] / params["detour"])
    lonlat = _lonlat([(s.x, s.y) for s in net.stops] + [(b["x"], b["y"]) for b in blocks])
    feed.write_gtfs(input_dir / "lakeview_gtfs.zip", net, lonlat[:len(net.stops)])
    feed.write_blocks(input_dir / "census_blocks.geojson", blocks, lonlat[len(net.stops):])
    (reference_dir / "reference.json").write_text(json.dumps(_reference(net, blocks, params), indent=1))


# --------------------------------------------------------------------------------------------
# grading
# --------------------------------------------------------------------------------------------


def _id(value: Any) -> str:
    """A stop_id as written, "1001.0" (a float-typed column) read as "1001"."""
    text = str(value if value is not None else "").strip()
    return text.split(".")[0] if re.fullmatch(r"\d+\.0+", text) else text


def _direction(value: Any) -> str:
    number = as_number(value)
    return str(int(number)) if number is not None and number == int(number) else str(value or "").strip()


def _optional_minutes(found: Any, expected: Any) -> bool:
    if expected is None:
        return str(found or "").strip().casefold() in ("", "na", "n/a", "none", "null", "nan")
    value = as_number(found)
    return value is not None and abs(value - expected) <= 0.06


def _grade_stops(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]]) -> int:
    expected = {k for k, v in ref["stops"].items() if v["frequent"]}
    found = {_id(r.get("stop_id")) for r in rows if str(r.get("frequent", "")).strip().casefold() in YES}
    tp = len(expected & found)
    f1 = 2 * tp / (len(expected) + len(found)) if expected or found else 1.0
    wrong = [f"{s}: not frequent" for s in sorted(found - expected)] + [f"{s}: frequent" for s in sorted(expected - found)]
    g.check("frequent stop classification (F1 over stops)", f1, weight=3, expected=f"{len(expected)} frequent stops",
            found=f"{len(found)} marked frequent, F1 {f1:.3f}", reason="; ".join(wrong[:8]))
    want = [{"stop_id": k, "worst_headway_min": v["worst_headway_min"]} for k, v in ref["stops"].items()]
    g.table("worst headway of every stop over the span", rows, want, key="stop_id",
            columns={"worst_headway_min": (0.06, 0.0)}, weight=2, normalize=_id)
    return len(found)


def _grade_routes(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]]) -> None:
    found = [{**r, "direction_id": _direction(r.get("direction_id"))} for r in rows]
    g.table("peak and midday headway of every route and direction", found, ref["routes"],
            key=("route_id", "direction_id"), weight=2,
            columns={"peak_headway_min": _optional_minutes, "midday_headway_min": _optional_minutes})


def _grade_coverage(g: Grading, ref: dict[str, Any], cov: dict[str, Any], marked: int) -> None:
    want = ref["coverage"]
    g.number("population within the walking buffer of frequent stops", cov.get("population_covered"),
             want["population_covered"], rel_tol=0.01, weight=2)
    g.number("jobs within the walking buffer of frequent stops", cov.get("jobs_covered"), want["jobs_covered"],
             rel_tol=0.01, weight=2)
    shares = {k: as_number(cov.get(k)) for k in ("population_share", "jobs_share")}
    g.check("coverage shares (fractions of the totals)",
            all(v is not None and math.isclose(v, want[k], rel_tol=0.01) for k, v in shares.items()),
            expected={k: round(want[k], 4) for k in shares}, found=shares)
    g.check("population and jobs totals of the blocks",
            as_number(cov.get("population_total")) == want["population_total"]
            and as_number(cov.get("jobs_total")) == want["jobs_total"],
            weight=0.5, expected={k: want[k] for k in ("population_total", "jobs_total")},
            found={k: cov.get(k) for k in ("population_total", "jobs_total")})
    count = as_number(cov.get("frequent_stops"))
    g.check("frequent stop count agrees with stop_frequency.csv and the plan",
            count == want["frequent_stops"] == marked, weight=0.5,
            expected=want["frequent_stops"], found={"coverage.json": cov.get("frequent_stops"), "csv": marked})


def _unseparated(text: str) -> str:
    """The text with thousands separators (comma, no-break and thin spaces, space) taken out of its numbers."""
    return re.sub(r"(?<=\d)[,\u00a0\u202f ](?=\d{3}(?!\d))", "", text)


def _memo_numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"(?<![\d.])\d+(?:\.\d+)?", _unseparated(text))]


TOPICS = {"population": re.compile(r"resident|population|people|inhabitant|persons"),
          "jobs": re.compile(r"\bjobs?\b|employment|\bworkers?\b|workplace")}


def _cited_under(units: list[str], topic: str, value: float, tol: float,
                 tagged: dict[str, list[tuple[float | None, float]]]) -> bool:
    """Some line or sentence names the topic (population or jobs) and states the figure; one that names both
    topics states their figures in the order it names them (each topic's figures together, or in turn)."""
    other = next(t for t in TOPICS if t != topic)
    for unit in units:
        numbers = _memo_numbers(unit)
        if not TOPICS[topic].search(unit) or not any(abs(n - value) < tol for n in numbers):
            continue
        if not TOPICS[other].search(unit):
            return True
        order = sorted(TOPICS, key=lambda t: TOPICS[t].search(unit).start())  # both topics are named
        tags: list[str] = []
        for n in numbers:
            hit = [t for t, figs in tagged.items() if any(v is not None and abs(n - v) < tl for v, tl in figs)]
            if len(hit) == 1 and (not tags or tags[-1] != hit[0]):
                tags.append(hit[0])
        if tags == (order * len(tags))[:len(tags)]:
            return True
    return False


ATTACHED = r"(?<![\d.])(\d+(?:\.\d+)?)(?!\d|\.\d)(?:\s*(thousand|million|k\b))?"
FIGURE_BEFORE_NOUN = re.compile(ATTACHED + r"\s+(?:[a-z-]+\s+)?(resident|population|people|inhabitant|persons|jobs?\b|"
                                r"employment|workers?\b)")
NOUN_BEFORE_FIGURE = re.compile(r"\b(population|residents|jobs|employment)[\s:|]+(?:(?:of|covered|reached|served|within|"
                                r"walking|distance|near|a|the|frequent|stops?|network|is|was|only|about|approximately|"
                                r"roughly|some|around|nearly|almost|\d+\s*m)\b[\s:|]*){0,5}" + ATTACHED +
                                r"(?!\s*(?:%|percent|per\s*cent|m\b|metres|meters|min\b|minutes|"
                                r"(?:[a-z-]+\s+)?(?:blocks?|stops?|routes?|census)\b))")
COVERED_CONTEXT = re.compile(r"\breach|\bserv(?:e|es|ed|ing)\b|\bcover|\bwithin\b|\bwalk|\baccess|\bcatchment|\bbuffer")
# a figure for part of the network (a route, an area, "of which") or beside another (more, fewer, if ...)
PART_OR_COMPARISON = re.compile(r"\b(?:alone|of (?:which|whom|them|these|those)|includ\w*|among|each|per|along|"
                                r"corridors?|downtown|areas?|district|neighbou?rhoods?|tracts?|zones?|core|campus|"
                                r"university|hospital|couplet|loop|branch|(?:routes?|lines?|rt)\s*\d+|more|fewer|less|"
                                r"additional|another|further|extra|new|would|could|if|than|gain\w*|los[et]\w*|"
                                r"increase\w*|decrease\w*|previous|prior|compared)\b")


def _stated_figure(number: str, scale: str | None) -> tuple[float, float]:
    """A figure as written ("31,000", "14.4 thousand") and half the unit of its last written digit."""
    factor = {"thousand": 1e3, "k": 1e3, "million": 1e6}.get(scale or "", 1.0)
    whole, _, decimals = number.partition(".")
    unit = 10.0 ** -len(decimals) if decimals else 10.0 ** (len(whole) - len(whole.rstrip("0")))
    return float(number) * factor, unit * factor / 2


def _contradicting_figures(units: list[str], params: Params, cov: dict[str, Any]) -> list[str]:
    """Sentences about who the network reaches that give the population or the jobs a figure other than its
    covered figure, its total or the rest (rounded at the figure's last written digit), or a plan figure or year;
    a figure for a part of the network or set beside another is not one."""
    allowed: dict[str, list[float]] = {}
    for topic in TOPICS:
        covered, total = as_number(cov.get(f"{topic}_covered")), as_number(cov.get(f"{topic}_total"))
        allowed[topic] = [v for v in (covered, total, None if covered is None or total is None else total - covered)
                          if v is not None]
    plan = {float(params["threshold_min"]), float(params["buffer_m"]), float(params["detour"]), 2020.0,
            float(params["service_date"][:4])}
    found = []
    for unit in units:
        plain = _unseparated(unit)
        if not COVERED_CONTEXT.search(plain) or PART_OR_COMPARISON.search(plain):
            continue
        pairs = [(m.group(1), m.group(2), m.group(3)) for m in FIGURE_BEFORE_NOUN.finditer(plain)]
        pairs += [(m.group(2), m.group(3), m.group(1)) for m in NOUN_BEFORE_FIGURE.finditer(plain)]
        for number, scale, noun in pairs:
            value, rounding = _stated_figure(number, scale)
            topic = next(t for t, pattern in TOPICS.items() if pattern.search(noun))
            if value not in plan and not any(abs(value - v) <= max(0.5, rounding) for v in allowed[topic]):
                found.append(unit.strip())
                break
    return found


def _grade_memo(g: Grading, params: Params, cov: dict[str, Any], memo: str) -> None:
    numbers = _memo_numbers(memo)
    figures = {"frequent_stops": (as_number(cov.get("frequent_stops")), 0.5),
               "population_covered": (as_number(cov.get("population_covered")), 0.5),
               "jobs_covered": (as_number(cov.get("jobs_covered")), 0.5)}
    for key in ("population_share", "jobs_share"):
        share = as_number(cov.get(key))
        figures[key] = (None if share is None else round(share * 100, 1), 0.051)
    wanted = {k: (None if v is None else round(v) if tol == 0.5 else v, tol) for k, (v, tol) in figures.items()}
    tagged = {topic: [wanted[f"{topic}_covered"], wanted[f"{topic}_share"]] for topic in TOPICS}
    units = _sentences(memo)
    missing = [k for k, (v, tol) in wanted.items()
               if v is None or not (any(abs(n - v) < tol for n in numbers) if k == "frequent_stops"
                                    else _cited_under(units, k.split("_")[0], v, tol, tagged))]
    contradicting = _contradicting_figures(units, params, cov)
    g.check("memo cites the figures of coverage.json (count, population, jobs, shares in %)",
            not missing and not contradicting, weight=1.5, expected={k: v for k, (v, _) in figures.items()},
            reason="; ".join([f"not found in the memo: {missing}"] * bool(missing)
                             + [f"another covered figure: {contradicting[:2]}"] * bool(contradicting)))
    day = dt.date.fromisoformat(params["service_date"])
    dates = {params["service_date"], day.strftime("%B %-d"), day.strftime("%-d %B"), day.strftime("%m/%d/%Y")}
    lowered = memo.casefold()
    standard = (re.search(rf"\b{params['threshold_min']}[\s-]*min", lowered) is not None
                and re.search(rf"\b{params['buffer_m']}[\s-]*m\b|\b{params['buffer_m']}[\s-]*met", lowered) is not None
                and any(d.casefold() in lowered for d in dates))
    g.check("memo states the standard applied (threshold, buffer, service date)", standard, weight=0.5,
            expected=f"{params['threshold_min']} min, {params['buffer_m']} m, {params['service_date']}")


ONE_DIRECTION = re.compile(r"one[\s-]*way|one direction|single[\s-]*direction|unidirectional")
STREET_TYPE = r"(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|pkwy|parkway)\b"
SHORTFALL = re.compile(r"below|short|fail|miss|not\s+(?:meet|reach|frequent|qualif)|n't\s+(?:meet|reach|qualif)|"
                       r"infrequent|less\s+frequent|longer|exceed|worse|\bgaps?\b|no\s+(?:\w+\s+)?service|not\s+run|"
                       r"n't\s+run|hourly|half[\s-]*hour|limit|only|too\s+(?:long|wide|sparse)")


def _sentences(memo: str) -> list[str]:
    """Each sentence of a line (a list item, a table row) and of a paragraph whose lines are wrapped."""
    text = memo.casefold()
    blocks = text.splitlines() + [" ".join(para.split()) for para in re.split(r"\n\s*\n", text)]
    return [s for block in blocks for s in re.split(r"(?<!\d)\.(?!\d)|[;!?]", block) if s.strip()]


def _service(params: Params, net: network.Network) -> dict[str, dict[str, set[Any]]]:
    """The service on the date, from the generating network, by physical stop (a duplicate under the stop_id
    listed first): the directions and the routes that call at each stop, and the stops each route serves."""
    services = network.active_services(params["service_date"].replace("-", ""))
    physical = {s.stop_id: s.same_as or s.stop_id for s in net.stops}
    found: dict[str, dict[str, set[Any]]] = {"directions": {}, "routes": {}, "stops": {}}
    for trip in net.trips:
        if trip.service_id in services:
            for stop_id, _ in net.patterns[trip.pattern]:
                stop = physical[stop_id]
                found["directions"].setdefault(stop, set()).add(trip.direction_id)
                found["routes"].setdefault(stop, set()).add(trip.route_id)
                found["stops"].setdefault(trip.route_id, set()).add(stop)
    return found


def _one_way_stops(ref: dict[str, Any], net: network.Network, service: dict[str, dict[str, set[Any]]]
                   ) -> dict[str, Any]:
    """The stops served in one direction only on the date: the counts a memo may give (those stops, or every
    stop with no departure in one direction, unserved stops included), the routes that call there and the
    streets they stand on."""
    routes = service["routes"]
    one_way = [s for s, d in service["directions"].items() if len(d) == 1]
    names = {s.stop_id: s.name for s in net.stops}
    counts = {len(one_way), sum(v["worst_headway_min"] >= 720 for v in ref["stops"].values())}
    return {"counts": counts, "routes": set().union(*(routes[s] for s in one_way)),
            "streets": {names[s].split(" & ")[0].rsplit(" ", 1)[0].casefold() for s in one_way}}


def _distinct(long_name: str) -> list[str]:
    """The words of a route's name that name it alone ("circulator"; not "main" or "street")."""
    return [w for w in long_name.casefold().split() if len(w) >= 6 and not re.fullmatch(STREET_TYPE, w)]


def _names_route(sentence: str, route_id: str, long_name: str) -> bool:
    return long_name.casefold() in sentence or re.search(
        rf"\b(?:route|routes|line|lines|rt\.?)\s*(?:\d+\s*(?:,|and|&)\s*)*{re.escape(route_id)}\b", sentence) is not None


def _limiting_routes(params: Params, ref: dict[str, Any], net: network.Network) -> list[tuple[str, str, list[float]]]:
    """(route_id, long name, headways) of every route that falls short of the threshold on the date: no service,
    or a direction whose peak or midday scheduled headway is missing or longer than the threshold."""
    rows: dict[str, list[Any]] = {}
    for r in ref["routes"]:
        rows.setdefault(r["route_id"], []).extend((r["peak_headway_min"], r["midday_headway_min"]))
    short = [route for route in net.routes
             if route[0] not in rows or any(v is None or v > params["threshold_min"] + 1e-9 for v in rows[route[0]])
             or len(rows[route[0]]) < 4]
    return [(route_id, long_name.split(" (")[0], [v for v in rows.get(route_id, []) if v is not None])
            for route_id, _, long_name, _ in short]


ROUTE_REFERENCE = re.compile(r"\b(?:route|routes|line|lines|rt\.?)\s*(?:\d+[a-z]?\s*(?:,|and|&|/)\s*)*\d+[a-z]?\b"
                             r"|\b\d+[a-z]\b")
CLOCK = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b")
CLAUSE = re.compile(r",?\s*\b(?:but|while|whereas|although|though|however)\b")
MEETS = re.compile(r"\b(?:meets?|meeting|qualif(?:y|ies)|satisf(?:y|ies)|frequent all day|run frequently)\b")
FALSE_SHORT = re.compile(r"below|short of|falls? short|fail|not\s+(?:meet|reach|frequent|qualif)|n't\s+(?:meet|reach|"
                         r"qualif)|infrequent|less\s+frequent|too\s+(?:long|wide|sparse)")
CALLED_SHORT = re.compile(r"short of|falls? short|fail|miss|not\s+(?:meet|reach|frequent|qualif)|n't\s+(?:meet|reach|"
                          r"qualif)|infrequent|less\s+frequent|exceed|too\s+(?:long|wide|sparse)")
NEGATED = re.compile(r"\bnot\b|n't\b|\bnever\b|\bno\b|\bcannot\b|\bneither\b|\bnor\b|\bunable\b|\bexcept\b|"
                     r"other than|apart from")


# a clause that denies the network any limit: nothing limits it, it has no limits, or every route meets the
# standard (no route falls short)
NOTHING_LIMITS = re.compile(r"\bnothing\s+(?:\w+\s+)?(?:limits|constrains|restricts|holds\s+back)\b"
                            r"(?!.*\b(?:more|as much)\b)|\bno\s+(?:\w+\s+)?(?:limits?|limitations?|constraints?)\s+"
                            r"(?:on|to|for)\s+(?:the\s+)?(?:frequent\s+)?network"
                            r"|\b(?:is|are)\s+(?:not|never|in\s+no\s+way)\s+(?:limited|constrained)\b")
EVERY_ROUTE_MEETS = re.compile(r"\b(?:every|each|all)\s+(?:of\s+)?(?:the\s+)?(?:(?:bus|transit|\d+)\s+)?"
                               r"(?:routes?|lines?)\b(?!\s*(?:'s|that|which|with|whose|where))[^;]*?"
                               r"\b(?:meets?|qualif(?:y|ies)|satisf(?:y|ies)|runs?\s+frequently|"
                               r"(?:is|are)\s+frequent)\b"
                               r"|\b(?:no|none\s+of\s+the)\s+(?:(?:bus|transit)\s+)?(?:routes?|lines?)\s+(?:\w+\s+)?"
                               r"(?:falls?\s+short|fails?|(?:is|are)\s+(?:below|infrequent))")
EXCEPTED = re.compile(r"\b(?:else|other|others|except|excepting|apart|aside|besides|beyond|must|should|would|could|"
                      r"needs?)\b")
SUPPOSED = re.compile(r"\b(?:if|when|unless|whether|not|never)\b|n't\b")


def _denies_limits(clause: str) -> bool:
    """The clause denies the network any limit: no exception or requirement in the denial or before it, no
    condition or negation before it, and none in a denial that every route meets the standard."""
    return any(not EXCEPTED.search(clause[:m.end()]) and not SUPPOSED.search(clause[:m.start()])
               and not (pattern is EVERY_ROUTE_MEETS and SUPPOSED.search(m.group()))
               for pattern in (NOTHING_LIMITS, EVERY_ROUTE_MEETS) for m in pattern.finditer(clause))


def _clauses(sentences: list[str]) -> list[str]:
    """Each sentence's clauses: a contrast ("but", "while", "whereas") starts a new one."""
    return [c for s in sentences for c in CLAUSE.split(s) if c.strip()]


def _figures(clause: str) -> list[float]:
    """The clause's numbers, clock times, route numbers and branch letters ("route 5", "routes 2 and 7", "3a")
    left out."""
    return _memo_numbers(ROUTE_REFERENCE.sub(" ", CLOCK.sub(" ", clause)))


def _grade_limits(g: Grading, params: Params, ref: dict[str, Any], memo: str) -> None:
    """What limits the network, told for this network: one-direction service placed (the routes or streets
    served one way, or the number of such stops), or a route short of the standard named with its headway or
    its shortfall. A clause that lists the feed's routes or streets wholesale, says a short route meets the
    standard, or piles up candidate figures places nothing."""
    sentences = _sentences(memo)
    clauses = _clauses(sentences) + sentences
    net = network.build(params["seed"], params["service_date"].replace("-", ""), params["threshold_min"])
    limiting = _limiting_routes(params, ref, net)
    short_ids = {rid for rid, _, _ in limiting}
    meeting = [(rid, long_name.split(" (")[0]) for rid, _, long_name, _ in net.routes if rid not in short_ids]

    def named_meeting(clause: str) -> int:
        return sum(_names_route(clause, rid, name) for rid, name in meeting)

    def contradicted(clause: str) -> bool:  # says a route meets the standard, with no negation in the clause
        return MEETS.search(clause) is not None and not (SHORTFALL.search(clause) or NEGATED.search(clause))

    def with_headway(clause: str, headways: list[float]) -> bool:  # its own headway among a few figures
        figures = _figures(clause)
        named = sum(_names_route(clause, rid, long_name.split(" (")[0]) for rid, _, long_name, _ in net.routes)
        return (any(abs(n - h) <= 0.5 for n in figures for h in headways) and len(figures) <= 6
                and (named_meeting(clause) == 0 or (named_meeting(clause) == 1 and named <= 2)))

    routes = [rid for rid, name, headways in limiting for c in clauses
              if _names_route(c, rid, name) and not contradicted(c)
              and ((SHORTFALL.search(c) and not named_meeting(c)) or with_headway(c, headways))]
    service = _service(params, net)
    one = _one_way_stops(ref, net, service)
    # a route every stop of which is frequent, said on its own to fall short or to run less often than the
    # standard: the memo names routes short without knowing which, and its route statements place nothing
    all_frequent = {rid for rid, stop_ids in service["stops"].items()
                    if all(ref["stops"][s]["frequent"] for s in stop_ids)}
    if any(_names_route(c, rid, name) and not MEETS.search(c) and not any(_names_route(c, r, n) for r, n, _ in limiting)
           and (FALSE_SHORT.search(c) or any(n > params["threshold_min"] + 0.5 for n in _figures(c)))
           for c in _clauses(sentences) for rid, name in meeting if rid in all_frequent):
        routes = []
    # a memo that gives routes meeting the standard their headways as it gives the short ones theirs (a table of
    # every route's headways) singles nothing out by a headway alone: a short route then counts only where the
    # memo says it falls short, and not at all when it says so of a route that meets the standard
    own: dict[str, list[float]] = {}
    for r in ref["routes"]:
        own.setdefault(r["route_id"], []).extend(v for v in (r["peak_headway_min"], r["midday_headway_min"])
                                                 if v is not None)
    every = [(rid, long_name.split(" (")[0]) for rid, _, long_name, _ in net.routes]
    listing = [c for c in _clauses(sentences) for rid, name in meeting
               if _names_route(c, rid, name) and sum(_names_route(c, r, n) for r, n in every) == 1
               and not MEETS.search(c) and any(abs(n - h) <= 0.5 for n in _figures(c) for h in own.get(rid, []))]
    if listing and routes:
        routes = [] if any(CALLED_SHORT.search(c) and not NEGATED.search(c) for c in listing) else [
            rid for rid, name, _ in limiting for c in clauses if _names_route(c, rid, name) and not contradicted(c)
            and CALLED_SHORT.search(c) and not named_meeting(c)]
    one_way_routes = [(rid, long_name.split(" (")[0]) for rid, _, long_name, _ in net.routes if rid in one["routes"]]
    two_way_routes = [(rid, long_name.split(" (")[0]) for rid, _, long_name, _ in net.routes
                      if rid not in one["routes"]]
    streets = {s.name.split(" & ")[0].rsplit(" ", 1)[0].casefold() for s in net.stops}

    def street_named(clause: str, street: str) -> bool:
        return re.search(rf"\b{re.escape(street)}\s+{STREET_TYPE}", clause) is not None

    def wholesale(clause: str) -> bool:  # three or more streets or routes with no one-way stop named as one-way
        return (sum(street_named(clause, street) for street in streets - one["streets"])
                + sum(_names_route(clause, rid, name) for rid, name in two_way_routes)) >= 3

    # the same across the memo: one-direction service told of street after street or route after route, or a
    # count of stops after count, one sentence each, places nothing either, and a memo that tells it of three
    # or more streets or routes served both ways says nothing of this network's routes that counts
    told = [c for c in clauses if ONE_DIRECTION.search(c)]
    where = (sum(any(street_named(c, street) for c in told) for street in streets - one["streets"])
             + sum(any(_names_route(c, rid, name) for c in told) for rid, name in two_way_routes)) < 3
    # a count is told once: the figures the memo's one-direction statements give, the plan's own figures, the
    # date, the routes' headways, the stop totals and direction ids aside, must be that count or a breakdown of
    # it (parts that add up to no more than it), not candidates beside it, in one sentence or spread over many
    day = dt.date.fromisoformat(params["service_date"])
    plan = {params["threshold_min"], params["buffer_m"], params["detour"], day.year, day.month, day.day, 0, 1,
            len(ref["stops"]), len(net.stops)}
    headways = [h for hs in own.values() for h in hs]
    stated = {n for c in told for n in _figures(c)}
    beside = {n for n in stated if n not in plan and not any(abs(n - h) < 0.5 for h in headways)}
    how_many = any(k in stated and sum(beside - {k}) <= k for k in one["counts"])
    routes = routes if where else []
    placed = [c for c in told if not wholesale(c) and (
        (where and (any(_names_route(c, rid, name) or any(w in c.split() for w in _distinct(name))
                        for rid, name in one_way_routes) or any(street_named(c, street) for street in one["streets"])))
        or (how_many and one["counts"] & set(_figures(c)) and len(_figures(c)) <= 3))]
    denied = [c.strip() for c in _clauses(sentences) if _denies_limits(c)] if limiting or one["counts"] - {0} else []
    if denied:
        placed, routes = [], []
    g.check("memo says what limits the frequent network (one-direction service or the routes short of the standard)",
            bool(placed or routes), weight=1,
            expected={"one-direction service at": sorted(one["streets"]), "or any of": [f"route {r} {n}" for r, n, _ in
                                                                                       limiting]},
            reason=f"the memo denies the network any limit: {denied[0]!r}" if denied else
            "" if placed or routes else "the memo neither places one-direction service (where, or how many "
                                                "stops) nor names a route below the standard with its headway or "
                                                "shortfall, clause by clause")


def grade(g: Grading) -> None:
    ref = g.reference_json("reference.json")
    if not g.require_files(*DELIVERABLES):
        return
    stops = g.read_csv("stop_frequency.csv", required_columns=("stop_id", "worst_headway_min", "frequent"))
    routes = g.read_csv("route_headways.csv",
                        required_columns=("route_id", "direction_id", "peak_headway_min", "midday_headway_min"))
    cov = g.read_json("coverage.json")
    memo = g.read_text("coverage_memo.md")
    if not isinstance(cov, dict):
        g.check("coverage.json is an object", False, gate=True, weight=0)
        return
    if stops is None or routes is None or memo is None:
        return
    marked = _grade_stops(g, ref, stops)
    _grade_routes(g, ref, routes)
    _grade_coverage(g, ref, cov, marked)
    _grade_memo(g, g.params, cov, memo)
    _grade_limits(g, g.params, ref, memo)
