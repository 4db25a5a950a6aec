"""Assemble an IMS QTI 2.1 content package from a question bank to match an assessment blueprint.

ALE-CANARY-0b1f4f83-8c0e-4d4b-9a55-3f7f4de3e2a1

Workflow: an assessment coordinator receives a course's item bank (CSV: item type, learning
objective, difficulty, points, status, enemy group, stem, options, answer key, feedback) and a
blueprint (counts per objective and difficulty, total points, item-type minimums, exclusion
rules, scoring policy). They select items that satisfy the blueprint, author each one as a QTI
2.1 assessmentItem (interaction, correct response, scoring, modal feedback), write the
assessmentTest and the IMS content-package manifest, and deliver the zip for LMS import.

generate() builds the bank from computed item families (the keys are correct by construction),
draws a hidden feasible selection, publishes the blueprint derived from it (redrawn until its
points total binds: a search that honours every other rule but ignores the points misses it), and
stores the bank and blueprint in the reference. The test titles hold an ampersand, so XML written
without escaping breaks.

grade() opens the zip (gate: manifest parses), checks the manifest and the test (title, item
references) against the files, parses every item with lxml against the QTI 2.1 structure, matches
each item to the bank (content faithful, correct response equal to the key), runs each item's own
responseProcessing rules (an external template is refused, as the instruction says) in a small QTI
interpreter on the key, on wrong and empty responses (and on a partial response where the policy
gives partial credit) to verify the awarded score and the feedback shown, and checks every
blueprint constraint on the selected set.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import posixpath
import re
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from lxml import etree

QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
PACKAGE = "quiz_package.zip"
LETTERS = "ABCDEF"  # the bank has five option columns: options use at most A-E
TYPE_POINTS = {"choice": 1, "text_entry": 1, "multiple_response": 2, "order": 2}
TYPE_LABEL = {"choice": "multiple choice (one answer)", "multiple_response": "multiple response",
              "text_entry": "text entry", "order": "ordering"}
MAX_UNZIPPED = 50 * 1024 * 1024


@dataclass
class Item:
    """One bank item. ``key`` is a letter, letters joined by ';' (multiple response) or ',' (order), or text."""

    item_id: str
    type: str
    objective: str
    difficulty: str
    points: int
    stem: str
    options: list[str]
    key: str
    feedback_correct: str
    feedback_incorrect: str
    status: str = "active"
    enemy_group: str = ""

    def key_texts(self) -> list[str]:
        """The key as option texts (in order for ordering items), or the literal answer for text entry."""
        if self.type == "text_entry":
            return [self.key]
        sep = "," if self.type == "order" else ";"
        return [self.options[LETTERS.index(k.strip())] for k in self.key.split(sep)]


@dataclass
class Blueprint:
    """What the selected set must satisfy."""

    objectives: dict[str, str]
    cells: dict[str, dict[str, int]]  # objective -> difficulty -> count
    total_points: int
    type_minimums: dict[str, int]
    mr_partial: bool
    course: str
    title: str
    hidden_selection: list[str] = field(default_factory=list)


# -- item families ------------------------------------------------------------------------------

Family = Callable[[np.random.Generator], dict[str, Any]]


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}"


def _options(rng: np.random.Generator, correct: str, wrong: list[str], n: int = 4) -> tuple[list[str], str]:
    """Unique options with the correct one at a random position; returns (options, key letter)."""
    pool = [w for w in dict.fromkeys(wrong) if w != correct][: n - 1]
    opts = [*pool, correct]
    rng.shuffle(opts)
    return opts, LETTERS[opts.index(correct)]


def _mr(rng: np.random.Generator, right: list[str], wrong: list[str]) -> tuple[list[str], str]:
    opts = list(dict.fromkeys(right + wrong))[: len(LETTERS) - 1]
    rng.shuffle(opts)
    return opts, ";".join(LETTERS[i] for i, o in enumerate(opts) if o in right)


def _order(rng: np.random.Generator, ordered: list[str]) -> tuple[list[str], str]:
    opts = list(ordered)
    while opts == list(ordered):
        rng.shuffle(opts)
    return opts, ",".join(LETTERS[opts.index(o)] for o in ordered)


def _ints(rng: np.random.Generator, n: int, lo: int, hi: int) -> list[int]:
    return [int(v) for v in rng.integers(lo, hi, size=n)]


def stat_mean(rng: np.random.Generator) -> dict[str, Any]:
    xs = _ints(rng, int(rng.integers(5, 8)), 2, 30)
    mean = sum(xs) / len(xs)
    wrong = [_fmt(sum(xs) / (len(xs) - 1)), _fmt(float(np.median(xs))), _fmt(mean + 1), _fmt(sum(xs) / (len(xs) + 1))]
    opts, key = _options(rng, _fmt(mean), wrong)
    return {"type": "choice", "stem": f"What is the mean of the data set {', '.join(map(str, xs))}?",
            "options": opts, "key": key,
            "fb": (f"Correct: the sum {sum(xs)} divided by the {len(xs)} values is {_fmt(mean)}.",
                   f"Add all {len(xs)} values and divide by how many there are.")}


def stat_median(rng: np.random.Generator) -> dict[str, Any]:
    xs = _ints(rng, int(rng.choice([6, 8])), 1, 60)
    med = float(np.median(xs))
    s = sorted(xs)
    wrong = [_fmt(s[len(s) // 2 - 1]), _fmt(xs[len(xs) // 2]), _fmt(sum(xs) / len(xs)), _fmt(s[len(s) // 2])]
    opts, key = _options(rng, _fmt(med), wrong)
    return {"type": "choice", "stem": f"Find the median of {', '.join(map(str, xs))}.", "options": opts, "key": key,
            "fb": (f"Correct: sorted, the two middle values average to {_fmt(med)}.",
                   "Sort the values first; with an even count, average the two middle values.")}


def stat_weighted(rng: np.random.Generator) -> dict[str, Any]:
    vals = sorted({int(v) for v in rng.integers(1, 10, size=4)})
    freq = _ints(rng, len(vals), 1, 9)
    mean = sum(v * f for v, f in zip(vals, freq, strict=True)) / sum(freq)
    table = "; ".join(f"value {v} occurs {f} times" for v, f in zip(vals, freq, strict=True))
    wrong = [_fmt(sum(vals) / len(vals), 2), _fmt(sum(freq) / len(freq), 2), _fmt(mean + 0.5, 2), _fmt(mean - 0.4, 2)]
    opts, key = _options(rng, _fmt(mean, 2), wrong)
    return {"type": "choice", "stem": f"A frequency table reads: {table}. What is the mean of the data?",
            "options": opts, "key": key,
            "fb": (f"Correct: weight each value by its frequency; the mean is {_fmt(mean, 2)}.",
                   "Multiply each value by its frequency, add, and divide by the total frequency.")}


def stat_modes(rng: np.random.Generator) -> dict[str, Any]:
    a, b = (int(v) for v in rng.choice(np.arange(3, 20), size=2, replace=False))
    others = [int(v) for v in rng.choice([v for v in range(1, 25) if v not in (a, b)], size=4, replace=False)]
    xs = [a, a, a, b, b, b, *others]
    rng.shuffle(xs)
    right = [str(a), str(b)]
    opts, key = _mr(rng, right, [str(o) for o in others[:3]])
    return {"type": "multiple_response",
            "stem": f"Select every mode of the data set {', '.join(map(str, xs))}.", "options": opts, "key": key,
            "fb": (f"Correct: {a} and {b} both occur three times, more than any other value.",
                   "A data set can have more than one mode: count how often each value occurs.")}


def stat_range(rng: np.random.Generator) -> dict[str, Any]:
    xs = _ints(rng, 7, 5, 95)
    r = max(xs) - min(xs)
    wrong = [str(max(xs)), str(r + 1), str(xs[-1] - xs[0]) if xs[-1] != xs[0] else str(r + 2), str(r - 2)]
    opts, key = _options(rng, str(r), wrong)
    return {"type": "choice", "stem": f"What is the range of {', '.join(map(str, xs))}?", "options": opts, "key": key,
            "fb": (f"Correct: {max(xs)} - {min(xs)} = {r}.", "The range is the largest value minus the smallest.")}


def stat_sample_sd(rng: np.random.Generator) -> dict[str, Any]:
    xs = _ints(rng, 5, 2, 20)
    while len(set(xs)) < 3:
        xs = _ints(rng, 5, 2, 20)
    s, sp = float(np.std(xs, ddof=1)), float(np.std(xs))
    wrong = [_fmt(sp, 2), _fmt(s * s, 2), _fmt(s + 1, 2), _fmt(s / 2, 2)]
    opts, key = _options(rng, _fmt(s, 2), wrong)
    return {"type": "choice", "stem": f"The values {', '.join(map(str, xs))} are a sample. "
                                      "What is the sample standard deviation (two decimals)?",
            "options": opts, "key": key,
            "fb": (f"Correct: divide the squared deviations by n - 1 and take the root: {_fmt(s, 2)}.",
                   "For a sample, divide the sum of squared deviations by n - 1, then take the square root.")}


def stat_pop_var(rng: np.random.Generator) -> dict[str, Any]:
    xs = _ints(rng, 6, 1, 15)
    while len(set(xs)) < 3:
        xs = _ints(rng, 6, 1, 15)
    v, vs = float(np.var(xs)), float(np.var(xs, ddof=1))
    wrong = [_fmt(vs, 2), _fmt(math.sqrt(v), 2), _fmt(v * 6 / 7, 2), _fmt(v + 1.5, 2)]
    opts, key = _options(rng, _fmt(v, 2), wrong)
    return {"type": "choice", "stem": f"A whole population has the values {', '.join(map(str, xs))}. "
                                      "What is the population variance (two decimals)?",
            "options": opts, "key": key,
            "fb": (f"Correct: the mean squared deviation is {_fmt(v, 2)}.",
                   "Population variance divides the sum of squared deviations by N, not N - 1.")}


def stat_spread_mr(rng: np.random.Generator) -> dict[str, Any]:
    limit = int(rng.integers(15, 30))
    sets = []
    while len(sets) < 5:
        xs = _ints(rng, 4, 10, 50)
        if max(xs) - min(xs) != limit:
            sets.append(xs)
    right = [", ".join(map(str, s)) for s in sets if max(s) - min(s) > limit]
    wrong = [", ".join(map(str, s)) for s in sets if max(s) - min(s) <= limit]
    if len(right) < 2 or not wrong:
        return stat_spread_mr(rng)
    opts, key = _mr(rng, right, wrong)
    return {"type": "multiple_response", "stem": f"Which data sets have a range greater than {limit}?",
            "options": opts, "key": key,
            "fb": ("Correct: only those sets spread over more than the limit were selected.",
                   "Compute max minus min for each set and compare it with the limit.")}


def stat_outliers(rng: np.random.Generator) -> dict[str, Any]:
    q1 = int(rng.integers(20, 40))
    q3 = q1 + int(rng.integers(8, 20))
    iqr = q3 - q1
    lo, hi = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    right = [str(int(hi + rng.integers(1, 15))), str(int(lo - rng.integers(1, 10)))]
    wrong = [str(int(hi - rng.integers(1, 5))), str(q3 + 2), str(int(lo + rng.integers(1, 5)))]
    opts, key = _mr(rng, right, wrong)
    return {"type": "multiple_response",
            "stem": f"For a data set with Q1 = {q1} and Q3 = {q3}, which of these observations are outliers by "
                    "the 1.5 x IQR rule?", "options": opts, "key": key,
            "fb": (f"Correct: the fences are {lo:g} and {hi:g}.",
                   "Compute IQR = Q3 - Q1, then the fences Q1 - 1.5 IQR and Q3 + 1.5 IQR.")}


def stat_skew(rng: np.random.Generator) -> dict[str, Any]:
    median = int(rng.integers(30, 80))
    kind = str(rng.choice(["right", "left"]))
    shift = int(rng.integers(6, 15))
    mean = median + shift if kind == "right" else median - shift
    answer = f"Skewed to the {kind}"
    opts, key = _options(rng, answer, ["Skewed to the right", "Skewed to the left", "Approximately symmetric",
                                        "Uniform"])
    return {"type": "choice",
            "stem": f"A distribution of delivery times has mean {mean} minutes and median {median} minutes. "
                    "Its shape is most likely:", "options": opts, "key": key,
            "fb": (f"Correct: the mean is pulled toward the long tail, here to the {kind}.",
                   "Compare the mean with the median: the mean moves toward the longer tail.")}


def stat_z(rng: np.random.Generator) -> dict[str, Any]:
    mu, sd = int(rng.integers(50, 80)), int(rng.integers(4, 12))
    z = float(rng.choice([-2.5, -1.5, -1.0, -0.5, 0.5, 1.5, 2.0, 2.5]))
    x = mu + z * sd
    opts, key = _options(rng, _fmt(z, 2), [_fmt(-z, 2), _fmt(z * 2, 2), _fmt(x / mu, 2), _fmt(z + 1, 2)])
    return {"type": "choice", "stem": f"Scores have mean {mu} and standard deviation {sd}. "
                                      f"What is the z-score of a score of {x:g}?", "options": opts, "key": key,
            "fb": (f"Correct: ({x:g} - {mu}) / {sd} = {z:.2f}.", "z = (x - mean) / standard deviation.")}


def stat_unusual(rng: np.random.Generator) -> dict[str, Any]:
    mu, sd = int(rng.integers(100, 200)), int(rng.integers(5, 15))
    right = [str(mu + 2 * sd + int(rng.integers(1, sd))), str(mu - 2 * sd - int(rng.integers(1, sd)))]
    wrong = [str(mu + sd), str(mu - 2 * sd + 1), str(mu + 2 * sd - 1)]
    opts, key = _mr(rng, right, wrong)
    return {"type": "multiple_response",
            "stem": f"Daily output has mean {mu} units and standard deviation {sd} units. Which days are unusual, "
                    "i.e. more than two standard deviations from the mean?", "options": opts, "key": key,
            "fb": (f"Correct: only values outside {mu - 2 * sd} to {mu + 2 * sd} qualify.",
                   "Compute mean +/- 2 SD and select the values outside that interval.")}


def stat_compare_z(rng: np.random.Generator) -> dict[str, Any]:
    names = ["Ana", "Ben", "Chloe", "Dev"]
    rows, zs = [], []
    for name in names:
        mu, sd = int(rng.integers(50, 80)), int(rng.integers(5, 15))
        z = round(float(rng.uniform(-1, 2.5)), 1)
        while any(abs(z - other) < 0.3 for other in zs):
            z = round(float(rng.uniform(-1, 2.5)), 1)
        zs.append(z)
        rows.append(f"{name} scored {mu + z * sd:g} on a test with mean {mu} and SD {sd}")
    best = names[int(np.argmax(zs))]
    opts, key = _options(rng, best, names)
    return {"type": "choice", "stem": "; ".join(rows) + ". Who did best relative to their own test?",
            "options": opts, "key": key,
            "fb": (f"Correct: {best} has the highest z-score ({max(zs):.1f}).",
                   "Standardize each score with its own test's mean and SD before comparing.")}


def _ip(rng: np.random.Generator, first: int | None = None) -> list[int]:
    octets = [int(v) for v in rng.integers(1, 255, size=4)]
    if first is not None:
        octets[0] = first
    return octets


def _dotted(octets: list[int]) -> str:
    return ".".join(map(str, octets))


def _to_int(octets: list[int]) -> int:
    return (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]


def _from_int(value: int) -> list[int]:
    return [(value >> s) & 255 for s in (24, 16, 8, 0)]


def _public(rng: np.random.Generator) -> str:
    first = int(rng.choice([8, 23, 45, 81, 99, 131, 151, 185, 203, 212]))
    return _dotted(_ip(rng, first))


def net_private(rng: np.random.Generator) -> dict[str, Any]:
    right = [_dotted(_ip(rng, 10)), f"172.{int(rng.integers(16, 32))}.{int(rng.integers(0, 255))}.{int(rng.integers(1, 255))}",
             f"192.168.{int(rng.integers(0, 255))}.{int(rng.integers(1, 255))}"][: int(rng.integers(2, 4))]
    wrong = [f"172.{int(rng.choice([15, 32, 40]))}.{int(rng.integers(0, 255))}.{int(rng.integers(1, 255))}",
             _public(rng), f"192.169.{int(rng.integers(0, 255))}.{int(rng.integers(1, 255))}"]
    opts, key = _mr(rng, right, wrong)
    return {"type": "multiple_response", "stem": "Which of these IPv4 addresses are private (RFC 1918) addresses?",
            "options": opts, "key": key,
            "fb": ("Correct: 10.0.0.0/8, 172.16.0.0/12 and 192.168.0.0/16 are the private ranges.",
                   "Check each address against 10.0.0.0/8, 172.16.0.0/12 and 192.168.0.0/16.")}


def net_special(rng: np.random.Generator) -> dict[str, Any]:
    kind = str(rng.choice(["loopback", "link-local (APIPA)"]))
    answer = (f"127.{int(rng.integers(0, 255))}.{int(rng.integers(0, 255))}.{int(rng.integers(1, 255))}"
              if kind == "loopback" else f"169.254.{int(rng.integers(1, 255))}.{int(rng.integers(1, 255))}")
    wrong = [_public(rng), f"192.168.{int(rng.integers(0, 255))}.1",
             f"224.0.0.{int(rng.integers(1, 255))}", f"169.{int(rng.integers(100, 250))}.1.1"]
    opts, key = _options(rng, answer, [w for w in wrong if not w.startswith(answer[:7])])
    return {"type": "choice", "stem": f"Which address is a {kind} address?", "options": opts, "key": key,
            "fb": ("Correct: 127.0.0.0/8 is loopback and 169.254.0.0/16 is link-local.",
                   "Loopback is 127.0.0.0/8; link-local (APIPA) is 169.254.0.0/16.")}


def _subnet(rng: np.random.Generator, lo: int, hi: int) -> tuple[list[int], int, int, int]:
    octets, prefix = _ip(rng), int(rng.integers(lo, hi))
    mask = (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF
    net = _to_int(octets) & mask
    return octets, prefix, net, net | (~mask & 0xFFFFFFFF)


def net_network(rng: np.random.Generator) -> dict[str, Any]:
    octets, prefix, net, _ = _subnet(rng, 18, 30)
    right = _dotted(_from_int(net))
    wrong = [_dotted(_from_int(net + 256 if prefix < 24 else net + 4)), _dotted([*octets[:3], 0]),
             _dotted(_from_int(net - (1 << (32 - prefix)))), _dotted(_from_int(net | 1))]
    opts, key = _options(rng, right, wrong)
    return {"type": "choice", "stem": f"What is the network address of host {_dotted(octets)}/{prefix}?",
            "options": opts, "key": key,
            "fb": (f"Correct: AND the address with the /{prefix} mask to get {right}.",
                   "Apply the subnet mask bit by bit (AND) to the host address.")}


def net_broadcast(rng: np.random.Generator) -> dict[str, Any]:
    octets, prefix, _, bcast = _subnet(rng, 19, 29)
    return {"type": "text_entry",
            "stem": f"Type the broadcast address of the subnet that contains {_dotted(octets)}/{prefix}.",
            "options": [], "key": _dotted(_from_int(bcast)),
            "fb": (f"Correct: set all {32 - prefix} host bits to 1.", "Set every host bit of the network to 1.")}


def net_hosts(rng: np.random.Generator) -> dict[str, Any]:
    prefix = int(rng.integers(20, 30))
    return {"type": "text_entry", "stem": f"How many usable host addresses does a /{prefix} IPv4 subnet provide?",
            "options": [], "key": str(2 ** (32 - prefix) - 2),
            "fb": (f"Correct: 2^{32 - prefix} - 2 = {2 ** (32 - prefix) - 2}.",
                   "Usable hosts = 2^(host bits) - 2 (network and broadcast addresses).")}


def net_prefix_for(rng: np.random.Generator) -> dict[str, Any]:
    hosts = int(rng.integers(20, 2000))
    bits = math.ceil(math.log2(hosts + 2))
    right = f"/{32 - bits}"
    opts, key = _options(rng, right, [f"/{32 - bits + 1}", f"/{32 - bits - 1}", f"/{32 - bits + 2}"])
    return {"type": "choice", "stem": f"A department needs {hosts} host addresses on one subnet. What is the longest "
                                      "prefix (smallest subnet) that fits?", "options": opts, "key": key,
            "fb": (f"Correct: {bits} host bits give {2 ** bits - 2} usable addresses.",
                   "Find the fewest host bits b with 2^b - 2 >= the hosts needed; the prefix is 32 - b.")}


def net_order_prefixes(rng: np.random.Generator) -> dict[str, Any]:
    prefixes = sorted(int(p) for p in rng.choice(np.arange(16, 31), size=4, replace=False))
    opts, key = _order(rng, [f"/{p}" for p in prefixes])
    return {"type": "order", "stem": "Order these subnet sizes from the most addresses to the fewest.",
            "options": opts, "key": key,
            "fb": ("Correct: a shorter prefix leaves more host bits.", "Each extra prefix bit halves the subnet.")}


SEQUENCES = {
    "DHCP lease for a new client": ["DHCPDISCOVER", "DHCPOFFER", "DHCPREQUEST", "DHCPACK"],
    "TCP connection establishment": ["Client sends SYN", "Server replies SYN-ACK", "Client sends ACK",
                                     "Client sends the first data segment"],
    "TLS 1.2 full handshake (start)": ["ClientHello", "ServerHello", "Certificate", "ServerHelloDone",
                                       "ClientKeyExchange"],
    "IPv4 ARP resolution on a LAN": ["Host checks its ARP cache", "Host broadcasts an ARP request",
                                     "Target sends a unicast ARP reply", "Host caches the MAC address"],
    "Recursive DNS lookup by a resolver": ["Query a root server", "Query the TLD server",
                                           "Query the authoritative server", "Return the answer to the client"],
}


def net_sequence(rng: np.random.Generator) -> dict[str, Any]:
    name = str(rng.choice(sorted(SEQUENCES)))
    opts, key = _order(rng, SEQUENCES[name])
    return {"type": "order", "stem": f"Put the steps of a {name} in the order they happen.",
            "options": opts, "key": key,
            "fb": (f"Correct: that is the {name} sequence.", "Trace the exchange from the first message onward.")}


PORTS = {"SSH": 22, "Telnet": 23, "SMTP": 25, "DNS": 53, "HTTP": 80, "POP3": 110, "NTP": 123, "IMAP": 143,
         "SNMP": 161, "LDAP": 389, "HTTPS": 443, "RDP": 3389}


def net_port_text(rng: np.random.Generator) -> dict[str, Any]:
    service = str(rng.choice(sorted(PORTS)))
    return {"type": "text_entry", "stem": f"Which port number does {service} use by default?", "options": [],
            "key": str(PORTS[service]),
            "fb": (f"Correct: {service} listens on port {PORTS[service]}.", "Review the well-known port table.")}


def net_port_choice(rng: np.random.Generator) -> dict[str, Any]:
    names = [str(n) for n in rng.choice(sorted(PORTS), size=4, replace=False)]
    answer = names[0]
    opts, key = _options(rng, answer, names[1:])
    return {"type": "choice", "stem": f"Which service uses port {PORTS[answer]} by default?", "options": opts,
            "key": key, "fb": (f"Correct: port {PORTS[answer]} is {answer}.", "Review the well-known port table.")}


UDP = ["DNS queries", "DHCP", "SNMP", "NTP", "TFTP", "Syslog"]
TCP = ["SSH", "SMTP", "HTTP", "IMAP", "FTP control", "RDP"]


def net_udp(rng: np.random.Generator) -> dict[str, Any]:
    right = [str(v) for v in rng.choice(UDP, size=int(rng.integers(2, 4)), replace=False)]
    wrong = [str(v) for v in rng.choice(TCP, size=3, replace=False)]
    opts, key = _mr(rng, right, wrong)
    return {"type": "multiple_response", "stem": "Which of these use UDP as their default transport?",
            "options": opts, "key": key,
            "fb": ("Correct: those protocols favor low overhead over reliable delivery.",
                   "Connection-oriented sessions (logins, mail, web) use TCP.")}


WEIGHTS = {"H": 1.008, "C": 12.011, "N": 14.007, "O": 15.999, "Na": 22.990, "Mg": 24.305, "S": 32.06,
           "Cl": 35.45, "K": 39.098, "Ca": 40.078, "Fe": 55.845}
COMPOUNDS = {"H2O": {"H": 2, "O": 1}, "CO2": {"C": 1, "O": 2}, "NaCl": {"Na": 1, "Cl": 1},
             "CaCO3": {"Ca": 1, "C": 1, "O": 3}, "NH3": {"N": 1, "H": 3}, "CH4": {"C": 1, "H": 4},
             "H2SO4": {"H": 2, "S": 1, "O": 4}, "KCl": {"K": 1, "Cl": 1}, "MgO": {"Mg": 1, "O": 1},
             "Fe2O3": {"Fe": 2, "O": 3}, "C6H12O6": {"C": 6, "H": 12, "O": 6}, "NaOH": {"Na": 1, "O": 1, "H": 1},
             "C2H5OH": {"C": 2, "H": 6, "O": 1}, "KNO3": {"K": 1, "N": 1, "O": 3}}


def _molar(formula: str) -> float:
    return sum(WEIGHTS[el] * n for el, n in COMPOUNDS[formula].items())


def _sig(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}g}" if value >= 10 ** (digits - 1) else f"{value:.{digits - 1 - math.floor(math.log10(value))}f}"


def chem_molar_choice(rng: np.random.Generator) -> dict[str, Any]:
    formula = str(rng.choice(sorted(COMPOUNDS)))
    m = _molar(formula)
    wrong = [_fmt(m + WEIGHTS["O"], 2), _fmt(m - WEIGHTS["H"], 2), _fmt(m * 1.5, 2), _fmt(m / 2, 2)]
    opts, key = _options(rng, _fmt(m, 2), wrong)
    return {"type": "choice", "stem": f"What is the molar mass of {formula} in g/mol?", "options": opts, "key": key,
            "fb": (f"Correct: summing the atomic masses gives {m:.2f} g/mol.",
                   "Multiply each element's atomic mass by its subscript and add.")}


def chem_molar_text(rng: np.random.Generator) -> dict[str, Any]:
    formula = str(rng.choice(sorted(COMPOUNDS)))
    m = _molar(formula)
    return {"type": "text_entry", "stem": f"Calculate the molar mass of {formula} in g/mol, to two decimal places.",
            "options": [], "key": _fmt(m, 2),
            "fb": (f"Correct: {m:.2f} g/mol.", "Multiply each element's atomic mass by its subscript and add.")}


def chem_moles(rng: np.random.Generator) -> dict[str, Any]:
    formula = str(rng.choice(sorted(COMPOUNDS)))
    mass = float(rng.integers(5, 250))
    n = mass / _molar(formula)
    return {"type": "text_entry", "stem": f"How many moles are in {mass:g} g of {formula}? Give three significant "
                                          "figures.", "options": [], "key": _sig(n),
            "fb": (f"Correct: {mass:g} g / {_molar(formula):.2f} g/mol = {_sig(n)} mol.",
                   "Divide the mass by the molar mass.")}


def chem_mass(rng: np.random.Generator) -> dict[str, Any]:
    formula = str(rng.choice(sorted(COMPOUNDS)))
    n = float(rng.choice([0.25, 0.5, 1.5, 2.0, 2.5, 3.0, 0.75]))
    m = n * _molar(formula)
    wrong = [_fmt(_molar(formula) / n, 1), _fmt(m * 2, 1), _fmt(m + 10, 1), _fmt(_molar(formula), 1)]
    opts, key = _options(rng, _fmt(m, 1), wrong)
    return {"type": "choice", "stem": f"What is the mass of {n:g} mol of {formula}, in grams?", "options": opts,
            "key": key, "fb": (f"Correct: {n:g} mol x {_molar(formula):.2f} g/mol = {m:.1f} g.",
                               "Multiply the amount in moles by the molar mass.")}


REACTIONS = [
    ("2 H2 + O2 -> 2 H2O", {"H2": (2, 2.016), "O2": (1, 31.998)}),
    ("N2 + 3 H2 -> 2 NH3", {"N2": (1, 28.014), "H2": (3, 2.016)}),
    ("CH4 + 2 O2 -> CO2 + 2 H2O", {"CH4": (1, 16.043), "O2": (2, 31.998)}),
    ("2 Na + Cl2 -> 2 NaCl", {"Na": (2, 22.990), "Cl2": (1, 70.90)}),
]


def chem_limiting(rng: np.random.Generator) -> dict[str, Any]:
    equation, reactants = REACTIONS[int(rng.integers(len(REACTIONS)))]
    masses = {r: float(rng.integers(4, 120)) for r in reactants}
    ratio = {r: masses[r] / mw / coef for r, (coef, mw) in reactants.items()}
    if abs(math.log(max(ratio.values()) / min(ratio.values()))) < 0.1:
        return chem_limiting(rng)
    limiting = min(ratio, key=lambda r: ratio[r])
    given = " and ".join(f"{masses[r]:g} g of {r}" for r in reactants)
    opts, key = _options(rng, limiting, [*reactants, "Neither: they are in exact proportion"])
    return {"type": "choice", "stem": f"For {equation}, {given} react. Which reactant is limiting?",
            "options": opts, "key": key,
            "fb": (f"Correct: {limiting} runs out first relative to the mole ratio.",
                   "Convert each mass to moles and divide by its coefficient; the smallest value limits.")}


IONIC = ["NaCl", "KBr", "MgO", "CaF2", "LiF", "K2O"]
COVALENT = ["CO2", "H2O", "CH4", "NH3", "SO2", "HCl"]
POLAR = ["H2O", "NH3", "HCl", "CH3OH", "SO2"]
NONPOLAR = ["CO2", "CH4", "CCl4", "BF3", "N2"]


def chem_ionic(rng: np.random.Generator) -> dict[str, Any]:
    right = [str(v) for v in rng.choice(IONIC, size=int(rng.integers(2, 4)), replace=False)]
    opts, key = _mr(rng, right, [str(v) for v in rng.choice(COVALENT, size=3, replace=False)])
    return {"type": "multiple_response", "stem": "Which of these compounds are ionic?", "options": opts, "key": key,
            "fb": ("Correct: metal-nonmetal compounds are ionic.",
                   "Look for a metal cation bonded to a nonmetal anion.")}


def chem_polar(rng: np.random.Generator) -> dict[str, Any]:
    right = [str(v) for v in rng.choice(POLAR, size=int(rng.integers(2, 4)), replace=False)]
    opts, key = _mr(rng, right, [str(v) for v in rng.choice(NONPOLAR, size=3, replace=False)])
    return {"type": "multiple_response", "stem": "Which of these molecules are polar?", "options": opts, "key": key,
            "fb": ("Correct: polar bonds in an asymmetric geometry give a net dipole.",
                   "Symmetric molecules cancel their bond dipoles even when the bonds are polar.")}


def chem_order_mass(rng: np.random.Generator) -> dict[str, Any]:
    picks = [str(v) for v in rng.choice(sorted(COMPOUNDS), size=4, replace=False)]
    ordered = sorted(picks, key=_molar)
    opts, key = _order(rng, ordered)
    return {"type": "order", "stem": "Order these compounds from the lowest to the highest molar mass.",
            "options": opts, "key": key,
            "fb": ("Correct.", "Compute each molar mass before ordering.")}


ELECTRONEG = {"F": 3.98, "O": 3.44, "Cl": 3.16, "N": 3.04, "Br": 2.96, "I": 2.66, "S": 2.58, "H": 2.20,
              "B": 2.04, "Si": 1.90, "Mg": 1.31, "Na": 0.93, "K": 0.82}


def chem_order_en(rng: np.random.Generator) -> dict[str, Any]:
    picks = [str(v) for v in rng.choice(sorted(ELECTRONEG), size=4, replace=False)]
    ordered = sorted(picks, key=lambda e: -ELECTRONEG[e])
    opts, key = _order(rng, ordered)
    return {"type": "order", "stem": "Order these elements from the most to the least electronegative (Pauling).",
            "options": opts, "key": key,
            "fb": ("Correct: electronegativity rises toward fluorine.",
                   "Electronegativity increases across a period and up a group.")}


SUBJECTS: dict[str, dict[str, Any]] = {
    "statistics": {
        "course": "STAT 101 Introductory Statistics", "title": "Unit 2 quiz: center & spread", "prefix": "ST",
        "objectives": {
            "ST-LO1": "Compute measures of central tendency",
            "ST-LO2": "Compute measures of spread",
            "ST-LO3": "Detect outliers and describe the shape of a distribution",
            "ST-LO4": "Interpret standardized scores",
        },
        "families": [("ST-LO1", "easy", stat_mean), ("ST-LO1", "medium", stat_median),
                     ("ST-LO1", "hard", stat_weighted), ("ST-LO1", "medium", stat_modes),
                     ("ST-LO2", "easy", stat_range), ("ST-LO2", "medium", stat_sample_sd),
                     ("ST-LO2", "hard", stat_pop_var), ("ST-LO2", "medium", stat_spread_mr),
                     ("ST-LO3", "easy", stat_skew), ("ST-LO3", "hard", stat_outliers),
                     ("ST-LO4", "easy", stat_z), ("ST-LO4", "medium", stat_unusual),
                     ("ST-LO4", "hard", stat_compare_z)],
    },
    "networking": {
        "course": "NET 110 Networking Fundamentals", "title": "Module 3 test: IPv4 addressing & services",
        "prefix": "NW",
        "objectives": {
            "NW-LO1": "Recognize private and special-purpose IPv4 addresses",
            "NW-LO2": "Subnet an IPv4 network",
            "NW-LO3": "Sequence common protocol exchanges",
            "NW-LO4": "Identify default ports and transports of common services",
        },
        "families": [("NW-LO1", "easy", net_private), ("NW-LO1", "easy", net_special),
                     ("NW-LO2", "medium", net_network), ("NW-LO2", "hard", net_broadcast),
                     ("NW-LO2", "easy", net_hosts), ("NW-LO2", "hard", net_prefix_for),
                     ("NW-LO3", "medium", net_order_prefixes), ("NW-LO3", "medium", net_sequence),
                     ("NW-LO4", "easy", net_port_text), ("NW-LO4", "medium", net_port_choice),
                     ("NW-LO4", "hard", net_udp)],
    },
    "chemistry": {
        "course": "CHEM 105 General Chemistry I", "title": "Stoichiometry & bonding checkpoint", "prefix": "CH",
        "objectives": {
            "CH-LO1": "Calculate molar masses",
            "CH-LO2": "Convert between mass and amount of substance",
            "CH-LO3": "Classify bonding and molecular polarity",
            "CH-LO4": "Rank substances by a chemical property",
        },
        "families": [("CH-LO1", "easy", chem_molar_choice), ("CH-LO1", "medium", chem_molar_text),
                     ("CH-LO2", "medium", chem_moles), ("CH-LO2", "easy", chem_mass),
                     ("CH-LO2", "hard", chem_limiting), ("CH-LO3", "medium", chem_ionic),
                     ("CH-LO3", "hard", chem_polar), ("CH-LO1", "medium", chem_order_mass),
                     ("CH-LO4", "easy", chem_order_en)],
    },
}


def build_bank(subject: str, rng: np.random.Generator) -> list[Item]:
    """Three or four items per family, some retired, a few pairs of enemies; ids in shuffled order."""
    spec = SUBJECTS[subject]
    items: list[Item] = []
    enemy = 0
    for objective, difficulty, family in spec["families"]:
        made = []
        seen: set[tuple[str, ...]] = set()
        wanted = int(rng.integers(3, 5))
        while len(made) < wanted:
            raw = family(rng)
            signature = (raw["stem"], *sorted(raw["options"]))
            if signature in seen:
                continue
            seen.add(signature)
            points = TYPE_POINTS[raw["type"]] + (1 if difficulty == "hard" else 0)
            made.append(Item("", raw["type"], objective, difficulty, points, raw["stem"], raw["options"],
                             raw["key"], raw["fb"][0], raw["fb"][1],
                             status="retired" if rng.random() < 0.12 else "active"))
        if rng.random() < 0.6:
            enemy += 1
            for item in made[:2]:
                item.enemy_group = f"E{enemy:02d}"
        items += made
    for _ in range(4):  # items on a shared scenario cue each other across cells of one objective
        a, b = (items[int(i)] for i in rng.choice(len(items), size=2, replace=False))
        if a.objective == b.objective and a.difficulty != b.difficulty and not a.enemy_group and not b.enemy_group:
            enemy += 1
            a.enemy_group = b.enemy_group = f"E{enemy:02d}"
    order = rng.permutation(len(items))
    numbers = sorted(int(n) for n in rng.choice(np.arange(100, 999), size=len(items), replace=False))
    bank = [items[i] for i in order]
    for item, number in zip(bank, numbers, strict=True):
        item.item_id = f"{spec['prefix']}-{number}"
    return bank


def draw_blueprint(subject: str, bank: list[Item], mr_partial: bool, rng: np.random.Generator) -> Blueprint:
    """A hidden feasible selection (no retired items, no two enemies, at most two per cell) and its blueprint."""
    spec = SUBJECTS[subject]
    target = int(rng.integers(10, 13))
    chosen: list[Item] = []
    groups: set[str] = set()
    cells: Counter[tuple[str, str]] = Counter()
    for i in rng.permutation(len(bank)):
        item = bank[int(i)]
        cell = (item.objective, item.difficulty)
        if item.status != "active" or cells[cell] >= 2 or (item.enemy_group and item.enemy_group in groups):
            continue
        chosen.append(item)
        cells[cell] += 1
        if item.enemy_group:
            groups.add(item.enemy_group)
        if len(chosen) == target:
            break
    table = {o: {d: cells[o, d] for d in ("easy", "medium", "hard")} for o in spec["objectives"]}
    types = Counter(item.type for item in chosen)
    return Blueprint(
        objectives=spec["objectives"], cells=table, total_points=sum(i.points for i in chosen),
        type_minimums={t: max(1, types[t] - 1) for t in TYPE_POINTS if types[t]}, mr_partial=mr_partial,
        course=spec["course"], title=spec["title"], hidden_selection=sorted(i.item_id for i in chosen),
    )


def write_bank_csv(bank: list[Item], path: Path) -> None:
    header = ["item_id", "type", "objective", "difficulty", "points", "status", "enemy_group", "stem",
              "option_a", "option_b", "option_c", "option_d", "option_e", "key", "feedback_correct",
              "feedback_incorrect"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for it in bank:
            opts = [*it.options, *[""] * (5 - len(it.options))]
            writer.writerow([it.item_id, it.type, it.objective, it.difficulty, it.points, it.status, it.enemy_group,
                             it.stem, *opts, it.key, it.feedback_correct, it.feedback_incorrect])


def blueprint_markdown(bp: Blueprint) -> str:
    lines = [f"# Assessment blueprint: {bp.title}", "", f"Course: {bp.course}", "",
             "## Items per learning objective and difficulty", "",
             "| objective | description | easy | medium | hard |", "|---|---|---|---|---|"]
    for obj, desc in bp.objectives.items():
        c = bp.cells[obj]
        lines.append(f"| {obj} | {desc} | {c['easy']} | {c['medium']} | {c['hard']} |")
    total_items = sum(sum(c.values()) for c in bp.cells.values())
    lines += ["", "## Totals and mix", "", f"- Number of items: exactly {total_items}.",
              f"- Total points: exactly {bp.total_points} (each item is worth the points in the bank).",
              "- Item-type minimums:"]
    lines += [f"  - at least {n} {TYPE_LABEL[t]} item{'s' if n > 1 else ''} (`{t}`)"
              for t, n in bp.type_minimums.items()]
    mr = ("each correct option selected earns (item points / number of correct options), each incorrect option "
          "selected deducts the same amount, and the item score is bounded between 0 and the item points"
          if bp.mr_partial else "all or nothing: the item points for exactly the keyed set, otherwise 0")
    lines += ["", "## Selection rules", "",
              "- Use only items whose status is `active`; retired items must not appear.",
              "- Items that share an `enemy_group` cue each other's answers: at most one item of any enemy group.",
              "- Each item may appear once.", "",
              "## Scoring policy", "",
              "- Multiple choice, text entry and ordering items: all or nothing (the item points for the keyed "
              "response, otherwise 0). Text entry answers are matched exactly as keyed.",
              f"- Multiple response items: {mr}.",
              "- Every item shows the bank's correct feedback after a fully correct response and its incorrect "
              "feedback after any other response.", ""]
    return "\n".join(lines)


def points_blind_selection(bank: list[Item], bp: Blueprint) -> list[Item] | None:
    """The first set, searching cells in blueprint order and items in bank order, that meets every rule
    but the points total (status, enemies, repeats, type minimums); None when there is none."""
    cells = [((objective, difficulty), n) for objective, row in bp.cells.items() for difficulty, n in row.items() if n]
    pools = {cell: [i for i in bank if i.status == "active" and (i.objective, i.difficulty) == cell]
             for cell, _ in cells}

    def search(k: int, chosen: list[Item], groups: set[str]) -> list[Item] | None:
        if k == len(cells):
            types = Counter(i.type for i in chosen)
            return chosen if all(types[t] >= n for t, n in bp.type_minimums.items()) else None
        cell, n = cells[k]
        for combo in itertools.combinations(pools[cell], n):
            tags = [i.enemy_group for i in combo if i.enemy_group]
            if len(set(tags)) == len(tags) and not groups & set(tags):
                found = search(k + 1, [*chosen, *combo], groups | set(tags))
                if found:
                    return found
        return None

    return search(0, [], set())


def points_bind(bank: list[Item], bp: Blueprint) -> bool:
    """Whether the points total is a real constraint: the points-blind selection misses it."""
    naive = points_blind_selection(bank, bp)
    return naive is None or sum(i.points for i in naive) != bp.total_points


def generate(params: dict[str, Any], input_dir: Path, reference_dir: Path) -> None:
    rng = np.random.default_rng(params["seed"])
    bank = build_bank(params["subject"], rng)
    for _ in range(200):  # a blueprint whose points total binds: ignoring it must not happen to meet it
        blueprint = draw_blueprint(params["subject"], bank, params["mr_scoring"] == "partial", rng)
        if points_bind(bank, blueprint):
            break
    else:
        raise ValueError(f"seed {params['seed']}: no blueprint whose points total binds in 200 draws")
    write_bank_csv(bank, input_dir / "item_bank.csv")
    (input_dir / "blueprint.md").write_text(blueprint_markdown(blueprint), encoding="utf-8")
    (reference_dir / "bank.json").write_text(json.dumps([asdict(i) for i in bank], indent=1))
    (reference_dir / "blueprint.json").write_text(json.dumps(asdict(blueprint), indent=1))


# -- reading the package ------------------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _text(element: Any) -> str:
    return _norm("".join(element.itertext()))


def q(tag: str) -> str:
    return f"{{{QTI}}}{tag}"


def _local(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def parse_xml(data: bytes) -> tuple[Any, str]:
    """An lxml root or the parser's complaint (no DTDs, no network, no entity expansion)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(data, parser), ""
    except etree.XMLSyntaxError as exc:
        return None, str(exc)


