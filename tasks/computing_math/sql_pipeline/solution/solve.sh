#!/usr/bin/env bash
# Oracle for computing_math/sql_pipeline: build the warehouse with the sqlite3 CLI exactly as the
# grader will (raw/ beside the script), then export the DQ table and the KPI queries as CSV.
# ALE-CANARY-a9c4c53e-13f1-44b7-9939-8c1c4dbee7ea
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$ALE_OUTPUT_DIR"
WORK="$(mktemp -d)"
mkdir "$WORK/raw"
cp "$ALE_INPUT_DIR"/*.csv "$WORK/raw/"
cp "$HERE/build.sql" "$WORK/build.sql"
if [ -f "$ALE_INPUT_DIR/customer_merges.csv" ]; then
  sed -i 's|^-- @merge-log@$|.import --csv --skip 1 --schema temp raw/customer_merges.csv raw_merges|' "$WORK/build.sql"
fi
(cd "$WORK" && sqlite3 warehouse.db < build.sql)
cp "$WORK/build.sql" "$WORK/warehouse.db" "$OUT/"
sqlite3 -csv -header "$OUT/warehouse.db" "SELECT check_name, rows_affected FROM dq_report" > "$OUT/dq_report.csv"
sqlite3 -csv -header "$OUT/warehouse.db" < "$HERE/kpi_monthly.sql" > "$OUT/kpi_monthly_revenue.csv"
sqlite3 -csv -header "$OUT/warehouse.db" < "$HERE/kpi_cohorts.sql" > "$OUT/kpi_cohort_retention.csv"
python3 "$HERE/release.py" "$OUT/kpi_monthly_revenue.csv" "$OUT/dq_report.csv" "$OUT/warehouse.db" \
  "$ALE_INPUT_DIR/finance_monthly_sales.csv" > "$OUT/release_assessment.json"
