"""Synthesis of one cite-check matter: the record library, the citator, the court's rules and the brief.

``build(jurisdiction, seed, cases)`` returns a ``Matter`` (``cases``: authorities the brief cites, 9 federal
or 8 state unless given): the input files' text and the truth by construction (every
citation's authority and brief page, and every planted error with its correction). The opinions are made
of template sentences, star-paged; the brief quotes and cites them, and errors are planted on chosen
citations after the brief's citation sequence is laid out, never two of one type on one page and authority (the
truth records one). The short forms, the Id. citations (besides the wrong antecedent) and in a state brief the supra
forms each carry a wrong pin and a misquotation; where the seed's own draw planted one of them on none of a form,
a stream of its own plants it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

SUBJECTS = ["a district court", "the trial court", "an employer", "a carrier", "the moving party", "a public body",
            "the agency", "a landlord", "an insurer", "the claimant", "a secured lender", "the defendant",
            "a reviewing court", "the plaintiff", "a fiduciary", "the hearing officer"]
MODALS = ["must", "may not", "should", "need not", "cannot"]
VERBS = ["consider", "disregard", "weigh", "apply", "set aside", "rely on", "defer to", "review", "credit",
         "exclude", "resolve", "enforce"]
OBJECTS = ["the totality of the circumstances", "evidence outside the administrative record",
           "the plain text of the governing statute", "a later-enacted regulation", "the parties' course of dealing",
           "the balance of hardships", "an unpleaded theory of liability", "the contemporaneous written record",
           "a forum-selection clause", "the expert's undisclosed opinions", "a waiver of the limitations period",
           "the arbitrator's factual findings", "a boilerplate indemnity provision", "the insured's reasonable expectations",
           "an oral modification of the lease", "the agency's informal guidance"]
TAILS = ["when the underlying facts are genuinely disputed", "unless the error was plainly harmless",
         "before granting summary judgment", "absent a clear showing of prejudice", "where the contract is ambiguous",
         "in ruling on a motion to dismiss", "once the record has closed", "without first giving notice to the parties",
         "if the statute of limitations has run", "merely because the parties are sophisticated",
         "in the absence of a specific objection", "when the legislature has spoken directly to the question"]
# words a careless transcription changes (the changed word of a misquotation)
SWAPS = {"must": "should", "should": "must", "cannot": "may not", "need": "may", "genuinely": "materially",
         "clear": "substantial", "plainly": "clearly", "specific": "timely", "directly": "clearly",
         "written": "documentary", "reasonable": "objective", "informal": "interpretive", "governing": "applicable",
         "undisclosed": "untimely", "later-enacted": "subsequent", "sophisticated": "represented"}
SURNAMES = ["Harlan", "Okafor", "Lindqvist", "Brannigan", "Castellanos", "Whitcombe", "Yazzie", "Prentiss", "Odegaard",
            "Marchetti", "Fairbanks", "Kowalczyk", "Delacroix", "Ashworth", "Nakashima", "Tollefson", "Quarles",
            "Rutherford", "Abernathy", "Villanueva", "Hollings", "Stroud", "Pemberton", "Ingersoll"]
COMPANIES = ["Dempsey Freight Co.", "Columbia Mutual Insurance Co.", "Cascade Timber LLC", "Pacific Grain Corp.",
             "Willamette Valley Bank", "Northstar Logistics, Inc.", "Summit Health Partners", "Riverbend Properties",
             "Coastal Marine Services", "Harbor View Apartments LLC", "Klamath Energy Corp.", "Tri-County Transit Dist.",
             "Evergreen Staffing, Inc.", "Blue Heron Holdings", "Deschutes County", "Sterling Surety Co."]
LEADINS = ["The court has made clear that", "As the court explained,", "It is settled that", "The rule is that",
           "Courts in this jurisdiction recognize that", "The controlling principle is that"]
FILLER = ["The judgment below cannot stand on this record.", "The district court's reasoning does not survive scrutiny.",
          "Appellee's contrary reading finds no support in the cases.", "That principle resolves this appeal.",
          "The point was preserved below.", "Nothing in the record suggests otherwise.",
          "The same reasoning applies with greater force here.", "Appellee does not seriously dispute the point."]
TYPES = ("misquotation", "wrong_pin", "wrong_citation", "bad_law", "wrong_antecedent", "emphasis_not_noted",
         "not_in_library")


def norm(text: str) -> str:
    """Quotation text for comparison: brackets, emphasis marks and punctuation gone, case folded."""
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", re.sub(r"[\[\]]", "", text.lower()).replace("-", " ")).split())


@dataclass
class Authority:
    """One case or statute of the matter (``pages`` maps a page to its sentences; a statute has page 0)."""

    key: str
    name: str
    short: str
    kind: str = "case"
    volume: int = 0
    reporter: str = ""
    page: int = 0
    year: int = 0
    court: str = ""
    parallel: str = ""
    pages: dict[int, list[str]] = field(default_factory=dict)
    in_library: bool = True

    def full(self, pin: int | None, *, volume: int | None = None, year: int | None = None,
             parallel: str | None = None) -> str:
        if self.kind == "statute":
            return f"{self.key} ({self.year})"
        head = f"{self.name}, {volume or self.volume} {self.reporter} {self.page}"
        if pin is not None and pin != self.page:
            head += f", {pin}"
        if parallel or self.parallel:
            head += f", {parallel or self.parallel}"
        paren = f"{self.court} {year or self.year}".strip()
        return f"{head} ({paren})"

    def short_form(self, pin: int, supra: bool) -> str:
        if supra:
            return f"{self.short}, supra, at {pin}"
        return f"{self.short}, {self.volume} {self.reporter} at {pin}"


@dataclass
class Move:
    """One citation in the brief, in reading order."""

    authority: Authority
    page: int  # brief page
    form: str  # full | short | supra | id
    pin: int | None
    quote: str = ""  # the true quoted span ("" for an unquoted proposition)
    emphasis: bool = False
    noted: bool = True
    error: str = ""
    written_quote: str = ""
    written_pin: int | None = None
    written_cite: str = ""
    correction: dict = field(default_factory=dict)
    locked: bool = False  # part of a construct: no other error on it
    lead: str = ""
    signal: str = ""


@dataclass
class Matter:
    files: dict[str, str]
    truth: dict


class Sentences:
    """Unique template sentences across the matter."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.used = rng, set()

    def make(self) -> str:
        while True:
            parts = [self.rng.choice(x) for x in (SUBJECTS, MODALS, VERBS, OBJECTS, TAILS)]
            text = " ".join(parts)
            text = text[0].upper() + text[1:] + "."
            tail = " ".join(parts[1:])
            if text not in self.used and tail not in self.used:
                self.used.update((text, tail))
                return text


