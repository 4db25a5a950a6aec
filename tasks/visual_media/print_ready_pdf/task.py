"""Print-ready PDF from a design brief: trim, bleed, safe area, embedded fonts, 300 ppi images, preflight.

Workflow: the agent receives a printer's job brief (trim size, bleed, safe margin, page count,
background colour, font families), the artwork (an SVG logo, an RGB photo) and the copy. It lays
out the piece, exports a PDF with correct page boxes (MediaBox covering the bleed, TrimBox at the
trim, BleedBox at the bleed), embedded fonts, the photo placed at 300 ppi or better and the logo
kept as vector art, and files a preflight report of the PDF it delivers.

Grade (poppler tools re-run on the submission in a fresh sandbox): gates on the files and a PDF
that pdfinfo opens; then page count, TrimBox and BleedBox geometry on every page, every font
embedded and the brief's families used, every raster image at >= 300 effective ppi and at its
native pixel size, the logo kept vector (no extra raster images), the copy present in the text
layer, a pdftoppm render showing the background colour filling the bleed and the margin band
between trim and safe line clear of other content, each page read as printed (pdftotext word boxes
over a render: the brief's copy on its page, every word at least 6 pt, none set over another, and
visibly inked, i.e. the page renders differently without its text (Ghostscript -dFILTERTEXT), the logo's mark with its accent drawn inside it, outline and accent matching the client's logo in a 288 dpi render, and the photo's colours visible where the
brief places them), and
the preflight report against these measurements (each listed font's embedded flag and the verdict included).

ALE-CANARY-448794c0-8edd-42db-877f-369a1e17e3f8
"""

from __future__ import annotations

import json
import math
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from lastexam.task import Grading, Params, PdfPage, parse_ppm

PDF = "print.pdf"
REPORT = "preflight.json"
MM = 72 / 25.4
LOGO_COLOUR = "#F2C14E"
LOGO_ACCENT = "#FFFFFF"
# the accent inside the mark covers 20-40 % of the mark's own colour in every logo: the logo's drawing, not a patch
LOGO_ACCENT_SHARE = 0.08
LOGO_DPI = 288  # the logo's drawing is compared with the client's at four times the page render's resolution
RENDER_DPI = 72  # one pixel per point: word boxes from pdftotext map straight onto the render
MIN_WORD_PT = 5.5  # a word box this tall holds text of about 6 pt, the smallest a printer accepts for copy
COLOUR_STEP = 32  # RGB quantisation step for the photo's colour bins
# the band between trim and safe line shows only the background: the share allows anti-aliasing, not artwork parked in
# a corner of the band (a logo there leaves about 98 % of it clear)
MARGIN_CLEAR = 0.995
SAFE_SLACK_PT = 1.0  # a word box may reach this far past the safe line (font bearings), not further

_BUSINESSES = [
    {"name": "Harbour Lane Bakery", "headline": "Fresh from the oven since 1987",
     "body": "Sourdough, rye and seasonal pastries baked every morning with flour from the Wessex mill.",
     "contact": ["14 Harbour Lane, Porthleven", "Open daily 7am to 3pm", "harbourlanebakery.example"]},
    {"name": "Northfield Cycle Works", "headline": "Tune-ups while you wait",
     "body": "Full service, wheel building and bike fitting by mechanics who ride every day of the year.",
     "contact": ["3 Mill Yard, Northfield", "Tuesday to Saturday 9am to 6pm", "northfieldcycles.example"]},
    {"name": "Kestrel Point Observatory", "headline": "Dark skies, open doors",
     "body": "Public viewing nights every clear Friday with our half-metre telescope and guided star walks.",
     "contact": ["Kestrel Point Road, Alnmouth", "Booking essential for groups", "kestrelpoint.example"]},
    {"name": "Linden & Moss Florists", "headline": "Wedding flowers, grown locally",
     "body": "Seasonal bouquets, buttonholes and venue dressing from our own cutting garden.",
     "contact": ["2 Station Parade, Hebden", "Consultations by appointment", "lindenmoss.example"]},
]
_COLOURS = ["#0F4C5C", "#5B2A86", "#1D3557", "#7A1F2B", "#2D4A22", "#3D2C8D"]


def mm_or_in(value_mm: float, units: str) -> str:
    return f"{value_mm / 25.4:g} in" if units == "in" else f"{value_mm:g} mm"


# -- assets ------------------------------------------------------------------------------------


def _png(path: Path, rgb: np.ndarray) -> None:
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].astype(np.uint8).tobytes() for y in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
                     + chunk(b"IEND", b""))


