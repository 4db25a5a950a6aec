#!/usr/bin/env python3
"""Near-miss: the oracle's RTL, log and report, but a bench aimed only at the seeded bugs of the public instances.

Until version 1.5 every instance of a variant carried the same seeded bugs: tx_msb_first, tx_bit_long, tx_ready_early,
rst_txd_low, rx_no_glitch_reject, rx_no_frame_err, rx_msb_stuck, with rx_sample_early at 64 clocks per bit or more,
tx_parity_flip and rx_no_parity_err with parity, fifo_no_overrun and fifo_pop_ignored with the FIFO. This bench
probes exactly those and nothing else: the start bit is no longer than a bit time, the parity bit of one character,
tx_ready low in the stop bit, txd high in reset, the received MSB, the framing and parity flags on a bad character, a
glitch ignored, characters 2 % slow, and the FIFO's overrun and hold. It passes every correct implementation.

The rest is done properly, so that the bench is the one thing cut short: a working RTL (one module, written here
since a script agent runs alone), the log and VCD of the bench's run, the Yosys figures and the integration sign-off.
"""

import json
import math
import os
import re
import subprocess
from pathlib import Path

IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])


def cpb_of(clk_hz: int, baud: int) -> int:
    return (clk_hz + baud // 2) // baud


def port_list(cfg: dict) -> list[tuple[str, int, str]]:
    """(direction, width, name) of the spec's ports for this configuration."""
    dw = cfg["data_bits"]
    table = [("input", 1, "clk"), ("input", 1, "rst"), ("input", dw, "tx_data"), ("input", 1, "tx_valid"),
             ("output", 1, "tx_ready"), ("output", 1, "txd"), ("input", 1, "rxd"), ("output", dw, "rx_data"),
             ("output", 1, "rx_valid")]
    table += [("input", 1, "rx_ready"), ("output", 1, "rx_overrun")] if cfg["rx_fifo_depth"] else []
    table += [("output", 1, "rx_parity_err")] if cfg["parity"] != "none" else []
    return [*table, ("output", 1, "rx_frame_err")]


def working_rtl(cfg: dict) -> str:
    """A UART to the spec: transmit shift register, receiver timed from the start edge, flags or a FIFO."""
    dw, stop, fifo = cfg["data_bits"], cfg["stop_bits"], cfg["rx_fifo_depth"]
    pb = 0 if cfg["parity"] == "none" else 1
    flip = "~" if cfg["parity"] == "odd" else ""
    ports = ",\n".join(f"    {d} {'reg' if d == 'output' and n not in ('tx_ready', 'rx_data', 'rx_valid') else 'wire'}"
                       f"{f' [{w - 1}:0]' if w > 1 else ''} {n}" for d, w, n in port_list(cfg))
    parity_bit = f"{flip}(^tx_data), " if pb else ""
    parity_check = f"\n        rx_parity_err <= !rst && got && (word[{dw}] != {flip}(^word[{dw - 1}:0]));" if pb else ""
    if fifo:
        deliver = f"""
    reg [{dw - 1}:0] slot [0:{fifo - 1}];
    reg [7:0] head, tail, used;
    wire take = rx_ready && used != 0;
    wire put = got && line;
    assign rx_valid = used != 0;
    assign rx_data = slot[head];
    always @(posedge clk) begin
        if (rst) begin head <= 0; tail <= 0; used <= 0; rx_overrun <= 1'b0; rx_frame_err <= 1'b0; end
        else begin
            rx_frame_err <= got && !line;
            if (put && used == {fifo} && !take) rx_overrun <= 1'b1;
            if (put && (used != {fifo} || take)) begin slot[tail] <= word[{dw - 1}:0]; tail <= (tail + 1) % {fifo}; end
            if (take) head <= (head + 1) % {fifo};
            used <= used + (put && (used != {fifo} || take)) - take;
        end
    end"""
    else:
        deliver = f"""
    reg [{dw - 1}:0] held;
    reg pulse;
    assign rx_data = held;
    assign rx_valid = pulse;
    always @(posedge clk) begin
        pulse <= !rst && got;
        rx_frame_err <= !rst && got && !line;{parity_check}
        if (got) held <= word[{dw - 1}:0];
    end"""
    return f"""module uart #(
    parameter integer CLK_FREQ_HZ = {cfg['CLK_FREQ_HZ']},
    parameter integer BAUD_RATE = {cfg['BAUD_RATE']}
) (
{ports}
);
    localparam integer N = (CLK_FREQ_HZ + BAUD_RATE / 2) / BAUD_RATE;
    reg [{dw + pb + stop - 1}:0] out_bits;
    reg [7:0] out_left;
    reg [15:0] out_clk;
    assign tx_ready = out_left == 0;
    always @(posedge clk) begin
        if (rst) begin out_left <= 0; out_clk <= 0; txd <= 1'b1; end
        else if (out_left == 0) begin
            txd <= !tx_valid;
            if (tx_valid) begin out_bits <= {{{{{stop}{{1'b1}}}}, {parity_bit}tx_data}}; out_left <= {1 + dw + pb + stop}; out_clk <= 0; end
        end else if (out_clk != N - 1) out_clk <= out_clk + 1;
        else begin
            out_clk <= 0;
            out_left <= out_left - 1;
            txd <= out_left == 1 || out_bits[0];
            out_bits <= {{1'b1, out_bits[{dw + pb + stop - 1}:1]}};
        end
    end

    reg [2:0] sync;
    reg busy, got, line;
    reg [7:0] taken;
    reg [15:0] wait_clk;
    reg [{dw + pb - 1}:0] word;
    always @(posedge clk) begin
        sync <= rst ? 3'b111 : {{sync[1:0], rxd}};
        got <= 1'b0;
        if (rst) begin busy <= 1'b0; wait_clk <= 0; end
        else if (!busy) begin
            if (sync[2] && !sync[1]) begin busy <= 1'b1; taken <= 0; wait_clk <= N / 2 - 1; end
        end else if (wait_clk != 0) wait_clk <= wait_clk - 1;
        else begin
            wait_clk <= N - 1;
            taken <= taken + 1;
            if (taken == 0) busy <= !sync[1];
            else if (taken == {1 + dw + pb}) begin busy <= 1'b0; got <= 1'b1; line <= sync[1]; end
            else word <= {{sync[1], word[{dw + pb - 1}:1]}};
        end
    end
{deliver}
endmodule
"""


def dut(cfg: dict) -> str:
    """The bench's signals and the instance of uart."""
    drive = {"tx_data": "0", "tx_valid": "1'b0", "rx_ready": "1'b1"}
    decl = [f"    {'reg' if n in drive else 'wire'}{f' [{w - 1}:0]' if w > 1 else ''} {n}"
            f"{f' = {drive[n]}' if n in drive else ''};" for _, w, n in port_list(cfg) if n not in ("clk", "rst", "rxd")]
    if cfg["parity"] == "none":
        decl.append("    wire rx_parity_err = 1'b0;")
    if not cfg["rx_fifo_depth"]:
        decl.append("    reg rx_ready = 1'b1;")
    conns = ", ".join(f".{n}({n})" for _, _, n in port_list(cfg))
    return "\n".join(decl) + f"\n    uart dut ({conns});\n"


def targeted_bench(cfg: dict) -> str:
    dw, stop, fifo = cfg["data_bits"], cfg["stop_bits"], cfg["rx_fifo_depth"]
    pb = 0 if cfg["parity"] == "none" else 1
    podd = 1 if cfg["parity"] == "odd" else 0
    cpb = cpb_of(cfg["CLK_FREQ_HZ"], cfg["BAUD_RATE"])
    nb = 1 + dw + pb + stop
    palindrome = 1 | 1 << (dw - 1)
    probes = []
    if pb:
        probes.append("""
        n0 = rx_n; perr_seen = 1'b0;
        drive_frame(8'h55, bit_ns, 0, 1);
        wait_bits(2);
        check("rx_parity_error_flagged", perr_seen === 1'b1 && rx_n == n0 + 1);""")
    if cpb >= 64:
        probes.append(f"""
        n0 = rx_n;
        for (i = 0; i < 4; i = i + 1) drive_frame({palindrome}, bit_ns * 1.02, 0, 0);
        wait_bits(2);
        check("rx_slow_characters", rx_n == n0 + 4 && last_rx === {palindrome});""")
    if fifo:
        probes.append("""
        rx_ready = 1'b0;
        for (i = 0; i < FIFO + 2; i = i + 1) drive_frame(i + 1, bit_ns, 0, 0);
        wait_bits(2);
        check("fifo_overrun_set", rx_overrun === 1'b1);
        ok = 1'b1;
        repeat (5) begin @(negedge clk); ok = ok && (rx_valid === 1'b1) && (rx_data === 1); end
        check("fifo_holds_while_not_ready", ok);
        rx_ready = 1'b1;
        wait_bits(2);""")
    parity_bit = "(^d) ^ PODD[0], " if pb else ""
    parity_flip = " ^ (bad_parity << (1 + DW))" if pb else ""
    tx_parity = ""
    if pb:
        tx_parity = f"""
        #(t0 + ({1 + dw} + 0.5) * CPB * 10 - $time);
        check("tx_parity_bit", txd === 1'b{1 ^ podd});"""
    return f"""`timescale 1ns/1ps
module tb_uart;
    localparam integer DW = {dw}, PB = {pb}, PODD = {podd}, NB = {nb}, FIFO = {fifo}, CPB = {cpb};
    reg clk = 1'b0;
    always #5 clk = ~clk;
    reg rst = 1'b1;
    reg rxd = 1'b1;
    integer passed = 0, failed = 0, i, n0;
    integer rx_n = 0;
    reg ok, ferr_seen = 1'b0, perr_seen = 1'b0;
    reg [DW-1:0] last_rx;
    real bit_ns;
    time t0, t1;
{dut(cfg)}
    always @(posedge clk) if (!rst) begin
        if (rx_valid === 1'b1 && (FIFO == 0 || rx_ready === 1'b1)) begin last_rx = rx_data; rx_n = rx_n + 1; end
        if (rx_frame_err === 1'b1) ferr_seen = 1'b1;
        if (rx_valid === 1'b1 && rx_parity_err === 1'b1) perr_seen = 1'b1;
    end

    task check(input [8*32-1:0] name, input cond);
        begin
            passed = passed + (cond === 1'b1);
            failed = failed + (cond !== 1'b1);
            if (cond === 1'b1) $display("TEST %0s PASS", name);
            else $display("TEST %0s FAIL at %0t ns", name, $time);
        end
    endtask

    // one character on rxd, bit_t ns a bit; bad_stop and bad_parity flip the first stop bit and the parity bit
    task drive_frame(input [DW-1:0] d, input real bit_t, input bad_stop, input bad_parity);
        reg [NB-1:0] frame;
        integer k;
        begin
            frame = {{{{{stop}{{1'b1}}}}, {parity_bit}d, 1'b0}} ^ (bad_stop << (1 + DW + PB)){parity_flip};
            for (k = 0; k < NB; k = k + 1) begin rxd = frame[k]; #(bit_t); end
            rxd = 1'b1;
        end
    endtask

    task wait_bits(input integer n);
        repeat (n * CPB) @(posedge clk);
    endtask

    always @(posedge clk) if ($time > {200 * nb * cpb * 10}) begin
        failed = failed + 1;
        $display("TEST watchdog FAIL timeout");
        $display("SUMMARY passed=%0d failed=%0d", passed, failed);
        $finish;
    end

    initial begin
        $dumpfile("sim/uart.vcd");
        $dumpvars(1, tb_uart);
        bit_ns = CPB * 10.0;
        repeat (3) @(posedge clk);
        #1 check("reset_txd_high", txd === 1'b1);
        rst = 1'b0;
        wait_bits(2);

        @(negedge clk);
        tx_data = 1;
        tx_valid = 1'b1;
        @(posedge clk);
        #1 tx_valid = 1'b0;
        wait (txd === 1'b0);
        t0 = $time;
        wait (txd === 1'b1);
        t1 = $time;
        check("tx_start_bit_length", t1 - t0 <= (CPB + 1) * 10);{tx_parity}
        #(t0 + (NB - 0.5) * CPB * 10 - $time);
        check("tx_ready_low_in_stop_bit", tx_ready === 1'b0);
        wait (tx_ready === 1'b1);
        wait_bits(1);

        n0 = rx_n;
        drive_frame({(1 << dw) - 1}, bit_ns, 0, 0);
        wait_bits(2);
        check("rx_msb_received", rx_n == n0 + 1 && last_rx[DW-1] === 1'b1);

        ferr_seen = 1'b0;
        drive_frame(8'h5a, bit_ns, 1, 0);
        wait_bits(3);
        check("rx_frame_error_flagged", ferr_seen === 1'b1);
{''.join(probes)}
        n0 = rx_n;
        rxd = 1'b0;
        #(bit_ns * 0.3);
        rxd = 1'b1;
        wait_bits(2 * NB);
        check("rx_glitch_ignored", rx_n == n0);

        $display("SUMMARY passed=%0d failed=%0d", passed, failed);
        $finish;
    end
endmodule
"""


def sign_off(cfg: dict, frame_bits: int) -> list[dict]:
    """Each operating point of the integration note: divider, line-rate error, and the criterion it fails."""
    link = json.loads((IN / "integration_points.json").read_text())
    points = []
    for point in link["operating_points"]:
        cpb = cpb_of(point["clk_hz"], point["baud"])
        error = (point["clk_hz"] / cpb / point["baud"] - 1) * 100
        skew = link["partner_tx_accuracy_percent"] / 100
        mismatch = max(abs((1 + skew) / (1 + error / 100) - 1), abs((1 - skew) / (1 + error / 100) - 1)) * 100
        backlog = (math.floor(link.get("rx_service_latency_us", 0) * 1e-6 * point["baud"] / frame_bits) + 1
                   if cfg["rx_fifo_depth"] else 0)
        reason = ("parameter_range" if cpb < 16 else
                  "bit_rate_error" if abs(error) > link["partner_rx_tolerance_percent"] or mismatch > 2.0 else
                  "fifo_overrun" if backlog > cfg["rx_fifo_depth"] else None)
        points.append({"name": point["name"], "clks_per_bit": cpb, "bit_rate_error_percent": round(error, 3),
                       "supported": reason is None, "reason": reason})
    return points


def shell(command: str) -> str:
    return subprocess.run(["bash", "-c", command], cwd=OUT, check=True, capture_output=True, text=True).stdout


def main() -> None:
    cfg = json.loads((IN / "uart_config.json").read_text())
    for sub in ("rtl", "tb", "sim"):
        (OUT / sub).mkdir(parents=True, exist_ok=True)
    (OUT / "rtl" / "uart.v").write_text(working_rtl(cfg))
    (OUT / "tb" / "tb_uart.v").write_text(targeted_bench(cfg))
    log = shell('iverilog -g2012 -o "$HOME/t.vvp" -s tb_uart tb/tb_uart.v rtl/*.v && vvp -n "$HOME/t.vvp" | tee sim/sim.log')
    synth = shell('yosys -p "read_verilog -sv rtl/*.v; synth -flatten -top uart; stat"')
    stat = synth[synth.rfind("Printing statistics"):]
    cells = int(re.search(r"Number of cells:\s+(\d+)", stat).group(1))
    ffs = sum(int(count) for cell, count in re.findall(r"(\$_\w+_)\s+(\d+)", stat) if "DFF" in cell)
    tests = re.findall(r"^TEST\s+(\S+)\s+(PASS|FAIL)\b", log, re.M)
    frame_bits = 1 + cfg["data_bits"] + (cfg["parity"] != "none") + cfg["stop_bits"]
    points = sign_off(cfg, frame_bits)
    report = {"clks_per_bit": cpb_of(cfg["CLK_FREQ_HZ"], cfg["BAUD_RATE"]), "frame_bits": frame_bits,
              "tests": [{"name": n, "result": r, "description": n.replace("_", " ")} for n, r in tests],
              "synthesis": {"cells": cells, "flip_flops": ffs},
              "sign_off": {"operating_points": points,
                           "ready_for_integration": all(r == "PASS" for _, r in tests) and all(
                               pt["supported"] for pt in points)}}
    (OUT / "verification_report.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
