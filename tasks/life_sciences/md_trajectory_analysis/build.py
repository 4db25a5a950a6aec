"""Construct the simulated system and its trajectory by design, in pure numpy.

``build_system`` lays out a helix-bundle protein (one or two chains) around a pocket that holds one
ligand, ``LIG``. Three pocket residues are built to reach the ligand: a lysine whose NZ-HZ1 donates to
the ligand carbonyl O2, a glutamate whose OE1 accepts from the ligand hydroxyl O1-H1, and a glutamate
whose OE1 sits 3.1 A from the ligand amine N1 but behind its hydrogens (in distance, not in angle).

``build_trajectory`` moves it: residue-level and atomic thermal noise, one flexible loop, per scenario a
ligand pose flip (``pose_shift``), an unbinding (``unbinding``) or a hinge motion of chain B
(``two_chain``); then the whole complex drifts and turns through a periodic box. Coordinates are
rounded to the 0.01 A grid an XTC file stores, so the truth equals what the files hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LOOP_LEN = 5
BUNDLE_R = 9.8
BOX = 72.0
FIT_HEAVY = ("N", "CA", "C", "O")

# default side chains: (name, element, step along the outward direction, zig offset, parent for hydrogens)
SIDE = {
    "GLY": [],
    "ALA": [("CB", "C", 0, 0)],
    "SER": [("CB", "C", 0, 0), ("OG", "O", 1, 1), ("HG", "H", 1.75, 1)],
    "THR": [("CB", "C", 0, 0), ("OG1", "O", 1, 1), ("HG1", "H", 1.75, 1), ("CG2", "C", 1, -1)],
    "VAL": [("CB", "C", 0, 0), ("CG1", "C", 1, 1), ("CG2", "C", 1, -1)],
    "LEU": [("CB", "C", 0, 0), ("CG", "C", 1, 1), ("CD1", "C", 2, 0.3), ("CD2", "C", 2, 1.7)],
    "LYS": [("CB", "C", 0, 0), ("CG", "C", 1, 1), ("CD", "C", 2, 0), ("CE", "C", 3, 1), ("NZ", "N", 4, 0),
            ("HZ1", "H", 4.8, 0.2), ("HZ2", "H", 4.6, -0.5), ("HZ3", "H", 4.6, 0.7)],
    "GLU": [("CB", "C", 0, 0), ("CG", "C", 1, 1), ("CD", "C", 2, 0), ("OE1", "O", 2.8, 0.4), ("OE2", "O", 2.6, -0.7)],
}
SURFACE = ("ALA", "SER", "THR", "VAL", "LEU", "LYS", "GLU", "LYS", "GLU", "LEU")
# ligand template (planar, A): ring C1..C6 with N4 in the ring, acetyl on C1, OH on C3, NH2 on C5, Cl on C2
LIGAND = [
    ("C1", "C", (1.39, 0.0)), ("C2", "C", (0.695, 1.204)), ("C3", "C", (-0.695, 1.204)),
    ("N4", "N", (-1.39, 0.0)), ("C5", "C", (-0.695, -1.204)), ("C6", "C", (0.695, -1.204)),
    ("C7", "C", (2.89, 0.0)), ("O2", "O", (3.505, 1.065)), ("C8", "C", (3.64, -1.30)),
    ("CL1", "Cl", (1.56, 2.71)), ("O1", "O", (-1.38, 2.39)), ("H1", "H", (-2.35, 2.39)),
    ("N1", "N", (-1.38, -2.39)), ("H2", "H", (-0.90, -3.26)), ("H3", "H", (-2.39, -2.37)),
]


@dataclass
class System:
    """Atoms of the complex in its design frame (bundle axis = z, pocket at the origin)."""

    names: list[str] = field(default_factory=list)
    elements: list[str] = field(default_factory=list)
    resnames: list[str] = field(default_factory=list)
    resids: list[int] = field(default_factory=list)
    chains: list[str] = field(default_factory=list)
    xyz: list[np.ndarray] = field(default_factory=list)
    loop: list[tuple[str, int]] = field(default_factory=list)  # the flexible loop's residues
    designed: dict[str, tuple[str, int]] = field(default_factory=dict)

    def add(self, name: str, element: str, resname: str, resid: int, chain: str, xyz: np.ndarray) -> None:
        self.names.append(name)
        self.elements.append(element)
        self.resnames.append(resname)
        self.resids.append(resid)
        self.chains.append(chain)
        self.xyz.append(np.asarray(xyz, float))

    def coords(self) -> np.ndarray:
        return np.array(self.xyz)

    def index(self, chain: str, resid: int, name: str) -> int:
        for i, (c, r, n) in enumerate(zip(self.chains, self.resids, self.names, strict=True)):
            if (c, r, n) == (chain, resid, name):
                return i
        raise KeyError((chain, resid, name))


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rotation matrix about ``axis`` by ``angle`` radians (Rodrigues)."""
    a = unit(axis)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    q = rng.normal(size=4)
    w, x, y, z = q / np.linalg.norm(q)
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def arc(start: np.ndarray, end: np.ndarray, bonds: int, length: float, side: np.ndarray) -> list[np.ndarray]:
    """Points between ``start`` and ``end`` on a circular arc of ``bonds`` equal chords of ``length``
    (bowed towards ``side``); the last point is ``end``. Needs |end - start| <= bonds * length."""
    d = float(np.linalg.norm(end - start))
    lo, hi = 1e-6, 2 * np.pi / bonds - 1e-6
    for _ in range(60):  # chord ratio sin(n a / 2) / sin(a / 2) falls from n to 0 as a grows
        mid = (lo + hi) / 2
        if np.sin(bonds * mid / 2) / np.sin(mid / 2) * length > d:
            lo = mid
        else:
            hi = mid
    alpha = (lo + hi) / 2
    radius = length / (2 * np.sin(alpha / 2))
    u = unit(end - start)
    w = unit(side - np.dot(side, u) * u)
    centre = (start + end) / 2 - w * np.sqrt(max(radius**2 - (d / 2) ** 2, 0.0))
    a0 = start - centre
    normal = unit(np.cross(a0, end - centre)) if np.linalg.norm(np.cross(a0, end - centre)) > 1e-9 else unit(
        np.cross(u, w))
    # the short way round from start to end, whichever sense the normal has
    ways = [[centre + rotation(normal, s * alpha * k) @ a0 for k in range(1, bonds + 1)] for s in (1.0, -1.0)]
    return min(ways, key=lambda pts: float(np.linalg.norm(pts[-1] - end)))


