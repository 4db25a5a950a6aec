"""Noise-aware compile of a quantum circuit onto a calibrated device, within the scheduler's budget.

Workflow: the agent receives a logical circuit (OpenQASM 2.0), a device (qubits, coupling map, directed or
not, native gates), the device's calibration (IBM-style CSV: T1, T2, readout error, gate errors and gate
lengths per qubit and per coupler) and the scheduler's acceptance budget (a minimum estimated success
probability, at most so many two-qubit gates, at most so long). It must map, route and rewrite the circuit
for the device, keeping off the qubits and couplers whose calibration has degraded, and deliver the physical
circuit, its layouts, its figures (with the ESP and its factors) and a report naming what was avoided and why.

The instances are built so that the default compile does not do: several qubits have collapsed T1/T2 (which
a qiskit Target's error map does not see); they fence off the only clean region large enough for the circuit,
whose published gate errors are a little worse than the rest of the device; a coupler elsewhere has failed and
one qubit reads out badly.
The budget is the generator's own best compile (the oracle's method) with a margin.

Grade (qiskit on the host parses the submitted QASM; nothing submitted is executed): gates on the files, a
parseable circuit over the device's qubits, native gates only, every two-qubit gate on a coupler in its
direction; then injective layouts, functional equivalence (statevectors on random logical inputs over the
qubits the circuit touches, through the stated layouts), the figures recomputed (depth, gate counts, ASAP
duration and ESP from the calibration), the budget met on the recomputed figures, and the report's
judgement (every planted defect named with the right reason, nothing named that is not an outlier or that
the circuit uses, the limiting ESP factor right, the acceptance verdict right).

ALE-CANARY-12349519-edb7-4972-9e86-3cb6406a5ab2
"""

from __future__ import annotations

import json
import math
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, is_close, run_tool_script

from .solution import noise_aware as NA  # the ESP model and search the oracle uses

CIRCUIT = "circuit.qasm"
DEVICE = "device.json"
CALIBRATION = "calibration.csv"
BUDGET = "budget.json"
OUT_QASM = "transpiled.qasm"
LAYOUT = "layout.json"
METRICS = "metrics.json"
REPORT = "report.json"
MAX_QASM_BYTES = 2_000_000
MAX_SIMULATED_QUBITS = 20
GENERATOR_TRIALS = 16
ROOM = 2  # the clean region holds this many qubits more than the circuit
ESP_MARGIN, TWO_QUBIT_MARGIN, DURATION_MARGIN = 0.90, 1.10, 1.15
FACTORS = ("gates", "readout", "decoherence")




# -- devices -----------------------------------------------------------------------------------


def _device(kind: str) -> dict[str, Any]:
    """A device: heavy-hex 27 (CX, undirected), ladder 2x10 (ECR, directed), brick-wall 4x6 (CZ, undirected)."""
    if kind == "heavyhex27":
        edges = [(0, 1), (1, 2), (1, 4), (2, 3), (3, 5), (4, 7), (5, 8), (6, 7), (7, 10), (8, 9), (8, 11), (10, 12),
                 (11, 14), (12, 13), (12, 15), (13, 14), (14, 16), (15, 18), (16, 19), (17, 18), (18, 21), (19, 20),
                 (19, 22), (21, 23), (22, 25), (23, 24), (24, 25), (25, 26)]
        name, size, gate, directed = "falcon-hh-27", 27, "cx", False
    elif kind == "ladder20_ecr":
        width = 10
        edges = [(r * width + c, r * width + c + 1) if (c + r) % 2 == 0 else (r * width + c + 1, r * width + c)
                 for r in range(2) for c in range(width - 1)]
        edges += [(c, width + c) if c % 2 == 0 else (width + c, c) for c in range(width)]
        name, size, gate, directed = "eagle-ladder-20", 20, "ecr", True
    elif kind == "brick24_cz":
        rows, cols = 4, 6
        edges = [(r * cols + c, r * cols + c + 1) for r in range(rows) for c in range(cols - 1)]
        edges += [(r * cols + c, (r + 1) * cols + c) for r in range(rows - 1) for c in range(cols) if (c + r) % 2 == 0]
        name, size, gate, directed = "heron-brick-24", 24, "cz", False
    else:
        raise ValueError(f"task.toml variant param 'device' = {kind!r}: use heavyhex27, ladder20_ecr or brick24_cz")
    pairs = edges if directed else edges + [(b, a) for a, b in edges]
    return {"name": name, "num_qubits": size, "directed": directed, "two_qubit_gate": gate,
            "basis_gates": ["rz", "sx", "x", gate], "coupling_map": sorted([a, b] for a, b in pairs)}


