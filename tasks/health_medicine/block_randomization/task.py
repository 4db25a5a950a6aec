"""Sample size and a stratified permuted-block randomisation list from a protocol synopsis.

Workflow: the trial statistician receives a protocol synopsis and its design-parameter sheet
(arms and allocation ratio, primary comparison, endpoint, alpha, power, dropout, stratification
factors with expected shares, permitted block sizes) plus the data behind the planning
assumptions (a pilot study for the SD, or historical control cohorts for the control rate).
They compute the sample size with a stated standard method, inflate it for dropout, and
generate a seeded, reproducible, stratified permuted-block list with block sizes drawn at random
from the permitted set, plus an allocation summary, a plan file and the generating script.

Generation: the design of each scenario is fixed (2-arm 1:1 continuous, 3-arm 2:1:1 continuous
with the 2:1 primary comparison, 2-arm 1:1 binary with three stratification factors); the pilot
or historical data are drawn from the seed, and the reference planning value (pooled SD or
pooled control rate) is computed from them.

Grade: the planning value, the evaluable sample size recomputed for the method the submission
names (normal, t, pooled-normal with or without continuity correction, arcsine), the achieved
power, the dropout inflation and rounding, then the list: strata, balance of every block,
permitted and complete blocks, random block sizes (drawn, not taken in turn: how often a block
repeats the size of the one before it, against the binomial) and orders, list length per stratum,
randomisation numbers, agreement of the summary and the plan with the list, a re-run of the
submitted script in a sandbox that must reproduce the list exactly, and re-runs with 32 hidden seeds, each in
a sandbox of its own (the first three twice): each must give one valid list, new and drawn afresh (not the
submitted list or another seed's list with its blocks reordered, its arms relabelled or most allocations
kept, and sharing no run of 12 blocks or whole stratum with any other). A table of stored lists picked by the
seed repeats an entry among 33 lists unless it is large, and the script, plan and sample size file together
may hold only 8 KiB compressed, far more than a generator needs and far less than such a table. A script,
plan or sample size file holding any list the script writes (the submitted one or a hidden seed's) fails,
whether the list is kept as text, packed (base64 or hex, zlib, gzip, bz2 or lzma) or coded one symbol per
allocation (a real generator builds it).
"""
# ALE-CANARY-24df4d0a-58b7-4d11-9419-e997129687fd

import ast
import base64
import bz2
import contextlib
import csv
import json
import lzma
import math
import re
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import pairwise, permutations, product
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from lastexam.task import Grading, Params, as_number, write_csv

SCENARIOS: dict[str, dict[str, Any]] = {
    "glycaemic_two_arm": {
        "title": "A 26-week, randomised, double-blind, placebo-controlled, parallel-group trial of TRX-101 "
                 "25 mg once daily in adults with type 2 diabetes inadequately controlled on metformin",
        "phase": "2b",
        "arms": [{"name": "TRX-101 25 mg", "ratio": 1}, {"name": "Placebo", "ratio": 1}],
        "primary_comparison": {"experimental": "TRX-101 25 mg", "control": "Placebo"},
        "endpoint": {"type": "continuous", "name": "change from baseline in HbA1c (%) at week 26",
                     "difference": 0.4, "unit": "percentage-point", "direction": "reduction",
                     "sd_source": "pilot_study.csv"},
        "alpha": 0.05, "sides": 2, "power": 0.90, "dropout": 0.15,
        "factors": [
            {"name": "site", "levels": [["S01", "Site 01 (Leeds)", 0.30], ["S02", "Site 02 (Lyon)", 0.30],
                                        ["S03", "Site 03 (Porto)", 0.20], ["S04", "Site 04 (Graz)", 0.20]]},
            {"name": "baseline HbA1c", "levels": [["L", "HbA1c < 8.5%", 0.60], ["H", "HbA1c >= 8.5%", 0.40]]},
        ],
        "block_sizes": [4, 6], "capacity": 1.5,
        "pilot": {"arms": [("TRX-101", 28, -0.55), ("Placebo", 30, -0.12)], "sd": 1.05, "decimals": 1},
    },
    "pain_three_arm": {
        "title": "A 12-week, randomised, double-blind, placebo- and active-controlled trial of NXP-330 20 mg "
                 "in painful diabetic peripheral neuropathy",
        "phase": "3",
        "arms": [{"name": "NXP-330 20 mg", "ratio": 2}, {"name": "Duloxetine 60 mg", "ratio": 1},
                 {"name": "Placebo", "ratio": 1}],
        "primary_comparison": {"experimental": "NXP-330 20 mg", "control": "Placebo"},
        "endpoint": {"type": "continuous", "name": "change from baseline in weekly mean daily pain NRS (0-10) "
                     "at week 12", "difference": 1.0, "unit": "point", "direction": "reduction",
                     "sd_source": "pilot_study.csv"},
        "alpha": 0.05, "sides": 2, "power": 0.85, "dropout": 0.12,
        "factors": [
            {"name": "region", "levels": [["EU", "Europe", 0.40], ["NA", "North America", 0.35],
                                          ["AP", "Asia-Pacific", 0.25]]},
            {"name": "baseline pain", "levels": [["M", "NRS 4-6", 0.55], ["S", "NRS 7-10", 0.45]]},
        ],
        "block_sizes": [4, 8], "capacity": 1.5,
        "pilot": {"arms": [("NXP-330 10 mg", 21, -2.6), ("NXP-330 20 mg", 22, -2.9), ("Placebo", 22, -1.7)],
                  "sd": 2.2, "decimals": 1},
    },
    "response_binary": {
        "title": "A randomised, open-label trial of regimen A versus regimen B as first-line treatment of "
                 "advanced non-small-cell lung cancer",
        "phase": "2",
        "arms": [{"name": "Regimen A", "ratio": 1}, {"name": "Regimen B", "ratio": 1}],
        "primary_comparison": {"experimental": "Regimen A", "control": "Regimen B"},
        "endpoint": {"type": "binary", "name": "objective response rate (RECIST 1.1, blinded central review)",
                     "difference": 0.15, "direction": "increase", "control_rate_source": "historical_controls.csv"},
        "alpha": 0.05, "sides": 2, "power": 0.80, "dropout": 0.10,
        "factors": [
            {"name": "ECOG performance status", "levels": [["E0", "ECOG 0", 0.55], ["E1", "ECOG 1-2", 0.45]]},
            {"name": "histology", "levels": [["SQ", "squamous", 0.30], ["NS", "non-squamous", 0.70]]},
            {"name": "region", "levels": [["R1", "Europe / North America", 0.50], ["R2", "Asia-Pacific", 0.50]]},
        ],
        "block_sizes": [2, 4, 6], "capacity": 2.0,
        "historical": {"studies": ["HX-01", "HX-02", "HX-03", "HX-04", "HX-05"], "rate": 0.30},
    },
}

