"""Malformed task packages give a message that names the file, the field and the fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import FIXTURE_TASKS
from lastexam.errors import ConfigError
from lastexam.tasks.instance import Instance, variant_seed
from lastexam.tasks.loader import discover_tasks, load_task
from lastexam.tasks.select import select_instances

GOOD = FIXTURE_TASKS / "other" / "league_table"


@pytest.fixture
def package(tmp_path: Path) -> Path:
    target = tmp_path / "tasks" / "other" / "league_table"
    shutil.copytree(GOOD, target)
    return target


def _edit_toml(package: Path, old: str, new: str) -> None:
    toml = package / "task.toml"
    text = toml.read_text()
    assert old in text
    toml.write_text(text.replace(old, new))


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        ('cluster = "other"', 'cluster = "sportz"', "cluster", "use one of"),
        ('subdomain = "sports"', 'subdomain = "genomics"', "subdomain", "not a subdomain of other"),
        ('tier = "near-term"', 'tier = "hard"', "tier", "correct the value"),
        ('title = "League', 'titel = "League', "titel", "rename it to 'title'"),
        ("memory_mb = 1024", "memory = 1024", "resources.memory", "rename it to 'memory_mb'"),
        ("memory_mb = 1024", "colour = 1", "resources.colour", "remove the field (known: memory_mb"),
        ('id = "other/league_table"', 'id = "other/league"', "id", "set id = 'other/league_table'"),
        ('executables = ["sqlite3"]', "executables = []", "software.executables", "correct the value"),
        ("expert_minutes = 30\n", "", "expert_minutes", "add the field"),
        ('path = "standings.csv"', 'path = "../standings.csv"', "deliverables.0.path", "relative path"),
        ('params = [', "count = 2\nparams = [", "variants", "exactly one of"),
    ],
)
def test_bad_task_toml_names_file_field_and_fix(package: Path, old: str, new: str, field: str, words: str) -> None:
    _edit_toml(package, old, new)
    with pytest.raises(ConfigError) as info:
        load_task(package)
    error = info.value
    assert error.file == str(package / "task.toml")
    assert error.field == field
    assert words in str(error)


def test_broken_toml_syntax(package: Path) -> None:
    (package / "task.toml").write_text("id = \n")
    with pytest.raises(ConfigError, match=r"task.toml: not valid TOML .* Fix: correct the TOML syntax"):
        load_task(package)


@pytest.mark.parametrize(
    ("remove", "message"),
    [
        ("task.toml", "no task.toml"),
        ("instruction.md", "instruction.md: missing. Fix: write the instruction template"),
        ("solution", "no oracle solution. Fix: add solution/solve.sh"),
    ],
)
def test_missing_pieces(package: Path, remove: str, message: str) -> None:
    target = package / remove
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    with pytest.raises(ConfigError, match=message):
        load_task(package)


def test_task_py_that_does_not_import_or_lacks_grade(package: Path) -> None:
    (package / "task.py").write_text("import not_a_module_anywhere\n")
    with pytest.raises(ConfigError, match=r"task.py: task.py fails to import \(ModuleNotFoundError"):
        load_task(package)
    (package / "task.py").write_text("def generate(params, input_dir, reference_dir):\n    pass\n")
    with pytest.raises(ConfigError, match=r"task.py \[grade\]: no grade\(g\) function"):
        load_task(package)


def test_template_with_an_unknown_variable_fails_to_render(package: Path) -> None:
    (package / "instruction.md").write_text("Use {{ no_such_param }}.")
    instance = Instance(load_task(package), 0)
    with pytest.raises(Exception, match="no_such_param"):
        instance.render_instruction()


def test_discovery_collects_problems_instead_of_stopping(package: Path) -> None:
    broken = package.parent / "broken"
    broken.mkdir()
    problems: list[ConfigError] = []
    tasks = discover_tasks(package.parent.parent, problems=problems)
    assert [t.id for t in tasks] == ["other/league_table"]
    assert len(problems) == 1 and "broken" in str(problems[0])
    with pytest.raises(ConfigError):
        discover_tasks(package.parent.parent)


def test_generation_is_seeded_and_reproducible(tmp_path: Path) -> None:
    task = load_task(GOOD)
    first, second = Instance(task, 1), Instance(task, 1)
    first.materialize(tmp_path / "a" / "in", tmp_path / "a" / "ref")
    second.materialize(tmp_path / "b" / "in", tmp_path / "b" / "ref")
    assert (tmp_path / "a/in/matches.csv").read_bytes() == (tmp_path / "b/in/matches.csv").read_bytes()
    assert (tmp_path / "a/ref/standings.csv").read_bytes() == (tmp_path / "b/ref/standings.csv").read_bytes()
    assert variant_seed(task.id, 1) != variant_seed(task.id, 2)
    assert first.params == {"variant": 1, "seed": variant_seed(task.id, 1), "teams": 8, "win_points": 3}


def test_selectors(tmp_path: Path) -> None:
    tasks = discover_tasks(FIXTURE_TASKS)
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "mine.txt").write_text("# a comment\nother/league_table@2\n")
    ids = lambda selectors: [i.id for i in select_instances(selectors, tasks, suites)]  # noqa: E731
    assert ids(["other/*"]) == ["other/league_table@0", "other/league_table@1", "other/league_table@2"]
    assert ids(["other/league_table@1", "tier:near-term@1"]) == ["other/league_table@1"]
    assert ids(["suite:mine"]) == ["other/league_table@2"]
    assert ids(["cluster:other@all"]) == ids(["subdomain:14.1"])
    for bad, message in [
        ("tier:impossible", "unknown tier"), ("cluster:nowhere", "unknown cluster"), ("suite:nope", "no suite 'nope'"),
        ("engineering/*", "matches no task"), ("other/league_table@9", "variant 9 does not exist"),
        ("other/league_table@x", "bad variant"), ("colour:red", "unknown selector kind"),
    ]:
        with pytest.raises(ConfigError, match=message):
            ids([bad])
