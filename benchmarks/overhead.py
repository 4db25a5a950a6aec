"""The harness's own cost per trial: the nop agent on the smoke suite, from materialization to
the recorded row, beside the bare cost of starting an empty bubblewrap sandbox in the same run.

    .venv/bin/python benchmarks/overhead.py [--trials 120] [--jobs 1] [--suite smoke]

Prints the median and 95th percentile of both, and their ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from lastexam.runner.config import ExperimentConfig
from lastexam.runner.experiment import plan_instances, run_experiment
from lastexam.store.db import ResultsStore

REPO = Path(__file__).resolve().parents[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def phase_times(run_dirs: list[Path]) -> dict[str, list[float]]:
    """Seconds between consecutive events of each trial, by the event that ends the phase."""
    phases: dict[str, list[float]] = {}
    for run_dir in run_dirs:
        events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
        times = [dt.datetime.fromisoformat(e["time"]) for e in events]
        for before, after, event in zip(times, times[1:], events[1:], strict=False):
            phases.setdefault(event["event"], []).append((after - before).total_seconds())
    return phases


def bare_bwrap(samples: int) -> list[float]:
    command = ["bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin",
               "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--proc", "/proc",
               "--dev", "/dev", "--", "true"]
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        subprocess.run(command, check=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=120)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--suite", default="smoke")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ale-overhead-") as scratch:
        probe = ExperimentConfig(agents=["nop"], selectors=[f"suite:{args.suite}"], tasks_dir=REPO / "tasks")
        per_epoch = len(plan_instances(probe, problems=[]))
        epochs = max(1, -(-args.trials // per_epoch))
        config = probe.model_copy(update={"name": "overhead", "epochs": epochs, "jobs": args.jobs,
                                          "results_dir": Path(scratch)})
        started = time.perf_counter()
        run_experiment(config)
        wall = time.perf_counter() - started
        rows = ResultsStore(config.resolved_db_url).trial_rows()
        # The first trial also starts the grader fork server: a once-per-run cost, reported apart.
        durations = [r["duration_sec"] for r in rows[1:]]
        phases = phase_times([Path(r["run_dir"]) for r in rows[1:]])
    bare = bare_bwrap(len(durations))
    print(f"trials: {len(rows)} (nop on suite:{args.suite}, {per_epoch} instances x {epochs} epochs, jobs {args.jobs})")
    print(f"first trial (starts the grader fork server): {rows[0]['duration_sec']:.3f} s")
    print(f"harness per trial:   median {statistics.median(durations):.3f} s   p95 {percentile(durations, 0.95):.3f} s")
    print(f"empty bwrap sandbox: median {statistics.median(bare):.4f} s   p95 {percentile(bare, 0.95):.4f} s")
    print(f"ratio of medians: {statistics.median(durations) / statistics.median(bare):.1f}x")
    for phase, times in phases.items():
        print(f"  phase {phase:<14} median {statistics.median(times):.3f} s   p95 {percentile(times, 0.95):.3f} s")
    print(f"wall time for all trials: {wall:.1f} s ({wall / len(rows):.3f} s per trial)")


if __name__ == "__main__":
    main()
