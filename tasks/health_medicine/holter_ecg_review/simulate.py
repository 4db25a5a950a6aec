"""Synthesis of a two-lead ambulatory ECG with a known beat-by-beat truth.

``simulate(params)`` returns the truth (beat times and labels, the lead-off and artefact segments,
the AF episodes, the AF burst too short for an episode, the designed pauses) and the two leads in
millivolts. Everything is drawn from ``params["seed"]``: the same parameters give the same
recording.

The rhythm is planned first (sinus rate with a rest and an exercise period, isolated PVCs (most
early with a full compensatory pause, some late-coupled or interpolated) and couplets, premature
atrial beats about as often as PVCs (normal QRS, mostly resetting the sinus node), a burst of AF
a little under the lab's 30 s episode minimum and an episode of AF a little over it, and per scenario
an AF paroxysm ending in a post-conversion pause, or VT runs and sinus arrests), then each beat is drawn as a sum of Gaussian
waves (P, Q, R, S, T; a wide, discordant complex without P for a ventricular beat), and the
recording's quirks are added: respiratory and drifting baseline wander with electrode "pops", mains
interference, muscle noise with bursts, fibrillatory waves during AF, motion artefact segments and a
lead-off segment (both leads railed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import signal

from . import method

GAIN = 200.0  # adu per mV
RAIL = 2047  # 12-bit format 212
EDGE_GUARD = 8.0  # seconds kept free of ectopy and events either side of an excluded segment
ACTIVITY_GAIN_BPM = (22.0, 32.0)  # sinus rate rise over the minutes around an excluded segment
ACTIVITY_RAMP_S = 6.0
RATED_APART_BPM = 1.5  # |mean of the rated minutes - mean rate over all analysable time|, at least
LONGEST_ORDINARY_RR = 1.8  # every RR that is not a designed pause stays below this (s)
PAC_COMPENSATED = 0.3  # share of premature atrial beats that do not reset the sinus node
UNTIMELY_PVC_RATE = 0.005  # late-coupled or interpolated PVCs, per sinus beat
NOISE_WARMUP_S = 10.0
PAUSE_CONVENTION_S = 2.5  # the pause threshold of many Holter systems (the lab's is 2.0 s)
SHORT_ARREST_S = (2.3, 2.45)  # an arrest between the two thresholds, clear of both
AF_QUIET_S = 30.0  # seconds either side of AF (a paroxysm or a burst) without premature atrial beats or untimely PVCs
# AF either side of the lab's 30 s episode minimum (read to a beat or two), so that a minimum of 25 s or 40 s
# changes the episodes
AF_BURST_S = (26.0, 27.5)  # a run of AF too short for an episode
AF_SHORT_EPISODE_S = (33.0, 39.0)  # the shortest kind of episode
AF_RUNS = ("af_burst", "af_episode")  # the kinds of those two events
AF_BURST_APART_S = 60.0  # seconds of sinus rhythm at least between two runs of AF


class PlacementError(RuntimeError):
    """The drawn events do not fit the recording: draw again."""


@dataclass
class Truth:
    fs: int
    duration_s: float
    beats: list[tuple[float, str]] = field(default_factory=list)  # (R-peak time s, "N" | "V")
    excluded: list[tuple[float, float, str]] = field(default_factory=list)  # (start s, end s, type)
    af: list[tuple[float, float]] = field(default_factory=list)  # paroxysm (first AF beat s, last AF beat s)
    af_short: list[tuple[float, float]] = field(default_factory=list)  # AF episodes just over 30 s
    af_bursts: list[tuple[float, float]] = field(default_factory=list)  # AF under 30 s: no episode
    designed_pauses: list[tuple[float, float]] = field(default_factory=list)  # (start s, duration s)

    def episodes(self) -> list[tuple[float, float]]:
        """Every AF episode (AF of at least 30 s), in time order."""
        return sorted([*self.af, *self.af_short])


# ------------------------------------------------------------------------------------------
# planning
# ------------------------------------------------------------------------------------------


def _place_segments(rng: np.random.Generator, duration: float) -> list[tuple[float, float, str]]:
    """One lead-off and two motion-artefact segments, their edges away from clock-minute boundaries."""
    wanted = [("lead_off", 45.0, 100.0), ("artefact", 10.0, 28.0), ("artefact", 8.0, 22.0)]
    placed: list[tuple[float, float, str]] = []
    for kind, shortest, longest in wanted:
        for _ in range(10_000):
            length = float(rng.uniform(shortest, longest))
            start = float(rng.uniform(90.0, duration - 90.0 - length))
            end = start + length
            if any(not 6.0 <= edge % 60.0 <= 54.0 for edge in (start, end)):
                continue
            if any(start < e + 100.0 and end > s - 100.0 for s, e, _ in placed):
                continue
            placed.append((round(start, 2), round(end, 2), kind))
            break
        else:
            raise PlacementError("could not place the excluded segments")
    return sorted(placed)


def _free(t0: float, t1: float, busy: list[tuple[float, float]]) -> bool:
    return all(t1 < s or t0 > e for s, e in busy)


def _place_event(rng: np.random.Generator, length: float, busy: list[tuple[float, float]],
                 lo: float, hi: float) -> float:
    for _ in range(10_000):
        start = float(rng.uniform(lo, hi - length))
        if _free(start - EDGE_GUARD, start + length + EDGE_GUARD, busy):
            busy.append((start, start + length))
            return start
    raise PlacementError("could not place an event")


def _sinus_rate(rng: np.random.Generator, duration: float, busy: list[tuple[float, float]],
                activity: list[tuple[float, float, float]]):
    """Heart rate (bpm) as a function of time: a resting baseline, a slow drift, one exercise bout
    and one rest period (kept out of the excluded segments so that the extremes are rated), and the
    activity that went with each excluded segment (``activity``: start, end, rise in bpm)."""
    base = float(rng.uniform(66, 76))
    knots = np.arange(0.0, duration + 60.0, 60.0)
    drift = rng.normal(0.0, 3.0, knots.size)
    ex_len, rest_len = float(rng.uniform(130, 200)), float(rng.uniform(130, 200))
    ex0 = _place_event(rng, ex_len, busy, 60.0, duration - 60.0)
    rest0 = _place_event(rng, rest_len, busy, 60.0, duration - 60.0)
    ex_gain, rest_drop = float(rng.uniform(30, 45)), float(rng.uniform(8, 12))

    def bump(t: float, t0: float, length: float) -> float:
        ramp = 25.0
        up = min(1.0, max(0.0, (t - t0) / ramp))
        down = min(1.0, max(0.0, (t0 + length - t) / ramp))
        return min(up, down)

    def rate(t: float) -> float:
        return (base + float(np.interp(t, knots, drift)) + ex_gain * bump(t, ex0, ex_len)
                - rest_drop * bump(t, rest0, rest_len)
                + sum(gain * min(1.0, max(0.0, (t - a0) / ACTIVITY_RAMP_S), max(0.0, (a1 - t) / ACTIVITY_RAMP_S))
                      for a0, a1, gain in activity))

    return rate


def _activity(rng: np.random.Generator, excluded: list[tuple[float, float, str]],
              extra: float) -> list[tuple[float, float, float]]:
    """The patient was moving when the electrodes came off or the signal was lost to motion: the
    sinus rate is raised over the clock minutes each excluded segment touches (start, end, rise in
    bpm). Those minutes are not rated, so the rated minutes and the rest of the analysable time keep
    different mean rates."""
    out = []
    for start, end, _ in excluded:
        m0, m1 = 60.0 * math.floor(start / 60.0), 60.0 * math.ceil(end / 60.0)
        out.append((m0, m1, float(rng.uniform(*ACTIVITY_GAIN_BPM)) + extra))
    return out


def _rated_apart(truth: Truth) -> bool:
    """The mean of the rated minutes and the mean rate over all analysable time differ clearly."""
    times = np.array([t for t, _ in truth.beats])
    segments = [(s, e) for s, e, _ in truth.excluded]
    rates = method.minute_rates(times, segments, truth.duration_s)
    intervals = method.valid_intervals(times, segments)
    pooled = 60.0 * len(intervals) / sum(b - a for a, b in intervals)
    return abs(pooled - float(np.mean(list(rates.values())))) >= RATED_APART_BPM


def plan_rhythm(params: dict, rng: np.random.Generator) -> Truth:
    """Beat times and labels with their segments and events; redrawn (from the same generator) when
    the events cannot all be placed. The activity around the excluded segments comes from a stream
    of its own (so that the other draws do not shift), stronger on each attempt until the rated
    minutes stand apart from the rest of the analysable time."""
    activity = np.random.default_rng([int(params["seed"]) % 2**32, 1])
    state = rng.bit_generator.state
    for attempt in range(12):
        rng.bit_generator.state = state
        for _ in range(100):
            try:
                truth = _plan_once(params, rng, activity, 4.0 * attempt)
                break
            except PlacementError:
                continue
        else:
            raise RuntimeError("no rhythm plan fits the recording")  # pragma: no cover
        if _rated_apart(truth):
            return truth
    raise RuntimeError("no rhythm plan sets the rated minutes apart")  # pragma: no cover


def _shorten_an_arrest(events: list[tuple[float, str, float]], short: np.random.Generator) -> None:
    """When every arrest is longer than PAUSE_CONVENTION_S, one of them (drawn from ``short``, a stream of its own)
    becomes a short one: a pause only the lab's 2.0 s rule reports, so that a 2.5 s or 3 s convention misses it."""
    arrests = [i for i, (_, kind, _) in enumerate(events) if kind == "arrest"]
    if all(events[i][2] > PAUSE_CONVENTION_S for i in arrests):
        i = arrests[int(short.integers(len(arrests)))]
        events[i] = (events[i][0], "arrest", float(short.uniform(*SHORT_ARREST_S)))


