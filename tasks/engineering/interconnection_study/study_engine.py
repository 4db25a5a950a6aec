#!/usr/bin/env python3
"""The planner's reference study, run with the tool environment's python (pandapower).

``build PARAMS_JSON INPUT_DIR REFERENCE_DIR``: make the instance (case file, study basis) and its reference.
``check INPUT_DIR MW``: the N-1 screening of the study at MW and at MW + resolution, printed as JSON.

The study's conventions, which the instruction states: loads scaled, the derated branch applied, the plant
modelled by its type, AC Newton-Raphson with pandapower's defaults and no reactive limits, every in-service
line and two-winding transformer outaged alone, islanded buses de-energised and left out of the voltage
criteria, a violation being a loading above the limit, a voltage outside the band, or no convergence.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import random
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandapower as pp
import pandapower.networks as pn
import pandapower.topology as top

warnings.filterwarnings("ignore")

NETWORK, STUDY = "network.json", "study.json"
WIND_TAN_PHI = math.tan(math.acos(0.95))
SUBSTATIONS = ["Ashcombe", "Brackley", "Carrow", "Dunmore", "Elsworth", "Fenwick", "Garston", "Hartwell", "Ilford",
               "Jarrow", "Kelvedon", "Langley", "Marden", "Norcott", "Oakhurst", "Penrith", "Quarley", "Redhill",
               "Stanton", "Thornby", "Upwood", "Varley", "Whitmore", "Yardley", "Alderton", "Bramhope", "Coldharbour",
               "Dalby", "Eastwick", "Frodsham", "Grendon", "Holbrook", "Ickford", "Kempton", "Lydd", "Milford",
               "Netherby", "Otterton", "Pelham"]
PLANTS = {"solar_pv": ("Solar", "unity power factor (Q = 0)"),
          "wind": ("Wind Farm", "constant power factor 0.95 absorbing (Q = -P*tan(acos 0.95))"),
          "bess": ("Battery Storage", "voltage control at the point of interconnection")}


# -- the study model -------------------------------------------------------------------------------------


def branch_names(net: Any) -> list[tuple[str, str, int]]:
    """(name, element table, index) of every in-service line and two-winding transformer, lines first."""
    rows = [(str(net.line.at[i, "name"]), "line", int(i)) for i in net.line.index if net.line.at[i, "in_service"]]
    return rows + [(str(net.trafo.at[i, "name"]), "trafo", int(i)) for i in net.trafo.index
                   if net.trafo.at[i, "in_service"]]


def set_rating(net: Any, table: str, index: int, mva: float) -> None:
    """A branch's thermal rating in MVA, its impedance unchanged: a transformer's sn_mva (its percent
    impedances and magnetising current, relative to sn_mva, rescaled), a line's max_i_ka at its from-bus voltage."""
    if table == "trafo":
        ratio = mva / float(net.trafo.at[index, "sn_mva"])
        for column in ("vk_percent", "vkr_percent"):
            net.trafo.at[index, column] *= ratio
        net.trafo.at[index, "i0_percent"] /= ratio
        net.trafo.at[index, "sn_mva"] = mva
    else:
        kv = float(net.bus.at[net.line.at[index, "from_bus"], "vn_kv"])
        net.line.at[index, "max_i_ka"] = mva / (math.sqrt(3) * kv)


def rating(net: Any, table: str, index: int) -> float:
    """A branch's thermal rating in MVA (the inverse of ``set_rating``)."""
    if table == "trafo":
        return float(net.trafo.at[index, "sn_mva"])
    kv = float(net.bus.at[net.line.at[index, "from_bus"], "vn_kv"])
    return float(net.line.at[index, "max_i_ka"]) * math.sqrt(3) * kv


