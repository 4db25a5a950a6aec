#!/usr/bin/env python3
"""Oracle for engineering/verilog_uart_block.

ALE-CANARY-8d1aeb33-803c-43e3-a3d1-3a07050f4b0e

Writes the RTL and the self-checking bench for the configuration in uart_config.json, runs the
bench with Icarus Verilog as the spec prescribes (log and VCD), synthesizes with the spec's Yosys
command and writes the verification report from the log and the Yosys statistics, ending with the
integration sign-off: at each operating point of the integration note, the divider the block uses, the
line-rate error it gives, whether the link closes (the partner's receive tolerance, and the partner's
transmit accuracy against our receiver's verified +/-2 %), whether the receive FIFO holds a burst until
firmware serves it, and the verdict.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rtl import rtl
from tb import tb

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))

DESCRIPTIONS = {
    "reset_and_idle_state": "txd high in and after reset, tx_ready high, no receive activity",
    "tx_frame_format_lsb_first": "start bit, LSB-first data, parity and stop bits sampled mid-bit",
    "tx_bit_timing": "every bit lasts exactly CLKS_PER_BIT cycles (sampled 1.5 cycles inside both ends)",
    "tx_ready_low_while_busy": "tx_ready drops for the whole frame and returns afterwards",
    "tx_back_to_back_full_stop_bits": "back-to-back frames keep full stop bits and minimum spacing",
    "rx_nominal_rate": "characters at the nominal rate with idle gaps, all values incl. all-0/all-1",
    "rx_valid_single_cycle": "rx_valid is a one-cycle pulse per character",
    "rx_rate_plus_2_percent": "back-to-back characters 2 % fast",
    "rx_rate_minus_2_percent": "back-to-back characters 2 % slow",
    "rx_framing_error": "a 0 stop bit raises the framing error; the next character is clean",
    "rx_parity_error_flag": "a wrong parity bit raises the parity error, data still delivered",
    "rx_glitch_rejected": "a 0.3-bit low glitch does not start a character",
    "fifo_hold_while_stalled": "with rx_ready low the oldest character stays on rx_data",
    "fifo_order_depth": "the FIFO keeps exactly its depth of characters, in order",
    "fifo_overrun_sticky": "a character arriving into a full FIFO sets rx_overrun",
    "fifo_overrun_cleared_by_reset": "reset clears rx_overrun and empties the FIFO",
    "fifo_streaming": "simultaneous writes and reads lose nothing",
    "loopback_random_data": "txd looped into rxd: random characters round-trip",
    "second_parameter_set": "another CLK_FREQ_HZ/BAUD_RATE pair: frame timing and loopback",
}


def run(argv: list[str], cwd: Path) -> str:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def cpb_of(clk_hz: int, baud: int) -> int:
    return (clk_hz + baud // 2) // baud


def assess_point(point: dict, link: dict, cfg: dict, frame_bits: int) -> dict:
    """The sign-off entry of one operating point of the integration note."""
    cpb = cpb_of(point["clk_hz"], point["baud"])
    error = (point["clk_hz"] / cpb / point["baud"] - 1) * 100
    partner = link["partner_tx_accuracy_percent"]
    mismatch = max(abs((1 + s * partner / 100) / (1 + error / 100) - 1) * 100 for s in (1, -1))
    reason = None
    if cpb < 16:
        reason = "parameter_range"
    elif abs(error) > link["partner_rx_tolerance_percent"] or mismatch > 2.0:
        reason = "bit_rate_error"
    elif cfg["rx_fifo_depth"]:
        # the first character lands at 0, then one every frame time until firmware starts reading
        waiting = math.floor(link["rx_service_latency_us"] * 1e-6 * point["baud"] / frame_bits) + 1
        reason = "fifo_overrun" if waiting > cfg["rx_fifo_depth"] else None
    return {"name": point["name"], "clk_hz": point["clk_hz"], "baud": point["baud"], "clks_per_bit": cpb,
            "bit_rate_error_percent": round(error, 3), "supported": reason is None, "reason": reason}


def main() -> None:
    cfg = json.loads((INPUT / "uart_config.json").read_text())
    for sub in ("rtl", "tb", "sim"):
        (OUTPUT / sub).mkdir(parents=True, exist_ok=True)
    (OUTPUT / "rtl" / "uart.v").write_text(rtl(cfg))
    (OUTPUT / "tb" / "tb_uart.v").write_text(tb(cfg))

    build = Path.home() / "build"
    build.mkdir(exist_ok=True)
    run(["iverilog", "-g2012", "-o", str(build / "tb.vvp"), "-s", "tb_uart", "tb/tb_uart.v", "rtl/uart.v"], OUTPUT)
    log = run(["vvp", "-n", str(build / "tb.vvp")], OUTPUT)
    (OUTPUT / "sim" / "sim.log").write_text(log)
    tests = re.findall(r"^TEST\s+(\S+)\s+(PASS|FAIL)\b", log, re.M)

    run(["yosys", "-q", "-l", str(build / "yosys.log"), "-p",
         "read_verilog -sv rtl/uart.v; synth -flatten -top uart; stat"], OUTPUT)
    stats = (build / "yosys.log").read_text()
    stats = stats[stats.rfind("Printing statistics"):]
    cells = int(re.search(r"Number of cells:\s+(\d+)", stats).group(1))
    ffs = sum(int(n) for name, n in re.findall(r"^\s+(\$_\S+)\s+(\d+)\s*$", stats, re.M) if "DFF" in name)

    frame_bits = 1 + cfg["data_bits"] + (0 if cfg["parity"] == "none" else 1) + cfg["stop_bits"]
    link = json.loads((INPUT / "integration_points.json").read_text())
    points = [assess_point(pt, link, cfg, frame_bits) for pt in link["operating_points"]]
    verified = bool(tests) and all(r == "PASS" for _, r in tests)
    report = {
        "block": "uart", "configuration": cfg["label"],
        "clks_per_bit": cpb_of(cfg["CLK_FREQ_HZ"], cfg["BAUD_RATE"]),
        "frame_bits": frame_bits,
        "tests": [{"name": n, "result": r, "description": DESCRIPTIONS.get(n, "")} for n, r in tests],
        "passed": sum(r == "PASS" for _, r in tests), "failed": sum(r == "FAIL" for _, r in tests),
        "synthesis": {"tool": "yosys", "command": "synth -flatten -top uart", "cells": cells, "flip_flops": ffs},
        "simulator": "Icarus Verilog (iverilog -g2012, vvp)",
        "sign_off": {"operating_points": points,
                     "ready_for_integration": verified and all(pt["supported"] for pt in points)},
    }
    (OUTPUT / "verification_report.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
