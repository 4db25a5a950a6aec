-- Retail warehouse build: raw/*.csv -> star schema (sqlite3 CLI).
-- ALE-CANARY-a9c4c53e-13f1-44b7-9939-8c1c4dbee7ea
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
