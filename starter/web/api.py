"""The service API (JSON, for other services), under /api.

Routes::

    GET  /api/policies                          profiles: id, version, authority
    GET  /api/policies/{id}                     one resolved profile
    GET  /api/deadlines?policy=&strategy_discussion=   the ICPC deadline, and why
    POST /api/journeys                          start a journey (201; a retried start 200, "resend": true)
    GET  /api/journeys?stage=&overdue=&policy=&lead_social_worker=&team=&case_ref=&page_size=&page_token=
                                                one page of journey summaries and the next page's token
    GET  /api/journeys/{case_ref}               a journey's state
    POST /api/journeys/{case_ref}/events        send one event (discriminated by "type")
    GET  /api/journeys/{case_ref}/complaints    the case's complaints and disagreements, open and closed
    POST /api/complaints                        start a complaint or disagreement (201; a retried start 200;
                                                refused by the procedure 409, with the reason)
    GET  /api/complaints/{complaint_ref}        a complaint's state: stage, deadlines with reasons, what it decided
    POST /api/complaints/{complaint_ref}/events send one complaint event (discriminated by "type")

Each route says what it does in the permissions table (``require``; an event's route by the event's
type, ``require_event``, a service key by the event types it was given); each is an ``AuditedRoute``.
Whoever sends an event is written into it (``recorded_by``) from the key or session, never from the body.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Body, Path, Query, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, model_validator

from domain import case_refs
from domain.complaints import COMPLAINT_EVENTS, ComplaintEvent, ComplaintMade, ComplaintRef, DisagreementRaised, Opening
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
from starter.client import Answer, ChallengeSummary, MAX_PAGE_SIZE, JourneySummary, WorkerUnavailable
from starter.identity import Actor
from starter.permissions import Action, require, require_event
from starter.web.api_answers import (
    COMPLAINT, CONFERENCE, DEADLINE, JOURNEY, ON_PLAN, PENDING, RECEIPT, STARTED, SUMMARY, answers, success,
)
from starter.web.audit import AuditedRoute
from starter.web.connection import JourneysFactory

#: A reference in a path is checked like one in a body, so no path can reach another workflow
#: (``/api/journeys/conf-X`` would otherwise address the conference ``cpj-conf-X``).
CaseRefPath = Annotated[CaseRef, Path(description="the case system's reference, e.g. CASE-0042")]
ConferenceRefPath = Annotated[ConferenceRef, Path(description="the conference's reference, e.g. ICPC-0200")]
ComplaintRefPath = Annotated[ComplaintRef, Path(description="the complaint's reference, e.g. CMP-0001")]

# Who may call each route (module level: the routes' annotations are strings, resolved in this module).
PolicyReader = Annotated[Actor, require(Action.READ_POLICIES)]
Lister = Annotated[Actor, require(Action.LIST_CASELOAD)]
Reader = Annotated[Actor, require(Action.READ_CASE)]
Starter = Annotated[Actor, require_event("journey_start")]
Recorder = Annotated[Actor, require_event("journey")]
Feeder = Annotated[Actor, require_event("feed")]
ChallengeStarter = Annotated[Actor, require_event("complaint_start")]
ChallengeRecorder = Annotated[Actor, require_event("complaint")]
ConferenceRecorder = Annotated[Actor, require_event("conference")]


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


class StartComplaint(BaseModel):
    """What a service sends to start a complaint or disagreement about a case (its journey gives the policy)."""

    model_config = ConfigDict(extra="forbid")

    #: The complaints system's reference for it: the workflow is ``cpj-complaint-<ref>``.
    complaint_ref: ComplaintRef
    case_ref: CaseRef
    #: ``complaint_made`` (a complaint) or ``disagreement_raised`` (a disagreement), by "type".
    opening: Opening


def _examples(models) -> dict[str, dict]:
    """The API's example of each event: the model's own, from each field's examples."""
    return {model.model_fields["type"].default: {"summary": model.title, "description": model.__doc__ or "",
                                                 "value": model.example()} for model in models}


EVENT_EXAMPLES = _examples(EVENT_TYPES.values())
FEED_EXAMPLES = _examples(FEED_EVENTS)
COMPLAINT_EVENT_EXAMPLES = _examples(COMPLAINT_EVENTS)
START_COMPLAINT_EXAMPLES = {
    model.model_fields["type"].default: {
        "summary": model.title, "description": model.__doc__ or "",
        "value": {"complaint_ref": "CMP-0001", "case_ref": "CASE-0042", "opening": model.example()}}
    for model in (ComplaintMade, DisagreementRaised)
}


