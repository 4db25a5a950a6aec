"""Transposed parts: a copyist engraves the transposing instruments' parts of a concert-pitch score.

The generator draws a small ensemble's piece in concert pitch (MusicXML: key signature and a
mid-piece key change, dynamics, rehearsal marks, chromatic notes, ties across bar lines, and a few
notes planted, at measures and pitches drawn per seed, outside the transposing instruments' written practical ranges) and computes each
transposing part at written pitch and the out-of-range notes. The grader converts every submitted
.mscz to MusicXML with MuseScore itself (inspect_parts.py in a tool sandbox), reads whether it was
saved in concert pitch, and checks the written pitches by spelling (step, alteration, octave), the key
signatures, rhythm and ties, rehearsal marks and each measure's dynamics, the instrument's transposition,
the PDFs (their text, and that each is the engraving of its submitted part: the inspector engraves the
.mscz itself and compares the glyphs and their places), that each file holds its one part and not the
whole score, and the range report against the reference and against the submitted parts themselves.

Variants: a wind quintet in E-flat moving to A-flat; a larger ensemble with alto saxophone in D major
moving to F major (sharp keys written, then flat); a piece in G moving to B-flat whose horn line
goes below the horn's written range (a passage the copyist must flag for an octave call).
"""

from __future__ import annotations

import json
import random
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from lastexam.task import Grading, Params, judge

from .music import STEPS, Pitch, key_alter, key_shift, midi, name, parse_name, read_part, transpose

INSPECTOR = Path(__file__).with_name("inspect_parts.py")
PATTERNS = ((2, 2, 2, 2), (4, 2, 2), (2, 2, 4), (1, 1, 2, 2, 2), (4, 4), (3, 1, 2, 2), (2, 1, 1, 4), (6, 2))
DYNAMICS = ("pp", "p", "mp", "mf", "f", "ff")


@dataclass(frozen=True)
class Instrument:
    label: str  # the part name in the score
    slug: str  # the deliverable's file stem ("" for an instrument read at concert pitch)
    d: int  # written = concert + (d diatonic steps, c semitones)
    c: int
    clef: tuple[str, int]
    low: str  # the concert range the melody walks in
    high: str
    written_range: tuple[str, str] = ("", "")  # practical written range (transposing instruments)


FLUTE = Instrument("Flute", "", 0, 0, ("G", 2), "E4", "G6")
CLARINET = Instrument("Clarinet in B♭", "clarinet_in_Bb", 1, 2, ("G", 2), "F3", "F5", ("E3", "C6"))
ALTO_SAX = Instrument("Alto Saxophone", "alto_sax_in_Eb", 5, 9, ("G", 2), "C#3", "G#5", ("Bb3", "F6"))
HORN = Instrument("Horn in F", "horn_in_F", 4, 7, ("G", 2), "C3", "D5", ("F#3", "C6"))
BASSOON = Instrument("Bassoon", "", 0, 0, ("F", 4), "C2", "D4")
CELLO = Instrument("Violoncello", "", 0, 0, ("F", 4), "C2", "D4")


@dataclass(frozen=True)
class Ensemble:
    title: str
    instruments: tuple[Instrument, ...]
    measures: int
    keys: tuple[tuple[int, int], ...]  # (first measure, fifths)
    rehearsal: tuple[int, ...]
    planted: tuple[tuple[str, int, str], ...]  # (slug, measure, written pitch) outside the range
    tempo: str


ENSEMBLES = {
    "quintet_eb": Ensemble("Serenade for Winds", (FLUTE, CLARINET, HORN, BASSOON), 16, ((1, -3), (9, -4)),
                           (5, 9, 13), (("clarinet_in_Bb", 6, "D6"), ("clarinet_in_Bb", 14, "D3"),
                                        ("horn_in_F", 11, "D6")), "Andante"),
    "sax_modulating": Ensemble("Harbour Lights", (FLUTE, CLARINET, ALTO_SAX, HORN, CELLO), 24, ((1, 2), (13, -1)),
                               (5, 13, 19), (("alto_sax_in_Eb", 4, "A6"), ("alto_sax_in_Eb", 16, "A3"),
                                             ("clarinet_in_Bb", 20, "E6"), ("horn_in_F", 9, "E3")), "Moderato"),
    "horn_low": Ensemble("Evening Chorale", (FLUTE, CLARINET, HORN, BASSOON), 20, ((1, 1), (11, -2)),
                         (7, 11, 15), (("horn_in_F", 13, "E3"), ("horn_in_F", 13, "D3"), ("horn_in_F", 14, "C#3"),
                                       ("horn_in_F", 14, "E3"), ("clarinet_in_Bb", 17, "D6")), "Adagio"),
}


