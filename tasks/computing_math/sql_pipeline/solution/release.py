#!/usr/bin/env python3
"""Release assessment of a warehouse build under the data contract's release criteria.

Usage: release.py kpi_monthly_revenue.csv dq_report.csv warehouse.db finance_monthly_sales.csv > release_assessment.json
"""
# ALE-CANARY-a9c4c53e-13f1-44b7-9939-8c1c4dbee7ea

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
