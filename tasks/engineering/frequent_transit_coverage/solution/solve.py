#!/usr/bin/env python3
"""Oracle for engineering/frequent_transit_coverage: gtfs-kit for the service day, geopandas for coverage.

Reads the plan's parameters from the instruction, takes the trips gtfs-kit finds active on the service
date (calendar and calendar_dates), expands frequencies.txt, merges the duplicated stop, computes every
stop's worst headway per direction over 07:00-19:00 and each route's peak and midday headway, then
buffers the frequent stops in EPSG:32616 and sums the blocks inside.

Run under another name (the adversaries/ symlinks), it takes one shortcut instead:
- average_headway: the span divided by the number of departures instead of the worst gap;
- span_edges_ignored: the worst gap between consecutive departures in the span only, without the waits from
  07:00 to the first departure and from the last to 19:00;
- calendar_only: the services of calendar.txt alone, calendar_dates.txt ignored;
- degrees_as_metres: the buffer drawn in longitude/latitude degrees (metres / 111,320), no projection;
- one_direction: direction 0 only, for the stops and the route table.
- routes_not_pooled: each route's departures taken alone at a stop (never pooled across routes), the stop's worst
  headway that of its best route.
- threshold_strict: a stop is frequent when its worst headway is under the threshold (`<` for `<=`).
- no_limits: the memo without its paragraph on what limits the frequent network.
- figures_swapped: the memo gives the population's figures to the jobs and the jobs' to the population.
- contradicted_limits: the paragraph names the routes below the standard, but as meeting it.
- generic_limits: that paragraph reduced to a remark true of any network, with nothing of this one in it
  (neither where one-direction service runs nor how many stops, nor a route short of the standard).
- every_route_short: that paragraph names every route of routes.txt as falling short at times.
- each_route_short: that paragraph says of each route in turn, one sentence each, that it falls short.
- every_street_one_way: that paragraph lists every street of stops.txt as where one-way service runs.
- count_pile: that paragraph gives a run of candidate counts of one-way stops instead of the count.
- each_street_one_way: that paragraph says of each street of stops.txt in turn, one sentence each, that its
  stops are served in one direction only.
- each_count_one_way: that paragraph gives candidate counts of one-way stops, one sentence each.
- count_spread: that paragraph gives candidate counts of one-way service three to a sentence ("n, n+1 or n+2
  of them"), never a number of stops as such.
- limits_denied: the oracle's memo, closed by 'nothing limits the frequent network: every route meets the
  standard all day'.
- figures_contradicted: the oracle's memo, plus a sentence giving half the covered residents and jobs as the count.
- headway_table: that paragraph replaced by every route's scheduled headways, one line per route and
  direction, with nothing said of which fall short (the short routes' headways are in it, unmarked).
"""

import itertools
import json
import os
import re
from pathlib import Path

import geopandas as gpd
import gtfs_kit as gk
import pandas as pd

INPUT, OUTPUT = Path(os.environ["ALE_INPUT_DIR"]), Path(os.environ["ALE_OUTPUT_DIR"])
SHORTCUT = Path(__file__).name.removesuffix(".py")
BRIEF = Path(os.environ["ALE_INSTRUCTION"]).read_text() if os.environ.get("ALE_INSTRUCTION") else ""
SPAN, PEAK, MIDDAY = (7 * 3600, 19 * 3600), (7 * 3600, 9 * 3600), (10 * 3600, 14 * 3600)
CRS = "EPSG:32616"


def plan() -> dict:
    return {"date": re.search(r"service date\s+\*\*(\d{4}-\d{2}-\d{2})", BRIEF).group(1),
            "threshold": int(re.search(r"\*\*(\d+) minutes or less", BRIEF).group(1)),
            "buffer": int(re.search(r"\*\*(\d+) m walking distance", BRIEF).group(1)),
            "detour": float(re.search(r"detour factor of \*\*([\d.]+)", BRIEF).group(1))}


def seconds(text: pd.Series) -> pd.Series:
    parts = text.str.strip().str.split(":", expand=True).astype(int)
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


def active_trips(feed: gk.Feed, date: str) -> pd.DataFrame:
    if SHORTCUT != "calendar_only":
        return feed.get_trips(date)
    day = pd.Timestamp(date).day_name().lower()
    cal = feed.calendar
    running = cal.loc[(cal[day] == 1) & (cal["start_date"] <= date) & (cal["end_date"] >= date), "service_id"]
    return feed.trips[feed.trips["service_id"].isin(running)]


def physical_stops(stops: gpd.GeoDataFrame) -> dict[str, str]:
    """stop_id -> the stop_id listed first among records of one physical stop (same name, < 10 m)."""
    first: dict[str, str] = {}
    projected = stops.to_crs(CRS)
    for _, group in projected.groupby("stop_name", sort=False):
        ids, points = list(group["stop_id"]), list(group.geometry)
        for i, stop_id in enumerate(ids):
            first[stop_id] = next((ids[j] for j in range(i) if points[j].distance(points[i]) < 10), stop_id)
    return first


