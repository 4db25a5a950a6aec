"""Synthesizable UART (transmitter + receiver) from a written spec, verified with Icarus Verilog.

ALE-CANARY-8d1aeb33-803c-43e3-a3d1-3a07050f4b0e

Workflow: a design lead hands over an interface and protocol spec for a UART block (frame
format, clock/baud parameters, receiver robustness, error flags, and for one variant a receive
FIFO). The engineer writes the RTL, a self-checking test bench, runs the simulation with
Icarus Verilog (iverilog/vvp) keeping the log and a VCD, synthesizes the block with Yosys and
writes a verification report. Variants differ in the frame format (8N1, 7E1, 8O2), clock/baud
ratio and features (receive FIFO with overrun).

generate() writes the spec (uart_spec.md) and its machine-readable twin (uart_config.json) as
inputs. The reference holds a hidden acceptance test bench (with a secret token in its messages),
a reference RTL implementation and mutants of it (each one realistic bug, drawn per seed from the
variant's pool of mutation sites), all rendered from templates/.

grade():
  stage 1, the RTL: it must be free of simulation-only constructs (system tasks, delays, initial
  blocks), synthesize in Yosys without latches, and pass the hidden test bench groups (transmit
  format/timing/back-to-back, receive at nominal and +/-2 % rates, error flags or FIFO, glitch
  and reset behaviour, loopback, a second parameter set), each run in a fresh sandbox;
  stage 2, the agent's test bench: re-run on the agent's RTL (must pass), on the reference RTL
  (must pass: it checks the spec, not one implementation) and on every mutant (must fail:
  the share of mutants caught is the score), the reference and mutants with every internal name made
  private to the grading, so that a bench reaching into the block by hierarchical name compiles against none;
  stage 3, the evidence: the submitted log matches the re-run, the VCD is a real dump of the
  interface, and the report's figures (clock cycles per bit, frame length, the tests and their
  results, Yosys cell and flip-flop counts) agree with what the grader measured;
  stage 4, the integration sign-off (signoff.py): at every operating point of the integration note the
  divider and line-rate error, whether the point is supported and which criterion it fails, and the
  verdict, ready only when every point is supported and the block passed the acceptance bench.
Every re-run is bounded by CPU time, so the grade is the same on an idle and on a loaded machine.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import secrets
from pathlib import Path
from typing import Any

import jinja2

from lastexam.task import Grading, Params, ToolResult, as_number, is_close, judge, normalize_text

from . import signoff

TEMPLATES = Path(__file__).parent / "templates"
# The seeded bugs (mutation sites of templates/uart_ref.v.j2): each breaks a rule of the spec that a good bench checks.
# Every instance draws MUTANTS_DRAWN of those its variant has, so a bench aimed at one instance's bugs misses others.
MUTANTS_COMMON = ["tx_msb_first", "tx_bit_long", "tx_bit_short", "tx_stop_short", "tx_stop_low", "tx_ready_early",
                  "tx_ready_late", "rst_txd_low", "rst_tx_busy", "rx_no_glitch_reject", "rx_no_frame_err",
                  "rx_frame_err_always", "rx_msb_stuck", "rx_lsb_stuck", "rx_msb_first", "rx_sample_late"]
MUTANTS_PARITY = ["tx_parity_flip", "rx_no_parity_err", "rx_parity_inverted"]
MUTANTS_FIFO = ["fifo_no_overrun", "fifo_pop_ignored", "fifo_depth_short", "fifo_keeps_bad_frames",
                "fifo_overrun_not_sticky"]
MUTANTS_DRAWN = 10
HIDDEN_GROUPS = {
    "hidden tests: transmitter frame format, bit timing and back-to-back handshake":
        (["tx_format", "tx_timing", "tx_backtoback"], 2.0),
    "hidden tests: receiver at the nominal rate and at +/-2 % bit-rate error": (["rx_basic", "rx_baud"], 2.0),
    "hidden tests: receive error flags": (["rx_errors"], 1.0),
    "hidden tests: glitch rejection and reset state": (["rx_glitch", "reset"], 1.0),
    "hidden tests: loopback and a second CLK_FREQ_HZ/BAUD_RATE pair": (["loopback", "params"], 1.0),
}
# Any '$' but the three synthesizable functions (so also a '$' pasted into a macro), simulation-only
# blocks and statements, and directives that pull in or build text the check cannot see.
FORBIDDEN_RTL = re.compile(r"\$(?!(?:clog2|signed|unsigned)\b)\w*|\b(?:initial|final|force|release)\b"
                           r"|`include\b|``")
# A bench reads no files: in the grader it sees only itself and the RTL under test, so reading
# anything can only be reading that RTL to recognise it. Icarus offers readers under many names ($fopen and
# its kin, $fgets, $fseek/$ftell, $readmem*, and its VHDL textio tasks $ivlh_file_open/$ivlh_readline among
# them), so a bench may call only the system tasks and functions a self-checking bench has use for (none of
# them reads or positions in a file, or writes one but the VCD), each spelt out in full: a '$' that starts
# no such name (a '$' a macro completes, a name a macro extends) is refused, as is pasting tokens (``).
BENCH_SYSTEM = frozenset(re.findall(r"\S+", """
display displayb displayh displayo write writeb writeh writeo strobe strobeb strobeh strobeo monitor monitorb
monitorh monitoro monitoron monitoroff fdisplay fdisplayb fdisplayh fdisplayo fwrite fwriteb fwriteh fwriteo
fflush finish stop fatal error warning info time stime realtime timeformat printtimescale dumpfile dumpvars
dumpon dumpoff dumpall dumpflush dumplimit random urandom urandom_range dist_uniform dist_normal
dist_exponential dist_poisson dist_chi_square dist_t dist_erlang sformat sformatf swrite swriteb swriteh swriteo
sscanf signed unsigned clog2 bits size high low left right increment dimensions unpacked_dimensions countones
countbits onehot onehot0 isunknown itor rtoi realtobits bitstoreal ln log10 exp sqrt pow floor ceil abs
test$plusargs value$plusargs"""))
SYSTEM_NAME = re.compile(r"(?<![\w$])\$([\w$]*)(`?)")
# $unit and $root are no tasks but scopes (the compilation unit's declarations, the top of the hierarchy), which read
# nothing: a bench may name them as scopes.
SCOPE = re.compile(r"\$unit\s*::|\$root\s*\.")
# What a bench may name of the block under test: the spec's module, parameters and ports. Every other name in the
# grader's implementations (the reference and its mutants) is private to one grading (private_internals), so a bench
# that reaches into the block by a hierarchical name (dut.tx_left), which the spec forbids, compiles against no other
# implementation than one that copies the public template's names.
SPEC_NAMES = frozenset(re.findall(r"\S+", """
uart CLK_FREQ_HZ BAUD_RATE clk rst tx_data tx_valid tx_ready txd rxd rx_data rx_valid rx_ready rx_parity_err
rx_overrun rx_frame_err"""))
VERILOG_WORDS = frozenset(re.findall(r"\S+", """
always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config deassign default defparam design
disable edge else end endcase endconfig endfunction endgenerate endmodule endprimitive endspecify endtable endtask
event for force forever fork function generate genvar highz0 highz1 if ifnone incdir include initial inout input
instance integer join large liblist library localparam macromodule medium module nand negedge nmos nor
noshowcancelled not notif0 notif1 or output parameter pmos posedge primitive pull0 pull1 pulldown pullup
pulsestyle_onevent pulsestyle_ondetect rcmos real realtime reg release repeat rnmos rpmos rtran rtranif0 rtranif1
scalared showcancelled signed small specify specparam strong0 strong1 supply0 supply1 table task time tran tranif0
tranif1 tri tri0 tri1 triand trior trireg unsigned use uwire vectored wait wand weak0 weak1 while wire wor xnor xor
logic bit byte int shortint longint string always_ff always_comb always_latch unique priority"""))
IDENTIFIER = re.compile(r"(?<![\w$'`\\])[A-Za-z_]\w*")
BENCH_DIRECTIVES = re.compile(r"`include\b|``")
# An escaped identifier (a backslash, then anything up to white space) is one token to the compiler: a quote,
# "//" or "/*" inside it opens nothing, so it is read as a token here too, before comments and strings.
LEXEMES = re.compile(r'\\\S+|"(?:[^"\\\n]|\\.)*"|/\*.*?\*/|//[^\n]*', re.S)
# '#' after a module or instance name opens a parameter list; after anything else it is a delay.
HASH = re.compile(r"(\w*)\s*#")
KEYWORDS = {"always", "assign", "begin", "end", "else", "if", "case", "endcase", "or", "posedge", "negedge", ""}
# Every re-run is bounded by CPU time (ulimit -t), which load does not stretch, so a bench or RTL that
# needs too much is failed the same way on an idle machine and at load average 20. The wall-clock
# limits only catch a machine too overloaded to grade: generous, and an error (never a failed check).
BENCH_CPU_SEC = 20
HIDDEN_CPU_SEC = 30
YOSYS_CPU_SEC = 60
WALL_SEC_PER_CPU_SEC = 60
SELF_CONTAINED = "agent test bench reads no files (observes the RTL only through its ports)"
REPORT_KEYS = ("clks_per_bit", "frame_bits", "tests", "synthesis")


# -- variant facts ----------------------------------------------------------------------------

def clks_per_bit(clk_hz: int, baud: int) -> int:
    return (clk_hz + baud // 2) // baud


def frame_bits(p: dict[str, Any]) -> int:
    return 1 + p["dw"] + (0 if p["parity"] == "none" else 1) + p["stop"]


def mutant_pool(p: dict[str, Any]) -> list[str]:
    """Every seeded bug the variant's design can carry."""
    cpb = clks_per_bit(p["clk_hz"], p["baud"])
    names = list(MUTANTS_COMMON)
    if cpb >= 64:  # sampling at the start of each bit fails the +/-2 % tests only with enough clocks per bit
        names.append("rx_sample_early")
    if cpb != 16:  # a divider fixed at the default: told apart by a second parameter pair (the oracle's gives 16)
        names.append("cpb_hardcoded")
    names += MUTANTS_PARITY if p["parity"] != "none" else []
    names += MUTANTS_FIFO if p["fifo"] else ["rx_valid_long"]
    return names


