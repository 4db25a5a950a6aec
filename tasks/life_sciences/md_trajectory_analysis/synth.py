"""Write the run's files with MDAnalysis: the topology PDB (frame 0, whole) and the wrapped XTC trajectory.

Run by ``task.generate`` under the task's tool environment:

    python3 synth.py SPEC_NPZ INPUT_DIR

SPEC_NPZ holds per-atom ``names``, ``elements``, ``resnames``, ``resids``, ``chains``, the whole frame-0
coordinates ``pdb_xyz`` (A), the per-atom wrapped trajectory ``wrapped`` (frames x atoms x 3, A), the
cubic ``box`` edge (A), ``dt_ps`` and the ``title``.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import MDAnalysis as mda
import numpy as np
from MDAnalysis.coordinates.memory import MemoryReader


def main(spec_path: str, out_dir: str) -> None:
    spec = np.load(spec_path, allow_pickle=False)
    out = Path(out_dir)
    chains = [str(c) for c in spec["chains"]]
    resids = [int(r) for r in spec["resids"]]
    keys = list(dict.fromkeys(zip(chains, resids, strict=True)))
    residue_index = [keys.index(k) for k in zip(chains, resids, strict=True)]
    segments = list(dict.fromkeys(chains))
    u = mda.Universe.empty(len(chains), n_residues=len(keys), n_segments=len(segments),
                           atom_resindex=residue_index,
                           residue_segindex=[segments.index(c) for c, _ in keys], trajectory=True)
    u.add_TopologyAttr("name", [str(n) for n in spec["names"]])
    u.add_TopologyAttr("type", [str(e) for e in spec["elements"]])
    u.add_TopologyAttr("element", [str(e).capitalize() for e in spec["elements"]])
    u.add_TopologyAttr("resname", [str(spec["resnames"][residue_index.index(i)]) for i in range(len(keys))])
    u.add_TopologyAttr("resid", [r for _, r in keys])
    u.add_TopologyAttr("segid", ["LIG" if c == "L" else f"PRO{c}" for c in segments])
    u.add_TopologyAttr("chainID", chains)
    u.add_TopologyAttr("record_type", ["HETATM" if c == "L" else "ATOM" for c in chains])
    u.add_TopologyAttr("occupancy", np.ones(len(chains)))
    u.add_TopologyAttr("tempfactor", np.zeros(len(chains)))
    u.add_TopologyAttr("altLoc", [""] * len(chains))
    u.add_TopologyAttr("icode", [""] * len(keys))
    box = float(spec["box"])
    dims = np.array([box, box, box, 90.0, 90.0, 90.0])
    u.atoms.positions = spec["pdb_xyz"]
    u.dimensions = dims
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mda.Writer(str(out / "topology.pdb"), n_atoms=len(chains), remarks=str(spec["title"])) as pdb:
            pdb.write(u.atoms)
        u.load_new(spec["wrapped"].astype(np.float32), format=MemoryReader, dimensions=dims, dt=float(spec["dt_ps"]))
        with mda.Writer(str(out / "trajectory.xtc"), n_atoms=len(chains)) as xtc:
            for _ in u.trajectory:
                xtc.write(u.atoms)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
