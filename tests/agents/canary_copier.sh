#!/bin/bash
# Hands back what the task handed out: the instruction and the input directory's files.
cp "$ALE_INSTRUCTION" "$ALE_OUTPUT_DIR/instruction_seen.txt"
cp "$ALE_INPUT_DIR"/* "$ALE_OUTPUT_DIR"/ 2>/dev/null
exit 0
