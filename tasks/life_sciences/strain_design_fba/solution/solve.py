#!/usr/bin/env python3
"""Oracle for the strain-design task, with COBRApy: set the parent strain up from the brief, FBA and the
production envelope, single-gene essentiality, a beam search over reaction knockouts (ranked by the
minimum, then maximum, product at maximum growth), pruning to a minimal set, gene deletions chosen
through the gene-reaction rules, the design's envelope, coupling type and scale-up check."""
# ALE-CANARY-e46e7be2-1ab0-4ba6-a9c1-a9700c71eb09

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import cobra
import matplotlib
from cobra.flux_analysis import find_essential_genes, production_envelope
from cobra.manipulation import knock_out_model_genes

matplotlib.use("Agg")
import matplotlib.pyplot as plt

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
BIOMASS = "Biomass_Ecoli_core"


def parent_strain(brief: dict) -> tuple[cobra.Model, list[str]]:
    model = cobra.io.load_json_model(str(IN / "e_coli_core.json"))
    for step in brief["heterologous_steps"]:
        reaction = cobra.Reaction(step["reaction_id"], name=step["name"], lower_bound=0.0, upper_bound=1000.0)
        model.add_reactions([reaction])
        reaction.build_reaction_from_string(step["equation"])
        reaction.gene_reaction_rule = step["gene"]
        model.genes.get_by_id(step["gene"]).name = step["gene_name"]
    for ex in model.exchanges:
        ex.lower_bound = 0.0
    with open(IN / "medium.csv") as handle:
        for row in csv.DictReader(handle):
            rate = row["max_uptake_mmol_per_gDW_h"].strip()
            model.reactions.get_by_id(row["exchange_reaction"]).lower_bound = -(1000.0 if rate == "unlimited"
                                                                                else float(rate))
    model.reactions.ATPM.lower_bound = brief["host"]["ngam_mmol_ATP_per_gDW_h"]
    by_name = {g.name: g.id for g in model.genes}
    background = [by_name[item.removeprefix("delta-")] for item in brief["host"]["genotype"]]
    knock_out_model_genes(model, background)
    model.objective = BIOMASS
    return model, background


def coupling(model: cobra.Model, product: str, knockouts: list[str], min_growth: float = 0.0) -> tuple:
    """(max growth, min product, max product at max growth); growth alone when below ``min_growth``."""
    with model:
        for r in knockouts:
            model.reactions.get_by_id(r).knock_out()
        growth = model.slim_optimize(error_value=0.0)
        if growth <= 1e-9 or growth < min_growth:
            return growth, 0.0, 0.0
        model.reactions.get_by_id(BIOMASS).lower_bound = growth * (1 - 1e-6)
        model.objective = product
        model.objective_direction = "min"
        low = model.slim_optimize(error_value=0.0)
        model.objective_direction = "max"
        high = model.slim_optimize(error_value=0.0)
    return growth, low, high


def clean_genes(model: cobra.Model, reaction: cobra.Reaction, background: set[str]) -> list[str] | None:
    """Genes whose deletion removes ``reaction`` and no other reaction; None when there is no such set."""
    clauses = [set(c.replace("(", "").replace(")", "").split(" and "))
               for c in reaction.gene_reaction_rule.split(" or ")]
    clauses = [{x.strip() for x in c} for c in clauses if not ({x.strip() for x in c} & background)]
    chosen: set[str] = set()
    for clause in clauses:
        if clause & chosen:
            continue
        options = sorted(clause, key=lambda gid: (len(model.genes.get_by_id(gid).reactions), gid))
        chosen.add(options[0])
    if removed_by(model, sorted(chosen), background) != {reaction.id}:
        return None
    return sorted(chosen)


def removed_by(model: cobra.Model, genes: list[str], background: set[str]) -> set[str]:
    with model:
        before = {r.id for r in model.reactions if r.bounds == (0.0, 0.0)}
        knock_out_model_genes(model, [*background, *genes])
        return {r.id for r in model.reactions if r.bounds == (0.0, 0.0)} - before


def search(model: cobra.Model, product: str, candidates: list[str], depth: int, floor: float, target: float,
           width: int = 3) -> list[str]:
    beam: list[list[str]] = [[]]
    seen: set[frozenset] = set()
    for _ in range(depth):
        scored = []
        for base in beam:
            for r in candidates:
                design = sorted({*base, r})
                if r in base or frozenset(design) in seen:
                    continue
                seen.add(frozenset(design))
                growth, low, high = coupling(model, product, design, floor)
                if growth < floor:
                    continue
                if low >= target * 1.001:
                    return design
                scored.append((-round(low, 6), -round(high, 6), design))
        scored.sort()
        beam = [d for *_, d in scored[:width]]
    raise SystemExit("no design found")


def prune(model: cobra.Model, product: str, design: list[str], floor: float, target: float) -> list[str]:
    for r in list(design):
        rest = [k for k in design if k != r]
        growth, low, _ = coupling(model, product, rest, floor)
        if growth >= floor and low >= target * 1.001:
            design = rest
    return design


