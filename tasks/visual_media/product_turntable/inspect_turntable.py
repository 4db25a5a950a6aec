"""Run inside Blender (blender -b turntable.blend --python inspect_turntable.py -- config.json).

Writes report.json in the working directory: the scene's render settings, camera and lights (with their
positions and the direction they shine in, at frame 1), and for
every frame 1..N+1 the object Product's world size, lowest point, bounding-box centre, rotation about
Z relative to frame 1, and the projection through the scene camera of its bounding box and of its
vertices (min u, min v, max u, max v in the camera's normalised frame); at frame 1 its mesh's shape
(each vertex's height above its lowest point and distance from the world Z axis, and its surface area);
plus, for each submitted PNG, its size, the pixel box of its opaque silhouette (origin bottom left), how many of its opaque pixels lie
off the product's projected silhouette (rasterised from the mesh's triangles at that frame) and how many
of the silhouette's are transparent, beyond 2 px of edge slack; the product's mean grey level in the scene rendered
again at that frame by Cycles (the scene's lights, materials and colour management, a few samples) and how far each
PNG's colours inside the silhouette lie from that render, as a share of the render's own shading spread; and how
much of the product's light at the first listed frame goes when the scene's lights are switched off. On a missing object it writes {"error": ...}.
"""

import json
import math
import sys
from pathlib import Path

import bpy
import numpy as np
from bpy_extras.object_utils import world_to_camera_view
from mathutils import Vector

RERENDER_SAMPLES = 16
RERENDER_SECONDS = 30


def extent(points):
    us = [p[0] for p in points]
    vs = [p[1] for p in points]
    return [min(us), min(vs), max(us), max(vs)]


def mesh_area(verts, tri):
    a, b, c = (verts[i] for i in tri)
    return (b - a).cross(c - a).length / 2


def silhouette(uv, tris, w, h):
    """The product's projected silhouette, rasterised at pixel centres (rows from the bottom, as Blender's
    image pixels): the union of its triangles seen through the camera."""
    mask = np.zeros((h, w), bool)
    p = np.array([[u * w, v * h] for u, v, _ in uv], dtype=np.float64)
    for a, b, c in tris:
        (x0, y0), (x1, y1), (x2, y2) = p[a], p[b], p[c]
        det = (y1 - y2) * (x0 - x2) + (x2 - x1) * (y0 - y2)
        if abs(det) < 1e-12:
            continue
        c0, c1 = max(math.floor(min(x0, x1, x2)), 0), min(math.ceil(max(x0, x1, x2)), w)
        r0, r1 = max(math.floor(min(y0, y1, y2)), 0), min(math.ceil(max(y0, y1, y2)), h)
        if c0 >= c1 or r0 >= r1:
            continue
        xs, ys = np.meshgrid(np.arange(c0, c1) + 0.5, np.arange(r0, r1) + 0.5)
        l0 = ((y1 - y2) * (xs - x2) + (x2 - x1) * (ys - y2)) / det
        l1 = ((y2 - y0) * (xs - x2) + (x0 - x2) * (ys - y2)) / det
        mask[r0:r1, c0:c1] |= (l0 >= -1e-9) & (l1 >= -1e-9) & (1 - l0 - l1 >= -1e-9)
    return mask


