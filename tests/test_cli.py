"""The command-line interfaces other tools script against."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURE_TASKS

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


def test_run_report_and_regrade(tmp_path: Path) -> None:
    common = ["--results-dir", str(tmp_path / "r"), "--tasks-dir", str(FIXTURE_TASKS)]
    done = _ale("run", "--agent", "oracle", "--agent", "nop", "--tasks", "other/league_table", "--name", "cli",
                "--jobs", "3", "--json", *common)
    result = json.loads(done.stdout[done.stdout.index('{\n  "experiment"'):])
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

    again = _ale("run", "--agent", "oracle", "--tasks", "other/league_table", "--name", "cli", *common)
    assert "3 trials were already finished" in again.stderr
    regraded = _ale("regrade", "--name", "cli", *common)
    assert "regraded 6 trials of cli; 0 changed" in regraded.stderr


def test_errors_name_the_fix(tmp_path: Path) -> None:
    done = _ale("run", "--agent", "oracle", "--tasks", "tier:impossible", "--results-dir", str(tmp_path),
                "--tasks-dir", str(FIXTURE_TASKS), check=False)
    assert done.returncode == 2 and "unknown tier 'impossible'" in done.stderr and "Fix:" in done.stderr
    done = _ale("run", "--agent", "wizard", "--tasks", "other/*", "--results-dir", str(tmp_path),
                "--tasks-dir", str(FIXTURE_TASKS), check=False)
    assert done.returncode == 2 and "unknown agent 'wizard'" in done.stderr
    done = _ale("report", "--name", "nothing-here", "--results-dir", str(tmp_path), check=False)
    assert done.returncode == 2 and "no experiment named 'nothing-here'" in done.stderr
