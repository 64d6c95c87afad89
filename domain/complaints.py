"""Complaints, appeals and disagreements about a child protection conference (issue 9).

A challenge is its own long-running workflow (``workflows/complaint.py``), apart from the
journey: while it runs the conference decision and the plan stand (Darlington procedures,
Child Protection Conference Complaints; Birmingham procedures, 7.5 and 8.5), so nothing here
touches a journey's state. What the journey must act on (a conference to reconvene, an ICPC to
hold after all) is handed to it as a :class:`ChallengeDecided`.

Three kinds of challenge:

- a **complaint** by the child, a parent or another who may complain, run by the process the
  authority's profile names (option ``complaint_process``): Darlington's (service manager,
  then the independent scrutineer, then an appeal subcommittee, then the Ombudsman route) or
  Birmingham's (the chair informally, then a panel of three; upheld: the conference is
  reconvened under a different chair);
- a **disagreement with a decision not to hold an ICPC** (Birmingham 7.1): a final decision
  within 10 working days of the agency's written request;
- a **disagreement with a conference outcome** by a professional or the chair (Birmingham
  7.3, 7.4): the file is reviewed and, if another conference is agreed, it is held within 15
  working days.

Pure, like ``domain.plan``: ``begin`` opens a challenge (or refuses it, with the reason),
``check`` refuses an event with a sentence and changes nothing, ``apply`` changes the state and
returns the :class:`ComplaintEffect`. Timescales come from the pinned profile by rule key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.deadlines import KINDS, DeadlineStatus, DeadlineTable, calendar_of
from domain.events import (
    CONFERENCE_REF_PATTERN,
    CaseRef,
    ConferenceRef,
    Day,
    RoleText,
    ShortText,
    StaffRef,
    _Event,
)
from domain.plan import Effect, InvalidEvent, Notice
from domain.policy import BIRMINGHAM, DARLINGTON, Profile
from domain.released import PinnedPolicy
from domain.state import ChallengeRow

#: The profile option naming the complaints procedure an authority runs.
COMPLAINT_PROCESS_OPTION = "complaint_process"
#: A complaint's or disagreement's reference: its workflow id is ``cpj-complaint-<ref>``.
ComplaintRef = Annotated[str, StringConstraints(pattern=CONFERENCE_REF_PATTERN)]


def complaint_workflow_id(complaint_ref: str) -> str:
    return f"cpj-complaint-{complaint_ref}"


class ComplaintProcess(StrEnum):
    #: Seed 000: the service manager, then the independent scrutineer, an appeal subcommittee, the Ombudsman.
    DARLINGTON = "darlington"
    #: Seed 001, 8: the chair informally, then a panel of three; upheld, the conference is reconvened.
    BIRMINGHAM = "birmingham"


class ChallengeKind(StrEnum):
    COMPLAINT = "complaint"
    ICPC_NOT_HELD = "icpc_not_held"
    CONFERENCE_OUTCOME = "conference_outcome"


class Complainant(StrEnum):
    """Who makes a complaint, by their part in the child's life: never a name."""

    CHILD = "child"
    PARENT = "parent"  # a parent or a person with parental responsibility
    CARER = "carer"
    SIGNIFICANT_PERSON = "significant_person"  # a person with a significant role in the child's life
    PROFESSIONAL_ACTING_FOR_THE_CHILD = "professional_acting_for_the_child"  # a solicitor, a children's guardian
    ADVOCATE = "advocate"
    PRACTITIONER = "practitioner"
    INVITED_PROFESSIONAL = "invited_professional"  # a professional invited to the conference


class ComplaintSubject(StrEnum):
    CONFERENCE_PROCESS = "conference_process"
    CATEGORY = "category"
    PLAN_DECISION = "plan_decision"  # to become, continue or not become the subject of a plan
    AGENCY_SERVICE = "agency_service"  # one agency's own work, performance or provision of services
    CHAIR_NOT_FOLLOWING_PROCEDURES = "chair_not_following_procedures"


_COMPLAINANT_CHOICES = {
    "child": "The child", "parent": "A parent, or a person with parental responsibility", "carer": "A carer",
    "significant_person": "A person with a significant role in the child's life",
    "professional_acting_for_the_child": "A professional acting for the child (a solicitor, a children's guardian)",
    "advocate": "An advocate for the child or a parent", "practitioner": "A practitioner",
    "invited_professional": "A professional invited to the conference",
}
_SUBJECT_CHOICES = {
    "conference_process": "The process of the conference", "category": "The category of concern",
    "plan_decision": "The decision to make, continue or not make a plan",
    "agency_service": "An agency's own work or services",
    "chair_not_following_procedures": "The chair not following procedures",
}

# -- Opening a challenge -----------------------------------------------------------------


class ComplaintMade(_Event):
    """A complaint about a child protection conference reaches the authority."""

    title: ClassVar[str] = "Complaint made"
    action: ClassVar[str] = "Record the complaint"

    type: Literal["complaint_made"] = "complaint_made"
    received_on: Day = Field(title="Received on", description="The day the complaint was received",
                             examples=["2026-11-20"])
    complainant: Complainant = Field(title="Complainant", description="Who complains, by their part in the child's life",
                                     examples=["parent"], json_schema_extra={"x-choices": _COMPLAINANT_CHOICES})
    about: list[ComplaintSubject] = Field(
        min_length=1, max_length=5, title="About", description="What the complaint is about",
        examples=[["plan_decision"]], json_schema_extra={"x-choices": _SUBJECT_CHOICES})
    conference_ref: ConferenceRef | None = Field(None, title="Conference", description="The conference complained about",
                                                 examples=["ICPC-0001"])
    conference_chair_ref: StaffRef | None = Field(
        None, title="Conference chair (staff number)",
        description="Who chaired it: the complaint goes to them first, and a reconvened conference has another chair",
        examples=["CPC-0042"])


class DisagreementRaised(_Event):
    """An agency, a professional or the chair disagrees with a decision about a conference (Birmingham 7)."""

    title: ClassVar[str] = "Disagreement raised"
    action: ClassVar[str] = "Record the disagreement"

    type: Literal["disagreement_raised"] = "disagreement_raised"
    received_on: Day = Field(title="Received on", description="The day the written request or concern was received",
                             examples=["2026-11-20"])
    about: Literal["icpc_not_held", "conference_outcome"] = Field(
        title="About", description="A decision not to hold an initial conference, or a conference's outcome",
        examples=["conference_outcome"],
        json_schema_extra={"x-choices": {"icpc_not_held": "The decision not to hold an initial conference",
                                         "conference_outcome": "The outcome of a conference"}})
    raised_by: Literal["agency", "professional", "conference_chair"] = Field(
        title="Raised by", description="An agency (not holding an ICPC), a professional or the chair (an outcome)",
        examples=["professional"])
    agency: RoleText | None = Field(None, title="Agency or role", description="Which agency, by role (e.g. school)",
                                    examples=["school"])
    in_writing: bool = Field(True, title="In writing", description="The procedure asks for the matter in writing",
                             examples=[True])
    conference_ref: ConferenceRef | None = Field(None, title="Conference", description="The conference disagreed with",
                                                 examples=["ICPC-0001"])
    conference_chair_ref: StaffRef | None = Field(None, title="Conference chair (staff number)",
                                                  description="Who chaired the conference", examples=["CPC-0042"])

    @model_validator(mode="after")
    def _in_writing(self) -> DisagreementRaised:
        if not self.in_writing:
            raise ValueError(f"a disagreement is referred in writing ({BIRMINGHAM}, 7.1 and 7.3)")
        return self


