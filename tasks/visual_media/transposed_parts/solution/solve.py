#!/usr/bin/env python3
"""The file-level oracle: each transposing instrument's part written out at written pitch and
engraved by MuseScore (mscore3 imports it and saves the .mscz, then exports the PDF from that file).

The part is taken from the concert-pitch score, moved by the instrument's interval with the spelling
following the interval (letter moved by the diatonic steps, alteration from the semitones), key
signatures moved on the line of fifths, and the instrument's transposition declared so that MuseScore
knows the part is written pitch. The range report reads the written notes against the practical
written ranges of the instruments.

Run as gui_oracle/solve.sh it does the MuseScore work on the sandbox's desktop instead. The
adversaries (adversaries/*, links to this file) are this oracle with one shortcut, chosen by the name
it runs under.
"""

from __future__ import annotations

import copy
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

INPUT, OUTPUT = Path(os.environ["ALE_INPUT_DIR"]), Path(os.environ["ALE_OUTPUT_DIR"])
SHORTCUT = Path(sys.argv[0]).name.removesuffix(".py")  # "solve" for the oracle, an adversary's name otherwise
GUI = sys.argv[0].endswith(".sh")  # gui_oracle/solve.sh: the MuseScore work done on the desktop

STEPS = "CDEFGAB"
NATURAL = (0, 2, 4, 5, 7, 9, 11)
# part name -> file stem, (diatonic steps, semitones) from concert to written, practical written range
INSTRUMENTS = {
    "Clarinet in B♭": ("clarinet_in_Bb", (1, 2), ("E3", "C6")),
    "Alto Saxophone": ("alto_sax_in_Eb", (5, 9), ("Bb3", "F6")),
    "Horn in F": ("horn_in_F", (4, 7), ("F#3", "C6")),
}
STEPS_IN_LIST = {"clarinet_in_Bb": 4, "alto_sax_in_Eb": 18, "horn_in_F": 14}  # Staff/Part Properties' intervals
SHARPS = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
# copied_range_report: the range report of the pieces as first published (their out-of-range notes were planted at
# the same measures and pitches for every seed), copied instead of read from the parts
PUBLISHED_REPORTS = {
    "Serenade for Winds": [["clarinet_in_Bb", "6", "D6", "above range"], ["clarinet_in_Bb", "14", "D3", "below range"],
                           ["horn_in_F", "11", "D6", "above range"]],
    "Harbour Lights": [["clarinet_in_Bb", "20", "E6", "above range"], ["alto_sax_in_Eb", "4", "A6", "above range"],
                       ["alto_sax_in_Eb", "16", "A3", "below range"], ["horn_in_F", "9", "E3", "below range"]],
    "Evening Chorale": [["clarinet_in_Bb", "17", "D6", "above range"], ["horn_in_F", "13", "E3", "below range"],
                        ["horn_in_F", "13", "D3", "below range"], ["horn_in_F", "14", "C#3", "below range"],
                        ["horn_in_F", "14", "E3", "below range"]],
}


def midi(step: int, alter: int, octave: int) -> int:
    return 12 * (octave + 1) + NATURAL[step] + alter


def move(step: int, alter: int, octave: int, d: int, c: int) -> tuple[int, int, int]:
    number = octave * 7 + step + d
    step2, octave2 = number % 7, number // 7
    return step2, midi(step, alter, octave) + c - midi(step2, 0, octave2), octave2


def fifths_shift(d: int, c: int) -> int:
    step, alter, _ = move(0, 0, 4, d, c)
    return (3, 0, 4, 1, 5, 2, 6).index(step) - 1 + 7 * alter


def pitch_name(step: int, alter: int, octave: int) -> str:
    return f"{STEPS[step]}{'#' * alter if alter > 0 else 'b' * -alter}{octave}"


def parse(label: str) -> int:
    body, octave = label[:-1], int(label[-1])
    return midi(STEPS.index(body[0]), body.count("#") - body.count("b"), octave)