def transposing(ensemble: Ensemble) -> list[Instrument]:
    return [i for i in ensemble.instruments if i.slug]


def _key_at(ensemble: Ensemble, measure: int) -> int:
    return [f for start, f in ensemble.keys if start <= measure][-1]


def _diatonic(p: Pitch) -> int:
    return p[2] * 7 + p[0]


def _from_diatonic(number: int, fifths: int) -> Pitch:
    return number % 7, key_alter(fifths, number % 7), number // 7


def _melody(ensemble: Ensemble, inst: Instrument, rng: random.Random) -> list[list[dict]]:
    """One part's measures of events {pitch: Pitch | None, dur: eighths, tie_start, tie_stop}."""
    low, high = (_diatonic(parse_name(x)) for x in (inst.low, inst.high))
    planted = {m for s, m, _ in ensemble.planted if s == inst.slug}
    position = rng.randint(low + 3, high - 3)
    measures = []
    for number in range(1, ensemble.measures + 1):
        fifths = _key_at(ensemble, number)
        events = []
        for dur in rng.choice(PATTERNS):
            position += rng.choice((-2, -1, -1, 1, 1, 2, 3, -3, 0))
            position = min(max(position, low), high)
            pitch = _from_diatonic(position, fifths)
            if rng.random() < 0.12 and number not in planted:  # a chromatic note: lowered 3/6/7 or raised 4
                degree = (position - _diatonic((STEPS.index(_tonic(fifths)[0]), 0, 0))) % 7
                if degree in (2, 5, 6):
                    pitch = (pitch[0], pitch[1] - 1, pitch[2])
                elif degree == 3:
                    pitch = (pitch[0], pitch[1] + 1, pitch[2])
            rest = rng.random() < 0.06 and number not in planted
            events.append({"pitch": None if rest else pitch, "dur": dur, "tie_start": False, "tie_stop": False})
        measures.append(events)
    for slug, number, written in ensemble.planted:
        if slug == inst.slug:
            concert = transpose(parse_name(written), -inst.d, -inst.c)
            target = next(e for e in measures[number - 1] if e["pitch"] is not None and not e.get("planted"))
            target["pitch"], target["planted"] = concert, True
    for number in range(1, ensemble.measures):  # a few ties over the bar line
        if number in planted or number + 1 in planted or rng.random() > 0.2:
            continue
        last, first = measures[number - 1][-1], measures[number][0]
        if last["pitch"] is not None and first["pitch"] is not None and not first["tie_start"]:
            first["pitch"] = last["pitch"]
            last["tie_start"] = first["tie_stop"] = True
    return measures


def planted_for(ensemble: Ensemble, rng: random.Random) -> tuple[tuple[str, int, str], ...]:
    """This instance's out-of-range notes, drawn from ``rng`` (a stream of its own): each part's planted notes
    moved together to other measures, and a note that stands alone in its measure given another natural
    pitch one to three steps beyond the same end of the written range (a passage of several keeps its pitches)."""
    ranges = {i.slug: i.written_range for i in transposing(ensemble)}
    per_measure = Counter((slug, number) for slug, number, _ in ensemble.planted)
    moved = []
    for slug in dict.fromkeys(s for s, _, _ in ensemble.planted):
        numbers = [m for s, m, _ in ensemble.planted if s == slug]
        shift = rng.randint(2 - min(numbers), ensemble.measures - 1 - max(numbers))
        low, high = (parse_name(x) for x in ranges[slug])
        for s, number, written in ensemble.planted:
            if s != slug:
                continue
            if per_measure[slug, number] == 1:
                above = midi(parse_name(written)) > midi(high)
                edge = _diatonic(high if above else low)
                steps = [edge + k if above else edge - k for k in (1, 2, 3)]
                written = name(_from_diatonic(rng.choice(steps), 0))
            moved.append((slug, number + shift, written))
    return tuple(moved)


