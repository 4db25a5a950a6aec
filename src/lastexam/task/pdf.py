"""What poppler reports about a PDF, parsed: page boxes (``pdfinfo -box``) and per-page text.

The tools themselves run on the agent's file in a sandbox (``Grading.pdf_pages``, ``Grading.pdf_text``);
this module only reads their text output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

POINTS_PER_MM = 72 / 25.4
Box = tuple[float, float, float, float]
_BOX_LINE = re.compile(r"^Page\s+(\d+)\s+(MediaBox|CropBox|BleedBox|TrimBox|ArtBox):\s+([-\d.\s]+)$", re.M)
_ROTATION_LINE = re.compile(r"^Page\s+(\d+)\s+rot:\s+(-?\d+)", re.M)


@dataclass(frozen=True)
class PdfPage:
    """One page's geometry in PDF points (1/72 in), boxes as (x0, y0, x1, y1) from the bottom left.

    A box the file does not set is reported by pdfinfo as its default (CropBox = MediaBox, the
    others = CropBox).
    """

    number: int
    media: Box
    crop: Box
    bleed: Box
    trim: Box
    art: Box
    rotation: int = 0

    @property
    def width_mm(self) -> float:
        """Width of the trim box in millimetres."""
        return (self.trim[2] - self.trim[0]) / POINTS_PER_MM

    @property
    def height_mm(self) -> float:
        """Height of the trim box in millimetres."""
        return (self.trim[3] - self.trim[1]) / POINTS_PER_MM


def parse_pdfinfo_boxes(text: str) -> list[PdfPage]:
    """Pages from the output of ``pdfinfo -box -f 1 -l N``, in page order; pages missing a box are left out."""
    boxes: dict[int, dict[str, Box]] = {}
    for match in _BOX_LINE.finditer(text):
        values = [float(v) for v in match.group(3).split()[:4]]
        if len(values) == 4:
            boxes.setdefault(int(match.group(1)), {})[match.group(2)] = (values[0], values[1], values[2], values[3])
    rotations = {int(m.group(1)): int(m.group(2)) for m in _ROTATION_LINE.finditer(text)}
    names = ("MediaBox", "CropBox", "BleedBox", "TrimBox", "ArtBox")
    return [PdfPage(number, *(found[n] for n in names), rotation=rotations.get(number, 0))
            for number, found in sorted(boxes.items()) if all(n in found for n in names)]


def page_count(pdfinfo_text: str) -> int | None:
    """The ``Pages:`` line of ``pdfinfo`` output, or None."""
    match = re.search(r"^Pages:\s+(\d+)", pdfinfo_text, re.M)
    return int(match.group(1)) if match else None


def split_pages(pdftotext_output: str) -> list[str]:
    """``pdftotext`` output cut at its form feeds into one string per page (the trailing feed dropped)."""
    pages = pdftotext_output.split("\f")
    return pages[:-1] if pages and pages[-1] == "" else pages