def _plan_once(params: dict, rng: np.random.Generator, activity: np.random.Generator, extra: float) -> Truth:
    fs = int(params["fs"])
    duration = float(params["minutes"]) * 60.0
    truth = Truth(fs=fs, duration_s=duration, excluded=_place_segments(rng, duration))
    busy = [(s - EDGE_GUARD, e + EDGE_GUARD) for s, e, _ in truth.excluded]
    scenario = params["scenario"]
    # events: (start time, kind, detail), placed away from segments and each other
    events: list[tuple[float, str, float]] = []
    if scenario == "af_paroxysm":
        af_len = float(rng.uniform(220, 330))
        events.append((_place_event(rng, af_len + 10.0, busy, 120.0, duration - 60.0), "af", af_len))
    unsettled = list(busy)  # runs of AF may fall in the exercise and rest periods placed next
    rate = _sinus_rate(rng, duration, busy, _activity(activity, truth.excluded, extra))
    for _ in range(3 if scenario == "vt_pauses" else 0):
        events.append((_place_event(rng, 10.0, busy, 40.0, duration - 30.0), "vt", float(rng.integers(3, 12))))
    for _ in range(3 if scenario == "vt_pauses" else 1):
        events.append((_place_event(rng, 8.0, busy, 40.0, duration - 30.0), "arrest", float(rng.uniform(2.3, 3.6))))
    _shorten_an_arrest(events, np.random.default_rng([int(params["seed"]) % 2**32, 3]))
    events.sort()
    for _ in range(4):
        events.append((_place_event(rng, 4.0, busy, 30.0, duration - 30.0), "couplet", 2.0))
    burst = np.random.default_rng([int(params["seed"]) % 2**32, 4])
    events.append(_af_run(burst, "af_burst", AF_BURST_S, events, unsettled, duration))
    events.append(_af_run(burst, "af_episode", AF_SHORT_EPISODE_S, events, unsettled, duration))
    events.sort()

    resp_f = float(rng.uniform(0.2, 0.3))
    ectopy_ok = [(s - EDGE_GUARD, e + EDGE_GUARD) for s, e, _ in truth.excluded]
    pvc_rate = float(rng.uniform(0.015, 0.03))
    # premature atrial beats and the PVCs that timing does not betray come from a stream of their own
    ectopy = np.random.default_rng([int(params["seed"]) % 2**32, 2])
    pac_rate = float(ectopy.uniform(0.015, 0.03))
    # they and the early PVCs stay clear of the edges of AF, which the lab reads to within 10 s (and the 30 s
    # minimum, to a beat): a cluster of them beside it would read as AF lasting longer
    ectopy_quiet = ectopy_ok + [(start - AF_QUIET_S, start + length + AF_QUIET_S)
                                for start, kind, length in events if kind.startswith("af")]
    beats: list[tuple[float, str]] = []
    t = float(rng.uniform(0.3, 0.9))
    beats.append((t, "N"))
    queue = list(events)
    while t < duration - 0.5:
        # respiratory sinus arrhythmia and a little beat-to-beat jitter
        rr = 60.0 / rate(t) * (1.0 + 0.03 * math.sin(2 * math.pi * resp_f * t) + 0.012 * rng.standard_normal())
        if queue and t + rr >= queue[0][0]:
            _, kind, detail = queue.pop(0)
            t = _insert_event(burst if kind in AF_RUNS else rng, truth, beats, t, rr, kind, detail, rate)
            continue
        quiet = not _free(t - 2.0, t + 2.0 * rr + 2.0, ectopy_quiet)
        if not quiet and rr < 0.88 and rng.random() < pvc_rate:
            coupling = max(0.38, rr * float(rng.uniform(0.5, 0.62)))
            beats.append((t + coupling, "V"))
            t += 2.0 * rr  # full compensatory pause
        elif not quiet and rr >= 0.5 and ectopy.random() < pac_rate:
            t = _premature_atrial(ectopy, beats, t, rr)
        elif not quiet and rr >= 0.6 and ectopy.random() < UNTIMELY_PVC_RATE:
            t = _untimely_pvc(ectopy, beats, t, rr)
        else:
            t += rr
        beats.append((t, "N"))
    truth.beats = [(round(b, 4), lab) for b, lab in beats if b < duration - 0.3]
    _assert_rr(truth)
    return truth


