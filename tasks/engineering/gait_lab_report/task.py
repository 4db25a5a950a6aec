"""Clinical gait analysis of a barefoot walking trial from a C3D file (ezc3d).

ALE-CANARY-ae2a025d-5a4f-43ad-9a88-645506ca3317

Workflow: a gait-lab engineer reads the trial's C3D file (lower-body markers, two force plates), repairs the
marker data (short gaps filled by interpolation, a swapped pair of labels), zeroes the plates' offsets,
detects foot strikes and foot offs from the plate where a foot lands on one and from the marker coordinates
elsewhere, and reports the spatiotemporal parameters, the time-normalised sagittal hip, knee and ankle
angles per side with their figure, and the lab report.

generate() simulates the trial from a planar joint-angle model (model.py), adds the lab's quirks (marker
noise, gaps, a swapped label, plate offsets and noise) and writes the C3D file with ezc3d in the task's tool
environment (write_c3d.py). The reference is the generating truth: the events, the cycle parameters and the
mean angle curves of the noise-free model. The grader compares within tolerances a careful analysis of the
noisy file reaches, and cross-checks the figure and the report against the CSV files.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from pathlib import Path

import numpy as np

from lastexam.task import Grading, Params, as_number, run_tool_script

from . import model

HERE = Path(__file__).parent
EVENTS, SPATIO, KINEMATICS, FIGURE, REPORT = ("gait_events.csv", "spatiotemporal.csv", "kinematics.csv",
                                              "kinematics.png", "gait_report.md")
EVENT_COLUMNS = ["side", "event", "time_s", "frame", "source"]
SPATIO_COLUMNS = ["side", "cycles", "stride_time_s", "cadence_steps_per_min", "walking_speed_m_s",
                  "stride_length_m", "step_length_m", "stance_pct"]
KIN_COLUMNS = ["side", "percent", "hip_flexion_deg", "knee_flexion_deg", "ankle_dorsiflexion_deg"]
ANGLES = {"hip": "hip_flexion_deg", "knee": "knee_flexion_deg", "ankle": "ankle_dorsiflexion_deg"}
MARKER_NOISE_MM = 0.15
PLATE_NOISE_N = 1.5
EVENT_FRAMES = 2.0       # an event within two marker frames of the truth
ANGLE_RMS_DEG = 2.0      # a mean angle curve within 2 degrees RMS of the truth over the cycle
# cycle parameters: a careful analysis is far inside these; an event rule or a skipped repair is not
SPATIO_TOL = {"stride_time_s": (None, 0.015), "cadence_steps_per_min": (0.015, None),
              "walking_speed_m_s": (0.03, None), "stride_length_m": (None, 0.03), "step_length_m": (None, 0.03),
              "stance_pct": (None, 1.5)}


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    trial = model.simulate(dict(params))
    rng = np.random.default_rng(params["seed"] + 1)
    hz, ahz = params["marker_hz"], params["analog_hz"]
    frames = round(trial.duration_s * hz) + 1
    t = np.arange(frames) / hz
    markers = trial.markers(t)
    labels = [f"{side}{name}" for side in model.SIDES for name in model.SEGMENT_MARKERS]
    points = np.stack([markers[name] for name in labels], axis=1)
    points = points + rng.normal(0.0, MARKER_NOISE_MM, points.shape)
    quirks = _quirks(trial, rng, labels, frames)
    for name, first, last in quirks["gaps"]:
        points[:, labels.index(name), first - 1:last] = np.nan
    a, b = (labels.index(name) for name in quirks["swapped"])
    labels[a], labels[b] = labels[b], labels[a]
    ta = np.arange(frames * (ahz // hz)) / ahz
    analogs = np.stack([trial.plate_force(p, ta) + p["offset_n"] + rng.normal(0.0, PLATE_NOISE_N, ta.size)
                        for p in trial.plates])
    corners = np.array([p["corners_mm"] for p in trial.plates], dtype=float).transpose(2, 1, 0)
    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "trial.npz"
        np.savez(npz, labels=np.array(labels), points=points, analogs=analogs, marker_hz=hz, analog_hz=ahz,
                 corners=corners)
        run_tool_script(__file__, HERE / "write_c3d.py", str(npz), str(input_dir / "walk_01.c3d"))
    geo = trial.geometry
    session = {
        "patient": "PATIENT01", "trial": "walk_01", "condition": "barefoot, self-selected speed",
        "body_mass_kg": round(trial.mass_kg, 1),
        "progression": "+X of the lab (Y to the patient's left, Z up)",
        "hip_joint_centre_mm": {
            "frame": "pelvis: origin at the ASIS midpoint, x anterior (from the PSIS midpoint towards the ASIS "
                     "midpoint, perpendicular to y), y from RASI to LASI, z = x cross y (superior)",
            "x": round(-geo["hjc_posterior"] * 1000, 1), "y_left": round(geo["hip_half"] * 1000, 1),
            "y_right": round(-geo["hip_half"] * 1000, 1), "z": round(-geo["hjc_inferior"] * 1000, 1)},
        "marker_set": {f"{s}{m}": what for s in model.SIDES for m, what in (
            ("ASI", "anterior superior iliac spine"), ("PSI", "posterior superior iliac spine"),
            ("THI", "lateral thigh wand"), ("KNE", "lateral femoral epicondyle (knee flexion axis)"),
            ("TIB", "lateral shank wand"), ("ANK", "lateral malleolus (ankle axis)"),
            ("HEE", "calcaneus, at the height of the toe marker"), ("TOE", "second metatarsal head"))},
    }
    (input_dir / "session.json").write_text(json.dumps(session, indent=2) + "\n")
    truth = model.truth(trial)
    truth.update(events=trial.events, duration_s=(frames - 1) / hz, marker_hz=hz, quirks=quirks,
                 plates=[{k: p[k] for k in ("number", "side", "strike_s", "off_s")} for p in trial.plates])
    (reference_dir / "truth.json").write_text(json.dumps(truth, indent=1))


def _quirks(trial: model.Trial, rng: np.random.Generator, labels: list[str], frames: int) -> dict:
    """A heel-marker gap over a foot strike detected from the markers, a knee-marker gap in swing, and a
    pair of neighbouring leg-marker labels swapped for the whole trial."""
    hz = trial.params["marker_hz"]
    strikes = [e for e in trial.events if e["event"] == "foot_strike" and e["source"] == "markers"
               and 0.6 < e["time_s"] < trial.duration_s - 0.6]
    strike = strikes[int(rng.integers(len(strikes)))]
    length = int(rng.integers(8, 11))
    first = round(strike["time_s"] * hz) + 1 - length // 2 + int(rng.integers(-1, 2))
    gaps = [(f"{strike['side']}HEE", first, first + length - 1)]
    other = "R" if strike["side"] == "L" else "L"
    offs = [e for e in trial.events if e["event"] == "foot_off" and e["side"] == other]
    off = offs[int(rng.integers(len(offs)))]
    first = round((off["time_s"] + 0.1 * trial.stride_s) * hz) + 1
    gaps.append((f"{other}KNE", first, min(first + int(rng.integers(6, 9)) - 1, frames - 5)))
    side = "LR"[int(rng.integers(2))]
    pair = [("THI", "KNE"), ("KNE", "TIB"), ("TIB", "ANK")][int(rng.integers(3))]
    return {"gaps": gaps, "swapped": [f"{side}{pair[0]}", f"{side}{pair[1]}"]}


def grade(g: Grading) -> None:
    if not g.require_files(EVENTS, SPATIO, KINEMATICS, FIGURE, REPORT):
        return
    truth = g.reference_json("truth.json")
    events = g.read_csv(EVENTS, required_columns=EVENT_COLUMNS)
    spatio = g.read_csv(SPATIO, required_columns=SPATIO_COLUMNS)
    kinematics = g.read_csv(KINEMATICS, required_columns=KIN_COLUMNS)
    report = g.read_text(REPORT)
    if events is None or spatio is None or kinematics is None or report is None:
        return
    _grade_events(g, truth, events)
    params = _grade_spatiotemporal(g, truth, spatio)
    curves = _grade_kinematics(g, truth, kinematics)
    g.chart_draws("figure draws the six angle curves of kinematics.csv (read from the PNG)", g.image(FIGURE),
                  {f"{side} {joint}": curves.get(side, {}).get(joint, [math.nan] * 101)
                   for side in model.SIDES for joint in ANGLES}, weight=2)
    _grade_report(g, truth, params, curves, report)


def _side(value: str) -> str:
    text = (value or "").strip().upper()
    return {"LEFT": "L", "RIGHT": "R"}.get(text, text)


def _kind(value: str) -> str:
    return re.sub(r"[\s-]+", "_", (value or "").strip().lower())


def _grade_events(g: Grading, truth: dict, rows: list[dict]) -> None:
    tol = EVENT_FRAMES / truth["marker_hz"]
    lo, hi = model.WINDOW_S, truth["duration_s"] - model.WINDOW_S
    found = []
    for row in rows:
        t = as_number(row.get("time_s"))
        if t is not None and lo - tol <= t <= hi + tol:
            found.append((_side(row.get("side")), _kind(row.get("event")), t, (row.get("source") or "").strip().lower()))
    verdicts, plate_verdicts, used = {}, {}, set()
    for ev in truth["events"]:
        name = f"{ev['side']} {ev['event']} at {ev['time_s']:.3f} s"
        near = [(abs(f[2] - ev["time_s"]), j) for j, f in enumerate(found) if f[0] == ev["side"] and f[1] == ev["event"]]
        best = min(near, default=None)
        if best is None:
            verdicts[name] = "missing"
            continue
        used.add(best[1])
        verdicts[name] = True if best[0] <= tol else f"off by {best[0] * truth['marker_hz']:.1f} frames"
        if ev["source"] != "markers":
            plate_verdicts[name] = (True if best[0] <= tol and re.sub(r"\W", "", found[best[1]][3]) ==
                                    ev["source"] else f"source {found[best[1]][3]!r}, off {best[0]:.3f} s")
    extra = [f"{f[0]} {f[1]} at {f[2]:.3f} s" for j, f in enumerate(found) if j not in used]
    g.fraction("every foot strike and foot off of the window within 2 marker frames of the truth", verdicts,
               weight=4, noun="events")
    g.fraction("the steps on the force plates timed from the plates' 20 N threshold (source named)", plate_verdicts,
               weight=2, noun="plate events")
    g.check("no spurious or duplicate events", not extra, weight=1, expected="none", found=extra[:6] or None)


def _grade_spatiotemporal(g: Grading, truth: dict, rows: list[dict]) -> dict:
    found = {_side(r.get("side")): r for r in rows}
    verdicts = {}
    for side in model.SIDES:
        want = truth["spatiotemporal"][side]
        row = found.get(side, {})
        verdicts[f"{side} cycles"] = as_number(row.get("cycles")) == want["cycles"] or f"{row.get('cycles')!r}"
        for col, (rel, abs_) in SPATIO_TOL.items():
            value = as_number(row.get(col))
            ok = value is not None and math.isclose(value, want[col], rel_tol=rel or 0.0, abs_tol=abs_ or 0.0)
            verdicts[f"{side} {col}"] = True if ok else f"{value} for {want[col]:.4g}"
    timing = {k: v for k, v in verdicts.items() if any(c in k for c in ("cycles", "stride_time", "cadence", "stance"))}
    spatial = {k: v for k, v in verdicts.items() if k not in timing}
    g.fraction("temporal parameters per side (cycles, stride time, cadence, stance %) within tolerance", timing,
               weight=3, noun="values")
    g.fraction("spatial parameters per side (speed, stride and step length) within tolerance", spatial,
               weight=3, noun="values")
    return {side: {col: as_number(found.get(side, {}).get(col)) for col in SPATIO_COLUMNS[1:]}
            for side in model.SIDES}


def _grade_kinematics(g: Grading, truth: dict, rows: list[dict]) -> dict:
    curves: dict = {side: {joint: [math.nan] * 101 for joint in ANGLES} for side in model.SIDES}
    for row in rows:
        side, pct = _side(row.get("side")), as_number(row.get("percent"))
        if side in curves and pct is not None and float(pct).is_integer() and 0 <= pct <= 100:
            for joint, col in ANGLES.items():
                value = as_number(row.get(col))
                curves[side][joint][int(pct)] = math.nan if value is None else float(value)

    def verdicts(joint: str) -> dict:
        out = {}
        for side in model.SIDES:
            error = model.rms(curves[side][joint], truth["kinematics"][side][joint])
            out[f"{side} {joint}"] = True if error <= ANGLE_RMS_DEG else (
                "incomplete curve" if math.isnan(error) else f"RMS {error:.2f} deg")
        return out

    g.fraction("hip flexion curves (pelvis frame) within 2 deg RMS of the truth", verdicts("hip"), weight=2,
               noun="curves")
    g.fraction("knee flexion curves within 2 deg RMS of the truth", verdicts("knee"), weight=2, noun="curves")
    g.fraction("ankle dorsiflexion curves within 2 deg RMS of the truth", verdicts("ankle"), weight=2,
               noun="curves")
    return curves


def _complete(curve: list[float]) -> bool:
    return not any(math.isnan(v) for v in curve)


SIDE_WORDS = {"L": re.compile(r"(?i:\bleft\b)|\bL\b"), "R": re.compile(r"(?i:\bright\b)|\bR\b")}
PARAMETER_WORDS = {"cadence_steps_per_min": r"cadence|steps?\s*(?:/|per)\s*min", "walking_speed_m_s": r"speed|velocit",
                   "stride_length_m": r"stride\s+length", "step_length_m": r"step\s+length", "stance_pct": r"stance",
                   "knee": r"knee"}


def _report_units(report: str) -> list[str]:
    """Where a figure can be tied to its side and parameter: each cell of a Markdown table read with its column
    header and its row label, and each line and sentence elsewhere read with the heading it stands under."""
    units: list[str] = []
    heading, header = "", None
    for line in report.splitlines():
        text = line.strip()
        if text.startswith("|"):
            cells = [c.strip() for c in text.strip("|").split("|")]
            if all(re.fullmatch(r":?-+:?|", c) for c in cells):
                continue
            if header is None:
                header = cells
                continue
            units += [f"{heading} | {header[j] if j < len(header) else ''} | {cells[0]} | {cell}"
                      for j, cell in enumerate(cells[1:], start=1)]
            continue
        header = None
        if text.startswith("#"):
            heading = text
        units += [f"{heading} | {part}" for part in [text, *re.split(r"(?<=[.;!?])\s+", text)] if part]
    return units


# what withdraws a figure: a negation before it in its clause ("cadence was not 105.2"), or another figure offered
# beside it as an alternative ("105.2 or 131.0")
NEGATED = re.compile(r"\b(?:not|never|neither|nor|rather than|instead of)\b|n't\b", re.IGNORECASE)
ALTERNATIVE = re.compile(r"^\S*\s+or\s+(?:\w+\s+)?-?\d", re.IGNORECASE)


def _claimed_numbers(body: str) -> list[float]:
    """The figures a unit's text states and does not take back."""
    claimed = []
    for m in re.finditer(r"(?<![\w.])-?\d+(?:\.\d+)?", body):
        clause = re.split(r"[,;:()]", body[:m.start()])[-1]
        if NEGATED.search(clause) or ALTERNATIVE.search(body[m.end():]) or re.search(
                r"\d\S*\s+or\s+(?:\w+\s+)?$", clause, re.IGNORECASE):
            continue
        claimed.append(float(m.group()))
    return claimed


