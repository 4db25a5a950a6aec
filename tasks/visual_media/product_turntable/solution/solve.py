#!/usr/bin/env python3
"""The file-level oracle: the turntable built in Blender, headless (blender -b --python this file).

Run by python3, it re-runs itself inside Blender. There it imports the client's OBJ with the brief's up
axis, scales it to metres, grounds it and centres its bounding box on the world Z axis (the mesh moved,
the origin on the axis), keys a linear rotation of the brief's turns from frame 1 to frame N+1 (so that
frame N+1 is frame 1 and no frame repeats), places the camera at the brief's elevation aimed at the
bounding-box centre and finds by bisection the distance at which the tallest projection of the box
over the turn fills the asked share, adds key/fill/rim area lights, sets the film exposure by bisection so that
the product's mean grey level in a test render sits mid-way in the brief's range, saves the .blend, renders the
listed frames with Cycles at 32 samples and writes the shot report from the scene.

The adversaries (adversaries/*, links to this file) are this oracle with one shortcut, chosen by the
name they run under (box_proxy: the client's model swapped for a box of its bounding box, so that the
framing, the report and the renders all agree with the scene while the frames show no product;
workbench_render: the frames rendered by the Workbench engine, whose studio shading ignores the scene's lights;
unlit_emission: the product's material an emission shaded by its normals, rendered by Cycles, lit by nothing;
painted_fill: each frame's product silhouette, taken from its render, painted over in the render's mean colour
with a little noise: the right outline and brightness, none of the lights' shading). Run as gui_oracle/solve.sh, the same steps are typed into Blender's Python
console on the desktop and the file is saved from the GUI.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

INPUT, OUTPUT = Path(os.environ["ALE_INPUT_DIR"]), Path(os.environ["ALE_OUTPUT_DIR"])
SHORTCUT = os.environ.get("TURNTABLE_SHORTCUT") or Path(sys.argv[0]).name.removesuffix(".py")


def projected_share(corners, lens, sensor, aspect, elevation, target, distance):
    """Height share of the frame taken by points seen from the brief's camera (horizontal sensor fit)."""
    e = math.radians(elevation)
    cam = (0.0, target[1] - distance * math.cos(e), target[2] + distance * math.sin(e))
    up, fwd = (0.0, math.sin(e), math.cos(e)), (0.0, math.cos(e), -math.sin(e))
    vs = []
    for p in corners:
        rel = [p[i] - cam[i] for i in range(3)]
        depth = sum(r * f for r, f in zip(rel, fwd, strict=True))
        vs.append(sum(r * u for r, u in zip(rel, up, strict=True)) / depth)
    return lens / sensor * aspect * (max(vs) - min(vs))


