"""Item families of the qti_quiz bank: each draws one computed item (stem, options, key, feedback).

A family returns ``{"type", "stem", "options", "key", "fb": (correct, incorrect)}`` with the key correct
by construction; SUBJECTS assigns the families of each subject to a learning objective and difficulty.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

LETTERS = "ABCDEF"  # the bank has five option columns: options use at most A-E

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
