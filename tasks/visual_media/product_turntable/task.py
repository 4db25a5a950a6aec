"""Product turntable: a 3D generalist's everyday shot, set up in Blender from a client's OBJ and a brief.

The generator builds the client's product procedurally (a body of revolution or a box, plus one
off-axis part so that the silhouette changes as it turns), writes it as an OBJ + MTL in the client's
unit and up axis, off-centre and lifted off the ground, and writes the shot brief (markdown + JSON).
The reference holds the product's true size in metres and the shot's numbers.

The grader opens the submitted .blend in a headless Blender (inspect_turntable.py, in a tool sandbox):
it steps through every frame of the loop plus one, reading the product's world transform, vertices and
bounding box, their projection through the scene camera, the lights and the render settings, and
measures the silhouette of each submitted PNG against the product's projected silhouette at that frame.
It then checks that the object is the client's model (not a stand-in of its size), the scale and orientation,
the ground contact and pivot, the constant-speed seamless loop, the camera and framing over the whole turn,
the lighting ratio, that the PNGs are renders of this scene at those frames, lit by its lights and exposed as
briefed (the inspector renders each listed frame again with Cycles, and once with the lights off), and that the
shot report states what the scene holds.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np

from lastexam.task import Grading, Params

from .products import SHOTS, build, render_frames, unit_factor, write_obj

INSPECTOR = Path(__file__).with_name("inspect_turntable.py")
SAFE = 0.10  # title-safe margin on each side, as a share of the frame
SHARE_TOL = 0.01
ANGLE_TOL_DEG = 0.05
PIXEL_TOL = 2.5
MM = 0.0005  # half a millimetre, in metres
SILHOUETTE_TOL = 0.01  # share of the projected silhouette's pixels a render may miss or spill beyond 2 px of edge
PRODUCT_GREY = (0.35, 0.60)  # the brief's exposure: the product's mean grey level in the render
SHAPE_TOL = 0.001  # a millimetre, in metres: the model's vertices in the scene, after centring on the axis
AREA_TOL = 0.01
RENDER_DIFF_MAX = 0.50  # mean colour difference from Cycles' render of the scene, as a share of its shading spread
LIGHTS_MIN = 0.20  # share of the product's linear light that goes with the scene's lights off


def _brief_md(shot, frames: list[int]) -> str:
    w, h = shot.resolution
    return f"""# Shot brief: product turntable, {shot.label}

The model is `product.obj` (+ `product.mtl`), exported from our CAD. **Units: {shot.unit}. Up axis:
{shot.up_axis}.** It was exported in the CAD's own coordinates: it is not centred and does not sit on
the ground.

## Turntable
- Seamless looping turntable: **{shot.frames} frames at {shot.fps} fps** (scene frames 1-{shot.frames}),
  **{shot.turns:g} full turn(s)**, **{shot.direction}** seen from above, at constant speed. The loop
  must play back seamlessly: frame {shot.frames + 1} would be frame 1 again, and no frame is shown twice.
- The product stands on the turntable: the ground is Z = 0 (Z up, metres, real size), and the product
  turns about the world Z axis through its bounding-box centre, which sits on that axis.

## Camera
- Lens **{shot.focal_mm:g} mm** on a **{shot.sensor_mm:g} mm** wide sensor.
- In front of the product (on the -Y side), **{shot.elevation_deg:g} degrees** above the horizontal,
  aimed at the centre of the product's bounding box; the camera does not move.
- Framing: over the whole turn, the product's bounding box (its own box, turning with it) at its
  tallest fills **{shot.height_share:.0%} of the frame height**, and at no frame does it leave the
  title-safe area ({SAFE:.0%} in from every edge).

## Lighting
Three-point lighting with lights named Key, Fill and Rim: Key **{shot.key_w:g} W**, warm (about 3200 K);
Fill at a key:fill ratio of **{shot.key_fill_ratio:g}:1**, neutral; Rim **{shot.rim_w:g} W**, cool
(about 7500 K), behind the product.

## Exposure
Expose for the product: it reads mid-grey, not washed out. In the rendered PNG the product's opaque pixels
average **{PRODUCT_GREY[0]:g} to {PRODUCT_GREY[1]:g}** in grey level (the mean of R, G and B, 0 to 1, after the view
transform). Keep the lights' powers as briefed: set the exposure with the film exposure (Color Management) or the
lights' distance.

