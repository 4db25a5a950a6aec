"""Load and validate task packages from disk.

A task package is a directory holding ``task.toml``, ``instruction.md``, ``solution/`` and
optionally ``task.py`` and ``data/``. Every problem is reported as a ``ConfigError`` naming
the file, the field and the fix.
"""

from __future__ import annotations

import difflib
import importlib.machinery
import importlib.util
import os
import sys
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import ValidationError

from lastexam.contracts.trial import TaskRef
from lastexam.errors import ConfigError
from lastexam.tasks.spec import TaskSpec
from lastexam.tasks.toolenv import tool_env
from lastexam.taxonomy import load_taxonomy

SOLUTION_ENTRYPOINTS = ("solve.sh", "solve.py")


@dataclass(frozen=True)
class Task:
    """A loaded task package."""

    spec: TaskSpec
    path: Path
    _module_cache: dict[str, ModuleType] = field(default_factory=dict, compare=False, repr=False)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def ref(self) -> TaskRef:
        """The task as plain data a trial request carries."""
        spec = self.spec
        return TaskRef(path=self.path.resolve(), id=spec.id, version=spec.version, tier=spec.tier,
                       cluster=spec.cluster, subdomain=spec.subdomain, released=spec.released,
                       cpus=spec.resources.cpus, memory_mb=spec.resources.memory_mb)

    @property
    def tools(self) -> Path:
        """The task's Python tool environment (``toolenv``), built by ``ale setup``."""
        return tool_env(self.spec.software.pypi)

    @property
    def instruction_template(self) -> str:
        return (self.path / "instruction.md").read_text(encoding="utf-8")

    @property
    def data_dir(self) -> Path:
        return self.path / "data"

    @property
    def solution_dir(self) -> Path:
        return self.path / "solution"

    @cached_property
    def solution_entrypoint(self) -> str:
        return next(name for name in SOLUTION_ENTRYPOINTS if (self.solution_dir / name).is_file())

    def files(self) -> dict[str, Path]:
        """Every file of the package by its path relative to the package, sorted, caches left out.

        A link is listed under its own name when it resolves to a file inside the package (an adversary
        linked to a sibling script); its content is the file it points to.

        Raises:
            ConfigError: a link that leads out of the package (its content would not travel with the task).
        """
        root = self.path.resolve()
        files = {}
        for path in sorted(self.path.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                raise ConfigError(path, None, "a link that leads out of the task package",
                                  "copy the file into the package, or link to a file inside it")
            files[path.relative_to(self.path).as_posix()] = path
        return files

    def module(self) -> ModuleType | None:
        """The task's ``task.py``, or None when it has none.

        The task directory is imported as a private package (``lastexam_task_<cluster>__<task>``) whose
        search path is the directory itself, and ``task.py`` as its module ``task``: a large task may
        split into sibling modules and import them relatively (``from . import stages``).
        """
        source = self.path / "task.py"
        if not source.is_file():
            return None
        if "module" not in self._module_cache:
            self._module_cache["module"] = _import_task_module(self.id, source)
        return self._module_cache["module"]


def _import_task_module(task_id: str, source: Path) -> ModuleType:
    package_name = "lastexam_task_" + task_id.replace("/", "__")
    _forget_package(package_name)  # a package of the same id loaded from another directory must not be reused
    package = ModuleType(package_name, f"the task package {task_id}")
    package.__path__ = [str(source.parent)]
    package.__spec__ = importlib.machinery.ModuleSpec(package_name, None, is_package=True)
    package.__spec__.submodule_search_locations = package.__path__
    sys.modules[package_name] = package
    spec = importlib.util.spec_from_file_location(f"{package_name}.task", source)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        _forget_package(package_name)
        raise ConfigError(source, None, f"task.py fails to import ({type(exc).__name__}: {exc})",
                          "fix the error in task.py or the module it imports (see the message)") from exc
    return module


def _forget_package(package_name: str) -> None:
    for name in [n for n in sys.modules if n == package_name or n.startswith(package_name + ".")]:
        del sys.modules[name]


def default_tasks_root() -> Path:
    """``$ALE_TASKS_DIR``, else ``tasks/`` of the checkout (or of the current directory)."""
    if env := os.environ.get("ALE_TASKS_DIR"):
        return Path(env)
    for base in (Path.cwd(), Path(__file__).resolve().parents[3]):
        if (base / "tasks").is_dir():
            return base / "tasks"
    return Path.cwd() / "tasks"


def _field_path(error: dict[str, Any]) -> str:
    return ".".join(str(p) for p in error["loc"]) or "(top level)"


def _known_fields(location: tuple[Any, ...]) -> list[str]:
    """The field names the model accepts at the place of an unknown key."""
    model: Any = TaskSpec
    for part in location[:-1]:
        annotation = model.model_fields[part].annotation if isinstance(part, str) else model
        model = next((a for a in (annotation, *getattr(annotation, "__args__", ())) if hasattr(a, "model_fields")), None)
        if model is None:
            return []
    return list(model.model_fields)


def load_task(path: Path, *, import_grader: bool = True) -> Task:
    """Load one task package and check it against the contract; without ``import_grader``, its ``task.py``
    is not imported (for callers that need the spec only).

    Raises:
        ConfigError: naming the file, the field and the fix for the first problem found.
    """
    path = Path(path)
    toml_path = path / "task.toml"
    if not toml_path.is_file():
        raise ConfigError(toml_path, None, "no task.toml in the task package", "add a task.toml (see DESIGN.md)")
    try:
        raw = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(toml_path, None, f"not valid TOML ({exc})", "correct the TOML syntax") from exc
    try:
        spec = TaskSpec.model_validate(raw)
    except ValidationError as exc:
        # An unknown key is usually a misspelt one: report it first, with the likely intended name.
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        first = errors[0]
        if first["type"] == "extra_forbidden":
            known = _known_fields(first["loc"])
            close = difflib.get_close_matches(str(first["loc"][-1]), known, n=1)
            fix = f"rename it to {close[0]!r}" if close else f"remove the field (known: {', '.join(known)})"
        else:
            fix = "add the field" if first["type"] == "missing" else "correct the value"
        raise ConfigError(toml_path, _field_path(first), first["msg"], fix) from exc

    taxonomy = load_taxonomy()
    cluster = taxonomy.cluster(spec.cluster)
    if cluster is None:
        codes = ", ".join(c.code for c in taxonomy.clusters)
        raise ConfigError(toml_path, "cluster", f"unknown cluster {spec.cluster!r}", f"use one of: {codes}")
    sub = taxonomy.subdomain(spec.subdomain)
    if sub is None or sub.cluster != spec.cluster:
        codes = ", ".join(s.code for s in cluster.subdomains)
        raise ConfigError(
            toml_path, "subdomain", f"{spec.subdomain!r} is not a subdomain of {spec.cluster}", f"use one of: {codes}"
        )
    expected_id = f"{path.parent.name}/{path.name}"
    if spec.id != expected_id:
        raise ConfigError(
            toml_path, "id", f"id {spec.id!r} does not match the package directory", f"set id = {expected_id!r}"
        )
    if spec.id.split("/")[0] != spec.cluster:
        raise ConfigError(
            toml_path, "id", "the id's first part must be the cluster code", f"move the package under tasks/{spec.cluster}/"
        )
    if not (path / "instruction.md").is_file():
        raise ConfigError(path / "instruction.md", None, "missing", "write the instruction template")
    if not any((path / "solution" / n).is_file() for n in SOLUTION_ENTRYPOINTS):
        raise ConfigError(
            path / "solution", None, "no oracle solution", f"add solution/{SOLUTION_ENTRYPOINTS[0]} or solution/solve.py"
        )
    task = Task(spec=spec, path=path)
    if not import_grader:
        return task
    module = task.module() if (path / "task.py").is_file() else None
    if module is None or not callable(getattr(module, "grade", None)):
        raise ConfigError(path / "task.py", "grade", "no grade(g) function", "define grade(g) in task.py")
    return task


def discover_tasks(root: Path | None = None, *, problems: list[ConfigError] | None = None,
                   import_graders: bool = True) -> list[Task]:
    """Every task package under ``root`` (``tasks/<cluster>/<task>/``), sorted by id (see ``load_task``).

    A package that fails to load raises its ConfigError, or, when a ``problems`` list is given,
    is appended to it and left out.
    """
    root = root or default_tasks_root()
    tasks = []
    for directory in sorted(p for p in root.glob("*/*") if p.is_dir()):
        try:
            tasks.append(load_task(directory, import_grader=import_graders))
        except ConfigError as exc:
            if problems is None:
                raise
            problems.append(exc)
    return tasks
