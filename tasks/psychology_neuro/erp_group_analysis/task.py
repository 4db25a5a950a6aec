"""ERP group analysis of a small EEG experiment with MNE-Python.

ALE-CANARY-32482ff9-ae19-44d2-bffc-387902b0f019

Workflow: an EEG researcher gets the raw BrainVision recordings of twelve participants, the lab's preprocessing
SOP and the pre-registered analysis. They find and interpolate flat or noisy channels, filter, re-reference,
correct ocular artefacts, epoch, baseline-correct, reject epochs by the peak-to-peak rule, apply the minimum
trial count, measure the pre-registered component (mean amplitude in the window over the electrode cluster,
fractional-area latency of the difference wave), run the paired test with dz and its confidence interval,
and deliver tables, a grand-average figure and an APA results paragraph.

generate() simulates every recording (eegsim.py), so the truth is known by construction: the trials that
carry an artefact, the bad channels, the participant who falls below the minimum trial count, and each
participant's noise-free ERP measured under the SOP's reference. A few electrodes of each recording carry
strong mains pickup, and a few a slow electrode drift, that only the SOP's band-pass on the continuous data
removes: skipped (and the delivered grand averages smoothed instead), or its high-pass left out, it shows in the
bad channels and the accepted epochs. The flat and the noisy channel sit on cluster electrodes with a large component,
where their recordings keep none of the ERP (the noisy one is noise only): the window mean amplitudes the agent reports at its interpolated channels
are those of the noise-free ERP only after a real interpolation (left out of the reference, the rejection and
the cluster, a bad channel changes the cluster measures too little to see). grade() compares the agent's
counts, exclusions, interpolated channels, their amplitudes and the measures with that truth, recomputes the group test from the agent's own participant measures, reads the
figure, and checks the report's numbers against the JSON.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from lastexam.task import Grading, Params, as_number

from . import eegsim

CANARY = "ALE-CANARY-32482ff9-ae19-44d2-bffc-387902b0f019"
PARTICIPANTS = 12
REFERENCE = "truth.json"
COUNTS, MEASURES, STATS, FIGURE, FIGURE_DATA, REPORT, INTERPOLATED = (
    "trial_counts.csv", "participant_measures.csv", "group_stats.json", "grand_average.png", "grand_average.csv",
    "report.md", "interpolated_channels.csv")
HIGH_HZ, HIGH_SHARE = 40.0, 1e-5  # unfiltered grand averages keep 1e-4 to 1e-3 of their power above 40 Hz (line noise,
# EMG), the SOP's FIR low-pass under 1e-8, a zero-phase 4th-order Butterworth at 30 Hz under 1e-7
SHAPE_MIN_R = 0.9             # correlation of a plotted grand average with the noise-free one (jitter smooths it)
# tolerances, set from the oracle's spread against the truth over many seeds (see the task notes)
KEPT_TOL = 2                  # epochs per participant and condition
# per-participant mean amplitude of a condition and of the difference wave: the oracle's largest error over
# 6-8 seeds per paradigm was 0.79 uV (P3b, about 55 target epochs), 0.44 (MMN), 0.23 (N400)
AMP_TOL_UV = {"oddball_p3b": 0.9, "mmn": 0.7, "n400": 0.7}
# per-participant fractional-area latency; the oracle's largest error was 12 ms (4 ms on the MMN). The peak latency
# of a noisy difference wave strays 16-32 ms from the P3b's and N400's 50 % area latency for a third of the
# participants; 24 ms let it through. The MMN's fast onset and slow offset (eegsim.skewed) put its 50 % area latency
# 16-28 ms after its peak. The latencies spread over 70 ms (MMN), 100 (P3b) and 140 (N400) between participants,
# so that one latency for everyone (the grand average's, the window's centre) is off for more than a few.
LATENCY_TOL_MS = {"oddball_p3b": 16.0, "mmn": 12.0, "n400": 16.0}
# window mean amplitude of a condition at an interpolated channel: MNE's spherical-spline interpolation (fast or
# accurate, before or after re-referencing) was within 0.66 uV of the truth (P3b), 0.53 (MMN), 0.43 (N400) over 10
# seeds each; the flat and the noisy electrode sit where the critical condition's window mean is 3.2 uV or more (P3b),
# 1.9 (MMN), 2.1 (N400), and keep none of it, so a channel left flat or noisy, zero-filled or dropped misses it
INTERPOLATED_TOL_UV = {"oddball_p3b": 1.2, "mmn": 1.0, "n400": 1.0}
SHARE_WITHIN = 0.85           # share of included participants within tolerance for a measure check to pass
BASELINE_TOL_UV = 0.05        # grand averages' mean over the baseline (the oracle's is 0 to 1e-4; uncorrected 0.2-0.6)
GROUP_DIFF_TOL_UV = 0.4       # group mean difference against the truth (the oracle's is within 0.15)
REFERENCE_NAMES = {"linked_mastoids": "linked mastoids (mean of M1 and M2)",
                   "average": "common average of all 26 scalp sites, M1 and M2 included"}


def _sop(p: eegsim.Paradigm) -> str:
    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.0f}"

    return f"""# Lab SOP: EEG preprocessing for ERP studies (rev. 7)