METHODS = {
    "continuous": ("t-test", "normal approximation"),
    "binary": ("pooled normal approximation", "pooled normal approximation with continuity correction", "arcsine"),
}
HIDDEN_SEEDS = 32  # seeds the script is re-run with: a table of stored lists picked by the seed repeats an entry
REPEATED_SEEDS = 3  # hidden seeds run twice (the list must come back the same)
FILES_BUDGET = 8192  # bytes, lzma-compressed, of the script, plan and sample size file together: a generator needs a
# fraction of it; a table of lists large enough to give 33 seeds 33 different entries does not fit
RESEEDED = ("the script, re-run with seeds it was never given, makes a different valid list for each, the same on "
            "every run")
STORED = "the script, the plan and the sample size file hold no stored copy of a list the script writes"
READ_FILES = ("generate_schedule.py", "randomization_plan.json", "sample_size.json")  # what the script may read
SCHEDULE_COLUMNS = ("stratum", "block_number", "block_size", "position", "randomization_number", "arm")


# --------------------------------------------------------------------------------------------
# sample size (the reference and the grader's recomputation)
# --------------------------------------------------------------------------------------------


def _z(alpha: float, sides: int) -> float:
    return float(stats.norm.ppf(1 - alpha / sides))


def achieved_power(method: str, design: dict[str, Any], n_c: float, n_e: float) -> float:
    """Power of the primary comparison with n_c control and n_e experimental evaluable patients."""
    za = _z(design["alpha"], design["sides"])
    delta = design["delta"]
    inv = 1 / n_e + 1 / n_c
    if method == "t-test":
        df = n_c + n_e - 2
        ncp = delta / (design["sd"] * math.sqrt(inv))
        crit = stats.t.ppf(1 - design["alpha"] / design["sides"], df)
        return float(stats.nct.sf(crit, df, ncp) + stats.nct.cdf(-crit, df, ncp))
    if method == "normal approximation":
        ncp = delta / (design["sd"] * math.sqrt(inv))
        return float(stats.norm.cdf(ncp - za) + stats.norm.cdf(-ncp - za))
    pc, pe = design["p_control"], design["p_control"] + delta
    if method == "arcsine":
        ncp = abs(2 * math.asin(math.sqrt(pe)) - 2 * math.asin(math.sqrt(pc))) / math.sqrt(inv)
        return float(stats.norm.cdf(ncp - za) + stats.norm.cdf(-ncp - za))
    pbar = (n_e * pe + n_c * pc) / (n_e + n_c)
    diff = abs(pe - pc) - (inv / 2 if "continuity" in method else 0.0)
    spread = math.sqrt(pe * (1 - pe) / n_e + pc * (1 - pc) / n_c)
    return float(stats.norm.cdf((diff - za * math.sqrt(pbar * (1 - pbar) * inv)) / spread))


def control_n(method: str, design: dict[str, Any]) -> int:
    """Smallest evaluable control-arm size for the method (experimental arm = k x control)."""
    k, za, zb = design["k"], _z(design["alpha"], design["sides"]), float(stats.norm.ppf(design["power"]))
    if method in ("pooled normal approximation", "pooled normal approximation with continuity correction"):
        pc = design["p_control"]
        pe, delta = pc + design["delta"], design["delta"]
        pbar = (k * pe + pc) / (k + 1)
        n0 = (za * math.sqrt((1 + 1 / k) * pbar * (1 - pbar)) + zb * math.sqrt(pe * (1 - pe) / k + pc * (1 - pc))) ** 2
        n0 /= delta**2
        if "continuity" in method:
            n0 = n0 / 4 * (1 + math.sqrt(1 + 2 * (k + 1) / (k * n0 * delta))) ** 2
        return math.ceil(n0 - 1e-9)
    n = 2
    while achieved_power(method, design, n, k * n) < design["power"]:
        n += 1
    return n


def randomized_total(evaluable: int, dropout: float, unit: int) -> int:
    """Smallest multiple of the allocation unit that is at least evaluable / (1 - dropout)."""
    return unit * math.ceil(evaluable / (1 - dropout) / unit - 1e-9)


def strata(sc: dict[str, Any]) -> dict[str, float]:
    """Stratum code (level codes joined by '-') -> expected share."""
    out = {}
    for combo in product(*[f["levels"] for f in sc["factors"]]):
        out["-".join(level[0] for level in combo)] = math.prod(level[2] for level in combo)
    return out


