"""The one place that turns a profile's rules and a journey's events into deadlines.

The workflow, the CLI (``cpj deadlines``), the admin tool and the search
attributes all read the same :class:`Deadline` rows computed here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from domain.calendar import WorkingDayCalendar
from domain.policy import Profile

#: Deadlines are days in England: a deadline falls due at the end of its day, London time.
LONDON = ZoneInfo("Europe/London")


class DeadlineStatus(StrEnum):
    OPEN = "open"
    MET = "met"
    MET_LATE = "met late"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"
    UPCOMING = "upcoming"


class Deadline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    label: str
    rule: str
    due: date
    reason: str
    status: DeadlineStatus = DeadlineStatus.OPEN
    #: A later date agreed by the team manager: escalation waits for it instead of ``due``.
    agreed_target: date | None = None

    @property
    def alarm_date(self) -> date:
        return self.agreed_target or self.due

    def line(self) -> str:
        extra = f", agreed delay to {self.agreed_target}" if self.agreed_target else ""
        return f"{self.label}: due {self.due} [{self.status}{extra}] because {self.reason}"


@cache
def calendar_for(closure_days: tuple[date, ...]) -> WorkingDayCalendar:
    return WorkingDayCalendar(closure_days)


def _deadline(profile: Profile, kind: str, label: str, rule_key: str, anchor: date, **extra) -> Deadline:
    due = calendar_for(profile.closure_days).due(anchor, profile.rule(rule_key))
    return Deadline(kind=kind, label=label, rule=rule_key, due=due.due, reason=due.reason, **extra)


def icpc_deadline(profile: Profile, section_47_initiated_on: date) -> Deadline:
    """The ICPC deadline: 15 working days (per profile) after the s47-initiating discussion."""
    return _deadline(profile, "icpc", "Initial child protection conference", "icpc_within", section_47_initiated_on)


#: What an ICPC's plan decision sets running, in the order a worker meets them.
PLAN_START_RULES = (
    ("first_visit", "First lead social worker visit", "first_visit"),
    ("first_core_group", "First core group meeting", "first_core_group"),
    ("first_review", "First review conference", "first_review"),
)


def plan_deadlines(profile: Profile, icpc_held_on: date) -> list[Deadline]:
    """The first deadlines of a child protection plan, for the rules the profile has."""
    return [
        _deadline(profile, kind, label, rule_key, icpc_held_on, status=DeadlineStatus.UPCOMING)
        for kind, label, rule_key in PLAN_START_RULES
        if rule_key in profile.rules
    ]


def end_of_day(day: date) -> datetime:
    """The instant a deadline on ``day`` has passed: midnight after it, in London."""
    return datetime.combine(day + timedelta(days=1), time(0), LONDON)


def due_day_of(instant: datetime) -> date:
    """The deadline day whose end is ``instant`` (the inverse of :func:`end_of_day`)."""
    return london_date(instant - timedelta(microseconds=1))


def london_date(instant: datetime) -> date:
    return instant.astimezone(LONDON).date()
