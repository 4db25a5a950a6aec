"""Growth-coupled strain design on the E. coli core model.

Workflow: a metabolic engineer gets the lab's copy of the E. coli core model, a medium sheet and a design
brief (host genotype, maintenance, a heterologous step, the target product and the acceptance standard:
at most K reaction knockouts, a growth floor, a guaranteed product yield at maximum growth, reactions the
team will not touch, a scale-up oxygen level). They set the strain up, report the parent's production
envelope and its essential genes, search a knockout design of their own, and hand over its envelope,
its implementation as gene deletions, a figure and a recommendation.

Generation draws the scenario from the seed and proves it reachable with its own beam search (scipy);
the reference network goes to the hidden reference. Grading recomputes everything with scipy's HiGHS on
that network: the design is verified by applying its gene deletions, whatever method found it.
"""
# ALE-CANARY-e46e7be2-1ab0-4ba6-a9c1-a9700c71eb09

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, as_number, is_close, write_csv

from .instance import BASE_MEDIUM, SCENARIOS, Scenario, bundled_model_path, draw, read_sbml
from .network import Coupling, Network, coupling, product_range

MODEL_FILE = "e_coli_core.json"
STRONG_FROM = 0.10  # coupling is strong when product is forced at every growth >= 10 % of the design's maximum
STRONG_FLUX = 0.10  # ... at no less than 0.1 mmol/gDW/h
ENVELOPE_POINTS = 11
FIGURE_POINTS = 41  # growth rates, zero to maximum, at which the figure's upper bounds are read back
EXCLUSION_STREAM = zlib.crc32(b"excluded twins")  # the seed's own random stream for the ruled-out reactions


# -- generate ---------------------------------------------------------------------------------


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    rng = np.random.default_rng(params["seed"])
    base = read_sbml(bundled_model_path())
    exclusion_rng = np.random.default_rng([params["seed"], EXCLUSION_STREAM])
    scenario, net, witness = draw(params["scenario"], base, rng, exclusion_rng)
    spec = scenario.spec
    (input_dir / MODEL_FILE).write_text(json.dumps(base, indent=1))
    rate = {exchange: "unlimited" for _, exchange in BASE_MEDIUM}
    rows = [[spec["carbon_name"], spec["carbon"], f"{scenario.carbon_uptake:g}"],
            ["oxygen", "EX_o2_e", f"{scenario.oxygen_uptake:g}"],
            *[[name, exchange, rate[exchange]] for name, exchange in BASE_MEDIUM]]
    write_csv(input_dir / "medium.csv", ["compound", "exchange_reaction", "max_uptake_mmol_per_gDW_h"], rows)
    names = {g["id"]: g["name"] for g in base["genes"]}
    step = spec["heterologous"]
    brief = {
        "project": f"SD-{params['seed'] % 10000:04d}: growth-coupled {spec['product_name']} production",
        "host": {"strain": "E. coli K-12 MG1655 derivative",
                 "genotype": [f"delta-{names[g]}" for g in scenario.background],
                 "ngam_mmol_ATP_per_gDW_h": scenario.ngam, "maintenance_reaction": "ATPM"},
        "heterologous_steps": [] if step is None else [{
            "reaction_id": step["id"], "name": step["name"], "gene": step["gene"], "gene_name": step["gene_name"],
            "equation": _equation(step["metabolites"]), "reversible": False}],
        "target": {"product": spec["product_name"], "exchange_reaction": spec["product"]},
        "acceptance": {"max_reaction_knockouts": spec["max_knockouts"],
                       "min_growth_share_of_parent": scenario.growth_floor,
                       "min_guaranteed_yield_mol_per_mol_carbon_source": scenario.target_yield},
        "excluded_reactions": [{"reaction_id": r, "reason": "ruled out by the strain team (earlier construct "
                                "was genetically unstable)"} for r in scenario.excluded],
        "scale_up_check": {"oxygen_uptake_mmol_per_gDW_h": scenario.scaleup_oxygen,
                           "note": "production fermenter oxygen transfer; all else as in the medium sheet"},
    }
    (input_dir / "design_brief.json").write_text(json.dumps(brief, indent=2) + "\n")
    (reference_dir / "network.json").write_text(json.dumps(net.to_json()))
    parent = coupling(net, spec["product"])
    theoretical = product_range(net, spec["product"], 0.0)[1]
    reference = {"scenario": scenario.__dict__, "parent": parent.__dict__, "theoretical_max_product": theoretical,
                 "essential_genes": witness.pop("essential"), "witness": witness}
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=1))


def _equation(stoich: dict[str, float]) -> str:
    side = {sign: " + ".join(f"{abs(c):g} {m}" if abs(c) != 1 else m for m, c in stoich.items() if (c > 0) == sign)
            for sign in (False, True)}
    return f"{side[False]} --> {side[True]}"


# -- grade ------------------------------------------------------------------------------------


def grade(g: Grading) -> None:
    files = ("essential_genes.csv", "envelope.csv", "design.json", "envelope.png")
    if not g.require_files(*files):
        return
    ref = g.reference_json("reference.json")
    net = Network.from_json(g.reference_json("network.json"))
    scenario = Scenario(**ref["scenario"])
    spec = SCENARIOS[scenario.name]
    product = spec["product"]
    genes_rows = g.read_csv("essential_genes.csv", required_columns=["locus_tag"])
    envelope_rows = g.read_csv("envelope.csv", required_columns=["strain", "growth_rate", "product_min",
                                                                "product_max"])
    design = g.read_json("design.json")
    if genes_rows is None or envelope_rows is None:
        return
    if not g.check("design.json is an object", isinstance(design, dict), gate=True, weight=0):
        return
    grade_essential(g, genes_rows, ref["essential_genes"])
    parent = ref["parent"]
    grade_parent(g, design.get("parent"), parent, ref["theoretical_max_product"])
    grade_envelope(g, "parent", envelope_rows, net, product, [], parent["growth"])
    knockouts = legal_design(g, design, net, scenario)
    target = scenario.target_yield * scenario.carbon_uptake
    if knockouts is None:
        g.check("design reaches the growth floor", False, weight=2, reason="no legal design to verify")
        g.check("design couples the product to growth at the target yield", False, weight=4,
                reason="no legal design to verify")
        for name in ("design figures match a recomputation", "design envelope recomputes", "every knockout is "
                     "needed", "coupling type follows from the envelope", "scale-up verdict follows from a "
                     "recomputation", "recommendation names the design's genes and what they guarantee"):
            g.check(name, False, reason="no legal design to verify")
    else:
        result = coupling(net, product, knockouts)
        floor = scenario.growth_floor * parent["growth"]
        g.check("design reaches the growth floor", result.growth >= floor * (1 - 1e-6), weight=2,
                expected=f">= {floor:.4f} 1/h", found=round(result.growth, 5))
        g.check("design couples the product to growth at the target yield", result.product_min >= target - 1e-6,
                weight=4, expected=f">= {target:.4f} mmol/gDW/h at maximum growth",
                found=round(result.product_min, 5))
        grade_design_figures(g, design.get("design"), result, scenario)
        grade_envelope(g, "design", envelope_rows, net, product, knockouts, result.growth)
        grade_minimal(g, net, product, knockouts, target, floor)
        grade_coupling_type(g, design.get("coupling"), net, product, knockouts, result.growth)
        grade_scaleup(g, design.get("scale_up"), net, scenario, knockouts, target)
        grade_recommendation(g, design.get("recommendation"), design.get("gene_deletions"), net, result,
                             scenario.carbon_uptake)
    ceilings = {"parent": ([], parent["growth"])}
    if knockouts is not None:
        ceilings["design"] = (knockouts, result.growth)
    g.chart_draws("envelope figure draws each strain's envelope", g.image("envelope.png"), {
        f"{strain} maximum product": [product_range(net, product, top * k / (FIGURE_POINTS - 1), kos)[1]
                                      for k in range(FIGURE_POINTS)]
        for strain, (kos, top) in ceilings.items()}, min_share=0.95)


def grade_essential(g: Grading, rows: list[dict[str, str]], expected: list[str]) -> None:
    found = {r["locus_tag"].strip() for r in rows if r.get("locus_tag", "").strip()}
    want = set(expected)
    score = len(found & want) / len(found | want) if found | want else 1.0
    g.check("essential genes of the host under the brief's medium", score, weight=3,
            expected=sorted(want), found=sorted(found),
            reason=f"missing {sorted(want - found)}; not essential {sorted(found - want)}" if score < 1 else "")


