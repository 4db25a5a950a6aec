"""The SLO documents of the variants, and the input files written from them.

A variant is one team's SLO document: its services' SLOs (an availability SLI over a request counter,
or a latency SLI over a histogram), the SLO period, the multi-window, multi-burn-rate alerting policy
stated as error budget consumed per window (the SRE workbook's form), and the on-call conventions.
"""

from __future__ import annotations

from typing import Any

MINUTES = {"m": 1, "h": 60, "d": 1440}

POLICIES = {
    # severity, budget consumed (%), long window, short window, for
    "storefront": [("page", 2, "1h", "5m", "2m"), ("page", 5, "6h", "30m", "15m"), ("ticket", 10, "1d", "2h", "30m")],
    "payments": [("page", 2, "1h", "5m", "2m"), ("page", 5, "6h", "30m", "15m"), ("ticket", 10, "3d", "6h", "1h")],
    "identity": [("page", 2, "1h", "5m", "2m"), ("page", 4, "6h", "30m", "10m"), ("ticket", 10, "2d", "4h", "1h")],
}

HTTP_ERRORS = "any 5xx status code (500-599)"
GRPC_ERROR_CODES = ["Unknown", "DeadlineExceeded", "Internal", "Unavailable", "DataLoss"]

VARIANTS: dict[str, dict[str, Any]] = {
    "storefront": {
        "team": "storefront", "period": "30d", "family": "http", "neighbour": "recommendations-api",
        "jobs": {"checkout-api": ["/api/v1/cart", "/api/v1/checkout"],
                 "catalog-api": ["/api/v1/products", "/api/v1/search"],
                 "recommendations-api": ["/api/v1/recommendations", "/api/v1/recently-viewed"]},
        "slos": [
            {"service": "checkout-api", "slo": "availability", "kind": "errors", "objective": 99.9,
             "alert": "CheckoutApiAvailabilityBudgetBurn"},
            {"service": "catalog-api", "slo": "availability", "kind": "errors", "objective": 99.5,
             "alert": "CatalogApiAvailabilityBudgetBurn"},
        ],
    },
    "payments": {
        "team": "payments", "period": "28d", "family": "grpc", "neighbour": "ledger-api",
        "jobs": {"payments-api": ["payments.v1.PaymentService/Authorize", "payments.v1.PaymentService/Capture"],
                 "ledger-api": ["ledger.v1.LedgerService/PostEntry", "ledger.v1.LedgerService/GetBalance"]},
        "slos": [
            {"service": "payments-api", "slo": "availability", "kind": "errors", "objective": 99.95,
             "alert": "PaymentsApiAvailabilityBudgetBurn"},
            {"service": "payments-api", "slo": "latency", "kind": "latency", "objective": 99.0, "threshold": "0.3",
             "alert": "PaymentsApiLatencyBudgetBurn"},
        ],
    },
    "identity": {
        "team": "identity", "period": "30d", "family": "grpc", "neighbour": "directory-api",
        "jobs": {"auth-api": ["identity.v1.AuthService/Login", "identity.v1.AuthService/RefreshToken"],
                 "token-api": ["identity.v1.TokenService/Issue", "identity.v1.TokenService/Introspect"],
                 "directory-api": ["identity.v1.DirectoryService/LookupUser", "identity.v1.DirectoryService/ListGroups"]},
        "slos": [
            {"service": "auth-api", "slo": "availability", "kind": "errors", "objective": 99.9,
             "alert": "AuthApiAvailabilityBudgetBurn"},
            {"service": "token-api", "slo": "latency", "kind": "latency", "objective": 99.5, "threshold": "0.1",
             "alert": "TokenApiLatencyBudgetBurn"},
        ],
    },
}
HISTOGRAM_BUCKETS = ["0.025", "0.05", "0.1", "0.3", "0.6", "1", "2.5", "+Inf"]
RUNBOOK_BASE = "https://runbooks.internal.example.com/slo"


def minutes(duration: str) -> int:
    """Minutes of a Prometheus duration with a single unit (5m, 6h, 3d)."""
    return int(duration[:-1]) * MINUTES[duration[-1]]


def budget(slo: dict[str, Any]) -> float:
    """The error budget as a ratio: 1 - objective."""
    return round(1 - slo["objective"] / 100, 10)


def tiers(name: str) -> list[dict[str, Any]]:
    """The alerting policy of a variant, each tier with its burn-rate factor for the variant's SLO period."""
    period = minutes(VARIANTS[name]["period"])
    return [{"severity": sev, "budget_pct": pct, "long": long, "short": short, "for": hold,
             "factor": pct / 100 * period / minutes(long)}
            for sev, pct, long, short, hold in POLICIES[name]]


