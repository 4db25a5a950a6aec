"""The generating truth of a walking trial: a planar (sagittal) lower-body model driven by joint-angle curves.

``simulate(params)`` returns the subject, the noise-free marker trajectories as functions of time, the force
plates with their true vertical forces, and the true events. Angles follow the clinical conventions the
instruction states: hip flexion of the thigh relative to the pelvis, knee flexion of the shank relative to the
thigh, ankle dorsiflexion of the foot (heel to toe) relative to the perpendicular of the shank. Every marker
moves in a parasagittal plane, so the angles computed from the markers equal the driving curves exactly.
Events follow the lab protocol: a foot strike or foot off is where the vertical force of a plate crosses
``FORCE_THRESHOLD_N`` for the step on that plate, and the coordinate extremum of Zeni et al. (heel most
anterior, toe most posterior relative to the sacrum along the progression) elsewhere.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.optimize import brentq, minimize_scalar

FORCE_THRESHOLD_N = 20.0
WINDOW_S = 0.2  # events are reported from this long after the start to this long before the end
SIDES = ("L", "R")
SEGMENT_MARKERS = ("ASI", "PSI", "THI", "KNE", "TIB", "ANK", "HEE", "TOE")

# normative sagittal curves (percent of cycle from foot strike, degrees)
HIP = [(0, 28), (20, 15), (50, -10), (62, 0), (85, 32)]
KNE = [(0, 5), (15, 18), (40, 5), (60, 38), (72, 60), (85, 35), (97, 3)]
ANK = [(0, 0), (8, -5), (45, 10), (55, 5), (63, -15), (75, -2), (90, 2)]

SUBJECTS = {
    # scale of the segments, stride time (s), body mass (kg), phase of the right side, knee and hip ranges
    "adult": dict(scale=1.0, stride_s=(1.02, 1.14), mass=(62, 88), right_phase=0.5, left_knee=1.0, left_hip=1.0,
                  left_ankle=1.0),
    "hemiparetic": dict(scale=0.97, stride_s=(1.45, 1.65), mass=(60, 85), right_phase=0.47, left_knee=0.55,
                        left_hip=0.7, left_ankle=0.45),
    "child": dict(scale=0.66, stride_s=(0.80, 0.90), mass=(22, 30), right_phase=0.5, left_knee=1.0, left_hip=1.0,
                  left_ankle=1.0),
}


def _periodic(points: list[tuple[float, float]], gain: float, offset: float) -> CubicSpline:
    x = [p / 100 for p, _ in points] + [1.0]
    y = [v * gain + offset for _, v in points] + [points[0][1] * gain + offset]
    return CubicSpline(x, y, bc_type="periodic")


@dataclass
class Side:
    hip: CubicSpline
    knee: CubicSpline
    ankle: CubicSpline
    phase: float  # the cycle phase at t = 0


@dataclass
class Trial:
    params: dict
    stride_s: float
    duration_s: float
    speed: float
    mass_kg: float
    geometry: dict
    sides: dict[str, Side]
    plates: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    all_events: list[dict] = field(default_factory=list)

    # -- kinematics ------------------------------------------------------------------------
    def tilt(self, t):
        return self.geometry["tilt_deg"] + 2.0 * np.sin(4 * np.pi * np.asarray(t) / self.stride_s + 0.4)

    def angles(self, side: str, t) -> dict[str, np.ndarray]:
        s = self.sides[side]
        phi = np.mod(np.asarray(t, dtype=float) / self.stride_s + s.phase, 1.0)
        return {"hip": s.hip(phi), "knee": s.knee(phi), "ankle": s.ankle(phi)}

    def hjc(self, t):
        t = np.asarray(t, dtype=float)
        geo = self.geometry
        x = geo["x0"] + self.speed * t + 0.008 * np.sin(4 * np.pi * t / self.stride_s)
        z = geo["hip_height"] + 0.012 * geo["scale"] * np.cos(4 * np.pi * t / self.stride_s + 0.3)
        return x, z

    def markers(self, t) -> dict[str, np.ndarray]:
        """Every marker's lab position (mm, shape (3, n)) at times ``t`` (s); X progression, Y left, Z up."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        geo = self.geometry
        tau = np.radians(self.tilt(t))
        xp = np.stack([np.cos(tau), -np.sin(tau)])   # pelvis anterior axis in (X, Z)
        zp = np.stack([np.sin(tau), np.cos(tau)])    # pelvis superior axis
        hx, hz = self.hjc(t)
        hip_c = np.stack([hx, hz])
        origin = hip_c + geo["hjc_posterior"] * xp + geo["hjc_inferior"] * zp  # mid-ASIS
        out = {}

        def put(name, xz, y):
            out[name] = np.stack([xz[0], np.full_like(xz[0], y), xz[1]]) * 1000.0

        for side, sign in (("L", 1.0), ("R", -1.0)):
            put(f"{side}ASI", origin, sign * geo["asis_half"])
            put(f"{side}PSI", origin - geo["asis_psis"] * xp, sign * geo["psis_half"])
            ang = self.angles(side, t)
            a_th = np.radians(ang["hip"]) - tau
            a_sh = a_th - np.radians(ang["knee"])
            pitch = a_sh + np.radians(ang["ankle"])
            d_th = np.stack([np.sin(a_th), -np.cos(a_th)])
            d_sh = np.stack([np.sin(a_sh), -np.cos(a_sh)])
            f = np.stack([np.cos(pitch), np.sin(pitch)])
            n = np.stack([-np.sin(pitch), np.cos(pitch)])
            knee = hip_c + geo["thigh"] * d_th
            ankle = knee + geo["shank"] * d_sh
            lat = sign * geo["hip_half"]
            ahead_th = np.stack([np.cos(a_th), np.sin(a_th)])  # wands stand off the segment axis, anteriorly
            ahead_sh = np.stack([np.cos(a_sh), np.sin(a_sh)])
            put(f"{side}THI", hip_c + 0.55 * geo["thigh"] * d_th + 0.035 * geo["scale"] * ahead_th,
                lat + sign * 0.07 * geo["scale"])
            put(f"{side}KNE", knee, lat + sign * 0.05 * geo["scale"])
            put(f"{side}TIB", knee + 0.5 * geo["shank"] * d_sh + 0.03 * geo["scale"] * ahead_sh,
                lat + sign * 0.055 * geo["scale"])
            put(f"{side}ANK", ankle, lat + sign * 0.04 * geo["scale"])
            put(f"{side}HEE", ankle - geo["heel"] * f - geo["foot_drop"] * n, lat)
            put(f"{side}TOE", ankle + geo["toe"] * f - geo["foot_drop"] * n, lat - sign * 0.01 * geo["scale"])
        return out

    def zeni(self, side: str, t):
        """Heel and toe positions relative to the sacrum (mid-PSIS) along the progression (mm)."""
        m = self.markers(t)
        sacrum = (m["LPSI"][0] + m["RPSI"][0]) / 2
        return m[f"{side}HEE"][0] - sacrum, m[f"{side}TOE"][0] - sacrum

    def plate_force(self, plate: dict, t):
        """True vertical force (N) of a plate at times ``t``: a double-hump stance profile."""
        t = np.asarray(t, dtype=float)
        s = (t - plate["contact_s"]) / (plate["release_s"] - plate["contact_s"])
        inside = (s > 0) & (s < 1)
        sc = np.clip(s, 0, 1)
        shape = np.sin(np.pi * sc) + 0.25 * np.sin(3 * np.pi * sc)
        return np.where(inside, 9.81 * self.mass_kg * shape, 0.0)


