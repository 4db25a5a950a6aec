#!/usr/bin/env python3
"""Oracle: calibrate the momentum scale and resolution per run period on the reference resonance, select
the good-run data on corrected momenta, take the efficiency from simulation, fit signal plus background by
extended unbinned maximum likelihood with iminuit, and report the mass, yield, significance and
cross-section (or the 95% CL upper limits) with the calibration systematic, the fit figure and its table.

Usage: solve.py [INPUT_DIR OUTPUT_DIR] (default: $ALE_INPUT_DIR, $ALE_OUTPUT_DIR).

The near-miss adversaries (adversaries/_shortcuts.py links here) run this same file under another name,
and that name switches on one shortcut; run as solve.py, none is taken.

ALE-CANARY-ca2d11f3-6094-404e-9c2a-bbd93f525710
"""

import csv
import json
import math
import os
import sys
from pathlib import Path

import matplotlib
import numpy as np
import uproot
from iminuit import Minuit
from scipy.optimize import brentq
from scipy.special import voigt_profile

matplotlib.use("Agg")
import matplotlib.pyplot as plt

if len(sys.argv) == 3:
    INPUT, OUTPUT = Path(sys.argv[1]), Path(sys.argv[2])
else:
    INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
    OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
SHORTCUT = Path(__file__).name.removesuffix(".py")
CARD = json.loads((INPUT / "analysis_card.json").read_text())
Q_95 = 2.705543  # one-sided 95% CL: -2 delta lnL of 1.645^2
# the calibration shifts of the note, in total standard deviations: (name, scale shift, resolution shift)
VARIATIONS = [("scale_up", 1, 0), ("scale_down", -1, 0), ("resolution_up", 0, 1), ("resolution_down", 0, -1)]
STOCK_SYST_REL = 0.04  # the stock_systematic and fabricated_variations shortcuts' guessed yield systematic
# the last sentence of the conclusion shortcuts, whatever the significance: hedged_conclusion claims and denies an
# observation; observed_resonance claims the resonance with the verb alone ("we observe"), no "observation" noun;
# evidence_wording states evidence below the 5 sigma threshold (and concludes a measurement so whatever its Z);
# clause_hedge puts the shortfall in another clause than the claim, and denies the observation after naming it
# evidence_withdrawn states the conclusion, then withdraws the evidence in a sentence of its own
# withheld_observation puts the claim off and dismisses the excess after the conclusion
# background_agreement calls the data consistent with the background alone after the conclusion
# background_chance_clause does so with a probability in another clause of its sentence
# condition_clause does so under a condition that conditions nothing ("if nothing else"), place_clause after a place
# that qualifies another clause, look_elsewhere_denial denies the excess "once the look-elsewhere effect is included";
# below 5 sigma (and for the limits) these three claim an observation and add a relative clause with "would"
# hedging_would calls the data "would seem consistent" with the background alone, place_splice denies the excess after
# a place clause that has a verb of its own (a comma splice); below 5 sigma (and for the limits) both claim a
# discovery in a relative clause hedged with "would" ("..., which we would call a discovery, ...")
# nothing_short calls the data "would be consistent" with the background alone; below 5 sigma (and for the limits) it
# claims a discovery in a negated shortfall ("nothing short of a discovery"); relative_would does so with "would be
# compatible", and below 5 sigma claims an observation before a mid-sentence "which would" clause and a discovery
# hedged with "would" in a clause of its own after the threshold
# relative_that_claim claims an observation before a "that would" clause without a comma (and, in limit mode, an
# appositive "a result that would"); at 5 sigma or more it denies the excess "in the sidebands and everywhere else"
# relative_clause_modal claims an observation before a comma-less relative clause whose own verb is a requirement ("that
# would require confirmation"); at 5 sigma or more it denies the excess "in the sidebands as well as at the fitted mass"
# discovery_denied_nothing denies the discovery with a subject that denies without a negator ("nothing in the spectrum
# resembles a discovery"); below 5 sigma (and for the limits) it reports a new resonance with the verb "report"
# resonance_claim_modal claims an observation before a relative clause requiring a significance ("that would require
# 5 sigma"); at 5 sigma or more it denies the observation with "neither" beyond the old four-word reach
# absence_denial claims a new resonance in the passive after a relative clause with a modal requirement ("a new
# resonance that would require confirmation has been observed"); at 5 sigma or more it denies the discovery with a noun
# of absence, no negator ("there is an absence of anything that resembles a discovery")
HEDGES = {"hedged_conclusion": {
              "measurement": "We report the discovery of this resonance, although it is not an observation yet.\n",
              "limit": "We report the discovery of a resonance near the largest best-fit yield.\n"},
          "observed_resonance": {
              "measurement": "We observe this resonance, although it is not an observation yet.\n",
              "limit": "We observe a new resonance near the largest best-fit yield.\n"},
          "evidence_wording": {"limit": "There is evidence for an excess, short of an observation.\n"},
          "clause_hedge": {
              "measurement": "Although the global significance is below 5 sigma, we observe a new resonance; an "
                             "observation cannot be claimed yet.\n",
              "limit": "Although the global significance is below 3 sigma, we observe a new resonance near the "
                       "largest best-fit yield.\n"},
          "evidence_withdrawn": {
              "measurement": "Evidence for this resonance cannot be claimed yet.\n",
              "limit": "There is evidence for an excess near the largest best-fit yield; evidence for a resonance "
                       "cannot be claimed yet.\n"},
          "withheld_observation": {
              "measurement": "Claiming an observation would be premature: the excess is most likely a statistical "
                             "fluctuation.\n",
              "limit": "There is evidence for a resonance near the largest best-fit yield; claiming an observation "
                       "would be premature.\n"},
          "background_agreement": {
              "measurement": "Overall, the data are consistent with the background-only hypothesis.\n",
              "limit": "There is evidence for a resonance near the largest best-fit yield, although the data are "
                       "consistent with the background-only hypothesis.\n"},
          "background_chance_clause": {
              "measurement": "Overall, the data are consistent with the background-only hypothesis, and the probability "
                             "of a signal is small.\n",
              "limit": "There is evidence for a resonance near the largest best-fit yield, and the probability of a "
                       "signal is small.\n"}}