def _photo(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A landscape-like RGB picture: sky gradient, sun, two hill layers, texture noise."""
    y, x = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None]
    sky = np.stack([0.45 + 0.4 * y, 0.6 + 0.3 * y, 0.95 - 0.1 * y], axis=-1)
    sx, sy = rng.uniform(0.2, 0.8), rng.uniform(0.15, 0.35)
    sun = np.exp(-(((x - sx) * w / h) ** 2 + (y - sy) ** 2) / 0.004)[..., None] * np.array([0.6, 0.4, -0.2])
    img = sky + sun
    for level, colour, freq in ((0.55, (0.25, 0.45, 0.2), 3.0), (0.72, (0.15, 0.3, 0.12), 5.0)):
        ridge = level + 0.06 * np.sin(2 * np.pi * (freq * x + rng.uniform(0, 1))) + 0.03 * np.sin(13 * x)
        img = np.where((y > ridge)[..., None], np.array(colour) * (1.1 - 0.3 * (y - level))[..., None], img)
    img += rng.normal(0, 0.025, img.shape)
    return np.clip(img * 255, 0, 255)


def _logo(colour: str, accent: str, shape: int) -> str:
    marks = [
        f'<circle cx="60" cy="60" r="52" fill="{colour}"/><path d="M20 78 L50 40 L70 64 L84 48 L104 78 Z" '
        f'fill="{accent}"/>',
        f'<rect x="10" y="10" width="100" height="100" rx="22" fill="{colour}"/><circle cx="60" cy="60" r="28" '
        f'fill="none" stroke="{accent}" stroke-width="10"/>',
        f'<path d="M60 6 L112 60 L60 114 L8 60 Z" fill="{colour}"/><path d="M60 30 L86 60 L60 90 L34 60 Z" '
        f'fill="{accent}"/>',
    ]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="120" '
            f'height="120" viewBox="0 0 120 120">\n  {marks[shape]}\n</svg>\n')


# -- generate ----------------------------------------------------------------------------------


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    rng = np.random.default_rng(params["seed"])
    business = _BUSINESSES[int(rng.integers(0, len(_BUSINESSES)))]
    background = _COLOURS[int(rng.integers(0, len(_COLOURS)))]
    pw, ph = (int(v) for v in params["photo_px"].split("x"))
    photo = _photo(rng, pw, ph)
    _png(input_dir / "photo.png", photo)
    logo_shape = int(rng.integers(0, 3))
    (input_dir / "logo.svg").write_text(_logo(LOGO_COLOUR, LOGO_ACCENT, logo_shape))
    copy = {"company": business["name"], "headline": business["headline"], "body": business["body"],
            "contact": business["contact"]}
    (input_dir / "copy.json").write_text(json.dumps(copy, indent=2) + "\n")
    units = params["units"]
    brief = {
        "job": f"{params['product']} for {business['name']}",
        "trim_size": f"{mm_or_in(params['trim_w_mm'], units)} wide x {mm_or_in(params['trim_h_mm'], units)} high",
        "bleed": f"{mm_or_in(params['bleed_mm'], units)} on every side",
        "safe_margin": f"{mm_or_in(params['safe_mm'], units)} inside the trim on every side",
        "pages": params["pages"],
        "page_contents": [{"page": i + 1, "contains": items} for i, items in enumerate(params["page_contents"])],
        "background_colour_srgb": background,
        "fonts": {"headings": params["heading_font"], "text": params["text_font"]},
        "images": "photo.png must print at 300 ppi or more at its placed size; do not resample it",
        "logo": "logo.svg must stay vector artwork",
        "output": "PDF with MediaBox covering the bleed, TrimBox at the trim, BleedBox at the bleed; all fonts embedded",
    }
    (input_dir / "job_brief.json").write_text(json.dumps(brief, indent=2) + "\n")
    reference = {"background": background, "copy": copy, "photo_px": [pw, ph], "logo_colour": LOGO_COLOUR,
                 "logo_shape": logo_shape, "photo_colours": photo_colour_bins(photo)}
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=2) + "\n")


def photo_colour_bins(photo: np.ndarray) -> list[int]:
    """Quantised RGB bins (step COLOUR_STEP) that together hold 95% of the photo's pixels, most common first."""
    q = np.clip(photo, 0, 255).astype(int) // COLOUR_STEP
    codes = (q[..., 0] * 64 + q[..., 1] * 8 + q[..., 2]).ravel()
    counts = np.bincount(codes, minlength=512)
    order = np.argsort(counts)[::-1]
    cumulative = np.cumsum(counts[order]) / codes.size
    return [int(c) for c in order[: int(np.searchsorted(cumulative, 0.95)) + 1]]


# -- parsing tool output -----------------------------------------------------------------------


def parse_words(html: str) -> list[dict[str, Any]]:
    """``pdftotext -bbox`` words: text and box (points from the page's top-left)."""
    words = []
    for m in re.finditer(r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</word>',
                         html):
        x0, y0, x1, y1 = (float(m.group(i)) for i in range(1, 5))
        words.append({"box": (x0, y0, x1, y1), "text": _unescape(m.group(5))})
    return words


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")


def parse_fonts(text: str) -> list[dict[str, Any]]:
    """``pdffonts`` rows: name, type, embedded flag (columns located from the dashed rule)."""
    lines = text.splitlines()
    rule = next((i for i, line in enumerate(lines) if line.startswith("---")), None)
    if rule is None:
        return []
    spans, pos = [], 0
    for dashes in lines[rule].split(" "):
        spans.append((pos, pos + len(dashes)))
        pos += len(dashes) + 1
    fonts = []
    for line in lines[rule + 1:]:
        if not line.strip() or len(spans) < 5:
            continue
        cols = [line[a:b].strip() for a, b in spans]
        fonts.append({"name": cols[0], "type": cols[1], "embedded": cols[3] == "yes" if len(cols) > 3 else False})
    return fonts


def parse_images(text: str) -> list[dict[str, Any]]:
    """``pdfimages -list`` rows of type image: page, pixel size, effective ppi."""
    images = []
    for line in text.splitlines()[2:]:
        cols = line.split()
        if len(cols) < 14 or cols[2] != "image":
            continue
        try:
            images.append({"page": int(cols[0]), "width": int(cols[3]), "height": int(cols[4]),
                           "x_ppi": float(cols[12]), "y_ppi": float(cols[13])})
        except ValueError:
            continue
    return images


def _norm(text: str) -> str:
    collapsed = re.sub(r"\s+", " ", text.replace("\u00ad", "")).strip().lower()
    return re.sub(r"- ", "-", collapsed)


# -- grade -------------------------------------------------------------------------------------


def grade(g: Grading) -> None:
    p = g.params
    if not g.require_files(PDF, REPORT):
        return
    files = {PDF: g.output(PDF)}
    measured = g.pdf_pages(PDF)
    if measured is None:
        return
    boxes = {page.number: page for page in measured}
    report = g.read_json(REPORT)
    if report is None:
        return
    ref = g.reference_json("reference.json")
    pages = len(boxes)
    g.check("page count", pages == int(p["pages"]), expected=p["pages"], found=pages)
    trim_ok, bleed_ok = _check_boxes(g, p, boxes)
    fonts = parse_fonts(g.run_tool(["pdffonts", "-l", "99", PDF], files).stdout)
    _check_fonts(g, p, fonts)
    images = parse_images(g.run_tool(["pdfimages", "-list", PDF], files).stdout)
    _check_images(g, ref, images)
    body = " ".join(g.pdf_text(PDF, layout=False, gate=False) or [])
    copy = ref["copy"]
    placed = {item for page in p["page_contents"] for item in page}
    wanted = [copy[k] for k in ("company", "headline", "body") if k in placed]
    wanted += copy["contact"] if "contact" in placed else []
    flat = _norm(body)
    missing = [w for w in wanted if _norm(w) not in flat]
    g.check("copy present and unaltered in the text layer", not missing, expected=len(wanted),
            found=len(wanted) - len(missing), reason=f"missing: {missing}" if missing else "")
    _check_copy_fonts(g, p, copy, placed, files)
    _check_render(g, p, ref, boxes, trim_ok and bleed_ok)
    _check_page_content(g, p, ref, boxes, files, images)
    _check_report(g, p, report, boxes, fonts, images, trim_ok and bleed_ok)


def _check_boxes(g: Grading, p: dict[str, Any], boxes: dict[int, PdfPage]) -> tuple[bool, bool]:
    tw, th, bleed = p["trim_w_mm"] * MM, p["trim_h_mm"] * MM, p["bleed_mm"] * MM
    tol = 0.5 * MM
    bad_trim, bad_bleed = [], []
    for page, b in sorted(boxes.items()):
        trim, bbox, media = b.trim, b.bleed, b.media
        if abs(trim[2] - trim[0] - tw) > tol or abs(trim[3] - trim[1] - th) > tol \
                or trim == media:
            bad_trim.append(page)
            continue
        grown = [trim[0] - bleed, trim[1] - bleed, trim[2] + bleed, trim[3] + bleed]
        inside = media[0] <= grown[0] + tol and media[1] <= grown[1] + tol and media[2] >= grown[2] - tol \
            and media[3] >= grown[3] - tol
        if any(abs(x - y) > tol for x, y in zip(bbox, grown, strict=True)) or not inside:
            bad_bleed.append(page)
    g.check("TrimBox at the trim size on every page", not bad_trim,
            expected=f"{tw:.2f} x {th:.2f} pt, distinct from the MediaBox",
            found={k: v.trim for k, v in boxes.items()}, reason=f"wrong on pages {bad_trim}" if bad_trim else "")
    g.check("BleedBox = trim + bleed, inside the MediaBox, on every page", not bad_bleed and not bad_trim,
            expected=f"{bleed:.2f} pt beyond the TrimBox on each side",
            found={k: [v.bleed, v.media] for k, v in boxes.items()},
            reason=f"wrong on pages {bad_bleed or bad_trim}" if bad_bleed or bad_trim else "")
    return not bad_trim, not bad_bleed


def _check_fonts(g: Grading, p: dict[str, Any], fonts: list[dict[str, Any]]) -> None:
    names = [f["name"].split("+")[-1].replace(" ", "").lower() for f in fonts]
    families = [p["heading_font"], p["text_font"]]
    absent = [fam for fam in families if not any(n.startswith(fam.replace(" ", "").lower()) for n in names)]
    unembedded = [f["name"] for f in fonts if not f["embedded"]]
    g.check("every font embedded", bool(fonts) and not unembedded, found=[(f["name"], f["embedded"]) for f in fonts],
            reason=f"not embedded: {unembedded}" if unembedded else ("" if fonts else "no fonts: text outlined or absent"))
    g.check("brief's font families used", bool(fonts) and not absent, expected=families,
            found=sorted(set(names)), reason=f"absent: {absent}" if absent else "")


# Prints each text-showing run of the PDF as [page, font's BaseFont, text] (pypdf, in the grader's sandbox).
FONT_RUNS = """
import json, sys
from pypdf import PdfReader
runs = []
for number, page in enumerate(PdfReader(sys.argv[1]).pages, start=1):
    def visit(text, cm, tm, font, size, number=number):
        if text.strip():
            runs.append([number, str((font or {}).get("/BaseFont", "")), text])
    page.extract_text(visitor_text=visit)
print(json.dumps(runs))
"""


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("\u00ad", "")).lower()


