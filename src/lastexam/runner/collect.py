"""Collect an agent's output from its sandbox workspace, refusing what could hurt the host."""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Collected:
    """What was copied, and what was refused and why."""

    files: int = 0
    bytes: int = 0
    refused: list[str] = field(default_factory=list)
    over_size: bool = False


def collect_output(source: Path, target: Path, *, max_bytes: int) -> Collected:
    """Copy ``source`` to ``target`` without following links.

    Keeps regular files and directories, and relative symlinks that stay inside the tree;
    refuses links that leave it, special files (fifos, sockets, devices), and everything past
    ``max_bytes`` in total.
    """
    report = Collected()
    target.mkdir(parents=True, exist_ok=True)
    for directory, dirnames, filenames in os.walk(source):
        relative_dir = Path(directory).relative_to(source)
        for name in sorted(dirnames) + sorted(filenames):
            path = Path(directory) / name
            relative = relative_dir / name
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                link = os.readlink(path)
                inside = os.path.normpath(relative_dir / link)
                if os.path.isabs(link) or inside == ".." or inside.startswith("../"):
                    report.refused.append(f"{relative}: symlink leaving the output ({link})")
                else:
                    os.symlink(link, target / relative)
                if name in dirnames:
                    dirnames.remove(name)
            elif stat.S_ISDIR(info.st_mode):
                (target / relative).mkdir(exist_ok=True)
            elif stat.S_ISREG(info.st_mode):
                if report.bytes + info.st_size > max_bytes:
                    report.over_size = True
                    report.refused.append(f"{relative}: over the {max_bytes} byte output limit")
                    continue
                shutil.copyfile(path, target / relative, follow_symlinks=False)
                report.files += 1
                report.bytes += info.st_size
            else:
                report.refused.append(f"{relative}: special file refused")
    return report
