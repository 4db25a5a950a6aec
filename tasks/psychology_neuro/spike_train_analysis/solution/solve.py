#!/usr/bin/env python3
"""Oracle for psychology_neuro/spike_train_analysis: a classic threshold + features + k-means sorter.

Band-pass 300-6000 Hz (zero phase), robust noise estimate (median absolute deviation), negative
threshold at 4.5 sigma on any channel, trough alignment with sub-sample refinement, waveform
snippets on all channels, features (per-channel trough depths on a tetrode, waveform PCA on a
single electrode), k-means with the number of clusters chosen as the most that stay well apart along
their Fisher discriminants, then per-unit rates, ISI violations, PSTHs and a Wilcoxon response test.
"""
# ALE-CANARY-734195ff-8860-4dda-b4b4-9674bf8a5454

import csv
import json
import os
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("LOKY_MAX_CPU_COUNT", "2")

import numpy as np
from scipy import signal, stats
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA

IN, OUT = Path(os.environ["ALE_INPUT_DIR"]), Path(os.environ["ALE_OUTPUT_DIR"])
head = json.loads((IN / "recording.json").read_text())
fs, nch = head["sampling_rate_hz"], head["n_channels"]
raw = np.fromfile(IN / head["file"], dtype="<i2").reshape(-1, nch)
data = raw.astype(np.float32) * head["uv_per_bit"]
duration = raw.shape[0] / fs
sos = signal.butter(3, [300, 6000], btype="bandpass", fs=fs, output="sos")
filt = signal.sosfiltfilt(sos, data, axis=0).astype(np.float32)
sigma = np.median(np.abs(filt), axis=0) / 0.6745
z = filt / sigma

# detection: the most negative normalised channel crosses -4.5
worst = z.min(axis=1)
cross = np.flatnonzero((worst[1:] < -4.5) & (worst[:-1] >= -4.5)) + 1
win = int(0.001 * fs)
pre, post = int(0.0006 * fs), int(0.0012 * fs)
peaks = []
for c in cross:
    if c + win >= len(worst) or c < pre:
        continue
    p = c + int(np.argmin(worst[c : c + win]))
    if peaks and p - peaks[-1] < int(0.0008 * fs):
        if worst[p] < worst[peaks[-1]]:
            peaks[-1] = p
        continue
    peaks.append(p)
peaks = np.array([p for p in peaks if pre <= p < len(worst) - post])
chan = np.argmin(z[peaks], axis=1)
y0, y1, y2 = z[peaks - 1, chan], z[peaks, chan], z[peaks + 1, chan]
frac = 0.5 * (y0 - y2) / np.where(y0 - 2 * y1 + y2 == 0, 1, y0 - 2 * y1 + y2)
times = (peaks + np.clip(frac, -0.5, 0.5)) / fs

snips = np.stack([filt[p - pre : p + post] for p in peaks])  # spikes x samples x channels
# features: the leading principal components of the waveforms, all channels together (on a tetrode they
# carry the spatial footprint, which tells apart units on the same channel, and the size along it, which
# tells apart two units with one footprint shape; on a single electrode the waveform's shape)
feats = PCA(n_components=8 if nch > 1 else 3, random_state=0).fit_transform(snips.reshape(len(peaks), -1))

SEPARATION_MIN = 4.0  # a k-means cut through one unit leaves halves about 2.7 apart; two units stand 5 or more apart


def separation(a: np.ndarray, b: np.ndarray) -> float:
    """Distance between two clusters along their Fisher discriminant, in pooled standard deviations."""
    w = np.linalg.solve(np.atleast_2d(np.cov(a.T) + np.cov(b.T)), a.mean(axis=0) - b.mean(axis=0))
    pa, pb = a @ w, b @ w
    return float(abs(pa.mean() - pb.mean()) / np.sqrt((pa.var() + pb.var()) / 2))


def merged(labels: np.ndarray, kept: list[int]) -> tuple[np.ndarray, list[int], float]:
    """Clusters closer than ``SEPARATION_MIN`` merged, the closest pair first (a unit k-means cut in two is
    whole again); the labels, the clusters left and the separation of the closest two of them."""
    labels, kept = labels.copy(), list(kept)
    while len(kept) > 1:
        closest, a, b = min((separation(feats[labels == a], feats[labels == b]), a, b)
                            for a in kept for b in kept if a < b)
        if closest >= SEPARATION_MIN:
            return labels, kept, closest
        labels[labels == b] = a
        kept.remove(b)
    return labels, kept, 0.0


# the number of units: the most clusters (of 2 % of the detected spikes or more; fewer are collisions or
# noise, not a single unit) left well apart after k-means over-clusters and the close ones are merged
best_score, best_labels, clusters = 0.0, np.zeros(len(peaks), dtype=int), [0]
for k in range(2, 9):
    labels = KMeans(n_clusters=k, n_init=4, random_state=0).fit_predict(feats)
    counts = np.bincount(labels, minlength=k)
    labels, kept, closest = merged(labels, [c for c in range(k) if counts[c] >= max(30, 0.02 * len(peaks))])
    if len(kept) > len(clusters):
        best_score, best_labels, clusters = closest, labels, kept
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
    units.append({"unit_id": uid, "n_spikes": len(t), "firing_rate_hz": round(len(t) / duration, 4),
                  "isi_violation_rate": round(float(np.mean(isi < 0.0015)) if isi.size else 0.0, 5),
                  "peak_channel": int(np.argmin(mean_wave.min(axis=0))),
                  "amplitude_uv": round(float(mean_wave.max() - mean_wave.min()), 1),
                  "response": response, "response_p_value": p})
    spike_rows += [(uid, f"{x:.6f}") for x in t]
    psth_rows += [(uid, f"{s:.3f}", f"{r:.4f}") for s, r in zip(edges[:-1], counts_psth / (len(onsets) * 0.025), strict=True)]

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
    "min_cluster_separation": round(best_score, 2), "units": units,
}
(OUT / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
