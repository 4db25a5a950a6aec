"""Sealed task bundles: a private pool of task packages, encrypted to its recipients, signed by its maker.

A bundle (``pool.ale``) is one uncompressed tar file of three members:

- ``manifest.json``: the signer's ed25519 public key, the payload's sha256, whether it is sealed, and
  per task its id, version, canary, ``released`` and ``retire_after`` dates and every file's path and sha256;
- ``manifest.sig``: the signer's ed25519 signature of ``manifest.json`` exactly as stored;
- ``payload.age``: a gzip-compressed tar of the task packages, encrypted with age to every recipient
  (a *public* bundle, of retired tasks, stores the same tar unencrypted as ``payload.tar.gz``).

``retire`` rolls a private pool: the tasks past their ``retire_after`` date move into a public bundle,
the rest are sealed again.

``open_bundle`` runs nothing until all of it holds: the signature by the signer the caller trusts, the
payload's hash, decryption with the caller's identity, and every extracted file's hash. The packages
land in a host cache only the harness's user can read; sandboxes only ever see materialized inputs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

import pyrage
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ValidationError

from lastexam.errors import LastExamError
from lastexam.tasks.loader import Task, discover_tasks

MANIFEST, SIGNATURE, PAYLOAD, PUBLIC_PAYLOAD = "manifest.json", "manifest.sig", "payload.age", "payload.tar.gz"
FORMAT = 1


class BundleError(LastExamError):
    """A bundle that cannot be trusted or opened: nothing from it is used."""


class BundledTask(BaseModel):
    id: str
    version: str
    canary: str
    released: dt.date
    retire_after: dt.date | None
    files: dict[str, str]
    """Path relative to the task directory -> sha256."""


class BundleManifest(BaseModel):
    format: int = FORMAT
    created: str
    signer: str
    """The ed25519 public key (hex) whose signature ``manifest.sig`` must be."""
    payload_sha256: str
    sealed: bool = True
    """False for a public bundle: the payload is not encrypted (retired tasks)."""
    tasks: list[BundledTask]

    @property
    def payload_member(self) -> str:
        return PAYLOAD if self.sealed else PUBLIC_PAYLOAD


class Retirement(BaseModel):
    """What ``retire`` wrote: the manifests of the public and the re-sealed bundle (None when empty)."""

    retired: BundleManifest | None
    kept: BundleManifest | None


class KeyFiles(BaseModel):
    identity: Path
    """The age secret key that opens bundles sealed to ``recipient`` (keep it private)."""
    recipient: str
    signing_key: Path
    """The ed25519 private key that signs bundles (keep it private)."""
    signer: str


def bundle_cache() -> Path:
    """Where opened bundles are kept: ``$ALE_BUNDLE_CACHE``, else ``~/.cache/lastexam/bundles``."""
    if env := os.environ.get("ALE_BUNDLE_CACHE"):
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lastexam" / "bundles"


def new_keys(directory: Path) -> KeyFiles:
    """Write a fresh age identity and ed25519 signing key into ``directory`` (files readable by the owner only)."""
    directory.mkdir(parents=True, exist_ok=True)
    identity = pyrage.x25519.Identity.generate()
    signing = Ed25519PrivateKey.generate()
    files = KeyFiles(identity=directory / "identity.age", recipient=str(identity.to_public()),
                     signing_key=directory / "signing.key", signer=signing.public_key().public_bytes_raw().hex())
    _write_private(files.identity, f"{identity}\n")
    _write_private(files.signing_key, signing.private_bytes_raw().hex() + "\n")
    (directory / "recipient.txt").write_text(files.recipient + "\n")
    (directory / "signer.pub").write_text(files.signer + "\n")
    return files


def pack(tasks: list[Task], recipients: list[str], signing_key: Path, out: Path) -> BundleManifest:
    """Seal ``tasks`` to ``recipients`` (age public keys) and sign the manifest; write the bundle to ``out``.

    Raises:
        BundleError: no task or recipient, a malformed recipient or signing key.
    """
    if not tasks or not recipients:
        raise BundleError("a bundle needs at least one task and one recipient. Fix: --tasks SELECTOR --recipient age1...")
    try:
        keys = [pyrage.x25519.Recipient.from_str(r.strip()) for r in recipients]
    except pyrage.RecipientError as exc:
        raise BundleError(f"a recipient is not an age public key ({exc}). Fix: give the age1... line of recipient.txt") from exc
    archive, bundled = _archive(tasks)
    return _write(out, _signing_key(signing_key), pyrage.encrypt(archive, keys), bundled, sealed=True)


def pack_public(tasks: list[Task], signing_key: Path, out: Path) -> BundleManifest:
    """Write ``tasks`` to ``out`` as a public bundle: signed, not encrypted (for tasks that are retired).

    Raises:
        BundleError: no task, or a malformed signing key.
    """
    if not tasks:
        raise BundleError("a bundle needs at least one task. Fix: --tasks SELECTOR")
    archive, bundled = _archive(tasks)
    return _write(out, _signing_key(signing_key), archive, bundled, sealed=False)


def retire(bundle: Path, identity: Path, signer: str, signing_key: Path, recipients: list[str], *,
           public_out: Path, sealed_out: Path, as_of: dt.date, cache_root: Path) -> Retirement:
    """Roll a private pool: its tasks whose ``retire_after`` date is before ``as_of`` go into a public bundle at
    ``public_out``, the others are sealed again to ``recipients`` at ``sealed_out``. A side with no task is not
    written. The bundle is verified and opened as by ``open_bundle`` first.

    Raises:
        BundleError: as ``open_bundle``, ``pack`` and ``pack_public``.
    """
    root, manifest = open_bundle(bundle, identity, signer, cache_root)
    if not manifest.sealed:
        raise BundleError(f"{bundle} is already public. Fix: give the sealed pool to retire tasks from")
    tasks = discover_tasks(root)
    retired = [t for t in tasks if t.spec.retire_after is not None and t.spec.retire_after < as_of]
    kept = [t for t in tasks if t.id not in {r.id for r in retired}]
    return Retirement(retired=pack_public(retired, signing_key, public_out) if retired else None,
                      kept=pack(kept, recipients, signing_key, sealed_out) if kept else None)


def _archive(tasks: list[Task]) -> tuple[bytes, list[BundledTask]]:
    """The gzip tar of the task packages (a link's target stored under the link's name) and their entries."""
    archive = io.BytesIO()
    bundled = []
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for task in sorted(tasks, key=lambda t: t.id):
            digests = {}
            for relative, path in task.files().items():
                data = path.read_bytes()
                member = tar.gettarinfo(path.resolve(), arcname=f"{task.id}/{relative}")
                tar.addfile(member, io.BytesIO(data))
                digests[relative] = _sha256(data)
            bundled.append(BundledTask(id=task.id, version=task.spec.version, canary=task.spec.canary,
                                       released=task.spec.released, retire_after=task.spec.retire_after,
                                       files=digests))
    return archive.getvalue(), bundled


def _write(out: Path, signer: Ed25519PrivateKey, payload: bytes, tasks: list[BundledTask], *,
           sealed: bool) -> BundleManifest:
    manifest = BundleManifest(created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                              signer=signer.public_key().public_bytes_raw().hex(),
                              payload_sha256=_sha256(payload), sealed=sealed, tasks=tasks)
    manifest_bytes = manifest.model_dump_json(indent=2).encode()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, mode="w") as bundle:
        for name, data in ((MANIFEST, manifest_bytes), (SIGNATURE, signer.sign(manifest_bytes)),
                           (manifest.payload_member, payload)):
            member = tarfile.TarInfo(name)
            member.size = len(data)
            bundle.addfile(member, io.BytesIO(data))
    return manifest


def read_manifest(bundle: Path, signer: str) -> BundleManifest:
    """The bundle's manifest once its signature by ``signer`` (hex ed25519 public key) is verified.

    Raises:
        BundleError: not a bundle, a signature that does not verify, or a manifest signed by someone else.
    """
    members = _members(bundle, MANIFEST, SIGNATURE)
    try:
        trusted = Ed25519PublicKey.from_public_bytes(bytes.fromhex(signer.strip()))
    except ValueError as exc:
        raise BundleError(f"the signer {signer!r} is not an ed25519 public key in hex. Fix: give the line of "
                          "the maker's signer.pub") from exc
    try:
        trusted.verify(members[SIGNATURE], members[MANIFEST])
    except InvalidSignature as exc:
        raise BundleError(f"{bundle}: the manifest's signature does not verify with signer {signer.strip()[:16]}...: "
                          "the bundle was altered or made by someone else; nothing was opened") from exc
    try:
        return BundleManifest.model_validate_json(members[MANIFEST])
    except ValidationError as exc:
        raise BundleError(f"{bundle}: {MANIFEST} is not a bundle manifest ({exc.error_count()} problems)") from exc


def open_bundle(bundle: Path, identity: Path | None, signer: str, cache_root: Path) -> tuple[Path, BundleManifest]:
    """Verify and decrypt ``bundle`` into ``cache_root`` (made readable by this user only); returns the
    directory of task packages to load and the manifest. An opened bundle is reused from the cache.
    A public bundle needs no ``identity``.

    Raises:
        BundleError: any check above failing, or a sealed bundle without an identity; nothing is extracted then.
    """
    manifest = read_manifest(bundle, signer)
    payload = _members(bundle, manifest.payload_member)[manifest.payload_member]
    if _sha256(payload) != manifest.payload_sha256:
        raise BundleError(f"{bundle}: {manifest.payload_member} does not match the signed manifest: the bundle was altered")
    target = cache_root / manifest.payload_sha256
    if (target / ".complete").is_file():
        return target / "tasks", manifest
    archive = _decrypt(bundle, payload, identity) if manifest.sealed else payload
    cache_root.mkdir(parents=True, exist_ok=True)
    os.chmod(cache_root, 0o700)
    staging = Path(tempfile.mkdtemp(dir=cache_root, prefix=".opening-"))
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            tar.extractall(staging / "tasks", filter="data")
        _verify_files(staging / "tasks", manifest)
        (staging / ".complete").touch()
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target / "tasks", manifest


def _decrypt(bundle: Path, payload: bytes, identity: Path | None) -> bytes:
    if identity is None:
        raise BundleError(f"{bundle} is sealed. Fix: give --identity, the identity.age whose recipient it was "
                          "sealed to")
    try:
        key = pyrage.x25519.Identity.from_str(identity.read_text().strip())
    except (OSError, pyrage.IdentityError) as exc:
        raise BundleError(f"{identity}: not an age identity ({exc}). Fix: give the identity.age file "
                          "whose recipient the bundle was sealed to") from exc
    try:
        return pyrage.decrypt(payload, [key])
    except pyrage.DecryptError as exc:
        raise BundleError(f"{bundle}: cannot decrypt with {identity} ({exc}): the bundle is sealed to other "
                          "recipients") from exc


def _verify_files(root: Path, manifest: BundleManifest) -> None:
    expected = {f"{t.id}/{relative}": digest for t in manifest.tasks for relative, digest in t.files.items()}
    found = {p.relative_to(root).as_posix(): _sha256(p.read_bytes()) for p in root.rglob("*") if p.is_file()}
    if found != expected:
        wrong = sorted(set(found) ^ set(expected) | {k for k in found.keys() & expected.keys() if found[k] != expected[k]})
        raise BundleError(f"the decrypted packages differ from the signed manifest in {len(wrong)} file(s), "
                          f"e.g. {wrong[:3]}; nothing was opened")


def _members(bundle: Path, *names: str) -> dict[str, bytes]:
    try:
        with tarfile.open(bundle, mode="r:") as tar:
            members = {}
            for name in names:
                handle = tar.extractfile(name)
                if handle is None:
                    raise KeyError(name)
                members[name] = handle.read()
            return members
    except (OSError, tarfile.TarError, KeyError) as exc:
        raise BundleError(f"{bundle}: not a task bundle ({exc}). Fix: give a file written by `ale pack`") from exc


def _signing_key(path: Path) -> Ed25519PrivateKey:
    try:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(path.read_text().strip()))
    except (OSError, ValueError) as exc:
        raise BundleError(f"{path}: not an ed25519 signing key ({exc}). Fix: give the signing.key of `ale keys new`") from exc


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
