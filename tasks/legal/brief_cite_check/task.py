"""Cite-check of an appellate brief before filing.

ALE-CANARY-b43a7ceb-db6d-412e-be00-d99dc7e1bc76

Workflow: an associate checks every citation of a brief against the record library (the cited opinions,
star-paged, and the statutes) and a citator: resolve every short form, Id. and supra to its authority,
verify each quotation word for word and each pin cite against the star paging, check volume, reporter,
year and parallel cites, check subsequent history (an overruled case; a case reversed only as to some
pages), then write the table of authorities, the corrections list and a memo judging whether the argument
resting on the bad authority survives on the brief's other authority.

generate() builds the library and the brief from template sentences (build.py) and plants the errors on
chosen citations, so every citation's authority and page and every error with its correction are known by
construction. grade() scores the corrections by recall per stage and by precision, checks each correction,
compares the table of authorities page for page, and reads the memo's counts and its assessment (every Assessment
line, and every "Conclusion:", "Bottom line:", "Summary:" or "In short" line on the argument and the line under such a
heading: a verdict hedged, turned round, put as the rejection of a view or under a negated view ("I am not persuaded
that"), or stated both ways is no verdict; a negation split from "survive" by an aside still negates it; "the argument
stands", "falls with it", "fails" or "collapses" state it in other words, and so do they with "it" or no subject
carrying on the previous clause's argument: "the argument rests on Smith; it falls with Smith"; a conclusion line is
read whatever it names, one opening with "it" or no subject ("Conclusion: it stands") speaks of the argument, "the
point", "position", "contention" or "proposition" are the argument, "sound", "viable", "safe", "lost" or "untenable" state its fate, and
a clause ending "is wrong" turns it round).

Variants: a Ninth Circuit brief citing 9 authorities; an Oregon Court of Appeals brief (parallel Pacific
Reporter cites, supra, statutes, a case reversed only in part); a longer Ninth Circuit brief citing 12.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from lastexam.task import Grading, Params

from .build import TYPES, build, norm

CANARY = "ALE-CANARY-b43a7ceb-db6d-412e-be00-d99dc7e1bc76"
TOA, CORRECTIONS, MEMO = "table_of_authorities.csv", "corrections.csv", "cite_check_memo.md"
PASSIM = 5


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    matter = build(params["jurisdiction"], params["seed"], params.get("cases"))
    for relative, text in matter.files.items():
        path = input_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (reference_dir / "truth.json").write_text(json.dumps(matter.truth, indent=1), encoding="utf-8")


def authority_key(text: Any) -> str:
    """An authority as the grader compares it: letters and digits only; "ORS" spelled as the rules do."""
    key = re.sub(r"[^a-z0-9]", "", str(text or "").lower())
    return "orrevstat" + key[3:] if key.startswith("ors") and not key.startswith("orsta") else key


def _pages(cell: Any) -> set[int] | str | None:
    text = str(cell or "").strip().lower()
    if text == "passim":
        return "passim"
    if not re.fullmatch(r"[\d\s,;]+", text):
        return None
    return {int(x) for x in re.findall(r"\d+", text)}


def _expected_pages(pages: list[int]) -> set[int] | str:
    return "passim" if len(pages) >= PASSIM else set(pages)


def grade(g: Grading) -> None:
    if not g.require_files(TOA, CORRECTIONS, MEMO):
        return
    truth = g.reference_json("truth.json")
    toa = g.read_csv(TOA, required_columns=["authority", "category", "pages"])
    rows = g.read_csv(CORRECTIONS, required_columns=["page", "authority", "error_type", "correction"])
    memo = g.read_text(MEMO)
    if toa is None or rows is None or memo is None:
        return
    found = _found_errors(rows)
    matched = _grade_errors(g, truth, found)
    _grade_corrections(g, truth, matched)
    _grade_toa(g, truth, toa)
    _grade_memo(g, truth, found, memo)


def _found_errors(rows: list[dict]) -> dict[tuple[int, str, str], str]:
    """The agent's corrections keyed by (page, authority, type); a row with no page number keys on page -1."""
    out = {}
    for row in rows:
        page = re.search(r"\d+", row.get("page", ""))
        kind = re.sub(r"[\s-]+", "_", row.get("error_type", "").strip().lower())
        out[(int(page.group()) if page else -1, authority_key(row.get("authority")), kind)] = row.get("correction", "")
    return out


