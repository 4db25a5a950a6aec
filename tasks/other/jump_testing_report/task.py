"""Force-plate testing battery for a squad, from C3D trials.

ALE-CANARY-17693ffd-e4b2-4a4d-a841-c91fac3a7b91

Workflow: at the end of a training block a sports scientist tests the squad on dual force plates (one
protocol a session: countermovement jump, drop jump or isometric mid-thigh pull, three trials each). They
read the C3D files (units, polarity, which plate is under which foot), detect the events and compute each
trial's metrics by the lab's protocol sheet, screen invalid trials, take each athlete's best valid trial,
judge the change since last block against the smallest worthwhile change and typical error, flag
asymmetries, and send the coaches a squad report with a figure.

generate() simulates every trial from a body-mass and impulse model (simulate.py, run with ezc3d in the
task's tool environment), so each metric is known exactly; last block's values are set so each athlete's
change is clearly improved, declined or trivial. grade() compares the per-trial table with the truth,
recomputes the best trial, the change class and the flags from the agent's own table, and reads the report (each
flag told of the flagged athletes and of no other) and the figure (figure.py: it must draw the summary's own values, each at its place on one value axis).
"""

from __future__ import annotations

import json
import math
import random
import re
import tempfile
from pathlib import Path
from typing import Any

from lastexam.task import Grading, Params, as_number, judge, normalize_text, run_tool_script, write_csv
from lastexam.task.charts import chart_problems

from . import figure

HERE = Path(__file__).parent
CANARY = "ALE-CANARY-17693ffd-e4b2-4a4d-a841-c91fac3a7b91"
TRIALS, SUMMARY, FLAGS, REPORT, FIGURE = ("trial_metrics.csv", "athlete_summary.csv", "flags.json",
                                          "squad_report.md", "squad_figure.png")
G = 9.81
ASYMMETRY_LIMIT = 10.0

KEY_METRIC = {"cmj": "jump_height_cm", "drop_jump": "rsi", "imtp": "peak_force_n"}
RELIABILITY = {  # typical error and smallest worthwhile change of the key metric, from the lab's reliability study
    "cmj": {"typical_error": 1.1, "smallest_worthwhile_change": 1.4},
    "drop_jump": {"typical_error": 0.07, "smallest_worthwhile_change": 0.08},
    "imtp": {"typical_error": 60.0, "smallest_worthwhile_change": 90.0},
}
# per-metric tolerance (absolute, relative) against the simulated truth: the spread of sound event detection
# on noisy plates, well inside the error of a shortcut (flight-time height, a fixed body mass, one plate)
METRIC_TOLERANCE = {
    "cmj": {"jump_height_cm": (0.8, 0.0), "jump_height_flight_cm": (0.4, 0.0), "flight_time_ms": (3.0, 0.0),
            "contraction_time_ms": (40.0, 0.0), "rsi_mod": (0.0, 0.07), "peak_power_w": (0.0, 0.02),
            "asymmetry_pct": (0.75, 0.0)},
    "drop_jump": {"contact_time_ms": (3.0, 0.0), "flight_time_ms": (3.0, 0.0), "jump_height_cm": (1.0, 0.0),
                  "jump_height_flight_cm": (0.4, 0.0), "rsi": (0.0, 0.04), "asymmetry_pct": (0.75, 0.0)},
    "imtp": {"peak_force_n": (0.0, 0.01), "relative_peak_force_n_per_kg": (0.0, 0.01),
             "rfd_100_n_per_s": (0.0, 0.05), "rfd_200_n_per_s": (0.0, 0.05), "asymmetry_pct": (0.75, 0.0)},
}
MASS_TOLERANCE_KG = 0.5
TITLES = {"cmj": "countermovement jump", "drop_jump": "drop jump", "imtp": "isometric mid-thigh pull"}


