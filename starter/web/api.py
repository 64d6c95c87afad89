"""The service API (JSON, for other services), under /api.

Routes::

    GET  /api/policies                          profiles: id, version, authority
    GET  /api/policies/{id}                     one resolved profile
    GET  /api/deadlines?policy=&strategy_discussion=   the ICPC deadline, and why
    POST /api/journeys                          start a journey (201; a retried start 200, "resend": true)
    GET  /api/journeys?stage=&overdue=&policy=&page_size=&page_token=
                                                one page of journey summaries and the next page's token
    GET  /api/journeys/{case_ref}               a journey's state
    POST /api/journeys/{case_ref}/events        send one event (discriminated by "type")
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Body, Path, Query, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, model_validator

from domain.conference import ConferenceEvent
from domain.deadlines import icpc_deadline
from domain.events import (
    EVENT_TYPES,
    FEED_EVENTS,
    CaseRef,
    ConferenceRef,
    Day,
    FeedEvent,
    JourneyEvent,
    StrategyDiscussion,
    TransferIn,
)
from domain.state import Stage
from shipped.profiles import PolicyNotFound, load_profile, profile_ids
from starter.client import Answer, MAX_PAGE_SIZE, JourneySummary, WorkerUnavailable
from starter.web.connection import JourneysFactory

#: A reference in a path is checked like one in a body, so no path can reach another workflow
#: (``/api/journeys/conf-X`` would otherwise address the conference ``cpj-conf-X``).
CaseRefPath = Annotated[CaseRef, Path(description="the case system's reference, e.g. CASE-0042")]
ConferenceRefPath = Annotated[ConferenceRef, Path(description="the conference's reference, e.g. ICPC-0200")]


class StartJourney(BaseModel):
    """What a service sends to start a journey."""

    model_config = ConfigDict(extra="forbid")

    case_ref: CaseRef
    policy: str
    strategy_discussion: StrategyDiscussion | None = None
    #: Instead of a strategy discussion: a child on another authority's plan moving here.
    transfer_in: TransferIn | None = None

    @model_validator(mode="after")
    def _one_opening(self) -> StartJourney:
        if (self.strategy_discussion is None) == (self.transfer_in is None):
            raise ValueError("give strategy_discussion or transfer_in, exactly one")
        return self


def _examples(models) -> dict[str, dict]:
    """The API's example of each event: the model's own, from each field's examples."""
    return {model.model_fields["type"].default: {"summary": model.title, "description": model.__doc__ or "",
                                                 "value": model.example()} for model in models}


EVENT_EXAMPLES = _examples(EVENT_TYPES.values())
FEED_EXAMPLES = _examples(FEED_EVENTS)


def summary_json(row: JourneySummary) -> dict:
    data = jsonable_encoder(asdict(row))
    data["next_due"] = row.next_due.isoformat() if row.next_due else None
    return data


def answer_json(answer: Answer) -> dict:
    return {**answer.state.model_dump(mode="json"), "receipt": answer.receipt.model_dump(mode="json")}


