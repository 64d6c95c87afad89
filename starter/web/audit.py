"""The audit log on the web: a row for every request that reads or changes a case, and the pages that show it.

Every route of the admin tool and the API is an :class:`AuditedRoute`: once the route has answered
(or refused), a row says who (the signed-in actor), what (the table's action and the event's type,
or "view"), which case (or conference, or complaint), when, from where (the client's address) and how
it ended. Requests nobody signed in to are not rows (nothing was shown or changed); the policies and
the deadline calculator are not a case.

Routes::

    GET /audit                    the newest rows (administrators)
    GET /audit/cases/{case_ref}   who has done what to a case and who has looked at it (administrators)
    GET /api/audit?case_ref=      the same as JSON
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from activities.db import AuditEntry
from starter.audit import AuditLog, looked_at_by, what_of
from starter.identity import Actor
from starter.permissions import Action, NotAllowed, allowed, require
from starter.web.connection import JourneysFactory
from starter.web.markup import e, page

log = logging.getLogger("cpj.web.audit")


#: Administrators only (module level: the routes' annotations are strings, resolved in this module).
Reader = Annotated[Actor, require(Action.READ_AUDIT_LOG)]


def audit_log_of(app: FastAPI) -> AuditLog:
    """The app's audit log, on the records database its accounts and sessions use."""
    found = getattr(app.state, "audit", None)
    if found is None:
        found = app.state.audit = AuditLog(app.state.identity().engine)
    return found


class AuditedRoute(APIRoute):
    """A route whose every answer to a signed-in actor is a row in the audit log."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def audited(request: Request) -> Response:
            try:
                response = await handler(request)
            except NotAllowed as refused:
                await _write(request, 403, "refused", refused.action)
                raise
            except Exception as err:
                await _write(request, getattr(err, "status_code", None), f"failed: {type(err).__name__}")
                raise
            await _write(request, response.status_code, "done" if response.status_code < 400 else "failed")
            return response

        return audited


async def _write(request: Request, status: int | None, outcome: str, action: Action | None = None) -> None:
    actor = getattr(request.state, "actor", None)
    action = action or getattr(request.state, "action", None)
    if not isinstance(actor, Actor) or action is None or action is Action.READ_POLICIES:
        return
    params = request.path_params
    # The path's reference, else a start's (read from its body by the permission check), else the query's
    # (opening a case by its reference, one case's audit rows).
    case_ref = (params.get("case_ref") or getattr(request.state, "audit_case_ref", None)
                or request.query_params.get("case_ref", "").strip().upper()[:64] or None)
    subject_ref = params.get("conference_ref") or params.get("complaint_ref") or getattr(
        request.state, "audit_subject_ref", None)
    await run_in_threadpool(
        audit_log_of(request.app).write, actor, action, what_of(action, getattr(request.state, "event_type", None)),
        via="api" if request.url.path.startswith("/api/") else "page", case_ref=case_ref, subject_ref=subject_ref,
        outcome=outcome, status=status, client_address=request.client.host if request.client else None)


def entries_table(entries: list[AuditEntry], with_case: bool = True) -> str:
    if not entries:
        return '<p class="muted">Nothing recorded yet.</p>'
    head = ["When (UTC)", "Who", "What", *(["Case"] if with_case else []), "Conference or complaint", "Outcome",
            "From"]
    rows = "".join(
        "<tr>" + "".join(f"<td>{e(str(cell) if cell is not None else '')}</td>" for cell in [
            entry.at.strftime("%Y-%m-%d %H:%M:%S"), entry.actor, f"{entry.what} ({entry.action}, {entry.via})",
            *([entry.case_ref] if with_case else []), entry.subject_ref, entry.outcome, entry.client_address])
        + "</tr>" for entry in entries)
    cols = "".join(f'<th scope="col">{e(h)}</th>' for h in head)
    return f"<table><thead><tr>{cols}</tr></thead><tbody>{rows}</tbody></table>"


def looked_at_section(case_ref: str, entries: list[AuditEntry], shown: int = 20) -> str:
    """The journey page's "who has looked at this case", for administrators: the newest rows and a link to all."""
    more = f'<p><a href="/audit/cases/{e(case_ref)}">Everything recorded about this case</a></p>'
    return f"<h2>Who has looked at this case</h2>{entries_table(entries[:shown], with_case=False)}{more}"