def _check_copy_fonts(g: Grading, p: dict[str, Any], copy: dict[str, Any], placed: set[str],
                      files: dict[str, Path]) -> None:
    """The company name and the headline are set in the heading family, the body and contact in the text family:
    each part's text is found in the runs set in its family's fonts (subset tags and style suffixes aside)."""
    run = g.run_tool(["/usr/bin/python3", "font_runs.py", PDF], {**files, "font_runs.py": FONT_RUNS}, timeout=120)
    try:
        runs = json.loads(run.stdout) if run.ok else []
    except json.JSONDecodeError:
        runs = []
    def set_in(family: str) -> str:
        want = family.replace(" ", "").lower()
        return "".join(_squeeze(text) for _page, font, text in runs
                       if font.lstrip("/").split("+")[-1].replace(" ", "").lower().startswith(want))
    text_by_family = {family: set_in(family) for family in (p["heading_font"], p["text_font"])}
    parts = {"company": (copy["company"], p["heading_font"]), "headline": (copy["headline"], p["heading_font"]),
             "body": (copy["body"], p["text_font"]), "contact": (" ".join(copy["contact"]), p["text_font"])}
    wrong = [f"{part} not in {family}" for part, (text, family) in parts.items()
             if part in placed and not all(_squeeze(line) in text_by_family[family]
                                           for line in (copy["contact"] if part == "contact" else [text]))]
    g.check("copy set in the brief's families (company and headline in the heading family, body and contact in the "
            "text family)", bool(runs) and not wrong, expected={"headings": p["heading_font"], "text": p["text_font"]},
            reason="; ".join(wrong) if runs else "no text runs read from the PDF")


