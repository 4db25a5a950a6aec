#!/usr/bin/env bash
# Builds a path of over 2,000 characters in its output (long names, a few levels deep).
echo "team,played" > "$ALE_OUTPUT_DIR/standings.csv"
name=$(printf 'n%.0s' $(seq 1 250))
cd "$ALE_OUTPUT_DIR"
for _ in $(seq 1 9); do mkdir "$name" && cd "$name"; done
echo long > leaf.txt