def mutants_of(p: dict[str, Any]) -> list[str]:
    """The seeded bugs of this instance, drawn from the variant's pool on a stream of their own."""
    pool = mutant_pool(p)
    return sorted(random.Random(f"uart-mutants-{p['seed']}").sample(pool, min(MUTANTS_DRAWN, len(pool))))


def hidden_groups(p: dict[str, Any]) -> dict[str, tuple[list[str], float]]:
    groups = dict(HIDDEN_GROUPS)
    if p["fifo"]:
        groups["hidden tests: receive error flags"] = (["rx_errors", "rx_fifo"], 1.5)
    return groups


def token_of(p: dict[str, Any]) -> str:
    return hashlib.sha256(f"uart-hidden-{p['seed']}".encode()).hexdigest()[:16]


# -- rendering --------------------------------------------------------------------------------

def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True)


def render_rtl(p: dict[str, Any], mutant: str = "") -> str:
    return _env().get_template("uart_ref.v.j2").render(
        label=p["label"], mutant=mutant, clk_hz=p["clk_hz"], baud=p["baud"], dw=p["dw"], parity=p["parity"],
        stop=p["stop"], fifo=p["fifo"])


def render_hidden_tb(p: dict[str, Any]) -> str:
    cpb, cpb2 = clks_per_bit(p["clk_hz"], p["baud"]), clks_per_bit(p["clk2"], p["baud2"])
    frames = 80 + 2 * p["fifo"]
    return _env().get_template("hidden_tb.v.j2").render(
        label=p["label"], token=token_of(p), dw=p["dw"], parity=p["parity"], stop=p["stop"], fifo=p["fifo"],
        cpb=cpb, cpb2=cpb2, clk2=p["clk2"], baud2=p["baud2"], seed=p["seed"] % 100000,
        alt1=int("01" * p["dw"], 2) & ((1 << p["dw"]) - 1), alt2=int("10" * p["dw"], 2) & ((1 << p["dw"]) - 1),
        watchdog_ns=frames * frame_bits(p) * max(cpb, cpb2) * 10 * 3)


