"""Compound library triage with RDKit: parents, descriptors, filters, PAINS and a MaxMin pick.

Workflow: the cheminformatician receives an SD file of screening compounds as registered
(salt forms, replicate registrations of the same parent, a few records that do not sanitise)
with assay or vendor data in SD tags. They standardise each record to its neutral parent
(largest fragment, uncharged), compute MW, cLogP, TPSA, HBD/HBA (Lipinski's NH+OH and N+O
counts), rotatable bonds, QED and heavy atoms, flag PAINS alerts, convert the assay values
(mixed units, censored values) to a log scale, apply the project's rule set (rule of five and
Veber, or rule of three with ligand efficiency), de-duplicate by parent, write the passing
parents to an SD file and pick a diverse subset by MaxMin on Morgan fingerprints.

Variants: a kinase HTS follow-up (IC50 in nM/uM with censoring, Ro5 + Veber + PAINS +
potency), a fragment SPR screen (KD in uM/mM, rule of three, ligand efficiency), and a vendor
catalogue triage (purity, QED, Ro5 + Veber + PAINS, radius-3 fingerprints).

Every library holds at least one PAINS compound that matches more than one alert (one is added, from
its own random stream, where the draw brought none), so listing the first alert a record matches is not
listing its alerts. Every assay library holds a parent whose first registration is its most active one and a
parent whose later one is (two registrations' activities swapped, from a stream of their own, where the draw
brought only one kind), so keeping the first or the last registration of each parent is not the activity rule.
Every library holds an ionic salt registration (one parent registered so, from a stream of its own, where the
draw brought none), so the largest fragment alone is not the neutral parent.
Every fragment library holds a fragment that passes the rule of three with a measured KD but falls below the
ligand-efficiency cut (one parent registered once is given such a KD, from a stream of its own, where the draw
brought none), so the cut decides a record.

Grade: the reference is computed by generate() with RDKit on the host from the parents it
drew. The grader checks the parent of every record (re-canonicalised with RDKit), the
descriptors, the PAINS alerts each record matches (by name), the assay conversion, the rule flags and duplicate assignment, the
filtered SD file (parsed with RDKit: the right parents, neutral single fragments, properties
consistent), the diversity pick (first pick, size, and that every pick is a valid greedy
MaxMin step on the reference fingerprints, with the reported distances), and the summary.
"""
# ALE-CANARY-3c4db6ea-a5e6-4643-859d-417c11da43ab

import csv
import io
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, rdDepictor, rdFingerprintGenerator, rdMolDescriptors
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

from lastexam.task import Grading, Params, as_number

RDLogger.DisableLog("rdApp.*")
POOL = Path(__file__).with_name("compound_pool.tsv")

SCENARIOS: dict[str, dict[str, Any]] = {
    "hts_followup": {
        "draw": {"drug": 82, "pains": 16}, "salt_rate": 0.3, "duplicates": 4, "unparseable": 2,
        "assay": "ic50", "rules": "ro5", "potency_min": 6.0, "prefix": "KIN", "first_pick": "pic50",
    },
    "fragment_screen": {
        "draw": {"frag": 58, "small_drug": 10}, "salt_rate": 0.12, "duplicates": 3, "unparseable": 1,
        "assay": "kd", "rules": "ro3", "le_min": 0.30, "prefix": "FRG", "first_pick": "ligand_efficiency",
    },
    "vendor_triage": {
        "draw": {"drug": 100, "pains": 12}, "salt_rate": 0.35, "duplicates": 5, "unparseable": 2,
        "assay": "vendor", "rules": "ro5", "qed_min": 0.5, "purity_min": 90.0, "prefix": "VND", "first_pick": "qed",
    },
}

DESCRIPTOR_TOL = {"mw": 0.01, "clogp": 0.01, "tpsa": 0.01, "qed": 0.002, "hbd": 0.0, "hba": 0.0, "rotb": 0.0,
                  "heavy_atoms": 0.0}


# --------------------------------------------------------------------------------------------
# chemistry shared by the reference and the grader
# --------------------------------------------------------------------------------------------


