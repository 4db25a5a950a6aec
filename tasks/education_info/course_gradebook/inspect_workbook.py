#!/usr/bin/env python3
"""Run by the grader in a tool sandbox: open a gradebook in a headless soffice and report what Calc sees.

Usage: inspect_workbook.py WORKBOOK JOB_JSON. Writes report.json: the Data sheet's cells, the Policy
sheet's weights (by category name in column A) and letter counts (G2 down), the Grades sheet's rows (by
its header), its final_percent and letter formulas, per student whether the conditional format of the
final percent gives it a look of its own as Calc shows it (the HTML export, which applies the conditional
formats, against that of a copy without them) and the first row's conditions,
every chart's value ranges and category labels; then the Grades rows again after the Policy weights of
the job were set and the document recalculated (weights restored after), after the job's altered rules,
drops and letter cut-offs were set on the Policy sheet and the document recalculated (with the letter
counts; the cells restored after), and after the job's hidden roster was written over the Data sheet and
the document recalculated.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
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


def distinct(colour: int, base: int) -> bool:
    """Whether an RGB colour stands out from another: some channel differs by at least 32 of 255."""
    return any(abs((colour >> shift & 0xFF) - (base >> shift & 0xFF)) >= 32 for shift in (0, 8, 16))


@dataclasses.dataclass(frozen=True)
class Look:
    """How Calc shows a cell in its HTML export: the background, the text colour and the font tags (bold, italic,
    underline, font face, ...) around the text."""

    background: int = 0xFFFFFF
    colour: int = 0x000000
    tags: tuple[str, ...] = ()

    def stands_out(self, plain: Look) -> bool:
        return distinct(self.background, plain.background) or distinct(self.colour, plain.colour) or \
            self.tags != plain.tags


def colour(text: str | None, default: int) -> int:
    try:
        return int((text or "").strip().lstrip("#"), 16)
    except ValueError:
        return default


FONT_TAGS = ("b", "i", "u", "s", "strike", "font")


class SheetTables(HTMLParser):
    """Calc's HTML export: each sheet's table, by sheet name, as rows of (text, look) with merged cells repeated."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[tuple[str, Look]]]] = {}
        self.heading: list[str] | None = None
        self.name = ""
        self.rows: list[list[tuple[str, Look]]] | None = None
        self.spans: dict[int, tuple[int, tuple[str, Look]]] = {}
        self.cell: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        at = dict(attrs)
        if tag == "h1":
            self.heading = []
        elif tag == "table" and self.name:
            self.rows = self.tables.setdefault(self.name, [])
        elif tag == "tr" and self.rows is not None:
            self.rows.append([])
            self.fill_spans()
        elif tag == "td" and self.rows is not None:
            self.cell = {"text": [], "background": colour(at.get("bgcolor"), 0xFFFFFF), "colour": 0x000000,
                         "tags": [], "colspan": int(at.get("colspan") or 1), "rowspan": int(at.get("rowspan") or 1)}
        elif self.cell is not None and tag in FONT_TAGS:
            if tag == "font" and at.get("color"):
                self.cell["colour"] = colour(at.pop("color"), 0x000000)
            if tag != "font" or at:
                self.cell["tags"].append(f"{tag} {sorted(at.items())}")

    def fill_spans(self) -> None:
        """Cells of earlier rows merged down into the current row, at their columns."""
        row = self.rows[-1]
        while len(row) in self.spans:
            left, cell = self.spans.pop(len(row))
            row.append(cell)
            if left > 1:
                self.spans[len(row) - 1] = (left - 1, cell)

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1" and self.heading is not None:
            self.name, self.heading = "".join(self.heading).split(":", 1)[-1].strip(), None
        elif tag == "table":
            self.rows, self.name, self.spans = None, "", {}
        elif tag == "td" and self.cell is not None and self.rows is not None:
            c = self.cell
            cell = ("".join(c["text"]).strip(), Look(c["background"], c["colour"], tuple(sorted(c["tags"]))))
            row = self.rows[-1]
            for _ in range(c["colspan"]):
                if c["rowspan"] > 1:
                    self.spans[len(row)] = (c["rowspan"] - 1, cell)
                row.append(cell)
                self.fill_spans()
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.heading is not None:
            self.heading.append(data)
        elif self.cell is not None:
            self.cell["text"].append(data)


