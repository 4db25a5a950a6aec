"""Sandbox limits hold per sandbox: memory (tmpfs and every child together), disk, file count, output
capture, CPU, processes and the wall limit, as root with a cgroup and as a non-root harness without one.

Each hostile agent in tests/agents/hostile/limits_* solves its (trivial) task first and then breaks one
limit, so that only the limit can fail it; the fixture task keeps every limit small.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from conftest import AGENTS, TESTS, survivors
from lastexam.contracts.sandbox import CAPTURE_BYTES, Limits
from lastexam.contracts.trial import TrialResult
from lastexam.runner.config import ExperimentConfig
from lastexam.runner.experiment import run_experiment
from lastexam.runner.regrade import regrade_experiment
from lastexam.runner.trial import SANDBOX_LIMIT_CHECK
from lastexam.sandbox.bwrap import BwrapSandbox, new_workspace, sweep_stale_temp_dirs, tmpfs_sizes
from lastexam.sandbox.cgroup import CGROUP_ROOT, CgroupLimits, CgroupUnavailable, SandboxCgroup, sweep_stale
from lastexam.sandbox.quota import disk_usage
from lastexam.store.db import ResultsStore, default_db_url
from lastexam.store.rundir import RunDir
from lastexam.tasks.spec import Resources
from modelserver import ModelServer, Reply, call
from test_llm_agent import observations

pytestmark = pytest.mark.hostile

LIMITS_TASKS = TESTS / "fixtures" / "limits_tasks"
TASK = "other/word_count@0"
MEMORY_MB = 256
ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="the cgroup and the non-root drop need a root harness")


HOSTILE = ["limits_tmpfs_filler.sh", "limits_many_children.py", "limits_home_filler.sh", "limits_many_files.sh",
           "limits_stdout_flood.sh", "limits_cpu_hog.py", "limits_forkbomb.py", "limits_stop_init.py",
           "limits_unlinked_holder.py", "limits_deep_home.py"]
MAX_WALL = 12


@pytest.fixture(scope="module")
def trials(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TrialResult]:
    """The oracle and every hostile limits agent, run once in one experiment, by agent file name."""
    config = ExperimentConfig(
        name="limits", agents=["oracle", *(f"script:{AGENTS / 'hostile' / name}" for name in HOSTILE)],
        selectors=[TASK], results_dir=tmp_path_factory.mktemp("limits") / "results", tasks_dir=LIMITS_TASKS,
        jobs=4, max_wall=MAX_WALL, retries=0,
    )
    results = {Path(r.key.agent).name: r for r in run_experiment(config).recorded}
    assert sorted(results) == sorted(["oracle", *HOSTILE])
    for result in results.values():
        assert result.status != "infra_error", (result.key, result.error)
    return results


def _output(result) -> Path:  # type: ignore[no-untyped-def]
    return Path(result.run_dir) / "output"


def _events(result) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    lines = (Path(result.run_dir) / "events.jsonl").read_text().splitlines()
    return {event["event"]: event for event in map(json.loads, lines)}


def _failed_at_limit(result, limit: str) -> None:  # type: ignore[no-untyped-def]
    """The agent's own failure: outcome ``limit``, a failed gate naming it, never an infrastructure error."""
    assert result.agent_outcome == "limit", (result.agent_outcome, result.error)
    assert result.status == "failed" and result.score == 0.0
    [check] = [c for c in result.checks if c.name == SANDBOX_LIMIT_CHECK]
    assert not check.passed and check.gate and limit in check.reason
    assert _events(result)["agent_stopped"]["sandbox_limit"] == limit


@pytest.mark.slow
def test_oracle_passes_within_the_small_limits_and_the_containment_is_recorded(trials: dict[str, TrialResult]) -> None:
    result = trials["oracle"]
    assert result.passed, result.checks
    started = _events(result)["sandbox_started"]
    assert started["cgroup"] is ROOT and started["containment"]


@pytest.mark.slow
@needs_root
def test_ram_backed_directories_hold_no_more_than_the_memory_limit(trials: dict[str, TrialResult]) -> None:
    result = trials["limits_tmpfs_filler.sh"]
    assert result.agent_outcome == "completed", (result.agent_outcome, _events(result)["agent_stopped"])
    held = int((_output(result) / "held_mb.txt").read_text())
    assert 0 < held <= MEMORY_MB, f"{held} MB kept in tmpfs against a {MEMORY_MB} MB limit"
    assert sum(tmpfs_sizes(MEMORY_MB).values()) < MEMORY_MB << 20


