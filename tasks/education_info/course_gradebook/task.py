"""Course gradebook: an instructor's end-of-term gradebook in LibreOffice Calc.

The generator draws a section roster and its term of graded items for one course (excused items, missing
work, late submissions, a re-graded item exported twice, one item one section graded out of 100), the
syllabus policy and the accommodation letters, and computes the grades the policy gives. It also draws
a hidden second roster of the same students in the Data sheet's layout. The grader opens the submitted
workbook in a headless soffice (inspect_workbook.py, in a tool sandbox): it reads the Data, Policy and
Grades sheets, the conditional formats and the charts, then swaps two category weights on the Policy
sheet and recalculates, then writes altered late-penalty, extra-credit and at-risk rules, drops and letter
cut-offs on the Policy sheet and recalculates, then writes the hidden roster over the Data sheet and
recalculates: the Grades sheet (and the letter counts) must follow all three, its category averages
too. The at-risk conditional format, read per student as Calc shows it (the workbook's HTML export, which
applies every conditional format on the cell, against a copy without them), must give a visible style to
exactly the students below the threshold, on the delivered workbook, after the altered policy (below its
raised threshold, so a threshold typed into the format fails) and on the hidden roster; the distribution
chart must plot the letter counts against the letters.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import random
import re
from pathlib import Path

from lastexam.task import Grading, Params

from .courses import COURSES, Course
from .gradebook import grades, header

INSPECTOR = Path(__file__).with_name("inspect_workbook.py")
FIRST = ["Amara", "Ben", "Chloe", "Diego", "Elif", "Farah", "Gabriel", "Hana", "Isaac", "Jia", "Kofi", "Lena", "Mateo",
         "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe",
         "Aiden", "Bianca", "Caleb", "Dalia"]
LAST = ["Okafor", "Nguyen", "Schmidt", "Garcia", "Kowalski", "Haddad", "Tanaka", "Moreau", "Silva", "Patel", "Larsen",
        "Cohen", "Mensah", "Ivanova", "Rossi", "Yilmaz", "Fischer", "Lopez", "Kim", "Novak"]
EXPORT = ["student_id", "name", "section", "item", "points", "max_points", "status", "days_late", "graded_at"]


def _draw_roster(course: Course, rng: random.Random, students: list[tuple[str, str, str]]) -> list[list]:
    """A roster in the Data sheet's layout."""
    rows = []
    for sid, name, section in students:
        ability = rng.gauss(79, 11)
        scores, late = [], []
        for cat in course.categories:
            for _item in cat.items:
                roll = rng.random()
                if cat.excusable and roll < 0.05:
                    scores.append("EX")
                    late.append(None)
                    continue
                if cat.excusable and roll < 0.09:
                    scores.append(None)
                    late.append(None)
                    continue
                points = min(cat.max_points, max(0.0, round((ability + rng.gauss(0, 9)) / 100 * cat.max_points * 2) / 2))
                scores.append(points / cat.max_points * 100)
                late.append(rng.choice([1, 2, 3, 4, 5, 7]) if rng.random() < 0.08 else None)
        extra = round(rng.uniform(0.25, 4.0), 2) if rng.random() < 0.25 else None
        rows.append([sid, name, section, *scores, *late, extra])
    return rows


def _place_boundary(course: Course, rows: list[list], rng: random.Random) -> str | None:
    """Give one student the extra credit that puts the final a few hundredths under a letter cut-off."""
    finals = grades(course, rows)
    for row in rng.sample(rows, len(rows)):
        base = finals[row[0]]["final"] - min(row[-1] or 0.0, course.extra_credit_cap)
        for cut, _name in course.letters[1:]:
            need = round(cut - rng.uniform(0.02, 0.04) - base, 2)
            if 0.1 < need < course.extra_credit_cap:
                row[-1] = need
                final = grades(course, [row])[row[0]]["final"]
                if cut - 0.05 < final < cut - 0.005:
                    return row[0]
    return None


def _sound(course: Course, rows: list[list]) -> bool:
    """Every shortcut of the policy changes someone's grade; no final sits exactly on a letter's rounding edge
    (where a float sum could round either way); someone's extra credit is over the cap; some students are at
    risk and some are not."""
    true = grades(course, rows)
    for flag in ("excused_as_zero", "no_drop", "uncapped"):
        other = grades(course, rows, **{flag: True})
        if all(abs(other[s]["final"] - true[s]["final"]) < 0.05 for s in true):
            return False
    edges = [abs(g["final"] - (cut - 0.05)) for g in true.values() for cut, _name in course.letters[1:]]
    finals = [g["final"] for g in true.values()]
    mixed = min(finals) < course.at_risk_below - 0.05 and max(finals) > course.at_risk_below + 0.05
    return mixed and min(edges) > 1e-6 and any((r[-1] or 0) > course.extra_credit_cap for r in rows)


