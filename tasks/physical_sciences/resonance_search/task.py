"""Dimuon resonance search on ROOT ntuples, from the momentum-scale calibration to the cross-section or limit.

ALE-CANARY-ca2d11f3-6094-404e-9c2a-bbd93f525710

Workflow: an experimental particle physicist calibrates the muon momentum scale and the mass resolution of
each run period on a known resonance (Z or Upsilon(1S)), applies the good-run list, the quality, charge and
kinematic selection to the data on corrected momenta, takes the signal efficiency from simulation (whose
resolution is better than the data's), fits signal (Breit-Wigner convolved with the calibrated resolutions)
plus the note's background by extended unbinned maximum likelihood, and reports the mass, yield, local
significance and cross-section times branching ratio, or 95% CL upper limits at the note's mass
hypotheses, with the calibration systematic, a fit figure and its table.

generate() draws the run list and the generating truth (card.py), simulates the three ROOT files with uproot
(simulate.py, in the task's tool environment), and runs the oracle on them (solution/solve.py) for the
reference: the grader compares the agent's fits with fits of the same events, with tolerances set from the
reference's statistical uncertainties, compares each of the four shifted-calibration analyses with the
reference's own (the shifted selection, and how far the refit moves the result), requires the systematics to
follow from them, and cross-checks the deliverables against each other.
"""

from __future__ import annotations

import csv
import json
import math
import re
import tempfile
from pathlib import Path
from typing import Any

from lastexam.task import Grading, Params, as_number, judge, run_tool_script, write_csv

from .card import build_card, public_card
from .note import analysis_note

HERE = Path(__file__).parent
CALIBRATION, RESULT, HISTOGRAM, FIGURE, SUMMARY = ("calibration.csv", "result.json", "fit_histogram.csv", "fit.png",
                                                    "summary.md")
CAL_COLUMNS = ["period", "first_run", "last_run", "scale", "scale_stat_unc", "resolution_pct", "resolution_pct_unc"]
HIST_COLUMNS = ["bin_low_gev", "bin_high_gev", "data_count", "fit_total", "fit_background"]
# a fit of the same events by the note's method agrees with the reference far inside these; the shortcuts
# (raw scale, one period, MC resolution, crude background, counting) move the result by more
FIT_SIGMA_TOL = 0.25     # mass, yield, cross-section: a quarter of the reference's statistical uncertainty
UNC_REL_TOL = 0.15       # a statistical uncertainty (Hesse or Minos, symmetrised)
SYST_REL_TOL = 0.35      # a systematic from shifted refits
LIMIT_REL_TOL = 0.02     # an upper limit from the profile likelihood
# a shifted-calibration refit moves the result from the nominal fit; the same refit of the same events moves it
# by the reference's move within SHIFT_REL_TOL of that move, plus SHIFT_SIGMA_TOL statistical standard deviations
# (or SHIFT_LIMIT_TOL of an upper limit) for the minimiser's precision
SHIFT_REL_TOL = 0.2
SHIFT_SIGMA_TOL = 0.02
SHIFT_LIMIT_TOL = 0.005
VARIATIONS = ("scale_up", "scale_down", "resolution_up", "resolution_down")


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    card = build_card(dict(params))
    public = public_card(card)
    (input_dir / "analysis_card.json").write_text(json.dumps(public, indent=2) + "\n")
    (input_dir / "analysis_note.md").write_text(analysis_note(public))
    write_csv(input_dir / "runs.csv", ["run", "period", "lumi_pb", "dq_status"],
              [(r["run"], r["period"], f"{r['lumi_pb']:.1f}", r["dq_status"]) for r in card["runs"]])
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "card.json"
        full.write_text(json.dumps(card))
        run_tool_script(__file__, HERE / "simulate.py", str(full), str(input_dir))
    oracle = reference_dir / "oracle"
    oracle.mkdir()
    run_tool_script(__file__, HERE / "solution" / "solve.py", str(input_dir), str(oracle))
    (oracle / "fit.png").unlink()
    (reference_dir / "truth.json").write_text(json.dumps(card["truth"], indent=1))


def grade(g: Grading) -> None:
    if not g.require_files(CALIBRATION, RESULT, HISTOGRAM, FIGURE, SUMMARY):
        return
    ref = g.reference_json("oracle/result.json")
    mode = g.params["mode"]
    calibration = g.read_csv(CALIBRATION, required_columns=CAL_COLUMNS)
    result = g.read_json(RESULT)
    histogram = g.read_csv(HISTOGRAM, required_columns=HIST_COLUMNS)
    summary = g.read_text(SUMMARY)
    if calibration is None or histogram is None or summary is None or not isinstance(result, dict):
        if result is not None and not isinstance(result, dict):
            g.check(f"{RESULT} is a JSON object", False, gate=True, weight=0)
        return
    _grade_calibration(g, calibration)
    _grade_selection(g, ref, result)
    if mode == "measurement":
        _grade_measurement(g, ref, result)
    else:
        _grade_limits(g, ref, result)
    _grade_variations(g, ref, result)
    _grade_histogram(g, ref, result, histogram)
    _grade_figure(g, histogram)
    _grade_summary(g, ref, result, summary)


def _reference_csv(g: Grading, name: str) -> list[dict[str, str]]:
    with g.reference(f"oracle/{name}").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _value(mapping: Any, key: str) -> float | None:
    return as_number(mapping.get(key)) if isinstance(mapping, dict) else None


def _within(found: float | None, want: float, tol: float) -> bool | str:
    if found is None:
        return "not a number"
    return True if abs(found - want) <= tol else f"{found:.6g}, want {want:.6g} +- {tol:.3g}"


def _grade_calibration(g: Grading, rows: list[dict[str, str]]) -> None:
    """Per period: the scale within half its statistical uncertainty, the resolution within half its
    uncertainty (or 2 %), each uncertainty within 30 %."""
    found = {r.get("period", "").strip().upper(): r for r in rows}

    def compare(row: dict, want: dict) -> bool | str:
        scale, res = float(want["scale"]), float(want["resolution_pct"])
        scale_unc, res_unc = float(want["scale_stat_unc"]), float(want["resolution_pct_unc"])
        tests = {
            "scale": _within(as_number(row.get("scale")), scale, max(0.5 * scale_unc, 2e-5)),
            "resolution_pct": _within(as_number(row.get("resolution_pct")), res, 0.5 * res_unc + 0.02 * res),
            "scale_stat_unc": _within(as_number(row.get("scale_stat_unc")), scale_unc, 0.3 * scale_unc),
            "resolution_pct_unc": _within(as_number(row.get("resolution_pct_unc")), res_unc, 0.3 * res_unc),
        }
        bad = [f"{k}: {v}" for k, v in tests.items() if v is not True]
        return "; ".join(bad) if bad else True

    expected = {r["period"].upper(): r for r in _reference_csv(g, CALIBRATION)}
    g.fraction("momentum scale and resolution calibrated for each run period", judge(found, expected, compare),
               weight=3, noun="periods")


def _grade_selection(g: Grading, ref: dict, result: dict) -> None:
    g.number("good-run luminosity (fb^-1)", result.get("luminosity_fb"), ref["luminosity_fb"], rel_tol=0.002)
    g.number("selected data events in the fit range", result.get("n_selected"), ref["n_selected"],
             abs_tol=max(2.0, 0.001 * ref["n_selected"]), weight=2)
    g.number("signal efficiency from simulation", result.get("efficiency"), ref["efficiency"], abs_tol=0.002,
             weight=2)