def _opinion_pages(sentences: Sentences, rng: random.Random, first: int) -> dict[int, list[str]]:
    return {first + i: [sentences.make() for _ in range(rng.randint(4, 6))] for i in range(rng.randint(7, 11))}


def _cases(rng: random.Random, jurisdiction: str, sentences: Sentences, count: int) -> list[Authority]:
    names = rng.sample(SURNAMES, count + 3)
    companies = rng.sample(COMPANIES, count + 3)
    out = []
    for i in range(count + 3):
        if jurisdiction == "federal":
            reporter, court = rng.choice([("F.3d", "9th Cir."), ("F.3d", "9th Cir."), ("F.4th", "9th Cir."),
                                          ("U.S.", ""), ("F. Supp. 3d", "D. Or.")])
            year = {"F.3d": rng.randint(1998, 2020), "F.4th": rng.randint(2021, 2025), "U.S.": rng.randint(1990, 2023),
                    "F. Supp. 3d": rng.randint(2015, 2024)}[reporter]
            volume = {"F.3d": 150 + (year - 1998) * 40 + rng.randint(0, 35), "F.4th": 1 + (year - 2021) * 30 + rng.randint(0, 25),
                      "U.S.": 494 + (year - 1990) * 4 + rng.randint(0, 3), "F. Supp. 3d": 80 + (year - 2015) * 60 + rng.randint(0, 50)}[reporter]
            parallel = ""
        else:
            reporter = rng.choice(["Or.", "Or. App.", "Or. App."])
            year = rng.randint(2004, 2024)
            volume = (200 + (year - 2004) * 7 if reporter == "Or. App." else 337 + (year - 2004) * 2) + rng.randint(0, 5)
            court = ""
            parallel = f"{20 + (year - 2004) * 25 + rng.randint(0, 20)} P.3d {rng.randint(10, 1200)}"
        first = rng.randint(12, 980)
        name = f"{names[i]} v. {companies[i]}" if rng.random() < 0.7 else f"{names[i]} v. {SURNAMES[-1 - i]}"
        case = Authority(key=f"{volume} {reporter} {first}", name=name, short=names[i], volume=volume, reporter=reporter,
                         page=first, year=year, court=court, parallel=parallel)
        case.pages = _opinion_pages(sentences, rng, first)
        out.append(case)
    return out