def case_subjects(state: Any) -> list[str]:
    """The references of a journey's conferences and complaints: their views are views of the case too."""
    refs = [getattr(state, "conference_ref", None)]
    refs += [getattr(row, "conference_ref", None) for row in getattr(state, "conferences", []) or []]
    refs += [getattr(row, "complaint_ref", None) for row in getattr(state, "challenges", []) or []]
    return [ref for ref in refs if isinstance(ref, str)]


async def looked_at_for(request: Request, actor: Actor, state: Any) -> str:
    """The section for the journey page: empty unless the actor may read the audit log."""
    if not allowed(actor, Action.READ_AUDIT_LOG):
        return ""
    entries = await run_in_threadpool(audit_log_of(request.app).of_case, state.case_ref, case_subjects(state))
    return looked_at_section(state.case_ref, entries)


def audit_router(journeys: JourneysFactory) -> APIRouter:
    """The administrator's pages and JSON over the audit log (mounted by ``admin_router``)."""
    router = APIRouter(route_class=AuditedRoute)

    async def subjects(case_ref: str) -> list[str]:
        """The case's conferences and complaints, as far as its journey says (none if it cannot be read)."""
        try:
            return case_subjects(await (await journeys()).state(case_ref))
        except Exception:  # no journey for the case, or Temporal not answering: the case's own rows still show
            return []


    @router.get("/audit", response_class=HTMLResponse, include_in_schema=False)
    async def latest(request: Request, actor: Reader, staff_ref: str = "") -> HTMLResponse:
        entries = await run_in_threadpool(audit_log_of(request.app).latest, 200, staff_ref.strip() or None)
        form = ('<form method="get" action="/audit"><div class="field"><label for="staff_ref">Staff number (or '
                f'service:name)</label><input id="staff_ref" name="staff_ref" value="{e(staff_ref)}"></div>'
                '<button type="submit">Show</button></form>'
                '<form method="get" action="/journeys"><div class="field"><label for="case_ref">Case reference'
                '</label><input id="case_ref" name="case_ref"></div><button type="submit">Open the case</button></form>')
        return page("Audit log", f"<h1>Audit log</h1><p class=\"muted\">The newest 200 rows: every change and every "
                                 f"view of a case, append-only.</p>{form}{entries_table(entries)}")

    @router.get("/audit/cases/{case_ref}", response_class=HTMLResponse, include_in_schema=False)
    async def of_case(request: Request, case_ref: str, actor: Reader) -> HTMLResponse:
        entries = await run_in_threadpool(audit_log_of(request.app).of_case, case_ref, await subjects(case_ref))
        return page(f"Who has looked at case {case_ref}",
                    f'<p><a href="/journeys/{e(case_ref)}">Case {e(case_ref)}</a></p>'
                    f"<h1>Who has looked at case {e(case_ref)}</h1>"
                    '<p class="muted">Every change and every view of the case, its conferences and its complaints, '
                    f"newest first.</p>{entries_table(entries, with_case=False)}")

    @router.get("/api/audit", tags=["audit"])
    async def api_audit(request: Request, actor: Reader,
                        case_ref: Annotated[str | None, Query(description="one case's rows")] = None) -> dict:
        """The audit log's newest rows, or one case's (with its conferences and complaints): administrators only."""
        audit = audit_log_of(request.app)
        if case_ref:
            entries = await run_in_threadpool(audit.of_case, case_ref, await subjects(case_ref))
        else:
            entries = await run_in_threadpool(audit.latest, 200)
        return {"entries": looked_at_by(entries)}

    return router

