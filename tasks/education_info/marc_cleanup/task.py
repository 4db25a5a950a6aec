"""Clean a batch of MARC 21 bibliographic records to a library's house standard before loading.

ALE-CANARY-7c3a2e51-4b0d-4f7e-9d61-2a8e5f0c9b47

Workflow: a metadata librarian receives a vendor or legacy batch of MARC 21 bibliographic records
(ISO 2709, UTF-8), the library's name authority records and the house rules. They find and fix
the non-conforming data (leader positions, 008 Date 1, ISBNs with bad check digits, hyphenated or
duplicated 020s, 245 indicators from the initial-article table, personal-name headings not in
their authorized form), stamp the records they change (005, 040 $d), and deliver the cleaned
binary file, a MARCXML export of it and a change report.

generate() builds clean records from word lists (the expected output, correct by construction),
plants defects into copies of some of them (every defect class, in each of its forms, at least once in
every variant, so that skipping any one rule, or part of one, costs the full pass; a few titles begin
with a word that is an article only in another language, and a few authors outside the authority file
share a controlled name's surname, at least one its forename initial too, their headings keyed without
dates as a vendor would, the initial-sharing ones in direct order), and writes the defective batch and
the authority file with pymarc; the expected records and the list of planted defects go to the reference.

grade() reads the submitted records with pymarc and compares them with the expected ones: record
set and order (gate), one check per defect class (each planted defect fixed), no collateral
damage (every field that needed no change is identical, clean records untouched), the 005/040
bookkeeping on exactly the changed records, MARCXML identical in content to the binary file, and
a change report that lists every planted defect and nothing on untouched records, each with a row whose old and
new values show what the batch held and what the cleaned record holds at the corrected place (leader positions,
245 indicators, Date 1, the ISBN moved, unhyphenated or deleted, the replaced and authorized name).
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pymarc import Field, Indicators, MARCReader, Record, Subfield, parse_xml_to_array

from lastexam.task import Grading, Params

ORG = "XxAcU"
STAMP = "20261125093000.0"
VENDOR = "VnMARC"
MAX_BYTES = 20 * 1024 * 1024

# Every scenario plants every defect class, in each of its forms, at least once (a shortcut that skips one
# rule, or applies it to one form only, fails on each variant); the scenarios differ in record style: RDA or
# AACR2, ISBN-13 or ISBN-10, languages, batch size.
DEFECTS = ["leader", "leader09", "date1", "isbn_check", "isbn_hyphen", "dup_020", "ind245", "name_auth"]
# The forms of the classes planted more than one way: leader/07 fixed but /18 never compared with 040 $e, or the
# direct-order variants of a name looked up but not the initial ones, had passed a batch that lacked the other.
FORMS = {"leader": ("leader/07", "leader/18"), "date1": ("unknown year", "wrong year"),
         "ind245": ("both blank", "first indicator", "nonfiling count"), "name_auth": ("direct order", "initial")}
SCENARIOS: dict[str, dict[str, Any]] = {
    "vendor_load": {"records": 40, "rda": True, "languages": ["eng"]},
    "retrocon": {"records": 40, "rda": False, "languages": ["eng", "fre", "ger", "spa"]},
    "merged_batch": {"records": 56, "rda": True, "languages": ["eng", "fre", "ger", "spa"]},
}
DEFECT_TAG = {"leader": "LDR", "leader09": "LDR", "date1": "008", "isbn_check": "020", "isbn_hyphen": "020",
              "dup_020": "020", "ind245": "245", "name_auth": "100"}
DEFECT_LABEL = {"leader": "leader/07 and leader/18", "leader09": "leader/09 character coding",
                "date1": "008 Date 1", "isbn_check": "ISBNs failing the check digit moved to 020 $z",
                "isbn_hyphen": "ISBNs normalized (no hyphens)", "dup_020": "duplicate 020 removed",
                "ind245": "245 indicators", "name_auth": "100 headings in authorized form"}

ARTICLES = {"eng": ["The ", "An ", "A "], "fre": ["Les ", "Le ", "La ", "L'", "Une ", "Un "],
            "ger": ["Der ", "Die ", "Das ", "Eine ", "Ein "], "spa": ["Los ", "Las ", "El ", "La ", "Una ", "Un "]}
TITLES = {  # (initial article, rest of title, subtitle, subject headings as (topic, subdivision))
    "eng": [("The", "quiet harbor", "a novel", [("Fishing villages", "Fiction")]),
            ("A", "history of northern railways", None, [("Railroads", "History")]),
            (None, "Soil, water, and the cities that need them", None, [("Urban ecology", None),
                                                                        ("Water-supply", None)]),
            ("An", "atlas of coastal erosion", None, [("Coast changes", "Maps"), ("Coastal zone management", None)]),
            (None, "Reading the medieval archive", "methods and sources", [("Manuscripts, Medieval", None)]),
            ("The", "ethics of small data", None, [("Big data", "Moral and ethical aspects")]),
            (None, "Teaching statistics with real data", None, [("Statistics", "Study and teaching")]),
            ("A", "field guide to lichens", None, [("Lichens", "Identification")]),
            (None, "Urban heat and public health", "a global review", [("Urban heat island", None),
                                                                       ("Public health", None)]),
            ("The", "long road to Kinshasa", None, [("Travel", None)]),
            (None, "Introduction to library cataloging", None, [("Cataloging", None), ("Library science", None)]),
            ("An", "economy of favors", "essays", [("Reciprocity (Psychology)", None)]),
            (None, "Glaciers in retreat", None, [("Glaciers", "Climatic factors")]),
            ("The", "lost letters of Margaret Reid", None, [("Women", "Correspondence")]),
            (None, "Digital preservation in practice", None, [("Digital preservation", None)]),
            ("A", "grammar of modern Welsh", None, [("Welsh language", "Grammar")])],
    "fre": [("Les", "jardins de la mémoire", None, [("Memory", "Social aspects")]),
            ("La", "ville et ses marges", "essai", [("Cities and towns", "Social aspects")]),
            ("L'", "économie du partage", None, [("Sharing economy", None)]),
            ("Le", "temps des cerises", "roman", [("Paris (France)", "History")]),
            (None, "À la recherche des archives perdues", None, [("Archives", "France")]),
            ("Une", "histoire de la Bretagne", None, [("Brittany (France)", "History")])],
    "ger": [("Die", "Stadt am Fluss", "Roman", [("Cities and towns", "Fiction")]),
            ("Der", "Weg nach Süden", None, [("Travel", None)]),
            ("Das", "Gedächtnis der Dinge", None, [("Material culture", None)]),
            ("Eine", "kurze Geschichte der Uhr", None, [("Clocks and watches", "History")]),
            (None, "Grundlagen der Bibliothekswissenschaft", None, [("Library science", None)])],
    "spa": [("El", "jardín de senderos", None, [("Gardens", "Fiction")]),
            ("La", "memoria del agua", "novela", [("Water", "Fiction")]),
            ("Los", "años de plomo", None, [("Political violence", "History")]),
            ("Las", "ciudades invisibles de América", None, [("Cities and towns", "America")]),
            (None, "Historia de la imprenta en México", None, [("Printing", "History")])],
}
# Titles whose first word is an article in another language of the table but not in the record's own:
# the nonfiling count must follow 008/35-37, so each batch holds some of these.
TRAP_TITLES = {
    "eng": [(None, "Die casting in the modern foundry", None, [("Die-casting", None)]),
            (None, "El Niño and the changing Pacific", None, [("El Niño Current", None)]),
            (None, "La Brea tar pits", "a natural history", [("La Brea Tar Pits (Calif.)", None)])],
    "ger": [(None, "Las Vegas und die Wüstenstädte", None, [("Las Vegas (Nev.)", "History")])],
    "spa": [(None, "A orillas del Plata", "crónicas", [("Río de la Plata (Argentina and Uruguay)", None)])],
}
TRAPS_PER_BATCH = 2
# Authors outside the authority file who share a surname with a controlled name: their headings stay
# as they are (matching on the surname alone would wrongly collocate them).
NAMESAKES = [("Okafor", "Ngozi", "1991-"), ("Schmidt", "Peter", "1969-"), ("Patel", "Raj", "1984-"),
             ("Thompson", "Eric", "1972-"), ("Reyes", "Marisol", "1990-")]
NAMESAKES_PER_BATCH = 2
# Namesakes who also share the controlled name's forename initial ("Thompson, Eric" beside "Thompson, Eleanor",
# both "Thompson, E."): every batch holds at least one, so matching on surname and initial collocates wrongly.
INITIAL_NAMESAKES = [("Thompson", "Edward", "1966-"), ("Okafor", "Chidi", "1987-"), ("Schmidt", "Andreas", "1971-"),
                     ("Patel", "Pooja", "1990-"), ("Reyes", "Cristina", "1983-"), ("Müller", "Julia", "1982-")]
PEOPLE = [("Okafor", "Chinwe", "1962-"), ("Lindqvist", "Maria", "1975-"), ("Müller", "Jürgen", "1948-2019"),
          ("Haddad", "Samir", "1980-"), ("García Ruiz", "Ana", "1971-"), ("Thompson", "Eleanor", "1955-"),
          ("Nakamura", "Kenji", "1968-"), ("Dubois", "Hélène", "1983-"), ("O'Neill", "Patrick", "1960-"),
          ("Kowalski", "Tomasz", "1977-"), ("Mensah", "Kwame", "1959-"), ("Ferreira", "Luísa", "1986-"),
          ("Schmidt", "Anke", "1964-"), ("Reyes", "Carlos", "1952-2011"), ("Patel", "Priya", "1979-"),
          ("Ivanova", "Olga", "1970-"), ("Brennan", "Siobhán", "1988-"), ("Hoffmann", "Klaus", "1945-")]
EDITORS = [("Abara", "Nkem"), ("Whitfield", "Grace"), ("Castellanos", "Rosa"), ("Becker", "Lukas")]
PUBLISHERS = {"eng": [("New York", "Harbor Lane Press", "nyu"), ("London", "Fenwick & Hale", "enk"),
                      ("Chicago", "Lakeshore University Press", "ilu"), ("Toronto", "Maple Leaf Academic", "onc")],
              "fre": [("Paris", "Éditions du Seuil Bleu", "fr "), ("Montréal", "Presses de l'Estuaire", "quc")],
              "ger": [("Berlin", "Verlag Lindenhof", "gw "), ("Wien", "Donau Verlag", "au ")],
              "spa": [("Madrid", "Ediciones Alameda", "sp "), ("Ciudad de México", "Editorial Tlaloc", "mx ")]}


# -- ISBNs --------------------------------------------------------------------------------------


def isbn13_check(first12: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def isbn10_check(first9: str) -> str:
    total = sum(int(d) * (10 - i) for i, d in enumerate(first9))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def isbn_valid(text: str) -> bool:
    digits = re.sub(r"[\s-]", "", text)
    if re.fullmatch(r"\d{13}", digits):
        return isbn13_check(digits[:12]) == digits[12]
    if re.fullmatch(r"\d{9}[\dX]", digits):
        return isbn10_check(digits[:9]) == digits[9]
    return False


def _new_isbn(rng: np.random.Generator, ten: bool) -> str:
    if ten:
        body = "0" + "".join(str(d) for d in rng.integers(0, 10, size=8))
        return body + isbn10_check(body)
    body = "978" + str(int(rng.choice([0, 1]))) + "".join(str(d) for d in rng.integers(0, 10, size=8))
    return body + isbn13_check(body)


def _hyphenate(isbn: str) -> str:
    if len(isbn) == 10:
        return f"{isbn[0]}-{isbn[1:4]}-{isbn[4:9]}-{isbn[9]}"
    return f"{isbn[:3]}-{isbn[3]}-{isbn[4:7]}-{isbn[7:12]}-{isbn[12]}"


def _break_check(isbn: str, rng: np.random.Generator) -> str:
    digits = [d for d in "0123456789" if d != isbn[-1]]
    while True:
        bad = isbn[:-1] + str(rng.choice(digits))
        if not isbn_valid(bad):
            return bad


# -- building records ---------------------------------------------------------------------------


@dataclass
class Person:
    surname: str
    forename: str
    dates: str
    lccn: str

    @property
    def heading(self) -> str:
        return f"{self.surname}, {self.forename},"

    @property
    def direct(self) -> str:
        return f"{self.forename} {self.surname}"

    @property
    def initial(self) -> str:
        return f"{self.surname}, {self.forename[0]}."


def _people(rng: np.random.Generator) -> list[Person]:
    lccns = sorted(int(n) for n in rng.choice(np.arange(10000, 99999), size=len(PEOPLE), replace=False))
    year = rng.integers(1979, 2020, size=len(PEOPLE))
    return [Person(s, f, d, f"n {int(y)}0{n}") for (s, f, d), y, n in zip(PEOPLE, year, lccns, strict=True)]


def _sf(*pairs: str) -> list[Subfield]:
    return [Subfield(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]


def nonfiling(title: str, lang: str) -> int:
    for article in ARTICLES.get(lang, []):
        if title.startswith(article):
            return len(article)
    return 0


def build_record(i: int, rng: np.random.Generator, sc: dict[str, Any], people: list[Person], *,
                 trap: bool = False, namesake: Person | None = None) -> Record:
    """One clean bibliographic record that already meets the house rules.

    ``trap``: the title is one of TRAP_TITLES; ``namesake``: the author, one outside the authority file.
    """
    if trap:
        lang = str(rng.choice([lang for lang in sc["languages"] if lang in TRAP_TITLES]))
    else:
        lang = str(rng.choice(sc["languages"])) if rng.random() < 0.55 else "eng"
    pool = TRAP_TITLES if trap else TITLES
    article, title, sub, subjects = pool[lang][int(rng.integers(len(pool[lang])))]
    full = (f"{article}{title}" if article == "L'" else f"{article} {title}") if article else title
    full = full[0].upper() + full[1:]
    place, publisher, country = PUBLISHERS[lang][int(rng.integers(len(PUBLISHERS[lang])))]
    year = int(rng.integers(1972, 2007)) if not sc["rda"] else int(rng.integers(2008, 2026))
    author = people[int(rng.integers(len(people)))] if rng.random() < 0.85 else None
    author = namesake or author
    record = Record(force_utf8=True)
    record.leader = f"00000nam a22000007{'i' if sc['rda'] else 'a'} 4500"
    record.add_field(Field(tag="001", data=f"vn{i + 104750:07d}"))
    record.add_field(Field(tag="003", data=VENDOR))
    stamp = f"2025{int(rng.integers(1, 13)):02d}{int(rng.integers(1, 28)):02d}{int(rng.integers(0, 24)):02d}"
    record.add_field(Field(tag="005", data=f"{stamp}{int(rng.integers(0, 60)):02d}{int(rng.integers(0, 60)):02d}.0"))
    entered = f"{year % 100:02d}{int(rng.integers(1, 13)):02d}{int(rng.integers(1, 28)):02d}"
    if sc["rda"]:
        entered = f"{int(rng.integers(10, 25))}{int(rng.integers(1, 13)):02d}{int(rng.integers(1, 28)):02d}"
    index = "1" if rng.random() < 0.5 else "0"
    illus = "a   " if rng.random() < 0.4 else "    "
    fiction = "1" if any(sub_x == "Fiction" for _, sub_x in subjects) else "0"
    f008 = f"{entered}s{year}    {country}{illus}       00{index} {fiction} {lang} d"
    assert len(f008) == 40, f008
    record.add_field(Field(tag="008", data=f008))
    ten = not sc["rda"]
    for k in range(1 if rng.random() < 0.6 else 2):
        isbn = _new_isbn(rng, ten)
        qual = ["hardcover", "paperback"][k] if not ten else ["cloth", "pbk."][k]
        record.add_field(Field(tag="020", indicators=Indicators(" ", " "), subfields=_sf("a", isbn, "q", qual)))
    cat = _sf("a", VENDOR, "b", "eng", "e", "rda", "c", VENDOR) if sc["rda"] else _sf("a", VENDOR, "c", VENDOR)
    record.add_field(Field(tag="040", indicators=Indicators(" ", " "), subfields=cat))
    if namesake:  # an uncontrolled heading as keyed: no dates, and in direct order when it shares an initial
        direct = _shares_initial(namesake)
        record.add_field(Field(tag="100", indicators=Indicators("0" if direct else "1", " "),
                               subfields=_sf("a", f"{namesake.direct}," if direct else namesake.heading,
                                             "e", "author.")))
    elif author:
        record.add_field(Field(tag="100", indicators=Indicators("1", " "),
                               subfields=_sf("a", author.heading, "d", author.dates, "e", "author.")))
    ind2 = str(nonfiling(full, lang))
    resp = author.direct if author else f"edited by {EDITORS[i % len(EDITORS)][1]} {EDITORS[i % len(EDITORS)][0]}"
    sub_fields = _sf("a", f"{full} :", "b", f"{sub} /", "c", f"{resp}.") if sub else _sf("a", f"{full} /",
                                                                                       "c", f"{resp}.")
    record.add_field(Field(tag="245", indicators=Indicators("1" if author else "0", ind2), subfields=sub_fields))
    if sc["rda"]:
        record.add_field(Field(tag="264", indicators=Indicators(" ", "1"),
                               subfields=_sf("a", f"{place} :", "b", f"{publisher},", "c", f"{year}.")))
    else:
        record.add_field(Field(tag="260", indicators=Indicators(" ", " "),
                               subfields=_sf("a", f"{place} :", "b", f"{publisher},", "c", f"c{year}.")))
    pages = int(rng.integers(96, 480))
    record.add_field(Field(tag="300", indicators=Indicators(" ", " "),
                           subfields=_sf("a", f"xii, {pages} pages ;" if sc["rda"] else f"xii, {pages} p. ;",
                                         "c", f"{int(rng.integers(21, 29))} cm")))
    if sc["rda"]:
        for tag, a, b, src in (("336", "text", "txt", "rdacontent"), ("337", "unmediated", "n", "rdamedia"),
                               ("338", "volume", "nc", "rdacarrier")):
            record.add_field(Field(tag=tag, indicators=Indicators(" ", " "), subfields=_sf("a", a, "b", b, "2", src)))
    if index == "1":
        record.add_field(Field(tag="504", indicators=Indicators(" ", " "),
                               subfields=_sf("a", "Includes bibliographical references and index.")))
    for topic, sub_x in subjects:
        subs = _sf("a", topic, "x", f"{sub_x}.") if sub_x else _sf("a", f"{topic}.")
        record.add_field(Field(tag="650", indicators=Indicators(" ", "0"), subfields=subs))
    if not author:
        surname, forename = EDITORS[i % len(EDITORS)]
        record.add_field(Field(tag="700", indicators=Indicators("1", " "),
                               subfields=_sf("a", f"{surname}, {forename},", "e", "editor.")))
    return record


def authority_record(person: Person, rng: np.random.Generator) -> Record:
    record = Record(force_utf8=True)
    record.leader = "00000nz  a2200000n  4500"
    record.add_field(Field(tag="001", data=person.lccn))
    record.add_field(Field(tag="003", data="DLC"))
    record.add_field(Field(tag="005", data=f"20{int(rng.integers(10, 25))}0{int(rng.integers(1, 9))}15083000.0"))
    record.add_field(Field(tag="008", data="850118n| acannaabn          |a aaa      "))
    record.add_field(Field(tag="040", indicators=Indicators(" ", " "),
                           subfields=_sf("a", "DLC", "b", "eng", "e", "rda", "c", "DLC")))
    record.add_field(Field(tag="100", indicators=Indicators("1", " "),
                           subfields=_sf("a", person.heading, "d", person.dates)))
    record.add_field(Field(tag="400", indicators=Indicators("0", " "), subfields=_sf("a", person.direct)))
    record.add_field(Field(tag="400", indicators=Indicators("1", " "), subfields=_sf("a", person.initial)))
    record.add_field(Field(tag="670", indicators=Indicators(" ", " "),
                           subfields=_sf("a", "Author's works, viewed", "b", f"(born {person.dates[:4]})")))
    return record


# -- planting defects ---------------------------------------------------------------------------


def _fields(record: Record, tag: str) -> list[Field]:
    return record.get_fields(tag)


def _applicable(kind: str, record: Record, people: dict[str, Person]) -> bool:
    if kind == "isbn_check":
        return any(f.get("a") for f in _fields(record, "020"))
    if kind == "isbn_hyphen":
        return any(f.get("a") for f in _fields(record, "020"))
    if kind == "dup_020":
        return bool(_fields(record, "020"))
    if kind == "name_auth":
        heads = _fields(record, "100")
        return bool(heads) and heads[0].get("a") in people
    return True


def plant(kind: str, form: str, record: Record, rng: np.random.Generator, people: dict[str, Person]) -> None:
    """Damage one aspect of the record in place, in the given form of FORMS (the truth copy stays clean)."""
    if kind == "leader":
        pos, bad = (7, str(rng.choice(["a", "s", " "]))) if form == "leader/07" else (18, str(rng.choice([" ", "c"])))
        record.leader = record.leader[:pos] + bad + record.leader[pos + 1:]
    elif kind == "leader09":
        record.leader = record.leader[:9] + " " + record.leader[10:]
    elif kind == "date1":
        f008 = _fields(record, "008")[0]
        year = f008.data[7:11]
        if form == "unknown year":
            bad = str(rng.choice([f"{year[:2]}uu", "||||"]))
        else:
            bad = str(rng.choice([year[0] + year[2] + year[1] + year[3], str(int(year) - 1)]))
            if bad == year:
                bad = str(int(year) - 1)
        f008.data = f008.data[:7] + bad + f008.data[11:]
    elif kind == "isbn_hyphen":
        field = next(f for f in _fields(record, "020") if f.get("a"))
        field["a"] = _hyphenate(field.get("a"))
    elif kind == "dup_020":
        field = _fields(record, "020")[-1]
        copy = Field(tag="020", indicators=Indicators(field.indicator1, field.indicator2),
                     subfields=[Subfield(s.code, s.value) for s in field.subfields])
        record.add_ordered_field(copy)
    elif kind == "ind245":
        field = _fields(record, "245")[0]
        ind1, ind2 = field.indicator1, field.indicator2
        damaged = {"both blank": (" ", " "), "first indicator": ("0" if ind1 == "1" else "1", ind2),
                   "nonfiling count": (ind1, "0" if ind2 != "0" else "4")}
        field.indicators = Indicators(*damaged[form])
    elif kind == "name_auth":
        field = _fields(record, "100")[0]
        person = people[field.get("a")]
        direct = form == "direct order"
        field.indicators = Indicators("0" if direct else "1", " ")
        field.subfields = _sf("a", f"{person.direct if direct else person.initial},", "e", "author.")


def _truth_for_isbn_check(truth: Record, damaged: Record, rng: np.random.Generator) -> None:
    """The expected fix for a bad check digit: the invalid ISBN moved, unchanged, to $z."""
    for t_field, d_field in zip(_fields(truth, "020"), _fields(damaged, "020"), strict=False):
        if t_field.get("a"):
            bad = _break_check(t_field.get("a"), rng)
            d_field["a"] = bad
            t_field.subfields = [Subfield("z" if s.code == "a" else s.code, bad if s.code == "a" else s.value)
                                 for s in t_field.subfields]
            return


def _copy(record: Record) -> Record:
    return next(iter(MARCReader(record.as_marc(), force_utf8=True)))


def stamp(record: Record) -> None:
    """Bookkeeping on a changed record: 005 to the batch timestamp, our code added as 040 $d."""
    _fields(record, "005")[0].data = STAMP
    _fields(record, "040")[0].add_subfield("d", ORG)


def _plan_defects(records: list[Record], rng: np.random.Generator,
                  by_heading: dict[str, Person]) -> list[list[tuple[str, str]]]:
    """The (class, form) defects to plant in each record, every form of every class at least once, in DEFECTS
    order ('' is the form of a class planted one way only).

    The order matters: a bad check digit is planted before a duplicate 020 is made, so that the
    duplicate repeats the damaged field (the rules then move both to $z and delete the second).
    """
    plans: list[list[str]] = []
    for record in records:
        if rng.random() < 0.3:
            plans.append([])  # a clean record
            continue
        count = 1 if rng.random() < 0.65 else 2
        chosen = {str(k) for k in rng.choice(DEFECTS, size=count, replace=False)}
        if {"isbn_check", "isbn_hyphen"} <= chosen:
            chosen.remove("isbn_hyphen")
        plans.append([k for k in DEFECTS if k in chosen and _applicable(k, record, by_heading)])
    for kind in DEFECTS:
        for _ in range(len(FORMS.get(kind, ("",))) - sum(kind in plan for plan in plans)):
            spare = [i for i, plan in enumerate(plans) if not plan and _applicable(kind, records[i], by_heading)]
            if not spare:
                raise ValueError(f"no clean record can take a {kind} defect; the batch is too small")
            plans[spare[int(rng.integers(len(spare)))]] = [kind]
    form_of: dict[tuple[int, str], str] = {}
    for kind, forms in FORMS.items():  # the holders, in random order, take each form once, then forms at random
        holders = [i for i, plan in enumerate(plans) if kind in plan]
        for rank, index in enumerate(rng.permutation(holders)):
            form_of[int(index), kind] = forms[rank] if rank < len(forms) else forms[int(rng.integers(len(forms)))]
    return [[(kind, form_of.get((i, kind), "")) for kind in plan] for i, plan in enumerate(plans)]


def _shares_initial(person: Person) -> bool:
    """Whether an author outside the authority file shares a controlled name's surname and forename initial."""
    return any(surname == person.surname and forename[0] == person.forename[0] for surname, forename, _ in PEOPLE)


