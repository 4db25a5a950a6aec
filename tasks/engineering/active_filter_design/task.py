"""Active filter design to a passband/stopband specification (ngspice).

ALE-CANARY-32a10619-adb6-478f-8f7a-b043433b4396

Workflow: a client asks for a Sallen-Key (unity-gain) or multiple-feedback active filter, low-pass
or high-pass, that meets a passband-flatness and a stopband-attenuation spec with standard
E24 resistors and E12 capacitors around a supplied op-amp macro-model. The engineer chooses the
approximation and order, sizes the stages with real part values, verifies the design in ngspice
and delivers the netlist (subcircuit FILTER) and a design summary.

generate() writes the machine-readable request (spec.json) and the op-amp model (opamp.lib) into
the inputs, and the same limits into the reference. The band plan is drawn per seed from the
variant's nominal request (edges and the op-amp's gain-bandwidth product scaled together, the passband's
allowed drop and rise and the stopband-to-passband edge ratio drawn, an MFB gain moved, the attenuation
set a few dB short of what an ideal Chebyshev cascade within the op-amp budget reaches), and a salted
instance allows a larger passband rise than the public one, so an answer designed for one instance
(the public one, frequency-scaled, say) does not carry over to another.

grade() never trusts the agent's numbers: it extracts the FILTER subcircuit, checks that it holds
only resistors, capacitors and the supplied op-amp with literal values (gate), that the parts are
E-series within the allowed ranges, that the op-amp count and the requested topology are
respected, then re-simulates it in ngspice inside a fresh sandbox (g.run_tool) with its own test
bench and the trusted op-amp model, checks the passband and stopband limits on that simulation,
and checks that the summary's component list and measured figures agree with the netlist and the
re-simulation.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, as_number

E12 = (1.0, 1.2, 1.5, 1.8, 2.2, 2.7, 3.3, 3.9, 4.7, 5.6, 6.8, 8.2)
E24 = (1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.8, 2.0, 2.2, 2.4, 2.7, 3.0,
       3.3, 3.6, 3.9, 4.3, 4.7, 5.1, 5.6, 6.2, 6.8, 7.5, 8.2, 9.1)
SERIES = {"E12": E12, "E24": E24}
PARTS = {"resistor_series": "E24", "resistor_min_ohm": 1.0e3, "resistor_max_ohm": 1.0e6,
         "capacitor_series": "E12", "capacitor_min_f": 1.0e-9, "capacitor_max_f": 1.0e-6}
GROUND = {"0", "gnd"}
SPICE_SCALE = {"t": 1e12, "g": 1e9, "meg": 1e6, "k": 1e3, "mil": 25.4e-6, "m": 1e-3,
               "u": 1e-6, "n": 1e-9, "p": 1e-12, "f": 1e-15}
_NUMBER = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(meg|mil|[tgkmunpf])?[a-z]*$")
FIGURES_DB = ("gain_at_fp_db", "passband_min_gain_db", "passband_max_gain_db",
              "stopband_max_gain_db", "attenuation_at_fs_db")
TASK_ID = "engineering/active_filter_design"
SCALE_RANGE = (math.log(0.25), math.log(0.55))  # ln of the factor on the variant's band plan
SCALE_GAP = 0.25
DROPS_DB = (0.5, 1.0)  # allowed passband drops
RISES_DB = (0.1, 0.5, 1.0)  # allowed passband rises: the public instance's, then the salted ones'
RATIO_RANGE = (math.log(0.85), math.log(1.2))  # ln of the factor on the variant's edge ratio
CHEBYSHEV_SHORTFALL_DB = 3


# -- generation -------------------------------------------------------------------------------

def _sig3(value: float) -> float:
    return float(f"{value:.3g}")


def chebyshev_limit_db(drop_db: float, rise_db: float, ratio: float, order: int) -> float:
    """The attenuation (dB below the DC gain) at ``ratio`` times the passband edge of an ideal even-order Chebyshev
    low-pass whose DC gain is the nominal one, whose ripple peaks reach the allowed rise and whose passband edge
    sits at the allowed drop: the most a cascade of unity-DC-gain biquads of that order reaches."""
    eps2 = 10 ** (rise_db / 10) - 1
    edge = math.cosh(math.acosh(math.sqrt(((1 + eps2) * 10 ** (drop_db / 10) - 1) / eps2)) / order)
    return 10 * math.log10((1 + eps2 * math.cosh(order * math.acosh(ratio * edge)) ** 2) / (1 + eps2))


def public_seed(variant: int) -> int:
    """The seed of the variant's public (unsalted) instance: the suite's variant seed, sha256 of 'task@variant'."""
    return int.from_bytes(hashlib.sha256(f"{TASK_ID}@{variant}".encode()).digest()[:4], "big")


def passband_plan(params: dict[str, Any]) -> tuple[float, float, float]:
    """(allowed passband drop and rise in dB, stopband-to-passband edge ratio) of this instance. The public
    instance allows the smallest rise and a salted one a larger rise, so the public design's small ripple leaves
    several dB of a salted instance's attainable (and required) attenuation unused, at any frequency scale."""
    plan = np.random.default_rng([params["seed"], 5])
    salted = params["seed"] != public_seed(params["variant"])
    rise = RISES_DB[1 + int(plan.integers(len(RISES_DB) - 1))] if salted else RISES_DB[0]
    drop = DROPS_DB[int(plan.integers(len(DROPS_DB)))]
    nominal = (params["stop_from_hz"] / params["pass_to_hz"] if params["response"] == "lowpass"
               else params["pass_from_hz"] / params["stop_to_hz"])
    return drop, rise, nominal * math.exp(plan.uniform(*RATIO_RANGE))


