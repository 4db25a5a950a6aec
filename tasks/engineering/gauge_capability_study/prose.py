"""What the report's prose says about the gauge and the process decisions, and about the flagged subgroups.

A report could state the right decision lines and then say the opposite in a sentence ("In practice the gauge is
accepted for production use as it stands"), or call the excluded subgroups false alarms. `contradictions` reads
every clause that takes a stance on the gauge (measurement system) or the process and returns those that do not
agree with the decisions, and every sentence that dismisses the control chart signals.
"""
# ALE-CANARY-8e818c42-c0ac-42d0-84b5-dc7ae9a63213

from __future__ import annotations

import re

# the subject a stance is about: the nearest of these words before it in the clause (a word such as "resolution"
# or "drawing" takes the stance itself: "the gauge's resolution is adequate" says nothing of the gauge's R&R)
_SUBJECTS = {
    "other": r"(?:new|replacement|another|different|alternative|better|second|other)\s+(?:gauges?|gages?|micrometers?"
             r"|indicators?|instruments?|measur\w*\s+(?:system|equipment|device))",
    "gauge": r"gauges?|gages?|measur\w*\s+(?:system|equipment|device)|msa|r\s*&\s*r|grr|micrometers?|indicators?"
             r"|instruments?",
    "process": r"process(?:es)?|capability|cpk|ppk|production|manufacturing",
    "unrelated": r"resolution|discrimination|calibration|readings?|export|software|drawing|data|sample|limits?|tolerance"
             r"|re-?tests?|trials?|appraisers?|operators?",
}
_SUBJECT = re.compile("|".join(rf"\b(?P<{name}>{words})\b" for name, words in _SUBJECTS.items()), re.IGNORECASE)

# the subject just after a stance verb or noun ("we accept the gauge", "no rejection of the MSA")
_VERB = re.compile(r"(?:accept|approve|reject|release)(?:s|ing)?|rejection", re.IGNORECASE)
_OBJECT = re.compile(rf"(?:\W+\w+){{0,4}}?\W+(?:{_SUBJECT.pattern})", re.IGNORECASE)

# stance words: accept-like, reject-like, conditional, and "capable" (agrees with an accept or a conditional)
_STANCES = {
    "accept": r"accept(?:ed|s|able|ing)?|approv(?:ed|es?|ing)|releas(?:ed|es?|ing)|adequate|suitable|fit\s+for|usable"
              r"|good\s+enough|fine|ok(?:ay)?|cleared\s+for|signed\s+off|(?:may|can)\s+(?:proceed|go\s+ahead)"
              r"|(?:continues?|continued)\s+to\s+(?:be\s+)?use|remains?\s+in\s+(?:use|service)"
              r"|qualified|satisfactory|unconditional(?:ly)?|pass(?:es|ed)?\s+(?:the\s+)?(?:customer|criteria|requirement)"
              r"|(?:meets?|met|satisf(?:y|ies|ied))\s+(?:all\s+)?(?:the\s+)?(?:customer|criteria|criterion|requirement)"
              r"|criteria\s+(?:are|were|is)\s+(?:all\s+)?(?:met|satisfied)|(?:be|is|are)\s+used\s+(?:for|in|as)",
    "reject": r"reject(?:ed|s|ion|ing)?|unacceptable|inadequate|unsuitable|unfit|incapable|disqualified|unsatisfactory"
              r"|fail(?:s|ed)?\s+(?:the\s+)?(?:customer|criteria|requirement|acceptance)",
    "conditional": r"conditional(?:ly)?|provisional(?:ly)?|marginal(?:ly)?",
    "capable": r"capable",
}
_STANCE = re.compile("|".join(rf"(?<!re-)\b(?P<{name}>{words})\b" for name, words in _STANCES.items()), re.IGNORECASE)
_NEGATION = re.compile(r"(?:\b(?:not(?!\s+(?:only|just|merely|simply)\b)|no|never|cannot|neither|nor|without|no\s+longer|far\s+from|rather\s+than|instead\s+of)\b"
                       r"|n't|^\W*(?:even|let\s+alone))"
                       r"(?:\W+\w+){0,3}?\W*$", re.IGNORECASE)