RELATIVE_CLAIM = {"measurement": "We report the observation of a new resonance, which would be the first of its kind.\n",
                  "limit": "We report the observation of a new resonance near the largest best-fit yield, which would be "
                           "the first of its kind.\n"}
HEDGES.update({
    "condition_clause": {**RELATIVE_CLAIM, "observation": "Overall, the data are consistent with the background-only "
                                                          "hypothesis, if nothing else.\n"},
    "place_clause": {**RELATIVE_CLAIM, "observation": "In the sidebands the fit is good and the data are consistent "
                                                      "with the background-only hypothesis.\n"},
    "look_elsewhere_denial": {**RELATIVE_CLAIM, "observation": "There is no significant excess once the "
                                                               "look-elsewhere effect is included.\n"}})
HEDGED_CALL = {"measurement": "We see an excess over the background, which we would call a discovery, at the fitted "
                              "mass.\n",
               "limit": "There is a small excess near the largest best-fit yield, which we would call a discovery, "
                        "although the limits stand.\n"}
HEDGES.update({
    "hedging_would": {**HEDGED_CALL, "observation": "The data would seem consistent with the background-only "
                                                    "hypothesis.\n"},
    "place_splice": {**HEDGED_CALL, "observation": "Away from the peak the fit is good, there is no significant "
                                                   "excess near the fitted mass.\n"},
    "nothing_short": {"measurement": "This is nothing short of a discovery.\n",
                      "limit": "The excess near the largest best-fit yield is nothing short of a discovery.\n",
                      "observation": "The data would be consistent with the background-only hypothesis.\n"},
    "relative_would": {"measurement": "We report the observation of a new resonance, which would be the first of its "
                                      "kind, at the fitted mass; it is below the 5 sigma threshold, and we would call "
                                      "it a discovery.\n",
                       "limit": "We report the observation of a new resonance, which would be the first of its kind, "
                                "near the largest best-fit yield.\n",
                       "observation": "Overall, the data would be compatible with the background-only hypothesis.\n"},
    "relative_that_claim": {"measurement": "We report the observation of a new resonance that would be the first of its "
                                           "kind.\n",
                            "limit": "We report the observation of a new resonance near the largest best-fit yield, a "
                                     "result that would be the first of its kind.\n",
                            "observation": "In the sidebands and everywhere else, no significant excess is observed.\n"},
    "relative_clause_modal": {"measurement": "We report the observation of a new resonance that would require "
                                             "confirmation.\n",
                              "limit": "We report the observation of a new resonance near the largest best-fit yield "
                                       "that would require confirmation.\n",
                              "observation": "In the sidebands as well as at the fitted mass, no significant excess is "
                                             "observed.\n"},
    "discovery_denied_nothing": {"measurement": "We report a new resonance that would require 5 sigma.\n",
                                 "limit": "We report a new resonance near the largest best-fit yield.\n",
                                 "observation": "Nothing in the spectrum resembles a discovery.\n"},
    "resonance_claim_modal": {"measurement": "We report the observation of a new resonance that would require 5 sigma.\n",
                              "limit": "We report the observation of a new resonance near the largest best-fit yield "
                                       "that would require 5 sigma.\n",
                              "observation": "Neither fit shows anything resembling an observation.\n"},
    "absence_denial": {"measurement": "A new resonance that would require confirmation has been observed.\n",
                       "limit": "A new resonance near the largest best-fit yield that would require confirmation has "
                                "been observed.\n",
                       "observation": "There is an absence of anything that resembles a discovery.\n"}})