## Output
Render **{w} x {h}** at 100 %, transparent background (RGBA PNG), frames {", ".join(map(str, frames))}.
"""


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    shot = SHOTS[params["product"]]
    rng = random.Random(params["seed"])
    parts, box = build(shot, rng)
    offset = (rng.uniform(80, 160) * (1 if rng.random() < 0.5 else -1), rng.uniform(40, 120),
              rng.uniform(15, 60))
    if shot.unit == "cm":
        offset = tuple(o / 10 for o in offset)
    write_obj(shot, parts, offset, input_dir / "product.obj")
    frames = render_frames(shot)
    (input_dir / "shot_brief.md").write_text(_brief_md(shot, frames))
    brief = {"model": "product.obj", "units": shot.unit, "up_axis": shot.up_axis, "frames": shot.frames,
             "fps": shot.fps, "turns": shot.turns, "direction": shot.direction,
             "focal_length_mm": shot.focal_mm, "sensor_width_mm": shot.sensor_mm,
             "camera_elevation_deg": shot.elevation_deg, "height_share": shot.height_share,
             "title_safe_margin": SAFE, "resolution": list(shot.resolution),
             "key_w": shot.key_w, "key_fill_ratio": shot.key_fill_ratio, "rim_w": shot.rim_w,
             "product_grey": list(PRODUCT_GREY), "render_frames": frames}
    (input_dir / "shot_brief.json").write_text(json.dumps(brief, indent=2) + "\n")
    f = unit_factor(shot)
    size = [(box["hi"][i] - box["lo"][i]) * f for i in range(3)]
    sign = 1 if shot.direction == "counter-clockwise" else -1
    (reference_dir / "reference.json").write_text(json.dumps({
        **brief, "scale_factor": f, "size_m": size, "degrees_per_frame": sign * 360 * shot.turns / shot.frames,
        **model_shape(parts, box, f)}))


def model_shape(parts: list, box: dict, factor: float) -> dict:
    """The client's model as it stands on the turntable, in metres: each vertex's height above the ground and
    distance from the turning axis (through its bounding-box centre), which no turn about that axis changes, and
    its surface area."""
    cx, cy = ((box["lo"][i] + box["hi"][i]) / 2 for i in range(2))
    points, area = [], 0.0
    for _, verts, faces in parts:
        points += [[(up - box["lo"][2]) * factor, math.hypot(x - cx, y - cy) * factor] for x, y, up in verts]
        for face in faces:
            a = verts[face[0]]
            for b, c in zip((verts[i] for i in face[1:-1]), (verts[i] for i in face[2:]), strict=True):
                u, v = [b[k] - a[k] for k in range(3)], [c[k] - a[k] for k in range(3)]
                cross = (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
                area += math.hypot(*cross) / 2 * factor**2
    return {"model_height_radius": points, "model_area_m2": area}


def _angle_error(a: float, b: float) -> float:
    return abs((a - b + 180) % 360 - 180)


def _inspect(g: Grading, ref: dict) -> dict | None:
    files = {"inspect_turntable.py": INSPECTOR, "turntable.blend": g.output("turntable.blend")}
    pngs = {}
    for f in ref["render_frames"]:
        path = g.output(f"frames/frame_{f:04d}.png")
        if path.is_file():
            files[f"frame_{f:04d}.png"] = path
            pngs[str(f)] = f"frame_{f:04d}.png"
    files["config.json"] = json.dumps({"frames": ref["frames"], "pngs": pngs})
    run = g.run_tool(["blender", "-b", "--factory-startup", "turntable.blend", "--python", "inspect_turntable.py",
                      "--", "config.json"], files, timeout=240, memory_mb=3072)
    report = run.workdir / "report.json"
    try:
        scene = json.loads(report.read_text()) if report.is_file() else None
    except ValueError:
        scene = None
    ok = isinstance(scene, dict) and not scene.get("error")
    g.check("turntable.blend opens in Blender with an object Product and a scene camera", ok, gate=True,
            found=(scene or {}).get("error") if isinstance(scene, dict) else run.stderr[-400:])
    return scene if ok else None


def _lights_placed(key: dict, fill: dict, rim: dict, centre: list[float], camera: list[float] | None) -> bool:
    """The rim light is behind the product as the camera sees it (a sun: shining from behind, towards the camera
    side), and every spot or area light shines towards the product's centre (point and sun lights reach it anyway)."""
    def vec(value: object) -> list[float] | None:
        ok = isinstance(value, list) and len(value) == 3 and all(isinstance(v, (int, float)) for v in value)
        return [float(v) for v in value] if ok else None

    cam = vec(camera)
    placed = {name: (vec(light.get("location")), vec(light.get("direction")), light.get("type"))
              for name, light in (("Key", key), ("Fill", fill), ("Rim", rim))}
    if cam is None or any(loc is None or direction is None for loc, direction, _ in placed.values()):
        return False
    for loc, direction, kind in placed.values():
        if kind in ("SPOT", "AREA") and sum(d * (c - p) for d, c, p in zip(direction, centre, loc, strict=True)) <= 0:
            return False
    to_cam = [cam[0] - centre[0], cam[1] - centre[1]]
    loc, direction, kind = placed["Rim"]
    if kind == "SUN":
        return direction[0] * to_cam[0] + direction[1] * to_cam[1] > 0
    return (loc[0] - centre[0]) * to_cam[0] + (loc[1] - centre[1]) * to_cam[1] < 0


