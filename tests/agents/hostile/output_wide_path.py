#!/usr/bin/env python3
"""Nests directories named with four-byte characters: 1,008 characters of path, about 4,000 bytes,
past the kernel's limit once under the host's run directory."""
import os

out = os.environ["ALE_OUTPUT_DIR"]
with open(os.path.join(out, "standings.csv"), "w") as handle:
    handle.write("team,played\n")
os.chdir(out)
for _ in range(16):
    os.mkdir("\U0001F600" * 62)
    os.chdir("\U0001F600" * 62)
with open("leaf.txt", "w") as handle:
    handle.write("deep\n")