def api_router(journeys: JourneysFactory) -> APIRouter:
    """The JSON routes; ``journeys`` gives the app's :class:`Journeys`."""
    router = APIRouter()

    @router.get("/api/policies", tags=["policies"])
    async def api_policies() -> list[dict]:
        return [
            {"id": p.id, "version": p.version, "authority": p.authority}
            for p in (load_profile(pid) for pid in profile_ids())
        ]

    @router.get("/api/policies/{policy_id}", tags=["policies"])
    async def api_policy(policy_id: str) -> dict:
        if policy_id not in profile_ids():
            raise PolicyNotFound(f"no policy profile {policy_id!r}; known: {', '.join(profile_ids())}")
        return load_profile(policy_id).model_dump(mode="json")

    @router.get("/api/deadlines", tags=["policies"])
    async def api_deadlines(
        policy: Annotated[str, Query(description="policy profile id")],
        strategy_discussion: Annotated[Day, Query(description="day of the discussion that initiated the s47 (ISO)")],
    ) -> dict:
        if policy not in profile_ids():
            raise PolicyNotFound(f"no policy profile {policy!r}; known: {', '.join(profile_ids())}")
        profile = load_profile(policy)
        deadline = icpc_deadline(profile, strategy_discussion)
        return {"kind": deadline.kind, "rule": deadline.rule, "due": deadline.due.isoformat(),
                "reason": deadline.reason, "policy": profile.pin}

    @router.post("/api/journeys", status_code=201, tags=["journeys"],
                 responses={200: {"description": "a retried start: the journey it started is running"},
                            202: {"description": "started; the worker has not answered yet: poll the Location"}})
    async def api_start(body: StartJourney, response: Response) -> dict:
        """Start a journey; sending the same opening again (same event id) is answered, not refused."""
        if body.policy not in profile_ids():
            raise PolicyNotFound(f"no policy profile {body.policy!r}; known: {', '.join(profile_ids())}")
        j = await journeys()
        started = await j.start(body.case_ref, body.policy, body.strategy_discussion or body.transfer_in)
        answer = {"workflow_id": started.workflow_id, "resend": started.resend}
        if started.resend:
            response.status_code = 200
        try:
            state = await j.state(body.case_ref)
        except WorkerUnavailable:
            # Temporal holds the journey; it runs as soon as a worker polls, so the start stands.
            poll = f"/api/journeys/{quote(body.case_ref, safe='')}"
            response.status_code = 202
            response.headers["Location"] = poll
            return {**answer, "state": None, "poll": poll}
        return {**answer, "state": state.model_dump(mode="json")}

    @router.get("/api/journeys", tags=["journeys"])
    async def api_list(
        stage: Annotated[Stage | None, Query(description="only journeys at this stage")] = None,
        overdue: Annotated[bool | None, Query(description="only journeys with (true) or without (false) a deadline passed")] = None,
        policy: Annotated[str | None, Query(description="policy profile id (any version), or a pin id@version")] = None,
        page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
        page_token: Annotated[str | None, Query(description="next_page_token of the page before")] = None,
    ) -> dict:
        """One row per journey (its latest run); follow ``next_page_token`` until it is null."""
        page = await (await journeys()).list(stage=stage, overdue=overdue, policy=policy, page_size=page_size,
                                             page_token=page_token)
        return {"journeys": [summary_json(row) for row in page.journeys], "next_page_token": page.next_page_token}

    @router.get("/api/journeys/{case_ref}", tags=["journeys"])
    async def api_state(case_ref: CaseRefPath) -> dict:
        return (await (await journeys()).state(case_ref)).model_dump(mode="json")

    @router.post("/api/journeys/{case_ref}/events", tags=["journeys"])
    async def api_send(case_ref: CaseRefPath, event: Annotated[JourneyEvent, Body(openapi_examples=EVENT_EXAMPLES)]) -> dict:
        """The journey's state after the event, with its ``receipt`` (``resend``: sent before, changed nothing)."""
        return answer_json(await (await journeys()).send_event(case_ref, event))

    @router.post("/api/journeys/{case_ref}/feed", status_code=202, tags=["journeys"])
    async def api_feed(case_ref: CaseRefPath, event: Annotated[FeedEvent, Body(openapi_examples=FEED_EXAMPLES)]) -> dict:
        """Fire-and-forget: accepted for the journey; one that does not fit is recorded there as refused."""
        await (await journeys()).feed(case_ref, event)
        return {"accepted": event.event_id}

    @router.get("/api/conferences/{conference_ref}", tags=["conferences"])
    async def api_conference(conference_ref: ConferenceRefPath) -> dict:
        return (await (await journeys()).conference(conference_ref)).model_dump(mode="json")

    @router.post("/api/conferences/{conference_ref}/events", tags=["conferences"])
    async def api_conference_event(conference_ref: ConferenceRefPath, event: Annotated[ConferenceEvent, Body()]) -> dict:
        """One conference event (invitations, reports, exclusion, split, the meeting, amendments)."""
        return answer_json(await (await journeys()).send_conference_event(conference_ref, event))

    return router
