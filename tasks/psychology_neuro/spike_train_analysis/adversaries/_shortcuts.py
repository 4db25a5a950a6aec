#!/usr/bin/env python3
"""Near-miss shortcuts on the spike sorting; the script's name picks the shortcut.

- causal_filter: the band-pass runs forward only (sosfilt), so every spike time carries the
  filter's group delay.
- psth_counts: the PSTH is written as summed counts per bin, not spikes/s per trial.
- crossing_times: no trough alignment: each spike is timed, and its waveform cut, at the sample where
  the signal first crosses the threshold (the cheap detector's output), not at its trough.
- rate_over_active_span: a unit's firing rate is taken over the span from its first to its last
  spike, not over the recording.
- amplitude_groups: no clustering: spikes grouped by the channel where they are deepest and split
  by size within a channel (what works while every unit has its own channel or its own amplitude).
- fixed_count: no model selection: k-means with the number of units read off the scenario table of
  the public generator (2 on a single electrode, 4 on a 20 kHz tetrode, 6 on a 25 kHz one) instead
  of chosen from the data.
- memorised_templates: no clustering and no model selection: every unit the public generator's scenario
  table can hold (its waveform shape and per-channel amplitudes, the optional extra unit included) is
  taken as a known template, filtered like the data; each spike goes to the template it fits best by
  least squares (free size within 0.6-1.2), and templates that collect under 2 % of the spikes are
  dropped as absent. On a single electrode, where this is ordinary template matching with two generic
  shapes, the spikes are also timed at the threshold crossing (the crossing_times damage), so the script
  stays a near miss there (as do the two modes below).
- relabelled_templates: memorised_templates under each of the 24 channel relabellings, keeping the one
  whose templates fit the spikes best (the instance relabels its channels and redraws the footprints).
- random_template_nearest: as relabelled_templates, but with each unit's other channels drawn at random
  (only its shape, largest channel and size kept): nearest-template assignment standing in for clustering.
"""
# ALE-CANARY-734195ff-8860-4dda-b4b4-9674bf8a5454

import csv
import json
import os
from itertools import permutations
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("LOKY_MAX_CPU_COUNT", "2")

import numpy as np
from scipy import signal, stats
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score

MODE = Path(__file__).stem  # the shortcut (see the list above)
TEMPLATE_MODES = ("memorised_templates", "relabelled_templates", "random_template_nearest")
IN, OUT = Path(os.environ["ALE_INPUT_DIR"]), Path(os.environ["ALE_OUTPUT_DIR"])
head = json.loads((IN / "recording.json").read_text())
fs, nch = head["sampling_rate_hz"], head["n_channels"]
raw = np.fromfile(IN / head["file"], dtype="<i2").reshape(-1, nch)
data = raw.astype(np.float32) * head["uv_per_bit"]
duration = raw.shape[0] / fs
sos = signal.butter(3, [300, 6000], btype="bandpass", fs=fs, output="sos")
filt = (signal.sosfilt if MODE == "causal_filter" else signal.sosfiltfilt)(sos, data, axis=0).astype(np.float32)
sigma = np.median(np.abs(filt), axis=0) / 0.6745
z = filt / sigma

# on a single electrode the memorised table holds only two generic waveform shapes and rough sizes: replaying
# it there is ordinary template matching (and passes), so that mode is timed at the threshold crossing there
crossing_times = MODE == "crossing_times" or (MODE in TEMPLATE_MODES and nch == 1)
# detection: the most negative normalised channel crosses -4.5
worst = z.min(axis=1)
cross = np.flatnonzero((worst[1:] < -4.5) & (worst[:-1] >= -4.5)) + 1
win = int(0.001 * fs)
pre, post = int(0.0006 * fs), int(0.0012 * fs)
peaks = []
for c in cross:
    if c + win >= len(worst) or c < pre:
        continue
    p = c if crossing_times else c + int(np.argmin(worst[c : c + win]))
    if peaks and p - peaks[-1] < int(0.0008 * fs):
        if worst[p] < worst[peaks[-1]]:
            peaks[-1] = p
        continue
    peaks.append(p)
peaks = np.array([p for p in peaks if pre <= p < len(worst) - post])
chan = np.argmin(z[peaks], axis=1)
y0, y1, y2 = z[peaks - 1, chan], z[peaks, chan], z[peaks + 1, chan]
frac = 0.5 * (y0 - y2) / np.where(y0 - 2 * y1 + y2 == 0, 1, y0 - 2 * y1 + y2)
times = (peaks + (0 if crossing_times else np.clip(frac, -0.5, 0.5))) / fs

