"""Observing plan: observability of a target list for one night and a constraint-respecting schedule.

Workflow: the observer gets the observatory (site, night), a target list (J2000 coordinates,
magnitudes, priorities, required block lengths) and the programme's constraints (airmass limit,
Moon distance, Sun altitude defining the dark window, overhead between blocks). With astropy
(bundled IERS data, no downloads) they compute, per target, rise/transit/set, the best altitude
and airmass in the dark window, the Moon distance and the observable window; then they build a
non-overlapping night plan inside the dark window that respects every constraint at every moment
of every block and maximises the total priority, and write a summary of the night.

Generation: targets are drawn around the night's sidereal time (some never high enough, some
near the Moon as seen from the site, some circumpolar), then the reference is computed with astropy
on a one-minute grid: Sun and Moon events, per-target quantities and a greedy priority-first,
earliest-start schedule. Three more targets, each from its own random stream, are traps asserted on
every instance. (1) A split-window target: circumpolar with its lower culmination inside the dark
window, at least an hour below the airmass limit: its window breaks in two, and its block (at least
10 min longer than either stretch and 10 min shorter than both together) makes it unobservable
although its hours add up; it is drawn again where its upper transit is not clearly the one nearest the middle
of the night. This needs the pole higher than the airmass limit's altitude, which is why
every variant's site and limit allow it (La Palma with airmass 2.2, Mount John and Tautenburg at
higher latitudes). (2) A Moon-trap target: high enough for its block (with 10 min to spare) only while
the Moon is up, and more than 3 deg inside the Moon limit all night: unobservable, though airmass
alone would pass it; its priority is high, so a plan blind to the Moon schedules it. Every variant's
night therefore has the Moon up during the dark window. (3) A Moon-edge target: its Moon distance crosses the
limit while it is high enough and the Moon is up, so the Moon cuts its window; the Moon seen from the Earth's
centre, or the J2000 place taken for the apparent place of date (or the reverse), moves its observable time by
20 min or more. (4) The priorities decide: where the plan that never
reads them (the feasible block that ends first, over and over) reaches 90 % of the greedy's priority, observable
targets it leaves out are raised to priority 10, then targets only it schedules lowered to 1, in an order from a
stream of their own, until it falls short.

Grade (astropy on the host, on the submitted times and names only): twilight and Sun events,
the site, night and dark hours; Moon illumination; transit, rise and set times; J2000 position,
best altitude, airmass and Moon distance; observable windows and the observable flag; the plan's
blocks recomputed minute by minute (airmass, Moon distance, Sun altitude), their order, lengths,
priorities, overlaps and overheads, and the airmass at start, middle and end and the Moon distance
each block row states; the plan's total priority against the greedy reference; the summary
against the plan (names, times, total); the observable verdict of a target whose window breaks in
two and of a target too close to the Moon all night; the backup list (observable targets left out of the
plan); and the summary's finder data (J2000 position, V magnitude, alt/az and airmass at each
block's middle) recomputed with astropy. Every field the instruction asks for is read.
"""
# ALE-CANARY-7d7b483a-cdd5-4017-b207-2cb28fc35e29

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import random
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, as_number

SITES: dict[str, dict[str, Any]] = {
    "la_palma": {"name": "Roque de los Muchachos Observatory, La Palma", "lat": 28.7606, "lon": -17.8816,
                 "elevation_m": 2396.0, "night": "2025-03-14", "utc_offset_h": 0},
    "mount_john": {"name": "University of Canterbury Mount John Observatory, New Zealand", "lat": -43.9867,
                   "lon": 170.4650, "elevation_m": 1029.0, "night": "2025-07-01", "utc_offset_h": 12},
    "tautenburg": {"name": "Karl Schwarzschild Observatory, Tautenburg", "lat": 50.9800, "lon": 11.7110,
                   "elevation_m": 341.0, "night": "2025-06-02", "utc_offset_h": 2},
}
GRID_MIN = 1
SUN_STEP_MIN = 5
NAME_STYLES = ("SN 2025{}", "TOI-{}", "ZTF25{}", "HD {}", "PG {}", "NGC {}")


def _astropy():
    """Import astropy configured for offline use (bundled IERS tables only)."""
    from astropy.utils import iers

    iers.conf.auto_download = False
    iers.conf.auto_max_age = None
    warnings.filterwarnings("ignore", module="astropy")
    warnings.filterwarnings("ignore", message=".*(IERS|ERFA|dubious|NonRotation).*")
    import astropy.units as u
    from astropy.coordinates import TETE, AltAz, EarthLocation, SkyCoord, get_body, get_sun
    from astropy.time import Time

    return u, AltAz, EarthLocation, SkyCoord, get_body, get_sun, Time, TETE