def instance_figures(params: dict[str, Any]) -> dict[str, float]:
    """This instance's band edges, allowed drop, gain, attenuation and op-amp speed: the variant's nominal request
    moved by the seed. The whole band plan and the op-amp's gain-bandwidth product are scaled together by a factor
    drawn log-uniform in 0.25-0.55, the allowed passband drop and rise are drawn (passband_plan), the edge facing the stopband is
    moved so that the stopband-to-passband edge ratio is the nominal one times 0.85-1.2, an MFB stage's gain is
    moved by -6..+6 dB, and the stopband attenuation is set CHEBYSHEV_SHORTFALL_DB (plus 0-1 dB) below what an
    ideal Chebyshev cascade using every op-amp of the budget reaches with that drop, rise and edge ratio: every instance
    needs its own near-optimal design. A salted instance's scale factor is kept at least a factor exp(SCALE_GAP)
    (about 28 %) away from the public instance's, and its allowed rise is larger than the public one's."""
    rng = np.random.default_rng([params["seed"], 1])
    scale = math.exp(rng.uniform(*SCALE_RANGE))
    public = math.exp(np.random.default_rng([public_seed(params["variant"]), 1]).uniform(*SCALE_RANGE))
    redraw = np.random.default_rng([params["seed"], 3])
    while params["seed"] != public_seed(params["variant"]) and abs(math.log(scale / public)) < SCALE_GAP:
        scale = math.exp(redraw.uniform(*SCALE_RANGE))
    drop, rise, ratio = passband_plan(params)
    edges = {key: _sig3(params[key] * scale) for key in ("pass_from_hz", "pass_to_hz", "stop_from_hz", "stop_to_hz")}
    if params["response"] == "lowpass":
        edges["stop_from_hz"] = _sig3(edges["pass_to_hz"] * ratio)
        ratio = edges["stop_from_hz"] / edges["pass_to_hz"]
    else:
        edges["stop_to_hz"] = _sig3(edges["pass_from_hz"] / ratio)
        ratio = edges["pass_from_hz"] / edges["stop_to_hz"]
    limit = chebyshev_limit_db(drop, rise, ratio, 2 * params["max_opamps"])
    attenuation = math.floor(limit) - CHEBYSHEV_SHORTFALL_DB - int(rng.integers(0, 5)) // 3
    gain = params["gain_db"] + (int(rng.integers(-6, 7)) if params["topology"] == "multiple-feedback" else 0)
    return {"gain_db": float(gain), "max_drop_db": drop, "max_rise_db": rise, "min_atten_db": float(attenuation),
            "gbw_hz": _sig3(params["gbw_hz"] * scale), **edges}