def challenge_json(row: ChallengeSummary) -> dict:
    data = jsonable_encoder(asdict(row))
    data["next_due"] = row.next_due.isoformat() if row.next_due else None
    data["open"] = row.open
    return data


def summary_json(row: JourneySummary) -> dict:
    data = jsonable_encoder(asdict(row))
    data["next_due"] = row.next_due.isoformat() if row.next_due else None
    return data


def answer_json(answer: Answer) -> dict:
    return {**answer.state.model_dump(mode="json"), "receipt": answer.receipt.model_dump(mode="json")}


async def started_answer(started, response: Response, read_state, poll: str) -> dict:
    """The answer to a start: 201 started, 200 a retried start, 202 when no worker has answered yet (Temporal
    holds the workflow; it runs as soon as a worker polls, so the start stands): ask ``poll`` again."""
    answer = {"workflow_id": started.workflow_id, "resend": started.resend}
    if started.resend:
        response.status_code = 200
    try:
        state = await read_state()
    except WorkerUnavailable:
        response.status_code = 202
        response.headers["Location"] = poll
        return {**answer, "state": None, "poll": poll}
    return {**answer, "state": state.model_dump(mode="json")}


def api_router(journeys: JourneysFactory) -> APIRouter:
    """The JSON routes; ``journeys`` gives the app's :class:`Journeys`."""
    router = APIRouter(route_class=AuditedRoute)

    @router.get("/api/policies", tags=["policies"], responses=answers(ok={200: success(
        "every policy profile shipped", [{"id": "birmingham", "version": "2026.2", "authority": "Birmingham"}])}))
    async def api_policies(actor: PolicyReader) -> list[dict]:
        return [
            {"id": p.id, "version": p.version, "authority": p.authority}
            for p in (load_profile(pid) for pid in profile_ids())
        ]

    @router.get("/api/policies/{policy_id}", tags=["policies"], responses=answers(404, 422, ok={200: success(
        "the profile, its rules resolved (each with the document and section it comes from)",
        {"id": "birmingham", "version": "2026.2", "authority": "Birmingham", "extends": "working-together-2023",
         "rules": {"icpc_within": {"amount": 15, "unit": "working_days", "direction": "after"}}})},
        saying={404: "no policy profile 'nowhere'; known: birmingham, darlington, staffordshire"}))
    async def api_policy(policy_id: str, actor: PolicyReader) -> dict:
        if policy_id not in profile_ids():
            raise PolicyNotFound(f"no policy profile {policy_id!r}; known: {', '.join(profile_ids())}")
        return load_profile(policy_id).model_dump(mode="json")

    @router.get("/api/deadlines", tags=["policies"], responses=answers(404, 422, ok={200: success(
        "the ICPC's deadline and why", {**{k: DEADLINE[k] for k in ("kind", "rule", "due", "reason")},
                                        "policy": "birmingham@2026.2"})},
        saying={404: "no policy profile 'nowhere'; known: birmingham, darlington, staffordshire"}))
    async def api_deadlines(
        policy: Annotated[str, Query(description="policy profile id")],
        strategy_discussion: Annotated[Day, Query(description="day of the discussion that initiated the s47 (ISO)")],
        actor: PolicyReader,
    ) -> dict:
        if policy not in profile_ids():
            raise PolicyNotFound(f"no policy profile {policy!r}; known: {', '.join(profile_ids())}")
        profile = load_profile(policy)
        deadline = icpc_deadline(profile, strategy_discussion)
        return {"kind": deadline.kind, "rule": deadline.rule, "due": deadline.due.isoformat(),
                "reason": deadline.reason, "policy": profile.pin}

    @router.post("/api/journeys", status_code=201, tags=["journeys"], responses=answers(404, 409, 503, body=True, ok={
        201: success("started: the journey's state", STARTED),
        200: success("a retried start (the same opening): the journey it started is running",
                     {**STARTED, "resend": True}),
        202: success("started; the worker has not answered yet: poll the Location",
                     {**STARTED, "state": None, "poll": "/api/journeys/CASE-0042"})},
        saying={404: "no policy profile 'nowhere'; known: birmingham, darlington, staffordshire"}))
    async def api_start(body: StartJourney, response: Response, actor: Starter) -> dict:
        """Start a journey; sending the same opening again (same event id) is answered, not refused."""
        if body.policy not in profile_ids():
            raise PolicyNotFound(f"no policy profile {body.policy!r}; known: {', '.join(profile_ids())}")
        # 422 with the reason in words (a ValueError), never the reference: not the authority's shape, or a name
        # or a date of birth.
        case_refs.check(body.case_ref, load_profile(body.policy))
        j = await journeys()
        started = await j.start(body.case_ref, body.policy, body.strategy_discussion or body.transfer_in,
                                by=actor.recorded_as)
        return await started_answer(started, response, lambda: j.state(body.case_ref),
                                    f"/api/journeys/{quote(body.case_ref, safe='')}")

    @router.get("/api/journeys", tags=["journeys"], responses=answers(400, 422, 503, ok={200: success(
        "one page of journeys, and the next page's token (null on the last)",
        {"journeys": [SUMMARY], "next_page_token": None})}))
    async def api_list(
        stage: Annotated[Stage | None, Query(description="only journeys at this stage")] = None,
        overdue: Annotated[bool | None, Query(description="only journeys with (true) or without (false) a deadline passed")] = None,
        policy: Annotated[str | None, Query(description="policy profile id (any version), or a pin id@version")] = None,
        lead_social_worker: Annotated[str | None, Query(description="only this lead social worker's cases (a staff "
                                                                    "number)", max_length=64)] = None,
        team: Annotated[str | None, Query(description="only this team's cases (its name, exactly)", max_length=60)] = None,
        case_ref: Annotated[str | None, Query(description="only cases whose reference starts so", max_length=64)] = None,
        page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
        page_token: Annotated[str | None, Query(description="next_page_token of the page before")] = None,
        *, actor: Lister,
    ) -> dict:
        """One row per journey (its latest run); follow ``next_page_token`` until it is null."""
        page = await (await journeys()).list(stage=stage, overdue=overdue, policy=policy, page_size=page_size,
                                             page_token=page_token, lead_social_worker=lead_social_worker, team=team,
                                             case_ref=case_ref)
        return {"journeys": [summary_json(row) for row in page.journeys], "next_page_token": page.next_page_token}

    @router.get("/api/journeys/{case_ref}", tags=["journeys"],
                responses=answers(404, 422, 503, ok={200: success("the journey's state", JOURNEY)}))
    async def api_state(case_ref: CaseRefPath, actor: Reader) -> dict:
        return (await (await journeys()).state(case_ref)).model_dump(mode="json")

    @router.post("/api/journeys/{case_ref}/events", tags=["journeys"], responses=answers(404, 409, 503, body=True, ok={
        200: success("recorded (or a resend: \"resend\": true): the journey's state after it, with the receipt",
                     {**ON_PLAN, "receipt": RECEIPT}),
        202: success("sent, not yet answered: the worker is not answering; send it again with the same event id",
                     {"detail": PENDING})},
        saying={409: "Held on 2026-10-30 is before the last strategy discussion (2026-11-02)"}))
    async def api_send(case_ref: CaseRefPath, event: Annotated[JourneyEvent, Body(openapi_examples=EVENT_EXAMPLES)],
                       actor: Recorder) -> dict:
        """The journey's state after the event, with its ``receipt`` (``resend``: sent before, changed nothing)."""
        return answer_json(await (await journeys()).send_event(case_ref, event, by=actor.recorded_as))

    @router.post("/api/journeys/{case_ref}/feed", status_code=202, tags=["journeys"],
                 responses=answers(404, 409, 503, body=True, ok={202: success(
                     "accepted for the journey (one that does not fit is recorded there as refused)",
                     {"accepted": "absence-2026-11-04-1"})},
                     saying={409: "IcpcHeld is not a feed event; send it as an event instead"}))
    async def api_feed(case_ref: CaseRefPath, event: Annotated[FeedEvent, Body(openapi_examples=FEED_EXAMPLES)],
                       actor: Feeder) -> dict:
        """Fire-and-forget: accepted for the journey; one that does not fit is recorded there as refused."""
        await (await journeys()).feed(case_ref, event, by=actor.recorded_as)
        return {"accepted": event.event_id}

    @router.get("/api/journeys/{case_ref}/complaints", tags=["complaints"], responses=answers(404, 422, 503, ok={
        200: success("the case's complaints and disagreements, open and closed", {"complaints": [
            {"complaint_ref": "CMP-0001", "stage": "informal_resolution", "kind": "complaint",
             "about": "a complaint about the conference's process", "opened_on": "2026-12-01", "outcome": None,
             "closed_on": None, "status": "RUNNING", "next_deadline": "2026-12-15T23:59:59Z",
             "next_deadline_kind": "complaint_response", "overdue": False, "next_due": "2026-12-15",
             "open": True}]})}))
    async def api_case_complaints(case_ref: CaseRefPath, actor: Reader) -> dict:
        """The case's complaints and disagreements, open and closed, one row each."""
        rows = await (await journeys()).complaints_of(case_ref)
        return {"complaints": [challenge_json(row) for row in rows]}

    @router.post("/api/complaints", status_code=201, tags=["complaints"],
                 responses=answers(404, 409, 503, body=True, ok={
                     201: success("started: the complaint's state",
                                  {"workflow_id": "cpj-complaint-CMP-0001", "resend": False, "state": COMPLAINT}),
                     200: success("a retried start: the complaint it started exists",
                                  {"workflow_id": "cpj-complaint-CMP-0001", "resend": True, "state": COMPLAINT}),
                     202: success("started; the worker has not answered yet: poll the Location",
                                  {"workflow_id": "cpj-complaint-CMP-0001", "resend": False, "state": None,
                                   "poll": "/api/complaints/CMP-0001"})},
                     saying={409: "a complaint about one agency's own service goes to that agency's complaints "
                                  "procedure, not this one"}))
    async def api_start_complaint(
        body: Annotated[StartComplaint, Body(openapi_examples=START_COMPLAINT_EXAMPLES)], response: Response,
        actor: ChallengeStarter,
    ) -> dict:
        """Start a complaint or disagreement on the case's journey's policy; one the procedure does not take (an
        ineligible complainant, one agency's own service, a date in the future) is refused at once, with the reason."""
        case_refs.check(body.case_ref)  # 422 if it looks like a name or a date of birth, before Temporal is asked
        j = await journeys()
        started = await j.start_complaint(body.complaint_ref, body.case_ref, body.opening, by=actor.recorded_as)
        return await started_answer(started, response, lambda: j.complaint(body.complaint_ref),
                                    f"/api/complaints/{quote(body.complaint_ref, safe='')}")

    @router.get("/api/complaints/{complaint_ref}", tags=["complaints"], responses=answers(
        404, 422, 503, ok={200: success("the complaint's state", COMPLAINT)}, saying={404: "no complaint CMP-0001"}))
    async def api_complaint(complaint_ref: ComplaintRefPath, actor: Reader) -> dict:
        return (await (await journeys()).complaint(complaint_ref)).model_dump(mode="json")

    @router.post("/api/complaints/{complaint_ref}/events", tags=["complaints"],
                 responses=answers(404, 409, 503, body=True, ok={
                     200: success("recorded (or a resend): the complaint's state after it, with the receipt",
                                  {**COMPLAINT, "receipt": {"event_id": "ack-1", "type": "receipt_acknowledged",
                                                            "resend": False, "stage": "informal_resolution"}}),
                     202: success("sent, not yet answered: send it again with the same event id", {"detail": PENDING})},
                     saying={404: "no complaint CMP-0001"}))
    async def api_complaint_event(
        complaint_ref: ComplaintRefPath,
        event: Annotated[ComplaintEvent, Body(openapi_examples=COMPLAINT_EVENT_EXAMPLES)],
        actor: ChallengeRecorder,
    ) -> dict:
        """The complaint's state after the event, with its ``receipt`` (``resend``: sent before, changed nothing);
        an event that does not fit the complaint's stage is refused (409) with the reason."""
        return answer_json(await (await journeys()).send_complaint_event(complaint_ref, event, by=actor.recorded_as))

    @router.get("/api/conferences/{conference_ref}", tags=["conferences"], responses=answers(
        404, 422, 503, ok={200: success("the conference's state", CONFERENCE)},
        saying={404: "no conference ICPC-0200"}))
    async def api_conference(conference_ref: ConferenceRefPath, actor: Reader) -> dict:
        return (await (await journeys()).conference(conference_ref)).model_dump(mode="json")

    @router.post("/api/conferences/{conference_ref}/events", tags=["conferences"],
                 responses=answers(404, 409, 503, body=True, ok={
                     200: success("recorded (or a resend): the conference's state after it, with the receipt",
                                  {**CONFERENCE, "receipt": {"event_id": "invite-1", "type": "invitation_sent",
                                                             "resend": False, "stage": "convening"}}),
                     202: success("sent, not yet answered: send it again with the same event id", {"detail": PENDING})},
                     saying={404: "no open conference ICPC-0200"}))
    async def api_conference_event(conference_ref: ConferenceRefPath, event: Annotated[ConferenceEvent, Body()],
                                   actor: ConferenceRecorder) -> dict:
        """One conference event (invitations, reports, exclusion, split, the meeting, amendments)."""
        return answer_json(await (await journeys()).send_conference_event(conference_ref, event, by=actor.recorded_as))

    return router
