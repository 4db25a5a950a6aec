"""SQL pipeline: raw retail extracts to a SQLite star schema, data-quality and KPI reports, a finance
reconciliation and the release call.

Workflow: the analytics engineer receives raw CSV extracts (customers, products, order lines,
returns, daily FX rates) with realistic dirt: exact duplicate rows from double extraction,
late-arriving updates of order lines and customer records (resolved by extraction timestamp,
not file order), per-source-system date formats, untidy currency codes and ids, orphan
customers, unknown SKUs, FX gaps on weekends; and, by variant (``scenario``), one more defect
announced in a source notice: lines deleted at source arriving as ``voided`` versions
(late_voids), treasury switching the yen to a yen-per-dollar quotation mid-period
(fx_quote_switch), or CRM merges whose retired ids the channels keep sending (customer_merges).
The BI team's data contract (an input) fixes the tables, the data-quality and KPI definitions and
the release criteria. The engineer writes one sqlite3 build script, produces the reports,
reconciles monthly gross revenue to finance's booked sales and makes the release call
(publish, publish with caveats or hold).

Generation: a clean truth (customers, products, orders, returns, FX) is simulated from the seed,
then dirtied into the extracts (every night with at least one order line on an unknown customer and
one on an unknown SKU, and with some untidy customer ids and SKUs in the orders and customer ids in the
CRM extract, so that the mapping to the unknown members and the id tidying are always exercised); the
reference tables, counts, KPIs and the release call are computed from the truth in plain Python
(correct by construction, independent of any SQL).
Each night first draws its release plan from a stream of its own: the decision (hold on half the nights,
publish with caveats on a third, publish on a sixth), then the rules that give it (a finance rule among them
unless the night is published). A breached completeness rule gets the fewest orphan lines, unknown-SKU lines
or unmatched returns past its threshold at two decimals; a held one the most the threshold allows, exactly on
it: on such a night the fact lines are first trimmed, by whole orders, to a multiple of 200 (orphan_customers,
unknown_skus), or the matched returns trimmed or topped up to a multiple of 97 (unmatched_returns), so that
the threshold is a whole count; orphan orders past the plan's count go to known customers. Finance's booked
sales equal the true gross revenue except in a month per breached finance rule, given an injected gap (a
blocking break, a minor variance), and in one to three other months of every night, publish nights included,
by a timing gap within the rules (0.05-0.40 %, from the night's aside stream): the largest monthly gap, which
the release assessment reports, is known only from the reconciliation. A second, hidden night of extracts
(same profile and scenario, other seed) goes to the reference with its own reference tables; its release plan
breaches exactly the rules tonight's holds, so that every rule is breached on one of the two nights.

Grade: the submitted build.sql is re-run from the raw extracts in a fresh sandbox
(``sqlite3 warehouse.db < build.sql``) and, in another, on the hidden night's extracts; the
rebuilt, hidden-night and submitted databases are exported through fixed queries (natural keys
joined through the dimensions) in a second sandbox. Checks: schema (gate), the script reproduces
the submitted database (release_check included), each dimension, the fact grain and deduplication, FX
conversion, dimension mapping, referential integrity and date coverage, returns, data-quality counts, monthly
KPIs and cohort retention against the reference, the KPI report against the submitted database's
own numbers; the build's release_check table (each rule's verdict) on tonight's and on the hidden night's
build; the dimension and fact checks again on the hidden night's build; and the release call: the
completeness rates, the largest monthly gap to finance and the months breaking or in variance against it,
the rules breached and the decision.
"""
# ALE-CANARY-a9c4c53e-13f1-44b7-9939-8c1c4dbee7ea

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import math
import random
from collections import defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any

from lastexam.task import Grading, Params, as_number, write_csv

HERE = Path(__file__).resolve().parent
HIDDEN_NIGHT = "hidden_night"
DELIVERABLES = ("build.sql", "warehouse.db", "dq_report.csv", "kpi_monthly_revenue.csv", "kpi_cohort_retention.csv",
                "release_assessment.json")
FINANCE_FILE = "finance_monthly_sales.csv"
DECISIONS = ("publish", "publish_with_caveats", "hold")

SYSTEMS = {  # source system -> (currency, date format of order_date)
    "web": ("USD", "iso_z"),
    "pos_eu": ("EUR", "dmy"),
    "uk_store": ("GBP", "iso"),
    "marketplace_jp": ("JPY", "compact"),
}
FX_START = {"EUR": 1.08, "GBP": 1.26, "JPY": 0.0069}
COUNTRIES = {"web": ["US", "CA", "MX"], "pos_eu": ["DE", "FR", "NL", "ES"], "uk_store": ["GB", "IE"],
             "marketplace_jp": ["JP"]}
PROFILES: dict[str, dict[str, Any]] = {
    "eu_webshop": {
        "start": (2023, 1), "months": 12, "systems": ["web", "pos_eu", "uk_store"], "customers": 260,
        "update_rate": 0.10, "dup_rate": 0.03, "cancel_rate": 0.04, "orphan_rate": 0.002, "unknown_sku_rate": 0.001,
        "id_noise": 0.0, "return_rate": 0.06, "customer_versions": 0.15,
    },
    "jp_marketplace": {
        "start": (2023, 7), "months": 18, "systems": ["web", "pos_eu", "marketplace_jp"], "customers": 300,
        "update_rate": 0.25, "dup_rate": 0.02, "cancel_rate": 0.08, "orphan_rate": 0.002, "unknown_sku_rate": 0.001,
        "id_noise": 0.05, "return_rate": 0.05, "customer_versions": 0.3, "fx_switch": dt.date(2024, 1, 1),
    },
    "omnichannel": {
        "start": (2024, 2), "months": 10, "systems": ["web", "pos_eu", "uk_store", "marketplace_jp"],
        "customers": 280, "update_rate": 0.12, "dup_rate": 0.05, "cancel_rate": 0.05, "orphan_rate": 0.0015,
        "unknown_sku_rate": 0.001, "id_noise": 0.3, "return_rate": 0.08, "customer_versions": 0.2,
        "merge_share": 0.12,
    },
}
SCENARIOS = ("late_voids", "fx_quote_switch", "customer_merges")
VOID_RATE = 0.04
# the data contract's release criteria: rule -> (severity, threshold in percent)
RELEASE_RULES = {
    "orphan_customers": ("blocking", 1.0), "unknown_skus": ("blocking", 0.5), "finance_break": ("blocking", 2.0),
    "finance_variance": ("caveat", 0.5), "unmatched_returns": ("caveat", 3.0),
}
# rules counted in lines or returns, which a night holds with the most the threshold allows ("edge")
COUNTED_RULES = ("orphan_customers", "unknown_skus", "unmatched_returns")
# on a night with orphan_customers or unknown_skus at its edge the fact lines are a multiple of this, at which
# both thresholds (1.0 % and 0.5 %) are whole line counts
WHOLE_THRESHOLD_LINES = 200
# on a night with unmatched_returns at its edge the matched returns are a multiple of this, at which 3.0 % of the
# distinct returns (matched and unmatched) is a whole count
WHOLE_THRESHOLD_MATCHED_RETURNS = 97
# the release plan's stream: its name is one under which each public instance breaches orphan_customers or
# unknown_skus and a finance rule, so that the public instances show the shortcuts these rules catch
PLAN_STREAM = "release-plan-196"
FINANCE_GAPS = {"finance_break": (3.0, 5.0), "finance_variance": (0.8, 1.5)}  # injected gap, percent
TIMING_GAPS = (1, 3)  # months of every night whose booked sales differ by a timing gap within the rules
TIMING_GAP = (0.05, 0.40)  # percent
FIRST = ["Ana", "Ben", "Chloe", "Dev", "Elif", "Femi", "Gus", "Hana", "Ivan", "Jia", "Kofi", "Lena", "Mateo", "Nora",
         "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Vera", "Wen", "Yusuf", "Zoe"]
