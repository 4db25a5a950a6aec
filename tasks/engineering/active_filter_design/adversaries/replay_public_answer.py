#!/usr/bin/env python3
"""Near-miss shortcut agent for engineering/active_filter_design: replay a memorised answer.

It writes, unchanged, the oracle's netlist and design summary for the public instance of version 1.0.0 of
this task (whose band plan was the same for every seed), picked by the response, topology and op-amp of
spec.json; no design and no simulation for this instance's own band edges, gain and attenuation.
"""
# ALE-CANARY-32a10619-adb6-478f-8f7a-b043433b4396

import json
import os
from pathlib import Path

INPUT = Path(os.environ["ALE_INPUT_DIR"])
OUTPUT = Path(os.environ["ALE_OUTPUT_DIR"])

ANSWERS = {
    'lowpass/sallen-key-unity-gain/GPOA1': {
        "body": ['R11 in s1a 180k', 'R12 s1a s1b 16k', 'C11 s1a n1 4.7n', 'C12 s1b 0 1.2n', 'XU1 s1b n1 n1 GPOA1', 'R21 n1 s2a 27k', 'R22 s2a s2b 2.7k', 'C21 s2a out 68n', 'C22 s2b 0 3.3n', 'XU2 s2b out out GPOA1'],
        "summary": {"approximation": "butterworth order 4", "opamp_count": 2, "components": {"R11": 180000.0, "R12": 16000.0, "C11": 4.7e-09, "C12": 1.2e-09, "R21": 27000.0, "R22": 2700.0, "C21": 6.8e-08, "C22": 3.3e-09}, "passband_min_gain_db": -0.5965, "passband_max_gain_db": 0.0479, "stopband_max_gain_db": -40.7305, "gain_at_fp_db": -0.5965, "attenuation_at_fs_db": 40.7305, "f_3db_hz": 1245.4048},
    },
    'lowpass/multiple-feedback/GPOA1': {
        "body": ['R11 in s1a 2.4k', 'R12 s1a n1 7.5k', 'R13 s1a s1b 110k', 'C11 s1a 0 270n', 'C12 s1b n1 2.7n', 'XU1 0 s1b n1 GPOA1', 'R21 n1 s2a 7.5k', 'R22 s2a out 24k', 'R23 s2a s2b 9.1k', 'C21 s2a 0 330n', 'C22 s2b out 3.9n', 'XU2 0 s2b out GPOA1'],
        "summary": {"approximation": "chebyshev order 4 0.1 dB", "opamp_count": 2, "components": {"R11": 2400.0, "R12": 7500.0, "R13": 110000.0, "C11": 2.7e-07, "C12": 2.7e-09, "R21": 7500.0, "R22": 24000.0, "R23": 9100.0, "C21": 3.3e-07, "C22": 3.9e-09}, "passband_min_gain_db": 19.9994, "passband_max_gain_db": 20.1304, "stopband_max_gain_db": -27.852, "gain_at_fp_db": 20.0749, "attenuation_at_fs_db": 47.852, "f_3db_hz": 316.578},
    },
    'highpass/sallen-key-unity-gain/GPOA3': {
        "body": ['C11 in s1b 18n', 'R11 s1b 0 68k', 'XU1 s1b n1 n1 GPOA3', 'C21 n1 s2a 6.8n', 'C22 s2a s2b 27n', 'R21 s2a out 36k', 'R22 s2b 0 510k', 'XU2 s2b out out GPOA3'],
        "summary": {"approximation": "chebyshev order 3 0.25 dB", "opamp_count": 2, "components": {"R11": 68000.0, "C11": 1.8e-08, "R21": 36000.0, "R22": 510000.0, "C21": 6.8e-09, "C22": 2.7e-08}, "passband_min_gain_db": -0.2381, "passband_max_gain_db": 0.0261, "stopband_max_gain_db": -30.5737, "gain_at_fp_db": -0.2316, "attenuation_at_fs_db": 30.5737, "f_3db_hz": 79.9488},
    },
    'lowpass/sallen-key-unity-gain/FPOA10': {
        "body": ['R11 in s1b 5.6k', 'C11 s1b 0 3.3n', 'XU1 s1b n1 n1 FPOA10', 'R21 n1 s2a 2.7k', 'R22 s2a s2b 1.5k', 'C21 s2a n2 12n', 'C22 s2b 0 3.3n', 'XU2 s2b n2 n2 FPOA10', 'R31 n2 s3a 1.8k', 'R32 s3a s3b 1k', 'C31 s3a out 47n', 'C32 s3b 0 1n', 'XU3 s3b out out FPOA10'],
        "summary": {"approximation": "chebyshev order 5 0.1 dB", "opamp_count": 3, "components": {"R11": 5600.0, "C11": 3.3e-09, "R21": 2700.0, "R22": 1500.0, "C21": 1.2e-08, "C22": 3.3e-09, "R31": 1800.0, "R32": 1000.0, "C31": 4.7e-08, "C32": 1e-09}, "passband_min_gain_db": -0.0659, "passband_max_gain_db": 0.1896, "stopband_max_gain_db": -51.9267, "gain_at_fp_db": 0.1895, "attenuation_at_fs_db": 51.9267, "f_3db_hz": 17902.2823},
    },
}

spec = json.loads((INPUT / "spec.json").read_text())
answer = ANSWERS[f"{spec['response']}/{spec['topology']}/{spec['opamp']['subckt']}"]
OUTPUT.mkdir(parents=True, exist_ok=True)
(OUTPUT / "filter.cir").write_text("\n".join(["* active filter", f".include {INPUT / 'opamp.lib'}", ".subckt FILTER in out",
                                              *answer["body"], ".ends FILTER", ".end", ""]))
(OUTPUT / "design_summary.json").write_text(json.dumps(answer["summary"], indent=2) + "\n")