# a stance that is required, planned or supposed ("must be re-qualified", "until it is accepted", "would be
# accepted"), not taken
_UNTAKEN = re.compile(r"\b(?:must|should|shall|needs?\s+to|has\s+to|have\s+to|to\s+be|would|until|before|once"
                      r"|after|unless|pending|if|when|whether)\W+(?:\w+\W+){0,3}?$", re.IGNORECASE)
# words that make an acceptance conditional, before or after the stance word
_HEDGE_BEFORE = re.compile(r"\b(?:may|might|could|temporarily|partially|partly|limited|restricted|interim)\W+(?:\w+\W+){0,2}?$",
                           re.IGNORECASE)
_HEDGE_AFTER = re.compile(r"\b(?:if|provided|subject\s+to|pending|until|once|on\s+condition|with\s+(?:\w+\s+)?(?:condition"
                          r"|restriction|caveat|reservation|limitation|deviation|concession|waiver)s?|for\s+now"
                          r"|temporar|interim|depend|only\s+(?:if|when|with|after|under|for)|deviation|concession|waiver"
                          r"|but\s+not|not\s+for|except|restricted\s+to|limited\s+to)",
                          re.IGNORECASE)
# a restated criterion ("accept when %GRR < 10 % and ndc >= 5", "otherwise conditional"), not a stance
_CRITERION = re.compile(r"\botherwise\b|\b(?:when|if|whenever|where|unless)\b.*(?:[<>\u2264\u2265]|\b(?:less|greater|"
                        r"more|lower|higher)\s+than\b|\b(?:below|above|exceeds?|at\s+least|at\s+most|between)\b)",
                        re.IGNORECASE)
# the decisions each stance agrees with
_AGREES = {"accept": {"accept"}, "reject": {"reject"}, "conditional": {"conditional"},
           "capable": {"accept", "conditional"}, "not accept": {"reject", "conditional"},
           "not reject": {"accept", "conditional"}, "not conditional": {"accept", "reject"},
           "not capable": {"reject", "conditional"}, "hedged accept": {"accept", "conditional"}}

# the control chart signals dismissed ("false alarms", "no assignable cause", "common-cause variation"), in a sentence
# on the flagged subgroups, not on the remaining ones ("the remaining subgroups show only common-cause variation")
_DISMISSAL = re.compile("|".join((
    r"\bfalse[\s-]+(?:alarm|signal|positive|call)s?\b(?![\s-]+(?:rate|probability|risk|frequency|chance))",
    r"\b(?:no|without(?:\s+an?|\s+any)?|lacked(?:\s+an?|\s+any)?)\s+(?:[\w-]+\s+){0,2}?causes?\b",
    r"\bspurious\b|\b(?:flukes?|artefacts?|artifacts?|coincidences?)\b",
    r"\b(?:just|only|mere(?:ly)?|pure(?:ly)?|is|are|was|were)\s+(?:\w+\s+)?noise\b",
    r"\bcommon[\s-]+causes?\b|\bnot\s+(?:real|genuine|true|actual)\s+signals?\b",
    r"\b(?:random|chance|ordinary|normal|natural|inherent)\s+(?:\w+\s+)?(?:noise|variation|fluctuation|scatter)s?\b",
)), re.IGNORECASE)
_DISMISSAL_DENIED = re.compile(r"(?:\b(?:not|no|none|never|neither|nor|rather\s+than|instead\s+of|ruled?\s+out)\b|n't)"
                               r"(?:\W+\w+){0,8}?\W*$", re.IGNORECASE)
_FLAGGED = re.compile(r"\b(?:signal\w*|flag\w*|alarms?|exclu\w+|out[\s-]+of[\s-]+control|rules?|[NR]\d|subgroups?\s+\d+)\b",
                      re.IGNORECASE)
