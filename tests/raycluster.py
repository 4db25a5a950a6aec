"""A real Ray cluster on this machine for tests and benchmarks: a head and worker nodes, each a ``ray start
--block`` process of its own with a node-local temporary directory, killed with everything they started."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

RAY = Path(sys.executable).with_name("ray")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """Every living process under ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, frontier = [], [pid]
    while frontier:
        found += (frontier := [c for p in frontier for c in children.get(p, [])])
    return found


def kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL a process and everything it started (a Ray node: raylet, workers, their sandboxes)."""
    for pid in [process.pid, *descendants(process.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=30)


def wait_for(condition: Callable[[], object], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


class Cluster:
    """A Ray head and worker nodes on this machine, each a ``ray start --block`` process of its own."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root, self.env = root, env
        # Ray's sockets live under its temporary directory, whose path must stay short (AF_UNIX: 107 bytes);
        # the nodes' own temporary directories (where sandboxes are made) must be reachable by a sandbox's uid.
        self.shared = Path(tempfile.mkdtemp(prefix="ale-cluster-", dir="/tmp"))
        self.shared.chmod(0o755)
        self.ray_temp = self.shared / "ray"
        self.port = free_port()
        self.nodes: list[subprocess.Popen] = []

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start_node(self, name: str, sandboxes: int = 1) -> Path:
        """Start a node that holds ``sandboxes`` trials at once; returns its node-local temporary directory
        (where its trials run)."""
        scratch = self.shared / name
        scratch.mkdir(mode=0o755)
        where = ["--head", "--port", str(self.port), "--temp-dir", str(self.ray_temp),
                 "--include-dashboard=false"] if not self.nodes else ["--address", self.address]
        command = [str(RAY), "start", "--block", "--disable-usage-stats", "--node-ip-address", "127.0.0.1", *where,
                   "--num-cpus", "2", "--memory", str(12 << 30), "--object-store-memory", "100000000",
                   "--resources", f'{{"sandbox": {sandboxes}}}']
        log = open(self.root / f"{name}.log", "w")  # noqa: SIM115 - the node writes to it until it is killed
        self.nodes.append(subprocess.Popen(command, env={**self.env, "TMPDIR": str(scratch)}, stdout=log,
                                           stderr=subprocess.STDOUT, start_new_session=True))
        return scratch

    def wait_for_nodes(self, count: int) -> None:
        probe = ("import ray, sys; ray.init(address=sys.argv[1], log_to_driver=False); "
                 "print(sum(1 for n in ray.nodes() if n['Alive']))")

        def alive() -> bool:
            done = subprocess.run([sys.executable, "-c", probe, self.address], capture_output=True, text=True,
                                  env=self.env)
            return done.returncode == 0 and done.stdout.strip().splitlines()[-1:] == [str(count)]

        wait_for(alive, f"{count} Ray nodes", timeout=120)

    def stop(self) -> None:
        for node in reversed(self.nodes):
            kill_tree(node)
        shutil.rmtree(self.shared, ignore_errors=True)
