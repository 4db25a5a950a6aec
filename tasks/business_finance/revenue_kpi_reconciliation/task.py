"""Revenue KPI pack over PostgreSQL and its reconciliation to the GL.

Workflow: a BI analyst receives an order-to-cash extract (customers, effective-dated region mapping,
orders, invoices, credit notes, daily FX, the GL revenue journal and trial balance) of one business
(``business``: a SaaS company, a wholesale distributor with returns and volume rebates, or a
marketplace whose third-party sales are agent revenue at commission) with the KPI definitions sheet.
The analyst loads it into a private PostgreSQL 15 cluster, writes the semantic layer as SQL views,
exports the KPI pack by month and region, bridges the KPI net revenue to the GL month by month by
category (duplicate postings, credit-note timing, FX, test accounts) and writes findings and a memo.

Generation: the truth is simulated from the seed and the KPIs and the bridge are computed from it in
plain Python (``extract.py``), independent of any SQL. The extract carries the mess (exact duplicate
invoice rows, void invoices of cancelled orders, test accounts flagged or only named so, a country
changing region, credit notes posted months after their invoice, foreign currencies); the GL is booked
as a ledger does (spot rates, credit notes when posted, test accounts included, a few invoices posted
twice). A second extract of the same business from another seed goes to the hidden reference; in it one
posted invoice never reached the GL, so its bridge leaves that invoice's KPI value unexplained, and a
bridge that plugs the GL difference into a category instead of computing each one fails there.

Grade: ``semantic_layer.sql`` is re-run with psql in a fresh sandbox on two fresh databases, one loaded
with the delivered extract and one with the hidden extract, and the views ``kpi_monthly`` and
``gl_reconciliation`` are exported and compared with the Python truth; a view that hard-codes values or
SQL tuned to one dataset fails on the hidden extract. The submitted KPI pack and reconciliation are
compared with the truth and with the re-run views, the findings item by item, and the memo must state
the headline figures and the double postings.
"""
# ALE-CANARY-251b6d8e-2020-463e-b4e2-eef11bf9db3a

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from lastexam.task import Grading, Params, as_number

from . import extract as ex

HIDDEN = "hidden_extract"
DELIVERABLES = ("semantic_layer.sql", "kpi_pack.csv", "gl_reconciliation.csv", "findings.json", "memo.md")
KPI_COLUMNS = ("month", "region", "net_revenue_eur", "active_customers")
BRIDGE_COLUMNS = ("month", "kpi_net_revenue_eur", "gl_revenue_eur", *ex.BRIDGE, "unexplained_eur")
EUR_TOL = 1.0  # per cell: absorbs rounding of documents to the cent, not a wrong rate or a missed document

DEFINITIONS = {
    "saas": """\
## Business

Subscription software billed monthly. Credit notes are service credits and downgrades; each one
references the invoice it credits.

## Net revenue

- Recognised on the invoice date, in the month of the invoice date, for posted invoices only
  (`status = 'posted'`; void invoices belong to cancelled orders and carry no revenue).
- Credit notes reduce net revenue of the month (and region) of the invoice they credit, whatever
  their own posting date.
""",
    "wholesale": """\
## Business

Wholesale distribution. Credit notes are either returns, which reference the invoice they credit,
or volume rebates (`reason = 'rebate'`), which reference no invoice.

## Net revenue

- Recognised on the invoice date, in the month of the invoice date, for posted invoices only
  (`status = 'posted'`; void invoices belong to cancelled orders and carry no revenue).
- Returns reduce net revenue of the month (and region) of the invoice they credit, whatever their own
  posting date. Rebates reduce net revenue of the month of their credit date, in the region of the
  customer on that date.
""",
    "marketplace": """\
## Business

An online marketplace. First-party sales (`fulfilment = '1P'`) are our own stock: we are principal and
the invoice amount is revenue. Third-party sales (`fulfilment = '3P'`) are made by sellers on the
platform: we are agent, and only our commission (`net_amount * commission_rate`) is revenue.
Credit notes are refunds and reference the invoice they refund.

## Net revenue

- Recognised on the invoice date, in the month of the invoice date, for posted invoices only
  (`status = 'posted'`; void invoices belong to cancelled orders and carry no revenue), at the
  revenue share above (full amount for 1P, commission for 3P).
- Refunds reduce net revenue of the month (and region) of the invoice they refund, whatever their own
  posting date, at the same revenue share as that invoice.
""",
}

