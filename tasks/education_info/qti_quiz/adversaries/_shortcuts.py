#!/usr/bin/env python3
"""Near-miss shortcut agents for education_info/qti_quiz; the behaviour follows the name it runs under.

Each one writes the package from string templates (items, test, manifest) and zips it; each cuts one corner:

- first_fit_selection: the first active items of each blueprint cell, in bank order (no search for a set
  that also meets the points total, the enemy rule and the type minimums).
- points_blind_selection: a search that honours cells, status, enemies and type minimums but never adds
  up the points.
- template_scoring: the standard match_correct response-processing template and no feedback outcome.
- no_feedback_on_empty: custom processing, but an empty response exits early with SCORE 0 and no
  feedback outcome set.
- unescaped_templates: the XML is assembled with f-strings and no escaping of the bank's text.
- unfloored_credit: every multiple-response item gets per-option credit (a mapping with a deduction for
  each wrong option) whatever the policy, and the mapping has no lower bound.
- loose_matching: the scoring rule accepts more than the key: a text-entry answer earns the points when it is any
  part of the key (stringMatch substring="true"), and a single-answer choice item also accepts its last wrong option.
- numeric_tolerance: a numeric answer near the key earns the points: a numeric text-entry answer anywhere within
  a margin of the key (QTI `equal` with an absolute tolerance: 2 for a whole number, half a unit of the last
  decimal otherwise, narrow enough that the key with a digit added or dropped still scores 0), preferring such
  items; where the selection holds none, a choice item whose options end in numbers (values, prefixes,
  addresses) also credits the option whose number is nearest the key's.
- wrong_option_voids_credit: every multiple-response item gets partial credit per correct option whatever the
  policy, and any wrong option selected voids the item (a deduction of the full points, floored at 0) instead
  of deducting one share; it prefers multiple-response items with two keyed options of five, where selecting
  every option scores 0 under both rules.
"""

import csv
import itertools
import os
import re
import zipfile
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

INPUT = Path(os.environ["ALE_INPUT_DIR"])
OUTPUT = Path(os.environ["ALE_OUTPUT_DIR"])
MODE = Path(__file__).name.removesuffix(".py")
QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"


def esc(text):
    return str(text) if MODE == "unescaped_templates" else escape(str(text))


def attr(text):
    return f'"{text}"' if MODE == "unescaped_templates" else quoteattr(str(text))


with (INPUT / "item_bank.csv").open(newline="", encoding="utf-8") as handle:
    bank = list(csv.DictReader(handle))
for row in bank:
    row["points"] = int(row["points"])
    row["options"] = [row[f"option_{c}"] for c in "abcde" if row[f"option_{c}"]]
text = (INPUT / "blueprint.md").read_text(encoding="utf-8")
cells = {}
for line in text.splitlines():
    cols = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cols) == 5 and cols[2].isdigit():
        for difficulty, n in zip(("easy", "medium", "hard"), cols[2:], strict=True):
            if int(n):
                cells[cols[0], difficulty] = int(n)
target = int(re.search(r"Total points: exactly (\d+)", text).group(1))
minimums = {t: int(n) for n, t in re.findall(r"at least (\d+) .*?\(`(\w+)`\)", text)}
partial = "each correct option selected earns" in text
title = re.search(r"^# Assessment blueprint: (.+)$", text, re.M).group(1)
pools = {cell: [i for i in bank if i["status"] == "active" and (i["objective"], i["difficulty"]) == cell]
         for cell in cells}
if MODE == "wrong_option_voids_credit":
    pools = {cell: sorted(pool, key=lambda i: i["type"] == "multiple_response"
                          and 2 * len(i["key"].split(";")) > len(i["options"])) for cell, pool in pools.items()}



def numeric_entry(item):
    return item["type"] == "text_entry" and re.fullmatch(r"\d+(?:\.\d+)?", item["key"]) is not None


if MODE == "numeric_tolerance":
    pools = {cell: sorted(pool, key=lambda i: not numeric_entry(i)) for cell, pool in pools.items()}


