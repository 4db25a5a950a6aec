"""Device calibration (CSV), its outliers, and the estimated success probability (ESP) of a compiled circuit.

Shared by the oracle (solve.py) and the task's generator and grader, so that all three use one model.

ALE-CANARY-12349519-edb7-4972-9e86-3cb6406a5ab2
"""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VIRTUAL = {"rz", "barrier"}
QUBIT_COLUMNS = ("Qubit", "T1 (us)", "T2 (us)", "Readout assignment error", "sx error", "x error",
                 "Single-qubit gate length (ns)")


@dataclass
class Calibration:
    """One device calibration: per-qubit figures and, per native two-qubit direction, error and length."""

    two_qubit_gate: str
    t1_us: list[float] = field(default_factory=list)
    t2_us: list[float] = field(default_factory=list)
    readout_error: list[float] = field(default_factory=list)
    sx_error: list[float] = field(default_factory=list)
    x_error: list[float] = field(default_factory=list)
    single_length_ns: list[float] = field(default_factory=list)
    pair_error: dict[tuple[int, int], float] = field(default_factory=dict)
    pair_length_ns: dict[tuple[int, int], float] = field(default_factory=dict)


def _pairs(cell: str, where: str) -> dict[tuple[int, int], float]:
    out: dict[tuple[int, int], float] = {}
    for item in filter(None, (part.strip() for part in cell.split(";"))):
        key, _, value = item.partition(":")
        a, _, b = key.partition("_")
        try:
            out[(int(a), int(b))] = float(value)
        except ValueError:
            raise ValueError(f"{where}: '{item}' is not 'a_b:value'") from None
    return out


def read_calibration(text: str, two_qubit_gate: str) -> Calibration:
    """Parse a calibration CSV (one row per qubit, two-qubit figures as 'a_b:value;...' cells).

    Raises:
        ValueError: a missing column or a malformed cell, named by row and column.
    """
    rows = list(csv.DictReader(io.StringIO(text)))
    err_col, len_col = f"{two_qubit_gate} error", "Gate length (ns)"
    cal = Calibration(two_qubit_gate)
    for i, row in enumerate(rows):
        for column in (*QUBIT_COLUMNS, err_col, len_col):
            if column not in row:
                raise ValueError(f"calibration row {i + 1}: missing column '{column}'")
        if int(row["Qubit"]) != i:
            raise ValueError(f"calibration row {i + 1}: Qubit is {row['Qubit']}, expected {i}")
        cal.t1_us.append(float(row["T1 (us)"]))
        cal.t2_us.append(float(row["T2 (us)"]))
        cal.readout_error.append(float(row["Readout assignment error"]))
        cal.sx_error.append(float(row["sx error"]))
        cal.x_error.append(float(row["x error"]))
        cal.single_length_ns.append(float(row["Single-qubit gate length (ns)"]))
        cal.pair_error.update(_pairs(row[err_col], f"row {i + 1} column '{err_col}'"))
        cal.pair_length_ns.update(_pairs(row[len_col], f"row {i + 1} column '{len_col}'"))
    return cal


