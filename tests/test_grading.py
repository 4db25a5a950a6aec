"""The grade model, the grading helpers, and the isolated grader's failure modes."""

from __future__ import annotations

import concurrent.futures
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import openpyxl
import pytest

from conftest import FIXTURE_TASKS
from lastexam.contracts.grade import Check, Grade
from lastexam.grading.tools import serve_tools, socket_runner
from lastexam.runner.config import ExperimentConfig
from lastexam.runner.experiment import run_experiment
from lastexam.task import Grading


def _check(name: str, score: float, *, weight: float = 1, gate: bool = False) -> Check:
    return Check(name=name, score=score, passed=score == 1, weight=weight, gate=gate)


def test_score_is_the_weighted_mean_and_a_failed_gate_zeroes_it() -> None:
    grade = Grade(checks=[_check("a", 1, weight=3), _check("b", 0.5, weight=1)])
    assert grade.score == pytest.approx(0.875) and not grade.passed
    assert Grade(checks=[_check("gate", 0, gate=True), _check("a", 1)]).score == 0
    assert Grade(checks=[_check("a", 1), _check("b", 1)]).passed
    assert Grade().score == 0 and not Grade().passed


@pytest.fixture
def g(tmp_path: Path) -> Grading:
    for name in ("out", "in", "ref"):
        (tmp_path / name).mkdir()
    return Grading(tmp_path / "out", tmp_path / "in", tmp_path / "ref", {"variant": 0, "seed": 1})


def test_bad_output_becomes_failed_checks_not_exceptions(g: Grading) -> None:
    (g.output_dir / "a.json").write_text("{not json")
    (g.output_dir / "b.csv").write_text("x,y\n1,2\n")
    (g.output_dir / "c.xlsx").write_bytes(b"PK\x03\x04 definitely not a workbook")
    (g.output_dir / "d.bin").write_bytes(b"\xff\xfe\x00")
    assert not g.require_files("a.json", "missing.txt")
    assert g.read_json("a.json") is None
    assert g.read_csv("b.csv", required_columns=["x", "z"]) is None
    assert g.read_xlsx("c.xlsx") is None
    assert g.read_text("d.bin") is None
    reasons = {c.name: c.reason for c in g.grade.checks}
    assert reasons["required files present"] == "missing or empty: missing.txt"
    assert "Expecting property name" in reasons["a.json is valid JSON"]
    assert reasons["b.csv has the required columns"] == "missing columns: z"
    assert "c.xlsx is a valid XLSX workbook" in reasons
    assert "d.bin is readable text" in reasons
    assert all(c.gate and not c.passed for c in g.grade.checks)
    assert g.grade.score == 0


def test_a_file_of_the_right_shape_alone_earns_nothing(g: Grading) -> None:
    (g.output_dir / "t.csv").write_text("x,y\n")
    assert g.require_files("t.csv")
    assert g.read_csv("t.csv", required_columns=["x", "y"]) == []
    g.number("value", None, 3.0, abs_tol=0.1)
    assert g.grade.score == 0 and not g.grade.passed


def test_numbers_with_tolerance(g: Grading) -> None:
    assert g.number("abs", "1,000.4", 1000, abs_tol=0.5)
    assert g.number("rel", "$101", 100, rel_tol=0.02)
    assert not g.number("off", 103, 100, rel_tol=0.02)
    assert not g.number("nan", "nan", 100, abs_tol=1)
    assert not g.number("text", "about 100", 100, abs_tol=1)
    off = next(c for c in g.grade.checks if c.name == "off")
    assert "off by 3" in off.reason and off.found == 103


def test_tables_by_key_with_per_column_tolerance(g: Grading) -> None:
    expected = [{"id": "a", "v": 1.0, "t": "x"}, {"id": "b", "v": 2.0, "t": "y"}, {"id": "c", "v": 3.0, "t": "z"}]
    found = [{"id": "a", "v": "1.004", "t": "x"}, {"id": "b", "v": "2.5", "t": "y"}, {"id": "d", "v": "4", "t": "w"}]
    score = g.table("t", found, expected, key="id", columns={"v": 0.01, "t": None})
    assert score == pytest.approx(1 / 4)  # a matches; b off; c missing; d extra
    check = g.grade.checks[-1]
    assert "b: v='2.5' want 2.0" in check.reason and "c: missing" in check.reason and "1 unexpected rows" in check.reason
    assert g.table("exact", found[:1], expected[:1], key="id", columns={"v": (0, 0.01)}, partial=False) == 1.0


def test_xlsx_values_are_read(g: Grading) -> None:
    book = openpyxl.Workbook()
    book.active["A1"] = 42
    book.save(g.output_dir / "w.xlsx")
    assert g.read_xlsx("w.xlsx").active["A1"].value == 42


def test_run_tool_reruns_a_program_in_a_fresh_offline_sandbox(g: Grading) -> None:
    (g.reference_dir / "answer.txt").write_text("secret")
    result = g.run_tool(["sh", "-c", "tr a-z A-Z < in.txt > out.txt; id -u; find / -name answer.txt 2>/dev/null; true"],
                        {"in.txt": "hello\n"}, timeout=30)
    assert result.ok
    assert (result.workdir / "out.txt").read_text() == "HELLO\n"
    assert result.stdout.split() == ["1000"]
    slow = g.run_tool(["sleep", "30"], {}, timeout=1)
    assert slow.timed_out and not slow.ok
    g.close()
    assert not result.workdir.exists()