def written_part(root: ET.Element, part_id: str, label: str, d: int, c: int) -> ET.Element:
    """A one-part score of ``part_id`` at written pitch, declaring the instrument's transposition
    (with d = c = 0: the part as it stands in the concert score, declaring none)."""
    if SHORTCUT == "wrong_direction":
        d, c = -d, -c
    score = ET.Element("score-partwise", version="3.1")
    score.append(copy.deepcopy(root.find("work")))
    defaults = ET.SubElement(score, "defaults")
    scaling = ET.SubElement(defaults, "scaling")
    ET.SubElement(scaling, "millimeters").text, ET.SubElement(scaling, "tenths").text = "7", "40"
    layout = ET.SubElement(defaults, "page-layout")
    ET.SubElement(layout, "page-height").text, ET.SubElement(layout, "page-width").text = "1697", "1200"
    title = root.findtext("work/work-title") or ""
    for text, justify, x, y, size in ((title, "center", "600", "1620", "22"), (label, "left", "100", "1540", "12")):
        credit = ET.SubElement(score, "credit", page="1")
        ET.SubElement(credit, "credit-words", {"justify": justify, "valign": "top", "default-x": x,
                                               "default-y": y, "font-size": size}).text = text
    part_list = ET.SubElement(score, "part-list")
    ET.SubElement(ET.SubElement(part_list, "score-part", id="P1"), "part-name").text = label
    part = copy.deepcopy(next(p for p in root.findall("part") if p.get("id") == part_id))
    part.set("id", "P1")
    score.append(part)
    if SHORTCUT == "full_score_as_part" and (d or c):  # the rest of the ensemble kept after the part
        for k, (other, entry) in enumerate(zip(root.findall("part"), root.iter("score-part"), strict=True), 2):
            if other.get("id") != part_id:
                extra = copy.deepcopy(other)
                extra.set("id", f"P{k}")
                ET.SubElement(ET.SubElement(part_list, "score-part", id=f"P{k}"), "part-name").text = \
                    entry.findtext("part-name")
                score.append(extra)
    if SHORTCUT == "dynamics_made_up":  # every dynamic of the score marked mf
        for dynamics in part.iter("dynamics"):
            dynamics[:] = [ET.Element("mf")]
    shift = fifths_shift(d, c)
    for number, measure in enumerate(part.findall("measure")):
        for attributes in measure.findall("attributes"):
            fifths = attributes.find("key/fifths")
            if fifths is not None:
                if SHORTCUT == "dropped_key_change" and number > 0:
                    attributes.remove(attributes.find("key"))
                else:
                    fifths.text = str(int(fifths.text) + shift)
            if number == 0 and (d or c):
                transpose = ET.SubElement(attributes, "transpose")
                ET.SubElement(transpose, "diatonic").text = str(-abs(d))
                ET.SubElement(transpose, "chromatic").text = str(-abs(c))
        for pitch in measure.iter("pitch"):
            step, alter, octave = move(STEPS.index(pitch.findtext("step")), int(pitch.findtext("alter") or 0),
                                       int(pitch.findtext("octave")), d, c)
            if SHORTCUT == "midi_only_spelling":
                written = SHARPS[midi(step, alter, octave) % 12]
                step, alter, octave = STEPS.index(written[0]), len(written) - 1, midi(step, alter, octave) // 12 - 1
            for tag in ("step", "alter", "octave"):
                if pitch.find(tag) is not None:
                    pitch.remove(pitch.find(tag))
            ET.SubElement(pitch, "step").text = STEPS[step]
            if alter:
                ET.SubElement(pitch, "alter").text = str(alter)
            ET.SubElement(pitch, "octave").text = str(octave)
            order = {"step": 0, "alter": 1, "octave": 2}
            pitch[:] = sorted(pitch, key=lambda el: order[el.tag])
    return score


def out_of_range(slug: str, part: ET.Element, ranges: tuple[str, str]) -> list[list[str]]:
    low, high = (parse(x) for x in ranges)
    rows: list[list[str]] = []
    for measure in part.iter("measure"):
        for pitch in measure.iter("pitch"):
            args = STEPS.index(pitch.findtext("step")), int(pitch.findtext("alter") or 0), int(pitch.findtext("octave"))
            value = midi(*args)
            row = [slug, measure.get("number"), pitch_name(*args), "below range" if value < low else "above range"]
            if not low <= value <= high and row not in rows:
                rows.append(row)
    return rows


def mscore(*args: str) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    subprocess.run(["mscore3", *args], check=True, env=env, capture_output=True, timeout=300)


def concert_pitch_on(mscz: Path) -> None:
    """Re-save the file with the score's Concert Pitch style switched on."""
    with zipfile.ZipFile(mscz) as archive:
        members = {i.filename: archive.read(i) for i in archive.infolist()}
    for member, data in members.items():
        if member.endswith(".mscx") and "/" not in member:
            members[member] = data.replace(b"<Style>", b"<Style>\n      <concertPitch>1</concertPitch>", 1)
    with zipfile.ZipFile(mscz, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)


