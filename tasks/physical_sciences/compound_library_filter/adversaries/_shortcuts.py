#!/usr/bin/env python3
"""Near-miss shortcut agents for physical_sciences/compound_library_filter; the behaviour follows the name.

Each runs the whole triage in RDKit and writes all four deliverables, with one corner cut:
- largest_fragment_only: the parent is the largest fragment, never uncharged.
- pains_a_only: only the PAINS_A family of the filter catalogue is screened.
- maxmin_unseeded: RDKit's MaxMin picker with its default start instead of the brief's first pick.
- family_flags_only: each PAINS family screened with HasMatch, the column naming the families that hit
  (PAINS_A;PAINS_B) instead of the alerts that match.
- first_alert_only: the catalogue's first matching alert (GetFirstMatch) stands for every alert a record matches.
- latest_registration_kept: of the records of one parent, the last registration in the file is kept (taken to
  supersede the earlier ones), whatever the activities.
- score_cut_skipped: the project's score cut is left out of the filter (ligand efficiency >= 0.30 for fragments,
  pIC50 >= 6 for HTS hits, QED >= 0.5 for vendor compounds), though the score is reported and seeds the pick.
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
INPUT, OUTPUT = Path(os.environ["ALE_INPUT_DIR"]), Path(os.environ["ALE_OUTPUT_DIR"])
MODE = Path(__file__).name.removesuffix(".py")
SKIP_CUT = MODE == "score_cut_skipped"
brief = Path(os.environ["ALE_INSTRUCTION"]).read_text()
n_pick = int(re.search(r"pick (\d+)", brief).group(1))
radius = int(re.search(r"radius (\d+)", brief).group(1))
n_bits = int(re.search(r"(\d+) bits", brief).group(1))
assay = "ic50" if "IC50" in brief else "kd" if "`KD`" in brief else "vendor"
cat_params = FilterCatalogParams()
cat_params.AddCatalog(FilterCatalogParams.FilterCatalogs.PAINS_A if MODE == "pains_a_only"
                      else FilterCatalogParams.FilterCatalogs.PAINS)
catalog = FilterCatalog(cat_params)
FAMILIES = {}
for family in ("PAINS_A", "PAINS_B", "PAINS_C"):
    family_params = FilterCatalogParams()
    family_params.AddCatalog(getattr(FilterCatalogParams.FilterCatalogs, family))
    FAMILIES[family] = FilterCatalog(family_params)


def pains_alerts(parent: Chem.Mol) -> str:
    if MODE == "family_flags_only":
        return ";".join(family for family, screen in FAMILIES.items() if screen.HasMatch(parent))
    if MODE == "first_alert_only":
        first = catalog.GetFirstMatch(parent)
        return first.GetDescription() if first is not None else ""
    return ";".join(e.GetDescription() for e in catalog.GetMatches(parent))


unit = {"nM": 1e-9, "uM": 1e-6, "mM": 1e-3}
sdf = INPUT / "library.sdf"
n_records = sdf.read_text().count("$$$$")
rows, mols = [], {}
for mol in Chem.SDMolSupplier(str(sdf)):
    if mol is None:
        continue
    props = mol.GetPropsAsDict()
    parent = rdMolStandardize.LargestFragmentChooser().choose(mol)
    if MODE != "largest_fragment_only":
        parent = rdMolStandardize.Uncharger().uncharge(parent)
    cid = str(props["COMPOUND_ID"])
    r = {"compound_id": cid, "parent_smiles": Chem.MolToSmiles(parent), "mw": Descriptors.MolWt(parent),
         "clogp": Crippen.MolLogP(parent), "tpsa": rdMolDescriptors.CalcTPSA(parent),
         "hbd": Lipinski.NHOHCount(parent), "hba": Lipinski.NOCount(parent),
         "rotb": rdMolDescriptors.CalcNumRotatableBonds(parent), "qed": QED.qed(parent),
         "heavy_atoms": parent.GetNumHeavyAtoms(),
         "pains_alerts": pains_alerts(parent)}
    ro5 = sum([r["mw"] > 500, r["clogp"] > 5, r["hbd"] > 5, r["hba"] > 10])
    veber = r["rotb"] <= 10 and r["tpsa"] <= 140
    if assay == "vendor":
        r.update(purity_pct=float(props["PURITY_PCT"]), ro5_violations=ro5, ro5_pass=int(ro5 <= 1), veber_pass=int(veber))
        ok = ro5 <= 1 and veber and (r["qed"] >= 0.5 or SKIP_CUT) and r["purity_pct"] >= 90
        score = 0.0
    else:
        key = "IC50" if assay == "ic50" else "KD"
        text = str(props[key]).strip()
        value = -math.log10(float(text.lstrip(">")) * unit[props[f"{key}_UNIT"]])
        cens = int(text.startswith(">"))
        score = value
        if assay == "ic50":
            r.update(pic50=value, censored=cens, ro5_violations=ro5, ro5_pass=int(ro5 <= 1), veber_pass=int(veber))
            ok = ro5 <= 1 and veber and not cens and (value >= 6.0 or SKIP_CUT)
        else:
            le = 1.37 * value / r["heavy_atoms"]
            ro3 = (r["mw"] <= 300 and r["clogp"] <= 3 and r["hbd"] <= 3 and r["hba"] <= 3 and r["rotb"] <= 3
                   and r["tpsa"] <= 60)
            r.update(pkd=value, censored=cens, ligand_efficiency=le, ro3_pass=int(ro3))
            ok = ro3 and not cens and (le >= 0.30 or SKIP_CUT)
            score = le
        score = score if not cens else -1e9
    r["passes_filters"] = int(bool(ok) and not r["pains_alerts"])
    r["_score"] = score
    rows.append(r)
    mols[cid] = parent
best = {}
for i, r in enumerate(rows):
    k = r["parent_smiles"]
    more_active = k in best and assay != "vendor" and r["_score"] > rows[best[k]]["_score"]
    if MODE == "latest_registration_kept" or k not in best or more_active:
        best[k] = i
for r in rows:
    keeper = rows[best[r["parent_smiles"]]]["compound_id"]
    r["duplicate_of"] = "" if keeper == r["compound_id"] else keeper
kept = [r for r in rows if not r["duplicate_of"] and r["passes_filters"]]
OUTPUT.mkdir(parents=True, exist_ok=True)
cols = [c for c in rows[0] if c != "_score"]
cols = cols[:11] + ["duplicate_of", "passes_filters"] + [c for c in cols[11:] if c not in ("duplicate_of", "passes_filters")]
with open(OUTPUT / "descriptors.csv", "w", newline="") as handle:
    w = csv.DictWriter(handle, fieldnames=cols, extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
writer = Chem.SDWriter(str(OUTPUT / "filtered.sdf"))
for r in kept:
    m = Chem.Mol(mols[r["compound_id"]])
    for k in ("compound_id", "mw", "clogp", "tpsa", "hbd", "hba", "rotb", "qed"):
        m.SetProp(k.upper(), str(r[k]))
    writer.write(m)
writer.close()
fps = [AllChem.GetMorganFingerprintAsBitVect(mols[r["compound_id"]], radius, nBits=n_bits) for r in kept]
key = {"ic50": "pic50", "kd": "ligand_efficiency", "vendor": "qed"}[assay]
first = max(range(len(kept)), key=lambda i: (kept[i][key], -i))
size = min(n_pick, len(kept))
picker = MaxMinPicker()
if MODE == "maxmin_unseeded":
    order = list(picker.LazyBitVectorPick(fps, len(fps), size, seed=42))
else:
    order = list(picker.LazyBitVectorPick(fps, len(fps), size, firstPicks=[first]))
with open(OUTPUT / "diversity_pick.csv", "w", newline="") as handle:
    w = csv.writer(handle)
    w.writerow(["pick_order", "compound_id", "min_distance"])
    for n, i in enumerate(order):
        d = "" if n == 0 else min(1 - DataStructs.TanimotoSimilarity(fps[i], fps[j]) for j in order[:n])
        w.writerow([n + 1, kept[i]["compound_id"], d])
(OUTPUT / "summary.json").write_text(json.dumps({
    "records_read": n_records, "records_unparseable": n_records - len(rows),
    "duplicates_removed": sum(1 for r in rows if r["duplicate_of"]), "unique_parents": len(best),
    "pains_flagged": sum(1 for r in rows if r["pains_alerts"]), "passing_filters": len(kept), "picked": size}))