def write_calibration(cal: Calibration) -> str:
    """The calibration as CSV text (the inverse of ``read_calibration``)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*QUBIT_COLUMNS, f"{cal.two_qubit_gate} error", "Gate length (ns)"])
    for q in range(len(cal.t1_us)):
        own = sorted(pair for pair in cal.pair_error if pair[0] == q)
        writer.writerow([q, f"{cal.t1_us[q]:.2f}", f"{cal.t2_us[q]:.2f}", f"{cal.readout_error[q]:.5f}",
                         f"{cal.sx_error[q]:.3e}", f"{cal.x_error[q]:.3e}", f"{cal.single_length_ns[q]:.1f}",
                         ";".join(f"{a}_{b}:{cal.pair_error[(a, b)]:.3e}" for a, b in own),
                         ";".join(f"{a}_{b}:{cal.pair_length_ns[(a, b)]:.0f}" for a, b in own)])
    return buf.getvalue()


OUTLIER_FACTOR = 3.0
"""An error rate at least this many times the device median, or a T1/T2 at most its median over this, is an outlier."""


def outliers(cal: Calibration) -> tuple[dict[int, list[str]], dict[tuple[int, int], str]]:
    """Qubits and couplers whose calibration is far off the device median, with the figure(s) at fault.

    Qubit reasons: "t1", "t2", "readout_error", "gate_error" (sx/x error). Couplers are keyed (low, high)
    with reason "gate_error" when the two-qubit gate error in either direction is an outlier.
    """
    qubits: dict[int, list[str]] = {}
    low_is_bad = {"t1": cal.t1_us, "t2": cal.t2_us}
    high_is_bad = {"readout_error": cal.readout_error, "gate_error": cal.sx_error}
    for reason, values in low_is_bad.items():
        median = statistics.median(values)
        for q, value in enumerate(values):
            if value <= median / OUTLIER_FACTOR:
                qubits.setdefault(q, []).append(reason)
    for reason, values in high_is_bad.items():
        median = statistics.median(values)
        for q, value in enumerate(values):
            if value >= median * OUTLIER_FACTOR:
                qubits.setdefault(q, []).append(reason)
    median = statistics.median(cal.pair_error.values())
    couplers = {(min(pair), max(pair)): "gate_error" for pair, error in cal.pair_error.items()
                if error >= median * OUTLIER_FACTOR}
    return qubits, couplers


@dataclass
class Estimate:
    """The ESP of a compiled circuit and its factors; ``duration_ns`` is the ASAP-scheduled length."""

    esp: float
    gate_factor: float
    readout_factor: float
    decoherence_factor: float
    duration_ns: float
    active_qubits: list[int]


def estimate(ops: list[tuple[str, list[int]]], cal: Calibration, initial: list[int], final: list[int]) -> Estimate:
    """ESP of a physical circuit given as (gate name, physical qubits) in program order.

    gate factor: product of (1 - error) over every sx, x and two-qubit gate (rz is virtual: no error, no time);
    readout factor: product of (1 - readout error) over the final physical qubit of each logical qubit;
    decoherence factor: product over active qubits (touched by a gate or holding a logical qubit) of
    exp(-D/T1 - D/T2), D the circuit's ASAP-scheduled duration.

    Raises:
        KeyError: a gate on a qubit or pair the calibration does not have (not native to the device).
    """
    ready = [0.0] * len(cal.t1_us)
    gate_factor, active = 1.0, set(initial) | set(final)
    for name, qubits in ops:
        if name == "barrier":
            start = max(ready[q] for q in qubits)
            for q in qubits:
                ready[q] = start
            continue
        active.update(qubits)
        if name == "rz":
            continue
        if len(qubits) == 1:
            q = qubits[0]
            error = cal.sx_error[q] if name == "sx" else cal.x_error[q] if name == "x" else None
            if error is None:
                raise KeyError(f"{name} is not a native single-qubit gate")
            length = cal.single_length_ns[q]
        else:
            pair = tuple(qubits)
            if name != cal.two_qubit_gate or pair not in cal.pair_error:
                raise KeyError(f"{name} on {list(pair)} is not a calibrated two-qubit gate")
            error, length = cal.pair_error[pair], cal.pair_length_ns[pair]
        gate_factor *= 1.0 - error
        start = max(ready[q] for q in qubits)
        for q in qubits:
            ready[q] = start + length
    duration = max(ready)
    readout = math.prod(1.0 - cal.readout_error[q] for q in final)
    decoherence = math.prod(math.exp(-duration / 1000.0 * (1.0 / cal.t1_us[q] + 1.0 / cal.t2_us[q]))
                            for q in sorted(active))
    return Estimate(gate_factor * readout * decoherence, gate_factor, readout, decoherence, duration, sorted(active))


# -- compiling with qiskit ---------------------------------------------------------------------


def physical_ops(circuit: Any) -> list[tuple[str, list[int]]]:
    """(gate name, physical qubit indices) of every instruction of a circuit, in program order."""
    return [(inst.operation.name, [circuit.find_bit(q).index for q in inst.qubits]) for inst in circuit.data]


def layouts_of(compiled: Any, num_logical: int) -> tuple[list[int], list[int]]:
    """(initial, final) physical qubit of each logical qubit of a circuit compiled by ``qiskit.transpile``."""
    layout = compiled.layout
    initial = [0] * num_logical
    for virtual, index in layout.input_qubit_mapping.items():
        if index < num_logical:
            initial[index] = layout.initial_layout[virtual]
    if layout.final_layout is None:
        return initial, list(initial)
    return initial, [layout.final_layout[compiled.qubits[p]] for p in initial]


def build_target(device: dict[str, Any], cal: Calibration, *, excluded_qubits: Iterable[int] = (),
                 excluded_couplers: Iterable[tuple[int, int]] = ()) -> Any:
    """A qiskit Target with the calibrated errors and lengths; two-qubit gates touching an excluded qubit or
    on an excluded coupler (either direction) are left out, so no layout or route can use them."""
    from qiskit.circuit import Parameter
    from qiskit.circuit.library import CXGate, CZGate, ECRGate, Measure, RZGate, SXGate, XGate
    from qiskit.transpiler import InstructionProperties, Target

    skip_q, skip_c = set(excluded_qubits), {tuple(sorted(c)) for c in excluded_couplers}
    size = device["num_qubits"]
    target = Target(num_qubits=size)
    for gate, errors in ((SXGate(), cal.sx_error), (XGate(), cal.x_error)):
        target.add_instruction(gate, {(q,): InstructionProperties(cal.single_length_ns[q] * 1e-9, errors[q])
                                      for q in range(size)})
    target.add_instruction(RZGate(Parameter("theta")), {(q,): InstructionProperties(0.0, 0.0) for q in range(size)})
    two = {"cx": CXGate(), "ecr": ECRGate(), "cz": CZGate()}[cal.two_qubit_gate]
    target.add_instruction(two, {pair: InstructionProperties(cal.pair_length_ns[pair] * 1e-9, error)
                                 for pair, error in cal.pair_error.items()
                                 if not set(pair) & skip_q and tuple(sorted(pair)) not in skip_c})
    target.add_instruction(Measure(), {(q,): InstructionProperties(None, cal.readout_error[q]) for q in range(size)})
    return target


def compile_best(logical: Any, device: dict[str, Any], cal: Calibration, trials: int) -> tuple[Any, Estimate]:
    """The best-ESP compile of ``logical``: every calibration outlier is taken out of the device, then
    ``trials`` seeded optimisation-level-3 transpiles are scored with ``estimate`` and the best is kept."""
    from qiskit import transpile

    bad_qubits, bad_couplers = outliers(cal)
    target = build_target(device, cal, excluded_qubits=bad_qubits, excluded_couplers=bad_couplers)
    best: tuple[Any, Estimate] | None = None
    for seed in range(trials):
        compiled = transpile(logical, target=target, optimization_level=3, seed_transpiler=seed)
        initial, final = layouts_of(compiled, logical.num_qubits)
        scored = estimate(physical_ops(compiled), cal, initial, final)
        if best is None or scored.esp > best[1].esp:
            best = (compiled, scored)
    assert best is not None
    return best


def custom_instructions() -> list[Any]:
    """qelib1 names plus the IBM natives that OpenQASM 2 files must declare (bound to qiskit's own gates)."""
    from qiskit import qasm2
    from qiskit.circuit.library import ECRGate, RZXGate

    return [*qasm2.LEGACY_CUSTOM_INSTRUCTIONS, qasm2.CustomInstruction("ecr", 0, 2, ECRGate),
            qasm2.CustomInstruction("rzx", 1, 2, RZXGate)]


def best_compile_figures(input_dir: Path, trials: int) -> dict[str, float]:
    """ESP, two-qubit gate count and duration of ``compile_best`` on a task's input directory."""
    from qiskit import qasm2

    device = json.loads((input_dir / "device.json").read_text())
    cal = read_calibration((input_dir / "calibration.csv").read_text(), device["two_qubit_gate"])
    logical = qasm2.loads((input_dir / "circuit.qasm").read_text(), custom_instructions=custom_instructions())
    compiled, best = compile_best(logical, device, cal, trials)
    two_qubit = sum(1 for name, qubits in physical_ops(compiled) if name != "barrier" and len(qubits) == 2)
    return {"esp": best.esp, "two_qubit_gates": two_qubit, "duration_ns": best.duration_ns}


if __name__ == "__main__":
    # `python3 noise_aware.py INPUT_DIR TRIALS`: the generator's budget, computed with the sandbox's qiskit.
    print(json.dumps(best_compile_figures(Path(sys.argv[1]), int(sys.argv[2]))))