def study_net(input_dir: Path) -> tuple[Any, dict[str, Any]]:
    """The case file with the study basis applied and the plant added at 0 MW."""
    net = pp.from_json(str(input_dir / NETWORK))
    study = json.loads((input_dir / STUDY).read_text())
    net.load["p_mw"] *= study["load_scaling"]
    net.load["q_mvar"] *= study["load_scaling"]
    names = {name: (table, index) for name, table, index in branch_names(net)}
    for change in study["rating_changes"]:
        set_rating(net, *names[change["branch"]], change["rating_mva"])
    plant = study["project"]
    if plant["type"] == "bess":
        pp.create_gen(net, plant["bus"], p_mw=0.0, vm_pu=plant["voltage_setpoint_pu"], name="NEW PLANT")
    else:
        pp.create_sgen(net, plant["bus"], p_mw=0.0, q_mvar=0.0, name="NEW PLANT")
    return net, study


def set_injection(net: Any, study: dict[str, Any], mw: float) -> None:
    """The plant's output: P, and Q by its type (wind absorbs at 0.95 pf; the battery's gen holds voltage)."""
    if study["project"]["type"] == "bess":
        net.gen.loc[net.gen.name == "NEW PLANT", "p_mw"] = mw
        return
    net.sgen.loc[net.sgen.name == "NEW PLANT", "p_mw"] = mw
    q = -mw * WIND_TAN_PHI if study["project"]["type"] == "wind" else 0.0
    net.sgen.loc[net.sgen.name == "NEW PLANT", "q_mvar"] = q


@contextlib.contextmanager
def out_of_service(net: Any, branch: tuple[str, int] | None) -> Iterator[None]:
    """``branch`` (element table, index; None for none) out of service inside the block, in place: copying the
    network costs more than solving it."""
    if branch is None:
        yield
        return
    table, index = branch
    getattr(net, table).at[index, "in_service"] = False
    try:
        yield
    finally:
        getattr(net, table).at[index, "in_service"] = True


def solve(net: Any, study: dict[str, Any], outage: str | None) -> dict[str, Any]:
    """One AC power flow with ``outage`` out of service: extremes, islanded buses and the violations."""
    crit = study["criteria"]
    names = {name: (table, index) for name, table, index in branch_names(net)}
    result: dict[str, Any] = {"outage": outage or "BASE", "converged": True, "max_loading_percent": None,
                              "min_vm_pu": None, "max_vm_pu": None, "islanded_buses": 0, "violations": [],
                              "loadings": {}}
    with out_of_service(net, names.get(outage or "")):
        try:
            pp.runpp(net, algorithm="nr", numba=False)
        except pp.LoadflowNotConverged:
            result["converged"] = False
            result["violations"].append(["nonconvergence", "network"])
            return result
    vm = net.res_bus.vm_pu
    energised = vm.notna()
    result["islanded_buses"] = int((~energised).sum())
    result["min_vm_pu"], result["max_vm_pu"] = float(vm[energised].min()), float(vm[energised].max())
    loadings = []
    for name, (table, index) in names.items():
        value = getattr(net, f"res_{table}").at[index, "loading_percent"]
        if name == outage or not np.isfinite(value):
            continue
        loadings.append(float(value))
        result["loadings"][name] = float(value)
        if value > crit["max_loading_percent"]:
            result["violations"].append(["thermal", name])
    result["max_loading_percent"] = max(loadings)
    for bus in vm.index[energised]:
        if vm[bus] < crit["v_min_pu"]:
            result["violations"].append(["undervoltage", f"bus {int(bus)}"])
        elif vm[bus] > crit["v_max_pu"]:
            result["violations"].append(["overvoltage", f"bus {int(bus)}"])
    return result


def screen(net: Any, study: dict[str, Any], mw: float, stop_early: bool = False) -> list[dict[str, Any]]:
    """The base case and every single-branch outage at ``mw``; with ``stop_early``, up to the first violation.

    Each result's ``violations`` are the project's: those absent from the same outage at 0 MW (the study case
    before the project, screened once and kept in ``study["_pre"]``)."""
    if "_pre" not in study:
        set_injection(net, study, 0.0)
        study["_pre"] = {(r["outage"], *v) for r in _screen_all(net, study) for v in r["violations"]}
    set_injection(net, study, mw)
    order = [None, *(name for name, _, _ in branch_names(net))]
    if stop_early:  # the outage that last showed a violation is the likeliest to show one again
        order.sort(key=lambda outage: (outage or "BASE") != study.get("_last_violating"))
    results = []
    for outage in order:
        result = solve(net, study, outage)
        result["violations"] = [v for v in result["violations"] if (result["outage"], *v) not in study["_pre"]]
        results.append(result)
        if result["violations"]:
            study["_last_violating"] = result["outage"]
            if stop_early:
                break
    return results


