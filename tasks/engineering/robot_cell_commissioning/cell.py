"""The simulated cell: the real arm's hidden errors, the tracker shots, the taught waypoints, the tooling, the
motor limits and the reference cycle, all drawn from one seed (used by ``generate``).

ALE-CANARY-0ec55d98-0c53-4ce7-9d99-14da041ba5bb
"""

from __future__ import annotations

import math

import numpy as np

from .robot import (
    ARMS,
    Arm,
    combine,
    flange_pose,
    line_profile,
    matrix_to_quaternion,
    point_on_flange,
    rnea,
    rpy_matrix,
    slowed_duration,
    solve_ik,
)

RATE_HZ = 250
NOISE_MM = 0.015
D = np.radians

# home and waypoint joint angles (deg) of each arm, drawn inside these boxes: one configuration branch,
# the last axis turning past 180 degrees at the pick so that wrapping it to +-180 spins the tool
HOME = {"six_axis": [(-15, 15), (-15, -5), (20, 35), (-10, 10), (55, 75), (130, 160)],
        "seven_axis": [(-15, 15), (25, 40), (-15, 15), (-95, -75), (-15, 15), (40, 60), (160, 175)]}
PICK_ROLL = {"six_axis": (195, 225), "seven_axis": (215, 250)}
WORK = {"six_axis": [None, (20, 40), (10, 35), (-20, 20), (40, 80), None],
        "seven_axis": [None, (35, 55), (-20, 20), (-90, -60), (-20, 20), (45, 75), None]}
LIFT = {"six_axis": [0, -7, -5, 0, 12, 0], "seven_axis": [0, -6, 0, 8, 0, -4, 0]}
SHOT_BOX = {"six_axis": [(-150, 150), (-30, 70), (-40, 70), (-150, 150), (20, 110), (-180, 180)],
            "seven_axis": [(-150, 150), (-80, 80), (-150, 150), (-110, -15), (-150, 150), (-100, 100),
                           (-180, 180)]}
SHOTS = {"six_axis": 42, "seven_axis": 50}


def tool_transform(tool: dict) -> tuple[np.ndarray, np.ndarray]:
    rot = rpy_matrix(*(D(a) for a in tool["tcp_rpy_deg"]))
    return rot, np.array(tool["tcp_xyz_mm"]) / 1000


def tcp_pose(arm: Arm, theta: np.ndarray, tool: dict, length_error: float) -> tuple[np.ndarray, np.ndarray]:
    rot, pos = flange_pose(arm, theta, length_error)
    tool_rot, tool_pos = tool_transform(tool)
    return rot @ tool_rot, pos + rot @ tool_pos


def body(spec: dict) -> tuple[float, np.ndarray, np.ndarray]:
    return spec["mass_kg"], np.array(spec["com_mm"]) / 1000, np.diag(spec["inertia_kg_m2"])


