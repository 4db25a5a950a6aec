"""NDVI management zones and a variable-rate nitrogen prescription from multispectral imagery (GDAL).

ALE-CANARY-3e8d1f60-95b2-4c7a-8f14-6b0d2c9e7a35

Workflow: an agronomist's GIS analyst receives red and near-infrared imagery of one field
(Sentinel-2 L2A with its scene classification, a PlanetScope 4-band scene, or a drone
orthomosaic), the field boundary as WGS84 GeoJSON and the agronomic rule of the season. They
convert the digital numbers to reflectance, mask clouds and no-data, clip to the reprojected
boundary, compute NDVI, classify management zones (fixed breaks or quantiles, with a sieve where
asked), polygonize them, derive the nitrogen rate and the product rate per zone, and deliver the
NDVI and zone rasters on the input grid, the zone polygons (GeoPackage), the prescription
shapefile in WGS84 for the rate controller and a summary table.

generate() draws a field (boundary, vigor pattern, clouds or unflown corners), writes the bands
with the host's GDAL command-line tools (gdal_translate, ogr2ogr) and computes the reference
with the same tools (gdal_rasterize of the round-tripped boundary, gdal_sieve.py): NDVI, valid
mask, zones.

grade() re-runs GDAL/OGR on the submitted files in a fresh sandbox (gdalinfo, gdal_translate to
raw ENVI, ogr2ogr to GeoJSON in the native and the projected CRS, gdal_rasterize of the zone
polygons onto the input grid) and checks, stage by stage: the rasters' grid and CRS, the clip and
cloud/no-data mask, the NDVI values, the zone classes, the minimum mapping unit (no undersized patch left
beside another zone), polygons against the zone raster, polygon areas re-measured in the projected CRS,
zone mean NDVI (summary and polygon attributes), the rates from the agronomic rule, the prescription's
CRS and coverage, the product totals, and the QA hand-over: field and usable areas and the go / no-go
decision (usable imagery on at least 90 % of the field) that follows from them.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from lastexam.task import Grading, Params, is_close

NODATA = -9999.0
SCL_MASKED = (3, 8, 9, 10)

SCENARIOS: dict[str, dict[str, Any]] = {
    "sentinel2_wheat": {
        "epsg": 32614, "res": 10.0, "center": (612400.0, 4264300.0), "radius": 520.0, "crop": "winter wheat",
        "base_ndvi": 0.68, "noise": 0.012,
        "zones": 3, "method": "breaks", "breaks": [0.5, 0.7], "sieve": 10,
        "rule": {"kind": "table", "rates": {1: 80, 2: 60, 3: 40}},
        "product": {"name": "UAN-28 (28 % N, 1.28 kg/L)", "unit": "L", "n_per_unit": 0.28 * 1.28},
    },
    "planetscope_corn": {
        "epsg": 32616, "res": 3.0, "center": (342900.0, 4431600.0), "radius": 360.0, "crop": "corn",
        "base_ndvi": 0.66, "noise": 0.008,
        "zones": 4, "method": "quantiles", "sieve": 100,
        "rule": {"kind": "linear", "base": 185.0, "slope": 150.0, "pivot": 0.70, "lo": 140.0, "hi": 230.0,
                 "step": 5.0},
        "product": {"name": "urea (46 % N)", "unit": "kg", "n_per_unit": 0.46},
    },
    "drone_cotton": {
        "epsg": 32615, "res": 2.0, "center": (712300.0, 3706800.0), "radius": 330.0, "crop": "cotton",
        "base_ndvi": 0.62, "noise": 0.004,
        "zones": 3, "method": "quantiles", "sieve": 250,
        "rule": {"kind": "table", "rates": {1: 100, 2: 80, 3: 60}},
        "product": {"name": "UAN-32 (32 % N, 1.32 kg/L)", "unit": "L", "n_per_unit": 0.32 * 1.32},
    },
}
SUMMARY_COLUMNS = ["zone", "area_ha", "mean_ndvi", "n_rate_kg_ha", "product_rate_per_ha", "product_total"]


# -- GDAL helpers (host: trusted data only) -----------------------------------------------------

ENVI_TYPES = {np.dtype("uint8"): 1, np.dtype("int16"): 2, np.dtype("float32"): 4, np.dtype("uint16"): 12}


def write_envi(path: Path, bands: np.ndarray) -> None:
    """A raw BSQ ENVI file (.img + .hdr) that gdal_translate can read."""
    bands = bands if bands.ndim == 3 else bands[None]
    count, rows, cols = bands.shape
    np.ascontiguousarray(bands).astype(bands.dtype.newbyteorder("<")).tofile(path)
    path.with_suffix(".hdr").write_text(
        f"ENVI\nsamples = {cols}\nlines = {rows}\nbands = {count}\nheader offset = 0\nfile type = ENVI Standard\n"
        f"data type = {ENVI_TYPES[bands.dtype]}\ninterleave = bsq\nbyte order = 0\n")


def read_envi(path: Path) -> np.ndarray | None:
    """Band 1 of a raw ENVI file written by GDAL, or None when it is missing or malformed."""
    header = path.with_suffix(".hdr")
    if not (path.is_file() and header.is_file()):
        return None
    fields = {}
    for line in header.read_text(errors="replace").splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            fields[key.strip().lower()] = value.strip()
    codes = {1: "u1", 2: "i2", 3: "i4", 4: "f4", 5: "f8", 12: "u2", 13: "u4"}
    try:
        rows, cols = int(fields["lines"]), int(fields["samples"])
        dtype = np.dtype(codes[int(fields["data type"])]).newbyteorder(">" if fields.get("byte order") == "1" else "<")
        data = np.fromfile(path, dtype=dtype, count=rows * cols)
    except (KeyError, ValueError, OSError):
        return None
    return data.reshape(rows, cols) if data.size == rows * cols else None


def _run(*argv: str) -> None:
    subprocess.run(list(argv), check=True, capture_output=True, timeout=120)


def to_geotiff(array: np.ndarray, target: Path, epsg: int, origin: tuple[float, float], res: float,
               nodata: float | None = None) -> None:
    with tempfile.TemporaryDirectory(prefix="ale-ndvi-") as tmp:
        raw = Path(tmp) / "data.img"
        write_envi(raw, array)
        rows, cols = array.shape[-2:]
        ulx, uly = origin
        args = ["gdal_translate", "-q", "-of", "GTiff", "-co", "COMPRESS=DEFLATE", "-a_srs", f"EPSG:{epsg}",
                "-a_ullr", str(ulx), str(uly), str(ulx + cols * res), str(uly - rows * res)]
        if nodata is not None:
            args += ["-a_nodata", repr(nodata)]
        _run(*args, str(raw), str(target))


# -- the field ----------------------------------------------------------------------------------


class Grid:
    """A north-up raster grid: origin (upper-left corner), pixel size, shape."""

    def __init__(self, ulx: float, uly: float, res: float, rows: int, cols: int) -> None:
        self.ulx, self.uly, self.res, self.rows, self.cols = ulx, uly, res, rows, cols

    def centers(self) -> tuple[np.ndarray, np.ndarray]:
        x = self.ulx + (np.arange(self.cols) + 0.5) * self.res
        y = self.uly - (np.arange(self.rows) + 0.5) * self.res
        return np.meshgrid(x, y)

    def extent(self) -> list[str]:
        """-te xmin ymin xmax ymax."""
        return [str(self.ulx), str(self.uly - self.rows * self.res), str(self.ulx + self.cols * self.res),
                str(self.uly)]

    def transform(self) -> list[float]:
        return [self.ulx, self.res, 0.0, self.uly, 0.0, -self.res]


def field_rings(sc: dict[str, Any], rng: np.random.Generator, hole: bool) -> list[list[tuple[float, float]]]:
    """An irregular field outline (and a pond as a hole) in projected coordinates."""
    cx, cy = sc["center"]
    n = int(rng.integers(9, 14))
    angles = np.sort(rng.uniform(0, 2 * math.pi, n))
    radius = sc["radius"] * rng.uniform(0.8, 1.15, n)
    squash = rng.uniform(0.7, 0.9)
    outer = [(round(cx + r * math.cos(a), 2), round(cy + squash * r * math.sin(a), 2)) for a, r in zip(angles, radius,
                                                                                                         strict=True)]
    rings = [[*outer, outer[0]]]
    if hole:
        px, py = cx + rng.uniform(-80, 80), cy + rng.uniform(-60, 60)
        pond = [(round(px + 55 * math.cos(a), 2), round(py + 40 * math.sin(a), 2))
                for a in np.linspace(2 * math.pi, 0, 10, endpoint=False)]
        rings.append([*pond, pond[0]])
    return rings


def vigor(grid: Grid, sc: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    """A smooth NDVI pattern with low- and high-vigor patches."""
    x, y = grid.centers()
    cx, cy = sc["center"]
    r = sc["radius"]
    gx, gy = rng.uniform(-1, 1, 2)
    ndvi = sc["base_ndvi"] + 0.06 * (gx * (x - cx) + gy * (y - cy)) / r
    for amplitude in (-0.24, -0.18, -0.12, 0.14, 0.1):
        bx, by = cx + rng.uniform(-0.7, 0.7) * r, cy + rng.uniform(-0.6, 0.6) * r
        width = rng.uniform(0.22, 0.4) * r
        ndvi += amplitude * np.exp(-((x - bx) ** 2 + (y - by) ** 2) / (2 * width**2))
    ndvi += rng.normal(0, sc["noise"], ndvi.shape)
    return np.clip(ndvi, 0.12, 0.9)


def reflectances(ndvi: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    nir = 0.2 + 0.3 * ndvi + rng.normal(0, 0.002, ndvi.shape)
    red = nir * (1 - ndvi) / (1 + ndvi)
    return red, nir


def compute_ndvi(red: np.ndarray, nir: np.ndarray) -> np.ndarray:
    red, nir = red.astype(np.float64), nir.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return ((nir - red) / (nir + red)).astype(np.float32)


def classify(ndvi: np.ndarray, valid: np.ndarray, sc: dict[str, Any]) -> np.ndarray:
    """Zone 1 = lowest NDVI; a value equal to a break goes to the upper zone; 0 outside ``valid``."""
    if sc["method"] == "breaks":
        breaks = np.array(sc["breaks"])
    else:
        k = sc["zones"]
        breaks = np.percentile(ndvi[valid].astype(np.float64), [100 * i / k for i in range(1, k)])
    zones = (np.searchsorted(breaks, ndvi.astype(np.float64), side="right") + 1).astype(np.uint8)
    zones[~valid] = 0
    return zones


def n_rate(sc: dict[str, Any], zone: int, mean_ndvi: float) -> float:
    rule = sc["rule"]
    if rule["kind"] == "table":
        return float(rule["rates"][zone])
    raw = rule["base"] + rule["slope"] * (rule["pivot"] - mean_ndvi)
    return float(min(rule["hi"], max(rule["lo"], rule["step"] * round(raw / rule["step"]))))


def product_rate(sc: dict[str, Any], n: float) -> float:
    return round(n / sc["product"]["n_per_unit"], 1)


# -- generation ---------------------------------------------------------------------------------


def _grid_for(rings: list[list[tuple[float, float]]], res: float, buffer: float) -> Grid:
    xs = [p[0] for p in rings[0]]
    ys = [p[1] for p in rings[0]]
    ulx = math.floor((min(xs) - buffer) / res) * res
    uly = math.ceil((max(ys) + buffer) / res) * res
    cols = math.ceil((max(xs) + buffer - ulx) / res)
    rows = math.ceil((uly - (min(ys) - buffer)) / res)
    return Grid(ulx, uly, res, rows + rows % 2, cols + cols % 2)


def _geojson(rings: list[list[tuple[float, float]]], epsg: int) -> str:
    return json.dumps({"type": "FeatureCollection", "name": "field_boundary",
                       "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"}},
                       "features": [{"type": "Feature", "properties": {"field_id": "F-07", "name": "North 80"},
                                     "geometry": {"type": "Polygon", "coordinates": rings}}]})


def boundary_files(rings: list[list[tuple[float, float]]], epsg: int, input_dir: Path, work: Path) -> Path:
    """The WGS84 boundary the agent gets, and the same boundary brought back to the projected CRS."""
    utm = work / "boundary_utm.geojson"
    utm.write_text(_geojson(rings, epsg))
    target = input_dir / "field_boundary.geojson"
    _run("ogr2ogr", "-f", "GeoJSON", "-t_srs", "EPSG:4326", "-lco", "RFC7946=YES", "-lco",
         "COORDINATE_PRECISION=8", str(target), str(utm))
    back = work / "boundary_back.geojson"
    _run("ogr2ogr", "-f", "GeoJSON", "-t_srs", f"EPSG:{epsg}", str(back), str(target))
    return back


def rasterize_mask(vector: Path, grid: Grid, work: Path) -> np.ndarray:
    out = work / "mask.img"
    _run("gdal_rasterize", "-q", "-burn", "1", "-init", "0", "-ot", "Byte", "-of", "ENVI", "-te", *grid.extent(),
         "-ts", str(grid.cols), str(grid.rows), str(vector), str(out))
    mask = read_envi(out)
    assert mask is not None
    return mask.astype(bool)


def sieve(zones: np.ndarray, grid: Grid, epsg: int, threshold: int, work: Path) -> np.ndarray:
    raw, done = work / "zones_raw.tif", work / "zones_sieved.tif"
    to_geotiff(zones, raw, epsg, (grid.ulx, grid.uly), grid.res, nodata=0)
    _run("gdal_sieve.py", "-q", "-st", str(threshold), str(raw), str(done))
    _run("gdal_translate", "-q", "-of", "ENVI", str(done), str(work / "sieved.img"))
    result = read_envi(work / "sieved.img")
    assert result is not None
    return result.astype(np.uint8)


def _clouds(grid: Grid, sc: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    """Scene classification on the 20 m grid: 4 vegetation, 5 bare soil, cloud 8/9, shadow 3, cirrus 10."""
    coarse = Grid(grid.ulx, grid.uly, grid.res * 2, grid.rows // 2, grid.cols // 2)
    x, y = coarse.centers()
    cx, cy = sc["center"]
    r = sc["radius"]
    scl = np.full(x.shape, 4, dtype=np.uint8)
    bx, by = cx + rng.uniform(-0.5, 0.5) * r, cy + rng.uniform(-0.5, 0.5) * r
    d = np.hypot(x - bx, (y - by) * 1.4)
    scl[d < 0.32 * r] = 8
    scl[d < 0.2 * r] = 9
    shadow = np.hypot(x - bx - 0.35 * r, (y - by + 0.2 * r) * 1.4) < 0.22 * r
    scl[shadow & (scl == 4)] = 3
    cirrus = np.hypot(x - cx + 0.6 * r, y - cy - 0.4 * r) < 0.12 * r
    scl[cirrus & (scl == 4)] = 10
    scl[(rng.random(scl.shape) < 0.02) & (scl == 4)] = 5
    return scl


MIN_ZONE_SHARE = 0.05  # every management zone covers at least this share of the usable pixels
MAX_DRAWS = 40


def inside_ring(points: np.ndarray, ring: list[tuple[float, float]]) -> np.ndarray:
    """Which of the (n, 2) points lie inside the closed ring (even-odd ray casting)."""
    x, y = points[:, 0], points[:, 1]
    inside = np.zeros(len(points), dtype=bool)
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        crosses = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            inside ^= crosses & (x < x1 + (y - y1) * (x2 - x1) / (y2 - y1))
    return inside


@dataclass
class FieldDraw:
    """One drawn field: its outline, grid, the field and usable masks, the NDVI and the reference zones."""

    rings: list[list[tuple[float, float]]]
    grid: Grid
    field: np.ndarray
    valid: np.ndarray
    ndvi: np.ndarray
    zones: np.ndarray

    def zones_large_enough(self, k: int) -> bool:
        return all((self.zones == z).sum() >= MIN_ZONE_SHARE * self.valid.sum() for z in range(1, k + 1))

    def pond_inside_field(self) -> bool:
        """The pond (a hole) lies wholly inside the outer ring: a sparse outline can cut across it."""
        outer, *holes = self.rings
        steps = np.linspace(0.0, 1.0, 20)[:, None, None]
        for hole in holes:
            corners = np.array(hole)
            edge_points = (corners[:-1] + steps * (corners[1:] - corners[:-1])).reshape(-1, 2)
            if not inside_ring(edge_points, outer).all():
                return False
        return True


def draw_field(scenario: str, rng: np.random.Generator, input_dir: Path, work: Path) -> FieldDraw:
    """Draw a field and its imagery, write the input files and compute the reference zones."""
    sc = SCENARIOS[scenario]
    epsg, res = sc["epsg"], sc["res"]
    rings = field_rings(sc, rng, hole=scenario == "drone_cotton")
    grid = _grid_for(rings, res, 60.0)
    truth = vigor(grid, sc, rng)
    field = rasterize_mask(boundary_files(rings, epsg, input_dir, work), grid, work)
    truth[~field] = np.clip(0.18 + rng.normal(0, 0.03, truth.shape), 0.05, 0.35)[~field]
    red, nir = reflectances(truth, rng)
    valid = field.copy()
    if scenario == "sentinel2_wheat":
        ndvi = _write_sentinel2(red, nir, grid, sc, rng, input_dir, valid)
    elif scenario == "planetscope_corn":
        ndvi = _write_planetscope(red, nir, grid, epsg, rng, input_dir)
    else:
        ndvi = _write_drone(red, nir, grid, epsg, rng, input_dir, valid)
    valid &= np.isfinite(ndvi)
    zones = classify(ndvi, valid, sc)
    if sc["sieve"]:
        zones = sieve(zones, grid, epsg, sc["sieve"], work)
    return FieldDraw(rings, grid, field, valid, ndvi, zones)


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    """The seed's own draw, unless it leaves a zone too small to manage (with fixed breaks the vigor patches
    can miss the field or hide under cloud) or the pond outside the field: then redraws from separate streams."""
    sc = SCENARIOS[params["scenario"]]
    with tempfile.TemporaryDirectory(prefix="ale-ndvi-gen-") as tmp:
        for attempt in range(MAX_DRAWS):
            stage = Path(tmp) / f"draw{attempt}"
            (stage / "input").mkdir(parents=True)
            rng = np.random.default_rng(params["seed"] if attempt == 0 else [params["seed"], attempt])
            drawn = draw_field(params["scenario"], rng, stage / "input", stage)
            if drawn.zones_large_enough(sc["zones"]) and drawn.pond_inside_field():
                break
        else:
            raise RuntimeError(f"no usable field in {MAX_DRAWS} draws")
        for path in (stage / "input").iterdir():
            shutil.move(path, input_dir / path.name)
    grid, zones, valid = drawn.grid, drawn.zones, drawn.valid
    np.save(reference_dir / "ndvi.npy", np.where(valid, drawn.ndvi, np.float32(NODATA)).astype(np.float32))
    np.save(reference_dir / "zones.npy", zones)
    means = {z: float(drawn.ndvi[zones == z].astype(np.float64).mean()) for z in range(1, sc["zones"] + 1)}
    (reference_dir / "reference.json").write_text(json.dumps({
        "epsg": sc["epsg"], "transform": grid.transform(), "rows": grid.rows, "cols": grid.cols,
        "origin": (grid.ulx, grid.uly), "zone_pixels": {z: int((zones == z).sum()) for z in means},
        "zone_mean_ndvi": means, "field_pixels": int(drawn.field.sum()), "usable_pixels": int(valid.sum()),
    }, indent=1))


def _write_sentinel2(red: np.ndarray, nir: np.ndarray, grid: Grid, sc: dict[str, Any], rng: np.random.Generator,
                     input_dir: Path, valid: np.ndarray) -> np.ndarray:
    scl = _clouds(grid, sc, rng)
    fine = np.repeat(np.repeat(scl, 2, axis=0), 2, axis=1)
    cloudy = np.isin(fine, (8, 9, 10))
    red = np.where(cloudy, 0.35 + rng.normal(0, 0.02, red.shape), red)
    nir = np.where(cloudy, 0.42 + rng.normal(0, 0.02, nir.shape), nir)
    shadow = fine == 3
    red, nir = np.where(shadow, red * 0.35, red), np.where(shadow, nir * 0.35, nir)
    offset, scale = 1000, 10000
    dn = {b: np.clip(np.round(v * scale + offset), 1, 65535).astype(np.uint16) for b, v in (("B04", red), ("B08", nir))}
    epsg, origin = sc["epsg"], (grid.ulx, grid.uly)
    tile = "T14SNG"
    for band, data in dn.items():
        to_geotiff(data, input_dir / f"{tile}_20250412T172901_{band}_10m.tif", epsg, origin, grid.res, nodata=0)
    to_geotiff(scl, input_dir / f"{tile}_20250412T172901_SCL_20m.tif", epsg, origin, grid.res * 2, nodata=0)
    (input_dir / "MTD_MSIL2A.xml").write_text(_s2_metadata(offset, scale))
    valid &= ~np.isin(fine, SCL_MASKED)
    return compute_ndvi((dn["B04"].astype(np.float64) - offset) / scale, (dn["B08"].astype(np.float64) - offset) / scale)


def _s2_metadata(offset: int, scale: int) -> str:
    bands = "\n".join(f'        <BOA_ADD_OFFSET band_id="{i}">-{offset}</BOA_ADD_OFFSET>' for i in range(13))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-2A_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-2A.xsd">
  <n1:General_Info>
    <Product_Info>
      <PRODUCT_START_TIME>2025-04-12T17:29:01.024Z</PRODUCT_START_TIME>
      <PRODUCT_TYPE>S2MSI2A</PRODUCT_TYPE>
      <PROCESSING_BASELINE>05.11</PROCESSING_BASELINE>
      <Datatake datatakeIdentifier="GS2B_20250412T172901_042117_N05.11">
        <SPACECRAFT_NAME>Sentinel-2B</SPACECRAFT_NAME>
      </Datatake>
    </Product_Info>
    <Product_Image_Characteristics>
      <QUANTIFICATION_VALUES_LIST>
        <BOA_QUANTIFICATION_VALUE unit="none">{scale}</BOA_QUANTIFICATION_VALUE>
        <AOT_QUANTIFICATION_VALUE unit="none">1000.0</AOT_QUANTIFICATION_VALUE>
        <WVP_QUANTIFICATION_VALUE unit="cm">1000.0</WVP_QUANTIFICATION_VALUE>
      </QUANTIFICATION_VALUES_LIST>
      <BOA_ADD_OFFSET_VALUES_LIST>
{bands}
      </BOA_ADD_OFFSET_VALUES_LIST>
      <Spectral_Information_List>
        <Spectral_Information bandId="3" physicalBand="B4"><RESOLUTION>10</RESOLUTION></Spectral_Information>
        <Spectral_Information bandId="7" physicalBand="B8"><RESOLUTION>10</RESOLUTION></Spectral_Information>
      </Spectral_Information_List>
    </Product_Image_Characteristics>
  </n1:General_Info>
</n1:Level-2A_User_Product>
"""


