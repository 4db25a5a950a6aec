#!/usr/bin/env python3
"""Plausible fabrication: copy the batch through unchanged, export it as MARCXML and report guessed fixes."""

import csv
import os
import re
from pathlib import Path

from pymarc import MARCReader, XMLWriter

IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (IN / "batch.mrc").open("rb") as handle:
        records = [r for r in MARCReader(handle) if r is not None]
    rows = []
    for record in records:
        rid = record.get_fields("001")[0].data
        for field in record.get_fields("020"):
            if "-" in (field.get("a") or ""):
                field["a"] = re.sub(r"-", "", field.get("a"))
                rows.append([rid, "020", "hyphens removed", "", field.get("a")])
        rows.append([rid, "245", "indicators checked", "", ""])
    with (OUT / "cleaned.mrc").open("wb") as handle:
        for record in records:
            handle.write(record.as_marc())
    with (OUT / "cleaned.xml").open("wb") as handle:
        writer = XMLWriter(handle)
        for record in records:
            writer.write(record)
        writer.close(close_fh=False)
    with (OUT / "change_report.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["record_id", "tag", "action", "old_value", "new_value"])
        out.writerows(rows)


if __name__ == "__main__":
    main()