def build_batch(params: Params) -> tuple[list[Record], list[Record], list[Record], list[dict[str, str]]]:
    """(input records, expected records, authority records, planted defects)."""
    sc = SCENARIOS[params["scenario"]]
    rng = np.random.default_rng(params["seed"])
    people = _people(rng)
    by_heading = {p.heading: p for p in people}
    traps = {int(i) for i in rng.choice(sc["records"], size=TRAPS_PER_BATCH, replace=False)}
    picked = rng.choice(len(NAMESAKES), size=NAMESAKES_PER_BATCH, replace=False)
    places = rng.choice(sc["records"], size=NAMESAKES_PER_BATCH, replace=False)
    namesakes = {int(i): Person(*NAMESAKES[int(k)], lccn="") for i, k in zip(places, picked, strict=True)}
    if not any(_shares_initial(p) for p in namesakes.values()):
        # from a stream of its own, so that batches which already hold such a namesake do not shift
        extra = np.random.default_rng([params["seed"], 1])
        twin = INITIAL_NAMESAKES[int(extra.integers(len(INITIAL_NAMESAKES)))]
        namesakes[int(places[-1])] = Person(*twin, lccn="")
    truths = [build_record(i, rng, sc, people, trap=i in traps, namesake=namesakes.get(i))
              for i in range(sc["records"])]
    inputs = [_copy(r) for r in truths]
    defects: list[dict[str, str]] = []
    for truth, damaged, plan in zip(truths, inputs, _plan_defects(inputs, rng, by_heading), strict=True):
        for kind, form in plan:
            if kind == "isbn_check":
                _truth_for_isbn_check(truth, damaged, rng)
            else:
                plant(kind, form, damaged, rng, by_heading)
            defects.append({"record_id": record_id(truth), "kind": kind, "tag": DEFECT_TAG[kind]})
        if plan:
            stamp(truth)
    authorities = [authority_record(p, rng) for p in people]
    return inputs, truths, authorities, defects


