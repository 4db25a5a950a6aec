"""The ``ale`` command line: a thin layer over functions a Python user can call."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Literal, TextIO

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lastexam.agents.registry import default_agents_dir, list_agents
from lastexam.analysis.leaderboard import build_leaderboard
from lastexam.analysis.report import ReportOptions, build_report
from lastexam.contracts.trial import DEFAULT_MAX_WALL, TrialRequest, TrialResult
from lastexam.errors import ConfigError, LastExamError
from lastexam.grading.probes import JUDGE_ENV, load_judge
from lastexam.report.export import write_csv
from lastexam.report.gate_status import gate_status, print_gate_status
from lastexam.report.html import render_html
from lastexam.report.public import public_export
from lastexam.report.text import print_leaderboard, print_report, terminal
from lastexam.report.verdict import print_verdicts
from lastexam.runner.config import ExperimentConfig
from lastexam.runner.experiment import plan_instances, run_experiment
from lastexam.runner.gate_record import GateRecord, framework_digest, gate_key
from lastexam.runner.manifest import Manifest, diff_manifests, pooling_warning
from lastexam.runner.regrade import regrade_experiment
from lastexam.runner.validate import GateOptions, check_task
from lastexam.setup import install
from lastexam.store.db import ResultsStore, default_db_url
from lastexam.tasks.bundle import bundle_cache, new_keys, open_bundle, pack_public
from lastexam.tasks.bundle import pack as pack_bundle
from lastexam.tasks.bundle import retire as retire_bundle
from lastexam.tasks.canary import scan
from lastexam.tasks.catalog import catalog_entries, coverage, coverage_lines, write_catalog
from lastexam.tasks.instance import salt_hash
from lastexam.tasks.loader import Task, default_tasks_root, discover_tasks
from lastexam.tasks.select import select_instances

app = typer.Typer(help="Agents' Last Exam: run agents on real professional work and score what they leave behind.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
tasks_app = typer.Typer(help="List, inspect and check task packages.", no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")
keys_app = typer.Typer(help="Keys for sealed task bundles.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
manifest_app = typer.Typer(help="Reproducibility manifests of experiments.", no_args_is_help=True)
app.add_typer(manifest_app, name="manifest")
canary_app = typer.Typer(help="Find task canaries in texts (contamination checks).", no_args_is_help=True)
app.add_typer(canary_app, name="canary")
agents_app = typer.Typer(help="List the agents that can run here.", no_args_is_help=True)
app.add_typer(agents_app, name="agents")
console = Console(stderr=True)

Executors = Literal["local", "ray"]
ResultsDir = Annotated[Path, typer.Option("--results-dir", help="Where the default SQLite file and runs live.")]
DbOption = Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL of the results database.")]
SaltOption = Annotated[str | None, typer.Option(
    "--salt", envvar="ALE_SALT", show_default=False,
    help="A secret mixed into every variant's seed: instances nobody can regenerate from the public seeds. "
         "Only its hash is recorded.")]
JudgeOption = Annotated[Path | None, typer.Option(
    "--judge", envvar=JUDGE_ENV, show_default=False,
    help="YAML file naming the judge model that answers the graders' yes/no probes (model, base_url, api_key_env); "
         "without one, probe checks are not graded and never pass.")]


def _use_judge(judge: Path | None) -> None:
    """Check the judge config now (a bad file is a clear error before any trial) and name it to the graders."""
    if judge is not None:
        load_judge(judge)
        os.environ[JUDGE_ENV] = str(judge.resolve())


def _fail(exc: Exception) -> None:
    console.print(f"[bold red]error:[/] {escape(str(exc))}")
    raise typer.Exit(2)


def _tasks(tasks_dir: Path | None, *, import_graders: bool = False) -> tuple[list[Task], Path]:
    """The loadable tasks; each package that does not load is reported on stderr and left out. Their
    ``task.py`` is imported (and checked) only with ``import_graders``: listing tasks loads none of their
    dependencies."""
    root = tasks_dir or default_tasks_root()
    problems: list[ConfigError] = []
    tasks = discover_tasks(root, problems=problems, import_graders=import_graders)
    for problem in problems:
        console.print(f"[yellow]skipped a broken task package:[/] {problem}")
    return tasks, root


def stdout_for_json_only() -> TextIO:
    """Point file descriptor 1 at stderr for the rest of the process and return a stream on the real stdout.

    Whatever else writes to stdout from then on (a library's thread, native code: Ray's driver prints its
    cluster notices there) lands on stderr, so the one JSON document written to the returned stream stays
    parseable. Where stdout is no file descriptor (an in-process test runner), returns ``sys.stdout`` unchanged.
    """
    try:
        real = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return sys.stdout
    sys.stdout.flush()
    saved = os.fdopen(os.dup(real), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), real)
    return saved


def _chosen_tasks(selectors: list[str], tasks: list[Task], root: Path) -> list[Task]:
    """The tasks the selectors name (each once, in selection order), with the suites beside ``root``."""
    return list({i.task.id: i.task for i in select_instances(selectors, tasks, root.parent / "suites")}.values())


@tasks_app.command("list")
def tasks_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    tasks_dir: Annotated[Path | None, typer.Option("--tasks-dir")] = None,
) -> None:
    """List the task packages."""
    try:
        tasks, _ = _tasks(tasks_dir)
    except LastExamError as exc:
        _fail(exc)
    entries = catalog_entries(tasks)
    if as_json:
        print(json.dumps([e.model_dump(mode="json") for e in entries], indent=2))
        return
    table = Table("id", "tier", "subdomain", "variants", "title")
    for e in entries:
        table.add_row(e.id, e.tier, e.subdomain, str(e.variants), e.title)
    Console().print(table)


@tasks_app.command("show")
def tasks_show(task_id: str, tasks_dir: Annotated[Path | None, typer.Option("--tasks-dir")] = None) -> None:
    """Show a task's metadata and the instruction of its first variant."""
    try:
        tasks, root = _tasks(tasks_dir)
        instances = select_instances([task_id], tasks, root.parent / "suites")
    except LastExamError as exc:
        _fail(exc)
    task = instances[0].task
    print(task.spec.model_dump_json(indent=2))
    print(f"\n--- instruction ({instances[0].id}) ---\n{instances[0].render_instruction()}")


