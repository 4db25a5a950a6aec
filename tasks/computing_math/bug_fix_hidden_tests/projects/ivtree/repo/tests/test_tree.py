import pytest
from ivtree import Interval, IntervalTree


def brute(items, start, end):
    return sorted((iv for iv in items if iv[0] < end and start < iv[1]), key=lambda iv: (iv[0], iv[1]))


def test_readme_example():
    tree = IntervalTree()
    tree.insert(9, 12, "room A")
    tree.insert(11, 13, "room B")
    assert tree.overlap(12, 14) == [Interval(11, 13, "room B")]
    assert tree.at(9) == [Interval(9, 12, "room A")]


def test_touching_intervals_do_not_overlap():
    tree = IntervalTree([(9, 12, "a"), (12, 14, "b")])
    assert tree.overlap(12, 13) == [Interval(12, 14, "b")]
    assert tree.at(12) == [Interval(12, 14, "b")]
    assert tree.overlap(8, 9) == []


def test_sorted_iteration_and_len():
    tree = IntervalTree([(5, 9, None), (1, 3, None), (2, 8, None), (1, 2, None)])
    assert [tuple(iv[:2]) for iv in tree] == [(1, 2), (1, 3), (2, 8), (5, 9)]
    assert len(tree) == 4


def test_ascending_insertions_match_brute_force():
    items = [(i, i + 3, i) for i in range(40)]
    tree = IntervalTree(items)
    for start in range(-2, 45):
        assert [tuple(iv) for iv in tree.overlap(start, start + 2)] == brute(items, start, start + 2)


def test_remove():
    tree = IntervalTree([(1, 5, "x"), (2, 6, "y"), (1, 5, "z")])
    assert tree.remove(1, 5, "z")
    assert not tree.remove(1, 5, "nope")
    assert [iv.data for iv in tree.overlap(0, 10)] == ["x", "y"]
    assert len(tree) == 2


def test_empty_and_invalid():
    tree = IntervalTree()
    assert tree.overlap(0, 1) == []
    assert tree.span() is None
    with pytest.raises(ValueError):
        tree.insert(3, 3)


def test_span():
    tree = IntervalTree([(4, 6, None), (1, 2, None), (3, 10, None)])
    assert tree.span() == (1, 10)
