"""The admin tool's routes (HTML, for operations staff): read a form or a journey, answer with a page or a redirect.

Routes::

    GET  /journeys?case_ref=                    open a journey by case reference
    GET  /journeys/{case_ref}                   a journey's story: summary, what needs doing, what can be recorded, timeline
    GET  /complaints/{complaint_ref}            a complaint: stage, deadlines, what can be recorded, timeline and letters
    GET  /conferences/{conference_ref}          a conference: facts, deadlines, what can be recorded, timeline
    GET  /audit, /audit/cases/{case_ref}        the audit log (administrators; ``starter.web.audit``)

Starting a journey or a complaint and recording an event are pages of their own (``starter.web.event_pages``).

Each route says what it does in the permissions table (``require``; an event's route by the event's
type, ``require_event``) and is an ``AuditedRoute``: who did or looked at what is in the audit log.
"""

from __future__ import annotations

import logging
import os
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from temporalio.service import RPCError

from domain.complaints import complaint_workflow_id
from starter.client import JourneyError, Journeys
from starter.web.connection import JourneysFactory
from starter.web.story import complaint_page, conference_page, journey_href, journey_page, records_story, temporal_href
from domain.conference import conference_workflow_id
from starter.web.api import CaseRefPath, ComplaintRefPath, ConferenceRefPath
from starter.identity import Actor
from starter.permissions import Action, require
from starter.web.audit import AuditedRoute, audit_router, looked_at_for

log = logging.getLogger("cpj.web")

# Who may call each route (module level: the routes' annotations are strings, resolved in this module).
Reader = Annotated[Actor, require(Action.READ_CASE)]


def namespace(j: Journeys) -> str:
    return getattr(getattr(j, "client", None), "namespace", None) or "default"


def admin_router(journeys: JourneysFactory) -> APIRouter:
    """The HTML routes; ``journeys`` gives the app's :class:`Journeys`."""
    ui_url = os.environ.get("CPJ_TEMPORAL_UI_URL", "http://localhost:8233").rstrip("/")
    router = APIRouter(route_class=AuditedRoute)
    router.include_router(audit_router(journeys))

    # The caseload (GET /) is starter.web.caseload's.

    @router.get("/journeys", include_in_schema=False)
    async def lookup(actor: Reader, case_ref: str = "") -> Response:
        ref = case_ref.strip().upper()
        if not ref:
            return RedirectResponse("/", status_code=303)
        return RedirectResponse(journey_href(ref), status_code=303)

    @router.get("/journeys/{case_ref}", response_class=HTMLResponse, include_in_schema=False)
    async def journey(case_ref: CaseRefPath, request: Request, actor: Reader, recorded: str | None = None) -> HTMLResponse:
        """The journey's story: its state, everything recorded (the records database), the case's complaints and
        disagreements (or a note that they cannot be listed), and for an administrator who has looked at the case."""
        j = await journeys()
        state = await j.state(case_ref)
        try:
            challenges = await j.complaints_of(state.case_ref, state)
        except (RPCError, JourneyError) as err:
            log.warning("cannot list the complaints of a case: %s", type(err).__name__)
            challenges = None
        story = await records_story(request, state.case_ref)
        looked_at = await looked_at_for(request, request.state.actor, state)
        return journey_page(state, story, challenges=challenges, looked_at=looked_at,
                            temporal=temporal_href(ui_url, namespace(j), state.case_ref), recorded=recorded)

    @router.get("/complaints/{complaint_ref}", response_class=HTMLResponse, include_in_schema=False)
    async def complaint(complaint_ref: ComplaintRefPath, request: Request, actor: Reader,
                        recorded: str | None = None) -> HTMLResponse:
        """A complaint's or disagreement's story: where it stands, its deadlines and everything it recorded and sent."""
        state = await (await journeys()).complaint(complaint_ref)
        story = await records_story(request, state.case_ref, [complaint_workflow_id(complaint_ref)])
        return complaint_page(state, story, recorded=recorded)

    @router.get("/conferences/{conference_ref}", response_class=HTMLResponse, include_in_schema=False)
    async def conference(conference_ref: ConferenceRefPath, request: Request, actor: Reader,
                         recorded: str | None = None) -> HTMLResponse:
        """A conference's story: its facts, its deadlines and everything it recorded and sent."""
        state = await (await journeys()).conference(conference_ref)
        story = await records_story(request, state.case_ref, [conference_workflow_id(conference_ref)])
        return conference_page(state, story, recorded=recorded)

    return router
