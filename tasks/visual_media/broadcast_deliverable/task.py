"""Broadcast deliverable from a spec sheet: conform, head build, subtitle burn-in, loudness, encode, QC.

Workflow: the agent receives a source clip in the wrong raster, frame rate and loudness, an SRT
file of open captions and a broadcaster's spec sheet. It must build the head (colour bars with
line-up tone, then black and silence), conform the programme (scale, nearest-frame rate
conversion, scan), burn the captions in at their times shifted by the head, normalise the
programme audio, encode to the spec (H.264 High at a level, GOP length, VBV bitrate cap, audio
codec) and file a QC report.

Grade (the grader re-runs ffprobe/ffmpeg on the submission in a fresh sandbox): gates on the
files and a parseable container with one video and one audio stream; then codec/profile/level,
raster and pixel format, frame rate and scan, GOP length from the keyframe flags, the VBV
bitrate cap over every one-second window of packets, audio format, programme loudness and true
peak re-measured after the head, the programme sound against the source's (same sound, in sync with the
picture, a steady gain, its digital silence kept), total duration, the head (bars compared with the grader's own
render, tone level and frequency, black and silence), captions present at every cue and absent
in the gaps (frames compared with a caption-free conform the grader makes itself from the
source), the caption at every cue read back by OCR (tesseract) and compared with the cue's text,
the scan as coded in the decoded keyframes (interlaced top field first, not only the container
flag), and the QC report's fields and figures against these measurements. The QC operator's judgement:
the fault log against the content faults built into the source (a frozen picture or an audio dropout
past the spec sheet's threshold, or none, drawn per seed; the short hold and pause every source also holds are not
faults), and the PASS/FAIL verdict, FAIL on a content fault or on any requirement the grader measured
as missed.

ALE-CANARY-3a2beff1-3e5a-4d75-8a57-6487af82a413
"""

from __future__ import annotations

import difflib
import itertools
import json
import math
import random
import re
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from scipy.io import wavfile

from lastexam.task import Grading, Params, as_number, judge, normalize_text

SOURCE = "source.mov"
SRT = "captions.srt"
SPEC = "spec_sheet.json"
REPORT = "qc_report.json"
BLOCK = 4  # frames are compared as block means of BLOCK x BLOCK luma pixels
# The spec sheet's content QC rules: a frozen picture or an audio dropout (both channels below the
# level) lasting this long or longer in the programme fails the file. Every source holds one event of
# each kind; the seed's content fault (``fault_kind``) is long enough to fail, the others are short holds
# and pauses that a QC operator passes.
FAULT_MIN_S = 1.0
DROPOUT_DBFS = -60.0
FAULT_TYPES = ("frozen_picture", "audio_dropout")
# Generous, so that a loaded grading machine does not turn a slow decode into a failed check.
TOOL_TIMEOUT = 900
# The programme sound is compared with the source's as per-channel mean squares of 10 ms blocks at 48 kHz:
# it must be the same sound (envelope correlation), in sync with the picture (lag within a frame at 25 fps),
# changed only in level (gain steady over 100 ms windows, true-peak limiting allowed on a few of them), and
# the source's digital silence must stay silent (content faults are delivered as conformed).
SOUND_RATE = 48000
SOUND_BLOCK = 480
SOUND_WINDOW = 10
SOUND_MAX_LAG = 4
# A caption read over a busy picture loses a word or two (0.63-0.67 seen for the right text); any two different
# lines of the script score at most 0.47 against each other, so a wrong or shifted caption stays below.
OCR_MIN_SIMILARITY = 0.6
SOUND_MIN_CORRELATION = 0.95
SOUND_GAIN_SPREAD_DB = 1.5
SOUND_STEADY_SHARE = 0.9

_LINES = [
    "The valley was flooded in the spring of 1962.", "Nobody expected the water to rise so fast.",
    "We had twenty minutes to leave the house.", "My father went back for the photographs.",
    "The old bridge is still down there, under the lake.", "On a clear day you can see the church tower.",
    "They built the new village two miles east.", "It never felt like home to any of us.",
    "The council kept the records in the school hall.", "Most of them were lost in the second storm.",
    "Every summer the divers come looking for it.", "Some say the bells still ring at night.",
]


def deliverable_name(params: dict[str, Any]) -> str:
    return f"deliverable.{params['container']}"


# -- generation --------------------------------------------------------------------------------


def _programme_audio(rng: np.random.Generator, seconds: float, rate: int) -> np.ndarray:
    """Stereo programme sound: a chord bed with swells, a plucked motif and a few noise hits."""
    n = int(seconds * rate)
    t = np.arange(n) / rate
    root = 110 * 2 ** (int(rng.integers(0, 12)) / 12)
    bed = sum(np.sin(2 * np.pi * root * r * t + float(rng.uniform(0, 6))) / (i + 1)
              for i, r in enumerate((1, 1.26, 1.5, 2, 3)))
    bed *= 0.5 + 0.4 * np.sin(2 * np.pi * t / float(rng.uniform(3, 6)))
    out = np.vstack([bed, bed]) * 0.15
    for start in np.arange(0.3, seconds - 0.5, float(rng.uniform(0.35, 0.6))):
        m = int(0.4 * rate)
        tt = np.arange(m) / rate
        f = root * 2 ** (int(rng.choice([0, 3, 5, 7, 10, 12])) / 12) * 2
        pluck = np.sin(2 * np.pi * f * tt) * np.exp(-tt / 0.12) * 0.3
        pan = float(rng.uniform(0.2, 0.8))
        i = int(start * rate)
        seg = min(m, n - i)
        out[0, i:i + seg] += pluck[:seg] * (1 - pan)
        out[1, i:i + seg] += pluck[:seg] * pan
    for start in rng.uniform(0.5, seconds - 0.5, 4):
        m = int(0.15 * rate)
        i = int(start * rate)
        hit = rng.normal(0, 1, m) * np.exp(-np.arange(m) / rate / 0.03) * 0.35
        out[:, i:i + m] += hit[: min(m, n - i)]
    return out