def _grade_errors(g: Grading, truth: dict, found: dict) -> dict[tuple, tuple[dict, str]]:
    """Recall by the stage of the cite-check that finds each error type, then precision over every report."""
    expected = {(e["page"], authority_key(e["authority"]), e["type"]): e for e in truth["errors"]}
    _recall(g, "quotations verified word for word (misquotations, unnoted emphasis)", expected, found,
            ("misquotation", "emphasis_not_noted"), 2.0)
    _recall(g, "pin cites and short forms verified (wrong pin, wrong antecedent)", expected, found,
            ("wrong_pin", "wrong_antecedent"), 2.0)
    _recall(g, "citation form verified (volume, year, parallel cite, case not in the library)", expected, found,
            ("wrong_citation", "not_in_library"), 1.5)
    _recall(g, "subsequent history checked in the citator (bad law, scope of a partial reversal)", expected, found,
            ("bad_law",), 2.0)
    verdicts = {f"p. {k[0]} {k[1]} {k[2]}": k in expected or ("not an error" if k[2] in TYPES else "unknown type")
                for k in found}
    g.fraction("no false or mislocated error reports (precision)", verdicts, weight=2.0, noun="reported errors")
    return {k: (expected[k], found[k]) for k in expected if k in found}


def _recall(g: Grading, name: str, expected: dict, found: dict, types: tuple[str, ...], weight: float) -> None:
    verdicts = {f"p. {k[0]} {e['authority']} {e['type']}": k in found or "not reported"
                for k, e in expected.items() if e["type"] in types}
    g.fraction(name, verdicts, weight=weight, noun="planted errors")


def _numbers(text: str, *keys: str) -> tuple[set[int], set[int]]:
    """The numbers a correction states (ordinals and reporter series such as 9th, F.3d left out), and those of
    the given citations, which a correction may repeat."""
    def ints(value: str) -> set[int]:
        return {int(x) for x in re.findall(r"\d+", re.sub(r"\d+(?:st|nd|rd|th|d)\b", " ", value))}
    return ints(text), set().union(*(ints(k) for k in keys))


def _correction_right(error: dict, text: str) -> bool | str:
    """Whether a correction gives what the error needs (the exact quotation, the right page, the right cite),
    stating no other page or year."""
    fix, kind, plain = error["correction"], error["type"], authority_key(text)
    if kind == "misquotation":
        return norm(text.strip().strip('"“”')) == norm(fix["quote"]) or f"quotation should read {fix['quote']!r}"
    if kind == "wrong_pin":
        numbers, allowed = _numbers(text, error["authority"])
        ok = fix["pin"] in numbers and not numbers - allowed - {fix["pin"]}
        return ok or f"pin should be {fix['pin']}"
    if kind == "wrong_citation":
        numbers, allowed = _numbers(text, error["authority"], fix["parallel"])
        ok = authority_key(error["authority"]) in plain and fix["year"] in numbers \
            and (not fix["parallel"] or authority_key(fix["parallel"]) in plain) \
            and not numbers - allowed - {fix["year"], fix.get("pin") or 0}
        return ok or f"citation should be {fix['citation']}"
    if kind == "bad_law":
        return authority_key(fix["by"].split(" (")[0]) in plain or f"should name the superseding decision {fix['by']}"
    if kind == "wrong_antecedent":
        numbers, allowed = _numbers(text, error["authority"])
        ok = fix["short"].lower() in text.lower() and fix["pin"] in numbers and not numbers - allowed - {fix["pin"]}
        return ok or f"short form should point to {fix['short']} at {fix['pin']}"
    if kind == "emphasis_not_noted":
        return "emphasis added" in text.lower() or 'should add "(emphasis added)"'
    return True


def _grade_corrections(g: Grading, truth: dict, matched: dict) -> None:
    verdicts = {}
    for error in truth["errors"]:
        if error["type"] == "not_in_library":
            continue
        key = (error["page"], authority_key(error["authority"]), error["type"])
        verdicts[f"p. {key[0]} {error['authority']} {error['type']}"] = \
            _correction_right(error, matched[key][1]) if key in matched else "not reported"
    g.fraction("each correction gives the exact quotation, page or citation", verdicts, weight=2.0,
               noun="corrections")