def _write_planetscope(red: np.ndarray, nir: np.ndarray, grid: Grid, epsg: int, rng: np.random.Generator,
                       input_dir: Path) -> np.ndarray:
    blue = red * 0.8 + rng.normal(0, 0.003, red.shape)
    green = red * 1.3 + 0.02 + rng.normal(0, 0.003, red.shape)
    stack = np.stack([np.clip(np.round(b * 10000), 1, 65535).astype(np.uint16) for b in (blue, green, red, nir)])
    to_geotiff(stack, input_dir / "20250708_162233_24_2486_3B_AnalyticMS_SR_clip.tif", epsg,
               (grid.ulx, grid.uly), grid.res, nodata=0)
    (input_dir / "20250708_162233_24_2486_3B_AnalyticMS_metadata_clip.json").write_text(json.dumps({
        "id": "20250708_162233_24_2486", "properties": {
            "item_type": "PSScene", "product_type": "AnalyticMS_SR", "acquired": "2025-07-08T16:22:33Z",
            "bands": ["blue", "green", "red", "nir"], "reflectance_coefficient": 0.0001,
            "epsg_code": epsg, "pixel_resolution": grid.res, "clear_percent": 100}}, indent=2))
    return compute_ndvi(stack[2] / 10000.0, stack[3] / 10000.0)


