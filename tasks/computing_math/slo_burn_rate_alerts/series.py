"""The metrics of the variants' services, minute by minute, and what the SLOs make of them.

Traffic is built per minute as integer counter increments for every series a service exports (the
requests it serves, its health checks, its latency histogram), from a few step functions: the
service's request rate, its server-error ratio, its slow-request ratio and its health-check failure
ratio. The same increments give each SLO's bad and valid events, so the error ratio of any window is
exact: the counters start at 0 and are sampled every minute, so Prometheus' rate() over a window
equals (v(t) - v(t - window)) / window without extrapolation, clipped at the first sample.
"""

from __future__ import annotations

from typing import Any

from .spec import HISTOGRAM_BUCKETS, VARIANTS

HEALTH_PER_MINUTE = 600
Steps = list[tuple[int, float]]


def at(steps: Steps, minute: int) -> float:
    """The value of a step function (sorted (start minute, value) pairs) at a minute."""
    value = steps[0][1]
    for start, v in steps:
        if start <= minute:
            value = v
    return value


def instances(name: str, job: str) -> list[str]:
    k = list(VARIANTS[name]["jobs"]).index(job)
    return [f"10.42.{k + 3}.17:8080", f"10.42.{k + 3}.23:8080"]


def labels(metric: str, **pairs: str) -> str:
    return metric + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(pairs.items())) + "}"


def http_minute(name: str, job: str, n: int, err: float, health_err: float,
                client: float | None = None) -> tuple[dict[str, int], int]:
    """Counter increments of one HTTP service for one minute, and its server errors (``client``: the share of
    requests answered with a client error, 4xx; 1 % when not given)."""
    r0, r1 = VARIANTS[name]["jobs"][job]
    i0, i1 = instances(name, job)
    e = round(err * n)
    c = n // 100 if client is None else round(client * n)
    good = n - e - c
    he = round(health_err * HEALTH_PER_MINUTE)
    m = "http_requests_total"
    return {
        labels(m, job=job, instance=i0, handler=r0, method="GET", code="200"): good * 3 // 5,
        labels(m, job=job, instance=i1, handler=r1, method="POST", code="200"): good - good * 3 // 5,
        labels(m, job=job, instance=i0, handler=r0, method="GET", code="404"): c,
        labels(m, job=job, instance=i0, handler=r1, method="POST", code="500"): e // 2,
        labels(m, job=job, instance=i1, handler=r0, method="GET", code="503"): e - e // 2,
        labels(m, job=job, instance=i0, handler="/healthz", method="GET", code="200"): HEALTH_PER_MINUTE - he,
        labels(m, job=job, instance=i1, handler="/healthz", method="GET", code="503"): he,
    }, e


def _histogram(base: dict[str, str], n: int, slow: int, threshold: str) -> dict[str, int]:
    fast = n - slow
    below = {"0.025": 30, "0.05": 60, "0.1": 85}
    above = {"0.3": 30, "0.6": 50, "1": 80, "2.5": 95}
    out = {}
    for le in HISTOGRAM_BUCKETS:
        if le == "+Inf":
            value = n
        elif float(le) < float(threshold):
            value = fast * below[le] // 100
        elif le == threshold:
            value = fast
        else:
            value = fast + slow * above[le] // 100
        out[labels("grpc_server_handling_seconds_bucket", **base, le=le)] = value
    out[labels("grpc_server_handling_seconds_count", **base)] = n
    return out


