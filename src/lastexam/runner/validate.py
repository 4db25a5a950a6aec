"""``ale tasks check``, the validity gate: prove a task package works, and cannot be passed without the work.

For every variant (all run in real sandboxes, graded through the real grader runner and blame path):
- the instruction renders; the oracle (run under an exec log) scores 1.0 with a full pass; nop scores 0;
  grading the oracle's output again gives the same grade (determinism);
- near-miss adversaries: each script in the package's ``adversaries/`` (names starting with ``_``
  skipped) and ``fabricate.py`` run as a script agent; none may fully pass;
- ablations: the oracle's output with each declared deliverable in turn replaced by a right-shaped
  hollow stand-in (``ablation.py``) is regraded; none may fully pass.
Per task: every executable ``[software] executables`` declares is executed by the oracle on at least
one variant (the ``execve`` log of ``oracle:traced``), judged only when every variant is checked. With
``salted=N``, the oracle and nop also run on N fresh randomly salted instances per variant. A desktop
task's GUI-driven oracle (``gui_oracle/solve.sh``, the work done through ``ale-computer`` only) must score
1.0 too. With ``strict``, a package without adversaries, or a desktop task without a GUI-driven oracle, fails.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Awaitable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, Field

from lastexam.agents.registry import TRACED_ORACLE
from lastexam.analysis.facts import executable_pattern
from lastexam.contracts.trial import TrialResult
from lastexam.errors import GraderError
from lastexam.grading.blame import grade_output
from lastexam.grading.runner import run_grader
from lastexam.runner.ablation import ablated_copy
from lastexam.runner.trial import run_trial, trial_request
from lastexam.setup import missing_software
from lastexam.tasks.instance import Instance, instances_of
from lastexam.tasks.loader import Task

FABRICATOR = "fabricate.py"
ADVERSARIES_DIR = "adversaries"
GUI_ORACLE = "gui_oracle/solve.sh"
T = TypeVar("T")


class Probe(BaseModel):
    """One attempt at a full pass that must fail (an adversary or an ablation), and how it scored."""

    name: str = Field(description="'fabricate.py', 'adversaries/NAME' or 'ablation:DELIVERABLE'")
    score: float | None = Field(None, description="None: it could not be graded (an infrastructure error)")
    passed: bool = False
    detail: str = Field("", description="the stand-in an ablation used, or the infrastructure error")
    applicable: bool = Field(True, description="False for an ablation of a deliverable that the oracle's output "
                                               "lacks or that is already equal to its stand-in")


class SaltedRun(BaseModel):
    """The oracle and nop on one freshly salted instance."""

    salt_hash: str
    oracle_score: float | None = None
    nop_score: float | None = None


class VariantVerdict(BaseModel):
    instance: str
    oracle_score: float | None = None
    nop_score: float | None = None
    fabricate_score: float | None = None
    gui_oracle_score: float | None = Field(None, description="the GUI-driven oracle's score (desktop tasks only)")
    deterministic: bool = False
    probes: list[Probe] = []
    salted: list[SaltedRun] = []
    executed: list[str] = Field([], description="declared executables the oracle executed on this variant")
    problems: list[str] = []


class TaskVerdict(BaseModel):
    task: str
    ok: bool
    variants: list[VariantVerdict]
    adversaries: list[str] = Field([], description="the package's adversaries (fabricate.py and adversaries/*)")
    unused_executables: list[str] = Field([], description="declared, but executed by the oracle on no variant")
    problems: list[str] = []
    kept_runs: str | None = None


@dataclass(frozen=True)
class GateOptions:
    """Which parts of the gate run.

    ``variants``: the variants checked at all (None: every variant).
    ``probe_variants``: the variants adversaries and ablations run on (None: every variant checked).
    ``adversary_names``: the adversaries run, as labels ('fabricate.py', 'adversaries/NAME.py'; None: all).
    ``gui_oracle``: run a desktop task's ``gui_oracle/solve.sh`` on every variant checked.
    ``salted``: fresh random salts per variant on which the oracle and nop also run.
    ``strict``: a package with no ``adversaries/`` is a problem (else only reported).
    """

    jobs: int = 2
    adversaries: bool = True
    ablations: bool = True
    adversary_names: tuple[str, ...] | None = None
    gui_oracle: bool = True
    variants: tuple[int, ...] | None = None
    probe_variants: tuple[int, ...] | None = None
    salted: int = 0
    strict: bool = False


def adversaries_of(task: Task) -> list[Path]:
    """The package's adversary scripts: ``fabricate.py`` and every ``adversaries/*`` not starting with ``_``."""
    found = [task.path / FABRICATOR] if (task.path / FABRICATOR).is_file() else []
    folder = task.path / ADVERSARIES_DIR
    if folder.is_dir():
        found += sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("_"))
    return found


