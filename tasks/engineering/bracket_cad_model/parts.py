"""Part families and their drawings.

``design(family, rng)`` draws one part of a family (an L-bracket, a clevis or a flange plate) as a spec
dict in millimetres, in the drawing's datum frame (origin at the base's datum corner, X along its
length, Y across, Z up): the stock blocks, the corner fillets, the holes (counterbored or through),
one through slot and one blind pocket. ``drawing_svg(spec)`` renders the A3 drawing: top and front
views with the outline dimensions, and the hole and feature tables a machinist reads.
``probes(spec)`` gives hidden test points with whether they lie in the material.
"""

from __future__ import annotations

import random

FAMILIES = ("l_bracket", "clevis", "flange_plate")


def _r(rng: random.Random, lo: float, hi: float, step: float = 0.5) -> float:
    return round(rng.uniform(lo, hi) / step) * step


def _cbore(ident: str, x: float, y: float, top: float, screw: str) -> dict:
    d, cd, depth = {"M5": (5.5, 9.5, 5.4), "M6": (6.6, 11.0, 6.5)}[screw]
    return {"id": ident, "type": "counterbore", "axis": [0, 0, -1], "entry": [x, y, top], "diameter": d,
            "cbore_diameter": cd, "cbore_depth": depth, "depth": "THRU", "note": f"for {screw} ISO 4762"}


def _through(ident: str, entry: list[float], axis: list[int], d: float) -> dict:
    return {"id": ident, "type": "through", "axis": axis, "entry": entry, "diameter": d, "depth": "THRU"}


