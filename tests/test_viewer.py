"""The viewer, served by uvicorn on 127.0.0.1 and driven in headless Chromium (Playwright), over a real
small run (oracle and nop in real sandboxes) and synthetic trials recorded through the real store."""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, sync_playwright

from conftest import FIXTURE_TASKS
from lastexam.grading.model import Check
from lastexam.runner.config import ExperimentConfig
from lastexam.runner.experiment import run_experiment
from lastexam.store.db import ResultsStore
from lastexam.web.app import create_app
from trialfactory import record, run_dir, trial

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00"
       b"\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("viewer")
    results = root / "results"
    config = ExperimentConfig(name="real", agents=["oracle", "nop"], selectors=["other/league_table@0"],
                              results_dir=results, tasks_dir=FIXTURE_TASKS, jobs=2)
    real = run_experiment(config).recorded
    assert sorted(r.status for r in real) == ["failed", "passed"]
    store = ResultsStore(config.resolved_db_url)
    runs = root / "synthetic"
    evidence = [Check(name="standings.csv present", score=1, passed=True, gate=True),
                Check(name="points per team", score=0, passed=False, expected={"Ajax": 9}, found={"Ajax": 7},
                      reason="2 teams have wrong points")]
    graded = run_dir(runs, "graded", outputs={"standings.csv": "team,points\nAjax,7\nPSV,6\n", "plot.png": "",
                                              "page.html": "<script>alert(1)</script>"},
                     reference={"standings.csv": "team,points\nAjax,9\nPSV,6\n"},
                     tool_calls=[{"command": "sqlite3 league.db < q.sql"}, {"argv": ["python3", "plot.py"]}])
    (graded / "output" / "plot.png").write_bytes(PNG)
    (graded / "shot.png").write_bytes(PNG)
    trajectory = (graded / "trajectory.json").read_text().replace(
        '"message": "running step 3"',
        '"message": [{"type": "text", "text": "here is the chart"}, '
        '{"type": "image", "source": {"media_type": "image/png", "path": "shot.png"}}]')
    (graded / "trajectory.json").write_text(trajectory)
    ungraded = run_dir(runs, "ungraded", reference={"standings.csv": "secret\n"}, graded=False)
    results_synthetic = [
        trial("llm:alpha", "other/league_table@1", passed=False, score=0.5, checks=evidence, run_dir=graded,
              tier="full-spectrum", cost=1.25),
        trial("llm:alpha", "other/league_table@2", status="infra_error", run_dir=ungraded),
    ] + [trial("llm:beta", f"other/league_table@{i}", passed=i % 2 == 0, tier="last-exam") for i in range(60)]
    record(store, "synthetic", results_synthetic)
    ids = {row["run_dir"]: row["id"] for row in store.trial_rows()}
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store, results, tasks_dir=FIXTURE_TASKS), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield {"base": f"http://127.0.0.1:{port}", "graded": ids[str(graded)], "ungraded": ids[str(ungraded)],
           "oracle": next(ids[r.run_dir] for r in real if r.key.agent == "oracle"), "root": root,
           "synthetic": results_synthetic}
    server.should_exit = True
    thread.join(timeout=10)


