"""Simulate the ROOT ntuples of one instance; run with uproot in the task's tool environment.

    python3 simulate.py CARD_JSON INPUT_DIR

CARD_JSON is the analysis card task.py wrote (run periods, selection, fit ranges, model) plus a
``truth`` block (seed, per-period momentum scale and resolution, signal mass and yield, background
shape). Writes ``data.root``, ``calibration.root`` and ``signal_mc.root`` (one TTree ``events`` each)
into INPUT_DIR and prints a JSON summary of what was generated.

Detector model: each muon's measured pt is its true pt times the period's momentum scale times
(1 + resolution * N(0, 1)); eta and phi are measured exactly. The simulation has the nominal scale
(1) and a resolution better than the data's (``mc_resolution_factor``).

ALE-CANARY-ca2d11f3-6094-404e-9c2a-bbd93f525710
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import uproot

MU_MASS = 0.1056584


def true_masses(rng: np.random.Generator, n: int, *, peak: float | None = None, width: float = 0.0,
                slope: float = 0.0, curvature: float = 0.0, lo: float, hi: float) -> np.ndarray:
    """Dimuon masses: a Breit-Wigner (``peak``, ``width``) or a falling continuum
    exp(slope*x + curvature*x^2), x = (m - lo)/100, both truncated to [lo, hi]."""
    out = np.empty(0)
    while out.size < n:
        if peak is not None:
            m = peak + 0.5 * width * np.tan(np.pi * (rng.random(4 * n) - 0.5))
        else:
            m = rng.uniform(lo, hi, 8 * n)
            x = (m - lo) / 100.0
            log_density = slope * x + curvature * x * x
            grid = np.linspace(0, (hi - lo) / 100.0, 2001)
            ceiling = np.max(slope * grid + curvature * grid * grid)
            m = m[rng.random(m.size) < np.exp(log_density - ceiling)]
        out = np.concatenate([out, m[(m > lo) & (m < hi)]])
    return out[:n]


def decay(rng: np.random.Generator, mass: np.ndarray, mean_pair_pt: float, rapidity_sd: float) -> tuple:
    """Two muons of an isotropic two-body decay of pairs of the given masses, boosted to the lab."""
    n = mass.size
    pair_pt = rng.gamma(2.0, mean_pair_pt / 2.0, n)
    y = rng.normal(0.0, rapidity_sd, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    mt = np.sqrt(mass ** 2 + pair_pt ** 2)
    pair = np.stack([mt * np.cosh(y), pair_pt * np.cos(phi), pair_pt * np.sin(phi), mt * np.sinh(y)], axis=1)
    cos_t = rng.uniform(-1, 1, n)
    sin_t = np.sqrt(1 - cos_t ** 2)
    phi_star = rng.uniform(-np.pi, np.pi, n)
    p = np.sqrt(np.maximum(mass ** 2 / 4 - MU_MASS ** 2, 0))
    rest = np.stack([mass / 2, p * sin_t * np.cos(phi_star), p * sin_t * np.sin(phi_star), p * cos_t], axis=1)
    beta = pair[:, 1:] / pair[:, :1]
    muons = []
    for sign in (1, -1):
        v = rest.copy()
        v[:, 1:] *= sign
        muons.append(boost(v, beta))
    return muons


def boost(v: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Lorentz-boost four-vectors ``v`` (E, px, py, pz) by velocities ``beta``."""
    b2 = np.sum(beta ** 2, axis=1)
    gamma = 1 / np.sqrt(1 - b2)
    bp = np.sum(beta * v[:, 1:], axis=1)
    coef = np.where(b2 > 0, (gamma - 1) / np.where(b2 > 0, b2, 1), 0.0)
    energy = gamma * (v[:, 0] + bp)
    momentum = v[:, 1:] + (coef * bp + gamma * v[:, 0])[:, None] * beta
    return np.concatenate([energy[:, None], momentum], axis=1)


def measured(rng: np.random.Generator, muons: list, scale: np.ndarray, resolution: np.ndarray) -> dict:
    """Branches of the measured muons: pt smeared and scaled, eta, phi, charge (opposite signs)."""
    branches = {}
    charge = np.where(rng.random(muons[0].shape[0]) < 0.5, 1, -1)
    for i, mu in enumerate(muons, start=1):
        pt = np.hypot(mu[:, 1], mu[:, 2])
        eta = np.arcsinh(mu[:, 3] / pt)
        phi = np.arctan2(mu[:, 2], mu[:, 1])
        smeared = pt * scale * (1 + resolution * rng.normal(size=pt.size))
        branches[f"mu{i}_pt"] = np.abs(smeared).astype(np.float32)
        branches[f"mu{i}_eta"] = eta.astype(np.float32)
        branches[f"mu{i}_phi"] = phi.astype(np.float32)
        branches[f"mu{i}_charge"] = (charge if i == 1 else -charge).astype(np.int32)
    return branches


