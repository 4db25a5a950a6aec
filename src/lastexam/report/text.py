"""The report as terminal tables (rich)."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

from lastexam.analysis.compare import MIN_COMPARISON_INSTANCES
from lastexam.analysis.freshness import Freshness
from lastexam.analysis.infra import FLAG_SHARE, InfraShare
from lastexam.analysis.leaderboard import Leaderboard, RateRow
from lastexam.analysis.report import Report
from lastexam.analysis.stats import format_p
from lastexam.contracts.facts import FAILURE_CATEGORIES, SOFTWARE_USES

MAX_TASKS_SHOWN = 25


def _ci(interval: tuple[float, float] | None, percent: bool = True) -> str:
    if interval is None:
        return "-"
    low, high = interval
    return f"[{low:.1%}, {high:.1%}]" if percent else f"[{low:.3f}, {high:.3f}]"


def _money(value: float | None, missing: str = "-") -> str:
    return missing if value is None else f"${value:,.2f}" if value >= 1 else f"${value:.4f}"


def _money_ci(interval: tuple[float, float] | None) -> str:
    return "-" if interval is None else f"[{_money(interval[0])}, {_money(interval[1])}]"


def _infra(share: InfraShare) -> str:
    """Infrastructure errors as "errors/finished (share)", marked "!" when flagged."""
    if not share.errors:
        return f"0/{share.finished}"
    return f"{share.errors}/{share.finished} ({share.share:.1%})" + (" !" if share.flagged else "")


def _strict_note(strict: bool) -> str:
    return "strict: infrastructure errors counted as failed trials (score 0); " if strict else ""


def terminal() -> Console:
    """A console for stdout: the terminal's width, or 200 columns when piped (so tables are not squeezed)."""
    return Console() if sys.stdout.isatty() else Console(width=200)


def print_leaderboard(board: Leaderboard, out: Console) -> None:
    """The leaderboard, overall and by tier, cluster and subdomain, then pass@k when there are epochs."""

    def table(title: str, rows: list[RateRow], group: str | None) -> None:
        if not rows:
            return
        t = Table(title=title, title_justify="left")
        for column in ("agent", *([group] if group else []), "instances", "trials", "full pass", "95% CI",
                       "mean score", "95% CI ", "infra errors"):
            t.add_column(column, justify="left" if column in ("agent", group) else "right")
        for r in rows:
            flag = " *" if r.few_instances and r.trials else ""
            t.add_row(r.agent, *([r.group or ""] if group else []), str(r.instances), str(r.trials),
                      f"{r.pass_rate:.1%}{flag}", _ci(r.pass_rate_ci), f"{r.mean_score:.3f}",
                      _ci(r.mean_score_ci, percent=False), _infra(r.infra))
        out.print(t)

    level = f"{board.confidence:.0%}"
    table(f"Leaderboard ({_strict_note(board.strict)}{level} intervals: bootstrap over instances, "
          f"{board.resamples} resamples, seed {board.seed})", board.leaderboard, None)
    table("By tier", board.by_tier, "tier")
    table("By cluster", board.by_cluster, "cluster")
    table("By subdomain", board.by_subdomain, "subdomain")
    if any(r.few_instances and r.trials for r in board.leaderboard + board.by_tier):
        out.print("* fewer than 10 instances: the interval is a rough guide only")
    if any(r.infra.flagged for r in board.leaderboard):
        left_out = "counted as failed trials" if board.strict else "left out of the rates (--strict counts them as failed)"
        out.print(f"! more than {FLAG_SHARE:.0%} of the agent's finished trials are infrastructure errors, {left_out}")
    if board.pass_at_k:
        t = Table(title="pass@k (any of k epochs passes) and pass^k (all k pass)", title_justify="left")
        for column in ("agent", "k", "instances", "pass@k", "95% CI", "pass^k", "95% CI "):
            t.add_column(column, justify="left" if column == "agent" else "right")
        for r in board.pass_at_k:
            t.add_row(r.agent, str(r.k), str(r.instances), f"{r.pass_at_k:.1%}", _ci(r.pass_at_k_ci),
                      f"{r.pass_hat_k:.1%}", _ci(r.pass_hat_k_ci))
        out.print(t)
    out.print(f"Intervals: {board.interval_method}.")


