#!/usr/bin/env python3
"""Oracle for engineering/truss_analysis: build the CalculiX deck, run ccx, post-process.

ALE-CANARY-9cc6b084-b71a-4ab8-9380-4466bb2ed17b

The deck uses T3D2 truss elements in N-mm-MPa with the input node and member numbers, one
material and one *SOLID SECTION per cross-section, the supports (plus the out-of-plane restraint
of every node for a planar truss) and the factored nodal loads of the design combination.
Member axial stresses come from ccx's element stresses (global tensor projected on the member
axis); reactions and displacements from its node output.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import subprocess
from pathlib import Path

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
WORK = Path.home() / "truss_run"


def table(name: str) -> list[dict[str, str]]:
    with open(INPUT / name, newline="") as handle:
        return list(csv.DictReader(handle))


def load_model() -> dict:
    basis = json.loads((INPUT / "design_basis.json").read_text())
    nodes = {int(r["node"]): tuple(1000.0 * float(r[k]) for k in ("x_m", "y_m", "z_m")) for r in table("nodes.csv")}
    members = {int(r["member"]): (int(r["node_i"]), int(r["node_j"]), r["section"]) for r in table("members.csv")}
    sections = {r["section"]: (float(r["A_mm2"]), float(r["I_mm4"])) for r in table("sections.csv")}
    supports = {int(r["node"]): tuple(int(r[k]) for k in ("ux", "uy", "uz")) for r in table("supports.csv")}
    combo = basis["load_combination"]
    loads: dict[int, list[float]] = {}
    for r in table("loads.csv"):
        factor = combo.get(r["case"], 0.0)
        vec = loads.setdefault(int(r["node"]), [0.0, 0.0, 0.0])
        for a, k in enumerate(("Fx_kN", "Fy_kN", "Fz_kN")):
            vec[a] += factor * 1000.0 * float(r[k])
    return {"basis": basis, "nodes": nodes, "members": members, "sections": sections,
            "supports": supports, "loads": loads}


def deck(m: dict) -> str:
    basis = m["basis"]
    mat = basis["material"]
    out = ["*HEADING", f"{basis['structure']} - design combination {basis['load_combination']}", "*NODE"]
    out += [f"{n}, {x:.3f}, {y:.3f}, {z:.3f}" for n, (x, y, z) in sorted(m["nodes"].items())]
    for sec in sorted(m["sections"]):
        ids = [mid for mid, (_, _, s) in sorted(m["members"].items()) if s == sec]
        if not ids:
            continue
        out.append(f"*ELEMENT, TYPE=T3D2, ELSET=E_{sec.replace('.', '_')}")
        out += [f"{mid}, {m['members'][mid][0]}, {m['members'][mid][1]}" for mid in ids]
    out += ["*MATERIAL, NAME=STEEL", "*ELASTIC", f"{mat['E_MPa']}, {mat['poisson']}"]
    for sec, (area, _) in sorted(m["sections"].items()):
        if any(s == sec for _, _, s in m["members"].values()):
            out += [f"*SOLID SECTION, ELSET=E_{sec.replace('.', '_')}, MATERIAL=STEEL", f"{area}"]
    out += ["*NSET, NSET=NALLN"] + [f"{n}," for n in sorted(m["nodes"])]
    out += ["*ELSET, ELSET=EALLE"] + [f"{e}," for e in sorted(m["members"])]
    out.append("*BOUNDARY")
    for n, fixed in sorted(m["supports"].items()):
        out += [f"{n}, {a + 1}, {a + 1}" for a in range(3) if fixed[a]]
    if basis["planar"]:
        out.append("NALLN, 2, 2")  # planar truss in XZ: out-of-plane (Y) restraint everywhere
    out += ["*STEP", "*STATIC", "*CLOAD"]
    for n, vec in sorted(m["loads"].items()):
        out += [f"{n}, {a + 1}, {vec[a]:.6g}" for a in range(3) if vec[a] != 0.0]
    out += ["*NODE PRINT, NSET=NALLN", "U, RF", "*EL PRINT, ELSET=EALLE", "S", "*END STEP"]
    return "\n".join(out) + "\n"


def blocks(text: str) -> dict[str, list[list[str]]]:
    found: dict[str, list[list[str]]] = {}
    current = None
    for line in text.splitlines():
        head = re.match(r"\s*(displacements|forces|stresses) \(", line)
        if head:
            current = head.group(1)
            found[current] = []
        elif current and line.strip():
            found[current].append(line.split())
    return found


def main() -> None:
    m = load_model()
    WORK.mkdir(exist_ok=True)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    text = deck(m)
    (WORK / "truss.inp").write_text(text)
    (OUTPUT / "truss.inp").write_text(text)
    subprocess.run(["ccx", "-i", "truss"], cwd=WORK, check=True, capture_output=True, timeout=300)
    res = blocks((WORK / "truss.dat").read_text())
    disp = {int(r[0]): [float(v) for v in r[1:4]] for r in res["displacements"]}
    rf = {int(r[0]): [float(v) for v in r[1:4]] for r in res["forces"]}
    stress: dict[int, list[float]] = {}
    for r in res["stresses"]:
        stress.setdefault(int(r[0]), [float(v) for v in r[2:8]])  # first integration point

    basis = m["basis"]
    mat, comp = basis["material"], basis["compression"]
    rows = []
    for mid, (i, j, sec) in sorted(m["members"].items()):
        d = [b - a for a, b in zip(m["nodes"][i], m["nodes"][j], strict=True)]
        length = math.sqrt(sum(c * c for c in d))
        cx, cy, cz = (c / length for c in d)
        sxx, syy, szz, sxy, sxz, syz = stress[mid]
        sigma = (sxx * cx * cx + syy * cy * cy + szz * cz * cz
                 + 2 * (sxy * cx * cy + sxz * cx * cz + syz * cy * cz))
        area, inertia = m["sections"][sec]
        allow = basis["allowable_tension_MPa"]
        if sigma < 0:
            euler = math.pi ** 2 * mat["E_MPa"] * inertia / (area * (comp["K"] * length) ** 2)
            allow = min(allow, euler / comp["FS"])
        util = abs(sigma) / allow
        rows.append({"member": mid, "axial_force_kN": sigma * area / 1000, "stress_MPa": sigma,
                     "allowable_MPa": allow, "utilization": util, "status": "OK" if util <= 1 else "FAIL"})
    with open(OUTPUT / "member_forces.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for r in rows:
            writer.writerow({k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in r.items()})
    with open(OUTPUT / "reactions.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["node", "Rx_kN", "Ry_kN", "Rz_kN"])
        for n, fixed in sorted(m["supports"].items()):
            # ccx RF at a node = reaction + the load applied at that node
            applied = m["loads"].get(n, [0.0, 0.0, 0.0])
            writer.writerow([n, *(f"{(rf[n][a] - applied[a]) / 1000 * fixed[a]:.4f}" for a in range(3))])

    mags = {n: math.sqrt(sum(v * v for v in u)) for n, u in disp.items()}
    dnode = max(mags, key=lambda n: (mags[n], -n))
    tens = max(rows, key=lambda r: r["axial_force_kN"])
    compm = min(rows, key=lambda r: r["axial_force_kN"])
    crit = max(rows, key=lambda r: r["utilization"])
    strength_ok = crit["utilization"] <= 1.0
    deflection_ok = mags[dnode] <= basis["displacement_limit_mm"]
    summary = {
        "max_displacement_mm": round(mags[dnode], 4), "max_displacement_node": dnode,
        "max_tension_kN": round(tens["axial_force_kN"], 4), "max_tension_member": tens["member"],
        "max_compression_kN": round(compm["axial_force_kN"], 4), "max_compression_member": compm["member"],
        "max_utilization": round(crit["utilization"], 4), "critical_member": crit["member"],
        "strength_ok": strength_ok, "deflection_ok": deflection_ok,
        "verdict": "PASS" if strength_ok and deflection_ok else "FAIL",
    }
    (OUTPUT / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
