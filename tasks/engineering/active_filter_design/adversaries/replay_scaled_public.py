#!/usr/bin/env python3
"""Near-miss shortcut agent for engineering/active_filter_design: the public instance's design, frequency-scaled.

It holds the oracle's netlists for the public Sallen-Key instances of version 1.3.0 (anyone can regenerate them
from the public repository). Moving every R and C of a stage by one factor moves the whole response along the
frequency axis, so it scales the public design to this instance's passband edge, splitting each stage's factor
between its resistors and capacitors so that they round well to E24/E12, simulates a range of such shifts in
ngspice and writes the one with the best worst-case margin, with its simulated figures. No design for this
instance's own passband drop, edge ratio and attenuation.
"""
# ALE-CANARY-32a10619-adb6-478f-8f7a-b043433b4396

import itertools
import json
import math
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

INPUT = Path(os.environ["ALE_INPUT_DIR"])
OUTPUT = Path(os.environ["ALE_OUTPUT_DIR"])
PUBLIC = [
    {"key": "lowpass/sallen-key-unity-gain/GPOA1", "edge_hz": 394.0, "body": ["R11 in s1a 240k", "R12 s1a s1b 8.2k", "C11 s1a n1 33n", "C12 s1b 0 3.3n", "XU1 s1b n1 n1 GPOA1", "R21 n1 s2a 150k", "R22 s2a s2b 3.6k", "C21 s2a out 180n", "C22 s2b 0 1.2n", "XU2 s2b out out GPOA1"]},
    {"key": "highpass/sallen-key-unity-gain/GPOA3", "edge_hz": 35.6, "body": ["C11 in s1a 39n", "C12 s1a s1b 120n", "R11 s1a n1 39k", "R12 s1b 0 75k", "XU1 s1b n1 n1 GPOA3", "C21 n1 s2a 22n", "C22 s2a s2b 56n", "R21 s2a out 33k", "R22 s2b 0 620k", "XU2 s2b out out GPOA3"]},
    {"key": "lowpass/sallen-key-unity-gain/FPOA10", "edge_hz": 4050.0, "body": ["R11 in s1a 22k", "R12 s1a s1b 1.3k", "C11 s1a n1 33n", "C12 s1b 0 5.6n", "XU1 s1b n1 n1 FPOA10", "R21 n1 s2a 13k", "R22 s2a s2b 5.1k", "C21 s2a n2 15n", "C22 s2b 0 2.2n", "XU2 s2b n2 n2 FPOA10", "R31 n2 s3a 5.1k", "R32 s3a s3b 1k", "C31 s3a out 180n", "C32 s3b 0 1.5n", "XU3 s3b out out FPOA10"]}
]
E12 = (1.0, 1.2, 1.5, 1.8, 2.2, 2.7, 3.3, 3.9, 4.7, 5.6, 6.8, 8.2)
E24 = (1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.8, 2.0, 2.2, 2.4, 2.7, 3.0,
       3.3, 3.6, 3.9, 4.3, 4.7, 5.1, 5.6, 6.2, 6.8, 7.5, 8.2, 9.1)
RESISTORS = [m * 10.0 ** d for d in range(3, 7) for m in E24 if m * 10.0 ** d <= 1e6 * 1.001]
CAPACITORS = [m * 10.0 ** d for d in range(-9, -6) for m in E12] + [1e-6]
SCALE = {"meg": 1e6, "k": 1e3, "m": 1e-3, "u": 1e-6, "n": 1e-9, "p": 1e-12}


def value(token: str) -> float:
    for suffix, factor in SCALE.items():
        if token.lower().endswith(suffix):
            return float(token[: -len(suffix)]) * factor
    return float(token)


def nearest(values: list[float], x: float) -> float:
    return min(values, key=lambda v: abs(math.log(v / x)))


def scaled(body: list[str], k: float) -> dict[str, float]:
    """Each stage's parts with its time constants divided by k, the R/C split chosen to round best."""
    stages: dict[str, list[list[str]]] = {}
    for line in body:
        tokens = line.split()
        if tokens[0][0] in "RC":
            stages.setdefault(tokens[0][1], []).append(tokens)
    parts: dict[str, float] = {}
    for tokens_list in stages.values():
        best = None
        for j in range(-240, 241, 4):
            c_factor = 10 ** (j / 120)
            wanted = {t[0]: value(t[3]) * (1 / (k * c_factor) if t[0][0] == "R" else c_factor) for t in tokens_list}
            got = {n: nearest(RESISTORS if n[0] == "R" else CAPACITORS, x) for n, x in wanted.items()}
            error = max(abs(math.log(got[n] / wanted[n])) for n in wanted)
            if best is None or error < best[0]:
                best = (error, got)
        parts.update(best[1])
    return parts


