"""Pin-jointed truss analysis and member check with CalculiX.

ALE-CANARY-9cc6b084-b71a-4ab8-9380-4466bb2ed17b

Workflow: a structural engineer receives the model tables of a steel truss (nodes, members with
their circular hollow sections, supports, loads by load case) and the design basis (load
combination, allowable stresses, Euler buckling with a safety factor, a displacement limit).
They build a CalculiX input deck (T3D2 truss elements, N-mm-MPa), run ccx, and report member
forces with the stress check, support reactions, the largest displacement and a PASS/FAIL verdict.
Variants: a statically determinate planar Pratt truss, a two-span continuous (indeterminate)
Warren truss under an ASD combination with wind, a square lattice tower (space truss), and a
cantilever bracket truss; the sections are sized by the generator so that some variants pass and
others fail, and so that one strut at least is stocky enough for the tension allowable to cap its
compression allowable.

generate() writes the tables and design basis, solves the truss by the direct stiffness method
(numpy) and writes the reference (displacements, member forces and checks, reactions, summary).

grade() re-runs the submitted deck in ccx inside a fresh sandbox (g.run_tool) with its own output
requests added, and compares the re-run displacements and reactions with the reference; it re-runs
it again with its loads replaced by a hidden load set written by generate() (so a deck that only
prescribes known displacements, or whose model is wrong, fails); it then
compares the reported member forces, member checks, reactions and summary with the reference,
and checks that the reported reactions balance the applied combined loads (forces and moments).
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, as_number, is_close, write_csv

E_MPA = 210000.0
NU = 0.3
FY_MPA = 355.0
ALLOW_T_MPA = 0.6 * FY_MPA
BUCKLING_K = 1.0
BUCKLING_FS = 2.0
# EN 10219 circular hollow sections, outside diameter x wall (mm).
CHS = [(33.7, 3.2), (42.4, 3.2), (48.3, 3.2), (48.3, 4.0), (60.3, 4.0), (76.1, 4.0), (76.1, 5.0), (88.9, 5.0),
       (101.6, 5.0), (114.3, 5.0), (139.7, 6.3), (168.3, 6.3), (193.7, 8.0), (219.1, 8.0), (273.0, 10.0)]
MEMBER_COLUMNS = ["member", "axial_force_kN", "stress_MPa", "allowable_MPa", "utilization", "status"]
REACTION_COLUMNS = ["node", "Rx_kN", "Ry_kN", "Rz_kN"]


# -- model ------------------------------------------------------------------------------------

@dataclass
class Section:
    name: str
    d: float
    t: float
    area: float  # mm2, as tabulated
    inertia: float  # mm4, as tabulated


def chs(d: float, t: float) -> Section:
    di = d - 2 * t
    area = round(math.pi / 4 * (d * d - di * di), 1)
    inertia = float(f"{math.pi / 64 * (d**4 - di**4):.4g}")
    return Section(f"CHS{d:g}x{t:g}", d, t, area, inertia)


SECTIONS = [chs(d, t) for d, t in CHS]


@dataclass
class Truss:
    title: str
    planar: bool
    nodes: dict[int, tuple[float, float, float]] = field(default_factory=dict)  # m
    members: dict[int, tuple[int, int, str]] = field(default_factory=dict)  # node_i, node_j, group
    supports: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    loads: list[tuple[str, int, float, float, float]] = field(default_factory=list)  # case, node, kN
    groups: dict[str, int] = field(default_factory=dict)  # group -> index into SECTIONS

    def add_node(self, nid: int, x: float, y: float, z: float) -> None:
        self.nodes[nid] = (round(x, 3), round(y, 3), round(z, 3))

    def add_member(self, i: int, j: int, group: str) -> None:
        self.members[len(self.members) + 1] = (i, j, group)


def _r(rng: np.random.Generator, lo: float, hi: float, step: float) -> float:
    return round(float(rng.uniform(lo, hi)) / step) * step


def pratt(rng: np.random.Generator) -> Truss:
    """Parallel-chord Pratt roof truss, pin + roller: statically determinate, in the XZ plane."""
    n = int(rng.choice([6, 8]))
    p, h = _r(rng, 2.4, 3.2, 0.1), _r(rng, 2.0, 2.8, 0.1)
    t = Truss(f"{n}-panel Pratt roof truss, span {n * p:.1f} m", planar=True)
    for k in range(n + 1):
        t.add_node(k + 1, k * p, 0.0, 0.0)
        t.add_node(n + 2 + k, k * p, 0.0, h)
    bot, top = (lambda k: k + 1), (lambda k: n + 2 + k)
    for k in range(n):
        t.add_member(bot(k), bot(k + 1), "bottom_chord")
        t.add_member(top(k), top(k + 1), "top_chord")
    for k in range(n + 1):
        t.add_member(bot(k), top(k), "end_post" if k in (0, n) else "vertical")
    for k in range(n):
        if k < n // 2:
            t.add_member(top(k), bot(k + 1), "diagonal")
        else:
            t.add_member(bot(k), top(k + 1), "diagonal")
    t.supports = {bot(0): (1, 1, 1), bot(n): (0, 1, 1)}
    dl, ll = _r(rng, 6.0, 10.0, 0.5), _r(rng, 8.0, 14.0, 0.5)
    for k in range(n + 1):
        share = 0.5 if k in (0, n) else 1.0
        t.loads.append(("DL", top(k), 0.0, 0.0, -dl * share))
        t.loads.append(("LL", top(k), 0.0, 0.0, -ll * share))
    t.loads.append(("DL", bot(n // 2), 0.0, 0.0, -_r(rng, 10.0, 20.0, 1.0)))  # suspended plant
    t.groups = {"top_chord": 9, "bottom_chord": 8, "vertical": 5, "end_post": 7, "diagonal": 6}
    return t


def warren(rng: np.random.Generator) -> Truss:
    """Two-span continuous Warren truss with verticals on three supports: statically indeterminate."""
    n = int(rng.choice([4, 5]))  # panels per span
    p, h = _r(rng, 2.8, 3.4, 0.1), _r(rng, 2.2, 2.8, 0.1)
    t = Truss(f"two-span continuous Warren conveyor gallery truss, 2 x {n * p:.1f} m", planar=True)
    m = 2 * n
    for k in range(m + 1):
        t.add_node(k + 1, k * p, 0.0, 0.0)
        t.add_node(m + 2 + k, k * p, 0.0, h)
    bot, top = (lambda k: k + 1), (lambda k: m + 2 + k)
    for k in range(m):
        t.add_member(bot(k), bot(k + 1), "bottom_chord")
        t.add_member(top(k), top(k + 1), "top_chord")
    for k in range(m + 1):
        t.add_member(bot(k), top(k), "vertical")
    for k in range(m):
        if k % 2 == 0:
            t.add_member(bot(k), top(k + 1), "diagonal")
        else:
            t.add_member(top(k), bot(k + 1), "diagonal")
    t.supports = {bot(0): (1, 1, 1), bot(n): (0, 1, 1), bot(m): (0, 1, 1)}
    dl, ll, wl = _r(rng, 5.0, 8.0, 0.5), _r(rng, 10.0, 16.0, 0.5), _r(rng, 3.0, 6.0, 0.5)
    for k in range(m + 1):
        share = 0.5 if k in (0, m) else 1.0
        t.loads.append(("DL", bot(k), 0.0, 0.0, -dl * share))
        t.loads.append(("LL", bot(k), 0.0, 0.0, -ll * share))
        t.loads.append(("WL", top(k), wl * share, 0.0, 0.0))
    t.groups = {"top_chord": 8, "bottom_chord": 7, "vertical": 5, "diagonal": 6}
    return t


def tower(rng: np.random.Generator) -> Truss:
    """Square tapered lattice tower: legs, horizontals, X-bracing, plan bracing; four pinned feet."""
    levels = int(rng.choice([3, 4]))
    base, top_w, hs = _r(rng, 3.6, 4.4, 0.1), _r(rng, 1.6, 2.0, 0.1), _r(rng, 3.0, 3.6, 0.1)
    t = Truss(f"{levels}-section square lattice tower, {levels * hs:.1f} m high", planar=False)
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    for lv in range(levels + 1):
        half = (base + (top_w - base) * lv / levels) / 2
        for c, (sx, sy) in enumerate(corners):
            t.add_node(4 * lv + c + 1, sx * half, sy * half, lv * hs)
    nid = lambda lv, c: 4 * lv + (c % 4) + 1  # noqa: E731
    for lv in range(levels):
        for c in range(4):
            t.add_member(nid(lv, c), nid(lv + 1, c), "leg")
            t.add_member(nid(lv, c), nid(lv + 1, c + 1), "brace")
            t.add_member(nid(lv, c + 1), nid(lv + 1, c), "brace")
    for lv in range(1, levels + 1):
        for c in range(4):
            t.add_member(nid(lv, c), nid(lv, c + 1), "horizontal")
        t.add_member(nid(lv, 0), nid(lv, 2), "plan_brace")
    t.supports = {nid(0, c): (1, 1, 1) for c in range(4)}
    dl = _r(rng, 8.0, 14.0, 0.5)
    w_top, w_face = _r(rng, 10.0, 18.0, 0.5), _r(rng, 1.5, 3.0, 0.1)
    for c in range(4):
        t.loads.append(("DL", nid(levels, c), 0.0, 0.0, -dl))
    for lv in range(1, levels + 1):
        for c in range(4):
            wx = w_face * lv / levels + (w_top / 4 if lv == levels else 0.0)
            t.loads.append(("WL", nid(lv, c), round(wx, 2), round(0.3 * wx, 2), 0.0))
    t.groups = {"leg": 10, "brace": 4, "horizontal": 3, "plan_brace": 3}
    return t


def bracket(rng: np.random.Generator) -> Truss:
    """Tapered cantilever bracket truss pinned to a wall at two nodes, hoist load at the tip."""
    n = int(rng.choice([4, 5]))
    p, h0, h1 = _r(rng, 1.2, 1.6, 0.1), _r(rng, 2.2, 2.8, 0.1), _r(rng, 0.8, 1.1, 0.1)
    t = Truss(f"{n}-panel cantilever hoist bracket truss, reach {n * p:.1f} m", planar=True)
    for k in range(n + 1):
        depth = h0 + (h1 - h0) * k / n
        t.add_node(k + 1, k * p, 0.0, 0.0)
        t.add_node(n + 2 + k, k * p, 0.0, round(depth, 3))
    bot, top = (lambda k: k + 1), (lambda k: n + 2 + k)
    for k in range(n):
        t.add_member(bot(k), bot(k + 1), "bottom_chord")
        t.add_member(top(k), top(k + 1), "top_chord")
        t.add_member(top(k), bot(k + 1), "diagonal")
    for k in range(1, n + 1):
        t.add_member(bot(k), top(k), "vertical")
    t.supports = {bot(0): (1, 1, 1), top(0): (1, 1, 1)}
    dl, ll = _r(rng, 0.6, 1.2, 0.1), _r(rng, 25.0, 40.0, 1.0)
    for k in range(1, n + 1):
        t.loads.append(("DL", top(k), 0.0, 0.0, -dl))
        t.loads.append(("DL", bot(k), 0.0, 0.0, -dl))
    t.loads.append(("LL", bot(n), 0.0, 0.0, -ll))
    t.loads.append(("LL", bot(n), round(0.1 * ll, 2), 0.0, 0.0))  # side pull of the hoist
    t.groups = {"top_chord": 7, "bottom_chord": 8, "vertical": 4, "diagonal": 5}
    return t


STRUCTURES = {"pratt": pratt, "warren": warren, "tower": tower, "bracket": bracket}


# -- direct stiffness method ------------------------------------------------------------------

def section_of(t: Truss, member: int) -> Section:
    return SECTIONS[t.groups[t.members[member][2]]]


def combined_loads(t: Truss, combination: dict[str, float]) -> np.ndarray:
    """Nodal load vector of the combination, N, 3 DOF per node in node order."""
    index = {nid: k for k, nid in enumerate(sorted(t.nodes))}
    f = np.zeros(3 * len(t.nodes))
    for case, node, fx, fy, fz in t.loads:
        f[3 * index[node]:3 * index[node] + 3] += combination.get(case, 0.0) * 1000.0 * np.array([fx, fy, fz])
    return f


def solve(t: Truss, combination: dict[str, float], loads: np.ndarray | None = None) -> dict[str, Any]:
    """Displacements (mm), member forces (N) and reactions (N) by the direct stiffness method in N-mm.

    ``loads`` (N, 3 DOF per node in node order) replaces the loads of the combination when given.
    """
    ids = sorted(t.nodes)
    index = {nid: k for k, nid in enumerate(ids)}
    xyz = {nid: np.array(t.nodes[nid]) * 1000.0 for nid in ids}
    k_global = np.zeros((3 * len(ids), 3 * len(ids)))
    geometry = {}
    for mid, (i, j, _) in t.members.items():
        d = xyz[j] - xyz[i]
        length = float(np.linalg.norm(d))
        c = d / length
        ea_l = E_MPA * section_of(t, mid).area / length
        block = ea_l * np.outer(c, c)
        dofs = [*range(3 * index[i], 3 * index[i] + 3), *range(3 * index[j], 3 * index[j] + 3)]
        k_global[np.ix_(dofs, dofs)] += np.block([[block, -block], [-block, block]])
        geometry[mid] = (c, length, ea_l, dofs)
    restrained = np.zeros(3 * len(ids), dtype=bool)
    for nid in ids:
        fixed = t.supports.get(nid, (0, 0, 0))
        for a in range(3):
            restrained[3 * index[nid] + a] = bool(fixed[a]) or (t.planar and a == 1)
    f = combined_loads(t, combination) if loads is None else loads
    free = ~restrained
    u = np.zeros_like(f)
    u[free] = np.linalg.solve(k_global[np.ix_(free, free)], f[free])
    reactions = k_global @ u - f
    forces = {mid: float(ea_l * c @ (u[dofs[3:]] - u[dofs[:3]])) for mid, (c, _, ea_l, dofs) in geometry.items()}
    lengths = {mid: g[1] for mid, g in geometry.items()}
    disp = {nid: u[3 * index[nid]:3 * index[nid] + 3] for nid in ids}
    react = {nid: reactions[3 * index[nid]:3 * index[nid] + 3] * np.array(t.supports[nid]) for nid in t.supports}
    return {"u": disp, "N": forces, "L": lengths, "R": react, "f": f}


def euler_allowable(sec: Section, length_mm: float) -> float:
    """sigma_E / FS of the design basis, sigma_E = pi^2 E I / (A (K L)^2)."""
    return math.pi**2 * E_MPA * sec.inertia / (sec.area * (BUCKLING_K * length_mm) ** 2) / BUCKLING_FS


def member_check(t: Truss, mid: int, force_n: float, length_mm: float) -> dict[str, Any]:
    sec = section_of(t, mid)
    stress = force_n / sec.area
    allowable = ALLOW_T_MPA if force_n >= 0 else min(ALLOW_T_MPA, euler_allowable(sec, length_mm))
    util = abs(stress) / allowable
    return {"member": mid, "axial_force_kN": force_n / 1000.0, "stress_MPa": stress, "allowable_MPa": allowable,
            "utilization": util, "status": "OK" if util <= 1.0 else "FAIL"}


def analyse(t: Truss, combination: dict[str, float], limit_mm: float) -> dict[str, Any]:
    res = solve(t, combination)
    checks = [member_check(t, mid, res["N"][mid], res["L"][mid]) for mid in sorted(t.members)]
    mags = {nid: float(np.linalg.norm(u)) for nid, u in res["u"].items()}
    dmax_node = max(mags, key=lambda n: (mags[n], -n))
    tens = max(checks, key=lambda c: c["axial_force_kN"])
    comp = min(checks, key=lambda c: c["axial_force_kN"])
    crit = max(checks, key=lambda c: c["utilization"])
    strength_ok = crit["utilization"] <= 1.0
    deflection_ok = mags[dmax_node] <= limit_mm
    summary = {
        "max_displacement_mm": mags[dmax_node], "max_displacement_node": dmax_node,
        "max_tension_kN": tens["axial_force_kN"], "max_tension_member": tens["member"],
        "max_compression_kN": comp["axial_force_kN"], "max_compression_member": comp["member"],
        "max_utilization": crit["utilization"], "critical_member": crit["member"],
        "strength_ok": strength_ok, "deflection_ok": deflection_ok,
        "verdict": "PASS" if strength_ok and deflection_ok else "FAIL",
    }
    return {"res": res, "checks": checks, "summary": summary, "mags": mags}


def stocky_struts(t: Truss, a: dict[str, Any]) -> list[int]:
    """Members in clear compression whose allowable is the tension allowable (sigma_E / FS at least 5 % above it)."""
    fscale = max(abs(c["axial_force_kN"]) for c in a["checks"])
    return [c["member"] for c in a["checks"] if c["axial_force_kN"] < -0.05 * fscale
            and euler_allowable(section_of(t, c["member"]), a["res"]["L"][c["member"]]) >= 1.05 * ALLOW_T_MPA]


def make_stocky_strut(t: Truss, a: dict[str, Any], keep: str | None) -> None:
    """Upsize one group (not ``keep``) by the fewest catalogue steps that make one of its members in clear
    compression stocky (see stocky_struts), so that every instance exercises the tension cap of the
    compression rule: sized to 0.85 utilization, the struts of most draws are all slender."""
    if any(t.members[m][2] != keep for m in stocky_struts(t, a)):
        return
    fscale = max(abs(c["axial_force_kN"]) for c in a["checks"])
    steps = []
    for c in a["checks"]:
        group = t.members[c["member"]][2]
        if c["axial_force_kN"] >= -0.05 * fscale or group == keep:
            continue
        stocky = [idx for idx in range(t.groups[group], len(SECTIONS))
                  if euler_allowable(SECTIONS[idx], a["res"]["L"][c["member"]]) >= 1.1 * ALLOW_T_MPA]
        if stocky:
            steps.append((stocky[0] - t.groups[group], group, stocky[0]))
    _, group, idx = min(steps)
    t.groups[group] = idx


def size_sections(t: Truss, combination: dict[str, float], limit_mm: float, verdict: str) -> None:
    """Smallest section per group at <= 0.85 utilization, one group upsized for a stocky strut; for a FAIL
    target, undersize the group of the most compressed member."""
    for _ in range(4):  # forces of an indeterminate truss depend on the sizes: iterate
        a = analyse(t, combination, limit_mm)
        for group in t.groups:
            members = [c for c in a["checks"] if t.members[c["member"]][2] == group]
            for idx in range(len(SECTIONS)):
                t.groups[group] = idx
                if all(member_check(t, c["member"], c["axial_force_kN"] * 1000, a["res"]["L"][c["member"]])
                       ["utilization"] <= 0.85 for c in members):
                    break
    a = analyse(t, combination, limit_mm)
    weakest = t.members[min(a["checks"], key=lambda c: c["axial_force_kN"])["member"]][2]
    make_stocky_strut(t, a, keep=weakest if verdict == "FAIL" else None)
    if verdict == "FAIL":
        for idx in range(t.groups[weakest] - 1, -1, -1):  # the largest smaller section that fails clearly
            t.groups[weakest] = idx
            if analyse(t, combination, limit_mm)["summary"]["max_utilization"] >= 1.08:
                break
    final = analyse(t, combination, limit_mm)
    assert final["summary"]["verdict"] == verdict, f"sizing did not reach {verdict}"
    assert (abs(final["summary"]["max_utilization"] - 1) > 0.03
            and abs(final["summary"]["max_displacement_mm"] / limit_mm - 1) > 0.03)
    assert stocky_struts(t, final), "no strut exercises the tension cap of the compression rule"


def hidden_loads(t: Truss, combination: dict[str, float], seed: int) -> np.ndarray:
    """A load set the agent never sees, for re-running its deck: random nodal loads (N) on every free node.

    Loads lie in the plane of a planar truss; their size is that of the design combination's largest
    nodal load component, so the displacements are of the same order as the real ones.
    """
    rng = np.random.default_rng([seed, 8])
    scale = float(np.max(np.abs(combined_loads(t, combination))))
    f = np.zeros(3 * len(t.nodes))
    for k, nid in enumerate(sorted(t.nodes)):
        if nid in t.supports:
            continue
        vec = rng.uniform(-1.0, 1.0, 3) * scale
        if t.planar:
            vec[1] = 0.0
        f[3 * k:3 * k + 3] = np.round(vec, 1)
    return f


# -- files ------------------------------------------------------------------------------------

def criteria(params: dict[str, Any], t: Truss, limit_mm: float) -> dict[str, Any]:
    return {
        "structure": t.title,
        "planar": t.planar,
        "plane": "XZ (Y = 0 for every node)" if t.planar else None,
        "vertical_axis": "Z (up)",
        "units": {"coordinates": "m", "loads": "kN", "section_properties": "mm, mm2, mm4", "deck": "N, mm, MPa"},
        "material": {"name": "steel S355", "E_MPa": E_MPA, "poisson": NU, "fy_MPa": FY_MPA},
        "load_combination": params["combination"],
        "allowable_tension_MPa": ALLOW_T_MPA,
        "compression": {"rule": "allowable = min(allowable_tension_MPa, sigma_E / FS) with "
                                "sigma_E = pi^2 E I / (A (K L)^2), L = node-to-node member length",
                        "K": BUCKLING_K, "FS": BUCKLING_FS},
        "displacement_limit_mm": limit_mm,
        "self_weight": "neglected (included in the DL nodal loads)",
    }


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    rng = np.random.default_rng(params["seed"])
    t = STRUCTURES[params["structure"]](rng)
    xs = [c[0] for c in t.nodes.values()]
    zs = [c[2] for c in t.nodes.values()]
    span_mm = 1000 * (max(zs) if params["structure"] == "tower" else max(xs) - min(xs))
    limit_mm = round(span_mm / params["limit_ratio"], 1)
    size_sections(t, params["combination"], limit_mm, params["verdict"])
    a = analyse(t, params["combination"], limit_mm)

    write_csv(input_dir / "nodes.csv", ["node", "x_m", "y_m", "z_m"],
              [[n, *t.nodes[n]] for n in sorted(t.nodes)])
    write_csv(input_dir / "members.csv", ["member", "node_i", "node_j", "group", "section"],
              [[m, i, j, g, SECTIONS[t.groups[g]].name] for m, (i, j, g) in sorted(t.members.items())])
    used = sorted({t.groups[g] for g in t.groups})
    write_csv(input_dir / "sections.csv", ["section", "D_mm", "t_mm", "A_mm2", "I_mm4"],
              [[s.name, s.d, s.t, s.area, s.inertia] for s in (SECTIONS[k] for k in used)])
    write_csv(input_dir / "supports.csv", ["node", "ux", "uy", "uz"],
              [[n, *t.supports[n]] for n in sorted(t.supports)])
    write_csv(input_dir / "loads.csv", ["case", "node", "Fx_kN", "Fy_kN", "Fz_kN"],
              [[c, n, fx, fy, fz] for c, n, fx, fy, fz in t.loads])
    (input_dir / "design_basis.json").write_text(json.dumps(criteria(params, t, limit_mm), indent=2) + "\n")

    res = a["res"]
    write_csv(reference_dir / "displacements.csv", ["node", "ux_mm", "uy_mm", "uz_mm"],
              [[n, *(float(v) for v in res["u"][n])] for n in sorted(res["u"])])
    write_csv(reference_dir / "member_forces.csv", MEMBER_COLUMNS, [[c[k] for k in MEMBER_COLUMNS] for c in a["checks"]])
    write_csv(reference_dir / "reactions.csv", REACTION_COLUMNS,
              [[n, *(float(v) / 1000 for v in res["R"][n])] for n in sorted(res["R"])])
    load = res["f"].reshape(-1, 3) / 1000.0
    ids = sorted(t.nodes)
    hidden = hidden_loads(t, params["combination"], params["seed"])
    hidden_u = solve(t, params["combination"], hidden)["u"]
    (reference_dir / "hidden_load_case.json").write_text(json.dumps({
        "loads_N": [[n, *map(float, hidden[3 * k:3 * k + 3])] for k, n in enumerate(ids) if np.any(hidden[3 * k:3 * k + 3])],
        "displacements_mm": {str(n): list(map(float, hidden_u[n])) for n in ids},
    }, indent=2) + "\n")
    (reference_dir / "summary.json").write_text(json.dumps({
        **a["summary"], "planar": t.planar,
        "applied_kN": [[n, *map(float, load[k])] for k, n in enumerate(ids) if np.any(load[k])],
        "coordinates_m": {str(n): list(t.nodes[n]) for n in ids},
        "supports": {str(n): list(t.supports[n]) for n in t.supports},
        "elements": sorted(t.members),
    }, indent=2) + "\n")


# -- grading ----------------------------------------------------------------------------------

def read_ref_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text().splitlines()))


def instrument_deck(deck: str, nodes: list[int]) -> str | None:
    """The deck with the grader's node set and print request added to its single step, else None."""
    lines = deck.splitlines()
    starts = [k for k, line in enumerate(lines) if re.match(r"^\s*\*\s*step\b", line, re.I)]
    ends = [k for k, line in enumerate(lines) if re.match(r"^\s*\*\s*end\s*step\b", line, re.I)]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        return None
    node_set = ["*NSET, NSET=ALEGRADEN"] + [", ".join(map(str, nodes[k:k + 12])) for k in range(0, len(nodes), 12)]
    prints = ["*NODE PRINT, NSET=ALEGRADEN", "U, RF"]
    out = lines[:starts[0]] + node_set + lines[starts[0]:ends[0]] + prints + lines[ends[0]:]
    return "\n".join(out) + "\n"


