#!/usr/bin/env python3
"""Run by the grader in a tool sandbox: open a gradebook in a headless soffice and report what Calc sees.

Usage: inspect_workbook.py WORKBOOK JOB_JSON. Writes report.json: the Data sheet's cells, the Policy
sheet's weights (by category name in column A) and letter counts (G2 down), the Grades sheet's rows (by
its header), its final_percent and letter formulas, per student whether the conditional format of the
final percent gives it a visible style (evaluated as Calc applies it) and the first row's conditions,
every chart's value ranges and category labels; then the Grades rows again after the Policy weights of
the job were set and the document recalculated (weights restored after), after the job's altered rules,
drops and letter cut-offs were set on the Policy sheet and the document recalculated (with the letter
counts; the cells restored after), and after the job's hidden roster was written over the Data sheet and
the document recalculated.
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


def prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def used_rows(sheet) -> list[list]:
    cursor = sheet.createCursor()
    cursor.gotoEndOfUsedArea(False)
    addr = cursor.getRangeAddress()
    return [list(r) for r in sheet.getCellRangeByPosition(0, 0, addr.EndColumn, addr.EndRow).getDataArray()]


FONT_FACE = ("CharWeight", "CharPosture", "CharUnderline", "CharStrikeout")
COMPARE = {"EQUAL": lambda v, a, b: v == a, "NOT_EQUAL": lambda v, a, b: v != a, "GREATER": lambda v, a, b: v > a,
           "GREATER_EQUAL": lambda v, a, b: v >= a, "LESS": lambda v, a, b: v < a, "LESS_EQUAL": lambda v, a, b: v <= a,
           "BETWEEN": lambda v, a, b: min(a, b) <= v <= max(a, b),
           "NOT_BETWEEN": lambda v, a, b: not min(a, b) <= v <= max(a, b)}


def distinct(colour: int, base: int) -> bool:
    """Whether an RGB colour stands out from another: some channel differs by at least 32 of 255."""
    return any(abs((colour >> shift & 0xFF) - (base >> shift & 0xFF)) >= 32 for shift in (0, 8, 16))


def background(obj) -> int:
    return 0xFFFFFF if obj.IsCellBackgroundTransparent or obj.CellBackColor == -1 else obj.CellBackColor


def text_colour(obj) -> int:
    return 0x000000 if obj.CharColor == -1 else obj.CharColor  # automatic: black


def visible_style(doc, name: str, cell) -> bool:
    """Whether a cell style makes the cell look different, both from a plain cell (white background, black text,
    the Default style's font face) and from the cell's own look without the condition: a background, a font
    colour or a font face."""
    styles = doc.StyleFamilies.getByName("CellStyles")
    if not styles.hasByName(name):
        return False
    style, default = styles.getByName(name), styles.getByName("Default")
    if distinct(background(style), 0xFFFFFF) and distinct(background(style), background(cell)):
        return True
    if distinct(text_colour(style), 0x000000) and distinct(text_colour(style), text_colour(cell)):
        return True
    return any(style.getPropertyValue(p) != default.getPropertyValue(p) and
               style.getPropertyValue(p) != cell.getPropertyValue(p) for p in FONT_FACE)


SCRATCH = "ale_scratch"
SHEET_RELATIVE, SHEET_3D = 16, 64  # com.sun.star.sheet.ReferenceFlags


def pinned(ref, sheet: int):
    """A single reference with its sheet made absolute: the sheet it names from a position on the given sheet."""
    if ref.Flags & SHEET_RELATIVE:
        ref.Sheet, ref.Flags = sheet + ref.RelativeSheet, (ref.Flags & ~SHEET_RELATIVE) | SHEET_3D
    return ref


class Conditions:
    """Evaluates a cell's conditional format as Calc applies it: the first entry whose condition holds gives the
    cell its style. An entry's formulas are computed at the cell's own address on a scratch sheet, their sheet
    references pinned to the sheets they name from the entry's source position, so that relative references
    and the position functions (ROW(), COLUMN()) give what they give in the cell."""

    def __init__(self, doc) -> None:
        self.doc, self.parser = doc, doc.createInstance("com.sun.star.sheet.FormulaParser")
        doc.Sheets.insertNewByName(SCRATCH, doc.Sheets.getCount())
        self.scratch = doc.Sheets.getByName(SCRATCH)

    def close(self) -> None:
        self.doc.Sheets.removeByName(SCRATCH)

    def value(self, formula: str, source, cell) -> float | None:
        tokens = self.parser.parseFormula(formula, source)
        for token in tokens:
            if hasattr(token.Data, "Flags"):
                token.Data = pinned(token.Data, source.Sheet)
            elif hasattr(token.Data, "Reference1"):
                both = token.Data
                both.Reference1, both.Reference2 = pinned(both.Reference1, source.Sheet), pinned(both.Reference2, source.Sheet)
                token.Data = both
        at = cell.getCellAddress()
        scratch = self.scratch.getCellByPosition(at.Column, at.Row)
        scratch.setTokens(tokens)
        value = None if scratch.getError() else scratch.getValue()
        scratch.setFormula("")
        return value

    def holds(self, entry, cell) -> bool:
        operator, source = entry.getOperator().value, entry.getSourcePosition()
        first = self.value(entry.getFormula1(), source, cell)
        if operator == "FORMULA":
            return bool(first)
        second = self.value(entry.getFormula2(), source, cell) if operator.endswith("BETWEEN") else first
        return operator in COMPARE and first is not None and second is not None and not cell.getError() and \
            COMPARE[operator](cell.getValue(), first, second)

    def flagged(self, cell) -> bool:
        """Whether the cell's conditional format gives it a visible style."""
        entries = cell.getPropertyValue("ConditionalFormat")
        for e in range(entries.getCount()):
            with contextlib.suppress(Exception):  # an entry that is no condition (a colour scale, ...)
                entry = entries.getByIndex(e)
                if self.holds(entry, cell):
                    return visible_style(self.doc, entry.getStyleName(), cell)
        return False


def grades_sheet(doc, sheet) -> dict:
    table = used_rows(sheet)
    head = [str(h).strip().lower() for h in table[0]] if table else []
    rows, formulas, conditions, at_risk = [], [], [], {}
    evaluate = Conditions(doc)
    for i, r in enumerate(table[1:], start=1):
        if not str(r[0]).strip():
            continue
        rows.append(dict(zip(head, r, strict=False)))
        for name in ("final_percent", "letter"):
            if name in head:
                formulas.append(sheet.getCellByPosition(head.index(name), i).getFormula())
        if "final_percent" in head:
            cell = sheet.getCellByPosition(head.index("final_percent"), i)
            at_risk[str(r[0]).strip()] = evaluate.flagged(cell)
            entries = cell.getPropertyValue("ConditionalFormat")
            if i == 1:
                for e in range(entries.getCount()):
                    with contextlib.suppress(Exception):  # an entry that is no condition (a colour scale, ...)
                        entry = entries.getByIndex(e)
                        conditions.append([entry.getOperator().value, entry.getFormula1(), entry.getStyleName()])
    evaluate.close()
    return {"header": head, "rows": rows, "formulas": formulas, "at_risk": at_risk, "conditions": conditions}


def categories(cs) -> list[str] | None:
    """The labels on a coordinate system's category axis, as the chart shows them."""
    with contextlib.suppress(Exception):  # no category axis, or no categories on it
        seq = cs.getAxisByDimension(0, 0).getScaleData().Categories.getValues()
        with contextlib.suppress(Exception):
            return [str(t) for t in seq.getTextualData()]
        return [str(v) for v in seq.getData()]
    return None


def charts(doc) -> list[dict]:
    out = []
    for s in range(doc.Sheets.getCount()):
        sheet = doc.Sheets.getByIndex(s)
        for name in sheet.getCharts().getElementNames():
            chart = sheet.getCharts().getByName(name).getEmbeddedObject()
            for cs in chart.getFirstDiagram().getCoordinateSystems():
                for ct in cs.getChartTypes():
                    values = [seq.getValues().getSourceRangeRepresentation()
                              for series in ct.getDataSeries() for seq in series.getDataSequences()
                              if seq.getValues().Role == "values-y"]
                    out.append({"sheet": sheet.Name, "name": name, "type": ct.getChartType(), "values": values,
                                "categories": categories(cs)})
    return out


def weight_cells(policy, categories: list[str]) -> dict[str, object]:
    cells = {}
    for i in range(1, 40):
        name = policy.getCellByPosition(0, i).getString().strip()
        if name in categories:
            cells[name] = policy.getCellByPosition(1, i)
    return cells


def write_roster(sheet, head: list[str], rows: list[list]) -> None:
    sheet.getCellRangeByPosition(0, 1, len(head) - 1, len(rows)).clearContents(1 | 2 | 4 | 16)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            cell = sheet.getCellByPosition(j, i)
            if isinstance(value, int | float):
                cell.setValue(value)
            elif value is not None:
                cell.setString(str(value))


def inspect(doc, job: dict) -> dict:
    data, policy, grades = (doc.Sheets.getByName(n) for n in ("Data", "Policy", "Grades"))
    doc.calculateAll()
    cells = weight_cells(policy, job["categories"])
    k = job["letters"]
    report = {"data": {"table": used_rows(data)}, "policy_weights": {c: cell.getValue() for c, cell in cells.items()},
              "counts": [policy.getCellByPosition(6, i).getValue() for i in range(1, k + 1)],
              "grades": grades_sheet(doc, grades), "charts": charts(doc)}
    original = {c: cell.getValue() for c, cell in cells.items()}
    for c, w in zip(job["categories"], job["swapped_weights"], strict=True):
        if c in cells:
            cells[c].setValue(w)
    doc.calculateAll()
    report["reweighted"] = grades_sheet(doc, grades)
    for c, w in original.items():
        cells[c].setValue(w)
    # the altered rules (H1:I4 by name), drops (column C of the categories) and letter cut-offs (E2 down)
    altered, saved = job["altered"], []
    rules = {policy.getCellByPosition(7, i).getString().strip(): policy.getCellByPosition(8, i) for i in range(8)}
    targets = [rules.get(name) for name in ("late_penalty_per_day", "late_penalty_cap", "extra_credit_cap",
                                            "at_risk_below")]
    targets = list(zip(targets, altered["rules"], strict=True))
    targets += [(policy.getCellByPosition(2, cells[c].getCellAddress().Row), d)
                for c, d in zip(job["categories"], altered["drops"], strict=True) if c in cells]
    targets += [(policy.getCellByPosition(4, i + 1), cut) for i, cut in enumerate(altered["cuts"])]
    for cell, value in targets:
        if cell is not None:
            saved.append((cell, cell.getFormula()))
            cell.setValue(value)
    doc.calculateAll()
    report["altered"] = grades_sheet(doc, grades)
    report["altered"]["counts"] = [policy.getCellByPosition(6, i).getValue() for i in range(1, k + 1)]
    for cell, formula in saved:
        cell.setFormula(formula)
    doc.calculateAll()
    # the hidden roster in the workbook's own student order, so that Grades rows tied to Data rows keep their student
    order = {str(r[0]).strip(): i for i, r in enumerate(report["data"]["table"][1:])}
    hidden = sorted(job["hidden_rows"], key=lambda r: order.get(r[0], len(order)))
    write_roster(data, job["header"], hidden)
    doc.calculateAll()
    report["perturbed"] = grades_sheet(doc, grades)
    return report


def main() -> None:
    workbook, job = Path(sys.argv[1]).resolve(), json.loads(Path(sys.argv[2]).read_text())
    profile = Path("lo-profile").resolve()
    pipe = f"ale_gradebook_{os.getpid()}"
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
        elif not all(doc.Sheets.hasByName(s) for s in ("Data", "Policy", "Grades")):
            report = {"error": f"sheets are {list(doc.Sheets.getElementNames())}, Data, Policy and Grades required"}
        else:
            report = inspect(doc, job)
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
