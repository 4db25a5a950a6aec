"""Read an XLIFF file with Translate Toolkit and print its units as JSON (run with the tool environment's python).

ALE-CANARY-c9c412cf-b3cf-4391-a5a6-f487eff09d92

Usage: tt_read.py FILE.xlf [words]  -- with "words", each unit also carries pocount's word count of its source.
"""

import json
import sys

from translate.storage import xliff
from translate.tools.pocount import wordcount


def main() -> None:
    with open(sys.argv[1], "rb") as handle:
        store = xliff.xlifffile.parsefile(handle)
    units = []
    for unit in store.units:
        alts = [{"source": str(alt.source or ""), "target": str(alt.target or ""),
                 "quality": alt.xmlelement.get("match-quality"), "origin": alt.xmlelement.get("origin")}
                for alt in unit.getalttrans()]
        row = {"id": unit.xmlelement.get("id"), "source": str(unit.source or ""), "target": str(unit.target or ""),
               "translatable": unit.istranslatable(), "alt": alts}
        if sys.argv[2:] == ["words"]:
            row["words"] = wordcount(str(unit.source or ""))
        units.append(row)
    json.dump(units, sys.stdout)


if __name__ == "__main__":
    main()