def spec_markdown(p: dict[str, Any]) -> str:
    return _env().get_template("uart_spec.md.j2").render(
        p=p, cpb=clks_per_bit(p["clk_hz"], p["baud"]), nb=frame_bits(p),
        parity_name={"none": "none", "even": "even", "odd": "odd"}[p["parity"]])


def config_json(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "module": "uart", "label": p["label"], "data_bits": p["dw"], "parity": p["parity"], "stop_bits": p["stop"],
        "rx_fifo_depth": p["fifo"], "CLK_FREQ_HZ": p["clk_hz"], "BAUD_RATE": p["baud"],
        "bit_rate_tolerance_percent": 2.0,
    }


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    (input_dir / "uart_spec.md").write_text(spec_markdown(params))
    (input_dir / "uart_config.json").write_text(json.dumps(config_json(params), indent=2) + "\n")
    integration = signoff.operating_points(params, frame_bits(params))
    facts = integration["facts"]
    (input_dir / "integration_note.md").write_text(_env().get_template("integration_note.md.j2").render(
        p=params, facts=facts, points=integration["points"]))
    (input_dir / "integration_points.json").write_text(json.dumps({
        "partner_rx_tolerance_percent": facts["partner_rx_tolerance_percent"],
        "partner_tx_accuracy_percent": facts["partner_tx_accuracy_percent"],
        **({"rx_service_latency_us": facts["rx_service_latency_us"]} if params["fifo"] else {}),
        "operating_points": [{k: pt[k] for k in ("name", "role", "clk_hz", "baud")} for pt in integration["points"]],
    }, indent=2) + "\n")
    (reference_dir / "signoff.json").write_text(json.dumps(integration, indent=2) + "\n")
    (reference_dir / "hidden_tb.v").write_text(render_hidden_tb(params))
    (reference_dir / "uart_ref.v").write_text(render_rtl(params))
    mutants = reference_dir / "mutants"
    mutants.mkdir(exist_ok=True)
    for name in mutants_of(params):
        (mutants / f"{name}.v").write_text(render_rtl(params, name))
    (reference_dir / "facts.json").write_text(json.dumps({
        "token": token_of(params), "clks_per_bit": clks_per_bit(params["clk_hz"], params["baud"]),
        "frame_bits": frame_bits(params), "mutants": mutants_of(params),
    }, indent=2) + "\n")


