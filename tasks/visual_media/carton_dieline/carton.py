"""A tuck-end folding carton's net, computed by construction from its spec sheet.

Coordinates are millimetres on the page, y downwards. The body panels run left to right after the
glue flap; closure panels with their tuck flaps and the dust flaps stand above (top) and below
(bottom) the body. ``build(spec)`` returns the cut outline (one closed polygon), the crease segments,
the named panel rectangles and the page size.
"""

from __future__ import annotations

import random

MARGIN = 10.0  # page margin around the net, mm
BODY = ("panel_1_back", "panel_2_side", "panel_3_front", "panel_4_side")
FAMILIES = {
    "small": {"L": (50, 80), "W": (25, 40), "D": (100, 150), "caliper": (0.4, 0.45, 0.5), "legal": "panel_1_back"},
    "large": {"L": (110, 150), "W": (60, 80), "D": (70, 110), "caliper": (0.55, 0.6), "legal": "panel_4_side"},
}


def make_spec(style: str, family: str, seed: int) -> dict:
    """The spec sheet's numbers: inner dimensions, board, flap rules (allowances in calipers)."""
    rng = random.Random(f"{style}/{family}/{seed}")
    f = FAMILIES[family]
    return {
        "style": style,
        "inner_mm": {"L": rng.randint(*f["L"]), "W": rng.randint(*f["W"]), "D": rng.randint(*f["D"])},
        "caliper_mm": rng.choice(f["caliper"]),
        "panel_allowance_calipers": {"panel_1_back": 1.0, "panel_2_side": 1.0, "panel_3_front": 1.0,
                                     "panel_4_side": 0.5},
        "body_height_allowance_calipers": 2.0,
        "closure_allowance_calipers": 1.0,
        "glue_flap": {"width_mm": rng.choice((13, 14, 15)), "taper_mm": 4.0},
        "tuck_flap": {"height_mm": rng.choice((14, 15, 16, 18)), "chamfer_mm": 5.0,
                      "side_clearance_calipers": 1.0},
        "dust_flap": {"height_fraction_of_W": 0.6, "taper_mm": 4.0},
        "legal_panel": f["legal"],
        "ean": "".join(str(rng.randint(0, 9)) for _ in range(13)),
    }


def _round(v: float) -> float:
    return round(v, 4)


def build(spec: dict) -> dict:
    """The net: outline (closed polygon, clockwise on screen), creases, panels, page size."""
    t = spec["caliper_mm"]
    dims = spec["inner_mm"]
    allow = spec["panel_allowance_calipers"]
    widths = [dims["L"] + allow["panel_1_back"] * t, dims["W"] + allow["panel_2_side"] * t,
              dims["L"] + allow["panel_3_front"] * t, dims["W"] + allow["panel_4_side"] * t]
    height = dims["D"] + spec["body_height_allowance_calipers"] * t
    closure = dims["W"] + spec["closure_allowance_calipers"] * t
    glue, taper = spec["glue_flap"]["width_mm"], spec["glue_flap"]["taper_mm"]
    tuck = spec["tuck_flap"]
    tuck_h, chamfer, clear = tuck["height_mm"], tuck["chamfer_mm"], tuck["side_clearance_calipers"] * t
    dust_h, dust_taper = round(spec["dust_flap"]["height_fraction_of_W"] * dims["W"], 1), spec["dust_flap"]["taper_mm"]
    top_closure = "panel_3_front"
    bottom_closure = "panel_1_back" if spec["style"] == "rte" else "panel_3_front"

    ox, oy = MARGIN, MARGIN + closure + tuck_h
    xs = [ox + glue]
    for w in widths:
        xs.append(xs[-1] + w)
    top, bottom = oy, oy + height

    def flap(xa: float, xb: float, base: float, sign: int, kind: str) -> list[tuple[float, float]]:
        """The outline points of a flap standing on [xa, xb] at y=base, away from the body by sign."""
        if kind == "closure":
            yc, ye = base + sign * closure, base + sign * (closure + tuck_h)
            return [(xa, yc), (xa + clear, yc), (xa + clear, ye - sign * chamfer), (xa + clear + chamfer, ye),
                    (xb - clear - chamfer, ye), (xb - clear, ye - sign * chamfer), (xb - clear, yc), (xb, yc)]
        if kind == "dust":
            yd = base + sign * dust_h
            return [(xa + dust_taper, yd), (xb - dust_taper, yd)]
        return []

    def kind_of(panel: str, closure_panel: str) -> str:
        if panel == closure_panel:
            return "closure"
        return "dust" if panel in ("panel_2_side", "panel_4_side") else "none"

    outline: list[tuple[float, float]] = [(ox, top + taper), (xs[0], top)]
    for i, name in enumerate(BODY):
        outline += flap(xs[i], xs[i + 1], top, -1, kind_of(name, top_closure))
        outline.append((xs[i + 1], top))
    outline.append((xs[4], bottom))
    for i in reversed(range(4)):
        outline += list(reversed(flap(xs[i], xs[i + 1], bottom, 1, kind_of(BODY[i], bottom_closure))))
        outline.append((xs[i], bottom))
    outline.append((ox, bottom - taper))
    outline = _dedupe([(_round(x), _round(y)) for x, y in outline])

    creases = [((xs[i], top), (xs[i], bottom)) for i in range(4)]
    panels = {"glue_flap": (ox, top, glue, height)}
    for i, name in enumerate(BODY):
        panels[name] = (xs[i], top, widths[i], height)
        for base, sign, closure_panel, side in ((top, -1, top_closure, "top"), (bottom, 1, bottom_closure, "bottom")):
            kind = kind_of(name, closure_panel)
            if kind != "none":
                creases.append(((xs[i], base), (xs[i + 1], base)))
            if kind == "closure":
                yc = base + sign * closure
                creases.append(((xs[i] + clear, yc), (xs[i + 1] - clear, yc)))
                panels[f"{side}_closure"] = (xs[i], min(base, yc), widths[i], closure)
                panels[f"{side}_tuck"] = (xs[i] + clear, min(yc, yc + sign * tuck_h), widths[i] - 2 * clear, tuck_h)
    creases = [((_round(a[0]), _round(a[1])), (_round(b[0]), _round(b[1]))) for a, b in creases]
    panels = {k: tuple(_round(v) for v in rect) for k, rect in panels.items()}
    page = (_round(xs[4] + MARGIN), _round(bottom + closure + tuck_h + MARGIN))
    return {"outline": outline, "creases": creases, "panels": panels, "page": page}


def _dedupe(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for p in points:
        if not out or out[-1] != p:
            out.append(p)
    if out[0] == out[-1]:
        out.pop()
    return out


def area(poly: list[tuple[float, float]]) -> float:
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1], strict=True))) / 2


def perimeter(poly: list[tuple[float, float]]) -> float:
    return sum(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1], strict=True))