def protocol_sheet(protocol: str, box_height: float) -> dict[str, Any]:
    """The lab's protocol sheet for one protocol: what the agent must follow, as the lab writes it."""
    reliability = RELIABILITY[protocol]
    common = {
        "lab": "Performance Science Unit, dual force plate station (two plates side by side, one foot on each)",
        "sampling_rate_hz": 1000,
        "gravity_m_s2": G,
        "plates": ("Channels Fx1, Fy1, Fz1 (plate 1) and Fx2, Fy2, Fz2 (plate 2). The plates report the force "
                   "applied to them in the plate frame (z pointing down), so a standing athlete reads negative Fz. "
                   "Check ANALOG:UNITS: the export PC has written some sessions in kN. trial_log.csv names the "
                   "plate under the left foot for each trial."),
        "body_weight_period_s": 1.0,
        "weighing_sd_limit_n": 10.0,
        "onset_sd_multiple": 5.0,
        "flight_threshold_n": 20.0,
        "final_standing_window_s": 0.5,
        "final_standing_tolerance_fraction": 0.10,
        "asymmetry_limit_pct": ASYMMETRY_LIMIT,
        "asymmetry_definition": "100 * (left - right) / (left + right), positive when the left limb produces more",
        "key_metric": KEY_METRIC[protocol],
        "typical_error": reliability["typical_error"],
        "smallest_worthwhile_change": reliability["smallest_worthwhile_change"],
        "change_rule": ("change = this block's best - last block's best (key metric). 'improved' when change > "
                        "SWC + TE, 'declined' when change < -(SWC + TE), otherwise 'trivial'"),
    }
    if protocol == "cmj":
        specific = {
            "protocol": "countermovement jump, hands on hips, 3 trials",
            "body_weight": "mean summed vertical force over the first body_weight_period_s of the trial; body mass = body weight / g",
            "onset": "first sample after the body-weight period at which the summed force falls below body weight - onset_sd_multiple * SD of the body-weight period",
            "take_off": "first sample after onset with summed force below flight_threshold_n; landing: first sample after take-off at or above it",
            "metrics": {
                "jump_height_cm": "impulse-momentum: take-off velocity from the net impulse (summed force - body weight) / body mass from onset to take-off, height = v^2 / 2g",
                "jump_height_flight_cm": "from flight time, g * t^2 / 8 (secondary: landing posture biases it)",
                "flight_time_ms": "take-off to landing",
                "contraction_time_ms": "onset to take-off",
                "rsi_mod": "jump_height (impulse-momentum, m) / contraction time (s)",
                "peak_power_w": "highest instantaneous summed force x centre-of-mass velocity between onset and take-off",
                "asymmetry_pct": "on each plate's vertical impulse from onset to take-off",
            },
            "validity": {
                "unstable_weighing": "SD of the summed force over the body-weight period above weighing_sd_limit_n",
                "landing_off_plate": "mean summed force over the last final_standing_window_s of the record not within final_standing_tolerance_fraction of body weight",
            },
            "best_trial": "the valid trial with the highest jump_height_cm",
        }
    elif protocol == "drop_jump":
        specific = {
            "protocol": f"drop jump from a {box_height:.2f} m box, hands on hips, 3 trials; one static weighing per athlete ({{athlete}}_static.c3d)",
            "box_height_m": box_height,
            "body_weight": "mean summed vertical force over the first body_weight_period_s of the athlete's static trial; body mass = body weight / g",
            "touchdown": "first sample with summed force at or above flight_threshold_n",
            "take_off": "end of the ground contact: first sample after touchdown below flight_threshold_n that begins an airborne period of at least min_flight_ms; landing: the sample that ends that airborne period",
            "min_flight_ms": 100,
            "metrics": {
                "contact_time_ms": "touchdown to take-off",
                "flight_time_ms": "take-off to landing",
                "jump_height_cm": "impulse-momentum: touchdown velocity -sqrt(2 g box_height_m), plus the net impulse (summed force - body weight) / body mass over the contact; height = v^2 / 2g",
                "jump_height_flight_cm": "from flight time, g * t^2 / 8 (secondary)",
                "rsi": "jump_height (impulse-momentum, m) / contact time (s)",
                "asymmetry_pct": "on each plate's vertical impulse over the contact",
            },
            "validity": {
                "double_contact": "the contact is broken by an airborne gap shorter than min_flight_ms",
                "landing_off_plate": "mean summed force over the last final_standing_window_s of the record not within final_standing_tolerance_fraction of body weight",
            },
            "best_trial": "the valid trial with the highest rsi",
        }
    else:
        specific = {
            "protocol": "isometric mid-thigh pull, fixed bar at mid-thigh, 5 s maximal pull from a still start, 3 trials",
            "body_weight": "mean summed vertical force over the first body_weight_period_s (athlete still, holding the bar); body mass = body weight / g",
            "onset": "first sample after the body-weight period at which the summed force departs from body weight by more than onset_sd_multiple * SD of the body-weight period",
            "metrics": {
                "peak_force_n": "highest summed vertical force (gross, body weight included)",
                "relative_peak_force_n_per_kg": "peak_force_n / body mass",
                "rfd_100_n_per_s": "(force at onset + 100 ms - force at onset) / 0.1 s",
                "rfd_200_n_per_s": "(force at onset + 200 ms - force at onset) / 0.2 s",
                "asymmetry_pct": "on the two plates' forces at the instant of peak summed force",
            },
            "validity": {
                "unstable_weighing": "SD of the summed force over the body-weight period above weighing_sd_limit_n (pre-tension or sway)",
                "countermovement": "the force departs from body weight downwards at onset (an unweighting dip before the pull)",
            },
            "best_trial": "the valid trial with the highest peak_force_n",
        }
    return {**specific, **common}


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    protocol = params["protocol"]
    rng = random.Random(f"{params['seed']}-{protocol}")
    box_height = rng.choice([0.30, 0.40]) if protocol == "drop_jump" else 0.0
    sheet = protocol_sheet(protocol, box_height)
    (input_dir / "protocol.json").write_text(json.dumps(sheet, indent=2) + "\n")
    with tempfile.TemporaryDirectory() as scratch:
        sheet_path = Path(scratch) / "protocol.json"
        sheet_path.write_text(json.dumps(sheet))
        truth = json.loads(run_tool_script(__file__, HERE / "simulate.py", protocol, str(rng.randrange(2 ** 31)),
                                           str(input_dir), str(sheet_path)))
    key = KEY_METRIC[protocol]
    threshold = RELIABILITY[protocol]["typical_error"] + RELIABILITY[protocol]["smallest_worthwhile_change"]
    athletes = sorted(truth["athletes"])
    classes = ["improved", "declined"] + [rng.choice(["improved", "declined", "trivial", "trivial"])
                                          for _ in athletes[2:]]
    rng.shuffle(classes)
    log_rows, last_rows, summary = [], [], {}
    for athlete, wanted in zip(athletes, classes, strict=True):
        info = truth["athletes"][athlete]
        trials = [t for t in truth["trials"] if t["athlete_id"] == athlete]
        logged_mass = info["mass_kg"] + rng.choice([-1, 1]) * rng.uniform(1.5, 4.0)
        for t in trials:
            log_rows.append([t["file"], athlete, protocol, t["trial"], info["left_plate"], f"{logged_mass:.1f}"])
        valid = [t for t in trials if t["valid"]]
        if not valid:
            last = {"cmj": 38.0, "drop_jump": 1.5, "imtp": 2400.0}[protocol] * rng.uniform(0.85, 1.15)
            last_rows.append([athlete, key, _rounded(last, protocol)])
            summary[athlete] = {"best_trial_file": "", "best_value": None, "last_block": float(_rounded(last, protocol)),
                                "change": None, "classification": "no_valid_trial", "asymmetry_pct": None}
            continue
        best = max(valid, key=lambda t: t["metrics"][key])
        value = best["metrics"][key]
        change = {"improved": threshold * rng.uniform(1.4, 2.5), "declined": -threshold * rng.uniform(1.4, 2.5),
                  "trivial": threshold * rng.uniform(-0.6, 0.6)}[wanted]
        last = float(_rounded(value - change, protocol))
        last_rows.append([athlete, key, _rounded(last, protocol)])
        summary[athlete] = {"best_trial_file": best["file"], "best_value": value, "last_block": last,
                            "change": value - last, "classification": wanted,
                            "asymmetry_pct": best["metrics"]["asymmetry_pct"]}
    write_csv(input_dir / "trial_log.csv", ["file", "athlete_id", "protocol", "trial", "left_foot_plate",
                                            "roster_body_mass_kg"], log_rows)
    write_csv(input_dir / "last_block.csv", ["athlete_id", "metric", "best_value"], last_rows)
    flags = {"improved": sorted(a for a, s in summary.items() if s["classification"] == "improved"),
             "declined": sorted(a for a, s in summary.items() if s["classification"] == "declined"),
             "asymmetry": sorted(a for a, s in summary.items()
                                 if s["asymmetry_pct"] is not None and abs(s["asymmetry_pct"]) > ASYMMETRY_LIMIT),
             "no_valid_trial": sorted(a for a, s in summary.items() if s["classification"] == "no_valid_trial")}
    reference = {"protocol": protocol, "trials": truth["trials"], "summary": summary, "flags": flags}
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=1))
    for directory in (input_dir, reference_dir):
        (directory / "CANARY.txt").write_text(CANARY + "\n")


