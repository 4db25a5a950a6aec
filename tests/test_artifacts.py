"""Publishing run directories to shared storage by URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from lastexam.errors import ConfigError
from lastexam.store.artifacts import check_artifacts_url, publish_run_dir, recorded_location


def test_a_published_run_directory_replaces_an_earlier_attempts_and_is_recorded_by_path(tmp_path: Path) -> None:
    local = tmp_path / "local"
    (local / "output").mkdir(parents=True)
    (local / "output" / "result.csv").write_text("a,b\n")
    (local / "private" / "reference").mkdir(parents=True)
    (local / "private" / "reference" / "answer.json").write_text("{}")
    (local / "private").chmod(0o700)
    (local / "trial.json").write_text("{}")
    url = f"file://{tmp_path / 'shared' / 'exp' / 'oracle' / 'epoch-1'}"
    stale = Path(recorded_location(url))
    (stale / "output").mkdir(parents=True)
    (stale / "output" / "left-by-attempt-1.txt").write_text("old")
    publish_run_dir(local, url)
    published = {p.relative_to(stale).as_posix() for p in stale.rglob("*") if p.is_file()}
    assert published == {"output/result.csv", "private/reference/answer.json", "trial.json"}
    assert (stale / "private").stat().st_mode & 0o777 == 0o700, "the hidden reference became readable by all"
    assert recorded_location("s3://bucket/runs/x") == "s3://bucket/runs/x"


@pytest.mark.parametrize("url", ["/shared/runs", "file://shared/runs", "http://host/runs", "s3://"])
def test_an_artifacts_url_that_names_no_storage_is_refused_with_the_fix(url: str) -> None:
    with pytest.raises(ConfigError, match=r"--artifacts.*(file:///|three slashes)"):
        check_artifacts_url(url)