def _grade_measurement(g: Grading, ref: dict, result: dict) -> None:
    def near(name: str, key: str, stat_key: str, weight: float = 1.0) -> None:
        g.number(name, result.get(key), ref[key], abs_tol=FIT_SIGMA_TOL * ref[stat_key] + 1e-9, weight=weight)

    near("fitted resonance mass (GeV)", "mass_gev", "mass_stat_gev", weight=2)
    near("fitted signal yield", "signal_yield", "signal_yield_stat", weight=2)
    near("cross-section x BR (fb)", "xsec_fb", "xsec_stat_fb", weight=2)
    stats = {k: _within(_value(result, k), ref[k], UNC_REL_TOL * ref[k])
             for k in ("mass_stat_gev", "signal_yield_stat", "xsec_stat_fb")}
    g.fraction("statistical uncertainties of mass, yield and cross-section", stats, weight=2, noun="uncertainties")
    g.number("local significance (likelihood ratio)", result.get("local_significance"), ref["local_significance"],
             abs_tol=0.25, weight=2)
    systs = {k: _within(_value(result, k), ref[k], SYST_REL_TOL * ref[k]) for k in ("mass_syst_gev", "xsec_syst_fb")}
    g.fraction("calibration systematic on mass and cross-section", systs, weight=2, noun="systematics")
    n, eff, lumi = (_value(result, k) for k in ("signal_yield", "efficiency", "luminosity_fb"))
    xsec, n_stat, xsec_stat = (_value(result, k) for k in ("xsec_fb", "signal_yield_stat", "xsec_stat_fb"))
    ok = None not in (n, eff, lumi, xsec, n_stat, xsec_stat) and eff > 0 and lumi > 0
    consistent = ok and math.isclose(xsec, n / (eff * lumi), rel_tol=0.01) and math.isclose(
        xsec_stat, n_stat / (eff * lumi), rel_tol=0.01)
    g.check("cross-section = yield / (efficiency x luminosity)", bool(consistent),
            expected="xsec_fb = signal_yield / (efficiency * luminosity_fb), same for the statistical uncertainty",
            found={"xsec_fb": xsec, "yield": n, "efficiency": eff, "luminosity_fb": lumi})


def _grade_limits(g: Grading, ref: dict, result: dict) -> None:
    found = {}
    for row in result.get("limits") if isinstance(result.get("limits"), list) else []:
        mass = _value(row, "mass_gev")
        if mass is not None:
            found[f"{mass:g}"] = row
    expected = {f"{row['mass_gev']:g}": row for row in ref["limits"]}

    def limit_check(*keys: str):
        def compare(row: dict, want: dict) -> bool | str:
            bad = [f"{k}: {v}" for k in keys
                   if (v := _within(_value(row, k), want[k], LIMIT_REL_TOL * want[k])) is not True]
            return "; ".join(bad) if bad else True
        return compare

    g.fraction("95% CL upper limit on the signal yield at each mass hypothesis",
               judge(found, expected, limit_check("yield_upper_95")), weight=3, noun="mass points")
    g.fraction("95% CL cross-section limit, statistical only, at each mass",
               judge(found, expected, limit_check("xsec_upper_95_stat_only_fb")), weight=2, noun="mass points")
    g.fraction("95% CL cross-section limit with the calibration systematic, at each mass",
               judge(found, expected, limit_check("xsec_upper_95_fb")), weight=2, noun="mass points")

    def syst_effect(row: dict, want: dict) -> bool | str:
        stat, full = _value(row, "xsec_upper_95_stat_only_fb"), _value(row, "xsec_upper_95_fb")
        if stat is None or full is None:
            return "not numbers"
        delta, want_delta = full - stat, want["xsec_upper_95_fb"] - want["xsec_upper_95_stat_only_fb"]
        return _within(delta, want_delta, SYST_REL_TOL * want_delta + 0.002 * want["xsec_upper_95_fb"])

    g.fraction("the systematic raises each limit by the shifted-calibration amount", judge(found, expected,
               syst_effect), weight=2, noun="mass points")
    eff, lumi = _value(result, "efficiency"), _value(result, "luminosity_fb")

    def converted(row: dict, _want: dict) -> bool | str:
        n, xsec = _value(row, "yield_upper_95"), _value(row, "xsec_upper_95_stat_only_fb")
        if None in (n, xsec, eff, lumi) or eff <= 0 or lumi <= 0:
            return "not numbers"
        return True if math.isclose(xsec, n / (eff * lumi), rel_tol=0.01) else "xsec limit != yield/(eff*lumi)"

    g.fraction("cross-section limit = yield limit / (efficiency x luminosity)", judge(found, expected, converted),
               noun="mass points")


def _by_variation(result: dict) -> dict[str, Any]:
    rows = result.get("calibration_variations")
    return {str(row.get("variation", "")).strip().lower(): row for row in (rows if isinstance(rows, list) else [])
            if isinstance(row, dict)}


def _rows_by_mass(rows: Any) -> dict[str, dict]:
    return {f"{mass:g}": row for row in (rows if isinstance(rows, list) else [])
            if (mass := _value(row, "mass_gev")) is not None}


def _limits_by_mass(rows: Any) -> dict[str, float | None]:
    return {mass: _value(row, "yield_upper_95") for mass, row in _rows_by_mass(rows).items()}


def _grade_variations(g: Grading, ref: dict, result: dict) -> None:
    """The four shifted-calibration analyses of the note, each compared with the reference's own refit of the
    same shifted selection: the selected events, and how far each refit moves the result from the nominal one.
    The systematics must then follow from the agent's own refits."""
    found, expected = _by_variation(result), _by_variation(ref)

    def selected(row: dict, want: dict) -> bool | str:
        n = float(want["n_selected"])
        return _within(_value(row, "n_selected"), n, max(2.0, 0.001 * n))

    g.fraction("selection redone under each shifted calibration", judge(found, expected, selected),
               noun="variations")
    if g.params["mode"] == "measurement":
        _grade_measurement_variations(g, ref, result, found, expected)
    else:
        _grade_limit_variations(g, ref, result, found, expected)


def _grade_measurement_variations(g: Grading, ref: dict, result: dict, found: dict, expected: dict) -> None:
    def moves(row: dict, want: dict) -> bool | str:
        bad = []
        for key, stat_key in (("mass_gev", "mass_stat_gev"), ("signal_yield", "signal_yield_stat")):
            shifted, nominal = _value(row, key), _value(result, key)
            if shifted is None or nominal is None:
                bad.append(f"{key}: not a number")
                continue
            want_move = want[key] - ref[key]
            verdict = _within(shifted - nominal, want_move,
                              SHIFT_REL_TOL * abs(want_move) + SHIFT_SIGMA_TOL * ref[stat_key])
            if verdict is not True:
                bad.append(f"{key} move {verdict}")
        return "; ".join(bad) if bad else True

    g.fraction("each shifted-calibration refit moves the mass and the yield as the reference refit does",
               judge(found, expected, moves), weight=2, noun="variations")
    shifts = {key: [abs(_value(found.get(name), key) - _value(result, key))
                    if None not in (_value(found.get(name), key), _value(result, key)) else None
                    for name in VARIATIONS] for key in ("mass_gev", "signal_yield")}
    eff, lumi = _value(result, "efficiency"), _value(result, "luminosity_fb")
    if any(None in moved for moved in shifts.values()) or None in (eff, lumi) or eff <= 0 or lumi <= 0:
        g.check("systematics are the note's combination of the shifted refits", False,
                reason="the four refits, the efficiency or the luminosity are missing or not numbers")
        return
    mass_syst = math.hypot(max(shifts["mass_gev"][:2]), max(shifts["mass_gev"][2:]))
    yield_syst = math.hypot(max(shifts["signal_yield"][:2]), max(shifts["signal_yield"][2:]))
    want = {"mass_syst_gev": mass_syst, "signal_yield_syst": yield_syst, "xsec_syst_fb": yield_syst / (eff * lumi)}
    bad = [f"{k}: {v}" for k, want_k in want.items()
           if (v := _within(_value(result, k), want_k, 0.02 * want_k + 1e-3)) is not True]
    g.check("systematics are the note's combination of the shifted refits", not bad,
            expected={k: round(v, 4) for k, v in want.items()}, reason="; ".join(bad))