# -- grading helpers --------------------------------------------------------------------------

def rtl_files(g: Grading) -> dict[str, Path]:
    rtl = g.output("rtl")
    if not rtl.is_dir():
        return {}
    return {f"rtl/{p.name}": p for p in sorted(rtl.glob("*.v"))[:20] if p.is_file() and not p.is_symlink()}


def strip_comments(text: str) -> str:
    """The code with comments blanked, string literals emptied and escaped identifiers renamed, read left to
    right as a compiler does (a "/*" inside a string opens no comment, a quote inside a comment opens no
    string, and "//" inside an escaped identifier such as ``\\a//`` comments nothing out)."""
    def token(m: re.Match[str]) -> str:
        lexeme = m.group(0)
        if lexeme.startswith("\\$"):  # Icarus calls \\$name the system task $name
            return f" {lexeme[1:]} "
        return '""' if lexeme.startswith('"') else " escaped_identifier " if lexeme.startswith("\\") else " "

    return LEXEMES.sub(token, text)


def simulation_only(code: str) -> list[str]:
    """Constructs that have no place in synthesizable RTL: system tasks, initial, force/release, delays."""
    found = [m.group(0) for m in FORBIDDEN_RTL.finditer(code)]
    found += [f"delay after {m.group(1) or 'an operator'!r}" for m in HASH.finditer(code) if m.group(1) in KEYWORDS]
    return found


def bench_offences(code: str) -> list[str]:
    """What in a bench's code (comments stripped) lies outside the system tasks a self-contained bench may call."""
    found = {m.group(0) for m in BENCH_DIRECTIVES.finditer(code)}
    found |= {m.group(0) for m in SYSTEM_NAME.finditer(code)
              if (m.group(1) not in BENCH_SYSTEM or m.group(2)) and not SCOPE.match(code, m.start())}
    return sorted(found)


def private_internals(rtl: str, suffix: str) -> str:
    """``rtl`` with every name but the spec's and the language's own given ``suffix`` (the design is the same)."""
    return IDENTIFIER.sub(lambda m: m.group(0) if m.group(0) in SPEC_NAMES or m.group(0) in VERILOG_WORDS
                          else f"{m.group(0)}_{suffix}", rtl)