Opening = Annotated[ComplaintMade | DisagreementRaised, Field(discriminator="type")]


class ComplaintStart(PinnedPolicy):
    """What a challenge is started with: its reference, the case, the journey's pinned policy, its opening."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    complaint_ref: ComplaintRef
    case_ref: CaseRef
    opening: Opening


# -- Events on a running challenge ----------------------------------------------------------


class ServiceManagerResponded(_Event):
    """Darlington: the Service Manager (Independent Review and Safeguarding Partnership) responds."""

    type: Literal["service_manager_responded"] = "service_manager_responded"
    responded_on: Day = Field(title="Responded on", description="The day the response was sent", examples=["2026-11-27"])


class ReferredToScrutineer(_Event):
    """Darlington: the complainant is not satisfied; the matter reaches the Partners / Independent Scrutineer."""

    type: Literal["referred_to_scrutineer"] = "referred_to_scrutineer"
    received_on: Day = Field(title="Received on", examples=["2026-12-01"],
                             description="The day the Partners / Independent Scrutineer received the complaint")


class ReceiptAcknowledged(_Event):
    type: Literal["receipt_acknowledged"] = "receipt_acknowledged"
    sent_on: Day = Field(title="Sent on", description="The day the complainant was told it was received",
                         examples=["2026-12-03"])


class DocumentsConsidered(_Event):
    type: Literal["documents_considered"] = "documents_considered"
    considered_on: Day = Field(title="Considered on", examples=["2026-12-10"],
                               description="The day the documents relating to the matter were considered")


class ScrutineerResponded(_Event):
    type: Literal["scrutineer_responded"] = "scrutineer_responded"
    responded_on: Day = Field(title="Responded on", description="The day the written response was sent",
                              examples=["2026-12-20"])
    remedial_action_taken: bool = Field(False, title="Remedial action taken", examples=[False])


class DissatisfactionNotified(_Event):
    """Darlington: the complainant tells the Partners / Scrutineer in writing they are still dissatisfied."""

    type: Literal["dissatisfaction_notified"] = "dissatisfaction_notified"
    notified_on: Day = Field(title="Received on", description="The day the written notification was received",
                             examples=["2027-01-05"])
    in_writing: bool = Field(True, title="In writing", examples=[True])

    @model_validator(mode="after")
    def _in_writing(self) -> DissatisfactionNotified:
        if not self.in_writing:
            raise ValueError(f"dissatisfaction is told to the Partners / Independent Scrutineer in writing "
                             f"({DARLINGTON}, Child Protection Conference Complaints)")
        return self


class AppealGroundsDecided(_Event):
    """Darlington: an independent person decides whether there are grounds for an appeal subcommittee."""

    type: Literal["appeal_grounds_decided"] = "appeal_grounds_decided"
    decided_on: Day = Field(title="Decided on", examples=["2027-01-08"])
    grounds: bool = Field(title="There are grounds for an appeal subcommittee", examples=[True])


class AppealSubcommitteeMet(_Event):
    type: Literal["appeal_subcommittee_met"] = "appeal_subcommittee_met"
    met_on: Day = Field(title="Met on", examples=["2027-01-25"])
    chaired_by_independent_person: bool = Field(title="Chaired by an independent person", examples=[True])
    members_with_no_involvement: int = Field(ge=0, le=10, title="Members with no involvement in the case",
                                             description="Nominated by the Partnership, besides the chair", examples=[2])

    @model_validator(mode="after")
    def _constituted(self) -> AppealSubcommitteeMet:
        if not self.chaired_by_independent_person or self.members_with_no_involvement < 2:
            raise ValueError("an appeal subcommittee is chaired by an independent person assisted by two members who "
                             f"have not had any involvement with the case ({DARLINGTON}, Child Protection Conference "
                             "Complaints)")
        return self


class AppealOutcomeSent(_Event):
    type: Literal["appeal_outcome_sent"] = "appeal_outcome_sent"
    sent_on: Day = Field(title="Sent on", description="The day the complainant was told the outcome",
                         examples=["2027-01-29"])
    upheld: bool = Field(title="The appeal was upheld", examples=[False])


class InformalResolutionEnded(_Event):
    """Birmingham 8.6: the chair's informal attempt ends, resolved or not."""

    type: Literal["informal_resolution_ended"] = "informal_resolution_ended"
    ended_on: Day = Field(title="Ended on", examples=["2026-11-30"])
    resolved: bool = Field(title="Resolved informally", examples=[False])


class FormalComplaintReceived(_Event):
    """Birmingham 8.6-8.7: a formal written complaint, sent at once to the Assistant Director."""

    type: Literal["formal_complaint_received"] = "formal_complaint_received"
    received_on: Day = Field(title="Received on", description="The day the formal written complaint was received",
                             examples=["2026-12-02"])


class PanelConvened(_Event):
    type: Literal["panel_convened"] = "panel_convened"
    convened_on: Day = Field(title="Convened on", examples=["2026-12-09"])
    members: int = Field(ge=1, le=10, title="Members", examples=[3])
    members_with_previous_involvement: int = Field(ge=0, le=10, title="Members with previous involvement in the case",
                                                   examples=[0])
    members_know_procedures: bool = Field(title="Every member knows child protection procedures", examples=[True])

    @model_validator(mode="after")
    def _constituted(self) -> PanelConvened:
        if self.members != 3:
            raise ValueError(f"the inter-agency panel has three senior representatives ({BIRMINGHAM}, 8.8)")
        if self.members_with_previous_involvement or not self.members_know_procedures:
            raise ValueError("all three panel members must have knowledge of child protection procedures and must not "
                             f"have had any previous involvement in the case ({BIRMINGHAM}, 8.9)")
        return self


class PanelDecided(_Event):
    """Birmingham 8.11: the panel chair's letter to the complainant and the conference chair."""

    type: Literal["panel_decided"] = "panel_decided"
    letter_sent_on: Day = Field(title="Letter sent on", examples=["2026-12-20"])
    upheld: bool = Field(title="The panel upholds the complaint", examples=[True])
    recommendations: list[ShortText] = Field(default_factory=list, max_length=20, title="Recommendations",
                                             examples=[["Reconvene the conference under another chair"]])


class FinalDecisionMade(_Event):
    """Birmingham 7.1: the Assistant Head's final decision on holding an initial conference."""

    type: Literal["final_decision_made"] = "final_decision_made"
    decided_on: Day = Field(title="Decided on", examples=["2026-11-27"])
    hold_icpc: bool = Field(title="An initial conference is to be held", examples=[True])