def _write_drone(red: np.ndarray, nir: np.ndarray, grid: Grid, epsg: int, rng: np.random.Generator,
                 input_dir: Path, valid: np.ndarray) -> np.ndarray:
    red, nir = red.astype(np.float32), nir.astype(np.float32)
    rows, cols = red.shape
    yy, xx = np.mgrid[0:rows, 0:cols]
    unflown = (xx + yy) < int(0.22 * (rows + cols))  # the flight plan missed the north-west corner
    red[unflown] = -10000.0
    nir[unflown] = -10000.0
    left, top, right, bottom = (int(v) for v in rng.integers(4, 15, size=4))
    big = np.full((rows + top + bottom, cols + left + right), -10000.0, dtype=np.float32)
    big[top:top + rows, left:left + cols] = nir
    to_geotiff(red, input_dir / "ortho_red.tif", epsg, (grid.ulx, grid.uly), grid.res, nodata=-10000.0)
    to_geotiff(big, input_dir / "ortho_nir.tif", epsg, (grid.ulx - left * grid.res, grid.uly + top * grid.res),
               grid.res, nodata=-10000.0)
    valid &= ~unflown
    return compute_ndvi(red, nir)


# -- grading ------------------------------------------------------------------------------------

SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj")


def _conversion_script(ref: dict[str, Any]) -> str:
    """Trusted GDAL/OGR commands run in the grading sandbox on the submitted files."""
    rows, cols = ref["rows"], ref["cols"]
    ulx, uly = ref["origin"]
    res = ref["transform"][1]
    te = f"{ulx} {uly - rows * res} {ulx + cols * res} {uly}"
    return "; ".join([
        "gdalinfo -json ndvi.tif > ndvi_info.json",
        "gdalinfo -json zones.tif > zones_info.json",
        "gdal_translate -q -of ENVI -ot Float32 -b 1 ndvi.tif ndvi.img",
        "gdal_translate -q -of ENVI -ot Byte -b 1 zones.tif zones.img",
        "ogr2ogr -f GeoJSON zones.geojson zones.gpkg zones",
        f"ogr2ogr -f GeoJSON -t_srs EPSG:{ref['epsg']} zones_utm.geojson zones.gpkg zones",
        f"gdal_rasterize -q -a zone -l zones -init 0 -ot Byte -of ENVI -te {te} -ts {cols} {rows} zones.gpkg "
        "zones_rast.img",
        "ogr2ogr -f GeoJSON rx.geojson prescription.shp",
        f"ogr2ogr -f GeoJSON -t_srs EPSG:{ref['epsg']} rx_utm.geojson prescription.shp",
        "true",
    ])


