"""Board pack deck: a finance business partner's monthly board slides in LibreOffice Impress.

The generator draws a year-to-date of monthly management accounts (actual, budget, prior year by P&L
line) for one company, a reclass journal posted after the ledger export and a one-off item in the
month, the cash and KPI history, and the company's Impress template. The reference (the month's P&L
table after the reclass, its variances, the top three by size, the chart series, the cash figures) is
computed from that truth. The grader opens the submitted deck in a headless soffice (inspect_deck.py,
in a tool sandbox) and reads each slide's master page (its name and the template's band and logo on it),
title, texts (those of visible shapes on the page; the commentary's direction words read with their negations and
checked against the signs written beside them; a second direction word in a bullet counts against it unless it is
clearly about something else, another period, a driver or a what-if that did not happen, a trailing condition or a
dispute hedges it, and a reading without the one-off is held to the variance without it), table cells, chart data
and placement (on the slide, at a readable size) and speaker notes (the commentary's name the journal's lines and the one-off's with their amounts); it reads
the PDF's pages and text (the commentary's lines and figures printed on its page), renders its pages (the
template's page size and band must show, and the chart where the deck places it, its series names and months
inked where the PDF's text puts them), and cross-checks variances.csv against the slide table.
"""

from __future__ import annotations

import calendar
import csv
import json
import math
import random
import re
from pathlib import Path

import numpy as np

from lastexam.task import Grading, Params

from .companies import COMPANIES, Company
from .template import write_template

YEAR = 2026
INSPECTOR = Path(__file__).with_name("inspect_deck.py")
CSV_COLUMNS = ["line", "actual", "budget", "variance", "variance_pct", "prior_year", "variance_py",
               "variance_py_pct", "top3_rank"]
SLIDE_TITLES = ["P&L summary", "Revenue and EBITDA vs budget", "Variance commentary", "Cash and KPIs"]
SERIES = ["Revenue actual", "Revenue budget", "EBITDA actual", "EBITDA budget"]


def deck_title(company: Company, month: int) -> str:
    return f"{company.name} board pack: {calendar.month_name[month]} {YEAR}"


def detail_lines(company: Company) -> list[str]:
    return [*company.revenue, company.cost_of_sales[0], *company.overheads]


def table_lines(company: Company) -> list[str]:
    return [*company.revenue, "Total revenue", company.cost_of_sales[0], "Gross profit", *company.overheads, "EBITDA"]


def pct(variance: float, base: float) -> float:
    return round(100 * variance / abs(base), 1) + 0.0 if base else 0.0


def summary_table(company: Company, figures: dict[str, dict[str, float]]) -> list[dict]:
    """The P&L summary rows from detail figures (costs as positive amounts): subtotals and favourable-positive
    variances against budget and prior year, percentages on the comparative's base."""
    revenue_lines = set(company.revenue)
    rows = dict(figures)
    cos = company.cost_of_sales[0]
    for key in ("actual", "budget", "prior_year"):
        revenue = sum(figures[r][key] for r in company.revenue)
        gross = revenue - figures[cos][key]
        rows.setdefault("Total revenue", {})[key] = revenue
        rows.setdefault("Gross profit", {})[key] = gross
        rows.setdefault("EBITDA", {})[key] = gross - sum(figures[o][key] for o in company.overheads)
    out = []
    for line in table_lines(company):
        r = rows[line]
        sign = -1 if line not in revenue_lines | {"Total revenue", "Gross profit", "EBITDA"} else 1
        var, var_py = sign * (r["actual"] - r["budget"]), sign * (r["actual"] - r["prior_year"])
        out.append({"line": line, "actual": r["actual"], "budget": r["budget"], "variance": var,
                    "variance_pct": pct(var, r["budget"]), "prior_year": r["prior_year"], "variance_py": var_py,
                    "variance_py_pct": pct(var_py, r["prior_year"])})
    return out


def top_three(company: Company, table: list[dict]) -> list[str]:
    details = [r for r in table if r["line"] in detail_lines(company)]
    return [r["line"] for r in sorted(details, key=lambda r: -abs(r["variance"]))[:3]]


def _draw(company: Company, month: int, rng: random.Random) -> tuple[dict, int, int]:
    """Monthly figures per detail line (true, after the reclass; costs positive), the reclass and one-off amounts."""
    figures: dict[int, dict[str, dict[str, float]]] = {}
    base = {**company.revenue, company.cost_of_sales[0]: company.cost_of_sales[1], **company.overheads}
    for m in range(1, month + 1):
        season = 1 + 0.08 * math.sin(2 * math.pi * (m - 3) / 12)
        figures[m] = {}
        for line, b in base.items():
            budget = round(b * season * rng.uniform(0.95, 1.05))
            spread = 0.16 if m == month else 0.05
            figures[m][line] = {"budget": budget, "actual": round(budget * (1 + rng.uniform(-spread, spread))),
                                "prior_year": round(budget * rng.uniform(0.82, 1.02))}
    frm, _, _ = company.reclass
    reclass = round(base[frm] * rng.uniform(0.12, 0.3))
    one_off = round(base[company.one_off[0]] * rng.uniform(0.2, 0.4))
    figures[month][company.one_off[0]]["actual"] += one_off
    return figures, reclass, one_off


def _sound(company: Company, true_table: list[dict], raw_table: list[dict]) -> bool:
    """The reclass changes the top three, the signed ranking differs from the absolute one, and the
    third and fourth largest variances are clear of each other."""
    details = sorted((r for r in true_table if r["line"] in detail_lines(company)), key=lambda r: -abs(r["variance"]))
    signed = sorted(details, key=lambda r: -r["variance"])[:3]
    clear = abs(details[2]["variance"]) - abs(details[3]["variance"]) >= 3 and abs(details[2]["variance"]) >= 8
    return (clear and set(top_three(company, raw_table)) != set(top_three(company, true_table))
            and {r["line"] for r in signed} != {r["line"] for r in details[:3]}
            and all(r["budget"] and r["prior_year"] for r in true_table))


def _ledger_sign(company: Company, line: str) -> int:
    return -1 if company.costs_negative and line not in company.revenue else 1