# --------------------------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------------------------


def _pilot(rng: np.random.Generator, spec: dict[str, Any], out: Path) -> float:
    """A pilot study's individual change scores; returns their pooled SD."""
    rows, groups = [], []
    pid = 1
    for arm, n, mean in spec["arms"]:
        values = np.round(rng.normal(mean, spec["sd"] * rng.uniform(0.9, 1.1), size=n), spec["decimals"])
        groups.append(values)
        for v in values:
            rows.append([f"P{pid:03d}", arm, f"{v:.{spec['decimals']}f}"])
            pid += 1
    write_csv(out / "pilot_study.csv", ["subject", "arm", "change_from_baseline"], rows)
    ss = sum(((g - g.mean()) ** 2).sum() for g in groups)
    return float(math.sqrt(ss / (sum(len(g) for g in groups) - len(groups))))


def _historical(rng: np.random.Generator, spec: dict[str, Any], out: Path) -> float:
    rows, n_all, r_all = [], 0, 0
    for study in spec["studies"]:
        n = int(rng.integers(40, 130))
        r = int(rng.binomial(n, spec["rate"] * rng.uniform(0.85, 1.15)))
        rows.append([study, "Regimen B", n, r])
        n_all, r_all = n_all + n, r_all + r
    write_csv(out / "historical_controls.csv", ["study", "arm", "evaluable", "responders"], rows)
    return r_all / n_all


def _synopsis(sc: dict[str, Any], protocol: str) -> str:
    arms = " : ".join(f"{a['name']} ({a['ratio']})" for a in sc["arms"])
    ep = sc["endpoint"]
    pc = sc["primary_comparison"]
    if ep["type"] == "continuous":
        assumption = (f"The clinically relevant difference is a {ep['difference']} {ep['unit']} greater "
                      f"{ep['direction']} with "
                      f"{pc['experimental']} than with {pc['control']}. The standard deviation of the endpoint is "
                      f"taken as the pooled within-arm SD of the pilot study ({ep['sd_source']}), unrounded.")
    else:
        assumption = (f"The response rate with {pc['control']} is taken as the pooled rate of the historical "
                      f"control cohorts ({ep['control_rate_source']}: total responders / total evaluable), "
                      f"unrounded; {pc['experimental']} is expected to raise it by {ep['difference']:.2f} "
                      "(absolute).")
    factors = "\n".join(
        f"  - {f['name']}: " + "; ".join(f"{code} = {label} (about {share:.0%} of patients)"
                                         for code, label, share in f["levels"])
        for f in sc["factors"])
    return f"""# Protocol synopsis: {protocol}

**Title.** {sc['title']}.

**Phase.** {sc['phase']}.

**Design.** Multicentre, randomised, parallel-group. Treatment arms and allocation ratio:
{arms}.

**Primary endpoint.** {ep['name'][0].upper() + ep['name'][1:]}.

**Primary comparison.** {pc['experimental']} versus {pc['control']}, tested at a {sc['sides']}-sided
significance level of {sc['alpha']} with {sc['power']:.0%} power.

**Planning assumptions.** {assumption}

**Dropout.** {sc['dropout']:.0%} of randomised patients are expected to be non-evaluable; the number
randomised must keep the evaluable sample size after dropout, and must be a multiple of the
allocation-ratio sum so that the arms keep the exact ratio.

**Randomisation.** Central, stratified by:

{factors}

Permuted blocks within each stratum; block sizes drawn at random, with equal probability, from
{{{', '.join(str(b) for b in sc['block_sizes'])}}}. Each stratum list must hold at least {sc['capacity']} times the
stratum's expected enrolment (randomised total x expected stratum share, rounded up), in
complete blocks.
"""


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    sc = SCENARIOS[params["scenario"]]
    rng = np.random.default_rng(params["seed"])
    ep = sc["endpoint"]
    design: dict[str, Any] = {"alpha": sc["alpha"], "sides": sc["sides"], "power": sc["power"],
                              "delta": ep["difference"]}
    ratios = {a["name"]: a["ratio"] for a in sc["arms"]}
    pc = sc["primary_comparison"]
    design["k"] = ratios[pc["experimental"]] / ratios[pc["control"]]
    if ep["type"] == "continuous":
        design["sd"] = _pilot(rng, sc["pilot"], input_dir)
    else:
        design["p_control"] = _historical(rng, sc["historical"], input_dir)

    parameters = {key: sc[key] for key in ("title", "phase", "arms", "primary_comparison", "endpoint", "alpha",
                                           "sides", "power", "dropout", "factors", "block_sizes")}
    parameters["protocol"] = params["protocol"]
    parameters["list_capacity_factor"] = sc["capacity"]
    parameters["stratum_code"] = "level codes joined by '-' in factor order, e.g. " + "-".join(
        f["levels"][0][0] for f in sc["factors"])
    parameters["randomization_number"] = "<stratum code>-<3-digit sequence within the stratum>"
    (input_dir / "design_parameters.json").write_text(json.dumps(parameters, indent=2) + "\n")
    (input_dir / "protocol_synopsis.md").write_text(_synopsis(sc, params["protocol"]))

    reference = {"design": design, "ratios": ratios, "control": pc["control"], "experimental": pc["experimental"],
                 "endpoint": ep["type"], "dropout": sc["dropout"], "block_sizes": sc["block_sizes"],
                 "capacity": sc["capacity"], "strata": strata(sc),
                 "control_n": {m: control_n(m, design) for m in METHODS[ep["type"]]},
                 "rerun_seeds": [int(np.random.default_rng([params["seed"], 1]).integers(1, 2**31)),
                                 *(int(x) for x in np.random.default_rng([params["seed"], 2]).integers(1, 2**31, 2)),
                                 *(int(x) for x in np.random.default_rng([params["seed"], 3]).integers(
                                     1, 2**31, HIDDEN_SEEDS - 3))]}
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=1))