def envelope_rows(model: cobra.Model, product: str, knockouts: list[str], strain: str) -> list[list]:
    with model:
        for r in knockouts:
            model.reactions.get_by_id(r).knock_out()
        env = production_envelope(model, reactions=[BIOMASS], objective=product, points=11)
    return [[strain, row[BIOMASS], row["flux_minimum"], row["flux_maximum"]] for _, row in env.iterrows()]


def main() -> None:
    brief = json.loads((IN / "design_brief.json").read_text())
    model, background = parent_strain(brief)
    product = brief["target"]["exchange_reaction"]
    carbon_rows = list(csv.DictReader((IN / "medium.csv").read_text().splitlines()))
    uptake = float(carbon_rows[0]["max_uptake_mmol_per_gDW_h"])
    acceptance = brief["acceptance"]
    target = acceptance["min_guaranteed_yield_mol_per_mol_carbon_source"] * uptake
    growth, low, high = coupling(model, product, [])
    with model:
        model.objective = product
        best_product = model.slim_optimize()
    floor = acceptance["min_growth_share_of_parent"] * growth

    essential = sorted(g.id for g in find_essential_genes(model, threshold=0.01 * growth) if g.id not in background)
    excluded = {e["reaction_id"] for e in brief["excluded_reactions"]}
    bg = set(background)
    genes_of = {}
    for r in model.reactions:
        if (r.genes and "s0001" not in r.gene_reaction_rule and not r.id.startswith("EX_") and r.id != BIOMASS
                and r.id not in excluded and r.bounds != (0.0, 0.0)):
            genes = clean_genes(model, r, bg)
            if genes:
                genes_of[r.id] = genes
    design = search(model, product, sorted(genes_of), acceptance["max_reaction_knockouts"], floor, target)
    design = prune(model, product, design, floor, target)
    deletions = sorted({g for r in design for g in genes_of[r]})
    assert removed_by(model, deletions, bg) == set(design), "gene deletions do not match the design"
    d_growth, d_low, d_high = coupling(model, product, design)

    with model:
        for r in design:
            model.reactions.get_by_id(r).knock_out()
        model.reactions.get_by_id(BIOMASS).lower_bound = 0.1 * d_growth
        model.objective = product
        model.objective_direction = "min"
        forced = model.slim_optimize(error_value=0.0)
    with model:
        model.reactions.EX_o2_e.lower_bound = -brief["scale_up_check"]["oxygen_uptake_mmol_per_gDW_h"]
        _, s_low, _ = coupling(model, product, design)

    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "essential_genes.csv", "w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["locus_tag", "name"])
        w.writerows([g, model.genes.get_by_id(g).name] for g in essential)
    rows = envelope_rows(model, product, [], "parent") + envelope_rows(model, product, design, "design")
    with open(OUT / "envelope.csv", "w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["strain", "growth_rate", "product_min", "product_max"])
        w.writerows(rows)
    names = ", ".join(f"{model.genes.get_by_id(g).name} ({g})" for g in deletions)
    text = (f"Delete {names}, removing {', '.join(design)}. In silico this forces at least {d_low:.2f} mmol/gDW/h "
            f"of {brief['target']['product']} at the design's maximum growth of {d_growth:.3f} 1/h "
            f"({d_growth / growth:.0%} of the parent), a guaranteed yield of {d_low / uptake:.2f} mol/mol "
            f"against a target of {acceptance['min_guaranteed_yield_mol_per_mol_carbon_source']}; the parent "
            f"guarantees {low:.2f}. Coupling is {'strong' if forced >= 0.1 else 'weak'}; at the scale-up oxygen "
            f"level the guarantee {'holds' if s_low >= target else 'is lost'} ({s_low:.2f} mmol/gDW/h).")
    result = {
        "parent": {"max_growth": growth, "product_min_at_max_growth": low, "product_max_at_max_growth": high,
                   "max_product": best_product},
        "knockouts": design, "gene_deletions": deletions,
        "design": {"max_growth": d_growth, "product_min_at_max_growth": d_low, "product_max_at_max_growth": d_high,
                   "guaranteed_yield": d_low / uptake},
        "coupling": "strong" if forced >= 0.1 else "weak",
        "scale_up": {"product_min_at_max_growth": s_low, "still_meets_target": s_low >= target},
        "recommendation": text,
    }
    (OUT / "design.json").write_text(json.dumps(result, indent=2) + "\n")
    # one panel per strain, so that neither strain's ceiling can hide the other's where they coincide; the
    # fill is pale (light and unsaturated) so that only the bounding lines read as plotted strokes
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharey=True)
    for ax, strain, fill in zip(axes, ("parent", "design"), ("#dde6f0", "#f0e6dd"), strict=True):
        pts = [r for r in rows if r[0] == strain]
        xs = [r[1] for r in pts]
        ax.fill_between(xs, [r[2] for r in pts], [r[3] for r in pts], color=fill)
        ax.plot(xs, [r[3] for r in pts], color="tab:blue", label="maximum")
        ax.plot(xs, [r[2] for r in pts], color="tab:red", label="minimum")
        ax.set_title(f"{strain} strain")
        ax.set_xlabel("growth rate (1/h)")
    axes[0].set_ylabel(f"{brief['target']['product']} secretion (mmol/gDW/h)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", ncol=2)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    fig.savefig(OUT / "envelope.png", dpi=120)


if __name__ == "__main__":
    main()