def parse_dat(text: str, title: str) -> dict[int, list[float]]:
    """The last block of ``title`` (e.g. 'displacements') for the grader's node set in a ccx .dat file."""
    blocks = re.split(r"\n\s*(?=\S+ \([^)]*\) for set )", "\n" + text)
    found: dict[int, list[float]] = {}
    for block in blocks:
        head, _, body = block.strip().partition("\n")
        if head.startswith(title) and "ALEGRADEN" in head.upper():
            found = {}
            for line in body.splitlines():
                cols = line.split()
                if len(cols) == 4 and cols[0].isdigit():
                    values = [as_number(c) for c in cols[1:]]
                    if all(v is not None for v in values):
                        found[int(cols[0])] = values  # type: ignore[assignment]
    return found


def replace_loads(deck: str, loads_n: list[list[float]]) -> str:
    """The deck with every *CLOAD and *DLOAD block removed and the given nodal loads (N) applied in its step."""
    kept: list[str] = []
    dropping = False
    for line in deck.splitlines():
        if line.lstrip().startswith("*") and not line.lstrip().startswith("**"):
            dropping = bool(re.match(r"^\s*\*\s*(cload|dload)\b", line, re.I))
        if not dropping:
            kept.append(line)
    end = max(k for k, line in enumerate(kept) if re.match(r"^\s*\*\s*end\s*step\b", line, re.I))
    cload = ["*CLOAD"] + [f"{int(node)}, {a + 1}, {vec[a]:.6g}" for node, *vec in loads_n for a in range(3) if vec[a]]
    return "\n".join(kept[:end] + cload + kept[end:]) + "\n"


