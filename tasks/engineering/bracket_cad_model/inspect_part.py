"""Run by freecadcmd in the grader's tool sandbox: inspect a submitted bracket against its spec.

Reads spec.json (the drawing's part), probes.json (hidden test points), bracket.step and bracket.FCStd
from the working directory; builds the reference solid from the spec by constructive solid geometry;
writes report.json: the STEP solid's volume, bounding box, centre of mass, face/edge counts, the
probes' verdicts, its symmetric difference with the reference, and the FCStd's object types and its
body's volume and symmetric difference with the STEP, after every feature of the document is rebuilt
from its parameters (the shapes stored in the file are not trusted; a feature left failed or
unrebuilt is noted).
"""

import json
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
        report["probes"] = [dict(p, found=step.isInside(V(*p["point"]), 1e-4, True)) for p in probes]
        report["step_vs_reference"] = symdiff(step, ref)
    try:
        doc = FreeCAD.openDocument("bracket.FCStd")
        report["fcstd_types"] = [o.TypeId for o in doc.Objects]
        bodies = [o for o in doc.Objects if o.TypeId == "PartDesign::Body"]
        report["body_features"] = [o.TypeId for b in bodies for o in b.Group]
        report["bodies"] = len(bodies)
        report["base_features"] = [b.BaseFeature.Name for b in bodies if getattr(b, "BaseFeature", None)]
        # what the body's features draw on must be the body's own (its features, sketches and origin) or
        # parameters: a feature linked to a solid outside the body (say a fillet whose base is an imported
        # shape) makes the body that solid, not a model built from its features
        inside = {o.Name for b in bodies for o in [b, *b.Group, *(b.Origin.OutList if b.Origin else [])]}
        report["foreign_links"] = sorted({f"{o.Name} -> {d.Name} ({d.TypeId})" for b in bodies for o in b.Group
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
