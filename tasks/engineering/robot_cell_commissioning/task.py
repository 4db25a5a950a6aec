"""Pick-and-place cell commissioning: calibration, inverse kinematics, time-optimal trajectory, torque check.

ALE-CANARY-0ec55d98-0c53-4ce7-9d99-14da041ba5bb

Workflow: a robotics engineer commissions a pick-and-place cell. The real arm differs from its URDF by joint
zero offsets and an upper-arm length error, which they identify from laser-tracker shots (two of them bad);
with the calibrated model they solve every taught waypoint's inverse kinematics on the home configuration's
branch, time-parameterise the stop-to-stop cycle within the joint velocity and acceleration limits, run
inverse dynamics with the gripper and the part, slow the segments that overload a motor, and sign off the
cycle time against the requirement.

generate() draws the hidden errors, the shots and the waypoints (given as model angles, so the true inverse
kinematics is known by construction), sets the motor limits so that one big axis binds on the fastest
profile, and computes the reference cycle. grade() re-runs the agent's joint values through the TRUE arm
(robot.py, an implementation of forward kinematics and recursive Newton-Euler independent of the agent's
tool): every waypoint must be reached, the trajectory must respect every limit when differentiated and when
its torques are recomputed, and its cycle time is held against the reference method applied to the agent's
own waypoint solution.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, as_number, normalize_text, write_csv

from .cell import RATE_HZ, body, carried_loads, limit_arrays, reference_cycle, simulate, tcp_pose
from .robot import ARMS, combine, point_on_flange, quaternion_to_matrix, rnea, rotation_angle, urdf

CANARY = "ALE-CANARY-0ec55d98-0c53-4ce7-9d99-14da041ba5bb"
CALIBRATION, WAYPOINTS, TRAJECTORY, TORQUES, SUMMARY, REPORT = (
    "calibration.json", "waypoint_joints.csv", "joint_trajectory.csv", "torques.csv", "summary.json",
    "commissioning_report.md")
# tolerances: the identification's spread with 0.015 mm tracker noise is ~0.003 deg and ~0.01 mm; a waypoint
# reached with a sound calibration is within ~0.05 mm and 0.01 deg; the smallest hidden offset is 0.08 deg
OFFSET_TOL_DEG = 0.02
LENGTH_TOL_MM = 0.1
POSITION_TOL_MM = 0.2
ORIENTATION_TOL_DEG = 0.03
CYCLE_TOL = 0.02          # over the reference method on the agent's own waypoints
REDUNDANCY_TOL = 0.10     # over the reference method on the cell's own waypoint solution
BRANCH_NAMES = {"six_axis": "wrist (joint_5)", "seven_axis": "shoulder, elbow and wrist (joints 2, 4, 6)"}


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    arm_name, mounting = params["arm"], params["mounting"]
    rng = np.random.default_rng([int(params["seed"]) % 2 ** 32, len(arm_name), len(mounting)])
    sim = simulate(arm_name, mounting, rng)
    arm, n = sim["arm"], ARMS[arm_name].dof
    grips = [w[-1] for w in sim["waypoints"]]
    dwells = [w[-2] for w in sim["waypoints"]]
    loads = carried_loads(grips, sim["gripper"], sim["part"])
    fast, slow, _ = reference_cycle(arm, sim["thetas"], dwells, loads, sim["limits"], sim["gravity"],
                                    sim["length_error_mm"] / 1000)
    gap = slow / fast - 1
    choice = rng.uniform()
    if gap > 0.05 and choice < 0.4:
        requirement = round((fast + slow) / 2, 2)        # met only by ignoring the torque limit
    elif choice < 0.7:
        requirement = round(slow * rng.uniform(1.05, 1.12), 2)
    else:
        requirement = round(slow * rng.uniform(0.88, 0.95), 2)
    go = slow <= requirement

    (input_dir / "arm.urdf").write_text(urdf(arm, name=f"{arm_name}_nominal"))
    write_csv(input_dir / "tracker_shots.csv",
              ["shot", *(f"q{j + 1}_deg" for j in range(n)), "x_mm", "y_mm", "z_mm"], sim["shots"])
    write_csv(input_dir / "waypoints.csv",
              ["seq", "name", "x_mm", "y_mm", "z_mm", "qw", "qx", "qy", "qz", "dwell_s", "gripper"],
              sim["waypoints"])
    sheet = {
        "cell": "Cell 4, line B: pick from the infeed fixture, place on the outfeed pallet",
        "robot": arm.title,
        "urdf": "arm.urdf (the manufacturer's nominal kinematics and link inertias)",
        "mounting": ("floor: the base frame's +z points up, gravity is -z in the base frame" if mounting == "floor"
                     else "inverted on the ceiling gantry: the base frame's +z points down to the floor"),
        "upper_arm": f"the origin of joint_{arm.upper_arm[0] + 1} along its "
                     f"{'xyz'[arm.upper_arm[1]]} axis: the length from joint_{arm.upper_arm[0]} to "
                     f"joint_{arm.upper_arm[0] + 1}",
        "tracker": {"frame": "registered to the robot base frame before the campaign (positions in base frame)",
                    "target_on_flange_mm": [round(c * 1000, 3) for c in arm.smr],
                    "target_note": "1.5 in SMR on the calibration plate; flange frame = link frame of the last joint",
                    "accuracy_mm": "about 0.015 per axis; the operator reported two beam breaks during the run"},
        "tool": {**sim["tool"], "note": "TCP frame in the flange frame, rpy in the URDF convention "
                                        "(R = Rz(yaw) Ry(pitch) Rx(roll))"},
        "gripper": {**sim["gripper"], "note": "always on the flange; CoM in the flange frame, inertia about the CoM"},
        "part": {**sim["part"], "note": "on the gripper from leaving the PICK waypoint to arriving at the PLACE "
                                        "waypoint; during the dwells it rests on the fixture"},
        "home_joints_deg": [float(v) for v in sim["home_q_deg"]],
        "joint_limits": sim["limits"],
        "controller_rate_hz": RATE_HZ,
        "cycle_requirement_s": requirement,
    }
    (input_dir / "cell.json").write_text(json.dumps(sheet, indent=2) + "\n")
    reference = {
        "arm": arm_name, "mounting": mounting, "offsets_deg": list(sim["offsets_deg"]),
        "length_error_mm": sim["length_error_mm"], "bad_shots": [sim["shots"][i][0] for i in sim["bad"]],
        "thetas": sim["thetas"].tolist(), "gravity": sim["gravity"].tolist(), "binding_joint": sim["binding"] + 1,
        "fast_cycle_s": fast, "cycle_s": slow, "requirement_s": requirement, "go": bool(go),
    }
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=1))
    for directory in (input_dir, reference_dir):
        (directory / "CANARY.txt").write_text(CANARY + "\n")


# -- grading -------------------------------------------------------------------------------------------------

def grade(g: Grading) -> None:
    if not g.require_files(CALIBRATION, WAYPOINTS, TRAJECTORY, TORQUES, SUMMARY, REPORT):
        return
    ref = g.reference_json("reference.json")
    sheet = json.loads((g.input_dir / "cell.json").read_text())
    arm = ARMS[ref["arm"]]
    n = arm.dof
    joints = [f"q{j + 1}" for j in range(n)]
    calibration = g.read_json(CALIBRATION)
    summary = g.read_json(SUMMARY)
    waypoint_rows = g.read_csv(WAYPOINTS, required_columns=["seq", "name", "t_s", *joints])
    trajectory_rows = g.read_csv(TRAJECTORY, required_columns=["t_s", *joints])
    torque_rows = g.read_csv(TORQUES, required_columns=["t_s", *(f"tau{j + 1}" for j in range(n))])
    report = g.read_text(REPORT)
    if not isinstance(calibration, dict) or not isinstance(summary, dict) or None in (
            waypoint_rows, trajectory_rows, torque_rows, report):
        return
    _grade_calibration(g, ref, arm, calibration)
    plan = list(_input_rows(g.input_dir / "waypoints.csv"))
    wp = _matrix(waypoint_rows, ["t_s", *joints])
    traj = _matrix(trajectory_rows, ["t_s", *joints])
    tau = _matrix(torque_rows, ["t_s", *(f"tau{j + 1}" for j in range(n))])
    shaped = g.check("joint files are numeric, one row per waypoint, one torque row per trajectory sample",
                     wp is not None and traj is not None and tau is not None and len(wp) == len(plan)
                     and len(traj) == len(tau) and len(traj) > 10, weight=0, gate=True)
    if not shaped:
        return
    offsets = np.radians(ref["offsets_deg"])
    length_error = ref["length_error_mm"] / 1000
    gravity = np.array(ref["gravity"])
    vmax, amax, torque_limits = limit_arrays(sheet["joint_limits"])
    _grade_waypoints(g, ref, arm, sheet, plan, wp, offsets, length_error)
    dwells = [float(row["dwell_s"]) for row in plan]
    grips = [row["gripper"] for row in plan]
    loads = carried_loads(grips, sheet["gripper"], sheet["part"])
    _, own_cycle, _ = reference_cycle(arm, wp[:, 1:] + offsets, dwells, loads, sheet["joint_limits"],
                                             gravity, length_error)
    _, best_cycle, _ = reference_cycle(arm, np.array(ref["thetas"]), dwells, loads, sheet["joint_limits"],
                                               gravity, length_error)
    _grade_trajectory(g, plan, wp, traj, vmax, amax)
    _grade_torques(g, arm, sheet, plan, wp, traj, tau, offsets, length_error, gravity, torque_limits)
    _grade_summary(g, ref, summary, report, traj, wp, own_cycle, best_cycle, tau, torque_limits)


def _input_rows(path: Path) -> list[dict[str, str]]:
    import csv
    return list(csv.DictReader(path.read_text().splitlines()))


def _matrix(rows: list[dict[str, str]], columns: list[str]) -> np.ndarray | None:
    """The columns as floats, or None when a cell is not a finite number."""
    values = [[as_number(row.get(c)) for c in columns] for row in rows]
    if not values or any(v is None or not math.isfinite(v) for r in values for v in r):
        return None
    return np.array(values, dtype=float)


def _grade_calibration(g: Grading, ref: dict, arm, calibration: dict) -> None:
    found = calibration.get("joint_offsets_deg")
    found = found if isinstance(found, list) and len(found) == arm.dof else [None] * arm.dof
    verdicts = {}
    for j, (value, want) in enumerate(zip(found, ref["offsets_deg"], strict=True)):
        number = as_number(value)
        verdicts[f"joint_{j + 1}"] = (True if number is not None and abs(number - want) <= OFFSET_TOL_DEG
                                      else f"{value} want {want:.4f}")
    g.fraction("joint zero offsets identified", verdicts, weight=2, noun="joints")
    g.number("upper-arm length error identified (mm)", calibration.get("upper_arm_length_error_mm"),
             ref["length_error_mm"], abs_tol=LENGTH_TOL_MM)
    rejected = calibration.get("rejected_shots")
    names = sorted(normalize_text(s) for s in rejected) if isinstance(rejected, list) else None
    want = sorted(normalize_text(s) for s in ref["bad_shots"])
    g.check("bad tracker shots rejected", names == want, expected=want, found=rejected)
    # the residual the agent states must be its own model's residual on the shots it kept
    shots = _input_rows(g.input_dir / "tracker_shots.csv")
    kept = [s for s in shots if normalize_text(s["shot"]) not in set(names or [])]
    offsets = [as_number(v) for v in found]
    length = as_number(calibration.get("upper_arm_length_error_mm"))
    rms = None
    if kept and None not in offsets and length is not None:
        q = np.radians([[float(s[f"q{j + 1}_deg"]) for j in range(arm.dof)] for s in kept]) + np.radians(offsets)
        measured = np.array([[float(s[c]) for c in ("x_mm", "y_mm", "z_mm")] for s in kept])
        model = point_on_flange(arm, q, arm.smr, length / 1000) * 1000
        rms = float(np.sqrt(np.mean(np.sum((model - measured) ** 2, axis=1))))
    stated = as_number(calibration.get("rms_residual_mm"))
    g.check("stated calibration residual is the model's residual on the kept shots",
            rms is not None and stated is not None and abs(stated - rms) <= max(0.005, 0.25 * rms),
            expected=rms, found=calibration.get("rms_residual_mm"))


def _grade_waypoints(g: Grading, ref: dict, arm, sheet: dict, plan: list[dict], wp: np.ndarray,
                     offsets: np.ndarray, length_error: float) -> None:
    home = np.radians(sheet["home_joints_deg"])
    theta = wp[:, 1:] + offsets
    rot, pos = tcp_pose(arm, theta, sheet["tool"], length_error)
    verdicts = {}
    for i, row in enumerate(plan):
        label = f"{row['seq']} {row['name']}"
        if row["name"] == "HOME":
            error = float(np.max(np.abs(wp[i, 1:] - home)))
            verdicts[label] = True if error <= 1e-4 else f"{math.degrees(error):.4f} deg off the home joints"
            continue
        target = np.array([float(row[c]) for c in ("x_mm", "y_mm", "z_mm")])
        target_rot = quaternion_to_matrix(*(float(row[c]) for c in ("qw", "qx", "qy", "qz")))
        miss = float(np.linalg.norm(pos[i] * 1000 - target))
        turn = math.degrees(float(rotation_angle(rot[i], target_rot)))
        verdicts[label] = (True if miss <= POSITION_TOL_MM and turn <= ORIENTATION_TOL_DEG
                           else f"{miss:.3f} mm, {turn:.4f} deg off")
    g.fraction("every waypoint reached by the real arm", verdicts, weight=3, noun="waypoints")

    lower = np.radians([j["lower_deg"] for j in sheet["joint_limits"]])
    upper = np.radians([j["upper_deg"] for j in sheet["joint_limits"]])
    signs = np.sign(home[list(arm.branch)])
    verdicts = {}
    for i, row in enumerate(plan):
        label = f"{row['seq']} {row['name']}"
        q = wp[i, 1:]
        problems = []
        if np.any(q < lower - 1e-6) or np.any(q > upper + 1e-6):
            problems.append("outside the joint limits")
        if np.any(np.sign(q[list(arm.branch)]) != signs):
            problems.append(f"{BRANCH_NAMES[arm.name]} flipped")
        if i and np.any(np.abs(q - wp[i - 1, 1:]) > math.pi):
            problems.append("a joint turns more than 180 deg from the previous waypoint")
        verdicts[label] = "; ".join(problems) or True
    g.fraction("one configuration branch, within the joint limits, no wrist or tool spin", verdicts, weight=2,
               noun="waypoints")


def _grade_trajectory(g: Grading, plan: list[dict], wp: np.ndarray, traj: np.ndarray, vmax: np.ndarray,
                      amax: np.ndarray) -> None:
    dt = 1 / RATE_HZ
    steps = np.diff(traj[:, 0])
    g.check("trajectory sampled at the controller rate from t = 0",
            abs(traj[0, 0]) < 1e-6 and bool(np.all(np.abs(steps[:-1] - dt) < 1e-5)) and 0 < steps[-1] <= dt + 1e-5,
            expected=f"t = 0, {dt:g}, {2 * dt:g}, ...",
            found=f"t0 = {traj[0, 0]:g}, steps {steps.min():g}..{steps.max():g}")
    verdicts = {}
    times = traj[:, 0]
    ordered = bool(np.all(np.diff(wp[:, 0]) > 0))
    for i, row in enumerate(plan):
        label = f"{row['seq']} {row['name']}"
        arrive, dwell = wp[i, 0], float(row["dwell_s"])
        window = (times >= arrive - dt / 2) & (times <= arrive + dwell + dt / 2)
        if not window.any():
            verdicts[label] = "no trajectory sample at its arrival time"
            continue
        error = float(np.max(np.abs(traj[window, 1:] - wp[i, 1:])))
        verdicts[label] = True if error <= 2e-3 and ordered else f"{error:.4f} rad off while it should stand there"
    g.fraction("trajectory stops at every waypoint at the stated time, for its dwell", verdicts, noun="waypoints")
    q = traj[:, 1:]
    velocity = (q[2:] - q[:-2]) / (2 * dt)
    acceleration = (q[2:] - 2 * q[1:-1] + q[:-2]) / dt ** 2
    vel_ratio = float(np.max(np.abs(velocity) / vmax))
    acc_ratio = float(np.max(np.abs(acceleration) / amax))
    g.check("joint velocities within the limits", vel_ratio <= 1.01, expected="<= 1.0 of the limit",
            found=f"{vel_ratio:.3f} of the limit")
    g.check("joint accelerations within the limits", acc_ratio <= 1.02, expected="<= 1.0 of the limit",
            found=f"{acc_ratio:.3f} of the limit")


def _grade_torques(g: Grading, arm, sheet: dict, plan: list[dict], wp: np.ndarray, traj: np.ndarray,
                   tau: np.ndarray, offsets: np.ndarray, length_error: float, gravity: np.ndarray,
                   limits: np.ndarray) -> np.ndarray:
    """Recompute the torques of the agent's trajectory with the true arm; returns them (interior samples, at a
    switch of acceleration the larger side's)."""
    dt = 1 / RATE_HZ
    q = traj[:, 1:]
    velocity = (q[2:] - q[:-2]) / (2 * dt)
    acceleration = (q[2:] - 2 * q[1:-1] + q[:-2]) / dt ** 2
    times = traj[1:-1, 0]
    pick = next(i for i, row in enumerate(plan) if row["gripper"] == "close")
    place = next(i for i, row in enumerate(plan) if row["gripper"] == "open")
    leave, arrive = wp[pick, 0] + float(plan[pick]["dwell_s"]), wp[place, 0]
    holding = (times > leave) & (times < arrive)
    empty = body(sheet["gripper"])
    full = combine([empty, body(sheet["part"])])
    theta = q[1:-1] + offsets
    # a sample on a switch of acceleration matches its one-sided second difference, not the central one
    backward = np.vstack([acceleration[:1], (q[2:-1] - 2 * q[1:-2] + q[:-3]) / dt ** 2])
    forward = np.vstack([(q[3:] - 2 * q[2:-1] + q[1:-2]) / dt ** 2, acceleration[-1:]])
    stated = tau[1:-1, 1:]
    tolerance = 0.5 + 0.01 * limits
    close = np.zeros(len(theta), bool)
    computed = np.zeros_like(theta)
    for variant, accel in enumerate((acceleration, backward, forward)):
        torques = np.zeros_like(theta)
        for mask, load in ((holding, full), (~holding, empty)):
            if mask.any():
                torques[mask] = rnea(arm, theta[mask], velocity[mask], accel[mask], gravity, load, length_error)
        # the largest of the three is the torque on the side of a switch that the sample stands for
        computed = torques if variant == 0 else np.where(np.abs(torques) > np.abs(computed), torques, computed)
        close |= np.all(np.abs(stated - torques) <= tolerance, axis=1)
    aligned = len(tau) == len(traj) and bool(np.all(np.abs(tau[:, 0] - traj[:, 0]) < 1e-6))
    share = float(close.mean()) if aligned else 0.0
    g.check("torques.csv is the rigid-body inverse dynamics of the trajectory with gripper and part",
            share >= 0.97, weight=2, expected=">= 97% of samples within 0.5 N m + 1% of the limit",
            found=f"{share:.1%}" if aligned else "time stamps differ from the trajectory's")
    ratio = float(np.max(np.abs(computed) / limits))
    own_ratio = float(np.max(np.abs(tau[:, 1:]) / limits))
    g.check("motor torques within the limits over the cycle", max(ratio, own_ratio) <= 1.01, weight=2,
            expected="<= 1.0 of the limit",
            found=f"{ratio:.3f} of the limit recomputed, {own_ratio:.3f} in torques.csv")
    return computed


