"""Infrastructure errors left after retries, shown per agent in every report table and every format
(text, JSON, CSV, HTML), flagged above 2%, and counted as failed trials by ``ale report --strict``.
Every expected figure is recomputed here from the trials the test records, not read back from a report."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console

from lastexam.analysis.report import ReportOptions, build_report
from lastexam.contracts.trial import TrialResult
from lastexam.report.text import print_report
from lastexam.store.db import ResultsStore
from trialfactory import record, trial

ALE = [sys.executable, "-m", "lastexam.cli"]
TIERS = ("near-term", "last-exam")


def _trials() -> list[TrialResult]:
    """flaky: 20 instances, 2 infra errors and 1 cancelled trial (share 2/20, flagged); steady: 50 instances, 1 infra
    error (share exactly 2%, not flagged); clean: no infra error."""
    out = []
    for i in range(20):
        status = "infra_error" if i in (3, 12) else "cancelled" if i == 7 else None
        out.append(trial("flaky", f"other/t@{i}", passed=i % 2 == 0, status=status, tier=TIERS[i % 2]))
    for i in range(50):
        out.append(trial("steady", f"other/t@{i}", passed=i % 3 == 0, status="infra_error" if i == 5 else None,
                         tier=TIERS[i % 2]))
    out += [trial("clean", f"other/t@{i}", passed=i < 15, tier=TIERS[i % 2]) for i in range(20)]
    return out


def _expected(trials: list[TrialResult], by_tier: bool = False) -> dict[tuple[str, ...], tuple[int, int]]:
    """(errors, finished) per agent (and tier), counted directly from the trials."""
    errors: Counter[tuple[str, ...]] = Counter()
    finished: Counter[tuple[str, ...]] = Counter()
    for t in trials:
        key = (t.key.agent, t.tier) if by_tier else (t.key.agent,)
        if t.status != "cancelled":
            finished[key] += 1
            errors[key] += t.status == "infra_error"
    return {key: (errors[key], finished[key]) for key in finished}


def _rate(trials: list[TrialResult], agent: str, strict: bool) -> float:
    """Full-pass rate over one-epoch instances: infra errors left out, or counted as failures with ``strict``."""
    counted = [t for t in trials if t.key.agent == agent and t.status != "cancelled"
               and (strict or t.status != "infra_error")]
    return sum(t.status == "passed" for t in counted) / len(counted)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[ResultsStore, list[TrialResult]]:
    store = ResultsStore(f"sqlite:///{tmp_path_factory.mktemp('infra') / 'ale.db'}")
    trials = _trials()
    record(store, "infra", trials)
    return store, trials


def test_every_table_shows_each_agents_infra_share(recorded: tuple[ResultsStore, list[TrialResult]]) -> None:
    store, trials = recorded
    report = build_report(store, ReportOptions(pairs=True, resamples=200))
    overall, tiers = _expected(trials), _expected(trials, by_tier=True)
    assert not report.strict
    for row in report.leaderboard:
        errors, finished = overall[(row.agent,)]
        assert (row.infra.errors, row.infra.finished) == (errors, finished)
        assert row.infra.share == pytest.approx(errors / finished)
        assert row.infra.flagged == (errors / finished > 0.02)
        assert row.pass_rate == pytest.approx(_rate(trials, row.agent, strict=False))
    flags = {r.agent: r.infra.flagged for r in report.leaderboard}
    assert flags == {"flaky": True, "steady": False, "clean": False}
    assert {(r.agent, r.group): (r.infra.errors, r.infra.finished) for r in report.by_tier} == tiers
    for grouping in (report.by_cluster, report.by_subdomain):
        assert {r.agent: (r.infra.errors, r.infra.finished) for r in grouping} == {a: v for (a,), v in overall.items()}
    assert {r.agent: (r.infra.errors, r.infra.finished) for r in report.efficiency} == {
        a: v for (a,), v in overall.items()}
    assert {r.agent: (r.infra.errors, r.infra.finished) for r in report.failures} == {
        a: v for (a,), v in overall.items()}
    assert len(report.comparisons) == 3
    for c in report.comparisons:
        assert (c.infra_a.errors, c.infra_a.finished) == overall[(c.a,)]
        assert (c.infra_b.errors, c.infra_b.finished) == overall[(c.b,)]

    console = Console(record=True, width=250)
    print_report(report, console)
    text = console.export_text()
    flaky_errors, flaky_finished = overall[("flaky",)]
    assert f"{flaky_errors}/{flaky_finished} ({flaky_errors / flaky_finished:.1%}) !" in text
    assert f"1/50 ({1 / 50:.1%})" in text and f"1/50 ({1 / 50:.1%}) !" not in text
    assert "more than 2% of the agent's finished trials are infrastructure errors" in text
    assert "Strict" not in text


def test_strict_counts_infra_errors_as_failed_trials(recorded: tuple[ResultsStore, list[TrialResult]]) -> None:
    store, trials = recorded
    report = build_report(store, ReportOptions(strict=True, resamples=200))
    overall = _expected(trials)
    assert report.strict
    for row in report.leaderboard:
        errors, finished = overall[(row.agent,)]
        assert (row.trials, row.infra.errors) == (finished, errors)
        assert row.pass_rate == pytest.approx(_rate(trials, row.agent, strict=True))
    lenient = {r.agent: r.pass_rate for r in build_report(store, ReportOptions(resamples=200)).leaderboard}
    strict = {r.agent: r.pass_rate for r in report.leaderboard}
    assert strict["flaky"] < lenient["flaky"] and strict["clean"] == lenient["clean"]
    console = Console(record=True, width=250)
    print_report(report, console)
    assert "Strict: infrastructure errors are counted as failed trials (score 0)" in console.export_text()


@pytest.mark.slow
def test_json_csv_and_html_carry_the_infra_share(recorded: tuple[ResultsStore, list[TrialResult]],
                                                 tmp_path: Path) -> None:
    store, trials = recorded
    overall = _expected(trials)
    html, csv_dir = tmp_path / "report.html", tmp_path / "csv"
    done = subprocess.run([*ALE, "report", "--db", store.url, "--json", "--pairs", "--resamples", "200", "--csv",
                           str(csv_dir), "--html", str(html)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["strict"] is False
    for row in data["leaderboard"]:
        errors, finished = overall[(row["agent"],)]
        assert row["infra"] == {"errors": errors, "finished": finished, "share": pytest.approx(errors / finished),
                                "flagged": errors / finished > 0.02}
    for table in ("efficiency", "failures"):
        assert {r["agent"]: (r["infra"]["errors"], r["infra"]["finished"]) for r in data[table]} == {
            a: v for (a,), v in overall.items()}
    assert all({"infra_a", "infra_b"} <= set(c) for c in data["comparisons"]) and len(data["comparisons"]) == 3

    with open(csv_dir / "leaderboard.csv", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["grouping"] == "overall"]
    assert {r["agent"]: (int(r["infra_errors"]), int(r["infra_finished"]), r["infra_flagged"]) for r in rows} == {
        a: (e, f, str(e / f > 0.02)) for (a,), (e, f) in overall.items()}
    for name, columns in (("efficiency", ["infra_errors"]), ("failures", ["infra_errors"]),
                          ("comparisons", ["infra_a_errors", "infra_b_errors"])):
        header = (csv_dir / f"{name}.csv").read_text().splitlines()[0].split(",")
        assert set(columns) <= set(header), name

    page = html.read_text()
    errors, finished = overall[("flaky",)]
    assert f'<span class="infra flagged">{errors}/{finished} ({100 * errors / finished:.1f}%) !</span>' in page
    assert '<span class="infra">1/50 (2.0%)</span>' in page and "infra-flagged" in page

    done = subprocess.run([*ALE, "report", "--db", store.url, "--strict", "--resamples", "200"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Strict:" in done.stdout and "strict: infrastructure errors counted as failed trials" in done.stdout
