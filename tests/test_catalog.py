"""The benchmark's coverage of the taxonomy, and the catalog generated from the packages."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from conftest import REPO
from lastexam.tasks.catalog import write_catalog
from lastexam.tasks.loader import discover_tasks
from lastexam.tasks.select import select_instances
from lastexam.taxonomy import load_taxonomy

TASKS = discover_tasks(REPO / "tasks")


def test_coverage_of_clusters_subdomains_and_tiers() -> None:
    taxonomy = load_taxonomy()
    assert len(TASKS) >= 30
    assert {t.spec.cluster for t in TASKS} >= {c.code for c in taxonomy.benchmark_clusters}
    assert len({t.spec.subdomain for t in TASKS}) >= 24
    tiers = Counter(t.spec.tier for t in TASKS)
    # last-exam admits only an expert day's work (tests/test_last_exam_bar.py); four tasks under it were re-tiered
    assert tiers["near-term"] >= 8 and tiers["full-spectrum"] >= 8 and tiers["last-exam"] >= 5, tiers


def test_every_task_declares_its_tools_and_enough_variants() -> None:
    for task in TASKS:
        assert task.spec.software.executables, task.id
        assert task.spec.variants.size >= 3, task.id
        assert sum(f.stat().st_size for f in task.path.rglob("*") if f.is_file()) < 5 * 1024 * 1024, task.id


def test_suites_select_the_tiers_and_one_task_per_subdomain() -> None:
    suites = REPO / "suites"
    for tier in load_taxonomy().tiers:
        chosen = {i.task.id for i in select_instances([f"suite:{tier}"], TASKS, suites)}
        if tier == "full-spectrum":
            subdomains = [next(t for t in TASKS if t.id == task_id).spec.subdomain for task_id in chosen]
            assert sorted(subdomains) == sorted({t.spec.subdomain for t in TASKS})
        else:
            assert chosen == {t.id for t in TASKS if t.spec.tier == tier}


def test_catalog_lists_every_task_and_the_coverage(tmp_path: Path) -> None:
    markdown, as_json, covered = write_catalog(TASKS, tmp_path)
    entries = json.loads(as_json.read_text())
    assert [e["id"] for e in entries] == sorted(t.id for t in TASKS)
    assert {"id", "title", "cluster", "subdomain", "tier", "executables", "expert_minutes", "deliverables"} <= set(entries[0])
    text = markdown.read_text()
    for task in TASKS:
        assert f"`{task.id}`" in text
    summary = json.loads(covered.read_text())
    taxonomy = load_taxonomy()
    assert len(summary["clusters"]) == len(taxonomy.clusters)
    assert summary["subdomains"] == sum(len(c.subdomains) for c in taxonomy.clusters)
    assert summary["covered"] == len({t.spec.subdomain for t in TASKS})
    assert sum(summary["tiers"].values()) == len(TASKS)
    finance = next(c for c in summary["clusters"] if c["cluster"] == "business_finance")
    assert finance["tasks"] == sum(t.spec.cluster == "business_finance" for t in TASKS)
    assert set(finance["covered"]) | set(finance["missing"]) == {s.code for s in taxonomy.cluster("business_finance").subdomains}
    assert f"{summary['covered']} of {summary['subdomains']} subdomains covered" in text