class Sky:
    """Sun, Moon and target positions for one site and a set of UTC times (numpy datetime64)."""

    def __init__(self, site: dict[str, Any]) -> None:
        self.u, self.AltAz, EarthLocation, self.SkyCoord, self.get_body, self.get_sun, self.Time, self.TETE = _astropy()
        u = self.u
        self.location = EarthLocation(lat=site["lat"] * u.deg, lon=site["lon"] * u.deg,
                                      height=site["elevation_m"] * u.m)

    def times(self, values: np.ndarray):
        return self.Time(values.astype("datetime64[ns]"), scale="utc")

    def sun_altitude(self, values: np.ndarray) -> np.ndarray:
        """Sun altitude (deg, no refraction), computed every few minutes and interpolated."""
        coarse = np.arange(values.min(), values.max() + np.timedelta64(SUN_STEP_MIN, "m"),
                           np.timedelta64(SUN_STEP_MIN, "m"))
        t = self.times(coarse)
        alt = self.get_sun(t).transform_to(self.AltAz(obstime=t, location=self.location)).alt.deg
        return np.interp(_minutes(values), _minutes(coarse), alt)

    def moon(self, values: np.ndarray):
        t = self.times(values)
        return self.get_body("moon", t, self.location)

    def target_altaz(self, ra: np.ndarray, dec: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Altitudes (deg), shape (targets, times)."""
        u = self.u
        t = self.times(values)
        coords = self.SkyCoord(ra=ra * u.deg, dec=dec * u.deg)
        frame = self.AltAz(obstime=t[None, :], location=self.location)
        return coords[:, None].transform_to(frame).alt.deg

    def moon_separation(self, ra: np.ndarray, dec: np.ndarray, values: np.ndarray) -> np.ndarray:
        u = self.u
        moon = self.moon(values)
        coords = self.SkyCoord(ra=ra * u.deg, dec=dec * u.deg)
        return moon[None, :].separation(coords[:, None]).deg

    def moon_illumination(self, value: np.datetime64) -> float:
        t = self.times(np.array([value]))
        sun = self.get_sun(t)
        moon = self.get_body("moon", t, self.location)
        elongation = sun.separation(moon)
        phase = np.arctan2(sun.distance * np.sin(elongation), moon.distance - sun.distance * np.cos(elongation))
        return float(((1 + np.cos(phase)) / 2).value[0])


def _minutes(values: np.ndarray) -> np.ndarray:
    return (values - np.datetime64("2000-01-01T00:00")).astype("timedelta64[s]").astype(float) / 60.0


def airmass(alt_deg: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(alt_deg > 0, 1.0 / np.sin(np.radians(alt_deg)), np.inf)


def crossings(times: np.ndarray, values: np.ndarray, level: float) -> list[tuple[np.datetime64, int]]:
    """Times where ``values`` crosses ``level`` (linear interpolation) with the direction (+1 up, -1 down)."""
    out = []
    above = values >= level
    for i in np.nonzero(above[1:] != above[:-1])[0]:
        frac = (level - values[i]) / (values[i + 1] - values[i])
        step = (times[i + 1] - times[i]).astype("timedelta64[s]").astype(float)
        out.append((times[i] + np.timedelta64(round(frac * step), "s"), 1 if above[i + 1] else -1))
    return out


def iso(value: np.datetime64 | None) -> str:
    if value is None:
        return ""
    return str(np.datetime64(value, "s")) + "Z"


def parse_time(text: Any) -> np.datetime64 | None:
    if text is None:
        return None
    value = str(text).strip().replace("Z", "").replace("z", "").replace(" ", "T")
    if not value:
        return None
    value = value.split("+")[0]
    try:
        return np.datetime64(dt.datetime.fromisoformat(value), "s")
    except ValueError:
        return None


# -- the night ----------------------------------------------------------------------------------


def night_events(sky: Sky, site: dict[str, Any], sun_limit: float) -> dict[str, Any]:
    local_noon = np.datetime64(f"{site['night']}T12:00") - np.timedelta64(int(site["utc_offset_h"] * 60), "m")
    grid = local_noon + np.arange(0, 24 * 60 + 1, GRID_MIN).astype("timedelta64[m]")
    sun = sky.sun_altitude(grid)
    sunset = next(t for t, d in crossings(grid, sun, -0.833) if d < 0)
    sunrise = next(t for t, d in crossings(grid, sun, -0.833) if d > 0)
    dark_start = next(t for t, d in crossings(grid, sun, sun_limit) if d < 0)
    dark_end = next(t for t, d in crossings(grid, sun, sun_limit) if d > 0)
    mid = dark_start + (dark_end - dark_start) / 2
    return {"sunset": sunset, "sunrise": sunrise, "dark_start": dark_start, "dark_end": dark_end, "mid": mid,
            "moon_illumination": sky.moon_illumination(mid)}


def dark_grid(events: dict[str, Any]) -> np.ndarray:
    start = events["dark_start"].astype("datetime64[m]") + np.timedelta64(1, "m")
    end = events["dark_end"].astype("datetime64[m]")
    return np.arange(start, end + np.timedelta64(1, "m"), np.timedelta64(GRID_MIN, "m"))


def observability(
    sky: Sky, targets: list[dict], events: dict[str, Any], cons: dict[str, Any]
) -> tuple[list[dict], np.ndarray]:
    """Per-target quantities, and the observable mask on the dark-window grid (targets x minutes)."""
    ra = np.array([t["ra_deg"] for t in targets])
    dec = np.array([t["dec_deg"] for t in targets])
    wide = _wide_grid(events)
    alt_wide = sky.target_altaz(ra, dec, wide)
    grid = dark_grid(events)
    alt = sky.target_altaz(ra, dec, grid)
    sep = sky.moon_separation(ra, dec, grid)
    ok = (airmass(alt) <= cons["max_airmass"]) & (sep >= cons["min_moon_separation_deg"])
    rows = []
    for k, target in enumerate(targets):
        transit = _upper_transit(sky, ra[k : k + 1], dec[k : k + 1], wide, alt_wide[k])
        events_k = crossings(wide, alt_wide[k], 0.0)
        rises = [t for t, d in events_k if d > 0 and t <= transit]
        sets = [t for t, d in events_k if d < 0 and t >= transit]
        rise = rises[-1] if rises and (transit - rises[-1]) < np.timedelta64(13, "h") else None
        set_ = sets[0] if sets and (sets[0] - transit) < np.timedelta64(13, "h") else None
        good = ok[k]
        longest = max(_stretches(good), default=0)
        up = alt[k] > 0
        rows.append({
            "name": target["name"], "ra_deg": target["ra_deg"], "dec_deg": target["dec_deg"],
            "rise_utc": iso(rise), "transit_utc": iso(transit), "set_utc": iso(set_),
            "max_altitude_deg": round(float(alt[k].max()), 2),
            "min_airmass": round(float(airmass(alt[k][up]).min()), 3) if up.any() else None,
            "moon_separation_deg": round(float(sep[k][len(grid) // 2]), 2),
            "window_start_utc": iso(grid[good][0]) if good.any() else "",
            "window_end_utc": iso(grid[good][-1]) if good.any() else "",
            "hours_observable": round(float(good.sum()) * GRID_MIN / 60, 3),
            "observable": "yes" if longest >= target["exposure_min"] else "no",
            "moon_min_sep": float(sep[k].min()), "moon_max_sep": float(sep[k].max()),
            "longest_min": longest,
        })
    return rows, ok


def _wide_grid(events: dict[str, Any]) -> np.ndarray:
    """Every two minutes from 14 h before the middle of the dark window to 14 h after."""
    return events["mid"].astype("datetime64[m]") + np.arange(-14 * 60, 14 * 60 + 1, 2).astype("timedelta64[m]")


def _upper_transit(sky: Sky, ra: np.ndarray, dec: np.ndarray, wide: np.ndarray, alt_wide: np.ndarray) -> np.datetime64:
    """The upper transit of one target (``ra``, ``dec``: arrays of one) nearest the middle of ``wide``
    (``_wide_grid``, altitudes ``alt_wide``): its highest point within 12 h of the middle, refined to the minute."""
    middle = wide[len(wide) // 2]
    near = np.abs((wide - middle).astype("timedelta64[m]").astype(int)) <= 12 * 60
    transit = wide[near][int(np.argmax(alt_wide[near]))]
    fine = transit + np.arange(-30, 31).astype("timedelta64[m]")
    return fine[int(np.argmax(sky.target_altaz(ra, dec, fine)[0]))]


TRANSIT_CLEAR_S = 12 * 3600 - 600  # a transit this far from the middle of the night is clearly the closest one


def _stretches(mask: np.ndarray) -> list[int]:
    """The length in minutes (first to last grid point) of each run of ``True`` in a one-minute mask."""
    out, cur = [], 0
    for value in [*mask, False]:
        if value:
            cur += 1
        elif cur:
            out.append((cur - 1) * GRID_MIN)
            cur = 0
    return out


def greedy_plan(targets: list[dict], grid: np.ndarray, ok: np.ndarray, cons: dict[str, Any]) -> list[dict]:
    """Priority first (then shorter blocks, then list order); each block at its earliest feasible start."""
    busy = np.zeros(len(grid), dtype=bool)
    gap = int(cons["overhead_min"])
    order = sorted(range(len(targets)), key=lambda k: (-targets[k]["priority"], targets[k]["exposure_min"], k))
    plan = []
    for k in order:
        length = int(targets[k]["exposure_min"])
        for s in range(len(grid) - length):
            lo, hi = max(0, s - gap), min(len(grid), s + length + 1 + gap)
            if ok[k, s : s + length + 1].all() and not busy[lo:hi].any():
                busy[s : s + length + 1] = True
                plan.append({"name": targets[k]["name"], "start": grid[s], "end": grid[s + length],
                             "priority": targets[k]["priority"]})
                break
    return sorted(plan, key=lambda b: b["start"])


def earliest_end_plan(targets: list[dict], grid: np.ndarray, ok: np.ndarray, cons: dict[str, Any]) -> list[int]:
    """The plan that never reads the priorities: over and over, the feasible block that ends first (the most
    blocks the night holds). Target indices in time order."""
    gap = int(cons["overhead_min"])
    plan, earliest = [], 0
    while True:
        options = []
        for k, target in enumerate(targets):
            if k in plan:
                continue
            length = int(target["exposure_min"])
            start = next((s for s in range(earliest, len(grid) - length) if ok[k, s : s + length + 1].all()), None)
            if start is not None:
                options.append((start + length, k))
        if not options:
            return plan
        end, k = min(options)
        plan.append(k)
        earliest = end + gap + 1


# -- generation ---------------------------------------------------------------------------------


def _sexagesimal(value: float, hours: bool) -> str:
    sign = "-" if value < 0 else "+"
    value = abs(value) / 15 if hours else abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = (value - d - m / 60) * 3600
    if hours:
        return f"{d:02d}:{m:02d}:{s:05.2f}"
    return f"{sign}{d:02d}:{m:02d}:{s:04.1f}"


def _candidates(rng: random.Random, site: dict, sky: Sky, events: dict, count: int) -> list[dict]:
    mid_time = sky.times(np.array([events["mid"]]))
    lst = float(mid_time.sidereal_time("apparent", longitude=site["lon"] * sky.u.deg).deg[0])
    moon = sky.moon(np.array([events["mid"]]))  # apparent, as seen from the site (not the barycentric direction)
    moon_ra, moon_dec = float(moon.ra.deg[0]), float(moon.dec.deg[0])
    out = []
    for i in range(count):
        if i % 9 == 4:  # near the Moon
            ra = (moon_ra + rng.uniform(-12, 12)) % 360
            dec = max(-85.0, min(85.0, moon_dec + rng.uniform(-10, 10)))
        else:
            ra = (lst + rng.uniform(-115, 115)) % 360
            dec = rng.uniform(max(-88.0, site["lat"] - 75), min(88.0, site["lat"] + 55))
        ra, dec = round(ra, 5), round(dec, 5)
        out.append({"ra_deg": ra, "dec_deg": dec})
    return out


def _new_name(rng: random.Random, names: set[str]) -> str:
    """A catalogue-style name not yet in ``names``."""
    while True:
        style = rng.choice(NAME_STYLES)
        tag = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(3)) if "20" in style else \
            str(rng.randint(1000, 99999))
        if style.format(tag) not in names:
            return style.format(tag)


SPLIT_MARGIN_MIN = 10  # the split-window target's block is this much longer than its longest stretch, and shorter
# than its stretches together, so no tolerance on times can turn it observable or a total-time reading into "no"


def _split_window_target(rng: random.Random, site: dict, sky: Sky, events: dict, cons: dict[str, Any],
                         names: set[str]) -> dict | None:
    """A circumpolar target whose lower culmination falls in the dark window and dips below the airmass limit.

    It meets every limit at the start and at the end of the night, so its observable time adds up to more than
    its block, but neither stretch alone holds the block: it is not observable tonight. Only possible where the
    pole stands higher than the airmass limit's altitude (else the dip outlasts any night): None there.
    """
    h_lim = float(np.degrees(np.arcsin(1 / cons["max_airmass"])))
    if abs(site["lat"]) <= h_lim + 0.5:
        return None
    mid_time = sky.times(np.array([events["mid"]]))
    lst = float(mid_time.sidereal_time("apparent", longitude=site["lon"] * sky.u.deg).deg[0])
    sign = 1.0 if site["lat"] > 0 else -1.0
    top = 90.0 + h_lim - abs(site["lat"])  # |dec| from which the target stays within the limit all day
    decs = np.round(sign * np.arange(top - 4.0, top, 0.05), 5)
    grid = dark_grid(events)
    wide = _wide_grid(events)
    limit = cons["min_moon_separation_deg"]
    for _ in range(40):
        # lower culmination 15-40 min off the middle of the night, so one upper transit is clearly the closest
        offset = rng.choice([-1.0, 1.0]) * rng.uniform(15.0, 40.0)
        ra = round((lst + 180.0 + offset * 0.25) % 360.0, 5)
        alt = sky.target_altaz(np.full(len(decs), ra), decs, grid)
        sep = sky.moon_separation(np.full(len(decs), ra), decs, grid)
        ok = (airmass(alt) <= cons["max_airmass"]) & (sep >= limit)
        fits = []
        for k in range(len(decs)):
            runs = _stretches(ok[k])
            lo, hi = max(runs, default=0) + SPLIT_MARGIN_MIN, sum(runs) - SPLIT_MARGIN_MIN
            lengths = list(range(-(-lo // 5) * 5, hi + 1, 5))
            idx = np.nonzero(ok[k])[0]
            dip = int(np.diff(idx).max()) - 1 if len(idx) > 1 else 0  # minutes below the limit between stretches
            # a dip of an hour or more goes at least 0.1 deg below the limit: no small altitude difference closes it
            if len(runs) == 2 and min(runs) >= 20 and dip >= 60 and lengths and sep[k].min() > limit + 3:
                fits.append((k, lengths))
        if not fits:
            continue
        k, lengths = rng.choice(fits)
        # the offset is in J2000 right ascension: this close to the pole, precession can bring the lower culmination
        # so near the middle that the upper transits either side are almost as close: then draw again
        transit = _upper_transit(sky, np.array([ra]), decs[k : k + 1], wide,
                                 sky.target_altaz(np.array([ra]), decs[k : k + 1], wide)[0])
        if abs(transit - events["mid"]) >= np.timedelta64(TRANSIT_CLEAR_S, "s"):
            continue
        return {"ra_deg": ra, "dec_deg": float(decs[k]), "name": _new_name(rng, names),
                "vmag": round(rng.uniform(8.0, 15.0), 1), "priority": rng.choice([3, 4, 5, 6, 8, 10]),
                "exposure_min": rng.choice(lengths)}
    raise AssertionError(f"no split-window target found for {site['name']}")


def _offset(ra: float, dec: float, pa_deg: np.ndarray, dist_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (deg) at angular distances ``dist_deg`` and position angles ``pa_deg`` from (ra, dec)."""
    a0, d0, pa, d = np.radians(ra), np.radians(dec), np.radians(pa_deg), np.radians(dist_deg)
    dec2 = np.arcsin(np.sin(d0) * np.cos(d) + np.cos(d0) * np.sin(d) * np.cos(pa))
    ra2 = a0 + np.arctan2(np.sin(pa) * np.sin(d) * np.cos(d0), np.cos(d) - np.sin(d0) * np.sin(dec2))
    return np.round(np.degrees(ra2) % 360.0, 5), np.round(np.degrees(dec2), 5)


MOON_UP_DEG = 5.0  # the Moon-trap target's window lies where the Moon stands at least this high


def _moon_trap_target(rng: random.Random, site: dict, sky: Sky, events: dict, cons: dict[str, Any],
                      names: set[str]) -> dict:
    """A target that meets the airmass limit long enough for its block while the Moon is up, but too close to it.

    All through the dark window it stays more than 3 deg inside the Moon limit (as seen from the site), so it is
    not observable tonight; judged by airmass alone it is, with a long stretch to spare, and its priority is high
    enough that a plan ignoring the Moon puts it in.
    """
    grid = dark_grid(events)
    moon = sky.moon(grid)
    moon_alt = moon.transform_to(sky.AltAz(obstime=sky.times(grid), location=sky.location)).alt.deg
    limit = cons["min_moon_separation_deg"]
    up = np.nonzero(moon_alt >= 25.0)[0]
    if not len(up):
        raise AssertionError(f"the Moon does not rise high enough during the dark window at {site['name']}")
    for _ in range(40):
        i = int(up[rng.randrange(len(up))])
        pa = np.array([rng.uniform(0.0, 360.0) for _ in range(48)])
        dist = np.array([rng.uniform(0.25 * limit, limit - 6.0) for _ in range(48)])
        ra, dec = _offset(float(moon.ra.deg[i]), float(moon.dec.deg[i]), pa, dist)
        alt = sky.target_altaz(ra, dec, grid)
        sep = sky.moon_separation(ra, dec, grid)
        fits = []
        for k in range(len(ra)):
            air = airmass(alt[k]) <= cons["max_airmass"]
            longest = max(_stretches(air), default=0)
            lengths = [m for m in (20, 25, 30, 40, 45, 60, 75, 90) if m <= longest - SPLIT_MARGIN_MIN]
            if sep[k].max() < limit - 3 and lengths and (moon_alt[air] >= MOON_UP_DEG).all():
                fits.append((k, lengths))
        if not fits:
            continue
        k, lengths = rng.choice(fits)
        return {"ra_deg": float(ra[k]), "dec_deg": float(dec[k]), "name": _new_name(rng, names),
                "vmag": round(rng.uniform(8.0, 15.0), 1), "priority": rng.choice([6, 8, 10]),
                "exposure_min": rng.choice(lengths)}
    raise AssertionError(f"no Moon-trap target found for {site['name']}")


EDGE_SHIFT_MIN = 20  # each slip moves the Moon-edge target's observable time by this much at least (tolerance 6 min)


def _slipped_masks(sky: Sky, ra: np.ndarray, dec: np.ndarray, grid: np.ndarray, cons: dict[str, Any]) -> list[np.ndarray]:
    """The observable masks (targets x minutes) three slips compute: the Moon seen from the Earth's centre; the
    catalogue J2000 place taken for the apparent place of date; the apparent place of date (at the middle of the
    night) taken for a J2000 place. Each leaves the rest of the computation as the reference does it."""
    u = sky.u
    t = sky.times(grid)
    shape = (len(ra), len(grid))
    catalogue = sky.SkyCoord(ra=ra * u.deg, dec=dec * u.deg)[:, None]
    as_of_date = sky.SkyCoord(ra=np.broadcast_to(ra[:, None], shape) * u.deg,
                              dec=np.broadcast_to(dec[:, None], shape) * u.deg,
                              frame=sky.TETE(obstime=sky.times(np.broadcast_to(grid, shape)), location=sky.location))
    of_date = catalogue.transform_to(sky.TETE(obstime=t[len(t) // 2], location=sky.location))
    as_j2000 = sky.SkyCoord(ra=of_date.ra, dec=of_date.dec)
    moon = sky.moon(grid)
    masks = []
    for coords, seen in ((catalogue, sky.get_body("moon", t)), (as_of_date, moon), (as_j2000, moon)):
        alt = coords.transform_to(sky.AltAz(obstime=t[None, :], location=sky.location)).alt.deg
        sep = seen[None, :].separation(coords).deg
        masks.append((airmass(alt) <= cons["max_airmass"]) & (sep >= cons["min_moon_separation_deg"]))
    return masks


def _moon_edge_target(rng: random.Random, site: dict, sky: Sky, events: dict, cons: dict[str, Any],
                      names: set[str]) -> dict:
    """A target whose Moon distance crosses the limit, while the Moon is up, at a time the airmass limit allows.

    The Moon thus ends (or opens) its observable time, where the Moon's place as seen from the site and the
    target's apparent place of date decide: each of the slips of ``_slipped_masks`` moves that time by at least
    EDGE_SHIFT_MIN. Its block is at least SPLIT_MARGIN_MIN longer or shorter than its longest stretch.
    """
    grid = dark_grid(events)
    moon = sky.moon(grid)
    moon_alt = moon.transform_to(sky.AltAz(obstime=sky.times(grid), location=sky.location)).alt.deg
    limit = cons["min_moon_separation_deg"]
    up = np.nonzero(moon_alt >= 25.0)[0]
    for _ in range(40):
        i = int(up[rng.randrange(len(up))])
        pa = np.array([rng.uniform(0.0, 360.0) for _ in range(48)])
        dist = np.array([rng.uniform(limit - 2.0, limit + 2.0) for _ in range(48)])
        ra, dec = _offset(float(moon.ra.deg[i]), float(moon.dec.deg[i]), pa, dist)
        high = airmass(sky.target_altaz(ra, dec, grid)) <= cons["max_airmass"]
        ok = high & (sky.moon_separation(ra, dec, grid) >= limit)
        cut = [k for k in range(len(ra)) if max(_stretches(ok[k]), default=0) >= 40 and (high[k] & ~ok[k]).any()
               and (moon_alt[high[k] & ~ok[k]] >= MOON_UP_DEG).all()]
        if not cut:
            continue
        slipped = _slipped_masks(sky, ra[cut], dec[cut], grid, cons)
        fits = [k for j, k in enumerate(cut)
                if all(abs(int(mask[j].sum()) - int(ok[k].sum())) >= EDGE_SHIFT_MIN for mask in slipped)]
        if not fits:
            continue
        k = rng.choice(fits)
        longest = max(_stretches(ok[k]))
        return {"ra_deg": float(ra[k]), "dec_deg": float(dec[k]), "name": _new_name(rng, names),
                "vmag": round(rng.uniform(8.0, 15.0), 1), "priority": rng.choice([2, 3, 4, 5, 6, 8]),
                "exposure_min": rng.choice([m for m in (20, 25, 30, 40, 45, 60, 75, 90)
                                            if abs(m - longest) >= SPLIT_MARGIN_MIN])}
    raise AssertionError(f"no Moon-edge target found for {site['name']}")


PRIORITY_BLIND_SHARE = 0.9  # the plan that never reads the priorities stays under this share of the reference's


def _make_priorities_decide(rng: random.Random, targets: list[dict], grid: np.ndarray, ok: np.ndarray,
                            cons: dict[str, Any]) -> None:
    """Where the draw left the priorities deciding little (the plan that never reads them reaches
    PRIORITY_BLIND_SHARE of the greedy's priority), observable targets that plan leaves out are raised to the top
    priority, then targets only that plan schedules lowered to the bottom one (the greedy's plan stays as it is),
    one at a time in an order of this stream's, until it falls short."""
    blind = earliest_end_plan(targets, grid, ok, cons)

    def short() -> bool:
        greedy = greedy_plan(targets, grid, ok, cons)
        return sum(targets[k]["priority"] for k in blind) < PRIORITY_BLIND_SHARE * sum(b["priority"] for b in greedy)

    left_out = [k for k in range(len(targets)) if k not in blind and targets[k]["priority"] < 10
                and max(_stretches(ok[k]), default=0) >= targets[k]["exposure_min"]]
    rng.shuffle(left_out)
    for k in left_out:
        if short():
            return
        targets[k]["priority"] = 10
    greedy_names = {b["name"] for b in greedy_plan(targets, grid, ok, cons)}
    blind_only = [k for k in blind if targets[k]["name"] not in greedy_names and targets[k]["priority"] > 1]
    rng.shuffle(blind_only)
    for k in blind_only:
        if short():
            return
        targets[k]["priority"] = 1
    assert short(), "the priorities decide nothing"


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    site = SITES[params["site"]]
    cons = {"max_airmass": params["max_airmass"], "min_moon_separation_deg": params["min_moon_sep"],
            "sun_altitude_max_deg": params["sun_limit"], "overhead_min": params["overhead_min"]}
    rng = random.Random(params["seed"])
    sky = Sky(site)
    events = night_events(sky, site, cons["sun_altitude_max_deg"])
    targets = []
    names: set[str] = set()
    for cand in _candidates(rng, site, sky, events, params["n_targets"] + 12):
        style = rng.choice(NAME_STYLES)
        tag = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(3)) if "20" in style else \
            str(rng.randint(1000, 99999))
        name = style.format(tag)
        if name in names:
            continue
        names.add(name)
        targets.append({**cand, "name": name, "vmag": round(rng.uniform(8.0, 19.5), 1),
                        "priority": rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10]),
                        "exposure_min": rng.choice([20, 25, 30, 40, 45, 60, 75, 90])})
    rows, ok = observability(sky, targets, events, cons)
    limit = cons["min_moon_separation_deg"]
    clear = [
        k for k, r in enumerate(rows)
        if (r["moon_min_sep"] > limit + 3 or r["moon_max_sep"] < limit - 3)
        and abs(r["longest_min"] - targets[k]["exposure_min"]) > 5
    ][: params["n_targets"]]
    targets = [targets[k] for k in clear]
    rows = [rows[k] for k in clear]
    ok = ok[clear]
    # the split-window target, from its own stream so the other targets of an instance stay as they were
    split_rng = random.Random(f"{params['seed']}/split-window")
    splits = []
    trap = _split_window_target(split_rng, site, sky, events, cons, {t["name"] for t in targets})
    assert trap is not None, f"the pole is too low at {site['name']} for a window that breaks within the night"
    if trap is not None:
        trap_rows, trap_ok = observability(sky, [trap], events, cons)
        runs = _stretches(trap_ok[0])
        assert len(runs) == 2 and sum(runs) >= trap["exposure_min"] + SPLIT_MARGIN_MIN \
            and trap["exposure_min"] >= max(runs) + SPLIT_MARGIN_MIN and trap_rows[0]["observable"] == "no", runs
        assert trap_rows[0]["moon_min_sep"] > cons["min_moon_separation_deg"] + 3
        transit_off = abs((parse_time(trap_rows[0]["transit_utc"]) - events["mid"]).astype("timedelta64[s]").astype(float))
        assert transit_off < TRANSIT_CLEAR_S, transit_off
        at = split_rng.randint(0, len(targets))
        targets.insert(at, trap)
        rows.insert(at, trap_rows[0])
        ok = np.insert(ok, at, trap_ok[0], axis=0)
        splits.append({"name": trap["name"], "stretches_min": runs, "exposure_min": trap["exposure_min"],
                       "observable": trap_rows[0]["observable"]})
    # the Moon-trap target, from its own stream too
    moon_rng = random.Random(f"{params['seed']}/moon-trap")
    moon_trap = _moon_trap_target(moon_rng, site, sky, events, cons, {t["name"] for t in targets})
    trap_rows, trap_ok = observability(sky, [moon_trap], events, cons)
    grid = dark_grid(events)
    blind = airmass(sky.target_altaz(np.array([moon_trap["ra_deg"]]), np.array([moon_trap["dec_deg"]]), grid)[0]) \
        <= cons["max_airmass"]
    moon_alt = sky.moon(grid).transform_to(sky.AltAz(obstime=sky.times(grid), location=sky.location)).alt.deg
    assert trap_rows[0]["observable"] == "no" and not trap_ok[0].any(), trap_rows[0]
    assert trap_rows[0]["moon_max_sep"] < cons["min_moon_separation_deg"] - 3, trap_rows[0]
    assert max(_stretches(blind), default=0) >= moon_trap["exposure_min"] + SPLIT_MARGIN_MIN
    assert (moon_alt[blind] >= MOON_UP_DEG).all()
    at = moon_rng.randint(0, len(targets))
    targets.insert(at, moon_trap)
    rows.insert(at, trap_rows[0])
    ok = np.insert(ok, at, trap_ok[0], axis=0)
    moon_traps = [{"name": moon_trap["name"], "exposure_min": moon_trap["exposure_min"],
                   "moon_max_sep": round(trap_rows[0]["moon_max_sep"], 2), "observable": "no"}]
    # the Moon-edge target, from its own stream
    edge_rng = random.Random(f"{params['seed']}/moon-edge")
    edge = _moon_edge_target(edge_rng, site, sky, events, cons, {t["name"] for t in targets})
    edge_rows, edge_ok = observability(sky, [edge], events, cons)
    at = edge_rng.randint(0, len(targets))
    targets.insert(at, edge)
    rows.insert(at, edge_rows[0])
    ok = np.insert(ok, at, edge_ok[0], axis=0)
    _make_priorities_decide(random.Random(f"{params['seed']}/priorities"), targets, grid, ok, cons)
    plan = greedy_plan(targets, grid, ok, cons)
    assert not {s["name"] for s in splits + moon_traps} & {b["name"] for b in plan}

    (input_dir / "observatory.json").write_text(json.dumps({
        "name": site["name"], "latitude_deg": site["lat"], "longitude_deg": site["lon"],
        "elevation_m": site["elevation_m"], "night_of": site["night"],
        "note": "night_of is the local calendar date on which the night begins",
    }, indent=2) + "\n")
    (input_dir / "constraints.json").write_text(json.dumps(cons, indent=2) + "\n")
    with open(input_dir / "targets.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["name", "ra_j2000", "dec_j2000", "vmag", "priority", "exposure_min"])
        for t in targets:
            writer.writerow([t["name"], _sexagesimal(t["ra_deg"], True), _sexagesimal(t["dec_deg"], False),
                             t["vmag"], t["priority"], t["exposure_min"]])
    reference = {
        "constraints": cons, "site": site,
        "events": {k: (iso(v) if isinstance(v, np.datetime64) else v) for k, v in events.items()},
        "targets": [{k: v for k, v in t.items()} for t in targets],
        "observability": [{k: v for k, v in r.items() if k not in ("moon_min_sep", "moon_max_sep", "longest_min")}
                          for r in rows],
        "plan": [{"name": b["name"], "start": iso(b["start"]), "end": iso(b["end"]), "priority": b["priority"]}
                 for b in plan],
        "greedy_priority": sum(b["priority"] for b in plan),
        "split_windows": splits,
        "moon_traps": moon_traps,
    }
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=1))


