#!/usr/bin/env python3
"""The file-level oracle: the board pack built in LibreOffice Impress through Python-UNO.

It reads the management accounts, applies the journals posted after the export, computes the month's
P&L summary (subtotals, favourable-positive variances against budget and prior year, percentages on
the comparative), ranks the variances by size, and in a headless soffice builds the deck on the
company's template: a title slide, the P&L table, a native line chart of revenue and EBITDA by month
against budget, the variance commentary and the cash and KPI slide, each with speaker notes; saves it
as ODP, exports the PDF with Impress and writes variances.csv from the same figures.

Run as gui_oracle/solve.sh (a link to this file), it makes the same deck in Impress on the sandbox's
desktop through ale-computer only: the template opened, the five slides typed in the outline view, the
table and the chart from the Insert menu (the chart's series typed into its data table), the notes typed
in the notes view, saved with Save As and exported with Export Directly as PDF. The figures are the same
Python; variances.csv is written directly.

The adversaries (adversaries/*, links to this file) are this oracle with one shortcut, chosen by the
name it runs under.
"""

from __future__ import annotations

import calendar
import contextlib
import csv
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

try:
    import uno
    from com.sun.star.beans import PropertyValue
except ImportError:  # the sandbox's tool environment hides Debian's python3-uno: run under Debian's python3
    if sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    raise

INPUT, OUTPUT = Path(os.environ["ALE_INPUT_DIR"]), Path(os.environ["ALE_OUTPUT_DIR"])
SHORTCUT = Path(sys.argv[0]).stem  # "solve" for the oracle, an adversary's name otherwise
GUI = sys.argv[0].endswith(".sh")
SERIES = ["Revenue actual", "Revenue budget", "EBITDA actual", "EBITDA budget"]
TITLE_SLIDE, TITLE_CONTENT, TITLE_ONLY = 0, 1, 19  # Impress AutoLayout numbers
CHART_CLSID = "12dcae26-281f-416f-a234-c3086127382e"


def read_brief() -> dict:
    text = (INPUT / "board_pack_brief.md").read_text()
    lines = re.search(r"one row per line in this order: (.+?);\n", text, re.S).group(1)
    return {"title": re.search(r"Title slide, title `(.+?)`", text).group(1),
            "titles": re.findall(r"^\d\. `(.+?)`", text, re.M),
            "lines": [s.strip() for s in " ".join(lines.split()).split(",")],
            "cos": re.search(r"Gross profit = Total revenue - (.+?);", text).group(1),
            "costs_negative": "costs are **negative**" in text,
            "currency": re.search(r"Amounts in (\w+) thousands", text).group(1),
            "one_off": re.search(r"one-off item \((.+?): (\d+), in (.+?)\)", text).groups()}


def read_csv(name: str) -> list[dict]:
    with open(INPUT / name, newline="") as handle:
        return list(csv.DictReader(handle))


def ledger(brief: dict) -> tuple[dict[str, dict[str, dict[str, float]]], str, list[dict]]:
    """Figures by month and detail line, costs positive, with the late journals applied."""
    rows = read_csv("management_accounts.csv")
    revenue_lines = brief["lines"][:brief["lines"].index("Total revenue")]
    figures: dict[str, dict[str, dict[str, float]]] = {}
    for r in rows:
        sign = -1 if brief["costs_negative"] and r["line"] not in revenue_lines else 1
        figures.setdefault(r["month"], {})[r["line"]] = {k: sign * float(r[k]) for k in ("actual", "budget", "prior_year")}
    journals = read_csv("journals.csv")
    if SHORTCUT != "no_reclass":
        for j in journals:
            amount = float(j["debit"] or 0) - float(j["credit"] or 0)  # a debit adds to a cost line
            line = figures[j["month"]][j["line"]]
            line["actual"] += -amount if j["line"] in revenue_lines else amount
    return figures, max(figures), journals


