"""The oracle's RTL: uart = uart_tx + uart_rx (+ rx_fifo), written from uart_config.json.

ALE-CANARY-8d1aeb33-803c-43e3-a3d1-3a07050f4b0e
"""

from __future__ import annotations


def ports(cfg: dict) -> str:
    dw = cfg["data_bits"]
    lines = [
        "    input  wire          clk,",
        "    input  wire          rst,",
        f"    input  wire [{dw - 1}:0]   tx_data,",
        "    input  wire          tx_valid,",
        "    output wire          tx_ready,",
        "    output wire          txd,",
        "    input  wire          rxd,",
        f"    output wire [{dw - 1}:0]   rx_data,",
        "    output wire          rx_valid,",
    ]
    if cfg["rx_fifo_depth"]:
        lines.append("    input  wire          rx_ready,")
    if cfg["parity"] != "none":
        lines.append("    output wire          rx_parity_err,")
    if cfg["rx_fifo_depth"]:
        lines.append("    output wire          rx_overrun,")
    lines.append("    output wire          rx_frame_err")
    return "\n".join(lines)


def top(cfg: dict) -> str:
    dw, fifo = cfg["data_bits"], cfg["rx_fifo_depth"]
    has_par = cfg["parity"] != "none"
    rx_conn = [".clk(clk)", ".rst(rst)", ".rxd(rxd)", ".data(rx_word)", ".strobe(rx_strobe)",
               ".frame_err(rx_ferr)", ".parity_err(rx_perr)"]
    body = [
        "module uart #(",
        f"    parameter integer CLK_FREQ_HZ = {cfg['CLK_FREQ_HZ']},",
        f"    parameter integer BAUD_RATE   = {cfg['BAUD_RATE']}",
        ") (",
        ports(cfg),
        ");",
        "    localparam integer CLKS_PER_BIT = (CLK_FREQ_HZ + BAUD_RATE / 2) / BAUD_RATE;",
        f"    wire [{dw - 1}:0] rx_word;",
        "    wire rx_strobe, rx_ferr, rx_perr;",
        "",
        "    uart_tx #(.CPB(CLKS_PER_BIT)) u_tx (.clk(clk), .rst(rst), .data(tx_data), .valid(tx_valid),",
        "                                       .ready(tx_ready), .txd(txd));",
        f"    uart_rx #(.CPB(CLKS_PER_BIT)) u_rx ({', '.join(rx_conn)});",
    ]
    if not fifo:
        body += [
            f"    reg [{dw - 1}:0] data_q;",
            "    reg valid_q, ferr_q, perr_q;",
            "    always @(posedge clk) begin",
            "        if (rst) begin",
            "            valid_q <= 1'b0; ferr_q <= 1'b0; perr_q <= 1'b0;",
            f"            data_q <= {dw}'d0;",
            "        end else begin",
            "            valid_q <= rx_strobe;",
            "            ferr_q  <= rx_strobe & rx_ferr;",
            "            perr_q  <= rx_strobe & rx_perr;",
            "            if (rx_strobe) data_q <= rx_word;",
            "        end",
            "    end",
            "    assign rx_data = data_q;",
            "    assign rx_valid = valid_q;",
            "    assign rx_frame_err = ferr_q;",
        ]
        if has_par:
            body.append("    assign rx_parity_err = perr_q;")
    else:
        body += [
            "    reg ferr_q;",
            "    always @(posedge clk) ferr_q <= !rst && rx_strobe && rx_ferr;",
            "    assign rx_frame_err = ferr_q;",
            f"    rx_fifo #(.W({dw}), .DEPTH({fifo})) u_fifo (.clk(clk), .rst(rst),",
            "        .wr(rx_strobe & ~rx_ferr), .wdata(rx_word), .rd_ready(rx_ready),",
            "        .rd_valid(rx_valid), .rdata(rx_data), .overrun(rx_overrun));",
        ]
    body.append("endmodule")
    return "\n".join(body)


def tx_module(cfg: dict) -> str:
    dw, stop = cfg["data_bits"], cfg["stop_bits"]
    par = cfg["parity"]
    nbits = 1 + dw + (0 if par == "none" else 1) + stop
    if par == "none":
        frame = f"{{{{{stop}{{1'b1}}}}, data, 1'b0}}"
    else:
        pexpr = "^data" if par == "even" else "~^data"
        frame = f"{{{{{stop}{{1'b1}}}}, {pexpr}, data, 1'b0}}"
    return f"""
// Transmitter: a frame register shifted out LSB first, one bit every CPB clocks.
module uart_tx #(parameter integer CPB = 16) (
    input  wire          clk,
    input  wire          rst,
    input  wire [{dw - 1}:0]   data,
    input  wire          valid,
    output wire          ready,
    output wire          txd
);
    localparam integer NBITS = {nbits};
    reg [NBITS-1:0] frame;
    reg [$clog2(NBITS+1)-1:0] remaining;
    reg [$clog2(CPB)-1:0] tick;
    reg line;
    assign ready = (remaining == 0);
    assign txd = line;
    always @(posedge clk) begin
        if (rst) begin
            line <= 1'b1;
            remaining <= 0;
            tick <= 0;
            frame <= {{NBITS{{1'b1}}}};
        end else if (remaining == 0) begin
            line <= 1'b1;
            if (valid) begin
                frame <= {frame};
                remaining <= NBITS;
                tick <= 0;
                line <= 1'b0;
            end
        end else begin
            if (tick == CPB - 1) begin
                tick <= 0;
                remaining <= remaining - 1'b1;
                frame <= {{1'b1, frame[NBITS-1:1]}};
                line <= (remaining == 1) ? 1'b1 : frame[1];
            end else begin
                tick <= tick + 1'b1;
            end
        end
    end
endmodule
"""


