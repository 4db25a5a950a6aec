"""Radiotherapy plan check and forward re-planning on a DICOM RT set.

ALE-CANARY-508e41a6-ba27-4044-becc-5a16b15cd260

Workflow: a medical physicist receives a planning CT, the RTSTRUCT, the dosimetrist's 3D-conformal RTPLAN
and one RTDOSE per beam (plus a superseded dose object of another frame of reference), and the department
protocol for the site. They validate the set, compute cumulative DVHs from the contours, evaluate the protocol
on the initial plan, re-weight the beams to minimise the priority organ's mean dose under the coverage,
hot-spot and other organ constraints, write the final RTDOSE and sign a plan-check report.

generate() draws the site's geometry and beam arrangement, computes the beam doses with a conformal-field model (rtcase.py),
writes the DICOM set with pydicom in the task's tool environment (write_case.py), rasterises the contours
for the grader's own voxel DVHs, and finds the reference optimum (optimise() in solution/solve.py). The
protocol's limits are set from that optimum so the decision is clear: the priority organ's limit either has
room or no admissible weighting can reach it. grade() re-reads the agent's RTDOSE with pydicom in a sandbox, checks
its geometry and that the weights reproduce it, recomputes every metric, and checks the tables and the
report against its recomputation and the reference optimum.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import random
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, as_number, run_tool_script

from . import rtcase, rtmetrics

HERE = Path(__file__).parent
CANARY = "ALE-CANARY-508e41a6-ba27-4044-becc-5a16b15cd260"
HOT, COLD = 1.07, 0.95
OPTIMUM_TOL = 0.03          # priority objective may exceed the reference optimum by this fraction
NORM_TOL = 0.01             # PTV D95 within 1 % of the prescription
LIMIT_TOL = 0.006           # a constraint counts as held within 0.6 % of its limit (mask conventions)
SUM_TOL_FRACTION = 0.005    # final dose vs weighted beam sum, as a fraction of Rx
DVH_END_PCT = 2.0           # a DVH taken above the maximum ends at (about) no volume
DOSE_REL_TOL, DOSE_ABS_TOL, VOLUME_ABS_TOL = 0.015, 0.3, 2.0
MARGIN_TIE = 0.01
ATTEMPTS = 8
# the beam arrangement is turned as a whole by 15-45 degrees either way, and each beam moved by up to 15 degrees
TURN_DEG, JITTER_DEG = (15.0, 45.0), 15.0
# the decision's own stream of the instance seed, a fair coin per instance; its name, screened once over a few, is
# one under which the public instances show both decisions (prostate and lung reject, head and neck approves), so
# that the gate runs every adversary beside a rejection too
DECISION_STREAM = "plan-decision-0"


def _optimiser():
    """The oracle's solve.py as a module (its main() does not run on import): optimise() and normalised()."""
    spec = importlib.util.spec_from_file_location("rt_plan_solve", HERE / "solution" / "solve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _uid(rng: np.random.Generator, root: str) -> str:
    return root + ".".join(str(int(v)) for v in rng.integers(1, 10**9, 3))


def constraint_key(structure: str, metric: str) -> str:
    return f"{structure} {metric}"


def evaluate_plan(dose: np.ndarray, masks: dict[str, np.ndarray], protocol: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every protocol constraint on a dose: key -> value, limit, unit, pass, relative margin."""
    rx = protocol["prescription"]["dose_gy"]
    out = {}
    for c in protocol["constraints"]:
        limit = c["limit"] if "limit" in c else c["limit_pct_rx"] * rx / 100.0
        value = rtmetrics.metric(dose, masks[c["structure"]], c["metric"])
        margin = (value - limit) / limit if c["comparison"] == ">=" else (limit - value) / limit
        out[constraint_key(c["structure"], c["metric"])] = {"value": value, "limit": limit, "unit": rtmetrics.unit(c["metric"]),
                                                           "pass": margin >= 0, "margin": margin}
    return out


def _protocol(site: rtcase.Site, priority_limit: float, limits: dict[tuple[str, str], float]) -> dict[str, Any]:
    constraints = [
        {"structure": "PTV", "metric": "D98%", "comparison": ">=", "limit_pct_rx": 95.0, "role": "coverage"},
        {"structure": "PTV", "metric": "D2%", "comparison": "<=", "limit_pct_rx": 107.0, "role": "hot spot"},
        {"structure": site.priority[0], "metric": site.priority[1], "comparison": "<=", "limit": priority_limit,
         "role": "priority organ at risk: minimise"},
    ]
    constraints += [{"structure": s, "metric": m, "comparison": "<=", "limit": limits[(s, m)], "role": "organ at risk"}
                    for s, m in site.secondary]
    return {"site": site.name, "prescription": {"dose_gy": site.rx_gy, "fractions": site.fractions, "target": "PTV"},
            "normalisation": "final plan normalised so that PTV D95% equals 100% of the prescription",
            "constraints": constraints,
            "report_indices": {"paddick_ci": "(TV_PIV)^2 / (TV x PIV), PIV = volume of the whole dose grid receiving >= prescription",
                               "hi": "ICRU 83: (D2% - D98%) / D50% of the PTV"},
            "dvh_structures": ["PTV", *[name for name, _ in site.organs]],
            "canary": CANARY}


def beam_arrangement(nominal: list[float], rng: np.random.Generator) -> list[float]:
    """The case's gantry angles: the site's nominal arrangement (that of every instance before version 1.7.0) turned
    as a whole and each beam moved, drawn per case, so that no instance's optimal weights, beam by beam, carry over
    to another."""
    turn = rng.choice([-1.0, 1.0]) * rng.uniform(*TURN_DEG)
    return [float(round(g + turn + rng.uniform(-JITTER_DEG, JITTER_DEG)) % 360) for g in nominal]


def _build(site_name: str, rng: np.random.Generator, arrangement: np.random.Generator) -> dict[str, Any]:
    site = rtcase.build_site(site_name, rng)
    site = dataclasses.replace(site, gantry=beam_arrangement(site.gantry, arrangement))
    grid = rtcase.site_grid(site)
    contours = rtcase.contours(site, grid)
    masks = {name: rtcase.rasterise(roi, grid) for name, roi in contours.items()}
    rho = rtcase.density(site, grid, masks)
    raw = [rtcase.beam_dose(site, grid, rho, masks["BODY"], g) for g in site.gantry]
    ptv = masks["PTV"]
    share = [b / b[ptv].mean() for b in raw]
    scale = site.rx_gy * rng.uniform(0.97, 1.03) / np.percentile(sum(share)[ptv], 5.0)
    return {"site": site, "grid": grid, "contours": contours, "masks": masks, "rho": rho,
            "beams": [b * scale for b in share]}


def _write_dicom(case: dict[str, Any], rng: np.random.Generator, input_dir: Path) -> tuple[dict[str, Any], list[np.ndarray]]:
    site, grid = case["site"], case["grid"]
    root = "1.2.826.0.1.3680043.10.1055."
    study, frame, old_frame = _uid(rng, root), _uid(rng, root), _uid(rng, root)
    plan_uid, old_plan_uid = _uid(rng, root), _uid(rng, root)
    dose_series = _uid(rng, root)
    beams = []
    for i, gantry in enumerate(site.gantry):
        iso = case["beams"][i][tuple(s // 2 for s in grid.shape)]
        beams.append({"number": i + 1, "name": f"G{int(gantry):03d}", "gantry": gantry, "ssd": 900.0,
                      "mu": round(float(iso) / site.fractions * 100 / 0.8, 1),
                      "dose_per_fraction_at_iso": round(float(iso) / site.fractions, 4)})
    order = rng.permutation(len(beams))
    doses = [{"key": f"beam{b['number']}", "uid": _uid(rng, root), "series_uid": dose_series, "series_number": 4,
              "frame_uid": frame, "summation": "BEAM", "plan_uid": plan_uid, "beam_number": b["number"]}
             for b in (beams[i] for i in order)]
    doses.append({"key": "superseded", "uid": _uid(rng, root), "series_uid": _uid(rng, root), "series_number": 9,
                  "frame_uid": old_frame, "summation": "PLAN", "plan_uid": old_plan_uid, "beam_number": None})
    meta = {"uid_root": root, "patient_name": f"RTQA^{site.name.upper()}{int(rng.integers(100, 999))}",
            "patient_id": f"QA{int(rng.integers(10**5, 10**6))}", "sex": "M" if site.name == "prostate" else "F",
            "study_uid": study, "date": "20261201", "frame_uid": frame,
            "ct_series_uid": _uid(rng, root), "struct_series_uid": _uid(rng, root), "plan_series_uid": _uid(rng, root),
            "ct_uids": [_uid(rng, root) for _ in range(grid.shape[0])], "struct_uid": _uid(rng, root),
            "grid": {"origin": list(grid.origin), "spacing": list(grid.spacing)},
            "contours": {name: [[z, [list(p) for p in poly]] for z, poly in roi] for name, roi in case["contours"].items()},
            "plan": {"uid": plan_uid, "label": f"{site.name[:6].upper()}_3DCRT", "rx_gy": site.rx_gy,
                     "fractions": site.fractions, "beams": beams},
            "doses": doses}
    initial = sum(case["beams"])
    superseded = np.roll(initial * rng.uniform(1.02, 1.08), 2, axis=2)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        (work / "case.json").write_text(json.dumps(meta))
        np.savez(work / "arrays.npz", ct=rtcase.hounsfield(case["rho"]), superseded=superseded,
                 **{f"beam{i + 1}": b for i, b in enumerate(case["beams"])})
        run_tool_script(__file__, HERE / "write_case.py", str(work / "case.json"), str(work / "arrays.npz"),
                        str(input_dir / "dicom"), str(work / "stored.npz"))
        stored = np.load(work / "stored.npz")
        beam_doses = [stored[f"beam{i + 1}"] for i in range(len(beams))]
    return meta, beam_doses


def _round_limit(value: float) -> float:
    return round(value, 1)


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    site_name = params["site"]
    rng = np.random.default_rng(params["seed"])
    arrangement = np.random.default_rng([params["seed"], 2])
    optimise = _optimiser()
    approve = random.Random(f"{params['seed']}:{DECISION_STREAM}").random() < 0.5
    for _ in range(ATTEMPTS):
        case = _build(site_name, rng, arrangement)
        site, masks, beams = case["site"], case["masks"], case["beams"]
        rx = site.rx_gy
        def stack(name: str, masks: dict[str, np.ndarray] = masks, beams: list[np.ndarray] = beams) -> np.ndarray:
            return np.array([b[masks[name]] for b in beams])

        ptv_doses, priority = stack("PTV"), stack(site.priority[0])
        free = optimise.optimise(ptv_doses, priority, rx, [], hot=HOT, cold=COLD)
        free_dose = sum(w * b for w, b in zip(free, beams, strict=True))
        values = {(s, m): rtmetrics.metric(free_dose, masks[s], m) for s, m in site.secondary}
        # one Dmax/Dmean constraint made binding (below its value at the unconstrained optimum) in every case, so
        # that a plan which leaves the organ limits out of its optimisation breaks one
        limits = {k: _round_limit(v * rng.uniform(1.12, 1.3) + (1.0 if k[1].startswith("V") else 0.5))
                  for k, v in values.items()}
        candidates = [k for k in site.secondary if k[1] in ("Dmax", "Dmean") and values[k] > 0.3 * rx]
        if not candidates:
            continue
        k = candidates[int(rng.integers(len(candidates)))]
        limits[k] = _round_limit(values[k] * rng.uniform(0.82, 0.92))
        constraints = [(stack(s), m, limits[(s, m)]) for s, m in site.secondary]
        weights = optimise.optimise(ptv_doses, priority, rx, constraints, hot=HOT, cold=COLD)
        dose = sum(w * b for w, b in zip(weights, beams, strict=True))
        objective = rtmetrics.metric(dose, masks[site.priority[0]], "Dmean")
        priority_limit = round(objective * (rng.uniform(1.06, 1.2) if approve else rng.uniform(0.8, 0.93)), 1)
        protocol = _protocol(site, priority_limit, limits)
        final = evaluate_plan(dose, masks, protocol)
        others_hold = all(v["margin"] >= 0 for k, v in final.items() if k != constraint_key(*site.priority))
        equal = optimise.normalised(np.ones(len(beams)), ptv_doses, rx)
        equal_objective = float(equal @ priority.mean(axis=1))
        # the dosimetrist's equal weights must fall well outside the optimum's tolerance
        if others_hold and equal_objective > objective + 2 * max(OPTIMUM_TOL * objective, 0.005 * rx):
            break
    else:
        raise AssertionError(f"no {site_name} case with an admissible optimum well below equal weights in {ATTEMPTS} draws")
    meta, stored = _write_dicom(case, rng, input_dir)
    (input_dir / "protocol.json").write_text(json.dumps(protocol, indent=2) + "\n")
    initial = sum(stored)
    stored_final = sum(w * b for w, b in zip(weights, stored, strict=True))
    final = evaluate_plan(stored_final, masks, protocol)
    margins = {k: v["margin"] for k, v in final.items()}
    decision = "approve" if all(m >= 0 for m in margins.values()) else "reject"
    np.savez_compressed(reference_dir / "beams.npz", **{str(b["number"]): d for b, d in zip(meta["plan"]["beams"], stored, strict=True)})
    np.savez_compressed(reference_dir / "masks.npz", **masks)
    reference = {
        "site": site.name, "rx_gy": site.rx_gy, "protocol": protocol,
        "grid": {"origin": meta["grid"]["origin"], "spacing": meta["grid"]["spacing"], "shape": list(case["grid"].shape)},
        "frame_uid": meta["frame_uid"], "plan_uid": meta["plan"]["uid"],
        "beams": [{"number": b["number"], "name": b["name"]} for b in meta["plan"]["beams"]],
        "priority": list(site.priority), "weights": [float(w) for w in weights],
        "objective": float(rtmetrics.metric(stored_final, masks[site.priority[0]], "Dmean")),
        "equal_objective": equal_objective, "initial": evaluate_plan(initial, masks, protocol), "final": final,
        "decision": decision, "superseded_uid": meta["doses"][-1]["uid"], "canary": CANARY,
    }
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=1) + "\n")



# -- grade -------------------------------------------------------------------------------------

DELIVERABLES = ("dvh.csv", "constraints.csv", "beam_weights.csv", "final_dose.dcm", "plan_report.json", "plan_report.md")


NUMBER_TOKEN = re.compile(r"-?\d+(?:\.\d+)?")
MAX_REPORT_NUMBERS = 400    # a plan-check report, not a list of numbers (covering every figure blindly takes ~550)
DECISION_WORD = re.compile(r"\b(approv|reject)\w*", re.IGNORECASE)
# one negation vocabulary for every reading of a decision: a word of it within two words before the decision in its
# clause ("cannot be approved", "not rejected", but "without reservation, approve"), or, in a plain sentence, anywhere
# between the plan and its verb or in the verb's clause
_NEGATION_WORDS = r"not|cannot|never|no|nor|neither|nothing|none"  # "can't" is read by "n't"
NEGATION = re.compile(rf"\b(?:{_NEGATION_WORDS}|without)\b|n't\b", re.IGNORECASE)
_SPACE = r"[^\w,:;()\u2013\u2014]+"  # between two words of one clause
NEGATED = re.compile(rf"(?:{NEGATION.pattern}){_SPACE}(?:\w+{_SPACE}){{0,2}}$", re.IGNORECASE)
STATEMENT = re.compile(r"\b(?:decision|verdict|conclusion|recommendation)s?\b(?!\s+(?:rules?|criteri\w*|logic)\b)",  # a rule decides nothing
                       re.IGNORECASE)
# The report's one decision line; every other sentence that takes a side on the final plan must take the same one.
DECISION_LINE = re.compile(r"^[\s*_#>-]*decision[\s*_]*:", re.IGNORECASE)
DECISION_VALUE = re.compile(r"^[\s*_#>-]*decision[\s*_]*:[\s*_]*(?P<decision>APPROVE|REJECT)[\s*_.]*$", re.IGNORECASE)
# another plan than the final one; then, for a plain sentence, any other plan or object the verb may bear on
OTHER_PLAN_WORDS = r"initial|original|dosimetrist"
OTHER_PLAN = re.compile(rf"\b(?:{OTHER_PLAN_WORDS})", re.IGNORECASE)
OTHER_OBJECT = re.compile(rf"\b(?:(?:{OTHER_PLAN_WORDS})\w*|submitted|equal|equally|unweighted|incoming|first|"
                          r"previous|earlier|superseded|stale|draft|"
                          r"dose|rtdose|object|objects|file|files|frame|uid|grid|series|hypothesis|protocol)\b",
                          re.IGNORECASE)
# A plain statement of the decision on the plan, without a "decision" keyword: "The plan is approved.", "the
# re-weighted plan is therefore rejected", "I approve the final plan", "Rejected for treatment." The verb forms only
# ("approval is withheld", "the criteria for approval" state nothing), the plan its subject or object.
VERB = r"(?:approv(?:e|es|ed)|reject(?:s|ed)?)\b(?!\s+by\b)"  # "approved by" names who signs, or signed before
# a line-opening label that names the plan's outcome ("Outcome:", "Sign-off:", "Final status -"); a label naming
# anything else ("Option B -", "Beam 3 wedge:") introduces a decision on that thing, not on the plan
OUTCOME_LABEL = (r"(?:[\w' -]{0,20}?\b)?(?:outcome|status|sign-?off|result|final|overall|disposition|determination|"
                 r"assessment|action|physics|physicist|plan|qa)\b[\w' -]{0,20}?\s*(?::|\s[\u2013\u2014-])\s*")
PLAIN_DECISION = re.compile(
    r"\bplans?\b(?P<gap>[^.!?;\n]{0,80}?)\b(?P<verb>" + VERB + ")"              # the plan ... approved
    + r"|\b(?P<verb2>" + VERB + r")\s+(?P<gap2>(?:[\w'-]+\s+){0,3}?)plans?\b"   # approve the ... plan
    + r"|^[\s*_#>|-]*(?P<label>" + OUTCOME_LABEL + r")?"                       # "Rejected." opening a sentence,
    + r"(?P<verb3>" + VERB + r")(?P<gap3>[^.!?;\n]*)",                           # or after an outcome label
    re.IGNORECASE)
# what is not an assertion of the decision on the plan: a condition, a possibility or a step still to come, another
# plan or object (above)
_CONDITION = r"if|unless|once(?!\s+again)|provided|until|(?<!\bas\s)before|after|pending|when"  # "as before", "once again": none
_HEDGE = r"would|could|might|may|whether|were|only"
CONDITIONAL = re.compile(rf"\b(?:{_CONDITION}|{_HEDGE}|should|can|must)\b", re.IGNORECASE)
CHOICE = re.compile(r"\s*(?:/|\bor\b)\s*(?:approv|reject)", re.IGNORECASE)  # "approve/reject": the options, not a decision
CHOICE_BEFORE = re.compile(r"(?:approv|reject)\w*\s*(?:/|\bor\b)\s*$", re.IGNORECASE)
CLAUSE = re.compile(r"[,:;()\u2013\u2014]|\s-\s")


def _statement_end(rest: str) -> str:
    """A statement up to the end of its sentence; a semicolon ends it too, unless it stands inside parentheses
    ("approve (pending review; otherwise reject)" is one statement)."""
    depth = 0
    for i, ch in enumerate(rest):
        depth += (ch == "(") - (ch == ")")
        if (ch in ".!?" and (i + 1 == len(rest) or rest[i + 1].isspace())) or (ch == ";" and depth <= 0):
            return rest[:i]
    return rest


def _sentences(text: str) -> list[str]:
    """The text's statements: lines, cut at sentence ends and at semicolons outside parentheses."""
    out = []
    for line in text.splitlines():
        rest = line
        while rest.strip():
            chunk = _statement_end(rest)
            out.append(chunk)
            rest = rest[len(chunk) + 1:]
    return out


def _plain_aside(chunk: str, m: re.Match[str]) -> bool:
    """A plain sentence's mention of the decision that asserts nothing on the final plan: negated ("the plan cannot be
    approved as it stands"), on another plan or object ("the dosimetrist's plan is rejected", "the stale dose object was
    rejected", "the approved protocol") or the options of a form ("approve/reject")."""
    name = next(n for n in ("verb", "verb2", "verb3") if m.group(n))
    if name == "verb3":  # what follows an opening "Rejected:" is its reason, or the object it rejects; a label
        gap, scope = m.group("label") or "", " ".join([*(m.group("label") or "").split(), *m.group("gap3").split()[:4]])
    else:
        gap = scope = m.group("gap" if name == "verb" else "gap2")
    before, after = chunk[:m.start()], chunk[m.end(name):]
    clause = CLAUSE.split(before)[-1]
    return bool(NEGATION.search(gap) or NEGATION.search(clause) or REFUSING.search(clause) or OTHER_OBJECT.search(scope)
                or (OTHER_OBJECT if name == "verb" else OTHER_PLAN).search(" ".join(before.split()[-3:]))
                or (name != "verb2" and OTHER_OBJECT.search(" ".join(after.split()[:3])))
                or CHOICE.match(after) or CHOICE_BEFORE.search(chunk[:m.start(name)]))


def decisions(chunk: str, *, plain: bool = False) -> set[str]:
    """The decisions (``approve``/``reject``) one statement gives; every place a report states its decision is read
    here, with one vocabulary of negation.

    A decision statement (the rest of the sentence after "decision", "verdict", ...), or any sentence of a report that
    has neither those nor a plain one: its first decision and any other it goes on to name (a hedge: "approve, although
    one could reject it"), leaving out negated ones ("cannot be approved"), those on another plan ("the initial plan
    was rejected") and the noun "approval" after the decision ("reject: the plan does not meet the criteria for
    approval").

    ``plain``: a sentence stating the decision on the plan without such a keyword ("The plan is approved.", "I approve
    the final plan", "Rejected for treatment."): the verb forms only, the plan its subject or object, every mention of
    the plan read, leaving out as well conditionals ("the plan would be approved only if ...") and asides
    (_plain_aside)."""
    if plain and CONDITIONAL.search(chunk):
        return set()
    pattern = PLAIN_DECISION if plain else DECISION_WORD
    found: list[str] = []
    pos = 0
    while m := pattern.search(chunk, pos):
        pos = m.start() + 1 if plain else m.end()
        word = m.group(next(n for n in ("verb", "verb2", "verb3") if m.group(n))) if plain else m.group(0)
        before = chunk[:m.start()]
        if NEGATED.search(before) or (_plain_aside(chunk, m) if plain else OTHER_PLAN.search(before)):
            continue
        if found and not plain and word.lower() == "approval":
            continue
        approve = word.lower().startswith("approv")
        if plain and m.group("verb3") and LABEL_ANSWERED_NO.match(m.group("gap3")):
            approve = not approve
        found.append("approve" if approve else "reject")
    return set(found)


def stated_decisions(text: str) -> set[str]:
    """The decisions the report states or takes besides its "Decision:" line: for every "decision", "verdict",
    "conclusion" or "recommendation", the rest of its sentence (or, under a heading that stands alone, the first
    sentence after it), every plain statement of the decision on the plan ("The plan is approved."), every stance on
    the final plan (plan_stances) and every side taken on going ahead with it (side_stances). A report that agrees with
    its decision line gives that decision or none."""
    text = "\n".join(line for line in text.splitlines() if not DECISION_LINE.match(line))
    lines = [line for line in text.splitlines() if line.strip()]
    found: set[str] = set()
    for i, line in enumerate(lines):
        for m in STATEMENT.finditer(line):
            rest = line[m.end():]
            if not re.search(r"\w", rest) and i + 1 < len(lines):
                rest = lines[i + 1]
            found |= decisions(_statement_end(rest))
    for sentence in _sentences(text):
        found |= decisions(sentence, plain=True)
    return found | plan_stances(text) | side_stances(text)


# A stance on the final plan in other words than a plain decision, or a negated one: cleared (fit, safe, ready,
# acceptable) for treatment, (not) deliverable, good to go, fit for purpose, on hold, must (not) be delivered,
# passes/fails the protocol or the plan check, or just passes/fails (flunks, falls short, holds up, is a pass or a
# failure, up to standard), gets the go-ahead (the green light, a thumbs up or down), is a (no-)go, is (not) for
# treatment, (not) used (clinically), (not) treated or delivered, must be re-planned, (sent) back to the dosimetrist or
# to planning, sent back, cancelled (postponed, deferred, withdrawn), is (not) approved (by physics). A negation
# between the plan and the stance takes the other decision.
_USE = r"(?:treatment|treat|delivery|deliver|clinical\s+use)\b"
_ENDS = r"(?=\s*(?:[,:)\u2013\u2014]|$|as\s+it\s+stands\b))"  # the clause ends: "the plan is acceptable."
_MODAL = r"(?:(?:must|should|shall|will|can|may|is\s+to)(?:\s+not|n't)?|cannot|can't|won't)"
# who signs for physics besides I or we: "Physics does not approve the final plan", "approved by the physicist"
_APPROVER = r"(?:(?:medical\s+)?physics|(?:the\s+)?(?:(?:medical|checking|reviewing)\s+)?physicists?|the\s+undersigned)\b"
_NOT_BY_OTHER = rf"(?!\s+by\b(?!\s+(?:me|us|{_APPROVER})))"  # "approved by" another names who signs, or signed before
_WHOLE = (r"(?:(?:(?:the|all|of|its|department(?:al|'s)?|site)\s+){0,3}(?:protocol|constraints|criteria)"
          r"|(?:every|each)\s+(?:protocol\s+)?(?:constraint|criterion)(?:\s+of\s+the\s+protocol)?)"
          r"(?!['\u2019]s\b|\s+(?:for|on|in|regarding|as\s+regards|with\s+respect|at)\b)")  # not "... for coverage"
_STANDARD = rf"(?:{_WHOLE}|(?:the\s+)?plan\s+check)"  # the protocol as a whole, or the plan check
_GETS = r"\bgets?\s+(?:the\s+|a\s+)?"  # "gets the go-ahead", "gets a thumbs up"
STANCE = re.compile(
    rf"(?P<approve>\bclear(?:ed|s)?\s+(?:for|to)\s+{_USE}"
    rf"|\b(?:fit|safe|ready|suitable|acceptable|accepted|authori[sz]ed|released|fine|good|appropriate)\s+for\s+{_USE}"
    rf"|\b(?:fit|safe|ready|suitable)\s+to\s+{_USE}|\bused\s+(?:for\s+{_USE}|clinically\b)"
    rf"|(?:(?<=\bis\s)|(?<=\bare\s)|(?<=\bwas\s)|(?<=\bnot\s))for\s+{_USE}{_ENDS}"
    rf"|\b(?:pass(?:es|ed)?|holds?\s+up){_ENDS}|{_GETS}go-?ahead\b|\ba\s+(?:go|pass|success){_ENDS}"
    rf"|\bgreen-?lit\b|(?:{_GETS})?(?:\bgreen\s+light|\bthumbs?[\s-]+up)\b|\bup\s+to\s+(?:standard|scratch)\b"
    rf"|\b(?:{_MODAL}\s+)?(?:not\s+)?be\s+used{_ENDS}|\b(?:treat|deliver)(?:\s+(?:it|now|today|as\s+planned))?{_ENDS}"
    rf"|\b(?:{_MODAL}\s+)?(?:go\s+ahead|proceed|go\s+to\s+treatment)"
    rf"(?:\s+to\s+(?:treatment|delivery)\b|{_ENDS})"
    rf"|\bsigned\s+off\b{_NOT_BY_OTHER}"
    r"|\bapprovable\b|\bgood\s+to\s+go\b|\bfit\s+for\s+purpose\b"
    rf"|\b(?:acceptable|accepted|deliverable|treatable|advisable|advised|recommended|authori[sz]ed|good|fine|safe|ready|ok|okay)"
    rf"{_ENDS}"
    r"|\b(?:must|should|shall|will|is\s+to|can(?:\s*not|'t))\s+(?:not\s+)?be\s+(?:treated|delivered)\b"
    rf"|\b(?:can|may)\s+(?:not\s+)?be\s+(?:treated|delivered)(?:\s+as\s+(?:it\s+)?(?:is|stands)\b|{_ENDS})"
    rf"|\b(?:pass(?:es)?|meets?|satisf(?:y|ies)|compl(?:y|ies)\s+with)\s+{_STANDARD}\b"
    rf"|\bapprov(?:e|es|ed)\b{_NOT_BY_OTHER})"
    rf"|(?P<reject>\b(?:unacceptable|unfit|unsafe|unsuitable)\s+for\s+{_USE}|\b(?:unfit|unsafe|unsuitable)\s+to\s+{_USE}"
    rf"|\b(?:unacceptable|unsafe|unfit|unsuitable|inadvisable|undeliverable){_ENDS}|\bunfit\s+for\s+purpose\b"
    rf"|\bfail(?:s|ed)?(?:\s+{_STANDARD}\b|{_ENDS})|\b(?:flunks?|falls?\s+short){_ENDS}|\ba\s+fail(?:ure)?{_ENDS}"
    rf"|\bon\s+hold\b|\b(?:a\s+)?no-go\b|\bvetoed\b|(?:{_GETS})?(?:\bred\s+light|\bthumbs?[\s-]+down)\b"
    rf"|\b(?:cancell?ed|called\s+off|put\s+off|postponed|deferred|suspended|withdrawn){_ENDS}"
    r"|(?:\bsen[dt]\s+(?:it|this|(?:the\s+)?(?:final\s+)?plan)|\b(?:is|was|be|been)\s+sent)\s+back\b(?!\s+to\b)"  # "... back to the planner": below
    rf"|\b(?:{_MODAL}|needs?\s+to|ha(?:s|ve)\s+to)\s+be\s+(?:re-?planned|re-?done|re-?optimi[sz]ed)\b"
    r"|\b(?:back|returned)\s+to\s+(?:the\s+)?(?:dosimetrist|planner)\b"
    r"|\bback\s+to\s+(?:planning|the\s+drawing\s+board)\b"
    r"|\b(?:needs|requires)\s+re-?planning\b"
    rf"|\b(?:unapproved|disapproved|unapprovable)\b|\b(?:reject(?:s|ed)?|declined|turned\s+down|refused)\b{_NOT_BY_OTHER})",
    re.IGNORECASE)
# another plan than the final one, named in a sentence: "plan" and "it" may then mean that one
_OTHER_PLANS = (rf"(?:{OTHER_PLAN_WORDS})\w*|submitted|exported|equal|equally|unweighted|incoming|previous|earlier|old|re-?plan(?:ned)?|"
                r"superseded|draft|alternative|another|other")
ANOTHER_PLAN = re.compile(rf"\b(?:{_OTHER_PLANS})\b", re.IGNORECASE)
FINAL_PLAN = re.compile(r"\b(?:final|re-?weighted|optimi[sz]ed|revised)\s+plan\b", re.IGNORECASE)
PLAN_WORD = re.compile(r"\bplan\b", re.IGNORECASE)
IT = re.compile(r"\bit\b", re.IGNORECASE)
# no plan, every plan, or the plan in a prepositional phrase ("coverage of the plan is acceptable") is no subject
NO_PLAN = re.compile(r"\b(?:no|neither|nor|each|every|any|either|both|of|in|for|with|on|across|from|to|by|within|under|"
                     r"at|over|than)\s+(?:[\w'-]+\s+){0,2}$", re.IGNORECASE)
_THE_PLAN = r"(?:the\s+|this\s+)?(?:(?:final|re-?weighted|optimi[sz]ed|revised|new)\s+)?plan\b(?![\s-]+(?:check|report)\b|['\u2019]s\b)"
# "I (do not) approve / accept / sign off the final plan", "we would not sign this plan off", "physics has not approved
# the final plan", "physics is happy with (disapproves of) the final plan"
ACTIVE = re.compile(rf"\b(?:i|we|{_APPROVER})\b(?P<gap>[^.;]*?)\b(?:(?P<assent>approv(?:e|es|ed)|accept(?:s|ed)?|"
                    r"recommend(?:s|ed)?|(?P<sign>sign(?:s|ed)?)(?P<sign_off>\s+off(?:\s+on)?)?|(?:happy|satisfied|content)\s+with|endors(?:e|es|ed))"
                    r"|reject(?:s|ed)?|declin(?:e|es|ed)|refus(?:e|es|ed)|turn(?:s|ed)?\s+down|disapprov(?:e|es|ed)\s+of|object(?:s|ed)?\s+to)"
                    rf"\s+(?P<plan>{_THE_PLAN})(?P<off>\s+off\b)?", re.IGNORECASE)
REFUSING = re.compile(r"\b(?:declin|refus|fail)\w*\s+to\b", re.IGNORECASE)  # "I decline to approve the plan"
# "treatment must not proceed with this plan", "delivery may go ahead on the final plan", and opening a sentence, the
# plan left out: "Treatment starts on Monday."
PROCEED = re.compile(rf"(?P<opens>^[\s*_#>|-]*(?:the\s+)?)?\b(?:treatment|delivery)\s+"
                     rf"(?:(?:with|of|using)\s+(?P<plan>{_THE_PLAN})\s+)?"
                     rf"(?:(?P<modal>{_MODAL})\s+(?:proceed|go\s+ahead|start|begin|commence)|proceeds|goes\s+ahead|starts|begins|"
                     rf"commences)\b(?:\s+(?:with|on|using)\s+(?P<plan2>{_THE_PLAN}))?",
                     re.IGNORECASE)
# an order on the final plan: "Do not treat with this plan.", "My recommendation: go ahead with the final plan.", "It
# is my recommendation not to treat with the final plan", "I advise against treating with the final plan", "The
# patient won't be treated with the final plan"; holding or re-planning it withholds it ("Hold the final plan.")
ORDER = re.compile(r"\b(?P<action>treat(?:ing)?|deliver(?:ing)?|us(?:e|ing)|go(?:ing)?\s+ahead|proceed(?:ing)?|approv(?:e|ing)|"
                   r"releas(?:e|ing)|be\s+treated|"
                   r"(?P<withhold>(?P<hold>hold(?:ing)?)|re-?plan(?:ning)?|scrap(?:ping)?|discard(?:ing)?))"
                   rf"(?:\s+(?:with|using|on))?\s+(?P<plan>{_THE_PLAN})"
                   r"(?(hold)(?!\s+(?:to|against|within|under)\b))",  # "hold the plan to the limits" holds nothing back
                   re.IGNORECASE)
# what an order follows in its clause, and the forms of the action each takes: an imperative opens it, "I would not
# treat with it" refuses (as in ACTIVE), "it is (un)safe to treat with it" judges it
LEAD_FORMS = {"imperative": {"base"}, "modal": {"base", "passive"}, "advice": {"base", "gerund"}, "infinitive": {"base"},
              "opposed": {"gerund"}, "judged": {"base"}}
ORDER_LEAD = re.compile(
    rf"(?:(?P<imperative>^[\s*_#>|-]*(?:please\s+)?(?:do\s+not\s+|don't\s+|never\s+)?)|(?P<modal>\b(?:{_MODAL}|would(?:\s+not|n't))\s+)"
    r"|(?P<advice>\b(?:recommend|advis|suggest)\w*(?:\s+that\s+we)?\s+(?:to\s+)?)|(?P<infinitive>\bnot\s+to\s+)"
    r"|(?P<opposed>\b(?:against|not)\s+)|(?P<judged>\b(?P<judgement>(?:un)?safe|fine|ok|okay|(?:un)?acceptable|"
    r"(?:in)?appropriate|(?:in)?advisable)\s+to\s+))$", re.IGNORECASE)
AGAINST = re.compile(r"\bagainst\b", re.IGNORECASE)
# the plan in "treatment with the final plan" is the subject's ("... is not authorised")
TREATMENT_WITH = re.compile(r"\b(?:treatment|treating|delivery|delivering)\s+(?:with|of|using)\s+(?:[\w'-]+\s+){0,2}$",
                            re.IGNORECASE)
# "Yes to the final plan.", "No treatment with the final plan."
ANSWER = re.compile(rf"^[\s*_#>|-]*(?P<answer>yes|no)\s+(?:to\s+)?(?:(?:treatment|delivery)\s+(?:with|of|using)\s+)?"
                    rf"(?P<plan>{_THE_PLAN})", re.IGNORECASE)
# "Physics gives the final plan the green light", "the final plan is not given the go-ahead": the signal follows
GIVEN = re.compile(r"\b(?:give|gives|gave|giving|grants?|granting)\s+(?P<plan>" + _THE_PLAN + r")\s+"
                   r"|(?P<plan2>" + _THE_PLAN + r")\s+(?:is|was|has\s+been|will\s+be)(?P<neg>\s+not)?\s+(?:given|granted)\s+",
                   re.IGNORECASE)
SIGNAL = re.compile(r"(?:the\s+|a\s+|an\s+)?(?:(?P<approve>green\s+light|go-?ahead|thumbs?[\s-]+up|all[\s-]+clear)"
                    r"|(?P<reject>red\s+light|thumbs?[\s-]+down))\b", re.IGNORECASE)
# "approval is withheld", "physics sign-off of the final plan was refused"
_APPROVAL = r"(?:approval|sign-?off)"
WITHHELD = re.compile(rf"\b{_APPROVAL}(?:\s+(?:of|for)\s+(?P<plan>{_THE_PLAN}))?(?:\s+(?:is|was|has\s+been|must\s+be|remains|"
                      r"stays))?(?:\s*:\s*|\s+)(?P<neg>not\s+)?(?:withheld|refused|denied|declined)\b(?!\s+by\b)"
                      rf"|\bwithh(?:olds?|eld|olding)\s+(?:(?:my|our|physics|the)\s+)?{_APPROVAL}(?:\s+(?:of|for)\s+(?P<plan2>{_THE_PLAN}))?",
                      re.IGNORECASE)
# a comment set off between the plan and its stance: "The final plan, in my judgement, must not be delivered."
ASIDE = re.compile(r"[,(\u2013\u2014]\s*(?:in\s+(?:my|our)\s+(?:professional\s+|clinical\s+)?(?:judge?ment|view|opinion|assessment)|"
                   r"(?:i|we)\s+(?:believe|think|judge|consider|find|conclude)|to\s+my\s+mind|therefore|thus|hence|however|"
                   r"accordingly|consequently|in\s+short|in\s+summary|in\s+conclusion|on\s+balance|overall)\s*[,)\u2013\u2014]"
                   r"|[,(\u2013\u2014]\s*(?:although|though|even\s+though|while|whilst)\b[^,()\u2013\u2014]*[,)\u2013\u2014]",
                   re.IGNORECASE)
# a condition opening the plan's clause makes it a supposition: "treatment begins once the final plan is approved"
SUBORDINATE = re.compile(r"\b(?:if|unless|once|provided|until|when)\b", re.IGNORECASE)
# "I would not hesitate to sign it off" assents
UNHESITATING = re.compile(r"\b(?:not|never)\s+hesitate\s+to\b|n't\s+hesitate\s+to\b", re.IGNORECASE)
# "I would not sign it" is a refusal, unless the sentence sets a condition ("without the re-weighting, I would not ...")
FIRM_WOULD = re.compile(r"\bwould(?=\s+not\b|n't\b)", re.IGNORECASE)
SUPPOSED = re.compile(rf"\b(?:{_CONDITION}|were|had|without|otherwise)\b", re.IGNORECASE)
# what, between the subject and the stance, makes it bear on something else, or leaves it open: another noun
# phrase (a determiner, a possessive), another plan, object, constraint or organ, a reversal ("prevents the plan from
# being cleared"), a condition or a step still to come
# another thing than the plan: "it" after one of these may be that thing ("the hot spot stays below its limit, so it
# is acceptable"); the plan's dose ("the final plan's dose distribution means it ...") is the plan
_RECORDS = (r"stale|option|rtdose|objects?|files?|frame|uid|grid|series|"
            r"protocol|constraints?|limits?|structures?|organs?|ptv|ctv|gtv|oar|beams?|fields?|weights?|margins?|values?|"
            r"coverage|homogeneity|conformity|index|indices|hot|spot|dvh|dmean|dmax|d\d+%?|v\d+gy|rectum|bladder|femoral\w*|"
            r"parotid\w*|cord\w*|spinal\w*|brainstem|mandible|larynx|lungs?|heart|oesophagus|esophagus|physician|"
            r"oncologist|department|check|report|review")
_THINGS = rf"{_OTHER_PLANS}|first|{_RECORDS}|machine|linac|patient"
IT_OFF = re.compile(rf"\b(?:{_THINGS})\b", re.IGNORECASE)
STANCE_OFF = re.compile(
    rf"'s\b|\u2019s\b|\b(?:the|a|an|this|that|these|those|its|their|his|her|our|my|your|which|who|whose|{_THINGS}|"
    r"dose|doses|from|against|prevents?|precludes?|stops?|bars?|blocks?|without|instead|rather|than|except|but|and|or|"
    rf"because|since|although|though|while|whereas|so|{_CONDITION}|{_HEDGE}|yet|otherwise|hoped|expected|scheduled|"
    r"planned|due)\b",
    re.IGNORECASE)
STANCE_NEGATION = re.compile(rf"\b(?:{_NEGATION_WORDS})\b(?!-)|n't\b", re.IGNORECASE)  # "a no-go" is no negation
STANCE_AFTER = re.compile(rf"^\W*(?:\w+\W+){{0,3}}?(?:(?:{OTHER_PLAN_WORDS})\w*|previously|earlier|initially|originally|"
                          rf"except|but|other|apart|save|besides|bar|{_CONDITION}|without|prior|ahead|exception|excluding|"
                          r"aside|short|as\s+far\s+as|in\s+(?:that|this)\s+respect|regarding|concerning)\b",
                          re.IGNORECASE)


# a sentence of the report with the plan left out, on the plan: "Not for treatment.", "Do not proceed.", "It is not
# approved.", "We will not proceed.", "Treatment is cancelled." (with a subject, only a verdict no constraint or organ
# takes, unless "it" follows a sentence that names the plan last; "Passed: coverage" is a label, not a verdict)
OPENING = re.compile(r"^[\s*_#>|-]*(?:(?P<subject>(?P<it>it)|we|i|treatment|delivery)\b)?"
                     r"(?:\s*\b(?:is|was|has|have|been|be|do|does|did|must|should|shall|will|can|cannot|may|not|never|\w+n't)\b)*\s*",
                     re.IGNORECASE)
PLAN_ONLY_VERDICT = re.compile(r"approv|reject|treat|deliver|clinical|\bgo\b|re-?plan|proceed|cancel|called|thumbs?|back|"
                               r"\bput\s+off|postpon|defer|suspend|withdr",
                               re.IGNORECASE)
LABEL_AFTER = re.compile(r"\s*(?::|[\u2013\u2014]|-\s)")
LABEL_ANSWERED_NO = re.compile(rf"{LABEL_AFTER.pattern}\s*(?:no|false)\b", re.IGNORECASE)  # "Approved: no"
# "Sign-off: no.", "Physics sign-off of the final plan: yes", "OK to treat - no"
LABEL_ANSWER = re.compile(rf"^[\s*_#>|-]*(?:physics\s+)?(?:sign-?off|go-?ahead|approv(?:al|ed)|accept(?:ed|ance)|"
                          rf"(?:ok|okay|safe|fit|ready|cleared?)\s+(?:to|for)\s+{_USE}|treat|deliver|proceed)"
                          rf"(?:\s+(?:of|for)\s+(?P<plan>{_THE_PLAN}))?{LABEL_AFTER.pattern}[\s*_]*(?P<answer>yes|no|true|false)\b",
                          re.IGNORECASE)
# the governing constraint fails exactly when the plan is rejected: "it" after a statement of it bears the decision as
# well, unless the statement goes on to another subject ("... and the bladder is within its limit")
GOVERNING = re.compile(r"\bgoverning\b(?!.*\b(?:and|but|while|whilst|whereas|although|though)\b)", re.IGNORECASE)


def _it_takes_decision(sentence: str) -> bool:
    """Whether "it" in the next sentence bears the decision: the sentence names the plan last, or the governing
    constraint."""
    plans = [m.end() for m in PLAN_WORD.finditer(sentence)]
    return (bool(plans) and not IT_OFF.search(sentence, plans[-1])) or bool(GOVERNING.search(sentence))


def _stance(approve: bool, negated: bool) -> str:
    return "approve" if approve != negated else "reject"


def plan_stances(text: str) -> set[str]:
    """The decisions the report's sentences take on the final plan, negated ones read as the other decision: each
    stance phrase (STANCE) after the plan, or "it" after the plan, in its sentence ("The final plan's dose
    distribution means it cannot be cleared for treatment."), with nothing between them that turns it to another
    subject, a reversal or a condition (STANCE_OFF), a comment or a concession set off between them ("in my
    judgement", "although coverage is good") skipped; "I do not approve (accept, sign off) the final plan" ("I would
    not hesitate to sign it off" assents; "physics has not approved the final plan"), "treatment must not proceed
    with this plan", an order on the final plan ("Do not treat with this plan.", "I advise against treating with the
    final plan", "go ahead with the final plan", "Hold the final plan."), "Yes (no) to the final plan", "approval is
    withheld", "Sign-off: no", "Physics gives the final plan the green light", and a sentence that leaves the plan
    out ("Not for treatment.", "It is not approved.", "We will not treat.", "Treatment is postponed.", "Treatment
    starts on Monday.", "Send it back.", "It fails." after a sentence that names the plan last or the governing
    constraint) too. Where the
    sentence or the one before it names another plan (the initial plan, equal weights, the plan as submitted), only
    "the final (re-weighted, optimised) plan" itself is read, and a sentence that leaves the plan out is not."""
    found: set[str] = set()
    previous = ""
    for sentence in _sentences(text):
        bare = STANCE.sub(" ", sentence)  # "goes back to the dosimetrist" names no other plan
        other = bool(ANOTHER_PLAN.search(bare) or ANOTHER_PLAN.search(previous))
        it_is_plan = _it_takes_decision(previous)
        previous = bare
        for m in ACTIVE.finditer(sentence):
            gap = UNHESITATING.sub(" ", ASIDE.sub(" ", m.group("gap")))
            if not SUPPOSED.search(sentence):
                gap = FIRM_WOULD.sub(" ", gap)
            signs_only = m.group("sign") and not (m.group("sign_off") or m.group("off"))  # "I sign the plan"
            if (other and not FINAL_PLAN.search(m.group("plan"))) or STANCE_OFF.search(gap) \
                    or STANCE_AFTER.match(sentence[m.end():]) or signs_only:
                continue
            negated = bool(STANCE_NEGATION.search(gap) or REFUSING.search(gap))
            found.add(_stance(bool(m.group("assent")), negated))
        for m in ORDER.finditer(sentence):
            before = CLAUSE.split(sentence[:m.start()])[-1]
            action = m.group("action").lower()
            form = "passive" if action.startswith("be") else "gerund" if action.split()[0].endswith("ing") else "base"
            lead = ORDER_LEAD.search(before)
            if not lead or form not in LEAD_FORMS[lead.lastgroup] or (other and not FINAL_PLAN.search(m.group("plan"))) \
                    or STANCE_AFTER.match(sentence[m.end():]) or SUPPOSED.search(sentence[:m.start()]):
                continue
            # the negations before it in its clause, counted: "there is no reason not to treat with the final plan"
            opposed = len(STANCE_NEGATION.findall(before)) + len(AGAINST.findall(before)) \
                + bool(re.match(r"un|in", lead.group("judgement") or ""))
            found.add(_stance(not m.group("withhold"), opposed % 2 == 1))
        for m in [*PROCEED.finditer(sentence), *WITHHELD.finditer(sentence), *ANSWER.finditer(sentence),
                  *LABEL_ANSWER.finditer(sentence)]:
            plan = m.groupdict().get("plan") or m.groupdict().get("plan2") or ""
            if m.re is PROCEED and not plan and m.group("opens") is None:
                continue
            if (other and not FINAL_PLAN.search(plan)) or STANCE_AFTER.match(sentence[m.end():]) \
                    or SUPPOSED.search(sentence[:m.start()]) or NEGATION.search(CLAUSE.split(sentence[:m.start()])[-1]):
                continue
            if m.re is PROCEED:
                found.add(_stance(True, bool(STANCE_NEGATION.search(m.group("modal") or ""))))
            elif m.re in (ANSWER, LABEL_ANSWER):
                found.add(_stance(m.group("answer").lower() in ("yes", "true"), False))
            else:
                found.add(_stance(False, bool(m.group("neg"))))
        for m in GIVEN.finditer(sentence):
            plan, signal = m.group("plan") or m.group("plan2"), SIGNAL.match(sentence, m.end())
            if not signal or (other and not FINAL_PLAN.search(plan)) or STANCE_AFTER.match(sentence[signal.end():]) \
                    or SUPPOSED.search(sentence[:m.start()]):
                continue
            negated = bool(m.group("neg") or STANCE_NEGATION.search(CLAUSE.split(sentence[:m.start()])[-1]))
            found.add(_stance(bool(signal.group("approve")), negated))
        opening = OPENING.match(sentence)
        if not other and (m := STANCE.match(sentence, opening.end())) and not SUPPOSED.search(sentence) \
                and not LABEL_AFTER.match(sentence[m.end():]) and not STANCE_AFTER.match(sentence[m.end():]) \
                and (not opening.group("subject") or PLAN_ONLY_VERDICT.search(m.group(0))
                     or (opening.group("it") and it_is_plan)):
            found.add(_stance(bool(m.group("approve")), bool(STANCE_NEGATION.search(opening.group(0) + " " + m.group(0)))))
        # a plan or "it" after a negation or a condition in its clause is no subject: "no weighting makes the plan
        # acceptable", "treatment begins once the plan is approved"
        subjects = [*(FINAL_PLAN if other else PLAN_WORD).finditer(sentence)]
        if subjects and not other:  # "it" after the plan, no other thing named between them
            subjects += [i for i in IT.finditer(sentence, subjects[0].end())
                         if not IT_OFF.search(sentence, subjects[0].end(), i.start())]
        ends = [p.end() for p in subjects
                if (not NO_PLAN.search(sentence[:p.start()]) or TREATMENT_WITH.search(sentence[:p.start()]))
                and not NEGATION.search(clause := CLAUSE.split(sentence[:p.start()])[-1]) and not SUBORDINATE.search(clause)]
        for m in STANCE.finditer(sentence):
            if not (before := [e for e in ends if e <= m.start()]):
                continue
            gap = ASIDE.sub(" ", sentence[max(before):m.start()])
            if STANCE_OFF.search(gap) or STANCE_AFTER.match(sentence[m.end():]):
                continue
            found.add(_stance(bool(m.group("approve")), bool(STANCE_NEGATION.search(gap + " " + m.group(0)))))
    return found


# Words that take a side on going ahead with the final plan: holding it back (rejection, withheld, on hold or on ice,
# postponed, rescheduled, stopped, paused, cancelled, scrapped, shelved, sent or handed back to planning, a "no" from
# physics) or going ahead (treating, booking or scheduling it, starting treatment, the first fraction, sent to or on the
# machine, all systems go, live, a name put to it, a "yes"). A negation anywhere in the clause turns the side; where a
# clause holds both, the holding back is what it says ("approval is withheld").
_TO_PLANNING = r"(?:the\s+)?(?:dosimetrist|planner|planning|drawing\s+board)(?!\s+system)"
TO_PLANNING = re.compile(rf"\bto\s+{_TO_PLANNING}", re.IGNORECASE)
_ANSWERED = r"(?:says?|said|answers?|answered|gets?|got|gives?|gave|is|was|a|firm|clear|physics[\s*_]*:[\s*_]*)"
HOLD_BACK = re.compile(
    r"\b(?:reject\w*|declin(?:e|es|ed|ing)|refus\w*|vetoe?\w*|disapprov\w*|withh(?:old|eld)\w*|on\s+(?:hold|ice)|"
    r"postpon\w*|reschedul\w*|defer(?:s|red|ring)?|delay(?:s|ed|ing)?|suspend\w*|cancell?\w*|called\s+off|put\s+off|"
    r"halt(?:s|ed)?|stop(?:s|ped|ping)?(?![\w\s'-]*\bfrom\b)|paused|slips?|shelved|scrap(?:s|ped|ping)?|binned|discard\w*|"
    r"abandon\w*|withdr[ae]wn?|untreated|non-?starter|dead\s+on\s+arrival|needs?\s+(?:more|further)\s+work|"
    r"(?:is|are)\s+off(?=\s*$)|"
    r"(?:sen[dt]|hand\w*|go(?:es|ing)?|went|gone|pass\w*|kick\w*|bounc\w*)\s+(?:[\w'-]+\s+){0,3}?back(?!\s+(?:through|into|onto)\b)"
    rf"(?!\s+to(?:\s+the)?(?:\s+treatment)?(?:\s+planning)?\s+system)(?:\s+to\s+{_TO_PLANNING})?"
    rf"|(?:back|return\w*)\s+to\s+{_TO_PLANNING}|{_ANSWERED}\s*no(?=\s*(?:$|[.!,;:)]|(?:from|to|for)\b)))\b",
    re.IGNORECASE)
GO_AHEAD = re.compile(
    r"\b(?:treat(?:s|ed|ing)?(?!\s+(?:as|(?:the\s+)?(?:ptv|ctv|gtv|target|tumou?r|prostate|lesion|volume|nodes?))\b)|book(?:s|ed|ing)?|schedul\w*|first\s+fraction|fraction\s+(?:one|1)|"
    r"(?:treatment|delivery|radiotherapy|irradiation|it|patient)\s+(?:(?:will|can|may|shall|is\s+to|is\s+due\s+to)\s+)?"
    r"(?:start|begin|commenc|proceed|go)\w*(?!\s+date)|(?:start|begin|commenc)\w*\s+(?:the\s+)?(?:treatment|delivery|"
    r"radiotherapy|irradiation)|all\s+systems\s+go|go(?:es|ing)?\s+(?:ahead|live|for\s+it)|is\s+live|cleared(?=\s*$)|"
    r"on\s+(?:the\s+)?(?:machine|linac)|put(?:s|ting)?\s+(?:my|our|its|their)\s+names?\s+to|"
    r"(?:go(?:es|ing)?|sen[dt]|releas\w*|transferr?\w*|push\w*)\s+to\s+(?:the\s+)?(?:treatment\s+)?"
    rf"(?:machine|linac|unit|treatment(?!\s+planning)|record)|{_ANSWERED}\s*yes)\b", re.IGNORECASE)
# a clause of its own: after a comma, semicolon or dash, or a conjunction that opens another statement
SIDE_CLAUSE = re.compile(r"[,;\u2013\u2014]|\s-\s|\b(?:and|but|so|while|whilst|whereas|although|though|because|since|"
                         r"yet|hence|thus|therefore)\b", re.IGNORECASE)
# a sentence that supposes or weighs rather than states ("if the cord limit were exceeded we would postpone")
SUPPOSING = re.compile(r"\b(?:if|unless|otherwise|whether|would|could|might|were|had|in\s+case|hypothetical\w*)\b",
                       re.IGNORECASE)
# going ahead once something has happened is not going ahead now ("treatment starts once a compliant plan is approved")
LATER = re.compile(r"\b(?:once|until|till|when|whenever|after|before|pending|provided|as\s+soon\s+as|only)\b", re.IGNORECASE)
# a clause whose words before the side name something other than the final plan or its treatment ("the superseded
# dose object was withdrawn", "the plan review was postponed", "the initial plan is rejected"); the patient, the
# machine and the first fraction are the treatment's own
OTHER_SUBJECT = re.compile(
    rf"\b(?:{_OTHER_PLANS}|{_RECORDS}|optimi[sz]ation|optimi[sz]er|iterations?|search|run|calculation|computation|"
    r"export|tps|software|prescription|contours?|imaging|scan|ct|meeting|audit|qa|chart|weighting|sum)\b", re.IGNORECASE)
A_PLAN = re.compile(r"\b(?:a|an|any|another)\s+(?:[\w'-]+\s+){0,2}?plan\b", re.IGNORECASE)  # "a compliant plan": another one
# what turns a side: a negation, a bar or an objection ("nothing prevents us from treating", "I advise against
# treating", "it is unsafe to treat")
SIDE_NEGATION = re.compile(rf"\b(?:{_NEGATION_WORDS}|without|against|prevent\w*|preclud\w*|bar(?:s|red)?|block\w*|"
                           r"impossible|(?:un|in)(?:safe|wise|advisable|appropriate|acceptable|justified))\b(?!-)|n't\b",
                           re.IGNORECASE)
# a side taken before, not now: "the final plan was sent back to the dosimetrist once, then re-weighted", "the patient
# was scheduled to start on Monday"
EARLIER = re.compile(r"\b(?:previously|earlier|initially|originally|formerly|at\s+first|(?:was|were|had\s+been)\s+"
                     r"(?:scheduled|booked|due|planned))\b|\bonce\s*$", re.IGNORECASE)


def decision_lines(text: str) -> list[str]:
    """The report's lines that open with a "Decision:" label."""
    return [line for line in text.splitlines() if DECISION_LINE.match(line)]


def side_stances(text: str) -> set[str]:
    """The sides the report's sentences outside its tables take on going ahead with the final plan (HOLD_BACK,
    GO_AHEAD), a clause at a time, a negation in the clause turning it: "Physics says no.", "Treatment will be
    rescheduled.", "We are not treating." hold it back; "Book the first fraction.", "All systems go for the final
    plan." go ahead. A sentence that supposes is not read, going ahead is not read beside a condition or a later
    step, a clause is not read where another thing is named before its side word, nor, where the sentence names
    another plan, unless the clause names the final plan."""
    found: set[str] = set()
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("|"))
    for sentence in _sentences(body):
        if SUPPOSING.search(sentence):
            continue
        bare = TO_PLANNING.sub(" ", sentence)  # "hand it back to the dosimetrist" names no other plan
        other = bool(ANOTHER_PLAN.search(bare) or A_PLAN.search(bare))
        for clause in SIDE_CLAUSE.split(sentence):
            if other and not FINAL_PLAN.search(clause):
                continue
            side = HOLD_BACK.search(clause) or (None if LATER.search(sentence) else GO_AHEAD.search(clause))
            if not side or OTHER_SUBJECT.search(clause[:side.start()]) or A_PLAN.search(clause[:side.start()]) \
                    or EARLIER.search(clause):
                continue
            negations = len(SIDE_NEGATION.findall(clause[:side.start()] + " " + clause[side.end():]))
            found.add(_stance(side.re is GO_AHEAD, negations % 2 == 1))
    return found


def governing_named(text: str, constraints: dict[str, Any]) -> set[str]:
    """The constraints (lower-case keys) the report's "governing ..." statements name, each statement read to the end
    of its sentence: the constraint table names every one, the statement names the one the physicist signs for."""
    found: set[str] = set()
    for line in text.splitlines():
        for m in re.finditer(r"\bgoverning\b", line, re.IGNORECASE):
            statement = " ".join(_statement_end(line[m.end():]).split()).lower()
            found |= {k.lower() for k in constraints if k.lower() in statement}
    return found


def _within(found: Any, expected: float, unit: str, rx: float) -> bool | str:
    value = as_number(found)
    if value is None or not math.isfinite(value):
        return f"{found!r} is not a number"
    tol = VOLUME_ABS_TOL if unit == "%" else max(DOSE_ABS_TOL, DOSE_REL_TOL * abs(expected))
    return True if abs(value - expected) <= tol else f"{value:g}, recomputed {expected:.3f}"


def _read_dose(g: Grading, ref: dict[str, Any]) -> np.ndarray | None:
    run = g.run_tool(["python3", "read_dose.py", "final_dose.dcm"],
                     {"read_dose.py": HERE / "read_dose.py", "final_dose.dcm": g.output("final_dose.dcm")}, timeout=120)
    try:
        meta = json.loads((run.workdir / "meta.json").read_text())
        dose = np.load(run.workdir / "dose.npy", allow_pickle=False)
    except (OSError, ValueError):
        g.check("final RTDOSE re-reads with pydicom on the beam dose grid and frame of reference", False, weight=3,
                reason=(run.stderr or run.stdout)[-300:] or "not a readable RTDOSE")
        return None
    grid = ref["grid"]
    nz = grid["shape"][0]
    problems = []
    if meta["modality"] != "RTDOSE" or meta["units"].upper() != "GY" or meta["type"].upper() != "PHYSICAL":
        problems.append(f"modality/units/type {meta['modality']}/{meta['units']}/{meta['type']}")
    if meta["summation"].upper() != "PLAN":
        problems.append(f"DoseSummationType {meta['summation']!r}, not PLAN (a plan dose labelled otherwise is "
                        "imported as something else)")
    if meta["frame_uid"] != ref["frame_uid"]:
        problems.append("frame of reference is not the planning CT's")
    if any(abs(a - b) > 0.01 for a, b in zip(meta["origin"], grid["origin"], strict=True)):
        problems.append(f"origin {meta['origin']}")
    if any(abs(a - b) > 1e-3 for a, b in zip(meta["pixel_spacing"], [grid["spacing"][1], grid["spacing"][0]], strict=True)):
        problems.append(f"pixel spacing {meta['pixel_spacing']}")
    if meta["orientation"] != [1, 0, 0, 0, 1, 0]:
        problems.append("orientation")
    offsets_ok = len(meta["offsets"]) == nz and all(abs(o - k * grid["spacing"][2]) < 0.01 for k, o in enumerate(meta["offsets"]))
    if not offsets_ok or list(dose.shape) != grid["shape"]:
        problems.append(f"grid {list(dose.shape)} / frame offsets differ from the beam doses' {grid['shape']}")
    g.check("final RTDOSE re-reads with pydicom on the beam dose grid and frame of reference", not problems, weight=3,
            reason="; ".join(problems))
    return None if problems else dose


def _read_weights(g: Grading, ref: dict[str, Any]) -> np.ndarray | None:
    rows = g.read_csv("beam_weights.csv", required_columns=["beam_number", "weight"])
    if rows is None:
        return None
    found: dict[int, float] = {}
    problems = []
    for r in rows:
        number, weight = as_number(r.get("beam_number")), as_number(r.get("weight"))
        if number is None or weight is None or not math.isfinite(weight):
            problems.append(f"unreadable row {r}")
        elif weight < 0:
            problems.append(f"beam {number:g} has a negative weight")
        elif int(number) in found:
            problems.append(f"beam {number:g} listed twice")
        else:
            found[int(number)] = weight
    wanted = [b["number"] for b in ref["beams"]]
    if set(found) != set(wanted):
        problems.append(f"beams {sorted(found)}, the plan has {wanted}")
    g.check("beam weights: one non-negative weight for every beam of the plan", not problems, reason="; ".join(problems[:4]))
    return None if problems else np.array([found[n] for n in wanted])


def _grade_plan(g: Grading, ref: dict[str, Any], masks: dict[str, np.ndarray], dose: np.ndarray, final: dict[str, dict[str, Any]]) -> None:
    rx = ref["rx_gy"]
    d95 = rtmetrics.metric(dose, masks["PTV"], "D95%")
    g.check("final plan normalised to PTV D95% = prescription", abs(d95 - rx) <= NORM_TOL * rx,
            expected=rx, found=round(d95, 3))
    target = {k: v for k, v in final.items() if k.startswith("PTV ")}
    g.fraction("PTV coverage (D98% >= 95% Rx) and hot spot (D2% <= 107% Rx) on the final dose",
               {k: v["margin"] >= -LIMIT_TOL or f"{v['value']:.2f} against {v['limit']:.2f}" for k, v in target.items()},
               weight=2, threshold=1.0)
    key = constraint_key(*ref["priority"])
    organs = {k: v for k, v in final.items() if not k.startswith("PTV ") and k != key}
    g.fraction("organ-at-risk constraints (other than the priority organ) hold on the final dose",
               {k: v["margin"] >= -LIMIT_TOL or f"{v['value']:.2f} against {v['limit']:.2f} {v['unit']}" for k, v in organs.items()},
               weight=2, threshold=1.0)
    objective = rtmetrics.metric(dose, masks[ref["priority"][0]], "Dmean")
    limit = ref["objective"] + max(OPTIMUM_TOL * ref["objective"], 0.005 * rx)
    g.check(f"{ref['priority'][0]} mean dose minimised: within tolerance of the reference optimum", objective <= limit,
            weight=3, expected=f"<= {limit:.2f} Gy (optimum {ref['objective']:.2f})", found=round(objective, 3))


def _grade_dvh(g: Grading, ref: dict[str, Any], masks: dict[str, np.ndarray], rows: list[dict[str, str]], doses: dict[str, np.ndarray]) -> None:
    rx = ref["rx_gy"]
    curves: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for r in rows:
        d, v = as_number(r.get("dose_gy")), as_number(r.get("volume_pct"))
        if d is not None and v is not None:
            curves.setdefault((r.get("structure", "").strip(), r.get("plan", "").strip().lower()), []).append((d, v))
    delta = 0.01 * rx
    verdicts: dict[str, bool | str] = {}
    for structure in ref["protocol"]["dvh_structures"]:
        mask = masks[structure]
        for plan, dose in doses.items():
            points = sorted(curves.get((structure, plan), []))
            if len(points) < 5:
                verdicts[f"{structure}/{plan}"] = "missing or fewer than 5 points"
                continue
            xs, ys = np.array([p[0] for p in points]), np.array([p[1] for p in points])
            if ys[-1] > DVH_END_PCT:
                # the curve is read up to its last point, so one cut short hides the rest of the structure
                verdicts[f"{structure}/{plan}"] = (f"ends at {xs[-1]:.1f} Gy with {ys[-1]:.1f}% of the volume "
                                                   "still receiving it: not taken above the maximum dose")
                continue
            # every listed point, and the curve between them every 2.5 % of the prescription
            levels = np.concatenate([xs, rx * np.arange(0.0, 1.2, 0.025)])
            levels = levels[levels <= xs.max()]
            found = np.interp(levels, xs, ys)
            upper = rtmetrics.cumulative_dvh(dose, mask, levels - delta) + 2.0
            lower = rtmetrics.cumulative_dvh(dose, mask, levels + delta) - 2.0
            bad = [f"{lv:.1f} Gy: {f:.1f}%" for lv, f, lo, hi in zip(levels, found, lower, upper, strict=True) if not lo <= f <= hi]
            verdicts[f"{structure}/{plan}"] = True if not bad else f"off the voxel DVH at {', '.join(bad[:3])}"
    g.fraction("cumulative DVHs of the initial and final plans match an independent voxel DVH", verdicts, weight=2,
               noun="curves", threshold=1.0)


def _grade_constraints(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]],
                       evaluations: dict[str, dict[str, dict[str, Any]]]) -> None:
    rx = ref["rx_gy"]
    found = {}
    for r in rows:
        key = f"{r.get('plan', '').strip().lower()}|{r.get('structure', '').strip()} {r.get('metric', '').strip()}"
        found[key] = r
    for plan, evaluation in evaluations.items():
        verdicts: dict[str, bool | str] = {}
        for key, want in evaluation.items():
            row = found.get(f"{plan}|{key}")
            if row is None:
                verdicts[key] = "missing"
                continue
            value = _within(row.get("value"), want["value"], want["unit"], rx)
            limit = as_number(row.get("limit"))
            flag = str(row.get("pass", "")).strip().lower() in ("yes", "true", "1", "pass")
            if value is not True:
                verdicts[key] = value
            elif limit is None or abs(limit - want["limit"]) > 0.01 * abs(want["limit"]) + 1e-6:
                verdicts[key] = f"limit {row.get('limit')!r}, protocol {want['limit']:g}"
            elif abs(want["margin"]) > LIMIT_TOL and flag != want["pass"]:
                verdicts[key] = f"pass={row.get('pass')!r} but {want['value']:.2f} against {want['limit']:.2f}"
            else:
                verdicts[key] = True
        g.fraction(f"constraint table, {plan} plan: values, limits and pass flags", verdicts, weight=2,
                   noun="constraints", threshold=1.0)