def _write_marc(records: list[Record], path: Path, *, utf8_leader: bool = True) -> None:
    with path.open("wb") as handle:
        for record in records:
            record.force_utf8 = True
            record.to_unicode = utf8_leader and record.leader[9] == "a"
            handle.write(record.as_marc())


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    inputs, truths, authorities, defects = build_batch(params)
    _write_marc(inputs, input_dir / "batch.mrc")
    _write_marc(authorities, input_dir / "authorities.mrc")
    _write_marc(truths, reference_dir / "expected.mrc")
    (reference_dir / "defects.json").write_text(json.dumps(defects, indent=1))


# -- grading ------------------------------------------------------------------------------------


def field_key(field: Field) -> tuple[Any, ...]:
    if field.is_control_field():
        return (field.tag, field.data)
    return (field.tag, field.indicator1, field.indicator2, tuple((s.code, s.value) for s in field.subfields))


def leader_key(record: Record) -> str:
    leader = str(record.leader)
    return leader[5:12] + leader[17:24]


def read_marc_bytes(data: bytes) -> tuple[list[Record], int]:
    """Records read as UTF-8 whatever leader/09 says, and the count of unreadable records."""
    records, bad = [], 0
    try:
        for record in MARCReader(data, force_utf8=True, permissive=True, utf8_handling="replace"):
            if record is None:
                bad += 1
            else:
                records.append(record)
    except Exception:  # pymarc raises a range of errors on a corrupt stream
        bad += 1
    return records, bad


