"""``ale view``: a local web app over the results database and the run directories.

Pages (server-rendered Jinja2, no scripts):

* ``/`` the leaderboard of one experiment (the newest unless ``?experiment=NAME``) with its plots;
  several ``experiment`` parameters pool experiments, and then every figure is restricted to the
  instances every pooled agent has a graded trial on (the page says how many were left out);
* ``/report.html`` the full HTML report of the same selection;
* ``/trials`` a filtered (experiment, agent, task prefix, tier, cluster, status, failure category, score
  range), sorted (score, cost, tokens, duration, agent, task) and paginated list with its total count;
* ``/grid`` the agent x instance score grid of a selection, each cell linking to its trial(s);
* ``/search`` text search within the transcripts of a trial list selection (capped);
* ``/trials/{id}`` one trial: its instruction (Markdown), trajectory (messages, reasoning, tool calls,
  observations, images), the checks with their evidence, the output files, the logs and, once grading
  is over, a diff against the reference over the task's declared deliverables;
* ``/trials/{id}/files/{area}/{path}`` one file (areas: output, logs, run, reference).

The leaderboard is the same computation as ``ale report`` (``analysis.report.build_report``), kept
per selection until the trials change, and computed in the background when the app starts.
"""

from __future__ import annotations

import functools
import json
import mimetypes
import threading
import time
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates
from markdown_it import MarkdownIt
from markupsafe import Markup

from lastexam.analysis.cells import fingerprint
from lastexam.analysis.report import Report, ReportOptions, build_report
from lastexam.errors import LastExamError
from lastexam.report.html import charts, render_html
from lastexam.store.db import ResultsStore
from lastexam.store.rundir import locate_run_dir
from lastexam.tasks.loader import default_tasks_root, load_task
from lastexam.web import files, queries

TEMPLATES = Path(__file__).parent / "templates"
STATUSES = ("passed", "failed", "infra_error", "cancelled")
FILTERS = ("experiment", "agent", "task", "instance", "tier", "cluster", "status", "category", "score_min", "score_max")
SEARCH_TRIAL_LIMIT = 500
SANDBOXED = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"}


class ReportCache:
    """The report of each experiment selection, rebuilt when the selection's trials change. A selection of
    several experiments is reported on the instances every agent has a graded trial on."""

    def __init__(self, store: ResultsStore, tasks_dir: Path | None = None) -> None:
        self.store = store
        self.tasks_dir = tasks_dir
        self._reports: dict[tuple[str, ...], tuple[int, Report]] = {}
        self._lock = threading.Lock()

    def get(self, names: list[str]) -> Report:
        """The report of the named experiments. Raises LastExamError like ``build_report``."""
        key = tuple(sorted(set(names)))
        with self._lock:
            ids = [i for i in (self.store.experiment_id(n) for n in key) if i is not None]
            stamp = fingerprint(self.store.engine, ids)
            held = self._reports.get(key)
            if held is None or held[0] != stamp:
                report = build_report(self.store, ReportOptions(experiments=list(key), tasks_dir=self.tasks_dir,
                                                                common_instances=len(key) > 1))
                self._reports[key] = (stamp, report)
            return self._reports[key][1]

    def warm(self, names: list[str]) -> None:
        """Compute the report of ``names`` now, in a background thread."""

        def run() -> None:
            try:
                self.get(names)
            except LastExamError:
                return

        if names:
            threading.Thread(target=run, name="report-warmup", daemon=True).start()


class Listings:
    """Experiments with their counts, and the values offered in the trial filters: each a full scan of the
    trials, so kept and refreshed at most every ``max_age`` seconds, and only when trials were added."""

    def __init__(self, store: ResultsStore, max_age: float = 30.0) -> None:
        self.store = store
        self.max_age = max_age
        self._held: dict[str, tuple[float, int, Any]] = {}
        self._lock = threading.Lock()

    def _get(self, key: str, compute: Any) -> Any:
        with self._lock:
            held = self._held.get(key)
            now = time.monotonic()
            if held is None or (now - held[0] > self.max_age and fingerprint(self.store.engine) != held[1]):
                stamp = fingerprint(self.store.engine)
                held = (now, stamp, compute())
                self._held[key] = held
            return held[2]

    def experiments(self) -> list[dict[str, Any]]:
        return self._get("experiments", lambda: queries.experiment_list(self.store.engine))

    def values(self, column: str) -> list[str]:
        return self._get(column, lambda: queries.distinct_values(self.store.engine, column))


