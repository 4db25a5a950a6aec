"""The viewer, served by uvicorn on 127.0.0.1 and driven in headless Chromium (Playwright), over a real
small run (oracle and nop in real sandboxes) and synthetic trials recorded through the real store."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from conftest import FIXTURE_TASKS, running_viewer
from lastexam.contracts.grade import Check
from lastexam.runner.config import ExperimentConfig
from lastexam.runner.experiment import run_experiment
from lastexam.store.db import ResultsStore
from trialfactory import record, run_dir, trial

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
INSTRUCTION = ("# League table\n\nCompute the **standings** from `league.db`.\n\n"
               "<script>alert('instruction')</script> <b>raw</b> ![logo](http://example.invalid/x.png)\n\n- one\n- two\n")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00"
       b"\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")


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
                     reference={"standings.csv": "team,points\nAjax,9\nPSV,6\n", "answer_key.json": "SECRET-KEY"},
                     tool_calls=[{"command": "sqlite3 league.db < q.sql"}, {"argv": ["python3", "plot.py"]}])
    (graded / "output" / "plot.png").write_bytes(PNG)
    (graded / "shot.png").write_bytes(PNG)
    trajectory = (graded / "trajectory.json").read_text().replace(
        '"message": "running step 3"',
        '"message": [{"type": "text", "text": "here is the chart"}, '
        '{"type": "image", "source": {"media_type": "image/png", "path": "shot.png"}}]')
    (graded / "trajectory.json").write_text(trajectory)
    (graded / "logs" / "instruction.md").write_text(INSTRUCTION)
    ungraded = run_dir(runs, "ungraded", reference={"standings.csv": "secret\n"}, graded=False)
    results_synthetic = [
        trial("llm:alpha", "other/league_table@0", passed=True),
        trial("llm:alpha", "other/league_table@1", passed=False, score=0.5, checks=evidence, run_dir=graded,
              tier="full-spectrum", cost=1.25, tokens=(1200, 340)),
        trial("llm:alpha", "other/league_table@2", status="infra_error", run_dir=ungraded),
    ] + [trial("llm:beta", f"other/league_table@{i}", passed=i % 2 == 0, tier="last-exam", cost=None)
         for i in range(60)]
    record(store, "synthetic", results_synthetic)
    ids = {row["run_dir"]: row["id"] for row in store.trial_rows()}
    with running_viewer(store, results) as base:
        yield {"base": base, "graded": ids[str(graded)], "ungraded": ids[str(ungraded)],
               "oracle": next(ids[r.run_dir] for r in real if r.key.agent == "oracle"), "root": root,
               "synthetic": results_synthetic}


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
    assert set(agents) == {"llm:alpha", "llm:beta"}, "the landing page shows the newest experiment only"
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


def test_landing_pools_experiments_on_common_instances(site: dict, page: Page) -> None:
    page.goto(site["base"] + "/")
    assert "synthetic" in page.locator("h1").inner_text() and page.locator("#pooled").count() == 0
    assert page.locator("#selection input[value=synthetic]").is_checked()
    assert not page.locator("#selection input[value=real]").is_checked()
    page.check("#selection input[value=real]")
    page.click("#selection button[type=submit]")
    page.wait_for_url("**/?experiment=*experiment=*")
    board = page.locator("#leaderboard")
    assert set(board.locator("tbody tr td:first-child").all_inner_texts()) == {"oracle", "nop", "llm:alpha", "llm:beta"}
    # only other/league_table@0 was graded for all four agents; the 59 other instances are left out
    assert set(board.locator("tbody tr td:nth-child(2)").all_inner_texts()) == {"1"}
    note = page.locator("#pooled").inner_text()
    assert "restricted to the 1 instances" in note and "59 other instances are left out" in note


def _trials(base: str, query: str) -> tuple[str, list[str]]:
    """The trial list page for ``query``: its total count and the rows' cells as text."""
    status, _, body = _get(f"{base}/trials?{query}")
    assert status == 200, body
    html = body.decode()
    total = html.split('id="total">')[1].split("<")[0]
    rows = html.split('<table id="trials">')[1].split("</tbody>")[0].split("<tr>")[2:]
    return total, rows