def _cues(rng: np.random.Generator, seconds: float) -> list[tuple[float, float, str]]:
    cues, t = [], float(rng.uniform(0.8, 1.6))
    lines = list(rng.permutation(_LINES))
    while t + 2.6 < seconds - 0.6 and lines:
        length = round(float(rng.uniform(1.6, 2.4)), 2)
        cues.append((round(t, 2), round(t + length, 2), str(lines.pop())))
        t += length + float(rng.uniform(1.0, 1.6))
    return cues


def _srt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def _run(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True).stderr


def _gray_frames(data: bytes, width: int, height: int) -> np.ndarray:
    """Raw 8-bit luma frames as block means, shape (frames, height/BLOCK, width/BLOCK)."""
    count = len(data) // (width * height)
    frames = np.frombuffer(data[: count * width * height], dtype=np.uint8).reshape(count, height, width)
    h, w = height // BLOCK * BLOCK, width // BLOCK * BLOCK
    return frames[:, :h, :w].reshape(count, h // BLOCK, BLOCK, w // BLOCK, BLOCK).mean(axis=(2, 4))


def _select(indices: list[int]) -> str:
    return "select='" + "+".join(f"eq(n\\,{i})" for i in indices) + "'"


def sound_blocks(data: bytes) -> np.ndarray:
    """Mean square of each channel over consecutive 10 ms blocks of 48 kHz stereo float PCM, shape (2, blocks)."""
    pcm = np.frombuffer(data[: len(data) // 8 * 8], dtype="<f4").reshape(-1, 2).astype(float)
    count = pcm.shape[0] // SOUND_BLOCK
    return (pcm[: count * SOUND_BLOCK] ** 2).reshape(count, SOUND_BLOCK, 2).mean(axis=1).T


def _db(energy: np.ndarray) -> np.ndarray:
    return 10 * np.log10(np.asarray(energy, dtype=float) + 1e-20)


def sound_comparison(source: np.ndarray, programme: np.ndarray) -> dict[str, Any]:
    """How the delivered programme sound relates to the source's (both from ``sound_blocks``): the lag of the
    programme (in blocks, within half a second) that best correlates the two loudness envelopes, that
    correlation, the median gain (dB) over 100 ms windows with sound, the share of those windows within
    SOUND_GAIN_SPREAD_DB of it, and the loudest window where the source is digitally silent (dBFS)."""
    src, out = _db(source.sum(axis=0)), _db(programme.sum(axis=0))
    best = (-1.0, 0)
    for lag in range(-50, 51):
        lo, hi = max(0, -lag), min(len(src), len(out) - lag)
        if hi - lo < 100:
            continue
        a, b = src[lo:hi], out[lo + lag:hi + lag]
        keep = a > -60
        if keep.sum() < 50 or np.std(b[keep]) == 0:
            continue
        best = max(best, (float(np.corrcoef(a[keep], b[keep])[0, 1]), lag))
    correlation, lag = best
    lo, hi = max(0, -lag), min(source.shape[1], programme.shape[1] - lag)
    count = (hi - lo) // SOUND_WINDOW
    if count < 1:
        return {"lag_ms": lag * 10, "correlation": round(correlation, 3), "median_gain_db": None,
                "steady_share": 0.0, "silence_dbfs": None}
    src_w = source[:, lo:lo + count * SOUND_WINDOW].reshape(2, count, SOUND_WINDOW).mean(axis=2)
    out_w = programme[:, lo + lag:lo + lag + count * SOUND_WINDOW].reshape(2, count, SOUND_WINDOW).mean(axis=2)
    loud = _db(src_w) > -50
    gains = (_db(out_w) - _db(src_w))[loud]
    median = float(np.median(gains)) if gains.size else None
    steady = float(np.mean(np.abs(gains - median) <= SOUND_GAIN_SPREAD_DB)) if gains.size else 0.0
    silent = _db(src_w) < -90
    return {"lag_ms": lag * 10, "correlation": round(correlation, 3),
            "median_gain_db": None if median is None else round(median, 2), "steady_share": round(steady, 3),
            "silence_dbfs": round(float(_db(out_w)[silent].max()), 1) if silent.any() else None}


def probe_plan(params: dict[str, Any], cues: list[tuple[float, float, str]], seconds: float) -> list[dict[str, Any]]:
    """Times in the deliverable where captions must show (cue middles) or must not (gap middles)."""
    head = float(params["bars_s"]) + float(params["black_s"])
    fps = Fraction(params["fps"])
    plan: list[dict[str, Any]] = []
    previous_end = 0.0
    for start, end, text in cues:
        if start - previous_end >= 0.8:
            plan.append({"t": head + (previous_end + start) / 2, "caption": False})
        plan.append({"t": head + (start + end) / 2, "caption": True, "text": text})
        previous_end = end
    if seconds - previous_end >= 0.8:
        plan.append({"t": head + (previous_end + seconds) / 2, "caption": False})
    for item in plan:
        item["n"] = math.floor(item["t"] * fps)
    return plan


def fault_kind(params: dict[str, Any]) -> str:
    """Which content fault the source holds, if any: drawn per seed from a stream of its own, so that no
    profile's programme is known to be clean (or faulty in one way) from its public instance."""
    return random.Random(f"broadcast-fault-{params['seed']}").choice(["none", *FAULT_TYPES])


def content_events(params: dict[str, Any], seconds: float) -> dict[str, tuple[float, float]]:
    """(start, duration) in programme seconds of the frozen picture and the audio dropout of the source:
    the seed's content fault lasts 1.6 to 2.4 s, the other event 0.35 to 0.55 s; they do not overlap."""
    rng = random.Random(f"broadcast-content-{params['seed']}")
    fault = fault_kind(params)
    events: dict[str, tuple[float, float]] = {}
    for kind in FAULT_TYPES:
        length = rng.uniform(1.6, 2.4) if kind == fault else rng.uniform(0.35, 0.55)
        while True:
            start = rng.uniform(1.0, seconds - 1.0 - length)
            if all(start + length + 0.5 < a or a + d + 0.5 < start for a, d in events.values()):
                break
        events[kind] = (round(start, 2), round(length, 2))
    return events


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    rng = np.random.default_rng(params["seed"])
    seconds = float(params["src_seconds"])
    width, height = (int(v) for v in params["src_size"].split("x"))
    src_fps = params["src_fps"]
    events = content_events(params, seconds)
    # the frozen frames repeat the first frame of the freeze; the dropout is digital silence
    first = math.ceil(events["frozen_picture"][0] * Fraction(src_fps))
    last = math.floor(sum(events["frozen_picture"]) * Fraction(src_fps)) - 1
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "sound.wav"
        rate = int(params["src_audio_rate"])
        audio = _programme_audio(rng, seconds, rate)
        audio *= 10 ** (float(params["src_peak_dbfs"]) / 20) / np.max(np.abs(audio))
        start, length = events["audio_dropout"]
        audio[:, round(start * rate): round((start + length) * rate)] = 0.0
        wavfile.write(wav, rate, np.round(audio.T * 32767).astype(np.int16))
        _run(["ffmpeg", "-hide_banner", "-y", "-f", "lavfi", "-i",
              f"testsrc2=size={width}x{height}:rate={src_fps}:duration={seconds}", "-i", str(wav), "-filter_complex",
              f"[0:v]split[v][still];[v][still]freezeframes=first={first}:last={last}:replace={first}[frozen]",
              "-map", "[frozen]", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "14", "-threads", "1",
              "-pix_fmt", "yuv420p", "-c:a", "pcm_s16le", "-fflags", "+bitexact", "-flags", "+bitexact",
              "-shortest", str(input_dir / SOURCE)])
    cues = _cues(rng, seconds)
    (input_dir / SRT).write_text("".join(
        f"{i}\n{_srt_time(a)} --> {_srt_time(b)}\n{text}\n\n" for i, (a, b, text) in enumerate(cues, 1)))
    (input_dir / SPEC).write_text(json.dumps(_spec_sheet(params), indent=2) + "\n")
    _write_reference(params, input_dir, reference_dir, cues, seconds)
    head = float(params["bars_s"]) + float(params["black_s"])
    frozen = (first / Fraction(src_fps), (last + 1 - first) / Fraction(src_fps))
    timing = {"frozen_picture": (float(frozen[0]), float(frozen[1])), "audio_dropout": events["audio_dropout"]}
    reference = json.loads((reference_dir / "reference.json").read_text())
    reference["faults"] = [{"type": kind, "start_s": head + a, "duration_s": d}
                           for kind, (a, d) in timing.items() if d >= FAULT_MIN_S]
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=2) + "\n")


def _spec_sheet(p: dict[str, Any]) -> dict[str, Any]:
    out_w, out_h = p["size"].split("x")
    return {
        "broadcaster_profile": p["profile"],
        "container": "QuickTime MOV",
        "video": {
            "codec": "H.264/AVC", "profile": "High", "level": p["level"], "width": int(out_w), "height": int(out_h),
            "sample_aspect_ratio": "1:1", "pixel_format": "4:2:0 8-bit (yuv420p)", "frame_rate": p["fps"],
            "scan": p["scan"], "max_gop_frames": p["gop"], "max_bitrate_kbps": p["max_kbps"],
            "vbv_buffer_kbit": p["max_kbps"],
            "frame_rate_conversion": "nearest frame (drop/repeat), no blending; keep the running time",
        },
        "audio": {
            "codec": p["acodec_label"], "sample_rate_hz": 48000, "channels": 2,
            "programme_loudness_lufs": p["lufs"], "loudness_tolerance_lu": p["lufs_tol"],
            "max_true_peak_dbtp": p["max_tp"], "measurement": "ITU-R BS.1770-4 over the programme, head excluded",
        },
        "head": {
            "bars_seconds": p["bars_s"], "bars_pattern": p["bars_label"],
            "line_up_tone": f"1 kHz sine, both channels, peak level {p['tone_dbfs']} dBFS, for the length of the bars",
            "black_seconds": p["black_s"], "black_audio": "digital silence",
            "programme_starts_at_s": p["bars_s"] + p["black_s"],
        },
        "captions": {"type": "open (burned in)", "source": "captions.srt, cue times relative to programme start",
                     "style": "white sans-serif with a black outline, bottom centre, inside the 90% safe area"},
        "content_qc": {
            "frozen_picture": f"no frozen picture lasting {FAULT_MIN_S} s or longer in the programme",
            "audio_dropout": f"no audio dropout (both channels below {DROPOUT_DBFS:.0f} dBFS) lasting {FAULT_MIN_S} s "
                             "or longer in the programme",
            "handling": "content faults come from the edit and are not repaired at the deliverables stage: the "
                        "file is delivered as conformed, and the QC report fails it and logs each fault",
        },
    }


def _write_reference(p: dict[str, Any], input_dir: Path, ref_dir: Path, cues: list, seconds: float) -> None:
    w, h = (int(v) for v in p["size"].split("x"))
    head = float(p["bars_s"]) + float(p["black_s"])
    fps, src_fps = Fraction(p["fps"]), Fraction(p["src_fps"])
    plan = probe_plan(p, cues, seconds)
    wanted: list[int] = []
    for item in plan:
        k = math.floor((Fraction(item["n"]) / fps - Fraction(head).limit_denominator(1000)) * src_fps)
        item["source_frames"] = [i for i in range(k - 2, k + 3) if i >= 0]
        wanted += item["source_frames"]
    wanted = sorted(set(wanted))
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "clean.gray"
        _run(["ffmpeg", "-hide_banner", "-y", "-i", str(input_dir / SOURCE), "-vf",
              f"{_select(wanted)},scale={w}:{h}:flags=bicubic,format=gray", "-vsync", "0", "-f", "rawvideo", str(raw)])
        clean = _gray_frames(raw.read_bytes(), w, h)
        bars = Path(tmp) / "bars.gray"
        _run(["ffmpeg", "-hide_banner", "-y", "-f", "lavfi", "-i", f"{p['bars_filter']}=size={w}x{h}:rate=1:duration=1",
              "-vf", "format=gray", "-frames:v", "1", "-f", "rawvideo", str(bars)])
        bars_frame = _gray_frames(bars.read_bytes(), w, h)[0]
        sound = Path(tmp) / "sound.f32"
        _run(["ffmpeg", "-hide_banner", "-y", "-i", str(input_dir / SOURCE), "-map", "0:a:0", "-ac", "2", "-ar",
              str(SOUND_RATE), "-f", "f32le", str(sound)])
        source_sound = sound_blocks(sound.read_bytes())
    index = {n: i for i, n in enumerate(wanted)}
    for item in plan:
        item["source_frames"] = [index[i] for i in item["source_frames"] if i in index]
    np.savez_compressed(ref_dir / "frames.npz", clean=clean.astype(np.float32), bars=bars_frame.astype(np.float32),
                        sound=source_sound.astype(np.float32))
    reference = {"plan": plan, "cues": len(cues), "first_cue_in_s": head + cues[0][0],
                 "duration_s": head + seconds, "head_s": head}
    (ref_dir / "reference.json").write_text(json.dumps(reference, indent=2) + "\n")


# -- measurement helpers -----------------------------------------------------------------------


def _ebur128(stderr: str) -> dict[str, float] | None:
    at = stderr.rfind("Summary:")
    i = re.search(r"I:\s+(-?[\d.]+|-?inf)\s+LUFS", stderr[at:]) if at >= 0 else None
    tp = re.search(r"Peak:\s+(-?[\d.]+|-?inf)\s+dBFS", stderr[at:]) if at >= 0 else None
    if not (i and tp):
        return None
    return {"integrated_lufs": float(i.group(1)), "true_peak_dbtp": float(tp.group(1))}


def _packets(csv_text: str) -> list[tuple[float, int, bool]]:
    rows = []
    for line in csv_text.splitlines():
        parts = line.strip().split(",")
        if len(parts) < 3:
            continue
        try:
            rows.append((float(parts[0]), int(parts[1]), "K" in parts[2]))
        except ValueError:
            continue
    return rows


def _max_gop(packets: list[tuple[float, int, bool]]) -> int:
    keys = [i for i, p in enumerate(packets) if p[2]] + [len(packets)]
    return max((b - a for a, b in itertools.pairwise(keys)), default=len(packets))


def _vbv_excess(packets: list[tuple[float, int, bool]], kbps: float) -> float:
    """Largest ratio of bits in any one-second window to what a VBV of max rate = buffer = kbps allows."""
    times = np.array(sorted(p[0] for p in packets))
    sizes = np.array([p[1] for p in sorted(packets)], dtype=float) * 8
    cumulative = np.concatenate([[0.0], np.cumsum(sizes)])
    ends = np.searchsorted(times, times + 1.0, side="left")
    window_bits = cumulative[ends] - cumulative[np.arange(times.size)]
    return float(window_bits.max() / (2 * kbps * 1000)) if times.size else 0.0


def _fraction(text: Any) -> Fraction | None:
    try:
        value = Fraction(str(text))
    except (ValueError, ZeroDivisionError):
        return None
    return value


# -- grade -------------------------------------------------------------------------------------


def grade(g: Grading) -> None:
    p = g.params
    name = deliverable_name(p)
    if not g.require_files(name, REPORT):
        return
    ref = g.reference_json("reference.json")
    files = {name: g.output(name)}
    probe = g.run_tool(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", name], files,
                       timeout=TOOL_TIMEOUT)
    try:
        info = json.loads(probe.stdout) if probe.ok else {}
    except json.JSONDecodeError:
        info = {}
    streams = info.get("streams", []) if isinstance(info, dict) else []
    video = [s for s in streams if s.get("codec_type") == "video"]
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    if not g.check("container parses with one video and one audio stream", len(video) == 1 and len(audio) == 1,
                   gate=True, found={"video": len(video), "audio": len(audio)}, reason=probe.stderr[-300:]):
        return
    report = g.read_json(REPORT)
    if report is None:
        return
    v, a = video[0], audio[0]
    facts: dict[str, Any] = {}
    _check_video(g, p, v, info.get("format", {}), facts)
    packets = _packets(g.run_tool(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                                   "packet=dts_time,size,flags", "-of", "csv=p=0", name], files,
                                  timeout=TOOL_TIMEOUT).stdout)
    facts["max_gop_frames"] = _max_gop(packets)
    g.check("GOP length within the spec", bool(packets) and facts["max_gop_frames"] <= int(p["gop"]),
            expected=f"<= {p['gop']} frames", found=facts["max_gop_frames"])
    excess = _vbv_excess(packets, float(p["max_kbps"]))
    g.check("video bitrate within the VBV cap (every 1 s window)", bool(packets) and excess <= 1.05,
            expected=f"<= {p['max_kbps']} kb/s max rate, {p['max_kbps']} kbit buffer", found=f"{excess:.3f} of allowance")
    _check_coded_scan(g, p, name, files)
    _check_audio(g, p, a, ref, name, files, facts)
    _check_pictures(g, p, ref, name, files)
    _check_caption_text(g, p, ref, name, files)
    technical_failures = [c.name for c in g.grade.checks if not c.passed]
    _check_report(g, p, ref, report, facts)
    _check_verdict(g, ref, report, technical_failures)


