#!/usr/bin/env python3
"""Plausible fabrication for physical_sciences/climate_anomalies.

Right files, variables and columns, but shortcuts throughout: the "climatology" is the mean of
each calendar month over the whole record (not the base period), no unit conversion, no CF
climatology bounds, unweighted regional boxes without longitude wrap-around, trends fitted
to the monthly values with an invented p-value, and a blank image.
"""

import csv
import json
import os
import struct
import zlib
from pathlib import Path

import netCDF4
import numpy as np

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def load() -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, netCDF4.Variable, list[Path]]:
    data: dict[str, np.ndarray] = {}
    files = sorted(p for p in IN.glob("*.nc"))
    lat = lon = time = None
    for path in files:
        ds = netCDF4.Dataset(path)
        for name, var in ds.variables.items():
            if var.ndim == 3:
                key = "tas" if name in ("t2m", "tas", "tg") else "pr"
                data[key] = np.ma.filled(var[:].astype(float), np.nan)
            elif name in ("lat", "latitude"):
                lat = var[:]
            elif name in ("lon", "longitude"):
                lon = var[:]
        time = ds.variables["time"]
    return data, np.asarray(lat), np.asarray(lon), time, files


def write_nc(path: Path, names: dict[str, np.ndarray], lat: np.ndarray, lon: np.ndarray, times: np.ndarray,
             units: str, calendar: str) -> None:
    with netCDF4.Dataset(path, "w") as ds:
        ds.Conventions = "CF-1.8"
        ds.createDimension("time", len(times))
        ds.createDimension("lat", len(lat))
        ds.createDimension("lon", len(lon))
        t = ds.createVariable("time", "f8", ("time",))
        t.units, t.calendar = units, calendar
        t[:] = times
        for name, values, unit in (("lat", lat, "degrees_north"), ("lon", lon, "degrees_east")):
            v = ds.createVariable(name, "f8", (name,))
            v.units = unit
            v[:] = values
        for name, values in names.items():
            v = ds.createVariable(name, "f4", ("time", "lat", "lon"), fill_value=-9999.0)
            v.units = "K" if name.startswith("tas") else "mm day-1"
            v.long_name = name
            v[:] = np.ma.masked_invalid(values)


def blank_png(path: Path) -> None:
    raw = b"".join(b"\x00" + b"\xff" * 640 * 3 for _ in range(480))
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 640, 480, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def main() -> None:
    data, lat, lon, time, _ = load()
    n = data["tas"].shape[0]
    months = np.arange(n) % 12
    clim = {k: np.stack([np.nanmean(v[months == m], axis=0) for m in range(12)]) for k, v in data.items()}
    anom = {k: data[k] - clim[k][months] for k in data}
    write_nc(OUT / "climatology.nc", {"tas_clim": clim["tas"], "pr_clim": clim["pr"]}, lat, lon,
             np.asarray(time[:12]), time.units, getattr(time, "calendar", "standard"))
    write_nc(OUT / "anomalies.nc", {"tas_anom": anom["tas"], "pr_anom": anom["pr"]}, lat, lon,
             np.asarray(time[:]), time.units, getattr(time, "calendar", "standard"))
    regions = json.loads((IN / "regions.json").read_text())
    first_year = int(str(netCDF4.num2date(time[0], time.units, getattr(time, "calendar", "standard")))[:4])
    with open(OUT / "regional_series.csv", "w", newline="") as handle, \
            open(OUT / "trends.csv", "w", newline="") as trends_handle:
        writer, trends = csv.writer(handle), csv.writer(trends_handle)
        writer.writerow(["time", "region", "tas_anom", "pr_anom"])
        trends.writerow(["region", "variable", "slope_per_decade", "ci_low", "ci_high", "p_value", "assessment"])
        for name, box in regions.items():
            rows = (lat >= box["lat_min"]) & (lat <= box["lat_max"])
            cols = (lon >= box["lon_min"]) & (lon <= box["lon_max"])
            means = {k: np.nanmean(v[:, rows][:, :, cols], axis=(1, 2)) for k, v in anom.items()}
            for i in range(n):
                writer.writerow([f"{first_year + i // 12}-{i % 12 + 1:02d}", name, means["tas"][i], means["pr"][i]])
            for var, series in means.items():
                slope = np.polyfit(np.arange(n) / 120.0, np.nan_to_num(series), 1)[0]
                trends.writerow([name, var, slope, slope * 0.5, slope * 1.5, 0.01, "significant increase"])
    blank_png(OUT / "regional_anomalies.png")


if __name__ == "__main__":
    main()