def ring_area(ring: list[list[float]]) -> float:
    pts = np.asarray(ring, dtype=float)[:, :2]
    if len(pts) < 3:
        return 0.0
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def geometry_area(geometry: dict[str, Any] | None) -> float:
    """Planar area of a GeoJSON Polygon or MultiPolygon (exterior minus holes)."""
    if not isinstance(geometry, dict):
        return 0.0
    polygons = geometry.get("coordinates") or []
    if geometry.get("type") == "Polygon":
        polygons = [polygons]
    elif geometry.get("type") != "MultiPolygon":
        return 0.0
    total = 0.0
    for polygon in polygons:
        if polygon:
            total += ring_area(polygon[0]) - sum(ring_area(h) for h in polygon[1:])
    return total


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(errors="replace"))
    except (OSError, json.JSONDecodeError):
        return None


def _crs_epsg(info: dict[str, Any] | None) -> int | None:
    wkt = ((info or {}).get("coordinateSystem") or {}).get("wkt", "")
    ids = [int(x) for x in re.findall(r'ID\["EPSG",(\d+)\]\]$', wkt.strip())]
    return ids[-1] if ids else None


def _features(collection: Any) -> list[dict[str, Any]]:
    if not isinstance(collection, dict):
        return []
    return [f for f in collection.get("features") or [] if isinstance(f, dict)]


