"""Campaign performance workbook: a marketing analyst's quarter in LibreOffice Calc.

The generator draws a quarter of daily campaign rows for one account (its channel mix, currencies, a
re-exported day and a campaign paused mid-quarter; each channel's ROAS level and spend from the seed, until the
rule's best-ROAS-first funding order decides the allocation and the halved cap holds money back), and computes
the clean data, the KPIs and the budget reallocation the brief's rule gives, at its cap and at half of it. The
grader opens the submitted workbook in a headless soffice (inspect_workbook.py, in a tool sandbox): it reads the
data sheet, the DataPilot's source and fields and its output, the KPI cells and whether they are formulas, and
the chart's type and data ranges; then it changes the data sheet's numbers, recalculates and checks that the KPIs
follow. Both reallocations are checked against the rule, and the summary must give each channel cut or funded its
move, in the rule's direction, with its own figure (a line that moves it the other way, in direction words or in
other words around its budget such as "lower its budget", "its budget should rise" or "move money into", keeps its
budget, denies its move or weighs both ways fails; a sentence naming channels on both sides of the move is read
clause by clause; the quarter's history, "its CPA increased" or "its spend went up in August", moves nothing).
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import math
import random
import re
from pathlib import Path

from lastexam.task import Grading, Params

from .mixes import MIXES, Mix

START, END = dt.date(2026, 7, 1), dt.date(2026, 9, 30)
LAST_MONTH = "2026-09"
FIELDS = ["date", "month", "channel", "campaign", "spend", "impressions", "clicks", "conversions", "revenue"]
EXPORT = ["date", "channel", "campaign", "currency", "spend", "impressions", "clicks", "conversions", "revenue"]
KPI_COLUMNS = ["channel", "spend", "impressions", "clicks", "conversions", "revenue", "ctr", "cpc", "cpa", "roas",
               "conversion_rate"]
SHEETS = ("Data", "Pivot", "KPI")
INSPECTOR = Path(__file__).with_name("inspect_workbook.py")


def kpis(spend: float, impressions: float, clicks: float, conversions: float, revenue: float) -> dict[str, float]:
    def ratio(a: float, b: float) -> float:
        return a / b if b else 0.0

    return {"spend": spend, "impressions": impressions, "clicks": clicks, "conversions": conversions,
            "revenue": revenue, "ctr": ratio(clicks, impressions), "cpc": ratio(spend, clicks),
            "cpa": ratio(spend, conversions), "roas": ratio(revenue, spend),
            "conversion_rate": ratio(conversions, clicks)}


def channel_totals(rows: list[dict]) -> dict[str, dict[str, float]]:
    totals: dict[str, list[float]] = {}
    for r in rows:
        t = totals.setdefault(str(r.get("channel", "")).strip(), [0.0] * 5)
        for i, f in enumerate(("spend", "impressions", "clicks", "conversions", "revenue")):
            t[i] += _num(r.get(f)) or 0.0
    return {c: kpis(*t) for c, t in totals.items()}


def reallocate(mix: Mix, roas: dict[str, float], budget: dict[str, float], cap_share: float,
               funding_order: list[str] | None = None) -> tuple[list[dict], float, float]:
    """The brief's rule with growth capped at ``cap_share``: rows per channel, the amount moved and the amount held
    back. ``funding_order`` (the channels at or above target) replaces the rule's best ROAS first, to see whether
    the order decides."""
    change = {c: 0.0 for c in roas}
    pool = 0.0
    for c in roas:
        if roas[c] < mix.target_roas:
            change[c] = -mix.cut_share * budget[c]
            pool -= change[c]
    freed = pool
    for c in funding_order or sorted(_recipients(mix, roas), key=roas.get, reverse=True):
        take = min(pool, cap_share * budget[c])
        change[c], pool = take, pool - take
    rows = [{"channel": c, "roas": roas[c], "current_budget": budget[c], "change": change[c],
             "new_budget": budget[c] + change[c],
             "action": "cut" if change[c] < 0 else "increase" if change[c] > 0 else "hold"} for c in roas]
    return rows, freed - pool, pool


def _recipients(mix: Mix, roas: dict[str, float]) -> list[str]:
    return [c for c in roas if roas[c] >= mix.target_roas]


def _deal(mix: Mix, rng: random.Random) -> dict[str, tuple[float, float]]:
    """Each channel's ROAS level, one of the account's levels drawn at random, and a factor on its daily spend: so
    which channels miss the target, and which the rule funds first, change with the seed."""
    levels = [ch.roas for ch in mix.channels]
    return {ch.name: (rng.choice(levels) * rng.uniform(0.85, 1.15), rng.uniform(0.5, 2.0)) for ch in mix.channels}


def _draw(mix: Mix, dealt: dict[str, tuple[float, float]], rng: random.Random) -> list[dict]:
    rows = []
    day = START
    paused_channel, paused_campaign, paused_from = mix.paused
    while day <= END:
        for ch in mix.channels:
            roas, spend_factor = dealt[ch.name]
            for campaign in ch.campaigns:
                paused = (ch.name, campaign) == (paused_channel, paused_campaign) and day.isoformat() >= paused_from
                spend = 0.0 if paused else round(ch.daily_spend * spend_factor * rng.uniform(0.7, 1.3), 2)
                impressions = round(spend / ch.cpm * 1000 * rng.uniform(0.85, 1.15))
                clicks = round(impressions * ch.ctr * rng.uniform(0.8, 1.2))
                conversions = round(clicks * ch.cvr * rng.uniform(0.6, 1.4))
                revenue = round(spend * roas * rng.uniform(0.5, 1.5), 2) if conversions else 0.0
                rows.append({"date": day.isoformat(), "channel": ch.name, "campaign": campaign,
                             "currency": ch.currency, "spend": spend, "impressions": impressions, "clicks": clicks,
                             "conversions": conversions, "revenue": revenue})
        day += dt.timedelta(days=1)
    return rows


def _clean(mix: Mix, export: list[dict]) -> list[dict]:
    seen, clean = set(), []
    for r in export:
        key = (r["date"], r["channel"], r["campaign"])
        if key in seen:
            continue
        seen.add(key)
        rate = mix.rates[r["currency"]]
        clean.append({"date": r["date"], "month": r["date"][:7], "channel": r["channel"], "campaign": r["campaign"],
                      "spend": r["spend"] * rate, "impressions": r["impressions"], "clicks": r["clicks"],
                      "conversions": r["conversions"], "revenue": r["revenue"] * rate})
    return clean


def _sound(mix: Mix, totals: dict[str, dict], budget: dict[str, float], moves: list[dict], held_at_half_cap: float) -> bool:
    """Every channel's ROAS clear of the target and of each other, the cap biting on the best channel, the funding
    order deciding the base plan's allocation (funded in any other plain order, some channel's budget would move by
    another amount: more than 2 % of the money freed), and the halved cap holding money back (more than 2 %)."""
    roas = {c: t["roas"] for c, t in totals.items()}
    ranked = sorted(roas.values())
    clear = all(abs(r - mix.target_roas) > 0.15 for r in ranked) and all(b - a > 0.15 for a, b in itertools.pairwise(ranked))
    best = max(moves, key=lambda m: m["roas"])
    change = {m["channel"]: m["change"] for m in moves}
    freed = -sum(c for c in change.values() if c < 0)
    recipients = _recipients(mix, roas)
    def allocates_otherwise(order: list[str]) -> bool:
        other = {m["channel"]: m["change"] for m in reallocate(mix, roas, budget, mix.cap_share, order)[0]}
        return max(abs(other[c] - change[c]) for c in recipients) > 0.02 * freed
    spend = {c: t["spend"] for c, t in totals.items()}
    other_orders = [recipients, sorted(recipients), sorted(recipients, reverse=True), sorted(recipients, key=roas.get),
                    sorted(recipients, key=budget.get), sorted(recipients, key=budget.get, reverse=True),
                    sorted(recipients, key=spend.get), sorted(recipients, key=spend.get, reverse=True)]
    return (clear and freed > 0 and math.isclose(best["change"], mix.cap_share * best["current_budget"])
            and all(allocates_otherwise(order) for order in other_orders) and held_at_half_cap > 0.02 * freed)


def _brief(mix: Mix) -> str:
    foreign = [f"1 {cur} = {rate:.4f} {mix.currency}" for cur, rate in mix.rates.items() if cur != mix.currency]
    fx = (f"Channels bill in their own currency (the export's `currency` column). Convert spend and revenue to "
          f"{mix.currency} at the finance team's quarter rate: {'; '.join(foreign)}." if foreign else
          f"All channels bill in {mix.currency}.")
    return f"""# Q3 2026 performance review: brief for the marketing analyst

