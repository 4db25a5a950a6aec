#!/usr/bin/env python3
"""Plausible fabrication: a quick routed compile, but the layout file claims the trivial layout
(not what the compiler chose) and the metrics are the logical circuit's figures, not measured.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from qiskit import qasm2, transpile
from qiskit.transpiler import CouplingMap

INPUT = Path(os.environ["ALE_INPUT_DIR"])
OUTPUT = Path(os.environ["ALE_OUTPUT_DIR"])


def main() -> None:
    device = json.loads((INPUT / "device.json").read_text())
    logical = qasm2.loads((INPUT / "circuit.qasm").read_text(), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    native = transpile(logical, coupling_map=CouplingMap(device["coupling_map"]), basis_gates=device["basis_gates"],
                       optimization_level=1, seed_transpiler=7)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "transpiled.qasm").write_text(qasm2.dumps(native))
    trivial = list(range(logical.num_qubits))
    (OUTPUT / "layout.json").write_text(json.dumps({"initial_layout": trivial, "final_layout": trivial}))
    metrics = {"num_qubits": device["num_qubits"], "depth": logical.depth(),
               "two_qubit_gates": sum(1 for i in logical.data if i.operation.num_qubits == 2),
               "gate_counts": {k: int(v) for k, v in logical.count_ops().items()}}
    (OUTPUT / "metrics.json").write_text(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
