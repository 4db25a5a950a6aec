#!/usr/bin/env bash
# Solve the task, then leave 20,000 empty files behind in home and output.
wc -w < "$ALE_INPUT_DIR/text.txt" | tr -d ' ' > "$ALE_OUTPUT_DIR/count.txt"
mkdir -p "$HOME/many" "$ALE_OUTPUT_DIR/many"
cd "$HOME/many" && seq -f "h%.0f" 1 10000 | xargs touch
cd "$ALE_OUTPUT_DIR/many" && seq -f "o%.0f" 1 10000 | xargs touch
ls "$HOME/many" | wc -l > "$ALE_OUTPUT_DIR/files.txt"