def _grade_toa(g: Grading, truth: dict, toa: list[dict]) -> None:
    expected = [{"authority": e["authority"], "category": e["category"], "pages": _expected_pages(e["pages"])}
                for e in truth["toa"]]

    def same_pages(found: Any, want: Any) -> bool:
        return _pages(found) == want

    g.table("table of authorities: every authority, its category and every page (short forms, Id. and supra "
            "included)", toa, expected, key="authority", columns={"category": None, "pages": same_pages},
            normalize=authority_key, weight=3.0)
    own = {authority_key(r.get("authority")): _pages(r.get("pages")) for r in toa}
    passim = [e for e in truth["toa"] if len(e["pages"]) >= PASSIM]
    wrong = [f"{e['authority']}: cited on {len(e['pages'])} pages" for e in passim
             if own.get(authority_key(e["authority"])) != "passim"]
    wrong += [f"{a}: passim on fewer than {PASSIM} pages" for a, v in own.items()
              if v == "passim" and not any(authority_key(e["authority"]) == a for e in passim)]
    g.check("passim used exactly for the authorities cited on 5 or more pages", not wrong,
            weight=1.0, expected=[e["authority"] for e in passim], reason="; ".join(wrong[:5]))


def _grade_memo(g: Grading, truth: dict, found: dict, memo: str) -> None:
    counts: dict[str, int] = {}
    for kind in TYPES:
        hit = re.search(rf"^[\s*|-]*`?{kind}`?[\s*|:]+(\d+)", memo, re.IGNORECASE | re.MULTILINE)
        if hit:
            counts[kind] = int(hit.group(1))
    own = {kind: sum(1 for k in found if k[2] == kind) for kind in TYPES}
    wrong = [f"{kind}: memo {counts.get(kind)}, corrections.csv {n}" for kind, n in own.items() if counts.get(kind) != n]
    g.check("memo's error counts by type agree with corrections.csv", not wrong, weight=1.0, reason="; ".join(wrong[:4]))

    lines = [ln for ln in memo.splitlines() if ln.strip().lower().lstrip("#*- ").startswith("assessment")]
    line = lines[0] if lines else ""
    bad_names = {key: name for key, name in truth["case_names"].items()
                 if authority_key(key) == authority_key(truth["bad_authority"])}
    verdict = _verdict(lines + _conclusion_lines(memo), bad_names)
    # a surviving argument rests on the one authority that states the rule, at the page that states it: naming
    # every case cited does not do
    named = _named_cases(line, truth["case_names"])
    carried = named - {authority_key(truth["bad_authority"])} == {authority_key(truth["accord"])}
    # the page that states the rule, not every page of the opinion listed in the hope of naming it; the numbers of
    # the matter's own citations (a parallel cite, the overruling decision's) are a citation, not a page named
    numbers, of_keys = _numbers(line, truth["accord"], truth["bad_authority"])
    first = int(re.findall(r"\d+", truth["accord"])[-1])
    cited, _ = _numbers(_without_citations(line, _known_citations(g.input_dir, truth)))
    spray = {n for n in cited - of_keys if first <= n <= first + 12} - {truth["accord_page"]}
    at_page = truth["accord_page"] in numbers and not spray
    # either way the verdict rests on the other authority's text: the page where it states the rule, or states a
    # different one (a bare "does not survive" is a guess that is right half the time)
    right = verdict is truth["survives"] and carried and at_page
    g.check("assessment: whether the argument resting on the bad authority survives (and on what, where)", right,
            weight=2.0, expected=(f"survives on {truth['accord']} at {truth['accord_page']}" if truth["survives"]
                                  else f"does not survive: {truth['accord']} states a different rule at "
                                  f"{truth['accord_page']}"),
            found=line[:200] or "no Assessment line")
    in_memo = _named_cases(memo, truth["case_names"])
    g.check("memo names the bad authority and the decision that overruled or reversed it",
            {authority_key(truth["bad_authority"]), authority_key(truth["superseding"])} <= in_memo,
            weight=1.0, expected=[truth["bad_authority"], truth["superseding"]])


# "survive" under a negation a few words before it in its clause ("does not survive", "cannot survive", "no longer
# survives", "fails to survive"); a modal on it ("may survive"), a frame that turns the sentence round ("it is
# wrong to say that the argument does not survive") or one that negates the view it states ("I am not persuaded
# that the argument survives") leaves the question open
_DENIAL = re.compile(r"(?:\b(?:not|no|never|nor|neither|cannot|fails?|failed|unable|longer|hardly|scarcely)\b|n['\u2019]t)"
                     r"(?:\W+\w+){0,3}?\W+$")
