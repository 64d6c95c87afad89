"""Events that move a child's journey, and the rules any caller must meet.

Models reject unknown fields, so a caller cannot slip a name, date of birth or
address into a Temporal payload: none of these models has a field for one.
Rules that need the journey's state (order, stage, "not in the future") live in
the workflow's update validators; rules about the event alone live here.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from domain.calendar import FIRST_YEAR, LAST_YEAR
from domain.policy import BIRMINGHAM, DARLINGTON, STAFFORDSHIRE

#: The days an event may carry: the calendar's years less one at each end. Every deadline is
#: computed from an event's date by a rule (or two in a row: a review six months on, its
#: invitations two weeks before), all well under a year, so a computed date never falls outside
#: the calendar, where it would fail the workflow's task for ever instead of refusing the event.
FIRST_DAY, LAST_DAY = date(FIRST_YEAR + 1, 1, 1), date(LAST_YEAR - 1, 12, 31)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day(value: Any) -> date:
    # Pydantic would also take a number (seconds since 1970) or a date and time; a caller
    # sending either has made a mistake we should name, not a date we should guess.
    if isinstance(value, datetime):
        raise ValueError("a date is a day, YYYY-MM-DD, without a time")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value} is not a day of the calendar") from None
    raise ValueError("a date is written YYYY-MM-DD")


def _within_the_calendar(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{day} is outside the days the calendar can count from ({FIRST_DAY} to {LAST_DAY})")
    return day


def _years(first: int, last: int) -> str:
    decades = range(first // 10, last // 10 + 1)
    return "|".join(f"{d}[{max(first, d * 10) % 10}-{min(last, d * 10 + 9) % 10}]" for d in decades)


#: The same days as a pattern, for the OpenAPI document: JSON Schema cannot bound a date otherwise.
DAY_PATTERN = rf"^({_years(FIRST_DAY.year, LAST_DAY.year)})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
#: A day written YYYY-MM-DD, inside the years whose working days the calendar knows.
Day = Annotated[date, BeforeValidator(_iso_day), AfterValidator(_within_the_calendar),
                Field(description=f"a day, YYYY-MM-DD, from {FIRST_DAY} to {LAST_DAY}",
                      json_schema_extra={"pattern": DAY_PATTERN})]


def _refuse_controls(value: str, allowed: str) -> str:
    # A NUL cannot be stored in PostgreSQL text (the record would fail for ever), and other control
    # characters or lone surrogates only garble records, letters and logs.
    for ch in value:
        if ch not in allowed and unicodedata.category(ch) in ("Cc", "Cs"):
            raise ValueError(f"control characters are not allowed (found U+{ord(ch):04X})")
    return value


def _one_line(value: str) -> str:
    return _refuse_controls(value, "")


def _paragraphs(value: str) -> str:
    return _refuse_controls(value, "\t\n\r")


#: A short text on one line: no control characters at all.
OneLine = AfterValidator(_one_line)
#: Free text a person writes in a box: lines and tabs, but no other control characters.
Paragraphs = AfterValidator(_paragraphs)


#: A case reference from the authority's case system: capitals, digits and hyphens,
#: with at least four digits, so that a name can never pass for one.
CASE_REF_PATTERN = r"^[A-Z0-9][A-Z0-9-]{3,31}$"


def _has_four_digits(value: str) -> str:
    if sum(ch.isdigit() for ch in value) < 4:
        raise ValueError("a case reference has at least four digits (it is the case system's number, never a name)")
    return value


CaseRef = Annotated[str, StringConstraints(pattern=CASE_REF_PATTERN), AfterValidator(_has_four_digits)]
#: A conference's reference: its workflow id is ``cpj-conf-<ref>``, which no case reference can reach.
CONFERENCE_REF_PATTERN = r"^[A-Z0-9][A-Z0-9-]{3,39}$"
ConferenceRef = Annotated[str, StringConstraints(pattern=CONFERENCE_REF_PATTERN)]
#: A caller's id for one event; re-sending the same id is answered, not repeated.
EventId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]
Reasons = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=2000), Paragraphs]


#: Another local authority, by name (an authority's name is not personal data).
AuthorityName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=80), OneLine]


class Category(StrEnum):
    PHYSICAL_ABUSE = "physical_abuse"
    EMOTIONAL_ABUSE = "emotional_abuse"
    SEXUAL_ABUSE = "sexual_abuse"
    NEGLECT = "neglect"


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: EventId


class StrategyDiscussion(_Event):
    """A multi-agency strategy discussion; the one that initiates the s47 starts the ICPC clock."""

    type: Literal["strategy_discussion"] = "strategy_discussion"
    held_on: Day
    initiated_section_47: bool
    #: For an unborn child: the expected date of delivery (seed 000: conference at least 3 months before).
    expected_delivery: Day | None = None
    premature_birth_likely: bool = False

    @model_validator(mode="after")
    def _prematurity_is_about_an_unborn_child(self) -> StrategyDiscussion:
        if self.premature_birth_likely and self.expected_delivery is None:
            raise ValueError("premature_birth_likely is for an unborn child: give expected_delivery")
        return self


class TransferIn(_Event):
    """A child on another authority's plan moves here: the journey starts at the receiving end."""

    type: Literal["transfer_in"] = "transfer_in"
    #: Seed 000 counts from the agreement between the authorities; seed 002 from the child's move.
    agreed_on: Day
    originating_authority: AuthorityName
    category: Category


