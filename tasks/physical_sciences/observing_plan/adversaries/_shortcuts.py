#!/usr/bin/env python3
"""Near-miss shortcuts on the observing plan; the script's name picks the shortcut.

- finder_from_transit: the summary's finder alt/az and airmass are the target's best over the
  night (meridian, due south or north) instead of the values at the block's middle.
- plan_edges_copied: the plan's start and end airmass repeat the mid-block value, and its Moon
  distance is the mid-night value from the observability table.
- geocentric_moon: the Moon's position is taken geocentric (no observatory), so every Moon
  distance carries up to a degree of parallax.
- moon_blind: the Moon limit is left out of the observable windows and the plan (airmass and dark
  window only), so a target high enough but too close to the Moon passes for observable.
- observable_total_time: a target counts as observable when its time within the limits adds up to its
  block, whether or not one continuous stretch holds the block (a window broken by the lower
  culmination passes for one).
- backup_list_unfiltered: everything right, but the summary's backup list is every target left
  out of the plan, without judging which of them can actually be observed tonight.
- priority_blind: the plan never reads the priorities: over and over, the feasible block that ends
  first (the most blocks a night holds), so the priorities decide nothing.
- j2000_as_apparent: the catalogue J2000 place is taken for the apparent place of date (no precession,
  nutation or aberration), for altitudes and Moon distances alike: a quarter-century of precession.
- apparent_as_j2000: the reverse: the place is carried to the apparent place of date (at the middle of
  the night) and then handed to astropy as if it were J2000, so precession counts twice.
"""
# ALE-CANARY-7d7b483a-cdd5-4017-b207-2cb28fc35e29

import csv
import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np
from astropy.utils import iers

iers.conf.auto_download = False
iers.conf.auto_max_age = None
warnings.filterwarnings("ignore")

import astropy.units as u  # noqa: E402
from astropy.coordinates import TETE, AltAz, EarthLocation, SkyCoord, get_body, get_sun  # noqa: E402
from astropy.time import Time  # noqa: E402

MODE = Path(sys.argv[0]).stem
IN, OUT = Path(os.environ["ALE_INPUT_DIR"]), Path(os.environ["ALE_OUTPUT_DIR"])
site = json.loads((IN / "observatory.json").read_text())
cons = json.loads((IN / "constraints.json").read_text())
with open(IN / "targets.csv") as handle:
    targets = list(csv.DictReader(handle))
coords = SkyCoord([t["ra_j2000"] for t in targets], [t["dec_j2000"] for t in targets], unit=(u.hourangle, u.deg))
location = EarthLocation(lat=site["latitude_deg"] * u.deg, lon=site["longitude_deg"] * u.deg,
                         height=site["elevation_m"] * u.m)
MIN = np.timedelta64(1, "m")


def tm(values):
    return Time(values.astype("datetime64[ns]"), scale="utc")


def altitudes(sky, values):
    t = tm(values)
    return sky.transform_to(AltAz(obstime=t, location=location)).alt.deg


def placed(idx, values):
    """The targets ``idx`` at the times ``values`` (targets x times), as the shortcut places them."""
    if MODE == "j2000_as_apparent":
        shape = (len(idx), len(values))
        return SkyCoord(ra=np.broadcast_to(coords.ra.deg[idx][:, None], shape) * u.deg,
                        dec=np.broadcast_to(coords.dec.deg[idx][:, None], shape) * u.deg,
                        frame=TETE(obstime=tm(np.broadcast_to(values, shape)), location=location))
    return catalogue[idx][:, None]


def target_alt(idx, values):
    t = tm(values)
    return placed(idx, values).transform_to(AltAz(obstime=t[None, :], location=location)).alt.deg


def crossings(times, values, level):
    above = values >= level
    out = []
    for i in np.nonzero(above[1:] != above[:-1])[0]:
        frac = (level - values[i]) / (values[i + 1] - values[i])
        seconds = (times[i + 1] - times[i]).astype("timedelta64[s]").astype(float)
        out.append((times[i] + np.timedelta64(round(frac * seconds), "s"), 1 if above[i + 1] else -1))
    return out