def _read_xml(g: Grading, path: Path) -> list[Record] | None:
    try:
        records = parse_xml_to_array(io.BytesIO(path.read_bytes()), strict=False)
    except Exception as exc:  # SAX and pymarc errors on malformed MARCXML
        g.check("cleaned.xml is MARCXML that pymarc reads", False, reason=f"{type(exc).__name__}: {exc}")
        return None
    return [r for r in records if r is not None]


def record_id(record: Record) -> str:
    fields = record.get_fields("001")
    return fields[0].data if fields else ""


def _by_id(records: list[Record]) -> dict[str, Record]:
    return {record_id(r): r for r in records}


def _part(record: Record, kind: str) -> Any:
    """The part of a record that one defect class concerns."""
    tag = DEFECT_TAG[kind]
    if tag == "LDR":
        leader = str(record.leader)
        return leader[9] if kind == "leader09" else leader[6:8] + leader[18]
    return [field_key(f) for f in record.get_fields(tag)]


def _check_defects(g: Grading, got: dict[str, Record], want: dict[str, Record], defects: list[dict[str, str]]) -> None:
    for kind in dict.fromkeys(d["kind"] for d in defects):
        mine = [d for d in defects if d["kind"] == kind]
        bad = [d["record_id"] for d in mine
               if d["record_id"] not in got or _part(got[d["record_id"]], kind) != _part(want[d["record_id"]], kind)]
        g.share(f"fixed: {DEFECT_LABEL[kind]}", len(mine) - len(bad), len(mine), weight=2, noun="planted defects",
                wrong=[f"not fixed in {rid}" for rid in bad])


