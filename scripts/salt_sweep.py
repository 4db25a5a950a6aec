"""Do salted instances differ? Materialize every variant under two salts and compare them.

A salted instance is only secret if its generator draws it from the seed: a task whose reference comes
out the same under two salts can be answered by anyone who ran the public instance. For each variant
this prints how much of the generated inputs and of the reference is the same under both salts (the
share of JSON leaves or text lines found in both, or of whole files for binary ones; files copied from the package's
``data/`` and the canary are left out, being the same by design), and the file that changed least.

Exit status 1 when any variant's generator fails under a salt, or its reference or generated inputs
are byte-for-byte the same under both salts; a high share that is not total is printed for a reader to judge (some lines, such as headers or
a fixed device description, are rightly the same).

Usage: .venv/bin/python scripts/salt_sweep.py [--tasks-dir tasks] [--flag 0.8] [TASK_ID ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lastexam.tasks.canary import CANARY_FILE
from lastexam.tasks.instance import Instance, instances_of
from lastexam.tasks.loader import Task, discover_tasks

SALTS = ("salt-sweep-a", "salt-sweep-b")
TEXT_LIMIT = 20_000_000
"""Larger files are compared whole, not line by line."""


@dataclass(frozen=True)
class Sameness:
    """How much of one directory tree is the same under two salts."""

    share: float
    """Of all JSON leaves, text lines and binary files under either salt, the share found under both; 0 for no files."""
    identical: bool
    """Every file is byte-for-byte the same (and there is at least one)."""
    least_changed: str
    """The file with the highest share of unchanged content ('' for no files)."""


def _leaves(value: object, path: str = "") -> list[str]:
    """A JSON document as ``path=value`` lines, one per leaf, so that layout does not count as content."""
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, f"{path}/{key}")]
    if isinstance(value, list):
        return [leaf for i, item in enumerate(value) for leaf in _leaves(item, f"{path}/{i}")]
    return [f"{path}={json.dumps(value)}"]


def _units(name: str, data: bytes) -> Counter[bytes]:
    """A file's comparable units: a JSON file's leaves, a text file's lines, else the file itself."""
    if len(data) > TEXT_LIMIT or b"\0" in data[:8192]:
        return Counter([data])
    if name.endswith(".json"):
        try:
            return Counter(leaf.encode() for leaf in _leaves(json.loads(data)))
        except (json.JSONDecodeError, UnicodeDecodeError):
            pass
    return Counter(data.splitlines())


def _files(root: Path, skip: frozenset[str] | set[str]) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != CANARY_FILE and str(p.relative_to(root)) not in skip
    }


def compare_trees(a: Path, b: Path, skip: frozenset[str] | set[str] = frozenset()) -> Sameness:
    """Compare two materialized trees, leaving out the relative paths in ``skip``."""
    files_a, files_b = _files(a, skip), _files(b, skip)
    same = total = 0
    least, least_share = "", -1.0
    for name in sorted(set(files_a) | set(files_b)):
        units_a, units_b = _units(name, files_a.get(name, b"")), _units(name, files_b.get(name, b""))
        both = sum((units_a & units_b).values())
        size = max(sum(units_a.values()), sum(units_b.values()), 1)
        same, total = same + both, total + size
        if both / size > least_share:
            least, least_share = name, both / size
    identical = bool(files_a) and files_a == files_b
    return Sameness(same / total if total else 0.0, identical, least)


def _static_inputs(task: Task) -> set[str]:
    """The inputs copied verbatim from the package's ``data/``: the same for every seed by design."""
    if not task.data_dir.is_dir():
        return set()
    return {str(p.relative_to(task.data_dir)) for p in task.data_dir.rglob("*") if p.is_file()}


def sweep_variant(instance: Instance, workdir: Path) -> tuple[Sameness, Sameness]:
    """(inputs, reference) sameness of one variant under the two ``SALTS``."""
    for salt in SALTS:
        instance.salted(salt).materialize(workdir / salt / "inputs", workdir / salt / "reference")
    a, b = (workdir / salt for salt in SALTS)
    return (compare_trees(a / "inputs", b / "inputs", _static_inputs(instance.task)),
            compare_trees(a / "reference", b / "reference"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task_ids", nargs="*", help="task ids (cluster/task); all tasks when none")
    parser.add_argument("--tasks-dir", type=Path, default=Path("tasks"))
    parser.add_argument("--flag", type=float, default=0.8, help="print REVIEW at or above this reference share")
    args = parser.parse_args(argv)
    tasks = [t for t in discover_tasks(args.tasks_dir) if not args.task_ids or t.id in args.task_ids]
    unknown = set(args.task_ids) - {t.id for t in tasks}
    if unknown:
        parser.error(f"no task package for {', '.join(sorted(unknown))} under {args.tasks_dir}")
    failed = 0
    print(f"{'variant':<48} {'inputs same':>11} {'ref same':>9}  verdict   least-changed reference file")
    for task in tasks:
        for instance in instances_of(task):
            with tempfile.TemporaryDirectory(prefix="ale-salt-sweep-") as tmp:
                try:
                    inputs, reference = sweep_variant(instance, Path(tmp))
                except Exception as exc:  # a generator that fails on some seed is a finding, not a stop
                    failed += 1
                    print(f"{instance.id:<48} {'':>11} {'':>9}  ERROR     {type(exc).__name__}: {exc}", flush=True)
                    continue
            if inputs.identical or reference.identical:
                verdict, failed = "SAME", failed + 1
            else:
                verdict = "REVIEW" if reference.share >= args.flag else "ok"
            print(f"{instance.id:<48} {inputs.share:>11.0%} {reference.share:>9.0%}  {verdict:<8}  "
                  f"{reference.least_changed}", flush=True)
    print(f"{failed} variant(s) failed or the same under two salts" if failed else "every variant differs under two salts")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