def _tonic(fifths: int) -> str:
    return ("Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#")[fifths + 7]


def _musicxml(ensemble: Ensemble, parts: dict[str, list[list[dict]]]) -> str:
    types = {1: "eighth", 2: "quarter", 3: "quarter", 4: "half", 6: "half", 8: "whole"}
    rng = random.Random(ensemble.title)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML 3.1 Partwise//EN" '
           '"http://www.musicxml.org/dtds/partwise.dtd">',
           '<score-partwise version="3.1">', f"<work><work-title>{ensemble.title}</work-title></work>",
           "<identification><creator type=\"composer\">M. Okafor</creator></identification>", "<part-list>"]
    for k, inst in enumerate(ensemble.instruments, 1):
        out.append(f'<score-part id="P{k}"><part-name>{inst.label}</part-name></score-part>')
    out.append("</part-list>")
    for k, inst in enumerate(ensemble.instruments, 1):
        out.append(f'<part id="P{k}">')
        for number, events in enumerate(parts[inst.label], 1):
            out.append(f'<measure number="{number}">')
            key = dict(ensemble.keys).get(number)
            if number == 1:
                out.append(f"<attributes><divisions>2</divisions><key><fifths>{key}</fifths></key>"
                           f"<time><beats>4</beats><beat-type>4</beat-type></time>"
                           f"<clef><sign>{inst.clef[0]}</sign><line>{inst.clef[1]}</line></clef></attributes>")
                if k == 1:
                    out.append(f'<direction placement="above"><direction-type><words font-weight="bold">'
                               f"{ensemble.tempo}</words></direction-type></direction>")
            elif key is not None:
                out.append(f"<attributes><key><fifths>{key}</fifths></key></attributes>")
            if number in ensemble.rehearsal:
                letter = "ABCDEFG"[ensemble.rehearsal.index(number)]
                out.append(f'<direction placement="above"><direction-type><rehearsal>{letter}</rehearsal>'
                           f"</direction-type></direction>")
            if number == 1 or number in ensemble.rehearsal:
                out.append(f'<direction placement="below"><direction-type><dynamics><{rng.choice(DYNAMICS)}/>'
                           f"</dynamics></direction-type></direction>")
            for e in events:
                body = "<rest/>" if e["pitch"] is None else (
                    f"<pitch><step>{STEPS[e['pitch'][0]]}</step>"
                    + (f"<alter>{e['pitch'][1]}</alter>" if e["pitch"][1] else "")
                    + f"<octave>{e['pitch'][2]}</octave></pitch>")
                ties = ('<tie type="stop"/>' if e["tie_stop"] else "") + ('<tie type="start"/>' if e["tie_start"] else "")
                tied = ('<tied type="stop"/>' if e["tie_stop"] else "") + ('<tied type="start"/>' if e["tie_start"] else "")
                out.append(f"<note>{body}<duration>{e['dur']}</duration>{ties}<voice>1</voice>"
                           f"<type>{types[e['dur']]}</type>{'<dot/>' if e['dur'] in (3, 6) else ''}"
                           + (f"<notations>{tied}</notations>" if tied else "") + "</note>")
            out.append("</measure>")
        out.append("</part>")
    out.append("</score-partwise>")
    return "\n".join(out) + "\n"


def written_part(ensemble: Ensemble, inst: Instrument, measures: list[list[dict]]) -> dict:
    """The reference part at written pitch, in read_part's shape (durations in quarters)."""
    shift = key_shift(inst.d, inst.c)
    result = []
    for number, events in enumerate(measures, 1):
        key = dict(ensemble.keys).get(number)
        result.append({
            "number": str(number), "key": None if key is None else key + shift,
            "events": [["rest" if e["pitch"] is None else name(transpose(e["pitch"], inst.d, inst.c)),
                        str(Fraction(e["dur"], 2)),
                        e["tie_start"], e["tie_stop"]] for e in events]})
    return {"measures": result, "transpose": [-inst.d, -inst.c]}