def _collateral(got: Record, want: Record, touched: set[str]) -> str:
    """'' when every field outside the defect tags (and 005/040) equals the expected record."""
    skip = touched | {"005", "040"}
    if [f.tag for f in got.fields if f.tag not in touched] != [f.tag for f in want.fields if f.tag not in touched]:
        return "field sequence changed"
    for tag in dict.fromkeys(f.tag for f in want.fields):
        if tag not in skip and [field_key(f) for f in got.get_fields(tag)] != [field_key(f) for f in want.get_fields(tag)]:
            return f"{tag} altered"
    if "LDR" not in touched and leader_key(got) != leader_key(want):
        return "leader altered"
    return ""


def _check_damage_and_stamps(g: Grading, got: dict[str, Record], want: dict[str, Record],
                             defects: list[dict[str, str]]) -> None:
    touched: dict[str, set[str]] = {}
    for d in defects:
        touched.setdefault(d["record_id"], set()).add(d["tag"])
    damage, stamps = [], []
    for rid, expected in want.items():
        record = got.get(rid)
        if record is None:
            continue
        if problem := _collateral(record, expected, touched.get(rid, set())):
            damage.append(f"{rid}: {problem}")
        same = all([field_key(f) for f in record.get_fields(t)] == [field_key(f) for f in expected.get_fields(t)]
                   for t in ("005", "040"))
        if not same:
            stamps.append(rid)
    g.share("no collateral damage (fields needing no change are identical, clean records untouched)",
            len(want) - len(damage), len(want), weight=3, noun="records", wrong=damage)
    g.share("005 and 040 $d updated on exactly the changed records", len(want) - len(stamps), len(want), weight=1,
            noun="records", wrong=[f"wrong in {rid}" for rid in stamps])