def _grade_report(g: Grading, ref: dict[str, Any], masks: dict[str, np.ndarray], report: dict[str, Any], dose: np.ndarray,
                  final: dict[str, dict[str, Any]]) -> None:
    rx = ref["rx_gy"]
    target = rtmetrics.target_metrics(dose, masks["PTV"], rx)
    plan = report.get("final_plan") if isinstance(report.get("final_plan"), dict) else {}
    priority = plan.get("priority_objective") if isinstance(plan.get("priority_objective"), dict) else {}
    expected = {"ptv_d98_gy": target["D98"], "ptv_d95_gy": target["D95"], "ptv_d50_gy": target["D50"], "ptv_d2_gy": target["D2"]}
    verdicts: dict[str, bool | str] = {k: _within(plan.get(k), v, "Gy", rx) if k in plan else "missing" for k, v in expected.items()}
    for name, key, tol in (("paddick_ci", "paddick_ci", 0.02), ("homogeneity_index", "hi", 0.006)):
        value = as_number(plan.get(name))
        verdicts[name] = (value is not None and abs(value - target[key]) <= tol) or f"{plan.get(name)!r}, recomputed {target[key]:.4f}"
    objective = rtmetrics.metric(dose, masks[ref["priority"][0]], "Dmean")
    verdicts["priority_objective"] = _within(priority.get("value_gy"), objective, "Gy", rx)
    g.fraction("report's final-plan metrics (PTV D98/D95/D50/D2, Paddick CI, ICRU-83 HI, priority mean) match the re-read dose",
               verdicts, weight=2, noun="metrics", threshold=1.0)
    excluded = report.get("excluded_dose_objects")
    g.check("superseded dose object (other frame of reference) identified and excluded",
            isinstance(excluded, list) and [str(x).strip() for x in excluded] == [ref["superseded_uid"]],
            expected=[ref["superseded_uid"]], found=excluded)
    margins = {k: v["margin"] for k, v in final.items()}
    if all(m >= LIMIT_TOL for m in margins.values()):
        allowed = {"approve"}
    elif any(m < -LIMIT_TOL for m in margins.values()):
        allowed = {"reject"}
    else:
        allowed = {"approve", "reject"}
    decision = str(report.get("decision", "")).strip().lower()
    g.check("decision follows from the final plan's constraints", decision in allowed, weight=2,
            expected=sorted(allowed), found=report.get("decision"))
    lowest = min(margins.values())
    fits = {k for k, m in margins.items() if m - lowest <= MARGIN_TIE}
    named = " ".join(str(report.get("governing_constraint", "")).split())
    g.check("governing constraint is the one with the least margin (most violated) on the final plan",
            named.lower() in {k.lower() for k in fits}, weight=2, expected=sorted(fits), found=report.get("governing_constraint"))
    signed = str(report.get("signed_by", "")).strip()
    text = g.read_text("plan_report.md") or ""
    flat = " ".join(text.split()).lower()
    problems = []
    if len(signed) < 3 or signed.lower() not in flat:
        problems.append("not signed by the report's signatory")
    lines = decision_lines(text)
    line = DECISION_VALUE.match(lines[0]) if len(lines) == 1 else None
    if not line:
        problems.append(f"{len(lines)} lines open with 'Decision:', not one 'Decision: APPROVE' or 'Decision: REJECT'")
    elif line.group("decision").lower() != decision:
        problems.append(f"the decision line says {line.group('decision').lower()}, the JSON {decision or 'nothing'}")
    elif contrary := stated_decisions(text) - {decision}:
        problems.append(f"the report also takes the {' and '.join(sorted(contrary))} side against its decision line")
    if named.lower() not in flat or not named:
        problems.append("governing constraint not named")
    elif stated := sorted(governing_named(text, final) - {k.lower() for k in fits}):
        problems.append(f"governing constraint stated as {', '.join(stated)}")
    if f"{objective:.1f}" not in text and f"{objective:.2f}" not in text:
        problems.append(f"priority organ mean dose {objective:.2f} Gy not reported")
    g.check("signed plan-check report states the decision, governing constraint and priority organ dose", not problems,
            reason="; ".join(problems))


