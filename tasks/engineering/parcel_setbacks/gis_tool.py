#!/usr/bin/env python3
"""GDAL/OGR side of the parcel_setbacks task, run by Debian's python3 (python3-gdal).

``generate SCENARIO SEED INPUT_DIR REFERENCE_DIR`` lays out a subdivision block in the target
projected CRS, writes the inputs in the jurisdiction's geographic CRS (parcels and road reserve
as a GeoPackage, building footprints as GeoJSON, the zoning table as CSV), reads them back,
reprojects them with OGR and computes the reference: planar lot areas, buildable envelopes
(lot minus the round buffers of its lot lines by their setbacks, the lot-line types known from
the construction) and the compliance calls. Every building reason (front, side and rear setback,
coverage) is given to some lot of the block: a lot left without one by the draw is rebuilt from its
own stream.

``measure SUBMITTED.gpkg REFERENCE.gpkg EPSG`` runs inside the grader's sandbox on the
submitted GeoPackage and prints JSON: the layers, their CRS, and per parcel the attribute
values and the symmetric-difference area against the reference geometry.
"""
# ALE-CANARY-3914bca2-328b-4c46-be0f-15be97a3d4ee

from __future__ import annotations

import csv
import json
import math
import random
import sys
from pathlib import Path

from osgeo import gdal, ogr, osr

ogr.UseExceptions()
osr.UseExceptions()
gdal.SetConfigOption("OGR_CURRENT_DATE", "2026-01-01T00:00:00.000Z")

ACRE_M2 = 4046.8564224
US_FOOT_M = 1200 / 3937
QUAD_SEGS = 30
TYPES = ("front", "side", "rear")

SCENARIOS: dict[str, dict] = {
    "christchurch": {
        "src_epsg": 4167, "dst_epsg": 2193, "lon": 172.5912, "lat": -43.4987, "unit_m": 1.0,
        "row_width": 20.0, "rotation": (8.0, 28.0), "skew": (0.0, 0.0, 0.0), "splay": 0.0,
        "prefix": "CHC", "streets": ("Kowhai Street", "Matai Street"),
        "area_col": "min_site_area_m2", "len_suffix": "_m",
        "rows": [
            {"zone": "RS", "lots": 6, "depth": 32.0, "width": (16.5, 22.0), "narrow": 12.5},
            {"zone": "RMD", "lots": 7, "depth": 27.0, "width": (11.5, 15.5), "narrow": 9.0},
        ],
        "zones": {
            "RS": {"name": "Residential Suburban", "min_area": 450.0, "front": 4.5, "side": 1.8,
                   "rear": 3.0, "coverage": 35.0},
            "RMD": {"name": "Residential Medium Density", "min_area": 300.0, "front": 2.0, "side": 1.0,
                    "rear": 2.0, "coverage": 50.0},
        },
    },
    "raleigh": {
        "src_epsg": 4269, "dst_epsg": 2264, "lon": -78.6652, "lat": 35.8141, "unit_m": US_FOOT_M,
        "row_width": 60.0, "rotation": (0.0, 0.0), "skew": (-24.0, 30.0, 18.0), "splay": 0.0,
        "prefix": "RAL", "streets": ("Dogwood Lane", "Wade Court"),
        "area_col": "min_lot_area_sqft", "len_suffix": "_ft",
        "rows": [
            {"zone": "R-6", "lots": 6, "depth": 125.0, "width": (55.0, 72.0), "narrow": 42.0},
            {"zone": "R-10", "lots": 7, "depth": 100.0, "width": (42.0, 58.0), "narrow": 30.0},
        ],
        "zones": {
            "R-6": {"name": "Residential-6", "min_area": 6000.0, "front": 20.0, "side": 5.0,
                    "rear": 20.0, "coverage": 40.0},
            "R-10": {"name": "Residential-10", "min_area": 4000.0, "front": 10.0, "side": 5.0,
                     "rear": 15.0, "coverage": 50.0},
        },
    },
    "parramatta": {
        "src_epsg": 7844, "dst_epsg": 7856, "lon": 151.0247, "lat": -33.7861, "unit_m": 1.0,
        "row_width": 20.0, "rotation": (-30.0, -10.0), "skew": (6.0, -4.0, 5.0), "splay": 4.0,
        "prefix": "PAR", "streets": ("Wattle Avenue", "Banksia Street"),
        "area_col": "min_lot_size_m2", "len_suffix": "_m",
        "rows": [
            {"zone": "R2", "lots": 6, "depth": 38.0, "width": (15.5, 20.0), "narrow": 11.5},
            {"zone": "R3", "lots": 6, "depth": 30.0, "width": (13.0, 17.0), "narrow": 9.5},
        ],
        "zones": {
            "R2": {"name": "Low Density Residential", "min_area": 550.0, "front": 6.0, "side": 0.9,
                   "rear": 6.0, "coverage": 50.0},
            "R3": {"name": "Medium Density Residential", "min_area": 400.0, "front": 4.5, "side": 1.5,
                   "rear": 4.0, "coverage": 60.0},
        },
    },
}