def iso(value):
    return "" if value is None else str(np.datetime64(value, "s")) + "Z"


def secz(alt):
    with np.errstate(divide="ignore"):
        return np.where(alt > 0, 1 / np.sin(np.radians(alt)), np.inf)


# the night: local noon (from the longitude) to the next local noon
noon = np.datetime64(f"{site['night_of']}T12:00") - np.timedelta64(round(site["longitude_deg"] / 15 * 60), "m")
day = noon + np.arange(0, 24 * 60 + 1) * MIN
sun_alt = altitudes(get_sun(tm(day)), day)
sun_events = crossings(day, sun_alt, -0.833)
dark_events = crossings(day, sun_alt, cons["sun_altitude_max_deg"])
sunset = next(t for t, d in sun_events if d < 0)
sunrise = next(t for t, d in sun_events if d > 0)
dark_start = next(t for t, d in dark_events if d < 0)
dark_end = next(t for t, d in dark_events if d > 0)
mid = dark_start + (dark_end - dark_start) / 2
grid = np.arange(dark_start.astype("datetime64[m]") + MIN, dark_end.astype("datetime64[m]") + MIN, MIN)
catalogue = coords
if MODE == "apparent_as_j2000":
    of_date = coords.transform_to(TETE(obstime=tm(np.array([mid]))[0], location=location))
    catalogue = SkyCoord(ra=of_date.ra, dec=of_date.dec)

all_idx = np.arange(len(targets))
alt = target_alt(all_idx, grid)
moon = get_body("moon", tm(grid), None if MODE == "geocentric_moon" else location)
sep = moon[None, :].separation(placed(all_idx, grid)).deg
ok = (secz(alt) <= cons["max_airmass"]) & ((sep >= cons["min_moon_separation_deg"]) | (MODE == "moon_blind"))
wide = mid.astype("datetime64[m]") + np.arange(-14 * 60, 14 * 60 + 1, 2) * MIN
alt_wide = target_alt(all_idx, wide)
near = np.abs((wide - mid).astype("timedelta64[m]").astype(int)) <= 12 * 60


def longest(mask):
    best = cur = 0
    for v in mask:
        cur = cur + 1 if v else 0
        best = max(best, cur)
    return best


