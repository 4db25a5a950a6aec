"""Where a line chart puts each value: the figure must draw the numbers of the agent's own summary.

``Grading.chart_draws`` fits each series under a scale of its own and lets half of its points hide under other
strokes, so a figure of other numbers that move with the right ones (each athlete's mean trial instead of the best)
can pass it. Here one linear value-to-row scale, shared by every series (one value axis), is fitted to the drawn
points, and every value must be drawn within a few pixels of where that scale puts it, in some line colour of the
chart; a value may only go unseen where another series' value at the same athlete lies under it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from lastexam.task.charts import column_rows, read_chart

POINT_TOLERANCE_PX = 3.0  # a marker's centre is read to a pixel or two
OVERLAP_PX = 10.0  # two markers closer than this at one athlete may hide each other
COLUMN_REACH_PX = 3  # an athlete's column is known to a few pixels: markers are wider than that
GRID_REACH_PX = 15  # how far the first and last athletes' columns are searched around the chart reader's


def points_off(pixels: np.ndarray, series: Mapping[str, Sequence[float]]) -> dict[str, list[int]] | None:
    """For each series, the indices of its (finite) values not drawn where the chart's one value axis puts them;
    None when no series is found on the chart at all. Values are evenly spaced along the x axis."""
    reading = read_chart(pixels)
    values = np.array([series[name] for name in series], dtype=float)
    fits = [fit for fit in reading.match(dict(zip(series, values, strict=True))).values() if fit is not None]
    if not fits:
        return None
    occupied = np.logical_or.reduce([trace.mask for trace in reading.traces]).sum(axis=0)
    grids = {tuple(int(c) for c in fit.columns) for _, fit in fits} | {_grid(fit.columns, occupied) for _, fit in fits}
    rows = [column_rows(trace.mask) for trace in reading.traces]
    known = [(s, k) for s in range(len(values)) for k in range(values.shape[1]) if math.isfinite(values[s, k])]
    height = reading.traces[0].mask.shape[0]
    best: tuple[int, float, np.ndarray] | None = None
    for grid in grids:
        drawn = [[_near_column(r, c) for c in grid] for r in rows]
        for scale, offset in _scales(drawn, values, known, height):
            for _ in range(3):  # refine the scale by least squares on the points it draws
                errors, nearest = _errors(drawn, values, known, scale, offset)
                score = _drawn_count(errors, known, len(values))
                if best is None or score > best[0]:
                    best = (score, scale, errors)
                if score == len(known):
                    return {name: [] for name in series}
                close = np.argwhere(errors <= 2 * POINT_TOLERANCE_PX)
                if len({i for _, i in close}) < 3:
                    break
                scale, offset = np.polyfit([values[known[i]] for _, i in close], [nearest[t, i] for t, i in close], 1)
    if best is None:
        return None
    _, scale, errors = best
    off: dict[str, list[int]] = {}
    for s, name in enumerate(series):
        mine = [i for i, (owner, _) in enumerate(known) if owner == s]
        trace = int(np.argmax((errors[:, mine] <= POINT_TOLERANCE_PX).sum(axis=1)))
        off[name] = [known[i][1] for i in mine if errors[trace, i] > POINT_TOLERANCE_PX
                     and not _hidden(values, s, known[i][1], scale)]
    return off


def _grid(columns: np.ndarray, counts: np.ndarray) -> tuple[int, ...]:
    """The evenly spaced columns, their ends within GRID_REACH_PX of ``columns``'s, that cross the most plotted
    pixels: the markers' (and error bars') centres."""
    steps = np.arange(-GRID_REACH_PX, GRID_REACH_PX + 1)
    first, last = columns[0] + steps[:, None], columns[-1] + steps[None, :]
    share = np.arange(len(columns)) / (len(columns) - 1)
    grid = np.clip(np.rint(first[:, :, None] + (last - first)[:, :, None] * share), 0, len(counts) - 1).astype(int)
    total = counts[grid].sum(axis=2)
    i, j = np.unravel_index(np.argmax(total), total.shape)
    return tuple(int(c) for c in grid[i, j])


def _near_column(rows_by_column: list[np.ndarray], column: int) -> np.ndarray:
    return np.concatenate(rows_by_column[max(column - COLUMN_REACH_PX, 0):column + COLUMN_REACH_PX + 1])


def _scales(drawn: list[list[np.ndarray]], values: np.ndarray, known: list[tuple[int, int]],
            height: int) -> list[tuple[float, float]]:
    """Candidate scales through a drawn row of one of the highest values and one of the lowest, well apart."""
    ranked = sorted(known, key=lambda sk: values[sk])
    candidates = []
    for high in ranked[-3:]:
        for low in ranked[:3]:
            if values[high] <= values[low]:
                continue
            tops = {float(r) for trace in drawn for r in trace[high[1]][:12]}
            bottoms = {float(r) for trace in drawn for r in trace[low[1]][:12]}
            for r1 in tops:
                for r2 in bottoms:
                    if r2 - r1 >= 0.2 * height:
                        scale = (r1 - r2) / (values[high] - values[low])
                        candidates.append((scale, r1 - scale * values[high]))
    return candidates


def _errors(drawn: list[list[np.ndarray]], values: np.ndarray, known: list[tuple[int, int]], scale: float,
            offset: float) -> tuple[np.ndarray, np.ndarray]:
    """Per trace and known value: the distance from where the scale puts it to the nearest drawn row, and that row."""
    errors = np.full((len(drawn), len(known)), np.inf)
    nearest = np.zeros((len(drawn), len(known)))
    for t, trace in enumerate(drawn):
        for i, (s, k) in enumerate(known):
            if len(trace[k]):
                gaps = np.abs(trace[k] - (scale * values[s, k] + offset))
                errors[t, i], nearest[t, i] = gaps.min(), trace[k][gaps.argmin()]
    return errors, nearest


def _drawn_count(errors: np.ndarray, known: list[tuple[int, int]], count: int) -> int:
    """How many values are drawn in place, each series in the trace that draws most of it."""
    return sum(int((errors[:, [i for i, (owner, _) in enumerate(known) if owner == s]] <= POINT_TOLERANCE_PX)
                   .sum(axis=1).max()) for s in range(count))


def _hidden(values: np.ndarray, s: int, k: int, scale: float) -> bool:
    """Another series' value at the same x is drawn over this one."""
    return any(o != s and math.isfinite(values[o, k]) and abs(scale * (values[s, k] - values[o, k])) <= OVERLAP_PX
               for o in range(len(values)))
