"""A minimal DICOM Part 10 writer (explicit VR little endian) for the generated PACS export.

It is written here, not taken from pydicom, so that the task's inputs do not depend on the tool the
agent uses to read them. An element is ``(tag, vr, value)``: text for string VRs (multiple values
joined by a backslash), an int or a list of ints for US/UL, bytes for OB/OW, and for SQ a list of
items, each itself a list of elements.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

Element = tuple[int, str, Any]
EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
IMPLEMENTATION_CLASS_UID = "1.3.6.1.4.1.58231.1.1.3"
_LONG_LENGTH_VRS = {"OB", "OW", "OF", "OD", "OL", "SQ", "UT", "UN", "UC", "UR"}


def _value_bytes(vr: str, value: Any) -> bytes:
    if vr == "SQ":
        items = (_encode(item) for item in value)
        return b"".join(struct.pack("<HHI", 0xFFFE, 0xE000, len(body)) + body for body in items)
    if vr in ("OB", "OW"):
        data = bytes(value)
        return data + b"\0" * (len(data) % 2)
    if vr in ("US", "UL"):
        values = value if isinstance(value, list) else [value]
        return b"".join(struct.pack("<H" if vr == "US" else "<I", v) for v in values)
    data = str(value).encode("latin-1")
    return data + (b"\0" if vr == "UI" else b" ") * (len(data) % 2)


def _encode(elements: list[Element]) -> bytes:
    out = bytearray()
    for tag, vr, value in sorted(elements, key=lambda element: element[0]):
        body = _value_bytes(vr, value)
        out += struct.pack("<HH", tag >> 16, tag & 0xFFFF) + vr.encode("ascii")
        out += struct.pack("<HI", 0, len(body)) if vr in _LONG_LENGTH_VRS else struct.pack("<H", len(body))
        out += body
    return bytes(out)


def write_dicom(path: Path, elements: list[Element]) -> None:
    """Write a Part 10 file: preamble, file meta group (group length computed), then the data set."""
    by_tag = {tag: value for tag, _, value in elements}
    meta = _encode([
        (0x00020001, "OB", b"\x00\x01"),
        (0x00020002, "UI", by_tag[0x00080016]),
        (0x00020003, "UI", by_tag[0x00080018]),
        (0x00020010, "UI", EXPLICIT_VR_LITTLE_ENDIAN),
        (0x00020012, "UI", IMPLEMENTATION_CLASS_UID),
        (0x00020013, "SH", "NGPACS_EXPORT_4"),
    ])
    group_length = _encode([(0x00020000, "UL", len(meta))])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * 128 + b"DICM" + group_length + meta + _encode(elements))
