"""The disk quota of a sandbox's writable directories, measured as the disk really holds them.

A watchdog rather than a size-capped filesystem: the output must stay a plain host directory that
collection and graders read. Sizes are allocated blocks (``st_blocks``), so a sparse file counts
what it takes, not what it claims; every entry (file, directory, link, fifo) counts as a file.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class DiskUsage:
    """What some directories hold: allocated bytes and entries, counted up to where a limit was passed."""

    bytes: int
    files: int
    unreadable: bool = False
    """A directory could not be read: what it holds is unknown, so the quota counts it as broken."""


def disk_usage(roots: list[Path], *, stop_bytes: int | None = None, stop_files: int | None = None) -> DiskUsage:
    """Sum the allocated size and entry count of ``roots`` without following any link.

    Walks by directory file descriptors, iteratively (holding one descriptor per level of the current
    path), so no depth of nesting and no path length hides a subtree; stops early once ``stop_bytes``
    or ``stop_files`` is passed, so that a directory holding millions of entries costs no more than
    the limit it breaks. Entries that vanish while walking are skipped; a directory that cannot be
    read makes the usage ``unreadable``.
    """
    total, files, unreadable = 0, 0, False
    for root in roots:
        try:
            stack = [(os.open(root, _DIR_FLAGS), iter(()))]
        except FileNotFoundError:
            continue
        except OSError:
            unreadable = True
            continue
        stack[-1] = (stack[-1][0], iter(_listing(stack[-1][0])))
        try:
            while stack:
                fd, names = stack[-1]
                name = next(names, None)
                if name is None:
                    os.close(fd)
                    stack.pop()
                    continue
                files += 1
                try:
                    info = os.stat(name, dir_fd=fd, follow_symlinks=False)
                except FileNotFoundError:
                    continue
                total += info.st_blocks * 512
                if (stop_bytes is not None and total > stop_bytes) or (stop_files is not None and files > stop_files):
                    return DiskUsage(total, files, unreadable)
                if stat.S_ISDIR(info.st_mode):
                    try:
                        child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                    except FileNotFoundError:
                        continue
                    except OSError:
                        unreadable = True
                        continue
                    stack.append((child, iter(_listing(child))))
        except OSError:
            unreadable = True
        finally:
            for fd, _ in stack:
                os.close(fd)
    return DiskUsage(total, files, unreadable)


def _listing(fd: int) -> list[str]:
    with os.scandir(fd) as entries:
        return [entry.name for entry in entries]


def unlinked_bytes(pids: Iterable[int]) -> int:
    """Allocated bytes of the deleted files that ``pids`` still hold open: space no directory walk sees,
    since a file unlinked while open keeps its blocks until its last descriptor closes."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if not os.readlink(f"/proc/{pid}/fd/{fd}").endswith(" (deleted)"):
                        continue
                    info = os.stat(f"/proc/{pid}/fd/{fd}")
                    if stat.S_ISREG(info.st_mode) and (info.st_dev, info.st_ino) not in seen:
                        seen.add((info.st_dev, info.st_ino))
                        total += info.st_blocks * 512
    return total


def over_quota(roots: list[Path], disk_bytes: int, max_files: int, *, pids: Iterable[int] = ()) -> str | None:
    """``"disk"`` or ``"files"`` when ``roots`` (and the deleted files ``pids`` hold open) take more than the
    quota allows, else None."""
    usage = disk_usage(roots, stop_bytes=disk_bytes, stop_files=max_files)
    if usage.bytes + unlinked_bytes(pids) > disk_bytes or usage.unreadable:
        return "disk"
    if usage.files > max_files:
        return "files"
    return None