def _collection_epsg(collection: Any) -> int | None:
    name = str(((collection or {}).get("crs") or {}).get("properties", {}).get("name", "")) if isinstance(
        collection, dict) else ""
    if name.endswith("CRS84"):
        return 4326
    tail = name.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _zone_of(props: dict[str, Any], key: str) -> int | None:
    value = props.get(key)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _areas_by_zone(features: list[dict[str, Any]], key: str) -> dict[int, float]:
    areas: dict[int, float] = {}
    for f in features:
        zone = _zone_of(f.get("properties") or {}, key)
        if zone is not None:
            areas[zone] = areas.get(zone, 0.0) + geometry_area(f.get("geometry")) / 1e4
    return areas


def _summary(g: Grading, k: int) -> dict[int, dict[str, float]] | None:
    rows = g.read_csv("summary.csv", required_columns=SUMMARY_COLUMNS, gate=False)
    if rows is None:
        return None
    table: dict[int, dict[str, float]] = {}
    for row in rows:
        zone = row["zone"].strip().lower()
        values = {c: _num(row.get(c)) for c in SUMMARY_COLUMNS[1:]}
        if zone == "total":
            table[0] = values
        elif zone.isdigit():
            table[int(zone)] = values
    ok = set(table) == set(range(k + 1))
    g.check("summary.csv has one row per zone and a total row", ok, found=sorted(table),
            expected=[*range(1, k + 1), "total"])
    return table if ok else None


