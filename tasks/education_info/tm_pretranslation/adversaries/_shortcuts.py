#!/usr/bin/env python3
"""Near-miss shortcut agents for education_info/tm_pretranslation; the behaviour follows the name it runs under.

Each one edits the XLIFF with lxml, writes the QA report and the analysis competently, but cuts one corner:

- exact_only: fills exact TM matches only (placeable and fuzzy matches left for the translators).
- unfixed_placeholders: placeable and fuzzy fills take the TM target as stored, tokens not substituted.
- split_wordcount: words counted with str.split instead of pocount's rule.
- first_tm_entry: the first TM entry of a source wins, whatever its change date.
- locked_blind: translate="no" ignored, locked units filled like the others.
- difflib_scores: fuzzy scores from difflib's SequenceMatcher ratio instead of the Levenshtein score.
- hedged_scores: the Levenshtein score rounded instead of floored, each fuzzy fill offered with that score and its
  neighbours as three alt-trans.
"""

import csv
import difflib
import json
import os
import re
from pathlib import Path

from lxml import etree
from translate.tools.pocount import wordcount

IN, OUT = Path(os.environ["ALE_INPUT_DIR"]), Path(os.environ["ALE_OUTPUT_DIR"])
TEXT = Path(os.environ["ALE_INSTRUCTION"]).read_text(encoding="utf-8")
MODE = Path(__file__).name.removesuffix(".py")
X = "{urn:oasis:names:tc:xliff:document:1.2}"
TOK = re.compile(r"%\d+\$[sd]|%[sd]|\{[A-Za-z_][A-Za-z0-9_]*\}|\d+")
PH = re.compile(r"%\d+\$[sd]|%[sd]|\{[A-Za-z_][A-Za-z0-9_]*\}")
TAGS = re.compile(r"</?[a-z]+\s*/?>")
GRID = [("100", 0.30), ("95-99", 0.60), ("85-94", 0.70), ("75-84", 0.85), ("no_match", 1.00), ("repetitions", 0.25)]
THRESHOLD = int(re.search(r"scoring at least\s+\**(\d+)", TEXT).group(1))
RATE = float(re.search(r"The rate is\s+\**([\d.]+) EUR", TEXT).group(1))


def lev(a, b):
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def similarity(a, b):
    if MODE == "difflib_scores":
        return int(100 * difflib.SequenceMatcher(None, a, b).ratio())
    n = max(len(a), len(b))
    if MODE == "hedged_scores":
        return round(100 * (n - lev(a, b)) / n)
    return 100 * (n - lev(a, b)) // n


tm = []
for k, tu in enumerate(etree.parse(str(IN / "memory.tmx")).getroot().iter("tu")):
    src, tgt = ["".join(seg.itertext()) for seg in tu.iter("seg")]
    tm.append((src, tgt, tu.get("changedate"), k))
if MODE == "first_tm_entry":
    firsts = {}
    for entry in tm:
        firsts.setdefault(entry[0], entry)
    tm = list(firsts.values())


def lookup(source):
    order = (lambda c: (c[0], -c[1][3])) if MODE == "first_tm_entry" else (lambda c: (c[0], c[1][2], -c[1][3]))
    for kind, pool in (("exact", [e for e in tm if e[0] == source]),
                       ("placeable", [e for e in tm if TOK.sub("#", e[0]) == TOK.sub("#", source)])):
        if (pool and kind != "placeable") or (pool and MODE != "exact_only"):
            return kind, 100, max(((similarity(source, e[0]), e) for e in pool), key=order)[1]
        if pool:
            return "skip", 100, None
    best = max(((similarity(source, e[0]), e) for e in tm), key=order)
    return ("fuzzy" if best[0] >= 75 else "none"), best[0], best[1]


def fix(entry, source):
    old, new = TOK.findall(entry[0]), TOK.findall(source)
    if MODE == "unfixed_placeholders" or len(old) != len(new):
        return entry[1]
    swap = {o: n for o, n in zip(old, new, strict=False) if o != n}
    return TOK.sub(lambda m: swap.get(m.group(0), m.group(0)), entry[1])


tree = etree.parse(str(IN / "release_strings.xlf"))
lang = tree.getroot().find(f"{X}file").get("target-language")
terms = list(csv.DictReader((IN / "termbase.csv").open(encoding="utf-8")))
seen, bands, qa = set(), {name: [0, 0] for name, _ in GRID}, []
for unit in tree.getroot().iter(f"{X}trans-unit"):
    locked = unit.get("translate") == "no"
    source = unit.find(f"{X}source").text or ""
    if locked and MODE != "locked_blind":
        continue
    kind, value, entry = lookup(source)
    if not locked:
        name = "repetitions" if source in seen else "100" if kind in ("exact", "placeable", "skip") else next(
            (b for b, low in (("95-99", 95), ("85-94", 85), ("75-84", 75)) if value >= low), "no_match")
        seen.add(source)
        bands[name][0] += 1
        bands[name][1] += len(source.split()) if MODE == "split_wordcount" else wordcount(source)
    fill = kind in ("exact", "placeable") or (kind == "fuzzy" and value >= THRESHOLD and MODE != "exact_only")
    if not fill:
        continue
    text = fix(entry, source)
    for old in unit.findall(f"{X}target"):
        unit.remove(old)
    target = etree.Element(f"{X}target", state="needs-review-translation" if kind == "fuzzy" else "translated")
    target.text = text
    unit.find(f"{X}source").addnext(target)
    qualities = (value - 1, value, value + 1) if MODE == "hedged_scores" else (value,)
    for quality in qualities if kind == "fuzzy" else ():
        alt = etree.SubElement(unit, f"{X}alt-trans", {"match-quality": str(quality), "origin": "memory.tmx"})
        etree.SubElement(alt, f"{X}source").text = entry[0]
        etree.SubElement(alt, f"{X}target").text = entry[1]
    uid = unit.get("id")
    if sorted(PH.findall(source)) != sorted(PH.findall(text)):
        qa.append([uid, "placeholder_mismatch", ""])
    if sorted(TAGS.findall(source)) != sorted(TAGS.findall(text)):
        qa.append([uid, "tag_mismatch", ""])
    qa += [[uid, "term_violation", t["source_term"]] for t in terms
           if re.search(rf"\b{re.escape(t['source_term'])}s?\b", source, re.I)
           and t["target_term"].casefold() not in text.casefold()]
    if text == source:
        qa.append([uid, "target_equals_source", ""])

OUT.mkdir(parents=True, exist_ok=True)
tree.write(str(OUT / "pretranslated.xlf"), xml_declaration=True, encoding="UTF-8")
with (OUT / "qa_report.csv").open("w", newline="", encoding="utf-8") as handle:
    csv.writer(handle).writerows([["unit_id", "issue", "detail"], *qa])
result = {name: {"segments": n, "words": w, "weighted_words": round(w * wt, 2), "cost": round(w * wt * RATE + 1e-9, 2)}
          for (name, wt), (n, w) in zip(GRID, bands.values(), strict=False)}
total = {"segments": sum(b["segments"] for b in result.values()), "words": sum(b["words"] for b in result.values()),
         "weighted_words": round(sum(b["weighted_words"] for b in result.values()), 2),
         "cost": round(sum(b["cost"] for b in result.values()), 2)}
(OUT / "analysis.json").write_text(json.dumps({"bands": result, "total": total}, indent=1))
