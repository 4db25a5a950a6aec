#!/usr/bin/env python3
"""Oracle: NDVI, management zones and a VRA nitrogen prescription with GDAL/OGR (tools + Python bindings)."""
# ALE-CANARY-3e8d1f60-95b2-4c7a-8f14-6b0d2c9e7a35

import csv
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()
IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])
TMP = Path(tempfile.mkdtemp())
NODATA = -9999.0

# The season's agronomic rules, as the brief states them for each kind of imagery.
RULES = {
    "sentinel2": {"zones": 3, "breaks": [0.5, 0.7], "sieve": 10, "table": {1: 80, 2: 60, 3: 40},
                  "n_per_unit": 0.28 * 1.28},
    "planetscope": {"zones": 4, "breaks": None, "sieve": 100, "linear": (185.0, 150.0, 0.70, 140.0, 230.0, 5.0),
                    "n_per_unit": 0.46},
    "drone": {"zones": 3, "breaks": None, "sieve": 250, "table": {1: 100, 2: 80, 3: 60}, "n_per_unit": 0.32 * 1.32},
}


def run(*argv: str) -> None:
    subprocess.run(list(argv), check=True)


def grid_of(path: Path) -> dict:
    ds = gdal.Open(str(path))
    gt = ds.GetGeoTransform()
    return {"gt": gt, "wkt": ds.GetProjection(), "cols": ds.RasterXSize, "rows": ds.RasterYSize,
            "te": [str(gt[0]), str(gt[3] + ds.RasterYSize * gt[5]), str(gt[0] + ds.RasterXSize * gt[1]), str(gt[3])],
            "epsg": osr.SpatialReference(wkt=ds.GetProjection()).GetAuthorityCode(None)}


def read(path: Path, band: int = 1) -> np.ndarray:
    ds = gdal.Open(str(path))  # keep the dataset alive while its band is read
    return ds.GetRasterBand(band).ReadAsArray().astype(np.float64)


def on_grid(path: Path, grid: dict, name: str, nodata: str) -> np.ndarray:
    """Nearest-neighbour warp of a raster onto the output grid (SCL 20 m -> 10 m, NIR mosaic -> red grid)."""
    target = TMP / name
    run("gdalwarp", "-q", "-overwrite", "-r", "near", "-te", *grid["te"], "-ts", str(grid["cols"]), str(grid["rows"]),
        "-srcnodata", nodata, "-dstnodata", nodata, str(path), str(target))
    return read(target)


def bands() -> tuple[str, dict, np.ndarray, np.ndarray, np.ndarray]:
    """(sensor, output grid, red reflectance, NIR reflectance, pixels with usable data)."""
    s2 = sorted(IN.glob("*_B04_10m.tif"))
    if s2:
        red_path, nir_path = s2[0], Path(str(s2[0]).replace("_B04_", "_B08_"))
        mtd = (IN / "MTD_MSIL2A.xml").read_text()
        scale = float(re.search(r"<BOA_QUANTIFICATION_VALUE[^>]*>([\d.]+)<", mtd).group(1))
        offset = float(re.search(r'<BOA_ADD_OFFSET band_id="3">(-?[\d.]+)<', mtd).group(1))
        grid = grid_of(red_path)
        scl = on_grid(next(IN.glob("*_SCL_20m.tif")), grid, "scl10.tif", "0")
        red, nir = read(red_path), read(nir_path)
        ok = (red > 0) & (nir > 0) & ~np.isin(scl, (3, 8, 9, 10))
        return "sentinel2", grid, (red + offset) / scale, (nir + offset) / scale, ok
    planet = sorted(IN.glob("*AnalyticMS_SR*.tif"))
    if planet:
        meta = json.loads(next(IN.glob("*metadata*.json")).read_text())["properties"]
        order = meta["bands"]
        grid = grid_of(planet[0])
        red = read(planet[0], order.index("red") + 1)
        nir = read(planet[0], order.index("nir") + 1)
        coef = meta["reflectance_coefficient"]
        return "planetscope", grid, red * coef, nir * coef, (red > 0) & (nir > 0)
    grid = grid_of(IN / "ortho_red.tif")
    red = read(IN / "ortho_red.tif")
    nir = on_grid(IN / "ortho_nir.tif", grid, "nir_aligned.tif", "-10000")
    return "drone", grid, red, nir, (red > -10000) & (nir > -10000)


def field_mask(grid: dict) -> np.ndarray:
    boundary = TMP / "boundary.gpkg"
    run("ogr2ogr", "-f", "GPKG", "-t_srs", f"EPSG:{grid['epsg']}", "-nln", "field", str(boundary),
        str(IN / "field_boundary.geojson"))
    mask = TMP / "field.tif"
    run("gdal_rasterize", "-q", "-burn", "1", "-init", "0", "-ot", "Byte", "-te", *grid["te"], "-ts",
        str(grid["cols"]), str(grid["rows"]), "-l", "field", str(boundary), str(mask))
    return read(mask) > 0


def write_raster(path: Path, data: np.ndarray, grid: dict, dtype: int, nodata: float) -> None:
    ds = gdal.GetDriverByName("GTiff").Create(str(path), grid["cols"], grid["rows"], 1, dtype,
                                              options=["COMPRESS=DEFLATE"])
    ds.SetGeoTransform(grid["gt"])
    ds.SetProjection(grid["wkt"])
    band = ds.GetRasterBand(1)
    band.SetNoDataValue(nodata)
    band.WriteArray(data)
    ds = None