def _get(url: str) -> tuple[int, Message, bytes]:
    """Status, headers (case-insensitive) and body of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_reference_is_served_only_after_grading(site: dict) -> None:
    base = site["base"]
    status, headers, body = _get(f"{base}/trials/{site['graded']}/files/reference/standings.csv")
    assert status == 200 and b"Ajax,9" in body and headers["Content-Security-Policy"] == "sandbox"
    status, _, body = _get(f"{base}/trials/{site['ungraded']}/files/reference/standings.csv")
    assert status == 403 and b"secret" not in body
    page = _get(f"{base}/trials/{site['ungraded']}")[2].decode()
    assert "secret" not in page and "shown only once the trial has been graded" in page
    for sneaky in ("run/private/reference/standings.csv", "output/../private/reference/standings.csv",
                   "output/%2e%2e/private/reference/standings.csv", "logs/../../ungraded/private/reference/standings.csv"):
        status, _, body = _get(f"{base}/trials/{site['ungraded']}/files/{sneaky}")
        assert status == 404 and b"secret" not in body, sneaky


def test_files_are_served_inert(site: dict) -> None:
    base = site["base"]
    status, headers, body = _get(f"{base}/trials/{site['graded']}/files/output/page.html")
    assert status == 200 and headers["content-type"].startswith("text/plain") and b"<script>" in body
    status, headers, body = _get(f"{base}/trials/{site['graded']}/files/output/plot.png")
    assert status == 200 and headers["content-type"] == "image/png" and body == PNG
    assert _get(f"{base}/trials/999999")[0] == 404
    assert _get(f"{base}/trials?experiment=nope")[0] == 404


def test_trial_list_pages_by_keyset(site: dict) -> None:
    base = site["base"]
    first = _get(f"{base}/trials?agent=llm%3Abeta")[2].decode()
    assert first.count('href="/trials/') >= 100 and 'rel="next"' in first and "llm:alpha" not in first.split(
        'id="trials"')[1]
    after = int(first.split('rel="next" href="/trials?')[1].split("after=")[1].split('"')[0])
    second = _get(f"{base}/trials?agent=llm%3Abeta&after={after}")[2].decode()
    assert 'rel="prev"' in second and 'rel="next"' not in second and second.count("llm:beta</td>") == 10
    numbered = _get(f"{base}/trials?agent=llm%3Abeta&page=2")[2].decode()
    assert numbered.count("llm:beta</td>") == 10


@pytest.fixture(scope="module")
def page(site: dict) -> Iterator[Page]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        requests: list[str] = []
        tab.on("request", lambda r: requests.append(r.url))
        yield tab
        browser.close()
        assert all(url.startswith(site["base"]) for url in requests), requests


def test_browse_leaderboard_filter_and_trial(site: dict, page: Page, tmp_path: Path) -> None:
    page.goto(site["base"] + "/")
    board = page.locator("#leaderboard")
    board.wait_for()
    agents = board.locator("tbody tr td:first-child").all_inner_texts()
    assert set(agents) == {"oracle", "nop", "llm:alpha", "llm:beta"}
    assert page.locator("svg").count() >= 2
    assert page.locator("#experiments tbody tr").count() == 2
    alpha = [t for t in site["synthetic"] if t.key.agent == "llm:alpha"]
    errors = sum(t.status == "infra_error" for t in alpha)
    infra_cell = board.locator("tbody tr", has_text="llm:alpha").locator("td").nth(6).inner_text()
    assert infra_cell == f"{errors}/{len(alpha)} ({100 * errors / len(alpha):.1f}%) !"

    page.click("text=Trials")
    page.select_option("select[name=agent]", "llm:alpha")
    page.select_option("select[name=status]", "failed")
    page.click("button[type=submit]")
    page.wait_for_url("**/trials?*agent=llm%3Aalpha*")
    rows = page.locator("#trials tbody tr")
    assert rows.count() == 1 and "llm:alpha" in rows.first.inner_text()
    rows.first.locator("a").first.click()
    page.wait_for_url(f"**/trials/{site['graded']}")
    assert page.locator(".step").count() == 3
    assert page.locator(".step .tool").first.inner_text() == "exec"
    assert "sqlite3 league.db" in page.locator(".step").nth(1).inner_text()
    assert page.locator(".step img.shot").count() == 1
    assert page.locator(".step img.shot").evaluate("img => img.naturalWidth") == 1
    checks = page.locator("#checks-table tbody tr")
    assert checks.count() == 2 and "2 teams have wrong points" in checks.nth(1).inner_text()
    assert "Ajax" in checks.nth(1).inner_text()
    diff = page.locator("pre.diff").first.inner_text()
    assert "-Ajax,9" in diff and "+Ajax,7" in diff
    shot = tmp_path / "trial.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    if os.environ.get("ALE_SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(os.environ["ALE_SCREENSHOT_DIR"]) / "viewer-trial.png"), full_page=True)


def test_real_trial_page(site: dict, page: Page) -> None:
    page.goto(f"{site['base']}/trials/{site['oracle']}")
    assert "oracle on other/league_table@0" in page.locator("h1").inner_text()
    assert page.locator(".step").count() >= 2 and "/agent/solve.sh" in page.locator(".step").nth(1).inner_text()
    assert page.locator("#checks-table tbody tr").count() >= 1
    assert page.locator("#checks-table td.failed").count() == 0
    assert "shown only once" not in page.content()
    page.goto(site["base"] + "/report.html")
    assert page.locator("svg").count() >= 4 and "Leaderboard" in page.locator("h2").first.inner_text()