def grade(g: Grading) -> None:
    ref = g.reference_json("reference.json")
    frames = ref["render_frames"]
    if not g.require_files("turntable.blend", "shot_report.json", *(f"frames/frame_{f:04d}.png" for f in frames)):
        return
    report = g.read_json("shot_report.json")
    scene = _inspect(g, ref)
    if scene is None:
        return
    n = ref["frames"]
    per = scene["frames"]  # index 0 is frame 1, index n is frame n + 1
    first = per[0]

    # the model: real size in metres, Z up (height along Z), standing on Z = 0, centred on the axis
    size = first["size"]
    height_ok = math.isclose(size[2], ref["size_m"][2], rel_tol=0.01)
    plan_ok = all(math.isclose(a, b, rel_tol=0.01) for a, b in zip(sorted(size[:2]), sorted(ref["size_m"][:2]), strict=True))
    g.check("product imported at real size in metres", plan_ok and height_ok, weight=2,
            expected=ref["size_m"], found=size)
    g.check("product upright: its height along world Z", height_ok, expected=ref["size_m"][2], found=size[2])
    zmin = [p["zmin"] for p in per]
    g.check("product stands on the ground (lowest point at Z = 0) at every frame",
            all(abs(z) <= MM for z in zmin), expected=0, found=[min(zmin), max(zmin)])
    centres = [p["centre_xy"] for p in per]
    worst = max(math.hypot(*c) for c in centres)
    g.check("bounding-box centre on the turntable axis at every frame (no wobble)", worst <= MM, weight=2,
            expected=0, found=round(worst, 5))
    _check_model(g, ref, scene["shape"])

    # the loop: scene timing, constant speed, turns and direction, seamless loop point
    fps = scene["fps"]
    g.check("scene timing: frames 1-N at the brief's fps", scene["frame_start"] == 1 and scene["frame_end"] == n
            and math.isclose(fps, ref["fps"], rel_tol=1e-6), expected=[1, n, ref["fps"]],
            found=[scene["frame_start"], scene["frame_end"], fps])
    step = ref["degrees_per_frame"]
    errors = [_angle_error(p["angle_deg"], step * i) for i, p in enumerate(per[:n])]
    g.check("constant angular speed, the brief's turns and direction", max(errors) <= ANGLE_TOL_DEG, weight=2,
            expected=f"{step:.4f} deg per frame", found=f"worst frame off by {max(errors):.3f} deg")
    g.check("seamless loop: frame N+1 equals frame 1 and frame N does not",
            _angle_error(per[n]["angle_deg"], 0) <= ANGLE_TOL_DEG and _angle_error(per[n - 1]["angle_deg"], 0) > 0.5,
            expected=[0, round(-step % 360, 3)], found=[round(per[n]["angle_deg"], 3), round(per[n - 1]["angle_deg"], 3)])

    # the camera and the framing, over the whole turn
    cam = scene["camera"]
    g.check("camera lens and sensor as briefed", math.isclose(cam["lens"], ref["focal_length_mm"], abs_tol=0.01)
            and math.isclose(cam["sensor_width"], ref["sensor_width_mm"], abs_tol=0.01),
            expected=[ref["focal_length_mm"], ref["sensor_width_mm"]], found=[cam["lens"], cam["sensor_width"]])
    aim = first["centre_uv"]
    placed = (abs(aim[0] - 0.5) <= 0.01 and abs(aim[1] - 0.5) <= 0.01 and cam["static"] and cam["front"]
              and abs(cam["elevation_deg"] - ref["camera_elevation_deg"]) <= 0.5)
    g.check("camera in front, at the brief's elevation, aimed at the product, static", placed,
            expected=[0.5, 0.5, ref["camera_elevation_deg"]],
            found=[round(aim[0], 4), round(aim[1], 4), round(cam["elevation_deg"], 2), cam["static"], cam["front"]])
    shares = [p["box_uv"][3] - p["box_uv"][1] for p in per[:n]]
    g.check("product at its tallest fills the brief's share of the frame height",
            abs(max(shares) - ref["height_share"]) <= SHARE_TOL, weight=2,
            expected=ref["height_share"], found=round(max(shares), 4))
    margin = min(min(p["box_uv"][0], p["box_uv"][1], 1 - p["box_uv"][2], 1 - p["box_uv"][3]) for p in per[:n])
    g.check("title-safe at every frame of the turn", margin >= SAFE - 1e-4, weight=2,
            expected=f">= {SAFE}", found=round(margin, 4))

    # lighting and render settings
    lights = scene["lights"]
    key, fill, rim = (lights.get(k) for k in ("Key", "Fill", "Rim"))
    lit = all(isinstance(x, dict) for x in (key, fill, rim))
    g.check("three-point lights at the brief's powers and key:fill ratio", lit
            and math.isclose(key["energy"], ref["key_w"], rel_tol=0.01)
            and math.isclose(key["energy"] / max(fill["energy"], 1e-9), ref["key_fill_ratio"], rel_tol=0.01)
            and math.isclose(rim["energy"], ref["rim_w"], rel_tol=0.01),
            expected=[ref["key_w"], ref["key_w"] / ref["key_fill_ratio"], ref["rim_w"]],
            found=[x and x["energy"] for x in (key, fill, rim)])
    g.check("key warm and rim cool", lit and key["color"][0] > key["color"][2] and rim["color"][2] > rim["color"][0],
            found=[x and x["color"] for x in (key, rim)])
    g.check("rim light behind the product, every light facing it", lit and _lights_placed(key, fill, rim, first["centre"],
                                                                             cam.get("location")),
            expected="the rim on the far side of the product from the camera; spot and area lights shining at it",
            found={k: x and {"type": x.get("type"), "location": x.get("location"), "direction": x.get("direction")}
                   for k, x in (("Key", key), ("Fill", fill), ("Rim", rim))})
    res = scene["resolution"]
    g.check("render resolution and transparent film", res == [*ref["resolution"], 100] and scene["film_transparent"],
            expected=[*ref["resolution"], 100, True], found=[*res, scene["film_transparent"]])

    # the PNGs are renders of this scene at those frames: each silhouette's box is the projection there
    w, h = ref["resolution"]
    bad = []
    for f in frames:
        png = scene["pngs"].get(str(f))
        proj = per[f - 1]["verts_uv"]
        want = [proj[0] * w, proj[1] * h, proj[2] * w, proj[3] * h]
        if not png or png.get("size") != [w, h] or not png.get("box"):
            bad.append(f"frame {f}: {png}")
        elif max(abs(a - b) for a, b in zip(png["box"], want, strict=True)) > PIXEL_TOL:
            bad.append(f"frame {f}: silhouette {png['box']} vs projection {[round(x, 1) for x in want]}")
    g.check("rendered frames are this scene at those frames (silhouette = projection)", not bad, weight=3,
            expected="silhouette boxes within 2.5 px of the projected product", found=bad[:4])
    # the box alone is met by any opaque patch of the right extent: the opaque pixels must be the product's
    # own silhouette (rasterised from its triangles at that frame)
    unlike = []
    for f in frames:
        png = scene["pngs"].get(str(f)) or {}
        area = png.get("silhouette_px")
        if not area or png.get("extra_px", area) > SILHOUETTE_TOL * area or png.get("missing_px", area) > SILHOUETTE_TOL * area:
            unlike.append({"frame": f, **{k: png.get(k) for k in ("silhouette_px", "extra_px", "missing_px")}})
    g.check("rendered frames show the product's own silhouette", not unlike, weight=3,
            expected=f"opaque pixels off the projected silhouette (2 px slack) and silhouette pixels left transparent "
                     f"each <= {SILHOUETTE_TOL:.0%} of it", found=unlike[:4])

    # the shading is the scene's lights on its materials: each PNG matches the scene rendered again by Cycles at that
    # frame, measured against the render's own shading spread (not an engine that ignores the lights, nor a fill
    # painted over the silhouette), the scene is exposed as briefed (a washed-out product has no shading to match),
    # and the lights matter
    pngs = {f: scene["pngs"].get(str(f)) or {} for f in frames}
    diffs = {f: png.get("render_diff") and round(png["render_diff"], 3) for f, png in pngs.items()}
    g.check("rendered frames match the scene rendered by Cycles at those frames",
            all(diff is not None and diff <= RENDER_DIFF_MAX for diff in diffs.values()), weight=3,
            expected=f"mean colour difference inside the product within {RENDER_DIFF_MAX:.0%} of the shading spread "
                     f"of Cycles' render", found=diffs)
    greys = {f: png.get("render_grey") and round(png["render_grey"], 3) for f, png in pngs.items()}
    g.check("product exposed as briefed (mid-grey in the scene's render)",
            all(grey is not None and PRODUCT_GREY[0] <= grey <= PRODUCT_GREY[1] for grey in greys.values()), weight=2,
            expected=list(PRODUCT_GREY), found=greys)
    lights = scene["lights_share"]
    g.check("the scene's lights light the product", lights is not None and lights >= LIGHTS_MIN,
            expected=f"switching the lights off takes at least {LIGHTS_MIN:.0%} of the product's light",
            found=lights and round(lights, 2))

    # the shot report states what the scene holds
    _check_report(g, ref, report, scene, shares)


