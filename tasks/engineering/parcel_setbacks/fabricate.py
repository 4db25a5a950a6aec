#!/usr/bin/env python3
"""Plausible fabrication for engineering/parcel_setbacks: right files and schema, naive numbers.

It skips the real reprojection (a local equirectangular approximation labelled with the target
CRS), shrinks every lot by its largest setback instead of classifying lot lines, and calls
compliance from lot area alone, ignoring the buildings.
"""
# ALE-CANARY-3914bca2-328b-4c46-be0f-15be97a3d4ee

import csv
import math
import os
import re

from osgeo import ogr, osr

ogr.UseExceptions()
IN, OUT = os.environ["ALE_INPUT_DIR"], os.environ["ALE_OUTPUT_DIR"]
with open(os.environ["ALE_INSTRUCTION"]) as _handle:
    text = _handle.read()
epsg = int(re.search(r"\*\*EPSG:(\d+)", text).group(1))
feet = "US survey foot" in text
unit = 1200 / 3937 if feet else 1.0

rules = {}
with open(os.path.join(IN, "zoning_rules.csv")) as handle:
    for row in csv.DictReader(handle):
        values = list(row.values())
        rules[row["zone"]] = {"min": float(values[2]), "setback": max(map(float, values[3:6]))}

src_ds = ogr.Open(os.path.join(IN, "parcels.gpkg"))
src = src_ds.GetLayerByName("parcels")
features = [(f.GetField("parcel_id"), f.GetField("zone"), f.GetGeometryRef().Clone()) for f in src]
lat0 = sum(g.Centroid().GetY() for _, _, g in features) / len(features)


def naive(geom):
    ring = geom.GetGeometryRef(0)
    out = ogr.Geometry(ogr.wkbLinearRing)
    for i in range(ring.GetPointCount()):
        x, y = ring.GetX(i), ring.GetY(i)
        out.AddPoint_2D(math.radians(x) * 6371000 * math.cos(math.radians(lat0)) / unit,
                        math.radians(y) * 6371000 / unit)
    poly = ogr.Geometry(ogr.wkbPolygon)
    poly.AddGeometry(out)
    return poly


srs = osr.SpatialReference()
srs.ImportFromEPSG(epsg)
ds = ogr.GetDriverByName("GPKG").CreateDataSource(os.path.join(OUT, "site_analysis.gpkg"))
parcels = ds.CreateLayer("parcels", srs, ogr.wkbPolygon)
envelopes = ds.CreateLayer("buildable_envelopes", srs, ogr.wkbPolygon)
for name in ("parcel_id", "zone"):
    parcels.CreateField(ogr.FieldDefn(name, ogr.OFTString))
for name in ("area_m2", "area_acres"):
    parcels.CreateField(ogr.FieldDefn(name, ogr.OFTReal))
envelopes.CreateField(ogr.FieldDefn("parcel_id", ogr.OFTString))
envelopes.CreateField(ogr.FieldDefn("envelope_area_m2", ogr.OFTReal))
rows = []
for pid, zone, geom in features:
    lot = naive(geom)
    area = lot.GetArea() * unit**2
    env = lot.Buffer(-rules[zone]["setback"])
    feat = ogr.Feature(parcels.GetLayerDefn())
    feat.SetField("parcel_id", pid)
    feat.SetField("zone", zone)
    feat.SetField("area_m2", area)
    feat.SetField("area_acres", area / 4046.8564224)
    feat.SetGeometry(lot)
    parcels.CreateFeature(feat)
    efeat = ogr.Feature(envelopes.GetLayerDefn())
    efeat.SetField("parcel_id", pid)
    efeat.SetField("envelope_area_m2", env.GetArea() * unit**2)
    efeat.SetGeometry(env)
    envelopes.CreateFeature(efeat)
    small = lot.GetArea() < rules[zone]["min"]
    rows.append([pid, zone, f"{area:.2f}", f"{area / 4046.8564224:.5f}", f"{env.GetArea() * unit**2:.2f}", "30.00",
                 "NONCONFORMING" if small else "CONFORMING", "LOT_AREA" if small else ""])
ds = None
with open(os.path.join(OUT, "compliance.csv"), "w", newline="") as handle:
    writer = csv.writer(handle)
    writer.writerow(["parcel_id", "zone", "lot_area_m2", "lot_area_acres", "envelope_area_m2",
                     "building_coverage_pct", "status", "reasons"])
    writer.writerows(rows)