def _statutes(rng: random.Random, sentences: Sentences) -> list[Authority]:
    out = []
    for chapter in rng.sample(["30.020", "31.600", "12.110", "18.160", "20.080", "31.150"], 2):
        key = f"Or. Rev. Stat. § {chapter}"
        out.append(Authority(key=key, name=key, short=key, kind="statute", year=2023,
                             pages={0: [sentences.make() for _ in range(4)]}))
    return out


def _quote_span(sentence: str, rng: random.Random) -> str:
    """The part of a sentence a brief quotes: all of it, or from the modal on."""
    body = sentence.rstrip(".")
    if rng.random() < 0.5:
        return body
    for modal in MODALS:
        at = body.find(f" {modal} ")
        if at > 0:
            return body[at + 1:]
    return body


def _mutate(span: str, rng: random.Random, pages_text: str, sentences: list[str]) -> str:
    """A misquotation: one word changed or dropped, never first or last, not found in the library, and not
    one word away from another passage of the same authority (so the quotation it garbles is certain)."""
    words = span.split()
    rivals = [ws[j:] for ws in (x.rstrip(".").split() for x in sentences) for j in range(len(ws))
              if len(ws) - j == len(words) and ws[j:] != words]
    for _ in range(50):
        i = rng.randint(1, len(words) - 2)
        w = words[i]
        if rng.random() < 0.5 and w in SWAPS:
            new = [*words[:i], SWAPS[w], *words[i + 1:]]
        elif len(w) >= 4 and w.isalpha():
            new = words[:i] + words[i + 1:]
        else:
            continue
        text = " ".join(new)
        if len(new) < len(words) and any(r[:i] + r[i + 1:] == new for r in rivals):
            continue
        if norm(text) not in pages_text:
            return text
    raise RuntimeError("no misquotation found")


def _emphasize(quote: str) -> str | None:
    for modal in MODALS:
        if re.search(rf"\b{modal}\b", quote):
            return re.sub(rf"\b{modal}\b", f"_{modal}_", quote, count=1)
    return None


def _written_quote(quote: str, sentence_start: bool) -> str:
    return f"[{quote[0].lower()}]{quote[1:]}" if sentence_start else quote


