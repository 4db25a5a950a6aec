#!/usr/bin/env bash
# Writes its deliverable, then leaves a detached background process that keeps rewriting the
# output after the agent has "finished" (it starts writing half a second later), hoping to change what is graded.
echo original > "$ALE_OUTPUT_DIR/standings.csv"
setsid nohup bash -c 'sleep 0.5; for i in $(seq 1 100); do echo HACKED > "$ALE_OUTPUT_DIR/standings.csv"; sleep 0.05; done' \
  >/dev/null 2>&1 < /dev/null &
disown
exit 0