Point = tuple[float, float]


# -- plane geometry helpers ---------------------------------------------------------------------


def lerp(a: Point, b: Point, t: float) -> Point:
    if t == 1.0:
        return b
    return (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))


def unit(a: Point, b: Point) -> Point:
    dx, dy = b[0] - a[0], b[1] - a[1]
    n = math.hypot(dx, dy)
    return (dx / n, dy / n)


def polygon(points: list[Point]) -> ogr.Geometry:
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in [*points, points[0]]:
        ring.AddPoint_2D(x, y)
    poly = ogr.Geometry(ogr.wkbPolygon)
    poly.AddGeometry(ring)
    return poly


def segment(a: Point, b: Point) -> ogr.Geometry:
    line = ogr.Geometry(ogr.wkbLineString)
    line.AddPoint_2D(*a)
    line.AddPoint_2D(*b)
    return line


def ring_points(geom: ogr.Geometry) -> list[Point]:
    ring = geom.GetGeometryRef(0)
    pts = [(ring.GetX(i), ring.GetY(i)) for i in range(ring.GetPointCount())]
    return pts[:-1] if pts[0] == pts[-1] else pts


def offset_line(a: Point, b: Point, dist: float) -> tuple[Point, Point]:
    """The line a-b moved ``dist`` to its right (outward for a counter-clockwise ring)."""
    ux, uy = unit(a, b)
    nx, ny = uy, -ux
    return (a[0] + dist * nx, a[1] + dist * ny), (b[0] + dist * nx, b[1] + dist * ny)


def intersect(l1: tuple[Point, Point], l2: tuple[Point, Point]) -> Point:
    (x1, y1), (x2, y2) = l1
    (x3, y3), (x4, y4) = l2
    den = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
    t = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / den
    return (x1 + t * (x2 - x1), y1 + t * (y2 - y1))


def envelope(lot: ogr.Geometry, labels: list[str], setbacks: dict[str, float]) -> ogr.Geometry:
    """The lot minus the union of its lot lines buffered by their setbacks."""
    pts = ring_points(lot)
    cut = None
    for i, label in enumerate(labels):
        buf = segment(pts[i], pts[(i + 1) % len(pts)]).Buffer(setbacks[label], QUAD_SEGS)
        cut = buf if cut is None else cut.Union(buf)
    return lot.Difference(cut)


def label_edges(n_edges: int, fronts: set[int]) -> list[str]:
    """Front where the line abuts the road; rear where it touches no front line; side otherwise."""
    labels = []
    for i in range(n_edges):
        if i in fronts:
            labels.append("front")
        elif (i - 1) % n_edges in fronts or (i + 1) % n_edges in fronts:
            labels.append("side")
        else:
            labels.append("rear")
    return labels


