#!/usr/bin/env python3
"""Oracle: take every calibration outlier out of the device, run seeded optimisation-level-3 transpiles on
what is left, keep the compile with the best estimated success probability; write the circuit, layouts,
recomputed metrics and the report.

ALE-CANARY-12349519-edb7-4972-9e86-3cb6406a5ab2
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from noise_aware import (
    compile_best,
    custom_instructions,
    estimate,
    layouts_of,
    outliers,
    physical_ops,
    read_calibration,
)
from qiskit import qasm2

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
TRIALS = 16  # the generator sets the budget from this same search


def main() -> None:
    device = json.loads((INPUT / "device.json").read_text())
    budget = json.loads((INPUT / "budget.json").read_text())
    cal = read_calibration((INPUT / "calibration.csv").read_text(), device["two_qubit_gate"])
    logical = qasm2.loads((INPUT / "circuit.qasm").read_text(), custom_instructions=custom_instructions())
    compiled, _ = compile_best(logical, device, cal, TRIALS)
    initial, final = layouts_of(compiled, logical.num_qubits)
    text = qasm2.dumps(compiled)
    delivered = qasm2.loads(text, custom_instructions=custom_instructions())
    ops = physical_ops(delivered)
    est = estimate(ops, cal, initial, final)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "transpiled.qasm").write_text(text)
    (OUTPUT / "layout.json").write_text(json.dumps({"initial_layout": initial, "final_layout": final}, indent=2))
    factors = {"gates": est.gate_factor, "readout": est.readout_factor, "decoherence": est.decoherence_factor}
    two_qubit = sum(1 for name, qubits in ops if name != "barrier" and len(qubits) == 2)
    metrics = {
        "num_qubits": delivered.num_qubits,
        "depth": delivered.depth(),
        "two_qubit_gates": two_qubit,
        "gate_counts": {k: int(v) for k, v in delivered.count_ops().items() if k != "barrier"},
        "duration_ns": est.duration_ns,
        "esp": est.esp,
        "esp_factors": factors,
    }
    (OUTPUT / "metrics.json").write_text(json.dumps(metrics, indent=2))
    bad_qubits, bad_couplers = outliers(cal)
    verdicts = {"esp": est.esp >= budget["min_esp"], "two_qubit_gates": two_qubit <= budget["max_two_qubit_gates"],
                "duration_ns": est.duration_ns <= budget["max_duration_ns"]}
    report = {
        "avoided_qubits": {str(q): reasons for q, reasons in sorted(bad_qubits.items())},
        "avoided_couplers": [{"qubits": list(pair), "reason": reason} for pair, reason in sorted(bad_couplers.items())],
        "limiting_factor": min(factors, key=factors.__getitem__),
        "budget": verdicts,
        "accepted": all(verdicts.values()),
    }
    (OUTPUT / "report.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