def _check_video(g: Grading, p: dict[str, Any], v: dict[str, Any], fmt: dict[str, Any], facts: dict[str, Any]) -> None:
    level = v.get("level")
    want_level = round(float(p["level"]) * 10)
    found = {"codec": v.get("codec_name"), "profile": v.get("profile"), "level": level}
    ok = found["codec"] == "h264" and found["profile"] == "High" and level == want_level
    g.check("video: H.264 High profile at the spec level", ok, expected={"codec": "h264", "profile": "High",
            "level": want_level}, found=found)
    w, h = (int(x) for x in p["size"].split("x"))
    sar = v.get("sample_aspect_ratio", "1:1")
    found = {"width": v.get("width"), "height": v.get("height"), "pix_fmt": v.get("pix_fmt"), "sar": sar}
    ok = (found["width"], found["height"], found["pix_fmt"]) == (w, h, "yuv420p") and sar in ("1:1", "0:1", None)
    g.check("video: raster, 4:2:0 and square pixels", ok, expected={"width": w, "height": h, "pix_fmt": "yuv420p",
            "sar": "1:1"}, found=found)
    rate = _fraction(v.get("r_frame_rate"))
    avg = _fraction(v.get("avg_frame_rate"))
    field_order = v.get("field_order", "progressive")
    want_order = "tt" if p["scan"].startswith("interlaced") else "progressive"
    ok = rate == Fraction(p["fps"]) and avg is not None and abs(float(avg) - float(Fraction(p["fps"]))) < 0.01
    ok = ok and field_order == want_order
    g.check("video: frame rate and scan", ok, expected={"frame_rate": p["fps"], "field_order": want_order},
            found={"r_frame_rate": v.get("r_frame_rate"), "avg_frame_rate": v.get("avg_frame_rate"),
                   "field_order": field_order})
    facts.update(width=v.get("width"), height=v.get("height"), frame_rate=rate, field_order=field_order,
                 duration=as_number(fmt.get("duration")))


