"""Parcel setbacks: reproject a residential block, derive buildable envelopes, call zoning compliance.

Workflow: the analyst receives parcels and the road reserve (GeoPackage, geographic CRS of the
jurisdiction), building footprints (GeoJSON, WGS 84) and the zone table (CSV). With GDAL/OGR they
reproject to the council's projected CRS, measure planar lot areas (m2 and acres), classify lot
lines (front on the road reserve, rear opposite, side otherwise), cut buildable envelopes as the
lot minus the setback buffers of its lines, and call each lot conforming or not with reasons.

Generation (``gis_tool.py generate``, Debian's python3 with python3-gdal, on trusted data): a block
is laid out in the projected CRS with lot-line types known by construction, written to the input
CRS, read back, reprojected with OGR and measured to give the reference geometry and calls. Every
block holds a lot for each building reason (front, side and rear setback, coverage): where the draw
leaves one out, a lot whose buildings give it no reason is rebuilt from a stream of its own to carry it.

Grade: the submitted GeoPackage is opened by OGR inside a grader sandbox (``g.run_tool`` running
``gis_tool.py measure``), which reports its layers, CRS and the symmetric difference of every
parcel and envelope against the reference. Checks: layers present (gate), CRS, parcel geometry,
area attributes, envelope geometry, envelope area attribute against its own geometry, and in the
compliance CSV: lot areas, envelope areas, coverage, status and reasons per lot.
"""
# ALE-CANARY-3914bca2-328b-4c46-be0f-15be97a3d4ee

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from lastexam.task import Grading, Params, as_number

HERE = Path(__file__).resolve().parent
TOOL = HERE / "gis_tool.py"
HOST_PYTHON = "/usr/bin/python3"  # Debian's python: the one that imports python3-gdal
GPKG = "site_analysis.gpkg"
CSV = "compliance.csv"
CSV_COLUMNS = ("parcel_id", "zone", "lot_area_m2", "lot_area_acres", "envelope_area_m2",
               "building_coverage_pct", "status", "reasons")
REASON_ORDER = ("LOT_AREA", "FRONT_SETBACK", "SIDE_SETBACK", "REAR_SETBACK", "COVERAGE")
PARCEL_TOL = 0.001  # symmetric difference / lot area
ENVELOPE_TOL = 0.02  # symmetric difference / envelope area
# Planar areas in the target CRS are exact; 1e-4 leaves room for printed rounding but not for areas
# measured on the ellipsoid or in another projection (the CRS scale factor, up to ~1e-3 here).
AREA_REL_TOL = 1e-4


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    subprocess.run(
        [HOST_PYTHON, str(TOOL), "generate", params["scenario"], str(params["seed"]), str(input_dir),
         str(reference_dir)],
        check=True, capture_output=True, text=True,
    )


def _measure(g: Grading, ref: dict[str, Any]) -> dict[str, Any] | None:
    result = g.run_tool(
        ["python3", "gis_tool.py", "measure", GPKG, "reference.gpkg", str(ref["dst_epsg"]), str(ref["unit_m"])],
        files={"gis_tool.py": TOOL, GPKG: g.output(GPKG), "reference.gpkg": g.reference("reference.gpkg")},
        timeout=60,
    )
    try:
        data = json.loads(result.stdout) if result.ok else None
    except json.JSONDecodeError:
        data = None
    if data is None or "error" in data:
        reason = (data or {}).get("error") or result.stderr[-400:] or "OGR could not read it"
        g.check(f"{GPKG} opens in OGR", False, gate=True, reason=reason)
        return None
    missing = [name for name in ("parcels", "buildable_envelopes") if name not in data]
    g.check(f"{GPKG} has layers parcels and buildable_envelopes", not missing, gate=True,
            expected=["parcels", "buildable_envelopes"], found=data.get("layers"))
    return None if missing else data


def _rel_off(found: Any, expected: float, tol: float) -> str:
    value = as_number(found)
    if value is None:
        return f"not a number: {found!r}"
    return "" if abs(value - expected) <= tol * abs(expected) else f"{value:.4g} vs {expected:.4g}"


