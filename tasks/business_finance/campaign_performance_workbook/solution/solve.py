#!/usr/bin/env python3
"""The file-level oracle: the workbook built in LibreOffice Calc through Python-UNO.

It cleans the export (the re-run export job's repeated rows dropped, money converted to the reporting
currency at the brief's rates), then in a headless soffice writes the Data sheet, a DataPilot of spend,
revenue and conversions by channel x month, a KPI sheet of SUMIF and ratio formulas, and a column chart
of ROAS by channel on the KPI cells; saves the workbook, and applies the reallocation rule to the ROAS
the workbook computed, at the brief's cap and at the halved cap.

Run as gui_oracle/solve.sh (a link to this file), it builds the same workbook in Calc on the sandbox's
desktop: the cleaned rows are written as the Data sheet of a bare ODS file (the cleaning is the same
Python), and everything else is done in Calc through ale-computer only: the KPI formulas typed, the
DataPilot made in its layout dialog by dragging the fields, the chart made with the chart wizard, saved
with ctrl+s. The adversaries (adversaries/*, links to this file) are this oracle
with one shortcut, chosen by the name it runs under.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import html
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
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

FIELDS = ["date", "month", "channel", "campaign", "spend", "impressions", "clicks", "conversions", "revenue"]
KPI_HEADER = ["channel", "spend", "impressions", "clicks", "conversions", "revenue", "ctr", "cpc", "cpa", "roas",
              "conversion_rate"]
LAST_MONTH = "2026-09"


def read_brief() -> dict:
    text = (INPUT / "brief.md").read_text()
    currency = re.search(r"Reporting currency: \*\*(\w+)\*\*", text).group(1)
    rates = {currency: 1.0} | {cur: float(rate) for cur, rate in re.findall(rf"1 (\w+) = ([\d.]+) {currency}", text)}
    return {"currency": currency, "rates": rates,
            "target": float(re.search(r"Target ROAS: \*\*([\d.]+)\*\*", text).group(1)),
            "cut": float(re.search(r"cut by (\d+)%", text).group(1)) / 100,
            "cap": float(re.search(r"more than (\d+)%", text).group(1)) / 100,
            "halved_cap": float(re.search(r"more than\s+\*\*(\d+)%\*\*", text).group(1)) / 100}


def clean_rows(brief: dict) -> list[list]:
    seen, rows = set(), []
    with open(INPUT / "ad_export.csv", newline="") as handle:
        for r in csv.DictReader(handle):
            key = (r["date"], r["channel"], r["campaign"])
            if key in seen and SHORTCUT != "kept_duplicate":
                continue
            seen.add(key)
            rate = brief["rates"][r["currency"]]
            day = r["date"]
            if SHORTCUT == "misdated_rows":  # each row dated a day late, the month column still the export's
                day = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
            rows.append([day, r["date"][:7], r["channel"], r["campaign"], float(r["spend"]) * rate,
                         float(r["impressions"]), float(r["clicks"]), float(r["conversions"]),
                         float(r["revenue"]) * rate])
    return rows


def prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(pipe: str, office: subprocess.Popen):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(600):  # a first start on a loaded machine may take a minute
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:  # soffice still starting
            if office.poll() is not None:
                raise SystemExit(f"soffice exited with status {office.returncode} before answering") from None
            time.sleep(0.2)
    raise SystemExit("soffice did not answer on its pipe in 120 s")


def kpi_formulas(row: int, last: int) -> list[str]:
    """Row ``row`` (1-based) of the KPI sheet: sums over the Data sheet, then the ratios."""
    def total(column: str) -> str:
        return f"=SUMIF($Data.$C$2:$C${last};$A{row};$Data.${column}$2:${column}${last})"
    return [total("E"), total("F"), total("G"), total("H"), total("I"),
            f"=D{row}/C{row}", f"=B{row}/D{row}", f"=B{row}/E{row}", f"=F{row}/B{row}", f"=E{row}/D{row}"]


def build(doc, rows: list[list], channels: list[str]) -> dict[str, float]:
    """Fill the new spreadsheet ``doc``; returns the ROAS per channel the KPI sheet computed."""
    sheets = doc.Sheets
    sheets.getByIndex(0).Name = "Data"
    sheets.insertNewByName("Pivot", 1)
    sheets.insertNewByName("KPI", 2)
    data, pivot, kpi = (sheets.getByName(n) for n in ("Data", "Pivot", "KPI"))
    last = len(rows) + 1
    source = data.getCellRangeByPosition(0, 0, len(FIELDS) - 1, last - 1)
    source.setDataArray((tuple(FIELDS), *(tuple(r) for r in rows)))

    kpi.getCellRangeByPosition(0, 0, len(KPI_HEADER) - 1, 0).setDataArray((tuple(KPI_HEADER),))
    for i, channel in enumerate(channels, start=2):
        kpi.getCellByPosition(0, i - 1).setString(channel)
        for j, formula in enumerate(kpi_formulas(i, last), start=1):
            kpi.getCellByPosition(j, i - 1).setFormula(formula)
    doc.calculateAll()
    if SHORTCUT == "pasted_values":  # the figures pasted as values
        block = kpi.getCellRangeByPosition(1, 1, len(KPI_HEADER) - 1, len(channels))
        block.setDataArray(block.getDataArray())

    if SHORTCUT == "static_summary":  # a summary typed out instead of a pivot table
        months = sorted({r[1] for r in rows})
        table = [("channel", *(f"{m} spend" for m in months))]
        table += [(c, *(sum(r[4] for r in rows if r[2] == c and r[1] == m) for m in months)) for c in channels]
        pivot.getCellRangeByPosition(0, 0, len(months), len(channels)).setDataArray(tuple(table))
    else:
        tables = pivot.getDataPilotTables()
        descriptor = tables.createDataPilotDescriptor()
        descriptor.setSourceRange(source.getRangeAddress())
        fields = descriptor.getDataPilotFields()
        orient = "com.sun.star.sheet.DataPilotFieldOrientation"
        for name, orientation in (("channel", "ROW"), ("month", "COLUMN"), ("spend", "DATA"), ("revenue", "DATA"),
                                  ("conversions", "DATA")):
            field = fields.getByIndex(FIELDS.index(name))
            field.Orientation = uno.Enum(orient, orientation)
            if orientation == "DATA":
                field.Function = uno.Enum("com.sun.star.sheet.GeneralFunction", "SUM")
        at = uno.createUnoStruct("com.sun.star.table.CellAddress")
        at.Sheet, at.Column, at.Row = 1, 0, 0
        tables.insertNewByName("ChannelByMonth", at, descriptor)

    n = len(channels)
    value_column = 8 if SHORTCUT == "chart_wrong_range" else 9  # CPA instead of ROAS
    names = kpi.getCellRangeByPosition(0, 0, 0, n).getRangeAddress()
    values = kpi.getCellRangeByPosition(value_column, 0, value_column, n).getRangeAddress()
    frame = uno.createUnoStruct("com.sun.star.awt.Rectangle")
    frame.X, frame.Y, frame.Width, frame.Height = 1000, (n + 3) * 500, 16000, 9000
    kpi.getCharts().addNewByName("ROASByChannel", frame, (names, values), True, True)
    doc.calculateAll()
    return {kpi.getCellByPosition(0, i).getString(): kpi.getCellByPosition(9, i).getValue() for i in range(1, n + 1)}


def uno_workbook(rows: list[list], channels: list[str]) -> dict[str, float]:
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    pipe = f"ale_campaign_{os.getpid()}"
    office = subprocess.Popen(["soffice", "--headless", "--norestore", "--nologo", "--nodefault",
                               f"-env:UserInstallation={profile.as_uri()}", f"--accept=pipe,name={pipe};urp;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ctx = connect(pipe, office)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL("private:factory/scalc", "_blank", 0, (prop("Hidden", True),))
        roas = build(doc, rows, channels)
        doc.storeToURL((OUTPUT / "campaign_performance.ods").as_uri(), (prop("FilterName", "calc8"),))
        doc.close(True)
        with contextlib.suppress(Exception):  # the bridge goes down with soffice
            desktop.terminate()
    finally:
        try:
            office.wait(timeout=20)
        except subprocess.TimeoutExpired:
            office.kill()
            office.wait()
    return roas


def reallocation(brief: dict, roas: dict[str, float], budget: dict[str, float],
                 cap: float) -> tuple[list[list], float, float]:
    change = {c: 0.0 for c in roas}
    freed = 0.0
    for c in roas:
        if roas[c] < brief["target"]:
            change[c] = -brief["cut"] * budget[c]
            freed -= change[c]
    pool = freed
    funded = [c for c in roas if roas[c] >= brief["target"]]
    # alphabetical_funding / reverse_name_funding: the channels at or above target funded in name order (or its
    # reverse), not best ROAS first
    funding_order = {"alphabetical_funding": sorted(funded), "reverse_name_funding": sorted(funded, reverse=True)}
    for c in funding_order.get(SHORTCUT, sorted(funded, key=roas.get, reverse=True)):
        take = pool if SHORTCUT == "uncapped" else min(pool, cap * budget[c])
        change[c], pool = take, pool - take
    rows = [[c, round(roas[c], 4), round(budget[c], 2), round(change[c], 2), round(budget[c] + change[c], 2),
             "cut" if change[c] < 0 else "increase" if change[c] > 0 else "hold"] for c in roas]
    return rows, freed - pool, pool


def summary(brief: dict, rows: list[list], moved: float, halved_cap_moved: float, halved_cap_held: float) -> str:
    cur = brief["currency"]
    lines = ["# Q3 2026 performance review: Q4 budget recommendation", "",
             f"Target ROAS {brief['target']:.2f}; budgets are September 2026 spend, in {cur}.", ""]
    for c, roas, budget, change, new, action in sorted(rows, key=lambda r: -r[1]):
        verb = {"cut": "cut", "increase": "increase", "hold": "keep"}[action]
        if SHORTCUT == "reversed_summary":  # every channel's figures, each move stated the other way round
            verb = {"cut": "increase", "increase": "cut", "hold": "keep"}[action]
            change, new = -change, budget - change
        lines.append(f"- {c}: ROAS {roas:.2f}; {verb} the monthly budget from {budget:,.2f} to {new:,.2f} "
                     f"({change:+,.2f} {cur}).")
    lines += ["", f"In total {moved:,.2f} {cur} a month moves from the channels below target to the best ones.",
              "", f"With the cap halved to {brief['halved_cap']:.0%}, {halved_cap_moved:,.2f} {cur} a month moves and "
              f"{halved_cap_held:,.2f} {cur} that no channel can absorb is held back."]
    cuts = [r[0] for r in rows if r[5] == "cut"]
    gains = [r[0] for r in rows if r[5] == "increase"]
    if SHORTCUT == "summary_kept_flat":  # every move right, then the channels cut said to keep their budget
        lines += ["", f"On reflection, {' and '.join(cuts)} keep their budget unchanged for Q4."]
    if SHORTCUT == "summary_far_negation":  # the cuts denied a few words before the verb
        lines += ["", *(f"{c} is not going to be cut in Q4 after all." for c in cuts)]
    if SHORTCUT == "summary_sides_swapped":  # a bottom line naming both sides, each given the other's move
        lines += ["", f"Bottom line: {' and '.join(cuts)} get the extra money, while {' and '.join(gains)} are cut back."]
    if SHORTCUT == "summary_moves_reworded":  # every move right, then each one stated the other way in other words
        lines += ["", *(f"We should move more money into {c} next quarter." for c in cuts),
                  *(f"{c} should have its budget lowered next quarter." for c in gains)]
    if SHORTCUT == "summary_rise_and_fall":  # every move right, then each budget said to rise or fall the other way
        lines += ["", *(f"{c}'s budget should rise next quarter." for c in cuts),
                  *(f"{c}'s budget should fall next quarter." for c in gains)]
    if SHORTCUT == "summary_plain_reversal":  # every move right, then each one reversed in plain words
        lines += ["", *(f"Invest more in {c}; {c}'s budget will be higher in Q4." for c in cuts),
                  *(f"Spend less on {g}; {g} loses budget in Q4." for g in gains)]
    if SHORTCUT == "summary_future_spend":  # every move right, then each channel cut said to spend more over Q4
        lines += ["", *(f"{c}'s spend will increase over the quarter." for c in cuts)]
    if SHORTCUT == "summary_budget_frozen":  # every move right, then each channel cut said to have its budget frozen
        lines += ["", *(f"{c}'s budget is frozen for Q4." for c in cuts)]
    if SHORTCUT == "summary_scaled":  # every move right, then each channel cut to be scaled, each one funded paused
        lines += ["", *(f"{c} should be scaled in Q4." for c in cuts), *(f"{g} should be paused." for g in gains)]
    return "\n".join(lines) + "\n"


def main() -> None:
    brief = read_brief()
    rows = clean_rows(brief)
    channels = list(dict.fromkeys(r[2] for r in rows))
    roas = gui_workbook(rows, channels) if GUI else uno_workbook(rows, channels)
    budget = {c: sum(r[4] for r in rows if r[2] == c and r[1] == LAST_MONTH) for c in channels}
    moves, moved, _ = reallocation(brief, roas, budget, brief["cap"])
    halved_cap_moves, halved_cap_moved, halved_cap_held = reallocation(brief, roas, budget, brief["halved_cap"])
    for name, rows in (("reallocation.csv", moves), ("reallocation_halved_cap.csv", halved_cap_moves)):
        with open(OUTPUT / name, "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["channel", "roas", "current_budget", "change", "new_budget", "action"])
            writer.writerows(rows)
    if SHORTCUT == "summary_without_figures":  # the channels named and the totals given, nothing per channel
        (OUTPUT / "summary.md").write_text(f"# Q4 budget\n\nChannels: {', '.join(channels)}.\n\n"
                                           f"Moved {moved:,.2f}; held at the halved cap {halved_cap_held:,.2f}.\n")
    else:
        (OUTPUT / "summary.md").write_text(summary(brief, moves, moved, halved_cap_moved, halved_cap_held))


def computer(*args: str) -> None:
    """One action on the desktop through the computer tools."""
    subprocess.run(["ale-computer", *args], check=True, stdout=subprocess.DEVNULL)


def goto(reference: str) -> None:
    """Select a cell or range through the Name Box."""
    computer("key", "ctrl+shift+F5")
    computer("key", "ctrl+a")
    computer("type", reference)
    computer("key", "Return")
    computer("wait", "0.3")


def cell_xml(value: object) -> str:
    if isinstance(value, float):
        return f'<table:table-cell office:value-type="float" office:value="{value!r}"/>'
    return f'<table:table-cell office:value-type="string"><text:p>{html.escape(str(value))}</text:p></table:table-cell>'


def write_data_workbook(path: Path, rows: list[list]) -> None:
    """The workbook to start from: the cleaned rows on Data, empty Pivot and KPI sheets."""
    body = "".join("<table:table-row>" + "".join(cell_xml(v) for v in r) + "</table:table-row>"
                   for r in [FIELDS, *rows])
    tables = (f'<table:table table:name="Data">{body}</table:table>'
              '<table:table table:name="Pivot"><table:table-row><table:table-cell/></table:table-row></table:table>'
              '<table:table table:name="KPI"><table:table-row><table:table-cell/></table:table-row></table:table>')
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
               f'<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
                'opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
                'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w") as ods:
        ods.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        ods.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        ods.writestr("content.xml", content, zipfile.ZIP_DEFLATED)


def calc_profile() -> None:
    user = Path.home() / ".config/libreoffice/4/user"
    user.mkdir(parents=True, exist_ok=True)
    settings = {("/org.openoffice.Office.Common/Misc", "ShowTipOfTheDay"): "false",
                ("/org.openoffice.Office.Common/Misc", "FirstRun"): "false",
                ("/org.openoffice.Office.Calc/Input", "AutoInput"): "false"}
    items = "".join(f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse"><value>{value}</value></prop></item>'
                    for (path, name), value in settings.items())
    (user / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        f'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{items}</oor:items>')


def gui_workbook(rows: list[list], channels: list[str]) -> dict[str, float]:
    """The same workbook made in Calc on the desktop: KPI formulas typed, the pivot and the chart by their dialogs."""
    workbook = OUTPUT / "campaign_performance.ods"
    write_data_workbook(workbook, rows)
    calc_profile()
    computer("launch", f"soffice --calc --norestore --nologo {workbook}")
    computer("wait", "3")
    computer("click", "700", "450")
    last, n = len(rows) + 1, len(channels)

    computer("key", "ctrl+Page_Down")
    computer("key", "ctrl+Page_Down")
    goto("A1")
    for line in [KPI_HEADER, *([c, *kpi_formulas(i, last)] for i, c in enumerate(channels, start=2))]:
        computer("type", "\t".join(line))
        computer("key", "Return")

    computer("key", "ctrl+Page_Up")
    computer("key", "ctrl+Page_Up")
    goto(f"A1:I{last}")
    computer("click", "123", "28")  # Insert
    computer("wait", "0.8")
    computer("click", "170", "105")  # Pivot Table...
    computer("wait", "2")
    computer("key", "Return")  # the current selection as source
    computer("wait", "3")
    # the Pivot Table Layout dialog, where it opens on the 1280x800 screen: fields dragged bottom-up
    for field, to in (("revenue", (645, 430)), ("conversions", (645, 430)), ("spend", (645, 430)),
                      ("channel", (420, 430)), ("month", (645, 300))):
        y = 252 + 16 * FIELDS.index(field)
        computer("drag", "800", str(y), *map(str, to))
        computer("wait", "0.7")
    computer("click", "326", "538")  # Source and Destination
    computer("wait", "1")
    computer("click", "350", "702")  # Destination: Selection
    computer("click", "678", "702")
    computer("key", "ctrl+a")
    computer("type", "$Pivot.$A$1")
    computer("wait", "0.5")
    computer("click", "910", "746")  # OK
    computer("wait", "3")

    computer("key", "ctrl+Page_Down")
    computer("key", "ctrl+Page_Down")
    goto(f"A1:A{n + 1}")
    computer("click", "123", "28")  # Insert
    computer("wait", "0.8")
    computer("click", "156", "68")  # Chart...
    computer("wait", "3")
    computer("key", "alt+n")  # to the data range
    computer("wait", "1")
    computer("key", "ctrl+a")
    computer("type", f"$KPI.$A$1:$A${n + 1},$KPI.$J$1:$J${n + 1}")
    computer("wait", "1")
    computer("click", "867", "544")  # Finish
    computer("wait", "2")
    computer("key", "Escape")
    computer("key", "Escape")
    computer("wait", "1")

    before = workbook.stat().st_mtime
    computer("key", "ctrl+s")
    for _ in range(100):
        if workbook.stat().st_mtime != before:
            break
        time.sleep(0.2)
    computer("wait", "1")
    computer("key", "ctrl+q")
    lock = workbook.with_name(f".~lock.{workbook.name}#")
    for _ in range(150):
        if not lock.exists():
            break
        time.sleep(0.2)
    spend = {c: sum(r[4] for r in rows if r[2] == c) for c in channels}
    return {c: sum(r[8] for r in rows if r[2] == c) / spend[c] for c in channels}


if __name__ == "__main__":
    main()
