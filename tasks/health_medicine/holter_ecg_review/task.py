"""Holter ECG review: annotate every beat of a two-lead ambulatory recording and summarise it.

Workflow: the cardiac physiologist opens the Holter recording (a WFDB record, format 212, two
leads), marks the lead-off and artefact segments that cannot be analysed, runs and checks the beat
detection and classification (normal/supraventricular N, ventricular ectopic V), and reports the
lab's summary: analysable time, minimum/mean/maximum minute heart rate, PVC count, pauses over
2.0 s, VT runs, AF episodes and AF burden.

Variants: an AF paroxysm ending in a post-conversion pause, 250 Hz, 50 Hz mains; VT runs, couplets
and sinus arrests, 360 Hz, 60 Hz mains; an AF paroxysm at 360 Hz, 60 Hz mains, on a 20-minute record
(a stroke work-up). All carry a burst of AF lasting 26-27.5 s, which the lab's 30 s minimum keeps
out of the AF episodes and the burden, and an AF episode of 33-39 s, which it counts; premature atrial beats about as often as PVCs, and PVCs that are
late-coupled or interpolated, so that prematurity alone does not tell a ventricular beat (only its
QRS shape does); and baseline wander with electrode pops, muscle-noise bursts, two motion-artefact
segments and a lead-off segment (both leads railed); the sinus rate rises with the movement over
the clock minutes those segments touch, so that the mean of the rated minutes stands at least 1.5
bpm away from a rate pooled over all analysable time.

Grade: the reference is the generating truth (simulate.py) put through the lab's rules (method.py).
The beat annotation is scored like ANSI/AAMI EC57 (150 ms match window, beats within 3 s of an
excluded segment not scored): QRS sensitivity and positive predictivity, V sensitivity and positive
predictivity. The summary is checked against the truth, and against the agent's own annotation and
segments (its heart rates, counts and pauses must follow from its beats by the lab's rules; its AF burden from
its episodes and analysable time).
"""
# ALE-CANARY-9a3c8dec-936f-4e9c-9bde-eb78c7886f60

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, as_number

from . import method
from .simulate import GAIN, simulate
from .wfdb_io import BEAT_CODES, VENTRICULAR_CODES, read_annotations, write_record

RECORD = "holter"
MATCH_S = 0.150
GUARD_S = 3.0  # beats this close to a true excluded segment are not scored
EDGE_TOL_S = 3.0
QRS_TARGET, V_TARGET = 0.995, 0.97
MAX_ITEMS = 500  # longer lists of segments or events are not a summary (and would slow the grader)


# ------------------------------------------------------------------------------------------
# generation
# ------------------------------------------------------------------------------------------


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    truth, digital = simulate(dict(params))
    seed = int(params["seed"])
    hour, minute = 8 + seed % 5, (seed // 5) % 60
    comments = [f"<age>: {52 + seed % 27} <sex>: {'MF'[seed % 2]} <recorder>: 2-channel ambulatory ECG",
                f"referral: {params['referral']}",
                "leads: MLII (modified lead II), V5 (modified V5); 0.05-100 Hz recorder bandwidth"]
    write_record(input_dir, RECORD, digital, truth.fs, GAIN, ["MLII", "V5"],
                 f"{hour:02d}:{minute:02d}:00", "04/12/2026", comments)

    times = np.array([t for t, _ in truth.beats])
    labels = [lab for _, lab in truth.beats]
    segments = [(s, e) for s, e, _ in truth.excluded]
    analysable = truth.duration_s - sum(e - s for s, e in segments)
    af_time = sum(e - s for s, e in truth.episodes())
    reference = {
        "fs": truth.fs,
        "duration_s": truth.duration_s,
        "beats": [[round(t * truth.fs), lab] for t, lab in truth.beats],
        "excluded_segments": [{"start_s": s, "end_s": e, "type": k} for s, e, k in truth.excluded],
        "analysable_time_s": analysable,
        **method.heart_rate_summary(times, segments, truth.duration_s),
        "minute_rates": {str(m): r for m, r in method.minute_rates(times, segments, truth.duration_s).items()},
        "pvc_count": method.pvc_count(times, labels, segments),
        "beats_analysed": int(sum(1 for t in times if not method.in_segments(t, segments))),
        "pauses": method.pauses(times, segments),
        "vt_runs": method.vt_runs(times, labels, segments),
        "af_episodes": [{"onset_s": s, "offset_s": e} for s, e in truth.episodes()],
        "af_burden_percent": 100.0 * af_time / analysable,
    }
    assert len(reference["pauses"]) == len(truth.designed_pauses)
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=1))