LAST = ["Alvarez", "Becker", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jansen", "Kowalski",
        "Larsen", "Moreau", "Nakamura", "Okafor", "Patel", "Rossi", "Schmidt", "Tanaka", "Ueda", "Vargas", "Weber"]
CATEGORIES = {"Kitchen": (12, 180), "Garden": (8, 320), "Office": (3, 90), "Audio": (25, 450), "Toys": (6, 70)}


# -- the truth ----------------------------------------------------------------------------------


def _month_add(year: int, month: int, k: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + k
    return index // 12, index % 12 + 1


def _ym(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _fx_table(rng: random.Random, first: dt.date, last: dt.date) -> dict[str, list[tuple[dt.date, float]]]:
    table: dict[str, list[tuple[dt.date, float]]] = {}
    for cur, start in FX_START.items():
        rate, rows, day = start, [], first
        while day <= last:
            if day.weekday() < 5:
                rate *= math.exp(rng.gauss(0, 0.004))
                rows.append((day, round(rate, 8 if cur == "JPY" else 6)))
            day += dt.timedelta(days=1)
        table[cur] = rows
    return table


def _rate_on(fx: dict[str, list[tuple[dt.date, float]]], cur: str, day: dt.date) -> float:
    if cur == "USD":
        return 1.0
    best = None
    for rate_day, rate in fx[cur]:
        if rate_day > day:
            break
        best = rate
    assert best is not None
    return best


def _truth(profile: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    y0, m0 = profile["start"]
    first_day = dt.date(y0, m0, 1)
    y1, m1 = _month_add(y0, m0, profile["months"])
    end_day = dt.date(y1, m1, 1) - dt.timedelta(days=1)
    fx = _fx_table(rng, first_day - dt.timedelta(days=10), end_day + dt.timedelta(days=60))
    if profile["scenario"] == "fx_quote_switch":
        # from the switch date treasury quotes JPY per USD to 4 decimals: the true rate is the inverse
        switch = profile["fx_switch"]
        fx["JPY"] = [(day, 1 / round(1 / rate, 4) if day >= switch else rate) for day, rate in fx["JPY"]]
    products = []
    for i in range(60):
        cat = rng.choice(sorted(CATEGORIES))
        lo, hi = CATEGORIES[cat]
        products.append({"sku": f"{cat[:2].upper()}-{1000 + i * 7}", "product_name": f"{cat} item {i + 1}",
                         "category": cat, "list_usd": round(rng.uniform(lo, hi), 2)})
    customers, orders = [], []
    order_no = 100000
    for i in range(profile["customers"]):
        system = rng.choice(profile["systems"])
        cid = f"C{i + 1:05d}"
        start_month = min(int(rng.expovariate(1 / (profile["months"] / 3))), profile["months"] - 1)
        sy, sm = _month_add(y0, m0, start_month)
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        customers.append({
            "customer_id": cid, "customer_name": name, "email": f"{name.lower().replace(' ', '.')}{i}@example.com",
            "country": rng.choice(COUNTRIES[system]),
            "signup_date": dt.date(sy, sm, 1) - dt.timedelta(days=rng.randint(0, 200)), "system": system,
        })
        offsets = {0}
        for k in range(1, profile["months"] - start_month):
            if rng.random() < 0.45 * 0.85**k:
                offsets.add(k)
        for k in sorted(offsets):
            for _ in range(1 if rng.random() < 0.8 else 2):
                oy, om = _month_add(sy, sm, k)
                last_dom = (dt.date(*_month_add(oy, om, 1), 1) - dt.timedelta(days=1)).day
                day = dt.date(oy, om, rng.randint(1, last_dom))
                order_no += rng.randint(1, 3)
                orders.append(_order(rng, f"SO-{order_no}", cid, system, day, products, fx, profile))
    return {"customers": customers, "products": products, "orders": orders, "fx": fx}


def _order(rng: random.Random, order_id: str, cid: str, system: str, day: dt.date, products: list[dict],
           fx: dict, profile: dict) -> dict[str, Any]:
    cur = SYSTEMS[system][0]
    rate = _rate_on(fx, cur, day)
    cancelled = rng.random() < profile["cancel_rate"]
    lines = []
    for n in range(1, rng.choice([1, 1, 2, 2, 3, 4]) + 1):
        product = rng.choice(products)
        price = product["list_usd"] / rate * rng.uniform(0.9, 1.1)
        lines.append({"order_line": n, "sku": product["sku"], "quantity": rng.randint(1, 5),
                      "unit_price": round(price) if cur == "JPY" else round(price, 2),
                      "status": "cancelled" if cancelled else "completed"})
    when = dt.datetime.combine(day, dt.time(rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)))
    return {"order_id": order_id, "customer_id": cid, "system": system, "day": day, "when": when, "currency": cur,
            "rate": rate, "lines": lines}


# -- dirtying the truth into extracts -----------------------------------------------------------


def _fmt_order_date(when: dt.datetime, fmt: str) -> str:
    if fmt == "iso_z":
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if fmt == "dmy":
        return when.strftime("%d/%m/%Y")
    if fmt == "compact":
        return when.strftime("%Y%m%d")
    return when.strftime("%Y-%m-%d")


def _noisy_id(rng: random.Random, value: str, rate: float) -> str:
    if rng.random() >= rate:
        return value
    return rng.choice([f" {value}", f"{value} ", value.lower(), f" {value.lower()}"])


def _noisy_currency(rng: random.Random, cur: str) -> str:
    return rng.choice([cur, cur, cur, cur.lower(), f" {cur}", cur.title()])


def _merge_aliases(truth: dict, profile: dict, rng: random.Random) -> dict[str, str]:
    """Customers the CRM merged away (``customer_merges`` scenario): surviving id -> retired id still
    carried by some of that customer's orders. Empty in the other scenarios."""
    if profile["scenario"] != "customer_merges":
        return {}
    ids = [c["customer_id"] for c in truth["customers"]]
    chosen = sorted(rng.sample(ids, round(profile["merge_share"] * len(ids))))
    return {cid: f"C5{n:04d}" for n, cid in enumerate(chosen)}


def _extract_orders(truth: dict, profile: dict, rng: random.Random, aliases: dict[str, str],
                    aside: random.Random, plan: dict[str, str],
                    plan_rng: random.Random) -> tuple[list[list[str]], dict[str, Any]]:
    """The order extract rows and the fact lines behind them. Every night has at least one fact line on an
    unknown customer and one on an unknown SKU: when the random draws gave none, the last order is made an
    orphan and its last line gets an unknown SKU (from ``aside``, so that the other nights do not shift).
    Then more lines are moved to unknown customers and SKUs as far as the night's release ``plan`` asks
    (drawn from ``plan_rng``)."""
    known = {c["customer_id"] for c in truth["customers"]}
    skus = [p["sku"] for p in truth["products"]]
    voids = profile["scenario"] == "late_voids"
    rows: list[list[str]] = []
    fact = []
    orphan_n = lines = voided = remapped = 0
    counted_elsewhere: set[str] = set()  # orders with a voided or remapped line, which the dq report counts
    last_order = len(truth["orders"]) - 1
    for k, order in enumerate(truth["orders"]):
        orphan_due = k == last_order and not any(f["customer_id"] not in known for f in fact)
        if rng.random() < profile["orphan_rate"] or orphan_due:
            order["customer_id"] = f"C9{orphan_n:04d}"
            orphan_n += 1
        sent_id = order["customer_id"]
        if order["customer_id"] in aliases and rng.random() < 0.5:
            sent_id = aliases[order["customer_id"]]
        fmt = SYSTEMS[order["system"]][1]
        for n, line in enumerate(order["lines"]):
            sku_due = (k == last_order and n == len(order["lines"]) - 1
                       and not any(f["sku"] not in skus for f in fact))
            if rng.random() < profile["unknown_sku_rate"]:
                line["sku"] = f"ZZ-{rng.randint(9000, 9999)}"
            elif sku_due:
                line["sku"] = f"ZZ-{aside.randint(9000, 9999)}"
            final_at = order["when"] + dt.timedelta(hours=rng.randint(2, 60))
            versions = []
            if rng.random() < profile["update_rate"]:
                for back in range(rng.choice([1, 1, 2]), 0, -1):
                    old = dict(line)
                    change = rng.choice(["quantity", "status", "price"])
                    if change == "quantity":
                        old["quantity"] = line["quantity"] + rng.choice([-1, 1, 2]) if line["quantity"] > 1 else 2
                    elif change == "status":
                        old["status"] = "pending" if line["status"] == "completed" else "completed"
                    else:
                        old["unit_price"] = round(line["unit_price"] * 1.1, 0 if order["currency"] == "JPY" else 2)
                    versions.append((old, final_at - dt.timedelta(hours=6 * back + rng.randint(1, 5))))
            versions.append((line, final_at))
            is_void = voids and rng.random() < VOID_RATE and not (orphan_due or sku_due)
            if is_void:  # the source deleted the line later: a tombstone version arrives days after
                versions.append(({**line, "status": "voided"}, final_at + dt.timedelta(days=rng.randint(3, 30))))
            lines += 1
            for version, at in versions:
                rows.append([
                    order["order_id"], str(version["order_line"]), _noisy_id(rng, sent_id, profile["id_noise"]),
                    _noisy_id(rng, version["sku"], profile["id_noise"]), str(version["quantity"]),
                    f"{version['unit_price']:.0f}" if order["currency"] == "JPY" else f"{version['unit_price']:.2f}",
                    _noisy_currency(rng, order["currency"]), _fmt_order_date(order["when"], fmt), order["system"],
                    version["status"], at.strftime("%Y-%m-%d %H:%M:%S"),
                ])
            if is_void or sent_id != order["customer_id"]:
                counted_elsewhere.add(order["order_id"])
            if is_void:
                voided += 1
                continue
            remapped += sent_id != order["customer_id"]
            fact.append({**line, "order_id": order["order_id"], "customer_id": order["customer_id"],
                         "day": order["day"], "currency": order["currency"], "rate": order["rate"],
                         "system": order["system"]})
    if "edge" in (plan["orphan_customers"], plan["unknown_skus"]):
        lines -= _drop_orders_to_whole_thresholds(fact, rows, counted_elsewhere, known, set(skus), plan_rng)
    wanted = _planted_count("orphan_customers", plan["orphan_customers"], len(fact))
    movable = {c["customer_id"]: c["system"] for c in truth["customers"] if c["customer_id"] not in aliases}
    _adopt_orphans(fact, rows, wanted, known, movable, profile, plan_rng)
    orphans = sum(f["customer_id"] not in known for f in fact)
    _plant_orphans(fact, rows, wanted - orphans, set(movable), orphan_n, profile, plan_rng)
    unknown = sum(f["sku"] not in skus for f in fact)
    wanted = _planted_count("unknown_skus", plan["unknown_skus"], len(fact))
    _plant_unknown_skus(fact, rows, wanted - unknown, set(skus), profile, plan_rng)
    _untidy_ids(rows, (2, 3), aside)
    superseded = len(rows) - lines
    duplicates = [list(r) for r in rows if rng.random() < profile["dup_rate"]]
    rows += duplicates
    rng.shuffle(rows)
    counts = {
        "orders_exact_duplicates": len(duplicates), "orders_superseded_versions": superseded,
        "orders_voided_lines": voided, "orders_remapped_customer": remapped,
        "orders_orphan_customer": sum(f["customer_id"] not in known for f in fact),
        "orders_unknown_sku": sum(f["sku"] not in skus for f in fact),
    }
    return rows, {"fact": fact, "counts": counts}


def _drop_orders_to_whole_thresholds(fact: list[dict], rows: list[list[str]], keep: set[str], known: set[str],
                                     skus: set[str], plan_rng: random.Random) -> int:
    """Drop whole orders (not in ``keep``, on known customers and SKUs) from the facts and the extract until the
    fact lines are a multiple of ``WHOLE_THRESHOLD_LINES``, so that the orphan_customers and unknown_skus
    thresholds are whole line counts and a night at its edge sits exactly on them. Returns the lines dropped."""
    lines_of: dict[str, int] = defaultdict(int)
    for f in fact:
        lines_of[f["order_id"]] += 1
    keep = keep | {f["order_id"] for f in fact if f["customer_id"] not in known or f["sku"] not in skus}
    candidates = sorted(set(lines_of) - keep)
    plan_rng.shuffle(candidates)
    excess = dropped = len(fact) % WHOLE_THRESHOLD_LINES
    gone = set()
    for order_id in candidates:
        if 0 < lines_of[order_id] <= excess:
            gone.add(order_id)
            excess -= lines_of[order_id]
    assert excess == 0, "not enough orders to drop"
    fact[:] = [f for f in fact if f["order_id"] not in gone]
    rows[:] = [row for row in rows if row[0] not in gone]
    return dropped


def _release_plan(plan_rng: random.Random) -> dict[str, str]:
    """Which release rules a night breaches: rule -> "past" (breached), "edge" (a counted rule held with the most lines
    or returns its threshold allows) or "clear" (a finance rule held; ``_held_state``). The decision is drawn first
    (hold on half the nights, publish_with_caveats on a third, publish on a sixth), then the rules that give it,
    each at even odds, so that each rule is breached on some nights and not on others; finance is within the rules
    only on the publish nights, so that a call made without the reconciliation is right on few nights."""
    decision = plan_rng.choices(DECISIONS, weights=(1, 2, 3))[0]
    severity = "blocking" if decision == "hold" else "caveat" if decision == "publish_with_caveats" else None
    breached: set[str] = set()
    while severity and not (any(RELEASE_RULES[rule][0] == severity for rule in breached)
                            and breached & FINANCE_GAPS.keys()):
        breached = {rule for rule, (level, _) in RELEASE_RULES.items()
                    if (level == severity or decision == "hold") and plan_rng.random() < 0.5}
    return {rule: "past" if rule in breached else _held_state(rule, plan_rng) for rule in RELEASE_RULES}


def _opposite_plan(plan: dict[str, str], plan_rng: random.Random) -> dict[str, str]:
    """The hidden night's release plan: it breaches exactly the rules tonight's ``plan`` holds, so that across the
    two nights every rule is breached once and held once, and a release check that leaves a rule out is wrong on
    one of them."""
    return {rule: "past" if state != "past" else _held_state(rule, plan_rng) for rule, state in plan.items()}


def _held_state(rule: str, plan_rng: random.Random) -> str:
    """A held rule's state: the counted rules always at their edge, exactly on their thresholds, so that for each of
    them one of the two nights of every instance tells "more than" from "at least"; the finance rules clear."""
    if rule not in COUNTED_RULES:
        return "clear"
    if rule != "orphan_customers":
        plan_rng.random()  # the coin that once decided this rule's state, so that the draws after it do not shift
    return "edge"


def _rule_limit(rule: str, base: int, above: Fraction = Fraction(0)) -> Fraction:
    """The count of orphan or unknown-SKU lines, or of unmatched returns, at which ``rule``'s percentage reaches
    its threshold plus ``above``; ``base`` is the number of fact lines, or of matched returns (the rule's
    percentage includes the unmatched)."""
    threshold = Fraction(str(RELEASE_RULES[rule][1])) + above
    return threshold * base / (100 - threshold if rule == "unmatched_returns" else 100)


def _planted_count(rule: str, state: str, base: int) -> int:
    """The count a counted rule's ``state`` asks for: the fewest whose percentage is past the threshold even
    when rounded to two decimals (as the report may give it) or the most the threshold allows (exactly on it
    when it is a whole count: the rule says "more than")."""
    if state == "past":
        return math.floor(_rule_limit(rule, base, Fraction(1, 200))) + 1
    return math.floor(_rule_limit(rule, base))


def _adopt_orphans(fact: list[dict], rows: list[list[str]], most: int, known: set[str], movable: dict[str, str],
                   profile: dict, plan_rng: random.Random) -> None:
    """Give whole orphan orders to known customers of their channel (``movable``: customer id -> source system)
    until at most ``most`` fact lines are orphans: the natural draws may give more than the night's plan allows.
    Draws nothing when they are within it."""
    lines_of: dict[str, int] = defaultdict(int)
    system_of = {}
    for f in fact:
        if f["customer_id"] not in known:
            lines_of[f["order_id"]] += 1
            system_of[f["order_id"]] = f["system"]
    excess = sum(lines_of.values()) - most
    if excess <= 0:
        return
    candidates = sorted(lines_of)
    plan_rng.shuffle(candidates)
    adopted = {}
    for order_id in candidates:
        if excess <= 0:
            break
        adopted[order_id] = plan_rng.choice(sorted(c for c, system in movable.items() if system == system_of[order_id]))
        excess -= lines_of[order_id]
    for f in fact:
        f["customer_id"] = adopted.get(f["order_id"], f["customer_id"])
    for row in rows:
        if row[0] in adopted:
            row[2] = _noisy_id(plan_rng, adopted[row[0]], profile["id_noise"])


def _plant_orphans(fact: list[dict], rows: list[list[str]], extra: int, movable: set[str], orphan_n: int,
                   profile: dict, plan_rng: random.Random) -> None:
    """Move whole orders of ``movable`` customers to new unknown customers until ``extra`` more fact lines are
    orphans; their extract rows carry the new id."""
    lines_of: dict[str, int] = defaultdict(int)
    for f in fact:
        if f["customer_id"] in movable:
            lines_of[f["order_id"]] += 1
    candidates = sorted(lines_of)
    plan_rng.shuffle(candidates)
    moved: dict[str, str] = {}
    for order_id in candidates:
        if 0 < lines_of[order_id] <= extra:
            moved[order_id] = f"C9{orphan_n + len(moved):04d}"
            extra -= lines_of[order_id]
    assert extra == 0, "not enough orders to plant the orphan lines"
    for f in fact:
        f["customer_id"] = moved.get(f["order_id"], f["customer_id"])
    for row in rows:
        if row[0] in moved:
            row[2] = _noisy_id(plan_rng, moved[row[0]], profile["id_noise"])


def _plant_unknown_skus(fact: list[dict], rows: list[list[str]], extra: int, skus: set[str], profile: dict,
                        plan_rng: random.Random) -> None:
    """Give ``extra`` more fact lines, and every extract row of those lines, SKUs the catalogue lacks."""
    assert extra >= 0, "more unknown-SKU lines drawn than the night's plan allows"
    moved = {}
    for f in plan_rng.sample([f for f in fact if f["sku"] in skus], extra):
        f["sku"] = f"ZZ-{plan_rng.randint(9000, 9999)}"
        moved[(f["order_id"], str(f["order_line"]))] = f["sku"]
    for row in rows:
        if (row[0], row[1]) in moved:
            row[3] = _noisy_id(plan_rng, moved[(row[0], row[1])], profile["id_noise"])


def _untidy_ids(rows: list[list[str]], columns: tuple[int, ...], aside: random.Random) -> None:
    """Some ids of every night's extract arrive untidy (stray spaces, lower case), as the data dictionary warns:
    when the profile's own draws left every id in ``columns`` tidy, a few rows get an untidy id, drawn from
    ``aside`` so that the nights that already had some do not shift."""
    if any(row[c] != row[c].strip().upper() for row in rows for c in columns):
        return
    for c in columns:
        for row in aside.sample(rows, max(3, len(rows) // 50)):
            row[c] = _noisy_id(aside, row[c], 1.0)


def _extract_customers(truth: dict, profile: dict, rng: random.Random,
                       aside: random.Random) -> tuple[list[list[str]], int]:
    rows, superseded = [], 0
    for c in truth["customers"]:
        final_at = dt.datetime.combine(c["signup_date"], dt.time(9)) + dt.timedelta(days=rng.randint(0, 300))
        versions = []
        if rng.random() < profile["customer_versions"]:
            old = dict(c)
            old["country"] = rng.choice([c for group in COUNTRIES.values() for c in group])
            old["email"] = c["email"].replace("@example.com", "@old-mail.example")
            versions.append((old, final_at - dt.timedelta(days=rng.randint(1, 90))))
            superseded += 1
        versions.append((c, final_at))
        for version, at in versions:
            signup = version["signup_date"]
            shown = signup.isoformat() if rng.random() < 0.7 else f"{signup.isoformat()} 00:00:00"
            rows.append([_noisy_id(rng, version["customer_id"], profile["id_noise"]), version["customer_name"],
                         version["email"], version["country"], shown, at.strftime("%Y-%m-%d %H:%M:%S")])
    _untidy_ids(rows, (0,), aside)
    rng.shuffle(rows)
    return rows, superseded


def _extract_products(truth: dict, profile: dict, rng: random.Random) -> tuple[list[list[str]], int]:
    rows, superseded = [], 0
    for p in truth["products"]:
        final_at = dt.datetime(2022, 6, 1) + dt.timedelta(days=rng.randint(0, 200))
        if rng.random() < 0.12:
            rows.append([_noisy_id(rng, p["sku"], 0.8), p["product_name"].upper(), p["category"],
                         (final_at - dt.timedelta(days=rng.randint(5, 50))).strftime("%Y-%m-%d %H:%M:%S")])
            superseded += 1
        rows.append([p["sku"], p["product_name"], p["category"], final_at.strftime("%Y-%m-%d %H:%M:%S")])
    rng.shuffle(rows)
    return rows, superseded


def _return_of(line: dict, n: int, draw: random.Random) -> tuple[list[str], dict]:
    """The ``n``-th return, of fact ``line``: its extract row and its truth."""
    day = line["day"] + dt.timedelta(days=draw.randint(3, 40))
    qty = draw.randint(1, line["quantity"])
    rid = f"R-{50000 + n}"
    row = [rid, line["order_id"], str(line["order_line"]), day.isoformat(), str(qty),
           draw.choice(["damaged", "wrong size", "not as described", "changed mind"])]
    refund = round(qty * line["unit_price"] * line["rate"], 2)
    return row, {"return_id": rid, "order_id": line["order_id"], "order_line": line["order_line"], "date": day,
                 "quantity": qty, "refund_usd": refund}


def _returns_to_whole_threshold(fact: list[dict], returns: list[tuple[list[str], dict]], issued: int,
                                plan_rng: random.Random) -> int:
    """Drop matched returns, or add returns of lines not yet returned, until they are the multiple of
    ``WHOLE_THRESHOLD_MATCHED_RETURNS`` nearest their count (one at least), so that the unmatched_returns
    threshold is a whole count of returns and a night at its edge sits exactly on it. ``issued`` is the number of
    return ids given so far; returns the number after the added returns."""
    target = max(1, round(len(returns) / WHOLE_THRESHOLD_MATCHED_RETURNS)) * WHOLE_THRESHOLD_MATCHED_RETURNS
    if len(returns) > target:
        kept = sorted(plan_rng.sample(range(len(returns)), target))
        returns[:] = [returns[k] for k in kept]
        return issued
    returned = {(r["order_id"], r["order_line"]) for _, r in returns}
    unreturned = [f for f in fact if f["status"] != "cancelled" and (f["order_id"], f["order_line"]) not in returned]
    added = plan_rng.sample(unreturned, target - len(returns))
    returns += [_return_of(line, issued + k, plan_rng) for k, line in enumerate(added, start=1)]
    return issued + len(added)


def _extract_returns(fact: list[dict], profile: dict, rng: random.Random, unmatched_state: str,
                     plan_rng: random.Random) -> tuple[list[list[str]], list[dict], dict]:
    returns = []
    for line in fact:
        if line["status"] == "cancelled" or rng.random() >= profile["return_rate"]:
            continue
        returns.append(_return_of(line, len(returns) + 1, rng))
    n = len(returns)
    if unmatched_state == "edge":
        n = _returns_to_whole_threshold(fact, returns, n, plan_rng)
    rows = [row for row, _ in returns]
    truth = [r for _, r in returns]
    days = sorted(line["day"] for line in fact)
    unmatched = _planted_count("unmatched_returns", unmatched_state, len(truth))
    assert unmatched >= 1, "every night has an unmatched return"
    for k in range(unmatched):
        n += 1
        day = rng.choice(days)
        rows.append([f"R-{50000 + n}", f"SO-{900000 + k}", "1", day.isoformat(), "1", "changed mind"])
    duplicates = [list(r) for r in rows if rng.random() < 0.04]
    rows += duplicates
    rng.shuffle(rows)
    return rows, truth, {"returns_exact_duplicates": len(duplicates), "returns_unmatched": unmatched}


def _kpis(fact: list[dict], returns: list[dict], known: set[str]) -> tuple[list[dict], list[dict]]:
    live = [f for f in fact if f["status"] != "cancelled"]
    gross: dict[str, float] = defaultdict(float)
    orders: dict[str, set] = defaultdict(set)
    active: dict[str, set] = defaultdict(set)
    for f in live:
        month = _ym(f["day"])
        gross[month] += f["revenue_usd"]
        orders[month].add(f["order_id"])
        if f["customer_id"] in known:
            active[month].add(f["customer_id"])
    refunds: dict[str, float] = defaultdict(float)
    for r in returns:
        refunds[_ym(r["date"])] += r["refund_usd"]
    months = sorted(set(gross) | set(refunds))
    y, m = map(int, months[0].split("-"))
    monthly, month = [], months[0]
    while month <= months[-1]:
        monthly.append({"month": month, "gross_revenue_usd": round(gross[month], 2),
                        "returns_usd": round(refunds[month], 2),
                        "net_revenue_usd": round(gross[month] - refunds[month], 2),
                        "orders": len(orders[month]), "active_customers": len(active[month])})
        y, m = _month_add(y, m, 1)
        month = f"{y:04d}-{m:02d}"
    first: dict[str, str] = {}
    by_month: dict[str, set] = defaultdict(set)
    for f in live:
        if f["customer_id"] in known:
            month = _ym(f["day"])
            first[f["customer_id"]] = min(first.get(f["customer_id"], month), month)
            by_month[month].add(f["customer_id"])
    last = max(_ym(f["day"]) for f in live)
    cohorts: dict[str, set] = defaultdict(set)
    for cid, month in first.items():
        cohorts[month].add(cid)
    retention = []
    for cohort in sorted(cohorts):
        y, m = map(int, cohort.split("-"))
        k, month = 0, cohort
        while month <= last:
            kept = len(cohorts[cohort] & by_month[month])
            retention.append({"cohort_month": cohort, "months_since_first_order": k, "cohort_size": len(cohorts[cohort]),
                              "active_customers": kept,
                              "retention_pct": round(100 * kept / len(cohorts[cohort]), 2)})
            k += 1
            y, m = _month_add(y, m, 1)
            month = f"{y:04d}-{m:02d}"
    return monthly, retention


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    if params["profile"] not in PROFILES or params["scenario"] not in SCENARIOS:
        raise ValueError(f"task.toml [variants]: profile must be one of {sorted(PROFILES)} and scenario one of "
                         f"{list(SCENARIOS)}; got {params['profile']!r}, {params['scenario']!r}")
    profile = {**PROFILES[params["profile"]], "scenario": params["scenario"]}
    if params["scenario"] == "fx_quote_switch" and "marketplace_jp" not in profile["systems"]:
        raise ValueError(f"task.toml [variants]: scenario fx_quote_switch needs a JPY channel; profile "
                         f"{params['profile']!r} has none")
    plan_rng = random.Random(f"{params['seed']}:{PLAN_STREAM}")
    plan = _release_plan(plan_rng)
    reference = _write_night(profile, random.Random(params["seed"]), input_dir, random.Random(f"{params['seed']}:aside"),
                             plan_rng, plan)
    notice = (HERE / f"notice_{params['scenario']}.md").read_text()
    if "fx_switch" in profile:
        notice = notice.replace("{fx_switch}", profile["fx_switch"].isoformat())
    (input_dir / "README.md").write_text((HERE / "data_dictionary.md").read_text() + "\n" + notice)
    (input_dir / "data_contract.md").write_text((HERE / "data_contract.md").read_text())
    hidden_dir = reference_dir / HIDDEN_NIGHT
    hidden_dir.mkdir()
    hidden_plan_rng = random.Random(f"{params['seed']}/hidden-night:{PLAN_STREAM}")
    hidden = _write_night(profile, random.Random(f"{params['seed']}/hidden-night"), hidden_dir,
                          random.Random(f"{params['seed']}/hidden-night:aside"), hidden_plan_rng,
                          _opposite_plan(plan, hidden_plan_rng))
    (reference_dir / "reference.json").write_text(json.dumps({**reference, "hidden": hidden}))


def _finance_totals(monthly: list[dict], plan: dict[str, str], rng: random.Random,
                    aside: random.Random) -> dict[str, float]:
    """Finance's booked sales per month: the warehouse's gross revenue, except in a month per finance rule the
    ``plan`` breaches, where the ledger differs by an injected gap (``FINANCE_GAPS``, random sign), and in
    ``TIMING_GAPS`` other months, which differ by a timing gap within the rules (``TIMING_GAP``, drawn from
    ``aside``)."""
    booked = {m["month"]: m["gross_revenue_usd"] for m in monthly if m["gross_revenue_usd"] > 0}
    months = sorted(booked)

    def book_gap(month: str, span: tuple[float, float], draw: random.Random) -> None:
        gap = draw.uniform(*span) * draw.choice([-1, 1]) / 100
        booked[month] = round(booked[month] / (1 + gap), 2)  # warehouse = finance * (1 + gap)

    gaps = [span for rule, span in FINANCE_GAPS.items() if plan[rule] == "past"]
    breached = rng.sample(months, len(gaps))
    for span, month in zip(gaps, breached, strict=True):
        book_gap(month, span, rng)
    for month in aside.sample([m for m in months if m not in breached], aside.randint(*TIMING_GAPS)):
        book_gap(month, TIMING_GAP, aside)
    return booked


def _release(monthly: list[dict], booked: dict[str, float], counts: dict[str, int], lines: int,
             returns: int) -> dict[str, Any]:
    """The release assessment the data contract prescribes, from the reference numbers."""
    gross = {m["month"]: m["gross_revenue_usd"] for m in monthly}
    gaps = {month: 100 * (gross.get(month, 0.0) - value) / value for month, value in booked.items()}
    pct = {
        "orphan_customer_line_pct": 100 * counts["orders_orphan_customer"] / lines,
        "unknown_sku_line_pct": 100 * counts["orders_unknown_sku"] / lines,
        "unmatched_return_pct": 100 * counts["returns_unmatched"] / returns,
    }
    blocking_months = sorted(m for m, gap in gaps.items() if abs(gap) > RELEASE_RULES["finance_break"][1])
    variance_months = sorted(m for m, gap in gaps.items()
                             if RELEASE_RULES["finance_variance"][1] < abs(gap) <= RELEASE_RULES["finance_break"][1])
    breached = {
        "orphan_customers": pct["orphan_customer_line_pct"] > RELEASE_RULES["orphan_customers"][1],
        "unknown_skus": pct["unknown_sku_line_pct"] > RELEASE_RULES["unknown_skus"][1],
        "finance_break": bool(blocking_months), "finance_variance": bool(variance_months),
        "unmatched_returns": pct["unmatched_return_pct"] > RELEASE_RULES["unmatched_returns"][1],
    }
    rules = sorted(rule for rule, hit in breached.items() if hit)
    severities = {RELEASE_RULES[rule][0] for rule in rules}
    decision = "hold" if "blocking" in severities else "publish_with_caveats" if severities else "publish"
    return {"decision": decision, "rules_breached": rules, "blocking_months": blocking_months,
            "variance_months": variance_months, "largest_finance_gap_pct": round(max(map(abs, gaps.values())), 4),
            **{k: round(v, 4) for k, v in pct.items()}}


def _write_night(profile: dict[str, Any], rng: random.Random, input_dir: Path, aside: random.Random,
                 plan_rng: random.Random, plan: dict[str, str]) -> dict[str, Any]:
    """Simulate one night's truth, write its dirty extracts to ``input_dir``, return the reference. ``aside`` is
    a stream of its own for draws added later, so that the nights drawn before them do not shift; ``plan`` is the
    night's release plan (``_release_plan``), which ``plan_rng`` plants."""
    truth = _truth(profile, rng)
    aliases = _merge_aliases(truth, profile, rng)
    order_rows, orders = _extract_orders(truth, profile, rng, aliases, aside, plan, plan_rng)
    customer_rows, cust_superseded = _extract_customers(truth, profile, rng, aside)
    product_rows, prod_superseded = _extract_products(truth, profile, rng)
    fact = orders["fact"]
    for f in fact:
        f["revenue_usd"] = round(f["quantity"] * f["unit_price"] * f["rate"], 2)
    return_rows, returns, return_counts = _extract_returns(fact, profile, rng, plan["unmatched_returns"], plan_rng)
    write_csv(input_dir / "orders.csv", ["order_id", "order_line", "customer_id", "sku", "quantity", "unit_price",
                                          "currency", "order_date", "source_system", "status", "extracted_at"],
               order_rows)
    write_csv(input_dir / "customers.csv", ["customer_id", "customer_name", "email", "country", "signup_date",
                                             "updated_at"], customer_rows)
    write_csv(input_dir / "products.csv", ["sku", "product_name", "category", "updated_at"], product_rows)
    write_csv(input_dir / "returns.csv", ["return_id", "order_id", "order_line", "return_date", "quantity", "reason"],
               return_rows)
    switch = profile.get("fx_switch") if profile["scenario"] == "fx_quote_switch" else None
    fx_rows = [[day.isoformat(), cur,
                f"{1 / rate:.4f}" if switch and cur == "JPY" and day >= switch
                else f"{rate:.8f}" if cur == "JPY" else f"{rate:.6f}"]
               for cur, series in truth["fx"].items() for day, rate in series]
    write_csv(input_dir / "fx_rates.csv", ["rate_date", "currency", "usd_per_unit"], sorted(fx_rows))
    if aliases:
        first, last = truth["fx"]["EUR"][0][0], truth["fx"]["EUR"][-1][0]
        merges = [[retired, surviving, (first + dt.timedelta(days=rng.randint(0, (last - first).days))).isoformat()]
                  for surviving, retired in aliases.items()]
        write_csv(input_dir / "customer_merges.csv", ["retired_id", "surviving_id", "merged_on"], sorted(merges))

    known = {c["customer_id"] for c in truth["customers"]}
    skus = {p["sku"] for p in truth["products"]}
    monthly, retention = _kpis(fact, returns, known)
    booked = _finance_totals(monthly, plan, rng, aside)
    write_csv(input_dir / FINANCE_FILE, ["month", "booked_sales_usd"],
              [[month, f"{value:.2f}"] for month, value in sorted(booked.items())])
    counts = {**orders["counts"], "customers_superseded_versions": cust_superseded,
              "products_superseded_versions": prod_superseded, **return_counts}
    release = _release(monthly, booked, counts, len(fact), len(returns) + counts["returns_unmatched"])
    assert release["rules_breached"] == sorted(rule for rule, state in plan.items() if state == "past"), (plan, release)
    return {
        "dim_customer": [{"customer_id": c["customer_id"], "customer_name": c["customer_name"], "email": c["email"],
                          "country": c["country"], "signup_date": c["signup_date"].isoformat()}
                         for c in truth["customers"]],
        "dim_product": [{"sku": p["sku"], "product_name": p["product_name"], "category": p["category"]}
                        for p in truth["products"]],
        "fact_order_line": [{
            "order_id": f["order_id"], "order_line": f["order_line"],
            "customer_id": f["customer_id"] if f["customer_id"] in known else "UNKNOWN",
            "sku": f["sku"] if f["sku"] in skus else "UNKNOWN", "date": f["day"].isoformat(),
            "source_system": f["system"], "quantity": f["quantity"], "unit_price": f["unit_price"],
            "currency": f["currency"], "usd_per_unit": f["rate"], "revenue_usd": f["revenue_usd"],
            "status": f["status"],
        } for f in fact],
        "fact_return": [{**r, "date": r["date"].isoformat()} for r in returns],
        "dq": counts, "monthly": monthly, "retention": retention, "release": release,
    }


# -- grading ------------------------------------------------------------------------------------

EXPORTS = {
    "dim_customer": "SELECT customer_key, customer_id, customer_name, email, country, signup_date FROM dim_customer",
    "dim_product": "SELECT product_key, sku, product_name, category FROM dim_product",
    "dim_date": "SELECT date_key, date, year, month, year_month, day_of_week FROM dim_date",
    "fact_order_line": (
        "SELECT f.order_id, f.order_line, c.customer_id, p.sku, d.date, f.source_system, f.quantity, f.unit_price, "
        "f.currency, f.usd_per_unit, f.revenue_usd, f.status, f.customer_key, f.product_key, f.date_key "
        "FROM fact_order_line f LEFT JOIN dim_customer c ON c.customer_key = f.customer_key "
        "LEFT JOIN dim_product p ON p.product_key = f.product_key LEFT JOIN dim_date d ON d.date_key = f.date_key"
    ),
    "fact_return": (
        "SELECT r.return_id, r.order_id, r.order_line, d.date, r.quantity, r.refund_usd, r.date_key "
        "FROM fact_return r LEFT JOIN dim_date d ON d.date_key = r.date_key"
    ),
    "db_monthly": (
        "WITH g AS (SELECT d.year_month AS month, SUM(f.revenue_usd) AS gross FROM fact_order_line f "
        "JOIN dim_date d ON d.date_key = f.date_key WHERE f.status <> 'cancelled' GROUP BY 1), "
        "r AS (SELECT d.year_month AS month, SUM(x.refund_usd) AS refunds FROM fact_return x "
        "JOIN dim_date d ON d.date_key = x.date_key GROUP BY 1) "
        "SELECT m.month, COALESCE(g.gross, 0) AS gross, COALESCE(r.refunds, 0) AS refunds FROM "
        "(SELECT month FROM g UNION SELECT month FROM r) m LEFT JOIN g USING (month) LEFT JOIN r USING (month)"
    ),
    "release_check": "SELECT rule, breached FROM release_check",
}
OPTIONAL_EXPORTS = {"release_check"}  # a build without it fails its own checks, not the schema gate


DATABASES = ("submitted", "rebuilt", "hidden")


def _export_script() -> str:
    lines = ["set -u", "mkdir -p out"]
    for db in DATABASES:
        lines.append(f"if [ -f {db}.db ]; then")
        for name, sql in EXPORTS.items():
            lines.append(f"  timeout 60 sqlite3 -readonly -csv -header {db}.db \"{sql}\" > out/{db}_{name}.csv "
                         f"2> out/{db}_{name}.err")
        lines.append("fi")
    return "\n".join(lines) + "\n"


def _parse(text: str) -> list[dict[str, str]]:
    return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in csv.DictReader(io.StringIO(text))]


def _rebuild(g: Grading, raw_dir: Path) -> tuple[Path | None, str]:
    """Run the submitted build.sql from scratch over the extracts in ``raw_dir``: (database, failure note)."""
    raw = {f"raw/{path.name}": path for path in sorted(raw_dir.glob("*.csv"))}
    result = g.run_tool(["bash", "-c", "sqlite3 warehouse.db < build.sql"],
                        files={**raw, "build.sql": g.output("build.sql")}, timeout=180)
    db = result.workdir / "warehouse.db"
    if result.ok and db.is_file():
        return db, ""
    return None, result.stderr[-400:] or f"exit {result.returncode}"


def _exports(g: Grading) -> tuple[dict[str, dict[str, list[dict]] | None], dict[str, str]]:
    """The fixed exports of the submitted database, of build.sql re-run on the task's extracts
    ("rebuilt") and of build.sql run on a hidden night's extracts ("hidden"); notes on failed builds."""
    files: dict[str, Path | str | bytes] = {"export.sh": _export_script(), "submitted.db": g.output("warehouse.db")}
    notes = {}
    for db, raw_dir in (("rebuilt", g.input_dir), ("hidden", g.reference(HIDDEN_NIGHT))):
        built, notes[db] = _rebuild(g, raw_dir)
        if built is not None:
            files[f"{db}.db"] = built
    result = g.run_tool(["bash", "export.sh"], files=files, timeout=180)
    out = result.workdir / "out"

    def load(db: str) -> dict[str, list[dict]] | None:
        tables = {}
        for name in EXPORTS:
            path = out / f"{db}_{name}.csv"
            err = out / f"{db}_{name}.err"
            if not path.is_file() or (err.is_file() and err.read_text().strip()):
                if name in OPTIONAL_EXPORTS:
                    tables[name] = []
                    continue
                return None
            tables[name] = _parse(path.read_text(errors="replace"))
        return tables

    return {db: load(db) for db in DATABASES}, notes


def _same_rows(a: list[dict], b: list[dict], cols: tuple[str, ...]) -> bool:
    def canon(rows: list[dict]) -> list[tuple]:
        out = []
        for row in rows:
            vals = []
            for c in cols:
                num = as_number(row.get(c))
                vals.append(round(num, 6) if num is not None else str(row.get(c, "")))
            out.append(tuple(str(v) for v in vals))
        return sorted(out)

    return canon(a) == canon(b)


def _grade_dims(g: Grading, sub: dict[str, list[dict]], ref: dict[str, Any], night: str = "") -> None:
    """The dimensions against the reference; ``night`` prefixes the check names."""
    customers = [r for r in sub["dim_customer"] if r.get("customer_key") != "0"]
    g.table(night + "dim_customer: one row per customer, latest attributes", customers, ref["dim_customer"],
            key="customer_id", columns={"customer_name": None, "email": None, "country": None, "signup_date": None},
            weight=1.5)
    products = [r for r in sub["dim_product"] if r.get("product_key") != "0"]
    g.table(night + "dim_product: one row per SKU, latest attributes", products, ref["dim_product"], key="sku",
            columns={"product_name": None, "category": None})
    unknown_c = [r for r in sub["dim_customer"] if r.get("customer_key") == "0"]
    unknown_p = [r for r in sub["dim_product"] if r.get("product_key") == "0"]
    g.check(night + "unknown members (key 0, id UNKNOWN) in both dimensions",
            [r.get("customer_id") for r in unknown_c] == ["UNKNOWN"] and [r.get("sku") for r in unknown_p] == ["UNKNOWN"],
            found={"customer": [r.get("customer_id") for r in unknown_c], "product": [r.get("sku") for r in unknown_p]})


def _grade_facts(g: Grading, sub: dict[str, list[dict]], ref: dict[str, Any], night: str = "") -> None:
    """The facts and date dimension against the reference; ``night`` prefixes the check names."""
    facts = sub["fact_order_line"]
    expected = ref["fact_order_line"]
    key = ("order_id", "order_line")
    g.table(night + "fact_order_line grain: deduplicated, latest version of each line", facts, expected, key=list(key),
            columns={"quantity": 0.0, "status": None, "unit_price": (0.0, 1e-9)}, weight=2)
    g.table(night + "fact_order_line FX conversion (as-of rate, revenue in USD)", facts, expected, key=list(key),
            columns={"currency": None, "usd_per_unit": (0.0, 1e-6), "revenue_usd": 0.011}, weight=2)
    g.table(night + "fact_order_line dimension mapping (customer, product, date)", facts, expected, key=list(key),
            columns={"customer_id": None, "sku": None, "date": None, "source_system": None})
    dates = sorted(r.get("date", "") for r in sub["dim_date"])
    contiguous = bool(dates) and all(
        _next_day(a) == b for a, b in itertools.pairwise(dates)
    )
    needed = {r["date"] for r in expected} | {r["date"] for r in ref["fact_return"]}
    dangling = sum(1 for r in facts if not r.get("customer_id") or not r.get("sku") or not r.get("date"))
    dangling += sum(1 for r in sub["fact_return"] if not r.get("date"))
    covered = needed <= set(dates)
    g.check(night + "referential integrity and a contiguous dim_date covering every fact date",
            contiguous and covered and dangling == 0,
            found={"dangling_fact_keys": dangling, "contiguous": contiguous, "covers_fact_dates": covered})
    wrong_days = [r.get("date", "") for r in sub["dim_date"] if not _date_attributes_ok(r)]
    g.check(night + "dim_date attributes: YYYYMMDD key, year, month, year_month, day_of_week (0 = Sunday)",
            bool(sub["dim_date"]) and not wrong_days, found={"rows_wrong": len(wrong_days), "first": wrong_days[:3]})
    g.table(night + "fact_return: deduplicated matched returns with USD refunds", sub["fact_return"], ref["fact_return"],
            key="return_id", columns={"order_id": None, "order_line": None, "date": None, "quantity": 0.0,
                                      "refund_usd": 0.011})


def _grade_release_check(g: Grading, sub: dict[str, list[dict]], ref: dict[str, Any], night: str = "") -> None:
    """The build's release_check table: every rule of the contract with its verdict on that night's extracts."""
    found = {r.get("rule", ""): as_number(r.get("breached")) for r in sub["release_check"]}
    expected = {rule: int(rule in ref["release"]["rules_breached"]) for rule in RELEASE_RULES}
    g.check(night + "release_check: each contract rule's verdict, computed by the build", found == expected,
            weight=1.5, expected=expected, found=found)


def _date_attributes_ok(row: dict[str, str]) -> bool:
    """A dim_date row's key and calendar attributes agree with its date, as the data contract defines them."""
    try:
        day = dt.date.fromisoformat(row.get("date", ""))
    except ValueError:
        return False
    numbers = {"date_key": int(day.strftime("%Y%m%d")), "year": day.year, "month": day.month,
               "day_of_week": (day.weekday() + 1) % 7}
    return row.get("year_month", "") == f"{day:%Y-%m}" and all(as_number(row.get(k)) == v for k, v in numbers.items())


def _next_day(text: str) -> str:
    try:
        return (dt.date.fromisoformat(text) + dt.timedelta(days=1)).isoformat()
    except ValueError:
        return "invalid"


def _grade_reports(g: Grading, sub: dict[str, list[dict]], ref: dict[str, Any]) -> None:
    dq = g.read_csv("dq_report.csv", required_columns=("check_name", "rows_affected"), gate=False)
    if dq is not None:
        expected = [{"check_name": k, "rows_affected": v} for k, v in ref["dq"].items()]
        g.table("data-quality report counts", dq, expected, key="check_name", columns={"rows_affected": 0.0},
                weight=1.5)
    monthly = g.read_csv("kpi_monthly_revenue.csv", gate=False, required_columns=(
        "month", "gross_revenue_usd", "returns_usd", "net_revenue_usd", "orders", "active_customers"))
    if monthly is not None:
        money = (0.10, 1e-6)
        g.table("monthly revenue KPIs match the reference recomputation", monthly, ref["monthly"], key="month",
                columns={"gross_revenue_usd": money, "returns_usd": money, "net_revenue_usd": money, "orders": 0.0,
                         "active_customers": 0.0}, weight=2)
        db_rows = [{"month": r["month"], "gross_revenue_usd": r["gross"], "returns_usd": r["refunds"]}
                   for r in sub["db_monthly"]]
        reported = [r for r in monthly if as_number(r.get("gross_revenue_usd")) or as_number(r.get("returns_usd"))]
        g.table("the monthly KPI report agrees with the submitted database", reported, db_rows, key="month",
                columns={"gross_revenue_usd": (0.02, 1e-6), "returns_usd": (0.02, 1e-6)})
    cohort = g.read_csv("kpi_cohort_retention.csv", gate=False, required_columns=(
        "cohort_month", "months_since_first_order", "cohort_size", "active_customers", "retention_pct"))
    if cohort is not None:
        g.table("cohort retention table matches the reference", cohort, ref["retention"],
                key=["cohort_month", "months_since_first_order"],
                columns={"cohort_size": 0.0, "active_customers": 0.0, "retention_pct": 0.011}, weight=2)


def _month_list(value: object) -> set[str] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return {v.strip() for v in value}


def _grade_release(g: Grading, ref: dict[str, Any]) -> None:
    """The release call: the completeness rates, the finance reconciliation and the decision the
    contract's criteria give for the reference numbers."""
    release = g.read_json("release_assessment.json", gate=False)
    if not isinstance(release, dict):
        release = {}
    expected = ref["release"]
    rates = ("orphan_customer_line_pct", "unknown_sku_line_pct", "unmatched_return_pct")
    wrong = {k: release.get(k) for k in rates
             if (v := as_number(release.get(k))) is None or abs(v - expected[k]) > 0.006}
    g.check("release rates: orphan-customer, unknown-SKU and unmatched-return percentages", not wrong,
            expected={k: round(expected[k], 2) for k in rates}, found=wrong or None)
    largest_gap = as_number(release.get("largest_finance_gap_pct"))
    g.check("finance reconciliation: largest monthly gap between gross revenue and booked sales",
            largest_gap is not None and abs(abs(largest_gap) - expected["largest_finance_gap_pct"]) <= 0.006,
            expected=round(expected["largest_finance_gap_pct"], 2), found=release.get("largest_finance_gap_pct"))
    months = {k: _month_list(release.get(k)) for k in ("blocking_months", "variance_months")}
    g.check("finance reconciliation: months breaking (> 2 %) and in variance (0.5-2 %)",
            all(months[k] == set(expected[k]) for k in months),
            expected={k: expected[k] for k in months}, found={k: release.get(k) for k in months}, weight=1.5)
    rules = _month_list(release.get("rules_breached"))
    g.check("release rules breached under the data contract", rules == set(expected["rules_breached"]),
            expected=expected["rules_breached"], found=release.get("rules_breached"), weight=1.5)
    decision = str(release.get("decision", "")).strip().lower()
    g.check("release decision (publish / publish_with_caveats / hold)", decision == expected["decision"],
            expected=expected["decision"], found=release.get("decision"), weight=2)


def grade(g: Grading) -> None:
    if not g.require_files(*DELIVERABLES):
        return
    ref = g.reference_json("reference.json")
    exports, notes = _exports(g)
    submitted, rebuilt, hidden = (exports[db] for db in DATABASES)
    if not g.check("warehouse.db has the specified star schema", submitted is not None, gate=True,
                   reason="" if submitted is not None else "a required table or column is missing or unreadable"):
        return
    assert submitted is not None
    reproduces = rebuilt is not None and all(
        _same_rows(submitted[t], rebuilt[t], tuple(submitted[t][0]) if submitted[t] else ())
        for t in ("dim_customer", "dim_product", "dim_date", "fact_order_line", "fact_return", "release_check")
    )
    g.check("build.sql rebuilds the submitted database from the raw extracts", reproduces, weight=2,
            reason="" if reproduces else (notes["rebuilt"] or "the rebuilt tables differ from the submitted ones"))
    _grade_dims(g, submitted, ref)
    _grade_facts(g, submitted, ref)
    _grade_release_check(g, submitted, ref)
    if g.check("build.sql builds the star schema from a hidden night's extracts", hidden is not None, weight=2,
               reason="" if hidden is not None else notes["hidden"] or "a required table or column is missing"):
        assert hidden is not None
        _grade_dims(g, hidden, ref["hidden"], night="hidden night: ")
        _grade_facts(g, hidden, ref["hidden"], night="hidden night: ")
        _grade_release_check(g, hidden, ref["hidden"], night="hidden night: ")
    _grade_reports(g, submitted, ref)
    _grade_release(g, ref)