Applies to every participant of the study; deviations must be justified in the report.

1. **Recording.** 25 scalp electrodes (10-20 positions, use the standard 10-20 coordinates) recorded
   against the left mastoid **M1**, which is the online reference and is not stored; ground AFz.
   VEOG and HEOG are bipolar eye channels (type EOG). 250 Hz, BrainVision format.
2. **Filter.** Band-pass 0.1-30 Hz, zero-phase FIR (MNE defaults), on the continuous data.
3. **Bad channels.** On the band-passed continuous data, a scalp channel is bad when its robust SD
   (1.4826 x median absolute deviation) is below 1 uV (flat or disconnected) or above 3 times the median
   robust SD of the scalp channels (noisy). Bad channels are interpolated (spherical spline) before
   re-referencing. A participant with more than 3 bad channels is excluded.
4. **Reference.** Restore M1 as a channel and re-reference the scalp channels to the
   {REFERENCE_NAMES[p.reference]}.
5. **Ocular correction.** Remove blink and eye-movement activity from the scalp channels using VEOG and
   HEOG, estimated on the continuous data: regression on the EOG channels or ICA with the ocular
   components removed.
6. **Epochs.** {ms(p.epoch[0])} to {ms(p.epoch[1])} ms around each stimulus marker of the two conditions,
   baseline {ms(p.baseline[0])} to {ms(p.baseline[1])} ms.
7. **Artefact rejection.** After ocular correction, reject every epoch whose peak-to-peak amplitude
   exceeds 100 uV in any scalp channel within the epoch (EOG channels not considered).
8. **Inclusion.** A participant enters the group analysis only with at least {p.min_trials} accepted
   epochs in each condition.

Marker codes: {marker_table(p)}.
"""


def marker_table(p: eegsim.Paradigm) -> str:
    control, critical = p.conditions
    rows = [f"`{eegsim.marker_code(p.codes[0])}` {control}", f"`{eegsim.marker_code(p.codes[1])}` {critical}"]
    if p.name == "oddball_p3b":
        rows.append("`R  1` button press (targets are answered; not analysed)")
    if p.name == "n400":
        rows.append("`S 10` sentence onset (not analysed)")
    return "; ".join(rows)


PREREG = {
    "oddball_p3b": "active auditory oddball (1000 Hz standards, 1500 Hz targets; participants press a button "
                   "to each target); the P3b to targets",
    "mmn": "passive auditory oddball (1000 Hz standards, 1100 Hz frequency deviants) while watching a silent "
           "film; the mismatch negativity",
    "n400": "sentence reading (RSVP); the final word is congruent or semantically incongruent; the N400",
}


def _preregistration(p: eegsim.Paradigm) -> str:
    control, critical = p.conditions
    sign = "positive" if p.polarity == "positive" else "negative"
    return f"""# Pre-registered analysis

Design: {PREREG[p.name]}.

- **Measure.** Per participant, the mean amplitude of the average ERP of each condition from
  {p.window[0] * 1000:.0f} to {p.window[1] * 1000:.0f} ms (both ends included), averaged over the electrode
  cluster {", ".join(p.cluster)}.