def _contradicted(units: list[str], side: str, parameter: str, values: dict[str, float | None], tol: float) -> bool:
    """Some unit that names the parameter and this side alone states the other side's figure and not this side's
    (a table whose left and right columns are exchanged, beside a sentence that gets them right)."""
    other = "R" if side == "L" else "L"
    for unit in units:
        if not re.search(PARAMETER_WORDS[parameter], unit, re.IGNORECASE) or SIDE_WORDS[other].search(unit) \
                or not SIDE_WORDS[side].search(unit):
            continue
        numbers = _claimed_numbers(unit.rpartition(" | ")[2])
        own = any(values[side] is not None and abs(n - values[side]) <= tol for n in numbers)
        if not own and any(values[other] is not None and abs(n - values[other]) <= tol for n in numbers):
            return True
    return False


def _sides_named(text: str) -> list[str]:
    """The sides a text names, in the order it first names them."""
    first = {s: m.start() for s in model.SIDES if (m := SIDE_WORDS[s].search(text))}
    return sorted(first, key=first.__getitem__)


def _readings(clause: str, values: dict[str, float | None], tol: float) -> list[dict[str, list[float]]]:
    """The ways a clause naming both sides gives its figures matching either side's to the sides: in the order it
    names the sides ("the left and right cadences were 105.2 and 98.8"), and, where each figure has its own side
    word, the side word just before it ("the right cadence was 98.8 (left 105.2)") or just after it ("98.8 on the
    right and 105.2 on the left")."""
    found = [(m.start(), s) for s in model.SIDES for m in SIDE_WORDS[s].finditer(clause)]
    numbers = [(m.start(), float(m.group())) for m in re.finditer(r"(?<![\w.])-?\d+(?:\.\d+)?", clause)
               if any(v is not None and abs(float(m.group()) - v) <= tol for v in values.values())
               and float(m.group()) in _claimed_numbers(clause)]
    order = _sides_named(clause)
    readings = [{s: [n for _, n in numbers[i:i + 1]] for i, s in enumerate(order)}]
    for nearest in (lambda at: max((w for w in found if w[0] < at), default=None),
                    lambda at: min((w for w in found if w[0] > at), default=None)):
        words = [nearest(at) for at, _ in numbers]
        sides = [w[1] for w in words if w is not None]
        if numbers and len(sides) == len(numbers) and len(set(sides)) == len(sides):
            readings.append({s: [n for (_, n), w in zip(numbers, words, strict=True) if w[1] == s] for s in order})
    return readings


