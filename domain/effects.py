"""What a journey asks of the outside world: a record written, a notification sent.

Both carry a deterministic key (workflow id + event id + what), so an activity
retried after a crash finds its first write instead of making a second.
Neither carries a name or an address: recipients are roles, resolved outside
Temporal by the notification sender.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def effect_key(workflow_id: str, event_id: str, what: str) -> str:
    return f"{workflow_id}/{event_id}/{what}"


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