@tasks_app.command("check")
def tasks_check(
    selectors: Annotated[list[str] | None, typer.Argument(help="Task ids or selectors; default: every task.")] = None,
    tasks_dir: Annotated[Path | None, typer.Option("--tasks-dir")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdicts as JSON on stdout.")] = False,
    jobs: Annotated[int, typer.Option("--jobs", min=1)] = 2,
    salted: Annotated[int, typer.Option("--salted", min=0, help="Also run oracle and nop on N fresh random salts "
                                                                 "per variant.")] = 0,
    variant: Annotated[list[int] | None, typer.Option(
        "--variant", help="Check this variant only (repeat; default: all). The declared software is judged only "
                          "when every variant is checked.")] = None,
    probe_variant: Annotated[list[int] | None, typer.Option(
        "--probe-variant", help="Run adversaries and ablations on this variant only (repeat; default: all).")] = None,
    no_probes: Annotated[bool, typer.Option("--no-probes", help="Skip adversaries/ and ablations.")] = False,
    adversary: Annotated[list[str] | None, typer.Option(
        "--adversary", help="Run this adversary only, by its path in the package, e.g. adversaries/no_filter.py "
                            "or fabricate.py (repeat; default: all).")] = None,
    no_gui_oracle: Annotated[bool, typer.Option(
        "--no-gui-oracle", help="Skip desktop tasks' GUI-driven oracles (gui_oracle/solve.sh).")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="A task without adversaries/ fails.")] = False,
    record: Annotated[Path | None, typer.Option(
        "--record", help="Append each verdict to this JSONL record; a task whose passing verdict it holds for the "
                         "same task files, framework and options is not run again (resume a suite-wide gate).")] = None,
    judge: JudgeOption = None,
) -> None:
    """The validity gate: oracle 1.0 (a desktop task's GUI-driven oracle too), nop 0, determinism, every adversary
    and ablation short of a full pass, declared software executed by the oracle; a verdict table, exit status 1
    on any problem."""
    try:
        _use_judge(judge)
        tasks, root = _tasks(tasks_dir, import_graders=True)
        chosen = _chosen_tasks(selectors or ["*/*"], tasks, root)
        kept = GateRecord(record) if record else None
    except LastExamError as exc:
        _fail(exc)
    options = GateOptions(jobs=jobs, adversaries=not no_probes, ablations=not no_probes, salted=salted,
                          adversary_names=tuple(adversary) if adversary else None, gui_oracle=not no_gui_oracle,
                          variants=tuple(variant) if variant else None,
                          probe_variants=tuple(probe_variant) if probe_variant else None, strict=strict)
    verdicts = []
    framework = framework_digest()
    for task in chosen:
        key = gate_key(task, options, framework)
        recorded = kept.passed(key) if kept else None
        verdict = recorded.verdict if recorded else check_task(task, options)
        if kept and not recorded:
            kept.add(key, verdict)
        verdicts.append(verdict)
        since = f" (recorded {recorded.recorded_at:%Y-%m-%d %H:%M} on {recorded.host})" if recorded else ""
        console.print(f"{'[green]OK[/]' if verdict.ok else '[red]FAIL[/]'} {task.id}{since}")
    print_verdicts(verdicts, console if console.is_terminal else Console(stderr=True, width=200))
    if as_json:
        print(json.dumps([v.model_dump() for v in verdicts], indent=2))
    raise typer.Exit(0 if all(v.ok for v in verdicts) else 1)