def _check_coded_scan(g: Grading, p: dict[str, Any], name: str, files: dict[str, Path]) -> None:
    """The scan as the decoder sees it in every keyframe, not the container's field-order flag."""
    run = g.run_tool(["ffprobe", "-v", "error", "-skip_frame", "nokey", "-select_streams", "v:0", "-show_entries",
                      "frame=interlaced_frame,top_field_first", "-of", "csv=p=0", name], files, timeout=TOOL_TIMEOUT)
    frames = [tuple(line.split(",")[:2]) for line in run.stdout.splitlines() if line.count(",") >= 1]
    want = ("1", "1") if p["scan"].startswith("interlaced") else ("0",)
    wrong = [f for f in frames if f[: len(want)] != want]
    g.check("video: scan coded in the picture, not only flagged", bool(frames) and not wrong,
            expected="interlaced, top field first, in every keyframe" if len(want) == 2 else "progressive frames",
            found={"keyframes": len(frames), "not_as_specified": len(wrong),
                   "first_wrong": ",".join(wrong[0]) if wrong else None},
            reason="" if frames else "no keyframe decoded")


def _check_audio(g: Grading, p: dict[str, Any], a: dict[str, Any], ref: dict[str, Any], name: str,
                 files: dict[str, Path], facts: dict[str, Any]) -> None:
    found = {"codec": a.get("codec_name"), "profile": a.get("profile"), "sample_rate": a.get("sample_rate"),
             "channels": a.get("channels")}
    ok = found["codec"] == p["acodec"] and str(found["sample_rate"]) == "48000" and found["channels"] == 2
    if p["acodec"] == "aac":
        ok = ok and found["profile"] == "LC"
    g.check("audio: codec, 48 kHz, stereo", ok, expected={"codec": p["acodec"], "sample_rate": "48000",
            "channels": 2}, found=found)
    head = ref["head_s"]
    run = g.run_tool(["ffmpeg", "-hide_banner", "-nostats", "-ss", f"{head:.3f}", "-i", name, "-map", "0:a:0",
                      "-af", "ebur128=peak=true", "-f", "null", "-"], files, timeout=TOOL_TIMEOUT)
    measured = _ebur128(run.stderr) if run.ok else None
    facts["loudness"] = measured
    if measured is None:
        g.check("programme loudness on target", False, weight=2.0, reason="could not measure the programme audio")
        g.check("programme true peak under the ceiling", False, reason="could not measure the programme audio")
    else:
        g.number("programme loudness on target", measured["integrated_lufs"], float(p["lufs"]),
                 abs_tol=float(p["lufs_tol"]), weight=2.0)
        tp = measured["true_peak_dbtp"]
        g.check("programme true peak under the ceiling", tp <= float(p["max_tp"]), expected=f"<= {p['max_tp']}",
                found=tp)
    _check_programme_sound(g, ref, name, files)
    duration = facts.get("duration")
    g.number("total running time (head + programme, s)", duration, ref["duration_s"], abs_tol=0.08)
    _check_head_audio(g, p, name, files)


