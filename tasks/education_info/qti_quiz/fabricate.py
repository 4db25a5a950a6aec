#!/usr/bin/env python3
"""Plausible fabrication: first active items per blueprint cell, template scoring, no feedback, no point check."""

import csv
import os
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])
NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"


def main() -> None:
    with (IN / "item_bank.csv").open(newline="", encoding="utf-8") as handle:
        bank = list(csv.DictReader(handle))
    cells = {}
    for line in (IN / "blueprint.md").read_text().splitlines():
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cols) == 5 and cols[2].isdigit():
            for diff, n in zip(("easy", "medium", "hard"), cols[2:], strict=True):
                cells[cols[0], diff] = int(n)
    chosen = []
    for (obj, diff), n in cells.items():
        pool = [i for i in bank if i["objective"] == obj and i["difficulty"] == diff and i["status"] == "active"]
        chosen += pool[:n]
    files = {}
    for item in chosen:
        opts = [item[f"option_{c}"] for c in "abcde" if item[f"option_{c}"]]
        keys = re.split(r"[;,]", item["key"]) if opts else [item["key"]]
        card = "multiple" if len(keys) > 1 else "single"
        base = "identifier" if opts else "string"
        choices = "".join(f'<simpleChoice identifier="{"ABCDE"[i]}">{escape(o)}</simpleChoice>' for i, o in enumerate(opts))
        inter = (f'<choiceInteraction responseIdentifier="RESPONSE" maxChoices="{1 if card == "single" else 0}">'
                 f"<prompt>{escape(item['stem'])}</prompt>{choices}</choiceInteraction>" if opts else
                 f'<p>{escape(item["stem"])} <textEntryInteraction responseIdentifier="RESPONSE"/></p>')
        values = "".join(f"<value>{escape(k)}</value>" for k in keys)
        files[f"items/{item['item_id']}.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><assessmentItem xmlns="{NS}" identifier="{item["item_id"]}" '
            f'title="{item["item_id"]}" adaptive="false" timeDependent="false">'
            f'<responseDeclaration identifier="RESPONSE" cardinality="{card}" baseType="{base}">'
            f"<correctResponse>{values}</correctResponse></responseDeclaration>"
            '<outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>'
            f"<itemBody>{inter}</itemBody>"
            '<responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>'
            "</assessmentItem>")
    refs = "".join(f'<assessmentItemRef identifier="{i["item_id"]}" href="items/{i["item_id"]}.xml"/>' for i in chosen)
    files["test.xml"] = (f'<assessmentTest xmlns="{NS}" identifier="T" title="Quiz"><testPart identifier="P" '
                         'navigationMode="linear" submissionMode="individual"><assessmentSection identifier="S" '
                         f'title="S" visible="true">{refs}</assessmentSection></testPart></assessmentTest>')
    res = "".join(f'<resource identifier="R{n}" type="imsqti_item_xmlv2p1" href="{h}"><file href="{h}"/></resource>'
                  for n, h in enumerate(sorted(files)) if h.startswith("items/"))
    files["imsmanifest.xml"] = ('<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="M"><organizations/>'
                                f'<resources><resource identifier="T" type="imsqti_test_xmlv2p1" href="test.xml">'
                                f'<file href="test.xml"/></resource>{res}</resources></manifest>')
    OUT.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(OUT / "quiz_package.zip", "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)


if __name__ == "__main__":
    main()