def setup_scene() -> dict:
    """Everything up to the saved file; returns what the render and the report need."""
    import bpy
    from mathutils import Vector

    brief = json.loads((INPUT / "shot_brief.json").read_text())
    n, turns = brief["frames"], brief["turns"]
    sign = 1 if brief["direction"] == "counter-clockwise" else -1
    scene = bpy.context.scene
    for ob in list(bpy.data.objects):
        bpy.data.objects.remove(ob)

    axes = {"Y": ("NEGATIVE_Z", "Y"), "Z": ("Y", "Z")}[brief["up_axis"]]
    bpy.ops.wm.obj_import(filepath=str(INPUT / brief["model"]), forward_axis=axes[0], up_axis=axes[1])
    product = bpy.context.selected_objects[0]
    product.name = "Product"
    factor = {"mm": 0.001, "cm": 0.01, "m": 1.0}[brief["units"]]
    if SHORTCUT == "no_unit_scale":
        factor = 1.0
    product.scale = (factor,) * 3
    bpy.context.view_layer.objects.active = product
    bpy.ops.object.transform_apply(location=True, rotation=True, scale=True)
    co = [v.co.copy() for v in product.data.vertices]
    lo = Vector([min(c[i] for c in co) for i in range(3)])
    hi = Vector([max(c[i] for c in co) for i in range(3)])
    shift = Vector((-(lo.x + hi.x) / 2, -(lo.y + hi.y) / 2, -lo.z))
    if SHORTCUT == "pivot_not_centred":
        product.location = shift  # placed right at frame 1, but it turns about the CAD origin
    else:
        for v in product.data.vertices:
            v.co += shift
    height = hi.z - lo.z
    if SHORTCUT == "box_proxy":  # the client's model swapped for a box over its bounding box
        corners = [(x, y, z) for x in (lo.x + shift.x, hi.x + shift.x) for y in (lo.y + shift.y, hi.y + shift.y)
                   for z in (0.0, height)]
        box = bpy.data.meshes.new("ProductBox")
        box.from_pydata(corners, [], [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)])
        product.data = box
    if SHORTCUT == "unlit_emission":  # shaded by its normals through an emission shader: the lights change nothing
        material = bpy.data.materials.new("Unlit")
        material.use_nodes = True
        nodes, links = material.node_tree.nodes, material.node_tree.links
        nodes.clear()
        emission = nodes.new("ShaderNodeEmission")
        links.new(nodes.new("ShaderNodeNewGeometry").outputs["Normal"], emission.inputs["Color"])
        links.new(emission.outputs["Emission"], nodes.new("ShaderNodeOutputMaterial").inputs["Surface"])
        product.data.materials.clear()
        product.data.materials.append(material)

    end = n if SHORTCUT == "loop_off_by_one" else n + 1
    product.rotation_euler = (0, 0, 0)
    product.keyframe_insert("rotation_euler", index=2, frame=1)
    product.rotation_euler = (0, 0, sign * turns * 2 * math.pi)
    product.keyframe_insert("rotation_euler", index=2, frame=end)
    for fc in product.animation_data.action.fcurves:
        for k in fc.keyframe_points:
            k.interpolation = "BEZIER" if SHORTCUT == "bezier_easing" else "LINEAR"

    w, h = brief["resolution"]
    scene.render.fps, scene.render.fps_base = brief["fps"], 1.0
    scene.frame_start, scene.frame_end = 1, n
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = w, h, 100
    scene.render.film_transparent = True
    scene.render.engine = "BLENDER_WORKBENCH" if SHORTCUT == "workbench_render" else "CYCLES"
    scene.cycles.samples = 32
    scene.cycles.use_denoising = False
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGBA"

    target = (0.0, 0.0, height / 2)
    corners_by_frame = []
    for f in range(1, n + 1):
        scene.frame_set(f)
        m = product.matrix_world
        corners_by_frame.append([tuple(m @ Vector(c)) for c in product.bound_box])
    scene.frame_set(1)
    fitted = corners_by_frame[:1] if SHORTCUT == "camera_framing_one_frame" else corners_by_frame
    args = (brief["focal_length_mm"], brief["sensor_width_mm"], w / h, brief["camera_elevation_deg"], target)

    def tallest(d, frames=fitted):
        return max(projected_share(c, *args, d) for c in frames)

    near, far = height * 0.5, height * 200
    for _ in range(80):
        mid = math.sqrt(near * far)
        near, far = (mid, far) if tallest(mid) > brief["height_share"] else (near, mid)
    distance = math.sqrt(near * far)

    e = math.radians(brief["camera_elevation_deg"])
    cam_data = bpy.data.cameras.new("Camera")
    cam_data.lens, cam_data.sensor_width, cam_data.sensor_fit = brief["focal_length_mm"], brief["sensor_width_mm"], "HORIZONTAL"
    cam_data.clip_start, cam_data.clip_end = distance / 100, distance * 100
    cam = bpy.data.objects.new("Camera", cam_data)
    scene.collection.objects.link(cam)
    cam.location = (0, -distance * math.cos(e), target[2] + distance * math.sin(e))
    cam.rotation_euler = (math.pi / 2 - e, 0, 0)
    scene.camera = cam

    r = distance * 0.8
    for name, energy, color, (az, el) in (
            ("Key", brief["key_w"], (1.0, 0.78, 0.56), (-45, 35)),
            ("Fill", brief["key_w"] / brief["key_fill_ratio"], (1.0, 1.0, 1.0), (50, 15)),
            ("Rim", brief["rim_w"], (0.78, 0.86, 1.0), (10 if SHORTCUT == "rim_in_front" else 160, 45))):
        light = bpy.data.lights.new(name, "AREA")
        light.energy, light.color, light.size = energy, color, r * 0.3
        ob = bpy.data.objects.new(name, light)
        scene.collection.objects.link(ob)
        a, b = math.radians(az - 90), math.radians(el)
        ob.location = (r * math.cos(b) * math.cos(a), r * math.cos(b) * math.sin(a), target[2] + r * math.sin(b))
        ob.rotation_euler = (Vector(target) - ob.location).to_track_quat("-Z", "Y").to_euler()

    expose(scene, brief["product_grey"])
    return {"brief": brief, "product": product, "corners": corners_by_frame, "args": args, "distance": distance,
            "factor": factor, "height": height, "tallest": tallest}


