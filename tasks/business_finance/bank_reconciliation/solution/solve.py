#!/usr/bin/env python3
"""Oracle for the bank reconciliation: match the statement to the GL, classify what is left,
write the reconciliation workbook with live formulas and let LibreOffice Calc recalculate it."""
# ALE-CANARY-ed2c7f1e-7046-48c9-971a-6776f401b939

from __future__ import annotations

import csv
import datetime as dt
import html
import os
import re
import subprocess
import tempfile
from pathlib import Path

import openpyxl
from openpyxl.styles import Font

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
CASH = "1010"


def cents(value: object) -> int:
    if value is None or str(value).strip() == "":
        return 0
    return round(float(str(value).replace(",", "").replace("$", "")) * 100)


def as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt, width in (("%m/%d/%Y", 10), ("%Y-%m-%d", 10), ("%Y%m%d", 8)):
        try:
            return dt.datetime.strptime(text[:width], fmt).date()
        except ValueError:
            continue
    raise ValueError(f"unreadable date {value!r}")


def table(path: Path) -> list[list[object]]:
    if path.suffix == ".xlsx":
        return [list(r) for r in openpyxl.load_workbook(path, data_only=True).active.iter_rows(values_only=True)]
    with open(path, newline="") as fh:
        return [list(r) for r in csv.reader(fh)]


def load_gl() -> tuple[int, list[dict]]:
    rows = table(next(IN.glob("gl_cash_detail.*")))
    start = next(i for i, r in enumerate(rows) if r and r[0] == "Entry No")
    header = [str(h) for h in rows[start]]
    ending, entries = None, []
    for values in rows[start + 1:]:
        r = dict(zip(header, values, strict=False))
        if not any(v not in (None, "") for v in values):
            continue
        if str(r["Memo"]).strip() == "Ending balance":
            ending = cents(r["Balance"])
        if not r["Entry No"]:
            continue
        entries.append({
            "source": "BOOK", "id": str(r["Entry No"]), "date": as_date(r["Date"]),
            "check": str(r["Check No"] or "").split(".")[0], "name": str(r["Name"]), "offset": str(r["Offset Account"]),
            "amount": cents(r["Debit"]) - cents(r["Credit"]),
        })
    return ending, entries


def load_prior() -> list[dict]:
    with open(IN / "prior_reconciliation.csv", newline="") as fh:
        items = []
        for r in csv.DictReader(fh):
            sign = -1 if r["Item Type"].lower().startswith("outstanding") else 1
            items.append({"source": "PRIOR", "id": r["Entry No"], "date": as_date(r["Date"]), "check": r["Check No"],
                          "name": r["Name"], "offset": "", "amount": sign * cents(r["Amount"])})
    return items


def load_bank() -> tuple[int, list[dict]]:
    path = next(IN.glob("bank_statement.*"))
    if path.suffix == ".ofx":
        text = path.read_text()
        lines = []
        for block in re.findall(r"<STMTTRN>(.*?)</STMTTRN>", text, re.S):
            tag = dict(re.findall(r"<(\w+)>([^<\n]*)", block))
            lines.append({"id": tag["FITID"], "date": as_date(tag["DTPOSTED"]), "amount": cents(tag["TRNAMT"]),
                          "check": tag.get("CHECKNUM", ""), "text": html.unescape(tag.get("MEMO", tag.get("NAME", "")))})
        ending = cents(re.search(r"<LEDGERBAL><BALAMT>([-\d.]+)", text).group(1))
        return ending, lines
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    lines = []
    for r in rows:
        if "Debit" in r:
            lines.append({"id": r["Transaction ID"], "date": as_date(r["Posting Date"]), "text": r["Description"],
                          "amount": cents(r["Credit"]) - cents(r["Debit"]), "check": r["Check Number"],
                          "balance": cents(r["Running Balance"])})
        else:
            number = re.search(r"CHECK #?(\d+)", r["Description"]) if r["Type"] == "CHECK" else None
            lines.append({"id": r["Reference"], "date": as_date(r["Date"]), "text": r["Description"],
                          "amount": cents(r["Amount"]), "check": number.group(1) if number else "",
                          "balance": cents(r["Balance"])})
    return lines[-1]["balance"], lines


