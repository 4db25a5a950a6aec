"""Pre-ship evaluation audit of the claim "model B beats model A".

Workflow: an ML engineer receives the labelled test set (content hashes and SimHashes of each item,
subgroup, label), the index of the training set, a validation split, both models' exported class
probabilities and the team's evaluation protocol. They remove test items leaked from training
(exact content hash, or SimHash within 3 bits), recompute accuracy, macro-F1 and ECE after temperature
scaling fitted on the validation split, paired bootstrap CIs of B - A and McNemar's exact test,
per-subgroup metrics with each model's worst group, draw the reliability diagram, and sign a verdict.

Variants: a binary moderation classifier where the claim holds; a 4-class router whose gain over A
exists only on the leaky test set (B memorised leaked items); a 6-class triage classifier that is far
worse calibrated raw but as good once temperature-scaled, so the calibration criterion flips with it.
``generate`` draws pools until the variant's story holds with margins (deterministic in the seed).

Grade: the reference is recomputed from the written inputs with numpy/scipy (``evalref``). The grader
checks the leakage set exactly, the counts, accuracy and macro-F1 (2e-4), the temperatures, the ECEs,
the CIs within a bootstrap tolerance and, separately, as the protocol's seeded resamples give them exactly, McNemar's counts and exact p, the subgroup table and worst
groups, the reliability table (and that it reproduces the reported ECE), that the PNG draws the
calibrated reliability curves of both models, the verdict (the note's Verdict lines, a "final verdict", a
"Conclusion:", "Summary:" or "In sum" line and the line under such a heading included, must state the JSON's, neither
hedged, contradicted, turned round as the rejection of a view nor put under a negated view of the claim failing ("I am
not persuaded that the claim does not hold"); "the claim fails", "stands", "is not supported" or "is false", a pronoun carrying on the claim ("...; it does not
hold"), a conclusion line opening with "it" or no subject ("Conclusion: it holds") and the claim in its own words ("B does
not beat A on the test set", "B has not been shown to beat A") state it too, B's lead conceded but called not significant,
put down to chance or to the leaked items ("B is better than A, though not significantly"; "B's win is only by chance")
states that the claim fails, one model named the better one ("A remains the better model"), bare, with any adverb or by
a verb ("A is still better", "B is truly the better model", "B wins") is the comparison, the difference between the models
put down to chance ("The difference between B and A is due to chance", "B only beats A by chance") states that the claim
fails, a concession that only calls the margin small ("A is worse than B, even though the margin is small") leaves the
comparison standing, a comparison opened by another criterion ("On calibration, A is better") states nothing, a negated
doubt ("There is no reason to doubt that B beats A") affirms the view it frames, a negated view of the claim holding
("There is no evidence that B beats A") states that it fails, and a predicate turning
a mention round ("that the claim holds is false") leaves it open; a mention limited to the leaky set, put as a counterfactual or as a modal caveat ("may not hold on other
data") explains the verdict and states none, and so does a sentence that opens on the leaky evaluation ("Before leakage
removal, B beats A; ..."); the models said to be even ("the two models are tied", "A is at least as good as B", "neither
model is better") or B's lead dismissed ("B's lead is spurious", "chance explains the difference") states that the claim
fails and B's own lead said real or significant that it holds, more verbs of ranking ("edges out", "is ahead of", "offers
no improvement over") make the comparison, unless another criterion opens it, a model ranked with no
second model named ("B is an upgrade", "B is clearly preferable", "A is the model to keep", "A gets my vote") is the
comparison, and so is a ranking noun phrase with the model after the verb ("the safer choice is A", "the better model is
B") and a gain had or denied ("B has no edge", "B keeps its lead"; "B's apparent gain evaporates" states that the claim
fails), and a stance on which model to run ("Ship B", "B should replace A", "keep A in production", "do not ship B",
"nobody should ship B", "switch production to B", "roll back to A", "retire A", "shipping B is premature", "put B into
production", "hold off on B", "the right call is to ship B", "I think the right call is to keep A", "my vote goes to A",
"cancel the B rollout", "B is not worth shipping") states the verdict it implies, but a stance against B until a step of
its rollout ("keep A until B's rollout", "do not ship B until the canary completes") is a plan, while one until B is remade
or shown better ("do not ship B until it is retrained") stands; B's gain said to survive the leaked items' removal is the
claim holding), and that the note's figures equal the JSON.
"""
# ALE-CANARY-5b9cc97a-8f9f-4311-85ed-79c88ddff72a

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, as_number, judge, normalize_text, write_csv

from . import evalref
from .simulate import SCENARIOS, simulate

PROTOCOL = {"max_hamming": 3, "bins": 15, "bootstrap_replicates": 2000, "bootstrap_seed": 20261204,
            "alpha": 0.05, "ece_margin": 0.01, "worst_group_margin": 0.02}
METRIC_TOL = 2e-4  # accuracy and F1 are exact once the item set is right: this is rounding to 4 decimals
ECE_TOL = 1.5e-3  # a temperature a little off the optimum moves a few items across bin edges
NOTE_TOL = 1e-4
SEEDED_CI_TOL = 1e-6  # the protocol pins the resamples (generator, seed, order): its CI is one number, not a band


# --------------------------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------------------------


def _story_holds(scenario: str, ref: dict[str, Any], leaky: dict[str, Any], data: dict[str, Any]) -> bool:
    """Whether a drawn pool tells the variant's story, with margins wide enough that an honest audit
    with another bootstrap generator or optimiser reaches the same verdict."""
    a, b, d = ref["models"]["A"], ref["models"]["B"], ref["difference"]

    def clear(r: dict[str, Any]) -> bool:
        """Every criterion that decides the verdict is far from its threshold: all of them when the claim
        holds, at least one failing one when it does not."""
        ra, rb, rd = r["models"]["A"], r["models"]["B"], r["difference"]
        p = r["mcnemar"]["p_value"]
        margins = [(rd["accuracy"]["ci_low"] > 0, abs(rd["accuracy"]["ci_low"]) > 0.004),
                   (p < PROTOCOL["alpha"], p < 0.01 or p > 0.2),
                   (rd["macro_f1"]["estimate"] > 0, abs(rd["macro_f1"]["estimate"]) > 0.004),
                   (rb["ece"] <= ra["ece"] + 0.01, abs(rb["ece"] - ra["ece"] - 0.01) > 0.004),
                   (rb["worst_subgroup_accuracy"] >= ra["worst_subgroup_accuracy"] - 0.02,
                    abs(rb["worst_subgroup_accuracy"] - ra["worst_subgroup_accuracy"] + 0.02) > 0.01)]
        if r["claim_holds"]:
            return all(wide for _, wide in margins)
        return any(wide and not met for met, wide in margins)

    keep = np.ones(len(data["test_y"]), dtype=bool)
    keep[[int(i) for i in ref["leaked"]]] = False
    groups = np.asarray(data["test_group"])[keep]
    k = len(data["classes"])
    every_class = all(len(set(data["test_y"][keep][groups == g])) == k for g in set(groups))
    distinct = (max(abs(m["ece"] - m["ece_uncalibrated"]) for m in (a, b)) > 0.005
                and max(abs(m["macro_f1"] - m["accuracy"]) for m in (a, b)) > 0.003)
    if not (every_class and distinct and clear(ref)):
        return False
    if scenario == "moderation":
        return ref["claim_holds"]
    if scenario == "routing":
        return clear(leaky) and leaky["claim_holds"] and not ref["claim_holds"] and d["accuracy"]["ci_low"] < 0
    return (ref["claim_holds"] and b["ece_uncalibrated"] > a["ece_uncalibrated"] + PROTOCOL["ece_margin"] + 0.01)


