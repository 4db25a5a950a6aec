"""The grader's hidden promtool unit tests: incidents built by construction, and the alert states that the
SLO document's policy implies for them.

Each scenario is a few hours of every service's metrics (step functions of traffic, server-error,
slow-request and health-check-failure ratios). The reference alert state of every SLO and tier is
simulated minute by minute from the exact window error ratios: a tier's condition holds when both its
long- and short-window ratios exceed factor x budget; an alert is firing once its condition has held
for the tier's ``for:`` (Prometheus' pending-to-firing rule). The test asserts, at checkpoints where the
reference state is steady (the same for MARGIN minutes either side and with the ratios scaled by 3 %),
how many firing ALERTS series each SLO and tier has.
"""

from __future__ import annotations

import random
from typing import Any

import yaml

from .series import build, labels, ratio, values_notation
from .spec import VARIANTS, budget, minutes, tiers, windows

MARGIN = 3  # minutes kept between a checkpoint and a reference transition
SLACK = (0.97, 1.03)  # error-ratio scales a checkpoint's reference state must not depend on
SPARSE = 6  # minutes between checkpoints outside the scenario's focus
SURGE = 25  # traffic multiplier of the surge scenario
HISTORY = 720  # minutes of the history scenario before its burns: twice the 6h window, an old incident at its start
HISTORY_TAIL = 420  # minutes of the history scenario after it
CLIENT_SHARE = 0.3  # share of requests answered with a client error in the slow-burn scenario (good events)
WINDOW_RULES = "slo_rules_windows.yml"  # the grader's copy of the rules in one group without an interval


def _base(name: str, rng: random.Random) -> dict[str, Any]:
    """Steady traffic and error levels of every job (a quiet day), and each SLO's baseline burn rate."""
    v = VARIANTS[name]
    jobs = {}
    for job in v["jobs"]:
        jobs[job] = {"traffic": [(0, float(rng.randrange(12000, 30001, 500)))], "err": [(0, 0.0002)],
                     "slow": [(0, 0.002)], "health": [(0, 0.0)]}
    baseline = [round(rng.uniform(0.15, 0.35), 3) for _ in v["slos"]]
    for slo, b in zip(v["slos"], baseline, strict=True):
        jobs[slo["service"]]["err" if slo["kind"] == "errors" else "slow"] = [(0, b * budget(slo))]
    return {"jobs": jobs, "baseline": baseline}


def _burn(name: str, base: dict[str, Any], index: int, steps: list[tuple[int, float]]) -> None:
    """Set SLO ``index``'s burn rate (multiples of its budget) over time."""
    slo = VARIANTS[name]["slos"][index]
    key = "err" if slo["kind"] == "errors" else "slow"
    base["jobs"][slo["service"]][key] = [(t, b * budget(slo)) for t, b in steps]