# -- grading ------------------------------------------------------------------------------------

OBS_COLUMNS = ("name", "ra_deg", "dec_deg", "rise_utc", "transit_utc", "set_utc", "max_altitude_deg", "min_airmass", "moon_separation_deg",
               "window_start_utc", "window_end_utc", "hours_observable", "observable")
PLAN_COLUMNS = ("order", "name", "start_utc", "end_utc", "priority", "exposure_min", "airmass_start", "airmass_mid",
                "airmass_end", "moon_separation_deg")
TIME_TOL_S = 180


def _time_verdict(found: Any, expected: str, tol_s: float = TIME_TOL_S) -> str:
    want = parse_time(expected)
    got = parse_time(found)
    if want is None:
        return "" if got is None else f"expected blank, got {found}"
    if got is None:
        return f"missing or unreadable time {found!r}"
    off = abs((got - want).astype("timedelta64[s]").astype(float))
    return "" if off <= tol_s else f"off by {off / 60:.1f} min"


def _num_verdict(found: Any, expected: float | None, tol: float) -> str:
    value = as_number(found)
    if expected is None:
        return "" if value is None or not str(found).strip() else f"expected blank, got {found}"
    if value is None:
        return f"not a number: {found!r}"
    return "" if abs(value - expected) <= tol else f"{value:g} vs {expected:g}"


