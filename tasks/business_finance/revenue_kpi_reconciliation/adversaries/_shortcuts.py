#!/usr/bin/env python3
"""Near-miss shortcuts for the revenue KPI pack, chosen by the name this file runs under.

All run the real PostgreSQL pipeline (private cluster, extract loaded, views, exports) with one slip:
no_dedup: the double-exported invoice rows are counted twice.
credit_posting_month: credit notes reduce revenue in the month they are posted, not their invoice's month.
credit_region_own_date: a credit note takes the region in force on its own date instead of its invoice's
  (month and rate those of its invoice, as defined).
spot_fx: documents converted at the daily spot rate of their date instead of the month average.
flag_only_test_accounts: only account_type = 'internal' is treated as a test account.
test_prefix_accounts: every customer whose name begins with "test" is a test account, whatever follows
  (the sheet asks for a space, hyphen or underscore after it).
values_view: everything right, then semantic_layer.sql replaced by views over VALUES lists of the results.
plug_to_fx: the KPI side right, but the whole GL difference plugged into the FX column of the bridge.
fx_as_residual: everything right but the FX column, which is not computed document by document but taken
  as the GL difference the other categories leave (so the unexplained rest is zero by construction).
shell_escape: everything right, but semantic_layer.sql also runs a shell command through psql's \\! (the
  reviewer's psql refuses backslash commands, so the layer does not run).
"""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
MODE = Path(sys.argv[0]).name.split(".")[0]
PGBIN = "/usr/lib/postgresql/15/bin"
TABLES = ["customers", "region_map", "orders", "invoices", "credit_notes", "fx_rates", "gl_journal", "gl_trial_balance"]