# -- the block layout ---------------------------------------------------------------------------


def row_fractions(rng: random.Random, row: dict, total: float | None) -> tuple[list[float], float]:
    widths = [rng.uniform(*row["width"]) for _ in range(row["lots"])]
    narrow = rng.randrange(1, row["lots"] - 1)
    widths[narrow] = row["narrow"] * rng.uniform(0.97, 1.03)
    total_width = sum(widths)
    if total is not None:
        widths = [w * total / total_width for w in widths]
        total_width = total
    acc, fractions = 0.0, [0.0]
    for w in widths:
        acc += w
        fractions.append(acc / total_width)
    fractions[-1] = 1.0
    return fractions, total_width


def build_block(sc: dict, rng: random.Random) -> tuple[list[dict], list[Point], list[Point]]:
    """Lots (points, edge labels, zone, front direction) and the road reserve rings, local coordinates."""
    rows = sc["rows"]
    f0, length = row_fractions(rng, rows[0], None)
    f1, _ = row_fractions(rng, rows[1], length)
    d0, d1 = rows[0]["depth"], rows[1]["depth"]
    sk_w, sk_e, sk_n = sc["skew"]
    sw, se = (0.0, 0.0), (length, 0.0)
    nw, ne = (sk_w, d0 + d1), (length + sk_e, d0 + d1 + sk_n)
    mw, me = lerp(sw, nw, d0 / (d0 + d1)), lerp(se, ne, d0 / (d0 + d1))
    s_pts = [lerp(sw, se, f) for f in f0]
    m0_pts = [lerp(mw, me, f) for f in f0]
    n_pts = [lerp(nw, ne, f) for f in f1]
    m1_pts = [lerp(mw, me, f) for f in f1]
    lots = []
    for i in range(len(f0) - 1):
        pts = [s_pts[i], s_pts[i + 1], m0_pts[i + 1], m0_pts[i]]
        fronts = {0} | ({1} if i == len(f0) - 2 else set()) | ({3} if i == 0 else set())
        lots.append({"row": 0, "zone": rows[0]["zone"], "pts": pts, "fronts": fronts, "u": unit(sw, se)})
    for j in range(len(f1) - 1):
        pts = [m1_pts[j], m1_pts[j + 1], n_pts[j + 1], n_pts[j]]
        fronts = {2} | ({1} if j == len(f1) - 2 else set()) | ({3} if j == 0 else set())
        lots.append({"row": 1, "zone": rows[1]["zone"], "pts": pts, "fronts": fronts, "u": unit(ne, nw)})
    block = [sw, se, ne, nw]
    inner = [*s_pts, me, *reversed(n_pts), mw]
    if sc["splay"] > 0:
        lots, inner = splay_corners(lots, inner, block, sc["splay"])
    outer_lines = [offset_line(block[k], block[(k + 1) % 4], sc["row_width"]) for k in range(4)]
    outer = [intersect(outer_lines[k - 1], outer_lines[k]) for k in range(4)]
    return lots, outer, inner


def splay_corners(lots: list[dict], inner: list[Point], block: list[Point], cut: float):
    """Truncate the four block corners by a splay of ``cut`` along each road frontage."""
    corner_map: dict[Point, tuple[Point, Point]] = {}
    for k, corner in enumerate(block):
        prev, nxt = block[k - 1], block[(k + 1) % 4]
        a = lerp(corner, prev, cut / math.dist(corner, prev))
        b = lerp(corner, nxt, cut / math.dist(corner, nxt))
        corner_map[corner] = (a, b)
    for lot in lots:
        pts = lot["pts"]
        for idx, p in enumerate(pts):
            if p in corner_map:
                a, b = corner_map[p]
                prev_pt = pts[idx - 1]
                first, second = (a, b) if math.dist(prev_pt, a) < math.dist(prev_pt, b) else (b, a)
                new_pts = [*pts[:idx], first, second, *pts[idx + 1 :]]
                fronts = {f if f < idx else f + 1 for f in lot["fronts"]} | {idx}
                lot["pts"], lot["fronts"] = new_pts, fronts
                break
    new_inner: list[Point] = []
    for p in inner:
        if p in corner_map:
            a, b = corner_map[p]
            prev_pt = new_inner[-1] if new_inner else inner[-1]
            new_inner += [a, b] if math.dist(prev_pt, a) < math.dist(prev_pt, b) else [b, a]
        else:
            new_inner.append(p)
    return lots, new_inner


def clear_layout(sc: dict, rng: random.Random) -> tuple[list[dict], list[Point], list[Point]]:
    """A layout whose lot areas are all at least 2 % away from their zone minimum, some below it."""
    for _ in range(500):
        lots, outer, inner = build_block(sc, rng)
        ratios = [polygon(lot["pts"]).GetArea() / sc["zones"][lot["zone"]]["min_area"] for lot in lots]
        if all(abs(r - 1) > 0.02 for r in ratios) and 1 <= sum(r < 1 for r in ratios) <= 3:
            return lots, outer, inner
    raise RuntimeError("no layout with clear lot areas")


# -- buildings ----------------------------------------------------------------------------------


def rectangle(center: Point, u: Point, width: float, depth: float) -> list[Point]:
    vx, vy = -u[1], u[0]
    hw, hd = width / 2, depth / 2
    cx, cy = center
    return [
        (cx + sx * hw * u[0] + sy * hd * vx, cy + sx * hw * u[1] + sy * hd * vy)
        for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))
    ]


def lot_checks(lot_geom: ogr.Geometry, labels: list[str], rules: dict, buildings: list[ogr.Geometry]):
    """Minimum distance per lot-line type and building coverage (percent)."""
    pts = ring_points(lot_geom)
    mins = {}
    for t in set(labels):
        lines = [segment(pts[i], pts[(i + 1) % len(pts)]) for i, lab in enumerate(labels) if lab == t]
        mins[t] = min((b.Distance(line) for b in buildings for line in lines), default=math.inf)
    coverage = 100.0 * sum(b.GetArea() for b in buildings) / lot_geom.GetArea()
    return mins, coverage


def margins_ok(lot_geom, labels, rules, buildings, margin: float) -> bool:
    mins, coverage = lot_checks(lot_geom, labels, rules, buildings)
    if any(abs(d - rules[t]) < margin for t, d in mins.items() if math.isfinite(d)):
        return False
    if buildings and abs(coverage - rules["coverage"]) < 1.5:
        return False
    inner = lot_geom.Buffer(-margin, QUAD_SEGS)
    if not all(inner.Contains(b) for b in buildings):
        return False
    return all(a.Distance(b) > 3 * margin for i, a in enumerate(buildings) for b in buildings[i + 1 :])


def place_buildings(rng: random.Random, lot: dict, rules: dict, unit_m: float, kind: str | None = None,
                    line: str | None = None) -> list[list[Point]]:
    """Footprints for one lot: vacant, compliant, encroaching on one setback (of a ``line`` type if given),
    or over coverage; the kind is drawn unless given."""
    geom = polygon(lot["pts"])
    labels = lot["labels"]
    env = envelope(geom, labels, rules)
    margin = 0.3 / unit_m
    u = lot["u"]
    kind = kind or rng.choices(["vacant", "ok", "encroach", "coverage"], [0.1, 0.45, 0.3, 0.15])[0]
    if kind == "vacant":
        return []
    env_pts = ring_points(env)
    env_inner = env.Buffer(-margin, QUAD_SEGS)
    us = [p[0] * u[0] + p[1] * u[1] for p in env_pts]
    vs = [-p[0] * u[1] + p[1] * u[0] for p in env_pts]
    for _ in range(400):
        scale = (0.85, 1.0) if kind == "coverage" else (0.45, 0.8)
        width = rng.uniform(*scale) * (max(us) - min(us))
        depth = rng.uniform(*scale) * (max(vs) - min(vs))
        cu = rng.uniform(min(us) + width / 2, max(us) - width / 2)
        cv = rng.uniform(min(vs) + depth / 2, max(vs) - depth / 2)
        center = (cu * u[0] - cv * u[1], cu * u[1] + cv * u[0])
        house = rectangle(center, u, width, depth)
        if kind == "encroach":
            house = push_toward(rng, house, lot, rules, unit_m, line)
        footprints = [house]
        if rng.random() < 0.35:
            shed_center = lerp(center, rng.choice(lot["pts"]), rng.uniform(0.4, 0.9))
            footprints.append(rectangle(shed_center, u, rng.uniform(3, 6) / unit_m, rng.uniform(3, 5) / unit_m))
        shapes = [polygon(f) for f in footprints]
        if kind == "ok" and not all(env_inner.Contains(b) for b in shapes):
            continue
        if margins_ok(geom, labels, rules, shapes, margin):
            return footprints
    return []


def push_toward(rng: random.Random, house: list[Point], lot: dict, rules: dict, unit_m: float,
                line: str | None) -> list[Point]:
    """Move a footprint toward one lot line (of type ``line`` if given) so that it sits inside its setback."""
    pts, labels = lot["pts"], lot["labels"]
    edges = [k for k, label in enumerate(labels) if label == line] if line else range(len(pts))
    i = edges[rng.randrange(len(edges))]
    a, b = pts[i], pts[(i + 1) % len(pts)]
    setback = rules[labels[i]]
    dist = polygon(house).Distance(segment(a, b))
    intrusion = rng.uniform(0.35 / unit_m, max(0.4 / unit_m, min(0.8 * setback, 3.0 / unit_m)))
    shift = dist - (setback - intrusion)
    ux, uy = unit(a, b)
    nx, ny = uy, -ux  # lots are counter-clockwise: the right-hand normal points out of the lot
    return [(x + shift * nx, y + shift * ny) for x, y in house]


def building_reasons(lot: dict, rules: dict, footprints: list[list[Point]]) -> set[str]:
    """The non-conformities a lot's buildings give it (lot area aside)."""
    mins, coverage = lot_checks(polygon(lot["pts"]), lot["labels"], rules, [polygon(f) for f in footprints])
    return {f"{t.upper()}_SETBACK" for t, d in mins.items() if d < rules[t]} | (
        {"COVERAGE"} if coverage > rules["coverage"] else set())


def plant_missing_reasons(rng: random.Random, lots: list[dict], sc: dict, footprints: dict[str, list[list[Point]]],
                          unit_m: float) -> None:
    """Every building reason on some lot of the block: where the draw left one out, a lot whose buildings
    give it no reason is rebuilt, from ``rng`` (a stream of its own), to carry that one."""
    for reason in ("FRONT_SETBACK", "SIDE_SETBACK", "REAR_SETBACK", "COVERAGE"):
        given = {lot["id"]: building_reasons(lot, sc["zones"][lot["zone"]], footprints[lot["id"]]) for lot in lots}
        if any(reason in r for r in given.values()):
            continue
        line = reason.removesuffix("_SETBACK").lower() if reason != "COVERAGE" else None
        candidates = [lot for lot in lots if not given[lot["id"]] and (line is None or line in lot["labels"])]
        rng.shuffle(candidates)
        for lot in candidates * 5:
            rules = sc["zones"][lot["zone"]]
            drawn = place_buildings(rng, lot, rules, unit_m, kind="encroach" if line else "coverage", line=line)
            if reason in building_reasons(lot, rules, drawn):
                footprints[lot["id"]] = drawn
                break
        else:
            raise RuntimeError(f"no lot of the block can carry {reason}")


