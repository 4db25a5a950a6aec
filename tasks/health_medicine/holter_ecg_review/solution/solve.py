#!/usr/bin/env python3
"""Oracle: read the Holter record with wfdb, mark lead-off (flat, railed) and artefact segments,
detect QRS complexes on both leads after band-pass filtering, classify beats against the dominant
morphology, write beats.atr with wfdb.wrann and the lab's summary.

The near-miss adversaries (adversaries/_shortcuts.py links here) run this same file under another
name, and that name switches on one shortcut; run as solve.py, none is taken.

ALE-CANARY-9a3c8dec-936f-4e9c-9bde-eb78c7886f60
"""

import itertools
import json
import os
from pathlib import Path

import numpy as np
import wfdb
from scipy import ndimage, signal

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
SHORTCUT = Path(__file__).name.removesuffix(".py")
# the lab's 30 s AF episode minimum; af_any_duration skips it, af_minimum_25_s and af_minimum_40_s take another
AF_MINIMUM_S = {"af_any_duration": 0.0, "af_minimum_25_s": 25.0, "af_minimum_40_s": 40.0}.get(SHORTCUT, 30.0)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last + 1) index of every run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def lead_off(digital: np.ndarray, fs: int) -> np.ndarray:
    """Samples where both leads are flat (unchanged) for over a second."""
    flat = np.all(np.abs(np.diff(digital, axis=0, prepend=digital[:1])) == 0, axis=1)
    return ndimage.binary_opening(flat, structure=np.ones(int(fs)))


