#!/usr/bin/env python3
"""Oracle: clean the MARC batch with pymarc to the house rules, export MARCXML with yaz-marcdump, report."""
# ALE-CANARY-7c3a2e51-4b0d-4f7e-9d61-2a8e5f0c9b47

import csv
import os
import re
import subprocess
from pathlib import Path

from pymarc import Field, Indicators, MARCReader, Record, Subfield

IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])
ORG = "XxAcU"
STAMP = "20261125093000.0"
ARTICLES = {"eng": ["The ", "An ", "A "], "fre": ["Les ", "Le ", "La ", "L'", "Une ", "Un "],
            "ger": ["Der ", "Die ", "Das ", "Eine ", "Ein "], "spa": ["Los ", "Las ", "El ", "La ", "Una ", "Un "]}


def read(path: Path) -> list[Record]:
    # Some exports declare MARC-8 in leader/09 while the data is UTF-8: read everything as UTF-8.
    with path.open("rb") as handle:
        return [r for r in MARCReader(handle, force_utf8=True) if r is not None]


def norm_name(text: str) -> str:
    return re.sub(r"[\s,.;:]+$", "", text).strip()


def isbn_ok(digits: str) -> bool:
    if re.fullmatch(r"\d{13}", digits):
        return sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits)) % 10 == 0
    if re.fullmatch(r"\d{9}[\dX]", digits):
        return sum((10 - i) * (10 if d == "X" else int(d)) for i, d in enumerate(digits)) % 11 == 0
    return False


def shown(field: Field) -> str:
    """The field as the report shows it: indicators and subfields with their codes (pymarc's text form)."""
    return str(field)[6:]


def shown_indicators(indicators: Indicators) -> str:
    """Two indicators as the report shows them, a blank as a backslash."""
    return "".join(indicators).replace(" ", "\\")


class Cleaner:
    def __init__(self, authorities: list[Record]) -> None:
        self.see_from: dict[str, Field] = {}
        for auth in authorities:
            heading = auth.get_fields("100")[0]
            for field in [heading, *auth.get_fields("400")]:
                self.see_from[norm_name(field.get("a"))] = heading
        self.report: list[list[str]] = []

    def log(self, rid: str, tag: str, action: str, old: str, new: str) -> None:
        self.report.append([rid, tag, action, old, new])

    def clean(self, rec: Record) -> bool:
        rid = rec.get_fields("001")[0].data
        before = len(self.report)
        self.leader(rec, rid)
        self.date1(rec, rid)
        self.isbns(rec, rid)
        self.name(rec, rid)
        self.title_indicators(rec, rid)
        changed = len(self.report) > before
        if changed:
            rec.get_fields("005")[0].data = STAMP
            rec.get_fields("040")[0].add_subfield("d", ORG)
        return changed

    def leader(self, rec: Record, rid: str) -> None:
        old = str(rec.leader)
        rda = any(f.get("e") == "rda" for f in rec.get_fields("040"))
        new = old[:6] + "am" + old[8] + "a" + old[10:18] + ("i" if rda else "a") + old[19:]
        if new != old:
            rec.leader = new
            self.log(rid, "LDR", "leader/06-09/18 set to house values", old, new)

    def date1(self, rec: Record, rid: str) -> None:
        pub = rec.get_fields("264") or rec.get_fields("260")
        years = re.findall(r"\d{4}", pub[0].get("c") or "") if pub else []
        f008 = rec.get_fields("008")[0]
        if years and f008.data[7:11] != years[0]:
            old = f008.data
            f008.data = old[:7] + years[0] + old[11:]
            self.log(rid, "008", "Date 1 set from publication date", old, f008.data)

    def isbns(self, rec: Record, rid: str) -> None:
        seen: list[tuple] = []
        for field in rec.get_fields("020"):
            old = shown(field)
            subs = []
            for sub in field.subfields:
                if sub.code == "a":
                    digits = re.sub(r"[\s-]", "", sub.value)
                    sub = Subfield("a", digits) if isbn_ok(digits) else Subfield("z", sub.value)
                subs.append(sub)
            if subs != field.subfields:
                field.subfields = subs
                self.log(rid, "020", "ISBN normalized or invalid ISBN moved to $z", old, shown(field))
            key = (field.indicators, tuple(field.subfields))
            if key in seen:
                rec.remove_field(field)
                self.log(rid, "020", "duplicate 020 deleted", old, "")
            else:
                seen.append(key)

    def name(self, rec: Record, rid: str) -> None:
        for field in rec.get_fields("100"):
            heading = self.see_from.get(norm_name(field.get("a") or ""))
            if heading is None:
                continue
            rest = [s for s in field.subfields if s.code not in ("a", "d")]
            subs = [s for s in heading.subfields if s.code in ("a", "d")] + rest
            if subs != field.subfields or field.indicator1 != heading.indicator1:
                old = shown(field)
                field.indicators = Indicators(heading.indicator1, field.indicator2)
                field.subfields = subs
                self.log(rid, "100", "heading replaced by authorized form", old, shown(field))

    def title_indicators(self, rec: Record, rid: str) -> None:
        field = rec.get_fields("245")[0]
        lang = rec.get_fields("008")[0].data[35:38]
        title = field.get("a") or ""
        skip = next((len(a) for a in ARTICLES.get(lang, []) if title.startswith(a)), 0)
        has_main = any(rec.get_fields(t) for t in ("100", "110", "111", "130"))
        ind = Indicators("1" if has_main else "0", str(skip))
        if field.indicators != ind:
            old = shown_indicators(field.indicators)
            field.indicators = ind
            self.log(rid, "245", "indicators corrected", old, shown_indicators(ind))


def main() -> None:
    cleaner = Cleaner(read(IN / "authorities.mrc"))
    records = read(IN / "batch.mrc")
    for record in records:
        cleaner.clean(record)
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "cleaned.mrc").open("wb") as handle:
        for record in records:
            handle.write(record.as_marc())
    xml = subprocess.run(["yaz-marcdump", "-i", "marc", "-o", "marcxml", "-f", "utf8", "-t", "utf8",
                          str(OUT / "cleaned.mrc")], capture_output=True, check=True)
    (OUT / "cleaned.xml").write_bytes(xml.stdout)
    with (OUT / "change_report.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", "tag", "action", "old_value", "new_value"])
        writer.writerows(cleaner.report)


if __name__ == "__main__":
    main()
