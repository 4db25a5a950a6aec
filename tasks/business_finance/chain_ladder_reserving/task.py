"""Chain-ladder loss reserving with Mack standard errors.

Workflow: the reserving manager sends year-end loss data for one or more lines of business:
classic cross-tab triangles in a workbook, a long-format development extract, or raw claim
transactions (payments and case-reserve changes) from which the actuary must first build the
paid and incurred triangles at annual evaluations. The actuary computes age-to-age factors,
selects volume-weighted all-year averages (no tail), projects ultimates by accident year,
derives IBNR (ultimate less reported incurred) and unpaid (ultimate less paid), and measures the
reserve uncertainty with Mack's (1993) distribution-free model, last sigma extrapolated per Mack.

Generation simulates development (or individual claims) from the seed; the reference is the
chain ladder and Mack model computed here with numpy on the exact triangles the inputs imply.

Grade: gates on the five deliverables and their columns; then the triangles, the link ratios,
the selected factors and CDFs, the latest diagonal and ultimates, IBNR/unpaid (both their
identities with the ultimates and their values), the Mack sigmas, the Mack standard errors by
accident year and in total, and the summary totals against the reference. The labels are graded with
the numbers they label (1.1.0): To_Age of the link ratios and of the selected factors, Latest_Age of
the ultimates and the summary's valuation_date, so a file with right numbers under wrong development
ages or a wrong valuation date (adversaries ages_mislabelled, stale_valuation_date) is not a full pass.
"""
# ALE-CANARY-82a1dbd8-1a6e-4290-9cb6-1ade12b3e614

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, as_number, is_close

VALUATION = dt.date(2025, 12, 31)
BASES = ("paid", "incurred")
DRAWS = 30  # draws of the book before giving up on a seed (one in eight is degenerate: 0.125**30 of seeds fail)

# Development profiles for aggregate triangles: cumulative paid and reported shares of ultimate at 12..120 months.
PROFILES: dict[str, dict[str, Any]] = {
    "commercial_auto": {"code": "CAL", "base": 14e6, "paid": [.27, .51, .68, .80, .88, .93, .962, .982, .994, 1.0],
                        "reported": [.62, .83, .92, .965, .985, .993, .997, .999, 1.0, 1.0]},
    "homeowners": {"code": "HO", "base": 22e6, "paid": [.68, .91, .965, .985, .993, .997, .9985, .9993, .9998, 1.0],
                   "reported": [.90, .985, .996, .999, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]},
    "workers_comp": {"code": "WC", "base": 9e6, "paid": [.21, .43, .58, .70, .79, .86, .91, .95, .98, 1.0],
                     "reported": [.55, .75, .86, .92, .95, .972, .986, .994, .998, 1.0]},
    "other_liability": {"code": "OL", "base": 6e6, "paid": [.08, .24, .42, .59, .73, .84, .91, .955, .985, 1.0],
                        "reported": [.38, .63, .79, .89, .945, .975, .99, .996, .999, 1.0]},
}
# Claim-level profiles: frequency per year, lags in days, lognormal severity.
CLAIM_PROFILES: dict[str, dict[str, float | str]] = {
    "general_liability": {"code": "GL", "claims": 110, "report": 240, "settle": 700, "litigated": 0.2,
                          "settle_lit": 1900, "mu": math.log(21000), "sigma": 1.15},
    "commercial_property": {"code": "CP", "claims": 210, "report": 25, "settle": 150, "litigated": 0.08,
                            "settle_lit": 1300, "mu": math.log(14000), "sigma": 1.0},
}


# ---------------------------------------------------------------------------------------------
# the chain ladder and Mack model (the reference, and the grader's recomputation)
# ---------------------------------------------------------------------------------------------