class FileReviewed(_Event):
    """Birmingham 7.3: the file and decision reviewed against the threshold criteria."""

    type: Literal["file_reviewed"] = "file_reviewed"
    reviewed_on: Day = Field(title="Reviewed on", examples=["2026-11-27"])
    another_conference: bool = Field(title="Another conference is required", examples=[True])


class ConferenceReconvened(_Event):
    """The conference a challenge asked for has been held (reconvened, or another one)."""

    type: Literal["conference_reconvened"] = "conference_reconvened"
    held_on: Day = Field(title="Held on", examples=["2026-12-15"])
    conference_ref: ConferenceRef = Field(title="Conference", examples=["ICPC-0002"])
    chair_ref: StaffRef = Field(title="Chair (staff number)", examples=["CPC-0077"])


class ComplaintClosed(_Event):
    """The complainant is satisfied, or withdraws: the process ends here."""

    type: Literal["complaint_closed"] = "complaint_closed"
    closed_on: Day = Field(title="Closed on", examples=["2026-11-30"])
    reason: Literal["satisfied", "withdrawn"] = Field(title="Why", examples=["satisfied"])


COMPLAINT_EVENTS = (
    ServiceManagerResponded, ReferredToScrutineer, ReceiptAcknowledged, DocumentsConsidered, ScrutineerResponded,
    DissatisfactionNotified, AppealGroundsDecided, AppealSubcommitteeMet, AppealOutcomeSent,
    InformalResolutionEnded, FormalComplaintReceived, PanelConvened, PanelDecided,
    FinalDecisionMade, FileReviewed, ConferenceReconvened, ComplaintClosed,
)
ComplaintEvent = Annotated[
    ServiceManagerResponded | ReferredToScrutineer | ReceiptAcknowledged | DocumentsConsidered | ScrutineerResponded
    | DissatisfactionNotified | AppealGroundsDecided | AppealSubcommitteeMet | AppealOutcomeSent
    | InformalResolutionEnded | FormalComplaintReceived | PanelConvened | PanelDecided
    | FinalDecisionMade | FileReviewed | ConferenceReconvened | ComplaintClosed,
    Field(discriminator="type"),
]
COMPLAINT_EVENT_TYPES: dict[str, type[_Event]] = {model.model_fields["type"].default: model for model in COMPLAINT_EVENTS}


