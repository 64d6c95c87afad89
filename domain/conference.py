"""A child protection conference: convening it, the days before it, the meeting, and after.

Pure, like ``domain.plan``: ``check`` refuses an event with a sentence a caller can
act on and changes nothing; ``apply`` changes the conference and returns an
:class:`~domain.plan.Effect`. Timescales come from the journey's pinned profile, and so
does every rule one authority's document states (who must be invited, quoracy, exclusion,
a split conference's break, the majority, the parents' copy, a low grading): each is an
option of that authority's profile, cited, so a conference on another profile never
applies it. "Must" wording refuses an event; "should" wording accepts it and records
what was short (a late row, a detail in the record).

The conference owns the deadlines around the meeting; the journey keeps the statutory
date the meeting itself must be held by.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.deadlines import KINDS, Deadline, DeadlineStatus, DeadlineTable, calendar_of
from domain.events import CaseRef, Category, ConferenceRef, Day, RoleText, StaffRef, _Event
from domain.plan import Effect, InvalidEvent, Notice
from domain.policy import Option, Profile
from domain.released import PinnedPolicy


def conference_workflow_id(conference_ref: str) -> str:
    """The id of the workflow that keeps a conference (the journey starts it; the client and admin tool find it)."""
    return f"cpj-conf-{conference_ref}"


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
    #: Every child the conference considers (all the children in the household); each has its own journey.
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
    REPORT_TO_EXCLUDED_PARENT = "report_to_excluded_parent"


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


class ConferenceTaskDone(_Event):
    type: Literal["conference_task_done"] = "conference_task_done"
    task: ConferenceTask
    done_on: Day


class ExclusionGround(StrEnum):
    """Grounds for excluding a parent, as the Darlington and Sefton procedures list them.

    A profile's ``exclusion_grounds`` option says which its authority recognises.
    """

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


class SplitArranged(_Event):
    """Parents attend separately, in parts of one conference."""

    type: Literal["split_arranged"] = "split_arranged"
    arranged_on: Day
    #: A profile's ``split_conference_gap_minutes`` says how long the break should be at least.
    gap_minutes: int = Field(ge=0, le=1440, description="minutes between the parts")


class ChildDecision(BaseModel):
    """One child's decision: a plan or not, with the agencies' views (a majority, where the profile says so)."""

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
    """When the chair may proceed although the conference is not quorate (a profile's ``inquorate_proceed_reasons``)."""

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
    exclusions_decided: int = 0
    #: The day the record was shared: those it went to receive it then, and their amendments run from it.
    record_shared_on: date | None = None
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
        # The originating authority's lead social worker reports before a transfer conference.
        state.open_next(profile, "transfer_report", "transfer_report_before_conference", start.meeting_on)
    _open_before_meeting(state, profile)


def _open_before_meeting(state: ConferenceState, profile: Profile) -> None:
    meeting = state.meeting_on
    notice = "review_invitation_notice" if state.kind is ConferenceKind.REVIEW else "icpc_invitation_notice"
    state.open_next(profile, "invitations", notice, meeting)
    review_reports_to = _review_reports_go_to(state, profile)
    state.open_next(profile, "report_to_chair", "review_reports_before_conference" if "chair" in review_reports_to
                    else "report_to_chair_before_conference", meeting)
    state.open_next(profile, "report_to_parents", "review_reports_before_conference" if "parents" in review_reports_to
                    else "report_to_parents_before_conference", meeting)
    state.open_next(profile, "agency_reports", "agency_reports_before_conference", meeting)
    if state.split:
        state.open_next(profile, "split_letters", "split_conference_letter_notice", meeting)


def _review_reports_go_to(state: ConferenceState, profile: Profile) -> list[str]:
    """Whose copy of the reports ``review_reports_before_conference`` times, before a review.

    Procedures differ (Darlington: the chair's; Sefton and the local guide: the family's;
    Staffordshire: both); without the option, the chair's, as journeys always read it.
    """
    if state.kind is not ConferenceKind.REVIEW or "review_reports_before_conference" not in profile.rules:
        return []
    option = profile.options.get("review_reports_go_to")
    return list(option.value) if option is not None else ["chair"]


def _on(profile: Profile, key: str) -> Option | None:
    """The profile's option ``key`` if it is set and not switched off."""
    option = profile.options.get(key)
    return None if option is None or option.value is False else option


def _roles_missing(option: Option | None, kind: ConferenceKind, invitees: list[Invitee]) -> list[str]:
    if option is None:
        return []
    invited = {invitee.role.strip().lower() for invitee in invitees}
    return [role for role in option.value.get(kind.value, []) if role.lower() not in invited]


def is_quorate(profile: Profile, event: ConferenceHeld) -> bool:
    """Children's social care and the profile's number of other agencies; without a quorum rule, always."""
    quorum = profile.options.get("quorum_other_agencies")
    if quorum is None:
        return True
    return event.childrens_social_care_present and len(set(event.other_agencies_present)) >= quorum.value


def _words(value: str) -> str:
    return value.replace("_", " ")


# -- Checking ------------------------------------------------------------------------


def check_booking(profile: Profile, event) -> None:
    """Refuse a booking (``ConferenceBooked``) the profile's procedure does not allow.

    The journey's validator calls this before it starts the conference.
    """
    independent = _on(profile, "chair_independent_of_the_case")
    if independent is not None and not event.chair_independent_of_the_case:
        raise InvalidEvent("the conference chair is independent of the case, with no operational or line "
                           f"management responsibility for it ({independent.citation})")


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


def _check_invitations(state, profile, event: InvitationsSent, start) -> None:
    _before_meeting_only(state, "sending invitations")
    must = profile.options.get("must_invite")
    missing = _roles_missing(must, state.kind, event.invitees)
    if missing:
        roles = ", ".join(f"'{role}'" for role in missing)
        raise InvalidEvent(f"invite role {roles}: they must be invited to a {_words(state.kind.value)} conference "
                           f"({must.citation})")


def _check_exclusion_requested(state, profile, event: ExclusionRequested, start) -> None:
    _before_meeting_only(state, "an exclusion request")
    grounds = profile.options.get("exclusion_grounds")
    if grounds is not None:
        other = [ground.value for ground in event.grounds if ground.value not in grounds.value]
        if other:
            raise InvalidEvent(f"not a ground for excluding a parent in this procedure: {', '.join(map(_words, other))} "
                               f"({grounds.citation})")
    cutoff = _exclusion_cutoff(state, profile)
    if cutoff is not None and event.requested_on > cutoff.due and _on(profile, "late_exclusion_request_refused"):
        raise InvalidEvent(f"an exclusion request must reach the chair by {cutoff.due} ({cutoff.reason})")


def _exclusion_cutoff(state: ConferenceState, profile: Profile):
    if "exclusion_request_notice" not in profile.rules:
        return None
    return calendar_of(profile).due(state.meeting_on, profile.rule("exclusion_request_notice"))


def _check_exclusion_decided(state, profile, event: ExclusionDecided, start) -> None:
    if state.open_deadline("exclusion_decision") is None and len(state.exclusions) <= state.exclusions_decided:
        raise InvalidEvent("there is no exclusion request waiting for the chair's decision")
    in_writing = _on(profile, "exclusion_decision_in_writing")
    if in_writing is not None and not event.communicated_in_writing:
        raise InvalidEvent(f"the chair's decision on exclusion is confirmed to the parent in writing ({in_writing.citation})")


def _check_split(state, profile, event: SplitArranged, start) -> None:
    _before_meeting_only(state, "arranging a split conference")


def _check_held(state, profile, event: ConferenceHeld, start) -> None:
    _before_meeting_only(state, "holding the conference")
    quorum = profile.options.get("quorum_other_agencies")
    if not is_quorate(profile, event):
        if event.inquorate_action is None:
            raise InvalidEvent(f"the conference was not quorate (children's social care and at least {quorum.value} "
                               f"other agencies with direct contact: {quorum.citation}): say whether the chair "
                               "proceeded or adjourned (inquorate_action)")
        if event.inquorate_action == "proceed":
            if event.inquorate_reason is None:
                raise InvalidEvent("proceeding although inquorate needs one of the chair's reasons (inquorate_reason)")
            reasons = profile.options.get("inquorate_proceed_reasons")
            if reasons is not None and event.inquorate_reason.value not in reasons.value:
                raise InvalidEvent(f"the chair may proceed although not quorate only where: "
                                   f"{'; '.join(map(_words, reasons.value))} ({reasons.citation})")
    elif event.inquorate_action is not None:
        why = "" if quorum is not None else " (this procedure sets no quorum)"
        raise InvalidEvent(f"the conference was quorate{why}: inquorate_action is only for one that was not")
    if event.inquorate_action == "adjourn":
        if event.decisions:
            raise InvalidEvent("an adjourned conference makes no decisions")
        return
    decided = [decision.case_ref for decision in event.decisions]
    if sorted(decided) != sorted(state.case_refs):
        raise InvalidEvent(f"the conference decides for every child it considers ({', '.join(state.case_refs)}), "
                           f"once each; got {', '.join(decided) or 'none'}")
    by_majority = _on(profile, "decision_by_majority_of_agencies")
    if by_majority is None:
        return  # the chair decides, having heard the agencies (their counts are recorded)
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
            raise InvalidEvent(f"{decision.case_ref}: the decision does not follow the agencies' majority "
                               f"({by_majority.citation})")


def _majority(decision: ChildDecision) -> bool | None:
    if decision.agencies_for_plan == decision.agencies_against_plan:
        return None
    return decision.agencies_for_plan > decision.agencies_against_plan


def _check_amendments(state, profile, event: AmendmentsReceived, start) -> None:
    if state.held is None:
        raise InvalidEvent("amendments are to the record of a conference that has been held")
    if _amendments_window(profile) and state.record_shared_on is None:
        raise InvalidEvent("amendments are to the record once it has been shared: record the record shared first")
    if state.record_shared_on is not None and event.received_on < state.record_shared_on:
        raise InvalidEvent(f"the record was shared on {state.record_shared_on}: amendments to it come after")


def _amendments_window(profile: Profile) -> bool:
    """Whether amendments run from the receipt of the record (every run since rules came from profiles)."""
    return "record_amendments" in profile.rules and _on(profile, "legacy_amendments_counted_from_their_arrival") is None


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
    summary = f"Invitations sent {event.sent_on} to {len(event.invitees)} ({interpreters} needing an interpreter)"
    details = {"invitees": [invitee.model_dump() for invitee in event.invitees],
               "late": met is not None and met.status is DeadlineStatus.MET_LATE}
    # "Should" wording: the invitations stand, and the record says what the procedure asked for besides.
    should = profile.options.get("should_invite")
    not_invited = _roles_missing(should, state.kind, event.invitees)
    if not_invited:
        details["not_invited"] = not_invited
        summary += f"; not invited: {', '.join(not_invited)}, who should be ({should.citation})"
    advocacy = _on(profile, "child_advocacy_offered_over_age")
    if advocacy is not None and event.child_over_8 and not any(
        invitee.role.strip().lower() == "child" and invitee.advocacy_offered for invitee in event.invitees
    ):
        details["advocacy_not_offered"] = True
        summary += f"; the child, over {advocacy.value}, was not offered an independent advocate ({advocacy.citation})"
    return Effect(summary, event.sent_on, details)


def _task_done(state, profile, event: ConferenceTaskDone, start) -> Effect:
    label = event.task.value.replace("_", " ")
    if event.task is ConferenceTask.PARENTS_NOTIFIED_IN_WRITING:
        return Effect(f"Parents notified in writing {event.done_on}", event.done_on, {"task": event.task.value})
    met = state.meet(event.task.value, event.done_on)
    late = met.status is DeadlineStatus.MET_LATE
    effect = Effect(f"{KINDS[event.task.value].label}: done {event.done_on}" + (f" (late: due {met.due})" if late else ""),
                    event.done_on, {"task": event.task.value, "due": met.due.isoformat(), "late": late})
    if event.task is ConferenceTask.RECORD_SHARED:
        if _on(profile, "parents_copy_marked"):
            effect.details["parents_copy_marked"] = True
        state.record_shared_on = event.done_on
        if _amendments_window(profile):
            state.open_next(profile, AMENDMENTS_WINDOW, "record_amendments", event.done_on)
    _close_when_done(state)
    return effect


def _exclusion_requested(state, profile, event: ExclusionRequested, start) -> Effect:
    state.exclusions.append(event)
    summary = f"Exclusion of the {event.parent_role} requested {event.requested_on}"
    details = {"parent_role": event.parent_role, "grounds": [ground.value for ground in event.grounds]}
    cutoff = _exclusion_cutoff(state, profile)
    if cutoff is not None and event.requested_on > cutoff.due:
        # "If possible" wording (Sefton): a late request still reaches the chair, marked late.
        details.update(late=True, due=cutoff.due.isoformat())
        summary += f" (late: due {cutoff.due}, {cutoff.reason})"
    ask = "Decide before the conference."
    before = _on(profile, "exclusion_decided_before_conference")
    if before is not None:
        decide_by = calendar_of(profile).add_working_days(state.meeting_on, -1)
        ask = f"Decide and confirm in writing by {decide_by}."
        if state.open_deadline("exclusion_decision") is None:
            state.deadlines.append(Deadline(
                kind="exclusion_decision", label=KINDS["exclusion_decision"].label, rule="exclusion_request_notice",
                due=decide_by, reason=f"the working day before the conference on {state.meeting_on} ({before.citation}: "
                                      "the decision is communicated to the parent before the conference, in writing)"))
    return Effect(summary, event.requested_on, details,
                  [Notice("conference_chair", "exclusion_requested",
                          f"Exclusion request for conference {state.conference_ref}",
                          f"A request to exclude the {event.parent_role} on {len(event.grounds)} ground(s). {ask}")])


def _exclusion_decided(state, profile, event: ExclusionDecided, start) -> Effect:
    state.excluded_parent = event.excluded
    state.exclusions_decided = len(state.exclusions)
    state.meet("exclusion_decision", event.decided_on)
    if event.excluded and state.held is None:
        rule = ("report_to_excluded_parent_before_review" if state.kind is ConferenceKind.REVIEW
                else "report_to_excluded_parent_before_conference")
        state.open_next(profile, "report_to_excluded_parent", rule, state.meeting_on)
    writing = ", confirmed in writing" if event.communicated_in_writing else ", not confirmed in writing"
    return Effect(f"Chair {'excluded' if event.excluded else 'did not exclude'} the parent ({event.decided_on})"
                  f"{writing}", event.decided_on, {"excluded": event.excluded})


def _split_arranged(state, profile, event: SplitArranged, start) -> Effect:
    state.split = True
    state.open_next(profile, "split_letters", "split_conference_letter_notice", state.meeting_on)
    summary = f"Split conference arranged ({event.gap_minutes} minutes between the parts)"
    details = {"gap_minutes": event.gap_minutes}
    gap = profile.options.get("split_conference_gap_minutes")
    if gap is not None and event.gap_minutes < gap.value:
        # "Should" wording: the arrangement stands; the record says the break is short.
        details["gap_short_of"] = gap.value
        summary += f"; shorter than the {gap.value} minutes the procedure asks for ({gap.citation})"
    return Effect(summary, event.arranged_on, details)


def _held(state, profile, event: ConferenceHeld, start) -> Effect:
    details = {"quorate": is_quorate(profile, event), "agencies": event.other_agencies_present,
               "parents_present": event.parents_present}
    notices: list[Notice] = []
    for kind in ("booking_consultation", "invitations", "report_to_chair", "report_to_parents", "agency_reports",
                 "split_letters", "exclusion_decision", "reconvene", "transfer_report", "report_to_excluded_parent"):
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
        early_review = _on(profile, "early_review_considered_when_inquorate")
        if early_review is not None:
            details["consider_early_review"] = True
        told = profile.options.get("inquorate_proceeding_notified_to")
        if told is not None:
            consider = f" An early review should be considered ({early_review.citation})." if early_review else ""
            notices.append(Notice(told.value, "inquorate_conference",
                                  f"Conference {state.conference_ref} proceeded although not quorate",
                                  f"{told.citation}: the chair proceeded ({_words(event.inquorate_reason.value)})."
                                  f"{consider}"))
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
    _open_record_before_next_review(state, profile, event)
    low_grading = profile.options.get("low_grading_escalated_at_most")
    if low_grading is not None and event.grading is not None and event.grading <= low_grading.value:
        # The chair escalates within 24 hours (grading_escalation); the conference does it at once.
        notices.append(Notice("service_manager", "low_grading",
                              f"Conference {state.conference_ref}: overall grading {event.grading}",
                              f"{low_grading.citation}: a grading between 0 and {low_grading.value} is escalated "
                              "to the service manager."))
    details["decisions"] = [decision.model_dump(mode="json") for decision in event.decisions]
    _close_when_done(state)
    plans = sum(decision.plan for decision in event.decisions)
    return Effect(f"Conference held {held}: {plans} of {len(event.decisions)} child(ren) on a plan", held,
                  details, notices)


def _open_record_before_next_review(state: ConferenceState, profile: Profile, event: ConferenceHeld) -> None:
    """Birmingham 6.3: the record goes out some weeks before the next review, counted back from its latest date."""
    if "record_circulated_before_next_review" not in profile.rules or not any(d.plan for d in event.decisions):
        return
    next_review = "review_interval" if state.kind is ConferenceKind.REVIEW else "first_review"
    if next_review not in profile.rules:
        return
    latest = calendar_of(profile).due(event.held_on, profile.rule(next_review))
    state.open_next(profile, "record_shared", "record_circulated_before_next_review", latest.due)
    row = state.open_deadline("record_shared")
    row.reason = f"{row.reason}; the next review is due by {latest.due}: {latest.reason}"


#: The window in which those who received the record may send amendments: nobody owes anything
#: when it closes without any, so it closes quietly (``close_window``) instead of escalating.
AMENDMENTS_WINDOW = "record_amendments_window"
WINDOWS = frozenset({AMENDMENTS_WINDOW})


def close_window(state: ConferenceState, row: Deadline) -> None:
    """A window's end passed: it closed as it should, and the conference may close."""
    row.status = DeadlineStatus.MET
    _close_when_done(state)


def _amendments(state, profile, event: AmendmentsReceived, start) -> Effect:
    if not _amendments_window(profile):
        # Journeys begun before rules came from profiles counted 10 working days from the amendments' arrival.
        state.open_next(profile, "record_amendments", "record_amendments", event.received_on)
        return Effect(f"Amendments to the record received {event.received_on}", event.received_on, {})
    summary = f"Amendments to the record received {event.received_on}"
    details: dict = {}
    if state.record_shared_on is not None and "record_amendments" in profile.rules:
        due = calendar_of(profile).due(state.record_shared_on, profile.rule("record_amendments"))
        late = event.received_on > due.due
        details.update(due=due.due.isoformat(), late=late)
        summary += f" ({'late: ' if late else ''}due {due.due}, {due.reason})"
    return Effect(summary, event.received_on, details)


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
    """The day an event happened: each event knows which of its fields that is."""
    return event.day


def reminder_day(profile: Profile, row: Deadline) -> date | None:
    """The working day before a deadline: when whoever owns it is reminded (nobody, for a window)."""
    if row.kind in WINDOWS:
        return None
    return calendar_of(profile).add_working_days(row.due, -1)