def _rounded(value: float, protocol: str) -> str:
    return f"{value:.{ {'cmj': 1, 'drop_jump': 2, 'imtp': 0}[protocol] }f}"


def _truthy(text: Any) -> bool | None:
    word = normalize_text(text)
    if word in ("true", "yes", "1", "valid", "y"):
        return True
    if word in ("false", "no", "0", "invalid", "n"):
        return False
    return None


def grade(g: Grading) -> None:
    if not g.require_files(TRIALS, SUMMARY, FLAGS, REPORT, FIGURE):
        return
    ref = g.reference_json("reference.json")
    protocol = ref["protocol"]
    key = KEY_METRIC[protocol]
    metrics = list(METRIC_TOLERANCE[protocol])
    trials = g.read_csv(TRIALS, required_columns=["athlete_id", "trial_file", "valid", "invalid_reason",
                                                  "body_mass_kg", *metrics])
    summary = g.read_csv(SUMMARY, required_columns=["athlete_id", "best_trial_file", "best_value", "last_block",
                                                    "change", "classification", "asymmetry_pct"])
    flags = g.read_json(FLAGS)
    report = g.read_text(REPORT)
    if trials is None or summary is None or not isinstance(flags, dict) or report is None:
        return
    truth_trials = {t["file"]: t for t in ref["trials"]}
    rows = {normalize_text(r["trial_file"]): r for r in trials}
    _grade_screening(g, truth_trials, rows)
    _grade_trial_metrics(g, protocol, truth_trials, trials)
    own_best = _grade_best_trials(g, ref, protocol, key, rows, summary)
    _grade_change(g, ref, protocol, summary, own_best)
    _grade_flags(g, ref, summary, flags)
    _grade_report(g, ref, protocol, summary, report)
    _grade_figure(g, ref, summary)


