#!/usr/bin/env python3
"""Plausible fabrication: the variance table from the ledger export as it came (no journals, no Impress),
the template renamed as the deck and a one-page PDF typed by hand."""

import csv
import os
import shutil
from pathlib import Path

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (IN / "management_accounts.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    last = max(r["month"] for r in rows)
    with (OUT / "variances.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["line", "actual", "budget", "variance", "variance_pct", "prior_year", "variance_py",
                      "variance_py_pct", "top3_rank"])
        for r in rows:
            if r["month"] == last:
                a, b, p = (abs(float(r[k])) for k in ("actual", "budget", "prior_year"))
                out.writerow([r["line"], a, b, a - b, round(100 * (a - b) / b, 1), p, a - p,
                              round(100 * (a - p) / p, 1), ""])
    shutil.copyfile(IN / "company_template.otp", OUT / "board_pack.odp")
    (OUT / "board_pack.pdf").write_bytes(
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 792 445]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


main()