def design(family: str, rng: random.Random) -> dict:
    """One part of ``family``: blocks, fillets, holes, slot and pocket (mm, datum frame)."""
    if family == "flange_plate":
        L, W, T = _r(rng, 120, 160, 5), _r(rng, 80, 105, 5), _r(rng, 10, 14, 1)
        b, c = _r(rng, 11, 13), _r(rng, 17, 20)
        a = _r(rng, 13, 16)
        blocks = [{"name": "plate", "min": [0, 0, 0], "size": [L, W, T]}]
        corners = [[0, 0], [L, 0], [L, W], [0, W]]
        radius = _r(rng, 6, 9)
        holes = [_cbore("CB1", a, b, T, "M6"), _cbore("CB2", L - a, b, T, "M6"),
                 _cbore("CB3", L - a, W - c, T, "M6"), _cbore("CB4", a, W - c, T, "M6"),
                 _through("H1", [round(L * 0.45, 1), round(W * 0.78, 1), T], [0, 0, -1], 6.0)]
        slot = {"id": "S1", "from": [round(L * 0.27, 1), round(W * 0.35, 1)],
                "to": [round(L * 0.52, 1), round(W * 0.35, 1)], "width": _r(rng, 8, 10), "top": T, "depth": "THRU"}
        pocket = {"id": "P1", "min": [round(L * 0.6, 1), round(W * 0.55, 1)], "max": [round(L * 0.8, 1), round(W * 0.78, 1)],
                  "depth": _r(rng, 3, 5), "top": T}
    elif family == "l_bracket":
        L, W, T = _r(rng, 100, 130, 5), _r(rng, 60, 80, 5), _r(rng, 9, 12, 1)
        T2, H = _r(rng, 9, 12, 1), _r(rng, 60, 80, 5)
        b, c = _r(rng, 11, 13), _r(rng, 17, 20)
        blocks = [{"name": "base", "min": [0, 0, 0], "size": [L, W, T]},
                  {"name": "upright", "min": [0, 0, 0], "size": [T2, W, H]}]
        corners = [[L, 0], [L, W]]
        radius = _r(rng, 6, 9)
        x_cb = round(L * 0.8, 1)
        holes = [_cbore("CB1", x_cb, b, T, "M5"), _cbore("CB2", x_cb, W - c, T, "M5"),
                 _through("H1", [T2, round(W * 0.3, 1), round(H * 0.72, 1)], [-1, 0, 0], 8.5),
                 _through("H2", [T2, round(W * 0.7, 1), round(H * 0.5, 1)], [-1, 0, 0], 8.5)]
        slot = {"id": "S1", "from": [round(L * 0.5, 1), round(W * 0.5, 1)], "to": [round(L * 0.62, 1), round(W * 0.5, 1)],
                "width": _r(rng, 7, 9), "top": T, "depth": "THRU"}
        pocket = {"id": "P1", "min": [T2 + 6, round(W * 0.22, 1)], "max": [round(L * 0.38, 1), round(W * 0.72, 1)],
                  "depth": _r(rng, 2.5, 4), "top": T}
    elif family == "clevis":
        L, W, T = _r(rng, 110, 140, 5), _r(rng, 60, 72, 2), _r(rng, 10, 12, 1)
        tl, Lg, H = _r(rng, 9, 11, 1), _r(rng, 34, 40, 2), _r(rng, 38, 46, 2)
        b, c = _r(rng, 11, 13), _r(rng, 17, 20)
        blocks = [{"name": "base", "min": [0, 0, 0], "size": [L, W, T]},
                  {"name": "lug_near", "min": [L - Lg, 0, T], "size": [Lg, tl, H]},
                  {"name": "lug_far", "min": [L - Lg, W - tl, T], "size": [Lg, tl, H]}]
        corners = [[0, 0], [0, W]]
        radius = _r(rng, 6, 9)
        x_cb = round(L * 0.2, 1)
        holes = [_cbore("CB1", x_cb, b, T, "M6"), _cbore("CB2", x_cb, W - c, T, "M6"),
                 _through("H1", [round(L - Lg / 2, 1), W, round(T + H * 0.6, 1)], [0, -1, 0], 10.0)]
        slot = {"id": "S1", "from": [round(L * 0.36, 1), round(W * 0.5, 1)], "to": [round(L * 0.5, 1), round(W * 0.5, 1)],
                "width": _r(rng, 8, 10), "top": T, "depth": "THRU"}
        pocket = {"id": "P1", "min": [L - Lg + 4, tl + 4], "max": [L - 4, W - tl - 4], "depth": _r(rng, 2.5, 4), "top": T}
    else:
        raise ValueError(family)
    return {"family": family, "blocks": blocks, "corner_fillets": {"radius": radius, "corners": corners,
            "edges": "the vertical edges of the base at these (x, y) corners"},
            "holes": holes, "slot": slot, "pocket": pocket}