def _pains() -> FilterCatalog:
    params = FilterCatalogParams()
    params.AddCatalog(FilterCatalogParams.FilterCatalogs.PAINS)
    return FilterCatalog(params)


def canonical(smiles: str) -> str | None:
    """Canonical SMILES of a parent as the host RDKit writes it, or None."""
    mol = Chem.MolFromSmiles(smiles) if smiles else None
    return Chem.MolToSmiles(mol) if mol is not None else None


def describe(mol: Chem.Mol, catalog: FilterCatalog) -> dict[str, Any]:
    """The descriptor set of the task for a parent molecule."""
    return {
        "mw": Descriptors.MolWt(mol), "clogp": Crippen.MolLogP(mol), "tpsa": rdMolDescriptors.CalcTPSA(mol),
        "hbd": Lipinski.NHOHCount(mol), "hba": Lipinski.NOCount(mol),
        "rotb": rdMolDescriptors.CalcNumRotatableBonds(mol), "qed": QED.qed(mol),
        "heavy_atoms": mol.GetNumHeavyAtoms(),
        "pains": sorted(entry.GetDescription() for entry in catalog.GetMatches(mol)),
    }


def fingerprint(smiles: str, radius: int, bits: int) -> Any:
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=bits)
    return generator.GetFingerprint(Chem.MolFromSmiles(smiles))


def maxmin(ids: list[str], fps: dict[str, Any], first: str, count: int) -> list[tuple[str, float | None]]:
    """Greedy MaxMin on Tanimoto distance, from ``first``; ties go to the earlier id in ``ids``."""
    picks: list[tuple[str, float | None]] = [(first, None)]
    nearest = {i: 1 - DataStructs.TanimotoSimilarity(fps[i], fps[first]) for i in ids if i != first}
    while len(picks) < min(count, len(ids)):
        best = max(nearest, key=lambda i: (nearest[i], -ids.index(i)))
        picks.append((best, nearest.pop(best)))
        for i in nearest:
            nearest[i] = min(nearest[i], 1 - DataStructs.TanimotoSimilarity(fps[i], fps[best]))
    return picks


# --------------------------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------------------------


def _pool() -> dict[str, list[tuple[str, str]]]:
    pools: dict[str, list[tuple[str, str]]] = {}
    with POOL.open() as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            pools.setdefault(row["pool"], []).append((row["name"], row["smiles"]))
    pools["small_drug"] = [(n, s) for n, s in pools["drug"] if Descriptors.MolWt(Chem.MolFromSmiles(s)) < 260]
    return pools


_BASIC_N = Chem.MolFromSmarts("[NX3;H2,H1,H0;+0;!$(N-[a]);!$(N-C=[O,N,S]);!$(N-S(=O)=O);!$(N#*);!$(N=*);!$(N-N)]")
_ACID_O = Chem.MolFromSmarts("[OX2H1]-C(=O)")


def _salt_form(rng: np.random.Generator, smiles: str, *, ionic: bool = False) -> str:
    """A registered salt form of a parent: hydrochloride, mesylate or sodium salt, neutral or (when ``ionic``
    always) ionic."""
    mol = Chem.MolFromSmiles(smiles)
    acid = mol.GetSubstructMatches(_ACID_O)
    base = mol.GetSubstructMatches(_BASIC_N)
    if acid and (not base or rng.random() < 0.5):
        rw = Chem.RWMol(mol)
        atom = rw.GetAtomWithIdx(acid[0][0])
        atom.SetFormalCharge(-1)
        atom.SetNumExplicitHs(0)
        return Chem.MolToSmiles(rw) + ".[Na+]"
    if base:
        if not ionic and rng.random() < 0.5:
            return smiles + (".Cl" if rng.random() < 0.7 else ".CS(=O)(=O)O")
        rw = Chem.RWMol(mol)
        atom = rw.GetAtomWithIdx(base[0][0])
        atom.SetFormalCharge(1)
        atom.SetNumExplicitHs(atom.GetTotalNumHs() + 1)
        return Chem.MolToSmiles(rw) + ".[Cl-]"
    return smiles


