"""Framework faults that must not take a run down or be blamed on the wrong party: several processes creating
one fresh results database at once, regrading a moved or damaged results directory, an agent's unparsable
transcript, and a grader whose tool is missing from the machine."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

RACER = """
import pathlib, sys, time
from lastexam.store.db import ResultsStore
pathlib.Path(sys.argv[3]).touch()
while not pathlib.Path(sys.argv[2]).exists():
    time.sleep(0.001)
print(ResultsStore(sys.argv[1]).ensure_experiment("same", {"by": sys.argv[3]}))
"""


@pytest.mark.slow
def test_processes_creating_one_fresh_database_at_once_all_succeed(tmp_path: Path) -> None:
    url, go = f"sqlite:///{tmp_path / 'results' / 'ale.db'}", tmp_path / "go"
    ready = [tmp_path / f"ready{i}" for i in range(6)]
    racers = [subprocess.Popen([sys.executable, "-c", RACER, url, str(go), str(r)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True) for r in ready]
    deadline = time.monotonic() + 240
    while not all(r.exists() for r in ready):
        assert time.monotonic() < deadline, "the racing processes did not start"
        time.sleep(0.01)
    go.touch()
    outcomes = [p.communicate(timeout=240) for p in racers]
    assert [p.returncode for p in racers] == [0] * len(racers), [err for _, err in outcomes if err]
    assert {out.strip() for out, _ in outcomes} == {"1"}
