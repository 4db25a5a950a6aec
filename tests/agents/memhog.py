#!/usr/bin/env python3
"""Allocates memory until something stops it; records how far it got."""
import os

chunks = []
out = os.path.join(os.environ["ALE_OUTPUT_DIR"], "memhog.txt")
try:
    for i in range(64):
        chunks.append(bytearray(256 * 1024 * 1024))
        with open(out, "w") as handle:
            handle.write(f"{(i + 1) * 256} MB\n")
except MemoryError:
    with open(out, "a") as handle:
        handle.write("MemoryError\n")
    raise