def tb_outcome(stdout: str) -> tuple[bool, list[tuple[str, str]]]:
    """(passed, TEST lines) of a run of the agent's bench: passed means SUMMARY with failed=0 and no FAIL."""
    tests = re.findall(r"^TEST\s+(\S+)\s+(PASS|FAIL)\b", stdout, re.M)
    summary = re.findall(r"^SUMMARY\s+passed=(\d+)\s+failed=(\d+)", stdout, re.M)
    passed = (bool(summary) and summary[-1][1] == "0" and int(summary[-1][0]) > 0
              and bool(tests) and all(r == "PASS" for _, r in tests))
    return passed, tests


def finished(result: ToolResult, what: str, cpu_sec: int) -> ToolResult:
    """``result``, unless the wall-clock limit stopped it: then the machine, not the submission, is at fault
    (the run was bounded by ``cpu_sec`` of CPU time), and grading stops with an error instead of a check."""
    if result.timed_out:
        raise RuntimeError(f"{what} was stopped by the wall-clock limit ({cpu_sec * WALL_SEC_PER_CPU_SEC} s) "
                           f"before its CPU-time limit ({cpu_sec} s): the grading machine is overloaded; regrade")
    return result


def run_agent_benches(g: Grading, tb: Path, rtls: dict[str, dict[str, Path | str | bytes]],
                      cpu_sec: int = BENCH_CPU_SEC) -> dict[str, tuple[str, float]]:
    """The standard output of the agent's bench run on each RTL of ``rtls`` (name -> rtl/*.v files), and the
    CPU seconds the run took, all in one sandbox, each run in its own directory under a ``cpu_sec`` CPU-time
    limit (a run that hits it has printed what it printed so far). The logs, and each run's directory, have
    names the bench cannot know, so no run can forge another's log, or plant a file in a later run's RTL,
    through a file it writes (its VCD)."""
    logs = f"logs-{secrets.token_hex(8)}"
    dirs = [f"run-{secrets.token_hex(8)}" for _ in rtls]
    files: dict[str, Path | str | bytes] = {}
    for d, rtl in zip(dirs, rtls.values(), strict=True):
        files[f"{d}/tb/tb_uart.v"] = tb
        files |= {f"{d}/rtl/{Path(name).name}": path for name, path in rtl.items()}
    script = (f"mkdir {logs}; n=0; for d in {' '.join(dirs)}; do ( (cd $d && mkdir -p sim "
              f"&& ulimit -t {cpu_sec} && iverilog -g2012 -o tb.vvp -s tb_uart tb/tb_uart.v rtl/*.v "
              f"&& vvp -n tb.vvp) > {logs}/$n.out 2>&1 < /dev/null; times > {logs}/$n.cpu); rm -rf $d; "
              f"n=$((n + 1)); done")
    cpu = cpu_sec * len(rtls)
    result = finished(g.run_tool(["bash", "-c", script], files=files, timeout=cpu * WALL_SEC_PER_CPU_SEC),
                      "the re-run of the agent's test bench", cpu)
    out = result.workdir / logs

    def read(name: str) -> str:
        return (out / name).read_text(errors="replace") if (out / name).is_file() else ""

    def cpu_seconds(text: str) -> float:
        # bash `times`: the shell's own user/system time, then its children's
        found = re.findall(r"(\d+)m([\d.]+)s", text)[2:4]
        return sum(int(m) * 60 + float(s) for m, s in found) if len(found) == 2 else float(cpu_sec)

    return {name: (read(f"{n}.out"), cpu_seconds(read(f"{n}.cpu"))) for n, name in enumerate(rtls)}


def yosys_stats(text: str) -> tuple[int | None, int, int]:
    """(cells, flip-flops, latches) from the last 'stat' section of a Yosys log."""
    section = text[text.rfind("Printing statistics"):] if "Printing statistics" in text else ""
    cells = re.search(r"Number of cells:\s+(\d+)", section)
    counts = re.findall(r"^\s+(\$_\S+)\s+(\d+)\s*$", section, re.M)
    ffs = sum(int(n) for name, n in counts if "DFF" in name)
    latches = sum(int(n) for name, n in counts if "DLATCH" in name)
    return (int(cells.group(1)) if cells else None), ffs, latches


# -- checks -----------------------------------------------------------------------------------

