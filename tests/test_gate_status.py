"""The suite-wide gate's standing (``ale tasks gate-status``): a task counts as covered only by a passing verdict
recorded for its current files, the current framework and the suite gate's options; and every task of the suite
is covered by ``suites/gate-record.jsonl``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import TESTS
from lastexam.report.gate_status import SUITE_GATE, gate_status
from lastexam.runner.gate_record import GateRecord, gate_key
from lastexam.runner.validate import GateOptions, Probe, SaltedRun, TaskVerdict, VariantVerdict
from lastexam.tasks.loader import discover_tasks, load_task

FIXTURE = TESTS / "fixtures" / "gate" / "other" / "group_totals"
CHECK_SUITE = TESTS.parent / "scripts" / "check-suite"
SUITE_RECORD = TESTS.parent / "suites" / "gate-record.jsonl"


def _verdict(ok: bool = True) -> TaskVerdict:
    variant = VariantVerdict(
        instance="other/group_totals@0", oracle_score=1.0, nop_score=0.0, deterministic=True,
        probes=[Probe(name="adversaries/skip_join.py", score=0.8), Probe(name="ablation:totals.csv", score=0.9),
                Probe(name="ablation:notes.md", score=0.99, applicable=False)],
        salted=[SaltedRun(salt_hash="ab12", oracle_score=0.97 if not ok else 1.0, nop_score=0.0)])
    return TaskVerdict(task="other/group_totals", ok=ok, variants=[variant])


def _status(tasks: Path, record: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lastexam.cli", "tasks", "gate-status", "--json", "--record",
                           str(record), "--tasks-dir", str(tasks)], capture_output=True, text=True, timeout=120)


def test_only_a_pass_for_the_current_files_and_the_suite_gates_options_covers_a_task(tmp_path: Path) -> None:
    tasks, record = tmp_path / "tasks", tmp_path / "gate.jsonl"
    shutil.copytree(FIXTURE, tasks / "other" / "group_totals")
    task = load_task(tasks / "other" / "group_totals")
    kept = GateRecord(record)
    kept.add(gate_key(task, GateOptions(salted=1)), _verdict())  # not strict: another gate
    kept.add(gate_key(task, SUITE_GATE), _verdict(ok=False))
    [status] = gate_status([task], GateRecord(record))
    assert not status.passed and status.closest_probe is None
    assert _status(tasks, record).returncode == 1

    kept.add(gate_key(task, SUITE_GATE), _verdict())
    [status] = gate_status([task], GateRecord(record))
    # the closest call skips an ablation that did not apply
    assert status.passed and (status.closest_probe, status.closest_score) == ("ablation:totals.csv@0", 0.9)
    assert (status.lowest_oracle, status.highest_nop) == (1.0, 0.0)
    shown = _status(tasks, record)
    assert shown.returncode == 0, shown.stderr
    assert [s["task"] for s in json.loads(shown.stdout) if s["passed"]] == ["other/group_totals"]

    (tasks / "other" / "group_totals" / "task.py").write_text((FIXTURE / "task.py").read_text() + "\n# edited\n")
    [status] = gate_status([load_task(tasks / "other" / "group_totals")], GateRecord(record))
    assert not status.passed
    assert _status(tasks, record).returncode == 1


def test_the_suite_gate_options_are_those_check_suite_runs() -> None:
    assert "--salted 1 --strict" in CHECK_SUITE.read_text() and GateOptions(salted=1, strict=True) == SUITE_GATE


def test_every_task_of_the_suite_holds_a_recorded_pass_of_the_full_gate() -> None:
    """The full gate takes hours, so CI runs a rotating sample of it (test_benchmark_tasks.py); this holds every task
    to the record of the whole gate (``scripts/check-suite``), which a change to a task invalidates for that task
    and a change to the framework for all."""
    tasks = discover_tasks(TESTS.parent / "tasks")
    missing = [s.task for s in gate_status(tasks, GateRecord(SUITE_RECORD)) if not s.passed]
    assert tasks and not missing, (
        f"{len(missing)} of {len(tasks)} tasks hold no recorded pass of the full gate for their current files and "
        f"framework: {missing}; run scripts/check-suite {' '.join(missing)} and commit suites/gate-record.jsonl")
