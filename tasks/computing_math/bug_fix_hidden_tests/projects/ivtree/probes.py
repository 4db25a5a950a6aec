"""Hidden probes of ivtree: query results after inserts and removals in many orders, against the public API.

Each probe returns plain data; long query sequences are returned as a SHA-256 of their results.
"""
# ALE-CANARY-6d3b5773-dcf4-4cf5-a68f-c7007271b174

import hashlib
import json
import random
from functools import partial

from ivtree import IntervalTree


def _found(intervals: object) -> list[list[object]]:
    return [[iv[0], iv[1], iv[2]] for iv in intervals]


def _digest(results: list[object]) -> str:
    return hashlib.sha256(json.dumps(results).encode()).hexdigest()



def _three_bookings(start: int, end: int, a: int, a_end: int, b: int, b_end: int, query: int) -> list[object]:
    tree = IntervalTree()
    tree.insert(start, end, "maintenance, whole day")
    tree.insert(a, a_end, "standup")
    tree.insert(b, b_end, "design review")
    return [_found(tree.overlap(query, query + 60)), _found(tree.at(query))]


def _meetings_at(start: int, names: str) -> list[object]:
    tree = IntervalTree()
    for k, name in enumerate(names, start=1):
        tree.insert(start, start + 30 * k, name)
    return [_found(tree.at(start)), _found(tree.at(start + 1))]


def _removal(starts: tuple[int, ...], removed: int, query: int) -> list[object]:
    tree = IntervalTree()
    for start in starts:
        tree.insert(start, start + 5, start)
    return [tree.remove(removed, removed + 5, removed), _found(tree), _found(tree.overlap(query, query + 5))]


def _cancel_late(a: int, a_end: int, b: int, b_end: int, c: int, c_end: int) -> list[object]:
    tree = IntervalTree()
    tree.insert(a, a_end, "standup")
    tree.insert(b, b_end, "design review")
    tree.insert(c, c_end, "release night")
    return [tree.remove(c, c_end, "release night"), list(tree.span())]


def long_interval_inserted_last_descending() -> list[object]:
    tree = IntervalTree()
    for start in range(100, 0, -10):
        tree.insert(start, start + 5, start)
    tree.insert(0, 1000, "long")
    tree.insert(-5, -1, "early")
    tree.insert(-9, -6, "earlier")
    return [_found(tree.overlap(500, 600)), _found(tree.at(999)), list(tree.span())]


def _random_inserts(seed: int) -> list[object]:
    rng = random.Random(seed)
    tree = IntervalTree()
    for n in range(rng.randint(5, 120)):
        start = rng.randint(0, 500)
        tree.insert(start, start + (rng.randint(200, 600) if rng.random() < 0.15 else rng.randint(1, 30)), n)
    results = []
    for _ in range(60):
        start = rng.randint(-10, 1100)
        results.append(_found(tree.overlap(start, start + rng.randint(1, 40))))
        results.append(_found(tree.at(rng.randint(-10, 1100))))
    return [len(tree), list(tree.span()), _digest(results)]


def _random_inserts_and_removals(seed: int) -> list[object]:
    rng = random.Random(seed)
    tree = IntervalTree()
    items: list[tuple[int, int, int]] = []
    results = []
    for n in range(300):
        if items and rng.random() < 0.35:
            results.append(tree.remove(*items.pop(rng.randrange(len(items)))))
        else:
            start = rng.randint(0, 2000)
            items.append((start, start + (rng.randint(300, 1500) if rng.random() < 0.1 else rng.randint(1, 50)), n))
            tree.insert(*items[-1])
        if n % 25 == 0:
            start = rng.randint(0, 3500)
            results.append(_found(tree.overlap(start, start + 60)))
    results += [_found(tree.overlap(start, start + 70)) for start in range(0, 3500, 70)]
    return [len(tree), _digest(results)]


