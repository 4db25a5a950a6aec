#!/usr/bin/env python3
"""Solve the task, stop the sandbox's namespace init (ptrace attach and SIGSTOP), leave a sleeper, never exit."""

import ctypes
import os
import signal
import subprocess
import time
from pathlib import Path

output = os.environ["ALE_OUTPUT_DIR"]
text = Path(os.environ["ALE_INPUT_DIR"], "text.txt").read_text()
Path(output, "count.txt").write_text(f"{len(text.split())}\n")  # solved: only the limit can fail it
PTRACE_ATTACH = 16
libc = ctypes.CDLL(None, use_errno=True)
attached = libc.ptrace(PTRACE_ATTACH, 1, None, None)
with open(os.path.join(output, "stop_init.txt"), "w") as report:
    report.write(f"ptrace attach to init: {attached} errno {ctypes.get_errno()}\n")
    try:
        os.kill(1, signal.SIGSTOP)
        report.write("SIGSTOP sent to init\n")
    except OSError as exc:
        report.write(f"SIGSTOP refused: {exc}\n")
subprocess.Popen(["setsid", "sh", "-c", "trap '' HUP TERM INT; sleep 1000; echo LIMITS-STOP-INIT"],
                 start_new_session=True)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True:
    time.sleep(1)