def check_rtl(g: Grading, rtl: dict[str, Path]) -> tuple[int | None, int] | None:
    """Clean-code and synthesis check; returns Yosys (cells, flip-flops) when synthesis succeeded."""
    offending = []
    for name, path in rtl.items():
        offending += [f"{name}: {c}" for c in simulation_only(strip_comments(path.read_text(errors="replace")))]
    script = "read_verilog -sv " + " ".join(sorted(rtl)) + "; synth -flatten -top uart; stat"
    argv = ["bash", "-c", f'ulimit -t {YOSYS_CPU_SEC} && exec "$@"', "bash", "yosys", "-q", "-l", "yosys.log", "-p", script]
    result = finished(g.run_tool(argv, files=dict(rtl),
                                 timeout=YOSYS_CPU_SEC * WALL_SEC_PER_CPU_SEC), "Yosys synthesis", YOSYS_CPU_SEC)
    log = result.workdir / "yosys.log"
    cells, ffs, latches = yosys_stats(log.read_text(errors="replace") if log.is_file() else "")
    ok = not offending and result.ok and cells is not None and latches == 0 and ffs > 0
    reason = "; ".join(offending[:5])
    if not result.ok or cells is None:
        reason += f" yosys failed: {(result.stderr or result.stdout)[-300:]}"
    elif latches:
        reason += f" {latches} latch cells inferred"
    g.check("RTL is synthesizable (Yosys synth -top uart, no latches, no simulation-only constructs)", ok,
            weight=1.5, found={"cells": cells, "flip_flops": ffs, "latches": latches}, reason=reason.strip())
    return (cells, ffs) if result.ok and cells is not None else None


def check_hidden(g: Grading, rtl: dict[str, Path], facts: dict[str, Any]) -> bool:
    """Stage 1's acceptance run; returns whether the RTL passed every acceptance group."""
    clean = not any(simulation_only(strip_comments(p.read_text(errors="replace"))) for p in rtl.values())
    script = (f"ulimit -t {HIDDEN_CPU_SEC} && iverilog -g2012 -o ht.vvp -s ht_{facts['token']} hidden_tb.v rtl/*.v "
              "&& vvp -n ht.vvp < /dev/null")
    result = finished(g.run_tool(["bash", "-c", script], files={"hidden_tb.v": g.reference("hidden_tb.v"), **rtl},
                                 timeout=HIDDEN_CPU_SEC * WALL_SEC_PER_CPU_SEC), "the acceptance test bench",
                      HIDDEN_CPU_SEC)
    reported = re.findall(rf"^HT (\w+) (PASS|FAIL) {facts['token']}$", result.stdout, re.M)
    lines = dict(reported)
    compile_note = "" if "HT done" in result.stdout else f"run incomplete: {(result.stderr or result.stdout)[-300:]}"
    if len(reported) != len(lines) or len(re.findall(r"^HT done ", result.stdout, re.M)) != 1:
        clean, compile_note = False, "a result line printed twice: something besides the acceptance bench printed "

    accepted = True
    for name, (groups, weight) in hidden_groups(g.params).items():
        passed = [grp for grp in groups if lines.get(grp) == "PASS" and clean]
        accepted = accepted and len(passed) == len(groups)
        g.check(name, len(passed) / len(groups), weight=weight, expected={grp: "PASS" for grp in groups},
                found={grp: lines.get(grp, "missing") for grp in groups},
                reason=("" if clean else "RTL contains simulation-only constructs or printed results; hidden "
                        "results void. ")
                + (compile_note if len(passed) < len(groups) else ""))
    return accepted