def mack_model(tri: np.ndarray) -> dict[str, Any]:
    """Volume-weighted chain ladder and Mack (1993) on a square cumulative triangle (nan below the diagonal)."""
    n = tri.shape[0]
    f, s2, vol = np.ones(n - 1), np.zeros(n - 1), np.zeros(n - 1)
    for k in range(n - 1):
        rows = n - k - 1
        c0, c1 = tri[:rows, k], tri[:rows, k + 1]
        vol[k] = c0.sum()
        f[k] = c1.sum() / vol[k]
        if rows > 1:
            s2[k] = float((c0 * (c1 / c0 - f[k]) ** 2).sum() / (rows - 1))
    if n >= 4:
        s2[n - 2] = min(s2[n - 3] ** 2 / s2[n - 4], s2[n - 4], s2[n - 3])
    full = tri.copy()
    for i in range(n):
        for k in range(n - i, n):
            full[i, k] = full[i, k - 1] * f[k - 1]
    ult = full[:, -1]
    mse = np.zeros(n)
    for i in range(1, n):
        mse[i] = ult[i] ** 2 * sum(s2[k] / f[k] ** 2 * (1 / full[i, k] + 1 / vol[k]) for k in range(n - 1 - i, n - 1))
    total = mse.sum()
    for i in range(1, n):
        total += ult[i] * ult[i + 1:].sum() * sum(2 * s2[k] / f[k] ** 2 / vol[k] for k in range(n - 1 - i, n - 1))
    cdf = np.append(np.cumprod(f[::-1])[::-1], 1.0)
    latest = np.array([tri[i, n - 1 - i] for i in range(n)])
    links = tri[:, 1:] / tri[:, :-1]
    return {"f": f, "sigma": np.sqrt(s2), "cdf": cdf, "ult": ult, "latest": latest, "se": np.sqrt(mse),
            "se_total": math.sqrt(total), "links": links}


# ---------------------------------------------------------------------------------------------
# simulation
# ---------------------------------------------------------------------------------------------


def simulate_aggregate(rng: np.random.Generator, profile: dict[str, Any], n: int) -> dict[str, np.ndarray]:
    """Paid and incurred squares from link-ratio noise around the profile; upper-left triangle kept."""
    paid_p, rep_p = np.array(profile["paid"][:n]), np.array(profile["reported"][:n])
    paid, inc = np.zeros((n, n)), np.zeros((n, n))
    for i in range(n):
        ult = profile["base"] * 1.045 ** i * rng.lognormal(0, 0.12)
        paid[i, 0] = ult * paid_p[0] * rng.lognormal(0, 0.10)
        inc[i, 0] = ult * rep_p[0] * rng.lognormal(0, 0.07)
        for k in range(n - 1):
            step = paid_p[k + 1] / paid_p[k] - 1 + 0.0015
            paid[i, k + 1] = paid[i, k] * (1 + step * rng.lognormal(0, 0.28))
            inc[i, k + 1] = inc[i, k] * (rep_p[k + 1] / rep_p[k]) * rng.lognormal(0, 0.004 + 0.05 * (1 - rep_p[k]))
        inc[i] = np.maximum(inc[i], paid[i])
    mask = np.add.outer(np.arange(n), np.arange(n)) >= n
    out = {}
    for name, square in (("paid", paid), ("incurred", inc)):
        tri = np.round(square)
        tri[mask] = np.nan
        out[name] = tri
    return out


def simulate_claims(rng: np.random.Generator, profile: dict[str, Any], first_year: int, n: int) -> list[list[Any]]:
    """Claim transactions (payments and case-reserve changes) up to the valuation date."""
    rows: list[list[Any]] = []
    for i in range(n):
        year = first_year + i
        start = dt.date(year, 1, 1)
        days_in_year = (dt.date(year + 1, 1, 1) - start).days
        for seq in range(rng.poisson(profile["claims"] * 1.04 ** i)):
            accident = start + dt.timedelta(days=int(rng.integers(days_in_year)))
            report = accident + dt.timedelta(days=int(rng.exponential(profile["report"])))
            if report > VALUATION:
                continue
            settle_mean = profile["settle_lit"] if rng.random() < profile["litigated"] else profile["settle"]
            settle = report + dt.timedelta(days=1 + int(rng.gamma(2.0, settle_mean / 2)))
            claim_id = f"{profile['code']}-{year}-{seq + 1:05d}"
            rows += claim_history(rng, profile, claim_id, accident, report, settle)
    return rows


