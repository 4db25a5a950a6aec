#!/usr/bin/env python3
"""Near-miss shortcut agents for education_info/marc_cleanup; the behaviour follows the name it runs under.

Each one cleans the batch competently with pymarc and exports MARCXML, but cuts one corner:

- no_authority_control: every rule except rule 4; the 100 headings are never checked against the
  authority file (the name-authority stage skipped).
- language_blind_articles: the 245 nonfiling count from the whole article table, whatever the
  language in 008/35-37 (an English "Die casting ..." gets 4).
- surname_authority_match: rule 4 applied by surname: a heading that contains a controlled surname
  takes that authority's form (a quicker match than the headings and 400 variants).
- initial_authority_match: rule 4 applied by surname and forename initial ("Okafor, C." or "C... Okafor"),
  without looking up the headings and 400 variants, so "Thompson, Eric" takes "Thompson, Eleanor".
- dateless_initial_match: the same surname-and-initial match, but only on headings without dates (a dated
  heading taken as established; the damaged ones in the batch lost their dates).
- heading_only_match: rule 4 without the 400 variants: a heading in direct order ("Maria Lindqvist") is
  inverted and looked up among the authorized headings, so "Lindqvist, M." is never recognised.
- isbn_hyphens_only: 020 $a stripped of hyphens and duplicates dropped, but no check digit is ever
  computed, so invalid ISBNs stay in $a.
- report_without_values: the records are right, but the change report lists only record, tag and
  action, with the old and new values left empty.
- restamp_all: the records are right, but 005 and 040 $d are stamped on every record of the batch.
- report_placeholder_values: the records are right, but the change report's old_value reads "as received" on
  every row, and the new_value of the leader and 245 rows reads "corrected".
- leader18_unchecked: leader/06, 07 and 09 set to the house values, but leader/18 (descriptive cataloging form)
  is never compared with 040 $e.
"""

import csv
import os
import re
from pathlib import Path

from pymarc import Indicators, MARCReader, Subfield, XMLWriter

INPUT = Path(os.environ["ALE_INPUT_DIR"])
OUTPUT = Path(os.environ["ALE_OUTPUT_DIR"])
MODE = Path(__file__).name.removesuffix(".py")
ARTICLES = {"eng": ["The ", "An ", "A "], "fre": ["Les ", "Le ", "La ", "L'", "Une ", "Un "],
            "ger": ["Der ", "Die ", "Das ", "Eine ", "Ein "], "spa": ["Los ", "Las ", "El ", "La ", "Una ", "Un "]}
ANY_ARTICLE = sorted({a for group in ARTICLES.values() for a in group}, key=len, reverse=True)


def read(name):
    with (INPUT / name).open("rb") as handle:
        return [r for r in MARCReader(handle, force_utf8=True) if r is not None]


def isbn_ok(digits):
    if MODE == "isbn_hyphens_only":
        return True
    if re.fullmatch(r"\d{13}", digits):
        return sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits)) % 10 == 0
    if re.fullmatch(r"\d{9}[\dX]", digits):
        return sum((10 - i) * (10 if d == "X" else int(d)) for i, d in enumerate(digits)) % 11 == 0
    return False


def bare(name):
    return re.sub(r"[\s,.;:]+$", "", name or "")


authorized, by_surname, by_initial = {}, {}, {}
for auth in read("authorities.mrc"):
    heading = auth.get_fields("100")[0]
    by_surname[heading.get("a").split(",")[0]] = heading
    surname, forename = bare(heading.get("a")).split(", ", 1)
    by_initial[surname, forename[0]] = heading
    for field in [heading, *auth.get_fields("400")]:
        authorized[bare(field.get("a"))] = heading


def authority_for(name):
    if MODE == "surname_authority_match":
        return next((h for surname, h in by_surname.items() if surname in (name or "")), None)
    if MODE in ("initial_authority_match", "dateless_initial_match"):
        text = bare(name)
        return next((h for (surname, initial), h in by_initial.items()
                     if text.startswith(f"{surname}, {initial}") or (text.endswith(surname) and text.startswith(initial))),
                    None)
    if MODE == "heading_only_match":
        words = bare(name).split()
        forms = {bare(name)} | {f"{' '.join(words[k:])}, {' '.join(words[:k])}" for k in range(1, len(words))}
        return next((h for h in by_surname.values() if bare(h.get("a")) in forms), None)
    return authorized.get(bare(name))

