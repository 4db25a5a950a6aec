"""Monthly climatology, CF-compliant anomalies, regional series and trends from gridded NetCDF.

Workflow: the climate analyst receives gridded monthly near-surface temperature and
precipitation (a reanalysis extract, CMIP-style model output or a land-only observational
grid) and a list of regions. They compute the 12-month climatology over a base period (with CF
climatology bounds), monthly anomalies for the whole record with correct CF metadata and the
requested units, cos(latitude)-weighted regional mean anomaly series (respecting missing
values, longitude wrap-around and latitude order), OLS trends of the annual means with 95%
confidence intervals and p-values, and a figure.

Variants: ERA5-style (proleptic Gregorian, month-start stamps, latitude north to south,
precipitation in metres per day); CMIP-style (noleap calendar, 0-360 longitudes with regions
crossing the prime meridian, precipitation flux in kg m-2 s-1); E-OBS-style (land-only with
fill values and data gaps, temperature in Celsius, precipitation anomalies in percent of the
climatology).

Every instance shows each bulletin wording of a trend with a margin (a significant increase and decrease with
p < 0.04, and a slope that is not significant, p 0.15 to 0.7): where the draw leaves one out, a stream of its
own steers one region's precipitation trend there (|t| 4 to 6, or 0.8 to 1.3), so that the wording must
follow the significance test, not the slope's sign.

Grade: the reference fields, series and trends are computed by generate() from the stored
float32 data. The grader has nccopy copy each submitted NetCDF file in a tool sandbox, which holds no
reference (so HDF5 storage a file declares outside itself, such as external data files, cannot reach the
reference), and reads the copy with netCDF4 in its own process (mapping the grid by coordinate values), compares climatology and anomalies cell by cell, checks CF metadata
(Conventions, coordinates, calendar and dates, units, standard names, climatology bounds,
cell methods, fill values), recomputes the regional series from the reference and from the
submitted anomalies (cross-check), recomputes the trends and p-values (the 95 % interval to its Student t width), checks the bulletin's wording of each trend (significant
increase / decrease or none at 5 %) against them, checks that the
figure is a line chart, reads its curves back from the pixels (per panel and line colour, on the
linear scale that best fits) and matches each region's annual anomalies to a drawn curve (a colour whose
strokes lie along the curve, not a hatch that crosses the yearly points by chance) and its trend line to
strokes along the trend's path where the curve runs away from it (in the curve's colour, dark ink or a
colour that draws no other series; another series' curve, grid lines and strokes that cover the plot
evenly do not count), and checks the plotted numbers (figure_data.csv) against the annual anomalies and
trend lines.
"""
# ALE-CANARY-e81306b9-82ce-4af4-a635-97bfb7df7c7f

import json
import math
import warnings
from pathlib import Path
from typing import Any

import cftime
import netCDF4
import numpy as np
from scipy import ndimage, stats
from scipy.io import netcdf_file

from lastexam.task import Grading, Params, as_number
from lastexam.task.charts import chart_problems, long_runs, read_chart

SCENARIOS: dict[str, dict[str, Any]] = {
    "reanalysis_europe": {
        "years": (1981, 2023), "calendar": "proleptic_gregorian", "time_units": "hours since 1900-01-01 00:00:00.0",
        "stamp": "start", "lat": np.arange(70.0, 35.0, -2.0), "lon": np.arange(-10.0, 41.0, 2.0),
        "lat_name": "latitude", "lon_name": "longitude",
        "files": {"tas": ("era5_monthly_europe_1981-2023.nc", "t2m"), "pr": ("era5_monthly_europe_1981-2023.nc", "tp")},
        "tas_units": "K", "pr_units": "m", "pr_to_output": 1000.0, "pr_output": "mm day-1",
        "regions": {"Iberia": (35, 43, -11, 3), "Central Europe": (45, 55, 3, 21), "Scandinavia": (57, 71, 5, 31),
                    "Eastern Mediterranean": (35, 41, 21, 37)},
        "noise": 1.4,
    },
    "cmip_west_africa": {
        "years": (1971, 2024), "calendar": "noleap", "time_units": "days since 1850-01-01",
        "stamp": "middle", "lat": np.arange(-8.75, 33.0, 2.5), "lon": np.arange(0.0, 360.0, 3.75),
        "lat_name": "lat", "lon_name": "lon",
        "files": {"tas": ("tas_Amon_ALE-ESM1_historical-ssp245_r1i1p1f1_gn_197101-202412.nc", "tas"),
                  "pr": ("pr_Amon_ALE-ESM1_historical-ssp245_r1i1p1f1_gn_197101-202412.nc", "pr")},
        "tas_units": "K", "pr_units": "kg m-2 s-1", "pr_to_output": 86400.0, "pr_output": "mm day-1",
        "regions": {"West Sahel": (10, 20, -20, 10), "Guinea Coast": (4, 10, -16, 10),
                    "East Sahel": (10, 20, 20, 40), "Central Africa": (-6, 4, 12, 30)},
        "noise": 0.55,
    },
    "eobs_british_isles": {
        "years": (1961, 2022), "calendar": "standard", "time_units": "days since 1950-01-01 00:00",
        "stamp": "middle", "lat": np.arange(49.75, 61.0, 0.5), "lon": np.arange(-10.75, 2.0, 0.5),
        "lat_name": "latitude", "lon_name": "longitude",
        "files": {"tas": ("tg_monthly_0.5deg_1961-2022.nc", "tg"), "pr": ("rr_monthly_0.5deg_1961-2022.nc", "rr")},
        "tas_units": "Celsius", "pr_units": "mm day-1", "pr_to_output": 1.0, "pr_output": "%",
        "regions": {"Scotland": (55.5, 61.0, -8.0, 0.0), "England and Wales": (50.0, 55.5, -6.0, 2.0),
                    "Ireland": (51.0, 55.5, -11.0, -5.5)},
        "noise": 0.9,
    },
}
TOL = {"tas": 0.01, "pr": 0.005, "pct": 0.1}
FILL = -9999.0


# --------------------------------------------------------------------------------------------
# the analysis (the reference, and the grader's recomputation of submitted anomalies)
# --------------------------------------------------------------------------------------------