def _check_xml(g: Grading, binary: list[Record]) -> None:
    xml = _read_xml(g, g.output("cleaned.xml"))
    if xml is None:
        return
    a = [(leader_key(r), [field_key(f) for f in r.fields]) for r in binary]
    b = [(leader_key(r), [field_key(f) for f in r.fields]) for r in xml]
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y]
    ok = len(a) == len(b) and not diff
    g.check("MARCXML export holds the same records as cleaned.mrc", ok, weight=2,
            expected=f"{len(a)} records", found=f"{len(b)} records",
            reason="" if ok else f"{len(diff)} records differ, first at position {diff[0] + 1}" if diff
            else "record counts differ")


BLANK_SIGNS = str.maketrans("\\#_", "   ")  # how a report may show a blank leader position or indicator
SUBFIELD_MARK = re.compile(r"[$‡ǂ|\x1f]")


def _plain(text: str) -> str:
    """Text as report values are compared: NFC, casefolded, without spaces and punctuation (hyphens kept)."""
    return re.sub(r"[\s.,;:/'\"()\[\]]+", "", unicodedata.normalize("NFC", text)).casefold()


def _leader_shown(text: str) -> dict[int, str]:
    """The leader positions a report value shows: the whole leader, or 'position=character' pairs ('07=m; 18=i')."""
    whole = re.sub(r"^=?(?:LDR|leader)\b[\s:]*", "", text, flags=re.IGNORECASE).translate(BLANK_SIGNS)
    if re.fullmatch(r"[\d ]{5}.{7}[\d ]{5}.{3}\d{4}", whole):  # lengths and addresses may be blank, the entry map not
        return dict(enumerate(whole))
    pairs = re.findall(r"(?<!\d)/?(\d{1,2})\s*[=:]\s*(blank|[a-z0-9\\#_])", text, flags=re.IGNORECASE)
    return {int(pos): " " if char.lower() == "blank" else char.translate(BLANK_SIGNS) for pos, char in pairs}


