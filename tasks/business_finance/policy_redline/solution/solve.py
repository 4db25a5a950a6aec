#!/usr/bin/env python3
"""The file-level oracle: LibreOffice Writer driven through Python-UNO.

It reads the notice item by item, finds the clauses each item touches (the subjects below are the
reading an officer gives each item's prose), then opens the policy in a headless soffice, sets the
author in the user profile, records changes, makes each edit, comments each changed clause, saves the
redline and writes the change log.

Run as gui_oracle/solve.sh (a link to this file, staged under that name), it is the GUI-driven oracle:
the same plan, carried out in Writer on the sandbox's desktop with ale-computer clicks and keys only
(the change log, a CSV, is written directly). The adversaries (adversaries/*, links to this file) are
this same oracle with one shortcut, chosen by the name it runs under.
"""

from __future__ import annotations

import contextlib
import csv
import html
import os
import re
import shutil
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
GUI = sys.argv[0].endswith(".sh")  # gui_oracle/solve.sh: the same work through the desktop's computer tools

# What each item speaks of, and what the clauses it changes say: the reading an officer gives the prose.
# An item's clauses are those holding its old text and this subject; without a subject, the clause it names.
SUBJECTS = [
    (r"gift limit", r"\bGifts?\b"),
    (r"offered to public officials must", r"public officials"),
    (r"offered to business partners must", r"business partners"),
    (r"Ethics Committee", r"Ethics Committee"),
    (r"live tender", r"live tender"),
    (r"customer due diligence", r"customer due diligence"),
    (r"call recordings", r"call"),
    (r"^The destruction of records", r"destroyed"),
    (r"^The retention schedule", r"retention schedule"),
    (r"microfilm", r"microfilm"),
    (r"CCTV", r"CCTV"),
    (r"receipt or itemised bill", r"receipt|itemised"),
    (r"mileage", r"mileage"),
    (r"^Claims by directors", r"directors"),
    (r"^Claims by employees", r"employees"),
    (r"\bfax\b", r"\bfax\b"),
    (r"rail travel", r"rail travel"),
    (r"air travel", r"air travel"),
]
# The shortcut "memorised": the clauses each item changed in the public instances of an earlier version,
# when which clauses a notice touched was the same for every seed.
MEMORISED = {"Gifts and Hospitality": {1: ["4.2", "6.1"], 2: ["5.2"], 3: ["6.2"], 4: ["7.2"], 5: ["3.1"]},
             "Records Retention": {1: ["3.2", "6.1"], 2: ["3.4", "6.3"], 3: ["5.1"], 4: ["4.3"], 5: ["5.2"]},
             "Travel and Expenses": {1: ["2.2", "4.2"], 2: ["3.2"], 3: ["5.2"], 4: ["2.3"], 5: ["4.1"]}}
CLAUSE = re.compile(r"^(\d+\.\d+) ")


def clauses_of(policy_text: list[str]) -> dict[str, str]:
    return {m.group(1): p for p in policy_text if (m := CLAUSE.match(p))}


def plan(notice: str, clauses: dict[str, str], title: str) -> list[dict]:
    """The edits: one dict per (item, clause) with kind, old and new."""
    edits = []
    for number, prose in re.findall(r"^## Item (\d+)\n(.*?)(?=^## |\Z)", notice, re.M | re.S):
        item, prose = int(number), " ".join(prose.split())
        named = re.findall(r"\bclause (\d+\.\d+)", prose)
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
        subject = next((re.compile(c, re.I) for p, c in SUBJECTS if re.search(p, prose, re.I)), None)
        if kind == "insert" or subject is None:
            hits = named[:1] or [c for c, text in clauses.items() if old in text]
        else:
            hits = [c for c, text in clauses.items() if old in text and subject.search(text)]
        if SHORTCUT == "literal" and kind == "replace":  # only the first clause the item's words fit
            hits = [c for c, text in clauses.items() if old in text][:1]
        if SHORTCUT == "everywhere" and kind == "replace":  # every clause holding the old words, none judged
            hits = [c for c, text in clauses.items() if old in text]
        if SHORTCUT == "memorised":  # the clauses of a public instance, the notice's words not read for them
            hits = [c for c in next(table for key, table in MEMORISED.items() if key in title)[item] if old in clauses[c]]
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
        if SHORTCUT == "comments_cite_every_item":  # each comment cites the whole notice, not the clause's item
            note.Content = "Amended as the notice requires: " + ", ".join(f"Item {i}" for i in sorted({x["item"] for x in edits}))
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


def computer(*args: str) -> None:
    """One action on the desktop through the computer tools."""
    subprocess.run(["ale-computer", *args], check=True, stdout=subprocess.DEVNULL)


def find(text: str) -> None:
    """Select the next occurrence of ``text`` after the cursor with the find toolbar, back in the document."""
    computer("key", "ctrl+f")
    computer("wait", "0.5")
    computer("key", "ctrl+a")
    computer("type", text)
    computer("key", "Return")
    computer("wait", "0.5")
    computer("key", "Escape")
    computer("wait", "0.3")


