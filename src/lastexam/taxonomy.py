"""The benchmark's map of professional work: clusters, subdomains and tiers.

Loaded once from the packaged copy of the shared ``taxonomy.toml``.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from pydantic import BaseModel


class Subdomain(BaseModel, frozen=True):
    id: str
    code: str
    name: str
    cluster: str


class Cluster(BaseModel, frozen=True):
    id: int
    code: str
    name: str
    subdomains: tuple[Subdomain, ...]


class Taxonomy(BaseModel, frozen=True):
    tiers: dict[str, str]
    clusters: tuple[Cluster, ...]

    def cluster(self, code: str) -> Cluster | None:
        """The cluster with this code, or None."""
        return next((c for c in self.clusters if c.code == code), None)

    def subdomain(self, code_or_id: str) -> Subdomain | None:
        """The subdomain with this code ("quant_finance") or id ("6.7"), or None."""
        for cluster in self.clusters:
            for sub in cluster.subdomains:
                if code_or_id in (sub.code, sub.id):
                    return sub
        return None

    @property
    def benchmark_clusters(self) -> tuple[Cluster, ...]:
        """The industry clusters proper: every cluster but ``other``."""
        return tuple(c for c in self.clusters if c.code != "other")


@cache
def load_taxonomy() -> Taxonomy:
    """Parse the packaged taxonomy; the result is cached for the process."""
    raw = tomllib.loads(resources.files("lastexam.data").joinpath("taxonomy.toml").read_text())
    clusters = tuple(
        Cluster(
            id=c["id"],
            code=c["code"],
            name=c["name"],
            subdomains=tuple(Subdomain(id=i, code=code, name=n, cluster=c["code"]) for i, code, n in c["subdomains"]),
        )
        for c in raw["cluster"]
    )
    return Taxonomy(tiers=dict(raw["tiers"]), clusters=clusters)