def large_tree_many_queries() -> list[object]:
    """Thirty thousand bookings, a tenth of them cancelled, then thirty thousand conflict checks: the README's
    O(log n + k) queries take about a second here; a query that walks the whole tree takes minutes and
    runs out of the probe's time."""
    rng = random.Random(3131)
    n = 30000
    tree = IntervalTree()
    items: list[tuple[int, int, int]] = []
    for i in range(n):
        start = rng.randint(0, 10 * n)
        items.append((start, start + (rng.randint(50, 5000) if rng.random() < 0.02 else rng.randint(1, 20)), i))
        tree.insert(*items[-1])
    removed = [tree.remove(*items.pop(rng.randrange(len(items)))) for _ in range(n // 10)]
    results = []
    for _ in range(n):
        start = rng.randint(0, 10 * n)
        results.append(_found(tree.overlap(start, start + rng.randint(1, 30))))
    return [len(tree), all(removed), list(tree.span()), _digest(results)]


def bookings_and_checks_interleaved() -> list[object]:
    """The booking service's day: twenty thousand bookings and cancellations in no particular order, each
    followed by a conflict check, under one all-day maintenance block. Each check costs O(log n + k) in the
    README; repairing the whole tree before a check costs O(n) and runs out of the probe's time."""
    rng = random.Random(3137)
    n = 20000
    tree = IntervalTree()
    tree.insert(0, 10 * n + 100, "maintenance, all day")
    items: list[tuple[int, int, int]] = []
    results = []
    for i in range(n):
        if items and rng.random() < 0.2:
            results.append(tree.remove(*items.pop(rng.randrange(len(items)))))
        else:
            start = rng.randint(0, 10 * n)
            items.append((start, start + (rng.randint(50, 5000) if rng.random() < 0.02 else rng.randint(1, 20)), i))
            tree.insert(*items[-1])
        start = rng.randint(0, 10 * n)
        results.append(_found(tree.overlap(start, start + rng.randint(1, 30))))
    return [len(tree), list(tree.span()), _digest(results)]


def touching_and_sorting() -> list[object]:
    tree = IntervalTree([(9, 12, "a"), (12, 14, "b"), (9, 12, "c")])
    return [_found(tree.overlap(11, 12)), _found(tree.at(12)), _found(tree), tree.remove(9, 12, "x")]


def floats_and_empty_tree() -> list[object]:
    tree = IntervalTree()
    empty = [_found(tree.overlap(0, 1)), tree.span()]
    for k in range(12):
        tree.insert(k * 0.5, k * 0.5 + 0.25, k)
    tree.insert(-100.5, 100.5, "all")
    return [empty, _found(tree.overlap(5.9, 6.1)), _found(tree.at(-50.0))]


def duplicate_removal() -> list[object]:
    """Equal bookings made twice: which of them a cancellation takes shows among bookings of the same slot."""
    tree = IntervalTree()
    for data in ("a", "b", "a", "c", "a"):
        tree.insert(10, 20, data)
    tree.insert(12, 18, "a")
    removed = [tree.remove(10, 20, "a"), tree.remove(10, 20, "a")]
    return [removed, _found(tree), _found(tree.at(15))]


def empty_query() -> list[str]:
    tree = IntervalTree([(0, 10, "a"), (5, 6, "b")])
    found = []
    for start, end in ((5, 5), (10, 10), (6, 5)):
        try:
            found.append(json.dumps(_found(tree.overlap(start, end))))
        except ValueError as exc:
            found.append(type(exc).__name__)
    return found


def bad_bounds() -> str:
    try:
        IntervalTree().insert(5, 5, "empty")
    except ValueError as exc:
        return type(exc).__name__
    return "no error"





def _shared_starts(seed: int) -> list[object]:
    """Bookings on a five-minute grid, so that many share a start, queried at every minute."""
    rng = random.Random(seed)
    tree = IntervalTree()
    for n in range(rng.randint(20, 200)):
        start = 5 * rng.randint(0, 60)
        tree.insert(start, start + 5 * rng.randint(1, 8), n)
    return [len(tree), _digest([_found(tree.at(point)) for point in range(-5, 350)])]


def _span_after_removals(seed: int) -> list[object]:
    """The span after each removal, the longest bookings cancelled first half of the time."""
    rng = random.Random(seed)
    tree = IntervalTree()
    items: list[tuple[int, int, int]] = []
    spans = []
    for n in range(200):
        if items and rng.random() < 0.4:
            longest = max(range(len(items)), key=lambda i: items[i][1])
            tree.remove(*items.pop(longest if rng.random() < 0.5 else rng.randrange(len(items))))
            spans.append(tree.span())
        else:
            start = rng.randint(0, 1000)
            items.append((start, start + rng.randint(1, 400), n))
            tree.insert(*items[-1])
    return [len(tree), _digest([list(span) if span else None for span in spans])]


PROBES = {
    "long_interval_inserted_last_descending": long_interval_inserted_last_descending,
    "touching_and_sorting": touching_and_sorting,
    "floats_and_empty_tree": floats_and_empty_tree,
    "bad_bounds": bad_bounds,
    "duplicate_removal": duplicate_removal,
    "empty_query": empty_query,
    "large_tree_many_queries": large_tree_many_queries,
    "bookings_and_checks_interleaved": bookings_and_checks_interleaved,
}
for _seed in range(20):
    PROBES[f"random_inserts_{_seed}"] = partial(_random_inserts, 7000 + _seed)
for _seed in range(12):
    PROBES[f"random_inserts_and_removals_{_seed}"] = partial(_random_inserts_and_removals, 9000 + _seed)
for _seed in range(8):
    PROBES[f"shared_starts_{_seed}"] = partial(_shared_starts, 3500 + _seed)
for _seed in range(8):
    PROBES[f"span_after_removals_{_seed}"] = partial(_span_after_removals, 4100 + _seed)
for _case in [(480, 1080, 540, 600, 600, 660, 720), (420, 1020, 480, 510, 540, 600, 700),
              (0, 1440, 60, 90, 120, 180, 900), (360, 960, 400, 430, 450, 480, 600),
              (540, 1200, 600, 630, 660, 690, 1000), (450, 1110, 500, 560, 570, 640, 800)]:
    PROBES[f"three_bookings_{_case[0]}_{_case[1]}_{_case[6]}"] = partial(_three_bookings, *_case)
for _start, _names in [(600, "abcd"), (540, "abc"), (780, "abcdef"), (900, "abcde"), (480, "abcdefg"), (660, "abcd")]:
    PROBES[f"meetings_at_{_start}_{_names}"] = partial(_meetings_at, _start, _names)
for _case in [(540, 600, 600, 660, 1020, 1320), (480, 540, 545, 600, 900, 1200), (60, 90, 120, 180, 600, 1439),
              (700, 760, 800, 830, 1000, 1100), (300, 420, 430, 480, 720, 1080)]:
    PROBES[f"cancel_late_{_case[4]}_{_case[5]}"] = partial(_cancel_late, *_case)
for _starts, _removed, _query in [
    ((50, 20, 80, 10, 30, 70, 90, 60), 50, 60),
    ((100, 90, 50, 140, 30, 10, 180, 170), 140, 170),
    ((90, 60, 10, 80, 40, 100, 50, 20, 30), 60, 80),
    ((170, 50, 150, 90, 180, 190, 40, 70, 20), 50, 70),
    ((150, 120, 160, 60, 130, 180, 80, 90, 30), 80, 90),
    ((20, 190, 10, 100, 110, 170, 30, 90, 180), 20, 30),
    ((50, 30, 20, 100, 170, 190, 80, 140), 100, 140),
]:
    PROBES[f"removal_{_starts[0]}_{len(_starts)}_{_removed}"] = partial(_removal, _starts, _removed, _query)
