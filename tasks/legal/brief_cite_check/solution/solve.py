#!/usr/bin/env python3
"""Oracle: extract every citation of the brief with eyecite, resolve short forms, Id. and supra to their
authority, verify each quotation and pin cite against the star-paged library copy, check the citation's
volume, year and parallel cite, read the citator (scope of partial reversals included), and write the table
of authorities, the corrections list and the memo.

The near-miss adversaries (adversaries/_shortcuts.py links here) run this same file under another name,
and that name switches on one shortcut; run as solve.py, none is taken. short_forms_unchecked and supra_unchecked
never read a short form ("Name, 512 U.S. at 40") or a supra citation against the library (the citator is still read);
on a brief without supra (the federal rules allow none) supra_unchecked has nothing to skip and writes nothing.
id_pins_unchecked never reads an Id. citation's pin or quotation against the library (it still finds an Id. whose
quotation comes from another authority: the wrong antecedent). id_quotes_only, short_quotes_only and supra_quotes_only
read that form's quotations but never its pins; id_pins_only, short_pins_only and supra_pins_only its pins but never
its quotations (the supra ones, like supra_unchecked, write nothing on a brief without supra).

ALE-CANARY-b43a7ceb-db6d-412e-be00-d99dc7e1bc76
"""

import csv
import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from eyecite import get_citations

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
SHORTCUT = Path(__file__).name.removesuffix(".py")
SHORT_FORMS = ("IdCitation", "ShortCaseCitation", "SupraCitation")
UNCHECKED_FORM = {"short_forms_unchecked": "ShortCaseCitation", "supra_unchecked": "SupraCitation"}.get(SHORTCUT)
# the form whose citations a shortcut reads against the library for some error kinds only, and the kinds it never reports
UNREAD_FORM, UNREAD_KINDS = {
    "id_pins_unchecked": ("IdCitation", ("wrong_pin", "misquotation")),
    "id_quotes_only": ("IdCitation", ("wrong_pin",)), "id_pins_only": ("IdCitation", ("misquotation",)),
    "short_quotes_only": ("ShortCaseCitation", ("wrong_pin",)), "short_pins_only": ("ShortCaseCitation", ("misquotation",)),
    "supra_quotes_only": ("SupraCitation", ("wrong_pin",)), "supra_pins_only": ("SupraCitation", ("misquotation",)),
}.get(SHORTCUT, ("", ()))
TYPES = ("misquotation", "wrong_pin", "wrong_citation", "bad_law", "wrong_antecedent", "emphasis_not_noted",
         "not_in_library")


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", re.sub(r"[\[\]]", "", text.lower()).replace("-", " ")).split())


@dataclass
class Authority:
    key: str
    name: str
    short: str
    statute: bool = False
    volume: str = ""
    reporter: str = ""
    year: str = ""
    parallel: str = ""
    pages: dict = field(default_factory=dict)  # page -> original text of the page

    def full(self) -> str:
        if self.statute:
            return self.key
        court = {"F.3d": "9th Cir. ", "F.4th": "9th Cir. ", "F. Supp. 3d": "D. Or. "}.get(self.reporter, "")
        parallel = f", {self.parallel}" if self.parallel else ""
        return f"{self.name}, {self.key}{parallel} ({court}{self.year})"


def load_library() -> dict[str, Authority]:
    library = {}
    for path in sorted((INPUT / "library").glob("*.txt")):
        text = path.read_text()
        first = text.splitlines()[0].strip()
        if first.startswith("Or. Rev. Stat."):
            body = " ".join(re.sub(r"^\(\d+\)\s*", "", ln) for ln in text.splitlines() if ln.startswith("("))
            library[first] = Authority(first, first, first, statute=True, pages={0: body})
            continue
        reported = re.search(r"Reported at: (\d+) (.+?) (\d+)(?:; parallel citation (.+))?$", text, re.M)
        year = re.search(r"Decided: (\d{4})", text).group(1)
        volume, reporter, page, parallel = reported.groups()
        body = text.split("OPINION", 1)[1]
        pages, current = {}, int(page)
        for piece in re.split(r"(\*\d+)\s", body):
            if re.fullmatch(r"\*\d+", piece):
                current = int(piece[1:])
            else:
                pages[current] = pages.get(current, "") + " " + piece
        name = " v. ".join(part.title() for part in first.split(" V. "))
        key = f"{volume} {reporter} {page}"
        library[key] = Authority(key, name, name.split(" v. ")[0], volume=volume, reporter=reporter, year=year,
                                 parallel=parallel or "", pages=pages)
    return library


