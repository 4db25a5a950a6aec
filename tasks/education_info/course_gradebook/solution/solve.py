#!/usr/bin/env python3
"""The file-level oracle: the gradebook built in LibreOffice Calc through Python-UNO.

It cleans the LMS export (the latest grading of each item, points as a percent of the row's own maximum,
"EX" kept, extra credit summed), then in a headless soffice writes the Data sheet, the Policy sheet
(weights, drops, letter scale with SUMPRODUCT letter counts (exact match: COUNTIF would read "C+" as a regular expression), late and extra-credit rules), a helper sheet
of late-adjusted item percents, and the Grades sheet of formulas (category averages with the lowest
scores dropped, the weighted final percent, the letter by VLOOKUP of the rounded percent on the Policy
scale), a conditional format flagging students at risk and a column chart of the letter counts; saves the
workbook and writes grades_export.csv from the values Calc computed.

Run as gui_oracle/solve.sh (a link to this file), it makes the same workbook in Calc on the sandbox's
desktop: the cleaned roster is written as the Data sheet of a bare ODS file (the cleaning is the same
Python); the Policy table, the helper and Grades formulas (typed in row 2 and filled down), the
conditional format and the chart are made in Calc through ale-computer only, and saved with ctrl+s.

The adversaries (adversaries/*, links to this file) are this oracle with one shortcut, chosen by the
name it runs under.
"""

from __future__ import annotations

import contextlib
import csv
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


def read_policy() -> dict:
    text = (INPUT / "syllabus_policy.md").read_text()
    categories = []
    for name, items, _points, weight, drop in re.findall(
            r"^\| ([^|]+?) \| ([a-z0-9_, ]+) \| ([\d.]+) \| (\d+)% \| (\d+) \|$", text, re.M):
        categories.append({"name": name, "items": items.split(", "), "weight": int(weight) / 100, "drop": int(drop)})
    scale = text.split("## Letter scale")[1]
    return {"categories": categories,
            "letters": [(float(cut), name) for cut, name in re.findall(r"^\| ([\d.]+) \| ([A-F][+-]?) \|$", scale, re.M)],
            "late_per_day": float(re.search(r"loses ([\d.]+) percent", text).group(1)),
            "late_cap": float(re.search(r"at most\s+([\d.]+) percent in total", text).group(1)),
            "extra_cap": float(re.search(r"at most ([\d.]+) points per student", text).group(1)),
            "at_risk": float(re.search(r"below ([\d.]+) are at risk", text).group(1)),
            "header": re.search(r"^`(student_id,[^`]+)`$", text, re.M).group(1).split(",")}


def clean(policy: dict) -> list[list]:
    """The Data sheet's rows: the latest grading per student and item, percent of the row's maximum."""
    items = [i for c in policy["categories"] for i in c["items"]]
    students: dict[str, dict] = {}
    with open(INPUT / "lms_export.csv", newline="") as handle:
        for r in csv.DictReader(handle):
            s = students.setdefault(r["student_id"], {"name": r["name"], "section": r["section"], "items": {},
                                                      "extra": 0.0})
            if r["item"] == "extra_credit":
                s["extra"] += float(r["points"])
                continue
            previous = s["items"].get(r["item"])
            if previous is None or r["graded_at"] > previous["graded_at"]:
                s["items"][r["item"]] = r
    rows = []
    for sid, s in students.items():
        scores, late = [], []
        for item in items:
            r = s["items"].get(item)
            if r is None or (not r["points"] and r["status"] != "EX"):
                scores.append(None)
            else:
                scores.append("EX" if r["status"] == "EX" else float(r["points"]) / float(r["max_points"]) * 100)
            late.append(float(r["days_late"]) if r and r["days_late"] else None)
        rows.append([sid, s["name"], s["section"], *scores, *late, s["extra"] or None])
    return rows