def sample(rng, card, truth, *, n, runs, periods, peak=None, width=0.0, slope=0.0, curvature=0.0, lo, hi,
           mean_pair_pt, rapidity_sd, mc=False, fake_fraction=0.0):
    """``n`` events of one component, spread over ``runs`` (an array of run numbers, one per event)."""
    mass = true_masses(rng, n, peak=peak, width=width, slope=slope, curvature=curvature, lo=lo, hi=hi)
    muons = decay(rng, mass, mean_pair_pt, rapidity_sd)
    if mc:
        scale, resolution = np.ones(n), np.full(n, min(truth["resolution_pt"].values()) * truth["mc_resolution_factor"])
    else:
        scale = np.array([truth["scale"][periods[r]] for r in runs])
        resolution = np.array([truth["resolution_pt"][periods[r]] for r in runs])
    branches = measured(rng, muons, scale, resolution)
    fake = rng.random(n) < fake_fraction
    branches["mu2_charge"] = np.where(fake & (rng.random(n) < 0.6), branches["mu1_charge"],
                                      branches["mu2_charge"]).astype(np.int32)
    branches["vtx_chi2"] = np.where(fake, rng.chisquare(3, n) * 4.0, rng.chisquare(3, n)).astype(np.float32)
    if not mc:
        branches["run"] = runs.astype(np.int32)
    branches["true_mass"] = mass
    return branches


def merged(rng, parts: list[dict]) -> dict:
    """Concatenate components and shuffle the events."""
    keys = parts[0].keys()
    joined = {k: np.concatenate([p[k] for p in parts]) for k in keys}
    order = rng.permutation(len(joined["mu1_pt"]))
    return {k: v[order] for k, v in joined.items()}


def write_tree(path: Path, branches: dict, keep_truth: bool) -> None:
    """One TTree ``events``; the true mass is kept only in the simulation."""
    with uproot.recreate(path) as f:
        f["events"] = {k: v for k, v in branches.items() if keep_truth or k != "true_mass"}


def main() -> None:
    card = json.loads(Path(sys.argv[1]).read_text())
    out = Path(sys.argv[2])
    truth = card["truth"]
    rng = np.random.default_rng(truth["seed"])
    runs = card["runs"]
    periods = {r["run"]: r["period"] for r in runs}
    run_numbers = np.array([r["run"] for r in runs])
    lumi = np.array([r["lumi_pb"] for r in runs], dtype=float)
    weights = lumi / lumi.sum()
    calib = card["calibration"]
    search = card["search"]
    kin = card["kinematics"]

    def pick_runs(n, period=None):
        w = weights * np.array([(period is None or periods[r] == period) for r in run_numbers])
        return rng.choice(run_numbers, size=n, p=w / w.sum())

    parts = []
    for period in card["periods"]:
        name = period["name"]
        n_peak = truth["calibration_events"][name]
        n_cont = int(n_peak * truth["calibration_background_fraction"])
        parts.append(sample(rng, card, truth, n=n_peak, runs=pick_runs(n_peak, name), periods=periods,
                            peak=calib["mass_gev"], width=calib["width_gev"], lo=calib["generate_lo"],
                            hi=calib["generate_hi"], mean_pair_pt=kin["calibration_pair_pt"],
                            rapidity_sd=kin["rapidity_sd"]))
        parts.append(sample(rng, card, truth, n=n_cont, runs=pick_runs(n_cont, name), periods=periods,
                            slope=-1.5 * 100 / (calib["generate_hi"] - calib["generate_lo"]),
                            lo=calib["generate_lo"], hi=calib["generate_hi"],
                            mean_pair_pt=kin["calibration_pair_pt"], rapidity_sd=kin["rapidity_sd"]))
    write_tree(out / "calibration.root", merged(rng, parts), keep_truth=False)

    lo, hi = search["generate_lo"], search["generate_hi"]
    n_bkg = truth["background_events"]
    parts = [sample(rng, card, truth, n=n_bkg, runs=pick_runs(n_bkg), periods=periods, slope=truth["slope"],
                    curvature=truth["curvature"], lo=lo, hi=hi, mean_pair_pt=kin["search_pair_pt"],
                    rapidity_sd=kin["rapidity_sd"], fake_fraction=truth["fake_fraction"])]
    if truth["signal_events"] > 0:
        m = truth["signal_mass"]
        parts.append(sample(rng, card, truth, n=truth["signal_events"], runs=pick_runs(truth["signal_events"]),
                            periods=periods, peak=m, width=m * search["width_over_mass"], lo=lo, hi=hi,
                            mean_pair_pt=kin["search_pair_pt"], rapidity_sd=kin["rapidity_sd"]))
    write_tree(out / "data.root", merged(rng, parts), keep_truth=False)

    m = search["mc_mass_gev"]
    mc = sample(rng, card, truth, n=truth["mc_events"], runs=np.zeros(truth["mc_events"]), periods=periods,
                peak=m, width=m * search["width_over_mass"], lo=lo, hi=hi, mean_pair_pt=kin["search_pair_pt"],
                rapidity_sd=kin["rapidity_sd"], mc=True)
    write_tree(out / "signal_mc.root", mc, keep_truth=True)
    print(json.dumps({"data_events": int(n_bkg + truth["signal_events"]), "mc_events": truth["mc_events"]}))


if __name__ == "__main__":
    main()