def check_agent_tb(g: Grading, rtl: dict[str, Path], facts: dict[str, Any]) -> list[tuple[str, str]] | None:
    """Stage 2; returns the TEST lines of the bench run on the agent's RTL."""
    tb = g.output("tb/tb_uart.v")
    if not tb.is_file() or not rtl:
        for name in (SELF_CONTAINED, "agent test bench passes on the agent's RTL (re-run)",
                     "agent test bench passes on the reference RTL", "agent test bench catches the seeded bugs"):
            g.check(name, False, reason="tb/tb_uart.v or rtl/*.v missing")
        return None
    reads = bench_offences(strip_comments(tb.read_text(errors="replace")))
    g.check(SELF_CONTAINED, not reads, weight=0.5, found=reads,
            reason=f"the bench calls what a self-contained bench has no use for ({', '.join(reads[:8])}); its results "
            "are not credited" if reads else "")
    suffix = f"q{secrets.token_hex(4)}"  # the grader's implementations' internal names, private to this grading

    def theirs(path: Path) -> dict[str, Path | str | bytes]:
        return {"rtl/uart.v": private_internals(path.read_text(), suffix)}

    runs = run_agent_benches(g, tb, {"own": dict(rtl), "reference": theirs(g.reference("uart_ref.v"))})
    own_pass, own_tests = tb_outcome(runs["own"][0])
    own_pass = own_pass and not reads
    g.check("agent test bench passes on the agent's RTL (re-run)", own_pass, found=len(own_tests),
            reason="" if own_pass else runs["own"][0][-400:])
    ref_pass, ref_tests = tb_outcome(runs["reference"][0])
    ref_pass = ref_pass and not reads
    failing = [name for name, r in ref_tests if r == "FAIL"]
    g.check("agent test bench passes on the reference RTL", ref_pass, weight=1.0,
            reason="" if ref_pass else f"failing tests: {failing[:6]} {runs['reference'][0][-300:]}")
    # The mutants only matter to a bench that passes the reference (else nothing is credited). A bench that
    # passes a mutant takes about the CPU it took on the reference, so a run held past three times that is
    # a bench stuck on a bug: caught, and cheaply, however loaded the machine.
    mutants = {name: theirs(g.reference(f"mutants/{name}.v")) for name in facts["mutants"]}
    budget = min(BENCH_CPU_SEC, math.ceil(3 * runs["reference"][1]) + 2)
    logs = run_agent_benches(g, tb, mutants, budget) if ref_pass else {}
    survived = [name for name in facts["mutants"] if tb_outcome(logs.get(name, ("", 0.0))[0])[0]]
    caught = len(facts["mutants"]) - len(survived)
    score = caught / len(facts["mutants"]) if ref_pass else 0.0
    g.check("agent test bench catches the seeded bugs", score, weight=2.0,
            expected=f"{len(facts['mutants'])} of {len(facts['mutants'])}", found=f"{caught} caught",
            reason=("survivors: " + ", ".join(survived) if survived else "")
            + ("" if ref_pass else " (not credited: the bench fails the reference RTL)"))
    return own_tests


def check_evidence(g: Grading, rerun_tests: list[tuple[str, str]] | None) -> list[tuple[str, str]]:
    log = g.read_text("sim/sim.log", gate=False) or ""
    logged = re.findall(r"^TEST\s+(\S+)\s+(PASS|FAIL)\b", log, re.M)
    summary = re.search(r"^SUMMARY\s+passed=\d+\s+failed=\d+", log, re.M)
    same = bool(logged) and summary is not None and rerun_tests is not None and logged == rerun_tests
    vcd = g.output("sim/uart.vcd")
    head = vcd.read_bytes()[:200000].decode(errors="replace") if vcd.is_file() else ""
    signals = set(re.findall(r"\$var\s+\S+\s+\d+\s+\S+\s+(\w+)", head))
    changes = len(re.findall(r"^#\d+", head, re.M))
    vcd_ok = "$enddefinitions" in head and {"txd", "rxd", "clk"} <= signals and changes > 100
    g.check("sim.log matches the re-run and sim/uart.vcd is a real dump of the interface",
            (0.5 if same else 0.0) + (0.5 if vcd_ok else 0.0), weight=0.5,
            found={"log_tests": len(logged), "rerun_tests": None if rerun_tests is None else len(rerun_tests),
                   "vcd_signals_seen": sorted(signals & {"txd", "rxd", "clk"}), "vcd_timestamps": changes},
            reason=("" if same else "logged TEST lines differ from the re-run; ")
            + ("" if vcd_ok else "VCD lacks a header with clk/txd/rxd or real activity"))
    return logged