def _af_run(burst: np.random.Generator, kind: str, lengths: tuple[float, float], events: list[tuple[float, str, float]],
            busy: list[tuple[float, float]], duration: float) -> tuple[float, str, float]:
    """A run of AF of a length in ``lengths`` (``kind`` one of AF_RUNS), drawn from ``burst``, a stream of its own, and
    placed well apart from the other AF and AF_QUIET_S clear of the other events (their irregular beats would
    lengthen it)."""
    length = float(burst.uniform(*lengths))
    apart = [(start - AF_BURST_APART_S, start + detail + AF_BURST_APART_S) if other.startswith("af")
             else (start - AF_QUIET_S, start + AF_QUIET_S) for start, other, detail in events]
    return _place_event(burst, length, busy + apart, 60.0, duration - 60.0), kind, length


def _af_beats(rng: np.random.Generator, beats: list, t: float, length: float) -> tuple[float, tuple[float, float]]:
    """Append irregularly irregular conducted beats for ``length`` seconds after the beat at ``t``; return the time of
    the last one and (first, last) AF beat."""
    end = t + length
    while True:
        rr_af = float(np.clip(rng.normal(0.62, 0.14), 0.36, 1.45))
        while abs(rr_af - (t - beats[-2][0] if len(beats) > 1 else 0.0)) < 0.03:  # irregularly irregular
            rr_af = float(np.clip(rng.normal(0.62, 0.14), 0.36, 1.45))
        nxt = t + rr_af
        if nxt > end:
            break
        label = "V" if rng.random() < 0.01 and nxt - t > 0.45 else "N"
        beats.append((nxt, label))
        t = nxt
    af_beats = [b for b, _ in beats if b > end - length - 1e-9]
    return t, (round(af_beats[0], 4), round(af_beats[-1], 4))


