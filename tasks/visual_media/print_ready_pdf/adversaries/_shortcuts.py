#!/usr/bin/env python3
"""Near-miss shortcuts on the print PDF; the script's name picks the shortcut.

- invisible_copy: the copy is set in the background colour (live, embedded text nobody can read);
  the visible page carries only the artwork.
- micro_text: everything fits because the copy is set at 2 pt.
- no_logo: the logo is left out (the easy parts only).
- hidden_photo: the photo is embedded at full resolution but painted over by the background.
- overset_lines: a block's lines all set on one baseline (no line feed), so the layout fits anywhere
  and the text layer still holds every word, but the lines print on top of each other.
- logo_patch: the logo artwork is never placed; a plain square in the logo's colour stands in for it.
- logo_framed_patch: the same square with a white square inset in its middle, so the logo's colour frames a
  white accent as the client's logo does.
- copy_under_photo: on a page with the photo, the copy is set under the photo, which paints over it, so
  the page needs no room for it (the text layer holds it and its word boxes sit on the photo's ink).
- one_font: every word set in the text family; the heading family appears only as a 3 pt asterisk, so
  both families are in the PDF's font list.
- copy_in_margin: the copy is set flush left 1 mm inside the trim, the safe line ignored: the type sits in
  the band the trimmer may cut, yet covers only a few per cent of that band.
- logo_in_corner: the logo is parked in the top-left corner 0.5 mm inside the trim, across the safe line.
- preflight_unsigned: the right PDF, but the preflight's verdict is never worked out: "pass" is left false.
- fonts_unflagged: the right PDF and verdict, but the preflight lists the fonts by name only, every one marked
  not embedded (pdffonts' emb column never read), so the report contradicts its own verdict.
"""

from __future__ import annotations

import base64
import json
import os
import re
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import RectangleObject

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
WORK = Path.home() / "print_work"
PT = 72 / 25.4
MODE = Path(sys.argv[0]).stem
PLACE_PPI = 320  # a little over the 300 ppi minimum


def length_mm(text: str) -> list[float]:
    """Every '<number> mm|in' in a brief field, in millimetres."""
    return [float(n) * (25.4 if unit == "in" else 1.0) for n, unit in re.findall(r"([\d.]+)\s*(mm|in)\b", text)]


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def text_block(lines: list[str], x: float, y: float, size: float, family: str, weight: str, colour: str) -> str:
    leading = 0.0 if MODE == "overset_lines" else 1.25
    spans = "".join(f'<tspan x="{x:.3f}" dy="{size * (0 if i == 0 else leading):.3f}">{esc(t)}</tspan>'
                    for i, t in enumerate(lines))
    anchor = "start" if MODE == "copy_in_margin" else "middle"
    return (f'<text x="{x:.3f}" y="{y + size:.3f}" font-family="{family}" font-weight="{weight}" '
            f'font-size="{size:.3f}" fill="{colour}" text-anchor="{anchor}">{spans}</text>')


def wrap(text: str, width: float, size: float) -> list[str]:
    return textwrap.wrap(text, max(8, int(width / (0.56 * size))), break_on_hyphens=False) or [text]


