#!/usr/bin/env python3
"""Oracle for physical_sciences/climate_anomalies: CDO for the statistics, NCO for the CF metadata,
netCDF4/scipy/matplotlib for the bounds, trends and figure (with the plotted numbers), ncdump to
read back the headers written.

ALE-CANARY-e81306b9-82ce-4af4-a635-97bfb7df7c7f
"""

import csv
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

import cftime
import matplotlib
import netCDF4
import numpy as np
from scipy import stats

matplotlib.use("Agg")
import matplotlib.pyplot as plt

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
WORK = Path(tempfile.mkdtemp())

# input file pattern -> (variable, factor to the output unit)
SOURCES = {
    "era5_monthly_*.nc": {"tas": ("t2m", 1.0), "pr": ("tp", 1000.0)},
    "tas_Amon_*.nc": {"tas": ("tas", 1.0)},
    "pr_Amon_*.nc": {"pr": ("pr", 86400.0)},
    "tg_monthly_*.nc": {"tas": ("tg", 1.0)},
    "rr_monthly_*.nc": {"pr": ("rr", 1.0)},
}


def cdo(*args: str) -> str:
    return subprocess.run(["cdo", "-s", "-L", "-O", *args], check=True, capture_output=True, text=True).stdout


def nco(*args: str) -> None:
    subprocess.run(list(args), check=True, capture_output=True, text=True)


def base_period() -> tuple[int, int]:
    text = Path(os.environ["ALE_INSTRUCTION"]).read_text()
    start, end = re.search(r"(\d{4})\s*[–-]\s*(\d{4})\*\*", text).groups()
    return int(start), int(end)


def prepare() -> dict[str, Path]:
    """tas and pr, renamed, in output units (K or degC; mm day-1)."""
    out = {}
    for pattern, variables in SOURCES.items():
        for path in IN.glob(pattern):
            for name, (source, factor) in variables.items():
                target = WORK / f"{name}.nc"
                cdo(f"-setname,{name}", f"-mulc,{factor}", f"-selname,{source}", str(path), str(target))
                if name == "pr":
                    nco("ncatted", "-O", "-a", "units,pr,o,c,mm day-1", "-a", "standard_name,pr,d,,", str(target))
                out[name] = target
    return out


def climatology_bounds(path: Path, start: int, end: int) -> None:
    with netCDF4.Dataset(path, "a") as ds:
        time = ds.variables["time"]
        cal = getattr(time, "calendar", "standard")
        lo = [cftime.datetime(start, m, 1, calendar=cal) for m in range(1, 13)]
        hi = [cftime.datetime(end + (m == 12), m % 12 + 1, 1, calendar=cal) for m in range(1, 13)]
        if "nv" not in ds.dimensions:
            ds.createDimension("nv", 2)
        bounds = ds.createVariable("climatology_bnds", "f8", ("time", "nv"))
        bounds[:, 0] = cftime.date2num(lo, time.units, calendar=cal)
        bounds[:, 1] = cftime.date2num(hi, time.units, calendar=cal)
        if "bounds" in time.ncattrs():
            time.delncattr("bounds")
        time.climatology = "climatology_bnds"


def fields(start: int, end: int, percent: bool) -> None:
    files = prepare()
    cdo("merge", str(files["tas"]), str(files["pr"]), str(WORK / "data.nc"))
    cdo("ymonmean", f"-selyear,{start}/{end}", str(WORK / "data.nc"), str(WORK / "clim.nc"))
    cdo("ymonsub", str(WORK / "data.nc"), str(WORK / "clim.nc"), str(WORK / "anom.nc"))
    if percent:
        cdo("mulc,100", "-ymondiv", "-selname,pr", str(WORK / "anom.nc"), "-selname,pr", str(WORK / "clim.nc"),
            str(WORK / "pr_pct.nc"))
        cdo("merge", "-selname,tas", str(WORK / "anom.nc"), str(WORK / "pr_pct.nc"), str(WORK / "anom2.nc"))
        (WORK / "anom2.nc").replace(WORK / "anom.nc")

    clim, anom = OUT / "climatology.nc", OUT / "anomalies.nc"
    nco("ncks", "-O", "-4", "-C", "-x", "-v", "time_bnds", str(WORK / "clim.nc"), str(clim))
    nco("ncrename", "-O", "-v", "tas,tas_clim", "-v", "pr,pr_clim", str(clim))
    nco("ncatted", "-O", "-a", "cell_methods,tas_clim,o,c,time: mean within years time: mean over years",
        "-a", "cell_methods,pr_clim,o,c,time: mean within years time: mean over years",
        "-a", "long_name,tas_clim,o,c,near-surface air temperature climatology",
        "-a", "long_name,pr_clim,o,c,precipitation climatology", "-a", "Conventions,global,o,c,CF-1.8",
        "-a", "comment,global,o,c,monthly climatology over " + f"{start}-{end}", str(clim))
    climatology_bounds(clim, start, end)

    nco("ncks", "-O", "-4", str(WORK / "anom.nc"), str(anom))
    nco("ncrename", "-O", "-v", "tas,tas_anom", "-v", "pr,pr_anom", str(anom))
    nco("ncatted", "-O", "-a", "standard_name,tas_anom,o,c,air_temperature_anomaly",
        "-a", "long_name,tas_anom,o,c,near-surface air temperature anomaly",
        "-a", "long_name,pr_anom,o,c,precipitation anomaly" + (" (percent of climatology)" if percent else ""),
        "-a", "units,pr_anom,o,c," + ("%" if percent else "mm day-1"),
        "-a", "Conventions,global,o,c,CF-1.8",
        "-a", "comment,global,o,c,anomalies relative to the " + f"{start}-{end} monthly climatology", str(anom))


