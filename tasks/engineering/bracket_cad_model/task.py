"""Bracket CAD model: a mechanical designer models a machined part from its drawing in FreeCAD.

The generator draws one part of the variant's family (L-bracket, clevis or flange plate) from the
seed: stock blocks, corner fillets, counterbored and through holes, a slot and a pocket, and writes
the drawing (SVG), the part spec (JSON: the drawing's dimensions and tables, material, tolerance, mass
budget). The grader runs inspect_part.py under freecadcmd in a tool sandbox: it rebuilds the part by
constructive solid geometry from the hidden spec, and measures the submitted STEP (volume, bounding
box, centre of mass, symmetric difference with the reference, hidden point probes per feature and
probes 0.02 mm either side of every drawn surface of a hole, counterbore, slot, pocket and fillet) and
the submitted FCStd (a parametric PartDesign body whose shape, rebuilt from its features, equals the STEP;
at least one feature drawn from one of its sketches, no PartDesign primitive (a box or cylinder typed in by
coordinates, as constructive solid geometry) in place of a sketch-based feature, and neither the body (its Tip)
nor a feature drawing on an object outside the body but datum geometry and parameters, so that a solid made
elsewhere cannot stand in for the modelling). The
mass properties and the inspection table are checked against the model.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
from pathlib import Path

from lastexam.task import Grading, Params

from .parts import design, drawing_svg, probes

INSPECTOR = Path(__file__).with_name("inspect_part.py")
DENSITY = 2.70  # g/cm3, AA 6061-T6
PARAMETRIC = {"PartDesign::Pad", "PartDesign::Pocket", "PartDesign::Hole", "PartDesign::Fillet",
              "PartDesign::Chamfer", "PartDesign::Revolution", "PartDesign::Groove", "PartDesign::LinearPattern",
              "PartDesign::Mirrored", "PartDesign::PolarPattern", "PartDesign::MultiTransform"}
# PartDesign's primitives (a box, a cylinder placed by coordinates) type the part in as constructive solid geometry:
# the drawing asks for sketch-based features, so a body built from them is not the modelling asked for
PRIMITIVES = {"PartDesign::AdditiveBox", "PartDesign::SubtractiveBox", "PartDesign::AdditiveCylinder",
              "PartDesign::SubtractiveCylinder", "PartDesign::AdditiveSphere", "PartDesign::SubtractiveSphere",
              "PartDesign::AdditiveCone", "PartDesign::SubtractiveCone", "PartDesign::AdditiveEllipsoid",
              "PartDesign::SubtractiveEllipsoid", "PartDesign::AdditiveTorus", "PartDesign::SubtractiveTorus",
              "PartDesign::AdditivePrism", "PartDesign::SubtractivePrism", "PartDesign::AdditiveWedge",
              "PartDesign::SubtractiveWedge"}
# what else a PartDesign body's tree may hold: sketches and datum geometry (no Boolean with a foreign solid,
# no binder, no base feature)
TREE = {"Sketcher::SketchObject", "PartDesign::Plane", "PartDesign::Line", "PartDesign::Point",
        "PartDesign::CoordinateSystem"}


def _mass_estimate(spec: dict) -> float:
    """Rough volume by blocks minus cut volumes (for the mass budget only; the grader uses FreeCAD's)."""
    vol = sum(math.prod(b["size"]) for b in spec["blocks"])
    T = spec["blocks"][0]["size"][2]
    r = spec["corner_fillets"]["radius"]
    vol -= len(spec["corner_fillets"]["corners"]) * (1 - math.pi / 4) * r * r * T
    for h in spec["holes"]:
        vol -= math.pi * h["diameter"] ** 2 / 4 * (T if h["axis"][2] else 2 * spec["blocks"][-1]["size"][0 if h["axis"][0] else 1])
        if h["type"] == "counterbore":
            vol -= math.pi * (h["cbore_diameter"] ** 2 - h["diameter"] ** 2) / 4 * h["cbore_depth"]
    s, p = spec["slot"], spec["pocket"]
    vol -= (s["to"][0] - s["from"][0]) * s["width"] * T + math.pi * s["width"] ** 2 / 4 * T
    vol -= (p["max"][0] - p["min"][0]) * (p["max"][1] - p["min"][1]) * p["depth"]
    return vol * DENSITY / 1000


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    rng = random.Random(params["seed"])
    family = params["family"]
    part = design(family, rng)
    number = f"BRK-{rng.randint(1000, 9999)}-{family[:2].upper()}"
    estimate = _mass_estimate(part)
    over = rng.random() < 0.5
    budget = round(estimate * (rng.uniform(0.95, 0.97) if over else rng.uniform(1.03, 1.05)), 1)
    spec = {"part_number": number, "title": {"l_bracket": "L-bracket", "clevis": "Clevis mount",
                                             "flange_plate": "Mounting flange plate"}[family],
            "units": "mm", "datum": "origin at datum corner A of the base (lower left of the top view), "
            "X along the base's length, Y across, Z up from the base's underside",
            "material": {"name": "AA 6061-T6", "density_g_cm3": DENSITY},
            "general_tolerance": "ISO 2768-m", "mass_budget_g": budget, **part}
    (input_dir / "part_spec.json").write_text(json.dumps(spec, indent=2) + "\n")
    (input_dir / "drawing.svg").write_text(drawing_svg(part, f"{number}  {spec['title']}  AA 6061-T6  ISO 2768-m"))
    (reference_dir / "spec.json").write_text(json.dumps(spec))
    (reference_dir / "probes.json").write_text(json.dumps(probes(part)))


def _close(a: object, b: float, tol: float) -> bool:
    try:
        return abs(float(a) - b) <= tol
    except (TypeError, ValueError):
        return False


def _vec_close(a: object, b: list[float], tol: float) -> bool:
    return isinstance(a, list) and len(a) == len(b) and all(_close(x, y, tol) for x, y in zip(a, b, strict=True))


def _probe_share(report: dict, feature: str) -> float:
    ps = [p for p in report.get("probes", []) if p["feature"] == feature]
    return sum(p["found"] == p["solid"] for p in ps) / len(ps) if ps else 0.0


def _expected_inspection(spec: dict, ref: dict) -> dict[str, float]:
    bb = ref["bbox"]
    rows = {"overall_length": bb[3] - bb[0], "overall_width": bb[4] - bb[1], "overall_height": bb[5] - bb[2]}
    for h in spec["holes"]:
        rows[h["id"] + " diameter"] = h["diameter"]
        if h["type"] == "counterbore":
            rows[h["id"] + " cbore_diameter"] = h["cbore_diameter"]
            rows[h["id"] + " cbore_depth"] = h["cbore_depth"]
    rows[spec["slot"]["id"] + " width"] = spec["slot"]["width"]
    rows[spec["pocket"]["id"] + " depth"] = spec["pocket"]["depth"]
    rows["fillet radius"] = spec["corner_fillets"]["radius"]
    return rows


def grade(g: Grading) -> None:
    if not g.require_files("bracket.FCStd", "bracket.step", "mass_properties.json", "inspection.csv"):
        return
    spec = g.reference_json("spec.json")
    run = g.run_tool(["/usr/bin/env", "HOME=/tmp", "freecadcmd", "inspect_part.py"],
                     {"inspect_part.py": INSPECTOR, "spec.json": json.dumps(spec),
                      "probes.json": json.dumps(g.reference_json("probes.json")),
                      "bracket.step": g.output("bracket.step"), "bracket.FCStd": g.output("bracket.FCStd")},
                     timeout=240, memory_mb=3072)
    path = run.workdir / "report.json"
    report = json.loads(path.read_text()) if run.returncode == 0 and path.exists() else {}
    ref = report.get("reference")
    if not g.check("FreeCAD reads the STEP as one solid", bool(ref) and "step" in report and
                   report["step"]["solids"] == 1 and report["step"]["valid"], gate=True,
                   reason=str(report.get("error") or report.get("step_error") or run.stderr[-400:])[-600:]):
        return
    step = report["step"]
    vol = ref["volume"]
    g.number("STEP volume within 0.1 %", step["volume"], vol, rel_tol=1e-3, weight=2)
    g.check("STEP bounding box within 0.01 mm", _vec_close(step["bbox"], ref["bbox"], 0.01), weight=1,
            expected=ref["bbox"], found=step["bbox"])
    g.check("STEP centre of mass within 0.05 mm", _vec_close(step["com"], ref["com"], 0.05), weight=1,
            expected=ref["com"], found=step["com"])
    g.check("STEP equals the drawn part (symmetric difference under 0.05 % of volume)",
            report.get("step_vs_reference", vol) <= 5e-4 * vol, weight=2,
            found=report.get("step_vs_reference"))
    g.check("through holes of the drawn diameter where drawn (within 0.02 mm)", _probe_share(report, "hole") == 1.0, weight=1)
    g.check("counterbores of the drawn diameter and depth (within 0.02 mm)", _probe_share(report, "counterbore") == 1.0, weight=1)
    g.check("slot of the drawn width, its ends where drawn (within 0.02 mm)", _probe_share(report, "slot") == 1.0, weight=1)
    g.check("pocket walls and floor where drawn (within 0.02 mm)", _probe_share(report, "pocket") == 1.0, weight=1)
    g.check("corner fillets of the drawn radius (arc within 0.02 mm)", _probe_share(report, "fillet") == 1.0, weight=1)
    g.check("face and edge counts plausible for the drawn part", 0.7 * ref["faces"] <= step["faces"] <= 1.5 * ref["faces"]
            and 0.7 * ref["edges"] <= step["edges"] <= 1.5 * ref["edges"], weight=0.5, expected=[ref["faces"], ref["edges"]],
            found=[step["faces"], step["edges"]])
    features = report.get("body_features", [])
    primitives = sorted({f for f in features if f in PRIMITIVES})
    foreign = sorted({f for f in features if f not in PARAMETRIC | TREE | PRIMITIVES})
    links = report.get("foreign_links", ["(not inspected)"])
    g.check("the FCStd holds a parametric PartDesign body (sketch-based features, no imported solid)",
            "PartDesign::Body" in report.get("fcstd_types", []) and len([f for f in features if f in PARAMETRIC]) >= 4
            and bool(report.get("sketch_profiles")) and not foreign and not primitives and not report.get("base_features")
            and not links, weight=2, found=sorted(set(report.get("fcstd_types", []))), reason=report.get("fcstd_error", "")
            or (f"not PartDesign modelling features: {foreign}" if foreign else "") or
            (f"primitives in place of sketch-based features: {primitives}" if primitives else "") or
            (f"a base feature: {report.get('base_features')}" if report.get("base_features") else "") or
            (f"features drawing on objects outside the body: {links[:4]}" if links else "") or
            ("no feature of the body is drawn from one of its sketches" if not report.get("sketch_profiles") else ""))
    body = report.get("body")
    errors = report.get("recompute_errors", ["(not rebuilt)"])
    g.check("the FCStd body, rebuilt from its features, equals the exported STEP", bool(body) and not errors and
            abs(body["volume"] - step["volume"]) <= 1e-6 * vol and report.get("body_vs_step", vol) <= 1e-4 * vol,
            weight=2, found=report.get("body_vs_step"),
            reason=f"features that fail to rebuild: {errors[:6]}" if errors else "")
    _grade_mass(g, spec, step)
    _grade_inspection(g, spec, ref)


def _grade_mass(g: Grading, spec: dict, step: dict) -> None:
    mp = g.read_json("mass_properties.json", gate=False)
    if not isinstance(mp, dict):
        g.check("mass_properties.json equals the model's", False, weight=2)
        g.check("mass-budget verdict", False, weight=1)
        return
    bbox = mp.get("bounding_box_mm") if isinstance(mp.get("bounding_box_mm"), dict) else {}
    mass = step["volume"] * DENSITY / 1000
    g.check("mass_properties.json equals the model's", _close(mp.get("volume_mm3"), step["volume"], 1e-4 * step["volume"])
            and _vec_close(mp.get("center_of_mass_mm"), step["com"], 0.01)
            and _vec_close(bbox.get("min"), step["bbox"][:3], 0.01) and _vec_close(bbox.get("max"), step["bbox"][3:], 0.01),
            weight=2, expected={"volume_mm3": step["volume"], "com": step["com"]},
            found={k: mp.get(k) for k in ("volume_mm3", "center_of_mass_mm")})
    g.number("mass in grams at the stated density", mp.get("mass_g"), mass, rel_tol=1e-3, weight=1)
    expected = "within budget" if mass <= spec["mass_budget_g"] else "over budget"
    g.check("mass-budget verdict", str(mp.get("verdict", "")).strip().lower() == expected, weight=1,
            expected=expected, found=mp.get("verdict"))


def _grade_inspection(g: Grading, spec: dict, ref: dict) -> None:
    text = g.read_text("inspection.csv", gate=False) or ""
    rows = {r.get("feature", "").strip(): r for r in csv.DictReader(io.StringIO(text))}
    expected = _expected_inspection(spec, ref)
    good = [k for k, v in expected.items() if k in rows and _close(rows[k].get("nominal_mm"), v, 1e-6)
            and _close(rows[k].get("measured_mm"), v, 0.01)]
    g.check("inspection.csv lists every feature with its nominal and measured size", len(good) == len(expected),
            weight=1, expected=sorted(expected), found=sorted(good))