class QtiError(Exception):
    """An item's XML is outside what the grader's QTI subset understands or is malformed."""


@dataclass
class ParsedItem:
    identifier: str
    kind: str  # choice | multiple_response | text_entry | order
    response_id: str
    cardinality: str
    base_type: str
    correct: list[str]
    choices: dict[str, str]  # identifier -> text
    body_text: str
    root: Any


def parse_item(root: Any) -> ParsedItem:
    """The parts of a QTI 2.1 assessmentItem the grade needs; QtiError on any structural problem."""
    if root.tag != q("assessmentItem"):
        raise QtiError(f"root element is {root.tag}, not a QTI 2.1 assessmentItem")
    missing = [a for a in ("identifier", "title", "adaptive", "timeDependent") if root.get(a) is None]
    if missing:
        raise QtiError(f"assessmentItem lacks attribute(s) {', '.join(missing)}")
    body = root.find(q("itemBody"))
    if body is None:
        raise QtiError("no itemBody")
    interactions = [e for e in body.iter() if _local(e) in
                    ("choiceInteraction", "textEntryInteraction", "orderInteraction")]
    others = [e for e in body.iter() if _local(e).endswith("Interaction") and e not in interactions]
    if len(interactions) != 1 or others:
        raise QtiError("the itemBody must hold exactly one choice, textEntry or order interaction")
    inter = interactions[0]
    rid = inter.get("responseIdentifier", "")
    decls = {d.get("identifier"): d for d in root.findall(q("responseDeclaration"))}
    decl = decls.get(rid)
    if decl is None:
        raise QtiError(f"no responseDeclaration for the interaction's responseIdentifier {rid!r}")
    score = [o for o in root.findall(q("outcomeDeclaration")) if o.get("identifier") == "SCORE"]
    if not score or score[0].get("baseType") not in ("float", "integer"):
        raise QtiError("no numeric SCORE outcomeDeclaration")
    if root.find(q("responseProcessing")) is None:
        raise QtiError("no responseProcessing")
    card, base = decl.get("cardinality", ""), decl.get("baseType", "")
    corr = decl.find(q("correctResponse"))
    correct = [_norm(v.text or "") for v in corr.findall(q("value"))] if corr is not None else []
    if not correct:
        raise QtiError("the responseDeclaration has no correctResponse value")
    choices = {c.get("identifier", ""): _text(c) for c in inter.iter(q("simpleChoice"))}
    local = _local(inter)
    if local == "choiceInteraction":
        kind = "choice" if inter.get("maxChoices") == "1" and card == "single" else "multiple_response"
        ok = base == "identifier" and card in ("single", "multiple") and len(choices) >= 2
    elif local == "orderInteraction":
        kind, ok = "order", base == "identifier" and card == "ordered" and len(choices) >= 2
    else:
        kind, ok = "text_entry", base == "string" and card == "single"
    if not ok:
        raise QtiError(f"{local} with a {card}/{base} responseDeclaration is inconsistent")
    return ParsedItem(root.get("identifier", ""), kind, rid, card, base, correct, choices, _text(body), root)