def print_report(report: Report, out: Console) -> None:
    """Every section of the report."""
    out.print(f"[bold]Experiments:[/] {', '.join(report.experiments)}  ({report.database}; "
              f"{report.instances} instances)")
    out.print(report.instances_seen)
    if report.instances_dropped:
        out.print(f"Common instances only: {report.instances_dropped} instance(s) left out because some agent has no "
                  "graded trial on them")
    if report.strict:
        out.print("[bold]Strict:[/] infrastructure errors are counted as failed trials (score 0), not left out")
    print_leaderboard(report, out)
    if report.freshness is not None:
        print_freshness(report.freshness, out)

    t = Table(title="Cost and time (graded trials; Pareto frontier of cost per trial vs full-pass rate marked *)",
              title_justify="left")
    for column in ("agent", "trials", "full pass", "cost/trial", "95% CI", "cost/full pass", "95% CI ",
                   "wall s/trial", "agent s/trial", "agent s/full pass", "infra errors"):
        t.add_column(column, justify="left" if column == "agent" else "right")
    for r in report.efficiency:
        unknown = "unknown" if r.cost_usd is None else "-"
        t.add_row(r.agent + (" *" if r.on_frontier else ""), str(r.trials), f"{r.pass_rate:.1%}",
                  _money(r.cost_per_trial, unknown), _money_ci(r.cost_per_trial_ci), _money(r.cost_per_pass, unknown),
                  _money_ci(r.cost_per_pass_ci), f"{r.duration_per_trial:.0f}", f"{r.agent_sec_per_trial:.0f}",
                  "-" if r.agent_sec_per_pass is None else f"{r.agent_sec_per_pass:.0f}", _infra(r.infra))
    out.print(t)
    if any(r.cost_usd is None for r in report.efficiency):
        out.print("unknown: a model call of the agent could not be priced; its cost is left out, never counted as $0")
    if report.pareto_note:
        out.print(f"Pareto frontier: {report.pareto_note}")

    if report.comparisons:
        holm_note = "; Holm-adjusted over all pairs" if len(report.comparisons) > 1 else ""
        t = Table(title="Paired comparisons, A minus B on common instances (difference of per-instance pass rates: "
                        f"paired bootstrap interval and p; significance from the sign-flip test of the same "
                        f"differences{holm_note})", title_justify="left")
        for column in ("A", "B", "instances", "A pass", "B pass", "diff", "95% CI", "A better", "B better",
                       "bootstrap p", "sign-flip p", "Holm p", "significant", "A infra", "B infra"):
            t.add_column(column, justify="left" if column in ("A", "B") else "right")
        for c in report.comparisons:
            t.add_row(c.a, c.b, str(c.instances) + (" *" if c.few_instances else ""), f"{c.pass_rate_a:.1%}",
                      f"{c.pass_rate_b:.1%}", f"{c.difference:+.1%}", _ci(c.difference_ci), str(c.a_better),
                      str(c.b_better), c.p_bootstrap_text, c.p_sign_flip_text, format_p(c.p_holm, c.p_resolution),
                      "yes" if c.significant else "no", _infra(c.infra_a), _infra(c.infra_b))
        out.print(t)
        if any(c.few_instances for c in report.comparisons):
            out.print(f"* few common instances (under {MIN_COMPARISON_INSTANCES}): the bootstrap interval is a rough "
                      "guide; the sign-flip test keeps its level")

    if report.variance is not None:
        v = report.variance
        if v.separable:
            t = Table(title=f"Variance of pass rates: {len(v.harnesses)} harnesses x {len(v.models)} models, {v.cells} "
                            f"configurations ({v.method})", title_justify="left")
            for column in ("source", "sum of squares", "df", "variance", "share", "95% CI"):
                t.add_column(column, justify="left" if column == "source" else "right")
            for c in v.components:
                t.add_row(c.source, "-" if c.sum_sq is None else f"{c.sum_sq:.4g}", "-" if c.df is None else str(c.df),
                          "-" if c.variance is None else f"{c.variance:.3g}",
                          "-" if c.share is None else f"{c.share:.0%}",
                          "-" if c.share_ci is None else f"[{c.share_ci[0]:.0%}, {c.share_ci[1]:.0%}]")
            out.print(t)
        out.print(f"Harness or model: {v.note}.")

    t = Table(title="Outcomes (trials, excluding cancelled)", title_justify="left")
    for column in ("agent", "trials", "passed", *FAILURE_CATEGORIES, "infra share"):
        t.add_column(column.replace("_", " "), justify="left" if column == "agent" else "right")
    for r in report.failures:
        t.add_row(r.agent or "", str(r.trials), str(r.passed), *(str(r.categories[c]) for c in FAILURE_CATEGORIES),
                  _infra(r.infra))
    out.print(t)

    t = Table(title="Declared professional software (graded trials; pass rate within each)", title_justify="left")
    for column in ("agent", *SOFTWARE_USES):
        t.add_column(column.replace("_", " "), justify="left" if column == "agent" else "right")
    for r in report.software:
        t.add_row(r.agent or "", *(f"{r.counts[s]}" + ("" if r.pass_rates[s] is None else f" ({r.pass_rates[s]:.0%})")
                                   for s in SOFTWARE_USES))
    out.print(t)

    if report.failing_checks:
        t = Table(title="Checks that fail most, per task (top 3; failed / graded trials, all agents)",
                  title_justify="left")
        for column in ("task", "check", "failed", "graded", "rate"):
            t.add_column(column, justify="left" if column in ("task", "check") else "right")
        shown: dict[str, int] = {}
        for c in report.failing_checks:
            shown[c.task_id] = shown.get(c.task_id, 0) + 1
            if shown[c.task_id] <= 3 and len(shown) <= MAX_TASKS_SHOWN:
                t.add_row(c.task_id, c.check, str(c.failed), str(c.graded), f"{c.fail_rate:.0%}")
        out.print(t)
        if len(shown) > MAX_TASKS_SHOWN:
            out.print(f"({len(shown) - MAX_TASKS_SHOWN} more tasks: see --json, --csv or --html)")


