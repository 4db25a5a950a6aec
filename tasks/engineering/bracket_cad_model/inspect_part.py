"""Run by freecadcmd in the grader's tool sandbox: inspect a submitted bracket against its spec.

Reads spec.json (the drawing's part), probes.json (hidden test points), bracket.step and bracket.FCStd
from the working directory; builds the reference solid from the spec by constructive solid geometry;
writes report.json: the STEP solid's volume, bounding box, centre of mass, face/edge counts, the
probes' verdicts (the hidden ones, and probes 0.02 mm either side of every drawn surface of a hole,
counterbore, slot, pocket and fillet, judged by the reference), its symmetric difference with the
reference, and the FCStd's object types and its
body's volume and symmetric difference with the STEP, after every feature of the document is rebuilt
from its parameters (the shapes stored in the file are not trusted; a feature left failed or
unrebuilt is noted).
"""

import json
import math
import traceback
from pathlib import Path

import FreeCAD
import Part

V = FreeCAD.Vector


def reference(spec):
    b0 = spec["blocks"][0]
    shape = Part.makeBox(*b0["size"], V(*b0["min"]))
    cf = spec["corner_fillets"]
    T = b0["size"][2]
    edges = [e for e in shape.Edges
             if any(abs(e.BoundBox.XMin - x) < 1e-6 and abs(e.BoundBox.XMax - x) < 1e-6 and abs(e.BoundBox.YMin - y) < 1e-6
                    and abs(e.BoundBox.YMax - y) < 1e-6 and abs(e.Length - T) < 1e-6 for x, y in cf["corners"])]
    shape = shape.makeFillet(cf["radius"], edges)
    for b in spec["blocks"][1:]:
        shape = shape.fuse(Part.makeBox(*b["size"], V(*b["min"])))
    cuts = []
    for h in spec["holes"]:
        e, ax = V(*h["entry"]), V(*h["axis"])
        cuts.append(Part.makeCylinder(h["diameter"] / 2, 1000, e - ax * 500, ax))
        if h["type"] == "counterbore":
            cuts.append(Part.makeCylinder(h["cbore_diameter"] / 2, h["cbore_depth"] + 50, e - ax * 50, ax))
    s = spec["slot"]
    (x1, y), (x2, _) = s["from"], s["to"]
    r = s["width"] / 2
    cuts += [Part.makeCylinder(r, 1000, V(x1, y, -500)), Part.makeCylinder(r, 1000, V(x2, y, -500)),
             Part.makeBox(x2 - x1, 2 * r, 1000, V(x1, y - r, -500))]
    p = spec["pocket"]
    cuts.append(Part.makeBox(p["max"][0] - p["min"][0], p["max"][1] - p["min"][1], p["depth"] + 50,
                             V(p["min"][0], p["min"][1], p["top"] - p["depth"])))
    for c in cuts:
        shape = shape.cut(c)
    return shape.removeSplitter()


# twice the drawing's 0.01 mm: a drawn surface off its size or place by more than this puts one of the probes
# either side of it on the wrong side
OFFSET = 0.02


def ring(centre, axis, radius, count=8):
    """``count`` points on the circle of ``radius`` about ``axis`` (along X, Y or Z) through ``centre``."""
    k = [abs(a) for a in axis].index(1)
    u, v = [i for i in range(3) if i != k]
    points = []
    for j in range(count):
        angle = 2 * math.pi * (j + 0.5) / count
        point = list(centre)
        point[u] += radius * math.cos(angle)
        point[v] += radius * math.sin(angle)
        points.append(point)
    return points


def surface_probes(spec, bbox):
    """(feature, point) pairs 0.02 mm either side of each drawn surface: hole and counterbore walls along
    their axes, counterbore floors, slot sides and ends, pocket floor and walls, fillet arcs."""
    out = []
    T = spec["blocks"][0]["size"][2]
    for h in spec["holes"]:
        e, ax = h["entry"], h["axis"]
        k = [abs(a) for a in ax].index(1)
        span = e[k] - bbox[k] if ax[k] < 0 else bbox[k + 3] - e[k]
        for share in (0.1, 0.3, 0.5, 0.7, 0.9):
            centre = [e[i] + ax[i] * share * span for i in range(3)]
            out += [("hole", p) for r in (h["diameter"] / 2 - OFFSET, h["diameter"] / 2 + OFFSET) for p in ring(centre, ax, r)]
        if h["type"] == "counterbore":
            r_cbore, depth = h["cbore_diameter"] / 2, h["cbore_depth"]
            centre = [e[i] + ax[i] * depth / 2 for i in range(3)]
            out += [("counterbore", p) for r in (r_cbore - OFFSET, r_cbore + OFFSET) for p in ring(centre, ax, r)]
            for t in (depth - OFFSET, depth + OFFSET):
                centre = [e[i] + ax[i] * t for i in range(3)]
                out += [("counterbore", p) for p in ring(centre, ax, (h["diameter"] / 2 + r_cbore) / 2, 4)]
    s = spec["slot"]
    (x1, y), (x2, _) = s["from"], s["to"]
    r = s["width"] / 2
    for d in (r - OFFSET, r + OFFSET):
        out += [("slot", [x, y + side * d, T / 2]) for x in (x1, (x1 + x2) / 2, x2) for side in (-1, 1)]
        out += [("slot", p) for x in (x1, x2) for p in ring([x, y, T / 2], [0, 0, 1], d)]
    p = spec["pocket"]
    (xa, ya), (xb, yb) = p["min"], p["max"]
    cx, cy, floor = (xa + xb) / 2, (ya + yb) / 2, p["top"] - p["depth"]
    for z in (floor - OFFSET, floor + OFFSET):
        out += [("pocket", [x, y, z]) for x, y in ((cx, cy), (xa + 1, ya + 1), (xb - 1, ya + 1), (xb - 1, yb - 1), (xa + 1, yb - 1))]
    for d in (-OFFSET, OFFSET):
        z = p["top"] - p["depth"] / 2
        out += [("pocket", [xa + d, cy, z]), ("pocket", [xb + d, cy, z]), ("pocket", [cx, ya + d, z]), ("pocket", [cx, yb + d, z])]
    cf = spec["corner_fillets"]
    rf = cf["radius"]
    for x, y in cf["corners"]:
        centre = [x + (rf if x == 0 else -rf), y + (rf if y == 0 else -rf), T / 2]
        # four points on the diagonals (one toward the corner, where a radius error shows most) and eight between
        out += [("fillet", q) for d in (rf - OFFSET, rf + OFFSET) for count in (4, 8) for q in ring(centre, [0, 0, 1], d, count)]
    return out


