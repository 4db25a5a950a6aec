"""Cut buildable envelopes and call setback, lot-area and coverage compliance for every lot."""
# ALE-CANARY-3914bca2-328b-4c46-be0f-15be97a3d4ee

from __future__ import annotations

import csv
import sys

from osgeo import ogr

ogr.UseExceptions()
ON_LINE = 1e-3  # CRS units: a lot line on the road reserve boundary
REASONS = ("LOT_AREA", "FRONT_SETBACK", "SIDE_SETBACK", "REAR_SETBACK", "COVERAGE")


def load_rules(path: str) -> dict[str, dict[str, float]]:
    rules = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            pick = {}
            for col, value in row.items():
                if col.startswith("min_"):
                    pick["min_area"] = float(value)
                for kind in ("front", "side", "rear"):
                    if col.startswith(f"{kind}_setback"):
                        pick[kind] = float(value)
                if "coverage" in col:
                    pick["coverage"] = float(value)
            rules[row["zone"]] = pick
    return rules


def lot_lines(lot: ogr.Geometry, road_edge: ogr.Geometry) -> list[tuple[ogr.Geometry, str]]:
    ring = lot.GetGeometryRef(0)
    pts = [ring.GetPoint_2D(i) for i in range(ring.GetPointCount())]
    if pts[0] == pts[-1]:
        pts = pts[:-1]
    lines = []
    for i in range(len(pts)):
        line = ogr.Geometry(ogr.wkbLineString)
        line.AddPoint_2D(*pts[i])
        line.AddPoint_2D(*pts[(i + 1) % len(pts)])
        lines.append(line)

    def on_road(line: ogr.Geometry) -> bool:
        ends = [line.GetPoint_2D(0), line.GetPoint_2D(1)]
        mid = ((ends[0][0] + ends[1][0]) / 2, (ends[0][1] + ends[1][1]) / 2)
        probes = []
        for x, y in [*ends, mid]:
            p = ogr.Geometry(ogr.wkbPoint)
            p.AddPoint_2D(x, y)
            probes.append(p)
        return all(road_edge.Distance(p) < ON_LINE for p in probes)

    fronts = [on_road(line) for line in lines]
    n = len(lines)
    kinds = []
    for i in range(n):
        if fronts[i]:
            kinds.append("front")
        elif fronts[(i - 1) % n] or fronts[(i + 1) % n]:
            kinds.append("side")
        else:
            kinds.append("rear")
    return list(zip(lines, kinds, strict=True))


def main(work: str, rules_csv: str, out_gpkg: str, out_csv: str, m2_per_unit2: float) -> None:
    rules = load_rules(rules_csv)
    ds = ogr.Open(work)
    road_edge = None
    for feat in ds.GetLayerByName("road_reserve"):
        boundary = feat.GetGeometryRef().GetBoundary()
        road_edge = boundary if road_edge is None else road_edge.Union(boundary)
    buildings = [f.GetGeometryRef().Clone() for f in ds.GetLayerByName("buildings")]
    parcels_layer = ds.GetLayerByName("parcels")
    srs = parcels_layer.GetSpatialRef()
    out = ogr.Open(out_gpkg, 1)
    env_layer = out.CreateLayer("buildable_envelopes", srs, ogr.wkbMultiPolygon)
    env_layer.CreateField(ogr.FieldDefn("parcel_id", ogr.OFTString))
    env_layer.CreateField(ogr.FieldDefn("envelope_area_m2", ogr.OFTReal))
    rows = []
    for feat in parcels_layer:
        pid, zone = feat.GetField("parcel_id"), feat.GetField("zone")
        lot = feat.GetGeometryRef().Clone()
        rule = rules[zone]
        lines = lot_lines(lot, road_edge)
        cut = None
        for line, kind in lines:
            buf = line.Buffer(rule[kind], 30)
            cut = buf if cut is None else cut.Union(buf)
        env = ogr.ForceToMultiPolygon(lot.Difference(cut))
        env_feat = ogr.Feature(env_layer.GetLayerDefn())
        env_feat.SetField("parcel_id", pid)
        env_feat.SetField("envelope_area_m2", env.GetArea() * m2_per_unit2)
        env_feat.SetGeometry(env)
        env_layer.CreateFeature(env_feat)
        own = [b for b in buildings if lot.Contains(b.Centroid())]
        found = set()
        if lot.GetArea() < rule["min_area"]:
            found.add("LOT_AREA")
        for line, kind in lines:
            if any(b.Distance(line) < rule[kind] for b in own):
                found.add(f"{kind.upper()}_SETBACK")
        coverage = 100 * sum(b.GetArea() for b in own) / lot.GetArea()
        if coverage > rule["coverage"]:
            found.add("COVERAGE")
        area_m2 = lot.GetArea() * m2_per_unit2
        rows.append({
            "parcel_id": pid, "zone": zone, "lot_area_m2": f"{area_m2:.2f}",
            "lot_area_acres": f"{area_m2 / 4046.8564224:.5f}", "envelope_area_m2": f"{env.GetArea() * m2_per_unit2:.2f}",
            "building_coverage_pct": f"{coverage:.2f}", "status": "NONCONFORMING" if found else "CONFORMING",
            "reasons": ";".join(r for r in REASONS if r in found),
        })
    out = None
    with open(out_csv, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
