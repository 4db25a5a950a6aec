"""The arms, their URDF, and the grader's own kinematics, inverse dynamics and reference timing (numpy).

ALE-CANARY-0ec55d98-0c53-4ce7-9d99-14da041ba5bb

An arm is a serial chain of revolute joints whose URDF origins carry a translation only (no rpy), each
turning about a unit axis x, y or z of its own frame; the last link's frame is the flange. Joint angles
here are the kinematic model's angles theta = controller reading + zero offset.

This is an implementation independent of Pinocchio (the tool the oracle uses): the grader recomputes
forward kinematics and the recursive Newton-Euler torques of the agent's trajectory with the true arm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

AXES = {"x": np.array([1.0, 0, 0]), "y": np.array([0, 1.0, 0]), "z": np.array([0, 0, 1.0])}


@dataclass(frozen=True)
class Joint:
    origin: tuple[float, float, float]
    axis: str
    lower_deg: float
    upper_deg: float
    velocity: float          # rad/s
    acceleration: float      # rad/s^2
    mass: float              # the child link's inertial data, in the child frame
    com: tuple[float, float, float]
    inertia: tuple[float, float, float]  # ixx, iyy, izz about the CoM


@dataclass(frozen=True)
class Arm:
    name: str
    title: str
    joints: tuple[Joint, ...]
    upper_arm: tuple[int, int]   # (joint index whose origin carries the upper-arm length, component)
    branch: tuple[int, ...]      # joints whose sign fixes the configuration branch
    tool_axis: int               # the flange axis the tool points along
    smr: tuple[float, float, float]  # tracker target on the flange, m
    extras: dict = field(default_factory=dict)

    @property
    def dof(self) -> int:
        return len(self.joints)


def _j(origin, axis, lo, hi, v, a, m, com, inertia) -> Joint:
    return Joint(origin, axis, lo, hi, v, a, m, com, inertia)


ARMS = {
    "six_axis": Arm(
        name="six_axis", title="6-axis articulated arm, 12 kg class, spherical wrist",
        joints=(
            _j((0, 0, 0.400), "z", -170, 170, 2.62, 7.0, 22.0, (0.0, 0.0, -0.10), (0.45, 0.45, 0.30)),
            _j((0.050, 0, 0.050), "y", -90, 135, 2.36, 6.0, 14.0, (0.0, 0.0, 0.225), (0.30, 0.30, 0.05)),
            _j((0, 0, 0.450), "y", -150, 110, 2.62, 7.5, 8.0, (0.12, 0.0, 0.02), (0.04, 0.12, 0.12)),
            _j((0.100, 0, 0.035), "x", -185, 185, 5.24, 15.0, 3.5, (0.16, 0.0, 0.0), (0.01, 0.03, 0.03)),
            _j((0.320, 0, 0), "y", -125, 125, 5.24, 15.0, 1.8, (0.03, 0.0, 0.0), (0.004, 0.004, 0.004)),
            _j((0.080, 0, 0), "x", -350, 350, 7.33, 20.0, 0.4, (-0.01, 0.0, 0.0), (0.0008, 0.0005, 0.0005)),
        ),
        upper_arm=(2, 2), branch=(4,), tool_axis=0, smr=(0.025, 0.060, 0.045),
    ),
    "seven_axis": Arm(
        name="seven_axis", title="7-axis redundant arm, 14 kg class, all axes in line at zero",
        joints=(
            _j((0, 0, 0.1575), "z", -170, 170, 1.71, 6.0, 4.0, (0.0, -0.03, 0.12), (0.10, 0.09, 0.02)),
            _j((0, 0, 0.2025), "y", -120, 120, 1.71, 6.0, 4.0, (0.0, 0.059, 0.042), (0.05, 0.018, 0.044)),
            _j((0, 0, 0.2045), "z", -170, 170, 1.75, 7.0, 3.0, (0.0, 0.03, 0.13), (0.08, 0.075, 0.01)),
            _j((0, 0, 0.2155), "y", -120, 120, 2.27, 8.0, 2.7, (0.0, 0.067, 0.034), (0.03, 0.01, 0.029)),
            _j((0, 0, 0.1845), "z", -170, 170, 2.44, 9.0, 1.7, (0.0, 0.021, 0.076), (0.02, 0.018, 0.005)),
            _j((0, 0, 0.2155), "y", -120, 120, 3.14, 12.0, 1.8, (0.0, 0.0006, 0.0004), (0.005, 0.0036, 0.0047)),
            _j((0, 0, 0.1260), "z", -350, 350, 3.14, 15.0, 0.3, (0.0, 0.0, 0.02), (0.001, 0.001, 0.001)),
        ),
        upper_arm=(3, 2), branch=(1, 3, 5), tool_axis=2, smr=(0.050, 0.030, 0.025),
    ),
}


def urdf(arm: Arm, *, name: str) -> str:
    """The nominal URDF of the arm (the drawing's values): links base_link, link_1..link_n, joints joint_1..n."""
    lines = ['<?xml version="1.0"?>', f'<robot name="{name}">', '  <link name="base_link"/>']
    parent = "base_link"
    for i, joint in enumerate(arm.joints, start=1):
        ixx, iyy, izz = joint.inertia
        lines += [
            f'  <link name="link_{i}">',
            "    <inertial>",
            '      <origin xyz="{:.4f} {:.4f} {:.4f}" rpy="0 0 0"/>'.format(*joint.com),
            f'      <mass value="{joint.mass:.3f}"/>',
            f'      <inertia ixx="{ixx:.5f}" ixy="0" ixz="0" iyy="{iyy:.5f}" iyz="0" izz="{izz:.5f}"/>',
            "    </inertial>",
            "  </link>",
            f'  <joint name="joint_{i}" type="revolute">',
            f'    <parent link="{parent}"/>',
            f'    <child link="link_{i}"/>',
            '    <origin xyz="{:.4f} {:.4f} {:.4f}" rpy="0 0 0"/>'.format(*joint.origin),
            '    <axis xyz="{}"/>'.format(" ".join(f"{c:g}" for c in AXES[joint.axis])),
            f'    <limit lower="{math.radians(joint.lower_deg):.5f}" upper="{math.radians(joint.upper_deg):.5f}" '
            f'effort="0" velocity="{joint.velocity:.3f}"/>',
            "  </joint>",
        ]
        parent = f"link_{i}"
    lines.append("</robot>")
    return "\n".join(lines) + "\n"


# -- kinematics ---------------------------------------------------------------------------------------------

def rotation(axis: str, angle: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) about a unit axis x, y or z."""
    c, s = np.cos(angle), np.sin(angle)
    one, zero = np.ones_like(c), np.zeros_like(c)
    rows = {"x": [[one, zero, zero], [zero, c, -s], [zero, s, c]],
            "y": [[c, zero, s], [zero, one, zero], [-s, zero, c]],
            "z": [[c, -s, zero], [s, c, zero], [zero, zero, one]]}[axis]
    return np.moveaxis(np.array(rows), (0, 1), (-2, -1))


def origins(arm: Arm, length_error: float = 0.0) -> list[np.ndarray]:
    """Joint origins with the upper-arm length corrected by ``length_error`` (m)."""
    result = [np.array(j.origin, dtype=float) for j in arm.joints]
    index, component = arm.upper_arm
    result[index][component] += length_error
    return result


def flange_pose(arm: Arm, theta: np.ndarray, length_error: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Flange rotation (N, 3, 3) and position (N, 3) for model angles ``theta`` (N, n)."""
    theta = np.atleast_2d(theta)
    rot = np.broadcast_to(np.eye(3), (len(theta), 3, 3)).copy()
    pos = np.zeros((len(theta), 3))
    for i, (joint, origin) in enumerate(zip(arm.joints, origins(arm, length_error), strict=True)):
        pos = pos + rot @ origin
        rot = rot @ rotation(joint.axis, theta[:, i])
    return rot, pos


def point_on_flange(arm: Arm, theta: np.ndarray, point, length_error: float = 0.0) -> np.ndarray:
    rot, pos = flange_pose(arm, theta, length_error)
    return pos + rot @ np.asarray(point, dtype=float)


def quaternion_to_matrix(w: float, x: float, y: float, z: float) -> np.ndarray:
    n = math.sqrt(w * w + x * x + y * y + z * z)
    w, x, y, z = w / n, x / n, y / n, z / n
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                     [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                     [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]])