def _neighbours(device: dict[str, Any]) -> dict[int, set[int]]:
    adjacency: dict[int, set[int]] = {q: set() for q in range(device["num_qubits"])}
    for a, b in device["coupling_map"]:
        adjacency[a].add(b)
        adjacency[b].add(a)
    return adjacency


def _components(adjacency: dict[int, set[int]], nodes: set[int]) -> list[set[int]]:
    seen: set[int] = set()
    out = []
    for start in sorted(nodes - seen):
        if start in seen:
            continue
        component, queue = {start}, deque([start])
        seen.add(start)
        while queue:
            for v in adjacency[queue.popleft()]:
                if v in nodes and v not in seen:
                    seen.add(v)
                    component.add(v)
                    queue.append(v)
        out.append(component)
    return out


def _plan_defects(device: dict[str, Any], n: int, rng: np.random.Generator
                  ) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """(clean region, T1-collapsed qubits, failed couplers): the region is a random connected set of n + ROOM
    qubits; its outside neighbours are collapsed, and further collapses break every other part of the device
    into pieces too small for the circuit."""
    adjacency = _neighbours(device)
    size = device["num_qubits"]
    region = {int(rng.integers(size))}
    while len(region) < n + ROOM:
        region.add(int(rng.choice(sorted({v for u in region for v in adjacency[u]} - region))))
    collapsed = {v for u in region for v in adjacency[u]} - region
    while True:
        healthy = {q: adjacency[q] - collapsed for q in range(size) if q not in collapsed}
        large = [c for c in _components(healthy, set(healthy) - region) if len(c) >= n]
        if not large:
            break
        collapsed.add(max(sorted(large[0]), key=lambda q: (len(healthy[q] & large[0]), rng.random())))
    # one failed coupler away from the clean region (a failed coupler is in the error map the default compile
    # reads, so a fence of them would steer it into the clean region)
    away = sorted((min(a, b), max(a, b)) for a, b in device["coupling_map"]
                  if not {a, b} & region and not {a, b} <= collapsed)
    failed = [away[int(rng.integers(len(away)))]] if away else []
    return sorted(region), sorted(collapsed), sorted(set(failed))


def _calibration(device: dict[str, Any], rng: np.random.Generator, region: list[int], collapsed: list[int],
                 failed: list[tuple[int, int]], bad_readout: int | None) -> Any:
    gate = device["two_qubit_gate"]
    cal = NA.Calibration(gate)
    error_range = {"cx": (0.004, 0.011), "ecr": (0.004, 0.011), "cz": (0.002, 0.006)}[gate]
    length_range = {"cx": (240, 480), "ecr": (300, 560), "cz": (60, 90)}[gate]
    for q in range(device["num_qubits"]):
        t1 = float(rng.uniform(150, 350))
        if q in collapsed:
            t1 = float(rng.uniform(5, 12))
        cal.t1_us.append(t1)
        cal.t2_us.append(t1 * float(rng.uniform(0.6, 1.3)))
        cal.readout_error.append(float(rng.uniform(0.25, 0.4)) if q == bad_readout else float(rng.uniform(0.006, 0.03)))
        error = float(rng.uniform(1.5e-4, 4e-4))
        cal.sx_error.append(error)
        cal.x_error.append(error)
        cal.single_length_ns.append(32.0 if gate == "cz" else 36.0)
    inside = set(region)
    for a, b in device["coupling_map"]:
        if (b, a) in cal.pair_error:  # an undirected coupler: one figure for both directions
            cal.pair_error[(a, b)], cal.pair_length_ns[(a, b)] = cal.pair_error[(b, a)], cal.pair_length_ns[(b, a)]
            continue
        error = float(rng.uniform(*error_range)) * (1.4 if a in inside and b in inside else 1.0)
        if (min(a, b), max(a, b)) in failed:
            error = float(rng.uniform(0.08, 0.2))
        cal.pair_error[(a, b)] = error
        cal.pair_length_ns[(a, b)] = float(round(rng.uniform(*length_range)))
    return cal