def expose(scene, grey_range: list[float]) -> None:
    """The film exposure at which the product's mean grey level in a render of the current frame is the middle of
    the brief's range (bisection in stops: the view transform is monotonic)."""
    import bpy
    import numpy as np

    target = sum(grey_range) / 2
    path = Path(tempfile.gettempdir()) / "turntable_exposure.png"
    scene.render.filepath = str(path)
    low, high = -10.0, 2.0
    for _ in range(6):
        scene.view_settings.exposure = (low + high) / 2
        bpy.ops.render.render(write_still=True)
        img = bpy.data.images.load(str(path))
        w, h = img.size
        px = np.array(img.pixels[:], np.float32).reshape(h, w, 4)
        bpy.data.images.remove(img)
        grey = px[:, :, :3][px[:, :, 3] > 0.99].mean()
        low, high = (scene.view_settings.exposure, high) if grey < target else (low, scene.view_settings.exposure)
    scene.view_settings.exposure = (low + high) / 2


def box_mask(scene, product, frame: int) -> None:
    """No render: an opaque grey box over the product's projected extent at that frame, transparent elsewhere."""
    import bpy
    import numpy as np
    from bpy_extras.object_utils import world_to_camera_view

    scene.frame_set(frame)
    m = product.matrix_world.copy()
    uv = [world_to_camera_view(scene, scene.camera, m @ v.co) for v in product.data.vertices]
    w, h = scene.render.resolution_x, scene.render.resolution_y
    px = np.zeros((h, w, 4), np.float32)
    px[round(min(p[1] for p in uv) * h):round(max(p[1] for p in uv) * h),
       round(min(p[0] for p in uv) * w):round(max(p[0] for p in uv) * w)] = (0.5, 0.5, 0.5, 1.0)
    img = bpy.data.images.new(f"mask{frame}", w, h, alpha=True)
    img.pixels.foreach_set(px.ravel())
    img.filepath_raw, img.file_format = scene.render.filepath, "PNG"
    img.save()


def paint_silhouette(path: str, frame: int) -> None:
    """Keep the PNG's alpha, paint the product in its mean colour with a little noise: the silhouette without the shading."""
    import bpy
    import numpy as np

    img = bpy.data.images.load(path)
    w, h = img.size
    px = np.array(img.pixels[:], np.float32).reshape(h, w, 4)
    colour = px[:, :, :3][px[:, :, 3] > 0.99].mean(axis=0)
    noise = np.random.default_rng(frame).normal(0.0, 0.03, (h, w, 1))
    px[:, :, :3] = np.clip(colour + noise, 0, 1)
    img.pixels.foreach_set(px.ravel())
    img.filepath_raw, img.file_format = path, "PNG"
    img.save()
    bpy.data.images.remove(img)


def render_and_report(state: dict) -> None:
    """Render the brief's frames of the current scene and write the shot report from it."""
    import bpy

    scene, brief, product = bpy.context.scene, state["brief"], state["product"]
    corners_by_frame, args, distance = state["corners"], state["args"], state["distance"]
    (OUTPUT / "frames").mkdir(exist_ok=True)
    rows = []
    for f in brief["render_frames"]:
        scene.frame_set(1 if SHORTCUT == "stale_frames" else f)
        scene.render.filepath = str(OUTPUT / "frames" / f"frame_{f:04d}.png")
        if SHORTCUT == "box_mask_frames":
            box_mask(scene, product, f)
        else:
            bpy.ops.render.render(write_still=True)
        if SHORTCUT == "painted_fill":
            paint_silhouette(scene.render.filepath, f)
        scene.frame_set(f)
        rot = product.matrix_world.to_euler().z
        rows.append({"frame": f, "rotation_deg": round(math.degrees(rot) % 360, 4),
                     "height_share": round(projected_share(corners_by_frame[f - 1], *args, distance), 5)})
    scene.frame_set(1)
    report = {"scale_factor": state["factor"], "product_height_m": round(state["height"], 6), "camera_distance_m": round(distance, 6),
              "camera_elevation_deg": brief["camera_elevation_deg"],
              "max_height_share": round(state["tallest"](distance, corners_by_frame), 5),
              "pivot_m": [0.0, 0.0, 0.0], "frames": rows}
    (OUTPUT / "shot_report.json").write_text(json.dumps(report, indent=2) + "\n")


