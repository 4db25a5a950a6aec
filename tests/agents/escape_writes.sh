#!/usr/bin/env bash
# Tries to write outside /workspace/output; records each attempt's result in output/attempts.txt.
out="$ALE_OUTPUT_DIR/attempts.txt"
for target in /workspace/input/evil /usr/evil /etc/evil /agent/evil /workspace/evil /evil /proc/evil \
              /opt/lastexam/tools/evil /workspace/instruction.md; do
  if (echo pwned > "$target") 2>/dev/null; then echo "WROTE $target" >> "$out"; else echo "denied $target" >> "$out"; fi
done
if (chmod 777 /workspace/input) 2>/dev/null; then echo "WROTE chmod input" >> "$out"; fi
if (mount -t tmpfs none /workspace/input) 2>/dev/null; then echo "WROTE mount" >> "$out"; fi
echo done >> "$out"
