"""Bug fix against hidden tests: fix a reported bug in a small Python library and ship a patch.

Workflow: the engineer gets a library's repository (source, README, its test suite) and an issue
with a reproduction. They find the root cause, fix it without breaking anything else, add a
regression test, and hand over the fixed tree plus a unified diff that applies to the original.

Variants are different libraries with different bugs: commercial rounding in an invoice
calculator (two code paths), calendar month arithmetic in an ISO 8601 duration library, and the
max-end augmentation lost by the rotations of an AVL interval tree.

Grade (everything that runs submitted code runs in ``g.run_tool``, via ``check_fix.sh``): the
patch applies cleanly to a pristine copy; the patched copy equals the submitted tree; the
original test suite passes on the submitted source; the hidden tests (other inputs than the
issue's, kept in the reference) that fail on the original source now pass; the hidden tests of
behaviour the bug did not affect still pass; the issue's own reproduction passes; and the
submission's own tests include a regression test that fails on the original source and passes
on the fixed one.
"""
# ALE-CANARY-6d3b5773-dcf4-4cf5-a68f-c7007271b174

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from lastexam.grading.context import GradeContext

HERE = Path(__file__).resolve().parent
MAX_FILES = 400
MAX_FILE_BYTES = 1_000_000


def generate(params: dict[str, Any], input_dir: Path, reference_dir: Path) -> None:
    project = HERE / "projects" / params["project"]
    shutil.copytree(project / "repo", input_dir / "repo", dirs_exist_ok=True)
    shutil.copyfile(project / "ISSUE.md", input_dir / "ISSUE.md")
    shutil.copytree(project / "repo", reference_dir / "pristine", dirs_exist_ok=True)
    shutil.copyfile(project / "hidden_tests.py", reference_dir / "test_hidden.py")


def _tree_files(root: Path, prefix: str, only_py: bool) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_symlink() or not path.is_file() or "__pycache__" in rel.parts:
            continue
        if only_py and (rel.parts[0] not in ("src", "tests") or path.suffix != ".py"):
            continue
        if path.stat().st_size <= MAX_FILE_BYTES and len(files) < MAX_FILES:
            files[f"{prefix}/{rel.as_posix()}"] = path
    return files


def _junit(path: Path) -> dict[str, bool] | None:
    """Test id -> passed, from a pytest junit XML file; None when there is none or it is unreadable."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    results = {}
    for case in root.iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        results[test_id] = not any(child.tag in ("failure", "error", "skipped") for child in case)
    return results


def _read(workdir: Path, name: str) -> str:
    path = workdir / "res" / name
    return path.read_text(errors="replace") if path.is_file() else ""


def _check_patch(g: GradeContext, workdir: Path) -> None:
    log = _read(workdir, "apply.log")
    clean = _read(workdir, "apply.rc").strip() == "0" and "fuzz" not in log and "FAILED" not in log
    g.check("fix.patch applies cleanly to the original tree", clean, weight=2, reason="" if clean else log[-600:])
    same = clean and _read(workdir, "tree.rc").strip() == "0"
    g.check("the patched original equals the submitted tree", same, weight=1,
            reason="" if same else (_read(workdir, "tree.log")[-600:] or "patch did not apply"))


def _check_tests(g: GradeContext, workdir: Path) -> None:
    res = workdir / "res"
    original = _junit(res / "original_submitted.xml")
    ok = bool(original) and all(original.values()) and _read(workdir, "original_submitted.rc").strip() == "0"
    g.check("the original test suite passes on the fixed source", ok, weight=2,
            found=f"{sum(original.values())}/{len(original)} passed" if original else "no test results",
            reason="" if ok else _read(workdir, "original_submitted.log")[-600:])

    before = _junit(res / "hidden_pristine.xml") or {}
    after = _junit(res / "hidden_submitted.xml") or {}
    targeted = [t for t, passed in before.items() if not passed]
    unaffected = [t for t, passed in before.items() if passed]
    fixed = [t for t in targeted if after.get(t)]
    g.check("hidden tests of the bug pass (other inputs than the issue's)",
            len(fixed) / len(targeted) if targeted else 0.0, weight=4,
            expected=f"{len(targeted)} tests", found=f"{len(fixed)} pass",
            reason="; ".join(t.split("::")[-1] for t in targeted if not after.get(t))[:600])
    kept = [t for t in unaffected if after.get(t)]
    g.check("hidden tests of unaffected behaviour still pass",
            len(kept) / len(unaffected) if unaffected else 1.0, weight=1,
            expected=f"{len(unaffected)} tests", found=f"{len(kept)} pass",
            reason="; ".join(t.split("::")[-1] for t in unaffected if not after.get(t))[:600])
    repro = [t for t in before if t.endswith("::test_issue_reproduction")]
    g.check("the issue's reproduction now gives the expected result", bool(repro) and all(after.get(t) for t in repro),
            weight=1)

    own_before = _junit(res / "own_pristine.xml") or {}
    own_after = _junit(res / "own_submitted.xml") or {}
    catching = [t for t, passed in own_before.items() if not passed and own_after.get(t)]
    all_pass = bool(own_after) and all(own_after.values())
    g.check("a regression test fails on the original source and passes on the fix", bool(catching) and all_pass,
            weight=1, found=f"{len(catching)} catching tests; own suite {'passes' if all_pass else 'fails'}")


def grade(g: GradeContext) -> None:
    package = g.params["project"]
    if not g.require_files("fix.patch", f"repo/src/{package}/__init__.py"):
        return
    files: dict[str, Path | str | bytes] = {"check_fix.sh": HERE / "check_fix.sh", "fix.patch": g.output("fix.patch"),
                                            "hidden/test_hidden.py": g.reference("test_hidden.py")}
    files.update(_tree_files(g.reference("pristine"), "pristine", only_py=False))
    files.update(_tree_files(g.output("repo"), "submitted", only_py=True))
    result = g.run_tool(["bash", "check_fix.sh"], files=files, timeout=240)
    if result.timed_out:
        g.check("the checks finished in time", False, gate=True, reason="the test runs timed out")
        return
    _check_patch(g, result.workdir)
    _check_tests(g, result.workdir)