COMMON_DEFINITIONS = """\
## Currency

Reporting currency is EUR. A document in another currency is converted at the month-average rate of
the month in which it is recognised: the arithmetic mean of the daily `eur_per_unit` rates in
`fx_rates` for that currency and calendar month. EUR documents are not converted.

## Customers and regions

- Test accounts are excluded from every KPI: customers with `account_type = 'internal'`, and customers
  whose name begins with "test" (any case) followed by a space, hyphen or underscore.
- A document's region is the region of the customer's country in `region_map` in force on the date the
  document is recognised on (valid_from and valid_to inclusive; an empty valid_to is open-ended).
  History is not restated when a country moves.

## KPIs (by month and region)

- `net_revenue_eur`: net revenue as defined above.
- `active_customers`: distinct non-test customers whose net revenue in that month and region is
  positive.
- The pack has one row per month of the reporting period (the months of `gl_trial_balance`) and per
  region of `region_map`, zeros included.

## Data notes

The invoice extract is known to export some invoices twice (identical rows); an invoice counts once.
The GL revenue account is 4000 (credit balances positive, credit notes negative).
"""


def definitions(business: str) -> str:
    return f"# KPI definitions ({business})\n\n{DEFINITIONS[business]}\n{COMMON_DEFINITIONS}"


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    business = params["business"]
    given = ex.build(business, f"{params['seed']}")
    hidden = ex.build(business, f"{params['seed']}:hidden", unposted=True)
    ex.write_extract(given, input_dir)
    (input_dir / "kpi_definitions.md").write_text(definitions(business))
    ex.write_extract(hidden, reference_dir / HIDDEN)
    reference = {name: {"kpi": e["kpi"], "bridge": e["bridge"], "findings": e["findings"]}
                 for name, e in (("given", given), ("hidden", hidden))}
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=1))


# -- re-running the semantic layer ---------------------------------------------------------------

RERUN = r"""
set -u
PGBIN=/usr/lib/postgresql/15/bin
PGDATA="$(mktemp -d /tmp/pgdata.XXXXXX)"
SOCK="$(mktemp -d /tmp/pgsock.XXXXXX)"
OUT="$PWD/out"
mkdir -p "$OUT"
"$PGBIN/initdb" -D "$PGDATA" -U reviewer --auth=trust >/dev/null || exit 3
"$PGBIN/pg_ctl" -D "$PGDATA" -o "-k $SOCK -c listen_addresses='' -c fsync=off" -w -l "$PGDATA/log" start >/dev/null || exit 4
export PGHOST="$SOCK" PGUSER=reviewer
# The agent's SQL runs as an ordinary role that owns its database (no COPY PROGRAM, no server files)
# and under psql's \restrict with a key it never sees (no \! shell, no \copy, no \i); the views are
# exported as that role too, since functions in a view run with the privileges of whoever queries it.
"$PGBIN/createuser" analyst
KEY="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
load() {
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -U analyst -d "$1" -f "$1/schema.sql" || return 1
  for t in customers region_map orders invoices credit_notes fx_rates gl_journal gl_trial_balance; do
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -U analyst -d "$1" -c "\\copy $t FROM '$1/$t.csv' WITH (FORMAT csv, HEADER true)" || return 1
  done
}
for db in given hidden; do
  "$PGBIN/createdb" -O analyst "$db"
  load "$db" 2>"$OUT/${db}_load.err" || { echo "load of $db failed" >> "$OUT/${db}_load.err"; continue; }
  cp semantic_layer.sql "$PGDATA/layer_$db.sql"
  timeout 120 "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -U analyst -d "$db" -c "\\restrict $KEY" \
      -f "$PGDATA/layer_$db.sql" >/dev/null 2>"$OUT/${db}_layer.err" \
    || { echo "semantic_layer.sql failed on $db" >> "$OUT/${db}_layer.err"; continue; }
  timeout 60 "$PGBIN/psql" -X -q -U analyst -d "$db" -c "\copy (SELECT month::text, region::text, net_revenue_eur::float8, active_customers::float8 FROM kpi_monthly) TO '$OUT/${db}_kpi.csv' WITH (FORMAT csv, HEADER true)" 2>"$OUT/${db}_kpi.err"
  timeout 60 "$PGBIN/psql" -X -q -U analyst -d "$db" -c "\copy (SELECT month::text, kpi_net_revenue_eur::float8, gl_revenue_eur::float8, duplicate_eur::float8, timing_eur::float8, fx_eur::float8, test_account_eur::float8, unexplained_eur::float8 FROM gl_reconciliation) TO '$OUT/${db}_bridge.csv' WITH (FORMAT csv, HEADER true)" 2>"$OUT/${db}_bridge.err"
done
"$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null
exit 0
"""