def rendered(doc, sheet: str) -> dict[str, Look]:
    """Each student's final percent as Calc shows it (conditional formats applied), by student id: the document
    exported as HTML, whose cells carry the style of the conditional format that holds, as on screen."""
    path = Path(f"rendered_{time.monotonic_ns()}.html").resolve()
    doc.storeToURL(path.as_uri(), (prop("FilterName", "HTML (StarCalc)"),))
    parser = SheetTables()
    parser.feed(path.read_text(errors="replace"))
    path.unlink()
    table = parser.tables.get(sheet, [])
    head = [text.lower() for text, _look in table[0]] if table else []
    if "student_id" not in head or "final_percent" not in head:
        return {}
    sid, final = head.index("student_id"), head.index("final_percent")
    return {row[sid][0]: row[final][1] for row in table[1:] if len(row) > max(sid, final) and row[sid][0]}


def plain_looks(workbook: Path, desktop) -> dict[str, Look]:
    """The final percents as Calc shows them with no conditional format: a copy of the workbook loaded, the Grades
    sheet's conditional formats removed."""
    copy = Path("plain.ods").resolve()
    shutil.copyfile(workbook, copy)
    doc = desktop.loadComponentFromURL(copy.as_uri(), "_blank", 0, (prop("Hidden", True),))
    try:
        formats = doc.Sheets.getByName("Grades").ConditionalFormats
        for entry in formats.getConditionalFormats():
            formats.removeByID(entry.ID)
        doc.calculateAll()
        return rendered(doc, "Grades")
    finally:
        doc.close(True)


def grades_sheet(doc, sheet, plain: dict[str, Look]) -> dict:
    """The Grades rows by header, the final percent and letter formulas, per student whether Calc shows the final
    percent in a look of its own (against the look without conditional formats) and the first row's conditions."""
    table = used_rows(sheet)
    head = [str(h).strip().lower() for h in table[0]] if table else []
    rows, formulas, conditions, at_risk = [], [], [], {}
    shown = rendered(doc, sheet.Name)
    for i, r in enumerate(table[1:], start=1):
        if not str(r[0]).strip():
            continue
        rows.append(dict(zip(head, r, strict=False)))
        for name in ("final_percent", "letter"):
            if name in head:
                formulas.append(sheet.getCellByPosition(head.index(name), i).getFormula())
        if "final_percent" in head:
            cell = sheet.getCellByPosition(head.index("final_percent"), i)
            sid = str(r[0]).strip()
            at_risk[sid] = sid in shown and shown[sid].stands_out(plain.get(sid, Look()))
            entries = cell.getPropertyValue("ConditionalFormat")
            if i == 1:
                for e in range(entries.getCount()):
                    with contextlib.suppress(Exception):  # an entry that is no condition (a colour scale, ...)
                        entry = entries.getByIndex(e)
                        conditions.append([entry.getOperator().value, entry.getFormula1(), entry.getStyleName()])
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


def inspect(doc, job: dict, plain: dict[str, Look]) -> dict:
    data, policy, grades = (doc.Sheets.getByName(n) for n in ("Data", "Policy", "Grades"))
    doc.calculateAll()
    cells = weight_cells(policy, job["categories"])
    k = job["letters"]
    report = {"data": {"table": used_rows(data)}, "policy_weights": {c: cell.getValue() for c, cell in cells.items()},
              "counts": [policy.getCellByPosition(6, i).getValue() for i in range(1, k + 1)],
              "grades": grades_sheet(doc, grades, plain), "charts": charts(doc)}
    original = {c: cell.getValue() for c, cell in cells.items()}
    for c, w in zip(job["categories"], job["swapped_weights"], strict=True):
        if c in cells:
            cells[c].setValue(w)
    doc.calculateAll()
    report["reweighted"] = grades_sheet(doc, grades, plain)
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
    report["altered"] = grades_sheet(doc, grades, plain)
    report["altered"]["counts"] = [policy.getCellByPosition(6, i).getValue() for i in range(1, k + 1)]
    for cell, formula in saved:
        cell.setFormula(formula)
    doc.calculateAll()
    # the hidden roster in the workbook's own student order, so that Grades rows tied to Data rows keep their student
    order = {str(r[0]).strip(): i for i, r in enumerate(report["data"]["table"][1:])}
    hidden = sorted(job["hidden_rows"], key=lambda r: order.get(r[0], len(order)))
    write_roster(data, job["header"], hidden)
    doc.calculateAll()
    report["perturbed"] = grades_sheet(doc, grades, plain)
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
            report = inspect(doc, job, plain_looks(workbook, desktop))
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
