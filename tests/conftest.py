"""Shared fixtures: the harness fixture tasks and a helper that runs real trials in real sandboxes."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from lastexam.contracts.trial import TrialResult
from lastexam.runner.config import ExperimentConfig
from lastexam.runner.experiment import run_experiment
from lastexam.store.db import ResultsStore

if TYPE_CHECKING:
    from modelserver import ModelServer

TESTS = Path(__file__).parent
FIXTURE_TASKS = TESTS / "fixtures" / "tasks"
# Tasks whose graders probe the grading jail; kept apart so FIXTURE_TASKS stays one task.
HOSTILE_TASKS = TESTS / "fixtures" / "hostile_tasks"
AGENTS = TESTS / "agents"
REPO = TESTS.parent
KEY_ENV = "ALE_TEST_MODEL_KEY"


def rotation() -> int:
    """This CI run's turn: the ISO week, or ``ALE_GATE_ROTATION``."""
    return int(os.environ.get("ALE_GATE_ROTATION", dt.date.today().isocalendar().week))


def rotated(index: int, count: int, size: int, turn: int | None = None) -> list[int]:
    """``size`` of ``count`` positions (all when fewer) for the item at ``index``: they differ between neighbouring
    items and move on with each turn (``rotation()`` unless given), so successive turns visit every position."""
    start = (rotation() if turn is None else turn) + index * size
    return sorted({(start + k) % count for k in range(min(size, count))})


@pytest.fixture
def run_agent(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run one agent on fixture instances; returns the recorded TrialResults."""

    def run(agent: str, selector: str = "other/league_table@0", **settings: object) -> list[TrialResult]:
        config = ExperimentConfig(
            name=settings.pop("name", "t"), agents=[agent], selectors=[selector], results_dir=tmp_path / "results",
            tasks_dir=settings.pop("tasks_dir", FIXTURE_TASKS), jobs=int(settings.pop("jobs", 2)), **settings,  # type: ignore[arg-type]
        )
        return run_experiment(config).recorded

    return run


@pytest.fixture
def agent_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Write an llm agent config that talks to ``server``; returns its path as an --agent value."""
    monkeypatch.setenv(KEY_ENV, "test-key-123")

    def make(server: ModelServer, *, limits: dict | None = None, options: dict | None = None,
             model: str = "gpt-4o-mini", stem: str = "scripted") -> str:
        data = {"harness": "llm", "model": model, "base_url": server.base_url, "api_key_env": KEY_ENV,
                "limits": limits or {}, "options": {"retry_base_sec": 0.05, **(options or {})}}
        path = tmp_path / f"{stem}.yaml"
        path.write_text(yaml.safe_dump(data))
        return str(path)

    return make


def script(name: str) -> str:
    """The ``script:PATH`` agent for one of the adversarial agents in tests/agents/."""
    path = AGENTS / name
    assert os.access(path, os.X_OK), f"{path} must be executable"
    return f"script:{path}"


def survivors(marker: str) -> list[int]:
    """Live processes whose command line holds ``marker`` (other sandboxes may run beside the tests)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, UnicodeDecodeError):
            continue
        if entry.isdigit() and marker in cmdline and int(entry) != os.getpid():
            found.append(int(entry))
    return found


_hostile: dict[str, bool] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember each hostile test's verdict (a failure in setup counts as not contained)."""
    if "hostile" in report.keywords and (report.when == "call" or report.failed):
        _hostile[report.nodeid] = report.passed and _hostile.get(report.nodeid, True)


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """Print how many of the hostile agents and outputs that ran were contained."""
    if _hostile:
        contained = sum(_hostile.values())
        terminalreporter.write_line(f"contained {contained}/{len(_hostile)} hostile agents and outputs")


PG_BIN = Path("/usr/lib/postgresql/15/bin")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL 15 server (initdb and pg_ctl into a temporary directory); its SQLAlchemy URL."""
    if not (PG_BIN / "initdb").exists():
        pytest.fail("PostgreSQL 15 is not installed: `apt-get install postgresql-15`")
    # Outside pytest's private temp dir: the server runs as the postgres user and must reach it.
    root = Path(tempfile.mkdtemp(prefix="ale-pg-"))
    data, sockets = root / "pgdata", root / "pgsock"
    sockets.mkdir()
    for path in (root, sockets):
        os.chmod(path, 0o777)
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subprocess.run([*as_postgres, str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"],
                   check=True, capture_output=True)
    server = subprocess.Popen([*as_postgres, str(PG_BIN / "postgres"), "-D", str(data), "-k", str(sockets),
                               "-p", str(port), "-c", "listen_addresses=127.0.0.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while subprocess.run([str(PG_BIN / "pg_isready"), "-h", str(sockets), "-p", str(port)],
                             capture_output=True).returncode != 0:
            assert time.monotonic() < deadline, "PostgreSQL did not start"
            time.sleep(0.2)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def running_viewer(store: ResultsStore, results_dir: Path, tasks_dir: Path = FIXTURE_TASKS) -> Iterator[str]:
    """The viewer (``ale view``) of ``store`` served by uvicorn in a thread; yields its base URL."""
    import uvicorn

    from lastexam.web.app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(create_app(store, results_dir, tasks_dir=tasks_dir), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)

