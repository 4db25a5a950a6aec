#!/usr/bin/env python3
"""The file-level oracle: the bracket modelled as a FreeCAD PartDesign body in FreeCAD's console mode.

It reads the part from part_spec.json (the drawing's dimensions and tables), builds a PartDesign
body (pads for the stock blocks, a fillet feature on the stated corner edges, pockets for the
counterbores, holes, slot and the blind pocket), saves bracket.FCStd, exports bracket.step, and
writes mass_properties.json and inspection.csv from the model's own measurements.

The adversaries (adversaries/*, links to this file) are this oracle with one shortcut, chosen by the
name it runs under (fillet_on_foreign_solid: the part as a plain solid outside the body, the body a fillet
on it; primitives_token_sketch: the body built from primitives with an empty sketch for the tree;
primitives_one_sketch: the same primitives, the slot alone pocketed from a sketch; tip_outside_body: the part as a
plain solid outside the body, the body's Tip a base feature on it beside a token tree of sketched features;
cbores_shallow: the counterbores 0.25 mm shallower than drawn, the inspection table copying the nominal sizes). Run as gui_oracle/solve.sh, the same construction is typed into the Python
console of FreeCAD's GUI on the sandbox's desktop and the file is saved from the GUI.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

INPUT, OUTPUT = Path(os.environ["ALE_INPUT_DIR"]), Path(os.environ["ALE_OUTPUT_DIR"])
SHORTCUT = Path(sys.argv[0]).name.removesuffix(".py").removesuffix(".sh")
GUI = sys.argv[0].endswith(".sh")

BUILD = r'''
import json, math
import FreeCAD, Part
V = FreeCAD.Vector
job = json.load(open(JOB))
spec, shortcut = job["spec"], job["shortcut"]
doc = FreeCAD.newDocument("bracket")
body = doc.addObject("PartDesign::Body", "Body")
count = [0]

def sketch(label, base, normal, geos):
    count[0] += 1
    sk = body.newObject("Sketcher::SketchObject", f"Sketch{count[0]:02d}_{label}")
    sk.Placement = FreeCAD.Placement(V(*base), FreeCAD.Rotation(V(0, 0, 1), V(*normal)))
    for g in geos:
        sk.addGeometry(g, False)
    return sk

def rect(x0, y0, x1, y1):
    pts = [V(x0, y0, 0), V(x1, y0, 0), V(x1, y1, 0), V(x0, y1, 0)]
    return [Part.LineSegment(pts[i], pts[(i + 1) % 4]) for i in range(4)]

def circle(r):
    return [Part.Circle(V(0, 0, 0), V(0, 0, 1), r)]

def pad(label, sk, length):
    f = body.newObject("PartDesign::Pad", label)
    f.Profile, f.Length = sk, length
    return f

def pocket(label, sk, depth=None):
    f = body.newObject("PartDesign::Pocket", label)
    f.Profile = sk
    if depth is None:
        f.Type = "ThroughAll"
    else:
        f.Length = depth
    return f

def corner_edges(shape):
    """The names of the shape's vertical edges at the drawing's fillet corners, through the base's thickness."""
    names = []
    for i, e in enumerate(shape.Edges):
        bb = e.BoundBox
        for cx, cy in cf["corners"]:
            if (abs(bb.XMin - cx) < 1e-6 and abs(bb.XMax - cx) < 1e-6 and abs(bb.YMin - cy) < 1e-6
                    and abs(bb.YMax - cy) < 1e-6 and abs(bb.ZMin) < 1e-6 and abs(bb.ZMax - T) < 1e-6):
                names.append(f"Edge{i + 1}")
    return names

L, W, T = spec["blocks"][0]["size"]
for b in spec["blocks"]:
    (x, y, z), (dx, dy, dz) = b["min"], b["size"]
    last = pad("Pad_" + b["name"], sketch(b["name"], (0, 0, z), (0, 0, 1), rect(x, y, x + dx, y + dy)), dz)