def _grade_figure(g: Grading, ref: dict, summary: list[dict]) -> None:
    """The figure draws each athlete's best and last block's value, those of its own summary (checked against the
    truth above), each to the pixel on one value axis (figure.py): a figure of other numbers, such as each athlete's
    mean trial or last block nudged up, lands off it. (``Grading.chart_draws`` fits each series under a scale of its
    own, lets half its points hide and may give a series the wrong line colour: it passed the mean-trial figure and
    failed the oracle's on some instances.)"""
    athletes = sorted(ref["summary"])
    pixels = g.image(FIGURE)
    by_athlete = {normalize_text(r["athlete_id"]): r for r in summary}

    def column(name: str) -> list[float]:
        found = [as_number(by_athlete.get(normalize_text(a), {}).get(name)) for a in athletes]
        return [math.nan if value is None else float(value) for value in found]

    own = {"this block": column("best_value"), "last block": column("last_block")}
    off = None if pixels is None or chart_problems(pixels) else figure.points_off(pixels, own)
    missed = {name: [athletes[k] for k in ks] for name, ks in (off or {}).items() if ks}
    g.check("figure draws its own summary's best and last-block values in place on one value axis", off is not None
            and not missed, weight=1, found=missed or None,
            reason="no chart of the two series" if off is None else
            "; ".join(f"{name} not at its value for {', '.join(names)}" for name, names in missed.items()))


def _grade_screening(g: Grading, truth: dict, rows: dict) -> None:
    def verdict(row: dict, want: dict) -> bool | str:
        valid = _truthy(row.get("valid"))
        if valid is None:
            return f"valid={row.get('valid')!r} is not a yes/no"
        if valid != want["valid"]:
            return f"marked {'valid' if valid else 'invalid'}"
        if not want["valid"] and normalize_text(row.get("invalid_reason")) != want["invalid_reason"]:
            return f"reason {row.get('invalid_reason')!r}, want {want['invalid_reason']}"
        return True

    found = {name: rows[normalize_text(name)] for name in truth if normalize_text(name) in rows}
    g.fraction("trial validity screening with the protocol's reasons", judge(found, truth, verdict), weight=3,
               noun="trials")


