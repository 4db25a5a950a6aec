"""Collect an agent's output from its sandbox workspace without letting it reach anything else.

The walk is iterative and opens every entry relative to its parent directory's descriptor with
``O_NOFOLLOW``, so no link (and no link swapped in for a checked entry) is ever followed. Only
regular files and directories whose names an object store can hold (UTF-8, no control characters)
are copied; links, fifos, sockets, devices and other names are refused and listed. Depth, path
length, entry count and total size are capped while walking; whatever is past a cap is refused and
listed, never raised, so any output an agent can make is the agent's refused output and not a
harness failure.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

MAX_LISTED = 50
_CHUNK = 1 << 20
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


@dataclass(frozen=True)
class CollectLimits:
    """Caps on what is copied out of one sandbox."""

    max_bytes: int
    max_entries: int = 20_000
    max_depth: int = 32
    max_path_bytes: int = 1024


@dataclass
class Collected:
    """What was copied, and what was refused and why (the first ``MAX_LISTED`` refusals are listed)."""

    files: int = 0
    bytes: int = 0
    refused_count: int = 0
    refused: list[str] = field(default_factory=list)
    over_limit: bool = False

    def refuse(self, relative: str, why: str, *, limit: bool = False) -> None:
        self.refused_count += 1
        self.over_limit = self.over_limit or limit
        if len(self.refused) < MAX_LISTED:
            self.refused.append(f"{relative}: {why}")

    def summary(self) -> str:
        """The first refusals in one line, with how many more there were (for a check's reason)."""
        more = self.refused_count - 5
        return "; ".join(self.refused[:5]) + (f"; and {more} more" if more > 0 else "")


def collect_output(source: Path, target: Path, limits: CollectLimits) -> Collected:
    """Copy the regular files and directories under ``source`` into the new directory ``target``.

    Never raises for anything found under ``source``; an unreadable ``source`` itself collects nothing.
    """
    report = Collected()
    target.mkdir(parents=True, exist_ok=True)
    try:
        root = os.open(source, _DIR_FLAGS)
    except OSError as exc:
        report.refuse(".", f"output directory unreadable ({exc.strerror})")
        return report
    entries = 0
    # Each frame: (source dir fd, target dir path, relative path, depth, names still to visit).
    stack = [(root, target, "", 0, _names(root))]
    try:
        while stack:
            fd, into, relative_dir, depth, names = stack[-1]
            if not names:
                os.close(fd)
                stack.pop()
                continue
            name = names.pop()
            relative = f"{relative_dir}{os.fsdecode(name)}"
            entries += 1
            if entries > limits.max_entries:
                report.refuse(relative, f"past the {limits.max_entries} entry limit", limit=True)
                continue
            # In bytes: the kernel's path limit is bytes, and one character can take four.
            if len(os.fsencode(relative)) > limits.max_path_bytes:
                report.refuse(relative[:80] + "...", f"path longer than {limits.max_path_bytes} bytes",
                              limit=True)
                continue
            if unstorable := _unstorable(name):  # no deliverable is named so
                report.refuse(relative, unstorable)
                continue
            try:
                info = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except OSError as exc:
                report.refuse(relative, f"unreadable ({exc.strerror})")
                continue
            if stat.S_ISDIR(info.st_mode):
                if depth + 1 > limits.max_depth:
                    report.refuse(relative, f"nested deeper than {limits.max_depth} levels", limit=True)
                    continue
                child = _open_dir(name, fd)
                if child is None:
                    report.refuse(relative, "directory could not be opened without following a link")
                    continue
                try:
                    (into / os.fsdecode(name)).mkdir()
                except OSError as exc:
                    os.close(child)
                    report.refuse(relative, f"could not be copied ({exc.strerror})")
                    continue
                stack.append((child, into / os.fsdecode(name), relative + "/", depth + 1, _names(child)))
            elif stat.S_ISREG(info.st_mode):
                if report.bytes + info.st_size > limits.max_bytes:
                    report.refuse(relative, f"over the {limits.max_bytes} byte output limit", limit=True)
                    continue
                copied = _copy_file(name, fd, into / os.fsdecode(name), info.st_size, executable=bool(info.st_mode & 0o111))
                if copied is None:
                    report.refuse(relative, "changed or unreadable while being copied")
                    continue
                report.files += 1
                report.bytes += copied
            else:
                report.refuse(relative, f"{_kind(info.st_mode)} refused (only regular files and directories)")
    finally:
        for fd, *_ in stack:
            os.close(fd)
    return report


def _unstorable(name: bytes) -> str:
    """Why an object store could not hold a file of this name ("" when it could)."""
    try:
        name.decode()
    except UnicodeDecodeError:
        return "name is not UTF-8"
    if any(byte < 0x20 or byte == 0x7F for byte in name):
        return "name holds a control character"
    return ""


def _names(fd: int) -> list[bytes]:
    """The entries of an open directory, in reverse order so that ``pop`` visits them sorted."""
    try:
        return sorted((os.fsencode(entry.name) for entry in os.scandir(fd)), reverse=True)
    except OSError:
        return []


def _open_dir(name: bytes, parent: int) -> int | None:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent)
    except OSError:
        return None


def _copy_file(name: bytes, parent: int, target: Path, size: int, *, executable: bool) -> int | None:
    """Copy at most ``size`` bytes of a regular file opened without following links; None when it cannot be."""
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=parent)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        copied = 0
        with open(target, "xb") as out:
            while copied < size and (chunk := os.read(fd, min(_CHUNK, size - copied))):
                out.write(chunk)
                copied += len(chunk)
        target.chmod(0o755 if executable else 0o644)
        return copied
    except OSError:
        return None
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"