def _audits(scenario: str, data: dict[str, Any], protocol: dict[str, Any],
            leaked: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The audit of the clean test set and, for the leakage story, of the leaky one."""
    ref = evalref.audit(data, protocol, leaked=leaked)
    return ref, evalref.audit(data, protocol, remove_leaks=False, leaked=leaked) if scenario == "routing" else ref


def _protocol_text(params: Params, names: dict[str, str]) -> str:
    p = PROTOCOL
    classes = ", ".join(f"`{c}`" for c in params["classes"])
    return f"""# Evaluation protocol: {params["task_name"]}

Claim under audit: **model B (`{names["B"]}`) beats model A (`{names["A"]}`, in production)**
on the held-out test set. Classes: {classes}.

1. **Leakage.** Remove from the test set every item that also occurs in the training set:
   an *exact* match has the same `content_sha256` as a training item; a *near* duplicate has no
   exact match but a 64-bit `simhash64` within Hamming distance {p["max_hamming"]} (inclusive) of some
   training item's. Hashes compare case-insensitively. The validation split is used as it is.
2. **Metrics** on the remaining test items, per model: accuracy; macro-F1 = the unweighted mean over
   all classes of F1_k = 2TP_k / (2TP_k + FP_k + FN_k); the predicted class is the arg-max probability.
3. **Calibration.** Fit one temperature T per model on the validation split by minimising the mean
   negative log-likelihood of softmax(ln p / T), where p are the exported probabilities. Expected
   calibration error (ECE) is top-label ECE over {p["bins"]} equal-width confidence bins, right-closed
   ((k-1)/{p["bins"]}, k/{p["bins"]}] for bin k = 1..{p["bins"]}: sum over bins of (n_bin / n) * |accuracy_bin -
   mean confidence_bin|. ECE is compared after temperature scaling; report the uncalibrated ECE too.
4. **Uncertainty.** Differences are B minus A. 95% CIs of the accuracy and macro-F1 differences by the
   paired percentile bootstrap: {p["bootstrap_replicates"]} resamples of the evaluated items (the same
   resampled items for both models), drawn as `numpy.random.default_rng({p["bootstrap_seed"]}).integers(0, n,
   size=({p["bootstrap_replicates"]}, n))` over the evaluated items in `test_set.csv` order; percentiles 2.5 and 97.5
   (numpy's default linear interpolation). Significance: McNemar's exact test (two-sided binomial on the
   discordant pairs).
5. **Subgroups.** Accuracy and macro-F1 per subgroup; a model's worst subgroup is the one with its
   lowest accuracy.
6. **Decision rule.** The claim holds only if all of: the accuracy-difference CI lies above 0; McNemar
   p < {p["alpha"]}; B's macro-F1 is higher; B's calibrated ECE is at most A's + {p["ece_margin"]}; B's
   worst-subgroup accuracy is at least A's worst-subgroup accuracy - {p["worst_group_margin"]}.
"""


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    scenario, classes = params["scenario"], list(params["classes"])
    seed = int(params["seed"])
    screen = {**PROTOCOL, "bootstrap_replicates": 200}  # a cheap first look before the full audit
    for attempt in range(200):
        data = simulate(scenario, classes, np.random.default_rng([seed, attempt]))
        leaked = evalref.leakage(data["test_sha"], data["test_simhash"], data["train_sha"], data["train_simhash"],
                                 PROTOCOL["max_hamming"])
        if scenario == "routing" and not _story_holds(scenario, *_audits(scenario, data, screen, leaked), data):
            continue
        ref, leaky = _audits(scenario, data, PROTOCOL, leaked)
        if _story_holds(scenario, ref, leaky, data):
            break
    else:
        raise RuntimeError(f"no pool told the {scenario} story in 200 draws")
    rng = np.random.default_rng([seed, attempt, 7])
    names = SCENARIOS[scenario]["model_names"]
    test_ids = [f"te-{i + 1:05d}" for i in range(len(data["test_y"]))]
    val_ids = [f"va-{i + 1:05d}" for i in range(len(data["val_y"]))]
    write_csv(input_dir / "test_set.csv", ["item_id", "content_sha256", "simhash64", "subgroup", "label"],
              [(i, sha, f"{int(sim):016x}", g, classes[y]) for i, sha, sim, g, y in
               zip(test_ids, data["test_sha"], data["test_simhash"], data["test_group"], data["test_y"], strict=True)])
    write_csv(input_dir / "validation_set.csv", ["item_id", "subgroup", "label"],
              [(i, g, classes[y]) for i, g, y in zip(val_ids, data["val_group"], data["val_y"], strict=True)])
    sources = ["forum_dump_2025q4", "vendor_batch_07", "crowd_labels_v3", "prod_sample_2026h1"]
    write_csv(input_dir / "train_index.csv", ["train_id", "source", "content_sha256", "simhash64"],
              [(f"tr-{j + 1:06d}", sources[j % len(sources)], sha.upper(), f"0x{int(sim):016X}")
               for j, (sha, sim) in enumerate(zip(data["train_sha"], data["train_simhash"], strict=True))])
    for m, fname in (("A", "predictions_model_a.csv"), ("B", "predictions_model_b.csv")):
        rows = [(i, *(f"{v:.6f}" for v in p)) for i, p in zip(test_ids, data["test_probs"][m], strict=True)]
        rows += [(i, *(f"{v:.6f}" for v in p)) for i, p in zip(val_ids, data["val_probs"][m], strict=True)]
        order = rng.permutation(len(rows))
        write_csv(input_dir / fname, ["item_id", *(f"p_{c}" for c in classes)], [rows[j] for j in order])
    (input_dir / "evaluation_protocol.md").write_text(_protocol_text(params, names), encoding="utf-8")

    ref["leaked"] = {test_ids[int(i)]: kind for i, kind in ref["leaked"].items()}
    ref["classes"] = classes
    (reference_dir / "reference.json").write_text(json.dumps(ref, indent=1), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# grading
# --------------------------------------------------------------------------------------------

FILES = ("metrics.json", "leakage.csv", "subgroups.csv", "reliability.csv", "reliability.png", "audit_note.md")


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _close(found: Any, expected: float, tol: float) -> bool:
    value = as_number(found)
    return value is not None and math.isclose(value, expected, abs_tol=tol, rel_tol=0.0)


def _record(g: Grading, name: str, pairs: list[tuple[str, Any, float, float]], weight: float = 1.0) -> None:
    bad = [f"{label}={found!r} want {want:.6g} (tol {tol:g})" for label, found, want, tol in pairs
           if not _close(found, want, tol)]
    g.check(name, not bad, weight=weight, expected={label: round(want, 6) for label, _, want, _ in pairs},
            found={label: found for label, found, _, _ in pairs}, reason="; ".join(bad[:4]))


def _reliability_verdict(found: dict[str, str], want: dict[str, Any]) -> bool | str:
    count = as_number(found.get("count"))
    if count is None or abs(count - want["count"]) > 1:
        return f"count {found.get('count')!r} want {want['count']}"
    if want["count"] == 0:
        return True
    if not _close(found.get("mean_confidence"), want["mean_confidence"], 2e-3):
        return f"mean_confidence {found.get('mean_confidence')!r} want {want['mean_confidence']:.4f}"
    if not _close(found.get("accuracy"), want["accuracy"], 1.0 / want["count"] + 1e-6):
        return f"accuracy {found.get('accuracy')!r} want {want['accuracy']:.4f}"
    return True


def _ece_from_rows(rows: list[dict[str, str]], model: str) -> float | None:
    mine = [r for r in rows if normalize_text(r.get("model")) == model.casefold()]
    counts = [as_number(r.get("count")) or 0.0 for r in mine]
    total = sum(counts)
    if not total:
        return None
    ece = 0.0
    for r, n in zip(mine, counts, strict=True):
        if n:
            acc, conf = as_number(r.get("accuracy")), as_number(r.get("mean_confidence"))
            if acc is None or conf is None:
                return None
            ece += n / total * abs(acc - conf)
    return ece


_NUMBER = re.compile(r"[-+\u2212]?\d+(?:\.\d+)?(?:[eE][-+\u2212]?\d+)?")


def _note_numbers(text: str) -> list[float]:
    values = []
    for match in _NUMBER.finditer(text.replace(",", "")):
        value = as_number(match.group().replace("\u2212", "-"))
        if value is not None:
            values += [value, value / 100]
    return values


# "the claim holds" / "the claim does not hold": a negation between the claim and "hold" denies it, a modal there
# leaves it open, and so does a frame that turns the sentence round ("it is not the case that the claim holds") or
# negates the view it states ("I am not persuaded that the claim holds", "I don't think the claim holds")
_CLAIM_HOLDS = re.compile(r"\bclaim\b((?:\W+\w+){0,3}?)\W+(?:(?P<holds>holds?|(?<!\bas it )stands?|upheld|supported"
                          r"|confirmed|sustained|true|valid|correct|justified|warranted|proven|borne\s+out|established"
                          r"|demonstrated|substantiated)|fails?"
                          r"|falls?(?!\s+(?:within|under|into|in|back)\b)|collapses?|rejected|refuted|unsupported|false|untrue"
                          r"|invalid|incorrect|wrong|unfounded|unjustified|unproven|unsubstantiated|undemonstrated)\b")
# a mention that a predicate turns round ("that the claim does not hold is false") states no verdict
_TURNED_AFTER = re.compile(r"\W+(?:is|was)\s+(?:false|wrong|incorrect|untrue|mistaken|not\s+(?:true|correct|right|the\s+case))\b")
# the claim in its own words, unqualified to the end of its clause but for the evaluated set ("B beats A", "model B
# does not outperform model A on the clean set", "the new model is not better than production on the test set", "B has
# not been shown to beat A") is read as "the claim holds" with the words between, and so is "A is worse than B"; the
# other way round ("A beats B", "B is worse than A") it is read as "the claim fails", and negated it says neither ("A
# does not beat B" leaves a tie open)
_MODEL_B = r"(?:model\s+b|b|the\s+(?:new|candidate|challenger)(?:\s+(?:model|classifier))?|the\s+candidate|the\s+challenger)"
_MODEL_A = (r"(?:model\s+a|a|(?:the\s+)?production(?:\s+(?:model|classifier))?"
            r"|the\s+(?:baseline|incumbent|current|existing|old)(?:\s+(?:model|classifier))?)")

# the verbs of a deployment stance, shared by every reader below ("ship B", "the model to keep is A", "hold off on B")
_SHIP = (r"ship(?:ping)?|deploy(?:ing)?|releas(?:e|ing)|launch(?:ing)?|promot(?:e|ing)|roll(?:ing)?\s+out|adopt(?:ing)?"
         r"|approv(?:e|ing)|green-?light(?:ing)?|go(?:ing)?\s+with|choos(?:e|ing)|prefer(?:ring)?"
         r"|(?:go(?:ing)?|mov(?:e|ing)|press(?:ing)?|push(?:ing)?)\s+(?:ahead|forward)\s+with|proceed(?:ing)?\s+with"
         r"|vot(?:e|ing)\s+for|opt(?:ing)?\s+for|sid(?:e|ing)\s+with|settl(?:e|ing)\s+on|favou?r(?:ing)?|pick(?:ing)?")
# a move to a model ("switch production to B", "roll back to A", "stay on A") is for it whichever model it names
_MOVE_TO = (r"(?:switch|mov|migrat|cut|roll|revert|fall|go|return|stay|remain|stick|continu)(?:e|es|ed|ing|s)?"
            r"(?:\s+(?:production|prod|traffic|serving|users|everything|all\s+traffic))?\s+(?:over\s+|back\s+)?(?:to|on|with)")
# a model put into production ("put B into production", "bring A back to production") is for it
_PUT_IN = r"(?:put|bring|push|get|move)(?:s|ting|ing|ging)?"
_KEEP = (r"keep(?:ing)?(?:\s+using)?|retain(?:ing)?|continu(?:e|ing)\s+using")
# a verb against the model it names ("retire A", "drop B", "hold off on B") is for the other one
_HOLD_OFF = (r"hold(?:ing)?\s+(?:off|back)(?:\s+on)?|paus(?:e|ing)|halt(?:ing)?|block(?:ing)?|veto(?:ing)?|delay(?:ing)?"
             r"|postpon(?:e|ing)|defer(?:ring)?|freez(?:e|ing)|put(?:ting)?\s+on\s+hold")
_DROP = (r"retir(?:e|ing)|decommission(?:ing)?|sunset(?:ting)?|phas(?:e|ing)\s+out|deprecat(?:e|ing)|drop(?:ping)?"
         r"|reject(?:ing)?|abandon(?:ing)?|shelv(?:e|ing)|scrap(?:ping)?|cancel(?:l?ing)?|abort(?:ing)?|stop(?:ping)?"
         rf"|kill(?:ing)?|call(?:ing)?\s+off|withdraw(?:ing)?|{_HOLD_OFF}")
# a gain named with "no" before it ("B offers no improvement over A", "B offers nothing over A") is denied like a "not"
# among the words between
_BETTER = (r"beats?|outperforms?|(?:is\s+)?(?:better|stronger|more\s+accurate)\s+than|superior\s+to|preferable\s+to"
           r"|improves?\s+(?:on|upon)|edges?\s+(?:out|past)|(?:is\s+)?ahead\s+of|leads|tops|bests|surpasses|exceeds"
           r"|outscores|outclasses|wins?\s+(?:over|against)|(?:offers?|brings?|shows?|provides?|delivers?|has|gives?"
           r"|yields?|achieves?|adds?)\s+(?:(?:(?P<none>no)\s+|an?\s+|any\s+)?(?:[\w-]+\s+){0,2}?(?:improvement|gain|advantage"
           r"|edge|lead)|(?P<nothing>nothing|little))\s+(?:over|on)")
_WORSE = (r"(?:is\s+)?(?:worse|weaker|less\s+accurate)\s+than|inferior\s+to|underperforms?|trails?|lags?(?:\s+behind)?"
          r"|(?:is\s+)?behind|loses?\s+to|falls?\s+short\s+of")
_CLEAN_SET = (r"(?:\s+(?:on|over|across)\s+(?:the\s+)?(?:(?:clean(?:ed)?|evaluated|deduplicated|decontaminated|filtered"
              r"|remaining|held[\s-]out)\s+(?:test\s+)?|test\s+)(?:set|items|data|split)"
              r"|\s+after\s+(?:the\s+)?(?:leak\w*\s+)?(?:removal|dedup\w*|decontamination))?")
_SHOWN_TO = r"(?:(?:be(?:en)?\s+)?(?:shown|proven|proved|demonstrated|established|found|confirmed)\s+to\s+(?:be\s+)?)?"
_NOISE_WORD = r"(?:chance|noise|luck|randomness|a\s+fluke|sampling\s+(?:noise|error|variation)|(?:the\s+)?margin\s+of\s+error)"
_NOISE = rf"(?:[\w-]+\s+){{0,2}}?{_NOISE_WORD}\b"
_CAUSED_BY = r"by|due\s+to|down\s+to|owing\s+to|thanks\s+to|because\s+of|explained\s+by|attributable\s+to"
# a comparison put down to chance as it ends ("B beats A only by chance") is the claim failing
_PUT_DOWN_TO_CHANCE = rf"(?:{_CAUSED_BY})\s+{_NOISE}"
_CHANCE_ENDS = rf"\s+(?:(?:only|merely|purely|just|simply)\s+)?{_PUT_DOWN_TO_CHANCE}"
_CLAUSE_ENDS = _CLEAN_SET + (rf"(?={_CHANCE_ENDS}|\s*(?:[.;:!?\u2014]|$)|,?\s+(?:and|but|so|yet|(?:even\s+)?though|even\s+if"
                             r"|although|albeit)\b"
                             r"|,?\s+(?:not|only)\b)")
_COMPARISON = re.compile(rf"\b(?:(?P<b>{_MODEL_B})|(?P<a>{_MODEL_A}))((?:\W+\w+){{0,3}}?)\W+{_SHOWN_TO}(?:(?P<better>{_BETTER})"
                         rf"|{_WORSE})\s+(?:(?P<b2>{_MODEL_B})|{_MODEL_A}){_CLAUSE_ENDS}")


# B's lead over A conceded but denied significance or put down to the leaked items ("B is better than A, but not
# significantly", "..., but only because of leaked items", "..., but the gain vanishes after leakage removal") is the
# claim failing; called nominal or slight ("B is numerically better than A"), or conceded before a verdict on the claim
# ("B beats A, but the claim does not hold"), it is neither
_CONCEDED = re.compile(r"[\s,;:\u2014-]*(?:(?:but|yet|(?:even\s+)?though|even\s+if|although|albeit)\b|(?=(?:not|only)\b))"
                       r"((?:(?![.;!?](?:\s|$)).)*)")
_INSIGNIFICANT = (r"(?:(?:\b(?:not|no|never)\b|n['\u2019]t)(?:\W+(?!but\b|rather\b)\w+){0,3}?\W+|(?<!not )(?<!n't )\b(?:in|non-?))"
                  r"significan(?:t|tly|ce)\b(?:\s+so)?(?:\s+(?:at|under|by)\s+the\s+[\w\s%-]*?)?\s*(?:$|[(,;:\u2014-])")
_FROM_LEAKS = (r"(?<!not )\b(?:only\s+(?:on|over|with|because|thanks|due|through|before|from|by)|due\s+to|because\s+of"
               r"|driven\s+by|explained\s+by|owing\s+to|attributable\s+to|comes?\s+from)\b.*?"
               r"\b(?:leak|contaminat|memori[sz]|unfiltered|uncleaned|duplicat)")
_NOT_ON_CLEAN = (r"(?:\bnot\s+(?:after|once|when|on|over|across|in)\b|(?<!not )(?<!never )(?<!n't )(?<!n\u2019t )"
                 r"\b(?:vanish|disappear|evaporat)\w*).*?\b(?:leak|clean|evaluated|dedup|decontaminat|filtered|remov)")
# put down to chance ("..., though only by chance", "... within the noise"), unless negated or hedged before it
_BY_CHANCE = (r"^(?:(?!\b(?:not|no|never|may|might|could|possibly|perhaps)\b|n['\u2019]t\b).)*?"
              rf"\b(?:{_CAUSED_BY}|within)\s+{_NOISE}")
# dismissed as a fluke or as not real ("B's lead is spurious", "..., but it is a fluke")
_DISMISSED = (r"(?:(?:just|merely|only|simply|nothing\s+but|largely|entirely)\s+)?(?:an?\s+(?:statistical\s+|mere\s+"
              r"|pure\s+)?(?:fluke|coincidence|illusion|mirage|art[ei]fact)|spurious|illusory|not\s+(?:real|genuine)"
              r"|(?:random\s+|sampling\s+|statistical\s+)?noise|(?:pure\s+|random\s+)?(?:chance|luck))")
_UNDERCUT = re.compile(rf"{_INSIGNIFICANT}|{_FROM_LEAKS}|{_NOT_ON_CLEAN}|{_BY_CHANCE}"
                       rf"|\b(?:it|this|that)(?:['\u2019]s|\s+is|\s+was)\s+{_DISMISSED}\b")
# chance denied ("..., though not by chance", "..., not just by chance") affirms the lead
_NOT_CHANCE = re.compile(rf"\s*not\s+(?:(?:just|merely|only|simply|purely)\s+)?{_PUT_DOWN_TO_CHANCE}")
_NOMINAL = re.compile(r"\b(?:nominally|numerically|slightly|marginally)\b")
# a concession that only calls the lead small ("..., even though the margin is small", "..., if only slightly") leaves it
# standing
_SMALL = r"(?:small|narrow|slim|slight|modest|thin|tight|tiny|minor|limited)"
_ONLY_SMALL = re.compile(rf"\s*(?:(?:the\s+)?(?:margin|gap|difference|lead|gain|improvement|advantage|edge)\s+(?:is|was|remains"
                         rf"|stays)\s+(?:(?:quite|rather|very|fairly|relatively|only|still)\s+)*{_SMALL}"
                         rf"|(?:only\s+)?(?:slightly|marginally|narrowly|modestly|(?:by\s+)?(?:a\s+)?{_SMALL}\s+(?:margin|amount)))\s*$")
_ONLY_WORDS = re.compile(r"\s+(?:only|merely|just|simply|purely)\b")
# a comparison opened by another criterion than the claim ("On calibration, A is better") is about that criterion
_ASPECT = r"\b(?:calibrat|ece\b|f1|macro|subgroup|worst|confidence|precision|recall|latency|speed|cost)"
_ASPECT_FIRST = re.compile(rf"(?:^|[.;:!?,]\s*)(?:(?:on|in|for|by|regarding|as\s+for|in\s+terms\s+of|with\s+respect\s+to"
                           rf"|when\s+it\s+comes\s+to)\s+(?:(?!accura|overall|all\b|every|both)[\w-]+\s+){{0,3}}?{_ASPECT}"
                           rf"[\w-]*|{_ASPECT}[\w-]*-wise)\s*,?\s*$")


def _about_another_criterion(match: re.Match) -> bool:
    return bool(_ASPECT_FIRST.search(match.string, 0, match.start()))


# one model named the better or the worse one ("A remains the better model", "B is the stronger of the two", "A is
# still better", "B is truly the better model", "B wins", "A performs worse", "B is clearly preferable", "B is an
# upgrade", "A is the model to keep", "B is a downgrade from A") is read as the comparison with the other; any adverb
# may qualify it (a hedging or nominal one is read as such in the comparison)
_RANKED = (r"(?:(?P<adjective{2}>the\s+(?:{0})(?:\s+(?:model|classifier|one|system|choice))?"
           r"(?:\s+of\s+the\s+two(?:\s+(?:models|classifiers))?)?|{0})|(?:performs?|performed|does|did|scores?|scored)\s+(?:{1}))")
# a choice named by a ranking noun phrase ("the safer choice", "the model to keep", "the model to retire")
_GOOD_CHOICE = r"(?:the|our|my)\s+(?:(?:clear|obvious|overall)\s+)?(?:better|stronger|superior|best|preferred|right|safer|safe|obvious|wiser)"
_BAD_CHOICE = r"the\s+(?:(?:clear|obvious|overall)\s+)?(?:worse|weaker|inferior|worst|riskier)"
_CHOICE_NOUN = r"(?:model|classifier|one|system|choice|option|pick|bet|call)"
_MODEL_TO_RUN = rf"the\s+(?:model|one|classifier|system)\s+to\s+(?:{_SHIP}|{_KEEP}|use|run|pick|trust|back)"
_MODEL_TO_DROP = rf"the\s+(?:model|one|classifier|system)\s+to\s+(?:{_DROP}|replace|avoid)"
_STEP = r"an?\s+(?:(?:clear|real|genuine|definite|significant|meaningful|big|major|solid|small|slight|marginal)\s+)?"
_PREFERRED = (rf"better|stronger|superior|best|(?:clear +)?winner|preferable|preferred|{_STEP}(?:upgrade|step\s+(?:up|forward))"
              rf"|{_MODEL_TO_RUN}|{_GOOD_CHOICE}\s+{_CHOICE_NOUN}")
_DISPREFERRED = rf"worse|weaker|inferior|worst|{_STEP}(?:downgrade|step\s+(?:back(?:wards?)?|down))|{_MODEL_TO_DROP}"
# a gain had or denied with no second model named ("B has no edge", "B keeps its lead", "B adds nothing"); a nominal
# or leaky one ("B has a slight edge", "B's apparent gain") says neither
_GAIN_HELD = (r"(?:has|have|had|offers?|offered|brings?|brought|shows?|showed|shown|provides?|provided|delivers?|delivered"
              r"|gives?|gave|given|yields?|yielded|achieves?|achieved|adds?|added|holds?|held|keeps?|kept|retains?|retained)"
              r"\s+(?:(?P<no_gain>no)\s+|an?\s+|any\s+|the\s+|its\s+)?(?P<gain_words>(?:[\w-]+\s+){0,2}?)"
              r"(?:improvement|gain|advantage|edge|lead|benefit|uplift|upper\s+hand)s?"
              r"|(?:offers?|brings?|adds?|gives?)\s+(?P<nothing_added>nothing|little)")
_NOMINAL_GAIN = re.compile(r"\b(?:nominal|numerical|slight|marginal|small|tiny|apparent|raw|original|initial|reported|leaky)\b")
_BETTER_MODEL = re.compile(rf"\b(?:(?P<b>{_MODEL_B})|{_MODEL_A})(?P<words>(?:\s+(?:is|was|remains|remained|stays|still|overall"
                           r"|also|now|not|no|longer|has|have|had|does|did|do|[a-z]+ly)(?:n['\u2019]t)?)*)\s+"
                           rf"(?:(?P<better>{_RANKED.format(_PREFERRED, 'better', '')}|wins|won|comes\s+out\s+(?:ahead|on\s+top)"
                           rf"|gets\s+(?:my|our)\s+vote|{_GAIN_HELD})"
                           rf"|{_RANKED.format(_DISPREFERRED, 'worse', '_worse')}|loses|lost)"
                           rf"(?:\s+(?:over|on|upon|from|to)\s+(?:{_MODEL_A}|{_MODEL_B}))?(?:\s+overall)?(?={_CLAUSE_ENDS})")
# B's lead as the subject, put down to chance or the leaked items, or said not significant or gone once they are
# removed ("B's win is only by chance", "B's advantage over A is due to leaked items"), is the claim failing, and so
# is the difference between the models ("the difference between B and A is due to chance"); B's own lead said real or
# significant ("B's gain over A is significant") is the claim holding
# a lead that lasts through the leaked items' removal ("B's gain survives leakage removal") is said real
_SURVIVES = (r"(?:survives?|persists?|holds?\s+up|stands?|remains?|stays?)(?:\s+(?:(?:after|through|once|beyond|despite)\s+)?"
             r"(?:the\s+)?(?:[\w-]+\s+){0,2}?(?:leak|clean|dedup|decontaminat|filter|remov)\w*(?:\s+(?:removal|set|data|items))?)?")
_LEAD = re.compile(rf"\b(?:(?P<own>{_MODEL_B}['\u2019]s)\s+(?:[\w-]+\s+){{0,2}}?|the\s+(?:[\w-]+\s+){{0,2}}?)(?:win|lead|advantage|gain"
                   rf"|edge|improvement|margin|superiority|(?P<difference>difference|gap))s?(?P<of>\s+of\s+{_MODEL_B})?"
                   rf"(?:\s+(?:over|on|against)\s+{_MODEL_A}|\s+between\s+(?:{_MODEL_B}\s+and\s+{_MODEL_A}|{_MODEL_A}\s+and\s+{_MODEL_B}"
                   r"|(?:the\s+)?(?:two\s+)?(?:models|classifiers)|them))?"
                   r"\s+(?:(?P<real>(?:is|was|remains)\s+(?:(?:statistically|clearly)\s+)?(?:real|genuine|significant|robust)"
                   rf"|{_SURVIVES})(?=\s*(?:$|[(,;:.!?\u2014-]))|(?:(?:is|was|comes|came|stems|arises|results)\s+)?(?:(?:only|merely|just|purely|simply|entirely"
                   rf"|largely|mostly|wholly|all)\s+)?(?:(?:{_CAUSED_BY}|within|from|driven\s+by|an\s+art[ei]fact\s+of)\s+"
                   rf"(?:{_NOISE}|(?:[\w-]+\s+){{0,2}}?(?:leak|contaminat|memori[sz]|duplicat|near[\s-]duplicat)\w*)"
                   r"|(?:is|was|remains)\s+(?:(?:not|no\s+longer)\s+(?:statistically\s+)?significant"
                   r"|(?:statistically\s+)?(?:insignificant|non-?significant))\b(?:\s+(?:at|under|by)\s+[^,;.]*?)?"
                   r"(?=\s*(?:$|[(,;:.!?\u2014-]))"
                   rf"|(?:is|was)\s+{_DISMISSED}(?=\s*(?:$|[(,;:.!?\u2014-]))"
                   r"|(?P<gone>(?:does\s+not|doesn['\u2019]t|did\s+not|didn['\u2019]t|fails\s+to)\s+"
                   rf"{_SURVIVES}(?=\s*(?:$|[(,;:.!?\u2014-]))"
                   r"|(?:vanishes|disappears|evaporates|goes\s+away|(?:is|was)\s+gone)(?:\s+(?:after|once|when|on|with)"
                   r"\s+(?:[\w-]+\s+){0,3}?(?:leak|clean|dedup|decontaminat|filter|remov)\w*"
                   r"|(?=\s*(?:$|[(,;:.!?\u2014-])|\s+(?:and|but|so|yet)\b)))))")

# ... and so is chance as the subject that explains it ("chance explains the difference")
_CHANCE_EXPLAINS = re.compile(rf"\b(?:(?:pure|random|mere)\s+)?{_NOISE_WORD}\s+(?:(?:alone|largely|fully|entirely|mostly)\s+)?"
                              rf"(?:explains?|accounts?\s+for|drives?)\s+(?:(?P<own>{_MODEL_B}['\u2019]s)\s+|the\s+)(?:[\w-]+\s+){{0,2}}?"
                              rf"(?:win|lead|advantage|gain|edge|improvement|margin|(?P<difference>difference|gap))s?"
                              rf"(?P<of>\s+of\s+{_MODEL_B})?\b")


def _better_model(match: re.Match) -> str:
    # "better" or "the better model" needs a verb or an adverb before it ("A is better", not "Is B better?")
    if _about_another_criterion(match) or ((match["adjective"] or match["adjective_worse"]) and not match["words"]):
        return match.group()
    if match["gain_words"] and _NOMINAL_GAIN.search(match["gain_words"]):
        return match.group()
    ranked = ("not " if match["no_gain"] or match["nothing_added"] else "") + ("better" if match["better"] else "worse")
    return f"{match.string[match.start():match.start('words')]}{match['words']} {ranked} than {'a' if match['b'] else 'b'}"


# a share of the lead ("part of B's advantage was due to leaked items") or the lead before the leaked items were
# removed ("B's original advantage") explained away leaves B beating A after their removal open
_PARTIAL = re.compile(r"\b(?:part|some|much|most|half|a\s+(?:share|portion|fraction))\s+of\s+$")
_BEFORE_REMOVAL = re.compile(r"\b(?:original|initial|raw|earlier|uncleaned|reported)\b")


def _lead_as_claim(match: re.Match) -> str:
    """B's lead explained away reads as the claim failing, and B's own lead said real as it holding; "the lead" must
    be B's, by "of B" or a possessive, and the whole lead after the leaked items' removal (_PARTIAL, _BEFORE_REMOVAL), unless
    it is said to be gone."""
    if not (match["own"] or match["of"] or match["difference"]) or _PARTIAL.search(match.string, 0, match.start()) \
            or (_BEFORE_REMOVAL.search(match.group()) and not match.groupdict().get("gone")) \
            or re.search(_ASPECT, match.group()):
        return match.group()
    if match.re is _LEAD and match["real"]:
        return "the claim holds" if match["own"] or match["of"] else match.group()
    return "the claim fails"


def _comparison_as_claim(match: re.Match) -> str:
    """A comparison of the two models read as a mention of the claim."""
    subject_b, object_b = bool(match["b"]), bool(match["b2"])
    words = match.group(3) + (" no" if match["none"] or match["nothing"] else "")
    if subject_b == object_b or _about_another_criterion(match):
        return match.group()
    if subject_b == bool(match["better"]):
        if _DENIED.search(words):
            return f"the claim{words} holds"
        if _NOMINAL.search(words):
            return match.group()
        conceded = _CONCEDED.match(match.string, match.end())
        if re.match(_CHANCE_ENDS, match.string[match.end():]) or (conceded and _UNDERCUT.search(conceded.group(1))):
            return f"the claim{_ONLY_WORDS.sub('', words)} fails"
        if conceded and re.search(r"\bclaim\b", conceded.group(1)):
            return match.group()
        if conceded and _ONLY_SMALL.match(conceded.group(1)):
            return f"the claim{words} holds"
        # a hedged concession is a caveat, and one after "though" or a bare "not/only" that does not undercut says neither
        if conceded and not _NOT_CHANCE.match(conceded.group(1)) and (_OPEN.search(conceded.group(1)) or re.match(
                r",?\s+(?:(?:even\s+)?though|although|albeit|not|only)\b", match.string[match.end():])):
            return match.group()
        return f"the claim{words} holds"
    return match.group() if _DENIED.search(words) else f"the claim{words} fails"


_PAIR = rf"(?:{_MODEL_A}\s+and\s+{_MODEL_B}|{_MODEL_B}\s+and\s+{_MODEL_A}|(?:the|both)(?:\s+two)?\s+models|the\s+two|both)"
_EVEN = (r"(?:tied|level|even|equivalent|indistinguishable|equal|comparable|on\s+par|(?:(?:about|roughly|essentially)\s+)?the"
         r"\s+same|equally\s+(?:good|accurate|strong|well)|a\s+(?:tie|wash|draw)|as\s+good\s+as\s+each\s+other"
         r"|not\s+(?:(?:significantly|statistically|meaningfully|materially)\s+)*different|neck\s+and\s+neck"
         r"|(?:evenly|closely)\s+matched|interchangeable|a\s+toss-?up)")
# the models said to be even ("the two models are tied", "A and B perform equally well", "neither model is better", "A is
# at least as good as B", "there is no real difference between the models") is the claim failing; negated, or "B is at
# least as good as A", it says neither
_TIED = re.compile(rf"\b(?:{_PAIR}\s+(?P<words>(?:[\w'\u2019]+\s+){{0,3}}?){_EVEN}"
                   rf"|(?:{_MODEL_A}|(?P<b>{_MODEL_B}))\s+(?P<verb>(?:[\w'\u2019]+\s+){{0,2}}?)(?P<least>at\s+least\s+)?"
                   rf"(?:just\s+|every\s+bit\s+)?as\s+(?:good|accurate|strong|well)\s+as\s+(?:{_MODEL_A}|{_MODEL_B})"
                   r"|neither\s+(?:model|classifier|one|of\s+(?:the\s+two|them)(?:\s+(?:models|classifiers))?)\s+(?:is|was"
                   r"|performs?|performed|does|did|scores?|scored)\s+(?:[\w-]+ly\s+)?(?:better|worse|superior|stronger|ahead)"
                   r"(?:\s+than\s+the\s+other)?"
                   r"|no\s+(?:(?:real|meaningful|significant|statistically|detectable|material|clear|reliable|practical)\s+)*"
                   rf"(?:difference|gap)\s+between\s+{_PAIR}|(?:nothing|little)\s+to\s+(?:choose|separate)\s+between\s+{_PAIR})"
                   rf"{_CLAUSE_ENDS}")


def _tie_as_claim(match: re.Match) -> str:
    words = match["words"] or match["verb"] or ""
    if _about_another_criterion(match) or _DENIED.search(words) or (match["b"] and match["least"]):
        return match.group()
    return f"the claim {words}fails"


# a stance on which model to run ("Ship B", "we recommend deploying model B", "B should replace A", "keep A in
# production", "A should stay", "switch production to B", "roll back to A", "retire A", "drop B", "A should be retired")
# is the claim holding or failing, turned round by a negation ("do not ship B", "B must not replace A", "nobody should
# ship B") or a judgement ("shipping B is premature"); it must open its clause with no more than words of advice or
# production as the subject before it ("the team wants to ship B" is not one)
_ADVICE = (r"(?:we|i|so|therefore|thus|hence|then|now|please|recommend|advise|propose|suggest|should|must|can|ca|cannot"
           r"|could|may|might|will|wo|would|do|does|not|never|nobody|no|one|it|is|safe|ok|okay|fine|to|our|my|the|decision"
           r"|recommendation|production|prod|traffic|serving|users|think|believe|feel|reckon|that)(?:n['\u2019]t|['\u2019]d)?")
_ROLLOUT = r"(?:rollout|roll-out|launch|release|deployment|migration|switch|cutover|upgrade)"
_STANCE_TAIL = (rf"(?:\s+{_ROLLOUT})?"
                r"(?:\s+(?:back\s+)?(?:in|to|into)\s+production|\s+in\s+place|\s+now)?")
_DEPLOYMENT = re.compile(
    rf"(?:(?<![\w'\u2019]\s)|(?<=\band\s)|(?<=\bbut\s)|(?<=\bso\s))(?P<advice>(?:{_ADVICE}\s+)*)"
    rf"(?:(?:(?P<held>{_HOLD_OFF})\s+)?(?:{_SHIP})\s+(?:the\s+)?(?:(?P<ship>{_MODEL_B})|{_MODEL_A})|(?:{_KEEP})\s+{_MODEL_A}"
    rf"|replac(?:e|ing)\s+{_MODEL_A}\s+(?:with|by)\s+(?P<replace>{_MODEL_B})"
    rf"|{_PUT_IN}\s+(?:the\s+)?(?:(?P<put_b>{_MODEL_B})|{_MODEL_A})(?:\s+back)?(?=\s+(?:in|into|to)\s+production)"
    rf"|(?:{_MOVE_TO})\s+(?:(?P<moved_to_b>{_MODEL_B})|{_MODEL_A})"
    rf"|(?P<drop>{_DROP})\s+(?:the\s+)?(?:(?P<dropped_b>{_MODEL_B})|{_MODEL_A})"
    rf"|(?:(?P<b>{_MODEL_B})|{_MODEL_A})(?:\s+{_ROLLOUT})?\s+(?P<words>(?:(?:{_ADVICE}|be|ready|fit)\s+)*)"
    rf"(?:(?P<promoted>ships?|(?:be\s+)?(?:shipped|deployed|released|promoted|adopted|rolled\s+out|approved)|go(?:es)?\s+live"
    rf"|replaces?\s+{_MODEL_A}|takes?\s+over|ready\s+(?:to\s+ship|for\s+(?:production|release|deployment))"
    r"|deserves?\s+to\s+(?:ship|go\s+live|be\s+(?:shipped|deployed|released|promoted|adopted))"
    r"|worth\s+(?:shipping|deploying|releasing|promoting|adopting|it|the\s+(?:switch|risk|upgrade|change)))"
    r"|(?P<kept>stays?|remains?|(?:be\s+)?(?:kept|retained))"
    r"|(?P<dropped>(?:be\s+)?(?:retired|decommissioned|sunset|phased\s+out|deprecated|dropped|rejected|abandoned|shelved"
    r"|held\s+(?:back|off)|put\s+on\s+hold|paused|halted|blocked|vetoed|delayed|postponed|deferred|frozen|cancel+ed"
    r"|aborted|stopped|killed|called\s+off|withdrawn))))"
    rf"(?P<judged>\s+(?:is|was|would\s+be|seems|looks)\s+(?:(?:not|n['\u2019]t|still|[a-z]+ly)\s+)*"
    r"(?:(?P<unadvised>premature|unjustified|unwarranted|unsafe|risky|inadvisable|ill-advised|unwise|pointless"
    r"|a\s+(?:mistake|bad\s+idea))|justified|warranted|advisable|recommended|supported|safe|sensible|wise|the\s+right\s+call"
    r"|worth\s+it|worthwhile|a\s+good\s+idea))?"
    rf"(?={_STANCE_TAIL}\s*(?:$|[.;:!?,\u2014]|\s+(?:and|but|until|unless|instead|for\s+now)\b))")
# a stance against B until a step of its rollout ("keep A until B's rollout completes", "do not ship B until the canary
# completes", "... until Monday") is a plan, not a verdict; until B is remade or shown better ("do not ship B until it is
# retrained", "... until it shows a significant gain") or until anything else ("until further notice") it stands
_ROLLOUT_STEP = (rf"{_ROLLOUT}|roll(?:s|ed)?\s+out|canary|shadow|pilot|a/b|staging|sign(?:s|ed)?[\s-]?off|approv|review"
                 r"|window|monitor|load[\s-]test|on-?call|capacity|go-?live|deploy|week|month|quarter|sprint|tomorrow|[a-z]+day")
_REMADE = (r"retrain|re-?train|fix|improv|re-?audit|(?:re-?)?evaluat|re-?test|re-?run|rework|tun|gain|better|beat|signific"
           r"|prove|demonstrat|claim|leak")
_WAITED_FOR = re.compile(r"\s+(?:until|till|pending)\b[^.;!?]*")  # what a stance waits for is not said to be so
_UNTIL = re.compile(rf"{_STANCE_TAIL},?\s+(?:until|till|pending)\b(?!(?:(?![.;!?]).)*\b(?:{_REMADE}))"
                    rf"(?=(?:(?![.;!?]).)*\b(?:{_ROLLOUT_STEP}))")


# a copular sentence whose subject is a ranking noun phrase ("the safer choice is A", "the model to keep is A", "the
# better of the two is B", "our pick is B") ranks the model after the verb, and one with a stance after "to" ("the
# right call is to ship B", "the safer option is not to ship B") gives that stance
_RANKING_SUBJECT = (rf"(?:(?P<preferred>{_GOOD_CHOICE}(?:\s+{_CHOICE_NOUN}|(?=\s+of\b))|{_MODEL_TO_RUN}"
                    r"|the\s+(?:clear\s+|overall\s+|outright\s+)?winner|(?:our|my)\s+(?:pick|choice|recommendation|preference|vote|bet|money))"
                    rf"|{_BAD_CHOICE}(?:\s+{_CHOICE_NOUN}|(?=\s+of\b))|{_MODEL_TO_DROP}|the\s+(?:clear\s+)?loser)")
_COPULAR_RANKING = re.compile(
    rf"\b{_RANKING_SUBJECT}(?:\s+of\s+the\s+two(?:\s+(?:models|classifiers))?)?{_CLEAN_SET}(?:\s+(?:here|overall|for\s+now))?"
    r"\s+(?P<verb>(?:is|was|remains|stays|would\s+be|will\s+be|(?:would\s+|will\s+)?go(?:es)?|lies|rests)"
    r"(?:\s+(?:still|now|not|no\s+longer|[a-z]+ly)|n['\u2019]t)*)"
    rf"(?:\s+(?:to|for|on|with)(?=\s+(?:{_MODEL_B}|{_MODEL_A}){_CLAUSE_ENDS}))?\s+(?:(?:(?P<b>{_MODEL_B})|{_MODEL_A})(?={_CLAUSE_ENDS})|(?P<to>to\s+)(?=(?:{_HOLD_OFF}|{_SHIP}|{_KEEP}|{_PUT_IN}|{_MOVE_TO}"
    rf"|{_DROP}|replac)\b))")


def _ranked_after_copula(match: re.Match) -> str:
    if _about_another_criterion(match):
        return match.group()
    if match["to"]:  # the stance after "to" opens its clause, negated if the subject ranks it worse
        denied = bool(_DENIED.search(match["verb"])) == bool(match["preferred"])
        return ("may " if _OPEN.search(match["verb"]) else "") + ("not " if denied else "")
    ranked = "better" if match["preferred"] else "worse"
    return f"{'b' if match['b'] else 'a'} {match['verb']} {ranked} than {'a' if match['b'] else 'b'}"


def _deployment_as_claim(match: re.Match) -> str:
    if match["ship"] or match["replace"] or match["put_b"] or match["moved_to_b"] or (match["b"] and match["promoted"]):
        for_b = True
    elif match["drop"] or match["dropped"]:
        for_b = not (match["dropped_b"] or match["b"])
    elif not match["b"] and not match["promoted"]:
        for_b = False
    else:  # B kept or A promoted: not a choice between them
        return match.group()
    qualifiers = match["advice"] + (match["words"] or "") + (match["judged"] or "")
    if _OPEN.search(qualifiers):
        return match.group()
    advised = (_DENIED.search(qualifiers) is None) != bool(match["unadvised"] or match["held"])
    if for_b != advised and _UNTIL.match(match.string, match.end()):
        return match.group()
    return "the claim holds" if for_b == advised else "the claim fails"


# a clause that goes on with the claim as its subject, by a pronoun or none ("the claim rests on leaked items; it does
# not hold", "... and does not hold"), is read with the claim named
_CLAUSE_END = re.compile(r"([;:.!?\u2014]\s+|,?\s+(?:and|but|so|yet)\s+)")
_PRONOUN = re.compile(r"(?:(?:however|still|yet|but|and|so|thus|therefore|indeed|actually|in\s+fact)\W+)?it\b")
_ELIDED = re.compile(r"(?:(?:still|therefore|thus|also|then|now|not|no|longer|never|cannot|can|does|did|will|would|must"
                     r"|could|may|might|do|is|n['\u2019]t)\s+)*(?:holds?|fails?|stands?|falls?|collapses?)\b(?!\s+(?:off|back)\b)")
_CLAIM_SUBJECT = re.compile(r"\W*(?:[\w'\u2019]+\W+){0,2}?claim\b")
# a conclusion line that opens with "it" or no subject ("Conclusion: it does not hold", "In sum, holds") speaks of the claim
_LINE_SUBJECT = re.compile(r"(?P<lead>(?:[^:]*:)?[\s,*_#>|.-]*(?:(?:overall|in\s+(?:sum|short|summary|conclusion|brief)"
                           r"|to\s+(?:sum\s+up|conclude)|so|thus|therefore|hence)\b[\s,]*)?)(?:it\s+)?(?=" + _ELIDED.pattern + ")")
_DENIED = re.compile(r"\b(?:not|no|nobody|never|longer|cannot|fails?|failed|unable|neither|nor|hardly|scarcely|yet\s+to)\b"
                     r"|n['\u2019]t")
_OPEN = re.compile(r"\b(?:may|might|could|possibly|perhaps|probably|likely|arguably)\b")
# a mention limited in scope or put under a counterfactual ("the claim only holds on the leaky set", "before leakage
# removal the claim holds", "the claim would hold if the leaked items were kept") explains the verdict and states none
# ("only by chance" puts the mention down to chance: it limits nothing)
_LEAKY_SET = (r"on\s+the\s+(?:leaky|contaminated|unfiltered|uncleaned)"
              r"|before\s+(?:the\s+)?(?:leak\w*|removal|removing|dedup\w*|decontaminat\w*)")
_SCOPE = rf"only(?!\s+{_PUT_DOWN_TO_CHANCE})|{_LEAKY_SET}"
_SCOPE_BEFORE = re.compile(rf"\b(?:{_SCOPE})\b")
# a sentence that opens with the leaky evaluation ("Before leakage removal, B beats A") is about it to its end
_OPENS_ON_LEAKY_SET = re.compile(rf"\W*(?:{_LEAKY_SET})\b(?:\s+(?!(?:and|or|after)\b)[\w-]+){{0,3}}\s*,\s*(?!(?:and|or|after)\b)")
_SCOPE_AFTER = re.compile(rf"[^\w.;!?]+(?:{_SCOPE})\b")
_WOULD, _CONDITION = re.compile(r"\bwould\b"), re.compile(r"[^.;!?]*\b(?:if|unless|were|had)\b")
_TURNED = re.compile(r"\b(?:not\s+the\s+case|wrong|incorrect|false|untrue|mistaken|not\s+(?:true|correct|right))"
                     r"\s+(?:to\s+(?:say|conclude|claim|state|find)|that)\b"
                     r"|\b(?:reject|disagree|den(?:y|ie)|disput|refut|contest|doubt)\w*\s+(?:\w+\s+){0,3}?that\b"
                     r"|\b(?:cannot|can\s+not|can't)\s+be\s+(?:said|claimed|concluded|maintained)\b")
_NEGATED_VIEW = re.compile(r"(?:\b(?:not|no|never|nothing|nobody|none|cannot|hardly|scarcely)\b|n['\u2019]t)"
                           r"[^\w,]+(?:\w+[^\w,]+){0,4}?(?:that|whether|think|believe|find|accept|agree|say|conclude"
                           r"|consider|persuaded|convinced|satisfied|shown?|shows|established|clear|evident|evidence"
                           r"|suggests?|supports?|basis|reason|sure|certain)\b")
# the view negated is that it is shown or believed ("there is no evidence that", "we cannot conclude that", "I don't
# think"), with only plain words between ("not surprising that", "no reservations in concluding that" are not)
_NOT_SHOWN = re.compile(r"(?:\b(?:not|no|never|nothing|cannot)\b|n['\u2019]t)[^\w,]+(?:(?:yet|been|be|is|are|was|we|i|it"
                        r"|can|so|far|any|enough|sufficient|sufficiently|real|clear|good|strong|convincing|statistical"
                        r"|in|on|from|of|here|the|this|these|clean|data|results?|audit|test|evidence|figures)[^\w,]+){0,4}?"
                        r"(?:think|believe|find|accept|agree|say|conclude|consider|persuaded|convinced|satisfied|shown?"
                        r"|shows|established|clear|evident|evidence|suggests?|supports?|basis|reason|sure|certain)\b")
# a negated doubt affirms the view it frames ("there is no doubt that", "it is not disputed that"): read as if it
# were not there
_NO_DOUBT = re.compile(r"(?:\b(?:not|no|never|cannot|without|beyond|nobody|no\s+one|none|little|hardly|scarcely)\b|n['\u2019]t)\W+"
                       r"(?:(?:a|any|the|real|serious|seriously|reasonable|reasonably|much|room|for|open|to|be|been|is|in"
                       r"|my|our|reason|cause|grounds|need|can|could|would|should|one|anyone|we|i)\W+){0,3}"
                       r"(?:doubt|disput|question|hesitat|contest|debat)\w*")
# a comma-delimited aside of a few words ("does not, in my view, hold") is read as if it were not there
_ASIDE = re.compile(r",(?:\s*[\w'\u2019-]+){1,5}\s*,")
# a line that gives the note's conclusion: the Verdict line, a "final verdict" or "overall verdict" anywhere in a line,
# and a line that opens as a conclusion or a summary (a heading such as "## Conclusion" also brings the line under it)
_OPENER = (r"^[#*>|\s_-]*(?:\d+[.)]\s*)?(?:conclusions?|bottom\s+line|final|overall|summary|recommendation|tl;?\s*dr"
           r"|in\s+(?:sum|short|summary|conclusion|brief)|to\s+(?:sum\s+up|conclude))\b")
_VERDICT_LINE = re.compile(rf"\bverdict\b|{_OPENER}", re.IGNORECASE)
_HEADING = re.compile(rf"(?:{_OPENER}|^[#*>|\s_-]*verdict\b)[\s:*_#.-]*$", re.IGNORECASE)


def _verdict_lines(text: str) -> list[str]:
    """The note's Verdict and conclusion lines, and the first line of text under a bare conclusion heading."""
    lines, under_heading = [], False
    for line in text.splitlines():
        if not line.strip():
            continue
        if under_heading or _VERDICT_LINE.search(line.strip()):
            lines.append(line)
        under_heading = bool(_HEADING.search(line.strip()))
    return lines


def _claim_carried(plain: str) -> str:
    """The text with a pronoun or a missing subject that carries on the previous clause's claim made "the claim"."""
    pieces = _CLAUSE_END.split(plain)
    for i in range(2, len(pieces), 2):
        if not _CLAIM_SUBJECT.match(pieces[i - 2]):
            continue
        if pronoun := _PRONOUN.match(pieces[i]):
            pieces[i] = "the claim" + pieces[i][pronoun.end():]
        elif not re.match(r"[;:.!?\u2014]", pieces[i - 1]) and _ELIDED.match(pieces[i]):
            pieces[i] = "the claim " + pieces[i]
    return "".join(pieces)


def _limited(plain: str, mention: re.Match, sentence: str) -> bool:
    """Whether a mention of the claim is limited in scope or put under a counterfactual."""
    words = mention.group(1)
    return bool(_SCOPE_BEFORE.search(words) or _SCOPE_AFTER.match(plain, mention.end())
                or _SCOPE_BEFORE.search(sentence.split(",")[-1]) or _OPENS_ON_LEAKY_SET.match(sentence)
                or (_WOULD.search(words) and _CONDITION.match(plain, mention.end())))


def _note_verdict(text: str) -> bool | None:
    """What the note's Verdict lines conclude: True, False, or None when they say neither, hedge, or say both. A
    mention under a condition counts only where the lines state no verdict without one."""
    said: set[bool | None] = set()
    conditional: set[bool | None] = set()
    for line in _verdict_lines(text):
        plain = _NO_DOUBT.sub(" ", _ASIDE.sub(" ", normalize_text(re.sub(r"[*_`]", " ", line))))
        plain = _LINE_SUBJECT.sub(r"\g<lead>the claim ", plain, count=1)
        plain = _BETTER_MODEL.sub(_better_model, _COPULAR_RANKING.sub(_ranked_after_copula, plain))
        plain = _CHANCE_EXPLAINS.sub(_lead_as_claim, _LEAD.sub(_lead_as_claim, plain))
        plain = _WAITED_FOR.sub("", _DEPLOYMENT.sub(_deployment_as_claim, _TIED.sub(_tie_as_claim, plain)))
        plain = _claim_carried(_COMPARISON.sub(_comparison_as_claim, plain))
        for mention in _CLAIM_HOLDS.finditer(plain):
            # a frame ends with its sentence, at a colon or a "but" ("some doubt that B is better, but the claim holds")
            sentence = re.split(r"[.;:!?]\s|\bbut\b", plain[:mention.start()])[-1]
            reading: bool | None = bool(mention["holds"]) != bool(_DENIED.search(mention.group(1)))
            if reading and re.match(_CHANCE_ENDS, plain[mention.end():]):  # it holds "only by chance": it fails
                reading = False
            if _TURNED.search(sentence) or _TURNED_AFTER.match(plain, mention.end()):
                reading = None
            elif _NOT_SHOWN.search(sentence):
                # no evidence, nothing shown, no conclusion that the claim holds is its failing; a negated view of
                # its failing ("I am not persuaded that the claim fails") leaves it open
                reading = False if reading else None
            elif _NEGATED_VIEW.search(sentence):
                reading = None
            # a modal mention is a caveat ("the claim may not hold on other data"), and it states no verdict
            if _OPEN.search(mention.group(1)):
                conditional.add(None)
            elif _limited(plain, mention, sentence):
                conditional.add(reading)
            else:
                said.add(reading)
    said = said or conditional
    return said.pop() if len(said) == 1 else None


def grade(g: Grading) -> None:
    if not g.require_files(*FILES):
        return
    ref = g.reference_json("reference.json")
    metrics = g.read_json("metrics.json")
    leak_rows = g.read_csv("leakage.csv", required_columns=["item_id", "match"])
    sub_rows = g.read_csv("subgroups.csv", required_columns=["model", "subgroup", "n", "accuracy", "macro_f1"])
    rel_rows = g.read_csv("reliability.csv", required_columns=["model", "bin", "count", "mean_confidence", "accuracy"])
    note = g.read_text("audit_note.md")
    pixels = g.image("reliability.png")
    if not g.check("metrics.json is an object", isinstance(metrics, dict), gate=True, weight=0):
        return
    if leak_rows is None or sub_rows is None or rel_rows is None or note is None:
        return
    models = {m: _get(metrics, "models", m) for m in ("A", "B")}
    want = ref["models"]

    # leakage
    found_leaks = {r.get("item_id", "").strip(): normalize_text(r.get("match")) for r in leak_rows}
    g.fraction("leakage set (exact and near duplicates)",
               judge(found_leaks, ref["leaked"], lambda f, w: f == w or f"match {f!r}, want {w!r}"),
               weight=2, noun="leaked items")
    counts = [(k, _get(metrics, k), ref[k]) for k in ("test_items", "leaked_exact", "leaked_near", "evaluated_items")]
    g.check("leakage counts in metrics.json", all(as_number(f) == w for _, f, w in counts),
            expected={k: w for k, _, w in counts}, found={k: f for k, f, _ in counts})

    # per-model metrics
    _record(g, "accuracy per model", [(m, _get(models[m], "accuracy"), want[m]["accuracy"], METRIC_TOL) for m in "AB"])
    _record(g, "macro-F1 per model", [(m, _get(models[m], "macro_f1"), want[m]["macro_f1"], METRIC_TOL) for m in "AB"])
    _record(g, "temperature per model (fitted on validation)",
            [(m, _get(models[m], "temperature"), want[m]["temperature"], 5e-3 * want[m]["temperature"]) for m in "AB"])
    _record(g, "calibrated ECE per model", [(m, _get(models[m], "ece"), want[m]["ece"], ECE_TOL) for m in "AB"])
    _record(g, "uncalibrated ECE per model",
            [(m, _get(models[m], "ece_uncalibrated"), want[m]["ece_uncalibrated"], 5e-4) for m in "AB"])

    # differences and test
    diff = ref["difference"]
    for key in ("accuracy", "macro_f1"):
        tol = 0.25 * diff[key]["sd"] + 5e-4
        pairs = [("estimate", _get(metrics, "difference", key, "estimate"), diff[key]["estimate"], METRIC_TOL),
                 ("ci_low", _get(metrics, "difference", key, "ci_low"), diff[key]["ci_low"], tol),
                 ("ci_high", _get(metrics, "difference", key, "ci_high"), diff[key]["ci_high"], tol)]
        if key == "accuracy":
            _record(g, "accuracy difference with paired bootstrap CI", pairs, weight=1.5)
        else:
            _record(g, "macro-F1 difference with paired bootstrap CI", pairs, weight=1.5)
    # The band above accepts any CI close to the percentile bootstrap's, a normal-approximation or
    # jackknife interval included; the protocol binds the resamples themselves, so its CI is reproducible.
    _record(g, "CIs from the protocol's seeded paired resamples",
            [(f"{key} {end}", _get(metrics, "difference", key, end), diff[key][end], SEEDED_CI_TOL)
             for key in ("accuracy", "macro_f1") for end in ("ci_low", "ci_high")])
    _record(g, "calibrated ECE difference", [("estimate", _get(metrics, "difference", "ece", "estimate"),
                                              diff["ece"]["estimate"], 2 * ECE_TOL)])
    mc = ref["mcnemar"]
    found_p = as_number(_get(metrics, "mcnemar", "p_value"))
    exact = (as_number(_get(metrics, "mcnemar", "a_right_b_wrong")) == mc["a_right_b_wrong"]
             and as_number(_get(metrics, "mcnemar", "a_wrong_b_right")) == mc["a_wrong_b_right"]
             and found_p is not None and math.isclose(found_p, mc["p_value"], rel_tol=1e-4, abs_tol=1e-15))
    g.check("McNemar exact test", exact, weight=1.5, expected=mc, found=_get(metrics, "mcnemar"))

    # subgroups
    expected_sub = [{"model": m, "subgroup": s, **v} for m in "AB" for s, v in want[m]["subgroups"].items()]
    g.table("per-subgroup table", sub_rows, expected_sub, key=["model", "subgroup"], weight=2,
            columns={"n": 0.0, "accuracy": METRIC_TOL, "macro_f1": METRIC_TOL}, normalize=normalize_text)
    worst_ok = all(normalize_text(_get(models[m], "worst_subgroup")) == normalize_text(want[m]["worst_subgroup"])
                   and _close(_get(models[m], "worst_subgroup_accuracy"), want[m]["worst_subgroup_accuracy"], METRIC_TOL)
                   for m in "AB")
    g.check("worst subgroup per model", worst_ok,
            expected={m: [want[m]["worst_subgroup"], round(want[m]["worst_subgroup_accuracy"], 4)] for m in "AB"},
            found={m: [_get(models[m], "worst_subgroup"), _get(models[m], "worst_subgroup_accuracy")] for m in "AB"})

    # reliability
    found_bins = {f"{normalize_text(r.get('model')).upper()}/{as_number(r.get('bin'))}": r for r in rel_rows}
    expected_bins = {f"{m}/{float(b['bin'])}": b for m in "AB" for b in want[m]["reliability"]}
    g.fraction("reliability table after temperature scaling", judge(found_bins, expected_bins, _reliability_verdict),
               noun="model bins")
    own = {m: _ece_from_rows(rel_rows, m) for m in "AB"}
    consistent = all(own[m] is not None and _close(_get(models[m], "ece"), own[m], 1e-3) for m in "AB")
    g.check("reliability.csv reproduces the reported ECE", consistent, expected="ECE from the bins = metrics.json ece",
            found={m: own[m] for m in "AB"})
    series = {}
    for m in "AB":
        values = [b["accuracy"] if b["count"] else math.nan for b in want[m]["reliability"]]
        filled = [i for i, v in enumerate(values) if not math.isnan(v)]
        series[f"model {m}"] = values[filled[0]:filled[-1] + 1]
    g.chart_draws("reliability diagram draws both calibrated curves", pixels, series, weight=1.5)

    # verdict and note
    claim = _get(metrics, "claim_holds")
    g.check("verdict in metrics.json", claim is ref["claim_holds"], weight=2, expected=ref["claim_holds"], found=claim)
    said = _note_verdict(note)
    g.check("audit note verdict", said is ref["claim_holds"] and said is claim, weight=1,
            expected=ref["claim_holds"], found=said,
            reason="" if said is not None else "no Verdict line that states one conclusion, unhedged")
    _grade_note_figures(g, note, metrics, models)


def _grade_note_figures(g: Grading, note: str, metrics: dict[str, Any], models: dict[str, Any]) -> None:
    """The note's key figures are those of the agent's own metrics.json (consistency, not correctness)."""
    numbers = _note_numbers(note)
    wanted: dict[str, tuple[Any, str]] = {
        "evaluated_items": (_get(metrics, "evaluated_items"), "int"),
        "leaked items": ((as_number(_get(metrics, "leaked_exact")) or 0) + (as_number(_get(metrics, "leaked_near")) or 0),
                         "int"),
        "accuracy difference": (_get(metrics, "difference", "accuracy", "estimate"), "metric"),
        "accuracy CI low": (_get(metrics, "difference", "accuracy", "ci_low"), "metric"),
        "accuracy CI high": (_get(metrics, "difference", "accuracy", "ci_high"), "metric"),
        "McNemar p": (_get(metrics, "mcnemar", "p_value"), "p"),
    }
    for m in "AB":
        for key in ("accuracy", "macro_f1", "ece"):
            wanted[f"{m} {key}"] = (_get(models[m], key), "metric")
    verdicts: dict[str, bool | str] = {}
    for label, (value, kind) in wanted.items():
        v = as_number(value)
        if v is None:
            verdicts[label] = "not in metrics.json"
            continue
        if kind == "int":
            hit = any(x == v for x in numbers)
        elif kind == "p":
            hit = any(math.isclose(x, v, rel_tol=0.01, abs_tol=1e-15) for x in numbers)
        else:
            hit = any(abs(x - v) <= NOTE_TOL for x in numbers)
        verdicts[label] = hit or f"{v:.6g} not stated"
    g.fraction("audit note figures equal metrics.json", verdicts, noun="figures")
