"""The order-to-cash extract of one business and its truth: KPI pack and GL bridge computed in plain Python.

The clean truth (customers, invoices, credit notes, daily FX) is simulated first; the KPIs and the GL
bridge are computed from it; then the extract is dirtied (exact duplicate invoice rows) and the GL is
booked the way the ledger does it (spot rates, credit notes in their posting month, test accounts not
excluded, a few invoices posted twice by the billing interface; in the reviewer's hidden extract, one
invoice never posted at all). One real customer's name begins with "Test" and a letter, as a test account's
name does not.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

from lastexam.task import write_csv

CURRENCY = {"DE": "EUR", "NL": "EUR", "FR": "EUR", "ES": "EUR", "IT": "EUR", "IE": "EUR", "GB": "GBP",
            "US": "USD", "CA": "USD", "SE": "SEK"}
FX_START = {"USD": 0.92, "GBP": 1.17, "SEK": 0.088}
BASE_REGION = {"DE": "Central", "NL": "Central", "FR": "South", "ES": "South", "IT": "South", "IE": "UK&I",
               "GB": "UK&I", "US": "North America", "CA": "North America", "SE": "Nordics"}
REGION_MOVES = [("IE", "Central"), ("NL", "Nordics"), ("FR", "Central"), ("CA", "UK&I")]
REGIONS = sorted(set(BASE_REGION.values()))
COUNTRY_WEIGHTS = {"DE": 5, "NL": 3, "FR": 4, "ES": 3, "IT": 3, "IE": 2, "GB": 5, "US": 6, "CA": 2, "SE": 2}
NAME_A = ["Alder", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper", "Kestrel",
          "Lumen", "Meridian", "Nimbus", "Orchid", "Pioneer", "Quarry", "Riverside", "Summit", "Tundra", "Umber",
          "Vertex", "Willow", "Zenith"]
NAME_B = ["Logistics", "Foods", "Retail", "Systems", "Labs", "Partners", "Trading", "Health", "Media", "Works",
          "Outdoor", "Studio", "Supply", "Analytics"]
TEST_NAMES = ["TEST - QA account", "test_sandbox billing", "Test-Integration EU", "TEST demo tenant"]
# a real customer's name may begin with "Test" and a letter: not a test account ("test" and a space, hyphen or
# underscore is)
LOOKALIKE_STEMS = ["Testa", "Testwood", "Testarossa", "Testbury"]
CREDIT_REASONS = {"saas": ["service_credit", "downgrade"], "wholesale": ["return"], "marketplace": ["refund"]}
BUSINESS = {
    "saas": {"customers": 110, "invoice_p": 0.92, "credit_rate": 0.07, "amount": (7.2, 0.7)},
    "wholesale": {"customers": 90, "invoice_p": 0.75, "credit_rate": 0.10, "amount": (8.3, 0.8)},
    "marketplace": {"customers": 120, "invoice_p": 0.6, "credit_rate": 0.09, "amount": (7.6, 0.9)},
}
COMMISSION_RATES = [0.08, 0.12, 0.15]

SCHEMA_SQL = """-- DDL of the order-to-cash extract (one table per CSV file, columns in file order)
CREATE TABLE customers (
    customer_id   text PRIMARY KEY,
    customer_name text NOT NULL,
    country       text NOT NULL,
    account_type  text NOT NULL,
    created_date  date NOT NULL
);
CREATE TABLE region_map (
    country    text NOT NULL,
    region     text NOT NULL,
    valid_from date NOT NULL,
    valid_to   date
);
CREATE TABLE orders (
    order_id    text NOT NULL,
    customer_id text NOT NULL,
    order_date  date NOT NULL,
    status      text NOT NULL
);
CREATE TABLE invoices (
    invoice_id      text NOT NULL,
    order_id        text NOT NULL,
    customer_id     text NOT NULL,
    invoice_date    date NOT NULL,
    currency        text NOT NULL,
    net_amount      numeric(14,2) NOT NULL,
    fulfilment      text NOT NULL,
    commission_rate numeric(6,4),
    status          text NOT NULL,
    extracted_at    timestamp NOT NULL
);
CREATE TABLE credit_notes (
    credit_note_id text NOT NULL,
    invoice_id     text,
    customer_id    text NOT NULL,
    credit_date    date NOT NULL,
    currency       text NOT NULL,
    amount         numeric(14,2) NOT NULL,
    reason         text NOT NULL
);
CREATE TABLE fx_rates (
    rate_date   date NOT NULL,
    currency    text NOT NULL,
    eur_per_unit numeric(12,6) NOT NULL
);
CREATE TABLE gl_journal (
    entry_id    text NOT NULL,
    posting_date date NOT NULL,
    account     text NOT NULL,
    doc_type    text NOT NULL,
    doc_ref     text NOT NULL,
    customer_id text NOT NULL,
    batch_id    text NOT NULL,
    amount_eur  numeric(14,2) NOT NULL
);
CREATE TABLE gl_trial_balance (
    month      text NOT NULL,
    account    text NOT NULL,
    amount_eur numeric(14,2) NOT NULL
);
"""
TABLES = ("customers", "region_map", "orders", "invoices", "credit_notes", "fx_rates", "gl_journal",
          "gl_trial_balance")
BRIDGE = ("duplicate_eur", "timing_eur", "fx_eur", "test_account_eur")


def ym(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _month_start(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def _weekday_on_or_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def _company(rng: random.Random, used: set[str]) -> str:
    while True:
        name = f"{rng.choice(NAME_A)} {rng.choice(NAME_B)} {rng.choice(['GmbH', 'Ltd', 'Inc', 'BV', 'SAS', 'AB', 'SpA'])}"
        if name not in used:
            used.add(name)
            return name


def _credit_across_region_change(credits: list[dict], posted: list[dict], customers_by_id: dict[str, dict],
                                 country: str, change_day: dt.date, period_end: dt.date, business: str,
                                 rng: random.Random) -> None:
    """Make sure a credit note of a real customer of the moving country credits an invoice dated before the
    move and is itself dated after it (its region is the one of its invoice's date): when the simulation
    drew none, one is added against the largest uncredited such invoice, dated and sized from its own random
    stream so that extracts which have one do not change."""
    def crosses(inv_day: dt.date, cn_day: dt.date) -> bool:
        return inv_day < change_day <= cn_day

    invoice_day = {i["id"]: i["date"] for i in posted}
    if any(cn["inv"] and not customers_by_id[cn["cust"]]["test"] and crosses(invoice_day[cn["inv"]], cn["date"])
           and customers_by_id[cn["cust"]]["country"] == country for cn in credits):
        return
    credited = {cn["inv"] for cn in credits}
    candidates = [i for i in posted if customers_by_id[i["cust"]]["country"] == country and i["id"] not in credited
                  and not customers_by_id[i["cust"]]["test"] and change_day - dt.timedelta(days=50) <= i["date"] < change_day]
    if not candidates:
        return
    inv = max(candidates, key=lambda i: (i["amount"] * (i["commission"] or 1.0), i["id"]))
    day = _weekday_on_or_before(change_day + dt.timedelta(days=rng.randint(3, 20)))
    if not crosses(inv["date"], day) or day > period_end:
        return
    credits.append({"id": "", "inv": inv["id"], "cust": inv["cust"], "date": day, "cur": inv["cur"],
                    "amount": round(inv["amount"] * rng.choice([0.25, 0.5]), 2),
                    "reason": rng.choice(CREDIT_REASONS[business])})


def _test_lookalike(customers: list[dict], invoices: list[dict], rng: random.Random) -> None:
    """Rename a real customer with posted invoices so that its name begins with "Test" and a letter, which a
    test-account rule looser than the definition's would exclude; from its own random stream, so that the rest
    of the extract stays as it was."""
    billed = {i["cust"] for i in invoices if i["status"] == "posted"}
    cust = rng.choice([c for c in customers if not c["test"] and c["id"] in billed])
    cust["name"] = f"{rng.choice(LOOKALIKE_STEMS)} {cust['name'].split(' ', 1)[1]}"


def build(business: str, seed: int, *, unposted: bool = False) -> dict[str, Any]:
    """Simulate one extract; returns its CSV tables (header, rows) and its truth (kpi rows, bridge rows, findings).

    ``unposted``: one posted invoice of a real customer never reached the GL (the billing interface dropped
    it), so the bridge leaves its KPI value unexplained; it is drawn from its own random stream, so the rest
    of the extract is the same as without it."""
    rng = random.Random(f"{business}:{seed}")
    spec = BUSINESS[business]
    start = 2024 * 12 + rng.choice([0, 3, 6, 9])
    months = [_month_start(start + k) for k in range(12)]
    period_end = _month_start(start + 12) - dt.timedelta(days=1)
    month_keys = [ym(m) for m in months]

    # daily FX on business days
    fx: dict[str, dict[dt.date, float]] = {cur: {} for cur in FX_START}
    for cur, rate in FX_START.items():
        day, level = months[0] - dt.timedelta(days=10), rate * math.exp(rng.gauss(0, 0.03))
        while day <= period_end:
            if day.weekday() < 5:
                level *= math.exp(rng.gauss(0, 0.007))
                fx[cur][day] = round(level, 6)
            day += dt.timedelta(days=1)
    month_avg = {(cur, key): sum(r for d, r in days.items() if ym(d) == key) / sum(1 for d in days if ym(d) == key)
                 for cur, days in fx.items() for key in month_keys}

    def spot(cur: str, day: dt.date) -> float:
        return 1.0 if cur == "EUR" else fx[cur][_weekday_on_or_before(day)]

    def average(cur: str, key: str) -> float:
        return 1.0 if cur == "EUR" else month_avg[(cur, key)]

    # region mapping with one country moving on a month boundary
    country, new_region = rng.choice(REGION_MOVES)
    change_day = months[rng.randint(3, 8)]
    region_rows = []
    for c, region in sorted(BASE_REGION.items()):
        if c == country:
            region_rows.append([c, region, "2020-01-01", (change_day - dt.timedelta(days=1)).isoformat()])
            region_rows.append([c, new_region, change_day.isoformat(), ""])
        else:
            region_rows.append([c, region, "2020-01-01", ""])

    def region_of(c: str, day: dt.date) -> str:
        if c == country and day >= change_day:
            return new_region
        return BASE_REGION[c]

    # customers, a few of them test accounts (flagged or only named so)
    used: set[str] = set()
    countries = list(COUNTRY_WEIGHTS)
    weights = [COUNTRY_WEIGHTS[c] for c in countries]
    customers = []
    for i in range(spec["customers"]):
        c = rng.choices(countries, weights)[0]
        created = months[0] - dt.timedelta(days=rng.randint(30, 900))
        customers.append({"id": f"C{1001 + i}", "name": _company(rng, used), "country": c, "type": "standard",
                          "created": created, "test": False, "scale": math.exp(rng.gauss(0, 0.6))})
    for k, name in enumerate([*rng.sample(TEST_NAMES, rng.randint(2, 3)), "Internal billing check"]):
        cust = rng.choice([x for x in customers if not x["test"]])
        cust["test"] = True
        cust["name"] = name
        cust["type"] = "internal" if (k % 2 == 1 or name.startswith("Internal")) else "standard"
    customers_by_id = {c["id"]: c for c in customers}

    # orders and invoices
    invoices, orders = [], []
    n_order = 0
    for cust in customers:
        for m in months:
            if rng.random() > spec["invoice_p"]:
                continue
            for _ in range(1 if business == "saas" else rng.randint(1, 3)):
                n_order += 1
                last_day = (_month_start(m.year * 12 + m.month) - dt.timedelta(days=1)).day
                day = _weekday_on_or_before(m + dt.timedelta(days=rng.randint(2, last_day - 1)))
                if day < m:
                    day = m + dt.timedelta(days=(7 - m.weekday()) % 7)
                cancelled = rng.random() < 0.04
                amount = round(math.exp(rng.gauss(*spec["amount"])) * cust["scale"], 2)
                third_party = business == "marketplace" and rng.random() < 0.6
                inv = {"id": f"INV-{200000 + n_order}", "order": f"SO-{500000 + n_order}", "cust": cust["id"],
                       "date": day, "cur": CURRENCY[cust["country"]], "amount": amount,
                       "fulfilment": "3P" if third_party else "1P",
                       "commission": rng.choice(COMMISSION_RATES) if third_party else None,
                       "status": "void" if cancelled else "posted"}
                orders.append([inv["order"], cust["id"], (day - dt.timedelta(days=rng.randint(0, 6))).isoformat(),
                               "cancelled" if cancelled else "completed"])
                invoices.append(inv)

    _test_lookalike(customers, invoices, random.Random(f"{business}:{seed}:lookalike"))

    def share(inv: dict) -> float:
        return inv["commission"] if inv["fulfilment"] == "3P" else 1.0

    # credit notes: against an invoice, or (wholesale) volume rebates with no invoice
    credits = []
    posted = [i for i in invoices if i["status"] == "posted"]
    for inv in posted:
        if rng.random() > spec["credit_rate"]:
            continue
        day = _weekday_on_or_before(inv["date"] + dt.timedelta(days=rng.randint(8, 70)))
        if day > period_end:
            continue
        amount = round(inv["amount"] * rng.choice([0.1, 0.25, 0.5, 1.0]), 2)
        credits.append({"id": "", "inv": inv["id"], "cust": inv["cust"], "date": day, "cur": inv["cur"],
                        "amount": amount, "reason": rng.choice(CREDIT_REASONS[business])})
    _credit_across_region_change(credits, posted, customers_by_id, country, change_day, period_end, business,
                                 random.Random(f"{business}:{seed}:across"))
    if business == "wholesale":
        for cust in rng.sample([c for c in customers if not c["test"]], 12):
            day = _weekday_on_or_before(months[rng.randint(1, 11)] + dt.timedelta(days=rng.randint(3, 25)))
            credits.append({"id": "", "inv": None, "cust": cust["id"], "date": day, "cur": CURRENCY[cust["country"]],
                            "amount": round(math.exp(rng.gauss(7.0, 0.5)), 2), "reason": "rebate"})
    credits.sort(key=lambda c: (c["date"], c["cust"]))
    for n, cn in enumerate(credits):
        cn["id"] = f"CN-{70001 + n}"
    invoice_by_id = {i["id"]: i for i in invoices}

    # truth: KPI value of every document (EUR at the month-average rate of the month it is recognised in)
    kpi_docs = []  # (doc_ref, customer, kpi_month, region, value)
    for inv in posted:
        key = ym(inv["date"])
        kpi_docs.append((inv["id"], inv["cust"], key, region_of(customers_by_id[inv["cust"]]["country"], inv["date"]),
                         inv["amount"] * share(inv) * average(inv["cur"], key)))
    for cn in credits:
        if cn["inv"]:
            inv = invoice_by_id[cn["inv"]]
            key, day, rev_share = ym(inv["date"]), inv["date"], share(inv)
        else:
            key, day, rev_share = ym(cn["date"]), cn["date"], 1.0
        kpi_docs.append((cn["id"], cn["cust"], key, region_of(customers_by_id[cn["cust"]]["country"], day),
                         -cn["amount"] * rev_share * average(cn["cur"], key)))

    revenue: dict[tuple[str, str], float] = defaultdict(float)
    per_customer: dict[tuple[str, str, str], float] = defaultdict(float)
    for _doc, cust, key, region, value in kpi_docs:
        if customers_by_id[cust]["test"]:
            continue
        revenue[(key, region)] += value
        per_customer[(key, region, cust)] += value
    kpi_rows = []
    for key in month_keys:
        for region in REGIONS:
            active = sum(1 for (k, r, _c), v in per_customer.items() if k == key and r == region and v > 0.005)
            kpi_rows.append({"month": key, "region": region, "net_revenue_eur": revenue[(key, region)],
                             "active_customers": active})

    # the GL as booked: spot rate on the document date, credit notes in their posting month, everything posted
    journal = []
    doc_kpi = {doc: (cust, key, value) for doc, cust, key, _r, value in kpi_docs}
    for inv in posted:
        journal.append((inv["date"], "INV", inv["id"], inv["cust"],
                        round(inv["amount"] * share(inv) * spot(inv["cur"], inv["date"]), 2)))
    for cn in credits:
        rev_share = share(invoice_by_id[cn["inv"]]) if cn["inv"] else 1.0
        journal.append((cn["date"], "CN", cn["id"], cn["cust"], -round(cn["amount"] * rev_share * spot(cn["cur"], cn["date"]), 2)))
    journal.sort(key=lambda j: (j[0], j[2]))
    doubled = sorted(rng.sample([j for j in journal if j[1] == "INV"], rng.randint(3, 6)), key=lambda j: (j[0], j[2]))
    if unposted:
        credited = {cn["inv"] for cn in credits}
        dropped = random.Random(f"{business}:{seed}:unposted").choice(
            [j for j in journal if j[1] == "INV" and j not in doubled and not customers_by_id[j[3]]["test"]
             and j[2] not in credited and j[4] >= 50])
        journal.remove(dropped)
    gl_rows, bridge = [], {key: dict.fromkeys(BRIDGE, 0.0) for key in month_keys}
    gl_total: dict[str, float] = defaultdict(float)
    n_entry = 0
    for day, doc_type, doc, cust, amount in journal:
        copies = 2 if (day, doc_type, doc, cust, amount) in doubled else 1
        for copy in range(copies):
            n_entry += 1
            batch = f"BIL-{day.strftime('%Y%m%d')}-{'R' if copy else '1'}"
            gl_rows.append([f"JE{300000 + n_entry}", day.isoformat(), "4000", doc_type, doc, cust, batch, f"{amount:.2f}"])
            gl_key = ym(day)
            gl_total[gl_key] += amount
            if copy:
                bridge[gl_key]["duplicate_eur"] += amount
            elif customers_by_id[cust]["test"]:
                bridge[gl_key]["test_account_eur"] += amount
            else:
                _c, kpi_key, value = doc_kpi[doc]
                bridge[gl_key]["fx_eur"] += amount - value
                if kpi_key != gl_key:
                    bridge[gl_key]["timing_eur"] += value
                    bridge[kpi_key]["timing_eur"] -= value
    bridge_rows = []
    for key in month_keys:
        kpi_total = sum(revenue[(key, r)] for r in REGIONS)
        row = {"month": key, "kpi_net_revenue_eur": kpi_total, "gl_revenue_eur": round(gl_total[key], 2),
               **bridge[key]}
        row["unexplained_eur"] = row["gl_revenue_eur"] - kpi_total - sum(bridge[key].values())
        bridge_rows.append(row)

    # the extract: invoice rows duplicated by a double export, shuffled within the day
    invoice_rows = []
    for inv in invoices:
        stamp = dt.datetime.combine(inv["date"] + dt.timedelta(days=1), dt.time(2, rng.randint(0, 59)))
        row = [inv["id"], inv["order"], inv["cust"], inv["date"].isoformat(), inv["cur"], f"{inv['amount']:.2f}",
               inv["fulfilment"], "" if inv["commission"] is None else f"{inv['commission']:.4f}", inv["status"],
               stamp.isoformat(sep=" ")]
        invoice_rows.append(row)
    duplicates = rng.sample(range(len(invoice_rows)), max(8, len(invoice_rows) // 40))
    for index in sorted(duplicates, reverse=True):
        invoice_rows.insert(index + rng.randint(1, 5), list(invoice_rows[index]))

    tb_rows = [[key, "4000", f"{gl_total[key]:.2f}"] for key in month_keys]
    fx_rows = [[d.isoformat(), cur, f"{r:.6f}"] for cur, days in fx.items() for d, r in sorted(days.items())]
    fx_rows.sort()
    tables = {
        "customers": (["customer_id", "customer_name", "country", "account_type", "created_date"],
                      [[c["id"], c["name"], c["country"], c["type"], c["created"].isoformat()] for c in customers]),
        "region_map": (["country", "region", "valid_from", "valid_to"], region_rows),
        "orders": (["order_id", "customer_id", "order_date", "status"], orders),
        "invoices": (["invoice_id", "order_id", "customer_id", "invoice_date", "currency", "net_amount", "fulfilment",
                      "commission_rate", "status", "extracted_at"], invoice_rows),
        "credit_notes": (["credit_note_id", "invoice_id", "customer_id", "credit_date", "currency", "amount", "reason"],
                         [[cn["id"], cn["inv"] or "", cn["cust"], cn["date"].isoformat(), cn["cur"],
                           f"{cn['amount']:.2f}", cn["reason"]] for cn in credits]),
        "fx_rates": (["rate_date", "currency", "eur_per_unit"], fx_rows),
        "gl_journal": (["entry_id", "posting_date", "account", "doc_type", "doc_ref", "customer_id", "batch_id",
                        "amount_eur"], gl_rows),
        "gl_trial_balance": (["month", "account", "amount_eur"], tb_rows),
    }
    findings = {
        "duplicate_invoice_rows": len(duplicates),
        "void_invoices": sum(1 for i in invoices if i["status"] == "void"),
        "test_customers": sorted(c["id"] for c in customers if c["test"]),
        "gl_duplicate_postings": sorted(j[2] for j in doubled),
        "region_change": {"country": country, "from_region": BASE_REGION[country], "to_region": new_region,
                          "effective_month": ym(change_day)},
        "period_net_revenue_eur": sum(revenue.values()),
        "period_gl_revenue_eur": round(sum(gl_total.values()), 2),
        "months": month_keys,
    }
    return {"tables": tables, "kpi": kpi_rows, "bridge": bridge_rows, "findings": findings}


def write_extract(extract: dict[str, Any], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in extract["tables"].items():
        write_csv(directory / f"{name}.csv", header, rows)
    (directory / "schema.sql").write_text(SCHEMA_SQL)
