"""What each API route may answer, for the OpenAPI document: every status code, each with an example.

A route lists its answers with :func:`answers`: its successes (:func:`success`, with an example of
the body) and the refusals it can give, by status code. A refusal's example is the body the API really
sends (``starter.web.errors``): ``{"detail": "a sentence"}``; a 422 for a body that does not fit its
model keeps pydantic's list instead, so that answer shows both.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ApiError(BaseModel):
    """Every refusal's body."""

    detail: str | list[dict[str, Any]] = Field(
        description="a sentence saying what was refused and why; for a request that does not fit its model "
                    "(422), pydantic's list of what did not, each with its place (loc) and message (msg)")


#: Why each refusal happens, and the sentence it carries (the API's own words; see starter.web.errors).
REFUSALS: dict[int, tuple[str, str]] = {
    400: ("the request cannot be read (a body that is not JSON) or answered as sent (a page token this service "
          "did not give)", "that page token is not one this service gave; start again from the first page"),
    401: ("nobody signed in: no session, or a service key that is not known or was revoked",
          "sign in first: this needs a person signed in, or a service key"),
    403: ("not yours to do (the roles table, or the event types the key was given), or a session's request "
          "without its CSRF token; nothing was changed",
          "recording a conference's decision is for the conference chair; service:school-feed () may not. "
          "Nothing was changed."),
    404: ("no such journey, conference, complaint or policy",
          "no journey for case CASE-0042"),
    409: ("refused by the journey, conference or complaint: the event does not fit where it is (the reason), "
          "or the reference is already used",
          "a journey for case CASE-0042 is already running"),
    413: ("the request body is larger than any event needs",
          "the request body is larger than 256 KiB, more than any event needs"),
    422: ("a value that cannot be what it says (a date the calendar cannot count from, a reference of the "
          "wrong shape), or a body that does not fit its model",
          "2100-01-04 is outside the days the calendar can count from (2001-01-01 to 2099-12-31)"),
    503: ("Temporal is not reachable, or has not answered yet; ask again (the same event id makes a resend harmless)",
          "Temporal is not reachable at localhost:7233; is the server running?"),
}

#: A body that does not fit its model: pydantic's list, as the API sends it.
INVALID_BODY = {"detail": [{"type": "missing", "loc": ["body", "held_on"], "msg": "Field required"}]}


def success(description: str, example: Any) -> dict[str, Any]:
    """A success answer: what it means, and an example of its body."""
    return {"description": description, "content": {"application/json": {"example": example}}}


def refusal(status: int, sentence: str | None = None) -> dict[str, Any]:
    """A refusal by ``status``: its description, the model of its body, and its sentence (or the usual one)."""
    why, usual = REFUSALS[status]
    if status == 422:
        content = {"examples": {
            "refused": {"summary": "a value that cannot be", "value": {"detail": sentence or usual}},
            "invalid": {"summary": "a body that does not fit its model", "value": INVALID_BODY}}}
    else:
        content = {"example": {"detail": sentence or usual}}
    return {"description": why, "model": ApiError, "content": {"application/json": content}}


#: What FastAPI answers to a body it cannot read as JSON.
UNREADABLE_BODY = "There was an error parsing the body"


def answers(*refused: int, ok: dict[int, dict[str, Any]] | None = None, saying: dict[int, str] | None = None,
            body: bool = False) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route: ``ok`` its successes (:func:`success`), ``refused`` the status codes of its
    refusals, ``saying`` a sentence for a refusal where the usual one would not fit the route.

    Every API route is behind sign-in and the roles table, so 401 and 403 are always among them; a route that
    reads a ``body`` also refuses one that is not JSON (400), too large (413) or not what it takes (422).
    """
    saying = {400: UNREADABLE_BODY, **(saying or {})} if body else (saying or {})
    codes = sorted({401, 403, *refused, *((400, 413, 422) if body else ())})
    return {**(ok or {}), **{status: refusal(status, saying.get(status)) for status in codes}}


# -- examples of what the routes answer (a journey two weeks from its strategy discussion) ----------------

DEADLINE = {"kind": "icpc", "label": "Initial child protection conference", "rule": "icpc_within",
            "due": "2026-11-23", "reason": "15 working days after 2026-11-02 (Birmingham procedures (Section 6), 3.2)",
            "status": "open", "agreed_target": None, "anchor": "2026-11-02"}
JOURNEY = {"case_ref": "CASE-0042", "policy": "birmingham@2026.2", "stage": "awaiting_icpc", "deadlines": [DEADLINE],
           "strategy_discussions": [{"event_id": "sd-1", "type": "strategy_discussion", "held_on": "2026-11-02",
                                     "initiated_section_47": True}],
           "section_47_initiated_on": "2026-11-02", "escalations": []}
RECEIPT = {"event_id": "icpc-1", "type": "icpc_held", "resend": False, "stage": "on_plan"}
ON_PLAN = {**JOURNEY, "stage": "on_plan", "plan_started_on": "2026-11-20", "category": "neglect"}
STARTED = {"workflow_id": "cpj-CASE-0042", "resend": False, "state": JOURNEY}
SUMMARY = {"case_ref": "CASE-0042", "workflow_id": "cpj-CASE-0042", "status": "RUNNING", "stage": "awaiting_icpc",
           "policy": "birmingham@2026.2", "next_deadline": "2026-11-23T23:59:59Z", "next_deadline_kind": "icpc",
           "overdue": False, "lead_social_worker": "SW-1042", "team": "Central", "next_due": "2026-11-23"}
COMPLAINT = {"complaint_ref": "CMP-0001", "case_ref": "CASE-0042", "policy": "birmingham@2026.2",
             "kind": "complaint", "stage": "informal_resolution", "received_on": "2026-12-01",
             "deadlines": [{**DEADLINE, "kind": "complaint_response", "label": "Response to the complaint",
                            "due": "2026-12-15", "anchor": "2026-12-01"}]}
CONFERENCE = {"conference_ref": "ICPC-0200", "kind": "initial", "case_refs": ["CASE-0042"],
              "policy": "birmingham@2026.2", "meeting_on": "2026-11-20", "stage": "convening"}
PENDING = ("the journeys worker is not answering (waited 10s); nothing was lost, try again The event may still be "
           "applied when the worker is back: send it again with the same event id (icpc-1) to learn whether it was; "
           "it is never applied twice.")


__all__ = ["ApiError", "REFUSALS", "answers", "refusal", "success"]
