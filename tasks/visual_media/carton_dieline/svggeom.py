"""Reading an SVG's layers and shapes in page millimetres.

``read(text)`` returns the document's page size in mm and, for every element that draws, its layer
(the label of the innermost Inkscape layer or sublayer holding it), its subpaths as point lists in mm after every
transform (curves reduced to their end points, flagged), and its effective stroke, dash and fill.
Malformed input raises ``ValueError``.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

SVG, INK = "{http://www.w3.org/2000/svg}", "{http://www.inkscape.org/namespaces/inkscape}"
UNITS = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72, "pc": 25.4 / 6, "px": 25.4 / 96, "": 25.4 / 96}
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
INHERITED = ("stroke", "stroke-dasharray", "fill", "display")


@dataclass
class Shape:
    tag: str
    id: str
    layer: str
    subpaths: list[tuple[list[tuple[float, float]], bool]]  # (points, closed)
    curved: bool
    style: dict[str, str]
    text: str = ""


@dataclass
class Document:
    width_mm: float
    height_mm: float
    layers: dict[str, str] = field(default_factory=dict)  # layer id -> label
    shapes: list[Shape] = field(default_factory=list)
    paints: dict[str, str] = field(default_factory=dict)  # id -> label (or id) of paint servers


def _length(value: str | None) -> float:
    m = re.fullmatch(r"\s*([-+]?[\d.eE+-]+)\s*([a-z]*)\s*", value or "")
    if not m or m.group(2) not in UNITS:
        raise ValueError(f"unreadable length {value!r}")
    return float(m.group(1)) * UNITS[m.group(2)]


def _mul(a: tuple, b: tuple) -> tuple:
    a0, a1, a2, a3, a4, a5 = a
    b0, b1, b2, b3, b4, b5 = b
    return (a0 * b0 + a2 * b1, a1 * b0 + a3 * b1, a0 * b2 + a2 * b3, a1 * b2 + a3 * b3,
            a0 * b4 + a2 * b5 + a4, a1 * b4 + a3 * b5 + a5)


def _transform(text: str | None) -> tuple:
    m = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    for name, args in re.findall(r"(\w+)\s*\(([^)]*)\)", text or ""):
        v = [float(x) for x in NUMBER.findall(args)]
        if name == "matrix" and len(v) == 6:
            t = tuple(v)
        elif name == "translate" and v:
            t = (1, 0, 0, 1, v[0], v[1] if len(v) > 1 else 0)
        elif name == "scale" and v:
            t = (v[0], 0, 0, v[1] if len(v) > 1 else v[0], 0, 0)
        elif name == "rotate" and v:
            c, s = math.cos(math.radians(v[0])), math.sin(math.radians(v[0]))
            t = (c, s, -s, c, 0, 0)
            if len(v) == 3:
                t = _mul(_mul((1, 0, 0, 1, v[1], v[2]), t), (1, 0, 0, 1, -v[1], -v[2]))
        else:
            raise ValueError(f"unsupported transform {name}({args})")
        m = _mul(m, t)
    return m


def _style(el: ET.Element, parent: dict[str, str]) -> dict[str, str]:
    out = {k: v for k, v in parent.items() if k in INHERITED}
    for key in ("stroke", "stroke-dasharray", "fill", "display", "stroke-width"):
        if el.get(key) is not None:
            out[key] = el.get(key).strip()
    for item in (el.get("style") or "").split(";"):
        if ":" in item:
            k, v = item.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def parse_path(d: str) -> tuple[list[tuple[list[tuple[float, float]], bool]], bool]:
    """Subpaths of path data (absolute points, closed flags); curves keep only their end points."""
    tokens = re.findall(r"[MmLlHhVvZzCcSsQqTtAa]|" + NUMBER.pattern, d or "")
    subpaths: list[tuple[list[tuple[float, float]], bool]] = []
    arity = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "T": 2, "A": 7, "Z": 0}
    x = y = sx = sy = 0.0
    cmd, curved, i, points = "", False, 0, None
    while i < len(tokens):
        if tokens[i].isalpha():
            cmd, i = tokens[i], i + 1
            if cmd in "Zz":
                if points is not None:
                    subpaths.append((points, True))
                    points = None
                x, y = sx, sy
                continue
        elif not cmd or cmd in "Zz":
            raise ValueError("path data starts without a command")
        n = arity[cmd.upper()]
        args = [float(v) for v in tokens[i:i + n]]
        if len(args) < n:
            raise ValueError("truncated path data")
        i += n
        rel = cmd.islower()
        up = cmd.upper()
        if up == "H":
            x = args[0] + (x if rel else 0)
        elif up == "V":
            y = args[0] + (y if rel else 0)
        else:
            x, y = args[-2] + (x if rel else 0), args[-1] + (y if rel else 0)
            curved |= up in "CSQTA"
        if up == "M":
            if points is not None:
                subpaths.append((points, False))
            points, sx, sy = [], x, y
            cmd = "l" if rel else "L"
        if points is None:
            points = []
        points.append((x, y))
    if points:
        subpaths.append((points, False))
    return subpaths, curved


def _geometry(el: ET.Element, tag: str) -> tuple[list, bool]:
    f = lambda k: float(el.get(k) or 0)  # noqa: E731
    if tag == "path":
        return parse_path(el.get("d") or "")
    if tag == "rect":
        x, y, w, h = f("x"), f("y"), f("width"), f("height")
        return [([(x, y), (x + w, y), (x + w, y + h), (x, y + h)], True)], False
    if tag == "line":
        return [([(f("x1"), f("y1")), (f("x2"), f("y2"))], False)], False
    if tag in ("polyline", "polygon"):
        v = [float(n) for n in NUMBER.findall(el.get("points") or "")]
        return [(list(zip(v[::2], v[1::2], strict=False)), tag == "polygon")], False
    return [], False


def read(text: str) -> Document:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ValueError(f"not XML: {exc}") from exc
    if root.tag != SVG + "svg":
        raise ValueError("the root element is not <svg>")
    width, height = _length(root.get("width")), _length(root.get("height"))
    box = [float(v) for v in NUMBER.findall(root.get("viewBox") or "")]
    if len(box) != 4 or box[2] <= 0 or box[3] <= 0:
        raise ValueError("no usable viewBox")
    base = (width / box[2], 0, 0, height / box[3], -box[0] * width / box[2], -box[1] * height / box[3])
    doc = Document(width, height)
    for el in root.iter():
        if el.tag in (SVG + "linearGradient", SVG + "radialGradient", SVG + "pattern") and el.get("id"):
            doc.paints[el.get("id")] = el.get(INK + "label") or el.get("id")

    def walk(el: ET.Element, matrix: tuple, style: dict[str, str], layer: str) -> None:
        for child in el:
            tag = child.tag.removeprefix(SVG)
            if tag in ("defs", "metadata", "title", "desc") or child.tag.startswith(INK) or "}" in tag:
                continue
            m = _mul(matrix, _transform(child.get("transform")))
            st = _style(child, style)
            if st.get("display") == "none":
                continue
            if tag == "g":
                here = layer
                if child.get(INK + "groupmode") == "layer":
                    here = child.get(INK + "label") or child.get("id") or ""
                    doc.layers[child.get("id") or here] = here
                walk(child, m, st, here)
                continue
            subpaths, curved = _geometry(child, tag)
            pts = [([(m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]) for x, y in p], c) for p, c in subpaths]
            text = "".join(child.itertext()) if tag == "text" else ""
            if pts or text:
                doc.shapes.append(Shape(tag, child.get("id") or "", layer, pts, curved, st, text))

    walk(root, base, {}, "")
    return doc