def _screen_all(net: Any, study: dict[str, Any]) -> list[dict[str, Any]]:
    """Every outage at the injection already set, violations unfiltered."""
    return [solve(net, study, outage) for outage in [None, *(name for name, _, _ in branch_names(net))]]


def secure(net: Any, study: dict[str, Any], mw: float) -> bool:
    """No project violation in the base case nor under any single outage at ``mw``."""
    return not any(r["violations"] for r in screen(net, study, mw, stop_early=True))


def hosting_capacity(net: Any, study: dict[str, Any]) -> float:
    """The largest multiple of the resolution up to the search limit such that every injection from 0 to it is
    secure: five coarse steps upward to the first insecure one, then bisection inside that step."""
    res, limit = study["hosting_capacity"]["resolution_mw"], study["hosting_capacity"]["search_limit_mw"]
    steps = round(limit / res)
    coarse = [round(steps * k / 5) for k in range(6)]
    low = 0
    for point in coarse[1:]:
        if not secure(net, study, point * res):
            high = point
            break
        low = point
    else:
        return low * res
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if secure(net, study, middle * res) else (low, middle)
    return low * res


def upgrades_that_clear(net: Any, study: dict[str, Any], mw: float) -> list[str]:
    """Single branches whose uprating by the study's factor makes ``mw`` secure (none if it already is)."""
    overloaded = sorted({v[1] for r in screen(net, study, mw) for v in r["violations"] if v[0] == "thermal"})
    names = {name: (table, index) for name, table, index in branch_names(net)}
    clearing = []
    for name in overloaded:
        upgraded = copy.deepcopy(net)
        table, index = names[name]
        set_rating(upgraded, table, index, rating(net, table, index) * study["upgrade_option"]["rating_factor"])
        if secure(upgraded, study, mw):
            clearing.append(name)
    return clearing


# -- building an instance --------------------------------------------------------------------------------


def _named_case(case: str, rng: random.Random) -> Any:
    """The bundled case with planner's names, realistic set points and buses' limits left to the study."""
    net = getattr(pn, case)()
    stations = rng.sample(SUBSTATIONS, len(SUBSTATIONS))
    net.bus["name"] = [f"{stations[i % len(stations)]}{'' if i < len(stations) else ' B'} {kv:g} kV"
                       for i, kv in enumerate(net.bus.vn_kv)]
    net.line["name"] = [f"L{k + 1:02d}" for k in range(len(net.line))]
    net.trafo["name"] = [f"T{k + 1:02d}" for k in range(len(net.trafo))]
    net.gen["vm_pu"] = [round(rng.uniform(1.0, 1.03), 3) for _ in net.gen.index]
    net.ext_grid["vm_pu"] = round(rng.uniform(1.01, 1.03), 3)
    return net


def _meshed_buses(net: Any, params_kv: list[float]) -> list[int]:
    """Buses without a generator that stay connected to the slack under every single-branch outage."""
    slack = int(net.ext_grid.bus.iloc[0])
    taken = set(net.gen.bus) | set(net.ext_grid.bus) | set(net.sgen.bus)
    keep = [b for b in net.bus.index if b not in taken and params_kv[0] <= net.bus.at[b, "vn_kv"] <= params_kv[1]]
    for _, table, index in branch_names(net):
        with out_of_service(net, (table, index)):
            reach = top.connected_component(top.create_nxgraph(net), slack)
        keep = [b for b in keep if b in set(reach)]
    return [int(b) for b in keep]