def _brief(company: Company, month: int, one_off: int) -> str:
    sign = ("Revenue is positive and costs are **negative** (the ledger's credit/debit sign)." if company.costs_negative
            else "All amounts are positive: revenue and costs alike.")
    return f"""# Board pack: {calendar.month_name[month]} {YEAR}, brief for the finance business partner

Company: {company.name}. Amounts in {company.currency} thousands.

## Inputs
- `management_accounts.csv`: the ledger's management accounts export, one row per month and P&L line, with
  the month's actual, budget and prior-year figures. {sign}
- `journals.csv`: journals posted **after** the export above; they belong in this month's actuals.
- `cash_kpis.csv`: month-end closing cash ({company.currency} thousands), headcount and debtor days.
- `company_template.otp`: the company's Impress template. Every slide of the pack is on its master page.

## Slides, in this order (titles exactly as given)
1. Title slide, title `{deck_title(company, month)}`.
2. `P&L summary`: a table for the month, one row per line in this order: {", ".join(table_lines(company))};
   columns Line, Actual, Budget, Var vs budget, Var %, Prior year, Var vs PY, Var % PY.
3. `Revenue and EBITDA vs budget`: a native chart (not a picture) by month, January to
   {calendar.month_name[month]} {YEAR}, with the series {", ".join(SERIES)} (total revenue and EBITDA).
4. `Variance commentary`: one bullet for each of the month's three largest variances against budget (detail
   lines only, ranked by size whatever their sign), largest first; each bullet starts with the line's name
   and gives the variance and its percentage, with their direction (favourable or adverse; a sign, if you
   write one, follows the favourable-positive convention below).
5. `Cash and KPIs`: the month's closing cash, the cash movement in the month, headcount and debtor days.

Every slide carries speaker notes for the chair; those of the variance commentary explain the journal
applied and the month's one-off item ({company.one_off[1]}: {one_off}, in {company.one_off[0]}) with their amounts.

## Conventions
- Costs are shown as positive amounts. Subtotals: Total revenue; Gross profit = Total revenue - {company.cost_of_sales[0]};
  EBITDA = Gross profit - overheads.
- Variances are favourable-positive: revenue and profit lines actual - comparative; cost lines
  comparative - actual. Variance % = variance / comparative x 100, one decimal.
- Figures in whole {company.currency} thousands.
"""


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    company, month = COMPANIES[params["company"]], int(params["month"])
    for attempt in range(2000):
        rng = random.Random(f"{params['seed']}:{attempt}")
        figures, reclass, one_off = _draw(company, month, rng)
        frm, to, why = company.reclass
        raw = {line: dict(v) for line, v in figures[month].items()}
        raw[frm]["actual"] += reclass
        raw[to]["actual"] -= reclass
        if raw[to]["actual"] <= 0:
            continue
        true_table, raw_table = summary_table(company, figures[month]), summary_table(company, raw)
        if _sound(company, true_table, raw_table):
            break
    else:
        raise RuntimeError("no sound month drawn")
    with open(input_dir / "management_accounts.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["month", "line", "actual", "budget", "prior_year"])
        for m, lines in figures.items():
            for line, v in (raw if m == month else lines).items():
                s = _ledger_sign(company, line)
                writer.writerow([f"{YEAR}-{m:02d}", line, s * v["actual"], s * v["budget"], s * v["prior_year"]])
    period = f"{YEAR}-{month:02d}"
    with open(input_dir / "journals.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["journal", "month", "line", "debit", "credit", "description"])
        writer.writerow([f"RJ-{period}-04", period, to, reclass, "", f"Reclass: {why}"])
        writer.writerow([f"RJ-{period}-04", period, frm, "", reclass, f"Reclass: {why}"])
    cash, kpis = rng.uniform(2000, 6000), []
    for m in range(0, month + 1):
        cash += rng.uniform(-300, 400)
        kpis.append({"month": f"{YEAR - (m == 0)}-{m or 12:02d}", "closing_cash": round(cash),
                     "headcount": rng.randint(80, 240), "debtor_days": rng.randint(28, 62)})
    with open(input_dir / "cash_kpis.csv", "w", newline="") as out:
        writer = csv.DictWriter(out, list(kpis[0]))
        writer.writeheader()
        writer.writerows(kpis)
    (input_dir / "board_pack_brief.md").write_text(_brief(company, month, one_off))
    write_template(input_dir / "company_template.otp", company.master, company.name, company.colour)

    top = top_three(company, true_table)
    for r in true_table:
        r["top3_rank"] = top.index(r["line"]) + 1 if r["line"] in top else ""
    series = {name: [] for name in SERIES}
    for m in range(1, month + 1):
        t = {r["line"]: r for r in summary_table(company, figures[m])}
        series["Revenue actual"].append(t["Total revenue"]["actual"])
        series["Revenue budget"].append(t["Total revenue"]["budget"])
        series["EBITDA actual"].append(t["EBITDA"]["actual"])
        series["EBITDA budget"].append(t["EBITDA"]["budget"])
    reference = {"titles": [deck_title(company, month), *SLIDE_TITLES], "master": company.master,
                 "table": true_table, "top3": top, "series": series, "months": month,
                 "reclass": reclass, "one_off": one_off, "details": detail_lines(company),
                 "cash": {"closing_cash": kpis[-1]["closing_cash"],
                          "cash_movement": kpis[-1]["closing_cash"] - kpis[-2]["closing_cash"],
                          "headcount": kpis[-1]["headcount"], "debtor_days": kpis[-1]["debtor_days"]}}
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=1))


# -- grading ----------------------------------------------------------------------------------

AMOUNTS = ["actual", "budget", "variance", "prior_year", "variance_py"]
PERCENTS = ["variance_pct", "variance_py_pct"]
TABLE_COLUMNS = ["actual", "budget", "variance", "variance_pct", "prior_year", "variance_py", "variance_py_pct"]


def _num(text: object) -> float | None:
    s = str(text).strip().replace("\u2212", "-").replace(",", "").replace("%", "").replace(" ", "")
    negative = s.startswith("(") and s.endswith(")")
    try:
        value = float(s.strip("()"))
    except ValueError:
        return None
    return -value if negative else value


def _numbers(text: str) -> list[float]:
    return [float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)]


AMOUNT_TOLERANCE = 0.051  # a commentary amount rounded to one decimal, as the pack shows it


