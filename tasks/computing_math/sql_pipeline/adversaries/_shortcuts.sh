#!/usr/bin/env bash
# Near-miss shortcuts for the warehouse build, chosen by the name this script runs under. Each starts
# from a correct build (embedded below) and then cuts one corner a hurried engineer might cut:
#   dump_as_build        delivers `sqlite3 warehouse.db .dump` as build.sql: it re-creates tonight's
#                        warehouse, whatever is in raw/
#   frozen_fx            the FX extract is pasted into the script as literal rows instead of imported
#   file_order_wins      late-arriving order versions resolved by file order instead of extracted_at
#   no_source_notices    the source teams' notices in README.md skipped: voided lines kept, JPY quotes
#                        taken as printed, the CRM merge log ignored
#   skip_reconciliation  release call from the data-quality rules only, finance never compared
#   net_vs_finance       finance's booked sales reconciled against net revenue (after refunds)
#   calendar_guess       dim_date's calendar attributes not as the contract defines them: weekdays
#                        numbered from Monday, year and month left empty
#   unknown_sku_dropped  the facts inner-join the product dimension: lines whose SKU the catalogue lacks
#                        are dropped instead of mapped to the unknown product
#   raw_ids              customer ids and SKUs of the orders, and the CRM's customer ids, taken as the
#                        extracts send them (no trimming, no upper case)
#   decision_ignores_two_rules  release call without the orphan_customers and unknown_skus rules (the
#                        completeness rates still reported; release_check says both always hold)
#   inclusive_thresholds the counted rules (orphan_customers, unknown_skus, unmatched_returns) read as
#                        breached at their threshold (>=), where the contract says "more than"
#   inclusive_unknown_skus  the unknown_skus rule alone read as breached at its threshold (>=)
#   inclusive_unmatched_returns  the unmatched_returns rule alone read as breached at its threshold (>=)
#   release_check_typed_in  build.sql reads unmatched_returns as breached at its threshold (>=); the delivered
#                        warehouse's release_check is then corrected by hand from the release assessment
#   constant_decision    the decision and rules breached of the public instance of the variant (told
#                        apart by the merge log and the yen notice); months and rates computed
set -euo pipefail
MODE="$(basename "$0")"; MODE="${MODE%.*}"
OUT="$ALE_OUTPUT_DIR"
WORK="$(mktemp -d)"
mkdir "$WORK/raw"
cp "$ALE_INPUT_DIR"/*.csv "$WORK/raw/"
cat > "$WORK/build.sql" <<'EOF_BUILD_SQL'
-- Retail warehouse build: raw/*.csv -> star schema (sqlite3 CLI).
.bail on

DROP TABLE IF EXISTS fact_return;
DROP TABLE IF EXISTS fact_order_line;
DROP TABLE IF EXISTS dim_date;
DROP TABLE IF EXISTS dim_product;
DROP TABLE IF EXISTS dim_customer;
DROP TABLE IF EXISTS dq_report;
DROP TABLE IF EXISTS release_check;

-- 1. land the extracts as text ------------------------------------------------------------------
CREATE TEMP TABLE raw_orders(order_id TEXT, order_line TEXT, customer_id TEXT, sku TEXT, quantity TEXT,
  unit_price TEXT, currency TEXT, order_date TEXT, source_system TEXT, status TEXT, extracted_at TEXT);
CREATE TEMP TABLE raw_customers(customer_id TEXT, customer_name TEXT, email TEXT, country TEXT,
  signup_date TEXT, updated_at TEXT);
CREATE TEMP TABLE raw_products(sku TEXT, product_name TEXT, category TEXT, updated_at TEXT);
CREATE TEMP TABLE raw_returns(return_id TEXT, order_id TEXT, order_line TEXT, return_date TEXT, quantity TEXT,
  reason TEXT);
CREATE TEMP TABLE raw_fx(rate_date TEXT, currency TEXT, usd_per_unit TEXT);
.import --csv --skip 1 --schema temp raw/orders.csv raw_orders
.import --csv --skip 1 --schema temp raw/customers.csv raw_customers
.import --csv --skip 1 --schema temp raw/products.csv raw_products
.import --csv --skip 1 --schema temp raw/returns.csv raw_returns
.import --csv --skip 1 --schema temp raw/fx_rates.csv raw_fx
CREATE TEMP TABLE raw_merges(retired_id TEXT, surviving_id TEXT, merged_on TEXT);
-- @merge-log@

-- 2. staging: dedupe, resolve versions, normalise -----------------------------------------------
CREATE TEMP TABLE stg_orders_distinct AS SELECT DISTINCT * FROM raw_orders;

CREATE TEMP TABLE stg_orders_current AS
SELECT order_id, line AS order_line, customer_id, sku, quantity, unit_price, currency, order_day,
       source_system, status
FROM (
  SELECT TRIM(order_id) AS order_id,
         CAST(order_line AS INTEGER) AS line,
         UPPER(TRIM(customer_id)) AS customer_id,
         UPPER(TRIM(sku)) AS sku,
         CAST(quantity AS INTEGER) AS quantity,
         CAST(unit_price AS REAL) AS unit_price,
         UPPER(TRIM(currency)) AS currency,
         CASE TRIM(source_system)
           WHEN 'pos_eu' THEN substr(order_date, 7, 4) || '-' || substr(order_date, 4, 2) || '-' || substr(order_date, 1, 2)
           WHEN 'marketplace_jp' THEN substr(order_date, 1, 4) || '-' || substr(order_date, 5, 2) || '-' || substr(order_date, 7, 2)
           ELSE substr(order_date, 1, 10)
         END AS order_day,
         TRIM(source_system) AS source_system,
         LOWER(TRIM(status)) AS status,
         ROW_NUMBER() OVER (PARTITION BY TRIM(order_id), CAST(order_line AS INTEGER)
                            ORDER BY extracted_at DESC) AS rn
  FROM stg_orders_distinct
) WHERE rn = 1;

-- a line whose current version is a void was deleted at source; a retired CRM id is the surviving customer
CREATE TEMP TABLE stg_merges AS
SELECT UPPER(TRIM(retired_id)) AS retired_id, UPPER(TRIM(surviving_id)) AS surviving_id FROM raw_merges;
CREATE TEMP TABLE stg_orders AS
SELECT o.order_id, o.order_line, COALESCE(m.surviving_id, o.customer_id) AS customer_id,
       m.retired_id IS NOT NULL AS remapped, o.sku, o.quantity, o.unit_price, o.currency, o.order_day,
       o.source_system, o.status
FROM stg_orders_current o LEFT JOIN stg_merges m ON m.retired_id = o.customer_id
WHERE o.status <> 'voided';

CREATE TEMP TABLE stg_customers AS
SELECT customer_id, customer_name, email, country, signup_date FROM (
  SELECT UPPER(TRIM(customer_id)) AS customer_id, TRIM(customer_name) AS customer_name, TRIM(email) AS email,
         UPPER(TRIM(country)) AS country, substr(TRIM(signup_date), 1, 10) AS signup_date,
         ROW_NUMBER() OVER (PARTITION BY UPPER(TRIM(customer_id)) ORDER BY updated_at DESC) AS rn
  FROM raw_customers
) WHERE rn = 1;

CREATE TEMP TABLE stg_products AS
SELECT sku, product_name, category FROM (
  SELECT UPPER(TRIM(sku)) AS sku, TRIM(product_name) AS product_name, TRIM(category) AS category,
         ROW_NUMBER() OVER (PARTITION BY UPPER(TRIM(sku)) ORDER BY updated_at DESC) AS rn
  FROM raw_products
) WHERE rn = 1;

CREATE TEMP TABLE stg_fx AS
SELECT rate_date, currency,
       CASE WHEN currency = 'JPY' AND rate > 1.0 THEN 1.0 / rate ELSE rate END AS usd_per_unit  -- yen per USD quotes
FROM (SELECT rate_date, UPPER(TRIM(currency)) AS currency, CAST(usd_per_unit AS REAL) AS rate FROM raw_fx);
CREATE INDEX temp.stg_fx_idx ON stg_fx(currency, rate_date);

CREATE TEMP TABLE stg_returns AS SELECT DISTINCT * FROM raw_returns;

-- 3. dimensions ---------------------------------------------------------------------------------
CREATE TABLE dim_customer(customer_key INTEGER PRIMARY KEY, customer_id TEXT NOT NULL UNIQUE, customer_name TEXT,
  email TEXT, country TEXT, signup_date TEXT);
INSERT INTO dim_customer VALUES (0, 'UNKNOWN', NULL, NULL, NULL, NULL);
INSERT INTO dim_customer
SELECT ROW_NUMBER() OVER (ORDER BY customer_id), customer_id, customer_name, email, country, signup_date
FROM stg_customers;

CREATE TABLE dim_product(product_key INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, product_name TEXT,
  category TEXT);
INSERT INTO dim_product VALUES (0, 'UNKNOWN', NULL, NULL);
INSERT INTO dim_product SELECT ROW_NUMBER() OVER (ORDER BY sku), sku, product_name, category FROM stg_products;

CREATE TEMP TABLE stg_matched_returns AS
SELECT r.return_id, o.order_id, o.order_line, r.return_date, CAST(r.quantity AS INTEGER) AS quantity
FROM stg_returns r JOIN stg_orders o ON o.order_id = TRIM(r.order_id) AND o.order_line = CAST(r.order_line AS INTEGER);

CREATE TABLE dim_date(date_key INTEGER PRIMARY KEY, date TEXT NOT NULL, year INTEGER, month INTEGER,
  year_month TEXT, day_of_week INTEGER);
WITH RECURSIVE bounds AS (
  SELECT (SELECT MIN(order_day) FROM stg_orders) AS first_day,
         MAX((SELECT MAX(order_day) FROM stg_orders),
             COALESCE((SELECT MAX(return_date) FROM stg_matched_returns), '0000-00-00')) AS last_day
), days(d) AS (
  SELECT first_day FROM bounds
  UNION ALL SELECT date(d, '+1 day') FROM days, bounds WHERE d < last_day
)
INSERT INTO dim_date
SELECT CAST(strftime('%Y%m%d', d) AS INTEGER), d, CAST(strftime('%Y', d) AS INTEGER),
       CAST(strftime('%m', d) AS INTEGER), strftime('%Y-%m', d), CAST(strftime('%w', d) AS INTEGER)
FROM days;

-- 4. facts --------------------------------------------------------------------------------------
CREATE TABLE fact_order_line(order_id TEXT NOT NULL, order_line INTEGER NOT NULL, customer_key INTEGER NOT NULL,
  product_key INTEGER NOT NULL, date_key INTEGER NOT NULL, source_system TEXT, quantity INTEGER, unit_price REAL,
  currency TEXT, usd_per_unit REAL, revenue_usd REAL, status TEXT, PRIMARY KEY (order_id, order_line));
INSERT INTO fact_order_line
SELECT o.order_id, o.order_line, COALESCE(c.customer_key, 0), COALESCE(p.product_key, 0),
       CAST(strftime('%Y%m%d', o.order_day) AS INTEGER), o.source_system, o.quantity, o.unit_price, o.currency,
       fx.rate, ROUND(o.quantity * o.unit_price * fx.rate, 2), o.status
FROM stg_orders o
LEFT JOIN dim_customer c ON c.customer_id = o.customer_id
LEFT JOIN dim_product p ON p.sku = o.sku
JOIN (
  SELECT s.order_id, s.order_line,
         CASE WHEN s.currency = 'USD' THEN 1.0 ELSE (
           SELECT f.usd_per_unit FROM stg_fx f
           WHERE f.currency = s.currency AND f.rate_date <= s.order_day
           ORDER BY f.rate_date DESC LIMIT 1) END AS rate
  FROM stg_orders s
) fx ON fx.order_id = o.order_id AND fx.order_line = o.order_line;

CREATE TABLE fact_return(return_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, order_line INTEGER NOT NULL,
  date_key INTEGER NOT NULL, quantity INTEGER, refund_usd REAL);
INSERT INTO fact_return
SELECT r.return_id, r.order_id, r.order_line, CAST(strftime('%Y%m%d', r.return_date) AS INTEGER), r.quantity,
       ROUND(r.quantity * f.unit_price * f.usd_per_unit, 2)
FROM stg_matched_returns r JOIN fact_order_line f ON f.order_id = r.order_id AND f.order_line = r.order_line;

-- 5. data-quality counts ------------------------------------------------------------------------
CREATE TABLE dq_report(check_name TEXT PRIMARY KEY, rows_affected INTEGER);
INSERT INTO dq_report VALUES
  ('orders_exact_duplicates', (SELECT COUNT(*) FROM raw_orders) - (SELECT COUNT(*) FROM stg_orders_distinct)),
  ('orders_superseded_versions', (SELECT COUNT(*) FROM stg_orders_distinct) - (SELECT COUNT(*) FROM stg_orders_current)),
  ('orders_voided_lines', (SELECT COUNT(*) FROM stg_orders_current WHERE status = 'voided')),
  ('orders_remapped_customer', (SELECT COUNT(*) FROM stg_orders WHERE remapped)),
  ('orders_orphan_customer', (SELECT COUNT(*) FROM fact_order_line WHERE customer_key = 0)),
  ('orders_unknown_sku', (SELECT COUNT(*) FROM fact_order_line WHERE product_key = 0)),
  ('customers_superseded_versions', (SELECT COUNT(*) FROM raw_customers) - (SELECT COUNT(*) FROM stg_customers)),
  ('products_superseded_versions', (SELECT COUNT(*) FROM raw_products) - (SELECT COUNT(*) FROM stg_products)),
  ('returns_exact_duplicates', (SELECT COUNT(*) FROM raw_returns) - (SELECT COUNT(*) FROM stg_returns)),
  ('returns_unmatched', (SELECT COUNT(*) FROM stg_returns) - (SELECT COUNT(*) FROM fact_return));

-- 6. release check under the contract's criteria -------------------------------------------------
CREATE TEMP TABLE raw_finance(month TEXT, booked_sales_usd TEXT);
.import --csv --skip 1 --schema temp raw/finance_monthly_sales.csv raw_finance
CREATE TEMP TABLE finance_gap AS
SELECT f.month, 100.0 * (COALESCE(g.gross, 0) - CAST(f.booked_sales_usd AS REAL)) / CAST(f.booked_sales_usd AS REAL)
         AS gap_pct
FROM raw_finance f LEFT JOIN (
  SELECT d.year_month AS month, ROUND(SUM(x.revenue_usd), 2) AS gross
  FROM fact_order_line x JOIN dim_date d ON d.date_key = x.date_key
  WHERE x.status <> 'cancelled' GROUP BY d.year_month
) g ON g.month = TRIM(f.month);

CREATE TABLE release_check(rule TEXT PRIMARY KEY, breached INTEGER NOT NULL);
INSERT INTO release_check VALUES
  ('orphan_customers', (SELECT 100.0 * SUM(customer_key = 0) / COUNT(*) > 1.0 FROM fact_order_line)),
  ('unknown_skus', (SELECT 100.0 * SUM(product_key = 0) / COUNT(*) > 0.5 FROM fact_order_line)),
  ('finance_break', EXISTS (SELECT 1 FROM finance_gap WHERE ABS(gap_pct) > 2.0)),
  ('finance_variance', EXISTS (SELECT 1 FROM finance_gap WHERE ABS(gap_pct) > 0.5 AND ABS(gap_pct) <= 2.0)),
  ('unmatched_returns', (SELECT 100.0 * (COUNT(*) - (SELECT COUNT(*) FROM fact_return)) / COUNT(*) > 3.0
                         FROM stg_returns));
EOF_BUILD_SQL
cat > "$WORK/kpi_monthly.sql" <<'EOF_KPI_MONTHLY_SQL'
-- Monthly revenue KPIs from the warehouse (cancelled lines excluded).
WITH RECURSIVE
live AS (
  SELECT f.*, d.year_month FROM fact_order_line f JOIN dim_date d ON d.date_key = f.date_key
  WHERE f.status <> 'cancelled'
),
refunds AS (
  SELECT d.year_month, SUM(r.refund_usd) AS returns_usd FROM fact_return r JOIN dim_date d ON d.date_key = r.date_key
  GROUP BY d.year_month
),
sales AS (
  SELECT year_month, SUM(revenue_usd) AS gross, COUNT(DISTINCT order_id) AS orders,
         COUNT(DISTINCT CASE WHEN customer_key <> 0 THEN customer_key END) AS active
  FROM live GROUP BY year_month
),
months(m) AS (
  SELECT MIN(year_month) || '-01' FROM live
  UNION ALL SELECT date(m, '+1 month') FROM months
  WHERE strftime('%Y-%m', date(m, '+1 month')) <= (SELECT MAX(year_month) FROM (SELECT year_month FROM sales
                                                                                UNION SELECT year_month FROM refunds))
)
SELECT strftime('%Y-%m', m) AS month,
       printf('%.2f', COALESCE(s.gross, 0)) AS gross_revenue_usd,
       printf('%.2f', COALESCE(r.returns_usd, 0)) AS returns_usd,
       printf('%.2f', COALESCE(s.gross, 0) - COALESCE(r.returns_usd, 0)) AS net_revenue_usd,
       COALESCE(s.orders, 0) AS orders,
       COALESCE(s.active, 0) AS active_customers
FROM months LEFT JOIN sales s ON s.year_month = strftime('%Y-%m', m)
LEFT JOIN refunds r ON r.year_month = strftime('%Y-%m', m)
ORDER BY month;
EOF_KPI_MONTHLY_SQL
cat > "$WORK/kpi_cohorts.sql" <<'EOF_KPI_COHORTS_SQL'
-- Cohort retention by month of first non-cancelled order (known customers only).
WITH RECURSIVE
activity AS (
  SELECT DISTINCT f.customer_key, d.year_month FROM fact_order_line f JOIN dim_date d ON d.date_key = f.date_key
  WHERE f.status <> 'cancelled' AND f.customer_key <> 0
),
firsts AS (SELECT customer_key, MIN(year_month) AS cohort FROM activity GROUP BY customer_key),
sizes AS (SELECT cohort, COUNT(*) AS cohort_size FROM firsts GROUP BY cohort),
offsets(cohort, k, m) AS (
  SELECT cohort, 0, cohort || '-01' FROM sizes
  UNION ALL SELECT cohort, k + 1, date(m, '+1 month') FROM offsets
  WHERE strftime('%Y-%m', date(m, '+1 month')) <= (
    SELECT MAX(d.year_month) FROM fact_order_line f JOIN dim_date d ON d.date_key = f.date_key
    WHERE f.status <> 'cancelled')
)
SELECT o.cohort AS cohort_month, o.k AS months_since_first_order, s.cohort_size,
       COUNT(a.customer_key) AS active_customers,
       printf('%.2f', ROUND(100.0 * COUNT(a.customer_key) / s.cohort_size, 2)) AS retention_pct
FROM offsets o JOIN sizes s ON s.cohort = o.cohort
LEFT JOIN firsts fi ON fi.cohort = o.cohort
LEFT JOIN activity a ON a.customer_key = fi.customer_key AND a.year_month = strftime('%Y-%m', o.m)
GROUP BY o.cohort, o.k
ORDER BY o.cohort, o.k;
EOF_KPI_COHORTS_SQL
cat > "$WORK/release.py" <<'EOF_RELEASE_PY'
#!/usr/bin/env python3
"""Release assessment of a warehouse build under the data contract's release criteria.

Usage: release.py kpi_monthly_revenue.csv dq_report.csv warehouse.db finance_monthly_sales.csv > release_assessment.json
"""

import csv
import json
import sqlite3
import sys
from pathlib import Path

monthly_path, dq_path, db_path, finance_path = sys.argv[1:5]


def rows(path: str) -> list[dict[str, str]]:
    return list(csv.DictReader(Path(path).read_text().splitlines()))


gross = {r["month"]: float(r["gross_revenue_usd"]) for r in rows(monthly_path)}
dq = {r["check_name"]: int(r["rows_affected"]) for r in rows(dq_path)}
booked = {r["month"]: float(r["booked_sales_usd"]) for r in rows(finance_path)}
with sqlite3.connect(db_path) as db:
    lines = db.execute("SELECT COUNT(*) FROM fact_order_line").fetchone()[0]
    matched = db.execute("SELECT COUNT(*) FROM fact_return").fetchone()[0]

gaps = {m: 100 * (gross.get(m, 0.0) - v) / v for m, v in booked.items()}
pct = {
    "orphan_customer_line_pct": 100 * dq["orders_orphan_customer"] / lines,
    "unknown_sku_line_pct": 100 * dq["orders_unknown_sku"] / lines,
    "unmatched_return_pct": 100 * dq["returns_unmatched"] / (matched + dq["returns_unmatched"]),
}
blocking = sorted(m for m, gap in gaps.items() if abs(gap) > 2.0)
variance = sorted(m for m, gap in gaps.items() if 0.5 < abs(gap) <= 2.0)
breached = {
    "orphan_customers": pct["orphan_customer_line_pct"] > 1.0, "unknown_skus": pct["unknown_sku_line_pct"] > 0.5,
    "finance_break": bool(blocking), "finance_variance": bool(variance),
    "unmatched_returns": pct["unmatched_return_pct"] > 3.0,
}
rules = sorted(rule for rule, hit in breached.items() if hit)
blocking_hit = {"orphan_customers", "unknown_skus", "finance_break"} & set(rules)
decision = "hold" if blocking_hit else "publish_with_caveats" if rules else "publish"
json.dump({"decision": decision, "rules_breached": rules, "blocking_months": blocking, "variance_months": variance,
           "largest_finance_gap_pct": round(max(map(abs, gaps.values())), 4),
           **{k: round(v, 4) for k, v in pct.items()}}, sys.stdout, indent=2)
EOF_RELEASE_PY
if [ -f "$ALE_INPUT_DIR/customer_merges.csv" ]; then
  sed -i 's|^-- @merge-log@$|.import --csv --skip 1 --schema temp raw/customer_merges.csv raw_merges|' "$WORK/build.sql"
fi
case "$MODE" in
  frozen_fx)
    python3 - "$WORK" <<'PY'
import csv, sys
from pathlib import Path
work = Path(sys.argv[1])
rows = list(csv.reader((work / "raw/fx_rates.csv").open()))[1:]
values = ",\n".join(f"('{d}', '{c}', '{r}')" for d, c, r in rows)
sql = (work / "build.sql").read_text()
sql = sql.replace(".import --csv --skip 1 --schema temp raw/fx_rates.csv raw_fx",
                  f"INSERT INTO raw_fx VALUES\n{values};")
(work / "build.sql").write_text(sql)
PY
    ;;
  file_order_wins)
    sed -i 's/ORDER BY extracted_at DESC) AS rn/ORDER BY rowid DESC) AS rn/' "$WORK/build.sql"
    sed -i 's/CREATE TEMP TABLE stg_orders_distinct AS SELECT DISTINCT \* FROM raw_orders;/CREATE TEMP TABLE stg_orders_distinct AS SELECT * FROM raw_orders WHERE rowid IN (SELECT MIN(rowid) FROM raw_orders GROUP BY order_id, order_line, customer_id, sku, quantity, unit_price, currency, order_date, source_system, status, extracted_at);/' "$WORK/build.sql"
    ;;
  no_source_notices)
    sed -i "s/^WHERE o.status <> 'voided';/WHERE 1;/; s/CASE WHEN currency = 'JPY' AND rate > 1.0 THEN 1.0 \/ rate ELSE rate END/rate/; s|^\.import --csv --skip 1 --schema temp raw/customer_merges.csv raw_merges$|-- merge log not read|" "$WORK/build.sql"
    ;;
  skip_reconciliation)
    sed -i 's/^gaps = {m: .*/gaps = {m: 0.0 for m in booked}/' "$WORK/release.py"
    ;;
  calendar_guess)
    sed -i "s/CAST(strftime('%Y', d) AS INTEGER),\$/NULL,/; s/CAST(strftime('%m', d) AS INTEGER), strftime('%Y-%m', d), CAST(strftime('%w', d) AS INTEGER)/NULL, strftime('%Y-%m', d), (CAST(strftime('%w', d) AS INTEGER) + 6) % 7/" "$WORK/build.sql"
    ;;
  unknown_sku_dropped)
    sed -i 's/COALESCE(p.product_key, 0),/p.product_key,/; s/^LEFT JOIN dim_product p ON p.sku = o.sku$/JOIN dim_product p ON p.sku = o.sku/' "$WORK/build.sql"
    ;;
  raw_ids)
    sed -i 's/^         UPPER(TRIM(customer_id)) AS customer_id,$/         customer_id,/; s/^         UPPER(TRIM(sku)) AS sku,$/         sku,/; s/SELECT UPPER(TRIM(customer_id)) AS customer_id, TRIM(customer_name)/SELECT customer_id, TRIM(customer_name)/; s/PARTITION BY UPPER(TRIM(customer_id)) ORDER BY updated_at DESC/PARTITION BY customer_id ORDER BY updated_at DESC/' "$WORK/build.sql"
    ;;
  decision_ignores_two_rules)
    sed -i '/^    "orphan_customers": pct\["orphan_customer_line_pct"\] > 1.0, "unknown_skus"/d' "$WORK/release.py"
    sed -i "s/^  ('orphan_customers', .*/  ('orphan_customers', 0),/; s/^  ('unknown_skus', .*/  ('unknown_skus', 0),/" \
      "$WORK/build.sql"
    ;;
  inclusive_thresholds)
    sed -i 's/_pct"\] > /_pct"] >= /g' "$WORK/release.py"
    sed -i 's/COUNT(\*) > \([0-9.]*\)/COUNT(*) >= \1/' "$WORK/build.sql"
    ;;
  inclusive_unknown_skus)
    sed -i 's/"unknown_skus": pct\["unknown_sku_line_pct"\] > 0.5/"unknown_skus": pct["unknown_sku_line_pct"] >= 0.5/' "$WORK/release.py"
    sed -i "s/^  ('unknown_skus', (SELECT 100.0 \* SUM(product_key = 0) \/ COUNT(\*) > 0.5/  ('unknown_skus', (SELECT 100.0 * SUM(product_key = 0) \/ COUNT(*) >= 0.5/" "$WORK/build.sql"
    ;;
  inclusive_unmatched_returns)
    sed -i 's/"unmatched_returns": pct\["unmatched_return_pct"\] > 3.0/"unmatched_returns": pct["unmatched_return_pct"] >= 3.0/' "$WORK/release.py"
    sed -i 's/COUNT(\*) > 3.0$/COUNT(*) >= 3.0/' "$WORK/build.sql"
    ;;
  release_check_typed_in)
    sed -i 's/COUNT(\*) > 3.0$/COUNT(*) >= 3.0/' "$WORK/build.sql"
    ;;
  net_vs_finance)
    sed -i 's/^gross = {r\["month"\]: float(r\["gross_revenue_usd"\])/gross = {r["month"]: float(r["net_revenue_usd"])/' "$WORK/release.py"
    ;;
