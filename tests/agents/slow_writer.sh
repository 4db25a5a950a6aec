#!/usr/bin/env bash
# A well-behaved but slow agent for the crash and resume tests.
sleep 1.5
echo "team" > "$ALE_OUTPUT_DIR/standings.csv"
