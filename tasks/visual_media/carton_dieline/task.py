"""Carton dieline: a tuck-end folding carton's die drawing in Inkscape from a spec sheet.

The reference net is built by construction from the generated spec (``carton.build``). The grader
reads the saved SVG itself (layers, swatches, the cut outline and creases in page mm after every
transform), has Inkscape render the artwork layer and the whole page and measure the legal text, and
has poppler read and render the exported PDF: the bleed must follow the net 3 mm out, the PDF must draw
what the SVG draws (its inked areas overall, and the cut and crease lines point by point along the net),
the die lines must show on it (in swatches the file defines), and the panel table must give the net's panels.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import re
import struct
from pathlib import Path

import numpy as np

from lastexam.task import Grading, Params

from . import carton, svggeom

PX_PER_MM = 4  # the artwork render's resolution
TOL = 0.05  # mm: a drawing placed from the spec's numbers lands on them
LINE_DPI = 203  # about 8 px/mm: the resolution at which the PDF's die lines are compared with the SVG's
CUT_SHOWN, FOLD_SHOWN = 0.9, 0.2  # shares of the points along the cut and the folds where the proof must show a line


def _spec_sheet(spec: dict, product: str) -> str:
    d, t = spec["inner_mm"], spec["caliper_mm"]
    style = "reverse tuck end (RTE)" if spec["style"] == "rte" else "straight tuck end (STE)"
    a = spec["panel_allowance_calipers"]
    bottom = "panel 1 (back)" if spec["style"] == "rte" else "panel 3 (front)"
    return f"""# Carton spec sheet: {product}

Style: **{style}** folding carton, board caliper **{t} mm**.
Inner dimensions: L {d['L']} mm (front/back width) x W {d['W']} mm (side width) x D {d['D']} mm (depth, height of the body).

## Construction rules (house standard; "t" is the caliper)
- Body panels left to right after the glue flap: panel 1 back (L + {a['panel_1_back']:g}t), panel 2 side
  (W + {a['panel_2_side']:g}t), panel 3 front (L + {a['panel_3_front']:g}t), panel 4 side (W + {a['panel_4_side']:g}t).
  Body height D + {spec['body_height_allowance_calipers']:g}t.
- Glue flap on the left edge of panel 1: {spec['glue_flap']['width_mm']} mm wide, its free edge shortened by
  {spec['glue_flap']['taper_mm']} mm at the top and at the bottom (straight tapers to the panel 1 corners).
- Closure panels: the full width of their panel, W + {spec['closure_allowance_calipers']:g}t deep. Top closure on
  panel 3 (front); bottom closure on {bottom}.
- Tuck flap on each closure panel's free edge: {spec['tuck_flap']['height_mm']} mm high, inset
  {spec['tuck_flap']['side_clearance_calipers']:g}t from each side of the closure panel (clearance), both outer corners
  chamfered {spec['tuck_flap']['chamfer_mm']} mm x {spec['tuck_flap']['chamfer_mm']} mm at 45 degrees; the tuck fold
  runs along the tuck flap's base only, the clearance steps beside it are cut.
