"""Assemble an IMS QTI 2.1 content package from a question bank to match an assessment blueprint.

ALE-CANARY-0b1f4f83-8c0e-4d4b-9a55-3f7f4de3e2a1

Workflow: an assessment coordinator receives a course's item bank (CSV: item type, learning
objective, difficulty, points, status, enemy group, stem, options, answer key, feedback) and a
blueprint (counts per objective and difficulty, total points, item-type minimums, exclusion
rules, scoring policy). They select items that satisfy the blueprint, author each one as a QTI
2.1 assessmentItem (interaction, correct response, scoring, modal feedback), write the
assessmentTest and the IMS content-package manifest, and deliver the zip for LMS import.

generate() builds the bank from computed item families (the keys are correct by construction),
draws a hidden feasible selection, publishes the blueprint derived from it, and plants traps in the
bank from a separate stream, first and again last in their cells: a retired item and a new enemy pair of the type
the selection takes there. Blueprint and traps are redrawn until every selection rule binds: a search that honours
every other rule but ignores the enemy groups or the item status (in bank order or reversed, or with the fewest or
most points first) breaks it, and so does one in bank order that ignores the points total. The bank and
blueprint are stored in the reference. The test titles hold an ampersand, so XML written
without escaping breaks.

grade() opens the zip (gate: manifest parses), checks the manifest and the test (title, item
references) against the files, parses every item with lxml against the QTI 2.1 structure, matches
each item to the bank (content faithful, correct response equal to the key; a numeric text entry may be typed
float, or integer for a whole number, and is then matched by value), runs each item's own
responseProcessing rules (an external template is refused, as the instruction says) in a small QTI
interpreter on the key, on wrong and empty responses (for choice every wrong option; for text entry the key one
character longer and one shorter at either end, and a numeric key also one unit of its last digit either side and
a tenth of a unit above, so a rule that takes a part of the key or a range of numbers fails; for multiple response also on one correct option,
one wrong option, one of each, every correct option and one wrong, and every option, which the policy scores
between 0 and the item points)
to verify the awarded score and the feedback shown, and checks every
blueprint constraint on the selected set.

The item families that write the bank's content are in families.py; the grader's QTI parser and
response-processing interpreter are in qti.py.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import posixpath
import re
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from lastexam.task import Grading, Params

from .families import LETTERS, SUBJECTS
from .qti import ParsedItem, QtiError, Value, norm_space, parse_item, parse_xml, q, simulate

CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
PACKAGE = "quiz_package.zip"
TYPE_POINTS = {"choice": 1, "text_entry": 1, "multiple_response": 2, "order": 2}
TYPE_LABEL = {"choice": "multiple choice (one answer)", "multiple_response": "multiple response",
              "text_entry": "text entry", "order": "ordering"}
MAX_UNZIPPED = 50 * 1024 * 1024


@dataclass
class Item:
    """One bank item. ``key`` is a letter, letters joined by ';' (multiple response) or ',' (order), or text."""

    item_id: str
    type: str
    objective: str
    difficulty: str
    points: int
    stem: str
    options: list[str]
    key: str
    feedback_correct: str
    feedback_incorrect: str
    status: str = "active"
    enemy_group: str = ""

    def key_texts(self) -> list[str]:
        """The key as option texts (in order for ordering items), or the literal answer for text entry."""
        if self.type == "text_entry":
            return [self.key]
        sep = "," if self.type == "order" else ";"
        return [self.options[LETTERS.index(k.strip())] for k in self.key.split(sep)]


@dataclass
class Blueprint:
    """What the selected set must satisfy."""

    objectives: dict[str, str]
    cells: dict[str, dict[str, int]]  # objective -> difficulty -> count
    total_points: int
    type_minimums: dict[str, int]
    mr_partial: bool
    course: str
    title: str
    hidden_selection: list[str] = field(default_factory=list)


def build_bank(subject: str, rng: np.random.Generator) -> list[Item]:
    """Three or four items per family, some retired, a few pairs of enemies; ids in shuffled order."""
    spec = SUBJECTS[subject]
    items: list[Item] = []
    enemy = 0
    for objective, difficulty, family in spec["families"]:
        made = []
        seen: set[tuple[str, ...]] = set()
        wanted = int(rng.integers(3, 5))
        while len(made) < wanted:
            raw = family(rng)
            signature = (raw["stem"], *sorted(raw["options"]))
            if signature in seen:
                continue
            seen.add(signature)
            points = TYPE_POINTS[raw["type"]] + (1 if difficulty == "hard" else 0)
            made.append(Item("", raw["type"], objective, difficulty, points, raw["stem"], raw["options"],
                             raw["key"], raw["fb"][0], raw["fb"][1],
                             status="retired" if rng.random() < 0.12 else "active"))
        if rng.random() < 0.6:
            enemy += 1
            for item in made[:2]:
                item.enemy_group = f"E{enemy:02d}"
        items += made
    for _ in range(4):  # items on a shared scenario cue each other across cells of one objective
        a, b = (items[int(i)] for i in rng.choice(len(items), size=2, replace=False))
        if a.objective == b.objective and a.difficulty != b.difficulty and not a.enemy_group and not b.enemy_group:
            enemy += 1
            a.enemy_group = b.enemy_group = f"E{enemy:02d}"
    bank = [items[i] for i in rng.permutation(len(items))]
    number_items(bank, spec["prefix"], rng)
    return bank


def number_items(bank: list[Item], prefix: str, rng: np.random.Generator) -> None:
    """Distinct random ids that rise in bank order."""
    numbers = sorted(int(n) for n in rng.choice(np.arange(100, 999), size=len(bank), replace=False))
    for item, number in zip(bank, numbers, strict=True):
        item.item_id = f"{prefix}-{number}"


def draw_blueprint(subject: str, bank: list[Item], mr_partial: bool, rng: np.random.Generator) -> Blueprint:
    """A hidden feasible selection (no retired items, no two enemies, at most two per cell) and its blueprint."""
    spec = SUBJECTS[subject]
    target = int(rng.integers(10, 13))
    chosen: list[Item] = []
    groups: set[str] = set()
    cells: Counter[tuple[str, str]] = Counter()
    for i in rng.permutation(len(bank)):
        item = bank[int(i)]
        cell = (item.objective, item.difficulty)
        if item.status != "active" or cells[cell] >= 2 or (item.enemy_group and item.enemy_group in groups):
            continue
        chosen.append(item)
        cells[cell] += 1
        if item.enemy_group:
            groups.add(item.enemy_group)
        if len(chosen) == target:
            break
    table = {o: {d: cells[o, d] for d in ("easy", "medium", "hard")} for o in spec["objectives"]}
    types = Counter(item.type for item in chosen)
    return Blueprint(
        objectives=spec["objectives"], cells=table, total_points=sum(i.points for i in chosen),
        type_minimums={t: max(1, types[t] - 1) for t in TYPE_POINTS if types[t]}, mr_partial=mr_partial,
        course=spec["course"], title=spec["title"], hidden_selection=sorted(i.item_id for i in chosen),
    )


def write_bank_csv(bank: list[Item], path: Path) -> None:
    header = ["item_id", "type", "objective", "difficulty", "points", "status", "enemy_group", "stem",
              "option_a", "option_b", "option_c", "option_d", "option_e", "key", "feedback_correct",
              "feedback_incorrect"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for it in bank:
            opts = [*it.options, *[""] * (5 - len(it.options))]
            writer.writerow([it.item_id, it.type, it.objective, it.difficulty, it.points, it.status, it.enemy_group,
                             it.stem, *opts, it.key, it.feedback_correct, it.feedback_incorrect])


def blueprint_markdown(bp: Blueprint) -> str:
    lines = [f"# Assessment blueprint: {bp.title}", "", f"Course: {bp.course}", "",
             "## Items per learning objective and difficulty", "",
             "| objective | description | easy | medium | hard |", "|---|---|---|---|---|"]
    for obj, desc in bp.objectives.items():
        c = bp.cells[obj]
        lines.append(f"| {obj} | {desc} | {c['easy']} | {c['medium']} | {c['hard']} |")
    total_items = sum(sum(c.values()) for c in bp.cells.values())
    lines += ["", "## Totals and mix", "", f"- Number of items: exactly {total_items}.",
              f"- Total points: exactly {bp.total_points} (each item is worth the points in the bank).",
              "- Item-type minimums:"]
    lines += [f"  - at least {n} {TYPE_LABEL[t]} item{'s' if n > 1 else ''} (`{t}`)"
              for t, n in bp.type_minimums.items()]
    mr = ("each correct option selected earns (item points / number of correct options), each incorrect option "
          "selected deducts the same amount, and the item score is bounded between 0 and the item points"
          if bp.mr_partial else "all or nothing: the item points for exactly the keyed set, otherwise 0")
    lines += ["", "## Selection rules", "",
              "- Use only items whose status is `active`; retired items must not appear.",
              "- Items that share an `enemy_group` cue each other's answers: at most one item of any enemy group.",
              "- Each item may appear once.", "",
              "## Scoring policy", "",
              "- Multiple choice, text entry and ordering items: all or nothing (the item points for the keyed "
              "response, otherwise 0). Text entry answers are matched exactly as keyed.",
              f"- Multiple response items: {mr}.",
              "- Every item shows the bank's correct feedback after a fully correct response and its incorrect "
              "feedback after any other response.", ""]
    return "\n".join(lines)


SELECTION_RULES = ("points", "enemies", "status")
NATURAL_ORDERS: tuple[Callable[[list[Item]], list[Item]], ...] = (
    list, lambda bank: bank[::-1], lambda bank: sorted(bank, key=lambda i: i.points),
    lambda bank: sorted(bank, key=lambda i: -i.points))
"""Orders a search may take each cell's items in: the bank's (which is also the ids'), reversed, fewest and most
points first (ties in bank order)."""


def rule_blind_selection(bank: list[Item], bp: Blueprint, ignored: str,
                         order: Callable[[list[Item]], list[Item]]) -> list[Item] | None:
    """The first set, searching cells in blueprint order and items as ``order`` arranges the bank, that meets every
    rule but ``ignored`` (one of SELECTION_RULES); None when there is none."""
    cells = [((objective, difficulty), n) for objective, row in bp.cells.items() for difficulty, n in row.items() if n]
    ranked = order(bank)
    pools = {cell: [i for i in ranked if (ignored == "status" or i.status == "active")
                    and (i.objective, i.difficulty) == cell] for cell, _ in cells}
    fewest = [0] * (len(cells) + 1)  # fewest and most points the cells from k on can add
    most = [0] * (len(cells) + 1)
    for k in reversed(range(len(cells))):
        cell, n = cells[k]
        ranked_points = sorted(i.points for i in pools[cell])
        fewest[k] = fewest[k + 1] + sum(ranked_points[:n])
        most[k] = most[k + 1] + sum(ranked_points[len(ranked_points) - n:])

    def search(k: int, chosen: list[Item], groups: set[str], points: int) -> list[Item] | None:
        if k == len(cells):
            types = Counter(i.type for i in chosen)
            points_ok = ignored == "points" or points == bp.total_points
            return chosen if points_ok and all(types[t] >= n for t, n in bp.type_minimums.items()) else None
        cell, n = cells[k]
        for combo in itertools.combinations(pools[cell], n):
            tags = [i.enemy_group for i in combo if i.enemy_group]
            if ignored != "enemies" and (len(set(tags)) != len(tags) or groups & set(tags)):
                continue
            reach = points + sum(i.points for i in combo)
            if ignored != "points" and not reach + fewest[k + 1] <= bp.total_points <= reach + most[k + 1]:
                continue
            found = search(k + 1, [*chosen, *combo], groups | set(tags), reach)
            if found:
                return found
        return None

    return search(0, [], set(), 0)


def rule_breaches(chosen: list[Item], bp: Blueprint) -> dict[str, list[str]]:
    """What ``chosen`` breaks of each rule in SELECTION_RULES, one message per breach (an empty list: kept)."""
    points = sum(i.points for i in chosen)
    groups = Counter(i.enemy_group for i in chosen if i.enemy_group)
    return {"points": [f"{points} points, not {bp.total_points}"] if points != bp.total_points else [],
            "enemies": [f"enemy group {grp} used {n} times" for grp, n in groups.items() if n > 1],
            "status": [f"{i.item_id} is retired" for i in chosen if i.status != "active"]}


def rules_bind(bank: list[Item], bp: Blueprint) -> bool:
    """Whether every selection rule is a real constraint: a search that ignores the enemies or the status, in any
    natural order, breaks that rule, and so does one in bank order that ignores the points total (in every order
    too, few blueprints would do)."""
    return all((naive := rule_blind_selection(bank, bp, rule, order)) is None or bool(rule_breaches(naive, bp)[rule])
               for rule in SELECTION_RULES for order in (NATURAL_ORDERS[:1] if rule == "points" else NATURAL_ORDERS))


def new_item(subject: str, cell: tuple[str, str], kind: str, bank: list[Item], rng: np.random.Generator) -> Item:
    """A fresh item of type ``kind`` for ``cell``, unlike every bank item."""
    families = [family for objective, difficulty, family in SUBJECTS[subject]["families"]
                if (objective, difficulty) == cell]
    seen = {(i.stem, *sorted(i.options)) for i in bank}
    while True:
        raw = families[int(rng.integers(len(families)))](rng)
        if raw["type"] == kind and (raw["stem"], *sorted(raw["options"])) not in seen:
            points = TYPE_POINTS[kind] + (1 if cell[1] == "hard" else 0)
            return Item("", kind, *cell, points, raw["stem"], raw["options"], raw["key"], *raw["fb"])


def plant_traps(subject: str, bank: list[Item], bp: Blueprint, rng: np.random.Generator) -> list[Item] | None:
    """The bank with traps at both ends of their cells, of the type the hidden selection takes there: a retired item
    first and another last in one cell, and a new enemy pair first and another last in a cell the blueprint needs
    two items of. A search that ignores status or enemies, in bank order or reversed, picks them; None when no cell
    of the hidden selection holds a single type."""
    hidden = [i for i in bank if i.item_id in bp.hidden_selection]
    cell_types: dict[tuple[str, str], set[str]] = {}
    for item in hidden:
        cell_types.setdefault((item.objective, item.difficulty), set()).add(item.type)
    single = [cell for cell, kinds in cell_types.items() if len(kinds) == 1]
    paired = [cell for cell in single if bp.cells[cell[0]][cell[1]] == 2]
    if not paired:
        return None
    retired_cell = single[int(rng.integers(len(single)))]
    enemy_cell = paired[int(rng.integers(len(paired)))]
    group_count = len({i.enemy_group for i in bank if i.enemy_group})
    made: list[Item] = []

    def trap(cell: tuple[str, str], status: str = "active", group: str = "") -> Item:
        item = new_item(subject, cell, next(iter(cell_types[cell])), bank + made, rng)
        item.status, item.enemy_group = status, group
        made.append(item)
        return item

    planted = list(bank)
    for end, group in (("first", f"E{group_count + 1:02d}"), ("last", f"E{group_count + 2:02d}")):
        for cell, traps in ((retired_cell, [trap(retired_cell, status="retired")]),
                            (enemy_cell, [trap(enemy_cell, group=group), trap(enemy_cell, group=group)])):
            at = [k for k, i in enumerate(planted) if (i.objective, i.difficulty) == cell]
            where = at[0] if end == "first" else at[-1] + 1
            planted[where:where] = traps
    return planted


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    rng = np.random.default_rng(params["seed"])
    trap_rng = np.random.default_rng([params["seed"], 1])
    bank = build_bank(params["subject"], rng)
    for _ in range(200):  # a blueprint and traps under which ignoring any selection rule breaks it
        blueprint = draw_blueprint(params["subject"], bank, params["mr_scoring"] == "partial", rng)
        planted = plant_traps(params["subject"], bank, blueprint, trap_rng)
        if planted is not None and rules_bind(planted, blueprint):
            break
    else:
        raise ValueError(f"seed {params['seed']}: no blueprint whose selection rules all bind in 200 draws")
    hidden = [i for i in planted if i.item_id in blueprint.hidden_selection]
    number_items(planted, SUBJECTS[params["subject"]]["prefix"], trap_rng)
    blueprint.hidden_selection = sorted(i.item_id for i in hidden)
    write_bank_csv(planted, input_dir / "item_bank.csv")
    (input_dir / "blueprint.md").write_text(blueprint_markdown(blueprint), encoding="utf-8")
    (reference_dir / "bank.json").write_text(json.dumps([asdict(i) for i in planted], indent=1))
    (reference_dir / "blueprint.json").write_text(json.dumps(asdict(blueprint), indent=1))


# -- grading ------------------------------------------------------------------------------------


def _load_reference(g: Grading) -> tuple[dict[str, Item], Blueprint]:
    bank = {d["item_id"]: Item(**d) for d in g.reference_json("bank.json")}
    bp = Blueprint(**g.reference_json("blueprint.json"))
    return bank, bp


def _open_package(g: Grading) -> dict[str, bytes] | None:
    path = g.output(PACKAGE)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            if sum(i.file_size for i in infos) > MAX_UNZIPPED:
                g.check(f"{PACKAGE} is a readable zip", False, gate=True, reason="uncompressed size too large")
                return None
            files = {posixpath.normpath(i.filename.lstrip("/")): archive.read(i) for i in infos}
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
        g.check(f"{PACKAGE} is a readable zip", False, gate=True, reason=str(exc))
        return None
    g.check(f"{PACKAGE} is a readable zip", True, gate=True)
    return files


def _manifest(g: Grading, files: dict[str, bytes]) -> tuple[list[str], list[str]] | None:
    """(item hrefs, test hrefs) from imsmanifest.xml; a gate when it is absent or not an IMS CP manifest."""
    root, err = parse_xml(files["imsmanifest.xml"]) if "imsmanifest.xml" in files else (None, "not at the zip root")
    if root is None or root.tag != f"{{{CP}}}manifest":
        g.check("imsmanifest.xml is an IMS Content Packaging manifest", False, gate=True,
                reason=err or f"root element {root.tag if root is not None else None}")
        return None
    g.check("imsmanifest.xml is an IMS Content Packaging manifest", True, gate=True)
    items, tests = [], []
    for res in root.iter(f"{{{CP}}}resource"):
        href = posixpath.normpath(res.get("href", ""))
        kind = res.get("type", "")
        if kind.startswith("imsqti_item_xmlv2p1"):
            items.append(href)
        elif kind.startswith("imsqti_test_xmlv2p1"):
            tests.append(href)
    return items, tests


def _check_manifest(g: Grading, files: dict[str, bytes], items: list[str], tests: list[str]) -> None:
    problems = [f"{h} listed but not in the zip" for h in items + tests if h not in files]
    xml_items = set()
    for name, data in files.items():
        root, _ = parse_xml(data) if name.endswith(".xml") else (None, "")
        if root is not None and root.tag == q("assessmentItem"):
            xml_items.add(name)
    problems += [f"{n} not referenced by the manifest" for n in sorted(xml_items - set(items))]
    if len(tests) != 1:
        problems.append(f"{len(tests)} assessment test resources (want 1)")
    if len(set(items)) != len(items):
        problems.append("an item resource is listed twice")
    g.check("manifest lists every item file and the test, and every listed file exists", not problems,
            reason="; ".join(problems[:6]))


def _check_test(g: Grading, files: dict[str, bytes], tests: list[str], items: list[str], title: str) -> None:
    reason = ""
    refs: list[str] = []
    if len(tests) != 1 or tests[0] not in files:
        reason = "no single assessment test file in the package"
    else:
        root, err = parse_xml(files[tests[0]])
        if root is None or root.tag != q("assessmentTest"):
            reason = err or "the test file is not a QTI 2.1 assessmentTest"
        else:
            base = posixpath.dirname(tests[0])
            refs = [posixpath.normpath(posixpath.join(base, r.get("href", "")))
                    for r in root.iter(q("assessmentItemRef"))]
            if root.find(q("testPart")) is None:
                reason = "assessmentTest has no testPart"
            elif norm_space(root.get("title", "")) != norm_space(title):
                reason = f"assessmentTest title {root.get('title')!r} is not the blueprint's {title!r}"
    if not reason and sorted(refs) != sorted(items):
        reason = f"test references {len(refs)} items, manifest lists {len(items)}; they differ"
    g.check("assessmentTest carries the blueprint's title and references exactly the packaged items", not reason,
            reason=reason)


def _faithful(item: ParsedItem, bank_item: Item) -> str:
    """'' when the stem, options and item type match the bank, else what differs."""
    if item.kind != bank_item.type:
        return f"{item.identifier}: a {item.kind} interaction for a {bank_item.type} item"
    if norm_space(bank_item.stem) not in item.body_text:
        return f"{item.identifier}: stem missing or altered"
    want = sorted(norm_space(o) for o in bank_item.options)
    if sorted(item.choices.values()) != want:
        return f"{item.identifier}: options differ from the bank"
    return ""


def _key_matches(item: ParsedItem, bank_item: Item) -> bool:
    keyed = [norm_space(t) for t in bank_item.key_texts()]
    if item.kind == "text_entry" and item.base_type in NUMERIC_BASES:
        number = _number(item.correct[0])
        return (len(item.correct) == 1 and NUMERIC_KEY.fullmatch(keyed[0]) is not None and number is not None
                and number == float(keyed[0]) and (item.base_type == "float" or "." not in keyed[0]))
    if item.kind == "text_entry":
        return item.correct == keyed
    texts = [item.choices.get(c) for c in item.correct]
    if item.kind == "order":
        return texts == keyed
    return sorted(t or "" for t in texts) == sorted(keyed)


NUMERIC_KEY = re.compile(r"\d+(?:\.\d+)?")
NUMERIC_BASES = ("float", "integer")
"""A text entry declared float or integer (QTI 2.1 allows it) takes only numbers: its key must be a number, and
a response is matched by its value."""


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _numeric_neighbours(key: str) -> list[tuple[str, str]]:
    """For a numeric key, the numbers one unit of its last digit either side and a tenth of that unit above: a rule
    that accepts a numeric range (QTI ``equal`` with a tolerance) takes one of them."""
    if not NUMERIC_KEY.fullmatch(key):
        return []
    decimals = len(key.partition(".")[2])
    units = round(float(key) * 10 ** decimals)
    neighbours = [("one unit above", f"{(units + 1) / 10 ** decimals:.{decimals}f}"),
                  ("a tenth of a unit above", key + "1" if decimals else key + ".1")]
    if units:
        neighbours.append(("one unit below", f"{(units - 1) / 10 ** decimals:.{decimals}f}"))
    return neighbours


def _near_answers(key: str) -> list[tuple[str, str]]:
    """Wrong answers beside a text-entry key: one character longer, and shorter at either end (a rule that matches a
    part of the answer, or a range of numbers, takes one of them), and a numeric key's next numbers, leaving out any
    that is the key's number."""
    near = [("longer", key + "9"), ("last character dropped", key[:-1]), ("first character dropped", key[1:]),
            *_numeric_neighbours(key)]
    return [(label, text) for label, text in near
            if norm_space(text) and (_number(text) is None or _number(text) != _number(key))]


def _probes(item: ParsedItem, bank_item: Item, partial: bool) -> list[tuple[str, Value, float, bool]]:
    """(label, response, expected score, fully correct?) probes for one item."""
    ids = {text: ident for ident, text in item.choices.items()}
    keyed = [norm_space(t) for t in bank_item.key_texts()]
    p = float(bank_item.points)
    if item.kind == "text_entry" and item.base_type in NUMERIC_BASES:
        return [("key", float(keyed[0]), p, True), ("empty", None, 0.0, False),
                *((label, number, 0.0, False) for label, answer in _near_answers(keyed[0])
                  if (number := _number(answer)) is not None)]
    if item.kind == "text_entry":
        return [("key", keyed[0], p, True), ("empty", None, 0.0, False),
                *((label, answer, 0.0, False) for label, answer in _near_answers(keyed[0]))]
    key_ids = [ids[t] for t in keyed]
    wrong_ids = [i for i in item.choices if i not in key_ids]
    if item.kind == "choice":
        return [("key", key_ids[0], p, True), *((f"wrong {i}", i, 0.0, False) for i in wrong_ids),
                ("empty", None, 0.0, False)]
    if item.kind == "order":
        swapped = (key_ids[1], key_ids[0], *key_ids[2:])
        return [("key", tuple(key_ids), p, True), ("swapped", swapped, 0.0, False), ("empty", None, 0.0, False)]
    share = p / len(key_ids)
    return [("key", frozenset(key_ids), p, True),
            ("one correct", frozenset(key_ids[:1]), share if partial else 0.0, False),
            ("one wrong", frozenset(wrong_ids[:1]), 0.0, False),
            ("one correct one wrong", frozenset([key_ids[0], wrong_ids[0]]), 0.0, False),
            ("every correct and one wrong", frozenset([*key_ids, wrong_ids[0]]),
             share * (len(key_ids) - 1) if partial else 0.0, False),
            ("all options", frozenset(item.choices), max(0.0, share * (2 * len(key_ids) - len(item.choices)))
             if partial else 0.0, False),
            ("empty", None, 0.0, False)]


def _behaviour(item: ParsedItem, bank_item: Item, partial: bool) -> tuple[str, str]:
    """('' or the scoring problem, '' or the feedback problem) from running the item's responseProcessing."""
    score_issue = feedback_issue = ""
    correct_fb, incorrect_fb = norm_space(bank_item.feedback_correct), norm_space(bank_item.feedback_incorrect)
    for label, response, expected, full in _probes(item, bank_item, partial):
        try:
            score, shown = simulate(item, response)
        except (QtiError, ValueError, TypeError, KeyError, IndexError) as exc:
            return f"{item.identifier}: {exc}", f"{item.identifier}: {exc}"
        if not score_issue and (score is None or not math.isclose(score, expected, abs_tol=0.011)):
            score_issue = f"{item.identifier} {label} response scores {score}, want {expected:g}"
        want = correct_fb if full else incorrect_fb
        if not feedback_issue and shown != {want}:
            feedback_issue = f"{item.identifier} {label} response shows {len(shown)} feedback(s), not the bank's"
    return score_issue, feedback_issue


def _read_items(g: Grading, files: dict[str, bytes], hrefs: list[str],
                bank: dict[str, Item]) -> tuple[list[tuple[ParsedItem, Item]], list[str]]:
    parsed, problems = [], []
    for href in hrefs:
        if href not in files:
            continue
        root, err = parse_xml(files[href])
        try:
            if root is None:
                raise QtiError(err)
            item = parse_item(root)
        except QtiError as exc:
            problems.append(f"{href}: {exc}")
            continue
        if item.identifier not in bank:
            problems.append(f"{href}: identifier {item.identifier!r} is not a bank item_id")
            continue
        parsed.append((item, bank[item.identifier]))
    return parsed, problems


def _check_blueprint(g: Grading, chosen: list[Item], bp: Blueprint) -> None:
    cells = Counter((i.objective, i.difficulty) for i in chosen)
    off = [f"{o}/{d}: {cells[o, d]} (want {n})" for o, row in bp.cells.items() for d, n in row.items()
           if cells[o, d] != n]
    off += [f"{o}/{d}: {n} (want 0)" for (o, d), n in cells.items() if o not in bp.cells]
    g.check("items per objective and difficulty match the blueprint", not off, weight=2, reason="; ".join(off[:6]))
    points = sum(i.points for i in chosen)
    g.check("total points match the blueprint", points == bp.total_points, weight=2, expected=bp.total_points,
            found=points)
    types = Counter(i.type for i in chosen)
    short = [f"{t}: {types[t]} < {n}" for t, n in bp.type_minimums.items() if types[t] < n]
    g.check("item-type minimums met", not short, reason="; ".join(short))
    breaches = rule_breaches(chosen, bp)
    bad = breaches["status"] + breaches["enemies"]
    ids = Counter(i.item_id for i in chosen)
    bad += [f"{k} appears {n} times" for k, n in ids.items() if n > 1]
    g.check("no retired items, no enemy pairs, no repeats", not bad and bool(chosen), weight=2,
            reason="; ".join(bad[:6]))


def grade(g: Grading) -> None:
    if not g.require_files(PACKAGE):
        return
    files = _open_package(g)
    if files is None:
        return
    listed = _manifest(g, files)
    if listed is None:
        return
    item_hrefs, test_hrefs = listed
    bank, bp = _load_reference(g)
    _check_manifest(g, files, item_hrefs, test_hrefs)
    _check_test(g, files, test_hrefs, item_hrefs, bp.title)
    parsed, problems = _read_items(g, files, item_hrefs, bank)
    total = len(item_hrefs)
    g.share("item files are well-formed QTI 2.1 items from the bank", total - len(problems), total, wrong=problems)
    if not parsed:
        g.check("packaged items could be read", False, gate=True, reason="; ".join(problems[:5]))
        return
    content = [m for it, b in parsed if (m := _faithful(it, b))]
    g.share("items reproduce the bank's stem, options and type", len(parsed) - len(content), len(parsed), wrong=content)
    keys = [f"{it.identifier}: correctResponse differs from the key" for it, b in parsed
            if not _faithful(it, b) and not _key_matches(it, b)]
    keys += [f"{it.identifier}: not checkable" for it, b in parsed if _faithful(it, b)]
    g.share("correct responses match the answer key", len(parsed) - len(keys), len(parsed), wrong=keys, weight=2)
    scoring, feedback = [], []
    for it, b in parsed:
        if _faithful(it, b) or not _key_matches(it, b):
            scoring.append(f"{it.identifier}: not checkable")
            feedback.append(f"{it.identifier}: not checkable")
            continue
        s, f = _behaviour(it, b, bp.mr_partial)
        scoring += [s] if s else []
        feedback += [f] if f else []
    g.share("responseProcessing awards the policy's score (key, partial, wrong, empty)", len(parsed) - len(scoring),
            len(parsed), wrong=scoring, weight=3)
    g.share("modal feedback shows the bank's correct/incorrect text", len(parsed) - len(feedback), len(parsed),
            wrong=feedback, weight=2)
    _check_blueprint(g, [b for _, b in parsed], bp)

