#!/usr/bin/env python3
"""Plausible fabrication: promtool is never run and the SLI definitions and the snapshot are never read.
The rules are a generic SRE-workbook template filled with the document's names (5xx over all requests of
the job, the workbook's 14.4/6/1 factors, the policy's windows and for:), and the unit-test file is
written to look right without ever being run."""

import os
from pathlib import Path

import yaml

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
WORKBOOK = [14.4, 6.0, 1.0]


def main() -> None:
    doc = yaml.safe_load((INPUT / "slo_spec.yaml").read_text())
    policy = doc["alerting_policy"]
    windows = sorted({t[w] for t in policy for w in ("long_window", "short_window")})
    groups, tests = [], []
    for slo in doc["slos"]:
        ident = {"service": slo["service"], "slo": slo["slo"]}
        budget = round(1 - slo["objective_percent"] / 100, 10)
        job = f'job="{slo["service"]}"'
        rules = [{"record": f"slo:sli_error:ratio_rate{w}", "labels": ident,
                  "expr": f'sum(rate(http_requests_total{{{job},code=~"5.."}}[{w}])) / '
                          f"sum(rate(http_requests_total{{{job}}}[{w}]))"} for w in windows]
        for tier, factor in zip(policy, WORKBOOK, strict=True):
            sel = f'{{service="{slo["service"]}",slo="{slo["slo"]}"}}'
            rules.append({
                "alert": slo["alert_name"], "for": tier["for"],
                "expr": f"slo:sli_error:ratio_rate{tier['long_window']}{sel} > {factor * budget:g} and "
                        f"slo:sli_error:ratio_rate{tier['short_window']}{sel} > {factor * budget:g}",
                "labels": {**ident, "severity": tier["severity"], "long_window": tier["long_window"],
                           "team": doc["team"]},
                "annotations": {"summary": f"{slo['service']} is burning its error budget",
                                "runbook_url": slo["runbook_url"]}})
        groups.append({"name": f"slo-{slo['service']}-{slo['slo']}", "rules": rules})
        tests.append({"interval": "1m", "input_series": [
            {"series": f'http_requests_total{{{job},code="500"}}', "values": "0+100x120"},
            {"series": f'http_requests_total{{{job},code="200"}}', "values": "0+100x120"}],
            "alert_rule_test": [{"eval_time": "100m", "alertname": slo["alert_name"], "exp_alerts": [
                {"exp_labels": {**ident, "severity": "page", "long_window": "1h", "team": doc["team"]}}]}]})
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "slo_rules.yml").write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    (OUTPUT / "slo_rules_test.yml").write_text(yaml.safe_dump(
        {"rule_files": ["slo_rules.yml"], "evaluation_interval": "1m", "tests": tests}, sort_keys=False))


if __name__ == "__main__":
    main()