class ChildBorn(_Event):
    """The unborn child of a pre-birth journey is born: the same journey goes on."""

    type: Literal["child_born"] = "child_born"
    born_on: Day


class TransferOutNotified(_Event):
    """A child on a plan moves away: the register and the receiving authority are told (seed 002)."""

    type: Literal["transfer_out_notified"] = "transfer_out_notified"
    notified_on: Day
    receiving_authority: AuthorityName


class IcpcDelayAgreed(_Event):
    """The team manager's written agreement to hold the ICPC after its deadline."""

    type: Literal["icpc_delay_agreed"] = "icpc_delay_agreed"
    agreed_on: Day
    agreed_by: Literal["team_manager"] = Field(
        description=f"{DARLINGTON}, Initial Child Protection Conference: any delay must have written agreement "
                    "from the CSC team manager"
    )
    reasons: Reasons
    new_target: Day

    @model_validator(mode="after")
    def _target_after_agreement(self) -> IcpcDelayAgreed:
        if self.new_target < self.agreed_on:
            raise ValueError("new_target cannot be before the day the delay was agreed")
        return self


class IcpcHeld(_Event):
    """The initial child protection conference was held and decided."""

    type: Literal["icpc_held"] = "icpc_held"
    held_on: Day
    decision: Literal["plan", "no_plan"]
    category: Category | None = None

    @model_validator(mode="after")
    def _category_goes_with_a_plan(self) -> IcpcHeld:
        if self.decision == "plan" and self.category is None:
            raise ValueError("a plan decision needs its category: " + ", ".join(c.value for c in Category))
        if self.decision == "no_plan" and self.category is not None:
            raise ValueError("a no-plan decision has no category")
        return self


class ConferenceNotRequired(_Event):
    """The team manager decided, after the s47 enquiry, that no ICPC is needed."""

    type: Literal["conference_not_required"] = "conference_not_required"
    decided_on: Day
    decided_by: Literal["team_manager"]
    reasons: Reasons


#: A member of staff by their staff number, never by name.
StaffRef = Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,4}-?[0-9]{3,10}$")]
#: A role or agency, e.g. "school", "health visitor": short, no names.
RoleText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=60), OneLine]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300), OneLine]


class LeadSocialWorkerNamed(_Event):
    """Seed 000: the chair names a qualified social worker as lead social worker."""

    type: Literal["lead_social_worker_named"] = "lead_social_worker_named"
    named_on: Day
    staff_ref: StaffRef


class LeadSocialWorkerCover(_Event):
    """Seed 000: cover for a planned absence; parents and child must be told."""

    type: Literal["lead_social_worker_cover"] = "lead_social_worker_cover"
    absent_from: Day
    absent_to: Day
    cover_staff_ref: StaffRef
    parents_informed: bool

    @model_validator(mode="after")
    def _parents_told(self) -> LeadSocialWorkerCover:
        if not self.parents_informed:
            raise ValueError("parents and child must be informed of the planned absence and its cover "
                             f"({DARLINGTON}, Absence of the Lead Social Worker)")
        if self.absent_to < self.absent_from:
            raise ValueError("absent_to is before absent_from")
        return self