def search(k, chosen, groups):
    if k == len(cells):
        types = Counter(i["type"] for i in chosen)
        points_ok = MODE == "points_blind_selection" or sum(i["points"] for i in chosen) == target
        return chosen if points_ok and all(types[t] >= n for t, n in minimums.items()) else None
    cell, n = list(cells.items())[k]
    for combo in itertools.combinations(pools[cell], n):
        tags = [i["enemy_group"] for i in combo if i["enemy_group"]]
        if len(set(tags)) == len(tags) and not groups & set(tags):
            found = search(k + 1, chosen + list(combo), groups | set(tags))
            if found:
                return found
    return None


if MODE == "first_fit_selection":
    chosen = [i for cell, n in cells.items() for i in pools[cell][:n]]
else:
    chosen = search(0, [], set())


def set_value(ident, base, value):
    return f'<setOutcomeValue identifier="{ident}"><baseValue baseType="{base}">{value}</baseValue></setOutcomeValue>'


def item_xml(item):
    kind, points = item["type"], item["points"]
    card = {"choice": "single", "multiple_response": "multiple", "order": "ordered", "text_entry": "single"}[kind]
    base = "string" if kind == "text_entry" else "identifier"
    keys = [item["key"]] if kind == "text_entry" else [k.strip() for k in re.split(r"[;,]", item["key"])]
    values = "".join(f"<value>{esc(k)}</value>" for k in keys)
    mapping = ""
    mr_partial = kind == "multiple_response" and (partial or MODE in ("unfloored_credit", "wrong_option_voids_credit"))
    if mr_partial:
        share = round(points / len(keys), 4)
        entries = "".join(f'<mapEntry mapKey="{k}" mappedValue="{share}"/>' for k in keys)
        floor = "" if MODE == "unfloored_credit" else ' lowerBound="0"'
        deduction = points if MODE == "wrong_option_voids_credit" else share
        mapping = f'<mapping{floor} upperBound="{points}" defaultValue="{-deduction}">{entries}</mapping>'
    if kind == "text_entry":
        body = f'<p>{esc(item["stem"])} <textEntryInteraction responseIdentifier="RESPONSE"/></p>'
    else:
        tag = "orderInteraction" if kind == "order" else "choiceInteraction"
        limit = "" if kind == "order" else f' maxChoices="{1 if kind == "choice" else 0}"'
        choices = "".join(f'<simpleChoice identifier="{"ABCDE"[n]}">{esc(o)}</simpleChoice>'
                          for n, o in enumerate(item["options"]))
        body = (f'<{tag} responseIdentifier="RESPONSE" shuffle="false"{limit}><prompt>{esc(item["stem"])}</prompt>'
                f"{choices}</{tag}>")
    if MODE == "template_scoring":
        template = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"
        processing = f'<responseProcessing template="{template}"/>'
    else:
        wrong = ('<setOutcomeValue identifier="SCORE"><mapResponse identifier="RESPONSE"/></setOutcomeValue>'
                 if mr_partial else set_value("SCORE", "float", 0))
        early = ""
        if MODE == "no_feedback_on_empty":
            early = ('<responseCondition><responseIf><isNull><variable identifier="RESPONSE"/></isNull>'
                     f'{set_value("SCORE", "float", 0)}<exitResponse/></responseIf></responseCondition>')
        keyed = '<match><variable identifier="RESPONSE"/><correct identifier="RESPONSE"/></match>'
        if MODE == "numeric_tolerance" and numeric_entry(item):
            decimals = len(item["key"].partition(".")[2])
            keyed = (f'<equal toleranceMode="absolute" tolerance="{0.5 * 10 ** -decimals if decimals else 2:g}">'
                     '<correct identifier="RESPONSE"/><variable identifier="RESPONSE"/></equal>')
        if MODE == "numeric_tolerance" and kind == "choice" and not any(numeric_entry(i) for i in chosen):
            ends = {letter: re.search(r"\d+(?:\.\d+)?$", o) for letter, o in zip("ABCDE", item["options"], strict=False)}
            numbers = {letter: float(end.group()) for letter, end in ends.items() if end}
            if keys[0] in numbers and len(numbers) > 1:
                nearest = min((v for v in numbers if v != keys[0]), key=lambda v: abs(numbers[v] - numbers[keys[0]]))
                keyed = (f'<or>{keyed}<match><variable identifier="RESPONSE"/>'
                         f'<baseValue baseType="identifier">{nearest}</baseValue></match></or>')
        if MODE == "loose_matching" and kind == "text_entry":
            keyed = ('<stringMatch caseSensitive="true" substring="true"><correct identifier="RESPONSE"/>'
                     '<variable identifier="RESPONSE"/></stringMatch>')
        if MODE == "loose_matching" and kind == "choice":
            second = [letter for letter in "ABCDE"[:len(item["options"])] if letter not in keys][-1]
            keyed = (f'<or>{keyed}<match><variable identifier="RESPONSE"/>'
                     f'<baseValue baseType="identifier">{second}</baseValue></match></or>')
        processing = (f'<responseProcessing>{early}<responseCondition><responseIf>{keyed}'
                      f'{set_value("SCORE", "float", points)}'
                      f'{set_value("FEEDBACK", "identifier", "correct")}</responseIf><responseElse>'
                      f'<responseCondition><responseIf><isNull><variable identifier="RESPONSE"/></isNull>'
                      f'{set_value("SCORE", "float", 0)}</responseIf><responseElse>{wrong}</responseElse>'
                      f'</responseCondition>{set_value("FEEDBACK", "identifier", "incorrect")}</responseElse>'
                      "</responseCondition></responseProcessing>")
    feedback = "".join(f'<modalFeedback outcomeIdentifier="FEEDBACK" identifier="{ident}" showHide="show">'
                       f"<p>{esc(item['feedback_' + ident])}</p></modalFeedback>" for ident in ("correct", "incorrect"))
    return (f'<?xml version="1.0" encoding="UTF-8"?><assessmentItem xmlns="{QTI}" identifier="{item["item_id"]}" '
            f'title={attr(item["item_id"] + " " + item["objective"])} adaptive="false" timeDependent="false">'
            f'<responseDeclaration identifier="RESPONSE" cardinality="{card}" baseType="{base}">'
            f"<correctResponse>{values}</correctResponse>{mapping}</responseDeclaration>"
            '<outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float">'
            "<defaultValue><value>0</value></defaultValue></outcomeDeclaration>"
            '<outcomeDeclaration identifier="FEEDBACK" cardinality="single" baseType="identifier"/>'
            f"<itemBody>{body}</itemBody>{processing}{feedback}</assessmentItem>")


