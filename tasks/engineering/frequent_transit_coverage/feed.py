"""Writers of the instance's inputs: the agency's GTFS zip and the census block centroids (GeoJSON)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from . import network

STAMP = (2026, 11, 30, 6, 0, 0)


def _time(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_gtfs(path: Path, net: network.Network, lonlat: list[tuple[float, float]]) -> None:
    """The feed as the agency publishes it (CRLF lines, one stop_id for both sides of the street)."""
    files = {
        "agency.txt": _table(["agency_id", "agency_name", "agency_url", "agency_timezone", "agency_phone"],
                             [["LATA", "Lakeview Area Transit Authority", "https://www.ridelata.example",
                               "America/Detroit", "269-555-0140"]]),
        "feed_info.txt": _table(["feed_publisher_name", "feed_publisher_url", "feed_lang", "feed_start_date",
                                 "feed_end_date", "feed_version"],
                                [["Lakeview Area Transit Authority", "https://www.ridelata.example", "en",
                                  *network.CALENDAR_RANGE, "2026.08.24"]]),
        "routes.txt": _table(["route_id", "agency_id", "route_short_name", "route_long_name", "route_type",
                              "route_color", "route_text_color"],
                             [[r, "LATA", short, long, 3, colour, "FFFFFF"] for r, short, long, colour in net.routes]),
        "stops.txt": _table(["stop_id", "stop_code", "stop_name", "stop_lat", "stop_lon", "location_type",
                             "wheelchair_boarding"],
                            [[s.stop_id, s.stop_id, s.name, f"{lat:.6f}", f"{lon:.6f}", 0, 1]
                             for s, (lon, lat) in zip(net.stops, lonlat, strict=True)]),
        "calendar.txt": _table(["service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                                "sunday", "start_date", "end_date"],
                               [[service, *days, *network.CALENDAR_RANGE] for service, days in network.CALENDAR.items()]),
        "calendar_dates.txt": _table(["service_id", "date", "exception_type"],
                                     [[service, date, kind] for date, service, kind in network.calendar_dates()]),
        "trips.txt": _table(["route_id", "service_id", "trip_id", "trip_headsign", "direction_id", "block_id"],
                            [[t.route_id, t.service_id, t.trip_id, t.headsign, t.direction_id, ""] for t in net.trips]),
        "stop_times.txt": _table(
            ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence", "timepoint"],
            [[t.trip_id, _time(t.start + offset), _time(t.start + offset), stop_id, seq + 1,
              1 if seq % 4 == 0 else 0]
             for t in net.trips for seq, (stop_id, offset) in enumerate(net.patterns[t.pattern])]),
        "frequencies.txt": _table(["trip_id", "start_time", "end_time", "headway_secs", "exact_times"],
                                  [[t.trip_id, _time(a), _time(b), h, 0] for t in net.trips for a, b, h in t.frequencies]),
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)


def write_blocks(path: Path, blocks: list[dict[str, Any]], lonlat: list[tuple[float, float]]) -> None:
    """2020 census block internal points with resident population (P1) and LEHD WAC total jobs (C000)."""
    features = [{"type": "Feature", "properties": {"GEOID20": b["geoid"], "POP20": b["pop"], "JOBS_C000": b["jobs"]},
                 "geometry": {"type": "Point", "coordinates": [lon, lat]}}
                for b, (lon, lat) in zip(blocks, lonlat, strict=True)]
    path.write_text(json.dumps({"type": "FeatureCollection", "name": "census_blocks_2020_internal_points",
                                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
                                "features": features}))
