#!/usr/bin/env python3
"""Oracle: read the walking trial's C3D file with ezc3d, repair the markers (anatomical order of the leg
labels, cubic-spline filling of short gaps, 6 Hz zero-lag low-pass), zero the force plates, detect the
events (20 N plate threshold for the steps on a plate, Zeni's coordinate method elsewhere), and write the
events, the cycle parameters, the time-normalised sagittal angles, their figure and the report.

Usage: solve.py [INPUT_DIR OUTPUT_DIR] (default: $ALE_INPUT_DIR, $ALE_OUTPUT_DIR).

The near-miss adversaries (adversaries/_shortcuts.py links here) run this file under another name, and that
name switches on one shortcut; run as solve.py, none is taken.
"""

import csv
import json
import os
import sys
from pathlib import Path

import ezc3d
import matplotlib
import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import butter, filtfilt

matplotlib.use("Agg")
import itertools

import matplotlib.pyplot as plt

if len(sys.argv) == 3:
    INPUT, OUTPUT = Path(sys.argv[1]), Path(sys.argv[2])
else:
    INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
    OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
SHORTCUT = Path(__file__).name.removesuffix(".py")
THRESHOLD_N = 20.0
WINDOW_S = 0.2
MAX_GAP = 20
SIDES = ("L", "R")
CHAIN = ("THI", "KNE", "TIB", "ANK")  # top to bottom along the leg


def load():
    c3d = ezc3d.c3d(str(INPUT / "walk_01.c3d"))
    params = c3d["parameters"]
    labels = [s.strip() for s in params["POINT"]["LABELS"]["value"]]
    xyz = c3d["data"]["points"][:3]
    markers = {name: xyz[:, i, :].T.copy() for i, name in enumerate(labels)}  # frames x 3, mm
    analog_labels = [s.strip() for s in params["ANALOG"]["LABELS"]["value"]]
    analogs = {name: c3d["data"]["analogs"][0, i, :] for i, name in enumerate(analog_labels)}
    corners = np.asarray(params["FORCE_PLATFORM"]["CORNERS"]["value"], dtype=float)  # 3 x 4 x plates
    return (markers, float(params["POINT"]["RATE"]["value"][0]), analogs,
            float(params["ANALOG"]["RATE"]["value"][0]), corners)


def fix_labels(markers):
    """Give each leg's chain markers back their labels in anatomical (top-to-bottom) order."""
    swaps = []
    if SHORTCUT == "trust_labels":
        return swaps
    for side in SIDES:
        names = [side + m for m in CHAIN]
        heights = {n: np.nanmean(markers[n][:, 2]) for n in names}
        ordered = sorted(names, key=lambda n: -heights[n])
        if ordered != names:
            data = {n: markers[n] for n in names}
            for want, have in zip(names, ordered, strict=True):
                markers[want] = data[have]
                if want != have:
                    swaps.append((want, have))
    return swaps


def fill_gaps(markers):
    """Fill gaps of at most MAX_GAP frames with a cubic spline through the marker's valid frames."""
    gaps = []
    for name, xyz in markers.items():
        missing = np.isnan(xyz[:, 0])
        if not missing.any():
            continue
        idx = np.flatnonzero(missing)
        runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
        gaps += [(name, int(r[0]) + 1, int(r[-1]) + 1) for r in runs]
        if SHORTCUT == "no_gap_filling":
            continue
        frames = np.arange(len(xyz))
        spline = CubicSpline(frames[~missing], xyz[~missing], axis=0)
        for r in runs:
            if len(r) <= MAX_GAP:
                xyz[r] = spline(r)
    return gaps


def smooth(markers, hz):
    b, a = butter(2, 6.0 / (hz / 2))
    out = {}
    for name, xyz in markers.items():
        if np.isnan(xyz).any():
            out[name] = xyz.copy()
            ok = ~np.isnan(xyz[:, 0])
            out[name][ok] = filtfilt(b, a, xyz[ok], axis=0)
        else:
            out[name] = filtfilt(b, a, xyz, axis=0)
    return out


def extrema(signal, hz, maximum):
    """Times of the local extrema of a sampled signal, refined by a parabola through three samples."""
    v = signal if maximum else -signal
    times = []
    for i in range(1, len(v) - 1):
        if np.isnan(v[i - 1:i + 2]).any():
            continue
        if v[i] >= v[i - 1] and v[i] > v[i + 1]:
            den = v[i - 1] - 2 * v[i] + v[i + 1]
            shift = 0.5 * (v[i - 1] - v[i + 1]) / den if den else 0.0
            times.append((i + shift) / hz)
    return times


