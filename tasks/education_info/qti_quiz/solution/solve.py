#!/usr/bin/env python3
"""Oracle: select items to the blueprint, author QTI 2.1 items, test and manifest with lxml, zip them.

Run under another name (a symlink in adversaries/), the selection ignores one rule of the blueprint:
- enemy_blind_selection.py: enemy groups (two items that cue each other may both be chosen);
- retired_blind_selection.py: item status (retired items may be chosen);
- enemy_blind_reversed.py: enemy groups, taking each cell's items in reversed bank order.
"""
# ALE-CANARY-0b1f4f83-8c0e-4d4b-9a55-3f7f4de3e2a1

import csv
import itertools
import os
import re
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from lxml import etree

IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])
QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
LETTERS = "ABCDE"
IGNORED_RULE, _, ORDER = Path(__file__).stem.partition("_blind_")


def read_bank() -> list[dict]:
    with (IN / "item_bank.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["points"] = int(row["points"])
        row["options"] = [row[f"option_{c}"] for c in "abcde" if row[f"option_{c}"]]
    return rows


def read_blueprint() -> dict:
    text = (IN / "blueprint.md").read_text(encoding="utf-8")
    cells = {}
    for line in text.splitlines():
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cols) == 5 and re.fullmatch(r"\d+", cols[2] or "x"):
            for diff, n in zip(("easy", "medium", "hard"), cols[2:], strict=True):
                cells[cols[0], diff] = int(n)
    title = re.search(r"^# Assessment blueprint: (.+)$", text, re.M).group(1)
    return {
        "cells": cells,
        "total_points": int(re.search(r"Total points: exactly (\d+)", text).group(1)),
        "minimums": {t: int(n) for n, t in re.findall(r"at least (\d+) .*?\(`(\w+)`\)", text)},
        "partial": "each correct option selected earns" in text,
        "title": title,
    }


def select(bank: list[dict], bp: dict) -> list[dict]:
    """Depth-first search over the blueprint cells for a set meeting every rule."""
    cells = [(cell, n) for cell, n in bp["cells"].items() if n]
    ranked = bank[::-1] if ORDER == "reversed" else bank
    pools = {cell: [i for i in ranked if (i["status"] == "active" or IGNORED_RULE == "retired")
                    and (i["objective"], i["difficulty"]) == cell]
             for cell, _ in cells}

    def search(k: int, chosen: list[dict], groups: set[str], points: int) -> list[dict] | None:
        if k == len(cells):
            types = Counter(i["type"] for i in chosen)
            ok = points == bp["total_points"] and all(types[t] >= n for t, n in bp["minimums"].items())
            return chosen if ok else None
        cell, n = cells[k]
        for combo in itertools.combinations(pools[cell], n):
            tags = [i["enemy_group"] for i in combo if i["enemy_group"]]
            if IGNORED_RULE != "enemy" and (len(set(tags)) < len(tags) or groups & set(tags)):
                continue
            gain = sum(i["points"] for i in combo)
            if points + gain > bp["total_points"]:
                continue
            found = search(k + 1, chosen + list(combo), groups | set(tags), points + gain)
            if found:
                return found
        return None

    result = search(0, [], set(), 0)
    if result is None:
        raise SystemExit("no selection satisfies the blueprint")
    return result


