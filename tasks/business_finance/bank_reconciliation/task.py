"""Month-end bank reconciliation of an operating cash account.

Workflow: the controller hands over the general-ledger detail of account 1010 for the month
(XLSX or CSV as the ERP exports it), the bank statement (CSV in one of two bank layouts, or an
OFX download), last month's list of outstanding items, the chart of accounts and the
counterparty master. The accountant matches every bank line to the books, classifies what does
not match (deposits in transit, outstanding checks, bank charges, interest, NSF returns,
unrecorded electronic receipts and debits, book transposition errors, duplicate postings on
either side), proves the adjusted bank balance equal to the adjusted book balance in a
workbook, and proposes the adjusting journal entries for the book-side items.

Generation builds the month's true cash transactions from the seed, then derives the bank's view
and the books' view of them (with the scenario's errors injected), so the reconciling items and
the true month-end cash balance are known by construction.

Grade: gates on the two deliverables and their layout; then the balances carried from the
inputs, the footing of both sides (re-added from the listed items), the adjusted balance against
the true cash balance, the bank-side and book-side reconciling items by reference, type and
amount, the balance of every proposed entry, the accounts each book-side item is posted to, the
tie of the entries to the adjusted book balance, and the classification of every transaction in
the matching file. Either copy of a duplicated transaction may be the one flagged.
"""
# ALE-CANARY-ed2c7f1e-7046-48c9-971a-6776f401b939

from __future__ import annotations

import calendar
import csv
import datetime as dt
import html
import io
import json
import random
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lastexam.task import Grading, Params, as_number, is_close

CASH = "1010"
TOL = 0.005
CHART = [
    ("1010", "Cash - Operating", "Asset"),
    ("1200", "Accounts Receivable", "Asset"),
    ("1400", "Prepaid Expenses", "Asset"),
    ("2000", "Accounts Payable", "Liability"),
    ("2100", "Accrued Payroll", "Liability"),
    ("2500", "Note Payable - Bank", "Liability"),
    ("4000", "Sales Revenue", "Revenue"),
    ("4910", "Interest Income", "Revenue"),
    ("6150", "Bank Service Charges", "Expense"),
    ("6200", "Salaries and Wages", "Expense"),
    ("6300", "Insurance Expense", "Expense"),
    ("6400", "Utilities Expense", "Expense"),
    ("6500", "Rent Expense", "Expense"),
    ("6700", "Software Subscriptions", "Expense"),
]
CUSTOMERS = [
    "Brightwater Supply Co", "Alder & Finch Interiors", "Meridian Foods LLC", "Copperline Builders",
    "Northgate Clinics", "Halvorsen Marine", "Tallis Print Works", "Redbank Veterinary Group",
    "Orchard Lane Bakery", "Summit Ridge Schools", "Pelham Auto Body", "Greyfield Architects",
]
CHECK_VENDORS = [
    "Keystone Office Supply", "Delmar Freight Lines", "Atlas Packaging Inc", "Rivera Janitorial",
    "Coastal Signworks", "Birchwood Lumber", "Quarry Street Legal LLP", "Tri-County Waste",
    "Ironside Equipment Rental", "Lumen Electric Contractors", "Westfield Staffing", "Parkline Couriers",
]
AUTODEBIT_VENDORS = [
    ("Hartwell Mutual Insurance", "6300", "PREMIUM"),
    ("Cascade Power & Light", "6400", "AUTOPAY"),
    ("Cloudbench Software", "6700", "SUBSCRIPTION"),
]
COMPANIES = ["Larkspur Distribution Inc", "Fenwick Home Goods LLC", "Crestview Medical Supply Co"]
BANKS = ["First Harbor Bank", "Granite State Savings", "Pioneer Valley Bank"]
PAYROLL = "Northline Payroll Services"
LANDLORD = "Bayview Properties LLC"

BANK_SIDE = {"deposit_in_transit", "outstanding_check", "bank_error"}
BOOK_SIDE = {"bank_fee", "interest_income", "nsf_check", "unrecorded_receipt", "unrecorded_payment", "book_error"}


# ---------------------------------------------------------------------------------------------
# generation
# ---------------------------------------------------------------------------------------------


@dataclass
class Txn:
    """One true cash movement and how the bank and the books each recorded it."""

    kind: str
    name: str
    amount: int  # true signed cents (+ into the account, - out of it)
    book_date: dt.date | None = None
    bank_date: dt.date | None = None
    check_no: int | None = None
    offset: str = ""
    memo: str = ""
    book_amount: int | None = None  # as booked, when the books got it wrong
    prior: bool = False
    gl_id: str = ""
    bank_id: str = ""
    bank_text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def booked(self) -> int:
        return self.amount if self.book_amount is None else self.book_amount