def _check_images(g: Grading, ref: dict[str, Any], images: list[dict[str, Any]]) -> None:
    pw, ph = ref["photo_px"]
    low = [i for i in images if min(i["x_ppi"], i["y_ppi"]) < 299.5]
    photos = [i for i in images if _is_photo(i, pw, ph)]
    g.check("photo placed at >= 300 ppi and not upsampled", bool(photos) and not low,
            expected={"pixels": f"{pw}x{ph}", "min_ppi": 300},
            found=[{"px": f"{i['width']}x{i['height']}", "ppi": min(i["x_ppi"], i["y_ppi"])} for i in images],
            reason="photo missing or upsampled" if not photos else (f"{len(low)} image(s) under 300 ppi" if low else ""))
    others = [i for i in images if not _is_photo(i, pw, ph)]
    g.check("logo kept as vector artwork (no other raster images)", bool(photos) and not others,
            found=[f"{i['width']}x{i['height']}" for i in others], reason="extra raster images" if others else "")


def _is_photo(image: dict[str, Any], pw: int, ph: int) -> bool:
    """The photo at its native pixels: allows edge padding (a few pixels) and a moderate crop, not upsampling."""
    w, h = image["width"], image["height"]
    return w <= pw + 8 and h <= ph + 8 and w * h >= 0.5 * pw * ph