# -- a small QTI 2.1 response-processing interpreter --------------------------------------------

Value = None | str | float | frozenset | tuple


class Interp:
    """Evaluates responseProcessing rules for one candidate response; outcome values in ``outcomes``."""

    def __init__(self, item: ParsedItem, response: Value) -> None:
        self.item = item
        self.response = response
        self.outcomes: dict[str, Value] = {}
        self.base: dict[str, str] = {}
        for decl in item.root.findall(q("outcomeDeclaration")):
            ident, base = decl.get("identifier", ""), decl.get("baseType", "")
            self.base[ident] = base
            default = decl.find(q("defaultValue"))
            values = [v.text or "" for v in default.findall(q("value"))] if default is not None else []
            self.outcomes[ident] = self._typed(values, decl.get("cardinality", "single"), base)
            if self.outcomes[ident] is None and base in ("float", "integer") and decl.get("cardinality") == "single":
                self.outcomes[ident] = 0.0

    @staticmethod
    def _typed(values: list[str], cardinality: str, base: str) -> Value:
        conv = [float(v) if base in ("float", "integer") else _norm(v) for v in values]
        if not conv:
            return None
        if cardinality == "multiple":
            return frozenset(conv)
        if cardinality == "ordered":
            return tuple(conv)
        return conv[0]

    def run(self) -> None:
        rp = self.item.root.find(q("responseProcessing"))
        rules = [e for e in rp if isinstance(e.tag, str)]
        if not rules:
            raise QtiError("responseProcessing holds no rules (an external template is not accepted)")
        self._rules(rules)

    def _rules(self, rules: list[Any]) -> bool:
        """Run rules in order; False when exitResponse was hit."""
        for rule in rules:
            name = _local(rule)
            if name == "setOutcomeValue":
                self._set(rule.get("identifier", ""), self._expr(self._only_child(rule)))
            elif name == "responseCondition":
                if not self._condition(rule):
                    return False
            elif name == "exitResponse":
                return False
            elif name:
                raise QtiError(f"unsupported response rule <{name}>")
        return True

    def _condition(self, rule: Any) -> bool:
        for branch in rule:
            name = _local(branch)
            if not name:
                continue
            children = [c for c in branch if isinstance(c.tag, str)]
            if name in ("responseIf", "responseElseIf"):
                if not children:
                    raise QtiError(f"empty <{name}>")
                if self._expr(children[0]) is True:
                    return self._rules(children[1:])
            elif name == "responseElse":
                return self._rules(children)
            else:
                raise QtiError(f"unexpected <{name}> in responseCondition")
        return True

    def _set(self, ident: str, value: Value) -> None:
        if ident not in self.outcomes:
            raise QtiError(f"setOutcomeValue of undeclared outcome {ident!r}")
        numeric = self.base.get(ident) in ("float", "integer")
        if numeric and value is not None and not isinstance(value, float):
            raise QtiError(f"non-numeric value for {ident}")
        self.outcomes[ident] = value

    @staticmethod
    def _only_child(element: Any) -> Any:
        kids = [c for c in element if isinstance(c.tag, str)]
        if len(kids) != 1:
            raise QtiError(f"<{_local(element)}> needs exactly one expression")
        return kids[0]

    def _correct(self) -> Value:
        return self._typed(self.item.correct, self.item.cardinality, self.item.base_type)

    def _var(self, ident: str) -> Value:
        if ident == self.item.response_id:
            return self.response
        if ident in self.outcomes:
            return self.outcomes[ident]
        raise QtiError(f"unknown variable {ident!r}")

    @staticmethod
    def _match(a: Value, b: Value) -> bool | None:
        if a is None or b is None:
            return None
        return a == b

    def _map_response(self) -> float:
        decl = next(d for d in self.item.root.findall(q("responseDeclaration"))
                    if d.get("identifier") == self.item.response_id)
        mapping = decl.find(q("mapping"))
        if mapping is None:
            raise QtiError("mapResponse without a mapping")
        default = float(mapping.get("defaultValue", "0"))
        entries = {}
        for entry in mapping.findall(q("mapEntry")):
            key = _norm(entry.get("mapKey", ""))
            sensitive = entry.get("caseSensitive", "true") != "false"
            entries[key if sensitive else key.casefold()] = (float(entry.get("mappedValue", "0")), sensitive)

        def mapped(value: str) -> float:
            if value in entries and entries[value][1]:
                return entries[value][0]
            low = value.casefold()
            if low in entries and not entries[low][1]:
                return entries[low][0]
            return default

        response = self.response
        if response is None:
            total = 0.0
        elif isinstance(response, str):
            total = mapped(response)
        else:
            total = sum(mapped(str(v)) for v in set(response))
        if mapping.get("lowerBound") is not None:
            total = max(total, float(mapping.get("lowerBound")))
        if mapping.get("upperBound") is not None:
            total = min(total, float(mapping.get("upperBound")))
        return total

    def _expr(self, e: Any) -> Any:
        name = _local(e)
        kids = [c for c in e if isinstance(c.tag, str)]
        if name == "variable":
            return self._var(e.get("identifier", ""))
        if name == "correct":
            return self._correct()
        if name == "baseValue":
            base = e.get("baseType", "")
            text = _norm(e.text or "")
            if base in ("float", "integer"):
                return float(text)
            if base == "boolean":
                return text == "true"
            return text
        if name == "null":
            return None
        if name == "mapResponse":
            return self._map_response()
        if name == "isNull":
            value = self._expr(self._only_child(e))
            return value is None or value in ((), frozenset(), "")
        if name == "match":
            a, b = (self._expr(k) for k in kids)
            return self._match(a, b)
        if name == "stringMatch":
            a, b = (self._expr(k) for k in kids)
            if a is None or b is None:
                return None
            return a == b if e.get("caseSensitive") != "false" else str(a).casefold() == str(b).casefold()
        if name in ("and", "or"):
            values = [self._expr(k) for k in kids]
            if name == "and":
                return False if False in values else (None if None in values else True)
            return True if True in values else (None if None in values else False)
        if name == "not":
            value = self._expr(self._only_child(e))
            return None if value is None else not value
        if name in ("sum", "product", "subtract", "divide"):
            values = [self._expr(k) for k in kids]
            if any(v is None for v in values):
                return None
            nums = [float(v) for v in values]
            if name == "sum":
                return float(sum(nums))
            if name == "product":
                return float(math.prod(nums))
            if name == "subtract":
                return nums[0] - nums[1]
            return None if nums[1] == 0 else nums[0] / nums[1]
        if name in ("gt", "gte", "lt", "lte", "equal"):
            a, b = (self._expr(k) for k in kids)
            if a is None or b is None:
                return None
            a, b = float(a), float(b)
            return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b, "equal": a == b}[name]
        if name in ("multiple", "ordered"):
            values = [self._expr(k) for k in kids]
            flat = [x for v in values if v is not None for x in (v if isinstance(v, (tuple, frozenset)) else [v])]
            return frozenset(flat) if name == "multiple" else tuple(flat)
        if name == "member":
            a, b = (self._expr(k) for k in kids)
            return None if a is None or b is None else a in b
        if name == "containerSize":
            value = self._expr(self._only_child(e))
            return 0.0 if value is None else float(len(value))
        raise QtiError(f"unsupported expression <{name}>")


