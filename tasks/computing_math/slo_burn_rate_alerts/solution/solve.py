#!/usr/bin/env python3
"""Oracle: read the SLO document, write the recording rules (each SLO's error ratio per window of the
policy) and one multi-window burn-rate alerting rule per SLO and tier, write promtool unit tests for them
(a quiet half hour, then a full outage that must raise every tier with its labels and annotations), and
validate both with promtool.

The near-miss adversaries (adversaries/_shortcuts.py links here) run this same file under another name,
and that name switches on one shortcut; run as solve.py, none is taken.

ALE-CANARY-89f8f40a-0321-4860-875b-405118f976a4
"""

import os
import re
import subprocess
from pathlib import Path

import yaml

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
SHORTCUT = Path(__file__).name.removesuffix(".py")
UNIT_MINUTES = {"s": 1 / 60, "m": 1, "h": 60, "d": 1440, "w": 10080}
WORKBOOK = {"1h": 14.4, "6h": 6.0}  # the SRE workbook's factors for a 30-day SLO; 1 for every ticket
TYPICAL_RPS = 350.0  # requests a second a service of this size serves by day
PER_MINUTE = 20000  # requests a minute in the unit tests' series


def minutes(duration: str) -> float:
    return sum(float(n) * UNIT_MINUTES[u] for n, u in re.findall(r"(\d+)([smhdw])", duration))


def selectors(slo: dict) -> dict:
    """PromQL selectors of the SLI's bad and valid events, from the document's SLI definition."""
    sli = slo["sli"]
    metric = sli["metric"]
    scope = [sli["scope"]]
    excluded = re.search(r'handler "([^"]+)"', sli.get("excluded", ""))
    if excluded:
        scope.append(f'handler!="{excluded.group(1)}"')
    if SHORTCUT == "no_exclusions":
        scope = [m for m in sli["scope"].split(", ") if m.startswith("job=")]
    where = ", ".join(scope)
    if sli["type"] == "latency":
        le = re.search(r'le="([^"]+)"', sli["good_events"]).group(1)
        return {"kind": "latency", "good": f'{metric}_bucket{{{where}, le="{le}"}}',
                "valid": f"{metric}_count{{{where}}}"}
    if metric == "http_requests_total":
        bad = f'{metric}{{{where}, code=~"5.."}}'
    else:
        codes = re.search(r"one of (.+)$", sli["bad_events"]).group(1).replace(" ", "").split(",")
        bad = f'{metric}{{{where}, grpc_code=~"{"|".join(codes)}"}}'
    if SHORTCUT == "client_errors_not_valid":  # only OK and server errors count as valid events
        ok = 'code!~"4.."' if metric == "http_requests_total" else f'grpc_code=~"OK|{"|".join(codes)}"'
        return {"kind": "errors", "bad": bad, "valid": f"{metric}{{{where}, {ok}}}"}
    return {"kind": "errors", "bad": bad, "valid": f"{metric}{{{where}}}"}


def ratio_expr(sel: dict, window: str, matcher: str) -> str:
    comment = ""
    if SHORTCUT == "window_in_comment" and minutes(window) >= 1440:
        # another day window, the policy's only in a PromQL comment (the hidden incidents span less than a day)
        window, comment = ("2d" if window == "1d" else "1d"), f"  # [{window}]"
    if SHORTCUT == "five_hour_windows" and minutes(window) >= 360:
        window = "5h"  # every incident a short test shows fits in five hours
    if SHORTCUT == "day_windows_swapped" and minutes(window) >= 1440:
        window = "2d" if window == "1d" else "1d"  # the hidden incidents span less than a day
    if SHORTCUT == "averaged_long_windows" and minutes(window) >= 1440:
        return f"avg_over_time(slo:sli_error:ratio_rate5m{matcher}[{window}])"  # a day of 5m ratios, equally weighted
    if sel["kind"] == "latency":
        return f"1 - (sum(rate({sel['good']}[{window}])) / sum(rate({sel['valid']}[{window}])))" + comment
    return f"sum(rate({sel['bad']}[{window}])) / sum(rate({sel['valid']}[{window}]))" + comment


def factor(tier: dict, period: str) -> float:
    if SHORTCUT == "workbook_factors":
        return WORKBOOK.get(tier["long_window"], 1.0)
    return tier["budget_consumed_percent"] / 100 * minutes(period) / minutes(tier["long_window"])