_REMAINING = re.compile(r"\b(?:remaining|other|rest|retained|kept|unflagged|in[\s-]+control)\b", re.IGNORECASE)


def _blocks(report: str) -> list[list[str]]:
    """The report's paragraphs, list items, headings and table rows, each as its sentences: lines joined, split at
    sentence ends, semicolons, dashes and table cells."""
    out = []
    headed = re.sub(r"^(\s*#.*)$", "\\1\n", report, flags=re.MULTILINE)
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:[-*+#|>]|\d+[.)]\s))", headed):
        text = re.sub(r"\s*\n\s*", " ", block.strip())
        sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z(\"'*_`])|[;|]|\s+[\u2014\u2013-]\s+", text)
        out.append([s.strip() for s in sentences if s.strip()])
    return out


def _clauses(sentence: str) -> list[str]:
    return [c for c in re.split(r"[,:()]|\b(?=(?:but|while|whereas|although|though|however|yet)\b)", sentence) if c.strip()]


def _stance(clause: str, match: re.Match, rest: str) -> str | None:
    """The stance ``match`` takes in ``clause`` (``rest``: the sentence after the clause, where a restriction such
    as "but not for final inspection" makes an acceptance conditional)."""
    before, after = clause[:match.start()], clause[match.end():] + " " + rest
    kind = match.lastgroup or ""
    if _NEGATION.search(before):
        return f"not {kind}"
    if _UNTAKEN.search(before):
        return None
    permission = re.match(r"(?:be|is|are)\s+used", match.group(0), re.IGNORECASE)
    if kind == "accept" and ((_HEDGE_BEFORE.search(before) and not permission) or _HEDGE_AFTER.search(after)):
        return "hedged accept"
    return kind


def stances(report: str) -> list[tuple[str, str, str]]:
    """(subject, stance, sentence) for every stance the report's prose takes on the gauge or the process. A stance
    is about the nearest subject before it, in its sentence or earlier in its paragraph ("In practice it is
    accepted"); an acceptance or rejection in a sentence that makes a conditional one is conditional."""
    found = []
    for block in _blocks(report):
        subject: str | None = None
        for sentence in block:
            taken = []
            clauses = _clauses(sentence)
            for index, clause in enumerate(clauses):
                last = 0
                for match in _STANCE.finditer(clause):
                    before = list(_SUBJECT.finditer(clause, last, match.start()))
                    after = _OBJECT.match(clause, match.end())
                    if after and _VERB.fullmatch(match.group(0)):
                        subject = after.lastgroup
                    elif before:
                        subject = before[-1].lastgroup
                    last = match.end()
                    stance = None if _CRITERION.search(clause) else _stance(clause, match, " ".join(clauses[index + 1:]))
                    if subject in ("gauge", "process") and stance is not None:
                        taken.append((subject, stance))
                for noun in _SUBJECT.finditer(clause, last):
                    subject = noun.lastgroup
            conditional = {who for who, stance in taken if stance == "conditional"}
            found.extend((who, "conditional" if who in conditional and stance in ("accept", "reject") else stance,
                          sentence) for who, stance in taken)
    return found


def contradictions(report: str, gauge_decision: str, process_decision: str) -> list[str]:
    """The report's sentences that disagree with the decisions or dismiss the flagged subgroups' signals."""
    decisions = {"gauge": gauge_decision, "process": process_decision}
    wrong = [f"{subject} {stance} (decision {decisions[subject]}): {sentence}"
             for subject, stance, sentence in stances(report) if decisions[subject] not in _AGREES[stance]]
    for sentence in (s for block in _blocks(report) for s in block):
        if _FLAGGED.search(sentence) and not _REMAINING.search(sentence) and any(
                not _DISMISSAL_DENIED.search(re.split(r"[,;:()]", sentence[:m.start()])[-1])
                for m in _DISMISSAL.finditer(sentence)):
            wrong.append(f"signals dismissed: {sentence}")
    return wrong