def simulate(item: ParsedItem, response: Value) -> tuple[float | None, set[str]]:
    """The SCORE and the modal feedback texts shown after ``response``."""
    interp = Interp(item, response)
    interp.run()
    score = interp.outcomes.get("SCORE")
    shown = set()
    for fb in item.root.iter(q("modalFeedback")):
        value = interp.outcomes.get(fb.get("outcomeIdentifier", ""))
        ident = fb.get("identifier", "")
        hit = ident in value if isinstance(value, (frozenset, tuple)) else value == ident
        if hit == (fb.get("showHide", "show") == "show"):
            shown.add(_text(fb))
    return (score if isinstance(score, float) else None), shown


# -- grading ------------------------------------------------------------------------------------


def _load_reference(g: Any) -> tuple[dict[str, Item], Blueprint]:
    bank = {d["item_id"]: Item(**d) for d in json.loads(g.reference("bank.json").read_text())}
    bp = Blueprint(**json.loads(g.reference("blueprint.json").read_text()))
    return bank, bp


def _open_package(g: Any) -> dict[str, bytes] | None:
    path = g.output(PACKAGE)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            if sum(i.file_size for i in infos) > MAX_UNZIPPED:
                g.check(f"{PACKAGE} is a readable zip", False, gate=True, reason="uncompressed size too large")
                return None
            files = {posixpath.normpath(i.filename.lstrip("/")): archive.read(i) for i in infos}
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
        g.check(f"{PACKAGE} is a readable zip", False, gate=True, reason=str(exc))
        return None
    g.check(f"{PACKAGE} is a readable zip", True, gate=True)
    return files