def check_headers() -> None:
    """Read back the headers of the written files (ncdump -h) and stop on a missing CF attribute."""
    for name, needed in (("climatology.nc", ("climatology =", "cell_methods", "tas_clim", "pr_clim")),
                         ("anomalies.nc", ("Conventions", "air_temperature_anomaly", "calendar", "pr_anom"))):
        header = subprocess.run(["ncdump", "-h", str(OUT / name)], check=True, capture_output=True, text=True).stdout
        missing = [word for word in needed if word not in header]
        if missing:
            raise SystemExit(f"{name}: header lacks {missing}")


def regional(regions: dict) -> dict[str, dict[str, tuple[list[str], np.ndarray]]]:
    out: dict[str, dict[str, tuple[list[str], np.ndarray]]] = {}
    for name, box in regions.items():
        out[name] = {}
        for var in ("tas", "pr"):
            text = cdo("outputtab,date,value", "-fldmean",
                       f"-sellonlatbox,{box['lon_min']},{box['lon_max']},{box['lat_min']},{box['lat_max']}",
                       f"-selname,{var}_anom", str(OUT / "anomalies.nc"))
            rows = [line.split() for line in text.splitlines() if line.strip() and not line.startswith("#")]
            out[name][var] = ([r[0][:7] for r in rows], np.array([float(r[1]) for r in rows]))
    return out


def main() -> None:
    start, end = base_period()
    regions = json.loads((IN / "regions.json").read_text())
    percent = any(IN.glob("rr_monthly_*.nc"))
    fields(start, end, percent)
    check_headers()
    series = regional(regions)

    with open(OUT / "regional_series.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["time", "region", "tas_anom", "pr_anom"])
        for name in regions:
            times, tas = series[name]["tas"]
            _, pr = series[name]["pr"]
            for t, a, b in zip(times, tas, pr, strict=True):
                writer.writerow([t, name, f"{a:.5f}", f"{b:.5f}"])

    fig, axes = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    with open(OUT / "trends.csv", "w", newline="") as handle, \
            open(OUT / "figure_data.csv", "w", newline="") as plotted:
        writer, plot_writer = csv.writer(handle), csv.writer(plotted)
        writer.writerow(["region", "variable", "slope_per_decade", "ci_low", "ci_high", "p_value", "assessment"])
        plot_writer.writerow(["region", "variable", "year", "annual_anomaly", "trend"])
        for name in regions:
            for ax, var in zip(axes, ("tas", "pr"), strict=True):
                times, values = series[name][var]
                years = np.array([int(t[:4]) for t in times])
                annual_years = np.unique(years)
                annual = np.array([values[years == y].mean() for y in annual_years])
                fit = stats.linregress(annual_years, annual)
                half = stats.t.ppf(0.975, len(annual) - 2) * fit.stderr
                writer.writerow([name, var, f"{10 * fit.slope:.6f}", f"{10 * (fit.slope - half):.6f}",
                                 f"{10 * (fit.slope + half):.6f}", f"{fit.pvalue:.6g}",
                                 ("significant increase" if fit.slope > 0 else "significant decrease") if fit.pvalue < 0.05 else "no significant trend"])
                fitted = fit.intercept + fit.slope * annual_years
                plot_writer.writerows([name, var, int(y), f"{a:.5f}", f"{t:.5f}"]
                                      for y, a, t in zip(annual_years, annual, fitted, strict=True))
                line = ax.plot(annual_years, annual, marker=".", label=name)[0]
                ax.plot(annual_years, fitted, color=line.get_color(), ls="--")
    axes[0].set_ylabel("temperature anomaly")
    axes[1].set_ylabel("precipitation anomaly" + (" (%)" if percent else " (mm/day)"))
    axes[0].set_title(f"Annual regional anomalies relative to {start}-{end}, with OLS trends")
    axes[0].legend(fontsize=8)
    for ax in axes:
        ax.axhline(0, color="grey", lw=0.5)
    fig.tight_layout()
    fig.savefig(OUT / "regional_anomalies.png", dpi=100)


if __name__ == "__main__":
    main()
