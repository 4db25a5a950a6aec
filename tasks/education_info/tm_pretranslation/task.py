"""Prepare a release's UI strings for the translation vendor: TM pre-translation, QA report, billing analysis.

ALE-CANARY-c9c412cf-b3cf-4391-a5a6-f487eff09d92

Workflow: a localisation engineer takes the release's XLIFF 1.2 file, the TMX translation memory and the
termbase, pre-translates the strings by the hand-off policy (exact, placeable-adjusted and fuzzy matches;
the newest TM entry wins; locked units untouched), lists the filled segments with placeholder, tag,
terminology or copy-source problems, and prepares the vendor's word-count analysis by match band.

generate() builds the XLIFF, TMX and termbase from a bank of translated UI strings (older wordings,
punctuation and token variants, superseded entries with deprecated terms, repeated button labels, plural
groups, locked brand strings) and computes the reference with the policy's own matcher (``policy.py``); the
word counts are cross-checked against Translate Toolkit's pocount run by the tool environment's python.

grade() reads the submitted XLIFF with Translate Toolkit (in a tool sandbox) and with lxml, and checks unit
by unit: structure and sources unchanged, locked units identical, exact, placeable and fuzzy fills with
their states and alt-trans scores, superseded entries never used, no fill where the policy gives none; the
QA rows as an exact set; and every band's segments, words, weighted words and cost.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lxml import etree

from lastexam.task import Grading, Params, run_tool_script, write_csv

from .build import Instance, build, reference, termbase_csv, tmx, xliff
from .policy import BANDS

NS = "{urn:oasis:names:tc:xliff:document:1.2}"
XLF, QA, ANALYSIS = "pretranslated.xlf", "qa_report.csv", "analysis.json"
TT_READ = Path(__file__).parent / "tt_read.py"
MAX_BYTES = 5 * 1024 * 1024


def _pocount_words(xlf: Path) -> dict[str, int]:
    """pocount's word count of every unit's source, by Translate Toolkit in the agent's tool environment."""
    return {u["id"]: u["words"] for u in json.loads(run_tool_script(__file__, TT_READ, str(xlf), "words", timeout=120))}


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    instance = build(dict(params))
    (input_dir / "release_strings.xlf").write_text(xliff(instance), encoding="utf-8")
    (input_dir / "memory.tmx").write_text(tmx(instance), encoding="utf-8")
    write_csv(input_dir / "termbase.csv", ["source_term", "target_term", "forbidden_variant", "status"],
              termbase_csv(instance))
    ref = reference(instance, dict(params))
    counted = _pocount_words(input_dir / "release_strings.xlf")
    for uid, row in ref["units"].items():
        if counted[uid] != row["words"]:
            raise AssertionError(f"word count of {uid}: policy {row['words']}, pocount {counted[uid]}")
    ref["locked"] = [u.uid for u in instance.units if u.locked]
    ref["order"] = [u.uid for u in instance.units]
    ref["sources"] = {u.uid: u.source for u in instance.units}
    ref["outdated"] = _outdated_units(instance)
    (reference_dir / "reference.json").write_text(json.dumps(ref, indent=1, ensure_ascii=False), encoding="utf-8")


def _outdated_units(instance: Instance) -> dict[str, list[str]]:
    """Units whose source has superseded TM entries, with those entries' targets."""
    newest: dict[str, Any] = {}
    for e in instance.tm:
        if e.source not in newest or e.changed > newest[e.source].changed:
            newest[e.source] = e
    stale = {}
    for e in instance.tm:
        if e is not newest[e.source] and e.target != newest[e.source].target:
            stale.setdefault(e.source, []).append(e.target)
    return {u.uid: stale[u.source] for u in instance.units if u.source in stale and not u.locked}


# -- grading ---------------------------------------------------------------------------------------------


def _canonical(element: Any) -> tuple[Any, ...]:
    """An element as attributes, text and children, whitespace between elements ignored."""
    return (element.tag, tuple(sorted(element.attrib.items())), (element.text or "").strip(),
            tuple(_canonical(child) for child in element if isinstance(child.tag, str)))