def gui_redline(document: Path, edits: list[dict], clauses: dict[str, str], author: str) -> list[dict]:
    """The same redline made in Writer on the desktop, with the keyboard only."""
    given, _, family = author.partition(" ")
    user = Path.home() / ".config/libreoffice/4/user"
    user.mkdir(parents=True, exist_ok=True)
    settings = {("/org.openoffice.UserProfile/Data", "givenname"): given,
                ("/org.openoffice.UserProfile/Data", "sn"): family,
                ("/org.openoffice.Office.Common/Misc", "ShowTipOfTheDay"): "false",
                ("/org.openoffice.Office.Common/Misc", "FirstRun"): "false",
                ("/org.openoffice.Office.Writer/AutoFunction/Completion", "Enable"): "false"}
    items = "".join(f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse"><value>{value}</value></prop></item>'
                    for (path, name), value in settings.items())
    (user / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        f'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{items}</oor:items>')
    office = subprocess.Popen(["soffice", "--writer", "--norestore", "--nologo", str(document)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(150):
        if subprocess.run(["xdotool", "search", "--name", document.name], capture_output=True).returncode == 0:
            break
        time.sleep(0.2)
    computer("wait", "3")
    computer("click", "640", "400")
    computer("click", "47", "28")  # Edit > Track Changes > Record, where they are on the 1280x800 screen
    computer("wait", "1")
    computer("click", "106", "315")
    computer("wait", "1")
    computer("click", "275", "313")
    computer("wait", "0.5")
    rows = []
    for e in edits:
        text = clauses[e["clause"]]
        computer("key", "ctrl+Home")
        if e["kind"] == "replace":
            find(" ".join(text.split()[:2]))
            find(e["old"])
            computer("type", e["new"])
            rows.append([e["item"], e["clause"], "replace", e["old"], e["new"]])
        elif e["kind"] == "insert":
            find(text[-30:])
            computer("key", "End")
            computer("type", e["new"])
            rows.append([e["item"], e["clause"], "insert", "", e["new"].strip()])
        else:
            find(text)
            computer("key", "shift+Right")  # the paragraph break with it
            computer("key", "Delete")
            rows.append([e["item"], e["clause"], "delete", text, ""])
        if all(r[1] != e["clause"] for r in rows[:-1]):
            computer("key", "ctrl+alt+c")
            computer("wait", "0.8")
            computer("type", f"Item {e['item']}: {'clause deleted' if e['kind'] == 'delete' else 'amended'} as required.")
            computer("key", "Escape")
            computer("wait", "0.5")
    before = document.stat().st_mtime
    computer("key", "ctrl+s")
    for _ in range(100):
        if document.stat().st_mtime != before:
            break
        time.sleep(0.2)
    computer("wait", "1")
    computer("key", "ctrl+q")
    try:
        office.wait(timeout=30)
    except subprocess.TimeoutExpired:
        office.kill()
    return rows


def policy_paragraphs(path: Path) -> list[str]:
    """The policy's paragraphs as plain text, read from its content.xml."""
    with zipfile.ZipFile(path) as odt:
        content = odt.read("content.xml").decode()
    return [html.unescape(re.sub(r"<[^>]+>", "", p)) for p in re.findall(r"<text:[ph]\b[^>]*>(.*?)</text:[ph]>", content)]


def uno_redline(edits: list[dict], clauses: dict[str, str], author: str) -> list[dict]:
    """The redline made by a headless soffice through Python-UNO; returns the change log rows."""
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    pipe = f"ale_redline_{os.getpid()}"
    office = subprocess.Popen(["soffice", "--headless", "--norestore", "--nologo", "--nodefault",
                               f"-env:UserInstallation={profile.as_uri()}", f"--accept=pipe,name={pipe};urp;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ctx = connect(pipe, office)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        set_author(ctx, author)
        doc = desktop.loadComponentFromURL((INPUT / "policy.odt").as_uri(), "_blank", 0, (prop("Hidden", True),))
        if SHORTCUT == "whole_document":
            whole_document(doc, edits, clauses)
            rows = [[e["item"], e["clause"], e["kind"], e["old"], e["new"].strip()] for e in edits]
        else:
            rows = redline(doc, edits, clauses, author)
        doc.storeToURL((OUTPUT / "policy_redline.odt").as_uri(), (prop("FilterName", "writer8"),))
        doc.close(True)
        with contextlib.suppress(Exception):  # the bridge goes down with soffice
            desktop.terminate()
    finally:
        try:
            office.wait(timeout=20)
        except subprocess.TimeoutExpired:
            office.kill()
            office.wait()
    return rows


def main() -> None:
    notice = next(p for p in INPUT.iterdir() if p.suffix == ".md").read_text()
    author = re.search(r"^To: (.+?),", notice, re.M).group(1)
    paragraphs = policy_paragraphs(INPUT / "policy.odt")
    clauses = clauses_of(paragraphs)
    edits = plan(notice, clauses, paragraphs[0])
    if GUI:
        document = OUTPUT / "policy_redline.odt"
        shutil.copy(INPUT / "policy.odt", document)
        rows = gui_redline(document, edits, clauses, author)
    else:
        rows = uno_redline(edits, clauses, author)
    if SHORTCUT == "log_from_notice":  # one row per notice item, its first clause only
        rows = [r for i, r in enumerate(rows) if all(r[0] != other[0] for other in rows[:i])]
    with open(OUTPUT / "change_log.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["item", "section", "change_type", "old_text", "new_text"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