def _has(text: str, value: float) -> bool:
    return any(abs(n - abs(value)) < AMOUNT_TOLERANCE for n in _numbers(text))


BUDGET = re.compile(r"\bbudgets?\b")
DIRECTION = re.compile(r"\b(un)?(favou?rable|adverse)\b")
# a negation, or a phrase that turns the word the same way ("far from favourable", "less than favourable", "un-")
NEGATION = re.compile(r"(?:\b(?:not|no|never|hardly|scarcely|barely|nor|neither|rather than|instead of|less than"
                      r"|far from|anything but|opposite of|short of)|n['’]t)(?:\s+\w+)?\s*$|\bun-$")
# not at a colon: a label before one ("Prior month: adverse") stays with what it labels
CLAUSE_BREAK = re.compile(r";|[,.]\s|\b(?:though|although|but|while|whereas|and)\b")
PRIOR_YEAR = re.compile(r"prior[- ]year|previous year|last year|\bpy\b|year[- ]on[- ]year|\byoy\b")
SIGNED = re.compile(r"(?<![\w.])([-−+(])(\d[\d,]*(?:\.\d+)?)")
OVER_UNDER = re.compile(r"\b(over|above|ahead of|under|below|behind)\s+(?:the\s+)?budget\b")
# a verb that says or makes the variance what a direction word says, whoever its subject ('the auditors would call it
# adverse', 'the reclass makes it adverse', 'which the board would class as adverse')
VERDICT_VERBS = {
    "call", "calls", "called", "deem", "deems", "deemed", "consider", "considers", "considered", "regard", "regards",
    "regarded", "see", "sees", "saw", "view", "views", "viewed", "class", "classes", "classed", "classify", "classifies",
    "classified", "treat", "treats", "treated", "count", "counts", "counted", "describe", "describes", "described",
    "label", "labels", "labelled", "labeled", "term", "terms", "termed", "make", "makes", "made", "turn", "turns",
    "turned", "render", "renders", "rendered", "leave", "leaves", "left", "tip", "tips", "tipped", "swing", "swings",
    "swung", "flip", "flips", "flipped", "push", "pushes", "pushed"}
# what may stand before a direction word said of the variance: the variance itself, links, hedges, modals,
# negations, verdict verbs, another direction word ("favourable, or adverse", "favourable/adverse", "actually adverse")
PLAIN_BEFORE = VERDICT_VERBS | {
    "a", "an", "the", "this", "that", "it", "its", "it's", "which", "what", "variance", "variances", "figure", "result",
    "position", "outcome", "movement", "gap", "number", "is", "was", "are", "were", "be", "been", "being", "become",
    "becomes", "became", "go", "goes", "went", "remain", "remains", "remained", "stay", "stays", "look", "looks",
    "seem", "seems", "appear", "appears", "read", "reads", "prove", "proves", "end", "ends", "ended", "up", "come",
    "comes", "came", "out", "show", "shows", "shown", "report", "reported", "flag", "flagged", "mark", "marked", "as",
    "could", "would", "might", "may", "will", "shall", "should", "must", "can", "to", "so", "thus", "hence",
    "therefore", "overall", "net", "underlying", "really", "actually", "truly", "genuinely", "effectively", "arguably",
    "possibly", "perhaps", "maybe", "probably", "likely", "certainly", "clearly", "in", "fact", "reality", "truth",
    "practice", "effect", "substance", "on", "balance", "at", "heart", "bottom", "all", "if", "anything", "or", "yet",
    "nor", "either", "else", "otherwise", "alternatively", "rather", "instead", "even", "still", "now", "then", "again",
    "also", "well", "very", "quite", "more", "most", "mostly", "largely", "essentially", "basically", "ultimately",
    "fundamentally", "materially", "slightly", "somewhat", "broadly", "marginally", "significantly", "not", "no",
    "never", "hardly", "scarcely", "barely", "less", "than", "far", "from", "opposite", "of", "short", "un", "vs",
    "versus", "against", "budget", "k", "m", "favourable", "favorable", "adverse", "unfavourable", "unfavorable",
    "albeit", "however", "nevertheless", "nonetheless", "admittedly", "some", "others", "said", "like", "for", "basis",
    "underneath", "beneath", "picture", "into", "honest", "true", "real", "plain", "simple", "fair", "right", "correct",
    "proper", "whole", "same"}
# the variance named as the subject or object of a direction word ('it is favourable', 'the honest answer is ...')
VARIANCE_ITSELF = {"it", "this", "that", "which", "variance", "variances", "figure", "result", "position", "outcome",
                   "movement", "gap", "number", "answer", "picture", "truth", "reality", "line", "one", "total", "story",
                   "reading", "verdict", "performance", "showing", "swing", "direction", "bottom", "month", "outturn"}
# a voice that names its speaker after it, whoever that is: 'per Deloitte favourable', 'according to KPMG adverse'
VOICED_BY = {"per", "according"}
# a voice that names its speaker before it, whoever that is: 'KPMG reckons favourable', 'in Deloitte's view adverse'
OPINIONS = {"say", "says", "argue", "argues", "argued", "view", "views", "opinion", "eyes", "judgement", "judgment",
            "agree", "agrees", "agreed", "think", "thinks", "thought", "believe", "believes", "believed", "reckon",
            "reckons", "reckoned", "feel", "feels", "felt", "consider", "considers", "considered", "suggest",
            "suggests", "suggested", "claim", "claims", "claimed", "insist", "insists", "insisted", "maintain",
            "maintains", "conclude", "concludes", "concluded", "judge", "judges", "judged"}
# whoever the reading is put in the mouth of: 'per the auditors favourable', 'in the CFO's view', 'we think it ...'
VOICES = VOICED_BY | OPINIONS | {
    "auditor", "auditors", "cfo", "ceo", "fd", "board", "management", "we", "us", "our", "i", "my", "you", "finance",
    "team", "controller", "analyst", "analysts", "chair", "committee", "director", "directors", "they", "their",
    "everyone", "anyone", "someone", "see", "sees", "saw", "seen", "find", "finds", "found", "viewed", "call", "calls"}
