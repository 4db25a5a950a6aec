"""The two PhysioNet WFDB formats this task touches, written and read without the wfdb package.

``write_record`` writes a header (.hea) and a format-212 signal file (.dat), the MIT-BIH layout:
each frame of two 12-bit samples packed into three bytes. ``read_annotations`` parses an MIT-format
annotation file (.atr) as written by ``wfdb.wrann`` or the WFDB C library, and raises ValueError on
anything that is not one, so that the grader can turn a bad file into a failed check.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# MIT annotation codes of beats (ecgcodes.h): N L R a V F J A S E j / Q e n f B r
BEAT_CODES = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 25, 30, 34, 35, 38}
VENTRICULAR_CODES = {5, 10}  # V, E (the EC57 "V" class)
CODE_OF = {"N": 1, "V": 5}
_SKIP, _NUM, _SUB, _CHN, _AUX = 59, 60, 61, 62, 63


def _pack_212(digital: np.ndarray) -> bytes:
    """Two signals (rows) of 12-bit two's complement samples -> format 212 bytes."""
    a = digital[0].astype(np.int32) & 0xFFF
    b = digital[1].astype(np.int32) & 0xFFF
    out = np.empty((a.size, 3), dtype=np.uint8)
    out[:, 0] = a & 0xFF
    out[:, 1] = ((b >> 8) << 4) | (a >> 8)
    out[:, 2] = b & 0xFF
    return out.tobytes()


def write_record(directory: Path, name: str, digital: np.ndarray, fs: int, gain: float, sig_names: list[str],
                 base_time: str, base_date: str, comments: list[str]) -> None:
    """Write ``name.hea`` and ``name.dat`` (format 212, two signals) into ``directory``."""
    n = digital.shape[1]
    lines = [f"{name} 2 {fs} {n} {base_time} {base_date}"]
    for i, label in enumerate(sig_names):
        checksum = int(digital[i].astype(np.int64).sum()) % 65536
        checksum = checksum - 65536 if checksum >= 32768 else checksum
        lines.append(f"{name}.dat 212 {gain:g}(0)/mV 12 0 {int(digital[i, 0])} {checksum} 0 {label}")
    lines += [f"# {c}" for c in comments]
    (Path(directory) / f"{name}.hea").write_text("\n".join(lines) + "\n", encoding="ascii")
    (Path(directory) / f"{name}.dat").write_bytes(_pack_212(digital))


def read_annotations(path: Path, max_annotations: int = 200_000) -> list[tuple[int, int]]:
    """(sample, code) of every annotation of an MIT-format file, in file order.

    Raises ValueError when the bytes are not an MIT annotation file (odd length, a SKIP or AUX running
    past the end, no end marker, decreasing times, too many annotations).
    """
    if Path(path).stat().st_size > 4 * max_annotations:
        raise ValueError("implausibly large for a beat annotation file")
    data = Path(path).read_bytes()
    if len(data) % 2:
        raise ValueError("odd number of bytes: not an MIT annotation file")
    words = np.frombuffer(data, dtype="<u2")
    out: list[tuple[int, int]] = []
    sample, i, ended = 0, 0, False
    while i < words.size:
        word = int(words[i])
        code, interval = word >> 10, word & 0x3FF
        i += 1
        if word == 0:
            ended = True
            break
        if code == _SKIP:
            if i + 2 > words.size:
                raise ValueError("SKIP runs past the end of the file")
            skip = (int(words[i]) << 16) | int(words[i + 1])
            if skip >= 2**31:
                skip -= 2**32
            sample += skip
            i += 2
        elif code == _AUX:
            i += (interval + 1) // 2
            if i > words.size:
                raise ValueError("AUX string runs past the end of the file")
        elif code in (_NUM, _SUB, _CHN):
            continue
        else:
            sample += interval
            if sample < 0:
                raise ValueError("annotation before the start of the record")
            out.append((sample, code))
            if len(out) > max_annotations:
                raise ValueError("implausibly many annotations")
    if not ended:
        raise ValueError("no end-of-file marker")
    return out