# --------------------------------------------------------------------------------------------
# grading: sample size
# --------------------------------------------------------------------------------------------


def _arm_numbers(value: Any, arms: dict[str, int]) -> dict[str, float] | None:
    if not isinstance(value, dict):
        return None
    out = {}
    for name in arms:
        number = as_number(value.get(name))
        if number is None:
            return None
        out[name] = number
    return out


def _grade_sample_size(g: Grading, ref: dict[str, Any]) -> int | None:
    """Checks of sample_size.json; returns the randomised total the submission planned when it follows
    from a standard method and the dropout rule (else None)."""
    doc = g.read_json("sample_size.json", gate=False)
    if not isinstance(doc, dict):
        for name in ("planning value from the data", "evaluable sample size for the stated method",
                     "achieved power", "dropout inflation and allocation rounding"):
            g.check(name, False, weight=2.0 if "evaluable" in name else 1.0, reason="sample_size.json unreadable")
        return None
    design, ratios = ref["design"], ref["ratios"]
    assumptions = doc.get("assumptions") if isinstance(doc.get("assumptions"), dict) else {}
    key = "sd" if ref["endpoint"] == "continuous" else "p_control"
    want = design["sd"] if key == "sd" else design["p_control"]
    g.number("planning value from the data", assumptions.get(key), want, rel_tol=0.002, abs_tol=0.0005)

    method = str(doc.get("method", "")).strip().casefold()
    evaluable = _arm_numbers(doc.get("evaluable_per_arm"), ratios)
    in_ratio = evaluable is not None and all(
        math.isclose(evaluable[a] * ratios[ref["control"]], evaluable[ref["control"]] * ratios[a]) for a in ratios)
    target = ref["control_n"].get(method)
    n_c = evaluable[ref["control"]] if evaluable else None
    ok = target is not None and in_ratio and n_c is not None and target <= n_c <= target + 1
    evaluable_ok = ok
    g.check("evaluable sample size for the stated method", ok, weight=2.0,
            expected={"method": list(ref["control_n"]), "control_arm_n": ref["control_n"]},
            found={"method": doc.get("method"), "evaluable_per_arm": doc.get("evaluable_per_arm")},
            reason="" if ok else "method not one of the standard ones, arms not in the allocation ratio, "
                                 "or the evaluable number does not follow from the method")
    if target is not None and evaluable is not None and n_c and n_c > 0 and evaluable[ref["experimental"]] > 0:
        power = achieved_power(method, design, n_c, evaluable[ref["experimental"]])
        stated = as_number(doc.get("achieved_power"))
        tol = 0.02 if "continuity" in method else 0.01
        power_ok = stated is not None and abs(stated - power) <= tol and power >= design["power"] - 1e-9
        g.check("achieved power", power_ok, expected=round(power, 4), found=doc.get("achieved_power"))
    else:
        g.check("achieved power", False, reason="no recomputable method and arm sizes")

    total_eval = sum(evaluable.values()) if evaluable else None
    unit = sum(ratios.values())
    randomized = _arm_numbers(doc.get("randomized_per_arm"), ratios)
    stated_total = as_number(doc.get("randomized_total"))
    ok = False
    if total_eval is not None and randomized is not None and stated_total is not None:
        want_total = randomized_total(round(total_eval), ref["dropout"], unit)
        ok = stated_total == want_total and all(
            math.isclose(randomized[a], want_total * ratios[a] / unit) for a in ratios)
    g.check("dropout inflation and allocation rounding", ok,
            expected="smallest multiple of the ratio sum >= evaluable / (1 - dropout), split by the ratio",
            found={"randomized_total": doc.get("randomized_total"), "randomized_per_arm": doc.get("randomized_per_arm")})
    return int(stated_total) if ok and evaluable_ok and stated_total else None


# --------------------------------------------------------------------------------------------
# grading: the list
# --------------------------------------------------------------------------------------------


def _blocks(rows: list[dict[str, str]]) -> dict[tuple[str, str], list[dict[str, str]]]:
    blocks: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        blocks[(row["stratum"], row["block_number"])].append(row)
    return blocks


def _block_ok(rows: list[dict[str, str]], ratios: dict[str, int], sizes: list[int]) -> bool:
    size = as_number(rows[0]["block_size"])
    unit = sum(ratios.values())
    if size is None or int(size) not in sizes or len(rows) != size:
        return False
    positions = [as_number(r["position"]) for r in rows]
    if None in positions or sorted(positions) != list(range(1, int(size) + 1)):
        return False
    counts = Counter(r["arm"] for r in rows)
    return set(counts) <= set(ratios) and all(counts.get(a, 0) == size * q / unit for a, q in ratios.items())


def _orderings(size: int, ratios: dict[str, int]) -> int:
    """Distinct arm orders of a balanced block of ``size``."""
    unit = sum(ratios.values())
    return math.factorial(size) // math.prod(math.factorial(size * q // unit) for q in ratios.values())


@dataclass
class Finding:
    """One property of a randomisation list: its score in [0, 1] and the evidence behind it."""

    name: str
    score: float
    weight: float = 1.0
    details: dict[str, Any] = field(default_factory=dict)


SIZE_SEQUENCE_ALPHA = 1e-4  # a list drawn as asked fails this about once in five thousand
LONGEST_RING = 500  # blocks in a stratum, far above any list the design asks for
REWORK_MARGIN = 0.15  # agreement with another list above chance by this much: its allocations were kept, not drawn


