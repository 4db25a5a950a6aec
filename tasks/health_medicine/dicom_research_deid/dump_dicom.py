"""Dump every DICOM file under the given folders to dump.json with pydicom (run by the grader in a tool sandbox).

For each file (path relative to the working directory): the file meta (tag -> value), the data set as a
list of elements {tag, vr, value}, values as text (multiple values joined by a backslash), sequences as
lists of items, binary values as their SHA-256, and the pixel data's SHA-256; or the reading error.
"""

import hashlib
import json
import sys
from pathlib import Path

import pydicom


def value_of(element):
    if element.VR == "SQ":
        return [elements_of(item) for item in element.value]
    value = element.value
    if value is None or value == "" or value == b"":
        return ""
    if isinstance(value, bytes):
        return "sha256:" + hashlib.sha256(value).hexdigest()
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return "\\".join(str(v) for v in value)
    return str(value)


def elements_of(dataset):
    return [{"tag": f"{element.tag:08X}", "vr": element.VR, "value": value_of(element)} for element in dataset]


def dump(path):
    try:
        dataset = pydicom.dcmread(str(path), force=False)
        meta = {f"{e.tag:08X}": value_of(e) for e in dataset.file_meta} if hasattr(dataset, "file_meta") else {}
        pixels = dataset.get((0x7FE0, 0x0010))
        return {"meta": meta, "elements": elements_of(dataset),
                "pixel_sha256": hashlib.sha256(pixels.value).hexdigest() if pixels is not None else None}
    except Exception as error:  # any unreadable file is reported, never fatal
        return {"error": f"{type(error).__name__}: {error}"[:300]}


if __name__ == "__main__":
    result = {}
    for folder in sys.argv[1:]:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                result[str(path)] = dump(path)
    Path("dump.json").write_text(json.dumps(result))
