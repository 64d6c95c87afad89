"""The admin tool's routes (HTML, for operations staff): read a form or a journey, answer with a page or a redirect.

Routes::

    GET  /?stage=&overdue=&policy=&page_token=  journeys table (filters, a page at a time) and the "Start a journey" form
    POST /journeys                              start (form), then 303 to the journey page
    GET  /journeys?case_ref=                    open a journey by case reference
    GET  /journeys/{case_ref}                   a journey: deadlines, escalations, event forms
    POST /journeys/{case_ref}/events            record an event (form, incl. booking a conference), then 303 back
    POST /journeys/{case_ref}/complaints        start a complaint or disagreement (form), then 303 to its page
    GET  /complaints/{complaint_ref}            a complaint: stage, deadlines, letters, the forms its stage takes
    POST /complaints/{complaint_ref}/events     record a complaint's stage (form), then 303 back
    GET  /conferences/{conference_ref}          a conference: facts, deadlines, event forms
    POST /conferences/{conference_ref}/events   record a conference event (form), then 303 back
    GET  /audit, /audit/cases/{case_ref}        the audit log (administrators; ``starter.web.audit``)

Each route says what it does in the permissions table (``require``; an event's route by the event's
type, ``require_event``) and is an ``AuditedRoute``: who did or looked at what is in the audit log.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from temporalio.service import RPCError

from domain.events import CONFERENCE_REF_PATTERN, JourneyEvent, StrategyDiscussion
from shipped.profiles import PolicyNotFound, profile_ids
from domain.complaints import COMPLAINT_EVENT_TYPES, ComplaintEvent
from starter.client import EventRejected, JourneyError, JourneyExists, Journeys, JourneySummary, NotAnswered
from starter.web.complaints import OPENINGS, REFERENCE_FIELDS, complaint_href, complaint_page
from starter.web.conference import (
    CONFERENCE_EVENT_LABELS,
    CONFERENCE_EVENT_TYPES,
    LIST_FIELDS,
    conference_fields,
    conference_href,
    conference_page,
)
from starter.web.connection import JourneysFactory
from starter.web.event_fields import event_fields
from starter.web.form_errors import InvalidCaseRef, error_sentences, valid_case_ref
from starter.web.forms import london_today, new_event_id
from starter.web.markup import e
from starter.web.model_forms import multi_fields, read
from starter.web.labels import EVENT_LABELS
from starter.web.pages import escalates_to, home_page, journey_href, journey_page
from starter.web.api import CaseRefPath, ComplaintRefPath, ConferenceRefPath
from starter.identity import Actor
from starter.permissions import Action, require, require_event
from starter.web.audit import AuditedRoute, audit_router, looked_at_for

log = logging.getLogger("cpj.web")

EVENT_ADAPTER: TypeAdapter = TypeAdapter(JourneyEvent)
COMPLAINT_ADAPTER: TypeAdapter = TypeAdapter(ComplaintEvent)
COMPLAINT_REF = re.compile(CONFERENCE_REF_PATTERN)
COMPLAINT_REF_HELP = ("A complaint reference is the complaints system's number: 4 to 40 capital letters, digits and "
                      "hyphens, for example CMP-0001. Never a name.")
#: Journeys on one page of the home table; a "Next page" link follows when there are more.
HOME_PAGE_SIZE = 50

# Who may call each route (module level: the routes' annotations are strings, resolved in this module).
Lister = Annotated[Actor, require(Action.LIST_CASELOAD)]
Reader = Annotated[Actor, require(Action.READ_CASE)]
Starter = Annotated[Actor, require_event("journey_start")]
Recorder = Annotated[Actor, require_event("journey")]
ChallengeStarter = Annotated[Actor, require_event("complaint_start")]
ChallengeRecorder = Annotated[Actor, require_event("complaint")]
ConferenceRecorder = Annotated[Actor, require_event("conference")]


def namespace(j: Journeys) -> str:
    return getattr(getattr(j, "client", None), "namespace", None) or "default"


def admin_router(journeys: JourneysFactory) -> APIRouter:
    """The HTML routes; ``journeys`` gives the app's :class:`Journeys`."""
    ui_url = os.environ.get("CPJ_TEMPORAL_UI_URL", "http://localhost:8233").rstrip("/")
    router = APIRouter(route_class=AuditedRoute)
    router.include_router(audit_router(journeys))

    async def render_home(filters: dict[str, str] | None = None, page_token: str = "", **kwargs: Any) -> HTMLResponse:
        j = await journeys()
        filters = filters or {}
        rows: list[JourneySummary] | None
        list_error = next_page_token = None
        overdue = {"yes": True, "no": False}.get(filters.get("overdue", ""))
        try:
            page = await j.list(stage=filters.get("stage") or None, overdue=overdue, policy=filters.get("policy") or None,
                                page_size=HOME_PAGE_SIZE, page_token=page_token or None)
            rows, next_page_token = page.journeys, page.next_page_token
        except RPCError as err:
            log.warning("cannot list journeys: %s", err)
            rows, list_error = None, f"Temporal could not list journeys ({err.message}). Open one by its case reference below."
        except JourneyError as err:  # a filter or page token not ours, or Temporal not answering in time
            rows, list_error = None, f"{err}. Open a journey by its case reference below."
        return home_page(rows, ui_url, namespace(j), list_error=list_error, filters=filters,
                         page_token=page_token or None, next_page_token=next_page_token, **kwargs)

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home(actor: Lister, stage: str = "", overdue: str = "", policy: str = "", page_token: str = "") -> HTMLResponse:
        return await render_home({"stage": stage, "overdue": overdue, "policy": policy}, page_token)

    @router.get("/journeys", include_in_schema=False)
    async def lookup(actor: Reader, case_ref: str = "") -> Response:
        ref = case_ref.strip().upper()
        if not ref:
            return RedirectResponse("/", status_code=303)
        return RedirectResponse(journey_href(ref), status_code=303)

    @router.post("/journeys", include_in_schema=False)
    async def start_from_form(request: Request, actor: Starter) -> Response:
        form = await request.form()
        values = {k: str(form.get(k, "")) for k in ("case_ref", "policy", "strategy_discussion")}
        values["case_ref"] = values["case_ref"].strip().upper()
        values["initiated_section_47"] = "on" if form.get("initiated_section_47") else "off"
        try:
            case_ref = valid_case_ref(values["case_ref"])
            if values["policy"] not in profile_ids():
                raise PolicyNotFound(f"There is no policy profile {values['policy']!r}.")
            discussion = StrategyDiscussion(
                event_id=new_event_id(),
                held_on=values["strategy_discussion"],
                initiated_section_47=values["initiated_section_47"] == "on",
            )
            await (await journeys()).start(case_ref, values["policy"], discussion, by=actor.recorded_as)
        except ValidationError as err:
            return await render_home(error=f"The journey was not started. {error_sentences(err)}", values=values,
                                     status_code=400)
        except (InvalidCaseRef, PolicyNotFound) as err:
            return await render_home(error=f"The journey was not started. {err}", values=values, status_code=400)
        except JourneyExists as err:
            link = f'<p><a href="{e(journey_href(values["case_ref"]))}">Open the running journey</a></p>'
            return await render_home(error=f"The journey was not started: {err}.", values=values, status_code=409,
                                     error_extra=link)
        return RedirectResponse(journey_href(case_ref), status_code=303)

    async def render_journey(j: Journeys, state, request: Request, **kwargs: Any) -> HTMLResponse:
        """The journey page, with the case's complaints and disagreements (or a note that they cannot be listed),
        and for an administrator who has looked at the case."""
        try:
            challenges = await j.complaints_of(state.case_ref, state)
        except (RPCError, JourneyError) as err:
            log.warning("cannot list the complaints of a case: %s", type(err).__name__)
            challenges = None
        looked_at = await looked_at_for(request, request.state.actor, state)
        return journey_page(state, ui_url, namespace(j), challenges=challenges, looked_at=looked_at, **kwargs)

    @router.get("/journeys/{case_ref}", response_class=HTMLResponse, include_in_schema=False)
    async def journey(case_ref: CaseRefPath, request: Request, actor: Reader, recorded: str | None = None) -> HTMLResponse:
        j = await journeys()
        return await render_journey(j, await j.state(case_ref), request, recorded=recorded)

    @router.post("/journeys/{case_ref}/events", include_in_schema=False)
    async def send_from_form(case_ref: CaseRefPath, request: Request, actor: Recorder) -> Response:
        form = await request.form()
        values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        kind = values.get("type", "")
        j = await journeys()
        if kind not in EVENT_LABELS:
            state = await j.state(case_ref)
            return await render_journey(j, state, request, error="That is not an event this journey knows.", status_code=422)
        values["initiated_section_47"] = "on" if values.get("initiated_section_47") else "off"
        event_id = values.get("event_id") or new_event_id()
        values["event_id"] = event_id
        try:
            event = EVENT_ADAPTER.validate_python(event_fields(kind, values, event_id))
            await j.send(case_ref, event, by=actor.recorded_as)
        except ValidationError as err:
            state = await j.state(case_ref)
            return await render_journey(j, state, request, failed=values, status_code=422,
                                        error=f"{EVENT_LABELS[kind]} was not recorded. {error_sentences(err)}")
        except EventRejected as err:
            state = await j.state(case_ref)
            return await render_journey(j, state, request, failed=values, status_code=409,
                                        error=f"{EVENT_LABELS[kind]} was not recorded: {err}")
        return RedirectResponse(f"{journey_href(case_ref)}?recorded={kind}", status_code=303)

    def form_values(form, model) -> dict[str, Any]:
        """A submitted form's fields: text, or the list ticked for a choice of several; references in capitals."""
        values: dict[str, Any] = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        for name in multi_fields(model) if model is not None else ():
            values[name] = [str(v) for v in form.getlist(name)]
        for name in REFERENCE_FIELDS:
            if isinstance(values.get(name), str):
                values[name] = values[name].strip().upper()
        values["event_id"] = values.get("event_id") or new_event_id()
        return values

    @router.post("/journeys/{case_ref}/complaints", include_in_schema=False)
    async def start_complaint_from_form(case_ref: CaseRefPath, request: Request, actor: ChallengeStarter) -> Response:
        form = await request.form()
        kind = str(form.get("type", ""))
        model = OPENINGS.get(kind)
        values = form_values(form, model)
        j = await journeys()
        if model is None:
            return await render_journey(j, await j.state(case_ref), request, status_code=422,
                                        error="That is not a way a complaint or disagreement starts.")
        what = "complaint" if kind == "complaint_made" else "disagreement"
        complaint_ref = values.get("complaint_ref", "")
        if not COMPLAINT_REF.fullmatch(complaint_ref):
            return await render_journey(j, await j.state(case_ref), request, failed=values, status_code=422,
                                        error=f"The {what} was not started. {COMPLAINT_REF_HELP}")
        try:
            opening = model.model_validate(read(model, values, values["event_id"]))
            await j.start_complaint(complaint_ref, case_ref, opening, by=actor.recorded_as)
        except ValidationError as err:
            return await render_journey(j, await j.state(case_ref), request, failed=values, status_code=422,
                                        error=f"The {what} was not started. {error_sentences(err)}")
        except (EventRejected, JourneyExists) as err:
            return await render_journey(j, await j.state(case_ref), request, failed=values, status_code=409,
                                        error=f"The {what} was not started: {err}.")
        return RedirectResponse(f"{complaint_href(complaint_ref)}?recorded=started", status_code=303)

    async def render_complaint(j: Journeys, state, **kwargs: Any) -> HTMLResponse:
        try:
            letters = await j.complaint_letters(state.complaint_ref)
        except (RPCError, NotAnswered) as err:
            log.warning("cannot read a complaint's letters: %s", type(err).__name__)
            letters = None
        return complaint_page(state, letters, london_today().isoformat(), new_event_id, escalates_to, **kwargs)

    @router.get("/complaints/{complaint_ref}", response_class=HTMLResponse, include_in_schema=False)
    async def complaint(complaint_ref: ComplaintRefPath, actor: Reader, recorded: str | None = None) -> HTMLResponse:
        j = await journeys()
        return await render_complaint(j, await j.complaint(complaint_ref), recorded=recorded)

    @router.post("/complaints/{complaint_ref}/events", include_in_schema=False)
    async def send_to_complaint_from_form(complaint_ref: ComplaintRefPath, request: Request,
                                          actor: ChallengeRecorder) -> Response:
        form = await request.form()
        kind = str(form.get("type", ""))
        model = COMPLAINT_EVENT_TYPES.get(kind)
        values = form_values(form, model)
        j = await journeys()
        if model is None:
            return await render_complaint(j, await j.complaint(complaint_ref), status_code=422,
                                          error="That is not an event a complaint takes.")
        try:
            event = COMPLAINT_ADAPTER.validate_python(read(model, values, values["event_id"]))
            await j.send_complaint_event(complaint_ref, event, by=actor.recorded_as)
        except ValidationError as err:
            return await render_complaint(j, await j.complaint(complaint_ref), failed=values, status_code=422,
                                          error=f"{model.title} was not recorded. {error_sentences(err)}")
        except EventRejected as err:
            return await render_complaint(j, await j.complaint(complaint_ref), failed=values, status_code=409,
                                          error=f"{model.title} was not recorded: {err}")
        return RedirectResponse(f"{complaint_href(complaint_ref)}?recorded={kind}", status_code=303)

    def render_conference(state, **kwargs: Any) -> HTMLResponse:
        return conference_page(state, london_today().isoformat(), new_event_id, escalates_to, **kwargs)

    @router.get("/conferences/{conference_ref}", response_class=HTMLResponse, include_in_schema=False)
    async def conference(conference_ref: ConferenceRefPath, actor: Reader, recorded: str | None = None) -> HTMLResponse:
        return render_conference(await (await journeys()).conference(conference_ref), recorded=recorded)

    @router.post("/conferences/{conference_ref}/events", include_in_schema=False)
    async def send_to_conference_from_form(conference_ref: ConferenceRefPath, request: Request,
                                           actor: ConferenceRecorder) -> Response:
        form = await request.form()
        values: dict[str, Any] = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        for name in LIST_FIELDS:
            values[name] = [str(v) for v in form.getlist(name)]
        kind = values.get("type", "")
        j = await journeys()
        state = await j.conference(conference_ref)
        if kind not in CONFERENCE_EVENT_TYPES:
            return render_conference(state, error="That is not an event this conference knows.", status_code=422)
        event_id = values.get("event_id") or new_event_id()
        values["event_id"] = event_id
        label = CONFERENCE_EVENT_LABELS[kind]
        try:
            event = CONFERENCE_EVENT_TYPES[kind].model_validate(conference_fields(kind, values, event_id, state))
            await j.send_to_conference(conference_ref, event, by=actor.recorded_as)
        except ValidationError as err:
            return render_conference(state, failed=values, status_code=422,
                                     error=f"{label} was not recorded. {error_sentences(err)}")
        except EventRejected as err:
            return render_conference(await j.conference(conference_ref), failed=values, status_code=409,
                                     error=f"{label} was not recorded: {err}")
        return RedirectResponse(f"{conference_href(conference_ref)}?recorded={kind}", status_code=303)

    return router