def check_task(task: Task, options: GateOptions | None = None, *, jobs: int | None = None) -> TaskVerdict:
    """Run the gate on every variant, ``options.jobs`` trials or grades at a time, in real sandboxes.

    Run directories are removed when the task passes and kept (path in ``kept_runs``) when not.
    """
    options = options or GateOptions()
    if jobs is not None:
        options = replace(options, jobs=jobs)
    missing = missing_software([task]) + ([] if shutil.which("strace") else ["strace"])
    if missing:
        return TaskVerdict(task=task.id, ok=False, variants=[],
                           problems=[f"missing software: {', '.join(missing)}; run `ale setup --tasks {task.id}`"])
    scratch = Path(tempfile.mkdtemp(prefix="ale-check-"))
    verdict = asyncio.run(_Gate(task, options, scratch).run())
    verdict.ok = not verdict.problems and all(not v.problems for v in verdict.variants)
    if verdict.ok:
        shutil.rmtree(scratch, ignore_errors=True)
    else:
        verdict.kept_runs = str(scratch)
    return verdict


class _Gate:
    def __init__(self, task: Task, options: GateOptions, scratch: Path) -> None:
        self.task, self.options, self.scratch = task, options, scratch
        self.slots = asyncio.Semaphore(options.jobs)
        found = adversaries_of(task) if options.adversaries else []
        wanted = options.adversary_names
        self.adversaries = [p for p in found if wanted is None or _label(task, p) in wanted]
        gui_oracle = task.path / GUI_ORACLE
        self.gui_oracle = gui_oracle if options.gui_oracle and gui_oracle.is_file() else None

    async def _limited(self, work: Awaitable[T]) -> T:
        async with self.slots:
            return await work

    def _trial(self, instance: Instance, agent: str, label: str) -> Awaitable[TrialResult]:
        run_dir = self.scratch / instance.id.replace("/", "__") / label
        return self._limited(run_trial(trial_request(instance, agent, 1, run_dir)))

    async def run(self) -> TaskVerdict:
        task = self.task
        chosen = self.options.variants
        instances = [i for i in instances_of(task) if chosen is None or i.variant in chosen]
        verdicts = await asyncio.gather(*(self._variant(i) for i in instances))
        problems = []
        if not (task.path / ADVERSARIES_DIR).is_dir() and self.options.strict:
            problems.append(f"no {ADVERSARIES_DIR}/ folder: the gate needs near-miss adversaries (see the README)")
        if task.spec.environment.display and not (task.path / GUI_ORACLE).is_file() and self.options.strict:
            problems.append(f"a desktop task needs a GUI-driven oracle: add {GUI_ORACLE}, which does the work through "
                            "ale-computer only (see docs/writing-tasks.md)")
        for path in self.adversaries:
            if path.name != FABRICATOR and not _runnable_script(path):
                problems.append(f"{_label(task, path)} is not an executable script with a shebang: chmod +x it and "
                                "start it with #!, or prefix its name with _ if it is not an adversary")
        executed = {name for v in verdicts for name in v.executed}
        # an executable a variant needs is judged unused only when every variant was checked
        judged = chosen is None and any(v.oracle_score is not None for v in verdicts)
        unused = [e for e in task.spec.software.executables if e not in executed] if judged else []
        if unused:
            problems.append(f"declared software the oracle never executed on any variant: {', '.join(unused)}; "
                            "make the oracle use it or remove it from [software] executables in task.toml")
        return TaskVerdict(task=task.id, ok=False, variants=list(verdicts), problems=problems,
                           adversaries=[str(p.relative_to(task.path)) for p in self.adversaries],
                           unused_executables=unused)

    def _probing(self, instance: Instance) -> bool:
        wanted = self.options.probe_variants
        return wanted is None or instance.variant in wanted

    async def _variant(self, instance: Instance) -> VariantVerdict:
        verdict = VariantVerdict(instance=instance.id)
        try:
            instance.render_instruction()
        except Exception as exc:
            verdict.problems.append(f"instruction.md does not render: {exc}")
        probing = self._probing(instance)
        adversaries = self.adversaries if probing else [a for a in self.adversaries if a.name == FABRICATOR]
        gui = [self._trial(instance, f"script:{self.gui_oracle}", "gui-oracle")] if self.gui_oracle else []
        oracle, nop, *others = await asyncio.gather(
            self._trial(instance, TRACED_ORACLE, "oracle"), self._trial(instance, "nop", "nop"), *gui,
            *(self._trial(instance, f"script:{path}", _label(self.task, path)) for path in adversaries))
        gui_results, adversary_results = others[:len(gui)], others[len(gui):]
        self._judge_floor_and_ceiling(verdict, oracle, nop)
        for result in gui_results:
            verdict.gui_oracle_score = None if result.status == "infra_error" else result.score
            verdict.problems += _full_pass_problems(f"the GUI-driven oracle ({GUI_ORACLE})", result)
        verdict.oracle_score = None if oracle.status == "infra_error" else oracle.score
        verdict.nop_score = None if nop.status == "infra_error" else nop.score
        for path, result in zip(adversaries, adversary_results, strict=True):
            name = _label(self.task, path)
            probe = Probe(name=name, score=None if result.status == "infra_error" else result.score,
                          passed=result.passed, detail=result.error or "")
            verdict.probes.append(probe)
            if path.name == FABRICATOR and path.parent == self.task.path:
                verdict.fabricate_score = probe.score
        if oracle.status != "infra_error":
            run_dir = Path(oracle.run_dir)
            verdict.executed = executed_declared(_read(run_dir / "logs" / "agent.stderr"),
                                                 self.task.spec.software.executables)
            verdict.deterministic = await self._limited(asyncio.to_thread(_regrade_same, instance, oracle))
            if not verdict.deterministic:
                verdict.problems.append("grading the same output twice gave different grades")
            if probing and self.options.ablations and oracle.passed:
                verdict.probes += await asyncio.gather(*(
                    self._limited(asyncio.to_thread(self._ablate, instance, run_dir, d.path))
                    for d in self.task.spec.deliverables))
        for probe in verdict.probes:
            if not probe.applicable:
                continue
            if probe.score is None:
                verdict.problems.append(f"{probe.name}: infrastructure error: {probe.detail}")
            elif probe.passed:
                verdict.problems.append(f"{probe.name} fully passed (score {probe.score:.3f}): the grader rewards "
                                        f"output made without the work{_stand_in_note(probe)}")
        for k in range(self.options.salted):
            verdict.salted.append(await self._salted(instance, k, verdict))
        return verdict

    @staticmethod
    def _judge_floor_and_ceiling(verdict: VariantVerdict, oracle: TrialResult, nop: TrialResult,
                                 what: str = "") -> None:
        """Problems unless the oracle fully passes with 1.0 and nop scores 0; ``what`` prefixes each."""
        verdict.problems += _full_pass_problems(f"{what}oracle", oracle)
        if nop.status == "infra_error":
            verdict.problems.append(f"{what}nop: infrastructure error: {nop.error}")
        elif nop.score != 0.0:
            verdict.problems.append(f"{what}nop scored {nop.score:.3f}; it must score 0")

    async def _salted(self, instance: Instance, k: int, verdict: VariantVerdict) -> SaltedRun:
        salted = instance.salted(secrets.token_hex(16))
        oracle, nop = await asyncio.gather(self._trial(salted, "oracle", f"salted-{k}-oracle"),
                                           self._trial(salted, "nop", f"salted-{k}-nop"))
        assert salted.salt_hash is not None
        self._judge_floor_and_ceiling(verdict, oracle, nop, what=f"salted instance {salted.salt_hash}: ")
        return SaltedRun(salt_hash=salted.salt_hash,
                         oracle_score=None if oracle.status == "infra_error" else oracle.score,
                         nop_score=None if nop.status == "infra_error" else nop.score)

    def _ablate(self, instance: Instance, oracle_run: Path, deliverable: str) -> Probe:
        name = f"ablation:{deliverable}"
        target = self.scratch / instance.id.replace("/", "__") / "ablation" / deliverable.replace("/", "__")
        target.parent.mkdir(parents=True, exist_ok=True)
        stand_in = ablated_copy(oracle_run / "output", deliverable, target)
        if stand_in is None:
            return Probe(name=name, applicable=False, detail="not applicable: the deliverable is absent from the "
                                                            "oracle's output or is already hollow")
        try:
            grade = grade_output(self.task.path, target, oracle_run / "private" / "input",
                                 oracle_run / "private" / "reference", instance.params,
                                 timeout=self.task.spec.grader_timeout_sec)
        except GraderError as exc:
            return Probe(name=name, detail=f"{stand_in}: {exc}")
        return Probe(name=name, score=grade.score, passed=grade.passed, detail=stand_in)


