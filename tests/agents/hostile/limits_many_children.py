#!/usr/bin/env python3
"""Solve the task, then hold memory in several children, each under the per-process address-space cap."""

import os
import subprocess
import sys
import time
from pathlib import Path

output = os.environ["ALE_OUTPUT_DIR"]
text = Path(os.environ["ALE_INPUT_DIR"], "text.txt").read_text()
Path(output, "count.txt").write_text(f"{len(text.split())}\n")  # solved: only the limit can fail it
child = ("import sys, time\nblock = bytearray(150 << 20)\nblock[::4096] = b'x' * len(block[::4096])\n"
         "open(sys.argv[1], 'w').write('held')\ntime.sleep(4)\nopen(sys.argv[1], 'w').write('held through')\n")
children = [subprocess.Popen([sys.executable, "-c", child, os.path.join(output, f"child{i}.txt")]) for i in range(4)]
for process in children:
    process.wait()
time.sleep(0.2)