def marker_events(m, hz):
    sacrum = (m["LPSI"][:, 0] + m["RPSI"][:, 0]) / 2
    events = []
    for side in SIDES:
        events += [(side, "foot_strike", t, "markers") for t in extrema(m[side + "HEE"][:, 0] - sacrum, hz, True)]
        events += [(side, "foot_off", t, "markers") for t in extrema(m[side + "TOE"][:, 0] - sacrum, hz, False)]
    return events


def plate_events(analogs, ahz, corners, m, hz):
    """Threshold crossings of each zeroed plate; the foot on it is the one whose heel is over the plate."""
    events = []
    for number in (1, 2):
        fz = analogs[f"Fz{number}"]
        if SHORTCUT != "no_offset_removal":
            fz = fz - np.median(fz[: int(0.3 * ahz)])
        above = fz > THRESHOLD_N
        ups, downs = np.flatnonzero(~above[:-1] & above[1:]), np.flatnonzero(above[:-1] & ~above[1:])
        if not len(ups) or not len(downs):
            continue
        on, off = (float(i + (THRESHOLD_N - fz[i]) / (fz[i + 1] - fz[i])) / ahz for i in (ups[0], downs[-1]))
        box = corners[:, :, number - 1]
        frame = round(on * hz)
        inside = [s for s in SIDES if box[0].min() <= m[s + "HEE"][frame, 0] <= box[0].max()
                  and box[1].min() <= m[s + "HEE"][frame, 1] <= box[1].max()]
        side = inside[0] if len(inside) == 1 else min(SIDES, key=lambda s: abs(m[s + "HEE"][frame, 0] - box[0].mean()))
        events += [(side, "foot_strike", on, f"plate{number}"), (side, "foot_off", off, f"plate{number}")]
    return events


def merge(marker_evs, plate_evs, duration):
    events = list(plate_evs)
    for ev in marker_evs:
        if not any(p[0] == ev[0] and p[1] == ev[1] and abs(p[2] - ev[2]) < 0.15 for p in plate_evs):
            events.append(ev)
    return sorted((e for e in events if WINDOW_S <= e[2] <= duration - WINDOW_S), key=lambda e: e[2])


def fixed_percentage(events):
    """Shortcut: every foot off placed at 62 % of its stride from the foot strike."""
    out = [e for e in events if e[1] == "foot_strike"]
    for side in SIDES:
        fs = [e[2] for e in out if e[0] == side]
        stride = np.mean(np.diff(fs))
        out += [(side, "foot_off", t + 0.62 * stride, "markers") for t in fs]
    return sorted(out, key=lambda e: e[2])


def value_at(series, hz, t):
    frames = np.arange(len(series)) / hz
    ok = ~np.isnan(series)
    return float(np.interp(t, frames[ok], series[ok]))


def parameters(events, m, hz):
    rows = {}
    for side in SIDES:
        opp = "R" if side == "L" else "L"
        fs = [e[2] for e in events if e[0] == side and e[1] == "foot_strike"]
        fo = [e[2] for e in events if e[0] == side and e[1] == "foot_off"]
        other = [e[2] for e in events if e[0] == opp and e[1] == "foot_strike"]
        heel = lambda s, t: value_at(m[s + "HEE"][:, 0], hz, t) / 1000  # noqa: E731
        cycles = list(itertools.pairwise(fs))
        time = float(np.mean([b - a for a, b in cycles]))
        length = float(np.mean([heel(side, b) - heel(side, a) for a, b in cycles]))
        stance = [100 * (next(o for o in fo if a < o < b) - a) / (b - a) for a, b in cycles
                  if any(a < o < b for o in fo)]
        steps = [heel(side, t) - heel(opp, max(o for o in other if o < t)) for t in fs if any(o < t for o in other)]
        rows[side] = {"cycles": len(cycles), "stride_time_s": time, "cadence_steps_per_min": 120 / time,
                      "walking_speed_m_s": length / time, "stride_length_m": length,
                      "step_length_m": float(np.mean(steps)), "stance_pct": float(np.mean(stance))}
    return rows