def _manifest(g: Any, files: dict[str, bytes]) -> tuple[list[str], list[str]] | None:
    """(item hrefs, test hrefs) from imsmanifest.xml; a gate when it is absent or not an IMS CP manifest."""
    root, err = parse_xml(files["imsmanifest.xml"]) if "imsmanifest.xml" in files else (None, "not at the zip root")
    if root is None or root.tag != f"{{{CP}}}manifest":
        g.check("imsmanifest.xml is an IMS Content Packaging manifest", False, gate=True,
                reason=err or f"root element {root.tag if root is not None else None}")
        return None
    g.check("imsmanifest.xml is an IMS Content Packaging manifest", True, gate=True)
    items, tests = [], []
    for res in root.iter(f"{{{CP}}}resource"):
        href = posixpath.normpath(res.get("href", ""))
        kind = res.get("type", "")
        if kind.startswith("imsqti_item_xmlv2p1"):
            items.append(href)
        elif kind.startswith("imsqti_test_xmlv2p1"):
            tests.append(href)
    return items, tests


def _check_manifest(g: Any, files: dict[str, bytes], items: list[str], tests: list[str]) -> None:
    problems = [f"{h} listed but not in the zip" for h in items + tests if h not in files]
    xml_items = set()
    for name, data in files.items():
        root, _ = parse_xml(data) if name.endswith(".xml") else (None, "")
        if root is not None and root.tag == q("assessmentItem"):
            xml_items.add(name)
    problems += [f"{n} not referenced by the manifest" for n in sorted(xml_items - set(items))]
    if len(tests) != 1:
        problems.append(f"{len(tests)} assessment test resources (want 1)")
    if len(set(items)) != len(items):
        problems.append("an item resource is listed twice")
    g.check("manifest lists every item file and the test, and every listed file exists", not problems,
            reason="; ".join(problems[:6]))


