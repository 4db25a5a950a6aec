"""The client's products: a procedural mesh per variant, written as an OBJ + MTL the way an exporter would.

Each product is a main body (a surface of revolution or a box) plus one small off-axis part (a pump
spout, a volume knob, a crown) so that its silhouette changes as it turns. Coordinates are in the
product's source unit and up axis, off-centre and lifted off the ground plane, as the client sent them.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path

SEGMENTS = 32
UNIT_TO_M = {"mm": 0.001, "cm": 0.01}


@dataclass(frozen=True)
class Shot:
    """One variant's product and shot brief."""

    name: str
    label: str
    unit: str
    up_axis: str
    frames: int
    fps: int
    turns: float
    direction: str  # "counter-clockwise" or "clockwise", seen from above
    focal_mm: float
    sensor_mm: float
    elevation_deg: float
    height_share: float
    resolution: tuple[int, int]
    key_w: float
    key_fill_ratio: float
    rim_w: float


SHOTS = {
    "bottle": Shot("bottle", "a pump bottle of hand wash", "mm", "Y", 96, 24, 1, "counter-clockwise", 85, 36, 12,
                   0.70, (320, 240), 60, 2.0, 40),
    "speaker": Shot("speaker", "a compact bluetooth speaker", "cm", "Z", 120, 30, 1, "clockwise", 50, 36, 20,
                    0.45, (384, 216), 80, 3.0, 50),
    "watch": Shot("watch", "a wristwatch case", "mm", "Y", 72, 24, 2, "counter-clockwise", 100, 36, 30,
                  0.50, (320, 240), 30, 4.0, 20),
}


def render_frames(shot: Shot) -> list[int]:
    """The frames the brief asks to render: the product turned 0, 60, 90 and 240 degrees (no two alike)."""
    step = 360 * shot.turns / shot.frames
    return [1 + round(angle / step) for angle in (0, 60, 90, 240)]


def _revolution(profile: list[tuple[float, float]]) -> tuple[list, list]:
    """Vertices (x, z_side, height) and faces of a closed surface of revolution of (radius, height) points."""
    verts, faces = [], []
    for r, h in profile:
        for s in range(SEGMENTS):
            a = 2 * math.pi * s / SEGMENTS
            verts.append((r * math.cos(a), r * math.sin(a), h))
    for i in range(len(profile) - 1):
        for s in range(SEGMENTS):
            t = (s + 1) % SEGMENTS
            faces.append([i * SEGMENTS + s, i * SEGMENTS + t, (i + 1) * SEGMENTS + t, (i + 1) * SEGMENTS + s])
    faces.append(list(range(SEGMENTS))[::-1])
    top = (len(profile) - 1) * SEGMENTS
    faces.append(list(range(top, top + SEGMENTS)))
    return verts, faces


def _box(lo: tuple[float, float, float], hi: tuple[float, float, float]) -> tuple[list, list]:
    (x0, y0, z0), (x1, y1, z1) = lo, hi
    verts = [(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0),
             (x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1)]
    quads = [[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]]
    return verts, quads


def build(shot: Shot, rng: random.Random) -> tuple[list[tuple[str, list, list]], dict]:
    """Parts (material, vertices, faces) in the source unit, as (side_x, side_y, up), centred at 0 on the ground."""
    k = rng.uniform(0.9, 1.1)
    if shot.name == "bottle":
        r, h = 34 * k, 200 * k
        body = _revolution([(r * 0.9, 0), (r, 6), (r, h * 0.78), (r * 0.45, h * 0.88), (r * 0.42, h)])
        spout = _box((0, -4, h - 6), (r * 1.6, 4, h + 4))
        parts = [("body", *body), ("accent", *spout)]
    elif shot.name == "speaker":
        w, d, hh = 20 * k, 8 * k, 9 * k
        body = _box((-w / 2, -d / 2, 0), (w / 2, d / 2, hh))
        knob = _box((w / 2, -1.2, hh * 0.55), (w / 2 + 2.2, 1.2, hh * 0.8))
        parts = [("body", *body), ("accent", *knob)]
    else:
        r, h = 20 * k, 11 * k
        body = _revolution([(r * 0.92, 0), (r, 2), (r, h - 2), (r * 0.9, h)])
        crown = _box((r - 1, -2.5, h * 0.3), (r + 4, 2.5, h * 0.7))
        parts = [("body", *body), ("accent", *crown)]
    allv = [v for _, verts, _ in parts for v in verts]
    lo = [min(v[i] for v in allv) for i in range(3)]
    hi = [max(v[i] for v in allv) for i in range(3)]
    return parts, {"lo": lo, "hi": hi}


def write_obj(shot: Shot, parts: list, offset: tuple[float, float, float], path: Path) -> None:
    """Write the OBJ (one object, two materials) and its MTL, in the shot's unit and up axis, shifted by offset."""
    lines = [f"# {shot.label} - exported from the client's CAD, units: {shot.unit}, up axis: {shot.up_axis}",
             f"mtllib {path.with_suffix('.mtl').name}", "o product"]
    base = 1
    groups = []
    for material, verts, faces in parts:
        for sx, sy, up in verts:
            x, y, z = sx + offset[0], sy + offset[1], up + offset[2]
            # Y-up exporters write (x, up, -side_y); Z-up ones (x, side_y, up)
            lines.append(f"v {x:.4f} {z:.4f} {-y:.4f}" if shot.up_axis == "Y" else f"v {x:.4f} {y:.4f} {z:.4f}")
        groups.append((material, [[base + i for i in f] for f in faces]))
        base += len(verts)
    lines.append("s off")
    for material, faces in groups:
        lines.append(f"usemtl {material}")
        lines += ["f " + " ".join(str(i) for i in f) for f in faces]
    path.write_text("\n".join(lines) + "\n")
    path.with_suffix(".mtl").write_text(
        "newmtl body\nKd 0.80 0.82 0.85\nKs 0.3 0.3 0.3\nNs 200\n\n"
        "newmtl accent\nKd 0.10 0.10 0.12\nKs 0.5 0.5 0.5\nNs 400\n")


def unit_factor(shot: Shot) -> float:
    return UNIT_TO_M[shot.unit]
