"""The pre-translation policy of the instruction, as plain functions: the reference's matcher and counter.

ALE-CANARY-c9c412cf-b3cf-4391-a5a6-f487eff09d92
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

TOKEN = re.compile(r"%\d+\$[sd]|%[sd]|\{[A-Za-z_][A-Za-z0-9_]*\}|\d+")
PLACEHOLDER = re.compile(r"%\d+\$[sd]|%[sd]|\{[A-Za-z_][A-Za-z0-9_]*\}")
TAG = re.compile(r"</?[a-z]+\s*/?>")
BANDS = ["100", "95-99", "85-94", "75-84", "no_match", "repetitions"]
WEIGHTS = {"100": 0.30, "95-99": 0.60, "85-94": 0.70, "75-84": 0.85, "no_match": 1.00, "repetitions": 0.25}

# What pocount strips from both ends of a whitespace-separated word (Translate Toolkit's punctuation set)
_PUNCTUATION = set(".,;:!?-@#$%^*_()[]{}/\\'`\"<>‘’‛“”„‟′″‴‵‶‷‹›«»¿¡،؟؛÷。、，；！？「」『』【】।॥॰።፤፣…±°¹²³·©®×£¥€")
_BR = re.compile(r"<br\s*?/?>")
_XML_TAG = re.compile(r"""<([\w.:]+)(\s([\w.:]+=((".*?")|('.*?')))?)*/?>|</([\w.]+)>""")
_DOT_BETWEEN = re.compile(r"\D\.\D")


@dataclass(frozen=True)
class TmEntry:
    tuid: str
    source: str
    target: str
    changed: str  # TMX changedate, YYYYMMDDThhmmssZ: sorts as time
    order: int  # position in the TMX file


@dataclass(frozen=True)
class Match:
    kind: str  # exact | placeable | fuzzy | none
    score: int
    entry: TmEntry | None
    target: str  # the target the policy fills (placeables substituted); '' when none


def words(text: str) -> int:
    """pocount's word count of one text: <br> to a line break, tags dropped, a dot between non-digits to a
    space, then the whitespace-separated words that keep a character after their end punctuation is stripped."""
    text = _DOT_BETWEEN.sub(" ", _XML_TAG.sub("", _BR.sub("\n", text)))
    return sum(1 for word in text.split() if word.strip("".join(_PUNCTUATION)))


def levenshtein(a: str, b: str) -> int:
    """Edit distance over code points, insertion, deletion and substitution each costing 1."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


@lru_cache(maxsize=65536)
def score(a: str, b: str) -> int:
    """floor(100 * (L - d) / L) with L the longer length and d the edit distance; 100 only when identical."""
    longest = max(len(a), len(b))
    if longest == 0:
        return 100
    bound = 100 * (longest - abs(len(a) - len(b))) // longest
    if bound < 75:
        return bound  # under every band whatever the distance (at least the length difference): not refined
    return 100 * (longest - levenshtein(a, b)) // longest


def masked(text: str) -> str:
    return TOKEN.sub("\x00", text)


def adjust(tm_source: str, tm_target: str, source: str) -> str:
    """The TM target with each placeholder or number that differs position by position between the TM source and
    the source replaced at every occurrence; the TM target as stored when their token counts differ."""
    old, new = TOKEN.findall(tm_source), TOKEN.findall(source)
    if len(old) != len(new):
        return tm_target
    mapping = {o: n for o, n in zip(old, new, strict=True) if o != n}
    if not mapping:
        return tm_target
    return TOKEN.sub(lambda m: mapping.get(m.group(0), m.group(0)), tm_target)


def _newest_first(entry: TmEntry) -> tuple[str, int]:
    return (entry.changed, -entry.order)


def best_match(source: str, tm: list[TmEntry]) -> Match:
    """Exact beats placeable beats fuzzy; within a kind the higher score, then the later changedate, then the
    earlier position in the TMX file."""
    exact = [e for e in tm if e.source == source]
    if exact:
        entry = max(exact, key=_newest_first)
        return Match("exact", 100, entry, entry.target)
    mask = masked(source)
    placeable = [(score(source, e.source), e) for e in tm if masked(e.source) == mask]
    if placeable:
        top, entry = max(placeable, key=lambda p: (p[0], *_newest_first(p[1])))
        return Match("placeable", 100, entry, adjust(entry.source, entry.target, source))
    scored = [(score(source, e.source), e) for e in tm]
    top, entry = max(scored, key=lambda p: (p[0], *_newest_first(p[1])), default=(0, None))
    if entry is None or top < 75:
        return Match("none", top, None, "")
    return Match("fuzzy", top, entry, adjust(entry.source, entry.target, source))


def band(match: Match) -> str:
    if match.kind in ("exact", "placeable"):
        return "100"
    if match.score >= 95:
        return "95-99"
    if match.score >= 85:
        return "85-94"
    if match.score >= 75:
        return "75-84"
    return "no_match"


def term_hits(source: str, terms: dict[str, str]) -> list[str]:
    """The termbase's source terms found in the source: whole word, any case, optionally with a plural s."""
    return [t for t in terms if re.search(rf"\b{re.escape(t)}s?\b", source, re.IGNORECASE)]


def qa_issues(source: str, target: str, terms: dict[str, str]) -> list[tuple[str, str]]:
    """(issue, detail) pairs of one filled segment: placeholders and tags compared as multisets, mandatory
    target terms as case-insensitive substrings, and a target identical to its source."""
    issues: list[tuple[str, str]] = []
    if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(target)):
        issues.append(("placeholder_mismatch", ""))
    if sorted(TAG.findall(source)) != sorted(TAG.findall(target)):
        issues.append(("tag_mismatch", ""))
    issues += [("term_violation", t) for t in term_hits(source, terms) if terms[t].casefold() not in target.casefold()]
    if target == source:
        issues.append(("target_equals_source", ""))
    return issues