_HEDGE = re.compile(r"\b(?:may|might|could|possibly|perhaps|probably|likely|arguably)\b(?:\W+\w+){0,3}?\W+$")
_TURNED = re.compile(r"\b(?:wrong|incorrect|false|untrue|mistaken|not\s+(?:the\s+case|true|correct|right))"
                     r"\s+(?:to\s+(?:say|conclude|claim|state|find)|that)\b"
                     r"|\b(?:reject|disagree|den(?:y|ie)|disput|refut|contest|doubt)\w*\s+(?:\w+\s+){0,3}?that\b"
                     r"|\b(?:cannot|can\s+not|can't)\s+be\s+(?:said|claimed|concluded|maintained)\b")
_NEGATED_VIEW = re.compile(r"(?:\b(?:not|no|never|nothing|nobody|none|cannot|hardly|scarcely)\b|n['\u2019]t)"
                           r"[^\w,]+(?:\w+[^\w,]+){0,4}?(?:that|whether|think|believe|find|accept|agree|say|conclude"
                           r"|consider|persuaded|convinced|satisfied|shown?|shows|established|clear|evident|evidence"
                           r"|suggests?|supports?|basis|reason|sure|certain)\b")
# a negated doubt affirms the view it frames ("there is no doubt that", "it is not disputed that"): read as if it
# were not there
_NO_DOUBT = re.compile(r"(?:\b(?:not|no|never|cannot|without|beyond)\b|n['\u2019]t)\W+"
                       r"(?:(?:a|any|the|real|serious|reasonable|much|room|for|open|to|be|been|is|in|my|our)\W+){0,3}"
                       r"(?:doubt|disput|question|hesitat|contest|debat)\w*")
# a comma-delimited aside of a few words ("does not, on this record, survive") is read as if it were not there
_ASIDE = re.compile(r",(?:\s*[\w'\u2019.-]+){1,5}\s*,")
# a line that concludes the memo other than the Assessment line ("Conclusion: ...", "In short, ...", whatever it names):
# it must not conclude the other way; a bare heading ("## Conclusion") brings the line under it
_OPENER = (r"^[#*>|\s_-]*(?:\d+[.)]\s*)?(?:conclusions?|bottom\s+line|final|verdict|overall|summary|recommendation"
           r"|tl;?\s*dr|in\s+(?:sum|short|summary|conclusion|brief)|to\s+(?:sum\s+up|conclude))\b")
_CONCLUSION = re.compile(_OPENER, re.IGNORECASE)
_HEADING = re.compile(rf"{_OPENER}[\s:*_#.-]*$", re.IGNORECASE)


# the argument's fate in other words ("the argument stands", "the argument falls with it", "the argument still fails",
# "the point is not viable"): the words between the argument and the verb are auxiliaries, adverbs and negations only
_ARGUMENT = r"(?:argument|point|position|contention|proposition)"
_AUXILIARY = (r"still|therefore|thus|also|then|now|simply|plainly|fully|not|no|longer|never|cannot|can|does|did|will"
              r"|would|must|could|may|might|do|is|be|been|well|n['\u2019]t")
_ARGUMENT_VERB = re.compile(rf"\b{_ARGUMENT}((?:\s+(?:{_AUXILIARY})(?:n['\u2019]t)?)*)\s+"
                            r"(?:(?P<stands>stands?|prevails?|succeeds?|holds?\s+up|endures?|lives\s+on|(?:remains?\s+)?(?:good"
                            r"|sound|valid|viable|tenable|intact|safe|secure)|(?:well[\s-]+)?founded)"
                            r"|falls?(?!\s+(?:within|under|into|in)\b)|fails?|collapses?|unsound|invalid|untenable|doomed"
                            r"|lost|dead|defeated|unfounded|baseless)\b")
