"""Transpile a quantum circuit for a device: coupling map, native basis, layout, metrics.

Workflow: the agent receives a logical circuit (OpenQASM 2.0) and a device description (qubit
count, coupling map, directed or not, native basis gates). It must map and route the circuit onto
the device and rewrite it in the native basis with qiskit, then deliver the physical circuit
(OpenQASM 2.0), the initial and final layouts, and a metrics report.

Grade (qiskit on the host parses the submitted QASM; nothing submitted is executed): gates on the
files, on a parseable circuit over the device's qubits, on native gates only and on every two-qubit
gate sitting on a coupling edge (in its direction when the device is directed), since the device
rejects anything else; then layouts that are injective maps onto the device, functional equivalence (statevectors of the submitted
circuit on random logical inputs placed by the initial layout, against the logical circuit read
out through the final layout, up to global phase), the reported depth and gate counts against the
recomputed ones, and the quality of the mapping (two-qubit count and depth within a margin of a
reference optimisation-level-3 transpile made by the generator).

ALE-CANARY-12349519-edb7-4972-9e86-3cb6406a5ab2
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

CIRCUIT = "circuit.qasm"
DEVICE = "device.json"
OUT_QASM = "transpiled.qasm"
LAYOUT = "layout.json"
METRICS = "metrics.json"
MAX_QASM_BYTES = 2_000_000


# -- devices -----------------------------------------------------------------------------------


def _device(kind: str) -> dict[str, Any]:
    if kind == "falcon7":
        edges = [(0, 1), (1, 2), (1, 3), (3, 5), (4, 5), (5, 6)]
        return {"name": "hx-falcon-7", "num_qubits": 7, "directed": False, "basis_gates": ["rz", "sx", "x", "cx"],
                "coupling_map": sorted([list(e) for e in edges] + [[b, a] for a, b in edges])}
    if kind == "ring8_ecr":
        edges = [(i, (i + 1) % 8) if i % 2 == 0 else ((i + 1) % 8, i) for i in range(8)]
        return {"name": "eagle-ring-8", "num_qubits": 8, "directed": True, "basis_gates": ["rz", "sx", "x", "ecr"],
                "coupling_map": sorted(list(e) for e in edges)}
    edges = [(r * 3 + c, r * 3 + c + 1) for r in range(3) for c in range(2)]
    edges += [(r * 3 + c, (r + 1) * 3 + c) for r in range(2) for c in range(3)]
    return {"name": "grid-3x3", "num_qubits": 9, "directed": False, "basis_gates": ["rx", "ry", "rz", "cz"],
            "coupling_map": sorted([list(e) for e in edges] + [[b, a] for a, b in edges])}


# -- logical circuits --------------------------------------------------------------------------


def _logical(family: str, rng: np.random.Generator) -> Any:
    from qiskit import QuantumCircuit

    if family == "qft":
        n = 5
        qc = QuantumCircuit(n, name="qft_on_prepared_state")
        for q in range(n):  # a non-trivial input state so that the QFT's action is visible
            qc.ry(float(rng.uniform(0.2, 3.0)), q)
        for j in reversed(range(n)):
            qc.h(j)
            for k in reversed(range(j)):
                qc.cp(math.pi / 2 ** (j - k), k, j)
        for q in range(n // 2):
            qc.swap(q, n - 1 - q)
        return qc
    if family == "adder":
        # Cuccaro ripple-carry adder: a (2 bits) += b (2 bits), with carry-in and carry-out.
        qc = QuantumCircuit(6, name="ripple_carry_adder")
        cin, a, b, cout = 0, [1, 3], [2, 4], 5
        for q in range(6):
            qc.rx(float(rng.uniform(0.1, 3.0)), q)

        def maj(x: int, y: int, z: int) -> None:
            qc.cx(z, y)
            qc.cx(z, x)
            qc.ccx(x, y, z)

        def uma(x: int, y: int, z: int) -> None:
            qc.ccx(x, y, z)
            qc.cx(z, x)
            qc.cx(x, y)

        maj(cin, b[0], a[0])
        maj(a[0], b[1], a[1])
        qc.cx(a[1], cout)
        uma(a[0], b[1], a[1])
        uma(cin, b[0], a[0])
        return qc
    # QAOA p=2 for MaxCut on a random 6-node graph
    n = 6
    qc = QuantumCircuit(n, name="qaoa_maxcut")
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = [pairs[i] for i in sorted(rng.choice(len(pairs), 8, replace=False))]
    qc.h(range(n))
    for _ in range(2):
        gamma, beta = float(rng.uniform(0.2, 1.2)), float(rng.uniform(0.2, 1.2))
        for i, j in chosen:
            qc.rzz(2 * gamma, i, j)
        for q in range(n):
            qc.rx(2 * beta, q)
    return qc


# -- parsing -----------------------------------------------------------------------------------


def custom_instructions() -> list[Any]:
    """qelib1 names plus the IBM natives that OpenQASM 2 files must declare (bound to qiskit's own gates)."""
    from qiskit import qasm2
    from qiskit.circuit.library import ECRGate, RZXGate

    return [*qasm2.LEGACY_CUSTOM_INSTRUCTIONS, qasm2.CustomInstruction("ecr", 0, 2, ECRGate),
            qasm2.CustomInstruction("rzx", 1, 2, RZXGate)]


def load_qasm(text: str) -> Any:
    from qiskit import qasm2

    return qasm2.loads(text, include_path=(), custom_instructions=custom_instructions())


def two_qubit_count(qc: Any) -> int:
    return sum(1 for inst in qc.data if inst.operation.num_qubits == 2 and inst.operation.name != "barrier")


# -- generate ----------------------------------------------------------------------------------


def generate(params: dict[str, Any], input_dir: Path, reference_dir: Path) -> None:
    from qiskit import qasm2, transpile
    from qiskit.transpiler import CouplingMap

    rng = np.random.default_rng(params["seed"])
    device = _device(params["device"])
    logical = _logical(params["family"], rng)
    text = qasm2.dumps(logical)
    (input_dir / CIRCUIT).write_text(text)
    (input_dir / DEVICE).write_text(json.dumps(device, indent=2) + "\n")
    best = None
    for seed in range(4):
        tc = transpile(load_qasm(text), coupling_map=CouplingMap(device["coupling_map"]),
                       basis_gates=device["basis_gates"], optimization_level=3, seed_transpiler=seed)
        score = (two_qubit_count(tc), tc.depth())
        best = score if best is None or score < best else best
    reference = {"two_qubit_gates": best[0], "depth": best[1], "logical_qubits": logical.num_qubits}
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=2) + "\n")


