#!/usr/bin/env python3
"""Oracle: read each trial's C3D with ezc3d, apply the lab's protocol sheet (body weight, events, metrics,
validity), take each athlete's best valid trial, classify the change since last block, flag asymmetries,
and write the tables, flags, report and figure.

The near-miss adversaries (adversaries/_shortcuts.py links here) run this same file under another name,
and that name switches on one shortcut; run as solve.py, none is taken.

ALE-CANARY-17693ffd-e4b2-4a4d-a841-c91fac3a7b91
"""

import csv
import json
import os
from pathlib import Path

import ezc3d
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
SHORTCUT = Path(__file__).name.removesuffix(".py")
SHEET = json.loads((INPUT / "protocol.json").read_text())
G = SHEET["gravity_m_s2"]
FS = SHEET["sampling_rate_hz"]
PROTOCOL = {"countermovement": "cmj", "drop": "drop_jump", "isometric": "imtp"}[SHEET["protocol"].split()[0]]
KEY = SHEET["key_metric"]
METRICS = list(SHEET["metrics"])


def read_plates(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Vertical force on plate 1 and plate 2, in N, positive up (the plates export z down)."""
    c3d = ezc3d.c3d(str(path))
    labels = c3d["parameters"]["ANALOG"]["LABELS"]["value"]
    units = c3d["parameters"]["ANALOG"]["UNITS"]["value"]
    analogs = c3d["data"]["analogs"][0]
    plates = []
    for label in ("Fz1", "Fz2"):
        i = labels.index(label)
        scale = {"N": 1.0, "kN": 1000.0}[units[i]]
        plates.append(-analogs[i] * scale)
    return plates[0], plates[1]


def left_right(path: Path, left_plate: int) -> tuple[np.ndarray, np.ndarray]:
    one, two = read_plates(path)
    if SHORTCUT == "single_plate":
        return one, one
    return (one, two) if left_plate == 1 else (two, one)


def weighing(total: np.ndarray) -> tuple[float, float]:
    window = total[: int(SHEET["body_weight_period_s"] * FS)]
    return float(window.mean()), float(window.std(ddof=1))


def asymmetry(left: float, right: float) -> float:
    return 100.0 * (left - right) / (left + right)


def final_standing_ok(total: np.ndarray, weight: float) -> bool:
    tail = total[-int(SHEET["final_standing_window_s"] * FS):].mean()
    return abs(tail - weight) <= SHEET["final_standing_tolerance_fraction"] * weight


def first(condition: np.ndarray, start: int) -> int:
    hits = np.flatnonzero(condition[start:])
    if hits.size == 0:
        raise ValueError("event not found")
    return start + int(hits[0])


def cmj(left: np.ndarray, right: np.ndarray, mass_override: float | None) -> dict:
    total = left + right
    weight, sd = weighing(total)
    mass = mass_override or weight / G
    weight = mass * G if mass_override else weight
    reason = "unstable_weighing" if sd > SHEET["weighing_sd_limit_n"] else ""
    start = int(SHEET["body_weight_period_s"] * FS)
    onset = first(total < weight - SHEET["onset_sd_multiple"] * sd, start)
    takeoff = first(total < SHEET["flight_threshold_n"], onset)
    landing = first(total >= SHEET["flight_threshold_n"], takeoff)
    if not reason and not final_standing_ok(total, weight):
        reason = "landing_off_plate"
    velocity = np.cumsum(total[onset:takeoff] - weight) / mass / FS
    height = velocity[-1] ** 2 / (2 * G)
    flight = (landing - takeoff) / FS
    flight_height = G * flight ** 2 / 8
    if SHORTCUT == "flight_time_height":
        height = flight_height
    contraction = (takeoff - onset) / FS
    return {"reason": reason, "body_mass_kg": mass, "jump_height_cm": 100 * height,
            "jump_height_flight_cm": 100 * flight_height, "flight_time_ms": 1000 * flight,
            "contraction_time_ms": 1000 * contraction, "rsi_mod": height / contraction,
            "peak_power_w": float(np.max(total[onset:takeoff] * velocity)),
            "asymmetry_pct": asymmetry(left[onset:takeoff].sum(), right[onset:takeoff].sum())}


def drop_jump(left: np.ndarray, right: np.ndarray, mass: float) -> dict:
    total = left + right
    weight = mass * G
    threshold = SHEET["flight_threshold_n"]
    min_flight = int(SHEET["min_flight_ms"] * FS / 1000)
    touchdown = first(total >= threshold, 0)
    reason, cursor = "", touchdown
    while True:
        takeoff = first(total < threshold, cursor)
        landing = first(total >= threshold, takeoff)
        if landing - takeoff >= min_flight:
            break
        reason, cursor = "double_contact", landing
    if not reason and not final_standing_ok(total, weight):
        reason = "landing_off_plate"
    v_takeoff = -np.sqrt(2 * G * SHEET["box_height_m"]) + np.sum(total[touchdown:takeoff] - weight) / mass / FS
    height = v_takeoff ** 2 / (2 * G)
    flight = (landing - takeoff) / FS
    flight_height = G * flight ** 2 / 8
    if SHORTCUT == "flight_time_height":
        height = flight_height
    contact = (takeoff - touchdown) / FS
    return {"reason": reason, "body_mass_kg": mass, "contact_time_ms": 1000 * contact,
            "flight_time_ms": 1000 * flight, "jump_height_cm": 100 * height,
            "jump_height_flight_cm": 100 * flight_height, "rsi": height / contact,
            "asymmetry_pct": asymmetry(left[touchdown:takeoff].sum(), right[touchdown:takeoff].sum())}


def imtp(left: np.ndarray, right: np.ndarray, mass_override: float | None) -> dict:
    total = left + right
    weight, sd = weighing(total)
    mass = mass_override or weight / G
    reason = "unstable_weighing" if sd > SHEET["weighing_sd_limit_n"] else ""
    start = int(SHEET["body_weight_period_s"] * FS)
    onset = first(np.abs(total - weight) > SHEET["onset_sd_multiple"] * sd, start)
    if not reason and total[onset] < weight:
        reason = "countermovement"
    peak_at = int(np.argmax(total))
    peak = float(total[peak_at])
    rfd = {window: (total[onset + window] - total[onset]) / (window / FS) for window in (100, 200)}
    if SHORTCUT == "flight_time_height":  # the cheaper average RFD: net peak over time to peak
        rfd = {window: (peak - total[onset]) / ((peak_at - onset) / FS) for window in (100, 200)}
    return {"reason": reason, "body_mass_kg": mass, "peak_force_n": peak,
            "relative_peak_force_n_per_kg": peak / mass, "rfd_100_n_per_s": rfd[100], "rfd_200_n_per_s": rfd[200],
            "asymmetry_pct": asymmetry(left[peak_at], right[peak_at])}


def read_csv(name: str) -> list[dict]:
    with (INPUT / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def main() -> None:
    log = read_csv("trial_log.csv")
    last_block = {r["athlete_id"]: float(r["best_value"]) for r in read_csv("last_block.csv")}
    trials = []
    for entry in log:
        athlete, left_plate = entry["athlete_id"], int(entry["left_foot_plate"])
        roster = float(entry["roster_body_mass_kg"]) if SHORTCUT == "fixed_mass" else None
        left, right = left_right(INPUT / "trials" / entry["file"], left_plate)
        if PROTOCOL == "cmj":
            result = cmj(left, right, roster)
        elif PROTOCOL == "imtp":
            result = imtp(left, right, roster)
        else:
            static_left, static_right = left_right(INPUT / "trials" / f"{athlete}_static.c3d", left_plate)
            mass = roster or weighing(static_left + static_right)[0] / G
            result = drop_jump(left, right, mass)
        if SHORTCUT == "no_screening":
            result["reason"] = ""
        trials.append({"athlete_id": athlete, "trial_file": entry["file"], **result})

    OUTPUT.mkdir(parents=True, exist_ok=True)
    with (OUTPUT / "trial_metrics.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["athlete_id", "trial_file", "valid", "invalid_reason", "body_mass_kg", *METRICS])
        for t in trials:
            writer.writerow([t["athlete_id"], t["trial_file"], "false" if t["reason"] else "true", t["reason"],
                             f"{t['body_mass_kg']:.2f}", *(f"{t[m]:.4f}" for m in METRICS)])

    reliability = SHEET["typical_error"] + SHEET["smallest_worthwhile_change"]
    summary = []
    for athlete in sorted(last_block):
        valid = [t for t in trials if t["athlete_id"] == athlete and not t["reason"]]
        row = {"athlete_id": athlete, "best_trial_file": "", "best_value": None, "last_block": last_block[athlete],
               "change": None, "classification": "no_valid_trial", "asymmetry_pct": None}
        if valid:
            best = max(valid, key=lambda t: t[KEY])
            value = best[KEY]
            if SHORTCUT == "mean_not_best":
                value = float(np.mean([t[KEY] for t in valid]))
            change = value - last_block[athlete]
            label = "improved" if change > reliability else "declined" if change < -reliability else "trivial"
            row.update(best_trial_file=best["trial_file"], best_value=value, change=change, classification=label,
                       asymmetry_pct=best["asymmetry_pct"])
        summary.append(row)

    def cell(value, digits=4):
        return "" if value is None else f"{value:.{digits}f}"

    with (OUTPUT / "athlete_summary.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["athlete_id", "best_trial_file", "best_value", "last_block", "change", "classification",
                         "asymmetry_pct", "asymmetry_flag"])
        for r in summary:
            flag = r["asymmetry_pct"] is not None and abs(r["asymmetry_pct"]) > SHEET["asymmetry_limit_pct"]
            writer.writerow([r["athlete_id"], r["best_trial_file"], cell(r["best_value"]), cell(r["last_block"]),
                             cell(r["change"]), r["classification"], cell(r["asymmetry_pct"], 2),
                             "true" if flag else "false"])

    flags = {
        "improved": [r["athlete_id"] for r in summary if r["classification"] == "improved"],
        "declined": [r["athlete_id"] for r in summary if r["classification"] == "declined"],
        "asymmetry": [r["athlete_id"] for r in summary
                      if r["asymmetry_pct"] is not None and abs(r["asymmetry_pct"]) > SHEET["asymmetry_limit_pct"]],
        "no_valid_trial": [r["athlete_id"] for r in summary if r["classification"] == "no_valid_trial"],
    }
    (OUTPUT / "flags.json").write_text(json.dumps(flags, indent=2) + "\n")
    write_report(summary, flags, trials, reliability)
    write_figure(summary, reliability, trials)


def write_report(summary: list[dict], flags: dict, trials: list[dict], threshold: float) -> None:
    digits = {"cmj": 1, "drop_jump": 2, "imtp": 0}[PROTOCOL]
    invalid = [t for t in trials if t["reason"]]
    lines = [f"# Squad testing report: {SHEET['protocol']}", "",
             f"Key metric: `{KEY}`. Best valid trial per athlete; a change is meaningful beyond SWC + TE = "
             f"{threshold:g}. Asymmetry limit {SHEET['asymmetry_limit_pct']:g} %.", "",
             f"{len(trials)} trials, {len(invalid)} screened out as invalid.", "",
             f"| Athlete | Best trial | {KEY} | Last block | Change | Class | Asymmetry % |",
             "|---|---|---|---|---|---|---|"]
    # report_classes_swapped: the table gives every athlete another class, and a list by class gives the right one
    swapped = {"improved": "declined", "declined": "improved", "trivial": "improved", "no_valid_trial": "trivial"}
    for r in summary:
        label = swapped[r["classification"]] if SHORTCUT == "report_classes_swapped" else r["classification"]
        if r["best_value"] is None:
            lines.append(f"| {r['athlete_id']} | none valid | - | {r['last_block']:.{digits}f} | - | "
                         f"{label.replace('_', ' ')} | - |")
            continue
        lines.append(f"| {r['athlete_id']} | {r['best_trial_file']} | {r['best_value']:.{digits + 1}f} | "
                     f"{r['last_block']:.{digits}f} | {r['change']:+.{digits + 1}f} | {label} | "
                     f"{r['asymmetry_pct']:+.1f} |")
    if SHORTCUT == "report_classes_swapped":
        classes = sorted({r["classification"] for r in summary})
        lines += ["", "## Classes", ""] + [f"- {c.replace('_', ' ').capitalize()}: " + ", ".join(
            r["athlete_id"] for r in summary if r["classification"] == c) for c in classes]
    if SHORTCUT == "table_only_report":  # the coaches get the table, not the flags or the screened-out trials
        (OUTPUT / "squad_report.md").write_text("\n".join(lines) + "\n")
        return
    if SHORTCUT == "report_flags_swapped":  # the right table, then the flags told of the wrong athletes
        unflagged = [r["athlete_id"] for r in summary if r["athlete_id"] not in flags["asymmetry"]
                     and r["best_value"] is not None]
        flags = {**flags, "declined": flags["improved"], "improved": flags["declined"], "asymmetry": unflagged[:2]}
    lines += ["", "## Flags", "",
              f"- Meaningful decline: {', '.join(flags['declined']) or 'none'}",
              f"- Meaningful improvement: {', '.join(flags['improved']) or 'none'}",
              f"- Asymmetry over the limit: {', '.join(flags['asymmetry']) or 'none'}",
              f"- No valid trial (retest): {', '.join(flags['no_valid_trial']) or 'none'}", "",
              "## Screened-out trials", ""]
    if SHORTCUT == "report_flags_paired":  # the right flags, then two flags in one line told of athletes with neither
        others = [r["athlete_id"] for r in summary if r["athlete_id"] not in flags["improved"] + flags["asymmetry"]]
        lines[-2:-2] = [f"Meaningful improvement and asymmetry over the limit: {', '.join(others)}", ""]
    if SHORTCUT == "report_asymmetry_rather_than_within":  # the right flags, then a hedged asymmetry for the others
        others = [r["athlete_id"] for r in summary if r["athlete_id"] not in flags["asymmetry"]
                  and r["best_value"] is not None]
        lines[-2:-2] = [f"{a}'s asymmetry is outside the limit rather than within it." for a in others] + [""]
    lines += [f"- {t['trial_file']}: {t['reason']}" for t in invalid] or ["- none"]
    if SHORTCUT == "screened_reasons_piled":  # every screened-out trial listed with every reason of the sheet
        reasons = [t["reason"] for t in invalid]
        piled = sorted(SHEET["validity"], key=lambda reason: reasons.count(reason))
        lines[-len(invalid):] = [", ".join(t["trial_file"] for t in invalid) + ": " + ", ".join(
            reason.replace("_", " ") for reason in piled)]
    (OUTPUT / "squad_report.md").write_text("\n".join(lines) + "\n")


def write_figure(summary: list[dict], threshold: float, trials: list[dict]) -> None:
    names = [r["athlete_id"] for r in summary]
    x = np.arange(len(names))
    now = [np.nan if r["best_value"] is None else r["best_value"] for r in summary]
    if SHORTCUT == "mean_trial_figure":  # the figure plots each athlete's mean valid trial, not the best one
        now = [np.mean([t[KEY] for t in trials if t["athlete_id"] == r["athlete_id"] and not t["reason"]] or [np.nan])
               for r in summary]
    before = [r["last_block"] for r in summary]
    if SHORTCUT == "stock_figure":  # the figure drawn before the analysis was done: last block nudged up
        now = [1.02 * b for b in before]
    fig, ax = plt.subplots(figsize=(10, 5))
    ax.plot(x, before, "o--", color="#7f7f7f", label="last block")
    ax.errorbar(x, now, yerr=threshold, fmt="s-", color="#1f4e79", capsize=4,
                label="this block, best valid trial (bar: SWC + TE)")
    ax.set_xticks(x, names, rotation=45)
    ax.set_xlim(-0.5, len(names) - 0.5)
    ax.set_ylabel(KEY)
    ax.set_title(f"{SHEET['protocol'].split(',')[0]}: best valid trial vs last block")
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUTPUT / "squad_figure.png", dpi=100)


if __name__ == "__main__":
    main()