def _grade_trial_metrics(g: Grading, protocol: str, truth: dict, trials: list[dict]) -> None:
    valid_truth = [t for t in truth.values() if t["valid"]]
    valid_names = {normalize_text(t["file"]) for t in valid_truth}
    found = [r for r in trials if normalize_text(r.get("trial_file")) in valid_names]
    expected = [{"trial_file": t["file"], "body_mass_kg": t["metrics"]["body_mass_kg"]} for t in valid_truth]
    g.table("body mass from the body-weight period", found, expected, key="trial_file",
            columns={"body_mass_kg": (MASS_TOLERANCE_KG, 0.0)}, normalize=normalize_text, weight=2)
    for metric, tolerance in METRIC_TOLERANCE[protocol].items():
        expected = [{"trial_file": t["file"], metric: t["metrics"][metric]} for t in valid_truth]
        g.table(f"per-trial {metric} on valid trials", found, expected, key="trial_file",
                columns={metric: tolerance}, normalize=normalize_text, weight=2)


def _grade_best_trials(g: Grading, ref: dict, protocol: str, key: str, rows: dict, summary: list[dict]) -> dict:
    """The best trial by the agent's own table must be the one its summary names; the summary against truth."""
    own: dict[str, tuple[str, float]] = {}
    for name, row in rows.items():
        value = as_number(row.get(key))
        if _truthy(row.get("valid")) and value is not None:
            athlete = normalize_text(row.get("athlete_id"))
            if athlete not in own or value > own[athlete][1]:
                own[athlete] = (name, value)
    by_athlete = {normalize_text(r["athlete_id"]): r for r in summary}

    def consistent(row: dict, _want: Any) -> bool | str:
        athlete = normalize_text(row.get("athlete_id"))
        named = normalize_text(row.get("best_trial_file"))
        mine = own.get(athlete)
        if mine is None:
            return True if not named else "names a best trial where its own table has no valid one"
        if named != mine[0]:
            return f"names {row.get('best_trial_file')!r}, its own table's best is {mine[0]}"
        value = as_number(row.get("best_value"))
        return True if value is not None and math.isclose(value, mine[1], rel_tol=1e-3, abs_tol=0.011) else (
            f"best_value {row.get('best_value')!r} is not its table's {mine[1]:g}")

    g.fraction("best trial follows the protocol's rule on its own trial table",
               judge(by_athlete, {normalize_text(a): None for a in ref["summary"]}, consistent), weight=2,
               noun="athletes")
    tolerance = METRIC_TOLERANCE[protocol][key]
    expected = [{"athlete_id": a, "best_trial_file": s["best_trial_file"], "best_value": s["best_value"]}
                for a, s in ref["summary"].items() if s["best_value"] is not None]
    g.table("best valid trial and its key metric", _rows_of(summary, expected), expected, key="athlete_id",
            columns={"best_trial_file": None, "best_value": tolerance}, normalize=normalize_text, weight=3)
    return own


def _grade_change(g: Grading, ref: dict, protocol: str, summary: list[dict], own: dict) -> None:
    reliability = RELIABILITY[protocol]
    threshold = reliability["typical_error"] + reliability["smallest_worthwhile_change"]
    expected = [{"athlete_id": a, "classification": s["classification"]} for a, s in ref["summary"].items()]
    g.table("change since last block classified against SWC + TE", summary, expected, key="athlete_id",
            columns={"classification": None}, normalize=normalize_text, weight=3)
    by_athlete = {normalize_text(r["athlete_id"]): r for r in summary}

    def follows(row: dict, _want: Any) -> bool | str:
        best, last, change = (as_number(row.get(c)) for c in ("best_value", "last_block", "change"))
        label = normalize_text(row.get("classification"))
        if best is None:
            return True if label == "no_valid_trial" else f"no best value but classified {label!r}"
        if last is None or change is None or not math.isclose(change, best - last, abs_tol=0.011, rel_tol=1e-3):
            return "change is not best_value - last_block"
        rule = "improved" if change > threshold else "declined" if change < -threshold else "trivial"
        return True if label == rule else f"classified {label!r}, its own change {change:g} makes it {rule}"

    g.fraction("change and class follow from its own numbers",
               judge(by_athlete, {normalize_text(a): None for a in ref["summary"]}, follows), weight=2,
               noun="athletes")
    expected = [{"athlete_id": a, "last_block": s["last_block"]} for a, s in ref["summary"].items()]
    g.table("last block's value carried over", summary, expected, key="athlete_id",
            columns={"last_block": (0.011, 1e-3)}, normalize=normalize_text, weight=1)
    expected = [{"athlete_id": a, "asymmetry_pct": s["asymmetry_pct"]} for a, s in ref["summary"].items()
                if s["asymmetry_pct"] is not None]
    g.table("best trial's inter-limb asymmetry", _rows_of(summary, expected), expected, key="athlete_id",
            columns={"asymmetry_pct": METRIC_TOLERANCE[protocol]["asymmetry_pct"]}, normalize=normalize_text,
            weight=2)


