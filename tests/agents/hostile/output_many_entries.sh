#!/usr/bin/env bash
# Leaves 30,000 files in its output beside a deliverable, to bloat the run directory.
echo "team,played" > "$ALE_OUTPUT_DIR/standings.csv"
mkdir -p "$ALE_OUTPUT_DIR/spam" && cd "$ALE_OUTPUT_DIR/spam" && seq 1 30000 | xargs touch