def grpc_minute(name: str, job: str, n: int, err: float, slow_ratio: float, health_err: float,
                 threshold: str, client: float | None = None) -> tuple[dict[str, int], int, int]:
    """Counter increments of one gRPC service for one minute, its server errors and its slow RPCs (``client``:
    the share of RPCs that end with a client-side code, InvalidArgument; 1 % when not given)."""
    (svc, m0), (_, m1) = (route.split("/") for route in VARIANTS[name]["jobs"][job])
    i0, i1 = instances(name, job)
    e = round(err * n)
    c = n // 100 if client is None else round(client * n)
    good = n - e - c
    he = round(health_err * HEALTH_PER_MINUTE)
    s = round(slow_ratio * n)
    h = "grpc_server_handled_total"
    common = {"job": job, "grpc_type": "unary"}
    health = {**common, "grpc_service": "grpc.health.v1.Health", "grpc_method": "Check"}
    out = {
        labels(h, **common, instance=i0, grpc_service=svc, grpc_method=m0, grpc_code="OK"): good * 3 // 5,
        labels(h, **common, instance=i1, grpc_service=svc, grpc_method=m1, grpc_code="OK"): good - good * 3 // 5,
        labels(h, **common, instance=i0, grpc_service=svc, grpc_method=m0, grpc_code="InvalidArgument"): c,
        labels(h, **common, instance=i0, grpc_service=svc, grpc_method=m0, grpc_code="Unavailable"): e // 2,
        labels(h, **common, instance=i1, grpc_service=svc, grpc_method=m1, grpc_code="Internal"): e - e // 2,
        labels(h, **health, instance=i0, grpc_code="OK"): HEALTH_PER_MINUTE - he,
        labels(h, **health, instance=i1, grpc_code="Unavailable"): he,
    }
    n0, s0 = n * 3 // 5, s * 3 // 5
    out.update(_histogram({**common, "instance": i0, "grpc_service": svc, "grpc_method": m0}, n0, s0, threshold))
    out.update(_histogram({**common, "instance": i1, "grpc_service": svc, "grpc_method": m1}, n - n0, s - s0,
                          threshold))
    out.update(_histogram({**health, "instance": i0}, HEALTH_PER_MINUTE, 0, threshold))
    return out, e, s


def build(name: str, scenario: dict[str, Any]) -> tuple[dict[str, list[int]], dict[int, tuple[list[int], list[int]]]]:
    """Per-minute increments of every series (index 0 is the first sample, 0) and, per SLO index, the
    cumulative bad and valid events at every minute.

    ``scenario`` holds ``end`` (last minute) and, per job, step functions ``traffic`` (requests a minute),
    ``err`` (server-error ratio), ``slow`` (ratio of requests slower than the latency threshold) and
    ``health`` (health-check failure ratio), and optionally ``client`` (client-error ratio: 4xx or
    InvalidArgument, good events of the availability SLIs; 1 % when absent).
    """
    v = VARIANTS[name]
    slos = v["slos"]
    threshold = next((s["threshold"] for s in slos if s["kind"] == "latency"), "0.3")
    increments: dict[str, list[int]] = {}
    bad = {i: [0] for i in range(len(slos))}
    valid = {i: [0] for i in range(len(slos))}
    for minute in range(scenario["end"] + 1):
        events: dict[str, tuple[int, int, int]] = {}
        for job in v["jobs"]:
            p = scenario["jobs"][job]
            n = round(at(p["traffic"], minute))
            client = at(p["client"], minute) if "client" in p else None
            if v["family"] == "http":
                inc, e = http_minute(name, job, n, at(p["err"], minute), at(p["health"], minute), client)
                s = 0
            else:
                inc, e, s = grpc_minute(name, job, n, at(p["err"], minute), at(p["slow"], minute),
                                         at(p["health"], minute), threshold, client)
            events[job] = (n, e, s)
            for key, value in inc.items():
                increments.setdefault(key, []).append(value if minute else 0)
        if minute == 0:
            continue
        for i, slo in enumerate(slos):
            n, e, s = events[slo["service"]]
            bad[i].append(bad[i][-1] + (e if slo["kind"] == "errors" else s))
            valid[i].append(valid[i][-1] + n)
    return increments, {i: (bad[i], valid[i]) for i in bad}


def values_notation(increments: list[int]) -> str:
    """promtool's expanding notation for a counter with these per-minute increments (the first is 0)."""
    parts: list[str] = []
    total = 0
    i = 1
    while i < len(increments):
        j = i
        while j + 1 < len(increments) and increments[j + 1] == increments[i]:
            j += 1
        step = increments[i]
        if not parts:
            parts.append(f"0+{step}x{j - i + 1}")
        else:
            first = total + step
            parts.append(f"{first}+{step}x{j - i}")
        total += step * (j - i + 1)
        i = j + 1
    return " ".join(parts) if parts else "0"


def ratio(cum_bad: list[int], cum_valid: list[int], minute: int, window: int) -> float | None:
    """The SLI's error ratio over [minute - window, minute] (clipped at the first sample); None when no event."""
    lo = max(0, minute - window)
    valid = cum_valid[minute] - cum_valid[lo]
    return None if valid <= 0 else (cum_bad[minute] - cum_bad[lo]) / valid
