"""Hidden probes of ivtree #31: query results after inserts and removals in many orders, against the public API.

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


def issue_reproduction() -> list[object]:
    tree = IntervalTree()
    tree.insert(480, 1080, "maintenance, whole day")
    tree.insert(540, 600, "standup")
    tree.insert(600, 660, "design review")
    return [_found(tree.overlap(720, 780)), _found(tree.at(700))]


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


def bad_bounds() -> str:
    try:
        IntervalTree().insert(5, 5, "empty")
    except ValueError as exc:
        return type(exc).__name__
    return "no error"


PROBES = {
    "issue_reproduction": issue_reproduction,
    "long_interval_inserted_last_descending": long_interval_inserted_last_descending,
    "touching_and_sorting": touching_and_sorting,
    "floats_and_empty_tree": floats_and_empty_tree,
    "bad_bounds": bad_bounds,
    "large_tree_many_queries": large_tree_many_queries,
    "bookings_and_checks_interleaved": bookings_and_checks_interleaved,
}
for _seed in range(20):
    PROBES[f"random_inserts_{_seed}"] = partial(_random_inserts, 7000 + _seed)
for _seed in range(12):
    PROBES[f"random_inserts_and_removals_{_seed}"] = partial(_random_inserts_and_removals, 9000 + _seed)