def _full_pass_problems(who: str, result: TrialResult) -> list[str]:
    """The problem (none or one) with an oracle's trial, which must fully pass with 1.0: an infrastructure
    error, or its score and the checks it failed."""
    if result.status == "infra_error":
        return [f"{who}: infrastructure error: {result.error}"]
    if result.passed and result.score == 1.0:
        return []
    failing = [f"{c.name} ({c.reason})" for c in result.checks if not c.passed]
    return [f"{who} scored {result.score:.3f}, failing: {'; '.join(failing) or result.error or result.agent_outcome}"]


def _stand_in_note(probe: Probe) -> str:
    return f" (stand-in: {probe.detail})" if probe.name.startswith("ablation:") else ""


def _label(task: Task, path: Path) -> str:
    return str(path.relative_to(task.path))


def _runnable_script(path: Path) -> bool:
    with open(path, "rb") as handle:
        return os.access(path, os.X_OK) and handle.read(2) == b"#!"


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.is_file() else ""


def _regrade_same(instance: Instance, oracle: TrialResult) -> bool:
    run_dir = Path(oracle.run_dir)
    again = run_grader(instance.task.path, run_dir / "output", run_dir / "private" / "input",
                       run_dir / "private" / "reference", instance.params,
                       timeout=instance.task.spec.grader_timeout_sec)
    return [c.model_dump() for c in again.checks] == [c.model_dump() for c in oracle.checks]


_EXECVE = re.compile(r'^(?:\[pid\s+\d+\]\s+)?execve\((".*?\]),[^\n]*?(?:= (-?\d+)|<unfinished \.\.\.>)', re.M)


def executed_declared(exec_log: str, executables: list[str]) -> list[str]:
    """The declared ``executables`` that an strace ``execve`` log (``EXEC_TRACE``) shows executed.

    A program counts when its path or an argument names it (``python3 /usr/bin/gdal_sieve.py`` runs
    ``gdal_sieve.py``); failed calls (a ``PATH`` search missing) do not count.
    """
    calls = [m[1] for m in _EXECVE.finditer(exec_log) if m[2] in (None, "0")]
    found = []
    for name in executables:
        pattern = executable_pattern([name])
        if pattern is not None and any(pattern.search(call) for call in calls):
            found.append(name)
    return found
