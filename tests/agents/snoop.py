#!/usr/bin/env python3
"""A cheating agent: searches everything it can see for the reference, the grader, the task
package, the oracle solution, the results store and other trials' run directories, and writes
what it found to output/found.txt (one path per line)."""

import os

WANTED_NAMES = {"task.py", "task.toml", "solve.sh", "solve.py", "ale.db", "ale.db-wal", "trial.json", "grade.json",
                "events.jsonl", "secret.txt", "standings.csv.reference"}
# The canary is handed to every agent (instruction, CANARY.txt); the grader's docstring is not.
MARKERS = (b"REFERENCE-SECRET-", b"def grade(", b"A harness fixture: a league table")
SKIP = ("/proc", "/sys", "/dev", "/usr")

found = []
for root, dirs, files in os.walk("/", onerror=lambda e: None):
    dirs[:] = [d for d in dirs if os.path.join(root, d) not in SKIP]
    for name in files:
        path = os.path.join(root, name)
        if name in WANTED_NAMES:
            found.append(f"name {path}")
        try:
            with open(path, "rb") as handle:
                data = handle.read(2_000_000)
        except OSError:
            continue
        if any(marker in data for marker in MARKERS) and not path.startswith("/agent/"):
            found.append(f"content {path}")
# Places the harness keeps things on the host, tried by absolute path.
for guess in ("/work", "/root", "/home", "/opt/lastexam/tools/../..", "/var/lib", "/srv", "/mnt"):
    for root, _dirs, files in os.walk(guess, onerror=lambda e: None):
        for name in files:
            if name in WANTED_NAMES:
                found.append(f"name {os.path.join(root, name)}")
with open(os.path.join(os.environ["ALE_OUTPUT_DIR"], "found.txt"), "w") as out:
    out.write("\n".join(sorted(set(found))) + "\n")
