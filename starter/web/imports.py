"""Importing open cases from the admin tool: upload a CSV file, watch its progress, read what was refused.

Routes::

    GET  /import                        the upload form, and what the columns are
    POST /import                        check and start the file's rows in the background, then 303 to its progress
    GET  /import/{run_id}               the import's progress (it refreshes itself) and the rows refused, and why
    GET  /import/{run_id}/report.csv    every row's outcome, as a CSV file

The import runs in this web process (``starter.imports.run_import``), as the command line's does;
its progress and report are rows in the records database, so the page survives a reload and stays
once the run has ended. Operations staff and administrators only (``Action.IMPORT_CASES``).
"""

from __future__ import annotations

import asyncio
import csv
import logging
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Annotated

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from domain.imports import COLUMNS
from starter.identity import Actor
from starter.imports import OUTCOME_WORDS, ImportStore, new_run_id, run_import
from starter.permissions import Action, require
from starter.web.audit import AuditedRoute, audit_log_of
from starter.web.connection import JourneysFactory
from starter.web.errors import LARGER_BODIES, error_page
from starter.web.templating import render

log = logging.getLogger("cpj.web.imports")

Importer = Annotated[Actor, require(Action.IMPORT_CASES)]
RunId = Annotated[str, Path(pattern=r"^imp-[0-9a-f]{12}$", description="the import's reference")]
#: The progress page follows the import this often while it runs (cpj.js reads the page again; no reload).
REFRESH_SECONDS = 3
#: A run whose progress has not moved for this long is taken to have stopped with the process that ran it.
STALLED_AFTER = timedelta(minutes=5)
EXAMPLE = (
    "case_ref,policy,on_plan_since,category,last_review,last_visit,last_core_group,lead_social_worker,team\n"
    "CASE-0101,darlington,2026-03-02,neglect,2026-05-28,16/11/2026,2026-11-09,SW-1042,North locality\n"
    "CASE-0102,staffordshire,02/11/2026,physical abuse,,,,SW-2077,\n"
)
UPLOAD_HINT = (f"A CSV file (save the spreadsheet as \u201cCSV UTF-8\u201d), up to "
               f"{LARGER_BODIES['/import'] // (1024 * 1024)} MB (about 120,000 cases).")


def imports_router(journeys: JourneysFactory) -> APIRouter:
    router = APIRouter(route_class=AuditedRoute)

    def store_of(request: Request) -> ImportStore:
        return ImportStore(request.app.state.identity().engine)

    def upload_page(error: str | None = None, status_code: int = 200) -> HTMLResponse:
        errors = [{"text": error, "href": "#file"}] if error else []
        return render("import_upload.html", status_code, title="Import cases", errors=errors, error=error,
                      columns=[{"name": name, "required": required, "what": what} for name, required, what in COLUMNS],
                      example=EXAMPLE, hint=UPLOAD_HINT)

    @router.get("/import", response_class=HTMLResponse, include_in_schema=False)
    async def upload_form(actor: Importer) -> HTMLResponse:
        return upload_page()

    @router.post("/import", include_in_schema=False)
    async def upload(request: Request, actor: Importer) -> Response:
        form = await request.form()
        sent = form.get("file")
        if not isinstance(sent, UploadFile) or not sent.filename:
            return upload_page("Choose the CSV file of cases to import", 422)
        data = await sent.read()
        if not data.strip():
            return upload_page("The file is empty: it has a header row, then one case a row", 422)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return upload_page("The file is not a CSV file saved as UTF-8: save the spreadsheet as \u201cCSV UTF-8\u201d "
                               "and choose it again", 422)
        dry_run = form.get("dry_run") == "yes"
        store = store_of(request)
        run_id = new_run_id()
        await asyncio.to_thread(store.begin, run_id, actor.recorded_as, "page", dry_run)
        j = await journeys()
        in_background(request.app, run_import(text, j, store, actor, run_id, via="page", dry_run=dry_run,
                                               audit=audit_log_of(request.app)), run_id)
        return RedirectResponse(f"/import/{run_id}", status_code=303)

    @router.get("/import/{run_id}", response_class=HTMLResponse, include_in_schema=False)
    async def progress(run_id: RunId, request: Request, actor: Importer) -> HTMLResponse:
        store = store_of(request)
        run = await asyncio.to_thread(store.run, run_id)
        if run is None:
            return error_page(404, "No such import", f"There is no import {run_id}.")
        refused = await asyncio.to_thread(store.rows, run_id, "refused")
        would = run.done - run.refused if run.dry_run else 0
        updated = run.updated_at if run.updated_at.tzinfo else run.updated_at.replace(tzinfo=UTC)
        stalled = run.status == "running" and datetime.now(UTC) - updated > STALLED_AFTER
        running = run.status == "running" and not stalled
        return render(
            "import_progress.html", title=f"Import {run_id}", run=run, running=running, stalled=stalled,
            refresh_seconds=REFRESH_SECONDS, would=would, back_href="/import", back_text="Import more cases",
            refused=[{"row": row.row, "case_ref": row.case_ref or "Not shown: not a case reference",
                      "reason": _sentence(row.reason or "")} for row in refused],
            started_at=run.started_at.strftime("%Y-%m-%d %H:%M"),
        )

    @router.get("/import/{run_id}/report.csv", include_in_schema=False)
    async def report(run_id: RunId, request: Request, actor: Importer) -> Response:
        store = store_of(request)
        if await asyncio.to_thread(store.run, run_id) is None:
            return error_page(404, "No such import", f"There is no import {run_id}.")
        out = StringIO()
        writer = csv.writer(out)
        writer.writerow(["row", "case_ref", "outcome", "reason"])
        for row in await asyncio.to_thread(store.rows, run_id):
            writer.writerow([row.row, row.case_ref or "", OUTCOME_WORDS.get(row.outcome, row.outcome), row.reason or ""])
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{run_id}.csv"'})

    return router


def _sentence(reason: str) -> str:
    return reason[:1].upper() + reason[1:] if reason else ""


def in_background(app: FastAPI, work, run_id: str) -> asyncio.Task:
    """Run ``work`` after the answer has gone; kept on the app, so it is not collected while it runs."""
    tasks: set[asyncio.Task] = getattr(app.state, "import_tasks", None) or set()
    app.state.import_tasks = tasks
    task = asyncio.get_running_loop().create_task(work, name=f"import {run_id}")
    tasks.add(task)

    def done(finished: asyncio.Task) -> None:
        tasks.discard(finished)
        if not finished.cancelled() and finished.exception() is not None:
            log.warning("import %s stopped: %s", run_id, type(finished.exception()).__name__)

    task.add_done_callback(done)
    return task