def climatology(data: np.ndarray, months: np.ndarray, in_base: np.ndarray) -> np.ndarray:
    """Mean of each calendar month over the base period, ignoring missing values."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.stack([np.nanmean(data[(months == m) & in_base], axis=0) for m in range(1, 13)])


def regional_series(field: np.ndarray, lat: np.ndarray, lon: np.ndarray, box: tuple[float, ...]) -> np.ndarray:
    """cos(latitude)-weighted mean over the box's valid cells, per time step."""
    south, north, west, east = box
    lon180 = (lon + 180.0) % 360.0 - 180.0
    rows = (lat >= south) & (lat <= north)
    cols = (lon180 >= west) & (lon180 <= east)
    sub = field[:, rows][:, :, cols]
    weights = np.broadcast_to(np.cos(np.deg2rad(lat[rows]))[:, None], sub.shape[1:])
    valid = ~np.isnan(sub)
    total = np.where(valid, sub, 0.0).reshape(len(sub), -1) @ weights.reshape(-1)
    norm = valid.reshape(len(sub), -1) @ weights.reshape(-1)
    return total / norm


def trend(years: np.ndarray, values: np.ndarray) -> dict[str, float]:
    """OLS trend per decade with a 95% CI (t, n-2 df) and a two-sided p-value."""
    fit = stats.linregress(years, values)
    half = stats.t.ppf(0.975, len(years) - 2) * fit.stderr
    return {"slope_per_decade": 10 * fit.slope, "ci_low": 10 * (fit.slope - half),
            "ci_high": 10 * (fit.slope + half), "p_value": float(fit.pvalue)}


