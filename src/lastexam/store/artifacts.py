"""Shared storage for run directories, named by a URL (``file:///shared/runs`` or ``s3://bucket/prefix``).

A worker runs a trial into a local directory and publishes it here when it ends; ``trial.json`` is written
last, so a run directory in storage that holds ``trial.json`` is complete. A ``file://`` run directory is
read where it is; one in an object store is read through a local mirror (``mirror_run_dir``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

from lastexam.errors import ConfigError

SCHEMES = ("file", "s3")


def check_artifacts_url(url: str) -> str:
    """``url`` without a trailing slash, checked to name a storage this module can write.

    Raises:
        ConfigError: not a ``file://`` or ``s3://`` URL, or a ``file://`` URL whose path is relative.
    """
    parsed = urlparse(url)
    if parsed.scheme not in SCHEMES or not (parsed.netloc or parsed.path.strip("/")):
        raise ConfigError(None, "--artifacts", f"{url!r} is not a storage URL",
                          "give file:///absolute/shared/path or s3://bucket/prefix")
    if parsed.scheme == "file" and (parsed.netloc or not parsed.path.startswith("/")):
        raise ConfigError(None, "--artifacts", f"{url!r} does not name an absolute path",
                          "write three slashes: file:///absolute/shared/path")
    return url.rstrip("/")


def recorded_location(url: str) -> str:
    """What results record as a published run directory's place: the path of a ``file://`` URL (readers open
    it like any run directory), the URL itself otherwise."""
    return urlparse(url).path if url.startswith("file://") else url


def publish_run_dir(local: Path, url: str) -> None:
    """Copy the run directory ``local`` to ``url``, replacing what an earlier attempt left there; its
    ``trial.json`` goes last. Links are not copied. On a ``file://`` storage directories keep their modes (an
    object store has none: its access is the bucket's policy).

    Raises:
        OSError: the storage refused a write (the caller treats it as an infrastructure failure).
    """
    from fsspec.core import url_to_fs  # the local executor without --artifacts never needs it

    fs, root = url_to_fs(url)
    if fs.exists(root):
        fs.rm(root, recursive=True)
    directories = sorted(p for p in local.rglob("*") if p.is_dir() and not p.is_symlink())
    for directory in directories:  # an empty output/ too: readers expect it (an object store keeps none)
        fs.makedirs(f"{root}/{directory.relative_to(local).as_posix()}", exist_ok=True)
    files = sorted(p for p in local.rglob("*") if p.is_file() and not p.is_symlink())
    files.sort(key=lambda p: p.relative_to(local).as_posix() == "trial.json")
    for path in files:
        target = f"{root}/{path.relative_to(local).as_posix()}"
        fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        fs.put_file(str(path), target)
    if url.startswith("file://"):  # directories keep their modes: private/ (input and reference) stays 0700
        for directory in directories:
            Path(root, directory.relative_to(local)).chmod(directory.stat().st_mode & 0o777)


def in_object_store(location: str) -> bool:
    """Whether a recorded run directory ``location`` is a URL of an object store (read through a mirror)."""
    return urlparse(location).scheme in SCHEMES and not location.startswith("file://")


def mirror_run_dir(url: str, cache: Path) -> Path:
    """A local copy of the published run directory at ``url``, under ``cache`` (kept 0700: a run directory
    holds the hidden reference). The copy is reused while its ``trial.json`` is the stored one, and fetched
    again otherwise.

    Raises:
        OSError: the storage holds no ``trial.json`` there (no complete run directory) or refused a read; the
            storage library's own errors (a connection refused) pass through.
    """
    from fsspec.core import url_to_fs

    fs, root = url_to_fs(url)
    stored = fs.cat_file(f"{root}/trial.json")
    cache.mkdir(parents=True, exist_ok=True)
    cache.chmod(0o700)
    local = cache / hashlib.sha256(url.encode()).hexdigest()[:24]
    if (local / "trial.json").is_file() and (local / "trial.json").read_bytes() == stored:
        return local
    partial = local.with_name(local.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    for remote in fs.find(root):
        target = partial / remote[len(root):].lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        fs.get_file(remote, str(target))
    for directory in ("output", "logs", "private"):  # an object store keeps no empty directory
        (partial / directory).mkdir(exist_ok=True)
    (partial / "private").chmod(0o700)
    shutil.rmtree(local, ignore_errors=True)
    os.replace(partial, local)
    return local


def publish_files(local: Path, url: str, names: list[str]) -> None:
    """Write the files ``names`` of the run directory ``local`` back to its published place ``url``, in order
    (give ``trial.json`` last). Raises OSError when the storage refuses a write."""
    from fsspec.core import url_to_fs

    fs, root = url_to_fs(url)
    for name in names:
        fs.put_file(str(local / name), f"{root}/{name}")