def _clauses(unit: str) -> list[tuple[str, str | None]]:
    """A unit's clauses (split at , ; : and sentence ends) with the side each continues: the one named by the last
    clause naming a side alone, else the one its row label, column or heading names (the nearest naming one)."""
    prefix, _, body = unit.rpartition(" | ")
    side = next((named[0] if len(named) == 1 else None for label in reversed(prefix.split(" | "))
                 if (named := _sides_named(label))), None)
    out = []
    for clause in re.split(r"[,;:]|(?<=[.!?])\s", body):
        out.append((clause, side))
        named = _sides_named(clause)
        side = named[0] if len(named) == 1 else None if named else side
    return out


def _parameter_clauses(units: list[str], parameter: str) -> list[tuple[str, list[str], str | None]]:
    """The clauses of the units naming the parameter that are about it (they name it or no other parameter), each
    with the sides it names and the side it continues."""
    others = [words for name, words in PARAMETER_WORDS.items() if name != parameter]
    return [(clause, _sides_named(clause), continued) for unit in units
            if re.search(PARAMETER_WORDS[parameter], unit, re.IGNORECASE)
            for clause, continued in _clauses(unit)
            if re.search(PARAMETER_WORDS[parameter], clause, re.IGNORECASE)
            or not any(re.search(words, clause, re.IGNORECASE) for words in others)]