def _extrema(f, t0: float, t1: float, maximum: bool, step: float = 0.002) -> list[float]:
    ts = np.arange(t0, t1, step)
    v = f(ts) if maximum else -f(ts)
    found = []
    for i in range(1, len(ts) - 1):
        if v[i] >= v[i - 1] and v[i] > v[i + 1]:
            best = minimize_scalar(lambda x: -(f(np.array([x]))[0] if maximum else -f(np.array([x]))[0]),
                                   bounds=(ts[i - 1], ts[i + 1]), method="bounded", options={"xatol": 1e-7})
            found.append(float(best.x))
    return found


def simulate(params: dict) -> Trial:
    """The trial of one instance, deterministic in ``params`` (``subject`` and ``seed``)."""
    rng = np.random.default_rng(params["seed"])
    kind = SUBJECTS[params["subject"]]
    scale = kind["scale"] * rng.uniform(0.95, 1.05)
    geo = {
        "scale": scale, "thigh": 0.43 * scale, "shank": 0.42 * scale, "heel": 0.06 * scale, "toe": 0.15 * scale,
        "foot_drop": 0.045 * scale, "hjc_posterior": 0.07 * scale, "hjc_inferior": 0.085 * scale,
        "hip_half": 0.085 * scale, "asis_half": 0.125 * scale, "psis_half": 0.045 * scale,
        "asis_psis": 0.16 * scale, "tilt_deg": float(rng.uniform(7, 14)), "x0": float(rng.uniform(-2.6, -2.3)),
    }
    stride = float(rng.uniform(*kind["stride_s"]))
    sides = {}
    for side in SIDES:
        g = {k: kind[f"left_{k}"] if side == "L" else 1.0 for k in ("hip", "knee", "ankle")}
        jitter = rng.uniform(0.92, 1.08, 3)
        offsets = rng.uniform(-3, 3, 3)
        sides[side] = Side(hip=_periodic(HIP, g["hip"] * jitter[0], offsets[0] + (1 - g["hip"]) * 10),
                           knee=_periodic(KNE, g["knee"] * jitter[1], max(offsets[1], 0) + (1 - g["knee"]) * 8),
                           ankle=_periodic(ANK, g["ankle"] * jitter[2], offsets[2]),
                           phase=0.0)
    trial = Trial(params=dict(params), stride_s=stride, duration_s=round(4.3 * stride, 2), speed=0.0,
                  mass_kg=float(rng.uniform(*kind["mass"])), geometry=geo, sides=sides)
    for _ in range(50):  # a start phase whose events keep clear of the reporting window's edges
        start_phase = float(rng.uniform(0.0, 1.0))
        sides["L"].phase = start_phase
        sides["R"].phase = (start_phase + kind["right_phase"]) % 1.0
        _calibrate(trial)
        _place_plates(trial, rng)
        edges = (WINDOW_S, trial.duration_s - WINDOW_S)
        if all(abs(e["time_s"] - edge) > 0.04 for e in trial.all_events for edge in edges):
            break
    trial.events = [e for e in trial.all_events if edges[0] <= e["time_s"] <= edges[1]]
    return trial