def rerun_deck(g: Grading, deck: str) -> tuple[dict[int, list[float]], dict[int, list[float]], str]:
    """Run an (instrumented) deck in ccx in a fresh sandbox: displacements, nodal forces, and a failure note."""
    result = g.run_tool(["ccx", "-i", "truss"], files={"truss.inp": deck}, timeout=60)
    dat = result.workdir / "truss.dat"
    text = dat.read_text(errors="replace") if dat.is_file() else ""
    disp, rf = parse_dat(text, "displacements"), parse_dat(text, "forces")
    note = "" if disp and rf else (f"ccx produced no results for the input node numbers (exit {result.returncode}): "
                                   f"{(result.stdout + result.stderr)[-300:]}")
    return disp, rf, note


def displacement_misses(found: dict[int, list[float]], expected: dict[int, list[float]]) -> list[str]:
    """Nodes whose re-run displacement is off the expected one by more than 0.5% of the largest component."""
    scale = max(abs(v) for vec in expected.values() for v in vec)
    bad = []
    for node, want in sorted(expected.items()):
        got = found.get(node)
        if got is None or any(abs(a - b) > 0.005 * scale + 0.01 for a, b in zip(got, want, strict=True)):
            bad.append(f"node {node}: {got} vs {[round(w, 3) for w in want]}")
    return bad