def build(jurisdiction: str, seed: int, cases: int | None = None) -> Matter:
    rng = random.Random(seed)
    sentences = Sentences(rng)
    n_cases = cases or (9 if jurisdiction == "federal" else 8)
    pool = _cases(rng, jurisdiction, sentences, n_cases)
    cases, spare = pool[:n_cases], pool[n_cases:]
    ghost, superseding, _ = spare  # a case not in the library; the case that overruled or reversed the bad one
    ghost.in_library = False
    statutes = _statutes(rng, sentences) if jurisdiction == "state" else []
    if jurisdiction == "state":
        bad = next(c for c in cases if c.reporter == "Or. App.") if any(c.reporter == "Or. App." for c in cases) else cases[0]
        if bad.reporter != "Or. App.":
            bad.reporter, bad.key = "Or. App.", f"{bad.volume} Or. App. {bad.page}"
        superseding.reporter, superseding.volume = "Or.", bad.volume // 3 + 290
        superseding.year = bad.year + 1
        superseding.key = f"{superseding.volume} Or. {superseding.page}"
        lo = sorted(bad.pages)[2]
        reversed_pages = (lo, lo + 2)
    else:
        bad = next((c for c in cases if c.reporter == "F.3d"), cases[0])
        if bad.reporter != "F.3d":  # only a Ninth Circuit decision can be overruled by the en banc court
            bad.reporter, bad.court, bad.year = "F.3d", "9th Cir.", rng.randint(1998, 2018)
            bad.volume = 150 + (bad.year - 1998) * 40 + rng.randint(0, 35)
            bad.key = f"{bad.volume} F.3d {bad.page}"
        superseding.reporter, superseding.court = "F.4th", "9th Cir."
        superseding.year = max(2021, bad.year + 3)
        superseding.volume = 1 + (superseding.year - 2021) * 30 + rng.randint(0, 25)
        superseding.key = f"{superseding.volume} F.4th {superseding.page}"
        reversed_pages = None
    others = [c for c in cases if c is not bad]
    accord = rng.choice(others)
    survives = rng.random() < 0.5

    # the proposition the argument takes from the bad authority, and the accord case's version of it
    p_page = rng.randint(*reversed_pages) if reversed_pages else rng.choice(sorted(bad.pages))
    proposition = rng.choice(bad.pages[p_page])
    accord_page = rng.choice(sorted(accord.pages))
    if survives:
        accord_sentence = proposition
    else:
        modal = next(m for m in MODALS if f" {m} " in proposition)
        other = rng.choice([m for m in MODALS if m != modal and m not in ("may not",) + (("cannot",) if modal == "may not" else ())])
        accord_sentence = proposition.replace(f" {modal} ", f" {other} ", 1)
    accord.pages[accord_page].insert(rng.randint(0, len(accord.pages[accord_page])), accord_sentence)

    moves = _lay_out(rng, jurisdiction, cases, statutes, bad, accord, proposition, p_page, accord_page,
                     reversed_pages, ghost)
    _plant(rng, jurisdiction, moves, cases, statutes, bad, superseding, reversed_pages)
    _plant_on_every_form(random.Random(f"{seed}:short forms"), jurisdiction, moves, cases, statutes)
    brief = _write_brief(rng, jurisdiction, moves)
    files = {"brief.md": brief, "citator.csv": _citator(rng, jurisdiction, cases, bad, superseding, reversed_pages),
             "citation_rules.md": _rules(jurisdiction)}
    for case in cases:
        files[f"library/{_slug(case)}.txt"] = _opinion_file(case, jurisdiction)
    for statute in statutes:
        files[f"library/ors_{statute.key.split('§ ')[1].replace('.', '_')}.txt"] = _statute_file(statute)
    truth = _truth(moves, bad, superseding, accord, survives)
    truth["accord_page"] = accord_page
    return Matter(files=files, truth=truth)