def _image_url(trial_id: int, path: str) -> str | None:
    """Where an image referenced by path in a trajectory is served from, if it can be."""
    if path.startswith("/workspace/output/"):
        return f"/trials/{trial_id}/files/output/{path.removeprefix('/workspace/output/')}"
    if not path.startswith("/"):
        return f"/trials/{trial_id}/files/run/{path}"
    return None


def tokens_text(input_tokens: int | None, output_tokens: int | None) -> str:
    """"in / out" tokens, or "unknown" when the agent reported none (non-model agents, harnesses that do not
    count): never a 0 that reads as a measured zero."""
    if not input_tokens and not output_tokens:
        return "unknown"
    return f"{input_tokens or 0:,} / {output_tokens or 0:,}"


def cost_text(cost_usd: float | None) -> str:
    """Dollars, or "unknown" when no price was recorded (NULL); a recorded 0 is free, not unknown."""
    if cost_usd is None:
        return "unknown"
    return f"${cost_usd:,.4f}"


def _number(name: str, value: str | None) -> float | None:
    """A numeric query parameter given as text (empty: not given)."""
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise HTTPException(400, f"{name} must be a number, got {value!r}. Fix: give a score such as 0.5, "
                                 "or leave it empty") from None


def _markdown() -> Any:
    """Markdown to HTML with raw HTML escaped (a task's instruction cannot inject markup or scripts) and
    images left as text (a page never fetches from elsewhere)."""
    renderer = MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")
    return lambda text: Markup(renderer.render(text))


