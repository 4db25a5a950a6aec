"""Serve a JSON script from the command line until interrupted (for agents run as separate programs).

    PYTHONPATH=tests python -m modelserver --script turns.json

Prints the base URL (``http://127.0.0.1:PORT/v1``) as its first line of output, then serves.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from pathlib import Path

from modelserver import ModelServer, load_script


def main() -> int:
    parser = argparse.ArgumentParser(prog="modelserver", description=__doc__.splitlines()[0])
    parser.add_argument("--script", type=Path, required=True, help="a JSON list of turns (see README.md)")
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with ModelServer(load_script(args.script)) as server:
        print(server.base_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