def by_short(library: dict, text: str | None) -> Authority | None:
    words = (text or "").replace(",", " ").split()
    return next((a for a in library.values() if not a.statute and words and a.short.lower() == words[-1].lower()), None)


def pin_of(value: str | None) -> int | None:
    hit = re.search(r"\d+", value or "")
    return int(hit.group()) if hit else None


@dataclass
class Cite:
    page: int
    form: str
    key: str
    authority: Authority | None
    pin: int | None
    quote: str
    emphasis_noted: bool
    written: object
    year: str = ""


def extract(brief: str, library: dict) -> list[Cite]:
    marks = [(m.start(), int(m.group(1))) for m in re.finditer(r"^\[Page (\d+)\]", brief, re.M)]

    def page_at(pos: int) -> int:
        return max((p for start, p in marks if start <= pos), default=1)

    found = sorted(get_citations(brief), key=lambda c: c.span()[0])
    if SHORTCUT == "regex_only":
        found = [c for c in found if type(c).__name__ not in SHORT_FORMS]
    cites: list[Cite] = []
    prev_end, last_extra = 0, ""
    for i, c in enumerate(found):
        form = type(c).__name__
        start, end = c.span()
        if form == "FullCaseCitation" and last_extra and c.matched_text() in last_extra:
            prev_end, last_extra = end, ""
            continue  # the parallel cite of the preceding citation
        meta = c.metadata
        last_extra = getattr(meta, "extra", None) or ""
        if form == "FullLawCitation":
            key = f"{c.groups['reporter']} § {c.groups['section']}"
            auth, pin = library.get(key), None
        elif form == "FullCaseCitation":
            auth = by_short(library, getattr(meta, "plaintiff", None))
            if auth is None:  # eyecite leaves the name out after some signals and corporate suffixes
                names = re.findall(r"([A-Z][\w'-]+) v\. ", brief[max(0, start - 150):start])
                auth = by_short(library, names[-1]) if names else None
            key = auth.key if auth else f"{c.groups['volume']} {c.groups['reporter']} {c.groups['page']}"
            pin = pin_of(meta.pin_cite) or int(c.groups["page"])
        elif form == "IdCitation":
            if not cites:
                continue
            auth, key = cites[-1].authority, cites[-1].key
            pin = pin_of(meta.pin_cite) or cites[-1].pin
        elif form in ("ShortCaseCitation", "SupraCitation"):
            # the name written just before the short form, checked against its volume and reporter, identifies
            # the case more surely than eyecite's antecedent guess (which can take a name from the sentence before)
            named = re.findall(r"([A-Z][\w'-]+),\s*(?:supra,\s*)?$", brief[max(0, start - 60):start])
            auth = by_short(library, named[-1] if named else meta.antecedent_guess)
            if auth is None and form == "ShortCaseCitation":
                auth = next((a for a in library.values() if a.volume == c.groups.get("volume")
                             and a.reporter == c.groups.get("reporter")), None)
            if auth is None:
                continue
            key, pin = auth.key, pin_of(meta.pin_cite)
        else:
            continue
        quotes = re.findall(r'"([^"]+)"', brief[prev_end:start])
        later = [d for d in found[i + 1:] if d.matched_text() not in last_extra]
        following = later[0].span()[0] if later else len(brief)
        after = brief[end:following].split('"')[0]
        # eyecite sometimes takes the year of a later citation: read the citation's own parenthetical
        year = re.match(r"[^()]*?\([^()]*?(\d{4})\)", brief[end:following])
        cites.append(Cite(page_at(start), form, key, auth, pin, quotes[-1] if quotes else "",
                          "emphasis added" in after.lower(), c, year.group(1) if year else ""))
        prev_end = end
    return cites