def probes(spec: dict) -> list[dict]:
    """Hidden test points: {feature, point, solid} (solid = the point must lie in the material)."""
    out = []
    base = spec["blocks"][0]["size"]
    T = base[2]
    for h in spec["holes"]:
        e, ax = h["entry"], h["axis"]
        inward = [e[i] + ax[i] * 3.0 for i in range(3)]
        if h["type"] == "counterbore":
            r_mid = (h["diameter"] + h["cbore_diameter"]) / 4
            out.append({"feature": "counterbore", "point": [e[0] + r_mid, e[1], e[2] - h["cbore_depth"] / 2], "solid": False})
            out.append({"feature": "counterbore", "point": [e[0] - r_mid, e[1], e[2] - h["cbore_depth"] - 0.6], "solid": True})
            out.append({"feature": "counterbore", "point": [e[0], e[1], T - h["cbore_depth"] - 1.0], "solid": False})
            out.append({"feature": "hole", "point": [e[0], e[1], 0.5], "solid": False})
        else:
            out.append({"feature": "hole", "point": inward, "solid": False})
            side = [inward[0], inward[1], inward[2]]
            k = 2 if ax[2] == 0 else 0
            side[k] += h["diameter"] / 2 + 0.8
            out.append({"feature": "hole", "point": side, "solid": True})
    s = spec["slot"]
    (x1, y), (x2, _) = s["from"], s["to"]
    r = s["width"] / 2
    out += [{"feature": "slot", "point": [x1 - r + 0.4, y, T / 2], "solid": False},
            {"feature": "slot", "point": [x2 + r - 0.4, y, T / 2], "solid": False},
            {"feature": "slot", "point": [x1 - r - 0.6, y, T / 2], "solid": True},
            {"feature": "slot", "point": [x2 + r + 0.6, y, T / 2], "solid": True}]
    p = spec["pocket"]
    cx, cy = (p["min"][0] + p["max"][0]) / 2, (p["min"][1] + p["max"][1]) / 2
    out += [{"feature": "pocket", "point": [cx, cy, T - p["depth"] + 0.4], "solid": False},
            {"feature": "pocket", "point": [cx, cy, T - p["depth"] - 0.4], "solid": True},
            {"feature": "pocket", "point": [p["max"][0] + 0.6, cy, T - 0.5], "solid": True}]
    rad = spec["corner_fillets"]["radius"]
    L, W = base[0], base[1]
    for cx, cy in spec["corner_fillets"]["corners"]:
        sx, sy = (1 if cx == 0 else -1), (1 if cy == 0 else -1)
        out.append({"feature": "fillet", "point": [cx + sx * 0.15 * rad, cy + sy * 0.15 * rad, T / 2], "solid": False})
        out.append({"feature": "fillet", "point": [cx + sx * 0.35 * rad, cy + sy * 0.35 * rad, T / 2], "solid": True})
    out.append({"feature": "wall", "point": [L / 2, 0.6, 0.6], "solid": True})
    out.append({"feature": "wall", "point": [L / 2, W - 0.6, 0.6], "solid": True})
    for blk in spec["blocks"][1:]:
        m, sz = blk["min"], blk["size"]
        out.append({"feature": "wall", "point": [m[0] + 1.0, m[1] + 1.0, m[2] + sz[2] - 1.0], "solid": True})
    return out


