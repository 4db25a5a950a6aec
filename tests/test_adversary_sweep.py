"""scripts/adversary_sweep.py: an adversary that fails the public instance but passes salted ones is caught, with the
salt that reproduces it; adversaries that fail everywhere leave the sweep green."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lastexam.tasks.instance import Instance
from lastexam.tasks.loader import load_task

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "gate" / "other" / "group_totals"


def _sweep(tasks_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "scripts" / "adversary_sweep.py"), "--tasks-dir", str(tasks_dir),
                           *args, "other/group_totals"], cwd=REPO, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_adversaries_that_fail_every_salted_instance_leave_the_sweep_green(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE, tmp_path / "other" / "group_totals")
    result = _sweep(tmp_path, "--salts", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "oracle: 2 graded, highest 1.000" in result.stdout
    assert "other/group_totals/adversaries/made_up_totals.sh: 2 graded, highest 0.000" in result.stdout


@pytest.mark.slow
def test_an_adversary_right_on_every_ledger_but_the_public_one_is_caught_with_its_salt(tmp_path: Path) -> None:
    package = tmp_path / "other" / "group_totals"
    shutil.copytree(FIXTURE, package)
    Instance(load_task(package), 0).materialize(tmp_path / "public", tmp_path / "reference")
    public = hashlib.sha256((tmp_path / "public" / "ledger.csv").read_bytes()).hexdigest()
    oracle = (FIXTURE / "solution" / "solve.sh").read_text().split("set -euo pipefail\n", 1)[1]
    script = package / "adversaries" / "public_only_wrong.sh"
    target = package / "adversaries" / "_public_only_wrong.sh"  # a link, as most packages' adversaries are
    script.symlink_to(target.name)
    target.write_text("#!/usr/bin/env bash\n# Near miss: the guessed totals on the public ledger only.\nset -euo pipefail\n"
                      f'if [ "$(sha256sum < "$ALE_INPUT_DIR/ledger.csv" | cut -c1-64)" = "{public}" ]; then\n'
                      f'  exec bash "$(dirname "$0")/made_up_totals.sh"\nfi\n{oracle}')
    target.chmod(0o755)
    result = _sweep(tmp_path, "--salt", "sweep-a", "--adversary", "adversaries/public_only_wrong.sh")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "other/group_totals/adversaries/public_only_wrong.sh: 1 graded, highest 1.000" in result.stdout
    assert f"FULL PASS other/group_totals@0 score 1.000: ale run --salt sweep-a --agent script:{script}" in result.stdout
    assert "made_up_totals" not in result.stdout