def claim_history(rng: np.random.Generator, profile: dict[str, Any], claim_id: str, accident: dt.date,
                  report: dt.date, settle: dt.date) -> list[list[Any]]:
    severity = round(float(rng.lognormal(profile["mu"], profile["sigma"])), 2)
    span = (settle - report).days
    n_pay = 1 + min(int(rng.poisson(2.0)), 6)
    pay_days = [*sorted(int(d) for d in rng.integers(1, span + 1, size=n_pay - 1)), span]
    shares = rng.dirichlet(np.ones(n_pay))
    pays = [round(severity * s, 2) for s in shares]
    pays[-1] = round(severity - sum(pays[:-1]), 2)
    case = round(severity * float(rng.lognormal(0, 0.35)), 2)
    events = [(report, 0.0, case)]
    review = report + dt.timedelta(days=int(rng.integers(1, span + 1)))
    paid = 0.0
    for day, amount in zip(pay_days, pays, strict=True):
        when = report + dt.timedelta(days=day)
        if review < when and review > events[-1][0]:
            new_case = round(max(0.0, (severity - paid) * float(rng.lognormal(0, 0.2))), 2)
            events.append((review, 0.0, round(new_case - case, 2)))
            case = new_case
        paid = round(paid + amount, 2)
        release = case if day == span else min(amount, case)
        events.append((when, amount, round(-release, 2)))
        case = round(case - release, 2)
    code = str(profile["code"])
    return [[claim_id, code, accident, report, when, amount, change] for when, amount, change in events
            if when <= VALUATION]


def triangles_from_claims(rows: list[list[Any]], code: str, first_year: int, n: int) -> dict[str, np.ndarray]:
    """Cumulative paid and incurred at each 31 December evaluation, from the transactions as written."""
    out = {b: np.full((n, n), np.nan) for b in BASES}
    for i in range(n):
        for k in range(n - i):
            evaluation = dt.date(first_year + i + k, 12, 31)
            sel = [r for r in rows if r[1] == code and r[2].year == first_year + i and r[4] <= evaluation]
            paid = sum(r[5] for r in sel)
            out["paid"][i, k] = round(paid, 2)
            out["incurred"][i, k] = round(paid + sum(r[6] for r in sel), 2)
    return out


# ---------------------------------------------------------------------------------------------
# writing the inputs
# ---------------------------------------------------------------------------------------------


def ages(n: int) -> list[int]:
    return [12 * (k + 1) for k in range(n)]


def write_crosstab(path: Path, tris: dict[tuple[str, str], np.ndarray], first_year: int) -> None:
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for (code, basis), tri in tris.items():
        ws = wb.create_sheet(f"{code} {basis.title()}")
        n = tri.shape[0]
        ws["A1"] = f"Line of business: {code} - cumulative {basis} losses (USD) by accident year and age in months"
        ws["A1"].font = Font(bold=True)
        ws["A2"] = f"Evaluated {VALUATION:%d %B %Y}"
        ws.append([])
        ws.append(["Accident Year", *ages(n)])
        for i in range(n):
            ws.append([first_year + i, *[None if math.isnan(v) else float(v) for v in tri[i]]])
        for row in ws.iter_rows(min_row=5):
            for cell in row[1:]:
                cell.number_format = "#,##0"
    wb.properties.created = wb.properties.modified = dt.datetime(2026, 1, 15)
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_fixed_zip(buf.getvalue()))