def _crossed(units: list[str], side: str, parameter: str, values: dict[str, float | None], tol: float) -> bool:
    """Some clause about the parameter gives this side the other side's figure and not its own: one naming this
    side alone, or one naming both sides that gives it so in every reading ("step length was 0.560 m on the left
    and 0.578 m on the right" with the sides' figures exchanged)."""
    other = "R" if side == "L" else "L"

    def crossed(given: list[float]) -> bool:
        return not any(abs(n - values[side]) <= tol for n in given) and any(abs(n - values[other]) <= tol for n in given)

    if values[side] is None or values[other] is None:
        return False
    return any((named == [side] and crossed(_claimed_numbers(clause))) or (
        len(named) == 2 and all(crossed(reading[side]) for reading in _readings(clause, values, tol)))
        for clause, named, _ in _parameter_clauses(units, parameter))


def _cited_in_clause(units: list[str], side: str, parameter: str, values: dict[str, float | None], tol: float) -> bool:
    """Some clause about the parameter gives this side its figure: a clause naming it alone, one naming no side
    that continues it ("## Right: cadence 98.8, lower than the left's 105.2"), or one naming both that gives it so
    in some reading."""
    if values[side] is None:
        return False
    for clause, named, continued in _parameter_clauses(units, parameter):
        given = ([_claimed_numbers(clause)] if (named or [continued]) == [side]
                 else [r[side] for r in _readings(clause, values, tol)] if len(named) == 2 else [])
        if any(abs(n - values[side]) <= tol for numbers in given for n in numbers):
            return True
    return False