_MODAL = re.compile(r"\b(?:may|might|could)\b")
# a clause that goes on with the argument as its subject, by a pronoun or none ("the argument rests on Smith; it falls
# with Smith", "... and falls with it"), is read with the argument named; the periods of a citation end no clause
_ABBREVIATION = re.compile(r"(?<![\w.])(?:or|app|cir|supp|rev|stat|ct|dist|f|p|s|u|v|vs|no|id|cf|e\.g|i\.e|inc|co|corp)\.")
_CLAUSE_END = re.compile(r"([;:.!?\u2014]\s+|,?\s+(?:and|but|so|yet)\s+)")
_PRONOUN = re.compile(r"(?:(?:however|still|yet|but|and|so|thus|therefore|indeed|in\s+fact)\W+)?it\b")
_ELIDED = re.compile(rf"(?:(?:{_AUXILIARY})\s+)*(?:stands?|prevails?|succeeds?|holds?\s+up|falls?|fails?|collapses?)\b")
_ARGUMENT_SUBJECT = re.compile(rf"\W*(?:[\w'\u2019]+\W+){{0,3}}?{_ARGUMENT}\b")
# a conclusion line that opens with "it" or no subject ("Conclusion: it stands", "In short, falls with Smith") speaks of
# the argument
_LINE_SUBJECT = re.compile(r"(?P<lead>(?:[^:]*:)?[\s,*_#>|.-]*(?:(?:overall|in\s+(?:sum|short|summary|conclusion|brief)"
                           r"|to\s+(?:sum\s+up|conclude)|so|thus|therefore|hence)\b[\s,]*)?)(?:it\s+)?"
                           rf"(?=(?:{_ELIDED.pattern}|(?:(?:{_AUXILIARY})\s+)*survives?\b))")
# an authority that carries the argument ("Jones carries the argument", "no case the brief cites sustains the point")
# says the argument survives, unless the authority is the bad one (the argument rests on it, and falls with it)
_CARRIES = re.compile(rf"(?P<subject>\b[\w'\u2019.\s-]*?)\s*(?P<aux>(?:\b(?:{_AUXILIARY})(?:n['\u2019]t)?\s+)*)"
                      rf"(?:carr(?:y|ies)|sustains?|supports?|saves?|rescues?|upholds?)\s+(?:the\s+|its\s+|this\s+"
                      rf"|that\s+|the\s+brief['\u2019]s\s+)?{_ARGUMENT}\b")
# no authority carries it, or the one named cannot ("the brief cites no authority that carries the argument", "Brown
# is too narrow to carry the argument"); "nothing but Brown" names one that does
_NOT_CARRIED = re.compile(r"\b(?:no|nothing|none|neither|nobody)\b(?!\s+but\b)|\b(?:insufficient|unable|fails?|failed"
                          r"|too\s+[\w-]+|not\s+(?:\w+\s+)?enough)\s+to\s*$")
# a possibility ("may", "might", "could") in a concessive clause beside the verdict is a caveat ("..., although it
# might not survive en banc review"); elsewhere it hedges the verdict; "could not" denies
_CONCESSIVE = re.compile(r"\b(?:although|though|albeit|even\s+if|even\s+though|while|whilst|whereas|but)\b[^;:.\u2014]*$")
_FIRM_NOT = re.compile(r"\bcould\s+not\b|\bcouldn['\u2019]t\b")
# a counterfactual ("the argument would survive only if Smith were good law") states no verdict
_WOULD = re.compile(r"\bwould\b(?:\W+\w+){0,2}?\W+$")
_CONDITION_AFTER = re.compile(r"\W+(?:\w+\W+){0,3}?(?:only\s+if|if|unless)\b")


# a predicate that turns the clause round at its end ("that the argument does not survive is wrong") leaves it open
_TURNED_AFTER = re.compile(r"[^;:.()\u2014]*?\b(?:is|was)\s+(?:false|wrong|incorrect|untrue|mistaken"
                           r"|not\s+(?:true|correct|right|the\s+case))\s*(?:[;:.()\u2014]|$)")


def _argument_carried(line: str) -> str:
    """The line with a pronoun or a missing subject that carries on the previous clause's argument made "the
    argument"."""
    pieces = _CLAUSE_END.split(_ABBREVIATION.sub(lambda m: m.group().replace(".", "\u2024"), line))
    for i in range(2, len(pieces), 2):
        if not _ARGUMENT_SUBJECT.match(pieces[i - 2]):
            continue
        if pronoun := _PRONOUN.match(pieces[i]):
            pieces[i] = "the argument" + pieces[i][pronoun.end():]
        elif not re.match(r"[;:.!?\u2014]", pieces[i - 1]) and _ELIDED.match(pieces[i]):
            pieces[i] = "the argument " + pieces[i]
    return "".join(pieces).replace("\u2024", ".")


def _conclusion_lines(memo: str) -> list[str]:
    lines, under_heading = [], False
    for line in memo.splitlines():
        if not line.strip():
            continue
        if _CONCLUSION.search(line) or (under_heading and re.search(r"argument|surviv", line, re.IGNORECASE)):
            lines.append(line)
        under_heading = bool(_HEADING.search(line))
    return lines