def _num(value: Any) -> float:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


class Submission:
    """The submitted files as GDAL/OGR read them in the grading sandbox."""

    def __init__(self, workdir: Path) -> None:
        self.ndvi_info = _load_json(workdir / "ndvi_info.json")
        self.zones_info = _load_json(workdir / "zones_info.json")
        self.ndvi = read_envi(workdir / "ndvi.img")
        self.zones = read_envi(workdir / "zones.img")
        self.zones_rast = read_envi(workdir / "zones_rast.img")
        self.zones_vec = _load_json(workdir / "zones.geojson")
        self.zones_utm = _features(_load_json(workdir / "zones_utm.geojson"))
        self.rx = _load_json(workdir / "rx.geojson")
        self.rx_utm = _features(_load_json(workdir / "rx_utm.geojson"))


def _check_grids(g: Grading, sub: Submission, ref: dict[str, Any]) -> bool:
    problems = []
    shape = (ref["rows"], ref["cols"])
    for name, info, data in (("ndvi.tif", sub.ndvi_info, sub.ndvi), ("zones.tif", sub.zones_info, sub.zones)):
        transform = (info or {}).get("geoTransform")
        if data is None or data.shape != shape:
            problems.append(f"{name}: size {None if data is None else data.shape} not {shape}")
        elif not transform or not np.allclose(transform, ref["transform"], atol=1e-6):
            problems.append(f"{name}: geotransform {transform} differs from the input grid")
        elif _crs_epsg(info) != ref["epsg"]:
            problems.append(f"{name}: CRS EPSG:{_crs_epsg(info)} not EPSG:{ref['epsg']}")
    return g.check("ndvi.tif and zones.tif are on the input grid and CRS", not problems, weight=2, gate=True,
                   reason="; ".join(problems))


def _check_ndvi(g: Grading, sub: Submission, ref_ndvi: np.ndarray) -> np.ndarray:
    nodata = ((sub.ndvi_info or {}).get("bands") or [{}])[0].get("noDataValue")
    valid_ref = ref_ndvi != NODATA
    got = sub.ndvi if sub.ndvi is not None else np.full(ref_ndvi.shape, np.nan, dtype=np.float32)
    valid_got = np.isfinite(got) & (got != NODATA) if nodata is not None else np.zeros(got.shape, bool)
    if nodata is not None:
        valid_got &= got != np.float32(nodata)
    mismatch = int((valid_ref != valid_got).sum())
    share = mismatch / max(1, int(valid_ref.sum()))
    g.check("NDVI nodata: outside the field and masked pixels are nodata, field pixels are valid",
            nodata is not None and math.isclose(float(nodata), NODATA) and share <= 0.01, weight=2,
            expected=f"nodata {NODATA}, mismatch <= 1 %", found=f"nodata {nodata}, mismatch {100 * share:.2f} %")
    both = valid_ref & valid_got
    close = np.abs(got[both].astype(np.float64) - ref_ndvi[both]) <= 0.002
    frac = float(close.mean()) if both.any() else 0.0
    g.check("NDVI values recomputed from the bands (reflectance, band choice, alignment)", frac >= 0.999, weight=3,
            expected=">= 99.9 % of pixels within 0.002", found=f"{100 * frac:.2f} %")
    return valid_got


def undersized_patches(zones: np.ndarray, mmu: int) -> list[tuple[int, int]]:
    """(zone, size) of the 4-connected zone patches smaller than ``mmu`` pixels that border another zone:
    the minimum mapping unit merges each of them into a neighbour (only a patch enclosed by no-data stays)."""
    four = ndimage.generate_binary_structure(2, 1)
    found = []
    for zone in np.unique(zones[zones > 0]).tolist():
        labels, _ = ndimage.label(zones == zone, structure=four)
        sizes = np.bincount(labels.ravel())
        for patch_id in np.flatnonzero(sizes < mmu).tolist():
            if patch_id == 0:
                continue
            patch = labels == patch_id
            rim = ndimage.binary_dilation(patch, structure=four) & ~patch
            if ((zones[rim] > 0) & (zones[rim] != zone)).any():
                found.append((int(zone), int(sizes[patch_id])))
    return found


def _check_zones(g: Grading, sub: Submission, ref_zones: np.ndarray, k: int, mmu: int) -> None:
    got = sub.zones if sub.zones is not None else np.zeros(ref_zones.shape, np.uint8)
    both = (ref_zones > 0) & (got > 0)
    agree = float((got[both] == ref_zones[both]).mean()) if both.any() else 0.0
    coverage = int(both.sum()) / max(1, int((ref_zones > 0).sum()))
    ids = set(np.unique(got[got > 0]).tolist())
    ok = agree >= 0.97 and coverage >= 0.98 and ids == set(range(1, k + 1))
    g.check("zone classes follow the zoning rule", ok, weight=3, expected=f"zones 1..{k}, >= 97 % agreement",
            found=f"zones {sorted(ids)}, {100 * agree:.2f} % agreement on {100 * coverage:.1f} % coverage")
    # the reference's own sieve is the yardstick: an agent is held to no more leftovers than it has (normally none)
    small, allowed = undersized_patches(got, mmu), len(undersized_patches(ref_zones, mmu))
    ok = len(small) <= allowed
    g.check(f"minimum mapping unit: no zone patch under {mmu} pixels left beside another zone", ok, weight=2,
            expected=f"at most {allowed}", found=f"{len(small)} patches",
            reason="" if ok else "; ".join(f"zone {z}: {n} px" for z, n in small[:6]) + " (not merged into a neighbour)")
    rast = sub.zones_rast
    same = float((rast == got).mean()) if rast is not None and rast.shape == got.shape else 0.0
    g.check("zones.gpkg polygons rasterize back to zones.tif", same >= 0.98, weight=2, found=f"{100 * same:.2f} %",
            expected=">= 98 % of pixels")


def _check_polygons(g: Grading, sub: Submission, ref: dict[str, Any]) -> dict[int, float]:
    feats = _features(sub.zones_vec)
    epsg = _collection_epsg(sub.zones_vec)
    measured = _areas_by_zone(sub.zones_utm, "zone") if epsg == ref["epsg"] else {}
    stated: dict[int, float] = {}
    for f in feats:
        props = f.get("properties") or {}
        zone = _zone_of(props, "zone")
        if zone is not None:
            stated[zone] = stated.get(zone, 0.0) + _num(props.get("area_ha"))
    bad = [z for z in measured if not is_close(stated.get(z, math.nan), measured[z], rel_tol=0.01, abs_tol=0.01)]
    ok = bool(measured) and not bad
    g.check("zones.gpkg in the raster CRS; area_ha equals the re-measured polygon area", ok, weight=2,
            found={"crs": epsg, **{str(z): round(stated.get(z, math.nan), 3) for z in measured}},
            expected={str(z): round(a, 3) for z, a in measured.items()},
            reason="" if ok else "wrong CRS, unreadable layer or areas off by more than 1 %")
    return measured


def _check_polygon_means(g: Grading, sub: Submission, ref_ndvi: np.ndarray, ref: dict[str, Any], k: int) -> None:
    """zones.gpkg mean_ndvi: every feature carries its zone's mean NDVI (over the zone's pixels in zones.tif)."""
    got = sub.zones if sub.zones is not None else np.zeros(ref_ndvi.shape, np.uint8)
    by_zone: dict[int | None, set[float]] = {}
    for f in _features(sub.zones_vec):
        props = f.get("properties") or {}
        by_zone.setdefault(_zone_of(props, "zone"), set()).add(_num(props.get("mean_ndvi")))
    bad = []
    for z in range(1, k + 1):
        sel = (got == z) & (ref_ndvi != NODATA)
        own = float(ref_ndvi[sel].astype(np.float64).mean()) if sel.any() else math.nan
        stated = sorted(by_zone.get(z, set())) or [math.nan]
        if not all(is_close(v, own, abs_tol=0.005) and is_close(v, ref["zone_mean_ndvi"][str(z)], abs_tol=0.01)
                   for v in stated):
            bad.append(f"zone {z}: {[round(v, 4) for v in stated[:3]]} (its pixels {own:.4f})")
    g.check("zones.gpkg mean_ndvi is each zone's mean NDVI", not bad, weight=1, reason="; ".join(bad[:4]))


def _check_summary(g: Grading, table: dict[int, dict[str, float]], measured: dict[int, float], sub: Submission,
                   ref_ndvi: np.ndarray, sc: dict[str, Any], ref: dict[str, Any]) -> None:
    k = sc["zones"]
    pixel_ha = ref["transform"][1] ** 2 / 1e4
    got = sub.zones if sub.zones is not None else np.zeros(ref_ndvi.shape, np.uint8)
    area_bad, mean_bad, rate_bad, total_bad = [], [], [], []
    for z in range(1, k + 1):
        row = table[z]
        ref_area = ref["zone_pixels"][str(z)] * pixel_ha
        if not (is_close(row["area_ha"], measured.get(z, math.nan), rel_tol=0.01, abs_tol=0.01)
                and is_close(row["area_ha"], ref_area, rel_tol=0.03)):
            area_bad.append(f"zone {z}: {row['area_ha']} (polygons {measured.get(z, math.nan):.3f}, want ~{ref_area:.3f})")
        sel = (got == z) & (ref_ndvi != NODATA)
        own_mean = float(ref_ndvi[sel].astype(np.float64).mean()) if sel.any() else math.nan
        if not (is_close(row["mean_ndvi"], own_mean, abs_tol=0.005)
                and is_close(row["mean_ndvi"], ref["zone_mean_ndvi"][str(z)], abs_tol=0.01)):
            mean_bad.append(f"zone {z}: {row['mean_ndvi']} (its pixels {own_mean:.4f})")
        # The rule may be applied to the zone's unrounded mean or to the mean as reported: near a 5 kg step the
        # two can round to neighbouring rates, and both are honest.
        n = n_rate(sc, z, row["mean_ndvi"]) if math.isfinite(row["mean_ndvi"]) else math.nan
        if math.isfinite(own_mean) and not is_close(row["n_rate_kg_ha"], n, abs_tol=1e-6):
            n = n_rate(sc, z, own_mean)
        if not (is_close(row["n_rate_kg_ha"], n, abs_tol=1e-6)
                and is_close(row["product_rate_per_ha"], product_rate(sc, n), abs_tol=0.051)):
            rate_bad.append(f"zone {z}: N {row['n_rate_kg_ha']} / product {row['product_rate_per_ha']} (want {n}, "
                            f"{product_rate(sc, n) if math.isfinite(n) else 'n/a'})")
        if not is_close(row["product_total"], row["product_rate_per_ha"] * row["area_ha"], rel_tol=0.002, abs_tol=0.5):
            total_bad.append(f"zone {z}")
    total = table[0]
    if not (is_close(total["product_total"], sum(table[z]["product_total"] for z in range(1, k + 1)), rel_tol=0.002,
                     abs_tol=0.5)
            and is_close(total["area_ha"], sum(table[z]["area_ha"] for z in range(1, k + 1)), rel_tol=0.002, abs_tol=0.01)):
        total_bad.append("total row")
    g.check("summary zone areas match the polygons and the expected zones", not area_bad, weight=2,
            reason="; ".join(area_bad[:4]))
    g.check("summary mean NDVI per zone matches the zone's pixels", not mean_bad, weight=2, reason="; ".join(mean_bad[:4]))
    g.check("N and product rates follow the agronomic rule", not rate_bad, weight=2, reason="; ".join(rate_bad[:4]))
    g.check("product totals equal rate x area, and the total row adds up", not total_bad, weight=1,
            reason=", ".join(total_bad))