def _units_by_lxml(data: bytes) -> dict[str, Any] | str:
    """trans-unit elements by id, or the reason the file is not an XLIFF 1.2 document."""
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError as exc:
        return f"not well-formed XML: {exc}"
    if root.tag != f"{NS}xliff" or root.get("version") != "1.2":
        return f"root is {root.tag} version {root.get('version')}, not an XLIFF 1.2 xliff element"
    return {u.get("id"): u for u in root.iter(f"{NS}trans-unit")}


def _read_tt(g: Grading) -> list[dict[str, Any]] | None:
    run = g.run_tool(["python3", "tt_read.py", XLF], {"tt_read.py": TT_READ, XLF: g.output(XLF)}, timeout=60)
    try:
        units = json.loads(run.stdout) if run.ok else None
    except json.JSONDecodeError:
        units = None
    g.check("Translate Toolkit reads pretranslated.xlf as XLIFF", units is not None, gate=True,
            reason="" if units is not None else (run.stderr.strip().splitlines() or ["no output"])[-1][:300])
    return units


def _structure(g: Grading, ref: dict[str, Any], units: list[dict[str, Any]], elements: dict[str, Any],
               original: dict[str, Any]) -> None:
    ids = [u["id"] for u in units]
    same = ids == ref["order"] and all(u["source"] == ref["sources"][u["id"]] for u in units) \
        and all(uid in elements for uid in ids)
    g.check("every unit kept, in order, with its source unchanged", same, gate=True,
            expected=f"{len(ref['order'])} units", found=f"{len(ids)} units",
            reason="" if same else "unit ids, order or sources differ from release_strings.xlf")
    if not same:
        return
    notes = [uid for uid in ref["order"]
             if [_canonical(n) for n in elements[uid].findall(f"{NS}note")] != [_canonical(n) for n in
                                                                               original[uid].findall(f"{NS}note")]]
    g.share("developer notes kept", len(ref["order"]) - len(notes), len(ref["order"]), noun="units",
            wrong=[f"{uid}: notes changed" for uid in notes])
    changed = [uid for uid in ref["locked"] if _canonical(elements[uid]) != _canonical(original[uid])]
    g.share("locked units untouched", len(ref["locked"]) - len(changed), len(ref["locked"]), weight=2,
            noun="locked units", wrong=[f"{uid} changed" for uid in changed])


def _target_state(element: Any) -> str | None:
    target = element.find(f"{NS}target")
    return None if target is None else target.get("state")


def _fills(g: Grading, ref: dict[str, Any], found: dict[str, dict[str, Any]], elements: dict[str, Any]) -> None:
    rows = ref["units"]
    for kind, label in (("exact", "exact matches filled, newest TM entry, state translated"),
                        ("placeable", "placeable matches filled with the unit's own tokens, state translated")):
        mine = {uid: r for uid, r in rows.items() if r["kind"] == kind}
        wrong = [f"{uid}: target {found[uid]['target']!r}, state {_target_state(elements[uid])}, "
                 f"expected {r['target']!r}" for uid, r in mine.items()
                 if found[uid]["target"] != r["target"] or _target_state(elements[uid]) != "translated"]
        g.share(label, len(mine) - len(wrong), len(mine), weight=2, noun="units", wrong=wrong)
    fuzzy = {uid: r for uid, r in rows.items() if r["kind"] == "fuzzy" and r["filled"]}
    wrong = []
    for uid, r in fuzzy.items():
        alts = found[uid]["alt"]
        # every alternative the unit offers must be that entry at that score: several scores are no score
        alt_ok = bool(alts) and all(a["quality"] is not None and a["quality"].strip().rstrip("%") == str(r["score"])
                                    and a["source"] == r["tm_source"] and a["target"] == r["tm_target"] for a in alts)
        if found[uid]["target"] != r["target"] or _target_state(elements[uid]) != "needs-review-translation" \
                or elements[uid].get("approved") == "yes":
            wrong.append(f"{uid}: target {found[uid]['target']!r} state {_target_state(elements[uid])}, "
                         f"expected {r['target']!r} needing review, not approved")
        elif not alt_ok:
            wrong.append(f"{uid}: not one alt-trans with match-quality {r['score']} and the TM entry "
                         f"({len(alts)} alt-trans)")
    g.share(f"fuzzy matches of {ref['threshold']} or more filled for review with their score", len(fuzzy) - len(wrong),
            len(fuzzy), weight=2, noun="units", wrong=wrong)
    stale = [uid for uid, targets in ref["outdated"].items() if found[uid]["target"] in targets]
    g.check("superseded TM entries never used", not stale and bool(ref["outdated"]),
            expected=f"newest of {len(ref['outdated'])} units' TM twins", found=f"{len(stale)} superseded used",
            reason="; ".join(f"{uid} filled from an older entry" for uid in stale[:5]))
    empty = [uid for uid, r in rows.items() if not r["filled"]]
    spurious = [uid for uid in empty if found[uid]["target"] or elements[uid].find(f"{NS}target") is not None]
    g.share("no target where the policy gives no fill", len(empty) - len(spurious), len(empty), weight=2,
            noun="units", wrong=[f"{uid} filled" for uid in spurious])