def scenarios(name: str, seed: int) -> list[dict[str, Any]]:
    """The hidden scenarios of a variant: what each shows, its metrics, and what must (not) fire."""
    rng = random.Random(seed * 7919 + 17)
    v = VARIANTS[name]
    s1, s2 = v["slos"]
    fast, slow_page, ticket = (t["factor"] for t in tiers(name))
    out = []

    def scenario(key: str, check: str, end: int, focus: tuple[int, int], must_fire: list[tuple[int, int]],
                 build_fn: Any) -> None:
        base = _base(name, rng)
        b = base["baseline"]
        build_fn(base, b)
        out.append({"key": key, "check": check, "end": end, "focus": focus, "jobs": base["jobs"],
                    "must_fire": must_fire})

    t1, d, f = rng.randrange(60, 91), rng.randrange(45, 61), fast * rng.uniform(1.9, 2.3)
    scenario("fast_burn", f"{s1['alert']}: a fast burn pages within the hour and stops paging once it ends",
             t1 + d + 60, (t1, t1 + d + 60), [(0, 0)],
             lambda base, b: _burn(name, base, 0, [(0, b[0]), (t1, f), (t1 + d, b[0])]))

    t2, d2, f2 = rng.randrange(100, 121), rng.randrange(50, 61), fast * rng.uniform(1.7, 2.0)

    def night(base: dict[str, Any], b: list[float]) -> None:
        traffic = base["jobs"][s2["service"]]["traffic"][0][1]
        base["jobs"][s2["service"]]["traffic"] = [(0, traffic), (30, round(traffic / 15))]
        _burn(name, base, 1, [(0, b[1]), (t2, f2), (t2 + d2, b[1])])

    what = "a latency breach" if s2["kind"] == "latency" else "a fast burn"
    scenario("night_burn", f"{s2['alert']}: {what} at night-time traffic (1/15 of the day's) pages, and every "
             "window's recording rule holds its ratio over the day's and the night's events",
             t2 + d2 + 40, (t2, t2 + d2 + 40), [(1, 0)], night)

    mix = rng.uniform(0.4, 0.6)
    slow_burn = ticket + (slow_page - ticket) * mix
    def slow(base: dict[str, Any], b: list[float]) -> None:
        # a client bug answers CLIENT_SHARE of every service's requests with a client error (4xx,
        # InvalidArgument): good events of the SLIs, so the error ratios (and the recording rules' values
        # checked on this scenario) are those of the server errors over all valid events
        for job in base["jobs"].values():
            job["client"] = [(0, CLIENT_SHARE)]
        _burn(name, base, 0, [(0, b[0]), (60, slow_burn)])

    scenario("slow_burn", f"{s1['alert']}: a slow burn ({slow_burn:.2f}x), with {CLIENT_SHARE:.0%} client errors, "
             "opens a ticket after the policy's delay and never pages", 300, (60, 300), [(0, 2)], slow)

    t3 = rng.randrange(330, 361)
    scenario("blip", f"{s1['alert']}: a 3-minute error spike (60x burn) alerts no one", t3 + 60, (t3 - 5, t3 + 40), [],
             lambda base, b: _burn(name, base, 0, [(0, b[0]), (t3, 60.0), (t3 + 3, b[0])]))

    def health(base: dict[str, Any], b: list[float]) -> None:
        base["jobs"][s1["service"]]["health"] = [(0, 0.0), (60, 1.0), (180, 0.0)]

    scenario("healthcheck", f"{s1['service']}: failing health checks alone alert no one", 240, (60, 240), [], health)

    def neighbour(base: dict[str, Any], b: list[float]) -> None:
        job = base["jobs"][v["neighbour"]]
        job["traffic"] = [(0, max(job["traffic"][0][1], base["jobs"][s1["service"]]["traffic"][0][1]))]
        job["err"] = [(0, 0.0002), (60, 0.3), (180, 0.0002)]
        job["slow"] = [(0, 0.002), (60, 0.3), (180, 0.002)]

    scenario("neighbour", f"an outage of {v['neighbour']} (no SLO) alerts no one for the SLO services", 240,
             (60, 240), [], neighbour)

    t4 = rng.randrange(80, 101)

    def surge(base: dict[str, Any], b: list[float]) -> None:
        traffic = base["jobs"][s1["service"]]["traffic"][0][1]
        base["jobs"][s1["service"]]["traffic"] = [(0, traffic), (t4, traffic * SURGE), (t4 + 90, traffic)]
        _burn(name, base, 0, [(0, b[0]), (t4, 0.7), (t4 + 90, b[0])])

    scenario("surge", f"{s1['alert']}: a {SURGE}x traffic surge at an unchanged error ratio (0.7x) alerts no one",
             t4 + 120, (t4, t4 + 120), [], surge)

    f5 = fast * rng.uniform(1.04, 1.06)
    scenario("threshold", f"{s1['alert']}: a sustained burn just over the paging rate ({f5:.2f}x) pages", 150,
             (100, 150), [(0, 0)], lambda base, b: _burn(name, base, 0, [(0, b[0]), (60, f5)]))
    out.append(_history(name, seed))
    return out


def _history(name: str, seed: int) -> dict[str, Any]:
    """An old incident, twelve hours of quiet, then a slow burn of the first SLO and a burn of the second just
    over the 6h paging rate: the 6h tier pages on its own window's schedule (not a shorter or longer one's), and
    the ticket tier's long window still holds the old incident that shorter windows have forgotten."""
    rng = random.Random(seed * 7919 + 29)  # its own stream: the other scenarios' draws stay as they were
    v = VARIANTS[name]
    s1, s2 = v["slos"]
    _, slow_page, ticket = (t["factor"] for t in tiers(name))
    base = _base(name, rng)
    b = base["baseline"]
    old = ticket + (slow_page - ticket) * rng.uniform(0.4, 0.6)
    creep = ticket + (slow_page - ticket) * rng.uniform(0.4, 0.6)
    over = slow_page * rng.uniform(1.25, 1.35)
    start1, start2 = HISTORY + rng.randrange(50, 71), HISTORY + rng.randrange(20, 41)
    end = HISTORY + HISTORY_TAIL
    _burn(name, base, 0, [(0, old), (240, b[0]), (start1, creep)])
    _burn(name, base, 1, [(0, b[1]), (start2, over)])
    return {"key": "history", "end": end, "focus": (HISTORY - 30, end), "jobs": base["jobs"], "must_fire": [(1, 1)],
            "check": f"12 hours after an old incident, {s2['alert']}'s burn at {over:.2f}x pages on the 6h "
                     f"window's schedule, {s1['alert']}'s slow burn ({creep:.2f}x) tickets as the long window says, "
                     "and every window's recording rule holds its ratio"}


