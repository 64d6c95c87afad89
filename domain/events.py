"""Events that move a child's journey, and the rules any caller must meet.

Models reject unknown fields, so a caller cannot slip a name, date of birth or
address into a Temporal payload: none of these models has a field for one.
Rules that need the journey's state (order, stage, "not in the future") live in
``domain.icpc``, ``domain.plan`` and ``domain.conference``; rules about the event alone live here.

Each event describes itself, so that nothing else has to: ``title`` is what staff call it,
``action`` what the admin tool's button says, ``date_field`` which field is the day it happened
(``event.day``), and each field's ``title``, ``description`` and ``examples`` give the admin tool
its form and help, error messages their words and the API its examples. Adding an event is its
model here and its rule in the domain; labels, forms and the workflow's entry point follow.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_serializer, model_validator,
)

from domain.calendar import FIRST_YEAR, LAST_YEAR
from domain.case_refs import CASE_REF_PATTERN
from domain.policy import DARLINGTON

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


def _has_four_digits(value: str) -> str:
    if sum(ch.isdigit() for ch in value) < 4:
        raise ValueError("a case reference has at least four digits (it is the case system's number, never a name)")
    return value


#: A case reference from the authority's case system: capitals, digits and hyphens (``CASE_REF_PATTERN``,
#: defined in ``domain.case_refs`` beside the patterns profiles state), with at least four digits, so that
#: a name can never pass for one. The generic shape every journey's reference has, in recorded histories
#: too; each authority's own shape, and the refusal of anything that looks like a name or a date of
#: birth, are checked where a journey starts (``domain.case_refs.check``).
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


#: Who recorded an event: a staff number, or ``service:`` and a service key's name, as sign-in knows them
#: (``starter.accounts.REF_PATTERN``: letters, digits, dots and hyphens, no spaces).
RecordedBy = Annotated[str, StringConstraints(pattern=r"^(service:)?[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: What staff call the event (headings, labels, messages); by default its type in words.
    title: ClassVar[str] = ""
    #: What the admin tool's button says to record it.
    action: ClassVar[str] = "Record it"
    #: The field holding the day the event happened; by default the first required date.
    date_field: ClassVar[str] = ""
    #: The journey stages (``Stage`` values) at which the admin tool offers the event's form; the
    #: journey's rules have the last word. Empty: recorded another way (the API, a booking, a feed).
    offered_at: ClassVar[tuple[str, ...]] = ()
    #: The heading staff look for the form under, on a child's plan.
    group: ClassVar[str] = ""

    event_id: EventId = Field(
        title="Event id", examples=["ev-0001"],
        description="The sender's own id for this event: sending it again is answered, never applied twice")
    #: Who recorded it: the signed-in person's staff number, or ``service:<key name>``. Set by the
    #: server from whoever is signed in (a value in the body is overwritten), never a name.
    recorded_by: RecordedBy | None = Field(
        None, title="Recorded by", description="Set by the service from whoever sent the event; a value sent is replaced",
        json_schema_extra={"x-form": "none", "readOnly": True})

    #: Optional fields added after events were recorded: each dumps only when given.
    added_later: ClassVar[tuple[str, ...]] = ("recorded_by",)

    @model_serializer(mode="wrap")
    def _without_unset_recorded_by(self, handler):
        # An event without a field added later (nobody recorded for it, no team named) dumps as it did
        # before the field existed, so recorded histories replay and the digests kept of earlier events
        # still match: a resend from before the field is still known as a resend.
        data = handler(self)
        if isinstance(data, dict):
            for name in self.added_later:
                if getattr(self, name, None) is None:
                    data.pop(name, None)
        return data

    def recorded_by_details(self) -> dict[str, str]:
        """What a journey's record says about who recorded the event: nothing when nobody was."""
        return {"recorded_by": self.recorded_by} if self.recorded_by else {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        kind = cls.model_fields.get("type")
        if kind is None:
            return
        if not cls.__dict__.get("title"):
            cls.title = kind.default.replace("_", " ").capitalize()
        if not cls.__dict__.get("date_field"):
            cls.date_field = next(name for name, info in cls.model_fields.items()
                                  if info.annotation is date and info.is_required())
        if cls.model_fields[cls.date_field].annotation is not date:  # pragma: no cover - a model's own mistake
            raise TypeError(f"{cls.__name__}.date_field {cls.date_field!r} is not a date")

    @property
    def day(self) -> date:
        """The day the event happened, whatever the event calls it."""
        return getattr(self, self.date_field)

    @classmethod
    def field_title(cls, name: str) -> str:
        """A field as staff read it on the form ("Held on"), for messages about it."""
        info = cls.model_fields.get(name)
        return (info.title if info is not None and info.title else name.replace("_", " ").capitalize())

    @classmethod
    def example(cls) -> dict[str, Any]:
        """A whole, valid event from each field's first example: the API's example for this type."""
        values: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            if name == "type":
                values[name] = info.default
            elif info.examples:
                values[name] = info.examples[0]
        return values


class StrategyDiscussion(_Event):
    """A multi-agency strategy discussion; the one that initiates the s47 starts the ICPC clock."""

    title: ClassVar[str] = "Strategy discussion"
    action: ClassVar[str] = "Record the strategy discussion"
    offered_at: ClassVar[tuple[str, ...]] = ("awaiting_section_47", "awaiting_icpc")

    type: Literal["strategy_discussion"] = "strategy_discussion"
    held_on: Day = Field(title="Held on", description="The day the strategy discussion was held",
                         examples=["2026-11-20"])
    initiated_section_47: bool = Field(
        title="The discussion initiated the section 47 enquiry",
        description="The ICPC is due from the discussion that initiated the enquiry: a later one moves its date",
        examples=[True], json_schema_extra={"x-default": True})
    expected_delivery: Day | None = Field(
        None, title="Expected date of delivery",
        description="For an unborn child only: the conference is held well before the expected birth",
        examples=["2027-03-01"], json_schema_extra={"x-form": "none"})
    premature_birth_likely: bool = Field(
        False, title="A premature birth is likely", description="For an unborn child only: brings the conference forward",
        json_schema_extra={"x-form": "none"})

    @model_validator(mode="after")
    def _prematurity_is_about_an_unborn_child(self) -> StrategyDiscussion:
        if self.premature_birth_likely and self.expected_delivery is None:
            raise ValueError("premature_birth_likely is for an unborn child: give expected_delivery")
        return self


class TransferIn(_Event):
    """A child on another authority's plan moves here: the journey starts at the receiving end."""

    title: ClassVar[str] = "Transfer in"
    action: ClassVar[str] = "Start the journey"

    type: Literal["transfer_in"] = "transfer_in"
    #: Darlington counts from the agreement between the authorities; Staffordshire from the child's move
    #: (the profile's option ``transfer_in_counted_from``).
    agreed_on: Day = Field(title="Agreed on", description="The day the two authorities agreed the transfer",
                           examples=["2026-11-20"])
    moved_on: Day | None = Field(
        default=None, title="Moved on",
        description="The day the child moved to this authority's area: needed where the procedure counts the "
                    "receiving-in conference from the move", examples=["2026-11-20"])
    originating_authority: AuthorityName = Field(
        title="Authority the child comes from", description="The authority whose plan the child is on",
        examples=["Sefton"])
    category: Category = Field(title="Category of the plan", description="The category of the plan the child is on",
                               examples=["neglect"])


class ChildBorn(_Event):
    """The unborn child of a pre-birth journey is born: the same journey goes on."""

    title: ClassVar[str] = "Child born"
    action: ClassVar[str] = "Record the birth"

    type: Literal["child_born"] = "child_born"
    born_on: Day = Field(title="Born on", description="The day the child was born", examples=["2026-11-20"])


class TransferOutNotified(_Event):
    """A child on a plan moves away to another authority, which is told (and, where the procedure says so, the register)."""

    title: ClassVar[str] = "Transfer out notified"
    action: ClassVar[str] = "Tell the register and the receiving authority"

    type: Literal["transfer_out_notified"] = "transfer_out_notified"
    notified_on: Day = Field(title="Notified on", description="The day the receiving authority was told",
                             examples=["2026-11-20"])
    receiving_authority: AuthorityName = Field(
        title="Receiving authority", description="The authority the child is moving to", examples=["Darlington"])


class IcpcDelayAgreed(_Event):
    """The team manager's written agreement to hold the ICPC after its deadline."""

    title: ClassVar[str] = "Delay agreed by the team manager"
    action: ClassVar[str] = "Record the agreed delay"
    offered_at: ClassVar[tuple[str, ...]] = ("awaiting_icpc",)

    type: Literal["icpc_delay_agreed"] = "icpc_delay_agreed"
    agreed_on: Day = Field(title="Agreed on", description="The day the team manager agreed the delay in writing",
                           examples=["2026-11-27"])
    agreed_by: Literal["team_manager"] = Field(
        title="Agreed by",
        description=f"{DARLINGTON}, Initial Child Protection Conference: any delay must have written agreement "
                    "from the CSC team manager",
        examples=["team_manager"], json_schema_extra={"x-form": "fixed"},
    )
    reasons: Reasons = Field(title="Reasons", description="Why the conference cannot be held in time",
                             json_schema_extra={"x-label": "Reasons, as the team manager recorded them"},
                             examples=["The police report is not ready before the deadline."])
    new_target: Day = Field(title="New target date for the ICPC", description="The day the conference will now be held by",
                            examples=["2026-12-18"])

    @model_validator(mode="after")
    def _target_after_agreement(self) -> IcpcDelayAgreed:
        if self.new_target < self.agreed_on:
            raise ValueError("new_target cannot be before the day the delay was agreed")
        return self


class IcpcHeld(_Event):
    """The initial child protection conference was held and decided."""

    title: ClassVar[str] = "ICPC held"
    action: ClassVar[str] = "Record the ICPC"
    offered_at: ClassVar[tuple[str, ...]] = ("awaiting_icpc",)

    type: Literal["icpc_held"] = "icpc_held"
    held_on: Day = Field(title="Held on", description="The day the initial conference was held", examples=["2026-12-04"])
    decision: Literal["plan", "no_plan"] = Field(
        title="Decision", description="Whether the child is to be the subject of a child protection plan",
        examples=["plan"], json_schema_extra={"x-choices": {"plan": "Child protection plan",
                                                            "no_plan": "No plan (child in need follow-up)"}})
    category: Category | None = Field(None, title="Category of the plan", description="Given with a plan, and only then",
                                      examples=["neglect"])

    @model_validator(mode="after")
    def _category_goes_with_a_plan(self) -> IcpcHeld:
        if self.decision == "plan" and self.category is None:
            raise ValueError("a plan decision needs its category: " + ", ".join(c.value for c in Category))
        if self.decision == "no_plan" and self.category is not None:
            raise ValueError("a no-plan decision has no category")
        return self


class ConferenceNotRequired(_Event):
    """The team manager decided, after the s47 enquiry, that no ICPC is needed."""

    title: ClassVar[str] = "Conference not required"
    action: ClassVar[str] = "Record the decision"
    offered_at: ClassVar[tuple[str, ...]] = ("awaiting_icpc",)

    type: Literal["conference_not_required"] = "conference_not_required"
    decided_on: Day = Field(title="Decided on", description="The day the team manager decided", examples=["2026-11-27"])
    decided_by: Literal["team_manager"] = Field(
        title="Decided by", description="Only the team manager decides that no conference is needed",
        examples=["team_manager"], json_schema_extra={"x-form": "fixed"})
    reasons: Reasons = Field(title="Reasons", description="Why no conference is needed",
                             json_schema_extra={"x-label": "The team manager's reasons"},
                             examples=["The enquiry found no continuing risk of significant harm."])


STAFF_REF_HELP = "The staff number, e.g. SW-1042. Never a name."
NO_NAMES = "No names, dates of birth or addresses: refer to people by role (mother, school nurse)."
#: A member of staff by their staff number, never by name.
StaffRef = Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,4}-?[0-9]{3,10}$")]
#: A role or agency, e.g. "school", "health visitor": short, no names.
RoleText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=60), OneLine]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300), OneLine]