def _check_test(g: Any, files: dict[str, bytes], tests: list[str], items: list[str], title: str) -> None:
    reason = ""
    refs: list[str] = []
    if len(tests) != 1 or tests[0] not in files:
        reason = "no single assessment test file in the package"
    else:
        root, err = parse_xml(files[tests[0]])
        if root is None or root.tag != q("assessmentTest"):
            reason = err or "the test file is not a QTI 2.1 assessmentTest"
        else:
            base = posixpath.dirname(tests[0])
            refs = [posixpath.normpath(posixpath.join(base, r.get("href", "")))
                    for r in root.iter(q("assessmentItemRef"))]
            if root.find(q("testPart")) is None:
                reason = "assessmentTest has no testPart"
            elif _norm(root.get("title", "")) != _norm(title):
                reason = f"assessmentTest title {root.get('title')!r} is not the blueprint's {title!r}"
    if not reason and sorted(refs) != sorted(items):
        reason = f"test references {len(refs)} items, manifest lists {len(items)}; they differ"
    g.check("assessmentTest carries the blueprint's title and references exactly the packaged items", not reason,
            reason=reason)


def _faithful(item: ParsedItem, bank_item: Item) -> str:
    """'' when the stem, options and item type match the bank, else what differs."""
    if item.kind != bank_item.type:
        return f"{item.identifier}: a {item.kind} interaction for a {bank_item.type} item"
    if _norm(bank_item.stem) not in item.body_text:
        return f"{item.identifier}: stem missing or altered"
    want = sorted(_norm(o) for o in bank_item.options)
    if sorted(item.choices.values()) != want:
        return f"{item.identifier}: options differ from the bank"
    return ""