def _grade_observability(g: Grading, rows: list[dict[str, str]], ref: dict[str, Any]) -> None:
    found = {r.get("name", ""): r for r in rows}
    expected = {r["name"]: r for r in ref["observability"]}
    times, shape, windows = {}, {}, {}
    for name, want in expected.items():
        got = found.get(name)
        if got is None:
            times[name] = shape[name] = windows[name] = "missing"
            continue
        times[name] = "; ".join(v for v in (
            _time_verdict(got.get("rise_utc"), want["rise_utc"]),
            _time_verdict(got.get("transit_utc"), want["transit_utc"]),
            _time_verdict(got.get("set_utc"), want["set_utc"]),
        ) if v)
        shape[name] = "; ".join(v for v in (
            _num_verdict(got.get("ra_deg"), want["ra_deg"], 0.01),
            _num_verdict(got.get("dec_deg"), want["dec_deg"], 0.01),
            _num_verdict(got.get("max_altitude_deg"), want["max_altitude_deg"], 0.5),
            _num_verdict(got.get("min_airmass"), want["min_airmass"], max(0.02, 0.01 * (want["min_airmass"] or 0))),
            _num_verdict(got.get("moon_separation_deg"), want["moon_separation_deg"], 0.5),
        ) if v)
        windows[name] = "; ".join(v for v in (
            _time_verdict(got.get("window_start_utc"), want["window_start_utc"]),
            _time_verdict(got.get("window_end_utc"), want["window_end_utc"]),
            _num_verdict(got.get("hours_observable"), want["hours_observable"], 0.1),
            "" if got.get("observable", "").strip().lower() == want["observable"] else
            f"observable {got.get('observable')!r} want {want['observable']!r}",
        ) if v)
    g.fraction("rise, transit and set times", times, weight=1.5, noun="targets")
    g.fraction("J2000 position, best altitude, best airmass and Moon distance in the dark window", shape, weight=1.5,
               noun="targets")
    g.fraction("observable windows, hours and observable flags", windows, weight=2, noun="targets")