def out_of_range(slug: str, written: dict, ranges: tuple[str, str]) -> list[dict]:
    """Rows of the range report for one part: one per measure and written pitch outside the range."""
    low, high = (midi(parse_name(x)) for x in ranges)
    rows, seen = [], set()
    for measure in written["measures"]:
        for label, *_ in measure["events"]:
            pitch = parse_name(label)
            if pitch is None or low <= midi(pitch) <= high or (measure["number"], label) in seen:
                continue
            seen.add((measure["number"], label))
            rows.append({"part": slug, "measure": str(measure["number"]), "written_pitch": label,
                         "issue": "below range" if midi(pitch) < low else "above range"})
    return rows


def _dynamics(score: str, ensemble: Ensemble, inst: Instrument) -> dict[str, list[str]]:
    """The dynamics of one part of the concert score, by measure number."""
    part = ET.fromstring(score).find(f"part[@id='P{ensemble.instruments.index(inst) + 1}']")
    return {m.get("number"): [d.tag for dyn in m.iter("dynamics") for d in dyn]
            for m in part.findall("measure") if m.find("direction/direction-type/dynamics") is not None}


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    ensemble = ENSEMBLES[params["ensemble"]]
    ensemble = replace(ensemble, planted=planted_for(ensemble, random.Random(f"plants-{params['seed']}:{params['ensemble']}")))
    rng = random.Random(f"{params['seed']}:{params['ensemble']}")
    parts = {inst.label: _melody(ensemble, inst, rng) for inst in ensemble.instruments}
    score = _musicxml(ensemble, parts)
    (input_dir / "score_concert.musicxml").write_text(score)
    reference = {"title": ensemble.title, "parts": {}, "range_report": []}
    for inst in transposing(ensemble):
        written = written_part(ensemble, inst, parts[inst.label])
        reference["parts"][inst.slug] = written | {"label": inst.label, "ranges": list(inst.written_range),
                                                  "rehearsal": {str(m): "ABCDEFG"[k]
                                                                for k, m in enumerate(ensemble.rehearsal)},
                                                  "dynamics": _dynamics(score, ensemble, inst)}
        reference["range_report"] += out_of_range(inst.slug, written, inst.written_range)
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=1))


# --------------------------------------------------------------------------------------------
# grading
# --------------------------------------------------------------------------------------------


def _notes(part: dict) -> list[tuple[str, str]]:
    return [(m["number"], e[0]) for m in part["measures"] for e in m["events"]]


def _share(found: list, expected: list) -> float:
    if not expected:
        return 1.0
    return sum(a == b for a, b in zip(found, expected, strict=False)) / max(len(expected), len(found))


