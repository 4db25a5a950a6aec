"""The file the attacker steals, written together with what Northwind's breach procedure decides about it.

Each kind holds personal data with a different defect an expert must read the rows for: customer
records where a few legacy rows carry a full card number among masked ones and some customers
have two cards; a user-table dump where a few legacy accounts keep unsalted MD5 hashes among
bcrypt ones; a payroll export with one row per pay component and contractors paid without bank
details. ``Stolen.people`` counts distinct persons, ``Stolen.high_risk`` those the procedure
(data/ir_policy.md, 2.3) says must be told, ``Stolen.credential_accounts`` the logins whose
credentials left (1.3).

Every kind keeps at least one person at high risk and at least one who is not, so that neither
"no one" nor "everyone" is the answer without reading every row.

ALE-CANARY-4ade4d2e-b6cb-41f8-b293-fdbab00495a3
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

FIRST = ["Ava", "Noah", "Mia", "Liam", "Zoe", "Omar", "Ines", "Raj", "Yuki", "Lena", "Tom", "Sara"]
LAST = ["Patel", "Novak", "Garcia", "Okafor", "Schmidt", "Kowalski", "Tanaka", "Dubois", "Costa", "Berg"]


@dataclass
class Stolen:
    """The stolen file's bytes and the facts about the people in it."""

    data: bytes
    people: int
    high_risk: int
    credential_accounts: list[str] = field(default_factory=list)


def _luhn_complete(rng: random.Random, prefix: str) -> str:
    """A 16-digit card number with ``prefix`` and a valid Luhn check digit."""
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(15 - len(prefix)))
    total = 0
    for i, digit in enumerate(reversed(body)):
        d = int(digit) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def _customers(rng: random.Random, aside: random.Random) -> Stolen:
    rows = ["customer_id,name,email,card_number,postcode"]
    count = rng.randrange(40, 60)
    second_card = set(rng.sample(range(count), rng.randrange(2, 5)))
    legacy = set(rng.sample(range(count), rng.choice([0, 1, 2, 3, 4])))
    if not legacy:  # at least one legacy row with a full card number, drawn aside so that ``rng`` runs on unchanged
        legacy = {aside.randrange(count)}
    for i in range(count):
        f, l_ = rng.choice(FIRST), rng.choice(LAST)
        postcode = (f"{rng.choice('ABCDEFGHKLMNPRS')}{rng.randrange(1, 30)} {rng.randrange(1, 10)}"
                    f"{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTUW')}")
        cards = 2 if i in second_card else 1
        for k in range(cards):
            pan = _luhn_complete(rng, rng.choice(["4", "51", "53", "55"]))
            full = i in legacy and k == cards - 1
            number = pan if full else pan[:6] + "******" + pan[-4:]
            rows.append(f"C{10000 + i},{f} {l_},{f.lower()}.{l_.lower()}{i}@mail.example,{number},{postcode}")
    return Stolen(("\n".join(rows) + "\n").encode(), people=count, high_risk=len(legacy))


def _user_dump(rng: random.Random, aside: random.Random) -> Stolen:
    rows = ["-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB", "-- Host: localhost    Database: shop", "",
            "INSERT INTO `users` (`id`,`login`,`pwhash`,`role`) VALUES"]
    count = rng.randrange(30, 45)
    legacy = set(rng.sample(range(count), rng.randrange(2, 7)))
    logins = []
    for i in range(count):
        login = f"{rng.choice(FIRST).lower()}{i}"
        logins.append(login)
        digest = hashlib.sha256(f"{rng.random()}".encode()).hexdigest()
        pwhash = hashlib.md5(digest.encode()).hexdigest() if i in legacy else f"$2y$10${digest[:53]}"
        rows.append(f"({i + 1},'{login}','{pwhash}','{rng.choice(['staff', 'admin', 'customer'])}'),")
    rows[-1] = rows[-1][:-1] + ";"
    return Stolen(("\n".join(rows) + "\n").encode(), people=count, high_risk=len(legacy), credential_accounts=logins)


def _payroll(rng: random.Random, aside: random.Random) -> Stolen:
    rows = ["employee_id,name,department,component,amount_gbp,sort_code,account"]
    count = rng.randrange(35, 50)
    contractors = set(rng.sample(range(count), rng.randrange(2, 6)))
    bonus = set(rng.sample(sorted(set(range(count)) - contractors), rng.randrange(3, 8)))
    for i in range(count):
        name, dept = f"{rng.choice(FIRST)} {rng.choice(LAST)}", rng.choice(["Ops", "Finance", "Sales", "IT"])
        if i in contractors:
            rows.append(f"E{2000 + i},{name},{dept},contractor_invoice,{rng.randrange(3, 12) * 1000},,")
            continue
        bank = f"{rng.randrange(10, 99)}-{rng.randrange(10, 99)}-{rng.randrange(10, 99)},{rng.randrange(10**7, 10**8)}"
        rows.append(f"E{2000 + i},{name},{dept},salary,{rng.randrange(24, 95) * 1000},{bank}")
        if i in bonus:
            rows.append(f"E{2000 + i},{name},{dept},bonus,{rng.randrange(1, 9) * 500},{bank}")
    return Stolen(("\n".join(rows) + "\n").encode(), people=count, high_risk=count - len(contractors))


def stolen_file(rng: random.Random, kind: str, aside: random.Random) -> Stolen:
    """The stolen file of ``kind`` (customers, sqldump or payroll) with its facts; ``aside`` is a stream of its
    own for draws added later, so that the instances drawn before them do not shift."""
    return {"customers": _customers, "sqldump": _user_dump, "payroll": _payroll}[kind](rng, aside)