Account: {mix.account}. Reporting currency: **{mix.currency}**. Period: 2026-07-01 to 2026-09-30.

## The export
`ad_export.csv` is the ad platform's daily export, as it came: one row per campaign and day is what the
platform should give, but the export job re-ran once during the quarter. Campaigns paused during the
quarter keep reporting rows of zeros. {fx}

## KPI definitions (per channel, over the quarter, on the cleaned data)
- CTR = clicks / impressions
- CPC = spend / clicks
- CPA = spend / conversions
- ROAS = revenue / spend
- Conversion rate = conversions / clicks

Ratios are plain fractions (0.034, not 3.4 %).

## Budget reallocation rule (for the Q4 monthly budgets)
- A channel's current monthly budget is its spend in September 2026 (the run rate we exit the quarter on).
- Target ROAS: **{mix.target_roas:.2f}**.
- Every channel whose quarter ROAS is below target is cut by {mix.cut_share:.0%} of its current budget.
- The money freed goes to the channels at or above target, best quarter ROAS first; no channel may grow
  by more than {mix.cap_share:.0%} of its current budget. Whatever no channel can absorb is held back
  (not spent).
- Channels neither cut nor increased keep their budget.

## Halved-cap case
Finance also wants the same rule applied with the cap halved: no channel may grow by more than
**{mix.cap_share / 2:.0%}** of its current budget (everything else as above).
"""


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    mix = MIXES[params["mix"]]
    for attempt in range(5000):
        dealt = _deal(mix, random.Random(f"{params['seed']}:levels:{attempt}"))
        if sum(roas >= mix.target_roas for roas, _ in dealt.values()) < 3:
            continue  # two funded channels or fewer: some plain order always funds them as best ROAS first does
        rng = random.Random(f"{params['seed']}:{attempt}")
        export = _draw(mix, dealt, rng)
        days = sorted({r["date"] for r in export if r["date"] < LAST_MONTH})
        repeated = rng.choice(days)
        export += [dict(r) for r in export if r["date"] == repeated]  # the re-run export job's rows, appended
        clean = _clean(mix, export)
        totals = channel_totals(clean)
        budget = {c: sum(r["spend"] for r in clean if r["channel"] == c and r["month"] == LAST_MONTH) for c in totals}
        roas = {c: t["roas"] for c, t in totals.items()}
        moves, moved, held = reallocate(mix, roas, budget, mix.cap_share)
        half_cap_moves, half_cap_moved, half_cap_held = reallocate(mix, roas, budget, mix.cap_share / 2)
        if _sound(mix, totals, budget, moves, half_cap_held):
            break
    else:
        raise RuntimeError("no sound quarter drawn")
    with open(input_dir / "ad_export.csv", "w", newline="") as out:
        writer = csv.DictWriter(out, EXPORT)
        writer.writeheader()
        for r in export:
            writer.writerow({**r, "spend": f"{r['spend']:.2f}", "revenue": f"{r['revenue']:.2f}"})
    (input_dir / "brief.md").write_text(_brief(mix))
    months = sorted({r["month"] for r in clean})
    pivot = {f"{c}|{m}": {f: sum(r[f] for r in clean if r["channel"] == c and r["month"] == m)
                          for f in ("spend", "revenue", "conversions")} for c in totals for m in months}
    row_keys = [[r["date"], r["channel"], r["campaign"], r["spend"], r["revenue"]] for r in clean]
    reference = {"rows": len(clean), "row_keys": row_keys, "duplicate_day": repeated, "totals": totals, "pivot": pivot, "moves": moves,
                 "moved": moved, "held": held, "target": mix.target_roas, "currency": mix.currency,
                 "half_cap": {"cap_share": mix.cap_share / 2, "moves": half_cap_moves, "moved": half_cap_moved,
                              "held": half_cap_held},
                 "donors": [m["channel"] for m in moves if m["action"] == "cut"],
                 "recipients": [m["channel"] for m in moves if m["action"] == "increase"]}
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=1))


# -- grading ----------------------------------------------------------------------------------

def _close(a: float, b: float, rel: float = 1e-4, abs_tol: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)


def _num(text: object) -> float | None:
    try:
        return float(str(text).replace(",", "").replace("%", "").strip())
    except ValueError:
        return None


def _day(value: object) -> str | None:
    """A Data cell's date as YYYY-MM-DD: a Calc date serial (days from 1899-12-30) or a date string."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (dt.date(1899, 12, 30) + dt.timedelta(days=int(value))).isoformat() if 0 < value < 2e6 else None
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%m/%d/%Y", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _row_verdict(ref: dict, rows: list[dict]) -> bool | str:
    """Every Data row is one campaign-day of the export, on its own date, with that day's spend and revenue."""
    want: dict[tuple, list[tuple[float, float]]] = {}
    for day, channel, campaign, spend, revenue in ref["row_keys"]:
        want.setdefault((day, channel, campaign), []).append((spend, revenue))
    wrong = []
    for r in rows:
        key = (_day(r.get("date")), str(r.get("channel", "")).strip(), str(r.get("campaign", "")).strip())
        money = (_num(r.get("spend")), _num(r.get("revenue")))
        options = want.get(key, [])
        match = next((i for i, (s, v) in enumerate(options) if money[0] is not None and money[1] is not None
                      and _close(money[0], s, 1e-6, 0.01) and _close(money[1], v, 1e-6, 0.01)), None)
        if match is None:
            wrong.append(f"{key[0] or r.get('date')!r} {key[1]} / {key[2]}")
        else:
            options.pop(match)
    left = sum(len(v) for v in want.values())
    return (not wrong and not left) or (f"{len(wrong)} rows not a campaign-day of the export as dated "
                                        f"(e.g. {wrong[:3]}), {left} campaign-days missing")


