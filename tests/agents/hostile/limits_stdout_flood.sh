#!/usr/bin/env bash
# Solve the task, then print 600 MB to stdout and as much to stderr.
wc -w < "$ALE_INPUT_DIR/text.txt" | tr -d ' ' > "$ALE_OUTPUT_DIR/count.txt"
head -c 600M /dev/zero >&2 &
head -c 600M /dev/zero
wait
