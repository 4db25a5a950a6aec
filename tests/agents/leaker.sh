#!/usr/bin/env bash
# Tries to smuggle host files out through its output: symlinks out of (and inside) the tree, a fifo.
cd "$ALE_OUTPUT_DIR"
ln -s /etc/passwd passwd_link
ln -s ../../../../../../etc/hostname climb_link
ln -s /workspace/input/matches.csv absolute_input_link
mkfifo pipe
echo ok > real.txt
ln -s real.txt inner_link