def test_a_tool_flooding_its_output_hands_back_a_capped_stream_with_a_marker(g: Grading) -> None:
    flood = g.run_tool(["sh", "-c", "echo START; head -c 30000000 /dev/zero | tr '\\0' x; echo END; "
                        "head -c 9000000 /dev/zero >&2"], {}, timeout=60)
    assert flood.ok
    assert len(flood.stdout) < (4 << 20) + 100 and len(flood.stderr) < (4 << 20) + 100
    # The sandbox's capture stops keeping a stream at its cap (and says so); the grader gets the start
    # and the end of what was kept.
    assert flood.stdout.startswith("START\nxxx") and "output truncated here" in flood.stdout[-200:]
    assert "bytes of output cut" in flood.stdout and "bytes of output cut" in flood.stderr


def _broken_task(tmp_path: Path, grade_body: str, grader_timeout: int = 5) -> Path:
    root = tmp_path / "tasks"
    target = root / "other" / "league_table"
    shutil.copytree(FIXTURE_TASKS / "other" / "league_table", target)
    source = (target / "task.py").read_text()
    head, _, _ = source.partition("def grade(")
    (target / "task.py").write_text(head + "def grade(g: Grading) -> None:\n" + grade_body)
    toml = target / "task.toml"
    toml.write_text(toml.read_text().replace("grader_timeout_sec = 30", f"grader_timeout_sec = {grader_timeout}"))
    return root


@pytest.mark.parametrize(
    ("body", "timeout", "error"),
    # A crash gets a generous limit, so that a loaded machine's slow start is not mistaken for a hang.
    [("    raise RuntimeError('grader bug')\n", 30, "grader bug"),
     ("    import time\n    time.sleep(60)\n", 5, "ran past its 5 s limit")],
)
def test_grader_crash_or_hang_is_an_infra_error_and_retried(tmp_path: Path, body: str, timeout: int, error: str) -> None:
    config = ExperimentConfig(name="broken", agents=["oracle"], selectors=["other/league_table@0"],
                              results_dir=tmp_path / "results", tasks_dir=_broken_task(tmp_path, body, timeout),
                              retries=1)
    [result] = run_experiment(config).recorded
    assert result.status == "infra_error"
    assert error in (result.error or "")
    assert result.attempts == 2


def test_a_generator_that_kills_its_process_is_an_infra_error_and_the_harness_survives(tmp_path: Path) -> None:
    root = _broken_task(tmp_path, "    pass\n")
    task_py = root / "other" / "league_table" / "task.py"
    task_py.write_text(task_py.read_text().replace(
        "def generate(params: dict, input_dir: Path, reference_dir: Path) -> None:\n",
        "def generate(params: dict, input_dir: Path, reference_dir: Path) -> None:\n    import os\n    os.abort()\n"))
    config = ExperimentConfig(name="abort", agents=["nop"], selectors=["other/league_table@0"],
                              results_dir=tmp_path / "results", tasks_dir=root, retries=0)
    [result] = run_experiment(config).recorded
    assert result.status == "infra_error"
    assert "generator" in (result.error or "")


def test_tool_runs_from_grader_threads_each_get_their_own_reply(tmp_path: Path) -> None:
    host, grader = socket.socketpair()
    server = threading.Thread(target=serve_tools, args=(host, tmp_path),
                              kwargs={"grader_uid": None, "deadline": time.monotonic() + 120})
    server.start()
    g = Grading(tmp_path / "out", tmp_path / "in", tmp_path / "ref", {}, work_dir=tmp_path,
                     tools=socket_runner(grader.detach()))
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda n: g.run_tool(["sh", "-c", f"cat n.txt; echo {n} > r.txt"],
                                                     {"n.txt": f"{n}\n"}), range(6)))
    assert [r.stdout for r in replies] == [f"{n}\n" for n in range(6)]
    assert [(r.workdir / "r.txt").read_text() for r in replies] == [f"{n}\n" for n in range(6)]
    grader.close()
    server.join(10)


@pytest.mark.slow
def test_a_python_environment_reached_through_a_symlink_still_grades(tmp_path: Path) -> None:
    # The grader's sandbox binds the environment by its resolved path; it must start the grader by that path too
    linked = tmp_path / "env"
    linked.symlink_to(Path(sys.prefix).resolve())
    done = subprocess.run([str(linked / "bin" / "python"), "-m", "lastexam.cli", "run", "--agent", "oracle", "--tasks",
                           "other/league_table@0", "--tasks-dir", str(FIXTURE_TASKS), "--results-dir",
                           str(tmp_path / "results"), "--retries", "0", "--json"], capture_output=True, text=True,
                          timeout=600)
    [trial] = json.loads(done.stdout[done.stdout.index("{"):])["trials"]
    assert trial["status"] == "passed", (trial["error"], done.stderr[-2000:])