def _grade_limit_variations(g: Grading, ref: dict, result: dict, found: dict, expected: dict) -> None:
    nominal, ref_nominal = _limits_by_mass(result.get("limits")), _limits_by_mass(ref["limits"])

    def moves(row: dict, want: dict) -> bool | str:
        limits, want_limits = _limits_by_mass(row.get("limits")), _limits_by_mass(want["limits"])
        bad = []
        for mass, want_limit in want_limits.items():
            shifted, base = limits.get(mass), nominal.get(mass)
            if shifted is None or base is None:
                bad.append(f"{mass} GeV: missing")
                continue
            want_move = want_limit - ref_nominal[mass]
            verdict = _within(shifted - base, want_move, SHIFT_REL_TOL * abs(want_move) + SHIFT_LIMIT_TOL * want_limit)
            if verdict is not True:
                bad.append(f"{mass} GeV move {verdict}")
        return "; ".join(bad) if bad else True

    g.fraction("each shifted-calibration analysis moves the yield limits as the reference's does",
               judge(found, expected, moves), weight=2, noun="variations")
    eff, lumi = _value(result, "efficiency"), _value(result, "luminosity_fb")
    shifted = {name: _limits_by_mass(row.get("limits")) for name, row in found.items()}

    def combined(row: dict, _want: dict) -> bool | str:
        mass, full = _value(row, "mass_gev"), _value(row, "xsec_upper_95_fb")
        limits = [nominal.get(f"{mass:g}") if mass is not None else None]
        limits += [shifted.get(name, {}).get(f"{mass:g}") if mass is not None else None for name in VARIATIONS]
        if None in (full, eff, lumi, *limits) or eff <= 0 or lumi <= 0:
            return "the nominal and four shifted limits, efficiency or luminosity missing"
        return _within(full, max(limits) / (eff * lumi), 0.01 * full)

    g.fraction("the limit with the systematic is the largest of the nominal and shifted limits",
               judge(_rows_by_mass(result.get("limits")), _rows_by_mass(ref["limits"]), combined),
               noun="mass points")


def _grade_figure(g: Grading, rows: list[dict[str, str]]) -> None:
    """The figure draws what fit_histogram.csv holds: the data counts and the fitted curve (and its background
    part in a measurement), read back from the pixels in the agent's own units and axis ranges. Nearly every
    bin must be on its curve: points drawn from the smooth background model instead of the data land within the
    reader's tolerance in 90-92 % of the bins (the data in 100 %)."""
    table = sorted((values for r in rows if None not in (values := [as_number(r.get(c)) for c in HIST_COLUMNS])),
                   key=lambda values: values[0])
    series = {"data": [v[2] for v in table], "fit": [v[3] for v in table]}
    if g.params["mode"] == "measurement":
        series["background"] = [v[4] for v in table]
    g.chart_draws("fit figure draws the data and the fitted curves of fit_histogram.csv (read from the PNG)",
                  g.image(FIGURE) if len(table) >= 5 else None, series, min_share=0.96)


def _grade_histogram(g: Grading, ref: dict, result: dict, rows: list[dict[str, str]]) -> None:
    """The figure's table: the data counts of the reference binning, and a fitted curve that is the agent's own
    fit (its total sums to the selected events, its signal part to the reported yield) and matches the
    reference background."""
    want = _reference_csv(g, HISTOGRAM)
    by_bin = {f"{as_number(r.get('bin_low_gev')) or -1:g}": r for r in rows}

    def counts(row: dict, exp: dict) -> bool | str:
        n = as_number(row.get("data_count"))
        return _within(n, float(exp["data_count"]), 1.0)

    expected = {f"{float(r['bin_low_gev']):g}": r for r in want}
    g.fraction("histogram data counts per bin", judge(by_bin, expected, counts), weight=2, threshold=0.95,
               noun="bins")

    def background(row: dict, exp: dict) -> bool | str:
        b = as_number(row.get("fit_background"))
        ref_b = float(exp["fit_background"])
        return _within(b, ref_b, max(1.0, 0.08 * ref_b))

    g.fraction("fitted background curve per bin", judge(by_bin, expected, background), threshold=0.9, noun="bins")

    def total(row: dict, exp: dict) -> bool | str:
        # a fitted curve is smooth: half a Poisson standard deviation tells it from the bin's own data count
        t = as_number(row.get("fit_total"))
        ref_t = float(exp["fit_total"])
        return _within(t, ref_t, 0.5 * math.sqrt(max(ref_t, 1.0)) + 0.02 * ref_t)

    g.fraction("fitted total curve per bin (the fit's curve, not the data)", judge(by_bin, expected, total),
               threshold=0.9, noun="bins")
    totals = [as_number(r.get("fit_total")) for r in rows]
    backs = [as_number(r.get("fit_background")) for r in rows]
    n_sel = _value(result, "n_selected")
    if None in totals or None in backs or n_sel is None or not rows:
        g.check("fitted curve sums to the fit", False, reason="fit_total or fit_background not numbers")
        return
    signal = sum(totals) - sum(backs)
    if g.params["mode"] == "measurement":
        n_sig = _value(result, "signal_yield")
        ok = n_sig is not None and abs(signal - n_sig) <= 0.05 * abs(n_sig) + 1
    else:
        ok = abs(signal) <= 0.5
    ok = ok and math.isclose(sum(totals), n_sel, rel_tol=0.015)
    g.check("fitted curve sums to the fit", ok, expected="total = selected events, total - background = the "
            + ("reported yield" if g.params["mode"] == "measurement" else "background-only fit (0)"),
            found={"sum_total": round(sum(totals), 2), "sum_signal": round(signal, 2), "n_selected": n_sel})


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", text.replace(",", ""))]


def _grade_summary(g: Grading, ref: dict, result: dict, summary: str) -> None:
    """The summary quotes the result file's numbers with their uncertainties."""
    numbers = _numbers(summary)

    def stated(value: float | None, rel: float, absolute: float = 0.0) -> bool:
        return value is not None and any(abs(n - value) <= max(rel * abs(value), absolute) for n in numbers)

    if g.params["mode"] == "measurement":
        items = {"mass": ("mass_gev", 0.0, 0.06), "mass stat": ("mass_stat_gev", 0.05, 0.06),
                 "mass syst": ("mass_syst_gev", 0.05, 0.06), "cross-section": ("xsec_fb", 0.02, 0.0),
                 "cross-section stat": ("xsec_stat_fb", 0.05, 0.0), "cross-section syst": ("xsec_syst_fb", 0.05, 0.0),
                 "significance": ("local_significance", 0.03, 0.06)}
        verdicts = {label: "" if stated(_value(result, key), rel, ab) else "not stated"
                    for label, (key, rel, ab) in items.items()}
        verdicts["uncertainties marked"] = "" if ("±" in summary or "+-" in summary or "+/-" in summary) else "no ±"
    else:
        limits = result.get("limits") if isinstance(result.get("limits"), list) else []
        verdicts = {f"limit at {_value(r, 'mass_gev')}": "" if stated(_value(r, "xsec_upper_95_fb"), 0.02) else
                    "not stated" for r in limits if isinstance(r, dict)} or {"limits": "none in result.json"}
    g.fraction("summary quotes the result with its uncertainties", verdicts, weight=2, noun="numbers")
    _grade_conclusion(g, result, summary.lower())


SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+|\n+")
CLAIM = re.compile(r"\b(?:observ(?:e|es|ed|ing|ation)|discover(?:y|ies|ed|s|ing)?)\b")
FORMAL_CLAIM = re.compile(r"\bobservation\b|\bdiscover(?:y|ies|ed|s|ing)?\b")
NOT_NEGATED_WORD = r"(?:(?!(?:not|never)\b)\w+\s+)?"  # "is clearly observed", not "is not observed"
SEEN_CLAIM = re.compile(rf"\b(?:is|are|was|were)\s+{NOT_NEGATED_WORD}observed\b")
# a new particle claimed with a verb ("we observe a new resonance", "a resonance is seen"), not a resonance as a
# word of something else ("we find a resonance mass of", "a resonance-like excess"); the subject of a passive claim
# may carry a place, a relative clause or a parenthesis ("a new resonance near 343 gev that would require confirmation
# has been observed"), and heads its noun phrase ("evidence for a new resonance at 343 gev is observed" claims evidence)
RELATIVE_PRONOUN = r"(?:which|who|whose|that|where|when)"
FOUND = r"(?:observ(?:e|es|ed|ing)|see|sees|saw|seen|find|finds|found|detect(?:s|ed|ing)?|report(?:s|ed|ing)?)"
PARTICLE = (r"(?:resonance|particle|boson)s?\b(?!-|\s+(?:candidate|hypothes|search|model|mass|width|signal|shape|yield|peak|"
            r"interpretation|production|cross))")
PARTICLE_OPENING_WORDS = ("a", "an", "the", "this", "one", "new", "narrow", "heavy", "neutral", "dimuon")
PARTICLE_OPENING = rf"(?:{'|'.join(PARTICLE_OPENING_WORDS)})"
SUBJECT_START = "".join(rf"(?<!\b{word}\s)" for word in ("for", "of", *PARTICLE_OPENING_WORDS))
RESONANCE_CLAIM = re.compile(
    rf"\b{FOUND}\s+(?:(?:{PARTICLE_OPENING}|that)\s+){{0,3}}{PARTICLE}"
    rf"|{SUBJECT_START}(?:{PARTICLE_OPENING}\s+){{0,3}}\b{PARTICLE}(?=(?:\s*,[^,;:()]*,|(?:\s+(?:near|at|around|of|in|with)\b(?:\s+[\w.-]+){{1,6}}?)?"
    rf"(?:\s+{RELATIVE_PRONOUN}\b[^,;:()]*?)?)\s+(?:is|are|was|were|has been|have been)\s+"
    rf"{NOT_NEGATED_WORD}{FOUND}\b)")
EVIDENCE_CLAIM = re.compile(r"\bevidence\b")
EVIDENCE = re.compile(r"\bevidence\b|\bexcess\b")
# a negation that denies no claim: a shortfall or a doubt negated affirms it ("nothing short of a discovery", "no less
# than an observation", "nothing if not a discovery", "no doubt", "not surprising", "not only"), and "no other", "no
# previous", "nothing else" speak of something else
AFFIRMED = re.compile(r"\b(?:no|not|nothing|none|never)\s+(?:short\s+of|(?:less|other|else)\s+than)\b"
                      r"|\bnothing\s+if\s+not\b|\b(?:nothing|none)\s+but\b|\bnot\s+only\b"
                      r"|\b(?:no|not|without|beyond|hardly|little)\s+(?:\w+\s+){0,2}?(?:doubt|question|surpris\w*|wonder|coincidence)\b"
                      r"|\b(?:no|not|nothing|none|neither)\s+(?:of\s+the\s+)?(?:other|else|previous|earlier|prior)\b")
# a mass range named by its bounds ("below 300 gev", "between 200 and 300 gev") is another part of the spectrum when
# the fitted mass and its peak (PEAK_HALF_WIDTH of the mass either side) are outside it, and names no shortfall
MASS_BOUND = re.compile(r"\b(below|under|above|over|beyond|between|from)\s+(\d+(?:\.\d+)?)\s*(?:gev\s*)?"
                        r"(?:(?:and|to|-|\u2013)\s*(\d+(?:\.\d+)?)\s*)?gev\b")
# a word that denies what follows without a negator ("nothing in the spectrum resembles a discovery")
NOTHING = re.compile(r"\b(?:nothing|none|neither|nobody|hardly|scarcely|barely)\b")
# a claim is denied by a negator anywhere in its clause before it ("none of the mass points shows anything like a
# discovery"), by a preposition that negates only its own object, the claim or a noun phrase the claim completes
# ("without a discovery", "an absence of anything that resembles a discovery", "a lack of any sign of an observation";
# not "even without the systematic uncertainty the result is an observation")
DENYING = re.compile(rf"\b(?<!with\s)(?:no|not|cannot|never|nor)\b|n't\b|{NOTHING.pattern}"
                     r"|\b(?:without|with\s+no|(?:absence|lack)\s+of)\s+(?:[\w-]+\s+){0,3}"
                     rf"(?:{RELATIVE_PRONOUN}\s+(?:[\w-]+\s+){{1,3}}|(?:like|resembling|of)\s+(?:[\w-]+\s+){{0,2}})?$")
# a verb that itself denies a claim ("this undermines the observation"), unless negated or put as a possibility ("no
# systematic shift invalidates the observation", "only a fluctuation of 1e-7 could explain away the observation")
REFUTES = (r"\b(?:undermin|invalidat|spoil|contradict|challeng|refut|disprov)\w*|\bexplain\w*\s+away\b"
           r"|\brul\w*\s+out\b|\bcast\w*\s+doubt\b|\bcall\w*\s+into\s+question\b")
REFUTING = re.compile(rf"(?:{REFUTES})(?:\s+[\w-]+){{0,3}}\s*$")  # the claim its object
POSSIBILITY = re.compile(r"\b(?:could|would|might|may|can)\b")
# a verb that bears on a claim: negated, it affirms the claim ("no systematic shift changes the observation")
UNDERMINES = re.compile(rf"\b(?:chang|alter|affect|remov|eras|weaken|diminish|fak|mimic)\w*|{REFUTES}")
# a denial of earlier work claims this one's first ("nobody has made this observation before", "never before has a
# discovery ...")
PRIOR_WORK = re.compile(r"\b(?:previously|hitherto|(?:never|ever)\s+before)\b")
PRIOR_WORK_AFTER = re.compile(r"(?:\s+[\w-]+){0,4}?\s+(?:before|previously)\s*[.!?]?\s*$")
# what, before a claim in its clause, says that the result falls short of it ("below the threshold of an observation")
SHORT_OF = re.compile(rf"\b(?:no|not|cannot|never|without|nor|below|short|insufficient|before|until|than|premature|too\s+early|"
                      rf"refrain(?:s|ed|ing)?|avoid(?:s|ed|ing)?)\b|n't\b|{NOTHING.pattern}")
# what, before a claim in its clause, puts the result under it whatever the significance ("evidence, below the 5 sigma
# threshold for an observation"; "more than enough for an observation" does not)
FALLS_SHORT = re.compile(r"\b(?:below|short|insufficient|until)\b")
# a sentence about what a claim would need makes none ("an observation would require 5 sigma")
REQUIREMENT = r"(?:requires?|required|threshold|needs?|needed)"
CONDITIONAL = re.compile(rf"\b(?:would|could|{REQUIREMENT})\b")
# "would" before a verb of seeming or naming hedges a statement without making it hypothetical ("the data would seem
# consistent with ...", "which we would call a discovery")
HEDGING_WOULD = re.compile(r"\bwould\s+(?:(?:we|one|i|you|\w+ly)\s+)?(?:seem|appear|look|sound|say|argue|conclude|"
                           r"call|describe|characteri[sz]e|term|label|consider|regard|deem|judge|think)\w*")
# what, in the sentence of a claim hedged so, conditions it still ("we would call it a discovery if confirmed",
# "only at 5 sigma would we call it a discovery")
HEDGE_CONDITION = re.compile(r"\b(?:if|unless|once|only|until|were|had)\b|\b(?:5|five)\s*(?:sigma|σ|standard)")
# a relative clause describing what the sentence reports: a claim hedged in it ("..., which we would call a discovery")
# is conditioned only by what follows its opening
RELATIVE_OPENING = re.compile(rf",\s*{RELATIVE_PRONOUN}\b")
# a claim the sentence asserts: the object of a verb of reporting or being ("we report the observation of", "we observe
# a new resonance", "this is the discovery of"), or the subject of a reporting verb in the passive ("the discovery of
# a new resonance, which needs confirmation, is reported")
NOUN_PHRASE_OPENING = r"(?:(?!(?:that|which|who|would|could|if)\b)[\w-]+\s+){0,3}"
ASSERTED_BEFORE = re.compile(rf"(?:\b(?:(?:report|present|announce|claim|observe|see|find|establish|constitute|represent)"
                             rf"(?:s|d|ed|ing)?|saw|found|is|are|was|were)(?:\s+\w+)?(?:\s*,[^,;:()]*,)?\s+{NOUN_PHRASE_OPENING}"
                             r"|\b(?:we|i)\s+(?:\w+ly\s+)?)$")
