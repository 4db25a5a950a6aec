"""Pitch spelling, transposition and MusicXML reading, shared by the generator and the grader.

A pitch is (step, alter, octave) with step 0-6 for C-B. Transposing by an interval of ``d`` diatonic
steps and ``c`` semitones moves the letter by ``d`` and fixes the alteration from the semitones, so the
spelling follows the interval (concert E-flat up a major second is F, never E-sharp).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction

STEPS = "CDEFGAB"
NATURAL = (0, 2, 4, 5, 7, 9, 11)
SHARP_ORDER = (3, 0, 4, 1, 5, 2, 6)  # F C G D A E B

Pitch = tuple[int, int, int]


def midi(p: Pitch) -> int:
    step, alter, octave = p
    return 12 * (octave + 1) + NATURAL[step] + alter


def transpose(p: Pitch, d: int, c: int) -> Pitch:
    step, _, octave = p
    number = octave * 7 + step + d
    step2, octave2 = number % 7, number // 7
    return step2, midi(p) + c - (12 * (octave2 + 1) + NATURAL[step2]), octave2


def name(p: Pitch) -> str:
    step, alter, octave = p
    return f"{STEPS[step]}{'#' * alter if alter > 0 else 'b' * -alter}{octave}"


def key_alter(fifths: int, step: int) -> int:
    if fifths > 0 and step in SHARP_ORDER[:fifths]:
        return 1
    if fifths < 0 and step in SHARP_ORDER[::-1][:-fifths]:
        return -1
    return 0


def key_shift(d: int, c: int) -> int:
    """Fifths added to a key signature by the interval (the tonic's move on the line of fifths)."""
    tonic = transpose((0, 0, 4), d, c)
    return SHARP_ORDER.index(tonic[0]) - 1 + 7 * tonic[1]


def read_part(xml: str | bytes) -> dict:
    """The first part of a MusicXML score: its name, transposition and measures.

    Each measure: number, key (fifths, when the measure sets one), events (pitch name or "rest",
    duration in quarters as a string, tie start, tie stop), rehearsal marks and dynamics.
    Raises ValueError for anything that is not a readable partwise score.
    """
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ValueError(f"not XML: {exc}") from exc
    part = root.find("part")
    if root.tag != "score-partwise" or part is None:
        raise ValueError("not a partwise MusicXML score")
    score_part = root.find("part-list/score-part")
    result = {"name": (score_part.findtext("part-name") or "").strip() if score_part is not None else "",
              "transpose": None, "measures": []}
    divisions = 1
    for m in part.findall("measure"):
        measure = {"number": m.get("number"), "key": None, "events": [], "rehearsal": [], "dynamics": []}
        for el in m:
            if el.tag == "attributes":
                divisions = int(el.findtext("divisions") or divisions)
                if el.find("key/fifths") is not None:
                    measure["key"] = int(el.findtext("key/fifths"))
                tr = el.find("transpose")
                if tr is not None:
                    octave = int(tr.findtext("octave-change") or 0)
                    result["transpose"] = [int(tr.findtext("diatonic") or 0) + 7 * octave,
                                           int(tr.findtext("chromatic") or 0) + 12 * octave]
            elif el.tag == "direction":
                measure["rehearsal"] += [(r.text or "").strip() for r in el.iter("rehearsal")]
                for dyn in el.iter("dynamics"):
                    measure["dynamics"] += [child.tag for child in dyn]
            elif el.tag == "note" and el.find("chord") is None and el.find("grace") is None:
                pitch = el.find("pitch")
                label = "rest" if pitch is None else name((STEPS.index(pitch.findtext("step")),
                                                           int(float(pitch.findtext("alter") or 0)),
                                                           int(pitch.findtext("octave"))))
                ties = {t.get("type") for t in el.findall("tie")}
                duration = Fraction(int(el.findtext("duration") or 0), divisions)
                measure["events"].append([label, str(duration), "start" in ties, "stop" in ties])
        result["measures"].append(measure)
    return result


def parse_name(label: str) -> Pitch | None:
    """The pitch of a name such as "Bb3" or "F#6"; None when it is not one."""
    label = label.strip()
    if len(label) < 2 or label[0].upper() not in STEPS:
        return None
    body, octave = label[1:], ""
    while body and (body[-1].isdigit() or body[-1] == "-"):
        octave, body = body[-1] + octave, body[:-1]
    if not octave or (body.strip("#") and body.strip("b")):
        return None
    try:
        return STEPS.index(label[0].upper()), body.count("#") - body.count("b"), int(octave)
    except ValueError:
        return None