def _premature_atrial(ectopy: np.random.Generator, beats: list, t: float, rr: float) -> float:
    """Append a premature supraventricular beat (a normal QRS complex) after the sinus beat at ``t``;
    return the time of the next sinus beat. The sinus node is usually reset (no compensatory pause),
    sometimes not (a full compensatory pause, as after a PVC)."""
    coupling = max(0.36, rr * float(ectopy.uniform(0.5, 0.75)))
    beats.append((t + coupling, "N"))
    if rr < 1.0 and ectopy.random() < PAC_COMPENSATED:
        return t + 2.0 * rr
    return t + coupling + rr * float(ectopy.uniform(1.0, 1.1))


def _untimely_pvc(ectopy: np.random.Generator, beats: list, t: float, rr: float) -> float:
    """Append a PVC that prematurity alone does not reveal after the sinus beat at ``t``; return the
    time of the next sinus beat. At a slow rate it may be interpolated (no pause: the next sinus beat
    comes only a little late, after the PVC's T wave); otherwise it is late-coupled (end-diastolic,
    barely premature) with a full compensatory pause."""
    if rr >= 0.85 and ectopy.random() < 0.5:
        coupling = rr * float(ectopy.uniform(0.42, 0.5))
        beats.append((t + coupling, "V"))
        return t + max(rr * float(ectopy.uniform(1.04, 1.12)), coupling + 0.56)
    beats.append((t + rr * float(ectopy.uniform(0.7, 0.92)), "V"))
    return t + 2.0 * rr


