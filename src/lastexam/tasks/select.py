"""Selectors: which instances a run covers.

``cluster/task`` or a glob (``engineering/*``), ``tier:NAME``, ``cluster:CODE``,
``subdomain:CODE``, ``suite:NAME`` (a list file ``suites/NAME.txt``, one selector a line);
any of them may end in ``@N`` (one variant) or ``@all`` (every variant, the default).
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from lastexam.errors import ConfigError
from lastexam.tasks.instance import Instance, instances_of
from lastexam.tasks.loader import Task
from lastexam.taxonomy import load_taxonomy

_FIX = "use an id or glob (engineering/*), tier:NAME, cluster:CODE, subdomain:CODE or suite:NAME, optionally @N or @all"


def select_instances(selectors: list[str], tasks: list[Task], suites_dir: Path) -> list[Instance]:
    """The instances matching any selector, in a stable order, without duplicates.

    Raises:
        ConfigError: an unknown tier, cluster, subdomain or suite, a variant out of range, or a
        selector that matches no task.
    """
    chosen: dict[str, Instance] = {}
    for selector in selectors:
        for instance in _expand(selector.strip(), tasks, suites_dir, source=None):
            chosen.setdefault(instance.id, instance)
    return sorted(chosen.values(), key=lambda i: (i.task.id, i.variant))


def _expand(selector: str, tasks: list[Task], suites_dir: Path, source: Path | None) -> list[Instance]:
    base, _, variant = selector.partition("@")
    kind, _, value = base.partition(":") if ":" in base else ("", "", base)
    taxonomy = load_taxonomy()
    if kind == "suite":
        path = suites_dir / f"{value}.txt"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in suites_dir.glob("*.txt"))) or "none"
            raise ConfigError(source, selector, f"no suite {value!r} ({path} does not exist)", f"use one of: {known}")
        lines = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()]
        return [i for line in lines if line for i in _expand(line, tasks, suites_dir, source=path)]
    if kind == "tier":
        if value not in taxonomy.tiers:
            raise ConfigError(source, selector, f"unknown tier {value!r}", f"use one of: {', '.join(taxonomy.tiers)}")
        matched = [t for t in tasks if t.spec.tier == value]
    elif kind == "cluster":
        if taxonomy.cluster(value) is None:
            raise ConfigError(source, selector, f"unknown cluster {value!r}", "use a cluster code from the taxonomy")
        matched = [t for t in tasks if t.spec.cluster == value]
    elif kind == "subdomain":
        sub = taxonomy.subdomain(value)
        if sub is None:
            raise ConfigError(source, selector, f"unknown subdomain {value!r}", "use a subdomain code or id from the taxonomy")
        matched = [t for t in tasks if t.spec.subdomain == sub.code]
    elif kind == "":
        matched = [t for t in tasks if fnmatch.fnmatchcase(t.id, value)]
        if not matched:
            raise ConfigError(source, selector, "matches no task", f"check `ale tasks list`; {_FIX}")
    else:
        raise ConfigError(source, selector, f"unknown selector kind {kind!r}", _FIX)
    instances = [i for t in matched for i in instances_of(t)]
    if variant in ("", "all"):
        return instances
    if not variant.isdigit():
        raise ConfigError(source, selector, f"bad variant {variant!r}", "use @N (a variant number) or @all")
    picked = [i for i in instances if i.variant == int(variant)]
    if matched and len(picked) < len(matched):
        raise ConfigError(source, selector, f"variant {variant} does not exist for every matched task",
                          "use a smaller variant number (see `ale tasks show ID`)")
    return picked
