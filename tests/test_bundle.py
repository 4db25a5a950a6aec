"""Sealed bundles: a round trip; an altered file, a wrong key and a foreign signature each refused before
anything is opened; and an agent run from a bundle finds nothing of it, its key or its cache."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tarfile
import uuid
from pathlib import Path

import pytest

from conftest import FIXTURE_TASKS, REPO
from lastexam.errors import ConfigError
from lastexam.tasks.bundle import BundleError, new_keys, open_bundle, pack, read_manifest, retire
from lastexam.tasks.loader import discover_tasks

ALE = str(REPO / ".venv" / "bin" / "ale")


@pytest.fixture
def sealed(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A copy of the fixture tasks with a secret marker in the grader, sealed to a fresh key."""
    marker = f"GRADER-SECRET-{uuid.uuid4().hex}"
    shutil.copytree(FIXTURE_TASKS, tmp_path / "tasks")
    with open(tmp_path / "tasks" / "other" / "league_table" / "task.py", "a") as grader:
        grader.write(f"\n# {marker}\n")
    keys = new_keys(tmp_path / "keys")
    bundle = tmp_path / "pool.ale"
    pack(discover_tasks(tmp_path / "tasks"), [keys.recipient], keys.signing_key, bundle)
    return bundle, keys, marker


def _replace_member(bundle: Path, name: str, change) -> None:  # type: ignore[no-untyped-def]
    with tarfile.open(bundle) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    members[name] = change(members[name])
    with tarfile.open(bundle, "w") as tar:
        for member_name, data in members.items():
            info = tarfile.TarInfo(member_name)
            info.size = len(data)
            tar.addfile(info, __import__("io").BytesIO(data))


def test_a_bundle_opens_to_the_same_packages(sealed, tmp_path: Path) -> None:
    bundle, keys, marker = sealed
    tasks_dir, manifest = open_bundle(bundle, keys.identity, keys.signer, tmp_path / "cache")
    assert [t.id for t in manifest.tasks] == ["other/league_table"] and manifest.signer == keys.signer
    assert marker in (tasks_dir / "other" / "league_table" / "task.py").read_text()
    assert (tmp_path / "cache").stat().st_mode & 0o077 == 0, "the cache is the harness user's alone"
    assert [t.id for t in discover_tasks(tasks_dir)] == ["other/league_table"]
    assert marker.encode() not in bundle.read_bytes(), "the packages are sealed"


@pytest.mark.parametrize("attack", ["payload", "manifest", "identity", "signer"])
def test_an_altered_bundle_a_wrong_key_or_a_foreign_signer_opens_nothing(sealed, tmp_path: Path, attack) -> None:
    bundle, keys, _ = sealed
    identity, signer = keys.identity, keys.signer
    if attack == "payload":
        _replace_member(bundle, "payload.age", lambda data: data[:-1] + bytes([data[-1] ^ 1]))
    elif attack == "manifest":
        _replace_member(bundle, "manifest.json", lambda data: data.replace(b'"version": "', b'"version": "9'))
    elif attack == "identity":
        identity = new_keys(tmp_path / "other").identity
    else:
        signer = new_keys(tmp_path / "other").signer
    message = {"payload": "does not match the signed manifest", "manifest": "signature does not verify",
               "identity": "sealed to other recipients", "signer": "signature does not verify"}[attack]
    with pytest.raises(BundleError, match=message):
        open_bundle(bundle, identity, signer, tmp_path / "cache")
    assert not any((tmp_path / "cache").glob("*/tasks")) if (tmp_path / "cache").exists() else True


