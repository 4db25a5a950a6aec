"""The contracts are a leaf: the store, a worker and the CLI's read-only commands load only what they need."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURE_TASKS, REPO
from lastexam.contracts.facts import failure_category
from lastexam.runner.materialize import materialize
from lastexam.runner.trial import trial_request
from lastexam.store.db import ResultsStore
from lastexam.tasks.instance import Instance, instances_of
from lastexam.tasks.loader import discover_tasks, load_task
from trialfactory import record, trial

HEAVY = ("pandas", "lastexam.agents", "lastexam.sandbox", "lastexam.runner", "lastexam.analysis")
TASK_SOFTWARE = ("rdkit", "statsmodels", "netCDF4")


def _loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code`` (from the repository)."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _under(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


@pytest.mark.parametrize("module", ["lastexam.contracts.trial", "lastexam.store.db"])
def test_the_contracts_and_the_store_load_no_agent_loop_sandbox_runner_or_pandas(module: str) -> None:
    loaded = _loaded_after(f"import {module}")
    assert _under(loaded, HEAVY) == []
    project = {m for m in loaded if m.startswith("lastexam.")}
    assert _under(project, ("lastexam.contracts", "lastexam.errors", "lastexam.store")) == sorted(project)


def test_the_contracts_import_nothing_else_of_the_project() -> None:
    loaded = _loaded_after("import lastexam.contracts.trial, lastexam.contracts.trajectory")
    assert {m for m in loaded if m.startswith("lastexam.")} <= {
        "lastexam.contracts", *(f"lastexam.contracts.{n}" for n in ("agent", "facts", "grade", "sandbox",
                                                                      "trajectory", "trial"))}


@pytest.mark.slow
@pytest.mark.parametrize("command", [["tasks", "list"], ["report"]])
def test_listing_tasks_and_reporting_import_no_task_code(command: list[str], tmp_path: Path) -> None:
    if command == ["report"]:
        record(ResultsStore(f"sqlite:///{tmp_path / 'ale.db'}"), "e", [trial("nop", "life_sciences/variant_calling@0")])
        command = [*command, "--results-dir", str(tmp_path)]
    loaded = _loaded_after("import contextlib\nfrom lastexam.cli import app\n"
                           f"with contextlib.suppress(SystemExit):\n    app({command!r}, standalone_mode=False)")
    assert [m for m in loaded if m.startswith("lastexam_task_")] == []
    assert _under(loaded, TASK_SOFTWARE) == []


def test_a_trial_request_is_plain_data_that_crosses_processes(tmp_path: Path) -> None:
    [task] = [t for t in discover_tasks(import_graders=False) if t.id == "engineering/active_filter_design"]
    instance = instances_of(task)[1].salted("a secret")
    request = trial_request(instance, "oracle", 2, tmp_path / "run", max_wall=60.0)
    copy = pickle.loads(pickle.dumps(request))
    assert copy == request and copy.key == request.key
    assert copy.params == instance.params and copy.salt_hash == instance.salt_hash
    assert "a secret" not in repr(copy.__dict__)


@pytest.mark.parametrize(("row", "category"), [
    (("passed", "completed", 1.0, False, 3), "passed"), (("cancelled", None, 0.0, False, None), "cancelled"),
    (("infra_error", None, 0.0, False, None), "infrastructure"), (("failed", "timeout", 0.5, True, 0), "timeout"),
    (("failed", "limit", 0.0, False, 1), "limit"), (("failed", "completed", 0.0, True, 0), "no_output"),
    (("failed", "completed", 0.4, True, 2), "gate_failed"), (("failed", "crashed", 0.4, False, None), "partial"),
    (("failed", "completed", 0.0, False, 2), "zero_score"),
])
def test_the_category_of_one_trial_is_the_category_the_analysis_gives(row: tuple, category: str) -> None:
    from lastexam.analysis.facts import failure_categories

    assert failure_category(*row) == category == failure_categories(*([value] for value in row))[0]


def _tree(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_a_salted_instance_is_generated_from_its_salted_seed(tmp_path: Path) -> None:
    task = load_task(FIXTURE_TASKS / "other" / "league_table")
    public, salted = Instance(task, 0), Instance(task, 0, salt="a secret")
    for instance, name in ((public, "public"), (salted, "salted")):
        materialize(task.path, instance.params, tmp_path / name / "input", tmp_path / name / "reference",
                    log=tmp_path / f"{name}.log")
    salted.materialize(tmp_path / "here" / "input", tmp_path / "here" / "reference")
    inputs = {name: _tree(tmp_path / name / "input") for name in ("public", "salted", "here")}
    assert inputs["salted"] == inputs["here"] != inputs["public"]