def ca_trace(n_helices: int, helix_len: int, rng: np.random.Generator) -> list[tuple[np.ndarray, int, np.ndarray]]:
    """C-alpha positions of an up-down helix bundle with its loops: (position, helix index or -1, helix axis point)."""
    helices = []
    for h in range(n_helices):
        phi = 2 * np.pi * h / n_helices
        axis = np.array([BUNDLE_R * np.cos(phi), BUNDLE_R * np.sin(phi), 0.0])
        e1, e2 = unit(axis), np.array([-np.sin(phi), np.cos(phi), 0.0])
        up = 1 if h % 2 == 0 else -1
        phase = rng.uniform(0, 2 * np.pi)
        helix = []
        for j in range(helix_len):
            z = up * (1.5 * j - 1.5 * (helix_len - 1) / 2)
            t = phase + np.deg2rad(100) * j
            centre = axis + np.array([0, 0, z])
            helix.append((centre + 2.3 * (np.cos(t) * e1 + np.sin(t) * e2), h, centre))
        helices.append(helix)
    trace = list(helices[0])
    for h in range(1, n_helices):
        a, b = trace[-1][0], helices[h][0][0]
        up = 1 if h % 2 == 1 else -1
        mid = (a + b) / 2
        bulge = mid + np.array([0, 0, up * 9.0]) + 4.0 * unit(np.array([mid[0], mid[1], 0.0]))
        for k in range(1, LOOP_LEN + 1):
            s = k / (LOOP_LEN + 1)
            p = (1 - s) ** 2 * a + 2 * s * (1 - s) * bulge + s**2 * b
            trace.append((p, -1, p))
        trace += helices[h]
    return trace


def backbone(prev: np.ndarray, ca: np.ndarray, nxt: np.ndarray, centre: np.ndarray) -> dict[str, np.ndarray]:
    """N, H, CA, C, O and the outward CB direction of one residue from its C-alpha neighbours."""
    dp, dn = unit(prev - ca), unit(nxt - ca)
    normal = unit(np.cross(dp, dn)) if np.linalg.norm(np.cross(dp, dn)) > 1e-6 else unit(np.cross(dp, [0, 0, 1.0]))
    out = ca - centre
    out = unit(out) if np.linalg.norm(out) > 1e-6 else unit(-(dp + dn))
    n = ca + 1.46 * unit(dp + 0.35 * normal)
    c = ca + 1.52 * unit(dn - 0.35 * normal)
    o = c + 1.23 * unit(-normal + 0.3 * out)
    h = n + 1.01 * unit(n - 0.5 * (ca + prev))
    cb_dir = unit(out - 0.4 * (dp + dn))
    return {"N": n, "H": h, "CA": ca, "C": c, "O": o, "cb_dir": cb_dir, "zig": normal}


