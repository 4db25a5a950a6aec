#!/usr/bin/env bash
# A fork bomb: must be contained by the sandbox's process limit and killed at the time limit.
echo started > "$ALE_OUTPUT_DIR/note.txt"
bomb() { bomb | bomb & }
bomb
sleep 1000