def bridge(x: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """The signal with each flat stretch replaced by a straight line between its neighbours."""
    x = x.copy()
    idx = np.arange(x.shape[0])
    good = ~flat
    for lead in range(x.shape[1]):
        x[flat, lead] = np.interp(idx[flat], idx[good], x[good, lead])
    return x


def notch_mains(x: np.ndarray, fs: int) -> np.ndarray:
    """Remove the mains interference (50 or 60 Hz, whichever the spectrum shows) with a notch filter."""
    freqs, power = signal.welch(x[:, 0], fs=fs, nperseg=4 * fs)
    mains = 50 if power[np.argmin(np.abs(freqs - 50))] > power[np.argmin(np.abs(freqs - 60))] else 60
    b, a = signal.iirnotch(mains, 25, fs)
    return signal.filtfilt(b, a, x, axis=0, padlen=3 * fs)


def excluded_segments(flat: np.ndarray, clean: np.ndarray, fs: int) -> list[dict]:
    """Lead-off: both leads flat for over a second. Artefact: the median absolute deviation of the
    filtered signal over 1 s, on both leads, far above what QRS complexes and muscle noise give."""
    win = int(1.0 * fs)
    level = np.min([ndimage.median_filter(np.abs(clean[:, i]), size=win, mode="nearest") for i in range(2)], axis=0)
    noisy = (level > 0.8) & ~flat
    noisy = ndimage.binary_closing(noisy, structure=np.ones(int(4 * fs)))
    noisy = ndimage.binary_opening(noisy, structure=np.ones(int(2 * fs)))
    out = [{"start_s": a / fs, "end_s": b / fs, "type": "lead_off"} for a, b in runs(flat)]
    # artefact edges are blurred by the 1 s window: mark them generously
    out += [{"start_s": max(0.0, a / fs - 0.75), "end_s": min(len(flat), b) / fs + 0.75, "type": "artefact"}
            for a, b in runs(noisy)]
    return sorted(out, key=lambda s: s["start_s"])


def detect_qrs(x: np.ndarray, fs: int, mask: np.ndarray) -> np.ndarray:
    """QRS complexes from the band-passed energy of both leads, with an adaptive threshold."""
    if SHORTCUT == "threshold_detector":  # peaks of MLII above a fixed prominence, no band-pass filtering
        raw = np.where(mask, np.median(x[~mask, 0]), x[:, 0])
        peaks, _ = signal.find_peaks(raw, prominence=0.6, distance=int(0.25 * fs))
        return peaks
    sos = signal.butter(3, [4, 20], btype="bandpass", fs=fs, output="sos")
    bp = signal.sosfiltfilt(sos, x, axis=0, padlen=3 * fs)
    energy = np.sum(bp**2, axis=1)
    energy = ndimage.uniform_filter1d(energy, int(0.08 * fs))
    energy[mask] = 0.0
    candidates, _ = signal.find_peaks(energy, distance=int(0.24 * fs))
    typical = np.median(np.sort(energy[candidates])[-max(1, len(candidates) // 2):])
    # the threshold follows the local QRS energy, capped so that an artefact's tail cannot raise it
    envelope = ndimage.maximum_filter1d(np.minimum(energy, 2.0 * typical), int(5 * fs))
    peaks, _ = signal.find_peaks(energy, height=0.12 * envelope + 1e-9, distance=int(0.24 * fs))
    return peaks


def refine(peaks: np.ndarray, clean: np.ndarray, fs: int) -> np.ndarray:
    """Move each detection to the largest deflection of lead MLII within 80 ms."""
    if SHORTCUT == "threshold_detector":
        return peaks
    w = int(0.08 * fs)
    out = []
    for p in peaks:
        lo, hi = max(0, p - w), min(clean.shape[0], p + w + 1)
        out.append(lo + int(np.argmax(np.abs(clean[lo:hi, 0]))))
    return np.unique(np.array(out, dtype=int))


def premature_as_ventricular(times: np.ndarray) -> list[str]:
    """timing_only: no morphology, V for a beat whose RR is under 0.75 x the median of the last five
    N-N intervals."""
    labels, normal_rr = ["N"], []
    for prev, cur in itertools.pairwise(times):
        rr = cur - prev
        label = "V" if normal_rr and rr < 0.75 * float(np.median(normal_rr[-5:])) else "N"
        if label == "N" and labels[-1] == "N" and rr < 2.0:
            normal_rr.append(rr)
        labels.append(label)
    return labels


def classify(peaks: np.ndarray, smooth: np.ndarray, fs: int) -> list[str]:
    """V when the QRS complex does not correlate with the dominant (median) morphology of both leads,
    at its best alignment within 40 ms."""
    if SHORTCUT == "all_normal":
        return ["N"] * len(peaks)
    if SHORTCUT == "timing_only":
        return premature_as_ventricular(peaks / fs)
    lo, hi, lag = int(0.06 * fs), int(0.09 * fs), int(0.04 * fs)

    def shape(p: int) -> np.ndarray:
        return np.concatenate([smooth[p - lo:p + hi, 0], smooth[p - lo:p + hi, 1]])

    inside = [p for p in peaks if p - lo - lag >= 0 and p + hi + lag < smooth.shape[0]]
    template = np.median(np.array([shape(p) for p in inside]), axis=0)
    labels = []
    for p in peaks:
        if p - lo - lag < 0 or p + hi + lag >= smooth.shape[0]:
            labels.append("N")
            continue
        r = max(np.corrcoef(shape(p + k), template)[0, 1] for k in range(-lag, lag + 1, 2))
        labels.append("N" if r > 0.5 else "V")
    return labels


def valid_rr(times: np.ndarray, segs: list[tuple[float, float]], exclude: bool = True) -> list[tuple[float, float]]:
    """Consecutive beats both in analysable time with no excluded time between them."""

    def inside(t: float) -> bool:
        return any(s <= t <= e for s, e in segs)

    out = []
    for a, b in itertools.pairwise(times):
        if exclude and (inside(a) or inside(b) or any(s < b and e > a for s, e in segs)):
            continue
        out.append((a, b))
    return out


def minute_rates(times: np.ndarray, segs: list[tuple[float, float]], duration: float) -> dict[int, float]:
    exclude = SHORTCUT != "hr_unexcluded"
    rr = valid_rr(times, segs, exclude)
    rates = {}
    for m in range(int(duration // 60)):
        m0, m1 = 60.0 * m, 60.0 * m + 60.0
        if exclude and any(s < m1 and e > m0 for s, e in segs):
            continue
        sel = [b - a for a, b in rr if m0 <= b < m1]
        if sel:
            rates[m] = 60.0 * len(sel) / sum(sel)
    return rates


def af_edges(jumpy: np.ndarray, a: int, b: int) -> tuple[int, int]:
    """A run [a, b) of the smoothed irregularity moved to its outermost irregular successive differences
    (``jumpy``): outward over them (three regular in a row stop it), inward over regular ones. The median over
    25 beats blurs an edge by a few beats, which matters for AF lasting about 30 s."""
    while a > 0 and jumpy[max(0, a - 3):a].any():
        a -= 1
    while b < len(jumpy) and jumpy[b:b + 3].any():
        b += 1
    while a < b - 1 and not jumpy[a]:
        a += 1
    while b > a + 1 and not jumpy[b - 1]:
        b -= 1
    return a, b


def af_episodes(times: np.ndarray, labels: list[str], segs: list[tuple[float, float]]) -> list[dict]:
    """AF where the RR sequence is irregularly irregular: median successive difference over 25 beats
    above 8% of the RR interval, from its first to its last AF beat, lasting at least 30 s."""
    rr = np.diff(times)
    drr = np.abs(np.diff(rr)) / rr[1:]  # drr[i] compares the intervals of beats i, i + 1 and i + 2
    jumpy = drr > 0.08
    irregular = ndimage.median_filter(drr, size=25, mode="nearest") > 0.08
    irregular = ndimage.binary_closing(irregular, structure=np.ones(5))  # bridge a few regular intervals
    episodes = []
    for run in runs(irregular):
        a, b = af_edges(jumpy, *run)
        # the first irregular difference ends on the first AF beat, the last one starts from the last AF beat
        onset, offset = float(times[a + 2]), float(times[b])
        if offset - onset >= AF_MINIMUM_S and not any(s < offset and e > onset for s, e in segs):
            episodes.append({"onset_s": round(onset, 3), "offset_s": round(offset, 3)})
    return episodes


def main() -> None:
    record = wfdb.rdrecord(str(INPUT / "holter"))
    fs = int(record.fs)
    digital = record.d_signal if record.d_signal is not None else record.adc()
    x = record.p_signal
    duration = x.shape[0] / fs
    flat = lead_off(digital, fs)
    x = bridge(x, flat)  # no step into and out of the railed stretch for the filters to ring on
    x = notch_mains(x, fs)
    sos = signal.butter(2, [0.5, 40], btype="bandpass", fs=fs, output="sos")
    clean = signal.sosfiltfilt(sos, x, axis=0, padlen=3 * fs)
    sos = signal.butter(2, [1, 25], btype="bandpass", fs=fs, output="sos")
    smooth = signal.sosfiltfilt(sos, x, axis=0, padlen=3 * fs)  # for morphology: no muscle noise

    segments = excluded_segments(flat, clean, fs)
    segs = [(s["start_s"], s["end_s"]) for s in segments]
    mask = np.zeros(x.shape[0], dtype=bool)  # the segments and 0.5 s either side, where the filters ring
    for s, e in segs:
        mask[max(0, int((s - 0.5) * fs)):int((e + 0.5) * fs) + 1] = True

    peaks = refine(detect_qrs(x, fs, mask), smooth, fs)
    peaks = peaks[~mask[peaks]]
    labels = classify(peaks, smooth, fs)
    wfdb.wrann("beats", "atr", peaks, np.array(labels), fs=fs, write_dir=str(OUTPUT))

    times = peaks / fs
    rates = minute_rates(times, segs, duration)
    lo, hi = min(rates, key=rates.get), max(rates, key=rates.get)
    rr = valid_rr(times, segs, exclude=SHORTCUT != "pauses_unexcluded")
    # pauses_over_2_5_s: the 2.5 s pause convention of many Holter systems instead of the lab's 2.0 s
    pause_s = 2.5 if SHORTCUT == "pauses_over_2_5_s" else 2.0
    pauses = [{"start_s": round(a, 3), "duration_s": round(b - a, 3)} for a, b in rr if b - a > pause_s]
    vt, current = [], []
    for t, lab in [*zip(times, labels, strict=True), (None, "N")]:
        if lab == "V":
            current.append(t)
            continue
        if len(current) >= 3:
            vt.append({"start_s": round(current[0], 3), "beats": len(current),
                       "rate_bpm": round(60 * (len(current) - 1) / (current[-1] - current[0]), 1)})
        current = []
    analysable = duration - sum(e - s for s, e in segs)
    mean_hr = float(np.mean(list(rates.values())))
    if SHORTCUT == "hr_pooled":  # one pooled rate over all valid intervals, not the mean of the rated minutes
        valid = valid_rr(times, segs)
        mean_hr = 60.0 * len(valid) / sum(b - a for a, b in valid)
    episodes = af_episodes(times, labels, segs)
    # burden_of_recording: the recording time taken where the analysable time is asked, for the AF burden (and,
    # on a record without AF, where the burden is 0 on any base, for the reported analysable time)
    burden_base = duration if SHORTCUT == "burden_of_recording" else analysable
    if SHORTCUT == "burden_of_recording" and not episodes:
        analysable = duration
    summary = {
        "record": "holter",
        "sampling_rate_hz": fs,
        "recording_time_s": duration,
        "excluded_segments": [{k: round(v, 2) if k != "type" else v for k, v in s.items()} for s in segments],
        "analysable_time_s": round(analysable, 2),
        "beats_analysed": len(times),
        "min_hr_bpm": round(rates[lo], 1),
        "min_hr_minute_start_s": lo * 60,
        "mean_hr_bpm": round(mean_hr, 1),
        "max_hr_bpm": round(rates[hi], 1),
        "max_hr_minute_start_s": hi * 60,
        "pvc_count": labels.count("V"),
        "pauses": pauses,
        "vt_runs": vt,
        "af_episodes": episodes,
        "af_burden_percent": round(100 * sum(e["offset_s"] - e["onset_s"] for e in episodes) / burden_base, 2),
    }
    (OUTPUT / "holter_summary.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
