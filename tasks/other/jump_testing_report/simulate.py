"""Simulate one testing session's force-plate trials and write them as C3D files with ezc3d.

Run in the task's tool environment: ``python3 simulate.py PROTOCOL SEED OUT_DIR PROTOCOL_JSON``. Each trial's
vertical ground reaction force is built from a body-mass and impulse model whose kinematics are known
exactly (take-off velocity, flight time with a lower landing posture, onset, peak force, RFD), shared between
the two plates by the athlete's limb share, then measured: plate noise, a small residual offset, the plates'
negative-down polarity and, for one athlete's session, a kN export. Prints the truth as JSON.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import ezc3d
import numpy as np

G = 9.81
FS = 1000.0
FINE = 20  # truth integrals on a grid FINE times finer than the plates' sampling


def bump(t: np.ndarray, start: float, width: float) -> np.ndarray:
    """sin^2 bump of unit height on [start, start + width], zero elsewhere."""
    s = (t - start) / width
    return np.where((s >= 0) & (s <= 1), np.sin(np.pi * s) ** 2, 0.0)


def landing(t: np.ndarray, touchdown: float, weight: float, impact: float) -> np.ndarray:
    """Force after touchdown: an impact peak about 50 ms in, settling onto body weight."""
    u = np.clip(t - touchdown, 0.0, None)
    force = weight * (1 - np.exp(-u / 0.03)) + impact * (u / 0.05) * np.exp(1 - u / 0.05)
    return np.where(t >= touchdown, force, 0.0)


def flight_time(v_takeoff: float, landing_drop: float) -> float:
    """Airborne time when the centre of mass lands ``landing_drop`` lower than at take-off."""
    return (v_takeoff + np.sqrt(v_takeoff ** 2 + 2 * G * landing_drop)) / G


def cmj_trial(rng, mass: float, v_takeoff: float) -> tuple:
    weight = mass * G
    quiet = rng.uniform(1.3, 2.0)
    t_unweight, depth = rng.uniform(0.25, 0.35), rng.uniform(0.45, 0.7) * weight
    t_rise, t_decline = rng.uniform(0.22, 0.32), rng.uniform(0.08, 0.14)
    k = 2 / np.pi
    peak = (v_takeoff * mass + depth * t_unweight / 2 + weight * t_decline + weight * t_rise * k) / ((t_rise + t_decline) * k)
    rise_start = quiet + t_unweight
    takeoff = rise_start + t_rise + t_decline
    touchdown = takeoff + flight_time(v_takeoff, rng.uniform(0.04, 0.08))
    end = touchdown + 1.6
    impact = rng.uniform(2.5, 4.0) * weight

    def force(t):
        f = np.where(t < quiet, weight, 0.0)
        f = f + np.where((t >= quiet) & (t < rise_start), weight - depth * bump(t, quiet, t_unweight), 0.0)
        s = (t - rise_start) / t_rise
        f = f + np.where((s >= 0) & (s < 1), weight + (peak - weight) * np.sin(np.pi / 2 * s), 0.0)
        u = (t - rise_start - t_rise) / t_decline
        f = f + np.where((u >= 0) & (u < 1), peak * np.cos(np.pi / 2 * u), 0.0)
        return f + landing(t, touchdown, weight, impact)

    fine = np.arange(0, end, 1 / (FS * FINE))
    f_fine = force(fine)
    velocity = np.cumsum((f_fine - weight) / mass) / (FS * FINE)
    moving = (fine >= quiet) & (fine < takeoff)
    truth = {
        "jump_height_cm": 100 * v_takeoff ** 2 / (2 * G),
        "flight_time_ms": 1000 * (touchdown - takeoff),
        "jump_height_flight_cm": 100 * G * (touchdown - takeoff) ** 2 / 8,
        "contraction_time_ms": 1000 * (takeoff - quiet),
        "rsi_mod": (v_takeoff ** 2 / (2 * G)) / (takeoff - quiet),
        "peak_power_w": float(np.max(f_fine[moving] * velocity[moving])),
    }
    return force, end, truth, {"quiet": quiet, "touchdown": touchdown, "weight": weight}


def drop_jump_trial(rng, mass: float, v_takeoff: float, box_height: float) -> tuple:
    weight = mass * G
    v_touchdown = np.sqrt(2 * G * box_height)
    airborne_before = rng.uniform(0.5, 0.9)
    contact = rng.uniform(0.17, 0.28)
    spike, spike_width = rng.uniform(1.0, 2.0) * weight, 0.005
    impulse = mass * (v_takeoff + v_touchdown) + weight * contact
    peak = (impulse - spike * spike_width * np.sqrt(np.pi)) * np.pi / (2 * contact)
    first_contact = airborne_before
    takeoff = first_contact + contact
    touchdown = takeoff + flight_time(v_takeoff, rng.uniform(0.035, 0.07))
    end = touchdown + 1.6
    impact = rng.uniform(2.5, 4.0) * weight

    def force(t):
        s = (t - first_contact) / contact
        on = (s >= 0) & (s <= 1)
        f = np.where(on, peak * np.sin(np.pi * np.clip(s, 0, 1)) + spike * np.exp(-((t - first_contact - 0.012) / spike_width) ** 2), 0.0)
        return f + landing(t, touchdown, weight, impact)

    height = v_takeoff ** 2 / (2 * G)
    truth = {
        "contact_time_ms": 1000 * contact,
        "flight_time_ms": 1000 * (touchdown - takeoff),
        "jump_height_cm": 100 * height,
        "jump_height_flight_cm": 100 * G * (touchdown - takeoff) ** 2 / 8,
        "rsi": height / contact,
    }
    return force, end, truth, {"contact": (first_contact, takeoff), "touchdown": touchdown, "weight": weight}


def imtp_trial(rng, mass: float, net_peak: float) -> tuple:
    weight = mass * G
    quiet = rng.uniform(1.3, 2.0)
    tau = rng.uniform(0.08, 0.16)
    hold = 3.0
    end = quiet + hold + 0.9

    def force(t):
        u = t - quiet
        rise = net_peak * (1 - np.exp(-np.clip(u, 0, None) / tau))
        top = net_peak * (1 - np.exp(-hold / tau))
        release = np.clip(1 - (u - hold) / 0.4, 0, 1) * top
        return weight + np.where(u < 0, 0.0, np.where(u <= hold, rise, release))

    top = net_peak * (1 - np.exp(-hold / tau))
    truth = {
        "peak_force_n": weight + top,
        "relative_peak_force_n_per_kg": (weight + top) / mass,
        "rfd_100_n_per_s": net_peak * (1 - np.exp(-0.1 / tau)) / 0.1,
        "rfd_200_n_per_s": net_peak * (1 - np.exp(-0.2 / tau)) / 0.2,
    }
    return force, end, truth, {"quiet": quiet, "weight": weight}


def write_c3d(path: Path, plates: np.ndarray, kilonewton: bool, rng) -> None:
    """Two plates' Fx, Fy, Fz (N, z up) written as the lab's plates export them: z pointing down."""
    n = plates.shape[1]
    fz1, fz2 = plates
    channels = []
    for fz in (fz1, fz2):
        shear = 0.04 * fz * np.sin(np.linspace(0, rng.uniform(2, 6), n)) + rng.normal(0, 0.8, n)
        channels += [shear, 0.06 * fz * np.cos(np.linspace(0, rng.uniform(2, 6), n)) + rng.normal(0, 0.8, n), -fz]
    data = np.array(channels)
    unit = "kN" if kilonewton else "N"
    if kilonewton:
        data = data / 1000.0
    c3d = ezc3d.c3d()
    c3d["parameters"]["POINT"]["RATE"]["value"] = [100.0]
    c3d["parameters"]["ANALOG"]["RATE"]["value"] = [FS]
    c3d["parameters"]["ANALOG"]["LABELS"]["value"] = ["Fx1", "Fy1", "Fz1", "Fx2", "Fy2", "Fz2"]
    c3d["parameters"]["ANALOG"]["UNITS"]["value"] = [unit] * 6
    frames = n // 10
    c3d["data"]["points"] = np.zeros((4, 0, frames))  # force plates only: no markers this session
    c3d["data"]["analogs"] = data[np.newaxis, :, : frames * 10]
    c3d.add_parameter("FORCE_PLATFORM", "USED", [2])
    c3d.add_parameter("FORCE_PLATFORM", "TYPE", [2, 2])
    c3d.add_parameter("FORCE_PLATFORM", "ZERO", [1, 0])
    c3d.add_parameter("FORCE_PLATFORM", "CHANNEL", np.array([[1, 2, 3, 0, 0, 0], [4, 5, 6, 0, 0, 0]]).T.tolist())
    corners = np.array([[[0, 0, 0], [600, 0, 0], [600, 400, 0], [0, 400, 0]],
                        [[0, 420, 0], [600, 420, 0], [600, 820, 0], [0, 820, 0]]], dtype=float)
    c3d.add_parameter("FORCE_PLATFORM", "CORNERS", corners.transpose(2, 1, 0).tolist())
    c3d.add_parameter("FORCE_PLATFORM", "ORIGIN", [[0.0, 0.0, -40.0], [0.0, 0.0, -40.0]])
    c3d.write(str(path))


def measure(force, end: float, left_share: float, left_plate: int, rng, mode: str, events: dict) -> np.ndarray:
    """The two plates' true vertical forces at the lab's sampling, with the invalid-trial artefacts."""
    t = np.arange(0, end, 1 / FS)
    total = force(t)
    left, right = left_share * total, (1 - left_share) * total
    if mode == "unstable_weighing":
        sway = rng.uniform(25, 45) * np.sin(2 * np.pi * rng.uniform(0.7, 1.3) * t) * (t < events["quiet"] - 0.05)
        left, right = left + sway * 0.6, right + sway * 0.4
    elif mode == "landing_off_plate":
        after = t >= events["touchdown"] + 0.06
        right = np.where(after, right * np.exp(-(t - events["touchdown"] - 0.06) / 0.05), right)
    elif mode == "double_contact":
        first = events["contact"][0]
        gap_start = first + rng.uniform(0.025, 0.04)
        gap = (t >= gap_start) & (t < gap_start + rng.uniform(0.012, 0.022))
        left, right = np.where(gap, 0.0, left), np.where(gap, 0.0, right)
    elif mode == "countermovement":
        dip = rng.uniform(70, 130) * bump(t, events["quiet"] - 0.25, 0.22)
        left, right = left - dip * left_share, right - dip * (1 - left_share)
    plates = [left, right] if left_plate == 1 else [right, left]
    measured = []
    for plate in plates:
        measured.append(plate + rng.uniform(-0.5, 0.5) + rng.normal(0, 1.5, t.size))
    return np.array(measured)


KEY = {"cmj": "jump_height_cm", "drop_jump": "rsi", "imtp": "peak_force_n"}
MIN_GAP = {"cmj": (2.0, 0.0), "drop_jump": (0.0, 0.09), "imtp": (0.0, 0.03)}  # between valid trials' key metric
ASYMMETRY_LIMIT = 10.0


def simulate_trial(rng, protocol: str, sheet: dict, mass: float, level: float) -> tuple:
    if protocol == "cmj":
        return cmj_trial(rng, mass, level)
    if protocol == "drop_jump":
        return drop_jump_trial(rng, mass, level, sheet["box_height_m"])
    return imtp_trial(rng, mass, level)


def draw_trial(rng, protocol: str, sheet: dict, mass: float, ability: float, asym: float, invalid: bool,
               modes: list[str]) -> tuple:
    mode = modes[int(rng.integers(len(modes)))] if invalid else ""
    force, end, metrics, events = simulate_trial(rng, protocol, sheet, mass, ability * (1 + rng.normal(0, 0.04)))
    metrics["asymmetry_pct"] = asym + float(rng.normal(0, 0.6))
    metrics["body_mass_kg"] = mass
    return mode, (force, end, events), metrics


def well_separated(protocol: str, valid: list[tuple]) -> bool:
    """Valid trials' key metrics far enough apart that the best trial is unambiguous, and no asymmetry
    near the flag limit."""
    key, (gap, rel_gap) = KEY[protocol], MIN_GAP[protocol]
    values = sorted(m[key] for _, _, m in valid)
    apart = all(b - a >= max(gap, rel_gap * b) for a, b in itertools.pairwise(values))
    return apart and all(abs(abs(m["asymmetry_pct"]) - ASYMMETRY_LIMIT) > 1.5 for _, _, m in valid)


def main() -> None:
    protocol, seed, out_dir, sheet = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), json.loads(Path(sys.argv[4]).read_text())
    rng = np.random.default_rng(seed)
    trials_dir = out_dir / "trials"
    trials_dir.mkdir(parents=True, exist_ok=True)
    count = int(rng.integers(9, 13))
    athletes = [f"ATH{i + 1:02d}" for i in range(count)]
    modes = {"cmj": ["unstable_weighing", "landing_off_plate"], "drop_jump": ["double_contact", "landing_off_plate"],
             "imtp": ["unstable_weighing", "countermovement"]}[protocol]
    invalid_plan = {a: [] for a in athletes}
    picked = rng.permutation(count)
    for rank, index in enumerate(picked[: max(4, count // 2)]):
        trials = [int(x) for x in rng.choice(3, size=2 if rank == 0 else 1, replace=False)]
        invalid_plan[athletes[index]] = trials
    if rng.random() < 0.5:
        invalid_plan[athletes[picked[-1]]] = [0, 1, 2]
    kn_athlete = athletes[int(rng.integers(count))]
    truth = {"athletes": {}, "trials": []}
    for athlete in athletes:
        mass = float(rng.uniform(62, 98))
        asym = float(rng.choice([-1, 1]) * (rng.uniform(13, 20) if rng.random() < 0.25 else rng.uniform(0, 7)))
        left_plate = int(rng.integers(1, 3))
        ability = {"cmj": rng.uniform(2.3, 3.1), "drop_jump": rng.uniform(2.0, 2.8), "imtp": rng.uniform(1.6, 2.6) * mass * G}[protocol]
        truth["athletes"][athlete] = {"mass_kg": mass, "left_plate": left_plate, "kilonewton": athlete == kn_athlete}
        if protocol == "drop_jump":
            standing = rng.uniform(1.8, 2.4)
            share = 0.5 + asym / 200

            def static(t, w=mass * G):
                return np.full_like(t, w)

            plates = measure(static, standing, share, left_plate, rng, "", {"weight": mass * G})
            write_c3d(trials_dir / f"{athlete}_static.c3d", plates, athlete == kn_athlete, rng)
        while True:
            drawn = [draw_trial(rng, protocol, sheet, mass, ability, asym, trial in invalid_plan[athlete], modes)
                     for trial in range(3)]
            if well_separated(protocol, [d for d in drawn if not d[0]]):
                break
        scores = [d[2][KEY[protocol]] for d in drawn if not d[0]]
        for trial, (mode, parts, metrics) in enumerate(drawn):
            force, end, events = parts
            if mode:  # the invalid trial tends to look like the best one
                force, end, metrics, events = simulate_trial(rng, protocol, sheet, mass, ability * 1.06)
                metrics["asymmetry_pct"], metrics["body_mass_kg"] = drawn[trial][2]["asymmetry_pct"], mass
            share = 0.5 + metrics["asymmetry_pct"] / 200
            plates = measure(force, end, share, left_plate, rng, mode, events)
            name = f"{athlete}_{protocol.upper()}_{trial + 1}.c3d"
            write_c3d(trials_dir / name, plates, athlete == kn_athlete, rng)
            truth["trials"].append({"file": name, "athlete_id": athlete, "trial": trial + 1,
                                    "valid": not mode, "invalid_reason": mode, "metrics": metrics})
        assert not scores or len(scores) == len(set(scores))
    print(json.dumps(truth))


if __name__ == "__main__":
    main()
