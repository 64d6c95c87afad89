"""What a journey asks of the outside world: a record written, a notification sent.

Both carry a deterministic key (workflow id + the journey's first run id + event id + what), so an
activity retried after a crash finds its first write instead of making a second, and a case opened
again later (a new referral, a new first run) never collides with its earlier journey.
Neither carries a name or an address: recipients are roles, resolved outside
Temporal by the notification sender.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def effect_key(workflow_id: str, event_id: str, what: str, lifetime: str | None = None) -> str:
    """One effect's key; ``lifetime`` is the first run id, stable across continue-as-new."""
    return f"{workflow_id}/{lifetime}/{event_id}/{what}" if lifetime else f"{workflow_id}/{event_id}/{what}"


class RecordRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    case_ref: str
    workflow_id: str
    kind: str
    occurred_on: date
    summary: str
    details: dict[str, Any] = Field(default_factory=dict)


class RecordResult(BaseModel):
    key: str
    created: bool


class NotificationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reference: str
    case_ref: str
    workflow_id: str
    template: str
    recipient_role: str
    subject: str
    body: str


class NotificationResult(BaseModel):
    reference: str
    sent: bool


# -- The outbox: what a workflow has decided to do and has not done yet -------------------
#
# Handlers only change state and queue effects here; the workflow's main loop carries them out
# in order, each failure recorded, so no effect can leave a journey half-changed or stuck.


class QueuedRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    effect: Literal["record"] = "record"
    request: RecordRequest


class QueuedNotice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    effect: Literal["notice"] = "notice"
    request: NotificationRequest
    #: Where a notice that can never be delivered is recorded (event id / what).
    undelivered_key: str


class QueuedSignal(BaseModel):
    """A signal to another workflow (a conference's decision to a child's journey)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    effect: Literal["signal"] = "signal"
    workflow_id: str
    signal: str
    #: The signal's argument as JSON; the receiving workflow validates it against its own model.
    payload: dict[str, Any]
    summary: str


class QueuedChildStart(BaseModel):
    """A child workflow to start (a conference booked by a journey)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    effect: Literal["start_child"] = "start_child"
    workflow_type: str
    workflow_id: str
    #: The child's input as JSON, validated against its start model when started.
    start: dict[str, Any]
    summary: str
    #: The event that asked for it, so a failure can be recorded against it.
    event_id: str


QueuedEffect = Annotated[
    QueuedRecord | QueuedNotice | QueuedSignal | QueuedChildStart, Field(discriminator="effect")
]


class Receipt(BaseModel):
    """What a journey or conference answers to an event: small, so histories stay small.

    ``resend`` is true when the same event (same id, same content) had been received before: it
    changed nothing the second time. The caller reads the state with a query if it needs it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str
    type: str
    resend: bool = False
    stage: str


def fingerprint(event) -> str:
    """What an event was, kept beside its id for a workflow's whole life: its type and a digest of its content,
    so the same event sent again is known as a resend and an id reused for another is refused, naming it.

    Who sent it is not part of what it was: the same event sent again by another person (a colleague
    retrying a form) is still a resend, and changes nothing."""
    exclude = {"recorded_by"} if "recorded_by" in type(event).model_fields else None
    return f"{event.type}:{hashlib.sha256(event.model_dump_json(exclude=exclude).encode()).hexdigest()[:16]}"
