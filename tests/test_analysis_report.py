"""The report over results recorded through the real store: leaderboard, pass@k, comparisons, variance,
failure categories, software use, the facts cache, and the ``ale report`` command."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import FIXTURE_TASKS
from lastexam.analysis.leaderboard import build_leaderboard
from lastexam.analysis.report import ReportOptions, build_report
from lastexam.analysis.stats import wilson_interval
from lastexam.contracts.facts import RunFacts
from lastexam.contracts.grade import Check
from lastexam.errors import LastExamError
from lastexam.store.db import ResultsStore
from trialfactory import record, run_dir, trial

ALE = [sys.executable, "-m", "lastexam.cli"]
TIERS = ("near-term", "full-spectrum", "last-exam")


def _store(tmp_path: Path) -> ResultsStore:
    return ResultsStore(f"sqlite:///{tmp_path / 'ale.db'}")


def _matrix(store: ResultsStore, n: int = 80) -> None:
    """Three agents on n instances: strong (85%), weak (30%), and a near twin of strong (two outcomes swapped)."""
    rng = np.random.default_rng(1)
    draws = rng.random(n)
    strong = draws < 0.85
    weak = rng.random(n) < 0.30
    twin = strong.copy()
    flip_down = int(np.flatnonzero(strong)[0])
    flip_up = int(np.flatnonzero(~strong)[0])
    twin[flip_down], twin[flip_up] = False, True
    results = []
    for i in range(n):
        instance = f"other/task_{i // 4:02d}@{i % 4}"
        tier = TIERS[(i // 4) % 3]
        for agent, outcome in (("h1:strong", strong[i]), ("h1:weak", weak[i]), ("h2:twin", twin[i])):
            results.append(trial(agent, instance, passed=bool(outcome), tier=tier, cost=0.5 if "weak" in agent else 2.0))
    record(store, "matrix", results)


def test_paired_comparison_finds_a_known_difference_and_not_a_null_one(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _matrix(store)
    report = build_report(store, ReportOptions(pairs=True, resamples=2000))
    rows = {r.agent: r for r in report.leaderboard}
    assert [r.agent for r in report.leaderboard][:2] in (["h1:strong", "h2:twin"], ["h2:twin", "h1:strong"])
    assert rows["h1:strong"].pass_rate == pytest.approx(rows["h2:twin"].pass_rate)
    low, high = rows["h1:weak"].pass_rate_ci
    assert low < rows["h1:weak"].pass_rate < high and high - low < 0.25
    pairs = {(c.a, c.b): c for c in report.comparisons}
    assert len(pairs) == 3
    strong_weak = pairs.get(("h1:strong", "h1:weak")) or pairs[("h2:twin", "h1:weak")]
    assert strong_weak.significant and strong_weak.p_holm is not None and strong_weak.p_holm < 0.01
    assert strong_weak.p_sign_flip_text == "< 0.0005" and strong_weak.p_holm == pytest.approx(3 / 2001)
    assert strong_weak.difference_ci[0] > 0.3 and strong_weak.p_bootstrap < 0.01
    twins = pairs.get(("h1:strong", "h2:twin")) or pairs[("h2:twin", "h1:strong")]
    assert not twins.significant
    assert (twins.a_better, twins.b_better) == (1, 1) and twins.p_sign_flip == pytest.approx(1.0)
    assert twins.difference == pytest.approx(0.0) and twins.difference_ci[0] < 0 < twins.difference_ci[1]
    assert twins.p_holm == pytest.approx(1.0)
    # one pair: no Holm adjustment, same sign-flip p
    single = build_report(store, ReportOptions(compare=["h1:strong", "h1:weak"]))
    [only] = single.comparisons
    assert only.p_holm is None and only.p_sign_flip == pytest.approx(strong_weak.p_sign_flip)
    # by tier: three groups per agent, instances add up
    tiers = [r for r in report.by_tier if r.agent == "h1:weak"]
    assert sorted(r.group for r in tiers) == sorted(TIERS) and sum(r.instances for r in tiers) == 80
    # Pareto: the cheap weak agent and the strong ones at 2.0 per trial
    assert set(report.pareto) == {"h1:weak", "h1:strong", "h2:twin"}
    cost = {r.agent: r for r in report.efficiency}
    assert cost["h1:weak"].cost_per_trial == pytest.approx(0.5)
    assert cost["h1:weak"].cost_per_pass == pytest.approx(0.5 * 80 / rows["h1:weak"].passed)


def test_epochs_are_nested_and_pass_at_k_is_unbiased(tmp_path: Path) -> None:
    store = _store(tmp_path)
    passes = {0: 3, 1: 2, 2: 0, 3: 1}
    record(store, "epochs", [trial("solo", f"other/t@{i}", epoch=e, passed=e <= c)
                             for i, c in passes.items() for e in (1, 2, 3)])
    report = build_report(store)
    [row] = report.leaderboard
    assert (row.trials, row.passed, row.instances, row.epochs) == (12, 6, 4, 3)
    assert row.pass_rate == pytest.approx(0.5)
    assert row.few_instances and row.pass_rate_ci[0] <= 0.2 and row.pass_rate_ci[1] >= 0.8
    by_k = {r.k: r for r in report.pass_at_k}
    assert sorted(by_k) == [1, 2, 3]
    assert by_k[1].pass_at_k == pytest.approx(0.5) and by_k[1].pass_hat_k == pytest.approx(0.5)
    assert by_k[2].pass_at_k == pytest.approx((1 + 1 + 0 + 2 / 3) / 4)
    assert by_k[2].pass_hat_k == pytest.approx((1 + 1 / 3) / 4)
    assert by_k[3].pass_at_k == pytest.approx(0.75) and by_k[3].pass_hat_k == pytest.approx(0.25)


def test_variance_decomposition_balanced_and_unbalanced(tmp_path: Path) -> None:
    store = _store(tmp_path)
    rates = {"h1:m1": 0.8, "h1:m2": 0.4, "h2:m1": 0.7, "h2:m2": 0.3}
    record(store, "grid", [trial(agent, f"other/t@{i}", passed=i < rate * 20)
                           for agent, rate in rates.items() for i in range(20)])
    grid = build_report(store).variance
    assert grid is not None and grid.balanced and grid.harnesses == ["h1", "h2"] and grid.models == ["m1", "m2"]
    parts = {c.source: c for c in grid.components}
    assert parts["harness"].sum_sq == pytest.approx(0.01) and parts["model"].sum_sq == pytest.approx(0.16)
    assert parts["residual"].sum_sq == pytest.approx(0.0, abs=1e-12)
    assert parts["harness"].variance == pytest.approx(0.005) and parts["model"].variance == pytest.approx(0.08)
    assert parts["model"].share == pytest.approx(0.08 / 0.085)
    record(store, "more", [trial("h3:m1", f"other/t@{i}", passed=i < 10) for i in range(20)]
           + [trial("oracle", f"other/t@{i}", passed=True) for i in range(20)])
    uneven = build_report(store).variance
    assert uneven is not None and not uneven.balanced and uneven.harnesses == ["h1", "h2", "h3"]
    assert all(c.variance is None for c in uneven.components)
    # by hand: model-only fit leaves 0.051667, harness-only 0.16, the additive fit 0 (h3 has one cell); total 0.172
    parts = {c.source: c for c in uneven.components}
    assert parts["harness"].sum_sq == pytest.approx(0.0516667, abs=1e-6)
    assert parts["model"].sum_sq == pytest.approx(0.16) and parts["residual"].sum_sq == pytest.approx(0.0, abs=1e-12)
    assert parts["model"].share == pytest.approx(0.16 / 0.172)


def test_failure_categories_and_software_use(tmp_path: Path) -> None:
    store = _store(tmp_path)
    runs = tmp_path / "runs"
    task = "other/league_table@0"
    gate = [Check(name="standings.csv present", score=0, passed=False, gate=True),
            Check(name="points", score=0, passed=False)]
    partial = [Check(name="points", score=1, passed=True), Check(name="tie-breaks", score=0, passed=False)]
    zero = [Check(name="points", score=0, passed=False), Check(name="tie-breaks", score=0, passed=False)]
    out = {"standings.csv": "team,points\n"}
    results = [
        trial("a", task, 1, passed=True, run_dir=run_dir(runs, "used", outputs=out,
                                                         tool_calls=[{"argv": ["sqlite3", "league.db", ".read q.sql"]}])),
        trial("a", task, 2, status="infra_error", run_dir=run_dir(runs, "infra", graded=False)),
        trial("a", task, 3, passed=False, outcome="timeout", run_dir=run_dir(runs, "timeout", outputs=out)),
        trial("a", task, 4, passed=False, outcome="limit", run_dir=run_dir(runs, "limit", outputs=out)),
        trial("a", task, 5, passed=False, checks=zero, run_dir=run_dir(runs, "empty", tool_calls=[{"argv": ["true"]}])),
        trial("a", task, 6, passed=False, checks=gate, run_dir=run_dir(
            runs, "gate", outputs={"notes.txt": "x"}, tool_calls=[{"command": "cd /workspace && /usr/bin/sqlite3 x.db"}])),
        trial("a", task, 7, passed=False, score=0.5, checks=partial, run_dir=run_dir(
            runs, "partial", outputs=out, tool_calls=[{"path": "solve.py", "content": "import csv\n"},
                                                      {"command": "python3 solve.py"}])),
        trial("a", task, 8, passed=False, checks=zero, run_dir=run_dir(runs, "zero", outputs=out, steps=[])),
        trial("a", task, 9, passed=True, run_dir=run_dir(runs, "script", outputs=out, tool_calls=[
            {"path": "run.py", "content": "import subprocess\nsubprocess.run(['sqlite3', 'l.db'])\n"},
            {"command": "python3 run.py"}])),
        trial("a", task, 10, passed=True, run_dir=run_dir(runs, "opaque", outputs=out,
                                                          tool_calls=[{"argv": ["bash", "/agent/solve.sh"]}])),
        trial("a", task, 11, passed=False, checks=zero, run_dir=run_dir(runs, "sqlite3x", outputs=out,
                                                                        tool_calls=[{"command": "sqlite3x --help"}])),
    ]
    record(store, "failures", results)
    report = build_report(store, ReportOptions(tasks_dir=FIXTURE_TASKS))
    [row] = report.failures
    assert (row.trials, row.passed) == (11, 3)
    assert row.categories == {"infrastructure": 1, "timeout": 1, "limit": 1, "no_output": 1, "gate_failed": 1,
                              "partial": 1, "zero_score": 2}
    [software] = report.software
    assert software.counts == {"used": 3, "substitute": 2, "not_used": 1, "unknown": 4}
    assert software.pass_rates["used"] == pytest.approx(2 / 3) and software.pass_rates["not_used"] == 0.0
    checks = {(c.check, c.failed) for c in report.failing_checks}
    assert ("tie-breaks", 4) in checks and ("standings.csv present", 1) in checks
    assert all(c.graded == 10 for c in report.failing_checks)
    [by_task] = report.software_by_task
    assert by_task.task_id == "other/league_table" and by_task.graded == 10
    # without the task packages the declared software is not known: every trial is "unknown"
    blind = build_report(store, ReportOptions(tasks_dir=tmp_path / "no-tasks"))
    assert blind.software[0].counts["unknown"] == 10 and blind.inspected_trials == 11


def test_a_report_only_reads_and_follows_new_and_replaced_trials(tmp_path: Path) -> None:
    store = _store(tmp_path)
    facts = RunFacts(output_files=1, tool_calls=3, software="unknown", executables="")
    experiment = record(store, "reads", [trial("a", f"other/t@{i}", passed=i % 2 == 0).model_copy(
        update={"facts": facts}) for i in range(6)])

    def dump() -> list[str]:
        with sqlite3.connect(tmp_path / "ale.db") as conn:
            return list(conn.iterdump())

    before = dump()
    report = build_report(store)
    assert report.inspected_trials == 0 and report.leaderboard[0].trials == 6
    assert dump() == before, "a report wrote to the results database"
    store.record(experiment, trial("a", "other/t@6", passed=True).model_copy(update={"facts": facts}))
    assert build_report(store).leaderboard[0].trials == 7
    assert store.record(experiment, trial("a", "other/t@1", passed=True).model_copy(update={"facts": facts}),
                        regrade=True)
    replaced = build_report(store)
    assert replaced.leaderboard[0].trials == 7 and replaced.leaderboard[0].passed == 5
    # a trial recorded without run facts (an older version) is read from its run directory, every time
    store.record(experiment, trial("a", "other/t@7", passed=False))
    assert build_report(store).inspected_trials == build_report(store).inspected_trials == 1


def test_recorded_run_facts_spare_the_run_directories(tmp_path: Path) -> None:
    store = _store(tmp_path)
    task = "other/league_table"
    used = RunFacts(output_files=1, tool_calls=2, software="used", executables="sqlite3")
    empty = RunFacts(output_files=0, tool_calls=1, software="not_used", executables="sqlite3")
    results = [trial("a", f"{task}@{i}", passed=i < 2).model_copy(update={"facts": used}) for i in range(4)]
    results.append(trial("a", f"{task}@4", passed=False).model_copy(update={"facts": empty}))
    # judged against another declaration than the task's now: its (missing) run directory is read instead
    results.append(trial("a", f"{task}@5", passed=True).model_copy(
        update={"facts": used.model_copy(update={"executables": "psql"})}))
    record(store, "recorded", results)
    report = build_report(store, ReportOptions(tasks_dir=FIXTURE_TASKS))
    assert report.inspected_trials == 1
    assert report.software[0].counts == {"used": 4, "substitute": 0, "not_used": 1, "unknown": 1}
    assert report.failures[0].categories["no_output"] == 1 and report.failures[0].categories["zero_score"] == 2


def test_selection_errors_name_the_fix(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(LastExamError, match=r"no trials in .*Fix:"):
        build_report(store)
    record(store, "one", [trial("a", "other/t@0", passed=True), trial("b", "other/t@0", passed=False)])
    with pytest.raises(LastExamError, match=r"no experiment named 'two'.*Fix: use one of: one"):
        build_report(store, ReportOptions(experiments=["two"]))
    with pytest.raises(LastExamError, match=r"agent 'c'.*Fix: compare two of: a, b"):
        build_report(store, ReportOptions(compare=["a", "c"]))
    with pytest.raises(ValueError, match="exactly two"):
        ReportOptions(compare=["a"])


def test_pooled_experiments_keep_only_common_instances(tmp_path: Path) -> None:
    store = _store(tmp_path)
    record(store, "small", [trial("a", f"other/t@{i}", passed=True) for i in range(3)])
    record(store, "large", [trial("b", f"other/t@{i}", passed=i % 2 == 0) for i in range(20)]
           + [trial("b", "other/t@2", 2, status="infra_error")])
    record(store, "late", [trial("c", "other/t@1", passed=True), trial("c", "other/t@2", status="infra_error")])
    pooled = build_report(store, ReportOptions(experiments=["small", "large"], common_instances=True))
    assert pooled.instances == 3 and pooled.instances_dropped == 17
    assert {r.agent: (r.instances, r.pass_rate) for r in pooled.leaderboard} == {"a": (3, 1.0), "b": (3, 2 / 3)}
    everything = build_report(store, ReportOptions(common_instances=True))
    assert everything.instances == 1 and everything.instances_dropped == 19, "an infra error is not a graded trial"
    assert build_report(store, ReportOptions(experiments=["small", "large"])).instances == 20
    record(store, "apart", [trial("d", "other/u@0", passed=True)])
    with pytest.raises(LastExamError, match=r"no instance has a graded trial of every agent.*Fix:"):
        build_report(store, ReportOptions(experiments=["small", "apart"], common_instances=True))


def test_run_leaderboard_from_rows(tmp_path: Path) -> None:
    store = _store(tmp_path)
    record(store, "rows", [trial("a", f"other/t@{i}", passed=i < 3) for i in range(4)]
           + [trial("a", "other/t@9", status="infra_error")])
    board = build_leaderboard(store.trial_rows())
    [row] = board.leaderboard
    assert (row.trials, row.passed, row.infra.errors, row.infra.finished, row.pass_rate) == (4, 3, 1, 5, 0.75)
    assert build_leaderboard([]).leaderboard == []


def _ale(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([*ALE, *args], capture_output=True, text=True, timeout=300)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_report_command_exports(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _matrix(store, n=24)
    record(store, "second", [trial("h1:strong", "other/extra@0", passed=True)])
    db = ["--db", store.url]
    data = json.loads(_ale("report", *db, "--json", "--name", "matrix").stdout)
    assert {r["agent"] for r in data["leaderboard"]} == {"h1:strong", "h1:weak", "h2:twin"}
    assert {"leaderboard", "by_tier", "by_cluster", "by_subdomain", "pass_at_k", "efficiency", "pareto",
            "comparisons", "variance", "failures", "failing_checks", "software"} <= set(data)
    assert {"agent", "trials", "passed", "pass_rate", "pass_rate_ci", "mean_score", "infra"} <= set(
        data["leaderboard"][0])
    both = json.loads(_ale("report", *db, "--json", "--name", "matrix", "--name", "second").stdout)
    assert both["experiments"] == ["matrix", "second"] and both["instances"] == 25
    common = _ale("report", *db, "--name", "matrix", "--name", "second", "--common-instances").stdout
    assert "Common instances only: 1 instance(s) left out" in " ".join(common.split())
    html, csv_dir = tmp_path / "out" / "report.html", tmp_path / "csv"
    text = _ale("report", *db, "--pairs", "--csv", str(csv_dir), "--html", str(html)).stdout
    assert "Leaderboard" in text and "Paired comparisons" in text and "h1:weak" in text
    assert {p.name for p in csv_dir.iterdir()} >= {"leaderboard.csv", "comparisons.csv", "failures.csv",
                                                   "efficiency.csv", "pass_at_k.csv", "variance.csv"}
    header = (csv_dir / "leaderboard.csv").read_text().splitlines()[0]
    assert "pass_rate_ci_low" in header and "grouping" in header
    assert len((csv_dir / "comparisons.csv").read_text().splitlines()) == 4
    page = html.read_text()
    assert page.count("<svg") >= 4 and "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    failed = _ale("report", *db, "--name", "nope", check=False)
    assert failed.returncode == 2 and "no experiment named 'nope'" in failed.stderr and "Fix:" in failed.stderr
    failed = _ale("report", "--db", f"sqlite:///{tmp_path / 'empty.db'}", check=False)
    assert failed.returncode == 2 and "no trials" in failed.stderr and "Fix:" in failed.stderr
    failed = _ale("report", *db, "--compare", "h1:weak", check=False)
    assert failed.returncode == 2 and "exactly two" in failed.stderr


def test_a_unanimous_result_keeps_an_honest_interval(tmp_path: Path) -> None:
    store = ResultsStore(f"sqlite:///{tmp_path / 'ale.db'}")
    results = [trial("all", f"other/t@{i}", passed=True) for i in range(20)]
    results += [trial("none", f"other/t@{i}", passed=False) for i in range(20)]
    record(store, "unanimous", results)
    board = {r.agent: r for r in build_leaderboard(store.trial_rows()).leaderboard}
    low, _ = wilson_interval(20, 20)
    assert board["all"].pass_rate == 1.0 and board["all"].pass_rate_ci == (round(low, 6), 1.0)
    assert 0.8 < low < 0.9
    assert board["none"].pass_rate_ci == (0.0, round(1 - low, 6))
    assert not board["all"].few_instances