def _lay_out(rng, jurisdiction, cases, statutes, bad, accord, proposition, p_page, accord_page, reversed_pages, ghost):
    """The brief's citation sequence with pages (no errors yet)."""
    weights = {c.key: w for c, w in zip(cases, [6, 5, 3, 3] + [2] * (len(cases) - 4), strict=True)}
    authorities = cases + statutes
    for s in statutes:
        weights[s.key] = 2
    weights[bad.key] = 0  # placed by hand
    n_pages = rng.randint(13, 16)
    bad_pages = sorted(rng.sample(range(4, n_pages + 1), 3))
    triple_page = rng.choice([p for p in range(3, n_pages + 1) if p not in bad_pages])
    moves: list[Move] = []
    seen: set[str] = set()

    def cite(auth: Authority, page: int, quoted: bool, *, pin: int | None = None, quote: str = "",
             locked: bool = False) -> Move:
        prev = moves[-1].authority if moves else None
        if auth.kind == "statute":
            form = "id" if prev is auth and quoted else "full"
            sentence = rng.choice(auth.pages[0])
            move = Move(auth, page, form, None, quote or _quote_span(sentence, rng) if quoted else "",
                        locked=locked)
            move.lead = sentence
            seen.add(auth.key)
            moves.append(move)
            return move
        if pin is None:
            pin = rng.choice(sorted(auth.pages))
            if auth is bad and reversed_pages:
                pin = rng.choice([p for p in sorted(auth.pages) if not reversed_pages[0] <= p <= reversed_pages[1]])
            sentence = rng.choice(auth.pages[pin])
            quote = _quote_span(sentence, rng) if quoted else ""
            lead = sentence
        else:
            lead = quote + "."
        if auth.key not in seen:
            form = "full"
        elif prev is auth and quoted:
            form = "id"
        else:
            form = "supra" if jurisdiction == "state" and rng.random() < 0.5 else "short"
        seen.add(auth.key)
        move = Move(auth, page, form, pin, quote, locked=locked, lead=lead)
        moves.append(move)
        return move

    for page in range(1, n_pages + 1):
        if page in bad_pages:
            if page == bad_pages[0]:
                cite(bad, page, True, pin=p_page, quote=proposition.rstrip("."), locked=True)
                move = cite(accord, page, False, pin=accord_page, quote="", locked=True)
                move.signal = "Accord"
                move.lead = ""
            else:
                cite(bad, page, rng.random() < 0.6, locked=True)
        if page == triple_page:
            cited = [c for c in cases if c is not bad and c.key in seen]
            a, b = rng.sample(cited if len(cited) >= 2 else [c for c in cases if c is not bad], 2)
            cite(a, page, True, locked=True)
            cite(b, page, True, locked=True)
            pin = rng.choice(sorted(a.pages))
            sentence = rng.choice(a.pages[pin])
            moves.append(Move(a, page, "id", pin, _quote_span(sentence, rng), error="wrong_antecedent",
                              locked=True, lead=sentence, correction={"short": a.short, "pin": pin, "after": b.key}))
            moves[-1].written_pin = pin
        for _ in range(rng.randint(2, 3)):
            pool = [a for a in authorities if weights[a.key] > 0]
            auth = rng.choices(pool, [weights[a.key] for a in pool])[0]
            cite(auth, page, rng.random() < 0.65)
        if page == max(2, n_pages // 2):
            moves.append(Move(ghost, page, "full", rng.choice(sorted(ghost.pages)), "", error="not_in_library",
                              locked=True, lead=ghost.pages[sorted(ghost.pages)[0]][0], signal="See"))
    # an Id. right after the wrong-antecedent Id. would compound the error: make it a short form
    for i in range(1, len(moves)):
        if moves[i].form == "id" and moves[i - 1].error == "wrong_antecedent":
            moves[i].form = "short"
    return moves


def _plant(rng, jurisdiction, moves, cases, statutes, bad, superseding, reversed_pages):
    """Choose the citations that carry each planted error and record the corrections."""
    taken: set[tuple[int, str, str]] = set()

    def free(move: Move, kind: str) -> bool:
        return not move.locked and not move.error and (move.page, move.authority.key, kind) not in taken

    def mark(move: Move, kind: str, **correction) -> None:
        move.error, move.correction = kind, correction
        taken.add((move.page, move.authority.key, kind))

    # a citation is free only while no other of its page and authority carries the error: the truth records one
    # error per page, authority and type, so a second would have a correction the truth does not know
    quoted = [m for m in moves if m.quote and m.authority.kind == "case"]
    rng.shuffle(quoted)
    for move in _first_free(quoted, "wrong_pin", free, 3):
        _mispin(move, rng)
        mark(move, "wrong_pin", pin=move.pin)
    pool = [m for m in moves if m.quote]
    statute_quotes = [m for m in pool if m.authority.kind == "statute" and free(m, "misquotation")]
    for move in _first_free(statute_quotes[:1] + [m for m in pool if m.authority.kind == "case"], "misquotation", free, 3):
        _misquote(move, rng, cases, statutes)
        mark(move, "misquotation", quote=move.quote)
    # emphasis: two noted, one not
    emph = [m for m in moves if m.quote and not m.error and not m.locked and _emphasize(m.quote)]
    rng.shuffle(emph)
    for i, move in enumerate(emph[:3]):
        move.emphasis = True
        if i == 0:
            move.noted = False
            mark(move, "emphasis_not_noted")
    fulls = [m for m in moves if m.form == "full" and m.authority.kind == "case" and m.authority.in_library
             and free(m, "wrong_citation")]
    rng.shuffle(fulls)
    for i, move in enumerate(fulls[:2]):
        auth = move.authority
        if i == 0:
            move.written_cite = auth.full(move.pin, volume=auth.volume + rng.choice([-10, -1, 1, 10]))
        elif jurisdiction == "state" and auth.parallel:
            vol, rep, pg = auth.parallel.split(" ", 2)[0], "P.3d", auth.parallel.rsplit(" ", 1)[1]
            move.written_cite = auth.full(move.pin, parallel=f"{int(vol) + rng.choice([-1, 1, 2])} {rep} {pg}")
        else:
            move.written_cite = auth.full(move.pin, year=auth.year + rng.choice([-1, 1, 2]))
        mark(move, "wrong_citation", citation=auth.full(None), year=auth.year, parallel=auth.parallel, pin=move.pin)
    for move in moves:
        if move.authority is bad and (not reversed_pages or reversed_pages[0] <= move.pin <= reversed_pages[1]):
            move.error = "bad_law"
            move.correction = {"by": superseding.key}


def _first_free(moves: list[Move], kind: str, free: Callable[[Move, str], bool], count: int) -> Iterator[Move]:
    """The first ``count`` citations free to carry ``kind``, each judged after the ones before it took the error
    (the caller marks each as it comes)."""
    taken = 0
    for move in moves:
        if taken == count:
            return
        if free(move, kind):
            taken += 1
            yield move


def _misquote(move: Move, rng: random.Random, cases: list[Authority], statutes: list[Authority]) -> None:
    library = " | ".join(norm(x) for a in cases + statutes for p in a.pages.values() for x in p)
    own = [x for page in move.authority.pages.values() for x in page]
    move.written_quote = _mutate(move.quote, rng, library, own)


def _mispin(move: Move, rng: random.Random) -> None:
    pages = sorted(move.authority.pages)
    move.written_pin = rng.choice([p for p in pages if p != move.pin and abs(p - move.pin) <= 3])


def _plant_on_every_form(rng, jurisdiction, moves, cases, statutes):
    """A wrong pin and a misquotation on a short form, an Id. (and a supra form), each where no planted error of
    that kind sits on one, so that a cite-check reading only full citations against the library, or only the pins
    or only the quotations of one form, misses something on every brief. Id. comes last, so a brief whose short
    forms needed an error draws them as before; a brief with no Id. free to carry a kind gains an Id. quoting the
    authority a citation cites just before it."""
    for form in ("short", "supra", "id") if jurisdiction == "state" else ("short", "id"):
        while True:
            # the truth keys an error by page, authority and type: it sits on the first citation that carries it
            errors: dict[tuple[int, str, str], Move] = {}
            for move in moves:
                if move.error:
                    errors.setdefault((move.page, move.authority.key, move.error), move)
            missing = {"wrong_pin", "misquotation"} - {m.error for m in errors.values() if m.form == form}
            candidates = [(m, kind) for m in moves if m.form == form and not m.locked and not m.error and not m.emphasis
                          for kind in _open_kinds(m, errors) if kind in missing]
            if not candidates and form == "id":  # a new Id. after an unlocked citation (never the wrong antecedent's)
                antecedents = [(m, kind) for m in moves if not m.locked for kind in _open_kinds(m, errors)
                               if kind in missing]
                if antecedents:
                    antecedent, kind = rng.choice(antecedents)
                    candidates = [(_id_after(antecedent, moves, rng), kind)]
            if not candidates:
                break
            move, kind = rng.choice([c for c in candidates if c[0].quote] or candidates)
            if not move.quote:  # the error is one the library shows: the brief quotes the passage it cites
                move.quote = _quote_span(move.lead, rng)
            if kind == "wrong_pin":
                _mispin(move, rng)
                move.correction = {"pin": move.pin}
            else:
                _misquote(move, rng, cases, statutes)
                move.correction = {"quote": move.quote}
            move.error = kind


def _open_kinds(move: Move, errors: dict[tuple[int, str, str], Move]) -> list[str]:
    """The errors a citation can still carry: none its page and authority already have (the truth keys errors by
    both), and no wrong pin on a statute (it has no pages)."""
    return [kind for kind in ("wrong_pin", "misquotation") if (move.page, move.authority.key, kind) not in errors
            and (kind == "misquotation" or move.authority.kind == "case")]


def _id_after(antecedent: Move, moves: list[Move], rng: random.Random) -> Move:
    """An Id. quoting the antecedent's authority, inserted right after it on its brief page."""
    auth = antecedent.authority
    pin = rng.choice(sorted(auth.pages)) if auth.kind == "case" else None
    sentence = rng.choice(auth.pages[pin if pin is not None else 0])
    move = Move(auth, antecedent.page, "id", pin, _quote_span(sentence, rng), lead=sentence)
    moves.insert(moves.index(antecedent) + 1, move)
    return move


def _cite_text(move: Move, jurisdiction: str) -> str:
    auth = move.authority
    pin = move.written_pin if move.written_pin is not None else move.pin
    if move.written_cite:
        return move.written_cite
    if move.form == "full":
        return auth.full(pin)
    if move.form == "id":
        return "Id." if pin is None or (move.authority.kind == "statute") else f"Id. at {pin}"
    return auth.short_form(pin, move.form == "supra")


def _write_brief(rng, jurisdiction, moves) -> str:
    court = ("IN THE UNITED STATES COURT OF APPEALS FOR THE NINTH CIRCUIT" if jurisdiction == "federal"
             else "IN THE COURT OF APPEALS OF THE STATE OF OREGON")
    pages: dict[int, list[str]] = {}
    for i, move in enumerate(moves):
        cite = _cite_text(move, jurisdiction)
        prev_id = i > 0 and moves[i - 1].page == move.page
        if move.quote:
            written = move.written_quote or move.quote
            if move.emphasis:
                written = _emphasize(written) or written
            starts = move.lead.startswith(move.quote)
            text = f'{rng.choice(LEADINS)} "{_written_quote(written, starts)}." {cite}'
            if move.emphasis and move.noted:
                text += " (emphasis added)"
            text += "" if text.endswith(".") else "."
        else:
            signal = move.signal or rng.choice(["See", "See also"])
            holding = move.lead.rstrip(".")
            holding = holding[:1].lower() + holding[1:]
            if move.signal == "Accord":
                text = f"Accord {cite}."
            elif move.authority.kind == "statute":
                text = f"See {cite} (providing that {holding})."
            else:
                text = f"{signal} {cite} (holding that {holding})."
        if not prev_id or rng.random() < 0.3:
            text = rng.choice(FILLER) + " " + text
        pages.setdefault(move.page, []).append(text)
    out = [court, "", "APPELLANT'S OPENING BRIEF", ""]
    headings = {1: "STATEMENT OF THE CASE", 3: "ARGUMENT", 4: "I. The judgment rests on a misreading of the controlling rule",
                9: "II. The error was not harmless"}
    for page in sorted(pages):
        out.append(f"[Page {page}]")
        out.append("")
        if page in headings:
            out += [headings[page], ""]
        paragraph: list[str] = []
        for text in pages[page]:
            paragraph.append(text)
            if len(paragraph) >= rng.randint(2, 3):
                out += [" ".join(paragraph), ""]
                paragraph = []
        if paragraph:
            out += [" ".join(paragraph), ""]
    return "\n".join(out)


def _slug(case: Authority) -> str:
    return re.sub(r"[^a-z0-9]+", "_", case.name.lower()).strip("_")


def _opinion_file(case: Authority, jurisdiction: str) -> str:
    court = {"9th Cir.": "United States Court of Appeals for the Ninth Circuit", "": "Supreme Court of the United States",
             "D. Or.": "United States District Court for the District of Oregon"}.get(case.court, "")
    if jurisdiction == "state":
        court = "Court of Appeals of Oregon" if case.reporter == "Or. App." else "Supreme Court of Oregon"
    head = [f"{case.name.upper()}", "", f"Reported at: {case.volume} {case.reporter} {case.page}" +
            (f"; parallel citation {case.parallel}" if case.parallel else ""), f"Court: {court}",
            f"Decided: {case.year}", "", "OPINION", ""]
    body: list[str] = []
    paragraph: list[str] = []
    for number, sentences in sorted(case.pages.items()):
        for j, sentence in enumerate(sentences):
            paragraph.append((f"*{number} " if j == 0 and number != case.page else "") + sentence)
            if len(paragraph) == 4:
                body.append(" ".join(paragraph))
                paragraph = []
    if paragraph:
        body.append(" ".join(paragraph))
    return "\n".join(head) + "\n" + "\n\n".join(body) + "\n"


def _statute_file(statute: Authority) -> str:
    lines = [statute.key, "", "Oregon Revised Statutes (2023 edition)", ""]
    lines += [f"({i + 1}) {s}" for i, s in enumerate(statute.pages[0])]
    return "\n".join(lines) + "\n"


def _citator(rng, jurisdiction, cases, bad, superseding, reversed_pages) -> str:
    rows = ["citation,case_name,treatment,citing_case,citing_citation,scope"]

    def row(case: Authority, treatment: str, citing: str, citing_cite: str, scope: str) -> str:
        return ",".join(f'"{x}"' for x in (case.key, case.name, treatment, citing, citing_cite, scope))

    if reversed_pages:
        rows.append(row(bad, "reversed in part", superseding.name, superseding.key,
                        f"reversed as to the holding at pages {reversed_pages[0]}-{reversed_pages[1]} of the Court of "
                        "Appeals opinion; otherwise affirmed"))
    else:
        rows.append(row(bad, "overruled", superseding.name, f"{superseding.key} (en banc)",
                        "overruled; the rule of the case is no longer good law"))
    for case in cases:
        if case is bad:
            continue
        treatment = rng.choice(["followed", "distinguished", "cited", "explained"])
        rows.append(row(case, treatment, rng.choice(SURNAMES) + " v. " + rng.choice(COMPANIES),
                        f"{rng.randint(2, 99)} F.4th {rng.randint(10, 999)}" if jurisdiction == "federal" else
                        f"{rng.randint(320, 370)} Or. App. {rng.randint(10, 900)}", ""))
    extra = rng.choice([c for c in cases if c is not bad])
    if jurisdiction == "federal":
        rows.append(row(extra, "cert. denied", "", f"{rng.randint(500, 600)} U.S. {rng.randint(900, 1200)}", ""))
    else:
        rows.append(row(extra, "review denied", "", f"{rng.randint(340, 372)} Or. {rng.randint(100, 900)}", ""))
    return "\n".join(rows) + "\n"


def _rules(jurisdiction: str) -> str:
    common = """# Citation rules of the court (excerpt)

1. Full citation on first reference: case name, volume, reporter, first page, pin page, {paren}.
   {parallel}
2. Subsequent references: Id. (with "at" and the pin page when it changes) when the immediately preceding
   citation is to the same authority; otherwise a short form: {short}.
3. Quotations must be exact. Alterations are bracketed; omissions are marked with an ellipsis. Emphasis the brief
   adds to quoted text (italics, written _like this_ in the brief file) must be followed by "(emphasis added)".
4. Every pin cite must be the page of the reported opinion (star paging, *NNN, in the library copies) on which
   the quoted or cited passage appears.
5. Do not cite an authority for a proposition that has been overruled or reversed; check every authority's
   subsequent history.
6. Table of authorities: list every authority cited, cases and statutes separately, with every brief page on
   which it is cited in any form (full, short form, Id., supra). An authority cited on 5 or more pages is listed
   as "passim" instead of its pages.
7. Cite only authorities in the record library supplied to the court; a case not in the library must be removed
   or replaced.
"""
    if jurisdiction == "federal":
        return common.format(paren="and a parenthetical with the court and year (none for the U.S. Reports)",
                             parallel="Federal reporters only (U.S., F.3d, F.4th, F. Supp. 3d); no parallel citations.",
                             short="Name, volume Reporter at page")
    return common.format(paren="the parallel Pacific Reporter citation, and the year in parentheses",
                         parallel=("Oregon cases: official reporter (Or., Or. App.) first, then the parallel P.3d "
                                   "citation. Pin cites are to the official reporter. Statutes: Or. Rev. Stat. § "
                                   "section (year)."),
                         short="Name, volume Reporter at page, or Name, supra, at page")


def _truth(moves, bad, superseding, accord, survives) -> dict:
    toa: dict[str, dict] = {}
    for move in moves:
        auth = move.authority
        key = auth.key
        entry = toa.setdefault(key, {"authority": key, "category": "statutes" if auth.kind == "statute" else "cases",
                                     "pages": set()})
        entry["pages"].add(move.page)
    errors = []
    seen = set()
    for move in moves:
        if not move.error:
            continue
        item = (move.page, move.authority.key, move.error)
        if item in seen:
            continue
        seen.add(item)
        errors.append({"page": move.page, "authority": move.authority.key, "type": move.error,
                       "correction": move.correction, "kind": move.form})
    return {
        "toa": [{**e, "pages": sorted(e["pages"])} for e in toa.values()],
        "errors": errors,
        "bad_authority": bad.key, "superseding": superseding.key, "accord": accord.key, "survives": survives,
        "case_names": {m.authority.key: m.authority.name for m in moves if m.authority.kind == "case"}
        | {superseding.key: superseding.name},
        "citations": [{"page": m.page, "authority": m.authority.key, "form": m.form, "pin": m.pin} for m in moves],
    }