def _cited_for(units: list[str], side: str, parameter: str, values: dict[str, float | None], tol: float) -> bool:
    """Some unit names the parameter and the side and states the side's figure; one that names both sides gives
    the figures matching either side in the order it names the sides (a heading's side gives way to the unit's).
    A figure the unit negates or offers with an alternative is not stated."""
    other = "R" if side == "L" else "L"
    for unit in units:
        body = unit.rpartition(" | ")[2]
        if not re.search(PARAMETER_WORDS[parameter], unit, re.IGNORECASE):
            continue
        matches = [[v is not None and abs(n - v) <= tol for v in (values[side], values[other])]
                   for n in _claimed_numbers(body)]
        matches = [m for m in matches if any(m)]
        if not any(own for own, _ in matches):
            continue
        named = {s: (m.start() if (m := SIDE_WORDS[s].search(unit)) else None) for s in (side, other)}
        if named[side] is None:
            continue
        if named[other] is None or all(own for own, _ in matches):
            return True
        first = {s: SIDE_WORDS[s].search(body) for s in (side, other)}
        if first[side] is None or first[other] is None:
            continue  # one side named by the heading or the table, the other in the text: the text's side wins
        i = int(first[other].start() < first[side].start())
        if i < len(matches) and matches[i][0]:
            return True
    return False