def annual_and_fit(monthly: list[float], years: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Calendar years, the annual means of a monthly series, and the OLS trend line through them."""
    values = np.asarray(monthly)
    annual_years = np.unique(years)
    annual = np.array([values[years == y].mean() for y in annual_years])
    fit = stats.linregress(annual_years, annual)
    return annual_years, annual, fit.intercept + fit.slope * annual_years


def _series_and_trends(
    sc: dict[str, Any], anomalies: dict[str, np.ndarray], years: np.ndarray
) -> tuple[dict[str, dict[str, list[float]]], dict[str, dict[str, dict[str, float]]]]:
    series: dict[str, dict[str, list[float]]] = {}
    trends: dict[str, dict[str, dict[str, float]]] = {}
    for name, box in sc["regions"].items():
        series[name], trends[name] = {}, {}
        for var, field in anomalies.items():
            monthly = regional_series(field, sc["lat"], sc["lon"], box)
            series[name][var] = monthly.tolist()
            annual_years, annual, _ = annual_and_fit(monthly.tolist(), years)
            trends[name][var] = trend(annual_years, annual)
    return series, trends


# --------------------------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------------------------


def _patterns(rng: np.random.Generator, lat2: np.ndarray, lon2: np.ndarray, count: int) -> np.ndarray:
    """Smooth large-scale spatial patterns (Gaussian bumps), shape (count, ny, nx)."""
    span_lat, span_lon = np.ptp(lat2) or 1.0, np.ptp(lon2) or 1.0
    out = []
    for _ in range(count):
        c_lat = rng.uniform(lat2.min(), lat2.max())
        c_lon = rng.uniform(lon2.min(), lon2.max())
        w = rng.uniform(0.3, 0.7)
        out.append(np.exp(-(((lat2 - c_lat) / (w * span_lat)) ** 2 + ((lon2 - c_lon) / (w * span_lon)) ** 2)))
    return np.array(out)


def _ar1(rng: np.random.Generator, n: int, count: int, phi: float = 0.5) -> np.ndarray:
    out = np.zeros((n, count))
    shocks = rng.normal(0, math.sqrt(1 - phi**2), size=(n, count))
    for t in range(1, n):
        out[t] = phi * out[t - 1] + shocks[t]
    return out


def _means(name: str, lat2: np.ndarray, lon2: np.ndarray) -> dict[str, np.ndarray | float]:
    """Climate of each scenario: annual mean, seasonal amplitude/peak, trends (per decade)."""
    x = (lon2 + 180.0) % 360.0 - 180.0
    if name == "reanalysis_europe":
        south = lat2 < 44
        return {"t0": 289.5 - 0.52 * (lat2 - 36) - 0.004 * (x - 12) ** 2, "amp": 5.5 + 0.12 * (lat2 - 36)
                + 0.08 * (x + 10), "peak": 7.3, "t_trend": 0.30 + 0.008 * (lat2 - 36),
                "p0": 1.4 + 1.8 * np.exp(-(((x + 10) / 12) ** 2)) + 0.6 * np.exp(-(((lat2 - 62) / 6) ** 2)),
                "p_season": np.where(south, 0.55, -0.15), "p_peak": 1.0,
                "p_trend": np.where(lat2 > 50, 0.03, -0.04)}
    if name == "cmip_west_africa":
        return {"t0": 299.0 + 4.0 * np.exp(-(((lat2 - 17) / 6) ** 2)) + 0.8 * np.sin(np.deg2rad(lon2)),
                "amp": 1.2 + 0.18 * np.clip(lat2, 0, None), "peak": 5.0, "t_trend": 0.28 + 0.0 * lat2,
                "p0": (0.3 + 4.5 * np.exp(-(((lat2 - 9) / 5) ** 2))) * (1 + 0.3 * np.sin(np.deg2rad(lon2))),
                "p_season": np.where(lat2 > 8, 0.95, 0.5), "p_peak": 8.0, "p_trend": 0.05 + 0.0 * lat2}
    return {"t0": 10.5 - 0.55 * (lat2 - 50) + 0.08 * (x + 11), "amp": 5.0 + 0.12 * (x + 11), "peak": 7.6,
            "t_trend": 0.25 + 0.0 * lat2, "p0": 2.0 + 2.5 * np.exp(-(((x + 7) / 3) ** 2)),
            "p_season": 0.3 + 0.0 * lat2, "p_peak": 12.0, "p_trend": 0.02 + 0.0 * lat2}


def _land(lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """A rough British Isles: three ellipses (England and Wales, Scotland, Ireland)."""
    def ellipse(c_lat: float, c_lon: float, a_lat: float, a_lon: float) -> np.ndarray:
        return ((lat2 - c_lat) / a_lat) ** 2 + ((lon2 - c_lon) / a_lon) ** 2 <= 1.0

    return ellipse(52.4, -2.0, 2.4, 2.7) | ellipse(57.0, -4.3, 2.3, 1.9) | ellipse(53.4, -8.0, 2.0, 1.8)


def _fields(rng: np.random.Generator, name: str, sc: dict[str, Any], n_years: int) -> dict[str, np.ndarray]:
    """Temperature (native units) and precipitation (mm/day) fields, shape (time, lat, lon)."""
    lat2, lon2 = np.meshgrid(sc["lat"], sc["lon"], indexing="ij")
    m = _means(name, lat2, lon2)
    n = 12 * n_years
    month = np.tile(np.arange(1, 13), n_years)[:, None, None]
    decades = (np.repeat(np.arange(n_years), 12) / 10.0)[:, None, None]
    season = np.cos(2 * np.pi * (month - m["peak"]) / 12)
    patterns = _patterns(rng, lat2, lon2, 8)
    t_noise = np.einsum("tk,kyx->tyx", _ar1(rng, n, 8), patterns) * sc["noise"] / 1.5
    tas = m["t0"] + m["amp"] * season + m["t_trend"] * decades + t_noise + rng.normal(0, 0.25, (n, *lat2.shape))
    p_season = 1 + m["p_season"] * np.cos(2 * np.pi * (month - m["p_peak"]) / 12)
    p_noise = np.einsum("tk,kyx->tyx", _ar1(rng, n, 8, 0.2), patterns) * 0.25 + rng.normal(0, 0.15, tas.shape)
    pr = np.clip(m["p0"] * p_season, 0.05, None) * np.exp(p_noise) * (1 + m["p_trend"] * decades)
    if name == "eobs_british_isles":
        sea = ~_land(lat2, lon2)
        gaps = rng.random(tas.shape) < 0.004
        tas = np.where(sea | gaps, np.nan, tas)
        pr = np.where(sea | gaps, np.nan, pr)
    return {"tas": tas, "pr": pr}


def _times(sc: dict[str, Any]) -> tuple[np.ndarray, np.ndarray | None, list[tuple[int, int]]]:
    first, last = sc["years"]
    months = [(y, m) for y in range(first, last + 1) for m in range(1, 13)]
    cal, units = sc["calendar"], sc["time_units"]
    starts = [cftime.datetime(y, m, 1, calendar=cal) for y, m in months]
    ends = [cftime.datetime(y + (m == 12), m % 12 + 1, 1, calendar=cal) for y, m in months]
    lo = np.asarray(cftime.date2num(starts, units, calendar=cal), dtype=float)
    hi = np.asarray(cftime.date2num(ends, units, calendar=cal), dtype=float)
    if sc["stamp"] == "start":
        return lo, None, months
    return (lo + hi) / 2, np.stack([lo, hi], axis=1), months


INPUT_ATTRS = {
    "reanalysis_europe": {
        "global": {"Conventions": "CF-1.6", "institution": "European Centre for Medium-Range Weather Forecasts",
                   "source": "ERA5 monthly averaged reanalysis on single levels, regridded to 2 x 2 degrees",
                   "history": "extracted for 35N-71N, 11W-41E"},
        "tas": {"long_name": "2 metre temperature", "standard_name": "air_temperature", "units": "K"},
        "pr": {"long_name": "Total precipitation", "units": "m",
               "comment": "monthly mean of the daily accumulated precipitation (metres of water per day)"},
    },
    "cmip_west_africa": {
        "global": {"Conventions": "CF-1.7 CMIP-6.2", "source_id": "ALE-ESM1", "experiment_id": "historical+ssp245",
                   "variant_label": "r1i1p1f1", "frequency": "mon", "table_id": "Amon", "grid_label": "gn",
                   "history": "historical (1971-2014) and ssp245 (2015-2024) concatenated, 8.75S-33.75N band"},
        "tas": {"standard_name": "air_temperature", "long_name": "Near-Surface Air Temperature", "units": "K",
                "cell_methods": "area: time: mean"},
        "pr": {"standard_name": "precipitation_flux", "long_name": "Precipitation", "units": "kg m-2 s-1",
               "cell_methods": "area: time: mean"},
    },
    "eobs_british_isles": {
        "global": {"Conventions": "CF-1.6", "title": "E-OBS-style gridded observations, monthly means",
                   "history": "monthly means of daily values; 0.5 degree regular grid; land only"},
        "tas": {"standard_name": "air_temperature", "long_name": "mean temperature", "units": "Celsius"},
        "pr": {"standard_name": "lwe_precipitation_rate", "long_name": "mean daily precipitation amount",
               "units": "mm day-1"},
    },
}


def _write_inputs(name: str, sc: dict[str, Any], fields: dict[str, np.ndarray], input_dir: Path) -> None:
    """NetCDF (64-bit offset) files as distributed, written without HDF5 so generation is thread-safe."""
    values, bounds, _ = _times(sc)
    attrs = INPUT_ATTRS[name]
    by_file: dict[str, list[str]] = {}
    for var, (filename, _) in sc["files"].items():
        by_file.setdefault(filename, []).append(var)
    for filename, variables in by_file.items():
        with netcdf_file(input_dir / filename, "w", version=2) as ds:
            for key, value in attrs["global"].items():
                setattr(ds, key, value)
            ds.createDimension("time", None)
            ds.createDimension(sc["lat_name"], len(sc["lat"]))
            ds.createDimension(sc["lon_name"], len(sc["lon"]))
            t = ds.createVariable("time", "d", ("time",))
            for key, value in (("standard_name", "time"), ("units", sc["time_units"]), ("calendar", sc["calendar"]),
                               ("axis", "T")):
                setattr(t, key, value)
            t[:] = values
            if bounds is not None:
                ds.createDimension("bnds", 2)
                t.bounds = "time_bnds"
                ds.createVariable("time_bnds", "d", ("time", "bnds"))[:] = bounds
            for coord, axis, units in ((sc["lat_name"], "Y", "degrees_north"), (sc["lon_name"], "X", "degrees_east")):
                v = ds.createVariable(coord, "d", (coord,))
                v.standard_name = "latitude" if axis == "Y" else "longitude"
                v.units, v.axis = units, axis
                v[:] = sc["lat"] if axis == "Y" else sc["lon"]
            for var in variables:
                v = ds.createVariable(sc["files"][var][1], "f", ("time", sc["lat_name"], sc["lon_name"]))
                for key, value in attrs[var].items():
                    setattr(v, key, value)
                data = fields[var]
                if np.isnan(data).any():
                    v._FillValue = v.missing_value = np.float32(FILL)
                    data = np.where(np.isnan(data), FILL, data)
                v[:] = data.astype(np.float32)


def _stored(sc: dict[str, Any], fields: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The fields as the input files store them: native units, float32."""
    return {"tas": fields["tas"].astype(np.float32), "pr": (fields["pr"] / sc["pr_to_output"]).astype(np.float32)}


def _analysis(
    sc: dict[str, Any], params: Params, stored: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, dict[str, list[float]]],
           dict[str, dict[str, dict[str, float]]]]:
    """The reference analysis of the stored data: climatology, anomalies, regional series and trends."""
    _, _, months_list = _times(sc)
    months = np.array([m for _, m in months_list])
    years = np.array([y for y, _ in months_list])
    in_base = (years >= params["base_start"]) & (years <= params["base_end"])
    tas = stored["tas"].astype(np.float64)
    pr = stored["pr"].astype(np.float64) * sc["pr_to_output"]
    clim = {"tas": climatology(tas, months, in_base), "pr": climatology(pr, months, in_base)}
    anom = {"tas": tas - clim["tas"][months - 1], "pr": pr - clim["pr"][months - 1]}
    if sc["pr_output"] == "%":
        anom["pr"] = 100.0 * anom["pr"] / clim["pr"][months - 1]
    series, trends = _series_and_trends(sc, anom, years)
    return clim, anom, series, trends