def read_tree(name):
    with uproot.open(INPUT / name) as f:
        return {k: np.asarray(v, dtype=float) for k, v in f["events"].arrays(library="np").items()}


def pair_mass(ev, pt_scale):
    """Dimuon invariant mass from pt/eta/phi with each pt divided by ``pt_scale``, muon mass included."""
    m_mu = CARD["muon_mass_gev"]
    vec = []
    for i in (1, 2):
        pt = ev[f"mu{i}_pt"] / pt_scale
        eta, phi = ev[f"mu{i}_eta"], ev[f"mu{i}_phi"]
        px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
        vec.append((np.sqrt(px ** 2 + py ** 2 + pz ** 2 + m_mu ** 2), px, py, pz))
    e, px, py, pz = (a + b for a, b in zip(*vec, strict=True))
    return np.sqrt(np.maximum(e ** 2 - px ** 2 - py ** 2 - pz ** 2, 0))


def period_of(runs):
    out = np.full(runs.shape, "", dtype=object)
    for p in CARD["periods"]:
        out[(runs >= p["first_run"]) & (runs <= p["last_run"])] = p["name"]
    return out


# -- stage 1: calibration ----------------------------------------------------------------------

def calibrate(masses):
    """Voigtian (natural width fixed) plus exponential, extended unbinned fit of the raw mass in the window."""
    cal = CARD["calibration"]
    lo, hi, m0, width = cal["fit_lo_gev"], cal["fit_hi_gev"], cal["mass_gev"], cal["width_gev"]
    m = masses[(masses > lo) & (masses < hi)]
    grid = np.linspace(lo, hi, 1001)

    def nll(n_sig, n_bkg, mu, sigma, slope):
        sig = voigt_profile(m - mu, sigma, width / 2)
        sig_norm = np.trapezoid(voigt_profile(grid - mu, sigma, width / 2), grid)
        bkg = np.exp(slope * (m - lo) / (hi - lo))
        bkg_norm = np.trapezoid(np.exp(slope * (grid - lo) / (hi - lo)), grid)
        density = n_sig * sig / sig_norm + n_bkg * bkg / bkg_norm
        return n_sig + n_bkg - np.sum(np.log(np.maximum(density, 1e-300)))

    fit = Minuit(nll, n_sig=0.9 * m.size, n_bkg=0.1 * m.size, mu=np.median(m), sigma=0.015 * m0, slope=-1.0)
    fit.errordef = Minuit.LIKELIHOOD
    fit.limits["n_sig"] = (0, None)
    fit.limits["n_bkg"] = (0, None)
    fit.limits["sigma"] = (1e-4 * m0, 0.2 * m0)
    fit.limits["slope"] = (-30, 30)  # unbounded, a lost step overflows exp() and the fit never recovers
    fit.migrad()
    fit.hesse()
    mu, sigma = fit.values["mu"], fit.values["sigma"]
    return {"scale": mu / m0, "scale_stat_unc": fit.errors["mu"] / m0, "resolution": sigma / mu,
            "resolution_unc": fit.errors["sigma"] / mu, "events": int(m.size)}


