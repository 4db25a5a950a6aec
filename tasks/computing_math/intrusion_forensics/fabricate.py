#!/usr/bin/env python3
"""Plausible fabrication: skims the logs only (no packet analysis). The top failing client becomes
"the attacker", every external client IP becomes an IOC, phase times are spread over the log,
and the "recovered" file is a slice of the access log.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
from collections import Counter
from pathlib import Path

INPUT = Path(os.environ["ALE_INPUT_DIR"])
OUTPUT = Path(os.environ["ALE_OUTPUT_DIR"])
PHASES = [("reconnaissance", "T1046"), ("credential_access", "T1110"), ("initial_access", "T1078"),
          ("tool_transfer", "T1105"), ("command_and_control", "T1071.001"), ("exfiltration", "T1041")]


def main() -> None:
    lines = (INPUT / "access.log").read_text().splitlines()
    stamps = [dt.datetime.strptime(m.group(1), "%d/%b/%Y:%H:%M:%S %z")
              for m in (re.search(r"\[([^\]]+)\]", line) for line in lines) if m]
    fails = Counter(line.split()[0] for line in lines if '" 401 ' in line)
    clients = Counter(line.split()[0] for line in lines)
    attacker = (fails or clients).most_common(1)[0][0]
    start, end = stamps[0], stamps[-1]
    step = (end - start) / len(PHASES)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with open(OUTPUT / "timeline.csv", "w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["phase", "start_utc", "end_utc", "src_ip", "dst_ip", "technique_id", "evidence"])
        for i, (phase, tid) in enumerate(PHASES):
            a, b = start + i * step, start + (i + 1) * step
            w.writerow([phase, a.strftime("%Y-%m-%dT%H:%M:%SZ"), b.strftime("%Y-%m-%dT%H:%M:%SZ"), attacker,
                        "10.20.0.10", tid, "from access.log"])
    external = sorted(ip for ip in clients if not ip.startswith("10."))
    with open(OUTPUT / "iocs.csv", "w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["type", "value", "context"])
        for ip in external:
            w.writerow(["ip", ip, "seen in access.log"])
    blob = "\n".join(lines[:40]).encode()
    (OUTPUT / "exfiltrated.bin").write_bytes(blob)
    report = {"summary": "brute force against the web login", "attacker_ips": [attacker],
              "compromised_hosts": ["10.20.0.10"], "compromised_account": "admin",
              "initial_access_utc": (start + step * 2).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "c2": {"domain": "unknown", "protocol": "http", "interval_seconds": 60},
              "exfiltration": {"destination": attacker, "protocol": "http", "bytes": len(blob),
                               "sha256": hashlib.sha256(blob).hexdigest()},
              "attack_techniques": [t for _, t in PHASES],
              "containment": {"isolate_hosts": ["10.20.0.10"], "reset_accounts": ["admin"]},
              "breach_notification": {"personal_data_breach": True, "notify_authority": True,
                                      "notify_data_subjects": True, "data_subjects_affected": 40,
                                      "data_subjects_to_notify": 40}}
    (OUTPUT / "incident_report.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