def size_repeats(blocks: dict[tuple[str, str], list[dict[str, str]]], n_sizes: int) -> tuple[int, int, float]:
    """How often a block has the size of the block before it in its stratum, over how many neighbouring pairs,
    and the two-sided binomial p-value of that count when each size is drawn with probability 1 / n_sizes.
    Sizes taken in turn (4, 6, 4, 6...) never repeat; sizes run in batches nearly always do."""
    by_stratum: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for (stratum, number), rows in blocks.items():
        by_stratum[stratum].append((as_number(number) or 0.0, rows[0]["block_size"]))
    repeats = pairs = 0
    for sequence in by_stratum.values():
        sizes = [size for _, size in sorted(sequence)]
        pairs += len(sizes) - 1
        repeats += sum(a == b for a, b in pairwise(sizes))
    if pairs == 0 or n_sizes < 2:
        return repeats, pairs, 1.0
    p = 1 / n_sizes
    tail = min(float(stats.binom.cdf(repeats, pairs, p)), float(stats.binom.sf(repeats - 1, pairs, p)))
    return repeats, pairs, min(1.0, 2 * tail)


def list_findings(ref: dict[str, Any], rows: list[dict[str, str]], n_randomized: int) -> list[Finding]:
    """Strata, block balance, capacity, randomness and numbering of a list meant for ``n_randomized``."""
    ratios, sizes = ref["ratios"], ref["block_sizes"]
    expected_strata = ref["strata"]
    found_strata = {r["stratum"] for r in rows}
    findings = [Finding("strata are the full cross-classification of the factors",
                        float(found_strata == set(expected_strata)),
                        details={"expected": sorted(expected_strata), "found": sorted(found_strata)})]
    blocks = _blocks(rows)
    good = sum(_block_ok(b, ratios, sizes) for b in blocks.values())
    findings.append(Finding("every block is complete, of a permitted size and exactly balanced",
                            good / max(1, len(blocks)), 2.0,
                            {"expected": f"{len(blocks)} balanced blocks", "found": f"{good} balanced"}))

    per_stratum = Counter(r["stratum"] for r in rows)
    need = {s: math.ceil(ref["capacity"] * n_randomized * share - 1e-9) for s, share in expected_strata.items()}
    short = {s: (per_stratum.get(s, 0), n) for s, n in need.items() if per_stratum.get(s, 0) < n}
    findings.append(Finding("each stratum list covers its required capacity", float(not short),
                            details={"expected": need, "reason": f"short strata (have, need): {short}" if short else ""}))

    size_use = Counter(b[0]["block_size"] for b in blocks.values())
    shares = {s: size_use.get(str(s), 0) / max(1, len(blocks)) for s in sizes}
    patterns: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    counts: Counter[str] = Counter()
    for block in blocks.values():
        ordered = tuple(r["arm"] for r in sorted(block, key=lambda r: as_number(r["position"]) or 0))
        patterns[block[0]["block_size"]].add(ordered)
        counts[block[0]["block_size"]] += 1
    # orders are counted for the permitted sizes only (a size outside them already fails the block check)
    permitted = {str(s) for s in sizes}
    varied = all(len(patterns[s]) >= min(4, counts[s] // 3, _orderings(int(s), ratios))
                 for s in counts if counts[s] >= 8 and s in permitted)
    repeats, pairs, size_p = size_repeats(blocks, len(sizes))
    random_sizes = all(share >= 0.5 / len(sizes) for share in shares.values()) and size_p >= SIZE_SEQUENCE_ALPHA
    findings.append(Finding("block sizes and orders are randomised", float(random_sizes and varied), details={
        "expected": "every permitted size used, the sizes drawn (not taken in turn), many distinct within-block orders",
        "found": {"size_shares": {str(k): round(v, 3) for k, v in shares.items()},
                  "same_size_as_previous_block": f"{repeats} of {pairs}", "sequence_p": size_p,
                  "distinct_orders": {k: len(v) for k, v in patterns.items()}}}))

    numbers = [r["randomization_number"] for r in rows]
    well_formed = all(re.fullmatch(re.escape(r["stratum"]) + r"-\d{3,}", r["randomization_number"]) for r in rows)
    findings.append(Finding("randomisation numbers are unique and follow the format",
                            float(well_formed and len(set(numbers)) == len(rows)), details={"found": numbers[:3]}))
    return findings


def _grade_list(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]], n_randomized: int) -> None:
    for f in list_findings(ref, rows, n_randomized):
        g.check(f.name, f.score, weight=f.weight, **f.details)


def _grade_summary(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]]) -> None:
    summary = g.read_csv("allocation_summary.csv", required_columns=("stratum", "arm", "n_allocated"), gate=False)
    counts = Counter((r["stratum"], r["arm"]) for r in rows)
    expected = [{"stratum": s, "arm": a, "n_allocated": n} for (s, a), n in sorted(counts.items())]
    if summary is None:
        g.check("allocation summary matches the list", False, reason="allocation_summary.csv unreadable")
    else:
        g.table("allocation summary matches the list", summary, expected, key=("stratum", "arm"),
                columns={"n_allocated": 0.0}, partial=False)
    plan = g.read_json("randomization_plan.json", gate=False)
    per_stratum = Counter(r["stratum"] for r in rows)
    ok = isinstance(plan, dict) and isinstance(plan.get("seed"), int) and not isinstance(plan.get("seed"), bool)
    listed = plan.get("block_sizes") if isinstance(plan, dict) else None
    ok = ok and isinstance(listed, list) and sorted(as_number(b) or 0 for b in listed) == sorted(ref["block_sizes"])
    lengths = plan.get("list_length_per_stratum") if isinstance(plan, dict) else None
    ok = ok and isinstance(lengths, dict) and {k: as_number(v) for k, v in lengths.items()} == dict(per_stratum)
    g.check("randomisation plan records the seed, block sizes and list lengths", ok,
            expected={"block_sizes": ref["block_sizes"], "list_length_per_stratum": dict(per_stratum)},
            found=plan if isinstance(plan, dict) else None)


