"""Reading a line chart back from its pixels: is an image a chart, and which of the expected series it draws.

A grader that asks for a figure must not accept any picture that merely looks like a chart (a sine wave on
axes, a chart of other numbers). ``read_chart`` finds the sets of axes and the plotted strokes of each line
colour; ``ChartReading.match`` tells, for each expected series of values, how well some colour's strokes
draw it under some linear value-to-row scale, with the values evenly spaced across the drawn curve's
width (a time axis, years, samples). Axis ranges, colours, styles, legends and grids are the author's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

AXIS_GREY = 215  # axis and frame lines: darker than a light ground (light-grey spines of some styles included)
FILL_INSIDE = 7  # px: an area this thick both ways is filled, thicker than any plotted line


def chart_problems(pixels: np.ndarray) -> list[str]:
    """What keeps an image (``Grading.image``'s pixels) from being a line chart (empty when nothing does).

    It must be at least 400x250, have a light background with a minority of ink, a bounded
    palette (a chart, not noise or a photograph), at least one set of axes (``plot_panels``: one large
    frame or a grid of small ones) and, inside the axes, plotted strokes besides straight axis and grid
    lines.
    """
    rgb = pixels.astype(np.int16)
    height, width = rgb.shape[:2]
    if width < 400 or height < 250:
        return [f"image too small ({width}x{height})"]
    grey = rgb.mean(axis=2)
    light, ink = float((grey >= 235).mean()), float((grey < 200).mean())
    palette = len(np.unique((rgb // 8).reshape(-1, 3) @ np.array([1024, 32, 1])))
    problems = []
    if light < 0.5 or not 0.003 <= ink <= 0.4:
        problems.append(f"{light:.0%} light background and {ink:.1%} ink: not a chart on a plain ground")
    if palette > 3000:
        problems.append(f"{palette} distinct colours: noise or a photograph, not a chart")
    panels = plot_panels(rgb)
    if not panels:
        return [*problems, "no straight axis lines (no frame of axes a sixth of the image wide and high)"]
    inside = np.zeros(grey.shape, dtype=bool)
    for rows, cols in panels:
        inside[rows.start + 2:rows.stop - 1, cols.start + 2:cols.stop - 1] = True
    strokes = ((grey < 200) | _coloured(rgb)) & ~_straight_lines(grey < 200, margin=2)
    plotted = float(strokes[inside].mean()) if inside.any() else 0.0
    if plotted < 0.003:
        problems.append(f"{plotted:.2%} of the plot area holds plotted strokes: empty axes")
    return problems


def long_runs(mask: np.ndarray, length: int) -> np.ndarray:
    """The pixels of a 2-D mask that lie on a horizontal run of True at least ``length`` long."""
    out = np.zeros_like(mask, dtype=bool)
    for y, row in enumerate(mask):
        edges = np.flatnonzero(np.diff(np.concatenate(([0], row.astype(np.int8), [0]))))
        for start, stop in zip(edges[::2], edges[1::2], strict=True):
            if stop - start >= length:
                out[y, start:stop] = True
    return out


def _coloured(rgb: np.ndarray) -> np.ndarray:
    """Strongly coloured pixels (a line colour, not grey ink) of an int16 RGB image."""
    return (rgb.max(axis=2) - rgb.min(axis=2)) > 60


def _straight_lines(mask: np.ndarray, *, margin: int) -> np.ndarray:
    """The straight horizontal and vertical runs of a mask at least 40 px long (axis, frame and grid lines),
    widened by ``margin`` px."""
    return ndimage.binary_dilation(long_runs(mask, 40) | long_runs(mask.T, 40).T, iterations=margin)


def plot_panels(rgb: np.ndarray) -> list[tuple[slice, slice]]:
    """The inside of each set of axes in a chart image: the bounding boxes of the connected frames of
    straight lines (spines, with any grid) at least a sixth of the image wide and high, inset past the
    spines."""
    grey = rgb.mean(axis=2)
    height, width = grey.shape
    lines = grey < AXIS_GREY
    frames = ndimage.binary_dilation(long_runs(lines, width // 6) | long_runs(lines.T, height // 6).T, iterations=2)
    labels, _ = ndimage.label(frames)
    panels = []
    for rows, cols in ndimage.find_objects(labels):
        if rows.stop - rows.start >= height // 6 and cols.stop - cols.start >= width // 6:
            panels.append((slice(rows.start + 4, rows.stop - 4), slice(cols.start + 4, cols.stop - 4)))
    return panels


def _outline(mask: np.ndarray) -> np.ndarray:
    """A mask without the inside of its solid areas (FILL_INSIDE px thick both ways): a filled band or bar
    draws its values with its edges, and its inside must not count as strokes through every value."""
    return mask & ~ndimage.binary_erosion(mask, structure=np.ones((FILL_INSIDE, FILL_INSIDE), dtype=bool))


def colour_traces(rgb: np.ndarray) -> list[np.ndarray]:
    """Masks of the plotted strokes of one panel, one per line colour: each strongly coloured colour that
    covers enough pixels (near shades of it included), then the dark and the mid-grey strokes that are
    not straight axis or grid lines; filled areas by their outlines only (``_outline``)."""
    rgb = rgb.astype(np.int16)
    grey = rgb.mean(axis=2)
    coloured = _coloured(rgb)
    traces = []
    left = coloured.copy()
    while left.sum() >= max(40, 0.01 * coloured.sum()) and len(traces) < 16:
        codes = (rgb[left] // 24) @ np.array([4096, 64, 1])
        mode = np.bincount(codes).argmax()
        centre = rgb[left][codes == mode].mean(axis=0)
        mask = left & (np.abs(rgb - centre).sum(axis=2) <= 90)
        left &= ~mask
        mask = _outline(mask)
        if mask.sum() >= 40:
            traces.append(mask)
    for ink in (grey < 100, (grey >= 100) & (grey < 200) & ~coloured):
        ink = _outline(ink & ~_straight_lines(ink, margin=1))
        if ink.sum() >= 40:
            traces.append(ink)
    return traces


@dataclass(frozen=True)
class CurveFit:
    """Where a series is drawn: ``score`` is the share of its values found on the stroke; value ``k`` sits
    at panel column ``columns[k]`` and panel row ``scale * value + offset``."""

    score: float
    columns: np.ndarray
    scale: float
    offset: float


def _row_groups(column: np.ndarray) -> np.ndarray:
    """Centres of the runs of True in a boolean column."""
    rows = np.flatnonzero(column)
    if not len(rows):
        return rows
    breaks = np.flatnonzero(np.diff(rows) > 1) + 1
    return np.array([run.mean() for run in np.split(rows, breaks)])


def _drawn_rows(trace: np.ndarray, x: int) -> np.ndarray:
    """Centres of the trace's strokes at column ``x`` (and its neighbours), looking a little wider when a
    dash gap or a marker's edge leaves the column empty."""
    for reach in (1, 4):
        rows = _row_groups(trace[:, max(x - reach, 0):x + reach + 1].any(axis=1))
        if len(rows):
            return rows
    return rows


def column_rows(trace: np.ndarray) -> list[np.ndarray]:
    """``_drawn_rows`` of every column of a trace, computed once for all the series looked for in it."""
    return [_drawn_rows(trace, x) for x in range(trace.shape[1])]


def _extents(trace: np.ndarray) -> list[tuple[int, int]]:
    """Candidate horizontal extents of a plotted line: from the start of one of the first three column
    runs of the trace to the end of one of the last three (a legend sample or an overlapping line may
    sit apart from the curve), at least 30% of the panel wide."""
    cols = np.flatnonzero(trace.any(axis=0))
    if not len(cols):
        return []
    breaks = np.flatnonzero(np.diff(cols) > 3) + 1
    runs = [(run[0], run[-1]) for run in np.split(cols, breaks)]
    return [(a, b) for a, _ in runs[:3] for _, b in runs[-3:] if b - a >= 0.3 * trace.shape[1]]


def curve_fit(trace: np.ndarray, filled: np.ndarray, values: np.ndarray, *, either_polarity: bool = False,
              extents: list[tuple[int, int]] | None = None,
              rows_by_column: list[np.ndarray] | None = None) -> CurveFit | None:
    """How well one colour's strokes draw ``values`` (evenly spaced across a horizontal extent of the
    trace) under some linear value-to-row scale: the share of values whose point is drawn in that colour
    within tolerance, values hidden under other strokes (``filled``: the panel's strokes counted down
    each column, with a leading row of zeros) left out (at most half of them). Scales are taken through
    two drawn points of widely separated values; larger values higher up unless ``either_polarity``
    (an axis drawn negative up). A NaN value is a gap in the series: it keeps its place on the x axis
    and is not looked for. ``extents`` adds candidate (first, last) columns for the series, such as
    those of the other curves of the panel when this one's ends lie under them; ``rows_by_column`` is
    the trace's ``column_rows`` when the caller has it. None when no extent or scale fits at all."""
    height = trace.shape[0]
    n = len(values)
    tol = max(3.0, 0.02 * height)
    known = np.flatnonzero(np.isfinite(values))
    order = known[np.argsort(values[known])]
    best: CurveFit | None = None
    rows_at = rows_by_column or column_rows(trace)
    for x0, x1 in dict.fromkeys([*_extents(trace), *(extents or [])]) if len(known) >= 3 else []:
        all_xs = np.round(x0 + (x1 - x0) * np.arange(n) / (n - 1)).astype(int)
        xs = all_xs[known]
        groups = [np.array([])] * n
        for k in known:
            groups[k] = rows_at[all_xs[k]]
        drawn = np.full((len(known), max(1, max(len(groups[k]) for k in known))), np.inf)
        for row, k in enumerate(known):
            drawn[row, :len(groups[k])] = groups[k]
        pairs = np.array([(k1, r1, k2, r2) for k1 in order[-4:] for k2 in order[:4] if values[k1] > values[k2]
                          for r1 in groups[k1][:4] for r2 in groups[k2][:4]
                          if (abs(r2 - r1) if either_polarity else r2 - r1) >= 0.2 * height]).reshape(-1, 4)
        if not len(pairs):
            continue
        top, r1, r2 = values[pairs[:, 0].astype(int)], pairs[:, 1], pairs[:, 3]
        scales = (r1 - r2) / (top - values[pairs[:, 2].astype(int)])
        # one row per candidate scale, one column per known value
        rows = scales[:, None] * (values[known][None, :] - top[:, None]) + r1[:, None]
        hit = np.min(np.abs(drawn[None, :, :] - rows[:, :, None]), axis=2) <= tol
        low = np.clip(rows - tol, 0, height).astype(int)
        high = np.clip(rows + tol + 1, 0, height).astype(int)
        hidden = (~hit & (filled[high, xs[None, :]] - filled[low, xs[None, :]] > 0)).sum(axis=1)
        scores = np.where(hidden <= len(known) / 2, hit.sum(axis=1) / np.maximum(len(known) - hidden, 1), 0.0)
        pick = int(np.argmax(scores))
        if best is None or scores[pick] > best.score:
            best = CurveFit(float(scores[pick]), all_xs, float(scales[pick]), float(r1[pick] - scales[pick] * top[pick]))
        if best.score == 1.0:
            return best
    return best


@dataclass(frozen=True)
class Trace:
    """The strokes of one line colour (or of dark ink) inside one set of axes."""

    mask: np.ndarray
    panel: int


@dataclass(frozen=True)
class ChartReading:
    """A chart image read into its sets of axes (``panels``, as slices of the image), the dark ink inside
    each, and the strokes of each line colour per panel."""

    panels: list[tuple[slice, slice]]
    ink: list[np.ndarray]
    traces: list[Trace]

    def match(self, series: Mapping[str, np.ndarray], *,
              either_polarity: bool = False) -> dict[str, tuple[int, CurveFit] | None]:
        """For each named series, the trace (its index in ``traces``) that draws it best and the fit; a
        trace draws at most one series, the best-fitting pairs chosen first; None when nothing fits."""
        filled, shared = {}, {}
        for panel in range(len(self.panels)):
            mine = [t.mask for t in self.traces if t.panel == panel]
            if mine:
                occupied = np.logical_or.reduce(mine)
                filled[panel] = np.concatenate([np.zeros((1, occupied.shape[1]), int), np.cumsum(occupied, axis=0)])
                shared[panel] = _extents(occupied) + [e for mask in mine for e in _extents(mask)]
        fits = []
        rows = [column_rows(trace.mask) for trace in self.traces]
        for name, values in series.items():
            for index, trace in enumerate(self.traces):
                fit = curve_fit(trace.mask, filled[trace.panel], np.asarray(values, dtype=float),
                                either_polarity=either_polarity, extents=shared[trace.panel],
                                rows_by_column=rows[index])
                if fit is not None and fit.score > 0:
                    fits.append((fit.score, name, index, fit))
        matched: dict[str, tuple[int, CurveFit] | None] = dict.fromkeys(series)
        taken: set[int] = set()
        for _, name, index, fit in sorted(fits, key=lambda f: -f[0]):
            if matched[name] is None and index not in taken:
                matched[name] = (index, fit)
                taken.add(index)
        return matched


def read_chart(pixels: np.ndarray) -> ChartReading:
    """Read a chart image (``Grading.image``'s pixels; see the module docstring)."""
    rgb = pixels.astype(np.int16)
    panels = plot_panels(rgb)
    ink, traces = [], []
    for index, (rows, cols) in enumerate(panels):
        ink.append(rgb[rows, cols].mean(axis=2) < 100)
        traces += [Trace(mask, index) for mask in colour_traces(rgb[rows, cols])]
    return ChartReading(panels, ink, traces)
