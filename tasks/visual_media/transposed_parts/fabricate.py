#!/usr/bin/env python3
"""Plausible fabrication: parts that never went through MuseScore. The concert-pitch MusicXML is
packed into .mscz-named archives, the PDFs are one-line text stubs, and the range report flags the
concert notes that look extreme."""

import csv
import os
import re
import zipfile
from pathlib import Path

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
PARTS = {"Clarinet in B♭": "clarinet_in_Bb", "Alto Saxophone": "alto_sax_in_Eb", "Horn in F": "horn_in_F"}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    score = (IN / "score_concert.musicxml").read_text()
    rows = []
    for label, slug in PARTS.items():
        if label not in score:
            continue
        with zipfile.ZipFile(OUT / f"{slug}.mscz", "w") as archive:
            archive.writestr(f"{slug}.mscx", score)
        (OUT / f"{slug}.pdf").write_text(f"%PDF-1.4\n% {label} part\n")
        for number, body in re.findall(r'<measure number="(\d+)">(.*?)</measure>', score, re.S)[:40:13]:
            octave = re.search(r"<octave>(\d)</octave>", body)
            if octave and octave.group(1) in "26":
                rows.append([slug, number, f"C{octave.group(1)}", "above range"])
    with open(OUT / "range_report.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["part", "measure", "written_pitch", "issue"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