# -- logical circuits --------------------------------------------------------------------------


def _logical(family: str, rng: np.random.Generator) -> Any:
    from qiskit import QuantumCircuit

    if family == "qft":
        n = 6
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
    if family != "qaoa":
        raise ValueError(f"task.toml variant param 'family' = {family!r}: use qft, adder or qaoa")
    # QAOA p=2 for MaxCut on a random 6-node, 9-edge graph
    n = 6
    qc = QuantumCircuit(n, name="qaoa_maxcut")
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = [pairs[i] for i in sorted(rng.choice(len(pairs), 9, replace=False))]
    qc.h(range(n))
    for _ in range(2):
        gamma, beta = float(rng.uniform(0.2, 1.2)), float(rng.uniform(0.2, 1.2))
        for i, j in chosen:
            qc.rzz(2 * gamma, i, j)
        for q in range(n):
            qc.rx(2 * beta, q)
    return qc


def load_qasm(text: str) -> Any:
    from qiskit import qasm2

    return qasm2.loads(text, include_path=(), custom_instructions=NA.custom_instructions())


# -- generate ----------------------------------------------------------------------------------


def _sandbox_best_compile(input_dir: Path) -> dict[str, float]:
    """The oracle's search (``noise_aware.compile_best``) run on the inputs with the qiskit the agent's sandbox
    has (the task's tool environment), since routers differ between qiskit releases."""
    script = Path(__file__).parent / "solution" / "noise_aware.py"
    return json.loads(run_tool_script(__file__, script, str(input_dir), str(GENERATOR_TRIALS)))


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    """Write the circuit, device, calibration and budget; the reference holds the planted defects and the
    generator's own best compile (the budget is that compile's figures with a margin)."""
    from qiskit import qasm2

    rng = np.random.default_rng(params["seed"])
    device = _device(params["device"])
    logical = _logical(params["family"], rng)
    region, collapsed, failed = _plan_defects(device, logical.num_qubits, rng)
    spare = sorted(set(range(device["num_qubits"])) - set(region) - set(collapsed))
    bad_readout = int(rng.choice(spare)) if spare else None
    cal = _calibration(device, rng, region, collapsed, failed, bad_readout)
    planted_qubits = set(collapsed) | ({bad_readout} if bad_readout is not None else set())
    found_qubits, found_couplers = NA.outliers(cal)
    if set(found_qubits) != planted_qubits or set(found_couplers) != set(failed):
        raise AssertionError(f"seed {params['seed']}: the calibration's outliers are not the planted defects")
    text = qasm2.dumps(logical)
    (input_dir / CIRCUIT).write_text(text)
    (input_dir / DEVICE).write_text(json.dumps(device, indent=2) + "\n")
    calibration_text = NA.write_calibration(cal)
    (input_dir / CALIBRATION).write_text(calibration_text)
    best = _sandbox_best_compile(input_dir)
    budget = {"min_esp": math.floor(best["esp"] * ESP_MARGIN * 1e4) / 1e4,
              "max_two_qubit_gates": math.ceil(best["two_qubit_gates"] * TWO_QUBIT_MARGIN) + 2,
              "max_duration_ns": math.ceil(best["duration_ns"] * DURATION_MARGIN)}
    (input_dir / BUDGET).write_text(json.dumps(budget, indent=2) + "\n")
    reference = {"clean_region": region, "collapsed_qubits": collapsed, "failed_couplers": [list(c) for c in failed],
                 "bad_readout_qubit": bad_readout, "generator_compile": best}
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
    """A logical statevector embedded in a register of ``size`` qubits, logical i on qubit layout[i], others |0>."""
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


def _equivalence(logical: Any, physical: Any, initial: list[int], final: list[int], active: list[int],
                 seed: int) -> float:
    """Worst fidelity over random logical inputs of the physical circuit (restricted to the qubits it touches
    or holds logical qubits on; every other qubit stays |0>) against the logical circuit."""
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Statevector, random_statevector

    index = {q: i for i, q in enumerate(active)}
    reduced = QuantumCircuit(len(active))
    for inst in physical.data:
        if inst.operation.name != "barrier":  # a barrier may span untouched qubits and does not act on the state
            reduced.append(inst.operation, [index[physical.find_bit(q).index] for q in inst.qubits])
    start, end = [index[q] for q in initial], [index[q] for q in final]
    worst = 1.0
    for k in range(3):
        psi = random_statevector(2**logical.num_qubits, seed=seed + k)
        got = _placed(psi, start, len(active)).evolve(reduced)
        want = _placed(Statevector(psi).evolve(logical), end, len(active))
        worst = min(worst, float(abs(np.vdot(want.data, got.data)) ** 2))
    return worst