def _broken_molblock(smiles: str, name: str) -> str:
    """A molblock with a carbon bonded five times: it will not sanitise. The carbon is the first with three
    neighbours (two bonds added) or, in a fragment without one, the most bonded (bonds added up to five)."""
    mol = Chem.MolFromSmiles(smiles if smiles else "CC(C)(C)C")
    rdDepictor.Compute2DCoords(mol)
    lines = Chem.MolToMolBlock(mol).splitlines()
    lines[0] = name
    counts = lines[3]
    n_atoms, n_bonds = int(counts[:3]), int(counts[3:6])
    carbons = [a for a in mol.GetAtoms() if a.GetSymbol() == "C"]
    atom = next((a for a in carbons if a.GetDegree() >= 3), None) or max(carbons, key=lambda a: a.GetDegree())
    centre = atom.GetIdx()
    others = [a.GetIdx() for a in mol.GetAtoms() if a.GetIdx() != centre
              and mol.GetBondBetweenAtoms(centre, a.GetIdx()) is None][:max(2, 5 - atom.GetDegree())]
    extra = [f"{centre + 1:>3}{o + 1:>3}  1  0" for o in others]
    lines[3] = f"{n_atoms:>3}{n_bonds + len(extra):>3}" + counts[6:]
    bond_end = 4 + n_atoms + n_bonds
    lines = lines[:bond_end] + extra + lines[bond_end:]
    return "\n".join(lines) + "\n"


def _activity(rng: np.random.Generator, sc: dict[str, Any], pains: bool) -> dict[str, str]:
    """SD tags with the assay or vendor data of one record."""
    if sc["assay"] == "ic50":
        p = float(np.clip(rng.normal(6.4 if pains else 5.7, 0.9), 3.8, 8.9))
        if p < 4.52:
            return {"IC50": ">30", "IC50_UNIT": "uM"} if rng.random() < 0.5 else {"IC50": ">30000", "IC50_UNIT": "nM"}
        if rng.random() < 0.5:
            return {"IC50": f"{10 ** (9 - p):.3g}", "IC50_UNIT": "nM"}
        return {"IC50": f"{10 ** (6 - p):.3g}", "IC50_UNIT": "uM"}
    if sc["assay"] == "kd":
        p = float(np.clip(rng.normal(3.3, 0.7), 1.5, 6.0))
        if p < 2.31:
            return {"KD": ">5", "KD_UNIT": "mM"}
        if rng.random() < 0.5:
            return {"KD": f"{10 ** (6 - p):.3g}", "KD_UNIT": "uM"}
        return {"KD": f"{10 ** (3 - p):.3g}", "KD_UNIT": "mM"}
    purity = float(np.clip(rng.normal(95.5, 3.5), 70, 99.9))
    return {"PURITY_PCT": f"{purity:.1f}", "PRICE_EUR_5MG": f"{rng.uniform(40, 420):.0f}",
            "VENDOR": str(rng.choice(["Enamine", "ChemDiv", "Vitas-M", "Specs"]))}


def log_activity(tags: dict[str, str], assay: str) -> tuple[float, bool] | None:
    """pIC50 or pKD from a value and unit; censored values give the bound."""
    key = {"ic50": "IC50", "kd": "KD"}.get(assay)
    if key is None:
        return None
    text = tags.get(key, "").strip()
    censored = text.startswith(">")
    value = float(text.lstrip("><= "))
    scale = {"nM": 1e-9, "uM": 1e-6, "mM": 1e-3}[tags[f"{key}_UNIT"]]
    return -math.log10(value * scale), censored