LAYER = """
CREATE VIEW test_accounts AS
SELECT customer_id FROM customers WHERE account_type = 'internal' OR customer_name ~* '^test[ _-]';
CREATE VIEW invoices_clean AS
SELECT DISTINCT ON (invoice_id) * FROM invoices ORDER BY invoice_id, extracted_at DESC;
CREATE VIEW fx_rate AS
SELECT currency, to_char(rate_date, 'YYYY-MM') AS month, avg(eur_per_unit) AS eur_per_unit
FROM fx_rates GROUP BY 1, 2;
CREATE VIEW revenue_documents AS
WITH docs AS (
    SELECT i.invoice_id AS doc_ref, i.customer_id, i.invoice_date AS recognised_on, i.currency,
           i.net_amount * CASE WHEN i.fulfilment = '3P' THEN i.commission_rate ELSE 1 END AS amount
    FROM invoices_clean i WHERE i.status = 'posted'
    UNION ALL
    SELECT c.credit_note_id, c.customer_id, coalesce(i.invoice_date, c.credit_date), c.currency,
           -c.amount * CASE WHEN i.fulfilment = '3P' THEN i.commission_rate ELSE 1 END
    FROM credit_notes c LEFT JOIN invoices_clean i ON i.invoice_id = c.invoice_id
)
SELECT d.doc_ref, d.customer_id, to_char(d.recognised_on, 'YYYY-MM') AS month, m.region,
       d.amount * CASE WHEN d.currency = 'EUR' THEN 1 ELSE fx.eur_per_unit END AS value_eur,
       t.customer_id IS NOT NULL AS is_test
FROM docs d
JOIN customers cu ON cu.customer_id = d.customer_id
JOIN region_map m ON m.country = cu.country AND d.recognised_on >= m.valid_from
     AND (m.valid_to IS NULL OR d.recognised_on <= m.valid_to)
LEFT JOIN fx_rate fx ON fx.currency = d.currency AND fx.month = to_char(d.recognised_on, 'YYYY-MM')
LEFT JOIN test_accounts t ON t.customer_id = d.customer_id;
CREATE VIEW kpi_monthly AS
WITH months AS (SELECT DISTINCT month FROM gl_trial_balance), regions AS (SELECT DISTINCT region FROM region_map),
by_customer AS (SELECT month, region, customer_id, sum(value_eur) AS net FROM revenue_documents
                WHERE NOT is_test GROUP BY 1, 2, 3)
SELECT mo.month, r.region, round(coalesce(sum(b.net), 0), 2) AS net_revenue_eur,
       count(*) FILTER (WHERE b.net > 0.005)::int AS active_customers
FROM months mo CROSS JOIN regions r LEFT JOIN by_customer b ON b.month = mo.month AND b.region = r.region
GROUP BY 1, 2;
CREATE VIEW gl_postings AS
SELECT j.*, to_char(j.posting_date, 'YYYY-MM') AS month,
       row_number() OVER (PARTITION BY j.doc_type, j.doc_ref ORDER BY j.posting_date, j.entry_id) AS posting_no
FROM gl_journal j WHERE j.account = '4000';
CREATE VIEW gl_bridge_parts AS
WITH p AS (
    SELECT g.month, g.amount_eur, g.posting_no, d.month AS kpi_month, d.value_eur,
           EXISTS (SELECT 1 FROM test_accounts t WHERE t.customer_id = g.customer_id) AS is_test
    FROM gl_postings g LEFT JOIN revenue_documents d ON d.doc_ref = g.doc_ref
), parts (month, duplicate_eur, timing_eur, fx_eur, test_account_eur) AS (
    SELECT month, amount_eur, 0, 0, 0 FROM p WHERE posting_no > 1
    UNION ALL SELECT month, 0, 0, 0, amount_eur FROM p WHERE posting_no = 1 AND is_test
    UNION ALL SELECT month, 0, 0, amount_eur - coalesce(value_eur, 0), 0 FROM p WHERE posting_no = 1 AND NOT is_test
    UNION ALL SELECT month, 0, value_eur, 0, 0 FROM p WHERE posting_no = 1 AND NOT is_test AND kpi_month <> month
    UNION ALL SELECT kpi_month, 0, -value_eur, 0, 0 FROM p WHERE posting_no = 1 AND NOT is_test AND kpi_month <> month
)
SELECT month, sum(duplicate_eur) AS duplicate_eur, sum(timing_eur) AS timing_eur, sum(fx_eur) AS fx_eur,
       sum(test_account_eur) AS test_account_eur
FROM parts GROUP BY month;
CREATE VIEW gl_reconciliation AS
WITH kpi AS (SELECT month, sum(net_revenue_eur) AS net FROM kpi_monthly GROUP BY month),
gl AS (SELECT month, sum(amount_eur) AS amount FROM gl_trial_balance WHERE account = '4000' GROUP BY month)
SELECT gl.month, round(kpi.net, 2) AS kpi_net_revenue_eur, round(gl.amount, 2) AS gl_revenue_eur,
       round(coalesce(b.duplicate_eur, 0), 2) AS duplicate_eur, round(coalesce(b.timing_eur, 0), 2) AS timing_eur,
       round(coalesce(b.fx_eur, 0), 2) AS fx_eur, round(coalesce(b.test_account_eur, 0), 2) AS test_account_eur,
       round(gl.amount - kpi.net - coalesce(b.duplicate_eur + b.timing_eur + b.fx_eur + b.test_account_eur, 0), 2)
           AS unexplained_eur
FROM gl JOIN kpi ON kpi.month = gl.month LEFT JOIN gl_bridge_parts b ON b.month = gl.month;
"""

