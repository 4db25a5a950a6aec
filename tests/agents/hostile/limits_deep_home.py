#!/usr/bin/env python3
"""Solve the task, then write 400 MB under a home directory nested so deep (four-byte names) that its
host path passes the kernel's path limit."""
import os

with open(os.path.join(os.environ["ALE_INPUT_DIR"], "text.txt")) as text:
    words = len(text.read().split())
with open(os.path.join(os.environ["ALE_OUTPUT_DIR"], "count.txt"), "w") as out:
    out.write(f"{words}\n")
os.chdir(os.environ["HOME"])
for _ in range(20):
    os.mkdir("\U0001F600" * 63)
    os.chdir("\U0001F600" * 63)
for i in range(50):
    with open(f"blob{i}", "wb") as blob:
        blob.write(os.urandom(8 << 20))
with open(os.path.join(os.environ["ALE_OUTPUT_DIR"], "deep.txt"), "w") as out:
    out.write("wrote 400 MB deep\n")
