#!/usr/bin/env python3
"""Plausible fabrication: Translate Toolkit's own lookups instead of the hand-off policy.

Fills every unit whose source the TM holds verbatim (any entry), writes a QA report of copy-source
targets only, and bills exact matches at 100 % and everything else as new words.
"""

import csv
import json
import os
import re
from pathlib import Path

from translate.storage import tmx, xliff
from translate.tools.pocount import wordcount

IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])
RATE = float(re.search(r"The rate is\s+\**([\d.]+) EUR", Path(os.environ["ALE_INSTRUCTION"]).read_text()).group(1))


def main() -> None:
    with (IN / "memory.tmx").open("rb") as handle:
        memory = {str(u.source): str(u.target) for u in tmx.tmxfile.parsefile(handle).units}
    with (IN / "release_strings.xlf").open("rb") as handle:
        store = xliff.xlifffile.parsefile(handle)
    rows, exact, new = [], [0, 0], [0, 0]
    for unit in store.units:
        if not unit.istranslatable():
            continue
        source = str(unit.source)
        bucket = exact if source in memory else new
        bucket[0] += 1
        bucket[1] += wordcount(source)
        if source in memory:
            unit.settarget(memory[source], lang=store.gettargetlanguage())
            if memory[source] == source:
                rows.append([unit.xmlelement.get("id"), "target_equals_source", ""])
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "pretranslated.xlf").write_bytes(bytes(store))
    with (OUT / "qa_report.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["unit_id", "issue", "detail"], *rows])
    bands = {"100": {"segments": exact[0], "words": exact[1], "weighted_words": round(exact[1] * 0.3, 2),
                     "cost": round(exact[1] * 0.3 * RATE, 2)},
             "no_match": {"segments": new[0], "words": new[1], "weighted_words": float(new[1]),
                          "cost": round(new[1] * RATE, 2)}}
    total = {k: round(bands["100"][k] + bands["no_match"][k], 2) for k in bands["100"]}
    (OUT / "analysis.json").write_text(json.dumps({"bands": bands, "total": total}, indent=1))


if __name__ == "__main__":
    main()
