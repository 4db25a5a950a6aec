"""Generator interconnection study: AC base case and N-1 screen with the plant, hosting capacity at the
point of interconnection, and the approve / upgrade / reject recommendation.

The instance and its reference come from ``study_engine.py`` run with the tool environment's pandapower
(the agent's own). The grader compares the agent's tables with the reference, re-runs the screen through
``g.run_tool`` at the claimed capacity and one resolution step above it, and checks that the
recommendation follows both from the reference figures and from the agent's own, and that its upgrade screen
(each branch the project overloads at the requested size, its worst loading, whether uprating it alone clears
the request) is the study's, so that the decision cannot be taken from the request's distance to the capacity.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lastexam.task import Grading, Params, as_number, judge, normalize_text, run_tool_script

ENGINE = Path(__file__).parent / "study_engine.py"
DELIVERABLES = ("base_buses.csv", "base_branches.csv", "contingencies.csv", "hosting_capacity.json",
                "recommendation.json")
VOLTAGE_TOL, ANGLE_TOL, LOADING_TOL = 1e-3, 0.05, 0.5
DECISIONS = ("approve", "approve_with_upgrade", "reject")


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    """Build the case file and study basis, and the reference study, with the tool environment's pandapower."""
    run_tool_script(__file__, ENGINE, "build", json.dumps(dict(params)), str(input_dir), str(reference_dir),
                    timeout=900)


# -- grade -------------------------------------------------------------------------------------------------


def _close(tol: float) -> Callable[[Any, Any], bool]:
    """A cell predicate: both empty (a case that did not converge), or both numbers within ``tol``."""
    def compare(found: Any, expected: Any) -> bool:
        value = as_number(found)
        if expected is None:
            return value is None
        return value is not None and abs(value - expected) <= tol
    return compare