def _range_cells(rep: str) -> tuple[str, str, int, int] | None:
    """'$KPI.$J$2:$J$5' -> ('KPI', 'J', 2, 5) for a one-column range; None otherwise."""
    m = re.fullmatch(r"\$?'?([^.']+)'?\.\$?([A-Z]+)\$?(\d+)(?::(?:\$?'?[^.']+'?\.)?\$?([A-Z]+)\$?(\d+))?", rep.strip())
    if not m or (m.group(4) and m.group(4) != m.group(2)):
        return None
    return m.group(1), m.group(2), int(m.group(3)), int(m.group(5) or m.group(3))


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _perturbation(ref: dict) -> dict[str, list[float]]:
    """Factors the grader applies to each channel's spend, clicks, conversions, revenue and impressions on the data
    sheet (each row's numbers move by a factor of the row's own as well: inspect_workbook.ROW_FACTORS)."""
    factors = [[1.6, 1.0, 1.0, 0.5, 1.2], [1.0, 2.0, 1.5, 1.0, 0.7], [0.7, 1.0, 1.0, 1.9, 1.0], [1.0, 0.6, 2.0, 1.3, 1.5],
               [1.3, 1.3, 0.8, 0.8, 0.9]]
    return {c: factors[i % len(factors)] for i, c in enumerate(sorted(ref["totals"]))}