def page_svg(items: list[str], brief: dict, copy: dict, trim: tuple[float, float], bleed: float, safe: float) -> str:
    """One page as SVG in millimetres: background to the bleed edge, content stacked in the safe area."""
    tw, th = trim
    full_w, full_h = tw + 2 * bleed, th + 2 * bleed
    top = bleed + safe + 1.0
    width, height = tw - 2 * safe - 2.0, th - 2 * safe - 2.0
    unit = min(height / 40, width / 28)
    text_unit = 0.7 / 0.85 if MODE == "micro_text" else max(unit, 2.2 / 0.75)
    heading, body_font = brief["fonts"]["headings"], brief["fonts"]["text"]
    stray = heading if MODE == "one_font" else None  # the heading family only as a 3 pt asterisk
    heading = body_font if MODE == "one_font" else heading
    blocks: list[tuple[str, float, object]] = []
    for item in items:
        if item == "logo" and MODE != "no_logo":
            blocks.append(("logo", 4.5 * unit, None))
        elif item == "company":
            blocks.append(("text", 0.0, (wrap(copy["company"], width, 1.7 * text_unit), 1.7 * text_unit, heading, "bold")))
        elif item == "headline":
            blocks.append(("text", 0.0, (wrap(copy["headline"], width, 1.3 * text_unit), 1.3 * text_unit, heading, "normal")))
        elif item == "body":
            blocks.append(("text", 0.0, (wrap(copy["body"], width, 0.85 * text_unit), 0.85 * text_unit, body_font, "normal")))
        elif item == "contact":
            blocks.append(("text", 0.0, (copy["contact"], 0.75 * text_unit, body_font, "normal")))
        elif item == "photo":
            blocks.append(("photo", 0.0, None))
    hidden = []
    if MODE == "copy_under_photo" and "photo" in items:
        small = [block for block in blocks if block[0] == "text"]
        hidden = [data for _, _, data in small]
        blocks = [block for block in blocks if block not in small]
    sized = []
    for kind, h, data in blocks:
        if kind == "text":
            lines, size, _, _ = data
            h = size * (1 + 1.25 * (len(lines) - 1)) + 0.3 * size
        sized.append((kind, h, data))
    gap = 0.8 * unit
    used = sum(h for _, h, _ in sized) + gap * (len(sized) - 1)
    px_w, px_h = png_size(INPUT / "photo.png")
    max_w = min(width, px_w / PLACE_PPI * 25.4)
    photo_h = min(max_w * px_h / px_w, height - used)
    photo_w = photo_h * px_w / px_h
    y = top + (height - used - (photo_h if any(k == "photo" for k, _, _ in sized) else 0)) / 2
    backdrop = f'<rect x="0" y="0" width="{full_w:.3f}" height="{full_h:.3f}" fill="{brief["background_colour_srgb"]}"/>'
    out = [] if MODE == "hidden_photo" else [backdrop]
    ink = brief["background_colour_srgb"] if MODE == "invisible_copy" else "#FFFFFF"
    centre = full_w / 2
    for kind, h, data in sized:
        if kind == "logo":
            corner = MODE == "logo_in_corner"
            out.append(logo_svg(bleed + 0.5 if corner else centre - h / 2, bleed + 0.5 if corner else y, h))
        elif kind == "photo":
            h = photo_h
            uri = "data:image/png;base64," + base64.b64encode((INPUT / "photo.png").read_bytes()).decode()
            under = y
            for lines, size, family, weight in hidden:
                lines = wrap(" ".join(lines), 0.9 * photo_w, size)
                out.append(text_block(lines, centre, under, size, family, weight, ink))
                under += size * (1 + 1.25 * (len(lines) - 1)) + 0.6 * size
            out.append(f'<image x="{centre - photo_w / 2:.3f}" y="{y:.3f}" width="{photo_w:.3f}" height="{photo_h:.3f}" '
                       f'preserveAspectRatio="none" href="{uri}"/>')
        else:
            lines, size, family, weight = data
            out.append(text_block(lines, bleed + 1.0 if MODE == "copy_in_margin" else centre, y, size, family, weight,
                                  ink))
        y += h + gap
    if stray:
        out.append(text_block(["*"], bleed + safe + 3.0, bleed + safe + 1.0, 3.0, stray, "normal", "#FFFFFF"))
    if MODE == "hidden_photo":
        photo = [part for part in out if part.startswith("<image")]
        out = photo + [backdrop] + [part for part in out if not part.startswith("<image")]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{full_w:.4f}mm" height="{full_h:.4f}mm" '
            f'viewBox="0 0 {full_w:.4f} {full_h:.4f}">' + "".join(out) + "</svg>")