def windows(name: str) -> list[str]:
    """Every window of the policy, shortest first."""
    return sorted({w for t in tiers(name) for w in (t["long"], t["short"])}, key=minutes)


def runbook(name: str, slo: dict[str, Any]) -> str:
    return f"{RUNBOOK_BASE}/{VARIANTS[name]['team']}/{slo['service']}/{slo['slo']}"


def _sli_text(name: str, slo: dict[str, Any]) -> list[str]:
    job = slo["service"]
    if VARIANTS[name]["family"] == "http":
        return [
            "    sli:",
            "      type: availability",
            f"      description: share of {job} HTTP requests served without a server error",
            "      metric: http_requests_total   # counter, scraped from every pod",
            f"      scope: 'job=\"{job}\"'",
            f"      bad_events: requests answered with {HTTP_ERRORS}",
            "      good_events: every other status, including 4xx (client errors are not ours)",
            "      excluded: requests to handler \"/healthz\" (kubelet liveness and readiness probes)",
        ]
    service = VARIANTS[name]["jobs"][job][0].split("/")[0]
    if slo["kind"] == "errors":
        return [
            "    sli:",
            "      type: availability",
            f"      description: share of {service} unary RPCs handled without a server-side error",
            "      metric: grpc_server_handled_total   # counter, go-grpc-prometheus interceptor",
            f"      scope: 'job=\"{job}\", grpc_service=\"{service}\"'",
            f"      bad_events: RPCs whose grpc_code is one of {', '.join(GRPC_ERROR_CODES)}",
            "      good_events: every other code (OK and the client-side codes such as InvalidArgument, NotFound)",
            "      excluded: the grpc.health.v1.Health service (load-balancer health checks)",
        ]
    return [
        "    sli:",
        "      type: latency",
        f"      description: share of {service} unary RPCs handled within {float(slo['threshold']) * 1000:.0f} ms",
        "      metric: grpc_server_handling_seconds   # histogram (_bucket, _count, _sum)",
        f"      scope: 'job=\"{job}\", grpc_service=\"{service}\"'",
        f"      good_events: RPCs in the le=\"{slo['threshold']}\" bucket",
        "      valid_events: every RPC of the histogram (_count), whatever its code",
        "      excluded: the grpc.health.v1.Health service (load-balancer health checks)",
    ]


def spec_yaml(name: str, canary: str) -> str:
    """The team's SLO document, as the YAML file it keeps in its repository."""
    v = VARIANTS[name]
    lines = [
        f"# SLO document of the {v['team']} team. Reviewed with product and the on-call rotation.",
        f"# {canary}",
        f"team: {v['team']}",
        "slo_period:",
        f"  window: {v['period']}          # rolling window",
        "  evaluation_interval: 1m   # Prometheus rule evaluation interval of the team's rule groups",
        "",
        "slos:",
    ]
    for slo in v["slos"]:
        lines += [
            f"  - service: {slo['service']}",
            f"    slo: {slo['slo']}",
            f"    objective_percent: {slo['objective']}",
            f"    alert_name: {slo['alert']}",
            f"    runbook_url: {runbook(name, slo)}",
            *_sli_text(name, slo),
        ]
    lines += [
        "",
        "# Multi-window, multi-burn-rate alerting. A tier fires when the error budget is being",
        "# consumed fast enough that the stated share of the whole period's budget would be spent",
        "# within the long window, AND the short window confirms the burn is still going on",
        "# (the same burn-rate threshold applies to both windows).",
        "alerting_policy:",
    ]
    for t in tiers(name):
        lines += [
            f"  - severity: {t['severity']}",
            f"    budget_consumed_percent: {t['budget_pct']}",
            f"    long_window: {t['long']}",
            f"    short_window: {t['short']}",
            f"    for: {t['for']}",
        ]
    lines += [
        "",
        "conventions:",
        "  recording_rules:",
        "    name: slo:sli_error:ratio_rate<window>   # e.g. slo:sli_error:ratio_rate5m, one per window of the policy",
        "    value: the SLI's error ratio (bad / valid events) over the window, 0..1",
        "    labels: [service, slo]                    # one series per SLO",
        "  alerts:",
        "    one_rule_per: [slo, tier]                 # alert_name of the SLO, one rule per tier of the policy",
        f"    labels: {{service: <service>, slo: <slo>, severity: <tier severity>, long_window: <tier long window>,"
        f" team: {v['team']}}}",
        "    annotations: {summary: <one line>, runbook_url: <the SLO's runbook_url>}",
        "    series_per_firing_tier: 1                 # aggregate away instance, route, method and code",
    ]
    return "\n".join(lines) + "\n"
