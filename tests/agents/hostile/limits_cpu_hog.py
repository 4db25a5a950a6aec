#!/usr/bin/env python3
"""Solve the task, then burn CPU in two processes for two seconds and report the CPU time it got."""

import os
import time
from multiprocessing import Process
from pathlib import Path

output = os.environ["ALE_OUTPUT_DIR"]
text = Path(os.environ["ALE_INPUT_DIR"], "text.txt").read_text()
Path(output, "count.txt").write_text(f"{len(text.split())}\n")  # solved: only the limit can fail it


def spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


began = time.monotonic()
workers = [Process(target=spin, args=(2.0,)) for _ in range(2)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
times = os.times()
with open(os.path.join(output, "cpu.txt"), "w") as handle:
    handle.write(f"{times.children_user + times.children_system:.3f} {time.monotonic() - began:.3f}\n")
