"""Scale benchmark for the report and the viewer: 1,000,000 trials in a real results database.

Builds a synthetic SQLite results database (bulk inserts through SQLAlchemy core into the real
schema: experiments, trials with the failure category and run facts the store records with each,
and checks), then times

* the full report (``lastexam.analysis.report.build_report``: grouped queries that only read), three
  times in a row in one process: the first run is cold for SQLite's page cache in this process (the
  operating system's file cache may be warm), the others warm;
* the viewer's pages over HTTP against uvicorn on 127.0.0.1: the leaderboard, the trials list
  (first page, filtered, sorted, deep pages), the score grid, a transcript search and a trial page.

Usage: python benchmarks/report_scale.py [--trials 1000000] [--dir /tmp/ale-bench] [--rebuild]
Prints one line per figure, wall and CPU time. Targets: report under 5 s, each page under 0.3 s.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
from sqlalchemy import func, insert, select

from lastexam.analysis.facts import failure_categories
from lastexam.analysis.report import ReportOptions, build_report
from lastexam.store.db import ResultsStore, checks, experiments, trials

HARNESSES = ("llm", "claude-code", "codex", "aider")
MODELS = ("alpha-1", "beta-2", "gamma-3", "delta-4", "epsilon-5")
TIERS = ("near-term", "full-spectrum", "last-exam")
CLUSTERS = {"business_finance": ("accounting", "finance"), "engineering": ("electronics", "structures"),
            "life_sciences": ("genomics", "imaging"), "visual_media": ("audio_music", "video"),
            "computing_math": ("optimization", "data")}
CHECK_NAMES = ("required files", "schema", "totals reconcile", "values within tolerance", "report consistent")
EPOCHS = 5
VARIANTS = 5
BATCH = 50_000


def build_database(root: Path, n_trials: int) -> ResultsStore:
    """A results database of ``n_trials`` trials: 20 agents (4 harnesses x 5 models) x instances x 5 epochs,
    with 5 checks per graded trial; a few trials get a real run directory for the trial page."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    store = ResultsStore(f"sqlite:///{root / 'ale.db'}")
    rng = np.random.default_rng(7)
    agents = [f"{h}:{m}" for h in HARNESSES for m in MODELS]
    n_instances = max(1, n_trials // (len(agents) * EPOCHS))
    n_tasks = max(1, n_instances // VARIANTS)
    cluster_names = list(CLUSTERS)
    task_cluster = rng.integers(0, len(cluster_names), n_tasks)
    task_sub = rng.integers(0, 2, n_tasks)
    task_tier = rng.integers(0, len(TIERS), n_tasks)
    task_difficulty = rng.normal(0, 1.5, n_tasks)
    harness_skill = {h: rng.normal(0, 0.4) for h in HARNESSES}
    model_skill = {m: rng.normal(0, 1.0) for m in MODELS}
    started = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with store.transaction() as conn:
        conn.execute(insert(experiments), [{"name": f"bench-{i}", "created_at": started, "config": {"epochs": EPOCHS}}
                                           for i in range(2)])
    trial_id = 0
    total = len(agents) * n_instances * EPOCHS
    rows: list[dict] = []
    check_rows: list[dict] = []
    begun = time.perf_counter()

    def flush() -> None:
        with store.transaction() as conn:
            conn.execute(insert(trials), rows)
            if check_rows:
                conn.execute(insert(checks), check_rows)
        rows.clear()
        check_rows.clear()

    for a, agent in enumerate(agents):
        harness, model = agent.split(":")
        skill = harness_skill[harness] + model_skill[model]
        for instance in range(n_instances):
            task = instance // VARIANTS
            cluster = cluster_names[task_cluster[task]]
            logit = skill - task_difficulty[task] - 0.6 * task_tier[task]
            p_pass = 1 / (1 + np.exp(-logit))
            draws = rng.random((EPOCHS, 4))
            for epoch in range(1, EPOCHS + 1):
                trial_id += 1
                u = draws[epoch - 1]
                status = "infra_error" if u[1] < 0.01 else ("passed" if u[0] < p_pass else "failed")
                outcome = None if status == "infra_error" else ("timeout" if u[2] < 0.05 else "completed")
                passed = status == "passed"
                gate_fail = status == "failed" and u[3] < 0.3
                score = 1.0 if passed else (0.0 if gate_fail or status == "infra_error" else float(u[3]))
                duration = 60 + 600 * u[2]
                cost = 0.0 if harness == "llm" and model == "alpha-1" else round(0.05 + 2 * u[3] * (1 + a % 5), 4)
                output_files = 0 if gate_fail and u[2] < 0.5 else 2
                rows.append({
                    "id": trial_id, "experiment_id": 1 + (epoch > 3), "agent": agent,
                    "instance": f"{cluster}/task_{task:05d}@{instance % VARIANTS + 1}", "epoch": epoch,
                    "task_id": f"{cluster}/task_{task:05d}", "task_version": "1.0.0", "variant": instance % VARIANTS + 1,
                    "tier": TIERS[task_tier[task]], "cluster": cluster,
                    "subdomain": CLUSTERS[cluster][task_sub[task]], "status": status, "agent_outcome": outcome,
                    "score": score, "passed": passed, "attempts": 1, "error": "sandbox died" if outcome is None else None,
                    "started_at": started, "finished_at": started + dt.timedelta(seconds=duration),
                    "duration_sec": duration, "agent_sec": duration - 5, "grade_sec": 2.0,
                    "input_tokens": 100_000, "output_tokens": 5_000, "cached_tokens": 50_000, "cache_write_tokens": 0,
                    "cost_usd": cost, "model_sec": duration / 2, "turns": 30,
                    "run_dir": str(root / "runs" / f"t{trial_id}"),
                    # as the store records them for a task that declares no executables (software use unknown)
                    "category": failure_categories([status], [outcome], [score], [gate_fail], [output_files])[0],
                    "output_files": output_files, "tool_calls": 30, "software": "unknown", "software_basis": "",
                })
                failed_names = []
                if status != "infra_error":
                    for c, name in enumerate(CHECK_NAMES):
                        ok = passed or (c > 1 and u[3] > 0.2 * c) or (c <= 1 and not gate_fail)
                        if not ok:
                            failed_names.append(name)
                        check_rows.append({"trial_id": trial_id, "name": name, "weight": 1.0, "score": float(ok),
                                           "passed": ok, "gate": c <= 1, "expected": None, "found": None,
                                           "reason": "" if ok else "mismatch"})
                rows[-1]["failed_checks"] = "\n".join(sorted(failed_names))
                if len(rows) >= BATCH:
                    flush()
                    print(f"  inserted {trial_id:,}/{total:,} trials ({time.perf_counter() - begun:.0f} s)",
                          file=sys.stderr)
    if rows:
        flush()
    _write_run_dirs(store, root)
    return store


def _write_run_dirs(store: ResultsStore, root: Path) -> None:
    """Real run directories for the first trials (the ones the trial page is timed on)."""
    with store.engine.connect() as conn:
        sample = conn.execute(select(trials.c.id, trials.c.run_dir, trials.c.status).order_by(trials.c.id).limit(20)).all()
    for row in sample:
        run = Path(row.run_dir)
        (run / "output").mkdir(parents=True)
        (run / "private" / "reference").mkdir(parents=True)
        steps = [{"step_id": 1, "source": "user", "message": "Reconcile the ledger."}]
        for i in range(2, 60):
            steps.append({"step_id": i, "source": "agent", "message": f"step {i}", "reasoning_content": "thinking " * 20,
                          "tool_calls": [{"tool_call_id": f"c{i}", "function_name": "exec",
                                          "arguments": {"command": f"python3 work.py --step {i}"}}],
                          "observation": {"results": [{"source_call_id": f"c{i}", "content": "ok\n" * 30}]}})
        (run / "trajectory.json").write_text(json.dumps({"schema_version": "ATIF-v1.7", "session_id": "s",
                                                         "agent": {"name": "llm", "version": "1"}, "steps": steps}))
        table = "\n".join(f"row{i},{i * 3.5}" for i in range(500))
        (run / "output" / "result.csv").write_text("key,value\n" + table)
        (run / "private" / "reference" / "result.csv").write_text("key,value\n" + table.replace("3.5", "3.25"))
        (run / "grade.json").write_text("{}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[float, int]:
    begun = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        body = response.read()
    return time.perf_counter() - begun, len(body)


def time_viewer(root: Path, db_url: str) -> None:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "lastexam.cli", "view", "--db", db_url, "--results-dir", str(root),
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                _get(base + "/healthz")
                break
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the viewer did not start")
            time.sleep(0.2)
        cold, _ = _get(base + "/")
        print(f"viewer leaderboard, first request (computes the report): {cold:.2f} s")
        pages = {
            "leaderboard": "/",
            "trials, first page": "/trials",
            "trials, filtered (agent+tier+status)": "/trials?agent=codex%3Agamma-3&tier=last-exam&status=failed",
            "trials, filtered (task)": "/trials?task=engineering%2Ftask_00042",
            "trials, numbered page 10,001 (LIMIT/OFFSET 500,000)": "/trials?page=10001",
            "trials, keyset page after id 900,000": "/trials?after=900000",
            "trials, sorted by score (descending), page 3": "/trials?sort=score&order=desc&page=3",
            "trials, filtered (failure category)": "/trials?category=gate_failed",
            "trials, filtered (score range, task prefix)": "/trials?score_min=0.2&score_max=0.8&task=engineering%2F",
            "score grid (first experiment)": "/grid",
            "transcript search (capped)": "/search?q=needle-not-found",
            "trial page (60 steps, 5 checks, diff)": "/trials/1",
        }
        for label, path in pages.items():
            times = [_get(base + path)[0] for _ in range(5)]
            print(f"viewer {label}: median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/ale-bench"))
    parser.add_argument("--rebuild", action="store_true", help="Rebuild the database even if one of the right size exists.")
    args = parser.parse_args()
    db_url = f"sqlite:///{args.dir / 'ale.db'}"
    store = ResultsStore(db_url) if (args.dir / "ale.db").exists() and not args.rebuild else None
    if store is not None:
        with store.engine.connect() as conn:
            have = conn.execute(select(func.count()).select_from(trials)).scalar_one()
            recorded = conn.execute(select(func.count()).where(trials.c.category.is_not(None))).scalar_one()
        if abs(have - args.trials) > args.trials // 100 or recorded != have:
            store = None
    if store is None:
        begun = time.perf_counter()
        store = build_database(args.dir, args.trials)
        print(f"built {args.trials:,} trials in {time.perf_counter() - begun:.1f} s")
    with store.engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(trials)).scalar_one()
        n_checks = conn.execute(select(func.count()).select_from(checks)).scalar_one()
    print(f"database: {n:,} trials, {n_checks:,} checks ({args.dir / 'ale.db'}); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for run in range(3):
        begun, cpu = time.perf_counter(), time.process_time()
        report = build_report(store, ReportOptions(pairs=True))
        print(f"report run {run + 1} ({report.inspected_trials:,} run directories read): "
              f"{time.perf_counter() - begun:.2f} s wall, {time.process_time() - cpu:.2f} s CPU "
              f"({len(report.leaderboard)} agents, {report.instances:,} instances, "
              f"{len(report.comparisons)} paired comparisons, all pairs)")
    time_viewer(args.dir, db_url)


if __name__ == "__main__":
    main()
