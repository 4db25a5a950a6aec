#!/usr/bin/env python3
"""Plausible fabrication for health_medicine/holter_ecg_review.

Reads only the record's header (sampling rate and length), never the signal: lays beats on a
gently varying 72 bpm rhythm with a PVC every ~50 beats, writes them with wfdb.wrann, and derives a
self-consistent summary from those invented beats (no excluded segments, no pauses, no AF).
"""

import itertools
import json
import math
import os
from pathlib import Path

import numpy as np
import wfdb

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))


def main() -> None:
    first = (IN / "holter.hea").read_text().splitlines()[0].split()
    fs, n = int(float(first[2])), int(first[3])
    duration = n / fs
    times, labels, t, k = [], [], 0.5, 0
    while t < duration - 0.5:
        times.append(t)
        labels.append("V" if k % 50 == 49 else "N")
        t += 60.0 / (72 + 8 * math.sin(2 * math.pi * t / 600))
        k += 1
    samples = np.round(np.array(times) * fs).astype(int)
    wfdb.wrann("beats", "atr", samples, np.array(labels), fs=fs, write_dir=str(OUT))
    rates = []
    for m in range(int(duration // 60)):
        rr = [b - a for a, b in itertools.pairwise(times) if 60 * m <= b < 60 * m + 60]
        rates.append(60 * len(rr) / sum(rr))
    lo, hi = int(np.argmin(rates)), int(np.argmax(rates))
    summary = {
        "excluded_segments": [], "analysable_time_s": duration,
        "min_hr_bpm": round(rates[lo], 1), "min_hr_minute_start_s": 60 * lo,
        "mean_hr_bpm": round(float(np.mean(rates)), 1),
        "max_hr_bpm": round(rates[hi], 1), "max_hr_minute_start_s": 60 * hi,
        "pvc_count": labels.count("V"), "pauses": [], "vt_runs": [], "af_episodes": [], "af_burden_percent": 0.0,
    }
    (OUT / "holter_summary.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