def _insert_event(rng: np.random.Generator, truth: Truth, beats: list, t: float, rr: float, kind: str,
                  detail: float, rate) -> float:
    """Append the beats of one event after the sinus beat at ``t``; return the time of the last beat."""
    if kind == "af":
        t, span = _af_beats(rng, beats, t, detail)
        truth.af.append(span)
        pause = float(rng.uniform(2.4, 3.4))  # post-conversion pause, then sinus resumes
        truth.designed_pauses.append((round(t, 4), round(pause, 4)))
        beats.append((t + pause, "N"))
        return t + pause
    if kind in AF_RUNS:  # sinus rhythm resumes without a pause
        t, span = _af_beats(rng, beats, t, detail)
        (truth.af_bursts if kind == "af_burst" else truth.af_short).append(span)
        return t
    if kind == "vt":
        n = int(detail)
        vt_rr = 60.0 / float(rng.uniform(150, 185))
        t += max(0.36, 0.45 * rr)
        beats.append((t, "V"))
        for _ in range(n - 1):
            t += vt_rr * (1.0 + 0.03 * rng.standard_normal())
            beats.append((t, "V"))
        t += 1.3 * rr
        beats.append((t, "N"))
        return t
    if kind == "arrest":
        truth.designed_pauses.append((round(t, 4), round(detail, 4)))
        t += detail
        beats.append((t, "N"))
        return t
    if kind == "couplet":
        t += max(0.38, 0.55 * rr)
        beats.append((t, "V"))
        t += float(rng.uniform(0.38, 0.48))
        beats.append((t, "V"))
        t += 1.4 * rr
        beats.append((t, "N"))
        return t
    raise ValueError(kind)


def _assert_rr(truth: Truth) -> None:
    times = np.array([b for b, _ in truth.beats])
    rr = np.diff(times)
    designed = {round(s, 4) for s, _ in truth.designed_pauses}
    for i, gap in enumerate(rr):
        if round(float(times[i]), 4) in designed:
            assert gap >= 2.3, gap
        else:
            assert gap < LONGEST_ORDINARY_RR, (times[i], gap)
    assert rr.min() > 0.28


# ------------------------------------------------------------------------------------------
# waveform
# ------------------------------------------------------------------------------------------