rows = []
for k, t in enumerate(targets):
    transit = wide[near][int(np.argmax(alt_wide[k][near]))]
    fine = transit + np.arange(-30, 31) * MIN
    transit = fine[int(np.argmax(target_alt(np.array([k]), fine)[0]))]
    ev = crossings(wide, alt_wide[k], 0.0)
    rises = [x for x, d in ev if d > 0 and x <= transit and transit - x < np.timedelta64(13, "h")]
    sets = [x for x, d in ev if d < 0 and x >= transit and x - transit < np.timedelta64(13, "h")]
    up = alt[k] > 0
    good = ok[k]
    rows.append({
        "name": t["name"], "ra_deg": round(coords[k].ra.deg, 5), "dec_deg": round(coords[k].dec.deg, 5),
        "rise_utc": iso(rises[-1] if rises else None), "transit_utc": iso(transit),
        "set_utc": iso(sets[0] if sets else None), "max_altitude_deg": round(float(alt[k].max()), 2),
        "min_airmass": round(float(secz(alt[k][up]).min()), 3) if up.any() else "",
        "moon_separation_deg": round(float(sep[k][len(grid) // 2]), 2),
        "window_start_utc": iso(grid[good][0]) if good.any() else "",
        "window_end_utc": iso(grid[good][-1]) if good.any() else "",
        "hours_observable": round(good.sum() / 60, 3),
        "observable": "yes" if (good.sum() if MODE == "observable_total_time" else longest(good)) - 1
        >= int(t["exposure_min"]) else "no",
    })
with open(OUT / "observability.csv", "w", newline="") as handle:
    writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)

# priority first, shorter blocks first among equals; earliest feasible start
busy = np.zeros(len(grid), dtype=bool)
gap = int(cons["overhead_min"])
plan = []
for k in sorted(all_idx, key=lambda i: (-int(targets[i]["priority"]), int(targets[i]["exposure_min"]), i)):
    length = int(targets[k]["exposure_min"])
    for s in range(len(grid) - length):
        if ok[k, s : s + length + 1].all() and not busy[max(0, s - gap) : s + length + 1 + gap].any():
            busy[s : s + length + 1] = True
            plan.append((s, k))
            break


def earliest_end_plan():
    """(start, target) pairs: over and over, the feasible block that ends first."""
    blind, left, earliest = [], set(all_idx), 0
    while True:
        options = []
        for k in left:
            length = int(targets[k]["exposure_min"])
            s = next((s for s in range(earliest, len(grid) - length) if ok[k, s : s + length + 1].all()), None)
            if s is not None:
                options.append((s + length, k, s))
        if not options:
            return blind
        end, k, s = min(options)
        blind.append((s, k))
        left.discard(k)
        earliest = end + gap + 1


if MODE == "priority_blind":
    plan = earliest_end_plan()
plan.sort()
blocks, scheduled = [], []
for order, (s, k) in enumerate(plan, 1):
    length = int(targets[k]["exposure_min"])
    times = grid[[s, s + length // 2, s + length]]
    frame = AltAz(obstime=tm(times), location=location)
    aa = placed(np.array([k]), times)[0].transform_to(frame)
    airm = secz(aa.alt.deg)
    blocks.append({"order": order, "name": targets[k]["name"], "start_utc": iso(times[0]), "end_utc": iso(times[2]),
                   "priority": int(targets[k]["priority"]), "exposure_min": length,
                   "airmass_start": round(float(airm[0]), 3), "airmass_mid": round(float(airm[1]), 3),
                   "airmass_end": round(float(airm[2]), 3),
                   "moon_separation_deg": round(float(sep[k, s : s + length + 1].min()), 2)})
    if MODE == "plan_edges_copied":
        blocks[-1].update(airmass_start=blocks[-1]["airmass_mid"], airmass_end=blocks[-1]["airmass_mid"],
                          moon_separation_deg=rows[k]["moon_separation_deg"])
    scheduled.append({"name": targets[k]["name"], "start_utc": iso(times[0]), "end_utc": iso(times[2]),
                      "ra_deg": round(coords[k].ra.deg, 5), "dec_deg": round(coords[k].dec.deg, 5),
                      "alt_deg_mid": round(float(aa.alt.deg[1]), 2), "az_deg_mid": round(float(aa.az.deg[1]), 2),
                      "airmass_mid": round(float(airm[1]), 3), "vmag": float(targets[k]["vmag"])})
    if MODE == "finder_from_transit":
        north = coords[k].dec.deg > site["latitude_deg"]
        scheduled[-1].update(alt_deg_mid=rows[k]["max_altitude_deg"], az_deg_mid=0.0 if north else 180.0,
                             airmass_mid=rows[k]["min_airmass"])
with open(OUT / "night_plan.csv", "w", newline="") as handle:
    writer = csv.DictWriter(handle, fieldnames=list(blocks[0]))
    writer.writeheader()
    writer.writerows(blocks)

t_mid = tm(np.array([mid]))
sun_mid, moon_mid = get_sun(t_mid), get_body("moon", t_mid, location)
elong = sun_mid.separation(moon_mid)
phase = np.arctan2(sun_mid.distance * np.sin(elong), moon_mid.distance - sun_mid.distance * np.cos(elong))
done = {b["name"] for b in blocks}
summary = {
    "site": site["name"], "night_of": site["night_of"], "sunset_utc": iso(sunset), "sunrise_utc": iso(sunrise),
    "dark_start_utc": iso(dark_start), "dark_end_utc": iso(dark_end),
    "dark_hours": round((dark_end - dark_start).astype("timedelta64[s]").astype(float) / 3600, 3),
    "moon_illumination": round(float(((1 + np.cos(phase)) / 2).value[0]), 4),
    "scheduled": scheduled, "total_priority": sum(b["priority"] for b in blocks),
    "unscheduled_observable": [r["name"] for r in rows if (r["observable"] == "yes" or MODE == "backup_list_unfiltered")
                               and r["name"] not in done],
}
(OUT / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