# -- writing and reading ------------------------------------------------------------------------


def srs_of(epsg: int) -> osr.SpatialReference:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def write_layer(ds, name: str, srs, fields: list[tuple[str, int]], rows: list[tuple[dict, ogr.Geometry]],
                geom_type: int = ogr.wkbPolygon) -> None:
    layer = ds.CreateLayer(name, srs, geom_type)
    for fname, ftype in fields:
        layer.CreateField(ogr.FieldDefn(fname, ftype))
    for attrs, geom in rows:
        feat = ogr.Feature(layer.GetLayerDefn())
        for key, value in attrs.items():
            feat.SetField(key, value)
        feat.SetGeometry(geom)
        layer.CreateFeature(feat)


def to_crs(geom: ogr.Geometry, transform: osr.CoordinateTransformation) -> ogr.Geometry:
    out = geom.Clone()
    out.Transform(transform)
    return out


def read_features(path: str, layer_name: str | None = None) -> list[tuple[dict, ogr.Geometry]]:
    ds = ogr.Open(path)
    layer = ds.GetLayerByName(layer_name) if layer_name else ds.GetLayer(0)
    out = []
    for feat in layer:
        out.append((feat.items(), feat.GetGeometryRef().Clone()))
    return out


def generate(scenario: str, seed: int, input_dir: Path, reference_dir: Path) -> None:
    sc = SCENARIOS[scenario]
    rng = random.Random(seed)
    unit_m = sc["unit_m"]
    lots, outer, inner = clear_layout(sc, rng)
    for lot in lots:
        lot["labels"] = label_edges(len(lot["pts"]), lot["fronts"])
    rot = math.radians(rng.uniform(*sc["rotation"]))
    dst = srs_of(sc["dst_epsg"])
    src = srs_of(sc["src_epsg"])
    origin_x, origin_y, _ = osr.CoordinateTransformation(src, dst).TransformPoint(sc["lon"], sc["lat"])

    def place(p: Point) -> Point:
        x, y = p
        return (origin_x + x * math.cos(rot) - y * math.sin(rot), origin_y + x * math.sin(rot) + y * math.cos(rot))

    for lot in lots:
        lot["pts"] = [place(p) for p in lot["pts"]]
        lot["u"] = (lot["u"][0] * math.cos(rot) - lot["u"][1] * math.sin(rot),
                    lot["u"][0] * math.sin(rot) + lot["u"][1] * math.cos(rot))
    outer, inner = [place(p) for p in outer], [place(p) for p in inner]
    house_no = {0: 2, 1: 1}
    footprints: dict[str, list[list[Point]]] = {}
    for k, lot in enumerate(lots):
        row = lot["row"]
        lot["id"] = f"{sc['prefix']}-{row + 1}{k + 1:02d}"
        lot["address"] = f"{house_no[row]} {sc['streets'][row]}"
        house_no[row] += 2
        footprints[lot["id"]] = place_buildings(rng, lot, sc["zones"][lot["zone"]], unit_m)
    plant_missing_reasons(random.Random(f"{seed}/reasons"), lots, sc, footprints, unit_m)
    numbers = iter(range(1, 1000))
    buildings = [({"building_id": f"B{next(numbers):04d}"}, polygon(fp)) for lot in lots for fp in footprints[lot["id"]]]
    rng.shuffle(buildings)
    to_geo = osr.CoordinateTransformation(dst, src)
    to_wgs = osr.CoordinateTransformation(dst, srs_of(4326))
    gpkg = str(input_dir / "parcels.gpkg")
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(gpkg)
    parcel_rows = [
        ({"parcel_id": lot["id"], "zone": lot["zone"], "address": lot["address"]},
         to_crs(polygon(lot["pts"]), to_geo))
        for lot in lots
    ]
    write_layer(ds, "parcels", src, [("parcel_id", ogr.OFTString), ("zone", ogr.OFTString),
                                     ("address", ogr.OFTString)], parcel_rows)
    reserve = polygon(outer)
    hole = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in [*inner, inner[0]]:
        hole.AddPoint_2D(x, y)
    reserve.AddGeometry(hole)
    write_layer(ds, "road_reserve", src, [("name", ogr.OFTString)],
                [({"name": "Road reserve"}, to_crs(reserve, to_geo))])
    ds = None
    geojson = str(input_dir / "buildings.geojson")
    ds = ogr.GetDriverByName("GeoJSON").CreateDataSource(geojson)
    write_layer(ds, "buildings", srs_of(4326), [("building_id", ogr.OFTString)],
                [(attrs, to_crs(g, to_wgs)) for attrs, g in sorted(buildings, key=lambda b: b[0]["building_id"])])
    ds = None
    write_rules(sc, input_dir / "zoning_rules.csv")
    labels = {lot["id"]: lot["labels"] for lot in lots}
    write_reference(sc, labels, input_dir, reference_dir)