def _kpi_rows(cells: list[list], header: list[str]) -> dict[str, dict[str, float]]:
    col = {h: i for i, h in enumerate(header)}
    out = {}
    for row in cells:
        name = str(row[col["channel"]]["value"]).strip()
        if not name or name.lower().startswith("total"):
            continue
        out[name] = {k: row[col[k]]["value"] for k in KPI_COLUMNS[1:] if k in col}
    return out


def _grade_workbook(g: Grading, ref: dict, book: dict) -> dict[str, float]:
    totals = ref["totals"]
    channels = set(totals)

    # the data sheet: the cleaned rows, duplicates out, money in the reporting currency
    data = book["data"]
    missing = [f for f in FIELDS if f not in data["header"]]
    got = {}
    for r in data["rows"]:
        got.setdefault(str(r.get("channel", "")).strip(), []).append(r)
    def data_verdict(c: str) -> bool | str:
        rows = got.get(c, [])
        ok = all(_close(sum(_num(r.get(f)) or 0.0 for r in rows), totals[c][f]) for f in ("spend", "revenue", "clicks"))
        return ok or f"{len(rows)} rows, spend {sum(_num(r.get('spend')) or 0 for r in rows):.2f} vs {totals[c]['spend']:.2f}"
    verdicts = {c: data_verdict(c) for c in sorted(channels)}
    verdicts["row count"] = data["count"] == ref["rows"] or f"{data['count']} rows, {ref['rows']} expected"
    verdicts["each row's date, campaign, spend and revenue"] = _row_verdict(ref, data["rows"])
    if missing:
        verdicts["columns"] = f"missing {missing}"
    g.fraction("the Data sheet holds the cleaned quarter in the reporting currency", verdicts, weight=2)

    # the DataPilot: on the data sheet's rows, channel x month, sums of spend, revenue, conversions
    pivots = book["pivots"]
    def pivot_ok(p: dict) -> bool:
        src = p["source"]
        return (src["sheet"] == "Data" and src["first_row"] == 0 and src["last_row"] >= data["count"]
                and {"channel"} <= set(p["row_fields"]) and {"month"} <= set(p["column_fields"])
                and {"spend", "revenue", "conversions"} <= {f for f, fn in p["data_fields"] if fn == "SUM"})
    good = [p for p in pivots if pivot_ok(p)]
    g.check("a DataPilot of spend, revenue and conversions by channel x month over all the data rows", bool(good),
            weight=2, found=[{k: p[k] for k in ("source", "row_fields", "column_fields", "data_fields")} for p in pivots],
            reason="" if good else "no pivot table with Data as its full source, channel rows, month columns and sums")
    numbers = [v for p in good for v in p["numbers"]]
    def shown(v: float) -> bool:
        return any(_close(x, v, 1e-4, 0.01) for x in numbers)
    cells = {f"{key} {f}": shown(v) or "not in the pivot output"
             for key, fields in ref["pivot"].items() for f, v in fields.items() if v}
    g.fraction("the pivot's output shows every channel x month sum", cells if good else {"pivot": "none"}, weight=1)

    # the KPI sheet: the right numbers, as formulas over the data sheet
    kpi = book["kpi"]
    header_ok = all(k in kpi["header"] for k in KPI_COLUMNS)
    before = _kpi_rows(kpi["rows"], kpi["header"]) if header_ok else {}
    def kpi_verdict(c: str) -> bool | str:
        row = before.get(c)
        if row is None:
            return "no KPI row"
        wrong = [k for k in KPI_COLUMNS[1:] if not _close(_num(row.get(k)) or 0.0, totals[c][k])]
        return not wrong or f"wrong {wrong}"
    g.fraction("the KPI sheet's figures per channel", {c: kpi_verdict(c) for c in sorted(channels)}
               if header_ok else {"header": f"columns {kpi['header']}"}, weight=3)
    formulas = [cell["formula"] for row in kpi["rows"] for cell in row[1:len(KPI_COLUMNS)]]
    g.check("the KPI cells are formulas", header_ok and bool(formulas) and all(f.startswith("=") for f in formulas),
            weight=1, reason=f"{sum(not f.startswith('=') for f in formulas)} of {len(formulas)} KPI cells hold values")
    after = _kpi_rows(book["perturbed"]["kpi_rows"], kpi["header"]) if header_ok else {}
    expected_after = channel_totals(book["perturbed"]["data"])
    def follows(c: str) -> bool | str:
        row, want = after.get(c), expected_after.get(c)
        if row is None or want is None:
            return "no KPI row"
        wrong = [k for k in KPI_COLUMNS[1:] if not _close(_num(row.get(k)) or 0.0, want[k], 1e-6)]
        return not wrong or f"after the data changed: {wrong} did not follow"
    g.fraction("the KPIs recalculate when the data sheet changes", {c: follows(c) for c in sorted(channels)}
               if header_ok else {"header": "no KPI table"}, weight=3)

    # the chart: ROAS by channel, its series on the KPI sheet's ROAS cells and channel names
    rows_at = sorted(kpi["channel_rows"].get(c, -1) for c in channels)
    roas_col = _column_letter(kpi["header"].index("roas")) if "roas" in kpi["header"] else "?"
    chan_col = _column_letter(kpi["header"].index("channel")) if "channel" in kpi["header"] else "?"
    contiguous = rows_at == list(range(rows_at[0], rows_at[0] + len(rows_at))) and rows_at[0] > 0
    want_values = ("KPI", roas_col, rows_at[0] + 1, rows_at[-1] + 1) if contiguous else None
    want_names = ("KPI", chan_col, rows_at[0] + 1, rows_at[-1] + 1) if contiguous else None
    def chart_ok(ch: dict) -> bool:
        values = [_range_cells(v) for v in ch["values"]]
        return (ch["type"].endswith(("ColumnChartType", "BarChartType")) and values == [want_values]
                and _range_cells(ch["categories"] or "") == want_names)
    charts = book["charts"]
    g.check("a bar chart of ROAS by channel on the KPI cells", any(chart_ok(ch) for ch in charts), weight=2,
            expected={"values": want_values, "categories": want_names}, found=charts[:3])
    return {c: _num(r.get("roas")) or 0.0 for c, r in before.items()}