def _key_matches(item: ParsedItem, bank_item: Item) -> bool:
    keyed = [_norm(t) for t in bank_item.key_texts()]
    if item.kind == "text_entry":
        return item.correct == keyed
    texts = [item.choices.get(c) for c in item.correct]
    if item.kind == "order":
        return texts == keyed
    return sorted(t or "" for t in texts) == sorted(keyed)


def _probes(item: ParsedItem, bank_item: Item, partial: bool) -> list[tuple[str, Value, float, bool]]:
    """(label, response, expected score, fully correct?) probes for one item."""
    ids = {text: ident for ident, text in item.choices.items()}
    keyed = [_norm(t) for t in bank_item.key_texts()]
    p = float(bank_item.points)
    if item.kind == "text_entry":
        return [("key", keyed[0], p, True), ("wrong", keyed[0] + "9", 0.0, False), ("empty", None, 0.0, False)]
    key_ids = [ids[t] for t in keyed]
    wrong_ids = [i for i in item.choices if i not in key_ids]
    if item.kind == "choice":
        return [("key", key_ids[0], p, True), ("wrong", wrong_ids[0], 0.0, False), ("empty", None, 0.0, False)]
    if item.kind == "order":
        swapped = (key_ids[1], key_ids[0], *key_ids[2:])
        return [("key", tuple(key_ids), p, True), ("swapped", swapped, 0.0, False), ("empty", None, 0.0, False)]
    share = p / len(key_ids)
    return [("key", frozenset(key_ids), p, True),
            ("one correct", frozenset(key_ids[:1]), share if partial else 0.0, False),
            ("one correct one wrong", frozenset([key_ids[0], wrong_ids[0]]), 0.0, False),
            ("all options", frozenset(item.choices), max(0.0, share * (2 * len(key_ids) - len(item.choices)))
             if partial else 0.0, False),
            ("empty", None, 0.0, False)]