WORDINGS = ("significant increase", "significant decrease", "no significant trend")
CLEARLY_SIGNIFICANT_P = 0.04
CLEARLY_NOT_SIGNIFICANT_P = (0.15, 0.7)


def _clear_wordings(trends: dict[str, dict[str, dict[str, float]]]) -> dict[str, list[tuple[str, str]]]:
    """The (region, variable) series whose trend each bulletin wording describes with a margin: significant
    well below 5 %, or a slope whose p-value lies well above 5 % yet is no flat line."""
    shown: dict[str, list[tuple[str, str]]] = {wording: [] for wording in WORDINGS}
    for region, by_var in trends.items():
        for var, fit in by_var.items():
            if fit["p_value"] < CLEARLY_SIGNIFICANT_P:
                shown[WORDINGS[0] if fit["slope_per_decade"] > 0 else WORDINGS[1]].append((region, var))
            elif CLEARLY_NOT_SIGNIFICANT_P[0] <= fit["p_value"] <= CLEARLY_NOT_SIGNIFICANT_P[1]:
                shown[WORDINGS[2]].append((region, var))
    return shown


def _steer_precipitation_trend(sc: dict[str, Any], params: Params, fields: dict[str, np.ndarray], region: str,
                               target_t: float) -> None:
    """Scale ``region``'s precipitation by exp(c x decades from the record's middle), on the cells of that region
    and no other (the other series stay as drawn), with c found by the secant method so that the OLS trend of
    its annual anomalies has the t statistic ``target_t``."""
    lat2, lon2 = np.meshgrid(sc["lat"], sc["lon"], indexing="ij")
    lon180 = (lon2 + 180.0) % 360.0 - 180.0
    inside = {name: (lat2 >= south) & (lat2 <= north) & (lon180 >= west) & (lon180 <= east)
              for name, (south, north, west, east) in sc["regions"].items()}
    cells = inside[region] & (np.sum(list(inside.values()), axis=0) == 1)
    _, _, months_list = _times(sc)
    years = np.array([y for y, _ in months_list])
    decades = (np.arange(len(years)) - (len(years) - 1) / 2) / 120.0
    drawn = fields["pr"]

    def t_statistic(c: float) -> float:
        fields["pr"] = np.where(cells, drawn * np.exp(c * decades)[:, None, None], drawn)
        monthly = _analysis(sc, params, _stored(sc, fields))[2][region]["pr"]
        annual_years, annual, _ = annual_and_fit(monthly, years)
        fit = stats.linregress(annual_years, annual)
        return float(fit.slope / fit.stderr)

    c_old, t_old = 0.0, t_statistic(0.0)
    c, t = 0.05 * np.sign(target_t - t_old), t_statistic(0.05 * np.sign(target_t - t_old))
    for _ in range(8):
        if abs(t - target_t) < 0.05:
            return
        c, c_old, t_old = c + (target_t - t) * (c - c_old) / (t - t_old), c, t
        t = t_statistic(c)


def _show_every_wording(rng: np.random.Generator, sc: dict[str, Any], params: Params,
                        fields: dict[str, np.ndarray]) -> None:
    """Where the draw leaves a bulletin wording without a series it clearly describes, give one region's
    precipitation (not the only series showing another wording) such a trend: a steep significant increase or
    decrease (|t| 4 to 6), or a slope that is not significant at 5 % (|t| 0.8 to 1.3, p about 0.2 to 0.4), so
    that every instance asks for the significance test and for both signs."""
    for wording in WORDINGS:
        shown = _clear_wordings(_analysis(sc, params, _stored(sc, fields))[3])
        if shown[wording]:
            continue
        sole = {series for holders in shown.values() if len(holders) == 1 for series in holders}
        candidates = [region for region in sc["regions"] if (region, "pr") not in sole]
        region = candidates[int(rng.integers(len(candidates)))]
        steep, slight = rng.uniform(4.0, 6.0), rng.choice([-1.0, 1.0]) * rng.uniform(0.8, 1.3)
        target = {WORDINGS[0]: steep, WORDINGS[1]: -steep, WORDINGS[2]: slight}[wording]
        _steer_precipitation_trend(sc, params, fields, region, target)


ASSESSMENT_STREAM = 1


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    name = params["scenario"]
    sc = SCENARIOS[name]
    rng = np.random.default_rng(params["seed"])
    first, last = sc["years"]
    fields = _fields(rng, name, sc, last - first + 1)
    _show_every_wording(np.random.default_rng([params["seed"], ASSESSMENT_STREAM]), sc, params, fields)
    stored = _stored(sc, fields)
    _write_inputs(name, sc, stored, input_dir)
    regions = {k: dict(zip(("lat_min", "lat_max", "lon_min", "lon_max"), v, strict=True))
               for k, v in sc["regions"].items()}
    (input_dir / "regions.json").write_text(json.dumps(regions, indent=2) + "\n")
    clim, anom, series, trends = _analysis(sc, params, stored)
    np.savez(reference_dir / "fields.npz", clim_tas=clim["tas"], clim_pr=clim["pr"],
             anom_tas=anom["tas"].astype(np.float32), anom_pr=anom["pr"].astype(np.float32))
    (reference_dir / "reference.json").write_text(json.dumps(
        {"months": _times(sc)[2], "series": series, "trends": trends}, indent=1))


# --------------------------------------------------------------------------------------------
# grading
# --------------------------------------------------------------------------------------------

CALENDARS = {"standard": "gregorian", "gregorian": "gregorian", "proleptic_gregorian": "gregorian",
             "noleap": "noleap", "365_day": "noleap", "360_day": "360_day"}
TEMP_UNITS = {"K", "degC", "Celsius", "celsius", "deg_C", "degree_Celsius", "degrees_Celsius"}
MMDAY_UNITS = {"mm day-1", "mm/day", "mm d-1", "mm day^-1", "mm.day-1", "kg m-2 day-1"}
PCT_UNITS = {"%", "percent", "1e-2"}


