"""The report as one self-contained HTML file: inline CSS and SVG plots, no scripts, no external assets."""

from __future__ import annotations

from typing import get_args

from jinja2 import Environment, PackageLoader, select_autoescape

from lastexam.analysis.leaderboard import RateRow
from lastexam.analysis.report import Report
from lastexam.analysis.stats import format_p
from lastexam.contracts.facts import FAILURE_CATEGORIES, SOFTWARE_USES
from lastexam.report import svg
from lastexam.tasks.spec import Tier

TOP_CHECKS_PER_TASK = 3


def _heatmap(report: Report, rows: list[RateRow], title: str) -> str:
    agents = [r.agent for r in report.leaderboard if r.trials]
    order = {tier: i for i, tier in enumerate(get_args(Tier))}
    groups = sorted({r.group for r in rows if r.group}, key=lambda g: (order.get(g, len(order)), g))
    cells = {(r.agent, r.group or ""): (r.pass_rate, r.pass_rate_ci, r.trials) for r in rows if r.trials}
    return svg.heatmap(agents, groups, cells, title)


def charts(report: Report) -> dict[str, str]:
    """The report's plots as SVG strings, by name: leaderboard, tiers, clusters, pareto, failures."""
    graded = [r for r in report.leaderboard if r.trials]
    rank = {r.agent: i for i, r in enumerate(report.leaderboard)}
    return {
        "leaderboard": svg.interval_bars([(r.agent, r.pass_rate, r.pass_rate_ci) for r in graded],
                                         "Full-pass rate by agent with its interval"),
        "tiers": _heatmap(report, report.by_tier, "Full-pass rate by tier and agent"),
        "clusters": _heatmap(report, report.by_cluster, "Full-pass rate by cluster and agent"),
        "pareto": svg.pareto([svg.ParetoPoint(r.agent, r.cost_per_trial, r.pass_rate,
                                              next(x.pass_rate_ci for x in graded if x.agent == r.agent),
                                              r.cost_per_trial_ci, r.on_frontier)
                              for r in report.efficiency if r.cost_per_trial is not None and r.off_frontier is None],
                             "Cost per trial (with its interval) against full-pass rate, model agents of known cost"),
        "failures": svg.stacked_bars([(r.agent or "", {"passed": r.passed, **r.categories})
                                      for r in sorted(report.failures, key=lambda r: rank.get(r.agent or "", len(rank)))],
                                     ["passed", *FAILURE_CATEGORIES], "Outcome of every trial by agent"),
    }


def render_html(report: Report) -> str:
    """The whole report as an HTML document (a string)."""
    environment = Environment(loader=PackageLoader("lastexam.report", "templates"),
                              autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    top_checks: list = []
    seen: dict[str, int] = {}
    for check in report.failing_checks:
        seen[check.task_id] = seen.get(check.task_id, 0) + 1
        if seen[check.task_id] <= TOP_CHECKS_PER_TASK:
            top_checks.append(check)
    return environment.get_template("report.html.j2").render(
        report=report, charts=charts(report), categories=FAILURE_CATEGORIES, software_uses=SOFTWARE_USES,
        top_checks=top_checks, format_p=format_p,
    )
