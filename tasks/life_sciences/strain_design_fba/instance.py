"""The instance of the strain-design task: the base model read from COBRApy's bundled SBML, the scenario
(medium, oxygen, maintenance, host genotype, heterologous step, target and acceptance standard) drawn
from the seed, and the reference computed on the resulting network."""

from __future__ import annotations

import gzip
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import tool_python

from .network import ESSENTIAL_SHARE, Network, beam_search, coupling, essential_genes, isozymes, max_growth

SBML = "{http://www.sbml.org/sbml/level3/version1/core}"
FBC = "{http://www.sbml.org/sbml/level3/version1/fbc/version2}"
UNLIMITED = 1000.0

# target product, carbon source, oxygen regime (uptake range; 0 is anaerobic), knockout budget, growth floor,
# the yield the business case would like (mol/mol; what the obvious design is searched for), a heterologous step,
# and the scale-up oxygen to test
SCENARIOS: dict[str, dict[str, Any]] = {
    "succinate_microaerobic": {
        "product": "EX_succ_e", "product_name": "succinate", "carbon": "EX_glc__D_e", "carbon_name": "D-glucose",
        "oxygen": (3.0, 5.0), "max_knockouts": 3, "growth_floor": (0.25, 0.32), "stretch_yield": 0.60,
        "heterologous": None, "scaleup_oxygen": (7.0, 9.0)},
    "lactate_aerobic_fructose": {
        "product": "EX_lac__D_e", "product_name": "D-lactate", "carbon": "EX_fru_e", "carbon_name": "D-fructose",
        "oxygen": (14.0, 18.0), "max_knockouts": 3, "growth_floor": (0.25, 0.32), "stretch_yield": 0.95,
        "heterologous": None, "scaleup_oxygen": (20.0, 24.0)},
    "succinate_anaerobic_pyc": {
        "product": "EX_succ_e", "product_name": "succinate", "carbon": "EX_glc__D_e", "carbon_name": "D-glucose",
        "oxygen": (0.0, 0.0), "max_knockouts": 2, "growth_floor": (0.30, 0.38), "stretch_yield": 0.85,
        "heterologous": {"id": "PYC_re", "name": "pyruvate carboxylase (Rhizobium etli pyc)",
                         "metabolites": {"pyr_c": -1.0, "atp_c": -1.0, "co2_c": -1.0, "h2o_c": -1.0, "oaa_c": 1.0,
                                         "adp_c": 1.0, "pi_c": 1.0, "h_c": 2.0},
                         "gene": "RHE_CH04002", "gene_name": "pyc"},
        "scaleup_oxygen": (0.8, 1.6)},
}
# reactions of one pathway step that a knockout design can use interchangeably (removing either blocks the step)
TWINS = [("ACALD", "ALCD2x"), ("ACKr", "PTAr"), ("D_LACt2", "LDH_D")]
# other reactions that good designs use; each is ruled out by the team with even odds
OPTIONAL = ["ATPS4r", "CYTBD", "G6PDH2r", "GLUDy", "ME2", "PFL", "THD2"]
MIN_TARGET_SHARE = 0.3  # a target below this share of the stretch yield is too easy to hit: redraw
BASE_MEDIUM = [("ammonium", "EX_nh4_e"), ("phosphate", "EX_pi_e"), ("water", "EX_h2o_e"), ("protons", "EX_h_e"),
               ("carbon dioxide", "EX_co2_e")]


def bundled_model_path() -> Path:
    """COBRApy's bundled E. coli core model (the ``textbook`` SBML) in the task's tool environment."""
    env = tool_python(__file__).parent.parent
    found = sorted(env.glob("lib/python3*/site-packages/cobra/data/textbook.xml.gz"))
    if not found:
        raise RuntimeError(f"COBRApy's textbook.xml.gz is missing under {env}. Fix: `ale setup`")
    return found[0]