def _fixed_zip(data: bytes) -> bytes:
    """The XLSX with fixed zip timestamps and save time, so the same seed gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-15T00:00:00Z", content)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(2026, 1, 15, 0, 0, 0)), content,
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def write_long(path: Path, tris: dict[tuple[str, str], np.ndarray], codes: list[str], first_year: int) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["LOB", "Accident_Year", "Development_Months", "Evaluation_Date", "Cumulative_Paid",
                "Cumulative_Incurred"])
    for code in codes:
        paid, inc = tris[(code, "paid")], tris[(code, "incurred")]
        n = paid.shape[0]
        for i in range(n):
            for k in range(n - i):
                w.writerow([code, first_year + i, 12 * (k + 1), f"{first_year + i + k}-12-31",
                            f"{paid[i, k]:.0f}", f"{inc[i, k]:.0f}"])
    path.write_text(buf.getvalue())


def write_transactions(path: Path, rows: list[list[Any]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Claim_ID", "LOB", "Accident_Date", "Report_Date", "Transaction_Date", "Paid_Amount",
                "Case_Reserve_Change"])
    for r in sorted(rows, key=lambda r: (r[4], r[0])):
        w.writerow([r[0], r[1], r[2].isoformat(), r[3].isoformat(), r[4].isoformat(), f"{r[5]:.2f}", f"{r[6]:.2f}"])
    path.write_text(buf.getvalue())


# ---------------------------------------------------------------------------------------------
# generate
# ---------------------------------------------------------------------------------------------


def reference(tris: dict[tuple[str, str], np.ndarray], first_year: int) -> dict[str, Any]:
    ref: dict[str, Any] = {"triangles": [], "links": [], "factors": [], "ultimates": [],
                                            "summary": []}
    for (code, basis), tri in tris.items():
        n = tri.shape[0]
        model = mack_model(tri)
        other = mack_model(tris[(code, "incurred" if basis == "paid" else "paid")])
        paid_latest = model["latest"] if basis == "paid" else other["latest"]
        inc_latest = model["latest"] if basis == "incurred" else other["latest"]
        key = {"LOB": code, "Basis": basis}
        for i in range(n):
            for k in range(n - i):
                ref["triangles"].append({**key, "Accident_Year": first_year + i, "Age_Months": 12 * (k + 1),
                                         "Cumulative": float(tri[i, k])})
            for k in range(n - i - 1):
                ref["links"].append({**key, "Accident_Year": first_year + i, "From_Age": 12 * (k + 1),
                                     "To_Age": 12 * (k + 2), "Link_Ratio": float(model["links"][i, k])})
        for k in range(n - 1):
            ref["factors"].append({**key, "From_Age": 12 * (k + 1), "To_Age": 12 * (k + 2),
                                   "Selected_Factor": float(model["f"][k]), "CDF": float(model["cdf"][k]),
                                   "Sigma": float(model["sigma"][k])})
        for i in range(n):
            ult = float(model["ult"][i])
            ref["ultimates"].append({
                **key, "Accident_Year": first_year + i, "Latest_Age": 12 * (n - i),
                "Paid_To_Date": float(paid_latest[i]), "Incurred_To_Date": float(inc_latest[i]),
                "CDF": float(model["cdf"][n - 1 - i]), "Ultimate": ult, "IBNR": ult - float(inc_latest[i]),
                "Unpaid": ult - float(paid_latest[i]), "Mack_SE": float(model["se"][i]),
            })
        ult_total = float(model["ult"].sum())
        ref["summary"].append({**key, "ultimate": ult_total, "ibnr": ult_total - float(inc_latest.sum()),
                               "unpaid": ult_total - float(paid_latest.sum()), "mack_se": model["se_total"]})
    ref["valuation_date"] = VALUATION.isoformat()
    return ref


def _degenerate(tris: dict[tuple[str, str], np.ndarray]) -> str | None:
    """The first triangle Mack's model cannot take (a cell not above zero, a zero variance parameter), or None."""
    for (code, basis), tri in tris.items():
        upper = tri[~np.isnan(tri)]
        if (upper <= 0).any() or not (mack_model(tri)["sigma"] > 0).all():
            return f"{code} {basis}"
    return None


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    rng = np.random.default_rng(params["seed"])
    n, first = params["n_years"], params["first_year"]
    # A small book's claims now and then leave a triangle Mack's model cannot take (about one seed in eight of
    # the transactions layout): such a draw is replaced by the next one, so that every seed gives an instance.
    for _ in range(DRAWS):
        tris: dict[tuple[str, str], np.ndarray] = {}
        codes, rows = [], []
        if params["layout"] == "transactions":
            for lob in params["lobs"]:
                profile = CLAIM_PROFILES[lob]
                lob_rows = simulate_claims(rng, profile, first, n)
                rows += lob_rows
                codes.append(str(profile["code"]))
                for basis, tri in triangles_from_claims(lob_rows, str(profile["code"]), first, n).items():
                    tris[(str(profile["code"]), basis)] = tri
        else:
            for lob in params["lobs"]:
                profile = PROFILES[lob]
                codes.append(profile["code"])
                for basis, tri in simulate_aggregate(rng, profile, n).items():
                    tris[(profile["code"], basis)] = tri
        degenerate = _degenerate(tris)
        if degenerate is None:
            break
    else:
        raise AssertionError(f"degenerate {degenerate} triangle for Mack's model in {DRAWS} draws")
    if params["layout"] == "transactions":
        write_transactions(input_dir / params["input_file"], rows)
    elif params["layout"] == "crosstab":
        write_crosstab(input_dir / params["input_file"], tris, first)
    else:
        write_long(input_dir / params["input_file"], tris, codes, first)
    (reference_dir / "reference.json").write_text(json.dumps(reference(tris, first), indent=1))