def sagittal_angles(m):
    """Hip, knee and ankle angles (deg, frames) per side in the sagittal plane of the pelvis."""
    mid_asis = (m["LASI"] + m["RASI"]) / 2
    mid_psis = (m["LPSI"] + m["RPSI"]) / 2
    y = m["LASI"] - m["RASI"]
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    x = mid_asis - mid_psis
    x -= np.sum(x * y, axis=1, keepdims=True) * y
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    z = np.cross(x, y)
    if SHORTCUT == "lab_frame_angles":
        x, z = np.tile([1.0, 0, 0], (len(x), 1)), np.tile([0, 0, 1.0], (len(x), 1))
    hjc_spec = json.loads((INPUT / "session.json").read_text())["hip_joint_centre_mm"]

    def angle(v):  # of a segment vector from the pelvis's downward axis, positive forward
        return np.degrees(np.arctan2(np.sum(v * x, axis=1), -np.sum(v * z, axis=1)))

    out = {}
    for side in SIDES:
        offset = np.array([hjc_spec["x"], hjc_spec["y_left" if side == "L" else "y_right"], hjc_spec["z"]])
        hjc = mid_asis + offset[0] * x + offset[1] * y + offset[2] * z
        thigh = angle(m[side + "KNE"] - hjc)
        shank = angle(m[side + "ANK"] - m[side + "KNE"])
        foot = m[side + "TOE"] - m[side + "HEE"]
        pitch = np.degrees(np.arctan2(np.sum(foot * z, axis=1), np.sum(foot * x, axis=1)))
        out[side] = {"hip": thigh, "knee": thigh - shank, "ankle": pitch - shank}
    return out


def normalise(series, hz, events, side):
    fs = [e[2] for e in events if e[0] == side and e[1] == "foot_strike"]
    t = np.arange(len(series)) / hz
    ok = ~np.isnan(series)
    pct = np.arange(101) / 100
    curves = [np.interp(a + pct * (b - a), t[ok], series[ok]) for a, b in itertools.pairwise(fs)]
    return np.mean(curves, axis=0)


