#!/usr/bin/env bash
# Oracle for engineering/parcel_setbacks: reproject with ogr2ogr, measure with the SQLite dialect,
# then cut envelopes and call compliance with the GDAL/OGR Python bindings.
# ALE-CANARY-3914bca2-328b-4c46-be0f-15be97a3d4ee
set -euo pipefail
IN="$ALE_INPUT_DIR"
OUT="$ALE_OUTPUT_DIR"
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="$(mktemp -d)"

EPSG="$(grep -oP '\*\*EPSG:\K[0-9]+' "$ALE_INSTRUCTION" | head -1)"
# square metres per square CRS unit
M2="$(python3 -c "from osgeo import osr; s=osr.SpatialReference(); s.ImportFromEPSG($EPSG); print(repr(s.GetLinearUnits()**2))")"

ogr2ogr -f GPKG -t_srs "EPSG:$EPSG" "$WORK/work.gpkg" "$IN/parcels.gpkg" parcels
ogr2ogr -update -t_srs "EPSG:$EPSG" "$WORK/work.gpkg" "$IN/parcels.gpkg" road_reserve
ogr2ogr -update -t_srs "EPSG:$EPSG" -nln buildings "$WORK/work.gpkg" "$IN/buildings.geojson"

ogr2ogr -f GPKG "$OUT/site_analysis.gpkg" "$WORK/work.gpkg" -dialect SQLite -nln parcels -a_srs "EPSG:$EPSG" \
  -nlt POLYGON -sql "SELECT parcel_id, zone, ST_Area(geom) * $M2 AS area_m2,
                     ST_Area(geom) * $M2 / 4046.8564224 AS area_acres, geom FROM parcels"

python3 "$HERE/envelopes.py" "$WORK/work.gpkg" "$IN/zoning_rules.csv" "$OUT/site_analysis.gpkg" \
  "$OUT/compliance.csv" "$M2"
ogrinfo -so "$OUT/site_analysis.gpkg" buildable_envelopes | head -20
