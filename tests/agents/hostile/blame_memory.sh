#!/usr/bin/env bash
# Asks a naive grader to allocate 100 GB, so that it runs out of memory.
echo '{"count": 1, "total": 1, "buffer": 100000000000}' > "$ALE_OUTPUT_DIR/summary.json"
