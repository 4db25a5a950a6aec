#!/usr/bin/env python3
"""Plausible fabrication for psychology_neuro/spike_train_analysis: right files, no real sorting.

It thresholds the unfiltered first channel (so the slow LFP drives many crossings), splits the
crossings into two "units" at the median amplitude without looking at waveforms, and labels
every unit as excited. Rates, ISI figures and PSTHs are computed honestly from those trains, so
the files are internally consistent.
"""
# ALE-CANARY-734195ff-8860-4dda-b4b4-9674bf8a5454

import csv
import json
import os
from pathlib import Path

import numpy as np

IN, OUT = Path(os.environ["ALE_INPUT_DIR"]), Path(os.environ["ALE_OUTPUT_DIR"])
head = json.loads((IN / "recording.json").read_text())
fs, nch = head["sampling_rate_hz"], head["n_channels"]
x = np.fromfile(IN / head["file"], dtype="<i2").reshape(-1, nch)[:, 0].astype(float) * head["uv_per_bit"]
thr = x.mean() - 4 * x.std()
cross = np.flatnonzero((x[1:] < thr) & (x[:-1] >= thr)) + 1
cross = cross[np.concatenate([[True], np.diff(cross) > int(0.002 * fs)])]
amps = x[cross]
labels = np.where(amps < np.median(amps), 1, 2)
onsets = np.loadtxt(IN / "events.csv", delimiter=",", skiprows=1, usecols=1, ndmin=1)
edges = np.round(np.arange(-0.5, 1.0 + 0.0125, 0.025), 6)
duration = len(x) / fs
units, spikes, psth = [], [], []
for uid in (1, 2):
    t = cross[labels == uid] / fs
    isi = np.diff(t)
    units.append({"unit_id": uid, "n_spikes": len(t), "firing_rate_hz": len(t) / duration,
                  "isi_violation_rate": float(np.mean(isi < 0.0015)) if isi.size else 0.0, "peak_channel": 0,
                  "response": "excited"})
    spikes += [(uid, f"{v:.6f}") for v in t]
    counts = sum(np.histogram(t - o, bins=edges)[0] for o in onsets)
    psth += [(uid, f"{s:.3f}", f"{r:.4f}") for s, r in zip(edges[:-1], counts / (len(onsets) * 0.025), strict=True)]
for name, header, rows in (("spike_times.csv", ["unit_id", "spike_time_s"], spikes),
                           ("psth.csv", ["unit_id", "bin_start_s", "rate_hz"], psth)):
    with open(OUT / name, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
with open(OUT / "units.csv", "w", newline="") as handle:
    writer = csv.DictWriter(handle, fieldnames=list(units[0]))
    writer.writeheader()
    writer.writerows(units)
(OUT / "summary.json").write_text(json.dumps({"n_units": 2, "n_spikes_total": len(spikes), "units": units}))