def _indicators_shown(text: str) -> str | None:
    """The indicators a 245 report value shows, blanks left out ('10', '1 0', '1\\', '10$aThe ...', 'ind1=1 ind2=0');
    None when the text before the first subfield holds anything but indicators."""
    head = SUBFIELD_MARK.split(text, maxsplit=1)[0].casefold()
    head = re.sub(r"^=?245\b|\b(?:first|second|1st|2nd|ind(?:icator)?s?[12]?)\b|[=:]", " ", head)
    return re.sub(r"[\s\\#_,;/]", "", head) if re.fullmatch(r"[\d\s\\#_,;/]*", head) else None


def _isbn_digits(text: str) -> str:
    return re.sub(r"[\s-]", "", text)


def _deleted_020(before: Record) -> Field | None:
    """The 020 of the batch record that repeats an earlier one exactly."""
    seen: list[tuple[Any, ...]] = []
    for field in before.get_fields("020"):
        if field_key(field) in seen:
            return field
        seen.append(field_key(field))
    return None


def _row_shows(kind: str, old: str, new: str, before: Record, after: Record) -> bool:
    """Whether one report row's old and new values show this correction: what the batch record held and what the
    cleaned record holds at the corrected place."""
    if kind in ("leader", "leader09"):
        was, now = str(before.leader), str(after.leader)
        places = [9] if kind == "leader09" else [p for p in (6, 7, 18) if was[p] != now[p]]
        old_shown, new_shown = _leader_shown(old), _leader_shown(new)
        return all(old_shown.get(p) == was[p] and new_shown.get(p) == now[p] for p in places)
    if kind == "ind245":
        was, now = (re.sub(r"\s", "", "".join(r.get_fields("245")[0].indicators)) for r in (before, after))
        return _indicators_shown(old) == was and _indicators_shown(new) == now
    if kind == "date1":
        was, now = (r.get_fields("008")[0].data[7:11].casefold() for r in (before, after))
        return was in _plain(old) and now in _plain(new)
    if kind == "dup_020":
        deleted = _deleted_020(before)
        isbns = [_isbn_digits(s.value) for s in (deleted.subfields if deleted else []) if s.code in "az"]
        return bool(isbns) and all(i in _isbn_digits(old) for i in isbns) and not re.search(r"\d{9}", _isbn_digits(new))
    tag = DEFECT_TAG[kind]
    was_fields, now_fields = before.get_fields(tag), after.get_fields(tag)
    if kind == "isbn_check":  # the invalid ISBN, in $a before and in $z after
        moved = {s.value for f in now_fields for s in f.subfields if s.code == "z"}
        return any(_plain(s.value) in _plain(old) and _plain(s.value) in _plain(new)
                   for f in was_fields for s in f.subfields if s.code == "a" and s.value in moved)
    # isbn_hyphen, name_auth: the subfields the correction replaced, and those it put in their place
    return any(all(_plain(s.value) in _plain(old) for s in f.subfields if s not in g.subfields)
               and all(_plain(s.value) in _plain(new) for s in g.subfields if s not in f.subfields)
               for f, g in zip(was_fields, now_fields, strict=False) if field_key(f) != field_key(g))


