"""The disk quota of a sandbox's writable directories, measured as the disk really holds them.

A watchdog rather than a size-capped filesystem: the output must stay a plain host directory that
collection and graders read. Sizes are allocated blocks (``st_blocks``), so a sparse file counts
what it takes, not what it claims; every entry (file, directory, link, fifo) counts as a file.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DiskUsage:
    """What some directories hold: allocated bytes and entries, counted up to where a limit was passed."""

    bytes: int
    files: int


def disk_usage(roots: list[Path], *, stop_bytes: int | None = None, stop_files: int | None = None) -> DiskUsage:
    """Sum the allocated size and entry count of ``roots`` without following any link.

    Walks iteratively (any depth) and stops early once ``stop_bytes`` or ``stop_files`` is passed,
    so that a directory holding millions of entries costs no more than the limit it breaks.
    Entries that vanish while walking are skipped.
    """
    total, files = 0, 0
    pending = [str(root) for root in roots]
    while pending:
        directory = pending.pop()
        with contextlib.suppress(OSError), os.scandir(directory) as entries:
            for entry in entries:
                files += 1
                with contextlib.suppress(OSError):
                    total += entry.stat(follow_symlinks=False).st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
                if (stop_bytes is not None and total > stop_bytes) or (stop_files is not None and files > stop_files):
                    return DiskUsage(total, files)
    return DiskUsage(total, files)


def over_quota(roots: list[Path], disk_bytes: int, max_files: int) -> str | None:
    """``"disk"`` or ``"files"`` when ``roots`` hold more than the quota allows, else None."""
    usage = disk_usage(roots, stop_bytes=disk_bytes, stop_files=max_files)
    if usage.bytes > disk_bytes:
        return "disk"
    if usage.files > max_files:
        return "files"
    return None