# (offset s, amplitude mV lead 0, amplitude mV lead 1, sigma s)
NORMAL_WAVES = [(-0.165, 0.13, 0.07, 0.022),  # P
                (-0.028, -0.09, -0.05, 0.008),  # Q
                (0.0, 1.15, 0.75, 0.0105),  # R
                (0.027, -0.28, -0.45, 0.009),  # S
                ]
V_WAVES = [(-0.012, 0.25, -0.35, 0.02),
           (0.0, 1.45, -1.25, 0.032),
           (0.075, -0.45, 0.35, 0.03),
           ]


def _add(out: np.ndarray, fs: int, center: float, amp0: float, amp1: float, sigma: float) -> None:
    lo = max(0, int((center - 4 * sigma) * fs))
    hi = min(out.shape[1], int((center + 4 * sigma) * fs) + 2)
    if hi <= lo:
        return
    t = np.arange(lo, hi) / fs
    g = np.exp(-0.5 * ((t - center) / sigma) ** 2)
    out[0, lo:hi] += amp0 * g
    out[1, lo:hi] += amp1 * g


def draw_beats(truth: Truth, rng: np.random.Generator, n: int) -> np.ndarray:
    fs = truth.fs
    ecg = np.zeros((2, n))
    lead_scale = rng.uniform(0.85, 1.15, 2)
    resp_f = float(rng.uniform(0.2, 0.3))
    in_af = [(s - 1.0, e + 0.1) for s, e in [*truth.af, *truth.af_short, *truth.af_bursts]]
    prev = truth.beats[0][0] - 0.8
    for tb, label in truth.beats:
        rr = min(1.5, max(0.3, tb - prev))
        prev = tb
        mod = (1.0 + 0.07 * math.sin(2 * math.pi * resp_f * tb)) * float(rng.uniform(0.95, 1.05))
        s0, s1 = lead_scale * mod
        if label == "N":
            af = any(s <= tb <= e for s, e in in_af)
            for i, (off, a0, a1, sg) in enumerate(NORMAL_WAVES):
                if i == 0 and af:
                    continue
                _add(ecg, fs, tb + off, a0 * s0, a1 * s1, sg)
            qt = 0.40 * math.sqrt(rr)
            _add(ecg, fs, tb + 0.62 * qt + 0.04, 0.30 * s0, 0.22 * s1, 0.048)
        else:
            for off, a0, a1, sg in V_WAVES:
                _add(ecg, fs, tb + off, a0 * s0, a1 * s1, sg)
            _add(ecg, fs, tb + 0.31 * min(1.0, rr / 0.6) ** 0.5 + 0.03, -0.5 * s0, 0.42 * s1, 0.07)
    return ecg


def _band_noise(rng: np.random.Generator, n: int, fs: int, lo: float | None, hi: float | None) -> np.ndarray:
    """Band-limited noise of unit variance, filtered from NOISE_WARMUP_S before to after its span
    (so that no filter start-up transient rails the record's first second)."""
    pad = int(NOISE_WARMUP_S * fs)
    x = rng.standard_normal(n + 2 * pad)
    if lo and hi:
        sos = signal.butter(4, [lo, hi], btype="bandpass", fs=fs, output="sos")
    elif hi:
        sos = signal.butter(4, hi, btype="lowpass", fs=fs, output="sos")
    else:
        sos = signal.butter(4, lo, btype="highpass", fs=fs, output="sos")
    y = signal.sosfiltfilt(sos, x)[pad:pad + n]
    return y / (y.std() + 1e-12)


