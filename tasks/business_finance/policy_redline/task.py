"""Compliance redline: a change notice applied to a company policy as tracked changes in Writer.

The grader reads the saved ODT itself (content.xml): accepting every tracked change must give the
amended policy the reference computes from the notice's edits, rejecting them must give back the
original, and each edit must be a tracked change inside its own clause, by the officer, commented with
its item. The change log must describe the tracked changes the document holds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from lastexam.task import Grading, Params

from . import odt
from .policies import amended, build

HEADING = re.compile(r"^(\d+(?:\.\d+)?)[. ]")
CITE = re.compile(r"\bitems?\s*(?:no\.?\s*)?#?\s*(\d+(?:\s*(?:,|and|&|or|to|-|\u2013)\s*\d+)*)", re.I)
KINDS = {"insert": "insert", "insertion": "insert", "add": "insert", "delete": "delete", "deletion": "delete",
         "omit": "delete", "replace": "replace", "replacement": "replace", "substitute": "replace"}


def _paragraphs(title: str, sections: list, texts: dict[str, str]) -> list[tuple[str, str]]:
    out = [("Title", title)]
    for number, heading, body in sections:
        out.append(("Heading", f"{number}. {heading}"))
        out += [("Standard", f"{clause} {texts[clause]}") for clause, _ in body if texts[clause]]
    return out


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    policy, company, officer = build(params["policy"], params["seed"])
    original = policy.clauses()
    odt.write_odt(input_dir / "policy.odt", _paragraphs(policy.title, policy.sections, original))
    sender = "Head of Internal Audit" if params["notice"] == "audit_memo" else "Supervision Directorate"
    notice = [f"# {policy.notice_title}", "", f"To: {officer}, Compliance Officer, {company}", f"From: {sender}", "",
              policy.notice_intro, ""]
    for number, prose in policy.items:
        notice += [f"## Item {number}", prose, ""]
    (input_dir / f"{params['notice']}.md").write_text("\n".join(notice))
    after = amended(policy)
    reference = {
        "author": officer,
        "original": [t for _, t in _paragraphs(policy.title, policy.sections, original)],
        "accepted": [t for _, t in _paragraphs(policy.title, policy.sections, after)],
        "clauses": {c: {"original": original[c], "accepted": after[c]} for c in original},
        "edits": [vars(e) for e in policy.edits],
    }
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=1))


def _flat(paragraphs: list[str]) -> str:
    return odt.normalize(" ".join(paragraphs))


class Clauses:
    """Where each segment of a redline falls: the original clause (or heading) whose span of the
    rejected text holds it. An insertion at a clause's end, before its paragraph break, is that clause's."""

    def __init__(self, redline: odt.Redline, known: set[str]) -> None:
        self.of: list[str] = []
        current, at_start = "title", True
        for seg in redline.segments:
            if at_start and seg.status in ("common", "deleted") and seg.text.strip():
                m = HEADING.match(seg.text.strip())
                if m and m.group(1) in known:
                    current = m.group(1)
            if seg.status in ("common", "deleted") and seg.text:
                at_start = seg.text.endswith("\n")
            self.of.append(current)

    def text(self, redline: odt.Redline, clause: str, statuses: tuple[str, ...]) -> str:
        parts = [s.text for s, c in zip(redline.segments, self.of, strict=True) if c == clause and s.status in statuses]
        return odt.normalize(HEADING.sub("", odt.normalize("".join(parts)), count=1))


def _changes(redline: odt.Redline, where: Clauses) -> list[dict]:
    """Tracked changes grouped: a deletion and an insertion with no common text between are one change."""
    groups: list[dict] = []
    last_common = True
    for seg, clause in zip(redline.segments, where.of, strict=True):
        if seg.status in ("inserted", "deleted"):
            if last_common or not groups:
                groups.append({"clause": clause, "old": "", "new": "", "authors": set()})
            groups[-1]["old" if seg.status == "deleted" else "new"] += seg.text
            groups[-1]["authors"].add(seg.author)
            last_common = False
        elif seg.status == "common" and seg.text.strip():
            last_common = True
    for group in groups:
        group["old"], group["new"] = odt.normalize(group["old"]), odt.normalize(group["new"])
    return [g for g in groups if g["old"] or g["new"]]


def _comments(redline: odt.Redline, where: Clauses) -> list[tuple[set[str], str, str]]:
    """Each comment with the clauses it may speak for: its own, and a change's it sits right against."""
    out = []
    segs = redline.segments
    for i, seg in enumerate(segs):
        if seg.status != "comment":
            continue
        near = {where.of[i]}
        for j in (i - 1, i + 1):
            if 0 <= j < len(segs) and segs[j].status in ("inserted", "deleted"):
                near.add(where.of[j])
        out.append((near, seg.change, seg.author))
    return out


def _log_row_matches(row: dict, change: dict) -> bool:
    def same(a: str, b: str) -> bool:
        a, b = odt.normalize(a), odt.normalize(b)
        return a == b or HEADING.sub("", a, count=1).strip() == HEADING.sub("", b, count=1).strip()

    section = re.search(r"\d+(?:\.\d+)?", row.get("section") or "")
    return bool(section and section.group(0) == change["clause"] and same(row.get("old_text") or "", change["old"])
                and same(row.get("new_text") or "", change["new"]))