def check_report(g: Grading, facts: dict[str, Any], logged: list[tuple[str, str]],
                 synth: tuple[int | None, int] | None) -> None:
    report = g.read_json("verification_report.json", gate=False)
    if not isinstance(report, dict):
        g.check("report states clks_per_bit, frame_bits and the tests as run", False, reason="no JSON object")
        g.check("report's synthesis figures match Yosys", False, reason="no JSON object", weight=0.5)
        return
    problems = []
    if as_number(report.get("clks_per_bit")) != facts["clks_per_bit"]:
        problems.append(f"clks_per_bit {report.get('clks_per_bit')!r}")
    if as_number(report.get("frame_bits")) != facts["frame_bits"]:
        problems.append(f"frame_bits {report.get('frame_bits')!r}")
    tests = report.get("tests")
    listed = []
    if isinstance(tests, list):
        listed = [(str(t.get("name")), str(t.get("result", "")).upper()) for t in tests if isinstance(t, dict)]
    if not logged or sorted(listed) != sorted(logged):
        problems.append(f"tests listed {len(listed)} vs logged {len(logged)} (names/results must match sim.log)")
    if len(logged) < 6:
        problems.append(f"only {len(logged)} tests in the log (at least 6 expected)")
    g.check("report states clks_per_bit, frame_bits and the tests as run", not problems,
            expected={"clks_per_bit": facts["clks_per_bit"], "frame_bits": facts["frame_bits"]},
            reason="; ".join(problems))
    stated = report.get("synthesis") if isinstance(report.get("synthesis"), dict) else {}
    ok = (synth is not None and as_number(stated.get("cells")) == synth[0]
          and as_number(stated.get("flip_flops")) == synth[1])
    g.check("report's synthesis figures match Yosys", ok, weight=0.5,
            expected=None if synth is None else {"cells": synth[0], "flip_flops": synth[1]},
            found={"cells": stated.get("cells"), "flip_flops": stated.get("flip_flops")})


def check_signoff(g: Grading, report: Any, accepted: bool) -> None:
    """Stage 4, the sign-off of the integration note: each operating point's divider figures and support
    decision against the reference, and the verdict, which is "ready" only when every point is supported
    and the block passed the acceptance bench (a block that fails it must not be signed off)."""
    ref = g.reference_json("signoff.json")
    sign = report.get("sign_off") if isinstance(report, dict) else None
    sign = sign if isinstance(sign, dict) else {}
    listed = sign.get("operating_points") if isinstance(sign.get("operating_points"), list) else []
    found = {normalize_text(item.get("name")): item for item in listed if isinstance(item, dict)}
    expected = {normalize_text(pt["name"]): pt for pt in ref["points"]}

    def figures(item: dict[str, Any], pt: dict[str, Any]) -> bool | str:
        if as_number(item.get("clks_per_bit")) != pt["clks_per_bit"]:
            return f"clks_per_bit {item.get('clks_per_bit')!r}, expected {pt['clks_per_bit']}"
        if not is_close(item.get("bit_rate_error_percent"), pt["bit_rate_error_percent"], abs_tol=0.0015):
            return f"bit_rate_error_percent {item.get('bit_rate_error_percent')!r}, expected " \
                   f"{pt['bit_rate_error_percent']:.3f}"
        return True

    def decision(item: dict[str, Any], pt: dict[str, Any]) -> bool | str:
        if item.get("supported") is not pt["supported"]:
            return f"supported {item.get('supported')!r}, expected {pt['supported']}"
        reason = item.get("reason")
        if (None if reason in (None, "") else normalize_text(reason)) != pt["reason"]:
            return f"reason {reason!r}, expected {pt['reason']!r}"
        return True

    g.fraction("sign-off: CLKS_PER_BIT and line-rate error at every operating point of the integration note",
               judge(found, expected, figures), noun="operating points")
    g.fraction("sign-off: each operating point supported or not, with the criterion it fails",
               judge(found, expected, decision), weight=1.5, noun="operating points")
    ready = ref["ready"] and accepted
    stated = sign.get("ready_for_integration")
    g.check("sign-off verdict: ready for integration only with every point supported and the block accepted",
            stated is ready, weight=1.5, expected=ready, found=stated,
            reason="" if stated is ready else
            ("unsupported operating points: " + ", ".join(pt["name"] for pt in ref["points"] if not pt["supported"])
             if not ref["ready"] else "the block fails the acceptance bench" if not accepted else
             "every operating point is supported and the block passed the acceptance bench"))


def grade(g: Grading) -> None:
    if not g.require_files("rtl/uart.v", "tb/tb_uart.v", "sim/sim.log", "sim/uart.vcd", "verification_report.json"):
        return
    facts = g.reference_json("facts.json")
    rtl = rtl_files(g)
    synth = check_rtl(g, rtl)
    accepted = check_hidden(g, rtl, facts)
    rerun = check_agent_tb(g, rtl, facts)
    logged = check_evidence(g, rerun)
    check_report(g, facts, logged, synth)
    check_signoff(g, g.read_json("verification_report.json", gate=False), accepted)
