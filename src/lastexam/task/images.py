"""Pixels of a rendered figure or page, and the statistics that tell a real image from a hollow one.

Images arrive here as binary PPM made in a sandbox (``Grading.image`` decodes the agent's PNG, JPEG
or PDF page there), so the grader's own process parses nothing but this trivial format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

MAX_PIXELS = 64_000_000
_PNM_HEADER = re.compile(rb"^P([56])\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s+(\d+)\s")
EDGE_STEP = 24  # a grey-level jump between neighbours at least this large counts as an edge


def parse_ppm(data: bytes) -> np.ndarray | None:
    """A binary PPM (P6) or PGM (P5) with maxval 255 as an (height, width, 3) uint8 array, or None when
    the bytes are not one (wrong header, truncated body, more than MAX_PIXELS pixels)."""
    match = _PNM_HEADER.match(data)
    if not match or match.group(4) != b"255":
        return None
    channels = 3 if match.group(1) == b"6" else 1
    width, height = int(match.group(2)), int(match.group(3))
    if not 0 < width * height <= MAX_PIXELS:
        return None
    size = width * height * channels
    body = data[match.end():match.end() + size]
    if len(body) != size:
        return None
    pixels = np.frombuffer(body, dtype=np.uint8).reshape(height, width, channels)
    return np.repeat(pixels, 3, axis=2) if channels == 1 else pixels


def grey(pixels: np.ndarray) -> np.ndarray:
    """Luminance (ITU-R BT.601 weights) of an (h, w, 3) image as floats in [0, 255]."""
    return pixels[..., :3].astype(float) @ np.array([0.299, 0.587, 0.114])


@dataclass(frozen=True)
class ImageStats:
    """Summary numbers of an image.

    ``entropy``: Shannon entropy (bits) of the 256-bin grey histogram; ``edge_density``: share of
    horizontally or vertically adjacent pixel pairs whose grey levels differ by EDGE_STEP or more;
    ``dominant_share``: share of pixels holding the most common colour; ``grey_std``: standard
    deviation of the grey levels.
    """

    width: int
    height: int
    entropy: float
    edge_density: float
    dominant_share: float
    grey_std: float

    @property
    def blank(self) -> bool:
        """One flat colour (or nearly): an empty canvas, a white page, a constant fill."""
        return self.grey_std < 2.0 or self.dominant_share > 0.995

    @property
    def noise(self) -> bool:
        """Pixel-level noise: most neighbours differ sharply and the grey levels spread over the whole range,
        which neither a photograph nor a chart nor a page of text shows."""
        return self.edge_density > 0.4 and self.entropy > 6.0


def image_stats(pixels: np.ndarray) -> ImageStats:
    """The ImageStats of an (h, w, 3) uint8 image."""
    height, width = pixels.shape[:2]
    levels = grey(pixels)
    histogram = np.bincount(levels.astype(np.uint8).ravel(), minlength=256) / levels.size
    nonzero = histogram[histogram > 0]
    pairs = np.abs(np.diff(levels, axis=1)) >= EDGE_STEP, np.abs(np.diff(levels, axis=0)) >= EDGE_STEP
    total_pairs = pairs[0].size + pairs[1].size
    codes = (pixels[..., 0].astype(np.int64) << 16) | (pixels[..., 1].astype(np.int64) << 8) | pixels[..., 2]
    _, counts = np.unique(codes, return_counts=True)
    return ImageStats(
        width=width, height=height, entropy=float(-(nonzero * np.log2(nonzero)).sum()),
        edge_density=float(sum(int(p.sum()) for p in pairs) / total_pairs) if total_pairs else 0.0,
        dominant_share=float(counts.max() / codes.size), grey_std=float(levels.std()),
    )


def ink_mask(pixels: np.ndarray, *, threshold: float = 60.0) -> np.ndarray:
    """Pixels that differ from the background (the most common colour) by more than ``threshold`` in RGB."""
    codes = (pixels[..., 0].astype(np.int64) << 16) | (pixels[..., 1].astype(np.int64) << 8) | pixels[..., 2]
    values, counts = np.unique(codes, return_counts=True)
    background_code = int(values[counts.argmax()])
    background = np.array([(background_code >> 16) & 255, (background_code >> 8) & 255, background_code & 255])
    return np.linalg.norm(pixels.astype(float) - background, axis=-1) > threshold


def data_column_share(pixels: np.ndarray, *, line_share: float = 0.6) -> float:
    """Share of the plot area's columns that hold plotted ink (curves, markers, bars).

    Thin runs (a few pixels) of rows and columns inked over more than ``line_share`` of their length are
    taken for axes, frames and grid lines: they are set aside, and the outermost of them bound the plot
    area (the whole image when there are none), so tick labels and titles outside the axes do not count.
    A wider run of such columns or rows is a tall (or long) bar, and counts as data, unless it is a
    block a quarter of the image across. Ink within 2 % of the frame is left out as tick marks. A chart
    with a plotted series spans most columns of its plot area, an empty set of axes almost none.
    """
    mask = ink_mask(pixels)
    if mask.size == 0:
        return 0.0
    height, width = mask.shape
    full_rows = np.flatnonzero(mask.mean(axis=1) > line_share)
    full_columns = np.flatnonzero(mask.mean(axis=0) > line_share)
    long_rows = _runs(full_rows, 1, max(3, height // 100))
    long_columns = _runs(full_columns, 1, max(3, width // 100))
    blocks = _runs(full_columns, width // 4, width), _runs(full_rows, height // 4, height)
    top, bottom = _frame(long_rows, height)
    left, right = _frame(long_columns, width)
    margin_y, margin_x = max(2, height // 50), max(2, width // 50)
    area = mask[top + margin_y:bottom - margin_y, left + margin_x:right - margin_x].copy()
    area[:, np.isin(np.arange(left + margin_x, right - margin_x), long_columns)] = False
    area[np.isin(np.arange(top + margin_y, bottom - margin_y), long_rows), :] = False
    area[:, np.isin(np.arange(left + margin_x, right - margin_x), blocks[0])] = False  # a filled block is no data
    area[np.isin(np.arange(top + margin_y, bottom - margin_y), blocks[1]), :] = False
    return float(area.any(axis=0).mean()) if area.size else 0.0


def _runs(indices: np.ndarray, least: int, most: int) -> np.ndarray:
    """The indices that lie in runs of consecutive indices from ``least`` to ``most`` long."""
    if len(indices) == 0:
        return indices
    runs = np.split(indices, np.flatnonzero(np.diff(indices) > 1) + 1)
    return np.concatenate([run for run in runs if least <= len(run) <= most] or [indices[:0]])


def _frame(lines: np.ndarray, size: int) -> tuple[int, int]:
    """The span between the first and last long line, or from the one line to the far edge it faces."""
    if len(lines) == 0:
        return 0, size
    first, last = int(lines[0]), int(lines[-1])
    if last - first > size // 4:
        return first, last
    return (first, size) if first < size // 2 else (0, first)