def _kind(change: dict) -> str:
    return "replace" if change["old"] and change["new"] else "delete" if change["old"] else "insert"


def grade(g: Grading) -> None:
    if not g.require_files("policy_redline.odt", "change_log.csv"):
        return
    ref = g.reference_json("reference.json")
    try:
        redline = odt.read_redline(g.output_dir / "policy_redline.odt")
    except ValueError as error:
        g.check("the redline is an ODF text document", False, gate=True, reason=str(error))
        return
    rows = g.read_csv("change_log.csv", required_columns=["item", "section", "change_type", "old_text", "new_text"])
    if rows is None:
        return
    edits = ref["edits"]
    changed = {e["clause"]: e["item"] for e in edits}
    where = Clauses(redline, set(ref["clauses"]) | {str(n) for n in range(1, 20)})
    changes = _changes(redline, where)

    accepted, rejected = odt.normalize(redline.accepted()), odt.normalize(redline.rejected())
    g.check("accepting every change gives the amended policy", accepted == _flat(ref["accepted"]), weight=3,
            expected=_flat(ref["accepted"])[:300], found=accepted[:300])
    g.check("rejecting every change gives back the original policy", rejected == _flat(ref["original"]), weight=2,
            reason="text outside the tracked changes differs from the original policy (an untracked edit)")

    def clause_verdict(clause: str) -> bool | str:
        want = ref["clauses"][clause]
        got_accepted = where.text(redline, clause, ("common", "inserted"))
        got_rejected = where.text(redline, clause, ("common", "deleted"))
        tracked = any(c["clause"] == clause for c in changes)
        ok = (got_accepted == odt.normalize(want["accepted"]) and got_rejected == odt.normalize(want["original"])
              and tracked)
        return ok or f"accepted text {got_accepted[:80]!r}, tracked: {tracked}"

    g.fraction("each notice edit tracked in its own clause", {c: clause_verdict(c) for c in changed}, weight=3)
    literal = [e for e in edits if e["item"] in {x["item"] for x in edits if x["clause"] != e["clause"]}]
    g.fraction("the provisions the notice leaves to be found are amended too",
               {e["clause"]: clause_verdict(e["clause"]) for e in literal}, weight=2)
    stray = sorted({c["clause"] for c in changes if c["clause"] not in changed})
    # a redline changes words, not sentences: each clause's tracked text within 40 characters of what its edits need
    need: dict[str, list[int]] = {}
    for e in edits:
        size = need.setdefault(e["clause"], [0, 0])
        size[0] += len(odt.normalize(ref["clauses"][e["clause"]]["original"])) + 5 if e["kind"] == "delete" else len(e["old"])
        size[1] += len(e["new"])
    bloated = sorted({c["clause"] for c in changes if c["clause"] in need and (
        len(c["old"]) > need[c["clause"]][0] + 40 or len(c["new"]) > need[c["clause"]][1] + 40)})
    g.check("only the clauses the notice touches are changed, with local edits", bool(changes) and not stray
            and not bloated, weight=2, reason=f"changes outside the notice's clauses: {stray}; oversized: {bloated}")
    authors = {c for change in changes for c in change["authors"]}
    comments = _comments(redline, where)
    g.check("every change and comment is by the officer", bool(changes) and authors == {ref["author"]}
            and all(a == ref["author"] for _, _, a in comments), expected=ref["author"],
            found=sorted(authors | {a for _, _, a in comments}))

    items = {int(e["item"]) for e in edits}

    def cited(text: str) -> set[int]:  # the notice's items a comment cites
        return {int(n) for group in CITE.findall(text) for n in re.findall(r"\d+", group)} & items

    def commented(clause: str) -> bool | str:  # the comment names the clause's item, and no other
        ok = any(clause in near and cited(text) == {changed[clause]} for near, text, _ in comments)
        return ok or f"no comment citing Item {changed[clause]} (and no other item) on clause {clause}"

    g.fraction("a comment citing the item on each changed clause", {c: commented(c) for c in changed}, weight=1)

    listed = {f"{c['clause']}: {c['old'][:30]!r} -> {c['new'][:30]!r}": any(_log_row_matches(r, c) for r in rows)
              for c in changes}
    g.fraction("the change log lists every tracked change", listed or {"tracked changes": "none in the document"},
               weight=2)
    def row_right(row: dict) -> bool:
        change = next((c for c in changes if _log_row_matches(row, c)), None)
        item = re.sub(r"(?i)^item\s*", "", str(row.get("item") or "").strip())
        kind = KINDS.get((row.get("change_type") or "").strip().lower())
        return change is not None and item == str(changed.get(change["clause"])) and kind == _kind(change)

    wrong = [r for r in rows if not row_right(r)]
    g.check("every change log row is a tracked change with its item and type", bool(rows) and not wrong, weight=2,
            reason=f"{len(wrong)} row(s) not matching a tracked change, its item or its type",
            found=[list(r.values()) for r in wrong[:3]])