def counterparties() -> dict[str, str]:
    with open(IN / "counterparties.csv", newline="") as fh:
        return {r["Name"].upper(): r["Default Account"] for r in csv.DictReader(fh)}


def pair(bank: dict, book: dict) -> None:
    same = bank["amount"] == book["amount"]
    status = "matched" if same else "matched_with_difference"
    kind = "cleared" if same else "book_error"
    bank.update(status=status, match=book["id"], type=kind)
    book.update(status=status, match=bank["id"], type=kind)
    if not same:
        book["item"] = ("BOOK", "book_error", bank["amount"] - book["amount"], book["offset"])


def match(bank: list[dict], books: list[dict], parties: dict[str, str]) -> None:
    """Match and classify in place: each line gains status, match, type and (if reconciling) item."""
    for line in bank + books:
        line.update(status="unmatched", match="", type="", item=None)
    open_books = lambda: [b for b in books if b["status"] == "unmatched"]  # noqa: E731
    # 1. checks by number
    for line in bank:
        if line["check"]:
            book = next((b for b in open_books() if b["check"] == line["check"]), None)
            if book:
                pair(line, book)
    # 2. everything else by amount, the nearest posting date within a week
    for line in bank:
        if line["status"] != "unmatched" or line["check"]:
            continue
        candidates = [b for b in open_books() if not b["check"] and b["amount"] == line["amount"]
                      and -1 <= (line["date"] - b["date"]).days <= 7]
        if candidates:
            pair(line, min(candidates, key=lambda b: abs((line["date"] - b["date"]).days)))
    # 3. duplicates on either side
    for book in open_books():
        twin = next((b for b in books if b["status"] != "unmatched" and b is not book and
                     (b["date"], b["name"], b["amount"], b["offset"]) ==
                     (book["date"], book["name"], book["amount"], book["offset"])), None)
        if twin:
            book.update(type="book_error", item=("BOOK", "book_error", -book["amount"], book["offset"]))
    for line in (b for b in bank if b["status"] == "unmatched"):
        twin = next((b for b in bank if b["status"] != "unmatched"
                     and (b["date"], b["text"], b["amount"]) == (line["date"], line["text"], line["amount"])), None)
        if twin:
            line.update(type="bank_error", item=("BANK", "bank_error", -line["amount"], ""))
    # 4. transposed deposits: same few days, a difference that is a multiple of 9 dollars
    for line in bank:
        if line["status"] == "unmatched" and not line["type"] and line["amount"] > 0 and "DEPOSIT" in line["text"]:
            book = next((b for b in open_books() if b["amount"] > 0 and not b["type"] and b["source"] == "BOOK"
                         and (line["amount"] - b["amount"]) % 900 == 0 and abs((line["date"] - b["date"]).days) <= 3),
                        None)
            if book:
                pair(line, book)
    # 5. what only the bank knows
    for line in bank:
        if line["status"] == "unmatched" and not line["type"]:
            kind, account = classify(line, parties)
            line.update(type=kind, item=("BOOK", kind, line["amount"], account))
    # 6. what only the books know
    for book in open_books():
        if not book["type"]:
            kind = "outstanding_check" if book["amount"] < 0 else "deposit_in_transit"
            book.update(type=kind, item=("BANK", kind, book["amount"], ""))


def classify(line: dict, parties: dict[str, str]) -> tuple[str, str]:
    text = line["text"].upper()
    if "RETURNED" in text and "FEE" not in text:
        return "nsf_check", "1200"
    if "FEE" in text or "SERVICE CHARGE" in text:
        return "bank_fee", "6150"
    if "INTEREST" in text:
        return "interest_income", "4910"
    party = next((name for name in parties if name in text), None)
    if party is None:
        raise SystemExit(f"unexplained bank line: {line}")
    return ("unrecorded_receipt" if line["amount"] > 0 else "unrecorded_payment"), parties[party]


