#!/usr/bin/env python3
"""Near-miss shortcuts for the intrusion reconstruction, chosen by the name this file runs under.
All read the logs for the password guessing (the easy part) and cut a corner on the capture:

logs_only: the capture is not opened; phases the logs cannot show are left out, no stolen file.
naive_reassembly: the exfiltration is carved from the capture, but chunks are joined in capture
  order (retransmissions kept) and the payload is not decoded.
every_external_ip: the naive reassembly, and every external address seen talking to our segment
  listed as an attacker indicator.
"""

import csv
import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
MODE = Path(sys.argv[0]).name.split(".")[0]


def tshark(flt: str, *fields: str) -> list[list[str]]:
    argv = ["tshark", "-r", str(IN / "capture.pcap"), "-Y", flt, "-T", "fields"]
    for f in fields:
        argv += ["-e", f]
    out = subprocess.run(argv, capture_output=True, text=True, check=False).stdout
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_logs(year: int) -> dict:
    fails, win = [], None
    for line in (IN / "auth.log").read_text().splitlines():
        m = re.match(r"(\w{3}\s+\d+ \d\d:\d\d:\d\d) \S+ sshd\[\d+\]: (Failed|Accepted) password for (?:invalid user )?"
                     r"(\S+) from (\S+)", line)
        if m:
            t = dt.datetime.strptime(f"{year} {m.group(1)}", "%Y %b %d %H:%M:%S").replace(tzinfo=dt.UTC).timestamp()
            if m.group(2) == "Failed":
                fails.append((t, m.group(4), m.group(3)))
            else:
                win = (t, m.group(4), m.group(3))
    for line in (IN / "access.log").read_text().splitlines():
        m = re.match(r'(\S+) \S+ \S+ \[([^\]]+)\] "POST /login[^"]*" (\d+)', line)
        if m:
            t = dt.datetime.strptime(m.group(2), "%d/%b/%Y:%H:%M:%S %z").timestamp()
            if m.group(3) == "401":
                fails.append((t, m.group(1), "?"))
            elif m.group(3) == "302" and fails and fails[-1][1] == m.group(1):
                win = (t, m.group(1), "admin")
    src = win[1] if win else (fails[0][1] if fails else "")
    mine = [f for f in fails if f[1] == src]
    return {"src": src, "start": mine[0][0] if mine else 0, "end": mine[-1][0] if mine else 0,
            "success": win[0] if win else 0, "account": win[2] if win else ""}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    year = dt.datetime.fromtimestamp((IN / "capture.pcap").stat().st_mtime, dt.UTC).year
    if MODE != "logs_only":
        year = dt.datetime.fromtimestamp(float(tshark("frame.number==1", "frame.time_epoch")[0][0]), dt.UTC).year
    brute = from_logs(year)
    rows = [["credential_access", iso(brute["start"]), iso(brute["end"]), brute["src"], "10.20.0.10", "T1110.001",
             "failed logins in the logs"],
            ["initial_access", iso(brute["success"]), iso(brute["success"]), brute["src"], "10.20.0.10", "T1078",
             "accepted login"]]
    data, ips = b"", [brute["src"]]
    if MODE != "logs_only":
        queries = tshark("dns.flags.response==0 && ip.src==10.20.0.10", "dns.qry.name")
        long = [q[0].split(".")[0] for q in queries if len(q[0].split(".")[0]) >= 30]
        data = "".join(long).encode()
        if not data:
            forms = tshark('http.request.method=="POST" && ip.src==10.20.0.10', "urlencoded-form.value")
            data = "".join(f[0].split(",")[-1] for f in forms).encode()
    if MODE == "every_external_ip":
        seen = {ip for row in tshark("ip", "ip.src", "ip.dst") for ip in row}
        ips = sorted(ip for ip in seen if not ip.startswith("10."))
    (OUT / "exfiltrated.bin").write_bytes(data or b"not recoverable from the logs\n")
    with open(OUT / "timeline.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["phase", "start_utc", "end_utc", "src_ip", "dst_ip", "technique_id", "evidence"])
        w.writerows(rows)
    with open(OUT / "iocs.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["type", "value", "context"])
        w.writerows(["ip", ip, "seen in the evidence"] for ip in ips)

    (OUT / "incident_report.json").write_text(json.dumps({
        "summary": f"{brute['src']} guessed the password of {brute['account']}.", "attacker_ips": ips,
        "compromised_hosts": ["10.20.0.10"], "compromised_account": brute["account"],
        "initial_access_utc": iso(brute["success"]), "c2": {"domain": "", "protocol": "", "interval_seconds": 0},
        "exfiltration": {"destination": "", "protocol": "dns", "bytes": len(data),
                         "sha256": hashlib.sha256(data).hexdigest()},
        "attack_techniques": ["T1110.001", "T1078"],
        "containment": {"isolate_hosts": ["10.20.0.10"], "reset_accounts": [brute["account"]]},
        "breach_notification": {"personal_data_breach": True, "notify_authority": True, "notify_data_subjects": True,
                                "data_subjects_affected": data.count(b"\n"), "data_subjects_to_notify": data.count(b"\n")},
    }, indent=2))


if __name__ == "__main__":
    main()
