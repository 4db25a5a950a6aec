"""Which tasks hold a recorded pass of the suite-wide validity gate for their current files and framework.

``scripts/check-suite`` runs the whole gate (``--salted 1 --strict``) and keeps each verdict in a record; this
reads that record back, so a task changed since its gate (or a framework changed since the suite's) shows as
not covered, and the closest call of each covered task (its highest-scoring adversary or ablation) is at hand.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from lastexam.runner.gate_record import GateRecord, framework_digest, gate_key
from lastexam.runner.validate import GateOptions, TaskVerdict
from lastexam.tasks.loader import Task

SUITE_GATE = GateOptions(salted=1, strict=True)
"""The options of the suite-wide gate (``scripts/check-suite``); ``jobs`` is not part of a verdict's key."""


class GateStatus(BaseModel):
    """One task's standing: ``passed`` when the record holds a passing verdict for the task's current files,
    the current framework and ``SUITE_GATE``; the figures below come from that verdict (None without one)."""

    task: str
    passed: bool
    recorded_at: datetime | None = None
    host: str | None = None
    lowest_oracle: float | None = None
    highest_nop: float | None = None
    closest_probe: str | None = None
    closest_score: float | None = None


def _figures(verdict: TaskVerdict) -> dict:
    oracles = [v.oracle_score for v in verdict.variants] + [v.gui_oracle_score for v in verdict.variants] + \
        [s.oracle_score for v in verdict.variants for s in v.salted]
    nops = [v.nop_score for v in verdict.variants] + [s.nop_score for v in verdict.variants for s in v.salted]
    probes = [(p.score, f"{p.name}@{v.instance.rsplit('@', 1)[-1]}") for v in verdict.variants for p in v.probes
              if p.applicable and p.score is not None]
    score, name = max(probes) if probes else (None, None)
    return {"lowest_oracle": min((s for s in oracles if s is not None), default=None),
            "highest_nop": max((s for s in nops if s is not None), default=None),
            "closest_probe": name, "closest_score": score}


def gate_status(tasks: list[Task], record: GateRecord, options: GateOptions = SUITE_GATE) -> list[GateStatus]:
    """Each task's standing in ``record`` under ``options`` and the installed framework, in the order given."""
    framework = framework_digest()
    statuses = []
    for task in tasks:
        found = record.passed(gate_key(task, options, framework))
        statuses.append(GateStatus(task=task.id, passed=False) if found is None else GateStatus(
            task=task.id, passed=True, recorded_at=found.recorded_at, host=found.host, **_figures(found.verdict)))
    return statuses


def print_gate_status(statuses: list[GateStatus], console: Console) -> None:
    """A table of ``statuses`` and a count of the tasks covered."""
    table = Table("task", "gate", "recorded", "lowest oracle", "highest nop", "closest call")
    for s in statuses:
        table.add_row(s.task, "[green]passed[/]" if s.passed else "[red]not covered[/]",
                      f"{s.recorded_at:%Y-%m-%d %H:%M}" if s.recorded_at else "",
                      "" if s.lowest_oracle is None else f"{s.lowest_oracle:.3f}",
                      "" if s.highest_nop is None else f"{s.highest_nop:.3f}",
                      "" if s.closest_score is None else f"{s.closest_score:.3f} {s.closest_probe}")
    console.print(table)
    console.print(f"{sum(s.passed for s in statuses)} of {len(statuses)} tasks hold a recorded pass of the full gate "
                  "for their current files and framework")
