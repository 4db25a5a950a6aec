#!/usr/bin/env python3
"""Solve the task, then burn CPU in two processes for two seconds and report the CPU time it got."""

import os
import time
from multiprocessing import Process

output = os.environ["ALE_OUTPUT_DIR"]
words = open(os.path.join(os.environ["ALE_INPUT_DIR"], "text.txt")).read().split()
with open(os.path.join(output, "count.txt"), "w") as handle:
    handle.write(f"{len(words)}\n")


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