def simulate(arm_name: str, mounting: str, rng: np.random.Generator) -> dict:
    """Everything of one instance: the inputs' content and the truth."""
    arm = ARMS[arm_name]
    n = arm.dof
    offsets = rng.choice([-1, 1], n) * rng.uniform(0.08, 0.35, n)          # deg
    length_error = float(rng.choice([-1, 1]) * rng.uniform(0.8, 2.5))      # mm
    truth_err = length_error / 1000

    # laser-tracker shots: controller readings (deg, 0.001), target positions (mm) with noise and two bad shots
    readings = np.round(np.array([[rng.uniform(lo, hi) for lo, hi in SHOT_BOX[arm_name]]
                                  for _ in range(SHOTS[arm_name])]), 3)
    points = point_on_flange(arm, D(readings + offsets), arm.smr, truth_err) * 1000
    points += rng.normal(0, NOISE_MM, points.shape)
    bad = sorted(int(i) for i in rng.choice(len(points), 2, replace=False))
    for i in bad:
        direction = rng.normal(size=3)
        points[i] += direction / np.linalg.norm(direction) * rng.uniform(4, 10)
    shots = [(f"S{i + 1:03d}", *readings[i], *np.round(points[i], 3)) for i in range(len(points))]

    # tooling
    if arm_name == "six_axis":
        tool = {"tcp_xyz_mm": [round(rng.uniform(170, 200), 1), round(rng.uniform(-15, 15), 1), 0.0],
                "tcp_rpy_deg": [round(rng.uniform(-30, 30), 1), 90.0, 0.0]}
        reach = tool["tcp_xyz_mm"][0]
        gripper_com, part_com = [reach * 0.45, 0, 8.0], [reach - 20, tool["tcp_xyz_mm"][1], 0]
        part_mass = round(rng.uniform(6, 9), 2)
    else:
        tool = {"tcp_xyz_mm": [round(rng.uniform(-15, 15), 1), 0.0, round(rng.uniform(150, 180), 1)],
                "tcp_rpy_deg": [0.0, 0.0, round(rng.uniform(-30, 30), 1)]}
        reach = tool["tcp_xyz_mm"][2]
        gripper_com, part_com = [0, 6.0, reach * 0.45], [tool["tcp_xyz_mm"][0], 0, reach - 20]
        part_mass = round(rng.uniform(4, 6.5), 2)
    gripper = {"mass_kg": round(rng.uniform(2.5, 3.5), 2), "com_mm": [round(c, 1) for c in gripper_com],
               "inertia_kg_m2": [0.012, 0.014, 0.009]}
    part = {"mass_kg": part_mass, "com_mm": [round(c, 1) for c in part_com], "inertia_kg_m2": [0.015, 0.02, 0.02]}

    # taught waypoints, in model angles (deg)
    home_q = np.round([rng.uniform(lo, hi) for lo, hi in HOME[arm_name]], 2)     # controller values
    home = home_q + offsets
    side = rng.choice([-1, 1])

    def working(first: float, last: float) -> np.ndarray:
        return np.array([first] + [rng.uniform(lo, hi) for lo, hi in WORK[arm_name][1:-1]] + [last])

    lift = np.array(LIFT[arm_name], dtype=float)
    for _ in range(50):   # redraw until the least-motion solution takes the last axis past 180 degrees
        pick = working(home[0] + side * rng.uniform(40, 70), rng.uniform(*PICK_ROLL[arm_name]))
        place = working(home[0] - side * rng.uniform(40, 70), rng.uniform(100, 150))
        taught = np.radians([home, pick + lift, pick, pick + lift, place + lift, place, place + lift, home])
        thetas = minimal_motion(arm, taught[:-1], tool, truth_err)
        if thetas is not None:  # the cycle ends at HOME as taught in joint space, not at another IK solution
            thetas = np.vstack([thetas, taught[-1:]])
        if thetas is not None and np.max(thetas[:, -1] - np.radians(offsets[-1])) > np.radians(188):
            break
    else:
        raise RuntimeError("no waypoint set on one branch with the last axis past 180 degrees")
    plan = [("HOME", 0.0, ""), ("PICK_APPROACH", 0.0, ""), ("PICK", 0.4, "close"), ("PICK_RETREAT", 0.0, ""),
            ("PLACE_APPROACH", 0.0, ""), ("PLACE", 0.3, "open"), ("PLACE_RETREAT", 0.0, ""), ("HOME", 0.0, "")]
    waypoints = []
    for seq, ((name, dwell, grip), rad) in enumerate(zip(plan, taught, strict=True)):
        if name == "HOME":
            waypoints.append((seq, name, "", "", "", "", "", "", "", dwell, grip))
            continue
        rot, pos = tcp_pose(arm, rad, tool, truth_err)
        quat = matrix_to_quaternion(rot[0])
        waypoints.append((seq, name, *(round(float(p) * 1000, 3) for p in pos[0]),
                          *(round(c, 8) for c in quat), dwell, grip))
    gravity = np.array([0, 0, -9.81 if mounting == "floor" else 9.81])
    loads = carried_loads([w[-1] for w in waypoints], gripper, part)

    # motor limits: one big axis binds on the fastest profile, the others keep a margin
    vmax = np.array([j.velocity for j in arm.joints])
    amax = np.array([j.acceleration for j in arm.joints])
    peak, static = np.zeros(n), np.zeros(n)
    for i in range(len(thetas) - 1):
        delta = thetas[i + 1] - thetas[i]
        duration = line_profile(delta, vmax, amax, 1.0, np.zeros(1))[3]
        pos, vel, acc, _ = line_profile(delta, vmax, amax, 1.0, np.linspace(0, duration, 401))
        tau = rnea(arm, thetas[i] + pos, vel, acc, gravity, loads[i], truth_err)
        still = rnea(arm, thetas[i] + pos, 0 * vel, 0 * acc, gravity, loads[i], truth_err)
        peak, static = np.maximum(peak, np.abs(tau).max(0)), np.maximum(static, np.abs(still).max(0))
    # an axis whose fastest-profile peak is well over its gravity load: its limit at 77-87 % of that peak
    # still holds the arm still with a third to spare (the vertical first axis always qualifies)
    candidates = [j for j in range(3) if peak[j] >= 1.8 * static[j]]
    binding = int(rng.choice(candidates)) if candidates else int(np.argmax(peak / np.maximum(static, 1e-9)))
    limits = [float(math.ceil(max(peak[j], static[j]) * rng.uniform(1.25, 1.6))) for j in range(n)]
    limits[binding] = float(math.floor(peak[binding] / rng.uniform(1.15, 1.3)))
    sheet_limits = [{"joint": f"joint_{j + 1}", "lower_deg": arm.joints[j].lower_deg,
                     "upper_deg": arm.joints[j].upper_deg,
                     "max_velocity_deg_s": round(math.degrees(vmax[j]), 1),
                     "max_acceleration_deg_s2": round(math.degrees(amax[j]), 1),
                     "max_torque_nm": limits[j]} for j in range(n)]
    return {"arm": arm, "offsets_deg": offsets, "length_error_mm": length_error, "shots": shots, "bad": bad,
            "tool": tool, "gripper": gripper, "part": part, "home_q_deg": home_q, "waypoints": waypoints,
            "thetas": thetas, "gravity": gravity, "limits": sheet_limits, "binding": binding}