ASSERTED_AFTER = re.compile(r"\b(?:is|are|was|were|has\s+been|have\s+been)\s+(?:(?:\w+ly|here|now)\s+)?"
                            r"(?:report|present|announc|claim|observ|seen|found|establish)\w*")
# a relative clause without the claim says something about it, without making it conditional ("we report the
# observation of a new resonance, which would be the first of its kind, at 343 gev", "..., a result that would be ...",
# "... a new resonance that would be ..."); it runs to the next punctuation, a clause without a comma only up to a
# requirement, which may belong to the sentence ("an observation that would be the first of its kind requires 5 sigma",
# "a discovery is a claim that needs confirmation"); after a claim the sentence asserts (ASSERTED_BEFORE,
# ASSERTED_AFTER) every relative clause runs to the next punctuation: it says something about the claim made ("we
# report the observation of a new resonance that would require 5 sigma")
APPOSITIVE_CLAUSE = rf"[,(]\s*(?:(?:a|an|the|one)\s+(?:\w+\s+){{0,2}}?)?{RELATIVE_PRONOUN}\b[^,;:()]*"
RELATIVE_CLAUSE = re.compile(rf"{APPOSITIVE_CLAUSE}|\b{RELATIVE_PRONOUN}\b(?:(?!\b{REQUIREMENT}\b)[^,;:()])*")
ANY_RELATIVE_CLAUSE = re.compile(rf"{APPOSITIVE_CLAUSE}|\b{RELATIVE_PRONOUN}\b[^,;:()]*")
# a clause of its own before the claim's does not condition it ("it is below the 5 sigma threshold, and we would call
# it a discovery", "although it is below the threshold, ..."), unless the claim's clause refers back to it ("and only
# then")
OTHER_CLAUSE = re.compile(r",\s*(?:and|but|yet|so|whereas|while)\b(?!\s+(?:only\s+)?then\b)"
                          r"|^\s*(?:although|though|even\s+though|despite|whereas|while)\b[^,]*,")
DENIAL = re.compile(r"\bno (?:significant )?(?:excess|signal|evidence)\b")
# another part of the spectrum: the sidebands, higher or lower masses or "elsewhere" (not the look-elsewhere effect), or
# a word setting a part apart with a place in the spectrum beside it ("outside the signal window", "at other masses",
# "except near 343 gev"; not "except for one thing", "in other words")
SPECTRUM_PLACE = re.compile(r"\b(?:sidebands?|(?<!look[- ])elsewhere|control\s+regions?|(?:higher|lower)\s+masses)\b")
PLACE_NOUN = re.compile(r"\b(?:peak|window|region|signal|excess|resonance|bump|mass(?:es)?|gev|bins?|range|spectrum)\b|\d")
ELSEWHERE_WORDS = r"outside|away\s+from|apart\s+from|except|excluding"
ELSEWHERE = re.compile(rf"\b(?:other|{ELSEWHERE_WORDS})\b")
# a relative clause whose own verb is a requirement runs to the sentence's own verb ("a discovery that needs
# confirmation is not claimed")
CLAUSE_END = r"(?:is|are|was|were|has|have|had|can|cannot|could|would|will|must|should|may|might|does|did|\w+n't)"
OWN_REQUIREMENT_CLAUSE = (rf"\b{RELATIVE_PRONOUN}\s+(?:(?:would|could|might|may|will|also|still|\w+ly)\s+){{0,2}}"
                          rf"(?:require|need)\w*(?:(?!\b{CLAUSE_END}\b)[^,;:()])*(?=[,;:()]|\b{CLAUSE_END}\b|$)")
# a claim denied by what follows it, past a relative clause ("an observation cannot be claimed", "a discovery, which
# would need 5 sigma, is not established", "a discovery that needs confirmation is not claimed")
DENIED_AFTER = re.compile(rf"(?:\s*(?:{RELATIVE_CLAUSE.pattern}),|\s*{OWN_REQUIREMENT_CLAUSE})?\s*(?:(?:yet|still)\s+)?"
                          r"(?:cannot|can't|isn't|aren't|wasn't|weren't|won't|(?:is|are|was|were|can|could|may|might|should|will|would|has|"
                          r"have|does|do|did)\s+(?:not|never)\b)")
# evidence or an excess withdrawn: "evidence cannot be claimed", "we cannot claim evidence"
WITHDRAWN = r"(?:claim|establish|demonstrat)\w*"
# what may stand between the evidence and its verb ("evidence for a new resonance at 300 gev cannot be claimed")
OF_WHAT = (r"(?:(?:for|of|in|at|near|a|an|the|this|that|such|any|new|narrow|dimuon|resonance|signal|local|"
           r"statistical|significant|gev|\d[\d.]*)\s+){0,6}")
EVIDENCE_WITHDRAWN = re.compile(
    rf"\b(?:evidence|excess)\s+{OF_WHAT}(?:cannot|can't|(?:is|are|was|has|have|could|can)\s+not)\s+"
    rf"(?:yet\s+)?(?:be\s+|been\s+)?{WITHDRAWN}"
    rf"|\b(?:cannot|can't|not)\s+(?:yet\s+)?{WITHDRAWN}\s+(?:(?:a|an|any|the|statistical|significant)\s+)?"
    rf"(?:evidence|excess)\b")
# at 5 sigma or more, a claim put off in its sentence ("an observation would be premature") or the excess dismissed
WITHHELD = re.compile(r"\b(?:premature|too (?:early|soon)|unconfirmed|tentative)\b")
EXCESS_DISMISSED = re.compile(
    rf"\b(?:excess|signal|peak|resonance|bump)\s+{OF_WHAT}(?:is|was|remains)\s+(?:not\s+(?:statistically\s+)?significant"
    rf"|insignificant|(?:(?:most\s+)?(?:likely|probably|just|only|merely)\s+)?an?\s+(?:\w+\s+)?fluctuation)")
# at 5 sigma or more, the data said to agree with the background alone ("consistent with the background-only
# hypothesis", "well described by the background", "no significant deviation from the background", "the
# background-only hypothesis cannot be rejected"), not of the sidebands or of another part of the spectrum, and not
# a probability ("a fluctuation of the background would be consistent with it once in ...")
BACKGROUND = (r"(?:(?!signal\b|plus\b)\w+\W+){0,3}?"  # not "the signal plus background model"
              r"(?:background|standard\s+model|sm\s+expectation|(?:statistical\s+)?fluctuation)")
BACKGROUND_AGREES = re.compile(
    rf"\b(?:consistent|compatible|in\s+(?:good\s+|full\s+)?agreement|agree(?:s|d|ing)?|accord(?:s|ed|ing)?)\s+with\s+{BACKGROUND}"
    rf"|\b(?:described|explained|accounted\s+for|reproduced)\s+(?:\w+\s+){{0,2}}?by\s+{BACKGROUND}"
    rf"|\bno\s+(?:\w+\s+)?(?:deviation|departure|discrepancy|tension)\s+(?:\w+\s+)?from\s+{BACKGROUND}"
    r"|\bbackground.only\s+(?:\w+\s+)?(?:cannot|can't|could\s+not|is\s+not|was\s+not)\s+(?:be\s+|been\s+)?"
    r"(?:rejected|excluded|ruled\s+out)"
    r"|\bbackground.only\s+(?:\w+\s+)?(?:describes|explains|fits|reproduces|accounts\s+for)\s+(?:the\s+)?"
    r"(?:data|spectrum|distribution)(?!\s+(?:poorly|badly|only))")
