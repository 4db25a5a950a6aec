#!/usr/bin/env bash
# Oracle: a private PostgreSQL cluster, the extract loaded as delivered, the semantic layer, the KPI pack,
# the GL bridge, findings and memo, all computed in SQL.
set -euo pipefail
IN="${ALE_INPUT_DIR:-/workspace/input}"
OUT="${ALE_OUTPUT_DIR:-/workspace/output}"
HERE="$(cd "$(dirname "$0")" && pwd)"
PGBIN=/usr/lib/postgresql/15/bin
PGDATA="$(mktemp -d /tmp/pgdata.XXXXXX)"
SOCK="$(mktemp -d /tmp/pgsock.XXXXXX)"
"$PGBIN/initdb" -D "$PGDATA" -U analyst --auth=trust >/dev/null
"$PGBIN/pg_ctl" -D "$PGDATA" -o "-k $SOCK -c listen_addresses='' -c fsync=off" -w -l "$PGDATA/log" start >/dev/null
trap '"$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null' EXIT
export PGHOST="$SOCK" PGUSER=analyst PGDATABASE=postgres
sql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

sql -f "$IN/schema.sql"
for table in customers region_map orders invoices credit_notes fx_rates gl_journal gl_trial_balance; do
  sql -c "\\copy $table FROM '$IN/$table.csv' WITH (FORMAT csv, HEADER true)"
done
cp "$HERE/semantic_layer.sql" "$OUT/semantic_layer.sql"
sql -f "$OUT/semantic_layer.sql"

sql -c "\\copy (SELECT month, region, net_revenue_eur, active_customers FROM kpi_monthly ORDER BY month, region) TO '$OUT/kpi_pack.csv' WITH (FORMAT csv, HEADER true)"
sql -c "\\copy (SELECT * FROM gl_reconciliation ORDER BY month) TO '$OUT/gl_reconciliation.csv' WITH (FORMAT csv, HEADER true)"

sql -At -o "$OUT/findings.json" <<'SQL'
SELECT jsonb_pretty(jsonb_build_object(
  'duplicate_invoice_rows', (SELECT count(*) FROM invoices) - (SELECT count(*) FROM invoices_clean),
  'void_invoices', (SELECT count(*) FROM invoices_clean WHERE status = 'void'),
  'test_customers', (SELECT jsonb_agg(customer_id ORDER BY customer_id) FROM test_accounts),
  'gl_duplicate_postings', (SELECT coalesce(jsonb_agg(DISTINCT doc_ref), '[]') FROM gl_postings WHERE posting_no > 1),
  'region_change', (SELECT jsonb_build_object('country', a.country, 'from_region', a.region, 'to_region', b.region,
                                              'effective_month', to_char(b.valid_from, 'YYYY-MM'))
                    FROM region_map a JOIN region_map b ON b.country = a.country AND b.valid_from = a.valid_to + 1
                    LIMIT 1),
  'period_net_revenue_eur', (SELECT sum(net_revenue_eur) FROM kpi_monthly),
  'period_gl_revenue_eur', (SELECT sum(amount_eur) FROM gl_trial_balance WHERE account = '4000')
));
SQL

sql -At -o "$OUT/memo.md" <<'SQL'
WITH t AS (
  SELECT sum(kpi_net_revenue_eur) AS kpi, sum(gl_revenue_eur) AS gl, sum(duplicate_eur) AS dup,
         sum(timing_eur) AS timing, sum(fx_eur) AS fx, sum(test_account_eur) AS test,
         max(abs(unexplained_eur)) AS unexplained
  FROM gl_reconciliation
), rc AS (
  SELECT a.country, a.region AS from_region, b.region AS to_region, to_char(b.valid_from, 'YYYY-MM') AS month
  FROM region_map a JOIN region_map b ON b.country = a.country AND b.valid_from = a.valid_to + 1 LIMIT 1
)
SELECT format(E'# Revenue KPI pack and GL reconciliation\n\n'
  '## Headline\n\nNet revenue recognised over the period is EUR %s against GL revenue (account 4000) of EUR %s; '
  'the difference of EUR %s is fully bridged by four categories, with no unexplained residual '
  '(largest monthly residual EUR %s).\n\n'
  '## Bridge from KPI net revenue to the GL (period totals)\n\n'
  '| category | EUR |\n|---|---|\n| duplicate postings | %s |\n| timing of credit notes | %s |\n'
  '| FX (spot booking vs month-average) | %s |\n| test accounts | %s |\n\n'
  '## Findings\n\n'
  '- The invoice extract carried %s duplicate rows (double export); they were removed before any KPI.\n'
  '- %s invoices are void (cancelled orders) and are excluded.\n'
  '- Test accounts excluded from the KPIs: %s.\n'
  '- The billing interface posted these invoices twice in the GL: %s; they should be reversed.\n'
  '- Region mapping change: %s moved from %s to %s from %s; history follows the mapping in force on each date.\n'
  '- Credit notes are netted into the month of the invoice they credit; the GL books them when posted, '
  'which is the timing line of the bridge.\n',
  to_char(t.kpi, 'FM999999999.00'), to_char(t.gl, 'FM999999999.00'), to_char(t.gl - t.kpi, 'FM999999999.00'),
  to_char(t.unexplained, 'FM999990.00'),
  to_char(t.dup, 'FM999999990.00'), to_char(t.timing, 'FM999999990.00'), to_char(t.fx, 'FM999999990.00'),
  to_char(t.test, 'FM999999990.00'),
  (SELECT count(*) FROM invoices) - (SELECT count(*) FROM invoices_clean),
  (SELECT count(*) FROM invoices_clean WHERE status = 'void'),
  (SELECT string_agg(customer_id, ', ' ORDER BY customer_id) FROM test_accounts),
  (SELECT coalesce(string_agg(DISTINCT doc_ref, ', '), 'none') FROM gl_postings WHERE posting_no > 1),
  rc.country, rc.from_region, rc.to_region, rc.month)
FROM t, rc;
SQL