def _records(rng: np.random.Generator, sc: dict[str, Any]) -> list[dict[str, Any]]:
    """The registrations in file order: parents drawn from the pools, salts, duplicates, broken records."""
    pools = _pool()
    chosen: list[tuple[str, str, str]] = []
    for pool, n in sc["draw"].items():
        entries = pools[pool]
        for index in rng.choice(len(entries), size=min(n, len(entries)), replace=False):
            name, smiles = entries[int(index)]
            chosen.append((pool, name, smiles))
    records = []
    for pool, name, smiles in chosen:
        form = _salt_form(rng, smiles) if rng.random() < sc["salt_rate"] else smiles
        records.append({"name": name, "parent": smiles, "smiles": form, "pains_pool": pool == "pains"})
    for index in rng.choice(len(records), size=sc["duplicates"], replace=False):
        original = records[int(index)]
        form = _salt_form(rng, original["parent"])
        records.append({**original, "smiles": form if form != original["smiles"] else original["parent"]})
    for index in rng.choice(len(chosen), size=sc["unparseable"], replace=False):
        records.append({"name": chosen[int(index)][1], "parent": None, "smiles": chosen[int(index)][2],
                        "pains_pool": False})
    order = rng.permutation(len(records))
    records = [records[int(i)] for i in order]
    numbers = np.sort(rng.choice(np.arange(1000, 9999), size=len(records), replace=False))
    for record, number in zip(records, numbers, strict=True):
        record["id"] = f"{sc['prefix']}-{number:05d}"
        record["tags"] = _activity(rng, sc, record["pains_pool"])
    return records


def _add_multi_alert(aux: np.random.Generator, sc: dict[str, Any], records: list[dict[str, Any]]) -> None:
    """One more registration, drawn from its own stream so the others stay as they were: a PAINS compound
    that matches more than one alert (unless the library holds one already), so that every library asks
    for all the alerts a record matches, not the first."""
    catalog = _pains()
    parents = {r["parent"] for r in records}
    multi = [(name, smiles) for name, smiles in _pool()["pains"]
             if len(catalog.GetMatches(Chem.MolFromSmiles(smiles))) > 1]
    if any(smiles in parents for _, smiles in multi):
        return
    name, smiles = multi[int(aux.integers(len(multi)))]
    used = {int(r["id"].rsplit("-", 1)[1]) for r in records}
    number = int(aux.choice([n for n in range(1000, 9999) if n not in used]))
    record = {"name": name, "parent": smiles, "smiles": smiles, "pains_pool": True,
              "id": f"{sc['prefix']}-{number:05d}", "tags": _activity(aux, sc, True)}
    records.insert(int(aux.integers(len(records) + 1)), record)


def _add_ionic_salt(aux: np.random.Generator, records: list[dict[str, Any]]) -> None:
    """Register one parent with an acid or a basic nitrogen as an ionic salt, from a stream of its own, where the
    draw brought none: the largest fragment of every record had been its parent, so skipping the uncharger had passed
    those libraries."""
    def largest_is_parent(record: dict[str, Any]) -> bool:
        fragments = Chem.GetMolFrags(Chem.MolFromSmiles(record["smiles"]), asMols=True)
        return Chem.MolToSmiles(max(fragments, key=lambda f: f.GetNumHeavyAtoms())) == canonical(record["parent"])

    readable = [r for r in records if r["parent"] is not None]
    if not all(largest_is_parent(r) for r in readable):
        return
    ionisable = [r for r in readable if any(Chem.MolFromSmiles(r["parent"]).HasSubstructMatch(group)
                                            for group in (_ACID_O, _BASIC_N))]
    record = ionisable[int(aux.integers(len(ionisable)))]
    record["smiles"] = _salt_form(aux, record["parent"], ionic=True)


def _activity_decides_duplicates(aux: np.random.Generator, sc: dict[str, Any], records: list[dict[str, Any]]) -> None:
    """In an assay library, swap the activities of two registrations of one parent where needed, so that some parent
    keeps its first registration and some a later, more active one: keeping the first (or the last) registration of
    each parent whatever the activities had passed the libraries where it happened to be the most active one."""
    if sc["assay"] == "vendor":
        return

    def activity(record: dict[str, Any]) -> float:
        return log_activity(record["tags"], sc["assay"])[0]

    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if record["parent"] is not None:
            groups.setdefault(record["parent"], []).append(record)
    decided = [g for g in groups.values() if len(g) > 1 and max(map(activity, g[1:])) != activity(g[0])]
    first_kept = [activity(g[0]) > max(map(activity, g[1:])) for g in decided]
    if len(decided) < 2 or (any(first_kept) and not all(first_kept)):
        return
    group = decided[int(aux.integers(len(decided)))]
    later = max(group[1:], key=activity)
    group[0]["tags"], later["tags"] = later["tags"], group[0]["tags"]