def test_trial_list_counts_filters_and_sorts(site: dict) -> None:
    base = site["base"]
    assert _trials(base, "agent=llm%3Abeta")[0] == "60"
    assert _trials(base, "task=other%2F")[0] == "65" and _trials(base, "task=other%2Fleague")[0] == "65"
    assert _trials(base, "task=finance%2F")[0] == "0" and _trials(base, "task=other%25")[0] == "0"
    total, rows = _trials(base, "score_min=0.4&score_max=0.6&tier=&category=")
    assert total == "1" and "other/league_table@1" in rows[0] and "1,200 / 340" in rows[0] and "$1.2500" in rows[0]
    total, rows = _trials(base, "category=infrastructure")
    assert total == "1" and "other/league_table@2" in rows[0] and "infra_error" in rows[0]
    total, rows = _trials(base, "category=no_output")
    assert total == "1" and ">nop<" in rows[0]
    total, rows = _trials(base, "experiment=synthetic&category=zero_score")
    assert total == "30" and all("llm:beta" in r for r in rows)
    total, rows = _trials(base, "agent=llm%3Abeta")
    assert all(r.count(">unknown<") == 2 for r in rows), "no tokens and no price read unknown, not 0"
    _, rows = _trials(base, "sort=cost&order=desc")
    assert "$1.2500" in rows[0]
    _, rows = _trials(base, "agent=llm%3Aalpha&sort=score&order=asc")
    assert [r.split('class="num score">')[1][:5] for r in rows] == ["0.000", "0.500", "1.000"]
    first = _get(f"{base}/trials?agent=llm%3Abeta&sort=score&order=desc")[2].decode()
    assert "page 1 of 2" in first
    link = first.split('rel="next" href="/trials?')[1].split('"')[0].replace("&amp;", "&")
    assert "agent=llm%3Abeta" in link and "sort=score" in link and "order=desc" in link and "page=2" in link
    total, rows = _trials(base, link)
    assert total == "60" and len(rows) == 10 and all("llm:beta" in r for r in rows)
    assert all('class="num score">0.000' in r for r in rows), "descending by score: the failures come last"
    assert _get(f"{base}/trials?score_min=abc")[0] == 400 and _get(f"{base}/trials?sort=secret")[0] == 400
    assert _get(f"{base}/trials?category=bogus")[0] == 400


def test_score_grid_links_cells_to_trials(site: dict, page: Page) -> None:
    page.goto(site["base"] + "/grid?experiment=synthetic")
    grid = page.locator("#grid")
    assert grid.locator("thead th").all_inner_texts() == ["instance", "llm:alpha", "llm:beta"]
    assert grid.locator("tbody tr").count() == 60 and "60 instances" in page.locator("#grid-note").inner_text()
    row = grid.locator("tbody tr", has_text="other/league_table@1")
    assert row.locator("td").nth(1).inner_text().split() == ["0.50", "0/1"]
    assert grid.locator("tbody tr", has_text="other/league_table@2").locator("td").nth(1).inner_text() == "–"
    row.locator("td").nth(1).locator("a").click()
    page.wait_for_url(f"**/trials/{site['graded']}")


def test_search_within_transcripts(site: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    base = site["base"]
    html = _get(f"{base}/search?q=SQLITE3+league&experiment=synthetic")[2].decode()
    assert f'href="/trials/{site["graded"]}#step-2"' in html and "tool call" in html
    assert "1 of the 63 trials searched" in html
    html = _get(f"{base}/search?q=exit+0+(3)")[2].decode()
    assert f'href="/trials/{site["graded"]}#step-3"' in html and "observation" in html
    html = _get(f"{base}/search?q=should+run+tool+2&agent=llm%3Abeta")[2].decode()
    assert "0 of the 60 trials searched" in html
    monkeypatch.setattr("lastexam.web.app.SEARCH_TRIAL_LIMIT", 5)
    html = _get(f"{base}/search?q=anything")[2].decode()
    assert "the first 5 by id of 65 matching trials" in html


def test_instruction_markdown_and_deliverable_diff(site: dict, page: Page) -> None:
    page.goto(f"{site['base']}/trials/{site['graded']}")
    instruction = page.locator(".instruction")
    assert instruction.locator("h1").inner_text() == "League table"
    assert instruction.locator("strong").inner_text() == "standings" and instruction.locator("li").count() == 2
    assert instruction.locator("script, b, img").count() == 0 and "<script>" in instruction.inner_text()
    reference = page.locator("#reference ~ h3").all_inner_texts()
    assert any("standings.csv" in h for h in reference) and not any("answer_key" in h for h in reference)
    assert "SECRET-KEY" not in page.content()
    status, _, body = _get(f"{site['base']}/trials/{site['graded']}/files/reference/answer_key.json")
    assert status == 404 and b"SECRET" not in body
    assert _get(f"{site['base']}/trials/{site['graded']}/files/reference/standings.csv")[0] == 200
    page.goto(f"{site['base']}/trials/{site['oracle']}")
    assert "tokens in / out: unknown" in page.locator("#usage").inner_text()


def test_real_trial_page(site: dict, page: Page) -> None:
    page.goto(f"{site['base']}/trials/{site['oracle']}")
    assert "oracle on other/league_table@0" in page.locator("h1").inner_text()
    assert page.locator(".step").count() >= 2 and "/agent/solve.sh" in page.locator(".step").nth(1).inner_text()
    assert page.locator("#checks-table tbody tr").count() >= 1
    assert page.locator("#checks-table td.failed").count() == 0
    assert "shown only once" not in page.content()
    page.goto(site["base"] + "/report.html")
    assert page.locator("svg").count() >= 4 and "Leaderboard" in page.locator("h2").first.inner_text()