DECK_CHECK = "truss.inp re-runs in CalculiX and reproduces the displacements"
REACTION_RERUN_CHECK = "truss.inp support reactions (re-run) match"
HIDDEN_CHECK = "truss.inp model, re-run under a hidden load set, reproduces the stiffness solution"


def check_deck(g: Grading, ref: dict[str, Any], ref_disp: list[dict[str, str]],
               ref_reac: list[dict[str, str]]) -> None:
    """Re-run the deck as submitted (the design combination) and with its loads replaced by a hidden load set.

    The second run shows that the deck is a model of the truss (geometry, sections, material,
    supports) rather than a device that reproduces known displacements.
    """
    nodes = [int(r["node"]) for r in ref_disp]
    deck = g.read_text("truss.inp", gate=False)
    instrumented = instrument_deck(deck, nodes) if deck is not None else None
    if instrumented is None:
        for name, weight in ((DECK_CHECK, 3), (REACTION_RERUN_CHECK, 1), (HIDDEN_CHECK, 3)):
            g.check(name, False, weight=weight, reason="unreadable deck, or not exactly one *STEP ... *END STEP")
        return
    hidden = g.reference_json("hidden_load_case.json")
    expected_hidden = {int(n): vec for n, vec in hidden["displacements_mm"].items()}
    disp, _, note = rerun_deck(g, replace_loads(instrumented, hidden["loads_N"]))
    bad = [note] if note else displacement_misses(disp, expected_hidden)
    g.check(HIDDEN_CHECK, not bad, weight=3, expected=f"{len(expected_hidden)} nodes within 0.5% of max |u|",
            reason="; ".join(bad[:5]))
    disp, rf, note = rerun_deck(g, instrumented)
    if note:
        g.check(DECK_CHECK, False, weight=3, reason=note)
        g.check(REACTION_RERUN_CHECK, False, weight=1, reason="deck not re-run")
        return
    expected = {int(r["node"]): [float(r[k]) for k in ("ux_mm", "uy_mm", "uz_mm")] for r in ref_disp}
    bad = displacement_misses(disp, expected)
    g.check(DECK_CHECK, not bad, weight=3, expected=f"{len(ref_disp)} nodes within 0.5% of max |u|",
            reason="; ".join(bad[:5]))
    # ccx's RF is the resultant of the member forces at a node: the reaction plus any load applied there.
    applied = {int(node): vec for node, *vec in ref["applied_kN"]}
    rscale = max(abs(float(r[k])) for r in ref_reac for k in REACTION_COLUMNS[1:])
    bad = []
    for row in ref_reac:
        node = int(row["node"])
        got = rf.get(node)
        fixed = ref["supports"][row["node"]]
        for a, key in enumerate(REACTION_COLUMNS[1:]):
            if not fixed[a]:
                continue
            reaction = None if got is None else got[a] / 1000 - applied.get(node, [0.0, 0.0, 0.0])[a]
            if reaction is None or abs(reaction - float(row[key])) > 0.005 * rscale + 0.05:
                shown = "none" if reaction is None else f"{reaction:.3f}"
                bad.append(f"node {node} {key}: {shown} vs {float(row[key]):.3f}")
    g.check(REACTION_RERUN_CHECK, not bad, expected="reference reactions", reason="; ".join(bad[:5]))