def _grade_reallocation(g: Grading, case: str, moves: list[dict], rows: list[dict], kpi_roas: dict[str, float],
                        weight: int) -> None:
    want = {m["channel"]: m for m in moves}
    found = {r["channel"].strip(): r for r in rows}
    def verdict(c: str) -> bool | str:
        r = found.get(c)
        if r is None:
            return "missing"
        w = want[c]
        money = all(_close(_num(r.get(f)) or 0.0, w[f], 1e-3, 1.0) for f in ("current_budget", "change", "new_budget"))
        return ((money and _close(_num(r.get("roas")) or 0.0, w["roas"], 1e-3, 1e-3)
                 and r.get("action", "").strip().lower() == w["action"])
                or f"found {[r.get(f) for f in ('roas', 'current_budget', 'change', 'new_budget', 'action')]}")
    verdicts = {c: verdict(c) for c in want}
    verdicts.update({c: "not a channel of the export" for c in found if c not in want})
    g.fraction(f"the {case} applies the brief's rule to every channel", verdicts, weight=weight)
    consistent = bool(kpi_roas) and all(c in kpi_roas and _close(_num(r.get("roas")) or 0.0, kpi_roas[c], 1e-3, 1e-3)
                                        for c, r in found.items())
    g.check(f"the {case}'s ROAS are the workbook's", consistent, weight=1)


def _numbers(text: str) -> list[float]:
    return [float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)]


def _has(numbers: list[float], amount: float) -> bool:
    return any(abs(n - abs(amount)) <= max(1.0, 0.001 * abs(amount)) for n in numbers)


