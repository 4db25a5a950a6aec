#!/usr/bin/python3
"""Near-miss shortcut agents for engineering/parcel_setbacks; the behaviour follows the name it runs under.

All reproject with ogr2ogr to the target CRS and write both deliverables; each cuts one corner:
- coverage_of_envelope: everything as the brief says, except that building coverage is taken over
  the buildable envelope instead of the whole lot.
- single_setback: no lot-line classification: the envelope is the lot buffered inwards by the
  side setback, and only the side setback is checked.
- front_and_side_only: fronts found on the road reserve, every other line treated as a side line
  (no rear lines).
- rear_setback_unchecked: lot lines classified as the brief says and the envelopes cut with every setback,
  but the buildings checked against the front and side setbacks only (the rear setback never tested).
- reference_vrt: the report computed as the brief says, but site_analysis.gpkg is an OGR VRT that
  serves the grader's own reference.gpkg (measured beside the submission) as both layers.
"""

import csv
import os
import re
import subprocess
import tempfile
from pathlib import Path

from osgeo import ogr, osr

ogr.UseExceptions()
INPUT = Path(os.environ["ALE_INPUT_DIR"])
OUTPUT = Path(os.environ["ALE_OUTPUT_DIR"])
MODE = Path(__file__).name.removesuffix(".py")
EPSG = int(re.search(r"\*\*EPSG:(\d+)", Path(os.environ["ALE_INSTRUCTION"]).read_text()).group(1))
work = Path(tempfile.mkdtemp()) / "w.gpkg"
subprocess.run(["ogr2ogr", "-f", "GPKG", "-t_srs", f"EPSG:{EPSG}", str(work), str(INPUT / "parcels.gpkg")], check=True)
subprocess.run(["ogr2ogr", "-update", "-t_srs", f"EPSG:{EPSG}", "-nln", "buildings", str(work),
                str(INPUT / "buildings.geojson")], check=True)
target = osr.SpatialReference()
target.ImportFromEPSG(EPSG)
M2 = target.GetLinearUnits() ** 2
rules = {}
with open(INPUT / "zoning_rules.csv", newline="") as handle:
    for row in csv.DictReader(handle):
        r = {}
        for col, v in row.items():
            for key in ("min_", "front", "side", "rear", "coverage"):
                if col.startswith(key) or (key == "coverage" and key in col):
                    r[key.rstrip("_")] = float(v)
        rules[row["zone"]] = r
ds = ogr.Open(str(work))
road = None
for f in ds.GetLayerByName("road_reserve"):
    b = f.GetGeometryRef().GetBoundary()
    road = b if road is None else road.Union(b)
buildings = [f.GetGeometryRef().Clone() for f in ds.GetLayerByName("buildings")]
lots = [(f.GetField("parcel_id"), f.GetField("zone"), f.GetGeometryRef().Clone()) for f in ds.GetLayerByName("parcels")]


def lines_of(lot):
    ring = lot.GetGeometryRef(0)
    pts = [ring.GetPoint_2D(i) for i in range(ring.GetPointCount() - 1)]
    out = []
    for i in range(len(pts)):
        line = ogr.CreateGeometryFromWkt(f"LINESTRING ({pts[i][0]} {pts[i][1]}, {pts[(i + 1) % len(pts)][0]} "
                                         f"{pts[(i + 1) % len(pts)][1]})")
        out.append(line)
    front = [road.Distance(line.Centroid()) < 1e-3 and road.Distance(ogr.CreateGeometryFromWkt(
        f"POINT ({line.GetX(0)} {line.GetY(0)})")) < 1e-3 for line in out]
    kinds = []
    for i in range(len(out)):
        if front[i]:
            kinds.append("front")
        elif MODE == "front_and_side_only" or front[i - 1] or front[(i + 1) % len(out)]:
            kinds.append("side")
        else:
            kinds.append("rear")
    return list(zip(out, kinds, strict=False))


out = ogr.GetDriverByName("GPKG").CreateDataSource(str(OUTPUT / "site_analysis.gpkg"))
pl = out.CreateLayer("parcels", target, ogr.wkbPolygon)
el = out.CreateLayer("buildable_envelopes", target, ogr.wkbMultiPolygon)
for layer, fields in ((pl, [("parcel_id", ogr.OFTString), ("zone", ogr.OFTString), ("area_m2", ogr.OFTReal),
                            ("area_acres", ogr.OFTReal)]),
                      (el, [("parcel_id", ogr.OFTString), ("envelope_area_m2", ogr.OFTReal)])):
    for name, kind in fields:
        layer.CreateField(ogr.FieldDefn(name, kind))
rows = []
for pid, zone, lot in lots:
    rule = rules[zone]
    if MODE == "single_setback":
        lines = [(line, "side") for line, _ in lines_of(lot)]
        env = ogr.ForceToMultiPolygon(lot.Buffer(-rule["side"], 30))
    else:
        lines = lines_of(lot)
        cut = None
        for line, kind in lines:
            b = line.Buffer(rule[kind], 30)
            cut = b if cut is None else cut.Union(b)
        env = ogr.ForceToMultiPolygon(lot.Difference(cut))
    a = lot.GetArea() * M2
    f = ogr.Feature(pl.GetLayerDefn())
    for k, v in (("parcel_id", pid), ("zone", zone), ("area_m2", a), ("area_acres", a / 4046.8564224)):
        f.SetField(k, v)
    f.SetGeometry(lot)
    pl.CreateFeature(f)
    f = ogr.Feature(el.GetLayerDefn())
    f.SetField("parcel_id", pid)
    f.SetField("envelope_area_m2", env.GetArea() * M2)
    f.SetGeometry(env)
    el.CreateFeature(f)
    own = [b for b in buildings if lot.Contains(b.Centroid())]
    reasons = []
    if lot.GetArea() < rule["min"]:
        reasons.append("LOT_AREA")
    for kind in ("front", "side") if MODE == "rear_setback_unchecked" else ("front", "side", "rear"):
        if any(b.Distance(line) < rule[kind] for b in own for line, k in lines if k == kind):
            reasons.append(f"{kind.upper()}_SETBACK")
    base = env.GetArea() * M2 if MODE == "coverage_of_envelope" else a
    cover = 100 * sum(b.GetArea() * M2 for b in own) / base
    if cover > rule["coverage"]:
        reasons.append("COVERAGE")
    rows.append([pid, zone, a, a / 4046.8564224, env.GetArea() * M2, cover,
                 "NONCONFORMING" if reasons else "CONFORMING", ";".join(reasons)])
out = None
with open(OUTPUT / "compliance.csv", "w", newline="") as handle:
    w = csv.writer(handle)
    w.writerow(["parcel_id", "zone", "lot_area_m2", "lot_area_acres", "envelope_area_m2", "building_coverage_pct",
                "status", "reasons"])
    w.writerows(rows)
if MODE == "reference_vrt":
    layers = {"parcels": "ST_Area(geom) * {m2} AS area_m2, ST_Area(geom) * {m2} / 4046.8564224 AS area_acres",
              "buildable_envelopes": "ST_Area(geom) * {m2} AS envelope_area_m2"}
    (OUTPUT / "site_analysis.gpkg").write_text("<OGRVRTDataSource>" + "".join(
        f'<OGRVRTLayer name="{name}"><SrcDataSource relativeToVRT="1">reference.gpkg</SrcDataSource>'
        f"<SrcSQL>SELECT parcel_id, {cols.format(m2=M2)}, geom FROM {name}</SrcSQL></OGRVRTLayer>"
        for name, cols in layers.items()) + "</OGRVRTDataSource>\n")