class Submitted:
    """A submitted NetCDF file mapped onto the reference grid and months."""

    def __init__(self, path: Path, sc: dict[str, Any], months: list[tuple[int, int]]) -> None:
        self.problems: list[str] = []
        self.ds = netCDF4.Dataset(path)
        self.ds.set_auto_mask(True)
        self.sc, self.months = sc, months
        self.lat_name = self._coord("latitude", ("lat", "latitude"))
        self.lon_name = self._coord("longitude", ("lon", "longitude"))
        self.rows = self._index(self.lat_name, sc["lat"], wrap=False)
        self.cols = self._index(self.lon_name, sc["lon"], wrap=True)

    def close(self) -> None:
        self.ds.close()

    def _coord(self, standard: str, names: tuple[str, ...]) -> str | None:
        for name, var in self.ds.variables.items():
            if getattr(var, "standard_name", None) == standard or name in names:
                return name
        self.problems.append(f"no {standard} coordinate")
        return None

    def _index(self, name: str | None, want: np.ndarray, wrap: bool) -> np.ndarray | None:
        if name is None:
            return None
        have = np.asarray(self.ds.variables[name][:], dtype=float)
        diff = have[None, :] - want[:, None]
        if wrap:
            diff = (diff + 180.0) % 360.0 - 180.0
        hits = np.abs(diff) < 1e-3
        if not hits.any(axis=1).all():
            self.problems.append(f"{name} does not cover the input grid")
            return None
        return hits.argmax(axis=1)

    def time_months(self) -> list[tuple[int, int]] | None:
        time = self.ds.variables.get("time")
        if time is None:
            return None
        try:
            dates = cftime.num2date(np.asarray(time[:], dtype=float), time.units,
                                    calendar=getattr(time, "calendar", "standard"))
        except (AttributeError, ValueError, TypeError):
            return None
        return [(d.year, d.month) for d in np.atleast_1d(dates)]

    def field(self, var: str) -> np.ndarray | None:
        """(time, lat, lon) on the reference grid order, NaN where masked."""
        v = self.ds.variables.get(var)
        if v is None or self.rows is None or self.cols is None:
            return None
        dims = list(v.dimensions)
        try:
            order = [next(i for i, d in enumerate(dims) if d == "time"), dims.index(self.lat_name),
                     dims.index(self.lon_name)]
        except (StopIteration, ValueError):
            return None
        if len(dims) != 3:
            return None
        data = np.ma.filled(np.ma.asarray(v[:], dtype=float), np.nan).transpose(order)
        return data[:, self.rows][:, :, self.cols]


def _self_contained_copy(g: Grading, name: str) -> Path:
    """``name`` as nccopy copies it where no reference exists: only data stored in the file itself survive."""
    run = g.run_tool(["nccopy", name, "copy.nc"], {name: g.output(name)}, timeout=120)
    copy = run.workdir / "copy.nc"
    if run.returncode != 0 or not copy.is_file():
        raise OSError(f"nccopy could not copy the file on its own (data stored outside it?): {run.stderr[-200:]}")
    return copy


def _open(g: Grading, name: str, sc: dict[str, Any], months: list[tuple[int, int]]) -> Submitted | None:
    try:
        sub = Submitted(_self_contained_copy(g, name), sc, months)
    except (OSError, RuntimeError, ValueError, KeyError, AttributeError) as exc:
        g.check(f"{name} is a readable NetCDF file on the input grid", False, gate=True, reason=str(exc)[:300])
        return None
    if not g.check(f"{name} is a readable NetCDF file on the input grid", not sub.problems, gate=True,
                   reason="; ".join(sub.problems)):
        sub.close()
        return None
    return sub


def _compare(g: Grading, name: str, found: np.ndarray | None, want: np.ndarray, tol: float, weight: float) -> None:
    """Fraction of cells within tolerance; missing must stay missing."""
    if found is None or found.shape != want.shape:
        g.check(name, False, weight=weight, expected=list(want.shape),
                found=None if found is None else list(found.shape), reason="variable missing or wrong shape")
        return
    valid = ~np.isnan(want)
    close = float(np.mean(np.abs(found[valid] - want[valid]) <= tol))
    kept_missing = float(np.mean(np.isnan(found[~valid]))) if (~valid).any() else 1.0
    score = close * kept_missing
    worst = float(np.nanmax(np.abs(found - want))) if np.any(valid & ~np.isnan(found)) else None
    g.check(name, 1.0 if score > 0.9999 else score * 0.9, weight=weight, expected=f"tolerance {tol}",
            found={"fraction_within_tolerance": round(close, 5), "missing_kept_missing": round(kept_missing, 5),
                   "max_abs_diff": worst})


def _grade_climatology(g: Grading, sc: dict[str, Any], ref: dict[str, Any], fields: Any, params: dict[str, Any]) -> None:
    sub = _open(g, "climatology.nc", sc, ref["months"])
    if sub is None:
        return
    try:
        months = sub.time_months()
        ordered = months is not None and [m for _, m in months] == list(range(1, 13))
        _compare(g, "climatology values (temperature)", sub.field("tas_clim") if ordered else None,
                 fields["clim_tas"], TOL["tas"], 1.0)
        _compare(g, "climatology values (precipitation)", sub.field("pr_clim") if ordered else None,
                 fields["clim_pr"], TOL["pr"], 1.0)
        _grade_climatology_cf(g, sub, params)
    finally:
        sub.close()


def _grade_climatology_cf(g: Grading, sub: Submitted, params: dict[str, Any]) -> None:
    """CF 7.4: time carries a climatology attribute naming (12, 2) bounds that span the base period."""
    time = sub.ds.variables.get("time")
    problems = []
    bounds_name = getattr(time, "climatology", None) if time is not None else None
    if bounds_name not in sub.ds.variables:
        problems.append("time has no climatology attribute naming a bounds variable")
    else:
        bounds = np.asarray(sub.ds.variables[bounds_name][:], dtype=float)
        try:
            lo = cftime.num2date(bounds[:, 0], time.units, calendar=getattr(time, "calendar", "standard"))
            hi = cftime.num2date(bounds[:, 1], time.units, calendar=getattr(time, "calendar", "standard"))
            spans = bounds.shape == (12, 2) and all(d.year == params["base_start"] for d in lo) and all(
                d.year in (params["base_end"], params["base_end"] + 1) for d in hi)
        except (AttributeError, ValueError, TypeError, IndexError):
            spans = False
        if not spans:
            problems.append("climatology bounds do not span the base period for each month")
    for var in ("tas_clim", "pr_clim"):
        methods = " ".join(str(getattr(sub.ds.variables.get(var), "cell_methods", "")).split())
        if "time: mean within years time: mean over years" not in methods:
            problems.append(f"{var} cell_methods lacks 'time: mean within years time: mean over years'")
    g.check("climatology CF metadata (climatology bounds, cell_methods)", not problems, reason="; ".join(problems))


