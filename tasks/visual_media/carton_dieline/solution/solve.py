#!/usr/bin/env python3
"""The file-level oracle: the net worked out from the spec sheet, drawn as SVG and saved and exported by Inkscape.

It computes every panel, closure, tuck and dust flap from the spec's rules, writes the three layers (one
closed CutContour outline, dashed Crease folds, the Artwork background as the outline filled and stroked
6 mm so that it bleeds 3 mm all round, and the legal text in the legal panel's safe area), has Inkscape
save it as an Inkscape SVG and export the PDF, and writes the panel table.

Run as gui_oracle/solve.sh (a link to this file) it does the drawing work in the Inkscape GUI through
ale-computer. The adversaries (adversaries/*, links to this file) are this oracle with one shortcut,
chosen by the name it runs under (undefined_swatches: the strokes name the CutContour and Crease swatches, but the
file never defines them, so no die line is drawn, in the SVG or in the proof).
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

INPUT, OUTPUT = Path(os.environ["ALE_INPUT_DIR"]), Path(os.environ["ALE_OUTPUT_DIR"])
SHORTCUT = Path(sys.argv[0]).name.removesuffix(".py").removesuffix(".sh")
GUI = sys.argv[0].endswith(".sh")
BODY = ("panel_1_back", "panel_2_side", "panel_3_front", "panel_4_side")


def net(spec: dict) -> dict:
    """Outline points, crease segments and panel rectangles in page mm, from the spec's rules."""
    t = 0.0 if SHORTCUT == "no_caliper_allowance" else spec["caliper_mm"]
    d, allow = spec["inner_mm"], spec["panel_allowance_calipers"]
    widths = [d[k] + allow[p] * t for k, p in zip("LWLW", BODY, strict=True)]
    height = d["D"] + spec["body_height_allowance_calipers"] * t
    closure = d["W"] + spec["closure_allowance_calipers"] * t
    glue, taper = spec["glue_flap"]["width_mm"], spec["glue_flap"]["taper_mm"]
    tuck_h, chamfer = spec["tuck_flap"]["height_mm"], spec["tuck_flap"]["chamfer_mm"]
    clear = spec["tuck_flap"]["side_clearance_calipers"] * t
    dust_h, dust_taper = round(spec["dust_flap"]["height_fraction_of_W"] * d["W"], 1), spec["dust_flap"]["taper_mm"]
    rte = (spec["style"] == "rte") != (SHORTCUT == "wrong_tuck_orientation")
    closures = {"top": "panel_3_front", "bottom": "panel_1_back" if rte else "panel_3_front"}
    x0, top = 10.0, 10.0 + closure + tuck_h
    bottom = top + height
    xs = [x0 + glue]
    for w in widths:
        xs.append(xs[-1] + w)

    def kind(panel: str, side: str) -> str:
        return "closure" if panel == closures[side] else "dust" if panel in BODY[1::2] else ""

    def flap(xa: float, xb: float, base: float, s: int, what: str) -> list:
        if what == "closure":
            yc, ye = base + s * closure, base + s * (closure + tuck_h)
            return [(xa, yc), (xa + clear, yc), (xa + clear, ye - s * chamfer), (xa + clear + chamfer, ye),
                    (xb - clear - chamfer, ye), (xb - clear, ye - s * chamfer), (xb - clear, yc), (xb, yc)]
        return [(xa + dust_taper, base + s * dust_h), (xb - dust_taper, base + s * dust_h)] if what == "dust" else []

    outline = [(x0, top + taper), (xs[0], top)]
    for i, p in enumerate(BODY):
        outline += [*flap(xs[i], xs[i + 1], top, -1, kind(p, "top")), (xs[i + 1], top)]
    outline.append((xs[4], bottom))
    for i in reversed(range(4)):
        outline += [*flap(xs[i], xs[i + 1], bottom, 1, kind(BODY[i], "bottom"))[::-1], (xs[i], bottom)]
    outline.append((x0, bottom - taper))
    creases = [((x, top), (x, bottom)) for x in xs[:4]]
    panels = {"glue_flap": (x0, top, glue, height)}
    for i, p in enumerate(BODY):
        panels[p] = (xs[i], top, widths[i], height)
        for side, base, s in (("top", top, -1), ("bottom", bottom, 1)):
            if kind(p, side):
                creases.append(((xs[i], base), (xs[i + 1], base)))
            if kind(p, side) == "closure":
                yc = base + s * closure
                creases.append(((xs[i] + clear, yc), (xs[i + 1] - clear, yc)))
                panels[f"{side}_closure"] = (xs[i], min(base, yc), widths[i], closure)
                panels[f"{side}_tuck"] = (xs[i] + clear, min(yc, yc + s * tuck_h), widths[i] - 2 * clear, tuck_h)
    page = (xs[4] + 10, bottom + closure + tuck_h + 10)
    return {"outline": outline, "creases": creases, "panels": panels, "page": page}