AGREEMENT_DENIED = re.compile(r"\b(?:no|not|cannot|never|nor|hardly|barely|far\s+from|longer)\b|n't\b")
AGREEMENT_ELSEWHERE = re.compile(rf"\b(?:{ELSEWHERE_WORDS})\b")
AGREEMENT_CHANCE = re.compile(r"\b(?:probability|chance|p-value)\b|\bp\s*[=<]|\b(?:once|one)\s+in\s+(?:a\s+|\d)")
# a 'would' makes the agreement hypothetical only beside the signal taken away ("without the peak, the data would be
# consistent with ...", "had there been no signal, ..."); alone it is a manner of speaking ("the data would be
# consistent with the background-only hypothesis")
HYPOTHETICAL = re.compile(r"\b(?:would|could|might)\b")
SIGNAL_TAKEN_AWAY = re.compile(r"\b(?:without|absent|absence\s+of|but\s+for|not\s+for|"
                               r"(?:had|were)\s+there\s+(?:been\s+)?no)"
                               r"\s+(?:(?:the|a|an|any|its|this|that|fitted|observed|new|narrow)\s+){0,3}"
                               r"(?:signal|peak|excess|resonance|bump)")
# a place phrase qualifies the next clause, a clause with a verb of its own ("away from the peak the fit is good, ...")
# qualifies nothing; a relative clause inside the phrase ("outside the region where the peak is") is not its verb
OWN_VERB = re.compile(r"\b(?:is|are|was|were|be|been|has|have|had|agrees?|fits?|shows?|seems?|appears?|looks?|remains?|"
                      r"describes?|matches?|gives?|yields?)\b")
# a place listed after another ("in the sidebands and at the fitted mass", "... or everywhere else", "... as well as at
# the fitted mass", "... along with the peak region") is a phrase without a verb of its own (not "and at 343 gev there
# is a peak"); the list names another part of the spectrum only if each place in it does: "in the sidebands and
# everywhere else" takes the peak in, "outside the peak window and everywhere else" leaves it out
LISTED_PLACE = (r"(?=(?:(?:also|even)\s+)?(?:everywhere|anywhere|in|at|within|across|near|around|below|under|above|over|"
                rf"beyond|between|from)\b(?:(?!{OWN_VERB.pattern})[^,;:()])*(?:[,;:()]|$))")
PLACE_LIST_BREAK = re.compile(rf"\b(?:(?:and|or|plus)\s+{LISTED_PLACE}|(?:as\s+well\s+as|along\s+with|together\s+with)\s+)")
REST_OF_SPECTRUM = re.compile(r"\s*(?:everywhere|anywhere)\s+else\b")
# the agreement's own part of its sentence is bounded by punctuation and conjunctions: a word about the sidebands or
# a probability elsewhere in the sentence ("..., and the probability of a signal is small") does not excuse it
AGREEMENT_PART_BREAK = re.compile(rf"[,:()\u2013\u2014]|\b(?:(?<!\d\s)and(?!\s+{LISTED_PLACE})|but|while|whereas|yet|"
                                  r"although|though)\b")
# a part of the sentence that is a phrase qualifying the agreement: a place ("outside the signal window, the data
# agree ...", "..., except near the peak") or a condition or probability ("..., if the peak is left out", "(p = 3e-7)",
# "..., with a p-value of 3e-7"), not a clause about something else
PLACE_QUALIFIER = re.compile(r"\s*(?:(?:only|even|everywhere)\s+)?(?:except|apart|away|outside|elsewhere|in|within|"
                             r"across|for|save|excluding|barring|at|below|under|above|over|beyond|between|from)\b")
CONDITION_QUALIFIER = re.compile(r"\s*(?:(?:but|and)\s+)?(?:(?:only|even)\s+)?(?:if|unless)\b")
CONDITION = re.compile(r"\b(?:if|unless)\b")
# a condition that changes what is compared: a part of the spectrum left out or named, the signal taken away, a chance
# ("if the peak region is excluded", "unless the sidebands alone are fitted", "if the signal were absent"), not a
# manner of speaking ("if nothing else", "if anything", "if you ask me", "if the fit is to be believed")
REAL_CONDITION = re.compile(
    r"\b(?:exclud\w*|remov\w*|mask\w*|ignor\w*|left\s+out|leav\w*\s+out|omit\w*|drop\w*|disregard\w*|set\s+aside|"
    r"veto\w*|subtract\w*|restrict\w*|without|absent|no\s+signal|fluctuation|probability|chance)\b"
    r"|\b(?:signal|excess|peak|resonance|bump)\w*\s+(?:\w+\s+){0,4}?(?:were|had\s+been|did\s+not|didn't|is\s+not|"
    r"was\s+not|were\s+not)\b")
# a clause that a conjunction opens stands on its own: the clause before it does not qualify it ("in the sidebands
# the fit is good, and the data are consistent ...")
OWN_CLAUSE = re.compile(r"\s*(?:and|but|while|whereas|yet|although|though|so)\b")
CHANCE_QUALIFIER = re.compile(r"\s*(?:with|at|p\b)")
CLAUSE_BREAK = re.compile(r"[,:()\u2013\u2014]")
# a relative clause belongs to the phrase it follows ("in the sidebands, where the fit is good, the data agree ...",
# "in the control regions, which contain no signal, ...")
RELATIVE_START = re.compile(rf"\s*{RELATIVE_PRONOUN}\b")
PHRASE_BREAK = re.compile(rf"[,:()\u2013\u2014](?!{RELATIVE_START.pattern})")
# a denial supposed, not stated ("had there been no signal, ...", "if there were no excess, ...")
SUPPOSED = re.compile(r"\b(?:if|unless|(?:had|were)\s+there)\b")
SUBORDINATE = re.compile(rf"\b{RELATIVE_PRONOUN}\b.*")
PEAK_HALF_WIDTH = 0.03  # of the mass: the signal's width and resolution are 1-2 %
NEGATION_REACH = 4  # words before an agreement within which a negator denies it ("not consistent with")
# a conjunction opens a clause of its own; "and" and "or" only after a verb ("no excess appears elsewhere and the peak is
# an observation", not "nothing in the spectrum and in the fit resembles a discovery")
CONJUNCTION = re.compile(r"\b(?:and|or|but|while|whereas|although|though|because)\b")
CLAUSE_VERB = re.compile(rf"\b{CLAUSE_END}\b|{OWN_VERB.pattern}|\b{FOUND}\b")
# a relative clause that ends before the claim, at the next verb, speaks of its own noun ("a resonance that no background
# model can explain is observed"); one still open holds the claim ("we cannot claim that this is an observation")
# a claim noun that ends a list without a verb of its own lies in the clause of the list's head ("we cannot claim an
# observation, a discovery or evidence"); the and/or before it joins nouns, not clauses
NOUN_CLAIM = re.compile(r"observation|discover(?:y|ies)|evidence|excess")
LIST_ITEM = re.compile(r"\s*(?:(?:and|or|nor)\s+)?(?:[\w-]+\s*){0,4}")
LIST_CONJUNCTION = re.compile(r"\s*\b(?:and|or|nor)\b")
CLOSED_RELATIVE = re.compile(rf"\b{RELATIVE_PRONOUN}\b.*?(?:{CLAUSE_VERB.pattern}).*?(?=(?:{CLAUSE_VERB.pattern}))")