def _grade_report_figures(g: Grading, evaluations: dict[str, dict[str, dict[str, Any]]], weights: np.ndarray | None,
                          report: dict[str, Any]) -> None:
    """The department reads plan_report.md, not the CSVs: it must carry the constraint values of both plans,
    the final weights and the indices (each as a number of the text, to its rounding)."""
    numbers = [value for token in NUMBER_TOKEN.findall(g.read_text("plan_report.md") or "")
               if (value := as_number(token)) is not None]
    if len(numbers) > MAX_REPORT_NUMBERS:  # a spread of numbers that covers any figure states none of them
        numbers = []

    def stated(value: float) -> bool:
        return any(abs(n - value) <= max(0.006, 0.0051 * abs(value)) for n in numbers)

    wanted = {f"{plan} {key}": item["value"] for plan, evaluation in evaluations.items() for key, item in evaluation.items()}
    final_plan = report.get("final_plan") if isinstance(report.get("final_plan"), dict) else {}
    for name in ("paddick_ci", "homogeneity_index"):
        if (value := as_number(final_plan.get(name))) is not None:
            wanted[name] = value
    for number, weight in enumerate([] if weights is None else weights, start=1):
        wanted[f"final weight of beam {number}"] = float(weight)
    verdicts: dict[str, bool | str] = {name: stated(value) or f"{value:.3f} not in the report"
                                       for name, value in wanted.items()}
    if not numbers:
        verdicts = {name: "the report holds no figures, or more numbers than a report states "
                          f"(over {MAX_REPORT_NUMBERS})" for name in wanted}
    g.fraction("plan_report.md states the constraint table of both plans, the final weights and the indices",
               verdicts, noun="figures", threshold=1.0)


