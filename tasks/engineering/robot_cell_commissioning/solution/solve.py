#!/usr/bin/env python3
"""Oracle: calibrate the arm from the tracker shots with Pinocchio (Gauss-Newton on the joint zero offsets and
the upper-arm length, rejecting the bad shots), solve each waypoint's inverse kinematics with the calibrated
model from the previous waypoint's solution, give each stop-to-stop segment its time-optimal per-joint
trapezoids, slow a segment uniformly until Pinocchio's RNEA (gripper, and the part while it is held) keeps every
motor within its limit, sample at the controller rate and write the files and the report.

The near-miss adversaries (adversaries/_shortcuts.py links here) run this same file under another name,
and that name switches on one shortcut; run as solve.py, none is taken.

ALE-CANARY-0ec55d98-0c53-4ce7-9d99-14da041ba5bb
"""

import csv
import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pinocchio as pin

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
SHORTCUT = Path(__file__).name.removesuffix(".py")
CELL = json.loads((INPUT / "cell.json").read_text())
NOMINAL = pin.buildModelFromUrdf(str(INPUT / "arm.urdf"))
N = NOMINAL.nq
UPPER_JOINT, UPPER_AXIS = (lambda m: (int(m.group(1)), "xyz".index(m.group(2))))(
    re.search(r"joint_(\d+) along its ([xyz]) axis", CELL["upper_arm"]))
SMR = np.array(CELL["tracker"]["target_on_flange_mm"]) / 1000
RATE = CELL["controller_rate_hz"]
LIMITS = CELL["joint_limits"]
VMAX = np.radians([j["max_velocity_deg_s"] for j in LIMITS])
AMAX = np.radians([j["max_acceleration_deg_s2"] for j in LIMITS])
TMAX = np.array([j["max_torque_nm"] for j in LIMITS], dtype=float)
LOWER = np.radians([j["lower_deg"] for j in LIMITS])
UPPER = np.radians([j["upper_deg"] for j in LIMITS])


def model_with(length_error: float) -> pin.Model:
    model = pin.Model(NOMINAL)
    model.jointPlacements[UPPER_JOINT].translation[UPPER_AXIS] += length_error
    return model


# -- 1. calibration ------------------------------------------------------------------------------------------

def target_points(params: np.ndarray, readings: np.ndarray) -> np.ndarray:
    model = model_with(params[N])
    data = model.createData()
    out = []
    for q in readings:
        pin.forwardKinematics(model, data, q + params[:N])
        out.append(data.oMi[N].act(SMR))
    return np.array(out)


def fit(readings: np.ndarray, measured: np.ndarray) -> np.ndarray:
    params = np.zeros(N + 1)
    for _ in range(12):
        residual = (target_points(params, readings) - measured).ravel()
        jac = np.empty((residual.size, N + 1))
        for k in range(N + 1):
            step = np.zeros(N + 1)
            step[k] = 1e-7
            jac[:, k] = ((target_points(params + step, readings) - measured).ravel() - residual) / 1e-7
        delta = np.linalg.lstsq(jac, -residual, rcond=None)[0]
        params += delta
        if np.max(np.abs(delta)) < 1e-12:
            break
    return params


def calibrate() -> dict:
    rows = list(csv.DictReader((INPUT / "tracker_shots.csv").open()))
    names = [r["shot"] for r in rows]
    readings = np.radians([[float(r[f"q{j + 1}_deg"]) for j in range(N)] for r in rows])
    measured = np.array([[float(r[c]) for c in ("x_mm", "y_mm", "z_mm")] for r in rows]) / 1000
    if SHORTCUT == "nominal_model":
        return {"params": np.zeros(N + 1), "rejected": [], "rms": _rms(np.zeros(N + 1), readings, measured)}
    keep = np.ones(len(rows), bool)
    while True:
        params = fit(readings[keep], measured[keep])
        errors = np.linalg.norm(target_points(params, readings) - measured, axis=1)
        new_keep = errors <= max(6 * np.median(errors[keep]), 1e-4)
        if np.array_equal(new_keep, keep):
            break
        keep = new_keep
    return {"params": params, "rejected": [n for n, k in zip(names, keep, strict=True) if not k],
            "rms": _rms(params, readings[keep], measured[keep])}