doc.recompute()
cf = spec["corner_fillets"]
if shortcut != "no_fillets":
    fil = body.newObject("PartDesign::Fillet", "Fillet_corners")
    fil.Base = (last, corner_edges(last.Shape))
    fil.Radius = cf["radius"]
    doc.recompute()
for h in spec["holes"]:
    e, ax = list(h["entry"]), h["axis"]
    if shortcut == "hole_pattern_mirrored" and h["type"] == "counterbore":
        e[1] = W - e[1]
    normal = [-a for a in ax]
    if h["type"] == "counterbore" and shortcut != "counterbore_as_through":
        depth = h["cbore_depth"] - (0.25 if shortcut == "cbores_shallow" else 0)
        pocket(h["id"] + "_cbore", sketch(h["id"] + "_cbore", e, normal, circle(h["cbore_diameter"] / 2)), depth)
    pocket(h["id"], sketch(h["id"], e, normal, circle(h["diameter"] / 2)))
s = spec["slot"]
(x1, y), (x2, _) = s["from"], s["to"]
r = s["width"] / 2
geos = [Part.ArcOfCircle(Part.Circle(V(x1, y, 0), V(0, 0, 1), r), math.pi / 2, 3 * math.pi / 2),
        Part.LineSegment(V(x1, y - r, 0), V(x2, y - r, 0)),
        Part.ArcOfCircle(Part.Circle(V(x2, y, 0), V(0, 0, 1), r), -math.pi / 2, math.pi / 2),
        Part.LineSegment(V(x2, y + r, 0), V(x1, y + r, 0))]
pocket(s["id"], sketch(s["id"], (0, 0, s["top"]), (0, 0, 1), geos))
p = spec["pocket"]
pocket(p["id"], sketch(p["id"], (0, 0, p["top"]), (0, 0, 1), rect(*p["min"], *p["max"])), p["depth"])
doc.recompute()
shape = body.Shape
assert shape.isValid() and len(shape.Solids) == 1, "invalid body"
exported = shape.copy()
if shortcut == "inch_units":
    exported = exported.scale(1 / 25.4)
exported.exportStep(job["step"])
if job["fcstd"] is None:
    pass  # the GUI saves the document (ctrl+s)
elif shortcut == "dumb_solid":
    doc2 = FreeCAD.newDocument("imported")
    dumb = Part.Shape()
    dumb.read(job["step"])
    doc2.addObject("Part::Feature", "bracket").Shape = dumb
    doc2.saveAs(job["fcstd"])
elif shortcut == "token_body":
    # a token PartDesign body (a sketch, a pad, empty pockets) whose stored shape is overwritten with the part
    doc3 = FreeCAD.newDocument("token")
    tb = doc3.addObject("PartDesign::Body", "Body")
    tsk = tb.newObject("Sketcher::SketchObject", "Sketch")
    for g in rect(0, 0, 10, 10):
        tsk.addGeometry(g, False)
    tpad = tb.newObject("PartDesign::Pad", "Pad")
    tpad.Profile, tpad.Length = tsk, 5
    for i in range(3):
        tb.newObject("PartDesign::Pocket", f"Pocket{i}")
    doc3.recompute()
    tb.Shape = shape.copy()
    doc3.saveAs(job["fcstd"])
