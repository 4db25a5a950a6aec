"""An experiment on a real Ray cluster on one machine: a head and a second node as separate processes, results in
PostgreSQL, run directories in an S3 endpoint (moto's server). The second node is killed mid-trial and the
driver is killed with SIGKILL and restarted: every trial is recorded exactly once, complete in storage. Then a
Ctrl-C on a driver whose trial is running cancels it as in a local run: the trial recorded ``cancelled``, its
sandbox's processes dead on the node."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from s3fs import S3FileSystem
from sqlalchemy import create_engine, text

from conftest import AGENTS, FIXTURE_TASKS
from raycluster import Cluster, descendants, free_port, kill_tree, wait_for

pytestmark = pytest.mark.slow

RAY = Path(sys.executable).with_name("ray")
ALE = [sys.executable, "-m", "lastexam.cli"]
BUCKET = "ale-artifacts"
S3_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1"}
S3_ENV = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
AGENT_LIST = ["oracle", f"script:{AGENTS / 'slow_writer.sh'}"]
TRIALS = 2  # two agents on one instance
RUN_DIR_FILES = ("trial.json", "events.jsonl", "grade.json", "trajectory.json", "logs/instruction.md",
                 "output/standings.csv")


@pytest.fixture
def s3_url() -> Iterator[tuple[str, S3FileSystem]]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, **S3_CREDENTIALS).create_bucket(Bucket=BUCKET)
    fs = S3FileSystem(key="test", secret="test", client_kwargs={"endpoint_url": endpoint, "region_name": "us-east-1"})
    try:
        yield endpoint, fs
    finally:
        server.stop()


def _running_trial(scratch: Path) -> bool:
    """A trial's agent is running on the node whose temporary directory is ``scratch``."""
    return any("agent_started" in events.read_text() for events in scratch.glob("ale-ray/trial-*/run/events.jsonl"))


def _sleepers(node: subprocess.Popen) -> list[int]:
    """The sleeper agent's processes (``sleep 100N``) anywhere under a Ray node."""
    found = []
    for pid in descendants(node.pid):
        try:
            if b"sleep\x00100" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


def test_a_cluster_loses_a_node_and_its_driver_and_records_every_trial_once_and_ctrl_c_cancels(
    tmp_path: Path, postgres_url: str, s3_url: tuple[str, S3FileSystem]
) -> None:
    endpoint, fs = s3_url
    env = {**os.environ, **S3_ENV, "AWS_ENDPOINT_URL": endpoint}
    cluster = Cluster(tmp_path, env)
    database = create_engine(postgres_url)

    def rows(name: str = "cluster") -> list[tuple]:
        with database.connect() as conn:
            if not conn.execute(text("SELECT to_regclass('trials')")).scalar():
                return []
            return conn.execute(text("SELECT t.agent, t.instance, t.epoch, t.status, t.attempts, t.run_dir, "
                                     "t.finished_at, t.error FROM trials t JOIN experiments e ON e.id = t.experiment_id "
                                     "WHERE e.name = :name ORDER BY t.id"), {"name": name}).fetchall()

    def driver(name: str = "cluster", agents: list[str] = AGENT_LIST) -> subprocess.Popen:
        command = [*ALE, "run", "--executor", "ray", "--ray-address", cluster.address, "--name", name,
                   "--tasks", "other/league_table@0", "--retries", "3",
                   "--db", postgres_url, "--artifacts", f"s3://{BUCKET}/runs", "--tasks-dir", str(FIXTURE_TASKS),
                   "--results-dir", str(tmp_path / "results"), "--json"]
        for agent in agents:
            command += ["--agent", agent]
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)

    try:
        head_scratch = cluster.start_node("head")
        cluster.wait_for_nodes(1)
        worker_scratch = cluster.start_node("worker")
        cluster.wait_for_nodes(2)

        first = driver()
        wait_for(lambda: _running_trial(worker_scratch), "a trial on the worker node", timeout=300)
        kill_tree(cluster.nodes[1])  # the worker node dies mid-trial
        wait_for(lambda: any(r[3] in ("passed", "failed") for r in rows()), "a finished trial", timeout=400)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        before = {(r[0], r[1], r[2]): r for r in rows() if r[3] in ("passed", "failed")}
        assert 1 <= len(before) < TRIALS

        again = driver()
        out, err = again.communicate(timeout=600)
        assert again.returncode == 0, err

        # Ctrl-C (SIGINT to the driver's process group, as a terminal sends it) while the trial's agent runs
        interrupted = driver("interrupted", [f"script:{AGENTS / 'sleeper.sh'}"])
        wait_for(lambda: _running_trial(head_scratch) and _sleepers(cluster.nodes[0]), "the sleeper running",
                 timeout=300)
        os.killpg(interrupted.pid, signal.SIGINT)
        _, interrupted_err = interrupted.communicate(timeout=120)
        assert interrupted.returncode == 130, interrupted_err
        wait_for(lambda: not _sleepers(cluster.nodes[0]), "the cancelled trial's processes to die", timeout=60)
        assert [r[3] for r in rows("interrupted")] == ["cancelled"]
    finally:
        cluster.stop()

    recorded = rows()
    assert len(recorded) == TRIALS == len({(r[0], r[1], r[2]) for r in recorded})
    assert sorted((r[0], r[3]) for r in recorded) == [("oracle", "passed"), (AGENT_LIST[1], "failed")], recorded
    # The first driver sees the lost trial as an infrastructure retry (attempts 2) only when Ray reports the node
    # dead before that driver is killed; otherwise the resumed driver runs it afresh. Either way it is recorded once
    # (above) and never as the agent's failure (the statuses above).
    for key, row in before.items():  # finished before the driver died: kept, never run again
        assert (key, row[6]) in {((r[0], r[1], r[2]), r[6]) for r in recorded}
    assert f"{len(before)} trials were already finished" in err
    assert {t["instance"] for t in json.loads(out)["trials"]} == {"other/league_table@0"}
    for *_, attempts, run_dir, _finished, _error in recorded:
        assert run_dir.startswith(f"s3://{BUCKET}/runs/cluster/")
        for name in RUN_DIR_FILES:
            assert fs.exists(f"{run_dir.removeprefix('s3://')}/{name}"), f"{run_dir}/{name} is missing"
        stored = json.loads(fs.cat(f"{run_dir.removeprefix('s3://')}/trial.json"))
        assert stored["attempts"] == attempts and stored["run_dir"] == run_dir