def matrix_to_quaternion(m: np.ndarray) -> tuple[float, float, float, float]:
    """(w, x, y, z) with w >= 0."""
    w = math.sqrt(max(0.0, 1 + m[0, 0] + m[1, 1] + m[2, 2])) / 2
    x = math.copysign(math.sqrt(max(0.0, 1 + m[0, 0] - m[1, 1] - m[2, 2])) / 2, m[2, 1] - m[1, 2])
    y = math.copysign(math.sqrt(max(0.0, 1 - m[0, 0] + m[1, 1] - m[2, 2])) / 2, m[0, 2] - m[2, 0])
    z = math.copysign(math.sqrt(max(0.0, 1 - m[0, 0] - m[1, 1] + m[2, 2])) / 2, m[1, 0] - m[0, 1])
    n = math.sqrt(w * w + x * x + y * y + z * z)
    return w / n, x / n, y / n, z / n


def rpy_matrix(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """URDF convention: R = Rz(yaw) Ry(pitch) Rx(roll)."""
    return rotation("z", np.array(yaw)) @ rotation("y", np.array(pitch)) @ rotation("x", np.array(roll))


def rotation_angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle (rad) of a^T b, batched."""
    trace = np.einsum("...ij,...ij->...", a, b)
    return np.arccos(np.clip((trace - 1) / 2, -1.0, 1.0))


# -- inverse dynamics ---------------------------------------------------------------------------------------

def combine(bodies: list[tuple[float, np.ndarray, np.ndarray]]) -> tuple[float, np.ndarray, np.ndarray]:
    """One rigid body (mass, CoM, inertia about the CoM) from several in the same frame."""
    mass = sum(m for m, _, _ in bodies)
    com = sum(m * np.asarray(c, float) for m, c, _ in bodies) / mass
    inertia = np.zeros((3, 3))
    for m, c, i in bodies:
        d = np.asarray(c, float) - com
        inertia += np.asarray(i, float) + m * (d @ d * np.eye(3) - np.outer(d, d))
    return mass, com, inertia


def rnea(arm: Arm, theta: np.ndarray, velocity: np.ndarray, acceleration: np.ndarray, gravity: np.ndarray,
         flange_load: tuple[float, np.ndarray, np.ndarray] | None = None, length_error: float = 0.0) -> np.ndarray:
    """Joint torques (N, n) by recursive Newton-Euler, for N samples; ``gravity`` in the base frame (m/s^2);
    ``flange_load`` a rigid body fixed to the flange (mass, CoM and inertia about it, in the flange frame)."""
    theta, velocity, acceleration = (np.atleast_2d(a) for a in (theta, velocity, acceleration))
    count, n = theta.shape
    bodies = [(j.mass, np.array(j.com, float), np.diag(j.inertia)) for j in arm.joints]
    if flange_load is not None:
        bodies[-1] = combine([bodies[-1], flange_load])
    joint_origins = origins(arm, length_error)
    w = np.zeros((count, 3))
    dw = np.zeros((count, 3))
    acc = np.broadcast_to(-np.asarray(gravity, float), (count, 3)).copy()
    rots, forces, moments = [], [], []
    for i, joint in enumerate(arm.joints):
        rot = rotation(joint.axis, theta[:, i])            # child axes in parent axes
        rt = np.swapaxes(rot, -1, -2)
        z = AXES[joint.axis]
        p = joint_origins[i]
        acc = np.einsum("nij,nj->ni", rt, acc + np.cross(dw, p) + np.cross(w, np.cross(w, p)))
        w_parent = np.einsum("nij,nj->ni", rt, w)
        dw = np.einsum("nij,nj->ni", rt, dw) + np.outer(acceleration[:, i], z) \
            + np.cross(w_parent, np.outer(velocity[:, i], z))
        w = w_parent + np.outer(velocity[:, i], z)
        mass, com, inertia = bodies[i]
        acc_com = acc + np.cross(dw, com) + np.cross(w, np.cross(w, com))
        force = mass * acc_com
        moment = dw @ inertia.T + np.cross(w, w @ inertia.T)
        rots.append(rot)
        forces.append(force)
        moments.append(moment + np.cross(com, force))
    torques = np.zeros((count, n))
    f_child = np.zeros((count, 3))
    n_child = np.zeros((count, 3))
    for i in range(n - 1, -1, -1):
        if i + 1 < n:
            rot_child = rots[i + 1]
            f_in = np.einsum("nij,nj->ni", rot_child, f_child)
            n_in = np.einsum("nij,nj->ni", rot_child, n_child) + np.cross(joint_origins[i + 1], f_in)
        else:
            f_in = n_in = np.zeros((count, 3))
        f_child = forces[i] + f_in
        n_child = moments[i] + n_in
        torques[:, i] = n_child @ AXES[arm.joints[i].axis]
    return torques


# -- reference timing: stop-to-stop, synchronised point-to-point (a straight line in joint space) ------------

def trapezoid_time(distance: np.ndarray, velocity: np.ndarray, acceleration: np.ndarray) -> np.ndarray:
    """Minimum rest-to-rest time over ``distance`` under a velocity and an acceleration limit."""
    d = np.abs(distance)
    full = d >= velocity ** 2 / acceleration
    return np.where(full, d / velocity + velocity / acceleration, 2 * np.sqrt(d / acceleration))


def line_profile(delta: np.ndarray, velocity: np.ndarray, acceleration: np.ndarray, scale: float,
                 times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Displacement, velocity and acceleration (N, n) at ``times`` of the synchronised move by ``delta``: every
    joint on one trapezoidal path parameter, as fast as the most constrained joint allows, then slowed by the
    time ``scale`` (velocities / scale, accelerations / scale^2); and the move's duration."""
    moving = np.abs(delta) > 1e-12
    if not moving.any():
        zero = np.zeros((len(times), len(delta)))
        return zero, zero, zero, 0.0
    top = float(np.min(velocity[moving] / np.abs(delta[moving]))) / scale
    accel = float(np.min(acceleration[moving] / np.abs(delta[moving]))) / scale ** 2
    duration = float(trapezoid_time(np.array(1.0), np.array(top), np.array(accel)))
    ramp = min(top / accel, math.sqrt(1 / accel))
    peak = accel * ramp
    t = np.clip(times, 0.0, duration)
    s = np.where(t < ramp, accel * t * t / 2,
                 np.where(t <= duration - ramp, peak * (t - ramp / 2), 1 - accel * (duration - t) ** 2 / 2))
    ds = np.where(t < ramp, accel * t, np.where(t <= duration - ramp, peak, accel * (duration - t)))
    dds = np.where(t < ramp, accel, np.where(t <= duration - ramp, 0.0, -accel))
    return np.outer(s, delta), np.outer(ds, delta), np.outer(dds, delta), duration


def torque_ratio(arm, start_theta, delta, vmax, amax, scale, gravity, load, length_error, samples=401):
    """Largest |torque| / limit of a segment (limits in ``arm.extras['torque_limits']``)."""
    duration = line_profile(delta, vmax, amax, scale, np.zeros(1))[3]
    pos, vel, acc, _ = line_profile(delta, vmax, amax, scale, np.linspace(0.0, duration, samples))
    tau = rnea(arm, start_theta + pos, vel, acc, gravity, load, length_error)
    return float(np.max(np.abs(tau) / np.asarray(arm.extras["torque_limits"])))


def slowed_duration(arm, start_theta, delta, vmax, amax, gravity, load, length_error=0.0) -> tuple[float, float]:
    """(duration of the synchronised move within the velocity and acceleration limits, its duration after
    uniform time scaling until no torque exceeds its limit): the reference method the cycle time is held
    against."""
    base = line_profile(delta, vmax, amax, 1.0, np.zeros(1))[3]
    if base <= 0:
        return 0.0, 0.0

    def ratio(k: float) -> float:
        return torque_ratio(arm, start_theta, delta, vmax, amax, k, gravity, load, length_error)

    if ratio(1.0) <= 1.0:
        return base, base
    low, high = 1.0, 1.5
    while ratio(high) > 1.0 and high < 20:
        high *= 1.5
    for _ in range(40):
        mid = (low + high) / 2
        low, high = (low, mid) if ratio(mid) <= 1.0 else (mid, high)
    return base, base * high


# -- inverse kinematics (the generator's minimal-motion solution of the taught poses) -----------------------

def _rotation_vector(rot: np.ndarray) -> np.ndarray:
    angle = float(np.arccos(np.clip((np.trace(rot) - 1) / 2, -1.0, 1.0)))
    axis = np.array([rot[2, 1] - rot[1, 2], rot[0, 2] - rot[2, 0], rot[1, 0] - rot[0, 1]])
    if angle < 1e-9:
        return axis / 2
    return axis * angle / (2 * math.sin(angle))


def solve_ik(pose, target_rot: np.ndarray, target_pos: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The solution nearest to ``start`` (least joint motion, which only a redundant arm has to choose): damped
    least squares with small steps, plus the null-space step towards ``start``; ``pose(theta)`` returns the TCP
    rotation and position of one configuration."""
    theta = np.array(start, dtype=float)
    for _ in range(3000):
        rot, pos = pose(theta)
        error = np.concatenate([target_pos - pos, _rotation_vector(target_rot @ rot.T)])
        jac = np.empty((6, len(theta)))
        for k in range(len(theta)):
            step = np.zeros(len(theta))
            step[k] = 1e-7
            rot_k, pos_k = pose(theta + step)
            jac[:3, k] = (pos_k - pos) / 1e-7
            jac[3:, k] = _rotation_vector(rot_k @ rot.T) / 1e-7
        pinv = jac.T @ np.linalg.inv(jac @ jac.T + 1e-12 * np.eye(6))
        back = np.asarray(start) - theta
        null = back - pinv @ (jac @ back) if len(theta) > 6 else np.zeros(len(theta))
        move = pinv @ error + null
        if np.linalg.norm(error) < 1e-12 and np.linalg.norm(null) < 1e-10:
            break
        theta = theta + move * min(1.0, 0.1 / np.linalg.norm(move))
    return theta
