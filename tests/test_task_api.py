"""The task author's API (``lastexam.task``): each helper on real files and real tools, and each turning
bad agent output into a failed check with a reason rather than an exception."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from lastexam.task import Grading, ReferenceFileError, judge, normalize_text, parse_quantity
from lastexam.task.images import data_column_share


@pytest.fixture
def g(tmp_path: Path) -> Grading:
    for name in ("out", "in", "ref"):
        (tmp_path / name).mkdir()
    return Grading(tmp_path / "out", tmp_path / "in", tmp_path / "ref", {"variant": 0, "seed": 1})


def _last(g: Grading) -> tuple[bool, str]:
    check = g.grade.checks[-1]
    return check.passed, check.reason


def pdf_bytes(pages: list[str], *, width: float = 595.0, height: float = 842.0, font_size: int = 36) -> bytes:
    """A minimal valid PDF: one line of Helvetica text per page, with a TrimBox 10 pt inside the MediaBox."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>",
               "<< /Type /Pages /Kids [" + " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
               + f"] /Count {len(pages)} >>",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i, text in enumerate(pages):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:g} {height:g}] "
                       f"/TrimBox [10 10 {width - 10:g} {height - 10:g}] /Resources << /Font << /F1 3 0 R >> >> "
                       f"/Contents {5 + 2 * i} 0 R >>")
        stream = f"BT /F1 {font_size} Tf 50 {height / 2:g} Td ({text}) Tj ET"
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def png_bytes(pixels: np.ndarray) -> bytes:
    """An 8-bit RGB PNG of an (h, w, 3) uint8 array."""
    height, width = pixels.shape[:2]
    raw = b"".join(b"\x00" + pixels[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _axes(with_curve: bool) -> np.ndarray:
    """A white 300x400 chart: black axes, tick labels below, and optionally a blue sine curve."""
    img = np.full((300, 400, 3), 255, dtype=np.uint8)
    img[260, 40:390] = 0
    img[10:261, 40] = 0
    for x in range(60, 390, 40):
        img[265:275, x - 4:x + 4] = 0  # tick labels outside the axes
    if with_curve:
        xs = np.arange(45, 385)
        ys = (135 + 100 * np.sin(xs / 30)).astype(int)
        for dy in (-1, 0, 1):
            img[ys + dy, xs] = (30, 80, 200)
    return img


def _line_chart(*curves: tuple[np.ndarray, tuple[int, int, int]], negative_up: bool = False) -> np.ndarray:
    """A white 320x520 chart: a framed set of axes and each curve (values evenly spaced across the
    frame, in its colour, 3 px thick, scaled to the values of all curves)."""
    img = np.full((320, 520, 3), 255, dtype=np.uint8)
    img[[20, 280], 60:500] = 0
    img[20:281, [60, 500]] = 0
    low, high = min(c.min() for c, _ in curves), max(c.max() for c, _ in curves)
    columns = np.arange(70, 491)
    for values, colour in curves:
        level = (np.interp(columns, np.linspace(70, 490, len(values)), values) - low) / (high - low)
        rows = np.round(40 + 220 * (level if negative_up else 1 - level)).astype(int)
        for x, (r0, r1) in zip(columns, zip(rows, np.r_[rows[1:], rows[-1]], strict=True), strict=True):
            img[min(r0, r1) - 1:max(r0, r1) + 2, x] = colour
    return img


def test_chart_draws_reads_the_plotted_series_back(g: Grading) -> None:
    t = np.linspace(0, 1, 60)
    wave = np.exp(-4 * t) * np.cos(9 * t) - 0.3 * t
    ramp = 1.2 * t ** 2 - 0.6
    red, blue = (200, 30, 30), (30, 80, 200)
    series = {"wave": wave, "ramp": ramp}
    assert g.chart_draws("both", _line_chart((wave, red), (ramp, blue)), series)
    assert not g.chart_draws("a sine instead", _line_chart((np.sin(12 * t), red), (ramp, blue)), series)
    assert g.grade.checks[-1].score == 0.5 and "wave" in g.grade.checks[-1].reason
    assert not g.chart_draws("one colour for both", _line_chart((wave, red), (ramp, red)), series)
    assert g.chart_draws("a mid-grey curve beside a black one", _line_chart((wave, (127, 127, 127)), (ramp, (0, 0, 0))),
                         series)
    flipped = _line_chart((wave, red), negative_up=True)
    assert not g.chart_draws("negative up", flipped, {"wave": wave})
    assert g.chart_draws("negative up, allowed", flipped, {"wave": wave}, either_polarity=True)
    assert not g.chart_draws("noise", np.random.default_rng(1).integers(0, 256, (320, 520, 3), dtype=np.uint8),
                             {"wave": wave})
    assert "noise" in _last(g)[1] and not g.chart_draws("no image", None, {"wave": wave})



def test_a_filled_band_draws_its_edges_not_every_value_inside_it(g: Grading) -> None:
    t = np.linspace(0, 1, 60)
    upper, lower = 1 - 0.5 * t ** 2, 0.2 * np.sin(5 * t)
    band = _line_chart((upper, (30, 80, 200)), (lower, (30, 80, 200)))
    blue = (band == (30, 80, 200)).all(axis=2)
    for x in range(70, 491):  # filled as matplotlib draws a fill of alpha 0.35 in tab:blue
        rows = np.flatnonzero(blue[:, x])
        band[rows.min() + 2:rows.max() - 1, x] = (177, 207, 229)
    assert g.chart_draws("the band's upper edge", band, {"upper": upper})
    assert not g.chart_draws("a curve through the band's inside", band, {"middle": 0.5 + 0.3 * np.cos(4 * t)})

def _bars(horizontal: bool = False) -> np.ndarray:
    """``_axes`` with eight tall bars (most over 60 % of the image high) in place of a curve; turned a
    quarter for horizontal bars."""
    img = _axes(False)
    for k, x in enumerate(range(55, 375, 40)):
        img[260 - (180 + 8 * k):260, x:x + 24] = (200, 90, 40)
    return np.ascontiguousarray(np.rot90(img)) if horizontal else img


def test_tall_bars_are_plotted_data_not_axes() -> None:
    assert data_column_share(_bars()) > 0.5
    assert data_column_share(_bars(horizontal=True)) > 0.5
    assert data_column_share(_axes(False)) < 0.05
    block = _axes(False)
    block[20:255, 100:330] = (200, 90, 40)
    assert data_column_share(block) < 0.05, "one filled block is not plotted data"


def test_quantities_read_in_any_unit_of_the_dimension(g: Grading) -> None:
    assert parse_quantity("12 500 Pa", "kPa") == pytest.approx(12.5)
    assert parse_quantity("0.125 bar", "kPa") == pytest.approx(12.5)
    assert parse_quantity("12.5 mm", "kPa") is None
    assert g.quantity("head", "12 500 Pa", 12.5, unit="kPa", rel_tol=1e-6)
    assert g.quantity("head", 12.51, 12.5, unit="kPa", abs_tol=0.02)
    assert not g.quantity("head", "12.5 mm", 12.5, unit="kPa") and "not a quantity" in _last(g)[1]
    assert not g.quantity("head", "13 kPa", 12.5, unit="kPa", rel_tol=0.01) and "off by 0.5 kPa" in _last(g)[1]
    with pytest.raises(KeyError, match="unknown unit"):
        g.quantity("head", 1, 1, unit="furlong")


def test_fraction_names_the_wrong_items_and_threshold_passes_at_the_share(g: Grading) -> None:
    verdicts = {"P1": True, "P2": "", "P3": "area off by 12 m2", "P4": False}
    assert g.fraction("parcels", verdicts, noun="parcels") == 0.5
    assert _last(g) == (False, "P3: area off by 12 m2; P4: wrong")
    assert g.fraction("parcels", verdicts, threshold=0.5) == 1.0 and _last(g)[0]
    assert g.fraction("none", {}) == 0.0
    found, expected = {"a": 1.0, "b": 2.5, "z": 0}, {"a": 1.0, "b": 2.0, "c": 3.0}
    verdicts = judge(found, expected, lambda got, want: "" if got == want else f"{got} vs {want}")
    assert verdicts == {"a": "", "b": "2.5 vs 2.0", "c": "missing", "z": "not expected"}
    assert g.share("records", 7, 8, wrong=["R3: salt left on"]) == pytest.approx(7 / 8)
    assert _last(g) == (False, "R3: salt left on")
    assert g.share("records", 9, 8) == 1.0 and g.share("records", -2, 8) == 0.0 and g.share("none", 0, 0) == 0.0


def test_table_columns_take_tolerances_predicates_and_a_normaliser(g: Grading) -> None:
    expected = [{"firm": "Acme Ltd", "amount": "1250", "status": "Open", "code": "A-7"}]
    found = [{"firm": " ACME  ltd", "amount": "1,250.4", "status": "open", "code": "a7"}]
    columns = {"amount": 0.5, "status": None, "code": lambda got, want: got.replace("-", "").lower() ==
               want.replace("-", "").lower()}
    assert g.table("ledger", found, expected, key="firm", columns=columns, normalize=normalize_text) == 1.0
    assert g.table("ledger", found, expected, key="firm", columns=columns) == 0.0  # strict keys: a missing row
    found[0]["amount"] = "1,252"
    assert g.table("ledger", found, expected, key="firm", columns=columns, normalize=normalize_text) == 0.0
    assert "amount='1,252' want '1250'" in _last(g)[1]


def test_a_missing_or_malformed_reference_raises_as_a_grader_fault(g: Grading) -> None:
    with pytest.raises(ReferenceFileError, match=r"reference\.json"):
        g.reference_json("reference.json")
    g.reference("reference.json").write_text("{not json")
    with pytest.raises(ReferenceFileError, match="cannot be read as JSON"):
        g.reference_json("reference.json")
    g.reference("reference.json").write_text('{"total": 3}')
    assert g.reference_json("reference.json") == {"total": 3}


@pytest.mark.slow
def test_pdf_pages_and_text_are_measured_in_a_sandbox(g: Grading) -> None:
    g.output("doc.pdf").write_bytes(pdf_bytes(["Invoice 4471", "Total due 96.20"], width=420, height=595))
    pages = g.pdf_pages("doc.pdf")
    assert pages is not None and [p.number for p in pages] == [1, 2]
    assert pages[0].media == (0, 0, 420, 595) and pages[0].trim == (10, 10, 410, 585)
    assert pages[0].width_mm == pytest.approx(400 / 72 * 25.4)
    text = g.pdf_text("doc.pdf")
    assert text is not None and len(text) == 2 and "Invoice 4471" in text[0] and "Total due 96.20" in text[1]
    g.output("fake.pdf").write_bytes(b"%PDF-1.4\nthis is not a document\n")
    assert g.pdf_pages("fake.pdf") is None and g.pdf_text("fake.pdf") is None
    assert not g.grade.passed and all(c.gate for c in g.grade.checks if not c.passed)


@pytest.mark.slow
def test_images_are_decoded_in_a_sandbox_and_hollow_ones_fail(g: Grading) -> None:
    rng = np.random.default_rng(0)
    figures = {"curve.png": _axes(True), "empty_axes.png": _axes(False),
               "blank.png": np.full((200, 300, 3), 250, dtype=np.uint8),
               "noise.png": rng.integers(0, 256, (200, 300, 3), dtype=np.uint8)}
    for name, pixels in figures.items():
        g.output(name).write_bytes(png_bytes(pixels))
    decoded = {name: g.image(name) for name in figures}
    assert all(decoded[name] is not None and np.array_equal(decoded[name], figures[name]) for name in figures)
    verdicts = {name: (g.image_has_content(name, decoded[name]), g.plot_has_data(name, decoded[name]))
                for name in figures}
    assert verdicts == {"curve.png": (True, True), "empty_axes.png": (True, False),
                        "blank.png": (False, False), "noise.png": (False, False)}
    g.output("broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnothing else")
    assert g.image("broken.png") is None and not g.image_has_content("broken", None)
    g.output("page.pdf").write_bytes(pdf_bytes(["Figure 1"], width=200, height=100))
    page = g.image("page.pdf", dpi=72)
    assert page is not None and page.shape == (100, 200, 3) and g.image_has_content("page", page)


@pytest.mark.slow
def test_ocr_reads_what_the_page_shows(g: Grading) -> None:
    g.output("doc.pdf").write_bytes(pdf_bytes(["SHIPMENT 4471"], width=500, height=200, font_size=40))
    text = g.ocr("doc.pdf", dpi=150)
    assert text is not None and "SHIPMENT 4471" in text
    g.output("bad.png").write_bytes(b"not an image")
    assert g.ocr("bad.png") is None and not _last(g)[0]