@tasks_app.command("gate-status")
def tasks_gate_status(
    selectors: Annotated[list[str] | None, typer.Argument(help="Task ids or selectors; default: every task.")] = None,
    record: Annotated[Path, typer.Option("--record", help="The suite-wide gate's record (scripts/check-suite).")]
    = Path("suites/gate-record.jsonl"),
    tasks_dir: Annotated[Path | None, typer.Option("--tasks-dir")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """Which tasks hold a recorded pass of the full gate (`scripts/check-suite`) for their current files and
    framework, with each one's lowest oracle, highest nop and closest adversary or ablation; exit status 1 when
    any task is not covered."""
    try:
        tasks, root = _tasks(tasks_dir)
        chosen = _chosen_tasks(selectors or ["*/*"], tasks, root)
        statuses = gate_status(chosen, GateRecord(record))
    except LastExamError as exc:
        _fail(exc)
    if as_json:
        print(json.dumps([s.model_dump(mode="json") for s in statuses], indent=2))
    else:
        print_gate_status(statuses, console)
    raise typer.Exit(0 if all(s.passed for s in statuses) else 1)


@tasks_app.command("catalog")
def tasks_catalog(
    out: Annotated[Path, typer.Option("--out", help="Directory for catalog.md, catalog.json and coverage.json.")]
    = Path("catalog"),
    tasks_dir: Annotated[Path | None, typer.Option("--tasks-dir")] = None,
) -> None:
    """Write the task catalog as Markdown and JSON, and print the suite's coverage of the taxonomy."""
    try:
        tasks, _ = _tasks(tasks_dir)
    except LastExamError as exc:
        _fail(exc)
    for path in write_catalog(tasks, out):
        console.print(f"wrote {path}")
    Console().print(Markdown("\n".join(coverage_lines(coverage(tasks)))))


@canary_app.command("scan")
def canary_scan(
    files: Annotated[list[Path], typer.Argument(help="Files to search (a model's output, a corpus shard).")],
    tasks_dir: Annotated[Path | None, typer.Option("--tasks-dir")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Report every task canary found in FILES; exit 1 when any is found, 0 when none is."""
    try:
        tasks, _ = _tasks(tasks_dir)
        hits = scan(files, tasks)
    except (LastExamError, OSError) as exc:
        _fail(exc)
    if as_json:
        print(json.dumps([dataclasses.asdict(h) for h in hits], indent=2))
    else:
        for hit in hits:
            print(f"{hit.path}: {hit.canary} ({hit.task or 'a task not in these packages'})")
        console.print(f"{len(hits)} canar{'y' if len(hits) == 1 else 'ies'} found in {len(files)} file(s)")
    raise typer.Exit(1 if hits else 0)


@agents_app.command("list")
def agents_list(
    agents_dir: Annotated[Path | None, typer.Option("--agents-dir", help="Where agent configs live.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """The built-in agents and the configs in agents/: what each needs and whether it is present."""
    entries = list_agents(agents_dir or default_agents_dir())
    if as_json:
        print(json.dumps([e.model_dump() for e in entries], indent=2))
        return
    table = Table("--agent", "recorded as", "needs", "ready")
    for e in entries:
        needs = ", ".join(f"{'$' if r.kind == 'env' else ''}{r.name}{'' if r.present else ' (missing)'}"
                          for r in e.requirements)
        table.add_row(e.spec, e.name or "", e.problem or needs or "-", "[green]yes[/]" if e.ready else "[red]no[/]")
    Console().print(table)


@app.command()
def setup(
    selectors: Annotated[list[str] | None, typer.Option("--tasks", help="Selectors; default: every task.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
    tasks_dir: Annotated[Path | None, typer.Option("--tasks-dir")] = None,
    agents: Annotated[list[str] | None, typer.Option(
        "--agents", help="Agent CLIs to install too: claude_code, codex, gemini_cli, mini_swe_agent or all.")] = None,
) -> None:
    """Install bubblewrap and the software the selected tasks declare (apt, and the sandbox tool venv)."""
    try:
        tasks, root = _tasks(tasks_dir)
        if selectors:
            tasks = _chosen_tasks(selectors, tasks, root)
        for line in install(tasks, dry_run=dry_run, agents=agents):
            console.print(line)
    except LastExamError as exc:
        _fail(exc)


@app.command()
def run(
    agent: Annotated[list[str], typer.Option("--agent", help="oracle, nop, script:PATH or agents/NAME.yaml; repeat for several.")],
    selectors: Annotated[list[str], typer.Option("--tasks", help="Instance selectors; repeat for several.")],
    name: Annotated[str | None, typer.Option("--name", help="Experiment name; an existing one is resumed.")] = None,
    jobs: Annotated[int, typer.Option("--jobs", min=1)] = 2,
    epochs: Annotated[int, typer.Option("--epochs", min=1)] = 1,
    max_wall: Annotated[float, typer.Option("--max-wall", help="Cap on any agent's wall time, seconds.")] = DEFAULT_MAX_WALL,
    retries: Annotated[int, typer.Option("--retries", min=0, help="Extra attempts after an infra_error.")] = 2,
    db: DbOption = None,
    runs_dir: Annotated[Path | None, typer.Option("--runs-dir")] = None,
    results_dir: ResultsDir = Path("ale-results"),
    tasks_dir: Annotated[Path | None, typer.Option("--tasks-dir")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="End with one JSON object of the trials.")] = False,
    identity: Annotated[Path | None, typer.Option("--identity", help="age identity that opens a --tasks pool.ale.")] = None,
    signer: Annotated[str | None, typer.Option("--signer", help="The bundle maker's signer.pub (file or hex).")] = None,
    salt: SaltOption = None,
    judge: JudgeOption = None,
    executor_name: Annotated[Executors, typer.Option(
        "--executor", help="Where trials run: local (--jobs at once on this machine) or ray (a Ray cluster).")] = "local",
    ray_address: Annotated[str | None, typer.Option(
        "--ray-address", help="The Ray cluster to join (host:port of the head); default: $RAY_ADDRESS, a cluster "
                              "running on this machine, or a new one here.")] = None,
    artifacts: Annotated[str | None, typer.Option(
        "--artifacts", help="Shared storage the finished run directories are published to: file:///shared/path or "
                            "s3://bucket/prefix (with --executor ray, default: file:// of the runs directory).")] = None,
    video: Annotated[bool, typer.Option(
        "--video", help="Record the desktop of GUI tasks as video (logs/video/ in each run directory).")] = False,
) -> None:
    """Run agents on instances in sandboxes, grade, record, and print the leaderboard."""
    json_out = stdout_for_json_only() if as_json else sys.stdout
    try:
        _use_judge(judge)
        if bundles := [s for s in selectors if s.endswith(".ale")]:
            tasks_dir, selectors = _open_bundles(bundles, selectors, identity, signer)
        config = ExperimentConfig(
            agents=agent, selectors=selectors, epochs=epochs, jobs=jobs, max_wall=max_wall, retries=retries,
            results_dir=results_dir, db_url=db, runs_dir=runs_dir, tasks_dir=tasks_dir, salt=salt,
            artifacts=artifacts, video=video, **({"name": name} if name else {}),
        )
        if executor_name == "ray" and config.artifacts is None:
            config.artifacts = f"file://{config.resolved_runs_dir}"
        problems: list[ConfigError] = []
        total = len(plan_instances(config, problems)) * len(agent) * epochs
    except (LastExamError, ValueError) as exc:
        _fail(exc)
    for problem in problems:
        console.print(f"[yellow]skipped a broken task package:[/] {problem}")
    console.print(f"experiment [bold]{config.name}[/]: {total} trials, results in {config.resolved_db_url}; "
                  + (f"salted instances: hash {salt_hash(salt)}" if salt else "public instances"))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False, disable=not sys.stderr.isatty()) as progress:
        bar = progress.add_task("trials", total=total)

        def on_event(kind: str, request: TrialRequest, result: TrialResult | None) -> None:
            if kind == "finished" and result is not None:
                if result.status != "infra_error":
                    progress.advance(bar)
                console.print(f"  {result.status:<11} {result.score:5.3f}  {request.agent}  {request.instance_id}"
                              f" (epoch {request.epoch}){'  ' + (result.error or '') if result.error else ''}")

        try:
            executor = None
            if executor_name == "ray":
                try:
                    from lastexam.runner.ray_executor import RayExecutor  # Ray loads only when asked for
                except ImportError as exc:
                    raise LastExamError(f"--executor ray needs Ray ({exc}). Fix: install the cluster extra "
                                        "(uv sync --extra cluster, or pip install 'lastexam[cluster]')") from exc
                executor = RayExecutor(ray_address)
            outcome = run_experiment(config, on_event=on_event, executor=executor)
        except LastExamError as exc:
            _fail(exc)
        progress.update(bar, completed=total - sum(1 for r in outcome.recorded if r.status not in ("passed", "failed")))
    if outcome.skipped:
        console.print(f"{outcome.skipped} trials were already finished and were skipped")
    if outcome.cancelled:
        console.print("[yellow]cancelled[/]: finished trials are recorded; run the same command to resume")
    store = ResultsStore(config.resolved_db_url)
    experiment_id = store.experiment_id(config.name)
    rows = store.trial_rows([experiment_id]) if experiment_id is not None else []
    # With --json, stdout carries the JSON alone (so it can be piped); the tables go to stderr.
    print_leaderboard(build_leaderboard(rows), console if as_json else terminal())
    if as_json:
        trials = [
            {"instance": r["instance"], "agent": r["agent"], "epoch": r["epoch"], "status": r["status"],
             "agent_outcome": r["agent_outcome"], "score": r["score"], "passed": r["passed"], "run_dir": r["run_dir"],
             "attempts": r["attempts"], "error": r["error"]}
            for r in rows
        ]
        print(json.dumps({"experiment": config.name, "trials": trials}, indent=2), file=json_out, flush=True)
    raise typer.Exit(130 if outcome.cancelled else 0)


@app.command()
def regrade(
    name: Annotated[str, typer.Option("--name", help="Experiment to re-score.")],
    db: DbOption = None,
    results_dir: ResultsDir = Path("ale-results"),
    tasks_dir: Annotated[Path | None, typer.Option("--tasks-dir")] = None,
    salt: SaltOption = None,
    judge: JudgeOption = None,
) -> None:
    """Re-score stored outputs with the current graders, without rerunning any agent (salted trials need the
    salt they were run with). Run directories are looked for under --results-dir first; a trial that cannot be
    regraded keeps its grade, is listed, and the command exits 1 after regrading the others."""
    try:
        _use_judge(judge)
        store = ResultsStore(db or default_db_url(results_dir))
        outcome = regrade_experiment(store, name, tasks_dir or default_tasks_root(), results_dir, salt=salt)
    except LastExamError as exc:
        _fail(exc)
    console.print(f"regraded {outcome.total} trials of {name}; {outcome.changed} changed score or status")
    for problem in outcome.problems:
        console.print(f"[bold red]not regraded:[/] {escape(problem)}")
    if outcome.problems:
        raise typer.Exit(1)


@app.command()
def report(
    name: Annotated[list[str] | None, typer.Option("--name", help="Experiments (repeat for several); default: all.")] = None,
    db: DbOption = None,
    results_dir: ResultsDir = Path("ale-results"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole report as one JSON object.")] = False,
    csv_dir: Annotated[Path | None, typer.Option("--csv", help="Also write every table as CSV into this directory.")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Also write a self-contained HTML report to this file.")] = None,
    public: Annotated[Path | None, typer.Option("--public", help="Also write the public aggregates (no instance "
                                                "ids; cells under 10 instances withheld) to this JSON file.")] = None,
    compare: Annotated[list[str] | None, typer.Option("--compare", help="Two agents to compare: --compare A --compare B.")] = None,
    pairs: Annotated[bool, typer.Option("--pairs", help="Compare every pair of agents (Holm-adjusted).")] = False,
    resamples: Annotated[int, typer.Option("--resamples", min=100, help="Bootstrap resamples.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed (same seed, same intervals).")] = 20240601,
    tasks_dir: Annotated[Path | None, typer.Option("--tasks-dir", help="Task packages (for declared software).")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Count infrastructure errors left after retries as failed "
                                                          "trials (score 0) instead of leaving them out.")] = False,
    common_instances: Annotated[bool, typer.Option("--common-instances", help="Keep only the instances every agent "
                                                   "has a graded trial on (for pooled experiments).")] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Split every leaderboard into tasks released after each "
                                        "model's knowledge_cutoff and before it, with the gap (contamination).")] = False,
) -> None:
    """Leaderboard with bootstrap intervals (overall, by tier, cluster, subdomain; pass@k), cost and time with the
    Pareto frontier, paired comparisons, harness/model variance, failure breakdown and software use."""
    try:
        options = ReportOptions(experiments=name or None, compare=compare or [], pairs=pairs, resamples=resamples,
                                seed=seed, tasks_dir=tasks_dir, strict=strict, fresh=fresh,
                                common_instances=common_instances)
        store = ResultsStore(db or default_db_url(results_dir))
        result = build_report(store, options)
    except (LastExamError, ValueError) as exc:
        _fail(exc)
    if warning := pooling_warning(_manifests_of(store, name or store.experiment_names())):
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    if csv_dir is not None:
        for path in write_csv(result, csv_dir):
            console.print(f"wrote {path}")
    if public is not None:
        public.parent.mkdir(parents=True, exist_ok=True)
        public.write_text(json.dumps(public_export(result), indent=2) + "\n")
        console.print(f"wrote {public}")
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(render_html(result), encoding="utf-8")
        console.print(f"wrote {html}")
    if as_json:
        print(result.model_dump_json(indent=2))
    else:
        print_report(result, terminal())


@app.command()
def view(
    db: DbOption = None,
    results_dir: ResultsDir = Path("ale-results"),
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8765,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (local only by default).")] = "127.0.0.1",
    tasks_dir: Annotated[Path | None, typer.Option("--tasks-dir", help="Task packages (for their declared "
                                                   "deliverables, the only reference files shown).")] = None,
) -> None:
    """Browse experiments, the leaderboard and every trial (trajectory, checks, output, diff) in a local web app."""
    try:
        from lastexam.web.app import serve
    except ImportError as exc:
        _fail(LastExamError(f"the viewer needs the 'web' extra ({exc.name} is missing). "
                            "Fix: pip install 'lastexam[web]'"))
    console.print(f"viewer on http://{host}:{port}/ (Ctrl-C to stop)")
    serve(ResultsStore(db or default_db_url(results_dir)), results_dir, tasks_dir=tasks_dir, host=host, port=port)


def _open_bundles(bundles: list[str], selectors: list[str], identity: Path | None,
                  signer: str | None) -> tuple[Path, list[str]]:
    """Open the one bundle among ``selectors``; its task packages become the tasks to run."""
    if len(bundles) > 1 or signer is None:
        raise ConfigError(None, "--tasks", "a run takes one bundle, with its maker (and the key to open a sealed one)",
                          "give one pool.ale, --signer signer.pub and, for a sealed pool, --identity identity.age")
    tasks_dir, manifest = open_bundle(Path(bundles[0]), identity, _key(signer), bundle_cache())
    rest = [s for s in selectors if s not in bundles]
    return tasks_dir, rest or [t.id for t in manifest.tasks]


@app.command()
def pack(
    signing_key: Annotated[Path, typer.Option("--signing-key", help="ed25519 signing.key of `ale keys new`.")],
    out: Annotated[Path, typer.Option("--out", help="The bundle to write, e.g. pool.ale.")],
    selectors: Annotated[list[str] | None, typer.Option("--tasks", help="Task selectors to pack.")] = None,
    recipients: Annotated[list[str] | None, typer.Option("--recipient", help="age public key (age1...) or a file "
                                                         "of one.")] = None,
    public: Annotated[bool, typer.Option("--public", help="Write a signed bundle that is not encrypted.")] = False,
    retire: Annotated[Path | None, typer.Option("--retire", help="A sealed pool to roll: its tasks past retire_after "
                                                "go to --public-out, the rest are sealed again to --out.")] = None,
    public_out: Annotated[Path | None, typer.Option("--public-out", help="With --retire: the public bundle.")] = None,
    identity: Annotated[Path | None, typer.Option("--identity", help="With --retire: the key that opens it.")] = None,
    signer: Annotated[str | None, typer.Option("--signer", help="With --retire: its maker's signer.pub (or hex).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="With --retire: the date to retire by (default "
                                              "today), YYYY-MM-DD.")] = None,
    tasks_dir: Annotated[Path | None, typer.Option("--tasks-dir")] = None,
) -> None:
    """Seal task packages into an encrypted bundle with a signed manifest (a private pool), write a public
    bundle (--public), or roll a pool (--retire) by moving its tasks past their date into a public bundle."""
    keys = [_key(r) for r in recipients or []]
    try:
        if retire is not None:
            if public_out is None or signer is None:
                raise ConfigError(None, "--retire", "rolling a pool needs its maker and a place for the retired tasks",
                                  "give --signer signer.pub, --identity identity.age and --public-out public.ale")
            rolled = retire_bundle(retire, identity, _key(signer), signing_key, keys, public_out=public_out,
                                   sealed_out=out, as_of=_date(as_of, "--as-of"), cache_root=bundle_cache())
            for manifest, where, what in ((rolled.retired, public_out, "retired into public bundle"),
                                          (rolled.kept, out, "kept sealed in")):
                count = len(manifest.tasks) if manifest else 0
                console.print(f"{count} task(s) {what} {where}" + ("" if manifest else " (not written)"))
            return
        if not selectors:
            raise ConfigError(None, "--tasks", "no tasks to pack", "give --tasks SELECTOR (or --retire pool.ale)")
        tasks, root = _tasks(tasks_dir, import_graders=True)
        chosen = _chosen_tasks(selectors, tasks, root)
        if public:
            manifest = pack_public(chosen, signing_key, out)
            console.print(f"wrote public bundle {out} of {len(manifest.tasks)} task(s) (signer {manifest.signer[:16]}...)")
            return
        manifest = pack_bundle(chosen, keys, signing_key, out)
    except (LastExamError, OSError) as exc:
        _fail(exc)
    console.print(f"sealed {len(manifest.tasks)} task(s) to {len(keys)} recipient(s) in {out} "
                  f"(signer {manifest.signer[:16]}...)")


def _key(value: str) -> str:
    """A public key (a signer's hex key, an age recipient) given as such or as the path of a file holding it."""
    return Path(value).read_text().strip() if Path(value).is_file() else value


def _date(value: str | None, option: str) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(None, option, f"{value!r} is not a date", "give YYYY-MM-DD") from exc


@keys_app.command("new")
def keys_new(directory: Annotated[Path, typer.Argument(help="Where to write the key files.")]) -> None:
    """Make an age identity (identity.age, recipient.txt) and an ed25519 signing key (signing.key, signer.pub)."""
    files = new_keys(directory)
    console.print(f"wrote {files.identity} and {files.signing_key} (private), recipient {files.recipient}, "
                  f"signer {files.signer}")


def _manifests_of(store: ResultsStore, names: list[str]) -> dict[str, list[Manifest]]:
    ids = {n: store.experiment_id(n) for n in names}
    return {n: [Manifest.model_validate(m) for m in store.manifests(i)] for n, i in ids.items() if i is not None}


@manifest_app.command("show")
def manifest_show(
    name: Annotated[str, typer.Argument(help="An experiment.")],
    db: DbOption = None,
    results_dir: ResultsDir = Path("ale-results"),
) -> None:
    """Print the experiment's reproducibility manifests (one per start) as JSON."""
    manifests = _manifests_of(ResultsStore(db or default_db_url(results_dir)), [name]).get(name)
    if manifests is None:
        _fail(LastExamError(f"no experiment {name!r}. Fix: see `ale report` for the experiments recorded"))
    print(json.dumps([m.model_dump(mode="json") for m in manifests], indent=2))


@manifest_app.command("diff")
def manifest_diff(
    first: Annotated[str, typer.Argument(help="An experiment.")],
    second: Annotated[str, typer.Argument(help="Another experiment.")],
    db: DbOption = None,
    results_dir: ResultsDir = Path("ale-results"),
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What differs between the latest manifests of two experiments; exit 1 when anything that can change
    scores does."""
    manifests = _manifests_of(ResultsStore(db or default_db_url(results_dir)), [first, second])
    for name in (first, second):
        if not manifests.get(name):
            _fail(LastExamError(f"experiment {name!r} has no manifest (unknown, or recorded before manifests). "
                                "Fix: name an experiment run with this version of ale"))
    differences = diff_manifests(manifests[first][-1], manifests[second][-1])
    if as_json:
        print(json.dumps([d.model_dump(mode="json") for d in differences], indent=2))
    else:
        for d in differences:
            print(f"{'*' if d.affects_scores else ' '} {d.field}: {d.first!r} -> {d.second!r}")
        print(f"{sum(d.affects_scores for d in differences)} difference(s) that can change scores (*), "
              f"{sum(not d.affects_scores for d in differences)} that cannot")
    raise typer.Exit(1 if any(d.affects_scores for d in differences) else 0)


if __name__ == "__main__":
    app()