SLIPS = {
    "no_dedup": [("SELECT DISTINCT ON (invoice_id) * FROM invoices ORDER BY invoice_id, extracted_at DESC;",
                  "SELECT * FROM invoices;")],
    "credit_posting_month": [("coalesce(i.invoice_date, c.credit_date)", "c.credit_date")],
    "credit_region_own_date": [
        ("ELSE 1 END AS amount\n    FROM invoices_clean i", "ELSE 1 END AS amount, i.invoice_date AS dated\n    FROM invoices_clean i"),
        ("ELSE 1 END\n    FROM credit_notes c", "ELSE 1 END, c.credit_date\n    FROM credit_notes c"),
        ("d.recognised_on >= m.valid_from\n     AND (m.valid_to IS NULL OR d.recognised_on <= m.valid_to)",
         "d.dated >= m.valid_from\n     AND (m.valid_to IS NULL OR d.dated <= m.valid_to)")],
    "spot_fx": [("SELECT currency, to_char(rate_date, 'YYYY-MM') AS month, avg(eur_per_unit) AS eur_per_unit\n"
                 "FROM fx_rates GROUP BY 1, 2;",
                 "SELECT currency, rate_date, eur_per_unit FROM fx_rates;"),
                ("fx.month = to_char(d.recognised_on, 'YYYY-MM')",
                 "fx.rate_date = (SELECT max(rate_date) FROM fx_rates f WHERE f.currency = d.currency "
                 "AND f.rate_date <= d.recognised_on)")],
    "flag_only_test_accounts": [("account_type = 'internal' OR customer_name ~* '^test[ _-]'",
                                 "account_type = 'internal'")],
    "test_prefix_accounts": [("account_type = 'internal' OR customer_name ~* '^test[ _-]'",
                              "account_type = 'internal' OR customer_name ILIKE 'test%'")],
    "plug_to_fx": [("round(coalesce(b.duplicate_eur, 0), 2) AS duplicate_eur, round(coalesce(b.timing_eur, 0), 2) AS timing_eur,\n"
                    "       round(coalesce(b.fx_eur, 0), 2) AS fx_eur, round(coalesce(b.test_account_eur, 0), 2) AS test_account_eur,",
                    "0::numeric AS duplicate_eur, 0::numeric AS timing_eur, round(gl.amount - kpi.net, 2) AS fx_eur, "
                    "0::numeric AS test_account_eur,")],
    "fx_as_residual": [
        ("    UNION ALL SELECT month, 0, 0, amount_eur - coalesce(value_eur, 0), 0 FROM p WHERE posting_no = 1 AND NOT is_test\n", ""),
        ("round(coalesce(b.fx_eur, 0), 2) AS fx_eur,",
         "round(gl.amount - kpi.net - coalesce(b.duplicate_eur + b.timing_eur + b.test_account_eur, 0), 2) AS fx_eur,"),
        ("round(gl.amount - kpi.net - coalesce(b.duplicate_eur + b.timing_eur + b.fx_eur + b.test_account_eur, 0), 2)\n"
         "           AS unexplained_eur", "0::numeric AS unexplained_eur")],
}