def logo_svg(x: float, y: float, size: float) -> str:
    source = (INPUT / "logo.svg").read_text()
    if MODE == "logo_patch":
        colour = re.search(r'fill="(#[0-9A-Fa-f]{6})"', source).group(1)
        return f'<rect x="{x:.3f}" y="{y:.3f}" width="{size:.3f}" height="{size:.3f}" fill="{colour}"/>'
    if MODE == "logo_framed_patch":
        colour = re.search(r'fill="(#[0-9A-Fa-f]{6})"', source).group(1)
        inset = size / 3
        return (f'<rect x="{x:.3f}" y="{y:.3f}" width="{size:.3f}" height="{size:.3f}" fill="{colour}"/>'
                f'<rect x="{x + inset:.3f}" y="{y + inset:.3f}" width="{inset:.3f}" height="{inset:.3f}" fill="#FFFFFF"/>')
    view = re.search(r'viewBox="([^"]+)"', source).group(1)
    inner = source[source.index(">", source.index("<svg")) + 1: source.rindex("</svg>")]
    return f'<svg x="{x:.3f}" y="{y:.3f}" width="{size:.3f}" height="{size:.3f}" viewBox="{view}">{inner}</svg>'


def png_size(path: Path) -> tuple[int, int]:
    return struct.unpack(">II", path.read_bytes()[16:24])


def run(*argv: str) -> str:
    return subprocess.run(list(argv), capture_output=True, text=True, check=True).stdout


def main() -> None:
    brief = json.loads((INPUT / "job_brief.json").read_text())
    copy = json.loads((INPUT / "copy.json").read_text())
    trim = tuple(length_mm(brief["trim_size"])[:2])
    bleed, safe = length_mm(brief["bleed"])[0], length_mm(brief["safe_margin"])[0]
    WORK.mkdir(exist_ok=True)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    svgs = []
    for page in brief["page_contents"]:
        path = WORK / f"page{page['page']}.svg"
        path.write_text(page_svg(page["contains"], brief, copy, trim, bleed, safe))
        svgs.append(str(path))
    raw = WORK / "layout.pdf"
    run("rsvg-convert", "-f", "pdf", "-o", str(raw), *svgs)

    writer = PdfWriter()
    for page in PdfReader(raw).pages:
        w, h = (trim[0] + 2 * bleed) * PT, (trim[1] + 2 * bleed) * PT
        page.mediabox = RectangleObject([0, 0, w, h])
        page.bleedbox = RectangleObject([0, 0, w, h])
        page.trimbox = RectangleObject([bleed * PT, bleed * PT, w - bleed * PT, h - bleed * PT])
        writer.add_page(page)
    final = OUTPUT / "print.pdf"
    with open(final, "wb") as handle:
        writer.write(handle)
    preflight(final)


def preflight(final: Path) -> None:
    info = run("pdfinfo", "-box", "-f", "1", "-l", "99", str(final))
    trim = [float(v) for v in re.search(r"Page\s+1 TrimBox:\s+([-\d.\s]+)", info).group(1).split()[:4]]
    bleed = [float(v) for v in re.search(r"Page\s+1 BleedBox:\s+([-\d.\s]+)", info).group(1).split()[:4]]
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    font_lines = run("pdffonts", "-l", "99", str(final)).splitlines()[2:]
    fonts = [{"name": line.split()[0], "type": " ".join(line.split()[1:-5]),
              "embedded": line.split()[-5] == "yes" and MODE != "fonts_unflagged"} for line in font_lines if line.strip()]
    image_rows = [line.split() for line in run("pdfimages", "-list", str(final)).splitlines()[2:]]
    images = [{"page": int(c[0]), "width_px": int(c[3]), "height_px": int(c[4]),
               "effective_ppi": min(float(c[12]), float(c[13]))} for c in image_rows if c[2] == "image"]
    checks = {
        "boxes": True,
        "fonts_embedded": all(f["embedded"] for f in fonts) or MODE == "fonts_unflagged",
        "images_300ppi": all(i["effective_ppi"] >= 300 for i in images),
    }
    report = {
        "file": final.name,
        "pages": pages,
        "trim_width_mm": round((trim[2] - trim[0]) / PT, 2),
        "trim_height_mm": round((trim[3] - trim[1]) / PT, 2),
        "bleed_mm": round((trim[0] - bleed[0]) / PT, 2),
        "fonts": fonts,
        "images": images,
        "min_image_ppi": min(i["effective_ppi"] for i in images),
        "checks": checks,
        "pass": all(checks.values()) and MODE != "preflight_unsigned",
    }
    (OUTPUT / "preflight.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