def _clause_before(sentence: str, match: re.Match[str]) -> str:
    """The part of a claim's clause before it, from the last punctuation or conjunction opening a clause, past a
    parenthesis without a verb ("nothing, in our view, resembles a discovery") and the items of a list the claim ends
    ("we cannot claim an observation, a discovery or evidence"); negations that deny no claim ("nothing short of", "no
    doubt", "no other"), mass ranges, parentheses and relative clauses that end before the claim left out."""
    head = MASS_BOUND.sub(" ", AFFIRMED.sub(" ", sentence[:match.start()]))
    pieces, breaks = CLAUSE_BREAK.split(head), CLAUSE_BREAK.findall(head)
    rest, *following = CLAUSE_BREAK.split(sentence[match.end():])
    lead = item = pieces.pop()
    listed = (bool(NOUN_CLAIM.fullmatch(match.group())) and not CLAUSE_VERB.search(rest)
              and bool(LIST_CONJUNCTION.search(lead + rest) or LIST_CONJUNCTION.match(" ".join(following[:1]))))
    while listed and breaks and breaks.pop() == "," and LIST_ITEM.fullmatch(item) and not CLAUSE_VERB.search(item):
        item = pieces.pop()
        lead = item + " " + lead
    while len(pieces) > 1 and not CLAUSE_VERB.search(pieces[-1]):
        pieces.pop()
        lead = pieces.pop() + " " + lead
    openings = [c.end() for c in CONJUNCTION.finditer(lead)
                if c.group() not in ("and", "or") or (CLAUSE_VERB.search(lead, 0, c.start())
                                                      and not (listed and not CLAUSE_VERB.search(lead, c.end())))]
    return CLOSED_RELATIVE.sub(" ", lead[max(openings, default=0):])


def _mentions(text: str, pattern: re.Pattern[str], before: re.Pattern[str], *,
              denial_after: bool = True) -> list[tuple[bool, str, re.Match[str]]]:
    """Each match of ``pattern``: whether ``before`` occurs anywhere in its clause before it, not cancelled by a verb
    that itself denies the claim ("no systematic shift changes the observation"), or, when ``denial_after``, a denial
    follows it; its sentence; and the match."""
    found = []
    for sentence in SENTENCE_BREAK.split(text):
        for match in pattern.finditer(sentence):
            lead = _clause_before(sentence, match)
            negations = list(before.finditer(lead))
            refuted = REFUTING.search(lead) and not POSSIBILITY.search(lead) and not DENYING.search(lead)
            negated = bool((negations and not UNDERMINES.search(lead, negations[-1].end())) or refuted)
            denied = denial_after and DENIED_AFTER.match(sentence, match.end()) is not None
            own_clause_after = CLAUSE_BREAK.split(sentence[match.end():])[0]
            earlier_work = bool(PRIOR_WORK.search(lead) or PRIOR_WORK_AFTER.match(own_clause_after))
            found.append(((negated or denied) and not earlier_work, sentence, match))
    return found


def _overclaims(text: str, *patterns: re.Pattern[str]) -> bool:
    """A claim of one of ``patterns`` that the text neither says the result falls short of nor makes conditional."""
    return any(not short and not _conditional(sentence, match) for pattern in patterns
               for short, sentence, match in _mentions(text, pattern, SHORT_OF))


def _conditional(sentence: str, match: re.Match[str]) -> bool:
    """Whether a claim's sentence makes it conditional ("an observation would require 5 sigma"). A relative clause
    without the claim does not (after a claim the sentence asserts, whatever it requires), nor a clause of its own
    before the claim's; a claim hedged with 'would' in a relative clause is read from the clause's opening on; a hedging
    'would' ("would call", "would seem") conditions only beside a condition ("we would call it a discovery if it were
    confirmed")."""
    if ASSERTED_BEFORE.search(sentence, 0, match.start()) or ASSERTED_AFTER.search(sentence, match.end()):
        sentence = sentence[:match.end()] + ANY_RELATIVE_CLAUSE.sub(lambda c: " " * len(c.group()),
                                                                    sentence[match.end():])
    sentence = RELATIVE_CLAUSE.sub(lambda c: c.group() if c.start() < match.start() < c.end() else " " * len(c.group()),
                                   sentence)
    start = max((c.end() for c in OTHER_CLAUSE.finditer(sentence, 0, match.start())), default=0)
    openings = [o for o in RELATIVE_OPENING.finditer(sentence, start, match.start())
                if HEDGING_WOULD.search(sentence, o.end(), match.start())]
    scope = sentence[openings[-1].start() if openings else start:]
    if HEDGING_WOULD.search(scope) and not NOTHING.search(AFFIRMED.sub(" ", sentence[start:match.start()])):
        return bool(CONDITIONAL.search(HEDGING_WOULD.sub(" ", scope)) or HEDGE_CONDITION.search(scope))
    return bool(CONDITIONAL.search(scope))


def _denies_excess(text: str, mass: float | None) -> bool:
    """'No significant excess' said of the result, not of another part of the spectrum (away from the fitted ``mass``)
    or under a condition, in its own part of the sentence or in a phrase qualifying it (as for the agreement with the
    background), nor supposed in its clause ("had there been no signal")."""
    return any(not _said_elsewhere(sentence, match, mass) and not SUPPOSED.search(_parts(sentence, match)[2])
               for sentence in SENTENCE_BREAK.split(text) for match in DENIAL.finditer(sentence))


def _said_elsewhere(sentence: str, match: re.Match[str], mass: float | None) -> bool:
    """Whether a statement is said of another part of the spectrum ("away from 343 gev no excess is observed", "no
    other excess"), in its own part of the sentence or in a phrase qualifying it."""
    own, clauses, _ = _parts(sentence, match)
    return _names_place(own, mass, ELSEWHERE) or any(_qualifies(clause, mass, ELSEWHERE, chance=False)
                                                     for clause in clauses)


def _names_place(part: str, mass: float | None, words: re.Pattern[str] = AGREEMENT_ELSEWHERE) -> bool:
    """Whether a part of a sentence names another part of the spectrum than the fitted ``mass``, in each place it
    lists ("everywhere else" when another place sets the peak apart)."""
    places = PLACE_LIST_BREAK.split(part)
    set_apart = [bool(AGREEMENT_ELSEWHERE.search(place) and PLACE_NOUN.search(place)) for place in places]
    return all(SPECTRUM_PLACE.search(place) or (words.search(place) and PLACE_NOUN.search(place))
               or any(_excludes(bound, mass) for bound in MASS_BOUND.finditer(place))
               or (any(set_apart) and REST_OF_SPECTRUM.match(place)) for place in places)


def _excludes(bound: re.Match[str], mass: float | None) -> bool:
    """Whether a mass range named by its bounds leaves the peak at ``mass`` out."""
    if mass is None:
        return False
    word, low, high = bound.group(1), float(bound.group(2)), bound.group(3)
    if high is None:
        low, high = (-math.inf, low) if word in ("below", "under") else (low, math.inf)
    low, high = sorted((low, float(high)))
    return not low - PEAK_HALF_WIDTH * mass < mass < high + PEAK_HALF_WIDTH * mass


def _real_condition(part: str, mass: float | None) -> bool:
    """Whether a part of a sentence holds 'if' or 'unless' with a condition that changes what is compared."""
    condition = CONDITION.search(part)
    return condition is not None and bool(REAL_CONDITION.search(part, condition.end())
                                          or _names_place(part[condition.end():], mass))


def _qualifies(clause: str, mass: float | None, words: re.Pattern[str] = AGREEMENT_ELSEWHERE,
               chance: bool = True) -> bool:
    """Whether a clause opens with a phrase that puts a statement elsewhere or under a condition or (when
    ``chance``) a probability."""
    return bool((PLACE_QUALIFIER.match(clause) and _names_place(clause, mass, words)
                 and not OWN_VERB.search(SUBORDINATE.sub("", clause)))
                or (CONDITION_QUALIFIER.match(clause) and _real_condition(clause, mass))
                or (chance and CHANCE_QUALIFIER.match(clause) and AGREEMENT_CHANCE.search(clause)
                    and re.search(r"\d", clause)))