def write_rules(sc: dict, path: Path) -> None:
    suffix = sc["len_suffix"]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["zone", "zone_name", sc["area_col"], f"front_setback{suffix}", f"side_setback{suffix}",
                         f"rear_setback{suffix}", "max_building_coverage_pct"])
        for code, z in sc["zones"].items():
            writer.writerow([code, z["name"], f"{z['min_area']:g}", f"{z['front']:g}", f"{z['side']:g}",
                             f"{z['rear']:g}", f"{z['coverage']:g}"])


def write_reference(sc: dict, labels: dict[str, list[str]], input_dir: Path, reference_dir: Path) -> None:
    """Read the written inputs back, reproject them with OGR and compute the reference."""
    dst = srs_of(sc["dst_epsg"])
    from_src = osr.CoordinateTransformation(srs_of(sc["src_epsg"]), dst)
    from_wgs = osr.CoordinateTransformation(srs_of(4326), dst)
    parcels = [(a, to_crs(g, from_src)) for a, g in read_features(str(input_dir / "parcels.gpkg"), "parcels")]
    buildings = [to_crs(g, from_wgs) for _, g in read_features(str(input_dir / "buildings.geojson"))]
    area_m2_per_unit = sc["unit_m"] ** 2
    records, env_rows, parcel_rows = {}, [], []
    for attrs, geom in parcels:
        pid, zone = attrs["parcel_id"], attrs["zone"]
        rules = sc["zones"][zone]
        env = envelope(geom, labels[pid], rules)
        own = [b for b in buildings if geom.Contains(b.Centroid())]
        mins, coverage = lot_checks(geom, labels[pid], rules, own)
        reasons = []
        if geom.GetArea() < rules["min_area"]:
            reasons.append("LOT_AREA")
        reasons += [f"{t.upper()}_SETBACK" for t in TYPES if mins.get(t, math.inf) < rules[t]]
        if coverage > rules["coverage"]:
            reasons.append("COVERAGE")
        area_m2 = geom.GetArea() * area_m2_per_unit
        records[pid] = {
            "zone": zone, "area_m2": area_m2, "area_acres": area_m2 / ACRE_M2,
            "envelope_area_m2": env.GetArea() * area_m2_per_unit, "coverage_pct": coverage,
            "n_buildings": len(own), "status": "NONCONFORMING" if reasons else "CONFORMING", "reasons": reasons,
            "labels": labels[pid],
        }
        parcel_rows.append(({"parcel_id": pid}, geom))
        env_rows.append(({"parcel_id": pid}, env))
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(reference_dir / "reference.gpkg"))
    write_layer(ds, "parcels", dst, [("parcel_id", ogr.OFTString)], parcel_rows)
    write_layer(ds, "buildable_envelopes", dst, [("parcel_id", ogr.OFTString)], env_rows, ogr.wkbUnknown)
    ds = None
    (reference_dir / "reference.json").write_text(
        json.dumps({"dst_epsg": sc["dst_epsg"], "unit_m": sc["unit_m"], "parcels": records}, indent=1)
    )