def simulate(name: str, cum: dict[int, tuple[list[int], list[int]]], end: int,
             scale: float = 1.0) -> dict[tuple[int, int], list[bool]]:
    """Reference firing state of every (SLO index, tier index) at every minute 0..end (with the error
    ratios scaled by ``scale``)."""
    states = {}
    for i, slo in enumerate(VARIANTS[name]["slos"]):
        bad, valid = cum[i]
        for k, tier in enumerate(tiers(name)):
            threshold = tier["factor"] * budget(slo) / scale
            long, short, hold = minutes(tier["long"]), minutes(tier["short"]), minutes(tier["for"])
            active_since = None
            firing = []
            for m in range(end + 1):
                rl, rs = ratio(bad, valid, m, long), ratio(bad, valid, m, short)
                if rl is not None and rs is not None and rl > threshold and rs > threshold:
                    active_since = m if active_since is None else active_since
                else:
                    active_since = None
                firing.append(active_since is not None and m - active_since >= hold)
            states[(i, k)] = firing
    return states


def _selector(name: str, i: int, k: int) -> str:
    v = VARIANTS[name]
    slo, tier = v["slos"][i], tiers(name)[k]
    return labels("ALERTS", alertname=slo["alert"], alertstate="firing", service=slo["service"], slo=slo["slo"],
                  severity=tier["severity"], long_window=tier["long"], team=v["team"])


def _count_test(expr: str, time: int, count: int, unit: str = "m") -> dict[str, Any]:
    return {"expr": f"count({expr})", "eval_time": f"{time}{unit}",
            "exp_samples": [{"labels": "{}", "value": count}] if count else []}


def robust(states: dict[tuple[int, int], list[bool]], others: list[dict[tuple[int, int], list[bool]]],
           margin: int = MARGIN) -> dict[tuple[int, int], list[bool]]:
    """Per (SLO, tier) and checkpoint: whether the reference state holds for ``margin`` checkpoints either side and
    is the same in ``others`` (the error ratios scaled within SLACK: a checkpoint an exact rule set cannot miss
    and a near-exact one, such as a window averaged from 5m ratios, does not depend on by luck)."""
    out = {}
    for key, s in states.items():
        end = len(s) - 1
        out[key] = [all(s[j] == s[m] for j in range(max(0, m - margin), min(end, m + margin) + 1))
                    and all(o[key][m] == s[m] for o in others) for m in range(end + 1)]
    return out


def hidden_test(name: str, sc: dict[str, Any], series: dict[str, list[int]],
                states: dict[tuple[int, int], list[bool]], steady: dict[tuple[int, int], list[bool]],
                extra: list[dict[str, Any]] | None = None, also: list[dict[str, Any]] | None = None) -> str:
    """A promtool unit-test file over ``slo_rules.yml`` asserting the reference alert states at checkpoints
    where they are ``steady``, or the ``extra`` tests instead; ``also`` tests are added to the former."""
    end = sc["end"]
    focus = range(sc["focus"][0], min(sc["focus"][1], end) + 1)
    grid = sorted({m for m in range(SPARSE, end + 1, SPARSE)} | set(focus))
    tests: list[dict[str, Any]] = []
    for m in grid if extra is None else ():
        for key in states:
            if steady[key][m]:
                tests.append(_count_test(_selector(name, *key), m, int(states[key][m])))
        if all(s[m] for s in steady.values()):
            tests.append(_count_test('ALERTS{alertstate="firing"}', m, sum(int(s[m]) for s in states.values())))
    test = {"interval": "1m", "name": sc["key"],
            "input_series": [{"series": k, "values": values_notation(inc)} for k, inc in sorted(series.items())],
            "promql_expr_test": tests + (extra or []) + (also or [])}
    doc = {"rule_files": ["slo_rules.yml"], "evaluation_interval": "1m", "tests": [test]}
    return yaml.safe_dump(doc, sort_keys=False, width=100000)


