"""Encode AIS messages with pyais (run in the task's tool environment by generate()).

Reads a JSON list of ``{"fields": {...}, "seq": n, "channel": "A"}`` from the file named by argv[1]
and prints a JSON list, one entry per message: its NMEA sentences and, for position reports, the
latitude, longitude and speed as pyais decodes them back (the values an analyst will read).
"""

import json
import sys
from pathlib import Path

from pyais import decode
from pyais.encode import encode_dict


def main() -> None:
    out = []
    for item in json.loads(Path(sys.argv[1]).read_text()):
        sentences = encode_dict(item["fields"], talker_id="AI", sentence_type="VDM",
                                radio_channel=item["channel"], seq_id=item["seq"])
        entry = {"sentences": sentences}
        if item["fields"]["type"] in (1, 2, 3, 18):
            msg = decode(*sentences)
            entry.update(lat=msg.lat, lon=msg.lon, speed=msg.speed)
        out.append(entry)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
