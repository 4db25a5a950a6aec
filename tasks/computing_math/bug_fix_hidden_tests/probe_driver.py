#!/usr/bin/env python3
"""Run a library's hidden probes, each in a fresh interpreter, and print one tagged line per probe.

    probe_driver.py names PROBES_FILE SRC             print the probe names, one a line
    probe_driver.py all   PROBES_FILE SRC NONCE NAMES_FILE
    probe_driver.py one   PROBES_FILE SRC NONCE NAME
    probe_driver.py trusted PROBES_FILE SRC NONCE NAMES_FILE

``PROBES_FILE`` defines ``PROBES``, a dict of name -> function of no argument returning plain data;
``SRC`` is the directory holding the library's package. ``all`` starts one ``one`` interpreter per
name and relays only the lines that interpreter printed as ``NONCE<TAB>NAME<TAB>JSON`` for its own
NAME, where JSON is ``{"value": ...}`` or ``{"raised": "ExceptionType"}``. The library runs only in
those child interpreters: whatever it does there (exit early, print, patch modules, kill this
runner) can lose or garble probe lines, never turn a wrong value into the right one, since the
expected values stay with the grader, which compares them itself.
``trusted`` prints the same lines from this one interpreter: only for the task's own library copies.
"""
# ALE-CANARY-6d3b5773-dcf4-4cf5-a68f-c7007271b174

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from types import ModuleType

PROBE_SECONDS = 60
MAX_PROBE_OUTPUT = 1 << 16


def _load(probes_file: str, src: str) -> ModuleType:
    sys.path.insert(0, os.path.abspath(src))
    spec = importlib.util.spec_from_file_location("hidden_probes", probes_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _result_line(nonce: str, name: str, call: Callable[[], object]) -> str:
    try:
        result = json.dumps({"value": call()}, sort_keys=True)
    except BaseException as exc:  # the library's failure, even SystemExit, is the probe's result
        result = json.dumps({"raised": type(exc).__name__})
    return f"{nonce}\t{name}\t{result}"


def _one(probes_file: str, src: str, nonce: str, name: str) -> None:
    print(_result_line(nonce, name, lambda: _load(probes_file, src).PROBES[name]()), flush=True)


def _trusted(probes_file: str, src: str, nonce: str, names_file: str) -> None:
    module = _load(probes_file, src)
    with open(names_file) as handle:
        for name in handle.read().split():
            print(_result_line(nonce, name, module.PROBES[name]), flush=True)


def _all(probes_file: str, src: str, nonce: str, names_file: str) -> None:
    with open(names_file) as handle:
        names = handle.read().split()
    tag_of = {name: f"{nonce}\t{name}\t" for name in names}
    for name in names:
        with tempfile.TemporaryFile() as out:
            try:
                subprocess.run([sys.executable, "-I", "-S", "-B", os.path.abspath(__file__),
                                "one", probes_file, src, nonce, name],
                               stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.DEVNULL,
                               timeout=PROBE_SECONDS, check=False)
            except subprocess.TimeoutExpired:
                continue
            out.seek(0)
            text = out.read(MAX_PROBE_OUTPUT).decode(errors="replace")
        for line in text.splitlines():
            if line.startswith(tag_of[name]):
                print(line, flush=True)


def main(argv: list[str]) -> None:
    mode, rest = argv[0], argv[1:]
    if mode == "names":
        print("\n".join(_load(*rest).PROBES))
    elif mode == "all":
        _all(*rest)
    elif mode == "one":
        _one(*rest)
    elif mode == "trusted":
        _trusted(*rest)
    else:
        sys.exit(f"unknown mode {mode!r}: use names, all or one")


if __name__ == "__main__":
    main(sys.argv[1:])
