"""What a desktop costs a sandbox command: the time until it is usable (Xvfb accepting clients, the window
manager up, a computer tool answering), beside the same sandbox without a display.

    .venv/bin/python benchmarks/desktop_start.py [--samples 10] [--size 1280x800] [--no-cgroup]

Each sample is one command in a fresh sandbox, timed from its start to the moment its program has run
(read from /proc/uptime inside): with the display, ``ale-computer cursor_position`` on a fresh desktop;
without, nothing. Prints the median and 95th percentile of both and of their difference, the desktop's
start-up cost, and the load average: sandboxes share one cgroup parent's CPU share, so a loaded machine
slows them far more than its other processes (``--no-cgroup`` measures the desktop itself).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from lastexam.contracts.sandbox import Limits
from lastexam.sandbox import BwrapSandbox, new_workspace


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def uptime() -> float:
    return float(Path("/proc/uptime").read_text().split()[0])


def sample(display: str | None, logs: Path, use_cgroup: bool) -> float:
    """Seconds from the start of a sandbox command until its program has run (on a usable desktop)."""
    work = "ale-computer cursor_position >/dev/null && " if display else ""
    argv = ["sh", "-c", work + "cat /proc/uptime"]
    with BwrapSandbox(new_workspace(), Limits(), display=display, use_cgroup=use_cgroup) as sandbox:
        started = uptime()
        result = sandbox.exec_sync(argv, timeout=120, stdout=logs / "out", stderr=logs / "err")
        ready = float((logs / "out").read_text().split()[0])
        (logs / "out").unlink()
    if result.returncode != 0:
        raise SystemExit(f"the command failed ({result}): {(logs / 'err').read_text()}")
    return ready - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--size", default="1280x800")
    parser.add_argument("--no-cgroup", action="store_true", help="sandboxes without a cgroup of their own")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        logs = Path(scratch)
        bare = [sample(None, logs, not args.no_cgroup) for _ in range(args.samples)]
        desktop = [sample(args.size, logs, not args.no_cgroup) for _ in range(args.samples)]
    cost = [d - b for d, b in zip(sorted(desktop), sorted(bare), strict=True)]
    for name, values in (("sandbox command, no display", bare), (f"same, on a {args.size} desktop", desktop),
                         ("desktop start-up cost", cost)):
        print(f"{name:32s} median {statistics.median(values):6.3f} s   p95 {percentile(values, 0.95):6.3f} s")
    print(f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])} on {os.cpu_count()} cores"
          + (", sandboxes without cgroups" if args.no_cgroup else ""))


if __name__ == "__main__":
    main()