def fmt(v: float) -> str:
    return f"{v:.4f}".rstrip("0").rstrip(".")


def path_d(points: list) -> str:
    return "M " + " L ".join(f"{fmt(x)},{fmt(y)}" for x, y in points) + " Z"


def svg(spec: dict, n: dict) -> str:
    """The dieline as an SVG document (Inkscape then saves it as its own SVG)."""
    w, h = n["page"]
    cut_style = "fill:none;stroke:url(#CutContour);stroke-width:0.25"
    crease_style = "fill:none;stroke:url(#Crease);stroke-width:0.25;stroke-dasharray:3,1.5"
    if SHORTCUT == "open_outline":
        pts = [*n["outline"], n["outline"][0]]
        cut = [f'<path id="cut" style="{cut_style}" d="' + " ".join(
            f"M {fmt(a[0])},{fmt(a[1])} L {fmt(b[0])},{fmt(b[1])}" for a, b in itertools.pairwise(pts)) + '"/>']
    else:
        cut = [f'<path id="cut" style="{cut_style}" d="{path_d(n["outline"])}"/>']
    creases = [f'<path id="crease{i}" style="{crease_style}" d="M {fmt(a[0])},{fmt(a[1])} L {fmt(b[0])},{fmt(b[1])}"/>'
               for i, (a, b) in enumerate(n["creases"])]
    if SHORTCUT == "creases_on_cut_layer":
        cut, creases = cut + creases, []
    if SHORTCUT == "bleed_rect_only":
        xs, ys = [p[0] for p in n["outline"]], [p[1] for p in n["outline"]]
        back = (f'<rect id="bleed" style="fill:#f3e6c8;stroke:none" x="{fmt(min(xs) - 3)}" y="{fmt(min(ys) - 3)}" '
                f'width="{fmt(max(xs) - min(xs) + 6)}" height="{fmt(max(ys) - min(ys) + 6)}"/>')
    else:
        back = (f'<path id="bleed" style="fill:#f3e6c8;stroke:#f3e6c8;stroke-width:6;stroke-linejoin:miter;'
                f'stroke-miterlimit:4" d="{path_d(n["outline"])}"/>')
    x, y, _, _ = n["panels"][spec["legal_panel"]]
    name = "" if SHORTCUT == "ean_only_legal_text" else spec["product"]  # the legal text without the product name
    text = (f'<text id="legal" style="font-family:sans-serif;font-size:3px;fill:#222222" x="{fmt(x + 6)}" '
            f'y="{fmt(y + 14)}"><tspan x="{fmt(x + 6)}" y="{fmt(y + 14)}">{name}</tspan>'
            f'<tspan x="{fmt(x + 6)}" y="{fmt(y + 19)}">EAN {spec["ean"]}</tspan></text>')
    swatches = "" if SHORTCUT == "undefined_swatches" else """
  <linearGradient id="CutContour" inkscape:swatch="solid"><stop offset="0" style="stop-color:#ec008c"/></linearGradient>
  <linearGradient id="Crease" inkscape:swatch="solid"><stop offset="0" style="stop-color:#00a0e0"/></linearGradient>"""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
     width="{fmt(w)}mm" height="{fmt(h)}mm" viewBox="0 0 {fmt(w)} {fmt(h)}">
 <defs>{swatches}
 </defs>
 <g id="layer_art" inkscape:groupmode="layer" inkscape:label="Artwork">{back}{text}</g>
 <g id="layer_cut" inkscape:groupmode="layer" inkscape:label="CutContour">{"".join(cut)}</g>
 <g id="layer_crease" inkscape:groupmode="layer" inkscape:label="Crease">{"".join(creases)}</g>
