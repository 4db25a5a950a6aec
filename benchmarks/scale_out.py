"""Trials per minute of oracle and nop on the smoke suite: the local executor, Ray with one node and Ray with
two nodes on this machine, each node holding one sandbox; the scheduler's overhead per trial; the scaling
efficiency from one Ray node to two.

    .venv/bin/python benchmarks/scale_out.py [--tasks suite:smoke@0] [--agents oracle,nop]

Each configuration runs the same experiment afresh (its own SQLite file and run directories; Ray publishes
run directories to a file:// artifacts directory). Trials per minute = trials / wall seconds of the whole
experiment (the instances' generation included). Overhead per trial = wall x trials at once / trials, minus
the mean trial duration that the trials themselves record (planning, dispatch, publishing, recording).
Scaling efficiency = (rate with two nodes / rate with one) / 2. On one machine two nodes share its cores:
the efficiency measures the executor's overhead, not a real cluster's speed-up.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lastexam.runner.config import ExperimentConfig
from lastexam.runner.executor import Executor, LocalExecutor
from lastexam.runner.experiment import run_experiment

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from raycluster import Cluster


def measure(label: str, root: Path, selectors: list[str], agents: list[str], executor: Executor,
            slots: int) -> dict[str, float]:
    """Run the experiment once on ``executor``; its rate, overhead per trial and trial count."""
    where = root / label.replace(" ", "-")
    config = ExperimentConfig(name="scale-out", agents=agents, selectors=selectors, results_dir=where, retries=0,
                              artifacts=f"file://{where / 'shared'}")
    begun = time.monotonic()
    outcome = run_experiment(config, executor=executor)
    wall = time.monotonic() - begun
    trials = len(outcome.recorded)
    durations = [r.duration_seconds for r in outcome.recorded]
    statuses = {s: sum(r.status == s for r in outcome.recorded) for s in ("passed", "failed", "infra_error")}
    overhead = wall * slots / trials - statistics.mean(durations)
    print(f"{label:<14} {trials:>3} trials  {wall:7.1f} s  {60 * trials / wall:6.2f} trials/min  "
          f"mean trial {statistics.mean(durations):6.1f} s  overhead/trial {overhead:6.2f} s  {statuses}", flush=True)
    if statuses["infra_error"]:  # a rate over trials the harness failed measures nothing
        first = next(r.error for r in outcome.recorded if r.status == "infra_error")
        sys.exit(f"{label}: {statuses['infra_error']} infrastructure errors (first: {first}); no figure is valid")
    return {"rate": 60 * trials / wall, "overhead": overhead}


def on_ray(label: str, root: Path, nodes: int, selectors: list[str], agents: list[str]) -> dict[str, float]:
    """``measure`` on a fresh Ray cluster of ``nodes`` nodes of one sandbox each."""
    import ray

    from lastexam.runner.ray_executor import RayExecutor

    cluster = Cluster(root / label.replace(" ", "-"), dict(os.environ))
    cluster.root.mkdir()
    try:
        for n in range(nodes):
            cluster.start_node(f"node{n}")
            cluster.wait_for_nodes(n + 1)
        return measure(label, root, selectors, agents, RayExecutor(cluster.address), slots=nodes)
    finally:
        ray.shutdown()
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default="suite:smoke@0", help="instance selectors, comma-separated")
    parser.add_argument("--agents", default="oracle,nop", help="agents, comma-separated")
    args = parser.parse_args()
    selectors, agents = args.tasks.split(","), args.agents.split(",")
    root = Path(tempfile.mkdtemp(prefix="ale-scale-out-"))
    print(f"{args.tasks} x {args.agents}; results under {root}", flush=True)
    local = measure("local (1 job)", root, selectors, agents, LocalExecutor(1), slots=1)
    one = on_ray("ray 1 node", root, 1, selectors, agents)
    two = on_ray("ray 2 nodes", root, 2, selectors, agents)
    print(f"scaling efficiency, 1 -> 2 Ray nodes: {two['rate'] / one['rate'] / 2:.0%}; Ray's overhead per trial "
          f"beyond the local executor's: {one['overhead'] - local['overhead']:.2f} s")


if __name__ == "__main__":
    main()