def _calibrate(trial: Trial) -> None:
    """Set the walking speed so that each foot is nearly still in mid stance, and the hip height so that
    the lowest heel or toe marker sits at marker height above the floor."""
    geo = trial.geometry
    geo["hip_height"] = 0.0
    trial.speed = 0.0
    slopes = []
    for side in SIDES:
        ts = (np.array([0.02, 0.58]) - trial.sides[side].phase) % 1.0 * trial.stride_s
        x = trial.markers(ts)[f"{side}ANK"][0] / 1000
        slopes.append((x[0] - x[1]) / (0.56 * trial.stride_s))
    trial.speed = float(np.mean(slopes))
    ts = np.linspace(0, trial.stride_s, 400)
    m = trial.markers(ts)
    low = min(float(m[f"{s}{k}"][2].min()) for s in SIDES for k in ("HEE", "TOE")) / 1000
    geo["hip_height"] = 0.022 * geo["scale"] - low


def _place_plates(trial: Trial, rng: np.random.Generator) -> None:
    """Find the protocol events, put plate 1 under a middle left step and plate 2 under the next right step."""
    dur = trial.duration_s
    raw = []
    for side in SIDES:
        for t in _extrema(lambda ts, s=side: trial.zeni(s, ts)[0], 0.0, dur, maximum=True):
            raw.append({"side": side, "event": "foot_strike", "time_s": t})
        for t in _extrema(lambda ts, s=side: trial.zeni(s, ts)[1], 0.0, dur, maximum=False):
            raw.append({"side": side, "event": "foot_off", "time_s": t})
    raw = [e for e in raw if 0.05 <= e["time_s"] <= dur - 0.05]
    raw.sort(key=lambda e: e["time_s"])
    strikes = [e for e in raw if e["event"] == "foot_strike"]
    middle = dur / 2
    first = min((e for e in strikes if e["side"] == "L"), key=lambda e: abs(e["time_s"] - middle + 0.3 * trial.stride_s))
    second = next(e for e in strikes if e["side"] == "R" and e["time_s"] > first["time_s"])
    plates = []
    for number, strike in ((1, first), (2, second)):
        side = strike["side"]
        off = next(e for e in raw if e["side"] == side and e["event"] == "foot_off" and e["time_s"] > strike["time_s"])
        shift = lambda: float(rng.choice([-1, 1]) * rng.uniform(3.5, 5.0) / trial.params["marker_hz"])  # noqa: E731
        contact, release = strike["time_s"] + abs(shift()), off["time_s"] + shift()
        mid = trial.markers(np.array([(contact + release) / 2]))
        cx = float((mid[f"{side}HEE"][0, 0] + mid[f"{side}TOE"][0, 0]) / 2)
        width, length = 508.0, 464.0
        corners = [[cx + length / 2, width / 2, 0], [cx - length / 2, width / 2, 0],
                   [cx - length / 2, -width / 2, 0], [cx + length / 2, -width / 2, 0]]
        plate = {"number": number, "side": side, "contact_s": contact, "release_s": release,
                 "corners_mm": [[round(c, 1) for c in corner] for corner in corners],
                 "offset_n": 0.0}
        plate["strike_s"] = brentq(lambda x, p=plate: trial.plate_force(p, x) - FORCE_THRESHOLD_N,
                                   contact + 1e-6, contact + 0.3 * (release - contact))
        plate["off_s"] = brentq(lambda x, p=plate: trial.plate_force(p, x) - FORCE_THRESHOLD_N,
                                release - 0.3 * (release - contact), release - 1e-6)
        strike["time_s"], strike["source"] = plate["strike_s"], f"plate{number}"
        off["time_s"], off["source"] = plate["off_s"], f"plate{number}"
        plates.append(plate)
    for e in raw:
        e.setdefault("source", "markers")
    # amplifier offsets of an unzeroed plate: one reads above the event threshold when unloaded
    high = int(rng.integers(2))
    for i, plate in enumerate(plates):
        plate["offset_n"] = float(rng.uniform(25, 60) if i == high else -rng.uniform(15, 50))
    trial.plates = plates
    trial.all_events = raw


