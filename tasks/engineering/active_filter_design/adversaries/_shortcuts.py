#!/usr/bin/env python3
"""Near-miss shortcut agents for engineering/active_filter_design; the behaviour follows the name it runs under.

All three design a Butterworth cascade from textbook formulas with an ideal op-amp and never run
ngspice; the summary figures come from the ideal transfer function of the chosen parts.
- order_short: one order below what the stopband needs (the passband is right, the stopband short).
- unrounded_values: the right order, but the exact formula values instead of E24/E12 parts.
- edge_no_margin: the right order within the op-amp budget, E-series parts rounded to the nearest
  value, cutoff put exactly on the passband edge (no margin for rounding or the real op-amp).
"""

import json
import math
import os
from pathlib import Path

INPUT = Path(os.environ["ALE_INPUT_DIR"])
OUTPUT = Path(os.environ["ALE_OUTPUT_DIR"])
MODE = Path(__file__).name.removesuffix(".py")
spec = json.loads((INPUT / "spec.json").read_text())
lowpass = spec["response"] == "lowpass"
mfb = spec["topology"] == "multiple-feedback"
pb, sb = spec["passband"], spec["stopband"]
fp = pb["to_hz"] if lowpass else pb["from_hz"]
fs = sb["from_hz"] if lowpass else sb["to_hz"]
ratio = fs / fp if lowpass else fp / fs
need = math.log10((10 ** (sb["min_attenuation_db"] / 10) - 1) / (10 ** (pb["max_drop_db"] / 10) - 1)) / (2 * math.log10(ratio))
order = min(math.ceil(need), 2 * spec["opamp"]["max_count"])
if MODE == "order_short":
    order -= 1
# cutoff: drop of exactly max_drop_db at the passband edge
wc_norm = (10 ** (pb["max_drop_db"] / 10) - 1) ** (-1 / (2 * order))
wc = 2 * math.pi * (fp * wc_norm if lowpass else fp / wc_norm)
E12 = [1.0, 1.2, 1.5, 1.8, 2.2, 2.7, 3.3, 3.9, 4.7, 5.6, 6.8, 8.2]
E24 = [1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.8, 2.0, 2.2, 2.4, 2.7, 3.0, 3.3, 3.6, 3.9, 4.3, 4.7, 5.1, 5.6, 6.2, 6.8,
       7.5, 8.2, 9.1]


def snap(value, series):
    if MODE == "unrounded_values":
        return float(f"{value:.5g}")
    decade = 10 ** math.floor(math.log10(value))
    return min((m * decade * k for m in series for k in (1, 10)), key=lambda v: abs(math.log(v / value)))


def cap_for(w0):
    """A capacitor giving a resistor level near 10 kohm."""
    return snap(1 / (w0 * 1e4), E12)