def _t(x: float, y: float, text: str, size: float = 3.2, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-family="sans-serif" text-anchor="{anchor}">{text}</text>'


def drawing_svg(spec: dict, title: str) -> str:
    """A3 (420 x 297 mm) drawing: top view (XY) and front view (XZ) at 1:1.5 with outline dimensions,
    hole table and feature notes."""
    k = 1 / 1.5
    L, W, T = spec["blocks"][0]["size"]
    ox, oy = 30.0, 40.0 + W * k  # top view origin (Y up on paper)
    fy = oy + 30.0 + max(b["min"][2] + b["size"][2] for b in spec["blocks"]) * k  # front view origin
    el = []
    line = 'fill="none" stroke="black" stroke-width="0.35"'
    for b in spec["blocks"]:
        (x, y, z), (dx, dy, dz) = b["min"], b["size"]
        el.append(f'<rect x="{ox + x * k:.2f}" y="{oy - (y + dy) * k:.2f}" width="{dx * k:.2f}" height="{dy * k:.2f}" {line}/>')
        el.append(f'<rect x="{ox + x * k:.2f}" y="{fy - (z + dz) * k:.2f}" width="{dx * k:.2f}" height="{dz * k:.2f}" {line}/>')
    for h in spec["holes"]:
        x, y, _ = h["entry"]
        if h["axis"][2]:
            el.append(f'<circle cx="{ox + x * k:.2f}" cy="{oy - y * k:.2f}" r="{h["diameter"] / 2 * k:.2f}" {line}/>')
            if h["type"] == "counterbore":
                el.append(f'<circle cx="{ox + x * k:.2f}" cy="{oy - y * k:.2f}" r="{h["cbore_diameter"] / 2 * k:.2f}" {line}/>')
            el.append(_t(ox + x * k + 4, oy - y * k - 4, h["id"], 2.8))
        elif h["axis"][1]:
            z = h["entry"][2]
            el.append(f'<circle cx="{ox + x * k:.2f}" cy="{fy - z * k:.2f}" r="{h["diameter"] / 2 * k:.2f}" {line}/>')
            el.append(_t(ox + x * k + 5, fy - z * k - 5, h["id"], 2.8))
    s, p = spec["slot"], spec["pocket"]
    el.append(f'<line x1="{ox + s["from"][0] * k:.2f}" y1="{oy - s["from"][1] * k:.2f}" x2="{ox + s["to"][0] * k:.2f}" '
              f'y2="{oy - s["to"][1] * k:.2f}" stroke="black" stroke-width="{s["width"] * k:.2f}" stroke-linecap="round" '
              f'stroke-opacity="0.25"/>')
    el.append(f'<rect x="{ox + p["min"][0] * k:.2f}" y="{oy - p["max"][1] * k:.2f}" width="{(p["max"][0] - p["min"][0]) * k:.2f}" '
              f'height="{(p["max"][1] - p["min"][1]) * k:.2f}" {line} stroke-dasharray="2,1"/>')
    el.append(_t(ox + L * k / 2, oy + 8, f"{L:g}", 3.5, "middle"))
    el.append(_t(ox - 6, oy - W * k / 2, f"{W:g}", 3.5, "end"))
    el.append(_t(ox, oy - W * k - 6, "TOP VIEW (datum corner A at lower left, X right, Y up)", 3.5))
    el.append(_t(ox, fy + 8, f"FRONT VIEW (X right, Z up); base thickness {T:g}", 3.5))
    rows = [f"{'HOLE':<5} {'X':>7} {'Y':>7} {'Z':>7}  AXIS        SIZE"]
    for h in spec["holes"]:
        x, y, z = h["entry"]
        size = f"Ø{h['diameter']:g} THRU"
        if h["type"] == "counterbore":
            size += f", C'BORE Ø{h['cbore_diameter']:g} DEEP {h['cbore_depth']:g}"
        rows.append(f"{h['id']:<5} {x:>7g} {y:>7g} {z:>7g}  {h['axis']!s:<11} {size}")
    ty = 30.0
    tx = 250.0
    for row in rows:
        el.append(f'<text x="{tx}" y="{ty:.1f}" font-size="3" font-family="monospace" xml:space="preserve">{row}</text>')
        ty += 5
    notes = ["NOTES:"]
    for b in spec["blocks"]:
        notes.append(f"{b['name'].upper()}: from ({', '.join(f'{v:g}' for v in b['min'])}) size "
                     f"{' x '.join(f'{v:g}' for v in b['size'])}")
    notes.append(f"SLOT {s['id']}: width {s['width']:g}, centres ({s['from'][0]:g}, {s['from'][1]:g}) to "
                 f"({s['to'][0]:g}, {s['to'][1]:g}), THRU from top Z={s['top']:g}")
    notes.append(f"POCKET {p['id']}: X {p['min'][0]:g}-{p['max'][0]:g}, Y {p['min'][1]:g}-{p['max'][1]:g}, "
                 f"depth {p['depth']:g} from top Z={p['top']:g}, sharp corners")
    cf = spec["corner_fillets"]
    notes.append(f"FILLET R{cf['radius']:g} on the base's vertical edges at (x, y) = "
                 + ", ".join(f"({x:g}, {y:g})" for x, y in cf["corners"]))
    notes.append("ALL OTHER EDGES SHARP. DIMENSIONS IN MM.")
    ty += 6
    for n in notes:
        el.append(_t(tx, ty, n, 3))
        ty += 5
    el.append(_t(tx, 285, title, 4))
    body = "\n".join(el)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="420mm" height="297mm" viewBox="0 0 420 297">\n'
            f'<rect x="5" y="5" width="410" height="287" fill="none" stroke="black" stroke-width="0.7"/>\n{body}\n</svg>\n')