def build_spec(params: dict[str, Any]) -> dict[str, Any]:
    """The machine-readable design request of one instance."""
    fig = instance_figures(params)
    return {
        "project": params["application"],
        "response": params["response"],
        "topology": "multiple-feedback" if params["topology"] == "multiple-feedback" else "sallen-key-unity-gain",
        "nominal_gain_db": fig["gain_db"],
        "passband": {"from_hz": fig["pass_from_hz"], "to_hz": fig["pass_to_hz"],
                     "max_drop_db": fig["max_drop_db"], "max_rise_db": fig["max_rise_db"]},
        "stopband": {"from_hz": fig["stop_from_hz"], "to_hz": fig["stop_to_hz"],
                     "min_attenuation_db": fig["min_atten_db"]},
        "parts": dict(PARTS),
        "opamp": {"model_file": "opamp.lib", "subckt": params["opamp"], "max_count": params["max_opamps"]},
        "deliverable_subckt": {"name": "FILTER", "ports": ["in", "out"]},
    }


def opamp_model(params: dict[str, Any]) -> str:
    """A single-pole voltage-feedback op-amp macro-model with literal element values; its gain-bandwidth product
    scales with the instance's band plan, so that it weighs on the design as much as in the variant's nominal request."""
    name, gbw, rout = params["opamp"], instance_figures(params)["gbw_hz"], params["rout_ohm"]
    aol = 10 ** (params["aol_db"] / 20)
    gm = 1e-3
    rp = aol / gm
    cp = 1 / (2 * math.pi * rp * (gbw / aol))
    return "\n".join([
        f"* {name}: general-purpose voltage-feedback op-amp, small-signal macro-model",
        f"* open-loop gain {params['aol_db']:g} dB, gain-bandwidth product {gbw / 1e6:g} MHz (dominant pole),",
        f"* output resistance {rout:g} ohm, differential input resistance 2 Mohm.",
        "* Pins: non-inverting input, inverting input, output. No supply pins: AC/small-signal use only.",
        f".subckt {name} inp inn out",
        "RIN inp inn 2Meg",
        f"GM 0 p1 inp inn {gm:g}",
        f"RP p1 0 {rp:.6g}",
        f"CP p1 0 {cp:.6g}",
        "EB p2 0 p1 0 1",
        f"RO p2 out {rout:g}",
        f".ends {name}",
        "",
    ])


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    spec = build_spec(params)
    (input_dir / "spec.json").write_text(json.dumps(spec, indent=2) + "\n")
    (input_dir / "opamp.lib").write_text(opamp_model(params))
    (reference_dir / "spec.json").write_text(json.dumps(spec, indent=2) + "\n")


# -- netlist parsing --------------------------------------------------------------------------

@dataclass(frozen=True)
class Element:
    name: str
    nodes: tuple[str, ...]
    value: float | None
    model: str = ""


def spice_number(token: str) -> float | None:
    """A SPICE literal (ngspice scale factors, trailing unit letters ignored), else None."""
    match = _NUMBER.match(token.strip().lower())
    if not match:
        return None
    value = float(match.group(1)) * SPICE_SCALE.get(match.group(2) or "", 1.0)
    return value if math.isfinite(value) else None