qs = [1 / (2 * math.sin(math.pi * (2 * k + 1) / (2 * order))) for k in range(order // 2)]
gain = 10 ** (spec["nominal_gain_db"] / 20)
stages, lines, comps, node = [], [], {}, "in"
amp = spec["opamp"]["subckt"]
sections = ([0.0] if order % 2 else []) + sorted(qs)
for i, q in enumerate(sections, start=1):
    out = "out" if i == len(sections) else f"n{i}"
    g = gain if i == 1 else 1.0
    if q == 0.0:
        c = cap_for(wc)
        if mfb:
            r2 = snap(1 / (wc * c), E24)
            r1 = snap(r2 / g, E24)
            part = {f"R{i}1": (node, f"m{i}", r1), f"R{i}2": (f"m{i}", out, r2), f"C{i}1": (f"m{i}", out, c)}
            lines.append(f"XU{i} 0 m{i} {out} {amp}")
            stages.append(("mfb1", r1, r2, c))
        else:
            r = snap(1 / (wc * c), E24)
            a, b = (("R", "C") if lowpass else ("C", "R"))
            part = {f"{a}{i}1": (node, f"m{i}", r if a == "R" else c), f"{b}{i}1": (f"m{i}", "0", c if b == "C" else r)}
            lines.append(f"XU{i} m{i} {out} {out} {amp}")
            stages.append(("sk1", r, c))
    elif mfb:
        c2 = cap_for(wc)
        c1 = snap(c2 * 4 * q * q * (1 + g) * 1.3, E12)
        a, b, cc = wc * wc * c1 * c2, wc * c1 / q, 1 + g
        r2 = (b + math.sqrt(b * b - 4 * a * cc)) / (2 * a)
        r1, r3 = r2 / g, 1 / (wc * wc * r2 * c1 * c2)
        r1, r2, r3 = snap(r1, E24), snap(r2, E24), snap(r3, E24)
        part = {f"R{i}1": (node, f"a{i}", r1), f"R{i}2": (f"a{i}", out, r2), f"R{i}3": (f"a{i}", f"b{i}", r3),
                f"C{i}1": (f"a{i}", "0", c1), f"C{i}2": (f"b{i}", out, c2)}
        lines.append(f"XU{i} 0 b{i} {out} {amp}")
        stages.append(("mfb2", r1, r2, r3, c1, c2))
    elif lowpass:  # equal resistors, C1 = 2Q/(w R), C2 = 1/(2 Q w R)
        r = 1e4
        c1, c2 = snap(2 * q / (wc * r), E12), snap(1 / (2 * q * wc * r), E12)
        r1 = r2 = snap(1 / (wc * math.sqrt(c1 * c2)), E24)
        part = {f"R{i}1": (node, f"a{i}", r1), f"R{i}2": (f"a{i}", f"b{i}", r2), f"C{i}1": (f"a{i}", out, c1),
                f"C{i}2": (f"b{i}", "0", c2)}
        lines.append(f"XU{i} b{i} {out} {out} {amp}")
        stages.append(("sklp", r1, r2, c1, c2))
    else:  # equal capacitors, R1 = 1/(2 Q w C), R2 = 2Q/(w C)
        c = cap_for(wc)
        r1, r2 = snap(1 / (2 * q * wc * c), E24), snap(2 * q / (wc * c), E24)
        part = {f"C{i}1": (node, f"a{i}", c), f"C{i}2": (f"a{i}", f"b{i}", c), f"R{i}1": (f"a{i}", out, r1),
                f"R{i}2": (f"b{i}", "0", r2)}
        lines.append(f"XU{i} b{i} {out} {out} {amp}")
        stages.append(("skhp", r1, r2, c, c))
    lines[-1:-1] = [f"{name} {a} {b} {v:.6g}" for name, (a, b, v) in part.items()]
    comps.update({name: v for name, (_, _, v) in part.items()})
    node = out


def h(f):
    s = 2j * math.pi * f
    total = 1
    for st in stages:
        if st[0] == "mfb1":
            _, r1, r2, c = st
            total *= -(r2 / r1) / (1 + s * r2 * c)
        elif st[0] == "sk1":
            _, r, c = st
            total *= 1 / (1 + s * r * c) if lowpass else s * r * c / (1 + s * r * c)
        elif st[0] == "mfb2":
            _, r1, r2, r3, c1, c2 = st
            total *= -(1 / (r1 * r3 * c1 * c2)) / (s * s + s / c1 * (1 / r1 + 1 / r2 + 1 / r3) + 1 / (r2 * r3 * c1 * c2))
        elif st[0] == "sklp":
            _, r1, r2, c1, c2 = st
            total *= (1 / (r1 * r2 * c1 * c2)) / (s * s + s * (r1 + r2) / (r1 * r2 * c1) + 1 / (r1 * r2 * c1 * c2))
        else:
            _, r1, r2, c1, c2 = st
            total *= s * s / (s * s + s * (c1 + c2) / (c1 * c2 * r2) + 1 / (c1 * c2 * r1 * r2))
    return 20 * math.log10(abs(total))


def sweep(lo, hi, n=400):
    return [h(lo * (hi / lo) ** (k / n)) for k in range(n + 1)]


g0 = spec["nominal_gain_db"]
grid = [10 ** (k / 200) for k in range(0, 1201)]
walk = [f for f in grid if (f >= pb["from_hz"] if lowpass else f <= pb["to_hz"])]
walk = walk if lowpass else walk[::-1]
f3 = next((f for f in walk if h(f) <= g0 - 3), None)
summary = {
    "components": comps, "opamp_count": len(stages), "approximation": f"Butterworth order {order}",
    "gain_at_fp_db": h(fp), "passband_min_gain_db": min(sweep(pb["from_hz"], pb["to_hz"])),
    "passband_max_gain_db": max(sweep(pb["from_hz"], pb["to_hz"])),
    "stopband_max_gain_db": max(sweep(sb["from_hz"], sb["to_hz"])), "attenuation_at_fs_db": g0 - h(fs),
    "f_3db_hz": f3,
}
OUTPUT.mkdir(parents=True, exist_ok=True)
(OUTPUT / "filter.cir").write_text("\n".join(["* active filter", f".include {INPUT}/opamp.lib", ".subckt FILTER in out",
                                              *lines, ".ends FILTER", ".end", ""]))
(OUTPUT / "design_summary.json").write_text(json.dumps(summary, indent=2))