def _parts(sentence: str, match: re.Match[str]) -> tuple[str, list[str], str]:
    """A statement's own part of its sentence (bounded by punctuation and conjunctions, the statement itself left
    out); the clauses that may qualify it: its own part's opening, and the clauses just before and after it (the one
    before only when no conjunction opens the statement's clause, and the phrase a relative clause holding the
    statement follows); and its clause's opening."""
    head, tail = sentence[:match.start()], sentence[match.end():]
    own_head = AGREEMENT_PART_BREAK.split(head)[-1]
    before, pieces, after = PHRASE_BREAK.split(head), CLAUSE_BREAK.split(head), CLAUSE_BREAK.split(tail)
    joined = len(before) > 1 and not OWN_CLAUSE.match(before[-1])
    antecedent = pieces[-2] if len(pieces) > 1 and RELATIVE_START.match(pieces[-1]) else ""
    return own_head + " " + AGREEMENT_PART_BREAK.split(tail)[0], [before[-2] if joined else "", own_head,
                                                                   after[1] if len(after) > 1 else "",
                                                                   antecedent], before[-1]


def _agrees_with_background(text: str, mass: float | None) -> bool:
    """The data, not their sidebands, said to agree with the background alone, the agreement not denied just before
    ("not consistent with", "no longer compatible with"). The sidebands, another place or a probability excuse it
    when named in the agreement's own part of the sentence (between punctuation and conjunctions) or in a phrase
    that qualifies it: its clause, or the clause before or after it, opening with the place or the condition. A
    condition must change what is compared ("if the peak is excluded", not "if nothing else"), a place must be in the
    spectrum ("except near 343 gev", not "except for one thing"; the look-elsewhere effect is none). A 'would' makes
    the agreement hypothetical only beside the signal taken away ("without the peak, the data would be ...")."""
    for sentence in SENTENCE_BREAK.split(text):
        for match in BACKGROUND_AGREES.finditer(sentence):
            own, clauses, lead = _parts(sentence, match)
            own_clause = lead + match.group() + CLAUSE_BREAK.split(sentence[match.end():])[0]
            hypothetical = HYPOTHETICAL.search(own) and any(SIGNAL_TAKEN_AWAY.search(part)
                                                            for part in (own_clause, *clauses))
            if (_names_place(own, mass) or AGREEMENT_CHANCE.search(own + match.group()) or _real_condition(own, mass)
                    or any(_qualifies(clause, mass) for clause in clauses) or hypothetical):
                continue
            if not AGREEMENT_DENIED.search(" ".join(re.findall(r"[\w']+", lead)[-NEGATION_REACH:])):
                return True
    return False


def _withholds(text: str) -> bool:
    """A claim put off in its own sentence, or the excess dismissed."""
    return bool(EXCESS_DISMISSED.search(text)) or any(
        CLAIM.search(s) and WITHHELD.search(s) for s in SENTENCE_BREAK.split(text))


def _grade_conclusion(g: Grading, result: dict, text: str) -> None:
    """The conclusion a reviewer reads: an observation (or discovery) claimed only at 5 sigma or more, and then not
    denied anywhere in the summary; at 3 to 5, evidence or an excess, neither claimed as an observation or a
    discovery nor denied; below, no such claim; for the limits, no excess and the 95% CL limits. Below 5 sigma a new
    particle claimed with a verb ("we observe a new resonance", "we report a new resonance") is an observation claimed
    too. A negator anywhere in a claim's clause before it denies it ("this is not an observation", "nothing in the
    spectrum resembles a discovery", "none of the mass points shows anything like a discovery", past a parenthesis:
    "nothing, in our view, resembles ..."; "without" only just before the claim), unless a verb that itself denies
    the claim follows it ("no calibration shift removes the observation"), it negates a doubt or speaks of something
    else ("no doubt", "no other experiment") or it stands in a relative clause that ends before the claim ("a
    resonance that no background model can explain is observed"); so does a negated verb just after the claim ("an
    observation cannot be claimed"); wording in the claim's clause that the result falls short of it ("below the
    5 sigma threshold for an observation") makes none, and at 5 sigma or more denies it. At 3 sigma or more, the
    evidence or the excess may not be withdrawn either ("evidence cannot be claimed", "we cannot claim evidence"), and at
    5 or more the claim not put off ("an observation would be premature"), the excess not dismissed ("is not
    significant", "is a statistical fluctuation") and the data not said to agree with the background alone ("consistent
    with the background-only hypothesis"). A 'would' that only hedges ("would seem consistent", "which we would call a
    discovery") makes neither a claim nor an agreement hypothetical, and a denial said of another part of the spectrum
    ("away from 343 gev no significant excess is observed", "below 300 gev ...": a mass range that leaves the fitted
    peak out) denies nothing. A negated shortfall affirms a claim ("nothing short of a discovery"); a relative clause
    without the claim, or a clause of its own before the claim's, does not make it conditional ("we report the
    observation of a new resonance, which would be the first of its kind, at ...", "... a new resonance that would be
    the first of its kind", "..., a result that would be ...", "it is below the 5 sigma threshold, and we would call it
    a discovery"), nor, after a claim the sentence asserts, one that states a requirement ("we report the observation
    of a new resonance that would require 5 sigma"), while a requirement makes a claim the sentence does not assert
    conditional ("a discovery is a claim that needs independent confirmation"); a place listing places names another part of
    the spectrum only if each of them does ("in the sidebands and everywhere else" or "... as well as at the fitted
    mass" denies the excess at the peak too); a 'would' makes the agreement with the background hypothetical only
    beside the signal taken away ("without the peak, the data would be consistent with ..."). A verb that refutes a
    claim denies it unless negated or put as a possibility ("this undermines the observation"); 'without', 'absence
    of' and 'lack of' deny a noun phrase the claim completes ("an absence of anything that resembles a discovery"); a
    denial of earlier work claims a first ("nobody has made this observation before"); a claim ending a list lies in
    the clause of the list's head ("we cannot claim an observation, a discovery or evidence"); a new particle may be
    claimed in the passive past a place or a relative clause ("a new resonance that would require confirmation has
    been observed"); "cannot be explained by the background" denies the agreement."""
    if g.params["mode"] == "measurement":
        z, mass = _value(result, "local_significance"), _value(result, "mass_gev")
        # a denial said of another part of the spectrum ("away from 343 gev no excess is observed") denies no claim
        claims = [denied for denied, sentence, match in _mentions(text, CLAIM, DENYING)
                  if not (denied and _said_elsewhere(sentence, match, mass))]
        claims += [short for short, *_ in _mentions(text, CLAIM, FALLS_SHORT) if short]
        if z is None:
            ok, want = False, "a local significance"
        elif z >= 5:
            ok = (not all(claims) and not any(claims) and not _denies_excess(text, mass)
                  and not EVIDENCE_WITHDRAWN.search(text) and not _withholds(text)
                  and not _agrees_with_background(text, mass))
            want = "an observation (Z >= 5), not denied"
        elif z >= 3:
            # "the excess is not significant enough" does not deny the excess
            ok = (not all(denied for denied, *_ in _mentions(text, EVIDENCE, DENYING, denial_after=False))
                  and not _overclaims(text, FORMAL_CLAIM, RESONANCE_CLAIM) and not _denies_excess(text, mass)
                  and not EVIDENCE_WITHDRAWN.search(text))
            want = "evidence or an excess, neither an observation or a discovery nor denied (3 <= Z < 5)"
        else:
            ok = not _overclaims(text, FORMAL_CLAIM, SEEN_CLAIM, EVIDENCE_CLAIM, RESONANCE_CLAIM)
            want = "no observation, discovery or evidence claimed (Z < 3)"
    else:
        ok = (not _overclaims(text, FORMAL_CLAIM, SEEN_CLAIM, EVIDENCE_CLAIM, RESONANCE_CLAIM) and "95" in text and "limit" in text
              and bool(re.search(r"no (significant )?(excess|signal)|background.only|consistent with (the )?background",
                                 text)))
        want = "no excess, 95% CL upper limits"
    g.check("the conclusion follows from the significance", ok, weight=2, expected=want,
            reason="" if ok else "the summary's wording does not state that conclusion")
