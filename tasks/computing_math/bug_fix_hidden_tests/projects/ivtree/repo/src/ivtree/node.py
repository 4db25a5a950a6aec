"""AVL nodes augmented with the largest end point of their subtree, and the rotations."""

from __future__ import annotations

from ivtree.interval import Interval


class Node:
    __slots__ = ("height", "interval", "left", "max_end", "right", "seq")

    def __init__(self, interval: Interval, seq: int) -> None:
        self.interval = interval
        self.seq = seq
        self.left: Node | None = None
        self.right: Node | None = None
        self.height = 1
        self.max_end = interval.end

    @property
    def key(self) -> tuple[float, float, int]:
        return (self.interval.start, self.interval.end, self.seq)


def height(node: Node | None) -> int:
    return node.height if node else 0


def update_height(node: Node) -> None:
    """Recompute the height of ``node`` from its children."""
    node.height = 1 + max(height(node.left), height(node.right))


def update(node: Node) -> None:
    """Recompute the height and ``max_end`` of ``node`` from its children."""
    update_height(node)
    node.max_end = node.interval.end
    for child in (node.left, node.right):
        if child is not None and child.max_end > node.max_end:
            node.max_end = child.max_end


def balance_factor(node: Node) -> int:
    return height(node.left) - height(node.right)


def rotate_left(x: Node) -> Node:
    """Rotate ``x`` down to the left; its right child becomes the subtree root."""
    y = x.right
    assert y is not None
    x.right = y.left
    y.left = x
    update(x)
    update(y)
    return y


def rotate_right(y: Node) -> Node:
    """Rotate ``y`` down to the right; its left child becomes the subtree root."""
    x = y.left
    assert x is not None
    y.left = x.right
    x.right = y
    update(y)
    update(x)
    return x


def rebalance(node: Node) -> Node:
    """Restore the AVL balance at ``node``; returns the subtree's new root."""
    update_height(node)
    factor = balance_factor(node)
    if factor > 1:
        assert node.left is not None
        if balance_factor(node.left) < 0:
            node.left = rotate_left(node.left)
        return rotate_right(node)
    if factor < -1:
        assert node.right is not None
        if balance_factor(node.right) > 0:
            node.right = rotate_right(node.right)
        return rotate_left(node)
    return node
