#!/usr/bin/env python3
"""Near-miss shortcuts on the broadcast deliverable; the script's name picks the shortcut.

- white_boxes: captions replaced by white boxes with a black outline at the cue times (no text).
- blended_conform: frame rate converted by blending neighbour frames instead of nearest frame.
- flagged_scan: interlaced scan only flagged in the container, the picture coded progressive; on a
  progressive spec the captions are burned in from drawtext without the head offset.
- whole_file_detectors: a correct deliverable, but the content QC runs ffmpeg's freezedetect and
  silencedetect with their default settings over the whole file, head included, and the verdict
  follows whatever they report.
- over_cautious_qc: a correct deliverable, but every hold or pause of 0.2 s or more in the programme is
  logged as a fault and fails the file, whatever the spec sheet's threshold.
- compressed_to_spec: a correct picture and content QC, but the programme sound is squeezed by a compressor so that
  loudness and true peak land on the spec without a limiter: the mix is re-edited, not level-managed.
- fault_from_profile: a correct deliverable, but the content QC answered from the profile: the fault its public
  instance held (none, a frozen picture or an audio dropout), logged as the longest event of that kind.
The first three sign the file off PASS with an empty fault log.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
WORK = Path.home() / "deliverable_work"
MODE = Path(sys.argv[0]).stem
PRE_GAIN: list[float] = []
# fault_from_profile: the content fault each profile's public instance held before faults were drawn per seed
PUBLIC_FAULTS = {"1080i25": None, "720p50": "frozen_picture", "1080p23.976": "audio_dropout"}
BARS = {"EBU 75% colour bars": "pal75bars", "SMPTE RP 219 HD colour bars": "smptehdbars"}


def ffmpeg(*args: str) -> str:
    run = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-y", *args], capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(run.stderr[-3000:])
    return run.stderr


def ffprobe(*args: str) -> str:
    return subprocess.run(["ffprobe", "-v", "error", *args], capture_output=True, text=True, check=True).stdout


def loudness(path: Path, start: float = 0.0) -> dict[str, float]:
    err = ffmpeg("-ss", f"{start:.3f}", "-i", str(path), "-map", "0:a:0", "-af", "ebur128=peak=true", "-f", "null", "-")
    summary = err[err.rfind("Summary:"):]
    return {"integrated_lufs": float(re.search(r"I:\s+(-?[\d.]+)\s+LUFS", summary).group(1)),
            "true_peak_dbtp": float(re.search(r"Peak:\s+(-?[\d.]+)\s+dBFS", summary).group(1))}


def shift_srt(text: str, offset: float) -> str:
    def move(match: re.Match) -> str:
        h, m, s, ms = (int(x) for x in match.groups())
        total = round((h * 3600 + m * 60 + s) * 1000 + ms + offset * 1000)
        return f"{total // 3600000:02d}:{total // 60000 % 60:02d}:{total // 1000 % 60:02d},{total % 1000:03d}"
    return re.sub(r"(\d+):(\d+):(\d+),(\d+)", move, text)


def conform(fps: str) -> str:
    return f"framerate=fps={fps}" if MODE == "blended_conform" else f"fps={fps}"


def cue_times(srt: Path) -> list[tuple[float, float, str]]:
    def seconds(stamp: str) -> float:
        h, m, s, ms = (int(x) for x in re.split(r"[:,]", stamp))
        return h * 3600 + m * 60 + s + ms / 1000
    blocks = re.findall(r"(\d+:\d+:\d+,\d+) --> (\d+:\d+:\d+,\d+)\n(.+)", srt.read_text())
    return [(seconds(a), seconds(b), text) for a, b, text in blocks]


def captions(srt: Path, w: int, h: int) -> str:
    if MODE == "white_boxes":
        boxes = []
        for a, b, text in cue_times(srt):
            bw = len(text) * w // 80
            x, y = (w - bw) // 2, h - h // 8
            on = f"enable='between(t,{a},{b})'"
            boxes.append(f"drawbox=x={x - 3}:y={y - 3}:w={bw + 6}:h={h // 24 + 6}:color=black:t=fill:{on}")
            boxes.append(f"drawbox=x={x}:y={y}:w={bw}:h={h // 24}:color=white:t=fill:{on}")
        return ",".join(boxes)
    if MODE == "flagged_scan":
        parts = []  # cue times read from the unshifted SRT: the head offset is forgotten
        for a, b, text in cue_times(INPUT / "captions.srt"):
            text = text.replace("'", "").replace(",", "\\,").replace(":", "\\:")
            parts.append(f"drawtext=text='{text}':fontcolor=white:borderw=2:bordercolor=black:fontsize={h // 20}"
                         f":x=(w-text_w)/2:y=h-{h // 8}:enable='between(t,{a},{b})'")
        return ",".join(parts)
    return f"subtitles={srt}:force_style='FontName=DejaVu Sans,Outline=2,MarginV=40'"


def build_video(spec: dict, head: dict, srt: Path, target: Path) -> None:
    v = spec["video"]
    w, h, fps = v["width"], v["height"], v["frame_rate"]
    bars = BARS[head["bars_pattern"]]
    graph = (
        f"{bars}=size={w}x{h}:rate={fps}:duration={head['bars_seconds']},format=yuv420p,setsar=1[bars];"
        f"color=black:size={w}x{h}:rate={fps}:duration={head['black_seconds']},format=yuv420p,setsar=1[black];"
        f"[0:v]scale={w}:{h}:flags=bicubic,setsar=1,{conform(fps)},format=yuv420p[prog];"
        f"[bars][black][prog]concat=n=3:v=1:a=0,{captions(srt, w, h)}"
    )
    interlaced = v["scan"].startswith("interlaced")
    flag_only = MODE == "flagged_scan" and interlaced
    interlaced = interlaced and not flag_only
    graph += (",setfield=tff" if interlaced else "") + "[v]"
    x264 = "cabac=1:8x8dct=1" + (":tff=1" if interlaced else "")
    args = ["-i", str(INPUT / "source.mov"), "-filter_complex", graph, "-map", "[v]", "-an",
            "-c:v", "libx264", "-preset", "ultrafast", "-x264-params", x264, "-profile:v", "high",
            "-level:v", v["level"], "-g", str(v["max_gop_frames"]), "-keyint_min", str(v["max_gop_frames"]),
            "-sc_threshold", "0", "-maxrate", f"{v['max_bitrate_kbps']}k", "-bufsize", f"{v['vbv_buffer_kbit']}k",
            "-pix_fmt", "yuv420p"]
    if interlaced:
        args += ["-flags", "+ildct+ilme", "-field_order", "tt"]
    if flag_only:
        args += ["-field_order", "tt"]
    ffmpeg(*args, str(target))


def build_audio(spec: dict, head: dict, gain_db: float, limit_dbtp: float | None, target: Path) -> None:
    a = spec["audio"]
    tone_db = float(re.search(r"(-?[\d.]+) dBFS", head["line_up_tone"]).group(1))
    amp = 10 ** (tone_db / 20)
    chain = f"[0:a]aresample=48000,aformat=channel_layouts=stereo,volume={gain_db:.3f}dB:precision=double"
    if MODE == "compressed_to_spec":  # the first gain brings the programme to level, the compressor squeezes it
        if not PRE_GAIN:
            PRE_GAIN.append(gain_db)
        chain = (f"[0:a]aresample=48000,aformat=channel_layouts=stereo,volume={PRE_GAIN[0]:.3f}dB,"
                 "acompressor=threshold=0.02:ratio=8:attack=5:release=100,"
                 f"volume={gain_db - PRE_GAIN[0]:.3f}dB:precision=double")
    if limit_dbtp is not None:
        chain += (f",aresample=192000,alimiter=limit={10 ** (limit_dbtp / 20):.5f}:attack=1:release=60"
                  ":level=false:latency=true,aresample=48000")
    graph = (
        f"aevalsrc={amp:.6f}*sin(2*PI*1000*t)|{amp:.6f}*sin(2*PI*1000*t):s=48000:d={head['bars_seconds']}[tone];"
        f"aevalsrc=0|0:s=48000:d={head['black_seconds']}[silence];{chain}[prog];"
        "[tone][silence][prog]concat=n=3:v=0:a=1,aformat=channel_layouts=stereo[a]"
    )
    codec = ["-c:a", "pcm_s24le"] if "PCM" in a["codec"] else ["-c:a", "aac", "-b:a", "256k"]
    ffmpeg("-i", str(INPUT / "source.mov"), "-filter_complex", graph, "-map", "[a]", "-ar", "48000", *codec,
           str(target))


def main() -> None:
    spec = json.loads((INPUT / "spec_sheet.json").read_text())
    head, a = spec["head"], spec["audio"]
    start = float(head["programme_starts_at_s"])
    WORK.mkdir(exist_ok=True)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    srt = WORK / "captions_shifted.srt"
    srt.write_text(shift_srt((INPUT / "captions.srt").read_text(), start))
    video = WORK / "video.mov"
    build_video(spec, head, srt, video)

    source = loudness(INPUT / "source.mov")
    target_i, ceiling = float(a["programme_loudness_lufs"]), float(a["max_true_peak_dbtp"])
    gain = target_i - source["integrated_lufs"]
    limit = None if source["true_peak_dbtp"] + gain <= ceiling - 1.0 else ceiling - 1.2
    sound = WORK / ("audio.mov")
    for _ in range(5):
        build_audio(spec, head, gain, limit, sound)
        got = loudness(sound, start)
        error = got["integrated_lufs"] - target_i
        if abs(error) <= 0.2 and got["true_peak_dbtp"] <= ceiling - 0.2:
            break
        gain -= error
        if got["true_peak_dbtp"] > ceiling - 0.2:
            limit = (limit if limit is not None else ceiling - 1.0) - 0.4
    else:
        raise SystemExit(f"audio could not meet the spec: {got}")

    finish(video, sound, start, srt)


def finish(video: Path, sound: Path, start: float, srt: Path) -> None:
    final = OUTPUT / "deliverable.mov"
    ffmpeg("-i", str(video), "-i", str(sound), "-map", "0:v", "-map", "1:a", "-c", "copy", "-movflags", "+faststart",
           str(final))
    write_report(final, start, len(re.findall(r"-->", srt.read_text())), srt)


def detected(path: Path, options: str, offset: float) -> list[dict]:
    """Freezes and silences freezedetect/silencedetect report in ``path`` (``options``: their settings)."""
    log = ffmpeg("-i", str(path), "-vf", f"freezedetect{options}", "-af", f"silencedetect{options}", "-f", "null", "-")
    faults = []
    for kind, key in (("frozen_picture", "freeze"), ("audio_dropout", "silence")):
        starts, lengths = re.findall(rf"{key}_start: (-?[\d.]+)", log), re.findall(rf"{key}_duration: ([\d.]+)", log)
        faults += [{"type": kind, "start_s": round(offset + float(a), 3), "duration_s": round(float(d), 3)}
                   for a, d in zip(starts, lengths, strict=False)]
    return faults


def write_report(final: Path, start: float, cues: int, srt: Path) -> None:
    info = json.loads(ffprobe("-show_format", "-show_streams", "-of", "json", str(final)))
    v = next(s for s in info["streams"] if s["codec_type"] == "video")
    a = next(s for s in info["streams"] if s["codec_type"] == "audio")
    flags = [line.split(",")[-1] for line in ffprobe("-select_streams", "v:0", "-show_entries", "packet=flags",
                                                     "-of", "csv=p=0", str(final)).split()]
    keys = [i for i, f in enumerate(flags) if "K" in f] + [len(flags)]
    first = re.search(r"(\d+):(\d+):(\d+),(\d+)", srt.read_text()).groups()
    first_in = int(first[0]) * 3600 + int(first[1]) * 60 + int(first[2]) + int(first[3]) / 1000
    measured = loudness(final, start)
    faults = []
    if MODE == "whole_file_detectors":
        faults = detected(final, "", 0.0)
    elif MODE == "over_cautious_qc":
        faults = detected(INPUT / "source.mov", "=d=0.2", start)
    elif MODE == "compressed_to_spec":
        faults = detected(INPUT / "source.mov", "=d=1", start)
    elif MODE == "fault_from_profile":  # the profile's public instance said which fault, if any: its longest event
        profile = json.loads((INPUT / "spec_sheet.json").read_text())["broadcaster_profile"]
        kind = next((k for p, k in PUBLIC_FAULTS.items() if p in profile), None)
        events = [f for f in detected(INPUT / "source.mov", "=d=0.2", start) if f["type"] == kind]
        faults = sorted(events, key=lambda f: -f["duration_s"])[:1]
    report = {
        "file": final.name,
        "container": info["format"]["format_name"],
        "duration_s": round(float(info["format"]["duration"]), 3),
        "video": {"codec": v["codec_name"], "profile": v["profile"], "level": f"{v['level'] / 10:.1f}",
                  "width": v["width"], "height": v["height"], "pix_fmt": v["pix_fmt"],
                  "frame_rate": str(Fraction(v["r_frame_rate"])),
                  "scan": "interlaced_tff" if v.get("field_order") in ("tt", "tb") else "progressive",
                  "max_gop_frames": max(b - x for x, b in itertools.pairwise(keys)),
                  "bit_rate_kbps": round(int(v.get("bit_rate", 0)) / 1000)},
        "audio": {"codec": a["codec_name"], "sample_rate_hz": int(a["sample_rate"]), "channels": a["channels"],
                  "programme_loudness_lufs": measured["integrated_lufs"],
                  "programme_true_peak_dbtp": measured["true_peak_dbtp"]},
        "head": {"programme_starts_at_s": start},
        "captions": {"cue_count": cues, "first_cue_in_s": round(first_in, 3)},
        "faults": faults,
        "result": "FAIL" if faults else "PASS",
    }
    (OUTPUT / "qc_report.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