def classify(ndvi: np.ndarray, valid: np.ndarray, rule: dict) -> np.ndarray:
    k = rule["zones"]
    breaks = rule["breaks"] or list(np.percentile(ndvi[valid], [100 * i / k for i in range(1, k)]))
    zones = (np.searchsorted(np.array(breaks), ndvi, side="right") + 1).astype(np.uint8)
    zones[~valid] = 0
    return zones


def n_rate(rule: dict, zone: int, mean: float) -> float:
    if "table" in rule:
        return float(rule["table"][zone])
    base, slope, pivot, lo, hi, step = rule["linear"]
    return float(min(hi, max(lo, step * round((base + slope * (pivot - mean)) / step))))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    sensor, grid, red, nir, ok = bands()
    rule = RULES[sensor]
    with np.errstate(divide="ignore", invalid="ignore"):
        ndvi = ((nir - red) / (nir + red)).astype(np.float32)
    field = field_mask(grid)
    valid = ok & field & np.isfinite(ndvi)
    write_raster(OUT / "ndvi.tif", np.where(valid, ndvi, np.float32(NODATA)), grid, gdal.GDT_Float32, NODATA)

    zones = classify(ndvi.astype(np.float64), valid, rule)
    if rule["sieve"]:  # minimum mapping unit: merge small 4-connected patches into their largest neighbour
        write_raster(TMP / "zones_raw.tif", zones, grid, gdal.GDT_Byte, 0)
        run("gdal_sieve.py", "-q", "-st", str(rule["sieve"]), str(TMP / "zones_raw.tif"), str(TMP / "sieved.tif"))
        zones = read(TMP / "sieved.tif").astype(np.uint8)
    write_raster(OUT / "zones.tif", zones, grid, gdal.GDT_Byte, 0)
    run("gdal_polygonize.py", "-q", str(OUT / "zones.tif"), "-b", "1", "-f", "GPKG", str(OUT / "zones.gpkg"),
        "zones", "zone")

    pixel_ha = abs(grid["gt"][1] * grid["gt"][5]) / 1e4
    stats = {}
    for z in range(1, rule["zones"] + 1):
        sel = zones == z
        n = n_rate(rule, z, float(ndvi[sel].astype(np.float64).mean()))
        stats[z] = {"area_ha": sel.sum() * pixel_ha, "mean_ndvi": float(ndvi[sel].astype(np.float64).mean()),
                    "n": n, "rate": round(n / rule["n_per_unit"], 1)}

    ds = ogr.Open(str(OUT / "zones.gpkg"), 1)
    layer = ds.GetLayer("zones")
    for name in ("area_ha", "mean_ndvi"):
        layer.CreateField(ogr.FieldDefn(name, ogr.OFTReal))
    rx_ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(TMP / "rx_utm.gpkg"))
    rx = rx_ds.CreateLayer("prescription", layer.GetSpatialRef(), ogr.wkbMultiPolygon)
    for name, kind in (("ZONE", ogr.OFTInteger), ("N_KGHA", ogr.OFTReal), ("RATE", ogr.OFTReal)):
        rx.CreateField(ogr.FieldDefn(name, kind))
    for feature in layer:
        z = feature.GetField("zone")
        feature.SetField("area_ha", feature.GetGeometryRef().GetArea() / 1e4)
        feature.SetField("mean_ndvi", stats[z]["mean_ndvi"])
        layer.SetFeature(feature)
        out = ogr.Feature(rx.GetLayerDefn())
        out.SetField("ZONE", z)
        out.SetField("N_KGHA", stats[z]["n"])
        out.SetField("RATE", stats[z]["rate"])
        out.SetGeometry(ogr.ForceToMultiPolygon(feature.GetGeometryRef().Clone()))
        rx.CreateFeature(out)
    ds = rx_ds = None
    run("ogr2ogr", "-f", "ESRI Shapefile", "-t_srs", "EPSG:4326", str(OUT / "prescription.shp"),
        str(TMP / "rx_utm.gpkg"), "prescription")

    with (OUT / "summary.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["zone", "area_ha", "mean_ndvi", "n_rate_kg_ha", "product_rate_per_ha", "product_total"])
        total_area = total_product = 0.0
        for z, s in stats.items():
            product = s["rate"] * s["area_ha"]
            total_area += s["area_ha"]
            total_product += product
            writer.writerow([z, f"{s['area_ha']:.4f}", f"{s['mean_ndvi']:.4f}", f"{s['n']:.0f}", f"{s['rate']:.1f}",
                             f"{product:.1f}"])
        writer.writerow(["total", f"{total_area:.4f}", "", "", "", f"{total_product:.1f}"])

    (OUT / "qa.json").write_text(json.dumps({
        "field_area_ha": field.sum() * pixel_ha, "usable_area_ha": valid.sum() * pixel_ha,
        "usable_fraction": valid.sum() / field.sum(),
        "decision": "apply" if valid.sum() / field.sum() >= 0.90 else "reimage"}, indent=2))


if __name__ == "__main__":
    main()