def build_system(scenario: str, helix_len: int, rng: np.random.Generator) -> System:
    """The complex in its design frame. Raises RuntimeError when no pocket layout fits (a generator bug)."""
    n_helices = 4
    trace = ca_trace(n_helices, helix_len, rng)
    chain_b_start = None
    if scenario == "two_chain":
        chain_b_start = (helix_len + LOOP_LEN) * (n_helices - 1)
        trace = trace[: chain_b_start - LOOP_LEN] + trace[chain_b_start:chain_b_start + helix_len]
        chain_b_start -= LOOP_LEN
    positions = [p for p, _, _ in trace]
    frames = []
    for i, (ca, _helix, centre) in enumerate(trace):
        prev = positions[i - 1] if i > 0 else 2 * ca - positions[i + 1]
        nxt = positions[i + 1] if i + 1 < len(trace) else 2 * ca - positions[i - 1]
        frames.append(backbone(prev, ca, nxt, centre))
    inward = [trace[i][1] >= 0 and np.dot(f["cb_dir"], unit(np.array([*f["CA"][:2], 0]))) < -0.2
              for i, f in enumerate(frames)]
    labels = [("A", i + 1) if chain_b_start is None or i < chain_b_start else ("B", i - chain_b_start + 1)
              for i in range(len(trace))]

    lig0 = np.array([[x, y, 0.0] for _, _, (x, y) in LIGAND])
    lig0 -= lig0[:13].mean(axis=0) * np.array([1, 1, 0])
    names = [n for n, _, _ in LIGAND]
    candidates = [i for i in range(len(trace)) if inward[i] and labels[i][0] == "A" and 2 < i < len(trace) - 3]
    kinds = [str(rng.choice(("GLY", "ALA", "ALA", "SER", "VAL"))) if inward[i] else str(rng.choice(SURFACE))
             for i in range(len(trace))]
    for _attempt in range(4000):
        lig = lig0 @ random_rotation(rng).T + rng.normal(0, 0.6, 3)
        at = dict(zip(names, lig, strict=True))
        plan = _pocket_plan(at, frames, candidates)
        if plan is not None and _clear(lig, frames, plan, kinds):
            break
    else:
        raise RuntimeError("no pocket layout found")

    system = System()
    loop_helix = {"pose_shift": 1, "unbinding": 0, "two_chain": 1}[scenario]
    loop_start = (helix_len + LOOP_LEN) * loop_helix + helix_len
    loop = {loop_start - 1 + k for k in range(LOOP_LEN + 2)}
    for i, f in enumerate(frames):
        chain, resid = labels[i]
        if i in plan:
            resname, side, _role = plan[i]
        else:
            resname = kinds[i]
            side = _default_side(resname, f)
        for name in ("N", "H", "CA", "C", "O"):
            system.add(name, name[0], resname, resid, chain, f[name])
        for name, element, xyz in side:
            system.add(name, element, resname, resid, chain, xyz)
        if i in loop:
            system.loop.append((chain, resid))
        if i in plan:
            system.designed[plan[i][2]] = (chain, resid)
    for (name, element, _), xyz in zip(LIGAND, lig, strict=True):
        system.add(name, element, "LIG", 1, "L", xyz)
    return system


def _default_side(resname: str, f: dict[str, np.ndarray]) -> list[tuple[str, str, np.ndarray]]:
    cb = f["CA"] + 1.53 * f["cb_dir"]
    return [(name, element, cb + 1.25 * step * f["cb_dir"] + 0.45 * zig * f["zig"]) for name, element, step, zig
            in SIDE[resname]]