def _efficiency_decides(aux: np.random.Generator, sc: dict[str, Any], records: list[dict[str, Any]]) -> None:
    """In a fragment library where no fragment that passes the rule of three with a measured KD falls below the
    ligand-efficiency cut, give one parent registered once such a KD, from a stream of its own: leaving the cut out
    had passed those libraries."""
    if sc["rules"] != "ro3":
        return
    catalog = _pains()
    counts: dict[str, int] = {}
    for record in records:
        if record["parent"] is not None:
            counts[record["parent"]] = counts.get(record["parent"], 0) + 1
    candidates = []
    for record in records:
        if record["parent"] is None:
            continue
        d = describe(Chem.MolFromSmiles(record["parent"]), catalog)
        if d["pains"] or not _rule_flags(sc, d)["ro3_pass"]:
            continue
        pkd, censored = log_activity(record["tags"], sc["assay"])
        if not censored and 1.37 * pkd / d["heavy_atoms"] < sc["le_min"]:
            return
        # a measured pKD (above the censoring bound, 2.3) below the cut needs 12 heavy atoms or more
        if counts[record["parent"]] == 1 and d["heavy_atoms"] >= 12:
            candidates.append((record, d["heavy_atoms"]))
    record, heavy_atoms = candidates[int(aux.integers(len(candidates)))]
    pkd = aux.uniform(2.4, sc["le_min"] * heavy_atoms / 1.37 - 0.03)
    record["tags"] = {"KD": f"{10 ** (3 - pkd):.3g}", "KD_UNIT": "mM"}


def _write_sdf(records: list[dict[str, Any]], path: Path, project: str) -> None:
    buffer = io.StringIO()
    for record in records:
        if record["parent"] is None:
            block = _broken_molblock(record["smiles"], record["id"])
        else:
            mol = Chem.MolFromSmiles(record["smiles"])
            rdDepictor.Compute2DCoords(mol)
            block = Chem.MolToMolBlock(mol)
            block = record["id"] + block[block.index("\n"):]
        buffer.write(block)
        tags = {"COMPOUND_ID": record["id"], "PROJECT": project, **record["tags"]}
        for key, value in tags.items():
            buffer.write(f">  <{key}>\n{value}\n\n")
        buffer.write("$$$$\n")
    path.write_text(buffer.getvalue())


def _rule_flags(sc: dict[str, Any], d: dict[str, Any]) -> dict[str, Any]:
    if sc["rules"] == "ro3":
        ok = (d["mw"] <= 300 and d["clogp"] <= 3 and d["hbd"] <= 3 and d["hba"] <= 3 and d["rotb"] <= 3
              and d["tpsa"] <= 60)
        return {"ro3_pass": ok}
    violations = int(d["mw"] > 500) + int(d["clogp"] > 5) + int(d["hbd"] > 5) + int(d["hba"] > 10)
    return {"ro5_violations": violations, "ro5_pass": violations <= 1,
            "veber_pass": d["rotb"] <= 10 and d["tpsa"] <= 140}


