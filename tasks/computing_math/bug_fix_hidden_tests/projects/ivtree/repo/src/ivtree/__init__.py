"""ivtree: an AVL interval tree over half-open intervals."""

from ivtree.interval import Interval
from ivtree.tree import IntervalTree

__all__ = ["Interval", "IntervalTree"]
__version__ = "0.9.1"