def _grade_anomaly_cf(g: Grading, sub: Submitted, sc: dict[str, Any], ref_months: list, has_missing: bool) -> None:
    ds, problems = sub.ds, []
    if not str(getattr(ds, "Conventions", "")).startswith("CF-"):
        problems.append("global Conventions is not CF-x.y")
    for name, units in ((sub.lat_name, "degrees_north"), (sub.lon_name, "degrees_east")):
        if name is None or getattr(ds.variables[name], "units", "") != units:
            problems.append(f"{name} units should be {units}")
    time = ds.variables.get("time")
    calendar = getattr(time, "calendar", None) if time is not None else None
    if CALENDARS.get(str(calendar)) != CALENDARS[sc["calendar"]]:
        problems.append(f"time calendar {calendar!r} differs from the input's {sc['calendar']!r}")
    if sub.time_months() != [tuple(m) for m in ref_months]:
        problems.append("time does not decode to the input's months")
    tas, pr = ds.variables.get("tas_anom"), ds.variables.get("pr_anom")
    if tas is None or getattr(tas, "standard_name", "") != "air_temperature_anomaly" or str(
            getattr(tas, "units", "")) not in TEMP_UNITS:
        problems.append("tas_anom needs standard_name air_temperature_anomaly and temperature units")
    allowed = PCT_UNITS if sc["pr_output"] == "%" else MMDAY_UNITS
    if pr is None or str(getattr(pr, "units", "")) not in allowed:
        problems.append(f"pr_anom units should be {sc['pr_output']}")
    for var in (tas, pr):
        if var is not None and not getattr(var, "long_name", ""):
            problems.append(f"{var.name} has no long_name")
    if has_missing and tas is not None and not (
            hasattr(tas, "_FillValue") or hasattr(tas, "missing_value")):
        problems.append("missing values are not flagged with _FillValue/missing_value")
    g.check("anomalies.nc CF metadata (Conventions, coordinates, calendar, units, names)", not problems,
            weight=1.5, reason="; ".join(problems))


def _read_series(g: Grading, regions: list[str], n: int) -> dict[str, dict[str, np.ndarray]] | None:
    rows = g.read_csv("regional_series.csv", required_columns=("time", "region", "tas_anom", "pr_anom"), gate=False)
    if rows is None:
        return None
    out = {r: {"tas": np.full(n, np.nan), "pr": np.full(n, np.nan)} for r in regions}
    return out if _fill_series(rows, out, n) else None


def _fill_series(rows: list[dict[str, str]], out: dict[str, dict[str, np.ndarray]], n: int) -> bool:
    by_region: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_region.setdefault(row.get("region", "").strip(), []).append(row)
    for region, target in out.items():
        got = sorted(by_region.get(region, []), key=lambda r: r.get("time", ""))
        if len(got) != n:
            return False
        for var in ("tas", "pr"):
            target[var][:] = [as_number(r.get(f"{var}_anom")) if as_number(r.get(f"{var}_anom")) is not None
                              else np.nan for r in got]
    return True


def _grade_series(g: Grading, sc: dict[str, Any], ref: dict[str, Any], sub_anom: dict[str, np.ndarray | None]) -> None:
    regions = list(sc["regions"])
    n = len(ref["months"])
    got = _read_series(g, regions, n)
    pr_tol = TOL["pct"] if sc["pr_output"] == "%" else TOL["pr"]
    if got is None:
        g.check("regional series match the reference", False, weight=2.0, reason="regional_series.csv incomplete")
        g.check("regional series agree with anomalies.nc", False, reason="regional_series.csv incomplete")
        return
    good = total = 0
    for region in regions:
        for var, tol in (("tas", 2 * TOL["tas"]), ("pr", 2 * pr_tol)):
            want = np.array(ref["series"][region][var])
            good += int(np.sum(np.abs(got[region][var] - want) <= tol))
            total += n
    g.check("regional series match the reference", good / total if good < total else 1.0, weight=2.0,
            expected=f"{total} values", found=f"{good} within tolerance")
    good = total = 0
    for region, box in sc["regions"].items():
        for var, tol in (("tas", 2 * TOL["tas"]), ("pr", 2 * pr_tol)):
            field = sub_anom.get(var)
            if field is None:
                continue
            mine = regional_series(field, sc["lat"], sc["lon"], box)
            good += int(np.sum(np.abs(got[region][var] - mine) <= tol))
            total += n
    g.check("regional series agree with anomalies.nc", bool(total) and good == total,
            expected=f"{len(regions) * 2 * n} values", found=f"{good} of {total} consistent")


def _grade_trends(g: Grading, sc: dict[str, Any], ref: dict[str, Any]) -> None:
    rows = g.read_csv("trends.csv", required_columns=("region", "variable", "slope_per_decade", "ci_low", "ci_high",
                                                      "p_value"), gate=False)
    if rows is None:
        g.check("trend slopes and 95% CIs", False, weight=1.5)
        g.check("trend p-values and significance", False)
        return
    found = {(r.get("region", "").strip(), r.get("variable", "").strip().removesuffix("_anom")): r for r in rows}
    slopes = pvals = total = 0
    for region in sc["regions"]:
        for var in ("tas", "pr"):
            want = ref["trends"][region][var]
            row = found.get((region, var))
            total += 1
            if row is None:
                continue
            scale = max(abs(want["slope_per_decade"]), abs(want["ci_high"] - want["ci_low"]))
            if all(as_number(row.get(k)) is not None and abs(as_number(row[k]) - want[k]) <= max(0.003, 0.01 * scale)
                   for k in ("slope_per_decade", "ci_low", "ci_high")) and ci_width_ok(row, want):
                slopes += 1
            p = as_number(row.get("p_value"))
            if p is not None and (abs(p - want["p_value"]) <= max(0.002, 0.05 * want["p_value"])):
                pvals += 1
    g.check("trend slopes and 95% CIs", slopes / total, weight=1.5, expected=f"{total} trends",
            found=f"{slopes} correct")
    g.check("trend p-values and significance", pvals / total, expected=f"{total} trends", found=f"{pvals} correct")
    wrong = []
    for region in sc["regions"]:
        for var in ("tas", "pr"):
            said = (found.get((region, var)) or {}).get("assessment", "").strip().lower()
            if said not in trend_assessments(ref["trends"][region][var]):
                wrong.append(f"{region} {var}: {said or 'missing'}")
    g.check("bulletin assessment of each trend (significant increase / decrease or none, 5 % level)",
            1 - len(wrong) / total, weight=1.5, expected=f"{total} assessments that follow from slope and p-value",
            reason="; ".join(wrong[:6]))