def _grade_traps(g: Grading, rows: list[dict[str, str]], ref: dict[str, Any]) -> None:
    """Two kinds of unobservable target, each judged by its own check.

    A window that breaks in two mid-night: observable only if the block fits in one stretch. A target high
    enough for its block while the Moon is up but too close to the Moon all night: the Moon limit applies.
    """
    found = {r.get("name", ""): r for r in rows}
    kinds = (
        ("split_windows", "observable verdict of targets whose window breaks in two (the block must fit one stretch)",
         lambda t: f"its window breaks into stretches of {t['stretches_min']} min and the block needs "
                   f"{t['exposure_min']} min in one"),
        ("moon_traps", "observable verdict of targets too close to the Moon all night (the Moon limit applies)",
         lambda t: f"it is never farther than {t['moon_max_sep']} deg from the Moon tonight"),
    )
    for key, label, why in kinds:
        verdicts = {}
        for trap in ref.get(key) or []:
            got = found.get(trap["name"])
            flag = str(got.get("observable", "")).strip().lower() if got else None
            verdicts[trap["name"]] = "" if flag == trap["observable"] else f"observable {flag!r}: {why(trap)}"
        if verdicts:
            g.fraction(label, verdicts, noun="targets")


def _grade_summary_events(g: Grading, summary: dict[str, Any], ref: dict[str, Any]) -> None:
    ev = ref["events"]
    verdicts = {
        key: _time_verdict(summary.get(f"{key}_utc"), ev[key], 120)
        for key in ("sunset", "sunrise", "dark_start", "dark_end")
    }
    g.fraction("Sun events and the dark window (summary.json)", verdicts, weight=1.5, noun="events")
    dark_hours = (parse_time(ev["dark_end"]) - parse_time(ev["dark_start"])).astype("timedelta64[s]").astype(float) / 3600
    header = {
        "site": "" if str(summary.get("site", "")).strip().casefold() == ref["site"]["name"].casefold() else
        f"{summary.get('site')!r}",
        "night_of": "" if str(summary.get("night_of", "")).strip() == ref["site"]["night"] else
        f"{summary.get('night_of')!r}",
        "dark_hours": _num_verdict(summary.get("dark_hours"), round(dark_hours, 3), 0.05),
    }
    g.fraction("site, night and length of the dark window (summary.json)", header, noun="fields")
    g.number("Moon illumination fraction (summary.json)", summary.get("moon_illumination"),
             ev["moon_illumination"], abs_tol=0.02)