def _check_programme_sound(g: Grading, ref: dict[str, Any], name: str, files: dict[str, Path]) -> None:
    """The programme sound is the source's, in sync, changed only in level; its digital silence kept."""
    label = "programme sound is the source's, in sync, level-managed only"
    run = g.run_tool(["ffmpeg", "-hide_banner", "-nostats", "-i", name, "-map", "0:a:0", "-ac", "2", "-ar",
                      str(SOUND_RATE), "-f", "f32le", "sound.raw"], files, timeout=TOOL_TIMEOUT)
    raw = run.workdir / "sound.raw"
    if not run.ok or not raw.is_file():
        g.check(label, False, weight=1.5, reason="could not decode the audio")
        return
    skip = round(float(ref["head_s"]) * SOUND_RATE / SOUND_BLOCK)
    programme = sound_blocks(raw.read_bytes())[:, skip:]
    found = sound_comparison(np.load(g.reference("frames.npz"))["sound"].astype(float), programme)
    problems = [text for text, bad in (
        (f"the sound does not follow the source's (envelope correlation {found['correlation']})",
         found["correlation"] < SOUND_MIN_CORRELATION),
        (f"out of sync with the picture by {found['lag_ms']} ms", abs(found["lag_ms"]) > SOUND_MAX_LAG * 10),
        (f"gain not steady: {found['steady_share']:.0%} of 100 ms windows within {SOUND_GAIN_SPREAD_DB} dB of the "
         "median gain", found["steady_share"] < SOUND_STEADY_SHARE),
        (f"the source's digital silence plays at {found['silence_dbfs']} dBFS",
         found["silence_dbfs"] is not None and found["silence_dbfs"] > DROPOUT_DBFS),
    ) if bad]
    g.check(label, not problems, weight=1.5,
            expected={"correlation": f">= {SOUND_MIN_CORRELATION}", "lag_ms": f"<= {SOUND_MAX_LAG * 10}",
                      "steady_share": f">= {SOUND_STEADY_SHARE}", "silence_dbfs": f"< {DROPOUT_DBFS}"},
            found=found, reason="; ".join(problems))


