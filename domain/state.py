"""What a journey knows about itself: queried by the admin tool, returned at the end."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

from domain.deadlines import DeadlineTable
from domain.events import (
    CaseRef,
    Category,
    CoreGroupMember,
    Day,
    IcpcDelayAgreed,
    IcpcHeld,
    LeadSocialWorkerCover,
    StrategyDiscussion,
    TransferIn,
    _Event,
)
from domain.imports import ImportedPlan
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


class ChallengeRow(BaseModel):
    """One complaint, appeal or disagreement about this child's conferences, as the journey lists it.

    Kept by the challenge's own workflow (``cpj-complaint-<ref>``), which tells the journey (signal
    ``challenge_changed``) when it opens, when its stage changes and when it ends; the journey only
    shows it. Never a name: the complainant is named by their part in the child's life.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The challenge's reference: its workflow is ``cpj-complaint-<ref>``.
    ref: str
    #: ``complaint``, ``icpc_not_held`` or ``conference_outcome``.
    kind: str
    #: What it is about, in words ("Complaint by the parent about the decision to make, continue or not make a plan").
    about: str
    opened_on: date
    #: Where it stands, in words ("with the conference chair, informal resolution due by 2026-12-04").
    stage: str
    #: How it ended, in words, once decided or closed ("upheld: the conference to be reconvened under another chair").
    outcome: str | None = None
    closed_on: date | None = None

    @property
    def open(self) -> bool:
        return self.closed_on is None


class ConferenceOwed(BaseModel):
    """A conference a challenge's decision asks this journey to hold (Birmingham procedures 7.1, 7.3, 8.13)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    complaint_ref: str
    #: ``reconvene_under_another_chair``, ``another_conference`` (``hold_icpc`` reopens a journey instead).
    outcome: str
    decided_on: date
    #: The chair of the conference complained about: the reconvened conference must have another.
    not_chaired_by: str | None = None
    #: The day it is to be held by, where the procedure sets one (the challenge keeps that deadline).
    hold_by: date | None = None
    #: The conference booked to meet it, and its chair, once booked on this journey.
    booked_conference_ref: str | None = None
    booked_chair_ref: str | None = None

    @property
    def words(self) -> str:
        """What staff read on the journey."""
        if self.outcome == "reconvene_under_another_chair":
            what = (f"the conference to be reconvened under a chair other than {self.not_chaired_by}, as quickly as "
                    f"possible (complaint {self.complaint_ref} upheld)")
        else:
            by = f" by {self.hold_by}" if self.hold_by else ""
            what = f"another conference to be held{by} (disagreement {self.complaint_ref})"
        if self.booked_conference_ref:
            what += f"; booked: conference {self.booked_conference_ref} under chair {self.booked_chair_ref}"
        return what


class IcpcToBeHeld(_Event):
    """A journey opened again because a disagreement decided an initial conference is to be held after all.

    Birmingham procedures 7.1: an agency disputing a decision not to hold an ICPC gets a final decision.
    The journey that closed on that decision cannot reopen, so the challenge starts the case's journey
    again with this as its opening; never sent by staff.
    """

    title: ClassVar[str] = "Initial conference to be held after a disagreement"

    type: Literal["icpc_to_be_held"] = "icpc_to_be_held"
    decided_on: Day = Field(title="Decided on", description="The day of the final decision to hold an initial conference",
                            examples=["2026-11-27"])
    complaint_ref: str = Field(title="Disagreement", examples=["CMP-0001"])
    #: The disagreement that decided it, listed on the journey from its first day.
    challenge: ChallengeRow | None = None


def _without_unset_import(data):
    """A journey that was not imported dumps as it did before imports, so recorded payloads stay the same."""
    if isinstance(data, dict) and data.get("imported", "") is None:
        data.pop("imported")
    return data


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
    #: A journey opened again by a challenge's decision to hold an initial conference after all.
    icpc_to_be_held: IcpcToBeHeld | None = None
    #: A case already on a plan when the council moved to this system, started mid-stream by an import.
    imported: ImportedPlan | None = None
    # The plan
    plan_started_on: date | None = None
    category: Category | None = None
    lead_social_worker: str | None = None
    #: The team that holds the case, as the authority names it (set with the lead social worker, or on import).
    team: str | None = None
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
    #: Complaints, appeals and disagreements about this child's conferences, open and closed, one row
    #: each (``ChallengeRow``), as their workflows last told the journey; carried across continue-as-new.
    challenges: list[ChallengeRow] = []
    #: A conference a challenge's decision asks for and not yet held (``ConferenceOwed``): shown, and
    #: the next booking must meet it (a reconvened conference under another chair).
    conference_owed: ConferenceOwed | None = None

    @model_serializer(mode="wrap")
    def _dump(self, handler):
        return _without_unset_import(handler(self))

    @property
    def icpc_clock_from(self) -> date | None:
        """The day the ICPC (or transfer-in conference) clock runs from."""
        if self.section_47_initiated_on:
            return self.section_47_initiated_on
        if self.transfer_in:
            return min(self.transfer_in.agreed_on, self.transfer_in.moved_on or self.transfer_in.agreed_on)
        return self.icpc_to_be_held.decided_on if self.icpc_to_be_held else None

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
    #: A journey started again by a challenge (``IcpcToBeHeld``): its opening instead of the other two.
    icpc_to_be_held: IcpcToBeHeld | None = None
    #: A case already on a plan, brought in by an import (``domain.imports``): started mid-stream, on its plan.
    imported: ImportedPlan | None = None
    carried: JourneyState | None = None

    @model_serializer(mode="wrap")
    def _dump(self, handler):
        return _without_unset_import(handler(self))

    @model_validator(mode="after")
    def _one_opening(self) -> JourneyStart:
        if sum(opening is not None for opening in self.openings) != 1:
            raise ValueError("a journey opens with a strategy discussion, a transfer in, a challenge's decision "
                             "to hold an initial conference or an import of a case on a plan, exactly one")
        return self

    @property
    def openings(self) -> tuple:
        return self.strategy_discussion, self.transfer_in, self.icpc_to_be_held, self.imported

    @property
    def opening(self) -> StrategyDiscussion | TransferIn | IcpcToBeHeld | ImportedPlan:
        """The event this journey opened with."""
        return next(opening for opening in self.openings if opening is not None)