def read_sbml(path: Path) -> dict[str, Any]:
    """A COBRA JSON document of an SBML level 3 FBC v2 model (ids without the R_/M_/G_ prefixes)."""
    root = ET.fromstring(gzip.decompress(path.read_bytes()))
    model = root.find(f"{SBML}model")
    assert model is not None
    params = {p.get("id"): float(p.get("value", "nan")) for p in model.iter(f"{SBML}parameter")}
    gene_label = {g.get(f"{FBC}id"): (g.get(f"{FBC}label"), g.get(f"{FBC}name"))
                  for g in model.iter(f"{FBC}geneProduct")}
    objective = {f.get(f"{FBC}reaction") for f in model.iter(f"{FBC}fluxObjective")}

    def rule(node: ET.Element) -> str:
        tag = node.tag.removeprefix(FBC)
        if tag == "geneProductRef":
            return str(gene_label[node.get(f"{FBC}geneProduct")][0])
        parts = [rule(child) for child in node]
        joined = f" {tag} ".join(parts)
        return f"({joined})" if len(parts) > 1 else joined

    metabolites = [{"id": s.get("id", "").removeprefix("M_"), "name": s.get("name", ""),
                    "compartment": s.get("compartment"), "charge": int(s.get(f"{FBC}charge", "0")),
                    "formula": s.get(f"{FBC}chemicalFormula", "")} for s in model.iter(f"{SBML}species")]
    reactions = []
    for r in model.iter(f"{SBML}reaction"):
        stoich: dict[str, float] = {}
        for side, sign in (("listOfReactants", -1.0), ("listOfProducts", 1.0)):
            for ref in r.iter(f"{SBML}{side}"):
                for s in ref:
                    met = s.get("species", "").removeprefix("M_")
                    stoich[met] = stoich.get(met, 0.0) + sign * float(s.get("stoichiometry", "1"))
        gpa = r.find(f"{FBC}geneProductAssociation")
        text = rule(gpa[0]) if gpa is not None and len(gpa) else ""
        text = text[1:-1] if text.startswith("(") and text.endswith(")") and text.count("(") == 1 else text
        entry = {"id": r.get("id", "").removeprefix("R_"), "name": r.get("name", ""), "metabolites": stoich,
                 "lower_bound": params[r.get(f"{FBC}lowerFluxBound")],
                 "upper_bound": params[r.get(f"{FBC}upperFluxBound")], "gene_reaction_rule": text}
        if r.get("id") in objective:
            entry["objective_coefficient"] = 1.0
        reactions.append(entry)
    genes = [{"id": label, "name": name} for label, name in gene_label.values()]
    return {"id": model.get("id"), "name": "E. coli core metabolism (Orth et al. 2010)", "version": "1",
            "compartments": {"c": "cytosol", "e": "extracellular"}, "metabolites": metabolites,
            "reactions": reactions, "genes": genes}


@dataclass
class Scenario:
    """What the brief and the medium sheet tell the agent, drawn from the seed."""

    name: str
    carbon_uptake: float
    oxygen_uptake: float
    ngam: float
    background: list[str]  # locus tags deleted in the host
    excluded: list[str]  # reactions the team will not target
    growth_floor: float  # share of the parent strain's maximum growth
    target_yield: float  # mol product per mol carbon source, guaranteed at maximum growth
    scaleup_oxygen: float

    @property
    def spec(self) -> dict[str, Any]:
        return SCENARIOS[self.name]


def instance_network(base: dict[str, Any], scenario: Scenario) -> Network:
    """The parent strain under the scenario's conditions: the heterologous step added, the medium applied
    (every unlisted exchange can only secrete), maintenance set, the host's deleted genes' reactions closed."""
    net = Network.from_cobra_json(with_heterologous(base, scenario.spec["heterologous"]))
    for j, r in enumerate(net.reactions):
        if r.startswith("EX_"):
            net.lower[j] = 0.0
    for _, exchange in BASE_MEDIUM:
        net.set_bounds(exchange, -UNLIMITED, UNLIMITED)
    net.set_bounds(scenario.spec["carbon"], -scenario.carbon_uptake, UNLIMITED)
    net.set_bounds("EX_o2_e", -scenario.oxygen_uptake, UNLIMITED)
    net.set_bounds("ATPM", scenario.ngam, UNLIMITED)
    for r in net.blocked_by(scenario.background):
        net.set_bounds(r, 0.0, 0.0)
    return net


def with_heterologous(base: dict[str, Any], step: dict[str, Any] | None) -> dict[str, Any]:
    if step is None:
        return base
    doc = {**base, "reactions": [*base["reactions"], {
        "id": step["id"], "name": step["name"], "metabolites": step["metabolites"], "lower_bound": 0.0,
        "upper_bound": UNLIMITED, "gene_reaction_rule": step["gene"]}],
        "genes": [*base["genes"], {"id": step["gene"], "name": step["gene_name"]}]}
    return doc