def _pocket_plan(at: dict[str, np.ndarray], frames: list[dict], candidates: list[int]) -> dict | None:
    """Assign the lysine donor, the glutamate acceptor and the glutamate decoy to pocket residues."""
    centre = np.mean([at[n] for n in ("C1", "C2", "C3", "N4", "C5", "C6")], axis=0)
    nz = at["O2"] + 2.85 * unit(at["O2"] - at["C7"])
    oe1 = at["O1"] + 2.72 * unit(at["H1"] - at["O1"])
    normal = unit(np.cross(at["C1"] - centre, at["C3"] - centre))
    # the planar amine's lone pair: out of the ring plane, where an acceptor is near but no N-H points at it
    decoys = [at["N1"] + 3.1 * unit(s * normal + 0.2 * unit(at["N1"] - centre)) for s in (1, -1)]
    plan: dict[int, tuple[str, list, str]] = {}
    for role, target in (("lys_donor", nz), ("glu_acceptor", oe1), ("glu_decoy", decoys[0]), ("glu_decoy", decoys[1])):
        if role in {p[2] for p in plan.values()}:
            continue
        best = None
        for i in candidates:
            if i in plan or any(abs(i - j) < 2 for j in plan):
                continue
            ca = frames[i]["CA"]
            if role == "lys_donor":
                d = np.linalg.norm(target - ca)
                if 3.8 <= d <= 7.3 and (best is None or d < best[0]):
                    best = (d, i)
            else:
                acceptor_from = at["O1"] if role == "glu_acceptor" else at["N1"]
                cd = target + 1.25 * unit(target - acceptor_from)
                d = np.linalg.norm(cd - ca)
                if 2.6 <= d <= 4.45 and (best is None or d < best[0]):
                    best = (d, i)
        if best is None:
            if role == "glu_decoy" and target is decoys[0]:
                continue
            return None
        i = best[1]
        f = frames[i]
        if role == "lys_donor":
            cb, cg, cd, ce, nz_ = arc(f["CA"], target, 5, 1.52, f["cb_dir"])
            hz1 = nz_ + 1.01 * unit(at["O2"] - nz_)
            axis = unit(nz_ - ce)
            hz = [nz_ + rotation(axis, k * 2 * np.pi / 3) @ (hz1 - nz_) for k in (1, 2)]
            side = [("CB", "C", cb), ("CG", "C", cg), ("CD", "C", cd), ("CE", "C", ce), ("NZ", "N", nz_),
                    ("HZ1", "H", hz1), ("HZ2", "H", hz[0]), ("HZ3", "H", hz[1])]
            plan[i] = ("LYS", side, role)
        else:
            acceptor_from = at["O1"] if role == "glu_acceptor" else at["N1"]
            cd_ = target + 1.25 * unit(target - acceptor_from)
            cb, cg, cd_ = arc(f["CA"], cd_, 3, 1.52, f["cb_dir"])
            normal = unit(np.cross(target - cd_, cg - cd_))
            oe2 = cd_ + rotation(normal, np.deg2rad(124)) @ (target - cd_)
            side = [("CB", "C", cb), ("CG", "C", cg), ("CD", "C", cd_), ("OE1", "O", target), ("OE2", "O", oe2)]
            plan[i] = ("GLU", side, role)
    return plan


def _clear(lig: np.ndarray, frames: list[dict], plan: dict, kinds: list[str]) -> bool:
    """No protein heavy atom within 3.0 A of a ligand heavy atom (designed partners excepted)."""
    heavy = [lig[k] for k, (_, el, _) in enumerate(LIGAND) if el != "H"]
    others = []
    for i, f in enumerate(frames):
        others += [f[n] for n in FIT_HEAVY]
        if i in plan:
            others += [xyz for name, el, xyz in plan[i][1] if el != "H" and name not in ("NZ", "OE1", "CD")]
        else:
            others += [xyz for _, el, xyz in _default_side(kinds[i], f) if el != "H"]
    d = np.linalg.norm(np.array(heavy)[:, None] - np.array(others)[None], axis=2)
    return bool(d.min() > 3.0)


@dataclass
class Motion:
    """The trajectory: unwrapped lab-frame coordinates (frames x atoms x 3, on the 0.01 A grid), the box edge,
    and the designed event frame (None for a stable binder)."""

    unwrapped: np.ndarray
    box: float
    event_frame: int | None