def col(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def write_policy(sheet, policy: dict, last: int, letter_col: str) -> int:
    table = [("category", "weight", "drop_lowest")]
    table += [(c["name"], c["weight"], float(c["drop"])) for c in policy["categories"]]
    sheet.getCellRangeByPosition(0, 0, 2, len(table) - 1).setDataArray(tuple(table))
    sheet.getCellRangeByPosition(4, 0, 5, 0).setDataArray((("min_percent", "letter"),))
    sheet.getCellByPosition(6, 0).setString("count")
    for i, (cut, name) in enumerate(policy["letters"], start=1):
        sheet.getCellByPosition(4, i).setValue(cut)
        sheet.getCellByPosition(5, i).setString(name)
        sheet.getCellByPosition(6, i).setFormula(f"=SUMPRODUCT($Grades.${letter_col}$2:${letter_col}${last}=F{i + 1})")
    rules = (("late_penalty_per_day", policy["late_per_day"]), ("late_penalty_cap", policy["late_cap"]),
             ("extra_credit_cap", policy["extra_cap"]), ("at_risk_below", policy["at_risk"]))
    for i, (name, value) in enumerate(rules):
        sheet.getCellByPosition(7, i).setString(name)
        sheet.getCellByPosition(8, i).setValue(value)
    return len(policy["letters"])


def rule(cell: str, policy: dict, name: str) -> str:
    """A Policy sheet rule as a formula reads it: its cell, or its value typed in (policy_typed_in)."""
    return repr(policy[name]) if SHORTCUT == "policy_typed_in" else cell


def adjusted_formula(data_cell: str, late_cell: str, policy: dict) -> str:
    """An item's percent after the late penalty; excused items become text, which the averages skip."""
    penalty = f"N($Data.{late_cell})*{rule('$Policy.$I$1', policy, 'late_per_day')}"
    if SHORTCUT != "late_penalty_uncapped":
        penalty = f"MIN({penalty};{rule('$Policy.$I$2', policy, 'late_cap')})"
    value = f"MAX(0;N($Data.{data_cell})-{penalty})"
    return value if SHORTCUT == "excused_as_zero" else f'=IF($Data.{data_cell}="EX";"";{value})'


def build(doc, policy: dict, rows: list[list]) -> dict[str, tuple[float, str]]:
    sheets = doc.Sheets
    sheets.getByIndex(0).Name = "Data"
    for i, name in enumerate(("Policy", "Grades", "Adjusted"), start=1):
        sheets.insertNewByName(name, i)
    data, pol, grades, adjusted = (sheets.getByName(n) for n in ("Data", "Policy", "Grades", "Adjusted"))
    head = policy["header"]
    items = head[3:(len(head) - 1) // 2 + 2]
    n, last = len(rows), len(rows) + 1
    data.getCellRangeByPosition(0, 0, len(head) - 1, 0).setDataArray((tuple(head),))
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if isinstance(value, float):
                data.getCellByPosition(j, i).setValue(value)
            elif value is not None:
                data.getCellByPosition(j, i).setString(value)

    cats = policy["categories"]
    grade_head = ["student_id", "name", "section", *(c["name"] for c in cats), "final_percent", "letter"]
    final_col, letter_col = col(3 + len(cats)), col(4 + len(cats))
    k = write_policy(pol, policy, last, letter_col)

    adjusted.getCellRangeByPosition(0, 0, len(items), 0).setDataArray((("student_id", *items),))
    grades.getCellRangeByPosition(0, 0, len(grade_head) - 1, 0).setDataArray((tuple(grade_head),))
    for r in range(2, last + 1):
        adjusted.getCellByPosition(0, r - 1).setFormula(f"=$Data.A{r}")
        for j in range(len(items)):
            formula = adjusted_formula(f"{col(3 + j)}{r}", f"{col(3 + len(items) + j)}{r}", policy)
            adjusted.getCellByPosition(j + 1, r - 1).setFormula(formula)
        for j, c in enumerate(("A", "B", "C")):
            grades.getCellByPosition(j, r - 1).setFormula(f"=$Data.{c}{r}")
        terms = []
        for ci, cat in enumerate(cats):
            first = 1 + items.index(cat["items"][0])
            span = f"$Adjusted.{col(first)}{r}:{col(first + len(cat['items']) - 1)}{r}"
            drop = "0" if SHORTCUT == "no_drop_lowest" else str(cat["drop"]) if SHORTCUT == "policy_typed_in" \
                else f"$Policy.$C${ci + 2}"
            average = f"SUMPRODUCT(LARGE({span};ROW(OFFSET($A$1;0;0;COUNT({span})-{drop}))))/(COUNT({span})-{drop})"
            weight = repr(cat["weight"]) if SHORTCUT == "hardcoded_weights" else f"$Policy.$B${ci + 2}"
            if SHORTCUT == "averages_not_shown":  # the final from its own averages, the columns a plain mean
                grades.getCellByPosition(3 + ci, r - 1).setFormula(f"=AVERAGE({span})")
                terms.append(f"{weight}*({average})")
                continue
            grades.getCellByPosition(3 + ci, r - 1).setFormula(f"={average}")
            terms.append(f"{weight}*{col(3 + ci)}{r}")
        grades.getCellByPosition(3 + len(cats), r - 1).setFormula(
            f"={'+'.join(terms)}+MIN(N($Data.{col(len(head) - 1)}{r});{rule('$Policy.$I$3', policy, 'extra_cap')})")
        shown = f"{final_col}{r}" if SHORTCUT == "rounding_before_letter" else f"ROUND({final_col}{r};1)"
        lookup = f"VLOOKUP({shown};$Policy.$E$2:$F${k + 1};2;1)"
        if SHORTCUT == "policy_typed_in":  # the scale typed into nested IFs
            lookup = f'"{policy["letters"][0][1]}"'
            for cut, name in policy["letters"][1:]:
                lookup = f'IF({shown}>={cut!r};"{name}";{lookup})'
        grades.getCellByPosition(4 + len(cats), r - 1).setFormula(f"={lookup}")
    doc.calculateAll()
    if SHORTCUT == "values_not_formulas":
        block = grades.getCellRangeByPosition(0, 1, len(grade_head) - 1, n)
        block.setDataArray(block.getDataArray())

    finals = grades.getCellRangeByPosition(3 + len(cats), 1, 3 + len(cats), n)
    entries = finals.getPropertyValue("ConditionalFormat")
    condition = [prop("Operator", uno.Enum("com.sun.star.sheet.ConditionOperator", "LESS")),
                 prop("Formula1", rule("$Policy.$I$4", policy, "at_risk")),
                 prop("StyleName", "Default" if SHORTCUT == "at_risk_default_style" else "Bad")]
    if SHORTCUT == "at_risk_typed_in":  # the threshold typed into the format, every grade formula reading the Policy sheet
        condition[1] = prop("Formula1", repr(policy["at_risk"]))
    if SHORTCUT == "at_risk_never_true":  # the threshold referenced in a condition that never holds
        condition[1] = prop("Formula1", "$Policy.$I$4-1000")
    if SHORTCUT == "at_risk_listed":  # the students at risk on this roster, by id
        below = [f'$A2="{grades.getCellByPosition(0, i).getString()}"' for i in range(1, n + 1)
                 if grades.getCellByPosition(3 + len(cats), i).getValue() < policy["at_risk"]]
        condition = [prop("Operator", uno.Enum("com.sun.star.sheet.ConditionOperator", "FORMULA")),
                     prop("Formula1", f"OR({';'.join(below)})"), prop("StyleName", "Bad"),
                     prop("SourcePosition", finals.getCellByPosition(0, 0).getCellAddress())]
    if SHORTCUT == "at_risk_row_context":  # a condition that holds in row 1 only, none of the students' rows
        condition = [prop("Operator", uno.Enum("com.sun.star.sheet.ConditionOperator", "FORMULA")),
                     prop("Formula1", f"AND(ROW()=1;{final_col}2<$Policy.$I$4)"), prop("StyleName", "Bad"),
                     prop("SourcePosition", finals.getCellByPosition(0, 0).getCellAddress())]
    if SHORTCUT == "at_risk_faint_style":  # a style whose background is all but white
        faint = doc.createInstance("com.sun.star.style.CellStyle")
        doc.StyleFamilies.getByName("CellStyles").insertByName("Faint", faint)
        faint.IsCellBackgroundTransparent, faint.CellBackColor = False, 0xFEFEFE
        condition[2] = prop("StyleName", "Faint")
    if SHORTCUT == "at_risk_plain_red":  # every cell red already, so the flag's red shows nothing
        default = doc.StyleFamilies.getByName("CellStyles").getByName("Default")
        default.IsCellBackgroundTransparent, default.CellBackColor = False, 0xFF0000
        condition[2] = prop("StyleName", "Default")
    on_grades = {"at_risk_sheet_typed": f'IF(INDIRECT("A1")="student_id";{final_col}2<{policy["at_risk"]!r};'
                                        f'{final_col}2<$Policy.$I$4)',
                 "at_risk_hidden_on_grades": f"AND({final_col}2<$Policy.$I$4;SHEET()<>3)",
                 "at_risk_all_on_grades": f'OR({final_col}2<$Policy.$I$4;INDIRECT("A1")="student_id")'}
    if SHORTCUT in on_grades:  # a condition that tells the Grades sheet (A1's header, the sheet's index) from others
        condition = [prop("Operator", uno.Enum("com.sun.star.sheet.ConditionOperator", "FORMULA")),
                     prop("Formula1", on_grades[SHORTCUT]), prop("StyleName", "Bad"),
                     prop("SourcePosition", finals.getCellByPosition(0, 0).getCellAddress())]
    entries.addNew(tuple(condition))
    finals.setPropertyValue("ConditionalFormat", entries)
    if SHORTCUT == "at_risk_second_format":  # a second format over the same cells that flags every student
        cells = doc.createInstance("com.sun.star.sheet.SheetCellRanges")
        cells.addRangeAddress(finals.getRangeAddress(), False)
        created = grades.ConditionalFormats.createByRange(cells)
        second = next(f for f in grades.ConditionalFormats.getConditionalFormats() if created == f.ID)
        second.createEntry(uno.getConstantByName("com.sun.star.sheet.ConditionEntryType.CONDITION"), 0)
        entry = second.getByIndex(0)
        entry.Operator = uno.getConstantByName("com.sun.star.sheet.ConditionFormatOperator.GREATER_EQUAL")
        entry.Formula1, entry.StyleName = "0", "Bad"

    frame = uno.createUnoStruct("com.sun.star.awt.Rectangle")
    frame.X, frame.Y, frame.Width, frame.Height = 1000, (k + 4) * 500, 14000, 8000
    labels = 4 if SHORTCUT == "chart_wrong_labels" else 5  # the cut-offs as the chart's categories
    ranges = (pol.getCellRangeByPosition(labels, 0, labels, k).getRangeAddress(),
              pol.getCellRangeByPosition(6, 0, 6, k).getRangeAddress())
    pol.getCharts().addNewByName("grade_distribution", frame, ranges, True, True)
    doc.calculateAll()
    return {grades.getCellByPosition(0, i).getString(): (grades.getCellByPosition(3 + len(cats), i).getValue(),
                                                         grades.getCellByPosition(4 + len(cats), i).getString())
            for i in range(1, n + 1)}


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


def open_office():
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    pipe = f"ale_gradebook_{os.getpid()}"
    office = subprocess.Popen(["soffice", "--headless", "--norestore", "--nologo", "--nodefault",
                               f"-env:UserInstallation={profile.as_uri()}", f"--accept=pipe,name={pipe};urp;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return office, connect(pipe, office)


def close_office(office: subprocess.Popen, desktop) -> None:
    with contextlib.suppress(Exception):  # the bridge goes down with soffice
        desktop.terminate()
    try:
        office.wait(timeout=20)
    except subprocess.TimeoutExpired:
        office.kill()
        office.wait()


def uno_workbook(policy: dict, rows: list[list]) -> dict[str, tuple[float, str]]:
    office, ctx = open_office()
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    try:
        doc = desktop.loadComponentFromURL("private:factory/scalc", "_blank", 0, (prop("Hidden", True),))
        finals = build(doc, policy, rows)
        doc.storeToURL((OUTPUT / "gradebook.ods").as_uri(), (prop("FilterName", "calc8"),))
        doc.close(True)
    finally:
        close_office(office, desktop)
    return finals


def saved_grades(policy: dict, n: int) -> dict[str, tuple[float, str]]:
    """The final percents and letters of the saved workbook, as Calc computes them."""
    office, ctx = open_office()
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    try:
        doc = desktop.loadComponentFromURL((OUTPUT / "gradebook.ods").as_uri(), "_blank", 0, (prop("Hidden", True),))
        doc.calculateAll()
        sheet, k = doc.Sheets.getByName("Grades"), len(policy["categories"])
        finals = {sheet.getCellByPosition(0, i).getString(): (sheet.getCellByPosition(3 + k, i).getValue(),
                                                              sheet.getCellByPosition(4 + k, i).getString())
                  for i in range(1, n + 1)}
        doc.close(True)
    finally:
        close_office(office, desktop)
    return finals


def main() -> None:
    policy = read_policy()
    rows = clean(policy)
    finals = gui_workbook(policy, rows) if GUI else uno_workbook(policy, rows)
    with open(OUTPUT / "grades_export.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["student_id", "final_percent", "letter"])
        writer.writerows([sid, f"{final:.2f}", letter] for sid, (final, letter) in finals.items())


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


def type_rows(lines: list[list[str]]) -> None:
    """Type rows of cells from the current cell: tab between cells, Return back to the row's first column."""
    for line in lines:
        computer("type", "\t".join(line))
        computer("key", "Return")


def bare_workbook(path: Path, head: list[str], rows: list[list]) -> None:
    """An ODS file with the roster on Data and empty Policy, Grades and Adjusted sheets."""
    def cell(value: object) -> str:
        if isinstance(value, float):
            return f'<table:table-cell office:value-type="float" office:value="{value!r}"/>'
        if value is None:
            return "<table:table-cell/>"
        return f'<table:table-cell office:value-type="string"><text:p>{html.escape(value)}</text:p></table:table-cell>'
    data = "".join(f"<table:table-row>{''.join(cell(v) for v in r)}</table:table-row>" for r in [head, *rows])
    empty = "<table:table-row><table:table-cell/></table:table-row>"
    sheets = f'<table:table table:name="Data">{data}</table:table>' + "".join(
        f'<table:table table:name="{name}">{empty}</table:table>' for name in ("Policy", "Grades", "Adjusted"))
    ns = " ".join(f'xmlns:{p}="urn:oasis:names:tc:opendocument:xmlns:{u}:1.0"'
                  for p, u in (("office", "office"), ("table", "table"), ("text", "text"), ("manifest", "manifest")))
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2"><office:body>'
               f"<office:spreadsheet>{sheets}</office:spreadsheet></office:body></office:document-content>")
    manifest = (f'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest {ns} manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
                'spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as ods:
        ods.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        ods.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        ods.writestr("content.xml", content, zipfile.ZIP_DEFLATED)


def quiet_profile() -> None:
    """No tip of the day, no first-run wizard, no AutoInput completing typed text."""
    user = Path.home() / ".config/libreoffice/4/user"
    user.mkdir(parents=True, exist_ok=True)
    items = "".join(f'<item oor:path="/org.openoffice.Office.{path}"><prop oor:name="{name}" oor:op="fuse">'
                    f"<value>{value}</value></prop></item>"
                    for path, name, value in (("Common/Misc", "ShowTipOfTheDay", "false"),
                                              ("Common/Misc", "FirstRun", "false"),
                                              ("Calc/Input", "AutoInput", "false")))
    (user / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        f'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{items}'
        "</oor:items>")


def gui_workbook(policy: dict, rows: list[list]) -> dict[str, tuple[float, str]]:
    """The workbook made in Calc on the desktop; returns the grades Calc computed in the saved file."""
    workbook = OUTPUT / "gradebook.ods"
    head, cats = policy["header"], policy["categories"]
    items = head[3:(len(head) - 1) // 2 + 2]
    n, last, k = len(rows), len(rows) + 1, len(policy["letters"])
    final_col, letter_col = col(3 + len(cats)), col(4 + len(cats))
    bare_workbook(workbook, head, rows)
    quiet_profile()
    computer("launch", f"soffice --calc --norestore --nologo {workbook}")
    computer("wait", "4")
    computer("click", "700", "450")

    computer("key", "ctrl+Page_Down")  # Policy
    goto("A1")
    rules = [("late_penalty_per_day", policy["late_per_day"]), ("late_penalty_cap", policy["late_cap"]),
             ("extra_credit_cap", policy["extra_cap"]), ("at_risk_below", policy["at_risk"])]
    lines = []
    for i in range(max(len(cats), k) + 1):
        cat = ("category", "weight", "drop_lowest") if i == 0 else (
            (cats[i - 1]["name"], f"{cats[i - 1]['weight']:g}", str(cats[i - 1]["drop"])) if i <= len(cats) else ("",) * 3)
        scale = ("min_percent", "letter", "count") if i == 0 else (
            (f"{policy['letters'][i - 1][0]:g}", policy["letters"][i - 1][1],
             f"=SUMPRODUCT($Grades.${letter_col}$2:${letter_col}${last}=F{i + 1})") if i <= k else ("",) * 3)
        rule = (rules[i][0], f"{rules[i][1]:g}") if i < len(rules) else ()
        lines.append([*cat, "", *scale, *rule])
    type_rows(lines)

    computer("key", "ctrl+Page_Down")  # Grades
    goto("A1")
    terms, averages = [], []
    for ci, cat in enumerate(cats):
        first = 1 + items.index(cat["items"][0])
        span = f"$Adjusted.{col(first)}2:{col(first + len(cat['items']) - 1)}2"
        drop = f"$Policy.$C${ci + 2}"
        averages.append(f"=SUMPRODUCT(LARGE({span};ROW(OFFSET($A$1;0;0;COUNT({span})-{drop}))))/(COUNT({span})-{drop})")
        terms.append(f"$Policy.$B${ci + 2}*{col(3 + ci)}2")
    type_rows([["student_id", "name", "section", *(c["name"] for c in cats), "final_percent", "letter"],
               ["=$Data.A2", "=$Data.B2", "=$Data.C2", *averages,
                f"={'+'.join(terms)}+MIN(N($Data.{col(len(head) - 1)}2);$Policy.$I$3)",
                f"=VLOOKUP(ROUND({final_col}2;1);$Policy.$E$2:$F${k + 1};2;1)"]])
    goto(f"A2:{letter_col}{last}")
    computer("key", "ctrl+d")

    computer("key", "ctrl+Page_Down")  # Adjusted
    goto("A1")
    type_rows([["student_id", *items],
               ["=$Data.A2", *(adjusted_formula(f"{col(3 + j)}2", f"{col(3 + len(items) + j)}2", policy)
                               for j in range(len(items)))]])
    goto(f"A2:{col(len(items))}{last}")
    computer("key", "ctrl+d")
    computer("wait", "1")

    computer("key", "ctrl+Page_Up")  # Grades: the at-risk conditional format
    goto(f"{final_col}2:{final_col}{last}")
    conditional_format(policy["at_risk"])

    computer("key", "ctrl+Page_Up")  # Policy: the distribution chart
    goto(f"F1:G{k + 1}")
    computer("click", "123", "28")  # Insert
    computer("wait", "0.8")
    computer("click", "156", "68")  # Chart...
    computer("wait", "3")
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
    return saved_grades(policy, n)


def conditional_format(at_risk: float) -> None:
    """Format > Conditional > Condition: cell value less than the at-risk threshold, style Bad."""
    computer("click", "171", "28")  # Format
    computer("wait", "0.8")
    computer("click", "212", "318")  # Conditional
    computer("wait", "0.8")
    computer("click", "420", "318")  # Condition...
    computer("wait", "2.5")
    computer("key", "Tab")  # to the operator
    computer("key", "Down")  # is less than
    computer("click", "835", "230")
    computer("type", "$Policy.$I$4")
    computer("click", "638", "259")  # the style list
    computer("wait", "1")
    computer("click", "560", "349")  # Bad
    computer("wait", "0.5")
    computer("click", "900", "625")  # OK
    computer("wait", "1.5")


if __name__ == "__main__":
    main()
