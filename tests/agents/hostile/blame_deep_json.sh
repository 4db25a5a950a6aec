#!/usr/bin/env bash
# JSON nested 200,000 deep: the standard parser's recursion fails, hoping the trial counts as infra_error.
python3 -c 'import os; open(os.environ["ALE_OUTPUT_DIR"] + "/summary.json", "w").write("[" * 200000 + "]" * 200000)'