def grade(g: Grading) -> None:
    if not g.require_files(*DELIVERABLES):
        return
    ref = g.reference_json("reference.json")
    dvh = g.read_csv("dvh.csv", required_columns=["structure", "plan", "dose_gy", "volume_pct"])
    table = g.read_csv("constraints.csv", required_columns=["plan", "structure", "metric", "value", "limit", "unit", "pass"])
    report = g.read_json("plan_report.json")
    if dvh is None or table is None or not isinstance(report, dict):
        return
    with np.load(g.reference_dir / "beams.npz") as data:
        beams = [data[str(b["number"])] for b in ref["beams"]]
    with np.load(g.reference_dir / "masks.npz") as data:
        masks = {k: data[k] for k in data.files}
    initial = sum(beams)
    weights = _read_weights(g, ref)
    dose = _read_dose(g, ref)
    if dose is None:
        return
    rx = ref["rx_gy"]
    diff = math.inf if weights is None else float(np.abs(sum(w * b for w, b in zip(weights, beams, strict=True)) - dose).max())
    g.check("final dose is the weighted sum of the per-beam doses", diff <= SUM_TOL_FRACTION * rx, weight=2,
            expected=f"max difference <= {SUM_TOL_FRACTION * rx:.2f} Gy", found=f"{diff:.3f} Gy")
    protocol = ref["protocol"]
    final = evaluate_plan(dose, masks, protocol)
    _grade_plan(g, ref, masks, dose, final)
    _grade_dvh(g, ref, masks, dvh, {"initial": initial, "final": dose})
    evaluations = {"initial": evaluate_plan(initial, masks, protocol), "final": final}
    _grade_constraints(g, ref, table, evaluations)
    _grade_report(g, ref, masks, report, dose, final)
    _grade_report_figures(g, evaluations, weights, report)