def _grade_report(g: Grading, truth: dict, params: dict, curves: dict, report: str) -> None:
    units = _report_units(report)

    def cited(side: str, parameter: str, values: dict[str, float | None], tol: float) -> bool | str:
        value = values[side]
        if value is None:
            return "not in the CSV files"
        if _contradicted(units, side, parameter, values, tol) or _crossed(units, side, parameter, values, tol):
            return "the other side's figure also given for this side"
        return (_cited_for(units, side, parameter, values, tol) or _cited_in_clause(units, side, parameter, values, tol)
                or f"{value:g} not cited for this side")

    expected = {}
    for column, label, tol in (("cadence_steps_per_min", "cadence", 0.51), ("walking_speed_m_s", "walking speed", 0.0051),
                               ("stride_length_m", "stride length", 0.0051), ("step_length_m", "step length", 0.0051),
                               ("stance_pct", "stance %", 0.051)):
        values = {side: params[side][column] for side in model.SIDES}
        for side in model.SIDES:
            expected[f"{side} {label}"] = cited(side, column, values, tol)
    g.fraction("the report cites the spatiotemporal values of spatiotemporal.csv", expected, weight=2,
               noun="values")
    knee = {side: max(curves[side]["knee"]) if _complete(curves[side]["knee"]) else None for side in model.SIDES}
    peaks = {f"{side} peak knee flexion": cited(side, "knee", knee, 0.151) for side in model.SIDES}
    g.fraction("the report cites each side's peak knee flexion of kinematics.csv", peaks, weight=1, noun="peaks")
    quirks = truth["quirks"]
    gaps, swapped = {name for name, _, _ in quirks["gaps"]}, set(quirks["swapped"])
    said = _repair_claims(report)
    repairs = {f"gap in {name}": name in said["gap"] | said["both"] for name in sorted(gaps)}
    repairs["swapped labels " + " / ".join(quirks["swapped"])] = swapped <= said["swap"] | said["both"]
    # a repair claimed for a marker that was not repaired (a list of every marker, both candidates) is wrong
    wrong = (said["gap"] - gaps) | (said["swap"] - swapped) | (said["both"] - gaps - swapped)
    repairs["no repair claimed for an intact marker"] = not wrong or f"also claims {', '.join(sorted(wrong))}"
    g.fraction("the report names the repaired marker gaps and the swapped labels, and only those", repairs,
               weight=1, noun="repairs")


