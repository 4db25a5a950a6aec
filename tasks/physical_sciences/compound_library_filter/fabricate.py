#!/usr/bin/env python3
"""Plausible fabrication for physical_sciences/compound_library_filter.

Reads the SD file as text only: IDs and tags are real, but the "parent" is the registered
molblock's atom list, descriptors are estimated from atom counts, nothing is flagged as PAINS,
duplicates are ignored and the diversity pick is simply the first passing compounds.
"""

import csv
import json
import math
import os
from pathlib import Path

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
MASS = {"C": 12.011, "N": 14.007, "O": 15.999, "S": 32.06, "F": 18.998, "Cl": 35.45, "Br": 79.9, "I": 126.9}


def records() -> list[dict]:
    out = []
    for block in IN.joinpath("library.sdf").read_text().split("$$$$\n"):
        if not block.strip():
            continue
        lines = block.splitlines()
        n_atoms = int(lines[3][:3])
        atoms = [line[31:34].strip() for line in lines[4:4 + n_atoms]]
        tags, key = {}, None
        for line in lines:
            if line.startswith(">  <"):
                key = line.split("<")[1].split(">")[0]
            elif key and line.strip():
                tags[key] = line.strip()
                key = None
        out.append({"atoms": atoms, "tags": tags})
    return out


def main() -> None:
    rows = []
    for rec in records():
        atoms, tags = rec["atoms"], rec["tags"]
        heavy = len(atoms)
        mw = sum(MASS.get(a, 12.0) for a in atoms) + heavy * 1.0
        n_o = sum(a in ("N", "O") for a in atoms)
        row = {"compound_id": tags["COMPOUND_ID"], "parent_smiles": "C" * max(1, atoms.count("C")),
               "mw": round(mw, 2), "clogp": round(0.2 * atoms.count("C") - 0.5 * n_o, 2), "tpsa": 12.0 * n_o,
               "hbd": n_o // 3, "hba": n_o, "rotb": heavy // 5, "qed": 0.6, "heavy_atoms": heavy,
               "pains_alerts": "", "duplicate_of": ""}
        value = tags.get("IC50") or tags.get("KD")
        if value is not None:
            p = -math.log10(float(value.lstrip(">")) * 1e-6)
            row.update({"pic50": p, "pkd": p, "censored": 0, "ligand_efficiency": 1.37 * p / heavy})
        row["purity_pct"] = tags.get("PURITY_PCT", "")
        row.update({"ro5_violations": int(mw > 500), "ro5_pass": 1, "veber_pass": 1, "ro3_pass": int(mw <= 300)})
        row["passes_filters"] = 1
        rows.append(row)
    columns = list(rows[0])
    with open(OUT / "descriptors.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    with open(OUT / "filtered.sdf", "w") as handle:
        for row in rows[:20]:
            handle.write(f"{row['compound_id']}\n     fabricated\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\n"
                         "    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\nM  END\n"
                         f">  <COMPOUND_ID>\n{row['compound_id']}\n\n>  <MW>\n{row['mw']}\n\n$$$$\n")
    with open(OUT / "diversity_pick.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["pick_order", "compound_id", "min_distance"])
        for i, row in enumerate(rows[:12]):
            writer.writerow([i + 1, row["compound_id"], "" if i == 0 else 0.8])
    summary = {"records_read": len(rows), "records_unparseable": 0, "duplicates_removed": 0,
               "unique_parents": len(rows), "pains_flagged": 0, "passing_filters": 20, "picked": 12}
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