elif shortcut == "fillet_on_foreign_solid":
    # the part without its fillets as a plain solid outside the body; the body is a fillet whose base is
    # that solid, then pockets that re-cut three holes
    doc4 = FreeCAD.newDocument("foreign")
    bare = Part.makeBox(L, W, T)
    for b in spec["blocks"][1:]:
        bare = bare.fuse(Part.makeBox(*b["size"], V(*b["min"])))
    for h in spec["holes"]:
        e, ax = V(*h["entry"]), V(*h["axis"])
        bare = bare.cut(Part.makeCylinder(h["diameter"] / 2, 1000, e - ax * 500, ax))
        if h["type"] == "counterbore":
            bare = bare.cut(Part.makeCylinder(h["cbore_diameter"] / 2, h["cbore_depth"] + 50, e - ax * 50, ax))
    (x1, y), (x2, _) = s["from"], s["to"]
    for tool in (Part.makeCylinder(r, 1000, V(x1, y, -500)), Part.makeCylinder(r, 1000, V(x2, y, -500)),
                 Part.makeBox(x2 - x1, 2 * r, 1000, V(x1, y - r, -500)),
                 Part.makeBox(p["max"][0] - p["min"][0], p["max"][1] - p["min"][1], p["depth"] + 50,
                              V(p["min"][0], p["min"][1], p["top"] - p["depth"]))):
        bare = bare.cut(tool)
    stock = doc4.addObject("Part::Feature", "Stock")
    stock.Shape = bare.removeSplitter()
    body = doc4.addObject("PartDesign::Body", "Body")
    body.newObject("Sketcher::SketchObject", "Sketch")
    fil = body.newObject("PartDesign::Fillet", "Fillet")
    fil.Base = (stock, corner_edges(stock.Shape))
    fil.Radius = cf["radius"]
    doc4.recompute()
    for h in spec["holes"][:3]:
        pocket(h["id"], sketch(h["id"], h["entry"], [-a for a in h["axis"]], circle(h["diameter"] / 2)))
    doc4.recompute()
    doc4.saveAs(job["fcstd"])
elif shortcut == "tip_outside_body":
    # the part as a plain solid outside the body; the body holds a token tree (a pad and three pockets drawn
    # from sketches) and its Tip is a base feature outside the body that takes that solid
    doc6 = FreeCAD.newDocument("outside")
    solid = doc6.addObject("Part::Feature", "Solid")
    solid.Shape = shape.copy()
    outside_tip = doc6.addObject("PartDesign::FeatureBase", "Tip")
    outside_tip.BaseFeature = solid
    body = doc6.addObject("PartDesign::Body", "Body")
    pad("Pad", sketch("token", (0, 0, 0), (0, 0, 1), rect(0, 0, 10, 10)), 5)
    for i in range(3):
        pocket(f"Pocket{i}", sketch(f"token_hole{i}", (2 + 3 * i, 5, 5), (0, 0, 1), circle(1)))
    doc6.recompute()
    body.Tip = outside_tip
    doc6.recompute()
    doc6.saveAs(job["fcstd"])
elif shortcut in ("primitives_token_sketch", "primitives_one_sketch"):
    # the part typed as PartDesign primitives (boxes and cylinders, as the solid is built by CSG) with one
    # empty sketch in the tree, or with the slot alone drawn and pocketed from a sketch
    doc5 = FreeCAD.newDocument("primitives")
    body = doc5.addObject("PartDesign::Body", "Body")
    if shortcut == "primitives_token_sketch":
        body.newObject("Sketcher::SketchObject", "Sketch")

    def primitive(kind, base, axis, **sizes):
        f = body.newObject("PartDesign::" + kind, kind)
        for k, v in sizes.items():
            setattr(f, k, v)
        f.Placement = FreeCAD.Placement(V(*base), FreeCAD.Rotation(V(0, 0, 1), V(*axis)))
        return f

    for b in spec["blocks"]:
        stock = primitive("AdditiveBox", b["min"], (0, 0, 1), Length=b["size"][0], Width=b["size"][1], Height=b["size"][2])
    doc5.recompute()
    fil = body.newObject("PartDesign::Fillet", "Fillet")
    fil.Base = (stock, corner_edges(stock.Shape))
    fil.Radius = cf["radius"]
    doc5.recompute()
    for h in spec["holes"]:
        e, ax = V(*h["entry"]), V(*h["axis"])
        primitive("SubtractiveCylinder", e - ax * 500, h["axis"], Radius=h["diameter"] / 2, Height=1000)
        if h["type"] == "counterbore":
            primitive("SubtractiveCylinder", e - ax * 50, h["axis"], Radius=h["cbore_diameter"] / 2,
                      Height=h["cbore_depth"] + 50)
    if shortcut == "primitives_one_sketch":
        doc5.recompute()
        pocket(s["id"], sketch(s["id"], (0, 0, s["top"]), (0, 0, 1), geos))
    else:
        primitive("SubtractiveCylinder", (x1, y, -500), (0, 0, 1), Radius=r, Height=1000)
        primitive("SubtractiveCylinder", (x2, y, -500), (0, 0, 1), Radius=r, Height=1000)
        primitive("SubtractiveBox", (x1, y - r, -500), (0, 0, 1), Length=x2 - x1, Width=2 * r, Height=1000)
    primitive("SubtractiveBox", (p["min"][0], p["min"][1], p["top"] - p["depth"]), (0, 0, 1),
              Length=p["max"][0] - p["min"][0], Width=p["max"][1] - p["min"][1], Height=p["depth"] + 50)
    doc5.recompute()
    doc5.saveAs(job["fcstd"])