def _geometry_verdicts(layer: dict[str, Any], ref_areas: dict[str, float], tol: float) -> dict[str, str]:
    verdicts = {}
    for pid, area in ref_areas.items():
        feat = layer["features"].get(pid, {})
        if not feat.get("present"):
            verdicts[pid] = "missing"
        elif "symdiff_m2" not in feat:
            verdicts[pid] = feat.get("error", "unreadable geometry")
        elif feat["symdiff_m2"] > tol * area + 0.01:
            verdicts[pid] = f"differs by {feat['symdiff_m2']:.1f} m2"
        else:
            verdicts[pid] = ""
    return verdicts


def _grade_layers(g: Grading, data: dict[str, Any], ref: dict[str, Any]) -> None:
    parcels, envelopes = data["parcels"], data["buildable_envelopes"]
    records = ref["parcels"]
    epsg = ref["dst_epsg"]
    g.check(f"both layers are in EPSG:{epsg}", parcels["crs_ok"] and envelopes["crs_ok"], expected=epsg,
            found=[parcels["epsg"], envelopes["epsg"]])
    lot_areas = {pid: r["area_m2"] for pid, r in records.items()}
    g.fraction("parcels reprojected to the target CRS (geometry)", _geometry_verdicts(parcels, lot_areas, PARCEL_TOL),
              weight=2, noun="parcels")
    attrs = {}
    for pid, r in records.items():
        found = parcels["features"].get(pid, {}).get("attrs", {})
        attrs[pid] = (_rel_off(found.get("area_m2"), r["area_m2"], AREA_REL_TOL)
                      or _rel_off(found.get("area_acres"), r["area_acres"], AREA_REL_TOL))
    g.fraction("parcel area_m2 and area_acres attributes", attrs, weight=2, noun="parcels")
    env_areas = {pid: r["envelope_area_m2"] for pid, r in records.items()}
    g.fraction("buildable envelope geometry", _geometry_verdicts(envelopes, env_areas, ENVELOPE_TOL), weight=3, noun="parcels")
    own = {}
    for pid in records:
        feat = envelopes["features"].get(pid, {})
        geom_area = feat.get("area_geom_m2")
        own[pid] = ("no geometry" if geom_area is None
                    else _rel_off(feat.get("attrs", {}).get("envelope_area_m2"), geom_area, 0.01))
    g.fraction("envelope_area_m2 attribute matches its geometry", own, weight=1, noun="parcels")


def _canonical_reasons(text: str) -> str:
    codes = {c.strip().upper() for c in text.replace(",", ";").replace("|", ";").split(";") if c.strip()}
    return ";".join([c for c in REASON_ORDER if c in codes] + sorted(codes - set(REASON_ORDER)))


def _grade_report(g: Grading, rows: list[dict[str, str]], ref: dict[str, Any]) -> None:
    found = [{**row, "status": row.get("status", "").upper(), "reasons": _canonical_reasons(row.get("reasons", ""))}
             for row in rows]
    expected = [
        {"parcel_id": pid, "status": r["status"], "reasons": ";".join(r["reasons"]), "lot_area_m2": r["area_m2"],
         "lot_area_acres": r["area_acres"], "envelope_area_m2": r["envelope_area_m2"],
         "building_coverage_pct": r["coverage_pct"]}
        for pid, r in ref["parcels"].items()
    ]
    g.table("compliance status per lot", found, expected, key="parcel_id", columns={"status": None}, weight=2)
    g.table("non-conformity reasons per lot", found, expected, key="parcel_id", columns={"reasons": None}, weight=2)
    g.table("lot areas in the report (m2, acres)", found, expected, key="parcel_id",
            columns={"lot_area_m2": (0.0, AREA_REL_TOL), "lot_area_acres": (0.0, AREA_REL_TOL)})
    g.table("envelope areas in the report", found, expected, key="parcel_id",
            columns={"envelope_area_m2": (0.5, 0.01)})
    g.table("building coverage per lot", found, expected, key="parcel_id", columns={"building_coverage_pct": 0.5})


def grade(g: Grading) -> None:
    if not g.require_files(GPKG, CSV):
        return
    ref = g.reference_json("reference.json")
    rows = g.read_csv(CSV, required_columns=CSV_COLUMNS)
    data = _measure(g, ref)
    if rows is None or data is None:
        return
    _grade_layers(g, data, ref)
    _grade_report(g, rows, ref)