def main() -> None:
    layer = LAYER
    for old, new in SLIPS.get(MODE, []):
        assert old in layer, (MODE, old)
        layer = layer.replace(old, new)
    if MODE == "plug_to_fx":
        layer = layer.replace("round(gl.amount - kpi.net - coalesce(b.duplicate_eur + b.timing_eur + b.fx_eur + "
                              "b.test_account_eur, 0), 2)", "0::numeric")
    (OUT / "semantic_layer.sql").write_text(layer)
    data, sock = tempfile.mkdtemp(prefix="pgd"), tempfile.mkdtemp(prefix="pgs")
    subprocess.run([f"{PGBIN}/initdb", "-D", data, "-U", "analyst", "--auth=trust"], check=True, capture_output=True)
    subprocess.run([f"{PGBIN}/pg_ctl", "-D", data, "-o", f"-k {sock} -c listen_addresses=''", "-w", "-l",
                    f"{data}/log", "start"], check=True, capture_output=True)
    env = {**os.environ, "PGHOST": sock, "PGUSER": "analyst", "PGDATABASE": "postgres"}

    def psql(*args: str) -> str:
        return subprocess.run([f"{PGBIN}/psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", *args], env=env,
                              check=True, capture_output=True, text=True).stdout

    try:
        psql("-f", str(IN / "schema.sql"))
        for table in TABLES:
            psql("-c", f"\\copy {table} FROM '{IN / table}.csv' WITH (FORMAT csv, HEADER true)")
        psql("-f", str(OUT / "semantic_layer.sql"))
        psql("-c", f"\\copy (SELECT month, region, net_revenue_eur, active_customers FROM kpi_monthly ORDER BY 1, 2) "
             f"TO '{OUT}/kpi_pack.csv' WITH (FORMAT csv, HEADER true)")
        psql("-c", f"\\copy (SELECT * FROM gl_reconciliation ORDER BY month) TO '{OUT}/gl_reconciliation.csv' "
             "WITH (FORMAT csv, HEADER true)")
        findings = psql("-c", """SELECT jsonb_build_object(
          'duplicate_invoice_rows', (SELECT count(*) FROM invoices) - (SELECT count(*) FROM invoices_clean),
          'void_invoices', (SELECT count(*) FROM invoices_clean WHERE status = 'void'),
          'test_customers', (SELECT jsonb_agg(customer_id ORDER BY customer_id) FROM test_accounts),
          'gl_duplicate_postings', (SELECT coalesce(jsonb_agg(DISTINCT doc_ref), '[]') FROM gl_postings WHERE posting_no > 1),
          'region_change', (SELECT jsonb_build_object('country', a.country, 'from_region', a.region, 'to_region', b.region,
                            'effective_month', to_char(b.valid_from, 'YYYY-MM')) FROM region_map a JOIN region_map b
                            ON b.country = a.country AND b.valid_from = a.valid_to + 1 LIMIT 1),
          'period_net_revenue_eur', (SELECT sum(net_revenue_eur) FROM kpi_monthly),
          'period_gl_revenue_eur', (SELECT sum(amount_eur) FROM gl_trial_balance))""")
        (OUT / "findings.json").write_text(findings)
        totals = psql("-F", ",", "-c", "SELECT sum(kpi_net_revenue_eur), sum(gl_revenue_eur), sum(duplicate_eur), "
                      "sum(timing_eur), sum(fx_eur), sum(test_account_eur) FROM gl_reconciliation").strip().split(",")
        doubles = psql("-c", "SELECT string_agg(DISTINCT doc_ref, ', ') FROM gl_postings WHERE posting_no > 1").strip()
        (OUT / "memo.md").write_text(
            f"# Revenue KPI pack\n\nNet revenue EUR {totals[0]}, GL revenue EUR {totals[1]}.\n\n"
            f"Bridge: duplicates EUR {totals[2]}, timing EUR {totals[3]}, FX EUR {totals[4]}, "
            f"test accounts EUR {totals[5]}.\n\nGL double postings to reverse: {doubles}.\n")
        if MODE == "shell_escape":
            (OUT / "semantic_layer.sql").write_text("\\! touch escaped\n" + layer)
        if MODE == "values_view":
            (OUT / "semantic_layer.sql").write_text(values_layer())
    finally:
        subprocess.run([f"{PGBIN}/pg_ctl", "-D", data, "-m", "fast", "stop"], capture_output=True)


def values_layer() -> str:
    def values(path: Path) -> tuple[str, str]:
        lines = path.read_text().strip().splitlines()
        header = lines[0]
        rows = []
        for line in lines[1:]:
            cells = line.split(",")
            rows.append("(" + ", ".join(c if re.fullmatch(r"-?\d+(\.\d+)?", c) else f"'{c}'"
                                        for c in cells) + ")")
        return header, ",\n  ".join(rows)

    kpi_cols, kpi_rows = values(OUT / "kpi_pack.csv")
    rec_cols, rec_rows = values(OUT / "gl_reconciliation.csv")
    return (f"CREATE VIEW kpi_monthly ({kpi_cols}) AS VALUES\n  {kpi_rows};\n"
            f"CREATE VIEW gl_reconciliation ({rec_cols}) AS VALUES\n  {rec_rows};\n")


main()
