#!/usr/bin/env python3
"""Plausible fabrication: right files and layout, but the reconciliation is forced with a plug
and the matching is a naive same-amount lookup with guessed classifications."""

import csv
import os
import re
from pathlib import Path

import openpyxl

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def num(text):
    try:
        return float(str(text).replace(",", ""))
    except ValueError:
        return 0.0


def gl_entries():
    path = next(IN.glob("gl_cash_detail.*"))
    if path.suffix == ".xlsx":
        rows = [list(r) for r in openpyxl.load_workbook(path, data_only=True).active.iter_rows(values_only=True)]
    else:
        rows = list(csv.reader(path.open()))
    entries, ending = [], 0.0
    for r in rows:
        if r and r[0] and str(r[0]) != "Entry No" and len(r) > 9 and r[9] not in (None, ""):
            entries.append((str(r[0]), num(r[7] or 0) - num(r[8] or 0)))
        if r and len(r) > 9 and r[5] == "Ending balance":
            ending = num(r[9])
    return entries, ending


def bank_lines():
    path = next(IN.glob("bank_statement.*"))
    text = path.read_text()
    if path.suffix == ".ofx":
        ids = re.findall(r"<FITID>(\S+)", text)
        amounts = [num(a) for a in re.findall(r"<TRNAMT>(\S+)", text)]
        ending = num(re.search(r"<BALAMT>(\S+)", text).group(1))
        return list(zip(ids, amounts, strict=False)), ending
    rows = list(csv.reader(text.splitlines()))[1:]
    lines = [(r[1], num(r[5]) - num(r[4])) if len(r) == 7 else (r[1], num(r[4])) for r in rows]
    return lines, num(rows[-1][-1])


def main():
    entries, book_end = gl_entries()
    lines, bank_end = bank_lines()
    OUT.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Reconciliation"
    ws.append(["Section", "Item_Type", "Reference", "Date", "Description", "Amount"])
    ws.append(["BANK", "balance_per_bank", "", "", "Balance per bank", bank_end])
    ws.append(["BANK", "outstanding_check", "VARIOUS", "", "Outstanding items, net", round(book_end - bank_end, 2)])
    ws.append(["BANK", "adjusted_balance", "", "", "Adjusted bank balance", book_end])
    ws.append(["BOOK", "balance_per_books", "", "", "Balance per books", book_end])
    ws.append(["BOOK", "adjusted_balance", "", "", "Adjusted book balance", book_end])
    je = wb.create_sheet("Adjusting Entries")
    je.append(["Entry", "Date", "Account", "Account_Name", "Debit", "Credit", "Item_Ref", "Memo"])
    je.append(["AJE-01", "", 6150, "Bank Service Charges", 25.0, None, "FEES", "Estimated bank charges"])
    je.append(["AJE-01", "", 1010, "Cash - Operating", None, 25.0, "FEES", "Estimated bank charges"])
    wb.save(OUT / "reconciliation.xlsx")
    by_amount = {round(a, 2): e for e, a in entries}
    with open(OUT / "matching.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Source", "Txn_ID", "Date", "Amount", "Status", "Matched_To", "Item_Type"])
        for ident, amount in lines:
            hit = by_amount.get(round(amount, 2))
            w.writerow(["BANK", ident, "", f"{amount:.2f}", "matched" if hit else "unmatched", hit or "",
                        "cleared" if hit else "bank_fee"])
        for ident, amount in entries:
            w.writerow(["BOOK", ident, "", f"{amount:.2f}", "matched", "", "cleared"])


if __name__ == "__main__":
    main()
