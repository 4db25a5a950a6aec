"""The validity gate's verdict table: one row per task, variant and check, and the problems in words."""

from __future__ import annotations

from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lastexam.runner.validate import TaskVerdict


class VerdictRow(BaseModel):
    """One line of the table: ``check`` is oracle, nop, the GUI-driven oracle, determinism, an adversary, an ablation, salted runs
    or declared software; ``ok`` says whether it holds."""

    task: str
    variant: str
    check: str
    score: float | None
    ok: bool
    detail: str = ""


def _score_ok(score: float | None, want: float) -> bool:
    return score is not None and score == want


def verdict_rows(verdicts: list[TaskVerdict]) -> list[VerdictRow]:
    """Every check of every task and variant as rows, in the order they were run."""
    rows = []
    for task in verdicts:
        for v in task.variants:
            variant = v.instance.rsplit("@", 1)[-1]

            def row(check: str, score: float | None, ok: bool, detail: str = "", task_id: str = task.task,
                    variant: str = variant) -> None:
                rows.append(VerdictRow(task=task_id, variant=variant, check=check, score=score, ok=ok, detail=detail))

            row("oracle", v.oracle_score, _score_ok(v.oracle_score, 1.0))
            row("nop", v.nop_score, _score_ok(v.nop_score, 0.0))
            if v.gui_oracle_score is not None or any("GUI-driven oracle" in p for p in v.problems):
                row("GUI-driven oracle", v.gui_oracle_score, _score_ok(v.gui_oracle_score, 1.0))
            row("determinism", None, v.deterministic)
            for probe in v.probes:
                row(probe.name, probe.score, not probe.applicable or (probe.score is not None and not probe.passed),
                    probe.detail)
            for salted in v.salted:
                row(f"salted {salted.salt_hash}", salted.oracle_score,
                    _score_ok(salted.oracle_score, 1.0) and _score_ok(salted.nop_score, 0.0),
                    f"oracle {salted.oracle_score}, nop {salted.nop_score}")
        declared = "all executed by the oracle" if not task.unused_executables else \
            "never executed: " + ", ".join(task.unused_executables)
        if task.variants:
            rows.append(VerdictRow(task=task.task, variant="*", check="declared software", score=None,
                                   ok=not task.unused_executables, detail=declared))
        if not any(a.startswith("adversaries/") for a in task.adversaries):
            rows.append(VerdictRow(task=task.task, variant="*", check="adversaries", score=None,
                                   ok=not any("adversaries/" in p for p in task.problems),
                                   detail="no adversaries/ script ran (the package has none, or --no-probes)"))
    return rows


def print_verdicts(verdicts: list[TaskVerdict], out: Console) -> None:
    """The table, then each failing task's problems (task, variant, what, score) and where its runs were kept."""
    table = Table("task", "variant", "check", "score", "verdict", "detail", title="Validity gate", title_justify="left")
    for r in verdict_rows(verdicts):
        table.add_row(r.task, r.variant, escape(r.check), "-" if r.score is None else f"{r.score:.3f}",
                      "[green]ok[/]" if r.ok else "[red]FAIL[/]", escape(r.detail))
    out.print(table)
    for task in verdicts:
        mark = "[green]OK[/]" if task.ok else "[red]FAIL[/]"
        out.print(f"{mark} {task.task}")
        for problem in task.problems:
            out.print(f"    {escape(problem)}")
        for v in task.variants:
            for problem in v.problems:
                out.print(f"    {v.instance}: {escape(problem)}")
        if task.kept_runs:
            out.print(f"    run directories (logs, output, grade) kept in {task.kept_runs}")