def _extract_files(directory: Path, prefix: str) -> dict[str, Path]:
    names = [f"{t}.csv" for t in ex.TABLES] + ["schema.sql"]
    return {f"{prefix}/{name}": directory / name for name in names}


def _parse_csv(path: Path) -> list[dict[str, str]] | None:
    import csv

    if not path.is_file():
        return None
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        return list(csv.DictReader(handle))


def _rerun(g: Grading) -> tuple[dict[str, dict[str, list[dict] | None]], dict[str, str]]:
    files: dict[str, Path | str | bytes] = {"semantic_layer.sql": g.output("semantic_layer.sql"),
                                            **_extract_files(g.input_dir, "given"),
                                            **_extract_files(g.reference(HIDDEN), "hidden")}
    result = g.run_tool(["bash", "-c", RERUN], files, timeout=400)
    out = result.workdir / "out"
    views: dict[str, dict[str, list[dict] | None]] = {}
    notes: dict[str, str] = {}
    for db in ("given", "hidden"):
        views[db] = {"kpi": _parse_csv(out / f"{db}_kpi.csv"), "bridge": _parse_csv(out / f"{db}_bridge.csv")}
        errors = [(out / f"{db}_{step}.err") for step in ("load", "layer", "kpi", "bridge")]
        notes[db] = " ".join(p.read_text(errors="replace")[-300:] for p in errors if p.is_file()).strip() \
            or result.stderr[-300:]
    return views, notes


# -- comparisons -----------------------------------------------------------------------------------


def _kpi_table(g: Grading, name: str, rows: list[dict] | None, ref_rows: list[dict], column: str, note: str = "",
               weight: float = 1.0) -> None:
    if rows is None:
        g.check(name, False, weight=weight, reason=note or "no rows")
        return
    rule = EUR_TOL if column == "net_revenue_eur" else 0.0
    g.table(name, rows, ref_rows, key=("month", "region"), columns={column: rule}, weight=weight, partial=False)


def _bridge_table(g: Grading, name: str, rows: list[dict] | None, ref_rows: list[dict], columns: tuple[str, ...],
                  note: str = "", weight: float = 1.0) -> None:
    if rows is None:
        g.check(name, False, weight=weight, reason=note or "no rows")
        return
    g.table(name, rows, ref_rows, key="month", columns=dict.fromkeys(columns, EUR_TOL), weight=weight, partial=False)


