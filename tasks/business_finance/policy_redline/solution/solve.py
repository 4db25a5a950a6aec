#!/usr/bin/env python3
"""The file-level oracle: LibreOffice Writer driven through Python-UNO.

It reads the notice item by item, finds the clauses each item touches (the subject words below are the
reading an officer gives each item's prose), then opens the policy in a headless soffice, sets the
author in the user profile, records changes, makes each edit, comments each changed clause, saves the
redline and writes the change log.

The adversaries (adversaries/*, links to this file) are this same oracle with one shortcut, chosen by
the name it runs under.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import tempfile
import time
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

# Which clause each item points at: the clause must hold the item's old text (a replacement) and this subject.
SUBJECTS = {
    "Gifts and Hospitality": {1: "GBP", 2: "public officials", 3: "Register entries", 4: "Ethics Committee",
                              5: "influence a business decision"},
    "Records Retention": {1: "customer due diligence", 2: "call", 3: "destroyed", 4: "microfilm",
                          5: "Destruction is carried out"},
    "Travel and Expenses": {1: "receipt|itemised", 2: "mileage", 3: "directors", 4: "fax", 5: "Meals"},
}
CLAUSE = re.compile(r"^(\d+\.\d+) ")


def clauses_of(policy_text: list[str]) -> dict[str, str]:
    return {m.group(1): p for p in policy_text if (m := CLAUSE.match(p))}


def plan(notice: str, clauses: dict[str, str], title: str) -> list[dict]:
    """The edits: one dict per (item, clause) with kind, old and new."""
    subjects = next(s for key, s in SUBJECTS.items() if key in title)
    edits = []
    for number, prose in re.findall(r"^## Item (\d+)\n(.*?)(?=^## |\Z)", notice, re.M | re.S):
        item, prose = int(number), " ".join(prose.split())
        subject = re.compile(subjects[item], re.I)
        if re.search(r"\bomit\b", prose):
            kind, old, new = "delete", "", ""
        elif (m := re.search(r'insert the sentence "(.+?)"', prose)):
            kind, old, new = "insert", "", " " + m.group(1)
        elif (m := re.search(r'for "(.+?)" substitute "(.+?)"', prose) or
              re.search(r"from (GBP \d+(?:\.\d+)?) to (GBP \d+(?:\.\d+)?)", prose)):
            kind, old, new = "replace", m.group(1), m.group(2)
        else:
            m = re.search(r"by the (.+?) instead of the (.+?)[.;]", prose)
            kind, old, new = "replace", m.group(2), m.group(1)
        hits = [c for c, text in clauses.items() if old in text and subject.search(text)]
        if SHORTCUT == "literal" and kind == "replace":  # only the first clause the item's words fit
            hits = [c for c, text in clauses.items() if old in text][:1]
        edits += [{"item": item, "clause": c, "kind": kind, "old": old, "new": new} for c in hits]
    return edits


def prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def set_author(ctx, author: str) -> None:
    provider = ctx.ServiceManager.createInstanceWithContext("com.sun.star.configuration.ConfigurationProvider", ctx)
    data = provider.createInstanceWithArguments("com.sun.star.configuration.ConfigurationUpdateAccess",
                                                (prop("nodepath", "/org.openoffice.UserProfile/Data"),))
    given, _, family = author.partition(" ")
    data.setPropertyValue("givenname", given)
    data.setPropertyValue("sn", family)
    data.commitChanges()


def connect(pipe: str):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(200):
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:  # soffice still starting
            time.sleep(0.1)
    raise SystemExit("soffice did not answer on its pipe")


def find_in_clause(doc, clause: str, text: str):
    """The range of ``text`` inside the paragraph of ``clause``."""
    search = doc.createSearchDescriptor()
    search.SearchString = text
    search.SearchCaseSensitive = True
    found = doc.findAll(search)
    for i in range(found.getCount()):
        hit = found.getByIndex(i)
        cursor = hit.getText().createTextCursorByRange(hit.getStart())
        cursor.gotoStartOfParagraph(False)
        cursor.gotoEndOfParagraph(True)
        if cursor.getString().startswith(clause + " "):
            return hit
    raise SystemExit(f"clause {clause}: {text!r} not found")


def redline(doc, edits: list[dict], clauses: dict[str, str], author: str) -> list[dict]:
    """Make the edits as tracked changes and comment each clause; returns the change log rows."""
    rows, anchors = [], []
    doc.RecordChanges = SHORTCUT != "untracked"
    for e in edits:
        text = clauses[e["clause"]]
        if e["kind"] == "replace":
            hit = find_in_clause(doc, e["clause"], e["old"])
            hit.setString(e["new"])
            anchors.append((e, hit.getStart()))
            rows.append([e["item"], e["clause"], "replace", e["old"], e["new"]])
        elif e["kind"] == "insert":
            hit = find_in_clause(doc, e["clause"], text[-30:])
            end = hit.getText().createTextCursorByRange(hit.getEnd())
            end.getText().insertString(end, e["new"], False)
            anchors.append((e, hit.getStart()))
            rows.append([e["item"], e["clause"], "insert", "", e["new"].strip()])
        else:
            hit = find_in_clause(doc, e["clause"], text)
            cursor = hit.getText().createTextCursorByRange(hit.getStart())
            cursor.gotoEndOfParagraph(True)
            cursor.goRight(1, True)  # the paragraph break with it
            end = cursor.getEnd()
            cursor.setString("")
            anchors.append((e, end))
            rows.append([e["item"], e["clause"], "delete", text, ""])
    doc.RecordChanges = False
    commented = set()
    for e, where in anchors:
        if e["clause"] in commented:
            continue
        commented.add(e["clause"])
        note = doc.createInstance("com.sun.star.text.textfield.Annotation")
        note.Author = author
        note.Content = f"Item {e['item']}: {'clause deleted' if e['kind'] == 'delete' else 'amended'} as the notice requires."
        where.getText().insertTextContent(where, note, False)
    doc.RecordChanges = True
    return rows


def whole_document(doc, edits: list[dict], clauses: dict[str, str]) -> None:
    """The shortcut that retypes the whole amended body as one tracked change."""
    text = doc.getText()
    paragraphs = text.getString().split("\n")
    amended = {c: t for c, t in clauses.items()}
    for e in edits:
        t = amended[e["clause"]]
        amended[e["clause"]] = (t.replace(e["old"], e["new"]) if e["kind"] == "replace" else
                                t + e["new"] if e["kind"] == "insert" else "")
    new = [amended.get(m.group(1), p) if (m := CLAUSE.match(p)) else p for p in paragraphs]
    doc.RecordChanges = True
    text.setString("\n".join(p for p in new if p))


def main() -> None:
    notice = next(p for p in INPUT.iterdir() if p.suffix == ".md").read_text()
    author = re.search(r"^To: (.+?),", notice, re.M).group(1)
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    pipe = f"ale_redline_{os.getpid()}"
    office = subprocess.Popen(["soffice", "--headless", "--norestore", "--nologo", "--nodefault",
                               f"-env:UserInstallation={profile.as_uri()}", f"--accept=pipe,name={pipe};urp;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ctx = connect(pipe)
        set_author(ctx, author)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL((INPUT / "policy.odt").as_uri(), "_blank", 0, (prop("Hidden", True),))
        paragraphs = doc.getText().getString().split("\n")
        clauses = clauses_of(paragraphs)
        edits = plan(notice, clauses, paragraphs[0])
        if SHORTCUT == "whole_document":
            whole_document(doc, edits, clauses)
            rows = [[e["item"], e["clause"], e["kind"], e["old"], e["new"].strip()] for e in edits]
        else:
            rows = redline(doc, edits, clauses, author)
        doc.storeToURL((OUTPUT / "policy_redline.odt").as_uri(), (prop("FilterName", "writer8"),))
        doc.close(True)
    finally:
        try:
            desktop.terminate()
        except Exception:  # soffice already gone
            pass
        office.wait(timeout=30)
    if SHORTCUT == "log_from_notice":  # one row per notice item, its first clause only
        rows = [r for i, r in enumerate(rows) if all(r[0] != other[0] for other in rows[:i])]
    with open(OUTPUT / "change_log.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["item", "section", "change_type", "old_text", "new_text"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
