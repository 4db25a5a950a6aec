"""Build one instance: the release's XLIFF, the translation memory, the termbase, and the reference.

ALE-CANARY-c9c412cf-b3cf-4391-a5a6-f487eff09d92
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from . import bank
from .policy import BANDS, TOKEN, WEIGHTS, TmEntry, band, best_match, qa_issues, words

LANGS = {"de": "de-DE", "fr": "fr-FR"}
SCENARIOS: dict[str, dict[str, Any]] = {
    # plural groups, dialogs each button label appears in, exact matches that have a superseded TM twin
    "plurals": {"plural_groups": 5, "button_uses": (1, 2), "outdated": 2},
    "repetitions": {"plural_groups": 1, "button_uses": (3, 6), "outdated": 2},
    "outdated": {"plural_groups": 2, "button_uses": (1, 2), "outdated": 6},
}
SCREENS = ["files.rename_dialog", "files.delete_dialog", "share.dialog", "settings.page", "account.page",
           "workspace.dialog", "sync.banner", "trash.page", "editor.toolbar", "help.panel"]
PROJECTS = ["NWD-3.8", "NWD-3.9", "NWD-4.0", "NWD-4.1"]
FORCED_OLDER = ("share.link.expires", "account.password.rules", "files.move.done")


@dataclass
class Unit:
    uid: str
    source: str
    note: str = ""
    locked: bool = False
    target: str = ""  # a locked unit's existing target
    group: str = ""  # the plural group it belongs to


@dataclass
class Instance:
    lang: str
    units: list[Unit]
    tm: list[TmEntry]
    terms: dict[str, str]  # source term -> mandatory target term
    forbidden: dict[str, str]
    outdated: list[str] = field(default_factory=list)  # unit ids whose exact match has a superseded twin


def deprecate(text: str, lang: str) -> str:
    """The text with each mandatory term of the termbase replaced by its deprecated variant (case kept)."""
    col = 0 if lang == "de" else 2
    for good, bad in ((t[col], t[col + 1]) for t in bank.TERMS.values()):
        text = text.replace(good, bad).replace(good[0].upper() + good[1:], bad[0].upper() + bad[1:])
        text = text.replace(good.lower(), bad.lower())
    return text


def _has_term(target: str, lang: str) -> bool:
    return deprecate(target, lang) != target


def _date(rng: random.Random, year: int) -> str:
    return f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}T{rng.randint(7, 18):02d}{rng.randint(0, 59):02d}00Z"


def _swap_token(source: str, target: str, rng: random.Random) -> tuple[str, str] | None:
    """Source and target with one token (a placeholder or number found once in each) changed alike."""
    singles = [t for t in dict.fromkeys(TOKEN.findall(source))
               if TOKEN.findall(source).count(t) == 1 and TOKEN.findall(target).count(t) == 1]
    if not singles:
        return None
    token = rng.choice(singles)
    if token.isdigit():
        other = str(int(token) + rng.choice([1, 2, 5, 10, 30]))
    elif token.startswith("{"):
        other = "{" + rng.choice(["value", "item", "label", "n", "x"]) + "}"
    else:
        other = {"%s": "%d", "%d": "%s"}.get(token, "%s")
    pattern = re.compile(r"(?<!\d)" + re.escape(token) + r"(?!\d)")
    return pattern.sub(other, source, count=1), pattern.sub(other, target, count=1)


def _punctuate(source: str, target: str, rng: random.Random) -> tuple[str, str] | None:
    """An older punctuation of the same string (final stop dropped, ellipsis typed as dots, title case)."""
    if source.endswith("…") and target.endswith("…"):
        return source[:-1] + "...", target[:-1] + "..."
    if source.endswith(".") and target.endswith(".") and rng.random() < 0.7:
        return source[:-1], target[:-1]
    if len(source.split()) >= 3 and not TOKEN.search(source.split()[1]):
        return " ".join(w[:1].upper() + w[1:] for w in source.split()), target
    return None


def _strip_tags(source: str, target: str) -> tuple[str, str] | None:
    tag = re.compile(r"</?[a-z]+\s*/?>")
    if not tag.search(source):
        return None
    return tag.sub(lambda m: " " if m.group(0).startswith("<br") else "", source), \
        tag.sub(lambda m: " " if m.group(0).startswith("<br") else "", target)


def _notes(entry_key: str, source: str) -> str:
    parts = []
    for token in dict.fromkeys(TOKEN.findall(source)):
        if token.isdigit():
            continue
        parts.append(f"{token} is replaced at run time")
    if "<" in source:
        parts.append("keep the markup")
    if not parts:
        parts.append(f"UI text for {entry_key.split('.')[0]}")
    return "; ".join(parts)


def build(params: dict[str, Any]) -> Instance:
    """The instance of these params; raises RuntimeError when no attempt covers every case the grade needs."""
    rng = random.Random(params["seed"])
    for _ in range(60):
        instance = _attempt(params, rng)
        if not _missing_cases(instance, params):
            return instance
    raise RuntimeError(f"no instance covering every case for {params}")


def _attempt(params: dict[str, Any], rng: random.Random) -> Instance:
    lang, sc = params["lang"], SCENARIOS[params["scenario"]]
    entries = bank.ENTRIES[:]
    rng.shuffle(entries)
    tm: list[tuple[str, str, str]] = []  # (source, target, role) before dates and order
    # Older wordings that every instance holds: a placeholder added (86 and 79 points) and a tag dropped (93)
    forced = [e for e in entries if e.key in FORCED_OLDER]
    same = [e for e in entries if e.en == e.target(lang) and e not in forced]
    termed = [e for e in entries if _has_term(e.target(lang), lang) and e not in forced and e not in same]
    others = [e for e in entries if e not in forced + same + termed]
    exact = same[:2] + termed[:sc["outdated"] + 1] + others[:9 - sc["outdated"]]
    violating, outdated = exact[2], [e.key for e in exact[3:3 + sc["outdated"]]]
    pool = [e for e in entries if e not in exact]
    for e in exact:
        target = deprecate(e.target(lang), lang) if e is violating else e.target(lang)
        tm.append((e.en, target, "current"))
        if e.key in outdated:
            tm.append((e.en, deprecate(e.target(lang), lang), "old"))
    swapped_one = False
    for e in pool:
        older = e.older and (e.older[0], e.older[1] if lang == "de" else e.older[2])
        swap = _swap_token(e.en, e.target(lang), rng)
        options = [o for o in (older, swap, _punctuate(e.en, e.target(lang), rng), _strip_tags(e.en, e.target(lang)))
                   if o]
        roll = rng.random()
        if e in forced:
            source, target = older
        elif swap and not swapped_one:
            (source, target), swapped_one = swap, True
        elif roll < 0.15 or not options:
            continue  # a new string: nothing in the TM
        else:
            source, target = rng.choice(options)
            if roll > 0.85 and TOKEN.search(source):
                source, target = _swap_token(source, target, rng) or (source, target)
        tm.append((source, target, "current"))
    units: list[Unit] = []
    for e in exact + pool:
        units.append(Unit(e.key, e.en, _notes(e.key, e.en)))
    rng.shuffle(units)
    low, high = sc["button_uses"]
    buttons = [(b, rng.randint(low, high)) for b in bank.BUTTONS]
    for b, uses in buttons:
        if rng.random() < 0.85:
            tm.append((b.en, b.target(lang), "current"))
        for screen in rng.sample(SCREENS, uses):
            units.insert(rng.randint(0, len(units)), Unit(f"{screen}.{b.key}", b.en, "Button label"))
    for key, en, de, fr in rng.sample(bank.PLURALS, sc["plural_groups"]):
        forms = de if lang == "de" else fr
        position = rng.randint(0, len(units))
        for k in (1, 0):
            units.insert(position, Unit(f"{key}[{k}]", en[k], "Plural form: " + ("one" if k == 0 else "other"),
                                        group=key))
        if rng.random() < 0.7:
            tm += [(en[0], forms[0], "current"), (en[1], forms[1], "current")]
    for key, text in bank.LOCKED:
        units.insert(rng.randint(0, len(units)), Unit(key, text, "Do not translate", locked=True,
                                                      target=text if rng.random() < 0.5 else ""))
    tm.append(("Northwind Drive", "Northwind Drive", "current"))
    return Instance(lang, units, _date_and_order(tm, rng), _terms(lang), _forbidden(lang), outdated)


def _date_and_order(tm: list[tuple[str, str, str]], rng: random.Random) -> list[TmEntry]:
    """TM entries in a shuffled file order with change dates; a superseded entry is older than its twin and sits
    before it in the file about half of the time."""
    rows = []
    for source, target, role in tm:
        year = rng.randint(2019, 2021) if role == "old" else rng.randint(2022, 2026)
        rows.append((source, target, _date(rng, year)))
    rng.shuffle(rows)
    twins = [i for i, row in enumerate(rows) if sum(r[0] == row[0] for r in rows) > 1]
    for k, source in enumerate(dict.fromkeys(rows[i][0] for i in twins)):
        first, second = [i for i in twins if rows[i][0] == source]
        if (rows[first][2] < rows[second][2]) != (k % 2 == 0):  # even pairs: the superseded one first
            rows[first], rows[second] = rows[second], rows[first]
    return [TmEntry(f"nwd-{rng.randint(10000, 99999)}-{i}", s, t, d, i) for i, (s, t, d) in enumerate(rows)]


def _terms(lang: str) -> dict[str, str]:
    return {src: (t[0] if lang == "de" else t[2]) for src, t in bank.TERMS.items()}


def _forbidden(lang: str) -> dict[str, str]:
    return {src: (t[1] if lang == "de" else t[3]) for src, t in bank.TERMS.items()}


# -- the reference ---------------------------------------------------------------------------------------


def reference(instance: Instance, params: dict[str, Any]) -> dict[str, Any]:
    """Per unit: the match the policy finds, whether it is filled, its band and words; the QA rows and costs."""
    threshold = params["threshold"]
    seen: set[str] = set()
    rows: dict[str, dict[str, Any]] = {}
    qa: list[list[str]] = []
    for unit in instance.units:
        if unit.locked:
            continue
        match = best_match(unit.source, instance.tm)
        filled = match.kind in ("exact", "placeable") or (match.kind == "fuzzy" and match.score >= threshold)
        repetition = unit.source in seen
        seen.add(unit.source)
        rows[unit.uid] = {"kind": match.kind, "score": match.score, "filled": filled,
                          "tuid": match.entry.tuid if match.entry else "",
                          "tm_source": match.entry.source if match.entry else "",
                          "tm_target": match.entry.target if match.entry else "",
                          "target": match.target if filled else "",
                          "state": ("translated" if match.kind != "fuzzy" else "needs-review-translation") if filled
                          else "", "band": "repetitions" if repetition else band(match), "words": words(unit.source)}
        if filled:
            qa += [[unit.uid, issue, detail] for issue, detail in qa_issues(unit.source, match.target, instance.terms)]
    return {"units": rows, "qa": qa, "analysis": analysis(rows, params["rate"]), "threshold": threshold}


def analysis(rows: dict[str, dict[str, Any]], rate: float) -> dict[str, Any]:
    bands: dict[str, dict[str, Any]] = {}
    for name in BANDS:
        mine = [r for r in rows.values() if r["band"] == name]
        n_words = sum(r["words"] for r in mine)
        bands[name] = {"segments": len(mine), "words": n_words, "weight": WEIGHTS[name],
                       "weighted_words": round(n_words * WEIGHTS[name], 2),
                       "cost": round(n_words * WEIGHTS[name] * rate + 1e-9, 2)}
    total_cost = round(sum(b["cost"] for b in bands.values()), 2)
    return {"bands": bands, "total": {"segments": len(rows), "words": sum(b["words"] for b in bands.values()),
                                      "weighted_words": round(sum(b["weighted_words"] for b in bands.values()), 2),
                                      "cost": total_cost}}


def _missing_cases(instance: Instance, params: dict[str, Any]) -> list[str]:
    """The cases a full grade needs that this instance lacks (each shortcut must meet one on every variant)."""
    ref = reference(instance, params)
    rows = ref["units"].values()
    kinds = [r["kind"] for r in rows if r["filled"]]
    missing = [k for k in ("exact", "placeable", "fuzzy") if k not in kinds]
    if not any(r["filled"] and r["target"] != r["tm_target"] for r in rows if r["kind"] == "fuzzy") \
            and not any(r["kind"] == "placeable" for r in rows):
        missing.append("adjusted target")
    if not any(r["kind"] == "fuzzy" and not r["filled"] for r in rows) and params["threshold"] > 75:
        missing.append("fuzzy under the threshold")
    if not any(r["band"] == "no_match" for r in rows):
        missing.append("no match")
    if not any(r["band"] == "repetitions" for r in rows):
        missing.append("repetition")
    issues = {i for _, i, _ in ref["qa"]}
    missing += [i for i in ("placeholder_mismatch", "tag_mismatch", "term_violation", "target_equals_source")
                if i not in issues]
    by_source = {}
    for e in instance.tm:
        by_source.setdefault(e.source, []).append(e)
    twins = [sorted(v, key=lambda e: e.order) for v in by_source.values() if len(v) > 1 and len({e.target for e in v}) > 1]
    if not any(v[0].changed > v[-1].changed for v in twins) or not any(v[0].changed < v[-1].changed for v in twins):
        missing.append("superseded entries in both file orders")
    if not any(u.locked and any(e.source == u.source for e in instance.tm) for u in instance.units):
        missing.append("a locked unit with a TM match")
    split_total = sum(len(u.source.split()) for u in instance.units if not u.locked)
    if split_total == sum(r["words"] for r in rows):
        missing.append("a word count that differs from a whitespace split")
    return missing


# -- writing the files -----------------------------------------------------------------------------------


def xliff(instance: Instance) -> str:
    lang = LANGS[instance.lang]
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">',
           f'  <file original="web/src/locales/en-US.json" source-language="en-US" target-language="{lang}" '
           'datatype="plaintext" product-name="Northwind Drive" product-version="4.2.0" build-num="4217">',
           '    <header>',
           '      <tool tool-id="i18n-extract" tool-name="i18n-extract" tool-version="2.7.1"/>',
           '      <note>Release 4.2 UI strings. Placeholders in braces and printf style are filled at run time; '
           'markup is escaped HTML.</note>',
           '    </header>',
           '    <body>']
    open_group = ""
    for unit in instance.units:
        if unit.group != open_group:
            if open_group:
                out.append('      </group>')
            if unit.group:
                out.append(f'      <group id={quoteattr(unit.group)} restype="x-gettext-plurals">')
            open_group = unit.group
        indent = "        " if unit.group else "      "
        locked = ' translate="no"' if unit.locked else ""
        out.append(f'{indent}<trans-unit id={quoteattr(unit.uid)} resname={quoteattr(unit.uid)}{locked}>')
        out.append(f'{indent}  <source>{escape(unit.source)}</source>')
        if unit.target:
            out.append(f'{indent}  <target state="final">{escape(unit.target)}</target>')
        if unit.note:
            out.append(f'{indent}  <note from="developer">{escape(unit.note)}</note>')
        out.append(f'{indent}</trans-unit>')
    if open_group:
        out.append('      </group>')
    out += ['    </body>', '  </file>', '</xliff>', '']
    return "\n".join(out)


def tmx(instance: Instance) -> str:
    lang = LANGS[instance.lang]
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<tmx version="1.4">',
           '  <header creationtool="Northwind TM export" creationtoolversion="5.1" datatype="plaintext" '
           'segtype="sentence" adminlang="en-US" srclang="en-US" o-tmf="nwtm"/>', '  <body>']
    for i, e in enumerate(instance.tm):
        project = PROJECTS[int(e.changed[:4]) % len(PROJECTS)]
        out.append(f'    <tu tuid="{e.tuid}" creationdate="{e.changed}" changedate="{e.changed}" '
                   f'changeid="{"lmeyer" if i % 3 else "tbernard"}">')
        out.append(f'      <prop type="x-project">{project}</prop>')
        out.append(f'      <tuv xml:lang="en-US"><seg>{escape(e.source)}</seg></tuv>')
        out.append(f'      <tuv xml:lang="{lang}"><seg>{escape(e.target)}</seg></tuv>')
        out.append('    </tu>')
    out += ['  </body>', '</tmx>', '']
    return "\n".join(out)


def termbase_csv(instance: Instance) -> list[list[str]]:
    rows = [[src, instance.terms[src], instance.forbidden[src], "mandatory"] for src in instance.terms]
    return rows