# the direction words, and the moves put in other words around the budget ("lower its budget", "budget goes up",
# "move money into", "take spend out of", "its budget will be higher", "spend less on", "loses budget", "should be
# scaled", "should be paused", "deserves more", "de-prioritised"); a budget
# compared ("higher than") or told in the past ("was lower") is no move
_MONEY = r"(?:budgets?|spend\w*|money|funding|allocations?|investments?|shares?|mix)"
_MONEY_WILL_BE = rf"\b{_MONEY}\W+(?:(?!(?:was|were|but|and|while)\b)\w+\W+){{0,3}}?"
_CUT_WORDS = re.compile(r"\b(?:cut|cuts|cutting|reduc\w*|decreas\w*|trim\w*|scal\w*\s+(?:back|down))\b"
                        rf"|\b(?:lower\w*|slash\w*|shrink\w*|less|fewer|smaller|halv\w*)\b(?!\s+than)\W+(?:\w+\W+){{0,3}}?{_MONEY}\b"
                        rf"|\b{_MONEY}\W+(?:\w+\W+){{0,3}}?(?:lowered|goes\s+down|go\s+down|down|falls?|falling|fell|"
                        r"drops?|dropp\w*|halv\w*|shrinks?|shrinking)\b"
                        rf"|{_MONEY_WILL_BE}(?:lower|smaller|less)\b(?!\s+than)|\bspend(?:ing)?\s+(?:\w+\s+)?less\b"
                        rf"|\blos(?:e|es|ing)\W+(?:\w+\W+){{0,2}}?{_MONEY}\b|\bpull\w*\s+back\b"
                        r"|\b(?:mov|shift|tak|pull|withdraw)\w*\W+(?:\w+\W+){0,3}?(?:out\s+of|away\s+from)\b"
                        r"|\bde-?prioriti[sz]\w*|\b(?:down|under)-?weight\w*"
                        # a pause to come ("should be paused", "pause Meta"), not the campaigns paused in the quarter
                        r"|\b(?:should|will|must|shall|to|would)\s+(?:be\s+)?paused?\b|^\W*pause\b"
                        r"|\b(?:wind|winds|winding|wound)\s+down\b")
_RAISE_WORDS = re.compile(r"\b(?:increas\w*|rais\w*|boost\w*|grow\w*|expand\w*|funded|gains?|adds?|"
                          r"added|additional|extra|top(?:s|ped)?\s+up|scal\w*\s+up)\b"
                          r"|\b(?:gets?|receiv\w*)\b(?!\W+(?:\w+\W+)?(?:less|smaller|fewer|lower|reduced|no|nothing)\b)"
                          rf"|\b(?:more|higher|bigger|larger|greater|doubl\w*)\b(?!\s+than)\W+(?:\w+\W+){{0,3}}?{_MONEY}\b"
                          rf"|{_MONEY_WILL_BE}(?:higher|bigger|larger|greater)\b(?!\s+than)"
                          r"|\bspend(?:ing)?\s+(?:\w+\s+)?more\b|\binvest\w*\s+more\b|\bdouble\s+down\b|(?<!de-)\bprioriti[sz]\w*"
                          # "Meta should be scaled", "scale Meta", not "at scale", "was scaled in July" or "scaled back"
                          r"|(?<!\bat\s)(?<!\bof\s)(?<!\ba\s)(?<!\bthe\s)(?<!\bwas\s)(?<!\bwere\s)(?<!\bbeen\s)"
                          r"\bscal(?:e|es|ed|ing)\b(?!\W+(?:back|down|of|factors?)\b)"
                          r"|(?<!\bin\s)\bfavou?r(?:s|ed|ing)?\b(?!\s+of\b)|\b(?:given|gets?|top|high|first)\s+priority\b"
                          r"|\b(?:deserv|merit|warrant)\w*\s+more\b|\bup-?weight\w*"
                          rf"|\bwin\w*\W+(?:\w+\W+){{0,2}}?{_MONEY}\b"
                          rf"|\b{_MONEY}\W+(?:\w+\W+){{0,3}}?(?:raised|goes\s+up|go\s+up|up|rises?|rising|rose|"
                          r"doubl\w*|climbs?|climbing)\b"
                          r"|\b(?:mov|shift|put|pour|channel|invest)\w*\W+(?:\w+\W+){0,3}?into\b")
# a budget kept ("its budget is frozen", "stays untouched"), not a spend that was flat in the quarter
_KEPT = r"(?:unchanged|untouched|unaltered|frozen|flat|the\s+same|as\s+is)"
_HOLD_WORDS = re.compile(r"\b(?:keep|keeps|kept|hold|holds|maintain\w*|freez\w*)\b(?:\W+\w+){0,3}?\W+(?:budget|spend|level)"
                         rf"|\b(?:budget|spend)\w*(?:\W+(?!(?:was|were)\b)\w+){{0,3}}?\W+{_KEPT}\b"
                         rf"|\b(?:stays?|remains?|left)\s+{_KEPT}\b|\bno\s+change\b")
