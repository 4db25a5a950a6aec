#!/usr/bin/env python3
"""Plausible fabrication for physical_sciences/observing_plan: right files and columns, guessed numbers.

No ephemeris: the night is assumed to run 20:00-05:00 local (local time from the longitude),
transits come from a rough sidereal-time formula, every target is declared observable all night,
and the plan packs the targets in list order from the assumed start of the night.
"""
# ALE-CANARY-7d7b483a-cdd5-4017-b207-2cb28fc35e29

import csv
import datetime as dt
import json
import os
from pathlib import Path

IN, OUT = Path(os.environ["ALE_INPUT_DIR"]), Path(os.environ["ALE_OUTPUT_DIR"])
site = json.loads((IN / "observatory.json").read_text())
cons = json.loads((IN / "constraints.json").read_text())
with open(IN / "targets.csv") as handle:
    targets = list(csv.DictReader(handle))

offset = dt.timedelta(hours=site["longitude_deg"] / 15)
day = dt.datetime.fromisoformat(site["night_of"])
start = day + dt.timedelta(hours=20) - offset
end = day + dt.timedelta(hours=29) - offset
mid = start + (end - start) / 2


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def hours(text):
    h, m, s = (float(x) for x in text.split(":"))
    return h + m / 60 + s / 3600


def degrees(text):
    sign = -1 if text.strip().startswith("-") else 1
    d, m, s = (abs(float(x)) for x in text.split(":"))
    return sign * (d + m / 60 + s / 3600)


j2000 = dt.datetime(2000, 1, 1, 12)
rows, plan, t = [], [], start
for target in targets:
    ra_h = hours(target["ra_j2000"])
    lst_mid = (18.697 + 24.0657 * (mid - j2000).total_seconds() / 86400 + site["longitude_deg"] / 15) % 24
    ha = (lst_mid - ra_h + 12) % 24 - 12
    transit = mid - dt.timedelta(hours=ha)
    rows.append({"name": target["name"], "ra_deg": round(ra_h * 15, 5), "dec_deg": round(degrees(target["dec_j2000"]), 5),
                 "rise_utc": iso(transit - dt.timedelta(hours=6)), "transit_utc": iso(transit),
                 "set_utc": iso(transit + dt.timedelta(hours=6)), "max_altitude_deg": 60.0, "min_airmass": 1.155,
                 "moon_separation_deg": 90.0, "window_start_utc": iso(start), "window_end_utc": iso(end),
                 "hours_observable": 9.0, "observable": "yes"})
    length = dt.timedelta(minutes=int(target["exposure_min"]))
    if t + length <= end:
        plan.append({"order": len(plan) + 1, "name": target["name"], "start_utc": iso(t), "end_utc": iso(t + length),
                     "priority": int(target["priority"]), "exposure_min": int(target["exposure_min"]),
                     "airmass_start": 1.2, "airmass_mid": 1.2, "airmass_end": 1.2, "moon_separation_deg": 90.0})
        t += length + dt.timedelta(minutes=cons["overhead_min"])
for name, table in (("observability.csv", rows), ("night_plan.csv", plan)):
    with open(OUT / name, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
summary = {
    "site": site["name"], "night_of": site["night_of"], "sunset_utc": iso(start - dt.timedelta(hours=1.5)),
    "sunrise_utc": iso(end + dt.timedelta(hours=1.5)), "dark_start_utc": iso(start), "dark_end_utc": iso(end),
    "dark_hours": 9.0, "moon_illumination": 0.5,
    "scheduled": [{"name": b["name"], "start_utc": b["start_utc"], "end_utc": b["end_utc"], "ra_deg": 0.0,
                   "dec_deg": 0.0, "alt_deg_mid": 56.4, "az_deg_mid": 180.0, "airmass_mid": 1.2, "vmag": 12.0}
                  for b in plan],
    "total_priority": sum(b["priority"] for b in plan), "unscheduled_observable": [],
}
(OUT / "summary.json").write_text(json.dumps(summary, indent=2))