# -- grade -------------------------------------------------------------------------------------


def _layout_list(value: Any, n: int, size: int) -> list[int] | None:
    """A layout as a list of physical qubits per logical qubit; accepts a list or a {"i": p} map."""
    if isinstance(value, dict):
        try:
            value = [value[k] for k in sorted(value, key=lambda k: int(str(k).strip("q[]")))]
        except (ValueError, TypeError):
            return None
    if not isinstance(value, list) or len(value) != n:
        return None
    if not all(isinstance(p, int) and not isinstance(p, bool) and 0 <= p < size for p in value):
        return None
    return value if len(set(value)) == n else None


def _placed(state: Any, layout: list[int], size: int) -> Any:
    """A logical statevector embedded in the device register, logical i on physical layout[i], others |0>."""
    from qiskit.quantum_info import Statevector

    n = len(layout)
    full = np.zeros(2**size, dtype=complex)
    data = np.asarray(state.data)
    for index in range(2**n):
        phys = 0
        for i in range(n):
            if index >> i & 1:
                phys |= 1 << layout[i]
        full[phys] = data[index]
    return Statevector(full)


def _equivalent(logical: Any, physical: Any, initial: list[int], final: list[int], seed: int) -> float:
    """Worst fidelity over random logical inputs of the physical circuit against the logical one."""
    from qiskit.quantum_info import Statevector, random_statevector

    size = physical.num_qubits
    worst = 1.0
    for k in range(3):
        psi = random_statevector(2**logical.num_qubits, seed=seed + k)
        got = _placed(psi, initial, size).evolve(physical)
        want = _placed(Statevector(psi).evolve(logical), final, size)
        worst = min(worst, float(abs(np.vdot(want.data, got.data)) ** 2))
    return worst


