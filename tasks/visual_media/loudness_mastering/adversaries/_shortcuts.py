#!/usr/bin/env python3
"""Near-miss shortcuts on the loudness master; the script's name picks the shortcut.

- dynamic_loudnorm: one pass of ffmpeg's loudnorm in its dynamic mode (a riding gain, not a
  static one), converted to the delivery format.
- unaligned_limiter: the oracle's chain with the limiter's look-ahead delay left in (latency
  not compensated), so the master lags the premaster by a few milliseconds.
- peak_clipper: gain to the target, then ffmpeg's hard clipper (4x oversampled) in place of a
  limiter, always on, set 3 dB under the ceiling "to be safe": the peaks are sliced off, not turned down.
- bus_compressor: the oracle's chain with a 4:1 bus compressor (threshold -20 dBFS) ahead of the gain
  and the limiter: loud passages are turned down whether or not their peaks need it.
- split_wav: the premaster only gained (no limiter), set quiet enough that no peak nears the ceiling, written
  after an empty first `data` chunk and an unknown chunk holding a sine at the level that makes ffmpeg's
  reading of the file (from the empty data chunk to its end, in the first of two fmt chunks' format) measure
  on target: a player hears the sine, a parser that takes the last fmt and data chunks hears the premaster.
- processing_misreported: the oracle's master with a processing line the master contradicts: no limiter
  where the peaks were limited, else a gain 6 dB off and a limiter ceiling 4 dB under the spec's.

ALE-CANARY-9cd60b9d-c257-44d8-b299-81e790cf977c
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
WORK = Path.home() / "master_work"
MODE = Path(sys.argv[0]).stem


def ffmpeg(*args: str) -> str:
    run = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-y", *args], capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(run.stderr[-2000:])
    return run.stderr


def ebur128(path: Path) -> dict[str, float]:
    err = ffmpeg("-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-")
    summary = err[err.rfind("Summary:"):]
    pick = lambda pattern: float(re.search(pattern, summary).group(1))  # noqa: E731
    return {
        "integrated_lufs": pick(r"I:\s+(-?[\d.]+)\s+LUFS"),
        "loudness_range_lu": pick(r"LRA:\s+(-?[\d.]+)\s+LU"),
        "true_peak_dbtp": pick(r"Peak:\s+(-?[\d.]+)\s+dBFS"),
    }


def probe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["streams"][0]


def master(spec: dict, premaster: Path, target: Path, gain_db: float, ceiling_dbtp: float) -> None:
    """Downmix if needed, gain, a 4x-oversampled look-ahead limiter when the peaks demand it, resample."""
    info = probe(premaster)
    src_channels, src_rate = int(info["channels"]), int(info["sample_rate"])
    layout = "mono" if spec["channels"] == 1 else "stereo"
    chain = [f"aformat=channel_layouts={'mono' if src_channels == 1 else 'stereo'}"]
    if spec["channels"] == 1 and src_channels > 1:
        chain.append("pan=mono|c0=" + "+".join(f"{1 / src_channels:.6f}*c{i}" for i in range(src_channels)))
    if MODE == "bus_compressor":
        chain.append("acompressor=threshold=0.1:ratio=4:attack=20:release=250:makeup=1")
    chain.append(f"volume={gain_db:.3f}dB:precision=double")
    if ceiling_dbtp < 0:
        limit = 10 ** (ceiling_dbtp / 20)
        latency = "false" if MODE == "unaligned_limiter" else "true"
        chain += [f"aresample={4 * src_rate}:resampler=soxr", f"alimiter=limit={limit:.5f}:attack=5:release=60:level=false:latency={latency}"]
        if MODE == "peak_clipper":
            chain[-1] = f"asoftclip=type=hard:threshold={limit:.5f}:oversample=4"
    if MODE == "dynamic_loudnorm":
        loudnorm = f"loudnorm=I={spec['integrated_loudness_lufs']}:TP={spec['max_true_peak_dbtp'] - 0.3}:LRA=7"
        chain = [*chain[:-1], loudnorm]
    dither = ":dither_method=triangular" if spec["bit_depth"] == 16 else ""
    fmt = {16: "s16", 24: "s32", 32: "s32"}[spec["bit_depth"]]
    chain += [f"aresample={spec['sample_rate_hz']}:resampler=soxr{dither}",
              f"aformat=sample_fmts={fmt}:channel_layouts={layout}"]
    codec = {16: "pcm_s16le", 24: "pcm_s24le", 32: "pcm_s32le"}[spec["bit_depth"]]
    ffmpeg("-i", str(premaster), "-af", ",".join(chain), "-c:a", codec, "-map_metadata", "-1", str(target))


def chunks(path: Path) -> dict[bytes, bytes]:
    """The bodies of a RIFF/WAVE file's chunks by id (the last of each id)."""
    data, pos, found = path.read_bytes(), 12, {}
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        found[cid] = data[pos + 8:pos + 8 + size]
        pos += 8 + size + (size & 1)
    return found


def chunk(cid: bytes, body: bytes) -> bytes:
    return cid + struct.pack("<I", len(body)) + body + b"\0" * (len(body) & 1)