# ------------------------------------------------------------------------------------------
# grading helpers
# ------------------------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    x = as_number(value)
    return float(x) if x is not None and math.isfinite(float(x)) else None


def _records(summary: dict, key: str, fields: tuple[str, ...]) -> list[dict] | None:
    """A list of objects with numeric ``fields`` from the summary, or None when malformed."""
    items = summary.get(key)
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        return None
    out = []
    for item in items:
        if not isinstance(item, dict):
            return None
        row = {f: _num(item.get(f)) for f in fields}
        if any(v is None for v in row.values()):
            return None
        out.append(row | {k: v for k, v in item.items() if k not in fields})
    return out


def _near(t: float, segments: list[tuple[float, float]], margin: float) -> bool:
    return any(s - margin <= t <= e + margin for s, e in segments)


def _match(ref: np.ndarray, test: np.ndarray) -> dict[int, int]:
    """EC57-style one-to-one matching: reference index -> test index, nearest within the window."""
    pairs, used = {}, set()
    for i, t in enumerate(ref):
        lo = int(np.searchsorted(test, t - MATCH_S, side="left"))
        hi = int(np.searchsorted(test, t + MATCH_S, side="right"))
        best = [j for j in range(lo, hi) if j not in used]
        if best:
            j = min(best, key=lambda k: abs(test[k] - t))
            pairs[i] = j
            used.add(j)
    return pairs


def _target_score(value: float, target: float, floor: float) -> float:
    return 1.0 if value >= target else max(0.0, (value - floor) / (target - floor))


def _grade_beats(g: Grading, ref: dict, beats: list[tuple[int, int]]) -> None:
    fs = ref["fs"]
    guard = [(s["start_s"], s["end_s"]) for s in ref["excluded_segments"]]
    ref_beats = [(b[0] / fs, b[1]) for b in ref["beats"] if not _near(b[0] / fs, guard, GUARD_S)]
    test_beats = [(s / fs, c) for s, c in beats if not _near(s / fs, guard, GUARD_S)]
    rt = np.array([t for t, _ in ref_beats])
    tt = np.array([t for t, _ in test_beats])
    pairs = _match(rt, tt)
    tp = len(pairs)
    se, ppv = tp / max(1, len(rt)), tp / max(1, len(tt)) if len(tt) else 0.0
    g.check("QRS sensitivity (EC57, 150 ms window)", _target_score(se, QRS_TARGET, 0.90), weight=2,
            expected=f">= {QRS_TARGET:.1%}", found=f"{se:.2%} ({tp} of {len(rt)})")
    g.check("QRS positive predictivity (EC57)", _target_score(ppv, QRS_TARGET, 0.90), weight=2,
            expected=f">= {QRS_TARGET:.1%}", found=f"{ppv:.2%} ({tp} of {len(tt)})")
    ref_v = {i for i, (_, lab) in enumerate(ref_beats) if lab == "V"}
    test_v = {j for j, (_, c) in enumerate(test_beats) if c in VENTRICULAR_CODES}
    v_tp = sum(1 for i in ref_v if pairs.get(i) in test_v)
    v_se = v_tp / max(1, len(ref_v))
    v_ppv = v_tp / len(test_v) if test_v else 0.0
    g.check("V sensitivity (EC57)", _target_score(v_se, V_TARGET, 0.5), weight=1.5,
            expected=f">= {V_TARGET:.0%}", found=f"{v_se:.2%} ({v_tp} of {len(ref_v)})")
    g.check("V positive predictivity (EC57)", _target_score(v_ppv, V_TARGET, 0.5), weight=1.5,
            expected=f">= {V_TARGET:.0%}", found=f"{v_ppv:.2%} ({v_tp} of {len(test_v)})")