# the words that make a direction conditional ('favourable depending on the accrual'), before 'on' or 'upon'
CONDITIONAL = ("depending", "dependent", "contingent", "conditional", "hinging")
CONDITIONAL_ON = rf"(?:{'|'.join(CONDITIONAL)})\s+(?:up)?on\b"
# what may follow a direction word said of the variance (after adverbs in -ly)
PLAIN_AFTER = set(CONDITIONAL) | {"overall", "net", "once", "when", "after", "if", "until", "pending", "subject", "then",
                                  "now", "too", "again", "instead", "indeed", "still", "all", "really", "actually",
                                  "underneath", "beneath", "one", "territory", "according", "given"}
# a word after a preposition (on, in, by ...) that makes it a reading of the whole variance, not a driver
BASIS = re.compile(r"basis|reality|substance|truth|fact|effect|practice|reflection|balance|inspection|\blook|measure"
                   r"|reading|view|analysis|terms|whole|total|aggregate|\bsum\b|paper|\bnet\b|\bmonth\b|underlying"
                   r"|like[- ]for[- ]like|reckoning|heart|\bcore\b|bottom|eyes|opinion")
# another period, a forecast or a plan: the direction word is about that, not this month's variance
OTHER_TIME = re.compile(r"\b(?:last|prior|previous|next|coming|following|preceding|earlier|later|same)\s+(?:months?"
                        r"|quarters?|years?|periods?|weeks?)\b|\bytd\b|year[- ]to[- ]date|full[- ]year|year[- ]end|\b[qh][1-4]\b"
                        r"|\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?|sept?(?:ember)?"
                        r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b|\b(?:19|20)\d\d\b|forecast|\bplan\b|cumulativ"
                        r"|\b(?:the|this|a)\s+(?:full\s+)?(?:year|quarter|half)\b")
# 'adverse vs budget', 'favourable relative to budget': the variance's own comparison
AGAINST = {"vs", "versus", "against", "to", "compared", "relative"}
PREPOSITIONS = {"on", "in", "at", "by", "for", "from", "across", "within", "under", "over", "per"}
# the variance with an item taken out, or beneath the reported figure: a reading of the underlying variance
UNDERLYING = re.compile(r"underlying|underneath|beneath|\bat\s+heart\b|\bcore\b|like[- ]for[- ]like|exclud|\bexcl\b"
                        r"|without|\bex\b|strip|ignor|adjust|normali[sz]|before|\bpre\b|\bbut\s+for\b|\babsent\b"
                        r"|\bnet\s+of\b|\baside\b|constant[- ]currency|\bremov")
ONE_OFF = re.compile(r"one[- ]off|non[- ]recurring|exceptional")
# a verdict verb with the variance as its object: 'would not call it adverse' is not adverse
SAID_OF = re.compile(rf"(?<![\w-])(?:{'|'.join(sorted(VERDICT_VERBS))})\s+"
                     r"(?:(?:it|this|that|the\s+(?:variance|line|figure|result|outcome|position|number|movement|gap))\s+)?"
                     r"(?:as\s+|to\s+|into\s+)?(?:an?\s+)?$")
# a what-if that did not happen ('a weaker dollar would have made it adverse', 'had it been deferred'), or a part
# ('price alone makes it favourable')
COUNTERFACTUAL = re.compile(r"\b(?:would|could|might|should|must|may)\s+(?:not\s+)?have\b|['’]ve\b|\bhad\b")
PART = re.compile(r"\balone\b|\bon\s+its\s+own\b|\bby\s+itself\b|\bin\s+isolation\b")
# the direction made conditional ('favourable depending on the accrual'): it gives neither
HEDGE = re.compile(r"^\s*(?:(?:vs|versus|against|to)\s+(?:the\s+)?budget\s*)?(?:\([^)]*\)\s*)?(?:\w+ly\s+)?"
                   + CONDITIONAL_ON)
# a clause opening with a condition ('if the accrual holds', 'unless ...'); ending its sentence it hedges the bullet
CONDITION = re.compile(r"^\s*(?:(?:\w+ly\s+)?(?:if|when)\s+(?:the|a|an|this|that|these|those|it|its|we|they|our"
                       r"|their|there|management|auditors?)\b|unless\b|provided\b|providing\b|assuming\b"
                       r"|(?:as|so)\s+long\s+as\b|" + CONDITIONAL_ON + ")")


def _budget_clauses(text: str) -> list[str]:
    """The bullet's clauses (split at ; , . and though, but, while, and), those about the prior year alone aside."""
    clauses = [c.lower() for c in CLAUSE_BREAK.split(text)]
    return [c for c in clauses if BUDGET.search(c) or not PRIOR_YEAR.search(c)]


def _words(text: str) -> list[str]:
    return [re.sub(r"['’]s$", "", w) for w in re.findall(r"[a-z'’-]+", text)]


def _of_variance(words: list[str], itself: set[str]) -> bool:
    """Whether the words before a direction word leave it said of the variance: after the last word naming the
    variance ('it', 'the variance', 'the honest answer'), or in all of them when none does, nothing but links,
    hedges and voices ('the auditors agree', 'per the board', 'in the CFO's view'); a driver or another item
    ('price was', 'volumes were') makes it theirs. Any speaker may give a voice: the words before an opinion ('KPMG
    reckons', 'in Deloitte's view') or after a 'per' or 'according to' with nothing but plain words before it
    ('per Deloitte'; not 'revenue per head'). itself: the words naming the variance, the line's name among them."""
    def plain(word: str) -> bool:
        return word in PLAIN_BEFORE or word in VOICES or word.endswith("ly")
    last = max((i for i, w in enumerate(words) if w in itself), default=-1)
    spoken = max((i for i, w in enumerate(words) if w in OPINIONS), default=-1)
    voiced = next((i for i, w in enumerate(words) if w in VOICED_BY and all(map(plain, words[:i]))), len(words))
    return all(map(plain, words[max(last, spoken) + 1:voiced]))