records = read("batch.mrc")
report = []
for rec in records:
    rid = rec.get_fields("001")[0].data
    rows = []
    old = str(rec.leader)
    rda = any(f.get("e") == "rda" for f in rec.get_fields("040"))
    form = old[18] if MODE == "leader18_unchecked" else "i" if rda else "a"
    new = old[:6] + "am" + old[8] + "a" + old[10:18] + form + old[19:]
    if new != old:
        rec.leader = new
        rows.append(("LDR", "leader fixed", old, new))
    pub = rec.get_fields("264") or rec.get_fields("260")
    years = re.findall(r"\d{4}", pub[0].get("c") or "") if pub else []
    f008 = rec.get_fields("008")[0]
    if years and f008.data[7:11] != years[0]:
        before = f008.data
        f008.data = before[:7] + years[0] + before[11:]
        rows.append(("008", "Date 1", before, f008.data))
    seen = []
    for field in rec.get_fields("020"):
        before = str(field)[6:]
        subs = [Subfield("a", re.sub(r"[\s-]", "", s.value)) if s.code == "a" and isbn_ok(re.sub(r"[\s-]", "", s.value))
                else Subfield("z", s.value) if s.code == "a" else s for s in field.subfields]
        if subs != field.subfields:
            field.subfields = subs
            rows.append(("020", "ISBN fixed", before, str(field)[6:]))
        key = tuple(field.subfields)
        if key in seen:
            rec.remove_field(field)
            rows.append(("020", "duplicate deleted", before, ""))
        else:
            seen.append(key)
    if MODE != "no_authority_control":
        for field in rec.get_fields("100"):
            heading = authority_for(field.get("a"))
            if heading is None or (MODE == "dateless_initial_match" and field.get("d")):
                continue
            subs = [s for s in heading.subfields if s.code in "ad"] + [s for s in field.subfields if s.code not in "ad"]
            if subs != field.subfields or field.indicator1 != heading.indicator1:
                before = str(field)[6:]
                field.indicators = Indicators(heading.indicator1, field.indicator2)
                field.subfields = subs
                rows.append(("100", "authorized heading", before, str(field)[6:]))
    title = rec.get_fields("245")[0]
    table = ANY_ARTICLE if MODE == "language_blind_articles" else ARTICLES.get(f008.data[35:38], [])
    skip = next((len(a) for a in table if (title.get("a") or "").startswith(a)), 0)
    ind = Indicators("1" if rec.get_fields("100") else "0", str(skip))
    if title.indicators != ind:
        rows.append(("245", "indicators", "".join(title.indicators), "".join(ind)))
        title.indicators = ind
    if rows or MODE == "restamp_all":
        rec.get_fields("005")[0].data = "20261125093000.0"
        rec.get_fields("040")[0].add_subfield("d", "XxAcU")
    for tag, action, before, after in rows:
        if MODE == "report_without_values":
            before, after = "", ""
        elif MODE == "report_placeholder_values":
            before, after = "as received", "corrected" if tag in ("LDR", "245") else after
        report.append([rid, tag, action, before, after])

OUTPUT.mkdir(parents=True, exist_ok=True)
with (OUTPUT / "cleaned.mrc").open("wb") as handle:
    for rec in records:
        handle.write(rec.as_marc())
with (OUTPUT / "cleaned.xml").open("wb") as handle:
    writer = XMLWriter(handle)
    for rec in records:
        writer.write(rec)
    writer.close(close_fh=False)
with (OUTPUT / "change_report.csv").open("w", newline="", encoding="utf-8") as handle:
    out = csv.writer(handle)
    out.writerow(["record_id", "tag", "action", "old_value", "new_value"])
    out.writerows(report)
