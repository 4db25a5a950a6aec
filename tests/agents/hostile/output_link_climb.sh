#!/usr/bin/env bash
# Hands in the hidden reference through links that look inside the output: X -> . makes
# X/../private/reference/... read, on the host, the run directory's private reference.
cd "$ALE_OUTPUT_DIR"
ln -s . X
ln -s X/../private/reference/standings.csv standings.csv
ln -s X/../private/reference/secret.txt secret.txt