def worst_headway(times: list[int]) -> float:
    inside = sorted(t for t in times if SPAN[0] <= t <= SPAN[1])
    if SHORTCUT == "average_headway":
        return (SPAN[1] - SPAN[0]) / len(inside) if inside else SPAN[1] - SPAN[0]
    if SHORTCUT == "span_edges_ignored" and len(inside) > 1:
        return max(b - a for a, b in itertools.pairwise(inside))
    points = [SPAN[0], *inside, SPAN[1]]
    return max(b - a for a, b in itertools.pairwise(points))


def main() -> None:
    p = plan()
    date = p["date"].replace("-", "")
    feed = gk.expand_frequencies(gk.read_feed(INPUT / "lakeview_gtfs.zip", dist_units="km"))
    trips = active_trips(feed, date)
    if SHORTCUT == "one_direction":
        trips = trips[trips["direction_id"] == 0]
    st = feed.stop_times.merge(trips[["trip_id", "route_id", "direction_id"]], on="trip_id")
    st["dep"] = seconds(st["departure_time"])
    stops = feed.get_stops(as_gdf=True)
    merged = physical_stops(stops)
    st["physical"] = st["stop_id"].map(merged)

    directions = (0,) if SHORTCUT == "one_direction" else (0, 1)
    pooled = SHORTCUT != "routes_not_pooled"
    st["service"] = "all routes" if pooled else st["route_id"]
    by_stop = st.groupby(["physical", "service", "direction_id"])["dep"].apply(list).to_dict()
    serving = st.groupby("physical")["service"].unique().to_dict()
    rows = []
    for _, stop in stops.iterrows():
        if merged[stop["stop_id"]] != stop["stop_id"]:
            continue
        worst = min(max(worst_headway(by_stop.get((stop["stop_id"], service, d), [])) for d in directions)
                    for service in serving.get(stop["stop_id"], ["all routes"])) / 60
        frequent = worst < p["threshold"] if SHORTCUT == "threshold_strict" else worst <= p["threshold"]
        rows.append({"stop_id": stop["stop_id"], "stop_name": stop["stop_name"],
                     "worst_headway_min": round(worst, 2), "frequent": "yes" if frequent else "no"})
    table = pd.DataFrame(rows)
    table.to_csv(OUTPUT / "stop_frequency.csv", index=False)

    first = st.groupby("trip_id").agg(route_id=("route_id", "first"), direction_id=("direction_id", "first"),
                                      start=("dep", "min"))
    route_rows = []
    for (route, direction), group in first.groupby(["route_id", "direction_id"]):
        row = {"route_id": route, "direction_id": int(direction)}
        for label, (a, z) in (("peak", PEAK), ("midday", MIDDAY)):
            count = int(((group["start"] >= a) & (group["start"] < z)).sum())
            row[f"{label}_headway_min"] = f"{(z - a) / 60 / count:.2f}" if count else ""
        route_rows.append(row)
    pd.DataFrame(route_rows).to_csv(OUTPUT / "route_headways.csv", index=False)

    frequent_ids = set(table.loc[table["frequent"] == "yes", "stop_id"])
    frequent = stops[stops["stop_id"].map(merged).isin(frequent_ids)]
    blocks = gpd.read_file(INPUT / "census_blocks.geojson")
    reach = p["buffer"] / p["detour"]
    if SHORTCUT == "degrees_as_metres":
        area = frequent.geometry.buffer(reach / 111_320).union_all()
        inside = blocks.geometry.within(area)
    else:
        area = frequent.to_crs(CRS).geometry.buffer(reach, resolution=64).union_all()
        inside = blocks.to_crs(CRS).geometry.within(area)
    pop, jobs = int(blocks["POP20"].sum()), int(blocks["JOBS_C000"].sum())
    pop_cov, jobs_cov = int(blocks.loc[inside, "POP20"].sum()), int(blocks.loc[inside, "JOBS_C000"].sum())
    coverage = {"service_date": p["date"], "threshold_min": p["threshold"], "buffer_m": p["buffer"],
                "frequent_stops": len(frequent_ids), "population_total": pop, "jobs_total": jobs,
                "population_covered": pop_cov, "jobs_covered": jobs_cov,
                "population_share": round(pop_cov / pop, 6), "jobs_share": round(jobs_cov / jobs, 6)}
    (OUTPUT / "coverage.json").write_text(json.dumps(coverage, indent=2))
    if SHORTCUT == "headway_table":
        listed = [f"Route {r['route_id']} direction {r['direction_id']}: peak {r['peak_headway_min'] or 'none'} min, "
                  f"midday {r['midday_headway_min'] or 'none'} min." for r in route_rows]
        write_memo(coverage, p, table, listed, feed)
        return
    write_memo(coverage, p, table, limiting_routes(p, feed, route_rows), feed)