def _qa(g: Grading, ref: dict[str, Any]) -> None:
    rows = g.read_csv(QA, required_columns=["unit_id", "issue", "detail"], gate=False)
    if rows is None:
        return
    found = {((r.get("unit_id") or "").strip(), (r.get("issue") or "").strip(), (r.get("detail") or "").strip().casefold())
             for r in rows}
    expected = {(u, i, d.casefold()) for u, i, d in ref["qa"]}
    missing, extra = expected - found, found - expected
    score = len(expected & found) / len(expected | found) if expected | found else 1.0
    reason = "; ".join([*(f"missing {u} {i} {d}".strip() for u, i, d in sorted(missing)[:5]),
                        *(f"not an issue: {u} {i} {d}".strip() for u, i, d in sorted(extra)[:4])])
    g.check("QA report lists exactly the problems of the filled segments", score, weight=3,
            expected=f"{len(expected)} rows", found=f"{len(found)} rows", reason=reason)


def _analysis(g: Grading, ref: dict[str, Any]) -> None:
    data = g.read_json(ANALYSIS, gate=False)
    want = ref["analysis"]
    bands = data.get("bands") if isinstance(data, dict) else None
    if not isinstance(bands, dict):
        g.check("analysis.json has bands and total", False, reason="no 'bands' object")
        return
    found = [{"band": name, **(bands.get(name) or {})} for name in bands if isinstance(bands.get(name), dict)]
    expected = [{"band": name, **want["bands"][name]} for name in BANDS]
    g.table("segments and words per match band", found, expected, key="band",
            columns={"segments": 0, "words": 0}, weight=3, partial=True)
    g.table("weighted words and cost per band", found, expected, key="band",
            columns={"weighted_words": 0.0051, "cost": 0.0051}, weight=2, partial=True)
    total = data.get("total") if isinstance(data.get("total"), dict) else {}
    g.number("total words", total.get("words"), want["total"]["words"], abs_tol=0)
    g.number("total cost", total.get("cost"), want["total"]["cost"], abs_tol=0.0051, weight=2)


def grade(g: Grading) -> None:
    if not g.require_files(XLF, QA, ANALYSIS):
        return
    ref = g.reference_json("reference.json")
    path = g.output(XLF)
    data = path.read_bytes() if path.stat().st_size <= MAX_BYTES else b""
    elements = _units_by_lxml(data)
    if not g.check("pretranslated.xlf is well-formed XLIFF 1.2", isinstance(elements, dict), gate=True,
                   reason=elements if isinstance(elements, str) else ""):
        return
    assert isinstance(elements, dict)
    original = _units_by_lxml((g.input_dir / "release_strings.xlf").read_bytes())
    assert isinstance(original, dict), original
    units = _read_tt(g)
    if units is None:
        return
    _structure(g, ref, units, elements, original)
    if any(c.gate and not c.passed for c in g.grade.checks):
        return
    found = {u["id"]: u for u in units}
    _fills(g, ref, found, elements)
    _qa(g, ref)
    _analysis(g, ref)