def check_members(g: Grading, rows: list[dict[str, str]], ref_rows: list[dict[str, str]]) -> None:
    fscale = max(abs(float(r["axial_force_kN"])) for r in ref_rows)
    g.table("member axial forces match (tension +)", rows, ref_rows, key="member",
            columns={"axial_force_kN": (0.005 * fscale + 0.05, 0.0)}, weight=2)
    found = {str(r.get("member", "")).strip(): r for r in rows}
    bad = []
    for ref in ref_rows:
        got = found.get(ref["member"])
        if got is None:
            bad.append(f"{ref['member']}: missing")
            continue
        # A zero-force member may be reported with either sign, so either allowable stands for it.
        zero = abs(float(ref["axial_force_kN"])) < 0.001 * fscale + 0.01
        wrong = [c for c, ok in (
            ("stress_MPa", is_close(got.get("stress_MPa"), float(ref["stress_MPa"]), abs_tol=0.5, rel_tol=0.005)),
            ("allowable_MPa", zero or is_close(got.get("allowable_MPa"), float(ref["allowable_MPa"]), abs_tol=0.5, rel_tol=0.005)),
            ("utilization", is_close(got.get("utilization"), float(ref["utilization"]), abs_tol=0.005, rel_tol=0.005)),
            ("status", str(got.get("status", "")).strip().upper() == ref["status"]),
        ) if not ok]
        if wrong:
            bad.append(f"{ref['member']}: " + ", ".join(f"{c}={got.get(c)!r} want {ref[c]}" for c in wrong))
    extra = len(found) - len(set(found) & {r["member"] for r in ref_rows}) + (len(rows) - len(found))
    score = (len(ref_rows) - len(bad)) / (len(ref_rows) + extra)
    g.check("member stress, allowable, utilization and status match", score, weight=2,
            expected=f"{len(ref_rows)} rows", reason="; ".join(bad[:6]) + (f"; {extra} extra rows" if extra else ""))