class ChallengeDecided(BaseModel):
    """What a challenge hands to the child's journey: a conference to hold because of it.

    Sent as the ``challenge_decided`` signal; the journey books the conference (the existing
    conference workflow) and applies its decision as it does any conference's.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    complaint_ref: str
    kind: ChallengeKind
    decided_on: date
    #: reconvene_under_another_chair: Birmingham 8.13; hold_icpc: 7.1; another_conference: 7.3.
    outcome: Literal["reconvene_under_another_chair", "hold_icpc", "another_conference"]
    conference_ref: str | None = None
    #: The chair of the conference complained about: a reconvened conference must have another.
    not_chaired_by: str | None = None
    #: The day the conference is to be held by, where the procedure sets one.
    hold_by: date | None = None


CHALLENGE_DECIDED = "challenge_decided"
#: The journey's signal that lists a challenge (a ``domain.state.ChallengeRow``): sent as it opens,
#: as its stage changes and as it ends.
CHALLENGE_CHANGED = "challenge_changed"
#: The challenge's signal that the conference it asked for has been held (a ``ConferenceReconvened``),
#: sent by the journey whose booked conference decided.
CONFERENCE_HELD = "conference_held"


# -- State ---------------------------------------------------------------------------------


class ComplaintStage(StrEnum):
    # Darlington
    WITH_SERVICE_MANAGER = "with_service_manager"
    SERVICE_MANAGER_RESPONDED = "service_manager_responded"
    WITH_INDEPENDENT_SCRUTINEER = "with_independent_scrutineer"
    SCRUTINEER_RESPONDED = "scrutineer_responded"
    APPEAL_GROUNDS = "appeal_grounds"
    APPEAL_SUBCOMMITTEE = "appeal_subcommittee"
    APPEAL_OUTCOME = "appeal_outcome"
    # Birmingham
    INFORMAL_RESOLUTION = "informal_resolution"
    FORMAL_COMPLAINT_INVITED = "formal_complaint_invited"
    WITH_PANEL = "with_panel"
    TO_BE_RECONVENED = "to_be_reconvened"
    # Disagreements
    AWAITING_FINAL_DECISION = "awaiting_final_decision"
    FILE_REVIEW = "file_review"
    FURTHER_CONFERENCE = "further_conference"
    # Every challenge
    CLOSED = "closed"
    REFUSED = "refused"


ENDED = (ComplaintStage.CLOSED, ComplaintStage.REFUSED)


class ComplaintState(DeadlineTable):
    complaint_ref: str
    case_ref: str
    policy: str
    kind: ChallengeKind
    #: The complaints procedure run (complaints only; disagreements follow Birmingham's chapter 7).
    process: ComplaintProcess | None = None
    stage: ComplaintStage
    opening: Opening
    received_on: date
    conference_ref: str | None = None
    original_chair_ref: str | None = None
    responded_on: date | None = None
    panel: PanelConvened | None = None
    upheld: bool | None = None
    #: What was handed to the journey, if anything.
    handed_to_journey: ChallengeDecided | None = None
    reconvened_conference_ref: str | None = None
    ombudsman_route_given: bool = False
    refused_because: str | None = None
    closed_on: date | None = None
    closed_because: str | None = None


@dataclass
class ComplaintEffect(Effect):
    """What an event on a challenge does: records and letters, and what the journey must act on."""

    for_journey: ChallengeDecided | None = None


# -- Which process, who may complain, about what ----------------------------------------------

_COMPLAINTS_SECTION = f"{DARLINGTON}, Child Protection Conference Complaints"
#: Who may use each procedure; the others are refused with the sentence that says so.
_MAY_COMPLAIN: dict[ComplaintProcess, frozenset[Complainant]] = {
    # "child and/or parent/carer/ practitioner ... or their advocate"
    ComplaintProcess.DARLINGTON: frozenset({
        Complainant.CHILD, Complainant.PARENT, Complainant.CARER, Complainant.PRACTITIONER,
        Complainant.INVITED_PROFESSIONAL, Complainant.ADVOCATE, Complainant.PROFESSIONAL_ACTING_FOR_THE_CHILD}),
    # 8.3; a carer is read as a person with a significant role in the child's life, an advocate as acting for them.
    ComplaintProcess.BIRMINGHAM: frozenset({
        Complainant.CHILD, Complainant.PARENT, Complainant.CARER, Complainant.SIGNIFICANT_PERSON,
        Complainant.PROFESSIONAL_ACTING_FOR_THE_CHILD, Complainant.ADVOCATE}),
}
_WHO_MAY = {
    ComplaintProcess.DARLINGTON: f"a complaint about a conference is made by the child, a parent or carer, a "
                                 f"practitioner, or their advocate ({_COMPLAINTS_SECTION})",
    ComplaintProcess.BIRMINGHAM: "a complaint about a conference is made by a parent or person with parental "
                                 "responsibility, the child, a person with a significant role in the child's life, or "
                                 f"a professional acting on behalf of the child ({BIRMINGHAM}, 8.3)",
}
_NOT_THIS_PROCEDURE: dict[ComplaintProcess, dict[Complainant, str]] = {
    ComplaintProcess.BIRMINGHAM: {
        Complainant.INVITED_PROFESSIONAL: f"a professional who was invited to the conference is not eligible to use "
                                          f"this procedure ({BIRMINGHAM}, 8.3)",
        Complainant.PRACTITIONER: f"a professional who disagrees with a conference's outcome puts the concern in "
                                  f"writing to the Assistant Director/Safeguarding ({BIRMINGHAM}, 7.3): raise a "
                                  f"disagreement about the conference outcome instead",
    },
}
#: What each procedure sends elsewhere, and where.
_ELSEWHERE: dict[ComplaintProcess, dict[ComplaintSubject, str]] = {
    ComplaintProcess.DARLINGTON: {
        ComplaintSubject.AGENCY_SERVICE: "a complaint about an individual agency, its performance or provision of "
                                         "services goes to that agency's own complaints process "
                                         f"({_COMPLAINTS_SECTION})",
    },
    ComplaintProcess.BIRMINGHAM: {
        ComplaintSubject.AGENCY_SERVICE: "a complaint about the work of an individual professional or agency is "
                                         f"referred to the agency concerned ({BIRMINGHAM}, 8.1)",
        ComplaintSubject.CHAIR_NOT_FOLLOWING_PROCEDURES: "a complaint that the chair failed to follow the procedures "
                                                         "is dealt with through children's social care's complaints "
                                                         f"procedure ({BIRMINGHAM}, 8.1)",
    },
}


def complaint_process(profile: Profile) -> ComplaintProcess:
    """The complaints procedure ``profile`` runs (option ``complaint_process``)."""
    option = profile.options.get(COMPLAINT_PROCESS_OPTION)
    if option is not None:
        try:
            return ComplaintProcess(option.value)
        except ValueError:
            raise InvalidEvent(f"the policy {profile.pin} names a complaints procedure we do not run "
                               f"({option.value!r}; known: {', '.join(p.value for p in ComplaintProcess)})") from None
    # A profile released before the option: the procedure whose timescales it carries.
    if "complaint_panel" in profile.rules:
        return ComplaintProcess.BIRMINGHAM
    if "complaint_stage_1" in profile.rules:
        return ComplaintProcess.DARLINGTON
    raise InvalidEvent(f"the policy {profile.pin} names no complaints procedure for conferences")


def check_opening(profile: Profile, start: ComplaintStart) -> None:
    """Raise :class:`InvalidEvent` with the reason if this challenge is not for this procedure."""
    opening = start.opening
    if isinstance(opening, DisagreementRaised):
        _check_disagreement(profile, opening)
        return
    process = complaint_process(profile)
    who = opening.complainant
    if who not in _MAY_COMPLAIN[process]:
        raise InvalidEvent(_NOT_THIS_PROCEDURE.get(process, {}).get(who, _WHO_MAY[process]))
    for subject in opening.about:
        elsewhere = _ELSEWHERE[process].get(subject)
        if elsewhere:
            raise InvalidEvent(elsewhere)
    if process is ComplaintProcess.BIRMINGHAM and opening.conference_chair_ref is None:
        raise InvalidEvent("a complaint about a conference is passed to the chair of the conference "
                           f"({BIRMINGHAM}, 8.6): give conference_chair_ref")


def _check_disagreement(profile: Profile, opening: DisagreementRaised) -> None:
    if opening.about == "icpc_not_held":
        if opening.raised_by != "agency":
            raise InvalidEvent("a disagreement with a decision not to hold an initial conference is referred by an "
                               f"agency ({BIRMINGHAM}, 7.1)")
        rule = "disagreement_stage_1"
    else:
        if opening.raised_by == "agency":
            raise InvalidEvent("a disagreement with a conference's outcome is raised by a professional (7.3) or the "
                               f"chair (7.4) ({BIRMINGHAM}); parents and the child complain instead (7.2)")
        rule = "disagreement_stage_2"
    if rule not in profile.rules:
        raise InvalidEvent(f"the policy {profile.pin} sets no procedure for this disagreement ({rule})")


def begin(profile: Profile, start: ComplaintStart) -> tuple[ComplaintState, ComplaintEffect]:
    """The challenge as it opens, and what its opening does; refused (with the reason) if not for this procedure."""
    opening = start.opening
    complaint = isinstance(opening, ComplaintMade)
    state = ComplaintState(
        complaint_ref=start.complaint_ref, case_ref=start.case_ref, policy=profile.pin,
        kind=ChallengeKind.COMPLAINT if complaint else ChallengeKind(opening.about),
        stage=ComplaintStage.REFUSED, opening=opening, received_on=opening.received_on,
        conference_ref=opening.conference_ref, original_chair_ref=opening.conference_chair_ref,
    )
    try:
        check_opening(profile, start)
    except InvalidEvent as refusal:
        state.refused_because = str(refusal)
        state.closed_on = opening.received_on
        return state, ComplaintEffect(
            f"{_what(state).capitalize()} refused: {refusal}", opening.received_on,
            {"refused_because": str(refusal)},
            [_to_complainant(state, "complaint_refused", f"Your {_what(state)} about case {state.case_ref}",
                             f"We cannot take this {_what(state)} under this procedure: {refusal}.")])
    received = opening.received_on
    if complaint:
        state.process = complaint_process(profile)
        details = {"complainant": opening.complainant.value, "about": [s.value for s in opening.about],
                   "process": state.process.value, "conference_ref": opening.conference_ref}
        if state.process is ComplaintProcess.DARLINGTON:
            state.stage = ComplaintStage.WITH_SERVICE_MANAGER
            state.open_next(profile, "complaint_response", "complaint_stage_1", received)
            due = _due(state, "complaint_response")
            return state, ComplaintEffect(
                f"Complaint by the {_role(opening.complainant)} received {received}: with the Service Manager", received,
                details, [
                    Notice("safeguarding_service_manager", "complaint_received",
                           f"Complaint about a conference on case {state.case_ref}",
                           f"Record the concern, make every attempt to resolve it and respond{due} "
                           f"({_COMPLAINTS_SECTION})."),
                    _to_complainant(state, "complaint_received", f"Your complaint about case {state.case_ref}",
                                    f"The Service Manager will respond{due}. Whilst a complaint is being considered, "
                                    f"the decision made by the conference stands ({_COMPLAINTS_SECTION})."),
                ])
        state.stage = ComplaintStage.INFORMAL_RESOLUTION
        state.open_next(profile, "complaint_informal_resolution", "complaint_informal_resolution", received)
        due = _due(state, "complaint_informal_resolution")
        return state, ComplaintEffect(
            f"Complaint by the {_role(opening.complainant)} received {received}: with the conference chair", received,
            details, [
                Notice("conference_chair", "complaint_received", f"Complaint about a conference on case {state.case_ref}",
                       f"Attempt to resolve the complaint informally{due}; if you cannot, tell the complainant they may "
                       f"submit a formal written complaint ({BIRMINGHAM}, 8.6)."),
                _to_complainant(state, "complaint_received", f"Your complaint about case {state.case_ref}",
                                f"The chair of the conference will try to resolve it with you{due}. The child protection "
                                f"plan continues to operate while the complaint is considered ({BIRMINGHAM}, 8.5)."),
            ])
    details = {"raised_by": opening.raised_by, "agency": opening.agency, "conference_ref": opening.conference_ref}
    if state.kind is ChallengeKind.ICPC_NOT_HELD:
        state.stage = ComplaintStage.AWAITING_FINAL_DECISION
        state.open_next(profile, "icpc_disagreement_decision", "disagreement_stage_1", received)
        due = _due(state, "icpc_disagreement_decision")
        notice = (f"An agency disagrees with the decision not to hold an initial conference: make a final decision{due} "
                  f"({BIRMINGHAM}, 7.1).")
    else:
        state.stage = ComplaintStage.FILE_REVIEW
        notice = (f"The {_raiser(opening)} disagrees with a conference's outcome: review the file and the decision "
                  f"against the threshold criteria ({BIRMINGHAM}, 7.3). The decision of the conference stands "
                  "meanwhile (7.5).")
    return state, ComplaintEffect(
        f"Disagreement by the {_raiser(opening)} received {received}: {state.kind.value.replace('_', ' ')}", received,
        details, [Notice("assistant_head_child_protection", "disagreement_received",
                         f"Disagreement on case {state.case_ref}", notice)])


# -- Checking events ----------------------------------------------------------------------------

#: What each stage waits for; anything else is refused, naming these.
EXPECTED: dict[ComplaintStage, tuple[type[_Event], ...]] = {
    ComplaintStage.WITH_SERVICE_MANAGER: (ServiceManagerResponded, ComplaintClosed),
    ComplaintStage.SERVICE_MANAGER_RESPONDED: (ReferredToScrutineer, ComplaintClosed),
    ComplaintStage.WITH_INDEPENDENT_SCRUTINEER: (ReceiptAcknowledged, DocumentsConsidered, ScrutineerResponded,
                                                 ComplaintClosed),
    ComplaintStage.SCRUTINEER_RESPONDED: (DissatisfactionNotified, ComplaintClosed),
    ComplaintStage.APPEAL_GROUNDS: (AppealGroundsDecided, ComplaintClosed),
    ComplaintStage.APPEAL_SUBCOMMITTEE: (AppealSubcommitteeMet, ComplaintClosed),
    ComplaintStage.APPEAL_OUTCOME: (AppealOutcomeSent,),
    ComplaintStage.INFORMAL_RESOLUTION: (InformalResolutionEnded, FormalComplaintReceived, ComplaintClosed),
    ComplaintStage.FORMAL_COMPLAINT_INVITED: (FormalComplaintReceived, ComplaintClosed),
    ComplaintStage.WITH_PANEL: (PanelConvened, PanelDecided, ComplaintClosed),
    ComplaintStage.TO_BE_RECONVENED: (ConferenceReconvened,),
    ComplaintStage.AWAITING_FINAL_DECISION: (FinalDecisionMade, ComplaintClosed),
    ComplaintStage.FILE_REVIEW: (FileReviewed, ComplaintClosed),
    ComplaintStage.FURTHER_CONFERENCE: (ConferenceReconvened,),
}


def check(state: ComplaintState, profile: Profile, event) -> None:
    """Raise :class:`InvalidEvent` if ``event`` cannot happen now; changes nothing."""
    if state.stage in ENDED:
        raise InvalidEvent(f"this {_what(state)} is {state.stage.value} ({state.refused_because or state.closed_because})")
    expected = EXPECTED[state.stage]
    if not isinstance(event, expected):
        names = ", ".join(model.model_fields["type"].default for model in expected)
        raise InvalidEvent(f"{event.type} does not follow now: the {_what(state)} is at stage {state.stage.value}, "
                           f"which waits for {names}")
    if event.day < state.received_on:
        raise InvalidEvent(f"{event.type} is dated {event.day}, before the {_what(state)} was received "
                           f"({state.received_on})")
    checker = _CHECKS.get(type(event))
    if checker:
        checker(state, profile, event)


def _check_referred(state, profile, event: ReferredToScrutineer) -> None:
    if event.received_on < state.responded_on:
        raise InvalidEvent(f"the matter goes to the Partners / Independent Scrutineer after the Service Manager's "
                           f"response ({state.responded_on})")


def _check_row_open(kind: str):
    def checker(state, profile, event) -> None:
        row = state.deadline(kind)
        if row is not None and row.status not in (DeadlineStatus.OPEN, DeadlineStatus.OVERDUE):
            raise InvalidEvent(f"{KINDS[kind].label.lower()} is already recorded ({row.status.value})")
    return checker


def _check_formal(state, profile, event: FormalComplaintReceived) -> None:
    informal = state.open_deadline("complaint_informal_resolution")
    if state.stage is ComplaintStage.INFORMAL_RESOLUTION and informal is not None and event.received_on <= informal.due:
        raise InvalidEvent(f"the chair first attempts to resolve the complaint informally, until {informal.due} "
                           f"({BIRMINGHAM}, 8.6): record informal_resolution_ended when the attempt ends")


def _check_panel_decided(state, profile, event: PanelDecided) -> None:
    if state.panel is None:
        raise InvalidEvent(f"the Assistant Director convenes the panel of three first ({BIRMINGHAM}, 8.8): record "
                           "panel_convened")
    if event.letter_sent_on < state.panel.convened_on:
        raise InvalidEvent(f"the panel's letter is dated before the panel was convened ({state.panel.convened_on})")


def _check_reconvened(state, profile, event: ConferenceReconvened) -> None:
    if state.kind is ChallengeKind.COMPLAINT and event.chair_ref == state.original_chair_ref:
        raise InvalidEvent(f"the conference is reconvened under a different chair than {state.original_chair_ref}, "
                           f"who chaired the conference complained about ({BIRMINGHAM}, 8.13)")


_CHECKS = {
    ReferredToScrutineer: _check_referred,
    ReceiptAcknowledged: _check_row_open("complaint_acknowledgement"),
    DocumentsConsidered: _check_row_open("complaint_documents_considered"),
    FormalComplaintReceived: _check_formal,
    PanelDecided: _check_panel_decided,
    ConferenceReconvened: _check_reconvened,
}


# -- Applying events ---------------------------------------------------------------------------


def apply(state: ComplaintState, profile: Profile, event) -> ComplaintEffect:
    """Change ``state`` for ``event`` (already checked); return what to record, whom to tell, what the journey does."""
    return _APPLY[type(event)](state, profile, event)


def _service_manager_responded(state, profile, event: ServiceManagerResponded) -> ComplaintEffect:
    state.responded_on = event.responded_on
    state.stage = ComplaintStage.SERVICE_MANAGER_RESPONDED
    return ComplaintEffect(*_met(state, "complaint_response", event.responded_on, "Service Manager responded"), [
        _to_complainant(state, "complaint_response", f"The response to your complaint about case {state.case_ref}",
                        "The Service Manager has responded. If you are not satisfied with the response, the matter "
                        "will be forwarded to the Statutory Safeguarding Partners / Independent Scrutineer "
                        f"({_COMPLAINTS_SECTION})."),
    ])


def _referred(state, profile, event: ReferredToScrutineer) -> ComplaintEffect:
    state.stage = ComplaintStage.WITH_INDEPENDENT_SCRUTINEER
    received = event.received_on
    # Every one of the scrutineer's timescales runs from its receipt of the complaint ("the initial receipt").
    state.open_next(profile, "complaint_acknowledgement", "complaint_stage_2", received)
    state.open_next(profile, "complaint_documents_considered", "complaint_stage_3", received)
    state.open_next(profile, "complaint_written_response", "complaint_stage_4", received)
    dates = "; ".join(f"{row.label.lower()} by {row.due}" for row in state.deadlines
                      if row.status is DeadlineStatus.OPEN)
    return ComplaintEffect(
        f"Complaint received by the Statutory Safeguarding Partners / Independent Scrutineer {received}", received,
        {"dates": dates}, [
            Notice("independent_scrutineer", "complaint_referred", f"Complaint about a conference on case {state.case_ref}",
                   f"The complainant is not satisfied with the Service Manager's response. With the minutes, reports and "
                   f"record of action taken: {dates} ({_COMPLAINTS_SECTION})."),
        ])


def _acknowledged(state, profile, event: ReceiptAcknowledged) -> ComplaintEffect:
    return ComplaintEffect(*_met(state, "complaint_acknowledgement", event.sent_on, "Complainant told the matter was received"), [
        _to_complainant(state, "complaint_acknowledged", f"Your complaint about case {state.case_ref}",
                        "The Statutory Safeguarding Partners / Independent Scrutineer confirm that the matter has been "
                        f"received; a written response follows{_due(state, 'complaint_written_response')}."),
    ])


def _documents(state, profile, event: DocumentsConsidered) -> ComplaintEffect:
    return ComplaintEffect(*_met(state, "complaint_documents_considered", event.considered_on, "Documents considered"))


def _scrutineer_responded(state, profile, event: ScrutineerResponded) -> ComplaintEffect:
    on = event.responded_on
    # A written response means the matter was received and its documents considered by then.
    for kind in ("complaint_acknowledgement", "complaint_documents_considered"):
        state.meet(kind, on)
    state.stage = ComplaintStage.SCRUTINEER_RESPONDED
    summary, day, details = _met(state, "complaint_written_response", on, "Independent Scrutineer's written response sent")
    details["remedial_action_taken"] = event.remedial_action_taken
    return ComplaintEffect(summary, day, details, [
        _to_complainant(state, "complaint_written_response", f"The response to your complaint about case {state.case_ref}",
                        "The Independent Scrutineer has responded in writing. If you are dissatisfied with the outcome, "
                        "tell the Statutory Safeguarding Partners / Independent Scrutineer in writing and an appeal "
                        f"subcommittee will be convened ({_COMPLAINTS_SECTION})."),
    ])


def _dissatisfied(state, profile, event: DissatisfactionNotified) -> ComplaintEffect:
    state.stage = ComplaintStage.APPEAL_GROUNDS
    state.open_next(profile, "appeal_subcommittee", "complaint_stage_5", event.notified_on)
    due = _due(state, "appeal_subcommittee")
    return ComplaintEffect(f"Dissatisfaction with the response notified in writing {event.notified_on}: appeal",
                           event.notified_on, {}, [
        Notice("safeguarding_partnership", "appeal_requested", f"Appeal about a conference on case {state.case_ref}",
               "Appoint an independent person to consider the merits and decide whether there are grounds for an "
               f"appeal subcommittee; if there are, it meets{due} ({_COMPLAINTS_SECTION})."),
    ])


def _grounds(state, profile, event: AppealGroundsDecided) -> ComplaintEffect:
    if not event.grounds:
        _cancel_open(state)
        effect = _close(state, event.decided_on, "no grounds for an appeal subcommittee; the Local Government "
                                                  "Ombudsman route given", ombudsman=True)
        effect.notices.append(_ombudsman_letter(state, "An independent person found no grounds for convening an appeal "
                                                       "subcommittee."))
        return effect
    state.stage = ComplaintStage.APPEAL_SUBCOMMITTEE
    due = _due(state, "appeal_subcommittee")
    return ComplaintEffect(f"Grounds found for an appeal subcommittee {event.decided_on}", event.decided_on,
                           {"grounds": True}, [
        _to_complainant(state, "appeal_invitation", f"Your appeal about case {state.case_ref}",
                        f"An appeal subcommittee will meet{due}. You (and your advocate if necessary) are invited to "
                        "attend and address the matters you appeal about."),
    ])


def _subcommittee_met(state, profile, event: AppealSubcommitteeMet) -> ComplaintEffect:
    summary, day, details = _met(state, "appeal_subcommittee", event.met_on, "Appeal subcommittee met")
    state.stage = ComplaintStage.APPEAL_OUTCOME
    state.open_next(profile, "appeal_outcome", "complaint_stage_6", event.met_on)
    return ComplaintEffect(summary, day, {**details, "members_with_no_involvement": event.members_with_no_involvement})


def _appeal_outcome(state, profile, event: AppealOutcomeSent) -> ComplaintEffect:
    summary, day, details = _met(state, "appeal_outcome", event.sent_on, "Appeal outcome sent")
    state.upheld = event.upheld
    effect = _close(state, event.sent_on, "the appeal procedure has ended; the Local Government Ombudsman route given",
                    ombudsman=True)
    effect.summary = f"{summary} ({'upheld' if event.upheld else 'not upheld'}): end of the appeal procedure"
    effect.details.update(details, upheld=event.upheld)
    effect.notices += [
        _ombudsman_letter(state, f"The appeal subcommittee {'upheld' if event.upheld else 'did not uphold'} your appeal. "
                                 "This is the end of the appeal procedure."),
        Notice("safeguarding_partnership", "appeal_outcome", f"Appeal outcome on case {state.case_ref}",
               f"The appeal subcommittee reports its outcome ({'upheld' if event.upheld else 'not upheld'}) to the "
               f"Partnership ({_COMPLAINTS_SECTION})."),
    ]
    return effect


def _informal_ended(state, profile, event: InformalResolutionEnded) -> ComplaintEffect:
    summary, day, details = _met(state, "complaint_informal_resolution", event.ended_on,
                                 "Resolved informally by the chair" if event.resolved else "Not resolved informally")
    if event.resolved:
        effect = _close(state, event.ended_on, "resolved informally by the conference chair")
        effect.summary, effect.details = summary, {**details, "resolved": True}
        return effect
    state.stage = ComplaintStage.FORMAL_COMPLAINT_INVITED
    return ComplaintEffect(summary, day, {**details, "resolved": False}, [
        _to_complainant(state, "formal_complaint_invited", f"Your complaint about case {state.case_ref}",
                        "The chair could not resolve your complaint informally. You may submit a formal written "
                        f"complaint; the chair will arrange help in doing so if appropriate ({BIRMINGHAM}, 8.6)."),
    ])


def _formal(state, profile, event: FormalComplaintReceived) -> ComplaintEffect:
    received = event.received_on
    informal = state.meet("complaint_informal_resolution", received)
    state.stage = ComplaintStage.WITH_PANEL
    state.open_next(profile, "complaint_panel_decision", "complaint_panel", received)
    due = _due(state, "complaint_panel_decision")
    details = {"informal_stage_late": informal is not None and informal.status is DeadlineStatus.MET_LATE}
    return ComplaintEffect(f"Formal written complaint received {received}: sent to the Assistant Director", received,
                           details, [
        # 8.7: the chair sends it at once; the letter goes the moment it is recorded.
        Notice("assistant_director", "formal_complaint", f"Formal complaint about a conference on case {state.case_ref}",
               f"Convene an inter-agency panel of three senior representatives with no previous involvement in the "
               f"case; the panel's decision letter is due{due} ({BIRMINGHAM}, 8.7-8.11)."),
        _to_complainant(state, "formal_complaint_received", f"Your formal complaint about case {state.case_ref}",
                        f"Your formal complaint has gone to the Assistant Director. A panel will consider it and write "
                        f"to you{due}."),
    ])


def _panel_convened(state, profile, event: PanelConvened) -> ComplaintEffect:
    state.panel = event
    return ComplaintEffect(f"Panel of three convened {event.convened_on}, none previously involved in the case",
                           event.convened_on, {"members": event.members})


def _panel_decided(state, profile, event: PanelDecided) -> ComplaintEffect:
    summary, day, details = _met(state, "complaint_panel_decision", event.letter_sent_on, "Panel's decision letter sent")
    state.upheld = event.upheld
    details.update(upheld=event.upheld, recommendations=event.recommendations,
                   # 8.13: the panel cannot change the decision, remove the plan or change the category.
                   plan_unchanged_by_the_panel=True)
    verdict = "upholds" if event.upheld else "does not uphold"
    recommendations = "; ".join(event.recommendations) or "none"
    letter = f"The panel {verdict} the complaint. Recommendations: {recommendations}."
    notices = [Notice("conference_chair", "panel_decision", f"Panel decision on a complaint, case {state.case_ref}", letter)]
    if not event.upheld:
        effect = _close(state, event.letter_sent_on, "not upheld by the panel: the decision of the original conference "
                                                     "remains")
        effect.summary, effect.details = f"{summary}: not upheld", details
        effect.notices = [*notices, _to_complainant(
            state, "panel_decision", f"The panel's decision on your complaint, case {state.case_ref}",
            f"{letter} The decision of the original conference will remain ({BIRMINGHAM}, 8.12).")]
        return effect
    state.stage = ComplaintStage.TO_BE_RECONVENED
    decided = ChallengeDecided(complaint_ref=state.complaint_ref, kind=state.kind, decided_on=event.letter_sent_on,
                               outcome="reconvene_under_another_chair", conference_ref=state.conference_ref,
                               not_chaired_by=state.original_chair_ref)
    state.handed_to_journey = decided
    return ComplaintEffect(f"{summary}: upheld, the conference to be reconvened under a different chair", day, details, [
        *notices,
        _to_complainant(state, "panel_decision", f"The panel's decision on your complaint, case {state.case_ref}",
                        f"{letter} The conference will be reconvened under a different chair as quickly as possible "
                        f"({BIRMINGHAM}, 8.13)."),
        Notice("team_manager", "reconvene_conference", f"Reconvene the conference on case {state.case_ref}",
               f"The panel upheld a complaint: reconvene the conference under a chair other than "
               f"{state.original_chair_ref}, as quickly as possible ({BIRMINGHAM}, 8.13)."),
    ], for_journey=decided)


def _final_decision(state, profile, event: FinalDecisionMade) -> ComplaintEffect:
    summary, day, details = _met(state, "icpc_disagreement_decision", event.decided_on, "Final decision made")
    outcome = "an initial conference is to be held" if event.hold_icpc else "no initial conference"
    effect = _close(state, event.decided_on, f"final decision: {outcome}")
    effect.summary, effect.details = f"{summary}: {outcome}", {**details, "hold_icpc": event.hold_icpc}
    effect.notices.append(_to_complainant(state, "disagreement_decision", f"Your disagreement about case {state.case_ref}",
                                          f"The Assistant Head of Child Protection and Review's final decision: {outcome} "
                                          f"({BIRMINGHAM}, 7.1)."))
    if event.hold_icpc:
        effect.for_journey = state.handed_to_journey = ChallengeDecided(
            complaint_ref=state.complaint_ref, kind=state.kind, decided_on=event.decided_on, outcome="hold_icpc")
    return effect


def _file_reviewed(state, profile, event: FileReviewed) -> ComplaintEffect:
    on = event.reviewed_on
    if not event.another_conference:
        effect = _close(state, on, "file reviewed: no further conference; the conference decision stands")
        effect.summary = f"File reviewed {on}: no further conference"
        effect.notices.append(_to_complainant(state, "disagreement_decision", f"Your disagreement about case {state.case_ref}",
                                              "The file and the decision were reviewed against the threshold criteria: "
                                              "no further conference is required."))
        return effect
    state.stage = ComplaintStage.FURTHER_CONFERENCE
    state.open_next(profile, "further_conference", "disagreement_stage_2", on)
    row = state.open_deadline("further_conference")
    decided = ChallengeDecided(complaint_ref=state.complaint_ref, kind=state.kind, decided_on=on,
                               outcome="another_conference", conference_ref=state.conference_ref,
                               hold_by=row.due if row else None)
    state.handed_to_journey = decided
    due = _due(state, "further_conference")
    return ComplaintEffect(f"File reviewed {on}: another conference required{due}", on, {"another_conference": True}, [
        _to_complainant(state, "disagreement_decision", f"Your disagreement about case {state.case_ref}",
                        f"The file was reviewed: another conference is required and will be held{due} "
                        f"({BIRMINGHAM}, 7.3)."),
        Notice("team_manager", "further_conference", f"Another conference on case {state.case_ref}",
               f"After a disagreement, another conference is to be held{due} ({BIRMINGHAM}, 7.3)."),
    ], for_journey=decided)


def _reconvened(state, profile, event: ConferenceReconvened) -> ComplaintEffect:
    met = state.meet("further_conference", event.held_on)
    state.reconvened_conference_ref = event.conference_ref
    effect = _close(state, event.held_on, f"conference {event.conference_ref} held under chair {event.chair_ref}")
    effect.summary = f"Conference {event.conference_ref} held {event.held_on} under chair {event.chair_ref}"
    if met is not None and met.status is DeadlineStatus.MET_LATE:
        effect.summary += f" (late: due {met.due})"
    effect.details.update(conference_ref=event.conference_ref, chair_ref=event.chair_ref)
    return effect


def _closed(state, profile, event: ComplaintClosed) -> ComplaintEffect:
    _cancel_open(state)
    why = "the complainant is satisfied" if event.reason == "satisfied" else "withdrawn"
    return _close(state, event.closed_on, why)


_APPLY = {
    ServiceManagerResponded: _service_manager_responded,
    ReferredToScrutineer: _referred,
    ReceiptAcknowledged: _acknowledged,
    DocumentsConsidered: _documents,
    ScrutineerResponded: _scrutineer_responded,
    DissatisfactionNotified: _dissatisfied,
    AppealGroundsDecided: _grounds,
    AppealSubcommitteeMet: _subcommittee_met,
    AppealOutcomeSent: _appeal_outcome,
    InformalResolutionEnded: _informal_ended,
    FormalComplaintReceived: _formal,
    PanelConvened: _panel_convened,
    PanelDecided: _panel_decided,
    FinalDecisionMade: _final_decision,
    FileReviewed: _file_reviewed,
    ConferenceReconvened: _reconvened,
    ComplaintClosed: _closed,
}
assert set(_APPLY) == set(COMPLAINT_EVENTS)
assert {kind for kinds in EXPECTED.values() for kind in kinds} == set(COMPLAINT_EVENTS)


# -- Helpers --------------------------------------------------------------------------------------


def _what(state: ComplaintState) -> str:
    return "complaint" if state.kind is ChallengeKind.COMPLAINT else "disagreement"


def _role(who: Complainant) -> str:
    return who.value.replace("_", " ")


def _raiser(opening: DisagreementRaised) -> str:
    return opening.agency or opening.raised_by.replace("_", " ")


def _to_complainant(state: ComplaintState, template: str, subject: str, body: str) -> Notice:
    """A letter to whoever raised the challenge, by their role (the sender finds the address, never Temporal)."""
    opening = state.opening
    if isinstance(opening, ComplaintMade):
        return Notice("complainant", template, subject, f"To the {_role(opening.complainant)}: {body}")
    role = "conference_chair" if opening.raised_by == "conference_chair" else "disagreeing_professional"
    return Notice(role, template, subject, f"To the {_raiser(opening)}: {body}")


def _due(state: ComplaintState, kind: str) -> str:
    row = state.open_deadline(kind)
    return f" by {row.due}" if row is not None else ""


def _met(state: ComplaintState, kind: str, on: date, what: str) -> tuple[str, date, dict]:
    row = state.meet(kind, on)
    late = row is not None and row.status is DeadlineStatus.MET_LATE
    summary = f"{what} {on}" + (f" (late: due {row.due})" if late else "")
    return summary, on, {"due": row.due.isoformat() if row else None, "late": late}


def _cancel_open(state: ComplaintState) -> None:
    for row in state.deadlines:
        if row.status in (DeadlineStatus.OPEN, DeadlineStatus.OVERDUE):
            row.status = DeadlineStatus.CANCELLED


def _close(state: ComplaintState, on: date, why: str, ombudsman: bool = False) -> ComplaintEffect:
    state.stage = ComplaintStage.CLOSED
    state.closed_on, state.closed_because = on, why
    state.ombudsman_route_given = state.ombudsman_route_given or ombudsman
    return ComplaintEffect(f"{_what(state).capitalize()} closed {on}: {why}", on,
                           {"closed_because": why, "ombudsman_route_given": state.ombudsman_route_given})


def _ombudsman_letter(state: ComplaintState, outcome: str) -> Notice:
    return _to_complainant(state, "ombudsman_route", f"The outcome of your complaint about case {state.case_ref}",
                           f"{outcome} If you are still unhappy with the outcome you can refer the matter to the Local "
                           f"Government Ombudsman ({_COMPLAINTS_SECTION}).")


_STAGE_WORDS = {
    ComplaintStage.WITH_SERVICE_MANAGER: "with the Service Manager",
    ComplaintStage.SERVICE_MANAGER_RESPONDED: "the Service Manager has responded",
    ComplaintStage.WITH_INDEPENDENT_SCRUTINEER: "with the Statutory Safeguarding Partners / Independent Scrutineer",
    ComplaintStage.SCRUTINEER_RESPONDED: "the Independent Scrutineer has responded",
    ComplaintStage.APPEAL_GROUNDS: "appeal: an independent person decides whether there are grounds",
    ComplaintStage.APPEAL_SUBCOMMITTEE: "appeal: the appeal subcommittee to meet",
    ComplaintStage.APPEAL_OUTCOME: "appeal: the subcommittee's outcome to be sent",
    ComplaintStage.INFORMAL_RESOLUTION: "with the conference chair, for informal resolution",
    ComplaintStage.FORMAL_COMPLAINT_INVITED: "not resolved informally: a formal written complaint may follow",
    ComplaintStage.WITH_PANEL: "formal complaint with the Assistant Director's panel of three",
    ComplaintStage.TO_BE_RECONVENED: "upheld: the conference to be reconvened under a different chair",
    ComplaintStage.AWAITING_FINAL_DECISION: "with the Assistant Head of Child Protection and Review for a final decision",
    ComplaintStage.FILE_REVIEW: "the file and the decision under review",
    ComplaintStage.FURTHER_CONFERENCE: "another conference to be held",
    ComplaintStage.CLOSED: "closed",
    ComplaintStage.REFUSED: "refused",
}
assert set(_STAGE_WORDS) == set(ComplaintStage)
_ABOUT_WORDS = {
    "icpc_not_held": "the decision not to hold an initial conference",
    "conference_outcome": "the outcome of a conference",
}


def challenge_row(state: ComplaintState) -> ChallengeRow:
    """The challenge as the child's journey lists it: all in words, no names."""
    opening = state.opening
    if isinstance(opening, ComplaintMade):
        subjects = " and ".join(_SUBJECT_CHOICES[subject.value].lower() for subject in opening.about)
        about = f"Complaint by the {_role(opening.complainant)} about {subjects}"
    else:
        about = f"Disagreement by the {_raiser(opening)} with {_ABOUT_WORDS[opening.about]}"
    if opening.conference_ref:
        about += f" (conference {opening.conference_ref})"
    stage = _STAGE_WORDS[state.stage]
    waiting = [row for row in state.deadlines if row.status in (DeadlineStatus.OPEN, DeadlineStatus.OVERDUE)]
    upcoming = min(waiting, key=lambda row: row.due, default=None)
    if upcoming is not None and state.stage not in ENDED:
        overdue = upcoming.status is DeadlineStatus.OVERDUE
        stage += f"; {upcoming.label.lower()} {'was ' if overdue else ''}due by {upcoming.due}"
    outcome = None
    if state.stage is ComplaintStage.REFUSED:
        outcome = f"refused: {state.refused_because}"
    elif state.stage is ComplaintStage.CLOSED:
        outcome = state.closed_because
    elif state.handed_to_journey is not None:
        outcome = _STAGE_WORDS[state.stage]
    return ChallengeRow(ref=state.complaint_ref, kind=state.kind.value, about=about, opened_on=state.received_on,
                        stage=stage, outcome=outcome, closed_on=state.closed_on if state.stage in ENDED else None)


def reminder_day(profile: Profile, row) -> date:
    """The working day before a stage falls due: when whoever owns it is reminded."""
    return calendar_of(profile).add_working_days(row.due, -1)