</svg>
"""


def computer(*args: str) -> None:
    subprocess.run(["ale-computer", *args], check=True, stdout=subprocess.DEVNULL)


def gui_draw(spec: dict, n: dict) -> None:
    """The drawing made in the Inkscape window: the SVG source typed with the Text tool, copied and pasted
    back as objects (Inkscape reads SVG code on the clipboard), the page fitted to the drawing's page frame,
    then saved (Inkscape SVG) and a PDF copy saved from the File menu's dialogs."""
    w, h = n["page"]
    px = 96 / 25.4  # Inkscape reads pasted SVG code in px; the document's user unit is the mm
    source = re.sub(r">\s+<", "><", svg(spec, n)).split("<defs>", 1)[1]
    layers = source.split("</defs>", 1)[1].rsplit("</svg>", 1)[0]
    frame = f'<rect id="page_frame" style="fill:none;stroke:none" x="0" y="0" width="{fmt(w)}" height="{fmt(h)}"/>'
    code = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape">'
            f'<defs>{source.split("</defs>", 1)[0]}</defs><g id="net" transform="scale({px:.9f})">{frame}{layers}</g></svg>')
    computer("launch", "inkscape")
    for _ in range(2):  # the first-run welcome dialog, which may show a while after the main window
        computer("wait", "10")
        computer("key", "Escape")
    computer("wait", "2")
    computer("click", "16", "466")  # Text tool
    computer("click", "650", "400")
    computer("type", code)
    computer("wait", "10")  # Inkscape lays the long line out as it comes
    for step in (("key", "ctrl+a"), ("key", "ctrl+c"), ("key", "Escape"), ("click", "16", "144"),  # Selector tool
                 ("key", "ctrl+a"), ("key", "Delete"),  # the typed source text
                 ("key", "ctrl+alt+v")):  # Paste In Place: the code comes in as objects
        computer(*step)
        computer("wait", "2")
    computer("wait", "3")
    computer("key", "ctrl+shift+r")  # Resize Page to Selection: the page frame
    computer("wait", "2")
    for combo, name, confirm in (("ctrl+shift+s", "dieline.svg", False), ("ctrl+shift+alt+s", "dieline.pdf", True)):
        computer("key", combo)
        computer("wait", "3")
        computer("key", "ctrl+a")
        computer("type", str(OUTPUT / name))
        computer("key", "Return")
        computer("wait", "4")
        if confirm:  # the PDF options dialog: OK
            computer("click", "810", "562")
            computer("wait", "4")
    computer("key", "ctrl+q")
    computer("wait", "2")


def write_table(n: dict) -> None:
    with (OUTPUT / "panel_table.csv").open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["panel", "x", "y", "width", "height"])
        for name, rect in n["panels"].items():
            out.writerow([name, *(fmt(v) for v in rect)])


def main() -> None:
    spec = json.loads((INPUT / "carton_spec.json").read_text())
    n = net(spec)
    if GUI:
        gui_draw(spec, n)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "draft.svg"
            src.write_text(svg(spec, n))
            subprocess.run(["inkscape", str(src), "--export-type=svg", f"--export-filename={OUTPUT / 'dieline.svg'}"],
                           check=True, capture_output=True)
        with tempfile.TemporaryDirectory() as tmp:
            proof = OUTPUT / "dieline.svg"
            if SHORTCUT == "proof_without_dielines":  # the PDF proof exported with the die-line layers left out
                proof = Path(tmp) / "proof.svg"
                proof.write_text(re.sub(r'<g[^>]*inkscape:label="(CutContour|Crease)".*?</g>', "",
                                        (OUTPUT / "dieline.svg").read_text(), flags=re.S))
            subprocess.run(["inkscape", str(proof), "--export-type=pdf", "--export-area-page",
                            f"--export-filename={OUTPUT / 'dieline.pdf'}"], check=True, capture_output=True)
    write_table(n)


if __name__ == "__main__":
    main()