def minimal_motion(arm: Arm, taught: np.ndarray, tool: dict, length_error: float) -> np.ndarray | None:
    """The model angles reaching each taught pose nearest to the previous waypoint's (the same angles for a
    6-axis arm; for a 7-axis arm, the redundancy resolved by least joint motion); None when that solution
    leaves the joint limits or the home configuration's branch."""
    lower = np.radians([j.lower_deg for j in arm.joints])
    upper = np.radians([j.upper_deg for j in arm.joints])

    def pose(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rot, pos = tcp_pose(arm, theta, tool, length_error)
        return rot[0], pos[0]

    result = [taught[0]]
    for theta in taught[1:]:
        rot, pos = pose(theta)
        solved = solve_ik(pose, rot, pos, result[-1])
        for j in range(arm.dof):     # of the full turns within the limits, the nearest
            turns = [t for t in (solved[j] + 2 * math.pi * k for k in range(-2, 3))
                     if lower[j] + 0.02 <= t <= upper[j] - 0.02]
            if not turns:
                return None
            solved[j] = min(turns, key=lambda t: abs(t - result[-1][j]))
        branch = list(arm.branch)
        if np.any(np.sign(solved[branch]) != np.sign(taught[0][branch])) or np.any(np.abs(solved[branch]) < 0.1):
            return None
        result.append(solved)
    return np.array(result)


def carried_loads(grips: list[str], gripper: dict, part: dict) -> list[tuple]:
    """The flange load of each segment: the gripper, with the part from the pick until the place."""
    loads, holding = [], False
    empty, full = body(gripper), _combine_bodies(gripper, part)
    for grip in grips[:-1]:
        holding = True if grip == "close" else False if grip == "open" else holding
        loads.append(full if holding else empty)
    return loads


def _combine_bodies(gripper: dict, part: dict) -> tuple:
    return combine([body(gripper), body(part)])


def limit_arrays(limits: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Velocity (rad/s), acceleration (rad/s^2) and torque (N m) limits from the cell sheet."""
    return (np.radians([j["max_velocity_deg_s"] for j in limits]),
            np.radians([j["max_acceleration_deg_s2"] for j in limits]),
            np.array([j["max_torque_nm"] for j in limits], dtype=float))


def reference_cycle(arm: Arm, thetas: np.ndarray, dwells: list[float], loads: list[tuple], limits: list[dict],
                    gravity: np.ndarray, length_error: float) -> tuple[float, float, list[float]]:
    """(cycle time within the velocity and acceleration limits only, cycle time with the torque-limited
    segments slowed, the slowed segment durations) for the model angles of the waypoints."""
    vmax, amax, torque = limit_arrays(limits)
    scaled = Arm(**{**arm.__dict__, "extras": {"torque_limits": torque}})
    fast = slow = float(sum(dwells))
    durations = []
    for i in range(len(thetas) - 1):
        base, slowed = slowed_duration(scaled, thetas[i], thetas[i + 1] - thetas[i], vmax, amax, gravity,
                                       loads[i], length_error)
        fast, slow = fast + base, slow + slowed
        durations.append(slowed)
    return fast, slow, durations