def write_workbook(bank_end: int, book_end: int, bank: list[dict], books: list[dict], period_end: dt.date) -> Path:
    with open(IN / "chart_of_accounts.csv", newline="") as fh:
        names = {r["Account"]: r["Name"] for r in csv.DictReader(fh)}
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Reconciliation"
    ws.append(["Section", "Item_Type", "Reference", "Date", "Description", "Amount"])
    sources = [("BANK", "balance_per_bank", bank_end, "Balance per bank statement"),
               ("BOOK", "balance_per_books", book_end, "Balance per general ledger")]
    rows_of = {}
    for section, label, balance, text in sources:
        first = ws.max_row + 1
        ws.append([section, label, "", period_end, text, balance / 100])
        for line in bank + books:
            if line["item"] and line["item"][0] == section:
                description = line.get("text") or f"{line['name']} ({line['source'].lower()} {line['date']:%m/%d})"
                ws.append([section, line["item"][1], line["id"], line["date"], description, line["item"][2] / 100])
        last = ws.max_row
        ws.append([section, "adjusted_balance", "", period_end, f"Adjusted {section.lower()} balance",
                   f"=ROUND(SUM(F{first}:F{last}),2)"])
        rows_of[section] = ws.max_row
        ws.cell(row=ws.max_row, column=6).font = Font(bold=True)
    ws.append(["CHECK", "difference", "", period_end, "Adjusted bank less adjusted book",
               f"=F{rows_of['BANK']}-F{rows_of['BOOK']}"])
    for row in ws.iter_rows(min_row=2):
        row[3].number_format = "mm/dd/yyyy"
        row[5].number_format = "#,##0.00;(#,##0.00)"
    for col, width in zip("ABCDEF", (9, 20, 14, 11, 58, 14), strict=True):
        ws.column_dimensions[col].width = width

    je = wb.create_sheet("Adjusting Entries")
    je.append(["Entry", "Date", "Account", "Account_Name", "Debit", "Credit", "Item_Ref", "Memo"])
    number = 0
    for line in bank + books:
        if not line["item"] or line["item"][0] != "BOOK":
            continue
        number += 1
        _, kind, amount, account = line["item"]
        entry = f"AJE-{number:02d}"
        memo = f"{kind.replace('_', ' ')}: {line.get('text') or line['name']}"
        cash = (CASH, amount / 100 if amount > 0 else None, -amount / 100 if amount < 0 else None)
        other = (account, -amount / 100 if amount < 0 else None, amount / 100 if amount > 0 else None)
        for acc, debit, credit in ((cash, other) if amount > 0 else (other, cash)):
            je.append([entry, period_end, int(acc), names.get(acc, ""), debit, credit, line["id"], memo])
    for row in je.iter_rows(min_row=2):
        row[1].number_format = "mm/dd/yyyy"
    last = je.max_row
    je.append(["Total", None, None, None, f"=SUM(E2:E{last})", f"=SUM(F2:F{last})", None, None])
    scratch = Path(tempfile.mkdtemp())
    wb.save(scratch / "reconciliation.xlsx")
    return scratch / "reconciliation.xlsx"


def recalculate(path: Path) -> None:
    """Open and re-save with LibreOffice Calc so the formula results are stored in the file."""
    profile = Path(tempfile.mkdtemp())
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--calc",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(OUT), str(path)],
                   check=True, capture_output=True, timeout=180)
    ws = openpyxl.load_workbook(OUT / path.name, data_only=True)["Reconciliation"]
    adjusted = [r[5] for r in ws.iter_rows(min_row=2, values_only=True) if r[1] == "adjusted_balance"]
    if len(adjusted) != 2 or adjusted[0] is None or abs(adjusted[0] - adjusted[1]) > 0.005:
        raise SystemExit(f"reconciliation does not tie: {adjusted}")


def write_matching(bank: list[dict], books: list[dict]) -> None:
    with open(OUT / "matching.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Source", "Txn_ID", "Date", "Amount", "Status", "Matched_To", "Item_Type"])
        for line in bank:
            w.writerow(["BANK", line["id"], line["date"].isoformat(), f"{line['amount'] / 100:.2f}", line["status"],
                        line["match"], line["type"]])
        for book in books:
            w.writerow([book["source"], book["id"], book["date"].isoformat(), f"{book['amount'] / 100:.2f}",
                        book["status"], book["match"], book["type"]])


def main() -> None:
    book_end, entries = load_gl()
    bank_end, bank = load_bank()
    books = entries + load_prior()
    match(bank, books, counterparties())
    period_end = max(line["date"] for line in bank + entries)
    period_end = (period_end.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    OUT.mkdir(parents=True, exist_ok=True)
    recalculate(write_workbook(bank_end, book_end, bank, books, period_end))
    write_matching(bank, books)


if __name__ == "__main__":
    main()
