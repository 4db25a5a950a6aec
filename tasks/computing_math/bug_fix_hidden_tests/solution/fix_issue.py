"""The maintainer's fix of the issue in ISSUE.md: undo its edits in a repository and add its regression test.

    fix_issue.py ISSUE_MD BUGS_TOML REPO

A bug's released code takes one of several forms (an edit's list of released texts); the form undone is one whose
every released text is in the repository exactly once.
"""
# ALE-CANARY-6d3b5773-dcf4-4cf5-a68f-c7007271b174

import re
import sys
import tomllib
from pathlib import Path


def released_text(edit: dict, form: int) -> str:
    released = edit["released"]
    return released[form] if isinstance(released, list) else released


def main(issue_md: Path, bugs_toml: Path, repo: Path) -> None:
    number = int(re.search(r"\(#(\d+)\)", issue_md.read_text()).group(1))
    bug = next(b for b in tomllib.loads(bugs_toml.read_text())["bugs"] if b["issue"] == number)
    package = next(p for p in (repo / "src").iterdir() if (p / "__init__.py").is_file())
    forms = max((len(e["released"]) for e in bug["edits"] if isinstance(e["released"], list)), default=1)
    present = [form for form in range(forms)
               if all((package / e["module"]).read_text().count(released_text(e, form)) == 1 for e in bug["edits"])]
    if not present:
        sys.exit(f"#{number}: no form of the released code is in the repository")
    # a form's text may contain a shorter form's (a line and the same line with more after it): undo the longest
    form = max(present, key=lambda f: sum(len(released_text(e, f)) for e in bug["edits"]))
    for edit in bug["edits"]:
        module = package / edit["module"]
        module.write_text(module.read_text().replace(released_text(edit, form), edit["fixed"]))
    (repo / "tests" / f"test_regression_{number}.py").write_text(bug["regression_test"])


if __name__ == "__main__":
    main(*map(Path, sys.argv[1:]))
