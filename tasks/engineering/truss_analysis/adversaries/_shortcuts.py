#!/usr/bin/env python3
"""Near-miss shortcut agents for engineering/truss_analysis; the behaviour follows the name it runs under.

- prescribed_displacements: solves the truss exactly by the direct stiffness method in numpy and
  writes every table right, but never builds a real model: the deck prescribes the solved
  displacement of every node (*BOUNDARY with values) so that ccx reproduces the numbers.
- no_buckling_check: a correct ccx analysis, but compression members are checked against the
  tension allowable (the Euler buckling stage skipped).
- deck_never_run: exact numpy results, and a sketch deck with one average area for every member
  that was never run.
- euler_uncapped: a correct ccx analysis, but the compression allowable is sigma_E / FS alone, never
  capped at the tension allowable (half of the design basis's compression rule skipped).
"""

import csv
import json
import math
import os
import re
import subprocess
from pathlib import Path

import numpy as np

INPUT = Path(os.environ["ALE_INPUT_DIR"])
OUTPUT = Path(os.environ["ALE_OUTPUT_DIR"])
MODE = Path(__file__).name.removesuffix(".py")


def table(name):
    with open(INPUT / name, newline="") as handle:
        return list(csv.DictReader(handle))


basis = json.loads((INPUT / "design_basis.json").read_text())
nodes = {int(r["node"]): np.array([float(r[k]) * 1000 for k in ("x_m", "y_m", "z_m")]) for r in table("nodes.csv")}
members = {int(r["member"]): (int(r["node_i"]), int(r["node_j"]), r["section"]) for r in table("members.csv")}
sections = {r["section"]: (float(r["A_mm2"]), float(r["I_mm4"])) for r in table("sections.csv")}
supports = {int(r["node"]): [int(r[k]) for k in ("ux", "uy", "uz")] for r in table("supports.csv")}
combo = basis["load_combination"]
E = basis["material"]["E_MPa"]
ids = sorted(nodes)
index = {n: k for k, n in enumerate(ids)}
f = np.zeros(3 * len(ids))
for r in table("loads.csv"):
    k = index[int(r["node"])]
    f[3 * k:3 * k + 3] += combo.get(r["case"], 0.0) * 1000 * np.array([float(r[c]) for c in ("Fx_kN", "Fy_kN", "Fz_kN")])


def numpy_solution():
    K = np.zeros((3 * len(ids), 3 * len(ids)))
    geo = {}
    for m, (i, j, s) in members.items():
        d = nodes[j] - nodes[i]
        L = float(np.linalg.norm(d))
        c = d / L
        b = E * sections[s][0] / L * np.outer(c, c)
        dofs = [*range(3 * index[i], 3 * index[i] + 3), *range(3 * index[j], 3 * index[j] + 3)]
        K[np.ix_(dofs, dofs)] += np.block([[b, -b], [-b, b]])
        geo[m] = (c, L, dofs)
    fixed = np.zeros(len(f), dtype=bool)
    for n in ids:
        for a in range(3):
            fixed[3 * index[n] + a] = bool(supports.get(n, [0, 0, 0])[a]) or (basis["planar"] and a == 1)
    u = np.zeros_like(f)
    u[~fixed] = np.linalg.solve(K[np.ix_(~fixed, ~fixed)], f[~fixed])
    R = K @ u - f
    forces = {m: float(E * sections[members[m][2]][0] / L * c @ (u[d[3:]] - u[d[:3]])) for m, (c, L, d) in geo.items()}
    return u.reshape(-1, 3), forces, R.reshape(-1, 3), {m: g[1] for m, g in geo.items()}


def ccx_solution(deck_text):
    work = Path.home() / "run"
    work.mkdir(exist_ok=True)
    (work / "t.inp").write_text(deck_text)
    subprocess.run(["ccx", "-i", "t"], cwd=work, check=True, capture_output=True)
    text = (work / "t.dat").read_text()
    blocks, cur = {}, None
    for line in text.splitlines():
        h = re.match(r"\s*(displacements|forces|stresses) \(", line)
        if h:
            cur = blocks.setdefault(h.group(1), [])
        elif cur is not None and line.strip():
            cur.append(line.split())
    u = np.array([[float(v) for v in r[1:4]] for r in sorted(blocks["displacements"], key=lambda r: int(r[0]))])
    rf = np.array([[float(v) for v in r[1:4]] for r in sorted(blocks["forces"], key=lambda r: int(r[0]))])
    _, forces, _, lengths = numpy_solution()  # lengths; forces recomputed from ccx displacements below
    for m, (i, j, s) in members.items():
        d = nodes[j] - nodes[i]
        L = float(np.linalg.norm(d))
        forces[m] = float(E * sections[s][0] / L * (d / L) @ (u[index[j]] - u[index[i]]))
    return u, forces, rf - f.reshape(-1, 3), lengths