# -- measuring a submission (inside the grader's sandbox) ---------------------------------------


def layer_srs_epsg(layer) -> tuple[int | None, bool]:
    srs = layer.GetSpatialRef()
    if srs is None:
        return None, False
    code = srs.GetAuthorityCode(None)
    return (int(code) if code and code.isdigit() else None), True


def grouped(layer) -> tuple[dict[str, ogr.Geometry], dict[str, dict]]:
    geoms: dict[str, ogr.Geometry] = {}
    attrs: dict[str, dict] = {}
    for feat in layer:
        items = {k.lower(): v for k, v in feat.items().items()}
        pid = str(items.get("parcel_id", "")).strip()
        geom = feat.GetGeometryRef()
        if not pid or geom is None:
            continue
        geom = geom.Clone()
        if not geom.IsValid():
            geom = geom.MakeValid()
        geoms[pid] = geom if pid not in geoms else geoms[pid].Union(geom)
        attrs.setdefault(pid, items)
    return geoms, attrs


def compare_layer(sub_layer, ref_layer, target: osr.SpatialReference, unit_m: float) -> dict:
    code, has_srs = layer_srs_epsg(sub_layer)
    srs = sub_layer.GetSpatialRef()
    same = bool(srs is not None and (code == int(target.GetAuthorityCode(None)) or srs.IsSame(target)))
    sub_geoms, sub_attrs = grouped(sub_layer)
    ref_geoms, _ = grouped(ref_layer)
    features = {}
    for pid, ref in ref_geoms.items():
        entry: dict = {"present": pid in sub_geoms}
        if pid in sub_geoms:
            try:
                diff = sub_geoms[pid].SymDifference(ref).GetArea()
                entry["symdiff_m2"] = diff * unit_m**2
                entry["area_geom_m2"] = sub_geoms[pid].GetArea() * unit_m**2
            except RuntimeError as exc:
                entry["error"] = str(exc)
            entry["attrs"] = {k: v for k, v in sub_attrs[pid].items() if isinstance(v, (int, float, str))}
        features[pid] = entry
    extra = sorted(set(sub_geoms) - set(ref_geoms))
    return {"epsg": code, "has_srs": has_srs, "crs_ok": same, "features": features, "extra": extra}


def measure(submitted: str, reference: str, epsg: int, unit_m: float) -> dict:
    target = srs_of(epsg)
    # Only the GeoPackage driver: OGR picks a driver by content, and a VRT (or any other format that
    # points at other files) named site_analysis.gpkg would read the reference lying next to it.
    with open(submitted, "rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            return {"error": "not a GeoPackage (no SQLite header)"}
    try:
        sub = gdal.OpenEx(submitted, gdal.OF_VECTOR | gdal.OF_READONLY, allowed_drivers=["GPKG"])
    except RuntimeError as exc:
        return {"error": f"not readable by OGR as a GeoPackage: {exc}"}
    if sub is None:
        return {"error": "not readable by OGR as a GeoPackage"}
    ref = ogr.Open(reference)
    names = [sub.GetLayer(i).GetName() for i in range(sub.GetLayerCount())]
    result: dict = {"layers": names}
    for name in ("parcels", "buildable_envelopes"):
        if name in names:
            result[name] = compare_layer(sub.GetLayerByName(name), ref.GetLayerByName(name), target, unit_m)
    return result


def main(argv: list[str]) -> int:
    if argv[0] == "generate":
        generate(argv[1], int(argv[2]), Path(argv[3]), Path(argv[4]))
    elif argv[0] == "measure":
        print(json.dumps(measure(argv[1], argv[2], int(argv[3]), float(argv[4]))))
    else:
        raise SystemExit(f"unknown command {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