def truth(trial: Trial) -> dict:
    """Spatiotemporal parameters and mean time-normalised angle curves per side, from the true events."""
    out: dict = {"spatiotemporal": {}, "kinematics": {}}
    ev = trial.events
    for side in SIDES:
        fs = [e["time_s"] for e in ev if e["side"] == side and e["event"] == "foot_strike"]
        fo = [e["time_s"] for e in ev if e["side"] == side and e["event"] == "foot_off"]
        other = [e["time_s"] for e in ev if e["side"] != side and e["event"] == "foot_strike"]
        heel = lambda s, t: float(trial.markers(np.array([t]))[f"{s}HEE"][0, 0]) / 1000  # noqa: E731
        cycles = list(itertools.pairwise(fs))
        times = [b - a for a, b in cycles]
        lengths = [heel(side, b) - heel(side, a) for a, b in cycles]
        stance = [100 * (next(o for o in fo if a < o < b) - a) / (b - a) for a, b in cycles
                  if any(a < o < b for o in fo)]
        opp = "R" if side == "L" else "L"
        steps = [heel(side, t) - heel(opp, max(o for o in other if o < t)) for t in fs if any(o < t for o in other)]
        stride_time = float(np.mean(times))
        out["spatiotemporal"][side] = {
            "cycles": len(cycles), "stride_time_s": stride_time, "cadence_steps_per_min": 120 / stride_time,
            "stride_length_m": float(np.mean(lengths)), "walking_speed_m_s": float(np.mean(lengths)) / stride_time,
            "step_length_m": float(np.mean(steps)), "stance_pct": float(np.mean(stance)),
        }
        pct = np.arange(101) / 100
        curves = {k: np.zeros(101) for k in ("hip", "knee", "ankle")}
        for a, b in cycles:
            ang = trial.angles(side, a + pct * (b - a))
            for k in curves:
                curves[k] += ang[k] / len(cycles)
        out["kinematics"][side] = {k: [float(v) for v in c] for k, c in curves.items()}
    return out


def rms(a, b) -> float:
    return math.sqrt(float(np.mean((np.asarray(a, float) - np.asarray(b, float)) ** 2)))