def _check_prescription(g: Grading, sub: Submission, table: dict[int, dict[str, float]] | None,
                        measured: dict[int, float], sc: dict[str, Any]) -> None:
    epsg = _collection_epsg(sub.rx)
    feats = _features(sub.rx)
    rates: dict[int, set[float]] = {}
    nitrogen: dict[int, set[float]] = {}
    for f in feats:
        props = f.get("properties") or {}
        zone = _zone_of(props, "ZONE")
        if zone is not None:
            rates.setdefault(zone, set()).add(_num(props.get("RATE")))
            nitrogen.setdefault(zone, set()).add(_num(props.get("N_KGHA")))
    areas = _areas_by_zone(sub.rx_utm, "ZONE")
    problems = []
    if epsg != 4326:
        problems.append(f"CRS EPSG:{epsg}, not WGS84")
    k = sc["zones"]
    if set(rates) != set(range(1, k + 1)):
        problems.append(f"zones {sorted(rates)}")
    for z in range(1, k + 1):
        want = table[z]["product_rate_per_ha"] if table else math.nan
        if not all(is_close(r, want, abs_tol=0.051) for r in rates.get(z, {math.nan})):
            problems.append(f"zone {z} RATE {sorted(rates.get(z, []))} vs summary {want}")
        want_n = table[z]["n_rate_kg_ha"] if table else math.nan
        if not all(is_close(n, want_n, abs_tol=0.051) for n in nitrogen.get(z, {math.nan})):
            problems.append(f"zone {z} N_KGHA {sorted(nitrogen.get(z, []))} vs summary {want_n}")
        if not is_close(areas.get(z, math.nan), measured.get(z, math.nan), rel_tol=0.02, abs_tol=0.02):
            problems.append(f"zone {z} covers {areas.get(z, 0):.3f} ha vs {measured.get(z, math.nan):.3f} ha of zones")
    g.check("prescription shapefile: WGS84, N and product rate per zone as in the summary, covering the zones",
            not problems, weight=3, reason="; ".join(problems[:5]))


APPLY_THRESHOLD = 0.90  # usable imagery must cover this share of the field for the prescription to be applied


def _check_qa(g: Grading, ref: dict[str, Any]) -> None:
    """qa.json: field and usable areas on the analysis grid, their ratio, and the go / no-go decision that
    follows from it (either decision is accepted within one point of the threshold)."""
    qa = _load_json(g.output("qa.json")) if g.output("qa.json").is_file() else None
    qa = qa if isinstance(qa, dict) else {}
    pixel_ha = abs(ref["transform"][1] * ref["transform"][5]) / 1e4
    field, usable = ref["field_pixels"] * pixel_ha, ref["usable_pixels"] * pixel_ha
    fraction = ref["usable_pixels"] / ref["field_pixels"]
    found = {k: _num(qa.get(k)) for k in ("field_area_ha", "usable_area_ha", "usable_fraction")}
    ok = is_close(found["field_area_ha"], field, rel_tol=0.01) and \
        is_close(found["usable_area_ha"], usable, rel_tol=0.01) and is_close(found["usable_fraction"], fraction, abs_tol=0.005)
    g.check("qa.json: field area, usable area and usable fraction on the analysis grid", ok, weight=1,
            expected={"field_area_ha": round(field, 3), "usable_area_ha": round(usable, 3),
                      "usable_fraction": round(fraction, 4)}, found=found)
    decision = str(qa.get("decision", "")).strip().lower()
    allowed = {"apply" if fraction >= APPLY_THRESHOLD else "reimage"}
    if abs(fraction - APPLY_THRESHOLD) < 0.01:
        allowed = {"apply", "reimage"}
    g.check("go / no-go decision follows from the usable share of the field", decision in allowed, weight=2,
            expected=sorted(allowed), found=decision,
            reason="" if decision in allowed else
            f"{100 * fraction:.1f} % of the field has usable imagery; the standard asks for {100 * APPLY_THRESHOLD:.0f} %")


def grade(g: Grading) -> None:
    rx_parts = [f"prescription{ext}" for ext in SHAPEFILE_PARTS]
    if not g.require_files("ndvi.tif", "zones.tif", "zones.gpkg", *rx_parts, "summary.csv"):
        return
    sc = SCENARIOS[g.params["scenario"]]
    ref = g.reference_json("reference.json")
    ref_ndvi = np.load(g.reference("ndvi.npy"))
    ref_zones = np.load(g.reference("zones.npy"))
    files = {name: g.output(name) for name in ("ndvi.tif", "zones.tif", "zones.gpkg", *rx_parts)}
    if g.output("prescription.cpg").is_file():
        files["prescription.cpg"] = g.output("prescription.cpg")
    result = g.run_tool(["bash", "-c", _conversion_script(ref)], files, timeout=90)
    sub = Submission(result.workdir)
    if not _check_grids(g, sub, ref):
        return
    _check_ndvi(g, sub, ref_ndvi)
    _check_zones(g, sub, ref_zones, sc["zones"], sc["sieve"] or 1)
    measured = _check_polygons(g, sub, ref)
    _check_polygon_means(g, sub, ref_ndvi, ref, sc["zones"])
    table = _summary(g, sc["zones"])
    if table is not None:
        _check_summary(g, table, measured, sub, ref_ndvi, sc, ref)
    _check_prescription(g, sub, table, measured, sc)
    _check_qa(g, ref)

