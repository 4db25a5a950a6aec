-- Semantic layer over the order-to-cash extract (PostgreSQL 15).
-- Runs on a database holding the raw extract tables of schema.sql.

CREATE OR REPLACE VIEW test_accounts AS
SELECT customer_id
FROM customers
WHERE account_type = 'internal' OR customer_name ~* '^test[ _-]';

-- the extract exports some invoices twice: keep one row per invoice, the latest extraction
CREATE OR REPLACE VIEW invoices_clean AS
SELECT DISTINCT ON (invoice_id) *
FROM invoices
ORDER BY invoice_id, extracted_at DESC;

CREATE OR REPLACE VIEW fx_month_average AS
SELECT currency, to_char(rate_date, 'YYYY-MM') AS month, avg(eur_per_unit) AS eur_per_unit
FROM fx_rates
GROUP BY currency, to_char(rate_date, 'YYYY-MM');

-- every revenue document at its KPI value: posted invoices in their month, credit notes netted
-- into the month of the invoice they credit (unlinked rebates in their own month), agent lines at commission
CREATE OR REPLACE VIEW revenue_documents AS
WITH docs AS (
    SELECT i.invoice_id AS doc_ref, 'INV' AS doc_type, i.customer_id, i.invoice_date AS recognised_on,
           i.currency, i.net_amount * CASE WHEN i.fulfilment = '3P' THEN i.commission_rate ELSE 1 END AS amount
    FROM invoices_clean i
    WHERE i.status = 'posted'
    UNION ALL
    SELECT c.credit_note_id, 'CN', c.customer_id, coalesce(i.invoice_date, c.credit_date),
           c.currency, -c.amount * CASE WHEN i.fulfilment = '3P' THEN i.commission_rate ELSE 1 END
    FROM credit_notes c
    LEFT JOIN invoices_clean i ON i.invoice_id = c.invoice_id
)
SELECT d.doc_ref, d.doc_type, d.customer_id, to_char(d.recognised_on, 'YYYY-MM') AS month,
       m.region, d.amount * CASE WHEN d.currency = 'EUR' THEN 1 ELSE fx.eur_per_unit END AS value_eur,
       t.customer_id IS NOT NULL AS is_test
FROM docs d
JOIN customers cu ON cu.customer_id = d.customer_id
JOIN region_map m ON m.country = cu.country
    AND d.recognised_on >= m.valid_from AND (m.valid_to IS NULL OR d.recognised_on <= m.valid_to)
LEFT JOIN fx_month_average fx ON fx.currency = d.currency AND fx.month = to_char(d.recognised_on, 'YYYY-MM')
LEFT JOIN test_accounts t ON t.customer_id = d.customer_id;

CREATE OR REPLACE VIEW kpi_monthly AS
WITH months AS (SELECT DISTINCT month FROM gl_trial_balance),
     regions AS (SELECT DISTINCT region FROM region_map),
     by_customer AS (
         SELECT month, region, customer_id, sum(value_eur) AS net
         FROM revenue_documents
         WHERE NOT is_test
         GROUP BY month, region, customer_id
     )
SELECT mo.month, r.region,
       round(coalesce(sum(b.net), 0), 2) AS net_revenue_eur,
       count(*) FILTER (WHERE b.net > 0.005)::int AS active_customers
FROM months mo
CROSS JOIN regions r
LEFT JOIN by_customer b ON b.month = mo.month AND b.region = r.region
GROUP BY mo.month, r.region;

CREATE OR REPLACE VIEW gl_postings AS
SELECT j.*, to_char(j.posting_date, 'YYYY-MM') AS month,
       row_number() OVER (PARTITION BY j.doc_type, j.doc_ref ORDER BY j.posting_date, j.entry_id) AS posting_no
FROM gl_journal j
WHERE j.account = '4000';

-- bridge from the KPI net revenue to the GL, month by month
CREATE OR REPLACE VIEW gl_reconciliation AS
WITH p AS (
    SELECT g.month, g.amount_eur, g.posting_no, d.month AS kpi_month, d.value_eur,
           EXISTS (SELECT 1 FROM test_accounts t WHERE t.customer_id = g.customer_id) AS is_test
    FROM gl_postings g
    LEFT JOIN revenue_documents d ON d.doc_ref = g.doc_ref
), parts (month, duplicate_eur, timing_eur, fx_eur, test_account_eur) AS (
    SELECT month, amount_eur, 0, 0, 0 FROM p WHERE posting_no > 1
    UNION ALL SELECT month, 0, 0, 0, amount_eur FROM p WHERE posting_no = 1 AND is_test
    UNION ALL SELECT month, 0, 0, amount_eur - value_eur, 0 FROM p WHERE posting_no = 1 AND NOT is_test
    UNION ALL SELECT month, 0, value_eur, 0, 0 FROM p WHERE posting_no = 1 AND NOT is_test AND kpi_month <> month
    UNION ALL SELECT kpi_month, 0, -value_eur, 0, 0 FROM p WHERE posting_no = 1 AND NOT is_test AND kpi_month <> month
), bridge AS (
    SELECT month, sum(duplicate_eur) AS duplicate_eur, sum(timing_eur) AS timing_eur, sum(fx_eur) AS fx_eur,
           sum(test_account_eur) AS test_account_eur
    FROM parts GROUP BY month
), kpi AS (
    SELECT month, sum(net_revenue_eur) AS net FROM kpi_monthly GROUP BY month
), gl AS (
    SELECT month, sum(amount_eur) AS amount FROM gl_trial_balance WHERE account = '4000' GROUP BY month
)
SELECT gl.month,
       round(kpi.net, 2) AS kpi_net_revenue_eur,
       round(gl.amount, 2) AS gl_revenue_eur,
       round(coalesce(b.duplicate_eur, 0), 2) AS duplicate_eur,
       round(coalesce(b.timing_eur, 0), 2) AS timing_eur,
       round(coalesce(b.fx_eur, 0), 2) AS fx_eur,
       round(coalesce(b.test_account_eur, 0), 2) AS test_account_eur,
       round(gl.amount - kpi.net - coalesce(b.duplicate_eur + b.timing_eur + b.fx_eur + b.test_account_eur, 0), 2)
           AS unexplained_eur
FROM gl
JOIN kpi ON kpi.month = gl.month
LEFT JOIN bridge b ON b.month = gl.month;
