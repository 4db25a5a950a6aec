#!/usr/bin/env python3
"""Run by the grader in a tool sandbox: each <slug>.mscz given on the command line is exported to
<slug>.musicxml by MuseScore itself, and <slug>.json records what the saved file says about the part:
whether it was saved with concert pitch on, and its instrument's transposition (diatonic, chromatic)."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

MAX_MSCX = 20_000_000


def saved_state(path: str) -> dict:
    with zipfile.ZipFile(path) as archive:
        member = next(i for i in archive.infolist() if i.filename.endswith(".mscx") and "/" not in i.filename)
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
        with open(f"{slug}.json", "w") as out:
            json.dump(state, out)


if __name__ == "__main__":
    main()
