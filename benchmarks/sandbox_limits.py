"""What the per-sandbox limits cost at start: a sandbox with its cgroup against one without.

    .venv/bin/python benchmarks/sandbox_limits.py [--runs 20]

Each run creates a sandbox (with or without its cgroup), runs ``true`` in it and closes it, so the
cgroup's whole life is counted: creation and limits, joining it before bwrap starts, the freeze
and kill at the end, and its removal. The two kinds alternate, so that load on the machine falls on
both alike. Prints the median seconds of each and the ratio with / without. Needs root for cgroups;
without them both columns measure the same thing, which it says.
"""

from __future__ import annotations

import argparse
import statistics
import time

from lastexam.contracts.sandbox import Limits
from lastexam.sandbox import BwrapSandbox, new_workspace


def one_run(use_cgroup: bool) -> tuple[float, bool]:
    """Seconds for one sandbox's whole life around ``true``, and whether it really had a cgroup."""
    began = time.perf_counter()
    with BwrapSandbox(new_workspace(), Limits(memory_mb=512), use_cgroup=use_cgroup) as sandbox:
        logs = sandbox.workspace.root
        result = sandbox.exec_sync(["true"], timeout=60, stdout=logs / "out", stderr=logs / "err")
        if result.returncode != 0:
            raise SystemExit(f"`true` failed in the sandbox: {result}; see {logs}")
        had_cgroup = sandbox.cgroup is not None
    return time.perf_counter() - began, had_cgroup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="sandboxes of each kind (default 20)")
    args = parser.parse_args()
    with_cgroup, without, cgroups = [], [], True
    one_run(True)  # warm the page cache and the sweep of stale directories
    for _ in range(args.runs):
        seconds, had = one_run(True)
        with_cgroup.append(seconds)
        cgroups = cgroups and had
        without.append(one_run(False)[0])
    a, b = statistics.median(with_cgroup), statistics.median(without)
    print(f"sandbox start+exec+close, median of {args.runs}: with cgroup {a * 1000:.1f} ms, "
          f"without {b * 1000:.1f} ms, ratio {a / b:.2f}")
    if not cgroups:
        print("no writable cgroup here (not root?): both columns ran without one")


if __name__ == "__main__":
    main()