def _carried_as_survival(line: str, bad_names: dict[str, str]) -> str:
    """The line with "<authority> carries the argument" made "the argument survives" (or "does not survive" when no
    authority carries it); the bad authority carrying it says nothing of survival."""
    def rewrite(match: re.Match) -> str:
        subject = match["subject"].strip()
        if _named_cases(subject, bad_names):
            return match.group()
        denied = " not" if _NOT_CARRIED.search(subject) else ""
        return f" the argument {match['aux']}{denied} survives"
    return _CARRIES.sub(rewrite, line)


def _verdict(lines: list[str], bad_names: dict[str, str]) -> bool | None:
    """What the Assessment lines conclude: True (survives), False (does not survive), or None when they say
    neither, hedge, or say both (in one line or across several). A possibility in a concessive clause ("although it
    might not survive en banc review") is a caveat and states no verdict; anywhere else a hedge leaves it open."""
    said = set()
    for line in (_carried_as_survival(_argument_carried(_LINE_SUBJECT.sub(
            r"\g<lead>the argument ", _NO_DOUBT.sub(" ", _ASIDE.sub(" ", ln.lower())), count=1)), bad_names)
            for ln in lines):
        for mention in re.finditer(r"\bsurvives?\b", line):
            before = re.split(r"[,;:.()\u2014]", line[max(0, mention.start() - 60):mention.start()])[-1]
            clause = re.split(r"[;:.()\u2014]", line[:mention.start()])[-1]
            if _HEDGE.search(before) and not _FIRM_NOT.search(before):
                if _MODAL.search(before) and _CONCESSIVE.search(line[:mention.start()]):
                    continue
                return None
            if _WOULD.search(before) and _CONDITION_AFTER.match(line, mention.end()):
                continue
            if _TURNED.search(line[:mention.start()]) or _NEGATED_VIEW.search(clause) \
                    or _TURNED_AFTER.match(line, mention.end()):
                return None
            said.add(not _DENIAL.search(before))
        for mention in _ARGUMENT_VERB.finditer(line):
            clause = re.split(r"[;:.()\u2014]", line[:mention.start()])[-1]
            if _MODAL.search(mention.group(1)) and not _FIRM_NOT.search(mention.group(1)):
                if _CONCESSIVE.search(line[:mention.start()]):
                    continue
                return None
            if _TURNED.search(line[:mention.start()]) or _NEGATED_VIEW.search(clause) \
                    or _TURNED_AFTER.match(line, mention.end()):
                return None
            said.add(bool(mention["stands"]) != bool(_DENIAL.search(mention.group(1) + " ")))
    return said.pop() if len(said) == 1 else None


CITATION = re.compile(r"\b\d+ (?:F\.(?: Supp\.)? ?\dd|F\.4th|U\.S\.|Or\. App\.|Or\.|P\.\dd) \d+\b")


def _known_citations(input_dir: Path, truth: dict) -> set[str]:
    """Every citation of the matter: the cited cases and the overruling decision, and each reported and parallel
    cite the library's captions and the citator give."""
    texts = [(input_dir / "citator.csv").read_text(encoding="utf-8", errors="replace")]
    texts += ["\n".join(p.read_text(encoding="utf-8", errors="replace").splitlines()[:4])
              for p in sorted((input_dir / "library").glob("*.txt"))]
    return set(truth["case_names"]) | {c for text in texts for c in CITATION.findall(text)}


def _without_citations(text: str, citations: set[str]) -> str:
    for citation in sorted(citations, key=len, reverse=True):
        text = re.sub(rf"(?<!\d){re.escape(citation)}(?!\d)", " ", text)
    return text


def _named_cases(text: str, names: dict[str, str]) -> set[str]:
    """The cases a text names (as authority keys): by citation, by full case name, or by the first party's name
    alone (a case name is removed before the first parties are looked for, so a second party that shares
    another case's first party does not name that case)."""
    plain = authority_key(text)
    named = {authority_key(key) for key in names if authority_key(key) in plain}
    words = _words(text)
    for key, name in sorted(names.items(), key=lambda item: -len(item[1])):
        name_words = _words(name)
        if name_words in words:
            named.add(authority_key(key))
            words = words.replace(name_words, " ")
    for key, name in names.items():
        if _words(name.split(" v. ")[0]) in words:
            named.add(authority_key(key))
    return named


def _words(text: str) -> str:
    """Lower-case letters and digits as space-separated words, padded so that a word matches only whole."""
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "
