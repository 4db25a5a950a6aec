"""A crash at any moment loses no finished trial and records none twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import FIXTURE_TASKS, script

ALE = [sys.executable, "-m", "lastexam.cli"]
TRIALS = 9  # three variants x three epochs


def _ale_run(results: Path, *extra: str) -> subprocess.Popen:
    command = [*ALE, "run", "--agent", script("slow_writer.sh"), "--tasks", "other/league_table",
               "--epochs", "3", "--jobs", "2", "--name", "crashy", "--results-dir", str(results),
               "--tasks-dir", str(FIXTURE_TASKS), *extra]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def _rows(results: Path) -> list[tuple]:
    try:
        with sqlite3.connect(results / "ale.db") as db:
            return db.execute("SELECT instance, epoch, status, finished_at FROM trials ORDER BY id").fetchall()
    except sqlite3.OperationalError:  # the database is still being created
        return []


def _wait_for_rows(results: Path, at_least: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (results / "ale.db").exists() and len(_rows(results)) >= at_least:
            return
        time.sleep(0.05)
    raise AssertionError("no trial was recorded in time")


def test_kill_9_then_rerun_records_every_trial_exactly_once(tmp_path: Path) -> None:
    results = tmp_path / "results"
    process = _ale_run(results)
    _wait_for_rows(results, 2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    before = {(r[0], r[1]): r for r in _rows(results)}
    assert 2 <= len(before) < TRIALS

    again = _ale_run(results)
    output = again.communicate(timeout=300)[0].decode()
    assert again.returncode == 0, output
    rows = _rows(results)
    assert len(rows) == TRIALS
    assert len({(r[0], r[1]) for r in rows}) == TRIALS
    assert {r[2] for r in rows} == {"failed"}
    for key, row in before.items():  # finished trials were kept, not rerun
        assert (key[0], key[1], row[2], row[3]) in {(r[0], r[1], r[2], r[3]) for r in rows}
    assert f"{len(before)} trials were already finished" in output


def test_ctrl_c_cancels_cleanly_and_resume_finishes(tmp_path: Path) -> None:
    results = tmp_path / "results"
    process = _ale_run(results)
    _wait_for_rows(results, 1)
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=60)[0].decode()
    assert process.returncode == 130, output
    statuses = [r[2] for r in _rows(results)]
    assert "cancelled" in statuses and "failed" in statuses
    again = _ale_run(results)
    assert again.wait(timeout=300) == 0
    rows = _rows(results)
    assert len(rows) == TRIALS and {r[2] for r in rows} == {"failed"}