def _rms(params, readings, measured) -> float:
    return float(np.sqrt(np.mean(np.sum((target_points(params, readings) - measured) ** 2, axis=1)))) * 1000


# -- 2. inverse kinematics -------------------------------------------------------------------------------------

def tcp_model(length_error: float) -> tuple[pin.Model, int]:
    model = model_with(length_error)
    tool = CELL["tool"]
    placement = pin.SE3(pin.rpy.rpyToMatrix(*np.radians(tool["tcp_rpy_deg"])), np.array(tool["tcp_xyz_mm"]) / 1000)
    frame = model.addFrame(pin.Frame("tcp", N, placement, pin.FrameType.OP_FRAME))
    return model, frame


def solve_ik(model, frame, target: pin.SE3, start: np.ndarray) -> np.ndarray:
    data = model.createData()
    theta = start.copy()
    for _ in range(3000):
        pin.framesForwardKinematics(model, data, theta)
        error = pin.log6(data.oMf[frame].actInv(target)).vector
        jac = pin.computeFrameJacobian(model, data, theta, frame, pin.LOCAL)
        jac = pin.Jlog6(data.oMf[frame].actInv(target)) @ jac
        pinv = jac.T @ np.linalg.inv(jac @ jac.T + 1e-12 * np.eye(6))
        # a redundant arm: the null-space step towards the previous waypoint gives the least joint motion
        back = start - theta
        null = back - pinv @ (jac @ back) if N > 6 else np.zeros(N)
        if np.linalg.norm(error) < 1e-10 and np.linalg.norm(null) < 1e-9:  # 1e-11 is at the rounding floor
            return theta
        step = pinv @ error + null
        theta = theta + step * min(1.0, 0.1 / np.linalg.norm(step))  # small steps keep to the nearest branch
    raise RuntimeError("inverse kinematics did not converge")