def check_reactions(g: Grading, rows: list[dict[str, str]], ref_rows: list[dict[str, str]],
                    ref: dict[str, Any]) -> None:
    rscale = max(abs(float(r[k])) for r in ref_rows for k in REACTION_COLUMNS[1:])
    g.table("reactions.csv matches the reference", rows, ref_rows, key="node",
            columns={k: (0.005 * rscale + 0.05, 0.0) for k in REACTION_COLUMNS[1:]})
    coords = {int(k): np.array(v) for k, v in ref["coordinates_m"].items()}
    total = np.zeros(6)
    for node, fx, fy, fz in ref["applied_kN"]:
        total += np.concatenate([[fx, fy, fz], np.cross(coords[node], [fx, fy, fz])])
    load_scale = sum(abs(v) for _, *vec in ref["applied_kN"] for v in vec)
    reported = np.zeros(6)
    for row in rows:
        node = as_number(row.get("node"))
        vec = [as_number(row.get(k)) for k in REACTION_COLUMNS[1:]]
        if node is None or int(node) not in coords or any(v is None for v in vec):
            g.check("reported reactions balance the combined loads (forces and moments)", False,
                    reason=f"unusable row {row}")
            return
        reported += np.concatenate([vec, np.cross(coords[int(node)], vec)])
    residual = total + reported
    ok = bool(np.all(np.abs(residual[:3]) <= 0.005 * load_scale + 0.05)
              and np.all(np.abs(residual[3:]) <= 0.005 * load_scale * 10 + 0.5))
    g.check("reported reactions balance the combined loads (forces and moments)", ok,
            expected="sum F = 0, sum M = 0", found=[round(float(v), 3) for v in residual])