def recording_checks(name: str, cum: dict[int, tuple[list[int], list[int]]], minute: int) -> list[dict[str, Any]]:
    """Tests that each SLO's recording rule of every window holds the window's error ratio (within 2 %)."""
    tests = []
    for i, slo in enumerate(VARIANTS[name]["slos"]):
        for w in windows(name):
            value = ratio(*cum[i], minute, minutes(w))
            tol = value * 0.02 + 1e-12
            metric = labels(f"slo:sli_error:ratio_rate{w}", service=slo["service"], slo=slo["slo"])
            tests.append({"expr": f"count(abs({metric} - {value!r}) <= {tol!r})", "eval_time": f"{minute}m",
                          "exp_samples": [{"labels": "{}", "value": 1}]})
    return tests


def hidden_tests(name: str, seed: int) -> list[dict[str, Any]]:
    """Every hidden test file: its check name, file name and text (plus the reference transitions)."""
    files = []
    for sc in scenarios(name, seed):
        series, cum = build(name, sc)
        states = simulate(name, cum, sc["end"])
        steady = robust(states, [simulate(name, cum, sc["end"], scale) for scale in SLACK])
        for key in sc["must_fire"]:
            if not any(states[key]):
                raise AssertionError(f"scenario {sc['key']}: {key} never fires; the scenario is mis-built")
        if not sc["must_fire"] and any(any(s) for s in states.values()):
            raise AssertionError(f"scenario {sc['key']} fires an alert; the scenario is mis-built")
        fired = {f"{VARIANTS[name]['slos'][i]['alert']}/{tiers(name)[k]['long']}": [m for m in range(1, sc["end"] + 1)
                 if s[m] != s[m - 1]] for (i, k), s in states.items() if any(s)}
        also = None
        if sc["key"] == "history":
            also = [t for m in (sc["end"] - 180, sc["end"]) for t in recording_checks(name, cum, m)]
        elif sc["key"] == "night_burn":
            # traffic falls to a fifteenth after 30 minutes: a window's ratio is that of its events, which an
            # average of shorter windows' ratios over it (equal weight to a night minute and a day minute) is not
            also = recording_checks(name, cum, sc["end"])
        files.append({"check": sc["check"], "file": f"hidden_{sc['key']}.yml", "transitions": fired,
                      "text": hidden_test(name, sc, series, states, steady, also=also)})
        if sc["key"] == "slow_burn":
            files.append({"check": "recording rules hold each SLO's error ratio for every window of the policy",
                          "file": "hidden_recording.yml", "transitions": {},
                          "text": hidden_test(name, {**sc, "key": "recording"}, series, states, steady,
                                              recording_checks(name, cum, sc["end"]))})
    files.append(window_test(name, seed))
    return files


STEP = 5  # minutes between the samples and between the rule evaluations of the window test
HOUR = 60 // STEP  # samples an hour: its checkpoints are hourly
HOUR_MARGIN = 2  # hours kept between one of its checkpoints and a reference transition
RATIO_AGREE = 0.005  # how close the closed- and open-range ratios must be where a recorded ratio is checked
WRONG_WINDOWS = ("12h", "1d", "2d", "3d", "4d")  # long windows the window test must tell from the policy's