def summary(brief: dict, month: dict[str, dict[str, float]]) -> list[dict]:
    lines = brief["lines"]
    revenue_lines = lines[:lines.index("Total revenue")]
    overheads = lines[lines.index("Gross profit") + 1:lines.index("EBITDA")]
    values = dict(month)
    for k in ("actual", "budget", "prior_year"):
        revenue = sum(month[r][k] for r in revenue_lines)
        values.setdefault("Total revenue", {})[k] = revenue
        values.setdefault("Gross profit", {})[k] = revenue - month[brief["cos"]][k]
        values.setdefault("EBITDA", {})[k] = values["Gross profit"][k] - sum(month[o][k] for o in overheads)
    table = []
    for line in lines:
        v = values[line]
        sign = 1 if line in (*revenue_lines, "Total revenue", "Gross profit", "EBITDA") else -1
        var, var_py = sign * (v["actual"] - v["budget"]), sign * (v["actual"] - v["prior_year"])
        base, base_py = (v["actual"], v["actual"]) if SHORTCUT == "pct_of_actual" else (v["budget"], v["prior_year"])
        table.append({"line": line, "actual": round(v["actual"]), "budget": round(v["budget"]),
                      "variance": round(var), "variance_pct": round(100 * var / abs(base), 1) if base else 0.0,
                      "prior_year": round(v["prior_year"]), "variance_py": round(var_py),
                      "variance_py_pct": round(100 * var_py / abs(base_py), 1) if base_py else 0.0})
    details = [r for r in table if r["line"] not in ("Total revenue", "Gross profit", "EBITDA")]
    key = (lambda r: -r["variance"]) if SHORTCUT == "top3_by_signed_value" else (lambda r: -abs(r["variance"]))
    top = [r["line"] for r in sorted(details, key=key)[:3]]
    for r in table:
        r["top3_rank"] = top.index(r["line"]) + 1 if r["line"] in top else ""
    return table


def prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(pipe: str, office: subprocess.Popen):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(600):
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:  # soffice still starting
            if office.poll() is not None:
                raise SystemExit(f"soffice exited with status {office.returncode} before answering") from None
            time.sleep(0.2)
    raise SystemExit("soffice did not answer on its pipe in 120 s")


def placeholder(page, kind: str):
    for i in range(page.getCount()):
        shape = page.getByIndex(i)
        if shape.getShapeType() == f"com.sun.star.presentation.{kind}":
            return shape
    return None


def size(w: int, h: int):
    s = uno.createUnoStruct("com.sun.star.awt.Size")
    s.Width, s.Height = w, h
    return s


def point(x: int, y: int):
    p = uno.createUnoStruct("com.sun.star.awt.Point")
    p.X, p.Y = x, y
    return p


def set_notes(page, text: str) -> None:
    notes = page.getNotesPage()
    shape = placeholder(notes, "NotesShape")
    if shape is None:
        shape = notes.getByIndex(notes.getCount() - 1)
    shape.setString(text)


def fmt(value: float, decimals: int = 0) -> str:
    return f"{value:.{decimals}f}"


def add_table(doc, page, table: list[dict]) -> None:
    header = ["Line", "Actual", "Budget", "Var vs budget", "Var %", "Prior year", "Var vs PY", "Var % PY"]
    shape = doc.createInstance("com.sun.star.drawing.TableShape")
    page.add(shape)
    shape.setPosition(point(1400, 3000))
    shape.setSize(size(25200, 11000))
    model = shape.Model
    model.getColumns().insertByIndex(0, len(header) - model.getColumns().getCount())
    model.getRows().insertByIndex(0, len(table) + 1 - model.getRows().getCount())
    body = [[r["line"], fmt(r["actual"]), fmt(r["budget"]), fmt(r["variance"]), fmt(r["variance_pct"], 1),
             fmt(r["prior_year"]), fmt(r["variance_py"]), fmt(r["variance_py_pct"], 1)] for r in table]
    for j in range(len(header)):
        model.getColumns().getByIndex(j).Width = 5600 if j == 0 else 2700
    for i, row in enumerate([header, *body]):
        for j, text in enumerate(row):
            cell = model.getCellByPosition(j, i)
            cell.setString(text)
            cell.CharHeight = 9