def _flag(value: Any) -> bool | None:
    text = normalize_text(value)
    return {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(text)


def _contingency_checks(g: Grading, rows: list[dict[str, str]], ref: dict[str, Any]) -> None:
    expected = {c["outage"]: c for c in ref["contingencies"] if c["outage"] != "BASE"}
    found = {normalize_text(r.get("outage")): r for r in rows}
    wanted = {normalize_text(name): c for name, c in expected.items()}
    g.fraction("every line and transformer outage screened",
               judge({k: True for k in found}, {k: True for k in wanted}, lambda _f, _e: True),
               weight=2, noun="outages")

    def values_right(row: dict[str, str], c: dict[str, Any]) -> bool | str:
        converged = _flag(row.get("converged"))
        if converged is not c["converged"]:
            return f"converged {row.get('converged')!r}, expected {c['converged']}"
        for column, tol in (("max_loading_percent", LOADING_TOL), ("min_vm_pu", VOLTAGE_TOL),
                            ("max_vm_pu", VOLTAGE_TOL)):
            if not _close(tol)(row.get(column), c[column]):
                return f"{column} {row.get(column)!r}, expected {c[column]}"
        if as_number(row.get("islanded_buses")) != c["islanded_buses"]:
            return f"islanded_buses {row.get('islanded_buses')!r}, expected {c['islanded_buses']}"
        return True

    g.fraction("post-contingency loadings and voltages", judge(found, wanted, values_right), weight=3,
               noun="outages")

    def flag_right(row: dict[str, str], c: dict[str, Any]) -> bool | str:
        want = bool(c["violations"])
        return _flag(row.get("violation")) is want or f"violation {row.get('violation')!r}, expected {want}"

    g.fraction("contingency violations flagged", judge(found, wanted, flag_right), weight=2, noun="outages")


def _recheck(g: Grading, claimed: float, preexisting: list[list[str]]) -> dict[str, Any]:
    """The screen re-run by pandapower in a fresh sandbox at the claimed capacity and one step above."""
    files = {"study_engine.py": ENGINE, "network.json": g.input_dir / "network.json",
             "study.json": g.input_dir / "study.json", "preexisting.json": json.dumps(preexisting)}
    result = g.run_tool(["python3", "study_engine.py", "check", ".", repr(float(claimed)), "preexisting.json"], files,
                        timeout=240,
                        memory_mb=3072)
    if result.returncode != 0:
        raise RuntimeError(f"the grader's re-run of the study failed: {result.stderr.strip()[-800:]}")
    return json.loads(result.stdout)


def _capacity_checks(g: Grading, capacity: Any, ref: dict[str, Any]) -> float | None:
    res = ref["resolution_mw"]
    claimed = as_number(capacity.get("max_injection_mw")) if isinstance(capacity, dict) else None
    g.check("hosting capacity matches the planner's search", claimed is not None and
            abs(claimed - ref["max_injection_mw"]) < res / 2, weight=3, expected=ref["max_injection_mw"],
            found=claimed)
    if claimed is None or not 0 <= claimed <= ref["search_limit_mw"]:
        g.check("claimed capacity secure, one step more not", False, weight=3, found=claimed,
                reason="no capacity within the search range")
        return claimed
    rerun = _recheck(g, claimed, ref["preexisting"])
    at, above = rerun["at"]["violations"], rerun["above"]["violations"]
    g.check("claimed capacity secure, one step more not", not at and bool(above), weight=3,
            found={"violations at claim": at[:3], "violations one step above": above[:3]})
    binding = capacity.get("binding_constraint") if isinstance(capacity, dict) else None
    named = None
    if isinstance(binding, dict):
        named = [normalize_text(binding.get(k)) for k in ("outage", "type", "element")]
    allowed = [[normalize_text(x) for x in b] for b in ref["binding_above"]]
    g.check("binding constraint named", named in allowed, weight=2, expected=ref["binding_above"][:4],
            found=binding)
    return claimed


def _recommendation_checks(g: Grading, rec: Any, ref: dict[str, Any], claimed: float | None) -> None:
    decision = normalize_text(rec.get("decision")).replace(" ", "_") if isinstance(rec, dict) else None
    g.check("decision follows from the study", decision == ref["decision"], weight=3, expected=ref["decision"],
            found=decision)
    upgrade = rec.get("upgrade") if isinstance(rec, dict) else None
    if ref["decision"] == "approve_with_upgrade":
        right = normalize_text(upgrade) in {normalize_text(u) for u in ref["clearing_upgrades"]}
    else:
        right = upgrade in (None, "", "none")
    g.check("upgrade named as the study calls for", right, weight=2, expected=ref["clearing_upgrades"] or None,
            found=upgrade)
    _upgrade_screen_check(g, rec.get("upgrade_screen") if isinstance(rec, dict) else None, ref)
    consistent = decision in DECISIONS and claimed is not None and (
        (decision == "approve") == (ref["requested_mw"] <= claimed))
    g.check("decision consistent with the stated capacity", consistent, weight=1,
            found={"decision": decision, "capacity": claimed, "requested": ref["requested_mw"]})


def _upgrade_screen_check(g: Grading, rows: Any, ref: dict[str, Any]) -> None:
    """The upgrade screen behind the decision: every branch overloaded by the project at the requested size, its
    worst loading there, and whether uprating it alone clears the request."""
    expected = {normalize_text(name): (worst, name in ref["clearing_upgrades"])
                for name, worst in ref["upgrade_screen"].items()}
    found = {normalize_text(r.get("branch")): r for r in rows if isinstance(r, dict)} if isinstance(rows, list) else {}

    def right(row: dict[str, Any], want: tuple[float, bool]) -> bool | str:
        worst, clears = want
        if not _close(LOADING_TOL)(row.get("worst_loading_percent"), worst):
            return f"worst_loading_percent {row.get('worst_loading_percent')!r}, expected {worst:.2f}"
        return _flag(row.get("clears")) is clears or f"clears {row.get('clears')!r}, expected {clears}"

    verdicts = judge(found, expected, right)
    name = "upgrade screen: each branch the project overloads, its worst loading and whether uprating it clears"
    if not isinstance(rows, list):
        g.check(name, False, weight=2, reason="upgrade_screen is not a list")
    elif verdicts:
        g.fraction(name, verdicts, weight=2, noun="branches")
    else:
        g.check(name, True, weight=2, expected="no branch overloaded by the project at the requested size")


def grade(g: Grading) -> None:
    if not g.require_files(*DELIVERABLES):
        return
    ref = g.reference_json("reference.json")
    study = json.loads((g.input_dir / "study.json").read_text())
    ref["resolution_mw"] = study["hosting_capacity"]["resolution_mw"]
    ref["search_limit_mw"] = study["hosting_capacity"]["search_limit_mw"]
    buses = g.read_csv("base_buses.csv", required_columns=["bus", "vm_pu", "va_degree"])
    branches = g.read_csv("base_branches.csv", required_columns=["branch", "kind", "loading_percent"])
    table = g.read_csv("contingencies.csv", required_columns=[
        "outage", "kind", "converged", "max_loading_percent", "min_vm_pu", "max_vm_pu", "islanded_buses",
        "violation"])
    capacity, rec = g.read_json("hosting_capacity.json"), g.read_json("recommendation.json")
    if buses is None or branches is None or table is None or capacity is None or rec is None:
        return
    g.table("base-case bus voltages (AC)", buses,
            [{"bus": b, **v} for b, v in ref["base_buses"].items()], key="bus",
            columns={"vm_pu": VOLTAGE_TOL, "va_degree": ANGLE_TOL}, weight=2,
            normalize=lambda v: normalize_text(v).removesuffix(".0"))
    g.table("base-case branch loadings", branches,
            [{"branch": n, **v} for n, v in ref["base_branches"].items()], key="branch",
            columns={"loading_percent": LOADING_TOL, "kind": None}, weight=2, normalize=normalize_text)
    _contingency_checks(g, table, ref)
    claimed = _capacity_checks(g, capacity, ref)
    _recommendation_checks(g, rec, ref, claimed)