- **Difference wave.** {critical} minus {control}, at the same cluster.
- **Latency.** The 50% fractional-area latency of the difference wave within the window: the area of its
  {sign} part only (samples of the opposite sign count as zero); the first sample at which the running
  area reaches half of the total, in ms.
- **Test.** Two-tailed paired t-test of the {critical} versus {control} mean amplitudes across the
  included participants, alpha = .05; expected direction: {critical} more {sign} than {control}.
  Effect size dz = mean difference / SD of the differences; 95% confidence interval of the mean
  difference.
"""


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    p = eegsim.PARADIGMS.get(params["paradigm"])
    if p is None:
        raise ValueError(f"task.toml [variants]: paradigm {params['paradigm']!r} is not one of {list(eegsim.PARADIGMS)}")
    rng = np.random.default_rng(params["seed"])
    subjects = eegsim.draw_subjects(p, rng, PARTICIPANTS)
    eegsim.draw_shapes(p, np.random.default_rng([params["seed"], 52]), subjects)
    eegsim.place_bad_channel(p, np.random.default_rng([params["seed"], 53]), subjects, "flat")
    eegsim.place_bad_channel(p, np.random.default_rng([params["seed"], 54]), subjects, "noisy")
    eeg_dir = input_dir / "eeg"
    eeg_dir.mkdir(parents=True, exist_ok=True)
    truth: dict[str, Any] = {"paradigm": p.name, "conditions": list(p.conditions), "min_trials": p.min_trials,
                             "polarity": p.polarity, "window": list(p.window), "participants": {}}
    waves: dict[str, dict[str, list[float]]] = {}
    for index, subject in enumerate(subjects):
        rec = eegsim.simulate_subject(p, rng, subject)
        # mains pickup from its own stream, so the rest of each recording is that of earlier versions
        eegsim.add_mains_pickup(rec["data"], np.random.default_rng([params["seed"], 50, index]), subject["bad_channels"])
        eegsim.add_electrode_drift(rec["data"], np.random.default_rng([params["seed"], 51, index]),
                                   subject["bad_channels"])
        markers = []
        for onset, label in zip(rec["onsets"], rec["labels"], strict=True):
            code = p.codes[label]
            if p.name == "n400":
                markers.append(("Stimulus", eegsim.marker_code(10), int(onset - 0.45 * eegsim.SFREQ)))
            markers.append(("Stimulus", eegsim.marker_code(code), int(onset)))
            if p.name == "oddball_p3b" and label == 1:
                markers.append(("Response", "R  1", int(onset + rng.uniform(0.38, 0.62) * eegsim.SFREQ)))
        eegsim.write_brainvision(eeg_dir / subject["id"], rec["data"], markers, CANARY)
        events = {c: int(np.sum(rec["labels"] == k)) for k, c in enumerate(p.conditions)}
        kept = {c: int(np.sum((rec["labels"] == k) & ~rec["artefact"])) for k, c in enumerate(p.conditions)}
        measures = eegsim.truth_measures(p, subject)
        waves[subject["id"]] = measures["grand_wave"]
        truth["participants"][subject["id"]] = {
            "events": events, "kept": kept, "included": min(kept.values()) >= p.min_trials,
            "bad_channels": subject["bad_channels"], **{k: v for k, v in measures.items() if k != "grand_wave"},
            "true_amplitude": subject["amplitude"], "true_latency": subject["latency"]}
    included = [s for s, v in truth["participants"].items() if v["included"]]
    truth["included"] = included
    truth["group_difference"] = float(np.mean([truth["participants"][s]["amp_difference"] for s in included]))
    truth["grand_average"] = _grand_average([waves[s] for s in included])
    (input_dir / "sop.md").write_text(_sop(p))
    (input_dir / "preregistration.md").write_text(_preregistration(p))
    (reference_dir / REFERENCE).write_text(json.dumps(truth, indent=1) + "\n")


def _grand_average(waves: list[dict[str, list[float]]], points: int = 81) -> dict[str, list[float]]:
    """The noise-free grand averages of both conditions and their difference over the whole epoch, at
    ``points`` evenly spaced times (what the figure must draw)."""
    times = np.asarray(waves[0]["times"])
    at = np.linspace(times[0], times[-1], points)
    control = np.mean([w["control"] for w in waves], axis=0)
    critical = np.mean([w["critical"] for w in waves], axis=0)
    return {"times": at.tolist(), **{name: np.interp(at, times, wave).tolist() for name, wave in
                                     (("control", control), ("critical", critical), ("difference", critical - control))}}


# -- grade -------------------------------------------------------------------------------------


def _yes(value: str) -> bool | None:
    text = str(value).strip().lower()
    if text in {"yes", "true", "1", "y", "included"}:
        return True
    if text in {"no", "false", "0", "n", "excluded"}:
        return False
    return None


def _channels(value: str) -> set[str]:
    return {c.strip().lower() for c in re.split(r"[;,\s|]+", str(value)) if c.strip() and c.strip().lower() not in {"none", "-", "n/a"}}


def _grade_counts(g: Grading, truth: dict, rows: list[dict[str, str]]) -> dict[str, dict[str, float]]:
    """Checks the trial counts; returns {participant: {condition: n_kept}} as the agent reported them."""
    found: dict[str, dict[str, dict[str, str]]] = {}
    for r in rows:
        found.setdefault(r.get("participant", "").strip(), {})[r.get("condition", "").strip().lower()] = r
    events_verdicts: dict[str, bool | str] = {}
    kept_verdicts: dict[str, bool | str] = {}
    reported: dict[str, dict[str, float]] = {}
    for sid, part in truth["participants"].items():
        for cond in truth["conditions"]:
            key = f"{sid}/{cond}"
            row = found.get(sid, {}).get(cond)
            if row is None:
                events_verdicts[key] = kept_verdicts[key] = "missing"
                continue
            n_events, n_kept = as_number(row.get("n_events")), as_number(row.get("n_kept"))
            events_verdicts[key] = True if n_events == part["events"][cond] else f"{row.get('n_events')}, markers give {part['events'][cond]}"
            if n_kept is None:
                kept_verdicts[key] = "not a number"
                continue
            reported.setdefault(sid, {})[cond] = n_kept
            kept_verdicts[key] = True if abs(n_kept - part["kept"][cond]) <= KEPT_TOL else f"{n_kept:g} kept, expected about {part['kept'][cond]}"
    g.fraction("epochs per participant and condition match the event markers", events_verdicts, noun="cells",
               threshold=1.0)
    g.fraction("accepted epochs per participant and condition after ocular correction and the 100 uV rule",
               kept_verdicts, weight=3, noun="cells", threshold=1.0)
    return reported


def _measures_by_participant(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r.get("participant", "").strip(): r for r in rows}


def _grade_inclusion(g: Grading, truth: dict, measures: dict[str, dict[str, str]],
                     counts: dict[str, dict[str, float]]) -> list[str]:
    """Checks inclusion and interpolation; returns the participants the agent included."""
    agent_included = [s for s, r in measures.items() if _yes(r.get("included", "")) is True]
    expected = sorted(truth["included"])
    g.check("included participants are those with enough accepted epochs (others excluded)",
            sorted(agent_included) == expected and set(measures) >= set(truth["participants"]), weight=3,
            expected=sorted(set(truth["participants"]) - set(expected)),
            found=sorted(set(measures) - set(agent_included)))
    consistent = {}
    for sid, row in measures.items():
        kept = counts.get(sid)
        flag = _yes(row.get("included", ""))
        if not kept or flag is None:
            consistent[sid] = "no counts or no inclusion flag"
            continue
        enough = min(kept.values()) >= truth["min_trials"]
        consistent[sid] = True if enough == flag else f"included={flag} but min kept {min(kept.values()):g}"
    g.fraction("inclusion flags follow the participant's own trial counts and the minimum", consistent,
               noun="participants", threshold=1.0)
    verdicts = {}
    for sid, part in truth["participants"].items():
        want = {c.lower() for c in part["bad_channels"]}
        row = measures.get(sid)
        if row is None:
            verdicts[sid] = "missing"
            continue
        got = _channels(row.get("interpolated_channels", ""))
        verdicts[sid] = True if got == want else f"{sorted(got) or 'none'}, expected {sorted(want) or 'none'}"
    g.fraction("flat and noisy channels found and interpolated per participant", verdicts, weight=2,
               noun="participants", threshold=1.0)
    return agent_included


def _grade_interpolated(g: Grading, truth: dict, rows: list[dict[str, str]] | None, tol: float) -> None:
    """The window mean amplitudes at each participant's bad channels: a flat or noisy electrode keeps none of its
    ERP, so only its interpolation gives them."""
    control, critical = truth["conditions"]
    found = {(r.get("participant", "").strip(), r.get("channel", "").strip().lower()): r for r in rows or []}
    verdicts: dict[str, bool | str] = {}
    for sid, part in truth["participants"].items():
        for channel, wants in part["interpolated"].items():
            row = found.get((sid, channel.lower()))
            if row is None:
                verdicts[f"{sid}/{channel}"] = "missing"
                continue
            off = []
            for condition, want in zip((control, critical), wants, strict=True):
                value = as_number(row.get(f"amp_{condition}_uv"))
                if value is None or not math.isfinite(value) or abs(value - want) > tol:
                    off.append(f"{condition} {row.get(f'amp_{condition}_uv')}, truth {want:.2f}")
            verdicts[f"{sid}/{channel}"] = True if not off else "; ".join(off)
    g.fraction("window mean amplitudes at the interpolated channels recover the bad electrodes' ERPs", verdicts,
               weight=2, noun="channels", threshold=1.0)


def _measure_check(g: Grading, name: str, truth: dict, measures: dict[str, dict[str, str]], column: str,
                   key: str, tol: float, weight: float) -> None:
    verdicts: dict[str, bool | str] = {}
    for sid in truth["included"]:
        value = as_number(measures.get(sid, {}).get(column))
        want = truth["participants"][sid][key]
        if value is None or not math.isfinite(value):
            verdicts[sid] = "missing"
        else:
            verdicts[sid] = True if abs(value - want) <= tol else f"{value:.2f}, truth {want:.2f}"
    g.fraction(name, verdicts, weight=weight, noun="participants", threshold=SHARE_WITHIN)


def _grade_group(g: Grading, truth: dict, measures: dict[str, dict[str, str]], included: list[str],
                 group: dict[str, Any]) -> None:
    control, critical = truth["conditions"]
    diffs, internal = [], []
    for sid in included:
        row = measures[sid]
        a, b, d = (as_number(row.get(f"amp_{control}_uv")), as_number(row.get(f"amp_{critical}_uv")),
                   as_number(row.get("amp_difference_uv")))
        if None in (a, b, d):
            internal.append(f"{sid}: a measure is missing")
            continue
        if abs((b - a) - d) > 0.02:
            internal.append(f"{sid}: difference {d:g} is not {critical} - {control} = {b - a:.3f}")
        diffs.append(b - a)
    g.check("difference-wave amplitude is the critical minus the control amplitude for each participant",
            not internal and len(diffs) >= 2, reason="; ".join(internal[:4]))
    if len(diffs) < 3:
        g.check("group statistics recomputed from the participant measures", False,
                reason="fewer than three included participants with measures", weight=3)
        return
    arr = np.array(diffs)
    n = len(arr)
    mean, sd = float(arr.mean()), float(arr.std(ddof=1))
    t = mean / (sd / math.sqrt(n))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    want = {"n_included": n, "df": n - 1, "mean_difference_uv": mean, "t": t,
            "p": float(2 * stats.t.sf(abs(t), n - 1)), "dz": mean / sd}
    ci = group.get("ci95_uv")
    problems = []
    for k, v in want.items():
        got = as_number(group.get(k))
        tol = 0.0 if k in ("n_included", "df") else (max(1e-4, 0.01 * abs(v)) if k == "p" else max(0.01, 0.005 * abs(v)))
        if got is None or abs(got - v) > tol:
            problems.append(f"{k}: {group.get(k)!r}, recomputed {v:.4g}")
    if not (isinstance(ci, list) and len(ci) == 2 and all(as_number(c) is not None for c in ci)
            and abs(as_number(ci[0]) - (mean - half)) <= 0.01 and abs(as_number(ci[1]) - (mean + half)) <= 0.01):
        problems.append(f"ci95_uv: {ci!r}, recomputed [{mean - half:.3f}, {mean + half:.3f}]")
    g.check("group statistics recomputed from the participant measures (paired t, df, p, dz, 95% CI)",
            not problems, weight=3, reason="; ".join(problems[:5]))
    excluded = sorted(str(s).strip() for s in group.get("excluded", []) if isinstance(group.get("excluded"), list))
    g.check("group_stats lists the excluded participants",
            excluded == sorted(set(truth["participants"]) - set(truth["included"])),
            expected=sorted(set(truth["participants"]) - set(truth["included"])), found=group.get("excluded"))
    g.number("group mean difference close to the true effect", group.get("mean_difference_uv"),
             truth["group_difference"], abs_tol=GROUP_DIFF_TOL_UV, weight=2)


NUMBER = r"(-?\d*\.?\d+)"


def _grade_report(g: Grading, group: dict[str, Any], text: str) -> None:
    flat = re.sub(r"\s+", " ", text.replace("\u2212", "-").replace("−", "-"))
    problems = []
    match = re.search(r"\bt\s*\(\s*(\d+)\s*\)\s*=\s*" + NUMBER, flat)
    if not match:
        problems.append("no t(df) = value")
    else:
        if as_number(match.group(1)) != as_number(group.get("df")):
            problems.append(f"df {match.group(1)} vs JSON {group.get('df')}")
        if not _same(match.group(2), group.get("t"), 0.006):
            problems.append(f"t {match.group(2)} vs JSON {group.get('t')}")
    dz = re.search(r"d_?\s*z\s*=\s*" + NUMBER, flat, re.IGNORECASE) or re.search(r"dz\s*=\s*" + NUMBER, flat)
    if not dz or not _same(dz.group(1), group.get("dz"), 0.006):
        problems.append(f"dz {dz.group(1) if dz else 'absent'} vs JSON {group.get('dz')}")
    ci = re.search(r"\[\s*" + NUMBER + r"\s*,\s*" + NUMBER + r"\s*\]", flat)
    json_ci = group.get("ci95_uv") if isinstance(group.get("ci95_uv"), list) and len(group["ci95_uv"]) == 2 else [None, None]
    if not ci or not (_same(ci.group(1), json_ci[0], 0.006) and _same(ci.group(2), json_ci[1], 0.006)):
        problems.append(f"CI {ci.group(0) if ci else 'absent'} vs JSON {group.get('ci95_uv')}")
    pm = re.search(r"\bp\s*([<=])\s*" + NUMBER, flat)
    p_json = as_number(group.get("p"))
    if not pm or p_json is None:
        problems.append("no p value")
    elif pm.group(1) == "<":  # APA: an exact p, or "p < .001" when it is smaller
        bound = as_number(pm.group(2))
        if bound is None or bound > 0.001 or not p_json < bound:
            problems.append(f"p < {pm.group(2)} stands for JSON p = {p_json} (only p < .001 may replace an exact p)")
    elif not _same(pm.group(2), p_json, max(0.0006, 0.01 * p_json)):
        problems.append(f"p = {pm.group(2)} vs JSON {p_json}")
    g.check("report states t(df), p, dz and the 95% CI as in group_stats.json", not problems, weight=2,
            reason="; ".join(problems))


def _grade_report_design(g: Grading, truth: dict[str, Any], text: str) -> None:
    """The results paragraph must say who was excluded, how many were analysed and where was measured."""
    excluded = sorted(set(truth["participants"]) - set(truth["included"]))
    numbers = {as_number(n) for n in re.findall(r"\d+(?:\.\d+)?", text)}
    problems = [f"excluded participant {sid} not named" for sid in excluded if sid not in text]
    if not excluded and "exclu" not in text.lower():
        problems.append("does not say that no participant was excluded")
    if len(truth["included"]) not in numbers:
        problems.append(f"the number analysed ({len(truth['included'])}) is not stated")
    window = [round(1000 * edge) for edge in truth["window"]]
    if not all(edge in numbers for edge in window):
        problems.append(f"the measurement window {window[0]}-{window[1]} ms is not stated")
    g.check("report states the exclusions, the number analysed and the measurement window", not problems,
            reason="; ".join(problems))


def _grade_figure(g: Grading, truth: dict[str, Any], group: dict[str, Any], measures: dict[str, dict[str, str]],
                  included: list[str]) -> None:
    """grand_average.csv holds the plotted waves: they must follow the simulated ERPs, agree with the test's
    mean difference, and be what the PNG draws."""
    control, critical = truth["conditions"]
    columns = {control: f"{control}_uv", critical: f"{critical}_uv", "difference": "difference_uv"}
    rows = g.read_csv(FIGURE_DATA, required_columns=["time_ms", *columns.values()], gate=False)
    table = None if rows is None else np.array([[as_number(r.get(c)) for c in ("time_ms", *columns.values())]
                                                for r in rows], dtype=float)
    if table is None or len(table) < 20 or not np.isfinite(table).all() or np.any(np.diff(table[:, 0]) <= 0):
        for name in ("grand averages follow the simulated ERPs", "grand averages are low-pass filtered",
                     "grand-average difference agrees with the test",
                     "grand averages are baseline-corrected",
                     "grand averages over the window equal the participants' mean amplitudes",
                     "figure draws the grand averages of grand_average.csv (read from the PNG)"):
            g.check(name, False, reason=f"{FIGURE_DATA}: at least 20 numeric rows in increasing time wanted")
        return
    times = table[:, 0] / 1000
    grand = truth["grand_average"]
    truth_waves = {control: grand["control"], critical: grand["critical"], "difference": grand["difference"]}
    shapes = {}
    for k, name in enumerate(columns, start=1):
        inside = (grand["times"][0] <= times) & (times <= grand["times"][-1])
        want = np.interp(times[inside], grand["times"], truth_waves[name])
        shapes[name] = float(np.corrcoef(table[inside, k], want)[0, 1]) if inside.sum() >= 20 else 0.0
    g.check("grand averages (grand_average.csv) follow the simulated ERPs of the included participants",
            all(r >= SHAPE_MIN_R for r in shapes.values()), expected=f"correlation >= {SHAPE_MIN_R} each",
            found={k: round(v, 3) for k, v in shapes.items()})
    rate = 1 / float(np.median(np.diff(times)))
    shares = {}
    for k, name in enumerate(columns, start=1):
        wave = table[:, k] - table[:, k].mean()
        power = np.abs(np.fft.rfft(wave * np.hanning(len(wave)))) ** 2
        shares[name] = float(power[np.fft.rfftfreq(len(wave), 1 / rate) > HIGH_HZ].sum() / max(power.sum(), 1e-30))
    g.check(f"grand averages carry no power above {HIGH_HZ:g} Hz (the SOP's low-pass)",
            rate >= 2.5 * HIGH_HZ and all(v <= HIGH_SHARE for v in shares.values()),
            expected=f"<= {HIGH_SHARE:g} of each wave's power", found={k: f"{v:.1e}" for k, v in shares.items()},
            reason="" if rate >= 2.5 * HIGH_HZ else f"sampled at {rate:.0f} Hz, not one row per sample")
    window = (times >= truth["window"][0] - 1e-9) & (times <= truth["window"][1] + 1e-9)
    mean = float(table[window, 3].mean()) if window.any() else math.nan
    stated = as_number(group.get("mean_difference_uv"))
    g.check("grand-average difference over the window equals the test's mean difference", stated is not None
            and abs(mean - stated) <= 0.05 + 0.02 * abs(stated), expected=stated, found=round(mean, 3))
    # the SOP's baseline correction: each participant's average is zero over the baseline, and so is their grand
    # average. Left out, the 0.1 Hz high-pass leaves the waves 0.2-0.6 uV off zero there, which the loose
    # per-participant amplitude tolerance does not see; so the plotted averages must be baseline-corrected, and
    # the participants' condition amplitudes must be those of the plotted averages.
    start, end = eegsim.PARADIGMS[truth["paradigm"]].baseline
    base = (times >= start - 1e-9) & (times <= end + 1e-9)
    offsets = {name: float(table[base, k].mean()) if base.any() else math.nan
               for k, name in enumerate(columns, start=1)}
    g.check("grand averages are baseline-corrected (zero mean over the SOP's baseline)",
            all(abs(v) <= BASELINE_TOL_UV for v in offsets.values()), expected=f"|mean| <= {BASELINE_TOL_UV} uV",
            found={k: round(v, 3) for k, v in offsets.items()})
    agreement = {}
    for k, name in enumerate((control, critical), start=1):
        values = [as_number(measures.get(sid, {}).get(f"amp_{name}_uv")) for sid in included]
        values = [v for v in values if v is not None and math.isfinite(v)]
        plotted = float(table[window, k].mean()) if window.any() else math.nan
        own = float(np.mean(values)) if values and len(values) == len(included) else math.nan
        agreement[name] = True if abs(plotted - own) <= 0.05 + 0.02 * abs(own) else \
            f"window mean {plotted:.3f}, participants' mean amplitude {own:.3f}"
    g.fraction("grand averages over the window equal the participants' mean amplitudes of each condition",
               agreement, noun="conditions", threshold=1.0)
    picks = np.unique(np.linspace(0, len(table) - 1, 81).round().astype(int))
    g.chart_draws("figure draws the grand averages of grand_average.csv (read from the PNG)",
                  g.image(FIGURE, gate=False), {name: table[picks, k] for k, name in enumerate(columns, start=1)},
                  min_share=0.8, either_polarity=True)


def _same(text: Any, value: Any, tol: float) -> bool:
    a, b = as_number(text), as_number(value)
    return a is not None and b is not None and abs(a - b) <= tol


def grade(g: Grading) -> None:
    if not g.require_files(COUNTS, MEASURES, STATS, FIGURE, FIGURE_DATA, REPORT):
        return
    truth = g.reference_json(REFERENCE)
    control, critical = truth["conditions"]
    count_rows = g.read_csv(COUNTS, required_columns=["participant", "condition", "n_events", "n_kept"])
    measure_rows = g.read_csv(MEASURES, required_columns=[
        "participant", "included", "exclusion_reason", "interpolated_channels", f"amp_{control}_uv",
        f"amp_{critical}_uv", "amp_difference_uv", "latency_ms"])
    group = g.read_json(STATS)
    report = g.read_text(REPORT)
    interpolated_rows = g.read_csv(INTERPOLATED, required_columns=[
        "participant", "channel", f"amp_{control}_uv", f"amp_{critical}_uv"], gate=False)
    if count_rows is None or measure_rows is None or not isinstance(group, dict) or report is None:
        return
    counts = _grade_counts(g, truth, count_rows)
    measures = _measures_by_participant(measure_rows)
    included = _grade_inclusion(g, truth, measures, counts)
    amp_tol = AMP_TOL_UV[truth["paradigm"]]
    _measure_check(g, f"{control} mean amplitude per participant (window, cluster, reference)", truth, measures,
                   f"amp_{control}_uv", "amp_control", amp_tol, 2)
    _measure_check(g, f"{critical} mean amplitude per participant (window, cluster, reference)", truth, measures,
                   f"amp_{critical}_uv", "amp_critical", amp_tol, 2)
    _measure_check(g, "difference-wave mean amplitude per participant", truth, measures, "amp_difference_uv",
                   "amp_difference", amp_tol, 3)
    _measure_check(g, "fractional-area latency of the difference wave per participant", truth, measures,
                   "latency_ms", "latency_ms", LATENCY_TOL_MS[truth["paradigm"]], 2)
    _grade_interpolated(g, truth, interpolated_rows, INTERPOLATED_TOL_UV[truth["paradigm"]])
    _grade_group(g, truth, measures, included, group)
    _grade_report(g, group, report)
    _grade_report_design(g, truth, report)
    _grade_figure(g, truth, group, measures, included)
