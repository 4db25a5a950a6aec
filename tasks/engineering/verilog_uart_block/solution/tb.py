"""The oracle's self-checking test bench tb_uart, written from uart_config.json.

ALE-CANARY-8d1aeb33-803c-43e3-a3d1-3a07050f4b0e

It talks to the block through its ports only: a line-level transmit checker that samples every
bit at its start, middle and end (so bit order, parity, stop bits and bit length are all checked),
a receive-side driver with adjustable bit rate and injectable errors, and a recorder of every
character the receiver delivers. A second instance runs with another CLK_FREQ_HZ/BAUD_RATE pair.
"""

from __future__ import annotations


def cpb_of(clk: int, baud: int) -> int:
    return (clk + baud // 2) // baud


SECOND_PAIR = (1_000_000, 62_500)  # 16 clocks per bit


def dut(cfg: dict, suffix: str, params: str) -> str:
    s = suffix
    conns = [".clk(clk)", ".rst(rst)", f".tx_data(tx_data{s})", f".tx_valid(tx_valid{s})",
             f".tx_ready(tx_ready{s})", f".txd(txd{s})", f".rxd(rxd{s})", f".rx_data(rx_data{s})",
             f".rx_valid(rx_valid{s})", f".rx_frame_err(rx_frame_err{s})"]
    if cfg["rx_fifo_depth"]:
        conns += [f".rx_ready(rx_ready{s})", f".rx_overrun(rx_overrun{s})"]
    if cfg["parity"] != "none":
        conns.append(f".rx_parity_err(rx_parity_err{s})")
    dw = cfg["data_bits"]
    decl = f"""
    reg  [{dw - 1}:0] tx_data{s} = 0;
    reg         tx_valid{s} = 1'b0;
    wire        tx_ready{s};
    wire        txd{s};
    wire [{dw - 1}:0] rx_data{s};
    wire        rx_valid{s};
    reg         rx_ready{s} = 1'b1;
    wire        rx_frame_err{s};
    wire        rx_parity_err{s};
    wire        rx_overrun{s};
"""
    if cfg["parity"] == "none":
        decl += f"    assign rx_parity_err{s} = 1'b0;\n"
    if not cfg["rx_fifo_depth"]:
        decl += f"    assign rx_overrun{s} = 1'b0;\n"
    return decl + f"    uart {params}dut{s} (\n        " + ",\n        ".join(conns) + "\n    );\n"


def recorder(suffix: str) -> str:
    s = suffix
    return f"""
    // every character the receiver hands over, with its flags
    integer      got_n{s} = 0;
    integer      ferr_pulses{s} = 0;
    integer      valid_run{s} = 0;
    integer      longest_valid{s} = 0;
    reg [DW-1:0] got{s} [0:255];
    reg          got_ferr{s} [0:255];
    reg          got_perr{s} [0:255];
    always @(posedge clk) if (!rst) begin
        if (rx_valid{s} === 1'b1 && (FIFO == 0 || rx_ready{s} === 1'b1) && got_n{s} < 256) begin
            got{s}[got_n{s}] = rx_data{s};
            got_ferr{s}[got_n{s}] = rx_frame_err{s};
            got_perr{s}[got_n{s}] = rx_parity_err{s};
            got_n{s} = got_n{s} + 1;
        end
        if (FIFO != 0 && rx_frame_err{s} === 1'b1) ferr_pulses{s} = ferr_pulses{s} + 1;
        valid_run{s} = (rx_valid{s} === 1'b1) ? valid_run{s} + 1 : 0;
        if (valid_run{s} > longest_valid{s}) longest_valid{s} = valid_run{s};
    end
"""


def tb(cfg: dict) -> str:
    dw, stop, fifo = cfg["data_bits"], cfg["stop_bits"], cfg["rx_fifo_depth"]
    pb = 0 if cfg["parity"] == "none" else 1
    podd = 1 if cfg["parity"] == "odd" else 0
    cpb = cpb_of(cfg["CLK_FREQ_HZ"], cfg["BAUD_RATE"])
    cpb2 = cpb_of(*SECOND_PAIR)
    nb = 1 + dw + pb + stop
    mask = (1 << dw) - 1
    alt = int("01" * dw, 2) & mask
    frame_ns = nb * max(cpb, cpb2) * 10
    watchdog = 400 * frame_ns
    fifo_tests = ""
    if fifo:
        fifo_tests = """
        // ---- FIFO: order, hold while stalled, overrun ----
        rx_ready = 1'b0;
        base = got_n;
        for (i = 0; i < FIFO + 3; i = i + 1) begin pattern[i] = $random(seed); drive_frame(pattern[i], bit_ns, 0, 0); end
        wait_bits(2);
        @(negedge clk);
        ok = (rx_valid === 1'b1) && (rx_data === pattern[0]) && (rx_overrun === 1'b1) && (got_n == base);
        repeat (7) @(negedge clk);
        ok = ok && (rx_data === pattern[0]) && (rx_valid === 1'b1);
        check("fifo_hold_while_stalled", ok);
        rx_ready = 1'b1;
        repeat (FIFO + 3) @(negedge clk);
        ok = (got_n == base + FIFO) && (rx_valid === 1'b0);
        for (i = 0; i < FIFO; i = i + 1) if (got[base + i] !== pattern[i]) ok = 1'b0;
        check("fifo_order_depth", ok);
        check("fifo_overrun_sticky", rx_overrun === 1'b1);
        rst = 1'b1;
        repeat (3) @(negedge clk);
        rst = 1'b0;
        repeat (3) @(negedge clk);
        check("fifo_overrun_cleared_by_reset", rx_overrun === 1'b0 && rx_valid === 1'b0);
        // simultaneous write and read keeps everything
        base = got_n;
        for (i = 0; i < 20; i = i + 1) pattern[i] = $random(seed);
        for (i = 0; i < 20; i = i + 1) drive_frame(pattern[i], bit_ns, 0, 0);
        wait_bits(2);
        ok = (got_n == base + 20) && (rx_overrun === 1'b0);
        for (i = 0; i < 20; i = i + 1) if (got[base + i] !== pattern[i]) ok = 1'b0;
        check("fifo_streaming", ok);
"""
    parity_test = ""
    if pb:
        parity_test = """
        base = got_n;
        pattern[0] = $random(seed);
        drive_frame(pattern[0], bit_ns, 0, 1);
        wait_bits(2);
        pattern[1] = $random(seed);
        drive_frame(pattern[1], bit_ns, 0, 0);
        wait_bits(2);
        ok = (got_n == base + 2) && (got[base] === pattern[0]) && (got_perr[base] === 1'b1) && (got_ferr[base] === 1'b0)
             && (got[base + 1] === pattern[1]) && (got_perr[base + 1] === 1'b0);
        check("rx_parity_error_flag", ok);
"""
    frame_err_check = (
        "ok = (ferr_pulses == f0 + 1) && (got_n == base + 1) && (got[base] === pattern[1]);"
        if fifo else
        "ok = (got_n == base + 2) && (got[base] === pattern[0]) && (got_ferr[base] === 1'b1)\n"
        "             && (got[base + 1] === pattern[1]) && (got_ferr[base + 1] === 1'b0);"
    )
    single_cycle = "" if fifo else '        check("rx_valid_single_cycle", longest_valid == 1);\n'
    return f"""// Self-checking test bench for uart ({cfg['label']}); drives the block through its ports only.
// ALE-CANARY-8d1aeb33-803c-43e3-a3d1-3a07050f4b0e
`timescale 1ns/1ps
module tb_uart;
    localparam integer DW = {dw};
    localparam integer PB = {pb};
    localparam integer PODD = {podd};
    localparam integer NSTOP = {stop};
    localparam integer NB = {nb};
    localparam integer FIFO = {fifo};
    localparam integer CPB = {cpb};
    localparam integer CPB2 = {cpb2};

    reg clk = 1'b0;
    always #5 clk = ~clk;
    reg rst = 1'b1;
    integer seed = 20240607;
    integer passed = 0;
    integer failed = 0;
    integer i, base, f0, start_n;
    reg ok;
    real bit_ns;
    reg [DW-1:0] pattern [0:63];

    reg rxd_drive = 1'b1;
    reg loopback = 1'b0;
    wire rxd = loopback ? txd : rxd_drive;
{dut(cfg, "", "")}
{recorder("")}
    wire rxd_2 = txd_2;
{dut(cfg, "_2", f"#(.CLK_FREQ_HZ({SECOND_PAIR[0]}), .BAUD_RATE({SECOND_PAIR[1]})) ")}
{recorder("_2")}
    // ---------------- line-level checker of the transmitter ----------------
    // Waits for a start bit, then samples each bit 1.5 clocks after its nominal start, at its
    // middle and 1.5 clocks before its nominal end: all three must agree with the expected bit.
    task expect_frame(input [DW-1:0] d, input integer cpb, input integer which, output fmt_ok, output tim_ok,
                      output time t_start);
        reg [NB-1:0] bits;
        integer k;
        time t0;
        reg s_early, s_mid, s_late, line;
        begin
            if (PB) bits = {{{{NSTOP{{1'b1}}}}, (^d) ^ PODD[0], d, 1'b0}};
            else bits = {{{{NSTOP{{1'b1}}}}, d, 1'b0}};
            fmt_ok = 1'b1;
            tim_ok = 1'b1;
            line = (which == 0) ? txd : txd_2;
            t0 = $time;
            while (line !== 1'b0 && $time - t0 < 4 * NB * cpb * 10) begin
                #1;
                line = (which == 0) ? txd : txd_2;
            end
            t_start = $time;
            if (line !== 1'b0) begin
                fmt_ok = 1'b0;
                tim_ok = 1'b0;
            end else begin
                t0 = $time;
                for (k = 0; k < NB; k = k + 1) begin
                    #(t0 + (k * cpb + 1.5) * 10 - $time);
                    s_early = (which == 0) ? txd : txd_2;
                    #(t0 + (k * cpb + cpb / 2.0) * 10 - $time);
                    s_mid = (which == 0) ? txd : txd_2;
                    #(t0 + ((k + 1) * cpb - 1.5) * 10 - $time);
                    s_late = (which == 0) ? txd : txd_2;
                    if (s_mid !== bits[k]) fmt_ok = 1'b0;
                    if (s_early !== bits[k] || s_late !== bits[k]) tim_ok = 1'b0;
                end
            end
        end
    endtask

    task send(input [DW-1:0] d);
        begin
            @(negedge clk);
            tx_data = d;
            tx_valid = 1'b1;
            @(posedge clk);
            while (tx_ready !== 1'b1) @(posedge clk);
            #1 tx_valid = 1'b0;
        end
    endtask

    task send_2(input [DW-1:0] d);
        begin
            @(negedge clk);
            tx_data_2 = d;
            tx_valid_2 = 1'b1;
            @(posedge clk);
            while (tx_ready_2 !== 1'b1) @(posedge clk);
            #1 tx_valid_2 = 1'b0;
        end
    endtask

    // one character on rxd with bit time bit_t (ns); bad_stop / bad_parity corrupt it
    task drive_frame(input [DW-1:0] d, input real bit_t, input bad_stop, input bad_parity);
        integer k;
        begin
            rxd_drive = 1'b0;
            #(bit_t);
            for (k = 0; k < DW; k = k + 1) begin rxd_drive = d[k]; #(bit_t); end
            if (PB) begin rxd_drive = (^d) ^ PODD[0] ^ bad_parity; #(bit_t); end
            rxd_drive = !bad_stop;
            #(bit_t);
            rxd_drive = 1'b1;
            if (NSTOP == 2) #(bit_t);
        end
    endtask

    task wait_bits(input integer n);
        begin
            repeat (n * CPB) @(posedge clk);
        end
    endtask

    task check(input [8*32-1:0] name, input cond);
        begin
            if (cond === 1'b1) begin
                passed = passed + 1;
                $display("TEST %0s PASS", name);
            end else begin
                failed = failed + 1;
                $display("TEST %0s FAIL at %0t ns", name, $time);
            end
        end
    endtask

    function rx_matches(input integer first, input integer count);
        integer j;
        begin
            rx_matches = (got_n == first + count);
            for (j = 0; j < count; j = j + 1)
                if (got[first + j] !== pattern[j] || got_ferr[first + j] !== 1'b0 || got_perr[first + j] !== 1'b0)
                    rx_matches = 1'b0;
        end
    endfunction

    initial begin
        $dumpfile("sim/uart.vcd");
        $dumpvars(1, tb_uart);
    end

    initial begin
        #({watchdog});
        $display("TEST watchdog FAIL simulation did not finish");
        $display("SUMMARY passed=%0d failed=%0d", passed, failed + 1);
        $finish;
    end

    reg fmt_all, tim_all, f1, t1;
    time ts [0:7];
    integer gaps_ok;

    initial begin
        bit_ns = CPB * 10.0;
        // ---- reset ----
        repeat (2) @(posedge clk);
        #1 ok = (txd === 1'b1);
        repeat (5) @(posedge clk);
        #1 rst = 1'b0;
        repeat (2) @(posedge clk);
        #1 ok = ok && (txd === 1'b1) && (tx_ready === 1'b1) && (rx_valid === 1'b0) && (rx_frame_err !== 1'b1)
                && (rx_overrun !== 1'b1);
        wait_bits(3);
        ok = ok && (txd === 1'b1);
        check("reset_and_idle_state", ok);

        // ---- transmitter: format and timing ----
        pattern[0] = {alt};
        pattern[1] = 0;
        pattern[2] = {mask};
        pattern[3] = ~{alt} & {mask};
        for (i = 4; i < 10; i = i + 1) pattern[i] = $random(seed);
        fmt_all = 1'b1;
        tim_all = 1'b1;
        for (i = 0; i < 10; i = i + 1) begin
            fork
                send(pattern[i]);
                begin expect_frame(pattern[i], CPB, 0, f1, t1, ts[0]); end
            join
            fmt_all = fmt_all & f1;
            tim_all = tim_all & t1;
            wait_bits(1 + i % 2);
        end
        check("tx_frame_format_lsb_first", fmt_all);
        check("tx_bit_timing", tim_all);

        // ---- transmitter: busy handshake and back-to-back frames ----
        @(negedge clk);
        tx_data = pattern[4];
        tx_valid = 1'b1;
        @(posedge clk);
        while (tx_ready !== 1'b1) @(posedge clk);
        #1 tx_valid = 1'b0;
        repeat (NB * CPB / 2) @(posedge clk);
        #1 ok = (tx_ready === 1'b0);
        wait_bits(NB);
        ok = ok && (tx_ready === 1'b1);
        check("tx_ready_low_while_busy", ok);
        for (i = 0; i < 6; i = i + 1) pattern[i] = $random(seed);
        fmt_all = 1'b1;
        tim_all = 1'b1;
        gaps_ok = 1;
        fork
            begin
                @(negedge clk);
                tx_valid = 1'b1;
                for (i = 0; i < 6; i = i + 1) begin
                    tx_data = pattern[i];
                    @(posedge clk);
                    while (tx_ready !== 1'b1) @(posedge clk);
                    #1;
                end
                tx_valid = 1'b0;
            end
            begin : btb
                integer j;
                for (j = 0; j < 6; j = j + 1) begin
                    expect_frame(pattern[j], CPB, 0, f1, t1, ts[j]);
                    fmt_all = fmt_all & f1;
                    tim_all = tim_all & t1;
                    if (j > 0 && (ts[j] - ts[j - 1] < NB * CPB * 10 || ts[j] - ts[j - 1] > (NB + 1) * CPB * 10 + 40))
                        gaps_ok = 0;
                end
            end
        join
        check("tx_back_to_back_full_stop_bits", fmt_all && tim_all && gaps_ok == 1);

        // ---- receiver at the nominal rate ----
        base = got_n;
        for (i = 0; i < 16; i = i + 1) pattern[i] = (i == 0) ? {mask} : (i == 1) ? 0 : $random(seed);
        #2.5;
        for (i = 0; i < 16; i = i + 1) begin
            drive_frame(pattern[i], bit_ns, 0, 0);
            #(bit_ns * (i % 2) + 3.1 * i);
        end
        wait_bits(2);
        check("rx_nominal_rate", rx_matches(base, 16));
{single_cycle}
        // ---- receiver at +/-2 % bit-rate error, frames back to back ----
        base = got_n;
        for (i = 0; i < 12; i = i + 1) pattern[i] = $random(seed);
        for (i = 0; i < 12; i = i + 1) drive_frame(pattern[i], bit_ns * 0.98, 0, 0);
        wait_bits(2);
        check("rx_rate_plus_2_percent", rx_matches(base, 12));
        base = got_n;
        for (i = 0; i < 12; i = i + 1) pattern[i] = $random(seed);
        for (i = 0; i < 12; i = i + 1) drive_frame(pattern[i], bit_ns * 1.02, 0, 0);
        wait_bits(2);
        check("rx_rate_minus_2_percent", rx_matches(base, 12));

        // ---- receiver error flags ----
        base = got_n;
        f0 = ferr_pulses;
        pattern[0] = $random(seed);
        pattern[1] = $random(seed);
        drive_frame(pattern[0], bit_ns, 1, 0);
        wait_bits(2);
        drive_frame(pattern[1], bit_ns, 0, 0);
        wait_bits(2);
        {frame_err_check}
        check("rx_framing_error", ok);
{parity_test}
        // ---- receiver ignores a short glitch ----
        base = got_n;
        rxd_drive = 1'b0;
        #(bit_ns * 0.3);
        rxd_drive = 1'b1;
        wait_bits(3);
        pattern[0] = $random(seed);
        drive_frame(pattern[0], bit_ns, 0, 0);
        wait_bits(2);
        check("rx_glitch_rejected", rx_matches(base, 1));
{fifo_tests}
        // ---- transmitter looped back into the receiver ----
        loopback = 1'b1;
        wait_bits(2);
        base = got_n;
        for (i = 0; i < 16; i = i + 1) pattern[i] = $random(seed);
        for (i = 0; i < 16; i = i + 1) send(pattern[i]);
        wait_bits(NB + 2);
        check("loopback_random_data", rx_matches(base, 16));
        loopback = 1'b0;

        // ---- second parameter set ({SECOND_PAIR[0]} Hz, {SECOND_PAIR[1]} Bd: {cpb2} clocks per bit) ----
        for (i = 0; i < 8; i = i + 1) pattern[i] = (i == 0) ? {alt} : $random(seed);
        fmt_all = 1'b1;
        tim_all = 1'b1;
        start_n = got_n_2;
        for (i = 0; i < 8; i = i + 1) begin
            fork
                send_2(pattern[i]);
                expect_frame(pattern[i], CPB2, 1, f1, t1, ts[0]);
            join
            fmt_all = fmt_all & f1;
            tim_all = tim_all & t1;
        end
        repeat (NB * CPB2) @(posedge clk);
        ok = fmt_all && tim_all && (got_n_2 == start_n + 8);
        for (i = 0; i < 8; i = i + 1) if (got_2[start_n + i] !== pattern[i]) ok = 1'b0;
        check("second_parameter_set", ok);

        $display("SUMMARY passed=%0d failed=%0d", passed, failed);
        $finish;
    end
endmodule
"""