MARKER_NAME = re.compile(r"\b[LR](?:" + "|".join(model.SEGMENT_MARKERS) + r")\b")
GAP_WORDS = re.compile(r"gap|fill|missing|occlu|drop-?out", re.IGNORECASE)
SWAP_WORDS = re.compile(r"swap|exchang|interchang|mislabel|relabel|transpos|revers|mix-?up|mixed up", re.IGNORECASE)
NEGATION = re.compile(r"\b(?:no|not|none|nor|neither|without|never)\b|n't\b", re.IGNORECASE)
EXCEPTION = re.compile(r"\b(?:except|but|only|apart from|other than|save)\b", re.IGNORECASE)


def _negated(before: str, after: str) -> bool:
    """Whether a name between ``before`` and ``after`` (the rest of its sentence) is under a negation: the last
    negation before it comes after the last exception ("no other marker had gaps except LHEE" claims LHEE), or
    its own clause denies it ("RHEE had no gap")."""
    negations = [m.end() for m in NEGATION.finditer(before)]
    exceptions = [m.end() for m in EXCEPTION.finditer(before)]
    return (bool(negations) and negations[-1] > max(exceptions, default=-1)) or bool(
        NEGATION.search(re.split(r"[,;:()]", after, maxsplit=1)[0]))


def _repair_claims(report: str) -> dict[str, set[str]]:
    """The marker names the report's sentences claim as gap-filled, as swapped, or both in one clause; a name under a
    negation ("no gaps in LTHI or LKNE") is not claimed. A sentence that speaks of both repairs is read clause by
    clause (commas and semicolons), a clause naming no repair continuing the one before it: "the LANK and LTIB labels
    were swapped, and LHEE and RKNE had gaps" claims the first two as swapped and the last two as gap-filled."""
    said: dict[str, set[str]] = {"gap": set(), "swap": set(), "both": set()}
    for sentence in re.split(r"\n|(?<=[.!?;])\s+", report):
        if not (GAP_WORDS.search(sentence) or SWAP_WORDS.search(sentence)):
            continue
        kinds: set[str] = set()
        at = 0
        for clause in re.split(r"(?<=[,;])", sentence):
            here = {kind for kind, words in (("gap", GAP_WORDS), ("swap", SWAP_WORDS)) if words.search(clause)}
            kinds = here or kinds or {"gap", "swap"}
            claim = "both" if len(kinds) == 2 else next(iter(kinds))
            for m in MARKER_NAME.finditer(clause):
                start = at + m.start()
                if not _negated(sentence[:start], sentence[start + len(m.group()):]):
                    said[claim].add(m.group())
            at += len(clause)
    return said
