"""The analysis note of one instance, written from its public analysis card.

ALE-CANARY-ca2d11f3-6094-404e-9c2a-bbd93f525710
"""

from __future__ import annotations

from typing import Any

BACKGROUNDS = {
    "exponential": "f_B(m) ∝ exp(c1·x)",
    "quadratic_exponential": "f_B(m) ∝ exp(c1·x + c2·x²)",
}


def analysis_note(card: dict[str, Any]) -> str:
    """Markdown: data, calibration, selection, efficiency, fit model, statistics and systematics."""
    cal, sel, search, syst = card["calibration"], card["selection"], card["search"], card["systematics"]
    periods = ", ".join(f"period {p['name']} = runs {p['first_run']}-{p['last_run']}" for p in card["periods"])
    if card["mode"] == "measurement":
        statistics = (
            "Fit the signal mass M (free within the fit range), the signal and background yields and the background "
            "shape parameters together. Quote the statistical uncertainties of M and of the yield from the fit "
            "(Hesse, or Minos symmetrised). The local significance is Z = sqrt(q0), q0 = -2 ln(L_B / L_S+B) with "
            "L_B the background-only fit (signal yield 0, background refitted). Quote the cross-section times "
            "branching ratio sigma x BR = N_sig / (efficiency x integrated luminosity) in fb, with its statistical "
            "and systematic uncertainties.")
    else:
        masses = ", ".join(f"{m:g}" for m in search["mass_hypotheses_gev"])
        statistics = (
            "The unblinded spectrum shows no significant excess. Set 95% CL upper limits on the signal yield at the "
            f"mass hypotheses M = {masses} GeV with the profile likelihood ratio: at fixed M, the one-sided test "
            "statistic q(N) = -2 ln[L(N, best background) / L(N_hat, best background)], with N_hat the best-fit "
            "yield (clipped at 0 when negative); the limit is the yield N > N_hat where q(N) = 2.706 (asymptotic, "
            "one-sided 95% CL). Convert each yield limit into a limit on sigma x BR in fb with the efficiency and "
            "the integrated luminosity.")
    syst_use = ("the systematic uncertainty of each result is the quadrature sum of the larger absolute shift "
                "under the two scale shifts and the larger absolute shift under the two resolution shifts."
                if card["mode"] == "measurement" else
                "the limit including the calibration systematic is, at each mass, the largest of the nominal limit "
                "and the four limits with shifted calibration (quote both the statistical-only and this limit).")
    return f"""# Analysis note: {card['analysis']}

## Data

- `data.root`, TTree `events`: dimuon candidates, one per event: `run`, `mu1_pt`, `mu1_eta`, `mu1_phi`,
  `mu1_charge`, `mu2_*` likewise (pt in GeV as measured, i.e. before the momentum-scale correction), and
  `vtx_chi2`, the chi2 of the common vertex fit (3 degrees of freedom).
- `runs.csv`: the runs of the dataset with their period, delivered-and-recorded luminosity in pb^-1 and the
  data-quality verdict. Only runs marked `good` enter the analysis (and the luminosity); {periods}.
- `calibration.root`, TTree `events` (same branches): a preselected {cal['resonance']} sample from the same runs.
- `signal_mc.root`, TTree `events`: simulated signal events (M = {search['mc_mass_gev']:g} GeV, same branches
  without `run`, plus `true_mass`), every generated event stored. The simulation has the nominal momentum scale
  but a better resolution than the data; the efficiency it gives applies at every mass of the search.

## Momentum-scale calibration (each run period separately)

The tracker alignment differs between the two run periods. For each period, fit the raw dimuon mass of the
calibration sample in {cal['fit_lo_gev']:g} < m < {cal['fit_hi_gev']:g} GeV with a Voigtian (Breit-Wigner of the
{cal['resonance']}'s natural width, {cal['width_gev']:g} GeV, fixed, convolved with a Gaussian resolution) plus an
exponential background, by an extended unbinned maximum-likelihood fit. The momentum scale factor is
s = m_peak / {cal['mass_gev']:g} GeV and the relative mass resolution is sigma_m / m_peak; the measured
muon momenta are corrected as pt_corrected = pt / s of the event's period. The relative mass resolution applies at
every mass. Muon mass: {card['muon_mass_gev']} GeV.

## Selection (on corrected momenta)

Good runs only; opposite charges; both muons pt > {sel['pt_min_gev']:g} GeV and |eta| < {sel['abs_eta_max']:g};
vtx_chi2 < {sel['vtx_chi2_max']:g}; corrected dimuon mass {search['fit_lo_gev']:g} < m < {search['fit_hi_gev']:g} GeV
(the fit range). The signal efficiency is the fraction of all simulated events passing the same selection
(no scale correction: the simulation's scale is nominal), with its binomial uncertainty.

## Fit model

Extended unbinned maximum likelihood in the fit range. Signal: a Breit-Wigner of width
Gamma = {search['width_over_mass']:g} x M convolved with a Gaussian of width (relative resolution) x M; the data
mix the two periods, so the signal shape is the sum of the two periods' shapes weighted by their good-run
luminosity. Background: {BACKGROUNDS[search['background_model']]}, x = (m - {search['x0_gev']:g} GeV) /
{search['x_unit_gev']:g} GeV. Both shapes are normalised over the fit range.

## Statistics

{statistics}

## Systematic uncertainties (calibration)

The total scale uncertainty of a period is its fit's statistical uncertainty added in quadrature to
{syst['scale_extrapolation_rel']:g} x s (extrapolation from the {cal['resonance']} to the search region); the total
resolution uncertainty is the fit's uncertainty added in quadrature to {syst['resolution_extrapolation_rel']:g} x the
resolution. Redo the selection and the fit with both periods' scales shifted together by +1 and -1 total standard
deviation, and with both resolutions shifted together by +1 and -1 standard deviation; {syst_use}

## Figure

The corrected mass spectrum of the selected data in {search['bin_width_gev']:g} GeV bins over the fit range, with the
fitted total and background curves ({'signal-plus-background fit' if card['mode'] == 'measurement' else
'background-only fit'}).
"""