def _rows_of(rows: list[dict], expected: list[dict]) -> list[dict]:
    """The rows of athletes the reference has a value for (an athlete with no valid trial is graded by its class)."""
    wanted = {normalize_text(e["athlete_id"]) for e in expected}
    return [r for r in rows if normalize_text(r.get("athlete_id")) in wanted]


def _names(value: Any) -> set[str] | None:
    if not isinstance(value, list):
        return None
    return {normalize_text(v) for v in value}


def _grade_flags(g: Grading, ref: dict, summary: list[dict], flags: dict) -> None:
    groups = ("improved", "declined", "asymmetry", "no_valid_trial")
    verdicts = {}
    for group in groups:
        found, want = _names(flags.get(group)), {normalize_text(a) for a in ref["flags"][group]}
        verdicts[group] = ("not a list of athlete ids" if found is None else True if found == want
                           else f"{sorted(found)} want {sorted(want)}")
    g.fraction("flags.json names the flagged athletes", verdicts, weight=3, noun="flag groups")
    own_declined = {normalize_text(r["athlete_id"]) for r in summary if normalize_text(r.get("classification")) == "declined"}
    own_asym = set()
    for row in summary:
        value = as_number(row.get("asymmetry_pct"))
        if value is not None and abs(value) > ASYMMETRY_LIMIT:
            own_asym.add(normalize_text(row["athlete_id"]))
    g.check("flags.json agrees with its own summary", _names(flags.get("declined")) == own_declined
            and _names(flags.get("asymmetry")) == own_asym, weight=1,
            expected={"declined": sorted(own_declined), "asymmetry": sorted(own_asym)},
            found={"declined": flags.get("declined"), "asymmetry": flags.get("asymmetry")})


# how a report may say why a trial was screened out: the reason code, or its words
REASON_WORDS = {"unstable_weighing": r"unstable|\bweigh(?:ing|ed)?\b", "landing_off_plate": r"off\W{0,3}(?:the\W{0,3})?plate",
                "double_contact": r"double", "countermovement": r"counter\W?movement|\bdip"}


def _reason_told(clause: str, at: int) -> str | None:
    """The reason a clause gives the trial it names at ``at``: its one reason, or of several the first after the
    trial that is not a heading ("unstable weighing: ..."), else the last before it."""
    told = sorted((m.start(), m.end(), reason) for reason, words in REASON_WORDS.items()
                  for m in re.finditer(words, clause.replace("_", " ")))
    if len({reason for *_, reason in told}) <= 1:
        return told[0][2] if told else None
    after = [reason for start, end, reason in told if start > at and not re.match(r"\W{0,3}:", clause[end:])]
    before = [reason for start, _, reason in told if start < at]
    return after[0] if after else before[-1] if before else None


def _grade_screened_out(g: Grading, ref: dict, lines: list[str]) -> None:
    """Every trial screened out is in the report with its reason, and with no other: by file name, or by athlete
    and trial number in one clause (a sentence or a part between semicolons); a clause that piles up reasons gives
    each trial the one told next to it."""
    clauses = [clause.lower() for line in lines for clause in re.split(r"(?<=[.!?;])\s+", line)]

    def stated(trial: dict) -> bool | str:
        stem = trial["file"].lower().removesuffix(".c3d")
        athlete = re.compile(rf"\b{re.escape(trial['athlete_id'].lower())}\b")
        number = rf"(?:\b(?:trial|t)\s*#?\s*|#\s*|\b){trial['trial']}\b"
        told = []
        for clause in clauses:
            if stem in clause:
                told.append(_reason_told(clause, clause.find(stem)))
            elif (named := athlete.search(clause)) and (numbers := [m.start() for m in re.finditer(number, clause)]):
                # the trial's number, not its athlete, places it among the reasons ("ATH01 trials 1, 2 unstable
                # weighing, and countermovement for trial 3")
                told.append(_reason_told(clause, next((n for n in numbers if n > named.start()), numbers[0])))
        if not told:
            return "not in the report"
        wrong = sorted({reason for reason in told if reason not in (None, trial["invalid_reason"])})
        if wrong:
            return f"told {', '.join(wrong)}, not {trial['invalid_reason']}"
        return True if trial["invalid_reason"] in told else f"listed without its reason ({trial['invalid_reason']})"

    invalid = {t["file"]: t for t in ref["trials"] if not t["valid"]}
    verdicts = {name: stated(t) for name, t in invalid.items()}
    if verdicts:
        g.fraction("report lists the trials screened out, each with its reason", verdicts, noun="trials")


