"""Every last-exam task meets the measurable part of its tier's bar (issue 8, "tiers mean what they say").

A last-exam task is an expert day or more (``expert_minutes`` >= 480), states how its expert time was
reached (at least three stages whose minutes add up to about ``expert_minutes``), has at least two variants that differ in kind (a non-numeric parameter, such
as the scenario, sensor or option type, takes different values), and its grader declares at least
eight substantive checks. Checks are counted from the grader's source without running it: the distinct
names of the checks ``grade`` records, following calls into the task's own helper functions (a helper
called with two different check names counts twice; a check inside a loop counts once, so the count
is a floor).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from lastexam.tasks.loader import Task, discover_tasks

REPO = Path(__file__).resolve().parents[1]
CHECK_METHODS = {"check", "number", "quantity", "fraction", "table", "image_has_content", "plot_has_data",
                 "chart_draws"}
MIN_CHECKS = 8
MIN_STAGES = 3
EXPERT_DAY_MINUTES = 480
MINUTES_SLACK = 0.1

LAST_EXAM = [task for task in discover_tasks(REPO / "tasks") if task.spec.tier == "last-exam"]


def basis_stage_minutes(basis: str) -> list[int]:
    """The minutes of each stage of an ``expert_minutes_basis``: stages are separated by semicolons and
    each ends with its minutes ("... 45", "... 45 min", "... (45 min)", "... (45)")."""
    minutes = []
    for stage in basis.split(";"):
        found = re.search(r"(\d+)\s*(?:min(?:utes)?)?\s*\)?\s*\.?\s*$", stage.strip())
        if found:
            minutes.append(int(found.group(1)))
    return minutes


def _is_gate(call: ast.Call) -> bool:
    return any(k.arg == "gate" and isinstance(k.value, ast.Constant) and k.value.value is True for k in call.keywords)


def declared_check_names(task_dir: Path) -> set[str]:
    """The distinct check names ``grade`` records, read from the task's modules (gates left out)."""
    functions: dict[str, ast.FunctionDef] = {}
    for module in sorted(task_dir.glob("*.py")):
        if module.name != "fabricate.py":
            tree = ast.parse(module.read_text(), filename=str(module))
            functions |= {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}

    def names(function: ast.FunctionDef, bindings: dict[str, str], stack: frozenset[str]) -> set[str]:
        found: set[str] = set()
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Attribute) and node.func.attr in CHECK_METHODS and not _is_gate(node):
                label = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "name"), None)
                if label is not None:
                    text = ast.unparse(label)
                    found.add(bindings.get(text, text) if isinstance(label, ast.Name) else text)
            elif isinstance(node.func, ast.Name) and node.func.id in functions and node.func.id not in stack:
                callee = functions[node.func.id]
                params = [a.arg for a in callee.args.args]
                passed = dict(zip(params, node.args, strict=False)) | {k.arg: k.value for k in node.keywords if k.arg}
                inner = {p: bindings.get(ast.unparse(v), ast.unparse(v)) for p, v in passed.items()}
                found |= names(callee, inner, stack | {callee.name})
        return found

    if "grade" not in functions:
        return set()
    return names(functions["grade"], {}, frozenset({"grade"}))


def test_there_are_last_exam_tasks() -> None:
    assert len(LAST_EXAM) >= 5


@pytest.mark.parametrize("task", LAST_EXAM, ids=lambda t: t.id)
def test_a_last_exam_task_is_an_expert_day(task: Task) -> None:
    assert task.spec.expert_minutes >= EXPERT_DAY_MINUTES, (
        f"{task.path / 'task.toml'}: expert_minutes = {task.spec.expert_minutes}, under an expert day "
        f"({EXPERT_DAY_MINUTES}); make the task an expert day's work or give it the full-spectrum tier")


@pytest.mark.parametrize("task", LAST_EXAM, ids=lambda t: t.id)
def test_expert_minutes_basis_adds_up(task: Task) -> None:
    basis = task.spec.expert_minutes_basis
    assert basis, f"{task.path / 'task.toml'}: add expert_minutes_basis = \"stage 30; stage 60; ...\""
    stages = basis_stage_minutes(basis)
    assert len(stages) >= MIN_STAGES, f"{task.id}: expert_minutes_basis names {len(stages)} timed stages: {basis!r}"
    total = sum(stages)
    assert abs(total - task.spec.expert_minutes) <= MINUTES_SLACK * task.spec.expert_minutes, (
        f"{task.id}: the stages of expert_minutes_basis add up to {total} min, expert_minutes = "
        f"{task.spec.expert_minutes}")


@pytest.mark.parametrize("task", LAST_EXAM, ids=lambda t: t.id)
def test_variants_differ_in_kind(task: Task) -> None:
    params = task.spec.variants.params or []
    assert len(params) >= 2, f"{task.id}: a last-exam task needs at least 2 variants"
    kinds = {
        key: {repr(p.get(key)) for p in params}
        for key in set().union(*params) if any(not isinstance(p.get(key), int | float) for p in params)
    }
    assert any(len(values) >= 2 for values in kinds.values()), (
        f"{task.id}: no non-numeric parameter takes two values; variants differ only in numbers")


@pytest.mark.parametrize("task", LAST_EXAM, ids=lambda t: t.id)
def test_grader_declares_enough_checks(task: Task) -> None:
    checks = declared_check_names(task.path)
    assert len(checks) >= MIN_CHECKS, f"{task.id}: grade() declares {len(checks)} checks: {sorted(checks)}"


def test_check_count_follows_helpers(tmp_path: Path) -> None:
    """The counter reads check names through helpers, keeps distinct names, and leaves out gates."""
    (tmp_path / "task.py").write_text(
        "def share(g, name, items):\n"
        "    g.check(name, 1.0)\n"
        "def grade(g):\n"
        "    g.check('files present', True, gate=True)\n"
        "    share(g, 'rise times', [])\n"
        "    share(g, 'set times', [])\n"
        "    for k in range(3):\n"
        "        g.number(f'value {k}', 1, 1)\n"
        "    g.check('rise times', False)\n")
    assert declared_check_names(tmp_path) == {"'rise times'", "'set times'", "f'value {k}'"}


def test_basis_minutes_forms() -> None:
    assert basis_stage_minutes("Read 30; build (60 min); check it, twice (45); report 15 min.") == [30, 60, 45, 15]
