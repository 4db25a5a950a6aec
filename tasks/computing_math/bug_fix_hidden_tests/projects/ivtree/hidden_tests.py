import random

import pytest
from ivtree import Interval, IntervalTree


def brute_overlap(items, start, end):
    return [iv for iv in items if iv[0] < end and start < iv[1]]


def brute_at(items, point):
    return [iv for iv in items if iv[0] <= point < iv[1]]


def ordered(items):
    # sorted by (start, end), ties in insertion order
    return sorted(items, key=lambda iv: (iv[0], iv[1]))


def test_issue_reproduction():
    tree = IntervalTree()
    tree.insert(480, 1080, "maintenance, whole day")
    tree.insert(540, 600, "standup")
    tree.insert(600, 660, "design review")
    assert tree.overlap(720, 780) == [Interval(480, 1080, "maintenance, whole day")]
    assert tree.at(700) == [Interval(480, 1080, "maintenance, whole day")]


def test_long_interval_inserted_last_in_descending_order():
    tree = IntervalTree()
    for start in range(100, 0, -10):
        tree.insert(start, start + 5, start)
    tree.insert(0, 1000, "long")
    tree.insert(-5, -1, "early")
    tree.insert(-9, -6, "earlier")
    assert [iv.data for iv in tree.overlap(500, 600)] == ["long"]
    assert tree.span() == (-9, 1000)


@pytest.mark.parametrize("seed", range(25))
def test_random_inserts_match_brute_force(seed):
    rng = random.Random(seed)
    tree = IntervalTree()
    items = []
    for n in range(rng.randint(5, 120)):
        start = rng.randint(0, 500)
        end = start + (rng.randint(200, 600) if rng.random() < 0.15 else rng.randint(1, 30))
        tree.insert(start, end, n)
        items.append((start, end, n))
    for _ in range(60):
        start = rng.randint(-10, 1100)
        end = start + rng.randint(1, 40)
        assert [tuple(iv) for iv in tree.overlap(start, end)] == ordered(brute_overlap(items, start, end))
        point = rng.randint(-10, 1100)
        assert [tuple(iv) for iv in tree.at(point)] == ordered(brute_at(items, point))
    assert tree.span() == (min(i[0] for i in items), max(i[1] for i in items))


@pytest.mark.parametrize("seed", range(15))
def test_random_inserts_and_removals_match_brute_force(seed):
    rng = random.Random(1000 + seed)
    tree = IntervalTree()
    items = []
    for n in range(300):
        if items and rng.random() < 0.35:
            victim = items.pop(rng.randrange(len(items)))
            assert tree.remove(*victim)
        else:
            start = rng.randint(0, 2000)
            end = start + (rng.randint(300, 1500) if rng.random() < 0.1 else rng.randint(1, 50))
            tree.insert(start, end, n)
            items.append((start, end, n))
        if n % 25 == 0:
            start = rng.randint(0, 3500)
            assert [tuple(iv) for iv in tree.overlap(start, start + 60)] == ordered(
                brute_overlap(items, start, start + 60)
            )
    assert len(tree) == len(items)
    for start in range(0, 3500, 70):
        assert [tuple(iv) for iv in tree.overlap(start, start + 70)] == ordered(brute_overlap(items, start, start + 70))


def test_touching_and_sorting_kept():
    tree = IntervalTree([(9, 12, "a"), (12, 14, "b"), (9, 12, "c")])
    assert tree.overlap(11, 12) == [Interval(9, 12, "a"), Interval(9, 12, "c")]
    assert tree.at(12) == [Interval(12, 14, "b")]


def _check_node(node):
    """(height, max_end) of a subtree, asserting the stored augmentation and the AVL balance."""
    if node is None:
        return 0, float("-inf")
    left_h, left_end = _check_node(node.left)
    right_h, right_end = _check_node(node.right)
    assert abs(left_h - right_h) <= 1
    assert node.height == 1 + max(left_h, right_h)
    assert node.max_end == max(node.interval.end, left_end, right_end)
    return node.height, node.max_end


@pytest.mark.parametrize("seed", range(10))
def test_augmentation_invariant_kept(seed):
    rng = random.Random(5000 + seed)
    tree = IntervalTree()
    items = []
    for n in range(200):
        if items and rng.random() < 0.3:
            tree.remove(*items.pop(rng.randrange(len(items))))
        else:
            start = rng.randint(0, 1000)
            items.append((start, start + rng.randint(1, 400), n))
            tree.insert(*items[-1])
        _check_node(tree._root)