files = {f"items/{i['item_id']}.xml": item_xml(i) for i in chosen}
refs = "".join(f'<assessmentItemRef identifier="{i["item_id"]}" href="items/{i["item_id"]}.xml"/>' for i in chosen)
files["test.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?><assessmentTest xmlns="{QTI}" identifier="QUIZ" '
                     f'title={attr(title)}><testPart identifier="P1" navigationMode="nonlinear" '
                     f'submissionMode="simultaneous"><assessmentSection identifier="S1" title={attr(title)} '
                     f'visible="true">{refs}</assessmentSection></testPart></assessmentTest>')
resources = "".join(f'<resource identifier="R-{i["item_id"]}" type="imsqti_item_xmlv2p1" '
                    f'href="items/{i["item_id"]}.xml"><file href="items/{i["item_id"]}.xml"/></resource>' for i in chosen)
files["imsmanifest.xml"] = ('<?xml version="1.0" encoding="UTF-8"?>'
                            '<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="M1">'
                            '<organizations/><resources><resource identifier="R-TEST" '
                            'type="imsqti_test_xmlv2p1" href="test.xml"><file href="test.xml"/></resource>'
                            f"{resources}</resources></manifest>")
OUTPUT.mkdir(parents=True, exist_ok=True)
with zipfile.ZipFile(OUTPUT / "quiz_package.zip", "w", zipfile.ZIP_DEFLATED) as archive:
    for name, content in files.items():
        archive.writestr(name, content)