def ci_width_ok(row: dict[str, str], want: dict[str, float]) -> bool:
    """Whether the interval's width is the reference's to 1 %: the Student t quantile with n - 2 degrees of
    freedom, not the normal 1.96 (2 to 3 % narrower for these record lengths), which the absolute tolerance on
    the ends alone lets through when the trend is steep."""
    low, high = as_number(row.get("ci_low")), as_number(row.get("ci_high"))
    width = want["ci_high"] - want["ci_low"]
    return low is not None and high is not None and abs((high - low) - width) <= 0.01 * abs(width) + 1e-9


def trend_assessments(want: dict[str, float]) -> set[str]:
    """The acceptable bulletin wordings of a trend: significant at the 5 % level (two-sided) with its sign,
    or not; within half a percentage point of the threshold either wording holds."""
    direction = "significant increase" if want["slope_per_decade"] > 0 else "significant decrease"
    if abs(want["p_value"] - 0.05) < 0.005:
        return {direction, "no significant trend"}
    return {direction} if want["p_value"] < 0.05 else {"no significant trend"}


def figure_curves(pixels: np.ndarray, series: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, tuple[float, float]]:
    """Read the figure: for each named (annual values, trend line) pair, how well the best-matching
    line colour of any panel draws the annual values (``ChartReading.match``), and how much of the trend
    line is drawn on that scale, in the curve's own colour, in dark ink or in a colour that draws no other
    series' annual values (another region's curve crossing the trend's path is not a trend line), less
    what the same strokes draw along paths parallel to it (``trend_drawn``)."""
    reading = read_chart(pixels)
    matched = {name: fit for name, fit in reading.match({k: v[0] for k, v in series.items()}).items() if fit}
    taken = {index for index, _ in matched.values()}
    found: dict[str, tuple[float, float]] = {name: (0.0, 0.0) for name in series}
    for name, (index, fit) in matched.items():
        panel = reading.traces[index].panel
        here = [(i, t.mask) for i, t in enumerate(reading.traces) if t.panel == panel]
        curve_rows, trend_rows = (fit.scale * values + fit.offset for values in series[name])
        along = curve_drawn(reading.traces[index].mask, fit.columns, curve_rows, trend_rows)
        score = fit.score if along >= 0.3 or _line_like(reading.traces[index].mask) else min(fit.score, along)
        mine = [mask for i, mask in here if i == index or i not in taken]
        others = [mask for i, mask in here if i in taken and i != index]
        covered = ndimage.binary_dilation(np.logical_or.reduce(others), iterations=2) if others else None
        strokes = np.logical_or.reduce([reading.ink[panel], *mine])
        if covered is not None:
            strokes &= ~covered
        rows, cols = reading.panels[panel]
        strokes &= ~_rules(pixels[rows, cols].astype(np.int16), fit.columns, trend_rows)
        found[name] = (score, trend_drawn(strokes, covered, fit.columns, curve_rows, trend_rows))
    return found


def reading_tolerance(height: int) -> float:
    """How far (in pixel rows) a drawn stroke may lie from the path it is read along, on a panel ``height`` rows
    high: line width and antialiasing, and the reading's fit of the axis scale."""
    return max(3.0, 0.02 * height)


def curve_drawn(trace: np.ndarray, xs: np.ndarray, curve_rows: np.ndarray, trend_rows: np.ndarray) -> float:
    """The share of the matched colour's strokes that lie along the curve's path (through ``curve_rows`` at
    the year columns ``xs``, within the reading tolerance of it 3 columns either side) or along its trend
    line. A series' colour draws its curve (and perhaps its trend line, markers, a legend sample); a hatch
    or texture that passes through the yearly points (the rest of them "hidden" under other colours) has
    most of its strokes elsewhere."""
    tol = reading_tolerance(trace.shape[0])
    columns = np.arange(xs[0], xs[-1] + 1)
    inside = (columns >= 0) & (columns < trace.shape[1])
    columns = columns[inside]
    path = np.interp(columns, xs, curve_rows)
    low = ndimage.minimum_filter1d(path, 7, mode="nearest") - tol
    high = ndimage.maximum_filter1d(path, 7, mode="nearest") + tol
    trend = np.interp(columns, xs, trend_rows)
    rows = np.arange(trace.shape[0])[:, None]
    near = ((rows >= low) & (rows <= high)) | (np.abs(rows - trend) <= tol)
    total = int(trace.sum())
    return float((trace[:, columns] & near).sum() / total) if total else 0.0


def _line_like(trace: np.ndarray) -> bool:
    """Whether a colour's strokes are a few lines: at most 3 separate strokes down the median column (a
    curve, its trend line and a marker or crossing), where a hatch or texture has many."""
    columns = np.flatnonzero(trace.any(axis=0))
    counts = [np.count_nonzero(np.diff(np.concatenate(([0], trace[:, x].astype(np.int8), [0]))) == 1)
              for x in columns]
    return bool(counts) and float(np.median(counts)) <= 3


def _rules(rgb: np.ndarray, xs: np.ndarray, trend_rows: np.ndarray) -> np.ndarray:
    """The straight horizontal and vertical lines of a panel (grid, reference and frame lines, at least 40 px
    long, read through whatever crosses them), widened by a pixel: they draw no trend line, however dense,
    unless a horizontal one runs along the trend's own path (a flat trend)."""
    drawn = (rgb.mean(axis=2) < 215) | ((rgb.max(axis=2) - rgb.min(axis=2)) > 60)
    across, down = long_runs(drawn, 40), long_runs(drawn.T, 40).T
    hug = reading_tolerance(drawn.shape[0])
    labels, _ = ndimage.label(across, structure=[[0, 0, 0], [1, 1, 1], [0, 0, 0]])
    for k, where in enumerate(ndimage.find_objects(labels), 1):
        row, span = where[0].start, np.arange(where[1].start, where[1].stop)
        inside = (span >= xs[0] - 2) & (span <= xs[-1] + 2)
        if inside.all() and np.abs(np.interp(span, xs, trend_rows) - row).max() <= hug:
            across[labels == k] = False
    return ndimage.binary_dilation(across, structure=[[0, 1, 0], [0, 1, 0], [0, 1, 0]]) | ndimage.binary_dilation(
        down, structure=[[0, 0, 0], [1, 1, 1], [0, 0, 0]])