def _behaviour(item: ParsedItem, bank_item: Item, partial: bool) -> tuple[str, str]:
    """('' or the scoring problem, '' or the feedback problem) from running the item's responseProcessing."""
    score_issue = feedback_issue = ""
    correct_fb, incorrect_fb = _norm(bank_item.feedback_correct), _norm(bank_item.feedback_incorrect)
    for label, response, expected, full in _probes(item, bank_item, partial):
        try:
            score, shown = simulate(item, response)
        except (QtiError, ValueError, TypeError, KeyError, IndexError) as exc:
            return f"{item.identifier}: {exc}", f"{item.identifier}: {exc}"
        if not score_issue and (score is None or not math.isclose(score, expected, abs_tol=0.011)):
            score_issue = f"{item.identifier} {label} response scores {score}, want {expected:g}"
        want = correct_fb if full else incorrect_fb
        if not feedback_issue and shown != {want}:
            feedback_issue = f"{item.identifier} {label} response shows {len(shown)} feedback(s), not the bank's"
    return score_issue, feedback_issue


def _read_items(g: Any, files: dict[str, bytes], hrefs: list[str],
                bank: dict[str, Item]) -> tuple[list[tuple[ParsedItem, Item]], list[str]]:
    parsed, problems = [], []
    for href in hrefs:
        if href not in files:
            continue
        root, err = parse_xml(files[href])
        try:
            if root is None:
                raise QtiError(err)
            item = parse_item(root)
        except QtiError as exc:
            problems.append(f"{href}: {exc}")
            continue
        if item.identifier not in bank:
            problems.append(f"{href}: identifier {item.identifier!r} is not a bank item_id")
            continue
        parsed.append((item, bank[item.identifier]))
    return parsed, problems


def _fraction_check(g: Any, name: str, issues: list[str], total: int, weight: float) -> None:
    score = 1.0 - len(issues) / total if total else 0.0
    g.check(name, score if issues else (1.0 if total else 0.0), weight=weight, found=f"{total - len(issues)} of {total}",
            reason="; ".join(issues[:5]))


def _check_blueprint(g: Any, chosen: list[Item], bp: Blueprint) -> None:
    cells = Counter((i.objective, i.difficulty) for i in chosen)
    off = [f"{o}/{d}: {cells[o, d]} (want {n})" for o, row in bp.cells.items() for d, n in row.items()
           if cells[o, d] != n]
    off += [f"{o}/{d}: {n} (want 0)" for (o, d), n in cells.items() if o not in bp.cells]
    g.check("items per objective and difficulty match the blueprint", not off, weight=2, reason="; ".join(off[:6]))
    points = sum(i.points for i in chosen)
    g.check("total points match the blueprint", points == bp.total_points, weight=2, expected=bp.total_points,
            found=points)
    types = Counter(i.type for i in chosen)
    short = [f"{t}: {types[t]} < {n}" for t, n in bp.type_minimums.items() if types[t] < n]
    g.check("item-type minimums met", not short, reason="; ".join(short))
    groups = Counter(i.enemy_group for i in chosen if i.enemy_group)
    bad = [f"{i.item_id} is retired" for i in chosen if i.status != "active"]
    bad += [f"enemy group {grp} used {n} times" for grp, n in groups.items() if n > 1]
    ids = Counter(i.item_id for i in chosen)
    bad += [f"{k} appears {n} times" for k, n in ids.items() if n > 1]
    g.check("no retired items, no enemy pairs, no repeats", not bad and bool(chosen), weight=2,
            reason="; ".join(bad[:6]))


def grade(g: Any) -> None:
    if not g.require_files(PACKAGE):
        return
    files = _open_package(g)
    if files is None:
        return
    listed = _manifest(g, files)
    if listed is None:
        return
    item_hrefs, test_hrefs = listed
    bank, bp = _load_reference(g)
    _check_manifest(g, files, item_hrefs, test_hrefs)
    _check_test(g, files, test_hrefs, item_hrefs, bp.title)
    parsed, problems = _read_items(g, files, item_hrefs, bank)
    total = len(item_hrefs)
    _fraction_check(g, "item files are well-formed QTI 2.1 items from the bank", problems, total, 1)
    if not parsed:
        g.check("packaged items could be read", False, gate=True, reason="; ".join(problems[:5]))
        return
    content = [m for it, b in parsed if (m := _faithful(it, b))]
    _fraction_check(g, "items reproduce the bank's stem, options and type", content, len(parsed), 1)
    keys = [f"{it.identifier}: correctResponse differs from the key" for it, b in parsed
            if not _faithful(it, b) and not _key_matches(it, b)]
    keys += [f"{it.identifier}: not checkable" for it, b in parsed if _faithful(it, b)]
    _fraction_check(g, "correct responses match the answer key", keys, len(parsed), 2)
    scoring, feedback = [], []
    for it, b in parsed:
        if _faithful(it, b) or not _key_matches(it, b):
            scoring.append(f"{it.identifier}: not checkable")
            feedback.append(f"{it.identifier}: not checkable")
            continue
        s, f = _behaviour(it, b, bp.mr_partial)
        scoring += [s] if s else []
        feedback += [f] if f else []
    _fraction_check(g, "responseProcessing awards the policy's score (key, partial, wrong, empty)", scoring,
                    len(parsed), 3)
    _fraction_check(g, "modal feedback shows the bank's correct/incorrect text", feedback, len(parsed), 2)
    _check_blueprint(g, [b for _, b in parsed], bp)