def grow(mask, k):
    """The mask dilated by k pixels (a square neighbourhood)."""
    out = mask.copy()
    h, w = mask.shape
    for dy in range(-k, k + 1):
        for dx in range(-k, k + 1):
            out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] |= \
                mask[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def blur(img, k):
    """The image averaged over a (2k+1)-pixel square neighbourhood (edges averaged over what lies inside)."""
    total, count = np.zeros_like(img), np.zeros(img.shape[:2] + (1,) * (img.ndim - 2))
    h, w = img.shape[:2]
    for dy in range(-k, k + 1):
        for dx in range(-k, k + 1):
            total[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] += \
                img[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
            count[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] += 1
    return total / count


def load_pixels(path):
    img = bpy.data.images.load(str(Path(path).resolve()))
    w, h = img.size
    px = np.array(img.pixels[:], dtype=np.float32).reshape(h, w, img.channels)
    bpy.data.images.remove(img)
    return px


def render_cycles(scene, frame, path, file_format="PNG"):
    """The scene at that frame rendered by Cycles on the CPU at a few samples, with its own lights, materials,
    world and colour management, on a transparent film, as the render itself (no compositor or sequencer strips
    in between); its RGBA pixels (an OPEN_EXR file holds the linear light, before the view transform)."""
    scene.frame_set(frame)
    scene.render.use_compositing = scene.render.use_sequencer = False
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = RERENDER_SAMPLES
    scene.cycles.use_denoising = False
    scene.cycles.time_limit = RERENDER_SECONDS
    scene.render.film_transparent = True
    settings = scene.render.image_settings
    settings.file_format, settings.color_mode = file_format, "RGBA"
    settings.color_depth = "8" if file_format == "PNG" else "32"
    scene.render.filepath = str(Path(path).resolve())
    bpy.ops.render.render(write_still=True)
    return load_pixels(path)


def inside(px, rendered):
    """The pixels opaque in both images, 2 px in from their edges (anti-aliasing and sampling noise aside)."""
    both = (px[:, :, 3] > 0.99) & (rendered[:, :, 3] > 0.99) if px.shape == rendered.shape else None
    return None if both is None else ~grow(~both, 2)


def against_render(px, rendered):
    """The PNG against the scene's own render, both smoothed over 5 px (sampling noise), inside the product: the
    render's mean grey level, and the PNG's mean colour difference from it as a share of the render's shading spread
    (its mean deviation from its own mean colour), so that one fill of the right colour differs by the whole spread."""
    core = inside(px, rendered)
    if core is None or core.sum() < 10:
        return {}
    ours, theirs = blur(rendered[:, :, :3], 2)[core], blur(px[:, :, :3], 2)[core]
    spread = np.abs(ours - ours.mean(axis=0)).mean()
    return {"render_grey": float(ours.mean()), "render_diff": float(np.abs(ours - theirs).mean() / max(spread, 1e-6))}


def compare(alpha, mask):
    """The PNG's opaque pixels against the projected silhouette, 2 px of edge slack either way (a render's
    anti-aliasing)."""
    if mask is None or mask.shape != alpha.shape:
        return {}
    opaque = alpha > 0.5
    area = max(int(mask.sum()), 1)
    extra = int((opaque & ~grow(mask, 2)).sum())
    missing = int((~opaque & ~grow(~mask, 2)).sum())
    return {"silhouette_px": area, "extra_px": extra, "missing_px": missing}


def light_from_lights(scene, frame):
    """How much switching every light off (world and emission left) changes the product's linear light at that
    frame: the mean change of its pixels as a share of their mean with the lights on."""
    lit = render_cycles(scene, frame, f"cycles_{frame}_lit.exr", "OPEN_EXR")
    for ob in scene.objects:
        if ob.type == "LIGHT":
            ob.hide_render = True
    dark = render_cycles(scene, frame, f"cycles_{frame}_unlit.exr", "OPEN_EXR")
    core = ~grow(lit[:, :, 3] <= 0.99, 2)
    if core.sum() < 10:
        return None
    lit, dark = lit[:, :, :3][core], dark[:, :, :3][core]
    return float(np.abs(lit - dark).mean() / max(np.abs(lit).mean(), 1e-6))


def main(config):
    scene = bpy.context.scene
    product = bpy.data.objects.get("Product")
    cam = scene.camera
    if product is None or product.type != "MESH" or cam is None or cam.type != "CAMERA":
        return {"error": "no mesh object named Product or no scene camera"}
    n = int(config["frames"])
    frames, cam_mats, silhouettes = [], [], {}
    first_rot = None
    for f in range(1, n + 2):
        scene.frame_set(f)
        depsgraph = bpy.context.evaluated_depsgraph_get()
        ob = product.evaluated_get(depsgraph)
        m = ob.matrix_world.copy()
        mesh = ob.to_mesh()
        verts = [m @ v.co for v in mesh.vertices]
        mesh.calc_loop_triangles()
        tris = [tuple(t.vertices) for t in mesh.loop_triangles]
        ob.to_mesh_clear()
        corners = [m @ Vector(c) for c in ob.bound_box]
        centre = sum(corners, Vector()) / 8
        rot = m.to_3x3().normalized()
        if first_rot is None:
            first_rot = rot
        rel = rot @ first_rot.inverted()
        camera = cam.evaluated_get(depsgraph)
        cam_mats.append(camera.matrix_world.copy())
        if str(f) in config["pngs"]:
            r = scene.render
            size = (r.resolution_x * r.resolution_percentage // 100, r.resolution_y * r.resolution_percentage // 100)
            uv = [world_to_camera_view(scene, camera, v) for v in verts]
            silhouettes[str(f)] = silhouette(uv, tris, *size)
        if f == 1:
            zmin = min(v.z for v in verts)
            shape = {"height_radius": [[v.z - zmin, math.hypot(v.x, v.y)] for v in verts],
                     "area": sum(mesh_area(verts, t) for t in tris)}
        frames.append({
            "size": [max(v[i] for v in verts) - min(v[i] for v in verts) for i in range(3)],
            "zmin": min(v.z for v in verts),
            "centre_xy": [centre.x, centre.y],
            "angle_deg": math.degrees(math.atan2(rel[1][0], rel[0][0])),
            "box_uv": extent([world_to_camera_view(scene, camera, c) for c in corners]),
            "verts_uv": extent([world_to_camera_view(scene, camera, v) for v in verts]),
            "centre_uv": list(world_to_camera_view(scene, camera, centre))[:2],
            "centre": list(centre),
        })
    scene.frame_set(1)
    loc = cam_mats[0].translation
    target = Vector(frames[0]["centre"])
    d = loc - target
    static = all(max(abs(a - b) for ra, rb in zip(m, cam_mats[0], strict=True) for a, b in zip(ra, rb, strict=True)) < 1e-6 for m in cam_mats)
    lights = {o.name: {"type": o.data.type, "energy": o.data.energy, "color": list(o.data.color),
                       "location": list(o.matrix_world.translation),
                       "direction": list((o.matrix_world.to_3x3() @ Vector((0, 0, -1))).normalized())}
              for o in scene.objects if o.type == "LIGHT"}
    pngs, pixels = {}, {}
    for f, name in config["pngs"].items():
        try:
            px = pixels[f] = load_pixels(name)
            h, w = px.shape[:2]
            alpha = px[:, :, 3] if px.shape[2] == 4 else np.ones((h, w))
            rows, cols = np.nonzero(alpha > 0.5)
            box = [int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1] if len(rows) else None
            if len(rows) and alpha.min() > 0.5:
                box = None  # an opaque background: no silhouette to read
            pngs[f] = {"size": [w, h], "box": box, **compare(alpha, silhouettes.get(f))}
        except Exception as exc:
            pngs[f] = {"error": str(exc)}
    r = scene.render
    settings = {"fps": r.fps / r.fps_base, "frame_start": scene.frame_start, "frame_end": scene.frame_end,
                "resolution": [r.resolution_x, r.resolution_y, r.resolution_percentage],
                "film_transparent": bool(r.film_transparent)}
    renders = {f: render_cycles(scene, int(f), f"cycles_{f}.png") for f, px in pixels.items() if px.shape[2] == 4}
    for f, rendered in renders.items():
        pngs[f].update(against_render(pixels[f], rendered))
    lights_share = next((light_from_lights(scene, int(f)) for f in renders), None)
    return {
        **settings, "lights_share": lights_share,
        "camera": {"lens": cam.data.lens, "sensor_width": cam.data.sensor_width, "distance": d.length,
                   "location": list(loc),
                   "elevation_deg": math.degrees(math.asin(d.z / d.length)) if d.length else 0.0,
                   "front": bool(d.y < 0 and abs(d.x) <= 0.02 * d.length), "static": static},
        "lights": lights, "frames": frames, "pngs": pngs, "shape": shape,
    }


if __name__ == "__main__":
    cfg = json.loads(Path(sys.argv[sys.argv.index("--") + 1]).read_text())
    try:
        out = main(cfg)
    except Exception as exc:
        out = {"error": f"{type(exc).__name__}: {exc}"}
    Path("report.json").write_text(json.dumps(out))
