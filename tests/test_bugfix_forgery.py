"""A bug-fix submission cannot forge the evidence of its fix: code that rewrites pytest's JUnit file at
exit or marks every pytest report passed still fails the hidden probes, whose results the grader
compares itself against the fixed library's."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO
from lastexam.contracts.trial import TrialResult
from lastexam.runner.config import ExperimentConfig
from lastexam.runner.experiment import run_experiment

pytestmark = [pytest.mark.hostile, pytest.mark.slow]

ADVERSARIES = REPO / "tasks" / "computing_math" / "bug_fix_hidden_tests" / "adversaries"
FORGERS = ("atexit_junit.py", "conftest_green.py")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TrialResult]:
    """Each forger's trial on the isodur variant, by the forger's file name."""
    config = ExperimentConfig(name="forgery", agents=[f"script:{ADVERSARIES / name}" for name in FORGERS],
                              selectors=["computing_math/bug_fix_hidden_tests@1"], tasks_dir=REPO / "tasks",
                              results_dir=tmp_path_factory.mktemp("forgery") / "results", jobs=2)
    return {Path(r.key.agent.split(":", 1)[1]).name: r for r in run_experiment(config).recorded}


@pytest.mark.parametrize("forger", FORGERS)
def test_forged_pytest_results_earn_no_hidden_probe(graded: dict[str, TrialResult], forger: str) -> None:
    result = graded[forger]
    assert result.status == "failed" and not result.passed, (result.status, result.error)
    checks = {c.name: c for c in result.checks}
    assert checks["hidden probes of the bug give the fixed results (other inputs than the issue's)"].score == 0.0
    assert not checks["the issue's reproduction now gives the expected result"].passed
    assert checks["hidden probes of unaffected behaviour keep their results"].passed
    # the forgery did work on what it attacks: pytest's own word says the suite passes
    assert checks["the original test suite passes on the fixed source (pytest's exit code)"].passed
