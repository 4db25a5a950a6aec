"""The agent is an adversary of the grade: each way it could cheat or hurt the host is a test."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import script, survivors

pytestmark = pytest.mark.hostile


def _output(result) -> Path:  # type: ignore[no-untyped-def]
    return Path(result.run_dir) / "output"


def test_snooping_agent_finds_no_reference_grader_package_or_results(run_agent, tmp_path: Path) -> None:
    # A finished trial first, so that a results database and another run directory exist on the host.
    run_agent("oracle", name="earlier")
    [result] = run_agent(script("snoop.py"), name="snoop")
    assert result.agent_outcome == "completed", result.error
    secret = (Path(result.run_dir) / "private" / "reference" / "secret.txt").read_text().strip()
    assert secret.startswith("REFERENCE-SECRET-")
    found = (_output(result) / "found.txt").read_text().split()
    assert [line for line in found if line not in ("name", "content")] == [], found
    # The snoop really did read the files it could see: its own instruction and inputs are there.
    assert (tmp_path / "results" / "ale.db").exists()


def test_agent_cannot_write_outside_its_output(run_agent) -> None:
    [result] = run_agent(script("escape_writes.sh"))
    attempts = (_output(result) / "attempts.txt").read_text().splitlines()
    assert attempts[-1] == "done"
    assert not [a for a in attempts if a.startswith("WROTE")], attempts
    assert len([a for a in attempts if a.startswith("denied")]) == 9
    assert "WROTE mount" not in attempts and "WROTE chmod input" not in attempts
    assert not Path("/evil").exists() and not Path("/usr/evil").exists()


def test_background_process_cannot_change_what_is_graded(run_agent) -> None:
    [result] = run_agent(script("lingerer.sh"))
    collected = _output(result) / "standings.csv"
    assert collected.read_text() == "original\n"
    time.sleep(1.0)
    assert collected.read_text() == "original\n"
    assert survivors("HACKED") == []


def test_agent_past_its_time_limit_is_stopped_whole_and_still_graded(run_agent) -> None:
    started = time.monotonic()
    [result] = run_agent(script("sleeper.sh"), max_wall=2)
    assert time.monotonic() - started < 30
    assert result.agent_outcome == "timeout"
    assert result.status == "failed" and result.checks, "a timed-out trial is still graded"
    assert survivors("sleep 100") == []


def test_fork_bomb_is_contained(run_agent) -> None:
    [result] = run_agent(script("forkbomb.sh"), max_wall=4)
    assert result.status == "failed"
    assert result.agent_outcome in ("timeout", "crashed")
    assert survivors("forkbomb.sh") == []


def test_memory_hog_is_contained(run_agent) -> None:
    [result] = run_agent(script("memhog.py"), max_wall=60)
    assert result.agent_outcome == "crashed"
    reached = (_output(result) / "memhog.txt").read_text()
    assert "MemoryError" in reached
    # The fixture task allows 1024 MB of address space: the hog never got near 1.5 GB.
    assert int(reached.split()[0]) < 1536


def test_links_and_special_files_are_refused(run_agent) -> None:
    [result] = run_agent(script("leaker.sh"))
    out = _output(result)
    assert sorted(p.name for p in out.iterdir()) == ["real.txt"]
    events = (Path(result.run_dir) / "events.jsonl").read_text()
    for refused in ("passwd_link: link refused", "climb_link: link refused", "absolute_input_link: link refused",
                    "inner_link: link refused", "pipe: fifo refused"):
        assert refused in events