def solid_of(shape):
    solids = shape.Solids
    if not solids:
        return None
    return solids[0] if len(solids) == 1 else Part.makeCompound(solids)


def describe(shape):
    bb = shape.BoundBox
    com = shape.CenterOfMass if hasattr(shape, "CenterOfMass") else shape.Solids[0].CenterOfMass
    return {"volume": shape.Volume, "bbox": [bb.XMin, bb.YMin, bb.ZMin, bb.XMax, bb.YMax, bb.ZMax],
            "com": [com.x, com.y, com.z], "faces": len(shape.Faces), "edges": len(shape.Edges),
            "solids": len(shape.Solids), "valid": shape.isValid()}


# objects outside a body that its features may depend on: datum geometry and parameter containers
PARAMETERS = {"App::Origin", "App::Plane", "App::Line", "App::Point", "Spreadsheet::Sheet", "App::VarSet"}


def _profile(feature):
    """The name of the object a sketch-based feature is drawn from (its Profile), else None."""
    link = getattr(feature, "Profile", None)
    link = link[0] if isinstance(link, (tuple, list)) and link else link
    return getattr(link, "Name", None)


def symdiff(a, b):
    return a.cut(b).Volume + b.cut(a).Volume


def main():
    spec = json.loads(Path("spec.json").read_text())
    probes = json.loads(Path("probes.json").read_text())
    report = {}
    ref = reference(spec)
    report["reference"] = describe(ref)
    step = Part.Shape()
    try:
        step.read("bracket.step")
        step = solid_of(step)
    except Exception as exc:
        step = None
        report["step_error"] = str(exc)
    if step is not None:
        report["step"] = describe(step)
        probes += [{"feature": feature, "point": point, "solid": ref.isInside(V(*point), 1e-6, True)}
                   for feature, point in surface_probes(spec, report["reference"]["bbox"])]
        report["probes"] = [dict(p, found=step.isInside(V(*p["point"]), 1e-4, True)) for p in probes]
        report["step_vs_reference"] = symdiff(step, ref)
    try:
        doc = FreeCAD.openDocument("bracket.FCStd")
        report["fcstd_types"] = [o.TypeId for o in doc.Objects]
        bodies = [o for o in doc.Objects if o.TypeId == "PartDesign::Body"]
        report["body_features"] = [o.TypeId for b in bodies for o in b.Group]
        report["bodies"] = len(bodies)
        report["base_features"] = [b.BaseFeature.Name for b in bodies if getattr(b, "BaseFeature", None)]
        # what the body and its features draw on must be the body's own (its features, sketches and origin) or
        # parameters: a feature linked to a solid outside the body (say a fillet whose base is an imported
        # shape), or a Tip outside the body (a base feature taking that shape), makes the body that solid, not
        # a model built from its features
        inside = {o.Name for b in bodies for o in [b, *b.Group, *(b.Origin.OutList if b.Origin else [])]}
        report["foreign_links"] = sorted({f"{o.Name} -> {d.Name} ({d.TypeId})" for b in bodies for o in [b, *b.Group]
                                          for d in o.OutList if d.Name not in inside and d.TypeId not in PARAMETERS})
        sketches = {o.Name for b in bodies for o in b.Group if o.TypeId == "Sketcher::SketchObject"}
        report["sketch_profiles"] = sorted(o.Name for b in bodies for o in b.Group if _profile(o) in sketches)
        # the shapes stored in the file are whatever was saved: rebuild every feature from its parameters
        # so that the body's shape is what its tree of features makes, and note any feature that fails
        for o in doc.Objects:
            o.touch()
        doc.recompute()
        report["recompute_errors"] = [o.Name for o in doc.Objects if {"Invalid", "Error", "Touched"} & set(o.State)]
        tip = bodies[0].Shape if bodies else None
        if tip is not None and tip.Solids:
            report["body"] = describe(tip)
            if step is not None:
                report["body_vs_step"] = symdiff(solid_of(tip), step)
    except Exception as exc:
        report["fcstd_error"] = f"{type(exc).__name__}: {exc}"
    Path("report.json").write_text(json.dumps(report))


try:
    main()
except Exception:
    Path("report.json").write_text(json.dumps({"error": traceback.format_exc()[-800:]}))
