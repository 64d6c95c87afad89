"""A child protection conference: convening it, the days before it, the meeting, and after.

Pure, like ``domain.plan``: ``check`` refuses an event with a sentence a caller can
act on and changes nothing; ``apply`` changes the conference and returns an
:class:`~domain.plan.Effect`. Timescales come from the journey's pinned profile.

The conference owns the deadlines around the meeting (seeds 000, 001, 003, 004);
the journey keeps the statutory date the meeting itself must be held by.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.deadlines import KINDS, Deadline, DeadlineStatus, DeadlineTable, calendar_of
from domain.events import CaseRef, Category, ConferenceRef, Day, RoleText, StaffRef, _Event
from domain.plan import Effect, InvalidEvent, Notice
from domain.policy import BIRMINGHAM, DARLINGTON, LOCAL_GUIDE, Profile
from domain.released import PinnedPolicy

class ConferenceKind(StrEnum):
    INITIAL = "initial"
    REVIEW = "review"
    PRE_BIRTH = "pre_birth"
    TRANSFER_IN = "transfer_in"


class ConferenceStage(StrEnum):
    CONVENING = "convening"
    ADJOURNED = "adjourned"
    HELD = "held"
    CLOSED = "closed"


class ConferenceStart(PinnedPolicy):
    """What the journey starts a conference with: the journey's own pinned policy (``PinnedPolicy``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    conference_ref: ConferenceRef
    kind: ConferenceKind
    #: Every child the conference considers; each has its own journey (seed 000: all children in the household).
    case_refs: list[CaseRef] = Field(min_length=1, max_length=12)
    requested_on: date
    meeting_on: date
    chair_ref: StaffRef
    #: The event on the booking journey that started it.
    booked_by_event: str


# -- Events --------------------------------------------------------------------


class ConferenceTask(StrEnum):
    """Work with a deadline that an event of its own closes."""

    BOOKING_CONSULTATION = "booking_consultation"
    REPORT_TO_CHAIR = "report_to_chair"
    REPORT_TO_PARENTS = "report_to_parents"
    AGENCY_REPORTS = "agency_reports"
    SPLIT_LETTERS = "split_letters"
    TRANSFER_REPORT = "transfer_report"
    DECISION_CIRCULATED = "decision_circulated"
    ABSENT_PARENTS_TOLD = "absent_parents_told"
    PARENTS_NOTIFIED_IN_WRITING = "parents_notified_in_writing"
    OUTLINE_PLAN_CIRCULATED = "outline_plan_circulated"
    RECORD_COMPLETED = "record_completed"
    RECORD_SHARED = "record_shared"
    RECORD_AMENDMENTS = "record_amendments"