def _window_states(name: str, cum: dict[int, tuple[list[int], list[int]]], end: int, open_range: bool,
                   scale: float, long_window: str | None = None) -> dict[tuple[int, int], list[bool]]:
    """Reference firing state of every (SLO index, tier index) at every hour 0..end, the rules evaluated at every
    sample (``open_range``: a range selector leaves out its oldest sample; ``long_window``: the ticket tier's long
    window, the policy's when None)."""
    states = {}
    for i, slo in enumerate(VARIANTS[name]["slos"]):
        bad, valid = cum[i]
        for k, tier in enumerate(tiers(name)):
            threshold = tier["factor"] * budget(slo) / scale
            long = long_window if long_window and tier["severity"] == "ticket" else tier["long"]
            spans = [minutes(w) // STEP - int(open_range) for w in (long, tier["short"])]
            active_since = None
            firing = []
            for step in range(end * HOUR + 1):
                rs = [ratio(bad, valid, step, n) if n > 0 else None for n in spans]
                if all(r is not None and r > threshold for r in rs):
                    active_since = step if active_since is None else active_since
                else:
                    active_since = None
                if step % HOUR == 0:
                    firing.append(active_since is not None and (step - active_since) * STEP >= minutes(tier["for"]))
            states[(i, k)] = firing
    return states


def window_test(name: str, seed: int) -> dict[str, Any]:
    """Days of samples and rule evaluations every STEP minutes, each SLO's error ratio rising at about day 2
    so that the ticket tier's long window crosses its threshold a drawn share of that window later: the ticket
    tier fires when the policy's long window says (a day or two of samples apart from another day window), and
    every long window's recording rule holds its ratio (the minute-by-minute incidents span less than a day)."""
    rng = random.Random(seed * 7919 + 43)  # its own stream: the other scenarios' draws stay as they were
    v = VARIANTS[name]
    ticket = next(t for t in tiers(name) if t["severity"] == "ticket")
    base = _base(name, rng)
    for job in base["jobs"].values():
        job["traffic"] = [(0, job["traffic"][0][1] * STEP)]
    changes = []
    for i in range(len(v["slos"])):
        change = rng.randrange(40, 49) * HOUR
        before = ticket["factor"] * rng.uniform(0.1, 0.3)
        after = before + (ticket["factor"] - before) / rng.uniform(0.6, 0.7)
        _burn(name, base, i, [(0, before), (change, after)])
        changes.append(change // HOUR)
    end = max(changes) + minutes(ticket["long"]) // 60 + 8
    series, cum = build(name, {"end": end * HOUR, "jobs": base["jobs"]})
    states = _window_states(name, cum, end, False, 1.0)
    others = [_window_states(name, cum, end, open_range, scale)
              for open_range in (False, True) for scale in (1.0, *SLACK)]
    steady = robust(states, others, HOUR_MARGIN)
    tests = []
    for hour in range(1, end + 1):
        for key in states:
            if steady[key][hour]:
                tests.append(_count_test(_selector(name, *key), hour, int(states[key][hour]), "h"))
    for key, s in states.items():
        if any(s) != (tiers(name)[key[1]]["severity"] == "ticket"):
            raise AssertionError(f"window test: {key} fires {any(s)}; the scenario is mis-built")
    for wrong in set(WRONG_WINDOWS) - {ticket["long"]}:
        seen = _window_states(name, cum, end, False, 1.0, wrong)
        if not any(steady[key][h] and seen[key][h] != states[key][h] for key in states for h in range(end + 1)):
            raise AssertionError(f"window test: a {wrong} ticket window is not told from {ticket['long']}")
    long_windows = sorted({t["long"] for t in tiers(name)}, key=minutes)
    for hour in range(min(changes) + 1, end + 1, 3):
        for i, slo in enumerate(v["slos"]):
            for w in long_windows:
                n = minutes(w) // STEP
                value = ratio(*cum[i], hour * HOUR, n)
                other = ratio(*cum[i], hour * HOUR, n - 1)
                if value is None or other is None or abs(other - value) > value * RATIO_AGREE:
                    continue
                metric = labels(f"slo:sli_error:ratio_rate{w}", service=slo["service"], slo=slo["slo"])
                tol = value * 0.02 + 1e-12
                tests.append({"expr": f"count(abs({metric} - {value!r}) <= {tol!r})", "eval_time": f"{hour}h",
                              "exp_samples": [{"labels": "{}", "value": 1}]})
    test = {"interval": f"{STEP}m", "name": "windows",
            "input_series": [{"series": k, "values": values_notation(inc)} for k, inc in sorted(series.items())],
            "promql_expr_test": tests}
    doc = {"rule_files": [WINDOW_RULES], "evaluation_interval": f"{STEP}m", "tests": [test]}
    fired = {f"{v['slos'][i]['alert']}/{tiers(name)[k]['long']}": [h * 60 for h in range(1, end + 1)
             if s[h] != s[h - 1]] for (i, k), s in states.items() if any(s)}
    return {"check": f"over {end // 24} days, the ticket tier fires when the {ticket['long']} "
                     "window's error ratio says (the ratio rises at about day 2), and every long window's "
                     "recording rule holds its ratio",
            "file": "hidden_windows.yml", "transitions": fired,
            "text": yaml.safe_dump(doc, sort_keys=False, width=100000)}
