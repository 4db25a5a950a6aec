"""The file the attacker steals, written together with what Northwind's breach procedure decides about it.

Each kind holds personal data with a different defect an expert must read the rows for: customer
records where a few legacy rows carry a full card number among masked ones and some customers
have two cards; a user-table dump where a few legacy accounts keep unsalted MD5 hashes among
bcrypt ones; a payroll export with one row per pay component and contractors paid without bank
details. ``Stolen.people`` counts distinct persons, ``Stolen.high_risk`` those the procedure
(data/ir_policy.md, 2.3) says must be told, ``Stolen.credential_accounts`` the logins whose
credentials left (1.3).

Every kind keeps at least one person at high risk and at least one who is not, so that neither
"no one" nor "everyone" is the answer without reading every row. Then the application's field
encryption (the procedure's 2.5, ``vault:v1:`` values) seals some of the people's personal fields:
everyone's but a few on about a third of the seeds, a sixth to a third of the people's on the
others, whose risk and credentials then no longer count, so that notifying by field names alone
("always notify") fails on every seed. The few are records a column-by-column migration reached
only partly, on every seed: their names, e-mail addresses, postcodes or pay are sealed, their card,
password hash or bank columns not yet. Such a person is not sealed (2.5 asks for all their
personal fields), so their risk, their reset and the authority's notice still stand: the person at
high risk furthest down the file is one of them, so that no one field of a record, nor the first
screen of rows, tells the answer (and no breach is ever wholly sealed). In the user dump the migration
had moved on to the login column for one of them: its login sealed, its password hash not, so that
the login alone does not tell either.

ALE-CANARY-4ade4d2e-b6cb-41f8-b293-fdbab00495a3
"""

from __future__ import annotations

import base64
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
    all_sealed: bool = False


@dataclass
class Rows:
    """A stolen file's lines before field encryption, with the record id of each person's row(s) (the first
    column) and who is at high risk or has credentials in it, by record id."""

    header: list[str]
    rows: list[list[str]]
    at_risk: set[str]
    logins: dict[str, str] = field(default_factory=dict)
    preamble: list[str] = field(default_factory=list)


def _luhn_complete(rng: random.Random, prefix: str) -> str:
    """A 16-digit card number with ``prefix`` and a valid Luhn check digit."""
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(15 - len(prefix)))
    total = 0
    for i, digit in enumerate(reversed(body)):
        d = int(digit) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def _customers(rng: random.Random, aside: random.Random) -> Rows:
    rows = []
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
            rows.append([f"C{10000 + i}", f"{f} {l_}", f"{f.lower()}.{l_.lower()}{i}@mail.example", number, postcode])
    return Rows(["customer_id", "name", "email", "card_number", "postcode"], rows,
                at_risk={f"C{10000 + i}" for i in legacy})


def _user_dump(rng: random.Random, aside: random.Random) -> Rows:
    rows, logins = [], {}
    count = rng.randrange(30, 45)
    legacy = set(rng.sample(range(count), rng.randrange(2, 7)))
    if max(legacy) < 5:  # a legacy account past the first screen of rows, drawn aside so that ``rng`` runs on unchanged
        legacy.add(aside.randrange(5, count))
    for i in range(count):
        login = f"{rng.choice(FIRST).lower()}{i}"
        logins[str(i + 1)] = login
        digest = hashlib.sha256(f"{rng.random()}".encode()).hexdigest()
        pwhash = hashlib.md5(digest.encode()).hexdigest() if i in legacy else f"$2y$10${digest[:53]}"
        rows.append([str(i + 1), f"{login}@mail.example", login, pwhash, rng.choice(["staff", "admin", "customer"])])
    return Rows(["id", "email", "login", "pwhash", "role"], rows, at_risk={str(i + 1) for i in legacy}, logins=logins,
                preamble=["-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB", "-- Host: localhost    Database: shop", ""])


def _payroll(rng: random.Random, aside: random.Random) -> Rows:
    rows = []
    count = rng.randrange(35, 50)
    contractors = set(rng.sample(range(count), rng.randrange(2, 6)))
    bonus = set(rng.sample(sorted(set(range(count)) - contractors), rng.randrange(3, 8)))
    for i in range(count):
        name, dept = f"{rng.choice(FIRST)} {rng.choice(LAST)}", rng.choice(["Ops", "Finance", "Sales", "IT"])
        if i in contractors:
            rows.append([f"E{2000 + i}", name, dept, "contractor_invoice", str(rng.randrange(3, 12) * 1000), "", ""])
            continue
        bank = [f"{rng.randrange(10, 99)}-{rng.randrange(10, 99)}-{rng.randrange(10, 99)}", str(rng.randrange(10**7, 10**8))]
        rows.append([f"E{2000 + i}", name, dept, "salary", str(rng.randrange(24, 95) * 1000), *bank])
        if i in bonus:
            rows.append([f"E{2000 + i}", name, dept, "bonus", str(rng.randrange(1, 9) * 500), *bank])
    return Rows(["employee_id", "name", "department", "component", "amount_gbp", "sort_code", "account"], rows,
                at_risk={f"E{2000 + i}" for i in range(count) if i not in contractors})