def _searchable(value: str) -> str:
    # Temporal's visibility cannot match a keyword holding these, so a team named with them could not be filtered.
    if '"' in value or "\\" in value:
        raise ValueError("a team's name cannot hold double quotation marks or backslashes")
    return value


#: A team's name, as the authority names it: one line, searchable in the caseload (``CpjTeam``).
TeamName = Annotated[ShortText, AfterValidator(_searchable)]


class LeadSocialWorkerNamed(_Event):
    """The conference chair names a qualified social worker as the child's lead social worker."""

    title: ClassVar[str] = "Lead social worker named"
    action: ClassVar[str] = "Name the lead social worker"
    offered_at: ClassVar[tuple[str, ...]] = ("on_plan",)
    group: ClassVar[str] = "People"

    type: Literal["lead_social_worker_named"] = "lead_social_worker_named"
    named_on: Day = Field(title="Named on", description="The day the chair named the lead social worker",
                          examples=["2026-12-04"])
    staff_ref: StaffRef = Field(title="Lead social worker's staff number", description=STAFF_REF_HELP,
                                examples=["SW-1042"], json_schema_extra={"x-form": "staff"})
    #: Indexed as ``CpjTeam`` for the caseload's filter: a team's name is not personal data.
    team: TeamName | None = Field(
        None, title="Team",
        description="The team that holds the case, as your authority names it (for example Locality North)",
        examples=["Locality North"])

    added_later: ClassVar[tuple[str, ...]] = ("recorded_by", "team")


