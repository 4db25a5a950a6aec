#!/usr/bin/env python3
"""Plausible fabrication: the right five files and columns, but triangles taken naively (payments
summed by transaction year), simple-average factors, and a rule-of-thumb 12% coefficient of
variation instead of Mack's model."""

import csv
import json
import os
from collections import defaultdict
from pathlib import Path

import openpyxl

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def cells():
    data = defaultdict(dict)  # (lob, basis) -> {(year, age): value}
    if (IN / "loss_development.csv").exists():
        for r in csv.DictReader((IN / "loss_development.csv").open()):
            key = (int(r["Accident_Year"]), int(r["Development_Months"]))
            data[(r["LOB"], "paid")][key] = float(r["Cumulative_Paid"])
            data[(r["LOB"], "incurred")][key] = float(r["Cumulative_Incurred"])
    elif (IN / "claim_transactions.csv").exists():
        for r in csv.DictReader((IN / "claim_transactions.csv").open()):
            year, tyear = int(r["Accident_Date"][:4]), int(r["Transaction_Date"][:4])
            key = (year, 12 * (tyear - year + 1))
            paid = float(r["Paid_Amount"])
            data[(r["LOB"], "paid")][key] = data[(r["LOB"], "paid")].get(key, 0.0) + paid
            data[(r["LOB"], "incurred")][key] = data[(r["LOB"], "incurred")].get(key, 0.0) + paid + float(
                r["Case_Reserve_Change"])
    else:
        wb = openpyxl.load_workbook(IN / "loss_triangles.xlsx", data_only=True)
        for ws in wb.worksheets:
            lob, basis = ws.title.rsplit(" ", 1)
            rows = list(ws.iter_rows(values_only=True))
            ages = rows[3][1:]
            for r in rows[4:]:
                for age, v in zip(ages, r[1:], strict=False):
                    if v is not None:
                        data[(lob, basis.lower())][(int(r[0]), int(age))] = float(v)
    return data


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    tri_rows, link_rows, fac_rows, ult_rows, results = [], [], [], [], []
    data = cells()
    latest = {}
    for (lob, basis), tri in data.items():
        for (year, age), v in tri.items():
            if (year, age + 12) not in tri:
                latest[(lob, basis, year)] = (age, v)
    for (lob, basis), tri in sorted(data.items()):
        ages = sorted({a for _, a in tri})
        years = sorted({y for y, _ in tri})
        factors = []
        for a in ages[:-1]:
            ratios = [tri[(y, a + 12)] / tri[(y, a)] for y in years if (y, a + 12) in tri and tri.get((y, a))]
            for y in years:
                if (y, a + 12) in tri and tri.get((y, a)):
                    link_rows.append([lob, basis, y, a, a + 12, tri[(y, a + 12)] / tri[(y, a)]])
            factors.append(sum(ratios) / len(ratios) if ratios else 1.0)
        cdfs = []
        running = 1.0
        for f in reversed(factors):
            running *= f
            cdfs.insert(0, running)
        for a, f, c in zip(ages, factors, cdfs, strict=False):
            fac_rows.append([lob, basis, a, a + 12, f, c, 0.1 * (f - 1) ** 0.5])
        for (y, a), v in sorted(tri.items()):
            tri_rows.append([lob, basis, y, a, v])
        tot = {"ultimate": 0.0, "ibnr": 0.0, "unpaid": 0.0}
        for y in years:
            age, v = latest[(lob, basis, y)]
            cdf = cdfs[ages.index(age)] if age in ages[:-1] else 1.0
            ult = v * cdf
            paid = latest.get((lob, "paid", y), (0, 0))[1]
            inc = latest.get((lob, "incurred", y), (0, 0))[1]
            ult_rows.append([lob, basis, y, age, paid, inc, cdf, ult, ult - inc, ult - paid, 0.12 * (ult - v)])
            tot["ultimate"] += ult
            tot["ibnr"] += ult - inc
            tot["unpaid"] += ult - paid
        results.append({"lob": lob, "basis": basis, **tot, "mack_se": 0.12 * tot["unpaid"]})
    write("triangles.csv", ["LOB", "Basis", "Accident_Year", "Age_Months", "Cumulative"], tri_rows)
    write("link_ratios.csv", ["LOB", "Basis", "Accident_Year", "From_Age", "To_Age", "Link_Ratio"], link_rows)
    write("selected_factors.csv", ["LOB", "Basis", "From_Age", "To_Age", "Selected_Factor", "CDF", "Sigma"], fac_rows)
    write("ultimates.csv", ["LOB", "Basis", "Accident_Year", "Latest_Age", "Paid_To_Date", "Incurred_To_Date", "CDF",
                            "Ultimate", "IBNR", "Unpaid", "Mack_SE"], ult_rows)
    (OUT / "summary.json").write_text(json.dumps({"valuation_date": "2025-12-31", "results": results}))


def write(name, header, rows):
    with open(OUT / name, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


if __name__ == "__main__":
    main()