@pytest.mark.slow
@needs_root
def test_children_each_under_the_address_space_cap_cannot_add_up_past_the_memory_limit(trials: dict[str, TrialResult]) -> None:
    result = trials["limits_many_children.py"]
    held = [p.read_text() for p in _output(result).glob("child*.txt")]
    # Four children of 150 MB against 256 MB: at most one can hold its block through the others.
    assert held.count("held through") <= 1, held


@pytest.mark.slow
def test_filling_home_ends_the_agent_at_the_disk_limit(trials: dict[str, TrialResult]) -> None:
    result = trials["limits_home_filler.sh"]
    _failed_at_limit(result, "disk")
    assert not (_output(result) / "home_mb.txt").exists(), "stopped before it could finish"


@pytest.mark.slow
@pytest.mark.parametrize(("agent", "finished"), [("limits_unlinked_holder.py", "held.txt"),
                                                  ("limits_deep_home.py", "deep.txt")])
def test_disk_hidden_from_a_directory_walk_still_ends_the_agent_at_the_disk_limit(
        trials: dict[str, TrialResult], agent: str, finished: str) -> None:
    result = trials[agent]
    _failed_at_limit(result, "disk")
    assert not (_output(result) / finished).exists() or agent == "limits_unlinked_holder.py"


@pytest.mark.slow
def test_leaving_many_files_ends_the_agent_at_the_file_limit(trials: dict[str, TrialResult]) -> None:
    result = trials["limits_many_files.sh"]
    _failed_at_limit(result, "files")


@pytest.mark.slow
def test_stdout_flood_is_capped_with_a_marker_and_ends_the_agent(trials: dict[str, TrialResult]) -> None:
    result = trials["limits_stdout_flood.sh"]
    _failed_at_limit(result, "output")
    for stream in ("agent.stdout", "agent.stderr"):
        log = Path(result.run_dir) / "logs" / stream
        assert log.stat().st_size <= CAPTURE_BYTES + 200
    marked = [(Path(result.run_dir) / "logs" / s).read_bytes()[-200:] for s in ("agent.stdout", "agent.stderr")]
    assert any(b"output truncated here" in tail for tail in marked)


@pytest.mark.slow
def test_regrading_keeps_the_limit_failures(trials: dict[str, TrialResult]) -> None:
    """Each limits agent left a correct count.txt: a regrade that re-ran only the grader would pass them all."""
    results_dir = Path(trials["oracle"].run_dir).parents[4]  # results/runs/<experiment>/<agent>/<instance>/epoch-N
    store = ResultsStore(default_db_url(results_dir))
    outcome = regrade_experiment(store, "limits", LIMITS_TASKS, results_dir)
    assert not outcome.problems and outcome.changed == 0, outcome
    by_agent = {Path(row["agent"]).name: row for row in store.trial_rows([store.experiment_id("limits")])}
    stopped = [name for name, result in trials.items() if result.agent_outcome == "limit"]
    assert len(stopped) >= 4, stopped  # disk, files and output at least; tmpfs may end in ENOSPC instead
    for name in stopped:
        assert not by_agent[name]["passed"] and by_agent[name]["score"] == 0.0, name
        regraded = RunDir(Path(trials[name].run_dir)).result()
        assert [c.name for c in regraded.checks if not c.passed][:1] == [SANDBOX_LIMIT_CHECK], name
    assert by_agent["oracle"]["passed"]


@pytest.mark.slow
@needs_root
def test_cpu_quota_holds_for_all_processes_together(trials: dict[str, TrialResult]) -> None:
    result = trials["limits_cpu_hog.py"]
    cpu, wall = map(float, (_output(result) / "cpu.txt").read_text().split())
    # The fixture allows 0.5 of a core; two spinning processes would take up to 2 cores unbounded.
    assert cpu <= 0.5 * wall * 1.4 + 0.2, (cpu, wall)


@pytest.mark.slow
def test_fork_bomb_stops_at_the_process_limit(trials: dict[str, TrialResult]) -> None:
    result = trials["limits_forkbomb.py"]
    processes = int((_output(result) / "processes.txt").read_text())
    assert processes <= 64, processes


@pytest.mark.slow
def test_stopped_and_traced_init_does_not_outlive_the_wall_limit(trials: dict[str, TrialResult]) -> None:
    result = trials["limits_stop_init.py"]
    assert result.agent_outcome == "timeout" and result.agent_seconds < MAX_WALL + 5
    assert "SIGSTOP" in (_output(result) / "stop_init.txt").read_text()
    assert survivors("LIMITS-STOP-INIT") == []