def governing(rows: list[dict[str, str]], key: str, column: str, sign: float) -> set[int]:
    """Ids whose ``column`` (times ``sign``) is within 0.5% of the extreme: ties of symmetric structures."""
    values = {int(r[key]): sign * float(r[column]) for r in rows}
    top = max(values.values())
    return {k for k, v in values.items() if v >= top - 0.005 * abs(top) - 1e-6}


def check_summary(g: Grading, summary: dict[str, Any], ref: dict[str, Any],
                  ref_members: list[dict[str, str]], ref_disp: list[dict[str, str]]) -> None:
    g.number("summary max_displacement_mm", summary.get("max_displacement_mm"), ref["max_displacement_mm"],
             abs_tol=0.05, rel_tol=0.01)
    mags = [{"node": r["node"], "mag": str(math.hypot(*(float(r[k]) for k in ("ux_mm", "uy_mm", "uz_mm"))))}
            for r in ref_disp]
    allowed = {
        "max_displacement_node": governing(mags, "node", "mag", 1.0),
        "max_tension_member": governing(ref_members, "member", "axial_force_kN", 1.0),
        "max_compression_member": governing(ref_members, "member", "axial_force_kN", -1.0),
        "critical_member": governing(ref_members, "member", "utilization", 1.0),
    }
    misses = []
    for key, ids in allowed.items():
        got = as_number(summary.get(key))
        if got is None or int(got) != got or int(got) not in ids:
            misses.append(f"{key}: {summary.get(key)!r} vs {sorted(ids)}")
    for key in ("max_tension_kN", "max_compression_kN", "max_utilization"):
        got = as_number(summary.get(key))
        if got is None or not math.isclose(got, ref[key], rel_tol=0.01, abs_tol=0.01):
            misses.append(f"{key}: {summary.get(key)!r} vs {ref[key]:.3f}")
    g.check("summary extremes (forces, utilization, governing members and node)", 1 - len(misses) / 7,
            reason="; ".join(misses))
    verdict_ok = (str(summary.get("verdict", "")).strip().upper() == ref["verdict"]
                  and summary.get("strength_ok") is ref["strength_ok"]
                  and summary.get("deflection_ok") is ref["deflection_ok"])
    g.check("verdict, strength_ok and deflection_ok are right", verdict_ok, weight=2,
            expected=[ref["verdict"], ref["strength_ok"], ref["deflection_ok"]],
            found=[summary.get("verdict"), summary.get("strength_ok"), summary.get("deflection_ok")])


def grade(g: Grading) -> None:
    if not g.require_files("truss.inp", "member_forces.csv", "reactions.csv", "summary.json"):
        return
    members = g.read_csv("member_forces.csv", required_columns=MEMBER_COLUMNS)
    reactions = g.read_csv("reactions.csv", required_columns=REACTION_COLUMNS)
    summary = g.read_json("summary.json")
    if members is None or reactions is None or summary is None:
        return
    if not g.check("summary.json is a JSON object", isinstance(summary, dict), gate=True, weight=0):
        return
    ref = g.reference_json("summary.json")
    ref_disp = read_ref_csv(g.reference("displacements.csv"))
    ref_members = read_ref_csv(g.reference("member_forces.csv"))
    ref_reactions = read_ref_csv(g.reference("reactions.csv"))
    check_deck(g, ref, ref_disp, ref_reactions)
    check_members(g, members, ref_members)
    check_reactions(g, reactions, ref_reactions, ref)
    check_summary(g, summary, ref, ref_members, ref_disp)