# a class a line gives an athlete; "not improved" gives none
CLASS_WORDS = {"improved": r"(?<!not )\bimproved\b", "declined": r"(?<!not )\bdeclined\b",
               "trivial": r"(?<!not )\btrivial\b", "no_valid_trial": r"\bno\W{0,3}valid\W{0,3}trials?\b"}


def _classes_named(line: str) -> set[str]:
    return {label for label, words in CLASS_WORDS.items() if re.search(words, line.lower())}


def _grade_report(g: Grading, ref: dict, protocol: str, summary: list[dict], report: str) -> None:
    lines = report.splitlines()
    by_athlete = {normalize_text(r["athlete_id"]): r for r in summary}

    def in_report(row: dict, want: dict) -> bool | str:
        athlete = normalize_text(row.get("athlete_id"))
        mentions = [line for line in lines if re.search(rf"\b{re.escape(athlete)}\b", line, re.IGNORECASE)]
        if not mentions:
            return "not in the report"
        absolute, relative = METRIC_TOLERANCE[protocol][KEY_METRIC[protocol]]
        # the change carries the best value's error: one tolerance, on the scale of the metric, for all three
        tolerance = max(absolute, abs(want["best_value"] or want["last_block"]) * relative)
        values = (("best value", want["best_value"]), ("last block", want["last_block"]), ("change", want["change"]))

        def unstated(line: str) -> list[str]:
            numbers = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", line.replace(",", ""))]
            return [label for label, value in values
                    if value is not None and not any(abs(n - value) <= tolerance for n in numbers)]

        # its line: one line giving the best value, last block and change, and there the class it names
        rows = [line for line in mentions if not unstated(line)]
        if not rows:
            return f"{', '.join(unstated(' '.join(mentions)) or ['best value, last block and change'])} not on its line"
        named = [_classes_named(line) for line in rows]
        if {want["classification"]} not in named:
            return f"its line names {sorted(set().union(*named)) or 'no class'}, not {want['classification']}"
        wrong = sorted({c for classes in named if classes and classes != {want["classification"]} for c in classes})
        return f"a line with its figures also classes it {wrong}" if wrong else True

    g.fraction("report states each athlete's best result, last block, change and class",
               judge(by_athlete, {normalize_text(a): s for a, s in ref["summary"].items()}, in_report), weight=2,
               noun="athletes")
    _grade_screened_out(g, ref, lines)
    _grade_flags_told(g, ref, report)


# the flags a clause of the report gives the athletes it names (a negated word gives none); "trivial" is no flag, but
# a change it qualifies (called not meaningful, within the SWC, TE or noise) is not read for a wrong flag (it may tell a
# trivial change as a small improvement)
NOT_MEANINGFUL = (r"\btrivial\w*|\bnegligibl\w*|\bnot\W+(?:a\W+|very\W+)?(?:meaningful|worthwhile|real|significant)\b"
                  r"|\b(?:within|below|under|inside|(?:smaller|less)\W+than)\W+(?:\w+\W+){0,3}?"
                  r"(?:swc|te|typical\W+error|smallest\W+worthwhile|threshold|noise|measurement\W+error)\b")
FLAG_WORDS = {"improved": r"\bimprove(?:d|ment)\b", "declined": r"\bdeclin\w*", "trivial": NOT_MEANINGFUL,
              "asymmetry": r"\basymmetr\w*|\bimbalance\w*", "no_valid_trial": r"\bno\W{0,3}valid\W{0,3}trials?\b"}
