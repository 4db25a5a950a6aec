#!/usr/bin/env bash
# Runs past any time limit, with children of its own.
echo started > "$ALE_OUTPUT_DIR/note.txt"
sleep 1000 &
setsid sleep 1001 &
sleep 1002