def grade(g: Grading) -> None:
    ref = g.reference_json("reference.json")
    slugs = sorted(ref["parts"])
    if not g.require_files(*(f"{s}.{ext}" for s in slugs for ext in ("mscz", "pdf")), "range_report.csv"):
        return
    run = g.run_tool(["/usr/bin/python3", "inspect_parts.py", *slugs],
                     {"inspect_parts.py": INSPECTOR} | {f"{s}.mscz": g.output(f"{s}.mscz") for s in slugs}
                     | {f"{s}.pdf": g.output(f"{s}.pdf") for s in slugs},
                     timeout=240)
    parts: dict[str, dict] = {}
    flags: dict[str, dict] = {}
    staves: dict[str, int] = {}  # the parts each file holds
    for s in slugs:
        try:
            info = json.loads((run.workdir / f"{s}.json").read_text())
            xml = (run.workdir / f"{s}.musicxml").read_bytes()
            parts[s] = read_part(xml)
            staves[s] = len(ET.fromstring(xml).findall("part"))
            flags[s] = info
        except (OSError, ValueError, KeyError, ET.ParseError):
            continue
    g.check("every part opens in MuseScore and exports to MusicXML", len(parts) == len(slugs), gate=True,
            expected=slugs, found=sorted(parts), reason=run.stderr[-300:])
    if not parts:
        return

    def pitches(s: str) -> float:
        return _share(_notes(parts[s]), _notes(ref["parts"][s])) if s in parts else 0.0

    def keys(s: str) -> bool:
        return s in parts and [(m["number"], m["key"]) for m in parts[s]["measures"] if m["key"] is not None] == \
            [(m["number"], m["key"]) for m in ref["parts"][s]["measures"] if m["key"] is not None]

    def rhythm(s: str) -> float:
        def shape(p: dict) -> list:
            return [(m["number"], [("rest" if e[0] == "rest" else "note", e[1], e[2], e[3]) for e in m["events"]])
                    for m in p["measures"]]
        return _share(shape(parts[s]), shape(ref["parts"][s])) if s in parts else 0.0

    # a part with one note misspelled goes back to the copyist: a part counts only when every note is right
    g.check("written pitches spelled right (step, alteration, octave) in every part",
            sum(pitches(s) == 1.0 for s in slugs) / len(slugs), weight=4,
            found={s: round(pitches(s), 3) for s in slugs})
    g.check("key signatures transposed, key change included",
            sum(keys(s) for s in slugs) / len(slugs), weight=2, found={s: keys(s) for s in slugs})
    g.check("measures, rhythms and ties unchanged", sum(rhythm(s) for s in slugs) / len(slugs), weight=2,
            found={s: round(rhythm(s), 3) for s in slugs})

    def marks(s: str) -> bool:
        if s not in parts:
            return False
        found = {m["number"]: "".join(m["rehearsal"]) for m in parts[s]["measures"] if m["rehearsal"]}
        dynamics = {m["number"]: m["dynamics"] for m in parts[s]["measures"]}
        return found == ref["parts"][s]["rehearsal"] and all(
            dynamics.get(number) == marks for number, marks in ref["parts"][s]["dynamics"].items())

    g.check("rehearsal marks and dynamics kept", sum(marks(s) for s in slugs) / len(slugs),
            found={s: marks(s) for s in slugs})

    def metadata(s: str) -> bool:
        return s in parts and parts[s]["transpose"] == ref["parts"][s]["transpose"] and \
            flags[s].get("transposition") == ref["parts"][s]["transpose"]

    g.check("each part's instrument carries its transposition", sum(metadata(s) for s in slugs) / len(slugs),
            found={s: (parts.get(s, {}).get("transpose"), flags.get(s, {}).get("transposition")) for s in slugs})
    g.check("each file holds its one part, not the score", sum(staves.get(s) == 1 for s in slugs) / len(slugs),
            weight=2, found=staves)
    g.check("the parts are saved at written pitch (concert pitch off)",
            all(s in flags and flags[s].get("concert_pitch") is False for s in slugs),
            found={s: flags.get(s, {}).get("concert_pitch") for s in slugs})

    def pdf_ok(s: str) -> bool:
        if flags.get(s, {}).get("pdf_match", 0.0) < 0.9:  # not the engraving of the submitted part
            return False
        pages = g.pdf_text(f"{s}.pdf", gate=False)
        if not pages:
            return False
        text = "".join("".join(pages).split()).lower()  # layout may run words together
        label = ref["parts"][s]["label"].lower().split(" in ")[0].split()[0]
        return label in text and "".join(ref["title"].lower().split()) in text

    g.check("each PDF is the engraving of its submitted part (title and instrument named)",
            sum(pdf_ok(s) for s in slugs) / len(slugs), weight=2,
            found={s: round(flags.get(s, {}).get("pdf_match", 0.0), 3) for s in slugs})

    rows = g.read_csv("range_report.csv", required_columns=["part", "measure", "written_pitch", "issue"])
    if rows is None:
        return

    def key(r: dict) -> str:
        pitch = parse_name(str(r.get("written_pitch", "")))
        return "|".join((str(r.get("part", "")).strip(), str(r.get("measure", "")).strip(),
                         name(pitch) if pitch else str(r.get("written_pitch"))))

    found = {key(r): str(r.get("issue", "")).strip().lower() for r in rows}
    expected = {key(r): r["issue"] for r in ref["range_report"]}
    g.fraction("the range report flags every written note outside the practical ranges",
               judge(found, expected, lambda a, b: a == b or f"{a!r} != {b!r}"), weight=3)
    own = [key(r) for s in slugs if s in parts
           for r in out_of_range(s, {"measures": parts[s]["measures"]}, tuple(ref["parts"][s]["ranges"]))]
    g.check("the range report agrees with the submitted parts", sorted(found) == sorted(own),
            expected=sorted(own), found=sorted(found))