def _check_head_audio(g: Grading, p: dict[str, Any], name: str, files: dict[str, Path]) -> None:
    bars, black = float(p["bars_s"]), float(p["black_s"])
    run = g.run_tool(["ffmpeg", "-hide_banner", "-nostats", "-i", name, "-map", "0:a:0", "-t", f"{bars + black}",
                      "-ac", "2", "-ar", "48000", "-f", "f32le", "head.raw"], files, timeout=TOOL_TIMEOUT)
    try:
        pcm = np.fromfile(run.workdir / "head.raw", dtype="<f4").reshape(-1, 2) if run.ok else None
    except (OSError, ValueError):
        pcm = None
    if pcm is None or pcm.shape[0] < int((bars + black) * 48000) - 4800:
        g.check("head: line-up tone and silence", False, reason="head audio missing or too short")
        return
    tone = pcm[int(0.3 * 48000): int((bars - 0.3) * 48000)]
    quiet = pcm[int((bars + 0.2) * 48000): int((bars + black - 0.2) * 48000)]
    peak_db = [20 * math.log10(max(float(np.max(np.abs(tone[:, c]))), 1e-9)) for c in range(2)]
    spectrum = np.abs(np.fft.rfft(tone[:, 0] * np.hanning(tone.shape[0])))
    freq = float(np.argmax(spectrum)) * 48000 / tone.shape[0]
    silent_db = 20 * math.log10(max(float(np.max(np.abs(quiet))) if quiet.size else 1.0, 1e-9))
    ok = all(abs(x - float(p["tone_dbfs"])) <= 0.5 for x in peak_db) and abs(freq - 1000) <= 5 and silent_db < -60
    g.check("head: line-up tone and silence", ok,
            expected={"tone_peak_dbfs": p["tone_dbfs"], "tone_hz": 1000, "black_audio": "< -60 dBFS"},
            found={"tone_peak_dbfs": [round(x, 2) for x in peak_db], "tone_hz": round(freq, 1),
                   "black_audio_dbfs": round(silent_db, 1)})