# the quarter's history, not the budget move: a performance figure that changed ("its CPA increased", "ROAS fell"),
# or the spend that changed in a past month or over the quarter ("Meta's spend went up in August"), not one that will
# ("Meta's spend will increase over the quarter", "is to rise during"), or a share or budget it had ("had the larger
# share of spend")
_MODAL = r"(?!(?:will|would|should|shall|must|can|could|may|might|to|going|needs?|let)\b)"
_CHANGED = r"(?:increas\w*|decreas\w*|rises?|rising|rose|risen|grows?|grew|grown|climb\w*|jump\w*|falls?|fell|" \
           r"fallen|drops?|dropped|declin\w*|slipp?\w*|doubl\w*|halv\w*|went\s+(?:up|down)|(?:was|were)\s+(?:up|down))"
_HISTORY = re.compile(r"\b(?:cpa|cpc|cpm|ctr|roas|cvr|costs?|conversions?|conversion\s+rate|revenue|sales|clicks?|"
                      rf"impressions?|returns?)(?:\s+[a-z']+){{0,3}}?\s+{_CHANGED}\b"
                      rf"|\bspend\w*(?:\s+{_MODAL}[a-z']+){{0,3}}?\s+{_CHANGED}(?:\s+[a-z']+){{0,3}}?\s+"
                      r"(?:in\s+(?:july|august|september|q3)|during|over\s+the\s+quarter|last\s+(?:month|quarter))\b"
                      r"|\b(?:had|was|were)\s+(?:\w+\s+){0,2}?(?:larger|bigger|higher|greater|smaller|lower|more|less|fewer)\b")
_SIGNED = re.compile(r"(?<![\w.])([-+\u2212])\s?(\d[\d,]*(?:\.\d+)?)")
# a negation a few words before a direction word, in its clause ("is not cut", "will not be cut", "is not going to be
# cut", "will not, in the end, be cut"); "misses target, so is cut" is no negation of the cut
_NEGATED = re.compile(r"\b(?:not|no|never|nor|without)\b(?:\W+\w+){0,3}?\W+$|n't(?:\W+\w+){0,3}?\W+$")
_ASIDE = re.compile(r",[^,]{0,30},")
_CLAUSE = re.compile(r"[;:.()]|,|\b(?:so|and|but|therefore|thus|hence|then|because|since|while|whereas)\b")
_HEDGE = re.compile(r"\b(?:or|either|whether)\b")
_SIDES = re.compile(r"[,;:()]|\b(?:while|whilst|whereas|but)\b")


def _negated(passage: str, at: int) -> bool:
    before = _ASIDE.sub(" ", passage[max(0, at - 60):at])
    return bool(_NEGATED.search(_CLAUSE.split(before)[-1] if _CLAUSE.search(before) else before))


def _directions(passage: str, move: dict | None = None) -> set[str]:
    """The ways a passage moves a channel's budget: "cut" and "increase" by its direction words, the channel's
    own change figure signed, or its current and new budgets given in that order; {"hedged"} when it weighs
    both ways ("cut or increase"), empty when it says neither. Both ways may be found in one passage that
    also tells the channel's history ("its CPA increased, so it is cut")."""
    history = [range(*m.span()) for m in _HISTORY.finditer(passage)]
    found = [(m.start(), f"not {way}" if _negated(passage, m.start()) else way)
             for way, words in (("cut", _CUT_WORDS), ("increase", _RAISE_WORDS)) for m in words.finditer(passage)
             if not any(m.start() in told for told in history)]
    found += [(m.start(), "hold") for m in _HOLD_WORDS.finditer(passage) if not _negated(passage, m.start())]
    if move is not None:
        found += [(m.start(), "cut" if m.group(1) in "-\u2212" else "increase") for m in _SIGNED.finditer(passage)
                  if _has(_numbers(m.group(2)), move["change"])]
        at = {f: [m.start() for m in re.finditer(r"\d[\d,]*(?:\.\d+)?", passage) if _has(_numbers(m.group()), move[f])]
              for f in ("current_budget", "new_budget")}
        if at["current_budget"] and at["new_budget"] and min(at["current_budget"]) < max(at["new_budget"]):
            found.append((min(at["current_budget"]), move["action"]))
    first = {way: at for at, way in sorted(found, reverse=True)}
    if len(first) >= 2 and _HEDGE.search(passage[min(first.values()):max(first.values())]):
        return {"hedged"}
    return set(first)