def grade_parent(g: Grading, reported: Any, parent: dict[str, float], theoretical: float) -> None:
    reported = reported if isinstance(reported, dict) else {}
    pairs = {"max_growth": parent["growth"], "product_min_at_max_growth": parent["product_min"],
             "product_max_at_max_growth": parent["product_max"], "max_product": theoretical}
    wrong = [f"{k}: {reported.get(k)} (want {v:.4f})" for k, v in pairs.items()
             if not is_close(reported.get(k), v, abs_tol=2e-3, rel_tol=2e-3)]
    g.check("parent strain: maximum growth, product range at it, theoretical maximum product", not wrong,
            weight=2, expected={k: round(v, 4) for k, v in pairs.items()}, reason="; ".join(wrong))


def grade_envelope(g: Grading, strain: str, rows: list[dict[str, str]], net: Network, product: str,
                   knockouts: list[str], top: float) -> None:
    """The strain's rows: at least ENVELOPE_POINTS from zero to maximum growth, each recomputed."""
    points = []
    for row in rows:
        if row.get("strain", "").strip().lower() != strain:
            continue
        values = [as_number(row.get(c)) for c in ("growth_rate", "product_min", "product_max")]
        if any(v is None for v in values):
            g.check(f"{strain} production envelope recomputes", False, reason=f"unreadable row {row}")
            return
        points.append(values)
    growths = sorted(p[0] for p in points)
    covered = len(points) >= ENVELOPE_POINTS and growths[0] <= 0.01 * top + 1e-9 and growths[-1] >= 0.99 * top
    wrong = []
    for grow, low, high in points:
        if grow > top * (1 + 1e-6):
            wrong.append(f"growth {grow} above the maximum {top:.4f}")
            continue
        want_low, want_high = product_range(net, product, grow, knockouts)
        if not (is_close(low, want_low, abs_tol=0.02, rel_tol=2e-3) and
                is_close(high, want_high, abs_tol=0.02, rel_tol=2e-3)):
            wrong.append(f"at {grow:.4f}: {low:.3f}..{high:.3f} (want {want_low:.3f}..{want_high:.3f})")
    g.check(f"{strain} production envelope recomputes", covered and not wrong, weight=2,
            expected=f">= {ENVELOPE_POINTS} points from 0 to {top:.4f} 1/h", found=f"{len(points)} points",
            reason="; ".join(wrong[:4]) or ("" if covered else "does not span zero to maximum growth"))


def legal_design(g: Grading, design: dict[str, Any], net: Network, scenario: Scenario) -> list[str] | None:
    """The design's reactions when they are within budget, targetable, and exactly what its gene deletions
    remove from the host; None (a failed check) otherwise."""
    knockouts, genes = design.get("knockouts"), design.get("gene_deletions")
    problems = []
    if not (isinstance(knockouts, list) and isinstance(genes, list) and knockouts and genes
            and all(isinstance(x, str) for x in [*knockouts, *genes])):
        g.check("design is legal and implemented by its gene deletions", False, weight=2,
                reason="knockouts and gene_deletions must be non-empty lists of identifiers")
        return None
    knockouts, genes = sorted(set(knockouts)), sorted(set(genes))
    if len(knockouts) > scenario.spec["max_knockouts"]:
        problems.append(f"{len(knockouts)} knockouts, budget {scenario.spec['max_knockouts']}")
    allowed = set(net.knockable()) - set(scenario.excluded)
    problems += [f"{r} is not a targetable reaction" for r in knockouts if r not in allowed]
    problems += [f"{x} is not a gene of the host" for x in genes if x not in net.genes or x in scenario.background]
    if not problems:
        removed = net.blocked_by([*scenario.background, *genes]) - net.blocked_by(scenario.background)
        if removed != set(knockouts):
            problems.append(f"the gene deletions remove {sorted(removed)}, not the knockouts {knockouts}")
    g.check("design is legal and implemented by its gene deletions", not problems, weight=2,
            expected=f"<= {scenario.spec['max_knockouts']} targetable reactions, none of {scenario.excluded}",
            found={"knockouts": knockouts, "gene_deletions": genes}, reason="; ".join(problems))
    return None if problems else knockouts