else:
    doc.saveAs(job["fcstd"])

def measure_cyl(center, axis_index, nominal):
    best = None
    for f in shape.Faces:
        if f.Surface.TypeId != "Part::GeomCylinder":
            continue
        c, a = f.Surface.Center, f.Surface.Axis
        off = [c.x - center[0], c.y - center[1], c.z - center[2]]
        off[axis_index] = 0
        if abs(abs([a.x, a.y, a.z][axis_index]) - 1) < 1e-6 and math.hypot(*off) < 1e-3:
            d = 2 * f.Surface.Radius
            if best is None or abs(d - nominal) < abs(best - nominal):
                best = d
    return best

def floor_z(x, y, r):
    zs = [f.CenterOfMass.z for f in shape.Faces if f.Surface.TypeId == "Part::GeomPlane"
          and abs(abs(f.normalAt(0, 0).z) - 1) < 1e-6 and math.hypot(f.CenterOfMass.x - x, f.CenterOfMass.y - y) < r]
    return max(zs) if zs else None

bb = shape.BoundBox
rows = [("overall_length", L, bb.XLength), ("overall_width", W, bb.YLength), ("overall_height",
        max(b["min"][2] + b["size"][2] for b in spec["blocks"]), bb.ZLength)]
for h in spec["holes"]:
    k = [abs(a) for a in h["axis"]].index(1)
    rows.append((h["id"] + " diameter", h["diameter"], measure_cyl(h["entry"], k, h["diameter"])))
    if h["type"] == "counterbore":
        rows.append((h["id"] + " cbore_diameter", h["cbore_diameter"], measure_cyl(h["entry"], k, h["cbore_diameter"])))
        z = floor_z(h["entry"][0], h["entry"][1], h["cbore_diameter"] / 2)
        rows.append((h["id"] + " cbore_depth", h["cbore_depth"], None if z is None else h["entry"][2] - z))
rows.append((s["id"] + " width", s["width"], measure_cyl((x1, y, 0), 2, s["width"])))
z = floor_z((p["min"][0] + p["max"][0]) / 2, (p["min"][1] + p["max"][1]) / 2, 1.0)
rows.append((p["id"] + " depth", p["depth"], None if z is None else p["top"] - z))
cx, cy = cf["corners"][0]
cx += cf["radius"] if cx == 0 else -cf["radius"]
cy += cf["radius"] if cy == 0 else -cf["radius"]
fillet = measure_cyl((cx, cy, 0), 2, 2 * cf["radius"])
rows.append(("fillet radius", cf["radius"], None if fillet is None else fillet / 2))
com = shape.CenterOfMass
json.dump({"volume": shape.Volume, "com": [com.x, com.y, com.z],
           "bbox": {"min": [bb.XMin, bb.YMin, bb.ZMin], "max": [bb.XMax, bb.YMax, bb.ZMax]},
           "inspection": rows}, open(job["result"], "w"))