def best_span(quote: str, authority: Authority, pin: int | None) -> str:
    """The passage of the authority a misquotation was taken from, as the opinion words it (on the pin page
    when a passage there is as close as any elsewhere)."""
    target, best, score = norm(quote), "", 0.0
    first, last = target.split()[0], target.split()[-1]
    pages = sorted(authority.pages.items(), key=lambda item: item[0] != pin)
    for _, text in pages:
        for sentence in re.split(r"(?<=\.)\s+", text.strip()):
            words = sentence.rstrip(".").split()
            for i in range(len(words)):
                candidate = " ".join(words[i:])
                if norm(words[i]) != first or norm(words[-1]) != last:
                    continue
                ratio = difflib.SequenceMatcher(None, target, norm(candidate)).ratio()
                if ratio > score:
                    best, score = candidate, ratio
    return best


def pages_with(quote: str, authority: Authority) -> list[int]:
    target = f" {norm(quote)} "
    return [p for p, text in sorted(authority.pages.items()) if target in f" {norm(text)} "]


def check(cites: list[Cite], library: dict, citator: list[dict]) -> list[dict]:
    errors: list[dict] = []

    def add(cite: Cite, kind: str, key: str, correction: str) -> None:
        if not any(e["page"] == cite.page and e["authority"] == key and e["error_type"] == kind for e in errors):
            errors.append({"page": cite.page, "authority": key, "error_type": kind, "correction": correction})

    for cite in cites:
        auth = cite.authority
        if cite.form == UNCHECKED_FORM:
            continue
        unread = UNREAD_KINDS if cite.form == UNREAD_FORM else ()
        if auth is None:
            if cite.form == "FullCaseCitation":
                add(cite, "not_in_library", cite.key, "not in the record library: remove or replace the authority")
            continue
        if cite.form == "FullCaseCitation":
            g, meta = cite.written.groups, cite.written.metadata
            extra = (meta.extra or "").strip(", ")
            if (g["volume"], g["reporter"], g["page"]) != (auth.volume, auth.reporter, auth.key.rsplit(" ", 1)[1]) \
                    or cite.year != auth.year or (auth.parallel and auth.parallel not in extra):
                add(cite, "wrong_citation", auth.key, auth.full())
        if cite.quote:
            hits = pages_with(cite.quote, auth)
            if hits:
                if not auth.statute and cite.pin not in hits and SHORTCUT != "quotes_no_pin" \
                        and "wrong_pin" not in unread:
                    add(cite, "wrong_pin", auth.key, str(hits[0]))
            else:
                elsewhere = [(a, pages_with(cite.quote, a)) for a in library.values() if a is not auth]
                elsewhere = [(a, p) for a, p in elsewhere if p]
                if elsewhere and cite.form in SHORT_FORMS:
                    other, pages = elsewhere[0]
                    add(cite, "wrong_antecedent", other.key, f"{other.short}, {other.volume} {other.reporter} at {pages[0]}")
                elif "misquotation" not in unread:
                    add(cite, "misquotation", auth.key, best_span(cite.quote, auth, cite.pin))
            if "_" in cite.quote and not cite.emphasis_noted:
                add(cite, "emphasis_not_noted", auth.key, 'add "(emphasis added)" after the citation')
    if SHORTCUT != "no_citator":
        for row in citator:
            treatment = row["treatment"].lower()
            if "overruled" not in treatment and "reversed" not in treatment:
                continue
            span = re.search(r"pages (\d+)-(\d+)", row["scope"]) if "in part" in treatment else None
            for cite in cites:
                if cite.key != row["citation"]:
                    continue
                if span and not int(span.group(1)) <= (cite.pin or 0) <= int(span.group(2)):
                    continue
                add(cite, "bad_law", cite.key, f"{row['treatment']} by {row['citing_case']}, {row['citing_citation']}")
    return errors


