"""``ale view``: a local web app over the results database and the run directories.

Pages (server-rendered Jinja2, no scripts):

* ``/`` experiments, and the leaderboard of the selection (``?experiment=NAME``) with its plots;
* ``/report.html`` the full HTML report of the selection;
* ``/trials`` a keyset-paginated list with filters (experiment, agent, task, tier, cluster, status);
* ``/trials/{id}`` one trial: its trajectory (messages, reasoning, tool calls, observations,
  images), the checks with their evidence, the output files, the logs and, once grading is over,
  a diff against the reference;
* ``/trials/{id}/files/{area}/{path}`` one file (areas: output, logs, run, reference).

The leaderboard is the same computation as ``ale report`` (``analysis.report.build_report``), kept
per selection until the trials change, and computed in the background when the app starts.
"""

from __future__ import annotations

import json
import mimetypes
import threading
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates

from lastexam.analysis.cells import fingerprint
from lastexam.analysis.report import Report, ReportOptions, build_report
from lastexam.errors import LastExamError
from lastexam.report.html import charts, render_html
from lastexam.store.db import ResultsStore
from lastexam.store.rundir import locate_run_dir
from lastexam.web import files, queries

TEMPLATES = Path(__file__).parent / "templates"
STATUSES = ("passed", "failed", "infra_error", "cancelled")
SANDBOXED = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"}


class ReportCache:
    """The report of each experiment selection, rebuilt when the selection's trials change."""

    def __init__(self, store: ResultsStore, tasks_dir: Path | None = None) -> None:
        self.store = store
        self.tasks_dir = tasks_dir
        self._reports: dict[tuple[str, ...], tuple[int, Report]] = {}
        self._lock = threading.Lock()

    def get(self, names: list[str]) -> Report:
        """The report of the named experiments (all when empty). Raises LastExamError like ``build_report``."""
        key = tuple(names)
        with self._lock:
            ids = [self.store.experiment_id(n) for n in names] if names else None
            stamp = fingerprint(self.store.engine, [i for i in ids if i is not None] if ids else None)
            held = self._reports.get(key)
            if held is None or held[0] != stamp:
                report = build_report(self.store, ReportOptions(experiments=names or None, tasks_dir=self.tasks_dir))
                self._reports[key] = (stamp, report)
            return self._reports[key][1]

    def warm(self) -> None:
        """Compute the default report now, in a background thread."""

        def run() -> None:
            try:
                self.get([])
            except LastExamError:
                return

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


def create_app(store: ResultsStore, results_dir: Path | None = None, *, tasks_dir: Path | None = None,
               warm: bool = True) -> FastAPI:
    """The viewer over ``store``; run directories that moved are looked up under ``results_dir/runs``."""
    app = FastAPI(title="ALE viewer", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False, default=str)
    templates.env.globals["image_url"] = _image_url
    reports = ReportCache(store, tasks_dir)
    listings = Listings(store)
    if warm:
        reports.warm()

    def experiment_id(name: str | None) -> int | None:
        if not name:
            return None
        found = store.experiment_id(name)
        if found is None:
            raise HTTPException(404, f"no experiment named {name!r}")
        return found

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request, experiment: str | None = None) -> Response:
        experiments = listings.experiments()
        names = [experiment] if experiment else []
        experiment_id(experiment)
        try:
            report, problem = reports.get(names), None
        except LastExamError as exc:
            report, problem = None, str(exc)
        return templates.TemplateResponse(request, "index.html", {
            "experiments": experiments, "selected": experiment, "report": report, "problem": problem,
            "charts": charts(report) if report else {},
        })

    @app.get("/report.html", response_class=HTMLResponse)
    def full_report(experiment: str | None = None) -> Response:
        experiment_id(experiment)
        try:
            return HTMLResponse(render_html(reports.get([experiment] if experiment else [])))
        except LastExamError as exc:
            raise HTTPException(404, str(exc)) from exc

    @app.get("/trials", response_class=HTMLResponse)
    def trial_list(
        request: Request, experiment: str | None = None, agent: str | None = None, task: str | None = None,
        tier: str | None = None, cluster: str | None = None, status: str | None = None,
        after: Annotated[int | None, Query(ge=0)] = None, before: Annotated[int | None, Query(ge=0)] = None,
        page: Annotated[int | None, Query(ge=1)] = None,
    ) -> Response:
        where = queries.TrialFilter(experiment=experiment_id(experiment), agent=agent, task=task, tier=tier,
                                    cluster=cluster, status=status)
        result = queries.trial_page(store.engine, where, after=after, before=before, page=page)
        params = {k: v for k, v in where.params().items() if k != "experiment"}
        if experiment:
            params["experiment"] = experiment
        return templates.TemplateResponse(request, "trials.html", {
            "page": result, "filters": {"experiment": experiment or "", "agent": agent or "", "task": task or "",
                                        "tier": tier or "", "cluster": cluster or "", "status": status or ""},
            "params": params,
            "experiments": [e["name"] for e in listings.experiments()], "agents": listings.values("agent"),
            "tiers": listings.values("tier"), "clusters": listings.values("cluster"), "statuses": STATUSES,
            "page_number": page or 1, "numbered": page is not None and after is None and before is None,
        })

    @app.get("/trials/{trial_id}", response_class=HTMLResponse)
    def trial_page(request: Request, trial_id: int) -> Response:
        found = queries.trial(store.engine, trial_id)
        if found is None:
            raise HTTPException(404, f"no trial {trial_id}")
        run_dir = locate_run_dir(found["run_dir"], results_dir)
        graded = files.grading_over(found, run_dir)
        context: dict[str, Any] = {
            "trial": found, "run_dir": run_dir, "run_dir_found": run_dir.is_dir(), "graded": graded,
            "trajectory": files.read_trajectory(run_dir), "outputs": files.list_files(run_dir / "output"),
            "logs": files.list_files(run_dir / "logs"),
            "diffs": files.diff_against_reference(run_dir) if graded else None,
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
        target = files.resolve_inside(root, path, exclude="private" if area == "run" else None)
        if target is None:
            raise HTTPException(404, "no such file")
        media = mimetypes.guess_type(target.name)[0] or ""
        if media.startswith("image/") and media != "image/svg+xml":
            return FileResponse(target, media_type=media, headers=SANDBOXED)
        if media in ("application/json", "text/csv") or media.startswith("text/") or target.stat().st_size < 2_000_000:
            try:
                return PlainTextResponse(target.read_text(encoding="utf-8"), headers=SANDBOXED)
            except UnicodeDecodeError:
                pass
        return FileResponse(target, media_type="application/octet-stream", filename=target.name, headers=SANDBOXED)

    return app


def serve(store: ResultsStore, results_dir: Path | None, *, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the viewer with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(create_app(store, results_dir), host=host, port=port, log_level="warning")