def _check_pictures(g: Grading, p: dict[str, Any], ref: dict[str, Any], name: str, files: dict[str, Path]) -> None:
    w, h = (int(x) for x in p["size"].split("x"))
    fps = Fraction(p["fps"])
    bars_n = math.floor(float(p["bars_s"]) / 2 * fps)
    black_n = math.floor((float(p["bars_s"]) + float(p["black_s"]) / 2) * fps)
    plan = ref["plan"]
    indices = sorted({bars_n, black_n, *(item["n"] for item in plan)})
    run = g.run_tool(["ffmpeg", "-hide_banner", "-nostats", "-i", name, "-map", "0:v:0", "-vf",
                      f"{_select(indices)},scale={w}:{h},format=gray", "-vsync", "0", "-f", "rawvideo", "probe.gray"],
                     files, timeout=TOOL_TIMEOUT)
    frames = None
    if run.ok and (run.workdir / "probe.gray").is_file():
        got = _gray_frames((run.workdir / "probe.gray").read_bytes(), w, h)
        frames = dict(zip(indices, got, strict=False)) if got.shape[0] == len(indices) else None
    if frames is None:
        for label in ("head: colour bars then black", "captions burned in at every cue",
                      "programme picture clean between cues"):
            g.check(label, False, reason="could not decode the probe frames")
        return
    refs = np.load(g.reference("frames.npz"))
    bars_err = float(np.mean(np.abs(frames[bars_n] - refs["bars"])))
    black_level = float(np.max(frames[black_n]))
    g.check("head: colour bars then black", bars_err < 8 and black_level < 24,
            expected={"bars_mean_abs_diff": "< 8", "black_max_luma": "< 24"},
            found={"bars_mean_abs_diff": round(bars_err, 2), "black_max_luma": round(black_level, 1)})
    shown, clean = [], []
    for item in plan:
        picture, ink = _compare(frames[item["n"]], [refs["clean"][i] for i in item["source_frames"]])
        (shown if item["caption"] else clean).append((round(item["t"], 2), round(picture, 4), round(ink, 4)))
    g.check("captions burned in at every cue", all(pic < 0.003 and ink > 0.004 for _, pic, ink in shown),
            expected="at each cue middle: picture matches the conformed source, caption ink in the lower third",
            found=[{"t": t, "picture_mismatch": pic, "caption_ink": ink} for t, pic, ink in shown])
    g.check("programme picture clean between cues", all(pic < 0.003 and ink < 0.0015 for _, pic, ink in clean),
            expected="in the gaps: picture matches the conformed source, no caption ink",
            found=[{"t": t, "picture_mismatch": pic, "caption_ink": ink} for t, pic, ink in clean])


def _check_caption_text(g: Grading, p: dict[str, Any], ref: dict[str, Any], name: str, files: dict[str, Path]) -> None:
    """OCR of the caption at every cue middle (tesseract) must read as that cue's text."""
    w, h = (int(x) for x in p["size"].split("x"))
    shown = [item for item in ref["plan"] if item["caption"]]
    top = int(h * 0.66)
    run = g.run_tool(["ffmpeg", "-hide_banner", "-nostats", "-i", name, "-map", "0:v:0", "-vf",
                      f"{_select([item['n'] for item in shown])},scale={w}:{h},format=gray,crop={w}:{h - top}:0:{top}",
                      "-vsync", "0", "-f", "rawvideo", "captions.gray"], files, timeout=TOOL_TIMEOUT)
    raw = run.workdir / "captions.gray"
    size = w * (h - top)
    data = raw.read_bytes() if run.ok and raw.is_file() else b""
    if len(data) < size * len(shown):
        g.check("caption text reads as the cue text (OCR)", False, weight=2.0, reason="could not decode the cue frames")
        return
    crops = np.frombuffer(data[: size * len(shown)], dtype=np.uint8).reshape(len(shown), h - top, w)
    # Each caption is read twice: its outlined strokes, and every bright pixel (a background busy with
    # bright and dark detail garbles the first, a bright background the second); the better reading counts.
    images = {f"cue{i}-{k}.pgm": page for i, crop in enumerate(crops)
              for k, page in enumerate((_caption_mask_pgm(crop), _bright_pgm(crop)))}
    images["list.txt"] = "".join(f"cue{i}-{k}.pgm\n" for i in range(len(shown)) for k in range(2))
    ocr = g.run_tool(["tesseract", "list.txt", "stdout", "--psm", "6"], images, timeout=TOOL_TIMEOUT)
    pages = ocr.stdout.split("\f") if ocr.ok else []
    readings = [max((pages[2 * i + k] if 2 * i + k < len(pages) else "" for k in range(2)),
                    key=lambda read, text=item["text"]: _text_similarity(text, read)) for i, item in enumerate(shown)]
    scores = [_text_similarity(item["text"], read) for item, read in zip(shown, readings, strict=True)]
    g.check("caption text reads as the cue text (OCR)", bool(scores) and min(scores) >= OCR_MIN_SIMILARITY,
            weight=2.0, expected=f"each cue's text, similarity >= {OCR_MIN_SIMILARITY}",
            found=[{"t": round(item["t"], 2), "similarity": round(score, 2), "read": read.strip()[:80]}
                   for item, score, read in zip(shown, scores, readings, strict=True)],
            reason="" if ocr.ok else f"tesseract failed: {ocr.stderr[-200:]}")


def _pgm(page: np.ndarray) -> bytes:
    return b"P5\n%d %d\n255\n" % (page.shape[1], page.shape[0]) + page.astype(np.uint8).tobytes()


def _caption_mask_pgm(crop: np.ndarray) -> bytes:
    """Black-on-white PGM of the caption: bright pixels near a dark outline, with the strokes they touch."""
    white, dark = crop >= 190, crop <= 60
    keep = white & _dilate(dark, 3)
    keep = white & _dilate(keep, 2)
    return _pgm(np.where(keep, 0, 255))


def _bright_pgm(crop: np.ndarray) -> bytes:
    """Black-on-white PGM of every bright pixel of the caption area (the caption's white strokes)."""
    return _pgm(np.where(crop >= 200, 0, 255))


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    padded = np.pad(mask, radius)
    out = np.zeros_like(mask)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            out |= padded[dy:dy + mask.shape[0], dx:dx + mask.shape[1]]
    return out