# ---------------------------------------------------------------------------------------------
# grading
# ---------------------------------------------------------------------------------------------

KEYS = {"LOB": str, "Basis": str, "Accident_Year": int, "Age_Months": int, "From_Age": int}


def normalize(rows: list[dict[str, str]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Key columns in canonical form (upper LOB, lower basis, integer years and ages); rows with bad keys dropped."""
    out = []
    for row in rows:
        clean = dict(row)
        try:
            for k in keys:
                value = row.get(k, "")
                clean[k] = value.strip().upper() if k == "LOB" else value.strip().lower() if k == "Basis" \
                    else str(int(float(value)))
        except ValueError:
            continue
        out.append(clean)
    return out


def stringify(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{**r, **{k: str(r[k]) for k in keys}} for r in rows]


def grade_identities(g: Grading, found: list[dict[str, Any]], ref_rows: list[dict[str, Any]]) -> None:
    """IBNR = ultimate - incurred and unpaid = ultimate - paid on every row, and both equal to the reference."""
    keys = ("LOB", "Basis", "Accident_Year")
    index = {tuple(r[k] for k in keys): r for r in found}
    good, problems = 0, []
    for exp in ref_rows:
        got = index.get(tuple(str(exp[k]) for k in keys))
        nums = {c: as_number(got.get(c)) if got else None for c in ("Ultimate", "IBNR", "Unpaid",
                                                                    "Paid_To_Date", "Incurred_To_Date")}
        if any(v is None for v in nums.values()):
            problems.append(f"{exp['LOB']}/{exp['Basis']}/{exp['Accident_Year']}: missing values")
            continue
        tol = max(1.0, 1e-4 * abs(exp["Ultimate"]))
        identity = abs(nums["Ultimate"] - nums["Incurred_To_Date"] - nums["IBNR"]) <= 1.0 and \
            abs(nums["Ultimate"] - nums["Paid_To_Date"] - nums["Unpaid"]) <= 1.0
        values = abs(nums["IBNR"] - exp["IBNR"]) <= tol and abs(nums["Unpaid"] - exp["Unpaid"]) <= tol
        if identity and values:
            good += 1
        else:
            problems.append(f"{exp['LOB']}/{exp['Basis']}/{exp['Accident_Year']}: IBNR {nums['IBNR']:.0f} "
                            f"(want {exp['IBNR']:.0f}), unpaid {nums['Unpaid']:.0f} (want {exp['Unpaid']:.0f})")
    g.check("IBNR and unpaid tie to ultimates and to the reference", good / len(ref_rows), weight=1,
            expected=f"{len(ref_rows)} rows", found=f"{good} good", reason="; ".join(problems[:6]))


def as_date(value: Any) -> dt.date | None:
    """A date written as ISO (optionally with a time), "31 December 2025", "December 31, 2025", "12/31/2025" or
    "31/12/2025"; None otherwise."""
    text = str(value).strip()
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        pass
    for form in ("%d %B %Y", "%B %d, %Y", "%d %b %Y", "%b %d, %Y", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
    return None


def grade_valuation_date(g: Grading, summary: Any, expected: str) -> None:
    found = summary.get("valuation_date") if isinstance(summary, dict) else None
    g.check("valuation date of the summary", as_date(found) == dt.date.fromisoformat(expected),
            expected=expected, found=found)


def grade_summary(g: Grading, summary: Any, ref_rows: list[dict[str, Any]]) -> None:
    entries = summary.get("results") if isinstance(summary, dict) else None
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for e in entries if isinstance(entries, list) else []:
        if isinstance(e, dict):
            found[(str(e.get("lob", "")).strip().upper(), str(e.get("basis", "")).strip().lower())] = e
    totals_ok, se_ok, problems = 0, 0, []
    for exp in ref_rows:
        got = found.get((exp["LOB"], exp["Basis"]), {})
        label = f"{exp['LOB']}/{exp['Basis']}"
        if all(is_close(got.get(c), exp[c], rel_tol=1e-4, abs_tol=max(1.0, 1e-4 * exp["ultimate"])) for c in ("ultimate", "ibnr", "unpaid")):
            totals_ok += 1
        else:
            problems.append(f"{label} totals")
        if is_close(got.get("mack_se"), exp["mack_se"], rel_tol=2e-3, abs_tol=1.0):
            se_ok += 1
        else:
            problems.append(f"{label} mack_se {got.get('mack_se')} want {exp['mack_se']:.0f}")
    g.check("summary totals (ultimate, IBNR, unpaid) per line and basis", totals_ok / len(ref_rows),
            expected=len(ref_rows), found=totals_ok, reason="; ".join(p for p in problems if "totals" in p))
    g.check("Mack standard error of the total reserve", se_ok / len(ref_rows), weight=2,
            expected=[round(r["mack_se"]) for r in ref_rows], found=se_ok,
            reason="; ".join(p for p in problems if "mack" in p))


def grade(g: Grading) -> None:
    files = ("triangles.csv", "link_ratios.csv", "selected_factors.csv", "ultimates.csv", "summary.json")
    if not g.require_files(*files):
        return
    ref = g.reference_json("reference.json")
    key_tri = ("LOB", "Basis", "Accident_Year", "Age_Months")
    key_link = ("LOB", "Basis", "Accident_Year", "From_Age")
    key_fac = ("LOB", "Basis", "From_Age")
    key_ult = ("LOB", "Basis", "Accident_Year")
    tri = g.read_csv("triangles.csv", required_columns=[*key_tri, "Cumulative"])
    links = g.read_csv("link_ratios.csv", required_columns=[*key_link, "To_Age", "Link_Ratio"])
    factors = g.read_csv("selected_factors.csv", required_columns=[*key_fac, "To_Age", "Selected_Factor", "CDF",
                                                                   "Sigma"])
    ults = g.read_csv("ultimates.csv", required_columns=[*key_ult, "Latest_Age", "Paid_To_Date", "Incurred_To_Date",
                                                         "CDF", "Ultimate", "IBNR", "Unpaid", "Mack_SE"])
    summary = g.read_json("summary.json")
    if tri is None or links is None or factors is None or ults is None or summary is None:
        return
    tri, links = normalize(tri, key_tri), normalize(links, key_link)
    factors, ults = normalize(factors, key_fac), normalize(ults, key_ult)
    g.table("cumulative paid and incurred triangles", tri, stringify(ref["triangles"], key_tri), key=list(key_tri),
            columns={"Cumulative": (0.5, 1e-7)})
    g.table("age-to-age factors", links, stringify(ref["links"], key_link), key=list(key_link),
            columns={"To_Age": 0.0, "Link_Ratio": (1e-4, 0.0)})
    ref_factors = stringify(ref["factors"], key_fac)
    g.table("selected volume-weighted factors and CDFs", factors, ref_factors, key=list(key_fac),
            columns={"To_Age": 0.0, "Selected_Factor": (1e-4, 0.0), "CDF": (0.0, 1e-4)})
    g.table("Mack sigma parameters", factors, ref_factors, key=list(key_fac), columns={"Sigma": (1e-3, 1e-3)})
    ref_ults = stringify(ref["ultimates"], key_ult)
    g.table("latest diagonal and ultimate losses by accident year", ults, ref_ults, key=list(key_ult),
            columns={"Latest_Age": 0.0, "Paid_To_Date": 1.0, "Incurred_To_Date": 1.0, "CDF": (0.0, 1e-4),
                     "Ultimate": (1.0, 1e-4)},
            weight=2)
    grade_identities(g, ults, ref_ults)
    g.table("Mack standard error by accident year", ults, ref_ults, key=list(key_ult),
            columns={"Mack_SE": (1.0, 2e-3)}, weight=2)
    grade_summary(g, summary, ref["summary"])
    grade_valuation_date(g, summary, ref["valuation_date"])
