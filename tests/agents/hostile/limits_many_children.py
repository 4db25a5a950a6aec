#!/usr/bin/env python3
"""Solve the task, then hold memory in several children, each under the per-process address-space cap."""

import os
import subprocess
import sys
import time

output = os.environ["ALE_OUTPUT_DIR"]
words = open(os.path.join(os.environ["ALE_INPUT_DIR"], "text.txt")).read().split()
with open(os.path.join(output, "count.txt"), "w") as handle:
    handle.write(f"{len(words)}\n")
child = ("import sys, time\nblock = bytearray(150 << 20)\nblock[::4096] = b'x' * len(block[::4096])\n"
         "open(sys.argv[1], 'w').write('held')\ntime.sleep(4)\nopen(sys.argv[1], 'w').write('held through')\n")
children = [subprocess.Popen([sys.executable, "-c", child, os.path.join(output, f"child{i}.txt")]) for i in range(4)]
for process in children:
    process.wait()
time.sleep(0.2)
