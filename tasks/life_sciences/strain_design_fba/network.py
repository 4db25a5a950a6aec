"""A stoichiometric network and the flux-balance computations of the task, in numpy and scipy's HiGHS.

This is the generator's reference and the grader's recomputation, independent of COBRApy: the model
is read from COBRA JSON (the format the agent is handed), gene rules are evaluated here, and every
optimum is a ``scipy.optimize.linprog`` solve of S v = 0 within the flux bounds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from scipy.optimize import linprog

SPONTANEOUS = "s0001"  # the core model's placeholder for "no enzyme needed": never deletable
GROWTH_SLACK = 1e-6  # "at maximum growth" means growth >= (1 - GROWTH_SLACK) * the maximum
ESSENTIAL_SHARE = 0.01  # a gene is essential when its deletion leaves < 1 % of the parent's growth


@dataclass
class Network:
    """Reactions, metabolites, the stoichiometric matrix, bounds and gene rules of one strain."""

    reactions: list[str]
    metabolites: list[str]
    matrix: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    rules: dict[str, str]
    genes: dict[str, str]  # locus tag -> gene name
    biomass: str
    index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.index = {r: j for j, r in enumerate(self.reactions)}

    @classmethod
    def from_cobra_json(cls, doc: dict[str, Any]) -> Network:
        """The network of a COBRA JSON model document (bounds as written in it)."""
        reactions = [r["id"] for r in doc["reactions"]]
        metabolites = [m["id"] for m in doc["metabolites"]]
        row = {m: i for i, m in enumerate(metabolites)}
        matrix = np.zeros((len(metabolites), len(reactions)))
        for j, r in enumerate(doc["reactions"]):
            for met, coef in r["metabolites"].items():
                matrix[row[met], j] = float(coef)
        objective = [r["id"] for r in doc["reactions"] if r.get("objective_coefficient")]
        return cls(reactions, metabolites, matrix,
                   np.array([float(r["lower_bound"]) for r in doc["reactions"]]),
                   np.array([float(r["upper_bound"]) for r in doc["reactions"]]),
                   {r["id"]: r.get("gene_reaction_rule", "") for r in doc["reactions"]},
                   {g["id"]: g.get("name", g["id"]) for g in doc["genes"]}, objective[0])

    def to_json(self) -> dict[str, Any]:
        """A plain-data copy (the grader's hidden network)."""
        rows, cols = np.nonzero(self.matrix)
        return {"reactions": self.reactions, "metabolites": self.metabolites,
                "entries": [[int(i), int(j), float(self.matrix[i, j])] for i, j in zip(rows, cols, strict=True)],
                "lower": self.lower.tolist(), "upper": self.upper.tolist(), "rules": self.rules,
                "genes": self.genes, "biomass": self.biomass}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Network:
        matrix = np.zeros((len(data["metabolites"]), len(data["reactions"])))
        for i, j, v in data["entries"]:
            matrix[i, j] = v
        return cls(list(data["reactions"]), list(data["metabolites"]), matrix, np.array(data["lower"], float),
                   np.array(data["upper"], float), dict(data["rules"]), dict(data["genes"]), data["biomass"])

    def set_bounds(self, reaction: str, lower: float, upper: float) -> None:
        self.lower[self.index[reaction]], self.upper[self.index[reaction]] = lower, upper

    def bounds(self, knockouts: Iterable[str] = ()) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bound vectors with the ``knockouts`` closed."""
        lower, upper = self.lower.copy(), self.upper.copy()
        for r in knockouts:
            lower[self.index[r]] = upper[self.index[r]] = 0.0
        return lower, upper

    def blocked_by(self, deleted_genes: Iterable[str]) -> set[str]:
        """Reactions whose gene rule is false once ``deleted_genes`` are gone (rule-less ones never are)."""
        deleted = set(deleted_genes)
        return {r for r, rule in self.rules.items() if rule.strip() and not rule_holds(rule, deleted)}

    def knockable(self) -> list[str]:
        """Reactions a gene deletion can remove: a gene rule without the spontaneous placeholder, and not an
        exchange or the biomass reaction."""
        return [r for r in self.reactions if self.rules[r].strip() and SPONTANEOUS not in self.rules[r]
                and not r.startswith("EX_") and r != self.biomass]

    def removable_alone(self, background: Sequence[str]) -> list[str]:
        """Knockable reactions that deleting, in the host lacking ``background``, one gene of each of their
        isozymes (the one with the fewest reactions) removes without any other reaction."""
        before = self.blocked_by(background)
        reactions_of = {g: sum(g in rule_genes(rule) for rule in self.rules.values()) for g in self.genes}
        found = []
        for r in self.knockable():
            chosen: set[str] = set()
            for genes in isozymes(self.rules[r]):
                if genes & chosen or genes & set(background):
                    continue
                chosen.add(min(genes, key=lambda g: (reactions_of.get(g, 0), g)))
            if self.blocked_by([*background, *chosen]) - before == {r}:
                found.append(r)
        return found


Rule = str | tuple[str, list["Rule"]]  # a locus tag, or ("and" | "or", operands)


@cache
def parse_rule(text: str) -> Rule | None:
    """The tree of a gene-reaction rule (``and``/``or``/parentheses over locus tags); None when it is empty."""
    tokens = re.findall(r"\(|\)|[^\s()]+", text)
    pos = 0

    def joined(operator: str, operand: Callable[[], Rule]) -> Rule:
        nonlocal pos
        operands = [operand()]
        while pos < len(tokens) and tokens[pos].lower() == operator:
            pos += 1
            operands.append(operand())
        return operands[0] if len(operands) == 1 else (operator, operands)

    def any_of() -> Rule:
        return joined("or", all_of)

    def all_of() -> Rule:
        return joined("and", atom)

    def atom() -> Rule:
        nonlocal pos
        token = tokens[pos]
        pos += 1
        if token == "(":
            inner = any_of()
            pos += 1
            return inner
        return token

    return any_of() if tokens else None


def _genes(node: Rule) -> set[str]:
    return {node} if isinstance(node, str) else set().union(*(_genes(n) for n in node[1]))


def _holds(node: Rule, deleted: set[str]) -> bool:
    if isinstance(node, str):
        return node not in deleted
    combine = all if node[0] == "and" else any
    return combine(_holds(n, deleted) for n in node[1])


def rule_genes(rule: str) -> set[str]:
    """The locus tags a gene-reaction rule mentions."""
    tree = parse_rule(rule)
    return set() if tree is None else _genes(tree)


def rule_holds(rule: str, deleted: set[str]) -> bool:
    """Evaluate a gene-reaction rule with ``deleted`` genes absent (an empty rule always holds)."""
    tree = parse_rule(rule)
    return tree is None or _holds(tree, deleted)


def isozymes(rule: str) -> list[set[str]]:
    """The genes of each alternative of a rule's outermost ``or`` (the whole rule when it has none)."""
    tree = parse_rule(rule)
    if tree is None:
        return []
    alternatives = tree[1] if isinstance(tree, tuple) and tree[0] == "or" else [tree]
    return [_genes(a) for a in alternatives]


# -- linear programs --------------------------------------------------------------------------


def _optimum(net: Network, reaction: str, sense: int, lower: np.ndarray, upper: np.ndarray) -> float | None:
    """max (sense=+1) or min (sense=-1) of one reaction's flux; None when infeasible."""
    cost = np.zeros(len(net.reactions))
    cost[net.index[reaction]] = -sense
    res = linprog(cost, A_eq=net.matrix, b_eq=np.zeros(len(net.metabolites)), bounds=np.c_[lower, upper],
                  method="highs")
    return float(-sense * res.fun) if res.status == 0 else None


def max_growth(net: Network, knockouts: Iterable[str] = ()) -> float:
    """Maximum biomass flux with ``knockouts`` closed (0 when infeasible)."""
    value = _optimum(net, net.biomass, 1, *net.bounds(knockouts))
    return max(0.0, value) if value is not None else 0.0


def product_range(net: Network, product: str, growth: float, knockouts: Iterable[str] = ()) -> tuple[float, float]:
    """Minimum and maximum ``product`` flux with biomass flux at least ``growth``."""
    lower, upper = net.bounds(knockouts)
    lower[net.index[net.biomass]] = max(lower[net.index[net.biomass]], growth)
    low = _optimum(net, product, -1, lower, upper)
    high = _optimum(net, product, 1, lower, upper)
    if low is None or high is None:
        return 0.0, 0.0
    return low, high


@dataclass(frozen=True)
class Coupling:
    growth: float  # maximum growth of the strain
    product_min: float  # minimum product flux at maximum growth
    product_max: float  # maximum product flux at maximum growth


def coupling(net: Network, product: str, knockouts: Sequence[str] = (), growth: float | None = None) -> Coupling:
    """Maximum growth and the product flux range at that growth (``growth``: the maximum, if known)."""
    growth = max_growth(net, knockouts) if growth is None else growth
    if growth <= 1e-9:
        return Coupling(0.0, 0.0, 0.0)
    low, high = product_range(net, product, growth * (1 - GROWTH_SLACK), knockouts)
    return Coupling(growth, low, high)


def envelope(net: Network, product: str, growths: Sequence[float], knockouts: Sequence[str] = ()
             ) -> list[tuple[float, float, float]]:
    """Production envelope: (growth, minimum product, maximum product) at each growth rate."""
    return [(g, *product_range(net, product, g, knockouts)) for g in growths]


def essential_genes(net: Network, deleted: Sequence[str] = ()) -> dict[str, float]:
    """Every gene of the network but the ``deleted`` ones (the host's own deletions), with the growth left
    when it is deleted too, as a share of the strain's maximum growth."""
    reference = max_growth(net)
    shares: dict[str, float] = {}
    cache: dict[frozenset[str], float] = {}
    for gene in sorted(set(net.genes) - set(deleted)):
        if gene == SPONTANEOUS:
            continue
        blocked = frozenset(net.blocked_by([*deleted, gene]))
        if blocked not in cache:
            cache[blocked] = max_growth(net, blocked) / reference
        shares[gene] = cache[blocked]
    return shares


@dataclass(frozen=True)
class SearchResult:
    design: tuple[list[str], Coupling] | None  # the first design reaching the target, else the best multiple one
    best_single: float  # the highest minimum product at maximum growth of any single knockout


def beam_search(net: Network, product: str, candidates: Sequence[str], max_knockouts: int, min_growth: float,
                target: float, width: int = 3) -> SearchResult:
    """Search knockout sets of at most ``max_knockouts`` from ``candidates`` for one whose minimum product at
    maximum growth reaches ``target`` with growth >= ``min_growth``.

    Each step extends the best ``width`` sets by one more candidate, ranked by (minimum, maximum) product.
    Without a design reaching the target, the best set of two or more knockouts with a positive minimum.
    """
    beam: list[list[str]] = [[]]
    best: tuple[list[str], Coupling] | None = None
    seen: set[frozenset[str]] = set()
    best_single = 0.0
    for depth in range(max_knockouts):
        scored: list[tuple[list[str], Coupling]] = []
        for knockouts in beam:
            for r in candidates:
                design = sorted({*knockouts, r})
                key = frozenset(design)
                if r in knockouts or key in seen:
                    continue
                seen.add(key)
                growth = max_growth(net, design)
                if growth < min_growth:
                    continue
                result = coupling(net, product, design, growth)
                if depth == 0:
                    best_single = max(best_single, result.product_min)
                if depth > 0 and result.product_min > (best[1].product_min if best else 1e-6):
                    best = (design, result)
                    if result.product_min >= target:
                        return SearchResult(best, best_single)
                scored.append((design, result))
        scored.sort(key=lambda item: (-round(item[1].product_min, 6), -round(item[1].product_max, 6), item[0]))
        beam = [design for design, _ in scored[:width]]
    return SearchResult(best, best_single)
