#!/usr/bin/env python3
"""Oracle for engineering/active_filter_design.

ALE-CANARY-32a10619-adb6-478f-8f7a-b043433b4396

Reads the design request, synthesises candidate cascades (Butterworth and Chebyshev, several
orders and frequency scalings), realises every biquad with E-series parts, verifies each
candidate with ngspice against the supplied op-amp macro-model and keeps the one with the
largest worst-case margin. Writes filter.cir and design_summary.json.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import tempfile
from pathlib import Path

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))

E12 = [1.0, 1.2, 1.5, 1.8, 2.2, 2.7, 3.3, 3.9, 4.7, 5.6, 6.8, 8.2]
E24 = [1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.8, 2.0, 2.2, 2.4, 2.7, 3.0,
       3.3, 3.6, 3.9, 4.3, 4.7, 5.1, 5.6, 6.2, 6.8, 7.5, 8.2, 9.1]
SERIES = {"E12": E12, "E24": E24}
RIPPLE_SHARES = (0.2, 0.4, 0.6, 0.75, 0.9)  # Chebyshev ripples tried, as shares of the allowed passband rise
Q_TRIMS = (1.0, 0.95, 0.9)  # stage Q pre-distortions tried: the op-amp's finite gain-bandwidth raises a stage's Q


def series_values(name: str, low: float, high: float) -> list[float]:
    out = []
    for decade in range(-13, 8):
        for m in SERIES[name]:
            v = float(f"{m * 10.0**decade:.6g}")
            if low * (1 - 1e-9) <= v <= high * (1 + 1e-9):
                out.append(v)
    return out


def nearest(values: list[float], target: float) -> float:
    return min(values, key=lambda v: abs(math.log(v / target)))


# -- prototype poles --------------------------------------------------------------------------

def prototype(kind: str, order: int, ripple_db: float) -> list[tuple[float, float]]:
    """(w0, Q) of each pole pair (Q = 0 marks a real pole) of a low-pass prototype, -3 dB/ripple edge at 1 rad/s."""
    sections = []
    if kind == "butterworth":
        for k in range(order // 2):
            theta = math.pi * (2 * k + 1) / (2 * order)
            sections.append((1.0, 1.0 / (2 * math.sin(theta))))
        if order % 2:
            sections.append((1.0, 0.0))
        return sections
    eps = math.sqrt(10 ** (ripple_db / 10) - 1)
    a = math.asinh(1 / eps) / order
    for k in range(order // 2):
        theta = math.pi * (2 * k + 1) / (2 * order)
        sigma, omega = math.sinh(a) * math.sin(theta), math.cosh(a) * math.cos(theta)
        w0 = math.hypot(sigma, omega)
        sections.append((w0, w0 / (2 * sigma)))
    if order % 2:
        sections.append((math.sinh(a), 0.0))
    return sections


# -- stage realisations -----------------------------------------------------------------------

class Parts:
    def __init__(self, spec: dict) -> None:
        p = spec["parts"]
        self.r = series_values(p["resistor_series"], p["resistor_min_ohm"], p["resistor_max_ohm"])
        self.c = series_values(p["capacitor_series"], p["capacitor_min_f"], p["capacitor_max_f"])


def _err(w: float, q: float, w_t: float, q_t: float) -> float:
    return abs(math.log(w / w_t)) + 0.5 * abs(math.log(q / q_t))


def sk_lowpass(w0: float, q: float, parts: Parts) -> dict | None:
    """Unity-gain Sallen-Key low-pass: R1 in-a, R2 a-b, C1 a-out, C2 b-gnd."""
    best = None
    for c2 in parts.c:
        for c1 in parts.c:
            if c1 / c2 < 4 * q * q * 1.02:
                continue
            s, p = 1 / (w0 * q * c2), 1 / (w0 * w0 * c1 * c2)
            disc = s * s - 4 * p
            if disc < 0:
                continue
            for r1_ideal in ((s + math.sqrt(disc)) / 2, (s - math.sqrt(disc)) / 2):
                r2_ideal = s - r1_ideal
                if r2_ideal <= 0:
                    continue
                r1, r2 = nearest(parts.r, r1_ideal), nearest(parts.r, r2_ideal)
                w = 1 / math.sqrt(r1 * r2 * c1 * c2)
                qa = math.sqrt(r1 * r2 * c1 * c2) / (c2 * (r1 + r2))
                e = _err(w, qa, w0, q)
                if best is None or e < best[0]:
                    best = (e, {"R1": r1, "R2": r2, "C1": c1, "C2": c2})
    return None if best is None else best[1]


def sk_highpass(w0: float, q: float, parts: Parts) -> dict | None:
    """Unity-gain Sallen-Key high-pass: C1 in-a, C2 a-b, R1 a-out, R2 b-gnd."""
    best = None
    for c1, c2 in itertools.product(parts.c, parts.c):
        if not 0.2 <= c1 / c2 <= 5:
            continue
        r1_ideal = 1 / (w0 * q * (c1 + c2))
        r2_ideal = 1 / (w0 * w0 * r1_ideal * c1 * c2)
        if not (parts.r[0] <= r1_ideal <= parts.r[-1] and parts.r[0] <= r2_ideal <= parts.r[-1]):
            continue
        r1, r2 = nearest(parts.r, r1_ideal), nearest(parts.r, r2_ideal)
        w = 1 / math.sqrt(r1 * r2 * c1 * c2)
        qa = 1 / (w * r1 * (c1 + c2))
        e = _err(w, qa, w0, q)
        if best is None or e < best[0]:
            best = (e, {"R1": r1, "R2": r2, "C1": c1, "C2": c2})
    return None if best is None else best[1]


def mfb_lowpass(w0: float, q: float, gain: float, parts: Parts) -> dict | None:
    """Inverting MFB low-pass: R1 in-a, R2 a-out, R3 a-b, C1 a-gnd, C2 b-out; |H0| = R2/R1."""
    best = None
    for c2, c1 in itertools.product(parts.c, parts.c):
        if c1 / c2 < 4 * q * q * (1 + gain) * 1.02:
            continue
        a, b, c = w0 * w0 * c1 * c2, w0 * c1 / q, 1 + gain
        disc = b * b - 4 * a * c
        if disc < 0:
            continue
        for r2_ideal in ((b + math.sqrt(disc)) / (2 * a), (b - math.sqrt(disc)) / (2 * a)):
            r1_ideal = r2_ideal / gain
            r3_ideal = 1 / (w0 * w0 * r2_ideal * c1 * c2)
            r1, r2, r3 = (nearest(parts.r, x) for x in (r1_ideal, r2_ideal, r3_ideal))
            w = 1 / math.sqrt(r2 * r3 * c1 * c2)
            qa = w * c1 / (1 / r1 + 1 / r2 + 1 / r3)
            e = _err(w, qa, w0, q) + abs(math.log((r2 / r1) / gain))
            if best is None or e < best[0]:
                best = (e, {"R1": r1, "R2": r2, "R3": r3, "C1": c1, "C2": c2})
    return None if best is None else best[1]


def first_order(w0: float, response: str, topology: str, gain: float, parts: Parts) -> dict | None:
    """Buffered RC section (Sallen-Key style) or inverting integrator-type section (MFB style)."""
    best = None
    for c in parts.c:
        if topology == "multiple-feedback":
            r2 = nearest(parts.r, 1 / (w0 * c))
            r1 = nearest(parts.r, r2 / gain)
            e = abs(math.log(1 / (r2 * c) / w0)) + abs(math.log(r2 / r1 / gain))
            vals = {"R1": r1, "R2": r2, "C1": c}
        else:
            r = nearest(parts.r, 1 / (w0 * c))
            e = abs(math.log(1 / (r * c) / w0))
            vals = {"R1": r, "C1": c}
        if best is None or e < best[0]:
            best = (e, vals)
    return None if best is None else best[1]


# -- netlist ----------------------------------------------------------------------------------

def spice(v: float) -> str:
    for factor, suffix in ((1e6, "Meg"), (1e3, "k"), (1.0, ""), (1e-6, "u"), (1e-9, "n"), (1e-12, "p")):
        if v >= factor * 0.999:
            return f"{v / factor:.4g}{suffix}"
    return f"{v:.4g}"


# Each stage: its passive parts as (part, node, node) and its op-amp pins (+, -, out). "in"/"out" are
# the stage's input and output, "0" is ground, other names are internal nodes.
STAGES = {
    ("sk2", "lowpass"): ([("R1", "in", "a"), ("R2", "a", "b"), ("C1", "a", "out"), ("C2", "b", "0")],
                         ("b", "out", "out")),
    ("sk2", "highpass"): ([("C1", "in", "a"), ("C2", "a", "b"), ("R1", "a", "out"), ("R2", "b", "0")],
                          ("b", "out", "out")),
    ("mfb2", "lowpass"): ([("R1", "in", "a"), ("R2", "a", "out"), ("R3", "a", "b"), ("C1", "a", "0"),
                           ("C2", "b", "out")], ("0", "b", "out")),
    ("sk1", "lowpass"): ([("R1", "in", "b"), ("C1", "b", "0")], ("b", "out", "out")),
    ("sk1", "highpass"): ([("C1", "in", "b"), ("R1", "b", "0")], ("b", "out", "out")),
    ("mfb1", "lowpass"): ([("R1", "in", "b"), ("R2", "b", "out"), ("C1", "b", "out")], ("0", "b", "out")),
}


def designator(part: str, idx: int) -> str:
    """R1 of stage 2 -> R21."""
    return f"{part[0]}{idx}{part[1:]}"


def stage_lines(idx: int, kind: str, vals: dict, node_in: str, node_out: str, response: str, opamp: str) -> list[str]:
    """Netlist lines of one stage."""
    passives, pins = STAGES[(kind, response)]

    def node(name: str) -> str:
        return {"in": node_in, "out": node_out, "0": "0"}.get(name, f"s{idx}{name}")

    lines = [f"* stage {idx}: {kind}"]
    lines += [f"{designator(p, idx)} {node(a)} {node(b)} {spice(vals[p])}" for p, a, b in passives]
    lines.append(f"XU{idx} {' '.join(node(p) for p in pins)} {opamp}")
    return lines


def designators(idx: int, vals: dict) -> dict[str, float]:
    return {designator(k, idx): v for k, v in vals.items()}


# -- synthesis --------------------------------------------------------------------------------

def realise(spec: dict, parts: Parts, sections: list[tuple[float, float]], wc: float) -> tuple[list[str], dict] | None:
    response, topology = spec["response"], spec["topology"]
    gain_total = 10 ** (spec["nominal_gain_db"] / 20)
    stage_gains = [1.0] * len(sections)
    if topology == "multiple-feedback":
        g = gain_total ** (1 / len(sections))
        stage_gains = [g] * len(sections)
    sections = sorted(sections, key=lambda s: s[1])  # lowest Q first
    body, comps, node = [], {}, "in"
    for i, (w0n, q) in enumerate(sections, start=1):
        w0 = w0n * wc if response == "lowpass" else wc / w0n
        out = "out" if i == len(sections) else f"n{i}"
        if q == 0:
            kind = "mfb1" if topology == "multiple-feedback" else "sk1"
            vals = first_order(w0, response, topology, stage_gains[i - 1], parts)
        elif topology == "multiple-feedback":
            kind, vals = "mfb2", mfb_lowpass(w0, q, stage_gains[i - 1], parts)
        elif response == "lowpass":
            kind, vals = "sk2", sk_lowpass(w0, q, parts)
        else:
            kind, vals = "sk2", sk_highpass(w0, q, parts)
        if vals is None:
            return None
        body += stage_lines(i, kind, vals, node, out, response, spec["opamp"]["subckt"])
        comps.update(designators(i, vals))
        node = out
    return body, comps


def simulate(spec: dict, body: list[str], workdir: Path) -> list[tuple[float, float]]:
    model = (INPUT / spec["opamp"]["model_file"]).read_text()
    deck = ["* candidate", model, ".subckt FILTER in out", *body, ".ends FILTER",
            "VIN vin 0 AC 1", "XF vin vout FILTER", ".ac dec 200 0.1 1Meg", ".control", "set wr_singlescale",
            "run", "wrdata ac.txt vdb(vout)", "quit 0", ".endc", ".end"]
    (workdir / "cand.cir").write_text("\n".join(deck) + "\n")
    for attempt in range(2):  # one retry: a transient crash of the simulator should not sink the design run
        done = subprocess.run(["ngspice", "-b", "cand.cir"], cwd=workdir, capture_output=True, timeout=60)
        if done.returncode == 0:
            break
        if attempt:
            raise RuntimeError(f"ngspice failed: {done.stderr.decode(errors='replace')[-500:]}")
    rows = []
    for line in (workdir / "ac.txt").read_text().split("\n"):
        parts = line.split()
        if len(parts) >= 2:
            rows.append((float(parts[0]), float(parts[1])))
    return rows


def gain_at(curve: list[tuple[float, float]], f: float) -> float:
    for (f0, g0), (f1, g1) in itertools.pairwise(curve):
        if f0 <= f <= f1:
            t = math.log(f / f0) / math.log(f1 / f0)
            return g0 + t * (g1 - g0)
    raise ValueError(f"{f} Hz outside the simulated range")


def band(curve: list[tuple[float, float]], lo: float, hi: float) -> list[float]:
    return [gain_at(curve, lo), gain_at(curve, hi)] + [g for f, g in curve if lo <= f <= hi]


def measure(spec: dict, curve: list[tuple[float, float]]) -> dict:
    g0, pb, sb = spec["nominal_gain_db"], spec["passband"], spec["stopband"]
    pass_gains, stop_gains = band(curve, pb["from_hz"], pb["to_hz"]), band(curve, sb["from_hz"], sb["to_hz"])
    fs = sb["from_hz"] if spec["response"] == "lowpass" else sb["to_hz"]
    fp = pb["to_hz"] if spec["response"] == "lowpass" else pb["from_hz"]
    return {
        "passband_min_gain_db": min(pass_gains),
        "passband_max_gain_db": max(pass_gains),
        "stopband_max_gain_db": max(stop_gains),
        "gain_at_fp_db": gain_at(curve, fp),
        "attenuation_at_fs_db": g0 - gain_at(curve, fs),
        "f_3db_hz": f3db(spec, curve),
    }


def f3db(spec: dict, curve: list[tuple[float, float]]) -> float:
    """Where the gain first falls to nominal - 3 dB, walking from the passband into the stopband, else NaN."""
    target = spec["nominal_gain_db"] - 3.0
    lowpass = spec["response"] == "lowpass"
    start = spec["passband"]["from_hz"] if lowpass else spec["passband"]["to_hz"]
    points = [p for p in (curve if lowpass else curve[::-1]) if (p[0] >= start if lowpass else p[0] <= start)]
    for (f0, g0), (f1, g1) in itertools.pairwise(points):
        if g0 > target >= g1:
            t = (target - g0) / (g1 - g0)
            return math.exp(math.log(f0) + t * (math.log(f1) - math.log(f0)))
    return math.nan


def margin(spec: dict, m: dict) -> float:
    g0, pb, sb = spec["nominal_gain_db"], spec["passband"], spec["stopband"]
    return min(
        m["passband_min_gain_db"] - (g0 - pb["max_drop_db"]),
        (g0 + pb["max_rise_db"]) - m["passband_max_gain_db"],
        (g0 - sb["min_attenuation_db"]) - m["stopband_max_gain_db"],
    )


def minimum_order(spec: dict, kind: str) -> int:
    """Classic order estimate from the passband drop and the stopband attenuation."""
    pb, sb = spec["passband"], spec["stopband"]
    ratio = sb["from_hz"] / pb["to_hz"] if spec["response"] == "lowpass" else pb["from_hz"] / sb["to_hz"]
    d = (10 ** (sb["min_attenuation_db"] / 10) - 1) / (10 ** (pb["max_drop_db"] / 10) - 1)
    if kind == "butterworth":
        return math.ceil(math.log10(d) / (2 * math.log10(ratio)))
    return math.ceil(math.acosh(math.sqrt(d)) / math.acosh(ratio))


def candidates(spec: dict) -> list[tuple[str, int, float, list[tuple[float, float]]]]:
    max_stages = spec["opamp"]["max_count"]
    out = []
    rise = spec["passband"]["max_rise_db"]
    for kind, ripple in (("chebyshev", rise * share) for share in RIPPLE_SHARES):
        low = max(2, minimum_order(spec, kind))
        for order in sorted({low, low + 1, 2 * max_stages}):
            if (order + 1) // 2 <= max_stages:
                out.append((kind, order, ripple, prototype(kind, order, ripple)))
    return out


def design(spec: dict) -> tuple[list[str], dict, dict, str]:
    parts = Parts(spec)
    fp = spec["passband"]["to_hz"] if spec["response"] == "lowpass" else spec["passband"]["from_hz"]
    best = None
    with tempfile.TemporaryDirectory() as tmp:
        for (kind, order, ripple, sections), trim in itertools.product(candidates(spec), Q_TRIMS):
            trimmed = [(w0, q * trim) for w0, q in sections]
            for scale in (0.9 + 0.025 * k for k in range(17)):
                wc = 2 * math.pi * fp * (scale if spec["response"] == "lowpass" else 1 / scale)
                real = realise(spec, parts, trimmed, wc)
                if real is None:
                    continue
                curve = simulate(spec, real[0], Path(tmp))
                m = measure(spec, curve)
                score = margin(spec, m) - 0.05 * order  # prefer fewer parts at equal margin
                if best is None or score > best[0]:
                    best = (score, real[0], real[1], m, f"{kind} order {order} {ripple:.3g} dB, stage Q x{trim:g}")
    assert best is not None
    return best[1], best[2], best[3], best[4]


def main() -> None:
    spec = json.loads((INPUT / "spec.json").read_text())
    body, comps, meas, approx = design(spec)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    model_file = spec["opamp"]["model_file"]
    netlist = [
        f"* {spec['project']} - {approx} {spec['response']}, {spec['topology']}",
        f".include {INPUT / model_file}",
        ".subckt FILTER in out", *body, ".ends FILTER",
        "", "* test bench", "VIN vin 0 AC 1", "XF vin vout FILTER", ".ac dec 200 0.1 1Meg", ".end",
    ]
    (OUTPUT / "filter.cir").write_text("\n".join(netlist) + "\n")
    summary = {
        "approximation": approx,
        "opamp_count": sum(1 for line in body if line.startswith("XU")),
        "components": comps,
        **{k: round(v, 4) for k, v in meas.items()},
    }
    (OUTPUT / "design_summary.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
