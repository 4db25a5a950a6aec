"""Publishing run directories to shared storage by URL, and reading them back from an object store."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from s3fs import S3FileSystem

from conftest import FIXTURE_TASKS, script
from lastexam.errors import ConfigError
from lastexam.runner.config import ExperimentConfig
from lastexam.runner.experiment import run_experiment
from lastexam.runner.regrade import regrade_experiment
from lastexam.store.artifacts import check_artifacts_url, publish_run_dir, recorded_location
from lastexam.store.db import ResultsStore, default_db_url
from lastexam.store.rundir import locate_run_dir
from raycluster import free_port


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


def test_an_agent_that_leaves_no_output_is_a_failure_in_shared_storage_not_an_infrastructure_error(
        tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    config = ExperimentConfig(name="empty", agents=["nop"], selectors=["other/league_table@0"],
                              results_dir=tmp_path / "results", tasks_dir=FIXTURE_TASKS, artifacts=f"file://{shared}")
    [result] = run_experiment(config).recorded
    assert (result.status, result.passed) == ("failed", False), result.error
    published = Path(result.run_dir)
    assert (published / "output").is_dir() and not any((published / "output").iterdir())
    assert (published / "private").stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("url", ["/shared/runs", "file://shared/runs", "http://host/runs", "s3://"])
def test_an_artifacts_url_that_names_no_storage_is_refused_with_the_fix(url: str) -> None:
    with pytest.raises(ConfigError, match=r"--artifacts.*(file:///|three slashes)"):
        check_artifacts_url(url)


@pytest.mark.slow
def test_run_directories_in_an_object_store_are_regraded_and_viewed_through_a_mirror(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                            "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": f"http://{host}:{port}"}.items():
            monkeypatch.setenv(name, value)
        boto3.client("s3").create_bucket(Bucket="runs")
        results = tmp_path / "results"
        odd_names = script("hostile/output_odd_names.sh")
        config = ExperimentConfig(name="stored", agents=["oracle", "nop", odd_names], selectors=["other/league_table@0"],
                                  results_dir=results, tasks_dir=FIXTURE_TASKS, artifacts="s3://runs/ale")
        recorded = {r.key.agent: r for r in run_experiment(config).recorded}
        assert recorded[odd_names].status == "failed", "file names an object store cannot hold are the agent's failure"
        del recorded[odd_names]
        assert all(r.run_dir.startswith("s3://runs/ale/stored/") for r in recorded.values())
        assert not list(results.rglob("trial.json")), "the run directories went to the object store only"

        store = ResultsStore(default_db_url(results))
        outcome = regrade_experiment(store, "stored", FIXTURE_TASKS, results)
        assert (outcome.total, outcome.changed, outcome.problems) == (3, 0, [])
        rows = {row["agent"]: row for row in store.trial_rows([store.experiment_id("stored")])}
        assert rows["oracle"]["passed"] and not rows["nop"]["passed"]
        assert rows["oracle"]["run_dir"] == recorded["oracle"].run_dir, "the regrade recorded the mirror's path"
        fs = S3FileSystem()
        stored = json.loads(fs.cat(recorded["oracle"].run_dir.removeprefix("s3://") + "/trial.json"))
        assert stored["run_dir"] == recorded["oracle"].run_dir and stored["passed"]

        # What the viewer opens for a trial: the mirror, with the hidden reference private to its owner.
        mirror = locate_run_dir(recorded["oracle"].run_dir, results)
        assert (mirror / "output" / "standings.csv").is_file() and mirror.is_relative_to(results)
        assert (mirror / "private").stat().st_mode & 0o777 == 0o700
        assert (mirror.parent.stat().st_mode & 0o777) == 0o700
        assert not locate_run_dir("s3://runs/ale/never-published/epoch-1", results).exists()
    finally:
        server.stop()
