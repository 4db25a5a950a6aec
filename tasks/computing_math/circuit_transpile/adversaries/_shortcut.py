#!/usr/bin/env python3
"""Near-miss compilations with qiskit, one corner cut, chosen by the name this script is staged under:

- unoptimised: route and translate only (optimisation level 0), no gate cancellation or layout search;
- layout_before_routing: a good compile, but the final layout reported is the initial one (the
  qubit permutation made by the routing swaps is ignored);
- logical_metrics: a good compile, but the metrics are those of the logical circuit."""

import json
import os
import sys
from pathlib import Path

from qiskit import qasm2, transpile
from qiskit.circuit.library import ECRGate, RZXGate
from qiskit.transpiler import CouplingMap

IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])
MODE = Path(sys.argv[0]).stem
custom = [*qasm2.LEGACY_CUSTOM_INSTRUCTIONS, qasm2.CustomInstruction("ecr", 0, 2, ECRGate),
          qasm2.CustomInstruction("rzx", 1, 2, RZXGate)]
device = json.loads((IN / "device.json").read_text())
logical = qasm2.loads((IN / "circuit.qasm").read_text(), custom_instructions=custom)
compiled = transpile(logical, coupling_map=CouplingMap(device["coupling_map"]), basis_gates=device["basis_gates"],
                     optimization_level=0 if MODE == "unoptimised" else 3, seed_transpiler=1)
(OUT / "transpiled.qasm").write_text(qasm2.dumps(compiled))
initial = list(compiled.layout.initial_index_layout(filter_ancillas=True))
final = initial if MODE == "layout_before_routing" else list(compiled.layout.final_index_layout(filter_ancillas=True))
(OUT / "layout.json").write_text(json.dumps({"initial_layout": initial, "final_layout": final}))
shown = logical if MODE == "logical_metrics" else qasm2.loads(qasm2.dumps(compiled), custom_instructions=custom)
(OUT / "metrics.json").write_text(json.dumps({
    "num_qubits": shown.num_qubits, "depth": shown.depth(),
    "two_qubit_gates": sum(1 for i in shown.data if i.operation.num_qubits == 2),
    "gate_counts": {k: int(v) for k, v in shown.count_ops().items() if k != "barrier"}}))
