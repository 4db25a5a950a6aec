#!/usr/bin/env python3
"""Oracle for the chain-ladder review: build the triangles with the chainladder package, fit
volume-weighted development with Mack's sigma extrapolation, and run MackChainladder."""
# ALE-CANARY-82a1dbd8-1a6e-4290-9cb6-1ade12b3e614

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import chainladder as cl
import numpy as np
import openpyxl
import pandas as pd

warnings.filterwarnings("ignore")
IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def from_cumulative(rows: pd.DataFrame) -> cl.Triangle:
    """rows: LOB, Accident_Year, Age, paid, incurred (cumulative)."""
    rows = rows.assign(
        origin=rows["Accident_Year"].astype(str),
        valuation=[f"{y + a // 12 - 1}-12-31" for y, a in zip(rows["Accident_Year"], rows["Age"], strict=True)],
    )
    return cl.Triangle(rows, origin="origin", development="valuation", columns=["paid", "incurred"], index=["LOB"],
                       cumulative=True)


def load_triangles() -> cl.Triangle:
    if (path := IN / "claim_transactions.csv").exists():
        df = pd.read_csv(path)
        df["paid"] = df["Paid_Amount"]
        df["incurred"] = df["Paid_Amount"] + df["Case_Reserve_Change"]
        tri = cl.Triangle(df, origin="Accident_Date", development="Transaction_Date", columns=["paid", "incurred"],
                          index=["LOB"], cumulative=False)
        return tri.grain("OYDY").incr_to_cum()
    if (path := IN / "loss_development.csv").exists():
        df = pd.read_csv(path).rename(columns={"Development_Months": "Age", "Cumulative_Paid": "paid",
                                               "Cumulative_Incurred": "incurred"})
        return from_cumulative(df)
    wb = openpyxl.load_workbook(IN / "loss_triangles.xlsx", data_only=True)
    cells: dict[tuple[str, int, int], dict[str, float]] = {}
    for ws in wb.worksheets:
        lob, basis = ws.title.rsplit(" ", 1)
        rows = list(ws.iter_rows(values_only=True))
        head = next(i for i, r in enumerate(rows) if r and r[0] == "Accident Year")
        ages = rows[head][1:]
        for r in rows[head + 1:]:
            for age, value in zip(ages, r[1:], strict=False):
                if r[0] is not None and value is not None:
                    cells.setdefault((lob, int(r[0]), int(age)), {})[basis.lower()] = float(value)
    df = pd.DataFrame([{"LOB": k[0], "Accident_Year": k[1], "Age": k[2], **v} for k, v in sorted(cells.items())])
    return from_cumulative(df)


def analyse(tri: cl.Triangle) -> dict:
    dev = cl.Development(average="volume", sigma_interpolation="mack").fit(tri)
    mack = cl.MackChainladder().fit(dev.transform(tri))
    return {
        "values": tri.values[0, 0], "origins": [int(str(o)[:4]) for o in tri.origin],
        "ages": [int(a) for a in tri.development], "links": tri.link_ratio.values[0, 0],
        "ldf": dev.ldf_.values[0, 0, 0], "cdf": dev.cdf_.values[0, 0, 0], "sigma": dev.sigma_.values[0, 0, 0],
        "ultimate": mack.ultimate_.values[0, 0, :, -1], "se": np.nan_to_num(mack.mack_std_err_.values[0, 0, :, -1]),
        "se_total": float(np.asarray(mack.total_mack_std_err_).ravel()[0]),
    }


def main() -> None:
    tri = load_triangles()
    OUT.mkdir(parents=True, exist_ok=True)
    rows = {"tri": [], "links": [], "factors": [], "ults": []}
    results = []
    for lob in tri.index["LOB"]:
        fits = {basis: analyse(tri.loc[lob, basis]) for basis in ("paid", "incurred")}
        n = len(fits["paid"]["origins"])
        latest = {b: np.array([fits[b]["values"][i, n - 1 - i] for i in range(n)]) for b in fits}
        for basis, fit in fits.items():
            ages, origins = fit["ages"], fit["origins"]
            for i, year in enumerate(origins):
                for k in range(n - i):
                    rows["tri"].append([lob, basis, year, ages[k], fit["values"][i, k]])
                for k in range(n - i - 1):
                    rows["links"].append([lob, basis, year, ages[k], ages[k + 1], fit["links"][i, k]])
            for k in range(n - 1):
                rows["factors"].append([lob, basis, ages[k], ages[k + 1], fit["ldf"][k], fit["cdf"][k],
                                        fit["sigma"][k]])
            cdf_at = [*fit["cdf"], 1.0]
            for i, year in enumerate(origins):
                ult = fit["ultimate"][i]
                rows["ults"].append([lob, basis, year, ages[n - 1 - i], latest["paid"][i], latest["incurred"][i],
                                     cdf_at[n - 1 - i], ult, ult - latest["incurred"][i], ult - latest["paid"][i],
                                     fit["se"][i]])
            total = float(fit["ultimate"].sum())
            results.append({"lob": lob, "basis": basis, "ultimate": total,
                            "ibnr": total - float(latest["incurred"].sum()),
                            "unpaid": total - float(latest["paid"].sum()), "mack_se": fit["se_total"]})
    write("triangles.csv", ["LOB", "Basis", "Accident_Year", "Age_Months", "Cumulative"], rows["tri"])
    write("link_ratios.csv", ["LOB", "Basis", "Accident_Year", "From_Age", "To_Age", "Link_Ratio"], rows["links"])
    write("selected_factors.csv", ["LOB", "Basis", "From_Age", "To_Age", "Selected_Factor", "CDF", "Sigma"],
          rows["factors"])
    write("ultimates.csv", ["LOB", "Basis", "Accident_Year", "Latest_Age", "Paid_To_Date", "Incurred_To_Date", "CDF",
                            "Ultimate", "IBNR", "Unpaid", "Mack_SE"], rows["ults"])
    (OUT / "summary.json").write_text(json.dumps({"valuation_date": "2025-12-31", "results": results}, indent=2))


def write(name: str, header: list[str], rows: list[list]) -> None:
    pd.DataFrame(rows, columns=header).to_csv(OUT / name, index=False, float_format="%.10g")


if __name__ == "__main__":
    main()
