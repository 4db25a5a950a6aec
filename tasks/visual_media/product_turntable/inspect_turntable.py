"""Run inside Blender (blender -b turntable.blend --python inspect_turntable.py -- config.json).

Writes report.json in the working directory: the scene's render settings, camera and lights, and for
every frame 1..N+1 the object Product's world size, lowest point, bounding-box centre, rotation about
Z relative to frame 1, and the projection through the scene camera of its bounding box and of its
vertices (min u, min v, max u, max v in the camera's normalised frame); plus, for each submitted PNG,
its size and the pixel box of its opaque silhouette (origin bottom left). On a missing object it
writes {"error": ...}.
"""

import json
import math
import sys
from pathlib import Path

import bpy
import numpy as np
from bpy_extras.object_utils import world_to_camera_view
from mathutils import Vector


def extent(points):
    us = [p[0] for p in points]
    vs = [p[1] for p in points]
    return [min(us), min(vs), max(us), max(vs)]


def main(config):
    scene = bpy.context.scene
    product = bpy.data.objects.get("Product")
    cam = scene.camera
    if product is None or product.type != "MESH" or cam is None or cam.type != "CAMERA":
        return {"error": "no mesh object named Product or no scene camera"}
    n = int(config["frames"])
    frames, cam_mats = [], []
    first_rot = None
    for f in range(1, n + 2):
        scene.frame_set(f)
        depsgraph = bpy.context.evaluated_depsgraph_get()
        ob = product.evaluated_get(depsgraph)
        m = ob.matrix_world.copy()
        mesh = ob.to_mesh()
        verts = [m @ v.co for v in mesh.vertices]
        ob.to_mesh_clear()
        corners = [m @ Vector(c) for c in ob.bound_box]
        centre = sum(corners, Vector()) / 8
        rot = m.to_3x3().normalized()
        if first_rot is None:
            first_rot = rot
        rel = rot @ first_rot.inverted()
        camera = cam.evaluated_get(depsgraph)
        cam_mats.append(camera.matrix_world.copy())
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
    lights = {o.name: {"type": o.data.type, "energy": o.data.energy, "color": list(o.data.color)}
              for o in scene.objects if o.type == "LIGHT"}
    pngs = {}
    for f, name in config["pngs"].items():
        try:
            img = bpy.data.images.load(str(Path(name).resolve()))
            w, h = img.size
            px = np.array(img.pixels[:], dtype=np.float32).reshape(h, w, img.channels)
            alpha = px[:, :, 3] if img.channels == 4 else np.ones((h, w))
            rows, cols = np.nonzero(alpha > 0.5)
            box = [int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1] if len(rows) else None
            if len(rows) and alpha.min() > 0.5:
                box = None  # an opaque background: no silhouette to read
            pngs[f] = {"size": [w, h], "box": box}
        except Exception as exc:
            pngs[f] = {"error": str(exc)}
    r = scene.render
    return {
        "fps": r.fps / r.fps_base, "frame_start": scene.frame_start, "frame_end": scene.frame_end,
        "resolution": [r.resolution_x, r.resolution_y, r.resolution_percentage],
        "film_transparent": bool(r.film_transparent),
        "camera": {"lens": cam.data.lens, "sensor_width": cam.data.sensor_width, "distance": d.length,
                   "elevation_deg": math.degrees(math.asin(d.z / d.length)) if d.length else 0.0,
                   "front": bool(d.y < 0 and abs(d.x) <= 0.02 * d.length), "static": static},
        "lights": lights, "frames": frames, "pngs": pngs,
    }


if __name__ == "__main__":
    cfg = json.loads(Path(sys.argv[sys.argv.index("--") + 1]).read_text())
    try:
        out = main(cfg)
    except Exception as exc:
        out = {"error": f"{type(exc).__name__}: {exc}"}
    Path("report.json").write_text(json.dumps(out))
