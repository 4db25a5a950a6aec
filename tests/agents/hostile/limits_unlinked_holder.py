#!/usr/bin/env python3
"""Solve the task, then take 400 MB of disk in files it unlinks at once but keeps open: no directory
walk sees them."""
import os

with open(os.path.join(os.environ["ALE_INPUT_DIR"], "text.txt")) as text:
    words = len(text.read().split())
with open(os.path.join(os.environ["ALE_OUTPUT_DIR"], "count.txt"), "w") as out:
    out.write(f"{words}\n")
held = []
for i in range(50):
    path = os.path.join(os.environ["HOME"], f"held{i}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, os.urandom(8 << 20))
    os.unlink(path)
    held.append(fd)
with open(os.path.join(os.environ["ALE_OUTPUT_DIR"], "held.txt"), "w") as out:
    out.write("held 400 MB\n")
os.system("sleep 60")