_NON_ROOT_HARNESS = """
import json, sys, time
from pathlib import Path
from lastexam.contracts.sandbox import Limits
from lastexam.sandbox.bwrap import BwrapSandbox, new_workspace
import shutil
workspace = new_workspace()
shutil.copy(sys.argv[1], workspace.agent / "agent.py")
(workspace.input / "text.txt").write_text("one two three\\n")
sandbox = BwrapSandbox(workspace, Limits(memory_mb=256, processes=64))
began = time.monotonic()
result = sandbox.exec_sync(["python3", "/agent/agent.py"], timeout=2, stdout=workspace.root / "out",
                           stderr=workspace.root / "err")
print(json.dumps({"containment": sandbox.containment, "limit": result.limit, "seconds": time.monotonic() - began,
                  "report": (workspace.output / "stop_init.txt").read_text()}))
sandbox.close()
"""


@pytest.mark.slow
@needs_root
def test_non_root_harness_says_it_has_no_cgroup_and_still_kills_the_whole_namespace() -> None:
    run = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", _NON_ROOT_HARNESS,
         str(AGENTS / "hostile" / "limits_stop_init.py")],
        capture_output=True, text=True, timeout=60, cwd="/tmp", env={"PATH": os.environ["PATH"]},
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["containment"].startswith("no cgroup"), report
    assert report["limit"] == "wall" and report["seconds"] < 15
    assert "SIGSTOP sent" in report["report"]
    assert survivors("LIMITS-STOP-INIT") == []


def test_namespace_processes_are_found_and_killed_without_privilege(tmp_path: Path) -> None:
    code = textwrap.dedent("""
        import json, os, subprocess, time
        from lastexam.contracts.sandbox import Limits
        from lastexam.sandbox.bwrap import (BwrapSandbox, _read_info, kill_until_gone, new_workspace,
                                            processes_in_pid_namespace)
        sandbox = BwrapSandbox(new_workspace(), Limits(memory_mb=256), use_cgroup=False)
        read, write = os.pipe()
        process = subprocess.Popen(sandbox.command(["sh", "-c", "sleep 60 & sleep 60"], info_fd=write),
                                   pass_fds=(write,), start_new_session=True)
        os.close(write)
        namespace = _read_info(read)["pid-namespace"]
        deadline = time.monotonic() + 10
        while len(found := processes_in_pid_namespace(namespace)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        kill_until_gone(lambda: processes_in_pid_namespace(namespace))
        process.wait()
        print(json.dumps({"found": len(found), "left": processes_in_pid_namespace(namespace)}))
        sandbox.close()
    """)
    argv = [sys.executable, "-c", code]
    if ROOT:
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd="/tmp", env={"PATH": os.environ["PATH"]})
    assert run.returncode == 0, run.stderr
    # Inside: the namespace init, the shell and its two sleeps (the shell may have exec'd the last).
    report = json.loads(run.stdout)
    assert report["found"] >= 3 and report["left"] == []


def test_verbose_output_past_the_capture_cap_is_cut_with_a_marker_but_not_fatal() -> None:
    with BwrapSandbox(new_workspace(), Limits(memory_mb=256, capture_bytes=1 << 20), use_cgroup=False) as sandbox:
        out, err = sandbox.workspace.root / "out", sandbox.workspace.root / "err"
        result = sandbox.exec_sync(["sh", "-c", "head -c 3000000 /dev/zero; echo done >&2"], timeout=30, stdout=out,
                                   stderr=err)
        kept, said = out.read_bytes(), err.read_text()
    assert result.returncode == 0 and result.limit is None and said == "done\n"
    assert kept.startswith(b"\0" * (1 << 20)) and kept[1 << 20:].startswith(b"\n[ale: output truncated here")


@needs_root
def test_a_command_ended_by_the_memory_cgroup_reports_the_memory_limit() -> None:
    hog = "python3 -c 'import time; b = bytearray(150 << 20); b[::4096] = bytes(len(b[::4096])); time.sleep(20)'"
    with BwrapSandbox(new_workspace(), Limits(memory_mb=256)) as sandbox:
        out, err = sandbox.workspace.root / "out", sandbox.workspace.root / "err"
        result = sandbox.exec_sync(["bash", "-c", f"{hog} & {hog} & {hog} & wait -n"], timeout=60, stdout=out,
                                   stderr=err)
    assert result.limit == "memory" and result.returncode == 137, (result, err.read_text())