def main():
    OUTPUT.mkdir(parents=True, exist_ok=True)
    markers, hz, analogs, ahz, corners = load()
    frames = len(next(iter(markers.values())))
    duration = (frames - 1) / hz
    swaps = fix_labels(markers)
    gaps = fill_gaps(markers)
    m = smooth(markers, hz)
    plates = [] if SHORTCUT == "ignore_force_plates" else plate_events(analogs, ahz, corners, m, hz)
    events = merge(marker_events(m, hz), plates, duration)
    if SHORTCUT == "fixed_percentage_events":
        events = fixed_percentage(events)
    with (OUTPUT / "gait_events.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["side", "event", "time_s", "frame", "source"])
        for side, kind, t, source in events:
            w.writerow([side, kind, f"{t:.4f}", round(t * hz) + 1, source])
    params = parameters(events, m, hz)
    with (OUTPUT / "spatiotemporal.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        cols = ["cycles", "stride_time_s", "cadence_steps_per_min", "walking_speed_m_s", "stride_length_m",
                "step_length_m", "stance_pct"]
        w.writerow(["side", *cols])
        for side in SIDES:
            w.writerow([side, params[side]["cycles"], *(f"{params[side][c]:.3f}" for c in cols[1:])])
    angles = sagittal_angles(m)
    curves = {side: {j: normalise(angles[side][j], hz, events, side) for j in ("hip", "knee", "ankle")}
              for side in SIDES}
    with (OUTPUT / "kinematics.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["side", "percent", "hip_flexion_deg", "knee_flexion_deg", "ankle_dorsiflexion_deg"])
        for side in SIDES:
            for p in range(101):
                w.writerow([side, p, *(f"{curves[side][j][p]:.2f}" for j in ("hip", "knee", "ankle"))])
    figure(curves)
    report(events, params, curves, swaps, gaps, duration, hz)


def figure(curves):
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    for ax, joint, title in zip(axes, ("hip", "knee", "ankle"),
                                ("Hip flexion (+) / extension", "Knee flexion", "Ankle dorsiflexion (+)"),
                                strict=True):
        for side, colour in (("L", "tab:red"), ("R", "tab:blue")):
            ax.plot(np.arange(101), curves[side][joint], color=colour, lw=1.8, label=f"{side}")
        ax.set_title(title)
        ax.set_xlabel("% gait cycle")
        ax.set_ylabel("deg")
        ax.set_xlim(0, 100)
        ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(OUTPUT / "kinematics.png", dpi=100)
    plt.close(fig)


def report(events, params, curves, swaps, gaps, duration, hz):
    lines = ["# Gait analysis report: walk_01 (barefoot, self-selected speed)", "",
             f"Trial length {duration:.2f} s at {hz:g} Hz (markers).", "", "## Data repairs", ""]
    if SHORTCUT == "hedged_repairs":  # name every leg marker as repaired instead of the ones that were
        every = [f"{side}{name}" for side in SIDES for name in (*CHAIN, "HEE", "TOE")]
        lines.append(f"- Labels of {', '.join(every)} checked against the anatomy; swapped labels corrected.")
        lines.append(f"- Gaps in {', '.join(every)} filled by cubic spline where present.")
        swaps, gaps = [], []
    if SHORTCUT == "repairs_exchanged":  # one sentence for both repairs, each marker given the other repair
        lines.append(f"- Label swaps corrected on {' and '.join(name for name, _, _ in gaps)}, gaps filled in "
                     f"{' and '.join(have for _, have in swaps)}.")
        swaps, gaps = [], []
    for want, have in swaps:
        lines.append(f"- Label swap corrected: the trajectory labelled {have} is {want}.")
    for name, first, last in gaps:
        lines.append(f"- Gap in {name}, frames {first}-{last} ({last - first + 1} frames), filled by cubic spline.")
    lines.append("- Force plate channels zeroed on the unloaded baseline; events at the 20 N threshold.")
    lines += ["", "## Gait events", "", "| side | event | time (s) | source |", "|---|---|---|---|"]
    lines += [f"| {s} | {k.replace('_', ' ')} | {t:.3f} | {src} |" for s, k, t, src in events]
    lines += ["", "## Spatiotemporal parameters", "",
              "| parameter | left | right |", "|---|---|---|"]
    for key, label in (("cadence_steps_per_min", "Cadence (steps/min)"), ("walking_speed_m_s", "Walking speed (m/s)"),
                       ("stride_time_s", "Stride time (s)"), ("stride_length_m", "Stride length (m)"),
                       ("step_length_m", "Step length (m)"), ("stance_pct", "Stance (% of cycle)")):
        lines.append(f"| {label} | {params['L'][key]:.3f} | {params['R'][key]:.3f} |")
    lines += ["", "## Sagittal kinematics", ""]
    for side in SIDES:
        c = curves[side]
        lines.append(f"- {side}: peak hip flexion {c['hip'].max():.1f} deg, peak hip extension {c['hip'].min():.1f} deg, "
                     f"peak swing knee flexion {c['knee'].max():.1f} deg, ankle range {c['ankle'].min():.1f} to "
                     f"{c['ankle'].max():.1f} deg.")
    if SHORTCUT == "report_sides_swapped":  # the report's left and right figures exchanged (the CSVs are right)
        lines = [ln.replace("| parameter | left | right |", "| parameter | right | left |") for ln in lines]
        lines = [{"- L:": "- R:", "- R:": "- L:"}.get(ln[:4], ln[:4]) + ln[4:] for ln in lines]
    if SHORTCUT == "report_table_contradicted":  # the table's sides exchanged, each side's figures right beside it
        lines = [ln.replace("| parameter | left | right |", "| parameter | right | left |") for ln in lines]
        lines += [f"- {side}: cadence {params[side]['cadence_steps_per_min']:.1f} steps/min, walking speed "
                  f"{params[side]['walking_speed_m_s']:.3f} m/s, stride length {params[side]['stride_length_m']:.3f} m, "
                  f"step length {params[side]['step_length_m']:.3f} m, stance {params[side]['stance_pct']:.1f} %."
                  for side in SIDES]
    if SHORTCUT == "report_pairs_exchanged":  # the right report, then every figure again with the sides exchanged
        exchanged = [f"{label} was {params['R'][key]:.3f} on the left and {params['L'][key]:.3f} on the right"
                     for key, label in (("cadence_steps_per_min", "cadence"), ("walking_speed_m_s", "walking speed"),
                                        ("stride_length_m", "stride length"), ("step_length_m", "step length"),
                                        ("stance_pct", "stance"))]
        knee = {side: curves[side]["knee"].max() for side in SIDES}
        exchanged.append(f"peak swing knee flexion was {knee['R']:.1f} on the left and {knee['L']:.1f} on the right")
        lines += ["", "On re-checking the labels: " + "; ".join(exchanged) + "."]
    diff = abs(params["L"]["step_length_m"] - params["R"]["step_length_m"])
    left, right = ("R", "L") if SHORTCUT == "report_sides_swapped" else ("L", "R")
    lines += ["", f"Step length asymmetry {diff:.3f} m; stance {params[left]['stance_pct']:.1f} % left and "
              f"{params[right]['stance_pct']:.1f} % right.", ""]
    (OUTPUT / "gait_report.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