PERSONAL_FIELDS = {"customers": ["name", "email", "card_number", "postcode"], "sqldump": ["email", "login", "pwhash"],
                   "payroll": ["name", "amount_gbp", "sort_code", "account"]}
# The columns the migration encrypts first: a partly migrated record has these sealed and the others in clear.
MIGRATED_FIRST = {"customers": ["name", "email", "postcode"], "sqldump": ["email"], "payroll": ["name", "amount_gbp"]}
# The column the user dump's migration had moved on to: one partly migrated account has its login sealed too, its
# password hash still clear, so that the account is named by its user id (the instruction's `id:<n>`).
MIGRATED_NEXT = {"sqldump": "login"}


def _vault_token(vault: random.Random, value: str) -> str:
    """A Vault transit ciphertext of ``value``: nonce, AES-GCM ciphertext and tag in base64 after ``vault:v1:``."""
    return "vault:v1:" + base64.b64encode(vault.randbytes(12 + len(value.encode()) + 16)).decode()


def _render(table: Rows) -> bytes:
    """A CSV export, or an SQL dump (the record id bare, the other values quoted) when the table has a preamble."""
    if not table.preamble:
        return "".join(",".join(row) + "\n" for row in [table.header, *table.rows]).encode()
    columns = ",".join(f"`{c}`" for c in table.header)
    tuples = ["(" + ",".join([row[0], *(f"'{v}'" for v in row[1:])]) + ")" for row in table.rows]
    lines = [*table.preamble, f"INSERT INTO `users` ({columns}) VALUES", *(t + "," for t in tuples[:-1]), tuples[-1] + ";"]
    return ("\n".join(lines) + "\n").encode()


def _partly_migrated(table: Rows, kind: str, migration: random.Random) -> set[str]:
    """The record ids the migration reached only partly: the person at high risk furthest down the file and up to
    two others drawn from ``migration``, among those with a value in a column it had not reached yet."""
    left_clear = [table.header.index(c) for c in PERSONAL_FIELDS[kind] if c not in MIGRATED_FIRST[kind]]
    candidates = list(dict.fromkeys(row[0] for row in table.rows if any(row[k] for k in left_clear)))
    last_at_risk = [rid for rid in candidates if rid in table.at_risk][-1]
    others = [rid for rid in candidates if rid != last_at_risk]
    return {last_at_risk, *migration.sample(others, migration.randrange(3))}


def stolen_file(rng: random.Random, kind: str, aside: random.Random, vault: random.Random,
                migration: random.Random) -> Stolen:
    """The stolen file of ``kind`` (customers, sqldump or payroll) with its facts; ``aside`` is a stream of its
    own for draws added later, so that the instances drawn before them do not shift, ``vault`` another that
    picks the people whose personal fields the application had encrypted and writes their ciphertexts, and
    ``migration`` a third that does the same for the records the migration reached only partly, then (user
    dump) picks the one it had moved on to the login column for and writes that login's ciphertext."""
    table = {"customers": _customers, "sqldump": _user_dump, "payroll": _payroll}[kind](rng, aside)
    people = list(dict.fromkeys(row[0] for row in table.rows))
    if vault.random() < 1 / 3:
        sealed = set(people)
    else:
        sealed = set(vault.sample(people, vault.randrange(len(people) // 6, len(people) // 3 + 1)))
    partly = _partly_migrated(table, kind, migration)
    sealed -= partly
    encrypted = {**dict.fromkeys(sealed, (PERSONAL_FIELDS[kind], vault)),
                 **dict.fromkeys(partly, (MIGRATED_FIRST[kind], migration))}
    for row in table.rows:
        columns, stream = encrypted.get(row[0], ([], vault))
        for column in columns:
            k = table.header.index(column)
            if row[k]:
                row[k] = _vault_token(stream, row[k])
    accounts = dict(table.logins)
    if kind in MIGRATED_NEXT:  # drawn after every other ciphertext, so that those stay as they were
        k = table.header.index(MIGRATED_NEXT[kind])
        record = migration.choice([row for row in table.rows if row[0] in partly])
        record[k] = _vault_token(migration, record[k])
        accounts[record[0]] = f"id:{record[0]}"
    return Stolen(_render(table), people=len(people), high_risk=len(table.at_risk - sealed),
                  credential_accounts=sorted(name for rid, name in accounts.items() if rid not in sealed),
                  all_sealed=sealed == set(people))