snips = np.stack([filt[p - pre : p + post] for p in peaks])  # spikes x samples x channels
depth = -snips.min(axis=1)
# the scenario table of the public generator: per electrode (channels, sampling rate), (shape, amplitudes)
MEMORISED = {
    (1, 30000): [("broad", [132.0]), ("narrow", [114.0]), ("broad", [235.0])],
    (4, 20000): [("broad", [150.0, 95.0, 50.0, 30.0]), ("broad", [80.0, 50.0, 27.0, 16.0]),
                 ("narrow", [115.0, 35.0, 100.0, 70.0]), ("narrow", [35.0, 110.0, 40.0, 95.0]),
                 ("narrow", [40.0, 55.0, 35.0, 150.0])],
    (4, 25000): [("broad", [160.0, 110.0, 70.0, 50.0]), ("narrow", [30.0, 165.0, 80.0, 85.0]),
                 ("broad", [90.0, 130.0, 30.0, 25.0]), ("narrow", [160.0, 50.0, 190.0, 35.0]),
                 ("narrow", [75.0, 24.0, 90.0, 18.0]), ("narrow", [15.0, 85.0, 45.0, 50.0]),
                 ("broad", [50.0, 65.0, 45.0, 165.0])],
}
if MODE == "random_template_nearest":
    # only each unit's shape, largest channel and size there kept; its other channels drawn at random
    draw = np.random.default_rng(7)
    MEMORISED = {key: [(shape, list(max(amp) * np.where(np.arange(len(amp)) == np.argmax(amp), 1.0,
                                                         draw.uniform(0.2, 0.75, len(amp)))))
                       for shape, amp in table] for key, table in MEMORISED.items()}
SHAPES = {"broad": (0.20, 0.55, 0.32, 0.32), "narrow": (0.10, 0.30, 0.16, 0.50)}