def build_trajectory(system: System, scenario: str, n_frames: int, rng: np.random.Generator) -> Motion:
    x0 = system.coords()
    chains = np.array(system.chains)
    lig = np.flatnonzero(chains == "L")
    keys = list(zip(system.chains, system.resids, strict=True))
    residue_of = np.array([sorted(set(keys)).index(k) for k in keys])
    n_residues = residue_of.max() + 1

    def ar_noise(shape: tuple[int, ...], sigma: float, rho: float) -> np.ndarray:
        out = np.empty((n_frames, *shape))
        out[0] = rng.normal(0, sigma, shape)
        for t in range(1, n_frames):
            out[t] = rho * out[t - 1] + np.sqrt(1 - rho**2) * rng.normal(0, sigma, shape)
        return out

    traj = np.repeat(x0[None], n_frames, axis=0)
    traj += ar_noise((n_residues, 3), 0.28, 0.7)[:, residue_of]
    traj += rng.normal(0, 0.05, traj.shape)

    t = np.arange(n_frames)
    in_loop = np.array([(c, r) in set(system.loop) for c, r in keys])
    if in_loop.any():
        loop_keys = sorted(set(system.loop))
        direction = unit(np.array([*x0[in_loop, :2].mean(axis=0), 0.0]) + np.array([0, 0, 4.0]))
        wave = np.sin(2 * np.pi * t / (n_frames / rng.uniform(2.5, 3.5)) + rng.uniform(0, 6.3))
        for k, key in enumerate(loop_keys):
            amp = 4.0 * np.sin(np.pi * (k + 1) / (len(loop_keys) + 1))
            atoms = np.array([kk == key for kk in keys])
            traj[:, atoms] += (amp * wave)[:, None, None] * direction

    event = None
    ligand_centre = x0[lig].mean(axis=0)
    rot_noise = ar_noise((3,), np.deg2rad(3.0), 0.8)
    shift_noise = ar_noise((3,), 0.2, 0.8)
    if scenario == "pose_shift":
        event = int(rng.integers(int(0.35 * n_frames), int(0.6 * n_frames)))
    elif scenario == "unbinding":
        event = int(rng.integers(int(0.3 * n_frames), int(0.5 * n_frames)))
    o2 = x0[system.index("L", 1, "O2")]
    ring = [system.index("L", 1, n) for n in ("C1", "C3", "C5")]
    flip_axis = unit(np.cross(x0[ring[1]] - x0[ring[0]], x0[ring[2]] - x0[ring[0]]))
    exit_dir = unit(np.array([0, 0, 1.0]) + 0.3 * rng.normal(size=3))
    for f in range(n_frames):
        pose = x0[lig] - ligand_centre
        pivot = ligand_centre
        if scenario == "pose_shift" and f >= event:
            ramp = min(1.0, (f - event + 1) / 6)
            r = rotation(flip_axis, np.deg2rad(55) * ramp)
            pose = (x0[lig] - o2) @ r.T + (o2 - ligand_centre)
        if scenario == "unbinding" and f >= event:
            ramp = min(1.0, (f - event + 1) / 50)
            pivot = ligand_centre + exit_dir * 19.0 * (3 * ramp**2 - 2 * ramp**3)
            pose = pose @ rotation(np.array([1.0, 0.3, 0.2]), np.deg2rad(140) * ramp).T
        wobble = rotation(rot_noise[f] + 1e-9, np.linalg.norm(rot_noise[f]))
        traj[f, lig] = pose @ wobble.T + pivot + shift_noise[f] + rng.normal(0, 0.04, (len(lig), 3))

    if scenario == "two_chain":
        in_b = chains == "B"
        hinge = x0[in_b][np.argmin(x0[in_b, 2])]
        axis = unit(np.cross([0, 0, 1.0], [*x0[in_b, :2].mean(axis=0), 0.0]))
        angle = np.deg2rad(24) * (0.5 - 0.5 * np.cos(np.pi * t / (n_frames - 1)))
        for f in range(n_frames):
            traj[f, in_b] = (traj[f, in_b] - hinge) @ rotation(axis, angle[f]).T + hinge

    # the whole complex drifts and tumbles through the box
    axis = rng.normal(size=3)
    spin = np.deg2rad(rng.uniform(100, 150)) * t / (n_frames - 1)
    drift = np.cumsum(rng.normal(0, 0.35, (n_frames, 3)), axis=0) + np.outer(t / (n_frames - 1), rng.uniform(18, 26, 3))
    start = np.array([0.92, 0.55, 0.08]) * BOX
    centre = x0[chains != "L"].mean(axis=0)
    for f in range(n_frames):
        traj[f] = (traj[f] - centre) @ rotation(axis, spin[f]).T + start + drift[f]
    return Motion(np.round(traj, 2), BOX, event)


def wrap(coords: np.ndarray, box: float) -> np.ndarray:
    """Every atom put back into the primary box [0, box) (as a per-atom wrapped trajectory stores it)."""
    return np.round(coords - box * np.floor(coords / box), 2)


