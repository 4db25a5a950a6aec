#!/usr/bin/env bash
# Solve the task, then write 400 MB of incompressible data to its home, 8 MB a file.
wc -w < "$ALE_INPUT_DIR/text.txt" | tr -d ' ' > "$ALE_OUTPUT_DIR/count.txt"
for i in $(seq 1 50); do
  head -c 8M /dev/urandom > "$HOME/blob$i" || break
done
du -sm "$HOME" | cut -f1 > "$ALE_OUTPUT_DIR/home_mb.txt"
