"""Loudness mastering to a delivery spec (streaming, broadcast EBU R128, podcast).

Workflow: the agent receives a premaster WAV (synthesised music or a spoken-word programme with
a music bed) and a delivery spec; it must master the programme to the spec's integrated loudness
and true-peak ceiling, in the spec's sample rate, bit depth and channel count, keeping the
programme and its duration, and file a loudness report of the premaster and the master.

Grade: gates on the two files and on a parseable PCM WAV. Then the host re-measures the master
with ffmpeg's ebur128 filter (in a fresh sandbox), gates on ffmpeg playing the very samples the
grader reads from the file (no second reading hidden in its RIFF chunks), and checks: the delivery
format, the duration, the integrated loudness against the target, the true peak against the ceiling, that the master is
the same programme as the premaster (correlation after downmix/resample at the best small lag, so
a test tone at the right loudness fails), that it is the premaster under a smooth gain (a limiter,
not a clipper: little is left after fitting one gain per half millisecond, and where the peaks are
turned down, little of what is taken off is left after fitting a gain moving smoothly between knots a quarter
of a millisecond apart), that the gain is
turned down only where a peak demands it (a limiter, not a compressor or a dynamic normaliser),
that the report's premaster figures, master figures and format fields agree with the
measurements, and that its processing line does not contradict the master (limiting denied where the
peaks were turned down, a gain other than the master's, a ceiling far under its true peak). An
unreadable decode from a successful ffmpeg run is the grader's fault and raises.

ALE-CANARY-9cd60b9d-c257-44d8-b299-81e790cf977c
"""

from __future__ import annotations

import json
import math
import re
import struct
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
from scipy import linalg, ndimage, signal
from scipy.io import wavfile

from lastexam.task import Grading, Params, is_close

PREMASTER = "premaster.wav"
SPEC = "delivery_spec.json"
MASTER = "master.wav"
REPORT = "loudness_report.json"
PLAYED = "played.wav"

# -- synthesis ---------------------------------------------------------------------------------

_PROGRESSIONS = ([0, 5, 7, 5], [0, 9, 5, 7], [0, 7, 9, 5], [0, 3, 8, 10])


def _env(n: int, sr: int, attack: float, decay: float) -> np.ndarray:
    t = np.arange(n) / sr
    return np.minimum(1.0, t / max(attack, 1e-4)) * np.exp(-t / decay)


def _add(buf: np.ndarray, start: int, sound: np.ndarray) -> None:
    end = min(buf.shape[-1], start + sound.shape[-1])
    if end > start:
        buf[..., start:end] += sound[..., : end - start]


def _tone(freq: float, n: int, sr: int, harmonics: int, detune: float = 0.0) -> np.ndarray:
    t = np.arange(n) / sr
    return sum(np.sin(2 * np.pi * freq * h * (1 + detune) * t) / h for h in range(1, harmonics + 1))