class CoreGroupMember(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: RoleText
    agency: RoleText


class CoreGroupMembersRecorded(_Event):
    type: Literal["core_group_members_recorded"] = "core_group_members_recorded"
    recorded_on: Day
    members: list[CoreGroupMember] = Field(min_length=1, max_length=40)


class CoreGroupHeld(_Event):
    """A core group meeting: who came (by role), what it decided and who does what next."""

    type: Literal["core_group_held"] = "core_group_held"
    held_on: Day
    attended: list[RoleText] = Field(min_length=1, max_length=40)
    decisions: list[ShortText] = Field(default_factory=list, max_length=40)
    actions: list[ShortText] = Field(default_factory=list, max_length=60)
    next_meeting_on: Day | None = None

    @model_validator(mode="after")
    def _next_after_this(self) -> CoreGroupHeld:
        if self.next_meeting_on is not None and self.next_meeting_on <= self.held_on:
            raise ValueError("next_meeting_on must be after held_on")
        return self


class VisitMade(_Event):
    """A statutory visit by the lead social worker, or an attempt that found no access."""

    type: Literal["visit_made"] = "visit_made"
    visited_on: Day
    outcome: Literal["seen", "no_access"]
    seen_alone: bool = False
    bedroom_seen: bool = False


class Task(StrEnum):
    CORE_GROUP_MINUTES = "core_group_minutes"
    CORE_ASSESSMENT = "core_assessment"
    PLAN_LODGED_WITH_CHAIR = "plan_lodged_with_chair"
    REVIEW_INVITATIONS = "review_invitations"
    REVIEW_REPORTS = "review_reports"
    MIDWAY_MEETING = "midway_meeting"


class TaskCompleted(_Event):
    """A piece of work the plan's timescales ask for is done (minutes, assessment, invitations...)."""

    type: Literal["task_completed"] = "task_completed"
    task: Task
    completed_on: Day


class ReviewTrigger(StrEnum):
    """Why a review is brought forward (seeds 000 and 003)."""

    NEW_INCIDENT = "new_incident"
    PLAN_DIFFICULTIES = "plan_difficulties"
    BIRTH_INTO_HOUSEHOLD = "birth_into_household"
    RISKY_PERSON_JOINS = "risky_person_joins"
    SIGNIFICANT_CHANGE = "significant_change"
    RETURN_HOME_FROM_CARE = "return_home_from_care"
    CORE_GROUP_BELIEVES_PLAN_NOT_NEEDED = "core_group_believes_plan_not_needed"


class ReviewScheduled(_Event):
    """The review conference is booked; a trigger brings it forward (an early review)."""

    type: Literal["review_scheduled"] = "review_scheduled"
    scheduled_on: Day
    review_date: Day
    brought_forward_because: ReviewTrigger | None = None


class ExceptionalCircumstance(StrEnum):
    """Seed 000: the only grounds for ending a plan at the first review."""

    PERPETRATOR_CUSTODIAL_SENTENCE = "perpetrator_custodial_sentence"
    PERPETRATOR_DECEASED = "perpetrator_deceased"


class ReviewHeld(_Event):
    type: Literal["review_held"] = "review_held"
    held_on: Day
    outcome: Literal["continue", "change_category", "end_plan"]
    category: Category | None = None
    chair_endorsed_ending: bool = False
    exceptional_circumstance: ExceptionalCircumstance | None = None

    @model_validator(mode="after")
    def _category_for_a_change(self) -> ReviewHeld:
        if (self.outcome == "change_category") != (self.category is not None):
            raise ValueError("a category is given exactly when the outcome is change_category")
        return self


class EndingReason(StrEnum):
    TURNED_18 = "turned_18"
    DIED = "died"
    LEFT_THE_UK = "left_the_uk"
    MOVED_TO_ANOTHER_AUTHORITY = "moved_to_another_authority"
    BECAME_LOOKED_AFTER = "became_looked_after"


class PlanEnded(_Event):
    """A plan ending outside a review (seeds 002, 003)."""

    type: Literal["plan_ended"] = "plan_ended"
    ended_on: Day
    reason: EndingReason
    receiving_conference_confirmed: bool = False

    @model_validator(mode="after")
    def _move_needs_confirmation(self) -> PlanEnded:
        if self.reason is EndingReason.MOVED_TO_ANOTHER_AUTHORITY and not self.receiving_conference_confirmed:
            raise ValueError(
                "a plan ends on a permanent move only once the receiving authority confirms its receiving-in "
                f"conference decision ({STAFFORDSHIRE}, Discontinuing the Child Protection Plan, paragraph 41)"
            )
        return self


class ChildMissing(_Event):
    type: Literal["child_missing"] = "child_missing"
    reported_on: Day


class ChildFound(_Event):
    type: Literal["child_found"] = "child_found"
    found_on: Day


class SignificantEventKind(StrEnum):
    SECTION_47_INITIATED = "section_47_initiated"
    NEW_INCIDENT = "new_incident"
    POLICE_INVOLVEMENT = "police_involvement"
    HOSPITAL_ADMISSION = "hospital_admission"
    CHANGE_OF_HOUSEHOLD = "change_of_household"
    OTHER = "other"


class SignificantEvent(_Event):
    """Seed 004: significant events between conferences go to the chair within 1 working day."""

    type: Literal["significant_event"] = "significant_event"
    occurred_on: Day
    kind: SignificantEventKind


class ConferenceBooked(_Event):
    """A conference is booked: the journey starts a conference workflow that keeps its deadlines."""

    type: Literal["conference_booked"] = "conference_booked"
    booked_on: Day
    conference_ref: ConferenceRef
    kind: Literal["initial", "review", "pre_birth", "transfer_in"]
    meeting_on: Day
    chair_ref: StaffRef
    chair_independent_of_the_case: bool
    #: Brothers and sisters considered at the same conference, each with a journey of their own.
    siblings: list[CaseRef] = Field(default_factory=list, max_length=11)

    @model_validator(mode="after")
    def _independent_chair(self) -> ConferenceBooked:
        if not self.chair_independent_of_the_case:
            raise ValueError("the conference chair is independent of the case, with no line responsibility "
                             f"for it ({BIRMINGHAM}, 3.6)")
        if self.meeting_on < self.booked_on:
            raise ValueError("meeting_on is before booked_on")
        return self


PLAN_EVENTS = (
    TransferOutNotified, LeadSocialWorkerNamed, LeadSocialWorkerCover, CoreGroupMembersRecorded, CoreGroupHeld, VisitMade,
    TaskCompleted, ReviewScheduled, ReviewHeld, PlanEnded, ChildMissing, ChildFound, SignificantEvent,
)
ICPC_EVENTS = (StrategyDiscussion, IcpcDelayAgreed, IcpcHeld, ConferenceNotRequired, ChildBorn)

JourneyEvent = Annotated[
    StrategyDiscussion | IcpcDelayAgreed | IcpcHeld | ConferenceNotRequired | ConferenceBooked
    | ChildBorn | TransferOutNotified
    | LeadSocialWorkerNamed | LeadSocialWorkerCover | CoreGroupMembersRecorded | CoreGroupHeld | VisitMade
    | TaskCompleted | ReviewScheduled | ReviewHeld | PlanEnded | ChildMissing | ChildFound | SignificantEvent,
    Field(discriminator="type"),
]
#: What a source system may send as a fire-and-forget signal (a school's absence feed, a police
#: notification): nobody waits for an answer, so a refused one is recorded, not returned.
FeedEvent = Annotated[ChildMissing | ChildFound | SignificantEvent, Field(discriminator="type")]
FEED_EVENTS = (ChildMissing, ChildFound, SignificantEvent)

EVENT_TYPES: dict[str, type[_Event]] = {
    model.model_fields["type"].default: model for model in (*ICPC_EVENTS, ConferenceBooked, *PLAN_EVENTS)
}


def workflow_id_for(case_ref: str) -> str:
    return f"cpj-{case_ref}"
