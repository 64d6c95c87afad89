"""The admin tool's routes (HTML, for operations staff): read a form or a journey, answer with a page or a redirect.

Routes::

    GET  /                                      journeys table and the "Start a journey" form
    POST /journeys                              start (form), then 303 to the journey page
    GET  /journeys?case_ref=                    open a journey by case reference
    GET  /journeys/{case_ref}                   a journey: deadlines, escalations, event forms
    POST /journeys/{case_ref}/events            record an event (form), then 303 back
"""

from __future__ import annotations

import logging
import os
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from temporalio.service import RPCError

from domain.events import JourneyEvent, StrategyDiscussion
from domain.policy import PolicyNotFound, profile_ids
from starter.client import EventRejected, JourneyExists, Journeys, JourneySummary
from starter.web.connection import JourneysFactory
from starter.web.event_fields import event_fields
from starter.web.form_errors import InvalidCaseRef, error_sentences, valid_case_ref
from starter.web.forms import new_event_id
from starter.web.markup import e
from starter.web.labels import EVENT_LABELS
from starter.web.pages import home_page, journey_href, journey_page

log = logging.getLogger("cpj.web")

EVENT_ADAPTER: TypeAdapter = TypeAdapter(JourneyEvent)


def namespace(j: Journeys) -> str:
    return getattr(getattr(j, "client", None), "namespace", None) or "default"


def admin_router(journeys: JourneysFactory) -> APIRouter:
    """The HTML routes; ``journeys`` gives the app's :class:`Journeys`."""
    ui_url = os.environ.get("CPJ_TEMPORAL_UI_URL", "http://localhost:8233").rstrip("/")
    router = APIRouter()

    async def render_home(**kwargs: Any) -> HTMLResponse:
        j = await journeys()
        rows: list[JourneySummary] | None
        list_error = None
        try:
            rows = await j.list()
        except RPCError as err:
            log.warning("cannot list journeys: %s", err)
            rows, list_error = None, f"Temporal could not list journeys ({err.message}). Open one by its case reference below."
        return home_page(rows, ui_url, namespace(j), list_error=list_error, **kwargs)

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home() -> HTMLResponse:
        return await render_home()

    @router.get("/journeys", include_in_schema=False)
    async def lookup(case_ref: str = "") -> Response:
        ref = case_ref.strip().upper()
        if not ref:
            return RedirectResponse("/", status_code=303)
        return RedirectResponse(journey_href(ref), status_code=303)

    @router.post("/journeys", include_in_schema=False)
    async def start_from_form(request: Request) -> Response:
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
            await (await journeys()).start(case_ref, values["policy"], discussion)
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

    @router.get("/journeys/{case_ref}", response_class=HTMLResponse, include_in_schema=False)
    async def journey(case_ref: str, recorded: str | None = None) -> HTMLResponse:
        j = await journeys()
        return journey_page(await j.state(case_ref), ui_url, namespace(j), recorded=recorded)

    @router.post("/journeys/{case_ref}/events", include_in_schema=False)
    async def send_from_form(case_ref: str, request: Request) -> Response:
        form = await request.form()
        values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        kind = values.get("type", "")
        j = await journeys()
        if kind not in EVENT_LABELS:
            state = await j.state(case_ref)
            return journey_page(state, ui_url, namespace(j), error="That is not an event this journey knows.",
                                status_code=422)
        values["initiated_section_47"] = "on" if values.get("initiated_section_47") else "off"
        event_id = values.get("event_id") or new_event_id()
        values["event_id"] = event_id
        try:
            event = EVENT_ADAPTER.validate_python(event_fields(kind, values, event_id))
            await j.send(case_ref, event)
        except ValidationError as err:
            state = await j.state(case_ref)
            return journey_page(state, ui_url, namespace(j), failed=values, status_code=422,
                                error=f"{EVENT_LABELS[kind]} was not recorded. {error_sentences(err)}")
        except EventRejected as err:
            state = await j.state(case_ref)
            return journey_page(state, ui_url, namespace(j), failed=values, status_code=409,
                                error=f"{EVENT_LABELS[kind]} was not recorded: {err}")
        return RedirectResponse(f"{journey_href(case_ref)}?recorded={kind}", status_code=303)


    return router