def _check_report(g: Grading, defects: list[dict[str, str]], inputs: dict[str, Record], want: dict[str, Record]) -> None:
    rows = g.read_csv("change_report.csv", required_columns=["record_id", "tag", "action", "old_value", "new_value"],
                      gate=False)
    if rows is None:
        return
    alias = {"000": "LDR", "LEADER": "LDR", "LDR": "LDR"}
    by_pair: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in rows:
        by_pair.setdefault((row["record_id"], alias.get(row["tag"].upper(), row["tag"])), []).append(row)
    listed = set(by_pair)
    needed = {(d["record_id"], d["tag"]) for d in defects}
    changed = {d["record_id"] for d in defects}
    missing = needed - listed
    spurious = {(rid, tag) for rid, tag in listed if rid not in changed and tag not in ("005", "040")}
    spurious |= {(rid, tag) for rid, tag in listed if rid not in want}
    score = (len(needed) - len(missing)) / (len(needed) + len(spurious)) if needed else 0.0
    reason = "; ".join([*(f"missing {r}/{t}" for r, t in sorted(missing)[:4]),
                        *(f"unexpected {r}/{t}" for r, t in sorted(spurious)[:3])])
    g.check("change report lists every correction and nothing on untouched records", score, weight=2, reason=reason)
    blank = []
    for d in defects:
        before, after = inputs[d["record_id"]], want[d["record_id"]]
        if not any(r["old_value"].split() != r["new_value"].split()
                   and _row_shows(d["kind"], r["old_value"], r["new_value"], before, after)
                   for r in by_pair.get((d["record_id"], d["tag"]), [])):
            blank.append(f"{d['record_id']}/{d['tag']}")
    g.share("change report rows show each correction's old and new values", len(defects) - len(blank), len(defects),
            noun="corrections", wrong=[f"no old/new values showing the change for {pair}" for pair in blank])


def grade(g: Grading) -> None:
    if not g.require_files("cleaned.mrc", "cleaned.xml", "change_report.csv"):
        return
    want_list, _ = read_marc_bytes(g.reference("expected.mrc").read_bytes())
    want = _by_id(want_list)
    defects = g.reference_json("defects.json")
    path = g.output("cleaned.mrc")
    data = path.read_bytes() if path.stat().st_size <= MAX_BYTES else b""
    records, bad = read_marc_bytes(data)
    ids = [record_id(r) for r in records]
    same = ids == [record_id(r) for r in want_list] and bad == 0
    if not g.check("cleaned.mrc holds every record, readable and in the original order", same, gate=True,
                   expected=len(want_list), found=len(records),
                   reason="" if same else f"{bad} unreadable; ids or order differ from the batch"):
        return
    got = _by_id(records)
    _check_defects(g, got, want, defects)
    _check_damage_and_stamps(g, got, want, defects)
    _check_xml(g, records)
    inputs, _ = read_marc_bytes((g.input_dir / "batch.mrc").read_bytes())
    _check_report(g, defects, _by_id(inputs), want)

