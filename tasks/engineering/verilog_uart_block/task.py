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
a reference RTL implementation and a set of mutants of it (each one realistic bug), all rendered
from templates/.

grade():
  stage 1, the RTL: it must be free of simulation-only constructs (system tasks, delays, initial
  blocks), synthesize in Yosys without latches, and pass the hidden test bench groups (transmit
  format/timing/back-to-back, receive at nominal and +/-2 % rates, error flags or FIFO, glitch
  and reset behaviour, loopback, a second parameter set), each run in a fresh sandbox;
  stage 2, the agent's test bench: re-run on the agent's RTL (must pass), on the reference RTL
  (must pass: it checks the spec, not one implementation) and on every mutant (must fail:
  the share of mutants caught is the score);
  stage 3, the evidence: the submitted log matches the re-run, the VCD is a real dump of the
  interface, and the report's figures (clock cycles per bit, frame length, the tests and their
  results, Yosys cell and flip-flop counts) agree with what the grader measured.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import jinja2

from lastexam.task import Grading, Params, ToolResult, as_number

TEMPLATES = Path(__file__).parent / "templates"
MUTANTS_COMMON = ["tx_msb_first", "tx_bit_long", "tx_ready_early", "rst_txd_low",
                  "rx_no_glitch_reject", "rx_no_frame_err", "rx_msb_stuck"]
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
# anything can only be reading that RTL to recognise it.
FILE_INPUT = re.compile(r"\$(?:fopen|fgets|fgetc|ungetc|fscanf|fread|readmemh|readmemb|system|sreadmem\w*)\b"
                        r"|`include\b")
LEXEMES = re.compile(r'"(?:[^"\\\n]|\\.)*"|/\*.*?\*/|//[^\n]*', re.S)
# '#' after a module or instance name opens a parameter list; after anything else it is a delay.
HASH = re.compile(r"(\w*)\s*#")
KEYWORDS = {"always", "assign", "begin", "end", "else", "if", "case", "endcase", "or", "posedge", "negedge", ""}
TB_TIMEOUT = 20
SELF_CONTAINED = "agent test bench reads no files (observes the RTL only through its ports)"
REPORT_KEYS = ("clks_per_bit", "frame_bits", "tests", "synthesis")


# -- variant facts ----------------------------------------------------------------------------

def clks_per_bit(clk_hz: int, baud: int) -> int:
    return (clk_hz + baud // 2) // baud


def frame_bits(p: dict[str, Any]) -> int:
    return 1 + p["dw"] + (0 if p["parity"] == "none" else 1) + p["stop"]


def mutants_of(p: dict[str, Any]) -> list[str]:
    names = list(MUTANTS_COMMON)
    if clks_per_bit(p["clk_hz"], p["baud"]) >= 64:
        names.append("rx_sample_early")
    if p["parity"] != "none":
        names += ["tx_parity_flip", "rx_no_parity_err"]
    if p["fifo"]:
        names += ["fifo_no_overrun", "fifo_pop_ignored"]
    return names


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
        stop=p["stop"], fifo=p["fifo"], fifo_impl=p["fifo"])


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
    """The code with comments blanked and string literals emptied, read left to right as a compiler
    does (a "/*" inside a string opens no comment, a quote inside a comment opens no string)."""
    return LEXEMES.sub(lambda m: '""' if m.group(0).startswith('"') else " ", text)


def simulation_only(code: str) -> list[str]:
    """Constructs that have no place in synthesizable RTL: system tasks, initial, force/release, delays."""
    found = [m.group(0) for m in FORBIDDEN_RTL.finditer(code)]
    found += [f"delay after {m.group(1) or 'an operator'!r}" for m in HASH.finditer(code) if m.group(1) in KEYWORDS]
    return found


def tb_outcome(result: ToolResult) -> tuple[bool, list[tuple[str, str]]]:
    """(passed, TEST lines) of a run of the agent's bench: passed means SUMMARY with failed=0 and no FAIL."""
    text = result.stdout
    tests = re.findall(r"^TEST\s+(\S+)\s+(PASS|FAIL)\b", text, re.M)
    summary = re.findall(r"^SUMMARY\s+passed=(\d+)\s+failed=(\d+)", text, re.M)
    passed = (not result.timed_out and bool(summary) and summary[-1][1] == "0" and int(summary[-1][0]) > 0
              and bool(tests) and all(r == "PASS" for _, r in tests))
    return passed, tests