def memorised_template(shape: str, amplitudes: list[float]) -> np.ndarray:
    """A memorised unit's waveform, band-passed like the data and cut around its trough like a snippet."""
    s1, d, s2, ratio = SHAPES[shape]
    n = int(0.02 * fs)
    tau = (np.arange(n) - n // 2) / fs * 1000
    wave = -np.exp(-(tau**2) / (2 * s1**2)) + ratio * np.exp(-((tau - d) ** 2) / (2 * s2**2))
    filtered = signal.sosfiltfilt(sos, wave[:, None] * np.array(amplitudes)[None, :], axis=0)
    trough = int(np.argmin((filtered / sigma).min(axis=1)))
    return filtered[trough - pre : trough + post].ravel()


def template_labels(templates: np.ndarray) -> tuple[np.ndarray, float]:
    """Each spike's best-fitting template (least squares, free size within 0.6-1.2) and the total misfit."""
    flat = snips.reshape(len(peaks), -1)
    size = np.clip(flat @ templates.T / (templates**2).sum(axis=1), 0.6, 1.2)
    misfit = ((flat[:, None, :] - size[:, :, None] * templates[None]) ** 2).sum(axis=2)
    return np.argmin(misfit, axis=1), float(misfit.min(axis=1).sum())


if MODE in TEMPLATE_MODES:
    # the memorised footprints as they stand, or under the channel relabelling that fits the recording best
    table = MEMORISED.get((nch, fs), [])
    relabellings = [range(nch)] if MODE == "memorised_templates" else permutations(range(nch))
    fits = [template_labels(np.stack([memorised_template(shape, list(np.array(amp)[list(relabel)]))
                                      for shape, amp in table]))
            for relabel in relabellings]
    best_labels = min(fits, key=lambda fit: fit[1])[0]
    best_k, best_score = len(table), 0.0
elif MODE == "amplitude_groups":
    # no feature space, no clustering: a spike goes to the channel where it is deepest and, within a
    # channel, to the "large" or "small" unit by its depth (split midway between the 5th and 95th
    # percentile when the spread is wide)
    deepest = np.argmax(depth, axis=1)
    size = depth[np.arange(len(peaks)), deepest]
    best_labels = np.zeros(len(peaks), dtype=int)
    for ch in range(nch):
        on = deepest == ch
        if on.sum() < 30:
            continue
        lo, hi = np.percentile(size[on], [5, 95])
        split = hi > 1.6 * lo
        best_labels[on] = 2 * ch + (split & (size[on] > (lo + hi) / 2))
    best_k, best_score = 2 * nch, 0.0
else:
    # features as the oracle's: per-channel trough depths on a tetrode, waveform PCA on one electrode
    feats = snips.min(axis=1) if nch > 1 else PCA(n_components=3, random_state=0).fit_transform(
        snips.reshape(len(peaks), -1))
    best_k, best_score, best_labels = 1, -1.0, np.zeros(len(peaks), dtype=int)
    sample = np.random.default_rng(0).choice(len(peaks), min(4000, len(peaks)), replace=False)
    scenario_count = 2 if nch == 1 else {20000: 4, 25000: 6}.get(fs, 4)
    for k in [scenario_count] if MODE == "fixed_count" else range(2, 7):
        labels = KMeans(n_clusters=k, n_init=4, random_state=0).fit_predict(feats)
        score = silhouette_score(feats[sample], labels[sample])
        if score > best_score:
            best_k, best_score, best_labels = k, score, labels
counts = np.bincount(best_labels, minlength=best_k)
smallest = max(30, 0.02 * len(peaks)) if MODE in TEMPLATE_MODES else 30
clusters = [c for c in range(best_k) if counts[c] >= smallest]
amplitude = {c: float(-snips[best_labels == c].mean(axis=0).min()) for c in clusters}
order = sorted(clusters, key=lambda c: -amplitude[c])

onsets = np.loadtxt(IN / "events.csv", delimiter=",", skiprows=1, usecols=1, ndmin=1)
edges = np.round(np.arange(-0.5, 1.0 + 0.0125, 0.025), 6)
units, spike_rows, psth_rows = [], [], []
for uid, c in enumerate(order, 1):
    t = np.sort(times[best_labels == c])
    mean_wave = snips[best_labels == c].mean(axis=0)
    isi = np.diff(t)
    counts_psth = sum(np.histogram(t - o, bins=edges)[0] for o in onsets)
    post_n = np.array([np.sum((t >= o) & (t < o + 0.3)) for o in onsets])
    pre_n = np.array([np.sum((t >= o - 0.3) & (t < o)) for o in onsets])
    p = 1.0 if np.all(post_n == pre_n) else float(stats.wilcoxon(post_n, pre_n).pvalue)
    response = "none" if p >= 0.01 else ("excited" if post_n.mean() > pre_n.mean() else "suppressed")
    span = t[-1] - t[0] if MODE == "rate_over_active_span" else duration
    units.append({"unit_id": uid, "n_spikes": len(t), "firing_rate_hz": round(len(t) / span, 4),
                  "isi_violation_rate": round(float(np.mean(isi < 0.0015)) if isi.size else 0.0, 5),
                  "peak_channel": int(np.argmin(mean_wave.min(axis=0))),
                  "amplitude_uv": round(float(mean_wave.max() - mean_wave.min()), 1),
                  "response": response, "response_p_value": p})
    spike_rows += [(uid, f"{x:.6f}") for x in t]
    psth_rows += [(uid, f"{s:.3f}", f"{r:.4f}") for s, r in zip(edges[:-1], counts_psth / (1.0 if MODE == "psth_counts" else len(onsets) * 0.025), strict=True)]

with open(OUT / "spike_times.csv", "w", newline="") as handle:
    writer = csv.writer(handle)
    writer.writerow(["unit_id", "spike_time_s"])
    writer.writerows(spike_rows)
with open(OUT / "units.csv", "w", newline="") as handle:
    writer = csv.DictWriter(handle, fieldnames=list(units[0]))
    writer.writeheader()
    writer.writerows(units)
with open(OUT / "psth.csv", "w", newline="") as handle:
    writer = csv.writer(handle)
    writer.writerow(["unit_id", "bin_start_s", "rate_hz"])
    writer.writerows(psth_rows)
summary = {
    "sampling_rate_hz": fs, "n_channels": nch, "duration_s": duration, "filter": "Butterworth 300-6000 Hz, zero phase",
    "threshold": "-4.5 x MAD noise estimate", "noise_uv": [round(float(s), 2) for s in sigma],
    "n_detected": len(peaks), "n_units": len(units), "n_spikes_total": len(spike_rows),
    "silhouette": round(float(best_score), 3), "units": units,
}
(OUT / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
