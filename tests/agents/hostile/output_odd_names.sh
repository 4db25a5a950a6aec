#!/bin/bash
# Leaves output files whose names are not UTF-8, hold a newline, or look like globs and URLs.
cd "$ALE_OUTPUT_DIR"
printf 'x' > "$(printf 'bad\xffname.csv')"
printf 'x' > "$(printf 'new\nline.txt')"
printf 'x' > 'glob[*]?.txt'
printf 'x' > 'q%20s3:#frag.txt'
mkdir -p "$(printf 'dir\xfe')" && printf 'x' > "$(printf 'dir\xfe/inner\x01.txt')"
