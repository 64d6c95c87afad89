"""Events that move a child's journey, and the rules any caller must meet.

Models reject unknown fields, so a caller cannot slip a name, date of birth or
address into a Temporal payload: none of these models has a field for one.
Rules that need the journey's state (order, stage, "not in the future") live in
the workflow's update validators; rules about the event alone live here.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.policy import Profile

#: A case reference from the authority's case system: capitals, digits and hyphens,
#: with at least four digits, so that a name can never pass for one.
CASE_REF_PATTERN = r"^[A-Z0-9][A-Z0-9-]{3,31}$"


def _has_four_digits(value: str) -> str:
    if sum(ch.isdigit() for ch in value) < 4:
        raise ValueError("a case reference has at least four digits (it is the case system's number, never a name)")
    return value


CaseRef = Annotated[str, StringConstraints(pattern=CASE_REF_PATTERN), AfterValidator(_has_four_digits)]
#: A caller's id for one event; re-sending the same id is answered, not repeated.
EventId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]
Reasons = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=2000)]


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
    held_on: date
    initiated_section_47: bool


class IcpcDelayAgreed(_Event):
    """The team manager's written agreement to hold the ICPC after its deadline."""

    type: Literal["icpc_delay_agreed"] = "icpc_delay_agreed"
    agreed_on: date
    agreed_by: Literal["team_manager"] = Field(
        description="seed 000: any delay must have written agreement from the CSC team manager"
    )
    reasons: Reasons
    new_target: date

    @model_validator(mode="after")
    def _target_after_agreement(self) -> IcpcDelayAgreed:
        if self.new_target < self.agreed_on:
            raise ValueError("new_target cannot be before the day the delay was agreed")
        return self


class IcpcHeld(_Event):
    """The initial child protection conference was held and decided."""

    type: Literal["icpc_held"] = "icpc_held"
    held_on: date
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
    decided_on: date
    decided_by: Literal["team_manager"]
    reasons: Reasons


JourneyEvent = Annotated[
    StrategyDiscussion | IcpcDelayAgreed | IcpcHeld | ConferenceNotRequired,
    Field(discriminator="type"),
]
EVENT_TYPES: dict[str, type[_Event]] = {
    model.model_fields["type"].default: model
    for model in (StrategyDiscussion, IcpcDelayAgreed, IcpcHeld, ConferenceNotRequired)
}


class JourneyStart(BaseModel):
    """What a journey is started with: the case, its pinned policy, its first event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_ref: CaseRef
    profile: Profile
    strategy_discussion: StrategyDiscussion


def workflow_id_for(case_ref: str) -> str:
    return f"cpj-{case_ref}"
