"""Do the adversaries stay below a full pass on salted instances? Run each one on fresh salts of every variant.

The validity gate runs adversaries on the public variants only. A generator that leaves one form of a case out
on some seeds (an extract without a duplicate, a batch where one kind of damage is never planted) lets a
shortcut pass there, and salted instances are what a private evaluation runs. For each task this runs the
oracle (the control), ``fabricate.py`` and every ``adversaries/`` script on ``--salts`` random salts per variant,
prints each adversary's highest score, and prints every full pass with the salt that reproduces it
(``ale run --salt SALT --agent script:PATH --tasks TASK@VARIANT``).

Exit status 1 when an adversary fully passes a salted instance or the oracle fails one; trials that end in an
infrastructure error are listed and leave the status alone.

Usage: .venv/bin/python scripts/adversary_sweep.py [--tasks-dir tasks] [--salts 3] [--salt S ...] [--jobs 2]
       [--adversary adversaries/NAME.py ...] [--results-dir DIR] TASK_ID ...
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from lastexam.contracts.trial import TrialResult
from lastexam.runner.config import ExperimentConfig
from lastexam.runner.experiment import run_experiment
from lastexam.runner.validate import adversaries_of
from lastexam.tasks.loader import Task, load_task

ORACLE = "oracle"


def sweep(tasks: list[Task], tasks_dir: Path, salts: list[str], results_dir: Path, jobs: int,
          adversary_names: list[str] | None = None) -> dict[str, list[tuple[str, TrialResult]]]:
    """Run the oracle and the tasks' adversaries (``adversary_names``: labels relative to the package, None: all)
    on every variant under each salt. Returns, per agent, (salt, trial) for every trial recorded."""
    # absolute, not resolved: many adversaries are links to one script that reads its shortcut from the name
    agents = [ORACLE] + [f"script:{path.absolute()}" for task in tasks for path in adversaries_of(task)
                         if adversary_names is None or str(path.relative_to(task.path)) in adversary_names]
    trials: dict[str, list[tuple[str, TrialResult]]] = defaultdict(list)
    for k, salt in enumerate(salts):
        config = ExperimentConfig(name=f"sweep-{k}", agents=agents, selectors=[task.id for task in tasks],
                                  jobs=jobs, results_dir=results_dir, tasks_dir=tasks_dir, salt=salt)
        for trial in run_experiment(config).recorded:
            trials[trial.key.agent].append((salt, trial))
    return trials


def report(trials: dict[str, list[tuple[str, TrialResult]]], tasks_dir: Path) -> int:
    """Print each agent's highest score, the full passes and the errors; 1 when an adversary passed or the oracle
    failed."""
    failed = False
    for agent, runs in sorted(trials.items(), key=lambda item: (item[0] != ORACLE, item[0])):
        graded = [(salt, t) for salt, t in runs if t.status != "infra_error"]
        name = agent if agent == ORACLE else str(Path(agent.removeprefix("script:")).relative_to(tasks_dir.resolve()))
        top = max((t.score for _, t in graded), default=float("nan"))
        print(f"{name}: {len(graded)} graded, highest {top:.3f}")
        for salt, t in runs:
            wrong = (not t.passed) if agent == ORACLE else t.passed
            if t.status == "infra_error":
                print(f"  infra_error {t.key.instance} --salt {salt}: {t.error}")
            elif wrong:
                failed = True
                what = "oracle FAILED" if agent == ORACLE else "FULL PASS"
                print(f"  {what} {t.key.instance} score {t.score:.3f}: ale run --salt {salt} --agent {agent} "
                      f"--tasks {t.key.instance}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task_ids", nargs="+", help="task ids (cluster/task)")
    parser.add_argument("--tasks-dir", type=Path, default=Path("tasks"))
    parser.add_argument("--salts", type=int, default=3, help="random salts to draw (with none given by --salt)")
    parser.add_argument("--salt", action="append", default=[], help="a salt to run (repeatable): reproduces a sweep")
    parser.add_argument("--adversary", action="append", help="adversaries/NAME.py (repeatable; default: all)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--results-dir", type=Path, help="keep the runs here (default: a temporary directory)")
    args = parser.parse_args(argv)
    tasks_dir = args.tasks_dir.resolve()
    tasks = [load_task(tasks_dir / task_id) for task_id in args.task_ids]
    salts = args.salt or [f"sweep-{secrets.token_hex(6)}" for _ in range(args.salts)]
    with tempfile.TemporaryDirectory(prefix="ale-sweep-") as scratch:
        results_dir = args.results_dir or Path(scratch)
        trials = sweep(tasks, tasks_dir, salts, results_dir, args.jobs, args.adversary)
        return report(trials, tasks_dir)


if __name__ == "__main__":
    sys.exit(main())