def _about_else(clause: str, start: int, end: int, since: int, condition: str, itself: set[str]) -> bool:
    """Whether the direction word at clause[start:end] is clearly about something other than this month's variance,
    the one reading that excuses a second direction word in a bullet: another period, a forecast or a plan near it,
    a what-if that did not happen (in its clause or the condition opening it), a part ('price alone'), a driver as
    its subject ('volumes were favourable': _of_variance) or attribute ('a favourable price mix'), or a preposition
    naming one ('favourable on price'; not 'on a like-for-like basis', a reading of the whole)."""
    # a word glued to the direction word by a hyphen shades it ('adverse-ish', 'semi-favourable')
    before = re.sub(r"[a-z]+-$", "", clause[since:start])
    after = re.sub(r"^-[a-z]+", "", DIRECTION.split(clause[end:])[0])
    if (OTHER_TIME.search(f"{before} {after}") or PART.search(before) or COUNTERFACTUAL.search(before)
            or re.search(r"\b(?:had|were)\b", condition) or not _of_variance(_words(before), itself)):
        return True
    words = [w for w in _words(after) if not w.endswith("ly")]
    words = words[1:] if words[:1] in (["variance"], ["variances"]) else words
    if not words or (words[0] in AGAINST and BUDGET.search(after)) or words[0] in VOICED_BY:
        return False
    if words[0] in PREPOSITIONS | AGAINST:  # 'favourable on price', not 'on a like-for-like basis' or 'per the board'
        return BASIS.search(" ".join(words[1:])) is None and not VOICES & set(words[1:])
    return not ({words[0]} & (PLAIN_BEFORE | PLAIN_AFTER | VOICES | itself))


NEGATING = re.compile(r"\b(?:not|no|never|nobody|none|nor|neither)\b|n['’]t\b")
# the variance disputed ('though the auditors disagree', 'this is contested'): the bullet gives no direction
DISPUTED = re.compile(r"\b(?:disagree[sd]?|dispute[sd]?|contest(?:s|ed)?|question(?:s|ed)?|challenge[sd]?"
                      r"|doubt(?:s|ed)?|quer(?:y|ies|ied))\b")


def _hedges(text: str, itself: set[str]) -> bool:
    """Whether the bullet hedges its direction without a direction word: a sentence ending in a condition that
    did not happen ('adverse, if the accrual holds', '; unless it reverses'), or the variance disputed ('though the
    auditors disagree', 'this is contested')."""
    for sentence in re.split(r";|\.(?:\s|$)", text.lower()):
        clauses = [c for c in CLAUSE_BREAK.split(sentence) if c.strip()]
        if clauses and CONDITION.search(clauses[-1]) and not DIRECTION.search(clauses[-1]) \
                and not re.search(r"\b(?:were|will|would|should|could|can|may|might)\b|['’]ll\b", clauses[-1]) \
                and not COUNTERFACTUAL.search(clauses[-1]):  # a condition with its own main clause is no hedge
            return True
        for c in clauses:
            m = DISPUTED.search(c)
            if m and not DIRECTION.search(c) and _of_variance(_words(c[:m.start()]), itself) \
                    and not NEGATING.search(c[:m.start()]) \
                    and set(_words(c[m.end():])) <= PLAIN_BEFORE and (m[0] != "dispute" or VOICES & set(_words(c))):
                return True
    return False


def _says_direction(text: str, variance: float, percent: float, over_favourable: bool,
                    underlying: float | None = None) -> bool:
    """Whether a commentary bullet gives its variance's direction against budget. Its favourable or adverse
    (a negation just before the word turns it: not favourable is adverse) is read from the first such word of each
    clause that holds the variance, its percentage or the word budget, and from every other one in any clause but
    those about the prior year alone, unless it is clearly about something else (_about_else): they must not say
    both ('favourable, or adverse once the reclass lands' does), and one made conditional ('favourable depending
    on the accrual', 'adverse, if the accrual holds') or disputed says both (_hedges). When none of them has one,
    from the bullet's first. A reading of the variance with an item taken out or beneath the reported figure
    ('excluding the one-off, it is favourable', 'favourable underneath') is a reading of the variance, except on
    the one-off's line in a bullet naming the one-off, where it must agree with the variance without the one-off
    (underlying).
    Without the words, 'over/under budget' gives it (over_favourable: over budget is favourable, a revenue line),
    and without those the signs (an accounting bracket on the amount for adverse). Every sign written on the
    variance or its percentage (a minus for adverse, a plus for favourable: the pack's favourable-positive
    convention) must agree with it."""
    # a comma before a hedge keeps it in its direction word's clause
    clauses = _budget_clauses(re.sub(rf",(?=\s*(?:\w+ly\s+)?{CONDITIONAL_ON})",
                                     " ", text))
    said = []  # (favourable, counts, underlying reading)
    taken_out = False  # the clause before took an item out: 'excluding the rounding, it is favourable'
    condition = ""  # the clause before, when it opens with a condition and gives no direction
    itself = VARIANCE_ITSELF | set(_words(re.split(r"[:\d(]", text.lower(), maxsplit=1)[0])) - PLAIN_BEFORE
    for c in clauses:
        central = bool(BUDGET.search(c)) or _has(c, variance) or _has(c, percent)
        since = 0
        for m in DIRECTION.finditer(c):
            head = SAID_OF.sub("", c[:m.start()])
            favourable = (m[2].startswith("fav") and not m[1]) != (NEGATION.search(head) is not None)
            counts = (central and since == 0) or not _about_else(c, m.start(), m.end(), since, condition, itself)
            beneath = taken_out or UNDERLYING.search(c[since:m.start()] + " " + DIRECTION.split(c[m.end():])[0])
            said.append((favourable, counts, bool(beneath)))
            if counts and HEDGE.search(c[m.end():]):
                said.append((not favourable, True, False))
            since = m.end()
        taken_out = UNDERLYING.search(c) is not None and not DIRECTION.search(c)
        condition = c if re.match(r"\s*(?:if|had|were|unless)\b", c) and not DIRECTION.search(c) else ""
    if _hedges(text, itself):
        said += [(True, True, False), (False, True, False)]
    marks = [(sign, float(digits.replace(",", ""))) for c in clauses for sign, digits in SIGNED.findall(c)]
    signed = {sign == "+" for sign, n in marks if sign != "(" and any(
        abs(n - abs(v)) < AMOUNT_TOLERANCE for v in (variance, percent))}
    bracketed = any(sign == "(" and abs(n - abs(variance)) < AMOUNT_TOLERANCE for sign, n in marks)
    over = {(m[1] in ("over", "above", "ahead of")) == over_favourable
            for c in clauses for m in OVER_UNDER.finditer(c) if not NEGATION.search(c[:m.start()])}
    set_apart = underlying is not None and ONE_OFF.search(text.lower()) is not None
    beneath = {favourable for favourable, counts, under in said if counts and under and set_apart}
    if said:
        stated = {favourable for favourable, counts, under in said if counts and not (under and set_apart)} \
            or {said[0][0]}
    else:
        stated = over or signed | ({False} if bracketed else set())
    return stated == {variance > 0} and signed <= stated and beneath <= {underlying is not None and underlying > 0}