def _reference(sc: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    catalog = _pains()
    rows: list[dict[str, Any]] = []
    for record in records:
        if record["parent"] is None:
            continue
        parent = canonical(record["parent"])
        d = describe(Chem.MolFromSmiles(parent), catalog)
        row: dict[str, Any] = {"compound_id": record["id"], "parent_smiles": parent, **d}
        logged = log_activity(record["tags"], sc["assay"])
        if sc["assay"] == "ic50":
            row["pic50"], row["censored"] = logged
        elif sc["assay"] == "kd":
            row["pkd"], row["censored"] = logged
            row["ligand_efficiency"] = 1.37 * row["pkd"] / d["heavy_atoms"]
        else:
            row["purity_pct"] = float(record["tags"]["PURITY_PCT"])
        row.update(_rule_flags(sc, d))
        rows.append(row)
    for row in rows:
        row["passes_filters"] = _passes(sc, row)
    _assign_duplicates(sc, rows)
    kept = [r for r in rows if not r["duplicate_of"] and r["passes_filters"]]
    ids = [r["compound_id"] for r in kept]
    key = sc["first_pick"]
    first = max(kept, key=lambda r: (r[key], -ids.index(r["compound_id"])))["compound_id"]
    fps = {r["compound_id"]: fingerprint(r["parent_smiles"], sc["radius"], sc["bits"]) for r in kept}
    picks = maxmin(ids, fps, first, sc["pick"])
    summary = {
        "records_read": len(records), "records_unparseable": len(records) - len(rows),
        "duplicates_removed": sum(1 for r in rows if r["duplicate_of"]),
        "unique_parents": len({r["parent_smiles"] for r in rows}),
        "pains_flagged": sum(1 for r in rows if r["pains"]), "passing_filters": len(kept), "picked": len(picks),
    }
    return {"rows": rows, "kept": ids, "first_pick": first, "pick_size": min(sc["pick"], len(ids)),
            "picks": picks, "summary": summary, "scenario": sc}


def _passes(sc: dict[str, Any], row: dict[str, Any]) -> bool:
    if row["pains"]:
        return False
    if sc["rules"] == "ro3":
        return row["ro3_pass"] and not row["censored"] and row["ligand_efficiency"] >= sc["le_min"]
    ok = row["ro5_pass"] and row["veber_pass"]
    if sc["assay"] == "ic50":
        return ok and not row["censored"] and row["pic50"] >= sc["potency_min"]
    return ok and row["qed"] >= sc["qed_min"] and row["purity_pct"] >= sc["purity_min"]


def _assign_duplicates(sc: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Per parent keep the most active record (first in the file on ties or without activity)."""
    activity = {"ic50": "pic50", "kd": "pkd"}.get(sc["assay"])
    groups: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        groups.setdefault(row["parent_smiles"], []).append(index)
    for members in groups.values():
        best = max(members, key=lambda i: ((rows[i][activity] if activity else 0.0), -i))
        for i in members:
            rows[i]["duplicate_of"] = "" if i == best else rows[best]["compound_id"]


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    sc = {**SCENARIOS[params["scenario"]], **{k: params[k] for k in ("pick", "radius", "bits")}}
    rng = np.random.default_rng(params["seed"])
    records = _records(rng, sc)
    _add_multi_alert(np.random.default_rng([params["seed"], 1]), sc, records)
    _add_ionic_salt(np.random.default_rng([params["seed"], 3]), records)
    _activity_decides_duplicates(np.random.default_rng([params["seed"], 2]), sc, records)
    _efficiency_decides(np.random.default_rng([params["seed"], 4]), sc, records)
    _write_sdf(records, input_dir / "library.sdf", params["project"])
    (reference_dir / "reference.json").write_text(json.dumps(_reference(sc, records), indent=1))


# --------------------------------------------------------------------------------------------
# grading
# --------------------------------------------------------------------------------------------

BASE_COLUMNS = ("compound_id", "parent_smiles", "mw", "clogp", "tpsa", "hbd", "hba", "rotb", "qed", "heavy_atoms",
                "pains_alerts", "duplicate_of", "passes_filters")
EXTRA_COLUMNS = {
    "ic50": ("pic50", "censored", "ro5_violations", "ro5_pass", "veber_pass"),
    "kd": ("pkd", "censored", "ligand_efficiency", "ro3_pass"),
    "vendor": ("purity_pct", "ro5_violations", "ro5_pass", "veber_pass"),
}
TRUE_WORDS = {"1", "true", "yes", "y", "t", "pass", "passed"}
FALSE_WORDS = {"0", "false", "no", "n", "f", "fail", "failed", ""}


def _flag(value: Any) -> bool | None:
    text = str(value).strip().casefold()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    number = as_number(text)
    return None if number is None else number != 0


def alert_names(text: Any) -> set[str]:
    """The PAINS alerts a cell lists (separated by ';' or ','), compared without case or spaces."""
    return {"".join(name.split()).casefold() for name in re.split(r"[;,]", str(text or "")) if name.strip()}


def _grade_table(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]]) -> None:
    sc = ref["scenario"]
    by_id = {r.get("compound_id", ""): r for r in rows}
    want = {r["compound_id"]: r for r in ref["rows"]}
    extra = len(set(by_id) - set(want))
    parents, numbers, pains, activity, rules = [], [], [], [], []
    for cid, exp in want.items():
        got = by_id.get(cid)
        if got is None:
            for bucket in (parents, numbers, pains, activity, rules):
                bucket.append(f"{cid}: missing")
            continue
        if canonical(got.get("parent_smiles", "")) != exp["parent_smiles"]:
            parents.append(f"{cid}: {got.get('parent_smiles')!r}")
        off = [k for k, tol in DESCRIPTOR_TOL.items()
               if as_number(got.get(k)) is None or abs(as_number(got.get(k)) - exp[k]) > tol + 1e-9]
        if off:
            numbers.append(f"{cid}: {', '.join(off)}")
        if alert_names(got.get("pains_alerts")) != alert_names(";".join(exp["pains"])):
            pains.append(f"{cid}: {got.get('pains_alerts')!r} want {';'.join(exp['pains']) or 'none'}")
        if not _activity_ok(sc, got, exp):
            activity.append(cid)
        rule_cols = [c for c in EXTRA_COLUMNS[sc["assay"]] if c.endswith(("_pass", "_violations"))]
        wrong = [c for c in rule_cols if (_flag(got.get(c)) if c.endswith("_pass") else as_number(got.get(c)))
                 != exp[c]]
        if _flag(got.get("passes_filters")) != exp["passes_filters"]:
            wrong.append("passes_filters")
        if str(got.get("duplicate_of", "")).strip() != exp["duplicate_of"]:
            wrong.append("duplicate_of")
        if wrong:
            rules.append(f"{cid}: {', '.join(wrong)}")
    total = len(want) + extra
    checks = [("neutral parent structure of every record", parents, 1.5),
              ("descriptors (MW, cLogP, TPSA, HBD, HBA, RotB, QED, heavy atoms)", numbers, 2.0),
              ("PAINS alerts (the matching alerts of families A, B and C)", pains, 1.0)]
    if sc["assay"] != "vendor":
        checks.append(("assay values converted (units, censoring, ligand efficiency)", activity, 1.0))
    checks.append(("rule flags, duplicates and filter decisions", rules, 1.5))
    for name, wrong, weight in checks:
        g.share(name, total - len(wrong) - extra, total, wrong=wrong, weight=weight, noun="records")


def _activity_ok(sc: dict[str, Any], got: dict[str, str], exp: dict[str, Any]) -> bool:
    if sc["assay"] == "vendor":
        value = as_number(got.get("purity_pct"))
        return value is not None and abs(value - exp["purity_pct"]) < 0.051
    key = "pic50" if sc["assay"] == "ic50" else "pkd"
    value = as_number(got.get(key))
    ok = value is not None and abs(value - exp[key]) <= 0.011 and _flag(got.get("censored")) == exp["censored"]
    if sc["assay"] == "kd":
        le = as_number(got.get("ligand_efficiency"))
        ok = ok and le is not None and abs(le - exp["ligand_efficiency"]) <= 0.006
    return ok


def _grade_sdf(g: Grading, ref: dict[str, Any]) -> None:
    want = {r["compound_id"]: r for r in ref["rows"] if r["compound_id"] in set(ref["kept"])}
    try:
        supplier = Chem.SDMolSupplier(str(g.output("filtered.sdf")))
        mols = list(supplier)
    except OSError as exc:
        g.check("filtered.sdf holds exactly the passing parents", False, weight=2.0, reason=str(exc))
        return
    found, problems = {}, []
    for mol in mols:
        if mol is None:
            problems.append("unreadable record")
            continue
        cid = mol.GetProp("COMPOUND_ID").strip() if mol.HasProp("COMPOUND_ID") else mol.GetProp("_Name").strip()
        smiles = Chem.MolToSmiles(mol)
        if "." in smiles or any(a.GetFormalCharge() and not _nitro_like(a) for a in mol.GetAtoms()):
            problems.append(f"{cid}: not a neutral single-fragment parent")
        exp = want.get(cid)
        if exp is None or smiles != exp["parent_smiles"]:
            problems.append(f"{cid}: not expected or wrong structure")
        elif not all(mol.HasProp(p) and as_number(mol.GetProp(p)) is not None
                     and abs(as_number(mol.GetProp(p)) - exp[p.casefold()]) <= DESCRIPTOR_TOL[p.casefold()] + 1e-9
                     for p in ("MW", "CLOGP", "TPSA", "QED")):
            problems.append(f"{cid}: MW/CLOGP/TPSA/QED properties missing or wrong")
        found[cid] = True
    missing = sorted(set(want) - set(found))
    ok = not problems and not missing
    g.check("filtered.sdf holds exactly the passing parents", ok, weight=2.0,
            expected=f"{len(want)} records", found=f"{len(mols)} records",
            reason="; ".join([*problems[:5], f"missing {missing[:5]}" if missing else ""]).strip("; "))


def _nitro_like(atom: Chem.Atom) -> bool:
    """Charge-separated groups that stay charged in a neutral parent (nitro, azide, N-oxide)."""
    return atom.GetFormalCharge() != 0 and any(n.GetFormalCharge() == -atom.GetFormalCharge()
                                               for n in atom.GetNeighbors())


def _grade_pick(g: Grading, ref: dict[str, Any]) -> None:
    sc = ref["scenario"]
    rows = g.read_csv("diversity_pick.csv", required_columns=("pick_order", "compound_id", "min_distance"),
                      gate=False)
    if rows is None:
        g.check("diversity pick: first pick and size", False)
        g.check("diversity pick: every step is a MaxMin step", False, weight=2.0)
        return
    rows = sorted(rows, key=lambda r: as_number(r.get("pick_order")) or 0)
    ids = [r.get("compound_id", "").strip() for r in rows]
    kept = ref["kept"]
    smiles = {r["compound_id"]: r["parent_smiles"] for r in ref["rows"]}
    g.check("diversity pick: first pick and size", bool(ids) and ids[0] == ref["first_pick"]
            and len(ids) == ref["pick_size"] and len(set(ids)) == len(ids),
            expected={"first": ref["first_pick"], "size": ref["pick_size"]}, found={"first": ids[:1], "size": len(ids)})
    if not ids or any(i not in kept for i in ids):
        g.check("diversity pick: every step is a MaxMin step", False, weight=2.0,
                reason=f"picks outside the filtered set: {[i for i in ids if i not in kept][:5]}")
        return
    fps = {i: fingerprint(smiles[i], sc["radius"], sc["bits"]) for i in kept}

    def dist(a: str, b: str) -> float:
        return 1 - DataStructs.TanimotoSimilarity(fps[a], fps[b])

    good, bad = 0, []
    for step in range(1, len(ids)):
        earlier = ids[:step]
        achieved = min(dist(ids[step], p) for p in earlier)
        best = max(min(dist(c, p) for p in earlier) for c in kept if c not in earlier)
        reported = as_number(rows[step].get("min_distance"))
        if abs(achieved - best) < 1e-9 and reported is not None and abs(reported - achieved) <= 1e-3:
            good += 1
        else:
            bad.append(f"step {step + 1}: {ids[step]} at {achieved:.4f}, best {best:.4f}, reported {reported}")
    g.share("diversity pick: every step is a MaxMin step", good, len(ids) - 1, wrong=bad, weight=2.0, noun="records")


def _grade_summary(g: Grading, ref: dict[str, Any]) -> None:
    summary = g.read_json("summary.json", gate=False)
    want = ref["summary"]
    if not isinstance(summary, dict):
        g.check("summary counts", False, expected=want, reason="summary.json is not a JSON object")
        return
    wrong = sorted(k for k, v in want.items() if as_number(summary.get(k)) != v)
    g.check("summary counts", not wrong, expected=want, found={k: summary.get(k) for k in want},
            reason=f"wrong: {wrong}" if wrong else "")


def grade(g: Grading) -> None:
    ref = g.reference_json("reference.json")
    if not g.require_files("descriptors.csv", "filtered.sdf", "diversity_pick.csv", "summary.json"):
        return
    columns = BASE_COLUMNS + EXTRA_COLUMNS[ref["scenario"]["assay"]]
    rows = g.read_csv("descriptors.csv", required_columns=columns)
    if rows is None:
        return
    _grade_table(g, ref, rows)
    _grade_sdf(g, ref)
    _grade_pick(g, ref)
    _grade_summary(g, ref)