def png(width: int, height: int, pixels: list[list[tuple[int, int, int]]]) -> bytes:
    raw = b"".join(b"\0" + bytes(c for px in row for c in px) for row in pixels)
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def add_chart(doc, page, months: list[str], series: dict[str, list[float]]) -> None:
    if SHORTCUT == "chart_as_picture":  # a bar picture of the revenue series pasted in
        top = max(series["Revenue actual"]) or 1
        w, h = 40 * len(months), 200
        pixels = [[(40, 90, 160) if (x % 40) < 28 and h - y < 190 * series["Revenue actual"][x // 40] / top
                   else (255, 255, 255) for x in range(w)] for y in range(h)]
        path = Path(tempfile.mkdtemp()) / "chart.png"
        path.write_bytes(png(w, h, pixels))
        shape = doc.createInstance("com.sun.star.drawing.GraphicObjectShape")
        page.add(shape)
        shape.GraphicURL = path.as_uri()
    else:
        shape = doc.createInstance("com.sun.star.drawing.OLE2Shape")
        page.add(shape)
        shape.CLSID = CHART_CLSID
        chart = shape.Model
        chart.setDiagram(chart.createInstance("com.sun.star.chart.LineDiagram"))
        data = chart.getData()
        data.setData(tuple(tuple(float(series[s][i]) for s in SERIES) for i in range(len(months))))
        data.setRowDescriptions(tuple(months))
        data.setColumnDescriptions(tuple(SERIES))
        chart.HasLegend = True
    if SHORTCUT == "chart_off_slide":  # the chart object with its data, parked off the page at a millimetre
        shape.setPosition(point(60000, 40000))
        shape.setSize(size(100, 100))
        return
    shape.setPosition(point(1400, 3200))
    shape.setSize(size(25200, 11000))
    if SHORTCUT == "chart_hidden":  # the chart on its slide at size, but not shown in the exported PDF
        shape.Visible = False
    elif SHORTCUT in ("chart_covered", "chart_lettered_cover"):  # the chart on its slide at size, under an opaque
        box = doc.createInstance("com.sun.star.drawing.RectangleShape")  # white box (lettered: with a caption on it)
        page.add(box)
        box.setPosition(point(1300, 3100))
        box.setSize(size(25400, 11200))
        box.FillColor = 0xFFFFFF
        box.LineStyle = uno.Enum("com.sun.star.drawing.LineStyle", "NONE")
        if SHORTCUT == "chart_lettered_cover":
            box.setString("Chart: see the appendix")
            box.CharHeight = 40
            box.CharColor = 0x333333


def build(doc, brief: dict, table: list[dict], months: list[str], series: dict, notes: list[str], texts: dict) -> None:
    pages = doc.getDrawPages()
    while pages.getCount() < 5:
        pages.insertNewByIndex(pages.getCount() - 1)
    master = doc.getMasterPages().getByIndex(0)
    layouts = [TITLE_SLIDE, TITLE_ONLY, TITLE_ONLY, TITLE_CONTENT, TITLE_CONTENT]
    for i, title in enumerate([brief["title"], *brief["titles"]]):
        page = pages.getByIndex(i)
        page.MasterPage = master
        page.Layout = layouts[i]
        placeholder(page, "TitleTextShape").setString(title)
        set_notes(page, notes[i])
    subtitle = placeholder(pages.getByIndex(0), "SubtitleShape")
    if subtitle is not None:
        subtitle.setString(texts["subtitle"])
    add_table(doc, pages.getByIndex(1), table)
    add_chart(doc, pages.getByIndex(2), months, series)
    commentary = placeholder(pages.getByIndex(3), "OutlinerShape")
    commentary.setString("\n".join(texts["commentary"]))
    if SHORTCUT == "commentary_off_slide":  # the bullets parked off the page; the slide shows a line of comfort
        commentary.setPosition(point(-60000, 4000))
        comfort = doc.createInstance("com.sun.star.drawing.TextShape")
        pages.getByIndex(3).add(comfort)
        comfort.setPosition(point(1400, 4000))
        comfort.setSize(size(25000, 6000))
        comfort.setString("Variances this month were broadly in line with budget; nothing for the board to note.")
    placeholder(pages.getByIndex(4), "OutlinerShape").setString("\n".join(texts["cash"]))


def text_pdf(brief: dict, table: list[dict]) -> None:
    """A bare PDF of text pages: each slide's title, the P&L figures under the second."""
    pages = [[t] for t in [brief["title"], *brief["titles"]]]
    pages[1] += [" ".join([r["line"], *(str(r[k]) for k in ("actual", "budget", "variance", "variance_pct"))])
                 for r in table]
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for lines in pages:
        body = "BT /F1 12 Tf 40 560 Td " + " ".join(f"({re.sub(r'[()]', '', t)}) Tj 0 -16 Td" for t in lines) + " ET"
        objects.append(f"<< /Length {len(body)} >>\nstream\n{body}\nendstream")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 794 446] /Contents {len(objects)} 0 R "
                       "/Resources << /Font << /F1 3 0 R >> >> >>")
        kids.append(len(objects))
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{obj}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    (OUTPUT / "board_pack.pdf").write_bytes(out)