class Invitee(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: RoleText
    needs_interpreter: bool = False
    advocacy_offered: bool = False


class InvitationsSent(_Event):
    type: Literal["invitations_sent"] = "invitations_sent"
    sent_on: Day
    invitees: list[Invitee] = Field(min_length=1, max_length=60)
    child_over_8: bool = False

    @model_validator(mode="after")
    def _advocacy_for_children_over_8(self) -> InvitationsSent:
        if self.child_over_8 and not any(i.role == "child" and i.advocacy_offered for i in self.invitees):
            raise ValueError(f"a child over 8 is offered an independent advocate ({LOCAL_GUIDE}, What is a Child "
                             "Protection Conference?): invite role 'child' with advocacy_offered")
        return self


class ConferenceTaskDone(_Event):
    type: Literal["conference_task_done"] = "conference_task_done"
    task: ConferenceTask
    done_on: Day


class ExclusionGround(StrEnum):
    """Seed 000's grounds for excluding a parent from a conference."""

    PREJUDICE_WELFARE = "presence_would_prejudice_the_childs_welfare"
    DISRUPTION = "likely_to_interfere_seriously_with_the_conference"
    CHILD_ASKS = "child_asks_that_the_parent_is_not_present"
    PREVENTS_CONTRIBUTION = "would_prevent_a_participant_contributing"
    CONFIDENTIAL_INFORMATION = "confidential_information_must_be_shared"
    FAMILY_CONFLICT = "conflict_between_family_members"


class ExclusionRequested(_Event):
    type: Literal["exclusion_requested"] = "exclusion_requested"
    requested_on: Day
    parent_role: RoleText
    grounds: list[ExclusionGround] = Field(min_length=1)


class ExclusionDecided(_Event):
    type: Literal["exclusion_decided"] = "exclusion_decided"
    decided_on: Day
    excluded: bool
    communicated_in_writing: bool

    @model_validator(mode="after")
    def _in_writing(self) -> ExclusionDecided:
        if not self.communicated_in_writing:
            raise ValueError("the chair's decision on exclusion is confirmed to the parent in writing "
                             f"({DARLINGTON}, Exclusion of Family Members from a Conference)")
        return self


class SplitArranged(_Event):
    """Seed 000: parents attend separately, with at least 30 minutes between the parts."""

    type: Literal["split_arranged"] = "split_arranged"
    arranged_on: Day
    gap_minutes: int = Field(ge=30, description=f"{DARLINGTON}, Split Child Protection Conferences: at least a "
                                                "30-minute break between the parts")


class ChildDecision(BaseModel):
    """One child's decision: a plan or not, by a majority of agencies (seeds 000, 001)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_ref: CaseRef
    plan: bool
    category: Category | None = None
    agencies_for_plan: int = Field(ge=0)
    agencies_against_plan: int = Field(ge=0)
    chair_casting_vote: bool | None = None
    dissent: list[RoleText] = Field(default_factory=list, description="agencies that disagreed, recorded")

    @model_validator(mode="after")
    def _consistent(self) -> ChildDecision:
        if self.plan != (self.category is not None):
            raise ValueError(f"{self.case_ref}: a plan has exactly one category; no plan has none")
        return self


class InquorateReason(StrEnum):
    """Seed 000 / 001: when the chair may proceed although the conference is not quorate."""

    CSC_AND_ONE_OTHER_AGENCY = "csc_and_one_other_agency"
    NOT_IN_CONTACT_WITH_THREE_AGENCIES = "child_not_in_contact_with_three_agencies"
    LOCAL_ATTENDANCE_DIFFICULTIES = "local_attendance_difficulties"
    DELAY_DETRIMENTAL = "enough_information_and_delay_detrimental"


class ConferenceHeld(_Event):
    type: Literal["conference_held"] = "conference_held"
    held_on: Day
    childrens_social_care_present: bool
    other_agencies_present: list[RoleText] = Field(default_factory=list, description="with direct contact")
    parents_present: bool
    #: Only for a conference that is not quorate: go on under the chair's discretion, or adjourn.
    inquorate_action: Literal["proceed", "adjourn"] | None = None
    inquorate_reason: InquorateReason | None = None
    decisions: list[ChildDecision] = Field(default_factory=list)
    grading: int | None = Field(default=None, ge=0, le=10)

    @property
    def quorate(self) -> bool:
        # Seeds 000, 001, 003: children's social care and at least two other agencies.
        return self.childrens_social_care_present and len(set(self.other_agencies_present)) >= 2


class AmendmentsReceived(_Event):
    type: Literal["amendments_received"] = "amendments_received"
    received_on: Day


class ConferenceDecision(BaseModel):
    """What a conference signals to each child's journey once it has decided."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    conference_ref: str
    kind: ConferenceKind
    held_on: Day
    decision: ChildDecision


CONFERENCE_EVENTS = (InvitationsSent, ConferenceTaskDone, ExclusionRequested, ExclusionDecided, SplitArranged,
                     ConferenceHeld, AmendmentsReceived)
ConferenceEvent = Annotated[
    InvitationsSent | ConferenceTaskDone | ExclusionRequested | ExclusionDecided | SplitArranged | ConferenceHeld
    | AmendmentsReceived,
    Field(discriminator="type"),
]


# -- State -----------------------------------------------------------------------


class ConferenceState(DeadlineTable):

    conference_ref: str
    kind: ConferenceKind
    case_refs: list[str]
    policy: str
    meeting_on: date
    stage: ConferenceStage = ConferenceStage.CONVENING
    invitees: list[Invitee] = []
    exclusions: list[ExclusionRequested] = []
    excluded_parent: bool | None = None
    split: bool = False
    held: ConferenceHeld | None = None
    adjournments: int = 0

    @property
    def case_ref(self) -> str:
        """The booking child's case: what records and notices are filed under."""
        return self.case_refs[0]


def open_convening(state: ConferenceState, profile: Profile, start: ConferenceStart) -> None:
    """The deadlines before the meeting: booking, invitations, reports."""
    if start.kind is not ConferenceKind.REVIEW:
        state.open_next(profile, "booking_consultation", "icpc_booking_consultation", start.requested_on)
    if start.kind is ConferenceKind.TRANSFER_IN:
        # Seed 000: the originating lead social worker's report, five working days before.
        state.open_next(profile, "transfer_report", "transfer_report_before_conference", start.meeting_on)
    _open_before_meeting(state, profile)


def _open_before_meeting(state: ConferenceState, profile: Profile) -> None:
    meeting = state.meeting_on
    notice = "review_invitation_notice" if state.kind is ConferenceKind.REVIEW else "icpc_invitation_notice"
    state.open_next(profile, "invitations", notice, meeting)
    reports = "review_reports_before_conference" if state.kind is ConferenceKind.REVIEW else "report_to_chair_before_conference"
    state.open_next(profile, "report_to_chair", reports if reports in profile.rules else "report_to_chair_before_conference",
          meeting)
    state.open_next(profile, "report_to_parents", "report_to_parents_before_conference", meeting)
    state.open_next(profile, "agency_reports", "agency_reports_before_conference", meeting)
    if state.split:
        state.open_next(profile, "split_letters", "split_conference_letter_notice", meeting)


# -- Checking ------------------------------------------------------------------------


def check(state: ConferenceState, profile: Profile, event, start: ConferenceStart) -> None:
    if state.stage is ConferenceStage.CLOSED:
        raise InvalidEvent(f"conference {state.conference_ref} is closed")
    checker = _CHECKS.get(type(event))
    if checker:
        checker(state, profile, event, start)


def _before_meeting_only(state: ConferenceState, what: str) -> None:
    if state.stage is not ConferenceStage.CONVENING and state.stage is not ConferenceStage.ADJOURNED:
        raise InvalidEvent(f"{what} is for before the meeting; the conference was held on {state.held.held_on}")


def _check_task(state, profile, event: ConferenceTaskDone, start) -> None:
    if event.task is ConferenceTask.PARENTS_NOTIFIED_IN_WRITING:
        if state.held is None:
            raise InvalidEvent("parents are notified in writing of a decision once the conference is held")
        return
    if state.open_deadline(event.task.value) is None:
        raise InvalidEvent(f"there is no open {KINDS[event.task.value].label.lower()} deadline")


#: Who else a conference of this kind must invite (seed 000).
MUST_INVITE = {
    ConferenceKind.PRE_BIRTH: ("midwifery", "midwifery and neo-natal services are invited to a pre-birth conference"),
    ConferenceKind.TRANSFER_IN: ("originating authority",
                                 "the originating authority's lead social worker is invited to a transfer conference"),
}
#: The section of the Darlington procedures each of those comes from.
INVITED_UNDER = {
    ConferenceKind.PRE_BIRTH: "Unborn Child Protection Conference",
    ConferenceKind.TRANSFER_IN: "Transfer Child Protection Conference",
}


def _check_invitations(state, profile, event: InvitationsSent, start) -> None:
    _before_meeting_only(state, "sending invitations")
    if state.kind in MUST_INVITE:
        role, why = MUST_INVITE[state.kind]
        if not any(invitee.role.lower() == role for invitee in event.invitees):
            raise InvalidEvent(f"invite role '{role}': {why} ({DARLINGTON}, {INVITED_UNDER[state.kind]})")


def _check_exclusion_requested(state, profile, event: ExclusionRequested, start) -> None:
    _before_meeting_only(state, "an exclusion request")
    if "exclusion_request_notice" in profile.rules:
        cutoff = calendar_of(profile).due(state.meeting_on, profile.rule("exclusion_request_notice"))
        if event.requested_on > cutoff.due:
            raise InvalidEvent(f"an exclusion request must reach the chair by {cutoff.due} ({cutoff.reason})")


def _check_exclusion_decided(state, profile, event: ExclusionDecided, start) -> None:
    if state.open_deadline("exclusion_decision") is None:
        raise InvalidEvent("there is no exclusion request waiting for the chair's decision")


def _check_split(state, profile, event: SplitArranged, start) -> None:
    _before_meeting_only(state, "arranging a split conference")


def _check_held(state, profile, event: ConferenceHeld, start) -> None:
    _before_meeting_only(state, "holding the conference")
    if not event.quorate:
        if event.inquorate_action is None:
            raise InvalidEvent("the conference was not quorate (children's social care and at least two other "
                               f"agencies: {DARLINGTON} on quoracy): say whether the chair proceeded or adjourned "
                               "(inquorate_action)")
        if event.inquorate_action == "proceed" and event.inquorate_reason is None:
            raise InvalidEvent("proceeding although inquorate needs one of the chair's reasons (inquorate_reason)")
    elif event.inquorate_action is not None:
        raise InvalidEvent("the conference was quorate: inquorate_action is only for one that was not")
    if event.inquorate_action == "adjourn":
        if event.decisions:
            raise InvalidEvent("an adjourned conference makes no decisions")
        return
    decided = [decision.case_ref for decision in event.decisions]
    if sorted(decided) != sorted(state.case_refs):
        raise InvalidEvent(f"the conference decides for every child it considers ({', '.join(state.case_refs)}), "
                           f"once each; got {', '.join(decided) or 'none'}")
    casting_vote = profile.options.get("chair_has_casting_vote")
    for decision in event.decisions:
        majority = _majority(decision)
        if majority is None:
            if decision.chair_casting_vote is None:
                rule = f" ({casting_vote.citation})" if casting_vote and casting_vote.value else ""
                raise InvalidEvent(f"{decision.case_ref}: the agencies were evenly split; the chair decides"
                                   f"{rule}: give chair_casting_vote")
            majority = decision.chair_casting_vote
        if decision.plan != majority:
            raise InvalidEvent(f"{decision.case_ref}: the decision does not follow the agencies' majority")


def _majority(decision: ChildDecision) -> bool | None:
    if decision.agencies_for_plan == decision.agencies_against_plan:
        return None
    return decision.agencies_for_plan > decision.agencies_against_plan


def _check_amendments(state, profile, event: AmendmentsReceived, start) -> None:
    if state.held is None:
        raise InvalidEvent("amendments are to the record of a conference that has been held")


_CHECKS = {
    ConferenceTaskDone: _check_task,
    InvitationsSent: _check_invitations,
    ExclusionRequested: _check_exclusion_requested,
    ExclusionDecided: _check_exclusion_decided,
    SplitArranged: _check_split,
    ConferenceHeld: _check_held,
    AmendmentsReceived: _check_amendments,
}


# -- Applying --------------------------------------------------------------------------


def apply(state: ConferenceState, profile: Profile, event, start: ConferenceStart) -> Effect:
    return _APPLY[type(event)](state, profile, event, start)


def _invitations_sent(state, profile, event: InvitationsSent, start) -> Effect:
    state.invitees = list(event.invitees)
    met = state.meet("invitations", event.sent_on)
    interpreters = sum(invitee.needs_interpreter for invitee in event.invitees)
    return Effect(
        f"Invitations sent {event.sent_on} to {len(event.invitees)} ({interpreters} needing an interpreter)",
        event.sent_on,
        {"invitees": [invitee.model_dump() for invitee in event.invitees],
         "late": met is not None and met.status is DeadlineStatus.MET_LATE},
    )


def _task_done(state, profile, event: ConferenceTaskDone, start) -> Effect:
    label = event.task.value.replace("_", " ")
    if event.task is ConferenceTask.PARENTS_NOTIFIED_IN_WRITING:
        return Effect(f"Parents notified in writing {event.done_on}", event.done_on, {"task": event.task.value})
    met = state.meet(event.task.value, event.done_on)
    late = met.status is DeadlineStatus.MET_LATE
    effect = Effect(f"{KINDS[event.task.value].label}: done {event.done_on}" + (f" (late: due {met.due})" if late else ""),
                    event.done_on, {"task": event.task.value, "due": met.due.isoformat(), "late": late})
    if event.task is ConferenceTask.RECORD_SHARED:
        effect.details["parents_copy_marked"] = True  # seed 000: the parents' copy is marked on every page
    _close_when_done(state)
    return effect


def _exclusion_requested(state, profile, event: ExclusionRequested, start) -> Effect:
    state.exclusions.append(event)
    decide_by = calendar_of(profile).add_working_days(state.meeting_on, -1)
    previous = state.open_deadline("exclusion_decision")
    if previous is None:
        state.deadlines.append(Deadline(
            kind="exclusion_decision", label=KINDS["exclusion_decision"].label, rule="exclusion_request_notice",
            due=decide_by, reason=f"the working day before the conference on {state.meeting_on} ({DARLINGTON}, "
                                  "Exclusion of Family Members from a Conference: the decision is communicated to "
                                  "the parent before the conference, in writing)"))
    return Effect(f"Exclusion of the {event.parent_role} requested {event.requested_on}", event.requested_on,
                  {"parent_role": event.parent_role, "grounds": [ground.value for ground in event.grounds]},
                  [Notice("conference_chair", "exclusion_requested",
                          f"Exclusion request for conference {state.conference_ref}",
                          f"A request to exclude the {event.parent_role} on {len(event.grounds)} ground(s). "
                          f"Decide and confirm in writing by {decide_by}.")])


def _exclusion_decided(state, profile, event: ExclusionDecided, start) -> Effect:
    state.excluded_parent = event.excluded
    state.meet("exclusion_decision", event.decided_on)
    return Effect(f"Chair {'excluded' if event.excluded else 'did not exclude'} the parent ({event.decided_on}), "
                  "confirmed in writing", event.decided_on, {"excluded": event.excluded})


def _split_arranged(state, profile, event: SplitArranged, start) -> Effect:
    state.split = True
    state.open_next(profile, "split_letters", "split_conference_letter_notice", state.meeting_on)
    return Effect(f"Split conference arranged ({event.gap_minutes} minutes between the parts)", event.arranged_on,
                  {"gap_minutes": event.gap_minutes})


def _held(state, profile, event: ConferenceHeld, start) -> Effect:
    details = {"quorate": event.quorate, "agencies": event.other_agencies_present,
               "parents_present": event.parents_present}
    notices: list[Notice] = []
    for kind in ("booking_consultation", "invitations", "report_to_chair", "report_to_parents", "agency_reports",
                 "split_letters", "exclusion_decision", "reconvene", "transfer_report"):
        row = state.open_deadline(kind)
        if row is not None:
            row.status = DeadlineStatus.CANCELLED
    if event.inquorate_action == "adjourn":
        state.stage = ConferenceStage.ADJOURNED
        state.adjournments += 1
        state.open_next(profile, "reconvene", "inquorate_conference_reconvened_within", event.held_on)
        row = state.open_deadline("reconvene")
        if row is not None:
            state.meeting_on = row.due  # until a new date is set, the latest it may be
        return Effect(f"Conference not quorate on {event.held_on}: adjourned, interim plan; to reconvene",
                      event.held_on, {**details, "adjourned": True})
    if event.inquorate_action == "proceed":
        details["inquorate_reason"] = event.inquorate_reason.value
        details["consider_early_review"] = True  # seed 000
        notices.append(Notice("assistant_director", "inquorate_conference",
                              f"Conference {state.conference_ref} proceeded although not quorate",
                              f"{BIRMINGHAM}, 3.12: the chair proceeded "
                              f"({event.inquorate_reason.value.replace('_', ' ')}). "
                              "An early review should be considered."))
    state.held = event
    state.stage = ConferenceStage.HELD
    held = event.held_on
    state.open_next(profile, "decision_circulated", "decision_circulated", held)
    if not event.parents_present:
        state.open_next(profile, "absent_parents_told", "absent_parents_told", held)
    if any(decision.plan for decision in event.decisions):
        state.open_next(profile, "outline_plan_circulated", "outline_plan_circulated", held)
    state.open_next(profile, "record_completed", "record_completed", held)
    state.open_next(profile, "record_shared", "record_shared", held)
    if event.grading is not None and event.grading <= 2:
        # Seed 004: the chair escalates an overall grading of 0-2 within 24 hours; the journey does it at once.
        notices.append(Notice("service_manager", "low_grading",
                              f"Conference {state.conference_ref}: overall grading {event.grading}",
                              f"{LOCAL_GUIDE}, What happens during and after a Child Protection Conference?: "
                              "a grading between 0 and 2 is escalated to the service manager."))
    details["decisions"] = [decision.model_dump(mode="json") for decision in event.decisions]
    _close_when_done(state)
    plans = sum(decision.plan for decision in event.decisions)
    return Effect(f"Conference held {held}: {plans} of {len(event.decisions)} child(ren) on a plan", held,
                  details, notices)


def _amendments(state, profile, event: AmendmentsReceived, start) -> Effect:
    state.open_next(profile, "record_amendments", "record_amendments", event.received_on)
    return Effect(f"Amendments to the record received {event.received_on}", event.received_on, {})


def _close_when_done(state: ConferenceState) -> None:
    if state.stage is ConferenceStage.HELD and state.next_open() is None and not any(
        row.status is DeadlineStatus.OVERDUE for row in state.deadlines
    ):
        state.stage = ConferenceStage.CLOSED


_APPLY = {
    InvitationsSent: _invitations_sent,
    ConferenceTaskDone: _task_done,
    ExclusionRequested: _exclusion_requested,
    ExclusionDecided: _exclusion_decided,
    SplitArranged: _split_arranged,
    ConferenceHeld: _held,
    AmendmentsReceived: _amendments,
}


def event_date(event) -> date:
    for name in ("sent_on", "done_on", "requested_on", "decided_on", "arranged_on", "held_on", "received_on"):
        if hasattr(event, name):
            return getattr(event, name)
    raise TypeError(type(event).__name__)  # pragma: no cover


def reminder_day(profile: Profile, row: Deadline) -> date:
    """The working day before a deadline: when whoever owns it is reminded."""
    return calendar_of(profile).add_working_days(row.due, -1)


