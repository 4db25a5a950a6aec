#!/usr/bin/env python3
"""Oracle: analyse the capture with tshark and the logs with regexes, then write the four deliverables.

Run under another name (adversaries/), it takes one shortcut:
always_notify: the forensics and the people counted properly, but the key vault's ciphertexts are not
  taken for unintelligible (ir_policy.md 2.5): the breach always goes to the authority, everyone with a
  ciphertext in their record is told directly and every encrypted password hash counts for a reset.
arrival_order: the forensics and the decisions done properly, retransmitted chunks dropped and the payload
  decoded, but the exfiltrated chunks joined in the order they were captured, not by their sequence numbers.
notify_everyone: the forensics done properly (timeline, indicators, the stolen file recovered), but the
  procedure is not applied to what left: every data row is a person, all are told directly and the authority
  too, and only the guessed account is reset (the worst case, signed without reading the rows).
first_rows_only: the forensics done properly, but the stolen rows are read only as far as the first screen
  (five rows): the risk seen there is taken for everyone, so all or none are told, and every data row is taken
  for a person (the repeats further down never seen).
one_field_decides: the forensics done properly, but whether a person's record is sealed by the key vault
  (ir_policy.md 2.5) is read off one field, the first personal one: a ciphertext there and the whole record is
  taken for sealed (no risk, no reset), a clear value and the record is assessed as it stands.
login_decides: as one_field_decides, but the field read is the login where there is one (the column that names
  the account), the first personal one elsewhere.
intranet_copy: the exfiltration is found and timed but not decoded: the stolen file is taken from the copy of
  the export the foothold fetched from the intranet, exported from the capture as an HTTP object (the
  exfiltration's undecoded text when there is none); the procedure is applied to its rows.

ALE-CANARY-4ade4d2e-b6cb-41f8-b293-fdbab00495a3
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import gzip
import hashlib
import ipaddress
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import zlib
from collections import defaultdict
from pathlib import Path

INPUT = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUTPUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
WORK = Path(tempfile.mkdtemp(prefix="forensics-"))
PCAP = str(INPUT / "capture.pcap")
SHORTCUT = Path(sys.argv[0]).name.split(".")[0]  # "solve" for the oracle, an adversary's name otherwise
VAULT_TRUSTED = SHORTCUT != "always_notify"
VAULT_CIPHERTEXT = re.compile(r"vault:v\d+:[A-Za-z0-9+/]+=*")
CLEAR_FIELDS = re.compile(r"id|\w+_id|role|department|component")  # identify no one outside Northwind (2.5)


def tshark(display_filter: str, *fields: str) -> list[list[str]]:
    argv = ["tshark", "-r", PCAP, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"]
    if display_filter:
        argv += ["-Y", display_filter]
    for f in fields:
        argv += ["-e", f]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


RFC1918 = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]


def external(ip: str) -> bool:
    return not any(ipaddress.ip_address(ip) in net for net in RFC1918)


def find_scan() -> dict:
    """The densest burst of probes: SYNs of connections that never carry data, grouped by source."""
    with_data = {stream for stream, in tshark("tcp.len>0", "tcp.stream")}
    syns = [(float(t), s, d, int(p)) for t, s, d, p, stream in tshark(
        "tcp.flags.syn==1 && tcp.flags.ack==0", "frame.time_epoch", "ip.src", "ip.dst", "tcp.dstport", "tcp.stream")
        if stream not in with_data]
    by_src: dict[str, list] = defaultdict(list)
    for row in syns:
        by_src[row[1]].append(row)
    best: list = []
    for rows in by_src.values():
        cluster: list = []
        for row in sorted(rows):
            if cluster and row[0] - cluster[-1][0] > 10:
                best = max(best, cluster, key=lambda c: len({(r[2], r[3]) for r in c}))
                cluster = []
            cluster.append(row)
        best = max(best, cluster, key=lambda c: len({(r[2], r[3]) for r in c}))
    src, start, last_syn = best[0][1], best[0][0], best[-1][0]
    targets = sorted({r[2] for r in best})
    probe_packets = [float(t) for t, stream in tshark(
        f"tcp && (ip.src=={src} || ip.dst=={src}) && frame.time_epoch>={start} && frame.time_epoch<={last_syn + 1}",
        "frame.time_epoch", "tcp.stream") if stream not in with_data]
    end = max([last_syn, *probe_packets])
    return {"src": src, "dst": targets[0] if len(targets) == 1 else "multiple", "start": start, "end": end,
            "targets": targets}


def find_http_bruteforce() -> dict | None:
    codes = {s: c for s, c in tshark("http.response", "tcp.stream", "http.response.code")}
    posts = tshark('http.request.method=="POST" && http.request.uri=="/login"', "frame.time_epoch", "ip.src",
                   "ip.dst", "tcp.stream", "urlencoded-form.key", "urlencoded-form.value")
    fails = [(float(r[0]), r[1], r[2]) for r in posts if codes.get(r[3]) == "401"]
    wins = [r for r in posts if codes.get(r[3]) == "302"]
    if not fails or not wins:
        return None
    src = max({f[1] for f in fails}, key=lambda ip: sum(f[1] == ip for f in fails))
    mine = [f for f in fails if f[1] == src]
    win = next(r for r in wins if r[1] == src)
    form = dict(zip(win[4].split("|"), win[5].split("|"), strict=False))
    return {"src": src, "dst": mine[0][2], "start": mine[0][0], "end": mine[-1][0], "success": float(win[0]),
            "account": form.get("username", "")}


def find_ssh_bruteforce(year: int) -> dict:
    fails, win = [], None
    for line in (INPUT / "auth.log").read_text().splitlines():
        m = re.match(r"(\w{3}\s+\d+ \d\d:\d\d:\d\d) \S+ sshd\[\d+\]: (Failed|Accepted) password for (?:invalid user )?"
                     r"(\S+) from (\S+)", line)
        if not m:
            continue
        when = dt.datetime.strptime(f"{year} {m.group(1)}", "%Y %b %d %H:%M:%S").replace(tzinfo=dt.UTC)
        if m.group(2) == "Failed":
            fails.append((when.timestamp(), m.group(4)))
        elif fails and m.group(4) == fails[-1][1]:
            win = (when.timestamp(), m.group(3), m.group(4))
    src = win[2]
    mine = [f for f in fails if f[1] == src]
    server = tshark(f"ip.src=={src} && tcp.dstport==22", "ip.dst")[0][0]
    return {"src": src, "dst": server, "start": mine[0][0], "end": mine[-1][0], "success": win[0], "account": win[1]}


def find_tool() -> dict:
    ctypes = {s: c for s, c in tshark("http.response", "tcp.stream", "http.content_type")}
    requests = tshark("http.request", "frame.time_epoch", "ip.src", "ip.dst", "tcp.stream", "http.request.uri")
    t, src, dst, _, uri = next(r for r in requests if ctypes.get(r[3]) == "application/octet-stream" and external(r[2]))
    objects = WORK / "objects"
    objects.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tshark", "-r", PCAP, "-q", "--export-objects", f"http,{objects}"], capture_output=True, check=True)
    blob = (objects / uri.rsplit("/", 1)[-1]).read_bytes()
    return {"src": src, "dst": dst, "time": float(t), "sha256": hashlib.sha256(blob).hexdigest()}


def periodic(times: list[float]) -> float | None:
    if len(times) < 5:
        return None
    gaps = [b - a for a, b in itertools.pairwise(times)]
    mid = statistics.median(gaps)
    return mid if mid >= 5 and statistics.pstdev(gaps) / mid < 0.25 else None


def registered(name: str) -> str:
    return ".".join(name.rstrip(".").split(".")[-2:])


def find_c2(host: str) -> dict:
    http: dict[str, list] = defaultdict(list)
    for t, dst, domain in tshark(f"http.request && ip.src=={host}", "frame.time_epoch", "ip.dst", "http.host"):
        if external(dst):
            http[domain].append((float(t), dst))
    for domain, rows in http.items():
        interval = periodic([r[0] for r in rows])
        if interval:
            return {"domain": domain, "protocol": "http", "interval": interval, "dst": rows[0][1],
                    "start": rows[0][0], "end": rows[-1][0]}
    dns: dict[str, list] = defaultdict(list)
    for t, dst, name in tshark(f"dns.flags.response==0 && ip.src=={host}", "frame.time_epoch", "ip.dst", "dns.qry.name"):
        dns[registered(name)].append((float(t), dst))
    for domain, rows in dns.items():
        interval = periodic([r[0] for r in rows])
        if interval:
            return {"domain": domain, "protocol": "dns", "interval": interval, "dst": rows[0][1],
                    "start": rows[0][0], "end": rows[-1][0]}
    raise SystemExit("no beacon found")


def in_sequence(chunks: dict) -> list:
    """The exfiltrated chunks by their sequence numbers (arrival_order: as they were captured)."""
    return list(chunks.values()) if SHORTCUT == "arrival_order" else [chunks[k] for k in sorted(chunks)]


def intranet_copy(undecoded: str) -> bytes:
    """intranet_copy: the export the foothold fetched from the intranet, as an HTTP object of the capture."""
    objects = WORK / "intranet"
    objects.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tshark", "-r", PCAP, "-q", "--export-objects", f"http,{objects}"], capture_output=True)
    found = sorted(p for p in objects.iterdir() if p.suffix == ".csv")
    return found[0].read_bytes() if found else undecoded.encode()


def find_exfil(host: str) -> dict:
    asked = [(float(t), d, n) for t, d, n in tshark(f"dns.flags.response==0 && ip.src=={host}", "frame.time_epoch",
                                                    "ip.dst", "dns.qry.name")]
    tunnels = {registered(n) for _, _, n in asked if len(n.split(".")[0]) >= 30}
    queries = [q for q in asked if registered(q[2]) in tunnels and q[2].split(".")[1].isdigit()]
    if queries:
        chunks = {}
        for _, _, name in queries:
            labels = name.split(".")
            chunks.setdefault(int(labels[1]), labels[0])
        text = "".join(in_sequence(chunks))
        if SHORTCUT == "intranet_copy":
            data = intranet_copy(text)
        elif set(text) <= set("0123456789abcdef"):
            data = bytes.fromhex(text)
        else:
            data = base64.b32decode(text.upper() + "=" * (-len(text) % 8))
        return {"data": data, "protocol": "dns", "destination": registered(queries[0][2]), "dst": queries[0][1],
                "start": queries[0][0], "end": queries[-1][0]}
    posts = tshark(f'http.request.method=="POST" && ip.src=={host}', "frame.time_epoch", "ip.dst",
                   "urlencoded-form.key", "urlencoded-form.value")
    parts = {}
    for t, dst, keys, values in posts:
        form = dict(zip(keys.split("|"), values.split("|"), strict=False))
        if "data" in form and "part" in form:
            parts[int(form["part"])] = (float(t), dst, form["data"])
    text = "".join(part[2] for part in in_sequence(parts))
    if SHORTCUT == "intranet_copy":
        data = intranet_copy(text)
    else:
        blob = base64.b64decode(text)
        try:
            data = gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob
        except (OSError, EOFError, zlib.error):  # parts joined out of order (arrival_order) do not inflate
            data = blob
    first, last = min(parts.values()), max(parts.values())  # by time: the parts need not arrive in order
    return {"data": data, "protocol": "http", "destination": first[1], "dst": first[1], "start": first[0],
            "end": last[0]}


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def person_records(data: bytes) -> list[dict[str, str]]:
    """The stolen file's rows as dicts: a CSV export as it is, an SQL dump's INSERT tuples by column."""
    text = data.decode("utf-8", "replace")
    insert = re.search(r"INSERT INTO `?\w+`? \(([^)]*)\) VALUES", text)
    if insert:
        columns = [c.strip(" `") for c in insert.group(1).split(",")]
        return [dict(zip(columns, [v.strip().strip("'") for v in row.split(",")], strict=False))
                for row in re.findall(r"\(([^()]*)\)[,;]", text[insert.end():])]
    return [{k: v for k, v in row.items() if k is not None}  # cells past the header's end dropped
            for row in csv.DictReader(text.splitlines())]


def assess(data: bytes) -> dict:
    """ir_policy.md applied to the stolen rows: people (distinct), those at high risk (2.3), credentials (1.3)."""
    rows = person_records(data)
    columns = list(rows[0]) if rows else []
    if SHORTCUT in ("one_field_decides", "login_decides"):
        rows = [sealed_by_one_field(row) for row in rows]
    key = "login" if "login" in columns else next((c for c in columns if c.endswith("_id")), None)
    people: dict[str, bool] = {}
    credentials = set()
    risk_seen = False
    for number, row in enumerate(rows):
        who = row.get(key, "") if key else json.dumps(row, sort_keys=True)
        values = [v or "" for v in row.values()]
        full_pan = any(re.fullmatch(r"\d{13,19}", v.replace(" ", "")) and luhn_ok(v.replace(" ", "")) for v in values)
        bank = in_clear(row.get("sort_code")) and in_clear(row.get("account"))
        hashes = [v for k, v in row.items() if k and ("hash" in k.lower() or "password" in k.lower()) and in_clear(v)]
        weak = any(re.fullmatch(r"[0-9a-f]{32}|[0-9a-f]{40}", h.lower()) for h in hashes)
        if hashes:
            credentials.add(account_name(row, who))
        sealed_taken_for_exposed = not VAULT_TRUSTED and any(VAULT_CIPHERTEXT.fullmatch(v) for v in values)
        at_risk = full_pan or bank or weak or sealed_taken_for_exposed
        risk_seen = risk_seen or (at_risk and number < 5)
        people[who] = people.get(who, False) or at_risk
    if SHORTCUT == "first_rows_only":
        people = dict.fromkeys(range(len(rows)), risk_seen)
    all_sealed = VAULT_TRUSTED and bool(rows) and all(
        not value or VAULT_CIPHERTEXT.fullmatch(value) or CLEAR_FIELDS.fullmatch(column)
        for row in rows for column, value in row.items())
    return {"people": len(people), "high_risk": sum(people.values()), "credential_accounts": sorted(credentials),
            "all_sealed": all_sealed}


def account_name(row: dict[str, str], who: str) -> str:
    """The name of the account a row's credential belongs to: its login, or `id:<user id>` (the instruction's
    form) when the login left only as a key-vault value."""
    login = row.get("login") or who
    return f"id:{row.get('id', '')}" if VAULT_CIPHERTEXT.fullmatch(login) else login


def sealed_by_one_field(row: dict[str, str]) -> dict[str, str]:
    """one_field_decides, login_decides: a row whose one field read (the first personal one, or the login) is a
    ciphertext, with every personal value taken for one (its own text as the ciphertext, so that values stay
    apart)."""
    personal = [column for column in row if not CLEAR_FIELDS.fullmatch(column)]
    judged = "login" if SHORTCUT == "login_decides" and "login" in row else next(iter(personal), "")
    if not personal or not VAULT_CIPHERTEXT.fullmatch(row.get(judged) or ""):
        return row
    return {column: "vault:v1:" + base64.b64encode(value.encode()).decode() if column in personal and value else value
            for column, value in row.items()}


def assess_worst_case(data: bytes) -> dict:
    """notify_everyone: every data row a person, all of them told, no credentials counted."""
    text = data.decode("utf-8", "replace")
    rows = len(re.findall(r"^\(.*\)[,;]$", text, flags=re.M)) or max(len(text.splitlines()) - 1, 0)
    return {"people": rows, "high_risk": rows, "credential_accounts": [], "all_sealed": False}


def in_clear(value: str | None) -> bool:
    """A value that left readable: not empty and not a key-vault ciphertext (ir_policy.md 2.5)."""
    return bool((value or "").strip()) and (not VAULT_TRUSTED or not VAULT_CIPHERTEXT.fullmatch(value))


def main() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    first_packet = float(tshark("frame.number==1", "frame.time_epoch")[0][0])
    scan = find_scan()
    brute = find_http_bruteforce() or find_ssh_bruteforce(dt.datetime.fromtimestamp(first_packet, dt.UTC).year)
    tool = find_tool()
    foothold = tool["src"]
    c2 = find_c2(foothold)
    exfil = find_exfil(foothold)
    (OUTPUT / "exfiltrated.bin").write_bytes(exfil["data"])

    phases = [
        ("reconnaissance", scan["start"], scan["end"], scan["src"], scan["dst"],
         "T1595" if external(scan["src"]) else "T1046", f"SYN probes to {len(scan['targets'])} host(s)"),
        ("credential_access", brute["start"], brute["end"], brute["src"], brute["dst"], "T1110.001",
         f"repeated failed logins for {brute['account']} and others"),
        ("initial_access", brute["success"], brute["success"], brute["src"], brute["dst"], "T1078",
         f"successful login as {brute['account']}"),
        ("tool_transfer", tool["time"], tool["time"], tool["src"], tool["dst"], "T1105", f"sha256 {tool['sha256']}"),
        ("command_and_control", c2["start"], c2["end"], foothold, c2["dst"],
         "T1071.001" if c2["protocol"] == "http" else "T1071.004",
         f"{c2['protocol']} beacon to {c2['domain']} every {c2['interval']:.0f} s"),
        ("exfiltration", exfil["start"], exfil["end"], foothold, exfil["dst"], "T1048.003",
         f"{len(exfil['data'])} bytes over {exfil['protocol']} to {exfil['destination']}"),
    ]
    with open(OUTPUT / "timeline.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["phase", "start_utc", "end_utc", "src_ip", "dst_ip", "technique_id", "evidence"])
        for name, a, b, src, dst, tid, note in phases:
            writer.writerow([name, iso(a), iso(b), src, dst, tid, note])

    ips = sorted({ip for ip in (scan["src"], brute["src"], tool["dst"]) if external(ip)}
                 | ({c2["dst"]} if c2["protocol"] == "http" else set())
                 | ({exfil["destination"]} if exfil["protocol"] == "http" else set()))
    domains = sorted({c2["domain"]} | ({exfil["destination"]} if exfil["protocol"] == "dns" else set()))
    with open(OUTPUT / "iocs.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["type", "value", "context"])
        for ip in ips:
            writer.writerow(["ip", ip, "attacker infrastructure"])
        for domain in domains:
            writer.writerow(["domain", domain, "C2 or exfiltration domain"])
        writer.writerow(["sha256", tool["sha256"], "downloaded tool"])

    facts = (assess_worst_case if SHORTCUT == "notify_everyone" else assess)(exfil["data"])
    report = {
        "summary": f"Patient zero is {foothold}. {brute['src']} guessed the password of {brute['account']} after a "
                   f"port scan; {foothold} fetched a tool, beaconed to {c2['domain']} and sent {len(exfil['data'])} "
                   f"bytes over {exfil['protocol']} to {exfil['destination']}: personal data of {facts['people']} "
                   f"people, {facts['high_risk']} of them at high risk.",
        "attacker_ips": ips,
        "compromised_hosts": [foothold],
        "compromised_account": brute["account"],
        "initial_access_utc": iso(brute["success"]),
        "c2": {"domain": c2["domain"], "protocol": c2["protocol"], "interval_seconds": round(c2["interval"], 1)},
        "exfiltration": {"destination": exfil["destination"], "protocol": exfil["protocol"],
                         "bytes": len(exfil["data"]), "sha256": hashlib.sha256(exfil["data"]).hexdigest()},
        "attack_techniques": sorted({p[5] for p in phases}),
        "containment": {"isolate_hosts": [foothold],
                        "reset_accounts": sorted({brute["account"], *facts["credential_accounts"]})},
        "breach_notification": {"personal_data_breach": facts["people"] > 0,
                                "notify_authority": facts["people"] > 0 and not facts["all_sealed"],
                                "notify_data_subjects": facts["high_risk"] > 0,
                                "data_subjects_affected": facts["people"],
                                "data_subjects_to_notify": facts["high_risk"]},
    }
    (OUTPUT / "incident_report.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