def print_freshness(freshness: Freshness, out: Console) -> None:
    """Each agent's pass rate on tasks released after its model's knowledge cutoff against before it, the gap
    with its interval, then the leaderboard of each side."""
    t = Table(title="Fresh (released after the model's knowledge cutoff) against stale tasks; gap = stale - fresh, "
                    "> 0 is what contamination would show", title_justify="left")
    for column in ("agent", "cutoff", "fresh instances", "fresh pass", "stale instances", "stale pass", "gap",
                   "95% CI"):
        t.add_column(column, justify="left" if column == "agent" else "right")
    for r in freshness.rows:
        t.add_row(r.agent, r.knowledge_cutoff.isoformat(), str(r.fresh_instances), _rate(r.fresh_pass_rate),
                  str(r.stale_instances), _rate(r.stale_pass_rate),
                  "-" if r.gap is None else f"{r.gap:+.1%}" + (" *" if r.few_instances else ""), _ci(r.gap_ci))
    out.print(t)
    if any(r.few_instances for r in freshness.rows):
        out.print("* a side has fewer than 10 instances: the gap is a rough guide only")
    if freshness.undated_agents:
        out.print(f"no knowledge_cutoff in the config of: {', '.join(freshness.undated_agents)} (left out of the split)")
    if freshness.undated_tasks:
        out.print(f"no release date recorded for: {', '.join(freshness.undated_tasks)} (left out of the split)")
    for title, board in (("Fresh tasks", freshness.fresh), ("Stale tasks", freshness.stale)):
        out.print(f"[bold]{title}[/]" + ("" if board else ": none"))
        if board:
            print_leaderboard(board, out)


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"
