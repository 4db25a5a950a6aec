"""Plots as inline SVG strings, drawn in Python (no JavaScript, no external assets).

Each function takes plain numbers and labels and returns one ``<svg>`` element sized in pixels;
text is escaped. Colours come from a small fixed palette so reports look the same everywhere.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from html import escape

PALETTE = {
    "passed": "#2e7d32", "infrastructure": "#9e9e9e", "timeout": "#ef6c00", "limit": "#f9a825",
    "no_output": "#6d4c41", "gate_failed": "#c62828", "partial": "#42a5f5", "zero_score": "#7b1fa2",
}
INK, GRID, BAR, FRONTIER, LEADER = "#222", "#ddd", "#3f6fb5", "#c62828", "#999"
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'
LABEL_CHAR_W, LABEL_LINE_H = 7.0, 14.0


def _text(x: float, y: float, label: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{INK}" {extra}>{escape(label)}</text>'


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" {_FONT}><title>{escape(title)}</title>'
            + "".join(body) + "</svg>")


def interval_bars(rows: list[tuple[str, float, tuple[float, float]]], title: str, width: int = 760) -> str:
    """Horizontal bars of rates in [0, 1] with their interval as a whisker; one row per (label, rate, interval)."""
    label_w, row_h, top = 240, 26, 24
    plot_w = width - label_w - 70
    height = top + row_h * len(rows) + 28
    body = []
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + tick * plot_w
        body.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 24}" stroke="{GRID}"/>')
        body.append(_text(x, height - 8, f"{tick:.0%}", "middle"))
    for i, (label, rate, (low, high)) in enumerate(rows):
        y = top + i * row_h
        body.append(_text(label_w - 8, y + 15, label, "end"))
        body.append(f'<rect x="{label_w}" y="{y + 4}" width="{rate * plot_w:.1f}" height="{row_h - 10}" '
                    f'fill="{BAR}" opacity="0.8"><title>{escape(label)}: {rate:.1%} [{low:.1%}, {high:.1%}]</title></rect>')
        x0, x1, ym = label_w + low * plot_w, label_w + high * plot_w, y + row_h / 2
        body.append(f'<line x1="{x0:.1f}" y1="{ym:.1f}" x2="{x1:.1f}" y2="{ym:.1f}" stroke="{INK}" stroke-width="2"/>')
        for x in (x0, x1):
            body.append(f'<line x1="{x:.1f}" y1="{ym - 6:.1f}" x2="{x:.1f}" y2="{ym + 6:.1f}" stroke="{INK}" stroke-width="2"/>')
        body.append(_text(label_w + plot_w + 8, y + 15, f"{rate:.1%}"))
    return _svg(width, height, body, title)


def _heat(value: float) -> str:
    """White (0) to green (1)."""
    r, g, b = (int(255 + (t - 255) * value) for t in (46, 125, 50))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(rows: list[str], columns: list[str], cells: dict[tuple[str, str], tuple[float, tuple[float, float], int]],
            title: str) -> str:
    """A grid of rates: ``cells[(row, column)] = (rate, interval, trials)``; a missing cell is left blank."""
    label_w, cell_w, cell_h, top = 240, 130, 34, 30
    width, height = label_w + cell_w * len(columns) + 10, top + cell_h * len(rows) + 10
    body = [_text(label_w + (j + 0.5) * cell_w, top - 10, c, "middle", 'font-weight="600"') for j, c in enumerate(columns)]
    for i, row in enumerate(rows):
        y = top + i * cell_h
        body.append(_text(label_w - 8, y + cell_h / 2 + 4, row, "end"))
        for j, column in enumerate(columns):
            x = label_w + j * cell_w
            cell = cells.get((row, column))
            if cell is None:
                body.append(f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="#f4f4f4"/>')
                continue
            rate, (low, high), trials = cell
            colour = "#fff" if rate > 0.6 else INK
            body.append(f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{_heat(rate)}">'
                        f'<title>{escape(row)} / {escape(column)}: {rate:.1%} [{low:.1%}, {high:.1%}], '
                        f'{trials} trials</title></rect>')
            body.append(f'<text x="{x + cell_w / 2:.1f}" y="{y + 14:.1f}" text-anchor="middle" fill="{colour}" '
                        f'font-weight="600">{rate:.0%}</text>')
            body.append(f'<text x="{x + cell_w / 2:.1f}" y="{y + 27:.1f}" text-anchor="middle" fill="{colour}" '
                        f'font-size="10">[{low:.0%}, {high:.0%}]</text>')
    return _svg(width, height, body, title)


def _nice_ticks(high: float) -> list[float]:
    """About five round ticks (steps of 1, 2 or 5 times a power of ten) from 0 to ``high``."""
    raw = high / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [i * step for i in range(int(high / step) + 1)]


@dataclass(frozen=True)
class ParetoPoint:
    """One agent on the cost/pass-rate plane, with both intervals (``cost_interval`` None: not known)."""

    label: str
    cost: float
    rate: float
    rate_interval: tuple[float, float]
    cost_interval: tuple[float, float] | None
    on_frontier: bool


Box = tuple[float, float, float, float]


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(anchors: list[tuple[float, float, str]], bounds: Box, obstacles: list[Box],
                 char_w: float = LABEL_CHAR_W, line_h: float = LABEL_LINE_H) -> list[tuple[float, float, str]]:
    """Where to write each label (x, baseline y, text-anchor) beside its anchor point so that no two labels
    overlap each other nor the ``obstacles``, within ``bounds`` (x0, y0, x1, y1): right of the point first,
    then left, shifted up or down a line at a time; a label that fits nowhere stays right of its point."""
    placed: list[Box] = []
    out = []
    shifts = [0.0] + [sign * line_h * k for k in range(1, 9) for sign in (-1, 1)]
    for x, y, label in anchors:
        width = char_w * len(label)
        chosen = None
        for dy in shifts:
            for anchor in ("start", "end"):
                left = x + 8 if anchor == "start" else x - 8 - width
                box = (left, y + dy - line_h / 2, left + width, y + dy + line_h / 2)
                inside = bounds[0] <= box[0] and box[2] <= bounds[2] and bounds[1] <= box[1] and box[3] <= bounds[3]
                if inside and not any(_overlaps(box, other) for other in placed + obstacles):
                    chosen = (box, anchor)
                    break
            if chosen:
                break
        box, anchor = chosen or ((x + 8, y - line_h / 2, x + 8 + width, y + line_h / 2), "start")
        placed.append(box)
        out.append((box[0] if anchor == "start" else box[2], box[3] - 3, anchor))
    return out


def pareto(points: list[ParetoPoint], title: str, width: int = 760, height: int = 420) -> str:
    """Cost per trial (x, with its interval) against pass rate (y, with its interval), one labelled point
    per agent.

    The x axis is logarithmic when the positive costs span more than a factor of 20; the frontier is
    drawn as a step line through its points. Labels are placed so that they do not overlap; a label
    moved away from its point gets a leader line.
    """
    left, right, top, bottom = 70, 160, 20, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    costs = [p.cost for p in points] + [c for p in points if p.cost_interval for c in p.cost_interval]
    positive = [c for c in costs if c > 0]
    use_log = bool(positive) and max(positive) / min(positive) > 20
    low_cost = min(positive) / 2 if use_log else 0.0
    high_cost = max([*costs, 1e-09]) * 1.1

    def sx(cost: float) -> float:
        if use_log:
            value = (math.log10(max(cost, low_cost)) - math.log10(low_cost)) / (math.log10(high_cost) - math.log10(low_cost))
        else:
            value = cost / high_cost
        return left + value * plot_w

    def sy(rate: float) -> float:
        return top + (1 - rate) * plot_h

    body = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="{GRID}"/>']
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        body.append(f'<line x1="{left}" y1="{sy(tick):.1f}" x2="{left + plot_w}" y2="{sy(tick):.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 6, sy(tick) + 4, f"{tick:.0%}", "end"))
    ticks = ([10 ** e for e in range(math.floor(math.log10(low_cost)), math.ceil(math.log10(high_cost)) + 1)]
             if use_log else _nice_ticks(high_cost))
    for tick in ticks:
        if (use_log and not low_cost <= tick <= high_cost) or sx(tick) > left + plot_w + 1:
            continue
        body.append(f'<line x1="{sx(tick):.1f}" y1="{top}" x2="{sx(tick):.1f}" y2="{top + plot_h}" stroke="{GRID}"/>')
        body.append(_text(sx(tick), top + plot_h + 16, f"${tick:,.2f}" if tick < 100 else f"${tick:,.0f}", "middle"))
    body.append(_text(left + plot_w / 2, height - 8, "cost per trial (USD" + (", log scale)" if use_log else ")"), "middle"))
    body.append(_text(14, top + plot_h / 2, "full-pass rate", "middle", f'transform="rotate(-90 14 {top + plot_h / 2:.1f})"'))
    frontier = sorted((p for p in points if p.on_frontier), key=lambda p: p.cost)
    if len(frontier) > 1:
        path = []
        for a, b in itertools.pairwise(frontier):
            path += [f"{sx(a.cost):.1f},{sy(a.rate):.1f}", f"{sx(b.cost):.1f},{sy(a.rate):.1f}"]
        path.append(f"{sx(frontier[-1].cost):.1f},{sy(frontier[-1].rate):.1f}")
        body.append(f'<polyline points="{" ".join(path)}" fill="none" stroke="{FRONTIER}" stroke-dasharray="5 4"/>')
    order = sorted(points, key=lambda p: (-p.rate, p.cost, p.label))
    centres = [(sx(p.cost), sy(p.rate)) for p in order]
    obstacles = [(x - 6, y - 6, x + 6, y + 6) for x, y in centres]
    obstacles += [(sx(p.cost_interval[0]), y - 4, sx(p.cost_interval[1]), y + 4)
                  for p, (_, y) in zip(order, centres, strict=True) if p.cost_interval]
    labels = place_labels([(x, y, p.label) for (x, y), p in zip(centres, order, strict=True)],
                          (left, top, width - 4, top + plot_h), obstacles)
    for p, (x, y), (lx, ly, anchor) in zip(order, centres, labels, strict=True):
        low, high = p.rate_interval
        body.append(f'<line class="rate-ci" x1="{x:.1f}" y1="{sy(low):.1f}" x2="{x:.1f}" y2="{sy(high):.1f}" '
                    f'stroke="{INK}"/>')
        cost_text = ""
        if p.cost_interval:
            x0, x1 = sx(p.cost_interval[0]), sx(p.cost_interval[1])
            body.append(f'<line class="cost-ci" x1="{x0:.1f}" y1="{y:.1f}" x2="{x1:.1f}" y2="{y:.1f}" stroke="{INK}"/>')
            body += [f'<line x1="{e:.1f}" y1="{y - 4:.1f}" x2="{e:.1f}" y2="{y + 4:.1f}" stroke="{INK}"/>' for e in (x0, x1)]
            cost_text = f" [${p.cost_interval[0]:,.4f}, ${p.cost_interval[1]:,.4f}]"
        colour = FRONTIER if p.on_frontier else BAR
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}"><title>{escape(p.label)}: '
                    f'${p.cost:,.4f}{cost_text} per trial, {p.rate:.1%} [{low:.1%}, {high:.1%}]</title></circle>')
        if abs(ly - 4 - y) > LABEL_LINE_H / 2 or (anchor == "end") != (lx < x):
            body.append(f'<line class="leader" x1="{x:.1f}" y1="{y:.1f}" x2="{lx:.1f}" y2="{ly - 4:.1f}" '
                        f'stroke="{LEADER}"/>')
        body.append(_text(lx, ly, p.label, anchor, 'class="point-label" font-size="11"'))
    return _svg(width, height, body, title)


def stacked_bars(rows: list[tuple[str, dict[str, int]]], categories: list[str], title: str, width: int = 760) -> str:
    """One horizontal bar per row split into the categories' shares, with a legend below."""
    label_w, row_h, top = 240, 24, 10
    plot_w = width - label_w - 20
    legend_y = top + row_h * len(rows) + 16
    height = legend_y + 22 * math.ceil(len(categories) / 4) + 6
    body = []
    for i, (label, counts) in enumerate(rows):
        y = top + i * row_h
        total = sum(counts.get(c, 0) for c in categories)
        body.append(_text(label_w - 8, y + 15, label, "end"))
        x = float(label_w)
        for category in categories:
            n = counts.get(category, 0)
            if not n or not total:
                continue
            w = n / total * plot_w
            body.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
                        f'fill="{PALETTE.get(category, BAR)}"><title>{escape(label)}: {escape(category)} {n} '
                        f'({n / total:.1%})</title></rect>')
            x += w
    for k, category in enumerate(categories):
        x, y = label_w + (k % 4) * 125, legend_y + 22 * (k // 4)
        body.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{PALETTE.get(category, BAR)}"/>')
        body.append(_text(x + 16, y, category.replace("_", " ")))
    return _svg(width, height, body, title)