def add_quirks(ecg: np.ndarray, truth: Truth, rng: np.random.Generator, mains_hz: float) -> np.ndarray:
    fs, n = truth.fs, ecg.shape[1]
    t = np.arange(n) / fs
    out = ecg.copy()
    for lead in range(2):
        resp = float(rng.uniform(0.10, 0.2)) * np.sin(2 * np.pi * float(rng.uniform(0.2, 0.3)) * t + rng.uniform(0, 6))
        drift = float(rng.uniform(0.35, 0.5)) * _band_noise(rng, n, fs, None, 0.3)
        mains = float(rng.uniform(0.06, 0.11)) * (1 + 0.2 * np.sin(2 * np.pi * 0.01 * t)) * np.sin(
            2 * np.pi * mains_hz * t + rng.uniform(0, 6))
        emg = 0.012 * _band_noise(rng, n, fs, 20.0, min(120.0, 0.45 * fs))
        out[lead] += resp + drift + mains + emg
    # baseline shifts with movement (a rise over a few hundred ms, then a decay), and muscle-noise bursts
    for _ in range(3):
        t0 = float(rng.uniform(30, truth.duration_s - 30))
        step = float(rng.choice([-1, 1]) * rng.uniform(0.6, 1.0))
        rise = float(rng.uniform(0.3, 0.5))
        tail = t >= t0
        dt = t[tail] - t0
        shape = np.where(dt < rise, 0.5 - 0.5 * np.cos(np.pi * np.minimum(dt, rise) / rise), 1.0)
        out[:, tail] += step * shape * np.exp(-np.maximum(dt - rise, 0.0) / float(rng.uniform(1.5, 3.0)))
    for _ in range(3):
        t0 = float(rng.uniform(30, truth.duration_s - 60))
        burst = (t >= t0) & (t < t0 + float(rng.uniform(10, 25)))
        out[:, burst] += 0.12 * _band_noise(rng, int(burst.sum()), fs, 20.0, min(120.0, 0.45 * fs))
    # mains surges while an electrode's impedance is high (analysable, but the interference is large)
    for _ in range(2):
        t0 = float(rng.uniform(30, truth.duration_s - 90))
        surge = (t >= t0) & (t < t0 + float(rng.uniform(30, 60)))
        lead = int(rng.integers(0, 2))
        out[lead, surge] += float(rng.uniform(0.35, 0.5)) * np.sin(2 * np.pi * mains_hz * t[surge])
    for s, e in truth.af:
        _fibrillatory_waves(out, t, fs, s, e, rng)
    # motion artefact and lead-off
    for s, e, kind in truth.excluded:
        sel = (t >= s) & (t < e)
        m = int(sel.sum())
        if kind == "artefact":
            for lead in range(2):
                art = 2.4 * _band_noise(rng, m, fs, 0.7, 12.0)
                spikes = np.zeros(m)
                spikes[rng.integers(0, m, max(1, m // fs))] = rng.normal(0, 4.0, max(1, m // fs))
                out[lead, sel] += art + np.convolve(spikes, np.hanning(max(3, fs // 25)), mode="same")
        else:
            out[:, sel] = RAIL / GAIN
    for s, e in sorted([*truth.af_bursts, *truth.af_short]):  # drawn last, so that the draws before stay as they were
        _fibrillatory_waves(out, t, fs, s, e, rng)
    return out


def _fibrillatory_waves(out: np.ndarray, t: np.ndarray, fs: int, first: float, last: float,
                        rng: np.random.Generator) -> None:
    sel = (t >= first - 1.0) & (t <= last + 0.3)
    f = float(rng.uniform(5.5, 7.0)) + 0.6 * _band_noise(rng, int(sel.sum()), fs, None, 0.5)
    phase = 2 * np.pi * np.cumsum(f) / fs
    out[0, sel] += 0.05 * np.sin(phase)
    out[1, sel] += 0.08 * np.sin(phase + 1.0)


def simulate(params: dict) -> tuple[Truth, np.ndarray]:
    """The truth and the digital signal (int16, two rows, adu at ``GAIN`` per mV)."""
    rng = np.random.default_rng(int(params["seed"]) % 2**32)
    truth = plan_rhythm(params, rng)
    n = int(truth.duration_s * truth.fs)
    ecg = draw_beats(truth, rng, n)
    ecg = add_quirks(ecg, truth, rng, float(params["mains_hz"]))
    digital = np.clip(np.round(ecg * GAIN), -RAIL, RAIL).astype(np.int16)
    return truth, digital