NUMBER = re.compile(r"\d{1,3}(?:[,\u202f ]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def _numbers_in(text: str) -> list[tuple[float, int]]:
    """Every number of the text (sign dropped: memos write negatives many ways) with its count of decimals."""
    found = []
    for token in NUMBER.findall(text):
        plain = re.sub(r"[,\u202f ]", "", token)
        found.append((float(plain), len(plain.split(".")[1]) if "." in plain else 0))
    return found


def _states(numbers: list[tuple[float, int]], value: float) -> bool:
    """The memo states ``value`` in EUR, or in thousands or millions to the precision it writes."""
    target = abs(value)
    for number, decimals in numbers:
        if abs(number - target) <= max(1.0, 0.5 * 10 ** -decimals):
            return True
        for scale in (1e3, 1e6):
            off = abs(number * scale - target)
            if number and off <= 0.5 * 10 ** -decimals * scale + 0.01 and off <= 0.01 * target:
                return True
    return False


def _grade_findings(g: Grading, findings: Any, ref: dict[str, Any]) -> None:
    if not isinstance(findings, dict):
        g.check("findings.json is an object", False, gate=True, weight=0, found=type(findings).__name__)
        return
    g.check("duplicate invoice rows counted", as_number(findings.get("duplicate_invoice_rows")) ==
            ref["duplicate_invoice_rows"], expected=ref["duplicate_invoice_rows"],
            found=findings.get("duplicate_invoice_rows"))
    g.check("void invoices counted", as_number(findings.get("void_invoices")) == ref["void_invoices"],
            expected=ref["void_invoices"], found=findings.get("void_invoices"))
    tests = findings.get("test_customers")
    g.check("test accounts identified", isinstance(tests, list) and sorted(map(str, tests)) == ref["test_customers"],
            expected=ref["test_customers"], found=tests)
    doubles = findings.get("gl_duplicate_postings")
    g.check("GL double postings identified",
            isinstance(doubles, list) and sorted(map(str, doubles)) == ref["gl_duplicate_postings"],
            expected=ref["gl_duplicate_postings"], found=doubles)
    change = findings.get("region_change")
    want = ref["region_change"]
    g.check("region mapping change identified",
            isinstance(change, dict) and all(str(change.get(k, "")).strip() == v for k, v in want.items()),
            expected=want, found=change)
    g.number("period net revenue stated", findings.get("period_net_revenue_eur"), ref["period_net_revenue_eur"],
             abs_tol=EUR_TOL * 5)
    g.number("period GL revenue stated", findings.get("period_gl_revenue_eur"), ref["period_gl_revenue_eur"],
             abs_tol=0.05)


def _grade_memo(g: Grading, memo: str | None, ref: dict[str, Any], bridge: list[dict]) -> None:
    text = memo or ""
    numbers = _numbers_in(text)
    g.check("memo states period net revenue and GL revenue",
            _states(numbers, ref["period_net_revenue_eur"]) and _states(numbers, ref["period_gl_revenue_eur"]),
            expected=[round(ref["period_net_revenue_eur"], 2), ref["period_gl_revenue_eur"]])
    totals = {c: sum(row[c] for row in bridge) for c in ex.BRIDGE}
    missing = [c for c, v in totals.items() if abs(v) >= 1 and not _states(numbers, v)]
    g.check("memo quantifies every bridge category", not missing, expected={c: round(v, 2) for c, v in totals.items()},
            reason=f"not stated: {', '.join(missing)}" if missing else "")
    named = [doc for doc in ref["gl_duplicate_postings"] if doc not in text]
    g.check("memo names the GL double postings", not named, reason=f"not named: {', '.join(named)}" if named else "")


def grade(g: Grading) -> None:
    if not g.require_files(*DELIVERABLES):
        return
    ref = g.reference_json("reference.json")
    given, hidden = ref["given"], ref["hidden"]
    pack = g.read_csv("kpi_pack.csv", required_columns=list(KPI_COLUMNS))
    bridge = g.read_csv("gl_reconciliation.csv", required_columns=list(BRIDGE_COLUMNS))
    findings = g.read_json("findings.json")
    memo = g.read_text("memo.md")
    if pack is None or bridge is None or findings is None:
        return

    views, notes = _rerun(g)
    # the semantic layer re-run on the delivered extract and on a hidden one it never saw
    _kpi_table(g, "semantic layer net revenue, delivered extract", views["given"]["kpi"], given["kpi"],
               "net_revenue_eur", notes["given"])
    _kpi_table(g, "semantic layer net revenue, hidden extract", views["hidden"]["kpi"], hidden["kpi"],
               "net_revenue_eur", notes["hidden"], weight=3)
    _kpi_table(g, "semantic layer active customers, hidden extract", views["hidden"]["kpi"], hidden["kpi"],
               "active_customers", notes["hidden"], weight=2)
    _bridge_table(g, "semantic layer GL bridge, hidden extract", views["hidden"]["bridge"], hidden["bridge"],
                  BRIDGE_COLUMNS[1:], notes["hidden"], weight=3)

    # the delivered KPI pack
    _kpi_table(g, "KPI pack net revenue by month and region", pack, given["kpi"], "net_revenue_eur", weight=2)
    _kpi_table(g, "KPI pack active customers", pack, given["kpi"], "active_customers")
    if views["given"]["kpi"] is not None:
        g.table("KPI pack is the semantic layer's output", pack, views["given"]["kpi"], key=("month", "region"),
                columns={"net_revenue_eur": 0.01, "active_customers": 0.0}, partial=False)
    else:
        g.check("KPI pack is the semantic layer's output", False, reason=notes["given"] or "views did not run")

    # the delivered GL reconciliation, category by category
    _bridge_table(g, "bridge ties KPI and GL totals by month", bridge, given["bridge"],
                  ("kpi_net_revenue_eur", "gl_revenue_eur"), weight=1)
    for column in ex.BRIDGE:
        _bridge_table(g, f"bridge {column.removesuffix('_eur').replace('_', ' ')} difference by month", bridge,
                      given["bridge"], (column,))
    _bridge_table(g, "bridge leaves nothing unexplained", bridge, given["bridge"], ("unexplained_eur",), weight=2)

    _grade_findings(g, findings, given["findings"])
    _grade_memo(g, memo, given["findings"], given["bridge"])