def simulate(body: list[str]) -> list[tuple[float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(INPUT / "opamp.lib", Path(tmp, "opamp.lib"))
        Path(tmp, "tb.cir").write_text("\n".join([
            "* tb", ".include opamp.lib", ".subckt FILTER in out", *body, ".ends FILTER", "VIN vin 0 AC 1",
            "XF vin vout FILTER", ".ac dec 200 0.1 1Meg", ".control", "set wr_singlescale", "run",
            "wrdata ac.txt vdb(vout)", "quit 0", ".endc", ".end", ""]))
        subprocess.run(["ngspice", "-b", "tb.cir"], cwd=tmp, capture_output=True, timeout=60)
        return [(float(a), float(b)) for a, b, *_ in (line.split() for line in Path(tmp, "ac.txt").read_text().splitlines()) if b]


def gain_at(curve: list[tuple[float, float]], f: float) -> float:
    for (f0, g0), (f1, g1) in itertools.pairwise(curve):
        if f0 <= f <= f1:
            return g0 + math.log(f / f0) / math.log(f1 / f0) * (g1 - g0)
    return math.nan


def figures(spec: dict, curve: list[tuple[float, float]]) -> dict[str, float]:
    pb, sb, g0 = spec["passband"], spec["stopband"], spec["nominal_gain_db"]
    lowpass = spec["response"] == "lowpass"

    def band(lo: float, hi: float) -> list[float]:
        return [gain_at(curve, lo), gain_at(curve, hi), *(g for f, g in curve if lo <= f <= hi)]

    passband, stopband = band(pb["from_hz"], pb["to_hz"]), band(sb["from_hz"], sb["to_hz"])
    fp, fs = (pb["to_hz"], sb["from_hz"]) if lowpass else (pb["from_hz"], sb["to_hz"])
    start = pb["from_hz"] if lowpass else pb["to_hz"]
    points = [p for p in (curve if lowpass else curve[::-1]) if (p[0] >= start if lowpass else p[0] <= start)]
    f3 = math.nan
    for (f0, a), (f1, b) in itertools.pairwise(points):
        if a > g0 - 3 >= b:
            f3 = math.exp(math.log(f0) + (g0 - 3 - a) / (b - a) * (math.log(f1) - math.log(f0)))
            break
    return {"gain_at_fp_db": gain_at(curve, fp), "passband_min_gain_db": min(passband),
            "passband_max_gain_db": max(passband), "stopband_max_gain_db": max(stopband),
            "attenuation_at_fs_db": g0 - gain_at(curve, fs), "f_3db_hz": f3}


def margin(spec: dict, m: dict[str, float]) -> float:
    pb, sb, g0 = spec["passband"], spec["stopband"], spec["nominal_gain_db"]
    return min(m["passband_min_gain_db"] - (g0 - pb["max_drop_db"]), g0 + pb["max_rise_db"] - m["passband_max_gain_db"],
               g0 - sb["min_attenuation_db"] - m["stopband_max_gain_db"])


spec = json.loads((INPUT / "spec.json").read_text())
key = f"{spec['response']}/{spec['topology']}/{spec['opamp']['subckt']}"
public = next((d for d in PUBLIC if d["key"] == key), None)
edge = spec["passband"]["to_hz"] if spec["response"] == "lowpass" else spec["passband"]["from_hz"]
# On the public instance itself the design is the oracle's own answer, not a shortcut: only other instances.
if public is not None and abs(math.log(edge / public["edge_hz"])) > 0.01:
    k0 = edge / public["edge_hz"]
    best = None
    for j in range(-30, 31):
        parts = scaled(public["body"], k0 * math.exp(j / 75))
        body = [" ".join([*line.split()[:3], f"{parts[line.split()[0]]:.6g}"]) if line.split()[0] in parts else line
                for line in public["body"]]
        m = figures(spec, simulate(body))
        if best is None or margin(spec, m) > best[0]:
            best = (margin(spec, m), body, parts, m)
    _, body, parts, m = best
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "filter.cir").write_text("\n".join(["* scaled public design", ".subckt FILTER in out", *body,
                                                  ".ends FILTER", ""]))
    summary = {"components": {n: float(f"{v:.6g}") for n, v in parts.items()},
               "opamp_count": sum(1 for line in body if line[0] == "X"), **{k: round(v, 4) for k, v in m.items()}}
    (OUTPUT / "design_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