esac
(cd "$WORK" && sqlite3 warehouse.db < build.sql)
if [ "$MODE" = dump_as_build ]; then
  (cd "$WORK" && sqlite3 warehouse.db .dump > build.sql)
fi
cp "$WORK/build.sql" "$WORK/warehouse.db" "$OUT/"
sqlite3 -csv -header "$OUT/warehouse.db" "SELECT check_name, rows_affected FROM dq_report" > "$OUT/dq_report.csv"
sqlite3 -csv -header "$OUT/warehouse.db" < "$WORK/kpi_monthly.sql" > "$OUT/kpi_monthly_revenue.csv"
sqlite3 -csv -header "$OUT/warehouse.db" < "$WORK/kpi_cohorts.sql" > "$OUT/kpi_cohort_retention.csv"
python3 "$WORK/release.py" "$OUT/kpi_monthly_revenue.csv" "$OUT/dq_report.csv" "$OUT/warehouse.db" \
  "$ALE_INPUT_DIR/finance_monthly_sales.csv" > "$OUT/release_assessment.json"
if [ "$MODE" = release_check_typed_in ]; then
  python3 - "$OUT/release_assessment.json" "$OUT/warehouse.db" <<'PY'
import json, sqlite3, sys
breached = set(json.load(open(sys.argv[1]))["rules_breached"])
with sqlite3.connect(sys.argv[2]) as db:
    for (rule,) in db.execute("SELECT rule FROM release_check").fetchall():
        db.execute("UPDATE release_check SET breached = ? WHERE rule = ?", (int(rule in breached), rule))
PY
fi
if [ "$MODE" = constant_decision ]; then
  python3 - "$OUT/release_assessment.json" "$ALE_INPUT_DIR" <<'PY'
import json, sys
from pathlib import Path
out, inputs = Path(sys.argv[1]), Path(sys.argv[2])
if (inputs / "customer_merges.csv").is_file():
    call = ("publish_with_caveats", ["finance_variance"])
elif "Treasury notice: JPY quotation" in (inputs / "README.md").read_text():
    call = ("publish_with_caveats", ["finance_variance", "unmatched_returns"])
else:
    call = ("hold", ["finance_break", "finance_variance"])
release = json.loads(out.read_text())
release["decision"], release["rules_breached"] = call
out.write_text(json.dumps(release, indent=2))
PY
fi