def _grade_summary(g: Grading, ref: dict, text: str) -> None:
    lowered = text.lower()
    numbers = _numbers(text)
    names = all(c.lower() in lowered for c in ref["donors"] + ref["recipients"])
    held = ref["half_cap"]["held"]
    g.check("the summary names the channels cut and funded, the amount moved and the amount held at the halved cap",
            names and _has(numbers, ref["moved"]) and _has(numbers, held), weight=2,
            expected={"cut": ref["donors"], "funded": ref["recipients"], "moved": round(ref["moved"], 2),
                      "held at the halved cap": round(held, 2)})
    # each channel cut or funded is stated with its own figure (its ROAS, change or budget) and the direction of
    # its move, in a line or sentence that does not also name a channel on the other side of the move; and no
    # such line moves it the other way or leaves the direction open
    # (a line under a heading such as "Channels cut:" moves the way the heading says unless it says otherwise)
    moves = {m["channel"]: m for m in ref["moves"]}
    passages: list[tuple[str, str | None]] = []
    heading: str | None = None
    for line in text.splitlines():
        is_heading = re.match(r"\s*#", line) is not None or (
            line.rstrip().endswith(":") and not any(c.lower() in line.lower() for c in moves))
        if is_heading:
            one_way = not (_CUT_WORDS.search(line.lower()) and _RAISE_WORDS.search(line.lower()))
            heading = next(iter(_directions(line.lower())), None) if one_way else None
        passages += [(p, heading) for p in re.split(r"(?<=[.;!?])\s+(?=[A-Z*_-])", line) if p.strip()]
    def stated(c: str) -> bool | str:
        others = ref["recipients"] if c in ref["donors"] else ref["donors"]
        def alone(text: str) -> bool:
            return c.lower() in text.lower() and not any(o.lower() in text.lower() for o in others)
        # a sentence that names both sides is read clause by clause ("Meta is cut, while Display gets more")
        own = [(q, under) for p, under in passages
               for q in ([p] if alone(p) else _SIDES.split(p)) if alone(q)]
        action = moves[c]["action"]
        # denying the other way ("LinkedIn is not cut") agrees with the move and states nothing of it
        other_way_denied = {f"not {way}" for way in ("cut", "increase") if way != action}
        ways = {p: (_directions(p.lower(), moves[c]) | ({under} - {None})) - other_way_denied for p, under in own}
        if wrong := [p for p, said in ways.items()
                     if (said and action not in said) or "hedged" in said or f"not {action}" in said]:
            return f"{c} is to be {moves[c]['action']}, but the summary says: {wrong[0].strip()[:120]!r}"
        for p in ways:
            numbers = _numbers(p)
            if ways[p] and (
                    any(_has(numbers, moves[c][f]) for f in ("change", "new_budget", "current_budget"))
                    or any(abs(n - moves[c]["roas"]) <= 0.006 for n in numbers)):
                return True
        return (f"no line naming {c} (and no channel on the other side) with its move ({moves[c]['action']}) and "
                f"its ROAS {moves[c]['roas']:.2f}, change {moves[c]['change']:.2f} or budget "
                f"{moves[c]['new_budget']:.2f}")
    g.fraction("the summary gives each channel cut or funded its move and its own figure",
               {c: stated(c) for c in ref["donors"] + ref["recipients"]} or {"moves": True}, weight=2)


def grade(g: Grading) -> None:
    if not g.require_files("campaign_performance.ods", "reallocation.csv", "reallocation_halved_cap.csv", "summary.md"):
        return
    ref = g.reference_json("reference.json")
    run = g.run_tool(["/usr/bin/python3", "inspect_workbook.py", "campaign_performance.ods", "perturb.json"],
                     {"inspect_workbook.py": INSPECTOR, "campaign_performance.ods": g.output("campaign_performance.ods"),
                      "perturb.json": json.dumps(_perturbation(ref))}, timeout=180, memory_mb=3072)
    report = run.workdir / "report.json"
    book = json.loads(report.read_text()) if run.returncode == 0 and report.exists() else None
    if not g.check("the workbook opens in Calc with sheets Data, Pivot and KPI", isinstance(book, dict) and
                   not book.get("error"), gate=True,
                   reason=(book or {}).get("error") or run.stderr[-400:]):
        return
    kpi_roas = _grade_workbook(g, ref, book)
    for case, name, moves, weight in (("reallocation", "reallocation.csv", ref["moves"], 3),
                                      ("halved-cap reallocation", "reallocation_halved_cap.csv",
                                       ref["half_cap"]["moves"], 2)):
        rows = g.read_csv(name, required_columns=["channel", "roas", "current_budget", "change", "new_budget", "action"])
        if rows is not None:
            _grade_reallocation(g, case, moves, rows, kpi_roas, weight)
    text = g.read_text("summary.md")
    if text is not None:
        _grade_summary(g, ref, text)