def decoy_score(mscz: Path) -> None:
    """Re-save the file with concert pitch on, as a second score that META-INF/container.xml names (the one
    MuseScore opens), behind a copy of the first with concert pitch off."""
    with zipfile.ZipFile(mscz) as archive:
        members = {i.filename: archive.read(i) for i in archive.infolist()}
    score = next(member for member in members if member.endswith(".mscx") and "/" not in member)
    written = members.pop(score)
    members["META-INF/container.xml"] = members["META-INF/container.xml"].replace(
        f'full-path="{score}"'.encode(), b'full-path="opened.mscx"')
    with zipfile.ZipFile(mscz, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(score, written)
        archive.writestr("opened.mscx", written.replace(b"<Style>", b"<Style>\n      <concertPitch>1</concertPitch>", 1))
        for member, data in members.items():
            archive.writestr(member, data)


def computer(*args: str) -> None:
    """One action on the desktop through the computer tools."""
    subprocess.run(["ale-computer", *args], check=True, stdout=subprocess.DEVNULL)


def shot(tag: str) -> None:
    if os.environ.get("PARTS_DEBUG"):  # a directory for screenshots of the steps, while developing
        computer("screenshot", f"{os.environ['PARTS_DEBUG']}/{tag}.png")


def quiet_first_start() -> None:
    """MuseScore's settings as a returning user has them: no startup wizard, start centre or tours."""
    settings = Path.home() / ".config/MuseScore/MuseScore3.ini"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text("[application]\nstartup\\firstStart=false\n[ui]\n" + "".join(
        f"application\\startup\\{key}=false\n" for key in
        ("showStartCenter", "showTours", "checkUpdate", "showSplashScreen", "checkExtensionsUpdate",
         "showNavigator", "showPlayPanel")))


def gui_part(concert: Path, slug: str) -> None:
    """In MuseScore on the desktop: open the part as it stands in the concert score, give its
    instrument the transposition in Staff/Part Properties, save the .mscz and export the PDF."""
    computer("launch", f"mscore3 {concert}")
    computer("wait", "20")
    # the first staff's bottom space under the key signature (every variant opens with one), which
    # opens the staff's context menu rather than a note's
    computer("right_click", "296", "331")
    computer("wait", "2")
    computer("click", "389", "403")  # Staff/Part Properties...
    computer("wait", "3")
    computer("click", "872", "587")  # Down
    computer("click", "718", "587")  # the interval
    computer("wait", "1")
    for _ in range(STEPS_IN_LIST[slug]):
        computer("key", "Down")
    computer("key", "Return")
    computer("wait", "1")
    computer("click", "796", "658")  # OK
    computer("wait", "3")
    for item, target, tag in ((168, OUTPUT / f"{slug}.mscz", "saved"), (260, OUTPUT / f"{slug}.pdf", "exported")):
        computer("click", "71", "29")  # File
        computer("wait", "2")
        computer("click", "110", str(item))  # Save As... / Export...
        computer("wait", "4")
        computer("key", "ctrl+a")
        computer("type", str(target))
        computer("key", "Return")
        computer("wait", "5")
        shot(f"{slug}_{tag}")
    computer("key", "ctrl+q")  # quit: the score is saved
    computer("wait", "4")


def main() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    root = ET.parse(INPUT / "score_concert.musicxml").getroot()
    names = {sp.get("id"): (sp.findtext("part-name") or "").strip() for sp in root.iter("score-part")}
    report: list[list[str]] = []
    work = Path(tempfile.mkdtemp())
    if GUI:
        quiet_first_start()
    for part_id, label in names.items():
        if label not in INSTRUMENTS:
            continue
        slug, (d, c), ranges = INSTRUMENTS[label]
        score = written_part(root, part_id, label, d, c)
        source = work / f"{slug}.musicxml"
        if GUI:
            ET.ElementTree(written_part(root, part_id, label, 0, 0)).write(source, encoding="UTF-8",
                                                                         xml_declaration=True)
            gui_part(source, slug)
        else:
            ET.ElementTree(score).write(source, encoding="UTF-8", xml_declaration=True)
            mscore("-o", str(OUTPUT / f"{slug}.mscz"), str(source))
            if SHORTCUT == "concert_pitch_left":
                concert_pitch_on(OUTPUT / f"{slug}.mscz")
            if SHORTCUT == "decoy_score":
                decoy_score(OUTPUT / f"{slug}.mscz")
            if SHORTCUT == "concert_pitch_pdf":  # the PDF engraved from the part as it stands in the concert score
                concert = work / f"{slug}_concert.musicxml"
                ET.ElementTree(written_part(root, part_id, label, 0, 0)).write(concert, encoding="UTF-8",
                                                                             xml_declaration=True)
                mscore("-o", str(OUTPUT / f"{slug}.pdf"), str(concert))
            else:
                mscore("-o", str(OUTPUT / f"{slug}.pdf"), str(OUTPUT / f"{slug}.mscz"))
        if SHORTCUT == "no_range_report_judgement":  # the concert pitches read against the written ranges
            concert = next(p for p in root.findall("part") if p.get("id") == part_id)
            report += out_of_range(slug, concert, ranges)
        else:
            report += out_of_range(slug, score.find("part"), ranges)
    if SHORTCUT == "copied_range_report":
        report = PUBLISHED_REPORTS[root.findtext("work/work-title")]
    with open(OUTPUT / "range_report.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["part", "measure", "written_pitch", "issue"])
        writer.writerows(report)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