def grade(g: Any) -> None:
    p = g.params
    if not g.require_files(OUT_QASM, LAYOUT, METRICS):
        return
    device = json.loads((g.input_dir / DEVICE).read_text())
    ref = json.loads(g.reference("reference.json").read_text())
    size = device["num_qubits"]
    text = g.read_text(OUT_QASM)
    if text is None:
        return
    try:
        if len(text) > MAX_QASM_BYTES:
            raise ValueError(f"file larger than {MAX_QASM_BYTES} bytes")
        physical = load_qasm(text)
    except Exception as exc:  # the parser raises several error types on malformed programs
        g.check("transpiled.qasm parses as OpenQASM 2.0", False, gate=True, reason=f"{type(exc).__name__}: {exc}"[:400])
        return
    g.check("transpiled.qasm parses as OpenQASM 2.0", True, gate=True)
    if not g.check("circuit is over the device's qubits", physical.num_qubits == size, gate=True,
                   expected=size, found=physical.num_qubits):
        return
    layout, metrics = g.read_json(LAYOUT), g.read_json(METRICS)
    if layout is None or metrics is None:
        return
    logical = load_qasm((g.input_dir / CIRCUIT).read_text())

    ops = [(inst.operation.name, [physical.find_bit(q).index for q in inst.qubits]) for inst in physical.data]
    allowed = set(device["basis_gates"]) | {"barrier"}
    foreign = sorted({name for name, _ in ops if name not in allowed})
    g.check("native basis gates only (no measurements or resets)", not foreign, gate=True, expected=sorted(allowed),
            found=foreign, reason=f"not native: {foreign}" if foreign else "")
    edges = {tuple(e) for e in device["coupling_map"]}
    off = [(name, qs) for name, qs in ops if name != "barrier" and len(qs) >= 2 and
           (len(qs) > 2 or tuple(qs) not in edges)]
    g.check("every two-qubit gate on a coupling edge" + (" in its direction" if device["directed"] else ""),
            not off, gate=True, found=off[:10], reason=f"{len(off)} gate(s) off the coupling map" if off else "")

    n = logical.num_qubits
    initial = _layout_list(layout.get("initial_layout") if isinstance(layout, dict) else None, n, size)
    final = _layout_list(layout.get("final_layout") if isinstance(layout, dict) else None, n, size)
    g.check("layout.json: injective initial and final layouts onto the device", initial is not None and
            final is not None, found=layout if isinstance(layout, dict) else None)
    fidelity = _equivalent(logical, physical, initial, final, int(p["seed"]) % 100000) \
        if initial is not None and final is not None and not foreign else 0.0
    g.check("functionally equivalent to the logical circuit (through the stated layouts)", fidelity > 1 - 1e-6,
            weight=3.0, expected="fidelity 1 on random inputs, up to global phase", found=round(fidelity, 8))

    twoq, depth = two_qubit_count(physical), physical.depth()
    counts = {k: int(v) for k, v in physical.count_ops().items() if k != "barrier"}
    rep = metrics if isinstance(metrics, dict) else {}
    found = {"depth": rep.get("depth"), "two_qubit_gates": rep.get("two_qubit_gates"),
             "gate_counts": rep.get("gate_counts")}
    ok = rep.get("depth") == depth and rep.get("two_qubit_gates") == twoq and rep.get("gate_counts") == counts
    g.check("metrics.json matches the recomputed metrics", ok,
            expected={"depth": depth, "two_qubit_gates": twoq, "gate_counts": counts}, found=found)
    limit_2q = math.floor(ref["two_qubit_gates"] * 1.4 + 3)
    limit_depth = math.floor(ref["depth"] * 1.5 + 6)
    good = twoq <= limit_2q and depth <= limit_depth and fidelity > 1 - 1e-6
    g.check("mapping quality within margin of an optimised reference transpile", good,
            expected={"two_qubit_gates_max": limit_2q, "depth_max": limit_depth},
            found={"two_qubit_gates": twoq, "depth": depth})