def _check_model(g: Grading, ref: dict, shape: dict) -> None:
    """The object Product is the client's model, not a stand-in of its size (a box over its bounding box): every
    vertex of the model is one of its vertices (height above the ground and distance from the turning axis), and
    its surface is the model's."""
    want = np.asarray(ref["model_height_radius"], float)
    got = np.asarray(shape["height_radius"], float).reshape(-1, 2)
    gaps = [float(np.min(np.hypot(*(got - p).T))) if len(got) else math.inf for p in want]
    absent = sum(gap > SHAPE_TOL for gap in gaps)
    area = shape["area"]
    g.check("the product is the client's model (its vertices and surface, not a stand-in)", absent == 0
            and math.isclose(area, ref["model_area_m2"], rel_tol=AREA_TOL), weight=2,
            expected=f"all {len(want)} vertices of the model within {SHAPE_TOL * 1000:g} mm, "
                     f"area {ref['model_area_m2']:.5f} m2 within {AREA_TOL:.0%}",
            found=f"{absent} vertices of the model absent, area {area:.5f} m2")


def _num(x: object) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


def _check_report(g: Grading, ref: dict, report: object, scene: dict, shares: list[float]) -> None:
    report = report if isinstance(report, dict) else {}
    cam = scene["camera"]
    stated = [_num(report.get(k)) for k in ("scale_factor", "product_height_m", "camera_distance_m",
                                            "camera_elevation_deg", "max_height_share")]
    truth = [ref["scale_factor"], scene["frames"][0]["size"][2], cam["distance"], cam["elevation_deg"], max(shares)]
    close = [s is not None and math.isclose(s, t, rel_tol=0.005, abs_tol=1e-4) for s, t in zip(stated, truth, strict=True)]
    g.check("shot report: scale, height, camera distance and elevation, tallest share equal the scene's", all(close),
            weight=2, expected=[round(t, 5) for t in truth], found=stated)
    rows = report.get("frames")
    rows = {r.get("frame"): r for r in rows if isinstance(r, dict)} if isinstance(rows, list) else {}
    wrong = []
    for f in ref["render_frames"]:
        r = rows.get(f, {})
        rot, share = _num(r.get("rotation_deg")), _num(r.get("height_share"))
        want_rot = ref["degrees_per_frame"] * (f - 1)
        if rot is None or _angle_error(rot, want_rot) > 0.1 or share is None or abs(share - shares[f - 1]) > 0.002:
            wrong.append({"frame": f, "rotation_deg": rot, "height_share": share,
                          "expected": [round(want_rot % 360, 2), round(shares[f - 1], 4)]})
    g.check("shot report: rotation and height share of each rendered frame", not wrong, found=wrong[:4])