class LeadSocialWorkerCover(_Event):
    """Cover for the lead social worker's planned absence (some procedures say the family must be told)."""

    title: ClassVar[str] = "Cover for the lead social worker"
    action: ClassVar[str] = "Record the cover"
    offered_at: ClassVar[tuple[str, ...]] = ("on_plan",)
    group: ClassVar[str] = "People"

    type: Literal["lead_social_worker_cover"] = "lead_social_worker_cover"
    absent_from: Day = Field(title="Absent from", description="The first day of the planned absence",
                             examples=["2026-12-07"])
    absent_to: Day = Field(title="Absent to", description="The last day of the planned absence", examples=["2026-12-18"],
                           json_schema_extra={"x-default": ""})
    cover_staff_ref: StaffRef = Field(title="Cover's staff number", description=STAFF_REF_HELP, examples=["SW-2077"],
                                      json_schema_extra={"x-form": "staff"})
    parents_informed: bool = Field(title="The parents and the child have been told of the absence and the cover",
                                   description="They are told who covers, and until when", examples=[True])

    @model_validator(mode="after")
    def _absence_in_order(self) -> LeadSocialWorkerCover:
        # Whether the parents must have been told is the authority's rule: domain.plan checks it by profile.
        if self.absent_to < self.absent_from:
            raise ValueError("absent_to is before absent_from")
        return self


