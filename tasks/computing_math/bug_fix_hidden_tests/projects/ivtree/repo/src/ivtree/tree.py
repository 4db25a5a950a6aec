"""The interval tree: insertion, removal and queries."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count
from typing import Any

from ivtree.interval import Interval, check_bounds
from ivtree.node import Node, rebalance, update


class IntervalTree:
    def __init__(self, intervals: list[tuple[float, float, Any]] | None = None) -> None:
        self._root: Node | None = None
        self._size = 0
        self._seq = count()
        for item in intervals or []:
            self.insert(*item)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Interval]:
        stack: list[Node] = []
        node = self._root
        while stack or node:
            while node:
                stack.append(node)
                node = node.left
            node = stack.pop()
            yield node.interval
            node = node.right

    def insert(self, start: float, end: float, data: Any = None) -> Interval:
        check_bounds(start, end)
        interval = Interval(start, end, data)
        self._root = self._insert(self._root, Node(interval, next(self._seq)))
        self._size += 1
        return interval

    def _insert(self, node: Node | None, new: Node) -> Node:
        if node is None:
            return new
        # Every node on the insertion path gains the new interval in its subtree.
        if new.interval.end > node.max_end:
            node.max_end = new.interval.end
        if new.key < node.key:
            node.left = self._insert(node.left, new)
        else:
            node.right = self._insert(node.right, new)
        return rebalance(node)

    def remove(self, start: float, end: float, data: Any = None) -> bool:
        """Remove the first interval (in order) equal to ``(start, end, data)``; False when absent."""
        target = self._find(start, end, data)
        if target is None:
            return False
        self._root = self._remove(self._root, target.key)
        self._size -= 1
        return True

    def _find(self, start: float, end: float, data: Any) -> Node | None:
        found: list[Node] = []
        self._collect(self._root, start, end, found, exact=(start, end, data))
        return found[0] if found else None

    def _remove(self, node: Node | None, key: tuple[float, float, int]) -> Node | None:
        if node is None:
            return None
        if key < node.key:
            node.left = self._remove(node.left, key)
        elif key > node.key:
            node.right = self._remove(node.right, key)
        else:
            if node.left is None:
                return node.right
            if node.right is None:
                return node.left
            successor = node.right
            while successor.left is not None:
                successor = successor.left
            node.interval, node.seq = successor.interval, successor.seq
            node.right = self._remove(node.right, successor.key)
        # A removal can only shrink max_end: recompute it from the children.
        update(node)
        return rebalance(node)

    def overlap(self, start: float, end: float) -> list[Interval]:
        """Every interval sharing a point with ``[start, end)``, sorted."""
        check_bounds(start, end)
        found: list[Node] = []
        self._collect(self._root, start, end, found)
        return [n.interval for n in found]

    def at(self, point: float) -> list[Interval]:
        """Every interval containing ``point``, sorted."""
        found: list[Node] = []
        self._collect(self._root, point, point, found, stab=True)
        return [n.interval for n in found]

    def _collect(
        self, node: Node | None, start: float, end: float, found: list[Node], *, stab: bool = False,
        exact: tuple[float, float, Any] | None = None,
    ) -> None:
        """In-order walk that prunes subtrees ending at or before ``start`` or starting after ``end``."""
        if node is None or node.max_end <= start:
            return
        self._collect(node.left, start, end, found, stab=stab, exact=exact)
        iv = node.interval
        if exact is not None:
            if (iv.start, iv.end) == exact[:2] and iv.data == exact[2]:
                found.append(node)
        elif (iv.contains(start) if stab else iv.overlaps(start, end)):
            found.append(node)
        if iv.start < end or (stab and iv.start <= end):
            self._collect(node.right, start, end, found, stab=stab, exact=exact)

    def span(self) -> tuple[float, float] | None:
        """The smallest interval covering every stored interval."""
        if self._root is None:
            return None
        node = self._root
        while node.left is not None:
            node = node.left
        return (node.interval.start, self._root.max_end)