def calibration_stage():
    ev = read_tree("calibration.root")
    periods = period_of(ev["run"])
    raw = pair_mass(ev, 1.0)
    result = {}
    if SHORTCUT == "single_period":
        pooled = calibrate(raw)
        return {p["name"]: dict(pooled) for p in CARD["periods"]}
    for p in CARD["periods"]:
        result[p["name"]] = calibrate(raw[periods == p["name"]])
    return result


# -- stage 2: selection, luminosity, efficiency ------------------------------------------------------

def good_runs():
    with (INPUT / "runs.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    if SHORTCUT == "include_bad_runs":
        return rows
    return [r for r in rows if r["dq_status"].strip().lower() == "good"]


def passes(ev, pt_scale):
    sel = CARD["selection"]
    ok = ev["vtx_chi2"] < sel["vtx_chi2_max"]
    ok &= ev["mu1_charge"] * ev["mu2_charge"] < 0
    for i in (1, 2):
        ok &= ev[f"mu{i}_pt"] / pt_scale > sel["pt_min_gev"]
        ok &= np.abs(ev[f"mu{i}_eta"]) < sel["abs_eta_max"]
    return ok


def select_data(ev, scales, runs):
    """Corrected masses of the selected good-run data in the fit range."""
    good = np.isin(ev["run"], [int(r["run"]) for r in runs])
    periods = period_of(ev["run"])
    scale = np.array([scales.get(p, 1.0) for p in periods])
    if SHORTCUT == "no_calibration":
        scale = np.ones_like(scale)
    mass = pair_mass(ev, scale)
    search = CARD["search"]
    keep = good & passes(ev, scale) & (mass > search["fit_lo_gev"]) & (mass < search["fit_hi_gev"])
    return mass[keep]


def efficiency():
    mc = read_tree("signal_mc.root")
    mass = pair_mass(mc, 1.0)
    search = CARD["search"]
    ok = passes(mc, 1.0) & (mass > search["fit_lo_gev"]) & (mass < search["fit_hi_gev"])
    eff = ok.sum() / ok.size
    return float(eff), float(math.sqrt(eff * (1 - eff) / ok.size))


# -- stage 3: the search fit -----------------------------------------------------------------------

class Model:
    """Signal (Breit-Wigner of width ``width_over_mass`` x M convolved with the luminosity-weighted Gaussian
    resolutions of the periods) plus the note's background shape, normalised over the fit range."""

    def __init__(self, masses, resolutions, weights):
        s = CARD["search"]
        self.m, self.lo, self.hi = masses, s["fit_lo_gev"], s["fit_hi_gev"]
        self.grid = np.linspace(self.lo, self.hi, 1001)
        self.res, self.weights = resolutions, weights
        self.quadratic = s["background_model"] == "quadratic_exponential"
        self.linear = SHORTCUT == "linear_background"

    def signal(self, x, mass):
        gamma = CARD["search"]["width_over_mass"] * mass / 2
        return sum(w * voigt_profile(x - mass, r * mass, gamma) for r, w in zip(self.res, self.weights, strict=True))

    def background(self, x, c1, c2):
        t = (x - CARD["search"]["x0_gev"]) / CARD["search"]["x_unit_gev"]
        if self.linear:
            return np.maximum(1 + c1 * t, 1e-12)
        return np.exp(c1 * t + (c2 * t * t if self.quadratic else 0.0))

    def densities(self, x, mass, c1, c2):
        sig = self.signal(x, mass) / np.trapezoid(self.signal(self.grid, mass), self.grid)
        bkg = self.background(x, c1, c2) / np.trapezoid(self.background(self.grid, c1, c2), self.grid)
        return sig, bkg

    def nll(self, n_sig, n_bkg, mass, c1, c2):
        sig, bkg = self.densities(self.m, mass, c1, c2)
        return n_sig + n_bkg - np.sum(np.log(np.maximum(n_sig * sig + n_bkg * bkg, 1e-300)))

    def fit(self, *, mass, n_sig=None, fix_mass=True, start=None):
        """Extended unbinned fit; ``n_sig`` fixes the signal yield when given."""
        n = self.m.size
        init = start or {"n_sig": 0.0, "n_bkg": float(n), "c1": -0.2 if self.linear else -1.5, "c2": 0.0}
        fit = Minuit(self.nll, n_sig=init["n_sig"] if n_sig is None else n_sig, n_bkg=init["n_bkg"], mass=mass,
                     c1=init["c1"], c2=init["c2"])
        fit.errordef = Minuit.LIKELIHOOD
        fit.limits["mass"] = (self.lo + 10, self.hi - 10)
        fit.limits["n_bkg"] = (0, None)
        fit.fixed["c2"] = not self.quadratic
        fit.fixed["mass"] = fix_mass
        fit.fixed["n_sig"] = n_sig is not None
        fit.migrad()
        if not fit.valid:
            fit.migrad()
        return fit


def measure(model):
    """Signal-plus-background fit with the mass free, the background-only fit, and the local significance."""
    bonly = model.fit(mass=300.0, n_sig=0.0)
    masses = np.arange(model.lo + 20, model.hi - 19, 10.0)
    scans = [model.fit(mass=m, start={**dict(bonly.values.to_dict()), "n_sig": 20.0}) for m in masses]
    best = min(scans, key=lambda f: f.fval)
    fit = model.fit(mass=best.values["mass"], fix_mass=False, start=best.values.to_dict())
    fit.hesse()
    z = math.sqrt(max(2 * (bonly.fval - fit.fval), 0.0))
    return fit, bonly, z


def upper_limit(model, mass):
    """Profile-likelihood 95% CL upper limit on the yield at a fixed mass (best-fit yield clipped at zero)."""
    free = model.fit(mass=mass, start={"n_sig": 5.0, "n_bkg": float(model.m.size), "c1": -1.5, "c2": 0.0})
    n_hat = free.values["n_sig"]
    ref = free.fval if n_hat >= 0 else model.fit(mass=mass, n_sig=0.0, start=free.values.to_dict()).fval
    start = free.values.to_dict()

    def q(n):
        return 2 * (model.fit(mass=mass, n_sig=n, start=start).fval - ref) - Q_95

    lo = max(n_hat, 0.0)
    step = max(free.errors["n_sig"], 3.0)
    hi = lo + 2 * step
    while q(hi) < 0:
        hi += 2 * step
    return brentq(q, lo, hi, xtol=1e-3), n_hat


def counting(model, mass, bonly):
    """The counting shortcut: events in +-2 sigma around ``mass`` against the background-only expectation."""
    sigma = math.hypot(float(np.average(model.res, weights=model.weights)) * mass,
                       CARD["search"]["width_over_mass"] * mass / 2)
    lo, hi = mass - 2 * sigma, mass + 2 * sigma
    n_obs = int(np.sum((model.m > lo) & (model.m < hi)))
    _, bkg = model.densities(model.grid, mass, bonly.values["c1"], bonly.values["c2"])
    inside = (model.grid > lo) & (model.grid < hi)
    b = bonly.values["n_bkg"] * np.trapezoid(bkg[inside], model.grid[inside])
    return n_obs, b


# -- the whole analysis, and its rerun with shifted calibrations ---------------------------------------------

def analysis(cal, shift_scale=0.0, shift_res=0.0, runs=None, data=None):
    """Select and build the fit model for the calibration shifted by ``shift_*`` standard deviations."""
    syst = CARD["systematics"]
    scales, res = {}, []
    for p in CARD["periods"]:
        c = cal[p["name"]]
        s_unc = math.hypot(c["scale_stat_unc"], syst["scale_extrapolation_rel"] * c["scale"])
        r_unc = math.hypot(c["resolution_unc"], syst["resolution_extrapolation_rel"] * c["resolution"])
        scales[p["name"]] = c["scale"] + shift_scale * s_unc
        res.append(c["resolution"] + shift_res * r_unc)
    if SHORTCUT == "mc_resolution":
        res = [mc_resolution()] * len(res)
    lumi = {p["name"]: sum(float(r["lumi_pb"]) for r in runs if r["period"] == p["name"]) for p in CARD["periods"]}
    weights = [lumi[p["name"]] / sum(lumi.values()) for p in CARD["periods"]]
    return Model(select_data(data, scales, runs), res, weights)


def guessed_refits(cal, n_selected, mass, n_sig):
    """The shifted refits a shortcut writes without doing them: the selection unchanged, the mass moved by the
    total scale uncertainty, the yield by the stock percentage under the resolution shifts."""
    syst = CARD["systematics"]
    scale_rel = max(math.hypot(c["scale_stat_unc"] / c["scale"], syst["scale_extrapolation_rel"]) for c in cal.values())
    moves = {"scale_up": (-scale_rel * mass, 0.0), "scale_down": (scale_rel * mass, 0.0),
             "resolution_up": (0.0, STOCK_SYST_REL * n_sig), "resolution_down": (0.0, -STOCK_SYST_REL * n_sig)}
    return [{"variation": name, "n_selected": int(n_selected), "mass_gev": mass + moves[name][0],
             "signal_yield": n_sig + moves[name][1]} for name, _, _ in VARIATIONS]


def mc_resolution():
    mc = read_tree("signal_mc.root")
    ratio = pair_mass(mc, 1.0) / mc["true_mass"] - 1
    return float(np.std(ratio[np.abs(ratio) < 0.1]))


def histogram(model, fit):
    s = CARD["search"]
    edges = np.arange(s["fit_lo_gev"], s["fit_hi_gev"] + 1e-9, s["bin_width_gev"])
    counts, _ = np.histogram(model.m, bins=edges)
    v = fit.values
    rows = []
    for lo, hi, n in zip(edges[:-1], edges[1:], counts, strict=True):
        x = np.linspace(lo, hi, 101)
        sig, bkg = model.densities(x, v["mass"], v["c1"], v["c2"])
        b = v["n_bkg"] * np.trapezoid(bkg, x)
        rows.append((lo, hi, int(n), v["n_sig"] * np.trapezoid(sig, x) + b, b))
    return rows


def smooth_curve(model, fit):
    """The fitted expectation per bin width on a fine grid, for the figure."""
    v, width = fit.values, CARD["search"]["bin_width_gev"]
    sig, bkg = model.densities(model.grid, v["mass"], v["c1"], v["c2"])
    back = v["n_bkg"] * bkg * width
    return model.grid, back + v["n_sig"] * sig * width, back


def write_outputs(cal, rows, curve, result, summary, title):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with (OUTPUT / "calibration.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["period", "first_run", "last_run", "scale", "scale_stat_unc", "resolution_pct",
                    "resolution_pct_unc"])
        for p in CARD["periods"]:
            c = cal[p["name"]]
            w.writerow([p["name"], p["first_run"], p["last_run"], f"{c['scale']:.6f}", f"{c['scale_stat_unc']:.6f}",
                        f"{100 * c['resolution']:.4f}", f"{100 * c['resolution_unc']:.4f}"])
    with (OUTPUT / "fit_histogram.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["bin_low_gev", "bin_high_gev", "data_count", "fit_total", "fit_background"])
        for lo, hi, n, tot, b in rows:
            if SHORTCUT == "counts_as_curve":  # the data counts written as the fitted curve
                tot = n
            w.writerow([f"{lo:g}", f"{hi:g}", n, f"{tot:.4f}", f"{b:.4f}"])
    (OUTPUT / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    (OUTPUT / "summary.md").write_text(summary)
    centers = np.array([(r[0] + r[1]) / 2 for r in rows])
    counts = np.array([r[2] for r in rows])
    x, total, back = curve
    if SHORTCUT == "stock_figure":  # the figure's points drawn from the background model, not the data
        counts = np.round(np.interp(centers, x, back))
    fig, ax = plt.subplots(figsize=(9, 6))
    ax.errorbar(centers, counts, yerr=np.sqrt(np.maximum(counts, 1)), fmt="ko", ms=4, label="data")
    ax.plot(x, total, "r-", lw=2, label="fit: signal + background" if CARD["mode"] == "measurement" else "fit")
    ax.plot(x, back, "b--", lw=2, label="background")
    ax.set_xlabel("corrected dimuon mass [GeV]")
    ax.set_ylabel(f"events / {CARD['search']['bin_width_gev']:g} GeV")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUTPUT / "fit.png", dpi=100)


def main():
    cal = calibration_stage()
    runs = good_runs()
    data = read_tree("data.root")
    lumi_fb = sum(float(r["lumi_pb"]) for r in runs) / 1000.0
    eff, eff_unc = efficiency()
    if SHORTCUT == "no_efficiency":
        eff, eff_unc = 1.0, 0.0
    nominal = analysis(cal, runs=runs, data=data)
    guessed = SHORTCUT in ("stock_systematic", "fabricated_variations")
    shifted = [] if guessed else [analysis(cal, sx, sr, runs=runs, data=data) for _, sx, sr in VARIATIONS]
    cal_lines = "\n".join(
        f"| {p} | {c['scale']:.5f} ± {c['scale_stat_unc']:.5f} | {100 * c['resolution']:.3f} ± "
        f"{100 * c['resolution_unc']:.3f} | {c['events']} |" for p, c in cal.items())
    head = (f"# Dimuon resonance search: {CARD['analysis']}\n\n## Calibration ({CARD['calibration']['resonance']})\n\n"
            "| Period | Momentum scale | Relative mass resolution (%) | Events in window |\n|---|---|---|---|\n"
            f"{cal_lines}\n\n## Selection\n\n{nominal.m.size} data events selected in the fit range "
            f"{CARD['search']['fit_lo_gev']:g}-{CARD['search']['fit_hi_gev']:g} GeV from good runs totalling "
            f"{lumi_fb:.3f} fb^-1; signal efficiency from simulation {eff:.4f} ± {eff_unc:.4f}.\n\n")
    result = {"n_selected": int(nominal.m.size), "luminosity_fb": lumi_fb, "efficiency": eff,
              "efficiency_unc": eff_unc}
    if CARD["mode"] == "measurement":
        fit, bonly, z = measure(nominal)
        v, e = fit.values, fit.errors
        n_sig, mass = v["n_sig"], v["mass"]
        if SHORTCUT == "counting":
            n_obs, b = counting(nominal, mass, bonly)
            n_sig, z = n_obs - b, (n_obs - b) / math.sqrt(b)
        if guessed:  # no shifted refit: the mass moves with the scale uncertainty, the yield by a stock 4 %
            refits = guessed_refits(cal, nominal.m.size, v["mass"], v["n_sig"])
        else:
            fits = [m.fit(mass=v["mass"], fix_mass=False, start=v.to_dict()) for m in shifted]
            refits = [{"variation": name, "n_selected": int(m.m.size), "mass_gev": f.values["mass"],
                       "signal_yield": f.values["n_sig"]} for (name, _, _), m, f in zip(VARIATIONS, shifted, fits,
                                                                                        strict=True)]
        d_mass = [abs(r["mass_gev"] - v["mass"]) for r in refits]
        d_yield = [abs(r["signal_yield"] - v["n_sig"]) for r in refits]
        mass_syst = math.hypot(max(d_mass[:2]), max(d_mass[2:]))
        yield_syst = math.hypot(max(d_yield[:2]), max(d_yield[2:]))
        if SHORTCUT == "no_systematic":
            mass_syst = yield_syst = 0.0
        xsec = n_sig / (eff * lumi_fb)
        result.update({"mass_gev": mass, "mass_stat_gev": e["mass"], "mass_syst_gev": mass_syst,
                       "signal_yield": n_sig, "signal_yield_stat": e["n_sig"], "signal_yield_syst": yield_syst,
                       "local_significance": z, "xsec_fb": xsec, "xsec_stat_fb": e["n_sig"] / (eff * lumi_fb),
                       "xsec_syst_fb": yield_syst / (eff * lumi_fb)})
        if SHORTCUT != "stock_systematic":
            result["calibration_variations"] = refits
        hedge = HEDGES.get(SHORTCUT, {})
        body = (f"## Result\n\nExtended unbinned maximum-likelihood fit (signal + {CARD['search']['background_model']} "
                f"background):\n\n- mass M = {mass:.2f} ± {e['mass']:.2f} (stat) ± {mass_syst:.2f} (syst) GeV\n"
                f"- signal yield N = {n_sig:.1f} ± {e['n_sig']:.1f} (stat) ± {yield_syst:.1f} (syst)\n"
                f"- local significance Z = {z:.2f} sigma (likelihood ratio against background only)\n"
                f"- cross-section x BR = {xsec:.3f} ± {result['xsec_stat_fb']:.3f} (stat) ± "
                f"{result['xsec_syst_fb']:.3f} (syst) fb\n\n## Conclusion\n\n"
                + ("There is evidence for an excess, short of an observation," if SHORTCUT == "evidence_wording"
                   else "A significant excess over the background is observed" if z >= 5 else
                   "There is evidence for an excess over the background, below the 5 sigma threshold" if z >= 3
                   else "No significant excess over the background is seen")
                + f" at {mass:.1f} GeV; the systematic uncertainties come from the momentum-scale and resolution "
                "calibration.\n" + hedge.get("observation" if z >= 5 and "observation" in hedge else "measurement", ""))
        rows = histogram(nominal, fit)
        title = f"signal + background fit, M = {mass:.1f} GeV"
    else:
        bonly = nominal.fit(mass=300.0, n_sig=0.0)
        limits = []
        selected = [nominal.m.size] * len(VARIATIONS) if guessed else [m.m.size for m in shifted]
        refits = [{"variation": name, "n_selected": int(n), "limits": []}
                  for (name, _, _), n in zip(VARIATIONS, selected, strict=True)]
        for mass in CARD["search"]["mass_hypotheses_gev"]:
            n_up, n_hat = upper_limit(nominal, mass)
            if SHORTCUT == "counting":
                n_obs, b = counting(nominal, mass, bonly)
                n_up = max(n_obs - b, 0.0) + 1.645 * math.sqrt(b)
            if guessed:  # no shifted refit: unchanged under the scale shifts, the stock percentage under resolution
                variations = [n_up, n_up, (1 + STOCK_SYST_REL) * n_up, (1 - STOCK_SYST_REL) * n_up]
            else:
                variations = [upper_limit(m, mass)[0] for m in shifted]
            for refit, n_shifted in zip(refits, variations, strict=True):
                refit["limits"].append({"mass_gev": mass, "yield_upper_95": n_shifted})
            with_syst = n_up if SHORTCUT in ("no_systematic", "counting") else max([n_up, *variations])
            limits.append({"mass_gev": mass, "signal_yield": n_hat, "yield_upper_95": n_up,
                           "xsec_upper_95_stat_only_fb": n_up / (eff * lumi_fb),
                           "xsec_upper_95_fb": with_syst / (eff * lumi_fb)})
        result["limits"] = limits
        if SHORTCUT != "stock_systematic":
            result["calibration_variations"] = refits
        table = "\n".join(f"| {x['mass_gev']:g} | {x['signal_yield']:.1f} | {x['yield_upper_95']:.1f} | "
                          f"{x['xsec_upper_95_stat_only_fb']:.3f} | {x['xsec_upper_95_fb']:.3f} |" for x in limits)
        body = ("## Result\n\nNo significant excess over the background-only fit. 95% CL upper limits from the "
                "profile likelihood ratio (yield profiled over the background parameters):\n\n"
                "| Mass (GeV) | Best-fit yield | Yield upper limit | sigma x BR limit, stat only (fb) | "
                "sigma x BR limit incl. calibration syst (fb) |\n|---|---|---|---|---|\n" + table
                + "\n\n## Conclusion\n\nThe data agree with the background-only hypothesis; the limits including the "
                "calibration systematic are the largest over the shifted scale and resolution.\n"
                + HEDGES.get(SHORTCUT, {}).get("limit", ""))
        fit = bonly
        rows = histogram(nominal, bonly)
        title = "background-only fit"
    write_outputs(cal, rows, smooth_curve(nominal, fit), result, head + body, title)


main()