def rule_groups(doc: dict) -> list[dict]:
    """One group per SLO: its recording rules, then its alerting rules (evaluated in that order)."""
    policy = doc["alerting_policy"]
    period = doc["slo_period"]["window"]
    windows = sorted({t[w] for t in policy for w in ("long_window", "short_window")}, key=minutes)
    groups = []
    for slo in doc["slos"]:
        ident = {"service": slo["service"], "slo": slo["slo"]}
        matcher = f'{{service="{slo["service"]}", slo="{slo["slo"]}"}}'
        sel = selectors(slo)
        budget = round(1 - slo["objective_percent"] / 100, 10)
        rules = [{"record": f"slo:sli_error:ratio_rate{w}", "expr": ratio_expr(sel, w, matcher), "labels": dict(ident)}
                 for w in windows]
        for tier in policy:
            threshold = f"({factor(tier, period):.6g} * {budget:g})"
            long, short = tier["long_window"], tier["short_window"]
            expr = (f"slo:sli_error:ratio_rate{long}{matcher} > {threshold}\n"
                    f"and\nslo:sli_error:ratio_rate{short}{matcher} > {threshold}")
            if SHORTCUT == "long_window_only":
                expr = f"slo:sli_error:ratio_rate{long}{matcher} > {threshold}"
            if SHORTCUT == "raw_error_rate" and sel["kind"] == "errors":
                raw = f"{factor(tier, period):.6g} * {budget:g} * {TYPICAL_RPS:g}"
                expr = (f"sum(rate({sel['bad']}[{long}])) > {raw}\nand\nsum(rate({sel['bad']}[{short}])) > {raw}")
            rule = {"alert": slo["alert_name"], "expr": expr, "for": tier["for"],
                    "labels": {**ident, "severity": tier["severity"], "long_window": long, "team": doc["team"]},
                    "annotations": {
                        "summary": f"{slo['service']} {slo['slo']} SLO: error budget burning at "
                                   f"{factor(tier, period):.3g}x over {long} and {short}",
                        "runbook_url": slo["runbook_url"]}}
            if SHORTCUT == "no_for":
                del rule["for"]
            rules.append(rule)
        groups.append({"name": f"slo-{slo['service']}-{slo['slo']}", "interval": "1m", "rules": rules})
    return groups


def outage_series(slo: dict, quiet: int, length: int) -> list[dict]:
    """A quiet stretch (PER_MINUTE good events a minute), then every event bad, in the SLI's own metrics."""
    sli = slo["sli"]
    labels = f'{sli["scope"]}, instance="10.0.0.1:8080"'
    metric = sli["metric"]
    healthy = f"0+{PER_MINUTE}x{quiet} {quiet * PER_MINUTE}+0x{length - quiet - 1}"
    if sli["type"] == "latency":
        le = re.search(r'le="([^"]+)"', sli["good_events"]).group(1)
        return [{"series": f"{metric}_count{{{labels}}}", "values": f"0+{PER_MINUTE}x{length}"},
                {"series": f'{metric}_bucket{{{labels}, le="+Inf"}}', "values": f"0+{PER_MINUTE}x{length}"},
                {"series": f'{metric}_bucket{{{labels}, le="{le}"}}', "values": healthy}]
    if metric == "http_requests_total":
        good, bad = ', handler="/api", code="200"', ', handler="/api", code="503"'
    else:
        good, bad = ', grpc_code="OK"', ', grpc_code="Unavailable"'
    return [{"series": f"{metric}{{{labels}{good}}}", "values": healthy},
            {"series": f"{metric}{{{labels}{bad}}}", "values": f"0+0x{quiet} {PER_MINUTE}+{PER_MINUTE}x{length - quiet - 1}"}]


def unit_tests(doc: dict) -> dict:
    policy = doc["alerting_policy"]
    hold = int(max(minutes(t["for"]) for t in policy))
    quiet, length = 30, 30 + hold + 60
    tests = []
    for slo in doc["slos"]:
        ident = {"service": slo["service"], "slo": slo["slo"]}
        metric = f'slo:sli_error:ratio_rate5m{{service="{slo["service"]}",slo="{slo["slo"]}"}}'
        alerts = []
        for tier in policy:
            alerts.append({"exp_labels": {**ident, "severity": tier["severity"], "long_window": tier["long_window"],
                                          "team": doc["team"]},
                           "exp_annotations": {"summary": f"{slo['service']} {slo['slo']} SLO: error budget burning at "
                                                          f"{factor(tier, doc['slo_period']['window']):.3g}x over "
                                                          f"{tier['long_window']} and {tier['short_window']}",
                                               "runbook_url": slo["runbook_url"]}})
        tests.append({
            "name": f"{slo['service']} {slo['slo']}: quiet, then a full outage raises every tier",
            "interval": "1m",
            "input_series": outage_series(slo, quiet, length),
            "alert_rule_test": [{"eval_time": f"{quiet - 5}m", "alertname": slo["alert_name"], "exp_alerts": []},
                                {"eval_time": f"{quiet + hold + 30}m", "alertname": slo["alert_name"],
                                 "exp_alerts": alerts}],
            "promql_expr_test": [{"expr": metric, "eval_time": f"{quiet - 5}m",
                                  "exp_samples": [{"labels": metric, "value": 0}]},
                                 {"expr": metric, "eval_time": f"{quiet + 10}m",
                                  "exp_samples": [{"labels": metric, "value": 1}]}],
        })
    return {"rule_files": ["slo_rules.yml"], "evaluation_interval": "1m", "tests": tests}


def main() -> None:
    doc = yaml.safe_load((INPUT / "slo_spec.yaml").read_text())
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "slo_rules.yml").write_text(yaml.safe_dump({"groups": rule_groups(doc)}, sort_keys=False, width=200))
    (OUTPUT / "slo_rules_test.yml").write_text(yaml.safe_dump(unit_tests(doc), sort_keys=False, width=200))
    for argv in (["promtool", "check", "rules", "slo_rules.yml"], ["promtool", "test", "rules", "slo_rules_test.yml"]):
        subprocess.run(argv, cwd=OUTPUT, check=True)


if __name__ == "__main__":
    main()