def logical_lines(text: str) -> list[str]:
    """Netlist lines with comments removed and '+' continuations joined."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = re.split(r"\s[;$]|^[;$]", raw, maxsplit=1)[0].rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith("*"):
            continue
        if stripped.startswith("+") and lines:
            lines[-1] += " " + stripped[1:].strip()
        else:
            lines.append(stripped)
    return lines


def extract_subckt(text: str, name: str) -> tuple[list[str], list[str]] | None:
    """(ports, body lines) of subcircuit ``name``, or None when it is absent."""
    lines = logical_lines(text)
    for i, line in enumerate(lines):
        tokens = line.split()
        if len(tokens) >= 2 and tokens[0].lower() == ".subckt" and tokens[1].lower() == name.lower():
            body = []
            for inner in lines[i + 1:]:
                if inner.split()[0].lower() == ".ends":
                    return [t.lower() for t in tokens[2:]], body
                body.append(inner)
            return None
    return None


def parse_elements(body: list[str], opamp: str) -> tuple[list[Element], list[str]]:
    """The R, C and op-amp instances of the body, and the problems that forbid re-simulating it."""
    elements, problems = [], []
    for line in body:
        tokens = line.split()
        kind = tokens[0][0].lower()
        if kind in "rc":
            value = spice_number(tokens[3]) if len(tokens) == 4 else None
            if value is None or value <= 0:
                problems.append(f"{tokens[0]}: need '<name> <node> <node> <literal value>', got {line!r}")
                continue
            elements.append(Element(tokens[0].upper(), (tokens[1].lower(), tokens[2].lower()), value))
        elif kind == "x" and len(tokens) == 5 and tokens[4].lower() == opamp.lower():
            elements.append(Element(tokens[0].upper(), tuple(t.lower() for t in tokens[1:4]), None, opamp))
        else:
            problems.append(f"not allowed in FILTER: {line[:80]!r}")
    names = [e.name for e in elements]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"duplicate designators: {', '.join(dupes)}")
    return elements, problems


def in_series(value: float, series: str, low: float, high: float) -> bool:
    if not low * (1 - 1e-9) <= value <= high * (1 + 1e-9):
        return False
    mantissa = value / 10 ** math.floor(math.log10(value) + 1e-12)
    return any(abs(mantissa / m - 1) < 2e-3 or abs(mantissa / (10 * m) - 1) < 2e-3 for m in SERIES[series])


# -- simulation and measurement ----------------------------------------------------------------

def testbench(ports: list[str], body: list[str]) -> str:
    return "\n".join([
        "* grader test bench", ".include opamp.lib", f".subckt FILTER {' '.join(ports)}", *body, ".ends FILTER",
        "VIN vin 0 AC 1", "XF vin vout FILTER", ".ac dec 200 0.1 1Meg", ".control", "set wr_singlescale",
        "run", "wrdata ac.txt vdb(vout)", "quit 0", ".endc", ".end", "",
    ])


def parse_curve(text: str) -> list[tuple[float, float]]:
    curve = []
    for line in text.splitlines():
        cols = line.split()
        if len(cols) >= 2:
            f, g = as_number(cols[0]), as_number(cols[1])
            if f is not None and g is not None and f > 0:
                curve.append((f, g))
    return curve


def gain_at(curve: list[tuple[float, float]], f: float) -> float:
    for (f0, g0), (f1, g1) in itertools.pairwise(curve):
        if f0 <= f <= f1:
            return g0 + math.log(f / f0) / math.log(f1 / f0) * (g1 - g0)
    return math.nan


def band(curve: list[tuple[float, float]], lo: float, hi: float) -> list[float]:
    return [gain_at(curve, lo), gain_at(curve, hi), *(g for f, g in curve if lo <= f <= hi)]


def f3db(spec: dict[str, Any], curve: list[tuple[float, float]]) -> float:
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


def measure(spec: dict[str, Any], curve: list[tuple[float, float]]) -> dict[str, float]:
    pb, sb = spec["passband"], spec["stopband"]
    lowpass = spec["response"] == "lowpass"
    passband, stopband = band(curve, pb["from_hz"], pb["to_hz"]), band(curve, sb["from_hz"], sb["to_hz"])
    fp = pb["to_hz"] if lowpass else pb["from_hz"]
    fs = sb["from_hz"] if lowpass else sb["to_hz"]
    return {
        "gain_at_fp_db": gain_at(curve, fp),
        "passband_min_gain_db": min(passband),
        "passband_max_gain_db": max(passband),
        "stopband_max_gain_db": max(stopband),
        "attenuation_at_fs_db": spec["nominal_gain_db"] - gain_at(curve, fs),
        "f_3db_hz": f3db(spec, curve),
    }


# -- checks -----------------------------------------------------------------------------------

def check_parts(g: Grading, spec: dict[str, Any], elements: list[Element]) -> None:
    p = spec["parts"]
    bad = []
    for e in elements:
        if e.name[0] == "R" and not in_series(e.value, p["resistor_series"], p["resistor_min_ohm"], p["resistor_max_ohm"]):
            bad.append(f"{e.name}={e.value:.4g} ohm")
        if e.name[0] == "C" and not in_series(e.value, p["capacitor_series"], p["capacitor_min_f"], p["capacitor_max_f"]):
            bad.append(f"{e.name}={e.value:.4g} F")
    passives = [e for e in elements if e.name[0] in "RC"]
    g.check("parts are E24 resistors and E12 capacitors within the allowed ranges", not bad and bool(passives),
            expected="R: E24 1k-1M; C: E12 1n-1u", found=f"{len(passives)} passives",
            reason="; ".join(bad[:10]) or ("" if passives else "no passive parts"))


def check_topology(g: Grading, spec: dict[str, Any], elements: list[Element]) -> None:
    amps = [e for e in elements if e.model]
    limit = spec["opamp"]["max_count"]
    g.check("op-amp count within the budget", 1 <= len(amps) <= limit, weight=0.5, expected=f"1..{limit}", found=len(amps))
    problems = []
    for amp in amps:
        inp, inn, out = amp.nodes
        if spec["topology"] == "multiple-feedback":
            if inp not in GROUND:
                problems.append(f"{amp.name}: non-inverting input on {inp!r}, not ground (MFB stages are inverting)")
        elif inn != out or inp in GROUND:
            problems.append(f"{amp.name}: not a unity-gain follower (inverting input {inn!r}, output {out!r})")
    g.check(f"stages follow the requested {spec['topology']} topology", bool(amps) and not problems, weight=0.5,
            reason="; ".join(problems) or ("" if amps else "no op-amp"))


def check_spec(g: Grading, spec: dict[str, Any], m: dict[str, float]) -> None:
    """One verdict on the re-simulated response: both bands met is a pass; a design whose passband is right and
    whose stopband misses by at most 3 dB earns half; anything else (a plain wire passes the passband) nothing."""
    g0, pb, sb = spec["nominal_gain_db"], spec["passband"], spec["stopband"]
    lo, hi = g0 - pb["max_drop_db"], g0 + pb["max_rise_db"]
    limit = g0 - sb["min_attenuation_db"]
    passband_ok = m["passband_min_gain_db"] >= lo - 0.005 and m["passband_max_gain_db"] <= hi + 0.005
    excess = m["stopband_max_gain_db"] - limit
    score = 1.0 if passband_ok and excess <= 0.005 else 0.5 if passband_ok and excess <= 3.0 else 0.0
    g.check(f"meets the spec when re-simulated: passband {pb['from_hz']:g}-{pb['to_hz']:g} Hz within {lo:g}..{hi:g} dB, "
            f"stopband {sb['from_hz']:g}-{sb['to_hz']:g} Hz at or below {limit:g} dB", score, weight=4,
            expected={"passband_db": [lo, hi], "stopband_max_db": limit},
            found={"passband_db": [round(m["passband_min_gain_db"], 3), round(m["passband_max_gain_db"], 3)],
                   "stopband_max_db": round(m["stopband_max_gain_db"], 3)})


def check_summary_parts(g: Grading, summary: dict[str, Any], elements: list[Element]) -> None:
    listed = summary.get("components")
    amps = sum(1 for e in elements if e.model)
    if not isinstance(listed, dict):
        g.check("summary lists the netlist's component values", False, reason="'components' is not an object")
        return
    listed = {str(k).upper(): v for k, v in listed.items()}
    wanted = {e.name: e.value for e in elements if not e.model}
    problems = []
    for name, value in wanted.items():
        got = listed.get(name)
        number = got if isinstance(got, (int, float)) and not isinstance(got, bool) else spice_number(str(got or ""))
        if number is None or not math.isclose(number, value, rel_tol=5e-3):
            problems.append(f"{name}: summary {got!r}, netlist {value:.4g}")
    extra = sorted(set(listed) - set(wanted))
    if extra:
        problems.append(f"not in the netlist: {', '.join(extra[:6])}")
    if as_number(summary.get("opamp_count")) != amps:
        problems.append(f"opamp_count {summary.get('opamp_count')!r}, netlist has {amps}")
    g.check("summary lists the netlist's component values", not problems,
            expected=f"{len(wanted)} parts, {amps} op-amps", reason="; ".join(problems[:8]))


def check_summary_figures(g: Grading, summary: dict[str, Any], m: dict[str, float]) -> None:
    if math.isnan(m["f_3db_hz"]):
        g.check("summary f_3db_hz matches the re-simulation", False, reason="the re-simulated response never crosses -3 dB")
    else:
        g.number("summary f_3db_hz matches the re-simulation", summary.get("f_3db_hz"), m["f_3db_hz"], rel_tol=0.02)
    misses = []
    for key in FIGURES_DB:
        got = as_number(summary.get(key))
        if got is None or math.isnan(m[key]) or abs(got - m[key]) > 0.3:
            misses.append(f"{key}: summary {summary.get(key)!r}, simulated {m[key]:.2f}")
    g.check("summary gain/attenuation figures match the re-simulation (0.3 dB)", 1 - len(misses) / len(FIGURES_DB),
            weight=1.5, reason="; ".join(misses))


def grade(g: Grading) -> None:
    if not g.require_files("filter.cir", "design_summary.json"):
        return
    spec = g.reference_json("spec.json")
    text = g.read_text("filter.cir")
    summary = g.read_json("design_summary.json")
    if text is None or summary is None:
        return
    if not g.check("design_summary.json is a JSON object", isinstance(summary, dict), gate=True, weight=0):
        return
    found = extract_subckt(text, "FILTER")
    ports = found[0] if found else []
    if not g.check("filter.cir defines .subckt FILTER in out", found is not None and ports == ["in", "out"],
                   gate=True, weight=0, expected=["in", "out"], found=ports if found else "no FILTER subcircuit"):
        return
    elements, problems = parse_elements(found[1], spec["opamp"]["subckt"])
    if not g.check(f"FILTER holds only literal-valued R, C and {spec['opamp']['subckt']} instances", not problems,
                   gate=True, weight=0, reason="; ".join(problems[:6])):
        return
    check_parts(g, spec, elements)
    check_topology(g, spec, elements)
    result = g.run_tool(["ngspice", "-b", "tb.cir"],
                        files={"tb.cir": testbench(ports, found[1]), "opamp.lib": g.input_dir / "opamp.lib"},
                        timeout=60)
    ac = result.workdir / "ac.txt"
    curve = parse_curve(ac.read_text(errors="replace")) if ac.is_file() else []
    if not g.check("FILTER re-simulates in ngspice", result.ok and len(curve) > 100, gate=True, weight=0,
                   reason="" if result.ok else (result.stderr or result.stdout)[-400:]):
        return
    m = measure(spec, curve)
    check_spec(g, spec, m)
    check_summary_parts(g, summary, elements)
    check_summary_figures(g, summary, m)
