#!/usr/bin/env python3
"""Oracle for physical_sciences/compound_library_filter: RDKit standardisation, descriptors, PAINS, MaxMin.

ALE-CANARY-3c4db6ea-a5e6-4643-859d-417c11da43ab
"""

import csv
import json
import math
import os
import re
from pathlib import Path

from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import QED, AllChem, Crippen, Descriptors, Lipinski, rdMolDescriptors
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams
from rdkit.Chem.MolStandardize import rdMolStandardize
from rdkit.SimDivFilters.rdSimDivPickers import MaxMinPicker

RDLogger.DisableLog("rdApp.*")
IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
SCALE = {"nM": 1e-9, "uM": 1e-6, "mM": 1e-3}


def brief() -> dict:
    """Pick size and fingerprint settings as the instruction states them."""
    text = Path(os.environ["ALE_INSTRUCTION"]).read_text()
    return {"pick": int(re.search(r"pick (\d+)", text).group(1)),
            "radius": int(re.search(r"radius (\d+)", text).group(1)),
            "bits": int(re.search(r"(\d+) bits", text).group(1))}


def parent_of(mol: Chem.Mol) -> Chem.Mol:
    mol = rdMolStandardize.LargestFragmentChooser().choose(mol)
    return rdMolStandardize.Uncharger().uncharge(mol)


def log_value(text: str, unit: str) -> tuple[float, bool]:
    censored = text.strip().startswith(">")
    return -math.log10(float(text.strip().lstrip(">")) * SCALE[unit]), censored


def main() -> None:
    settings = brief()
    params = FilterCatalogParams()
    params.AddCatalog(FilterCatalogParams.FilterCatalogs.PAINS)
    pains = FilterCatalog(params)
    sdf = IN / "library.sdf"
    records_read = sum(1 for line in sdf.read_text().splitlines() if line.strip() == "$$$$")

    rows, parents = [], {}
    for mol in Chem.SDMolSupplier(str(sdf)):
        if mol is None:
            continue
        tags = mol.GetPropsAsDict()
        parent = parent_of(mol)
        smiles = Chem.MolToSmiles(parent)
        row = {
            "compound_id": str(tags["COMPOUND_ID"]), "parent_smiles": smiles,
            "mw": round(Descriptors.MolWt(parent), 4), "clogp": round(Crippen.MolLogP(parent), 4),
            "tpsa": round(rdMolDescriptors.CalcTPSA(parent), 4), "hbd": Lipinski.NHOHCount(parent),
            "hba": Lipinski.NOCount(parent), "rotb": rdMolDescriptors.CalcNumRotatableBonds(parent),
            "qed": round(QED.qed(parent), 5), "heavy_atoms": parent.GetNumHeavyAtoms(),
            "pains_alerts": ";".join(sorted(e.GetDescription() for e in pains.GetMatches(parent))),
        }
        if "IC50" in tags:
            row["pic50"], censored = log_value(str(tags["IC50"]), str(tags["IC50_UNIT"]))
            row["censored"] = int(censored)
            row["activity"] = row["pic50"]
        elif "KD" in tags:
            row["pkd"], censored = log_value(str(tags["KD"]), str(tags["KD_UNIT"]))
            row["censored"] = int(censored)
            row["ligand_efficiency"] = round(1.37 * row["pkd"] / row["heavy_atoms"], 5)
            row["activity"] = row["pkd"]
        else:
            row["purity_pct"] = float(tags["PURITY_PCT"])
            row["activity"] = 0.0
        if "KD" in tags:
            row["ro3_pass"] = int(row["mw"] <= 300 and row["clogp"] <= 3 and row["hbd"] <= 3 and row["hba"] <= 3
                                  and row["rotb"] <= 3 and row["tpsa"] <= 60)
            ok = row["ro3_pass"] and not row["censored"] and row["ligand_efficiency"] >= 0.30
        else:
            violations = (int(row["mw"] > 500) + int(row["clogp"] > 5) + int(row["hbd"] > 5)
                          + int(row["hba"] > 10))
            row["ro5_violations"] = violations
            row["ro5_pass"] = int(violations <= 1)
            row["veber_pass"] = int(row["rotb"] <= 10 and row["tpsa"] <= 140)
            ok = row["ro5_pass"] and row["veber_pass"]
            if "IC50" in tags:
                ok = ok and not row["censored"] and row["pic50"] >= 6.0
            else:
                ok = ok and row["qed"] >= 0.5 and row["purity_pct"] >= 90.0
        row["passes_filters"] = int(bool(ok) and not row["pains_alerts"])
        parents.setdefault(smiles, []).append(len(rows))
        rows.append(row)

    for members in parents.values():
        best = max(members, key=lambda i: (rows[i]["activity"], -i))
        for i in members:
            rows[i]["duplicate_of"] = "" if i == best else rows[best]["compound_id"]

    kept = [r for r in rows if not r["duplicate_of"] and r["passes_filters"]]
    first_key = "pic50" if "pic50" in rows[0] else "ligand_efficiency" if "pkd" in rows[0] else "qed"
    first = max(range(len(kept)), key=lambda i: (kept[i][first_key], -i))
    fps = [AllChem.GetMorganFingerprintAsBitVect(Chem.MolFromSmiles(r["parent_smiles"]), settings["radius"],
                                                 nBits=settings["bits"]) for r in kept]
    count = min(settings["pick"], len(kept))
    picks = list(MaxMinPicker().LazyBitVectorPick(fps, len(fps), count, firstPicks=[first], seed=42))

    columns = ["compound_id", "parent_smiles", "mw", "clogp", "tpsa", "hbd", "hba", "rotb", "qed", "heavy_atoms",
               "pains_alerts", "duplicate_of", "passes_filters"]
    columns += [c for c in ("pic50", "pkd", "censored", "ligand_efficiency", "purity_pct", "ro5_violations",
                            "ro5_pass", "veber_pass", "ro3_pass") if c in rows[0]]
    with open(OUT / "descriptors.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)

    writer = Chem.SDWriter(str(OUT / "filtered.sdf"))
    for row in kept:
        mol = Chem.MolFromSmiles(row["parent_smiles"])
        AllChem.Compute2DCoords(mol)
        mol.SetProp("_Name", row["compound_id"])
        for prop, key in (("COMPOUND_ID", "compound_id"), ("MW", "mw"), ("CLOGP", "clogp"), ("TPSA", "tpsa"),
                          ("HBD", "hbd"), ("HBA", "hba"), ("ROTB", "rotb"), ("QED", "qed")):
            mol.SetProp(prop, str(row[key]))
        writer.write(mol)
    writer.close()

    with open(OUT / "diversity_pick.csv", "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["pick_order", "compound_id", "min_distance"])
        for order, index in enumerate(picks):
            earlier = picks[:order]
            dist = min(1 - DataStructs.TanimotoSimilarity(fps[index], fps[j]) for j in earlier) if earlier else ""
            out.writerow([order + 1, kept[index]["compound_id"], round(dist, 6) if earlier else ""])

    summary = {
        "records_read": records_read, "records_unparseable": records_read - len(rows),
        "duplicates_removed": sum(1 for r in rows if r["duplicate_of"]), "unique_parents": len(parents),
        "pains_flagged": sum(1 for r in rows if r["pains_alerts"]), "passing_filters": len(kept),
        "picked": len(picks),
        "fingerprint": f"Morgan radius {settings['radius']}, {settings['bits']} bits, Tanimoto distance",
    }
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
