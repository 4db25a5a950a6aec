"""SLO burn-rate alerting: Prometheus recording and alerting rules from a team's SLO document.

Workflow: the SRE receives the team's SLO document (services, SLIs over given metrics, objectives, the
SLO period, a multi-window, multi-burn-rate policy stated as error budget consumed per window, and the
on-call conventions) and a federation snapshot of the services' series. They write the recording rules
for each SLO's error ratio per window and one alerting rule per SLO and tier (burn-rate factor from the
budget share, the period and the long window; long and short windows; for:; labels; runbook
annotations), unit-test them with promtool and hand over the rule file and its tests.

Variants: a storefront team's two HTTP availability SLOs over 30 days (health-check endpoint excluded,
ticket tier 10 % over 1d/2h), and a payments team's gRPC availability and latency-histogram SLOs over
28 days (server-side error codes only, ticket tier 10 % over 3d/6h), and an identity team's gRPC
availability SLO on one service and 100 ms latency SLO on another over 30 days (second paging tier 4 % over
6h held 10 minutes, ticket tier 10 % over 2d/4h: factors off the SRE workbook's).

Grade: promtool check rules (a gate); the grader's own promtool unit tests, one per incident built by
construction (a fast burn, a fast burn or latency breach at night traffic, a slow burn, a blip, failing
health checks, another service's outage, a traffic surge, a burn just over the paging rate, burns twelve hours
after an old incident, where only the policy's own long windows give the states and the recorded ratios), each
asserting at checkpoints the reference state of every SLO's every tier, plus the recording rules' values;
the agent's own tests pass, and fail on a copy of its rules whose alerts never fire; and the rule file's
conventions (one rule per SLO and tier with its labels, for: durations, runbook and summary annotations);
a window test, since those incidents span less than a day and cannot tell a long window of a day or more (1d, 2d
or 3d) from another: days of samples every 5 minutes, each SLO's error ratio rising at about day 2, replayed on a
copy of the rules in one group evaluated every 5 minutes (the recording rules first), asserting hourly the ticket
tier's state where it is steady and every long window's recorded ratio; and, as an early warning, the time range
each window's recording rule and each tier's alert look back over, read from the rule file without its comments
and strings (followed through the recording rules they read).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import yaml

from lastexam.task import Grading, Params

from .scenarios import WINDOW_RULES, hidden_tests
from .series import grpc_minute, http_minute, instances, labels
from .spec import VARIANTS, runbook, spec_yaml, tiers

CANARY = "ALE-CANARY-89f8f40a-0321-4860-875b-405118f976a4"
UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


# --------------------------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------------------------


def _snapshot(name: str, rng: random.Random) -> str:
    """A /federate scrape of the services' series: counters since each pod's start, with timestamps."""
    v = VARIANTS[name]
    stamp = 1796373000000 + rng.randrange(0, 86400) * 1000
    families: dict[str, list[str]] = {}
    for job in v["jobs"]:
        uptime = rng.randrange(2000, 9000)
        n = rng.randrange(12000, 30001, 500)
        if v["family"] == "http":
            minute, _ = http_minute(name, job, n, 0.0004, 0.0)
        else:
            minute, _, _ = grpc_minute(name, job, n, 0.0003, 0.004, 0.0, "0.3")
        for series, inc in minute.items():
            metric = series.split("{", 1)[0]
            families.setdefault(metric, []).append(f"{series} {inc * uptime} {stamp}")
            if metric.endswith("_count"):
                total = f"{inc * uptime * rng.uniform(0.04, 0.09):.3f}"
                families.setdefault(metric.replace("_count", "_sum"), []).append(
                    f"{series.replace('_count{', '_sum{')} {total} {stamp}")
        for instance in instances(name, job):
            families.setdefault("up", []).append(f"{labels('up', job=job, instance=instance)} 1 {stamp}")
    kinds = {"http_requests_total": ("counter", "Total HTTP requests by handler, method and status code."),
             "grpc_server_handled_total": ("counter", "Total number of RPCs completed on the server."),
             "grpc_server_handling_seconds": ("histogram", "Histogram of response latency (seconds) of gRPC "
                                              "that had been application-level handled by the server."),
             "up": ("untyped", "")}
    lines = []
    for family, kind_help in kinds.items():
        members = [m for m in families if m == family or (m.startswith(family + "_") and family != "up")]
        if not members:
            continue
        kind, text = kind_help
        lines.append(f"# TYPE {family} {kind}")
        if text:
            lines.insert(-1, f"# HELP {family} {text}")
        for member in members:
            lines += families[member]
    return "\n".join(lines) + "\n"


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    name = params["scenario"]
    rng = random.Random(params["seed"])
    (input_dir / "slo_spec.yaml").write_text(spec_yaml(name, CANARY))
    (input_dir / "series_snapshot.prom").write_text(_snapshot(name, rng))
    files = hidden_tests(name, int(params["seed"]))
    for f in files:
        (reference_dir / f["file"]).write_text(f["text"])
    v = VARIANTS[name]
    reference = {
        "team": v["team"], "tiers": tiers(name),
        "hidden": [{"check": f["check"], "file": f["file"], "transitions": f["transitions"],
                    "expected": f["transitions"] or ("values within 2 %" if "recording" in f["file"] else "no alert")}
                   for f in files],
        "slos": [{**slo, "runbook_url": runbook(name, slo)} for slo in v["slos"]],
    }
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=1))


# --------------------------------------------------------------------------------------------
# grading
# --------------------------------------------------------------------------------------------

RUN = r"""
promtool check rules slo_rules.yml > check.out 2>&1; echo $? > check.rc
for f in hidden_*.yml; do promtool test rules "$f" > "$f.out" 2>&1; echo $? > "$f.rc"; done
promtool test rules slo_rules_test.yml > agent.out 2>&1; echo $? > agent.rc
cd mutant && promtool test rules slo_rules_test.yml > ../mutant.out 2>&1; echo $? > ../mutant.rc
"""


def seconds(duration: Any) -> float | None:
    """Seconds of a Prometheus duration such as 2m, 1h30m or 90s; None when it is not one."""
    text = str(duration or "").strip()
    parts = re.findall(r"(\d+)(ms|s|m|h|d|w|y)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(int(n) * UNIT_SECONDS[u] for n, u in parts)


def _rules(doc: Any) -> list[dict[str, Any]]:
    groups = doc.get("groups") if isinstance(doc, dict) else None
    if not isinstance(groups, list):
        return []
    return [r for g in groups if isinstance(g, dict) and isinstance(g.get("rules"), list)
            for r in g["rules"] if isinstance(r, dict)]


def _mutant(doc: Any) -> str | None:
    """The agent's rule file with every alert's expression replaced by one that never returns a series."""
    if not isinstance(doc, dict):
        return None
    for rule in _rules(doc):
        if "alert" in rule:
            rule["expr"] = "vector(0) > 1"
    return yaml.safe_dump(doc, sort_keys=False)


def _window_copy(doc: Any) -> str | None:
    """The agent's rules as one group without an interval, for the window test's 5-minute evaluation (a 1m group
    interval over days of samples would take as long as all the other hidden tests): the recording rules first,
    each after those it reads, then the alerts, so that every rule reads values of the same evaluation (promtool
    evaluates separate groups in no fixed order, and a value one evaluation old is at PromQL's 5-minute lookback)."""
    rules = _rules(doc)
    if not rules:
        return None
    waiting = [r for r in rules if "record" in r]
    ordered: list[dict[str, Any]] = []
    while waiting:
        pending = {str(r["record"]) for r in waiting}
        ready = [r for r in waiting if not _reads(r.get("expr"), pending - {str(r["record"])})] or waiting
        ordered += ready
        waiting = [r for r in waiting if not any(r is d for d in ready)]
    alerts = [r for r in rules if "record" not in r]
    return yaml.safe_dump({"groups": [{"name": "slo-windows", "rules": ordered + alerts}]}, sort_keys=False)


def _load_yaml(text: str | None) -> Any:
    try:
        return yaml.safe_load(text) if text is not None else None
    except yaml.YAMLError:
        return None


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _failure(out: str) -> str:
    lines = [line.strip() for line in out.splitlines() if line.strip() and "Unit Testing" not in line]
    return " | ".join(lines[:4])[:400]


def _conventions(g: Grading, ref: dict[str, Any], rules: list[dict[str, Any]]) -> None:
    """One alerting rule per SLO and tier with the document's name and labels; its for:; its annotations."""
    shape, holds, notes = {}, {}, {}
    for slo in ref["slos"]:
        for tier in ref["tiers"]:
            item = f"{slo['alert']}/{tier['long']}"
            found = [r for r in rules if r.get("alert") == slo["alert"] and isinstance(r.get("labels"), dict)
                     and str(r["labels"].get("long_window")) == tier["long"]]
            if len(found) != 1:
                shape[item] = f"{len(found)} rules with long_window={tier['long']}"
                holds[item] = notes[item] = "no single rule"
                continue
            rule = found[0]
            lab = rule["labels"]
            shape[item] = (lab.get("severity") == tier["severity"] and lab.get("team") == ref["team"]) or \
                f"labels {lab}"
            holds[item] = seconds(rule.get("for")) == seconds(tier["for"]) or \
                f"for: {rule.get('for')!r}, want {tier['for']}"
            ann = rule.get("annotations") if isinstance(rule.get("annotations"), dict) else {}
            notes[item] = (str(ann.get("runbook_url", "")).strip() == slo["runbook_url"]
                           and bool(str(ann.get("summary", "")).strip())) or f"annotations {ann}"
    g.fraction("one alerting rule per SLO and tier, with the document's alert name, severity, long_window and team",
               shape, noun="rules")
    g.fraction("each tier's for: duration is the policy's", holds, noun="rules")
    g.fraction("each alert carries the SLO's runbook_url and a summary", notes, noun="rules")


RANGE = re.compile(r"\[\s*(\w+)\s*(?::[^\]]*)?\]")  # a range selector or subquery: [3d], [3d:5m]
LITERAL = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|`[^`]*`|#[^\n]*")  # a PromQL string or comment
NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def _reads(expr: Any, recorded: Any) -> set[str]:
    """The names of ``recorded`` that an expression reads (outside its strings and comments)."""
    text = LITERAL.sub(lambda m: "" if m.group().startswith("#") else '""', str(expr or ""))
    return set(NAME.findall(text)) & set(recorded)


def _span(expr: Any, recorded: dict[str, list[str]], seen: frozenset[str] = frozenset()) -> float:
    """The longest time range an expression looks back over (seconds): its own range selectors and subqueries,
    and those of the rule file's recording rules it reads, followed to the raw series; 0 when it has none."""
    text = LITERAL.sub(lambda m: "" if m.group().startswith("#") else '""', str(expr or ""))
    spans = [seconds(d) or 0.0 for d in RANGE.findall(text)]
    for name in _reads(text, recorded) - seen:
        spans += [_span(e, recorded, seen | {name}) for e in recorded[name]]
    return max(spans, default=0.0)


def _windows(g: Grading, ref: dict[str, Any], rules: list[dict[str, Any]]) -> None:
    """Each window's recording rule and each tier's alert look back over the policy's window (a window a day
    long or longer cannot be told from another by the hidden incidents, which span less than a day)."""
    recorded: dict[str, list[str]] = {}
    for rule in rules:
        if "record" in rule:
            recorded.setdefault(str(rule["record"]), []).append(str(rule.get("expr", "")))
    spans: dict[str, Any] = {}
    for w in sorted({t[k] for t in ref["tiers"] for k in ("long", "short")}, key=lambda d: seconds(d) or 0):
        name = f"slo:sli_error:ratio_rate{w}"
        for n, expr in enumerate(recorded.get(name, [])):
            found = _span(expr, recorded, frozenset({name}))
            spans[f"{name} #{n + 1}"] = found == seconds(w) or f"looks back {found:g} s, the window is {w}"
    for rule in rules:
        tier = next((t for t in ref["tiers"] if isinstance(rule.get("labels"), dict)
                     and str(rule["labels"].get("long_window")) == t["long"]), None)
        if "alert" in rule and tier is not None:
            found = _span(rule.get("expr"), recorded)
            spans[f"{rule['alert']}/{tier['long']}"] = found == seconds(tier["long"]) or \
                f"looks back {found:g} s at most, the long window is {tier['long']}"
    g.fraction("recording rules and alerts look back over the policy's windows (the long window included)",
               spans, noun="rules")


def _agent_tests(g: Grading, ref: dict[str, Any], tests_doc: Any, work: Path) -> None:
    agent_rc, mutant_rc = _read(work / "agent.rc").strip(), _read(work / "mutant.rc").strip()
    g.check("the agent's unit tests pass (promtool test rules slo_rules_test.yml)", agent_rc == "0",
            found=f"exit {agent_rc or '?'}", reason="" if agent_rc == "0" else _failure(_read(work / "agent.out")))
    g.check("the agent's unit tests fail on a copy of its rules whose alerts never fire",
            agent_rc == "0" and mutant_rc not in ("0", ""), found=f"exit {mutant_rc or '?'}",
            reason="" if mutant_rc not in ("0", "") else "the tests still pass when no alert can fire")
    groups = tests_doc.get("tests") if isinstance(tests_doc, dict) else None
    firing = set()
    for group in groups if isinstance(groups, list) else []:
        cases = group.get("alert_rule_test") if isinstance(group, dict) else None
        for case in cases if isinstance(cases, list) else []:
            if isinstance(case, dict) and case.get("exp_alerts"):
                firing.add(str(case.get("alertname")))
    g.fraction("the agent's unit tests assert every SLO's alert firing",
               {s["alert"]: s["alert"] in firing or "no alert_rule_test expects it to fire" for s in ref["slos"]},
               noun="alerts")


def grade(g: Grading) -> None:
    if not g.require_files("slo_rules.yml", "slo_rules_test.yml"):
        return
    ref = g.reference_json("reference.json")
    rules_text, tests_text = g.read_text("slo_rules.yml"), g.read_text("slo_rules_test.yml")
    if rules_text is None or tests_text is None:
        return
    rules_doc, tests_doc = _load_yaml(rules_text), _load_yaml(tests_text)
    mutant = _mutant(_load_yaml(rules_text)) or rules_text
    files: dict[str, Path | str] = {"slo_rules.yml": rules_text, "slo_rules_test.yml": tests_text,
                                    WINDOW_RULES: _window_copy(_load_yaml(rules_text)) or rules_text,
                                    "mutant/slo_rules.yml": mutant, "mutant/slo_rules_test.yml": tests_text}
    for hidden in ref["hidden"]:
        files[hidden["file"]] = g.reference(hidden["file"])
    result = g.run_tool(["sh", "-c", RUN], files, timeout=360)
    work = result.workdir
    check_rc = _read(work / "check.rc").strip()
    if not g.check("promtool check rules accepts slo_rules.yml", check_rc == "0", gate=True, weight=0,
                   found=f"exit {check_rc or '?'}", reason="" if check_rc == "0" else _failure(_read(work / "check.out"))):
        return
    for hidden in ref["hidden"]:
        rc = _read(work / f"{hidden['file']}.rc").strip()
        g.check(f"hidden test: {hidden['check']}", rc == "0", weight=1.25 if hidden["transitions"] else 1.0,
                expected=hidden["expected"], found=f"promtool exit {rc or '?'}",
                reason="" if rc == "0" else _failure(_read(work / f"{hidden['file']}.out")))
    _agent_tests(g, ref, tests_doc, work)
    _conventions(g, ref, _rules(rules_doc))
    _windows(g, ref, _rules(rules_doc))