def worst_flows(net: Any) -> dict[str, float]:
    """Per branch, its worst flow in MVA at nominal voltage over the base case and every other single outage."""
    worst: dict[str, float] = {}
    names = branch_names(net)
    places = {n: (t, i) for n, t, i in names}
    for outage in [None, *places]:
        with out_of_service(net, places.get(outage or "")):
            try:
                pp.runpp(net, numba=False)
            except pp.LoadflowNotConverged:
                continue
        for name, table, index in names:
            loading = getattr(net, f"res_{table}").at[index, "loading_percent"]
            if name != outage and np.isfinite(loading):
                worst[name] = max(worst.get(name, 0.0), loading / 100 * rating(net, table, index))
    return worst


def build(params: dict[str, Any], input_dir: Path, reference_dir: Path) -> None:
    """The case file, the study basis and the reference for one variant's params."""
    rng = random.Random(params["seed"] * 7919 + 17)
    net = _named_case(params["case"], rng)
    scaling = round(rng.uniform(*params["load_scaling"]), 3)
    scaled = copy.deepcopy(net)
    scaled.load["p_mw"] *= scaling
    scaled.load["q_mvar"] *= scaling
    worst = worst_flows(scaled)
    for name, table, index in branch_names(net):
        mva = max(worst.get(name, 0.0) * rng.uniform(1.35, 1.9), 10.0)
        set_rating(net, table, index, float(math.ceil(mva / 5) * 5))
    bus = rng.choice(_meshed_buses(net, params["bus_kv"]))
    res, limit = params["resolution_mw"], params["search_limit_mw"]
    plant_type = params["plant"]
    label, reactive = PLANTS[plant_type]
    project = {"name": f"{net.bus.at[bus, 'name'].split()[0]} {label}", "type": plant_type, "bus": bus,
               "bus_name": str(net.bus.at[bus, "name"]), "requested_mw": 0.0, "reactive_capability": reactive}
    if plant_type == "bess":
        project["voltage_setpoint_pu"] = round(rng.uniform(1.0, 1.025), 3)
    study = {"study_id": f"GIA-{2027 + rng.randint(0, 2)}-{rng.randint(100, 999):04d}", "case_file": NETWORK,
             "project": project, "load_scaling": scaling, "rating_changes": [],
             "criteria": {"max_loading_percent": 100.0, "v_min_pu": 0.95, "v_max_pu": 1.05},
             "hosting_capacity": {"resolution_mw": res, "search_limit_mw": limit},
             "upgrade_option": {"rating_factor": 1.5,
                                "description": "reconductor or replace ONE line or transformer: rating x 1.5"}}
    input_dir.mkdir(parents=True, exist_ok=True)
    net_path = input_dir / NETWORK
    pp.to_json(net, str(net_path))
    _write_study(input_dir, study)
    # the derated line: one of the three whose worst-case flow grows most up to the target output, rated at
    # its flow there, so that it binds near the target
    model, _ = study_net(input_dir)
    target = rng.uniform(*params["binding_fraction"]) * limit
    flows = {}
    for mw in (0.0, target):
        set_injection(model, study, mw)
        flows[mw] = worst_flows(model)
    growth = sorted(((flows[target][n] - flows[0.0][n], n)
                     for n, t, _ in branch_names(model) if t == "line"), reverse=True)
    _, derated = growth[rng.randrange(3)]
    new_rating = float(max(math.ceil(flows[0.0][derated] * 1.03 / 5) * 5, math.floor(flows[target][derated] / 5) * 5))
    study["rating_changes"] = [{"branch": derated, "rating_mva": new_rating,
                                "reason": rng.choice(["summer emergency rating reduced after a sag survey",
                                                      "clearance infringement under review: temporary derating",
                                                      "conductor joint hot-spot found in thermography"])}]
    _write_study(input_dir, study)
    model, _ = study_net(input_dir)
    capacity = hosting_capacity(model, study)
    requested = _requested(model, study, capacity, params["outcome"], rng)
    study["project"]["requested_mw"] = requested
    _write_study(input_dir, study)
    model, _ = study_net(input_dir)
    reference = reference_for(model, study, capacity)
    reference_dir.mkdir(parents=True, exist_ok=True)
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=2) + "\n")


def _write_study(input_dir: Path, study: dict[str, Any]) -> None:
    """The study basis as the agent reads it (without the screening cache)."""
    public = {key: value for key, value in study.items() if not key.startswith("_")}
    (input_dir / STUDY).write_text(json.dumps(public, indent=2) + "\n")


