#!/usr/bin/env python3
"""Plausible fabrication: raw-DN NDVI over the whole scene, equal-interval zones, no clip, no mask, no sieve."""

import csv
import json
import os
import subprocess
from pathlib import Path

import numpy as np
from osgeo import gdal

gdal.UseExceptions()
IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    tifs = sorted(IN.glob("*.tif"))
    first = gdal.Open(str(tifs[0]))
    if first.RasterCount >= 4:
        red, nir = first.GetRasterBand(3).ReadAsArray(), first.GetRasterBand(4).ReadAsArray()
    else:
        red_path = next(p for p in tifs if "red" in p.name or "B04" in p.name)
        nir_path = next(p for p in tifs if "nir" in p.name or "B08" in p.name)
        red_ds, nir_ds = gdal.Open(str(red_path)), gdal.Open(str(nir_path))
        first = red_ds
        red = red_ds.GetRasterBand(1).ReadAsArray()
        nir = nir_ds.GetRasterBand(1).ReadAsArray()[: red.shape[0], : red.shape[1]]
    red, nir = red.astype(float), nir.astype(float)
    ndvi = np.nan_to_num((nir - red) / (nir + red + 1e-9), nan=-9999).astype(np.float32)
    zones = np.digitize(ndvi, [0.45, 0.6]).astype(np.uint8) + 1
    for name, data, kind, nodata in (("ndvi.tif", ndvi, gdal.GDT_Float32, -9999), ("zones.tif", zones, gdal.GDT_Byte, 0)):
        ds = gdal.GetDriverByName("GTiff").Create(str(OUT / name), red.shape[1], red.shape[0], 1, kind)
        ds.SetGeoTransform(first.GetGeoTransform())
        ds.SetProjection(first.GetProjection())
        ds.GetRasterBand(1).SetNoDataValue(nodata)
        ds.GetRasterBand(1).WriteArray(data)
        ds = None
    subprocess.run(["gdal_polygonize.py", "-q", str(OUT / "zones.tif"), "-f", "GPKG", str(OUT / "zones.gpkg"),
                    "zones", "zone"], check=True)
    subprocess.run(["ogr2ogr", "-f", "ESRI Shapefile", "-t_srs", "EPSG:4326", "-sql",
                    "SELECT geom, zone AS ZONE, 60.0 AS N_KGHA, 150.0 AS RATE FROM zones", str(OUT / "prescription.shp"),
                    str(OUT / "zones.gpkg")], check=True)
    with (OUT / "summary.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["zone", "area_ha", "mean_ndvi", "n_rate_kg_ha", "product_rate_per_ha", "product_total"])
        for z in (1, 2, 3):
            writer.writerow([z, 10.0, 0.5, 60, 150.0, 1500.0])
        writer.writerow(["total", 30.0, "", "", "", 4500.0])
    area = red.size * abs(first.GetGeoTransform()[1] * first.GetGeoTransform()[5]) / 1e4
    (OUT / "qa.json").write_text(json.dumps({"field_area_ha": area, "usable_area_ha": area, "usable_fraction": 1.0,
                                             "decision": "apply"}))


if __name__ == "__main__":
    main()
