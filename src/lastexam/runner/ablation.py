"""Ablation: the oracle's output with one deliverable replaced by a right-shaped hollow stand-in.

A grader that still gives a full pass to such an output does not read that deliverable for what
it holds: a CSV with the right header and zeroed values, a JSON with the right keys and empty
values, a blank page, a noise image, an empty program. ``STAND_INS`` maps a file extension to
the stand-in made from the oracle's own file; to cover a new file type add one entry. A type
with no entry gets ``GENERIC_STAND_IN`` (an empty file); a deliverable that is a directory is
emptied.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import shutil
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOREM = "Lorem ipsum dolor sit amet, consectetur adipiscing elit."


@dataclass(frozen=True)
class StandIn:
    """How to hollow one file type: ``make(original_bytes) -> stand-in bytes``, and what it is, in words."""

    description: str
    make: Callable[[bytes], bytes]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _hollow_table(data: bytes, delimiter: str) -> bytes:
    """Same header and row count; numeric cells 0, every other cell its column's first value."""
    rows = list(csv.reader(io.StringIO(data.decode(errors="replace")), delimiter=delimiter))
    if len(rows) < 2:
        return data
    header, body = rows[0], rows[1:]
    first = body[0]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for row in body:
        writer.writerow(["0" if _is_number(cell) else (first[k] if k < len(first) else "") for k, cell in enumerate(row)])
    return out.getvalue().encode()


def _hollow_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _hollow_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_hollow_value(item) for item in value]
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return 0
    if isinstance(value, str):
        return ""
    return value


def _hollow_json(data: bytes) -> bytes:
    """Same keys and list lengths; numbers 0, strings empty, booleans false."""
    try:
        value = json.loads(data)
    except ValueError:
        return b""
    return json.dumps(_hollow_value(value), indent=2).encode()


def _hollow_text(data: bytes) -> bytes:
    """Headings (lines starting with ``#``) kept; every other non-blank line is lorem ipsum."""
    lines = data.decode(errors="replace").splitlines()
    return "\n".join(line if line.startswith("#") or not line.strip() else LOREM for line in lines).encode() + b"\n"


_MEDIA_BOX = re.compile(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]")
_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def blank_pdf(width: float, height: float, pages: int = 1) -> bytes:
    """A valid PDF of ``pages`` blank pages of ``width`` x ``height`` points."""
    kids = " ".join(f"{3 + k} 0 R" for k in range(pages))
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>"]
    objects += [f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:g} {height:g}] /Resources << >> >>"] * pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _hollow_pdf(data: bytes) -> bytes:
    """Blank pages, as many as the original shows and of its first page's size (A4 when unreadable)."""
    box = _MEDIA_BOX.search(data)
    width, height = (float(box[3]) - float(box[1]), float(box[4]) - float(box[2])) if box else (595.0, 842.0)
    return blank_pdf(width, height, max(1, len(_PAGE.findall(data))))


def noise_png(width: int, height: int, seed: int = 0) -> bytes:
    """An RGB PNG of uniform random noise."""
    rng = random.Random(seed)
    raw = b"".join(b"\x00" + rng.randbytes(3 * width) for _ in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG or JPEG (64 x 64 when unreadable)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    at = 2
    while at + 9 < len(data) and data[at] == 0xFF:
        marker, length = data[at + 1], struct.unpack(">H", data[at + 2:at + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return width, height
        at += 2 + length
    return 64, 64


def _hollow_image(data: bytes) -> bytes:
    """Noise of the original's size (encoded as PNG, which image readers detect by content)."""
    width, height = _image_size(data)
    return noise_png(max(1, min(width, 8000)), max(1, min(height, 8000)))


def _zero_filled(data: bytes) -> bytes:
    return bytes(len(data))


def _program(text: str) -> Callable[[bytes], bytes]:
    return lambda _data: text.encode()


_TABLE = StandIn("same header and rows, numbers 0, text constant", lambda d: _hollow_table(d, ","))
_TEXT = StandIn("same headings, lorem ipsum", _hollow_text)
_IMAGE = StandIn("noise image of the same size", _hollow_image)
_BINARY = StandIn("zero-filled, same size", _zero_filled)
_EMPTY_PROGRAM = "an empty program"

STAND_INS: dict[str, StandIn] = {
    ".csv": _TABLE,
    ".tsv": StandIn(_TABLE.description, lambda d: _hollow_table(d, "\t")),
    ".json": StandIn("same keys, numbers 0, strings empty", _hollow_json),
    ".pdf": StandIn("blank pages of the same size", _hollow_pdf),
    ".png": _IMAGE, ".jpg": _IMAGE, ".jpeg": _IMAGE,
    ".md": _TEXT, ".txt": _TEXT, ".rst": _TEXT, ".log": _TEXT, ".tex": _TEXT,
    ".py": StandIn(_EMPTY_PROGRAM, _program("pass\n")),
    ".sh": StandIn(_EMPTY_PROGRAM, _program("#!/bin/sh\nexit 0\n")),
    ".r": StandIn(_EMPTY_PROGRAM, _program("invisible(NULL)\n")),
    ".sql": StandIn(_EMPTY_PROGRAM, _program("SELECT 1;\n")),
    ".v": StandIn("an empty module", _program("module stand_in; endmodule\n")),
    ".lp": StandIn("a one-variable model", _program("Minimize\n obj: x\nSubject To\n c1: x >= 0\nEnd\n")),
    ".cir": StandIn("an empty netlist", _program("* stand-in\n.end\n")),
    ".patch": StandIn("an empty patch", _program("")),
    ".xlsx": _BINARY, ".docx": _BINARY, ".pptx": _BINARY, ".zip": _BINARY, ".gz": _BINARY, ".db": _BINARY,
    ".sqlite": _BINARY, ".nc": _BINARY, ".tif": _BINARY, ".gpkg": _BINARY, ".bam": _BINARY, ".wav": _BINARY,
}
GENERIC_STAND_IN = StandIn("an empty file", lambda _data: b"")
DIRECTORY_STAND_IN = "an empty directory"


def stand_in_for(path: Path) -> StandIn:
    """The stand-in for a file by its extension (case-insensitive), else ``GENERIC_STAND_IN``."""
    return STAND_INS.get(path.suffix.lower(), GENERIC_STAND_IN)


def hollow_out(path: Path) -> str | None:
    """Replace the file or directory at ``path`` by its stand-in, in place; what it became, in words.

    Returns None when there is nothing to hollow (the path does not exist, or the stand-in equals the
    original), so the caller can report the ablation as not applicable rather than as a pass.
    """
    if path.is_symlink() or not path.exists():
        return None
    if path.is_dir():
        if not any(path.iterdir()):
            return None
        shutil.rmtree(path)
        path.mkdir()
        return DIRECTORY_STAND_IN
    stand_in = stand_in_for(path)
    original = path.read_bytes()
    hollow = stand_in.make(original)
    if hollow == original:
        return None
    path.write_bytes(hollow)
    return stand_in.description


def ablated_copy(output_dir: Path, deliverable: str, target: Path) -> str | None:
    """Copy ``output_dir`` to ``target`` (which must not exist) with ``deliverable`` hollowed out.

    Returns what the deliverable became (see ``hollow_out``); None leaves no copy behind.
    """
    shutil.copytree(output_dir, target, symlinks=True)
    description = hollow_out(target / deliverable)
    if description is None:
        shutil.rmtree(target)
    return description