def _read_schedule(path: Path) -> list[tuple[str, ...]] | None:
    if not path.is_file():
        return None
    rows = csv.DictReader(path.read_text(errors="replace").splitlines())
    return [tuple((r.get(c) or "").strip() for c in SCHEDULE_COLUMNS) for r in rows]


def _blocks_by_stratum(rows: list[tuple[str, ...]]) -> dict[str, list[tuple[str, ...]]]:
    """Each stratum's blocks in block order, each block its arms in position order."""
    cells: dict[str, dict[float, list[tuple[float, str]]]] = defaultdict(lambda: defaultdict(list))
    for stratum, number, _size, position, _code, arm in rows:
        cells[stratum][as_number(number) or 0.0].append((as_number(position) or 0.0, arm))
    return {stratum: [tuple(arm for _, arm in sorted(block)) for _, block in sorted(blocks.items())]
            for stratum, blocks in cells.items()}


def _relabelled(arms: tuple[str, ...]) -> tuple[int, ...]:
    first: dict[str, int] = {}
    return tuple(first.setdefault(arm, len(first)) for arm in arms)


def _block_shape(arms: tuple[str, ...], largest: int) -> tuple[int, ...]:
    """A block's arm pattern whatever the arm names, the starting position and the direction."""
    if len(arms) > largest:
        return (-len(arms),)
    turns = [arms[i:] + arms[:i] for i in range(len(arms))]
    return min(_relabelled(t) for turn in turns for t in (turn, turn[::-1]))


def _ring(sizes: list[int]) -> tuple[int, ...]:
    """A sequence of block sizes whatever its starting block and direction (taken as it is when too long to turn)."""
    if len(sizes) > LONGEST_RING:
        return tuple(sizes)
    turns = [tuple(sizes[i:] + sizes[:i]) for i in range(len(sizes))]
    return min((t for turn in turns for t in (turn, turn[::-1])), default=())


@dataclass
class Outline:
    """What ``reworked`` compares of a list, worked out once: each stratum's block-size ring, its block shapes and
    its allocations in order."""

    rings: list[tuple[int, ...]]
    shapes: list[list[tuple[int, ...]]]
    allocations: dict[str, list[str]]


def outline(ref: dict[str, Any], rows: list[tuple[str, ...]]) -> Outline:
    blocks = _blocks_by_stratum(rows)
    largest = max(ref["block_sizes"])
    return Outline(sorted(_ring([len(x) for x in stratum]) for stratum in blocks.values()),
                   sorted(sorted(_block_shape(x, largest) for x in stratum) for stratum in blocks.values()),
                   {name: [arm for block in stratum for arm in block] for name, stratum in blocks.items()})


def reworked(ref: dict[str, Any], a: Outline, b: Outline) -> str:
    """Why the list outlined by ``b`` looks like that of ``a`` reworked (blocks reordered or reversed, arms
    relabelled, strata swapped, or most allocations kept in place) rather than drawn afresh; empty when the two
    lists look independent."""
    if a.rings == b.rings:
        return "the same block-size sequence in every stratum"
    if a.shapes == b.shapes:
        return "the same blocks in every stratum, reordered or relabelled"
    ratios = ref["ratios"]
    unit = sum(ratios.values())
    chance = sum((q / unit) ** 2 for q in ratios.values())
    pairs = [(x, y) for stratum in a.allocations.keys() & b.allocations.keys()
             for x, y in zip(a.allocations[stratum], b.allocations[stratum], strict=False)]
    best = 0.0
    for names in permutations(ratios):
        relabel = dict(zip(ratios, names, strict=True))
        if pairs and all(ratios[old] == ratios[new] for old, new in relabel.items()):
            best = max(best, sum(relabel.get(x) == y for x, y in pairs) / len(pairs))
    if best >= chance + REWORK_MARGIN:
        return f"{best:.0%} of the allocations agree position by position (chance {chance:.0%})"
    return ""


SHARED_BLOCKS = 12  # consecutive blocks two drawn lists share by chance once in ~10^5 gradings or less
SHORT_STRATUM = 8  # a stratum of fewer blocks than SHARED_BLOCKS is compared whole from this many blocks


def _runs(rows: list[tuple[str, ...]]) -> set[tuple[tuple[int, ...], ...]]:
    """Every run of SHARED_BLOCKS consecutive blocks of a list (a shorter stratum whole), whatever the arm names and
    the direction: what a list shares with another made from the same stored stratum or stretch of blocks."""
    runs = set()
    for blocks in _blocks_by_stratum(rows).values():
        width = min(len(blocks), SHARED_BLOCKS)
        if width < SHORT_STRATUM:
            continue
        for start in range(len(blocks) - width + 1):
            run = blocks[start:start + width]
            forms = (run, run[::-1], [block[::-1] for block in run[::-1]])
            runs.add(min(_relabelled_run(form) for form in forms))
    return runs


def _relabelled_run(blocks: list[tuple[str, ...]]) -> tuple[tuple[int, ...], ...]:
    first: dict[str, int] = {}
    return tuple(tuple(first.setdefault(arm, len(first)) for arm in block) for block in blocks)