def limiting_routes(p: dict, feed: gk.Feed, route_rows: list[dict]) -> list[str]:
    """One line per route short of the standard on the date: no service, one direction only, or a peak or
    midday headway longer than the threshold (or none), with its headways."""
    by_route: dict[str, list[dict]] = {}
    for row in route_rows:
        by_route.setdefault(str(row["route_id"]), []).append(row)
    lines = []
    for _, route in feed.routes.iterrows():
        rid, name = str(route["route_id"]), route["route_long_name"]
        rows = by_route.get(rid, [])
        if not rows:
            lines.append(f"- Route {rid} ({name}) has no service on the service date.")
            continue
        values = [row[f"{k}_headway_min"] for row in rows for k in ("peak", "midday")]
        if len(rows) == 2 and all(v != "" and float(v) <= p["threshold"] for v in values):
            continue
        told = "; ".join(f"direction {row['direction_id']}: peak {row['peak_headway_min'] or 'none'}, midday "
                         f"{row['midday_headway_min'] or 'none'} min" for row in rows)
        one_way = ", one direction only" if len(rows) == 1 else ""
        lines.append(f"- Route {rid} ({name}) falls short of the {p['threshold']}-minute standard{one_way} ({told}).")
    return lines


def write_memo(c: dict, p: dict, table: pd.DataFrame, short: list[str], feed: gk.Feed) -> None:
    one_way = int((table["worst_headway_min"] >= 720).sum())
    pop, jobs = ("jobs_", "population_") if SHORTCUT == "figures_swapped" else ("population_", "jobs_")
    limits = f"""**What limits the frequent network.** {one_way} stops have no departure in one direction over the
span (one-way streets and the one-way circulator loop, or no service on the date) and cannot qualify
under the both-directions rule. Routes short of the standard on the date:

""" + "\n".join(short) + "\n"
    if SHORTCUT == "contradicted_limits":
        named = ", ".join(line.split(" (")[0].removeprefix("- Route ") for line in short)
        limits = f"**What limits the frequent network.** Routes {named} all meet the standard and run frequently all day.\n"
    if SHORTCUT == "every_route_short":
        listed = ", ".join(map(str, feed.routes["route_id"]))
        limits = f"**What limits the frequent network.** Routes {listed} fall short of the standard at times.\n"
    if SHORTCUT == "each_route_short":
        limits = "**What limits the frequent network.** " + " ".join(
            f"Route {rid} falls short of the standard." for rid in feed.routes["route_id"]) + "\n"
    if SHORTCUT == "every_street_one_way":
        listed = ", ".join(dict.fromkeys(name.split(" & ")[0] for name in table["stop_name"]))
        limits = f"**What limits the frequent network.** One-way service on {listed} keeps stops off the network.\n"
    if SHORTCUT == "count_pile":
        listed = ", ".join(str(n) for n in range(4, 80, 2))
        limits = f"**What limits the frequent network.** Stops served one way only number {listed}, depending.\n"
    if SHORTCUT == "each_street_one_way":
        limits = "**What limits the frequent network.** " + " ".join(
            f"Stops on {street} are served in one direction only."
            for street in dict.fromkeys(name.split(" & ")[0] for name in table["stop_name"])) + "\n"
    if SHORTCUT == "each_count_one_way":
        limits = "**What limits the frequent network.** " + " ".join(
            f"{n} stops are served in one direction only." for n in range(2, 60)) + "\n"
    if SHORTCUT == "headway_table":
        limits = "**Scheduled headways by route.**\n\n" + "\n".join(short) + "\n"
    if SHORTCUT == "count_spread":
        limits = "**What limits the frequent network.** " + " ".join(
            f"One-way service: {n}, {n + 1} or {n + 2} of them." for n in range(1, 90, 3)) + "\n"
    if SHORTCUT == "generic_limits":
        limits = ("**What limits the frequent network.** Stops served in one direction only cannot qualify, and "
                  "some routes run less often.\n")
    if SHORTCUT == "limits_denied":
        limits += "\nIn short, nothing limits the frequent network: every route meets the standard all day.\n"
    if SHORTCUT == "figures_contradicted":
        limits += (f"\nOn a corrected count the frequent network reaches only {c['population_covered'] // 2:,} residents "
                   f"and {c['jobs_covered'] // 2:,} jobs.\n")
    memo = f"""# Frequent transit network coverage

**Standard applied.** A stop is frequent when the longest wait between 07:00 and 19:00 on the service
date {p['date']} is {p['threshold']} min or less in both directions; coverage counts census blocks whose
internal point lies within {p['buffer']} m walking distance (straight line in EPSG:32616 x {p['detour']})
of a frequent stop.

**Result.** {c['frequent_stops']} stops meet the standard. They reach {c[pop + 'covered']:,} residents
({100 * c[pop + 'share']:.1f}% of {c['population_total']:,}) and {c[jobs + 'covered']:,} jobs
({100 * c[jobs + 'share']:.1f}% of {c['jobs_total']:,}).

""" + ("" if SHORTCUT == "no_limits" else limits)
    (OUTPUT / "coverage_memo.md").write_text(memo)


if __name__ == "__main__":
    main()