def _squash(text: str | None) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().lower()


def _close(found: object, want: float, column: str) -> bool:
    value = _num(found)
    return value is not None and abs(value - want) <= (0.051 if column in PERCENTS else 0.5)


def _slide(slides: list[dict], title: str) -> dict:
    return next((s for s in slides if _squash(s["title"]) == _squash(title)), {"texts": [], "tables": [], "charts": [],
                                                                               "notes": "", "pictures": 0})


def _deck_table(slide: dict) -> dict[str, list[str]]:
    """The P&L table's rows by line name (the first cell), from the slide's largest table."""
    tables = sorted(slide["tables"], key=len, reverse=True)
    return {_squash(row[0]): row[1:] for row in tables[0] if row} if tables else {}


def _grade_table(g: Grading, ref: dict, rows: dict[str, list[str]]) -> None:
    def verdict(want: dict, columns: list[str]) -> bool | str:
        row = rows.get(_squash(want["line"]))
        if row is None:
            return "no row"
        wrong = [c for c in columns if len(row) <= TABLE_COLUMNS.index(c)
                 or not _close(row[TABLE_COLUMNS.index(c)], want[c], c)]
        return not wrong or f"{wrong} are {[row[TABLE_COLUMNS.index(c)] for c in wrong if TABLE_COLUMNS.index(c) < len(row)]}"
    g.fraction("the P&L table's amounts and variances are the month's after the journals",
               {r["line"]: verdict(r, AMOUNTS) for r in ref["table"]}, weight=2)
    g.fraction("the P&L table's variance percentages are on the comparative's base",
               {r["line"]: verdict(r, PERCENTS) for r in ref["table"]}, weight=2)


def _grade_chart(g: Grading, ref: dict, slides: list[dict]) -> None:
    want = ref["series"]
    def draws(chart: dict) -> bool:
        columns, data = [_squash(c) for c in chart["columns"]], chart["data"]
        by_series = {c: [row[j] for row in data] for j, c in enumerate(columns)}
        if not all(_squash(s) in by_series for s in want):  # the series may be the data table's rows
            rows = [_squash(r) for r in chart["rows"]]
            by_series = dict(zip(rows, data, strict=False))
        return all(_squash(s) in by_series and len(by_series[_squash(s)]) == ref["months"]
                   and all(abs(a - b) <= 0.5 for a, b in zip(by_series[_squash(s)], values, strict=True))
                   for s, values in want.items())
    slide = _slide(slides, ref["titles"][2])
    g.check("the revenue and EBITDA slide shows a native chart whose data are the monthly series",
            any(draws(c) and _on_slide(c, slide) for c in slide["charts"]), weight=2,
            expected={k: v for k, v in want.items()},
            found=[{"columns": c["columns"], "box": c.get("box"), "slide": slide.get("size")} for c in slide["charts"]]
            or f"{slide['pictures']} pictures, no chart object")


def _on_slide(chart: dict, slide: dict) -> bool:
    """The chart sits on its slide at a size the board can read: inside the page (to half a millimetre) and at
    least a quarter of the page's width and height, not parked off the page or shrunk to a dot."""
    box, size = chart.get("box"), slide.get("size")
    if not (isinstance(box, list) and len(box) == 4 and isinstance(size, list) and len(size) == 2):
        return False
    (x, y, w, h), (width, height) = box, size
    return x >= -50 and y >= -50 and x + w <= width + 50 and y + h <= height + 50 and 4 * w >= width \
        and 4 * h >= height


CHART_WORD_INK = 0.02  # a word the chart prints (a series name, a month) inks this share of its box, or it is hidden