def grade_design_figures(g: Grading, reported: Any, result: Any, scenario: Scenario) -> None:
    reported = reported if isinstance(reported, dict) else {}
    pairs = {"max_growth": result.growth, "product_min_at_max_growth": result.product_min,
             "product_max_at_max_growth": result.product_max,
             "guaranteed_yield": result.product_min / scenario.carbon_uptake}
    wrong = [f"{k}: {reported.get(k)} (recomputed {v:.4f})" for k, v in pairs.items()
             if not is_close(reported.get(k), v, abs_tol=2e-3, rel_tol=2e-3)]
    g.check("design figures match a recomputation", not wrong, weight=2,
            expected={k: round(v, 4) for k, v in pairs.items()}, reason="; ".join(wrong))


def grade_minimal(g: Grading, net: Network, product: str, knockouts: list[str], target: float, floor: float) -> None:
    """Judgement: no knockout is superfluous; reverting any one must lose the target (a needless deletion
    costs the lab a construct and the strain fitness)."""
    superfluous = []
    for r in knockouts:
        rest = [k for k in knockouts if k != r]
        result = coupling(net, product, rest)
        if result.growth >= floor and result.product_min >= target - 1e-6:
            superfluous.append(r)
    g.check("every knockout is needed", not superfluous, weight=2, found=knockouts,
            reason=f"the target still holds without {superfluous}" if superfluous else "")


def grade_coupling_type(g: Grading, reported: Any, net: Network, product: str, knockouts: list[str],
                        growth: float) -> None:
    forced = product_range(net, product, STRONG_FROM * growth, knockouts)[0]
    truth = "strong" if forced >= STRONG_FLUX else "weak"
    borderline = abs(forced - STRONG_FLUX) <= 0.05
    said = str(reported).strip().lower()
    g.check("coupling type follows from the envelope", said == truth or (borderline and said in ("strong", "weak")),
            expected=truth, found=reported,
            reason=f"minimum product from {STRONG_FROM:.0%} of maximum growth up is {forced:.3f} mmol/gDW/h")


def grade_scaleup(g: Grading, reported: Any, net: Network, scenario: Scenario, knockouts: list[str],
                  target: float) -> None:
    reported = reported if isinstance(reported, dict) else {}
    scaled = Network.from_json(net.to_json())
    scaled.set_bounds("EX_o2_e", -scenario.scaleup_oxygen, scaled.upper[scaled.index["EX_o2_e"]])
    result = coupling(scaled, scenario.spec["product"], knockouts)
    holds = result.product_min >= target
    borderline = abs(result.product_min - target) <= 0.02 * target
    said = reported.get("still_meets_target")
    value_ok = is_close(reported.get("product_min_at_max_growth"), result.product_min, abs_tol=5e-3, rel_tol=5e-3)
    verdict_ok = isinstance(said, bool) and (said == holds or borderline)
    g.check("scale-up verdict follows from a recomputation", value_ok and verdict_ok, weight=2,
            expected={"product_min_at_max_growth": round(result.product_min, 4), "still_meets_target": holds},
            found=reported)


def grade_recommendation(g: Grading, text: Any, genes: Any, net: Network, result: Coupling, uptake: float) -> None:
    """The paragraph names every gene to delete and cites what the design guarantees: its guaranteed yield
    (mol/mol or %) or its minimum product flux at maximum growth, to about two significant figures."""
    text = text if isinstance(text, str) else ""
    lowered = text.lower()
    missing = [x for x in genes if x.lower() not in lowered and net.genes.get(x, x).lower() not in lowered]
    numbers = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", text)]
    guaranteed = result.product_min / uptake
    cites = any(is_close(n, want, abs_tol=0.01, rel_tol=0.05) for n in numbers
                for want in (guaranteed, 100 * guaranteed, result.product_min))
    problems = [*([f"does not name {missing}"] if missing else []), *([] if len(text.split()) >= 20 else ["too short"]),
                *([] if cites else [f"cites neither the guaranteed yield ({guaranteed:.3f} mol/mol) nor the minimum "
                                    f"product at maximum growth ({result.product_min:.3f} mmol/gDW/h)"])]
    g.check("recommendation names the design's genes and what they guarantee", not problems,
            reason="; ".join(problems))
