#!/usr/bin/env bash
# Oracle for computing_math/bug_fix_hidden_tests: apply the maintainer's fix of the issue in ISSUE.md
# (bugs/<library>.toml) to a copy of the input repository, diff the two trees into the patch, apply the
# patch to the delivered tree and check it with pytest.
# ALE-CANARY-6d3b5773-dcf4-4cf5-a68f-c7007271b174
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1
IN="$ALE_INPUT_DIR"
OUT="$ALE_OUTPUT_DIR"
HERE="$(cd "$(dirname "$0")" && pwd)"

name="$(sed -n 's/^name = "\(.*\)"/\1/p' "$IN/repo/pyproject.toml" | head -1)"
work="$(mktemp -d)"
cp -r "$IN/repo" "$work/a"
cp -r "$IN/repo" "$work/b"
python3 "$HERE/fix_issue.py" "$IN/ISSUE.md" "$HERE/bugs/$name.toml" "$work/b"
(cd "$work" && diff -ruN a b > "$OUT/fix.patch") || [ $? -eq 1 ]
cp -r "$IN/repo" "$OUT/repo"
(cd "$OUT/repo" && patch -p1 --batch -i "$OUT/fix.patch")
(cd "$OUT/repo" && python3 -m pytest -q -p no:cacheprovider)