def _text_similarity(expected: str, read: str) -> float:
    """Similarity of two texts over their letters and digits only, lower case (0 to 1)."""
    a, b = (re.sub(r"[^a-z0-9]", "", t.lower()) for t in (expected, read))
    return difflib.SequenceMatcher(None, a, b).ratio() if a else 0.0


def _compare(frame: np.ndarray, candidates: list[np.ndarray]) -> tuple[float, float]:
    """Against the clean frame that best matches above the lower third: (mismatch above it, ink in it).

    Both are fractions of blocks whose luma differs by more than 40 levels.
    """
    split = int(frame.shape[0] * 0.66)
    best = (1.0, 1.0)
    for cand in candidates:
        if cand.shape != frame.shape:
            continue
        picture = float(np.mean(np.abs(frame[:split] - cand[:split]) > 40))
        if picture < best[0]:
            best = (picture, float(np.mean(np.abs(frame[split:] - cand[split:]) > 40)))
    return best


def _check_report(g: Grading, p: dict[str, Any], ref: dict[str, Any], report: Any, facts: dict[str, Any]) -> None:
    rep = report if isinstance(report, dict) else {}
    vid = rep.get("video") if isinstance(rep.get("video"), dict) else {}
    aud = rep.get("audio") if isinstance(rep.get("audio"), dict) else {}
    subs = rep.get("captions") if isinstance(rep.get("captions"), dict) else {}
    scan = "interlaced_tff" if facts.get("field_order") == "tt" else "progressive"
    wrong = []
    pairs = [("video.width", vid.get("width"), facts.get("width")), ("video.height", vid.get("height"),
             facts.get("height")), ("video.scan", vid.get("scan"), scan),
             ("video.max_gop_frames", vid.get("max_gop_frames"), facts.get("max_gop_frames")),
             ("captions.cue_count", subs.get("cue_count"), ref["cues"])]
    for key, got, want in pairs:
        if str(got).strip().lower() != str(want).strip().lower():
            wrong.append(f"{key}={got!r} (measured {want!r})")
    if _fraction(vid.get("frame_rate")) != facts.get("frame_rate"):
        wrong.append(f"video.frame_rate={vid.get('frame_rate')!r} (measured {facts.get('frame_rate')})")
    g.check("QC report: format fields match the file", not wrong, reason="; ".join(wrong))
    wrong = []
    loud = facts.get("loudness") or {}
    numbers = [("duration_s", rep.get("duration_s"), facts.get("duration"), 0.1),
               ("audio.programme_loudness_lufs", aud.get("programme_loudness_lufs"), loud.get("integrated_lufs"), 0.3),
               ("audio.programme_true_peak_dbtp", aud.get("programme_true_peak_dbtp"), loud.get("true_peak_dbtp"), 0.3),
               ("captions.first_cue_in_s", subs.get("first_cue_in_s"), ref["first_cue_in_s"], 0.05)]
    for key, got, want, tol in numbers:
        value = as_number(got)
        if want is None or value is None or abs(value - float(want)) > tol:
            wrong.append(f"{key}={got!r} (measured {want!r}, tolerance {tol})")
    g.check("QC report: measured figures match the re-measurement", not wrong, reason="; ".join(wrong))


def _check_verdict(g: Grading, ref: dict[str, Any], report: Any, technical_failures: list[str]) -> None:
    """The QC operator's judgement: the content faults logged with their times (the short holds and pauses
    under the spec's threshold are not faults), and the verdict, FAIL when the file has a content fault or
    misses the spec on anything the grader measured, else PASS."""
    rep = report if isinstance(report, dict) else {}
    listed = rep.get("faults") if isinstance(rep.get("faults"), list) else []
    found: dict[str, Any] = {}
    for item in listed:
        if isinstance(item, dict):
            found.setdefault(normalize_text(item.get("type")), item)
    expected = {fault["type"]: fault for fault in ref["faults"]}

    def timed(item: dict[str, Any], fault: dict[str, Any]) -> bool | str:
        start, length = as_number(item.get("start_s")), as_number(item.get("duration_s"))
        if start is None or abs(start - fault["start_s"]) > 0.35:
            return f"start_s {item.get('start_s')!r}, expected {fault['start_s']:.2f} +/- 0.35"
        if length is None or abs(length - fault["duration_s"]) > 0.5:
            return f"duration_s {item.get('duration_s')!r}, expected {fault['duration_s']:.2f} +/- 0.5"
        return True

    if expected:
        g.fraction("QC fault log: each content fault found, typed and timed", judge(found, expected, timed),
                   weight=1.5, noun="content faults")
    else:
        g.check("QC fault log: each content fault found, typed and timed", not found, weight=1.5, expected=[],
                found=sorted(found), reason="" if not found else "the programme has no content fault under the "
                "spec sheet's rules; logged: " + ", ".join(sorted(found)))
    verdict = "FAIL" if expected or technical_failures else "PASS"
    stated = normalize_text(rep.get("result")).upper()
    g.check("QC verdict follows from the measurements", stated == verdict, weight=1.5, expected=verdict,
            found=rep.get("result"),
            reason="" if stated == verdict else "; ".join(
                [f"content faults: {', '.join(expected)}"] * bool(expected)
                + [f"the file misses the spec: {', '.join(technical_failures[:4])}"] * bool(technical_failures)
                or ["every measured requirement is met and the programme has no content fault"]))