class CoreGroupMember(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: RoleText = Field(title="role", description="A role, never a name", examples=["class teacher"])
    agency: RoleText = Field(title="agency", description="The agency the member comes from", examples=["school"])


class CoreGroupMembersRecorded(_Event):
    """Who is in the core group, by role and agency."""

    title: ClassVar[str] = "Core group members"
    action: ClassVar[str] = "Record the core group members"
    offered_at: ClassVar[tuple[str, ...]] = ("on_plan",)
    group: ClassVar[str] = "People"

    type: Literal["core_group_members_recorded"] = "core_group_members_recorded"
    recorded_on: Day = Field(title="Recorded on", description="The day the members were recorded",
                             examples=["2026-12-04"])
    members: list[CoreGroupMember] = Field(
        min_length=1, max_length=40, title="Core group members",
        description="For example: class teacher, school. " + NO_NAMES,
        examples=[[{"role": "class teacher", "agency": "school"}]],
        json_schema_extra={"x-form": "members", "x-label": "Members: one \u201crole, agency\u201d per line"})


class CoreGroupHeld(_Event):
    """A core group meeting: who came (by role), what it decided and who does what next."""

    title: ClassVar[str] = "Core group held"
    action: ClassVar[str] = "Record the core group"
    offered_at: ClassVar[tuple[str, ...]] = ("on_plan",)
    group: ClassVar[str] = "Visits and meetings"

    type: Literal["core_group_held"] = "core_group_held"
    held_on: Day = Field(title="Held on", description="The day the core group met", examples=["2026-12-11"])
    attended: list[RoleText] = Field(
        min_length=1, max_length=40, title="Attended",
        description="For example: social worker, school, health visitor. " + NO_NAMES,
        examples=[["social worker", "school"]],
        json_schema_extra={"x-form": "commas", "x-label": "Attended (roles, comma-separated)"})
    decisions: list[ShortText] = Field(default_factory=list, max_length=40, title="Decisions",
                                       description=NO_NAMES, examples=[["Weekly school attendance check"]],
                                       json_schema_extra={"x-form": "lines", "x-label": "Decisions (one per line)"})
    actions: list[ShortText] = Field(default_factory=list, max_length=60,
                                     title="Actions", description=NO_NAMES,
                                     examples=[["School nurse: health check by Friday"]],
                                     json_schema_extra={"x-form": "lines",
                                                        "x-label": "Actions: who does what (one per line)"})
    next_meeting_on: Day | None = Field(None, title="Next meeting on",
                                        description="The day the core group meets next", examples=["2027-01-08"])

    @model_validator(mode="after")
    def _next_after_this(self) -> CoreGroupHeld:
        if self.next_meeting_on is not None and self.next_meeting_on <= self.held_on:
            raise ValueError("next_meeting_on must be after held_on")
        return self


class VisitMade(_Event):
    """A statutory visit by the lead social worker, or an attempt that found no access."""

    title: ClassVar[str] = "Visit"
    action: ClassVar[str] = "Record the visit"
    offered_at: ClassVar[tuple[str, ...]] = ("on_plan",)
    group: ClassVar[str] = "Visits and meetings"

    type: Literal["visit_made"] = "visit_made"
    visited_on: Day = Field(title="Visited on", description="The day of the visit", examples=["2026-12-09"])
    outcome: Literal["seen", "no_access"] = Field(
        title="Outcome", description="Whether the child was seen; a visit with no access is still owed",
        examples=["seen"], json_schema_extra={"x-choices": {"seen": "Child seen",
                                                            "no_access": "No access: the child could not be seen"}})
    seen_alone: bool = Field(False, title="The child was seen alone", description="Seen without the parents present")
    bedroom_seen: bool = Field(False, title="Where the child sleeps was seen",
                               description="Some procedures ask for the bedroom to be seen at set intervals",
                               examples=[True])


class Task(StrEnum):
    CORE_GROUP_MINUTES = "core_group_minutes"
    CORE_ASSESSMENT = "core_assessment"
    PLAN_LODGED_WITH_CHAIR = "plan_lodged_with_chair"
    REVIEW_INVITATIONS = "review_invitations"
    REVIEW_REPORTS = "review_reports"
    MIDWAY_MEETING = "midway_meeting"
    PLAN_DISTRIBUTED = "plan_distributed"
    PLAN_SHARED_WITH_FAMILY = "plan_shared_with_family"


class TaskCompleted(_Event):
    """A piece of work the plan's timescales ask for is done (minutes, assessment, invitations...)."""

    title: ClassVar[str] = "Task completed"
    action: ClassVar[str] = "Record the task as done"
    offered_at: ClassVar[tuple[str, ...]] = ("on_plan",)
    group: ClassVar[str] = "Visits and meetings"

    type: Literal["task_completed"] = "task_completed"
    task: Task = Field(title="Task", description="Only a task with a deadline still open can be done",
                       examples=["core_group_minutes"])
    completed_on: Day = Field(title="Completed on", description="The day the work was done", examples=["2026-12-14"])


class ReviewTrigger(StrEnum):
    """Why a review is brought forward (Darlington's and the local guide's procedures list these)."""

    NEW_INCIDENT = "new_incident"
    PLAN_DIFFICULTIES = "plan_difficulties"
    BIRTH_INTO_HOUSEHOLD = "birth_into_household"
    RISKY_PERSON_JOINS = "risky_person_joins"
    SIGNIFICANT_CHANGE = "significant_change"
    RETURN_HOME_FROM_CARE = "return_home_from_care"
    CORE_GROUP_BELIEVES_PLAN_NOT_NEEDED = "core_group_believes_plan_not_needed"


class ReviewScheduled(_Event):
    """The review conference is booked; a trigger brings it forward (an early review)."""

    title: ClassVar[str] = "Review booked"
    action: ClassVar[str] = "Book the review"
    offered_at: ClassVar[tuple[str, ...]] = ("on_plan",)
    group: ClassVar[str] = "Reviews"

    type: Literal["review_scheduled"] = "review_scheduled"
    scheduled_on: Day = Field(title="Booked on", description="The day the review was booked", examples=["2027-01-15"])
    review_date: Day = Field(title="Review date", description="A review may be brought forward, never put back past its limit",
                             examples=["2027-02-26"], json_schema_extra={"x-default": ""})
    brought_forward_because: ReviewTrigger | None = Field(
        None, title="Brought forward because", description="Why the review is held early, if it is",
        examples=["new_incident"], json_schema_extra={"x-none": "Not brought forward"})


class ExceptionalCircumstance(StrEnum):
    """Darlington procedures: the only grounds for ending a plan at the first review."""

    PERPETRATOR_CUSTODIAL_SENTENCE = "perpetrator_custodial_sentence"
    PERPETRATOR_DECEASED = "perpetrator_deceased"


class ReviewHeld(_Event):
    """A review conference held and decided (outside a conference workflow)."""

    title: ClassVar[str] = "Review held"
    action: ClassVar[str] = "Record the review"
    offered_at: ClassVar[tuple[str, ...]] = ("on_plan",)
    group: ClassVar[str] = "Reviews"

    type: Literal["review_held"] = "review_held"
    held_on: Day = Field(title="Held on", description="The day the review conference was held", examples=["2027-02-26"])
    outcome: Literal["continue", "change_category", "end_plan"] = Field(
        title="Outcome", description="What the review decided", examples=["change_category"],
        json_schema_extra={"x-choices": {"continue": "The plan continues",
                                         "change_category": "The plan continues under another category",
                                         "end_plan": "The plan ends"}})
    category: Category | None = Field(None, title="New category",
                                      description="Given exactly when the plan continues under another category",
                                      examples=["emotional_abuse"],
                                      json_schema_extra={"x-none": "No change",
                                                         "x-label": "New category (only for a change of category)"})
    chair_endorsed_ending: bool = Field(False, title="The independent chair endorsed ending the plan",
                                        description="Some procedures end a plan only with the chair's endorsement")
    exceptional_circumstance: ExceptionalCircumstance | None = Field(
        None, title="Exceptional circumstance",
        description="Some procedures end a plan at the first review only in these circumstances",
        json_schema_extra={"x-none": "None", "x-label": "Exceptional circumstance (ending at the first review)"})

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
    """A plan ending outside a review: the child turned 18, died, left, moved or became looked after."""

    title: ClassVar[str] = "Plan ended"
    action: ClassVar[str] = "End the plan"
    offered_at: ClassVar[tuple[str, ...]] = ("on_plan",)
    group: ClassVar[str] = "Ending the plan"

    type: Literal["plan_ended"] = "plan_ended"
    ended_on: Day = Field(title="Ended on", description="The day the plan ended", examples=["2027-03-01"])
    reason: EndingReason = Field(title="Reason", description="Why the plan ended outside a review",
                                 examples=["turned_18"])
    receiving_conference_confirmed: bool = Field(
        False, title="The receiving authority confirmed its receiving-in conference (a move to another authority)",
        description="A plan ends on a permanent move once the receiving authority has held its conference")


class ChildMissing(_Event):
    """The child on a plan is reported missing."""

    title: ClassVar[str] = "Child missing"
    action: ClassVar[str] = "Record the child as missing"
    offered_at: ClassVar[tuple[str, ...]] = ("on_plan",)
    group: ClassVar[str] = "Concerns"

    type: Literal["child_missing"] = "child_missing"
    reported_on: Day = Field(title="Reported missing on", description="The day the child was reported missing",
                             examples=["2026-12-20"])


class ChildFound(_Event):
    """The missing child is found."""

    title: ClassVar[str] = "Child found"
    action: ClassVar[str] = "Record the child as found"
    offered_at: ClassVar[tuple[str, ...]] = ("on_plan",)
    group: ClassVar[str] = "Concerns"

    type: Literal["child_found"] = "child_found"
    found_on: Day = Field(title="Found on", description="The day the child was found", examples=["2026-12-21"])


class SignificantEventKind(StrEnum):
    SECTION_47_INITIATED = "section_47_initiated"
    NEW_INCIDENT = "new_incident"
    POLICE_INVOLVEMENT = "police_involvement"
    HOSPITAL_ADMISSION = "hospital_admission"
    CHANGE_OF_HOUSEHOLD = "change_of_household"
    OTHER = "other"


class SignificantEvent(_Event):
    """Something significant between conferences: the chair and the lead social worker are told."""

    title: ClassVar[str] = "Significant event"
    action: ClassVar[str] = "Record and tell the chair"
    offered_at: ClassVar[tuple[str, ...]] = ("on_plan",)
    group: ClassVar[str] = "Concerns"

    type: Literal["significant_event"] = "significant_event"
    occurred_on: Day = Field(title="Occurred on", description="The day it happened", examples=["2026-12-15"])
    kind: SignificantEventKind = Field(title="Kind of event",
                                       description="The conference chair and the lead social worker are told",
                                       examples=["new_incident"], json_schema_extra={"x-default": "new_incident"})


class ConferenceBooked(_Event):
    """A conference is booked: the journey starts a conference workflow that keeps its deadlines."""

    title: ClassVar[str] = "Conference booked"
    action: ClassVar[str] = "Book the conference"

    type: Literal["conference_booked"] = "conference_booked"
    booked_on: Day = Field(title="Booked on", description="The day the conference was booked", examples=["2026-11-23"])
    conference_ref: ConferenceRef = Field(title="Conference reference", description="The conference's own reference",
                                          examples=["ICPC-0200"], json_schema_extra={"x-upper": True})
    kind: Literal["initial", "review", "pre_birth", "transfer_in"] = Field(
        title="Kind of conference", description="Which conference: it must fit the child's journey", examples=["initial"],
        json_schema_extra={"x-choices": {"initial": "Initial conference", "review": "Review conference",
                                         "pre_birth": "Pre-birth conference", "transfer_in": "Transfer-in conference"}})
    meeting_on: Day = Field(title="Meeting date", description="The day the conference meets", examples=["2026-12-04"])
    chair_ref: StaffRef = Field(title="Chair's staff number", description=STAFF_REF_HELP, examples=["CH-3001"],
                                json_schema_extra={"x-form": "staff"})
    chair_independent_of_the_case: bool = Field(
        title="Chair independent of the case", description="The chair has no line responsibility for the case",
        examples=[True])
    #: Brothers and sisters considered at the same conference, each with a journey of their own.
    siblings: list[CaseRef] = Field(default_factory=list, max_length=11, title="Siblings' case references",
                                    description="Brothers and sisters considered at the same conference",
                                    examples=[[]], json_schema_extra={"x-form": "commas", "x-upper": True})

    @model_validator(mode="after")
    def _independent_chair(self) -> ConferenceBooked:
        # Whether the chair must be independent is the profile's (domain.conference.check_booking).
        if self.meeting_on < self.booked_on:
            raise ValueError("meeting_on is before booked_on")
        return self


PLAN_EVENTS = (
    TransferOutNotified, LeadSocialWorkerNamed, LeadSocialWorkerCover, CoreGroupMembersRecorded, VisitMade, CoreGroupHeld,
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