def rx_module(cfg: dict) -> str:
    dw = cfg["data_bits"]
    par = cfg["parity"]
    nsample = dw + (0 if par == "none" else 1) + 1  # data, parity, first stop
    if par == "none":
        perr = "1'b0"
    elif par == "even":
        perr = f"^shreg[{dw}:0]"
    else:
        perr = f"~^shreg[{dw}:0]"
    return f"""
// Receiver: 2-FF synchroniser, falling-edge start detection, mid-bit sampling with a half-bit
// start check; strobes one cycle per character after sampling the first stop bit.
module uart_rx #(parameter integer CPB = 16) (
    input  wire          clk,
    input  wire          rst,
    input  wire          rxd,
    output wire [{dw - 1}:0]   data,
    output reg           strobe,
    output reg           frame_err,
    output reg           parity_err
);
    localparam integer NS = {nsample};
    localparam [1:0] IDLE = 2'd0, START = 2'd1, SHIFT = 2'd2;
    reg meta, sync, last;
    reg [1:0] state;
    reg [$clog2(CPB)-1:0] tick;
    reg [$clog2(NS+1)-1:0] count;
    reg [NS-1:0] shreg;
    wire [NS-1:0] shreg_next = {{sync, shreg[NS-1:1]}};
    assign data = shreg[{dw - 1}:0];
    always @(posedge clk) begin
        if (rst) begin
            meta <= 1'b1; sync <= 1'b1; last <= 1'b1;
            state <= IDLE; tick <= 0; count <= 0; shreg <= {{NS{{1'b1}}}};
            strobe <= 1'b0; frame_err <= 1'b0; parity_err <= 1'b0;
        end else begin
            meta <= rxd;
            sync <= meta;
            last <= sync;
            strobe <= 1'b0;
            case (state)
            IDLE: begin
                tick <= 0;
                if (last && !sync) state <= START;
            end
            START: begin
                if (tick == CPB / 2 - 2) begin
                    tick <= 0;
                    count <= 0;
                    state <= sync ? IDLE : SHIFT;
                end else tick <= tick + 1'b1;
            end
            SHIFT: begin
                if (tick == CPB - 1) begin
                    tick <= 0;
                    shreg <= shreg_next;
                    count <= count + 1'b1;
                    if (count == NS - 1) begin
                        state <= IDLE;
                        strobe <= 1'b1;
                        frame_err <= ~sync;
                        parity_err <= {perr.replace("shreg[", "shreg_next[")};
                    end
                end else tick <= tick + 1'b1;
            end
            default: state <= IDLE;
            endcase
        end
    end
endmodule
"""


def fifo_module(cfg: dict) -> str:
    if not cfg["rx_fifo_depth"]:
        return ""
    return """
// Receive FIFO: circular buffer with an occupancy counter; a write into a full FIFO is dropped
// and sets the sticky overrun flag.
module rx_fifo #(parameter integer W = 8, parameter integer DEPTH = 8) (
    input  wire         clk,
    input  wire         rst,
    input  wire         wr,
    input  wire [W-1:0] wdata,
    input  wire         rd_ready,
    output wire         rd_valid,
    output wire [W-1:0] rdata,
    output reg          overrun
);
    localparam integer AW = $clog2(DEPTH);
    reg [W-1:0] buffer [0:DEPTH-1];
    reg [AW-1:0] head, tail;
    reg [AW:0] used;
    wire take = rd_ready && (used != 0);
    wire room = (used != DEPTH) || take;
    assign rd_valid = (used != 0);
    assign rdata = buffer[head];
    always @(posedge clk) begin
        if (rst) begin
            head <= 0; tail <= 0; used <= 0; overrun <= 1'b0;
        end else begin
            if (wr && room) begin
                buffer[tail] <= wdata;
                tail <= (tail == DEPTH - 1) ? 0 : tail + 1'b1;
            end
            if (wr && !room) overrun <= 1'b1;
            if (take) head <= (head == DEPTH - 1) ? 0 : head + 1'b1;
            used <= used + (wr && room) - take;
        end
    end
endmodule
"""


def rtl(cfg: dict) -> str:
    header = (f"// uart: {cfg['label']} ({cfg['data_bits']} data bits, parity {cfg['parity']}, "
              f"{cfg['stop_bits']} stop), generated for the spec in uart_spec.md\n")
    return header + top(cfg) + "\n" + tx_module(cfg) + rx_module(cfg) + fifo_module(cfg)