def _grade_segments(g: Grading, ref: dict, segments: list[dict] | None) -> None:
    want = ref["excluded_segments"]
    if segments is None:
        g.check("excluded segments (lead-off, artefact)", False, weight=1.5, expected=want,
                reason="excluded_segments is not a list of {start_s, end_s, type}")
        return
    used: set[int] = set()
    wrong = []
    for w in want:
        hit = [i for i, s in enumerate(segments) if i not in used
               and abs(s["start_s"] - w["start_s"]) <= EDGE_TOL_S and abs(s["end_s"] - w["end_s"]) <= EDGE_TOL_S
               and str(s.get("type", "")).strip().lower().replace("-", "_") == w["type"]]
        if hit:
            used.add(hit[0])
        else:
            wrong.append(f"{w['type']} {w['start_s']:.1f}-{w['end_s']:.1f} s not found (edges within {EDGE_TOL_S:g} s)")
    wrong += [f"unexpected segment {s['start_s']:.1f}-{s['end_s']:.1f} s" for i, s in enumerate(segments)
              if i not in used]
    _share(g, "excluded segments (lead-off, artefact)", len(used), len(want), wrong, 1.5)


def _grade_events(g: Grading, name: str, want: list[dict], found: list[dict] | None,
                  same: Any, describe: Any, weight: float) -> None:
    """All-or-share check of a list of events (pauses, VT runs, AF episodes) against the truth."""
    if found is None:
        g.check(name, False, weight=weight, expected=len(want), reason="not a list of objects with the asked fields")
        return
    if not want and not found:
        g.check(name, True, weight=weight, expected="none", found="none")
        return
    used: set[int] = set()
    wrong = []
    for w in want:
        hit = [i for i, f in enumerate(found) if i not in used and same(f, w)]
        if hit:
            used.add(hit[0])
        else:
            wrong.append(f"{describe(w)} not found")
    wrong += [f"unexpected {describe(f)}" for i, f in enumerate(found) if i not in used]
    _share(g, name, len(used), len(want), wrong, weight)


def _share(g: Grading, name: str, matched: int, total: int, wrong: list[str], weight: float) -> None:
    """Scored by the share of expected items found; an unexpected item alone keeps it from passing."""
    total = max(total, 1)
    right = matched if not wrong else min(matched, total - 1)
    g.share(name, right, total, wrong=wrong, weight=weight, noun="items")


