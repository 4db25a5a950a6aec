#!/usr/bin/env python3
"""Solve the task, then fork sleeping children until fork fails, and report how many processes it had."""

import os
import time
from pathlib import Path

output = os.environ["ALE_OUTPUT_DIR"]
text = Path(os.environ["ALE_INPUT_DIR"], "text.txt").read_text()
Path(output, "count.txt").write_text(f"{len(text.split())}\n")  # solved: only the limit can fail it
children = 0
for _ in range(5000):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    children += 1
with open(os.path.join(output, "processes.txt"), "w") as handle:
    handle.write(f"{children + 1}\n")