def office_deck(brief: dict, *content) -> None:
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    pipe = f"ale_deck_{os.getpid()}"
    office = subprocess.Popen(["soffice", "--headless", "--norestore", "--nologo", "--nodefault",
                               f"-env:UserInstallation={profile.as_uri()}", f"--accept=pipe,name={pipe};urp;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ctx = connect(pipe, office)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        source = ("private:factory/simpress" if SHORTCUT in ("default_master", "renamed_default_master")
                  else (INPUT / "company_template.otp").as_uri())
        doc = desktop.loadComponentFromURL(source, "_blank", 0, (prop("Hidden", True), prop("AsTemplate", True)))
        if SHORTCUT == "renamed_default_master":  # Impress's blank master given the template master's name
            styles = zipfile.ZipFile(INPUT / "company_template.otp").read("styles.xml").decode()
            name = re.search(r'style:master-page style:name="([^"]+)"', styles).group(1)
            doc.getMasterPages().getByIndex(0).Name = name
        build(doc, brief, *content)
        doc.storeToURL((OUTPUT / "board_pack.odp").as_uri(), (prop("FilterName", "impress8"),))
        if SHORTCUT == "text_pdf":  # a PDF typeset by hand: the titles and the P&L figures, not the slides
            text_pdf(brief, content[0])
        else:
            doc.storeToURL((OUTPUT / "board_pack.pdf").as_uri(), (prop("FilterName", "impress_pdf_Export"),))
        with contextlib.suppress(Exception):  # the bridge goes down with soffice
            doc.close(True)
            desktop.terminate()
    finally:
        try:
            office.wait(timeout=20)
        except subprocess.TimeoutExpired:
            office.kill()
            office.wait()


def main() -> None:
    brief = read_brief()
    figures, period, journals = ledger(brief)
    table = summary(brief, figures[period])
    months = sorted(figures)
    series: dict[str, list[float]] = {s: [] for s in SERIES}
    for m in months:
        t = {r["line"]: r for r in summary(brief, figures[m])}
        for what, line in (("Revenue", "Total revenue"), ("EBITDA", "EBITDA")):
            series[f"{what} actual"].append(t[line]["actual"])
            series[f"{what} budget"].append(t[line]["budget"])
    cash = read_csv("cash_kpis.csv")
    closing, movement = int(cash[-1]["closing_cash"]), int(cash[-1]["closing_cash"]) - int(cash[-2]["closing_cash"])
    cur = brief["currency"]
    ranked = sorted((r for r in table if r["top3_rank"]), key=lambda r: r["top3_rank"])
    commentary = [f"{r['line']}: {r['variance']:+d}k {cur} vs budget ({r['variance_pct']:+.1f}%), "
                  f"{'favourable' if r['variance'] > 0 else 'adverse'}; actual {r['actual']} vs budget {r['budget']}"
                  for r in ranked]
    if SHORTCUT == "commentary_negated_direction":  # the size of each variance, its direction word negated
        commentary = [f"{r['line']}: {abs(r['variance'])}k {cur} vs budget ({abs(r['variance_pct']):.1f}%), "
                      f"not {'favourable' if r['variance'] > 0 else 'adverse'}" for r in ranked]
    if SHORTCUT == "commentary_turned_direction":  # each direction word turned by a phrase, not a plain negation
        commentary = [f"{r['line']}: {abs(r['variance'])}k {cur} vs budget ({abs(r['variance_pct']):.1f}%), "
                      f"far from {'favourable' if r['variance'] > 0 else 'adverse'}" for r in ranked]
    if SHORTCUT == "commentary_hedged_direction":  # the right word, then the other one (or a hedge) in a later clause
        turns = ["{}, though the variance is really {}", "{}, or {} once the reclass lands", "{}. Actually {}."]
        commentary = [f"{r['line']}: {abs(r['variance'])}k {cur} vs budget ({abs(r['variance_pct']):.1f}%), "
                      + turn.format(*(["favourable", "adverse"] if r["variance"] > 0 else ["adverse", "favourable"]))
                      for r, turn in zip(ranked, turns, strict=True)]
    if SHORTCUT == "commentary_slipped_direction":  # the right word, then the other one said of the variance by a driver
        turns = ["{}, though {} underneath", "{}; the auditors would call it {}", "{}, but the reclass makes it {}"]
        commentary = [f"{r['line']}: {abs(r['variance'])}k {cur} vs budget ({abs(r['variance_pct']):.1f}%), "
                      + turn.format(*(["favourable", "adverse"] if r["variance"] > 0 else ["adverse", "favourable"]))
                      for r, turn in zip(ranked, turns, strict=True)]
    if SHORTCUT == "commentary_attributed_direction":  # the right word, then the other one put in a voice or a what-if
        turns = ["{}; the auditors agree it is {}", "{}; in the CFO's view it is {}",
                 "{}, but the reclass would make the variance {}"]
        commentary = [f"{r['line']}: {abs(r['variance'])}k {cur} vs budget ({abs(r['variance_pct']):.1f}%), "
                      + turn.format(*(["favourable", "adverse"] if r["variance"] > 0 else ["adverse", "favourable"]))
                      for r, turn in zip(ranked, turns, strict=True)]
    if SHORTCUT == "commentary_excused_direction":  # the right word, then hedged by a condition, a dispute or an exclusion
        turns = ["{}, if the accrual holds", "{}, though the auditors disagree", "{}; excluding the rounding, it is {}"]
        commentary = [f"{r['line']}: {abs(r['variance'])}k {cur} vs budget ({abs(r['variance_pct']):.1f}%), "
                      + turn.format(*(["favourable", "adverse"] if r["variance"] > 0 else ["adverse", "favourable"]))
                      for r, turn in zip(ranked, turns, strict=True)]
    if SHORTCUT == "commentary_third_party_direction":  # the right word, then the other one in a named firm's mouth or softened
        turns = ["{}; per Deloitte {}", "{}; KPMG reckons {}", "{}; {}-ish"]
        commentary = [f"{r['line']}: {abs(r['variance'])}k {cur} vs budget ({abs(r['variance_pct']):.1f}%), "
                      + turn.format(*(["favourable", "adverse"] if r["variance"] > 0 else ["adverse", "favourable"]))
                      for r, turn in zip(ranked, turns, strict=True)]
    if SHORTCUT == "unsigned_commentary":  # the size of each variance without its direction
        commentary = [f"{r['line']}: {abs(r['variance'])}k {cur} vs budget ({abs(r['variance_pct']):.1f}%)"
                      for r in ranked]
    ebitda = next(r for r in table if r["line"] == "EBITDA")
    debit = next(j for j in journals if j["debit"])
    credit = next(j for j in journals if j["credit"])
    one_off_what, one_off_amount, one_off_line = brief["one_off"]
    month_name = calendar.month_name[int(period[5:])]
    texts = {"subtitle": f"Management accounts for {month_name} {period[:4]}, {cur} thousands",
             "commentary": commentary,
             "cash": [f"Closing cash: {closing} ({cur} thousands)", f"Cash movement in the month: {movement:+d}",
                      f"Headcount: {cash[-1]['headcount']}", f"Debtor days: {cash[-1]['debtor_days']}"]}
    notes = [f"{month_name} pack. EBITDA {ebitda['actual']} against budget {ebitda['budget']} ({ebitda['variance']:+d}).",
             "Table after the late reclass journal; variances favourable-positive, % on the comparative.",
             "Revenue and EBITDA by month against budget, year to date.",
             f"Journal {debit['journal']} moved {debit['debit']} from {credit['line']} to {debit['line']} "
             f"({debit['description']}). {one_off_line} includes a one-off of {one_off_amount} "
             f"for the {one_off_what}.",
             f"Closing cash {closing}, movement {movement:+d}."]
    if SHORTCUT == "notes_amounts_only":  # filler notes; the commentary's give the two amounts and nothing else
        notes = ["Notes for the chair."] * len(notes)
        notes[3] = f"Amounts: {debit['debit']} and {one_off_amount}."
    (gui_deck if GUI else office_deck)(brief, table, months, series, notes, texts)
    with open(OUTPUT / "variances.csv", "w", newline="") as out:
        writer = csv.DictWriter(out, ["line", "actual", "budget", "variance", "variance_pct", "prior_year",
                                      "variance_py", "variance_py_pct", "top3_rank"])
        writer.writeheader()
        writer.writerows(table)


def computer(*args: str) -> None:
    """One action on the desktop through the computer tools."""
    subprocess.run(["ale-computer", *args], check=True, stdout=subprocess.DEVNULL)


def impress_profile() -> None:
    user = Path.home() / ".config/libreoffice/4/user"
    user.mkdir(parents=True, exist_ok=True)
    settings = {("/org.openoffice.Office.Common/Misc", "ShowTipOfTheDay"): "false",
                ("/org.openoffice.Office.Common/Misc", "FirstRun"): "false",
                ("/org.openoffice.Office.Impress/Misc", "StartWithTemplate"): "false"}
    items = "".join(f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse"><value>{value}</value></prop></item>'
                    for (path, name), value in settings.items())
    (user / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        f'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{items}</oor:items>')


def menu(x: int, y: int, item_x: int, item_y: int) -> None:
    computer("click", str(x), str(y))
    computer("wait", "1")
    computer("click", str(item_x), str(item_y))
    computer("wait", "2")


def field(x: int, y: int, text: str) -> None:
    computer("click", str(x), str(y))
    computer("key", "ctrl+a")
    computer("type", text)


THUMBS = {i: (87, 153 + 77 * i) for i in range(5)}  # the slide pane's thumbnails in the normal view


def gui_deck(brief: dict, table: list[dict], months: list[str], series: dict, notes: list[str], texts: dict) -> None:
    """The deck made in Impress on the desktop: slides typed in the outline view, the table and the chart
    from the Insert menu with the chart's data typed into its data table, notes in the notes view."""
    impress_profile()
    computer("launch", f"soffice --impress --norestore --nologo {INPUT / 'company_template.otp'}")
    computer("wait", "10")
    menu(82, 28, 118, 68)  # View > Outline
    for title in [brief["title"], *brief["titles"][:3]]:
        computer("type", title)
        computer("key", "Return")
    computer("key", "Tab")
    for bullet in texts["commentary"]:
        computer("type", bullet)
        computer("key", "Return")
    computer("key", "shift+Tab")
    computer("type", brief["titles"][3])
    computer("key", "Return")
    computer("key", "Tab")
    for line in texts["cash"]:
        computer("type", line)
        computer("key", "Return")
    computer("wait", "1")
    menu(82, 28, 118, 48)  # View > Normal

    computer("click", *map(str, THUMBS[1]))
    computer("wait", "1")
    menu(123, 28, 153, 107)  # Insert > Table...
    field(733, 368, "8")
    field(733, 401, str(len(table) + 1))
    computer("key", "Return")
    computer("wait", "2")
    header = ["Line", "Actual", "Budget", "Var vs budget", "Var %", "Prior year", "Var vs PY", "Var % PY"]
    cells = [header, *([r["line"], fmt(r["actual"]), fmt(r["budget"]), fmt(r["variance"]), fmt(r["variance_pct"], 1),
                        fmt(r["prior_year"]), fmt(r["variance_py"]), fmt(r["variance_py_pct"], 1)] for r in table)]
    computer("click", "254", "313")  # the first cell
    flat = [text for row in cells for text in row]
    for k, text in enumerate(flat):
        computer("type", text)
        if k < len(flat) - 1:  # a Tab in the last cell would add a row
            computer("key", "Tab")
    computer("key", "Escape")  # out of the cell: the table stays selected
    computer("wait", "0.5")
    field(1195, 146, "9")  # the sidebar's font size, for the whole selected table, so that it fits the slide
    computer("key", "Return")
    computer("wait", "1")
    computer("key", "Escape")

    computer("click", *map(str, THUMBS[2]))
    computer("wait", "1")
    menu(123, 28, 155, 87)  # Insert > Chart...
    computer("wait", "2")
    menu(82, 28, 131, 105)  # View > Data Table...
    computer("click", "766", "362")
    computer("click", "411", "274")  # insert a series after the third
    computer("click", "469", "412")
    for _ in range(len(months) - 4):
        computer("click", "388", "274")  # insert a row
    computer("wait", "1")
    computer("click", "469", "362")
    for i, m in enumerate(months):
        computer("type", "\t".join([m, *(fmt(series[s][i]) for s in SERIES)]) + "\t")
    computer("wait", "1")
    for k, name in enumerate(SERIES):  # the series' name fields, where they are once the grid scrolled
        field(470 + 99 * k, 308, name)
    computer("wait", "1")
    computer("click", "853", "535")  # Close
    computer("wait", "1")
    computer("key", "Escape")
    computer("key", "Escape")
    computer("wait", "1")
    menu(82, 28, 114, 88)  # View > Notes
    for i, text in enumerate(notes):
        computer("click", *map(str, THUMBS[i]))
        computer("wait", "1.5")
        computer("click", "552", "553")  # the notes placeholder
        computer("wait", "0.5")
        computer("type", text)
        computer("key", "Escape")
        computer("wait", "0.5")
    menu(82, 28, 118, 48)  # View > Normal
    computer("key", "ctrl+shift+s")
    computer("wait", "2")
    computer("key", "ctrl+a")
    computer("type", str(OUTPUT / "board_pack.odp"))
    computer("key", "Return")
    computer("wait", "3")
    computer("click", "124", "51")  # Export Directly as PDF
    computer("wait", "2")
    computer("key", "ctrl+a")
    computer("type", str(OUTPUT / "board_pack.pdf"))
    computer("key", "Return")
    pdf = OUTPUT / "board_pack.pdf"
    for _ in range(150):
        if pdf.exists() and pdf.stat().st_size > 0:
            break
        time.sleep(0.2)
    computer("wait", "2")
    computer("key", "ctrl+q")
    computer("wait", "3")

if __name__ == "__main__":
    main()
