#!/usr/bin/env bash
# Nests 3,000 directories (Python's recursive walkers and removers fail on that) beside a deliverable.
echo "team,played" > "$ALE_OUTPUT_DIR/standings.csv"
python3 -c '
import os
os.chdir(os.environ["ALE_OUTPUT_DIR"])
for _ in range(3000):
    os.mkdir("d")
    os.chdir("d")
open("bottom.txt", "w").write("deep\n")
'