ENCODED_RUN = re.compile(rb"[A-Za-z0-9+/=_-]{40,}")  # base64 or hex long enough to hold a list
DECODED_LIMIT = 1 << 23  # bytes decoded from one submitted file, far above a table of stored lists
CODED_WINDOW = 32  # allocations in a row written one symbol each: no text holds such a run by chance


def _unpacked(blob: bytes) -> list[bytes]:
    """What a base64 or hex run, or a zlib, gzip, bz2 or lzma stream, decodes to (nothing when it is neither)."""
    inner: list[bytes] = []
    if ENCODED_RUN.fullmatch(blob):
        for decode in (base64.b64decode, base64.urlsafe_b64decode, lambda b: bytes.fromhex(b.decode())):
            with contextlib.suppress(ValueError):
                inner.append(decode(blob))
    for stream in (lambda: zlib.decompressobj(47), lambda: zlib.decompressobj(-15), bz2.BZ2Decompressor,
                   lzma.LZMADecompressor):
        with contextlib.suppress(zlib.error, OSError, lzma.LZMAError, EOFError, ValueError):
            inner.append(stream().decompress(blob, DECODED_LIMIT))
    return [data for data in inner if len(data) >= 16]


def _literals(path: Path, data: bytes) -> list[bytes]:
    """A script's string and bytes literals, or a JSON file's strings, long enough to hold packed data, and the
    base64 or hex pieces among them joined in order (a packed list cut into short pieces)."""
    values: list[str | bytes] = []
    with contextlib.suppress(SyntaxError, ValueError, RecursionError):
        if path.suffix == ".py":
            constants = [c for c in ast.walk(ast.parse(data))
                         if isinstance(c, ast.Constant) and isinstance(c.value, str | bytes)]
            values = [c.value for c in sorted(constants, key=lambda c: (c.lineno, c.col_offset))]
        else:
            values = _json_strings(json.loads(data))
    chunks = [v if isinstance(v, bytes) else v.encode("latin-1" if max(map(ord, v)) < 256 else "utf-8", "replace")
              for v in values if v]
    pieces = b"".join(chunk for chunk in chunks if re.fullmatch(rb"[A-Za-z0-9+/=_-]+", chunk))
    return [chunk for chunk in chunks if len(chunk) >= 40] + [pieces] * (len(pieces) >= 40)


def _json_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in (key, *_json_strings(item))]
    if isinstance(value, list):
        return [text for item in value for text in _json_strings(item)]
    return []


def _decoded(path: Path) -> tuple[str, list[str]]:
    """A submitted file's text, and what the encoded or compressed runs in it and in its literals decode to, three
    levels down: a list kept as base64 of zlib is read as plainly as a list kept as text."""
    data = path.read_bytes() if path.is_file() else b""
    layer, found, size = [data, *_literals(path, data)], dict[bytes, None](), 0
    for _ in range(3):
        blobs = dict.fromkeys(blob for chunk in layer for blob in (chunk, *ENCODED_RUN.findall(chunk)))
        layer = []
        for inner in (inner for blob in blobs for inner in _unpacked(blob)):
            if size > DECODED_LIMIT:
                break
            if inner not in found:
                found[inner] = None
                layer.append(inner)
                size += len(inner)
    return data.decode("utf-8", errors="replace"), [chunk.decode("utf-8", errors="replace") for chunk in found]


def _coded_runs(rows: list[tuple[str, ...]], arms: list[str]) -> set[str]:
    """Each stratum's first allocations written one symbol per arm (a digit, a letter, the arm's initial or its
    name), every way of assigning the symbols, with nothing between them: how a list is kept once its
    randomisation numbers and arm names are stripped."""
    alphabets = [list("0123456789"), list("123456789"), list("abcdefghij")]
    initials = [arm.casefold()[:1] for arm in arms]
    names = [re.sub(r"[^0-9a-z]", "", arm.casefold()) for arm in arms]
    alphabets += [symbols for symbols in (initials, names) if len(set(symbols)) == len(arms) and all(symbols)]
    runs = set()
    for blocks in _blocks_by_stratum(rows).values():
        sequence = [arm for block in blocks for arm in block][:CODED_WINDOW]
        if len(sequence) < CODED_WINDOW or not set(sequence) <= set(arms):
            continue
        for symbols in alphabets:
            for order in permutations(symbols[:len(arms)]):
                code = dict(zip(arms, order, strict=True))
                runs.add("".join(code[arm] for arm in sequence))
    return runs