def _requested(net: Any, study: dict[str, Any], capacity: float, outcome: str, rng: random.Random) -> float:
    """The developer's requested size, placed for the variant's intended outcome relative to the capacity."""
    res, limit = study["hosting_capacity"]["resolution_mw"], study["hosting_capacity"]["search_limit_mw"]
    if outcome == "approve" or capacity < 2 * res:
        return max(res, math.floor(capacity * rng.uniform(0.6, 0.9) / res) * res) if capacity >= res else res
    if outcome == "reject":
        return min(limit, math.ceil(capacity * rng.uniform(1.6, 2.0) / res) * res)
    want = math.ceil(capacity * rng.uniform(1.08, 1.2) / res) * res
    while want > capacity + res and not upgrades_that_clear(net, study, want):
        want = capacity + max(res, math.floor((want - capacity) / 2 / res) * res)
    return want


def reference_for(net: Any, study: dict[str, Any], capacity: float) -> dict[str, Any]:
    """The study's answers: base case and N-1 table at the requested size, the capacity and what binds
    just above it, the upgrades that would clear the request, and the recommendation they imply."""
    res = study["hosting_capacity"]["resolution_mw"]
    requested = study["project"]["requested_mw"]
    table = screen(net, study, requested)
    work = copy.deepcopy(net)
    pp.runpp(work, numba=False)
    buses = {str(int(b)): {"vm_pu": float(work.res_bus.at[b, "vm_pu"]), "va_degree": float(work.res_bus.at[b, "va_degree"])}
             for b in work.bus.index}
    branches = {name: {"kind": t, "loading_percent": float(getattr(work, f"res_{t}").at[i, "loading_percent"])}
                for name, t, i in branch_names(work)}
    above = capacity + res
    binding = sorted({(r["outage"], v[0], v[1]) for r in screen(net, study, above) for v in r["violations"]})
    if requested <= capacity:
        decision, clearing = "approve", []
    else:
        clearing = upgrades_that_clear(net, study, requested)
        decision = "approve_with_upgrade" if clearing else "reject"
    # the upgrade screen's candidates: each branch with a project thermal violation at the requested size, with
    # its highest loading over the base case and every outage there (an uprating leaves the flows as they are)
    candidates = sorted({v[1] for r in table for v in r["violations"] if v[0] == "thermal"})
    screened = {name: max(r["loadings"][name] for r in table if name in r["loadings"]) for name in candidates}
    table = [{k: v for k, v in r.items() if k != "loadings"} for r in table]
    return {"requested_mw": requested, "base_buses": buses, "base_branches": branches, "contingencies": table,
            "upgrade_screen": screened,
            "max_injection_mw": capacity, "binding_above": [list(b) for b in binding], "decision": decision,
            "clearing_upgrades": clearing, "preexisting": sorted(list(v) for v in study["_pre"])}


def check(input_dir: Path, mw: float, preexisting: Path | None) -> dict[str, Any]:
    """Project violations at ``mw`` and at ``mw`` + resolution (each screen stops at its first violation), for
    the grader's re-check of a claimed capacity; ``preexisting`` holds the reference's 0 MW violations."""
    net, study = study_net(input_dir)
    if preexisting is not None:
        study["_pre"] = {tuple(v) for v in json.loads(preexisting.read_text())}
    res = study["hosting_capacity"]["resolution_mw"]
    out = {}
    for label, value in (("at", mw), ("above", mw + res)):
        results = screen(net, study, value, stop_early=True)
        out[label] = {"mw": value, "violations": [[r["outage"], *v] for r in results for v in r["violations"]]}
    return out


if __name__ == "__main__":
    if sys.argv[1] == "build":
        build(json.loads(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
    elif sys.argv[1] == "check":
        print(json.dumps(check(Path(sys.argv[2]), float(sys.argv[3]), Path(sys.argv[4]) if len(sys.argv) > 4 else None)))
    else:
        raise SystemExit(f"usage: {sys.argv[0]} build PARAMS INPUT REFERENCE | check INPUT MW [PREEXISTING_JSON]")
