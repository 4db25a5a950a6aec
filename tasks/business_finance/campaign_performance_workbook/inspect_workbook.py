#!/usr/bin/env python3
"""Run by the grader in a tool sandbox: open a workbook in a headless soffice and report what Calc sees.

Usage: inspect_workbook.py WORKBOOK PERTURB_JSON. Writes report.json: the Data sheet's rows, every
DataPilot (source, fields, output numbers), the KPI sheet's cells (value and formula), every chart's type
and data ranges, and the KPI rows again after the Data sheet's numbers were scaled per channel by the
factors of PERTURB_JSON (spend, clicks, conversions, revenue, impressions), and per row by ROW_FACTORS, and the
document recalculated.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue

SCALED = ("spend", "clicks", "conversions", "revenue", "impressions")
# each row's numbers move by a factor of their own too, so that a KPI tied to one cell of its channel (a constant
# times that cell over its value) no longer follows the data
ROW_FACTORS = (1.0, 0.75, 1.25, 0.9, 1.1, 0.6, 1.4)


def prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def used_rows(sheet) -> list[list]:
    cursor = sheet.createCursor()
    cursor.gotoEndOfUsedArea(False)
    addr = cursor.getRangeAddress()
    return [list(r) for r in sheet.getCellRangeByPosition(0, 0, addr.EndColumn, addr.EndRow).getDataArray()]


def data_sheet(sheet) -> dict:
    table = used_rows(sheet)
    header = [str(h).strip().lower() for h in table[0]] if table else []
    rows = [dict(zip(header, r, strict=False)) for r in table[1:] if any(str(v).strip() for v in r)]
    return {"header": header, "rows": rows, "count": len(rows), "table": table}


def kpi_sheet(sheet) -> dict:
    table = used_rows(sheet)
    header = [str(h).strip().lower() for h in table[0]] if table else []
    rows, channel_rows = [], {}
    for i in range(1, len(table)):
        name = str(table[i][0]).strip()
        if not name:
            continue
        cells = [{"value": sheet.getCellByPosition(j, i).getValue() if j else name,
                  "formula": sheet.getCellByPosition(j, i).getFormula()} for j in range(len(header))]
        rows.append(cells)
        if not name.lower().startswith("total"):
            channel_rows[name] = i
    return {"header": header, "rows": rows, "channel_rows": channel_rows}


def pivots(doc) -> list[dict]:
    out = []
    for s in range(doc.Sheets.getCount()):
        tables = doc.Sheets.getByIndex(s).getDataPilotTables()
        for name in tables.getElementNames():
            dp = tables.getByName(name)
            src, dst = dp.getSourceRange(), dp.getOutputRange()
            numbers = [v for row in doc.Sheets.getByIndex(dst.Sheet).getCellRangeByPosition(
                dst.StartColumn, dst.StartRow, dst.EndColumn, dst.EndRow).getDataArray()
                for v in row if isinstance(v, float)]
            out.append({
                "name": name,
                "source": {"sheet": doc.Sheets.getByIndex(src.Sheet).Name, "first_row": src.StartRow,
                           "last_row": src.EndRow, "first_column": src.StartColumn, "last_column": src.EndColumn},
                "row_fields": [f.getName() for f in dp.getRowFields()],
                "column_fields": [f.getName() for f in dp.getColumnFields()],
                "data_fields": [[source_name(dp, f), f.Function.value] for f in dp.getDataFields()],
                "numbers": numbers})
    return out


def source_name(dp, field) -> str:
    """A data field's source column ("spend", not "Sum - spend")."""
    name = field.getName()
    for f in dp.getDataPilotFields():
        if f.getName() == name or name.endswith(f.getName()):
            return f.getName()
    return name


def charts(doc) -> list[dict]:
    out = []
    for s in range(doc.Sheets.getCount()):
        sheet = doc.Sheets.getByIndex(s)
        for name in sheet.getCharts().getElementNames():
            chart = sheet.getCharts().getByName(name).getEmbeddedObject()
            diagram = chart.getFirstDiagram()
            for cs in diagram.getCoordinateSystems():
                categories = None
                with contextlib.suppress(Exception):
                    categories = cs.getAxisByDimension(0, 0).getScaleData().Categories.getValues() \
                        .getSourceRangeRepresentation()
                for ct in cs.getChartTypes():
                    values = [seq.getValues().getSourceRangeRepresentation()
                              for series in ct.getDataSeries() for seq in series.getDataSequences()
                              if seq.getValues().Role == "values-y"]
                    out.append({"sheet": sheet.Name, "name": name, "type": ct.getChartType(), "values": values,
                                "categories": categories})
    return out


def perturb(doc, data: dict, factors: dict) -> dict:
    sheet = doc.Sheets.getByName("Data")
    table = data["table"]
    header = data["header"]
    if not header:
        return {"data": [], "kpi_rows": kpi_sheet(doc.Sheets.getByName("KPI"))["rows"]}
    col = {h: header.index(h) for h in ("channel", *SCALED) if h in header}
    for index, row in enumerate(table[1:]):
        f = factors.get(str(row[col["channel"]]).strip()) if "channel" in col else None
        if f:
            for k, factor in zip(SCALED, f, strict=True):
                if k in col and isinstance(row[col[k]], float):
                    row[col[k]] = row[col[k]] * factor * ROW_FACTORS[index % len(ROW_FACTORS)]
    sheet.getCellRangeByPosition(0, 0, len(header) - 1, len(table) - 1).setDataArray(tuple(tuple(r) for r in table))
    doc.calculateAll()
    rows = [{k: (r[col[k]] if k == "channel" else r[col[k]] if isinstance(r[col[k]], float) else 0.0)
             for k in col} for r in table[1:] if any(str(v).strip() for v in r)]
    return {"data": rows, "kpi_rows": kpi_sheet(doc.Sheets.getByName("KPI"))["rows"]}


def main() -> None:
    workbook, factors = Path(sys.argv[1]).resolve(), json.loads(Path(sys.argv[2]).read_text())
    profile = Path("lo-profile").resolve()
    pipe = f"ale_inspect_{os.getpid()}"
    office = subprocess.Popen(["soffice", "--headless", "--norestore", "--nologo", "--nodefault",
                               f"-env:UserInstallation={profile.as_uri()}", f"--accept=pipe,name={pipe};urp;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    report: dict = {}
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(600):
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:  # soffice still starting
                time.sleep(0.2)
        else:
            raise SystemExit("soffice did not answer")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(workbook.as_uri(), "_blank", 0, (prop("Hidden", True),))
        if doc is None or not hasattr(doc, "Sheets"):
            report = {"error": "not a spreadsheet Calc can open"}
        elif not all(doc.Sheets.hasByName(s) for s in ("Data", "Pivot", "KPI")):
            report = {"error": f"sheets are {list(doc.Sheets.getElementNames())}, Data, Pivot and KPI required"}
        else:
            doc.calculateAll()
            data = data_sheet(doc.Sheets.getByName("Data"))
            report = {"data": {k: v for k, v in data.items() if k != "table"}, "pivots": pivots(doc),
                      "kpi": kpi_sheet(doc.Sheets.getByName("KPI")), "charts": charts(doc)}
            report["perturbed"] = perturb(doc, data, factors)
        if doc is not None:
            doc.close(True)
        with contextlib.suppress(Exception):
            desktop.terminate()
    finally:
        try:
            office.wait(timeout=20)
        except subprocess.TimeoutExpired:
            office.kill()
    Path("report.json").write_text(json.dumps(report, default=str))


if __name__ == "__main__":
    main()