def _stored_copy(g: Grading, ref: dict[str, Any], lists: dict[str, list[tuple[str, ...]]]) -> str:
    """Why the files the script reads may hold stored lists: more than FILES_BUDGET compressed (room for a table of
    lists, however it is encoded), or one of the lists it wrote (the submitted one, or one it wrote for a hidden
    seed) as text or packed: its randomisation numbers, its arm names (a plan may name the arms), or its
    allocations coded one symbol each."""
    sizes = {name: g.output(name).stat().st_size if g.output(name).is_file() else 0 for name in READ_FILES}
    if sum(sizes.values()) > 32 * FILES_BUDGET:
        return f"the files the script reads hold {sum(sizes.values())} bytes: room for a table of lists"
    packed = sum(len(lzma.compress(g.output(name).read_bytes(), preset=9 | lzma.PRESET_EXTREME))
                 for name, size in sizes.items() if size)
    if packed > FILES_BUDGET:
        return (f"the files the script reads hold {packed} bytes compressed (a generator needs a fraction of "
                f"{FILES_BUDGET}): room for a table of lists")
    arms = list(ref["ratios"])
    coded = {label: _coded_runs(rows, arms) for label, rows in lists.items()}
    for name in READ_FILES:
        text, decoded = _decoded(g.output(name))
        texts = [text, *decoded]
        condensed = [re.sub(r"[^0-9a-z]", "", t.casefold()) for t in texts]
        for label, rows in lists.items():
            numbers = {row[4] for row in rows}
            enough = max(3, len(rows) // 10)
            for t in texts:
                held = sum(number in t for number in numbers)
                if held >= enough:
                    return f"{name} holds {held} of the randomisation numbers of {label}"
            for t in [text] * name.endswith(".py") + decoded:
                named = sum(t.count(arm) for arm in arms)
                if named >= enough:
                    return f"{name} names the arms {named} times"
            if any(run in t for run in coded[label] for t in condensed):
                return f"{name} holds the allocations of {label}, coded one symbol per arm"
    return ""


def _grade_reproducible(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]], n_randomized: int) -> None:
    """Re-run the script on the submitted plan (the list must come back identical), then on copies of the plan
    holding seeds the agent never saw, each in a sandbox of its own (the first few twice, the list the same on both
    runs): each must give a valid list by every check the submitted one passes, drawn afresh (not the submitted one
    or another seed's list reworked, and no stretch of blocks or stratum taken from another). The files the script
    reads must not hold the list itself, nor have room for a table of lists."""
    files: dict[str, Path | str] = {"generate_schedule.py": g.output("generate_schedule.py"),
                                    "design_parameters.json": g.input_dir / "design_parameters.json"}
    if g.output("sample_size.json").is_file():
        files["sample_size.json"] = g.output("sample_size.json")
    plan = g.read_json("randomization_plan.json", gate=False)
    submitted = [tuple(r[c] for c in SCHEDULE_COLUMNS) for r in rows]
    result = g.run_tool(["python3", "generate_schedule.py", "regenerated.csv"],
                        files={**files, "randomization_plan.json": g.output("randomization_plan.json")}, timeout=60)
    same = result.ok and _read_schedule(result.workdir / "regenerated.csv") == submitted
    g.check("the script regenerates the identical list", same, weight=1.5,
            reason="" if same else (result.stderr[-300:] or "output differs from randomization_schedule.csv"))
    lists: dict[str, list[tuple[str, ...]]] = {"the submitted list": submitted}
    if not isinstance(plan, dict):
        g.check(RESEEDED, False, weight=1.5, reason="randomization_plan.json unreadable")
        stored = _stored_copy(g, ref, lists)
        g.check(STORED, not stored, reason=stored)
        return
    hidden = [seed if seed != plan.get("seed") else seed + 1 for seed in ref["rerun_seeds"]]
    problems: list[str] = []
    seen = dict.fromkeys(_runs(submitted), "the submitted list")
    outlines = {"the submitted list": outline(ref, submitted)}
    for number, seed in enumerate(hidden):
        # a sandbox of its own for each seed: no run can learn which lists the others wrote
        runs = ["python3 generate_schedule.py a.csv", "python3 generate_schedule.py b.csv"][:1 + (number < REPEATED_SEEDS)]
        result = g.run_tool(["bash", "-c", " && ".join(runs)],
                            files={**files, "randomization_plan.json": json.dumps({**plan, "seed": seed})}, timeout=60)
        first = _read_schedule(result.workdir / "a.csv")
        if first is None:
            problems.append(f"the script failed with seed {seed}: {result.stderr[-300:]}")
            break
        if number < REPEATED_SEEDS and first != _read_schedule(result.workdir / "b.csv"):
            problems.append(f"two runs with seed {seed} gave different lists")
        again = [dict(zip(SCHEDULE_COLUMNS, row, strict=True)) for row in first]
        problems += [f"seed {seed}, {f.name}: fails" for f in list_findings(ref, again, n_randomized) if f.score < 1]
        label = f"the list for seed {seed}"
        outlines[label] = outline(ref, first)
        for name in lists:
            why = reworked(ref, outlines[name], outlines[label])
            if why:
                problems.append(f"the list for seed {seed} is {name} reworked: {why}")
        shared = {seen.setdefault(run, label) for run in _runs(first)} - {label}
        if shared and not problems:
            problems.append(f"the list for seed {seed} repeats {SHARED_BLOCKS} blocks in a row (or a whole stratum) "
                            f"of {min(shared)}")
        lists[label] = first
        if problems:
            break  # one seed failing fails the check: the remaining runs are not needed
    g.check(RESEEDED, not problems, weight=1.5, expected=f"a valid, reproducible, fresh list for each of {len(hidden)} "
            "hidden seeds, sharing no stratum or run of blocks with another",
            reason="; ".join(problems))
    stored = _stored_copy(g, ref, lists)
    g.check(STORED, not stored, reason=stored)


def grade(g: Grading) -> None:
    ref = g.reference_json("reference.json")
    if not g.require_files("sample_size.json", "randomization_schedule.csv", "allocation_summary.csv",
                           "randomization_plan.json", "generate_schedule.py"):
        return
    rows = g.read_csv("randomization_schedule.csv", required_columns=SCHEDULE_COLUMNS)
    if rows is None:
        return
    planned = _grade_sample_size(g, ref)
    unit = sum(ref["ratios"].values())
    reference_total = min(randomized_total(n * unit // ref["ratios"][ref["control"]], ref["dropout"], unit)
                          for n in ref["control_n"].values())
    n_randomized = planned or reference_total
    _grade_list(g, ref, rows, n_randomized)
    _grade_summary(g, ref, rows)
    _grade_reproducible(g, ref, rows, n_randomized)