class Amounts:
    """Unique random amounts in cents, so that matching by amount is never ambiguous."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[int] = set()

    def take(self, lo: float, hi: float, *, whole: bool = False) -> int:
        while True:
            cents = self.rng.randint(int(lo * 100), int(hi * 100))
            if whole:
                cents -= cents % 100
            elif cents % 100 == 0:
                continue
            if cents not in self.used:
                self.used.add(cents)
                return cents

    @staticmethod
    def _swaps(cents: int) -> list[int]:
        """The amounts (in cents, unsigned) with two adjacent, different digits of the dollar part swapped."""
        dollars, rest = divmod(abs(cents), 100)
        digits = str(dollars)
        return [int(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]) * 100 + rest
                for i in range(len(digits) - 1) if digits[i] != digits[i + 1] and not (i == 0 and digits[1] == "0")]

    def transposable(self, cents: int) -> bool:
        """Whether ``transpose`` has a new amount for ``cents``."""
        return any(swapped not in self.used for swapped in self._swaps(cents))

    def transpose(self, cents: int) -> int:
        """The amount with two adjacent digits of its dollar part swapped (a new, unused amount)."""
        swaps = self._swaps(cents)
        self.rng.shuffle(swaps)
        for swapped in swaps:
            if swapped not in self.used:
                self.used.add(swapped)
                return swapped if cents > 0 else -swapped
        raise ValueError("no transposition available")


def business_days(year: int, month: int) -> list[dt.date]:
    last = calendar.monthrange(year, month)[1]
    days = (dt.date(year, month, d) for d in range(1, last + 1))
    return [d for d in days if d.weekday() < 5]


def add_bdays(day: dt.date, n: int) -> dt.date:
    while n > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _transposable(drawn: Txn, candidates: list[Txn], amounts: Amounts, aside: random.Random) -> Txn:
    """``drawn``, or where its amount has no digit transposition (500.00, 2222.22), another of ``candidates``
    drawn from ``aside``, a stream of its own (so that the instances that never needed it stay as they were)."""
    if amounts.transposable(drawn.amount):
        return drawn
    return aside.choice([t for t in candidates if amounts.transposable(t.amount)])


def build_scenario(params: dict[str, Any]) -> dict[str, Any]:
    """The month's true transactions with each side's view; the inputs and reference derive from it."""
    rng = random.Random(params["seed"])
    feats = set(params["features"])
    year, month = (int(x) for x in params["period"].split("-"))
    bdays = business_days(year, month)
    end = month_end(year, month)
    prev_end = dt.date(year, month, 1) - dt.timedelta(days=1)
    prev_bdays = business_days(prev_end.year, prev_end.month)
    amounts = Amounts(rng)
    customers = rng.sample(CUSTOMERS, len(CUSTOMERS))
    vendors = rng.sample(CHECK_VENDORS, len(CHECK_VENDORS))
    first_check = rng.randint(18, 60) * 100 + rng.randint(0, 60)
    txns: list[Txn] = []

    # Last month's outstanding items: three checks and one deposit in transit.
    for i in range(3):
        txns.append(Txn("check", vendors[9 + i % 3], -amounts.take(300, 6500), book_date=prev_bdays[-6 + 2 * i],
                        check_no=first_check - 3 + i, offset="2000", memo="Vendor payment", prior=True))
    txns[0].bank_date = None if "prior_still_outstanding" in feats else add_bdays(bdays[0], 2)
    txns[1].bank_date = add_bdays(bdays[0], 1)
    txns[2].bank_date = add_bdays(bdays[0], 3)
    txns.append(Txn("deposit", customers[11], amounts.take(2500, 9000), book_date=prev_bdays[-1], bank_date=bdays[0],
                    offset="1200", memo="Customer receipt", prior=True))

    # This month's deposits; the last business day's deposit(s) reach the bank next month.
    n_dep = rng.randint(8, 10)
    dep_days = sorted(rng.sample(bdays[:-1], n_dep))
    for i, day in enumerate(dep_days):
        bank_day = day if rng.random() < 0.5 else add_bdays(day, 1)
        txns.append(Txn("deposit", customers[i % 10], amounts.take(1200, 18000), book_date=day,
                        bank_date=bank_day if bank_day <= end else None, offset="1200", memo="Customer receipt"))
    for j in range(2 if "second_dit" in feats else 1):
        txns.append(Txn("deposit", customers[10 - j], amounts.take(1500, 12000), book_date=bdays[-1],
                        bank_date=None, offset="1200", memo="Customer receipt"))

    # This month's checks: most clear within the month, the last ones stay outstanding.
    n_chk = rng.randint(9, 12)
    chk_days = sorted(rng.choices(bdays[:-6], k=n_chk - 2)) + sorted(rng.sample(bdays[-4:], 2))
    for i, day in enumerate(chk_days):
        clears = add_bdays(day, rng.randint(2, 7)) if i < n_chk - 2 else None
        txns.append(Txn("check", vendors[i % 9], -amounts.take(180, 7800), book_date=day, check_no=first_check + i,
                        bank_date=clears if clears and clears <= end else None, offset="2000", memo="Vendor payment"))

    # Electronic payments the books already record (payroll twice, rent once).
    mid = next(d for d in bdays if d.day >= 14)
    for day in (mid, bdays[-1]):
        txns.append(Txn("ach_out", PAYROLL, -amounts.take(18000, 42000), book_date=day, bank_date=day,
                        offset="2100", memo="Net payroll funding"))
    txns.append(Txn("ach_out", LANDLORD, -amounts.take(4200, 9500, whole=True), book_date=bdays[0],
                    bank_date=bdays[0], offset="6500", memo="Monthly rent"))
    for t in txns:
        if t.kind == "ach_out":
            t.extra["trace"] = f"{rng.randint(10**9, 10**10 - 1)}"

    cleared_deposits = [t for t in txns if t.kind == "deposit" and not t.prior and t.bank_date]
    cleared_checks = [t for t in txns if t.kind == "check" and not t.prior and t.bank_date]
    rng.shuffle(cleared_deposits)

    # Items only the bank knows about.
    if "service_fee" in feats:
        txns.append(Txn("fee", "", -amounts.take(18, 65), bank_date=bdays[-1], offset="6150",
                        bank_text="MONTHLY ACCOUNT SERVICE CHARGE"))
    if "interest" in feats:
        txns.append(Txn("interest", "", amounts.take(4, 60), bank_date=bdays[-1], offset="4910",
                        bank_text="INTEREST PAID"))
    if "nsf" in feats:
        bounced = next(t for t in cleared_deposits if t.bank_date and t.bank_date <= bdays[-8])
        cleared_deposits.remove(bounced)
        day = add_bdays(bounced.bank_date, rng.randint(2, 4))
        ck = rng.randint(1000, 9999)
        txns.append(Txn("nsf", bounced.name, -abs(bounced.amount), bank_date=day, offset="1200",
                        bank_text=f"RETURNED DEPOSITED ITEM NSF {bounced.name.upper()} CK {ck}"))
        txns.append(Txn("fee", "", -amounts.take(12, 38, whole=True), bank_date=day, offset="6150",
                        bank_text="RETURNED ITEM FEE"))
    if "ach_receipt" in feats:
        day = rng.choice(bdays[3:-3])
        txns.append(Txn("ach_in", customers[rng.randint(0, 9)], amounts.take(900, 9500), bank_date=day, offset="1200",
                        bank_text=""))
        txns[-1].bank_text = f"ACH CREDIT {txns[-1].name.upper()} REMIT INV {rng.randint(20000, 29999)}"
    if "autodebit" in feats:
        name, account, word = rng.choice(AUTODEBIT_VENDORS)
        txns.append(Txn("autodebit", name, -amounts.take(260, 2400), bank_date=rng.choice(bdays[2:-2]),
                        offset=account, bank_text=f"ACH DEBIT {name.upper()} {word} PPD"))
        txns[-1].extra["trace"] = f"{rng.randint(10**9, 10**10 - 1)}"

    # Errors in the books.
    aside = random.Random(f"{params['seed']}:transposable")
    if "check_transposition" in feats:
        victim = _transposable(rng.choice(cleared_checks), cleared_checks, amounts, aside)
        victim.book_amount = amounts.transpose(victim.amount)
    if "deposit_transposition" in feats:
        victim = _transposable(cleared_deposits[-1], cleared_deposits, amounts, aside)
        cleared_deposits.remove(victim)
        victim.book_amount = amounts.transpose(victim.amount)
    duplicate_gl = cleared_deposits.pop() if "gl_duplicate" in feats else None
    duplicate_bank = next(t for t in txns if t.kind == "ach_out" and t.name == LANDLORD) \
        if "bank_duplicate" in feats else None

    opening_book = amounts.take(38000, 92000)
    return {
        "rng": rng, "year": year, "month": month, "end": end, "prev_end": prev_end, "txns": txns,
        "opening_book": opening_book, "duplicate_gl": duplicate_gl, "duplicate_bank": duplicate_bank,
        "company": COMPANIES[params["variant"] % len(COMPANIES)], "bank": BANKS[params["variant"] % len(BANKS)],
    }


def _bank_text(t: Txn) -> str:
    if t.bank_text:
        return t.bank_text
    if t.kind == "deposit":
        return "REMOTE DEPOSIT CAPTURE" if t.amount % 3 else "BRANCH DEPOSIT"
    if t.kind == "check":
        return f"CHECK {t.check_no}"
    word = "PAYROLL" if t.name == PAYROLL else "RENT"
    return f"ACH DEBIT {t.name.upper()} {word} PPD TRACE {t.extra['trace']}"


def post_views(sc: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Txn]]:
    """Assign ids and build the books' entries and the bank's lines (with injected duplicates)."""
    yymm = f"{sc['year'] % 100:02d}{sc['month']:02d}"
    prev = sc["prev_end"]
    prev_yymm = f"{prev.year % 100:02d}{prev.month:02d}"
    txns: list[Txn] = sc["txns"]
    prior = [t for t in txns if t.prior]
    for i, t in enumerate(prior):
        t.gl_id = f"{'CD' if t.kind == 'check' else 'CR'}{prev_yymm}-{41 + 3 * i:04d}"

    book: list[dict[str, Any]] = []
    in_books = sorted((t for t in txns if t.book_date and not t.prior), key=lambda t: (t.book_date, t.kind != "deposit"))
    for t in in_books:
        book.append({"txn": t, "amount": t.booked})
        if t is sc["duplicate_gl"]:
            book.append({"txn": t, "amount": t.booked, "duplicate": True})
    for seq, entry in enumerate(book, start=1):
        t = entry["txn"]
        journal = {"deposit": "CR", "check": "CD"}.get(t.kind, "GJ")
        entry["id"] = f"{journal}{yymm}-{seq + 100:04d}"
        if entry.get("duplicate"):
            t.extra["dup_gl_id"] = entry["id"]
        else:
            t.gl_id = entry["id"]

    bank: list[dict[str, Any]] = []
    kind_order = {"deposit": 0, "ach_in": 1, "interest": 2, "check": 3, "ach_out": 4, "autodebit": 5, "nsf": 6, "fee": 7}
    on_bank = sorted((t for t in txns if t.bank_date), key=lambda t: (t.bank_date, kind_order[t.kind]))
    for t in on_bank:
        bank.append({"txn": t, "amount": t.amount})
        if t is sc["duplicate_bank"]:
            bank.append({"txn": t, "amount": t.amount, "duplicate": True})
    for seq, line in enumerate(bank, start=1):
        t = line["txn"]
        line["id"] = f"{t.bank_date:%y%m%d}{seq:04d}"
        line["text"] = _bank_text(t)
        if line.get("duplicate"):
            t.extra["dup_bank_id"] = line["id"]
        else:
            t.bank_id = line["id"]
    return book, bank, prior


# ---------------------------------------------------------------------------------------------
# writing the inputs
# ---------------------------------------------------------------------------------------------


def money(cents: int) -> str:
    return f"{cents / 100:.2f}"


def gl_rows(sc: dict[str, Any], book: list[dict[str, Any]]) -> tuple[list[list[Any]], int]:
    """The GL detail table rows (after the header) and the book ending balance in cents."""
    balance = sc["opening_book"]
    first = dt.date(sc["year"], sc["month"], 1)
    rows: list[list[Any]] = [["", first, "", "", "", "Opening balance", "", "", "", balance]]
    for e in book:
        t: Txn = e["txn"]
        balance += e["amount"]
        memo = t.memo if t.kind != "check" else f"{t.memo} - check {t.check_no}"
        rows.append([e["id"], t.book_date, {"deposit": "CR", "check": "CD"}.get(t.kind, "GJ"),
                     t.check_no or "", t.name, memo, t.offset,
                     e["amount"] if e["amount"] > 0 else "", -e["amount"] if e["amount"] < 0 else "", balance])
    rows.append(["", sc["end"], "", "", "", "Ending balance", "", "", "", balance])
    return rows, balance


GL_HEADER = ["Entry No", "Date", "Journal", "Check No", "Name", "Memo", "Offset Account", "Debit", "Credit", "Balance"]


def gl_title(sc: dict[str, Any]) -> list[str]:
    first = dt.date(sc["year"], sc["month"], 1)
    return [sc["company"], "General Ledger Detail - Account 1010 Cash - Operating",
            f"Period: {first:%m/%d/%Y} - {sc['end']:%m/%d/%Y}"]


def write_gl(path: Path, sc: dict[str, Any], rows: list[list[Any]]) -> None:
    money_cols = (7, 8, 9)
    if path.suffix == ".csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        for line in gl_title(sc):
            w.writerow([line])
        w.writerow([])
        w.writerow(GL_HEADER)
        for r in rows:
            w.writerow([f"{v:%m/%d/%Y}" if isinstance(v, dt.date) else money(v) if i in money_cols and v != "" else v
                        for i, v in enumerate(r)])
        path.write_text(buf.getvalue())
        return
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "GL Detail"
    for i, line in enumerate(gl_title(sc), start=1):
        ws.cell(row=i, column=1, value=line).font = Font(bold=i == 1)
    ws.append([])
    ws.append(GL_HEADER)
    for r in rows:
        ws.append([v / 100 if i in money_cols and v != "" else v for i, v in enumerate(r)])
    for row in ws.iter_rows(min_row=6):
        row[1].number_format = "mm/dd/yyyy"
        for c in row[7:10]:
            c.number_format = "#,##0.00"
    for col, width in zip("ABCDEFGHIJ", (14, 11, 8, 9, 28, 30, 14, 12, 12, 13), strict=True):
        ws.column_dimensions[col].width = width
    wb.properties.creator = "ERP export"
    fixed = dt.datetime(sc["year"], sc["month"], 1) + dt.timedelta(days=40)
    wb.properties.created = wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_fixed_zip(buf.getvalue()))


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite an XLSX zip with fixed entry timestamps, so the same seed gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", content)
            dst.writestr(fixed, content)
    return out.getvalue()


def write_bank(path: Path, layout: str, sc: dict[str, Any], bank: list[dict[str, Any]], opening: int) -> int:
    """Write the statement; return the statement ending balance in cents."""
    balance = opening
    lines = []
    for b in bank:
        balance += b["amount"]
        lines.append((b, balance))
    if layout == "ofx":
        path.write_text(_ofx(sc, lines, balance))
        return balance
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if layout == "split":
        w.writerow(["Posting Date", "Transaction ID", "Description", "Check Number", "Debit", "Credit", "Running Balance"])
        for b, bal in lines:
            t = b["txn"]
            w.writerow([f"{t.bank_date:%m/%d/%Y}", b["id"], b["text"], t.check_no if t.kind == "check" else "",
                        money(-b["amount"]) if b["amount"] < 0 else "", money(b["amount"]) if b["amount"] > 0 else "",
                        money(bal)])
    else:
        w.writerow(["Date", "Reference", "Type", "Description", "Amount", "Balance"])
        for b, bal in lines:
            t = b["txn"]
            kind = "CHECK" if t.kind == "check" else "CREDIT" if b["amount"] > 0 else "DEBIT"
            text = b["text"] if t.kind != "check" else f"CHECK #{t.check_no}"
            w.writerow([f"{t.bank_date:%Y-%m-%d}", b["id"], kind, text, money(b["amount"]), money(bal)])
    path.write_text(buf.getvalue())
    return balance


def _ofx(sc: dict[str, Any], lines: list[tuple[dict[str, Any], int]], ending: int) -> str:
    first = dt.date(sc["year"], sc["month"], 1)
    out = [
        "OFXHEADER:100", "DATA:OFXSGML", "VERSION:102", "SECURITY:NONE", "ENCODING:USASCII", "CHARSET:1252",
        "COMPRESSION:NONE", "OLDFILEUID:NONE", "NEWFILEUID:NONE", "",
        "<OFX>", "<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>",
        f"<DTSERVER>{sc['end'] + dt.timedelta(days=2):%Y%m%d}080000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>",
        "<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>",
        "<STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>011075150<ACCTID>4471902263<ACCTTYPE>CHECKING</BANKACCTFROM>",
        f"<BANKTRANLIST><DTSTART>{first:%Y%m%d}<DTEND>{sc['end']:%Y%m%d}",
    ]
    for b, _ in lines:
        t = b["txn"]
        trntype = {"check": "CHECK", "deposit": "DEP", "fee": "SRVCHG", "interest": "INT"}.get(
            t.kind, "CREDIT" if b["amount"] > 0 else "DEBIT")
        out.append("<STMTTRN>")
        out.append(f"<TRNTYPE>{trntype}")
        out.append(f"<DTPOSTED>{t.bank_date:%Y%m%d}")
        out.append(f"<TRNAMT>{money(b['amount'])}")
        out.append(f"<FITID>{b['id']}")
        if t.kind == "check":
            out.append(f"<CHECKNUM>{t.check_no}")
        out.append(f"<NAME>{html.escape(b['text'][:32], quote=False)}")
        out.append(f"<MEMO>{html.escape(b['text'], quote=False)}")
        out.append("</STMTTRN>")
    out += [
        "</BANKTRANLIST>",
        f"<LEDGERBAL><BALAMT>{money(ending)}<DTASOF>{sc['end']:%Y%m%d}</LEDGERBAL>",
        "</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>", "",
    ]
    return "\n".join(out)


def write_static(input_dir: Path, sc: dict[str, Any], prior: list[Txn]) -> None:
    with open(input_dir / "chart_of_accounts.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["Account", "Name", "Type"])
        w.writerows(CHART)
    with open(input_dir / "counterparties.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["Name", "Type", "Default Account"])
        w.writerows([c, "Customer", "1200"] for c in CUSTOMERS)
        w.writerows([v, "Vendor", "2000"] for v in CHECK_VENDORS)
        w.writerows([v, "Vendor (pre-authorized debit)", a] for v, a, _ in AUTODEBIT_VENDORS)
        w.writerow([PAYROLL, "Payroll provider", "2100"])
        w.writerow([LANDLORD, "Vendor (pre-authorized debit)", "6500"])
    with open(input_dir / "prior_reconciliation.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["Item Type", "Entry No", "Date", "Check No", "Name", "Amount"])
        for t in prior:
            kind = "Outstanding check" if t.kind == "check" else "Deposit in transit"
            w.writerow([kind, t.gl_id, f"{t.book_date:%m/%d/%Y}", t.check_no or "", t.name, money(abs(t.amount))])


# ---------------------------------------------------------------------------------------------
# the reference
# ---------------------------------------------------------------------------------------------


def reference_items(sc: dict[str, Any], book: list[dict[str, Any]], bank: list[dict[str, Any]], prior: list[Txn]) -> dict:
    """The reconciling items, the expected classification of every transaction, and the duplicate pairs."""
    bank_items, book_items, matching, duplicates = [], [], {}, []
    gl_offsets = {e["id"]: e["txn"].offset for e in book}
    type_of = {"fee": "bank_fee", "interest": "interest_income", "nsf": "nsf_check",
               "ach_in": "unrecorded_receipt", "autodebit": "unrecorded_payment"}
    for t in sc["txns"]:
        if t.book_date is None:  # bank only
            kind = type_of[t.kind]
            book_items.append({"ref": t.bank_id, "type": kind, "amount": t.amount / 100, "account": t.offset})
            matching[f"BANK|{t.bank_id}"] = {"status": "unmatched", "matched_to": "", "type": kind}
            continue
        source = "PRIOR" if t.prior else "BOOK"
        if t.bank_date is None:
            kind = "deposit_in_transit" if t.kind == "deposit" else "outstanding_check"
            bank_items.append({"ref": t.gl_id, "type": kind, "amount": t.amount / 100})
            matching[f"{source}|{t.gl_id}"] = {"status": "unmatched", "matched_to": "", "type": kind}
            continue
        if t.book_amount is not None:
            diff = (t.amount - t.book_amount) / 100
            book_items.append({"ref": t.gl_id, "type": "book_error", "amount": diff, "account": gl_offsets[t.gl_id]})
            matching[f"BOOK|{t.gl_id}"] = {"status": "matched_with_difference", "matched_to": t.bank_id,
                                           "type": "book_error"}
            matching[f"BANK|{t.bank_id}"] = {"status": "matched_with_difference", "matched_to": t.gl_id,
                                             "type": "book_error"}
        else:
            matching[f"{source}|{t.gl_id}"] = {"status": "matched", "matched_to": t.bank_id, "type": "cleared"}
            matching[f"BANK|{t.bank_id}"] = {"status": "matched", "matched_to": t.gl_id, "type": "cleared"}
        if "dup_gl_id" in t.extra:
            dup = t.extra["dup_gl_id"]
            book_items.append({"ref": dup, "type": "book_error", "amount": -t.amount / 100, "account": t.offset})
            matching[f"BOOK|{dup}"] = {"status": "unmatched", "matched_to": "", "type": "book_error"}
            duplicates.append([t.gl_id, dup])
        if "dup_bank_id" in t.extra:
            dup = t.extra["dup_bank_id"]
            bank_items.append({"ref": dup, "type": "bank_error", "amount": -t.amount / 100})
            matching[f"BANK|{dup}"] = {"status": "unmatched", "matched_to": "", "type": "bank_error"}
            duplicates.append([t.bank_id, dup])
    return {"bank_items": bank_items, "book_items": book_items, "matching": matching, "duplicates": duplicates}


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    sc = build_scenario(params)
    book, bank, prior = post_views(sc)
    write_static(input_dir, sc, prior)
    rows, book_end = gl_rows(sc, book)
    write_gl(input_dir / params["gl_file"], sc, rows)
    prior_out = sum(-t.amount for t in prior if t.kind == "check")
    prior_dit = sum(t.amount for t in prior if t.kind == "deposit")
    opening_bank = sc["opening_book"] + prior_out - prior_dit
    bank_end = write_bank(input_dir / params["bank_file"], params["bank_layout"], sc, bank, opening_bank)
    ref = reference_items(sc, book, bank, prior)
    adjusted_bank = round(bank_end / 100 + sum(i["amount"] for i in ref["bank_items"]), 2)
    adjusted_book = round(book_end / 100 + sum(i["amount"] for i in ref["book_items"]), 2)
    if abs(adjusted_bank - adjusted_book) > TOL:
        raise AssertionError(f"generator does not reconcile: {adjusted_bank} vs {adjusted_book}")
    ref.update(bank_balance=bank_end / 100, book_balance=book_end / 100, adjusted_balance=adjusted_bank)
    (reference_dir / "reference.json").write_text(json.dumps(ref, indent=1, sort_keys=True))


# ---------------------------------------------------------------------------------------------
# grading
# ---------------------------------------------------------------------------------------------


def norm_id(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value if value is not None else "").strip()


def norm_account(value: Any) -> str:
    match = re.match(r"\s*(\d{4})", norm_id(value))
    return match.group(1) if match else norm_id(value)


def sheet_rows(wb: Any, name: str, required: list[str]) -> list[dict[str, Any]] | None:
    """The rows under the first header row (within the top 10) holding every required column."""
    sheet = next((wb[s] for s in wb.sheetnames if s.strip().lower() == name.lower()), None)
    if sheet is None:
        return None
    rows = list(sheet.iter_rows(values_only=True))
    for i, row in enumerate(rows[:10]):
        header = [str(c).strip().lower() if c is not None else "" for c in row]
        if all(r.lower() in header for r in required):
            out = []
            for values in rows[i + 1:]:
                if all(v is None or str(v).strip() == "" for v in values):
                    continue
                out.append({header[j]: v for j, v in enumerate(values) if j < len(header) and header[j]})
            return out
    return None


def swap_map(ref: dict[str, Any], recon: list[dict[str, Any]], matching: list[dict[str, str]]) -> dict[str, str]:
    """Rename map for duplicate pairs where the submission flagged the other copy as the duplicate."""
    flagged = {norm_id(r.get("reference")) for r in recon if str(r.get("item_type", "")).strip() in
               ("book_error", "bank_error")}
    flagged |= {r.get("Txn_ID", "") for r in matching if r.get("Status", "").lower() == "unmatched"
                and r.get("Item_Type", "").lower() in ("book_error", "bank_error")}
    swaps: dict[str, str] = {}
    for original, dup in ref["duplicates"]:
        if original in flagged and dup not in flagged:
            swaps.update({original: dup, dup: original})
    return swaps


def grade_reconciliation(g: Grading, ref: dict[str, Any], recon: list[dict[str, Any]], swaps: dict[str, str]) -> None:
    sides: dict[str, dict[str, Any]] = {"BANK": {"items": []}, "BOOK": {"items": []}}
    for r in recon:
        section = str(r.get("section", "")).strip().upper()
        kind = str(r.get("item_type", "")).strip().lower()
        if section not in sides:
            continue
        amount = r.get("amount")
        if kind in ("balance_per_bank", "balance_per_books"):
            sides[section]["balance"] = amount
        elif kind == "adjusted_balance":
            sides[section]["adjusted"] = amount
        else:
            ident = norm_id(r.get("reference"))
            sides[section]["items"].append({"ref": swaps.get(ident, ident), "type": kind, "amount": amount})
    bank, book = sides["BANK"], sides["BOOK"]
    ok_bal = (is_close(bank.get("balance"), ref["bank_balance"], abs_tol=TOL) and is_close(book.get("balance"), ref["book_balance"], abs_tol=TOL))
    g.check("balances per bank and per books carried from the inputs", ok_bal,
            expected=[ref["bank_balance"], ref["book_balance"]], found=[bank.get("balance"), book.get("balance")])
    footing = []
    for side in (bank, book):
        total = as_number(side.get("balance"))
        items = [as_number(i["amount"]) for i in side["items"]]
        if total is None or any(v is None for v in items) or as_number(side.get("adjusted")) is None:
            footing.append(False)
            continue
        footing.append(abs(total + sum(items) - as_number(side["adjusted"])) <= TOL)
    tied = footing == [True, True] and is_close(bank.get("adjusted"), as_number(book.get("adjusted")) or 0.0, abs_tol=TOL)
    g.check("both sides foot and adjusted bank equals adjusted book", tied,
            found={"bank_adjusted": bank.get("adjusted"), "book_adjusted": book.get("adjusted"), "footing": footing},
            reason="" if tied else "an adjusted balance is not balance + listed items, or the two sides differ")
    g.number("adjusted cash balance", bank.get("adjusted"), ref["adjusted_balance"], abs_tol=TOL, weight=2)
    g.table("bank-side reconciling items", bank["items"], ref["bank_items"], key="ref",
            columns={"type": None, "amount": TOL}, weight=2)
    g.table("book-side reconciling items", book["items"], ref["book_items"], key="ref",
            columns={"type": None, "amount": TOL}, weight=2)


def grade_entries(g: Grading, ref: dict[str, Any], lines: list[dict[str, Any]] | None, swaps: dict[str, str]) -> None:
    if not lines:
        g.check("adjusting entries balance", False, reason="no entry lines found")
        g.check("adjusting entries post each book-side item to the right accounts", False, weight=2)
        g.check("adjusting entries bring the books to the adjusted balance", False)
        return
    entries: dict[str, list[float]] = {}
    by_ref: dict[str, list[tuple[str, float]]] = {}
    cash_net = 0.0
    numeric = True
    for line in lines:
        if not norm_id(line.get("account")):
            continue  # a totals or note row
        dr, cr = as_number(line.get("debit") or 0), as_number(line.get("credit") or 0)
        if dr is None or cr is None:
            numeric = False
            continue
        entries.setdefault(norm_id(line.get("entry")), []).append(dr - cr)
        account = norm_account(line.get("account"))
        ident = norm_id(line.get("item_ref"))
        by_ref.setdefault(swaps.get(ident, ident), []).append((account, dr - cr))
        if account == CASH:
            cash_net += dr - cr
    unbalanced = [e for e, amounts in entries.items() if abs(sum(amounts)) > TOL]
    g.check("adjusting entries balance", numeric and not unbalanced, expected="debits == credits in every entry",
            found=f"{len(entries)} entries", reason=f"unbalanced: {unbalanced[:5]}" if unbalanced else
            "" if numeric else "non-numeric debit/credit")
    expected = {i["ref"]: i for i in ref["book_items"]}
    good, problems = 0, []
    for ident, item in expected.items():
        posted = by_ref.get(ident, [])
        cash = sum(a for acc, a in posted if acc == CASH)
        others = {acc for acc, _ in posted if acc != CASH}
        other_total = sum(a for acc, a in posted if acc != CASH)
        if abs(cash - item["amount"]) <= TOL and others == {item["account"]} and abs(other_total + cash) <= TOL:
            good += 1
        else:
            problems.append(f"{ident}: cash {cash:.2f} against {sorted(others)} (want {item['amount']:.2f} "
                            f"against {item['account']})")
    extra = [r for r in by_ref if r not in expected]
    score = good / (len(expected) + len(extra)) if expected or extra else 1.0
    g.check("adjusting entries post each book-side item to the right accounts", score, weight=2,
            expected=f"{len(expected)} items", found=f"{good} correct",
            reason="; ".join(problems[:6]) + (f"; entries for non-book items: {extra[:5]}" if extra else ""))
    g.number("adjusting entries bring the books to the adjusted balance", ref["book_balance"] + cash_net,
             ref["adjusted_balance"], abs_tol=TOL)


def grade_matching(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]], swaps: dict[str, str]) -> None:
    found = []
    for r in rows:
        ident = swaps.get(r.get("Txn_ID", ""), r.get("Txn_ID", ""))
        counterpart = swaps.get(r.get("Matched_To", ""), r.get("Matched_To", ""))
        found.append({"key": f"{r.get('Source', '').upper()}|{ident}", "status": r.get("Status", "").lower(),
                      "matched_to": counterpart, "type": r.get("Item_Type", "").lower()})
    expected = [{"key": k, **v} for k, v in ref["matching"].items()]
    g.table("every transaction matched and classified", found, expected, key="key",
            columns={"status": None, "matched_to": None, "type": None}, weight=2)


def grade(g: Grading) -> None:
    if not g.require_files("reconciliation.xlsx", "matching.csv"):
        return
    ref = g.reference_json("reference.json")
    wb = g.read_xlsx("reconciliation.xlsx")
    matching = g.read_csv("matching.csv", required_columns=["Source", "Txn_ID", "Status", "Matched_To", "Item_Type"])
    if wb is None or matching is None:
        return
    recon = sheet_rows(wb, "Reconciliation", ["Section", "Item_Type", "Reference", "Amount"])
    entries = sheet_rows(wb, "Adjusting Entries", ["Entry", "Account", "Debit", "Credit", "Item_Ref"])
    if not g.check("workbook has the Reconciliation and Adjusting Entries sheets in the agreed layout",
                   recon is not None and entries is not None, gate=True,
                   found=wb.sheetnames, reason="" if recon is not None and entries is not None else
                   "a sheet or its header row (Section, Item_Type, Reference, Amount / Entry, Account, Debit, "
                   "Credit, Item_Ref) is missing"):
        return
    swaps = swap_map(ref, recon, matching)
    grade_reconciliation(g, ref, recon, swaps)
    grade_entries(g, ref, entries, swaps)
    grade_matching(g, ref, matching, swaps)
