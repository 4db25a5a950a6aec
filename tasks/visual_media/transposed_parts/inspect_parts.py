#!/usr/bin/env python3
"""Run by the grader in a tool sandbox: each <slug>.mscz given on the command line is exported to
<slug>.musicxml by MuseScore itself, and <slug>.json records what the saved file says about the part:
whether it was saved with concert pitch on, and its instrument's transposition (diatonic, chromatic), read from
the archive's one .mscx, the one MuseScore opens.
When the submitted <slug>.pdf is given too, the part is also engraved to PDF here from the .mscz, and
pdf_match is the share of the engraving's glyphs (text, page and position, from pdftotext -bbox) that
the submitted PDF shows at the same place: the PDF must be the engraving of the submitted part."""

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

MAX_MSCX = 20_000_000
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">(.*?)</word>')


def glyphs(pdf: str) -> list[tuple[int, str, int, int]]:
    """Every word pdftotext finds in a PDF: page, text and position (in points, rounded)."""
    done = subprocess.run(["pdftotext", "-bbox", pdf, "-"], capture_output=True, text=True, timeout=60)
    out = []
    for page, body in enumerate(done.stdout.split("<page ")[1:]):
        out += [(page, text, round(float(x)), round(float(y))) for x, y, text in WORD.findall(body)]
    return out


def pdf_match(submitted: str, engraved: str) -> float:
    """The share of the engraving's glyphs the submitted PDF holds at the same page and place (1 point slack)."""
    want, got = glyphs(engraved), set(glyphs(submitted))
    if not want:
        return 0.0
    hits = sum(any((p, t, x + dx, y + dy) in got for dx in (-1, 0, 1) for dy in (-1, 0, 1)) for p, t, x, y in want)
    return hits / max(len(want), len(got))


def saved_state(path: str) -> dict:
    """The saved concert-pitch state and transposition of the one score in the archive: MuseScore opens the
    .mscx that META-INF/container.xml names, so an archive holding a second .mscx (which would have this
    reading one score and MuseScore another) is refused."""
    with zipfile.ZipFile(path) as archive:
        scores = [i for i in archive.infolist() if i.filename.lower().endswith(".mscx")]
        if len(scores) != 1:
            raise ValueError(f"the archive holds {len(scores)} .mscx scores, not one")
        member = scores[0]
        if "META-INF/container.xml" in archive.namelist():
            named = [f.get("full-path") for f in ET.fromstring(archive.read("META-INF/container.xml")).iter("rootfile")]
            if named and named[0] != member.filename:
                raise ValueError(f"container.xml names {named[0]!r}, not the archive's score {member.filename!r}")
        if member.file_size > MAX_MSCX:
            raise ValueError("score too large")
        root = ET.fromstring(archive.read(member))
    score = root.find("Score")
    instrument = score.find("Part/Instrument")
    return {"concert_pitch": (score.findtext("Style/concertPitch") or "0").strip() == "1",
            "transposition": [int(instrument.findtext("transposeDiatonic") or 0),
                              int(instrument.findtext("transposeChromatic") or 0)]}


def main() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=os.getcwd())
    for slug in sys.argv[1:]:
        try:
            state = saved_state(f"{slug}.mscz")
        except Exception as exc:
            print(f"{slug}: {exc}", file=sys.stderr)
            continue
        done = subprocess.run(["mscore3", "-o", f"{slug}.musicxml", f"{slug}.mscz"], env=env,
                              capture_output=True, text=True, timeout=100)
        if done.returncode != 0:
            print(f"{slug}: mscore3 failed: {done.stderr[-300:]}", file=sys.stderr)
            continue
        if os.path.exists(f"{slug}.pdf"):
            engraved = subprocess.run(["mscore3", "-o", f"{slug}_engraved.pdf", f"{slug}.mscz"], env=env,
                                      capture_output=True, text=True, timeout=100)
            try:
                state["pdf_match"] = pdf_match(f"{slug}.pdf", f"{slug}_engraved.pdf") if engraved.returncode == 0 \
                    else 0.0
            except (OSError, ValueError, subprocess.SubprocessError) as exc:
                print(f"{slug}: the PDF could not be compared: {exc}", file=sys.stderr)
                state["pdf_match"] = 0.0
        with open(f"{slug}.json", "w") as out:
            json.dump(state, out)


if __name__ == "__main__":
    main()
