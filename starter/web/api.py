"""The service API (JSON, for other services), under /api.

Routes::

    GET  /api/policies                          profiles: id, version, authority
    GET  /api/policies/{id}                     one resolved profile
    GET  /api/deadlines?policy=&strategy_discussion=   the ICPC deadline, and why
    POST /api/journeys                          start a journey (201)
    GET  /api/journeys                          journey summaries
    GET  /api/journeys/{case_ref}               a journey's state
    POST /api/journeys/{case_ref}/events        send one event (discriminated by "type")
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, model_validator

from domain.conference import ConferenceEvent
from domain.deadlines import icpc_deadline
from domain.events import CaseRef, FeedEvent, JourneyEvent, StrategyDiscussion, TransferIn
from domain.policy import PolicyNotFound, load_profile, profile_ids
from starter.client import JourneySummary
from starter.web.connection import JourneysFactory


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


def summary_json(row: JourneySummary) -> dict:
    data = jsonable_encoder(asdict(row))
    data["next_due"] = row.next_due.isoformat() if row.next_due else None
    return data


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
        strategy_discussion: Annotated[date, Query(description="day of the discussion that initiated the s47 (ISO)")],
    ) -> dict:
        if policy not in profile_ids():
            raise PolicyNotFound(f"no policy profile {policy!r}; known: {', '.join(profile_ids())}")
        profile = load_profile(policy)
        deadline = icpc_deadline(profile, strategy_discussion)
        return {"kind": deadline.kind, "rule": deadline.rule, "due": deadline.due.isoformat(),
                "reason": deadline.reason, "policy": profile.pin}

    @router.post("/api/journeys", status_code=201, tags=["journeys"])
    async def api_start(body: StartJourney) -> dict:
        if body.policy not in profile_ids():
            raise PolicyNotFound(f"no policy profile {body.policy!r}; known: {', '.join(profile_ids())}")
        j = await journeys()
        workflow_id = await j.start(body.case_ref, body.policy, body.strategy_discussion or body.transfer_in)
        state = await j.state(body.case_ref)
        return {"workflow_id": workflow_id, "state": state.model_dump(mode="json")}

    @router.get("/api/journeys", tags=["journeys"])
    async def api_list() -> list[dict]:
        return [summary_json(row) for row in await (await journeys()).list()]

    @router.get("/api/journeys/{case_ref}", tags=["journeys"])
    async def api_state(case_ref: str) -> dict:
        return (await (await journeys()).state(case_ref)).model_dump(mode="json")

    @router.post("/api/journeys/{case_ref}/events", tags=["journeys"])
    async def api_send(case_ref: str, event: Annotated[JourneyEvent, Body()]) -> dict:
        return (await (await journeys()).send(case_ref, event)).model_dump(mode="json")

    @router.post("/api/journeys/{case_ref}/feed", status_code=202, tags=["journeys"])
    async def api_feed(case_ref: str, event: Annotated[FeedEvent, Body()]) -> dict:
        """Fire-and-forget: accepted for the journey; one that does not fit is recorded there as refused."""
        await (await journeys()).feed(case_ref, event)
        return {"accepted": event.event_id}

    @router.get("/api/conferences/{conference_ref}", tags=["conferences"])
    async def api_conference(conference_ref: str) -> dict:
        return (await (await journeys()).conference(conference_ref)).model_dump(mode="json")

    @router.post("/api/conferences/{conference_ref}/events", tags=["conferences"])
    async def api_conference_event(conference_ref: str, event: Annotated[ConferenceEvent, Body()]) -> dict:
        """One conference event (invitations, reports, exclusion, split, the meeting, amendments)."""
        return (await (await journeys()).send_to_conference(conference_ref, event)).model_dump(mode="json")

    return router