NEGATION = re.compile(r"(?:\b(?:not|no|never|without|nor)|n't)\W+(?:\w+\W+){0,2}$")
# an asymmetry told within the limit is no flag ("rather than within" and "not within" are no such telling); one
# told as a flag puts it past the limit
WITHIN_LIMIT = re.compile(r"(?<!rather than )(?<!instead of )(?<!not )\b(?:within|below|under|inside)\b|<")
# a clause ends at a sentence end or a semicolon, and before "while"/"whereas", which set one athlete against another
CLAUSE_BREAK = re.compile(r"(?<=[.!?;])\s+|,?\s+(?=\b(?:while|whereas)\b)")
OVER_LIMIT = re.compile(r"\b(?:over|above|exceed\w*|beyond|outside|flag\w*|not\W+(?:within|below|under|inside))\b|>")


def _flag_places(clause: str) -> list[tuple[int, str]]:
    """Where a clause names each flag, not negated, an asymmetry not within the limit."""
    places = [(m.start(), flag) for flag, words in FLAG_WORDS.items() for m in re.finditer(words, clause)
              if not NEGATION.search(clause[:m.start()])]
    return [(at, flag) for at, flag in places if flag != "asymmetry" or not WITHIN_LIMIT.search(clause)]


def _flags_by_place(clause: str, athletes: list[str]) -> dict[str, set[str]]:
    """The flags a clause naming several flags ties to each athlete it names: its runs of athlete names and of flag
    words, each run with the one after it when the clause opens with that kind ("ATH03 improved, ATH05 declined";
    "improved and asymmetric: ATH03, ATH05"), and a last run left over with the one before it ("..., as did ATH06")."""
    places = sorted([(m.start(), "athlete", a) for a in athletes
                     for m in re.finditer(rf"\b{re.escape(a.lower())}\b", clause)]
                    + [(at, "flag", flag) for at, flag in _flag_places(clause)])
    runs: list[tuple[str, set[str]]] = []
    for _, kind, name in places:
        if runs and runs[-1][0] == kind:
            runs[-1][1].add(name)
        else:
            runs.append((kind, {name}))
    pairs = [(runs[i], runs[i + 1]) for i in range(0, len(runs) - 1, 2)]
    if len(runs) % 2 and len(runs) > 1:
        pairs.append((runs[-2], runs[-1]))
    tied: dict[str, set[str]] = {}
    for one, other in pairs:
        (_, names), (_, flags) = (one, other) if one[0] == "athlete" else (other, one)
        for name in names:
            tied.setdefault(name, set()).update(flags)
    return tied


def _grade_flags_told(g: Grading, ref: dict, report: str) -> None:
    """Each flagged athlete is told its flag in the report, and no athlete a flag it does not carry: a clause (a
    sentence, a part between semicolons, or a part set against the next by "while"/"whereas") naming athletes and one flag gives that flag to each of them, one naming
    several gives each flag to the athletes beside it (an asymmetry only where the clause puts it past the limit)."""
    athletes = sorted(ref["summary"])
    carried = {a: {ref["summary"][a]["classification"]} | ({"asymmetry"} if a in ref["flags"]["asymmetry"] else set())
               for a in athletes}
    told: dict[str, set[str]] = {a: set() for a in athletes}
    wrong = set()
    for line in report.lower().splitlines():
        for clause in CLAUSE_BREAK.split(line):
            named = [a for a in athletes if re.search(rf"\b{re.escape(a.lower())}\b", clause)]
            flags = {flag for _, flag in _flag_places(clause)}
            for athlete in named:
                told[athlete] |= flags
            if len(flags) == 1 and flags != {"trivial"} and (flags != {"asymmetry"} or OVER_LIMIT.search(clause)):
                wrong |= {f"{a} told {next(iter(flags))}" for a in named if not flags <= carried[a]}
            elif len(flags) > 1:
                for athlete, tied in _flags_by_place(clause, athletes).items():
                    claimed = tied - {"trivial"} - ({"improved", "declined"} if "trivial" in tied else set()) - (
                        set() if OVER_LIMIT.search(clause) else {"asymmetry"})
                    wrong |= {f"{athlete} told {flag}" for flag in claimed - carried[athlete]}
    flagged = [(a, flag) for flag in ("declined", "asymmetry", "no_valid_trial") for a in ref["flags"][flag]]
    missing = {f"{a} not told {flag}" for a, flag in flagged if flag not in told[a]}
    g.check("report tells each flagged athlete its flag (decline, asymmetry, no valid trial) and no athlete another",
            not missing and not wrong, weight=1, expected=sorted(f"{a}: {flag}" for a, flag in flagged),
            reason="; ".join(sorted(missing | wrong)[:8]))