def _extreme_minute(ref: dict, found: Any, extreme: float) -> bool:
    """The reported minute start is a rated minute whose true rate is within 0.5 bpm of the extreme
    (two minutes that close are equally right)."""
    start = _num(found)
    if start is None or start % 60:
        return False
    rate = ref["minute_rates"].get(str(int(start // 60)))
    return rate is not None and abs(rate - extreme) <= 0.5


def _own_analysis(summary: dict, beats: list[tuple[int, int]], fs: int, duration: float,
                  segments: list[dict] | None) -> dict:
    own_segments = [(s["start_s"], s["end_s"]) for s in segments or []]
    times = np.array([s / fs for s, _ in beats])
    labels = ["V" if c in VENTRICULAR_CODES else "N" for _, c in beats]
    return {"hr": method.heart_rate_summary(times, own_segments, duration),
            "pvc": method.pvc_count(times, labels, own_segments),
            "pauses": method.pauses(times, own_segments),
            "vt": method.vt_runs(times, labels, own_segments),
            "analysable": duration - sum(e - s for s, e in own_segments)}


# ------------------------------------------------------------------------------------------
# grade
# ------------------------------------------------------------------------------------------


def grade(g: Grading) -> None:
    ref = g.reference_json("reference.json")
    if not g.require_files("beats.atr", "holter_summary.json"):
        return
    try:
        annotations = read_annotations(g.output("beats.atr"))
    except (OSError, ValueError) as exc:
        g.check("beats.atr is a WFDB (MIT-format) annotation file", False, gate=True, weight=0, reason=str(exc))
        return
    summary = g.read_json("holter_summary.json")
    if summary is None:
        return
    if not isinstance(summary, dict):
        g.check("holter_summary.json is an object", False, gate=True, weight=0)
        return
    beats = sorted((s, c) for s, c in annotations if c in BEAT_CODES)
    if not g.check("beats.atr holds beat annotations", len(beats) > 0, gate=True, weight=0,
                   found=len(beats), reason="" if beats else "no beat labels (N, V, ...)"):
        return
    fs, duration = ref["fs"], ref["duration_s"]

    _grade_beats(g, ref, beats)
    segments = _records(summary, "excluded_segments", ("start_s", "end_s"))
    _grade_segments(g, ref, segments)
    g.number("analysable time (s)", summary.get("analysable_time_s"), ref["analysable_time_s"], abs_tol=15.0)

    for key, tol, weight in (("min_hr_bpm", 1.0, 1.0), ("mean_hr_bpm", 1.0, 1.0), ("max_hr_bpm", 1.0, 1.0)):
        g.number(f"{key} (rated clock minutes)", summary.get(key), ref[key], abs_tol=tol, weight=weight)
    g.check("minutes of the minimum and maximum heart rate",
            _extreme_minute(ref, summary.get("min_hr_minute_start_s"), ref["min_hr_bpm"])
            and _extreme_minute(ref, summary.get("max_hr_minute_start_s"), ref["max_hr_bpm"]),
            expected=[ref["min_hr_minute_start_s"], ref["max_hr_minute_start_s"]],
            found=[summary.get("min_hr_minute_start_s"), summary.get("max_hr_minute_start_s")])
    g.number("PVC count", summary.get("pvc_count"), ref["pvc_count"], abs_tol=max(1.0, 0.03 * ref["pvc_count"]))

    pauses = _records(summary, "pauses", ("start_s", "duration_s"))
    _grade_events(g, "pauses over 2.0 s (time and duration)", ref["pauses"], pauses,
                  lambda f, w: abs(f["start_s"] - w["start_s"]) <= 0.3 and abs(f["duration_s"] - w["duration_s"]) <= 0.15,
                  lambda p: f"pause at {p['start_s']:.1f} s ({p['duration_s']:.2f} s)", 1.5)
    runs = _records(summary, "vt_runs", ("start_s", "beats", "rate_bpm"))
    _grade_events(g, "VT runs (start, beats, rate)", ref["vt_runs"], runs,
                  lambda f, w: abs(f["start_s"] - w["start_s"]) <= 0.3 and f["beats"] == w["beats"]
                  and abs(f["rate_bpm"] - w["rate_bpm"]) <= 5.0,
                  lambda r: f"run at {r['start_s']:.1f} s ({r['beats']:g} beats)", 1.5)
    episodes = _records(summary, "af_episodes", ("onset_s", "offset_s"))
    _grade_events(g, "AF episodes (onset and offset within 10 s)", ref["af_episodes"], episodes,
                  lambda f, w: abs(f["onset_s"] - w["onset_s"]) <= 10 and abs(f["offset_s"] - w["offset_s"]) <= 10,
                  lambda e: f"AF {e['onset_s']:.0f}-{e['offset_s']:.0f} s", 1.0)
    g.number("AF burden (% of analysable time)", summary.get("af_burden_percent"), ref["af_burden_percent"],
             abs_tol=1.5, weight=1.5)

    own = _own_analysis(summary, beats, fs, duration, segments)
    hr_ok = all(_num(summary.get(k)) is not None and own["hr"][k] is not None
                and abs(_num(summary.get(k)) - own["hr"][k]) <= 0.5
                for k in ("min_hr_bpm", "mean_hr_bpm", "max_hr_bpm"))
    g.check("heart rates follow from beats.atr and the excluded segments by the lab's rules", hr_ok,
            expected={k: own["hr"][k] for k in ("min_hr_bpm", "mean_hr_bpm", "max_hr_bpm")},
            found={k: summary.get(k) for k in ("min_hr_bpm", "mean_hr_bpm", "max_hr_bpm")})
    found_pvc = _num(summary.get("pvc_count"))
    counts_ok = (found_pvc is not None and abs(found_pvc - own["pvc"]) <= 1
                 and pauses is not None and len(pauses) == len(own["pauses"])
                 and runs is not None and len(runs) == len(own["vt"])
                 and _num(summary.get("analysable_time_s")) is not None
                 and abs(_num(summary.get("analysable_time_s")) - own["analysable"]) <= 1.0)
    g.check("PVC count, pauses, VT runs and analysable time follow from beats.atr and the segments", counts_ok,
            expected={"pvc_count": own["pvc"], "pauses": len(own["pauses"]), "vt_runs": len(own["vt"]),
                      "analysable_time_s": round(own["analysable"], 1)},
            found={"pvc_count": summary.get("pvc_count"), "pauses": None if pauses is None else len(pauses),
                   "vt_runs": None if runs is None else len(runs), "analysable_time_s": summary.get("analysable_time_s")})
    burden = _num(summary.get("af_burden_percent"))
    own_burden = (100.0 * sum(e["offset_s"] - e["onset_s"] for e in episodes) / own["analysable"]
                  if episodes is not None and own["analysable"] > 0 else None)
    g.check("AF burden follows from the reported episodes and analysable time",
            burden is not None and own_burden is not None and abs(burden - own_burden) <= 0.2, weight=0.5,
            expected=None if own_burden is None else round(own_burden, 2), found=summary.get("af_burden_percent"))
