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
import re
from datetime import UTC, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from activities.db import AuditEntry
from domain.events import CONFERENCE_REF_PATTERN, CaseRef
from starter.audit import AuditLog, looked_at_by, what_of
from starter.identity import Actor
from starter.permissions import ACTION_WORDS, Action, NotAllowed, allowed, require
from starter.web.api_answers import answers, success
from starter.web.connection import JourneysFactory
from starter.web.templating import render

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
    case_ref = _reference(params.get("case_ref") or getattr(request.state, "audit_case_ref", None)
                          or request.query_params.get("case_ref", "").strip().upper()[:64], CASE_REF)
    subject_ref = _reference(params.get("conference_ref") or params.get("complaint_ref") or getattr(
        request.state, "audit_subject_ref", None), SUBJECT_REF)
    await run_in_threadpool(
        audit_log_of(request.app).write, actor, action, what_of(action, getattr(request.state, "event_type", None)),
        via="api" if request.url.path.startswith("/api/") else "page", case_ref=case_ref, subject_ref=subject_ref,
        outcome=outcome, status=status, client_address=request.client.host if request.client else None)


CASE_REF: TypeAdapter = TypeAdapter(CaseRef)
SUBJECT_REF = re.compile(CONFERENCE_REF_PATTERN)


def _reference(value: str | None, shape: TypeAdapter | re.Pattern[str]) -> str | None:
    """A reference as the log keeps it, or None for what is not one: a refused form's or a search's "case
    reference" may be a name someone typed, which must not be kept."""
    if not value:
        return None
    if isinstance(shape, re.Pattern):
        return value if shape.fullmatch(value) else None
    try:
        return shape.validate_python(value)
    except ValidationError:
        return None


#: What the log calls what was done, in words (anything else is an event, by its title, or an action, by the table's).
WHAT_WORDS = {"view": "Looked at", "list": "Listed the caseload", "view audit log": "Read the audit log"}
VIA_WORDS = {"page": "the admin tool", "api": "the API"}
LONDON = ZoneInfo("Europe/London")


def _event_titles() -> dict[str, str]:
    from domain.complaints import COMPLAINT_EVENT_TYPES
    from domain.conference import CONFERENCE_EVENTS
    from domain.events import EVENT_TYPES, FEED_EVENTS

    models = [*EVENT_TYPES.values(), *FEED_EVENTS, *CONFERENCE_EVENTS, *COMPLAINT_EVENT_TYPES.values()]
    return {model.model_fields["type"].default: getattr(model, "title", None) or model.__name__ for model in models}


EVENT_TITLES = _event_titles()


def what_words(entry: AuditEntry) -> str:
    """What the row says was done, as people say it ("Looked at", an event's title), never an enum value."""
    if entry.what in WHAT_WORDS:
        return WHAT_WORDS[entry.what]
    if entry.what in EVENT_TITLES:
        return EVENT_TITLES[entry.what]
    try:
        return ACTION_WORDS[Action(entry.action)]
    except (ValueError, KeyError):
        return entry.what.replace("_", " ").capitalize()


def outcome_words(entry: AuditEntry) -> str:
    if entry.outcome == "done":
        return "Done"
    if entry.outcome == "refused":
        return "Refused: not theirs to do"
    return "Failed" + (f" ({entry.status})" if entry.status else "")


def london_time(at: datetime) -> str:
    """When, as people in the UK read it: 24 November 2026, 09:12:03 (UK time, summer time included)."""
    at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(LONDON)
    return f"{at.day} {at:%B %Y, %H:%M:%S}"


def entries_context(entries: list[AuditEntry], with_case: bool = True) -> dict[str, Any]:
    """The audit table's head and rows (``audit_entries.html``), in words."""
    head = ["When (UK time)", "Who", "What", "Through", *(["Case"] if with_case else []), "Conference or complaint",
            "Outcome", "From"]
    rows = [[{"text": cell or ""} for cell in (
        london_time(entry.at), entry.actor, what_words(entry), VIA_WORDS.get(entry.via, entry.via),
        *([entry.case_ref] if with_case else []), entry.subject_ref, outcome_words(entry), entry.client_address)]
        for entry in entries]
    return {"head": [{"text": h} for h in head], "rows": rows}


def case_subjects(state: Any) -> list[str]:
    """The references of a journey's conferences and complaints: their views are views of the case too."""
    refs = [getattr(state, "conference_ref", None)]
    refs += [getattr(row, "conference_ref", None) for row in getattr(state, "conferences", []) or []]
    refs += [getattr(row, "complaint_ref", None) for row in getattr(state, "challenges", []) or []]
    return [ref for ref in refs if isinstance(ref, str)]


async def looked_at_for(request: Request, actor: Actor, state: Any) -> list[AuditEntry] | None:
    """Who has done and looked at what on the case, its conferences and complaints, newest first, for the
    journey page (``journey.html`` shows the newest few): None unless the actor may read the audit log."""
    if not allowed(actor, Action.READ_AUDIT_LOG):
        return None
    return await run_in_threadpool(audit_log_of(request.app).of_case, state.case_ref, case_subjects(state))


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
        return render("audit_log.html", title="Audit log", staff_ref=staff_ref, **entries_context(entries))

    @router.get("/audit/cases", include_in_schema=False)
    async def find_case(actor: Reader, case_ref: str = "") -> Response:
        """The audit page's "everything about one case" form: to that case's rows."""
        wanted = case_ref.strip().upper()
        if not wanted:
            return RedirectResponse("/audit", status_code=303)
        return RedirectResponse(f"/audit/cases/{quote(wanted, safe='')}", status_code=303)

    @router.get("/audit/cases/{case_ref}", response_class=HTMLResponse, include_in_schema=False)
    async def of_case(request: Request, case_ref: str, actor: Reader) -> HTMLResponse:
        entries = await run_in_threadpool(audit_log_of(request.app).of_case, case_ref, await subjects(case_ref))
        return render("audit_case.html", title=f"Who has looked at case {case_ref}", case_ref=case_ref,
                      **entries_context(entries, with_case=False))

    @router.get("/api/audit", tags=["audit"], responses=answers(422, ok={200: success(
        "the rows, newest first", {"entries": [
            {"at": "2026-11-24T09:12:03+00:00", "actor": "SW-1042", "actor_kind": "person", "action": "read_case",
             "what": "view", "case_ref": "CASE-0042", "subject_ref": None, "outcome": "done", "status": 200,
             "via": "page", "client_address": "10.0.4.17"}]})}))
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

