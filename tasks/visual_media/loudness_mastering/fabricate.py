#!/usr/bin/env python3
"""Plausible fabrication: a naive RMS-based gain with sample clipping, linear-interpolation resampling,
and a report that simply restates the spec's targets instead of measuring anything.
"""

from __future__ import annotations

import json
import math
import os
import struct
from pathlib import Path

INPUT = Path(os.environ["ALE_INPUT_DIR"])
OUTPUT = Path(os.environ["ALE_OUTPUT_DIR"])


def read(path: Path) -> tuple[int, int, list[list[float]]]:
    data = path.read_bytes()
    pos, fmt, raw = 12, b"", b""
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if cid == b"fmt ":
            fmt = data[pos + 8:pos + 8 + size]
        elif cid == b"data":
            raw = data[pos + 8:pos + 8 + size]
        pos += 8 + size + (size & 1)
    tag, ch, rate, _, _, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == 3:
        vals = list(struct.unpack(f"<{len(raw) // 4}f", raw))
    elif bits == 16:
        vals = [v / 32768 for v in struct.unpack(f"<{len(raw) // 2}h", raw)]
    else:
        vals = [int.from_bytes(raw[i:i + 3], "little", signed=True) / 8388608 for i in range(0, len(raw), 3)]
    return rate, ch, [vals[c::ch] for c in range(ch)]


def main() -> None:
    spec = json.loads((INPUT / "delivery_spec.json").read_text())
    rate, ch, chans = read(INPUT / "premaster.wav")
    if spec["channels"] == 1:
        chans = [[sum(f) / ch for f in zip(*chans, strict=True)]]
    rms = math.sqrt(sum(v * v for c in chans for v in c) / sum(len(c) for c in chans))
    gain = 10 ** ((spec["integrated_loudness_lufs"] + 3 - 20 * math.log10(rms)) / 20)
    ceiling = 10 ** (spec["max_true_peak_dbtp"] / 20)
    out_rate, bits = spec["sample_rate_hz"], spec["bit_depth"]
    n = int(len(chans[0]) * out_rate / rate)
    scale = 2 ** (bits - 1) - 1
    frames = bytearray()
    for i in range(n):
        x = i * rate / out_rate
        j = min(int(x), len(chans[0]) - 2)
        for c in chans:
            v = (c[j] + (c[j + 1] - c[j]) * (x - j)) * gain
            q = int(max(-ceiling, min(ceiling, v)) * scale)
            frames += q.to_bytes(bits // 8, "little", signed=True)
    nch = len(chans)
    fmt = struct.pack("<HHIIHH", 1, nch, out_rate, out_rate * nch * bits // 8, nch * bits // 8, bits)
    body = b"WAVEfmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(frames)) + bytes(frames)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "master.wav").write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    premaster_db = round(20 * math.log10(rms), 1)
    report = {
        "premaster": {"integrated_lufs": premaster_db, "true_peak_dbtp": -1.0, "loudness_range_lu": 8.0},
        "master": {"integrated_lufs": spec["integrated_loudness_lufs"], "true_peak_dbtp": spec["max_true_peak_dbtp"],
                   "loudness_range_lu": 8.0, "sample_rate_hz": out_rate, "bit_depth": bits, "channels": nch,
                   "duration_s": round(n / out_rate, 3)},
        "processing": "gain and limiting",
    }
    (OUTPUT / "loudness_report.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
