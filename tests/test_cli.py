"""The command-line interfaces other tools script against."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURE_TASKS, HOSTILE_TASKS

ALE = [sys.executable, "-m", "lastexam.cli"]


def _ale(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([*ALE, *args], capture_output=True, text=True, timeout=300)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_tasks_list_json() -> None:
    [entry] = json.loads(_ale("tasks", "list", "--json", "--tasks-dir", str(FIXTURE_TASKS)).stdout)
    assert {"id", "title", "cluster", "subdomain", "tier", "variants"} <= set(entry)
    assert entry["id"] == "other/league_table" and entry["variants"] == 3


def test_with_json_whatever_else_writes_to_stdout_goes_to_stderr() -> None:
    # Ray's driver prints cluster notices ("The node ... has been marked dead") to stdout from its own thread
    script = ("import os, threading, sys\n"
              "from lastexam.cli import stdout_for_json_only\n"
              "out = stdout_for_json_only()\n"
              "print('a python print')\n"
              "threading.Thread(target=lambda: os.write(1, b'a native write from a thread\\n')).start()\n"
              "print('{\"ok\": true}', file=out, flush=True)\n"
              "os.write(1, b'after the JSON\\n')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"ok": True}
    for noise in ("a python print", "a native write from a thread", "after the JSON"):
        assert noise in done.stderr


def test_run_report_and_regrade(tmp_path: Path) -> None:
    common = ["--results-dir", str(tmp_path / "r"), "--tasks-dir", str(FIXTURE_TASKS)]
    done = _ale("run", "--agent", "oracle", "--agent", "nop", "--tasks", "other/league_table", "--name", "cli",
                "--jobs", "3", "--json", *common)
    result = json.loads(done.stdout)  # stdout holds the JSON alone
    assert result["experiment"] == "cli"
    assert len(result["trials"]) == 6
    for trial in result["trials"]:
        assert {"instance", "agent", "epoch", "status", "agent_outcome", "score", "passed", "run_dir"} <= set(trial)
        assert trial["status"] == ("passed" if trial["agent"] == "oracle" else "failed")
        run_dir = Path(trial["run_dir"])
        for name in ("events.jsonl", "trial.json", "trajectory.json", "grade.json"):
            assert (run_dir / name).is_file(), name
        assert (run_dir / "output").is_dir() and (run_dir / "logs").is_dir()

    report = json.loads(_ale("report", "--name", "cli", "--json", "--results-dir", str(tmp_path / "r")).stdout)
    board = {row["agent"]: row for row in report["leaderboard"]}
    assert board["oracle"]["pass_rate"] == 1.0 and board["nop"]["pass_rate"] == 0.0
    assert board["oracle"]["trials"] == 3
    low, high = board["oracle"]["pass_rate_ci"]
    assert 0.4 < low < 1.0 and high == 1.0

    with sqlite3.connect(tmp_path / "r" / "ale.db") as conn:  # built-in agents state no knowledge cutoff
        dates = set(conn.execute("SELECT task_released, knowledge_cutoff FROM trials").fetchall())
    assert dates == {("2026-11-25", None)}

    # the runner recorded each trial's run facts: a report with the task packages reads no run directory
    facts = _run_facts(tmp_path / "r" / "ale.db")
    assert len(facts) == 6 and {f[5] for f in facts} == {"sqlite3"}
    # the oracle runs its script under /agent/ (not shown in the trajectory); nop runs a command and leaves nothing
    assert {(f[1], f[2], f[4]) for f in facts} == {("oracle", 1, "unknown"), ("nop", 0, "not_used")}
    with_tasks = ["--json", "--results-dir", str(tmp_path / "r"), "--tasks-dir", str(FIXTURE_TASKS)]
    first = json.loads(_ale("report", "--name", "cli", *with_tasks).stdout)
    assert first["inspected_trials"] == 0
    assert {r["agent"]: r["counts"] for r in first["software"]} == {
        "nop": {"used": 0, "substitute": 0, "not_used": 3, "unknown": 0},
        "oracle": {"used": 0, "substitute": 0, "not_used": 0, "unknown": 3}}
    # without the task packages (the default tasks directory lacks this task) the recorded judgement does not
    # apply: the report read every run directory and found the software unknown
    assert report["inspected_trials"] == 6 and all(r["counts"]["unknown"] == 3 for r in report["software"])

    again = _ale("run", "--agent", "oracle", "--tasks", "other/league_table", "--name", "cli", *common)
    assert "3 trials were already finished" in again.stderr
    regraded = _ale("regrade", "--name", "cli", *common)
    assert "regraded 6 trials of cli; 0 changed" in regraded.stderr
    # regrading replaced every row and recorded the facts again, taken from the run directories
    assert sorted(f[1:] for f in _run_facts(tmp_path / "r" / "ale.db")) == sorted(f[1:] for f in facts)
    assert {f[0] for f in _run_facts(tmp_path / "r" / "ale.db")}.isdisjoint(f[0] for f in facts)
    after = json.loads(_ale("report", "--name", "cli", *with_tasks).stdout)
    assert after["inspected_trials"] == 0 and after["software"] == first["software"]
    assert after["failures"] == first["failures"]


def _run_facts(db: Path) -> list[tuple]:
    """(trial id, agent, output files, tool calls, software, executables) of each recorded trial."""
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, agent, output_files, tool_calls, software, software_basis FROM trials").fetchall()


def test_errors_name_the_fix(tmp_path: Path) -> None:
    done = _ale("run", "--agent", "oracle", "--tasks", "tier:impossible", "--results-dir", str(tmp_path),
                "--tasks-dir", str(FIXTURE_TASKS), check=False)
    assert done.returncode == 2 and "unknown tier 'impossible'" in done.stderr and "Fix:" in done.stderr
    done = _ale("run", "--agent", "wizard", "--tasks", "other/*", "--results-dir", str(tmp_path),
                "--tasks-dir", str(FIXTURE_TASKS), check=False)
    assert done.returncode == 2 and "unknown agent 'wizard'" in done.stderr
    done = _ale("report", "--name", "nothing-here", "--results-dir", str(tmp_path), check=False)
    assert done.returncode == 2 and "no experiment named 'nothing-here'" in done.stderr


def test_run_json_and_report_hold_when_no_trial_was_graded(tmp_path: Path) -> None:
    common = ["--results-dir", str(tmp_path / "r"), "--tasks-dir", str(HOSTILE_TASKS)]
    # Variant 1's grader fails on any output: every trial is an infra error.
    done = _ale("run", "--agent", "nop", "--tasks", "other/naive_summary@1", "--retries", "0", "--name", "x",
                "--json", *common)
    assert [t["status"] for t in json.loads(done.stdout)["trials"]] == ["infra_error"], "stdout is the JSON alone"
    assert "Leaderboard" in done.stderr
    report = json.loads(_ale("report", "--json", "--results-dir", str(tmp_path / "r")).stdout)
    assert report["leaderboard"][0]["agent"] == "nop"
