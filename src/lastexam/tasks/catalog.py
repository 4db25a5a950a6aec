"""The task catalog, generated from the packages: Markdown for people, JSON for tools; and the suite's coverage
of the taxonomy (tasks per tier in each cluster, the subdomains with no task)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from lastexam.tasks.loader import Task
from lastexam.taxonomy import Taxonomy, load_taxonomy


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


class ClusterCoverage(BaseModel):
    """How one cluster of the taxonomy is covered: tasks per tier, and which subdomains have none."""

    cluster: str
    name: str
    tasks: int
    tiers: dict[str, int]
    subdomains: int
    covered: list[str]
    missing: list[str]


class Coverage(BaseModel):
    """The suite against the taxonomy: per cluster, then the totals."""

    clusters: list[ClusterCoverage]
    subdomains: int
    covered: int
    tiers: dict[str, int]


def coverage(tasks: list[Task], taxonomy: Taxonomy | None = None) -> Coverage:
    """Tasks per tier in each cluster and the subdomains covered by at least one task, every cluster listed."""
    taxonomy = taxonomy or load_taxonomy()
    rows = []
    for cluster in taxonomy.clusters:
        mine = [t for t in tasks if t.spec.cluster == cluster.code]
        used = {t.spec.subdomain for t in mine}
        rows.append(ClusterCoverage(
            cluster=cluster.code, name=cluster.name, tasks=len(mine),
            tiers={tier: sum(t.spec.tier == tier for t in mine) for tier in taxonomy.tiers},
            subdomains=len(cluster.subdomains), covered=[s.code for s in cluster.subdomains if s.code in used],
            missing=[s.code for s in cluster.subdomains if s.code not in used]))
    return Coverage(clusters=rows, subdomains=sum(r.subdomains for r in rows), covered=sum(len(r.covered) for r in rows),
                    tiers={tier: sum(r.tiers[tier] for r in rows) for tier in taxonomy.tiers})


def coverage_lines(summary: Coverage) -> list[str]:
    """The coverage as a Markdown table with a line of totals."""
    tiers = list(summary.tiers)
    lines = [f"{summary.covered} of {summary.subdomains} subdomains covered; tasks per tier: "
             + ", ".join(f"{tier} {n}" for tier, n in summary.tiers.items()) + ".", "",
             "| cluster | tasks | " + " | ".join(tiers) + " | subdomains covered | without a task |",
             "|---|---|" + "---|" * len(tiers) + "---|---|"]
    for row in summary.clusters:
        lines.append(f"| {row.name} | {row.tasks} | " + " | ".join(str(row.tiers[t]) for t in tiers)
                     + f" | {len(row.covered)}/{row.subdomains} | {', '.join(row.missing) or '-'} |")
    return lines


def write_catalog(tasks: list[Task], out_dir: Path) -> list[Path]:
    """Write ``catalog.md``, ``catalog.json`` (the entries) and ``coverage.json`` into ``out_dir``; returns their
    paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = catalog_entries(tasks)
    json_path = out_dir / "catalog.json"
    json_path.write_text(json.dumps([e.model_dump() for e in entries], indent=2) + "\n")
    taxonomy = load_taxonomy()
    summary = coverage(tasks, taxonomy)
    coverage_path = out_dir / "coverage.json"
    coverage_path.write_text(summary.model_dump_json(indent=2) + "\n")
    lines = ["# ALE task catalog", "", f"{len(entries)} tasks, {sum(e.variants for e in entries)} instances.", "",
             "## Coverage", "", *coverage_lines(summary), ""]
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
    return [md_path, json_path, coverage_path]
