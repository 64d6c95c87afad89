"""What a journey knows about itself: queried by the admin tool, returned at the end."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, model_validator

from domain.deadlines import DeadlineTable
from domain.events import (
    CaseRef,
    Category,
    CoreGroupMember,
    IcpcDelayAgreed,
    IcpcHeld,
    LeadSocialWorkerCover,
    StrategyDiscussion,
    TransferIn,
)
from domain.released import PinnedPolicy


class Stage(StrEnum):
    AWAITING_SECTION_47 = "awaiting_section_47"
    AWAITING_ICPC = "awaiting_icpc"
    ON_PLAN = "on_plan"
    CLOSED = "closed"


#: Where a journey stands, as the end of "this journey is ...": for refusals staff read.
STAGE_WORDS = {
    Stage.AWAITING_SECTION_47: "waiting for a strategy discussion that initiates a section 47 enquiry",
    Stage.AWAITING_ICPC: "waiting for its initial child protection conference",
    Stage.ON_PLAN: "on a child protection plan",
    Stage.CLOSED: "closed",
}


class JourneyState(DeadlineTable):
    """What a journey knows about itself (its deadline table comes from ``DeadlineTable``)."""

    case_ref: str
    policy: str
    stage: Stage
    strategy_discussions: list[StrategyDiscussion] = []
    section_47_initiated_on: date | None = None
    #: A journey that began with a transfer in from another authority, instead of a strategy discussion.
    transfer_in: TransferIn | None = None
    #: Seed 000: the originating authority's plan is in force until the transfer-in conference is held.
    originating_plan_in_force: bool = False
    #: A pre-birth journey: the expected date of delivery, and the birth once it happens.
    expected_delivery: date | None = None
    premature_birth_likely: bool = False
    born_on: date | None = None
    transfer_out_to: str | None = None
    delay: IcpcDelayAgreed | None = None
    icpc: IcpcHeld | None = None
    closed_because: str | None = None
    # The plan
    plan_started_on: date | None = None
    category: Category | None = None
    lead_social_worker: str | None = None
    cover: LeadSocialWorkerCover | None = None
    core_group_members: list[CoreGroupMember] = []
    last_conference_on: date | None = None
    reviews_held: int = 0
    review_date: date | None = None
    missing_since: date | None = None
    #: The conference workflow keeping the deadlines of the conference booked now, if any.
    conference_ref: str | None = None
    #: How many times the journey has continued as new (a fresh history at each review).
    run: int = 0
    #: Feed events (missing child, child found, significant event) the journey could not apply, in
    #: words: a feed waits for no answer, so this is where its sender and staff see them.
    refused_feed: list[str] = []

    @property
    def icpc_clock_from(self) -> date | None:
        """The day the ICPC (or transfer-in conference) clock runs from."""
        return self.section_47_initiated_on or (self.transfer_in.agreed_on if self.transfer_in else None)

    @property
    def unborn(self) -> bool:
        return self.expected_delivery is not None and self.born_on is None


class JourneyStart(PinnedPolicy):
    """What a journey is started with: the case, its pinned policy (``PinnedPolicy``), its first event.

    ``carried`` is set only when a journey continues as new: the state so far.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_ref: CaseRef
    strategy_discussion: StrategyDiscussion | None = None
    transfer_in: TransferIn | None = None
    carried: JourneyState | None = None

    @model_validator(mode="after")
    def _one_opening(self) -> JourneyStart:
        if (self.strategy_discussion is None) == (self.transfer_in is None):
            raise ValueError("a journey opens with a strategy discussion or a transfer in, exactly one")
        return self
