"""The validity gate (``ale tasks check``) and salted instances.

The fixture task ``tests/fixtures/gate/other/group_totals`` has a strict grader (every total
recomputed); its lax twin, made here by swapping in the grader that reads the header alone and
declaring a program its oracle never runs, must be rejected by an ablation, by its adversary and
by the declared-software check, while the strict one passes. Salts: the same salt gives the same
instance, another salt another reference, and only the salt's hash is recorded and reported.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import struct
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from conftest import TESTS
from lastexam.analysis.report import build_report
from lastexam.errors import LastExamError
from lastexam.report.text import print_report
from lastexam.runner.ablation import STAND_INS, ablated_copy, hollow_out, noise_png, stand_in_for
from lastexam.runner.config import ExperimentConfig
from lastexam.runner.experiment import run_experiment
from lastexam.runner.gate_record import GateRecord, gate_key
from lastexam.runner.regrade import regrade_experiment
from lastexam.runner.validate import GateOptions, TaskVerdict, check_task, executed_declared
from lastexam.store.db import ResultsStore
from lastexam.tasks.instance import Instance, salt_hash
from lastexam.tasks.loader import load_task

GATE_TASKS = TESTS / "fixtures" / "gate"
FIXTURE = GATE_TASKS / "other" / "group_totals"


def _lax_copy(root: Path) -> Path:
    """The fixture with the header-only grader and a declared executable (awk) its oracle never runs."""
    package = root / "other" / "group_totals"
    shutil.copytree(FIXTURE, package)
    task_py = package / "task.py"
    task_py.write_text(task_py.read_text() + "\n\ngrade = grade_header_only\n")
    toml = package / "task.toml"
    toml.write_text(toml.read_text().replace('executables = ["sqlite3"]', 'executables = ["sqlite3", "awk"]'))
    return package


@pytest.mark.slow
def test_gate_rejects_a_lax_grader_by_ablation_adversary_and_declared_software(tmp_path: Path) -> None:
    _lax_copy(tmp_path / "tasks")
    done = subprocess.run([sys.executable, "-m", "lastexam.cli", "tasks", "check", "other/group_totals", "--strict",
                           "--json", "--tasks-dir", str(tmp_path / "tasks")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr
    assert "ablation:totals.csv" in done.stderr and "FAIL" in done.stderr
    (verdict,) = [TaskVerdict.model_validate(v) for v in json.loads(done.stdout)]
    assert not verdict.ok
    (variant,) = verdict.variants
    assert variant.oracle_score == 1.0 and variant.nop_score == 0.0 and variant.deterministic
    probes = {p.name: p for p in variant.probes}
    assert probes["ablation:totals.csv"].passed, probes
    assert probes["adversaries/made_up_totals.sh"].passed, probes
    assert any("ablation:totals.csv fully passed" in p for p in variant.problems)
    assert any("adversaries/made_up_totals.sh fully passed" in p for p in variant.problems)
    assert verdict.unused_executables == ["awk"]
    assert any("awk" in p and "task.toml" in p for p in verdict.problems)


@pytest.mark.slow
def test_a_sample_of_variants_leaves_the_declared_software_unjudged(tmp_path: Path) -> None:
    # CI checks one variant per task: an executable only another variant's oracle runs must not fail it
    verdict = check_task(load_task(_lax_copy(tmp_path / "tasks")), GateOptions(variants=(0,), adversaries=False,
                                                                               ablations=False))
    assert verdict.ok and verdict.unused_executables == [], verdict.problems
    assert [v.instance for v in verdict.variants] == ["other/group_totals@0"]
    assert check_task(load_task(tmp_path / "tasks" / "other" / "group_totals"),
                      GateOptions(adversaries=False, ablations=False)).unused_executables == ["awk"]


@pytest.mark.slow
def test_gate_passes_the_strict_grader_and_salted_instances(tmp_path: Path) -> None:
    verdict = check_task(load_task(FIXTURE), GateOptions(salted=1, strict=True))
    problems = [*verdict.problems, *(p for v in verdict.variants for p in v.problems)]
    assert verdict.ok, problems
    (variant,) = verdict.variants
    assert {p.name: p.passed for p in variant.probes} == {"adversaries/made_up_totals.sh": False,
                                                          "ablation:totals.csv": False}
    assert variant.executed == ["sqlite3"] and verdict.unused_executables == []
    (salted,) = variant.salted
    assert salted.oracle_score == 1.0 and salted.nop_score == 0.0


def _materialized(instance: Instance, where: Path) -> tuple[bytes, bytes]:
    instance.materialize(where / "input", where / "reference")
    return (where / "input" / "ledger.csv").read_bytes(), (where / "reference" / "totals.csv").read_bytes()


def test_salt_changes_the_instance_and_only_its_hash_is_kept(tmp_path: Path) -> None:
    public = Instance(load_task(FIXTURE), 0)
    one, again, other = public.salted("s3cret"), public.salted("s3cret"), public.salted("other")
    assert one.params["seed"] == again.params["seed"] != public.params["seed"] != other.params["seed"]
    assert _materialized(one, tmp_path / "a") == _materialized(again, tmp_path / "b")
    assert _materialized(one, tmp_path / "a2")[1] != _materialized(other, tmp_path / "c")[1]
    assert _materialized(public, tmp_path / "p")[1] != _materialized(one, tmp_path / "d")[1]
    assert one.salt_hash == salt_hash("s3cret") and "s3cret" not in one.salt_hash and public.salt_hash is None
    assert "s3cret" not in repr(one)


@pytest.mark.slow
def test_salted_run_records_the_hash_and_regrade_needs_the_same_salt(tmp_path: Path) -> None:
    config = ExperimentConfig(name="salted", agents=["oracle"], selectors=["other/group_totals@0"],
                              results_dir=tmp_path / "results", tasks_dir=GATE_TASKS, salt="s3cret")
    (result,) = run_experiment(config).recorded
    assert result.passed and result.salt_hash == salt_hash("s3cret")
    store = ResultsStore(config.resolved_db_url)
    assert store.salt_hashes() == {salt_hash("s3cret")}
    assert "s3cret" not in json.dumps(store.trial_rows(), default=str)
    with sqlite3.connect(tmp_path / "results" / "ale.db") as db:
        assert "s3cret" not in json.dumps(db.execute("SELECT config FROM experiments").fetchall())
    with pytest.raises(LastExamError, match="salt"):
        regrade_experiment(store, "salted", GATE_TASKS, salt="wrong")
    with pytest.raises(LastExamError, match="salt"):
        regrade_experiment(store, "salted", GATE_TASKS)
    regraded = regrade_experiment(store, "salted", GATE_TASKS, salt="s3cret")
    assert (regraded.changed, regraded.total, regraded.problems) == (0, 1, [])
    with pytest.raises(LastExamError, match="salt"):
        run_experiment(config.model_copy(update={"salt": None, "agents": ["nop"]}))

    report = build_report(store)
    assert report.instances_seen == f"salted instances: hash {salt_hash('s3cret')}"
    out = Console(record=True, width=200)
    print_report(report, out)
    assert f"salted instances: hash {salt_hash('s3cret')}" in out.export_text()


def test_an_old_database_gains_the_salt_column(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    ResultsStore(f"sqlite:///{path}")
    with sqlite3.connect(path) as db:
        db.execute("DROP INDEX ix_trials_salt")  # an older version had neither the column nor its index
        db.execute("ALTER TABLE trials DROP COLUMN salt_hash")
    ResultsStore(f"sqlite:///{path}")
    with sqlite3.connect(path) as db:
        assert "salt_hash" in [row[1] for row in db.execute("PRAGMA table_info(trials)")]


def _png(width: int, height: int) -> bytes:
    return noise_png(width, height, seed=1)


@pytest.mark.parametrize("suffix", sorted(STAND_INS))
def test_every_stand_in_differs_from_a_real_file(tmp_path: Path, suffix: str) -> None:
    samples = {".csv": b"id,name,value\n1,a,2.5\n2,b,3\n", ".tsv": b"id\tvalue\n1\t2\n2\t5\n",
               ".json": json.dumps({"total": 3.5, "rows": [{"id": "a", "ok": True}]}).encode(),
               ".pdf": b"%PDF-1.4\n1 0 obj << /Type /Page /MediaBox [0 0 612 792] >> endobj\n%%EOF\n",
               ".png": _png(7, 5), ".jpg": _png(7, 5), ".jpeg": _png(7, 5),
               ".md": b"# Title\n\nThe result is 42.\n"}
    path = tmp_path / f"deliverable{suffix}"
    original = samples.get(suffix, b"real content 1 2 3\nsecond line\n")
    path.write_bytes(original)
    assert hollow_out(path) == stand_in_for(path).description
    assert path.read_bytes() != original


def test_stand_ins_keep_the_shape(tmp_path: Path) -> None:
    (tmp_path / "out" / "figs").mkdir(parents=True)
    (tmp_path / "out" / "t.csv").write_text("id,name,value\n1,a,2.5\n2,b,3\n")
    (tmp_path / "out" / "m.json").write_text(json.dumps({"total": 3.5, "rows": [{"id": "a", "ok": True}]}))
    (tmp_path / "out" / "p.png").write_bytes(_png(7, 5))
    (tmp_path / "out" / "figs" / "f.png").write_bytes(_png(3, 3))
    assert ablated_copy(tmp_path / "out", "t.csv", tmp_path / "a") is not None
    assert (tmp_path / "a" / "t.csv").read_text() == "id,name,value\n0,a,0\n0,a,0\n"
    assert (tmp_path / "a" / "m.json").read_bytes() == (tmp_path / "out" / "m.json").read_bytes()
    ablated_copy(tmp_path / "out", "m.json", tmp_path / "b")
    assert json.loads((tmp_path / "b" / "m.json").read_text()) == {"total": 0, "rows": [{"id": "", "ok": False}]}
    ablated_copy(tmp_path / "out", "p.png", tmp_path / "c")
    assert struct.unpack(">II", (tmp_path / "c" / "p.png").read_bytes()[16:24]) == (7, 5)
    ablated_copy(tmp_path / "out", "figs", tmp_path / "d")
    assert list((tmp_path / "d" / "figs").iterdir()) == []
    assert ablated_copy(tmp_path / "out", "absent.csv", tmp_path / "e") is None and not (tmp_path / "e").exists()


def test_exec_log_counts_successful_execs_only() -> None:
    log = ('execve("/usr/bin/bash", ["bash", "solve.sh"], 0x7ffc /* 11 vars */) = 0\n'
           '[pid     6] execve("/opt/tools/bin/python3", ["python3", "/usr/bin/gdal_sieve.py"], 0x55 /* 13 vars */) = 0\n'
           '[pid     7] execve("/usr/local/bin/cbc", ["cbc", "m.lp"], 0x55 /* 13 vars */) = -1 ENOENT (No such file)\n'
           "cbc: the solver said execve(\"/usr/bin/awk\") in its own output\n")
    assert executed_declared(log, ["python3", "gdal_sieve.py", "cbc", "awk", "bash"]) == \
        ["python3", "gdal_sieve.py", "bash"]


def _desktop_copy(root: Path, gui_oracle: str | None) -> Path:
    """The strict fixture as a desktop task (a display declared), with ``gui_oracle`` as its
    gui_oracle/solve.sh (None: without one)."""
    package = root / "other" / "group_totals"
    shutil.copytree(FIXTURE, package)
    toml = package / "task.toml"
    toml.write_text(toml.read_text().replace("[resources]", '[environment]\ndisplay = "800x600"\n\n[resources]'))
    if gui_oracle is not None:
        (package / "gui_oracle").mkdir()
        (package / "gui_oracle" / "solve.sh").write_text(gui_oracle)
        (package / "gui_oracle" / "solve.sh").chmod(0o755)
    return package


@pytest.mark.slow
def test_gate_runs_a_desktop_tasks_gui_oracle_and_fails_one_that_does_not_do_the_work(tmp_path: Path) -> None:
    # a GUI-driven oracle runs on the task's desktop: this one looks at it, then does the work
    working = (FIXTURE / "solution" / "solve.sh").read_text().replace(
        "set -euo pipefail\n", "set -euo pipefail\nale-computer screenshot /tmp/desktop.png\n")
    only_looking = "#!/bin/sh\nale-computer screenshot /tmp/desktop.png\n"
    options = GateOptions(adversaries=False, ablations=False)
    verdict = check_task(load_task(_desktop_copy(tmp_path / "working", working)), options)
    assert verdict.ok, [*verdict.problems, *(p for v in verdict.variants for p in v.problems)]
    assert verdict.variants[0].gui_oracle_score == 1.0

    verdict = check_task(load_task(_desktop_copy(tmp_path / "looking", only_looking)), options)
    [variant] = verdict.variants
    assert not verdict.ok and variant.gui_oracle_score == 0.0
    assert any("GUI-driven oracle (gui_oracle/solve.sh) scored 0.000" in p for p in variant.problems), variant.problems

    verdict = check_task(load_task(_desktop_copy(tmp_path / "none", None)), replace(options, strict=True))
    assert any("needs a GUI-driven oracle" in p for p in verdict.problems), verdict.problems
    assert verdict.variants[0].gui_oracle_score is None


@pytest.mark.slow
def test_gate_runs_only_the_named_adversaries() -> None:
    verdict = check_task(load_task(FIXTURE), GateOptions(adversary_names=("fabricate.py",), ablations=False))
    assert verdict.ok and verdict.adversaries == [] and verdict.variants[0].probes == []
    verdict = check_task(load_task(FIXTURE), GateOptions(adversary_names=("adversaries/made_up_totals.sh",),
                                                         ablations=False))
    assert [p.name for p in verdict.variants[0].probes] == ["adversaries/made_up_totals.sh"]


def _check_recorded(tasks_dir: Path, record: Path) -> subprocess.CompletedProcess:
    """``ale tasks check --record`` of the fixture; its console lines and the verdict table are on stderr."""
    return subprocess.run([sys.executable, "-m", "lastexam.cli", "tasks", "check", "other/group_totals", "--no-probes",
                           "--record", str(record), "--tasks-dir", str(tasks_dir)], capture_output=True, text=True,
                          timeout=600)


@pytest.mark.slow
def test_a_recorded_gate_resumes_skipping_only_passes_under_the_same_task_framework_and_options(tmp_path: Path) -> None:
    tasks, record = tmp_path / "tasks", tmp_path / "gate.jsonl"
    shutil.copytree(FIXTURE, tasks / "other" / "group_totals")
    first = _check_recorded(tasks, record)
    assert first.returncode == 0 and "(recorded" not in first.stderr, first.stderr
    again = _check_recorded(tasks, record)
    assert again.returncode == 0 and "OK other/group_totals (recorded" in again.stderr, again.stderr
    assert len(record.read_text().splitlines()) == 1  # a pass is recorded once
    task = load_task(tasks / "other" / "group_totals")
    kept = GateRecord(record)
    assert kept.passed(gate_key(task, GateOptions(adversaries=False, ablations=False))) is not None
    assert kept.passed(gate_key(task, GateOptions())) is None  # other options, another key
    assert kept.passed(gate_key(task, GateOptions(adversaries=False, ablations=False), framework="0" * 64)) is None

    # The lax grader is a change to the task: it is checked again, fails, and the failure is no pass to resume from
    (tasks / "other" / "group_totals" / "task.py").write_text(
        (FIXTURE / "task.py").read_text() + "\n\ngrade = grade_header_only\n")
    toml = tasks / "other" / "group_totals" / "task.toml"
    toml.write_text(toml.read_text().replace('executables = ["sqlite3"]', 'executables = ["sqlite3", "awk"]'))
    changed = _check_recorded(tasks, record)
    assert changed.returncode == 1 and "(recorded" not in changed.stderr, changed.stderr
    assert _check_recorded(tasks, record).returncode == 1
    assert [e.verdict.ok for e in GateRecord(record).entries] == [True, False, False]

    record.write_text(record.read_text() + "not json\n")
    broken = _check_recorded(tasks, record)
    assert broken.returncode != 0 and f"{record} [line 4]: not a recorded verdict" in " ".join(broken.stderr.split())