def computer(*args: str) -> str:
    return subprocess.run(["ale-computer", *args], check=True, capture_output=True, text=True).stdout


def wait_for(path: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.is_file() and path.stat().st_size > 0:
            return True
        time.sleep(2)
    return False


def settle(pid: int, seconds: float = 120) -> None:
    """Wait until Blender is idle, waiting for input (under 5 % of a core over two seconds running), so that keys
    go to what it has drawn by then (its splash screen, a console, a dialog) however loaded the machine is."""
    def cpu() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    deadline, last = time.monotonic() + seconds, cpu()
    while time.monotonic() < deadline:
        time.sleep(2)
        now = cpu()
        if now - last < 0.1:
            return
        last = now


def gui() -> None:
    """The same work in Blender on the desktop: statements typed into its Python console, the file saved
    through its Save As dialog, the frames rendered from the open scene. Each step waits for Blender to be idle,
    and each statement leaves a marker file, so that a step Blender missed is seen and taken again."""
    started = computer("launch", "blender --factory-startup", "30")
    pid = int(started.split("(pid ")[1].split(")")[0])
    settle(pid)
    markers = Path(tempfile.mkdtemp(prefix="turntable_gui_"))
    solve = Path(__file__).resolve()
    loaded = markers / "loaded"
    for _ in range(4):
        computer("key", "Escape")  # the splash screen
        computer("move", "640", "420")  # over the 3D viewport
        computer("key", "shift+F4")  # the area under the pointer becomes a Python console
        settle(pid)
        computer("click", "640", "420")
        computer("type", f"import os, runpy; os.environ.update(ALE_INPUT_DIR={str(INPUT)!r}, "
                         f"ALE_OUTPUT_DIR={str(OUTPUT)!r}); tt = runpy.run_path({str(solve)!r}, run_name='gui'); "
                         f"open({str(loaded)!r}, 'w').write('ok')")
        computer("key", "Return")  # Blender reads typed newlines as nothing: Return runs the line
        settle(pid)
        if wait_for(loaded, 10):
            break
    else:
        sys.exit("Blender's Python console did not take the statements")
    set_up = markers / "set_up"
    computer("type", f"state = tt['setup_scene'](); open({str(set_up)!r}, 'w').write('ok')")
    computer("key", "Return")
    if not wait_for(set_up, 600):
        sys.exit("Blender did not set the scene up")
    settle(pid)
    computer("type", f"bpy.ops.wm.save_as_mainfile('INVOKE_DEFAULT', filepath={str(OUTPUT / 'turntable.blend')!r})")
    computer("key", "Return")
    blend = OUTPUT / "turntable.blend"
    for _ in range(6):  # the Save As dialog: Return confirms the typed-in name, then saves
        settle(pid)
        computer("key", "Return")
        if wait_for(blend, 10):
            break
    settle(pid)
    computer("move", "640", "420")
    computer("type", "tt['render_and_report'](state)")
    computer("key", "Return")
    if not wait_for(OUTPUT / "shot_report.json", 600):
        sys.exit("Blender did not finish the render")
    computer("key", "ctrl+q")


def main() -> None:
    if sys.argv[0].endswith(".sh"):
        gui()
        return
    try:
        import bpy  # present only inside Blender
    except ImportError:
        env = dict(os.environ, TURNTABLE_SHORTCUT=SHORTCUT)
        subprocess.run(["blender", "-b", "--factory-startup", "--python-exit-code", "1", "--python",
                        str(Path(__file__).resolve()), "--", SHORTCUT], check=True, env=env)
        return
    import bpy

    state = setup_scene()
    bpy.ops.wm.save_as_mainfile(filepath=str(OUTPUT / "turntable.blend"))
    render_and_report(state)


if __name__ == "__main__":  # run_path(..., run_name="gui") from Blender's console only loads the functions
    main()