def draw(name: str, base: dict[str, Any], rng: np.random.Generator, exclusion_rng: np.random.Generator
         ) -> tuple[Scenario, Network, dict[str, Any]]:
    """A scenario whose acceptance standard is reachable (the generator's own search finds a design) and not
    met by the parent strain or by any single knockout; redrawn until it is. ``exclusion_rng`` picks the reactions the team
    will not target (one of each twin pair, each optional one with even odds), so that a design memorised from
    another instance is rarely legal."""
    spec = SCENARIOS[name]
    for _ in range(12):
        ruled_out = [str(pair[int(exclusion_rng.integers(2))]) for pair in TWINS]
        ruled_out += [r for r, out in zip(OPTIONAL, exclusion_rng.integers(2, size=len(OPTIONAL)), strict=True) if out]
        lo, hi = spec["oxygen"]
        scenario = Scenario(
            name=name, carbon_uptake=round(float(rng.uniform(8.5, 11.5)), 2),
            oxygen_uptake=round(float(rng.uniform(lo, hi)), 2), ngam=round(float(rng.uniform(7.6, 9.4)), 2),
            background=[], excluded=[], growth_floor=round(float(rng.uniform(*spec["growth_floor"])), 2),
            target_yield=0.0, scaleup_oxygen=round(float(rng.uniform(*spec["scaleup_oxygen"])), 2))
        net = instance_network(base, scenario)
        scenario.background = _host_deletions(net, rng)
        net = instance_network(base, scenario)
        parent = max_growth(net)
        floor = scenario.growth_floor * parent
        candidates = [r for r in net.removable_alone(scenario.background)
                      if (net.upper[net.index[r]] != 0 or net.lower[net.index[r]] != 0) and r not in ruled_out]
        stretch = spec["stretch_yield"] * scenario.carbon_uptake
        first = beam_search(net, spec["product"], candidates, spec["max_knockouts"], floor, stretch)
        if first.design is None:
            continue
        # the team has ruled out one reaction of the obvious design (not a twin: its partner would still be
        # legal): the search must find another way
        twins = {r for pair in TWINS for r in pair}
        obvious = [r for r in first.design[0] if r not in twins] or first.design[0]
        excluded = sorted([*ruled_out, *rng.choice(obvious, size=1, replace=False).tolist()])
        allowed = [r for r in candidates if r not in excluded]
        # the best design the search finds, not the first to reach the stretch yield: a target set just under
        # it leaves little room for a design memorised from another instance
        found = beam_search(net, spec["product"], allowed, spec["max_knockouts"], floor, math.inf)
        if found.design is None:
            continue
        design, result = found.design
        best_single = max(first.best_single, found.best_single)
        target = math.floor(result.product_min * 0.9 / scenario.carbon_uptake * 100) / 100
        wild = coupling(net, spec["product"])
        if target < MIN_TARGET_SHARE * spec["stretch_yield"] or \
                target * scenario.carbon_uptake <= 1.1 * max(best_single, wild.product_min) + 0.1:
            continue
        shares = essential_genes(net, scenario.background)
        if any(0.5 * ESSENTIAL_SHARE <= s <= 5 * ESSENTIAL_SHARE for s in shares.values()):
            continue
        scenario.excluded, scenario.target_yield = excluded, target
        witness = {"knockouts": design, "growth": result.growth, "product_min": result.product_min,
                   "best_single_product_min": best_single,
                   "essential": sorted(g for g, s in shares.items() if s < ESSENTIAL_SHARE)}
        return scenario, net, witness
    raise AssertionError(f"no reachable {name} scenario in 12 draws")


def _host_deletions(net: Network, rng: np.random.Generator) -> list[str]:
    """One gene of a two-isozyme essential reaction, so that its partner becomes essential in this host."""
    parent = max_growth(net)
    options = []
    for r in net.knockable():
        alternatives = isozymes(net.rules[r])
        if len(alternatives) == 2 and all(len(a) == 1 for a in alternatives) \
                and max_growth(net, [r]) < ESSENTIAL_SHARE * parent:
            options.append(sorted(g for a in alternatives for g in a))
    options.sort()
    pick = options[int(rng.integers(len(options)))]
    return [pick[int(rng.integers(2))]]
