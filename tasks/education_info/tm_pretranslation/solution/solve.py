#!/usr/bin/env python3
"""Oracle: pre-translate the XLIFF from the TMX with Translate Toolkit, QA the fills, bill the bands with pocount."""
# ALE-CANARY-c9c412cf-b3cf-4391-a5a6-f487eff09d92

import csv
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

from translate.search.lshtein import python_distance
from translate.storage import tmx, xliff

IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])
INSTRUCTION = Path(os.environ["ALE_INSTRUCTION"]).read_text(encoding="utf-8")
TOKEN = re.compile(r"%\d+\$[sd]|%[sd]|\{[A-Za-z_][A-Za-z0-9_]*\}|\d+")
PLACEHOLDER = re.compile(r"%\d+\$[sd]|%[sd]|\{[A-Za-z_][A-Za-z0-9_]*\}")
TAG = re.compile(r"</?[a-z]+\s*/?>")
WEIGHTS = {"100": 0.30, "95-99": 0.60, "85-94": 0.70, "75-84": 0.85, "no_match": 1.00, "repetitions": 0.25}
NS = "{urn:oasis:names:tc:xliff:document:1.2}"


def policy_numbers() -> tuple[int, float]:
    """The fill threshold and the rate per weighted word, as the hand-off instruction states them."""
    threshold = re.search(r"fuzzy matches scoring at least\s+\**(\d+)", INSTRUCTION)
    rate = re.search(r"The rate is\s+\**([\d.]+) EUR", INSTRUCTION)
    if not threshold or not rate:
        raise SystemExit("the instruction does not state the threshold and the rate")
    return int(threshold.group(1)), float(rate.group(1))


def read_tm() -> list[dict]:
    with (IN / "memory.tmx").open("rb") as handle:
        store = tmx.tmxfile.parsefile(handle)
    entries = []
    for i, unit in enumerate(store.units):
        entries.append({"source": str(unit.source), "target": str(unit.target),
                        "changed": unit.xmlelement.get("changedate") or "", "order": i})
    return entries


def score(a: str, b: str) -> int:
    longest = max(len(a), len(b))
    return 100 * (longest - python_distance(a, b)) // longest if longest else 100


def adjust(tm_source: str, tm_target: str, source: str) -> str:
    old, new = TOKEN.findall(tm_source), TOKEN.findall(source)
    if len(old) != len(new):
        return tm_target
    mapping = {o: n for o, n in zip(old, new, strict=False) if o != n}
    return TOKEN.sub(lambda m: mapping.get(m.group(0), m.group(0)), tm_target) if mapping else tm_target


def match(source: str, tm: list[dict]) -> tuple[str, int, dict | None]:
    def rank(candidate):
        s, e = candidate
        return (s, e["changed"], -e["order"])

    exact = [(100, e) for e in tm if e["source"] == source]
    if exact:
        return "exact", 100, max(exact, key=rank)[1]
    mask = TOKEN.sub("\0", source)
    placeable = [(score(source, e["source"]), e) for e in tm if TOKEN.sub("\0", e["source"]) == mask]
    if placeable:
        return "placeable", 100, max(placeable, key=rank)[1]
    best = max(((score(source, e["source"]), e) for e in tm), key=rank, default=(0, None))
    return ("fuzzy" if best[0] >= 75 else "none"), best[0], best[1]


def band(kind: str, value: int) -> str:
    if kind in ("exact", "placeable"):
        return "100"
    for low, name in ((95, "95-99"), (85, "85-94"), (75, "75-84")):
        if value >= low:
            return name
    return "no_match"


def qa(uid: str, source: str, target: str, terms: list[dict]) -> list[list[str]]:
    rows = []
    if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(target)):
        rows.append([uid, "placeholder_mismatch", ""])
    if sorted(TAG.findall(source)) != sorted(TAG.findall(target)):
        rows.append([uid, "tag_mismatch", ""])
    for term in terms:
        if re.search(rf"\b{re.escape(term['source_term'])}s?\b", source, re.I) and \
                term["target_term"].casefold() not in target.casefold():
            rows.append([uid, "term_violation", term["source_term"]])
    if target == source:
        rows.append([uid, "target_equals_source", ""])
    return rows


def pocount_words(units, work: Path, name: str) -> int:
    """Source words of these units as pocount counts them: a one-band XLIFF file, pocount --csv."""
    store = xliff.xlifffile()
    for unit in units:
        store.addsourceunit(str(unit.source))
    path = work / f"{name}.xlf"
    path.write_bytes(bytes(store))
    done = subprocess.run(["pocount", "--csv", str(path)], capture_output=True, text=True, check=True)
    header, row = list(csv.reader(done.stdout.strip().splitlines()))[:2]
    return int(row[header.index("Total Source Words")])


def main() -> None:
    threshold, rate = policy_numbers()
    tm = read_tm()
    with (IN / "termbase.csv").open(newline="", encoding="utf-8") as handle:
        terms = list(csv.DictReader(handle))
    with (IN / "release_strings.xlf").open("rb") as handle:
        store = xliff.xlifffile.parsefile(handle)
    lang = store.gettargetlanguage()
    seen: set[str] = set()
    by_band: dict[str, list] = {name: [] for name in WEIGHTS}
    report: list[list[str]] = []
    for unit in store.units:
        if not unit.istranslatable():
            continue
        uid, source = unit.xmlelement.get("id"), str(unit.source)
        kind, value, entry = match(source, tm)
        by_band["repetitions" if source in seen else band(kind, value)].append(unit)
        seen.add(source)
        if kind == "none" or (kind == "fuzzy" and value < threshold):
            continue
        target = adjust(entry["source"], entry["target"], source)
        unit.settarget(target, lang=lang)
        unit.xmlelement.find(f"{NS}target").set("state", "translated" if kind != "fuzzy" else "needs-review-translation")
        if kind == "fuzzy":
            unit.xmlelement.attrib.pop("approved", None)  # a fuzzy fill waits for the reviewer's approval
            unit.addalttrans(entry["target"], origin="memory.tmx", lang=lang, sourcetxt=entry["source"],
                             matchquality=str(value))
        report += qa(uid, source, target, terms)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "pretranslated.xlf").write_bytes(bytes(store))
    with (OUT / "qa_report.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["unit_id", "issue", "detail"])
        writer.writerows(report)
    bands = {}
    with tempfile.TemporaryDirectory() as work:
        for name, units in by_band.items():
            n_words = pocount_words(units, Path(work), name) if units else 0
            weighted = n_words * WEIGHTS[name]
            bands[name] = {"segments": len(units), "words": n_words, "weighted_words": round(weighted, 2),
                           "cost": round(weighted * rate + 1e-9, 2)}
    total = {"segments": sum(b["segments"] for b in bands.values()), "words": sum(b["words"] for b in bands.values()),
             "weighted_words": round(sum(b["weighted_words"] for b in bands.values()), 2),
             "cost": round(sum(b["cost"] for b in bands.values()), 2)}
    (OUT / "analysis.json").write_text(json.dumps({"bands": bands, "total": total}, indent=2) + "\n")


if __name__ == "__main__":
    main()