'''


def freecad_build(spec: dict, work: Path) -> dict:
    """Build, save and export the part with FreeCAD in console mode; the model's measurements."""
    job = {"spec": spec, "shortcut": SHORTCUT, "step": str(OUTPUT / "bracket.step"),
           "fcstd": str(OUTPUT / "bracket.FCStd"), "result": str(work / "result.json")}
    (work / "job.json").write_text(json.dumps(job))
    script = work / "build.py"
    script.write_text(f"JOB = {str(work / 'job.json')!r}\n" + BUILD)
    env = dict(os.environ, HOME=str(work), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(["freecad", "-c", f"exec(open({str(script)!r}).read())"], capture_output=True, text=True, env=env, timeout=600)
    if not (work / "result.json").exists():
        sys.exit(f"freecadcmd failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return json.loads((work / "result.json").read_text())


def computer(*args: str) -> None:
    """One action on the desktop through the computer tools."""
    subprocess.run(["ale-computer", *args], check=True, stdout=subprocess.DEVNULL)


def wait_for(path: Path, seconds: float) -> bool:
    for _ in range(int(seconds * 5)):
        if path.exists() and path.stat().st_size > 0:
            return True
        time.sleep(0.2)
    return False


def gui_build(spec: dict, work: Path) -> dict:
    """The same construction typed into the Python console of FreeCAD's GUI; saved from the GUI."""
    fcstd = OUTPUT / "bracket.FCStd"
    job = {"spec": spec, "shortcut": SHORTCUT, "step": str(OUTPUT / "bracket.step"), "fcstd": None,
           "result": str(work / "result.json")}
    (work / "job.json").write_text(json.dumps(job))
    (work / "build.py").write_text(f"JOB = {str(work / 'job.json')!r}\n" + BUILD)
    computer("launch", "freecad")
    computer("wait", "20")
    computer("click", "96", "9")  # View
    computer("wait", "1")
    computer("click", "126", "522")  # Panels
    computer("wait", "1")
    computer("click", "499", "591")  # Python console
    computer("wait", "2")
    computer("click", "700", "700")
    computer("type", f"exec(open({str(work / 'build.py')!r}).read())")
    computer("key", "Return")
    if not wait_for(work / "result.json", 120):
        computer("screenshot", str(OUTPUT / "debug1.png"))
        sys.exit("the build in FreeCAD's console did not finish")
    computer("wait", "2")
    computer("key", "ctrl+s")
    computer("wait", "3")
    computer("key", "ctrl+a")
    computer("type", str(fcstd))
    computer("key", "Return")
    if not wait_for(fcstd, 60):
        computer("screenshot", str(OUTPUT / "debug3.png"))
        sys.exit("FreeCAD did not save the document")
    computer("wait", "2")
    computer("key", "ctrl+q")
    computer("wait", "3")
    return json.loads((work / "result.json").read_text())


def write_reports(spec: dict, model: dict) -> None:
    density = spec["material"]["density_g_cm3"]
    if SHORTCUT == "mass_with_wrong_density":
        density = 2.81
    mass = model["volume"] * density / 1000.0
    budget = spec["mass_budget_g"]
    verdict = "within budget" if mass <= budget else "over budget"
    (OUTPUT / "mass_properties.json").write_text(json.dumps({
        "volume_mm3": round(model["volume"], 3), "mass_g": round(mass, 3),
        "center_of_mass_mm": [round(v, 4) for v in model["com"]],
        "bounding_box_mm": {k: [round(v, 4) for v in vals] for k, vals in model["bbox"].items()},
        "mass_budget_g": budget, "verdict": verdict}, indent=2) + "\n")
    with (OUTPUT / "inspection.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["feature", "nominal_mm", "measured_mm"])
        for name, nominal, measured in model["inspection"]:
            if SHORTCUT == "cbores_shallow":
                measured = nominal
            out.writerow([name, f"{nominal:g}", "" if measured is None else f"{measured:.4f}"])


def main() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    spec = json.loads((INPUT / "part_spec.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        model = gui_build(spec, Path(tmp)) if GUI else freecad_build(spec, Path(tmp))
    write_reports(spec, model)


if __name__ == "__main__":
    main()