- Dust flaps on both side panels (2 and 4), top and bottom: height {spec['dust_flap']['height_fraction_of_W']} x W
  rounded to 0.1 mm, tapered {spec['dust_flap']['taper_mm']} mm in at both free corners (straight cuts from the
  flap's base corners).
- Panels with no flap on an edge (the other L panel's top/bottom) are cut straight along the body edge.

## Printer's requirements
- Page: the net's bounding box plus a 10 mm margin on every side; document units mm.
- Cut lines in the spot colour (swatch) "CutContour", creases in the spot colour "Crease", dashed.
- 3 mm bleed of the artwork beyond the cut line all round; 3 mm safe area inside each panel.
- Legal panel: {spec['legal_panel']}; it carries the EAN-13 {spec['ean']} and "{product}".
"""


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    spec = carton.make_spec(params["style"], params["family"], params["seed"])
    product = {"small": "Herbal Tea 20 Bags", "large": "Ceramic Mug Gift Box"}[params["family"]]
    spec["product"] = product
    (input_dir / "carton_spec.json").write_text(json.dumps(spec, indent=1))
    (input_dir / "carton_spec.md").write_text(_spec_sheet(spec, product))
    net = carton.build(spec)
    reference = {**net, "area": carton.area(net["outline"]), "perimeter": carton.perimeter(net["outline"]),
                 "legal_panel": spec["legal_panel"], "ean": spec["ean"]}
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=1))


# ---- geometry helpers -------------------------------------------------------------------------------

def _seg_dist(p: np.ndarray, a: tuple, b: tuple) -> np.ndarray:
    """Distance of points p (n, 2) to segment ab."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    ab = b - a
    t = np.clip(((p - a) @ ab) / max(float(ab @ ab), 1e-12), 0, 1)
    return np.hypot(*(p - (a + t[:, None] * ab)).T)


def _edges(poly: list) -> list[tuple]:
    return list(zip(poly, poly[1:] + poly[:1], strict=True))


def _distance_to_region(p: np.ndarray, poly: list) -> np.ndarray:
    """0 inside the polygon, the distance to its outline outside."""
    d = np.min([_seg_dist(p, a, b) for a, b in _edges(poly)], axis=0)
    inside = np.zeros(len(p), bool)
    for (x0, y0), (x1, y1) in _edges(poly):
        cross = (y0 > p[:, 1]) != (y1 > p[:, 1])
        with np.errstate(divide="ignore", invalid="ignore"):
            xi = x0 + (p[:, 1] - y0) * (x1 - x0) / (y1 - y0)
        inside ^= cross & (p[:, 0] < xi)
    return np.where(inside, 0.0, d)


def _covered(segments: list[tuple], by: list[tuple]) -> list[bool]:
    """For each segment, whether every point of it (sampled each 0.5 mm) lies on one of ``by``."""
    out = []
    for a, b in segments:
        n = max(2, int(math.dist(a, b) / 0.5) + 1)
        pts = np.linspace(a, b, n)
        d = np.min([_seg_dist(pts, c, e) for c, e in by], axis=0) if by else np.full(n, np.inf)
        out.append(bool(np.all(d <= TOL)))
    return out


def _rgba(g: Grading, png: Path) -> np.ndarray | None:
    """A PNG Inkscape rendered, decoded by ffmpeg in a sandbox, as (h, w, 4) uint8; None if unreadable."""
    try:
        width, height = struct.unpack(">II", png.read_bytes()[16:24])
    except (OSError, struct.error):
        return None
    run = g.run_tool(["ffmpeg", "-v", "error", "-nostdin", "-i", "in.png", "-frames:v", "1", "-pix_fmt", "rgba",
                      "-f", "rawvideo", "out.rgba"], {"in.png": png}, timeout=60)
    raw = run.workdir / "out.rgba"
    if not (run.ok and raw.is_file()) or raw.stat().st_size != width * height * 4:
        return None
    return np.frombuffer(raw.read_bytes(), np.uint8).reshape(height, width, 4)


def _alpha(g: Grading, png: Path) -> np.ndarray | None:
    """The alpha channel of a rendered PNG; None if unreadable."""
    px = _rgba(g, png)
    return None if px is None else px[:, :, 3]


def _rgb_on_white(g: Grading, png: Path) -> np.ndarray | None:
    """A rendered PNG composited on white, as (h, w, 3) float; None if unreadable."""
    px = _rgba(g, png)
    if px is None:
        return None
    rgb, a = px[:, :, :3].astype(float), px[:, :, 3:] / 255
    return rgb * a + 255 * (1 - a)


def _lines_shown(img: np.ndarray, lines: list[tuple]) -> np.ndarray:
    """At each point along the die lines (each 0.5 mm), whether a line is drawn there: a pixel within 1 px of
    it differs (by more than 60 in a channel) from the surrounding colour (the median of the ring 4 px out)."""
    h, w = img.shape[:2]
    scale = LINE_DPI / 25.4
    pts = np.concatenate([np.linspace(a, b, max(2, int(math.dist(a, b) / 0.5) + 1)) for a, b in lines])
    px = np.clip((pts * scale).astype(int), 4, [w - 5, h - 5])
    ring = [(dy, dx) for dy in range(-4, 5) for dx in range(-4, 5) if max(abs(dy), abs(dx)) == 4]
    core = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    around = np.median(np.stack([img[px[:, 1] + dy, px[:, 0] + dx] for dy, dx in ring]), axis=0)
    near = np.stack([img[px[:, 1] + dy, px[:, 0] + dx] for dy, dx in core])
    return np.max(np.abs(near - around), axis=(0, 2)) > 60


def _paint(style: dict, key: str, paints: dict) -> str:
    """The name (label or id) of the paint server a stroke or fill uses; '' when it names none the file defines."""
    m = re.fullmatch(r"url\(#([^)]+)\)", style.get(key, "").strip())
    return paints.get(m.group(1), "") if m else ""


def _dashed(style: dict) -> bool:
    return len([v for v in svggeom.NUMBER.findall(style.get("stroke-dasharray", "")) if float(v) > 0]) >= 2


# ---- grading ------------------------------------------------------------------------------------------

def grade(g: Grading) -> None:
    if not g.require_files("dieline.svg", "dieline.pdf", "panel_table.csv"):
        return
    ref = g.reference_json("reference.json")
    text = g.read_text("dieline.svg")
    if text is None:
        return
    try:
        doc = svggeom.read(text)
    except (ValueError, KeyError, TypeError) as exc:
        g.check("dieline.svg is a readable SVG with a mm page", False, gate=True, reason=str(exc))
        return
    page_w, page_h = ref["page"]
    g.check("the page is the net plus its 10 mm margin, in mm", abs(doc.width_mm - page_w) <= 0.1
            and abs(doc.height_mm - page_h) <= 0.1 and "mm" in text.split("viewBox")[0] + "mm" and
            bool(re.search(r'<svg[^>]*\bwidth="[\d.]+mm"', text)), expected=ref["page"],
            found=[round(doc.width_mm, 2), round(doc.height_mm, 2)])
    labels = {label.strip().lower(): lid for lid, label in doc.layers.items()}
    g.check("layers CutContour, Crease and Artwork", {"cutcontour", "crease", "artwork"} <= set(labels),
            found=sorted(doc.layers.values()))

    def on(layer: str) -> list[svggeom.Shape]:
        return [s for s in doc.shapes if s.layer.strip().lower() == layer and s.subpaths]

    cut, creases = on("cutcontour"), on("crease")
    # the geometry checks measure the largest closed subpath on the cut layer; the first check wants it alone
    rings = [(pts[:-1] if math.dist(pts[0], pts[-1]) <= TOL else pts, s.curved) for s in cut
             for pts, c in s.subpaths if len(pts) >= 3 and (c or math.dist(pts[0], pts[-1]) <= TOL)]
    outline, curved = max(rings, key=lambda r: carton.area(r[0]), default=([], False))
    alone = len(cut) == 1 and len(cut[0].subpaths) == 1 and len(rings) == 1
    g.check("the cut layer holds one closed straight-edged outline", alone and not curved, weight=2,
            found=f"{len(cut)} shape(s), {sum(len(s.subpaths) for s in cut)} subpath(s), {len(rings)} closed")
    g.number("cut outline area (mm2)", carton.area(outline) if len(outline) >= 3 else None, ref["area"], abs_tol=1.0,
             weight=2)
    g.number("cut outline perimeter (mm)", carton.perimeter(outline) if len(outline) >= 3 else None, ref["perimeter"],
             abs_tol=0.2, weight=2)
    ref_outline = [tuple(p) for p in ref["outline"]]
    if outline:
        pts = np.asarray(outline)
        near = {f"corner {i} {p}": bool(np.min(np.hypot(*(pts - p).T)) <= TOL) for i, p in enumerate(ref_outline)}
        off = np.min([_seg_dist(pts, a, b) for a, b in _edges(ref_outline)], axis=0)
        near["no outline point off the net"] = bool(np.all(off <= TOL)) or f"{int(np.sum(off > TOL))} point(s) off"
    else:
        near = {"outline": "no closed cut outline"}
    g.fraction("every corner of the net is on the cut outline", near, weight=3)

    cut_ok = bool(cut) and all(_paint(s.style, "stroke", doc.paints).lower() == "cutcontour" for s in cut)
    crease_ok = bool(creases) and all(_paint(s.style, "stroke", doc.paints).lower() == "crease" for s in creases)
    g.check("cut and crease strokes are the CutContour and Crease swatches", cut_ok and crease_ok,
            found=sorted({s.style.get("stroke", "") for s in cut + creases})[:6])
    g.check("creases are dashed, the cut is solid", crease_ok and all(_dashed(s.style) for s in creases)
            and not any(_dashed(s.style) for s in cut))
    segments = []
    for shape in creases:
        for points, is_closed in shape.subpaths:
            ring = points + points[:1] if is_closed and len(points) > 2 else points
            segments += list(itertools.pairwise(ring))
    segments = segments[:2000]
    ref_creases = [(tuple(a), tuple(b)) for a, b in ref["creases"]]
    folds = _covered(ref_creases, segments)
    g.fraction("every fold of the net is creased", {f"{a}-{b}": ok for (a, b), ok in zip(ref_creases, folds, strict=True)},
               weight=2)
    stray = [s for s, ok in zip(segments, _covered(segments, ref_creases), strict=True) if not ok]
    g.check("every crease lies on a fold of the net", bool(segments) and not stray, weight=2,
            reason=f"{len(stray)} crease segment(s) off the folds", found=[str(s) for s in stray[:3]])

    _rendered_checks(g, text, doc, labels, ref, ref_outline)
    _table_check(g, ref)


def _rendered_checks(g: Grading, text: str, doc: svggeom.Document, labels: dict, ref: dict, ref_outline: list) -> None:
    """Bleed (the artwork layer rendered), the legal text's box (--query-all), the PDF against the SVG."""
    art = labels.get("artwork", "")
    dpi = 25.4 * PX_PER_MM
    actions = (f"export-area-page;export-background:white;export-background-opacity:0;export-dpi:{dpi};"
               f"export-filename:art.png;export-id:{art};export-id-only;export-do")
    run = g.run_tool(["inkscape", "--query-all", f"--actions={actions}", "dieline.svg"], {"dieline.svg": text},
                     timeout=120)
    png = run.workdir / "art.png"
    alpha = _alpha(g, png) if art and png.is_file() else None
    if alpha is None:
        g.check("artwork bleeds 3 mm beyond the cut and follows the net", False, weight=3,
                reason="no Artwork layer Inkscape could render")
    else:
        xs, ys = np.meshgrid(np.arange(0.5, ref["page"][0], 1.0), np.arange(0.5, ref["page"][1], 1.0))
        pts = np.column_stack([xs.ravel(), ys.ravel()])
        d = _distance_to_region(pts, ref_outline)
        px = np.clip((pts * PX_PER_MM).astype(int), 0, [alpha.shape[1] - 1, alpha.shape[0] - 1])
        painted = alpha[px[:, 1], px[:, 0]] > 128
        must, mustnt = d <= 2.8, d >= 4.6
        missing = float(np.mean(~painted[must])) if must.any() else 1.0
        beyond = float(np.mean(painted[mustnt])) if mustnt.any() else 1.0
        g.check("artwork bleeds 3 mm beyond the cut and follows the net", missing <= 0.002 and beyond <= 0.002,
                weight=3, reason=f"{missing:.1%} of the net+3 mm unpainted; {beyond:.1%} of the area well beyond "
                                 "the bleed painted")
    boxes = {}
    for line in run.stdout.splitlines():
        parts = line.split(",")
        if len(parts) == 5:
            with contextlib.suppress(ValueError):
                boxes[parts[0]] = [float(v) * 25.4 / 96 for v in parts[1:]]
    legal = [s for s in doc.shapes if s.tag == "text" and ref["ean"] in re.sub(r"\s", "", s.text)]
    x, y, w, h = ref["panels"][ref["legal_panel"]]
    safe = (x + 3, y + 3, x + w - 3, y + h - 3)

    def inside(shape: svggeom.Shape) -> bool:
        b = boxes.get(shape.id)
        return bool(b) and b[0] >= safe[0] - TOL and b[1] >= safe[1] - TOL and b[0] + b[2] <= safe[2] + TOL \
            and b[1] + b[3] <= safe[3] + TOL
    g.check("the EAN text sits in the safe area of the legal panel", bool(legal) and all(inside(s) for s in legal)
            and all(s.layer.strip().lower() == "artwork" for s in legal), expected=[round(v, 2) for v in safe],
            found=[[round(v, 2) for v in boxes.get(s.id, [])] for s in legal][:3])
    # the legal panel also names the product: the spec's product name in the artwork text inside its safe area (it
    # may be repeated elsewhere, e.g. on the front panel, and may run over several lines or text objects)
    product = str(json.loads((g.input_dir / "carton_spec.json").read_text())["product"])

    def squash(value: str) -> str:
        return re.sub(r"\s", "", value).casefold()
    safe_text = "".join(squash(s.text) for s in doc.shapes
                        if s.tag == "text" and s.layer.strip().lower() == "artwork" and inside(s))
    g.check("the product name is on the legal panel, in its safe area", squash(product) in safe_text,
            expected=product, found=safe_text[:120])

    info = g.run_tool(["pdfinfo", "dieline.pdf"], {"dieline.pdf": g.output("dieline.pdf")}, timeout=60)
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info.stdout)
    creator = re.search(r"Creator:\s+(.*)", info.stdout)
    mm = [float(v) * 25.4 / 72 for v in size.groups()] if size else []
    g.check("dieline.pdf is Inkscape's single-page export at the page size", bool(mm) and abs(mm[0] - ref["page"][0])
            <= 0.3 and abs(mm[1] - ref["page"][1]) <= 0.3 and bool(creator and "inkscape" in creator.group(1).lower())
            and bool(re.search(r"Pages:\s+1\b", info.stdout)), found=info.stdout[-300:])
    pdf = g.image("dieline.pdf", dpi=51, gate=False)
    ink = g.run_tool(["inkscape", "--export-area-page", "--export-dpi=51", "--export-filename=ink.png", "dieline.svg"],
                     {"dieline.svg": text}, timeout=120)
    drawn = _alpha(g, ink.workdir / "ink.png")
    match = 0.0
    if pdf is not None and drawn is not None:
        a, b = drawn > 40, pdf.min(axis=2) < 235
        hh, ww = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
        a, b = a[:hh, :ww], b[:hh, :ww]
        union = np.logical_or(a, b).sum()
        match = float(np.logical_and(a, b).sum() / union) if union else 0.0
    g.check("dieline.pdf draws what dieline.svg draws", match >= 0.9, weight=2, found=round(match, 3),
            expected=">= 0.9 overlap of the inked areas")
    # the inked areas are mostly the artwork: the proof must also show the die lines where the SVG has them
    fine = g.run_tool(["inkscape", "--export-area-page", f"--export-dpi={LINE_DPI}", "--export-filename=fine.png",
                       "dieline.svg"], {"dieline.svg": text}, timeout=120)
    svg_rgb = _rgb_on_white(g, fine.workdir / "fine.png")
    pdf_fine = g.image("dieline.pdf", dpi=LINE_DPI, gate=False)
    cut_lines, fold_lines = _edges(ref_outline), [(tuple(a), tuple(b)) for a, b in ref["creases"]]
    agree, cut_shown, fold_shown = 0.0, 0.0, 0.0
    if svg_rgb is not None and pdf_fine is not None and min(svg_rgb.shape[0], pdf_fine.shape[0]) >= 10 \
            and min(svg_rgb.shape[1], pdf_fine.shape[1]) >= 10:
        h, w = min(svg_rgb.shape[0], pdf_fine.shape[0]), min(svg_rgb.shape[1], pdf_fine.shape[1])
        svg_img, pdf_img = svg_rgb[:h, :w], pdf_fine[:h, :w].astype(float)
        agree = float(np.mean(_lines_shown(svg_img, cut_lines + fold_lines) == _lines_shown(pdf_img, cut_lines + fold_lines)))
        cut_shown = float(np.mean(_lines_shown(pdf_img, cut_lines)))
        fold_shown = float(np.mean(_lines_shown(pdf_img, fold_lines)))
    g.check("dieline.pdf shows the cut and crease lines as dieline.svg draws them", agree >= 0.95, weight=2,
            found=round(agree, 3), expected=">= 0.95 of the points along the net's cut and folds with a line in both or in neither")
    # a stroke whose swatch paints nothing (undefined, empty, transparent) agrees with itself: the lines must show
    g.check("the proof draws the cut line (solid) and the creases (dashed)", cut_shown >= CUT_SHOWN and fold_shown >= FOLD_SHOWN,
            weight=2, found={"cut": round(cut_shown, 3), "creases": round(fold_shown, 3)},
            expected=f"a line at >= {CUT_SHOWN} of the points along the cut and >= {FOLD_SHOWN} along the folds")


def _table_check(g: Grading, ref: dict) -> None:
    rows = g.read_csv("panel_table.csv", required_columns=["panel", "x", "y", "width", "height"], gate=False)
    if rows is None:
        return
    found = {}
    for row in rows:
        try:
            found[(row.get("panel") or "").strip().lower()] = [float(row[k]) for k in ("x", "y", "width", "height")]
        except (TypeError, ValueError):
            continue

    def verdict(name: str) -> bool | str:
        got = found.get(name)
        want = ref["panels"][name]
        if got and all(abs(a - b) <= TOL for a, b in zip(got, want, strict=True)):
            return True
        return f"{got} != {want}"
    extra = sorted(set(found) - set(ref["panels"]))
    verdicts = {name: verdict(name) for name in ref["panels"]}
    verdicts.update({name: "not a panel of this net" for name in extra})
    g.fraction("panel_table gives every panel's rectangle", verdicts, weight=3)