def _grade_summary(g: Grading, ref: dict, summary: dict, report: str, traj: np.ndarray, wp: np.ndarray,
                   own_cycle: float, best_cycle: float, tau: np.ndarray, limits: np.ndarray) -> None:
    cycle = as_number(summary.get("cycle_time_s"))
    g.check("stated cycle time is the trajectory's (back at HOME)",
            cycle is not None and abs(cycle - wp[-1, 0]) <= 1 / RATE_HZ + 1e-6
            and abs(cycle - traj[-1, 0]) <= 1 / RATE_HZ + 1e-6,
            expected=float(wp[-1, 0]), found=summary.get("cycle_time_s"))
    g.check("cycle time at the minimum for the limits", cycle is not None and cycle <= own_cycle * (1 + CYCLE_TOL),
            weight=2, expected=f"<= {own_cycle * (1 + CYCLE_TOL):.3f} s (reference method on these waypoints: "
                               f"{own_cycle:.3f} s)", found=cycle)
    g.check("waypoint solution does not lengthen the cycle", own_cycle <= best_cycle * (1 + REDUNDANCY_TOL),
            expected=f"<= {best_cycle * (1 + REDUNDANCY_TOL):.3f} s", found=f"{own_cycle:.3f} s")
    # torques.csv is held to the recomputed inverse dynamics above; the margin must be the one it shows
    margins = 100 * (1 - np.abs(tau[:, 1:]) / limits)
    worst = float(margins.min())
    near = {j + 1 for j in range(len(limits)) if margins[:, j].min() <= worst + 0.5}
    stated_margin = as_number(summary.get("worst_torque_margin_pct"))
    joint = as_number(re.sub(r"[^0-9.]", "", str(summary.get("worst_torque_joint", ""))) or None)
    g.check("worst torque margin and its joint, as torques.csv shows them",
            stated_margin is not None and abs(stated_margin - worst) <= 0.1 and joint in near,
            expected={"margin_pct": round(worst, 2), "joint": sorted(near)},
            found={"margin_pct": summary.get("worst_torque_margin_pct"), "joint": summary.get("worst_torque_joint")})
    # the verdict the cycle this waypoint solution can reach deserves (by the agent's own cycle when that is
    # within the cycle tolerance of the requirement)
    requirement = ref["requirement_s"]
    if abs(own_cycle / requirement - 1) > CYCLE_TOL or cycle is None:
        deserved = own_cycle <= requirement
    else:
        deserved = cycle <= requirement
    go = _go(summary.get("go"))
    g.check("go/no-go for the cycle requirement", go is deserved, weight=2,
            expected=f"{'GO' if deserved else 'NO-GO'} (requirement {requirement} s, reachable {own_cycle:.3f} s)",
            found=summary.get("go"))
    _grade_report(g, report, cycle, stated_margin, go)


def _go(value: Any) -> bool | None:
    word = normalize_text(value).replace("-", " ").replace("_", " ")
    if value is True or word in ("true", "go", "yes"):
        return True
    if value is False or word in ("false", "no go", "no"):
        return False
    return None


def _grade_report(g: Grading, report: str, cycle: float | None, margin: float | None, go: bool | None) -> None:
    numbers = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", report.replace(",", ""))]
    verdicts = {normalize_text(m).replace("-", "").replace(" ", "") for m in
                re.findall(r"verdict\W+(no[\s-]?go|go)\b", report, re.IGNORECASE)}
    verdict = None if len(verdicts) != 1 else verdicts == {"go"}
    ok = (cycle is not None and any(abs(x - cycle) <= 0.01 for x in numbers)
          and margin is not None and any(abs(x - margin) <= 0.1 for x in numbers) and verdict is not None
          and verdict is go)
    g.check("report states the cycle time, the worst torque margin and the same go/no-go", ok,
            expected={"cycle_time_s": cycle, "margin_pct": margin, "go": go},
            found={"go_in_report": verdict})
