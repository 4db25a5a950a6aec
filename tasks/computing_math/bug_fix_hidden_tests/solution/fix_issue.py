"""The maintainer's fix of the issue in ISSUE.md: undo its edits in a repository and add its regression test.

    fix_issue.py ISSUE_MD BUGS_TOML REPO
"""
# ALE-CANARY-6d3b5773-dcf4-4cf5-a68f-c7007271b174

import re
import sys
import tomllib
from pathlib import Path


def main(issue_md: Path, bugs_toml: Path, repo: Path) -> None:
    number = int(re.search(r"\(#(\d+)\)", issue_md.read_text()).group(1))
    bug = next(b for b in tomllib.loads(bugs_toml.read_text())["bugs"] if b["issue"] == number)
    package = next(p for p in (repo / "src").iterdir() if (p / "__init__.py").is_file())
    for edit in bug["edits"]:
        module = package / edit["module"]
        text = module.read_text()
        if text.count(edit["released"]) != 1:
            sys.exit(f"{module}: the released text of #{number} is not there exactly once")
        module.write_text(text.replace(edit["released"], edit["fixed"]))
    (repo / "tests" / f"test_regression_{number}.py").write_text(bug["regression_test"])


if __name__ == "__main__":
    main(*map(Path, sys.argv[1:]))