def nearest_turn(theta: np.ndarray, previous: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Of the full turns of each joint that stay within its limits, the one closest to the previous waypoint
    (the log of a rotation takes the short way round, which may spin the wrist a whole turn)."""
    best = theta.copy()
    for j in range(N):
        turns = [theta[j] + 2 * math.pi * k for k in range(-2, 3)]
        turns = [t for t in turns if LOWER[j] <= t - offsets[j] <= UPPER[j]]
        best[j] = min(turns, key=lambda t: abs(t - previous[j]))
    return best


def waypoint_joints(offsets: np.ndarray, length_error: float) -> tuple[list[dict], np.ndarray]:
    """Controller joint values of every waypoint, each solved from the previous one's solution."""
    plan = list(csv.DictReader((INPUT / "waypoints.csv").open()))
    model, frame = tcp_model(length_error)
    home = np.radians(CELL["home_joints_deg"])
    q_all, previous = [], home + offsets
    for row in plan:
        if row["name"] == "HOME":
            theta = home + offsets
        else:
            quat = pin.Quaternion(*(float(row[c]) for c in ("qw", "qx", "qy", "qz"))).normalized()
            target = pin.SE3(quat.matrix(), np.array([float(row[c]) for c in ("x_mm", "y_mm", "z_mm")]) / 1000)
            theta = nearest_turn(solve_ik(model, frame, target, previous), previous, offsets)
        q = theta - offsets
        if SHORTCUT == "wrapped_ik":
            q = (q + math.pi) % (2 * math.pi) - math.pi
        assert np.all(q >= LOWER) and np.all(q <= UPPER), (row["name"], np.degrees(q))
        q_all.append(q)
        previous = theta
    return plan, np.array(q_all)


# -- 3-4. time parameterisation and inverse dynamics -----------------------------------------------------------

def profile(delta, scale, t):
    """Synchronised point-to-point move (one trapezoidal path parameter for every joint, a straight line in
    joint space) as fast as the most constrained joint allows, slowed by the time ``scale``; returns the
    displacement, velocity and acceleration at ``t`` and the duration."""
    moving = np.abs(delta) > 1e-12
    if not moving.any():
        zero = np.zeros((len(t), N))
        return zero, zero, zero, 0.0
    top = np.min(VMAX[moving] / np.abs(delta[moving])) / scale
    accel = np.min(AMAX[moving] / np.abs(delta[moving])) / scale ** 2
    ramp = min(top / accel, math.sqrt(1 / accel))
    peak = accel * ramp
    duration = 1 / peak + ramp
    t = np.clip(t, 0, duration)
    s = np.where(t < ramp, accel * t ** 2 / 2,
                 np.where(t <= duration - ramp, peak * (t - ramp / 2), 1 - accel * (duration - t) ** 2 / 2))
    ds = np.where(t < ramp, accel * t, np.where(t <= duration - ramp, peak, accel * (duration - t)))
    dds = np.where(t < ramp, accel, np.where(t <= duration - ramp, 0.0, -accel))
    return np.outer(s, delta), np.outer(ds, delta), np.outer(dds, delta), duration


def dynamics_models(length_error: float) -> tuple[pin.Model, pin.Model]:
    """The calibrated model with the gripper on the flange, and with the gripper and the part."""
    upside_down = CELL["mounting"].startswith("inverted")
    models = []
    for bodies in (("gripper",), ("gripper", "part")):
        model = model_with(length_error)
        model.gravity.linear = np.array([0, 0, 9.81 if upside_down else -9.81])
        for name in bodies:
            spec = CELL[name]
            model.inertias[N] = model.inertias[N] + pin.Inertia(
                spec["mass_kg"], np.array(spec["com_mm"]) / 1000, np.diag(spec["inertia_kg_m2"]))
        models.append(model)
    return models[0], models[1]


def torques(model, theta, vel, acc):
    data = model.createData()
    if SHORTCUT == "static_torques":
        return np.array([pin.computeGeneralizedGravity(model, data, q) for q in theta])
    return np.array([pin.rnea(model, data, q, v, a) for q, v, a in zip(theta, vel, acc, strict=True)])


def segment_scale(model, start, delta) -> float:
    """The least time scale (>= 1) at which the move keeps every motor within its torque limit."""
    if SHORTCUT == "no_torque_slowdown" or not np.any(np.abs(delta) > 1e-12):
        return 1.0

    def overload(scale: float) -> bool:
        duration = profile(delta, scale, np.zeros(1))[3]
        pos, vel, acc, _ = profile(delta, scale, np.linspace(0, duration, 600))
        return bool(np.max(np.abs(torques(model, start + pos, vel, acc)) / TMAX) > 0.998)

    if not overload(1.0):
        return 1.0
    low, high = 1.0, 1.5
    while overload(high):
        high *= 1.5
    while high - low > 1e-6:
        mid = (low + high) / 2
        low, high = (mid, high) if overload(mid) else (low, mid)
    return high


def main() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    cal = calibrate()
    offsets, length_error = cal["params"][:N], float(cal["params"][N])
    plan, q_wp = waypoint_joints(offsets, length_error)
    empty, loaded = dynamics_models(length_error)
    theta_wp = q_wp + offsets

    # segment by segment: move, then dwell at the waypoint reached
    pick = next(i for i, r in enumerate(plan) if r["gripper"] == "close")
    place = next(i for i, r in enumerate(plan) if r["gripper"] == "open")
    arrivals, segments, clock = [0.0], [], float(plan[0]["dwell_s"])
    for i in range(len(plan) - 1):
        model = loaded if pick <= i < place else empty
        delta = theta_wp[i + 1] - theta_wp[i]
        scale = segment_scale(model, theta_wp[i], delta)
        duration = profile(delta, scale, np.zeros(1))[3]
        segments.append((clock, duration, scale, i))
        clock += duration
        arrivals.append(clock)
        clock += float(plan[i + 1]["dwell_s"])
    cycle = clock
    steps = math.floor(cycle * RATE + 1e-9)
    times = np.arange(steps + 1) / RATE
    if times[-1] < cycle - 1e-9:
        times = np.append(times, cycle)

    theta = np.repeat(theta_wp[:1], len(times), axis=0)
    vel, acc = np.zeros_like(theta), np.zeros_like(theta)
    holding = np.zeros(len(times), bool)
    for start, duration, scale, i in segments:
        inside = (times >= start) & (times <= start + duration)
        after = times > start + duration
        theta[after] = theta_wp[i + 1]
        if inside.any():
            pos, v, a, _ = profile(theta_wp[i + 1] - theta_wp[i], scale, times[inside] - start)
            theta[inside], vel[inside], acc[inside] = theta_wp[i] + pos, v, a
            vel[after], acc[after] = 0.0, 0.0
        if pick <= i < place:
            holding |= inside & (times > start)
    tau = np.zeros_like(theta)
    tau[holding] = torques(loaded, theta[holding], vel[holding], acc[holding])
    tau[~holding] = torques(empty, theta[~holding], vel[~holding], acc[~holding])
    q = theta - offsets
    margins = 100 * (1 - np.abs(tau).max(axis=0) / TMAX)
    worst = int(np.argmin(margins))
    go = cycle <= CELL["cycle_requirement_s"]
    write(plan, q_wp, arrivals, times, q, tau, cal, cycle, margins, worst, go)


def write(plan, q_wp, arrivals, times, q, tau, cal, cycle, margins, worst, go) -> None:
    joints = [f"q{j + 1}" for j in range(N)]
    offsets_deg = [round(math.degrees(v), 5) for v in cal["params"][:N]]
    length_mm = round(float(cal["params"][N]) * 1000, 4)
    (OUTPUT / "calibration.json").write_text(json.dumps({
        "joint_offsets_deg": offsets_deg, "upper_arm_length_error_mm": length_mm,
        "rejected_shots": cal["rejected"], "rms_residual_mm": round(cal["rms"], 4)}, indent=2))
    with (OUTPUT / "waypoint_joints.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["seq", "name", "t_s", *joints])
        for row, t, values in zip(plan, arrivals, q_wp, strict=True):
            writer.writerow([row["seq"], row["name"], f"{t:.6f}", *(f"{v:.8f}" for v in values)])
    with (OUTPUT / "joint_trajectory.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["t_s", *joints])
        writer.writerows([f"{t:.6f}", *(f"{v:.8f}" for v in row)] for t, row in zip(times, q, strict=True))
    with (OUTPUT / "torques.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["t_s", *(f"tau{j + 1}" for j in range(N))])
        writer.writerows([f"{t:.6f}", *(f"{v:.4f}" for v in row)] for t, row in zip(times, tau, strict=True))
    summary = {"cycle_time_s": round(cycle, 4), "worst_torque_margin_pct": round(float(margins[worst]), 2),
               "worst_torque_joint": worst + 1, "go": bool(go)}
    (OUTPUT / "summary.json").write_text(json.dumps(summary, indent=2))
    requirement = CELL["cycle_requirement_s"]
    lines = [
        "# Commissioning report: pick-and-place cell", "",
        "## Calibration (laser tracker)", "",
        f"Shots rejected (beam breaks): {', '.join(cal['rejected']) or 'none'}; RMS residual "
        f"{cal['rms']:.4f} mm on the kept shots. Upper-arm length error {length_mm:+.4f} mm.", "",
        "| Joint | Zero offset (deg) |", "|---|---|",
        *(f"| joint_{j + 1} | {v:+.5f} |" for j, v in enumerate(offsets_deg)), "",
        "## Cycle", "",
        f"Cycle time {cycle:.4f} s against the requirement {requirement} s.", "",
        "| Joint | Peak torque (N m) | Limit (N m) | Margin (%) |", "|---|---|---|---|",
        *(f"| joint_{j + 1} | {np.abs(tau[:, j]).max():.2f} | {TMAX[j]:g} | {margins[j]:.2f} |" for j in range(N)),
        "", f"Worst torque margin {margins[worst]:.2f} % on joint_{worst + 1}.", "",
        f"Verdict: {'GO' if go else 'NO-GO'}",
    ]
    (OUTPUT / "commissioning_report.md").write_text("\n".join(lines) + "\n")


main()
