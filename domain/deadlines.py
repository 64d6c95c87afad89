"""The one place that turns a profile's rules and a journey's events into deadlines.

The workflow, the CLI (``cpj deadlines``), the admin tool and the search
attributes all read the same :class:`Deadline` rows computed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from domain.calendar import WorkingDayCalendar
from domain.effects import QueuedEffect
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
    #: The date ``rule`` counts from, so a new calendar version can count it again (None: not counted by a rule).
    anchor: date | None = None

    @property
    def alarm_date(self) -> date:
        return self.agreed_target or self.due

    def line(self) -> str:
        extra = f", agreed delay to {self.agreed_target}" if self.agreed_target else ""
        return f"{self.label}: due {self.due} [{self.status}{extra}] because {self.reason}"


@dataclass(frozen=True)
class Kind:
    """What a kind of deadline is called, who hears when it passes, and what they can do."""

    label: str
    escalate_to: str
    unmet: str
    advice: str


#: Every kind of deadline a journey keeps, with its escalation route.
KINDS: dict[str, Kind] = {
    "icpc": Kind("Initial child protection conference", "team_manager", "held",
                 "Agree a delay with reasons, or hold the conference."),
    # Advice is the same for every authority: the deadline's reason names the rule, and the procedure, that set it.
    "visit": Kind("Lead social worker visit", "line_manager", "made",
                  "See the child, or record why the child could not be seen."),
    "bedroom_seen": Kind("Where the child sleeps seen", "line_manager", "done",
                         "See where the child sleeps at the next visit."),
    "core_group": Kind("Core group meeting", "line_manager", "held", "Convene the core group."),
    "core_group_minutes": Kind("Core group minutes", "line_manager", "circulated", "Circulate the minutes."),
    "plan_distributed": Kind("Plan distributed after the core group", "line_manager", "distributed",
                             "Distribute the updated plan to the core group members, the child and the family."),
    "plan_shared_with_family": Kind("Plan shared with the family", "line_manager", "shared",
                                    "Share the plan with the family and the child."),
    "core_assessment": Kind("Core assessment", "team_manager", "completed", "Complete the core assessment."),
    "plan_lodged_with_chair": Kind("Plan lodged with the conference chair", "team_manager", "lodged",
                                   "Lodge the detailed plan with the chair."),
    "review": Kind("Review conference", "safeguarding_service_manager", "held",
                   "Hold the review conference."),
    "review_invitations": Kind("Review conference invitations", "conference_chair", "sent", "Send the invitations."),
    "review_reports": Kind("Review conference reports", "conference_chair", "shared",
                           "Share the reports with the chair and parents."),
    "midway_meeting": Kind("Mid-way meeting", "conference_chair", "held", "Hold the mid-way meeting."),
    "child_traced": Kind("Missing child traced", "senior_child_protection_manager", "traced",
                         "The child has not been traced: follow the missing children procedure."),
    # A conference (workflows/conference.py)
    "booking_consultation": Kind("Booking consultation with the conference chair", "team_manager", "held",
                                 "Consult the duty chair and book the conference."),
    "invitations": Kind("Conference invitations", "conference_chair", "sent",
                        "Send the written invitations, with the notice the procedure asks for."),
    "report_to_chair": Kind("Social worker's report to the chair", "team_manager", "sent",
                            "Send the report to the chair."),
    "report_to_parents": Kind("Report shared with the parents", "team_manager", "shared",
                              "Share the report with the parents (and the child where appropriate)."),
    "agency_reports": Kind("Agency reports to the chair", "conference_chair", "received", "Chase the agencies."),
    "transfer_report": Kind("Originating authority's report", "conference_chair", "received",
                            "Chase the originating authority's lead social worker for the report."),
    "split_letters": Kind("Letters about the split conference", "conference_chair", "sent",
                          "Write to the parents about the separate parts."),
    "exclusion_decision": Kind("Chair's decision on an exclusion request", "safeguarding_service_manager", "made",
                               "Decide, and confirm the decision to the parent in writing."),
    "reconvene": Kind("Adjourned conference reconvened", "safeguarding_service_manager", "reconvened",
                      "Set another date for the conference now."),
    "decision_circulated": Kind("Conference decision circulated", "conference_chair", "circulated",
                                "Notify everyone invited of the decision."),
    "absent_parents_told": Kind("Absent parents told the decision", "team_manager", "told",
                                "Tell the parents who were not at the conference what it decided."),
    "outline_plan_circulated": Kind("Outline plan circulated", "conference_chair", "circulated",
                                    "Circulate the outline plan to the core group."),
    "record_completed": Kind("Conference record completed", "conference_chair", "completed", "Complete the minutes."),
    "record_shared": Kind("Conference record shared", "team_manager", "shared",
                          "Share the record; the parents' copy is marked as theirs."),
    "record_amendments": Kind("Amendments to the record", "conference_chair", "accepted",
                              "Consider the amendments and answer them."),
    "report_to_excluded_parent": Kind("Report given to the excluded parent", "team_manager", "given",
                                      "Give the excluded parent a copy of the social worker's report."),
    # A window, not a task: it closes quietly when it ends (domain.conference.close_window), so never escalates.
    "record_amendments_window": Kind("Amendments to the record may be sent", "conference_chair", "closed",
                                     "Those who received the record may send the chair amendments until then."),
    # A complaint or disagreement about a conference (workflows/complaint.py)
    "complaint_response": Kind("Service Manager's response to the complaint", "safeguarding_service_manager", "sent",
                               "Record the concern, try to resolve it and respond."),
    "complaint_acknowledgement": Kind("Complaint acknowledged to the complainant", "independent_scrutineer", "sent",
                                      "Write to confirm that the matter has been received."),
    "complaint_documents_considered": Kind("Complaint documents considered", "independent_scrutineer", "considered",
                                           "Consider the minutes, reports and record of action taken."),
    "complaint_written_response": Kind("Independent Scrutineer's written response", "independent_scrutineer", "sent",
                                       "Respond in writing; the timescale runs from the initial receipt."),
    "appeal_subcommittee": Kind("Appeal subcommittee meeting", "safeguarding_partnership", "held",
                                "Decide whether there are grounds and, if so, convene the appeal subcommittee."),
    "appeal_outcome": Kind("Appeal outcome to the complainant", "safeguarding_partnership", "sent",
                           "Advise the complainant of the subcommittee's outcome."),
    "complaint_informal_resolution": Kind("Chair's informal resolution of the complaint", "conference_chair", "ended",
                                          "Resolve it, or tell the complainant they may complain formally in "
                                          "writing."),
    "complaint_panel_decision": Kind("Complaint panel's decision letter", "assistant_director", "sent",
                                     "Convene the panel of three and send its decision."),
    "icpc_disagreement_decision": Kind("Final decision on a disagreement about holding an ICPC",
                                       "assistant_head_child_protection", "made",
                                       "Make the final decision."),
    "further_conference": Kind("Further conference after a disagreement", "assistant_head_child_protection", "held",
                               "Hold the conference that was agreed."),
}


@cache
def calendar_for(version: str, closure_days: tuple[date, ...] = ()) -> WorkingDayCalendar:
    """The working days a profile counts with: its calendar version, less its closure days."""
    return WorkingDayCalendar(version, closure_days)


def calendar_of(profile: Profile) -> WorkingDayCalendar:
    """The working days ``profile`` counts with."""
    return calendar_for(profile.calendar_version, profile.closure_days)


def _deadline(profile: Profile, kind: str, label: str, rule_key: str, anchor: date, **extra) -> Deadline:
    due = calendar_of(profile).due(anchor, profile.rule(rule_key))
    return Deadline(kind=kind, label=label, rule=rule_key, due=due.due, reason=due.reason, anchor=anchor, **extra)


def deadline(profile: Profile, kind: str, rule_key: str, anchor: date, label: str | None = None) -> Deadline:
    """An open deadline of ``kind``, due by ``rule_key`` from ``anchor``."""
    return _deadline(profile, kind, label or KINDS[kind].label, rule_key, anchor)


class DeadlineTable(BaseModel):
    """The deadlines a workflow keeps, and what it has done about them: a journey's and a conference's."""

    model_config = ConfigDict(extra="forbid")

    deadlines: list[Deadline] = []
    escalations: list[str] = []
    #: Deadlines whose owner has been reminded (kind-due), so a reminder goes once.
    reminded: list[str] = []
    #: Notices that could not be delivered (no address for a role, refused by the sender).
    undelivered: list[str] = []
    event_ids: list[str] = []
    #: What each event id was used for (its type and a digest of its content), so a resend is told
    #: from an id reused for a different event. Events accepted before this was kept have none.
    event_digests: dict[str, str] = {}
    #: Effects decided and not yet carried out (records, letters, signals, child starts), in order.
    outbox: list[QueuedEffect] = []
    #: Effects that could not be carried out, in words; each is also recorded where it can be.
    failures: list[str] = []

    def deadline(self, kind: str) -> Deadline | None:
        """The live deadline of ``kind`` (superseded ones stay in the table for the record)."""
        for row in reversed(self.deadlines):
            if row.kind == kind and row.status is not DeadlineStatus.SUPERSEDED:
                return row
        return None

    def open_deadline(self, kind: str) -> Deadline | None:
        row = self.deadline(kind)
        return row if row is not None and row.status in (DeadlineStatus.OPEN, DeadlineStatus.OVERDUE) else None

    def next_open(self) -> Deadline | None:
        open_rows = [row for row in self.deadlines if row.status is DeadlineStatus.OPEN]
        return min(open_rows, key=lambda row: row.alarm_date, default=None)

    def open_next(self, profile: Profile, kind: str, rule_key: str, anchor: date, label: str | None = None) -> None:
        """Open the next deadline of ``kind`` (replacing any still open), if the profile has the rule."""
        if rule_key not in profile.rules:
            return
        self.supersede(kind)
        self.deadlines.append(deadline(profile, kind, rule_key, anchor, label))

    def supersede(self, kind: str) -> None:
        row = self.open_deadline(kind)
        if row is not None:
            row.status = DeadlineStatus.SUPERSEDED

    def meet(self, kind: str, on: date) -> Deadline | None:
        """The open deadline of ``kind`` is met on ``on`` (late if after its due date)."""
        row = self.open_deadline(kind)
        if row is not None:
            row.status = DeadlineStatus.MET if on <= row.due else DeadlineStatus.MET_LATE
        return row


@dataclass(frozen=True)
class Moved:
    """A deadline a new calendar version moved."""

    kind: str
    label: str
    was: date
    now: date


def recount(table: DeadlineTable, profile: Profile, today: date, counted_with: str) -> list[Moved]:
    """Count every open deadline not yet passed again by ``profile``'s calendar version.

    ``counted_with`` is the version the rows were counted with: a row whose date that
    version does not give (set by hand, e.g. a core group before a birth) is left alone, as
    is one without an anchor (opened before rows kept theirs), one already passed, and one
    the new count would put in the past (a journey is never made overdue by a new calendar).
    """
    before = calendar_for(counted_with, profile.closure_days)
    after = calendar_for(profile.calendar_version, profile.closure_days)
    moved = []
    for row in table.deadlines:
        if row.status is not DeadlineStatus.OPEN or row.anchor is None or row.rule not in profile.rules:
            continue
        if row.due < today or before.due(row.anchor, profile.rules[row.rule]).due != row.due:
            continue
        counted = after.due(row.anchor, profile.rules[row.rule])
        if counted.due != row.due and counted.due >= today:
            moved.append(Moved(row.kind, row.label, row.due, counted.due))
            row.due, row.reason = counted.due, counted.reason
    return moved


def icpc_deadline(profile: Profile, section_47_initiated_on: date, expected_delivery: date | None = None) -> Deadline:
    """The ICPC deadline: 15 working days (per profile) after the s47-initiating discussion.

    For an unborn child, where the profile has ``unborn_conference_before_due_date``, the conference
    is also due that long before the expected delivery: the earlier of the two, unless that day has
    already gone (a late referral keeps the ICPC's own timescale).
    """
    icpc = _deadline(profile, "icpc", "Initial child protection conference", "icpc_within", section_47_initiated_on)
    if expected_delivery is None or "unborn_conference_before_due_date" not in profile.rules:
        return icpc
    unborn = _deadline(profile, "icpc", "Pre-birth conference", "unborn_conference_before_due_date", expected_delivery)
    if section_47_initiated_on <= unborn.due < icpc.due:
        return unborn
    return icpc.model_copy(update={"label": "Pre-birth conference"})


def transfer_in_deadline(profile: Profile, agreed_on: date) -> Deadline:
    """A transfer-in conference, by the profile's ``transfer_in_conference_within`` from ``agreed_on``."""
    return _deadline(profile, "icpc", "Transfer-in conference", "transfer_in_conference_within", agreed_on)


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
