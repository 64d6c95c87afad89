"""What a journey knows about itself: queried by the admin tool, returned at the end."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.deadlines import Deadline, DeadlineStatus
from domain.events import IcpcDelayAgreed, IcpcHeld, StrategyDiscussion


class Stage(StrEnum):
    AWAITING_SECTION_47 = "awaiting_section_47"
    AWAITING_ICPC = "awaiting_icpc"
    ON_PLAN = "on_plan"
    CLOSED = "closed"


class JourneyState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_ref: str
    policy: str
    stage: Stage
    strategy_discussions: list[StrategyDiscussion] = []
    section_47_initiated_on: date | None = None
    delay: IcpcDelayAgreed | None = None
    icpc: IcpcHeld | None = None
    closed_because: str | None = None
    deadlines: list[Deadline] = []
    escalations: list[str] = []
    event_ids: list[str] = []

    def deadline(self, kind: str) -> Deadline | None:
        """The live deadline of ``kind`` (superseded ones stay in the table for the record)."""
        for row in reversed(self.deadlines):
            if row.kind == kind and row.status is not DeadlineStatus.SUPERSEDED:
                return row
        return None

    def next_open(self) -> Deadline | None:
        open_rows = [row for row in self.deadlines if row.status is DeadlineStatus.OPEN]
        return min(open_rows, key=lambda row: row.alarm_date, default=None)