def el(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    node = etree.SubElement(parent, f"{{{QTI}}}{tag}", {k: str(v) for k, v in attrs.items()})
    if text is not None:
        node.text = text
    return node


def set_outcome(parent, ident: str, base: str, value) -> None:
    el(el(parent, "setOutcomeValue", identifier=ident), "baseValue", str(value), baseType=base)


def build_item(item: dict, partial: bool) -> bytes:
    kind, points = item["type"], item["points"]
    root = etree.Element(f"{{{QTI}}}assessmentItem", nsmap={None: QTI, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{QTI} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd")
    for key, value in (("identifier", item["item_id"]), ("title", f"{item['item_id']} ({item['objective']})"),
                       ("adaptive", "false"), ("timeDependent", "false")):
        root.set(key, value)
    card = {"choice": "single", "multiple_response": "multiple", "order": "ordered", "text_entry": "single"}[kind]
    base = "string" if kind == "text_entry" else "identifier"
    decl = el(root, "responseDeclaration", identifier="RESPONSE", cardinality=card, baseType=base)
    sep = "," if kind == "order" else ";"
    keyed = [item["key"]] if kind == "text_entry" else [k.strip() for k in item["key"].split(sep)]
    correct = el(decl, "correctResponse")
    for value in keyed:
        el(correct, "value", value)
    mr_partial = kind == "multiple_response" and partial
    if mr_partial:
        share = round(points / len(keyed), 4)
        mapping = el(decl, "mapping", lowerBound="0", upperBound=points, defaultValue=-share)
        for value in keyed:
            el(mapping, "mapEntry", mapKey=value, mappedValue=share)
    score = el(root, "outcomeDeclaration", identifier="SCORE", cardinality="single", baseType="float",
               normalMaximum=points)
    el(el(score, "defaultValue"), "value", "0")
    maxscore = el(root, "outcomeDeclaration", identifier="MAXSCORE", cardinality="single", baseType="float")
    el(el(maxscore, "defaultValue"), "value", str(points))
    el(root, "outcomeDeclaration", identifier="FEEDBACK", cardinality="single", baseType="identifier")

    body = el(root, "itemBody")
    if kind == "text_entry":
        para = el(body, "p", item["stem"] + " ")
        el(para, "textEntryInteraction", responseIdentifier="RESPONSE", expectedLength=max(8, len(item["key"]) + 4))
    else:
        tag = "orderInteraction" if kind == "order" else "choiceInteraction"
        attrs = {"responseIdentifier": "RESPONSE", "shuffle": "false"}
        if kind != "order":
            attrs["maxChoices"] = "1" if kind == "choice" else "0"
        inter = el(body, tag, **attrs)
        el(inter, "prompt", item["stem"])
        for letter, text in zip(LETTERS, item["options"], strict=False):
            el(inter, "simpleChoice", text, identifier=letter)

    cond = el(el(root, "responseProcessing"), "responseCondition")
    when = el(cond, "responseIf")
    match = el(when, "match")
    el(match, "variable", identifier="RESPONSE")
    el(match, "correct", identifier="RESPONSE")
    set_outcome(when, "SCORE", "float", points)
    set_outcome(when, "FEEDBACK", "identifier", "correct")
    other = el(cond, "responseElse")
    if mr_partial:
        inner = el(other, "responseCondition")
        empty = el(inner, "responseIf")
        el(el(empty, "isNull"), "variable", identifier="RESPONSE")
        set_outcome(empty, "SCORE", "float", 0)
        el(el(el(inner, "responseElse"), "setOutcomeValue", identifier="SCORE"), "mapResponse", identifier="RESPONSE")
    else:
        set_outcome(other, "SCORE", "float", 0)
    set_outcome(other, "FEEDBACK", "identifier", "incorrect")
    for ident, text in (("correct", item["feedback_correct"]), ("incorrect", item["feedback_incorrect"])):
        el(el(root, "modalFeedback", outcomeIdentifier="FEEDBACK", identifier=ident, showHide="show"), "p", text)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def build_test(chosen: list[dict], title: str) -> bytes:
    root = etree.Element(f"{{{QTI}}}assessmentTest", nsmap={None: QTI}, identifier="QUIZ", title=title)
    el(el(root, "outcomeDeclaration", identifier="SCORE", cardinality="single", baseType="float"),
       "defaultValue").append(etree.fromstring(f'<value xmlns="{QTI}">0</value>'))
    part = el(root, "testPart", identifier="P1", navigationMode="nonlinear", submissionMode="simultaneous")
    section = el(part, "assessmentSection", identifier="S1", title=title, visible="true")
    for item in chosen:
        el(section, "assessmentItemRef", identifier=item["item_id"], href=f"items/{item['item_id']}.xml")
    summing = el(el(root, "outcomeProcessing"), "setOutcomeValue", identifier="SCORE")
    el(el(summing, "sum"), "testVariables", variableIdentifier="SCORE")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def build_manifest(chosen: list[dict]) -> bytes:
    root = etree.Element(f"{{{CP}}}manifest", nsmap={None: CP}, identifier="MANIFEST-QUIZ")
    meta = etree.SubElement(root, f"{{{CP}}}metadata")
    etree.SubElement(meta, f"{{{CP}}}schema").text = "QTIv2.1 Package"
    etree.SubElement(meta, f"{{{CP}}}schemaversion").text = "1.0.0"
    etree.SubElement(root, f"{{{CP}}}organizations")
    resources = etree.SubElement(root, f"{{{CP}}}resources")
    test = etree.SubElement(resources, f"{{{CP}}}resource", identifier="RES-TEST", type="imsqti_test_xmlv2p1",
                            href="assessment.xml")
    etree.SubElement(test, f"{{{CP}}}file", href="assessment.xml")
    for item in chosen:
        etree.SubElement(test, f"{{{CP}}}dependency", identifierref=f"RES-{item['item_id']}")
    for item in chosen:
        href = f"items/{item['item_id']}.xml"
        res = etree.SubElement(resources, f"{{{CP}}}resource", identifier=f"RES-{item['item_id']}",
                               type="imsqti_item_xmlv2p1", href=href)
        etree.SubElement(res, f"{{{CP}}}file", href=href)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def main() -> None:
    bank, bp = read_bank(), read_blueprint()
    chosen = sorted(select(bank, bp), key=lambda i: (i["objective"], i["difficulty"], i["item_id"]))
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp)
        (stage / "items").mkdir()
        for item in chosen:
            (stage / "items" / f"{item['item_id']}.xml").write_bytes(build_item(item, bp["partial"]))
        (stage / "assessment.xml").write_bytes(build_test(chosen, bp["title"]))
        (stage / "imsmanifest.xml").write_bytes(build_manifest(chosen))
        OUT.mkdir(parents=True, exist_ok=True)
        target = OUT / "quiz_package.zip"
        target.unlink(missing_ok=True)
        subprocess.run(["zip", "-q", "-r", "-X", str(target), "imsmanifest.xml", "assessment.xml", "items"],
                       cwd=stage, check=True)


if __name__ == "__main__":
    main()
