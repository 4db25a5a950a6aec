"""The HTML report's layout, measured in headless Chromium: Pareto labels that do not overlap, cost
error bars, interval cells on one line, and tables that scroll inside the page instead of widening it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from lastexam.analysis.report import ReportOptions, build_report
from lastexam.report.html import render_html
from lastexam.store.db import ResultsStore
from test_viewer import CHROMIUM, CHROMIUM_ARGS
from trialfactory import record, trial

AGENTS = [f"harness-{h}:provider/model-with-a-long-name-{m}" for h in "ab" for m in range(3)]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    """The report of six agents with long names, near-equal costs and pass rates, every pair compared,
    loaded in an 820 px wide window."""
    store = ResultsStore(f"sqlite:///{tmp_path_factory.mktemp('report') / 'ale.db'}")
    results = [trial(agent, f"other/task_{i:02d}@0", passed=(i + k) % 5 < 2 + k % 2,
                     cost=1.0 + 0.01 * k + 0.2 * (i % 3))
               for k, agent in enumerate(AGENTS) for i in range(30)]
    record(store, "layout", results)
    html = render_html(build_report(store, ReportOptions(pairs=True, resamples=200)))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 820, "height": 900})
        tab.set_content(html)
        yield tab
        browser.close()


@pytest.mark.slow
def test_pareto_labels_do_not_overlap_and_show_cost_intervals(page: Page) -> None:
    pareto = page.locator("#cost ~ svg").first
    labels = pareto.locator("text.point-label")
    assert sorted(labels.all_text_contents()) == sorted(AGENTS)
    boxes = labels.evaluate_all("els => els.map(e => { const b = e.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height]; })")
    width = float(pareto.get_attribute("width") or 0)
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[2] <= width, f"label {i} leaves the plot: {a}"
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), f"labels overlap: {a} {b}"
    assert pareto.locator("line.cost-ci").count() == len(AGENTS)
    spans = pareto.locator("line.cost-ci").evaluate_all("els => els.map(e => e.x2.baseVal.value - e.x1.baseVal.value)")
    assert all(span > 0 for span in spans), "every cost interval is drawn as a horizontal bar"


@pytest.mark.slow
def test_tables_fit_the_page_and_intervals_stay_on_one_line(page: Page, tmp_path: Path) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 820, "a table widens the page"
    wide = page.locator("#comparisons ~ table").first
    assert wide.evaluate("t => t.scrollWidth > t.clientWidth"), "the comparisons table scrolls inside its box"
    lines = page.locator("td").evaluate_all("""cells => cells.filter(c => /^\\[.*\\]$/.test(c.textContent.trim()))
        .map(c => { const r = document.createRange(); r.selectNodeContents(c); return new Set(
            Array.from(r.getClientRects()).map(x => Math.round(x.top))).size; })""")
    assert len(lines) > 20 and max(lines) == 1, "an interval cell wraps"
