"""scripts/salt_sweep.py: a generator that ignores the seed is caught; one that draws from it passes."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

from lastexam.tasks.instance import Instance
from lastexam.tasks.loader import load_task

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "gate" / "other" / "group_totals"


def _sweep(tasks_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "scripts" / "salt_sweep.py"), "--tasks-dir", str(tasks_dir)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)


def _package(tmp_path: Path) -> Path:
    copy = tmp_path / "other" / "group_totals"
    shutil.copytree(FIXTURE, copy)
    return copy


def test_a_seeded_generator_differs_under_two_salts(tmp_path: Path) -> None:
    _package(tmp_path)
    result = _sweep(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "other/group_totals@0" in result.stdout
    assert "every variant differs under two salts" in result.stdout


def test_a_generator_that_ignores_the_seed_fails_the_sweep(tmp_path: Path) -> None:
    task_py = _package(tmp_path) / "task.py"
    task_py.write_text(task_py.read_text().replace('random.Random(params["seed"])', "random.Random(7)"))
    result = _sweep(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "SAME" in result.stdout and "1 variant(s) failed or the same under two salts" in result.stdout


def test_a_generator_that_fails_under_a_salt_is_reported_and_the_sweep_goes_on(tmp_path: Path) -> None:
    task_py = _package(tmp_path) / "task.py"
    task_py.write_text(task_py.read_text().replace('    rng = random.Random(params["seed"])\n',
                                                   '    raise ValueError("no carbon to break")\n'))
    shutil.copytree(FIXTURE, tmp_path / "other" / "group_totals_b")
    toml = tmp_path / "other" / "group_totals_b" / "task.toml"
    toml.write_text(toml.read_text().replace('"other/group_totals"', '"other/group_totals_b"'))
    result = _sweep(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ERROR     ValueError: no carbon to break" in result.stdout
    assert "other/group_totals_b@0" in result.stdout


def test_files_copied_from_data_are_left_out_of_the_inputs_share(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("salt_sweep", REPO / "scripts" / "salt_sweep.py")
    assert spec is not None and spec.loader is not None
    sweep = sys.modules["salt_sweep"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sweep)
    copy = _package(tmp_path / "tasks")
    plain, _ = sweep.sweep_variant(Instance(load_task(copy), 0), tmp_path / "plain")
    (copy / "data").mkdir()
    (copy / "data" / "chart_of_accounts.txt").write_text("".join(f"G{i:02d} account {i}\n" for i in range(500)))
    with_data, _ = sweep.sweep_variant(Instance(load_task(copy), 0), tmp_path / "with_data")
    assert 0 < with_data.share == plain.share < 0.5