def create_app(store: ResultsStore, results_dir: Path | None = None, *, tasks_dir: Path | None = None,
               warm: bool = True) -> FastAPI:
    """The viewer over ``store``; run directories that moved are looked up under ``results_dir/runs``,
    task packages (for their declared deliverables) under ``tasks_dir`` (default: ``default_tasks_root``)."""
    app = FastAPI(title="ALE viewer", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False, default=str)
    templates.env.filters["markdown"] = _markdown()
    templates.env.globals.update(image_url=_image_url, tokens_text=tokens_text, cost_text=cost_text)
    reports = ReportCache(store, tasks_dir)
    listings = Listings(store)
    tasks_root = tasks_dir or default_tasks_root()
    if warm:
        reports.warm(store.experiment_names()[-1:])

    @functools.lru_cache(maxsize=1024)
    def deliverables(task_id: str) -> tuple[str, ...] | None:
        try:
            return tuple(d.path for d in load_task(tasks_root / task_id).spec.deliverables)
        except (LastExamError, OSError):
            return None

    def experiment_id(name: str | None) -> int | None:
        if not name:
            return None
        found = store.experiment_id(name)
        if found is None:
            raise HTTPException(404, f"no experiment named {name!r}")
        return found

    def trial_filter(experiment: str | None, agent: str | None, task: str | None, instance: str | None,
                     tier: str | None, cluster: str | None, status: str | None, category: str | None,
                     score_min: str | None, score_max: str | None) -> queries.TrialFilter:
        if category and category not in queries.CATEGORIES:
            raise HTTPException(400, f"unknown failure category {category!r}. Fix: one of "
                                     f"{', '.join(queries.CATEGORIES)}")
        return queries.TrialFilter(experiment=experiment_id(experiment), agent=agent, task=task, instance=instance,
                                   tier=tier, cluster=cluster, status=status, category=category,
                                   score_min=_number("score_min", score_min), score_max=_number("score_max", score_max))

    def link_params(where: queries.TrialFilter, experiment: str | None) -> dict[str, str]:
        params = {k: v for k, v in where.params().items() if k != "experiment"}
        if experiment:
            params["experiment"] = experiment
        return params

    def filter_context(where: queries.TrialFilter, experiment: str | None) -> dict[str, Any]:
        given = link_params(where, experiment)
        return {"filters": {name: given.get(name, "") for name in FILTERS},
                "experiments": [e["name"] for e in listings.experiments()], "agents": listings.values("agent"),
                "tiers": listings.values("tier"), "clusters": listings.values("cluster"), "statuses": STATUSES,
                "categories": queries.CATEGORIES}

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request, experiment: Annotated[list[str] | None, Query()] = None) -> Response:
        experiments = listings.experiments()
        names = sorted(set(experiment or [])) or [e["name"] for e in experiments[:1]]
        for name in names:
            experiment_id(name)
        report, problem = None, None
        if names:
            try:
                report = reports.get(names)
            except LastExamError as exc:
                problem = str(exc)
        return templates.TemplateResponse(request, "index.html", {
            "experiments": experiments, "selected": names, "report": report, "problem": problem,
            "charts": charts(report) if report else {}, "selection": [("experiment", n) for n in names],
        })

    @app.get("/report.html", response_class=HTMLResponse)
    def full_report(experiment: Annotated[list[str] | None, Query()] = None) -> Response:
        names = sorted(set(experiment or [])) or store.experiment_names()[-1:]
        for name in names:
            experiment_id(name)
        try:
            return HTMLResponse(render_html(reports.get(names)))
        except LastExamError as exc:
            raise HTTPException(404, str(exc)) from exc

    @app.get("/trials", response_class=HTMLResponse)
    def trial_list(
        request: Request, experiment: str | None = None, agent: str | None = None, task: str | None = None,
        instance: str | None = None, tier: str | None = None, cluster: str | None = None, status: str | None = None,
        category: str | None = None, score_min: str | None = None, score_max: str | None = None,
        sort: str = "id", order: Literal["asc", "desc"] = "asc",
        after: Annotated[int | None, Query(ge=0)] = None, before: Annotated[int | None, Query(ge=0)] = None,
        page: Annotated[int | None, Query(ge=1)] = None,
    ) -> Response:
        if sort not in queries.SORTS:
            raise HTTPException(400, f"unknown sort {sort!r}. Fix: one of {', '.join(queries.SORTS)}")
        where = trial_filter(experiment, agent, task, instance, tier, cluster, status, category, score_min, score_max)
        result = queries.trial_page(store.engine, where, sort=sort, descending=order == "desc", after=after,
                                    before=before, page=page)
        params = link_params(where, experiment)
        ordered = {**params, **({"sort": sort, "order": order} if (sort, order) != ("id", "asc") else {})}
        number = page or 1
        return templates.TemplateResponse(request, "trials.html", {
            "page": result, "params": params, "ordered": ordered, "sort": sort, "order": order,
            "sorts": list(queries.SORTS), "page_number": number, "pages": max(1, -(-result.total // queries.PAGE_SIZE)),
            "keyset": (sort, order) == ("id", "asc") and page is None, **filter_context(where, experiment),
        })

    @app.get("/grid", response_class=HTMLResponse)
    def grid(request: Request, experiment: str | None = None, agent: str | None = None, task: str | None = None,
             tier: str | None = None, cluster: str | None = None) -> Response:
        experiment = experiment or next(iter(store.experiment_names()[-1:]), None)
        where = trial_filter(experiment, agent, task, None, tier, cluster, None, None, None, None)
        return templates.TemplateResponse(request, "grid.html", {
            "grid": queries.score_grid(store.engine, where), "params": link_params(where, experiment),
            "limit": queries.GRID_INSTANCE_LIMIT, **filter_context(where, experiment),
        })

    @app.get("/search", response_class=HTMLResponse)
    def search(request: Request, q: str = "", experiment: str | None = None, agent: str | None = None,
               task: str | None = None, instance: str | None = None, tier: str | None = None,
               cluster: str | None = None, status: str | None = None, category: str | None = None,
               score_min: str | None = None, score_max: str | None = None) -> Response:
        where = trial_filter(experiment, agent, task, instance, tier, cluster, status, category, score_min, score_max)
        results: list[tuple[dict[str, Any], list[files.SearchHit]]] = []
        scanned = queries.trial_page(store.engine, where, size=SEARCH_TRIAL_LIMIT) if q.strip() else None
        for row in scanned.rows if scanned else []:
            trajectory = files.read_trajectory(locate_run_dir(row["run_dir"], results_dir))
            hits = files.search_trajectory(trajectory, q.strip()) if trajectory else []
            if hits:
                results.append((row, hits))
        return templates.TemplateResponse(request, "search.html", {
            "q": q, "results": results, "scanned": len(scanned.rows) if scanned else 0,
            "matching": scanned.total if scanned else 0, "limit": SEARCH_TRIAL_LIMIT,
            "params": link_params(where, experiment), **filter_context(where, experiment),
        })

    @app.get("/trials/{trial_id}", response_class=HTMLResponse)
    def trial_page(request: Request, trial_id: int) -> Response:
        found = queries.trial(store.engine, trial_id)
        if found is None:
            raise HTTPException(404, f"no trial {trial_id}")
        run_dir = locate_run_dir(found["run_dir"], results_dir)
        graded = files.grading_over(found, run_dir)
        declared = deliverables(found["task_id"])
        instruction = run_dir / "logs" / "instruction.md"
        logs = files.list_files(run_dir / "logs")
        context: dict[str, Any] = {
            "trial": found, "run_dir": run_dir, "run_dir_found": run_dir.is_dir(), "graded": graded,
            "instruction": instruction.read_text(encoding="utf-8", errors="replace") if instruction.is_file() else None,
            "trajectory": files.read_trajectory(run_dir), "outputs": files.list_files(run_dir / "output"),
            "logs": logs, "videos": [path for path, _ in logs if path.startswith("video/") and path.endswith(".mp4")],
            "deliverables": declared, "tasks_root": tasks_root,
            "diffs": files.diff_against_reference(run_dir, list(declared)) if graded and declared else None,
        }
        return templates.TemplateResponse(request, "trial.html", context)

    @app.get("/trials/{trial_id}/files/{area}/{path:path}")
    def trial_file(trial_id: int, area: str, path: str) -> Response:
        found = queries.trial(store.engine, trial_id)
        if found is None or area not in files.AREAS:
            raise HTTPException(404, "no such file")
        run_dir = locate_run_dir(found["run_dir"], results_dir)
        root = files.area_root(run_dir, area, files.grading_over(found, run_dir))
        if root is None:
            raise HTTPException(403, "the reference is shown only once the trial has been graded")
        if area == "reference" and not files.is_deliverable(path, list(deliverables(found["task_id"]) or [])):
            raise HTTPException(404, "only the reference files of the task's declared deliverables are shown")
        target = files.resolve_inside(root, path, exclude="private" if area == "run" else None)
        if target is None:
            raise HTTPException(404, "no such file")
        media = mimetypes.guess_type(target.name)[0] or ""
        if (media.startswith("image/") and media != "image/svg+xml") or media == "video/mp4":
            return FileResponse(target, media_type=media, headers=SANDBOXED)
        if media in ("application/json", "text/csv") or media.startswith("text/") or target.stat().st_size < 2_000_000:
            try:
                return PlainTextResponse(target.read_text(encoding="utf-8"), headers=SANDBOXED)
            except UnicodeDecodeError:
                pass
        return FileResponse(target, media_type="application/octet-stream", filename=target.name, headers=SANDBOXED)

    return app


def serve(store: ResultsStore, results_dir: Path | None, *, tasks_dir: Path | None = None, host: str = "127.0.0.1",
          port: int = 8765) -> None:
    """Run the viewer with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(create_app(store, results_dir, tasks_dir=tasks_dir), host=host, port=port, log_level="warning")