def test_tmpfs_mounts_are_sized_from_the_memory_limit_and_dev_is_read_only() -> None:
    with BwrapSandbox(new_workspace(), Limits(memory_mb=128), use_cgroup=False) as sandbox:
        out, err = sandbox.workspace.root / "out", sandbox.workspace.root / "err"
        script = "df -B1 --output=target,size /tmp /dev/shm /run /var/tmp | tail -n +2; touch /dev/x && echo DEV-WRITABLE"
        result = sandbox.exec_sync(["sh", "-c", script], timeout=20, stdout=out, stderr=err)
        assert result.returncode == 1, err.read_text()
        seen = out.read_text()
    sizes = {mount: int(size) for mount, size in (line.split() for line in seen.splitlines() if line.startswith("/"))}
    assert sizes == {mount: size for mount, size in tmpfs_sizes(128).items() if mount != "/usr/local"}
    assert "DEV-WRITABLE" not in seen


def test_disk_usage_counts_allocated_blocks_so_sparse_files_count_what_they_take(tmp_path: Path) -> None:
    sparse = tmp_path / "sparse.bin"
    with open(sparse, "wb") as handle:
        handle.truncate(10 << 30)
    (tmp_path / "real.bin").write_bytes(os.urandom(2 << 20))
    usage = disk_usage([tmp_path])
    assert 2 << 20 <= usage.bytes < 3 << 20 and usage.files == 2
    assert disk_usage([tmp_path], stop_files=1).files == 2, "stops right after passing a limit"


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_stale_temporary_directories_of_dead_harnesses_are_swept(tmp_path: Path) -> None:
    dead = tmp_path / f"ale-sbx-{_dead_pid()}-abc"
    alive = tmp_path / f"ale-sbx-{os.getpid()}-abc"
    unnamed = tmp_path / "ale-grade-abc"
    for directory in (dead, alive, unnamed):
        (directory / "home").mkdir(parents=True)
    assert sweep_stale_temp_dirs(tmp_path) == [dead]
    assert not dead.exists() and alive.exists() and unnamed.exists()


@needs_root
def test_cgroup_is_killed_and_removed_and_stale_ones_are_swept() -> None:
    cgroup = SandboxCgroup.create(CgroupLimits(64 << 20, 16, 0.5))
    stale = SandboxCgroup.create(CgroupLimits(64 << 20, 16, 0.5))
    stale_name = f"ale-{_dead_pid()}-stale"
    for directory in stale.directories.values():
        directory.rename(directory.with_name(stale_name))
    sleeper = subprocess.Popen(["sleep", "60"], preexec_fn=cgroup.join)
    os.kill(sleeper.pid, 19)  # SIGSTOP: a stopped member is killed all the same
    assert cgroup.pids() == {sleeper.pid}
    cgroup.kill()
    assert sleeper.wait(timeout=5) == -9 and cgroup.pids() == set()
    cgroup.remove()
    assert not any(d.exists() for d in cgroup.directories.values())
    assert stale_name in sweep_stale(CGROUP_ROOT)
    assert not any(d.with_name(stale_name).exists() for d in stale.directories.values())


@needs_root
def test_cgroup_v2_without_the_memory_controller_is_refused_with_the_reason() -> None:
    unified = CGROUP_ROOT / "unified"
    if not (unified / "cgroup.controllers").exists():
        pytest.skip("no cgroup v2 mount beside the v1 hierarchies")
    if "memory" in (unified / "cgroup.controllers").read_text().split():
        pytest.skip("this v2 hierarchy has the memory controller")
    with pytest.raises(CgroupUnavailable, match="lacks the memory"):
        SandboxCgroup.create(CgroupLimits(64 << 20, 16, 1.0), root=unified)


def test_task_limits_are_validated_with_the_field_and_the_fix() -> None:
    with pytest.raises(ValidationError, match="cpus"):
        Resources(cpus=0)
    with pytest.raises(ValidationError, match="raise disk_mb or lower output_mb"):
        Resources(output_mb=512, disk_mb=256)
    assert Resources().max_files == Limits().max_files and Resources().disk_mb == Limits().disk_mb


@pytest.mark.slow
def test_llm_agent_is_told_which_limit_killed_its_command_and_can_recover(run_agent, agent_yaml) -> None:
    fill = "for i in 1 2 3; do head -c 20M /dev/urandom > $HOME/big$i; done; sleep 20"
    turns = [Reply(tool_calls=[call("shell", command=fill)]),
             Reply(tool_calls=[call("shell", command="rm $HOME/big*; wc -w < $ALE_INPUT_DIR/text.txt > "
                                                     "$ALE_OUTPUT_DIR/count.txt")]),
             Reply(tool_calls=[call("finish", summary="done")])]
    with ModelServer(turns) as server:
        [result] = run_agent(agent_yaml(server), TASK, tasks_dir=LIMITS_TASKS)
    seen = observations(result)
    assert seen[0] == "killed: over the sandbox's disk limit", seen
    assert seen[1].startswith("exit status 0")
    assert result.passed, (result.error, result.checks)