def _export(course: Course, rows: list[list], rng: random.Random) -> tuple[list[dict], list[str]]:
    """The LMS export: one row per student and item, with the re-graded duplicates and the out-of-100 section."""
    items = course.items
    maxima = {i: c.max_points for c in course.categories for i in c.items}
    due = {item: dt.datetime(2026, 9, 4, 23, 59) + dt.timedelta(days=7 * k) for k, item in enumerate(items)}
    out, regraded = [], []
    for row in rows:
        for k, item in enumerate(items):
            score, late = row[3 + k], row[3 + len(items) + k]
            out_of = 100.0 if item == course.rescaled_item and row[2] == "002" else maxima[item]
            graded = due[item] + dt.timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 9))
            points = "" if score in (None, "EX") else f"{score / 100 * out_of:g}"
            record = {"student_id": row[0], "name": row[1], "section": row[2], "item": item, "points": points,
                      "max_points": f"{out_of:g}", "status": "EX" if score == "EX" else "",
                      "days_late": str(late or ""), "graded_at": graded.strftime("%Y-%m-%d %H:%M")}
            if isinstance(score, float) and score >= 20 and rng.random() < 0.02 and len(regraded) < 3:
                first = dict(record, points=f"{(score - 15) / 100 * out_of:g}",
                             graded_at=(graded - dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M"))
                out.append(first)  # the first grading, superseded by the re-grade exported after it
                regraded.append(f"{row[0]}:{item}")
            out.append(record)
        if row[-1]:
            out.append({"student_id": row[0], "name": row[1], "section": row[2], "item": "extra_credit",
                        "points": f"{row[-1]:g}", "max_points": "", "status": "", "days_late": "",
                        "graded_at": "2026-12-11 17:00"})
    return out, regraded


def _policy_md(course: Course) -> str:
    cats = "\n".join(f"| {c.name} | {', '.join(c.items)} | {c.max_points:g} | {c.weight:.0%} | {c.drop_lowest} |"
                     for c in course.categories)
    scale = "\n".join(f"| {cut:g} | {name} |" for cut, name in course.letters)
    return f"""# {course.code} {course.title}: grading policy (from the syllabus)

## Categories
| category | items | points per item | weight | lowest scores dropped |
|---|---|---|---|---|
{cats}

Each item counts as its percent of the item's maximum. A category's average is the mean of the student's
counted items in it, after late penalties and after dropping the lowest scores the table gives.
The final percent is the weighted sum of the category averages plus extra credit.

## Rules
- Excused work ("EX") is removed from the category: it counts neither for nor against the student and is
  not a candidate for dropping. Missing work (no score) counts as 0.
- Late work loses {course.late_per_day:g} percent of the item's maximum per day late, at most
  {course.late_cap:g} percent in total (an item never goes below 0).
- Extra credit points are added to the final percent, at most {course.extra_credit_cap:g} points per student.
- The LMS keeps every grading of an item; when an item was re-graded, the latest grading stands.
- Letter grades: the final percent is rounded half up to one decimal place, then looked up in the scale:
  a student gets the letter of the highest cut-off at or below the rounded percent.
- Students whose final percent is below {course.at_risk_below:g} are at risk and must be flagged.

## Letter scale
| min_percent | letter |
|---|---|
{scale}

## Gradebook layout
The Data sheet's header row:
`{",".join(header(course))}`
"""


def altered_policy(course: Course) -> Course:
    """The policy the grader writes on the Policy sheet to see that the Grades sheet reads its rules, drops and
    letter scale from there: heavier and later-capped late penalties, a higher extra-credit cap, one score
    fewer dropped where scores are dropped, every letter's cut-off two points higher."""
    return dataclasses.replace(
        course, late_per_day=course.late_per_day + 5, late_cap=course.late_cap + 15,
        extra_credit_cap=course.extra_credit_cap + 1.5,
        categories=tuple(dataclasses.replace(c, drop_lowest=max(0, c.drop_lowest - 1)) for c in course.categories),
        letters=tuple((cut + 2 if cut else cut, name) for cut, name in course.letters))


def _altered_at_risk(below: float, finals: list[float]) -> float:
    """The at-risk threshold the grader writes with the altered rules: the policy's raised until some student's final
    percent lies between the two, so that a conditional format with the threshold typed in misses that student."""
    steps = (5, 3, 8, 10, 12, 15, 20, 25)
    return below + next((s for s in steps if any(below + 0.05 <= f < below + s - 0.05 for f in finals)), steps[-1])


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    course = COURSES[params["course"]]
    for attempt in range(500):
        rng = random.Random(f"{params['seed']}:{attempt}")
        names = rng.sample([f"{f} {last}" for f in FIRST for last in LAST], rng.randint(22, 28))
        students = [(f"S{rng.randint(10000, 99999)}", n, rng.choice(["001", "002"])) for n in names]
        if len({s[0] for s in students}) < len(students):
            continue
        rows = _draw_roster(course, rng, students)
        hidden = _draw_roster(course, random.Random(f"{params['seed']}:{attempt}:hidden"), students)
        try:
            boundary = _place_boundary(course, rows, rng)
            if boundary and _sound(course, rows) and _sound(course, hidden):
                break
        except ValueError:  # a student left with no counted item in a category
            continue
    else:
        raise RuntimeError("no sound roster drawn")
    export, regraded = _export(course, rows, rng)
    rng.shuffle(export)
    export.sort(key=lambda r: (r["section"], r["student_id"]))
    with open(input_dir / "lms_export.csv", "w", newline="") as out:
        writer = csv.DictWriter(out, EXPORT)
        writer.writeheader()
        writer.writerows(export)
    (input_dir / "syllabus_policy.md").write_text(_policy_md(course))
    with open(input_dir / "accommodations.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["student_id", "accommodation", "note"])
        for r in rows[:3]:
            writer.writerow([r[0], "extended time on exams", "already reflected in the LMS due dates"])
    weights = [c.weight for c in course.categories]
    swapped = [weights[1], weights[0], *weights[2:]]
    reference = {
        "header": header(course), "rows": rows, "hidden_rows": hidden, "boundary": boundary, "regraded": regraded,
        "categories": [c.name for c in course.categories], "weights": weights, "swapped_weights": swapped,
        "letters": [[cut, name] for cut, name in course.letters],
        "grades": grades(course, rows), "hidden_grades": grades(course, hidden),
        "swapped_grades": grades(course, rows, weights=swapped), "at_risk_below": course.at_risk_below}
    altered = altered_policy(course)
    altered_grades = grades(altered, rows)
    at_risk = _altered_at_risk(course.at_risk_below, [g_["final"] for g_ in altered_grades.values()])
    reference["altered"] = {
        "rules": [altered.late_per_day, altered.late_cap, altered.extra_credit_cap, at_risk],
        "drops": [c.drop_lowest for c in altered.categories], "cuts": [cut for cut, _name in altered.letters],
        "grades": altered_grades,
        "counts": [sum(g_["letter"] == name for g_ in altered_grades.values()) for _cut, name in altered.letters]}
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=1))


# -- grading ----------------------------------------------------------------------------------

def _num(text: object) -> float | None:
    try:
        return float(str(text).replace("%", "").strip())
    except ValueError:
        return None


def _range_cells(rep: str) -> tuple[str, str, int, int] | None:
    """'$Policy.$G$2:$G$6' -> ('Policy', 'G', 2, 6) for a one-column range; None otherwise."""
    m = re.fullmatch(r"\$?'?([^.']+)'?\.\$?([A-Z]+)\$?(\d+)(?::(?:\$?'?[^.']+'?\.)?\$?([A-Z]+)\$?(\d+))?", rep.strip())
    if not m or (m.group(4) and m.group(4) != m.group(2)):
        return None
    return m.group(1), m.group(2), int(m.group(3)), int(m.group(5) or m.group(3))


def _follows(table: dict, want: dict) -> dict[str, bool | str]:
    """Per student: the Grades sheet's final percent and letter against the policy's."""
    got = {str(r.get("student_id", "")).strip(): r for r in table.get("rows", [])}
    def verdict(sid: str) -> bool | str:
        r = got.get(sid)
        if r is None:
            return "no Grades row"
        final = _num(r.get("final_percent"))
        ok = final is not None and abs(final - want[sid]["final"]) <= 0.01 and \
            str(r.get("letter", "")).strip() == want[sid]["letter"]
        return ok or f"found {final} {r.get('letter')!r}, policy gives {want[sid]['final']:.2f} {want[sid]['letter']}"
    return {sid: verdict(sid) for sid in want}


def _averages(table: dict, want: dict, categories: list[str]) -> dict[str, bool | str]:
    """Per student: the Grades sheet's category averages against the policy's (as percents, or as fractions)."""
    got = {str(r.get("student_id", "")).strip(): r for r in table.get("rows", [])}
    def close(value: object, average: float) -> bool:
        v = _num(value)
        return v is not None and (abs(v - average) <= 0.01 or abs(v * 100 - average) <= 0.01)
    def verdict(sid: str) -> bool | str:
        r = got.get(sid)
        if r is None:
            return "no Grades row"
        wrong = [c for c in categories if not close(r.get(c.strip().lower()), want[sid]["averages"][c])]
        return not wrong or "; ".join(f"{c}: found {r.get(c.strip().lower())!r}, policy gives "
                                      f"{want[sid]['averages'][c]:.2f}" for c in wrong[:3])
    return {sid: verdict(sid) for sid in want}


def _data_matches(ref: dict, data: dict) -> dict[str, bool | str]:
    head = ref["header"]
    got = {str(r[0]).strip(): r for r in data.get("table", [])[1:] if r}
    def same(a: object, b: object) -> bool:
        if b is None:  # no score, no late days, no extra credit: blank (or 0)
            return str(a).strip() == "" or _num(a) == 0
        if b == "EX":
            return str(a).strip().upper() == "EX"
        return _num(a) is not None and abs(_num(a) - b) <= 0.01
    def verdict(row: list) -> bool | str:
        r = got.get(row[0])
        if r is None or len(r) < len(head):
            return "no Data row"
        wrong = [h for h, a, b in zip(head[3:], r[3:], row[3:], strict=False) if not same(a, b)]
        return not wrong or f"differs in {wrong[:4]}"
    if [str(h).strip() for h in data.get("table", [[]])[0][:len(head)]] != head:
        return {"header": f"Data header is not {','.join(head)}"}
    return {row[0]: verdict(row) for row in ref["rows"]}


def _at_risk(table: dict, want: dict, threshold: float) -> dict[str, bool | str]:
    """Per student: whether the conditional format gives the final percent a visible style exactly when the
    policy's final percent is below the threshold (students within 0.05 of it, where a rounded comparison could
    go either way, are not judged)."""
    flagged = table.get("at_risk", {})
    def verdict(sid: str) -> bool | str:
        below = want[sid]["final"] < threshold
        return flagged.get(sid) == below or f"final {want[sid]['final']:.2f} " + \
            ("is below the threshold but not flagged" if below else "is not below the threshold but flagged")
    return {sid: verdict(sid) for sid in want if abs(want[sid]["final"] - threshold) >= 0.05}


def _grade_workbook(g: Grading, ref: dict, book: dict) -> None:
    g.fraction("the Data sheet holds the cleaned roster (latest grading, percent of each item's maximum)",
               _data_matches(ref, book["data"]), weight=2)
    policy = {str(k).strip(): v for k, v in book["policy_weights"].items()}
    g.check("the Policy sheet holds the category weights",
            all(_num(policy.get(c)) is not None and abs(_num(policy[c]) - w) < 1e-6
                for c, w in zip(ref["categories"], ref["weights"], strict=True)),
            weight=1, expected=dict(zip(ref["categories"], ref["weights"], strict=True)), found=policy)
    g.fraction("the Grades sheet's final percents and letters follow the policy",
               _follows(book["grades"], ref["grades"]), weight=3)
    boundary = ref["grades"][ref["boundary"]]
    row = next((r for r in book["grades"].get("rows", []) if str(r.get("student_id", "")).strip() == ref["boundary"]),
               {})
    g.check("the student just under a cut-off gets the letter of the rounded percent",
            str(row.get("letter", "")).strip() == boundary["letter"], weight=1,
            expected={ref["boundary"]: [round(boundary["final"], 3), boundary["letter"]]},
            found=[row.get("final_percent"), row.get("letter")])
    formulas = book["grades"].get("formulas", [])
    g.check("the final percents and letters are formulas", bool(formulas) and all(f.startswith("=") for f in formulas),
            weight=1, reason=f"{sum(not f.startswith('=') for f in formulas)} of {len(formulas)} cells hold values")
    averages = _averages(book["grades"], ref["grades"], ref["categories"])
    averages.update({f"{sid} (another roster)": v for sid, v in
                     _averages(book["perturbed"], ref["hidden_grades"], ref["categories"]).items()})
    g.fraction("the Grades sheet's category averages follow the policy (and the Data sheet)", averages, weight=2)
    g.fraction("the Grades sheet recalculates for a different roster on the Data sheet",
               _follows(book["perturbed"], ref["hidden_grades"]), weight=3)
    g.fraction("the Grades sheet follows the Policy sheet's weights",
               _follows(book["reweighted"], ref["swapped_grades"]), weight=2)
    g.fraction("the Grades sheet follows the Policy sheet's rules, drops and letter scale",
               _follows(book.get("altered", {}), ref["altered"]["grades"]), weight=2)
    threshold = ref["at_risk_below"]
    flags = _at_risk(book["grades"], ref["grades"], threshold)
    flags.update({f"{sid} (altered policy)": v for sid, v in
                  _at_risk(book.get("altered", {}), ref["altered"]["grades"], ref["altered"]["rules"][3]).items()})
    flags.update({f"{sid} (another roster)": v for sid, v in
                  _at_risk(book["perturbed"], ref["hidden_grades"], threshold).items()})
    g.fraction("conditional formatting visibly flags the final percents below the at-risk threshold", flags, weight=1)
    k = len(ref["letters"])
    counts = book.get("counts", [])
    want = [sum(g_["letter"] == name for g_ in ref["grades"].values()) for _cut, name in ref["letters"]]
    letters = [name for _cut, name in ref["letters"]]
    def chart_ok(ch: dict) -> bool:
        return [_range_cells(v) for v in ch["values"]] == [("Policy", "G", 2, k + 1)] and \
            [str(c).strip() for c in ch.get("categories") or []] == letters
    altered_counts = [_num(c) for c in book.get("altered", {}).get("counts", [])]
    g.check("the letter counts on the Policy sheet, live with the grades",
            [_num(c) for c in counts] == want and altered_counts == ref["altered"]["counts"], weight=1,
            expected=[want, ref["altered"]["counts"]], found=[counts, altered_counts])
    g.check("a chart of the grade distribution on the letter counts", any(chart_ok(ch) for ch in book["charts"]),
            weight=1, expected=f"values $Policy.$G$2:$G${k + 1}, categories {letters}", found=book["charts"][:3])


def _grade_export(g: Grading, ref: dict, rows: list[dict], book: dict | None) -> None:
    want = ref["grades"]
    found = {r["student_id"].strip(): r for r in rows}
    def verdict(sid: str) -> bool | str:
        r = found.get(sid)
        if r is None:
            return "missing"
        final = _num(r.get("final_percent"))
        ok = final is not None and abs(final - want[sid]["final"]) <= 0.01 and r.get("letter", "").strip() == \
            want[sid]["letter"]
        return ok or f"found {r.get('final_percent')} {r.get('letter')!r}"
    verdicts = {sid: verdict(sid) for sid in want}
    verdicts.update({sid: "not a student of the roster" for sid in found if sid not in want})
    g.fraction("grades_export.csv: every student's final percent and letter", verdicts, weight=3)
    sheet = {str(r.get("student_id", "")).strip(): r for r in (book or {}).get("grades", {}).get("rows", [])}
    g.check("the export is the workbook's grades", bool(sheet) and all(
        sid in sheet and abs((_num(r.get("final_percent")) or -1) - (_num(sheet[sid].get("final_percent")) or 0)) <= 0.01
        for sid, r in found.items()), weight=1)


def grade(g: Grading) -> None:
    if not g.require_files("gradebook.ods", "grades_export.csv"):
        return
    ref = g.reference_json("reference.json")
    job = {"header": ref["header"], "hidden_rows": ref["hidden_rows"], "categories": ref["categories"],
           "swapped_weights": ref["swapped_weights"], "letters": len(ref["letters"]),
           "altered": {k: ref["altered"][k] for k in ("rules", "drops", "cuts")}}
    run = g.run_tool(["/usr/bin/python3", "inspect_workbook.py", "gradebook.ods", "job.json"],
                     {"inspect_workbook.py": INSPECTOR, "gradebook.ods": g.output("gradebook.ods"),
                      "job.json": json.dumps(job)}, timeout=180, memory_mb=3072)
    report = run.workdir / "report.json"
    book = json.loads(report.read_text()) if run.returncode == 0 and report.exists() else None
    ok = g.check("the workbook opens in Calc with sheets Data, Policy and Grades", isinstance(book, dict) and
                 not book.get("error"), gate=True, reason=(book or {}).get("error") or run.stderr[-400:])
    rows = g.read_csv("grades_export.csv", required_columns=["student_id", "final_percent", "letter"])
    if ok:
        _grade_workbook(g, ref, book)
    if rows is not None:
        _grade_export(g, ref, rows, book if ok else None)