def _page_words(g: Grading, page: int) -> tuple[list[tuple[float, float, float, float, str]], tuple[float, float]]:
    """The words of a PDF page with their boxes (points from the top left, pdftotext -bbox) and the page's size."""
    run = g.run_tool(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), "board_pack.pdf", "words.html"],
                     {"board_pack.pdf": g.output("board_pack.pdf")})
    html = run.workdir / "words.html"
    text = html.read_text(errors="replace") if run.ok and html.is_file() else ""
    size = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', text)
    words = [(float(m[1]), float(m[2]), float(m[3]), float(m[4]), m[5]) for m in re.finditer(
        r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</word>', text)]
    return words, (float(size[1]), float(size[2])) if size else (0.0, 0.0)


def _grade_chart_shown(g: Grading, ref: dict, slides: list[dict]) -> None:
    """The PDF's chart page shows the chart where the deck places it: inside the chart's box, at least 1% of the
    pixels stand out from the box's dominant colour (axes, lines, labels), and the words the chart prints there
    (its series names and its months, as the PDF's text gives them) are inked, which a chart hidden in the export
    or covered by an opaque shape, blank or lettered, does not give."""
    index = next((i for i, s in enumerate(slides) if _squash(s["title"]) == _squash(ref["titles"][2])), None)
    slide = slides[index] if index is not None else {}
    charts = [c for c in slide.get("charts", []) if _on_slide(c, slide)]
    ink: list[float] = []
    labels: list[str] = []
    pixels = g.image("board_pack.pdf", page=index + 1, dpi=72, gate=False) if charts and index is not None else None
    words, (page_w, page_h) = _page_words(g, index + 1) if pixels is not None else ([], (0.0, 0.0))
    if pixels is not None and page_w and page_h:
        height, width = pixels.shape[:2]
        slide_w, slide_h = slide["size"]
        for chart in charts:
            x, y, w, h = chart["box"]
            crop = pixels[max(0, int(y / slide_h * height)):int((y + h) / slide_h * height),
                          max(0, int(x / slide_w * width)):int((x + w) / slide_w * width)].reshape(-1, 3).astype(int)
            if not len(crop):
                continue
            colours, counts = np.unique(crop, axis=0, return_counts=True)
            far = np.abs(pixels.astype(int) - colours[counts.argmax()]).max(axis=2) > 48
            ink.append(round(float(far[max(0, int(y / slide_h * height)):int((y + h) / slide_h * height),
                                       max(0, int(x / slide_w * width)):int((x + w) / slide_w * width)].mean()), 4))
            own = {_squash(t) for name in [*chart["columns"], *chart["rows"]] for t in str(name).split()}
            left, top = x / slide_w * page_w - 2, y / slide_h * page_h - 2
            right, bottom = (x + w) / slide_w * page_w + 2, (y + h) / slide_h * page_h + 2
            for x0, y0, x1, y1, text in words:
                if _squash(text) in own and left <= x0 and x1 <= right and top <= y0 and y1 <= bottom:
                    box = far[int(y0 / page_h * height):math.ceil(y1 / page_h * height),
                              int(x0 / page_w * width):math.ceil(x1 / page_w * width)]
                    labels.append(text if box.size and box.mean() >= CHART_WORD_INK else f"{text} (hidden)")
    printed = [t for t in labels if not t.endswith("(hidden)")]
    g.check("the PDF shows the chart on its slide (not hidden in the export or covered)",
            any(v >= 0.01 for v in ink) and len(printed) >= 3 and 2 * len(printed) >= len(labels), weight=1,
            expected="the chart's box on its PDF page drawn (>= 1% of its pixels off its main colour) and most of the "
                     "chart's series names and months printed there visible",
            found={"share drawn": ink, "chart words": labels[:16]} if ink else "no chart on its slide, or no such PDF page")


def _shown_texts(slide: dict) -> list[str]:
    """The paragraphs of the slide's visible text shapes whose box is centred on the page (not parked off it)."""
    width, height = slide.get("size") or (0, 0)
    return [p for shape in slide["texts"] if shape["visible"]
            for x, y, w, h in [shape["box"]] if 0 <= x + w / 2 <= width and 0 <= y + h / 2 <= height
            for p in shape["paragraphs"]]


def _unseen(g: Grading, page: int, bullets: list[tuple[str, dict]]) -> list[str]:
    """What of the graded bullets the PDF's page does not show: each bullet's line name, variance and percentage
    must be printed there, and every word of the page giving one of them must stand out from its own box's main
    colour (ink >= CHART_WORD_INK of the box), which text in the background's colour or under an opaque shape
    does not."""
    pixels = g.image("board_pack.pdf", page=page, dpi=100, gate=False)
    words, (page_w, page_h) = _page_words(g, page) if pixels is not None else ([], (0.0, 0.0))
    if pixels is None or not page_w or not page_h:
        return ["no such PDF page"]
    height, width = pixels.shape[:2]
    def inked(x0: float, y0: float, x1: float, y1: float) -> bool:
        box = pixels[int(y0 / page_h * height):math.ceil(y1 / page_h * height),
                     int(x0 / page_w * width):math.ceil(x1 / page_w * width)].reshape(-1, 3).astype(int)
        if not len(box):
            return False
        colours, counts = np.unique(box, axis=0, return_counts=True)
        return float((np.abs(box - colours[counts.argmax()]).max(axis=1) > 48).mean()) >= CHART_WORD_INK
    unseen = []
    for line, row in bullets:
        tokens = set(_squash(line).split())
        parts = {"name": lambda t, tokens=tokens: _squash(t).strip(":;,.") in tokens,
                 "variance": lambda t, row=row: _has(t, row["variance"]),
                 "percentage": lambda t, row=row: _has(t, row["variance_pct"])}
        for part, gives in parts.items():
            boxes = [w[:4] for w in words if gives(w[4])]
            if not boxes or not all(inked(*box) for box in boxes):
                unseen.append(f"{line}: {part} {'not shown' if boxes else 'not printed'}")
    return unseen


def _grade_commentary(g: Grading, ref: dict, slides: list[dict], pages: list[str]) -> None:
    """The bullets are read from the text the slide shows, and each must also be printed and seen on the PDF's
    page of the slide: its line's name, its variance and its percentage."""
    slide = _slide(slides, ref["titles"][3])
    index = next((i for i, s in enumerate(slides) if s is slide), len(pages))
    page = _squash(pages[index]) if index < len(pages) else ""
    details = sorted(ref["details"], key=len, reverse=True)
    table = {r["line"]: r for r in ref["table"]}
    texts = _shown_texts(slide)
    bullets = []
    for text in texts:
        head = _squash(text).lstrip("-*•0123456789.) ")
        line = next((d for d in details if head.startswith(d.lower())), None)
        if line:
            bullets.append((line, text))
    named = [line for line, _ in bullets]
    company = next(c for c in COMPANIES.values() if c.master == ref["master"])
    def explained(line: str, text: str) -> bool:
        row = table[line]
        # the one-off raises its cost line's actual: without it the variance is that much more favourable
        underlying = row["variance"] + ref["one_off"] if line == company.one_off[0] else None
        return (_has(text, row["variance"]) and _has(text, row["variance_pct"])
                and _says_direction(text, row["variance"], row["variance_pct"],
                                   (row["variance"] > 0) == (row["actual"] > row["budget"]), underlying)
                and _squash(line) in page and _has(page, row["variance"]) and _has(page, row["variance_pct"]))
    explains = named == ref["top3"] and all(explained(line, text) for line, text in bullets)
    unseen = _unseen(g, index + 1, [(line, table[line]) for line in named]) if explains else []
    g.check("the commentary explains the three largest variances, largest first, with their signed amounts and %",
            explains and not unseen, weight=2, expected=ref["top3"],
            found={"slide": texts, "pdf page": page[:400], "unseen in the PDF": unseen})
    notes = slide["notes"]
    lines = [company.reclass[0], company.reclass[1], company.one_off[0]]  # the journal's two lines, the one-off's
    g.check("the commentary's notes explain the reclass journal and the one-off item: their lines and amounts",
            _has(notes, ref["reclass"]) and _has(notes, ref["one_off"])
            and all(_squash(line) in _squash(notes) for line in lines), weight=1,
            expected={"reclass": ref["reclass"], "one_off": ref["one_off"], "lines": lines}, found=notes[:300])


def _grade_csv(g: Grading, ref: dict, rows: list[dict], deck: dict[str, list[str]]) -> None:
    found = {_squash(r.get("line")): r for r in rows}
    def figures(want: dict) -> bool | str:
        r = found.get(_squash(want["line"]))
        if r is None:
            return "missing"
        wrong = [c for c in TABLE_COLUMNS if not _close(r.get(c), want[c], c)]
        return not wrong or f"{wrong} are {[r.get(c) for c in wrong]}"
    g.fraction("variances.csv holds the month's figures and variances", {w["line"]: figures(w) for w in ref["table"]},
               weight=2)
    def rank(row: dict | None) -> str:
        value = _num((row or {}).get("top3_rank", ""))
        return str(int(value)) if value is not None and value.is_integer() else str((row or {}).get("top3_rank", "")).strip()
    ranks = {w["line"]: str(w["top3_rank"]) for w in ref["table"]}
    g.check("variances.csv ranks the three largest variances",
            all(rank(found.get(_squash(line))) == want for line, want in ranks.items()), weight=1, expected=ranks)
    same = bool(deck) and bool(found) and all(
        key in deck and len(deck[key]) >= len(TABLE_COLUMNS)
        and all(_close(deck[key][i], _num(r.get(c)) or 0.0, c) for i, c in enumerate(TABLE_COLUMNS)) for key, r in found.items())
    g.check("variances.csv equals the deck's P&L table", same, weight=1)


def _logo(company: Company) -> str:
    return company.name.split()[0].upper()


def _template_master(company: Company, shapes: list[dict]) -> bool:
    """The master carries the template's drawing: the band in the company's colour and the logo block."""
    colour = int(company.colour.lstrip("#"), 16)
    return (any(sh.get("fill") == colour for sh in shapes)
            and any(_squash(sh.get("text")) == _squash(_logo(company)) for sh in shapes))


def _band_on_pages(g: Grading, company: Company, pages: int) -> bool:
    """Every PDF page is 28 x 15.75 cm (the template's page) and shows the template's band, in the company's
    colour, at its foot (at least in the slide's margins, where content does not cover it): the pages are
    the deck's slides rendered, not text typeset elsewhere."""
    want = [int(company.colour[i:i + 2], 16) for i in (1, 3, 5)]
    for page in range(1, pages + 1):
        pixels = g.image("board_pack.pdf", page=page, dpi=36, gate=False)
        if pixels is None:
            return False
        height, width = pixels.shape[:2]
        if abs(width / height - 28 / 15.75) > 0.02:
            return False
        foot = pixels[int(height * 0.94):int(height * 0.99)].reshape(-1, 3).astype(int)
        band = (abs(foot - want) <= 30).all(axis=1)  # a slide's content may cover the band but for its margins
        if not len(foot) or band.mean() < 0.05:
            return False
    return True


def _grade_pdf(g: Grading, ref: dict, slides: list[dict], pages: list[str] | None) -> None:
    name = "the PDF is the deck: one page per slide (the template's pages), the titles and the P&L figures"
    if pages is None:
        g.check(name, False, weight=1, reason="no readable PDF")
        return
    def words(text: str) -> set[str]:
        return set(re.findall(r"[\w&%]+", text.lower()))
    titled = len(pages) == len(slides) == len(ref["titles"]) and all(
        words(t) <= words(page) for t, page in zip(ref["titles"], pages, strict=True))
    ebitda = next(r for r in ref["table"] if r["line"] == "EBITDA")
    table_page = pages[1] if len(pages) > 1 else ""
    company = next(c for c in COMPANIES.values() if c.master == ref["master"])
    figures = titled and _has(table_page, ebitda["actual"]) and _has(table_page, ebitda["variance"]) and all(
        _has(table_page, r["actual"]) for r in ref["table"])
    g.check(name, figures and _band_on_pages(g, company, len(pages)), weight=1,
            expected={"pages": len(ref["titles"]), "band": company.colour}, found={"pages": len(pages)})


def grade(g: Grading) -> None:
    if not g.require_files("board_pack.odp", "board_pack.pdf", "variances.csv"):
        return
    ref = g.reference_json("reference.json")
    run = g.run_tool(["/usr/bin/python3", "inspect_deck.py", "board_pack.odp"],
                     {"inspect_deck.py": INSPECTOR, "board_pack.odp": g.output("board_pack.odp")},
                     timeout=180, memory_mb=3072)
    report = run.workdir / "report.json"
    try:
        deck = json.loads(report.read_text()) if run.returncode == 0 and report.exists() else None
    except ValueError:
        deck = None
    if not g.check("the deck opens in Impress", isinstance(deck, dict) and bool(deck.get("slides")), gate=True,
                   reason=(deck or {}).get("error") or run.stderr[-400:]):
        return
    slides = deck["slides"]
    g.check("the brief's five slides, in order, titled as the brief", [_squash(s["title"]) for s in slides]
            == [_squash(t) for t in ref["titles"]], weight=1, expected=ref["titles"], found=[s["title"] for s in slides])
    company = next(c for c in COMPANIES.values() if c.master == ref["master"])
    g.check("every slide is on the company template's master page (its name, band and logo)",
            all(s["master"] == ref["master"] and _template_master(company, s.get("master_shapes", [])) for s in slides),
            weight=2, expected={"master": ref["master"], "band": company.colour, "logo": _logo(company)},
            found={s["master"]: s.get("master_shapes", [])[:4] for s in slides})
    g.check("every slide has speaker notes", all(len(s["notes"].strip()) >= 10 for s in slides), weight=1)
    rows = _deck_table(_slide(slides, ref["titles"][1]))
    _grade_table(g, ref, rows)
    _grade_chart(g, ref, slides)
    pages = g.pdf_text("board_pack.pdf", gate=False)
    _grade_commentary(g, ref, slides, pages or [])
    cash = _slide(slides, ref["titles"][4])
    text = "\n".join(_shown_texts(cash) + [c for t in cash["tables"] for row in t for c in row])
    g.check("the cash and KPI slide gives closing cash, the month's movement, headcount and debtor days",
            all(_has(text, v) for v in ref["cash"].values()), weight=1, expected=ref["cash"], found=_shown_texts(cash))
    _grade_pdf(g, ref, slides, pages)
    _grade_chart_shown(g, ref, slides)
    csv_rows = g.read_csv("variances.csv", required_columns=CSV_COLUMNS)
    if csv_rows is not None:
        _grade_csv(g, ref, csv_rows, rows)
