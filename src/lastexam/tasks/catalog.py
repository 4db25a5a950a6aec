"""The task catalog, generated from the packages: Markdown for people, JSON for tools."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from lastexam.tasks.loader import Task
from lastexam.taxonomy import load_taxonomy


class CatalogEntry(BaseModel):
    id: str
    title: str
    summary: str
    cluster: str
    subdomain: str
    tier: str
    variants: int
    version: str
    software: list[str]
    executables: list[str]
    expert_minutes: int
    agent_timeout_sec: int
    deliverables: list[str]
    canary: str


def catalog_entries(tasks: list[Task]) -> list[CatalogEntry]:
    """One entry per task, sorted by id."""
    return [
        CatalogEntry(
            id=t.id, title=t.spec.title, summary=t.spec.summary, cluster=t.spec.cluster, subdomain=t.spec.subdomain,
            tier=t.spec.tier, variants=t.spec.variants.size, version=t.spec.version,
            software=t.spec.software.debian + t.spec.software.pypi, executables=t.spec.software.executables,
            expert_minutes=t.spec.expert_minutes, agent_timeout_sec=t.spec.agent_timeout_sec,
            deliverables=[d.path for d in t.spec.deliverables], canary=t.spec.canary,
        )
        for t in sorted(tasks, key=lambda t: t.id)
    ]


def write_catalog(tasks: list[Task], out_dir: Path) -> list[Path]:
    """Write ``catalog.md`` and ``catalog.json`` into ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = catalog_entries(tasks)
    json_path = out_dir / "catalog.json"
    json_path.write_text(json.dumps([e.model_dump() for e in entries], indent=2) + "\n")
    taxonomy = load_taxonomy()
    lines = ["# ALE task catalog", "", f"{len(entries)} tasks, {sum(e.variants for e in entries)} instances.", ""]
    for cluster in taxonomy.clusters:
        in_cluster = [e for e in entries if e.cluster == cluster.code]
        if not in_cluster:
            continue
        lines += [f"## {cluster.id}. {cluster.name}", "",
                  "| id | title | subdomain | tier | software | expert time | deliverables |",
                  "|---|---|---|---|---|---|---|"]
        for e in in_cluster:
            sub = taxonomy.subdomain(e.subdomain)
            lines.append(
                f"| `{e.id}` | {e.title} | {sub.name if sub else e.subdomain} | {e.tier} | {', '.join(e.executables)} "
                f"| {e.expert_minutes / 60:.1f} h | {', '.join(f'`{d}`' for d in e.deliverables)} |"
            )
        lines.append("")
    md_path = out_dir / "catalog.md"
    md_path.write_text("\n".join(lines))
    return [md_path, json_path]