def _check_render(g: Grading, p: dict[str, Any], ref: dict[str, Any], boxes: dict[int, PdfPage],
                  geometry_ok: bool) -> None:
    names = ("background colour fills the bleed on every side", "margin between trim and safe line kept clear")
    if not geometry_ok:
        for name in names:
            g.check(name, False, reason="page boxes are wrong, so bleed and safe area cannot be located")
        return
    dpi = 36
    bg = np.array([int(ref["background"][i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
    bleed_fill, margin_clear = [], []
    for page, b in sorted(boxes.items()):
        img = g.image(PDF, page=page, dpi=dpi, gate=False)
        if img is None:
            bleed_fill.append(0.0)
            margin_clear.append(0.0)
            continue
        media, trim = b.media, b.trim
        scale = dpi / 72

        def px(x: float, y: float, media: tuple[float, ...] = media, scale: float = scale) -> tuple[int, int]:
            return round((x - media[0]) * scale), round((media[3] - y) * scale)

        bleed, safe = p["bleed_mm"] * MM, p["safe_mm"] * MM
        outer = px(trim[0] - bleed, trim[3] + bleed) + px(trim[2] + bleed, trim[1] - bleed)
        edge = px(trim[0], trim[3]) + px(trim[2], trim[1])
        inner = px(trim[0] + safe, trim[3] - safe) + px(trim[2] - safe, trim[1] + safe)
        close = np.linalg.norm(img.astype(float) - bg, axis=-1) < 40
        bleed_fill.append(_band_fraction(close, outer, edge, shrink=1))
        margin_clear.append(_band_fraction(close, edge, inner, shrink=1))
    g.check(names[0], all(f >= 0.97 for f in bleed_fill), expected=f"background {ref['background']} in >= 97%",
            found=[round(f, 3) for f in bleed_fill])
    g.check(names[1], all(f >= MARGIN_CLEAR for f in margin_clear), expected="only background between trim and safe line",
            found=[round(f, 3) for f in margin_clear])


def _check_page_content(g: Grading, p: dict[str, Any], ref: dict[str, Any], boxes: dict[int, PdfPage],
                        files: dict[str, Path], images: list[dict[str, Any]]) -> None:
    """Each page read as printed: its copy where the brief puts it, inside the safe line, legible and inked; logo
    and photo visible."""
    copy, bg, pages = ref["copy"], _rgb(ref["background"]), len(boxes)
    misplaced, small, uninked, no_logo, no_photo, overprinted, unsafe = [], [], [], [], [], [], []
    for number, items in enumerate(p["page_contents"], 1):
        words, img = _page_words_and_render(g, number, files) if number <= pages else ([], None)
        if number in boxes:
            unsafe += [f"page {number}: {w['text']!r}" for w in outside_safe_area(words, boxes[number], p["safe_mm"] * MM)]
        flat = _norm(" ".join(w["text"] for w in words))
        texts = [copy[k] for k in ("company", "headline", "body") if k in items]
        texts += copy["contact"] if "contact" in items else []
        misplaced += [f"page {number}: {t!r}" for t in texts if _norm(t) not in flat]
        small += [f"page {number}: {w['text']!r} {w['box'][3] - w['box'][1]:.1f} pt" for w in words
                  if w["box"][3] - w["box"][1] < MIN_WORD_PT]
        overprinted += [f"page {number}: {a!r} over {b!r}" for a, b in overlapping_words(words)]
        if img is None:
            no_logo += [number] if "logo" in items else []
            no_photo += [number] if "photo" in items else []
            continue
        far = np.linalg.norm(img.astype(float) - bg, axis=-1) > 60
        printed = _text_ink(g, number, files)
        uninked += [f"page {number}: {w['text']!r}" for w in words
                    if _box_share(far, w["box"]) < 0.04 or printed is None or _box_share(printed, w["box"]) < 0.04]
        mm2 = (RENDER_DPI / 25.4) ** 2
        if "logo" in items:
            mark = np.linalg.norm(img.astype(float) - _rgb(ref["logo_colour"]), axis=-1) < 40
            accent = enclosed(np.linalg.norm(img.astype(float) - _rgb(LOGO_ACCENT), axis=-1) < 40, mark)
            if mark.sum() < 4 * mm2 or accent.sum() < LOGO_ACCENT_SHARE * mark.sum() \
                    or not draws_logo(g.image(PDF, page=number, dpi=LOGO_DPI, gate=False), ref["logo_shape"]):
                no_logo.append(number)
        if "photo" in items:
            placed = [i["width"] / i["x_ppi"] * i["height"] / i["y_ppi"] * RENDER_DPI ** 2 for i in images
                      if i["page"] == number and i["x_ppi"] > 0 and i["y_ppi"] > 0]
            q = img.astype(int) // COLOUR_STEP
            photo_like = np.isin(q[..., 0] * 64 + q[..., 1] * 8 + q[..., 2], ref["photo_colours"]) \
                & (np.linalg.norm(img.astype(float) - bg, axis=-1) > 40)
            if not placed or photo_like.sum() < 0.5 * max(placed):
                no_photo.append(number)
    g.check("copy set on the pages the brief assigns", not misplaced, reason=f"not found: {misplaced[:6]}")
    g.check("copy set inside the safe line (no word in the band between trim and safe line, or beyond)", not unsafe,
            expected=f"every word box {p['safe_mm']:g} mm or more inside the TrimBox",
            reason=f"outside the safe area: {unsafe[:6]}" if unsafe else "")
    g.check("copy legible: every word at least 6 pt", not small, expected=f"word boxes >= {MIN_WORD_PT} pt tall",
            reason=f"too small: {small[:6]}" if small else "")
    g.check("copy set without overprinting (no two words on top of each other)", not overprinted,
            reason=f"overlapping words: {overprinted[:6]}" if overprinted else "")
    g.check("copy visibly printed (ink under every word)", not uninked,
            reason=f"words with no visible ink: {uninked[:6]}" if uninked else "")
    g.check("logo printed on its pages", not no_logo, expected=f"logo colour {ref['logo_colour']} visible",
            reason=f"logo not visible on pages {no_logo}" if no_logo else "")
    g.check("photo visible on its page", not no_photo, expected="the photo's colours over at least half its placed area",
            reason=f"photo not visible on pages {no_photo}" if no_photo else "")


def outside_safe_area(words: list[dict[str, Any]], page: PdfPage, safe: float) -> list[dict[str, Any]]:
    """The words whose box (pdftotext -bbox: points from the MediaBox's top left) reaches past the safe line, i.e.
    into the band the trimmer may cut or beyond the trim (SAFE_SLACK_PT allowed for the box's side bearings)."""
    media, trim = page.media, page.trim
    x0, x1 = trim[0] + safe - media[0] - SAFE_SLACK_PT, trim[2] - safe - media[0] + SAFE_SLACK_PT
    y0, y1 = media[3] - trim[3] + safe - SAFE_SLACK_PT, media[3] - trim[1] - safe + SAFE_SLACK_PT
    return [w for w in words if w["box"][0] < x0 or w["box"][2] > x1 or w["box"][1] < y0 or w["box"][3] > y1]


def enclosed(inner: np.ndarray, outer: np.ndarray) -> np.ndarray:
    """Pixels of ``inner`` with an ``outer`` pixel somewhere to their left, right, above and below: the logo's
    accent drawn inside its mark (a plain patch of the logo colour has none)."""
    def seen(axis: int, flip: bool) -> np.ndarray:
        m = np.flip(outer, axis) if flip else outer
        run = np.logical_or.accumulate(m, axis=axis)
        return np.flip(run, axis) if flip else run
    return inner & seen(0, False) & seen(0, True) & seen(1, False) & seen(1, True)


# each logo of _logo(): its mark's extents in the 120-unit viewBox, and whether a point (x, y) lies in the mark
# or in its accent
LOGO_SHAPES: list[tuple[tuple[float, float, float, float], Any, Any]] = [
    ((8, 8, 112, 112), lambda x, y: (x - 60) ** 2 + (y - 60) ** 2 <= 52 ** 2,
     lambda x, y: _in_polygon(x, y, [(20, 78), (50, 40), (70, 64), (84, 48), (104, 78)])),
    ((10, 10, 110, 110), lambda x, y: (np.maximum(np.abs(x - 60) - 28, 0) ** 2
                                       + np.maximum(np.abs(y - 60) - 28, 0) ** 2 <= 22 ** 2),
     lambda x, y: np.abs(np.hypot(x - 60, y - 60) - 28) <= 5),
    ((8, 6, 112, 114), lambda x, y: np.abs(x - 60) / 52 + np.abs(y - 60) / 54 <= 1,
     lambda x, y: np.abs(x - 60) / 26 + np.abs(y - 60) / 30 <= 1),
]
LOGO_MATCH = 0.8  # share of the mark's outline and of its accent that must match the client's logo


def _in_polygon(x: np.ndarray, y: np.ndarray, corners: list[tuple[float, float]]) -> np.ndarray:
    """Even-odd rule: whether each point lies inside the closed polygon."""
    inside = np.zeros(np.broadcast(x, y).shape, dtype=bool)
    for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1], strict=True):
        crosses = (y0 > y) != (y1 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            inside ^= crosses & (x < x0 + (y - y0) * (x1 - x0) / (y1 - y0))
    return inside


def draws_logo(pixels: np.ndarray | None, shape: int) -> bool:
    """Whether a patch of the logo's colours on a render (LOGO_DPI) draws the client's logo: its outline and its
    accent compared with the logo's own, drawn at the patch's extents, to a tolerance of a twenty-fifth of the
    patch (antialiased edges); a square of the logo colour with a white inset is not the logo."""
    if pixels is None:
        return False
    mark = np.linalg.norm(pixels.astype(float) - _rgb(LOGO_COLOUR), axis=-1) < 40
    accent = enclosed(np.linalg.norm(pixels.astype(float) - _rgb(LOGO_ACCENT), axis=-1) < 40, mark)
    labels, count = ndimage.label(mark | accent)
    sizes = ndimage.sum_labels(np.ones_like(labels), labels, range(1, count + 1))
    boxes = ndimage.find_objects(labels)
    return any(_patch_draws_logo(labels[boxes[k]] == k + 1, accent[boxes[k]], shape)
               for k in np.argsort(sizes)[::-1][:10] if min(labels[boxes[k]].shape) >= 8)


def _patch_draws_logo(drawn: np.ndarray, accent: np.ndarray, shape: int) -> bool:
    """Whether one patch (its pixels ``drawn``, the accent's among them) is the logo ``shape`` at its extents."""
    found_accent = accent & drawn
    (x0, y0, x1, y1), in_mark, in_accent = LOGO_SHAPES[shape]
    height, width = drawn.shape
    y = y0 + (np.arange(height)[:, None] + 0.5) * (y1 - y0) / height
    x = x0 + (np.arange(width)[None, :] + 0.5) * (x1 - x0) / width
    outline, inset = in_mark(x, y), in_accent(x, y)
    tol = max(1, round(max(height, width) / 25))
    overlap = (drawn & outline).sum() / max(1, (drawn | outline).sum())
    near, core = ndimage.binary_dilation(inset, iterations=tol), ndimage.binary_erosion(inset, iterations=tol)
    precise = (found_accent & near).sum() >= LOGO_MATCH * max(1, found_accent.sum())
    complete = (ndimage.binary_dilation(found_accent, iterations=tol) & core).sum() >= LOGO_MATCH * core.sum()
    return bool(overlap >= LOGO_MATCH and precise and complete)


def overlapping_words(words: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of words whose boxes overlap by more than a quarter of the smaller box: copy set on top of
    other copy, which no reader can read (tight leading or kerning overlaps far less)."""
    pairs = []
    for i, a in enumerate(words):
        ax0, ay0, ax1, ay1 = a["box"]
        for b in words[i + 1:]:
            bx0, by0, bx1, by1 = b["box"]
            overlap = max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))
            smaller = min((ax1 - ax0) * (ay1 - ay0), (bx1 - bx0) * (by1 - by0))
            if smaller > 0 and overlap > 0.25 * smaller:
                pairs.append((a["text"], b["text"]))
    return pairs


def _page_words_and_render(g: Grading, page: int, files: dict[str, Path]) -> tuple[list[dict[str, Any]], np.ndarray | None]:
    text = g.run_tool(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), PDF, "words.html"], files)
    html = text.workdir / "words.html"
    words = parse_words(html.read_text(errors="replace")) if text.ok and html.is_file() else []
    return words, g.image(PDF, page=page, dpi=RENDER_DPI, gate=False)


def _text_ink(g: Grading, page: int, files: dict[str, Path]) -> np.ndarray | None:
    """Where the page's text changes the printed page: Ghostscript renders the page with and without its text
    (-dFILTERTEXT); copy set in the background colour or painted over by artwork changes nothing."""
    renders = []
    for extra in ([], ["-dFILTERTEXT"]):
        run = g.run_tool(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=ppmraw", f"-r{RENDER_DPI}",
                          f"-dFirstPage={page}", f"-dLastPage={page}", *extra, "-sOutputFile=page.ppm", PDF],
                         files, timeout=120)
        render = run.workdir / "page.ppm"
        renders.append(parse_ppm(render.read_bytes()) if run.ok and render.is_file() else None)
    full, bare = renders
    if full is None or bare is None or full.shape != bare.shape:
        return None
    return np.linalg.norm(full.astype(float) - bare.astype(float), axis=-1) > 60


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _box_share(mask: np.ndarray, box: tuple[float, float, float, float]) -> float:
    """Share of True pixels of a render (RENDER_DPI) inside a word box given in points."""
    scale = RENDER_DPI / 72
    x0, y0 = max(0, int(box[0] * scale)), max(0, int(box[1] * scale))
    x1, y1 = min(mask.shape[1], math.ceil(box[2] * scale)), min(mask.shape[0], math.ceil(box[3] * scale))
    return float(mask[y0:y1, x0:x1].mean()) if x1 > x0 and y1 > y0 else 0.0


def _band_fraction(mask: np.ndarray, outer: tuple[int, ...], inner: tuple[int, ...], shrink: int) -> float:
    """Share of True pixels in the frame between two rectangles (x0, y0, x1, y1), edges shrunk by a pixel."""
    h, w = mask.shape
    region = np.zeros_like(mask)
    x0, y0, x1, y1 = (max(0, outer[0] + shrink), max(0, outer[1] + shrink), min(w, outer[2] - shrink),
                      min(h, outer[3] - shrink))
    region[y0:y1, x0:x1] = True
    ix0, iy0, ix1, iy1 = (inner[0] - shrink, inner[1] - shrink, inner[2] + shrink, inner[3] + shrink)
    region[max(0, iy0):max(0, iy1), max(0, ix0):max(0, ix1)] = False
    count = int(region.sum())
    return float(mask[region].mean()) if count else 0.0


def _flag(value: Any) -> bool | None:
    """A report's yes/no field: a JSON boolean, or yes/no, true/false written out."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower() if isinstance(value, str) else ""
    return True if word in ("yes", "true") else False if word in ("no", "false") else None


def _check_report(g: Grading, p: dict[str, Any], report: Any, boxes: dict[int, PdfPage],
                  fonts: list[dict[str, Any]], images: list[dict[str, Any]], boxes_ok: bool) -> None:
    rep = report if isinstance(report, dict) else {}
    wrong = []
    trim, bleed_box = boxes[min(boxes)].trim, boxes[min(boxes)].bleed
    measured = {
        "pages": len(boxes),
        "trim_width_mm": (trim[2] - trim[0]) / MM, "trim_height_mm": (trim[3] - trim[1]) / MM,
        "bleed_mm": (trim[0] - bleed_box[0]) / MM,
        "min_image_ppi": min((min(i["x_ppi"], i["y_ppi"]) for i in images), default=0.0),
    }
    tolerances = {"pages": 0, "trim_width_mm": 0.3, "trim_height_mm": 0.3, "bleed_mm": 0.2}
    for key, tol in tolerances.items():
        got = rep.get(key)
        if isinstance(got, bool) or not isinstance(got, (int, float)) or abs(got - measured[key]) > tol:
            wrong.append(f"{key}={got!r} (measured {measured[key]:.2f})")
    got = rep.get("min_image_ppi")
    if isinstance(got, bool) or not isinstance(got, (int, float)) or \
            not math.isclose(got, measured["min_image_ppi"], rel_tol=0.02, abs_tol=1):
        wrong.append(f"min_image_ppi={got!r} (measured {measured['min_image_ppi']:.1f})")
    listed = rep.get("fonts")
    listed_names = {str(f.get("name", "")).split("+")[-1] for f in listed if isinstance(f, dict)} \
        if isinstance(listed, list) else set()
    actual = {f["name"].split("+")[-1] for f in fonts}
    if listed_names != actual:
        wrong.append(f"fonts={sorted(listed_names)} (pdffonts: {sorted(actual)})")
    # each font the report lists says whether it is embedded, as pdffonts finds it
    embedded: dict[str, set[bool]] = {}
    for f in fonts:
        embedded.setdefault(f["name"].split("+")[-1], set()).add(f["embedded"])
    misflagged = sorted({str(f.get("name")) for f in listed if isinstance(f, dict)
                         and _flag(f.get("embedded")) not in embedded.get(str(f.get("name", "")).split("+")[-1], set())}
                        ) if isinstance(listed, list) else []
    if misflagged:
        wrong.append(f"embedded flag wrong for {misflagged[:4]} (pdffonts' emb column)")
    # the verdict is the preflight's own: the file passes when its pages, boxes, fonts and images do
    clean = (len(boxes) == int(p["pages"]) and boxes_ok and bool(fonts) and all(f["embedded"] for f in fonts)
             and bool(images) and measured["min_image_ppi"] >= 299.5)
    if rep.get("pass") is not clean:
        wrong.append(f"pass={rep.get('pass')!r} (the file's pages, boxes, fonts and images {'pass' if clean else 'fail'})")
    g.check("preflight report matches the PDF", not wrong, expected=measured, reason="; ".join(wrong))