def _blocks(rows: list[dict[str, str]], targets: dict[str, dict]) -> tuple[list[dict], list[str]]:
    blocks, problems = [], []
    for row in rows:
        start, end = parse_time(row.get("start_utc")), parse_time(row.get("end_utc"))
        name = row.get("name", "")
        if start is None or end is None or end <= start:
            problems.append(f"{name}: unreadable or empty block")
            continue
        if name not in targets:
            problems.append(f"{name}: not in the target list")
            continue
        blocks.append({"name": name, "start": start, "end": end, "row": row})
    return sorted(blocks, key=lambda b: b["start"]), problems


def _grade_plan(g: Grading, rows: list[dict[str, str]], summary: dict[str, Any], ref: dict[str, Any]) -> None:
    cons = ref["constraints"]
    targets = {t["name"]: t for t in ref["targets"]}
    blocks, problems = _blocks(rows, targets)
    names = [b["name"] for b in blocks]
    problems += [f"{n}: scheduled twice" for n in sorted({n for n in names if names.count(n) > 1})]
    orders = [as_number(row.get("order")) for row in rows]
    if orders != list(range(1, len(rows) + 1)):
        problems.append(f"order column {orders[:8]} is not 1..{len(rows)} in time order")
    for b in blocks:
        target = targets[b["name"]]
        if as_number(b["row"].get("exposure_min")) != target["exposure_min"]:
            problems.append(f"{b['name']}: exposure_min {b['row'].get('exposure_min')!r}")
        if as_number(b["row"].get("priority")) != target["priority"]:
            problems.append(f"{b['name']}: priority {b['row'].get('priority')!r}")
        minutes = (b["end"] - b["start"]).astype("timedelta64[s]").astype(float) / 60
        if abs(minutes - targets[b["name"]]["exposure_min"]) > 0.5:
            problems.append(f"{b['name']}: {minutes:.1f} min, needs {targets[b['name']]['exposure_min']}")
    gap = np.timedelta64(int(cons["overhead_min"] * 60) - 30, "s")
    for a, b in itertools.pairwise(blocks):
        if b["start"] - a["end"] < gap:
            problems.append(f"{a['name']} -> {b['name']}: less than the {cons['overhead_min']} min overhead")
    g.check("plan: one block per target in order, right lengths and priorities, no overlaps, overheads kept",
            bool(blocks) and not problems,
            weight=1.5, found=f"{len(blocks)} blocks", reason="; ".join(problems[:6]))
    valid = _valid_blocks(g, blocks, targets, ref) if blocks else set()
    total = sum(targets[b["name"]]["priority"] for b in blocks if b["name"] in valid)
    greedy = ref["greedy_priority"]
    g.check("plan total priority (valid blocks) at least 95% of the greedy reference",
            min(1.0, total / (0.95 * greedy)) if greedy else 0.0, weight=2, expected=greedy, found=total)
    _grade_summary_plan(g, blocks, summary)
    _grade_backup_list(g, blocks, summary, ref)
    _grade_finder_data(g, blocks, targets, summary, ref)