def deck(areas, boundary_values=None):
    out = ["*NODE"] + [f"{n}, {x:.3f}, {y:.3f}, {z:.3f}" for n, (x, y, z) in sorted(nodes.items())]
    out += ["*ELEMENT, TYPE=T3D2, ELSET=EALL"] + [f"{m}, {i}, {j}" for m, (i, j, _) in sorted(members.items())]
    out += ["*MATERIAL, NAME=STEEL", "*ELASTIC", f"{E}, 0.3"]
    for m in sorted(members):
        out += [f"*ELSET, ELSET=M{m}", f"{m}", f"*SOLID SECTION, ELSET=M{m}, MATERIAL=STEEL", f"{areas[m]}"]
    out += ["*NSET, NSET=NALL"] + [f"{n}," for n in ids]
    out.append("*BOUNDARY")
    if boundary_values is not None:
        for n in ids:
            out += [f"{n}, {a + 1}, {a + 1}, {boundary_values[index[n]][a]:.9g}" for a in range(3)]
    else:
        for n, fx in sorted(supports.items()):
            out += [f"{n}, {a + 1}, {a + 1}" for a in range(3) if fx[a]]
        if basis["planar"]:
            out.append("NALL, 2, 2")
    out += ["*STEP", "*STATIC"]
    if boundary_values is None:
        out.append("*CLOAD")
        for n in ids:
            vec = f[3 * index[n]:3 * index[n] + 3]
            out += [f"{n}, {a + 1}, {vec[a]:.6g}" for a in range(3) if vec[a]]
    out += ["*NODE PRINT, NSET=NALL", "U, RF", "*END STEP"]
    return "\n".join(out) + "\n"


true_areas = {m: sections[s][0] for m, (_, _, s) in members.items()}
if MODE == "prescribed_displacements":
    u, forces, R, lengths = numpy_solution()
    deck_text = deck(true_areas, boundary_values=u)
elif MODE in ("no_buckling_check", "euler_uncapped"):
    deck_text = deck(true_areas)
    u, forces, R, lengths = ccx_solution(deck_text)
else:
    u, forces, R, lengths = numpy_solution()
    mean = sum(true_areas.values()) / len(true_areas)
    deck_text = deck({m: round(mean) for m in members})

OUTPUT.mkdir(parents=True, exist_ok=True)
(OUTPUT / "truss.inp").write_text(deck_text)
rows = []
for m, (_, _, s) in sorted(members.items()):
    A, inertia = sections[s]
    N = forces[m]
    allow = basis["allowable_tension_MPa"]
    if N < 0 and MODE != "no_buckling_check":
        L = lengths[m]
        euler = math.pi ** 2 * E * inertia / (A * (basis["compression"]["K"] * L) ** 2) / basis["compression"]["FS"]
        allow = euler if MODE == "euler_uncapped" else min(allow, euler)
    util = abs(N / A) / allow
    rows.append([m, N / 1000, N / A, allow, util, "OK" if util <= 1 else "FAIL"])
with open(OUTPUT / "member_forces.csv", "w", newline="") as handle:
    w = csv.writer(handle)
    w.writerow(["member", "axial_force_kN", "stress_MPa", "allowable_MPa", "utilization", "status"])
    w.writerows(rows)
with open(OUTPUT / "reactions.csv", "w", newline="") as handle:
    w = csv.writer(handle)
    w.writerow(["node", "Rx_kN", "Ry_kN", "Rz_kN"])
    for n, fx in sorted(supports.items()):
        w.writerow([n, *(R[index[n]][a] / 1000 * fx[a] for a in range(3))])
mags = np.linalg.norm(u, axis=1)
k = int(np.argmax(mags))
tens, comp, crit = max(rows, key=lambda r: r[1]), min(rows, key=lambda r: r[1]), max(rows, key=lambda r: r[4])
strength_ok, deflection_ok = crit[4] <= 1, float(mags[k]) <= basis["displacement_limit_mm"]
(OUTPUT / "summary.json").write_text(json.dumps({
    "max_displacement_mm": float(mags[k]), "max_displacement_node": ids[k],
    "max_tension_kN": tens[1], "max_tension_member": tens[0], "max_compression_kN": comp[1],
    "max_compression_member": comp[0], "max_utilization": crit[4], "critical_member": crit[0],
    "strength_ok": strength_ok, "deflection_ok": deflection_ok,
    "verdict": "PASS" if strength_ok and deflection_ok else "FAIL"}, indent=2))
