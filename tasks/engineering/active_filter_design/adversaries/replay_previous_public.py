#!/usr/bin/env python3
"""Near-miss shortcut agent for engineering/active_filter_design: replay a design published for another instance.

It holds the oracle's netlist and design summary for the public instances of version 1.1.0 of this task (band
plans drawn 0.8-1.25 times the nominal, anyone can regenerate them from the public repository) and writes,
unchanged, the one with this instance's response, topology and op-amp whose passband edge lies nearest to this
instance's; no design and no simulation for this instance's own band plan, attenuation and op-amp.
"""
# ALE-CANARY-32a10619-adb6-478f-8f7a-b043433b4396

import json
import math
import os
from pathlib import Path

INPUT = Path(os.environ["ALE_INPUT_DIR"])
OUTPUT = Path(os.environ["ALE_OUTPUT_DIR"])

ANSWERS = [
    {"version": "1.1.0", "key": "lowpass/sallen-key-unity-gain/GPOA1", "edge_hz": 1040.0, "gain_db": 0.0, "body": ["R11 in s1a 33k", "R12 s1a s1b 13k", "C11 s1a n1 12n", "C12 s1b 0 6.8n", "XU1 s1b n1 n1 GPOA1", "R21 n1 s2a 9.1k", "R22 s2a s2b 3k", "C21 s2a out 120n", "C22 s2b 0 5.6n", "XU2 s2b out out GPOA1"], "summary": {"approximation": "chebyshev order 4 0.05 dB", "opamp_count": 2, "components": {"R11": 33000.0, "R12": 13000.0, "C11": 1.2e-08, "C12": 6.8e-09, "R21": 9100.0, "R22": 3000.0, "C21": 1.2e-07, "C22": 5.6e-09}, "passband_min_gain_db": -0.2612, "passband_max_gain_db": 0.0681, "stopband_max_gain_db": -49.0004, "gain_at_fp_db": -0.2612, "attenuation_at_fs_db": 49.0004, "f_3db_hz": 1228.4315}},
    {"version": "1.1.0", "key": "lowpass/multiple-feedback/GPOA1", "edge_hz": 196.0, "gain_db": 20.0, "body": ["R11 in s1a 1.5k", "R12 s1a n1 4.7k", "R13 s1a s1b 62k", "C11 s1a 0 470n", "C12 s1b n1 5.6n", "XU1 0 s1b n1 GPOA1", "R21 n1 s2a 47k", "R22 s2a out 150k", "R23 s2a s2b 27k", "C21 s2a 0 82n", "C22 s2b out 1.2n", "XU2 0 s2b out GPOA1"], "summary": {"approximation": "chebyshev order 4 0.05 dB", "opamp_count": 2, "components": {"R11": 1500.0, "R12": 4700.0, "R13": 62000.0, "C11": 4.7e-07, "C12": 5.6e-09, "R21": 47000.0, "R22": 150000.0, "R23": 27000.0, "C21": 8.2e-08, "C22": 1.2e-09}, "passband_min_gain_db": 19.965, "passband_max_gain_db": 20.0384, "stopband_max_gain_db": -32.5144, "gain_at_fp_db": 19.9986, "attenuation_at_fs_db": 52.5144, "f_3db_hz": 263.1908}},
    {"version": "1.1.0", "key": "highpass/sallen-key-unity-gain/GPOA3", "edge_hz": 97.6, "gain_db": 0.0, "body": ["C11 in s1b 18n", "R11 s1b 0 68k", "XU1 s1b n1 n1 GPOA3", "C21 n1 s2a 6.8n", "C22 s2a s2b 27n", "R21 s2a out 36k", "R22 s2b 0 510k", "XU2 s2b out out GPOA3"], "summary": {"approximation": "chebyshev order 3 0.25 dB", "opamp_count": 2, "components": {"R11": 68000.0, "C11": 1.8e-08, "R21": 36000.0, "R22": 510000.0, "C21": 6.8e-09, "C22": 2.7e-08}, "passband_min_gain_db": -0.3571, "passband_max_gain_db": 0.0261, "stopband_max_gain_db": -31.2171, "gain_at_fp_db": -0.3571, "attenuation_at_fs_db": 31.2171, "f_3db_hz": 79.9488}},
    {"version": "1.1.0", "key": "lowpass/sallen-key-unity-gain/FPOA10", "edge_hz": 12500.0, "gain_db": 0.0, "body": ["R11 in s1b 13k", "C11 s1b 0 1.8n", "XU1 s1b n1 n1 FPOA10", "R21 n1 s2a 4.3k", "R22 s2a s2b 1k", "C21 s2a n2 18n", "C22 s2b 0 3.3n", "XU2 s2b n2 n2 FPOA10", "R31 n2 s3a 2.2k", "R32 s3a s3b 1.3k", "C31 s3a out 47n", "C32 s3b 0 1n", "XU3 s3b out out FPOA10"], "summary": {"approximation": "chebyshev order 5 0.1 dB", "opamp_count": 3, "components": {"R11": 13000.0, "C11": 1.8e-09, "R21": 4300.0, "R22": 1000.0, "C21": 1.8e-08, "C22": 3.3e-09, "R31": 2200.0, "R32": 1300.0, "C31": 4.7e-08, "C32": 1e-09}, "passband_min_gain_db": -0.0732, "passband_max_gain_db": 0.1352, "stopband_max_gain_db": -54.3519, "gain_at_fp_db": 0.0504, "attenuation_at_fs_db": 54.3519, "f_3db_hz": 14213.5917}},
]

spec = json.loads((INPUT / "spec.json").read_text())
key = f"{spec['response']}/{spec['topology']}/{spec['opamp']['subckt']}"
edge = spec["passband"]["to_hz"] if spec["response"] == "lowpass" else spec["passband"]["from_hz"]
answer = min((a for a in ANSWERS if a["key"] == key),
             key=lambda a: (abs(math.log(a["edge_hz"] / edge)), abs(a["gain_db"] - spec["nominal_gain_db"])))
OUTPUT.mkdir(parents=True, exist_ok=True)
(OUTPUT / "filter.cir").write_text("\n".join(["* active filter", f".include {INPUT / 'opamp.lib'}", ".subckt FILTER in out",
                                              *answer["body"], ".ends FILTER", ".end", ""]))
(OUTPUT / "design_summary.json").write_text(json.dumps(answer["summary"], indent=2) + "\n")
