#!/usr/bin/env python3
"""Plausible fabrication for computing_math/sql_pipeline: the right files and schema, naive content.

The build script loads the raw rows as they are (no deduplication, no version resolution, no
id or currency tidying), reads every order date as if it were ISO and converts with fixed
ballpark FX rates. The data-quality report claims a clean load, and the KPI files are summed
from the raw order rows with a made-up retention curve; the release call is a blanket publish.
"""
# ALE-CANARY-a9c4c53e-13f1-44b7-9939-8c1c4dbee7ea

import csv
import json
import os
import shutil
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path

IN, OUT = Path(os.environ["ALE_INPUT_DIR"]), Path(os.environ["ALE_OUTPUT_DIR"])
BUILD = """
.bail on
CREATE TEMP TABLE o(order_id, order_line, customer_id, sku, quantity, unit_price, currency, order_date,
  source_system, status, extracted_at);
CREATE TEMP TABLE c(customer_id, customer_name, email, country, signup_date, updated_at);
CREATE TEMP TABLE p(sku, product_name, category, updated_at);
CREATE TEMP TABLE r(return_id, order_id, order_line, return_date, quantity, reason);
.import --csv --skip 1 --schema temp raw/orders.csv o
.import --csv --skip 1 --schema temp raw/customers.csv c
.import --csv --skip 1 --schema temp raw/products.csv p
.import --csv --skip 1 --schema temp raw/returns.csv r
CREATE TABLE dim_customer(customer_key INTEGER PRIMARY KEY, customer_id, customer_name, email, country, signup_date);
INSERT INTO dim_customer VALUES (0, 'UNKNOWN', NULL, NULL, NULL, NULL);
INSERT INTO dim_customer(customer_id, customer_name, email, country, signup_date)
  SELECT customer_id, customer_name, email, country, signup_date FROM c;
CREATE TABLE dim_product(product_key INTEGER PRIMARY KEY, sku, product_name, category);
INSERT INTO dim_product VALUES (0, 'UNKNOWN', NULL, NULL);
INSERT INTO dim_product(sku, product_name, category) SELECT sku, product_name, category FROM p;
CREATE TABLE dim_date(date_key INTEGER PRIMARY KEY, date, year, month, year_month, day_of_week);
INSERT OR IGNORE INTO dim_date SELECT DISTINCT CAST(replace(substr(order_date, 1, 10), '-', '') AS INTEGER),
  substr(order_date, 1, 10), CAST(substr(order_date, 1, 4) AS INTEGER), CAST(substr(order_date, 6, 2) AS INTEGER),
  substr(order_date, 1, 7), 0 FROM o;
CREATE TABLE fact_order_line(order_id, order_line, customer_key, product_key, date_key, source_system, quantity,
  unit_price, currency, usd_per_unit, revenue_usd, status);
INSERT INTO fact_order_line SELECT o.order_id, o.order_line, COALESCE(c.customer_key, 0), COALESCE(p.product_key, 0),
  CAST(replace(substr(o.order_date, 1, 10), '-', '') AS INTEGER), o.source_system, o.quantity, o.unit_price,
  o.currency, CASE upper(trim(o.currency)) WHEN 'EUR' THEN 1.1 WHEN 'GBP' THEN 1.25 WHEN 'JPY' THEN 0.007 ELSE 1 END,
  0, o.status FROM o LEFT JOIN dim_customer c ON c.customer_id = o.customer_id
  LEFT JOIN dim_product p ON p.sku = o.sku;
UPDATE fact_order_line SET revenue_usd = ROUND(quantity * unit_price * usd_per_unit, 2);
CREATE TABLE fact_return(return_id, order_id, order_line, date_key, quantity, refund_usd);
INSERT INTO fact_return SELECT return_id, order_id, order_line, CAST(replace(return_date, '-', '') AS INTEGER),
  quantity, ROUND(quantity * 20.0, 2) FROM r;
"""

work = Path(tempfile.mkdtemp())
(work / "raw").mkdir()
for name in ("customers.csv", "products.csv", "orders.csv", "returns.csv", "fx_rates.csv"):
    shutil.copy(IN / name, work / "raw" / name)
(work / "build.sql").write_text(BUILD)
subprocess.run("sqlite3 warehouse.db < build.sql", shell=True, cwd=work, check=True)
shutil.copy(work / "build.sql", OUT / "build.sql")
shutil.copy(work / "warehouse.db", OUT / "warehouse.db")

with open(OUT / "dq_report.csv", "w", newline="") as handle:
    writer = csv.writer(handle)
    writer.writerow(["check_name", "rows_affected"])
    for name in ("orders_exact_duplicates", "orders_superseded_versions", "orders_orphan_customer",
                 "orders_unknown_sku", "customers_superseded_versions", "products_superseded_versions",
                 "returns_exact_duplicates", "returns_unmatched"):
        writer.writerow([name, 0])

gross, orders, customers = defaultdict(float), defaultdict(set), defaultdict(set)
with open(IN / "orders.csv") as handle:
    for row in csv.DictReader(handle):
        month = row["order_date"][:7]
        gross[month] += float(row["quantity"]) * float(row["unit_price"])
        orders[month].add(row["order_id"])
        customers[month].add(row["customer_id"])
months = sorted(m for m in gross if m[:2] in ("20",) and m[4:5] == "-")
with open(OUT / "kpi_monthly_revenue.csv", "w", newline="") as handle:
    writer = csv.writer(handle)
    writer.writerow(["month", "gross_revenue_usd", "returns_usd", "net_revenue_usd", "orders", "active_customers"])
    for m in months:
        writer.writerow([m, f"{gross[m]:.2f}", "0.00", f"{gross[m]:.2f}", len(orders[m]), len(customers[m])])
with open(OUT / "kpi_cohort_retention.csv", "w", newline="") as handle:
    writer = csv.writer(handle)
    writer.writerow(["cohort_month", "months_since_first_order", "cohort_size", "active_customers", "retention_pct"])
    for i, m in enumerate(months):
        size = len(customers[m])
        for k in range(len(months) - i):
            active = round(size * (1.0 if k == 0 else 0.4 * 0.9**k))
            writer.writerow([m, k, size, active, f"{100 * active / max(size, 1):.2f}"])

with open(OUT / "release_assessment.json", "w") as handle:
    json.dump({"decision": "publish", "rules_breached": [], "blocking_months": [], "variance_months": [],
               "largest_finance_gap_pct": 0.0, "orphan_customer_line_pct": 0.0, "unknown_sku_line_pct": 0.0,
               "unmatched_return_pct": 0.0}, handle)