def write_outputs(cites: list[Cite], errors: list[dict], library: dict, citator: list[dict]) -> None:
    rules = (INPUT / "citation_rules.md").read_text()
    passim = int(re.search(r"cited on (\d+) or more pages", rules).group(1))
    toa: dict[str, dict] = {}
    for cite in cites:
        if SHORTCUT == "toa_full_only" and cite.form in SHORT_FORMS:
            continue
        statute = cite.form == "FullLawCitation" or (cite.authority is not None and cite.authority.statute)
        entry = toa.setdefault(cite.key, {"category": "statutes" if statute else "cases", "pages": set()})
        entry["pages"].add(cite.page)
    with (OUTPUT / "table_of_authorities.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["authority", "category", "pages"])
        for key, entry in sorted(toa.items(), key=lambda kv: (kv[1]["category"], kv[0])):
            pages = "passim" if len(entry["pages"]) >= passim else ", ".join(map(str, sorted(entry["pages"])))
            writer.writerow([key, entry["category"], pages])
    errors.sort(key=lambda e: (e["page"], e["authority"], e["error_type"]))
    with (OUTPUT / "corrections.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["page", "authority", "error_type", "correction"])
        writer.writeheader()
        writer.writerows(errors)
    (OUTPUT / "cite_check_memo.md").write_text(memo(cites, errors, library, citator))


def memo(cites: list[Cite], errors: list[dict], library: dict, citator: list[dict]) -> str:
    lines = ["# Cite-check memo", "", "To: supervising partner", "Re: cite-check of Appellant's Opening Brief", "",
             "## Errors by type", ""]
    lines += [f"- {kind}: {sum(e['error_type'] == kind for e in errors)}" for kind in TYPES]
    lines += ["", "## Corrections to make before filing", ""]
    lines += [f"- Page {e['page']}, {e['authority']} ({e['error_type']}): {e['correction']}" for e in errors]
    bad = [e for e in errors if e["error_type"] == "bad_law"]
    lines += ["", "## Subsequent history", ""]
    if not bad:
        lines += ["No authority relied on has negative subsequent history.", "",
                  "Assessment: no authority relied on is bad law; the argument survives as written."]
        return "\n".join(lines) + "\n"
    key = bad[0]["authority"]
    row = next(r for r in citator if r["citation"] == key)
    lines.append(f"{library[key].name}, {key}, was {row['treatment']} by {row['citing_case']}, {row['citing_citation']}"
                 + (f" ({row['scope']})" if row["scope"] else "") + ".")
    relied = next((c for c in cites if c.key == key and c.quote and c.page == bad[0]["page"]), None)
    proposition = relied.quote if relied else ""
    support = [a for a in {c.key: c.authority for c in cites if c.authority}.values()
               if a.key != key and not a.statute and proposition and pages_with(proposition, a)]
    lines += ["", f'The brief relies on {library[key].name} on page {bad[0]["page"]} for the proposition that '
              f'"{proposition}."', ""]
    other = None
    if SHORTCUT == "bare_verdict":  # the verdict without reading the other authority
        lines.append("Assessment: the argument does not survive without new authority.")
    elif support:
        other = support[0]
        at = pages_with(proposition, other)[0]
        if SHORTCUT == "page_spray":  # every page of the opinion, so that the right one is among them
            at = ", ".join(map(str, sorted(other.pages)))
        lines.append(f"Assessment: the argument survives: {other.full()}, at {at}, which the brief also "
                     f"cites and which is good law, states the same rule in the same words; the brief should rest the "
                     f"proposition on {other.key} and drop {key}.")
    else:
        # the other authority's nearest statement of the point: the case the brief cites with "Accord" for it (any
        # cited case when it names none) read for the sentence closest to the proposition (the accord case words it
        # with another modal; another case may word it with another verb, which reads closer)
        named = re.search(r"\bAccord ([A-Z][\w'-]+)", (INPUT / "brief.md").read_text())
        accord = by_short(library, named.group(1)) if named else None
        target = norm(proposition)
        nearest = max(((difflib.SequenceMatcher(None, target, norm(sentence)).ratio(), a, page, sentence.strip())
                       for a in {c.key: c.authority for c in cites if c.authority}.values()
                       if a.key != key and not a.statute and accord in (None, a)
                       for page, text in a.pages.items() for sentence in re.split(r"(?<=\.)\s+", text.strip())),
                      key=lambda item: item[0], default=None)
        if nearest:
            _, other, at, sentence = nearest
            if SHORTCUT == "page_spray":
                at = ", ".join(map(str, sorted(other.pages)))
            lines.append(f"Assessment: the argument does not survive on the authority cited: the brief's other authority "
                         f"for the point, {other.full()}, states a different rule at {at} (\"{sentence}\"), "
                         f"so the point needs new authority or must be recast.")
        else:
            lines.append("Assessment: the argument does not survive: no other authority the brief cites states the rule.")
    if SHORTCUT == "reversed_assessment":  # the opposite conclusion, worded so that a phrase search reads the right one
        lines[-1] = (lines[-1].replace("the argument survives:", "the argument no longer survives:")
                     .replace("states the same rule in the same words", "states a different rule")
                     .replace("Assessment: the argument does not survive",
                              "Assessment: it is wrong to say that the argument does not survive")
                     .replace("states a different rule at", "states the same rule at"))
    survives = "the argument survives" in lines[-1]
    if SHORTCUT == "conclusion_reversed":  # the Assessment right, then the other verdict as the memo's conclusion
        lines += ["", f"Conclusion: the argument {'does not survive' if survives else 'survives'} on the brief's other "
                      "authority."]
    if SHORTCUT == "conclusion_reworded":  # the Assessment right, then the other verdict in words without "survive"
        lines += ["", f"Conclusion: the argument {'falls with the overruled case' if survives else 'still stands'}."]
    if SHORTCUT == "conclusion_pronoun":  # the Assessment right, then the other verdict with "it" for the argument
        lines += ["", "Conclusion: the argument rests on the overruled case; it "
                      f"{'fails with that case' if survives else 'still stands'}."]
    if SHORTCUT == "conclusion_no_subject":  # the Assessment right, then the other verdict with no argument named
        lines += ["", f"Conclusion: it {'falls with that case' if survives else 'still stands'}."]
    if SHORTCUT == "conclusion_carried":  # the Assessment right, then the other verdict as the other authority carrying it
        name = other.name.split(" v. ")[0] if other else "the brief's other authority"
        lines += ["", f"Conclusion: {name} {'does not carry' if survives else 'carries'} the argument."]
    if SHORTCUT == "conclusion_hedged_contrary":  # the Assessment right, then the other verdict with a possibility
        name = other.name.split(" v. ")[0] if other else "the brief's other authority"
        lines += ["", f"Conclusion: the argument {'may well be dead' if survives else 'could well survive'}; "
                      f"{name} is {'insufficient' if survives else 'enough'} to carry the argument."]
    if SHORTCUT == "rejected_assessment":  # the other verdict, put as the rejection of the right one
        lines[-1] = lines[-1].replace("Assessment: the argument", "Assessment: I reject the view that the argument", 1)
    if SHORTCUT == "negated_assessment":  # the other verdict, or none, under a negation a phrase search misses
        lines[-1] = (lines[-1].replace("the argument survives:", "the argument does not, on this record, survive:")
                     .replace("Assessment: the argument does not survive",
                              "Assessment: I am not persuaded that the argument does not survive"))
    if SHORTCUT == "summary_reversed":  # the Assessment right, then the other verdict under a Summary heading
        lines += ["", "## Summary", "", f"The argument {'does not survive' if survives else 'survives'}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    library = load_library()
    with (INPUT / "citator.csv").open() as handle:
        citator = list(csv.DictReader(handle))
    cites = extract((INPUT / "brief.md").read_text(), library)
    if SHORTCUT.startswith("supra_") and not any(c.form == "SupraCitation" for c in cites):
        return
    errors = check(cites, library, citator)
    write_outputs(cites, errors, library, citator)


main()
