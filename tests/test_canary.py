"""Canaries: every task carries its own, whatever an agent is handed carries it, and a scan finds it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURE_TASKS, REPO, script
from lastexam.tasks.canary import CANARY_FILE, scan
from lastexam.tasks.catalog import catalog_entries
from lastexam.tasks.loader import discover_tasks

TASKS = discover_tasks(REPO / "tasks")


def test_every_task_has_a_canary_of_its_own_listed_in_the_catalog() -> None:
    canaries = [t.spec.canary for t in TASKS]
    assert len(set(canaries)) == len(TASKS)
    assert {e.id: e.canary for e in catalog_entries(TASKS)} == {t.id: t.spec.canary for t in TASKS}


def test_the_instruction_and_the_inputs_an_agent_gets_carry_the_canary(run_agent) -> None:
    [result] = run_agent(script("canary_copier.sh"))
    out = Path(result.run_dir) / "output"
    hits = scan([out / "instruction_seen.txt", out / CANARY_FILE], discover_tasks(FIXTURE_TASKS))
    assert [(Path(h.path).name, h.task) for h in hits] == [("instruction_seen.txt", "other/league_table"),
                                                         (CANARY_FILE, "other/league_table")]
    reference = Path(result.run_dir) / "private" / "reference" / CANARY_FILE
    assert scan([reference], [])[0].task is None, "a canary of no known task is still found by its shape"


def test_canary_scan_exits_1_on_a_hit_and_0_on_clean_text(tmp_path: Path) -> None:
    truss = next(t for t in TASKS if t.id == "engineering/truss_analysis")
    dirty, clean = tmp_path / "dirty.txt", tmp_path / "clean.txt"
    dirty.write_bytes(b"\xff\xfe model said: " + truss.spec.canary.encode() + b" ok")
    clean.write_text("no canary here, only ALE-CANARY-notaguid")
    ale = str(Path(sys.executable).parent / "ale")  # the CLI of the environment running the tests
    found = subprocess.run([ale, "canary", "scan", str(dirty), str(clean), "--json"], capture_output=True, text=True)
    assert found.returncode == 1, found.stderr
    assert json.loads(found.stdout) == [{"path": str(dirty), "canary": truss.spec.canary, "task": truss.id}]
    assert subprocess.run([ale, "canary", "scan", str(clean)], capture_output=True).returncode == 0
