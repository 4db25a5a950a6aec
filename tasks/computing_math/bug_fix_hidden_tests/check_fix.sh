#!/usr/bin/env bash
# Grader-side checks of a submitted fix, run inside a fresh offline sandbox by g.run_tool.
# Layout of the working directory: pristine/ (the original repository), submitted/ (the
# submitted src/ and tests/ .py files), fix.patch, hidden/test_hidden.py. Results go to res/.
# ALE-CANARY-6d3b5773-dcf4-4cf5-a68f-c7007271b174
set -u
export PYTHONDONTWRITEBYTECODE=1
mkdir -p res

# 1. does the patch apply cleanly to a pristine copy, and does the result equal the submitted tree?
cp -r pristine applied
(cd applied && patch -p1 --batch --forward --no-backup-if-mismatch -i ../fix.patch) > res/apply.log 2>&1
echo $? > res/apply.rc
# the grader copied only the .py files of the submitted src/ and tests/: compare those
mkdir -p compare/applied compare/submitted
for side in applied submitted; do
  for part in src tests; do
    [ -d "$side/$part" ] && cp -r "$side/$part" "compare/$side/$part"
  done
  find "compare/$side" -type f ! -name '*.py' -delete
done
diff -r -q compare/applied compare/submitted > res/tree.log 2>&1
echo $? > res/tree.rc

# 2. test runs: SOURCE tree + TEST directory -> one junit file
run() {  # name source_dir tests_dir
  local work="run_$1"
  mkdir -p "$work"
  cp pristine/pyproject.toml "$work/"
  cp -r "$2/src" "$work/src"
  cp -r "$3" "$work/tests"
  (cd "$work" && timeout 90 python3 -m pytest -q -p no:cacheprovider -o junit_family=xunit2 \
     --junitxml="../res/$1.xml" tests) > "res/$1.log" 2>&1
  echo $? > "res/$1.rc"
}
run hidden_pristine pristine hidden
run hidden_submitted submitted hidden
run original_submitted submitted pristine/tests
if [ -d submitted/tests ]; then
  run own_pristine pristine submitted/tests
  run own_submitted submitted submitted/tests
fi
exit 0