def split_wav(spec: dict, premaster: Path, target: Path, before: dict[str, float]) -> dict[str, float]:
    """The file a player and a last-chunk parser hear differently (see the docstring); its ffmpeg figures.

    ffmpeg plays from the empty data chunk to the end of the file in the first fmt chunk's format: the decoy
    (32-bit mono for a 16-bit delivery, so the programme's 16-bit pairs read as quiet 32-bit words), then the
    programme. Chunk sizes are padded so every chunk header read as samples is small, "data" aside (one sample
    at about -2.4 dBFS)."""
    programme = WORK / "programme.wav"
    master(spec, premaster, programme, spec["max_true_peak_dbtp"] - 3.0 - before["true_peak_dbtp"], 0.0)
    parts = chunks(programme)
    frame = spec["channels"] * spec["bit_depth"] // 8
    audio = parts[b"data"] + b"\0" * frame * (-(len(parts[b"data"]) // frame) % 128)
    seconds = len(audio) / (spec["sample_rate_hz"] * frame)
    if spec["bit_depth"] == 16:
        view_rate, view_layout, codec = spec["sample_rate_hz"] * spec["channels"] // 2, "mono", "pcm_s32le"
    else:
        view_rate, view_layout = spec["sample_rate_hz"], "mono" if spec["channels"] == 1 else "stereo"
        codec = {24: "pcm_s24le", 32: "pcm_s32le"}[spec["bit_depth"]]
    level = -3.0
    for _ in range(8):
        decoy = WORK / "decoy.wav"
        ffmpeg("-f", "lavfi", "-i", f"sine=frequency=997:sample_rate={view_rate}:duration={seconds}",
               "-af", f"volume={level:.3f}dB,aformat=channel_layouts={view_layout}", "-c:a", codec, str(decoy))
        view = chunks(decoy)
        align = struct.unpack("<H", view[b"fmt "][12:14])[0]
        sine = view[b"data"]
        lead = b"\0" * (-8 % align)
        while True:
            tail = b"\0" * next(q for q in range(0, 2 * align + 2, 2) if (16 + len(lead) + len(sine) + q) % align == 0)
            junk = lead + sine + tail
            if (len(junk) >> 8) & 0xFF == 0:
                break
            sine += b"\0" * align
        body = (b"WAVE" + chunk(b"fmt ", view[b"fmt "]) + chunk(b"fmt ", parts[b"fmt "]) + b"data" + struct.pack("<I", 0)
                + chunk(b"\0\0\0\0", junk) + chunk(b"data", audio))
        target.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
        measured = ebur128(target)
        if abs(measured["integrated_lufs"] - spec["integrated_loudness_lufs"]) <= 0.1:
            break
        level += spec["integrated_loudness_lufs"] - measured["integrated_lufs"]
    return measured


def main() -> None:
    spec = json.loads((INPUT / "delivery_spec.json").read_text())
    premaster = INPUT / "premaster.wav"
    WORK.mkdir(exist_ok=True)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    target = OUTPUT / "master.wav"
    want, ceiling = spec["integrated_loudness_lufs"], spec["max_true_peak_dbtp"]
    before = ebur128(premaster)
    gain = want - before["integrated_lufs"]
    # Linear gain alone when the peaks stay under the ceiling with room for resampling, else limit.
    limit_at = 0.0 if before["true_peak_dbtp"] + gain <= ceiling - 0.5 else ceiling - 0.6
    if MODE == "split_wav":
        measured = split_wav(spec, premaster, target, before)
    if MODE == "unaligned_limiter":
        limit_at = ceiling - 0.3
    if MODE == "peak_clipper":
        limit_at = ceiling - 3.0
    for _ in range(0 if MODE == "split_wav" else 8):
        master(spec, premaster, target, gain, limit_at)
        measured = ebur128(target)
        error = measured["integrated_lufs"] - want
        if MODE == "dynamic_loudnorm" or (abs(error) <= 0.2 and measured["true_peak_dbtp"] <= ceiling - 0.1):
            break
        gain -= error
        if measured["true_peak_dbtp"] > ceiling - 0.1:
            limit_at = min(limit_at, ceiling) - 0.3
    else:
        pass  # the shortcut delivers what it has
    stream = probe(WORK / "programme.wav" if MODE == "split_wav" else target)
    report = {
        "premaster": before,
        "master": {
            **measured,
            "sample_rate_hz": int(stream["sample_rate"]),
            "bit_depth": int(stream["bits_per_sample"]),
            "channels": int(stream["channels"]),
            "duration_s": round(float(stream["duration"]), 3),
        },
        "target": {"integrated_lufs": want, "max_true_peak_dbtp": ceiling},
        "compliant": True,
        "processing": "ffmpeg: measured with ebur128, gain"
                      + (f", 4x-oversampled look-ahead limiter at {limit_at:.1f} dBFS" if limit_at < 0 else "")
                      + ", soxr resampling" + (", triangular dither" if spec["bit_depth"] == 16 else ""),
    }
    if MODE == "processing_misreported":
        report["processing"] = ("ffmpeg: gain only, no limiter, soxr resampling" if limit_at < 0 else
                                f"ffmpeg: gain {gain + 6:+.1f} dB, limiter ceiling {ceiling - 4:.1f} dBTP, soxr resampling")
    (OUTPUT / "loudness_report.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