def run_agent_tb(g: Grading, tb: Path, rtl: dict[str, Path | str]) -> ToolResult:
    script = ("mkdir -p sim && iverilog -g2012 -o tb.vvp -s tb_uart tb/tb_uart.v rtl/*.v "
              f"&& timeout {TB_TIMEOUT} vvp -n tb.vvp")
    return g.run_tool(["bash", "-c", script], files={"tb/tb_uart.v": tb, **rtl}, timeout=TB_TIMEOUT + 30)


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
    result = g.run_tool(["yosys", "-q", "-l", "yosys.log", "-p", script], files=dict(rtl), timeout=120)
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


def check_hidden(g: Grading, rtl: dict[str, Path], facts: dict[str, Any]) -> None:
    clean = not any(simulation_only(strip_comments(p.read_text(errors="replace"))) for p in rtl.values())
    script = ("iverilog -g2012 -o ht.vvp -s ht_{t} hidden_tb.v rtl/*.v && timeout 60 vvp -n ht.vvp"
              .format(t=facts["token"]))
    result = g.run_tool(["bash", "-c", script], files={"hidden_tb.v": g.reference("hidden_tb.v"), **rtl}, timeout=90)
    reported = re.findall(rf"^HT (\w+) (PASS|FAIL) {facts['token']}$", result.stdout, re.M)
    lines = dict(reported)
    compile_note = "" if "HT done" in result.stdout else f"run incomplete: {(result.stderr or result.stdout)[-300:]}"
    if len(reported) != len(lines) or len(re.findall(r"^HT done ", result.stdout, re.M)) != 1:
        clean, compile_note = False, "a result line printed twice: something besides the acceptance bench printed "

    for name, (groups, weight) in hidden_groups(g.params).items():
        passed = [grp for grp in groups if lines.get(grp) == "PASS" and clean]
        g.check(name, len(passed) / len(groups), weight=weight, expected={grp: "PASS" for grp in groups},
                found={grp: lines.get(grp, "missing") for grp in groups},
                reason=("" if clean else "RTL contains simulation-only constructs or printed results; hidden "
                        "results void. ")
                + (compile_note if len(passed) < len(groups) else ""))


def check_agent_tb(g: Grading, rtl: dict[str, Path], facts: dict[str, Any]) -> list[tuple[str, str]] | None:
    """Stage 2; returns the TEST lines of the bench run on the agent's RTL."""
    tb = g.output("tb/tb_uart.v")
    if not tb.is_file() or not rtl:
        for name in (SELF_CONTAINED, "agent test bench passes on the agent's RTL (re-run)",
                     "agent test bench passes on the reference RTL", "agent test bench catches the seeded bugs"):
            g.check(name, False, reason="tb/tb_uart.v or rtl/*.v missing")
        return None
    reads = sorted({m.group(0) for m in FILE_INPUT.finditer(strip_comments(tb.read_text(errors="replace")))})
    g.check(SELF_CONTAINED, not reads, weight=0.5, found=reads,
            reason=f"the bench reads files ({', '.join(reads)}); its results are not credited" if reads else "")
    own = run_agent_tb(g, tb, dict(rtl))
    own_pass, own_tests = tb_outcome(own)
    own_pass = own_pass and not reads
    g.check("agent test bench passes on the agent's RTL (re-run)", own_pass, found=len(own_tests),
            reason="" if own_pass else (own.stdout + own.stderr)[-400:])
    ref = run_agent_tb(g, tb, {"rtl/uart.v": g.reference("uart_ref.v")})
    ref_pass, ref_tests = tb_outcome(ref)
    ref_pass = ref_pass and not reads
    failing = [name for name, r in ref_tests if r == "FAIL"]
    g.check("agent test bench passes on the reference RTL", ref_pass, weight=1.0,
            reason="" if ref_pass else f"failing tests: {failing[:6]} {(ref.stdout + ref.stderr)[-300:]}")
    # one at a time: the grader's channel to its tool sandboxes carries one request at a time
    results = [run_agent_tb(g, tb, {"rtl/uart.v": g.reference(f"mutants/{name}.v")}) for name in facts["mutants"]]
    survived = [name for name, result in zip(facts["mutants"], results, strict=True) if tb_outcome(result)[0]]
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


def grade(g: Grading) -> None:
    if not g.require_files("rtl/uart.v", "tb/tb_uart.v", "sim/sim.log", "sim/uart.vcd", "verification_report.json"):
        return
    facts = g.reference_json("facts.json")
    rtl = rtl_files(g)
    synth = check_rtl(g, rtl)
    check_hidden(g, rtl, facts)
    rerun = check_agent_tb(g, rtl, facts)
    logged = check_evidence(g, rerun)
    check_report(g, facts, logged, synth)