def _valid_blocks(g: Grading, blocks: list[dict], targets: dict[str, dict], ref: dict[str, Any]) -> set[str]:
    cons = ref["constraints"]
    sky = Sky(ref["site"])
    samples, owner = [], []
    for i, b in enumerate(blocks):
        count = int((b["end"] - b["start"]).astype("timedelta64[s]").astype(float) // 60) + 1
        for k in range(min(count, 600)):
            samples.append(min(b["start"] + np.timedelta64(60 * k, "s"), b["end"]))
            owner.append(i)
        samples.append(b["end"])
        owner.append(i)
    times = np.array(samples, dtype="datetime64[s]")
    owner_arr = np.array(owner)
    ra = np.array([targets[b["name"]]["ra_deg"] for b in blocks])[owner_arr]
    dec = np.array([targets[b["name"]]["dec_deg"] for b in blocks])[owner_arr]
    u = sky.u
    t = sky.times(times)
    coords = sky.SkyCoord(ra=ra * u.deg, dec=dec * u.deg)
    alt = coords.transform_to(sky.AltAz(obstime=t, location=sky.location)).alt.deg
    sep = sky.moon(times).separation(coords).deg
    sun = sky.sun_altitude(times)
    ok_air = airmass(alt) <= cons["max_airmass"] * 1.005
    ok_moon = sep >= cons["min_moon_separation_deg"] - 0.5
    ok_sun = sun <= cons["sun_altitude_max_deg"] + 0.25
    valid, bad = set(), []
    mid_air = {}
    edges: dict[str, str] = {}
    for i, b in enumerate(blocks):
        sel = owner_arr == i
        why = [w for w, ok in (("airmass", ok_air[sel].all()), ("Moon", ok_moon[sel].all()),
                               ("twilight", ok_sun[sel].all())) if not ok]
        if why:
            bad.append(f"{b['name']}: {'/'.join(why)}")
        else:
            valid.add(b["name"])
        mid_air[b["name"]] = float(airmass(alt[sel])[len(alt[sel]) // 2])
        air_start, air_end = float(airmass(alt[sel])[0]), float(airmass(alt[sel])[-1])
        seps = sep[sel]
        moon_value = as_number(b["row"].get("moon_separation_deg"))
        edges[b["name"]] = "; ".join(v for v in (
            _num_verdict(b["row"].get("airmass_start"), round(air_start, 3), max(0.02, 0.01 * air_start)),
            _num_verdict(b["row"].get("airmass_end"), round(air_end, 3), max(0.02, 0.01 * air_end)),
            "" if moon_value is not None and seps.min() - 0.5 <= moon_value <= seps.max() + 0.5 else
            f"Moon distance {b['row'].get('moon_separation_deg')!r} outside {seps.min():.1f}-{seps.max():.1f} deg",
        ) if v)
    g.check("every block observable throughout (airmass, Moon distance, dark window)",
            len(valid) / len(blocks), weight=2, found=f"{len(valid)}/{len(blocks)} blocks",
            reason="; ".join(bad[:6]))
    verdicts = {b["name"]: _num_verdict(b["row"].get("airmass_mid"), round(mid_air[b["name"]], 3),
                                        max(0.02, 0.01 * mid_air[b["name"]])) for b in blocks}
    g.fraction("airmass at block mid-time in the plan", verdicts, noun="targets")
    g.fraction("airmass at block start and end, Moon distance during the block (plan)", edges, noun="targets")
    return valid


def _grade_finder_data(g: Grading, blocks: list[dict], targets: dict[str, dict], summary: dict[str, Any],
                       ref: dict[str, Any]) -> None:
    """summary.json finder data recomputed: J2000 position, V mag, alt/az and airmass at each block's middle."""
    listed = summary.get("scheduled")
    entries = {str(x.get("name", "")): x for x in listed if isinstance(x, dict)} if isinstance(listed, list) else {}
    if not blocks:
        g.check("finder data at mid-block (summary.json)", False, reason="no readable blocks in the plan")
        return
    sky = Sky(ref["site"])
    u = sky.u
    mids = np.array([b["start"] + (b["end"] - b["start"]) / 2 for b in blocks], dtype="datetime64[s]")
    coords = sky.SkyCoord(ra=[targets[b["name"]]["ra_deg"] for b in blocks] * u.deg,
                          dec=[targets[b["name"]]["dec_deg"] for b in blocks] * u.deg)
    t = sky.times(mids)
    altaz = coords.transform_to(sky.AltAz(obstime=t, location=sky.location))
    verdicts = {}
    for i, b in enumerate(blocks):
        target, entry = targets[b["name"]], entries.get(b["name"])
        if entry is None:
            verdicts[b["name"]] = "missing from summary.json scheduled"
            continue
        alt, az = float(altaz.alt.deg[i]), float(altaz.az.deg[i])
        got_alt, got_az = as_number(entry.get("alt_deg_mid")), as_number(entry.get("az_deg_mid"))
        pointing = ""
        if got_alt is None or got_az is None:
            pointing = "alt/az missing"
        else:
            claimed = sky.SkyCoord(az=got_az * u.deg, alt=got_alt * u.deg, frame=sky.AltAz(obstime=t[i],
                                   location=sky.location))
            off = float(claimed.separation(altaz[i]).deg)
            pointing = "" if off <= 0.3 else f"alt/az {got_alt:g}/{got_az:g} is {off:.2f} deg from {alt:.2f}/{az:.2f}"
        verdicts[b["name"]] = "; ".join(v for v in (
            _num_verdict(entry.get("ra_deg"), target["ra_deg"], 0.01),
            _num_verdict(entry.get("dec_deg"), target["dec_deg"], 0.01),
            _num_verdict(entry.get("vmag"), target["vmag"], 0.05),
            pointing,
            _num_verdict(entry.get("airmass_mid"), round(float(airmass(np.array([alt]))[0]), 3),
                         max(0.02, 0.01 * float(airmass(np.array([alt]))[0]))),
        ) if v)
    g.fraction("finder data at mid-block (summary.json)", verdicts, weight=1.5, noun="targets")


def _grade_summary_plan(g: Grading, blocks: list[dict], summary: dict[str, Any]) -> None:
    listed = summary.get("scheduled")
    listed_names = sorted(str(x.get("name", "")) for x in listed) if isinstance(listed, list) and all(
        isinstance(x, dict) for x in listed) else None
    total = as_number(summary.get("total_priority"))
    own = sum(as_number(b["row"].get("priority")) or 0 for b in blocks)
    entries = {str(x.get("name", "")): x for x in listed if isinstance(x, dict)} if isinstance(listed, list) else {}
    times_agree = all(
        not _time_verdict(entries.get(b["name"], {}).get(key), iso(b[edge]), 60)
        for b in blocks for key, edge in (("start_utc", "start"), ("end_utc", "end")))
    ok = (listed_names == sorted(b["name"] for b in blocks) and times_agree and total is not None
          and abs(total - own) < 1e-6)
    g.check("summary.json lists the plan's blocks (names, start and end) and its total priority", ok,
            found={"scheduled": listed_names, "total_priority": summary.get("total_priority")})


def _grade_backup_list(g: Grading, blocks: list[dict], summary: dict[str, Any], ref: dict[str, Any]) -> None:
    """The backup list: exactly the targets observable tonight (per the reference) that the plan leaves out."""
    listed = summary.get("unscheduled_observable")
    found = {str(x).strip() for x in listed} if isinstance(listed, list) else None
    planned = {b["name"] for b in blocks}
    expected = {r["name"] for r in ref["observability"] if r["observable"] == "yes"} - planned
    reason = "not a list of names" if found is None else "; ".join(part for part in (
        f"missing observable targets: {sorted(expected - found)[:6]}" if expected - found else "",
        f"not observable tonight or already planned: {sorted(found - expected)[:6]}" if found - expected else "",
    ) if part)
    g.check("backup list: the observable targets the plan leaves out (summary.json unscheduled_observable)",
            found == expected, weight=1.5, expected=sorted(expected), found=sorted(found or []), reason=reason)


def grade(g: Grading) -> None:
    if not g.require_files("observability.csv", "night_plan.csv", "summary.json"):
        return
    ref = g.reference_json("reference.json")
    rows = g.read_csv("observability.csv", required_columns=OBS_COLUMNS)
    plan = g.read_csv("night_plan.csv", required_columns=PLAN_COLUMNS)
    summary = g.read_json("summary.json")
    if rows is None or plan is None or not isinstance(summary, dict):
        if summary is not None and not isinstance(summary, dict):
            g.check("summary.json is an object", False, gate=True)
        return
    _grade_summary_events(g, summary, ref)
    _grade_observability(g, rows, ref)
    _grade_traps(g, rows, ref)
    _grade_plan(g, plan, summary, ref)