@pytest.mark.slow
def test_an_agent_run_from_a_bundle_finds_nothing_of_it(sealed, tmp_path: Path) -> None:
    bundle, keys, marker = sealed
    secret = keys.identity.read_text().strip()
    payload_hash = read_manifest(bundle, keys.signer).payload_sha256
    halves = [(n[: len(n) // 2], n[len(n) // 2:]) for n in (marker, secret, payload_hash)]
    snooper = tmp_path / "snooper.sh"
    snooper.write_text("#!/bin/bash\n" + "".join(
        f"grep -rlsF --exclude-dir=proc --exclude-dir=sys --exclude-dir=usr --exclude-dir=dev "
        f"-e \"{a}\"\"{b}\" / >> \"$ALE_OUTPUT_DIR/found.txt\"\n" for a, b in halves) + "echo done >> \"$ALE_OUTPUT_DIR/found.txt\"\n")
    snooper.chmod(0o755)
    results = tmp_path / "results"
    done = subprocess.run([ALE, "run", "--agent", f"script:{snooper}", "--tasks", str(bundle), "--identity",
                           str(keys.identity), "--signer", str(keys.identity.parent / "signer.pub"), "--results-dir",
                           str(results), "--name", "sealed"], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "ALE_BUNDLE_CACHE": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    found = sorted(results.glob("runs/**/output/found.txt"))
    assert len(found) == 3, "one per variant of the sealed task"
    assert all(f.read_text() == "done\n" for f in found), [f.read_text() for f in found]
    assert any((tmp_path / "cache").glob("*/tasks/other/league_table/task.py")), "the bundle was opened on the host"


def test_retiring_moves_tasks_past_their_date_into_a_signed_public_bundle(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE_TASKS / "other", tmp_path / "tasks" / "other")
    old = tmp_path / "tasks" / "other" / "league_table"
    young = tmp_path / "tasks" / "other" / "young_table"
    shutil.copytree(old, young)
    for path, task_id, retire_after in ((old, "other/league_table", "2026-12-01"),
                                        (young, "other/young_table", "2027-06-01")):
        spec = path / "task.toml"
        text = spec.read_text().replace('id = "other/league_table"', f'id = "{task_id}"')
        spec.write_text(text.replace("released = ", f"retire_after = {retire_after}\nreleased = ", 1))
    (old / "adversaries").mkdir(exist_ok=True)
    (old / "adversaries" / "_shortcut.sh").write_text("#!/bin/bash\necho shortcut\n")
    (old / "adversaries" / "skip_stage.sh").symlink_to("_shortcut.sh")
    keys = new_keys(tmp_path / "keys")
    pool = tmp_path / "pool.ale"
    pack(discover_tasks(tmp_path / "tasks"), [keys.recipient], keys.signing_key, pool)
    rolled = retire(pool, keys.identity, keys.signer, keys.signing_key, [keys.recipient],
                    public_out=tmp_path / "public.ale", sealed_out=tmp_path / "pool-next.ale",
                    as_of=dt.date(2026, 12, 3), cache_root=tmp_path / "cache")
    assert [t.id for t in rolled.retired.tasks] == ["other/league_table"]
    assert [t.id for t in rolled.kept.tasks] == ["other/young_table"]
    with tarfile.open(tmp_path / "public.ale") as tar:
        assert sorted(tar.getnames()) == ["manifest.json", "manifest.sig", "payload.tar.gz"]
    # anyone can open the public bundle with the signer alone; a changed byte is still refused
    root, manifest = open_bundle(tmp_path / "public.ale", None, keys.signer, tmp_path / "public-cache")
    assert not manifest.sealed and (root / "other" / "league_table" / "task.py").is_file()
    linked = root / "other" / "league_table" / "adversaries" / "skip_stage.sh"
    assert linked.read_text() == "#!/bin/bash\necho shortcut\n" and not linked.is_symlink()
    _replace_member(tmp_path / "public.ale", "payload.tar.gz", lambda data: data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(BundleError, match="does not match the signed manifest"):
        open_bundle(tmp_path / "public.ale", None, keys.signer, tmp_path / "other-cache")
    with pytest.raises(BundleError, match="is sealed"):
        open_bundle(tmp_path / "pool-next.ale", None, keys.signer, tmp_path / "sealed-cache")


def test_a_link_out_of_a_task_package_is_refused_when_packing(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE_TASKS / "other", tmp_path / "tasks" / "other")
    (tmp_path / "secret.txt").write_text("outside\n")
    (tmp_path / "tasks" / "other" / "league_table" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    keys = new_keys(tmp_path / "keys")
    with pytest.raises(ConfigError, match="leads out of the task package"):
        pack(discover_tasks(tmp_path / "tasks"), [keys.recipient], keys.signing_key, tmp_path / "pool.ale")


def test_pack_retire_from_the_command_line(sealed, tmp_path: Path) -> None:
    bundle, keys, _ = sealed
    keys_dir = keys.identity.parent
    common = ["--signing-key", str(keys.signing_key), "--recipient", str(keys_dir / "recipient.txt")]
    rolled = subprocess.run([ALE, "pack", "--retire", str(bundle), "--identity", str(keys.identity), "--signer",
                             str(keys_dir / "signer.pub"), "--public-out", str(tmp_path / "public.ale"), "--out",
                             str(tmp_path / "next.ale"), "--as-of", "2026-12-03", *common],
                            capture_output=True, text=True, env={"ALE_BUNDLE_CACHE": str(tmp_path / "cache"),
                                                                 "PATH": "/usr/bin:/bin"})
    assert rolled.returncode == 0, rolled.stderr
    said = " ".join(rolled.stderr.split())
    assert "0 task(s) retired into public bundle" in said and "1 task(s) kept sealed" in said
    assert not (tmp_path / "public.ale").exists() and (tmp_path / "next.ale").is_file()
    bad = subprocess.run([ALE, "pack", "--retire", str(bundle), "--out", str(tmp_path / "x.ale"), *common],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "--public-out" in bad.stderr