def _pair_key(value: Any) -> tuple[int, int] | None:
    if isinstance(value, dict):
        value = value.get("qubits")
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) and not isinstance(v, bool)
                                                             for v in value):
        return min(value), max(value)
    return None


def grade(g: Grading) -> None:
    if not g.require_files(OUT_QASM, LAYOUT, METRICS, REPORT):
        return
    device = json.loads((g.input_dir / DEVICE).read_text())
    budget = json.loads((g.input_dir / BUDGET).read_text())
    cal = NA.read_calibration((g.input_dir / CALIBRATION).read_text(), device["two_qubit_gate"])
    ref = g.reference_json("reference.json")
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
    layout, metrics, report = g.read_json(LAYOUT), g.read_json(METRICS), g.read_json(REPORT)
    if layout is None or metrics is None or report is None:
        return
    logical = load_qasm((g.input_dir / CIRCUIT).read_text())

    ops = NA.physical_ops(physical)
    allowed = set(device["basis_gates"]) | {"barrier"}
    foreign = sorted({name for name, _ in ops if name not in allowed})
    if not g.check("native basis gates only (no measurements or resets)", not foreign, gate=True,
                   expected=sorted(allowed), found=foreign, reason=f"not native: {foreign}" if foreign else ""):
        return
    edges = {tuple(e) for e in device["coupling_map"]}
    off = [(name, qs) for name, qs in ops if name != "barrier" and len(qs) >= 2 and
           (len(qs) > 2 or tuple(qs) not in edges)]
    if not g.check("every two-qubit gate on a coupler" + (" in its direction" if device["directed"] else ""),
                   not off, gate=True, found=off[:10], reason=f"{len(off)} gate(s) off the coupling map" if off else ""):
        return

    n = logical.num_qubits
    initial = _layout_list(layout.get("initial_layout") if isinstance(layout, dict) else None, n, size)
    final = _layout_list(layout.get("final_layout") if isinstance(layout, dict) else None, n, size)
    if not g.check("layout.json: injective initial and final layouts onto the device",
                   initial is not None and final is not None, gate=True,
                   found=layout if isinstance(layout, dict) else None):
        return
    est = NA.estimate(ops, cal, initial, final)
    active = est.active_qubits
    if len(active) > MAX_SIMULATED_QUBITS:
        fidelity, why = 0.0, f"the circuit spreads over {len(active)} qubits (at most {MAX_SIMULATED_QUBITS})"
    else:
        fidelity, why = _equivalence(logical, physical, initial, final, active, int(g.params["seed"]) % 100000), ""
    equivalent = fidelity > 1 - 1e-6
    g.check("functionally equivalent to the logical circuit (through the stated layouts)", equivalent, weight=3.0,
            expected="fidelity 1 on random inputs, up to global phase", found=round(fidelity, 8), reason=why)

    two_qubit = sum(1 for name, qs in ops if name != "barrier" and len(qs) == 2)
    depth = physical.depth()
    counts = {k: int(v) for k, v in physical.count_ops().items() if k != "barrier"}
    rep = metrics if isinstance(metrics, dict) else {}
    factors = {"gates": est.gate_factor, "readout": est.readout_factor, "decoherence": est.decoherence_factor}
    shown = rep.get("esp_factors") if isinstance(rep.get("esp_factors"), dict) else {}
    g.check("metrics.json: depth and gate counts match the circuit",
            rep.get("depth") == depth and rep.get("two_qubit_gates") == two_qubit and rep.get("gate_counts") == counts,
            expected={"depth": depth, "two_qubit_gates": two_qubit, "gate_counts": counts},
            found={k: rep.get(k) for k in ("depth", "two_qubit_gates", "gate_counts")})
    g.check("metrics.json: ASAP duration, ESP and its factors match the recomputation from the calibration",
            is_close(rep.get("duration_ns"), est.duration_ns, abs_tol=0.5)
            and is_close(rep.get("esp"), est.esp, rel_tol=1e-4)
            and all(is_close(shown.get(k), v, rel_tol=1e-4) for k, v in factors.items()),
            expected={"duration_ns": est.duration_ns, "esp": est.esp, "esp_factors": factors},
            found={"duration_ns": rep.get("duration_ns"), "esp": rep.get("esp"), "esp_factors": shown})

    meets = {"esp": est.esp >= budget["min_esp"], "two_qubit_gates": two_qubit <= budget["max_two_qubit_gates"],
             "duration_ns": est.duration_ns <= budget["max_duration_ns"]}
    g.check("budget: estimated success probability at least the minimum", equivalent and meets["esp"], weight=2.0,
            expected=f">= {budget['min_esp']}", found=round(est.esp, 5),
            reason="" if equivalent else "not equivalent to the logical circuit")
    g.check("budget: two-qubit gate count within the maximum", equivalent and meets["two_qubit_gates"],
            expected=f"<= {budget['max_two_qubit_gates']}", found=two_qubit)
    g.check("budget: scheduled duration within the maximum", equivalent and meets["duration_ns"],
            expected=f"<= {budget['max_duration_ns']} ns", found=round(est.duration_ns, 1))

    rep = report if isinstance(report, dict) else {}
    named_qubits = rep.get("avoided_qubits") if isinstance(rep.get("avoided_qubits"), dict) else {}
    claimed: dict[int, set[str]] = {}
    for key, reasons in named_qubits.items():
        try:
            q = int(str(key).strip("q[]"))
        except ValueError:
            continue
        claimed[q] = {reasons} if isinstance(reasons, str) else {r for r in reasons if isinstance(r, str)} \
            if isinstance(reasons, list) else set()
    named_couplers = rep.get("avoided_couplers") if isinstance(rep.get("avoided_couplers"), list) else []
    couplers = {key for key in map(_pair_key, named_couplers) if key is not None}
    planted = {q: {"t1", "t2"} for q in ref["collapsed_qubits"]}  # a collapse shows in both T1 and T2
    if ref["bad_readout_qubit"] is not None:
        planted[ref["bad_readout_qubit"]] = {"readout_error"}
    missed = sorted(q for q, reasons in planted.items() if not reasons & claimed.get(q, set()))
    missed_couplers = sorted(tuple(c) for c in ref["failed_couplers"] if tuple(c) not in couplers)
    g.check("report: every degraded qubit and failed coupler named, with the figure at fault",
            not missed and not missed_couplers, weight=2.0,
            expected={"qubits": {str(q): sorted(r) for q, r in sorted(planted.items())},
                      "couplers": ref["failed_couplers"]},
            found={"missed_qubits": missed, "missed_couplers": [list(c) for c in missed_couplers]})
    outlier_qubits, outlier_couplers = NA.outliers(cal)
    unfounded = sorted(q for q, reasons in claimed.items() if not reasons or not reasons <= set(outlier_qubits.get(q, [])))
    used_pairs = {(min(qs), max(qs)) for name, qs in ops if len(qs) == 2}
    contradicted = sorted(q for q in claimed if q in active) + sorted(c for c in couplers if c in used_pairs)
    g.check("report: what it names as avoided is a calibration outlier for the stated reason, and unused",
            not unfounded and not contradicted and couplers <= set(outlier_couplers),
            found={"not_outliers": unfounded, "named_but_used": contradicted,
                   "couplers_not_outliers": sorted(c for c in couplers if c not in outlier_couplers)})
    limiting = min(factors, key=factors.__getitem__)
    g.check("report: the limiting ESP factor of the delivered circuit", rep.get("limiting_factor") == limiting,
            expected=limiting, found=rep.get("limiting_factor"))
    verdict = rep.get("budget") if isinstance(rep.get("budget"), dict) else {}
    truth = {k: v and equivalent for k, v in meets.items()}
    g.check("report: budget verdicts and acceptance follow from the recomputed figures",
            verdict == truth and rep.get("accepted") is all(truth.values()),
            expected={"budget": truth, "accepted": all(truth.values())},
            found={"budget": verdict, "accepted": rep.get("accepted")})