def _path_drawn(strokes: np.ndarray, covered: np.ndarray | None, columns: np.ndarray, rows: np.ndarray,
                tol: float) -> tuple[int, int]:
    """How many of the path's columns ``strokes`` draw within ``tol`` rows, and how many ``covered`` hides."""
    drawn = hidden = 0
    for x, r in zip(columns, rows, strict=True):
        window = (slice(int(max(0, r - tol)), int(max(0, r + tol + 1))), slice(max(x - 1, 0), x + 2))
        if strokes[window].any():
            drawn += 1
        elif covered is not None and covered[window].any():
            hidden += 1
    return drawn, hidden


def trend_drawn(strokes: np.ndarray, covered: np.ndarray | None, xs: np.ndarray, curve_rows: np.ndarray,
                trend_rows: np.ndarray) -> float:
    """The share of the trend line's path that ``strokes`` draw, over the columns where the annual curve
    (through ``curve_rows`` at the year columns ``xs``) runs well away from it, so that the curve itself
    cannot stand in for the trend line (over the year columns when the curve never leaves the trend).
    Columns where another series' strokes (``covered``) hide the path are left out; a path hidden almost
    everywhere counts as drawn, since no reader could tell either. Strokes that fill the plot evenly (a
    hatch, a texture) draw every path alike, and a trend line stands out from its surroundings: when the
    share is not at least 0.3 above what the same strokes draw along paths parallel to the trend, 3 to 5
    tolerances off it (the median; the curve's own strokes left out), the share is that difference."""
    tol = reading_tolerance(strokes.shape[0])
    columns = np.arange(xs[0], xs[-1] + 1)
    curve, trend = np.interp(columns, xs, curve_rows), np.interp(columns, xs, trend_rows)
    apart = np.abs(curve - trend) > 3 * tol
    if apart.sum() < 0.05 * len(columns):
        path_columns, path = xs, trend_rows
    else:
        path_columns, path = columns[apart], trend[apart]
    drawn, hidden = _path_drawn(strokes, covered, path_columns, path, tol)
    visible = len(path_columns) - hidden
    if visible < 0.1 * len(path_columns):
        return 1.0
    share = drawn / visible
    off_curve = strokes.copy()
    off_curve[:, columns] &= np.abs(np.arange(strokes.shape[0])[:, None] - curve[None, :]) > tol
    around = []
    for k in (-5, -4, -3, 3, 4, 5):
        parallel = trend + k * tol
        keep = (np.abs(curve - parallel) > 3 * tol) & (parallel >= 0) & (parallel < strokes.shape[0])
        if keep.sum() >= 0.2 * len(columns):
            drawn, hidden = _path_drawn(off_curve, covered, columns[keep], parallel[keep], tol)
            if keep.sum() - hidden >= 0.1 * keep.sum():
                around.append(drawn / (keep.sum() - hidden))
    background = float(np.median(around)) if around else 0.0
    return share if share - background >= 0.3 else share - background


def _grade_figure(g: Grading, sc: dict[str, Any], ref: dict[str, Any]) -> None:
    pixels = g.image("regional_anomalies.png", gate=False)
    problems = ["not a decodable image"] if pixels is None else chart_problems(pixels)
    g.check("figure is a line chart (plain ground, axes, plotted lines; not blank or noise)", not problems,
            weight=0.5, reason="; ".join(problems))
    years = np.array([y for y, _ in ref["months"]])
    series = {f"{region} {var}": annual_and_fit(ref["series"][region][var], years)[1:]
              for region in sc["regions"] for var in ("tas", "pr")}
    curves = {} if problems or pixels is None else figure_curves(pixels, series)
    drawn = [name for name, (curve, line) in curves.items() if curve >= 0.9 and line >= 0.6]
    g.check("figure draws every region's annual anomalies and trend line (curves read from the PNG)",
            len(drawn) / len(series), weight=1.0,
            expected=f"{len(series)} annual curves, each with >= 90% of its years on the plotted line and its trend",
            found={name: [round(c, 2), round(t, 2)] for name, (c, t) in curves.items()},
            reason="; ".join(problems) if problems else "" if len(drawn) == len(series) else
            "missing or not matching: " + ", ".join(sorted(set(series) - set(drawn))))
    rows = g.read_csv("figure_data.csv", required_columns=("region", "variable", "year", "annual_anomaly",
                                                           "trend"), gate=False)
    years = np.array([y for y, _ in ref["months"]])
    pr_tol = TOL["pct"] if sc["pr_output"] == "%" else TOL["pr"]
    found = {} if rows is None else {(r.get("region", "").strip(), r.get("variable", "").strip().removesuffix(
        "_anom"), as_number(r.get("year"))): r for r in rows}
    good = total = 0
    for region in sc["regions"]:
        for var, tol in (("tas", 2 * TOL["tas"]), ("pr", 2 * pr_tol)):
            for year, annual, line in zip(*annual_and_fit(ref["series"][region][var], years), strict=True):
                total += 1
                row = found.get((region, var, float(year)), {})
                a, t = as_number(row.get("annual_anomaly")), as_number(row.get("trend"))
                good += a is not None and t is not None and abs(a - annual) <= tol and abs(t - line) <= tol
    g.check("figure data (figure_data.csv): the annual regional anomalies and trend lines plotted", good / total,
            weight=1.0, expected=f"{total} points", found=f"{good} within tolerance",
            reason="" if rows is not None else "figure_data.csv missing or without its columns")


def grade(g: Grading) -> None:
    params = g.params
    sc = SCENARIOS[params["scenario"]]
    ref = g.reference_json("reference.json")
    fields = np.load(g.reference("fields.npz"))
    if not g.require_files("climatology.nc", "anomalies.nc", "regional_series.csv", "trends.csv",
                           "regional_anomalies.png"):
        return
    sub = _open(g, "anomalies.nc", sc, ref["months"])
    if sub is None:
        return
    try:
        same_time = sub.time_months() == [tuple(m) for m in ref["months"]]
        anom = {"tas": sub.field("tas_anom") if same_time else None,
                "pr": sub.field("pr_anom") if same_time else None}
        _compare(g, "temperature anomalies", anom["tas"], fields["anom_tas"], TOL["tas"], 2.0)
        _compare(g, "precipitation anomalies", anom["pr"], fields["anom_pr"],
                 TOL["pct"] if sc["pr_output"] == "%" else TOL["pr"], 2.0)
        _grade_anomaly_cf(g, sub, sc, ref["months"], bool(np.isnan(fields["anom_tas"]).any()))
    finally:
        sub.close()
    _grade_climatology(g, sc, ref, fields, params)
    _grade_series(g, sc, ref, anom)
    _grade_trends(g, sc, ref)
    _grade_figure(g, sc, ref)