def _music(rng: np.random.Generator, sr: int, seconds: float, punch: float, swell_db: float | None = None) -> np.ndarray:
    """A stereo cue: pad chords, bass, hats, kick and snare, arranged intro / verse / chorus / outro; with
    ``swell_db``, the intro carries a sustained organ swell whose RMS level sits that many dB under the cue's peak."""
    n = int(seconds * sr)
    out = np.zeros((2, n))
    beat = 60.0 / float(rng.choice([96, 104, 112, 120, 128]))
    key = 110.0 * 2 ** (int(rng.integers(0, 12)) / 12)
    minor = bool(rng.integers(0, 2))
    prog = _PROGRESSIONS[int(rng.integers(0, len(_PROGRESSIONS)))]
    section = np.interp(np.arange(n) / n, [0, 0.22, 0.25, 0.5, 0.55, 0.95, 1.0], [0.4, 0.45, 0.6, 0.65, 1.0, 1.0, 0.0])
    bar_len = int(4 * beat * sr)
    for bar, start in enumerate(range(0, n, bar_len)):
        root = key * 2 ** (prog[bar % 4] / 12)
        third = 3 if minor else 4
        for semis, pan in ((0, 0.5), (third, 0.2), (7, 0.8), (12, 0.4)):
            note = _tone(2 * root * 2 ** (semis / 12), bar_len, sr, 5, float(rng.normal(0, 0.002)))
            note *= _env(bar_len, sr, 0.25, 3.0) * 0.09
            _add(out, start, np.vstack([note * (1 - pan), note * pan]))
    steps = int(seconds / beat * 2)
    for step in range(steps):
        start = int(step * beat / 2 * sr)
        level = section[min(start, n - 1)]
        if step % 2 == 0 and level > 0.5:
            root = key * 2 ** (prog[(start // bar_len) % 4] / 12) / 2
            m = int(beat * sr)
            bass = _tone(root, m, sr, 3) * _env(m, sr, 0.005, 0.25) * 0.25
            _add(out, start, np.vstack([bass, bass]))
        if level > 0.5:
            m = int(0.06 * sr)
            hat = np.diff(rng.normal(0, 1, m + 1)) * _env(m, sr, 0.001, 0.015) * 0.05
            _add(out, start, np.vstack([hat * 0.6, hat]))
        if level > 0.9 and step % 4 == 0:
            m = int(0.35 * sr)
            t = np.arange(m) / sr
            kick = np.sin(2 * np.pi * (45 * t + 60 * 0.04 * (1 - np.exp(-t / 0.04)))) * _env(m, sr, 0.001, 0.12)
            _add(out, start, np.vstack([kick, kick]) * 0.55 * punch)
        if level > 0.9 and step % 4 == 2:
            m = int(0.25 * sr)
            snare = (rng.normal(0, 1, m) * 0.7 + _tone(185, m, sr, 1)) * _env(m, sr, 0.0005, 0.06)
            _add(out, start, np.vstack([snare, snare * 0.9]) * 0.45 * punch)
    out *= section
    if swell_db is not None:
        out += _swell(sr, n, key, prog[0], float(np.max(np.abs(out))) * 10 ** (swell_db / 20))
    return out


def _swell(sr: int, n: int, key: float, root: int, rms: float) -> np.ndarray:
    """A sustained organ note (with its octave) over the intro, the first 15 % of the cue: loud, but of so
    low a crest that its peaks sit far under the drums' at the same level, so a static gain and a limiter
    leave it alone while a compressor turns it down."""
    m = int(0.15 * n)
    t = np.arange(m) / sr
    base = key * 2 ** (root / 12)
    chord = [(0, 1.0), (12, 0.25)]
    sound = np.vstack([sum(w * np.sin(2 * np.pi * base * 2 ** (s / 12) * t + phase) for s, w in chord)
                       for phase in (0.0, 0.6)])
    fade = np.minimum(1.0, np.minimum(t / 0.4, (m / sr - t) / 0.3))
    sound *= fade
    return np.pad(sound * rms / np.sqrt(np.mean(sound[:, m // 4: 3 * m // 4] ** 2)), ((0, 0), (0, n - m)))


_VOWELS = ((730, 1090, 2440), (270, 2290, 3010), (530, 1840, 2480), (570, 840, 2410), (300, 870, 2240),
           (660, 1720, 2410), (490, 1350, 1690))


def _resonate(x: np.ndarray, sr: int, freq: float, bw: float) -> np.ndarray:
    r = math.exp(-math.pi * bw / sr)
    a = [1.0, -2 * r * math.cos(2 * math.pi * freq / sr), r * r]
    return signal.lfilter([1 - r], a, x)


def _speech(rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """A mono voice: formant-filtered glottal buzz in syllables and phrases, with fricatives and pauses."""
    n = int(seconds * sr)
    out = np.zeros(n)
    base_f0 = float(rng.uniform(95, 190))
    pos = int(0.3 * sr)
    while pos < n - sr // 2:
        syllables = int(rng.integers(5, 13))
        emphasis = float(rng.uniform(0.5, 1.0))
        for k in range(syllables):
            m = int(rng.uniform(0.11, 0.26) * sr)
            f0 = base_f0 * (1.15 - 0.3 * k / syllables) * (1 + 0.05 * rng.normal())
            phase = np.cumsum(np.full(m, f0 / sr))
            buzz = 2 * (phase % 1.0) - 1
            f1, f2, f3 = _VOWELS[int(rng.integers(0, len(_VOWELS)))]
            voiced = _resonate(buzz, sr, f1, 90) + 0.6 * _resonate(buzz, sr, f2, 110) + 0.3 * _resonate(buzz, sr, f3, 160)
            voiced *= np.sin(np.pi * np.arange(m) / m) ** 0.7 * emphasis * float(rng.uniform(0.6, 1.0))
            if rng.random() < 0.35:
                f = int(0.07 * sr)
                hiss = np.diff(rng.normal(0, 1, f + 1)) * np.hanning(f) * 0.08
                _add(out, pos, hiss)
                pos += f // 2
            _add(out, pos, voiced)
            pos += m
        pos += int(rng.uniform(0.35, 0.9) * sr)
    return out / (np.max(np.abs(out)) + 1e-12)


def _premaster(params: dict[str, Any]) -> tuple[int, np.ndarray]:
    rng = np.random.default_rng(params["seed"])
    sr = int(params["premaster_rate"])
    seconds = float(params["duration_s"])
    if params["programme"] == "music":
        audio = _music(rng, sr, seconds, punch=float(params["punch"]), swell_db=params.get("swell_db"))
    else:
        voice = _speech(rng, sr, seconds)
        bed = _music(rng, sr, seconds, punch=0.6, swell_db=params.get("swell_db"))
        duck = np.interp(np.arange(voice.size) / sr, [0, 3.0, 3.6, seconds - 3.2, seconds - 2.6, seconds],
                         [1, 1, 0.06, 0.06, 1, 1])
        voice *= np.interp(np.arange(voice.size) / sr, [0, 3.4, 3.6, seconds - 3.2, seconds - 3.0, seconds],
                           [0, 0, 1, 1, 0, 0])
        audio = bed * duck * 0.5 + np.vstack([voice * 0.62, voice * 0.58]) * 0.45
        audio += rng.normal(0, 10 ** (-62 / 20), audio.shape)
    audio *= 10 ** (float(params["premaster_peak_dbfs"]) / 20) / np.max(np.abs(audio))
    return sr, audio


def _write_wav(path: Path, sr: int, audio: np.ndarray, fmt: str) -> None:
    frames = audio.T
    if fmt == "float32":
        wavfile.write(path, sr, frames.astype(np.float32))
    elif fmt == "pcm16":
        wavfile.write(path, sr, np.round(frames * 32767).astype(np.int16))
    else:  # pcm24, packed little-endian
        ints = np.ascontiguousarray(np.round(frames * 8388607).astype("<i4"))
        raw = ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
        channels = frames.shape[1]
        fmt_chunk = struct.pack("<HHIIHH", 1, channels, sr, sr * channels * 3, channels * 3, 24)
        body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt_chunk + b"data" + struct.pack("<I", len(raw)) + raw
        path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


# -- measurement -------------------------------------------------------------------------------

_SUMMARY = {
    "integrated_lufs": r"I:\s+(-?[\d.]+|-?inf)\s+LUFS",
    "loudness_range_lu": r"LRA:\s+(-?[\d.]+)\s+LU",
    "true_peak_dbtp": r"Peak:\s+(-?[\d.]+|-?inf)\s+dBFS",
}


def parse_ebur128(stderr: str) -> dict[str, float] | None:
    """The Summary block of ffmpeg's ebur128 filter (peak=true) as numbers, or None."""
    at = stderr.rfind("Summary:")
    if at < 0:
        return None
    summary = stderr[at:]
    found: dict[str, float] = {}
    for key, pattern in _SUMMARY.items():
        match = re.search(pattern, summary)
        if not match:
            return None
        found[key] = float(match.group(1))
    return found


def ebur128_argv(path: str) -> list[str]:
    return ["ffmpeg", "-hide_banner", "-nostats", "-i", path, "-af", "ebur128=peak=true", "-f", "null", "-"]


def read_wav(path: Path) -> dict[str, Any]:
    """Parse a RIFF/WAVE file: rate, channels, bits, sample kind and samples as float in [-1, 1].

    Raises ValueError with a reason when the file is not a WAV this grader can read.
    """
    data = path.read_bytes()
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    pos, fmt, raw = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = body
        elif cid == b"data":
            raw = body
        pos += 8 + size + (size & 1)
    if fmt is None or raw is None or len(fmt) < 16:
        raise ValueError("missing fmt or data chunk")
    tag, channels, rate, _, align, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == 0xFFFE and len(fmt) >= 26:
        tag = struct.unpack("<H", fmt[24:26])[0]
    kind = {1: "pcm", 3: "float"}.get(tag)
    if kind is None or channels < 1 or bits not in (8, 16, 24, 32, 64) or align != channels * bits // 8:
        raise ValueError(f"unsupported WAV encoding (format tag {tag}, {bits} bit, {channels} ch)")
    usable = len(raw) - len(raw) % align
    if kind == "float":
        samples = np.frombuffer(raw[:usable], dtype="<f4" if bits == 32 else "<f8").astype(np.float64)
    elif bits == 24:
        b = np.frombuffer(raw[:usable], dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = (b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8
        samples = ints / 8388608.0
    elif bits == 8:
        samples = (np.frombuffer(raw[:usable], dtype=np.uint8).astype(np.float64) - 128) / 128.0
    else:
        samples = np.frombuffer(raw[:usable], dtype=f"<i{bits // 8}").astype(np.float64) / 2.0 ** (bits - 1)
    return {"rate": rate, "channels": channels, "bits": bits, "kind": kind,
            "audio": samples.reshape(-1, channels).T}


def read_played(played_path: Path) -> dict[str, Any]:
    """The samples ffmpeg played, as its run wrote them (a 64-bit float WAV).

    Raises RuntimeError when they cannot be read back: whatever master ffmpeg decoded, its own WAV writer wrote
    them in a run that ended normally, and they take no more bytes than the master's samples read into memory
    before (so the tool run collects them whole); an unreadable file is the grader's tool sandbox at fault,
    never the submission."""
    try:
        return read_wav(played_path)
    except (OSError, ValueError, struct.error) as exc:
        raise RuntimeError(f"ffmpeg measured master.wav and ended normally, but the samples it wrote cannot be read "
                           f"back ({exc}): the grader's tool sandbox is at fault; regrade") from exc


def played_differently(played: dict[str, Any], master: dict[str, Any]) -> str:
    """Why the samples ffmpeg played (``read_played``) are not the master as read_wav reads it, or "".

    A RIFF file can be read two ways (two fmt chunks, an empty or second data chunk, a chunk after an odd-sized
    one): ffmpeg's reading is what is measured and what a player plays, read_wav's what the programme checks see."""
    if (played["rate"], played["channels"]) != (master["rate"], master["channels"]):
        return (f"ffmpeg plays {played['channels']} channel(s) at {played['rate']} Hz, the chunks read as "
                f"{master['channels']} at {master['rate']} Hz")
    if played["audio"].shape != master["audio"].shape:
        return f"ffmpeg plays {played['audio'].shape[1]} frames, the data chunk holds {master['audio'].shape[1]}"
    return "" if np.array_equal(played["audio"], master["audio"]) else "ffmpeg plays other samples than the data chunk's"


# -- generate ----------------------------------------------------------------------------------


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    sr, audio = _premaster(params)
    premaster = input_dir / PREMASTER
    _write_wav(premaster, sr, audio, params["premaster_format"])
    spec = {
        "programme": params["title"],
        "delivery_profile": params["profile"],
        "integrated_loudness_lufs": params["target_lufs"],
        "integrated_loudness_tolerance_lu": params["tolerance_lu"],
        "max_true_peak_dbtp": params["max_tp"],
        "sample_rate_hz": params["rate"],
        "bit_depth": params["bits"],
        "sample_format": "integer PCM",
        "channels": params["channels"],
        "container": "WAV (RIFF)",
        "duration": "identical to the premaster",
    }
    (input_dir / SPEC).write_text(json.dumps(spec, indent=2) + "\n")
    run = subprocess.run(ebur128_argv(str(premaster)), capture_output=True, text=True, check=True)
    measured = parse_ebur128(run.stderr)
    if measured is None:
        raise RuntimeError("ffmpeg ebur128 gave no summary for the premaster")
    reference = {"premaster": measured, "duration_s": audio.shape[1] / sr, "premaster_rate": sr}
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=2) + "\n")


# -- grade -------------------------------------------------------------------------------------


def _premaster_as_master(master: dict[str, Any], premaster: dict[str, Any], channels: int) -> np.ndarray:
    """The premaster downmixed to the master's channels and resampled to its rate."""
    src = premaster["audio"]
    if channels == 1:
        src = src.mean(axis=0, keepdims=True)
    if master["rate"] != premaster["rate"]:
        g = math.gcd(master["rate"], premaster["rate"])
        src = signal.resample_poly(src, master["rate"] // g, premaster["rate"] // g, axis=1)
    return src


def _programme_match(master: dict[str, Any], premaster: dict[str, Any], channels: int) -> tuple[float, int]:
    """Lowest per-channel correlation of the master with the premaster (downmixed, resampled) at the best lag,
    and the largest best lag over the channels (samples of the master; 0 when sample-aligned)."""
    src = _premaster_as_master(master, premaster, channels)
    out = master["audio"]
    n = min(src.shape[1], out.shape[1])
    max_lag = master["rate"] // 10
    worst, lag = 1.0, 0
    for ch in range(channels):
        a, b = src[ch, :n], out[ch, :n]
        xc = signal.correlate(b, a, mode="full", method="fft")
        mid = n - 1
        reach = min(max_lag, mid)
        window = xc[mid - reach: mid + max_lag + 1]
        norm = math.sqrt(float(np.dot(a, a)) * float(np.dot(b, b)))
        worst = min(worst, float(np.max(window)) / norm if norm > 0 else 0.0)
        lag = max(lag, abs(int(np.argmax(window)) - reach))
    return worst, lag


GAIN_BLOCK_S = 0.0005  # a limiter's gain barely moves within half a millisecond; a clipper's moves every sample
MAX_DISTORTION_DB = -30.0  # look-ahead limiters leave -35 dB (0.1 ms attack) to -55 dB; clipping the peaks about -20 dB


def distortion_db(master: dict[str, Any], premaster: dict[str, Any], channels: int) -> float:
    """How far the master departs from the premaster under a smoothly varying gain: in blocks of half a
    millisecond, the energy left after the best gain per block, relative to the master's energy (dB), at the
    best lag of up to two samples, both band-limited to 0.4 of the lower sample rate. Gain and limiting leave
    little; clipping or any other reshaping of the waveform a lot."""
    # both band-limited well inside the lower Nyquist, so resamplers' different band edges do not count
    band = signal.butter(8, 0.4 * min(master["rate"], premaster["rate"]), fs=master["rate"], output="sos")
    src = signal.sosfiltfilt(band, _premaster_as_master(master, premaster, channels), axis=1)
    out = signal.sosfiltfilt(band, master["audio"], axis=1)
    block = max(1, int(master["rate"] * GAIN_BLOCK_S))
    best = math.inf
    for lag in range(-2, 3):
        a, b = (src[:, max(0, -lag):], out[:, max(0, lag):])
        n = (min(a.shape[1], b.shape[1]) // block) * block
        if n == 0:
            return 0.0
        pre = a[:, :n].reshape(channels, -1, block)
        got = b[:, :n].reshape(channels, -1, block)
        gain = (pre * got).sum(axis=-1) / np.maximum((pre * pre).sum(axis=-1), 1e-20)
        residual = float(((got - gain[..., None] * pre) ** 2).sum())
        energy = float((got**2).sum())
        best = min(best, residual / energy if energy > 0 else 1.0)
    return 10 * math.log10(max(best, 1e-12))


LIMITED_DB = -55.0  # energy taken off by the master's gain movements, relative to the master, below which nothing was limited
MAX_CLIPPED_DB = -15.0  # of what limiting takes off, a smooth gain leaves -27 dB (0.1 ms attack) to -57 dB; a clipper -3 to -5 dB


def _smooth_gain_residual(a: np.ndarray, b: np.ndarray, knot: int) -> float:
    """The energy left of ``b`` after the best gain on ``a`` that moves linearly between knots ``knot`` samples apart
    (least squares: a banded system of one unknown per knot)."""
    n = (len(a) // knot) * knot
    a, b = a[:n], b[:n]
    knots = n // knot + 1
    left = np.arange(n) // knot
    right_w = (np.arange(n) % knot) / knot
    left_w = 1 - right_w
    aa = a * a
    banded = np.zeros((2, knots))
    banded[0, 1:] = np.bincount(left, aa * left_w * right_w, minlength=knots)[: knots - 1]
    banded[1] = np.bincount(left, aa * left_w**2, minlength=knots) + np.bincount(left + 1, aa * right_w**2, minlength=knots)
    banded[1] += 1e-9 * max(float(banded[1].max()), 1e-20)
    rhs = np.bincount(left, a * b * left_w, minlength=knots) + np.bincount(left + 1, a * b * right_w, minlength=knots)
    gain = linalg.solveh_banded(banded, rhs)
    return float(((b - a * (gain[left] * left_w + gain[left + 1] * right_w)) ** 2).sum())


def clipping_db(master: dict[str, Any], premaster: dict[str, Any], channels: int) -> tuple[float, float]:
    """Whether the peaks were turned down or cut off: (the energy the master's gain movements take off the premaster
    under its static gain, relative to the master's energy; the share of that left after the best smooth gain, one
    that moves linearly between knots a quarter of a millisecond apart), in dB, at the best lag of up to two samples,
    both band-limited to 0.4 of the lower sample rate. A limiter turns the peaks down with a smooth gain, which
    accounts for nearly all it takes off; a clipper cuts their tips off, which no smooth gain accounts for. Overall,
    the few clipped tips hardly count against the whole programme: measured against what was taken off, they do."""
    band = signal.butter(8, 0.4 * min(master["rate"], premaster["rate"]), fs=master["rate"], output="sos")
    src = signal.sosfiltfilt(band, _premaster_as_master(master, premaster, channels), axis=1)
    out = signal.sosfiltfilt(band, master["audio"], axis=1)
    knot = max(1, int(master["rate"] * GAIN_BLOCK_S / 2))
    best = (math.inf, 0.0, 0.0)
    for lag in range(-2, 3):
        a, b = (src[:, max(0, -lag):], out[:, max(0, lag):])
        n = (min(a.shape[1], b.shape[1]) // knot) * knot
        if n == 0:
            return -math.inf, 0.0
        left = taken = 0.0
        for ch in range(channels):
            pre, got = a[ch, :n].reshape(-1, knot), b[ch, :n].reshape(-1, knot)
            energy = (pre * pre).sum(axis=1)
            gains = (pre * got).sum(axis=1) / np.maximum(energy, 1e-20)
            sound = energy > 1e-4 * energy.max()
            static = float(np.percentile(gains[sound], 95)) if sound.any() else 0.0
            taken += float(((static * a[ch, :n] - b[ch, :n]) ** 2).sum())
            left += _smooth_gain_residual(a[ch, :n], b[ch, :n], knot)
        best = min(best, (left, taken, float((b[:, :n] ** 2).sum())))
    left, taken, total = best
    return 10 * math.log10(max(taken, 1e-30) / max(total, 1e-30)), 10 * math.log10(max(left, 1e-30) / max(taken, 1e-30))


RIDE_WINDOW_S = 0.1  # gain is compared with the premaster's over windows of 100 ms
RIDE_REACH_S = 1.0  # a limiter's gain reduction follows a peak within this reach (attack, look-ahead, release)
RIDE_MARGIN_DB = 1.5  # gain reduction allowed beyond what the nearby peaks demand of a limiter
MAX_RIDING_SHARE = 0.05  # of the windows with sound


def gain_riding(master: dict[str, Any], premaster: dict[str, Any], channels: int,
                ceiling_dbtp: float) -> tuple[float, float]:
    """The master's static gain over the premaster (the 95th percentile of its 100 ms window gains, dB; NaN when
    too short), and how much of the programme it turns down where no peak demands it: the share of the windows
    with sound whose gain sits more than RIDE_MARGIN_DB under the static gain beyond the reduction the loudest
    premaster peak within RIDE_REACH_S would need to meet the ceiling at that gain. A static gain and a true-peak
    limiter (any attack and release up to a second) leave none; a compressor or a dynamic normaliser rides the
    gain of loud passages that have no peak near the ceiling."""
    src = _premaster_as_master(master, premaster, channels)
    out = master["audio"]
    window = max(1, int(master["rate"] * RIDE_WINDOW_S))
    count = min(src.shape[1], out.shape[1]) // window
    if count < 10:
        return math.nan, 0.0
    cut = count * window
    src_energy = (src[:, :cut] ** 2).reshape(channels, count, window).mean(axis=(0, 2))
    out_energy = (out[:, :cut] ** 2).reshape(channels, count, window).mean(axis=(0, 2))
    peaks = np.abs(src[:, :cut]).reshape(channels, count, window).max(axis=(0, 2))
    src_db, out_db = 10 * np.log10(src_energy + 1e-20), 10 * np.log10(out_energy + 1e-20)
    sound = src_db > src_db.max() - 40
    gain = out_db - src_db
    static = float(np.percentile(gain[sound], 95))
    reach = round(RIDE_REACH_S / RIDE_WINDOW_S)
    near = ndimage.maximum_filter1d(peaks, size=2 * reach + 1, mode="nearest")
    needed = np.maximum(0.0, 20 * np.log10(near + 1e-12) + static - ceiling_dbtp)
    excess = (static - gain) - needed
    return static, float(np.mean(excess[sound] > RIDE_MARGIN_DB))


PROCESSING_CHECK = "report: the processing line agrees with the master (limiting, gain, ceiling)"
GAIN_STATED_TOL_DB = 1.0  # a gain the processing line states, against the master's static gain
CEILING_STATED_TOL_DB = 1.5  # a limiter's sample-peak ceiling lets inter-sample overs through, up to about 1 dB
_CLAUSE = re.compile(r"[,;]|\.(?!\d)|:(?!\d)|->|→|\bthen\b|\bfollowed by\b", re.I)
_DB_FIGURE = re.compile(r"([+\-−]?\d+(?:\.\d+)?)\s*dB(TP|FS)?\b", re.I)
_LIMITING = r"limit(?:er|ers|ing|ed)\b(?!\s+(?:artefact|artifact|distortion|pumping|overshoot)s?\b)"
_LIMITING_DENIED = re.compile("|".join((
    rf"\b(?:no|not|without|never|nor)\s+(?:[\w-]+\s+){{0,2}}?{_LIMITING}",  # "no limiter", "without any limiting"
    rf"{_LIMITING}\s+(?:(?:was|is|were|had|has)\s+)?(?:(?:not|never|wasn't|isn't)\s+(?:[\w-]+\s+)?"  # "was not needed"
    r"(?:needed|used|applied|engaged|required|necessary|triggered|active)|unused|bypassed|off|disabled|unnecessary)\b",
    rf"\b(?:didn't|did not|no need (?:for|to))\s+(?:[\w-]+\s+){{0,2}}?{_LIMITING}",  # "did not need a limiter"
)), re.I)
_GAIN_ONLY = re.compile(r"\b(?:only|just|pure|purely|plain|simple)\s+(?:(?:linear|static|a)\s+)?gain\b|\bgain\s+only\b",
                        re.I)
_GAIN_FIGURE = re.compile(r"\b(?:gain|volume)\s*(?:of|by|=|:)?\s*([+\-−]?\d+(?:\.\d+)?)\s*dB\b(?!TP|FS)"
                          r"|([+\-−]?\d+(?:\.\d+)?)\s*dB\s+(?:of\s+)?(?:[\w-]+\s+)?(?:gain|volume)\b(?!\s+reduction)", re.I)
_LOWERED = re.compile(r"\b(?:negative|attenuat\w*|reduc\w*|lower\w*|cut|down|decrease\w*)\b", re.I)


def _decibels(text: str) -> float:
    return float(text.replace("−", "-"))


def processing_contradictions(line: str, static_gain_db: float | None, peaks_turned_down: bool,
                              true_peak_dbtp: float) -> list[str]:
    """What the report's one line on the chain says that the master contradicts, clause by clause: limiting (or
    anything but gain) denied where the peaks were turned down; gain figures ("gain +4.2 dB", "volume=4.2dB",
    "+4.2 dB of make-up gain"; not gain reduction) none of which is the master's static gain (None when a downmix
    leaves the gain's scale open); a limiter's or ceiling's figures all far under the master's true peak."""
    wrong = []
    for clause in (c.strip() for c in _CLAUSE.split(line)):
        gain_only = _GAIN_ONLY.search(clause) and not re.search(_LIMITING, clause, re.I)
        if peaks_turned_down and (_LIMITING_DENIED.search(clause) or gain_only):
            wrong.append(f"{clause!r}: the master's peaks are turned down by a limiter")
        stated = [before or after for before, after in _GAIN_FIGURE.findall(clause)]
        if stated and static_gain_db is not None:
            lowered = _LOWERED.search(clause) is not None  # an unsigned figure then reads either way
            readings = [sign * _decibels(text) for text in stated
                        for sign in ((1, -1) if lowered and text[0] not in "+-−" else (1,))]
            if all(abs(r - static_gain_db) > GAIN_STATED_TOL_DB for r in readings):
                wrong.append(f"{clause!r}: the master's static gain is {static_gain_db:+.1f} dB")
        figures = [_decibels(value) for value, _ in _DB_FIGURE.findall(clause)]
        if (re.search(_LIMITING + r"|\bceiling\b", clause, re.I) and figures
                and all(value < true_peak_dbtp - CEILING_STATED_TOL_DB for value in figures)):
            wrong.append(f"{clause!r}: the master's true peak is {true_peak_dbtp:.1f} dBTP")
    return wrong


def _report_section(report: Any, key: str) -> dict[str, Any]:
    section = report.get(key) if isinstance(report, dict) else None
    return section if isinstance(section, dict) else {}


def _agree(g: Grading, name: str, section: dict[str, Any], expected: dict[str, float], tolerances: dict[str, float]) -> None:
    wrong = []
    for key, tol in tolerances.items():
        found = section.get(key)
        if not is_close(found, expected[key], abs_tol=tol):
            wrong.append(f"{key}={found!r} (measured {expected[key]:g}, tolerance {tol:g})")
    g.check(name, not wrong, expected=expected, found={k: section.get(k) for k in tolerances}, reason="; ".join(wrong))


def grade(g: Grading) -> None:
    p = g.params
    if not g.require_files(MASTER, REPORT):
        return
    try:
        master = read_wav(g.output(MASTER))
    except (ValueError, struct.error) as exc:
        g.check("master.wav is a readable WAV file", False, gate=True, reason=str(exc))
        return
    g.check("master.wav is a readable WAV file", True, gate=True)
    report = g.read_json(REPORT)
    if report is None:
        return
    ref = g.reference_json("reference.json")

    fmt_found = {"sample_rate_hz": master["rate"], "bit_depth": master["bits"], "channels": master["channels"],
                 "sample_format": master["kind"]}
    fmt_want = {"sample_rate_hz": p["rate"], "bit_depth": p["bits"], "channels": p["channels"], "sample_format": "pcm"}
    bad = [k for k in fmt_want if fmt_found[k] != fmt_want[k]]
    g.check("delivery format (rate, bit depth, channels, integer PCM)", not bad, expected=fmt_want, found=fmt_found,
            reason=f"wrong: {', '.join(bad)}" if bad else "")

    duration = master["audio"].shape[1] / master["rate"]
    g.number("duration matches the premaster (s)", duration, ref["duration_s"], abs_tol=0.05)

    # ffmpeg measures the master and writes the samples it played, to be held against those the checks below read
    run = g.run_tool([*ebur128_argv("master.wav"), "-c:a", "pcm_f64le", PLAYED], {"master.wav": g.output(MASTER)},
                     timeout=60)
    measured = parse_ebur128(run.stderr) if run.ok else None
    if measured is None:
        g.check("master re-measured with ffmpeg ebur128", False, reason=f"ffmpeg failed: {run.stderr[-300:]}")
        for name in ("integrated loudness on target", "true peak under the ceiling", "report: master figures",
                     PROCESSING_CHECK):
            g.check(name, False, weight=1.0 if name.startswith("report") else 2.0, reason="no measurement of the master")
    else:
        differs = played_differently(read_played(run.workdir / PLAYED), master)
        if not g.check("ffmpeg plays master.wav as the samples its fmt and data chunks hold (one reading of the file)",
                       not differs, gate=True, weight=0, reason=differs):
            return
        g.number("integrated loudness on target", measured["integrated_lufs"], float(p["target_lufs"]),
                 abs_tol=float(p["tolerance_lu"]), weight=2.0)
        tp = measured["true_peak_dbtp"]
        g.check("true peak under the ceiling", tp <= float(p["max_tp"]), weight=2.0, expected=f"<= {p['max_tp']} dBTP",
                found=tp, reason="" if tp <= float(p["max_tp"]) else "true peak above the ceiling")
        _agree(g, "report: master figures", _report_section(report, "master"), measured,
               {"integrated_lufs": 0.25, "true_peak_dbtp": 0.25, "loudness_range_lu": 0.6})

    premaster = read_wav(g.input_dir / PREMASTER)
    if master["channels"] == p["channels"] and master["audio"].shape[1] > master["rate"]:
        match, lag = _programme_match(master, premaster, p["channels"])
        g.check("same programme as the premaster (correlation)", match >= 0.9, expected=">= 0.9",
                found=round(match, 4), reason="" if match >= 0.9 else "the master does not follow the premaster")
        g.check("master sample-aligned with the premaster", lag <= 2, expected="best lag <= 2 samples",
                found=f"{lag} samples", reason="" if lag <= 2 else "the chain delays the programme (latency left in)")
        distortion = distortion_db(master, premaster, p["channels"])
        limited, clipped = clipping_db(master, premaster, p["channels"])
        cut = limited > LIMITED_DB and clipped > MAX_CLIPPED_DB
        g.check("only gain and limiting: no clipping or reshaping of the waveform", distortion <= MAX_DISTORTION_DB
                and not cut, weight=2.0, expected=f"<= {MAX_DISTORTION_DB} dB left after a smooth gain; where the peaks "
                f"are turned down, <= {MAX_CLIPPED_DB} dB of what is taken off left after a smooth gain",
                found=f"{distortion:.1f} dB; {clipped:.1f} dB of {limited:.1f} dB taken off",
                reason="the peaks are clipped, not limited" if cut else "" if distortion <= MAX_DISTORTION_DB
                else "the peaks are clipped or the programme reshaped")
        static, riding = gain_riding(master, premaster, p["channels"], float(p["max_tp"]))
        g.check("gain reduced only where the peaks demand it (no compression or riding gain)",
                riding <= MAX_RIDING_SHARE, expected=f"<= {MAX_RIDING_SHARE:.0%} of the programme's 100 ms windows",
                found=f"{riding:.1%}", reason="" if riding <= MAX_RIDING_SHARE else
                f"the level of passages with no peak near the ceiling is turned down by more than {RIDE_MARGIN_DB:g} dB")
        if measured is not None:
            line = report.get("processing") if isinstance(report, dict) else None
            wrong = (processing_contradictions(line, static if premaster["channels"] == p["channels"] else None,
                                               limited > LIMITED_DB, measured["true_peak_dbtp"])
                     if isinstance(line, str) and line.strip() else ["no processing line"])
            g.check(PROCESSING_CHECK, not wrong, found=line, reason="; ".join(wrong))
    else:
        for name in ("same programme as the premaster (correlation)", "master sample-aligned with the premaster",
                     "only gain and limiting: no clipping or reshaping of the waveform",
                     "gain reduced only where the peaks demand it (no compression or riding gain)", PROCESSING_CHECK):
            g.check(name, False, weight=2.0 if name.startswith("only") else 1.0,
                    reason="channel count or length unusable")

    _agree(g, "report: premaster figures", _report_section(report, "premaster"), ref["premaster"],
           {"integrated_lufs": 0.3, "true_peak_dbtp": 0.3, "loudness_range_lu": 0.8})
    file_facts = {"sample_rate_hz": master["rate"], "bit_depth": master["bits"], "channels": master["channels"],
                  "duration_s": duration}
    _agree(g, "report: format fields match the file", _report_section(report, "master"), file_facts,
           {"sample_rate_hz": 0, "bit_depth": 0, "channels": 0, "duration_s": 0.05})
