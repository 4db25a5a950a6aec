#!/usr/bin/env bash
# Solve the task, then keep as much as it can in every RAM-backed directory (up to 400 MB each).
wc -w < "$ALE_INPUT_DIR/text.txt" | tr -d ' ' > "$ALE_OUTPUT_DIR/count.txt"
total=0
for dir in /tmp /dev/shm /run /var/tmp /dev; do
  for i in $(seq 1 400); do
    head -c 1M /dev/zero > "$dir/fill$i" 2>/dev/null || break
    total=$((total + 1))
  done
done
echo "$total" > "$ALE_OUTPUT_DIR/held_mb.txt"
