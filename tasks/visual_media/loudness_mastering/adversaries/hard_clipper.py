#!/usr/bin/env python3
"""Near miss: a static gain to the target and a hard clipper in place of a true-peak limiter.

The premaster is gained to the target, upsampled 4x, hard-clipped (shaving at least 6 dB off its loudest
peak, more where the ceiling needs it) and downsampled, the clip level lowered until the delivered file's
true peak meets the spec. Few peaks are clipped, so the waveform differs from a smooth gain only at their
tips: the whole programme hardly shows it, the windows that hold those peaks do.

ALE-CANARY-9cd60b9d-c257-44d8-b299-81e790cf977c
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from scipy import signal
from scipy.io import wavfile

INPUT, OUTPUT = Path(os.environ["ALE_INPUT_DIR"]), Path(os.environ["ALE_OUTPUT_DIR"])
SHAVE_DB = 6.0


def ebur128(path: Path) -> dict[str, float]:
    err = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null",
                          "-"], capture_output=True, text=True, check=True).stderr
    summary = err[err.rfind("Summary:"):]
    return {key: float(re.search(pattern, summary).group(1)) for key, pattern in (
        ("integrated_lufs", r"I:\s+(-?[\d.]+)\s+LUFS"), ("loudness_range_lu", r"LRA:\s+(-?[\d.]+)\s+LU"),
        ("true_peak_dbtp", r"Peak:\s+(-?[\d.]+)\s+dBFS"))}


def write_pcm(path: Path, rate: int, audio: np.ndarray, bits: int) -> None:
    """The audio as float, converted by ffmpeg to the delivery's integer PCM."""
    staged = Path(tempfile.gettempdir()) / "clipped.wav"
    wavfile.write(staged, rate, np.clip(audio, -1, 1).T.astype(np.float32))
    subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-y", "-i", str(staged), "-c:a", f"pcm_s{bits}le", str(path)],
                   capture_output=True, check=True)


def main() -> None:
    spec = json.loads((INPUT / "delivery_spec.json").read_text())
    src_rate, data = wavfile.read(INPUT / "premaster.wav")
    audio = data.astype(np.float64) / {np.dtype(np.int16): 32768.0, np.dtype(np.int32): 2.0**31}.get(data.dtype, 1.0)
    audio = audio.reshape(len(audio), -1).T
    if spec["channels"] == 1:
        audio = audio.mean(axis=0, keepdims=True)
    rate = spec["sample_rate_hz"]
    common = math.gcd(rate, src_rate)
    audio = signal.resample_poly(audio, rate // common, src_rate // common, axis=1)
    ceiling, target = spec["max_true_peak_dbtp"], spec["integrated_loudness_lufs"]
    before = ebur128(INPUT / "premaster.wav")
    gain_db, margin_db = target - before["integrated_lufs"], 1.0
    master = OUTPUT / "master.wav"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for _ in range(20):
        up = signal.resample_poly(audio * 10 ** (gain_db / 20), 4, 1, axis=1)
        level = min(10 ** ((ceiling - margin_db) / 20), float(np.max(np.abs(up))) * 10 ** (-SHAVE_DB / 20))
        write_pcm(master, rate, signal.resample_poly(np.clip(up, -level, level), 1, 4, axis=1), spec["bit_depth"])
        measured = ebur128(master)
        if abs(measured["integrated_lufs"] - target) <= 0.2 and measured["true_peak_dbtp"] <= ceiling - 0.1:
            break
        gain_db += target - measured["integrated_lufs"]
        if measured["true_peak_dbtp"] > ceiling - 0.1:
            margin_db += 0.3
    report = {"premaster": before,
              "master": {**measured, "sample_rate_hz": rate, "bit_depth": spec["bit_depth"], "channels": spec["channels"],
                         "duration_s": round(audio.shape[1] / rate, 3)},
              "processing": "gain to target, 4x-oversampled hard clip of the peaks to the true-peak ceiling"}
    (OUTPUT / "loudness_report.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
